"""How far two annotators agree: the corpus's gold against a second, independent annotation.

usage:
    python eval/corpus/agreement.py            # score agreement/*.json against gold/
    python eval/corpus/agreement.py --freeze DIR
                                               # DIR/<id>.json (quoted strings) -> agreement/

A second annotator, who saw neither the gold nor the rules, annotated a sample of the
test half again with the same guide (``agreement/<id>.json``, spans into the same texts,
as ``gold/`` keeps them). The two are scored against each other with the reference
scorer, the gold standing as gold: what the corpus's gold can tell apart, and so the
highest score any extractor can be expected to reach against it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

from corpus import GOLD, KINDS, _from_spans, _to_spans, present_texts

HERE = Path(__file__).resolve().parent
AGREEMENT = HERE / "agreement"
SCORER = HERE.parents[1] / "tests" / "gold" / "score.py"


def reference_scorer():
    spec = importlib.util.spec_from_file_location("score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def freeze(folder: Path, texts: dict[str, str]) -> None:
    AGREEMENT.mkdir(exist_ok=True)
    for path in sorted(folder.glob("*.json")):
        doc_id, text = path.stem, texts[path.stem]
        record = json.loads(path.read_text(encoding="utf-8"))
        spans = {kind: [_to_spans(r, text, doc_id, f"{kind}[{i}]")
                        for i, r in enumerate(record.get(kind, []))] for kind in KINDS}
        (AGREEMENT / f"{doc_id}.json").write_text(json.dumps(spans, indent=1) + "\n")
        print(f"{doc_id}: frozen")


def agreement(texts: dict[str, str]) -> dict[str, list[int]]:
    scorer = reference_scorer()
    totals = {kind: [0, 0, 0] for kind in ("pledges", "targets", "kpis")}
    for path in sorted(AGREEMENT.glob("*.json")):
        doc_id = path.stem
        if doc_id not in texts:
            print(f"{doc_id}: text not here (rebuild it first)", file=sys.stderr)
            continue
        first = json.loads((GOLD / f"{doc_id}.json").read_text())
        second = json.loads(path.read_text())
        for kind, total in totals.items():
            a = [scorer.key(kind, _from_spans(r, texts[doc_id])) for r in first.get(kind, [])]
            b = [scorer.key(kind, _from_spans(r, texts[doc_id])) for r in second.get(kind, [])]
            for i, n in enumerate((scorer.match(a, b), len(a), len(b))):
                total[i] += n
    return totals


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--freeze", type=Path, metavar="DIR",
                        help="a second annotator's files, quoting the texts, to store as spans")
    args = parser.parse_args(argv)
    texts = present_texts()
    if args.freeze:
        freeze(args.freeze, texts)
        return
    scorer = reference_scorer()
    documents = sum(path.stem in texts for path in AGREEMENT.glob("*.json"))
    if not documents:
        raise SystemExit("no text of the agreement's documents is here: rebuild them first "
                         "(README.md, 'Where the texts come from, and rebuilding them')")
    for kind, (matched, first, second) in agreement(texts).items():
        p, r, f = scorer.prf(matched, first, second)
        print(f"{kind}: {matched} matched, gold {first}, second annotator {second}: "
              f"P {p:.2f} R {r:.2f} F1 {f:.2f} ({documents} documents)")


if __name__ == "__main__":
    main(sys.argv[1:])
