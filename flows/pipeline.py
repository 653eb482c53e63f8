"""The ``pipeline`` flow: catalog -> fetch -> parse -> extract -> load.

Thin by design: fetch, parse and extract are plain functions in ``pledgeflow.stages``
and loading is ``pledgeflow.store.load``'s; this module only declares how they run (one task
per document, or a batch of small ones: fetch, parse and extract) and keeps the single
SQLite writer in the flow itself, loading each task's documents as it finishes.
Tasks run on threads feeding a pool of worker processes by default, or on a Dask cluster
(``pledgeflow run --runner dask``). A document that fails at any stage is recorded in
``failures`` with that stage, and the others go on. The flow run ends with a Markdown
artifact: the run's counts and a row per failure (``pledgeflow.store.failures.report_markdown``).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import get_run_context
from prefect.exceptions import TerminationSignal
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

from pledgeflow import defaults, stages, stopping
from pledgeflow.catalog import load_catalog, select
from pledgeflow.flows.tempserver import temporary_server
from pledgeflow.isolate import close_shared_pool
from pledgeflow.parse.ocr import DEFAULT_MAX_PAGES as DEFAULT_OCR_PAGES
from pledgeflow.parse.ocr import DEFAULT_SECONDS as DEFAULT_OCR_SECONDS
from pledgeflow.parse.ocr import OcrOptions
from pledgeflow.store import db as store
from pledgeflow.store import load
from pledgeflow.store.failures import report_markdown, run_failures
from pledgeflow.store.ledger import RunLedger, format_summary


# Inputs are documents and bytes: hashing them for a cache key would cost more than
# the work, and re-runs are already skipped by content hash, so tasks do not cache.
# Retries live in fetch_with_retries, not on the task: they need the server's Retry-After
# and must not retry a 404, which a task-level retry policy cannot see.
@task(cache_policy=NO_CACHE, task_run_name="discover-{source.id}")
def discover_task(source, settings: stages.Settings, previous=None):
    return stages.discover_pages(source, settings, previous)


# A task is a document, or a few small ones: a task run costs 10-35 ms of orchestration,
# more than parsing a web page, so fetch, parse and extract of a document share one task,
# and a large catalog's documents go in small batches. The CPU-bound part runs in a worker
# process (or on a Dask worker); the SQLite load stays in the flow.
@task(cache_policy=NO_CACHE, task_run_name="documents-{label}")
def documents_task(jobs: list[stages.Job], settings: stages.Settings, label: str = "",
                   pages: int | None = None) -> list[stages.Processed | stages.StageFailed]:
    return stages.process_batch(jobs, settings, pages)


# Enough threads to keep every core's worker process fed while others wait on the network;
# bounded, so a large catalog does not hold every document in memory at once.
DEFAULT_THREADS = 2 * (os.cpu_count() or 1) + 4
# Tasks submitted and not yet loaded: enough to keep every thread (or a small cluster's
# workers) busy past a slow document; raise it above a large cluster's worker count.
DEFAULT_IN_FLIGHT = 2 * DEFAULT_THREADS
# Documents and pages per task at most: see pledgeflow.defaults
MAX_BATCH = defaults.MAX_BATCH
PAGES_PER_TASK = defaults.PAGES_PER_TASK


def batch_size(documents: int, threads: int = DEFAULT_THREADS) -> int:
    """Documents per task: one while a catalog is small, up to MAX_BATCH when it has at
    least two tasks per thread to go round, so batching never leaves a thread idle."""
    return max(1, min(MAX_BATCH, documents // (2 * threads)))


def in_batches(jobs: list[stages.Job], size: int | None = None) -> list[list[stages.Job]]:
    """The jobs as tasks' batches, in order: ``size`` each, or ``batch_size``'s choice."""
    size = size or batch_size(len(jobs))
    return [jobs[i:i + size] for i in range(0, len(jobs), size)]


@flow(name="pipeline", task_runner=ThreadPoolTaskRunner(max_workers=DEFAULT_THREADS))
def pipeline(
    sources: str = str(defaults.CATALOG),
    db: str = str(defaults.DB),
    raw_dir: str = str(defaults.RAW_DIR),
    processed_dir: str = str(defaults.PROCESSED_DIR),
    only: list[str] | None = None,
    kind: str | None = None,
    organisation: str | None = None,
    parse_timeout: float = defaults.PARSE_TIMEOUT,
    allow_files_outside: bool = False,
    fetch_timeout: float = defaults.FETCH_TIMEOUT,
    isolate: bool = True,
    in_flight: int = DEFAULT_IN_FLIGHT,
    batch: int | None = None,
    ocr: bool = True,
    ocr_pages: int = DEFAULT_OCR_PAGES,
    ocr_seconds: float = DEFAULT_OCR_SECONDS,
) -> dict:
    """Fetch, parse, extract and load every selected source of a catalog; return a summary."""
    try:
        logger = get_run_logger()
        # Every registered extractor runs: a document's records are replaced as a whole,
        # so running a subset would drop the other extractors' records.
        # Absolute folders: tasks may run in processes (Dask workers) with another cwd.
        settings = stages.Settings(raw_dir=Path(raw_dir).resolve(),
                                   processed_dir=Path(processed_dir).resolve(),
                                   parse_timeout=parse_timeout, timeout=fetch_timeout,
                                   allow_files_outside=allow_files_outside, isolate=isolate,
                                   ocr=OcrOptions(ocr, ocr_pages, ocr_seconds))
        listed = load_catalog(sources)
        catalog = select(listed, only=only, kind=kind, organisation=organisation)
        database = store.open_db(db)
        store.upsert_sources(database, catalog)
        renamed = store.carry_renamed(database, catalog, {s.id for s in listed})
        ledger = RunLedger(database, catalog=sources, sources=len(catalog), settings=settings,
                           logger=logger, flow_run_id=str(get_run_context().flow_run.id),
                           renamed=renamed)

        # A manifesto spread over pages: its index page names the documents to fetch.
        # Asked for conditionally: a 304 reads the links kept from the last discovery.
        discoveries = [(s, discover_task.submit(s, settings, ledger.previous_index(s.id)))
                       for s in catalog if s.discover]
        jobs: list[tuple] = [(s, None, None) for s in catalog if not s.discover]
        found_pages: dict[str, set[str]] = {}
        for source, future in discoveries:
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - recorded as the source's failure
                ledger.fail(source.id, "discover", exc, url=source.url)
                continue
            logger.info("%s: %s", source.id, result.summary())
            ledger.discovered(source.id, result)
            found_pages[source.id] = {link.url for link in result.links}
            jobs += [(source, link.url, link.order) for link in result.links]

        jobs = ledger.order([stages.Job(source, ledger.previous(source.id, url), url, part)
                             for source, url, part in jobs])  # previous: conditional requests

        def submit(batch_jobs: list[stages.Job]) -> PrefectFuture:
            label = batch_jobs[0].source.id + (f"+{len(batch_jobs) - 1}" if len(batch_jobs) > 1
                                               else "")
            return documents_task.submit(batch_jobs, settings, label, pages=PAGES_PER_TASK)

        # Each task's documents are loaded as it finishes, by this process alone.
        load.load_all(ledger, in_batches(jobs, batch), submit, in_flight)
        summary = load.finish(ledger, found_pages)
        report = report_markdown(summary, run_failures(database, ledger.run_id),
                                 catalog=sources, db=db)
        database.close()
        logger.info(format_summary(summary))
        _report_to_prefect(report, sources, summary, logger)
        return summary
    except BaseException as exc:
        # Stopped (Ctrl-C, SIGTERM) or crashed: what the workers are parsing is lost
        # anyway, so kill them rather than wait up to the parse timeout.
        close_shared_pool(kill=True)
        if isinstance(exc, TerminationSignal):  # Prefect's form of a SIGTERM
            stopping.begin(exc.signal)
        raise
    finally:
        # Stop the workers this run started, so its process can exit when the flow
        # ends (a served schedule waits for that): see close_shared_pool.
        close_shared_pool()


def artifact_key(catalog: str) -> str:
    """The key of a catalog's run reports: one per catalog, so the UI's Artifacts page
    keeps each catalog's reports as one history (keys take a-z, 0-9 and dashes)."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(catalog).stem.lower()).strip("-")
    return f"pledgeflow-run-{stem or 'catalog'}"


def _report_to_prefect(report: str, catalog: str, summary: dict, logger) -> None:
    """End the flow run with its report as a Markdown artifact: the run's counts and a
    row per failure, on the flow run's page and under the catalog's key in the UI."""
    try:
        create_markdown_artifact(
            markdown=report, key=artifact_key(catalog),
            description=f"{summary['sources']} sources: {summary['documents']} loaded, "
                        f"{summary['unchanged']} unchanged, {summary['failed']} failed")
    except Exception as exc:  # noqa: BLE001 - the data is loaded; a report lost is logged
        logger.warning("could not create the run report artifact: %s", exc)


def task_runner(runner: str = "threads", address: str | None = None,
                workers: int | None = None):
    """The task runner for ``pledgeflow run --runner``: ``threads`` (this machine: threads
    feeding one worker process per core) or ``dask`` (prefect-dask's DaskTaskRunner on the
    cluster at ``address``, or on a LocalCluster of ``workers`` processes when none)."""
    if runner == "threads":
        return ThreadPoolTaskRunner(max_workers=DEFAULT_THREADS)
    if runner != "dask":
        raise ValueError(f"unknown runner {runner!r}: use threads or dask")
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        raise RuntimeError("--runner dask needs prefect-dask: pip install 'pledgeflow[dask]'"
                           ) from None
    if address:
        return DaskTaskRunner(address=address)
    # One single-threaded process per core: parsing and spaCy hold the GIL. No dashboard:
    # it needs bokeh and a port, and the run is watched through Prefect.
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs={
        "n_workers": workers or os.cpu_count() or 1, "threads_per_worker": 1,
        "processes": True, "dashboard_address": None})


def run_pipeline(runner: str = "threads", address: str | None = None,
                 workers: int | None = None, state_dir: Path | None = None,
                 **parameters) -> dict:
    """Run the pipeline flow on the chosen task runner. On Dask, each worker process is
    already the isolation a document needs, so no extra pool is started inside it.

    With no ``PREFECT_API_URL``, the run starts a temporary Prefect server of its own
    with its state under ``state_dir`` (``.pledgeflow`` by default), and stops it when
    the run ends: see ``pledgeflow.flows.tempserver``. Dask workers report to it too."""
    if runner == "dask":
        _quiet_dask()
    with temporary_server(state_dir or defaults.STATE_DIR):
        chosen = pipeline.with_options(task_runner=task_runner(runner, address, workers))
        return chosen(**parameters, isolate=runner != "dask")


def _quiet_dask() -> None:
    # Cluster start and stop chatter at INFO drowns the run's own progress lines.
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # the worker processes
    logging.getLogger("distributed").setLevel(os.environ["DASK_LOGGING__DISTRIBUTED"].upper())
