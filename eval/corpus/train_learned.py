"""Train the pledge extractor's learned aid (extractors/_learned.py) on the corpus's
development half.

usage:
    python eval/corpus/score.py --splits dev --forms html,sentences --keep KEEP
    pledgeflow run --db KEEP/samples.db --raw-dir KEEP/raw --processed-dir KEEP/processed
    python eval/corpus/train_learned.py KEEP --samples KEEP/samples.db

The first command runs the pipeline over the development half as web pages and as
statement rows, keeping its databases and saved parses in KEEP; the second runs it over
the sample corpus (the five documents of tests/gold). This script reads every
document of those runs again with the rules alone (the aid off), lists the units the aid
would score (``PledgeExtractor.units``), labels each with the gold (a unit is a pledge
when it matches a gold pledge as the scorer matches them), and fits one logistic
regression per form: ``page`` on the web pages, ``rows`` on the statement rows. It writes
``extractors/pledges.learned.npz`` (the non-zero hashed weights) and
``extractors/pledges.learned.json`` (thresholds and what it was trained on).

Only the development half is read. The thresholds were chosen on a simulation that
trained on the documents of rounds one to eight and scored the development documents of
rounds nine to twelve with the rules as they stood before those rounds
(eval/corpus/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import sqlite_utils

from pledgeflow.document import Document
from pledgeflow.extractors._learned import DIMENSIONS, features, slots
from pledgeflow.extractors.pledges import PledgeExtractor
from pledgeflow.nlp import build_nlp
from pledgeflow.research.evaluate import normalise, same

BUILD = Path(__file__).resolve().parent / "build"
ROOT = Path(__file__).resolve().parents[2]
EXTRACTORS = ROOT / "extractors"
FORMS = {"page": "html", "rows": "sentences"}  # model form -> corpus form it learns from
THRESHOLDS = {"page": 0.9, "rows": 0.8}
EPOCHS, L2, RATE, SEED = 30, 1e-4, 0.5, 0


def labelled_units(db_path: Path, gold_dir: Path) -> tuple[list[np.ndarray], list[float], int]:
    """Every unit of the documents of a kept run that have gold, as hashed feature
    slots, with its label, and the number of documents read."""
    db = sqlite_utils.Database(db_path)
    nlp = build_nlp()
    extractor = PledgeExtractor(learned=False)
    rules = extractor.rules(nlp)
    sources = {row["id"]: row for row in db["sources"].rows}
    inputs, labels, documents = [], [], 0
    # in source order: the run loads documents as its workers finish them, and the order
    # the units are read in is the order training meets them
    for link in sorted(db["source_documents"].rows, key=lambda r: (r["source_id"],
                                                                   r["document_id"])):
        source = sources[link["source_id"]]
        gold_path = gold_dir / f"{source['id']}.json"
        if not gold_path.exists():
            continue
        row = db["documents"].get(link["document_id"])
        doc = Document.load(Path(row["processed_path"]))
        doc.meta = {key: source[key] for key in ("organisation", "council", "party", "kind")}
        gold = [normalise(p["text"]) for p in json.loads(gold_path.read_text())["pledges"]]
        found = list(extractor.rule_candidates(doc, nlp, rules))
        for unit, _ in extractor.units(doc, nlp, rules, found):
            text = normalise(unit.text)
            inputs.append(slots(features(unit)))
            labels.append(float(any(same(text, g) for g in gold)))
        documents += 1
    return inputs, labels, documents


def train(inputs: list[np.ndarray], labels: list[float]) -> np.ndarray:
    """Logistic regression by AdaGrad, one unit at a time, in a fixed order."""
    weights = np.zeros(DIMENSIONS)
    squares = np.full(DIMENSIONS, 1e-8)
    order = np.arange(len(inputs))
    rng = np.random.default_rng(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            active = inputs[i]
            p = 1.0 / (1.0 + np.exp(-weights[active].sum()))
            gradient = (p - labels[i]) + L2 * weights[active]
            squares[active] += gradient * gradient
            weights[active] -= RATE * gradient / np.sqrt(squares[active])
    return weights


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("keep", type=Path, help="the folder score.py --keep wrote")
    parser.add_argument("--samples", type=Path, metavar="DB",
                        help="a database of `pledgeflow run` over the sample corpus: its "
                             "documents (gold in tests/gold) train the page model too")
    parser.add_argument("--out", type=Path, default=EXTRACTORS / "pledges.learned")
    args = parser.parse_args(argv)
    arrays, trained_on = {}, {}
    for model, form in FORMS.items():
        gold_dir = BUILD / form / "gold-dev"
        gold_dir = gold_dir if gold_dir.is_dir() else BUILD / "gold" / "dev"
        inputs, labels, documents = labelled_units(args.keep / f"{form}-dev.db", gold_dir)
        if model == "page" and args.samples:
            more = labelled_units(args.samples, ROOT / "tests" / "gold")
            inputs, labels, documents = inputs + more[0], labels + more[1], documents + more[2]
        weights = train(inputs, labels)
        used = np.flatnonzero(weights)
        arrays[f"{model}_slots"] = used.astype(np.int32)
        arrays[f"{model}_weights"] = weights[used].astype(np.float32)
        trained_on[model] = {"form": form, "documents": documents, "units": len(labels),
                             "pledges": int(sum(labels)), "features": int(used.size)}
        print(f"{model}: {documents} documents, {len(labels)} units, "
              f"{int(sum(labels))} pledges, {used.size} weights", file=sys.stderr)
    np.savez_compressed(args.out.parent / f"{args.out.name}.npz", **arrays)
    meta = {"thresholds": THRESHOLDS, "pledges_extractor_version": PledgeExtractor.version,
            "trained_on": trained_on, "split": "dev",
            "epochs": EPOCHS, "l2": L2, "rate": RATE, "seed": SEED}
    (args.out.parent / f"{args.out.name}.json").write_text(json.dumps(meta, indent=2) + "\n",
                                             encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
