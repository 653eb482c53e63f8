"""Scanned PDF pages read by OCR, bounded per document, and turned off by --no-ocr.

``fixtures/scanned/scanned-plan.pdf`` is two pages of pictures and no text layer, made by
``make.py`` there from text written for these tests (a fictional council). OCR runs for
real (RapidOCR, the ``ocr`` extra, which the test extra installs).
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader, PdfWriter

from pledgeflow.cli import main
from pledgeflow.document import Document
from pledgeflow.nlp import build_nlp
from pledgeflow.parse import NeedsOCR
from pledgeflow.parse.ocr import OcrOptions, page_ranges, reads_more
from pledgeflow.parse.pdf import parse_pdf
from pledgeflow.registry import get_extractors, run_extractors
from pledgeflow.research.export import source_records
from pledgeflow.store.db import open_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SCANNED = FIXTURES / "scanned" / "scanned-plan.pdf"
PRINTED = FIXTURES / "printed" / "manifesto.pdf"
TREES = "We will plant 3,000 street trees by March 2028."
ITEMS = ["resurface 40 miles of footway in the wards with the worst pavements",
         "open two new recycling centres by the end of 2027"]


def scanned(ocr: OcrOptions | None = None, data: bytes | None = None) -> Document:
    return parse_pdf(data or SCANNED.read_bytes(), document_id="scanned", ocr=ocr)


def text_then_scan() -> bytes:
    """A printed page with a text layer, then the first scanned page."""
    writer = PdfWriter()
    writer.add_page(PdfReader(PRINTED).pages[0])
    writer.add_page(PdfReader(SCANNED).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def read() -> Document:
    return scanned()


def test_the_fixture_is_small_and_has_no_text_layer():
    assert SCANNED.stat().st_size < 200_000
    reader = PdfReader(SCANNED)
    assert len(reader.pages) == 2
    assert all(not page.extract_text().strip() for page in reader.pages)


@pytest.mark.slow  # reads pages with the OCR model
def test_a_scan_is_read_into_headings_paragraphs_and_list_items(read):
    assert read.ocr_pages == [1, 2] and read.unread_pages == [] and read.warnings == []
    assert all(b.ocr for b in read.blocks)
    headings = [(b.text, b.level) for b in read.blocks if b.kind == "heading"]
    assert ("Greener Streets Plan 2026 to 2030", 1) in headings
    assert ("Our commitments", 2) in headings
    assert read.title == "Greener Streets Plan 2026 to 2030"
    paragraph = next(b for b in read.blocks if TREES in b.text)
    assert paragraph.kind == "paragraph" and paragraph.page == 1
    items = [b for b in read.blocks if b.kind == "list_item" and b.page == 1]
    assert [b.text for b in items][:2] == ITEMS
    assert all(b.lead_in == "In the first year of this plan we will:" for b in items)
    assert items[0].section == ["Greener Streets Plan 2026 to 2030", "Our commitments"]


@pytest.mark.slow  # reads pages with the OCR model
def test_a_skewed_grainy_two_column_scan_keeps_its_lines_paragraphs_and_lists():
    # made here by make.py (turned 1.2 degrees, grainy, Times at 10 pt): a line's words
    # must stay one line, columns read one after the other, and the size estimates stay
    # one per style so paragraphs do not break
    sys.path.insert(0, str(SCANNED.parent))
    try:
        from make import TWO_COLUMNS, two_column_scan
    finally:
        sys.path.remove(str(SCANNED.parent))
    doc = parse_pdf(two_column_scan(), document_id="two-columns")
    assert doc.blocks[0].kind == "heading" and doc.blocks[0].text == TWO_COLUMNS["heading"]
    paragraphs = [b.text for b in doc.blocks if b.kind == "paragraph"]
    assert paragraphs.count(TWO_COLUMNS["paragraph"]) == 2
    items = [b.text for b in doc.blocks if b.kind == "list_item"]
    numbered = [f"{n}. {item}" for n, item in enumerate(TWO_COLUMNS["items"], start=1)]
    assert items == numbered * 2


@pytest.mark.slow  # reads pages with the OCR model
def test_pledges_from_a_scan_carry_ocr_in_their_provenance(read):
    result = run_extractors(read, get_extractors(), build_nlp())
    pledges = [r for r in result.records if r.kind == "pledges"]
    texts = [p.text for p in pledges]
    assert TREES in texts and ITEMS[0] in texts
    assert "We will introduce 20 mph limits outside every primary school by 2027." in texts
    assert all(p.provenance.ocr for p in result.records)
    assert all(p.row()["ocr"] == 1 for p in pledges)


def test_a_printed_page_is_not_ocrd():
    doc = parse_pdf(PRINTED.read_bytes(), document_id="printed")
    assert doc.ocr_pages == [] and doc.unread_pages == []
    assert not any(b.ocr for b in doc.blocks)


def test_no_ocr_reads_nothing_of_a_scan_and_says_why():
    with pytest.raises(NeedsOCR, match=r"not OCR'd: OCR is off \(--no-ocr\)"):
        scanned(OcrOptions(enabled=False))


@pytest.mark.slow  # reads pages with the OCR model
def test_the_page_limit_reads_the_first_pages_and_records_the_rest():
    doc = scanned(OcrOptions(max_pages=1))
    assert doc.ocr_pages == [1] and doc.unread_pages == [2]
    assert doc.warnings == ["page 2: no text layer, not read: past the limit of 1 OCR pages "
                            "a document"]
    assert {b.page for b in doc.blocks} == {1}
    assert any(TREES in b.text for b in doc.blocks)


@pytest.mark.slow  # reads pages with the OCR model
def test_the_time_budget_stops_after_the_page_that_spends_it():
    # a budget of 0 s is spent by the first page: the first is read, the next is not
    doc = scanned(OcrOptions(seconds=0))
    assert doc.ocr_pages == [1] and doc.unread_pages == [2]
    assert "past the OCR time budget of 0 s a document" in doc.warnings[0]


def test_a_limit_of_no_pages_fails_a_scan_with_the_reason():
    with pytest.raises(NeedsOCR, match="past the limit of 0 OCR pages"):
        scanned(OcrOptions(max_pages=0))


def test_no_ocr_keeps_the_text_pages_and_lists_the_scanned_one():
    doc = scanned(OcrOptions(enabled=False), data=text_then_scan())
    assert doc.ocr_pages == [] and doc.unread_pages == [2]
    assert doc.warnings == ["page 2: no text layer, not read: OCR is off (--no-ocr)"]
    assert {b.page for b in doc.blocks} == {1} and not any(b.ocr for b in doc.blocks)


def test_page_ranges_name_pages_for_a_person():
    assert page_ranges([3]) == "page 3:"
    assert page_ranges([7, 2, 3, 4]) == "pages 2-4, 7:"


def test_without_the_ocr_engine_a_scan_fails_with_the_install_hint():
    # A fresh interpreter where the engine cannot be imported, as without the extra.
    code = ("import sys; sys.modules['rapidocr'] = None\n"
            "from pathlib import Path\n"
            "from pledgeflow.parse import NeedsOCR\n"
            "from pledgeflow.parse.pdf import parse_pdf\n"
            "try:\n"
            f"    parse_pdf(Path({str(SCANNED)!r}).read_bytes(), document_id='s')\n"
            "except NeedsOCR as exc:\n"
            "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert "no OCR engine (install the OCR extra: pip install 'pledgeflow[ocr]')" in out


@pytest.mark.slow  # reads pages with the OCR model
def test_extract_command_reads_a_scan_and_no_ocr_refuses_it():
    runner = CliRunner()
    off = runner.invoke(main, ["extract", "--no-ocr", "--extractor", "pledges", str(SCANNED)])
    assert off.exit_code == 1 and "OCR is off (--no-ocr)" in off.output
    on = runner.invoke(main, ["extract", "--ocr-pages", "1", "--extractor", "pledges",
                              str(SCANNED)])
    assert on.exit_code == 0, on.output
    out = json.loads(on.stdout)
    pledges = out["records"]["pledges"]
    assert TREES in [p["text"] for p in pledges] and all(p["ocr"] == 1 for p in pledges)
    assert {p["page"] for p in pledges} == {1}
    assert out["warnings"] == ["page 2: no text layer, not read: past the limit of 1 OCR "
                               "pages a document"]


def catalog_of(tmp_path: Path, urls: dict[str, str]) -> Path:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("".join(f"""
[[sources]]
id = "{name}"
url = "{url}"
organisation = "Ashcombe District Council"
council = "Ashcombe"
kind = "council_plan"
title = "{name}"
period = "2026-2030"
""" for name, url in urls.items()))
    return catalog


def pledges_of(db: Path, source_id: str) -> list[tuple]:
    """The text, page and ocr flag of each pledge a source serves now."""
    with sqlite3.connect(db) as conn:
        return conn.execute("select p.text, p.page, p.ocr from pledges p join source_documents l "
                            "on l.document_id = p.document_id where l.source_id = ? "
                            "and l.current = 1", [source_id]).fetchall()


def newest_failures(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select source_id, error_type, message from failures where run_id = "
                            "(select id from runs order by started_at desc, rowid desc limit 1) "
                            "order by source_id").fetchall()


@pytest.mark.slow  # five flow runs with real OCR
@pytest.mark.usefixtures("prefect_harness")
def test_a_run_records_why_scans_were_not_read_then_reads_them(tmp_path):
    """--no-ocr: the scan fails with its reason, the mixed document loads its text page
    and records its scanned page as not read. With OCR, the scan's pledges load with
    ocr = 1 in the database, and the mixed document, unchanged, is parsed again because
    its scanned page can be read now. A run with the same settings parses nothing; one
    with a higher page limit reads the page the limit left unread."""
    from pledgeflow.flows.pipeline import pipeline

    (tmp_path / "scan.pdf").write_bytes(SCANNED.read_bytes())
    (tmp_path / "mixed.pdf").write_bytes(text_then_scan())
    catalog = catalog_of(tmp_path, {"scan": "scan.pdf", "mixed": "mixed.pdf"})
    db = tmp_path / "pf.db"

    def run(**ocr) -> dict:
        return pipeline(sources=str(catalog), db=str(db), raw_dir=str(tmp_path / "raw"),
                        processed_dir=str(tmp_path / "processed"), **ocr)

    off = run(ocr=False)
    assert off["documents"] == 1 and off["failed"] == 2
    with sqlite3.connect(db) as conn:
        failures = conn.execute("select source_id, stage, error_type, message from failures "
                                "order by source_id").fetchall()
    assert pledges_of(db, "scan") == []
    assert failures[0][:3] == ("mixed", "parse", "PagesNotRead")
    assert failures[0][3] == "page 2: no text layer, not read: OCR is off (--no-ocr)"
    assert failures[1][:3] == ("scan", "parse", "NeedsOCR")
    assert "OCR is off (--no-ocr)" in failures[1][3]
    assert TREES not in [text for text, _, _ in pledges_of(db, "mixed")]

    on = run(ocr=True, ocr_pages=1)
    # the scan, and the mixed document: the same bytes, but its scanned page is read now
    assert (on["documents"], on["parsed"], on["unchanged"]) == (2, 2, 0)
    rows = pledges_of(db, "scan")
    with sqlite3.connect(db) as conn:
        blocks = conn.execute("select count(*), min(ocr) from blocks b join source_documents l on "
                              "l.document_id = b.document_id where l.source_id = 'scan'").fetchone()
    assert (TREES, 1, 1) in rows and all(ocr == 1 for _, _, ocr in rows)
    assert blocks[0] > 0 and blocks[1] == 1
    exported = source_records(open_db(db), "scan")
    assert exported["pledges"] and all(p["provenance"]["ocr"] is True
                                       for p in exported["pledges"])
    mixed = pledges_of(db, "mixed")
    assert (TREES, 2, 1) in mixed and {ocr for _, page, ocr in mixed if page == 1} == {0}
    # the mixed document's unread page is no longer a current failure
    assert newest_failures(db) == [("scan", "PagesNotRead", "page 2: no text layer, not read: "
                                    "past the limit of 1 OCR pages a document")]

    again = run(ocr=True, ocr_pages=1)  # nothing more to read with the same bounds
    assert (again["documents"], again["parsed"], again["unchanged"]) == (0, 0, 2)

    more = run(ocr=True, ocr_pages=2)  # a bound raised: the scan's second page is read
    assert (more["documents"], more["parsed"], more["unchanged"]) == (1, 1, 1)
    assert {page for _, page, ocr in pledges_of(db, "scan") if ocr} == {1, 2}
    assert newest_failures(db) == []
    last = run(ocr=True, ocr_pages=2)
    assert (last["documents"], last["parsed"], last["unchanged"], last["failed"]) == (0, 0, 2, 0)


@pytest.mark.slow  # three flow runs against a local server
@pytest.mark.usefixtures("prefect_harness")
def test_a_served_document_answering_304_is_read_from_the_raw_folder_once_ocr_is_on(
        tmp_path, http_server):
    """The server answers 304 Not Modified to the second and later runs: the bytes the
    first run kept in raw/ are parsed again with OCR, once."""
    from pledgeflow.flows.pipeline import pipeline

    path = f"/ocr-revisit-{tmp_path.name}/mixed.pdf"
    http_server.route(path, body=text_then_scan(), headers={
        "Content-Type": "application/pdf", "ETag": '"mixed-1"'})
    catalog = catalog_of(tmp_path, {"served": http_server.url(path)})
    db = tmp_path / "pf.db"

    def run(**ocr) -> dict:
        return pipeline(sources=str(catalog), db=str(db), raw_dir=str(tmp_path / "raw"),
                        processed_dir=str(tmp_path / "processed"), **ocr)

    off = run(ocr=False)
    assert (off["documents"], off["failed"]) == (1, 1)
    assert TREES not in [text for text, _, _ in pledges_of(db, "served")]

    on = run(ocr=True)
    assert (on["not_modified"], on["documents"], on["parsed"], on["failed"]) == (1, 1, 1, 0)
    assert (TREES, 2, 1) in pledges_of(db, "served")
    assert newest_failures(db) == []
    with sqlite3.connect(db) as conn:
        etag = conn.execute("select etag from source_documents where source_id = 'served'"
                            ).fetchall()
    assert etag == [('"mixed-1"',)]

    again = run(ocr=True)
    assert (again["not_modified"], again["documents"], again["parsed"], again["unchanged"]
            ) == (1, 0, 0, 1)
    answers = [r.headers.get("If-None-Match") for r in http_server.requests_for(path)]
    assert answers == [None, '"mixed-1"', '"mixed-1"']


@pytest.mark.slow  # reads pages with the OCR model
def test_a_saved_parse_with_unread_pages_is_parsed_again_once_ocr_is_on(tmp_path):
    from pledgeflow import stages
    from pledgeflow.catalog import Source

    (tmp_path / "mixed.pdf").write_bytes(text_then_scan())
    source = Source(id="mixed", url="mixed.pdf", organisation="Ashcombe District Council",
                    council="Ashcombe", kind="council_plan", title="Mixed", period="2026-2030",
                    catalog_dir=str(tmp_path))
    off = stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                          ocr=OcrOptions(enabled=False))
    on = stages.Settings(raw_dir=off.raw_dir, processed_dir=off.processed_dir)
    fetched = stages.fetch_source(source, off)
    first = stages.parse_fetched(fetched, off)
    again_off = stages.parse_fetched(fetched, off)
    with_ocr = stages.parse_fetched(fetched, on)
    reused = stages.parse_fetched(fetched, on)
    assert first.document.unread_pages == [2] and again_off.cached
    assert not with_ocr.cached and with_ocr.document.ocr_pages == [2]
    assert reused.cached and reused.document.unread_pages == []


@pytest.mark.slow  # reads pages with the OCR model
def test_a_saved_parse_past_a_bound_is_reused_until_the_bound_is_raised(tmp_path):
    from pledgeflow import stages
    from pledgeflow.catalog import Source

    (tmp_path / "scan.pdf").write_bytes(SCANNED.read_bytes())
    source = Source(id="scan", url="scan.pdf", organisation="Ashcombe District Council",
                    council="Ashcombe", kind="council_plan", title="Scan", period="2026-2030",
                    catalog_dir=str(tmp_path))

    def settings(**ocr) -> stages.Settings:
        return stages.Settings(raw_dir=tmp_path / "raw", processed_dir=tmp_path / "processed",
                               ocr=OcrOptions(**ocr))

    fetched = stages.fetch_source(source, settings())
    one = stages.parse_fetched(fetched, settings(max_pages=1))
    assert one.document.unread_pages == [2]
    assert one.document.ocr_options == {"enabled": True, "max_pages": 1, "seconds": 60.0}
    assert stages.parse_fetched(fetched, settings(max_pages=1)).cached  # no more to read
    assert stages.parse_fetched(fetched, settings(enabled=False)).cached
    two = stages.parse_fetched(fetched, settings(max_pages=2))
    assert not two.cached and two.document.ocr_pages == [1, 2]


def test_reads_more_when_ocr_is_turned_on_or_a_bound_raised():
    was = {"enabled": True, "max_pages": 1, "seconds": 60.0}
    assert reads_more({**was, "enabled": False}, OcrOptions())  # off, or no engine, then
    assert reads_more(was, OcrOptions(max_pages=2))
    assert reads_more(was, OcrOptions(max_pages=1, seconds=90))
    assert reads_more(None, OcrOptions())  # saved before the options were kept
    assert not reads_more(was, OcrOptions(max_pages=1))
    assert not reads_more(was, OcrOptions(max_pages=1, seconds=30))
    assert not reads_more({**was, "enabled": False}, OcrOptions(enabled=False))


@pytest.mark.slow  # the real command, with its own temporary Prefect server
def test_pledgeflow_run_no_ocr_exits_1_and_failures_names_the_reason(tmp_path):
    """The option as a user types it: through the command, the flow and a parse worker."""
    import os

    (tmp_path / "scan.pdf").write_bytes(SCANNED.read_bytes())
    catalog = tmp_path / "catalog.toml"
    catalog.write_text("""
[[sources]]
id = "scan"
url = "scan.pdf"
organisation = "Ashcombe District Council"
council = "Ashcombe"
kind = "council_plan"
title = "Greener Streets Plan"
period = "2026-2030"
""")
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_HOME": str(tmp_path / "prefect"),
           # the run's temporary server starts slowly on a busy machine (20 s by default)
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    env.pop("PREFECT_API_URL", None)  # the run's own temporary server
    pledgeflow = Path(sys.executable).parent / "pledgeflow"
    db = tmp_path / "pf.db"
    run = subprocess.run([str(pledgeflow), "run", "--no-ocr", "--sources", str(catalog),
                          "--db", str(db), "--raw-dir", str(tmp_path / "raw"),
                          "--processed-dir", str(tmp_path / "processed")],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert run.returncode == 1, f"{run.stdout}\n{run.stderr}"
    listed = subprocess.run([str(pledgeflow), "failures", "--db", str(db)], capture_output=True,
                            text=True, env=env, cwd=tmp_path, timeout=120, check=True).stdout
    assert listed.startswith("scan\tparse\tNeedsOCR: PDF has no text layer")
    assert "OCR is off (--no-ocr)" in listed
