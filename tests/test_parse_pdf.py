"""PDF parser behaviour, checked on the real sample PDFs in samples/pdf/."""

from __future__ import annotations

from pathlib import Path

import pytest

from pledgeflow.document import Block, Document
from pledgeflow.parse import ParseError
from pledgeflow.parse.pdf import PARSER, PARSER_VERSION, parse_pdf
from pledgeflow.parse.pdf_blocks import last_sentence
from pledgeflow.parse.pdf_layout import join_wrapped
from pledgeflow.parse.pdf_tables import TableItem, append_continuation

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


def _text_pdf(pages: list[list[Run]]) -> bytes:
    """A PDF of Helvetica text runs, one list of runs per A4 page."""
    kids = b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(pages)),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>",
    ]
    for runs in pages:
        ops = b"".join(
            b"BT /F%d %.1f Tf %.1f %.1f Td (%s) Tj ET\n"
            % (2 if bold else 1, size, x, 842 - y - size, text.encode("latin-1"))
            for x, y, size, bold, text in runs
        )
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R"
            b" /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>" % (len(objects) + 2)
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
