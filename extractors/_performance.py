"""Reading performance-report tables: outturns (an indicator's actual, target and RAG status
for a period) and action updates (a plan action's status and an update).

Column roles come from header words (``outturns.lexicon.json``), as ``_tables`` does for
plans; what makes a table a report is its cells: a status column whose words are RAG
ratings (Green, Amber, Red) beside an actual column, or action statuses (Complete, On
track, Delayed, Not started) beside an update column. Such a table is read as outturns or
updates wherever it appears, whatever the catalog says the document is, and the plan
extractors (``kpis``, ``actions``) leave it alone.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ._rules import clean_cell, load_json, mentions_any
from ._tables import Table, action_rows, measure_column, read_table

# A financial year ("2018/19", "2018-19", "2018/2019") and a quarter ("Q4", "Quarter 4").
YEAR = re.compile(r"\b((?:19|20)\d{2})\s*[/\-\u2013]\s*(\d{2}|(?:19|20)\d{2})\b")
QUARTER = re.compile(r"\b(?:q|quarter)\s*([1-4])\b", re.I)


@functools.cache
def lexicon() -> dict[str, Any]:
    return load_json("outturns.lexicon.json")


def financial_year(text: str | None) -> str | None:
    """'Q4 2018/19 actual' -> '2018/19'; '2018-2019' -> '2018/19'; None without one."""
    found = YEAR.search(text or "")
    if not found:
        return None
    return f"{found.group(1)}/{found.group(2)[-2:]}"


def period(heading: str | None, context: list[str]) -> str | None:
    """The period a column reports, normalised to 'YYYY/YY Qn' (or 'YYYY/YY' for a year):
    from its heading, else from the title and headings above the table (``context``); a
    heading's year takes the quarter the context names for that same year."""
    year, quarter = financial_year(heading), QUARTER.search(heading or "")
    for text in context:
        if year is None:
            year = financial_year(text)
            quarter = quarter or QUARTER.search(text)
        elif quarter is None and financial_year(text) == year:
            quarter = QUARTER.search(text)
    if year is None:
        return None
    return f"{year} Q{quarter.group(1)}" if quarter else year


def columns(table: Table, role: str) -> list[int]:
    """Columns whose header names ``role``, ranked by the most telling word."""
    words, avoid = lexicon()[role], lexicon().get(f"{role}_not", [])
    found = [i for i, h in enumerate(table.header)
             if h and mentions_any(h, words) and not mentions_any(h, avoid)]

    def rank(i: int) -> int:
        return min(n for n, w in enumerate(words) if mentions_any(table.header[i], [w]))

    return sorted(found, key=lambda i: (rank(i), i))


def column(table: Table, role: str, exclude: tuple[int | None, ...] = ()) -> int | None:
    return next((i for i in columns(table, role) if i not in exclude), None)


def _phrase(text: str | None) -> str:
    return " ".join(clean_cell(text).lower().replace("\u2019", "'").strip(" .").split())


def rag(raw: str | None) -> str | None:
    """'Green' -> 'green', 'Off target' -> 'red'; None for 'No data', blank or unknown."""
    text = _phrase(raw)
    for status, words in lexicon()["rag"].items():
        if text in words:
            return status
    return None


def action_status(raw: str | None) -> str | None:
    """'Complete' -> 'complete', 'In progress' -> 'on track', 'Behind' -> 'delayed'."""
    text = _phrase(raw)
    for status, words in lexicon()["action_status"].items():
        if text in words:
            return status
    return None


def _cells(table: Table, col: int) -> list[str]:
    return [clean_cell(row[col]) for r, row in table.rows
            if col < len(row) and r not in table.groups]


def _mostly(cells: list[str], known) -> bool:
    filled = [c for c in cells if c]
    return bool(filled) and sum(1 for c in filled if known(c)) >= max(1, 0.8 * len(filled))


def actual_column(table: Table, context: list[str] = ()) -> int | None:
    """The column of this period's actuals: of those headed as actuals, the one reporting
    the latest period ('Q4 2018/19 actual' over '2017/18 outturn'; 'Q3 actual' in a
    report titled 'Quarter 3 2024/25' over '2023/24 outturn')."""
    found = columns(table, "actual") or _quarters_so_far(table)
    if not found:
        return None
    context = [*reversed(table.block.section or []), *context]
    return max(found, key=lambda i: (period(table.header[i], context) or "",
                                     -found.index(i)))


def _quarters_so_far(table: Table) -> list[int]:
    """Quarter columns beside a column headed as the target ("Q1 | Q2 | Q3 | Q4 | Annual
    target"): the year's results so far, of which the last one filled is the latest."""
    targets = columns(table, "target")
    quarters = [i for i, h in enumerate(table.header)
                if i not in targets and QUARTER.fullmatch(" ".join(h.split()))]
    filled = [i for i in quarters if any(_cells(table, i))]
    return filled[-1:] if targets and len(quarters) >= 2 else []


def status_column(table: Table, known) -> int | None:
    """The status column whose cells are status words ``known`` reads."""
    return next((i for i in columns(table, "status") if _mostly(_cells(table, i), known)), None)


def is_outturn_table(table: Table) -> bool:
    """An indicator per row with its actual and a RAG status: a report, not a plan. A
    table whose targets are all for years after its actual's ('Latest (Q2 2024/25)' |
    'Target 2025/26' | 'RAG') is a plan's KPIs rated at their baseline: it sets targets
    ahead, where a report sets a result against the target of its own period."""
    actual = actual_column(table)
    if measure_column(table) is None or actual is None:
        return False
    year = financial_year(period(table.header[actual], list(reversed(table.block.section or []))))
    targets = [financial_year(table.header[i]) for i in columns(table, "target")]
    if year and targets and all(t and t > year for t in targets):
        return False
    col = status_column(table, lambda c: rag(c) is not None or _phrase(c) in
                        lexicon()["rag_none"])
    return col is not None and any(rag(c) for c in _cells(table, col))


def is_action_update_table(table: Table) -> bool:
    """Plan actions by reference, each with a status and an update on its progress: in a
    status column, or opening the update ("On track - the contract was let ...")."""
    half = max(1, len(table.rows) // 2)
    update = column(table, "update")
    if action_rows(table) < half or update is None:
        return False
    return (status_column(table, lambda c: action_status(c) is not None) is not None
            or _mostly(_cells(table, update), lambda c: leading_status(c)[0] is not None))


# A status word or two, then a dash or colon, then the update.
_LEADING_STATUS = re.compile(
    r"^\s*(?P<status>[A-Za-z][A-Za-z ]{1,24}?)\s*[:\u2013\u2014-]\s+(?P<text>\S.*)$", re.S)


def leading_status(text: str | None) -> tuple[str | None, str | None]:
    """("On track", "The contract was let ...") from "On track - The contract was let
    ..."; (None, text) when the update opens with no status."""
    found = _LEADING_STATUS.match(text or "")
    if found and action_status(found.group("status")) is not None:
        return found.group("status"), found.group("text")
    return None, text


def is_report_table(block) -> bool:
    """A table block a performance report's reader takes (so the plan readers leave it)."""
    table = read_table(block) if block.kind == "table" else None
    return table is not None and (is_outturn_table(table) or is_action_update_table(table))
