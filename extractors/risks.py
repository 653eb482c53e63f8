"""Risks: rows of a risk register (risk, mitigation, owner), in any column order."""

from __future__ import annotations

from collections.abc import Iterator

from spacy.language import Language

from pledgeflow.document import Document, cell_span
from pledgeflow.records import Risk
from pledgeflow.registry import register

from ._rules import provenance
from ._tables import cell, is_risk_table, tables_of


@register
class RiskExtractor:
    name = "risks"
    version = "3"
    kinds = ("risks",)

    def extract(self, doc: Document, nlp: Language) -> Iterator[Risk]:
        for table in tables_of(doc, is_risk_table):
            block = table.block
            risk_col = table.column("risk")
            mitigation_col = table.column("mitigation", exclude=(risk_col,))
            owner_col = table.column("owner", exclude=(risk_col, mitigation_col))
            for r, row in table.rows:
                risk = cell(row, risk_col)
                if not risk:
                    continue
                start, end = cell_span(block, r, risk_col)
                yield Risk(
                    risk=risk, mitigation=cell(row, mitigation_col), owner=cell(row, owner_col),
                    provenance=provenance(self, doc, block, start, end, "risk_register_row"),
                )
