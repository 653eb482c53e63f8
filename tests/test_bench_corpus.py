"""The benchmark corpus generator (benchmarks/corpus.py): deterministic, bounded, parseable
by pledgeflow, and served with validators from 127.0.0.1."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from pledgeflow.catalog import load_catalog
from pledgeflow.parse import parse

# reportlab is only needed to write the benchmark PDFs, not by pledgeflow itself.
pytest.importorskip("reportlab", reason="reportlab (benchmark corpus generator) not installed")

ROOT = Path(__file__).resolve().parent.parent
N, MAX_PAGES = 6, 8


def _load_corpus_module():
    # benchmarks/ is not a package. The module goes into sys.modules under its own name so
    # the generator's forked workers can unpickle the task function by reference.
    name = "bench_corpus"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus_module()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    return out, corpus.generate(out, n=N, seed=0, max_pages=MAX_PAGES, workers=1)


def _docs(manifest, media_type):
    return [d for d in manifest.documents if d["media_type"] == media_type]


def test_same_seed_same_bytes_whatever_the_workers(generated, tmp_path):
    out, first = generated
    again = corpus.generate(tmp_path / "again", n=N, seed=0, max_pages=MAX_PAGES, workers=2)
    assert [d["sha256"] for d in again.documents] == [d["sha256"] for d in first.documents]
    for doc in first.documents:
        data = (out / doc["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == doc["sha256"]
        assert len(data) == doc["bytes"]


def test_another_seed_gives_other_documents(generated, tmp_path):
    _, first = generated
    other = corpus.generate(tmp_path / "other", n=N, seed=1, max_pages=MAX_PAGES, workers=1)
    assert not {d["sha256"] for d in other.documents} & {d["sha256"] for d in first.documents}


def test_half_html_half_pdf_with_page_counts_in_bounds(generated):
    out, manifest = generated
    pdfs = _docs(manifest, "application/pdf")
    assert len(pdfs) == N // 2 and len(_docs(manifest, "text/html")) == N // 2
    for doc in pdfs:
        pdf = pdfium.PdfDocument(out / doc["path"])
        try:
            assert 5 <= len(pdf) <= MAX_PAGES
            assert len(pdf) == doc["pages"]
        finally:
            pdf.close()
    totals = manifest.totals
    assert totals["pdf_pages"] == sum(d["pages"] for d in pdfs)
    assert totals["bytes"] == sum(d["bytes"] for d in manifest.documents)


def test_pdfs_have_a_text_layer_and_ruled_tables_pledgeflow_reads(generated):
    out, manifest = generated
    tables = []
    for doc in _docs(manifest, "application/pdf"):
        pdf = pdfium.PdfDocument(out / doc["path"])
        try:
            text = pdf[0].get_textpage().get_text_range()
        finally:
            pdf.close()
        assert doc["title"].split(":")[0] in text  # the running header, at least
        assert len(text.split()) > 100
        if doc["table_pages"]:
            data = (out / doc["path"]).read_bytes()
            parsed = parse(data, "application/pdf", document_id=doc["sha256"])
            tables += [b for b in parsed.blocks if b.kind == "table"]
            assert any(b.kind == "list_item" for b in parsed.blocks)  # bullets read as bullets
    assert tables, "no generated PDF held a table the parser found"
    assert any(t.header_rows == 1 and len(t.rows) >= 3 and len(t.rows[0]) >= 2 for t in tables)


def test_html_pages_parse_to_sample_sentences(generated):
    out, manifest = generated
    pool = corpus.load_pool()
    known = set(pool.sentences) | set(pool.items)
    for doc in _docs(manifest, "text/html"):
        parsed = parse((out / doc["path"]).read_bytes(), "text/html", document_id=doc["sha256"])
        assert parsed.title == doc["title"]
        kinds = {b.kind for b in parsed.blocks}
        assert {"heading", "paragraph", "list_item"} <= kinds
        items = [b.text for b in parsed.blocks if b.kind == "list_item"]
        assert sum(item in known for item in items) >= len(items) // 2
        text = parsed.text
        assert any(sentence in text for sentence in pool.sentences)
        assert "cookies" not in text.lower()  # the banner is boilerplate, not content


def test_reused_unless_forced(generated):
    out, manifest = generated
    path = out / manifest.documents[0]["path"]
    before = path.stat().st_mtime_ns
    again = corpus.generate(out, n=N, seed=0, max_pages=MAX_PAGES, workers=1)
    assert again.reused and again.documents == manifest.documents
    assert path.stat().st_mtime_ns == before


def test_serve_answers_200_then_304_and_writes_a_catalog(generated):
    out, manifest = generated
    with corpus.serve(out) as served:
        assert served.base_url.startswith("http://127.0.0.1:")
        sources = load_catalog(served.catalog)
        assert [s.id for s in sources] == [d["id"] for d in manifest.documents]
        assert all(s.url.startswith(served.base_url + "/") for s in sources)
        for doc, source in zip(manifest.documents[:2], sources, strict=False):
            with urllib.request.urlopen(source.url, timeout=10) as reply:
                body = reply.read()
                assert reply.status == 200
                assert reply.headers["Content-Type"].startswith(doc["media_type"])
                assert int(reply.headers["Content-Length"]) == len(body) == doc["bytes"]
                etag, modified = reply.headers["ETag"], reply.headers["Last-Modified"]
            assert hashlib.sha256(body).hexdigest() == doc["sha256"]
            for header in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
                request = urllib.request.Request(source.url, headers=header)
                with pytest.raises(urllib.error.HTTPError) as answer:
                    urllib.request.urlopen(request, timeout=10)
                assert answer.value.code == 304
        stale = urllib.request.Request(sources[0].url, headers={"If-None-Match": '"other"'})
        with urllib.request.urlopen(stale, timeout=10) as reply:
            assert reply.status == 200
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(served.base_url + "/../manifest.json", timeout=10)
        assert missing.value.code == 404
    assert os.path.exists(served.catalog)
    with pytest.raises(OSError):  # the server is down after the with block
        urllib.request.urlopen(sources[0].url, timeout=2)
