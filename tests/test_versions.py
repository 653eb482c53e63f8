"""Re-runs: conditional fetches, kept versions, changes between them, re-extraction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledgeflow.cli import main
from pledgeflow.flows.pipeline import pipeline

# flow runs again and again over changing pages
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Our plan</title></head>
<body><nav><a href="/">Home</a></nav><main><h1>Our plan for Brookfield</h1>
<p>Brookfield deserves a council that listens.</p>
<p>If elected, we will:</p><ul>{items}</ul></main>
<footer>Promoted by the Brookfield Independents</footer></body></html>"""
FIRST = ["Reopen the public toilets in the market square",
         "Publish every councillor's expenses online",
         "Keep the library open on Saturdays"]
EDITED = ["Reopen the public toilets in the market square",
          "Keep the library open on Saturdays",
          "Plant an orchard on the old bowling green"]


def page(items: list[str]) -> bytes:
    return PAGE.format(items="".join(f"<li>{i}</li>" for i in items)).encode()


def serve(http_server, path: str, items: list[str], etag: str) -> None:
    http_server.route(path, body=page(items), headers={
        "Content-Type": "text/html; charset=utf-8", "ETag": etag,
        "Last-Modified": "Mon, 03 Nov 2025 10:00:00 GMT"})


@pytest.fixture(scope="module")
def site(tmp_path_factory, http_server):
    tmp = tmp_path_factory.mktemp("versions")
    path = "/versions/brookfield.html"
    catalog = tmp / "catalog.toml"
    catalog.write_text(f"""[[sources]]
id = "brookfield-independents-2025"
url = "{http_server.url(path)}"
organisation = "Brookfield Independents"
council = "Brookfield"
kind = "manifesto"
title = "Our plan for Brookfield"
period = "2025-2029"
""", encoding="utf-8")

    def run() -> dict:
        return pipeline(sources=str(catalog), db=str(tmp / "pf.db"), raw_dir=str(tmp / "raw"),
                        processed_dir=str(tmp / "processed"))

    serve(http_server, path, FIRST, '"v1"')
    first = run()
    second = run()
    sent = http_server.requests_for(path)[-1].headers
    serve(http_server, path, EDITED, '"v2"')
    third = run()
    return tmp, path, first, second, sent, third


def query(tmp: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(tmp / "pf.db") as conn:
        return conn.execute(sql).fetchall()


def test_second_run_is_conditional_and_does_no_parse_or_load(site):
    tmp, _, first, second, sent, _ = site
    assert (first["fetched"], first["parsed"], first["documents"]) == (1, 1, 1)
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 03 Nov 2025 10:00:00 GMT"
    assert (second["not_modified"], second["fetched"], second["parsed"],
            second["documents"], second["unchanged"]) == (1, 0, 0, 0, 1)
    runs = query(tmp, "select not_modified, parsed, documents from runs order by started_at")
    assert runs[1] == (1, 0, 0)


def test_an_edited_page_is_a_new_version_with_exactly_its_changes(site):
    tmp, _, _, _, _, third = site
    assert third["documents"] == 1
    versions = query(tmp, "select version, current from source_documents order by version")
    assert versions == [(1, 0), (2, 1)]
    changes = query(tmp, "select kind, change, text from changes order by change")
    assert changes == [
        ("pledges", "added", "Plant an orchard on the old bowling green"),
        ("pledges", "removed", "Publish every councillor's expenses online")]
    current = {r[0] for r in query(tmp, "select text from current_pledges")}
    assert current == set(EDITED)
    assert len(query(tmp, "select id from pledges")) == len(FIRST) + len(EDITED)


def test_history_prints_versions_and_changes(site):
    tmp = site[0]
    out = CliRunner().invoke(main, ["history", "brookfield-independents-2025",
                                    "--db", str(tmp / "pf.db")]).output
    assert "version 1" in out and "version 2" in out and "(current)" in out
    assert "+ pledges: Plant an orchard on the old bowling green" in out
    assert "- pledges: Publish every councillor's expenses online" in out


def test_reextract_works_from_saved_parses_without_fetching(site, http_server):
    tmp, path = site[0], site[1]
    requests_before = len(http_server.requests_for(path))
    before = query(tmp, "select id, text from current_pledges order by id")
    result = CliRunner().invoke(main, ["reextract", "--all", "--db", str(tmp / "pf.db")])
    assert result.exit_code == 0, result.output
    assert "re-extracted 1 document(s)" in result.output
    assert query(tmp, "select id, text from current_pledges order by id") == before
    assert len(http_server.requests_for(path)) == requests_before
    # the re-extracted version is compared with its predecessor again, not duplicated
    assert len(query(tmp, "select id from changes")) == 2


def test_reextract_skips_documents_whose_records_are_up_to_date(site):
    result = CliRunner().invoke(main, ["reextract", "--db", str(site[0] / "pf.db")])
    assert "re-extracted 0 document(s)" in result.output


def test_a_saved_parse_of_the_same_bytes_and_parser_version_is_reused(tmp_path, samples_dir):
    from pledgeflow import stages
    from pledgeflow.catalog import load_catalog

    settings = stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed")
    source = next(s for s in load_catalog(samples_dir / "catalog.toml")
                  if s.id == "bnes-libdem-2023")
    fetched = stages.fetch_source(source, settings)
    first = stages.parse_fetched(fetched, settings)
    second = stages.parse_fetched(fetched, settings)
    assert (first.cached, second.cached) == (False, True)
    assert second.document.blocks == first.document.blocks


def test_a_page_back_to_earlier_bytes_is_current_again(tmp_path, http_server):
    path = "/versions/back-again.html"
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(f"""[[sources]]
id = "back-again-2025"
url = "{http_server.url(path)}"
organisation = "Back Again"
council = "Brookfield"
kind = "manifesto"
title = "Back again"
period = "2025-2029"
""", encoding="utf-8")
    for items, etag in ((FIRST, '"a"'), (EDITED, '"b"'), (FIRST, '"a"')):
        serve(http_server, path, items, etag)
        summary = pipeline(sources=str(catalog), db=str(tmp_path / "pf.db"),
                           raw_dir=str(tmp_path / "raw"), processed_dir=str(tmp_path / "processed"))
        assert (summary["documents"], summary["failed"]) == (1, 0)
    with sqlite3.connect(tmp_path / "pf.db") as conn:
        current = {r[0] for r in conn.execute("select text from current_pledges")}
        versions = conn.execute("select version, current from source_documents "
                                "order by version").fetchall()
    assert current == set(FIRST)
    assert versions == [(2, 0), (3, 1)]  # the first bytes' link is now version 3
