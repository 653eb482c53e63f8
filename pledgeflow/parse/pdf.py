"""Parse a PDF into document blocks.

Words come from pdfplumber with their font size and weight; they are grouped into lines,
ordered for reading (two-column bands left column first), and grouped into paragraphs,
headings and list items by spacing and font. Ruled tables are read with pdfplumber's table
finder, only on pages that draw lines or rectangles, and a table broken by a page break is
joined back into one block. Running headers, footers and page numbers are dropped.

The layout and block logic live in ``pdf_layout``, ``pdf_tables`` and ``pdf_blocks``; this
module only talks to pdfplumber and assembles the ``Document``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pdfplumber

from pledgeflow.document import Block, Document
from pledgeflow.parse import NeedsOCR, ParseError
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
from pledgeflow.parse.pdf_layout import Word, group_lines
from pledgeflow.parse.pdf_tables import find_tables

PARSER = "pdf"
PARSER_VERSION = "1"

_WORD_OPTIONS = {"extra_attrs": ["size", "fontname"], "keep_blank_chars": False}


def parse_pdf(data: bytes, *, document_id: str, url: str | None = None) -> Document:
    """Parse PDF bytes into a Document; raise ParseError when the PDF cannot be read."""
    pages, metadata_title = _read_pages(data)
    if not any(page.lines or page.tables for page in pages):
        raise NeedsOCR("PDF has no text layer (scanned or image-only); it needs OCR")
    drop_running_lines(pages)
    body = body_size(pages)
    raw: list[RawBlock] = []
    for page in pages:
        raw.extend(page_blocks(page, body))
    raw = merge_broken_paragraphs(merge_page_break_tables(raw))
    blocks = build_blocks(raw, body)
    return Document.from_blocks(
        blocks,
        id=document_id,
        media_type="application/pdf",
        title=_title(blocks) or metadata_title,
        pages=len(pages),
        parser=PARSER,
        parser_version=PARSER_VERSION,
        url=url,
    )


def _read_pages(data: bytes) -> tuple[list[PageContent], str | None]:
    """Every page's lines and tables; pdfminer failures become one-line ParseErrors."""
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for broken or encrypted files
        raise ParseError(_open_error(exc)) from exc
    with pdf:
        try:
            title = pdf.metadata.get("Title")
            pages = list(_page_contents(pdf))
        except ParseError:
            raise
        except Exception as exc:
            raise ParseError(_open_error(exc)) from exc
    if not pages:
        raise ParseError("PDF has no pages")
    return pages, title if isinstance(title, str) and title.strip() else None


def _page_contents(pdf: pdfplumber.PDF) -> Iterator[PageContent]:
    for number, page in enumerate(pdf.pages, start=1):
        # pypdfium2 could replace this word extraction (it is ~100x faster than pdfminer);
        # only pages with ruling would then need pdfplumber, for their tables.
        words = _page_words(page)
        tables, rest = find_tables(page, number, words)
        yield PageContent(number, float(page.height), group_lines(rest), tables)
        page.close()  # drop pdfminer's per-page caches so memory stays flat on long PDFs


def _page_words(page) -> list[Word]:
    """Words with size and font; rotated words are dropped when upright text exists."""
    raw = [w for w in page.extract_words(**_WORD_OPTIONS) if w["text"].strip()]
    upright = [w for w in raw if w.get("upright", True)]
    return [Word.from_plumber(w) for w in (upright or raw)]


def _open_error(exc: Exception) -> str:
    """One line for the user; pdfplumber wraps pdfminer's exception in its args."""
    causes = [exc, exc.__cause__, exc.__context__, *exc.args]
    names = " ".join(f"{type(c).__name__} {c}" for c in causes if c is not None).lower()
    if "password" in names or "encrypt" in names:
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
