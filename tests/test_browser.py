"""The researchers' browser path, in a real headless Chromium (Debian's, driven by
Playwright): search, a pledge's row with its provenance, every canned query, and a write
that must fail. Screenshots are saved under the test's temporary folder."""

from __future__ import annotations

import hashlib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from pledgeflow.research.browse import QUERIES

CHROMIUM = Path("/usr/bin/chromium")
# a Datasette server driven by Chromium
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's chromium is not installed (.ci/run installs it)")]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def site(browsing):
    return browsing.database_url.rsplit("/", 1)[0], browsing.db, browsing.folder


@pytest.fixture(scope="module")
def page(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=FLAGS)
        yield browser.new_page()
        browser.close()


def test_search_a_word_and_open_a_pledge_with_its_provenance(site, page):
    base, _, folder = site
    page.goto(f"{base}/pf/pledges")
    page.fill("input[name=_search]", "apprenticeships")
    page.press("input[name=_search]", "Enter")
    page.wait_for_load_state()
    page.screenshot(path=str(folder / "search.png"), full_page=True)
    assert "Secure 2000 new diverse apprenticeships" in page.content()
    row = page.locator("table.rows-and-columns tbody tr", has_text="Secure 2000")
    row.locator("td.col-id a").click()  # the pledge's own page
    page.wait_for_load_state()
    page.screenshot(path=str(folder / "pledge.png"), full_page=True)
    text = page.inner_text("body")
    for provenance in ("document_id", "page", "section", "start", "rule", "extractor"):
        assert provenance in text
    import sqlite3

    with sqlite3.connect(site[1]) as conn:
        rule, document_id = conn.execute(
            "select rule, document_id from pledges where text like 'Secure 2000%'").fetchone()
    assert rule in text and document_id in text


def test_every_canned_query_runs_in_the_browser(site, page):
    base, _, folder = site
    params = {"organisation": "Labour", "term": "school", "start": "2018-01", "end": "2020-12",
              "since": "2000-01-01", "words": "school"}
    for name in QUERIES:
        page.goto(f"{base}/pf/{name}?" + urllib.parse.urlencode(params))
        page.screenshot(path=str(folder / f"query-{name}.png"), full_page=True)
        assert page.locator(".message-error").count() == 0, name
        if name != "changes_since":  # the samples have one version each: no changes yet
            assert page.locator("table.rows-and-columns tbody tr").count() > 0, name


def test_every_canned_query_opens_before_a_value_is_typed(site, page):
    """As a researcher first opens one: no error, and the form waits for a value."""
    base, _, folder = site
    for name in QUERIES:
        page.goto(f"{base}/pf/{name}")
        assert page.locator(".message-error").count() == 0, name
    page.goto(f"{base}/pf/pledges_mentioning")
    assert "0 results" in page.inner_text("body")
    for typed in ("children's", "COVID-19", '"unbalanced', "£5", "AND", "schools OR"):
        page.fill("input[name=term]", typed)
        page.press("input[name=term]", "Enter")
        page.wait_for_load_state()
        assert page.locator(".message-error").count() == 0, typed
        assert page.input_value("input[name=term]") == typed
    page.screenshot(path=str(folder / "query-typed.png"), full_page=True)
    assert page.locator("table.rows-and-columns tbody tr").count() == 2  # schools OR


def test_a_write_through_the_browser_fails_and_changes_nothing(site, page):
    base, db, folder = site
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    page.goto(f"{base}/pf?" + urllib.parse.urlencode({"sql": "delete from pledges"}))
    page.screenshot(path=str(folder / "write.png"), full_page=True)
    assert "Statement must be a SELECT" in page.content()
    page.goto(f"{base}/pf/pledges.json?_size=0")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_the_pledge_status_query_and_the_kpi_chart_show_in_the_browser(site, page):
    """A journalist's path: is the schools pledge on track, and the chart to publish."""
    from pledgeflow.research.report import render
    from pledgeflow.store.db import open_db

    base, db, folder = site
    page.goto(f"{base}/pf/pledge_on_track?" + urllib.parse.urlencode({"words": "rated Good"}))
    page.screenshot(path=str(folder / "pledge-on-track.png"), full_page=True)
    body = page.inner_text("table.rows-and-columns")
    assert "off track" in body and "91.8% against 100.0% (red, 2019/20 Q2)" in body
    report = folder / "report.html"
    report.write_text(render(open_db(db)), encoding="utf-8")
    page.goto(report.as_uri())
    chart = page.locator("svg[aria-label^='Increase the proportion of children attending a "
                         "good or better secondary school']")
    chart.screenshot(path=str(folder / "kpi-chart.png"))
    assert chart.is_visible() and "91.8% Red" in chart.inner_html()
    heading = page.locator("h3", has_text="good or better secondary school")
    assert heading.inner_text().endswith("measured by Ofsted inspection results")  # uncut
