"""What changed between two versions of a source: records added and removed.

Pledges, targets and KPIs of the new version are compared with those of the previous
version of the same source by normalised text (the annotation guide's normalisation:
case, quotes, dashes, list markers, whitespace and trailing punctuation do not count),
as multisets, so a pledge stated twice and then once is one removal.
"""

from __future__ import annotations

import re
from collections import Counter

import sqlite_utils

# Which text stands for a record of each kind when versions are compared.
TRACKED = {
    "pledges": "text",
    "targets": "text || ' [' || coalesce(value, '') || ' ' || coalesce(unit, '') || ']'",
    "kpis": "measure || ' | ' || coalesce(baseline, '')",
}
PLAIN = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                       "\u2013": "-", "\u2014": "-", "\u00a0": " "})
MARKER = re.compile(r"^\s*(?:[\u2022\-\*\u25cf\u25aa]|\d+[.)]|[a-z][.)])\s+")


def normalise(text: str | None) -> str:
    text = (text or "").translate(PLAIN).lower()
    text = MARKER.sub("", text)
    return re.sub(r"\s+", " ", text).strip().rstrip(" .;:,")


def _texts(db: sqlite_utils.Database, kind: str, document_id: str) -> dict[str, tuple[str, str]]:
    """normalised key -> (record id, text) for every record; duplicates keyed key#n."""
    if not db.table(kind).exists():
        return {}
    seen: Counter[str] = Counter()
    out = {}
    for record_id, text in db.execute(
            f"select id, {TRACKED[kind]} from {kind} where document_id = ? order by block, start",
            [document_id]):
        key = normalise(text)
        seen[key] += 1
        out[f"{key}#{seen[key]}"] = (record_id, text)
    return out


def diff(db: sqlite_utils.Database, old_id: str, new_id: str) -> list[dict]:
    """Rows for the ``changes`` table: what the new document adds and drops."""
    rows = []
    for kind in TRACKED:
        old, new = _texts(db, kind, old_id), _texts(db, kind, new_id)
        for key in new.keys() - old.keys():
            rows.append({"kind": kind, "change": "added", "record_id": new[key][0],
                         "text": new[key][1]})
        for key in old.keys() - new.keys():
            rows.append({"kind": kind, "change": "removed", "record_id": old[key][0],
                         "text": old[key][1]})
    return rows
