"""The Prefect flow end to end, on the sample corpus and against a real local HTTP server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pledgeflow.flows.pipeline import pipeline

pytestmark = pytest.mark.usefixtures("prefect_harness")

MANIFESTOS = ["bnes-libdem-2023", "cwac-labour-2019", "cwac-labour-families-first",
              "ealing-labour-2022"]


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("documents", "blocks", "pledges", "targets", "kpis", "kpi_targets",
                          "actions", "risks")}


def run(tmp: Path, catalog: Path) -> dict:
    return pipeline(sources=str(catalog), db=str(tmp / "pf.db"), raw_dir=str(tmp / "raw"),
                    processed_dir=str(tmp / "processed"))


@pytest.fixture(scope="module")
def first_and_second(tmp_path_factory, samples_dir):
    tmp = tmp_path_factory.mktemp("flow")
    first = run(tmp, samples_dir / "catalog.toml")
    after_first = counts(tmp / "pf.db")
    second = run(tmp, samples_dir / "catalog.toml")
    return tmp, first, after_first, second, counts(tmp / "pf.db")


def test_flow_loads_every_sample_document(first_and_second):
    tmp, first, after_first, *_ = first_and_second
    assert first["documents"] == 7 and first["failed"] == 0
    with sqlite3.connect(tmp / "pf.db") as conn:
        per_source = dict(conn.execute(
            "select d.source_id, count(p.id) from source_documents d "
            "left join pledges p on p.document_id = d.document_id group by d.source_id"))
        plan = conn.execute(
            "select (select count(*) from kpis), (select count(*) from actions), "
            "(select count(*) from risks)").fetchone()
        run_row = conn.execute("select status, documents, failed from runs").fetchone()
    assert all(per_source[s] > 0 for s in MANIFESTOS)
    assert plan == (16, 25, 5)
    assert run_row == ("completed", 7, 0)
    with sqlite3.connect(tmp / "pf.db") as conn:  # the reports, linked during the run
        assert conn.execute("select count(*), count(kpi_id) from outturns").fetchone() == (
            26, 26)


def test_rerun_of_same_bytes_changes_nothing(first_and_second):
    _, _, after_first, second, after_second = first_and_second
    assert second["unchanged"] == 7 and second["documents"] == 0
    assert after_second == after_first


def test_flow_retries_a_server_error_and_records_a_dead_link(tmp_path, http_server,
                                                             samples_dir):
    pdf = (samples_dir / "pdf" / "ealing-pledges-2022.pdf").read_bytes()
    http_server.route_sequence("/flow-flaky.pdf", [
        (500, b"", {}), (200, pdf, {"Content-Type": "application/pdf"})])
    http_server.route("/flow-gone.html", status=404, body=b"gone")
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(f"""
[[sources]]
id = "flaky"
url = "{http_server.url('/flow-flaky.pdf')}"
organisation = "Test Party"
council = "Testshire"
kind = "manifesto"
title = "Flaky"
period = "2024-2028"

[[sources]]
id = "gone"
url = "{http_server.url('/flow-gone.html')}"
organisation = "Test Party"
council = "Testshire"
kind = "manifesto"
title = "Gone"
period = "2024-2028"
""", encoding="utf-8")
    summary = run(tmp_path, catalog)
    assert summary["documents"] == 1 and summary["failed"] == 1
    assert len(http_server.requests_for("/flow-flaky.pdf")) == 2  # one retry
    assert len(http_server.requests_for("/flow-gone.html")) == 1  # a 404 is not retried
    with sqlite3.connect(tmp_path / "pf.db") as conn:
        failure = conn.execute("select source_id, stage, error_type, message from failures"
                               ).fetchone()
        pledges = conn.execute("select count(*) from pledges").fetchone()[0]
    assert failure[:3] == ("gone", "fetch", "HTTPStatusError")
    assert "404" in failure[3]
    assert pledges > 0


def test_batches_of_two_with_one_task_in_flight_still_load_them_all(tmp_path, samples_dir):
    summary = pipeline(sources=str(samples_dir / "catalog.toml"), db=str(tmp_path / "pf.db"),
                       raw_dir=str(tmp_path / "raw"), processed_dir=str(tmp_path / "processed"),
                       in_flight=1, batch=2)
    assert summary["documents"] == 7 and summary["failed"] == 0
    assert counts(tmp_path / "pf.db")["pledges"] == 139


def test_matches_made_council_by_council_during_the_run_equal_a_full_rebuild(first_and_second,
                                                                          tmp_path):
    import shutil

    from pledgeflow.store import matches
    from pledgeflow.store.db import open_db

    tmp = first_and_second[0]
    shutil.copy(tmp / "pf.db", tmp_path / "copy.db")
    query = "select id, rank, score from matches order by id"
    with sqlite3.connect(tmp / "pf.db") as conn:
        during = conn.execute(query).fetchall()
    copy = open_db(tmp_path / "copy.db")
    matches.rebuild(copy)
    assert during and copy.execute(query).fetchall() == during
