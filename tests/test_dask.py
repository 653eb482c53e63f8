"""The pipeline on a real 2-worker Dask LocalCluster gives the records the default runner gives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledgeflow.cli import main
from pledgeflow.flows.pipeline import run_pipeline, task_runner
from pledgeflow.research.export import source_records
from pledgeflow.store.db import open_db

# a Dask cluster and a Prefect server
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("prefect_harness")]

TABLES = ("documents", "blocks", "pledges", "targets", "kpis", "kpi_targets", "actions", "risks",
          "matches")


def snapshot(db: Path) -> tuple[dict, dict]:
    """Row counts of every record table, and every source's records with their provenance."""
    with sqlite3.connect(db) as conn:
        counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
        sources = [r[0] for r in conn.execute("select id from sources order by id")]
    database = open_db(db)
    try:
        return counts, {s: source_records(database, s) for s in sources}
    finally:
        database.close()


@pytest.fixture(scope="module")
def both_runners(tmp_path_factory, samples_dir, monkeypatch_module):
    from prefect.settings import PREFECT_API_URL

    # Workers are new processes: they find the test server through the environment,
    # restored after the module so later subprocesses do not inherit it.
    monkeypatch_module.setenv("PREFECT_API_URL", PREFECT_API_URL.value())
    runs = {}
    for runner in ("threads", "dask"):
        tmp = tmp_path_factory.mktemp(runner)
        summary = run_pipeline(runner, workers=2 if runner == "dask" else None,
                               sources=str(samples_dir / "catalog.toml"),
                               db=str(tmp / "pf.db"), raw_dir=str(tmp / "raw"),
                               processed_dir=str(tmp / "processed"))
        runs[runner] = (summary, snapshot(tmp / "pf.db"))
    return runs


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_dask_run_loads_every_document(both_runners):
    summary, (counts, _) = both_runners["dask"]
    assert summary["documents"] == 7 and summary["failed"] == 0
    assert counts["pledges"] == 139 and counts["kpis"] == 16 and counts["actions"] == 25


def test_dask_and_default_runner_give_identical_records(both_runners):
    _, (threads_counts, threads_records) = both_runners["threads"]
    _, (dask_counts, dask_records) = both_runners["dask"]
    assert dask_counts == threads_counts
    assert dask_records == threads_records


def test_local_cluster_has_the_asked_workers_one_thread_each():
    runner = task_runner("dask", workers=2)
    assert runner.cluster_kwargs["n_workers"] == 2
    assert runner.cluster_kwargs["threads_per_worker"] == 1


def test_address_points_the_runner_at_an_existing_cluster():
    assert task_runner("dask", address="tcp://127.0.0.1:8786").address == "tcp://127.0.0.1:8786"


def test_unknown_runner_is_refused():
    with pytest.raises(ValueError, match="threads or dask"):
        task_runner("ray")


def test_cli_refuses_cluster_options_without_the_dask_runner():
    result = CliRunner().invoke(main, ["run", "--address", "tcp://127.0.0.1:8786"])
    assert result.exit_code == 2
    assert "--address and --workers go with --runner dask" in result.output


def test_deployment_entrypoint_reads_the_scheduler_address(monkeypatch):
    import importlib

    import pledgeflow.flows.dask_pipeline as module

    monkeypatch.setenv("PLEDGEFLOW_DASK_ADDRESS", "tcp://127.0.0.1:8786")
    flow = importlib.reload(module).pipeline_on_dask
    assert flow.name == "pipeline-dask"
    assert flow.task_runner.address == "tcp://127.0.0.1:8786"
    monkeypatch.delenv("PLEDGEFLOW_DASK_ADDRESS")
    assert importlib.reload(module).pipeline_on_dask.task_runner.cluster_kwargs["n_workers"] >= 1
