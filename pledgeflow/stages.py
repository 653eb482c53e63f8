"""The pipeline's stages as plain functions: fetch -> parse -> extract -> load.

Each takes and returns plain values, so tests and benchmarks call them directly and
the Prefect flow in ``flows/pipeline.py`` only orchestrates them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from pledgeflow import db as store
from pledgeflow.catalog import Source
from pledgeflow.document import Document
from pledgeflow.fetch import Fetched, fetch, resolve_url, store_raw
from pledgeflow.nlp import build_nlp
from pledgeflow.parse import parse
from pledgeflow.registry import Extraction, get_extractors, run_extractors

DEFAULT_CATALOG = Path("samples/catalog.toml")
DEFAULT_DB = Path("processed/pledgeflow.db")


@dataclass(frozen=True)
class Settings:
    raw_dir: Path = Path("raw")
    processed_dir: Path = Path("processed")
    timeout: float = 30.0
    max_bytes: int = 50 * 1024 * 1024
    extractors: tuple[str, ...] | None = None  # None: every registered extractor


@dataclass
class Fetch:
    """A fetched source: what was fetched and where its bytes are kept."""

    source_id: str
    fetched: Fetched
    raw_path: str
    source_meta: dict = field(default_factory=dict)  # catalog fields extractors may use

    def metadata(self) -> dict:
        meta = asdict(self.fetched)
        del meta["data"]
        meta["bytes"] = len(self.fetched.data)
        return meta


@dataclass
class Parsed:
    source_id: str
    document: Document
    processed_path: str


@dataclass
class Extracted:
    parsed: Parsed
    extraction: Extraction = field(default_factory=Extraction)


def fetch_source(source: Source, settings: Settings) -> Fetch:
    url = resolve_url(source.url, Path(source.catalog_dir))
    fetched = fetch(url, timeout=settings.timeout, max_bytes=settings.max_bytes)
    path = store_raw(fetched.data, settings.raw_dir)
    meta = {k: getattr(source, k) for k in ("organisation", "council", "party", "kind")}
    return Fetch(source_id=source.id, fetched=fetched, raw_path=str(path), source_meta=meta)


def processed_path(document_id: str, settings: Settings) -> Path:
    return settings.processed_dir / "documents" / f"{document_id}.json"


def parse_fetched(item: Fetch, settings: Settings) -> Parsed:
    f = item.fetched
    document = parse(f.data, f.media_type, document_id=f.sha256, url=f.final_url,
                     charset=f.charset)
    document.source_id = item.source_id
    document.meta = dict(item.source_meta)
    path = document.save(processed_path(document.id, settings))
    return Parsed(source_id=item.source_id, document=document, processed_path=str(path))


def extractor_versions(settings: Settings) -> dict[str, str]:
    return {name: e.version for name, e in get_extractors(settings.extractors).items()}


def extract_parsed(parsed: Parsed, settings: Settings) -> Extracted:
    extractors = get_extractors(settings.extractors)
    return Extracted(parsed, run_extractors(parsed.document, extractors, build_nlp()))


def load_extracted(db, item: Fetch, extracted: Extracted) -> dict[str, int]:
    """Load one document and its records in one transaction; returns counts per kind."""
    return store.load_document(
        db, extracted.parsed.document, extracted.extraction.records,
        source_id=item.source_id, fetched=item.metadata(), raw_path=item.raw_path,
        processed_path=extracted.parsed.processed_path,
        extractor_versions=extracted.extraction.versions,
    )
