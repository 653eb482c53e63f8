"""The SQLite store: schema, foreign keys, idempotent and atomic loads, FTS, runs and failures."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pledgeflow.catalog import Source
from pledgeflow.document import Block, Document, table_text
from pledgeflow.records import (
    Action,
    Kpi,
    KpiTarget,
    Pledge,
    Provenance,
    Record,
    Risk,
    Target,
)
from pledgeflow.store import matches
from pledgeflow.store.db import (
    SCHEMA_VERSION,
    NotPledgeflowDatabase,
    document_is_current,
    finish_run,
    link_source,
    load_document,
    load_group,
    open_db,
    record_counts,
    record_failure,
    retire_parts,
    save_index_page,
    start_run,
    upsert_sources,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schema.md"
VERSIONS = {"pledges": "1.0", "kpis": "1.0"}
SOURCE = Source(id="cwac-labour-2019", url="https://example.org/cwac.html",
                organisation="Cheshire West and Chester Labour",
                council="Cheshire West and Chester", kind="manifesto",
                title="The opportunity to get on in life", period="2019-2023", party="Labour")


@dataclass(kw_only=True)
class Commitment(Record):
    """A third-party record kind with a list field and a child table."""

    kind: ClassVar[str] = "commitments"
    text: str
    tags: list[str] = field(default_factory=list)

    def children(self) -> dict[str, list[dict[str, Any]]]:
        return {"commitment_notes": [{"note": tag} for tag in self.tags]}


@dataclass(kw_only=True)
class BrokenPledge(Pledge):
    """An extractor bug: the record cannot produce its row."""

    def row(self) -> dict[str, Any]:
        raise RuntimeError("extractor bug")


@dataclass(kw_only=True)
class Unstorable(Record):
    """A record whose value SQLite cannot store, so the insert itself fails."""

    kind: ClassVar[str] = "widgets"
    value: Any


@dataclass(kw_only=True)
class Misnamed(Record):
    kind: ClassVar[str] = "sources"
    text: str


def make_doc(topic: str = "Housing", raw: bytes = b"version 1") -> Document:
    rows = [["Measure", "Baseline", "2019/20 Target", "2020/21 Target"],
            ["Pupils in good schools", "80%", "85%", ""]]
    blocks = [
        Block("heading", topic, level=1),
        Block("list_item", f"We will build 500 council homes to tackle {topic.lower()} need",
              section=[topic], depth=1, lead_in="We will:"),
        Block("paragraph", "Every child deserves a place at a good school.", section=[topic]),
        Block("table", table_text(rows), rows=rows, header_rows=1, section=[topic]),
    ]
    return Document.from_blocks(blocks, id=hashlib.sha256(raw).hexdigest(),
                                media_type="text/html", title="Our plan", parser="html",
                                parser_version="1", source_id=SOURCE.id, url=SOURCE.url)


def prov(doc: Document, block: int, rule: str = "r1") -> Provenance:
    b = doc.blocks[block]
    return Provenance(document_id=doc.id, block=block, page=b.page, section=b.heading,
                      start=b.start, end=b.end, extractor="test", extractor_version="1.0",
                      rule=rule)


def make_records(doc: Document) -> list[Record]:
    return [
        Pledge(provenance=prov(doc, 1), text=doc.blocks[1].text, lead_in="We will:"),
        Pledge(provenance=prov(doc, 2), text=doc.blocks[2].text),
        Target(provenance=prov(doc, 1), text=doc.blocks[1].text, value=500, unit="homes",
               comparator="build", measure="council homes", year=2025),
        Kpi(provenance=prov(doc, 3), measure="Pupils in good schools", baseline="80%",
            baseline_value=80, baseline_unit="%", kpi=True, polarity="increase",
            targets=[KpiTarget(period="2019/20 Target", raw="85%", value=85, unit="%"),
                     KpiTarget(period="2020/21 Target", raw=None)]),
        Action(provenance=prov(doc, 2), ref="1.1", text="Open two new schools",
               deadline="March 2020", deadline_date="2020-03", owners="Education; Finance",
               owners_list=["Education", "Finance"], initiative="Schools"),
        Risk(provenance=prov(doc, 2), risk="Funding falls short", mitigation="Bid for grants",
             owner="Finance"),
    ]


def load(db, doc: Document, records: list[Record], versions: dict[str, str] = VERSIONS):
    return load_document(
        db, doc, records, source_id=SOURCE.id,
        fetched={"url": SOURCE.url, "final_url": SOURCE.url, "media_type": "text/html",
                 "bytes": 9, "fetched_at": "2024-05-01T09:00:00+00:00", "etag": '"abc"',
                 "last_modified": None},
        raw_path=f"raw/{doc.id}.html", processed_path=f"processed/{doc.id}.json",
        extractor_versions=versions)


def snapshot(db) -> list[str]:
    return list(db.conn.iterdump())


def rows_of(db, document_id: str) -> dict[str, int]:
    """How many rows in each table still point at a document."""
    tables = [t for t in db.table_names() if "document_id" in db[t].columns_dict]
    return {t: db.execute(f"select count(*) from [{t}] where document_id = ?",
                          [document_id]).fetchone()[0] for t in tables}


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "data" / "pledgeflow.db")
    upsert_sources(database, [SOURCE])
    yield database
    database.close()


def test_open_db_creates_folder_schema_and_pragmas(tmp_path):
    db = open_db(tmp_path / "new" / "dir" / "p.db")
    assert {"pledgeflow_meta", "sources", "documents", "blocks", "pledges", "targets", "kpis",
            "kpi_targets", "actions", "risks", "runs", "failures", "blocks_fts",
            "pledges_fts"} <= set(db.table_names())
    assert db.execute("select value from pledgeflow_meta where key='schema_version'"
                      ).fetchone()[0] == str(SCHEMA_VERSION)
    assert db.journal_mode == "wal"
    assert db.execute("pragma foreign_keys").fetchone()[0] == 1
    assert db.execute("pragma busy_timeout").fetchone()[0] == 30000
    fks = {(fk.column, fk.other_table) for fk in db["kpi_targets"].foreign_keys}
    assert fks == {("kpi_id", "kpis"), ("document_id", "documents")}
    assert {(fk.column, fk.other_table) for fk in db["source_documents"].foreign_keys} == {
        ("source_id", "sources"), ("document_id", "documents")}
    assert ["document_id"] in [i.columns for i in db["pledges"].indexes]


def test_a_failures_table_without_url_gains_the_column_on_open(tmp_path):
    path = tmp_path / "p.db"
    db = open_db(path)
    record_failure(db, run_id="run-0", source_id=None, stage="fetch", message="old row")
    db.execute("alter table failures drop column url")  # as a database from before it
    db.conn.commit()
    db.close()
    db = open_db(path)
    assert [(f["message"], f["url"]) for f in db["failures"].rows] == [("old row", None)]


def test_a_kpis_table_from_before_definitions_gains_the_column_on_open(tmp_path):
    """A column a record kind declares later is added to a database made before it, empty
    for the rows it holds, whether or not a load brings new rows."""
    path = tmp_path / "p.db"
    db = open_db(path)
    db.execute("alter table kpis drop column definition")  # as a database from before it
    db.conn.commit()
    db.close()
    db = open_db(path)
    assert "definition" in db["kpis"].columns_dict
    assert "definition" in db["current_kpis"].columns_dict


def test_reopening_leaves_schema_unchanged(tmp_path):
    path = tmp_path / "p.db"
    db = open_db(path)
    schema = db.execute("select type, name, sql from sqlite_master order by name").fetchall()
    db.close()
    db = open_db(path)
    assert db.execute("select type, name, sql from sqlite_master order by name"
                      ).fetchall() == schema


# What pledgeflow made for its pledge-to-measure matches up to schema 3, statement for
# statement as sqlite_master held it.
SCHEMA_3_MATCHES = (
    'CREATE TABLE "links" (\n   "id" TEXT PRIMARY KEY,\n   "pledge_id" TEXT REFERENCES '
    '"pledges"("id"),\n   "target_table" TEXT,\n   "target_id" TEXT,\n   "rank" INTEGER,\n'
    '   "score" REAL,\n   "method" TEXT,\n   "council" TEXT,\n   "linked_at" TEXT\n)',
    'CREATE INDEX "idx_links_pledge_id"\n    ON "links" ("pledge_id")',
    'CREATE INDEX "idx_links_target_id"\n    ON "links" ("target_id")',
    'CREATE INDEX "idx_links_council"\n    ON "links" ("council")',
    "CREATE TABLE pledge_evidence (pledge_id TEXT, target_table TEXT, target_id TEXT, "
    "link_rank INTEGER, link_score REAL, similarity REAL, council TEXT, "
    "PRIMARY KEY (pledge_id, target_table, target_id))",
    "CREATE INDEX pledge_evidence_council ON pledge_evidence (council)",
)


def schema_3_database(path: Path) -> tuple[list[tuple], list[tuple]]:
    """A database as schema 3 left it: a loaded document, its pledges' matches in
    ``links`` (with ``linked_at``), their evidence with ``link_rank`` and ``link_score``,
    and a view of the user's own on ``links``. Returns the matches and evidence rows."""
    db = open_db(path)
    upsert_sources(db, [SOURCE])
    doc = make_doc()
    load(db, doc, make_records(doc))
    pledges = [r[0] for r in db.execute("select id from pledges order by id")]
    kpi = db.execute("select id from kpis").fetchone()[0]
    db.close()
    matched = [(f"{p}:kpis:{kpi}", p, "kpis", kpi, n, 9.5 - n, "bm25+topic", SOURCE.council,
                "2024-05-01T09:00:00+00:00") for n, p in enumerate(pledges, 1)]
    evidence = [(p, "kpis", kpi, n, 9.5 - n, 0.5, SOURCE.council)
                for n, p in enumerate(pledges[:1], 1)]
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("drop table matches")
        conn.execute("drop table pledge_evidence")
        for statement in SCHEMA_3_MATCHES:
            conn.execute(statement)
        conn.executemany("insert into links values (?, ?, ?, ?, ?, ?, ?, ?, ?)", matched)
        conn.executemany("insert into pledge_evidence values (?, ?, ?, ?, ?, ?, ?)", evidence)
        conn.execute("create view my_best_links as select pledge_id, linked_at from links "
                     "where rank = 1")
        conn.execute("update pledgeflow_meta set value = '3' where key = 'schema_version'")
    conn.close()
    return matched, evidence


def test_a_schema_3_database_has_its_links_moved_to_matches_on_open(tmp_path):
    path = tmp_path / "p.db"
    matched, evidence = schema_3_database(path)
    db = open_db(path)
    assert "links" not in db.table_names()
    assert db.execute("select * from matches order by rowid").fetchall() == matched
    assert list(db["matches"].columns_dict)[-1] == "matched_at"
    assert db.execute("select pledge_id, target_table, target_id, match_rank, match_score, "
                      "similarity, council from pledge_evidence").fetchall() == evidence
    indexes = {r[0] for r in db.execute("select name from sqlite_master where type = 'index' "
                                        "and tbl_name = 'matches' and sql is not null")}
    assert indexes == {"idx_matches_pledge_id", "idx_matches_target_id", "idx_matches_council"}
    # the user's view reads the same rows from the renamed table and column
    assert db.execute("select * from my_best_links").fetchall() == [(matched[0][1], matched[0][8])]
    assert db.execute("select value from pledgeflow_meta where key = 'schema_version'"
                      ).fetchone()[0] == str(SCHEMA_VERSION) == "4"
    assert db.execute("pragma foreign_key_check").fetchall() == []
    schema = db.execute("select type, name, sql from sqlite_master order by name").fetchall()
    db.close()
    db = open_db(path)  # opening again changes nothing
    assert db.execute("select type, name, sql from sqlite_master order by name"
                      ).fetchall() == schema
    # and the matches are rebuilt in the renamed table as a run does
    matches.rebuild(db)
    assert db.execute("select count(*) from matches").fetchone()[0] == 0  # one document
    db.close()


def test_a_database_with_both_links_and_matches_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "p.db"
    schema_3_database(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("create table matches (id text primary key, note text)")
    before = list(conn.iterdump())
    conn.close()
    with pytest.raises(ValueError, match="both links .* and matches"):
        open_db(path)
    conn = sqlite3.connect(path)
    assert list(conn.iterdump()) == before
    conn.close()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sqlite3.IntegrityError):
        db["pledges"].insert({"id": "p1", "document_id": "no-such-document", "text": "x"})
    assert db["pledges"].count == 0


def test_load_with_unknown_source_fails_and_writes_nothing(db):
    doc = make_doc()
    load(db, doc, make_records(doc))
    before = snapshot(db)
    doc.source_id = None
    with pytest.raises(sqlite3.IntegrityError):
        load_document(db, doc, make_records(doc), source_id="not-in-catalog", fetched={},
                      raw_path="r", processed_path="p", extractor_versions=VERSIONS)
    assert snapshot(db) == before


def test_load_stores_document_blocks_records_and_children(db):
    doc = make_doc()
    counts = load(db, doc, make_records(doc))
    assert counts == {"pledges": 2, "targets": 1, "kpis": 1, "actions": 1, "risks": 1,
                      "kpi_targets": 2}
    stored = db["documents"].get(doc.id)
    assert stored["text_chars"] == len(doc.text)
    link = db["source_documents"].get(1)
    assert (link["source_id"], link["document_id"], link["url"], link["etag"]) == (
        SOURCE.id, doc.id, SOURCE.url, '"abc"')
    assert json.loads(stored["extractors"]) == VERSIONS
    table = db["blocks"].get(f"{doc.id}:3")
    assert json.loads(table["rows"])[1][0] == "Pupils in good schools"
    assert table["section"] == "Housing" and json.loads(table["section_path"]) == ["Housing"]
    action = next(db["actions"].rows)
    assert json.loads(action["owners_list"]) == ["Education", "Finance"]
    assert action["block_id"] == f"{doc.id}:2"
    kpi = next(db["kpis"].rows)
    targets = list(db["kpi_targets"].rows_where(order_by="position"))
    assert [t["id"] for t in targets] == [f"{kpi['id']}:0", f"{kpi['id']}:1"]
    assert targets[0]["kpi_id"] == kpi["id"] and targets[0]["value"] == 85.0
    assert targets[1]["raw"] is None
    assert record_counts(db) == counts


def test_loading_the_same_document_twice_changes_nothing(db):
    doc = make_doc()
    first = load(db, doc, make_records(doc))
    ids = {t: sorted(r["id"] for r in db[t].rows) for t in ("blocks", *first)}
    second = load(db, doc, make_records(doc))
    assert second == first
    assert record_counts(db) == first
    assert {t: sorted(r["id"] for r in db[t].rows) for t in ids} == ids
    assert db["documents"].count == 1


def test_duplicate_records_are_stored_once(db):
    doc = make_doc()
    records = make_records(doc)
    counts = load(db, doc, records + records[:1])
    assert counts["pledges"] == 2


def test_document_is_current_only_for_same_bytes_and_extractor_versions(db):
    doc = make_doc()
    assert not document_is_current(db, doc.id, VERSIONS)
    load(db, doc, make_records(doc))
    assert document_is_current(db, doc.id, VERSIONS)
    assert not document_is_current(db, doc.id, {**VERSIONS, "kpis": "1.1"})
    assert not document_is_current(db, make_doc(raw=b"other bytes").id, VERSIONS)


def test_changed_document_becomes_the_current_version_and_keeps_the_old_one(db):
    old = make_doc("Housing", b"version 1")
    load(db, old, make_records(old))
    old_rows = rows_of(db, old.id)
    new = make_doc("Transport", b"version 2")
    counts = load(db, new, make_records(new)[:2])
    assert counts["pledges"] == 2 and counts["kpis"] == 0
    versions = [(r["document_id"], r["version"], r["current"]) for r in
                db["source_documents"].rows_where(order_by="version")]
    assert versions == [(old.id, 1, 0), (new.id, 2, 1)]
    assert rows_of(db, old.id) == old_rows  # nothing of the old version is lost
    current = {t: db.execute(f"select count(*) from current_{t}").fetchone()[0]
               for t in ("pledges", "kpis", "blocks")}
    assert current == {"pledges": 2, "kpis": 0, "blocks": len(new.blocks)}


def test_a_retired_page_is_retired_for_its_source_only_and_current_again_when_linked(db):
    ward = Source(**{**SOURCE.row(), "id": "cwac-ward-copy", "url": "https://ward.example/"})
    upsert_sources(db, [ward])
    parks, roads = "https://example.org/m/parks", "https://example.org/m/roads"
    doc, other = make_doc("Parks"), make_doc("Roads", b"roads page")
    for n, (page, url) in enumerate([(doc, parks), (other, roads)], start=1):
        load_document(db, page, make_records(page), source_id=SOURCE.id, fetched={"url": url},
                      raw_path="raw/x", processed_path="p/x", extractor_versions=VERSIONS,
                      part=n, part_url=url)
    # the ward site serves the same parks page: its link is its own
    assert link_source(db, ward.id, doc.id, {"url": "https://ward.example/parks"},
                       part=1, part_url=parks)

    assert retire_parts(db, SOURCE.id, keep={roads}, run_id="run-1") == [parks]
    assert retire_parts(db, SOURCE.id, keep={roads}, run_id="run-2") == []  # already retired
    current = db.execute("select source_id, part_url from source_documents where current = 1 "
                         "order by source_id, part").fetchall()
    assert current == [(SOURCE.id, roads), (ward.id, parks)]
    retired = [(SOURCE.id, doc.id, "pages", "retired", parks, "run-1")]
    ask = "select source_id, document_id, kind, change, text, run_id from changes"
    assert db.execute(ask).fetchall() == retired
    # The bytes are still loaded with these extractors: linking the page again makes it
    # the source's current version (the next number), and its retirement stays on record.
    assert document_is_current(db, doc.id, VERSIONS)
    assert link_source(db, SOURCE.id, doc.id, {"url": parks}, part=1, part_url=parks)
    assert db.execute("select version, current from source_documents where source_id = ? "
                      "and part_url = ?", [SOURCE.id, parks]).fetchall() == [(2, 1)]
    load_document(db, doc, make_records(doc), source_id=SOURCE.id, fetched={"url": parks},
                  raw_path="raw/x", processed_path="p/x",
                  extractor_versions={**VERSIONS, "kpis": "1.1"}, part=1, part_url=parks)
    assert db.execute(ask).fetchall() == retired  # a reload keeps it too


def test_blocks_fts_finds_words_and_follows_replacement(db):
    def search(word: str) -> list[str]:
        return [r[0] for r in db.execute(
            "select b.id from blocks_fts join blocks b on b.rowid = blocks_fts.rowid "
            "where blocks_fts match ?", [word])]

    old = make_doc("Housing", b"version 1")
    load(db, old, make_records(old))
    assert f"{old.id}:0" in search("housing")
    assert search("houses")  # porter stemming: houses ~ housing
    before = sorted(search("housing"))
    load(db, old, make_records(old))  # loading the same version again replaces its rows
    assert sorted(search("housing")) == before
    new = make_doc("Transport", b"version 2")
    load(db, new, make_records(new))
    assert f"{new.id}:0" in search("transport")
    for fts in ("blocks_fts", "pledges_fts"):  # raises if the index is out of sync
        db.execute(f"insert into {fts}({fts}) values('integrity-check')")


def fts_in_sync(db) -> None:
    for fts in ("blocks_fts", "pledges_fts"):  # raises if the index is out of sync
        db.execute(f"insert into {fts}({fts}) values('integrity-check')")
    for table in ("blocks", "pledges"):
        assert db.execute(f"select count(*) from {table}_fts_docsize").fetchone()[0] == \
            db.execute(f"select count(*) from {table}").fetchone()[0]


def pledge_search(db, word: str) -> set[str]:
    return {r[0] for r in db.execute(
        "select p.document_id from pledges_fts join pledges p on p.rowid = pledges_fts.rowid "
        "where pledges_fts match ?", [word])}


def test_a_load_group_commits_once_and_indexes_every_document_it_kept(db):
    housing, transport = make_doc("Housing", b"one"), make_doc("Transport", b"two")
    broken = make_doc("Parks", b"three")
    with load_group(db):
        load(db, housing, make_records(housing))
        with pytest.raises(RuntimeError):
            load(db, broken, [BrokenPledge(provenance=prov(broken, 1), text="boom")])
        load(db, transport, make_records(transport))
        load(db, housing, make_records(housing))  # the same bytes again: replaced in place
        assert db.conn.in_transaction  # nothing committed until the group ends
    assert not db.conn.in_transaction
    assert rows_of(db, broken.id) == {t: 0 for t in rows_of(db, broken.id)}
    assert pledge_search(db, "housing") == {housing.id}
    assert pledge_search(db, "transport") == {transport.id}
    assert pledge_search(db, "school") == {housing.id, transport.id}
    fts_in_sync(db)


def test_a_failed_group_commits_nothing(db):
    before = snapshot(db)
    doc = make_doc()
    with pytest.raises(KeyboardInterrupt), load_group(db):
        load(db, doc, make_records(doc))
        raise KeyboardInterrupt  # the run stopped before the group's commit
    assert snapshot(db) == before
    load(db, doc, make_records(doc))  # the next run loads it again
    assert pledge_search(db, "housing") == {doc.id}
    fts_in_sync(db)


def test_a_database_with_an_insert_trigger_drops_it_on_open(tmp_path):
    # Databases made before loads indexed their own rows had sqlite-utils' three triggers.
    path = tmp_path / "old.db"
    db = open_db(path)
    upsert_sources(db, [SOURCE])
    doc = make_doc()
    load(db, doc, make_records(doc))
    for table, columns in (("blocks", "text, section"), ("pledges", "text")):
        new = ", ".join(f"new.{c.strip()}" for c in columns.split(","))
        db.execute(f"create trigger [{table}_ai] after insert on [{table}] begin insert into "
                   f"[{table}_fts] (rowid, {columns}) values (new.rowid, {new}); end")
    db.conn.commit()
    db.close()
    db = open_db(path)
    triggers = {r[0] for r in db.execute("select name from sqlite_master where type='trigger'")}
    assert triggers == {"blocks_ad", "blocks_au", "pledges_ad", "pledges_au"}
    assert pledge_search(db, "housing") == {doc.id}
    other = make_doc("Transport", b"version 2")
    load(db, other, make_records(other))
    assert pledge_search(db, "transport") == {other.id}
    fts_in_sync(db)


@pytest.mark.parametrize("bad", ["row_raises", "insert_fails_after_new_table"])
def test_failed_load_leaves_database_exactly_as_before(db, bad):
    old = make_doc("Housing", b"version 1")
    load(db, old, make_records(old))
    before = snapshot(db)
    new = make_doc("Transport", b"version 2")
    good = make_records(new) + [Commitment(provenance=prov(new, 1), text="x", tags=["a"])]
    if bad == "row_raises":
        failing: Record = BrokenPledge(provenance=prov(new, 1), text="boom")
        error: type[Exception] = RuntimeError
    else:  # a set cannot be stored: fails in the widgets insert, after commitments was created
        failing = Unstorable(provenance=prov(new, 1), value={1, 2})
        error = Exception
    with pytest.raises(error):
        load(db, new, good + [failing])
    assert not db.conn.in_transaction
    assert snapshot(db) == before
    assert "commitments" not in db.table_names()
    assert load(db, new, good)["commitments"] == 1  # the connection is still usable


def test_third_party_kind_creates_its_table_and_child_table(db):
    doc = make_doc()
    records = [Commitment(provenance=prov(doc, 1), text="Free bus travel", tags=["bus", "free"])]
    counts = load(db, doc, records)
    assert counts["commitments"] == 1 and counts["commitment_notes"] == 2
    row = next(db["commitments"].rows)
    assert json.loads(row["tags"]) == ["bus", "free"]
    assert {(fk.column, fk.other_table) for fk in db["commitments"].foreign_keys} == {
        ("document_id", "documents"), ("block_id", "blocks")}
    assert ("commitment_id", "commitments") in {
        (fk.column, fk.other_table) for fk in db["commitment_notes"].foreign_keys}
    notes = list(db["commitment_notes"].rows_where(order_by="id"))
    assert notes[0]["id"] == f"{row['id']}:0" and notes[0]["commitment_id"] == row["id"]
    assert record_counts(db)["commitments"] == 1
    # Reloading the document (new extractor versions) cleans third-party tables too.
    load(db, doc, [])
    assert db["commitments"].count == 0 and db["commitment_notes"].count == 0


def test_every_foreign_key_column_is_indexed(db):
    # Deleting a parent row looks its children up by the foreign key: without an index, a
    # scan of the child table per row (reloading a plan into a large database took minutes).
    doc = make_doc()
    load(db, doc, make_records(doc) + [
        Commitment(provenance=prov(doc, 1), text="Free bus travel", tags=["bus"])])
    unindexed = []
    for table in db.table_names():
        if "_fts" in table:
            continue
        first_columns = {db.execute(f'pragma index_info("{index.name}")').fetchone()[2]
                         for index in db[table].indexes}
        unindexed += [(table, fk.column) for fk in db[table].foreign_keys
                      if fk.column not in first_columns and fk.column != "id"]
    assert unindexed == []


def test_record_kind_named_like_a_core_table_is_refused(db):
    before = snapshot(db)
    doc = make_doc()
    with pytest.raises(ValueError, match="not a usable table name"):
        load(db, doc, [Misnamed(provenance=prov(doc, 1), text="x")])
    assert snapshot(db) == before


def test_upserting_sources_again_keeps_loaded_documents(db):
    doc = make_doc()
    load(db, doc, make_records(doc))
    renamed = Source(**{**SOURCE.row(), "title": "Renamed"})
    upsert_sources(db, [renamed])
    assert db["sources"].get(SOURCE.id)["title"] == "Renamed"
    assert db["documents"].count == 1


def test_open_db_refuses_another_applications_sqlite_file(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("create table notes (id integer primary key, body text)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotPledgeflowDatabase, match="pledgeflow_meta"):
        open_db(path)
    assert path.read_bytes() == before


def test_open_db_refuses_a_file_that_is_not_sqlite(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some text, long enough to fill a SQLite header and more " * 4)
    with pytest.raises(NotPledgeflowDatabase, match="not a SQLite database"):
        open_db(path)


def test_runs_and_failures_round_trip(db):
    start_run(db, run_id="run-1", flow_run_id="flow-1", catalog="catalog.toml", sources=3)
    assert db["runs"].get("run-1")["status"] == "running"
    failure_id = record_failure(db, run_id="run-1", source_id=SOURCE.id, stage="fetch",
                                error=TimeoutError("timed out"), url="https://example.org/p2")
    record_failure(db, run_id="run-1", source_id=None, stage="catalog",
                   error_type="CatalogError", message="bad entry", document_id=None)
    finish_run(db, "run-1", status="completed", documents=1, unchanged=1, failed=1,
               records={"pledges": 2})
    run = db["runs"].get("run-1")
    assert run["status"] == "completed" and run["ended_at"] and run["sources"] == 3
    assert (run["documents"], run["unchanged"], run["failed"]) == (1, 1, 1)
    assert json.loads(run["records"]) == {"pledges": 2}
    failure = db["failures"].get(failure_id)
    assert (failure["error_type"], failure["message"]) == ("TimeoutError", "timed out")
    assert failure["stage"] == "fetch" and failure["occurred_at"] and failure["url"] == "https://example.org/p2"
    assert [f["error_type"] for f in db["failures"].rows_where("run_id = 'run-1'")] == [
        "TimeoutError", "CatalogError"]


def test_every_example_query_in_schema_doc_runs_and_returns_rows(db):
    doc = make_doc()
    load(db, doc, make_records(doc))
    edited = make_doc("Transport", b"version 2")  # a second version, so changes has rows
    load(db, edited, make_records(edited))
    # the council's plan as a second source, so pledges have measures to link to
    plan = Source(id="cwac-plan", url="https://example.org/plan.pdf",
                  organisation="Cheshire West and Chester Council",
                  council=SOURCE.council, kind="outcome_plan", title="Plan", period="2019-2023")
    upsert_sources(db, [plan])
    plan_doc = make_doc("Schools", b"the plan")
    plan_doc.source_id = plan.id
    load_document(db, plan_doc, make_records(plan_doc), source_id=plan.id,
                  fetched={"url": plan.url}, raw_path="raw/plan", processed_path="p/plan",
                  extractor_versions=VERSIONS)
    # the same page on a ward site: a second source serving the same bytes
    ward = Source(id="cwac-ward-copy", url="https://ward.example.org/cwac.html",
                  organisation=SOURCE.organisation, council=SOURCE.council, kind="campaign_page",
                  title="Copy", period="2019-2023")
    upsert_sources(db, [ward])
    load_document(db, edited, make_records(edited), source_id=ward.id,
                  fetched={"url": ward.url}, raw_path="raw/x", processed_path="p/x",
                  extractor_versions=VERSIONS)
    # a performance report on the plan: an outturn and an action update to link
    from pledgeflow.extractors.outturns import ActionUpdate, Outturn

    report = Source(id="cwac-report", url="https://example.org/q2.html",
                    organisation="Cheshire West and Chester Council", council=SOURCE.council,
                    kind="performance_report", title="Q2", period="2019/20 Q2")
    upsert_sources(db, [report])
    report_doc = make_doc("Results", b"the report")
    load_document(db, report_doc, [
        Outturn(provenance=prov(report_doc, 3), ref="E1", measure="Pupils in good schools",
                period="2019/20 Q2", actual="82%", target="85%", status="amber",
                status_raw="Amber"),
        ActionUpdate(provenance=prov(report_doc, 2), ref="1.1", status="delayed",
                     status_raw="Delayed", text="The second school opens a term late")],
        source_id=report.id, fetched={"url": report.url}, raw_path="raw/q2",
        processed_path="p/q2", extractor_versions=VERSIONS)
    matches.rebuild(db)
    start_run(db, run_id="run-1", flow_run_id=None, catalog="catalog.toml", sources=1)
    # a page an index page linked, then dropped: retired, with a row in changes
    section_url = "https://example.org/manifesto/parks"
    section = make_doc("Parks", b"a section page")
    load_document(db, section, make_records(section), source_id=SOURCE.id,
                  fetched={"url": section_url}, raw_path="raw/parks",
                  processed_path="p/parks", extractor_versions=VERSIONS, part=1,
                  part_url=section_url)
    assert retire_parts(db, SOURCE.id, keep=set(), run_id="run-1") == [section_url]
    save_index_page(db, SOURCE.id, {
        "url": "https://example.org/manifesto/", "final_url": "https://example.org/manifesto/",
        "etag": '"i1"', "last_modified": None, "links": [[section_url, "Parks"]],
        "title": "Manifesto", "has_content": False, "fetched_at": "2024-05-01T09:00:00+00:00"},
        run_id="run-1")
    record_failure(db, run_id="run-1", source_id=SOURCE.id, stage="parse",
                   error=ValueError("bad html"))
    finish_run(db, "run-1", status="completed", documents=1, unchanged=0, failed=1,
               records=record_counts(db))
    queries = re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert len(queries) >= 12
    for sql in queries:
        assert db.execute(sql).fetchall(), f"no rows from:\n{sql}"


def test_a_failed_reload_in_a_load_group_leaves_the_full_text_indexes_in_sync(db):
    doc = make_doc()
    other = make_doc("Transport", b"another page")
    with load_group(db):
        load(db, doc, make_records(doc))  # in the group, not indexed yet
        wrong = make_records(other)  # records of another document: the reload fails
        with pytest.raises(ValueError, match="is from document"):
            load(db, doc, wrong)
    fts_in_sync(db)
    assert db.execute("select count(*) from pledges_fts where pledges_fts match 'school'"
                      ).fetchone()[0] > 0
