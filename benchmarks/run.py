"""End-to-end throughput, stage shares, orchestration overhead, memory and re-run cost, in
one run on the generated benchmark corpus (benchmarks/corpus.py) served on 127.0.0.1.

For each half of the corpus (HTML, then PDF), on fresh folders and databases each time:

1. a plain loop: the stage functions (``stages.process_batch`` on a thread pool feeding
   the worker processes, ``load.load_all`` in the main thread), no Prefect;
2. the Prefect flow (``pipeline``) on the same documents, after a warm-up run so the
   temporary Prefect server's start-up is not counted. The server is the one
   ``pledgeflow run`` starts (``flows.tempserver``), with its settings: no heartbeats,
   whose thread would add 0-1 s to each flow run whatever its size.

Then an unchanged re-run of the whole corpus through the flow (conditional fetches).
Reported: documents/s and pages/s end to end (fetch to load) per half and overall; each
stage's share of the work (summed per-document stage times from the plain loop); the
orchestration overhead (flow wall time / plain-loop wall time); peak RSS of the pipeline's
processes (this process and its parse workers) and of the Prefect server apart; the
unchanged re-run ratio. Writes JSON (``--json``) and prints a summary.

    .venv/bin/python benchmarks/run.py [--n 1000] [--seed 0] [--json benchmarks/results.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import logging
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def _corpus_module():
    spec = importlib.util.spec_from_file_location("bench_corpus", HERE / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


class PeakMemory:
    """Samples the RSS of this process tree every 50 ms: the pipeline's processes (in
    total, and this flow process and the largest worker apart), and the Prefect server (a
    child running uvicorn) on its own, since a deployment may run it elsewhere."""

    def __init__(self) -> None:
        self.pipeline = 0
        self.server = 0
        self.flow_process = 0
        self.worker = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        me = psutil.Process()
        roles: dict[int, tuple[psutil.Process, str]] = {}
        for tick in itertools.count():
            if self._stop.wait(0.05):
                return
            if tick % 10 == 0:
                # The tree changes rarely (a new parse pool), and listing it reads every
                # process in /proc: every 0.5 s, so the sampler takes little of the CPU
                # it measures. Each process's role is read once.
                for proc in [me, *me.children(recursive=True)]:
                    if proc.pid not in roles:
                        roles[proc.pid] = (proc, self._role(proc, me))
            pipeline, server = 0, 0
            for pid, (proc, role) in list(roles.items()):
                try:
                    rss = proc.memory_info().rss
                except psutil.Error:
                    del roles[pid]  # it has ended
                    continue
                if role == "server":
                    server += rss
                elif role != "other":
                    pipeline += rss
                    if role == "flow":
                        self.flow_process = max(self.flow_process, rss)
                    else:
                        self.worker = max(self.worker, rss)
            self.pipeline = max(self.pipeline, pipeline)
            self.server = max(self.server, server)

    @staticmethod
    def _role(proc: psutil.Process, me: psutil.Process) -> str:
        if proc.pid == me.pid:
            return "flow"
        try:
            command = " ".join(proc.cmdline())
        except psutil.Error:
            return "other"
        if "corpus.py" in command:
            return "other"  # the benchmark's web server stands for the councils' sites
        return "server" if "uvicorn" in command else "worker"

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def plain_loop(catalog: Path, ids: list[str], folder: Path) -> dict:
    """The flow's work without Prefect: the same stage functions, run ledger and loading
    (``pledgeflow.store.load``), the same threads, worker processes and window of documents in
    flight, one writer."""
    from pledgeflow import stages
    from pledgeflow.catalog import load_catalog, select
    from pledgeflow.flows.pipeline import (
        DEFAULT_IN_FLIGHT,
        DEFAULT_THREADS,
        PAGES_PER_TASK,
        in_batches,
    )
    from pledgeflow.store import db as store
    from pledgeflow.store import load
    from pledgeflow.store.ledger import RunLedger

    settings = stages.Settings(raw_dir=folder / "raw", processed_dir=folder / "processed")
    sources = select(load_catalog(catalog), only=ids)
    started = time.perf_counter()
    database = store.open_db(folder / "pf.db")
    store.upsert_sources(database, sources)
    ledger = RunLedger(database, catalog=str(catalog), sources=len(sources), settings=settings,
                       logger=logging.getLogger("plain-loop"))
    jobs = ledger.order([stages.Job(s, ledger.previous(s.id, None)) for s in sources])
    with ThreadPoolExecutor(DEFAULT_THREADS) as pool:
        def submit(batch):
            return pool.submit(stages.process_batch, batch, settings, PAGES_PER_TASK)

        load.load_all(ledger, in_batches(jobs), submit, DEFAULT_IN_FLIGHT)
    stage = dict(ledger.seconds)
    t = time.perf_counter()
    summary = load.finish(ledger)
    stage["finish"] = time.perf_counter() - t  # load.finish: retirements, last matching
    database.close()
    return {"seconds": time.perf_counter() - started, "stage_seconds": stage,
            "failed": summary["failed"]}


def flow_run(catalog: Path, ids: list[str] | None, folder: Path) -> dict:
    from pledgeflow.flows.pipeline import pipeline

    started = time.perf_counter()
    summary = pipeline(sources=str(catalog), db=str(folder / "pf.db"),
                       raw_dir=str(folder / "raw"), processed_dir=str(folder / "processed"),
                       only=ids)
    return {"seconds": time.perf_counter() - started, "summary": summary}


@contextmanager
def serve_apart(folder: Path, n: int, seed: int) -> Iterator[Path]:
    """Serve the corpus from a process of its own, as a remote site would be: a server
    thread in this process would take the GIL from the pipeline it is measuring."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, str(HERE / "corpus.py"), "--out", str(folder), "--n", str(n),
         "--seed", str(seed), "--serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    catalog = folder / "catalog.toml"
    try:
        # Ready once the catalog names this server's port (it is written before the
        # server answers; an older run's catalog may still be there until then).
        for _ in range(600):
            try:
                ready = f"127.0.0.1:{port}" in catalog.read_text(encoding="utf-8")
            except OSError:
                ready = False
            if ready:
                break
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode())
            time.sleep(0.1)
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        yield catalog
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="documents in the corpus")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed")
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus",
                        help="corpus folder (generated there if missing or different)")
    parser.add_argument("--json", type=Path, default=HERE / "results.json",
                        help="where to write the results")
    parser.add_argument("--only", choices=["html", "pdf"],
                        help="measure one half only (a quick look; the README's figures "
                             "come from both)")
    args = parser.parse_args()
    args.halves = [args.only] if args.only else ["html", "pdf"]
    corpus = _corpus_module()
    manifest = corpus.generate(args.corpus, n=args.n, seed=args.seed)
    print(f"corpus: {manifest.totals}", flush=True)
    halves = {"html": [], "pdf": []}
    pages = {"html": 0, "pdf": 0}
    for doc in manifest.documents:
        half = "pdf" if doc["media_type"] == "application/pdf" else "html"
        halves[half].append(doc)
        pages[half] += doc.get("pages") or 1
    result: dict = {"corpus": {**manifest.totals, "seed": args.seed}, "halves": {}}
    from pledgeflow.catalog import load_catalog
    from pledgeflow.flows.tempserver import temporary_server

    with serve_apart(args.corpus, args.n, args.seed) as catalog, \
            tempfile.TemporaryDirectory() as tmp, PeakMemory() as memory, \
            temporary_server(Path(tmp) / "state"):
        tmp = Path(tmp)

        by_path = {s.url.rsplit("/", 1)[-1]: s.id for s in load_catalog(catalog)}
        ids = {half: [by_path[d["path"].rsplit("/", 1)[-1]] for d in docs]
               for half, docs in halves.items()}
        # Warm-up: starts the temporary Prefect server and the parse workers.
        flow_run(catalog, ids[args.halves[0]][:2], tmp / "warm")
        for half in args.halves:
            print(f"{half}: plain loop over {len(ids[half])} documents ...", flush=True)
            plain = plain_loop(catalog, ids[half], tmp / f"plain-{half}")
            print(f"{half}: {plain['seconds']:.1f} s; now the flow ...", flush=True)
            flow = flow_run(catalog, ids[half], tmp / f"flow-{half}")
            n_docs = len(ids[half])
            result["halves"][half] = {
                "documents": n_docs, "pages": pages[half],
                "plain_seconds": round(plain["seconds"], 2),
                "flow_seconds": round(flow["seconds"], 2),
                "docs_per_s": round(n_docs / flow["seconds"], 1),
                "pages_per_s": round(pages[half] / flow["seconds"], 1),
                "overhead": round(flow["seconds"] / plain["seconds"], 3),
                "stage_seconds": {k: round(v, 2) for k, v in plain["stage_seconds"].items()},
                "failed": {"plain": plain["failed"], "flow": flow["summary"]["failed"]},
                "records": flow["summary"]["totals"],
            }
            print(f"{half}: flow {flow['seconds']:.1f} s", flush=True)
        # The unchanged re-run: both halves' flow folders hold what a first run leaves.
        rerun = {}
        for half in args.halves:
            rerun[half] = flow_run(catalog, ids[half], tmp / f"flow-{half}")
    halves_out = result["halves"]
    total_docs = sum(h["documents"] for h in halves_out.values())
    total_pages = sum(h["pages"] for h in halves_out.values())
    flow_s = sum(h["flow_seconds"] for h in halves_out.values())
    plain_s = sum(h["plain_seconds"] for h in halves_out.values())
    stage_total = {}
    for h in halves_out.values():
        for k, v in h["stage_seconds"].items():
            stage_total[k] = stage_total.get(k, 0.0) + v
    work = sum(stage_total.values())
    rerun_s = sum(r["seconds"] for r in rerun.values())
    result.update({
        "docs_per_s": round(total_docs / flow_s, 1),
        "pages_per_s": round(total_pages / flow_s, 1),
        "overhead": round(flow_s / plain_s, 3),
        "stage_share": {k: round(v / work, 3) for k, v in stage_total.items()},
        "peak_rss_mb": {"pipeline": round(memory.pipeline / 2**20),
                        "flow_process": round(memory.flow_process / 2**20),
                        "largest_worker": round(memory.worker / 2**20),
                        "prefect_server": round(memory.server / 2**20)},
        "rerun": {"seconds": round(rerun_s, 2), "ratio": round(rerun_s / flow_s, 3),
                  "not_modified": sum(r["summary"]["not_modified"] for r in rerun.values()),
                  "parsed": sum(r["summary"]["parsed"] for r in rerun.values())},
        "machine": {"arch": platform.machine(), "cores": os.cpu_count(),
                    "memory_gb": round(psutil.virtual_memory().total / 2**30),
                    "python": platform.python_version()},
    })
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for half, h in halves_out.items():
        print(f"{half:>4}: {h['documents']} docs, {h['pages']} pages in {h['flow_seconds']} s: "
              f"{h['docs_per_s']} docs/s, {h['pages_per_s']} pages/s; overhead "
              f"{h['overhead']} (plain loop {h['plain_seconds']} s)")
    print(f"all: {result['docs_per_s']} docs/s, {result['pages_per_s']} pages/s, overhead "
          f"{result['overhead']}; stage shares {result['stage_share']}")
    print(f"peak RSS: pipeline {result['peak_rss_mb']['pipeline']} MB (flow process "
          f"{result['peak_rss_mb']['flow_process']}, largest worker "
          f"{result['peak_rss_mb']['largest_worker']}), Prefect server "
          f"{result['peak_rss_mb']['prefect_server']} MB; unchanged re-run ratio "
          f"{result['rerun']['ratio']} ({result['rerun']['not_modified']} not modified)")
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()
