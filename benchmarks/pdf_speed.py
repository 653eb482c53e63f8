"""PDF parser speed: pages per second, pages read by pdfplumber, and peak memory.

Builds two long PDFs in a temporary folder by repeating the sample PDFs' pages with
pypdfium2 (``PdfDocument.new()`` + ``import_pages``):

- ``text``: the sample pages that hold no ruled table (the Ealing leaflet and the first
  three pages of the CWAC plan), the text-heavy case;
- ``all``: every sample page, so seven of each twelve pages hold ruled tables.

For each it reports the parser's pages per second (``parse_pdf``, best of ``--rounds``,
CPU time of this process and wall time), how many pages went through pdfplumber, the old
all-pdfplumber read over the first ``--old-pages`` pages (pdfplumber's ``extract_words``
on every page plus its table finder on pages that draw lines, as the parser did before
pdfium) with the speed-up, and the peak RSS of a fresh subprocess parsing the whole PDF.
The process is pinned to one core.

    .venv/bin/python benchmarks/pdf_speed.py [--pages N] [--rounds N] [--old-pages N]
                                             [--json FILE]
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

import pdfplumber
import pypdfium2 as pdfium

from pledgeflow.parse.pdf import parse_pdf, table_pages
from pledgeflow.parse.pdf_tables import TABLE_SETTINGS

ROOT = Path(__file__).resolve().parent.parent
EALING = ROOT / "samples" / "pdf" / "ealing-pledges-2022.pdf"
CWAC = ROOT / "samples" / "pdf" / "cwac-thriving-economy-outcome-plan.pdf"
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


def timed(fn, rounds: int) -> tuple[float, float]:
    """Best CPU seconds and best wall seconds of ``rounds`` calls."""
    cpu, wall = [], []
    for _ in range(rounds):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall)


def old_read(data: bytes, pages: int) -> None:
    """What the parser read per page before: pdfplumber words, tables where lines are drawn."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for page in pdf.pages[:pages]:
            page.extract_words(extra_attrs=["size", "fontname"], keep_blank_chars=False)
            objects = page.objects
            if objects.get("line") or objects.get("rect") or objects.get("curve"):
                page.find_tables(TABLE_SETTINGS)
            page.close()


def peak_rss(path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", RSS_PROBE, str(path)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(name: str, data: bytes, path: Path, args: argparse.Namespace) -> dict:
    pages = len(pdfium.PdfDocument(data))
    plumber_pages = len(table_pages(data))  # the pages parse_pdf hands to pdfplumber
    cpu, wall = timed(lambda: parse_pdf(data, document_id=name), args.rounds)
    old_pages = min(args.old_pages, pages)
    old_cpu, old_wall = timed(lambda: old_read(data, old_pages), 1)
    new_rate, old_rate = pages / cpu, old_pages / old_cpu
    return {
        "pdf": name, "pages": pages, "pdfplumber_pages": plumber_pages,
        "pages_per_s_cpu": round(new_rate, 1), "pages_per_s_wall": round(pages / wall, 1),
        "old_pages_measured": old_pages, "old_pages_per_s_cpu": round(old_rate, 1),
        "old_pages_per_s_wall": round(old_pages / old_wall, 1),
        "speedup": round(new_rate / old_rate, 1),
        "peak_rss_mb": peak_rss(path)["peak_rss_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500, help="pages in each long PDF")
    parser.add_argument("--rounds", type=int, default=1, help="parses of each PDF; best kept")
    parser.add_argument("--old-pages", type=int, default=60,
                        help="pages read through the old all-pdfplumber path (it is slow)")
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
            rows.append(measure(name, data, path, args))
    header = (f"{'pdf':6} {'pages':>5} {'pdfplumber':>10} {'pages/s':>8} {'wall':>7} "
              f"{'old p/s':>8} {'speed-up':>8} {'peak RSS':>9}")
    print(header)
    for r in rows:
        print(f"{r['pdf']:6} {r['pages']:>5} {r['pdfplumber_pages']:>10} "
              f"{r['pages_per_s_cpu']:>8} {r['pages_per_s_wall']:>7} "
              f"{r['old_pages_per_s_cpu']:>8} {r['speedup']:>7}x {r['peak_rss_mb']:>6} MB")
    print("pages/s: parse_pdf, CPU time of one core (wall alongside); old p/s: pdfplumber "
          f"words + tables over the first {args.old_pages} pages; peak RSS: a fresh process "
          "parsing the whole PDF")
    if args.json:
        result = {
            "results": rows, "rounds": args.rounds,
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                       f"Python {platform.python_version()}",
        }
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
