"""Documents belong to sources many-to-many: two sources serving identical bytes each keep
their document, through real runs of the flow on sample files, and a database made by
schema 2 is brought up to date in place."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledgeflow.cli import main
from pledgeflow.flows.pipeline import pipeline
from pledgeflow.store import db as store
from pledgeflow.store.doctor import diagnose

# flow runs on shared and migrated databases
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

LEGACY = Path(__file__).parent / "fixtures" / "legacy" / "schema-v2.sql.gz"
PAGE = "html/cwac-labour-opportunity.html"
ENTRY = """[[sources]]
id = "{id}"
url = "{url}"
organisation = "Cheshire West and Chester Labour"
council = "Cheshire West and Chester"
party = "Labour"
kind = "{kind}"
title = "{id}"
period = "2019-2023"
"""


def shared_site(folder: Path, samples_dir: Path) -> Path:
    """The sample page, and the same bytes under a second name (a ward site's copy)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(samples_dir / PAGE, folder / "page.html")
    shutil.copy(samples_dir / PAGE, folder / "ward-copy.html")
    catalog = folder / "catalog.toml"
    catalog.write_text(
        ENTRY.format(id="cwac-labour-2019", url="page.html", kind="manifesto") + "\n"
        + ENTRY.format(id="cwac-ward-copy", url="ward-copy.html", kind="campaign_page"),
        encoding="utf-8")
    return catalog


def run(folder: Path, catalog: Path, db: Path | None = None) -> dict:
    return pipeline(sources=str(catalog), db=str(db or folder / "pf.db"),
                    raw_dir=str(folder / "raw"), processed_dir=str(folder / "processed"))


def links_of(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select source_id, document_id, version, current, url "
                            "from source_documents order by source_id, version").fetchall()


def test_two_sources_serving_identical_bytes_keep_a_document_each(tmp_path, samples_dir):
    catalog = shared_site(tmp_path / "site", samples_dir)
    summary = run(tmp_path, catalog)
    assert (summary["documents"], summary["unchanged"], summary["failed"]) == (2, 0, 0)
    db = tmp_path / "pf.db"
    rows = links_of(db)
    assert [(r[0], r[2], r[3]) for r in rows] == [("cwac-labour-2019", 1, 1),
                                                  ("cwac-ward-copy", 1, 1)]
    assert rows[0][1] == rows[1][1]  # one document: the same bytes
    assert rows[0][4].endswith("page.html") and rows[1][4].endswith("ward-copy.html")
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from documents").fetchone()[0] == 1
        pledges = conn.execute("select count(*) from pledges").fetchone()[0]
        assert pledges > 10
        by_source = dict(conn.execute("select source_id, count(*) from current_pledges "
                                      "group by source_id"))
        assert by_source == {"cwac-labour-2019": pledges, "cwac-ward-copy": pledges}
        details = dict(conn.execute("select source_id, count(*) from pledge_details "
                                    "group by source_id"))
        assert details == by_source

    # export, per source and per kind, has the records under each source
    out = tmp_path / "export"
    assert CliRunner().invoke(main, ["export", "--db", str(db), "--out", str(out)]).exit_code == 0
    for source_id in by_source:
        data = json.loads((out / f"{source_id}.json").read_text(encoding="utf-8"))
        assert len(data["pledges"]) == pledges and data["document"] == rows[0][1]
    result = CliRunner().invoke(main, ["export", "--db", str(db), "--out", str(out / "csv"),
                                       "--format", "csv"])
    assert result.exit_code == 0, result.output
    with (out / "csv" / "pledges.csv").open(encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert {s: sum(r["source_id"] == s for r in exported) for s in by_source} == by_source
    assert {r["url"].rsplit("/", 1)[-1] for r in exported} == {"page.html", "ward-copy.html"}

    history = CliRunner().invoke(main, ["history", "cwac-ward-copy", "--db", str(db)])
    assert history.exit_code == 0
    assert "version 1" in history.output and "also served by cwac-labour-2019" in history.output

    second = run(tmp_path, catalog)  # nothing changed: both unchanged, nothing loaded
    assert (second["documents"], second["unchanged"]) == (0, 2)
    assert diagnose(db, tmp_path / "raw") == []


def test_a_new_version_on_one_source_leaves_the_other_sources_document(tmp_path, samples_dir):
    catalog = shared_site(tmp_path / "site", samples_dir)
    run(tmp_path, catalog)
    copy = tmp_path / "site" / "ward-copy.html"
    text = copy.read_bytes()
    edited = text.replace(b"<li>Continue to develop", b"<li>Open a youth club in every "
                          b"ward by 2027.</li><li>Continue to develop", 1)
    assert edited != text
    copy.write_bytes(edited)
    summary = run(tmp_path, catalog)
    assert (summary["documents"], summary["unchanged"]) == (1, 1)
    db = tmp_path / "pf.db"
    rows = links_of(db)
    original = rows[0][1]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("cwac-labour-2019", 1, 1), ("cwac-ward-copy", 1, 0), ("cwac-ward-copy", 2, 1)]
    assert rows[1][1] == original and rows[2][1] != original
    with sqlite3.connect(db) as conn:
        changes = conn.execute("select source_id, change, text from changes").fetchall()
        kept = conn.execute("select count(*) from current_pledges "
                            "where source_id = 'cwac-labour-2019'").fetchone()[0]
        stored = conn.execute("select count(*) from pledges where document_id = ?",
                              [original]).fetchone()[0]
    assert ("cwac-ward-copy", "added",
            "Open a youth club in every ward by 2027.") in changes
    assert {c[0] for c in changes} == {"cwac-ward-copy"}
    assert kept == stored > 10  # the first source's document and records are untouched


def restore_legacy(path: Path) -> Path:
    """The schema 2 database fixture: made by pledgeflow before source_documents (commit
    b3ff002) from four sources, two of them serving the same page, and a source with three
    versions; the second source of the shared page was lost, as that code did."""
    conn = sqlite3.connect(path)
    conn.executescript(gzip.open(LEGACY, "rt", encoding="utf-8").read())
    conn.close()
    return path


def test_a_schema_2_database_is_brought_up_to_date_in_place(tmp_path, samples_dir):
    db_path = restore_legacy(tmp_path / "old.db")
    with sqlite3.connect(db_path) as conn:
        before = {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("documents", "blocks", "pledges", "kpis", "links", "changes")}
        old_matches = conn.execute("select * from links order by rowid").fetchall()
        old_versions = conn.execute("select source_id, id, version, current, url, etag "
                                    "from documents order by rowid").fetchall()
        assert conn.execute("select value from pledgeflow_meta").fetchone()[0] == "2"
        # from before conditional index requests too: no index_pages, no changes.run_id
        assert not conn.execute("select 1 from sqlite_master where name = 'index_pages'"
                                ).fetchall()
        assert "run_id" not in [r[1] for r in conn.execute("pragma table_info(changes)")]
    db = store.open_db(db_path)
    assert "index_pages" in db.table_names()
    assert "run_id" in db["changes"].columns_dict
    assert db.execute("select value from pledgeflow_meta where key = 'schema_version'"
                      ).fetchone()[0] == str(store.SCHEMA_VERSION)
    assert "source_id" not in db["documents"].columns_dict
    assert db.execute("select source_id, document_id, version, current, url, etag "
                      "from source_documents order by id").fetchall() == old_versions
    after = {t: db.execute(f"select count(*) from {t}").fetchone()[0]
             for t in [*before.keys() - {"links"}, "matches"]}
    # every record, pledge-to-measure match (now in matches) and change kept
    assert after == {**{t: n for t, n in before.items() if t != "links"},
                     "matches": before["links"]}
    assert db.execute("select * from matches order by rowid").fetchall() == old_matches
    assert "links" not in db.table_names()
    assert db.execute("pragma foreign_key_check").fetchall() == []
    for fts in ("blocks_fts", "pledges_fts"):
        db.execute(f"insert into {fts}({fts}) values('integrity-check')")
    db.close()
    assert store.open_db(db_path).execute(  # opening again changes nothing
        "select count(*) from source_documents").fetchone()[0] == len(old_versions)
    problems = diagnose(db_path, tmp_path / "raw")
    assert {p.what for p in problems} <= {"raw file missing", "processed file missing",
                                          "raw folder not found"}

    # The source the old schema lost is loaded into the upgraded database by a run.
    catalog = shared_site(tmp_path / "site", samples_dir)
    summary = run(tmp_path, catalog, db=db_path)
    assert summary["failed"] == 0
    rows = links_of(db_path)
    shared = [r for r in rows if r[0] in ("cwac-labour-2019", "cwac-ward-copy")]
    assert [(r[0], r[2], r[3]) for r in shared] == [("cwac-labour-2019", 1, 1),
                                                    ("cwac-ward-copy", 1, 1)]
    assert shared[0][1] == shared[1][1]


def test_a_run_matches_again_a_council_whose_matches_were_lost(tmp_path, samples_dir):
    """Matches dropped behind the run's back (a reextract of old, a hand edit): the next run
    finds every document unchanged and still rebuilds them."""
    catalog = samples_dir / "catalog.toml"
    run(tmp_path, catalog)
    db = tmp_path / "pf.db"
    with sqlite3.connect(db) as conn:
        before = conn.execute("select count(*) from matches").fetchone()[0]
        conn.execute("delete from matches")
    assert before > 100
    summary = run(tmp_path, catalog)
    assert summary["documents"] == 0 and summary["unchanged"] == summary["sources"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("select count(*) from matches").fetchone()[0] == before
