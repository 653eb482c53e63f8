"""Shared plumbing for rule-based extractors: data files, matchers and text helpers.

Patterns are spaCy Matcher patterns kept as JSONL beside the extractor that uses them.
A pattern value may name a word list from the extractor's lexicon as ``"@list"``;
it is replaced by that list when the matcher is built, so the words live in one place.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import IDS
from spacy.matcher import Matcher, PhraseMatcher
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span, Token
from spacy.vocab import Vocab

HERE = Path(__file__).parent

# Leading list markers and numbering ("1.", "2)", "a.", "•") are layout, not content.
LEADING_MARKER = re.compile(
    r"^\s*(?:[\u2022\u25aa\u25cf\u25e6\u2023\u2043\-\*\u2013]\s*|\(?\d{1,2}[.):]\s+|\(?[a-z][.)]\s+)")
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


def build_matcher(vocab: Vocab, rules: list[dict[str, Any]]) -> RuleMatcher:
    matcher = RuleMatcher(vocab)
    for rule in rules:
        matcher.add(rule["id"], [rule["pattern"]])
    return matcher


# Token attributes the gate below reads with Doc.to_array and compares exactly as the
# Matcher does: string attributes (values are string ids) and lexical flags (0 or 1).
GATE_STRING_ATTRS = {"ORTH", "TEXT", "LOWER", "NORM", "TAG"}
GATE_FLAG_ATTRS = {"IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE",
                   "IS_PUNCT", "IS_SPACE", "IS_STOP", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL"}


def min_repeats(op: Any) -> int:
    """How many tokens a pattern token with operator ``op`` needs at least."""
    if op in (None, "+"):
        return 1
    if not isinstance(op, str) or op in ("?", "*", "!"):
        return 0  # "!" needs a token, but one that does *not* match: nothing to look for
    bounds = re.fullmatch(r"\{(\d*)(?:,(\d*))?\}", op)
    return int(bounds.group(1)) if bounds and bounds.group(1) else 0


class RuleMatcher:
    """A spaCy Matcher that runs, on each text, only the patterns that could match it.

    Most paragraphs and sentences match no pattern, yet a Matcher call costs about the
    same either way: it makes a Token object per token and calls a Python predicate per
    ``IN`` list and token, for every pattern. A gate first reads the text's token
    attributes as one array and keeps the patterns for which each token they cannot do
    without has a candidate in the text (some token with one of the LOWER/ORTH/TAG
    values or the flag the pattern asks for). No candidate pattern: no Matcher call.
    Some: the Matchers of their keys run (one Matcher per ``add``, built with it).

    One Matcher per key, not one per set of candidate patterns: with many patterns the
    sets seldom repeat, and building a Matcher for each new set cost more than running
    it (measured: a tenth of the pledge extractor's time on unseen pages, and a cache of
    sets that filled within a hundred documents, after which the full Matcher ran).

    The results are the full Matcher's, in one stated order: by start, then end, then
    the order the keys were added (a Matcher reports a match when its last state ends,
    an order that follows its states' internals; the extractors ask for the first match
    at a place, so they get one they can name):
    - the gate is conservative by construction: whatever it cannot check cheaply
      (regexes, NOT_IN, extension attributes, token order, repeats) is taken to be
      satisfiable, so a pattern it drops has no match in the text;
    - a key's Matcher holds all of the key's patterns, so what it keeps of overlapping
      matches (``greedy``) and its callbacks are the full Matcher's.

    Called like a Matcher; anything else is passed on to the full Matcher.
    """

    def __init__(self, vocab: Vocab):
        self.matcher = Matcher(vocab)
        self.vocab = vocab
        self._added: list[tuple[str, list, dict]] = []  # (key, patterns, options) per add()
        # Each distinct requirement (attribute, allowed values) is one bit; per pattern,
        # the bits it needs from string attributes and from flags.
        self._requirement_bits: dict[tuple[str, frozenset[int]], int] = {}
        self._needs: list[tuple[int, int]] = []
        self._string_attrs: list[str] = []
        self._flag_attrs: list[str] = []
        # String values of all string attributes share one lookup: a value seen in one
        # attribute may then meet a requirement on another, which only lets more through.
        self._bits_by_value: dict[int, int] = {}
        self._value_keys: frozenset[int] = frozenset()
        self._flag_requirements: list[tuple[int, int, int]] = []  # (flag column, value, bit)
        self._flags_wanted_set = self._flags_wanted_unset = False
        self._attr_ids: list[int] = []
        self._key_matchers: list[Matcher] = []  # per add(), holding its patterns
        self._key_of: list[int] = []  # per pattern, the add() it came with

    def add(self, key: str, patterns: list[list[dict[str, Any]]], **kwargs: Any) -> None:
        self.matcher.add(key, patterns, **kwargs)
        own = Matcher(self.vocab)
        own.add(key, patterns, **kwargs)
        self._key_of.extend([len(self._added)] * len(patterns))
        self._key_matchers.append(own)
        self._added.append((key, list(patterns), kwargs))
        self._needs.extend(self._need(pattern) for pattern in patterns)

    def _need(self, pattern: list[dict[str, Any]]) -> tuple[int, int]:
        strings = flags = 0
        for spec in pattern:
            if not isinstance(spec, dict) or min_repeats(spec.get("OP")) == 0:
                continue
            for attr, value in spec.items():
                name = attr.upper() if isinstance(attr, str) else None
                name = "ORTH" if name == "TEXT" else name
                values = self._values(name, value)
                if values is None:
                    continue
                if name in GATE_FLAG_ATTRS:
                    flags |= self._bit(name, values)
                else:
                    strings |= self._bit(name, values)
        return strings, flags

    def _bit(self, attr: str, values: frozenset[int]) -> int:
        if (attr, values) in self._requirement_bits:
            return self._requirement_bits[attr, values]
        bit = 1 << len(self._requirement_bits)
        self._requirement_bits[attr, values] = bit
        if attr in GATE_FLAG_ATTRS:
            if attr not in self._flag_attrs:
                self._flag_attrs.append(attr)
            (value,) = values
            self._flag_requirements.append((self._flag_attrs.index(attr), value, bit))
            self._flags_wanted_set |= value == 1
            self._flags_wanted_unset |= value == 0
        else:
            if attr not in self._string_attrs:
                self._string_attrs.append(attr)
            for value in values:
                self._bits_by_value[value] = self._bits_by_value.get(value, 0) | bit
            self._value_keys = frozenset(self._bits_by_value)
        self._attr_ids = [IDS[a] for a in self._string_attrs + self._flag_attrs]
        return bit

    def _values(self, attr: str | None, value: Any) -> frozenset[int] | None:
        """The values (as the Matcher stores them) one of which a token must have for
        ``{attr: value}``; None when the gate does not check it."""
        if attr in GATE_FLAG_ATTRS and isinstance(value, bool):
            return frozenset({int(value)})
        if attr not in GATE_STRING_ATTRS:
            return None
        if isinstance(value, str):
            return frozenset({self.vocab.strings.add(value)})
        if isinstance(value, dict):
            listed = next((v for k, v in value.items() if str(k).upper() == "IN"), None)
            if isinstance(listed, list) and all(isinstance(v, str) for v in listed):
                return frozenset(get_string_id(v) for v in listed)
        return None

    def candidates(self, doclike: Doc | Span) -> tuple[int, ...]:
        """The patterns (indices, in the order added) that might match ``doclike``."""
        if not len(doclike):
            return ()  # the Matcher finds nothing in an empty text either
        if not self._attr_ids:
            return tuple(range(len(self._needs)))  # nothing the gate can check
        if isinstance(doclike, Span):  # Span.to_array is far slower than slicing the doc's
            table = doclike.doc.to_array(self._attr_ids)[doclike.start:doclike.end]
        else:
            table = doclike.to_array(self._attr_ids)
        return self._gate(table.reshape(len(doclike), len(self._attr_ids)))  # one attr: 1-d

    def _gate(self, table: np.ndarray) -> tuple[int, ...]:
        """The patterns whose needs the tokens of ``table`` (a row per token, a column per
        gated attribute) meet."""
        met = 0
        strings = len(self._string_attrs)
        if strings:
            for value in self._value_keys.intersection(table[:, :strings].ravel().tolist()):
                met |= self._bits_by_value[value]
        found = [i for i, (need, _) in enumerate(self._needs) if need & met == need]
        if self._flag_attrs and any(self._needs[i][1] for i in found):
            # per flag: is it set on some token (1 seen), unset on some token (0 seen)?
            flags = table[:, strings:]
            seen = {1: flags.any(axis=0).tolist() if self._flags_wanted_set else [],
                    0: (~flags.all(axis=0)).tolist() if self._flags_wanted_unset else []}
            met = 0
            for column, value, bit in self._flag_requirements:
                if seen[value][column]:
                    met |= bit
            found = [i for i in found if self._needs[i][1] & met == self._needs[i][1]]
        return tuple(found)

    def may_match(self, doclike: Doc | Span) -> bool:
        """False when no pattern can match ``doclike``; True when one might."""
        return bool(self.candidates(doclike))

    def __call__(self, doclike: Doc | Span, *, patterns: tuple[int, ...] | None = None,
                 **kwargs: Any) -> list:
        """The Matcher's matches; ``patterns``: ``candidates(doclike)`` if already known."""
        if not self._needs:
            return self.matcher(doclike, **kwargs)  # as the Matcher, refuse to match nothing
        if patterns is None:
            patterns = self.candidates(doclike)
        if not patterns:
            return []
        keys = sorted({self._key_of[i] for i in patterns})
        found = [(match, k) for k in keys for match in self._key_matchers[k](doclike, **kwargs)]
        found.sort(key=lambda item: (*_bounds(item[0]), item[1]))
        return [match for match, _ in found]

    def in_sentences(self, doc: Doc, sentences: list[Span]) -> list:
        """The matches lying inside one of ``sentences`` (of ``doc``), counted from the
        doc's start, sentence by sentence, each in ``__call__``'s order. A Matcher's cost
        grows with the tokens it walks times the rules it runs, and a long paragraph lets
        through the gate many rules that no single sentence of it can match."""
        if not self._needs or not self._attr_ids or not len(doc):
            return [(m, s + sent.start, e + sent.start)
                    for sent in sentences for m, s, e in self(sent)]
        table = doc.to_array(self._attr_ids).reshape(len(doc), len(self._attr_ids))
        found = []
        for sent in sentences:
            if len(sent):
                patterns = self._gate(table[sent.start:sent.end])
                found += [(m, s + sent.start, e + sent.start)
                          for m, s, e in self(sent, patterns=patterns)]
        return found

    def remove(self, key: str) -> None:
        """As ``Matcher.remove``; the gate is rebuilt from the patterns left."""
        self.matcher.remove(key)  # a KeyError for an unknown key, as the Matcher's
        kept = [entry for entry in self._added if entry[0] != key]
        self.__init__(self.vocab)
        for k, patterns, kwargs in kept:
            self.add(k, patterns, **kwargs)

    def __len__(self) -> int:
        return len(self.matcher)

    def __contains__(self, key: str) -> bool:
        return key in self.matcher

    def __getattr__(self, name: str) -> Any:
        if name == "matcher":  # not set yet (copying, unpickling): do not recurse
            raise AttributeError(name)
        return getattr(self.matcher, name)


def _bounds(match: Any) -> tuple[int, int]:
    """Where a match starts and ends: a Matcher's ``(key, start, end, ...)`` or a Span."""
    if isinstance(match, Span):
        return match.start, match.end
    return match[1], match[2]


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
    padded, present = _padded_words(text)
    single, several = _phrase_index(tuple(phrases))
    return not single.isdisjoint(present) or any(p in padded for p in several)


@lru_cache(maxsize=4096)
def _padded_words(text: str) -> tuple[str, frozenset[str]]:
    # the same header cells and sections are asked about many word lists in turn
    found = words(text)
    return " " + " ".join(found) + " ", frozenset(found)


@lru_cache(maxsize=256)
def _phrase_index(phrases: tuple[str, ...]) -> tuple[frozenset[str], tuple[str, ...]]:
    """A word list as the one-word phrases (a set lookup) and the padded longer ones."""
    single = frozenset(p for p in phrases if p and " " not in p)
    return single, tuple(f" {p} " for p in phrases if p not in single)


def clean_cell(text: str | None) -> str:
    return " ".join((text or "").split())


def span_text(span: Span) -> str:
    """``span.text``, sliced from the parsed text when ``doc.user_data["pf_text"]`` keeps it
    (spaCy rebuilds ``span.text`` from the tokens on every access; its tokenizer keeps the
    text as it was, so the slice is the same string)."""
    source = span.doc.user_data.get("pf_text")
    if source is None:
        return span.text
    return source[span.start_char:span.end_char]


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
