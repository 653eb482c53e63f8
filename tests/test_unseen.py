"""Extraction quality on documents the rules were NOT developed on (``tests/unseen/``).

Six documents written for this test in styles the sample corpus does not have (a
div-based Green ward page, a Markdown Conservative county manifesto, Australian campaign
statements as CSV, a district corporate plan with pipe tables, a Labour borough page with
nested lists and a pledge table, one-per-line SNP/Plaid statements), each with gold
records annotated with the project's annotation guide (kept outside this repository; the
gold format is that of ``tests/gold/``) before the tool was run (``<name>.gold.json``).

They are scored per kind over all six documents together, with the matching of the
reference scorer (``tests/gold/score.py``). The floors are the levels measured when the
test was written minus 0.05, so the test catches regressions; raise them when the rules
improve. Measured when the test was written (matched / gold / predicted):

    pledges  precision 0.921 recall 0.828   (82 / 99 / 89)
    targets  precision 0.960 recall 0.600   (24 / 40 / 25)
    kpis     precision 1.000 recall 1.000   (6 / 6 / 6)
    actions  precision 0.000 recall 0.000   (0 / 8 / 8: bare "P1.1" refs)
    risks    precision 1.000 recall 1.000   (4 / 4 / 4)

and after the rules were generalised from what these documents showed (author parties,
nested items, pledge tables, bare references, time limits, relative changes):

    pledges  precision 1.000 recall 0.990   (98 / 99 / 98)
    targets  precision 0.950 recall 0.950   (38 / 40 / 40)
    kpis     precision 1.000 recall 1.000   (6 / 6 / 6)
    actions  precision 1.000 recall 1.000   (8 / 8 / 8)
    risks    precision 1.000 recall 1.000   (4 / 4 / 4)

These documents now inform the rules too, so they are no longer a blind test: they
guard against regressions.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path

import pytest

from pledgeflow.fetch.sniff import sniff_media_type
from pledgeflow.nlp import build_nlp
from pledgeflow.parse import parse
from pledgeflow.registry import get_extractors, run_extractors
from scoring import KINDS, gold_format, reference_scorer

UNSEEN_DIR = Path(__file__).parent / "unseen"

# kind -> (precision floor, recall floor): measured level minus 0.05 (see the docstring)
FLOORS = {
    "pledges": (0.95, 0.94),
    "targets": (0.90, 0.90),
    "kpis": (0.95, 0.95),
    "actions": (0.95, 0.95),
    "risks": (0.95, 0.95),
}


def _documents() -> list[tuple[Path, Path]]:
    """(document, gold file) pairs: ``name.gold.json`` beside ``name.<ext>``."""
    pairs = []
    for gold in sorted(UNSEEN_DIR.glob("*.gold.json")):
        stem = gold.name.removesuffix(".gold.json")
        source = [p for p in UNSEEN_DIR.glob(f"{stem}.*") if not p.name.endswith(".json")]
        assert len(source) == 1, f"{gold.name}: expected one document named {stem}.*"
        pairs.append((source[0], gold))
    return pairs


@pytest.fixture(scope="module")
def totals() -> dict[str, tuple[int, int, int]]:
    """(matched, gold, predicted) per kind, summed over the unseen documents."""
    scorer = reference_scorer()
    nlp = build_nlp()
    extractors = get_extractors()
    sums = {kind: [0, 0, 0] for kind in KINDS}
    pairs = _documents()
    assert len(pairs) == 6
    for source, gold_path in pairs:
        data = source.read_bytes()
        media_type = sniff_media_type(data, url=source.name)
        doc = parse(
            data,
            media_type,
            document_id=hashlib.sha256(data).hexdigest(),
            url=source.resolve().as_uri(),
        )
        result = run_extractors(doc, extractors, nlp)
        assert not result.errors, f"{source.name}: {result.errors}"
        predicted = gold_format(result.records)
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for kind in KINDS:
            g = [scorer.key(kind, r) for r in gold.get(kind, [])]
            p = [scorer.key(kind, r) for r in predicted.get(kind, [])]
            for i, n in enumerate((scorer.match(g, p), len(g), len(p))):
                sums[kind][i] += n
    return {kind: tuple(v) for kind, v in sums.items()}


@pytest.mark.parametrize("kind", KINDS)
def test_rules_keep_their_measured_quality_on_unseen_document_styles(totals, kind):
    scorer = reference_scorer()
    precision, recall, _ = scorer.prf(*totals[kind])
    min_precision, min_recall = FLOORS[kind]
    matched, gold, predicted = totals[kind]
    counts = f"{matched} matched, {gold} gold, {predicted} predicted"
    assert precision >= min_precision, f"{kind} precision {precision:.3f} ({counts})"
    assert recall >= min_recall, f"{kind} recall {recall:.3f} ({counts})"


def test_unseen_gold_texts_are_verbatim_in_their_documents():
    """The gold annotations quote their documents (so a miss is the tool's, not the gold's)."""
    fields = {
        "pledges": "text",
        "targets": "text",
        "kpis": "measure",
        "actions": "text",
        "risks": "risk",
    }
    for source, gold_path in _documents():
        text = html.unescape(source.read_text(encoding="utf-8"))
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        for kind, field in fields.items():
            for record in gold.get(kind, []):
                assert record[field] in text, f"{gold_path.name}: {record[field]!r}"
