"""Bad documents: each parses, or lands in failures with its stage, error type and a
one-line message, while the other documents of the same run are loaded."""

from __future__ import annotations

import io
import os
import sqlite3

import pypdfium2 as pdfium
import pytest
from conftest import failures_by_source, write_catalog
from pypdf import PdfReader, PdfWriter

from pledgeflow.flows.pipeline import pipeline

pytestmark = pytest.mark.usefixtures("prefect_harness")

PAGE = ("<html><head>{meta}<title>Plan</title></head><body><main><h1>Caf\u00e9 plan</h1>"
        "<p>We will open a caf\u00e9 in every park.</p></main></body></html>")


def encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def scanned() -> bytes:
    """A PDF page with nothing on it but a drawing: no text layer."""
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(595, 842)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def dense_pdf(pages: int) -> bytes:
    """Pages packed with 3-pt text (about 70,000 characters each): far more work than the
    run's time limit allows, however fast the parser gets (about 25 s here, limit 8 s)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, invariant=1)
    line = ("We will build more homes and mend every road in the borough by 2027. " * 4)[:260]
    for _ in range(pages):
        text = pdf.beginText(10, 835)
        text.setFont("Helvetica", 3)
        for _ in range(270):
            text.textLine(line)
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def outcome(tmp_path_factory, samples_dir):
    tmp = tmp_path_factory.mktemp("bad-documents")
    pdf = (samples_dir / "pdf" / "ealing-pledges-2022.pdf").read_bytes()
    files = {
        "good.html": PAGE.format(meta="").encode(),
        "empty.html": b"",
        "truncated.pdf": pdf[: len(pdf) // 3],
        "encrypted.pdf": encrypted(pdf),
        "scanned.pdf": scanned(),
        "huge.pdf": dense_pdf(100),
        "no-main.html": b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
        "windows-1252.html": PAGE.format(meta='<meta charset="windows-1252">').encode("cp1252"),
        "latin-1.html": PAGE.format(meta="").encode("latin-1"),
        "utf-16-bom.html": PAGE.format(meta="").encode("utf-16"),
        "utf-16-no-bom.html": PAGE.format(meta="").encode("utf-16-le"),
        "utf-16-declared.html": PAGE.format(meta='<meta charset="utf-16">').encode("utf-16-be"),
        "deep.html": ("<html><body><main>" + "<div>" * 20000 + "<p>We will mend it.</p>"
                      + "</div>" * 20000 + "</main></body></html>").encode(),
    }
    for name, data in files.items():
        (tmp / name).write_bytes(data)
    write_catalog(tmp / "catalog.toml", {name.replace(".", "-"): name for name in files})
    summary = pipeline(sources=str(tmp / "catalog.toml"), db=str(tmp / "pf.db"),
                       raw_dir=str(tmp / "raw"), processed_dir=str(tmp / "processed"),
                       parse_timeout=8.0)
    failures = failures_by_source(tmp / "pf.db")
    with sqlite3.connect(tmp / "pf.db") as conn:
        loaded: dict[str, list[str]] = {}
        for source_id, text in conn.execute(
                "select d.source_id, p.text from source_documents d "
                "left join pledges p on p.document_id = d.document_id"):
            loaded.setdefault(source_id, []).append(text)
    return summary, failures, loaded


@pytest.mark.parametrize(("source", "error_type", "words"), [
    ("empty-html", "ParseError", "no text"),
    ("truncated-pdf", "ParseError", "truncated"),
    ("encrypted-pdf", "ParseError", "encrypted"),
    ("scanned-pdf", "NeedsOCR", "OCR"),
    ("huge-pdf", "ParseTimeout", "longer than"),
    ("no-main-html", "ParseError", "no main content"),
])
def test_a_bad_document_is_a_failure_with_stage_type_and_message(outcome, source, error_type,
                                                                  words):
    _, failures, loaded = outcome
    stage, kind, message = failures[source]
    assert (stage, kind) == ("parse", error_type), message  # the message says why
    assert words in message and "\n" not in message
    assert source not in loaded


@pytest.mark.parametrize("source", [
    "good-html", "windows-1252-html", "latin-1-html", "utf-16-bom-html", "utf-16-no-bom-html",
    "utf-16-declared-html", "deep-html"])
def test_odd_encodings_and_deep_nesting_still_parse(outcome, source):
    _, failures, loaded = outcome
    assert source not in failures, failures.get(source)  # its stage, type and message
    expected = ("We will mend it." if source == "deep-html"
                else "We will open a caf\u00e9 in every park.")
    assert loaded[source] == [expected]  # its one pledge, the accented letter intact


def test_the_run_goes_on_past_bad_documents(outcome):
    summary = outcome[0]
    assert summary["documents"] == 7 and summary["failed"] == 6


def test_workers_are_replaced_after_their_documents_and_never_stall():
    """The pool is retired and a fresh one started after documents_per_worker documents
    a worker; every document still gets a result (Python's own max_tasks_per_child could
    leave a pool with no workers and its documents waiting forever)."""
    from pledgeflow.isolate import WorkerPool

    pool = WorkerPool(workers=2, documents_per_worker=2)
    try:
        pids = [pool.run(os.getpid, timeout=60) for _ in range(9)]
    finally:
        pool.reset()
    assert os.getpid() not in pids
    assert len(set(pids[:4])) <= 2  # the first pool's two workers did the first four
    assert not set(pids[:4]) & set(pids[4:8])  # then a new pool, with new workers
    assert not set(pids[4:8]) & set(pids[8:])


def test_a_worker_freezes_what_it_keeps_after_its_first_document():
    """What a worker loads for life (spaCy, the extractors) is frozen after its first
    document, so the collector no longer scans it after every document."""
    import gc

    from pledgeflow.isolate import WorkerPool

    pool = WorkerPool(workers=1)
    try:
        first, later = (pool.run(gc.get_freeze_count, timeout=60) for _ in range(2))
    finally:
        pool.reset()
    assert first == 0 and later > 0
