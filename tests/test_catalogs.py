"""The real catalogs under catalogs/ load, and the corpus catalog lists the corpus."""

from __future__ import annotations

import json
from pathlib import Path

from pledgeflow.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]


def test_the_corpus_catalog_lists_every_corpus_document_at_its_live_url():
    sources = load_catalog(ROOT / "catalogs" / "corpus.toml")
    documents = [json.loads(line) for line in
                 (ROOT / "eval" / "corpus" / "documents.jsonl").read_text().splitlines()]
    assert [s.id for s in sources] == [d["id"] for d in documents]
    assert all(s.url == d["url"] for s, d in zip(sources, documents, strict=True))
    assert all(s.url.startswith(("https://", "http://")) for s in sources)
    assert {s.kind for s in sources} >= {"manifesto", "council_plan", "campaign_statement"}
    assert len({s.council for s in sources if s.kind == "manifesto"}) >= 15
