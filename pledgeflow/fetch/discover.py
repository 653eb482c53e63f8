"""Discover the section pages and PDFs a manifesto index page links to.

``discover`` fetches a discovering source's index page (conditionally, when the last
discovery kept it), reads its links in document order and keeps the same-site pages and
PDFs that match the source's ``link_pattern``, that robots.txt allows, up to
``max_pages``; ``DiscoveryResult`` says what was kept and what was dropped and why. It
never fetches the pages it finds: the flow fetches each one as a document of the source.
The rules, step by step, and how a run uses them: docs/discovery.md.
"""

from __future__ import annotations

import logging
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from bs4 import BeautifulSoup

from pledgeflow.fetch.sources import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    Fetched,
    FetchError,
    HTTPStatusError,
    fetch,
)
from pledgeflow.parse import ParseError
from pledgeflow.parse.html import parse_html
from pledgeflow.text_decode import decode_text

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 50
# RFC 9309 asks crawlers to read at least 500 KiB of a robots.txt; more is not a robots.txt.
ROBOTS_MAX_BYTES = 512 * 1024

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_HTML_SUFFIXES = frozenset(
    {".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx", ".jsp", ".cfm"}
)
_DEFAULT_PORTS = {"http": 80, "https": 443}

FetchFn = Callable[..., Fetched]


class DiscoveryError(FetchError):
    """Discovery could not start from the index page; the message is one line."""


class RobotsUnavailable(DiscoveryError):
    """The site's robots.txt could not be read (5xx, timeout...), so nothing is crawled."""


@dataclass
class Link:
    """A page or PDF to ingest as a document of the source, in index-page order."""

    url: str  # absolute, fragment removed
    text: str  # the link text (or an <area>'s alt), whitespace collapsed; may be ""
    order: int  # 0 for the index page itself (include_index), then 1, 2, ... in page order


@dataclass
class IndexPage:
    """What discovery keeps of an index page between runs: its validators, for a
    conditional request next time, and what it read from it, for when the server answers
    304 Not Modified (the links are read again from here instead of from the page)."""

    url: str  # the index URL asked for; validators only count for the same URL
    final_url: str  # after redirects
    etag: str | None
    last_modified: str | None
    links: list[tuple[str, str]]  # every link (absolute URL, text), in page order, unfiltered
    title: str | None  # the page's <title>, for the index as a document (include_index)
    has_content: bool  # the HTML parser finds main content in it (include_index)
    fetched_at: str = ""  # when its bytes were last fetched (not a 304)


@dataclass
class DiscoveryResult:
    """What discovery kept and what it ignored, so the flow can report both."""

    index_url: str  # the index page's final URL (after redirects)
    links: list[Link] = field(default_factory=list)
    skipped_offsite: list[str] = field(default_factory=list)  # other scheme, host or port
    skipped_pattern: list[str] = field(default_factory=list)  # same site, pattern missed
    skipped_robots: list[str] = field(default_factory=list)  # disallowed by robots.txt
    skipped_cap: int = 0  # links over max_pages, dropped from the end of the page
    crawl_delay: float | None = None  # robots.txt Crawl-delay for our User-Agent, if any
    index: Fetched | None = field(default=None, repr=False)  # the fetched index page
    page: IndexPage | None = field(default=None, repr=False)  # to keep for the next run
    not_modified: bool = False  # the server answered 304: links read from ``previous``

    def summary(self) -> str:
        """One line for the flow's log."""
        unchanged = " (index page not modified)" if self.not_modified else ""
        return (
            f"discovered {len(self.links)} document(s) from {self.index_url}{unchanged}; skipped "
            f"{len(self.skipped_offsite)} off-site, {len(self.skipped_pattern)} not matching, "
            f"{len(self.skipped_robots)} disallowed by robots.txt, {self.skipped_cap} over the cap"
        )


# --- public API ---------------------------------------------------------------------------


def compile_pattern(pattern: str | re.Pattern[str] | None) -> re.Pattern[str] | None:
    """Compile a catalog ``link_pattern``; raise a one-line ValueError if it is invalid."""
    if pattern is None or isinstance(pattern, re.Pattern):
        return pattern
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid link pattern {pattern!r}: {exc}") from None


def discover(
    index_url: str,
    *,
    pattern: str | re.Pattern[str] | None,
    max_pages: int = DEFAULT_MAX_PAGES,
    include_index: bool = False,
    fetch_fn: FetchFn = fetch,
    user_agent: str = USER_AGENT,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    previous: IndexPage | None = None,
) -> DiscoveryResult:
    """Fetch ``index_url`` and return the same-site links to ingest, in page order.

    ``index_url`` is an absolute http(s) or file URL (``resolve_url`` a catalog entry
    first). ``fetch_fn`` is called like ``pledgeflow.fetch.sources.fetch`` for the index page and
    robots.txt only. ``previous`` (the ``page`` of the last discovery of this index) makes
    the index request conditional; on 304 its links are filtered again as if the page had
    been read. See the module docstring for every rule and error.
    """
    if max_pages < 1:
        raise ValueError(f"max_pages must be at least 1, not {max_pages}")
    regex = compile_pattern(pattern)

    page, index = _fetch_index(index_url, previous, fetch_fn, timeout, max_bytes, user_agent)
    final_url = _normalise(page.final_url) or page.final_url
    result = DiscoveryResult(index_url=final_url, index=index, page=page,
                             not_modified=index.not_modified)
    site = _Site(final_url)
    itself = {u for u in (_normalise(index_url), final_url) if u}

    candidates: list[tuple[str, str]] = []
    seen: set[str] = set()
    for url, text in page.links:
        if url in seen or url in itself:
            continue
        seen.add(url)
        if not site.contains(url):
            result.skipped_offsite.append(url)
        elif not (regex.search(url) if regex is not None else _looks_like_document(url)):
            result.skipped_pattern.append(url)
        else:
            candidates.append((url, text))

    if candidates and site.scheme != "file":
        robots = _read_robots(site, fetch_fn, user_agent, timeout)
        result.crawl_delay = _crawl_delay(robots, user_agent)
        allowed = []
        for url, text in candidates:
            if robots.can_fetch(user_agent, url):
                allowed.append((url, text))
            else:
                result.skipped_robots.append(url)
        candidates = allowed

    if len(candidates) > max_pages:
        result.skipped_cap = len(candidates) - max_pages
        log.warning(
            "%s links to %d pages; keeping the first %d (max_pages), dropping %d",
            final_url, len(candidates), max_pages, result.skipped_cap,
        )
        candidates = candidates[:max_pages]

    if include_index and page.has_content:
        result.links.append(Link(url=final_url, text=page.title or "", order=0))
    result.links.extend(
        Link(url=url, text=text, order=n) for n, (url, text) in enumerate(candidates, 1)
    )
    log.info(result.summary())
    return result


# --- the index page -----------------------------------------------------------------------


def _fetch_index(index_url: str, previous: IndexPage | None, fetch_fn: FetchFn,
                 timeout: float, max_bytes: int, user_agent: str) -> tuple[IndexPage, Fetched]:
    """The index page, asked for conditionally with what ``previous`` holds of the same URL
    (fetch's own If-None-Match / If-Modified-Since); a 304 gives ``previous`` back, with
    any validators the 304 updated."""
    held = previous if previous is not None and previous.url == index_url else None
    index = fetch_fn(index_url, timeout=timeout, max_bytes=max_bytes, user_agent=user_agent,
                     etag=held.etag if held else None,
                     last_modified=held.last_modified if held else None)
    if index.not_modified and held is not None:
        return replace(held, etag=index.etag or held.etag,
                       last_modified=index.last_modified or held.last_modified), index
    if index.media_type not in _HTML_TYPES:
        raise DiscoveryError(
            f"index page is not HTML ({index.media_type}): {index.final_url}", url=index_url
        )
    soup = _soup(index.data, index.charset)
    return IndexPage(url=index_url, final_url=index.final_url, etag=index.etag,
                     last_modified=index.last_modified,
                     links=_page_links(soup, index.final_url), title=_title(soup),
                     has_content=_has_content(index), fetched_at=index.fetched_at), index


# --- links --------------------------------------------------------------------------------


def _soup(data: bytes, charset: str | None) -> BeautifulSoup:
    return BeautifulSoup(decode_text(data, charset, markup=True).text, "lxml")


def _page_links(soup: BeautifulSoup, page_url: str) -> list[tuple[str, str]]:
    """(absolute URL, text) of every link on the page, in document order."""
    base = page_url
    base_tag = soup.find("base", href=True)
    if base_tag is not None and base_tag["href"].strip():
        base = urljoin(page_url, base_tag["href"].strip())
    links = []
    for tag in soup.find_all(["a", "area"], href=True):
        url = _normalise(urljoin(base, tag["href"].strip()))
        if url is None:
            continue
        text = tag.get_text(" ") if tag.name == "a" else str(tag.get("alt") or "")
        links.append((url, " ".join(text.split())))
    return links


def _normalise(url: str) -> str | None:
    """Absolute http(s)/file URL without fragment, scheme and host lower-cased, default port
    dropped; None for anything that is not a fetchable document URL."""
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in _DEFAULT_PORTS:
            host = parts.hostname
            port = parts.port
            if not host:
                return None
        elif scheme == "file":
            if parts.netloc.lower() not in ("", "localhost") or not parts.path:
                return None
            return urlunsplit(("file", "", parts.path, parts.query, ""))
        else:
            return None  # mailto:, javascript:, tel:, data:, ftp: ...
    except ValueError:  # a malformed port or IPv6 address
        return None
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


class _Site:
    """Same-site test: scheme+host+port for http(s); the index's folder tree for file."""

    def __init__(self, index_url: str) -> None:
        parts = urlsplit(index_url)
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.folder = posixpath.dirname(parts.path).rstrip("/") + "/"

    def contains(self, url: str) -> bool:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != (self.scheme, self.netloc):
            return False
        if self.scheme == "file":
            return posixpath.normpath(parts.path).startswith(self.folder)
        return True

    def robots_url(self) -> str:
        return f"{self.scheme}://{self.netloc}/robots.txt"


def _looks_like_document(url: str) -> bool:
    """An HTML page or a PDF, judged from the URL path (the default, pattern-less rule)."""
    path = urlsplit(url).path
    last = path.rsplit("/", 1)[-1].lower()
    if not last or "." not in last:
        return True  # /manifesto/ or /manifesto/housing: pages on most CMSs
    suffix = last[last.rindex(".") :]
    return suffix == ".pdf" or suffix in _HTML_SUFFIXES


# --- robots.txt ---------------------------------------------------------------------------


def _read_robots(site: _Site, fetch_fn: FetchFn, user_agent: str, timeout: float):
    url = site.robots_url()
    robots = RobotFileParser(url)
    try:
        fetched = fetch_fn(url, timeout=timeout, max_bytes=ROBOTS_MAX_BYTES,
                           user_agent=user_agent)
    except HTTPStatusError as exc:
        if exc.status in (401, 403):
            robots.disallow_all = True
        elif exc.status is not None and 400 <= exc.status < 500:
            robots.allow_all = True
        else:
            raise _robots_unavailable(url, exc) from exc
        return robots
    except FetchError as exc:
        raise _robots_unavailable(url, exc) from exc
    robots.parse(decode_text(fetched.data, fetched.charset).text.splitlines())
    return robots


def _robots_unavailable(url: str, exc: FetchError) -> RobotsUnavailable:
    return RobotsUnavailable(
        f"robots.txt unavailable, not crawling the site: {exc}", url=url,
        retryable=exc.retryable,
    )


def _crawl_delay(robots: RobotFileParser, user_agent: str) -> float | None:
    try:
        delay = robots.crawl_delay(user_agent)
    except (TypeError, ValueError):
        return None
    return float(delay) if delay is not None else None


# --- the index page as a document ---------------------------------------------------------


def _has_content(index: Fetched) -> bool:
    try:
        parse_html(index.data, document_id="index", url=index.final_url, charset=index.charset)
    except ParseError:
        return False
    return True


def _title(soup: BeautifulSoup) -> str | None:
    title = soup.title
    return " ".join(title.get_text(" ").split()) if title is not None else None
