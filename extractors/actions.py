"""Actions: numbered rows of delivery-plan tables (ref, text, deadline, owners).

A table is an action table when most of its rows hold an action reference (A.8.1.1,
1.2, A3) in its first column, or alone in its second or third ("Key initiative | Ref |
Action"), and the actions' cells read as clauses (see ``_tables.is_action_table``). A row
without a reference whose other cells are empty continues the action above it (a row
split by a page break). The initiative is the row's cell in a column headed as one
("Key initiative", carried down the rows a spanning cell covers), else the numbered theme
("2. Support individuals ...") most recently seen before the table.

Outside tables, a paragraph or list item that labels a numbered action ("Action 3.2:
Open two family hubs (Lead: Head of Early Help, by December 2025)") is one too: the
label words and the bracket's parts are data (``tables.lexicon.json``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from spacy.language import Language

from pledgeflow.document import Block, Document, cell_span
from pledgeflow.records import Action
from pledgeflow.registry import register

from ._performance import is_action_update_table
from ._rules import (
    NUMBERED_TITLE,
    clean_cell,
    marker_length,
    mentions_any,
    provenance,
    strip_numbering,
)
from ._tables import (
    ACTION_REF,
    BARE_REF,
    INDEX_REF,
    PROSE_ACTION,
    Table,
    action_rows,
    cell,
    initiative_column,
    is_action_table,
    label_pattern,
    read_table,
    reads_as_action,
    ref_column,
    referenced_action,
    text_column,
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


# a closing bracket may name an action's lead and deadline
CLOSING_BRACKET = re.compile(r"\s*\((?P<inner>[^()]+)\)\s*\.?$")


def prose_action(text: str) -> tuple[str, str, str | None, str | None] | None:
    """(ref, text, deadline, owners) of a labelled action in prose, or None."""
    found = PROSE_ACTION.match(text)
    if not found or not reads_as_action(found.group("text")):
        return None
    body, deadline, owners = found.group("text"), None, None
    bracket = CLOSING_BRACKET.search(body)
    if bracket:
        deadline, owners = _bracket_parts(bracket.group("inner"))
        if deadline or owners:
            body = body[: bracket.start()]
    return found.group("ref"), body.rstrip(" .;"), deadline, owners


@functools.cache
def _bracket_labels() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """'Lead: <owners>' and 'By <deadline>' / 'Deadline: <deadline>' as a bracket's parts."""
    owner = label_pattern("owner_label")
    deadline = label_pattern("deadline_label")
    return (re.compile(rf"^(?:{owner})\s*:\s*(?P<v>.+)$", re.I),
            re.compile(rf"^(?:(?:{deadline})\s*:?\s+|(?:{deadline})\s*:\s*)(?P<v>.+)$", re.I))


def _bracket_parts(inner: str) -> tuple[str | None, str | None]:
    """(deadline, owners) from "Lead: Head of Early Help, by December 2025"; parts that
    name neither are left for a reader, so the bracket stays in the text."""
    owner_label, deadline_label = _bracket_labels()
    deadline = owners = None
    for part in (p.strip() for p in re.split(r"[;,]", inner) if p.strip()):
        if owners is None and (m := owner_label.match(part)):
            owners = m.group("v").strip()
        elif deadline is None and (m := deadline_label.match(part)):
            deadline = m.group("v").strip()
        elif owners is not None and deadline is None and not mentions_any(part, ["and"]):
            deadline = part  # "(Lead: ..., annually in April)": what follows the lead
        else:
            return None, None
    return deadline, owners


@register
class ActionExtractor:
    name = "actions"
    version = "8"
    kinds = ("actions",)

    def extract(self, doc: Document, nlp: Language) -> Iterator[Action]:
        themes = Themes()
        for block in doc.blocks:
            table = read_table(block) if block.kind == "table" else None
            # a report's updates on actions are the outturns extractor's, not plan actions
            if table is not None and is_action_table(table) and not is_action_update_table(table):
                yield from self._rows(doc, block, table, themes)
                continue
            if block.kind in ("paragraph", "list_item", "heading"):
                found = self._prose(doc, block, themes)
                if found is not None:
                    yield found
                    continue
            themes.see(block)

    def _prose(self, doc: Document, block: Block, themes: Themes) -> Action | None:
        after = doc.blocks[block.index + 1] if block.index + 1 < len(doc.blocks) else None
        # a heading only with its deadline or lead in the line after (a bold <dt> printed)
        found = (prose_action(block.text) if block.kind != "heading" else None) or \
            self._referenced(block, after)
        if found is None:
            return None
        ref, text, deadline, owners = found
        start = block.start + block.text.index(text)
        return Action(
            ref=ref, text=text, deadline=deadline, deadline_date=parse_deadline(deadline),
            owners=owners, owners_list=split_owners(owners),
            initiative=themes.of(ref) or block.heading,
            provenance=provenance(self, doc, block, start, start + len(text), "action_prose"),
        )

    @staticmethod
    def _referenced(block: Block, after: Block | None
                    ) -> tuple[str, str, str | None, str | None] | None:
        """A reference, the action, and its labelled deadline and lead (``referenced_action``):
        in the block, or in the paragraph after it (a <dd> under its <dt>)."""
        next_text = after.text if after is not None and after.kind == "paragraph" else None
        found = referenced_action(block.text[marker_length(block.text):], next_text)
        if found is None or (block.kind == "heading" and not found[4]):
            return None
        return found[:4]

    def _rows(self, doc: Document, block: Block, table: Table,
              themes: Themes) -> Iterator[Action]:
        deadline_col = table.column("deadline")
        owner_col = table.column("owner", exclude=(deadline_col,))
        ref_col = ref_column(table)
        initiative_col = initiative_column(table)
        # With references in a column of their own, the text is in the action column.
        text_col = text_column(table, (ref_col, deadline_col, owner_col, initiative_col))
        if text_col is None:
            text_col = 1
        pending: Action | None = None
        initiative: str | None = None
        numbered = action_rows(table) < max(1, len(table.rows) // 2)  # rows "1", "2", ...
        for r, row in table.rows:
            first = clean_cell(row[ref_col]) if ref_col < len(row) else ""
            # the initiative's cell spans the rows of its actions: "" below its first
            initiative = cell(row, initiative_col) or initiative
            # a reference alone ("P1.1") first: read as ref + text it would split wrongly
            bare = BARE_REF.match(first) or (INDEX_REF.match(first) if numbered else None)
            ref = None if bare or ref_col else ACTION_REF.match(first)
            if ref or bare:
                if pending:
                    yield pending
                deadline = cell(row, deadline_col)
                owners = cell(row, owner_col)
                column = ref_col if ref else text_col
                text = clean_cell(ref.group("text")) if ref else (cell(row, text_col) or "")
                start, end = cell_span(block, r, column)
                found = (ref or bare).group("ref")
                pending = Action(
                    ref=found, text=text, deadline=deadline,
                    deadline_date=parse_deadline(deadline), owners=owners,
                    owners_list=split_owners(owners),
                    initiative=initiative if initiative_col is not None else themes.of(found),
                    provenance=provenance(self, doc, block, start, end, "action_table_row"),
                )
            elif r in table.groups:
                continue  # a sub-heading row inside the table
            elif pending and first and not cell(row, deadline_col) and not cell(row, owner_col):
                pending.text = f"{pending.text} {first}"  # the rest of a row split by a page
                pending.provenance.end = cell_span(block, r, ref_col)[1]
            elif pending and not first and cell(row, text_col) and not cell(row, deadline_col):
                pending.text = f"{pending.text} {cell(row, text_col)}"
        if pending:
            yield pending
