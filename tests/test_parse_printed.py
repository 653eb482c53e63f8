"""Web pages printed to PDF, and plans set without table rules, through the PDF parser.

The fixtures in ``tests/fixtures/printed/`` are written for these tests (a fictional
council and party) and their PDFs are committed, so nothing here needs Chromium; ``make.py``
there regenerates them. A browser draws list bullets as shapes and prints a borderless
table as words alone, so lists and tables must come from the layout. The printed pages
are checked against what the HTML parser reads from the very same HTML.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pledgeflow.document import Block, Document
from pledgeflow.parse.html import parse_html
from pledgeflow.parse.pdf import parse_pdf
from pledgeflow.parse.pdf_layout import Mark, Word, add_markers

PRINTED = Path(__file__).resolve().parent / "fixtures" / "printed"
CHROMIUM = Path("/usr/bin/chromium")

WE_WILL = "If residents elect a Fernbrook Together council, we will:"
THREE_STEPS = "In our first hundred days we will take three steps:"
TREES = "Plant 5,000 street trees, starting in the wards with the least green space:"


def pdf(name: str) -> Document:
    path = PRINTED / f"{name}.pdf"
    return parse_pdf(path.read_bytes(), document_id=name)


def html(name: str) -> Document:
    return parse_html((PRINTED / f"{name}.html").read_bytes(), document_id=name)


@pytest.fixture(scope="module")
def manifesto() -> Document:
    return pdf("manifesto")


def items(doc: Document) -> list[Block]:
    return [b for b in doc.blocks if b.kind == "list_item"]


def unnumbered(text: str) -> str:
    """An ordered list's number is in a PDF's text, and generated in HTML."""
    return re.sub(r"^\d{1,2}\.\s+", "", text)


def as_html_reads_it(doc: Document) -> list[tuple]:
    return [
        (b.kind, unnumbered(b.text) if b.kind == "list_item" else b.text, b.depth, b.lead_in,
         b.rows, b.header_rows, b.section)
        for b in doc.blocks
    ]


# --- lists from drawn bullets ---------------------------------------------------------------


def test_drawn_bullets_under_a_lead_in_are_list_items(manifesto: Document) -> None:
    under = [b for b in items(manifesto) if b.lead_in == WE_WILL]
    assert [b.text for b in under] == [
        "build 600 council homes for social rent by 2030, on land the council already owns;",
        "bring every empty council flat back into use within six months of it falling vacant;",
        "license private landlords in the three wards with the most complaints about damp, so "
        "that tenants can report problems without fear of losing their home;",
        "publish a register of all land and buildings the council owns.",
    ]
    assert all(b.depth == 1 and b.heading == "Homes and neighbourhoods" for b in under)
    after = manifesto.blocks[under[-1].index + 1]
    assert (after.kind, after.text) == (
        "paragraph", "Each of these commitments is costed in our budget statement."
    )


def test_bullets_right_under_a_heading_have_no_lead_in_and_nest(manifesto: Document) -> None:
    streets = [b for b in items(manifesto) if b.heading == "Streets and parks"]
    assert [(b.text, b.depth, b.lead_in) for b in streets] == [
        ("Repair every broken streetlight within five working days.", 1, None),
        (TREES, 1, None),
        ("Ashcombe and Millbrook in the first year;", 2, TREES),
        ("Kestrel Heath and the town centre in the second year.", 2, TREES),
        ("Keep the public toilets in Millbrook Park open all year round.", 1, None),
    ]


def test_numbered_list_items_keep_their_numbers_and_lead_in(manifesto: Document) -> None:
    numbered = [b for b in items(manifesto) if b.lead_in == THREE_STEPS]
    assert [b.text[:3] for b in numbered] == ["1. ", "2. ", "3. "]
    assert numbered[1].text.endswith("spending plans before they are agreed.")


# --- drawn markers, unit by unit -------------------------------------------------------------


def word(text: str, x0: float, top: float = 100.0) -> Word:
    return Word(text, x0, x0 + 6.0 * len(text), top, top + 10.5, 10.5, False)


def test_a_disc_before_a_line_becomes_a_bullet_glyph() -> None:
    words = [word("Plant", 80.0), word("trees", 115.0)]
    disc = Mark(68.0, 71.0, 103.5, 106.5, "•")
    out = add_markers(words, [disc])
    assert [w.text for w in out] == ["Plant", "trees", "•"]
    assert (out[-1].top, out[-1].bottom, out[-1].size) == (100.0, 110.5, 10.5)


@pytest.mark.parametrize(
    "mark",
    [
        Mark(180.0, 183.0, 103.5, 106.5, "•"),  # after a word on its row: not a line start
        Mark(68.0, 71.0, 140.0, 143.0, "•"),  # on no row of text
        Mark(68.0, 71.0, 103.5, 106.5, "▪"),  # a square alone on the page: an icon
        Mark(20.0, 23.0, 103.5, 106.5, "•"),  # too far from the text after it
    ],
    ids=["mid-line", "no-text", "lone-square", "far"],
)
def test_shapes_that_are_not_markers_are_left_out(mark: Mark) -> None:
    words = [word("Plant", 80.0), word("trees", 115.0)]
    assert add_markers(words, [mark]) == words


# --- printing again ---------------------------------------------------------------------------


@pytest.mark.skipif(not CHROMIUM.exists() or shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_a_fresh_print_parses_as_the_committed_one(tmp_path: Path) -> None:
    """Chromium prints the manifesto again now; it parses to the committed print's blocks
    (the committed PDFs are what the other tests read)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_printed", PRINTED / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    fresh = make.print_page(PRINTED / "manifesto.html", tmp_path / "manifesto.pdf")
    doc = parse_pdf(fresh.read_bytes(), document_id="fresh")
    assert as_html_reads_it(doc) == as_html_reads_it(pdf("manifesto"))
