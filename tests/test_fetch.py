"""fetch() against a real HTTP server on 127.0.0.1, local files, and the raw store."""

from __future__ import annotations

import hashlib
import pickle
import time
from datetime import datetime
from pathlib import Path

import pytest

from pledgeflow import __version__
from pledgeflow.fetch.sources import (
    USER_AGENT,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirects,
    UnsupportedSchemeError,
    fetch,
    raw_path,
    resolve_url,
    store_raw,
)


@pytest.fixture(scope="module")
def samples_server(http_server, samples_dir):
    http_server.serve_dir("/samples/", samples_dir)
    return http_server


def _first(folder: Path, pattern: str) -> Path:
    return sorted(folder.glob(pattern))[0]


# --- successful fetches


def test_pdf_sample_fetched_with_body_hash_and_sniffed_type(samples_server, samples_dir):
    pdf = _first(samples_dir / "pdf", "*.pdf")
    url = samples_server.url(f"/samples/pdf/{pdf.name}")

    got = fetch(url)

    assert got.status == 200
    assert got.data == pdf.read_bytes()
    assert got.sha256 == hashlib.sha256(got.data).hexdigest()
    assert got.media_type == "application/pdf"
    assert got.declared_type == "application/pdf"
    assert got.url == got.final_url == url


def test_html_sample_fetched_as_html_without_header_charset(samples_server, samples_dir):
    page = _first(samples_dir / "html", "*.html")

    got = fetch(samples_server.url(f"/samples/html/{page.name}"))

    assert got.data == page.read_bytes()
    assert got.media_type == "text/html"
    assert got.declared_type == "text/html"
    assert got.charset is None  # the encoding is left for the parser to find in <meta>


def test_charset_etag_last_modified_and_fetch_time_recorded(http_server):
    http_server.route(
        "/meta/page",
        body=b"<html><body>hi</body></html>",
        headers={
            "Content-Type": "text/html; charset=ISO-8859-1",
            "ETag": '"abc123"',
            "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT",
        },
    )

    got = fetch(http_server.url("/meta/page"))

    assert got.charset == "iso-8859-1"
    assert got.etag == '"abc123"'
    assert got.last_modified == "Wed, 01 May 2024 10:00:00 GMT"
    assert datetime.fromisoformat(got.fetched_at).utcoffset().total_seconds() == 0


def test_user_agent_names_pledgeflow_and_version(http_server):
    http_server.route("/ua/check", body=b"ok", headers={"Content-Type": "text/plain"})

    fetch(http_server.url("/ua/check"))

    sent = http_server.requests_for("/ua/check")[-1].headers["User-Agent"]
    assert sent == USER_AGENT
    assert sent.startswith(f"pledgeflow/{__version__} ")


def test_pdf_served_as_html_is_sniffed_as_pdf(http_server, samples_dir):
    pdf = _first(samples_dir / "pdf", "*.pdf").read_bytes()
    http_server.route("/liar/plan", body=pdf, headers={"Content-Type": "text/html"})

    got = fetch(http_server.url("/liar/plan"))

    assert got.declared_type == "text/html"
    assert got.media_type == "application/pdf"


def test_markdown_url_extension_breaks_text_tie(http_server):
    http_server.route("/md/plan.md", body=b"# Pledges\n", headers={"Content-Type": "text/plain"})

    assert fetch(http_server.url("/md/plan.md")).media_type == "text/markdown"


# --- HTTP errors and retryability


def test_404_raises_non_retryable_status_error(http_server):
    url = http_server.url("/errors/missing")
    http_server.route("/errors/missing", status=404, body=b"nope")

    with pytest.raises(HTTPStatusError) as info:
        fetch(url)

    assert info.value.status == 404
    assert info.value.retryable is False
    assert str(info.value) == f"HTTP 404 Not Found for {url}"


def test_410_gone_is_not_retryable(http_server):
    http_server.route("/errors/gone", status=410)

    with pytest.raises(HTTPStatusError) as info:
        fetch(http_server.url("/errors/gone"))

    assert (info.value.status, info.value.retryable) == (410, False)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_transient_server_statuses_are_retryable(http_server, status):
    http_server.route(f"/errors/{status}", status=status)

    with pytest.raises(HTTPStatusError) as info:
        fetch(http_server.url(f"/errors/{status}"))

    assert info.value.status == status
    assert info.value.retryable is True


def test_500_then_200_first_attempt_retryable_second_succeeds(http_server):
    # What the Prefect task's retries rely on: a retryable error, then success on re-run.
    http_server.route_sequence("/flaky/doc", [(500, b"", {}), (200, b"ok", {})])
    url = http_server.url("/flaky/doc")

    with pytest.raises(FetchError) as info:
        fetch(url)
    assert info.value.retryable is True

    got = fetch(url)
    assert (got.status, got.data) == (200, b"ok")
    assert len(http_server.requests_for("/flaky/doc")) == 2


def test_fetch_errors_survive_pickling_with_their_attributes(http_server):
    # Prefect may pickle a failed task's exception; the retry decision must survive it.
    http_server.route("/errors/pickle", status=503)
    with pytest.raises(HTTPStatusError) as info:
        fetch(http_server.url("/errors/pickle"))

    copy = pickle.loads(pickle.dumps(info.value))

    assert type(copy) is HTTPStatusError
    assert (str(copy), copy.status, copy.retryable) == (str(info.value), 503, True)


# --- redirects


def test_redirect_followed_and_final_url_reported(http_server):
    http_server.redirect("/moved/old", "/moved/new", status=301)
    http_server.route("/moved/new", body=b"here", headers={"Content-Type": "text/plain"})

    got = fetch(http_server.url("/moved/old"))

    assert got.data == b"here"
    assert got.url == http_server.url("/moved/old")
    assert got.final_url == http_server.url("/moved/new")


def test_redirect_loop_raises_too_many_redirects(http_server):
    http_server.redirect("/loop/a", "/loop/b")
    http_server.redirect("/loop/b", "/loop/a")

    with pytest.raises(TooManyRedirects) as info:
        fetch(http_server.url("/loop/a"), max_redirects=5)

    assert info.value.retryable is False
    assert len(http_server.requests_for("/loop/a")) + len(http_server.requests_for("/loop/b")) == 6


def test_redirect_to_unsupported_scheme_rejected(http_server):
    http_server.redirect("/moved/ftp", "ftp://example.org/plan.pdf")

    with pytest.raises(UnsupportedSchemeError):
        fetch(http_server.url("/moved/ftp"))


# --- size cap and timeouts


def test_oversize_streamed_body_stops_reading_early(http_server):
    chunk = b"x" * 64 * 1024
    chunks = 200  # 12.5 MiB, which at 20 ms a chunk would take about 4 s to send in full
    http_server.route(
        "/big/stream",
        body=lambda: (chunk for _ in range(chunks)),
        headers={"Content-Type": "text/plain"},
        chunk_delay=0.02,
    )

    started = time.monotonic()
    with pytest.raises(TooLargeError) as info:
        fetch(http_server.url("/big/stream"), max_bytes=256 * 1024)
    elapsed = time.monotonic() - started

    assert info.value.retryable is False
    assert elapsed < 2.0
    stats = http_server.stream_stats("/big/stream")
    assert stats.finished.wait(5), "server kept streaming after the client gave up"
    assert stats.sent < len(chunk) * chunks


def test_oversize_content_length_rejected_before_reading_body(http_server):
    # The header promises far more than is sent. Reading the body would wait for bytes that
    # never come (a FetchTimeout), so TooLargeError shows the header was checked first.
    http_server.route("/big/declared", body=b"tiny", headers={"Content-Length": "1000000000"})

    with pytest.raises(TooLargeError) as info:
        fetch(http_server.url("/big/declared"), max_bytes=1024, timeout=1)

    assert "Content-Length" in str(info.value)


def test_body_exactly_at_limit_is_accepted(http_server):
    http_server.route("/big/exact", body=b"a" * 1000)

    assert len(fetch(http_server.url("/big/exact"), max_bytes=1000).data) == 1000


def test_slow_server_raises_retryable_timeout(http_server):
    http_server.route("/slow/page", body=b"late", delay=1.0)

    started = time.monotonic()
    with pytest.raises(FetchTimeout) as info:
        fetch(http_server.url("/slow/page"), timeout=0.2)

    assert info.value.retryable is True
    assert time.monotonic() - started < 0.9


def test_refused_connection_raises_retryable_connection_failed():
    import socket

    with socket.socket() as sock:  # find a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ConnectionFailed) as info:
        fetch(f"http://127.0.0.1:{port}/nothing", timeout=2)

    assert info.value.retryable is True


# --- local files and URL resolution


def test_file_url_reads_local_file(tmp_path, samples_dir):
    pdf = _first(samples_dir / "pdf", "*.pdf")

    got = fetch(pdf.resolve().as_uri())

    assert got.data == pdf.read_bytes()
    assert got.media_type == "application/pdf"
    assert got.status == 200
    assert got.declared_type is None


def test_file_url_with_space_in_name(tmp_path):
    target = tmp_path / "our plan.md"
    target.write_bytes(b"# Plan\n")

    got = fetch(target.as_uri())

    assert (got.data, got.media_type) == (b"# Plan\n", "text/markdown")


def test_missing_file_raises_clear_non_retryable_error(tmp_path):
    missing = tmp_path / "nope.pdf"

    with pytest.raises(FetchError) as info:
        fetch(missing.as_uri())

    assert info.value.retryable is False
    assert str(info.value) == f"file not found: {missing}"


def test_file_over_size_cap_rejected(tmp_path):
    target = tmp_path / "big.txt"
    target.write_bytes(b"a" * 2048)

    with pytest.raises(TooLargeError):
        fetch(target.as_uri(), max_bytes=1024)


def test_relative_path_resolves_against_catalog_folder(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "plan.html").write_bytes(b"<html><body>x</body></html>")

    url = resolve_url("docs/plan.html", tmp_path)

    assert url == (tmp_path / "docs" / "plan.html").resolve().as_uri()
    assert fetch(url).media_type == "text/html"


def test_absolute_path_and_file_and_http_urls_pass_through(tmp_path):
    assert resolve_url(str(tmp_path / "a.pdf"), Path("/elsewhere")) == (tmp_path / "a.pdf").as_uri()
    assert resolve_url("file:///srv/a.pdf", tmp_path) == "file:///srv/a.pdf"
    assert resolve_url(" https://example.org/a.pdf ", tmp_path) == "https://example.org/a.pdf"
    assert resolve_url("http://example.org/a", tmp_path) == "http://example.org/a"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/plan.pdf", "mailto:x@example.org", "//example.org/a.pdf"]
)
def test_unsupported_scheme_rejected_by_resolve_url(url, tmp_path):
    with pytest.raises(UnsupportedSchemeError) as info:
        resolve_url(url, tmp_path)

    assert info.value.retryable is False


def test_unsupported_scheme_rejected_by_fetch():
    with pytest.raises(UnsupportedSchemeError, match="ftp"):
        fetch("ftp://example.org/plan.pdf")


def test_file_url_on_another_host_rejected(tmp_path):
    with pytest.raises(UnsupportedSchemeError):
        resolve_url("file://server/share/plan.pdf", tmp_path)


# --- raw store


def test_store_raw_is_content_addressed(tmp_path):
    data = b"%PDF-1.4 pledges"
    digest = hashlib.sha256(data).hexdigest()

    path = store_raw(data, tmp_path)

    assert path == tmp_path / digest[:2] / digest == raw_path(digest, tmp_path)
    assert path.read_bytes() == data
    assert store_raw(b"other bytes", tmp_path) != path


def test_store_raw_is_idempotent_and_does_not_rewrite(tmp_path):
    data = b"same bytes"
    first = store_raw(data, tmp_path)
    before = first.stat().st_mtime_ns
    time.sleep(0.01)

    second = store_raw(data, tmp_path)

    assert second == first
    assert first.stat().st_mtime_ns == before
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no temp files left


def test_raw_path_rejects_non_digest(tmp_path):
    with pytest.raises(ValueError):
        raw_path("../../etc/passwd", tmp_path)


def test_conditional_fetch_gets_not_modified_when_validators_match(http_server):
    http_server.route("/cond/page.html", body=b"<html><body><p>x</p></body></html>",
                      headers={"Content-Type": "text/html", "ETag": '"abc"'})
    first = fetch(http_server.url("/cond/page.html"))
    assert not first.not_modified and first.etag == '"abc"'
    again = fetch(http_server.url("/cond/page.html"), etag=first.etag)
    assert again.not_modified and again.status == 304 and again.data == b""
    changed = fetch(http_server.url("/cond/page.html"), etag='"old"')
    assert not changed.not_modified and changed.data == first.data
