"""The command line, through click's runner and the Python API it wraps."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner

from pledgeflow.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_help_lists_every_command():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "export", "extract", "extractors", "failures"):
        assert command in result.output


def test_extractors_lists_built_ins_with_versions():
    lines = invoke("extractors").output.splitlines()
    names = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert {"pledges", "kpis", "actions", "risks"} <= set(names)
    assert names["pledges"][2] == "pledges,targets"


def test_export_writes_one_gold_format_file_per_source(sample_run, tmp_path):
    result = invoke("export", "--db", str(sample_run.db_path), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    files = sorted(p.stem for p in tmp_path.glob("*.json"))
    assert files == sorted(sample_run.documents)
    plan = json.loads((tmp_path / "cwac-thriving-economy-2016.json").read_text("utf-8"))
    assert set(plan) >= {"pledges", "targets", "kpis", "actions", "risks"}
    kpi = plan["kpis"][0]
    assert set(kpi["targets"]) == {"2018/19 Target", "2019/20 Target"}
    assert {"id", "text", "deadline", "owners", "initiative"} <= set(plan["actions"][0])


def test_extract_prints_records_of_one_local_file(samples_dir):
    result = invoke("extract", str(samples_dir / "html" / "bnes-libdem-children.html"))
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert out["media_type"] == "text/html"
    texts = [p["text"] for p in out["records"]["pledges"]]
    assert any("Good OFSTED" in t for t in texts)


def test_extract_reads_plain_text_paragraphs(tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("The town hall opened in 1901.\n\nWe will plant a tree for every child "
                    "born in the borough.\n", encoding="utf-8")
    out = json.loads(invoke("extract", str(note)).output)
    assert [p["text"] for p in out["records"]["pledges"]] == [
        "We will plant a tree for every child born in the borough."]


def test_run_refuses_a_database_of_another_application(tmp_path, samples_dir):
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("create table customers (id integer primary key, name text)")
    before = foreign.read_bytes()
    result = CliRunner().invoke(main, ["run", "--sources", str(samples_dir / "catalog.toml"),
                                       "--db", str(foreign)])
    assert result.exit_code == 2  # nothing ran: a usage error, not failed documents
    assert "not a pledgeflow database" in result.output or "another application" in result.output
    assert foreign.read_bytes() == before


def test_run_reports_a_bad_catalog_clearly(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[sources]]\nid = "Not A Slug"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "--sources", str(bad), "--db",
                                       str(tmp_path / "x.db")])
    assert result.exit_code == 2
    assert "missing" in result.output


def test_run_exits_2_for_a_missing_catalog_or_an_unknown_source(tmp_path, samples_dir):
    missing = CliRunner().invoke(main, ["run", "--sources", str(tmp_path / "none.toml"),
                                        "--db", str(tmp_path / "x.db")])
    assert missing.exit_code == 2 and "catalog not found" in missing.output
    unknown = CliRunner().invoke(main, ["run", "--sources", str(samples_dir / "catalog.toml"),
                                        "--db", str(tmp_path / "x.db"), "--only", "nosuch"])
    assert unknown.exit_code == 2 and "not in the catalog: nosuch" in unknown.output
    assert not (tmp_path / "x.db").exists()  # refused before anything was written


def test_extract_names_an_unknown_extractor_clearly(samples_dir):
    result = CliRunner().invoke(main, ["extract", str(samples_dir / "html" /
                                                      "bnes-libdem-children.html"),
                                       "--extractor", "nosuch"])
    assert result.exit_code == 1
    assert "unknown extractor(s): nosuch" in result.output
    assert "Traceback" not in result.output


def test_extract_reads_a_csv_of_statements_one_row_at_a_time(tmp_path):
    sheet = tmp_path / "statements.csv"
    sheet.write_text(
        "party,date,statement\n"
        'Labor,2022-05-01,"Labor will build 20 new urgent care clinics"\n'
        'Greens,2022-05-02,"The Prime Minister visited a factory today"\n'
        'Liberal,2022-05-03,"We will cut the fuel excise in half for six months"\n',
        encoding="utf-8")
    out = json.loads(invoke("extract", str(sheet)).output)
    assert out["media_type"] == "text/csv"
    pledges = out["records"]["pledges"]
    assert [p["text"] for p in pledges] == ["Labor will build 20 new urgent care clinics",
                                            "We will cut the fuel excise in half for six months"]
    assert pledges[0]["section"] == "row 2 (party: Labor | date: 2022-05-01)"


def test_extract_takes_one_statement_per_line_in_plain_text(tmp_path):
    lines = tmp_path / "statements.txt"
    lines.write_text("We will hire 500 more teachers\n"
                     "The weather in the capital was mild\n"
                     "Labor will build a new hospital in the west of the city, with 300 beds "
                     "and an emergency department open around the clock\n", encoding="utf-8")
    texts = [p["text"] for p in json.loads(invoke("extract", str(lines)).output)
             ["records"]["pledges"]]
    assert texts == ["We will hire 500 more teachers",
                     "Labor will build a new hospital in the west of the city, with 300 beds "
                     "and an emergency department open around the clock"]


def test_extract_joins_hard_wrapped_plain_text(tmp_path):
    wrapped = tmp_path / "wrapped.txt"
    wrapped.write_text("Our town has grown quickly over the last decade and we will\n"
                       "build a new secondary school on the old depot site before the\n"
                       "end of the next council term.\n", encoding="utf-8")
    (pledge,) = json.loads(invoke("extract", str(wrapped)).output)["records"]["pledges"]
    assert pledge["text"].startswith("Our town has grown") and pledge["text"].endswith("term.")


def test_export_csv_writes_one_file_per_kind_with_source_and_provenance(sample_run, tmp_path):
    import csv

    result = invoke("export", "--db", str(sample_run.db_path), "--out", str(tmp_path),
                    "--format", "csv")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == [
        "action_updates.csv", "actions.csv", "kpi_targets.csv", "kpis.csv", "outturns.csv",
        "pledges.csv", "risks.csv", "targets.csv"]
    with (tmp_path / "pledges.csv").open(encoding="utf-8") as fh:
        pledges = list(csv.DictReader(fh))
    assert len(pledges) == 139
    with (tmp_path / "outturns.csv").open(encoding="utf-8") as fh:
        outturns = list(csv.DictReader(fh))
    assert len(outturns) == 26 and all(o["plan_measure"] and o["kpi_id"] for o in outturns)
    first = next(p for p in pledges if p["source_id"] == "ealing-labour-2022")
    assert first["council"] == "Ealing" and first["page"] == "1" and first["rule"]
    assert first["url"].startswith("file://") and first["topic"]
    with (tmp_path / "kpi_targets.csv").open(encoding="utf-8") as fh:
        cells = list(csv.DictReader(fh))
    assert len(cells) == 32 and {c["period"] for c in cells} == {"2018/19 Target",
                                                              "2019/20 Target"}


def test_report_draws_pledges_by_topic_and_each_kpi_over_time(sample_run, tmp_path):
    out = tmp_path / "report.html"
    result = invoke("report", "--db", str(sample_run.db_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "Ealing Labour / Ealing Learning Partnership: pledges by topic" in page
    import re

    assert "Cheshire West and Chester: KPIs over time" in page
    # every KPI of the plan has its heading, its measure in full
    assert page.count("<h3>") == 16
    assert ("<h3>Increase the average earnings by residents of CWaC, measured by the average "
            "gross weekly pay for full time workers (ONS Survey)</h3>") in page
    charts = re.findall(r"<svg role=\"img\" aria-label=\"([^\"]*)\".*?</svg>", page, re.S)
    topics = page.count("pledges by topic</h2>")  # a bar chart each
    assert len(charts) == len(re.findall("<svg", page)) - topics == 11  # 5 KPIs: text only
    secondary = next(c for c in re.findall(r"<svg role=\"img\" aria-label.*?</svg>", page,
                                           re.S) if "good or better secondary" in c)
    # both reports' actuals, each with its status in words, beside the year's target
    assert "90.2% Red" in secondary and "91.8% Red" in secondary
    assert "target 96.4%" in secondary and "target 100.0%" in secondary
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):  # one unit per axis
        ticks = re.findall(r'text-anchor="end">([^<]*)<', svg)
        assert not (any("%" in t for t in ticks) and any("\u00a3" in t for t in ticks))
