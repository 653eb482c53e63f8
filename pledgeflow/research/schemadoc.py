"""docs/schema.md's record tables, written from the record kinds' declarations.

The part of docs/schema.md between the two markers below is generated: ``pledgeflow
schema-doc`` writes it again, and ``pledgeflow schema-doc --check`` (run by the tests)
fails when the committed page no longer says what the declarations say. The rest of
the page (pledgeflow's own tables, keys, guarantees) is written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping

from pledgeflow.records import (
    BLOCK_ID_DOC,
    ID_DOC,
    Child,
    Column,
    Record,
    child_tables,
    columns,
    provenance_columns,
)

BEGIN = ("<!-- Record tables: generated from the record kinds' declarations by "
         "`pledgeflow schema-doc`; edit the declarations, not this part. -->")
END = "<!-- End of the generated record tables. -->"

INTRO = """### Record tables

Extracted records, one table per kind. Each kind is declared once, as a `Record` class
(`pledgeflow/records.py` for the built-ins, an extractor's own module for a kind of its
own; see docs/extractors.md): its fields are its columns, with their descriptions, and
the class says its table's description, full-text columns, export and `eval` keys. Every
record table has these columns, besides the kind's own (listed per table below):"""

COMMON_EXAMPLE = """-- Pledges per source, and how many of them were read by OCR from scanned pages
-- (worth a look by eye: OCR can misread a figure).
SELECT p.source_id, count(*) AS pledges, sum(p.ocr = 1) AS read_by_ocr
FROM current_pledges p
GROUP BY p.source_id
ORDER BY p.source_id;"""

OUTRO = """Each kind also has a view `current_<kind>` (and `current_<child table>`): its rows in the
documents sources serve now, with the `source_id` of each source serving them. A kind
that only an installed extractor produces gets its table, indexes, full-text index and
`current_` views from its declaration at its first load (new fields later add columns),
and is exported, described in `pledgeflow browse` and scored by `pledgeflow eval` like
a built-in kind."""


def _row(name: str, sql: str, doc: str) -> str:
    return f"| `{name}` | {sql} | {doc} |"


def _table(rows: list[str]) -> list[str]:
    return ["| Column | Type | Holds |", "| --- | --- | --- |", *rows]


def _common_rows() -> list[str]:
    rows = [_row("id", "TEXT, primary key", ID_DOC),
            _row("document_id", "TEXT, FK `documents.id`", "The document it was found in")]
    for c in provenance_columns():
        if c.name == "document_id":
            continue
        if c.name == "ocr":  # block_id sits before ocr in every record table
            rows.append(_row("block_id", "TEXT, FK `blocks.id`, nullable", BLOCK_ID_DOC))
        rows.append(_column_row(c))
    return rows


def _column_row(c: Column) -> str:
    return _row(c.name, c.sql, c.doc)


def _sql(example: str) -> list[str]:
    return ["```sql", example, "```", ""]


def _child_section(cls: type[Record], child: Child) -> list[str]:
    row = child.row
    lines = [f"#### {child.table}", "", getattr(row, "description", ""), ""]
    lines += _table([
        _row("id", "TEXT, primary key", f"`<{child.parent_key}>:<position>`"),
        _row(child.parent_key, f"TEXT, FK `{cls.kind}.id`", f"the record of `{cls.kind}` "
             "it belongs to"),
        _row("document_id", "TEXT, FK `documents.id`", "its document"),
        _row("position", "INTEGER", "0-based order of the item in its record"),
        *(_column_row(c) for c in child.columns)])
    return [*lines, ""]


def kind_section(cls: type[Record]) -> list[str]:
    """One kind's part of the page: description, columns, examples, child tables."""
    description = cls.description
    if cls.fts:
        names = " and ".join(f"`{c}`" for c in cls.fts)
        description += f" Full-text index `{cls.kind}_fts` over {names}."
    lines = [f"#### {cls.kind}", "", description, ""]
    common = {c.name for c in provenance_columns()}
    # a field named like a provenance column (a pledge's section) is stored as that column
    lines += _table([_column_row(c) for c in columns(cls) if c.name not in common])
    lines.append("")
    children = child_tables(cls)
    if children:
        lines += [f"Its {', '.join(c.field for c in children)} are rows of "
                  f"{', '.join(f'`{c.table}`' for c in children)}.", ""]
    for example in cls.examples:
        lines += _sql(example)
    if cls.notes:
        lines += [cls.notes, ""]
    for child in children:
        lines += _child_section(cls, child)
    return lines


def record_tables(kinds: Mapping[str, type[Record]]) -> str:
    """The generated part of docs/schema.md, markers included."""
    lines = [BEGIN, "", INTRO, "", *_table(_common_rows()), "", *_sql(COMMON_EXAMPLE),
             OUTRO, ""]
    for cls in kinds.values():
        lines += kind_section(cls)
    return "\n".join([*lines, END])


def update(page: str, kinds: Mapping[str, type[Record]]) -> str:
    """``page`` with its generated part written again from ``kinds``."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise ValueError("the page has no generated record tables part (its markers are "
                         f"{BEGIN!r} and {END!r})")
    return page[:start] + record_tables(kinds) + page[end + len(END):]
