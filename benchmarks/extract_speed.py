"""Extraction speed: words per second of all registered extractors on one core.

Parses the sample corpus once, then runs every extractor over the parsed documents
repeatedly and reports words of document text per second of extraction time.

    .venv/bin/python benchmarks/extract_speed.py [--rounds N] [--json FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import time
from pathlib import Path

from pledgeflow.catalog import load_catalog
from pledgeflow.fetch.sources import fetch, resolve_url
from pledgeflow.nlp import build_nlp
from pledgeflow.parse import parse
from pledgeflow.registry import get_extractors, run_extractors

ROOT = Path(__file__).resolve().parent.parent


def parsed_samples():
    docs = []
    for source in load_catalog(ROOT / "samples" / "catalog.toml"):
        fetched = fetch(resolve_url(source.url, Path(source.catalog_dir)))
        docs.append(parse(fetched.data, fetched.media_type,
                          document_id=hashlib.sha256(fetched.data).hexdigest()))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="passes over the corpus")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the issue asks
    docs = parsed_samples()
    nlp, extractors = build_nlp(), get_extractors()
    words = sum(len(d.text.split()) for d in docs)
    records = sum(len(run_extractors(d, extractors, nlp).records) for d in docs)  # warm up
    start = time.perf_counter()
    for _ in range(args.rounds):
        for doc in docs:
            run_extractors(doc, extractors, nlp)
    elapsed = time.perf_counter() - start
    result = {
        "documents": len(docs), "words_per_pass": words, "records_per_pass": records,
        "rounds": args.rounds, "seconds": round(elapsed, 3),
        "words_per_second": round(words * args.rounds / elapsed),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
    }
    print(f"extraction: {result['words_per_second']:,} words/s on one core "
          f"({words:,} words x {args.rounds} rounds in {elapsed:.2f} s; {records} records a pass)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
