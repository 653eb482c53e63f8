"""Documents in batches: one task for several small documents, each failure in its place."""

from __future__ import annotations

import gc
import logging

import pytest

from pledgeflow import stages
from pledgeflow.catalog import Source
from pledgeflow.flows.pipeline import MAX_BATCH, batch_size
from pledgeflow.store import db as store
from pledgeflow.store import load
from pledgeflow.store.ledger import RunLedger


def source(id_: str, url: str) -> Source:
    return Source(id=id_, url=url, organisation="Test Party", council="Testshire",
                  kind="manifesto", title=id_, period="2024-2028")


@pytest.fixture()
def settings(tmp_path) -> stages.Settings:
    return stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                           isolate=False, fetch_attempts=1)


def test_a_failing_document_keeps_its_place_and_the_others_load(http_server, settings,
                                                                 samples_dir):
    page = (samples_dir / "html" / "bnes-libdem-children.html").read_bytes()
    http_server.route("/batch/good.html", body=page, headers={"Content-Type": "text/html"})
    http_server.route("/batch/gone.html", status=404)
    http_server.route("/batch/empty.html", body=b"", headers={"Content-Type": "text/html"})
    jobs = [stages.Job(source(name, http_server.url(f"/batch/{name}.html")))
            for name in ("good", "gone", "empty", "good")]
    outcomes = stages.process_batch(jobs, settings)
    assert [type(o).__name__ for o in outcomes] == ["Processed", "StageFailed", "StageFailed",
                                                    "Processed"]
    assert (outcomes[1].stage, outcomes[2].stage) == ("fetch", "parse")
    assert outcomes[0].extracted.extraction.records  # the page's pledges
    # what travels back to the flow leaves the bytes on disk
    assert outcomes[0].item.fetched.data == b"" and outcomes[0].item.size == len(page)
    assert outcomes[0].item.metadata()["bytes"] == len(page)


@pytest.mark.parametrize(("documents", "expected"), [
    (1, 1), (5, 1), (40, 2), (100, 6), (1000, MAX_BATCH), (100_000, MAX_BATCH)])
def test_batches_grow_only_when_every_thread_has_tasks_to_spare(documents, expected):
    assert batch_size(documents, threads=8) == expected


def test_a_batch_stops_at_its_pages_and_leaves_the_rest(http_server, settings, samples_dir):
    pdf = (samples_dir / "pdf" / "cwac-thriving-economy-outcome-plan.pdf").read_bytes()  # 10 pages
    page = (samples_dir / "html" / "bnes-libdem-children.html").read_bytes()
    http_server.route("/pages/plan.pdf", body=pdf, headers={"Content-Type": "application/pdf"})
    http_server.route("/pages/page.html", body=page, headers={"Content-Type": "text/html"})
    web = [stages.Job(source(f"w{i}", http_server.url("/pages/page.html"))) for i in range(3)]
    plan = stages.Job(source("plan", http_server.url("/pages/plan.pdf")))
    # web pages count one page each: three fit a budget of three
    assert len(stages.process_batch(web, settings, pages=3)) == 3
    # the PDF alone has more pages than the budget: the task stops after it
    outcomes = stages.process_batch([plan, *web], settings, pages=3)
    assert len(outcomes) == 1 and outcomes[0].pages > 3
    assert len(stages.process_batch([plan, *web], settings)) == 4  # no budget: all of them


def test_window_yields_as_futures_finish_and_never_holds_more_than_its_size():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from pledgeflow.store.ledger import Window

    release = {i: threading.Event() for i in range(7)}
    running: list[int] = []
    handled: list[int] = []

    def work(i: int) -> int:
        release[i].wait(10)
        return i * 10

    with ThreadPoolExecutor(7) as pool:
        def submit(i: int):
            running.append(i)
            return pool.submit(work, i)

        window = Window(submit, 3)
        window.add(range(1, 6))
        release[3].set()  # the third finishes first and is handled first
        for item, future in window:
            assert future.result() == item * 10
            assert len(running) - len(handled) <= 3
            handled.append(item)
            if item == 3:
                window.add([0], front=True)  # submitted next, ahead of 4 and 5
                for i in (1, 2, 0, 4, 5):
                    release[i].set()
    assert handled[0] == 3 and sorted(handled) == list(range(6))
    assert running == [1, 2, 3, 0, 4, 5]


def test_the_ledger_takes_a_batch_in_one_commit_and_reports_progress(
        http_server, settings, samples_dir, tmp_path, caplog):
    page = (samples_dir / "html" / "bnes-libdem-children.html").read_bytes()
    http_server.route("/ledger/page.html", body=page, headers={"Content-Type": "text/html"})
    http_server.route("/ledger/gone.html", status=404)
    sources = [source("a", http_server.url("/ledger/page.html")),
               source("gone", http_server.url("/ledger/gone.html"))]
    database = store.open_db(tmp_path / "pf.db")
    store.upsert_sources(database, sources)
    logger = logging.getLogger("test-ledger")
    ledger = RunLedger(database, catalog="test", sources=2, settings=settings, logger=logger)
    assert gc.get_freeze_count() > 0  # what the process held is out of the collector's way
    jobs = ledger.order([stages.Job(s) for s in sources])
    outcomes = stages.process_batch(jobs, settings)
    commits = []
    database.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    with caplog.at_level(logging.DEBUG, logger="test-ledger"):
        assert load.take_batch(ledger, jobs, outcomes) == []
    database.conn.set_trace_callback(None)
    assert len(commits) == 1  # the page, the failure and the relinking: one transaction
    pledges = database.execute("select count(*) from pledges").fetchone()[0]
    assert pledges > 0
    indexed = database.execute("select count(*) from pledges_fts_docsize").fetchone()[0]
    assert indexed == pledges  # searchable as soon as it is committed
    failures = [(r["source_id"], r["stage"]) for r in database.query(
        "select source_id, stage from failures")]
    assert failures == [("gone", "fetch")]
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info == ["2 of 2 documents: 1 loaded, 0 unchanged, 1 failed"]
    assert any(r.levelno == logging.DEBUG and "a loaded:" in r.getMessage()
               for r in caplog.records)
    load.finish(ledger)
    assert gc.get_freeze_count() == 0  # and back in it once the run is done
