"""One run's bookkeeping, as plain code: its ``runs`` row, what each document did (loaded,
unchanged, failed at a stage), progress lines, and what the run knows before it starts
(what we hold of each source, the order of its documents).

Loading itself is ``pledgeflow.store.load``'s, which the flow and the benchmarks' plain loop
both call with a ledger; ``Window`` keeps the tasks in flight for both.
"""

from __future__ import annotations

import gc
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from queue import SimpleQueue
from typing import TypeVar

from pledgeflow import stages
from pledgeflow.document import Document
from pledgeflow.fetch.discover import DiscoveryResult, IndexPage
from pledgeflow.store import db as store

T = TypeVar("T")
F = TypeVar("F")

# Seconds between progress lines. Each document's own line is logged at DEBUG: one INFO
# line per web page, shipped to the Prefect server, cost 1.5-2 s of a 500-page run.
PROGRESS_SECONDS = 5.0


class Window:
    """Submit items with at most ``size`` submitted and not yet handled, and yield each
    with its future as it finishes, whatever the order it was submitted in.

    Handling in order of completion keeps memory to what is running: a slow document
    no longer holds back, in memory, the results of every later one that finished. The
    caller may ``add`` items while iterating (a batch's documents left for another task).
    Works with any future that has ``add_done_callback`` (concurrent.futures, Prefect's,
    Dask's through Prefect); the callback runs on another thread, hence the queue."""

    def __init__(self, submit: Callable[[T], F], size: int) -> None:
        self.submit = submit
        self.size = max(1, size)
        self.waiting: deque[T] = deque()
        self.running = 0
        self.finished: SimpleQueue = SimpleQueue()

    def add(self, items: Iterable[T], front: bool = False) -> None:
        """Queue items to submit: at the back, or ahead of the rest (``front``)."""
        if front:
            self.waiting.extendleft(reversed(list(items)))
        else:
            self.waiting.extend(items)

    def _fill(self) -> None:
        while self.waiting and self.running < self.size:
            item = self.waiting.popleft()
            future = self.submit(item)
            self.running += 1
            future.add_done_callback(lambda done, item=item: self.finished.put((item, done)))

    def __iter__(self) -> Iterator[tuple[T, F]]:
        self._fill()
        while self.running:
            item, future = self.finished.get()
            self.running -= 1
            yield item, future
            self._fill()  # after the caller is done with it, so it may add items first


class RunLedger:
    def __init__(self, database, *, catalog: str, sources: int, settings: stages.Settings,
                 logger: logging.Logger | logging.LoggerAdapter,
                 flow_run_id: str | None = None,
                 renamed: list[tuple[str, str]] | None = None) -> None:
        self.database = database
        self.settings = settings
        self.logger = logger
        self.versions = stages.extractor_versions(settings)
        # What the process holds by now (Prefect, the registries) outlives the run. Frozen,
        # it is out of the collector's sight until ``finish``: collections scan what the run
        # makes (the results unpickled from the workers), not 360,000 objects of Prefect's
        # each time, which was 0.6 s of CPU in a 500-page run (0.15-0.2 s frozen).
        gc.collect()
        gc.freeze()
        self.run_id = str(uuid.uuid4())
        store.start_run(database, run_id=self.run_id, flow_run_id=flow_run_id,
                        catalog=catalog, sources=sources)
        self.summary: dict = {"run_id": self.run_id, "sources": sources, "fetched": 0,
                              "not_modified": 0, "parsed": 0, "documents": 0, "unchanged": 0,
                              "failed": 0, "records": {},
                              "renamed": [f"{old} -> {new}" for old, new in renamed or []]}
        self.councils: set[str] = set()  # councils whose records changed: to match again
        self.run_councils: set[str] = set()  # councils of the run's sources
        for old, new in renamed or []:
            logger.info("source %s renamed %s: its documents, versions and changes follow",
                        old, new)
            # the new id may name another council: both councils' matches change
            self.councils |= store.source_councils(database, [old, new])
        # Documents loaded with scanned pages unread, which this run's OCR may read: parsed
        # again though unchanged. Only those that ever had such pages are looked at.
        self.unread = (store.documents_with_unread_pages(database) if settings.ocr.enabled
                       else set())
        self.revisits: dict[str, bool] = {}  # document id -> revisit it
        self.pending: Counter[str] = Counter()  # documents still to come, per council
        self.total = 0  # documents this run takes (known once ``order`` has them)
        self.taken = 0
        self._reported = time.monotonic()
        # Summed per-document seconds of each stage (load: each batch's, matching included)
        self.seconds: dict[str, float] = dict.fromkeys(("fetch", "parse", "extract", "load"),
                                                       0.0)

    def order(self, jobs: list[stages.Job]) -> list[stages.Job]:
        """The jobs grouped by council (catalog order within one), and counted: a council's
        pledges are matched to its measures as soon as its last document is in, while the
        others are still being parsed, instead of every council at the end of the run."""
        jobs = sorted(jobs, key=lambda job: job.source.council or "")
        self.pending = Counter(job.source.council for job in jobs if job.source.council)
        self.run_councils.update(self.pending)
        self.total += len(jobs)
        return jobs

    def previous(self, source_id: str, url: str | None) -> dict | None:
        """What we hold of a document (for conditional requests), and whether its records
        are current with this run's extractors (so the same bytes need no parse)."""
        previous = store.previous_fetch(self.database, source_id, url)
        if previous is not None:
            previous["current"] = previous["extractors"] == self.versions
            previous["revisit"] = self._revisit(previous)
        return previous

    def _revisit(self, previous: dict) -> bool:
        """Whether this run's OCR may read pages the stored parse of a document left unread
        (its saved parse says which, and with what options)."""
        document_id = previous["document_id"]
        if document_id not in self.unread:
            return False
        if document_id not in self.revisits:
            try:
                saved = Document.load(Path(previous["processed_path"]))
                revisit = stages.has_more_to_read(saved, self.settings.ocr)
            except (OSError, ValueError, TypeError, KeyError):
                revisit = True  # no saved parse to tell: parse the bytes and save one
            self.revisits[document_id] = revisit
            if revisit:
                self.logger.info("%s: pages left unread before, parsed again with this "
                                 "run's OCR", document_id[:12])
        return self.revisits[document_id]

    def previous_index(self, source_id: str) -> IndexPage | None:
        """What the last discovery kept of the source's index page: for a conditional
        request, and the links to read again when the server answers 304."""
        held = store.previous_index(self.database, source_id)
        return IndexPage(**held) if held is not None else None

    def discovered(self, source_id: str, result: DiscoveryResult) -> None:
        """Keep the index page's validators and links for the next run."""
        if result.page is not None:
            store.save_index_page(self.database, source_id, asdict(result.page), self.run_id)

    def fail(self, source_id: str, stage: str, error: BaseException,
             document_id: str | None = None, url: str | None = None) -> None:
        self.summary["failed"] += 1
        self.logger.warning("%s failed at %s: %s", source_id, stage, error)
        store.record_failure(self.database, run_id=self.run_id, source_id=source_id,
                             stage=stage, error=error, document_id=document_id, url=url)

    def timed(self, outcome: stages.Processed) -> None:
        """Add a document's fetch, parse and extraction times to the run's stage times."""
        self.seconds["fetch"] += outcome.fetch_seconds
        if outcome.extracted is not None:
            self.seconds["parse"] += outcome.extracted.parsed.seconds
            self.seconds["extract"] += outcome.extracted.seconds

    def progress(self, every: float = PROGRESS_SECONDS) -> None:
        """Log how far the run has gone, at most once every ``every`` seconds and when
        the last document is in."""
        if time.monotonic() - self._reported < every and self.taken < self.total:
            return
        self._reported = time.monotonic()
        s = self.summary
        self.logger.info("%d of %d documents: %d loaded, %d unchanged, %d failed",
                         self.taken, self.total, s["documents"], s["unchanged"], s["failed"])

    def count(self, what: str, n: int = 1) -> None:
        """Add to one of the run's counts (fetched, not_modified, parsed)."""
        self.summary[what] += n

    def unchanged(self, item: stages.Fetch) -> None:
        self.summary["unchanged"] += 1
        self.logger.debug("%s unchanged (%s%s), skipped", item.source_id,
                          item.document_id[:12], ", 304" if item.fetched.not_modified else "")

    def loaded(self, item: stages.Fetch, counts: dict[str, int]) -> None:
        self.summary["documents"] += 1
        records = self.summary["records"]
        for kind, n in counts.items():
            records[kind] = records.get(kind, 0) + n
        self.logger.debug("%s loaded: %s", item.source_id,
                          ", ".join(f"{n} {k}" for k, n in counts.items() if n))

    def close(self) -> dict:
        """Record the run's end and counts; returns its summary with the database's
        totals."""
        summary = self.summary
        store.finish_run(self.database, self.run_id,
                         status="completed_with_failures" if summary["failed"] else "completed",
                         documents=summary["documents"], unchanged=summary["unchanged"],
                         failed=summary["failed"], records=summary["records"],
                         fetched=summary["fetched"], not_modified=summary["not_modified"],
                         parsed=summary["parsed"])
        summary["totals"] = store.current_counts(self.database)
        gc.unfreeze()
        return summary


def format_summary(summary: dict) -> str:
    records = ", ".join(f"{n} {k}" for k, n in summary["totals"].items()) or "none"
    renamed = summary.get("renamed") or []
    renames = f", {len(renamed)} renamed: {', '.join(renamed)}" if renamed else ""
    return (f"pledgeflow: {summary['sources']} sources, {summary['documents']} documents loaded, "
            f"{summary['unchanged']} unchanged ({summary['not_modified']} not modified), "
            f"{summary['failed']} failed{renames}; database now holds {records}")
