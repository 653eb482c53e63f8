"""Parse (and extract) documents in worker processes, each bounded in time and memory.

A hostile or broken document (a decompression bomb, a pathological PDF) must not hang
or exhaust the pipeline. The CPU-bound work on a document runs in a pool of worker
processes, one per core: each has an address-space limit (so a runaway parse fails with
MemoryError instead of taking the machine down), each document has a time limit (past it
the pool is killed and rebuilt, and the document fails with a timeout at the step it had
reached: parse or extract), and the workers
are replaced after a number of documents so memory cannot creep. Every core works while the
flow's threads wait on the network or on the pool. Workers end with the process that
started them, however it ends (``lifeline.py``).
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import multiprocessing.util
import os
import queue
import signal
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from pledgeflow.defaults import PARSE_TIMEOUT
from pledgeflow.lifeline import tie_to_parent
from pledgeflow.parse import ParseError, ParseTimeout

T = TypeVar("T")

DEFAULT_MEMORY = 2 * 1024**3  # bytes of address space per worker
# A worker costs ~1 s of CPU to start (imports, spaCy, extractor patterns): recycle often
# enough to bound memory creep, rarely enough that start-up stays a small share of the
# work. Measured in one worker: 115 -> 118 MB over 500 web pages, then 180-210 MB with no
# upward trend over 120 generated plans; at 200 per worker, restarts cost a tenth of the
# benchmark's web-page run.
DOCUMENTS_PER_WORKER = 1000
# How often a call may run again when its pool was killed for another call's timeout: a
# batch of documents that each hang could otherwise keep the others from ever finishing.
RERUNS = 3


def _limit_memory(limit: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass  # not on this platform: the time limit still applies


# How far each call in flight has got, as a worker says (``reached``): one slot per call,
# shared with the workers, so that when a call is stopped its caller knows which step was
# running (a document's parse, or its extraction). More slots than calls are ever in
# flight (the flow's threads), so a slot is never reused while its call runs.
SLOTS = 1024
_steps = None  # in a worker: the pool's shared slots
_began = None  # in a worker: when each slot's call began (time.time()), 0 before
_slot = 0  # in a worker: the slot of the call it is running
# A document's time limit runs from when a worker begins it: time spent queued behind
# other documents, or while a new pool starts, is not the document's. A call no worker
# begins within this many time limits (a pool that never starts) is stopped all the same.
QUEUED_LIMITS = 10
# How often a caller looks whether its call has begun
BEGUN_POLL = 0.25


def reached(step: int) -> None:
    """In a worker: the call it is running has reached ``step`` (a small number the
    caller gives meaning to, 0 at the start); the caller's timeout reports it."""
    if _steps is not None:
        _steps[_slot] = step


def _start_worker(limit: int, parent_pid: int, steps=None, began=None) -> None:
    global _steps, _began
    _steps, _began = steps, began
    tie_to_parent(parent_pid)  # a killed run takes its workers with it
    # Ctrl-C in a terminal reaches the workers too: the run decides when they stop (it
    # kills them), rather than each printing a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(limit)


_spawn_jobs: queue.SimpleQueue | None = None
_spawn_lock = threading.Lock()


def _spawner(jobs: queue.SimpleQueue) -> None:
    while True:
        call, done = jobs.get()
        try:
            done.set_result(call())
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            done.set_exception(exc)


def _forget_spawner() -> None:
    global _spawn_jobs
    _spawn_jobs = None  # a forked child has the queue but not the thread: start anew


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_spawner)


def _on_spawner(call: Callable[[], T]) -> T:
    """``call()`` on the spawner thread, which lives as long as the process.

    ProcessPoolExecutor starts a worker in the thread that submits to it, and on Linux a
    worker is killed when the thread that started it ends (lifeline.py): started from a
    flow's task thread, it would die with that thread. So every submission goes through
    this one thread."""
    global _spawn_jobs
    with _spawn_lock:
        if _spawn_jobs is None:
            _spawn_jobs = queue.SimpleQueue()
            threading.Thread(target=_spawner, args=(_spawn_jobs,), name="pledgeflow-spawner",
                             daemon=True).start()
    done: Future = Future()
    _spawn_jobs.put((call, done))
    return done.result()


_frozen = False


def _call(fn: Callable[..., T], args: tuple, slot: int = 0) -> T:
    global _frozen, _slot
    _slot = slot
    if _began is not None:
        _began[slot] = time.time()
    reached(0)
    try:
        return fn(*args)
    except MemoryError:
        raise ParseError("parsing needed more memory than a document may use") from None
    finally:
        if not _frozen:
            # After the first document the worker holds what it keeps for life (spaCy,
            # the extractors' patterns): out of the collector's sight, its collections
            # scan only what a document makes, not that whole heap every time.
            _frozen = True
            gc.collect()
            gc.freeze()


class WorkerPool:
    """A pool of worker processes for a document's CPU-bound work (its parse and its
    extraction, ``stages.parse_and_extract``), created on first use, replaced as a whole
    after ``documents_per_worker`` documents per worker, and rebuilt after a timeout.

    Recycling is done here, not with ProcessPoolExecutor's ``max_tasks_per_child``: on
    Python 3.11 and 3.12 a worker that exits on that count is not always replaced (the
    executor counts it as idle), and once every worker has gone the pool waits forever
    with documents queued. Retiring the whole pool lets its running documents finish
    while a fresh pool takes the next ones."""

    def __init__(self, workers: int | None = None, memory: int = DEFAULT_MEMORY,
                 documents_per_worker: int = DOCUMENTS_PER_WORKER) -> None:
        self.workers = workers or max(1, os.cpu_count() or 1)
        self.memory = memory
        self.documents_per_worker = documents_per_worker
        self._pool: ProcessPoolExecutor | None = None
        self._submitted = 0  # documents given to the current pool
        self._lock = threading.Lock()
        # Shared with every worker this pool starts; written without a lock, as each slot
        # has one writer (the worker running its call) and is read once that call is over.
        self._steps = multiprocessing.get_context("spawn").RawArray("b", SLOTS)
        self._began = multiprocessing.get_context("spawn").RawArray("d", SLOTS)
        self._slots = itertools.count()
        # Pools killed because one call ran out of time: the other calls they held were
        # innocent, and run again on the next pool.
        self._timed_out: weakref.WeakSet[ProcessPoolExecutor] = weakref.WeakSet()

    def _submit(self, fn: Callable[..., T], args: tuple, slot: int):
        return _on_spawner(lambda: self._submit_here(fn, args, slot))

    def _submit_here(self, fn: Callable[..., T], args: tuple, slot: int):
        with self._lock:
            if self._pool is not None and \
                    self._submitted >= self.workers * self.documents_per_worker:
                self._pool.shutdown(wait=False)  # its documents finish, then it exits
                self._pool = None
            if self._pool is None:
                # spawn: the flow process has threads, and forking those is unsafe
                self._pool = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker, initargs=(self.memory, os.getpid(),
                                                         self._steps, self._began))
                self._submitted = 0
            self._submitted += 1
            self._steps[slot] = 0
            self._began[slot] = 0.0
            return self._pool, self._pool.submit(_call, fn, args, slot)

    def run(self, fn: Callable[..., T], *args, timeout: float = PARSE_TIMEOUT) -> T:
        """``fn(*args)`` in a worker; ``fn`` must be importable by name (a module function).
        Past ``timeout`` the worker is killed and ParseTimeout raised, its ``reached`` the
        last step ``fn`` said it had reached (``reached``).

        The time limit runs from when a worker begins the call (``_result``), not while
        it waits behind other calls. Killing a worker kills its pool, and with it the other
        calls running or queued there: those run again on the next pool, with their time
        limit anew, rather than failing for another document's fault."""
        slot = next(self._slots) % SLOTS
        attempt = 0
        while True:
            pool, future = self._submit(fn, args, slot)
            try:
                return self._result(future, slot, timeout)
            except FutureTimeout:
                self._timed_out.add(pool)
                self._stop(pool, kill=True)
                stopped = ParseTimeout(f"parsing took longer than {timeout:g} s and was stopped")
                stopped.reached = self._steps[slot]
                raise stopped from None
            except (BrokenProcessPool, CancelledError):
                if pool in self._timed_out and attempt < RERUNS:
                    attempt += 1
                    continue
                self._stop(pool, kill=True)
                raise ParseError("the parser process died (out of memory or crashed)") from None

    def _result(self, future: Future, slot: int, timeout: float):
        """The call's result, waiting at most ``timeout`` from when a worker began it
        (FutureTimeout past that), or ``QUEUED_LIMITS`` time limits for one to begin it."""
        queued_until = time.monotonic() + QUEUED_LIMITS * timeout
        while True:
            began = self._began[slot]
            if began:
                return future.result(timeout=max(began + timeout - time.time(), 0.0))
            if time.monotonic() >= queued_until:
                raise FutureTimeout
            try:
                return future.result(timeout=min(BEGUN_POLL, timeout))
            except FutureTimeout:
                continue

    def reset(self, kill: bool = False) -> None:
        """Stop the workers (killing them when a parse hangs); the next parse starts anew."""
        with self._lock:
            pool = self._pool
        if pool is not None:
            self._stop(pool, kill)

    def _stop(self, pool: ProcessPoolExecutor, kill: bool = False) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        if kill:
            # None once another caller has shut this pool down: its workers are gone
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.kill()  # a hung parse never returns to be cancelled
        pool.shutdown(wait=not kill, cancel_futures=True)


_shared: WorkerPool | None = None


def shared_pool() -> WorkerPool:
    global _shared
    if _shared is None:
        _shared = WorkerPool()
    return _shared


def close_shared_pool(kill: bool = False) -> None:
    """Stop the shared pool's workers and wait for them to exit; the next parse starts anew.
    ``kill`` kills them instead of letting their documents finish (a run that stops).

    A flow calls this when it ends: its workers are its own children, and a process
    started by ``multiprocessing`` (as Prefect's runner starts a served flow run) joins
    every live child before it may exit, so workers left running keep the flow-run process
    alive for ever, and a served schedule skips every later run as "at capacity"."""
    global _shared
    pool, _shared = _shared, None
    if pool is not None:
        pool.reset(kill)


# The same at interpreter exit, for callers that never close it: multiprocessing runs its
# finalizers before it joins the children, so this comes first and the join returns.
multiprocessing.util.Finalize(None, close_shared_pool, exitpriority=10)
