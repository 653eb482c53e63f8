"""Helpers shared by the parsers."""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before
# whitespace and a capital, digit or opening quote. Good enough to find a list's lead-in.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'\u2019\u201d)]?\s+(?=[A-Z0-9\"'\u2018\u201c(])")


def last_sentence(paragraph: str) -> str:
    """The last sentence of a paragraph: a list's lead-in is the sentence just before it."""
    parts = SENTENCE_END.split(paragraph.strip())
    return parts[-1].strip() if parts else paragraph.strip()
