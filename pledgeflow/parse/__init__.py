"""Parse raw bytes into a Document. One module per format; everything after works on blocks."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from pledgeflow.document import Document

if TYPE_CHECKING:
    from pledgeflow.parse.ocr import OcrOptions


class ParseError(Exception):
    """A document could not be parsed; the message says why in one line."""


class NeedsOCR(ParseError):
    """A PDF with no text layer (scanned or image-only): it needs OCR before extraction.

    Recorded in ``failures`` with error type ``NeedsOCR`` so such documents can be found
    and sent to OCR, rather than loaded as empty documents."""


class PagesNotRead(ParseError):
    """A document loaded, but some of its scanned pages were not read (OCR off, not
    installed, past the document's OCR bounds, or failed): recorded in ``failures``, with
    the pages and the reason, so nothing goes missing in silence."""


class ParseTimeout(ParseError):
    """Parsing took longer than the per-document time limit and was stopped."""


# media type -> the module that parses it (each declares PARSER and PARSER_VERSION)
MODULES = {
    "application/pdf": "pledgeflow.parse.pdf",
    "text/html": "pledgeflow.parse.html",
    "application/xhtml+xml": "pledgeflow.parse.html",
    "text/csv": "pledgeflow.parse.csv",
    "text/plain": "pledgeflow.parse.text",
    "text/markdown": "pledgeflow.parse.text",
}


def parser_id(media_type: str) -> tuple[str, str] | None:
    """(parser name, version) that ``parse`` would use, without parsing: a cache key."""
    if media_type not in MODULES:
        return None
    module = importlib.import_module(MODULES[media_type])
    return module.PARSER, module.PARSER_VERSION


def parse(data: bytes, media_type: str, *, document_id: str, url: str | None = None,
          charset: str | None = None, ocr: OcrOptions | None = None) -> Document:
    """Parse ``data`` by its (sniffed) media type; ``ocr`` bounds OCR of scanned PDF pages
    (the defaults of ``pledgeflow.parse.ocr`` when None)."""
    if media_type == "application/pdf":
        from pledgeflow.parse.pdf import parse_pdf

        return parse_pdf(data, document_id=document_id, url=url, ocr=ocr)
    if media_type in ("text/html", "application/xhtml+xml"):
        from pledgeflow.parse.html import parse_html

        return parse_html(data, document_id=document_id, url=url, charset=charset)
    if media_type == "text/csv":
        from pledgeflow.parse.csv import parse_csv

        return parse_csv(data, document_id=document_id, url=url, charset=charset)
    if media_type in ("text/plain", "text/markdown"):
        from pledgeflow.parse.text import parse_text

        return parse_text(data, document_id=document_id, url=url, charset=charset,
                          markdown=media_type == "text/markdown")
    raise ParseError(f"no parser for media type {media_type!r}")
