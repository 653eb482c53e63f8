"""A document stopped at its time limit fails at the stage it had reached: a parse that
hangs at "parse", extractors that hang at "extract"."""

from __future__ import annotations

import time

import pytest

from pledgeflow import stages
from pledgeflow.catalog import Source
from pledgeflow.isolate import WorkerPool, close_shared_pool, reached
from pledgeflow.parse import ParseTimeout

PAGE = (b"<html><body><main><h1>Parks</h1><p>We will open a cafe in every park.</p>"
        b"</main></body></html>")


def ready() -> bool:
    return True


def step_then_wait(step: int) -> None:
    """Runs in a worker: says it reached ``step``, then never finishes in time."""
    reached(step)
    time.sleep(120)


@pytest.mark.slow  # kills a real worker process past its time limit, twice
@pytest.mark.parametrize("step", [0, 3])
def test_a_stopped_call_reports_the_step_it_had_reached(step):
    pool = WorkerPool(workers=1)
    try:
        # The worker is up and has imported this module: neither is in the time limit
        assert pool.run(ready, timeout=120)
        with pytest.raises(ParseTimeout) as stopped:
            pool.run(step_then_wait, step, timeout=3)
        assert stopped.value.reached == step
        assert pool.run(sum, [2, 3], timeout=120) == 5  # a new worker took its place
    finally:
        pool.reset(kill=True)


SLOW_EXTRACTOR = '''
import time


class Slow:
    name = "slow"
    version = "1"
    kinds = ("pledges",)

    def extract(self, doc, nlp):
        time.sleep(600)
        return []
'''


@pytest.mark.slow
def test_extractors_that_run_out_of_time_fail_at_extract_not_parse(tmp_path, monkeypatch):
    # An installed third-party extractor that hangs: its module and its entry point on the
    # path the worker processes start with.
    site = tmp_path / "site"
    (site / "slow_extractor-1.dist-info").mkdir(parents=True)
    (site / "slow_extractor.py").write_text(SLOW_EXTRACTOR, encoding="utf-8")
    (site / "slow_extractor-1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: slow-extractor\nVersion: 1\n", encoding="utf-8")
    (site / "slow_extractor-1.dist-info" / "entry_points.txt").write_text(
        "[pledgeflow.extractors]\nslow = slow_extractor:Slow\n", encoding="utf-8")
    (tmp_path / "page.html").write_bytes(PAGE)
    source = Source(id="parks", url="page.html", organisation="Test Party", council="Testshire",
                    kind="manifesto", title="Parks", period="2024", catalog_dir=str(tmp_path))
    close_shared_pool(kill=True)  # workers started before this test do not see the path
    monkeypatch.syspath_prepend(str(site))
    try:
        quick = stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                                extractors=("pledges",), parse_timeout=120)
        assert stages.process_source(source, quick).extracted is not None  # workers are up
        slow = stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                               extractors=("slow",), parse_timeout=10)
        with pytest.raises(stages.StageFailed) as failed:
            stages.process_source(source, slow)
    finally:
        close_shared_pool(kill=True)
    assert failed.value.stage == "extract"
    assert isinstance(failed.value.error, stages.ExtractTimeout)
    assert "stopped while extracting" in str(failed.value.error)


def wait_then_return(seconds: float, value: int) -> int:
    """Runs in a worker: an innocent call that is still running when another times out."""
    time.sleep(seconds)
    return value


@pytest.mark.slow  # kills a real pool while other calls run and wait in it
def test_calls_in_a_pool_killed_for_another_calls_timeout_run_again():
    from concurrent.futures import ThreadPoolExecutor

    pool = WorkerPool(workers=2)
    try:
        assert pool.run(ready, timeout=120)
        assert pool.run(ready, timeout=120)
        with ThreadPoolExecutor(4) as threads:
            hung = threads.submit(pool.run, step_then_wait, 0, timeout=3)
            time.sleep(0.5)  # the hung call has a worker; the next runs on the other
            running = threads.submit(pool.run, wait_then_return, 6, 1, timeout=60)
            time.sleep(0.5)
            queued = [threads.submit(pool.run, wait_then_return, 0.1, n, timeout=60)
                      for n in (2, 3)]  # wait behind the two: cancelled by the kill
            with pytest.raises(ParseTimeout):
                hung.result()
            # Each of these was killed or cancelled with the pool, and every caller that
            # saw it stopped the same pool (where shutting it down twice raised
            # AttributeError: "'NoneType' object has no attribute 'values'").
            assert [f.result() for f in [running, *queued]] == [1, 2, 3]
    finally:
        pool.reset(kill=True)


def test_a_call_queued_behind_a_slow_one_has_its_whole_time_limit():
    """The time limit runs from when a worker begins a call: one document waiting behind
    another's long parse (more documents in flight than workers) is not stopped for it."""
    from concurrent.futures import ThreadPoolExecutor

    pool = WorkerPool(workers=1)
    try:
        assert pool.run(ready, timeout=120)  # the worker is up
        with ThreadPoolExecutor(2) as threads:
            slow = threads.submit(pool.run, wait_then_return, 3, 1, timeout=60)
            time.sleep(0.5)  # the slow call holds the only worker
            queued = threads.submit(pool.run, wait_then_return, 0.1, 2, timeout=1.5)
            assert queued.result() == 2  # queued about 2.5 s, longer than its limit
            assert slow.result() == 1
        with pytest.raises(ParseTimeout):  # a call that runs too long is still stopped
            pool.run(wait_then_return, 5, 3, timeout=1)
    finally:
        pool.reset(kill=True)
