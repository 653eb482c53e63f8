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

from spacy.tokens import Span

from ._rules import load_json

SPECIFIC = re.compile(r"\d|[£$€%]|[\"\u201c\u2018][^\"\u201d\u2019]{2,}[\"\u201d\u2019]")
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
        self.topics = {
            topic: re.compile(r"(?<![\w'\u2019-])(?:" + "|".join(
                re.escape(w.lower()) for w in sorted(words, key=len, reverse=True))
                + r")(?![\w'\u2019-])")
            for topic, words in load_json("topics.json")["topics"].items()}

    def kind(self, span: Span, commit_end: int | None) -> str:
        """'action' or 'outcome'."""
        if commit_end is not None:
            rest = [t for t in span.doc[commit_end:span.end] if t.is_alpha]
            while rest and rest[0].lower_ in SKIP_AFTER_MODAL:
                rest = rest[1:]
            if rest and (rest[0].lower_ in self.verbs or rest[0].lower_ in self.gerunds):
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

    def specific(self, span: Span) -> bool:
        if SPECIFIC.search(span.text):
            return True
        previous = None
        for token in span:
            starts_sentence = previous is None or previous.text in {".", ":", ";", "!", "?"}
            if token.is_title and not starts_sentence and token.lower_ not in self.actors \
                    and token.text != "I" and len(token.text) > 1:
                return True
            if token.is_upper and len(token.text) > 1 and token.is_alpha \
                    and token.lower_ not in self.actors:
                return True  # an acronym names a body or programme (NHS, SEND, ICB)
            previous = token
        return False

    def topic(self, text: str) -> str:
        lowered = text.lower()
        best, best_hits = "other", 0
        for topic, words in self.topics.items():
            hits = len(words.findall(lowered))
            if hits > best_hits:
                best, best_hits = topic, hits
        return best
