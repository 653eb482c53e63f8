"""Shared plumbing for rule-based extractors: data files, matchers and text helpers.

Patterns are spaCy Matcher patterns kept as JSONL beside the extractor that uses them.
A pattern value may name a word list from the extractor's lexicon as ``"@list"``;
it is replaced by that list when the matcher is built, so the words live in one place.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Token
from spacy.vocab import Vocab

HERE = Path(__file__).parent

# Leading list markers and numbering ("1.", "2)", "a.", "•") are layout, not content.
LEADING_MARKER = re.compile(
    r"^\s*(?:[\u2022\u25aa\u25cf\u25e6\u2023\u2043\-\*\u2013]\s*|\(?\d{1,2}[.)]\s+|\(?[a-z][.)]\s+)")
BULLET_LINE = re.compile(r"^\s*[\u2022\u25aa\u25cf\u25e6\u2023\u2043\-\*\u2013]\s*")
NUMBERED_TITLE = re.compile(r"^\s*\d{1,2}(?:\.\d+)*[.)]?\s+")

for _name in ("pf_plural",):
    if not Token.has_extension(_name):
        Token.set_extension(_name, default=False)
if not Token.has_extension("pf_party"):
    Token.set_extension("pf_party", default=None)  # the party a token names, if any


@cache
def load_json(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def load_patterns(name: str, lexicon: dict[str, Any]) -> list[dict[str, Any]]:
    """Read a JSONL pattern file, resolving ``"@list"`` references against ``lexicon``."""

    def resolve(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("@"):
            return list(lexicon[value[1:]])
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    rules = []
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            rule = json.loads(line)
            rule["pattern"] = resolve(rule["pattern"])
            rules.append(rule)
    return rules


def build_matcher(vocab: Vocab, rules: list[dict[str, Any]]) -> Matcher:
    matcher = Matcher(vocab)
    for rule in rules:
        matcher.add(rule["id"], [rule["pattern"]])
    return matcher


def phrase_matcher(vocab: Vocab, phrases: list[str], tokenizer) -> PhraseMatcher:
    matcher = PhraseMatcher(vocab, attr="LOWER")
    matcher.add("phrase", [tokenizer(p) for p in phrases])
    return matcher


def strip_marker(text: str) -> str:
    """Drop a leading bullet or list number, as the annotation guide does."""
    return LEADING_MARKER.sub("", text, count=1).strip()


def marker_length(text: str) -> int:
    match = LEADING_MARKER.match(text)
    return match.end() if match else 0


def strip_numbering(title: str) -> str:
    """'1. Narrow the gap' -> 'Narrow the gap'."""
    return NUMBERED_TITLE.sub("", title, count=1).strip()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9'\u2019]+", text.lower())


def mentions_any(text: str, phrases: list[str]) -> bool:
    """Whole-word, case-insensitive: does ``text`` contain any of ``phrases``?"""
    padded = " " + " ".join(words(text)) + " "
    return any(f" {p} " in padded for p in phrases)


def clean_cell(text: str | None) -> str:
    return " ".join((text or "").split())


def span_of(doc: Doc, start: int, end: int) -> str:
    return doc[start:end].text


def provenance(extractor, doc, block, start: int, end: int, rule: str,
               section: str | None = None):
    """Provenance for a record found in ``block`` at document offsets start..end."""
    from pledgeflow.records import Provenance

    return Provenance(document_id=doc.id, block=block.index, page=block.page,
                      section=section if section is not None else block.heading,
                      start=start, end=end, extractor=extractor.name,
                      extractor_version=extractor.version, rule=rule)
