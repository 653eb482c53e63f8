"""Spending mentions: money amounts ("£11.5 million", "£100m") in paragraphs and list items.

An example of a third-party pledgeflow extractor. It defines its own record kind,
``spending_mentions``, which pledgeflow loads into a table of that name, and it is
registered through the ``pledgeflow.extractors`` entry point in this package's
pyproject.toml; nothing in pledgeflow itself names it. Its table, ``current_`` view,
exports, Datasette notes and ``eval`` matching all come from ``SpendingMention``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.resources import files
from typing import ClassVar

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Span
from spacy.util import filter_spans

from pledgeflow.document import Document
from pledgeflow.records import Provenance, Record, column

PATTERNS = "spending.patterns.jsonl"  # package data, beside this module


@dataclass(kw_only=True)
class SpendingMention(Record):
    """The one declaration of the kind: pledgeflow makes its table, ``current_`` view,
    exports, Datasette notes and ``eval`` matching from it."""

    kind: ClassVar[str] = "spending_mentions"  # the SQLite table these records go into
    description: ClassVar[str] = "Money amounts in paragraphs and list items, one per row."
    match_on: ClassVar[tuple[str, ...]] = ("amount_text",)  # what eval matches gold on
    text: str = column("The sentence the amount is in")
    amount_text: str = column("The amount as printed; start..end point at exactly this")


def load_rules() -> list[dict]:
    text = files(__package__).joinpath(PATTERNS).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def build_matcher(nlp: Language) -> Matcher:
    """A Matcher over the vocabulary of the ``nlp`` pledgeflow passes in."""
    matcher = Matcher(nlp.vocab)
    for rule in load_rules():
        matcher.add(rule["id"], [rule["pattern"]], greedy="LONGEST")
    return matcher


class SpendingExtractor:
    name = "spending"
    version = "1"  # bump when the output changes, so stored documents are re-extracted
    kinds = ("spending_mentions",)

    def extract(self, doc: Document, nlp: Language) -> Iterator[SpendingMention]:
        matcher = build_matcher(nlp)
        for block in doc.blocks:
            if block.kind not in ("paragraph", "list_item"):
                continue
            sdoc = nlp(block.text)
            spans = [Span(sdoc, start, end, label=rule) for rule, start, end in matcher(sdoc)]
            for span in filter_spans(spans):  # longest first, no overlaps, in text order
                sentence = span.sent if sdoc.has_annotation("SENT_START") else sdoc[:]
                start = block.start + span.start_char  # block offsets -> document offsets
                yield SpendingMention(
                    text=sentence.text.strip(), amount_text=span.text,
                    provenance=Provenance(
                        document_id=doc.id, block=block.index, page=block.page,
                        section=block.heading, start=start, end=start + len(span.text),
                        rule=span.label_,
                    ),
                )
