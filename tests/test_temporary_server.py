"""A run's temporary Prefect server keeps its state in the project's state folder, so no
other Prefect process sharing ~/.prefect can break its start-up."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pledgeflow.flows.serving import QUIET_ENV
from pledgeflow.flows.tempserver import HOME_NAME, temporary_home

# starts Prefect servers while others hold their databases
pytestmark = pytest.mark.slow

PLEDGEFLOW = str(Path(sys.executable).with_name("pledgeflow"))


def user_environment(home: Path) -> dict[str, str]:
    """A user with neither PREFECT_API_URL nor PREFECT_HOME set, whose home is ``home``."""
    env = {k: v for k, v in os.environ.items() if k not in {"PREFECT_API_URL", "PREFECT_HOME"}}
    env.update(QUIET_ENV)
    env["HOME"] = str(home)
    return env


def run_command(folder: Path, samples_dir: Path) -> list[str]:
    return [PLEDGEFLOW, "run", "--sources", str(samples_dir / "catalog.toml"),
            "--db", str(folder / "pf.db"), "--raw-dir", str(folder / "raw"),
            "--processed-dir", str(folder / "processed")]


def flow_runs(prefect_db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(prefect_db) as conn:
        return conn.execute("select f.name, r.state_type from flow_run r "
                            "join flow f on f.id = r.flow_id").fetchall()


def events(prefect_db: Path) -> set[str]:
    with sqlite3.connect(prefect_db) as conn:
        return {event for (event,) in conn.execute("select event from events")}


def test_the_server_home_is_the_users_prefect_home_or_one_in_the_state_folder(tmp_path):
    assert temporary_home(tmp_path / "state", {}) == (tmp_path / "state" / HOME_NAME).resolve()
    assert temporary_home(tmp_path / "state", {"PREFECT_HOME": str(tmp_path / "mine")}) == \
        tmp_path / "mine"


def test_a_first_run_starts_while_another_prefect_process_locks_the_users_database(
        tmp_path, samples_dir):
    """Another Prefect process holds ~/.prefect/prefect.db locked for the whole run (as
    one migrating it does): the run's server, with its own database under .pledgeflow/,
    starts all the same, and the run prints no traceback."""
    home = tmp_path / "user"
    shared = home / ".prefect" / "prefect.db"
    shared.parent.mkdir(parents=True)
    other = sqlite3.connect(shared, isolation_level=None)
    other.execute("create table other_process (x)")
    other.execute("begin exclusive")
    try:
        done = subprocess.run(run_command(tmp_path, samples_dir), cwd=tmp_path,
                              env=user_environment(home), capture_output=True, text=True,
                              timeout=600)
    finally:
        other.execute("rollback")
        other.close()
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    state = tmp_path / ".pledgeflow" / HOME_NAME
    assert f"state in {state}" in done.stderr
    assert flow_runs(state / "prefect.db") == [("pipeline", "COMPLETED")]
    # Heartbeats are for a server that outlives the run; this one does not, and waiting
    # for the heartbeat thread's tick would hold the run's end up to a second.
    assert "prefect.flow-run.heartbeat" not in events(state / "prefect.db")
    with sqlite3.connect(shared) as conn:  # the other process's database, untouched
        assert conn.execute("select name from sqlite_master").fetchall() == [("other_process",)]


@pytest.mark.slow
def test_two_first_runs_at_once_in_one_folder_both_start_cleanly(tmp_path, samples_dir):
    """Both runs' servers share .pledgeflow/prefect-temporary; they start one after the
    other, so only one creates and migrates the new database."""
    env = user_environment(tmp_path / "user")
    runs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        runs.append(subprocess.Popen(run_command(folder, samples_dir), cwd=tmp_path, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [run.communicate(timeout=900) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err, err
    state = tmp_path / ".pledgeflow" / HOME_NAME
    assert flow_runs(state / "prefect.db") == [("pipeline", "COMPLETED")] * 2
