"""Crash consistency and concurrent runs, with real processes and the plain stage functions.

The runs here are child processes running ``run_stages`` below: the pipeline's stages
(fetch, parse, extract, load) without Prefect, in the flow's order, skipping what is
already current. Nothing in pledgeflow knows it is being tested: the child announces
each load on stdout, and the parent watches the database's ``-wal`` file to kill the
child with SIGKILL while a load's write transaction is spilling pages into it.

The corpus is the sample catalog plus one generated manifesto page with 3,000 pledges
(``bulk-pledges``, third in the catalog), whose load takes long enough (a few hundred
milliseconds, several MB of WAL) to be killed in the middle.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

# kills and races real runs
pytestmark = pytest.mark.slow

TESTS = Path(__file__).resolve().parent
BULK_ID = "bulk-pledges"
BULK_PLEDGES = 3000
# A pledge only the first version of one source makes, so the second version removes it.
EXTRA_PLEDGE = "We will open a new public library in every ward."
CHANGED_ID = "cwac-labour-families-first"
CHANGED_FILE = "html/cwac-labour-families-first.html"
BULK_ENTRY = f'''
[[sources]]
id = "{BULK_ID}"
url = "html/{BULK_ID}.html"
organisation = "Somewhere Independents"
council = "Somewhere"
kind = "manifesto"
title = "Homes in every ward"
period = "2025-2029"
'''


# --- the run a child process makes ------------------------------------------------------


def run_stages(catalog: str, db_path: str, raw_dir: str, processed_dir: str,
               before_load=None) -> dict[str, dict[str, int]]:
    """Fetch, parse, extract and load every source of a catalog, as the flow does; returns
    the counts of each document loaded, by source id."""
    from pledgeflow import stages
    from pledgeflow.catalog import load_catalog
    from pledgeflow.store import db as store
    from pledgeflow.store import load, matches

    settings = stages.Settings(raw_dir=Path(raw_dir), processed_dir=Path(processed_dir))
    sources = load_catalog(catalog)
    versions = stages.extractor_versions(settings)
    database = store.open_db(db_path)
    loaded = {}
    try:
        store.upsert_sources(database, sources)
        for source in sources:
            previous = store.previous_fetch(database, source.id)
            item = stages.fetch_source(source, settings, previous)
            if store.document_is_current(database, item.document_id, versions):
                continue
            extracted = stages.extract_parsed(stages.parse_fetched(item, settings), settings)
            if before_load is not None:
                before_load(database, source.id)
            loaded[source.id] = load.load_extracted(database, item, extracted)
        matches.rebuild(database)  # as a run does once its documents are in
    finally:
        database.close()
    return loaded


def main() -> None:
    """Child entry point: ``MODE CATALOG DB RAW_DIR PROCESSED_DIR``.

    ``plain`` runs straight through; ``barrier`` waits for a line on stdin before opening
    the database (so two children start together); ``gate`` checkpoints the WAL to empty,
    prints ``loading`` and waits for a line on stdin before loading the bulk document.
    """
    mode, *paths = sys.argv[1:]
    from pledgeflow.nlp import build_nlp

    build_nlp()  # warm up, so two children reach the database together
    print("ready", flush=True)
    if mode == "barrier":
        sys.stdin.readline()

    def gate(database, source_id: str) -> None:
        if mode == "gate" and source_id == BULK_ID:
            database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # A page cache of 64 pages spills the load into the WAL as it goes: with the
            # default 2 MB the WAL stays empty until half the ~4 MB load is written, and a
            # parent slowed by other work (CI runs four test workers on two cores) could
            # see the threshold only when the load was about to commit.
            database.execute("PRAGMA cache_size = 64")
            print("loading", flush=True)
            sys.stdin.readline()

    loaded = run_stages(*paths, before_load=gate)
    print("loaded " + json.dumps(loaded), flush=True)


class Child:
    """A child process running ``main``, in its own process group (so SIGKILL reaches any
    parser worker it started), with stdout read line by line in a thread."""

    def __init__(self, mode: str, catalog: Path, db: Path, raw: Path, processed: Path,
                 stderr: Path) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
        self.stderr_path = stderr
        self._stderr = stderr.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import test_crash_and_concurrency as t; t.main()", mode,
             str(catalog), str(db), str(raw), str(processed)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
            env=env, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")  # EOF

    def expect(self, prefix: str, timeout: float = 60) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {prefix!r} from the child in {timeout} s") from None
        assert line.startswith(prefix), f"expected {prefix!r}, got {line!r}:\n{self.stderr()}"
        return line

    def send(self, line: str = "go") -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 120) -> dict[str, dict[str, int]]:
        """Wait for a clean exit; the counts it loaded."""
        code = self.proc.wait(timeout=timeout)
        assert code == 0, f"child exited with {code}:\n{self.stderr()}"
        while not (line := self.lines.get(timeout=5)).startswith("loaded "):
            assert line, f"the child said nothing of what it loaded:\n{self.stderr()}"
        return json.loads(line.removeprefix("loaded "))

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self._stderr.close()


# --- fixtures ---------------------------------------------------------------------------


@dataclass
class Corpus:
    root: Path
    catalog: Path  # the sample catalog with the bulk page third
    samples: Path  # the sample catalog alone
    v1_catalog: Path  # only CHANGED_ID, in a first version with EXTRA_PLEDGE
    v2_catalog: Path  # only CHANGED_ID, as it is now


@dataclass
class Reference:
    """What one clean run of the corpus stores: rows per table for each document."""

    counts: dict[str, dict[str, int]]  # document id -> table -> rows
    documents: dict[str, str]  # source id -> document id
    processed: Path  # its saved parses


def bulk_html(n: int) -> str:
    items = "\n".join(f"<li>build {i + 10} new council homes in ward {i}</li>" for i in range(n))
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Homes in every ward"
            "</title></head><body><h1>Homes in every ward</h1><h2>Housing</h2>"
            f"<p>We will:</p><ul>\n{items}\n</ul></body></html>")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, samples_dir) -> Corpus:
    root = tmp_path_factory.mktemp("corpus")
    for folder in ("html", "pdf"):
        shutil.copytree(samples_dir / folder, root / folder)
    (root / "html" / f"{BULK_ID}.html").write_text(bulk_html(BULK_PLEDGES), encoding="utf-8")
    head, *entries = (samples_dir / "catalog.toml").read_text("utf-8").split("[[sources]]")
    entries = ["[[sources]]" + e for e in entries]
    catalog = root / "catalog.toml"
    catalog.write_text(head + "".join(entries[:2]) + BULK_ENTRY + "\n" + "".join(entries[2:]),
                       encoding="utf-8")
    shutil.copy(samples_dir / "catalog.toml", root / "samples.toml")
    # The first version of one page, in a folder of its own with a catalog of that source.
    v1 = root / "v1"
    (v1 / "html").mkdir(parents=True)
    page = (root / CHANGED_FILE).read_text("utf-8")
    content = '<div class="entry-content">'
    assert content in page
    (v1 / CHANGED_FILE).write_text(page.replace(content, f"{content}<p>{EXTRA_PLEDGE}</p>", 1),
                                   encoding="utf-8")
    changed = next(e for e in entries if f'id = "{CHANGED_ID}"' in e)
    (v1 / "catalog.toml").write_text(changed, encoding="utf-8")
    (root / "v2.toml").write_text(changed, encoding="utf-8")
    return Corpus(root, catalog, root / "samples.toml", v1 / "catalog.toml", root / "v2.toml")


def document_counts(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
    """Rows per table (blocks, records, child rows, changes) of every stored document."""
    tables = [t for (t,) in conn.execute("select name from sqlite_master where type = 'table'")
              if any(c[1] == "document_id" for c in conn.execute(f'pragma table_info("{t}")'))
              and t != "failures"]
    out: dict[str, dict[str, int]] = {}
    for (document_id,) in conn.execute("select id from documents"):
        counts = {t: conn.execute(f'select count(*) from "{t}" where document_id = ?',
                                  [document_id]).fetchone()[0] for t in tables}
        # no rows and no table are the same: a kind's table (outturns) may first appear at
        # its first load or at linking, which a killed run had not reached
        out[document_id] = {t: n for t, n in counts.items() if n}
    return out


def assert_consistent(db_path: Path) -> dict[str, dict[str, int]]:
    """integrity_check, foreign_key_check and the FTS indexes pass; rows per document."""
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("pragma integrity_check").fetchall() == [("ok",)]
        assert conn.execute("pragma foreign_key_check").fetchall() == []
        for fts in ("blocks_fts", "pledges_fts"):
            conn.execute(f"insert into {fts}({fts}) values('integrity-check')")
        return document_counts(conn)
    finally:
        conn.rollback()
        conn.close()


@pytest.fixture(scope="session")
def reference(corpus, tmp_path_factory) -> Reference:
    root = tmp_path_factory.mktemp("reference")
    loaded = run_stages(str(corpus.catalog), str(root / "pledgeflow.db"), str(root / "raw"),
                        str(root / "processed"))
    conn = sqlite3.connect(root / "pledgeflow.db")
    documents = dict(conn.execute("select source_id, document_id from source_documents"))
    conn.close()
    counts = assert_consistent(root / "pledgeflow.db")
    assert set(loaded) == set(documents) and len(documents) == 8  # 7 samples, 1 bulk
    assert counts[documents[BULK_ID]]["pledges"] == BULK_PLEDGES
    return Reference(counts, documents, root / "processed")


# --- crash consistency ------------------------------------------------------------------


@pytest.mark.parametrize("attempt", range(5))
def test_sigkill_during_a_load_leaves_whole_documents_and_the_next_run_finishes(
        attempt, corpus, reference, tmp_path):
    from pledgeflow.store.doctor import diagnose

    db_path, raw, processed = tmp_path / "pledgeflow.db", tmp_path / "raw", tmp_path / "processed"
    wal = Path(f"{db_path}-wal")
    # The saved parses make the child go straight to extraction; the kill is in the load.
    shutil.copytree(reference.processed, processed)
    # Kill once the load has written between 16 KB and 1 MB of its ~4 MB into the WAL.
    threshold = random.Random(attempt).randint(16 * 1024, 1024 * 1024)
    child = Child("gate", corpus.catalog, db_path, raw, processed, tmp_path / "killed.txt")
    try:
        child.expect("ready")
        child.expect("loading")
        assert wal.stat().st_size == 0
        child.send()
        deadline = time.monotonic() + 60
        while (written := wal.stat().st_size) < threshold:
            assert child.proc.poll() is None, f"the load finished first:\n{child.stderr()}"
            assert time.monotonic() < deadline, "the load wrote nothing to the WAL"
        child.kill()
    finally:
        child.close()
    assert child.proc.returncode == -signal.SIGKILL
    assert written >= threshold

    # What the killed run left: whole documents, and not the one it was loading.
    stored = assert_consistent(db_path)
    assert reference.documents[BULK_ID] not in stored, "the kill came after the commit"
    assert stored, "the documents before the bulk one were committed"
    for document_id, counts in stored.items():
        assert counts == reference.counts[document_id]
    # A run killed before matching leaves matches behind the records (the next run
    # rebuilds them); apart from that, only the bulk page's raw file, unused.
    problems = [p for p in diagnose(db_path, raw) if p.what != "matches missing"]
    assert [p.severity for p in problems] == ["warning"]
    assert "raw file" in problems[0].what and reference.documents[BULK_ID] in problems[0].detail

    # The next run (here in the test's process) loads what is missing, skips what was
    # committed, and ends complete.
    loaded = run_stages(str(corpus.catalog), str(db_path), str(raw), str(processed))
    committed = {s for s, d in reference.documents.items() if d in stored}
    assert set(loaded) == set(reference.documents) - committed
    assert assert_consistent(db_path) == reference.counts
    assert diagnose(db_path, raw) == []


# --- concurrent runs --------------------------------------------------------------------


def two_runs_at_once(catalog: Path, db_path: Path, tmp_path: Path) -> list[Child]:
    children = [Child("barrier", catalog, db_path, tmp_path / "raw", tmp_path / "processed",
                      tmp_path / f"stderr-{n}.txt") for n in (1, 2)]
    for child in children:
        child.expect("ready")
    for child in children:
        child.send()
    return children


def finish_cleanly(children) -> list:
    """Wait for runs started together; each must end without a lock error or traceback.
    Returns what each loaded."""
    try:
        loaded = [child.finish() for child in children]
        errors = [child.stderr() for child in children]
    finally:
        for child in children:
            child.close()
    for text in errors:
        assert "database is locked" not in text and "Traceback" not in text, text
    return loaded


@pytest.mark.parametrize("attempt", range(5))
def test_two_runs_at_once_on_one_database_lose_nothing(attempt, corpus, reference, tmp_path):
    db_path = tmp_path / "pledgeflow.db"
    loaded = finish_cleanly(two_runs_at_once(corpus.samples, db_path, tmp_path))
    # Between them the two runs loaded every document (a document both loaded is replaced
    # by the second load, with the same rows).
    expected = {s: d for s, d in reference.documents.items() if s != BULK_ID}
    assert set(loaded[0]) | set(loaded[1]) == set(expected)
    assert assert_consistent(db_path) == {d: reference.counts[d] for d in expected.values()}
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("select source_id, count(*) from source_documents "
                            "where current = 1 group by source_id, part_url "
                            "having count(*) > 1").fetchall() == []
        assert dict(conn.execute("select source_id, document_id from source_documents "
                                 "where current = 1")
                    ) == expected
        assert conn.execute("select count(*) from changes").fetchone()[0] == 0
    finally:
        conn.close()


def _open_each(paths: list[Path], barrier, errors) -> None:
    from pledgeflow.store.db import open_db

    for path in paths:
        barrier.wait(timeout=60)
        try:
            open_db(path).close()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.put(f"{path.name}: {type(exc).__name__}: {exc}")


def test_processes_creating_one_new_database_at_once_all_succeed(tmp_path):
    """Four processes open each of 20 new databases at the same instant: WAL switch and
    schema creation take turns (before, about half of such opens failed)."""
    context = multiprocessing.get_context("spawn")
    paths = [tmp_path / f"new-{n}.db" for n in range(20)]
    barrier, errors = context.Barrier(4), context.Queue()
    workers = [context.Process(target=_open_each, args=(paths, barrier, errors))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    alone = tmp_path / "alone.db"
    from pledgeflow.store.db import open_db

    open_db(alone).close()
    schema = "select type, name from sqlite_master order by type, name"
    expected = sqlite3.connect(alone).execute(schema).fetchall()
    for path in paths:
        assert assert_consistent(path) == {}
        assert sqlite3.connect(path).execute(schema).fetchall() == expected


def test_two_runs_loading_the_same_new_version_make_one_version(corpus, tmp_path):
    """Both runs find the source's new version; one version 2, its changes listed once."""
    db_path = tmp_path / "pledgeflow.db"
    first = Child("plain", corpus.v1_catalog, db_path, tmp_path / "raw", tmp_path / "processed",
                  tmp_path / "v1.txt")
    try:
        assert list(first.finish()) == [CHANGED_ID]
    finally:
        first.close()
    loaded = finish_cleanly(two_runs_at_once(corpus.v2_catalog, db_path, tmp_path))
    assert CHANGED_ID in set(loaded[0]) | set(loaded[1])
    assert_consistent(db_path)
    conn = sqlite3.connect(db_path)
    try:
        versions = conn.execute("select version, current from source_documents where source_id = ? "
                                "order by version", [CHANGED_ID]).fetchall()
        assert versions == [(1, 0), (2, 1)]
        changes = conn.execute("select kind, change, text from changes").fetchall()
        assert changes == [("pledges", "removed", EXTRA_PLEDGE)]
    finally:
        conn.close()


@pytest.mark.skipif(not os.environ.get("PLEDGEFLOW_SLOW_TESTS"),
                    reason="about 30 s: set PLEDGEFLOW_SLOW_TESTS=1 to run it")
def test_two_pledgeflow_run_commands_at_once(corpus, reference, tmp_path):
    """The same through the CLI and Prefect: each run starts its own temporary Prefect
    server, both on one PREFECT_HOME."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    pledgeflow = Path(sys.executable).with_name("pledgeflow")
    args = [str(pledgeflow), "run", "--sources", str(corpus.samples), "--db",
            str(tmp_path / "pledgeflow.db"), "--raw-dir", str(tmp_path / "raw"),
            "--processed-dir", str(tmp_path / "processed")]
    runs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert "database is locked" not in err and "0 failed" in out, err
    expected = {s: d for s, d in reference.documents.items() if s != BULK_ID}
    assert assert_consistent(tmp_path / "pledgeflow.db") == {
        d: reference.counts[d] for d in expected.values()}
