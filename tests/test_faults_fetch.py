"""The fetch fault matrix: one test per fault, each against a real server on 127.0.0.1.

Every row asserts what is recorded for the fault (exception class, ``retryable``,
``status``, message) or what is parsed when the fetch succeeds anyway. Retries are timed
by a recording clock (``sleep=delays.append``): the server and the sockets are real, only
the waiting between attempts is skipped, except in one row that waits for real.
"""

from __future__ import annotations

import gzip
import pickle
import random
import socket
import sys
import time
import tracemalloc
import zlib
from email.utils import formatdate
from pathlib import Path

import pytest
from conftest import Reply

from pledgeflow.fetch.sources import (
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    OutsideAllowedRoot,
    TooLargeError,
    TooManyRedirects,
    UnsupportedSchemeError,
    fetch,
    fetch_with_retries,
    parse_retry_after,
    resolve_url,
)
from pledgeflow.parse import parse

HTML = (b"<!doctype html><html><head><title>Our pledges</title></head><body>"
        b"<h1>Our pledges</h1><p>We will build 500 council homes by 2026.</p></body></html>")


@pytest.fixture(scope="module")
def pdf_bytes(samples_dir) -> bytes:
    return (samples_dir / "pdf" / "ealing-pledges-2022.pdf").read_bytes()


class Clock:
    """Records the delays fetch_with_retries asks for instead of sleeping them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class Ceiling(random.Random):
    """A 'random' source that always picks the top of the range: the backoff ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- connecting -------------------------------------------------------------------------


def test_connection_refused_is_retryable_connection_failed():
    url = f"http://127.0.0.1:{_closed_port()}/doc"

    with pytest.raises(ConnectionFailed) as info:
        fetch(url, timeout=1)

    assert info.value.retryable is True
    assert info.value.status is None
    assert str(info.value).startswith(f"connection failed for {url}: ")


def test_connection_refused_retried_then_reported_with_attempt_count():
    clock = Clock()

    with pytest.raises(ConnectionFailed) as info:
        fetch_with_retries(f"http://127.0.0.1:{_closed_port()}/doc", attempts=2,
                           sleep=clock, timeout=1)

    assert info.value.attempts == 2
    assert len(clock.delays) == 1


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs to a full "
                    "accept queue")
def test_connect_timeout_when_listener_never_accepts():
    # backlog 0 and one pending connection fill the accept queue, so the kernel drops
    # our SYN and the TCP handshake never completes: a true connect timeout.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect_ex(("127.0.0.1", port))
            time.sleep(0.05)
            started = time.monotonic()
            with pytest.raises(FetchTimeout) as info:
                fetch(f"http://127.0.0.1:{port}/doc", timeout=0.3)
            elapsed = time.monotonic() - started
        finally:
            filler.close()

    assert info.value.retryable is True
    assert "ConnectTimeout" in str(info.value)
    assert elapsed < 2.0


def test_no_response_before_read_timeout(http_server):
    http_server.route("/fault/silent", body=b"late", delay=1.0)

    started = time.monotonic()
    with pytest.raises(FetchTimeout) as info:
        fetch(http_server.url("/fault/silent"), timeout=0.2)

    assert info.value.retryable is True
    assert "ReadTimeout" in str(info.value)
    assert time.monotonic() - started < 0.9


# --- bodies that trickle ----------------------------------------------------------------


def test_trickling_body_stopped_at_the_deadline(http_server):
    # Each chunk comes well within the read timeout; only the total deadline catches it.
    http_server.route("/fault/trickle", body=lambda: (b"x" * 10 for _ in range(100)),
                      headers={"Content-Type": "text/plain"}, chunk_delay=0.05)

    started = time.monotonic()
    with pytest.raises(FetchTimeout) as info:
        fetch(http_server.url("/fault/trickle"), timeout=1.0, deadline=0.4)
    elapsed = time.monotonic() - started

    assert info.value.retryable is True
    assert "0.4 s deadline" in str(info.value)
    assert 0.4 <= elapsed < 1.5
    stats = http_server.stream_stats("/fault/trickle")
    assert stats.finished.wait(5)
    assert stats.sent < 1000


def test_default_deadline_is_ten_timeouts(http_server):
    # A byte every 20 ms never trips the 0.25 s read timeout, only the 2.5 s deadline.
    http_server.route("/fault/trickle-default", body=lambda: (b"y" for _ in range(250)),
                      headers={"Content-Type": "text/plain"}, chunk_delay=0.02)

    started = time.monotonic()
    with pytest.raises(FetchTimeout, match=r"2\.5 s deadline"):
        fetch(http_server.url("/fault/trickle-default"), timeout=0.25)

    assert 2.5 <= time.monotonic() - started < 4.0


def test_slow_but_steady_body_within_deadline_succeeds(http_server):
    http_server.route("/fault/steady", body=lambda: (b"z" * 100 for _ in range(5)),
                      headers={"Content-Type": "text/plain"}, chunk_delay=0.02)

    assert fetch(http_server.url("/fault/steady"), timeout=1, deadline=5).data == b"z" * 500


# --- final statuses ---------------------------------------------------------------------


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (410, "Gone")])
def test_final_status_recorded_and_not_retried(http_server, status, reason):
    path = f"/fault/final-{status}"
    http_server.route(path, status=status, body=b"no", headers={"Retry-After": "1"})
    url = http_server.url(path)
    clock = Clock()

    with pytest.raises(HTTPStatusError) as info:
        fetch_with_retries(url, attempts=3, sleep=clock, timeout=1)

    assert (info.value.status, info.value.retryable) == (status, False)
    assert info.value.retry_after is None  # ignored on a final status
    assert str(info.value) == f"HTTP {status} {reason} for {url}"
    assert info.value.attempts == 1
    assert len(http_server.requests_for(path)) == 1
    assert clock.delays == []


# --- passing statuses, backoff and Retry-After ------------------------------------------


def test_429_retry_after_seconds_honoured_then_success(http_server):
    http_server.route_sequence("/fault/429", [
        (429, b"slow down", {"Retry-After": "2"}),
        (200, HTML, {"Content-Type": "text/html"}),
    ])
    clock = Clock()

    got = fetch_with_retries(http_server.url("/fault/429"), sleep=clock, timeout=1)

    assert (got.status, got.data) == (200, HTML)
    assert clock.delays == [2.0]
    assert len(http_server.requests_for("/fault/429")) == 2


def test_429_retry_after_recorded_on_the_error(http_server):
    http_server.route("/fault/429-only", status=429, headers={"Retry-After": "7"})

    with pytest.raises(HTTPStatusError) as info:
        fetch(http_server.url("/fault/429-only"), timeout=1)

    assert (info.value.status, info.value.retryable, info.value.retry_after) == (429, True, 7.0)
    copy = pickle.loads(pickle.dumps(info.value))  # Prefect may pickle it
    assert (copy.status, copy.retryable, copy.retry_after) == (429, True, 7.0)


def test_503_retry_after_http_date(http_server):
    http_server.route("/fault/503-date", status=503,
                      headers={"Retry-After": formatdate(time.time() + 30, usegmt=True)})

    with pytest.raises(HTTPStatusError) as info:
        fetch(http_server.url("/fault/503-date"), timeout=1)

    assert info.value.retryable is True
    assert 27 <= info.value.retry_after <= 30


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_retried_with_growing_backoff_ceiling(http_server, status):
    path = f"/fault/backoff-{status}"
    http_server.route(path, status=status)
    clock = Clock()

    with pytest.raises(HTTPStatusError) as info:
        fetch_with_retries(http_server.url(path), attempts=4, base_delay=0.5, max_delay=1.5,
                           sleep=clock, rng=Ceiling(), timeout=1)

    assert (info.value.status, info.value.retryable, info.value.attempts) == (status, True, 4)
    assert clock.delays == [0.5, 1.0, 1.5]  # doubling, then held at max_delay
    assert len(http_server.requests_for(path)) == 4


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_then_success_with_full_jitter(http_server, status):
    path = f"/fault/jitter-{status}"
    http_server.route_sequence(path, [(status, b"", {}), (status, b"", {}),
                                      (200, b"ok", {"Content-Type": "text/plain"})])
    clock = Clock()

    got = fetch_with_retries(http_server.url(path), attempts=3, base_delay=1.0,
                             sleep=clock, rng=random.Random(42), timeout=1)

    expected = random.Random(42)
    assert got.data == b"ok"
    assert clock.delays == [expected.uniform(0, 1.0), expected.uniform(0, 2.0)]
    assert 0 <= clock.delays[0] <= 1.0 and 0 <= clock.delays[1] <= 2.0


def test_retry_after_above_the_cap_is_capped(http_server):
    http_server.route_sequence("/fault/429-long", [
        (429, b"", {"Retry-After": "3600"}),
        (200, b"ok", {"Content-Type": "text/plain"}),
    ])
    clock = Clock()

    got = fetch_with_retries(http_server.url("/fault/429-long"), retry_after_cap=5.0,
                             sleep=clock, timeout=1)

    assert got.data == b"ok"
    assert clock.delays == [5.0]


def test_retry_after_capped_on_the_real_clock(http_server):
    http_server.route_sequence("/fault/429-real", [
        (429, b"", {"Retry-After": "1"}),
        (200, b"ok", {"Content-Type": "text/plain"}),
    ])

    started = time.monotonic()
    got = fetch_with_retries(http_server.url("/fault/429-real"), base_delay=0.01,
                             retry_after_cap=0.3, timeout=1)
    elapsed = time.monotonic() - started

    assert got.data == b"ok"
    assert 0.3 <= elapsed < 1.0


def test_retry_after_parsing():
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(" 0 ") == 0.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after(None) is None


def test_timeout_is_retried(http_server):
    http_server.route_sequence("/fault/slow-then-ok", [
        Reply(200, b"late", {}, delay=0.6),
        Reply(200, b"ok", {"Content-Type": "text/plain"}),
    ])
    clock = Clock()

    got = fetch_with_retries(http_server.url("/fault/slow-then-ok"), sleep=clock, timeout=0.2)

    assert got.data == b"ok"
    assert len(clock.delays) == 1


# --- redirects --------------------------------------------------------------------------


def test_redirect_loop_not_retried(http_server):
    http_server.redirect("/fault/loop-a", "/fault/loop-b")
    http_server.redirect("/fault/loop-b", "/fault/loop-a")
    clock = Clock()

    with pytest.raises(TooManyRedirects) as info:
        fetch_with_retries(http_server.url("/fault/loop-a"), sleep=clock, max_redirects=4,
                           timeout=1)

    assert info.value.retryable is False
    assert str(info.value).startswith("too many redirects fetching ")
    assert clock.delays == []
    sent = http_server.requests_for("/fault/loop-a") + http_server.requests_for("/fault/loop-b")
    assert len(sent) == 5  # the first request and four redirects, once


def test_too_many_redirects_in_a_chain(http_server):
    for i in range(6):
        http_server.redirect(f"/fault/chain-{i}", f"/fault/chain-{i + 1}", status=301)
    http_server.route("/fault/chain-6", body=b"end", headers={"Content-Type": "text/plain"})

    with pytest.raises(TooManyRedirects) as info:
        fetch(http_server.url("/fault/chain-0"), max_redirects=5, timeout=1)
    assert info.value.retryable is False

    got = fetch(http_server.url("/fault/chain-0"), max_redirects=6, timeout=1)
    assert (got.data, got.final_url) == (b"end", http_server.url("/fault/chain-6"))


def test_redirect_to_a_local_file_refused(http_server, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    http_server.redirect("/fault/to-file", secret.as_uri())

    with pytest.raises(UnsupportedSchemeError) as info:
        fetch(http_server.url("/fault/to-file"), timeout=1)

    assert info.value.retryable is False


# --- size cap ---------------------------------------------------------------------------


def test_body_over_the_cap_stopped_while_streaming(http_server):
    chunk = b"x" * 32 * 1024
    http_server.route("/fault/huge", body=lambda: (chunk for _ in range(400)),
                      headers={"Content-Type": "text/plain"}, chunk_delay=0.01)
    clock = Clock()

    started = time.monotonic()
    with pytest.raises(TooLargeError) as info:
        fetch_with_retries(http_server.url("/fault/huge"), sleep=clock, max_bytes=128 * 1024,
                           timeout=1)

    assert info.value.retryable is False
    assert "exceeds the 131072-byte limit" in str(info.value)
    assert clock.delays == []
    assert time.monotonic() - started < 2.0
    stats = http_server.stream_stats("/fault/huge")
    assert stats.finished.wait(5), "server kept streaming after the client gave up"
    assert stats.sent < len(chunk) * 400 // 4


# --- content encodings ------------------------------------------------------------------


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


def _gzip_twice(data: bytes) -> bytes:
    return gzip.compress(gzip.compress(data))


@pytest.mark.parametrize(("encoding", "encode"), [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),  # zlib-wrapped, as RFC 9110 says
    ("deflate", _raw_deflate),  # raw deflate, as some servers send it anyway
    ("gzip, gzip", _gzip_twice),  # applied in turn, undone in reverse
])
def test_compressed_bodies_decoded(http_server, encoding, encode):
    path = f"/fault/encoded-{encoding.replace(', ', '-')}-{encode.__name__}"
    http_server.route(path, body=encode(HTML),
                      headers={"Content-Type": "text/html", "Content-Encoding": encoding})

    got = fetch(http_server.url(path), timeout=1)

    assert got.data == HTML
    assert got.media_type == "text/html"
    sent = http_server.requests_for(path)[-1].headers["Accept-Encoding"]
    assert sent == "gzip, deflate"


def test_decoded_size_is_what_the_cap_counts(http_server):
    body = b"a" * 10_000
    http_server.route("/fault/gzip-cap", body=gzip.compress(body),
                      headers={"Content-Type": "text/plain", "Content-Encoding": "gzip"})

    assert len(fetch(http_server.url("/fault/gzip-cap"), max_bytes=10_000).data) == 10_000
    with pytest.raises(TooLargeError, match="after decompression"):
        fetch(http_server.url("/fault/gzip-cap"), max_bytes=9_999)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compression_bomb_capped_without_inflating_it(http_server, encoding):
    bomb_size = 64 * 1024 * 1024
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | (16 if encoding == "gzip" else 0))
    zeros = bytes(1024 * 1024)
    bomb = b"".join(packer.compress(zeros) for _ in range(bomb_size // len(zeros)))
    bomb += packer.flush()
    assert len(bomb) < 100 * 1024  # a few dozen KB on the wire
    path = f"/fault/bomb-{encoding}"
    http_server.route(path, body=bomb,
                      headers={"Content-Type": "text/html", "Content-Encoding": encoding})

    tracemalloc.start()
    try:
        with pytest.raises(TooLargeError) as info:
            fetch(http_server.url(path), max_bytes=1024 * 1024, timeout=2)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert info.value.retryable is False
    assert "after decompression" in str(info.value)
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes: the bomb was inflated past the cap"


def test_truncated_gzip_body_is_a_retryable_broken_transfer(http_server):
    whole = gzip.compress(HTML * 50)
    http_server.route("/fault/gzip-cut", body=lambda: iter([whole[: len(whole) // 2]]),
                      headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})

    with pytest.raises(ConnectionFailed) as info:
        fetch(http_server.url("/fault/gzip-cut"), timeout=1)

    assert info.value.retryable is True
    assert "ended before its end marker" in str(info.value)


def test_corrupt_gzip_body_is_a_final_decoding_error(http_server):
    http_server.route("/fault/gzip-bad", body=b"this is not gzip at all",
                      headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})

    with pytest.raises(FetchError) as info:
        fetch(http_server.url("/fault/gzip-bad"), timeout=1)

    assert type(info.value) is FetchError
    assert info.value.retryable is False
    assert str(info.value).startswith("could not decode the response from ")


def test_unrequested_content_encoding_rejected(http_server):
    http_server.route("/fault/br", body=b"\x0b\x02\x80hello\x03",
                      headers={"Content-Type": "text/plain", "Content-Encoding": "br"})

    with pytest.raises(FetchError, match="unsupported Content-Encoding 'br'") as info:
        fetch(http_server.url("/fault/br"), timeout=1)

    assert info.value.retryable is False


# --- Content-Type: wrong, missing -------------------------------------------------------


def test_html_served_as_pdf_is_sniffed_and_parsed_as_html(http_server):
    http_server.route("/fault/html-as-pdf", body=HTML, headers={"Content-Type": "application/pdf"})

    got = fetch(http_server.url("/fault/html-as-pdf"), timeout=1)
    document = parse(got.data, got.media_type, document_id=got.sha256, url=got.final_url)

    assert (got.declared_type, got.media_type) == ("application/pdf", "text/html")
    assert document.title == "Our pledges"
    assert "500 council homes" in document.text


def test_pdf_served_as_html_is_sniffed_and_parsed_as_pdf(http_server, pdf_bytes):
    http_server.route("/fault/pdf-as-html", body=pdf_bytes,
                      headers={"Content-Type": "text/html; charset=utf-8"})

    got = fetch(http_server.url("/fault/pdf-as-html"), timeout=2)
    document = parse(got.data, got.media_type, document_id=got.sha256, url=got.final_url,
                     charset=got.charset)

    assert (got.declared_type, got.media_type) == ("text/html", "application/pdf")
    assert document.media_type == "application/pdf"
    assert document.pages and document.pages >= 1
    assert document.blocks


@pytest.mark.parametrize("kind", ["html", "pdf"])
def test_missing_content_type_sniffed_from_the_bytes(http_server, pdf_bytes, kind):
    body = HTML if kind == "html" else pdf_bytes
    http_server.route(f"/fault/untyped-{kind}", body=body)

    got = fetch(http_server.url(f"/fault/untyped-{kind}"), timeout=2)

    assert got.declared_type is None and got.charset is None
    assert got.media_type == ("text/html" if kind == "html" else "application/pdf")


def test_html_served_as_octet_stream_is_sniffed_as_html(http_server):
    http_server.route("/fault/html-octets", body=HTML,
                      headers={"Content-Type": "application/octet-stream"})

    assert fetch(http_server.url("/fault/html-octets"), timeout=1).media_type == "text/html"


# --- schemes and local files ------------------------------------------------------------


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/plan.pdf",
    "data:text/html,<p>We will</p>",
    "javascript:alert(1)",
    "gopher://127.0.0.1/plan",
])
def test_unsupported_schemes_rejected_without_retry(url):
    clock = Clock()

    with pytest.raises(UnsupportedSchemeError) as info:
        fetch_with_retries(url, sleep=clock)

    assert info.value.retryable is False
    assert "unsupported URL scheme" in str(info.value)
    assert clock.delays == []


@pytest.fixture
def catalog_dir(tmp_path) -> Path:
    folder = tmp_path / "catalog"
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "plan.html").write_bytes(HTML)
    (tmp_path / "outside.html").write_bytes(HTML)
    return folder


def test_file_inside_the_catalog_folder_allowed(catalog_dir):
    url = resolve_url("docs/plan.html", catalog_dir)

    got = fetch(url, allowed_root=catalog_dir)

    assert (got.data, got.media_type) == (HTML, "text/html")


@pytest.mark.parametrize("how", ["absolute", "dot-dot", "relative", "symlink"])
def test_file_outside_the_catalog_folder_rejected(catalog_dir, how):
    outside = catalog_dir.parent / "outside.html"
    if how == "absolute":
        url = outside.as_uri()
    elif how == "dot-dot":
        url = catalog_dir.as_uri() + "/docs/../../outside.html"
    elif how == "relative":
        url = resolve_url("../outside.html", catalog_dir)
    else:
        (catalog_dir / "docs" / "link.html").symlink_to(outside)
        url = (catalog_dir / "docs" / "link.html").as_uri()
    clock = Clock()

    with pytest.raises(OutsideAllowedRoot) as info:
        fetch_with_retries(url, sleep=clock, allowed_root=catalog_dir)

    assert isinstance(info.value, FetchError)
    assert info.value.retryable is False
    assert "outside the catalog folder" in str(info.value)
    assert "--allow-files-outside" in str(info.value)
    assert clock.delays == []


def test_symlink_within_the_catalog_folder_allowed(catalog_dir):
    (catalog_dir / "alias.html").symlink_to(catalog_dir / "docs" / "plan.html")

    assert fetch((catalog_dir / "alias.html").as_uri(), allowed_root=catalog_dir).data == HTML


def test_file_outside_allowed_when_no_root_is_given(catalog_dir):
    assert fetch((catalog_dir.parent / "outside.html").as_uri()).data == HTML

