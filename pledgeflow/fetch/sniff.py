"""Decide what a fetched document really is, from its bytes.

Servers mislabel documents all the time: council sites serve PDFs as ``text/html`` or
``application/octet-stream``, and HTML pages as ``text/plain``. So the bytes decide. The
declared Content-Type and the URL's extension only break the one tie the bytes cannot:
whether a plain-text document is Markdown.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pledgeflow.text_decode import decode_text

PDF = "application/pdf"
HTML = "text/html"
MARKDOWN = "text/markdown"
CSV = "text/csv"
PLAIN = "text/plain"
BINARY = "application/octet-stream"

# How much of the document each check looks at. PDF and HTML markers are expected near the
# start; binary detection looks further so one odd byte early on does not decide alone.
HEAD_BYTES = 1024
BINARY_SAMPLE_BYTES = 8192

# Formats that are certainly not text, so they are never mistaken for it even when their
# first kilobyte happens to hold no NUL byte.
_BINARY_MAGIC: tuple[bytes, ...] = (
    b"PK\x03\x04",  # zip, docx, xlsx, odt
    b"\x1f\x8b",  # gzip
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",  # old MS Office (doc, xls)
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
)

# Control characters that never occur in real text (the WHATWG "binary data bytes"); tab,
# newlines, form feed and ESC are allowed because plain-text exports contain them.
_BINARY_CHARS = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])
# A stray control byte in a long text file is tolerated; a share above this is binary.
_MAX_CONTROL_SHARE = 0.01

# Leading material an HTML document may start with before its first real tag.
_LEADING_JUNK = re.compile(r"(?:\s+|<!--.*?-->|<\?xml[^>]*\?>)*", re.S)
# Tags that mark a document as HTML when they are the first thing in it.
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|body|script|iframe|h1|div|font|table|a|style|title|b|br|p"
    r"|meta|link)(?=[\s/>])",
    re.I,
)
# Document-level tags that mark HTML wherever they appear in the head of the document, for
# pages that start with stray whitespace, server warnings or a script before <html>.
_HTML_ANYWHERE = re.compile(r"<(?:!doctype\s+html|html|head|body)(?=[\s/>])", re.I)

_MARKDOWN_TYPES = frozenset({"text/markdown", "text/x-markdown"})
_MARKDOWN_SUFFIXES = (".md", ".markdown")
_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/tab-separated-values"})
_CSV_SUFFIXES = (".csv", ".tsv")


def media_type_from_content_type(value: str | None) -> str | None:
    """Return the bare, lower-case media type of a Content-Type value, or None.

    ``"Text/HTML; charset=UTF-8"`` gives ``"text/html"``; an empty or malformed value
    (no ``/``) gives None.
    """
    if not value:
        return None
    media_type = value.split(";", 1)[0].strip().lower()
    return media_type if "/" in media_type else None


def charset_from_content_type(value: str | None) -> str | None:
    """Return the lower-case ``charset`` parameter of a Content-Type value, or None.

    ``'text/html; charset="UTF-8"'`` gives ``"utf-8"``.
    """
    if not value:
        return None
    for param in value.split(";")[1:]:
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").strip().lower()
            return charset or None
    return None


def sniff_media_type(data: bytes, declared: str | None = None, url: str | None = None) -> str:
    """Return the media type of ``data``, judged from its bytes.

    The result is one of ``application/pdf``, ``text/html``, ``text/markdown``,
    ``text/csv``, ``text/plain`` or ``application/octet-stream``. ``declared`` (a
    Content-Type value) and ``url`` are consulted only to tell Markdown or CSV from
    plain text.
    """
    if b"%PDF-" in data[:HEAD_BYTES]:
        return PDF
    if data.startswith(_BINARY_MAGIC):
        return BINARY
    text = _decode_sample(data[:BINARY_SAMPLE_BYTES])
    if text is None:
        return BINARY
    if _looks_like_html(text[:HEAD_BYTES]):
        return HTML
    if _has_markdown_hint(declared, url):
        return MARKDOWN
    if _has_hint(declared, url, _CSV_TYPES, _CSV_SUFFIXES):
        return CSV
    return PLAIN


def _decode_sample(sample: bytes) -> str | None:
    """Decode the start of a document for inspection, or return None if it is binary.

    Decoded as every reader decodes (``text_decode``), so sniffing and parsing agree on
    what is text: UTF-16 or UTF-32 with or without a BOM included. A sample may end inside
    a character; that costs one replacement character, never the verdict.
    """
    text = decode_text(sample).text
    return None if _is_binary_text(text) else text


def _is_binary_text(text: str) -> bool:
    """True if ``text`` holds a NUL or more control characters than real text would."""
    if not text:
        return False
    if "\x00" in text:
        return True
    controls = sum(1 for ch in text if ord(ch) in _BINARY_CHARS)
    return controls > 0 and controls / len(text) > _MAX_CONTROL_SHARE


def _looks_like_html(head: str) -> bool:
    """True if the first kilobyte of a text document is HTML."""
    start = _LEADING_JUNK.match(head).end()
    if _HTML_START.match(head, start):
        return True
    return _HTML_ANYWHERE.search(head) is not None


def _has_markdown_hint(declared: str | None, url: str | None) -> bool:
    """True if the Content-Type or the URL's extension says the text is Markdown."""
    return _has_hint(declared, url, _MARKDOWN_TYPES, _MARKDOWN_SUFFIXES)


def _has_hint(declared: str | None, url: str | None, types: frozenset[str],
              suffixes: tuple[str, ...]) -> bool:
    if media_type_from_content_type(declared) in types:
        return True
    return bool(url) and urlsplit(url).path.lower().endswith(suffixes)
