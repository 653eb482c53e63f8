"""Outturns and action updates: what performance reports say happened to a plan's KPIs and
actions.

An outturn is a row of a table with an indicator, its actual for a period and a RAG
status (``_performance.is_outturn_table``); an action update is a row of a table of plan
actions by reference, each with a status and an update. Both are read wherever such a
table appears, whatever kind of document the catalog says it is. Raw cells are kept;
the period, the figures and the statuses are normalised beside them. The plan KPI or
action each reports on is found after loading (``pledgeflow.store.progress``), which fills in
``kpi_id``, ``kpi_score``, ``plan_measure`` and ``action_id``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from spacy.language import Language

from pledgeflow.document import Block, Document, cell_span
from pledgeflow.records import MEASURE_DEFINITION, Record, column
from pledgeflow.registry import register

from ._performance import (
    action_status,
    actual_column,
    financial_year,
    is_action_update_table,
    is_outturn_table,
    leading_status,
    lexicon,
    period,
    rag,
    status_column,
)
from ._performance import column as role_column
from ._performance import columns as role_columns
from ._rules import clean_cell, mentions_any, provenance
from ._tables import (
    BARE_REF,
    Table,
    cell,
    measure_column,
    name_and_note,
    read_table,
    ref_column,
)
from ._values import parse_value


@dataclass(kw_only=True)
class Outturn(Record):
    kind: ClassVar[str] = "outturns"
    description: ClassVar[str] = (
        "Rows of performance reports: one indicator's actual, target and RAG status for one "
        "period, linked to the plan KPI it reports on (kpi_id).")
    facets: ClassVar[tuple[str, ...]] = ("period", "status", "direction")
    # as the annotation guide scores them: the plan's measure (so the link to the right
    # KPI counts), the period and the actual as printed
    match_on: ClassVar[tuple[str, ...]] = ("plan_measure", "period", "actual")
    # ... and only with the right plan KPI and the right status
    match_exact: ClassVar[tuple[str, ...]] = ("plan_measure", "status")
    examples: ClassVar[tuple[str, ...]] = (
        """-- Each outturn with the plan KPI it reports on, latest period first.
SELECT o.period, o.ref, k.measure AS plan_measure, o.actual, o.target, o.status,
       o.kpi_score, o.source_id
FROM current_outturns o LEFT JOIN kpis k ON k.id = o.kpi_id
ORDER BY o.period DESC, o.ref;""",)
    ref: str | None = column("The indicator's reference as printed, e.g. TE04", default=None)
    measure: str = column("The indicator as printed (a report may reword the plan's)")
    plan_measure: str | None = column(
        "The measure of the plan KPI it reports on (kpis.measure), filled in when linked",
        default=None)
    period: str | None = column("The period reported, normalised: 2018/19 Q4, or 2018/19 "
                                "for a year", default=None)
    period_raw: str | None = column("The actual column's heading as printed (the "
                                    "period may come from the title)", default=None)
    actual: str | None = column("The actual as printed; null for '-' or an empty cell",
                                default=None)
    actual_value: float | None = column("The actual as a number", default=None)
    actual_unit: str | None = column("Its unit: %, GBP, count", default=None)
    target: str | None = column("The reported period's target as printed; null for '-'",
                                default=None)
    target_value: float | None = column("The target as a number", default=None)
    target_unit: str | None = column("Its unit", default=None)
    status: str | None = column("green, amber or red, from the printed status word (never "
                                "the cell's colour); null for 'No data' or blank",
                                default=None)
    status_raw: str | None = column("The status as printed", default=None)
    direction: str | None = column("The direction of travel as printed (Improving, No "
                                   "change); null for '-'", default=None)
    polarity: str | None = column("increase or reduce, from a 'Good is High/Low' column",
                                  default=None)
    commentary: str | None = column("The commentary cell as printed", default=None)
    kpi_id: str | None = column("The plan KPI it reports on (kpis.id): same council, by "
                                "measure similarity; null when none is close enough",
                                default=None)
    kpi_score: float | None = column("How close its measure is to that KPI's (0-1)",
                                     default=None)
    # last, as it came last: the CSV export's columns keep their places
    definition: str | None = column(MEASURE_DEFINITION, default=None)


@dataclass(kw_only=True)
class ActionUpdate(Record):
    kind: ClassVar[str] = "action_updates"
    description: ClassVar[str] = (
        "Rows of performance reports on a plan's actions: the action's reference, its "
        "status and the update, linked to the plan action (action_id).")
    facets: ClassVar[tuple[str, ...]] = ("status",)
    match_on: ClassVar[tuple[str, ...]] = ("ref", "text")
    match_exact: ClassVar[tuple[str, ...]] = ("ref", "status")
    examples: ClassVar[tuple[str, ...]] = (
        """-- Action updates with the plan action they report on.
SELECT u.ref, u.status, a.text AS action, a.deadline, u.text AS update_text, u.source_id
FROM current_action_updates u LEFT JOIN actions a ON a.id = u.action_id
ORDER BY u.ref;""",)
    ref: str = column("The action's reference as printed, e.g. A.8.2.3")
    status: str | None = column("complete, on track, delayed or not started; null when the "
                                "printed word is none of them", default=None)
    status_raw: str | None = column("The status as printed", default=None)
    text: str | None = column("The update as printed", default=None)
    period: str | None = column("The period the report covers, normalised (2018/19 Q4), "
                                "from the headings above the table or the title",
                                default=None)
    action: str | None = column("The action's text as the report prints it (often "
                                "shortened)", default=None)
    action_id: str | None = column("The plan action it reports on (actions.id): same "
                                   "council, same reference", default=None)


def _blank(text: str | None) -> str | None:
    return None if text is None or clean_cell(text).lower() in lexicon()["blank"] else text


def _polarity(raw: str | None) -> str | None:
    if mentions_any(raw or "", lexicon()["polarity_high"]):
        return "increase"
    if mentions_any(raw or "", lexicon()["polarity_low"]):
        return "reduce"
    return None


def _context(doc: Document, block: Block) -> list[str]:
    """Where a table's period may be named: the headings above it, nearest first, then
    the document's title."""
    return [*reversed(block.section or []), *([doc.title] if doc.title else [])]


def _target_column(table: Table, actual: int) -> int | None:
    """The reported year's target column (or the only one)."""
    found = [i for i in role_columns(table, "target") if i != actual]
    year = financial_year(table.header[actual])
    same = [i for i in found if year and financial_year(table.header[i]) == year]
    return (same or found or [None])[0]


@register
class OutturnExtractor:
    name = "outturns"
    version = "3"
    kinds = ("outturns", "action_updates")

    def extract(self, doc: Document, nlp: Language) -> Iterator[Record]:
        for block in doc.blocks:
            table = read_table(block) if block.kind == "table" else None
            if table is None:
                continue
            if is_outturn_table(table):
                yield from self._outturns(doc, block, table)
            elif is_action_update_table(table):
                yield from self._updates(doc, block, table)

    def _outturns(self, doc: Document, block: Block, table: Table) -> Iterator[Outturn]:
        measure_col = measure_column(table)
        actual_col = actual_column(table, _context(doc, block))
        assert measure_col is not None and actual_col is not None
        status_col = status_column(table, lambda c: True)
        taken = (measure_col, actual_col, status_col)
        target_col = _target_column(table, actual_col)
        ref_col = role_column(table, "ref", exclude=taken)
        direction_col = role_column(table, "direction", exclude=taken)
        commentary_col = role_column(table, "commentary", exclude=(*taken, direction_col))
        polarity_col = role_column(table, "polarity", exclude=taken)
        heading = table.header[actual_col]
        when = period(heading, _context(doc, block))
        for r, row in table.rows:
            measure, definition = name_and_note(row, measure_col)
            if not measure or r in table.groups:
                continue
            actual = _blank(cell(row, actual_col))
            target = _blank(cell(row, target_col))
            status_raw = cell(row, status_col)
            actual_value, actual_unit = parse_value(actual)
            target_value, target_unit = parse_value(target)
            evidence = actual_col if actual else measure_col
            start, end = cell_span(block, r, evidence)
            yield Outturn(
                ref=cell(row, ref_col), measure=measure, definition=definition, period=when,
                period_raw=heading,
                actual=actual, actual_value=actual_value, actual_unit=actual_unit,
                target=target, target_value=target_value, target_unit=target_unit,
                status=rag(status_raw), status_raw=status_raw,
                direction=_blank(cell(row, direction_col)),
                polarity=_polarity(cell(row, polarity_col)),
                commentary=cell(row, commentary_col),
                provenance=provenance(self, doc, block, start, end, "outturn_table_row"))

    def _updates(self, doc: Document, block: Block, table: Table) -> Iterator[ActionUpdate]:
        ref_col = ref_column(table)
        status_col = status_column(table, lambda c: action_status(c) is not None)
        update_col = role_column(table, "update", exclude=(ref_col, status_col))
        action_col = role_column(table, "action", exclude=(ref_col, status_col, update_col))
        when = period(None, _context(doc, block))
        for r, row in table.rows:
            ref = cell(row, ref_col)
            if not ref or not BARE_REF.match(ref) or r in table.groups:
                continue
            text = cell(row, update_col)
            status_raw = cell(row, status_col)
            if status_col is None:
                status_raw, text = leading_status(text)
            start, end = cell_span(block, r, update_col if text else ref_col)
            yield ActionUpdate(
                ref=ref, status=action_status(status_raw), status_raw=status_raw, text=text,
                period=when, action=cell(row, action_col),
                provenance=provenance(self, doc, block, start, end, "action_update_row"))
