"""Records extractors produce: one dataclass per kind, each carrying its provenance.

``kind`` names the SQLite table a record is loaded into. A third-party extractor may
define its own Record subclass with a new ``kind``; the loader creates its table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


@dataclass(kw_only=True)
class Provenance:
    document_id: str
    block: int  # index of the block in the parsed document
    page: int | None
    section: str | None
    start: int  # character offsets into the parsed document's text
    end: int
    extractor: str = ""  # filled in by the registry from the extractor that ran
    extractor_version: str = ""
    rule: str = ""  # the pattern or rule id that fired
    ocr: bool = False  # the block was read by OCR from a scanned page (set by the registry)


@dataclass(kw_only=True)
class Record:
    kind: ClassVar[str] = "records"
    provenance: Provenance

    def content(self) -> dict[str, Any]:
        """The record's own fields (no provenance), in declaration order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "provenance"}

    def key(self) -> str:
        """A stable id: the same record from the same bytes always gets the same id."""
        p = self.provenance
        raw = "|".join(
            str(x) for x in (p.document_id, self.kind, p.extractor, p.rule, p.block, p.start, p.end,
                             self.identity())
        )
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    def identity(self) -> str:
        """What tells two records of one kind apart at the same place."""
        return str(next(iter(self.content().values()), ""))

    def row(self) -> dict[str, Any]:
        """The record as a database row: id, its fields, then its provenance."""
        p = self.provenance
        row: dict[str, Any] = {"id": self.key(), "document_id": p.document_id}
        row.update(self.content())
        row.update(
            block=p.block, page=p.page, section=p.section, start=p.start, end=p.end,
            extractor=p.extractor, extractor_version=p.extractor_version, rule=p.rule,
            ocr=int(p.ocr),
        )
        return row

    def children(self) -> dict[str, list[dict[str, Any]]]:
        """Rows for child tables (table name -> rows); each row gets the parent's id."""
        return {}


@dataclass(kw_only=True)
class Pledge(Record):
    kind: ClassVar[str] = "pledges"
    text: str
    lead_in: str | None = None
    section: str | None = None
    pledge_kind: str | None = None  # "action" (do something) or "outcome" (a state of things)
    specific: bool | None = None  # could its fulfilment be checked objectively?
    topic: str | None = None  # policy area, from extractors/topics.json

    def content(self) -> dict[str, Any]:
        # Stored as the column "kind": the attribute name is taken by the record kind.
        data = super().content()
        data["kind"] = data.pop("pledge_kind")
        return {k: data[k] for k in ("text", "lead_in", "section", "kind", "specific", "topic")}


@dataclass(kw_only=True)
class Target(Record):
    kind: ClassVar[str] = "targets"
    text: str
    value: float | None = None
    unit: str | None = None
    comparator: str | None = None  # e.g. "at least", "increase by", "reduce to", "additional"
    direction: str | None = None  # "increase", "reduce" or None when the text does not say
    measure: str | None = None
    year: int | None = None
    pledge_id: str | None = None  # the pledge whose sentence states this target

    def identity(self) -> str:
        # one sentence may aim for two quantities ("50 more nurses and 20 more GPs"):
        # both are targets, with the same text
        return f"{self.text}|{self.value}|{self.unit}|{self.measure}"


@dataclass(kw_only=True)
class KpiTarget:
    period: str  # the column heading, e.g. "2018/19 Target"
    raw: str | None  # the cell as printed; None when the cell is blank
    value: float | None = None
    unit: str | None = None


@dataclass(kw_only=True)
class Kpi(Record):
    kind: ClassVar[str] = "kpis"
    measure: str
    baseline: str | None = None
    baseline_value: float | None = None
    baseline_unit: str | None = None
    kpi: bool | None = None  # the table's own KPI marker, when it has one
    polarity: str | None = None  # "increase" or "reduce", from the measure's wording
    targets: list[KpiTarget] = field(default_factory=list)

    def content(self) -> dict[str, Any]:
        data = super().content()
        del data["targets"]
        return data

    def children(self) -> dict[str, list[dict[str, Any]]]:
        rows = []
        for position, t in enumerate(self.targets):
            rows.append({"position": position, "period": t.period, "raw": t.raw,
                         "value": t.value, "unit": t.unit})
        return {"kpi_targets": rows}


@dataclass(kw_only=True)
class Action(Record):
    kind: ClassVar[str] = "actions"
    ref: str
    text: str
    deadline: str | None = None  # as printed: "March 2020", "Ongoing", ...
    deadline_date: str | None = None  # ISO "YYYY-MM" or "YYYY" when the deadline names one
    owners: str | None = None  # as printed
    owners_list: list[str] = field(default_factory=list)
    initiative: str | None = None


@dataclass(kw_only=True)
class Risk(Record):
    kind: ClassVar[str] = "risks"
    risk: str
    mitigation: str | None = None
    owner: str | None = None
