"""Score exported records against the gold annotations with the reference scorer."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

GOLD_DIR = Path(__file__).parent / "gold"


def reference_scorer():
    spec = importlib.util.spec_from_file_location("score", GOLD_DIR / "score.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def score_dir(pred_dir: Path) -> dict[str, dict[str, float]]:
    """precision/recall/f1 per kind for the files in ``pred_dir`` (named by source id)."""
    scorer = reference_scorer()
    totals, _ = scorer.score(GOLD_DIR, pred_dir)
    return {kind: dict(zip(("precision", "recall", "f1"), scorer.prf(*v), strict=True))
            for kind, v in totals.items()}


KINDS = ("pledges", "targets", "kpis", "actions", "risks")


def gold_format(records) -> dict[str, list[dict]]:
    """Extracted records in the gold format the scorer keys on (as ``pledgeflow export``)."""
    out: dict[str, list[dict]] = {kind: [] for kind in KINDS}
    for record in records:
        row = record.row()
        if record.kind == "kpis":
            cells = record.children().get("kpi_targets", [])
            row["targets"] = {c["period"]: c["raw"] for c in cells}
        elif record.kind == "actions":
            row["id"] = row.get("ref")
        out.setdefault(record.kind, []).append(row)
    return out


def score_source(source: Path, gold: dict, kinds, extractors, nlp, scorer
                 ) -> dict[str, tuple[int, int, int]]:
    """Parse ``source`` as the pipeline would (no catalog), run ``extractors`` and score
    each of ``kinds`` against ``gold``: kind -> (matched, gold, predicted)."""
    from pledgeflow.fetch.sniff import sniff_media_type
    from pledgeflow.parse import parse
    from pledgeflow.registry import run_extractors

    data = source.read_bytes()
    doc = parse(data, sniff_media_type(data, url=source.name),
                document_id=hashlib.sha256(data).hexdigest(), url=source.resolve().as_uri())
    result = run_extractors(doc, extractors, nlp)
    assert not result.errors, f"{source.name}: {result.errors}"
    predicted = gold_format(result.records)
    counts = {}
    for kind in kinds:
        g = [scorer.key(kind, r) for r in gold.get(kind, [])]
        p = [scorer.key(kind, r) for r in predicted.get(kind, [])]
        counts[kind] = (scorer.match(g, p), len(g), len(p))
    return counts
