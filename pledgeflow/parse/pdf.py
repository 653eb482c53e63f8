"""Parse a PDF into document blocks.

Every page's words come from pdfium (``pdf_text``; pdfminer, behind pdfplumber, reads
about ten pages a second) with their font size and weight; they are grouped into lines,
ordered for reading (two-column bands left column first), and grouped into paragraphs,
headings and list items by spacing and font. List bullets drawn as shapes (browsers and
design tools draw discs, circles and squares, not characters) are found in the same pass
over the page's drawing as the table ruling, and become bullet glyphs at the start of
their lines (``pdf_layout.add_markers``). Ruled tables are found by pdfplumber's table
algorithm run on the ruling rebuilt from pdfium's drawing (``pdf_tables.ruled_tables``),
and their cells are read from the same pdfium words: pdfplumber never opens the PDF, so
pdfminer does not run. A row of drawn tiles, each a label and a figure set large (a
scorecard's cards), is a two-row table of labels over figures (``pdf_tiles``). Tables
without ruling (a browser's borderless HTML table, a word processor's) are found from the
rivers of whitespace between the columns of the page's lines (``pdf_unruled``),
two-column prose kept out. A table broken by a page break is
joined back into one block. Running headers, footers and page numbers are dropped.

A page with no text layer but pictures (a scan) is rendered and read by OCR (``ocr``),
within the document's OCR budget; its words take the same path from ``add_markers`` on,
and its blocks carry ``ocr=True``. Pages left unread are listed on the Document with why.

The layout and block logic live in ``pdf_layout``, ``pdf_tables``, ``pdf_unruled`` and
``pdf_blocks``; this module only opens the PDF, reads it a page at a time and assembles
the ``Document``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pypdfium2 as pdfium

from pledgeflow.document import Block, Document
from pledgeflow.parse import NeedsOCR, ParseError
from pledgeflow.parse.ocr import OcrBudget, OcrOptions, is_scanned, snap_sizes
from pledgeflow.parse.pdf_blocks import (
    PageContent,
    RawBlock,
    body_size,
    build_blocks,
    drop_running_lines,
    merge_broken_paragraphs,
    merge_page_break_tables,
    page_blocks,
)
from pledgeflow.parse.pdf_layout import Mark, Word, add_markers, group_lines
from pledgeflow.parse.pdf_tables import (
    TableItem,
    has_ruled_table,
    page_drawing,
    read_tables,
    row_rules,
    ruled_tables,
)
from pledgeflow.parse.pdf_text import PageFrame, page_words
from pledgeflow.parse.pdf_tiles import figure_tiles
from pledgeflow.parse.pdf_unruled import (
    across_column_break,
    going_on,
    has_split_rows,
    header_text,
    last_table_open,
    open_row,
    unruled_tables_in_columns,
)

PARSER = "pdf"
# 2: words from pdfium, pdfplumber only on pages with ruled tables; 3: table cells found from
# pdfium's drawing with pdfplumber's table functions, pdfplumber's PDF never opened; 4: list
# items from drawn markers, nested items' lead-ins, numbered paragraphs, headings' sections,
# tables without rules; 5: OCR of scanned pages, blocks' ``ocr`` flag, pages left unread;
# 6: two-column order (lines split at the gutter, footers after the columns), list depth
# from a number's right edge; 7: one-row, background-only and ill-fitting ruled grids left
# to the layout; unruled tables with centred cells, wrapped headers, inside one page column,
# and the rows a page break leaves at the top of the next page; 9: "1: " numbers an item;
# 10: a table a column break cuts is joined (its header repeated or its columns moved), a
# bold header over one row is a table, a table alone beside a column is read as a column;
# 11: what stands well below both columns' end is read after them; 12: a grid of cards is
# read row by row, and a heading reaching a gutter above the columns does not hide it;
# 13: in a table cell, the first line set smaller than the cell's first follows a newline;
# 14: a row of drawn tiles, each a label and one figure set large, is a two-row table;
# 15: rows opening the right page column that fit a table ending the left one, its columns
# moved by the gutter, are a piece of it
PARSER_VERSION = "15"

# pdfium is not thread-safe; parsing normally runs one document per worker process, and
# the lock keeps a caller that parses from threads safe.
_PDFIUM_LOCK = threading.Lock()


@dataclass
class PdfReading:
    """What was read from a PDF, before blocks are built."""

    pages: list[PageContent]
    title: str | None  # the metadata Title
    # 1-based pages holding a ruled table of two or more columns, found in pdfium's drawing
    table_pages: list[int] = field(default_factory=list)
    ocr: OcrBudget = field(default_factory=lambda: OcrBudget(OcrOptions()))


def parse_pdf(data: bytes, *, document_id: str, url: str | None = None,
              ocr: OcrOptions | None = None) -> Document:
    """Parse PDF bytes into a Document; raise ParseError when the PDF cannot be read, and
    NeedsOCR when no page has text (after OCR, where it ran)."""
    reading = read_pdf(data, ocr)
    pages = reading.pages
    if not any(page.lines or page.tables for page in pages):
        raise NeedsOCR(_no_text(reading.ocr))
    drop_running_lines(pages)
    body = body_size(pages)
    raw: list[RawBlock] = []
    for page in pages:
        raw.extend(page_blocks(page, body))
    raw = merge_broken_paragraphs(merge_page_break_tables(raw))
    blocks = build_blocks(raw, body)
    for block in blocks:
        block.ocr = block.page in reading.ocr.pages
    return Document.from_blocks(
        blocks,
        id=document_id,
        media_type="application/pdf",
        title=_title(blocks) or reading.title,
        pages=len(pages),
        parser=PARSER,
        parser_version=PARSER_VERSION,
        url=url,
        ocr_pages=list(reading.ocr.pages),
        unread_pages=sorted(reading.ocr.unread),
        ocr_options=reading.ocr.used(),
        warnings=reading.ocr.warnings(),
    )


def _no_text(budget: OcrBudget) -> str:
    """Why a PDF gave no text: nothing to read, or what kept its scanned pages unread."""
    if budget.unread:
        reasons = "; ".join(dict.fromkeys(budget.unread.values()))
        return f"PDF has no text layer (scanned or image-only) and was not OCR'd: {reasons}"
    if budget.pages:
        return "PDF has no text layer and OCR found no text on its scanned pages"
    return "PDF has no text layer (scanned or image-only) and no pictures to OCR"


def read_pdf(data: bytes, ocr: OcrOptions | None = None) -> PdfReading:
    """Every page's lines and tables, one page at a time; unreadable PDFs raise ParseError.
    Scanned pages are OCR'd within ``ocr``'s bounds (the defaults when None)."""
    with _PDFIUM_LOCK, _pdfium_errors():
        doc = pdfium.PdfDocument(data)
        try:
            reading = PdfReading([], _metadata_title(doc), ocr=OcrBudget(ocr or OcrOptions()))
            scanned: list[tuple[int, float, list[Word], list[Mark]]] = []
            open_table: TableItem | None = None  # the table that ended the page before
            open_header: str | None = None
            for index in range(len(doc)):
                page = doc[index]
                try:
                    frame = PageFrame.of(page)
                    words = page_words(page)
                    if is_scanned(page, words):
                        found = reading.ocr.read(page, index + 1)
                        if found is not None:  # laid out once every page's sizes are known
                            scanned.append((index + 1, frame.height, *found))
                            open_table = None
                            continue
                    edges, marks, boxes = page_drawing(page, frame)
                    words = add_markers(words, marks)
                    grids = ruled_tables(page, frame, edges)
                    found, words = read_tables(grids, index + 1, words)
                    if grids:
                        reading.table_pages.append(index + 1)
                    lines = group_lines(words)
                    tiles, lines = figure_tiles(index + 1, lines, boxes)
                    found.extend(tiles)
                    if open_table is not None:
                        found, lines = going_on(index + 1, found, lines, open_table,
                                                open_header)
                    if has_split_rows(lines):  # most prose pages stop here
                        unruled, lines = unruled_tables_in_columns(index + 1, lines,
                                                                   row_rules(edges))
                        found.extend(unruled)
                    found, lines = open_row(index + 1, found, lines)
                    found, lines = across_column_break(index + 1, found, lines)
                    open_table = last_table_open(found, lines)
                    open_header = header_text(open_table)
                    reading.pages.append(PageContent(index + 1, frame.height, lines, found))
                finally:
                    page.close()  # pages are read one at a time, so memory stays flat
        finally:
            doc.close()
    if scanned:
        reading.pages = sorted([*reading.pages, *_ocr_pages(scanned)], key=lambda p: p.number)
    if not reading.pages:
        raise ParseError("PDF has no pages")
    return reading


def _ocr_pages(scanned: list[tuple[int, float, list[Word], list[Mark]]]) -> list[PageContent]:
    """OCR'd pages laid out as text pages are, their estimated sizes made one per style
    across the document first. A scan has no drawing, so no ruled tables."""
    snap_sizes([words for _, _, words, _ in scanned])
    pages = []
    for number, height, words, marks in scanned:
        lines = group_lines(add_markers(words, marks))
        found = []
        if has_split_rows(lines):
            found, lines = unruled_tables_in_columns(number, lines)
        pages.append(PageContent(number, height, lines, found))
    return pages


def table_pages(data: bytes) -> list[int]:
    """The 1-based pages whose drawing holds a ruled table of two or more columns."""
    with _PDFIUM_LOCK, _pdfium_errors():
        doc = pdfium.PdfDocument(data)
        try:
            found = []
            for index in range(len(doc)):
                page = doc[index]
                try:
                    if has_ruled_table(page, PageFrame.of(page)):
                        found.append(index + 1)
                finally:
                    page.close()
            return found
        finally:
            doc.close()


@contextmanager
def _pdfium_errors() -> Iterator[None]:
    """pdfium's errors (broken, truncated or encrypted files) as one-line ParseErrors."""
    try:
        yield
    except pdfium.PdfiumError as exc:
        raise ParseError(_open_error(exc)) from exc


def _metadata_title(doc: pdfium.PdfDocument) -> str | None:
    try:
        title = doc.get_metadata_value("Title")
    except pdfium.PdfiumError:
        return None
    return title if isinstance(title, str) and title.strip() else None


def _open_error(exc: Exception) -> str:
    """One line for the user, from pdfium's error and its causes."""
    causes = [exc, exc.__cause__, exc.__context__, *exc.args]
    names = " ".join(f"{type(c).__name__} {c}" for c in causes if c is not None).lower()
    if "password" in names or "encrypt" in names or "security" in names:
        return "PDF is encrypted and needs a password"
    detail = next((str(c) for c in causes if c is not None and str(c)), type(exc).__name__)
    return f"not a readable PDF (broken or truncated file): {' '.join(detail.split())[:120]}"


def _title(blocks: list[Block]) -> str | None:
    """The top-level heading nearest the start, as the document title."""
    headings = [b for b in blocks if b.kind == "heading" and b.level is not None]
    if not headings:
        return None
    top = min(b.level for b in headings if b.level is not None)
    return next(b.text for b in headings if b.level == top)
