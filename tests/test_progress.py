"""Performance reports: outturns and action updates read from report tables, linked to the
plan's KPIs and actions, and the status of each pledge (docs/progress.md)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pledgeflow.extractors._performance import action_status, period, rag
from pledgeflow.nlp import build_nlp
from pledgeflow.parse.text import parse_text
from pledgeflow.registry import get_extractors, run_extractors
from pledgeflow.research.evaluate import evaluate, match
from pledgeflow.store import matches, progress
from pledgeflow.store.db import open_db, upsert_sources

GOLD = Path(__file__).parent / "gold-performance"
REPORTS = ("cwac-performance-2018-19-q4", "cwac-performance-2019-20-q2")


def records(markdown: str, kind: str) -> list:
    doc = parse_text(markdown.encode("utf-8"), document_id="p" * 64, markdown=True)
    result = run_extractors(doc, get_extractors(), build_nlp())
    assert not result.errors
    return [r for r in result.records if r.kind == kind]


@pytest.fixture(scope="module")
def db(sample_run) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{sample_run.db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


# -- reading, on tables written for these tests

QUARTERLY = """# Housing performance, Quarter 3 2024/25

| Ref | Indicator | 2023/24 outturn | 2024/25 target | Q3 actual | RAG | Trend | Comments |
|---|---|---|---|---|---|---|---|
| HS1 | New affordable homes started | 120 | 150 | 141 | Amber | Improving | Two sites slipped. |
| HS2 | Households in temporary accommodation | 310 | 280 | 355 | Red | Worsening | Demand rose. |
| HS3 | Empty homes brought back into use | 40 | 45 | n/a | No data | - | Figures due in May. |
"""


def test_a_table_with_actuals_and_rag_words_gives_outturns_and_no_plan_kpis():
    outturns = records(QUARTERLY, "outturns")
    assert [(o.ref, o.period, o.actual, o.target, o.status, o.status_raw, o.direction)
            for o in outturns] == [
        ("HS1", "2024/25 Q3", "141", "150", "amber", "Amber", "Improving"),
        ("HS2", "2024/25 Q3", "355", "280", "red", "Red", "Worsening"),
        ("HS3", "2024/25 Q3", None, "45", None, "No data", None)]
    assert (outturns[0].actual_value, outturns[0].actual_unit) == (141.0, "count")
    assert outturns[0].commentary == "Two sites slipped."
    assert records(QUARTERLY, "kpis") == []  # the same table is no plan's KPIs


UPDATES = """# Progress on our actions

| Ref | Action | Status | Progress update |
|---|---|---|---|
| H.1.1 | Open two family hubs in the north of the borough | Completed | Both hubs opened in June. |
| H.1.2 | Review the allocations policy with tenants | Behind schedule | Consultation ran late. |
"""


def test_a_table_of_action_statuses_and_updates_gives_updates_and_no_plan_actions():
    updates = records(UPDATES, "action_updates")
    assert [(u.ref, u.status, u.status_raw, u.text) for u in updates] == [
        ("H.1.1", "complete", "Completed", "Both hubs opened in June."),
        ("H.1.2", "delayed", "Behind schedule", "Consultation ran late.")]
    assert records(UPDATES, "actions") == []


def unruled_report_pdf() -> bytes:
    """A landscape page whose table is text in columns: no rules, no fills."""
    import io

    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=landscape(A4))
    height = landscape(A4)[1]
    page.setFont("Helvetica-Bold", 16)
    page.drawString(50, height - 60, "Libraries performance, Quarter 3 2024/25")
    page.setFont("Helvetica", 10)
    page.drawString(50, height - 90, "The service's indicators at the end of December.")
    rows = [["Ref", "Indicator", "Target 2024/25", "Q3 actual", "RAG", "Trend"],
            ["LB1", "Visits to libraries per 1,000 residents", "3,100", "2,950", "Amber",
             "Improving"],
            ["LB2", "Items issued through the mobile library", "12,000", "12,480", "Green",
             "Improving"],
            ["LB3", "Volunteer hours given to libraries", "5,000", "3,900", "Red", "Worsening"],
            ["LB4", "Residents with an active library card", "40%", "41%", "Green",
             "No change"]]
    y = height - 130
    for n, row in enumerate(rows):
        page.setFont("Helvetica-Bold" if n == 0 else "Helvetica", 10)
        for x, text in zip([50, 110, 420, 520, 620, 700], row, strict=True):
            page.drawString(x, y, text)
        y -= 22
    page.save()
    return buf.getvalue()


def test_an_unruled_pdf_table_of_actuals_gives_outturns():
    from pledgeflow.parse import parse

    doc = parse(unruled_report_pdf(), "application/pdf", document_id="u" * 64)
    found = run_extractors(doc, get_extractors(), build_nlp()).records
    outturns = [r for r in found if r.kind == "outturns"]
    assert [(o.ref, o.period, o.actual_value, o.target_value, o.status) for o in outturns] == [
        ("LB1", "2024/25 Q3", 2950.0, 3100.0, "amber"),
        ("LB2", "2024/25 Q3", 12480.0, 12000.0, "green"),
        ("LB3", "2024/25 Q3", 3900.0, 5000.0, "red"),
        ("LB4", "2024/25 Q3", 41.0, 40.0, "green")]
    assert not [r for r in found if r.kind == "kpis"]


def test_a_plan_kpi_table_stays_plan_kpis():
    plan = ("| Indicator | Baseline | 2025/26 target |\n|---|---|---|\n"
            "| Homes started | 120 | 150 |\n| Empty homes back in use | 40 | 45 |\n")
    assert records(plan, "outturns") == []
    assert [k.measure for k in records(plan, "kpis")] == ["Homes started",
                                                           "Empty homes back in use"]


@pytest.mark.parametrize(("heading", "context", "expected"), [
    ("Q4 2018/19 actual", [], "2018/19 Q4"),
    ("Actual", ["Quarter 2 2019/20: Economy"], "2019/20 Q2"),
    ("2019-20 outturn", ["Annual report 2019/20"], "2019/20"),
    ("2019/2020 result", ["Quarter 1 2019/20"], "2019/20 Q1"),
    ("Actual", ["Our performance"], None),
])
def test_periods_are_normalised_from_the_heading_then_the_title(heading, context, expected):
    assert period(heading, context) == expected


def test_status_words_are_normalised_and_unknown_words_are_not_guessed():
    assert [rag(w) for w in ("Green", "AMBER", "Off target", "No data", "Blue")] == [
        "green", "amber", "red", None, None]
    assert [action_status(w) for w in ("In progress", "Not yet started", "Done", "Paused")] \
        == ["on track", "not started", "complete", None]


# -- the two performance samples, loaded with the plan and the manifestos


def test_reports_give_outturns_and_updates_but_no_plan_kpis_or_actions(sample_run):
    for source_id, outturns, updates in ((REPORTS[0], 16, 10), (REPORTS[1], 10, 0)):
        found = sample_run.extractions[source_id].records
        kinds = [r.kind for r in found]
        assert (kinds.count("outturns"), kinds.count("action_updates")) == (outturns, updates)
        assert "kpis" not in kinds and "actions" not in kinds
        doc = sample_run.documents[source_id]
        for r in found:
            if r.kind == "outturns":  # the evidence is the actual's cell (or the measure's)
                assert doc.text[r.provenance.start:r.provenance.end] in (r.actual, r.measure)


def test_outturns_and_updates_score_against_the_gold(sample_run, tmp_path):
    copy = tmp_path / "pf.db"
    shutil.copy(sample_run.db_path, copy)
    evaluation = evaluate(open_db(copy), GOLD)
    assert evaluation.totals["outturns"].f1 >= 0.95
    assert evaluation.totals["action_updates"].f1 >= 0.95
    assert evaluation.totals["outturns"].gold == 26


def test_every_outturn_is_linked_to_the_plan_kpi_the_gold_names(db):
    gold = {(source_id, o["ref"]): o for source_id in REPORTS
            for o in json.loads((GOLD / f"{source_id}.json").read_text("utf-8"))["outturns"]}
    rows = db.execute(
        "select o.ref, o.source_id, o.status, o.period, k.measure, o.kpi_score "
        "from current_outturns o left join kpis k on k.id = o.kpi_id").fetchall()
    assert len(rows) == len(gold) == 26
    for row in rows:
        expected = gold[(row["source_id"], row["ref"])]
        assert row["measure"] == expected["plan_measure"], row["ref"]
        assert row["status"] == ((expected["status"] or "").lower() or None)
        assert row["period"] == expected["period"]
        assert 0.35 <= row["kpi_score"] <= 1.0


def test_every_action_update_is_linked_to_the_plan_action_of_its_reference(db):
    rows = db.execute("select u.ref, a.ref as plan_ref, a.source_id from current_action_updates u "
                      "left join current_actions a on a.id = u.action_id").fetchall()
    assert len(rows) == 10
    assert all(r["plan_ref"] == r["ref"] and r["source_id"] == "cwac-thriving-economy-2016"
               for r in rows)


def test_the_schools_pledge_has_a_status_resting_on_both_reports(db):
    (row,) = db.execute("select status, evidence, rule from pledge_progress "
                        "where source_id = 'cwac-labour-2019' and text like "
                        "'%schools to be rated Good%Outstanding%'").fetchall()
    ids = json.loads(row["evidence"])
    reports = {r[0] for r in db.execute(
        f"select distinct source_id from current_outturns where id in "
        f"({', '.join('?' for _ in ids)})", ids)}
    assert reports == set(REPORTS)
    # secondary schools: red in both reports, so the pledge is off track
    assert (row["status"], row["rule"]) == ("off track", "any_off_track")


def test_a_status_never_stands_without_evidence(db):
    rows = db.execute("select status, rule, json_array_length(evidence) as n "
                      "from pledge_progress").fetchall()
    assert {r["status"] for r in rows} >= {"no evidence", "off track"}
    for r in rows:
        assert (r["status"] == "no evidence") == (r["n"] == 0) == (r["rule"] == "no_evidence")


def test_a_match_on_one_common_word_carries_no_evidence(db):
    weak = db.execute(
        "select m.rank, m.score, g.status from matches m join pledge_progress g on "
        "g.pledge_id = m.pledge_id where g.text like 'Continuing our work to reduce the gender "
        "pay gap%' and m.target_table = 'actions' and m.rank = 1").fetchone()
    # ranked first by BM25 on "pay" alone: not what the pledge is about
    assert weak["score"] >= 5 and weak["status"] == "no evidence"
    assert db.execute("select min(similarity) from pledge_evidence").fetchone()[0] >= 0.15


def views(database) -> dict[str, str]:
    return dict(database.execute("select name, sql from sqlite_master where type = 'view' "
                                 "and name in ('kpi_series', 'pledge_progress')").fetchall())


def test_matching_again_leaves_the_views_as_they_are(sample_run, tmp_path):
    shutil.copy(sample_run.db_path, tmp_path / "pf.db")
    database = open_db(tmp_path / "pf.db")
    schema = database.execute("pragma schema_version").fetchone()[0]
    assert matches.rebuild(database, ["Cheshire West and Chester"]) > 0
    # no view dropped and made again: the schema SQLite counts changes is the same
    assert database.execute("pragma schema_version").fetchone()[0] == schema
    database.close()


def test_opening_a_database_gives_it_the_views_as_defined_now(sample_run, tmp_path, db):
    before = db.execute("select * from pledge_progress order by pledge_id").fetchall()
    shutil.copy(sample_run.db_path, tmp_path / "pf.db")
    with sqlite3.connect(tmp_path / "pf.db") as conn:  # as an older pledgeflow left them
        conn.execute("drop view pledge_progress")
        conn.execute("create view pledge_progress as select id as pledge_id from pledges")
        conn.execute("drop view kpi_series")
    conn.close()
    database = open_db(tmp_path / "pf.db")
    assert views(database) == progress.VIEWS
    assert database.execute("select * from pledge_progress order by pledge_id"
                            ).fetchall() == [tuple(r) for r in before]
    database.close()


def test_a_new_database_gets_the_views_with_the_tables_they_read(tmp_path):
    from pledgeflow.catalog import Source

    database = open_db(tmp_path / "pf.db")
    assert views(database) == {}  # no outturns table yet: a view on it would be broken
    # ... and would make SQLite refuse any rename in the database
    database.execute("alter table runs rename column catalog to catalog_path")
    upsert_sources(database, [Source(id="plan", url="plan.html", organisation="A council",
                                     council="A", kind="outcome_plan", title="Plan",
                                     period="2024-2028")])
    matches.rebuild(database)  # the first matching brings the report tables, and the views
    assert views(database) == progress.VIEWS
    database.close()


def test_kpi_series_puts_each_kpi_targets_and_outturns_in_order(db):
    rows = db.execute("select period, target, actual, status, latest_status from kpi_series "
                      "where measure like 'Increase the proportion of children attending a "
                      "good or better secondary school%'").fetchall()
    assert [tuple(r) for r in rows] == [("2018/19 Q4", "96.4%", "90.2%", "red", "red"),
                                        ("2019/20 Q2", "100.0%", "91.8%", "red", "red")]


def test_a_report_catalogued_as_an_outcome_plan_still_gives_outturns(tmp_path, samples_dir):
    from pledgeflow import stages
    from pledgeflow.catalog import load_catalog
    from pledgeflow.store import load, matches
    from pledgeflow.store.db import upsert_sources

    shutil.copy(samples_dir / "pdf" / "cwac-performance-2018-19-q4.pdf", tmp_path / "r.pdf")
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[[sources]]\nid = "report"\nurl = "r.pdf"\norganisation = "Council"\n'
        'council = "Somewhere"\nkind = "outcome_plan"\ntitle = "Report"\nperiod = "2018/19"\n',
        encoding="utf-8")
    settings = stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed")
    database = open_db(tmp_path / "pf.db")
    (source,) = load_catalog(catalog)
    upsert_sources(database, [source])
    fetched = stages.fetch_source(source, settings)
    extracted = stages.extract_parsed(stages.parse_fetched(fetched, settings), settings)
    load.load_extracted(database, fetched, extracted)
    matches.rebuild(database)
    counts = {t: database.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("outturns", "action_updates", "kpis", "actions")}
    assert counts == {"outturns": 16, "action_updates": 10, "kpis": 0, "actions": 0}
    # no plan in that council: nothing to link to, and no status without evidence
    assert database.execute("select count(kpi_id) from outturns").fetchone()[0] == 0
    assert {r[0] for r in database.execute("select status from pledge_progress")} == {
        "no evidence"}


def test_eval_pairs_only_items_whose_exact_keys_agree():
    gold, predicted = ["measure a | 2018/19 q4 | 65%"], ["measure a | 2018/19 q4 | 65%"]
    assert match(gold, predicted) == [(0, 0)]
    assert match(gold, predicted, (["green"], ["red"])) == []
    assert match(gold, predicted, (["green"], ["green"])) == [(0, 0)]
