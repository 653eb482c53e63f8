"""Fetch catalog documents over HTTP(S) or from local files, and keep the raw bytes.

``fetch`` makes exactly one attempt; ``fetch_with_retries`` wraps it with exponential
backoff, full jitter and ``Retry-After``. Every failure is a ``FetchError`` whose
``retryable`` attribute says whether trying again could help: a 503 or a timeout may pass,
a 404 or an oversized document will not.

Limits hold while the body streams, never after it has been read: the size cap counts
decoded bytes (gzip and deflate are inflated here, in bounded steps, so a small
compressed bomb is stopped at the cap), and a total deadline stops a body that trickles
in too slowly for the per-read timeout to notice.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import random
import re
import ssl
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from pledgeflow import __version__, defaults
from pledgeflow.fetch.sniff import (
    charset_from_content_type,
    media_type_from_content_type,
    sniff_media_type,
)

USER_AGENT = f"pledgeflow/{__version__} (+https://github.com/pledgeflow/pledgeflow)"

DEFAULT_TIMEOUT = defaults.FETCH_TIMEOUT
DEFAULT_MAX_BYTES = defaults.MAX_BYTES
DEFAULT_MAX_REDIRECTS = 10
# The whole transfer (connect, headers, body) may take this many timeouts by default.
DEFAULT_DEADLINE_FACTOR = 10

# Statuses that describe a passing condition on the server's side (overload, rate limit,
# gateway trouble), so a later attempt may succeed. Every other error status is final.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

# Say what we can parse; some servers pick a representation from Accept.
_ACCEPT = "text/html,application/xhtml+xml,application/pdf,text/markdown,text/plain;q=0.9,*/*;q=0.5"
# Only what we can inflate in bounded steps (see _Inflater); never br or zstd.
_ACCEPT_ENCODING = "gzip, deflate"
_HTTP_SCHEMES = ("http", "https")
_CHUNK_SIZE = 64 * 1024

log = logging.getLogger(__name__)


# --- errors -------------------------------------------------------------------------------


class FetchError(Exception):
    """A document could not be fetched. The message is one human-readable line.

    ``retryable`` tells the caller whether another attempt might succeed; ``status`` is the
    HTTP status when the server answered with an error, else None.
    """

    retryable: bool = False
    retry_after: float | None = None  # seconds the server asked us to wait (HTTP errors)
    attempts: int = 1  # how many attempts fetch_with_retries made before giving up

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(" ".join(message.split()))  # one line, whatever went in
        self.url = url
        self.status = status
        if retryable is not None:
            self.retryable = retryable

    def __reduce__(self):
        # Keyword-only arguments break Exception's default pickling, and Prefect may pickle
        # a failed task's exception; rebuild from the message and restore the attributes.
        return (type(self), (str(self),), self.__dict__)


class HTTPStatusError(FetchError):
    """The server answered with an error status (after following redirects).

    ``retry_after`` is the server's ``Retry-After`` in seconds (a date is turned into the
    time left until it) when a retryable status carried one, else None.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        if retryable is None:
            retryable = status in RETRYABLE_STATUSES
        super().__init__(message, url=url, status=status, retryable=retryable)
        self.retry_after = retry_after


class TooLargeError(FetchError):
    """The document is bigger than the size cap; it will not shrink on a retry."""


class UnsupportedSchemeError(FetchError):
    """The URL's scheme is not http, https or file (or a file URL names another host)."""


class FetchTimeout(FetchError):
    """Connecting or reading took longer than the timeout."""

    retryable = True


class ConnectionFailed(FetchError):
    """The connection could not be made or broke off mid-transfer."""

    retryable = True


class TooManyRedirects(FetchError):
    """More redirects than allowed, usually a redirect loop."""


class OutsideAllowedRoot(FetchError):
    """A file:// URL names a file outside the folder local files may come from."""


# --- results ------------------------------------------------------------------------------


@dataclass
class Fetched:
    """One fetched document and what we learned about it on the way."""

    url: str  # the URL asked for
    final_url: str  # where the document came from after redirects
    status: int  # HTTP status of the final response; 200 for local files
    data: bytes
    sha256: str  # hex digest of ``data``; also its name in the raw store
    media_type: str  # sniffed from the bytes, see pledgeflow.fetch.sniff
    declared_type: str | None  # bare media type of the Content-Type header, if any
    charset: str | None  # charset parameter of the Content-Type header, if any
    etag: str | None
    last_modified: str | None  # HTTP date; the file's mtime for local files
    fetched_at: str  # ISO 8601, UTC

    @property
    def not_modified(self) -> bool:
        """The server answered a conditional request with 304: our stored copy is current."""
        return self.status == 304


# --- URLs ---------------------------------------------------------------------------------


def resolve_url(url: str, base_dir: Path) -> str:
    """Turn a catalog URL into an absolute http(s) or file URL.

    Catalog entries may give ``https://``, ``http://`` or ``file:///abs/path`` URLs, or a
    plain filesystem path, which is taken relative to ``base_dir`` (the catalog's folder).
    Any other scheme raises UnsupportedSchemeError.
    """
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in _HTTP_SCHEMES:
        if not parts.netloc:
            raise UnsupportedSchemeError(f"URL has no host: {url}", url=url)
        return url
    if scheme == "file":
        _file_url_path(url)  # validate now, so a bad catalog entry fails early
        return url
    if not scheme and not parts.netloc:
        return (Path(base_dir) / url).resolve().as_uri()
    raise UnsupportedSchemeError(_scheme_message(url), url=url)


def _scheme_message(url: str) -> str:
    scheme = urlsplit(url).scheme
    if not scheme:
        return f"URL needs a scheme (http, https or file): {url}"
    return f"unsupported URL scheme {scheme!r} (use http, https or file): {url}"


def _file_url_path(url: str) -> Path:
    """Return the local path a file:// URL names; only this machine's files are allowed."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise UnsupportedSchemeError(f"file URL names another host: {url}", url=url)
    if not parts.path:
        raise FetchError(f"file URL has no path: {url}", url=url)
    return Path(url2pathname(parts.path))  # also undoes percent-encoding


# --- fetching -----------------------------------------------------------------------------


def fetch(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    user_agent: str = USER_AGENT,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    etag: str | None = None,
    last_modified: str | None = None,
    deadline: float | None = None,
    allowed_root: Path | None = None,
) -> Fetched:
    """Fetch ``url`` (http, https or file) in one attempt and sniff what it is.

    ``timeout`` bounds connecting and each read. ``deadline`` (default
    ``DEFAULT_DEADLINE_FACTOR`` x ``timeout``) bounds the whole transfer: a body that
    trickles in slowly enough to pass every read raises FetchTimeout once the deadline
    passes (checked between reads, so it may overrun by up to one ``timeout``).

    Bodies larger than ``max_bytes`` raise TooLargeError without being read to the end;
    the cap counts decoded bytes, so a gzip or deflate body is inflated only up to it.
    Raises FetchError (or a subclass) on any failure; see its ``retryable`` attribute.

    ``etag`` and ``last_modified`` (from the previous fetch) make the request conditional;
    a server answering 304 Not Modified gives a Fetched whose ``not_modified`` is true and
    whose ``data`` is empty.

    ``allowed_root``, when given, confines file:// URLs to that folder: a file outside it
    (after resolving symlinks and ``..``) raises OutsideAllowedRoot. HTTP is not affected.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme in _HTTP_SCHEMES:
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        if deadline is None:
            deadline = DEFAULT_DEADLINE_FACTOR * timeout
        return _fetch_http(url, timeout, max_bytes, user_agent, max_redirects, conditional,
                           deadline)
    if scheme == "file":
        return _fetch_file(url, max_bytes, allowed_root)
    raise UnsupportedSchemeError(_scheme_message(url), url=url)


def fetch_with_retries(
    url: str,
    *,
    attempts: int = 3,
    base_delay: float = 1.0,
    max_delay: float = 30.0,
    retry_after_cap: float = 60.0,
    sleep: Callable[[float], object] = time.sleep,
    rng: random.Random | None = None,
    **fetch_kwargs,
) -> Fetched:
    """``fetch`` with up to ``attempts`` tries for errors that may pass (``retryable``).

    Between tries it sleeps a "full jitter" backoff: a random time between 0 and
    ``min(max_delay, base_delay * 2 ** (retry - 1))``. When the server sent Retry-After
    (429, 503, ...) it waits at least that long, but never more than ``retry_after_cap``.
    A non-retryable error (404, 410, too large, bad scheme, redirect loop, a file outside
    ``allowed_root``) is raised at once. When every try fails the last error is raised
    with its ``attempts`` attribute set. ``sleep`` and ``rng`` are for tests (a recording
    clock, a seeded generator); ``fetch_kwargs`` go to ``fetch`` unchanged.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    rng = rng or random.Random()
    for attempt in range(1, attempts + 1):
        try:
            return fetch(url, **fetch_kwargs)
        except FetchError as exc:
            exc.attempts = attempt
            if not exc.retryable or attempt == attempts:
                raise
            delay = rng.uniform(0.0, min(max_delay, base_delay * 2 ** (attempt - 1)))
            if exc.retry_after is not None:
                delay = max(delay, min(exc.retry_after, retry_after_cap))
            log.warning("attempt %d of %d failed (%s); retrying in %.1f s",
                        attempt, attempts, exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One TLS context for every fetch (they are thread-safe): building one loads the CA
    bundle, about 20 ms, which was most of the cost of fetching a small page."""
    return httpx.create_ssl_context()


def _fetch_http(
    url: str, timeout: float, max_bytes: int, user_agent: str, max_redirects: int,
    conditional: dict[str, str] | None = None, deadline: float | None = None,
) -> Fetched:
    headers = {"User-Agent": user_agent, "Accept": _ACCEPT,
               "Accept-Encoding": _ACCEPT_ENCODING, **(conditional or {})}
    started = time.monotonic()
    give_up_at = None if deadline is None else started + deadline
    try:
        with httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=max_redirects,
            verify=_tls_context(),
        ) as client:
            with client.stream("GET", url) as response:
                _check_deadline(give_up_at, deadline, url)
                if response.status_code == 304 and conditional:
                    return _not_modified(url, response)
                _raise_for_status(response, url)
                _check_content_length(response, url, max_bytes)
                data = _read_capped(response, url, max_bytes, give_up_at, deadline)
    except httpx.HTTPError as exc:
        raise _translate_httpx_error(exc, url) from exc
    except httpx.InvalidURL as exc:
        raise FetchError(f"invalid URL {url}: {exc}", url=url) from exc
    content_type = response.headers.get("Content-Type")
    return _result(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        data=data,
        content_type=content_type,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def _check_deadline(give_up_at: float | None, deadline: float | None, url: str) -> None:
    if give_up_at is not None and time.monotonic() > give_up_at:
        raise FetchTimeout(
            f"timed out fetching {url}: the transfer took longer than the {deadline:g} s deadline",
            url=url,
        )


def _not_modified(url: str, response: httpx.Response) -> Fetched:
    """The server says our copy is current: nothing to read, nothing to store."""
    return Fetched(
        url=url, final_url=str(response.url), status=304, data=b"", sha256="",
        media_type="", declared_type=None, charset=None,
        etag=response.headers.get("ETag"), last_modified=response.headers.get("Last-Modified"),
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _raise_for_status(response: httpx.Response, url: str) -> None:
    """Raise HTTPStatusError unless the final response is a success (2xx)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = response.reason_phrase or _reason(status)
    final_url = str(response.url)
    where = final_url if final_url == url else f"{final_url} (redirected from {url})"
    retry_after = None
    if status in RETRYABLE_STATUSES:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
    raise HTTPStatusError(f"HTTP {status} {reason} for {where}", url=url, status=status,
                          retry_after=retry_after)


_DELAY_SECONDS = re.compile(r"\d{1,10}(?:\.\d+)?")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date.

    A date in the past gives 0; a missing or unreadable header gives None.
    """
    if value is None:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" and obsolete forms: HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"


def _check_content_length(response: httpx.Response, url: str, max_bytes: int) -> None:
    """Refuse before reading if the server already says the body is too big."""
    declared = response.headers.get("Content-Length", "")
    try:
        length = int(declared.split(",")[0])  # repeated headers arrive comma-joined
    except ValueError:
        return  # absent or garbled: the streaming cap still applies
    if length > max_bytes:
        message = f"{url} is too large: Content-Length {length} exceeds {max_bytes} bytes"
        raise TooLargeError(message, url=url)


def _read_capped(
    response: httpx.Response,
    url: str,
    max_bytes: int,
    give_up_at: float | None = None,
    deadline: float | None = None,
) -> bytes:
    """Read and decode the body, stopping as soon as it grows past ``max_bytes``.

    httpx's own decoders inflate each network chunk in one go (a 64 KiB gzip chunk of
    zeros becomes 64 MiB at once), so the raw bytes are read here and inflated in steps
    of at most ``_CHUNK_SIZE``; the cap applies to both the raw and the decoded bytes.
    """

    def raw_chunks() -> Iterator[bytes]:
        received = 0
        for chunk in response.iter_raw():
            _check_deadline(give_up_at, deadline, url)
            received += len(chunk)
            if received > max_bytes:
                raise TooLargeError(
                    f"{url} is too large: body exceeds the {max_bytes}-byte limit", url=url
                )
            yield chunk

    chunks: list[bytes] = []
    size = 0
    for chunk in _decode(raw_chunks(), response.headers, url):
        size += len(chunk)
        if size > max_bytes:
            after = " (after decompression)" if _is_encoded(response.headers) else ""
            raise TooLargeError(
                f"{url} is too large: body exceeds the {max_bytes}-byte limit{after}", url=url
            )
        chunks.append(chunk)
    return b"".join(chunks)


# --- content encodings --------------------------------------------------------------------


def _encodings(headers: httpx.Headers) -> list[str]:
    """Content-Encoding values in the order they were applied, identity left out."""
    values = headers.get_list("Content-Encoding", split_commas=True)
    return [v for v in (value.strip().lower() for value in values) if v and v != "identity"]


def _is_encoded(headers: httpx.Headers) -> bool:
    return bool(_encodings(headers))


def _decode(chunks: Iterable[bytes], headers: httpx.Headers, url: str) -> Iterator[bytes]:
    """Undo the response's Content-Encoding lazily, yielding pieces of bounded size."""
    stream: Iterable[bytes] = chunks
    for encoding in reversed(_encodings(headers)):  # the last one applied comes off first
        if encoding in ("gzip", "x-gzip"):
            stream = _Inflater(url, gzip=True).run(stream)
        elif encoding == "deflate":
            stream = _Inflater(url, gzip=False).run(stream)
        else:
            raise FetchError(
                f"unsupported Content-Encoding {encoding!r} from {url} "
                f"(we asked for {_ACCEPT_ENCODING})",
                url=url,
            )
    yield from stream


class _Inflater:
    """Inflate a gzip or deflate stream, never producing more than _CHUNK_SIZE at once.

    ``zlib``'s ``max_length`` leaves input it has not used yet in ``unconsumed_tail``, so
    a bomb is taken apart one bounded piece at a time and the caller can stop at its cap.
    "deflate" is zlib-wrapped per the RFC, but some servers send raw deflate: the first
    two bytes tell which. Concatenated gzip members are all inflated; other bytes after
    the end of the stream are ignored, like gzip(1) does.
    """

    def __init__(self, url: str, *, gzip: bool) -> None:
        self._url = url
        self._gzip = gzip
        self._d = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzip else None
        self._pending = b""  # input not handed to a decompressor yet
        self._fed = False
        self._ignoring = False  # trailing garbage after the end of the stream

    def run(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            if chunk:
                self._fed = True
                yield from self._feed(chunk)
        if self._d is None and self._pending:  # a deflate body shorter than its header
            self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        if self._pending and not self._ignoring:
            data, self._pending = self._pending, b""
            yield from self._inflate(data)
        if self._fed and not self._ignoring and self._d is not None and not self._d.eof:
            raise ConnectionFailed(
                f"the compressed body from {self._url} ended before its end marker", url=self._url
            )

    def _feed(self, data: bytes) -> Iterator[bytes]:
        if self._ignoring:
            return
        data = self._pending + data
        self._pending = b""
        if self._d is None:  # deflate: wait for two bytes to tell zlib from raw deflate
            if len(data) < 2:
                self._pending = data
                return
            cmf, flg = data[0], data[1]
            zlib_header = cmf & 0x0F == 8 and (cmf << 8 | flg) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS)
        yield from self._inflate(data)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        while True:
            if self._d.eof:  # past the end of a stream: another gzip member, or garbage
                if not data:
                    return
                if self._gzip and data.startswith(b"\x1f\x8b"):
                    self._d = zlib.decompressobj(zlib.MAX_WBITS | 16)
                elif self._gzip and data == b"\x1f":
                    self._pending = data  # half a magic number: wait for the next byte
                    return
                else:
                    self._ignoring = True
                    return
            try:
                out = self._d.decompress(data, _CHUNK_SIZE)
            except zlib.error as exc:
                raise FetchError(
                    f"could not decode the response from {self._url}: {exc}", url=self._url
                ) from exc
            if out:
                yield out
            if self._d.eof:
                data = self._d.unused_data
                continue
            data = self._d.unconsumed_tail
            # A full piece may mean zlib still holds output for input it has already taken.
            if not data and len(out) < _CHUNK_SIZE:
                return


def _translate_httpx_error(exc: httpx.HTTPError, url: str) -> FetchError:
    """Map an httpx failure to our error types, deciding whether a retry makes sense."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TooManyRedirects):
        return TooManyRedirects(f"too many redirects fetching {url}: {detail}", url=url)
    if isinstance(exc, httpx.TimeoutException):
        return FetchTimeout(f"timed out fetching {url} ({type(exc).__name__})", url=url)
    if isinstance(exc, httpx.UnsupportedProtocol):
        # Typically a redirect to an ftp:// or other non-HTTP location.
        return UnsupportedSchemeError(f"unsupported URL fetching {url}: {detail}", url=url)
    if isinstance(exc, httpx.LocalProtocolError):
        return FetchError(f"could not send request for {url}: {detail}", url=url)
    if isinstance(exc, httpx.TransportError):
        # Refused or reset connections, DNS failures, bodies cut short: often passing.
        return ConnectionFailed(f"connection failed for {url}: {detail}", url=url)
    if isinstance(exc, httpx.DecodingError):
        return FetchError(f"could not decode the response from {url}: {detail}", url=url)
    return FetchError(f"fetching {url} failed: {detail}", url=url)


def _fetch_file(url: str, max_bytes: int, allowed_root: Path | None = None) -> Fetched:
    path = _file_url_path(url)
    target = path
    if allowed_root is not None:
        target = _confined(path, Path(allowed_root), url)
    try:
        with target.open("rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > max_bytes:
                raise TooLargeError(
                    f"{path} is too large: {size} bytes exceeds the {max_bytes}-byte limit",
                    url=url,
                )
            # Read one byte past the cap in case the file grew since fstat.
            data = fh.read(max_bytes + 1)
            mtime = os.fstat(fh.fileno()).st_mtime
    except FileNotFoundError:
        raise FetchError(f"file not found: {path}", url=url) from None
    except IsADirectoryError:
        raise FetchError(f"not a file but a directory: {path}", url=url) from None
    except PermissionError:
        raise FetchError(f"permission denied reading {path}", url=url) from None
    except OSError as exc:
        raise FetchError(f"could not read {path}: {exc.strerror or exc}", url=url) from exc
    if len(data) > max_bytes:
        raise TooLargeError(f"{path} is too large: exceeds the {max_bytes}-byte limit", url=url)
    return _result(
        url=url,
        final_url=url,
        status=200,
        data=data,
        content_type=None,
        etag=None,
        last_modified=formatdate(mtime, usegmt=True),
    )


def _confined(path: Path, allowed_root: Path, url: str) -> Path:
    """``path`` with symlinks and ``..`` resolved, if it lies inside ``allowed_root``."""
    root = allowed_root.expanduser().resolve()
    real = path.resolve()
    if not real.is_relative_to(root):
        shown = str(path) if real == path else f"{path} (resolves to {real})"
        raise OutsideAllowedRoot(
            f"{shown} is outside the catalog folder {root}; "
            "pass --allow-files-outside to allow local files elsewhere",
            url=url,
        )
    return real  # open what was checked, not a path a new symlink could redirect


def _result(
    *,
    url: str,
    final_url: str,
    status: int,
    data: bytes,
    content_type: str | None,
    etag: str | None,
    last_modified: str | None,
) -> Fetched:
    """Build a Fetched, sniffing the media type from the bytes."""
    return Fetched(
        url=url,
        final_url=final_url,
        status=status,
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=sniff_media_type(data, declared=content_type, url=final_url),
        declared_type=media_type_from_content_type(content_type),
        charset=charset_from_content_type(content_type),
        etag=etag,
        last_modified=last_modified,
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


# --- raw store ----------------------------------------------------------------------------


def raw_path(sha256: str, raw_dir: Path) -> Path:
    """Where the raw bytes with this sha256 live: ``raw_dir/<first 2 hex>/<sha256>``."""
    digest = sha256.lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    return Path(raw_dir) / digest[:2] / digest


def store_raw(data: bytes, raw_dir: Path) -> Path:
    """Store ``data`` under its sha256 in ``raw_dir`` and return the path.

    Same bytes, same path: an existing file is left alone. New files are written to a
    temporary file in the target folder and renamed into place, so a crash or a concurrent
    writer never leaves a half-written file under the final name.
    """
    path = raw_path(hashlib.sha256(data).hexdigest(), raw_dir)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:12]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)  # mkstemp makes files private; raw documents are not
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path
