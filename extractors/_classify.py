"""What kind of pledge, how checkable, and on what policy area.

- ``kind``: "action" when the author commits to do something (the committed verb, or
  the item's opening verb, is an action verb from ``verbs.json``); "outcome" when it
  commits to a state of the world ("all schools will be rated Good", "higher wages").
- ``specific``: its fulfilment could be checked objectively: it states a number, an
  amount, a date or year, a quoted or capitalised name (programme, body, place, rating).
- ``topic``: the policy area from ``topics.json`` whose words it mentions most.
"""

from __future__ import annotations

import re

import numpy as np
from spacy.attrs import IS_TITLE, IS_UPPER
from spacy.tokens import Span

from ._rules import load_json

SPECIFIC = re.compile(r"\d|[£$€%]|[\"\u201c\u2018][^\"\u201d\u2019]{2,}[\"\u201d\u2019]")
WORD = re.compile(r"\w+")
WORD_JOINED = re.compile(r"[\w'\u2019-]")  # a character that continues a word
# Words between the modal and the committed verb: "we will also continue to strive to ..."
SKIP_AFTER_MODAL = {"also", "continue", "to", "still", "always", "further", "then", "now",
                    "not", "never", "all", "both", "strive", "seek", "aim"}


def gerund_forms(verb: str) -> set[str]:
    forms = {verb + "ing"}
    if verb.endswith("e") and not verb.endswith("ee"):
        forms.add(verb[:-1] + "ing")
    if len(verb) > 2 and verb[-1] not in "aeiouwxy" and verb[-2] in "aeiou" \
            and verb[-3] not in "aeiou":
        forms.add(verb + verb[-1] + "ing")
    return forms


class Classifier:
    def __init__(self) -> None:
        self.verbs = set(load_json("verbs.json")["verbs"])
        self.gerunds = {g: v for v in self.verbs for g in gerund_forms(v)}
        self.actors = set(load_json("pledges.lexicon.json")["actor_phrases"])
        topics = load_json("topics.json")["topics"]
        # Each topic's words and phrases, in the order its pattern tries them (longest first)
        self.phrases = {topic: [w.lower() for w in sorted(words, key=len, reverse=True)]
                        for topic, words in topics.items()}
        self.topics = {
            topic: re.compile(r"(?<![\w'\u2019-])(?:" + "|".join(map(re.escape, phrases))
                              + r")(?![\w'\u2019-])")
            for topic, phrases in self.phrases.items()}
        # Counting every topic with its own pattern scans each pledge once per topic; a
        # single pass over the pledge's words gives the same counts. A hit is bounded by
        # characters that are neither word characters nor ' ’ -, so it starts where a word
        # (a maximal run of \w) starts, and that word is the first word of its phrase.
        # Phrases are indexed by their first word, per topic in the pattern's order.
        # Topics with a phrase that does not open with a word character keep the pattern.
        self.by_first_word: dict[str, list[tuple[int, str]]] = {}
        self.topic_patterns = list(self.topics.values())
        self.pattern_counted: list[int] = []  # topics (indices) counted by their pattern
        for index, phrases in enumerate(self.phrases.values()):
            if not all(WORD.match(phrase) for phrase in phrases):
                self.pattern_counted.append(index)
                continue
            for phrase in phrases:
                self.by_first_word.setdefault(WORD.match(phrase).group(), []).append(
                    (index, phrase))

    def kind(self, span: Span, commit_end: int | None) -> str:
        """'action' or 'outcome'."""
        if commit_end is not None:
            verb = next((t for t in span.doc[commit_end:span.end]
                         if t.is_alpha and t.lower_ not in SKIP_AFTER_MODAL), None)
            if verb is not None and (verb.lower_ in self.verbs or verb.lower_ in self.gerunds):
                return "action"
            return "outcome"
        # "Strongly support ...", "Further develop ...": the verb follows an adverb
        words = [t for t in span if t.is_alpha]
        while len(words) > 1 and (words[0].lower_.endswith("ly") or words[0].lower_ in
                                  {"further", "also", "then", "still", "continue", "to"}):
            words = words[1:]
        first = words[0] if words else None
        if first is not None and (first.lower_ in self.verbs or first.lower_ in self.gerunds):
            return "action"
        return "outcome"

    def specific(self, span: Span, text: str | None = None) -> bool:
        """Could its fulfilment be checked? ``text`` is ``span.text`` if the caller has it."""
        if SPECIFIC.search(span.text if text is None else text):
            return True
        # Only title-case and upper-case tokens can name something: find them in the doc's
        # arrays instead of making a Token object for every token.
        shapes = span.doc.to_array([IS_TITLE, IS_UPPER])[span.start:span.end]
        for k in np.flatnonzero(shapes.any(axis=1)).tolist():
            token = span[k]
            starts_sentence = k == 0 or span[k - 1].text in {".", ":", ";", "!", "?"}
            if token.is_title and not starts_sentence and token.lower_ not in self.actors \
                    and token.text != "I" and len(token.text) > 1:
                return True
            if token.is_upper and len(token.text) > 1 and token.is_alpha \
                    and token.lower_ not in self.actors:
                return True  # an acronym names a body or programme (NHS, SEND, ICB)
        return False

    def topic(self, text: str) -> str:
        lowered = text.lower()
        hits = self.topic_hits(lowered)
        best, best_hits = "other", 0
        for topic, count in zip(self.topics, hits, strict=True):
            if count > best_hits:
                best, best_hits = topic, count
        return best

    def topic_hits(self, lowered: str) -> list[int]:
        """Per topic, the number of its pattern's matches in ``lowered`` (as ``findall``:
        leftmost first, not overlapping, the first phrase in pattern order that fits)."""
        hits = [0] * len(self.topics)
        resume = [0] * len(self.topics)  # per topic: where its previous hit ended
        for word in WORD.finditer(lowered):
            options = self.by_first_word.get(word.group())
            start = word.start()
            if options is None or (start and lowered[start - 1] in "'\u2019-"):
                continue
            for index, phrase in options:
                end = start + len(phrase)
                if start >= resume[index] and lowered.startswith(phrase, start) \
                        and not WORD_JOINED.match(lowered, end):
                    hits[index] += 1
                    resume[index] = end  # also skips the topic's other phrases here
        for index in self.pattern_counted:
            hits[index] = len(self.topic_patterns[index].findall(lowered))
        return hits
