"""Actions: numbered rows of delivery-plan tables (ref, text, deadline, owners).

A table is an action table when most of its rows open with an action reference
(A.8.1.1, 1.2, A3). A row without a reference whose other cells are empty continues
the action above it (a row split by a page break). The initiative is the numbered
theme ("2. Support individuals ...") most recently seen before the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from spacy.language import Language

from pledgeflow.document import Block, Document, cell_span
from pledgeflow.records import Action
from pledgeflow.registry import register

from ._rules import NUMBERED_TITLE, clean_cell, provenance, strip_numbering
from ._tables import (
    ACTION_REF,
    BARE_REF,
    INDEX_REF,
    Table,
    action_rows,
    cell,
    is_action_table,
    read_table,
)
from ._values import parse_deadline

# Owners are split on commas, semicolons, slashes, "&" and "and", but not inside
# brackets: "Senior Manager (Schools and Colleges)" is one owner.
OWNER_SEPARATOR = re.compile(r"\s*(?:[;,/&]|\band\b)\s*")
BRACKETED = re.compile(r"\([^()]*\)")


def split_owners(raw: str | None) -> list[str]:
    if not raw:
        return []
    masked = BRACKETED.sub(lambda m: "\0" * len(m.group()), raw)
    parts, last = [], 0
    for sep in OWNER_SEPARATOR.finditer(masked):
        parts.append(raw[last:sep.start()])
        last = sep.end()
    parts.append(raw[last:])
    return [p for p in (clean_cell(p).strip(" .") for p in parts) if p]


def theme_of(block: Block) -> tuple[str, str] | None:
    """A numbered theme (number, title) in a heading or a table's first cells, if any."""
    texts: list[str] = []
    if block.kind == "heading":
        texts = [block.text]
    elif block.kind == "table" and block.rows:
        texts = [clean_cell(text) for row in block.rows[:3] for text in row[:2]]
    for text in texts:
        numbered = NUMBERED_TITLE.match(text)
        if numbered and len(text) <= 200 and not ACTION_REF.match(text):
            return re.match(r"\s*(\d+)", text).group(1), strip_numbering(text)
    return None


class Themes:
    """The numbered themes seen so far; an action belongs to the one its reference names."""

    def __init__(self) -> None:
        self.by_number: dict[str, str] = {}
        self.last: tuple[str, str] | None = None

    def see(self, block: Block) -> None:
        theme = theme_of(block)
        if theme:
            self.by_number[theme[0]] = theme[1]
            self.last = theme

    def of(self, ref: str) -> str | None:
        """'A.8.1.1' under theme 1 -> that theme; 'P2.3' -> theme 2, wherever it was."""
        numbers = re.findall(r"\d+", ref)
        if self.last and self.last[0] in numbers[:-1]:
            return self.last[1]
        if numbers and numbers[0] in self.by_number and len(numbers) > 1:
            return self.by_number[numbers[0]]
        return self.last[1] if self.last else None


@register
class ActionExtractor:
    name = "actions"
    version = "5"
    kinds = ("actions",)

    def extract(self, doc: Document, nlp: Language) -> Iterator[Action]:
        themes = Themes()
        for block in doc.blocks:
            table = read_table(block) if block.kind == "table" else None
            if table is not None and is_action_table(table):
                yield from self._rows(doc, block, table, themes)
                continue
            themes.see(block)

    def _rows(self, doc: Document, block: Block, table: Table,
              themes: Themes) -> Iterator[Action]:
        deadline_col = table.column("deadline")
        owner_col = table.column("owner", exclude=(deadline_col,))
        # With references in a column of their own, the text is in the action column.
        text_col = table.column("action", exclude=(0, deadline_col, owner_col)) or 1
        pending: Action | None = None
        numbered = action_rows(table) < max(1, len(table.rows) // 2)  # rows "1", "2", ...
        for r, row in table.rows:
            first = clean_cell(row[0]) if row else ""
            # a reference alone ("P1.1") first: read as ref + text it would split wrongly
            bare = BARE_REF.match(first) or (INDEX_REF.match(first) if numbered else None)
            ref = None if bare else ACTION_REF.match(first)
            if ref or bare:
                if pending:
                    yield pending
                deadline = cell(row, deadline_col)
                owners = cell(row, owner_col)
                column = 0 if ref else text_col
                text = clean_cell(ref.group("text")) if ref else (cell(row, text_col) or "")
                start, end = cell_span(block, r, column)
                pending = Action(
                    ref=(ref or bare).group("ref"), text=text, deadline=deadline,
                    deadline_date=parse_deadline(deadline), owners=owners,
                    owners_list=split_owners(owners),
                    initiative=themes.of((ref or bare).group("ref")),
                    provenance=provenance(self, doc, block, start, end, "action_table_row"),
                )
            elif pending and first and not cell(row, deadline_col) and not cell(row, owner_col):
                pending.text = f"{pending.text} {first}"  # the rest of a row split by a page
                pending.provenance.end = cell_span(block, r, 0)[1]
            elif pending and not first and cell(row, text_col) and not cell(row, deadline_col):
                pending.text = f"{pending.text} {cell(row, text_col)}"
        if pending:
            yield pending
