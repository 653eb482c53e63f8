"""What a run tells cron and the Prefect UI: `pledgeflow run`'s exit status, the run report
artifact the flow run ends with, and `pledgeflow failures`.

Real runs through the command line (click's runner, in this process, so they report to the
session's Prefect test server), on a catalog of one sample page, a missing file and a file
of bytes no parser reads."""

from __future__ import annotations

import json
import random
import shutil
import socket
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner
from conftest import write_catalog

from pledgeflow.cli import main
from pledgeflow.store.failures import report_markdown

# the real command, each run with its own temporary Prefect server
pytestmark = pytest.mark.slow


@dataclass
class Run:
    result: object  # click's Result
    db: Path

    def loaded(self) -> set[str]:
        with sqlite3.connect(self.db) as conn:
            return {r[0] for r in conn.execute("select source_id from source_documents")}

    def flow_run_id(self) -> UUID:
        with sqlite3.connect(self.db) as conn:
            return UUID(conn.execute("select flow_run_id from runs").fetchone()[0])


def cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, samples_dir, prefect_harness) -> dict[str, Run]:
    tmp = tmp_path_factory.mktemp("exit-codes")
    shutil.copy(samples_dir / "html" / "bnes-libdem-children.html", tmp / "good.html")
    noise = random.Random(14)
    (tmp / "noise.bin").write_bytes(bytes(noise.randrange(256) for _ in range(4096)))
    catalog = write_catalog(tmp / "catalog.toml", {
        "good": "good.html", "missing": "missing.html", "noise": "noise.bin"})
    out = {}
    for name, only in (("clean", ["--only", "good"]), ("faulty", [])):
        db = tmp / f"{name}.db"
        out[name] = Run(cli("run", "--sources", str(catalog), "--db", str(db), "--raw-dir",
                            str(tmp / "raw"), "--processed-dir", str(tmp / "processed"), *only),
                        db)
    return out


def test_a_clean_run_exits_0(runs):
    clean = runs["clean"]
    assert clean.result.exit_code == 0, clean.result.output
    assert "1 documents loaded" in clean.result.stdout and "0 failed" in clean.result.stdout
    assert clean.loaded() == {"good"}


def test_a_run_with_broken_sources_exits_1_and_loads_the_good_document(runs):
    faulty = runs["faulty"]
    assert faulty.result.exit_code == 1, faulty.result.output
    assert faulty.loaded() == {"good"}
    assert "1 documents loaded" in faulty.result.stdout and "2 failed" in faulty.result.stdout
    assert f"pledgeflow failures --db {faulty.db}" in faulty.result.stderr


def test_failures_lists_the_latest_runs_failures_one_line_each(runs):
    result = cli("failures", "--db", str(runs["faulty"].db))
    assert result.exit_code == 0
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(source, stage) for source, stage, _, _ in lines] == [
        ("missing", "fetch"), ("noise", "parse")]
    missing, noise = (error for _, _, error, _ in lines)
    assert missing.startswith("FetchError: file not found:") and missing.endswith("missing.html")
    assert "no parser for media type 'application/octet-stream'" in noise
    assert all(when.endswith("+00:00") for *_, when in lines)
    assert "(completed_with_failures," in result.stderr and "2 failure(s)" in result.stderr


def test_failures_as_json_for_a_run_named_by_its_flow_run_or_for_all_runs(runs):
    faulty = runs["faulty"]
    by_flow_run = cli("failures", "--db", str(faulty.db), "--run",
                      str(faulty.flow_run_id())[:8], "--json")
    assert by_flow_run.exit_code == 0
    rows = json.loads(by_flow_run.stdout)
    assert [(r["source_id"], r["stage"], r["error_type"]) for r in rows] == [
        ("missing", "fetch", "FetchError"), ("noise", "parse", "ParseError")]
    assert rows[0]["url"] == "missing.html" and rows[0]["document_id"] is None
    assert len(rows[1]["document_id"]) == 64  # it got as far as its bytes
    assert json.loads(cli("failures", "--db", str(faulty.db), "--run", "all", "--json"
                          ).stdout) == rows
    clean = cli("failures", "--db", str(runs["clean"].db))
    assert clean.exit_code == 0 and clean.stdout == "" and "0 failure(s)" in clean.stderr
    unknown = CliRunner().invoke(main, ["failures", "--db", str(faulty.db), "--run", "nosuch"])
    assert unknown.exit_code == 2 and "no run 'nosuch'" in unknown.output


def _artifacts(flow_run_id: UUID):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))


def test_the_flow_run_ends_with_a_report_of_counts_and_failures(runs):
    (artifact,) = _artifacts(runs["faulty"].flow_run_id())
    assert (artifact.type, artifact.key) == ("markdown", "pledgeflow-run-catalog")
    assert artifact.description == "3 sources: 1 loaded, 0 unchanged, 2 failed"
    report = artifact.data
    assert "| 3 | 1 | 0 | 2 |" in report  # sources, loaded, unchanged, failed
    assert "| pledges | 20 | 20 |" in report  # loaded by this run, current in the database
    assert "## Failures (2)" in report
    assert "| missing | missing.html | fetch | FetchError | file not found:" in report
    assert "| noise | noise.bin | parse | ParseError | no parser for media type" in report
    (clean,) = _artifacts(runs["clean"].flow_run_id())
    assert "## Failures (0)" in clean.data and "1 loaded, 0 unchanged, 0 failed" in (
        clean.description)


def test_a_run_that_cannot_reach_prefect_exits_3(tmp_path, samples_dir, prefect_harness):
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the with-block ends
    shutil.copy(samples_dir / "html" / "bnes-libdem-children.html", tmp_path / "good.html")
    catalog = write_catalog(tmp_path / "catalog.toml", {"good": "good.html"})
    with temporary_settings({PREFECT_API_URL: f"http://127.0.0.1:{port}/api"}):
        result = cli("run", "--sources", str(catalog), "--db", str(tmp_path / "pf.db"),
                     "--raw-dir", str(tmp_path / "raw"), "--processed-dir",
                     str(tmp_path / "processed"))
    assert result.exit_code == 3
    assert "Failed to reach API" in result.stderr and "did not finish" in result.stderr


def test_a_report_keeps_its_table_whole_whatever_the_message():
    summary = {"run_id": "r1", "sources": 2, "documents": 0, "unchanged": 0, "failed": 2,
               "fetched": 0, "not_modified": 0, "parsed": 0, "records": {}, "totals": {}}
    failures = [{"source_id": "a", "url": "https://example.org/a", "document_id": None,
                 "stage": "fetch", "error_type": "FetchError",
                 "message": "bad | answer\nsecond line " + "x" * 400}] * 150
    report = report_markdown(summary, failures, catalog="c.toml", db="pf.db")
    rows = [line for line in report.splitlines() if line.startswith("| a |")]
    assert len(rows) == 100 and "… and 50 more." in report
    assert rows[0].count(" | ") == 4  # the pipe in the message is escaped, not a column
    assert "bad \\| answer second line" in rows[0] and len(rows[0]) < 420
    assert "pledgeflow failures --db pf.db --run r1" in report
