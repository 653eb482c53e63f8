"""Export the database as one JSON file per source, in the annotation (gold) format.

Field names follow ``GUIDE.md``: pledges (text, lead_in, section), targets (text,
value, unit, measure, year), kpis (measure, kpi, baseline, targets: period -> raw
cell), actions (id, text, deadline, owners, initiative), risks (risk, mitigation,
owner). Provenance is added under ``provenance`` so every item can be traced back.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

PROVENANCE = ("document_id", "block", "page", "section", "start", "end", "extractor",
              "extractor_version", "rule", "ocr")


def _provenance(row: dict) -> dict:
    out = {k: row[k] for k in PROVENANCE if k in row}
    if "ocr" in out:
        out["ocr"] = bool(out["ocr"])
    return out


def _bool(value) -> bool | None:
    return None if value is None else bool(value)


def _rows(db: sqlite_utils.Database, table: str, document_id: str) -> list[dict]:
    if not db.table(table).exists():
        return []
    return list(db.query(f'select * from "{table}" where document_id = ? '
                         'order by block, start', [document_id]))


def source_records(db: sqlite_utils.Database, source_id: str) -> dict:
    """The records of one source's current version, in the gold format. A source whose
    pages were found by discovery gives the records of every current page, in page order."""
    docs = list(db.query("select * from current_documents where source_id = ? "
                         "order by coalesce(part, 0)", [source_id]))
    out: dict = {"source": source_id, "document": docs[0]["id"] if docs else None,
                 "url": docs[0]["url"] if docs else None,
                 "documents": [{"id": d["id"], "url": d["url"]} for d in docs],
                 "pledges": [], "targets": [], "kpis": [], "actions": [], "risks": []}
    for doc in docs:
        _add_records(db, doc["id"], out)
    return out


def _add_records(db: sqlite_utils.Database, did: str, out: dict) -> None:
    out["pledges"] += [{"text": r["text"], "lead_in": r["lead_in"], "section": r["section"],
                       "kind": r.get("kind"), "specific": _bool(r.get("specific")),
                       "topic": r.get("topic"), "provenance": _provenance(r)}
                      for r in _rows(db, "pledges", did)]
    out["targets"] += [{"text": r["text"], "value": r["value"], "unit": r["unit"],
                       "measure": r["measure"], "year": r["year"],
                       "comparator": r.get("comparator"), "direction": r.get("direction"),
                       "provenance": _provenance(r)}
                      for r in _rows(db, "targets", did)]
    for r in _rows(db, "kpis", did):
        cells = db.query("select period, raw from kpi_targets where kpi_id = ? order by position",
                         [r["id"]])
        out["kpis"].append({
            "measure": r["measure"], "kpi": None if r["kpi"] is None else bool(r["kpi"]),
            "baseline": r["baseline"], "targets": {c["period"]: c["raw"] for c in cells},
            "polarity": r.get("polarity"), "provenance": _provenance(r)})
    out["actions"] += [{"id": r["ref"], "text": r["text"], "deadline": r["deadline"],
                       "deadline_date": r.get("deadline_date"), "owners": r["owners"],
                       "owners_list": json.loads(r["owners_list"] or "[]"),
                       "initiative": r["initiative"], "provenance": _provenance(r)}
                      for r in _rows(db, "actions", did)]
    out["risks"] += [{"risk": r["risk"], "mitigation": r["mitigation"], "owner": r["owner"],
                     "provenance": _provenance(r)} for r in _rows(db, "risks", did)]


def export_json(db: sqlite_utils.Database, out_dir: Path) -> list[Path]:
    """Write ``<source id>.json`` for every source; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in db.query("select id from sources order by id"):
        path = out_dir / f"{source['id']}.json"
        data = source_records(db, source["id"])
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written


# The CSV export's schema: one file per kind, these columns, in this order. Bump the
# version when a column is renamed or removed (adding one at the end is compatible).
CSV_SCHEMA_VERSION = 1
CONTEXT = ("source_id", "organisation", "council", "party", "url", "document_id", "page",
           "section")
CSV_COLUMNS = {
    "pledges": ("id", "text", "lead_in", "kind", "specific", "topic"),
    "targets": ("id", "pledge_id", "text", "value", "unit", "comparator", "direction",
                "measure", "year"),
    "kpis": ("id", "measure", "kpi", "baseline", "baseline_value", "baseline_unit",
             "polarity"),
    "kpi_targets": ("id", "kpi_id", "period", "raw", "value", "unit"),
    "actions": ("id", "ref", "text", "deadline", "deadline_date", "owners", "initiative"),
    "risks": ("id", "risk", "mitigation", "owner"),
}
PROVENANCE_COLUMNS = ("start", "end", "extractor", "extractor_version", "rule", "ocr")


def export_csv(db: sqlite_utils.Database, out_dir: Path) -> list[Path]:
    """Write ``<kind>.csv`` for every kind: the current records of every source, each row
    with its source, document, page and section, and (for records) its provenance."""
    import csv

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, columns in CSV_COLUMNS.items():
        provenance = () if kind == "kpi_targets" else PROVENANCE_COLUMNS
        held = set(db.table(kind).columns_dict)
        # a database made before a column was added (ocr) gives it as empty until it loads
        own = ", ".join(f'r."{c}"' if c in held or kind == "kpi_targets" else f'null as "{c}"'
                        for c in (*columns, *provenance))
        page_section = ("k.page, k.section" if kind == "kpi_targets" else "r.page, r.section")
        join_kpi = "join kpis k on k.id = r.kpi_id" if kind == "kpi_targets" else ""
        # current_<kind> has a row per source serving the record's document: each
        # source's rows carry its own URL and part
        # document order: by page part, block and offset (a KPI's cells by position)
        order = ("k.block, k.start, r.position" if kind == "kpi_targets"
                 else "r.block, r.start")
        sql = (f"select s.id as source_id, s.organisation, s.council, s.party, d.url, "
               f"d.id as document_id, {page_section}, {own} from current_{kind} r {join_kpi} "
               f"join current_documents d on d.id = r.document_id and d.source_id = r.source_id "
               f"join sources s on s.id = r.source_id "
               f"order by s.id, d.part, {order}")
        path = out_dir / f"{kind}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([*CONTEXT, *columns, *provenance])
            writer.writerows(db.execute(sql).fetchall())
        written.append(path)
    return written
