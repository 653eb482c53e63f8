"""The ``pipeline`` flow: catalog -> fetch -> parse -> extract -> load.

Thin by design: every stage is a plain function in ``pledgeflow.stages``; this module
only declares how they run (one task per document per stage, retries on fetch) and
keeps the single SQLite writer in the flow itself. A document that fails at any stage
is recorded in ``failures`` with that stage, and the others go on.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.futures import PrefectFuture

from pledgeflow import db as store
from pledgeflow import links, stages
from pledgeflow.catalog import load_catalog, select


# Inputs are documents and bytes: hashing them for a cache key would cost more than
# the work, and re-runs are already skipped by content hash, so tasks do not cache.
# Retries live in fetch_with_retries, not on the task: they need the server's Retry-After
# and must not retry a 404, which a task-level retry policy cannot see.
@task(cache_policy=NO_CACHE, task_run_name="fetch-{source.id}")
def fetch_task(source, settings: stages.Settings, previous: dict | None,
               url: str | None = None, part: int | None = None) -> stages.Fetch:
    return stages.fetch_source(source, settings, previous, url=url, part=part)


@task(cache_policy=NO_CACHE, task_run_name="discover-{source.id}")
def discover_task(source, settings: stages.Settings):
    return stages.discover_pages(source, settings)


@task(cache_policy=NO_CACHE, task_run_name="parse-{item.source_id}")
def parse_task(item: stages.Fetch, settings: stages.Settings) -> stages.Parsed:
    return stages.parse_fetched(item, settings)


@task(cache_policy=NO_CACHE, task_run_name="extract-{parsed.source_id}")
def extract_task(parsed: stages.Parsed, settings: stages.Settings) -> stages.Extracted:
    return stages.extract_parsed(parsed, settings)


@task(cache_policy=NO_CACHE, task_run_name="reextract-{document_id}")
def reextract_task(db_path: str, document_id: str, settings: stages.Settings) -> dict[str, int]:
    database = store.open_db(db_path)
    try:
        return stages.reextract(database, document_id, settings)
    finally:
        database.close()


@task(cache_policy=NO_CACHE, task_run_name="load-{item.source_id}")
def load_task(db_path: str, item: stages.Fetch, extracted: stages.Extracted) -> dict[str, int]:
    database = store.open_db(db_path)
    try:
        return stages.load_extracted(database, item, extracted)
    finally:
        database.close()


def _outcome(future: PrefectFuture):
    """The future's result, or the exception it failed with."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - the caller records it as a failure
        return exc


@flow(name="pipeline")
def pipeline(
    sources: str = str(stages.DEFAULT_CATALOG),
    db: str = str(stages.DEFAULT_DB),
    raw_dir: str = "raw",
    processed_dir: str = "processed",
    only: list[str] | None = None,
    kind: str | None = None,
    organisation: str | None = None,
    parse_timeout: float = 120.0,
    allow_files_outside: bool = False,
    fetch_timeout: float = 30.0,
) -> dict:
    """Fetch, parse, extract and load every selected source of a catalog; return a summary."""
    logger = get_run_logger()
    # Every registered extractor runs: a document's records are replaced as a whole,
    # so running a subset would drop the other extractors' records.
    settings = stages.Settings(raw_dir=Path(raw_dir), processed_dir=Path(processed_dir),
                               parse_timeout=parse_timeout, timeout=fetch_timeout,
                               allow_files_outside=allow_files_outside)
    catalog = select(load_catalog(sources), only=only, kind=kind, organisation=organisation)
    versions = stages.extractor_versions(settings)
    database = store.open_db(db)
    store.upsert_sources(database, catalog)
    run_id = str(uuid.uuid4())
    flow_run_id = str(get_run_context().flow_run.id)
    store.start_run(database, run_id=run_id, flow_run_id=flow_run_id, catalog=sources,
                    sources=len(catalog))
    summary = {"run_id": run_id, "sources": len(catalog), "fetched": 0, "not_modified": 0,
               "parsed": 0, "documents": 0, "unchanged": 0, "failed": 0, "records": {}}

    def fail(source_id: str, stage: str, error: BaseException, document_id=None) -> None:
        summary["failed"] += 1
        logger.warning("%s failed at %s: %s", source_id, stage, error)
        store.record_failure(database, run_id=run_id, source_id=source_id, stage=stage,
                             error=error, document_id=document_id)

    def loaded(source_id: str, counts: dict[str, int]) -> None:
        summary["documents"] += 1
        for kind_, n in counts.items():
            summary["records"][kind_] = summary["records"].get(kind_, 0) + n
        logger.info("%s loaded: %s", source_id,
                    ", ".join(f"{n} {k}" for k, n in counts.items() if n))

    # A manifesto spread over pages: its index page names the documents to fetch.
    discoveries = [(s, discover_task.submit(s, settings)) for s in catalog if s.discover]
    jobs: list[tuple] = [(s, None, None) for s in catalog if not s.discover]
    found_pages: dict[str, set[str]] = {}
    for source, future in discoveries:
        result = _outcome(future)
        if isinstance(result, Exception):
            fail(source.id, "discover", result)
            continue
        logger.info("%s: %s", source.id, result.summary())
        found_pages[source.id] = {link.url for link in result.links}
        jobs += [(source, link.url, link.order) for link in result.links]

    # Conditional requests: what we hold of each document tells the server what not to send.
    fetches = [(source, fetch_task.submit(source, settings,
                                          store.previous_fetch(database, source.id, url),
                                          url, part))
               for source, url, part in jobs]
    pending = []
    for source, future in fetches:
        item = _outcome(future)
        if isinstance(item, Exception):
            fail(source.id, "fetch", item)
            continue
        not_modified = item.fetched.not_modified
        summary["not_modified" if not_modified else "fetched"] += 1
        if store.document_is_current(database, item.document_id, versions):
            summary["unchanged"] += 1
            logger.info("%s unchanged (%s%s), skipped", source.id, item.document_id[:12],
                        ", 304" if not_modified else "")
        elif not_modified:  # same bytes, newer extractors: extract again from the saved parse
            counts = _outcome(reextract_task.submit(db, item.document_id, settings))
            if isinstance(counts, Exception):
                fail(source.id, "extract", counts, item.document_id)
            else:
                loaded(source.id, counts)
        else:
            parsed = parse_task.submit(item, settings)
            pending.append((source, item, parsed, extract_task.submit(parsed, settings)))

    for source, item, parsed_future, extracted_future in pending:
        parsed = _outcome(parsed_future)
        if isinstance(parsed, Exception):
            fail(source.id, "parse", parsed, item.fetched.sha256)
            continue
        summary["parsed"] += 0 if parsed.cached else 1
        extracted = _outcome(extracted_future)
        if isinstance(extracted, Exception):
            fail(source.id, "extract", extracted, item.fetched.sha256)
            continue
        for name, error in extracted.extraction.errors:
            fail(source.id, f"extract:{name}", error, item.fetched.sha256)
        counts = _outcome(load_task.submit(db, item, extracted))  # one writer at a time
        if isinstance(counts, Exception):
            fail(source.id, "load", counts, item.fetched.sha256)
            continue
        loaded(source.id, counts)

    if summary["documents"]:  # new records: relink pledges to KPIs and actions
        logger.info("linked pledges to measures: %d links", links.rebuild(database))

    for source_id, pages in found_pages.items():
        retired = store.retire_parts(database, source_id, pages)
        if retired:
            logger.info("%s: %d page(s) no longer linked from the index", source_id, retired)

    store.finish_run(database, run_id, status="completed" if not summary["failed"] else
                     "completed_with_failures", documents=summary["documents"],
                     unchanged=summary["unchanged"], failed=summary["failed"],
                     records=summary["records"], fetched=summary["fetched"],
                     not_modified=summary["not_modified"], parsed=summary["parsed"])
    summary["totals"] = store.current_counts(database)
    database.close()
    logger.info(format_summary(summary))
    return summary


def format_summary(summary: dict) -> str:
    records = ", ".join(f"{n} {k}" for k, n in summary["totals"].items()) or "none"
    return (f"pledgeflow: {summary['sources']} sources, {summary['documents']} documents loaded, "
            f"{summary['unchanged']} unchanged ({summary['not_modified']} not modified), "
            f"{summary['failed']} failed; database now holds {records}")
