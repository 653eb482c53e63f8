"""Discovery on later runs: the index page asked for conditionally, a 304 that keeps the
pages it linked, and pages it stops linking retired with a row in ``changes``.

A party site of its own on 127.0.0.1 (its own robots.txt) serves the index page and its
section pages with ETag and Last-Modified; the server answers 304 when they match, and
records every request with its headers.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LocalHTTPServer
from toml_catalog import TOWNSFOLK, write_catalog

from pledgeflow.cli import main
from pledgeflow.fetch.discover import discover
from pledgeflow.flows.pipeline import pipeline

# four flow runs against a counting local server
pytestmark = pytest.mark.slow

INDEX = "/party/manifesto/"
MODIFIED = "Mon, 03 Nov 2025 10:00:00 GMT"
SECTIONS = {"housing": "build 300 council homes", "buses": "restore the night bus",
            "parks": "open the lido every summer"}


def index_page(sections: list[str]) -> bytes:
    items = "".join(f'<li><a href="{INDEX}{name}">{name.title()}</a></li>' for name in sections)
    return f"<html><body><main><h1>Our manifesto</h1><ul>{items}</ul></main></body></html>".encode()


def section_page(name: str) -> bytes:
    return (f"<html><body><main><h1>{name.title()}</h1><p>Our town needs a plan.</p>"
            f"<p>We will {SECTIONS[name]}.</p></main></body></html>").encode()


def serve_index(site: LocalHTTPServer, sections: list[str], etag: str) -> None:
    site.route(INDEX, body=index_page(sections), headers={
        "Content-Type": "text/html; charset=utf-8", "ETag": etag, "Last-Modified": MODIFIED})


@pytest.fixture
def site(http_server):
    site = LocalHTTPServer().start()
    site.route("/robots.txt", body=b"User-agent: *\nAllow: /\n",
               headers={"Content-Type": "text/plain"})
    for name in SECTIONS:
        site.route(f"{INDEX}{name}", body=section_page(name), headers={
            "Content-Type": "text/html; charset=utf-8", "ETag": f'"{name}-1"'})
    yield site
    site.stop()


def test_a_304_index_keeps_its_links_and_a_changed_pattern_still_applies(site):
    serve_index(site, list(SECTIONS), '"i1"')
    first = discover(site.url(INDEX), pattern=None)
    assert (first.not_modified, [link.url.rsplit("/", 1)[1] for link in first.links]) == (
        False, ["housing", "buses", "parks"])

    again = discover(site.url(INDEX), pattern=None, previous=first.page)
    sent = site.requests_for(INDEX)[-1].headers
    assert (sent["If-None-Match"], sent["If-Modified-Since"]) == ('"i1"', MODIFIED)
    assert again.not_modified and again.index.status == 304
    assert [link.url for link in again.links] == [link.url for link in first.links]

    narrowed = discover(site.url(INDEX), pattern=r"/(housing|parks)$", previous=first.page)
    assert narrowed.not_modified
    assert [link.url.rsplit("/", 1)[1] for link in narrowed.links] == ["housing", "parks"]


def test_validators_of_another_index_url_are_not_sent(site):
    serve_index(site, list(SECTIONS), '"i1"')
    first = discover(site.url(INDEX), pattern=None)
    site.route("/party/other/", body=index_page(["housing"]),
               headers={"Content-Type": "text/html", "ETag": '"i1"'})
    other = discover(site.url("/party/other/"), pattern=None, previous=first.page)
    assert site.requests_for("/party/other/")[-1].headers["If-None-Match"] is None
    assert not other.not_modified and len(other.links) == 1


@pytest.mark.usefixtures("prefect_harness")
def test_reruns_ask_for_the_index_conditionally_and_retire_what_it_drops(tmp_path, site):
    catalog = write_catalog(tmp_path / "catalog.toml", {
        "id": "townsfolk-2025", "url": site.url(INDEX), **TOWNSFOLK, "discover": True})
    db = tmp_path / "pf.db"

    def run() -> dict:
        return pipeline(sources=str(catalog), db=str(db), raw_dir=str(tmp_path / "raw"),
                        processed_dir=str(tmp_path / "processed"))

    def current() -> list[str]:
        return [url.rsplit("/", 1)[1] for (url,) in query(
            db, "select part_url from source_documents where current = 1 order by part")]

    serve_index(site, list(SECTIONS), '"i1"')
    first = run()
    assert (first["documents"], first["failed"]) == (3, 0)
    assert current() == ["housing", "buses", "parks"]
    assert site.requests_for(INDEX)[-1].headers["If-None-Match"] is None

    # Nothing changed: one request for the index, conditional, answered 304; the pages
    # it linked are kept (and asked for conditionally in their turn).
    before = len(site.requests_for(INDEX))
    second = run()
    asked = site.requests_for(INDEX)[before:]
    assert len(asked) == 1
    assert (asked[0].headers["If-None-Match"], asked[0].headers["If-Modified-Since"]) == (
        '"i1"', MODIFIED)
    assert (second["documents"], second["not_modified"], second["failed"]) == (0, 3, 0)
    assert current() == ["housing", "buses", "parks"]
    assert query(db, "select count(*) from changes") == [(0,)]

    # The index drops the buses page: it is retired, with a row in changes.
    serve_index(site, ["housing", "parks"], '"i2"')
    third = run()
    assert site.requests_for(INDEX)[-1].headers["If-None-Match"] == '"i1"'
    assert current() == ["housing", "parks"]
    run_id = query(db, "select id from runs order by started_at desc, rowid desc limit 1")[0][0]
    assert third["run_id"] == run_id
    assert query(db, "select source_id, kind, change, text, run_id, detected_at is not null "
                     "from changes") == [
        ("townsfolk-2025", "pages", "retired", site.url(f"{INDEX}buses"), run_id, 1)]
    assert query(db, "select etag from index_pages") == [('"i2"',)]

    listed = CliRunner().invoke(main, ["changes", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    line = listed.stdout.strip().split("\t")
    assert line[1:] == ["townsfolk-2025", "pages", "retired", site.url(f"{INDEX}buses")]
    history = CliRunner().invoke(main, ["history", "townsfolk-2025", "--db", str(db)]).output
    assert f"retired: no longer linked from the index page ({site.url(INDEX)}buses)" in history

    # Linked again: the same bytes become current again, not "unchanged" and left retired.
    serve_index(site, list(SECTIONS), '"i3"')
    fourth = run()
    assert (fourth["documents"], fourth["failed"]) == (1, 0)
    assert current() == ["housing", "buses", "parks"]
    pledges = [text for (text,) in query(
        db, "select p.text from current_pledges p join source_documents l on "
            "l.document_id = p.document_id and l.source_id = p.source_id and l.current = 1 "
            "order by l.part")]
    assert pledges == [f"We will {SECTIONS[name]}." for name in ("housing", "buses", "parks")]
    assert query(db, "select count(*) from changes where change = 'retired'") == [(1,)]


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()
