"""KPIs: rows of performance-indicator tables, with baseline and per-period targets.

A table is a KPI table when its header names a measure column and a baseline or
target/period column; or, with no measure header, when it names a baseline and periods
over figures, its first column of descriptions being the measure. A row that is one cell
across the table is a sub-heading, not an indicator. Raw cells are kept; numbers and
units are parsed beside them. A KPI card (a heading over labelled figures, ``_cards.py``)
is one indicator too.
"""

from __future__ import annotations

from collections.abc import Iterator

from spacy.language import Language

from pledgeflow.document import Document, cell_span
from pledgeflow.records import Kpi, KpiTarget
from pledgeflow.registry import register

from ._cards import cards
from ._performance import QUARTER, is_outturn_table
from ._rules import clean_cell, load_json, mentions_any, provenance
from ._tables import (
    Table,
    cell,
    is_kpi_table,
    measure_column,
    name_and_note,
    tables_of,
    target_columns,
)
from ._values import parse_value

BLANK = {"", "-", "\u2013", "\u2014", "n/a", "na", "tbc", "tbd"}


def reports_quarters(table: Table) -> bool:
    """Quarters that do not make up a year are a report's results so far, not a plan's
    targets: "Baseline | Q1" (the later quarters not yet reported, or cut off by a
    print), where a plan sets all four ("Q1 | Q2 | Q3 | Q4")."""
    periods = [table.header[i] for i in target_columns(table)]
    quarters = [h for h in periods if QUARTER.fullmatch(" ".join(h.split()))]
    return bool(quarters) and len(quarters) == len(periods) and len(quarters) < 4


def blank_to_none(text: str | None) -> str | None:
    return None if text is None or text.strip().lower() in BLANK else text


def kpi_target(period: str, raw: str | None) -> KpiTarget:
    """A target as printed under its period, with its number and unit ("-", "TBC": none)."""
    value, unit = parse_value(blank_to_none(raw))
    return KpiTarget(period=period, raw=raw, value=value, unit=unit)


def polarity(measure: str) -> str | None:
    words = load_json("targets.lexicon.json")
    if mentions_any(measure, words["reduce_words"]):
        return "reduce"
    if mentions_any(measure, words["increase_words"]):
        return "increase"
    return None


def kpi_flag(raw: str | None) -> bool | None:
    lex = load_json("tables.lexicon.json")
    value = clean_cell(raw).lower()
    if value in lex["kpi_yes"]:
        return True
    if value in lex["kpi_no"]:
        return False
    return None


@register
class KpiExtractor:
    name = "kpis"
    version = "10"
    kinds = ("kpis",)

    def extract(self, doc: Document, nlp: Language) -> Iterator[Kpi]:
        # a report's table of outturns is read by the outturns extractor, not as plan KPIs
        for table in tables_of(doc, lambda t: is_kpi_table(t) and not is_outturn_table(t)
                               and not reports_quarters(t)):
            block = table.block
            measure_col = measure_column(table)
            marker_col = table.column("marker", exclude=(measure_col,))
            baseline_col = table.column("baseline", exclude=(measure_col,))
            periods = [i for i in target_columns(table) if i not in (marker_col, baseline_col)]
            for r, row in table.rows:
                measure, definition = name_and_note(row, measure_col)
                if not measure or r in table.groups:  # a sub-heading row is no indicator
                    continue
                baseline = blank_to_none(cell(row, baseline_col))
                value, unit = parse_value(baseline)
                targets = [kpi_target(table.header[c], cell(row, c)) for c in periods]
                start, end = cell_span(block, r, measure_col)
                yield Kpi(
                    measure=measure, definition=definition, baseline=baseline, baseline_value=value,
                    baseline_unit=unit,
                    kpi=kpi_flag(cell(row, marker_col)) if marker_col is not None else None,
                    polarity=polarity(measure), targets=targets,
                    provenance=provenance(self, doc, block, start, end, "kpi_table_row"),
                )
        for card in cards(doc):
            labelled = card.baseline()
            baseline = blank_to_none(labelled[1] if labelled else None)
            value, unit = parse_value(baseline)
            targets = [kpi_target(label, figure) for label, figure in card.targets()]
            measure = card.heading.text
            yield Kpi(
                measure=measure, baseline=baseline, baseline_value=value,
                baseline_unit=unit, polarity=polarity(measure), targets=targets,
                provenance=provenance(self, doc, card.heading, card.heading.start,
                                      card.last.end, "kpi_card"))
