"""Pledges and the targets they state, found by commitment grammar.

A pledge is a sentence (outside lists) or a list item (inside lists) in which the
author commits itself to an action or outcome:

- commitment grammar: an actor ("we", a party, "the Council", "a Labour council")
  followed by a commitment modal or verb ("will", "'ll", "pledge", "are committed to",
  "would like to"), or an aim ("our ambition is for ..."); negated commitments and
  third-party predictions ("schools will face cuts": no actor) do not count;
- items of a list introduced by a commitment lead-in ("To do this, we will:"), by a
  lead-in presenting the author's ongoing programme ("What are we doing?"), or by a
  lead-in or heading naming pledges, goals or priorities;
- imperative paragraphs ("Secure ...", "Continuing to ...") in a section the document
  presents as pledges or goals;
- bulleted cells of a table whose header names initiatives, priorities or goals.

A bare lead-in ("We will:", "We will support this by:") introduces pledges but is
not one itself. Patterns are in ``pledges.patterns.jsonl``, word lists in
``pledges.lexicon.json`` and ``verbs.json``; targets are in ``targets.*``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc, Span

from pledgeflow.document import Block, Document, cell_span
from pledgeflow.records import Pledge, Record
from pledgeflow.registry import register

from ._classify import Classifier
from ._rules import (
    BULLET_LINE,
    build_matcher,
    clean_cell,
    load_json,
    load_patterns,
    marker_length,
    mentions_any,
    phrase_matcher,
    provenance,
    strip_numbering,
)
from ._tables import is_action_table, is_kpi_table, is_risk_table, read_table
from ._targets import TargetFinder

# Generic actors: "the Council", "a Labour council", "our Lib Dem administration".
DETERMINERS = {"the", "a", "an", "our", "this", "your", "their"}


@dataclass
class Candidate:
    """A pledge found in a block, before it becomes a record."""

    span: Span  # the tokens of the pledge text
    block: Block
    start: int  # document offsets
    end: int
    rule: str
    lead_in: str | None
    section: str | None


class Rules:
    """The compiled rules for one spaCy vocabulary."""

    def __init__(self, nlp: Language):
        self.lexicon = load_json("pledges.lexicon.json")
        self.matcher = build_matcher(nlp.vocab, load_patterns("pledges.patterns.jsonl",
                                                              self.lexicon | ADVERBS))
        self.actors = phrase_matcher(nlp.vocab, self.lexicon["actor_phrases"], nlp.make_doc)
        self.negators = set(self.lexicon["negators"])
        self.inability = set(self.lexicon["inability"])
        self.stopwords = set(self.lexicon["stopwords"])
        self.verbs = set(load_json("verbs.json")["verbs"])
        self.context_words = self.lexicon["pledge_context_words"]

    def mark_actors(self, doc: Doc) -> None:
        for _, start, end in self.actors(doc):
            for token in doc[start:end]:
                token._.pf_actor = True
        heads = set(self.lexicon["actor_heads"])
        modifiers = set(self.lexicon["actor_modifiers"])
        for token in doc:
            if token.lower_ in heads and token.i > 0:
                # walk back over names and modifiers ("Lib Dem", "re-elected") to a determiner
                i = token.i - 1
                while i >= 0 and (doc[i].is_title or doc[i].lower_ in modifiers) \
                        and doc[i].lower_ not in DETERMINERS:
                    i -= 1
                # "a council" alone is anyone's; "the council", "a Labour council" are actors
                named = i < token.i - 1 or doc[i].lower_ in {"the", "our", "this"}
                if i >= 0 and doc[i].lower_ in DETERMINERS and named:
                    for t in doc[i:token.i + 1]:
                        t._.pf_actor = True

    def commitment(self, span: Span) -> tuple[str, int] | None:
        """The first commitment in ``span``: (rule id, doc index of the token after it).

        A negated commitment to act is still a commitment ("we will not close any
        library": rule ``..._negative``); a negated ability is not ("we will not be
        able to", "we won't promise").
        """
        doc = span.doc
        for match_id, _start, end in sorted(self.matcher(span), key=lambda m: m[1]):
            rule = doc.vocab.strings[match_id]
            if rule.startswith("programme"):
                continue
            end += span.start  # the matcher counts from the span's start
            after = [t.lower_ for t in doc[end:min(end + 3, span.end)]]
            if after and after[0] in self.negators:
                rest = [w for w in after if w not in self.negators]
                if not rest or rest[0] in self.inability:
                    continue
                return f"{rule}_negative", end
            return rule, end
        return None

    def programme(self, span: Span) -> bool:
        doc = span.doc
        return any(doc.vocab.strings[m].startswith("programme") for m, _, _ in self.matcher(span))

    def is_bare_lead_in(self, span: Span, commit_end: int) -> bool:
        """'To do this, we will:' or 'We will support this by:' carry no content of their own."""
        if not span.text.rstrip().endswith(":"):
            return False
        rest = [t.lower_ for t in span.doc[commit_end:span.end] if t.is_alpha]
        return len([w for w in rest if w not in self.stopwords]) <= 2

    def opens_like_item(self, span: Span) -> bool:
        """An imperative ('Secure ...') or a quoted programme name opens the paragraph.

        Gerunds ('Working together to ...') are left out: a stand-alone gerund paragraph
        is usually a strapline under a heading; gerund items count inside lists only.
        """
        tokens = [t for t in span if not t.is_space]
        if len(tokens) < 4:
            return False
        first = tokens[0]
        if first.text in {'"', "\u201c", "'", "\u2018"}:
            return True
        return first.lower_ in self.verbs

    def in_pledge_context(self, *texts: str | None) -> bool:
        return any(t and mentions_any(t, self.context_words) for t in texts)


ADVERBS = {"adverbs": ["also", "still", "always", "further", "then", "now", "therefore", "jointly",
                       "together", "all", "both", "firmly", "absolutely", "continue", "again",
                       "now", "too", "immediately", "urgently", "actively"]}


@register
class PledgeExtractor:
    name = "pledges"
    version = "3"
    kinds = ("pledges", "targets")

    def __init__(self) -> None:
        self._rules: dict[int, Rules] = {}
        self._targets = TargetFinder()
        self._classify = Classifier()

    def rules(self, nlp: Language) -> Rules:
        key = id(nlp.vocab)
        if key not in self._rules:
            self._rules[key] = Rules(nlp)
        return self._rules[key]

    def extract(self, doc: Document, nlp: Language) -> Iterator[Record]:
        rules = self.rules(nlp)
        for candidate in self.candidates(doc, nlp, rules):
            span = candidate.span
            found = rules.commitment(span)
            pledge = Pledge(
                text=span.text.strip(), lead_in=candidate.lead_in, section=candidate.section,
                pledge_kind=self._classify.kind(span, found[1] if found else None),
                specific=self._classify.specific(span),
                topic=self._classify.topic(" ".join(filter(None, [span.text, candidate.section]))),
                provenance=provenance(self, doc, candidate.block, candidate.start, candidate.end,
                                      candidate.rule, section=candidate.section),
            )
            yield pledge
            yield from self._targets.find(self, doc, candidate, pledge, nlp)

    # -- where pledges are ------------------------------------------------------------

    def candidates(self, doc: Document, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        self._lead_ins: dict[tuple, str | None] = {}
        for block in doc.blocks:
            if block.kind == "paragraph":
                yield from self._paragraph(block, nlp, rules)
            elif block.kind == "list_item":
                yield from self._list_item(block, nlp, rules)
            elif block.kind == "table":
                yield from self._table(block, nlp, rules)

    def _parse(self, text: str, nlp: Language, rules: Rules) -> Doc:
        sdoc = nlp(text)
        rules.mark_actors(sdoc)
        return sdoc

    def _paragraph(self, block: Block, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        skip = marker_length(block.text)
        sdoc = self._parse(block.text[skip:], nlp, rules)
        whole = sdoc[:]
        if rules.in_pledge_context(*block.section) and (
            rules.opens_like_item(whole) or rules.commitment(whole)
        ):
            yield self._candidate(whole, block, block.start + skip, "pledge_section_item", None)
            return
        for sent in sdoc.sents:
            found = rules.commitment(sent)
            if found and not rules.is_bare_lead_in(sent, found[1]):
                yield self._candidate(sent, block, block.start + skip, found[0], None)

    def _list_item(self, block: Block, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        skip = marker_length(block.text)
        sdoc = self._parse(block.text[skip:], nlp, rules)
        whole = sdoc[:]
        rule = self._lead_in_rule(block, nlp, rules)
        if rule is None:
            found = next((rules.commitment(s) for s in sdoc.sents if rules.commitment(s)), None)
            rule = found[0] if found else None
        if rule and len(whole) >= 2:
            yield self._candidate(whole, block, block.start + skip, rule, block.lead_in)

    def _lead_in_rule(self, block: Block, nlp: Language, rules: Rules) -> str | None:
        """Why the items under this lead-in are pledges, or None."""
        key = (block.lead_in, tuple(block.section))
        if key not in self._lead_ins:  # every item of a list shares its lead-in
            self._lead_ins[key] = self._classify_lead_in(block, nlp, rules)
        return self._lead_ins[key]

    def _classify_lead_in(self, block: Block, nlp: Language, rules: Rules) -> str | None:
        if block.lead_in:
            lead = self._parse(block.lead_in, nlp, rules)[:]
            if rules.commitment(lead):
                return "list_under_commitment"
            if rules.programme(lead):
                return "list_under_programme"
            if rules.in_pledge_context(block.lead_in):
                return "list_under_pledge_lead_in"
        if rules.in_pledge_context(*block.section):
            return "list_in_pledge_section"
        return None

    def _table(self, block: Block, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        table = read_table(block)
        if table is None or is_kpi_table(table) or is_action_table(table) or is_risk_table(table):
            return
        lists_pledges = rules.in_pledge_context(*table.header)
        for r, row in table.rows:
            titles = [clean_cell(c) for c in row if clean_cell(c) and len(clean_cell(c)) <= 150
                      and not BULLET_LINE.match(c)]
            for c, text in enumerate(row):
                start, _ = cell_span(block, r, c)
                lines = [line for line in text.split("\n") if line.strip()]
                bullets = [line for line in lines if BULLET_LINE.match(line)]
                if bullets and lists_pledges:
                    section = strip_numbering(titles[0]) if titles else block.heading
                    for line in bullets:
                        sdoc = self._parse(clean_cell(line[marker_length(line):]), nlp, rules)
                        yield self._candidate(sdoc[:], block, start, "table_initiative_item",
                                              None, section=section)
                    continue
                sdoc = self._parse(clean_cell(text), nlp, rules)
                for sent in sdoc.sents:
                    found = rules.commitment(sent)
                    if found and not rules.is_bare_lead_in(sent, found[1]):
                        yield self._candidate(sent, block, start, found[0], None)

    @staticmethod
    def _candidate(span: Span, block: Block, base: int, rule: str, lead_in: str | None,
                   section: str | None = None) -> Candidate:
        start = base + span.start_char
        return Candidate(span=span, block=block, start=start, end=start + len(span.text),
                         rule=rule, lead_in=lead_in,
                         section=section if section is not None else block.heading)
