"""Reading tables by their header row: which column is the measure, the owner, ...

Column roles come from header words (``tables.lexicon.json``), never from positions,
so a register with its columns in any order reads the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pledgeflow.document import Block, Document

from ._rules import clean_cell, load_json, mentions_any

# "2018/19", "2019-20", "2020", "Year 1": a period heading names a target column.
PERIOD = re.compile(r"\b(?:19|20)\d{2}(?:\s*[/\-\u2013]\s*\d{2,4})?\b|\byear\s+\d\b", re.I)
# An action reference: "A.8.1.1", "1.2", "A3", "SA-4" (but not a bare "1.").
REF = r"(?P<ref>[A-Z]{1,3}[.\-]?\d{1,3}(?:\.\d{1,3}){0,4}[a-z]?|\d{1,3}(?:\.\d{1,3}){1,4}[a-z]?)"
# ...opening a cell that goes on with the action's text: "A.8.1.1 – Continue to ..."
ACTION_REF = re.compile(
    rf"^\s*{REF}(?=[\s:.)\u2013\u2014-])\s*[\u2013\u2014:.)-]?\s*(?P<text>\S.*)$", re.S)
# ...or alone in a reference column.
BARE_REF = re.compile(rf"^\s*{REF}\s*$")


def lexicon() -> dict[str, list[str]]:
    return load_json("tables.lexicon.json")


@dataclass
class Table:
    block: Block
    header: list[str]  # cleaned header cells ("" when the table has no header row)
    rows: list[tuple[int, list[str]]]  # (row index in block.rows, raw cells) of data rows

    def columns(self, role: str) -> list[int]:
        words, avoid = lexicon()[role], lexicon().get(f"{role}_not", [])
        return [i for i, cell in enumerate(self.header)
                if cell and mentions_any(cell, words) and not mentions_any(cell, avoid)]

    def column(self, role: str, exclude: tuple[int, ...] = ()) -> int | None:
        """The best column for a role: the header with the most telling word, then the
        one with the longest cells ("Risk description" over "Risk ID")."""
        words = lexicon()[role]
        found = [i for i in self.columns(role) if i not in exclude]
        if not found:
            return None

        def rank(i: int) -> tuple[int, float, int]:
            first_word = min(n for n, w in enumerate(words) if mentions_any(self.header[i], [w]))
            cells = [clean_cell(row[i]) for _, row in self.rows if i < len(row)]
            mean = sum(map(len, cells)) / len(cells) if cells else 0.0
            return first_word, -mean, i

        return min(found, key=rank)


def read_table(block: Block) -> Table | None:
    """Split a table block into its header and data rows; repeated header rows are skipped."""
    rows = block.rows or []
    if not rows:
        return None
    # The header is the first of the top rows whose cells name column roles; a caption
    # row above it ("Career advice") is not data. Without one, trust the parser's.
    found = next((k for k in range(min(3, len(rows))) if _looks_like_header(rows[k])), None)
    n_header = found + 1 if found is not None else block.header_rows
    header = [clean_cell(c) for c in rows[n_header - 1]] if n_header else []
    data = []
    for i, row in enumerate(rows[n_header:], start=n_header):
        cells = [clean_cell(c) for c in row]
        if header and cells == header:
            continue  # a header repeated where the table continues on a new page
        if any(cells):
            data.append((i, row))
    return Table(block=block, header=header, rows=data)


def _looks_like_header(row: list[str]) -> bool:
    """Short cells that are not sentences, two of them at least (when there are two)
    naming a column role."""
    cells = [clean_cell(c) for c in row if clean_cell(c)]
    if not cells or ACTION_REF.match(cells[0]) or BARE_REF.match(cells[0]):
        return False
    if any(c.endswith(".") for c in cells):
        return False  # sentences are data
    known = [w for role, ws in lexicon().items() if not role.endswith("_not")
             for w in ws if len(w) > 2]
    naming = [c for c in cells if mentions_any(c, known) or PERIOD.search(c)]
    return all(len(c) <= 120 for c in cells) and len(naming) >= min(2, len(cells))


def tables_of(doc: Document, accept: Callable[[Table], bool]) -> Iterator[Table]:
    """The document's tables that ``accept`` recognises (a KPI table, a risk register...)."""
    for block in doc.blocks:
        if block.kind == "table":
            table = read_table(block)
            if table is not None and accept(table):
                yield table


def cell(row: list[str], index: int | None) -> str | None:
    if index is None or index >= len(row):
        return None
    text = clean_cell(row[index])
    return text or None


def is_kpi_table(table: Table) -> bool:
    return table.column("measure") is not None and bool(
        table.columns("baseline") or target_columns(table)
    )


def target_columns(table: Table) -> list[int]:
    baseline = set(table.columns("baseline"))
    return [
        i for i, h in enumerate(table.header)
        if i not in baseline and (mentions_any(h, lexicon()["target"]) or PERIOD.search(h))
        and i not in table.columns("measure")
    ]


def is_risk_table(table: Table) -> bool:
    return table.column("risk") is not None and (
        table.column("mitigation") is not None or table.column("owner") is not None
    )


def action_rows(table: Table) -> int:
    """How many data rows open with an action reference."""
    firsts = [clean_cell(row[0]) for _, row in table.rows if row]
    return sum(1 for text in firsts if ACTION_REF.match(text) or BARE_REF.match(text))


# A row number alone ("1", "2.", "3)"): a reference only in a plan with a deadline or lead.
INDEX_REF = re.compile(r"^\s*(?P<ref>\d{1,3})[.)]?\s*$")


def has_delivery_columns(table: Table) -> bool:
    """A deadline or a lead column: what a plan of actions has and a KPI table has not."""
    return table.column("deadline") is not None or table.column("owner") is not None


def numbered_rows(table: Table) -> int:
    """How many data rows open with a bare row number."""
    return sum(1 for _, row in table.rows if row and INDEX_REF.match(clean_cell(row[0])))


PAGE_NUMBER = re.compile(r"^\s*(?:p(?:age|\.)?\s*)?\d{1,3}\s*$", re.I)


def page_numbered_rows(table: Table) -> int:
    """How many data rows end with a page number alone, as a contents table's do."""
    lasts = [next((clean_cell(c) for c in reversed(row) if clean_cell(c)), "")
             for _, row in table.rows if len(row) > 1]
    return sum(1 for text in lasts if PAGE_NUMBER.match(text))


def is_action_table(table: Table) -> bool:
    """Most rows open with an action reference, or, in a table with a deadline or lead
    column, with a row number; whatever the other headers say. A KPI table with a column
    of indicator codes ("EN01") and no deadline or lead is not a plan of actions."""
    delivery = has_delivery_columns(table)
    if is_kpi_table(table) and not delivery:
        return False
    half = max(1, len(table.rows) // 2)
    if not delivery and page_numbered_rows(table) > half:
        return False  # a table of contents: "1.2 Our priorities | 7"
    return action_rows(table) >= half or (delivery and numbered_rows(table) >= max(2, half))
