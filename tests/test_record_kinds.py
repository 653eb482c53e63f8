"""A record kind is declared once, on its Record class, and everything derives from it.

The third-party kind here, ``pledged_money``, is known only from an extractor installed
the way a package installs one: a folder on ``sys.path`` holding the package and its
``.dist-info`` with an entry point in the group ``pledgeflow.extractors`` (what pip
writes, without running pip; tests/test_third_party_extractor.py installs a package with
pip for real). It must appear everywhere a built-in kind does: its table, full-text index
and ``current_`` view, the JSON and CSV exports, Datasette's notes, ``pledgeflow eval``
and the schema page.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
from click.testing import CliRunner

from pledgeflow import stages
from pledgeflow.catalog import load_catalog
from pledgeflow.cli import main
from pledgeflow.document import Block, Document
from pledgeflow.records import Provenance, Record, column
from pledgeflow.registry import record_kinds
from pledgeflow.research.browse import metadata
from pledgeflow.research.evaluate import evaluate
from pledgeflow.research.export import export_csv, export_json
from pledgeflow.research.schemadoc import record_tables, update
from pledgeflow.store import db as store
from pledgeflow.store import load
from pledgeflow.store.doctor import diagnose

SCHEMA_PAGE = Path(__file__).resolve().parents[1] / "docs" / "schema.md"

MODULE = '''"""Sums of money pledged: a maintainer's record kind, declared once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from pledgeflow.records import Provenance, Record, column

AMOUNT = re.compile(r"£(\\d+(?:\\.\\d+)?)\\s*(million|m\\b)?")


@dataclass(kw_only=True)
class PledgedMoney(Record):
    kind: ClassVar[str] = "pledged_money"
    description: ClassVar[str] = "Sums of money a pledge commits, one row per amount."
    facets: ClassVar[tuple[str, ...]] = ("currency",)
    fts: ClassVar[tuple[str, ...]] = ("text",)
    match_on: ClassVar[tuple[str, ...]] = ("amount_text",)
    text: str = column("The sentence the amount is in")
    amount_text: str = column("The amount as printed")
    amount: float | None = column("The amount in units of its currency", default=None)
    currency: str | None = column("Its currency, e.g. GBP", default=None)


class MoneyExtractor:
    name = "money"
    version = "1"
    kinds = ("pledged_money",)

    def extract(self, doc, nlp):
        for block in doc.blocks:
            for m in AMOUNT.finditer(block.text):
                scale = 1_000_000 if m.group(2) else 1
                yield PledgedMoney(
                    text=block.text, amount_text=m.group(0).strip(),
                    amount=float(m.group(1)) * scale, currency="GBP",
                    provenance=Provenance(
                        document_id=doc.id, block=block.index, page=block.page,
                        section=block.heading, start=block.start + m.start(),
                        end=block.start + m.start() + len(m.group(0).strip()),
                        rule="pound_amount"))
'''

PAGE = """<html><head><title>Our plan</title></head><body>
<h1>Schools</h1>
<p>We will invest £20 million in new primary schools across the borough.</p>
<h1>Transport</h1>
<p>We will spend £5m on safer bus routes to every school.</p>
</body></html>
"""

CATALOG = """[[sources]]
id = "money-plan"
url = "plan.html"
organisation = "Test Party"
council = "Testshire"
party = "Test"
kind = "manifesto"
title = "Our plan"
period = "2025-2029"
"""


def install(site: Path) -> None:
    """The package and the metadata pip would write for it, in ``site``."""
    package = site / "pledgeflow_money"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "money.py").write_text(MODULE, encoding="utf-8")
    info = site / "pledgeflow_money-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: pledgeflow-money\n"
                                   "Version: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "[pledgeflow.extractors]\nmoney = pledgeflow_money.money:MoneyExtractor\n",
        encoding="utf-8")


@pytest.fixture
def loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A database with one source loaded by the built-in pledges extractor and the
    installed money extractor, as a run loads it."""
    install(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    (tmp_path / "plan.html").write_text(PAGE, encoding="utf-8")
    (tmp_path / "catalog.toml").write_text(CATALOG, encoding="utf-8")
    settings = stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                               extractors=("pledges", "money"))
    db_path = tmp_path / "pf.db"
    database = store.open_db(db_path)
    catalog = load_catalog(tmp_path / "catalog.toml")
    store.upsert_sources(database, catalog)
    fetched = stages.fetch_source(catalog[0], settings)
    extracted = stages.extract_parsed(stages.parse_fetched(fetched, settings), settings)
    assert not extracted.extraction.errors
    load.load_extracted(database, fetched, extracted)
    database.close()
    return db_path


def test_the_committed_schema_page_is_what_the_declarations_say():
    page = SCHEMA_PAGE.read_text(encoding="utf-8")
    assert update(page, record_kinds(installed=False)) == page, (
        "docs/schema.md is out of date: run `pledgeflow schema-doc`")


def test_schema_doc_check_fails_on_a_stale_page_and_writing_mends_it(tmp_path):
    page = tmp_path / "schema.md"
    page.write_text(SCHEMA_PAGE.read_text(encoding="utf-8").replace(
        "| `risk` | TEXT | The risk |", "| `risk` | TEXT | something else |"),
        encoding="utf-8")
    runner = CliRunner()
    stale = runner.invoke(main, ["schema-doc", "--path", str(page), "--check"])
    assert stale.exit_code == 1 and "out of date" in stale.output
    assert runner.invoke(main, ["schema-doc", "--path", str(page)]).exit_code == 0
    assert page.read_text(encoding="utf-8") == SCHEMA_PAGE.read_text(encoding="utf-8")


def test_installed_kind_gets_its_table_view_and_search_index(loaded):
    conn = sqlite3.connect(loaded)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("select * from current_pledged_money order by start").fetchall()
        found = conn.execute("select m.amount_text from pledged_money_fts f join "
                             "pledged_money m on m.rowid = f.rowid where pledged_money_fts "
                             "match 'bus'").fetchall()
        columns = [r[1] for r in conn.execute("pragma table_info(pledged_money)")]
        fks = {(r["from"], r["table"]) for r in conn.execute(
            "pragma foreign_key_list(pledged_money)")}
    finally:
        conn.close()
    assert [(r["amount_text"], r["amount"], r["source_id"]) for r in rows] == [
        ("£20 million", 20_000_000.0, "money-plan"), ("£5m", 5_000_000.0, "money-plan")]
    assert [r[0] for r in found] == ["£5m"]  # indexed by the load, as pledges are
    assert columns[:6] == ["id", "document_id", "text", "amount_text", "amount", "currency"]
    assert fks == {("document_id", "documents"), ("block_id", "blocks")}
    # pledgeflow doctor checks its full-text index as it checks the built-ins'
    conn = sqlite3.connect(loaded)
    conn.execute("delete from pledged_money_fts where rowid = (select min(rowid) from "
                 "pledged_money)")
    conn.commit()
    conn.close()
    problems = diagnose(loaded, loaded.parent / "raw")
    assert [p.detail.split(":")[0] for p in problems
            if p.what == "full-text index out of sync"] == ["pledged_money_fts"]


def test_installed_kind_is_exported_as_json_and_csv(loaded, tmp_path):
    database = store.open_db(loaded)
    (path,) = export_json(database, tmp_path / "json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["pledges"], "the built-in kinds are exported alongside"
    first = data["pledged_money"][0]
    assert {k: first[k] for k in ("text", "amount_text", "amount", "currency")} == {
        "text": "We will invest £20 million in new primary schools across the borough.",
        "amount_text": "£20 million", "amount": 20_000_000.0, "currency": "GBP"}
    assert first["provenance"]["rule"] == "pound_amount"
    assert first["provenance"]["extractor"] == "money"

    files = {p.name for p in export_csv(database, tmp_path / "csv")}
    assert {"pledged_money.csv", "pledges.csv", "kpi_targets.csv"} <= files
    with (tmp_path / "csv" / "pledged_money.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["source_id"], r["amount_text"], r["rule"], r["section"]) for r in rows] == [
        ("money-plan", "£20 million", "pound_amount", "Schools"),
        ("money-plan", "£5m", "pound_amount", "Transport")]


def test_installed_kind_has_its_notes_in_datasette(loaded):
    from datasette.app import Datasette

    meta = metadata("pf")
    notes = meta["databases"]["pf"]["tables"]["pledged_money"]
    assert notes["description"] == "Sums of money a pledge commits, one row per amount."
    assert notes["fts_table"] == "pledged_money_fts" and notes["facets"] == ["currency"]
    conn = sqlite3.connect(loaded)
    try:
        held = [r[1] for r in conn.execute("pragma table_info(pledged_money)")]
    finally:
        conn.close()
    assert [c for c in held if not notes["columns"].get(c)] == []
    assert notes["columns"]["amount_text"] == "The amount as printed"

    async def page() -> tuple[int, str, dict]:
        datasette = Datasette([str(loaded)], immutables=[], metadata=meta)
        html = await datasette.client.get("/pf/pledged_money")
        served = await datasette.client.get("/-/metadata.json")
        return html.status_code, html.text, served.json()

    status, html, served = asyncio.run(page())
    assert status == 200
    assert "Sums of money a pledge commits" in html and "£20 million" in html
    assert served["databases"]["pf"]["tables"]["pledged_money"]["columns"]["amount"] == (
        "The amount in units of its currency")


def test_installed_kind_is_scored_by_eval_on_its_key(loaded, tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "money-plan.json").write_text(json.dumps({"pledged_money": [
        {"amount_text": "£20 million"}, {"amount_text": "£7 million"}]}), encoding="utf-8")
    score = evaluate(store.open_db(loaded), gold).totals["pledged_money"]
    assert (score.matched, score.gold, score.predicted) == (1, 2, 2)

    result = CliRunner().invoke(main, ["eval", str(gold), "--db", str(loaded), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["totals"]["pledged_money"]["matched"] == 1
    assert [m["text"] for m in data["missed"] if m["kind"] == "pledged_money"] == ["£7 million"]


def test_installed_kind_is_on_the_schema_page_it_generates(loaded):
    page = record_tables(record_kinds())
    assert "#### pledged_money" in page
    assert "| `amount_text` | TEXT | The amount as printed |" in page
    assert "Full-text index `pledged_money_fts` over `text`." in page
    assert "#### pledged_money" not in record_tables(record_kinds(installed=False))


@dataclass(kw_only=True)
class Commitment(Record):
    """A kind no extractor names: still loaded, and given a view."""

    kind: ClassVar[str] = "commitments_seen"
    text: str = column("The commitment")


def _one_record(kind: type[Record], id_char: str) -> tuple[Document, Record]:
    """A one-paragraph document and one record of ``kind`` found in it."""
    doc = Document.from_blocks([Block("paragraph", "We will plant trees.")], id=id_char * 64,
                               media_type="text/html", title="t", parser="html",
                               parser_version="1", source_id="s", url="https://example.org/")
    record = kind(text="We will plant trees.", provenance=Provenance(
        document_id=doc.id, block=0, page=None, section=None, start=0, end=20, rule="r"))
    return doc, record


def _store(database, doc: Document, record: Record) -> None:
    store.store_document(database, doc, [record], fetched={}, raw_path="r",
                         processed_path="p", extractor_versions={})


def test_a_kind_table_from_before_views_were_derived_gets_its_view_on_open(tmp_path):
    database = store.open_db(tmp_path / "pf.db")
    _store(database, *_one_record(Commitment, "d"))
    database.execute("drop view current_commitments_seen")  # as an older pledgeflow left it
    database.close()
    reopened = store.open_db(tmp_path / "pf.db")
    assert reopened.view("current_commitments_seen").exists()


@dataclass(kw_only=True)
class Misindexed(Record):
    kind: ClassVar[str] = "misindexed"
    fts: ClassVar[tuple[str, ...]] = ("body",)  # no such column
    text: str = column("The text")


def test_a_kind_declaring_a_search_column_it_lacks_is_refused_and_nothing_stays(tmp_path):
    database = store.open_db(tmp_path / "pf.db")
    with pytest.raises(ValueError, match="full-text columns it does not have: body"):
        _store(database, *_one_record(Misindexed, "e"))
    assert not database.table("misindexed").exists()
    assert database.execute("select count(*) from documents").fetchone()[0] == 0


def test_the_csv_columns_docs_export_lists_are_the_files_export_writes():
    """docs/export.md's table of CSV files names each file's own columns as the export
    writes them, in order (a column added to a kind goes at the end, where it keeps the
    places of the others)."""
    from pledgeflow.research.export import csv_files

    page = (Path(__file__).resolve().parent.parent / "docs" / "export.md").read_text()
    documented = {}
    for line in page.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].endswith(".csv") and " " not in cells[0]:
            documented[cells[0]] = tuple(c.strip() for c in cells[1].split(","))
    written = {f"{table}.csv": own for table, own, _, _ in csv_files(record_kinds())}
    assert documented == written
    assert written["kpis.csv"][-1] == written["outturns.csv"][-1] == "definition"
