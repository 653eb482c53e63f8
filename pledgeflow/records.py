"""Records extractors produce: one dataclass per kind, each carrying its provenance.

A Record subclass is the one declaration of its kind. ``kind`` names its SQLite table;
each field, declared with :func:`column`, is a column with its description; class
variables give the table's title, description, facets, full-text columns, the fields
``pledgeflow eval`` matches it on, and the CSV export's columns. The schema, the
``current_*`` views, the JSON and CSV exports, Datasette's notes, ``eval`` and
docs/schema.md are all made from it (:func:`columns`, :func:`children`). A third-party
extractor declares its kind the same way, and subclassing registers it (:func:`kind_class`).
"""

from __future__ import annotations

import functools
import hashlib
import typing
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any, ClassVar


def column(doc: str, *, default: Any = MISSING, default_factory: Any = MISSING,
           name: str | None = None, export: str | None = "", child: bool = False) -> Any:
    """A record field with its column's description.

    ``name``: the column's name when it is not the field's; ``export``: the JSON export's
    key ("" = the column's name, None = left out); ``child``: a list of rows of a child
    table (a dataclass with ``table``, ``title``, ``description`` and ``facets`` class
    variables, and ``export_as = "pairs"`` to export its rows as {first column: second}),
    loaded one row per item."""
    metadata = {"doc": doc, "column": name, "export": export, "child": child}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(kw_only=True)
class Provenance:
    document_id: str = column("The document (sha256 of its bytes) it came from")
    block: int = column("Index of the block it was found in (blocks.idx)")
    page: int | None = column("Page of that block (PDFs only)")
    section: str | None = column("The nearest heading above it")
    start: int = column("Start of the evidence, in characters into the parsed document")
    end: int = column("End of the evidence, in characters into the parsed document")
    extractor: str = column("The extractor that found it", default="")  # set by the registry
    extractor_version: str = column("Version of that extractor", default="")
    rule: str = column("The rule or pattern that fired (see docs/rules.md)", default="")
    # the block was read by OCR from a scanned page (set by the registry)
    ocr: bool = column("1 when its block was read by OCR from a scanned page "
                       "(docs/parsing.md), else 0; null in rows loaded before this column",
                       default=False)


# The columns every record table has besides its kind's own and its provenance's.
ID_DOC = "The record's stable id: same bytes, extractor, rule and place give the same id"
BLOCK_ID_DOC = "The block it was found in (blocks.id); null if no block of that index"
_TYPES = {str: "TEXT", int: "INTEGER", float: "REAL", bool: "INTEGER"}


@dataclass(frozen=True)
class Column:
    """One column of a kind's table, as its declaration says."""

    name: str  # the column's name
    field: str  # the dataclass field it comes from
    type: type  # what SQLite stores: str, int or float (bool as int, lists as JSON text)
    sql: str  # TEXT, INTEGER (0/1), REAL, TEXT (JSON list), ...
    nullable: bool
    doc: str
    export: str | None  # the JSON export's key; None: not exported
    is_bool: bool = False
    is_json: bool = False


@dataclass(frozen=True)
class Child:
    """A child table of a kind: one row per item of a list field, keyed to its parent."""

    table: str
    field: str
    parent_key: str  # the column holding the parent record's id, e.g. kpi_id
    row: type  # the dataclass of one item
    columns: tuple[Column, ...]


def _column(f: Field, hint: Any) -> Column:
    args = typing.get_args(hint)
    nullable = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if nullable else hint
    origin = typing.get_origin(base) or base
    is_json = origin in (list, dict, tuple)
    python_type = str if is_json or origin not in _TYPES else origin
    sql = ("TEXT (JSON list)" if origin in (list, tuple) else "TEXT (JSON object)" if is_json
           else "INTEGER (0/1)" if origin is bool else _TYPES.get(origin, "TEXT"))
    meta = f.metadata
    name = meta.get("column") or f.name
    export = meta.get("export", "")
    return Column(name=name, field=f.name, type=int if python_type is bool else python_type,
                  sql=sql + (", nullable" if nullable else ""), nullable=nullable,
                  doc=meta.get("doc", ""), export=name if export == "" else export,
                  is_bool=origin is bool, is_json=is_json)


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - an annotation that does not resolve is stored as text
        return {}


def _own_fields(cls: type) -> list[tuple[Field, Any]]:
    hints = _hints(cls)
    return [(f, hints.get(f.name, str)) for f in fields(cls) if f.name != "provenance"]


@functools.cache
def columns(cls: type) -> tuple[Column, ...]:
    """A kind's own columns, in declaration order (not its child tables' fields)."""
    return tuple(_column(f, hint) for f, hint in _own_fields(cls) if not f.metadata.get("child"))


@functools.cache
def provenance_columns() -> tuple[Column, ...]:
    """The columns every record carries from its Provenance."""
    return tuple(_column(f, hint) for f, hint in _own_fields(Provenance))


def singular(table: str) -> str:
    """kpis -> kpi, policies -> policy: the name of a parent's id column in a child table."""
    if table.endswith("ies"):
        return table[:-3] + "y"
    return table[:-1] if table.endswith("s") else table


@functools.cache
def child_tables(cls: type) -> tuple[Child, ...]:
    """A kind's declared child tables."""
    out = []
    for f, hint in _own_fields(cls):
        if not f.metadata.get("child"):
            continue
        (row,) = typing.get_args(hint)
        out.append(Child(table=row.table, field=f.name, parent_key=f"{singular(cls.kind)}_id",
                         row=row, columns=tuple(_column(g, h) for g, h in _own_fields(row))))
    return tuple(out)


def csv_columns(cls: type) -> tuple[str, ...]:
    """The CSV export's own columns of a kind: its ``csv`` declaration, or id and every
    column but section (a context column of every CSV file) and JSON ones."""
    if cls.csv is not None:
        return cls.csv
    return ("id", *(c.name for c in columns(cls) if c.name != "section" and not c.is_json))


_kinds: dict[str, type[Record]] = {}


def kind_class(kind: str) -> type[Record] | None:
    """The Record subclass that declares ``kind``, once its module is imported."""
    return _kinds.get(kind)


@dataclass(kw_only=True)
class Record:
    kind: ClassVar[str] = "records"  # the table its records go into
    title: ClassVar[str] = ""  # the table's title in Datasette; default: from the kind
    description: ClassVar[str] = ""  # what one row is (Datasette, docs/schema.md)
    facets: ClassVar[tuple[str, ...]] = ()  # columns Datasette offers facets on
    fts: ClassVar[tuple[str, ...]] = ()  # columns of its full-text index, if it has one
    match_on: ClassVar[tuple[str, ...]] = ()  # export keys eval matches on; default: the first
    # export keys that must be equal (after normalising) for eval to match at all
    match_exact: ClassVar[tuple[str, ...]] = ()
    csv: ClassVar[tuple[str, ...] | None] = None  # CSV columns; default: csv_columns()
    examples: ClassVar[tuple[str, ...]] = ()  # SQL for docs/schema.md (tests/test_db.py runs it)
    notes: ClassVar[str] = ""  # more for docs/schema.md, in Markdown
    provenance: Provenance

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:  # a class that declares a kind (not one that reuses one)
            _kinds[cls.kind] = cls

    @classmethod
    def table_title(cls) -> str:
        return cls.title or cls.kind.replace("_", " ").capitalize()

    @classmethod
    def match_keys(cls) -> tuple[str, ...]:
        first = next((c.export for c in columns(cls) if c.export), "")
        return cls.match_on or (first,)

    def content(self) -> dict[str, Any]:
        """The record's own columns (no provenance, no child rows), in declaration order."""
        return {c.name: getattr(self, c.field) for c in columns(type(self))}

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
        return {child.table: [{"position": n, **{c.name: getattr(item, c.field)
                                                 for c in child.columns}}
                              for n, item in enumerate(getattr(self, child.field))]
                for child in child_tables(type(self))}


@dataclass(kw_only=True)
class Pledge(Record):
    kind: ClassVar[str] = "pledges"
    description: ClassVar[str] = (
        "Commitments, one per sentence or list item, with where each came from (document, "
        "page, section, character offsets, rule).")
    facets: ClassVar[tuple[str, ...]] = ("topic", "kind", "specific", "section")
    fts: ClassVar[tuple[str, ...]] = ("text",)
    examples: ClassVar[tuple[str, ...]] = (
        """-- Pledges of one council, by section, with the source URL.
SELECT s.id AS source, s.url, p.section, p.text
FROM pledges p
JOIN source_documents l ON l.document_id = p.document_id AND l.current = 1
JOIN sources s ON s.id = l.source_id
WHERE s.council = 'Cheshire West and Chester'
ORDER BY s.id, p.section, p.start;""",
        """-- Pledges about schools, through the full-text index.
SELECT p.text, p.section FROM pledges_fts
JOIN pledges p ON p.rowid = pledges_fts.rowid
WHERE pledges_fts MATCH 'school'
ORDER BY rank;""")
    notes: ClassVar[str] = (
        "`MATCH` takes FTS5 query syntax, so text as a person typed it can be a syntax error\n"
        "(`children's`, `COVID-19`, `\"unbalanced`, `schools OR`, or nothing at all). Quote "
        "each\nword first (`\"children's\" \"COVID-19\"`, a `\"` inside a word doubled) and "
        "search for\n`'\"\"'`, which finds nothing, when no word is left. Inside Datasette, "
        "`escape_fts(:term)`\ndoes the quoting; the canned query \"Pledges mentioning a term\" "
        "shows the whole\nexpression, which also reads line breaks as spaces.")
    text: str = column("The pledge as written")
    lead_in: str | None = column("The sentence introducing the list it came from "
                                 "(\"We will:\")", default=None)
    # The loaded row's section is its provenance's: this field is not stored.
    section: str | None = column("The nearest heading above it", default=None)
    # Stored as the column "kind": the attribute name is taken by the record kind.
    pledge_kind: str | None = column(
        "action (the author will do something) or outcome (a state of things)",
        name="kind", default=None)
    specific: bool | None = column(
        "1 when its fulfilment could be checked objectively (a number, amount, date, named "
        "programme, body, place or rating)", default=None)
    topic: str | None = column(
        "Policy area: education, children and families, housing, transport, environment and "
        "climate, economy and jobs, health and care, community safety, council and "
        "democracy, other (see docs/rules.md)", default=None)


@dataclass(kw_only=True)
class Target(Record):
    kind: ClassVar[str] = "targets"
    description: ClassVar[str] = ("Quantified goals stated in pledges (\"build 1,000 homes by "
                                  "2025\"): value, unit, year.")
    facets: ClassVar[tuple[str, ...]] = ("unit", "year", "direction")
    # CSV schema version 1 put pledge_id first
    csv: ClassVar[tuple[str, ...] | None] = (
        "id", "pledge_id", "text", "value", "unit", "comparator", "direction", "measure", "year")
    examples: ClassVar[tuple[str, ...]] = ("""-- Targets due by 2030, soonest first.
SELECT t.year, t.comparator, t.value, t.unit, t.measure, t.source_id
FROM current_targets t
WHERE t.year <= 2030
ORDER BY t.year, t.measure;""",)
    text: str = column("The sentence stating it")
    value: float | None = column("The number, as stated", default=None)
    unit: str | None = column("%, GBP (also EUR, USD, ...), or count", default=None)
    comparator: str | None = column("at least, more than, up to, additional, reduce to, ...",
                                    default=None)
    direction: str | None = column("increase or reduce, from the pledge's verbs (percentages "
                                   "and counts); null when the text does not say", default=None)
    measure: str | None = column("What is measured", default=None)
    year: int | None = column("The year it is due", default=None)
    pledge_id: str | None = column("The pledge whose sentence states it (pledges.id)",
                                   default=None, export=None)

    def identity(self) -> str:
        # one sentence may aim for two quantities ("50 more nurses and 20 more GPs"):
        # both are targets, with the same text
        return f"{self.text}|{self.value}|{self.unit}|{self.measure}"


@dataclass(kw_only=True)
class KpiTarget:
    table: ClassVar[str] = "kpi_targets"
    title: ClassVar[str] = "KPI targets"
    description: ClassVar[str] = ("The target cells of a KPI row, one row per KPI and target "
                                  "column: the raw cell and its parsed value and unit.")
    facets: ClassVar[tuple[str, ...]] = ("period", "unit")
    # exported as {period: raw cell}, as the annotation guide writes a KPI's targets
    export_as: ClassVar[str] = "pairs"
    period: str = column("The column heading, e.g. 2018/19 Target")
    raw: str | None = column("The cell as printed; null when the cell is blank")
    value: float | None = column("Its number", default=None)
    unit: str | None = column("Its unit", default=None)


# A KPI's and an outturn's ``definition`` column
MEASURE_DEFINITION = ("What the measure's cell sets apart under it in smaller type (a "
                      "definition, a data source); null when nothing is")


@dataclass(kw_only=True)
class Kpi(Record):
    kind: ClassVar[str] = "kpis"
    title: ClassVar[str] = "KPIs"
    description: ClassVar[str] = ("Rows of performance-indicator (KPI) tables in council "
                                  "plans; their target columns are in kpi_targets.")
    facets: ClassVar[tuple[str, ...]] = ("kpi", "polarity")
    # matched on the whole row as printed: measure, baseline and every target cell
    match_on: ClassVar[tuple[str, ...]] = ("measure", "baseline", "targets")
    # CSV schema version 1 put kpi before the baseline
    csv: ClassVar[tuple[str, ...] | None] = (
        "id", "measure", "kpi", "baseline", "baseline_value", "baseline_unit", "polarity",
        "definition")
    examples: ClassVar[tuple[str, ...]] = (
        """-- Each KPI with its baseline and its targets side by side.
SELECT k.measure, k.baseline,
       (SELECT group_concat(period || ': ' || coalesce(raw, '-'), '; ')
        FROM (SELECT period, raw FROM kpi_targets t
              WHERE t.kpi_id = k.id ORDER BY t.position)) AS targets
FROM kpis k
ORDER BY k.document_id, k.start;""",)
    measure: str = column("The indicator: what is measured")
    definition: str | None = column(MEASURE_DEFINITION, default=None)
    baseline: str | None = column("The baseline cell as printed", default=None)
    baseline_value: float | None = column("The baseline as a number", default=None,
                                          export=None)
    baseline_unit: str | None = column("Unit of the baseline", default=None, export=None)
    kpi: bool | None = column("1 where the table marks the row as a KPI, when it has such a "
                              "marker", default=None)
    polarity: str | None = column("increase or reduce, from the measure's wording",
                                  default=None)
    # exported as period -> raw cell
    targets: list[KpiTarget] = column("The target cells, period -> the cell as printed",
                                      default_factory=list, child=True)


@dataclass(kw_only=True)
class Action(Record):
    kind: ClassVar[str] = "actions"
    description: ClassVar[str] = ("Numbered actions of delivery plans: reference, deadline, "
                                  "owners.")
    facets: ClassVar[tuple[str, ...]] = ("initiative", "deadline")
    match_on: ClassVar[tuple[str, ...]] = ("text",)
    examples: ClassVar[tuple[str, ...]] = (
        """-- Actions due in 2020, with each owner on its own row.
SELECT a.ref, a.deadline, a.text, o.value AS owner
FROM actions a, json_each(a.owners_list) o
WHERE substr(a.deadline_date, 1, 4) = '2020'
ORDER BY a.deadline_date, a.ref;""",)
    ref: str = column("The action's reference, e.g. 1.3 or A.8.1.1", export="id")
    text: str = column("The action")
    deadline: str | None = column("The deadline as printed: March 2020, Ongoing, ...",
                                  default=None)
    deadline_date: str | None = column("ISO YYYY-MM or YYYY when the deadline names one",
                                       default=None)
    owners: str | None = column("The owners as printed", default=None)
    owners_list: list[str] = column("The owners split into names", default_factory=list)
    initiative: str | None = column("The initiative or theme it belongs to", default=None)


@dataclass(kw_only=True)
class Risk(Record):
    kind: ClassVar[str] = "risks"
    description: ClassVar[str] = "Rows of risk registers: risk, mitigation, owner."
    facets: ClassVar[tuple[str, ...]] = ("owner",)
    examples: ClassVar[tuple[str, ...]] = ("""-- Risks with their mitigation and owner, per source.
SELECT r.source_id, r.risk, r.mitigation, r.owner
FROM current_risks r
ORDER BY r.source_id, r.start;""",)
    risk: str = column("The risk")
    mitigation: str | None = column("How it is mitigated", default=None)
    owner: str | None = column("Who owns it", default=None)


# The kinds every pledgeflow database has tables for, in the order they are documented.
BUILTIN_KINDS: dict[str, type[Record]] = {c.kind: c for c in (Pledge, Target, Kpi, Action, Risk)}
