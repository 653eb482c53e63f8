"""A third-party extractor, installed for real, is found through its entry point and loaded.

``tests/extractor_package`` is a tiny installable package (``pledgeflow-example-extractor``)
whose ``spending`` extractor yields records of a new kind, ``spending_mentions``. It is
installed with pip into a temporary folder (never into the project's venv) and put on
``PYTHONPATH`` for the ``pledgeflow`` console script, run in subprocesses.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

# installs a plugin package into the environment and runs a flow
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "extractor_package"
EALING_PDF = HERE.parent / "samples" / "pdf" / "ealing-pledges-2022.pdf"
PLEDGEFLOW = Path(sys.executable).parent / "pledgeflow"


def _pip_install(src: Path, target: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
         "--no-input", "--target", str(target), *extra, str(src)],
        capture_output=True, text=True, timeout=300,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The example package installed into a temporary folder; returns that folder."""
    tmp = tmp_path_factory.mktemp("third_party")
    # Build from a copy: setuptools writes build/ and *.egg-info beside the sources.
    src = shutil.copytree(PACKAGE, tmp / "src",
                          ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    site = tmp / "site"
    result = _pip_install(src, site, "--no-build-isolation")
    if result.returncode != 0:
        # setuptools < 70.1 cannot build a wheel without the separate `wheel` package
        # ("invalid command 'bdist_wheel'"), and the venv may have neither. Then let pip
        # build in isolation, taking setuptools from the indexes it is configured with.
        shutil.rmtree(site, ignore_errors=True)
        isolated = _pip_install(src, site)
        assert isolated.returncode == 0, (
            "installing tests/extractor_package failed\n--- with --no-build-isolation:\n"
            f"{result.stdout}{result.stderr}\n--- with build isolation:\n"
            f"{isolated.stdout}{isolated.stderr}")
    assert (site / "pledgeflow_example" / "spending.patterns.jsonl").is_file(), \
        "package data was not installed"
    return site


def _run(args: list[str], site: Path, cwd: Path,
         python: bool = False) -> subprocess.CompletedProcess:
    """``pledgeflow ARGS`` (``python``: ``python ARGS``) with the package installed."""
    env = dict(os.environ)
    env.update(PYTHONPATH=str(site), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1",
               PREFECT_HOME=str(site.parent / "prefect"))
    env.pop("PREFECT_API_URL", None)  # always the temporary local server, never a real one
    program = sys.executable if python else str(PLEDGEFLOW)
    return subprocess.run([program, *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def test_extractors_lists_the_entry_point(installed: Path) -> None:
    result = _run(["extractors"], installed, cwd=installed.parent)
    assert result.returncode == 0, result.stderr
    rows = {line.split("\t")[0]: line.split("\t") for line in result.stdout.splitlines()}
    assert rows["spending"] == ["spending", "1", "spending_mentions", "pledgeflow_example"]
    assert "pledges" in rows  # the built-ins are still there


def test_pipeline_loads_the_new_record_kind(installed: Path) -> None:
    tmp = installed.parent
    (tmp / "ealing.pdf").write_bytes(EALING_PDF.read_bytes())  # beside its catalog
    catalog = tmp / "catalog.toml"
    catalog.write_text("""
[[sources]]
id = "ealing-labour-2022"
url = "ealing.pdf"
organisation = "Ealing Labour / Ealing Learning Partnership"
council = "Ealing"
party = "Labour"
kind = "manifesto"
title = "Manifesto pledges 2022-2026 and partnership goals"
period = "2022-2026"
""", encoding="utf-8")
    db_path = tmp / "t.db"
    result = _run(["run", "--sources", str(catalog), "--db", str(db_path),
                   "--raw-dir", str(tmp / "raw"), "--processed-dir", str(tmp / "processed")],
                  installed, cwd=tmp)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"

    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        assert conn.execute("select count(*) from failures").fetchone()[0] == 0, \
            [dict(r) for r in conn.execute("select * from failures")]
        documents = conn.execute("select * from documents").fetchall()
        assert len(documents) == 1
        document = documents[0]
        assert json.loads(document["extractors"])["spending"] == "1"
        tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        assert "spending_mentions" in tables
        mentions = conn.execute("select * from spending_mentions").fetchall()
        pledges = conn.execute("select count(*) from pledges where document_id = ?",
                               [document["id"]]).fetchone()[0]
    finally:
        conn.close()

    assert pledges > 0, "the built-in pledges extractor ran alongside the third-party one"
    hits = [m for m in mentions if "£100m" in m["text"]]
    assert len(hits) == 1, [dict(m) for m in mentions]
    mention = hits[0]
    assert mention["amount_text"] == "£100m"
    assert mention["document_id"] == document["id"]
    assert mention["extractor"] == "spending"
    assert mention["extractor_version"] == "1"
    assert mention["rule"] == "money_amount"
    assert mention["page"] == 1
    assert mention["section"]  # the heading the paragraph sits under

    # The offsets point into the parsed document's text at exactly the matched amount,
    # inside the block the record names.
    doc = json.loads((tmp / document["processed_path"]).read_text(encoding="utf-8"))
    assert doc["id"] == document["id"]
    assert doc["text"][mention["start"]:mention["end"]] == mention["amount_text"]
    block = doc["blocks"][mention["block"]]
    assert block["kind"] in ("paragraph", "list_item")
    assert block["start"] <= mention["start"] < mention["end"] <= block["end"]
    assert mention["text"] in block["text"]

    # Everywhere a built-in kind appears: its current_ view, both exports, Datasette's
    # notes and eval, each from the kind's declaration alone.
    conn = sqlite3.connect(db_path)
    try:
        current = conn.execute("select count(*) from current_spending_mentions where "
                               "source_id = 'ealing-labour-2022'").fetchone()[0]
    finally:
        conn.close()
    assert current == len(mentions)
    for fmt in ("json", "csv"):
        exported = _run(["export", "--db", str(db_path), "--out", str(tmp / fmt), "--format",
                         fmt], installed, cwd=tmp)
        assert exported.returncode == 0, exported.stderr
    data = json.loads((tmp / "json" / "ealing-labour-2022.json").read_text(encoding="utf-8"))
    assert "£100m" in [m["amount_text"] for m in data["spending_mentions"]]
    csv_text = (tmp / "csv" / "spending_mentions.csv").read_text(encoding="utf-8")
    assert csv_text.startswith("source_id,") and "£100m" in csv_text
    meta = _run(["-c", "import json; from pledgeflow.research.browse import metadata; "
                 "print(json.dumps(metadata('pf')))"], installed, cwd=tmp, python=True)
    assert meta.returncode == 0, meta.stderr
    notes = json.loads(meta.stdout)["databases"]["pf"]["tables"]["spending_mentions"]
    assert notes["description"].startswith("Money amounts")
    assert notes["columns"]["amount_text"].startswith("The amount as printed")
    gold = tmp / "gold"
    gold.mkdir()
    (gold / "ealing-labour-2022.json").write_text(json.dumps(
        {"spending_mentions": [{"amount_text": "£100m"}]}), encoding="utf-8")
    scored = _run(["eval", str(gold), "--db", str(db_path), "--json"], installed, cwd=tmp)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["totals"]["spending_mentions"]["matched"] == 1
