"""Loading: each document's version, records, source link and full-text rows into the
database, and the pledge-to-measure matches they change. No Prefect: the flow
(``flows/pipeline.py``), the benchmarks' plain loop and ``pledgeflow reextract`` all call
these functions, so each run loads the same way.

Per document, ``take`` decides what a fetch, parse and extraction (``stages.Processed``)
needs: nothing (the bytes are loaded and current), a new source link to bytes already
loaded, extraction again from the saved parse (same bytes, newer extractors), or a full
load. Each is one transaction (``db.load_document``); a batch's documents share one
commit (``db.load_group``). Replacing a document's pledges drops their matches to
measures (the ``matches`` table), so matching is this module's too: a council is matched
again as soon as its last document of the run is in, and ``finish`` matches whatever
council is still due. The run's bookkeeping (its ``runs`` row, counts, failures with
their stage, progress lines) is ``ledger.RunLedger``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from pledgeflow.document import Document
from pledgeflow.parse import PagesNotRead
from pledgeflow.stages import (
    Extracted,
    Fetch,
    Job,
    Parsed,
    Processed,
    Settings,
    StageFailed,
    extract_parsed,
)
from pledgeflow.store import db as store
from pledgeflow.store import matches
from pledgeflow.store.ledger import RunLedger, Window

Batch = list[Job]


def load_extracted(db: sqlite_utils.Database, item: Fetch, extracted: Extracted
                   ) -> dict[str, int]:
    """Store a parsed and extracted document (its bytes' row, blocks, records and their
    full-text rows) and make it the source's current version, in one transaction; returns
    rows per record table."""
    return store.load_document(
        db, extracted.parsed.document, extracted.extraction.records,
        source_id=item.source_id, fetched=item.metadata(), raw_path=item.raw_path,
        processed_path=extracted.parsed.processed_path,
        extractor_versions=extracted.extraction.versions, part=item.part,
        part_url=item.part_url,
    )


def reextract(db: sqlite_utils.Database, document_id: str, settings: Settings
              ) -> dict[str, int]:
    """Extract a stored document again from its saved parse (no fetch, no parse) and
    replace its records, for every source that serves it (their links stay as they are):
    what a new extractor version needs. Its pledges lose their matches to measures until
    their councils are matched again (``match``); returns rows per record table."""
    row = store.document_row(db, document_id)
    document = Document.load(Path(row["processed_path"]))
    sources = store.document_sources(db, document_id)
    meta = db.execute("select organisation, council, party, kind from sources where id = ?",
                      [sources[0]]).fetchone() if sources else None
    document.meta = dict(zip(("organisation", "council", "party", "kind"), meta or (),
                             strict=False))
    extracted = extract_parsed(Parsed(sources[0] if sources else "", document,
                                      row["processed_path"]), settings)
    return store.store_document(
        db, document, extracted.extraction.records,
        fetched={"media_type": row["media_type"], "bytes": row["bytes"]},
        raw_path=row["raw_path"], processed_path=row["processed_path"],
        extractor_versions=extracted.extraction.versions)


def councils_of(db: sqlite_utils.Database, document_id: str) -> set[str]:
    """Every council whose sources serve these bytes: their records change together."""
    return store.source_councils(db, store.document_sources(db, document_id))


def match(db: sqlite_utils.Database, councils: set[str]) -> int:
    """Match the councils' current pledges to their measures again; returns the matches."""
    return matches.rebuild(db, councils) if councils else 0


@dataclass
class Reextracted:
    documents: int  # documents extracted again
    councils: int  # councils matched again
    matches: int  # pledge-to-measure matches they now hold


def reextract_documents(db: sqlite_utils.Database, document_ids: Iterable[str],
                        settings: Settings,
                        each: Callable[[str, dict[str, int]], None] | None = None
                        ) -> Reextracted:
    """``reextract`` each document, then match the councils they serve again (without
    that, their pledges would keep no match at all); ``each(document_id, counts)`` after
    each one."""
    done, councils = 0, set()
    for document_id in document_ids:
        counts = reextract(db, document_id, settings)
        done += 1
        councils |= councils_of(db, document_id)
        if each is not None:
            each(document_id, counts)
    return Reextracted(done, len(councils), match(db, councils))


def load_all(ledger: RunLedger, batches: list[Batch],
             submit: Callable[[Batch], Any], in_flight: int) -> None:
    """Submit the batches (``submit`` returns a future of ``stages.process_batch``'s
    outcomes) with at most ``in_flight`` not yet loaded, and load each as it finishes,
    whatever order they finish in: memory holds at most ``in_flight`` tasks' documents,
    and a slow document holds up nothing but itself. A batch that stopped at its page
    budget has the documents it left submitted next. This process is the only writer."""
    window = Window(submit, in_flight)
    window.add(batches)
    for batch, future in window:
        rest = take_batch(ledger, batch, _outcome(future))
        if rest:
            window.add([rest], front=True)


def _outcome(future) -> list | BaseException:
    """The future's result, or the exception it failed with."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - each of its documents is recorded as failed
        return exc


def take_batch(ledger: RunLedger, jobs: list[Job], outcomes: list | BaseException
               ) -> list[Job]:
    """``take`` each outcome of a task's batch (an exception: the whole task failed, so
    each of its documents did); return the jobs the task left for another."""
    started = time.perf_counter()
    if isinstance(outcomes, BaseException):
        outcomes = [outcomes] * len(jobs)
    # One commit for the batch (each document's load still all-or-nothing): a commit
    # per web page cost more than its rows, mostly in the full-text indexes.
    with store.load_group(ledger.database):
        for job, outcome in zip(jobs[:len(outcomes)], outcomes, strict=True):
            take(ledger, job, outcome)
    ledger.progress()
    ledger.seconds["load"] += time.perf_counter() - started
    return jobs[len(outcomes):]


def take(ledger: RunLedger, job: Job, outcome: Processed | BaseException) -> None:
    """Load one document's outcome (or record its failure); match its council again when
    it was the council's last document to come and its records changed."""
    if isinstance(outcome, Processed):
        ledger.timed(outcome)
    _load(ledger, job.source.id, outcome, job.url or job.source.url)
    ledger.taken += 1
    council = job.source.council
    if council and ledger.pending[council] > 0:
        ledger.pending[council] -= 1
        if ledger.pending[council] == 0 and council in ledger.councils:
            _match(ledger, {council})


def _load(ledger: RunLedger, source_id: str, outcome: Processed | BaseException,
          url: str | None) -> None:
    if isinstance(outcome, StageFailed):
        ledger.fail(source_id, outcome.stage, outcome.error, outcome.document_id, url)
        return
    if isinstance(outcome, BaseException):
        ledger.fail(source_id, "document", outcome, url=url)
        return
    db = ledger.database
    item, extracted = outcome.item, outcome.extracted
    not_modified = item.fetched.not_modified
    ledger.count("not_modified" if not_modified else "fetched")
    fetched = None if not_modified else item.metadata()
    revisited = extracted is not None and ledger.revisits.get(item.document_id, False)
    if not revisited and store.document_is_current(db, item.document_id, ledger.versions):
        # These bytes' records are up to date, loaded for this source or for another
        # that serves the same bytes: at most this source's link is new.
        try:
            linked = store.link_source(db, source_id, item.document_id, fetched,
                                       part=item.part, part_url=item.part_url)
        except Exception as exc:  # noqa: BLE001 - recorded as this document's failure
            ledger.fail(source_id, "load", exc, item.document_id, url)
            return
        if linked:
            _loaded(ledger, item, store.document_counts(db, item.document_id))
        else:
            ledger.unchanged(item)
        return
    if extracted is None:  # same bytes, newer extractors: extract again from the saved parse
        try:
            store.index_group_before_replacing(db, item.document_id)  # see its docstring
            with store.immediate(db):  # records and link together, or neither
                counts = reextract(db, item.document_id, ledger.settings)
                store.link_source(db, source_id, item.document_id, fetched,
                                  part=item.part, part_url=item.part_url)
        except Exception as exc:  # noqa: BLE001 - recorded as this document's failure
            ledger.fail(source_id, "extract", exc, item.document_id, url)
            return
        _loaded(ledger, item, counts)
        return
    ledger.count("parsed", 0 if extracted.parsed.cached else 1)
    for name, error in extracted.extraction.errors:
        ledger.fail(source_id, f"extract:{name}", error, item.fetched.sha256, url)
    try:
        counts = load_extracted(db, item, extracted)
    except Exception as exc:  # noqa: BLE001 - recorded as this document's failure
        ledger.fail(source_id, "load", exc, item.fetched.sha256, url)
        return
    for warning in extracted.parsed.document.warnings:  # scanned pages left unread
        ledger.fail(source_id, "parse", PagesNotRead(warning), item.fetched.sha256, url)
    # Read once: another source serving these bytes is unchanged now
    ledger.revisits[item.document_id] = False
    _loaded(ledger, item, counts)


def _loaded(ledger: RunLedger, item: Fetch, counts: dict[str, int]) -> None:
    # Every council whose sources serve these bytes: their records changed for all.
    ledger.councils |= councils_of(ledger.database, item.document_id)
    ledger.loaded(item, counts)


def _match(ledger: RunLedger, councils: set[str]) -> None:
    n = match(ledger.database, councils)
    ledger.councils -= councils
    ledger.logger.debug("matched pledges to measures in %s: %d matches",
                        next(iter(councils)) if len(councils) == 1
                        else f"{len(councils)} councils", n)


def finish(ledger: RunLedger, found_pages: dict[str, set[str]] | None = None) -> dict:
    """Retire the pages an index no longer links, match every council still due, close
    the run; returns its summary."""
    db = ledger.database
    for source_id, pages in (found_pages or {}).items():
        retired = store.retire_parts(db, source_id, pages, ledger.run_id)
        if retired:
            ledger.logger.info("%s: %d page(s) no longer linked from the index, retired: %s",
                               source_id, len(retired), ", ".join(retired))
            ledger.councils |= store.source_councils(db, [source_id])
    # Councils with new or retired records not yet matched, and any of the run's councils
    # whose matches are older than their records (a reextract, a failed matching)
    ledger.councils |= matches.stale_councils(db, ledger.run_councils)
    if ledger.councils:
        _match(ledger, set(ledger.councils))
    return ledger.close()
