"""Working folders that cannot poison each other: raw files and saved parses shared by two
databases, and a source renamed in the catalog, through real runs on sample files."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledgeflow.cli import main
from pledgeflow.flows.pipeline import pipeline
from pledgeflow.store.doctor import diagnose
from pledgeflow.store.failures import report_markdown
from pledgeflow.store.ledger import format_summary

# two databases and several flow runs each
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

PAGE = "html/cwac-labour-opportunity.html"
OTHER = "html/bnes-libdem-children.html"
ENTRY = """[[sources]]
id = "{id}"
url = "{url}"
organisation = "Cheshire West and Chester Labour"
council = "Cheshire West and Chester"
party = "Labour"
kind = "manifesto"
title = "{id}"
period = "2019-2023"
"""


def catalog(folder: Path, entries: dict[str, str], name: str = "catalog.toml") -> Path:
    path = folder / name
    path.write_text("\n".join(ENTRY.format(id=i, url=u) for i, u in entries.items()),
                    encoding="utf-8")
    return path


def run(folder: Path, catalog_path: Path, db: str = "pf.db") -> dict:
    return pipeline(sources=str(catalog_path), db=str(folder / db),
                    raw_dir=str(folder / "raw"), processed_dir=str(folder / "processed"))


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def site(tmp_path, samples_dir) -> Path:
    shutil.copy(samples_dir / PAGE, tmp_path / "page.html")
    shutil.copy(samples_dir / OTHER, tmp_path / "other.html")
    return tmp_path


def test_a_renamed_source_carries_its_records_over_and_the_run_says_so(site):
    first = run(site, catalog(site, {"cwac-2019": "page.html"}))
    assert first["documents"] == 1
    db = site / "pf.db"
    pledges = query(db, "select count(*) from current_pledges")[0][0]
    matched = query(db, "select count(*) from matches")[0][0]
    assert pledges > 10

    renamed = run(site, catalog(site, {"cwac-labour-2019": "page.html"}))
    assert renamed["renamed"] == ["cwac-2019 -> cwac-labour-2019"]
    assert (renamed["documents"], renamed["unchanged"], renamed["failed"]) == (0, 1, 0)
    assert "1 renamed: cwac-2019 -> cwac-labour-2019" in format_summary(renamed)
    assert "`cwac-2019 -> cwac-labour-2019`" in report_markdown(renamed, [])
    assert query(db, "select source_id, version, current from source_documents") == [
        ("cwac-labour-2019", 1, 1)]
    assert query(db, "select source_id, count(*) from current_pledges group by source_id") == [
        ("cwac-labour-2019", pledges)]
    assert query(db, "select count(*) from matches")[0][0] == matched
    history = CliRunner().invoke(main, ["history", "cwac-labour-2019", "--db", str(db)])
    assert history.exit_code == 0 and "version 1" in history.output

    again = run(site, catalog(site, {"cwac-labour-2019": "page.html"}))
    assert again["renamed"] == [] and again["unchanged"] == 1


def test_a_source_still_listed_is_not_taken_over_by_a_new_one_with_its_url(site):
    run(site, catalog(site, {"cwac-2019": "page.html"}))
    both = run(site, catalog(site, {"cwac-2019": "page.html", "cwac-copy": "page.html"}))
    assert both["renamed"] == [] and both["documents"] == 1  # the copy linked, not renamed
    assert query(site / "pf.db", "select source_id, current from source_documents "
                                 "order by source_id") == [("cwac-2019", 1), ("cwac-copy", 1)]


def test_two_databases_sharing_raw_and_processed_folders_do_not_poison_each_other(site):
    """The same page under two ids in two databases run from one folder, then the first
    database re-extracted from the saved parse the second wrote over, and run again."""
    first_db = site / "first.db"
    run(site, catalog(site, {"cwac-2019": "page.html"}, "first.toml"), "first.db")
    second = run(site, catalog(site, {"ward-copy": "page.html", "other": "other.html"},
                               "second.toml"), "second.db")
    assert second["failed"] == 0 and second["documents"] == 2
    for saved in (site / "processed" / "documents").glob("*.json"):
        data = json.loads(saved.read_text(encoding="utf-8"))
        assert data["source_id"] is None and data["meta"] == {}  # the bytes', no source's
        assert f".{data['parser']}-{data['parser_version']}.json" in saved.name

    result = CliRunner().invoke(main, ["reextract", "--all", "--db", str(first_db)])
    assert result.exit_code == 0, result.output
    assert "re-extracted 1 document(s)" in result.output
    again = run(site, catalog(site, {"cwac-2019": "page.html"}, "first.toml"), "first.db")
    assert (again["failed"], again["unchanged"]) == (0, 1)
    assert query(first_db, "select source_id from source_documents") == [("cwac-2019",)]

    problems = diagnose(first_db, site / "raw")
    # the second database's other page is in the shared raw folder: one warning, no error
    assert [(p.severity, p.what) for p in problems] == [("warning", "unused raw files")]
    assert "1 file(s)" in problems[0].detail
    assert diagnose(site / "second.db", site / "raw") == []
