"""Shared fixtures: a real HTTP server on 127.0.0.1 and the sample corpus.

``http_server`` is one ``ThreadingHTTPServer`` for the whole session (for each worker
process, under pytest-xdist). Tests register what it should answer and read back what it
was asked::

    def test_something(http_server, samples_dir):
        http_server.route("/hello", body=b"hi", headers={"Content-Type": "text/plain"})
        http_server.route_sequence("/flaky", [(500, b"", {}), (200, b"ok", {})])
        http_server.redirect("/old", "/hello")
        http_server.serve_dir("/samples/", samples_dir)
        fetch(http_server.url("/hello"))
        assert http_server.requests_for("/hello")[0].headers["User-Agent"]

The server is shared, so give each test's routes their own paths (e.g. prefixed with the
test's name); registering a path again replaces its earlier route.
"""

from __future__ import annotations

import mimetypes
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

# Prefect must never phone home or touch the user's ~/.prefect from the test suite. Each
# test process has a Prefect home of its own: under pytest-xdist every worker inherits the
# controller's environment, so a home the suite made there is replaced by the worker's own
# (a PREFECT_HOME the user set is kept).
_SUITE_HOME = "PLEDGEFLOW_TESTS_PREFECT_HOME"
_home = os.environ.get("PREFECT_HOME")
if _home is None or _home == os.environ.get(_SUITE_HOME):
    _worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    os.environ["PREFECT_HOME"] = os.environ[_SUITE_HOME] = tempfile.mkdtemp(
        prefix=f"pledgeflow-prefect-home-{_worker}-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

# The modules that take minutes (real servers, one-minute schedules, killed runs), longest
# first. The suite runs under pytest-xdist with --dist loadfile: each module goes whole to
# one worker, in the order collected. Collected first, these start first; collected in
# their alphabetical place, the longest would start last and end the run alone.
LONGEST_FIRST = ("test_serve_schedule.py", "test_serve.py", "test_orphans.py", "test_ocr.py",
                 "test_temporary_server.py", "test_crash_and_concurrency.py",
                 "test_third_party_extractor.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Collect the modules of LONGEST_FIRST first, then the other modules with tests marked
    slow, then the rest; the order within a module is kept."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> int:
        if item.path.name in LONGEST_FIRST:
            return LONGEST_FIRST.index(item.path.name)
        return len(LONGEST_FIRST) + (item.path not in slow_modules)

    items.sort(key=rank)


# Explicit types for what the pipeline cares about. HTML goes out without a charset on
# purpose, so the HTML parser has to find the encoding in the document itself.
CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".json": "application/json",
    ".toml": "application/toml",
}

Body = bytes | Callable[[], Iterable[bytes]]


@dataclass
class Reply:
    """One canned response.

    ``body`` is bytes (sent with a Content-Length) or a callable returning an iterable of
    chunks, which are streamed without a Content-Length and end when the connection closes.
    ``delay`` seconds pass before anything is sent (for timeouts); ``chunk_delay`` seconds
    pass between streamed chunks.
    """

    status: int = 200
    body: Body = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    chunk_delay: float = 0.0


@dataclass
class RecordedRequest:
    """A request the server received. ``headers`` looks names up case-insensitively."""

    method: str
    path: str  # as sent, including any query string
    headers: Message


@dataclass
class StreamStats:
    """How many body bytes a streamed response sent, and whether the handler has finished."""

    sent: int = 0
    finished: threading.Event = field(default_factory=threading.Event)


class LocalHTTPServer:
    """A programmable HTTP server on 127.0.0.1, run in a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, list[Reply]] = {}
        self._mounts: dict[str, Path] = {}
        self._stats: dict[str, StreamStats] = {}
        self.requests: list[RecordedRequest] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True  # slow handlers must not block shutdown
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle

    def start(self) -> LocalHTTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    # -- registering responses

    def route(
        self,
        path: str,
        status: int = 200,
        body: Body = b"",
        headers: dict[str, str] | None = None,
        *,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
    ) -> None:
        """Answer every request for ``path`` the same way."""
        self._set(path, [Reply(status, body, dict(headers or {}), delay, chunk_delay)])

    def route_sequence(
        self, path: str, replies: Iterable[tuple[int, bytes, dict[str, str]] | Reply]
    ) -> None:
        """Answer successive requests for ``path`` in turn; the last reply then repeats."""
        items = [r if isinstance(r, Reply) else Reply(r[0], r[1], dict(r[2])) for r in replies]
        if not items:
            raise ValueError("route_sequence needs at least one reply")
        self._set(path, items)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        """Redirect ``path`` to ``location`` (absolute, or a path on this server)."""
        self.route(path, status=status, headers={"Location": location})

    def serve_dir(self, prefix: str, directory: Path) -> None:
        """Serve the files under ``directory`` at URLs starting with ``prefix``."""
        prefix = "/" + prefix.strip("/") + "/"
        with self._lock:
            self._mounts[prefix] = Path(directory).resolve()

    def clear(self) -> None:
        """Forget every route, mount and recorded request."""
        with self._lock:
            self._routes.clear()
            self._mounts.clear()
            self._stats.clear()
            self.requests.clear()

    def _set(self, path: str, replies: list[Reply]) -> None:
        with self._lock:
            self._routes[path] = replies
            self._stats.pop(path, None)

    # -- inspecting what happened

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """Requests received for ``path`` (query string ignored), oldest first."""
        with self._lock:
            return [r for r in self.requests if urlsplit(r.path).path == path]

    def stream_stats(self, path: str) -> StreamStats:
        """Byte count of the latest streamed response for ``path``."""
        with self._lock:
            return self._stats.setdefault(path, StreamStats())

    # -- used by the handler

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next_reply(self, raw_path: str) -> Reply | None:
        path = urlsplit(raw_path).path
        with self._lock:
            replies = self._routes.get(raw_path) or self._routes.get(path)
            if replies:
                return replies.pop(0) if len(replies) > 1 else replies[0]
            mounts = sorted(self._mounts.items(), key=lambda m: -len(m[0]))
        for prefix, directory in mounts:
            if path.startswith(prefix):
                return _file_reply(directory, unquote(path[len(prefix) :]))
        return None

    def _new_stream(self, raw_path: str) -> StreamStats:
        stats = StreamStats()
        with self._lock:
            self._stats[urlsplit(raw_path).path] = stats
        return stats


def _file_reply(directory: Path, relative: str) -> Reply:
    """A reply carrying a file from a mounted folder, or a 404 (never outside the folder)."""
    target = (directory / relative).resolve()
    if not target.is_relative_to(directory) or not target.is_file():
        return Reply(404, b"not found", {"Content-Type": "text/plain"})
    content_type = CONTENT_TYPES.get(target.suffix.lower())
    if content_type is None:
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    return Reply(200, target.read_bytes(), {"Content-Type": content_type})


def _still_valid(reply_headers: dict[str, str], request_headers: Message) -> bool:
    """A conditional GET whose validators match the reply's: answer 304 Not Modified,
    as a real server does for a route that sends ETag or Last-Modified."""
    etag, modified = reply_headers.get("ETag"), reply_headers.get("Last-Modified")
    if etag and request_headers.get("If-None-Match") is not None:
        return request_headers.get("If-None-Match") == etag
    return bool(modified) and request_headers.get("If-Modified-Since") == modified


def _make_handler(server: LocalHTTPServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # http.server dispatches on this exact name
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet; requests are recorded instead

        def _answer(self, send_body: bool) -> None:
            server._record(RecordedRequest(self.command, self.path, self.headers))
            reply = server._next_reply(self.path) or Reply(404, b"no route", {})
            if reply.status == 200 and _still_valid(reply.headers, self.headers):
                reply = Reply(304, b"", {k: v for k, v in reply.headers.items()
                                         if k in ("ETag", "Last-Modified")})
            try:
                if reply.delay:
                    time.sleep(reply.delay)
                if callable(reply.body):
                    self._stream(reply, send_body)
                else:
                    self._send_whole(reply, send_body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout, size cap): that is what tests provoke

        def _send_whole(self, reply: Reply, send_body: bool) -> None:
            body = reply.body
            self.send_response(reply.status)
            headers = {"Content-Length": str(len(body)), **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def _stream(self, reply: Reply, send_body: bool) -> None:
            # No Content-Length: the body ends when we close the connection.
            self.close_connection = True
            stats = server._new_stream(self.path)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Connection", "close")
                self.end_headers()
                if send_body:
                    for chunk in reply.body():
                        self.wfile.write(chunk)
                        self.wfile.flush()
                        stats.sent += len(chunk)
                        if reply.chunk_delay:
                            time.sleep(reply.chunk_delay)
            finally:
                stats.finished.set()

    return Handler


@pytest.fixture(scope="session")
def http_server() -> Iterator[LocalHTTPServer]:
    """A real HTTP server on 127.0.0.1 (random port) for the whole test session (one in
    each pytest-xdist worker)."""
    # A proxy configured in the environment must not intercept requests to the test server.
    saved = {name: os.environ.get(name) for name in ("NO_PROXY", "no_proxy")}
    for name in saved:
        os.environ[name] = ",".join(filter(None, [saved[name], "127.0.0.1", "localhost"]))
    server = LocalHTTPServer().start()
    try:
        yield server
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    """The project's sample corpus (``samples/`` next to ``tests/``)."""
    return Path(__file__).resolve().parent.parent / "samples"


@dataclass
class SampleRun:
    """The sample corpus taken through the plain stage functions (no Prefect)."""

    db_path: Path
    settings: object
    documents: dict  # source id -> parsed Document
    extractions: dict  # source id -> Extraction


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory, samples_dir) -> SampleRun:
    from pledgeflow import stages
    from pledgeflow.catalog import load_catalog
    from pledgeflow.store import db as store
    from pledgeflow.store import load, matches

    root = tmp_path_factory.mktemp("sample-run")
    settings = stages.Settings(raw_dir=root / "raw", processed_dir=root / "processed")
    db_path = root / "pledgeflow.db"
    database = store.open_db(db_path)
    catalog = load_catalog(samples_dir / "catalog.toml")
    store.upsert_sources(database, catalog)
    documents, extractions = {}, {}
    for source in catalog:
        fetched = stages.fetch_source(source, settings)
        parsed = stages.parse_fetched(fetched, settings)
        extracted = stages.extract_parsed(parsed, settings)
        load.load_extracted(database, fetched, extracted)
        documents[source.id] = parsed.document
        extractions[source.id] = extracted.extraction
    matches.rebuild(database)  # as a run does once its documents are in
    database.close()
    return SampleRun(db_path, settings, documents, extractions)


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server for every flow test in the session (one in each
    pytest-xdist worker that runs a flow test, with its own database)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@dataclass
class Browsing:
    """`pledgeflow browse` running on a linked copy of the sample database."""

    base: str  # http://127.0.0.1:PORT
    db: Path
    folder: Path  # for screenshots and other files of the tests

    @property
    def database_url(self) -> str:
        return f"{self.base}/{self.db.stem}"


@pytest.fixture(scope="session")
def browsing(sample_run, tmp_path_factory) -> Iterator[Browsing]:
    import shutil
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    from pledgeflow.store import matches
    from pledgeflow.store.db import open_db

    folder = tmp_path_factory.mktemp("browse")
    db = folder / "pf.db"
    shutil.copy(sample_run.db_path, db)
    matches.rebuild(open_db(db))  # as a pipeline run does after loading
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "pledgeflow"), "browse", "--db", str(db),
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, env={**os.environ, "DATASETTE_NO_TELEMETRY": "1"})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError(process.stderr.read().decode() if process.poll() else "no start")
        yield Browsing(base, db, folder)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def write_catalog(path: Path, urls: dict[str, str]) -> Path:
    """A catalog of test sources, one per id -> url, each with the same made-up fields."""
    entries = [f'[[sources]]\nid = "{source_id}"\nurl = "{url}"\norganisation = "Test"\n'
               f'council = "Test"\nkind = "manifesto"\ntitle = "{source_id}"\n'
               f'period = "2025-2029"\n' for source_id, url in urls.items()]
    path.write_text("\n".join(entries), encoding="utf-8")
    return path


def failures_by_source(db: Path) -> dict[str, tuple[str, str, str]]:
    """A run's recorded failures: source id -> (stage, error type, message)."""
    with sqlite3.connect(db) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "select source_id, stage, error_type, message from failures")}
