"""KPI cards: a heading over labelled figures, one indicator a card.

Dashboards and scorecards set an indicator as a card rather than a table row: its name as
a heading, then one short line per figure, each a label and the figure ("Starting point
2023/24 388", "2025/26 goal 420"), or the label on a line over its figure (a definition
list), often a status word under them. A card is a KPI table
of one row turned on its side: the labels are the column headers, read with the tables'
own words (``tables.lexicon.json``). It counts only when one label names a baseline and
another a target, so a page's facts in figures ("Population (2021) 158,000") are none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from pledgeflow.document import Block, Document

from ._rules import clean_cell, mentions_any
from ._tables import lexicon

# A figure as a card prints it: "388", "61%", "2.31m", "£1.9m", "35.0 days", "n/a", "TBC".
FIGURE = (r"(?:[£$€]\s?)?[-\u2212]?\d[\d,]*(?:\.\d+)?\s?(?:%|k|m|bn|million|billion"
          r"|days?|weeks?|hours?|minutes?|mins|points?|pts)?|n/a|tbc|tbd")
LABELLED = re.compile(rf"^(?P<label>\S.{{0,60}}?)\s*[:\-\u2013]?\s+(?P<figure>{FIGURE})$", re.I)
FIGURE_FIRST = re.compile(rf"^(?P<figure>{FIGURE})\s+(?P<label>[A-Za-z].{{1,60}})$", re.I)
FIGURE_ALONE = re.compile(rf"^(?:{FIGURE})$", re.I)
LABEL_WORDS = 6  # a label is a few words, not a sentence ending in a number
NAME_WORDS = 15  # a card's heading names an indicator


@dataclass(frozen=True)
class Card:
    heading: Block
    figures: list[tuple[str, str]]  # (label, figure as printed), in order
    last: Block  # the card's last figure line

    def baseline(self) -> tuple[str, str] | None:
        return next(((lb, f) for lb, f in self.figures if _names(lb, "baseline")), None)

    def targets(self) -> list[tuple[str, str]]:
        return [(lb, f) for lb, f in self.figures if _names(lb, "target")]


def _names(label: str, role: str) -> bool:
    words = lexicon()
    if role == "target" and (_names(label, "baseline") or mentions_any(label,
                                                                       words["target_not"])):
        return False
    return mentions_any(label, words[role])


def _label(text: str) -> str | None:
    """A card's label: a few words, not a sentence; its closing colon or dash left off."""
    if len(text.split()) > LABEL_WORDS or text[-1:] in ".!?":
        return None
    return text.rstrip(" :-\u2013")


def labelled_figure(text: str) -> tuple[str, str] | None:
    """A line of a card: (label, figure), or None."""
    text = clean_cell(text)
    match = LABELLED.match(text) or FIGURE_FIRST.match(text)
    label = _label(match["label"]) if match else None
    return (label, match["figure"]) if label is not None else None


def _label_above(label: str, figure: str) -> tuple[str, str] | None:
    """A label on a line of its own with its figure on the next ("Baseline (2024/25)"
    over "91%": a definition list, or a tile's label and figure set apart)."""
    label, figure = clean_cell(label), clean_cell(figure)
    name = _label(label)
    if FIGURE_ALONE.match(figure) and not FIGURE_ALONE.match(label) and name is not None:
        return name, figure
    return None


def tiles(block: Block) -> list[tuple[str, str]] | None:
    """A card's figures set as a table of two rows, labels over figures (a PDF's row of
    figure tiles, ``pdf_tiles``; a small HTML table under the card's heading)."""
    rows = block.rows
    if block.kind != "table" or rows is None or len(rows) != 2 or len(rows[0]) != len(rows[1]):
        return None
    pairs = [_label_above(label, figure) for label, figure in zip(*rows, strict=True)]
    return [pair for pair in pairs if pair is not None] if all(pairs) else None


def cards(doc: Document) -> Iterator[Card]:
    blocks = doc.blocks
    for k, block in enumerate(blocks):
        if block.kind != "heading" or len(block.text.split()) > NAME_WORDS:
            continue
        figures, last, j = [], block, k + 1
        while j < len(blocks) and blocks[j].kind in ("paragraph", "list_item"):
            # a label over a figure first: "Goal by 2028" over "35,000" is no "Goal by" 2028
            pair, used = None, 2
            if j + 1 < len(blocks) and blocks[j + 1].kind == blocks[j].kind:
                pair = _label_above(blocks[j].text, blocks[j + 1].text)
            if pair is None:
                pair, used = labelled_figure(blocks[j].text), 1
            if pair is None:
                break
            figures.append(pair)
            last, j = blocks[j + used - 1], j + used
        if not figures:
            figures, last = _tiles_after(blocks, k)
        card = Card(block, figures, last)
        if len(figures) >= 2 and card.baseline() is not None and card.targets():
            yield card


def _tiles_after(blocks: list[Block], k: int) -> tuple[list[tuple[str, str]], Block]:
    """The figure table of the heading at ``k``: the next block, or, where a row of card
    headings stands over as many figure tables (a grid of cards a page break cut between
    its headings and its figures), the table in the heading's place among them; a short
    line between the tables (a card's status) is passed over. Where fewer tables follow
    than headings stand in the row, only the last heading, right over a table, has one."""
    first = k
    while first > 0 and blocks[first - 1].kind == "heading" and blocks[first - 1].level == \
            blocks[k].level:
        first -= 1
    end = k
    while end + 1 < len(blocks) and blocks[end + 1].kind == "heading" and \
            blocks[end + 1].level == blocks[k].level:
        end += 1
    found: list[tuple[list[tuple[str, str]], Block]] = []  # (figures, table)
    j = end + 1
    while j < len(blocks) and len(found) <= end - first:
        if (figures := tiles(blocks[j])) is not None:
            found.append((figures, blocks[j]))
        elif blocks[j].kind != "paragraph" or len(blocks[j].text.split()) > LABEL_WORDS:
            break
        j += 1
    if len(found) == end - first + 1:
        return found[k - first]
    if k == end and found and found[0][1] is blocks[k + 1]:
        return found[0]  # a section heading above the card's: the table under it is its
    return [], blocks[k]
