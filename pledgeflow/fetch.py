"""Fetch catalog documents over HTTP(S) or from local files, and keep the raw bytes.

``fetch`` makes exactly one attempt. Retrying is the caller's job (the Prefect task that
wraps it declares its retries), so every failure is a ``FetchError`` whose ``retryable``
attribute says whether trying again could help: a 503 or a timeout may pass, a 404 or an
oversized document will not.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from pledgeflow import __version__
from pledgeflow.sniff import (
    charset_from_content_type,
    media_type_from_content_type,
    sniff_media_type,
)

USER_AGENT = f"pledgeflow/{__version__} (+https://github.com/pledgeflow/pledgeflow)"

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 10

# Statuses that describe a passing condition on the server's side (overload, rate limit,
# gateway trouble), so a later attempt may succeed. Every other error status is final.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

# Say what we can parse; some servers pick a representation from Accept.
_ACCEPT = "text/html,application/xhtml+xml,application/pdf,text/markdown,text/plain;q=0.9,*/*;q=0.5"
_HTTP_SCHEMES = ("http", "https")
_CHUNK_SIZE = 64 * 1024


# --- errors -------------------------------------------------------------------------------


class FetchError(Exception):
    """A document could not be fetched. The message is one human-readable line.

    ``retryable`` tells the caller whether another attempt might succeed; ``status`` is the
    HTTP status when the server answered with an error, else None.
    """

    retryable: bool = False

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
    """The server answered with an error status (after following redirects)."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        if retryable is None:
            retryable = status in RETRYABLE_STATUSES
        super().__init__(message, url=url, status=status, retryable=retryable)


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


# --- results ------------------------------------------------------------------------------


@dataclass
class Fetched:
    """One fetched document and what we learned about it on the way."""

    url: str  # the URL asked for
    final_url: str  # where the document came from after redirects
    status: int  # HTTP status of the final response; 200 for local files
    data: bytes
    sha256: str  # hex digest of ``data``; also its name in the raw store
    media_type: str  # sniffed from the bytes, see pledgeflow.sniff
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
) -> Fetched:
    """Fetch ``url`` (http, https or file) in one attempt and sniff what it is.

    ``timeout`` bounds connecting and each read, not the whole transfer. Bodies larger than
    ``max_bytes`` raise TooLargeError without being read to the end. Raises FetchError
    (or a subclass) on any failure; see its ``retryable`` attribute.

    ``etag`` and ``last_modified`` (from the previous fetch) make the request conditional;
    a server answering 304 Not Modified gives a Fetched whose ``not_modified`` is true and
    whose ``data`` is empty.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme in _HTTP_SCHEMES:
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        return _fetch_http(url, timeout, max_bytes, user_agent, max_redirects, conditional)
    if scheme == "file":
        return _fetch_file(url, max_bytes)
    raise UnsupportedSchemeError(_scheme_message(url), url=url)


def _fetch_http(
    url: str, timeout: float, max_bytes: int, user_agent: str, max_redirects: int,
    conditional: dict[str, str] | None = None,
) -> Fetched:
    headers = {"User-Agent": user_agent, "Accept": _ACCEPT, **(conditional or {})}
    try:
        with httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            max_redirects=max_redirects,
        ) as client:
            with client.stream("GET", url) as response:
                if response.status_code == 304 and conditional:
                    return _not_modified(url, response)
                _raise_for_status(response, url)
                _check_content_length(response, url, max_bytes)
                data = _read_capped(response, url, max_bytes)
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
    raise HTTPStatusError(f"HTTP {status} {reason} for {where}", url=url, status=status)


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


def _read_capped(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """Read the (decoded) body, stopping as soon as it grows past ``max_bytes``."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes(_CHUNK_SIZE):
        size += len(chunk)
        if size > max_bytes:
            raise TooLargeError(
                f"{url} is too large: body exceeds the {max_bytes}-byte limit", url=url
            )
        chunks.append(chunk)
    return b"".join(chunks)


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


def _fetch_file(url: str, max_bytes: int) -> Fetched:
    path = _file_url_path(url)
    try:
        with path.open("rb") as fh:
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
