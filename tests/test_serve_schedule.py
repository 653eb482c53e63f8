"""A served one-minute schedule goes on running: four scheduled runs in a row on a real
Prefect server and `pledgeflow serve`.

In a module of its own, apart from tests/test_serve.py: it waits on the clock for about
four minutes, so under pytest-xdist (--dist loadfile) it takes a worker to itself while
the other served-deployment tests run on another.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import time

import pytest
from test_serve import (
    DEPLOYMENT,
    SAMPLE_CATALOG,
    free_port,
    pledgeflow_command,
    posix_only,
    spawn,
    tail,
    wait_for_deployment,
)

from pledgeflow.flows.serving import (
    QUIET_ENV,
    api_url,
    process_group_alive,
    stop_process_group,
    wait_for_server,
)

# a real Prefect server and scheduled runs, minute by minute
pytestmark = pytest.mark.slow


def scheduled_runs(deployment_id) -> list:
    """The deployment's scheduled (not triggered) flow runs, oldest first."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])))
    return sorted((r for r in runs if r.auto_scheduled), key=lambda r: r.expected_start_time)


@posix_only
@pytest.mark.slow
def test_served_one_minute_cron_completes_every_run(tmp_path):
    """A served schedule goes on after its first run: four one-minute runs in a row, over
    three minutes and more, each completed, none left behind. Before the flow closed its
    parse workers, the first run's process never exited, so it held the runner's one slot
    and every later run stayed late. (A run that falls due while the one before is still
    going waits for the runner's next poll, which logs it as "skipped (at capacity)" on a
    busy machine: deferred, not dropped.) Takes about four minutes."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    port = free_port()
    url = api_url(port)
    logs = {"server": tmp_path / "server.log", "serve": tmp_path / "serve.log"}
    env = {**os.environ, **QUIET_ENV}
    env.pop("PREFECT_API_URL", None)
    command = pledgeflow_command()
    processes: list[subprocess.Popen] = []
    wanted = 4
    try:
        server = spawn([*command, "server", "--port", str(port), "--state-dir",
                        str(tmp_path / "state"), "--no-ui"], env, logs["server"])
        processes.append(server)
        wait_for_server(url, timeout=60, process=server)
        serve = spawn([*command, "serve", "--sources", str(SAMPLE_CATALOG),
                       "--db", str(tmp_path / "pf.db"), "--raw-dir", str(tmp_path / "raw"),
                       "--processed-dir", str(tmp_path / "processed"), "--cron", "* * * * *"],
                      {**env, "PREFECT_API_URL": url, "PREFECT_HOME": str(tmp_path / "home"),
                       "PREFECT_RUNNER_POLL_FREQUENCY": "2", "PREFECT_LOGGING_LEVEL": "INFO"},
                      logs["serve"])
        processes.append(serve)
        with temporary_settings({PREFECT_API_URL: url}):
            deployment = wait_for_deployment(DEPLOYMENT, serve, timeout=45)
            deadline = time.monotonic() + 60 * (wanted + 2) + 30
            while True:
                runs = scheduled_runs(deployment.id)
                finished = [r for r in runs if r.state is not None and r.state.is_final()]
                if len(finished) >= wanted or time.monotonic() > deadline:
                    break
                assert serve.poll() is None, tail(logs["serve"])
                time.sleep(5)
        first = [r for r in runs if r.state is not None and r.state.is_final()][:wanted]
        assert len(first) == wanted, (
            f"{len(first)} of {wanted} scheduled runs finished: "
            f"{[(r.expected_start_time, r.state_name) for r in runs]}\n" + tail(logs["serve"]))
        assert [r.state_name for r in first] == ["Completed"] * wanted
        minutes = [r.expected_start_time for r in first]
        assert all((b - a).total_seconds() == 60 for a, b in itertools.pairwise(minutes))
        assert [r.id for r in first] == [r.id for r in runs[:wanted]], "a run was left behind"
    finally:
        for process in reversed(processes):
            stop_process_group(process)
    leftovers = [p.pid for p in processes if process_group_alive(p.pid)]
    assert not leftovers, f"process groups still alive: {leftovers}"
