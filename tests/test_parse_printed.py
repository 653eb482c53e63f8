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
from pledgeflow.nlp import build_nlp
from pledgeflow.parse.html import parse_html
from pledgeflow.parse.pdf import parse_pdf
from pledgeflow.parse.pdf_blocks import RawBlock, merge_broken_paragraphs
from pledgeflow.parse.pdf_layout import Line, Mark, Word, add_markers, reading_order
from pledgeflow.registry import get_extractors, run_extractors

PRINTED = Path(__file__).resolve().parent / "fixtures" / "printed"
CHROMIUM = Path("/usr/bin/chromium")

WE_WILL = "If residents elect a Fernbrook Together council, we will:"
THREE_STEPS = "In our first hundred days we will take three steps:"
TREES = "Plant 5,000 street trees, starting in the wards with the least green space:"
KPI_ROWS = [
    ["Measure", "Baseline", "2026/27", "2027/28", "2028/29"],
    ["Council homes started", "40", "120", "180", "220"],
    ["Household waste recycled", "38%", "42%", "46%", "50%"],
    ["Streetlights repaired within five days", "61%", "80%", "90%", "95%"],
    ["Residents satisfied with parks", "55%", "60%", "65%", "70%"],
]
ACTION_ROWS = [
    ["Ref", "Action", "Deadline", "Lead"],
    ["FT1", "Agree a delivery plan for council homes with the district's housing "
            "associations and the two largest local builders", "September 2026",
     "Cabinet Member for Housing"],
    ["FT2", "Publish the land and buildings register online", "July 2026",
     "Head of Property"],
    ["FT3", "Recruit the residents' budget panel by open invitation", "October 2026",
     "Leader of the Council"],
    ["FT4", "Start the street tree planting season in Ashcombe", "November 2026",
     "Cabinet Member for Environment"],
]


def pdf(name: str) -> Document:
    path = PRINTED / f"{name}.pdf"
    return parse_pdf(path.read_bytes(), document_id=name)


def html(name: str) -> Document:
    return parse_html((PRINTED / f"{name}.html").read_bytes(), document_id=name)


@pytest.fixture(scope="module")
def manifesto() -> Document:
    return pdf("manifesto")


@pytest.fixture(scope="module")
def columns() -> Document:
    return pdf("manifesto-columns")


@pytest.fixture(scope="module")
def unruled() -> Document:
    return pdf("unruled-tables")


def items(doc: Document) -> list[Block]:
    return [b for b in doc.blocks if b.kind == "list_item"]


def tables(doc: Document) -> list[Block]:
    return [b for b in doc.blocks if b.kind == "table"]


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


def test_printed_page_reads_as_its_html(manifesto: Document) -> None:
    """Every block of the printed page, list items and tables included, is the block the
    HTML parser reads from the same page (an ordered list's numbers aside)."""
    assert as_html_reads_it(manifesto) == as_html_reads_it(html("manifesto"))


# --- two columns ------------------------------------------------------------------------------


def test_two_column_print_reads_as_the_one_column_print(
    columns: Document, manifesto: Document
) -> None:
    """CSS ``column-count: 2`` with the title and tables spanning both columns: read left
    column, then right, the spanning tables in their place between, it gives the blocks of
    the one-column print, even where the browser left a heading at the foot of the left
    column above a table, or a heading alone in the left column beside its paragraph."""
    assert as_html_reads_it(columns) == as_html_reads_it(manifesto)


def test_two_column_order_around_a_spanning_table(columns: Document) -> None:
    texts = [b.text for b in columns.blocks]
    kpi = next(b.index for b in tables(columns) if b.rows[0][0] == "Measure")
    assert texts.index("We will report these measures to full council every year.") < kpi
    assert kpi < texts.index("Action plan")
    # the right column's list comes after the left column's last paragraph
    assert texts.index("Each of these commitments is costed in our budget statement.") < (
        texts.index("Repair every broken streetlight within five working days.")
    )


# --- tables without rules ---------------------------------------------------------------------


def test_borderless_kpi_table_has_rows_columns_and_header(manifesto: Document) -> None:
    kpi = next(b for b in tables(manifesto) if b.rows[0][0] == "Measure")
    assert kpi.rows == KPI_ROWS
    assert kpi.header_rows == 1
    assert kpi.heading == "How we will measure progress"
    assert kpi.text.split("\n")[0] == "Measure\tBaseline\t2026/27\t2027/28\t2028/29"


def test_borderless_action_table_joins_wrapped_cells(manifesto: Document) -> None:
    actions = next(b for b in tables(manifesto) if b.rows[0][0] == "Ref")
    assert actions.rows == ACTION_ROWS
    assert actions.header_rows == 1


def test_prose_around_tables_is_not_a_table(manifesto: Document) -> None:
    assert len(tables(manifesto)) == 2
    table_text = " ".join(b.text for b in tables(manifesto))
    for line in ("We will report these measures", "Every action has a named lead",
                 "Promoted by the Fernbrook Together"):
        assert line not in table_text
        assert any(b.kind == "paragraph" and b.text.startswith(line) for b in manifesto.blocks)


def test_two_column_prose_stays_paragraphs_in_order() -> None:
    printed = pdf("prose-columns")
    assert tables(printed) == []
    assert [(b.kind, b.text) for b in printed.blocks] == [
        (b.kind, b.text) for b in html("prose-columns").blocks
    ]


def test_word_processor_tables_without_rules(unruled: Document) -> None:
    """reportlab, set as a word processor sets a plan: numbers right-aligned under
    right-aligned headers, an action column that wraps, no ruling at all."""
    kpi, actions = tables(unruled)
    assert kpi.rows == [
        ["Measure", "Baseline", "2026/27", "2027/28", "2028/29"],
        ["Council homes started", "40", "120", "180", "220"],
        ["Household waste recycled", "38%", "42%", "46%", "50%"],
        ["Planning applications decided on time", "71%", "80%", "85%", "90%"],
        ["Empty homes brought back into use", "25", "60", "90", "120"],
    ]
    assert actions.rows[1] == [
        "CP1", "Adopt a housing delivery plan with the district's registered providers and "
        "publish quarterly progress reports", "June 2026", "Director of Place",
    ]
    assert [r[0] for r in actions.rows] == ["Ref", "CP1", "CP2", "CP3"]
    assert (kpi.header_rows, actions.header_rows) == (1, 1)
    after = unruled.blocks[actions.index + 1]
    assert after.kind == "paragraph"
    assert after.text == "The actions are reviewed at every quarterly report."


def test_two_column_prose_page_of_a_plan_has_no_table(unruled: Document) -> None:
    page = [b for b in unruled.blocks if b.page == 2]
    assert {b.kind for b in page} == {"heading", "paragraph"}
    firsts = [b.text.split(".")[0] for b in page if b.kind == "paragraph"]
    assert len(firsts) == 10
    assert firsts[:5] == firsts[5:]  # left column, then right: the text written twice
    assert all(b.text.endswith(".") for b in page if b.kind == "paragraph")


# --- extraction from the printed page ------------------------------------------------------


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def records(doc: Document, nlp) -> dict[str, list[dict]]:
    result = run_extractors(doc, get_extractors(), nlp)
    assert not result.errors
    out: dict[str, list[dict]] = {}
    for record in result.records:
        row = record.row()
        if record.kind == "kpis":
            row["targets"] = {c["period"]: c["raw"] for c in record.children()["kpi_targets"]}
        out.setdefault(record.kind, []).append(row)
    return out


def test_printed_page_gives_the_html_pages_records(manifesto: Document, nlp) -> None:
    """Pledges, KPIs with their targets and actions with their references: the same from
    the printed page as from its HTML."""
    got, expected = records(manifesto, nlp), records(html("manifesto"), nlp)
    kpis = {r["measure"]: (r["baseline"], r["targets"]) for r in got.get("kpis", [])}
    assert kpis == {r["measure"]: (r["baseline"], r["targets"]) for r in expected["kpis"]}
    assert kpis["Household waste recycled"] == (
        "38%", {"2026/27": "42%", "2027/28": "46%", "2028/29": "50%"}
    )
    refs = sorted(r["ref"] for r in got.get("actions", []))
    assert refs == sorted(r["ref"] for r in expected["actions"]) == ["FT1", "FT2", "FT3", "FT4"]
    assert sorted(unnumbered(r["text"]) for r in got["pledges"]) == sorted(
        r["text"] for r in expected["pledges"]
    )


# --- two columns: numbered lists, lines that meet across the gutter, footers ------------------


def test_a_numbered_list_in_two_columns_stays_one_level_deep() -> None:
    """Browsers right-align list numbers, so "10." starts left of "9."; read from the
    number's left edge, items 1-9 in the second column looked nested under item 10."""
    one, two = pdf("pledges"), pdf("pledges-columns")
    numbered = [b for b in items(two) if re.match(r"\d+\. ", b.text)]
    assert [b.text.split(".")[0] for b in numbered] == [str(n) for n in range(1, 11)]
    assert {b.depth for b in numbered} == {1}
    assert [(b.text, b.depth, b.lead_in) for b in items(two)] == [
        (b.text, b.depth, b.lead_in) for b in items(one)]


def line(text: str, x0: float, top: float, size: float = 10.5) -> Line:
    words, x = [], x0
    for piece in text.split():
        words.append(Word(piece, x, x + 0.55 * size * len(piece), top, top + size, size, False))
        x += 0.55 * size * len(piece) + 0.3 * size
    return Line(words)


def column(texts: list[str], x0: float, top: float) -> list[Line]:
    return [line(t, x0, top + 14.0 * i) for i, t in enumerate(texts)]


def test_lines_of_two_columns_that_meet_on_one_row_are_split_at_the_gutter() -> None:
    left = column(["Residents ask what we will", "do for the town centre and", "its markets",
                   "and the answer is below."], 30.0, 130.0)
    right = column(["build new homes on the", "old depot site and keep", "the library open",
                    "every day of the week."], 320.0, 130.0)
    # a title in the left column and a heading in the right on one row, words 20pt apart
    title = Line([*line("Our Manifesto for", 30.0, 100.0, 20.0).words,
                  *line("Pledge Two", 320.0, 100.0, 20.0).words])
    order = [getattr(b, "text", "") for b in reading_order([title, *left, *right])]
    assert order.index("Our Manifesto for") < order.index("Residents ask what we will")
    assert order.index("its markets") < order.index("Pledge Two") < order.index(
        "build new homes on the")


def test_a_footer_below_both_columns_is_read_after_the_right_column() -> None:
    left = column(["We will build homes and", "keep the library open and", "we will refuse to"],
                  30.0, 100.0)
    right = column(["close any park in the town,", "whatever the county says.", "We will also",
                    "plant trees on every street."], 320.0, 100.0)
    footer = line("Promoted by the Residents.", 30.0, 100.0 + 14.0 * 4 + 12.0)
    order = [b.text for b in reading_order([*left, *right, footer])]
    assert order.index("we will refuse to") + 1 == order.index("close any park in the town,")
    assert order[-1] == "Promoted by the Residents."


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


def test_a_row_a_page_break_leaves_alone_joins_its_table_and_prose_after_a_table_does_not():
    """``page-breaks.pdf``: a KPI table's last row printed alone at the top of page 2 (too
    few rows to be found as a table of its own) goes on with the table of page 1; a
    paragraph at the top of page 4, after a table that ended page 3, stays a paragraph."""
    doc = pdf("page-breaks")
    tables = [b for b in doc.blocks if b.kind == "table"]
    assert [r[0] for r in tables[0].rows] == [
        "Measure", "Council homes let within four weeks", "Streets meeting the litter standard",
        "Visits to the two leisure centres", "Planning applications decided on time"]
    assert tables[0].rows[-1] == ["Planning applications decided on time", "84%", "88%", "90%"]
    assert len(tables[1].rows) == 4
    last = doc.blocks[-1]
    assert last.kind == "paragraph" and last.text.startswith("Residents can ask any Cabinet")


def _text_block(text: str, x0: float, top: float) -> RawBlock:
    words, x = [], x0
    for w in text.split():
        words.append(Word(w, x, x + 5 * len(w), top, top + 10, 10.0, False))
        x += 5 * len(w) + 3
    return RawBlock(kind="text", page=1, lines=[Line(words)], text=text)


@pytest.mark.parametrize(("before", "after", "joined"), [
    ("the parks and green spaces of", "Liverpool.", True),  # ends on "of": runs on
    ("a new fund for", "Community groups across the county.", True),
    ("We will open two libraries.", "Parking will be free.", False),  # a sentence ends
    ("Our pledges", "Homes for all.", False),  # a heading-like line, then a new paragraph
])
def test_text_cut_at_a_column_break_is_joined_when_it_runs_on(before, after, joined) -> None:
    # the left column's last line sits below the right column's first line
    blocks = merge_broken_paragraphs([_text_block(before, 50, 700), _text_block(after, 320, 80)])
    assert (len(blocks) == 1) is joined


def test_a_grid_of_cards_is_read_row_by_row_with_its_sections() -> None:
    """Three cards a row, two rows under one heading: each card's paragraph comes in the
    page's order with its own title and its row's heading, as the HTML reads them (read
    column by column down the page, the second row's cards took the heading below)."""
    def paragraphs(doc: Document) -> list[tuple[str, tuple[str, ...]]]:
        return [(b.text, tuple(b.section[-2:])) for b in doc.blocks if b.kind == "paragraph"]

    assert paragraphs(pdf("card-grid")) == paragraphs(html("card-grid"))
