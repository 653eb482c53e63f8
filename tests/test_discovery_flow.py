"""A manifesto spread over pages, discovered and ingested by the flow as one source."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import LocalHTTPServer
from toml_catalog import TOWNSFOLK, write_catalog

from pledgeflow.flows.pipeline import pipeline
from pledgeflow.research.export import source_records

# discovery through several flow runs
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
HTML = {"Content-Type": "text/html; charset=utf-8"}


def section(title: str, pledge: str) -> bytes:
    return (f"<html><body><main><h1>{title}</h1><p>Our town needs a plan for {title.lower()}."
            f"</p><p>We will {pledge}.</p></main></body></html>").encode()


@pytest.fixture
def party_site(http_server, samples_dir):
    """A party site of its own (own port, own robots.txt): an index page, three section
    pages, the full manifesto as a PDF, an off-site link and a disallowed draft."""
    site = LocalHTTPServer().start()
    index = b"""<html><body><main><h1>Our manifesto</h1><ol>
        <li><a href="/m/housing.html">Housing</a></li>
        <li><a href="/m/transport.html">Transport</a></li>
        <li><a href="https://campaign.example/donate">Donate</a></li>
        <li><a href="/m/drafts/parks.html">Parks (draft)</a></li>
        <li><a href="/m/climate.html">Climate</a></li>
        <li><a href="/m/full-manifesto.pdf">The full manifesto (PDF)</a></li>
        </ol></main></body></html>"""
    site.route("/robots.txt", body=b"User-agent: *\nDisallow: /m/drafts/\n",
               headers={"Content-Type": "text/plain"})
    site.route("/m/index.html", body=index, headers=HTML)
    site.route("/m/housing.html", body=section("Housing", "build 300 council homes"),
               headers=HTML)
    site.route("/m/transport.html", body=section("Transport", "restore the night bus"),
               headers=HTML)
    site.route("/m/climate.html", body=section("Climate", "plant a tree for every child"),
               headers=HTML)
    site.route("/m/drafts/parks.html", body=section("Parks", "open the lido"), headers=HTML)
    site.route("/m/full-manifesto.pdf",
               body=(samples_dir / "pdf" / "ealing-pledges-2022.pdf").read_bytes(),
               headers={"Content-Type": "application/pdf"})
    yield site
    site.stop()


def test_discovery_ingests_every_linked_page_under_one_source(tmp_path, party_site):
    catalog = write_catalog(tmp_path / "catalog.toml", {
        "id": "townsfolk-2025", "url": party_site.url("/m/index.html"), **TOWNSFOLK,
        "discover": True, "link_pattern": "/m/", "max_pages": 10})
    summary = pipeline(sources=str(catalog), db=str(tmp_path / "pf.db"),
                       raw_dir=str(tmp_path / "raw"), processed_dir=str(tmp_path / "processed"))
    assert summary["documents"] == 4 and summary["failed"] == 0
    with sqlite3.connect(tmp_path / "pf.db") as conn:
        parts = conn.execute("select part, part_url, media_type from current_documents "
                             "where source_id = 'townsfolk-2025' order by part").fetchall()
    assert [(p, url.rsplit("/", 1)[1], kind) for p, url, kind in parts] == [
        (1, "housing.html", "text/html"), (2, "transport.html", "text/html"),
        (3, "climate.html", "text/html"), (4, "full-manifesto.pdf", "application/pdf")]
    assert party_site.requests_for("/m/drafts/parks.html") == []  # robots.txt honoured
    import sqlite_utils

    pledges = [p["text"] for p in source_records(sqlite_utils.Database(tmp_path / "pf.db"),
                                                 "townsfolk-2025")["pledges"]]
    assert pledges[:3] == ["We will build 300 council homes.", "We will restore the night bus.",
                           "We will plant a tree for every child."]
    assert len(pledges) > 3  # the PDF's pledges follow, in page order
