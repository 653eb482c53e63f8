"""Browsing in Datasette: read-only, with metadata and canned queries."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from pledgeflow.browse import QUERIES


def get(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def served(browsing):
    return browsing.database_url, browsing.db


def test_every_table_has_a_title_description_and_column_notes(served):
    base, _ = served
    status, meta = get(base.rsplit("/", 1)[0] + "/-/metadata.json")
    assert status == 200
    tables = meta["databases"]["pf"]["tables"]
    for table in ("sources", "documents", "blocks", "pledges", "targets", "kpis", "actions",
                  "risks", "changes", "runs", "failures"):
        assert tables[table]["title"] and tables[table]["description"], table
    assert tables["pledges"]["columns"]["rule"].startswith("The rule")
    with urllib.request.urlopen(base + "/pledges", timeout=10) as page:
        html = page.read().decode()
    assert "Commitments, one per sentence" in html


def test_every_canned_query_runs(served):
    base, _ = served
    params = {"organisation": "Labour", "term": "school", "start": "2018-01",
              "end": "2020-12", "since": "2000-01-01"}
    words = {"pledge_to_measures": "rated Good", "measure_to_pledges": "good or better",
             "pledge_in_context": "apprenticeships"}
    for name in QUERIES:
        query = {**params, "words": words.get(name, "")}
        status, data = get(f"{base}/{name}.json?" + urllib.parse.urlencode(query))
        assert status == 200, (name, data)
        if name != "changes_since":
            assert data["rows"], name


def test_a_pledge_shows_its_source_page_and_surrounding_text(served):
    base, _ = served
    status, data = get(f"{base}/pledge_in_context.json?_shape=objects&words=2000+new")
    assert status == 200
    (row,) = data["rows"]
    assert row["page"] == 1 and row["url"].endswith("ealing-pledges-2022.pdf")
    assert "Secure 2000 new diverse apprenticeships" in row["block_text"]


def test_writes_through_the_browser_are_impossible(served):
    base, db = served
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for sql in ("delete from pledges", "update pledges set text = 'x'",
                "insert into sources (id) values ('x')", "drop table pledges",
                "pragma writable_schema = 1", "attach database 'x.db' as x"):
        status, data = get(f"{base}.json?" + urllib.parse.urlencode({"sql": sql}))
        assert status >= 400 or data.get("ok") is False, sql
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    status, data = get(f"{base}/pledges.json?_size=0")
    assert status == 200 and data["filtered_table_rows_count"] == 135


def test_browse_refuses_a_foreign_database(tmp_path):
    import sqlite3

    from click.testing import CliRunner

    from pledgeflow.cli import main

    foreign = tmp_path / "shop.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("create table orders (id integer)")
    result = CliRunner().invoke(main, ["browse", "--db", str(foreign)])
    assert result.exit_code == 1 and "refusing" in result.output


def test_pledges_facet_by_organisation_party_topic_and_period(served):
    base, _ = served
    status, data = get(f"{base}/pledge_details.json?_size=0")
    assert status == 200
    facets = data["facet_results"]
    assert {"organisation", "party", "council", "topic", "kind", "specific",
            "period"} <= set(facets)
    parties = {f["value"]: f["count"] for f in facets["party"]["results"]}
    assert parties["Liberal Democrats"] == 20


def test_every_column_of_every_browsed_table_is_described(sample_run):
    from pledgeflow.browse import COLUMNS, TABLES
    from pledgeflow.db import open_db

    db = open_db(sample_run.db_path)
    undocumented = {f"{t}.{c}" for t in TABLES
                    for c in (db[t] if t in db.table_names() else db.view(t)).columns_dict
                    if c not in COLUMNS}
    assert undocumented == set()
