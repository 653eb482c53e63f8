"""PDF parser behaviour, checked on the real sample PDFs in samples/pdf/."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest

from pledgeflow.document import Block, Document
from pledgeflow.parse import ParseError
from pledgeflow.parse.pdf import (
    PARSER,
    PARSER_VERSION,
    PdfReading,
    parse_pdf,
    read_pdf,
    table_pages,
)
from pledgeflow.parse.pdf_blocks import last_sentence
from pledgeflow.parse.pdf_layout import Word, group_lines, join_wrapped
from pledgeflow.parse.pdf_tables import (
    TABLE_SETTINGS,
    TableItem,
    append_continuation,
    ruled_tables,
)
from pledgeflow.parse.pdf_text import PageFrame, page_words

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "pdf"
CWAC = SAMPLES / "cwac-thriving-economy-outcome-plan.pdf"
EALING = SAMPLES / "ealing-pledges-2022.pdf"

LEAD_IN = "If we are successful, by 2020 we would expect to see:"
GOALS_LEAD_IN = "Revised goals published autumn 2023"


@pytest.fixture(scope="module")
def cwac() -> Document:
    return parse_pdf(CWAC.read_bytes(), document_id="cwac", url="https://example.org/cwac.pdf")


@pytest.fixture(scope="module")
def ealing() -> Document:
    return parse_pdf(EALING.read_bytes(), document_id="ealing")


def tables(doc: Document) -> list[Block]:
    return [b for b in doc.blocks if b.kind == "table"]


def table_starting(doc: Document, first_cell: str) -> Block:
    return next(b for b in tables(doc) if b.rows and b.rows[0][0].startswith(first_cell))


def table_with_cell(doc: Document, prefix: str) -> Block:
    return next(b for b in tables(doc) if any(r[0].startswith(prefix) for r in b.rows or []))


def block_starting(doc: Document, prefix: str) -> Block:
    return next(b for b in doc.blocks if b.text.startswith(prefix))


def index_of(doc: Document, prefix: str) -> int:
    return block_starting(doc, prefix).index


# --- document basics ------------------------------------------------------------------------


def test_document_records_parser_pages_url_and_title(cwac: Document) -> None:
    assert (cwac.parser, cwac.parser_version) == (PARSER, PARSER_VERSION)
    assert cwac.media_type == "application/pdf"
    assert cwac.pages == 10
    assert cwac.url == "https://example.org/cwac.pdf"
    assert cwac.title == "Thriving Economy"


@pytest.mark.parametrize("name", ["cwac", "ealing"])
def test_block_offsets_point_at_block_text(name: str, request: pytest.FixtureRequest) -> None:
    doc: Document = request.getfixturevalue(name)
    assert doc.blocks
    for i, block in enumerate(doc.blocks):
        assert block.index == i
        assert doc.text[block.start : block.end] == block.text


@pytest.mark.parametrize("name", ["cwac", "ealing"])
def test_blocks_are_in_page_order(name: str, request: pytest.FixtureRequest) -> None:
    doc: Document = request.getfixturevalue(name)
    pages = [b.page for b in doc.blocks]
    assert pages == sorted(pages)
    assert pages[0] == 1


# --- running headers, footers and page numbers ----------------------------------------------


def test_page_numbers_and_running_header_are_dropped(cwac: Document) -> None:
    for block in cwac.blocks:
        assert "Page 3 of 10" not in block.text
        assert "Outcome Plan 2016-2020" not in block.text
        assert block.text != "and Chester"
    assert not any(b.text.startswith("Page ") and " of 10" in b.text for b in cwac.blocks)


def test_footer_is_dropped_on_every_page(ealing: Document) -> None:
    assert "Ealing Labour | Ealing Learning Partnership" not in ealing.text


# --- headings and sections ------------------------------------------------------------------


def test_headings_are_found_with_levels(cwac: Document) -> None:
    headings = {b.text: b.level for b in cwac.blocks if b.kind == "heading"}
    assert "What is the problem we are trying to solve?" in headings
    assert "What will good look like?" in headings
    # Same size headings share a level; the smaller "Partners" sits below them.
    assert headings["What will good look like?"] == headings["What are we good at?"]
    assert headings["Partners"] > headings["Resources and Partners that will help us to get there:"]
    assert headings["Thriving Economy"] == 1


def test_paragraph_carries_its_section_path(cwac: Document) -> None:
    block = block_starting(cwac, "By 2020 we are planning to spend")
    assert block.kind == "paragraph"
    assert block.section[-2:] == [
        "Resources and Partners that will help us to get there:",
        "Partners",
    ]
    assert block.heading == "Partners"


def test_heading_section_excludes_itself(cwac: Document) -> None:
    heading = block_starting(cwac, "Partners")
    assert heading.kind == "heading"
    assert "Partners" not in heading.section


@pytest.mark.parametrize("name", ["cwac", "ealing"])
def test_heading_section_holds_only_headings_above_its_level(
    name: str, request: pytest.FixtureRequest
) -> None:
    """A heading's section is the headings it sits under, as in the HTML parser: not the
    heading of the same level before it."""
    doc: Document = request.getfixturevalue(name)
    headings = [b for b in doc.blocks if b.kind == "heading"]
    assert len({b.level for b in headings}) > 1
    for block in headings:
        levels = [next(h.level for h in headings if h.text == t) for t in block.section]
        assert all(level < block.level for level in levels), (block.text, block.section)


def test_bold_label_value_lines_stay_paragraphs(cwac: Document) -> None:
    assert block_starting(cwac, "Outcome Owner: Mark Parkinson").kind == "paragraph"


def test_wrapped_heading_lines_form_one_heading(ealing: Document) -> None:
    heading = block_starting(ealing, "A Fairer Start")
    assert heading.kind == "heading"
    assert heading.text.endswith("from their earliest years to a great education")


# --- lists ----------------------------------------------------------------------------------


def test_bullets_become_list_items_with_their_lead_in(cwac: Document) -> None:
    items = [b for b in cwac.blocks if b.kind == "list_item" and b.lead_in == LEAD_IN]
    assert len(items) == 7
    assert items[0].text == (
        "all schools and settings will be rated by Ofsted as good or outstanding;"
    )
    assert items[-1].text == (
        "all children and young people have access to good quality local provision"
    )
    assert all(b.depth == 1 and b.heading == "What will good look like?" for b in items)


def test_wrapped_bullet_lines_join_into_one_item(cwac: Document) -> None:
    item = block_starting(cwac, "the gap in attainment between children on free school meals")
    assert item.text.endswith("with their peers will have narrowed;")


def test_list_right_after_a_heading_has_no_lead_in(cwac: Document) -> None:
    item = block_starting(cwac, "Education Infrastructure")
    assert item.kind == "list_item"
    assert item.lead_in is None


def test_text_after_a_list_is_not_glued_to_the_last_item(cwac: Document) -> None:
    assert block_starting(cwac, "Local Armed Forces and Veterans").text == (
        "Local Armed Forces and Veterans"
    )


def test_goal_bullets_have_lead_in_and_section(ealing: Document) -> None:
    item = block_starting(ealing, "A good school for every learner")
    assert item.kind == "list_item"
    assert item.lead_in == GOALS_LEAD_IN
    assert item.heading == "Learning and achievement"
    assert block_starting(ealing, GOALS_LEAD_IN).kind == "paragraph"


def test_list_continues_across_the_column_break(ealing: Document) -> None:
    item = block_starting(ealing, "Robust and sustainable universal school models")
    assert item.kind == "list_item"
    assert item.lead_in == GOALS_LEAD_IN
    assert item.heading == "Safeguarding and wellbeing"


# --- text joining and reading order ---------------------------------------------------------


def test_line_end_hyphen_joins_without_space(ealing: Document) -> None:
    item = block_starting(ealing, "Significant reduction in permanent exclusions")
    assert "area-wide commitment" in item.text
    assert "area- wide" not in ealing.text


def test_two_columns_are_read_left_column_first(ealing: Document) -> None:
    left_bullet = index_of(ealing, "Exemplary safeguarding practice")
    right_heading = index_of(ealing, "Progression and pathways")
    assert left_bullet < right_heading
    assert index_of(ealing, "SEN and inclusion") < index_of(ealing, "Safeguarding and wellbeing")


def test_bordered_pledges_are_paragraphs_not_tables(ealing: Document) -> None:
    assert tables(ealing) == []
    pledge = block_starting(ealing, "We will bring our schools closer together")
    assert pledge.kind == "paragraph"
    assert pledge.text.endswith("teachers and the local community.")


# --- tables ---------------------------------------------------------------------------------


def test_kpi_table_across_pages_is_one_block(cwac: Document) -> None:
    kpi = table_starting(cwac, "KPI")
    assert kpi.page == 4
    assert kpi.header_rows == 1
    assert kpi.rows[0] == ["KPI", "Measure", "Baseline", "2018/19 Target", "2019/20 Target"]
    data = kpi.rows[1:]
    assert len(data) == 16
    assert all(len(row) == 5 for row in data)
    assert [row[0] for row in data].count("KPI") == 8
    assert [row[0] for row in data].count("-") == 8
    assert sum(1 for b in tables(cwac) if b.rows[0][0] == "KPI") == 1


def test_kpi_empty_cell_stays_empty(cwac: Document) -> None:
    kpi = table_starting(cwac, "KPI")
    primary = next(r for r in kpi.rows if "good or better primary school" in r[1])
    assert primary[2:] == ["91.4%", "", "100.0%"]


def test_row_split_by_page_break_is_joined(cwac: Document) -> None:
    actions = table_with_cell(cwac, "A.8.2.2")
    row = next(r for r in actions.rows if r[0].startswith("A.8.2.2"))
    assert "at strategic and operational levels regarding children who are NEET" in row[0]
    assert row[0].endswith("rolled out to schools.")
    assert row[1:] == ["September 2018", "Senior Managers in Integrated Early Support"]
    for table in tables(cwac):
        assert not any(r[0].startswith("levels regarding") for r in table.rows)
    assert "levels regarding" not in " ".join(b.text for b in cwac.blocks if b.kind != "table")


def test_action_table_continues_on_next_page(cwac: Document) -> None:
    actions = table_with_cell(cwac, "A.8.1.1")
    ids = [r[0].split()[0] for r in actions.rows[actions.header_rows :]]
    assert ids == [f"A.8.1.{n}" for n in range(1, 12)]
    assert actions.header_rows == 1
    assert [len(r) for r in actions.rows] == [3] * len(actions.rows)


def test_cell_line_end_hyphen_joins_without_space(cwac: Document) -> None:
    row = next(r for r in table_with_cell(cwac, "A.8.3.2").rows if r[0].startswith("A.8.3.2"))
    assert "Co-produce the next iteration" in row[0]


def test_bulleted_cells_keep_one_line_per_bullet(cwac: Document) -> None:
    first = table_starting(cwac, "Strategic Theme")
    assert first.header_rows == 1
    lines = first.rows[1][1].split("\n")
    assert len(lines) == 7
    assert all(line.startswith("• ") for line in lines)
    third = table_with_cell(cwac, "3. Ensure the local skills system")
    assert all(line.startswith("▪ ") for line in third.rows[1][1].split("\n"))


def test_table_text_is_tab_separated_rows(cwac: Document) -> None:
    risks = table_starting(cwac, "Risk")
    assert risks.text.split("\n")[0] == "Risk\tMitigation\tOwner"
    assert len(risks.rows) == 6 and risks.header_rows == 1


def test_shaded_tile_grid_is_a_table(cwac: Document) -> None:
    grid = table_starting(cwac, "Cheshire West Education Improvement Board")
    assert [len(r) for r in grid.rows] == [3] * 4
    assert len(grid.rows) == 4
    assert grid.header_rows == 0


def test_table_text_is_not_repeated_as_paragraphs(cwac: Document) -> None:
    prose = [b.text for b in cwac.blocks if b.kind != "table"]
    assert not any("Continue to refine and deliver the priorities" in t for t in prose)
    assert not any(t.startswith("KPI") for t in prose)


def test_interdependencies_join_across_pages(cwac: Document) -> None:
    table = table_starting(cwac, "Programme / Project / Activity")
    assert table.header_rows == 1
    assert [r[0] for r in table.rows][-1] == "Link with Business Growth Outcome"
    assert ["High Needs Review", ""] in table.rows


# --- table joining rules on their own --------------------------------------------------------


def _table(rows: list[list[str]], page: int) -> TableItem:
    return TableItem(
        page, 0, 0, 100, 100, [list(r) for r in rows], [0.0, 50.0, 80.0], False, pages=[page]
    )


def test_repeated_header_on_continuation_is_dropped_and_counted() -> None:
    table = _table([["A", "B", "C"], ["1", "2", "3"]], page=1)
    append_continuation(table, _table([["A", "B", "C"], ["4", "5", "6"]], page=2))
    assert table.rows == [["A", "B", "C"], ["1", "2", "3"], ["4", "5", "6"]]
    assert table.header_rows == 1


def test_continuation_row_with_one_empty_cell_is_a_new_row() -> None:
    table = _table([["A", "B", "C"], ["x", "91%", "95%"]], page=1)
    append_continuation(table, _table([["Y", "", "100%"]], page=2))
    assert table.rows[-2:] == [["x", "91%", "95%"], ["Y", "", "100%"]]


def test_continuation_row_with_mostly_empty_cells_extends_the_last_row() -> None:
    table = _table([["A", "B", "C"], ["Do this at strategic and", "May", "Ann"]], page=1)
    append_continuation(
        table, _table([["operational levels.", "", ""], ["Next", "June", "Bo"]], page=2)
    )
    assert table.rows[1:] == [
        ["Do this at strategic and operational levels.", "May", "Ann"],
        ["Next", "June", "Bo"],
    ]


# --- small text rules -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "continuation", "joined"),
    [
        ("area-", "wide", "area-wide"),
        ("Co-", "produce", "Co-produce"),
        ("the 14-", "19 strategy", "the 14- 19 strategy"),
        ("services –", "and", "services – and"),
        ("plain", "text", "plain text"),
    ],
)
def test_wrapped_lines_join_with_space_unless_letter_hyphen(
    text: str, continuation: str, joined: str
) -> None:
    assert join_wrapped(text, continuation) == joined


def test_two_small_lines_beside_a_large_heading_stay_two_lines() -> None:
    """A 24 pt heading in the left column overlaps two 12 pt lines of the right column;
    both lines join its row, but they are no one line (their words interleaved)."""
    big = [Word("Our", 30, 70, 100, 124, 24.0, True), Word("plan", 76, 130, 100, 124, 24.0, True)]
    first = [Word("Keep", 350, 378, 101, 113, 12.0, False),
             Word("libraries", 381, 430, 101, 113, 12.0, False)]
    second = [Word("Extend", 350, 388, 114.5, 126.5, 12.0, False),
              Word("clubs", 391, 420, 114.5, 126.5, 12.0, False)]
    lines = group_lines([*big, *first, *second])
    assert [line.text for line in lines] == ["Our plan", "Keep libraries", "Extend clubs"]


def test_lead_in_is_the_last_sentence_of_the_paragraph() -> None:
    text = "This will be achieved. If we succeed, by 2020 we would expect to see:"
    assert last_sentence(text) == "If we succeed, by 2020 we would expect to see:"
    assert last_sentence(GOALS_LEAD_IN) == GOALS_LEAD_IN


# --- unreadable input -----------------------------------------------------------------------


def _write_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """Serialise numbered objects (1 = catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\n" % (len(objects) + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def _minimal_pdf(content: bytes = b"", encrypt: bool = False) -> bytes:
    """A one-page PDF: blank, or drawing ``content`` (no text)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    if not encrypt:
        return _write_pdf(objects)
    # A standard security handler whose empty user password does not match.
    objects.append(
        b"<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <"
        + b"11" * 32
        + b"> /U <"
        + b"22" * 32
        + b"> >>"
    )
    file_id = b"<" + b"ab" * 16 + b">"
    return _write_pdf(objects, b"/Encrypt 5 0 R /ID [%s %s]" % (file_id, file_id))


Run = tuple[float, float, float, bool, str]  # x, y from the top, size, bold, text


def _text_pdf(pages: list[list[Run]], **page_options) -> bytes:
    """A PDF of Helvetica text runs, one list of runs per A4 page."""
    return _content_pdf(
        [
            b"".join(
                b"BT /F%d %.1f Tf %.1f %.1f Td (%s) Tj ET\n"
                % (2 if bold else 1, size, x, 842 - y - size, text.encode("latin-1"))
                for x, y, size, bold, text in runs
            )
            for runs in pages
        ],
        **page_options,
    )


def _content_pdf(
    streams: list[bytes], rotate: int = 0, mediabox: bytes = b"0 0 595 842", form: bytes = b""
) -> bytes:
    """A page per content stream, with Helvetica as /F1, Helvetica-Bold as /F2 and, when
    ``form`` is given, a Form XObject /Fm1 drawing it (its own matrix moves it by 10, 10)."""
    kids = b" ".join(b"%d 0 R" % (6 + 2 * i) for i in range(len(streams)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(streams)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Matrix [1 0 0 1 10 10]"
        b" /Resources << /Font << /F1 3 0 R >> >> /Length %d >>\nstream\n" % len(form)
        + form
        + b"\nendstream",
    ]
    for ops in streams:
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [%s] /Rotate %d /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R /F2 4 0 R >> /XObject << /Fm1 5 0 R >> >> >>"
            % (mediabox, rotate, len(objects) + 2)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
    return _write_pdf(objects)


@pytest.fixture(scope="module")
def broken_paragraph() -> Document:
    first = [
        (60, 100, 16, True, "1. Our priorities"),
        (60, 130, 10, False, "Some introduction text that runs across the page width and wraps"),
        (60, 144, 10, False, "onto a second line here."),
        (60, 770, 10, False, "We will keep every library open and we will extend the hours of"),
    ]
    second = [
        (60, 80, 10, False, "the ones in the town centre by 2025."),
        (60, 100, 10, False, "Another paragraph."),
        (290, 800, 10, False, "2"),
    ]
    return parse_pdf(_text_pdf([first, second]), document_id="synthetic")


def test_paragraph_cut_by_page_break_is_one_block(broken_paragraph: Document) -> None:
    block = block_starting(broken_paragraph, "We will keep every library open")
    assert block.text.endswith("extend the hours of the ones in the town centre by 2025.")
    assert block.page == 1
    assert block_starting(broken_paragraph, "Another paragraph.").page == 2


def test_numbered_line_in_large_font_is_a_heading(broken_paragraph: Document) -> None:
    heading = broken_paragraph.blocks[0]
    assert (heading.kind, heading.text, heading.level) == ("heading", "1. Our priorities", 1)
    assert block_starting(broken_paragraph, "Some introduction").section == ["1. Our priorities"]


def test_numbered_paragraph_wrapping_under_its_number_is_a_paragraph() -> None:
    """ "1. ..." typed into a web page's paragraph wraps back under the number; an ordered
    list hangs its wrapped lines after the number, and its items stay list items."""
    runs = [
        (60, 100, 10, False, "1. Our budget has been cut by a third since 2015, and still we"),
        (60, 114, 10, False, "will keep every library open and extend the hours of the busiest."),
        (60, 140, 10, False, "Our first steps:"),
        (60, 160, 10, False, "1. Freeze parking charges in every council car park"),
        (73, 174, 10, False, "until April 2027."),
        (60, 188, 10, False, "2. Review the budget with residents."),
    ]
    doc = parse_pdf(_text_pdf([runs]), document_id="numbered")
    assert [(b.kind, b.text, b.lead_in) for b in doc.blocks] == [
        ("paragraph", "1. Our budget has been cut by a third since 2015, and still we will keep "
                      "every library open and extend the hours of the busiest.", None),
        ("paragraph", "Our first steps:", None),
        ("list_item", "1. Freeze parking charges in every council car park until April 2027.",
         "Our first steps:"),
        ("list_item", "2. Review the budget with residents.", "Our first steps:"),
    ]


def test_bold_question_over_a_list_is_its_lead_in_not_a_heading() -> None:
    """A web page's <p><strong>What is the council doing?</strong></p> above a list is
    printed as a bold line in the body size: the HTML parser reads a lead-in there."""
    runs = [
        (60, 80, 16, True, "Schools"),
        (60, 110, 10, False, "The council runs nine schools and funds another twelve."),
        (60, 130, 10, True, "What is the council doing?"),
        (60, 150, 10, False, "- Repairing the roofs of three primary schools."),
        (60, 164, 10, False, "- Extending free breakfast clubs to every school."),
        (60, 190, 10, True, "Why does it matter?"),
        (60, 210, 10, False, "Children learn better in warm, dry classrooms."),
    ]
    doc = parse_pdf(_text_pdf([runs]), document_id="question")
    assert [(b.kind, b.text, b.lead_in) for b in doc.blocks] == [
        ("heading", "Schools", None),
        ("paragraph", "The council runs nine schools and funds another twelve.", None),
        ("paragraph", "What is the council doing?", None),
        ("list_item", "Repairing the roofs of three primary schools.",
         "What is the council doing?"),
        ("list_item", "Extending free breakfast clubs to every school.",
         "What is the council doing?"),
        ("heading", "Why does it matter?", None),
        ("paragraph", "Children learn better in warm, dry classrooms.", None),
    ]


def test_text_beside_a_column_of_links_is_not_a_table() -> None:
    """The foot of a text column beside a sidebar of short links: two columns whose rows
    pair up, but a sentence runs on from row to row, so they are lines, not table rows."""
    left = ["Working with young carers, we will develop", "a new carers strategy that will set",
            "out how the council supports those who", "give unpaid care to someone else."]
    right = ["Privacy policy", "Cookie policy", "Contact us", "Promoted by Fernbrook Together"]
    runs = [(60, 100 + 14 * i, 10, False, text) for i, text in enumerate(left)]
    runs += [(330, 100 + 14 * i, 10, False, text) for i, text in enumerate(right)]
    doc = parse_pdf(_text_pdf([runs]), document_id="sidebar")
    assert not [b for b in doc.blocks if b.kind == "table"]
    assert "Working with young carers, we will develop a new carers strategy" in doc.text


def test_lone_page_number_is_dropped(broken_paragraph: Document) -> None:
    assert broken_paragraph.blocks[-1].text == "Another paragraph."


@pytest.mark.parametrize(
    "data",
    [b"", b"this is not a PDF at all", b"%PDF-1.4\n"],
    ids=["empty", "garbage", "header-only"],
)
def test_garbage_raises_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError, match="not a readable PDF"):
        parse_pdf(data, document_id="bad")


def test_truncated_pdf_raises_parse_error() -> None:
    data = EALING.read_bytes()
    with pytest.raises(ParseError) as info:
        parse_pdf(data[: len(data) // 2], document_id="truncated")
    assert "\n" not in str(info.value)


def test_encrypted_pdf_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="encrypted"):
        parse_pdf(_minimal_pdf(encrypt=True), document_id="locked")


@pytest.mark.parametrize("content", [b"", b"0 0 1 rg 10 10 100 100 re f"], ids=["blank", "drawing"])
def test_pdf_without_text_layer_asks_for_ocr(content: bytes) -> None:
    with pytest.raises(ParseError, match="OCR"):
        parse_pdf(_minimal_pdf(content), document_id="scan")


# --- reading pages: words and ruling from pdfium, tables by pdfplumber's algorithm --------


def plumber_words(page) -> list[Word]:
    """The words pdfplumber gave the parser before pdfium did."""
    raw = [w for w in page.extract_words(extra_attrs=["size", "fontname"]) if w["text"].strip()]
    upright = [w for w in raw if w["upright"]]
    return [Word.from_plumber(w) for w in upright or raw]


def both_readings(data: bytes) -> list[tuple[list[Word], list[Word]]]:
    """(pdfplumber's words, pdfium's words) of every page."""
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        expected = [plumber_words(page) for page in pdf.pages]
    doc = pdfium.PdfDocument(data)
    got = []
    for index in range(len(doc)):
        page = doc[index]
        got.append(page_words(page))
        page.close()
    doc.close()
    assert len(got) == len(expected)
    return list(zip(expected, got, strict=True))


def positions(words: list[Word]) -> list[tuple]:
    return sorted(
        (w.text, round(w.x0, 3), round(w.x1, 3), round(w.top, 3), round(w.bottom, 3), w.size,
         w.bold)
        for w in words
    )


def paired(a: list[Word], b: list[Word]) -> list[tuple[Word, Word]]:
    """The same words of two readings of a page, paired by text and then by position."""
    by_text: dict[str, tuple[list[Word], list[Word]]] = {}
    for side, words in enumerate((a, b)):
        for w in words:
            by_text.setdefault(w.text, ([], []))[side].append(w)
    pairs = []
    for xs, ys in by_text.values():
        assert len(xs) == len(ys)
        pairs += zip(sorted(xs, key=lambda w: (w.top, w.x0)),
                     sorted(ys, key=lambda w: (w.top, w.x0)), strict=True)
    return pairs


@pytest.mark.parametrize("path", [CWAC, EALING], ids=["cwac", "ealing"])
def test_pdfium_words_are_pdfplumbers_words(path: Path) -> None:
    """Same words on every page, with the same size and weight; positions agree to 0.01 pt
    for over 90% of words and within 2 pt for all. The rest: pdfium's box along the text
    also covers a glyph overhanging its advance (italic f, j: up to 1.1 pt), and pdfium
    measures the descent of a font whose descriptor gives 0 (DejaVu bullets: 1.76 pt)."""
    close = total = 0
    for expected, got in both_readings(path.read_bytes()):
        assert sorted(w.text for w in got) == sorted(w.text for w in expected)
        for x, y in paired(expected, got):
            off = max(abs(getattr(x, k) - getattr(y, k)) for k in ("x0", "x1", "top", "bottom"))
            assert off < 2.0, (x, y)
            assert (x.size, x.bold) == (y.size, y.bold)
            close += off <= 0.01
            total += 1
    assert close >= 0.9 * total


@pytest.mark.parametrize(
    ("rotate", "mediabox"),
    [(0, b"0 0 595 842"), (90, b"0 0 595 842"), (180, b"0 0 595 842"),
     (270, b"0 0 595 842"), (0, b"-20 100 575 942"), (270, b"10 20 605 862")],
    ids=["upright", "rotate-90", "rotate-180", "rotate-270", "shifted", "shifted-270"],
)
def test_word_positions_follow_pdfplumber_on_rotated_and_shifted_pages(
    rotate: int, mediabox: bytes
) -> None:
    runs = [(72, 100, 12, False, "Hello world again"), (72, 120, 10, True, "Bold words here"),
            (300, 160, 9, False, "Small print (c) 2024")]
    data = _text_pdf([runs], rotate=rotate, mediabox=mediabox)
    for expected, got in both_readings(data):
        assert positions(got) == positions(expected)


def test_words_split_where_pdfium_generates_a_space() -> None:
    """TeX and some converters space words by kerning, drawing no space glyph; pdfplumber
    glues words whose gap is under its 3 pt tolerance ("Helloworldagain"). pdfium
    generates a space at such a gap, and a generated space ends a word here."""
    data = _content_pdf([b"BT /F1 10 Tf 72 700 Td [(Hello)-250(world)-180(again)] TJ ET"])
    ((_, got),) = both_readings(data)
    assert [w.text for w in got] == ["Hello", "world", "again"]


def test_hyphen_at_a_line_end_keeps_its_character() -> None:
    """pdfium marks a hyphen that ends a line; the word keeps its "-" as pdfplumber's does."""
    data = _text_pdf([[(60, 100, 10, False, "an area-"), (60, 114, 10, False, "wide plan")]])
    ((expected, got),) = both_readings(data)
    assert positions(got) == positions(expected)
    assert "area-" in [w.text for w in got]


def test_table_pages_are_the_pages_with_ruled_tables() -> None:
    data = CWAC.read_bytes()
    assert read_pdf(data).table_pages == [4, 5, 6, 7, 8, 9, 10]
    assert table_pages(data) == [4, 5, 6, 7, 8, 9, 10]
    # Ealing draws ruled boxes around its pledges, but no table of two or more columns.
    assert read_pdf(EALING.read_bytes()).table_pages == []


def code_run_by(fn) -> set[Path]:
    """The source files of every Python function that runs while ``fn()`` does, seen by a
    profile hook (nothing is replaced: the code runs as it always does)."""
    files: set[str] = set()

    def hook(frame, event, arg) -> None:
        if event == "call":
            files.add(frame.f_code.co_filename)

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        fn()
    finally:
        sys.setprofile(previous)
    return {Path(f).resolve() for f in files}


def test_table_pages_are_read_without_opening_the_pdf_in_pdfplumber() -> None:
    """No pdfminer code runs while a PDF with seven table pages is read; of pdfplumber,
    only its table algorithm does (table.py and the utils it calls), on pdfium's edges."""
    import pdfminer

    data = CWAC.read_bytes()
    read_pdf(data)  # imports happen here, not while watching
    found: list[PdfReading] = []
    ran = code_run_by(lambda: found.append(read_pdf(data)))
    assert sum(len(page.tables) for page in found[0].pages) >= 7
    miner = Path(pdfminer.__file__).resolve().parent
    plumber = Path(pdfplumber.__file__).resolve().parent
    assert not [f for f in ran if f.is_relative_to(miner)]
    used = {f.relative_to(plumber).as_posix() for f in ran if f.is_relative_to(plumber)}
    assert "table.py" in used
    assert all(f == "table.py" or f.startswith("utils/") for f in used), used


def cell_grid(tables) -> list[list[list[tuple[float, ...] | None]]]:
    """Each table's rows of cell boxes (None where pdfplumber's grid has no cell)."""
    return [[list(row.cells) for row in t.rows] for t in tables]


def same_cells(ours, theirs, tolerance: float = 0.001) -> bool:
    """The same tables, rows and missing cells, every cell edge within ``tolerance``."""
    if [[len(row) for row in t] for t in ours] != [[len(row) for row in t] for t in theirs]:
        return False
    pairs = [
        (a, b)
        for ta, tb in zip(ours, theirs, strict=True)
        for ra, rb in zip(ta, tb, strict=True)
        for a, b in zip(ra, rb, strict=True)
    ]
    return all(
        (a is None) == (b is None)
        and (a is None or max(abs(p - q) for p, q in zip(a, b, strict=True)) <= tolerance)
        for a, b in pairs
    )


@pytest.mark.parametrize("path", [CWAC, EALING], ids=["cwac", "ealing"])
def test_ruled_tables_are_those_pdfplumber_finds(path: Path) -> None:
    """pdfium's drawing run through pdfplumber's table functions gives, page by page, the
    tables of two or more columns pdfplumber's own table finder gives, cell by cell."""
    data = path.read_bytes()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        expected = [
            [t for t in page.find_tables(TABLE_SETTINGS) if len(t.columns) >= 2]
            for page in pdf.pages
        ]
        expected_cells = [cell_grid(tables) for tables in expected]
    doc = pdfium.PdfDocument(data)
    got = []
    for index in range(len(doc)):
        page = doc[index]
        got.append(cell_grid(ruled_tables(page, PageFrame.of(page))))
        page.close()
    assert table_pages(data) == [n for n, tables in enumerate(expected, start=1) if tables]
    assert len(got) == len(expected_cells)
    for number, (ours, theirs) in enumerate(zip(got, expected_cells, strict=True), start=1):
        assert same_cells(ours, theirs), number


GRID = (b"0.5 w 100 600 m 400 600 l S 100 650 m 400 650 l S 100 700 m 400 700 l S "
        b"100 600 m 100 700 l S 250 600 m 250 700 l S 400 600 m 400 700 l S\n"
        b"BT /F1 10 Tf 110 670 Td (Alpha) Tj 150 0 Td (Beta) Tj ET\n"
        b"BT /F1 10 Tf 110 620 Td (Gamma) Tj 150 0 Td (Delta) Tj ET\n")


@pytest.mark.parametrize(
    ("content", "form"), [(GRID, b""), (b"q 0.8 0 0 1.2 30 -150 cm /Fm1 Do Q", GRID)],
    ids=["page", "form-xobject"],
)
def test_a_drawn_grid_is_read_as_a_table(content: bytes, form: bytes) -> None:
    data = _content_pdf([content], form=form)
    assert read_pdf(data).table_pages == [1]
    (table,) = tables(parse_pdf(data, document_id="grid"))
    assert table.rows == [["Alpha", "Beta"], ["Gamma", "Delta"]]


def test_a_box_around_text_is_not_a_table() -> None:
    content = (b"100 600 300 100 re S\n"
               b"BT /F1 10 Tf 110 670 Td (A pledge in a box, not a table.) Tj ET\n")
    data = _content_pdf([content])
    assert read_pdf(data).table_pages == []
    assert [b.kind for b in parse_pdf(data, document_id="box").blocks] == ["paragraph"]


def test_a_long_pdf_of_sample_pages_keeps_its_tables() -> None:
    """202 pages: the CWAC plan, then its three table-free pages 64 times. Tables are found
    on the seven table pages only, and come out as when the plan is parsed alone."""
    plan = pdfium.PdfDocument(CWAC.read_bytes())
    long = pdfium.PdfDocument.new()
    long.import_pages(plan)
    for _ in range(64):
        long.import_pages(plan, [0, 1, 2])
    buffer = io.BytesIO()
    long.save(buffer)
    data = buffer.getvalue()
    assert read_pdf(data).table_pages == [4, 5, 6, 7, 8, 9, 10]
    doc = parse_pdf(data, document_id="long")
    alone = parse_pdf(CWAC.read_bytes(), document_id="cwac")
    assert doc.pages == 202
    assert [(t.rows, t.header_rows, t.page) for t in tables(doc)] == [
        (t.rows, t.header_rows, t.page) for t in tables(alone)
    ]


WORDS = ("council housing school road park library budget target plan review service "
         "repair grant youth older people transport waste recycling parking safety "
         "community health energy homes jobs skills").split()


def table_heavy_pdf(tables: int = 24, seed: int = 7) -> bytes:
    """A PDF of ruled reportlab tables with some prose between them: wrapped cells, an empty
    cell, a spanned cell, a shaded header repeated over page breaks, varied column counts."""
    pytest.importorskip("reportlab", reason="reportlab writes the table-heavy test PDF")
    import random

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    rng = random.Random(seed)
    styles = getSampleStyleSheet()

    def text(lo: int, hi: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))

    story = []
    for number in range(tables):
        story.append(Paragraph(f"Section {number + 1}: {text(3, 6)}", styles["Heading2"]))
        story.append(Paragraph(text(20, 60) + ".", styles["BodyText"]))
        cols = rng.choice([2, 3, 4, 5])
        n_rows = rng.choice([3, 6, 12, 40])  # 40 rows run over a page break
        rows = [[f"Head {j + 1}" for j in range(cols)]]
        rows += [[Paragraph(text(1, 18), styles["BodyText"]) for _ in range(cols)]
                 for _ in range(n_rows)]
        rows[1][cols - 1] = ""
        commands = [("GRID", (0, 0), (-1, -1), rng.choice([0.5, 0.6, 1.0]), colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP")]
        if number % 3 == 0 and n_rows > 3:
            rows[3][1] = ""
            commands.append(("SPAN", (0, 3), (1, 3)))
        table = Table(rows, colWidths=[460 / cols] * cols, repeatRows=1)
        table.setStyle(TableStyle(commands))
        story.append(table)
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, invariant=1).build(story)
    return buffer.getvalue()


def test_tables_are_pdfplumbers_own_tables() -> None:
    """On a table-heavy PDF, every table pdfplumber's own ``page.find_tables`` finds (two or
    more columns) comes out on the same page, in the same place to 0.001 pt, with the same
    cell texts as pdfplumber's ``extract()`` (whitespace aside); pdfplumber is only the
    reference here, the parser never opens the PDF with it."""
    data = table_heavy_pdf()

    def clean(cell: str | None) -> str:
        return " ".join((cell or "").split())

    expected = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for table in page.find_tables(TABLE_SETTINGS):
                if len(table.columns) >= 2:
                    rows = [[clean(c) for c in row] for row in table.extract()]
                    expected.append((number, table.bbox, rows))
            page.close()
    reading = read_pdf(data)
    got = [
        (page.number, (t.x0, t.top, t.x1, t.bottom), [[clean(c) for c in r] for r in t.rows])
        for page in reading.pages
        for t in page.tables
    ]
    assert len(reading.pages) >= 20
    assert len(expected) >= 30  # tables split over page breaks count once per page
    assert reading.table_pages == sorted({number for number, _, _ in expected})
    assert [(number, rows) for number, _, rows in got] == [
        (number, rows) for number, _, rows in expected
    ]
    for (_, ours, _), (_, theirs, _) in zip(got, expected, strict=True):
        assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) <= 0.001


MEMORY_PROBE = """
import io, json, sys
import pypdfium2 as pdfium
from pledgeflow.parse.pdf import parse_pdf
leaflet = pdfium.PdfDocument(sys.argv[1])
long = pdfium.PdfDocument.new()
while len(long) < 500:
    long.import_pages(leaflet)
buffer = io.BytesIO()
long.save(buffer)
long.close()
doc = parse_pdf(buffer.getvalue(), document_id="long")
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
print(json.dumps({"pages": doc.pages, "maxrss_kb": peak}))
"""


@pytest.mark.slow  # builds and parses a 500-page PDF
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_500_page_pdf_parses_within_500_mb() -> None:
    """Pages are read one at a time and released, so a long PDF stays well inside budget.
    The peak is the probe's VmHWM: ru_maxrss would include pytest's own memory, which a
    child started by vfork/exec inherits."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(EALING)],
        capture_output=True, text=True, check=True, timeout=300,
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["pages"] == 500
    assert measured["maxrss_kb"] <= 500 * 1024
