"""Scheduled runs end to end: a real Prefect server, `pledgeflow serve`, a run triggered
through Prefect, and its records in the database; both processes stopped, none left over.

Takes about 20-30 s on a 2-core machine, most of it the server starting and the run.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pledgeflow.flows.serving import (
    QUIET_ENV,
    api_url,
    plan_deployments,
    process_group_alive,
    server_database,
    stop_process_group,
    validate_schedule,
    wait_for_server,
)

# real Prefect servers and work-pool workers: minutes
pytestmark = pytest.mark.slow

SAMPLE_CATALOG = Path(__file__).resolve().parents[1] / "samples" / "catalog.toml"
CRON = "0 6 * * *"
DEPLOYMENT = "pipeline/catalog"  # flow name / catalog file stem

posix_only = pytest.mark.skipif(os.name != "posix", reason="uses process groups")


def pledgeflow_command() -> list[str]:
    """The installed `pledgeflow` console script."""
    return [str(Path(sys.executable).parent / "pledgeflow")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``command`` in its own process group (session), output to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return f"--- {log.name} ---\n" + "\n".join(text.splitlines()[-lines:])


def wait_for_deployment(name: str, serve: subprocess.Popen, timeout: float):
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            try:
                return client.read_deployment_by_name(name)
            except ObjectNotFound:
                pass
            if serve.poll() is not None:
                raise RuntimeError(f"pledgeflow serve exited with code {serve.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"deployment {name} not registered after {timeout:.0f} s")
            time.sleep(0.5)


@posix_only
def test_served_deployment_runs_when_triggered(tmp_path):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    url = api_url(port)
    state_dir = tmp_path / "state"
    db = tmp_path / "pf.db"
    logs = {"server": tmp_path / "server.log", "serve": tmp_path / "serve.log"}
    env = {**os.environ, **QUIET_ENV}
    env.pop("PREFECT_API_URL", None)
    command = pledgeflow_command()
    processes: list[subprocess.Popen] = []
    try:
        server = spawn([*command, "server", "--port", str(port), "--state-dir", str(state_dir),
                        "--no-ui"], env, logs["server"])
        processes.append(server)
        wait_for_server(url, timeout=60, process=server)

        serve_env = {**env, "PREFECT_API_URL": url, "PREFECT_HOME": str(tmp_path / "home"),
                     "PREFECT_RUNNER_POLL_FREQUENCY": "1", "PREFECT_LOGGING_LEVEL": "INFO"}
        serve = spawn([*command, "serve", "--sources", str(SAMPLE_CATALOG), "--db", str(db),
                       "--raw-dir", str(tmp_path / "raw"),
                       "--processed-dir", str(tmp_path / "processed"), "--cron", CRON],
                      serve_env, logs["serve"])
        processes.append(serve)

        with temporary_settings({PREFECT_API_URL: url}):
            deployment = wait_for_deployment(DEPLOYMENT, serve, timeout=45)
            assert [(s.schedule.cron, s.active) for s in deployment.schedules] == [(CRON, True)]
            assert deployment.entrypoint == "pledgeflow.flows.pipeline.pipeline"
            assert deployment.parameters == {
                "sources": str(SAMPLE_CATALOG), "db": str(db),
                "raw_dir": str(tmp_path / "raw"), "processed_dir": str(tmp_path / "processed")}
            flow_run = run_deployment(deployment.id, timeout=75, poll_interval=1,
                                      as_subflow=False)
        assert flow_run.state is not None and flow_run.state.is_completed(), (
            f"flow run ended {flow_run.state!r}\n" + tail(logs["serve"]))

        # The run's records are in pledgeflow's database, tied to the Prefect flow run...
        with sqlite3.connect(db) as conn:
            documents = conn.execute("select count(*) from documents").fetchone()[0]
            pledges = conn.execute("select count(*) from pledges").fetchone()[0]
            runs = conn.execute("select flow_run_id, status, documents from runs").fetchall()
        assert documents == 7
        assert pledges > 0
        assert runs == [(str(flow_run.id), "completed", 7)]
        # ... and the deployment and its completed run are in the server's own database,
        # under the state folder.
        with sqlite3.connect(server_database(state_dir)) as conn:
            states = conn.execute(
                "select f.state_type from flow_run f join deployment d on d.id = f.deployment_id"
                " where d.name = 'catalog' and f.id = ?", (str(flow_run.id),)).fetchall()
        assert states == [("COMPLETED",)]
    finally:
        for process in reversed(processes):  # serve first: it pauses its schedule on the way
            stop_process_group(process)
    leftovers = [p.pid for p in processes if process_group_alive(p.pid)]
    assert not leftovers, f"process groups still alive: {leftovers}"
    assert all(p.returncode is not None for p in processes)


@posix_only
def test_dask_deployment_runs_through_a_work_pool_worker(tmp_path):
    """docs/scaling.md's recipe: flows/dask_pipeline.py deployed to a process work pool,
    a worker started, a run triggered; the worker's flow run puts the documents through
    a Dask LocalCluster and loads them."""
    pytest.importorskip("prefect_dask")
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    url = api_url(port)
    db = tmp_path / "pf.db"
    logs = {name: tmp_path / f"{name}.log" for name in ("server", "pool", "deploy", "worker")}
    env = {**os.environ, **QUIET_ENV}
    env.pop("PREFECT_API_URL", None)
    bin_dir = Path(sys.executable).parent
    project = Path(__file__).resolve().parents[1]
    processes: list[subprocess.Popen] = []
    try:
        server = spawn([str(bin_dir / "pledgeflow"), "server", "--port", str(port),
                        "--state-dir", str(tmp_path / "state"), "--no-ui"], env, logs["server"])
        processes.append(server)
        wait_for_server(url, timeout=60, process=server)
        client_env = {**env, "PREFECT_API_URL": url, "PREFECT_HOME": str(tmp_path / "home")}
        prefect = str(bin_dir / "prefect")
        for name, command in [
            ("pool", [prefect, "work-pool", "create", "--type", "process", "dask-pool"]),
            ("deploy", [prefect, "--no-prompt", "deploy",
                        "flows/dask_pipeline.py:pipeline_on_dask", "-n", "dask", "-p",
                        "dask-pool", "--param", "isolate=false",
                        "--param", f"sources={SAMPLE_CATALOG}", "--param", f"db={db}",
                        "--param", f"raw_dir={tmp_path / 'raw'}",
                        "--param", f"processed_dir={tmp_path / 'processed'}"])]:
            with logs[name].open("wb") as out:
                done = subprocess.run(command, env=client_env, cwd=project, stdout=out,
                                      stderr=subprocess.STDOUT, timeout=120)
            assert done.returncode == 0, tail(logs[name])
        worker = spawn([prefect, "worker", "start", "--pool", "dask-pool"],
                       {**client_env, "PREFECT_WORKER_QUERY_SECONDS": "1",
                        "PREFECT_LOGGING_LEVEL": "INFO"}, logs["worker"])
        processes.append(worker)
        with temporary_settings({PREFECT_API_URL: url}):
            flow_run = run_deployment("pipeline-dask/dask", timeout=180, poll_interval=1,
                                      as_subflow=False)
        assert flow_run.state is not None and flow_run.state.is_completed(), (
            f"flow run ended {flow_run.state!r}\n" + tail(logs["worker"]))
        assert "Creating a new Dask cluster" in logs["worker"].read_text(errors="replace")
        with sqlite3.connect(db) as conn:
            documents = conn.execute("select count(*) from documents").fetchone()[0]
            pledges = conn.execute("select count(*) from pledges").fetchone()[0]
            runs = conn.execute("select flow_run_id, status, documents from runs").fetchall()
        assert (documents, pledges) == (7, 139)
        assert runs == [(str(flow_run.id), "completed", 7)]
    finally:
        for process in reversed(processes):
            stop_process_group(process)
    leftovers = [p.pid for p in processes if process_group_alive(p.pid)]
    assert not leftovers, f"process groups still alive: {leftovers}"


def test_one_deployment_per_catalog_with_its_own_cron(tmp_path):
    common = {"db": tmp_path / "pf.db", "raw_dir": tmp_path / "raw",
              "processed_dir": tmp_path / "processed"}
    plans = plan_deployments([Path("a/councils.toml"), Path("b/parties.toml")],
                             ["0 6 * * *", "30 5 * * 1"], **common)
    assert [(p.full_name, p.cron) for p in plans] == [
        ("pipeline/councils", "0 6 * * *"), ("pipeline/parties", "30 5 * * 1")]
    assert all(Path(v).is_absolute() for v in plans[0].parameters().values())
    assert [p.cron for p in plan_deployments([Path("x.toml")], [], **common)] == [CRON]
    assert plan_deployments([Path("x.toml")], [], name="nightly", **common)[0].name == "nightly"
    with pytest.raises(ValueError, match="one per --sources"):
        plan_deployments([Path("a.toml"), Path("b.toml"), Path("c.toml")], ["1 * * * *"] * 2,
                         **common)
    with pytest.raises(ValueError, match="both be deployment"):
        plan_deployments([Path("a/catalog.toml"), Path("b/catalog.toml")], [], **common)


def test_bad_schedule_is_refused_before_anything_starts():
    validate_schedule(CRON, "Europe/London")
    with pytest.raises(ValueError, match="Invalid cron"):
        validate_schedule("0 6 * *")
    with pytest.raises(ValueError, match="Invalid timezone"):
        validate_schedule(CRON, "Mars/Olympus")


def test_serve_without_a_server_says_how_to_start_one(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from pledgeflow.flows.serving import serve_command

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_settings({PREFECT_API_URL: None}):
        result = CliRunner().invoke(serve_command, ["--sources", str(SAMPLE_CATALOG),
                                                    "--db", str(tmp_path / "pf.db")])
    assert result.exit_code == 1
    assert "PREFECT_API_URL is not set" in result.output
    assert "pledgeflow server" in result.output
    assert not (tmp_path / "pf.db").exists()


def test_serve_and_server_are_pledgeflow_commands():
    from pledgeflow.cli import main

    assert {"serve", "server"} <= set(main.commands)
