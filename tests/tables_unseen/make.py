"""Print the pages in this folder to PDF, as the corpus builder prints its pages.

Each ``<name>.html`` here and in ``round2/`` and ``round3/`` (written for the test,
imagined councils) is printed by Debian's headless Chromium twice: ``<name>.pdf`` as it
is, one column, and ``<name>.columns.pdf`` set in two columns first (``column-count: 2``
on ``main``), where a table of five or more columns spans both (``column-span: all``),
as real sites set wide tables, and narrower tables stay inside a column. The test reads
the committed PDFs, so it needs neither Chromium nor this script; run it after changing
a page, from the project folder:

    .venv/bin/python tests/tables_unseen/make.py [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
         "--disable-background-networking", "--no-first-run")
TWO_COLUMNS = ("<style>main{column-count:2;column-gap:2em}"
               "table:has(tr > :nth-child(5)){column-span:all}</style>")


def print_page(html: Path, out: Path, chromium: Path = CHROMIUM) -> Path:
    """Print a local HTML file to PDF with headless Chromium."""
    subprocess.run(
        [str(chromium), *FLAGS, f"--print-to-pdf={out}", html.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    return out


def two_column_page(html: Path, folder: Path) -> Path:
    """The page with the two-column style added last in its head."""
    page = folder / html.name
    page.write_text(html.read_text(encoding="utf-8").replace("</head>", TWO_COLUMNS + "</head>", 1),
                    encoding="utf-8")
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", type=Path, default=CHROMIUM)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for html in sorted(HERE.rglob("*.html")):
            print_page(html, html.with_suffix(".pdf"), args.chromium)
            columns = two_column_page(html, Path(tmp))
            print_page(columns, html.parent / f"{html.stem}.columns.pdf", args.chromium)
            print(html.stem)


if __name__ == "__main__":
    main()
