"""Risks: rows of a risk register (risk, mitigation, owner), in any column order."""

from __future__ import annotations

from collections.abc import Iterator

from spacy.language import Language

from pledgeflow.document import Document, cell_span
from pledgeflow.records import Provenance, Risk
from pledgeflow.registry import register

from ._tables import cell, is_risk_table, read_table


@register
class RiskExtractor:
    name = "risks"
    version = "1"
    kinds = ("risks",)

    def extract(self, doc: Document, nlp: Language) -> Iterator[Risk]:
        for block in doc.blocks:
            if block.kind != "table":
                continue
            table = read_table(block)
            if table is None or not is_risk_table(table):
                continue
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
                    provenance=Provenance(document_id=doc.id, block=block.index, page=block.page,
                                          section=block.heading, start=start, end=end,
                                          rule="risk_register_row"),
                )
