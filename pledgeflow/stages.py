"""The pipeline's first stages as plain functions: fetch -> parse -> extract.

Each takes and returns plain values, so tests and benchmarks call them directly and
the Prefect flow in ``flows/pipeline.py`` only orchestrates them. What they hand back
(``Processed``) is loaded by ``pledgeflow.store.load``.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from pledgeflow import defaults
from pledgeflow.catalog import Source
from pledgeflow.document import Document
from pledgeflow.fetch.discover import DiscoveryResult, IndexPage, discover
from pledgeflow.fetch.sources import Fetched, fetch_with_retries, resolve_url, store_raw
from pledgeflow.isolate import reached, shared_pool
from pledgeflow.nlp import build_nlp
from pledgeflow.parse import ParseTimeout, parse, parser_id
from pledgeflow.parse.ocr import OcrOptions, reads_more
from pledgeflow.registry import (
    Extraction,
    extractors_for_thread,
    get_extractors,
    run_extractors,
)


@dataclass(frozen=True)
class Settings:
    raw_dir: Path = defaults.RAW_DIR
    processed_dir: Path = defaults.PROCESSED_DIR
    timeout: float = defaults.FETCH_TIMEOUT
    max_bytes: int = defaults.MAX_BYTES
    extractors: tuple[str, ...] | None = None  # None: every registered extractor
    parse_timeout: float = defaults.PARSE_TIMEOUT  # seconds to parse and extract a document
    isolate: bool = True  # parse and extract in worker processes, bounded in time and memory
    fetch_attempts: int = 3  # tries for timeouts, 5xx and 429 (backoff, Retry-After)
    fetch_deadline: float | None = None  # seconds for a whole transfer; None: 10 x timeout
    allow_files_outside: bool = False  # let file:// entries read outside the catalog folder
    ocr: OcrOptions = OcrOptions()  # OCR of scanned PDF pages: on or off, and its bounds


@dataclass
class Fetch:
    """A fetched source: what was fetched and where its bytes are kept."""

    source_id: str
    fetched: Fetched
    raw_path: str
    source_meta: dict = field(default_factory=dict)  # catalog fields extractors may use
    document_id: str | None = None  # sha256 of the bytes; the stored one's after a 304
    part: int | None = None  # place in the index page, for a page found by discovery
    part_url: str | None = None  # that page's URL
    size: int | None = None  # bytes fetched, kept when ``fetched.data`` is let go

    def metadata(self) -> dict:
        meta = asdict(self.fetched)
        del meta["data"]
        meta["bytes"] = self.size if self.size is not None else len(self.fetched.data)
        return meta

    def without_bytes(self) -> Fetch:
        """This fetch without its bytes (kept on disk in ``raw_path``): what travels back
        to the flow, which loads records and metadata but never reads the bytes again."""
        return replace(self, fetched=replace(self.fetched, data=b""),
                       size=len(self.fetched.data) if self.size is None else self.size)


@dataclass
class Parsed:
    source_id: str
    document: Document
    processed_path: str
    cached: bool = False  # reused the saved parse of the same bytes and parser version
    seconds: float = 0.0  # spent parsing (or loading the saved parse)


@dataclass
class Extracted:
    parsed: Parsed
    extraction: Extraction = field(default_factory=Extraction)
    seconds: float = 0.0  # spent in the extractors


@dataclass
class Processed:
    """One document's fetch, parse and extraction: what a worker hands back to be loaded.
    ``extracted`` is None when there is nothing new to parse (a 304, or the bytes we hold)."""

    item: Fetch
    extracted: Extracted | None = None
    fetch_seconds: float = 0.0

    @property
    def pages(self) -> int:
        """Pages parsed: a web page counts one, as does a document not parsed again."""
        return (self.extracted and self.extracted.parsed.document.pages) or 1


class StageFailed(Exception):
    """A document failed at ``stage``; ``error`` is the exception it failed with.

    It travels back from worker threads, processes or cluster nodes, so it keeps everything
    in ``args`` (what pickling keeps) rather than in ``__cause__`` (what it drops)."""

    def __init__(self, stage: str, error: BaseException, document_id: str | None = None):
        super().__init__(stage, error, document_id)
        self.stage, self.error, self.document_id = stage, error, document_id

    def __str__(self) -> str:
        return f"{self.stage}: {type(self.error).__name__}: {self.error}"


def _fetcher(source: Source, settings: Settings):
    """fetch with this run's retries, deadline and file confinement."""
    root = None if settings.allow_files_outside else Path(source.catalog_dir)
    return functools.partial(fetch_with_retries, attempts=settings.fetch_attempts,
                             deadline=settings.fetch_deadline, allowed_root=root)


def discover_pages(source: Source, settings: Settings,
                   previous: IndexPage | None = None) -> DiscoveryResult:
    """The pages and PDFs a discovering source's index page links to, in page order;
    asked for conditionally when ``previous`` (``db.previous_index``) holds the page."""
    return discover(resolve_url(source.url, Path(source.catalog_dir)),
                    pattern=source.link_pattern, max_pages=source.max_pages,
                    include_index=source.include_index, timeout=settings.timeout,
                    max_bytes=settings.max_bytes, fetch_fn=_fetcher(source, settings),
                    previous=previous)


def fetch_source(source: Source, settings: Settings, previous: dict | None = None,
                 url: str | None = None, part: int | None = None) -> Fetch:
    """Fetch a source (or, with ``url`` and ``part``, one page discovery found for it),
    conditionally when ``previous`` (``db.previous_fetch``) says what we hold; a 304
    answer gives a Fetch whose ``fetched.not_modified`` is true."""
    part_url = url
    url = url or resolve_url(source.url, Path(source.catalog_dir))
    previous = previous or {}
    fetched = _fetcher(source, settings)(
        url, timeout=settings.timeout, max_bytes=settings.max_bytes,
        etag=previous.get("etag"), last_modified=previous.get("last_modified"))
    meta = {k: getattr(source, k) for k in ("organisation", "council", "party", "kind")}
    if fetched.not_modified:
        return Fetch(source_id=source.id, fetched=fetched, raw_path=previous.get("raw_path", ""),
                     source_meta=meta, document_id=previous.get("document_id"), part=part,
                     part_url=part_url)
    path = store_raw(fetched.data, settings.raw_dir)
    return Fetch(source_id=source.id, fetched=fetched, raw_path=str(path), source_meta=meta,
                 document_id=fetched.sha256, part=part, part_url=part_url)


def processed_path(document_id: str, settings: Settings, media_type: str | None = None) -> Path:
    """Where the parse of these bytes by the parser their media type takes is saved: keyed
    by content and parser version, never by source, so databases and sources sharing the
    folder share it, and two parser versions do not overwrite each other's."""
    parser = parser_id(media_type) if media_type else None
    if parser is None:
        return settings.processed_dir / "documents" / f"{document_id}.json"
    tag = "-".join(re.sub(r"[^A-Za-z0-9.]+", "_", part) for part in parser)
    return settings.processed_dir / "documents" / f"{document_id}.{tag}.json"


def parse_fetched(item: Fetch, settings: Settings) -> Parsed:
    """Parse fetched bytes here, or reuse the saved parse of the same bytes by the same
    parser version (``Parsed.cached``). Isolation is ``parse_and_extract``'s job."""
    started = time.perf_counter()
    f = item.fetched
    path = processed_path(f.sha256, settings, f.media_type)
    saved = _saved_parse(path, f.media_type, settings.ocr)
    if saved is None:  # one saved before file names carried the parser version
        older = processed_path(f.sha256, settings)
        saved = _saved_parse(older, f.media_type, settings.ocr)
        path = older if saved is not None else path
    cached = saved is not None
    if saved is not None:
        document = saved
    else:
        document = parse(f.data, f.media_type, document_id=f.sha256, url=f.final_url,
                         charset=f.charset, ocr=settings.ocr)
        # Saved before the source is set: a saved parse belongs to the bytes, and any
        # database or source sharing the folder may reuse it.
        document.save(path)
    document.source_id = item.source_id
    document.meta = dict(item.source_meta)
    return Parsed(source_id=item.source_id, document=document, processed_path=str(path),
                  cached=cached, seconds=time.perf_counter() - started)


def _saved_parse(path: Path, media_type: str, ocr: OcrOptions) -> Document | None:
    """The saved parse, when its parser and version are the ones in use; a parse that
    left scanned pages unread is not reused when this run's OCR may read more of them."""
    if not path.exists():
        return None
    try:
        document = Document.load(path)
    except (ValueError, TypeError, KeyError):
        return None  # an unreadable or older-format file is parsed again
    wanted = parser_id(media_type)
    if wanted != (document.parser, document.parser_version):
        return None
    return None if has_more_to_read(document, ocr) else document


def has_more_to_read(document: Document, ocr: OcrOptions) -> bool:
    """The parse left scanned pages unread, and OCR with ``ocr`` may read some of them."""
    return bool(document.unread_pages) and reads_more(document.ocr_options, ocr)


def extractor_versions(settings: Settings) -> dict[str, str]:
    return {name: e.version for name, e in get_extractors(settings.extractors).items()}


def extract_parsed(parsed: Parsed, settings: Settings) -> Extracted:
    started = time.perf_counter()
    extractors = extractors_for_thread(settings.extractors)
    extraction = run_extractors(parsed.document, extractors, build_nlp())
    return Extracted(parsed, extraction, seconds=time.perf_counter() - started)


class ExtractTimeout(TimeoutError):
    """A document's parse and extraction together took longer than the parse timeout, and
    it was stopped while extracting."""


PARSED = 1  # the step a worker has reached once the parse is done (``isolate.reached``)


def _parse_and_extract(item: Fetch, settings: Settings) -> Extracted:
    """Both CPU-bound stages in one call, so a worker process does both (one round trip)."""
    try:
        parsed = parse_fetched(item, settings)
    except Exception as exc:
        raise StageFailed("parse", exc, item.fetched.sha256) from exc
    reached(PARSED)  # a timeout from here on is the extractors'
    try:
        return extract_parsed(parsed, settings)
    except Exception as exc:
        raise StageFailed("extract", exc, item.fetched.sha256) from exc


def parse_and_extract(item: Fetch, settings: Settings) -> Extracted:
    """Parse and extract a fetched document: in a bounded worker process when
    ``settings.isolate``, else here (a cluster worker is isolation enough)."""
    if not settings.isolate:
        return _parse_and_extract(item, settings)
    try:
        return shared_pool().run(_parse_and_extract, item, settings,
                                 timeout=settings.parse_timeout)
    except StageFailed:
        raise
    except ParseTimeout as exc:
        if getattr(exc, "reached", 0) == PARSED:
            raise StageFailed("extract", ExtractTimeout(
                f"parsing and extraction took longer than {settings.parse_timeout:g} s "
                "and were stopped while extracting"), item.fetched.sha256) from exc
        raise StageFailed("parse", exc, item.fetched.sha256) from exc
    except Exception as exc:  # a killed worker, a memory limit: the parse failed
        raise StageFailed("parse", exc, item.fetched.sha256) from exc


def process_source(source: Source, settings: Settings, previous: dict | None = None,
                   url: str | None = None, part: int | None = None) -> Processed:
    """fetch -> parse -> extract for one document: the unit of work a flow task runs.

    Stops after the fetch when the server answers 304, or when the bytes are those of the
    version we hold and ``previous["current"]`` says its records are up to date, unless
    ``previous["revisit"]`` says this run's OCR may read pages its parse left unread (on a
    304, the bytes are read from the raw folder). Raises StageFailed naming the stage
    that failed."""
    started = time.perf_counter()
    try:
        item = fetch_source(source, settings, previous, url=url, part=part)
    except Exception as exc:
        raise StageFailed("fetch", exc) from exc
    fetched = time.perf_counter() - started
    previous = previous or {}
    if item.fetched.not_modified or (
        previous.get("current") and item.document_id == previous.get("document_id")
    ):
        if not previous.get("revisit"):
            return Processed(item.without_bytes(), fetch_seconds=fetched)
        if item.fetched.not_modified:
            try:
                item = held_bytes(item, previous)
            except Exception as exc:
                raise StageFailed("parse", exc, item.document_id) from exc
    extracted = parse_and_extract(item, settings)
    return Processed(item.without_bytes(), extracted, fetch_seconds=fetched)


def held_bytes(item: Fetch, previous: dict) -> Fetch:
    """A 304's fetch with the bytes we hold (the raw folder is content-addressed), to be
    parsed again; the validators the 304 left out are those we hold."""
    data = Path(item.raw_path).read_bytes()
    if hashlib.sha256(data).hexdigest() != item.document_id:
        raise ValueError(f"{item.raw_path} does not hold document {item.document_id}")
    f = item.fetched
    return replace(item, fetched=replace(
        f, data=data, sha256=item.document_id, media_type=previous["media_type"],
        etag=f.etag or previous.get("etag"),
        last_modified=f.last_modified or previous.get("last_modified")))


@dataclass(frozen=True)
class Job:
    """One document for ``process_source``: a source, or one page discovery found for it."""

    source: Source
    previous: dict | None = None  # ``db.previous_fetch`` plus "current" and "revisit"
    url: str | None = None
    part: int | None = None


def process_batch(jobs: list[Job], settings: Settings, pages: int | None = None
                  ) -> list[Processed | StageFailed]:
    """``process_source`` for several documents in turn, each failure returned in its
    document's place so one bad document does not take the others with it. Orchestrators
    batch small documents: a task run can cost more than parsing a web page.

    With ``pages``, stops after the document that brings the pages parsed to that many
    and returns the outcomes so far (at least one): the caller hands the rest to another
    task. A batch of web pages runs whole, while a long PDF runs alone, so a task never
    holds the results of several large documents at once."""
    outcomes: list[Processed | StageFailed] = []
    parsed = 0
    for job in jobs:
        try:
            outcome = process_source(job.source, settings, job.previous, url=job.url,
                                     part=job.part)
        except StageFailed as failed:
            outcome = failed
        except Exception as exc:  # noqa: BLE001 - a bug must not lose the batch's others
            outcome = StageFailed("document", exc)
        outcomes.append(outcome)
        parsed += outcome.pages if isinstance(outcome, Processed) else 1
        if pages is not None and parsed >= pages:
            break
    return outcomes
