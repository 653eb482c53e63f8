"""What the pledge extractor's learned aid costs: the extractor with and without it.

Parses the web pages of the generated benchmark corpus (``corpus.py``; generated in
``--corpus`` when missing) once, then times the pledge extractor over them with the aid
and without, in turn, and reports the ratio of the best times and the records each gave.
The generated pages hold many background sentences, every one of which the aid scores:
it costs more there than on the samples.

    .venv/bin/python benchmarks/learned_aid_cost.py [--corpus DIR] [--pages N] [--rounds N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

from run import _corpus_module  # benchmarks/run.py, beside this script

from pledgeflow.extractors.pledges import PledgeExtractor
from pledgeflow.nlp import build_nlp
from pledgeflow.parse import parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/bench-corpus"),
                        help="the generated corpus's folder (made there if missing)")
    parser.add_argument("--pages", type=int, default=200, help="web pages to read")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes each way")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    _corpus_module().generate(args.corpus, n=1000)
    documents = []
    for path in sorted((args.corpus / "docs" / "html").glob("*.html"))[:args.pages]:
        data = path.read_bytes()
        document = parse(data, "text/html", document_id=hashlib.sha256(data).hexdigest())
        document.meta = {"kind": "manifesto"}
        documents.append(document)
    words = sum(len(d.text.split()) for d in documents)
    nlp = build_nlp()
    best: dict[bool, float] = {False: float("inf"), True: float("inf")}
    records: dict[bool, int] = {}
    for _ in range(args.rounds):
        for learned in (False, True):
            extractor = PledgeExtractor(learned=learned)
            started = time.process_time()
            records[learned] = sum(1 for d in documents for _ in extractor.extract(d, nlp))
            best[learned] = min(best[learned], time.process_time() - started)
    result = {"pages": len(documents), "words": words, "seconds_rules": best[False],
              "seconds_with_aid": best[True], "ratio": best[True] / best[False],
              "records_rules": records[False], "records_with_aid": records[True]}
    print(f"{len(documents)} pages, {words:,} words: pledge extractor {best[False]:.2f} s "
          f"alone, {best[True]:.2f} s with the learned aid (ratio {result['ratio']:.3f}); "
          f"records {records[False]} -> {records[True]}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
