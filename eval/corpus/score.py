"""Run the pipeline on the built corpus and score it, per form and split.

usage: python eval/corpus/score.py [--splits dev,test] [--forms text,html,pdf,pdf2]
                                   [--pledgeflow PATH] [--out FILE]

Needs ``corpus.py build`` first (with the forms asked for). Each form and split is one
``pledgeflow run`` of ``build/<form>/catalog-<split>.toml`` into a fresh database, scored
with ``pledgeflow eval build/gold/<split>``. Prints one line per form and split with
precision, recall and F1 for every kind that has gold items, and with ``--out`` writes
every figure as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BUILD = Path(__file__).resolve().parent / "build"


def run_and_score(pledgeflow: str, form: str, split: str, work: Path) -> dict:
    catalog = BUILD / form / f"catalog-{split}.toml"
    db = work / f"{form}-{split}.db"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    subprocess.run([pledgeflow, "run", "--sources", str(catalog), "--db", str(db),
                    "--raw-dir", str(work / "raw"), "--processed-dir", str(work / "processed")],
                   check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gold = BUILD / form / f"gold-{split}"  # a form of some documents only has its own
    gold = gold if gold.is_dir() else BUILD / "gold" / split
    done = subprocess.run([pledgeflow, "eval", str(gold), "--db", str(db),
                           "--json"], check=True, env=env, capture_output=True, text=True)
    return json.loads(done.stdout)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--splits", default="dev")
    parser.add_argument("--forms", default="text,html")
    parser.add_argument("--pledgeflow", default=shutil.which("pledgeflow") or str(
        Path(sys.executable).parent / "pledgeflow"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", type=Path, help="keep the databases in this folder")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        for split in args.splits.split(","):
            for form in args.forms.split(","):
                report = run_and_score(args.pledgeflow, form, split, work)
                results[f"{form}/{split}"] = report
                cells = []
                for kind, s in report["totals"].items():
                    if s["gold"]:
                        cells.append(f"{kind} P {s['precision']:.2f} R {s['recall']:.2f} "
                                     f"F1 {s['f1']:.2f} ({s['matched']}/{s['gold']}/"
                                     f"{s['predicted']})")
                print(f"{split:4s} {form:5s} " + "  ".join(cells), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
