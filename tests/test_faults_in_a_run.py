"""Fetch faults inside one pipeline run: each source that fails is recorded in failures
with its stage, error type and message, and the run loads the others."""

from __future__ import annotations

import gzip
import socket
import sqlite3

import pytest
from conftest import failures_by_source, write_catalog

from pledgeflow.flows.pipeline import pipeline

# a flow run per fault, each on a served catalog
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]
GOOD = (b"<html><body><main><h1>Plan</h1><p>We will light every footpath.</p></main>"
        b"</body></html>")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the with-block ends: connections are refused


@pytest.fixture(scope="module")
def run(tmp_path_factory, http_server):
    tmp = tmp_path_factory.mktemp("fetch-faults")
    p = "/run-faults"
    http_server.route(f"{p}/good.html", body=GOOD, headers={"Content-Type": "text/html"})
    http_server.route(f"{p}/gone.html", status=410, body=b"gone")
    http_server.route(f"{p}/missing.html", status=404, body=b"missing")
    http_server.route(f"{p}/broken.html", status=500, body=b"error")
    http_server.route_sequence(f"{p}/busy.html", [
        (503, b"", {"Retry-After": "1"}),
        (200, GOOD.replace(b"footpath", b"alley"), {"Content-Type": "text/html"})])
    http_server.redirect(f"{p}/loop-a.html", f"{p}/loop-b.html")
    http_server.redirect(f"{p}/loop-b.html", f"{p}/loop-a.html")
    http_server.route(f"{p}/huge.html", body=b"<p>" + b"x" * (60 * 1024 * 1024))
    http_server.route(f"{p}/slow.html", body=GOOD, delay=4.0)
    http_server.route(f"{p}/bomb.html", body=gzip.compress(b"\0" * (80 * 1024 * 1024)),
                      headers={"Content-Encoding": "gzip", "Content-Type": "text/html"})
    http_server.route(f"{p}/pdf-as-html.html", body=b"%PDF-1.4 garbage",
                      headers={"Content-Type": "text/html"})
    urls = {name: http_server.url(f"{p}/{name}.html") for name in (
        "good", "gone", "missing", "broken", "busy", "loop-a", "huge", "slow", "bomb",
        "pdf-as-html")}
    urls["refused"] = f"http://127.0.0.1:{closed_port()}/plan.html"
    urls["outside"] = "file:///etc/hostname"
    urls["ftp"] = "ftp://127.0.0.1/plan.html"
    write_catalog(tmp / "catalog.toml", urls)
    summary = pipeline(sources=str(tmp / "catalog.toml"), db=str(tmp / "pf.db"),
                       raw_dir=str(tmp / "raw"), processed_dir=str(tmp / "processed"),
                       fetch_timeout=2.0)
    failures = failures_by_source(tmp / "pf.db")
    with sqlite3.connect(tmp / "pf.db") as conn:
        loaded = {r[0] for r in conn.execute("select source_id from source_documents")}
    return summary, failures, loaded, http_server, p, tmp / "pf.db"


@pytest.mark.parametrize(("source", "stage", "error_type", "words"), [
    ("gone", "fetch", "HTTPStatusError", "410"),
    ("missing", "fetch", "HTTPStatusError", "404"),
    ("broken", "fetch", "HTTPStatusError", "500"),
    ("loop-a", "fetch", "TooManyRedirects", "redirect"),
    ("huge", "fetch", "TooLargeError", "too large"),
    ("slow", "fetch", "FetchTimeout", "timed out"),
    ("bomb", "fetch", "TooLargeError", "too large"),
    ("refused", "fetch", "ConnectionFailed", "127.0.0.1"),
    ("outside", "fetch", "OutsideAllowedRoot", "outside the catalog folder"),
    ("ftp", "fetch", "UnsupportedSchemeError", "ftp"),
    ("pdf-as-html", "parse", "ParseError", "PDF"),
])
def test_each_fault_is_recorded_with_stage_type_and_message(run, source, stage, error_type,
                                                            words):
    _, failures, loaded, *_ = run
    assert failures[source][:2] == (stage, error_type)
    assert words.lower() in failures[source][2].lower(), failures[source][2]
    assert source not in loaded


def test_each_failure_names_the_url_that_failed(run):
    *_, db = run
    with sqlite3.connect(db) as conn:
        urls = dict(conn.execute("select source_id, url from failures"))
    assert urls["outside"] == "file:///etc/hostname"
    assert urls["missing"].endswith("/run-faults/missing.html")


def test_retries_follow_the_kind_of_fault(run):
    _, _, loaded, server, p, _ = run
    assert len(server.requests_for(f"{p}/missing.html")) == 1  # 404: never retried
    assert len(server.requests_for(f"{p}/broken.html")) == 3  # 500: three attempts
    assert len(server.requests_for(f"{p}/busy.html")) == 2  # 503 + Retry-After, then 200
    assert "busy" in loaded


def test_the_other_documents_of_the_run_are_loaded(run):
    summary, failures, loaded, *_ = run
    assert loaded == {"good", "busy"}
    assert summary["failed"] == len(failures) == 11
