"""PDF parser speed: pages per second, pages holding tables, and peak memory.

Three inputs:

- ``text``: a long PDF (``--pages``, 500) of the sample pages that hold no ruled table (the
  Ealing leaflet and the first three pages of the CWAC plan), repeated with pypdfium2;
- ``all``: every sample page repeated to the same length, so seven of each twelve pages
  hold ruled tables (290 of 500);
- ``corpus``: ``--corpus-docs`` (10) generated PDFs from ``benchmarks/corpus/docs/pdf``
  (``benchmarks/corpus.py`` writes them; about a quarter of their pages hold ruled
  reportlab tables), taken evenly over the manifest in id order and parsed one by one.

For each it reports ``parse_pdf``'s pages per second (CPU time of this process, best of
``--rounds``, wall time alongside), how many pages hold a ruled table (found in pdfium's
drawing and read without pdfplumber's PDF), the old all-pdfplumber read over the first
``--old-pages`` pages (pdfplumber's ``extract_words`` on every page plus its table finder
on pages that draw lines, as the parser did before pdfium; 0 skips it), and the peak RSS
of a fresh subprocess parsing the whole PDF (for ``corpus``, the largest of the ten).
The process is pinned to one core: the figures are per core, and other work on the machine
slows a round, which is why the best round is kept.

    .venv/bin/python benchmarks/pdf_speed.py [--pages N] [--rounds N] [--old-pages N]
                                             [--corpus-docs N] [--json FILE]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pypdfium2 as pdfium

from pledgeflow.parse.pdf import parse_pdf, table_pages
from pledgeflow.parse.pdf_tables import TABLE_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
EALING = ROOT / "samples" / "pdf" / "ealing-pledges-2022.pdf"
CWAC = ROOT / "samples" / "pdf" / "cwac-thriving-economy-outcome-plan.pdf"
CORPUS = ROOT / "benchmarks" / "corpus"
# (file, pages to import or None for all); repeated in turn until the PDF is long enough.
MIXES = {
    "text": [(EALING, None), (CWAC, [0, 1, 2])],
    "all": [(EALING, None), (CWAC, None)],
}
# VmHWM, not ru_maxrss: a child started by vfork/exec inherits its parent's ru_maxrss.
RSS_PROBE = """
import json, resource, sys
from pledgeflow.parse.pdf import parse_pdf
doc = parse_pdf(open(sys.argv[1], "rb").read(), document_id="probe")
try:
    peak = next(int(line.split()[1]) for line in open("/proc/self/status")
                if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"pages": doc.pages, "peak_rss_mb": round(peak / 1024, 1)}))
"""


def build_pdf(parts: list[tuple[Path, list[int] | None]], pages: int) -> bytes:
    sources = [(pdfium.PdfDocument(path.read_bytes()), which) for path, which in parts]
    out = pdfium.PdfDocument.new()
    while len(out) < pages:
        for source, which in sources:
            out.import_pages(source, which)
    # Trim to the exact length asked for.
    while len(out) > pages:
        out.del_page(len(out) - 1)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def corpus_pdfs(count: int) -> list[Path]:
    """``count`` generated PDFs spread evenly over the manifest (ids in order), or none."""
    manifest = CORPUS / "manifest.json"
    if count <= 0 or not manifest.exists():
        return []
    docs = json.loads(manifest.read_text(encoding="utf-8"))["documents"]
    pdfs = sorted((d for d in docs if d["media_type"] == "application/pdf"),
                  key=lambda d: d["id"])
    step = max(1, len(pdfs) // count)
    paths = [CORPUS / d["path"] for d in pdfs[::step][:count]]
    return [p for p in paths if p.exists()]


def timed(fn, rounds: int) -> tuple[float, float]:
    """Best CPU seconds and best wall seconds of ``rounds`` calls."""
    cpu, wall = [], []
    for _ in range(rounds):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall)


def old_read(datas: list[bytes], pages: int) -> int:
    """What the parser read per page before pdfium: pdfplumber words on every page and its
    table finder where lines are drawn, over the first ``pages`` pages; pages read."""
    import pdfplumber

    done = 0
    for data in datas:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages:
                if done >= pages:
                    return done
                page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
                objects = page.objects
                if objects.get("line") or objects.get("rect") or objects.get("curve"):
                    page.find_tables(TABLE_SETTINGS)
                page.close()
                done += 1
    return done


def peak_rss(path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(name: str, datas: list[bytes], rss_path: Path, args: argparse.Namespace) -> dict:
    pages = sum(len(pdfium.PdfDocument(data)) for data in datas)
    ruled = sum(len(table_pages(data)) for data in datas)

    def parse_all() -> None:
        for i, data in enumerate(datas):
            parse_pdf(data, document_id=f"{name}-{i}")

    cpu, wall = timed(parse_all, args.rounds)
    row = {
        "pdf": name, "documents": len(datas), "pages": pages, "table_pages": ruled,
        "pages_per_s_cpu": round(pages / cpu, 1), "pages_per_s_wall": round(pages / wall, 1),
        "peak_rss_mb": peak_rss(rss_path)["peak_rss_mb"],
        "rss_pages": len(pdfium.PdfDocument(rss_path.read_bytes())),
        "old_pages_measured": 0, "old_pages_per_s_cpu": None, "speedup": None,
    }
    if args.old_pages > 0:
        counted: list[int] = []
        old_cpu, _ = timed(lambda: counted.append(old_read(datas, args.old_pages)), 1)
        old_rate = counted[-1] / old_cpu
        row.update(old_pages_measured=counted[-1], old_pages_per_s_cpu=round(old_rate, 1),
                   speedup=round(pages / cpu / old_rate, 1))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500, help="pages in each long PDF")
    parser.add_argument("--rounds", type=int, default=2, help="parses of each input; best kept")
    parser.add_argument("--old-pages", type=int, default=60,
                        help="pages read through the old all-pdfplumber path (slow; 0: skip)")
    parser.add_argument("--corpus-docs", type=int, default=10,
                        help="generated corpus PDFs to parse (0: skip)")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, one process
    rows = []
    with tempfile.TemporaryDirectory(prefix="pdf-speed-") as tmp:
        for name, parts in MIXES.items():
            data = build_pdf(parts, args.pages)
            path = Path(tmp) / f"{name}-{args.pages}.pdf"
            path.write_bytes(data)
            rows.append(measure(name, [data], path, args))
    corpus = corpus_pdfs(args.corpus_docs)
    if corpus:
        largest = max(corpus, key=lambda p: p.stat().st_size)
        rows.append(measure("corpus", [p.read_bytes() for p in corpus], largest, args))
    elif args.corpus_docs > 0:
        print(f"no generated PDFs under {CORPUS / 'docs' / 'pdf'}: run benchmarks/corpus.py")
    print(f"{'input':7} {'docs':>4} {'pages':>6} {'tables':>6} {'pages/s':>8} {'wall':>7} "
          f"{'old p/s':>8} {'speed-up':>8} {'peak RSS':>9} {'of pages':>8}")
    for r in rows:
        old = r["old_pages_per_s_cpu"] if r["old_pages_per_s_cpu"] is not None else "-"
        speedup = f"{r['speedup']}x" if r["speedup"] is not None else "-"
        print(f"{r['pdf']:7} {r['documents']:>4} {r['pages']:>6} {r['table_pages']:>6} "
              f"{r['pages_per_s_cpu']:>8} {r['pages_per_s_wall']:>7} {old:>8} "
              f"{speedup:>8} {r['peak_rss_mb']:>6} MB {r['rss_pages']:>8}")
    print(f"pages/s: parse_pdf on one core, CPU time, best of {args.rounds} (wall alongside); "
          "tables: pages holding a ruled table; old p/s: pdfplumber words + tables over the "
          f"first {args.old_pages} pages; peak RSS: a fresh process parsing one PDF of the "
          "pages shown")
    if args.json:
        result = {
            "results": rows, "rounds": args.rounds,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}",
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
