"""No orphans: whatever stops a pledgeflow process, the processes it started go with it.

Real processes throughout. Each pledgeflow process under test gets a tag in its
environment, which every process it starts inherits (the temporary Prefect server, the
parse workers, multiprocessing's resource tracker, Datasette), so what is left after a
kill is found by walking the process table for the tag, whoever its parent is by then.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from conftest import write_catalog

from pledgeflow.flows.serving import QUIET_ENV

# kills real runs, servers and workers and lists what is left
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(os.name != "posix", reason="POSIX signals and processes")]

PLEDGEFLOW = str(Path(sys.executable).with_name("pledgeflow"))
TAG = "PLEDGEFLOW_TEST_TAG"
WAIT = 120.0  # seconds to wait for something to happen before giving up (a busy machine)


def tagged(tag: str) -> list[psutil.Process]:
    """Live processes (not zombies) whose environment carries ``tag``."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(TAG) == tag and \
                    process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:  # gone meanwhile, or another user's
            continue
    return found


def describe(processes: list[psutil.Process]) -> list[str]:
    out = []
    for process in processes:
        try:
            out.append(f"{process.pid} (parent {process.ppid()}): "
                       + " ".join(process.cmdline())[:160])
        except psutil.Error:
            continue
    return out


def wait_until(condition: Callable[[], object], what: str, process=None) -> object:
    """Poll ``condition`` until it is true; fail if ``process`` exits first or after WAIT s."""
    deadline = time.monotonic() + WAIT
    while True:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"exited with {process.returncode} before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {WAIT:.0f} s")
        time.sleep(0.2)


def left_over(tag: str) -> list[str]:
    """What still runs with ``tag`` once every process has had the time to notice its
    parent is gone (a worker still importing when it happened notices when it is done)."""
    deadline = time.monotonic() + WAIT
    while tagged(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = tagged(tag)
    for process in leftovers:  # leave nothing behind for the next test
        process.kill()
    return describe(leftovers)


def environment(tag: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PREFECT_API_URL", "PREFECT_HOME"}}
    env.update(QUIET_ENV)
    env.update({TAG: tag, "PREFECT_LOGGING_LEVEL": "INFO", **extra})
    return env


def command_line(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


# -- the lifeline itself


PARENT = textwrap.dedent("""
    import subprocess, sys, time
    from pledgeflow import lifeline
    child = subprocess.Popen(lifeline.command("http.server", ["0", "--bind", "127.0.0.1"]),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(child.pid, flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("mechanism", ["prctl", "watch"])
def test_a_tied_child_ends_when_its_parent_is_killed(mechanism):
    """``prctl``: the kernel's parent-death signal (Linux); ``watch``: the fallback thread
    that other platforms use, forced here with PLEDGEFLOW_LIFELINE=watch."""
    if mechanism == "prctl" and not sys.platform.startswith("linux"):
        pytest.skip("prctl is Linux's")
    tag = uuid.uuid4().hex
    extra = {"PLEDGEFLOW_LIFELINE": "watch"} if mechanism == "watch" else {}
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE,
                              text=True, env=environment(tag, **extra))
    child = psutil.Process(int(parent.stdout.readline()))
    wait_until(lambda: "http.server" in command_line(child), "child running")
    parent.kill()
    parent.wait()
    assert left_over(tag) == []


POOL_USER = textwrap.dedent("""
    import os, sys, threading, time
    from pledgeflow.isolate import WorkerPool

    if __name__ == "__main__":
        pool = WorkerPool(workers=1)
        pids = []
        # the first document from a thread that then ends: on Linux a child's
        # parent-death signal fires when the thread that started it ends
        thread = threading.Thread(target=lambda: pids.append(pool.run(os.getpid)))
        thread.start()
        thread.join()
        pids.append(pool.run(os.getpid))
        print(*pids, flush=True)
        time.sleep(600)
""")


def test_parse_workers_outlive_the_thread_that_started_them_but_not_the_process(tmp_path):
    tag = uuid.uuid4().hex
    script = tmp_path / "pool_user.py"
    script.write_text(POOL_USER, encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              env=environment(tag))
    first, second = parent.stdout.readline().split()
    assert first == second  # the same worker, alive after its starting thread ended
    parent.kill()
    parent.wait()
    assert left_over(tag) == []


# -- pledgeflow run


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory) -> Path:
    """One state folder for the kill tests: its temporary server's database is made once."""
    return tmp_path_factory.mktemp("state")


def mid_run_catalog(folder: Path, samples_dir: Path, http_server) -> Path:
    """Two documents that load at once (so the parse workers are up) and four that the
    server holds back for minutes (so the run is still going when it is killed)."""
    urls = {}
    for name in ("cwac-labour-opportunity.html", "bnes-libdem-children.html"):
        shutil.copy(samples_dir / "html" / name, folder / name)
        urls[name.split(".")[0]] = name
    for i in range(4):
        path = f"/orphans/{folder.name}/held-{i}.html"
        http_server.route(path, body=b"<html><body><p>late</p></body></html>",
                          headers={"Content-Type": "text/html"}, delay=600)
        urls[f"held-{i}"] = http_server.url(path)
    return write_catalog(folder / "catalog.toml", urls)


def loaded_documents(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("select count(*) from documents").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


def start_run_and_wait_for_mid_run(tmp_path: Path, catalog: Path, state: Path, tag: str,
                                   options: tuple[str, ...] = ()) -> tuple[subprocess.Popen, Path]:
    db = tmp_path / "pf.db"
    log = (tmp_path / "run.log").open("wb")
    run = subprocess.Popen(
        [PLEDGEFLOW, "run", "--sources", str(catalog), "--db", str(db), "--raw-dir",
         str(tmp_path / "raw"), "--processed-dir", str(tmp_path / "processed"),
         "--state-dir", str(state), *options],
        env=environment(tag), cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    wait_until(lambda: loaded_documents(db) >= 2, "two documents loaded", run)
    commands = [command_line(p) for p in tagged(tag)]
    assert any("pledgeflow.lifeline" in c and "uvicorn" in c for c in commands), commands
    assert any("spawn_main" in c for c in commands), commands  # a parse or Dask worker
    return run, db


@pytest.mark.parametrize("signum, group", [
    (signal.SIGKILL, False),
    pytest.param(signal.SIGTERM, False, marks=pytest.mark.slow),
    pytest.param(signal.SIGINT, False, marks=pytest.mark.slow),
    pytest.param(signal.SIGINT, True, marks=pytest.mark.slow, id="ctrl-c-in-a-terminal"),
])
def test_a_run_stopped_mid_run_leaves_no_process_behind(signum, group, tmp_path, state_dir,
                                                        samples_dir, http_server):
    """The temporary Prefect server, both parse workers and multiprocessing's resource
    tracker all end with the run; SIGTERM and SIGINT stop it cleanly (128 + signal), and
    what was loaded stays. Ctrl-C in a terminal sends SIGINT to the whole foreground
    process group (the run and its workers) at once."""
    tag = uuid.uuid4().hex
    catalog = mid_run_catalog(tmp_path, samples_dir, http_server)
    run, db = start_run_and_wait_for_mid_run(tmp_path, catalog, state_dir, tag)
    if group:
        os.killpg(run.pid, signum)  # a session of its own: its group id is its pid
    else:
        os.kill(run.pid, signum)
    status = run.wait(timeout=WAIT)
    log = (tmp_path / "run.log").read_text(errors="replace")
    assert left_over(tag) == [], log
    if signum == signal.SIGKILL:
        assert status == -signal.SIGKILL
    else:
        assert status == 128 + signum, log
        assert f"stopped by {signal.Signals(signum).name}" in log
        assert "Traceback" not in log, log
    assert loaded_documents(db) == 2


@pytest.mark.slow
def test_a_run_on_a_local_dask_cluster_killed_mid_run_leaves_no_process_behind(
        tmp_path, state_dir, samples_dir, http_server):
    tag = uuid.uuid4().hex
    catalog = mid_run_catalog(tmp_path, samples_dir, http_server)
    run, _ = start_run_and_wait_for_mid_run(tmp_path, catalog, state_dir, tag,
                                            ("--runner", "dask", "--workers", "2"))
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=WAIT)
    assert left_over(tag) == []


@pytest.mark.slow
def test_a_clean_run_on_an_existing_dask_cluster_leaves_no_prefect_server(
        tmp_path, state_dir, samples_dir):
    """The issue's report: each `--runner dask --address` run left a Prefect server
    behind. The run's server is its own and stops with it; the cluster's workers report
    to it rather than start servers of their own."""
    cluster_tag, run_tag = uuid.uuid4().hex, uuid.uuid4().hex
    port = free_port()
    dask = str(Path(sys.executable).with_name("dask"))
    cluster = [subprocess.Popen(command, env=environment(cluster_tag), start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for command in (
                   [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                    "--no-dashboard"],
                   [dask, "worker", f"tcp://127.0.0.1:{port}", "--nworkers", "1",
                    "--nthreads", "1", "--no-dashboard"])]
    try:
        done = subprocess.run(
            [PLEDGEFLOW, "run", "--runner", "dask", "--address", f"tcp://127.0.0.1:{port}",
             "--sources", str(samples_dir / "catalog.toml"), "--db", str(tmp_path / "pf.db"),
             "--raw-dir", str(tmp_path / "raw"), "--processed-dir", str(tmp_path / "processed"),
             "--state-dir", str(state_dir)],
            env=environment(run_tag), cwd=tmp_path, capture_output=True, text=True,
            timeout=900)
        assert done.returncode == 0, done.stderr
        assert left_over(run_tag) == []
        cluster_commands = [command_line(p) for p in tagged(cluster_tag)]
        assert any("dask worker" in c for c in cluster_commands), cluster_commands
        assert not any("uvicorn" in c or "prefect" in c for c in cluster_commands)
    finally:
        for process in cluster:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=WAIT)
        left_over(cluster_tag)


# -- pledgeflow browse


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_browse_stopped_leaves_no_datasette_behind(signum, sample_run, tmp_path):
    tag = uuid.uuid4().hex
    db = tmp_path / "pf.db"
    shutil.copy(sample_run.db_path, db)
    port = free_port()
    browse = subprocess.Popen([PLEDGEFLOW, "browse", "--db", str(db), "--port", str(port)],
                              env=environment(tag, DATASETTE_NO_TELEMETRY="1"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)
    wait_until(lambda: port_open(port), "Datasette answering", browse)
    assert any("datasette" in command_line(p) for p in tagged(tag))
    os.kill(browse.pid, signum)
    status = browse.wait(timeout=WAIT)
    assert left_over(tag) == []
    # a process on its way out can hold its socket for a moment after it leaves the list
    wait_until(lambda: not port_open(port), "port closed")
    if signum == signal.SIGTERM:
        assert status == 0, browse.stderr.read().decode(errors="replace")
