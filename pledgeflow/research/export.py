"""Export the database as one JSON file per source, in the annotation (gold) format.

Each record kind is exported as its declaration says (pledgeflow/records.py): every
column with an export key, booleans as booleans, JSON columns decoded, child rows as a
list (a KPI's target cells as period -> raw cell). Provenance is added under
``provenance`` so every item can be traced back. Kinds of installed extractors are
exported like the built-ins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlite_utils

from pledgeflow.records import (
    Child,
    Record,
    child_tables,
    columns,
    csv_columns,
    provenance_columns,
)

Kinds = Mapping[str, type[Record]]


def known_kinds() -> dict[str, type[Record]]:
    """The built-in kinds and those of every installed extractor."""
    from pledgeflow.registry import record_kinds  # loads the extractors: only when asked

    return record_kinds()


def _provenance(row: dict) -> dict:
    return {c.name: _value(c.is_bool, c.is_json, row[c.name])
            for c in provenance_columns() if c.name in row}


def _value(is_bool: bool, is_json: bool, value: Any) -> Any:
    if value is None:
        return [] if is_json else None
    if is_bool:
        return bool(value)
    return json.loads(value) if is_json and isinstance(value, str) else value


def _rows(db: sqlite_utils.Database, table: str, document_id: str) -> list[dict]:
    if not db.table(table).exists():
        return []
    return list(db.query(f'select * from "{table}" where document_id = ? '
                         'order by block, start', [document_id]))


def _child_items(db: sqlite_utils.Database, child: Child, parent_id: str) -> Any:
    if not db.table(child.table).exists():
        return []
    rows = list(db.query(f'select * from "{child.table}" where "{child.parent_key}" = ? '
                         "order by position", [parent_id]))
    names = [c.name for c in child.columns]
    # "pairs": the first column names the second's value (a KPI's period -> raw cell)
    if getattr(child.row, "export_as", "rows") == "pairs":
        return {r[names[0]]: r[names[1]] for r in rows}
    return [{c.export: _value(c.is_bool, c.is_json, r.get(c.name)) for c in child.columns
             if c.export} for r in rows]


def export_record(db: sqlite_utils.Database, cls: type[Record], row: dict) -> dict:
    """One stored record in the export format of its kind."""
    item = {c.export: _value(c.is_bool, c.is_json, row.get(c.name))
            for c in columns(cls) if c.export}
    for child in child_tables(cls):
        item[child.field] = _child_items(db, child, row["id"])
    item["provenance"] = _provenance(row)
    return item


def source_records(db: sqlite_utils.Database, source_id: str,
                   kinds: Kinds | None = None) -> dict:
    """The records of one source's current version, in the gold format, a list per kind
    (``kinds``: default, the built-ins and every installed extractor's). A source whose
    pages were found by discovery gives the records of every current page, in page order."""
    kinds = known_kinds() if kinds is None else kinds
    docs = list(db.query("select * from current_documents where source_id = ? "
                         "order by coalesce(part, 0)", [source_id]))
    out: dict = {"source": source_id, "document": docs[0]["id"] if docs else None,
                 "url": docs[0]["url"] if docs else None,
                 "documents": [{"id": d["id"], "url": d["url"]} for d in docs]}
    for kind, cls in kinds.items():
        out[kind] = [export_record(db, cls, row) for doc in docs
                     for row in _rows(db, kind, doc["id"])]
    return out


def export_json(db: sqlite_utils.Database, out_dir: Path,
                kinds: Kinds | None = None) -> list[Path]:
    """Write ``<source id>.json`` for every source; returns the files written."""
    kinds = known_kinds() if kinds is None else kinds
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in db.query("select id from sources order by id"):
        path = out_dir / f"{source['id']}.json"
        data = source_records(db, source["id"], kinds)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


# The CSV export's schema: one file per kind (and per child table), the columns each
# kind declares, in that order. Bump the version when a column is renamed or removed
# (adding one at the end is compatible).
CSV_SCHEMA_VERSION = 1
CONTEXT = ("source_id", "organisation", "council", "party", "url", "document_id", "page",
           "section")
PROVENANCE_COLUMNS = ("start", "end", "extractor", "extractor_version", "rule", "ocr")


def csv_files(kinds: Kinds) -> list[tuple[str, tuple[str, ...], Child | None, str]]:
    """(table, own columns, child declaration or None, parent kind) per CSV file, in order:
    each kind, then its child tables."""
    files: list[tuple[str, tuple[str, ...], Child | None, str]] = []
    for kind, cls in kinds.items():
        files.append((kind, csv_columns(cls), None, kind))
        for child in child_tables(cls):
            files.append((child.table, ("id", child.parent_key,
                                        *(c.name for c in child.columns)), child, kind))
    return files


def _csv_query(db: sqlite_utils.Database, table: str, own: tuple[str, ...],
               child: Child | None, parent: str) -> str:
    provenance = () if child else PROVENANCE_COLUMNS
    held = set(db.table(table).columns_dict)
    # a database made before a column was added (ocr) gives it as empty until it loads
    cells = ", ".join(f'r."{c}"' if c in held else f'null as "{c}"' for c in (*own, *provenance))
    # a child row's page, section and place are its parent record's
    at = "k" if child else "r"
    join_parent = f'join "{parent}" k on k.id = r."{child.parent_key}"' if child else ""
    order = "k.block, k.start, r.position" if child else "r.block, r.start"
    # current_<table> has a row per source serving the record's document: each source's
    # rows carry its own URL and part; rows in document order
    return (f"select s.id as source_id, s.organisation, s.council, s.party, d.url, "
            f"d.id as document_id, {at}.page, {at}.section, {cells} "
            f'from "current_{table}" r {join_parent} '
            f"join current_documents d on d.id = r.document_id and d.source_id = r.source_id "
            f"join sources s on s.id = r.source_id "
            f"order by s.id, d.part, {order}")


def export_csv(db: sqlite_utils.Database, out_dir: Path,
               kinds: Kinds | None = None) -> list[Path]:
    """Write ``<kind>.csv`` for every kind and child table: the current records of every
    source, each row with its source, document, page and section, and (for records) its
    provenance. A kind with no table yet (its extractor never ran) gives a header alone."""
    import csv

    kinds = known_kinds() if kinds is None else kinds
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table, own, child, parent in csv_files(kinds):
        provenance = () if child else PROVENANCE_COLUMNS
        path = out_dir / f"{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*CONTEXT, *own, *provenance])
            if db.table(table).exists() and db.view(f"current_{table}").exists():
                writer.writerows(db.execute(_csv_query(db, table, own, child, parent)))
        written.append(path)
    return written
