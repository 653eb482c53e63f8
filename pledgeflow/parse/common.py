"""Helpers shared by the parsers."""

from __future__ import annotations

import codecs
import re

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before
# whitespace and a capital, digit or opening quote. Good enough to find a list's lead-in.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u2019\u201d)]?\s+(?=[A-Z0-9\"'\u2018\u201c(])")

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def last_sentence(paragraph: str) -> str:
    """The last sentence of a paragraph: a list's lead-in is the sentence just before it."""
    parts = SENTENCE_END.split(paragraph.strip())
    return parts[-1].strip() if parts else paragraph.strip()


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode text: BOM, then the declared charset, then strict UTF-8, then windows-1252."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if charset:
        try:
            return data.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("windows-1252", errors="replace")
