"""pledgeflow.store.load as plain functions on the sample corpus: what a run, a batch and
``reextract`` store, and what they leave when a document fails."""

from __future__ import annotations

import copy
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pledgeflow import stages
from pledgeflow.catalog import load_catalog
from pledgeflow.store import db as store
from pledgeflow.store import load
from pledgeflow.store.ledger import RunLedger

CWAC = "Cheshire West and Chester"


@pytest.fixture
def settings(tmp_path) -> stages.Settings:
    return stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                           isolate=False, fetch_attempts=1)


@pytest.fixture
def sources(samples_dir):
    return load_catalog(samples_dir / "catalog.toml")


def ledger_for(database, sources, settings) -> RunLedger:
    store.upsert_sources(database, sources)
    return RunLedger(database, catalog="samples", sources=len(sources), settings=settings,
                     logger=logging.getLogger("test-load"))


def run(db_path: Path, sources, settings) -> dict:
    """A run as the flow makes one, without Prefect: two threads, a batch per document."""
    database = store.open_db(db_path)
    ledger = ledger_for(database, sources, settings)
    jobs = ledger.order([stages.Job(s, ledger.previous(s.id, None)) for s in sources])
    with ThreadPoolExecutor(2) as pool:
        load.load_all(ledger, [[job] for job in jobs],
                      lambda batch: pool.submit(stages.process_batch, batch, settings), 2)
    summary = load.finish(ledger)
    database.close()
    return summary


def rows(database, sql: str, params: tuple = ()) -> list[tuple]:
    return [tuple(r) for r in database.execute(sql, params).fetchall()]


def test_a_run_stores_each_version_its_records_link_and_search_rows_once(
        tmp_path, sources, settings):
    db_path = tmp_path / "pf.db"
    first = run(db_path, sources, settings)
    assert (first["documents"], first["unchanged"], first["failed"]) == (7, 0, 0)
    database = store.open_db(db_path)
    links = rows(database, "select source_id, version, current from source_documents "
                           "order by source_id")
    assert links == sorted((s.id, 1, 1) for s in sources)
    pledges = database.execute("select count(*) from pledges").fetchone()[0]
    assert pledges == first["records"]["pledges"] > 0
    # every block and pledge is in its full-text index, and search finds them
    for table in ("blocks", "pledges"):
        indexed = database.execute(f"select count(*) from {table}_fts_docsize").fetchone()[0]
        assert indexed == database.execute(f"select count(*) from {table}").fetchone()[0]
    found = database.execute("select count(*) from pledges_fts where pledges_fts match 'school'"
                             ).fetchone()[0]
    assert found > 0
    # the council with a manifesto and an outcome plan has its pledges matched to measures
    matches = set(rows(database, "select id from matches"))
    councils = {r[0] for r in rows(database, "select distinct council from matches")}
    assert matches and councils == {CWAC}
    database.close()

    again = run(db_path, sources, settings)
    assert (again["documents"], again["unchanged"], again["failed"]) == (0, 7, 0)
    database = store.open_db(db_path)
    assert rows(database, "select source_id, version, current from source_documents "
                          "order by source_id") == links
    assert database.execute("select count(*) from pledges").fetchone()[0] == pledges
    assert set(rows(database, "select id from matches")) == matches
    statuses = rows(database, "select status, documents, unchanged from runs order by started_at")
    assert statuses == [("completed", 7, 0), ("completed", 0, 7)]


def test_reextract_keeps_every_match(tmp_path, sources, settings):
    db_path = tmp_path / "pf.db"
    run(db_path, sources, settings)
    database = store.open_db(db_path)
    before = {table: database.execute(f"select count(*) from {table}").fetchone()[0]
              for table in ("pledges", "kpis", "actions")}
    matches = set(rows(database, "select id from matches"))
    seen = []
    documents = [r[0] for r in rows(database, "select id from documents order by id")]
    done = load.reextract_documents(database, documents, settings,
                                    each=lambda document_id, counts: seen.append(document_id))
    assert (done.documents, done.councils) == (7, 3)
    assert seen == documents
    assert done.matches == len(matches) > 0
    assert set(rows(database, "select id from matches")) == matches
    assert {table: database.execute(f"select count(*) from {table}").fetchone()[0]
            for table in before} == before


def test_a_document_that_fails_to_load_leaves_no_row_and_the_batch_goes_on(
        tmp_path, sources, settings):
    database = store.open_db(tmp_path / "pf.db")
    ledger = ledger_for(database, sources, settings)
    html = [s for s in sources if s.url.endswith(".html")]
    jobs = ledger.order([stages.Job(s) for s in html])
    outcomes = stages.process_batch(jobs, settings)
    broken = outcomes[0].extracted.extraction.records
    stray = copy.deepcopy(broken[-1])  # a record of another document, last of the load
    stray.provenance.document_id = "0" * 64
    broken.append(stray)
    assert load.take_batch(ledger, jobs, outcomes) == []
    summary = load.finish(ledger)
    assert (summary["documents"], summary["failed"]) == (len(html) - 1, 1)
    failed = rows(database, "select source_id, stage, error_type from failures")
    assert failed == [(jobs[0].source.id, "load", "ValueError")]
    gone = outcomes[0].item.document_id
    for table in ("documents", "blocks", "pledges", "source_documents"):
        assert database.execute(f"select count(*) from {table} where document_id = ?"
                                if table != "documents" else
                                "select count(*) from documents where id = ?",
                                [gone]).fetchone()[0] == 0
    assert database.execute("select count(*) from source_documents").fetchone()[0] == \
        len(html) - 1
    assert rows(database, "select status from runs") == [("completed_with_failures",)]


def test_bytes_held_and_extracted_by_older_extractors_are_extracted_again(
        tmp_path, sources, settings):
    db_path = tmp_path / "pf.db"
    run(db_path, sources, settings)
    database = store.open_db(db_path)
    source = next(s for s in sources if s.council == CWAC and s.url.endswith(".pdf"))
    held = store.previous_fetch(database, source.id)
    kpis = database.execute("select count(*) from kpis where document_id = ?",
                            [held["document_id"]]).fetchone()[0]
    assert kpis > 0
    database.execute("update documents set extractors = '{}' where id = ?",
                     [held["document_id"]])  # as if loaded by extractors since replaced
    database.conn.commit()
    ledger = ledger_for(database, [source], settings)
    job, = ledger.order([stages.Job(source, ledger.previous(source.id, None))])
    assert ledger.previous(source.id, None)["current"] is False
    # What a 304 for these bytes hands back: the fetch, and nothing parsed
    fetched = stages.fetch_source(source, settings)
    outcome = stages.Processed(fetched.without_bytes())
    load.take(ledger, job, outcome)
    summary = load.finish(ledger)
    assert (summary["documents"], summary["failed"]) == (1, 0)
    assert summary["records"]["kpis"] == kpis
    assert store.document_is_current(database, held["document_id"], ledger.versions)
    assert rows(database, "select version, current from source_documents where source_id = ?",
                (source.id,)) == [(1, 1)]
    # its council's pledges were matched again to the measures extracted anew
    stale = database.execute("select count(*) from matches where target_id not in "
                             "(select id from kpis union select id from actions)").fetchone()[0]
    assert stale == 0
    assert database.execute("select count(*) from matches where council = ?", [CWAC]
                            ).fetchone()[0] > 0
