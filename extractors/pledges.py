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
- bulleted cells of a table whose header names initiatives, priorities or goals;
- what the rules leave, when the learned aid (``_learned.py``) is sure of it and the
  rules do not know it for a record, a call, a deed or another party's intention.

A bare lead-in ("We will:", "We will support this by:") introduces pledges but is
not one itself. Patterns are in ``pledges.patterns.jsonl``, word lists in
``pledges.lexicon.json`` and ``verbs.json``; targets are in ``targets.*``.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from spacy.attrs import LOWER, TAG
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from pledgeflow.document import Block, Document, cell_span
from pledgeflow.records import Pledge, Record
from pledgeflow.registry import register

from ._classify import Classifier
from ._learned import LEARNED, SUBJECT_PRONOUNS, Unit, did, is_ly_word, shipped_aid
from ._programme import DASH_LABEL, ORDERS, ProgrammeLists, block_after, block_before, leads_in
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
    span_text,
    strip_numbering,
)
from ._tables import (
    is_action_table,
    is_kpi_table,
    is_prose_action,
    is_risk_table,
    read_table,
)
from ._targets import TargetFinder

# Generic actors: "the Council", "a Labour council", "our Lib Dem administration".
DETERMINERS = {"the", "a", "an", "our", "this", "your", "their"}
JOINERS = {"and", "or", "&", ","}
# Actor tokens are marked with this part-of-speech tag: the blank pipeline has no tagger,
# and the Matcher checks a tag far faster than a custom token attribute.
ACTOR = "ACTOR"
TIMELINE = re.compile(r"\bfirst\s+(?:\d+|hundred|one hundred)\s+days\b|\b\d+[- ]day\s+plan\b"
                      r"|^\s*(?:(?:our|the)\s+)?first\s+(?:day|week|month|year)s?\b"
                      r"|^\s*day\s+(?:one|1)\b", re.I)
# A page that names its leader or candidate as such, near its top ("Leader: Rachel
# Notley", "candidate Jane Smith"): what that person's plan will do is the author's pledge.
LEADER = re.compile(r"\b(?:[Ll]eader|[Cc]andidate)\s*[:\-\u2013]?\s+"
                    r"(?:(?:Cllr|Dr|Mr|Mrs|Ms)\.?\s+)?[A-Z][a-z]+(?:\s+[A-Z]\.)?\s+([A-Z][a-z]+(?:[-'\u2019][A-Z][a-z]+)?)\b")
# The same with the name first, in apposition: "Bonnie Crombie, Leader of Ontario's
# Liberals"; the party named after the title must be the author's.
LEADER_BEFORE = re.compile(r"\b[A-Z][a-z]+\s+([A-Z][a-z]+(?:[-'\u2019][A-Z][a-z]+)?),\s+"
                           r"(?:the\s+)?(?:[A-Z][\w'\u2019]*\s+)?(?:[Ll]eader|[Cc]andidate)\b")
HEAD_CHARS = 2000
# A statement row's party field ("party: City Vision", "Party name: ...") in its section
ROW_PARTY = re.compile(r"(?:^|[(|])\s*[\w ]*party[\w ]*:\s*([^|)]+)", re.I)
# A declared party name longer than this is no name (a description, an organisation)
PARTY_NAME_WORDS = 6
NAME_JOINERS = {"of", "the", "and", "for", "&"}
PARTY_WINDOW = 40  # characters beside a leader's title where a party name says whose
NO_TAG = "_"


@dataclass
class Candidate:
    """A pledge found in a block, before it becomes a record."""

    span: Span  # the tokens of the pledge text
    text: str  # span.text, which spaCy rebuilds from the tokens on every access
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
        # the nouns that may say what a document holds: its plan nouns and a few more
        self.plan_nouns_set = (set(self.lexicon["plan_nouns"])
                               | set(self.lexicon["documents_described"]))
        # "This reduction would ...", "This scheme will ...": the policy just pledged
        self.policy_nouns = set(self.lexicon["plan_nouns"]) | set(self.lexicon["change_nouns"])
        self.verbs = set(load_json("verbs.json")["verbs"])
        self.matcher = build_matcher(nlp.vocab, load_patterns(
            "pledges.patterns.jsonl", self.lexicon | ADVERBS))
        self.actors = phrase_matcher(nlp.vocab, self.lexicon["actor_phrases"], nlp.make_doc)
        self.parties = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.party_forms: dict[str, str] = {}  # surface form -> party
        # Parties the lexicon lacks, learnt from the document's declared party names: they
        # hold for that document only, so no document's records depend on which others the
        # same worker read before it
        self.learnt: PhraseMatcher | None = None
        self.learnt_forms: dict[str, str] = {}
        for party, forms in self.lexicon["parties"].items():
            self.parties.add(party, [nlp.make_doc(f) for f in forms])
            self.party_forms.update((f, party) for f in forms)
        self.party_lines = PartyLines(self.party_forms)
        self.head_ids = {nlp.vocab.strings.add(w) for w in self.lexicon["actor_heads"]}
        self.modifiers = set(self.lexicon["actor_modifiers"])
        self.negators = set(self.lexicon["negators"])
        self.inability = set(self.lexicon["inability"])
        self.stopwords = set(self.lexicon["stopwords"])
        self.not_before = set(self.lexicon["not_actor_before"])
        self.ambiguous = set(self.lexicon["ambiguous_commit_nouns"])
        self.announcers = self.lexicon["list_announcers"]
        self.announcer_words = set(self.announcers)
        self.lists = ProgrammeLists(self.lexicon, self.verbs,
                                    set(load_json("verbs.general.json")["verbs"]))
        self.context_words = self.lexicon["pledge_context_words"]
        self.means = set(self.lexicon["means_openers"])
        self.object_verbs = set(self.lexicon["object_verbs"])
        self.noun_followers = set(self.lexicon["noun_followers"])
        self.courtesy = set(self.lexicon["courtesy"])
        self.election_outcomes = tuple(self.lexicon["election_outcomes"])  # prefixes
        self.conditions = set(self.lexicon["conditions"])
        self.wait_verbs = set(self.lexicon["wait_verbs"])
        self.belief_verbs = set(self.lexicon["belief_verbs"])
        self.warning_nouns = set(self.lexicon["warning_nouns"])
        self.advocacy_verbs = set(self.lexicon["advocacy_verbs"])
        self.appealed_to = set(self.lexicon["appealed_to"])
        self.site_text = self.lexicon["site_text"]
        self.programme_ing = set(self.lexicon["programme_ing"])
        self.label = pledge_label(self.lexicon["pledge_labels"], self.lexicon["number_words"])
        self.element_label = element_label(self.lexicon["element_labels"],
                                           self.lexicon["number_words"])
        self.label_heading = label_heading(
            self.lexicon["pledge_labels"] + self.lexicon["element_labels"],
            self.lexicon["number_words"])
        self._context_seen: dict[str, bool] = {}  # text -> does it mention context words
        self.authors: set[str] | None = None  # parties the text speaks for; None: unknown
        self.author_people: set[str] = set()  # surnames of the leaders it names as its own
        self.block_parties: set[str] = set()  # a row's own party (statement data)

    def mark_actors(self, doc: Doc) -> None:
        if len(doc):
            # the Matcher refuses TAG patterns on a doc with no tag at all
            doc[0].tag_ = NO_TAG
        for _, start, end in self.actors(doc):
            for token in doc[start:end]:
                token.tag_ = ACTOR
        if self.author_people:  # "Notley's plan will ...", "Smith will ..."
            for token in doc:
                if token.text in self.author_people:
                    token.tag_ = ACTOR
        for span in self.party_spans(doc):
            if written_as_name(span):
                for token in span:
                    token.tag_ = ACTOR
                    token._.pf_party = span.label_
        # actor heads are rare: find them in the doc's LOWER array rather than making a
        # Token object for every token
        lowers = doc.to_array(LOWER).tolist() if len(doc) else []
        for head in [i for i, lower in enumerate(lowers) if lower in self.head_ids and i > 0]:
            token = doc[head]
            # walk back over names and modifiers ("Lib Dem", "SNP-led", "re-elected")
            i = token.i - 1
            while i >= 0:
                before = doc[i]
                # a name opens in capitals ("McFadyen", "DeSantis" are not is_title)
                if before.lower_ in DETERMINERS or not (
                        before.text[:1].isupper() or before._.pf_party
                        or before.lower_ in self.modifiers):
                    break
                i -= 1
            # "a council" alone is anyone's; "the council", "a Labour council",
            # "SNP councillors" are actors
            names = doc[i + 1:token.i]
            named = len(names) > 0 or (i >= 0 and doc[i].lower_ in {"the", "our", "this"})
            if i >= 0 and doc[i].lower_ in DETERMINERS and named:
                for t in doc[i:token.i + 1]:
                    t.tag_ = ACTOR
            elif any(t._.pf_party for t in names):
                for t in names:
                    t.tag_ = ACTOR
                token.tag_ = ACTOR

    def set_authors(self, doc: Document, nlp: Language) -> None:
        """Which parties the document speaks for (its catalog party, else the parties it
        names most; None when it names none), and the leaders it names as its own."""
        self.learnt, self.learnt_forms = None, {}  # a new document learns its own
        self._set_author_parties(doc, nlp)
        self.author_people = set()
        head = doc.text[:HEAD_CHARS]
        # "Conservative leader Rishi Sunak" in a Labour leaflet is the other side's: the
        # party named just before the title (or, name first, just after it) decides
        leaders = [(m, head[max(0, m.start() - PARTY_WINDOW):m.start()])
                   for m in LEADER.finditer(head)]
        leaders += [(m, head[m.end():m.end() + PARTY_WINDOW]) for m in LEADER_BEFORE.finditer(head)]
        for match, beside in leaders:
            if not self.parties_in(nlp.make_doc(beside)) - (self.authors or set()):
                self.author_people.add(match.group(1))

    def _set_author_parties(self, doc: Document, nlp: Language) -> None:
        declared = (doc.meta or {}).get("party")
        if declared:
            self.authors = self.party_labels(declared, nlp) or None
            return
        counts: dict[str, int] = {}
        # Only the lines that might name a party are tokenised: a name never runs over a
        # line break (the break is a token of its own), and the whole text again cost
        # about a tenth of the extraction time
        lines = [line for line in doc.text.split("\n") if self.party_lines.may_name(line)]
        for span in self.party_spans(nlp.make_doc("\n".join(lines))):
            if written_as_name(span):
                counts[span.label_] = counts.get(span.label_, 0) + 1
        # the parties named more than half as often as the most-named one: a manifesto's
        # own party, or the parties whose statements a collection gathers
        top = max(counts.values(), default=0)
        self.authors = {party for party, n in counts.items() if 2 * n > top} or None

    def parties_in(self, doc: Doc) -> set[str]:
        return {span.label_ for span in self.party_spans(doc)}

    def party_spans(self, doc: Doc) -> list[Span]:
        """The party names in ``doc``, the longest name winning where they overlap. A name
        right before another says where the second stands ("ACT Labor" is Labor in the
        Australian Capital Territory, not the ACT party): both are the second's."""
        found = list(self.parties(doc, as_spans=True))
        if self.learnt is not None:
            found += self.learnt(doc, as_spans=True)
        spans = filter_spans(found)
        for i in range(len(spans) - 2, -1, -1):
            if spans[i].end == spans[i + 1].start:
                spans[i] = Span(doc, spans[i].start, spans[i].end, label=spans[i + 1].label_)
        return spans

    def party_labels(self, name: str, nlp: Language) -> set[str]:
        """The parties a declared name (the catalog's, a statement row's) stands for. A
        party the lexicon lacks ("City Vision", a new party abroad) is learnt from the
        name, with its initials when it has three words or more, so that its documents
        speak for it and its name in the text is an actor."""
        known = self.parties_in(nlp.make_doc(name))
        if known:
            return known
        clean = re.sub(r"\([^)]*\)", " ", name)
        words = clean.split()
        if words and words[0].lower() == "the":
            words = words[1:]
        if not words or len(words) > PARTY_NAME_WORDS or not words[0][:1].isupper():
            return set()
        label = " ".join(words).lower()
        if label not in self.party_forms and label not in self.learnt_forms:
            forms = {label, label.replace("'", "\u2019"), label.replace("\u2019", "'")}
            initials = [w[0] for w in words if w.lower() not in NAME_JOINERS and w[:1].isupper()]
            if len(initials) >= 3:
                forms.add("".join(initials).lower())  # "Katter's Australian Party": KAP
            forms = {f for f in forms if f not in self.party_forms and f not in self.learnt_forms}
            if self.learnt is None:
                self.learnt = PhraseMatcher(nlp.vocab, attr="LOWER")
            self.learnt.add(label, [nlp.make_doc(f) for f in forms])
            self.learnt_forms.update((f, label) for f in forms)
        return {label}

    def row_parties(self, section: str, nlp: Language) -> set[str]:
        """The party a statement row names in its section label."""
        known = self.parties_in(nlp.make_doc(section))
        if known:
            return known
        field = ROW_PARTY.search(section)
        return self.party_labels(field.group(1).strip(), nlp) if field else set()

    @staticmethod
    def subject(doc: Doc, start: int, end: int, floor: int) -> Span:
        """The actor with any actors joined to it ("Labour and the Tories"). A comma before
        "we" or "I" closes a phrase, not a list of actors ("Unlike the Tories, we will")."""
        while start - 2 >= floor and doc[start - 1].lower_ in JOINERS | {"the"}:
            if doc[start - 1].lower_ == "," and doc[start].lower_ in FIRST_PERSON:
                break
            back = start - 1
            while back > floor and doc[back].lower_ in JOINERS | {"the"}:
                back -= 1
            if not doc[back].tag_ == ACTOR:
                break
            start = back
            while start > floor and doc[start - 1].tag_ == ACTOR:
                start -= 1
        return doc[start:end]

    def speaks_for(self, actor: Span) -> bool:
        """Is this actor the author? First person and generic actors always are; a party
        only when it is the author's (or the row's) party, and alone ("Labour and the
        Tories will ..." is a prediction about both)."""
        named = {t._.pf_party for t in actor if t._.pf_party}
        if not named:
            return True
        if len(named) > 1:
            return False
        authors = self.author_parties
        return authors is None or named <= authors

    def commitment(self, span: Span) -> tuple[str, int] | None:
        """The first commitment in ``span``: (rule id, doc index of the token after it).

        A negated commitment to act is still a commitment ("we will not close any
        library": rule ``..._negative``); a negated ability is not ("we will not be
        able to", "we won't promise").

        Kept per span in its doc: the extractor asks again of every pledge it yields.
        """
        found = span.doc.user_data.setdefault("pf_commitments", {})
        authors = self.author_parties  # None (anyone's) and no party differ
        key = (span.start, span.end, None if authors is None else frozenset(authors))
        if key not in found:
            found[key] = self._commitment(span)
        return found[key]

    def _commitment(self, span: Span) -> tuple[str, int] | None:
        doc = span.doc
        for match_id, start, end in self.matches(span):
            rule = doc.vocab.strings[match_id]
            if rule.startswith("programme"):
                continue
            start, end = start + span.start, end + span.start  # matcher counts from the span
            actor_start = start
            while actor_start > span.start and doc[actor_start - 1].tag_ == ACTOR:
                actor_start -= 1
            actor_end = start
            while actor_end < end and doc[actor_end].tag_ == ACTOR:
                actor_end += 1
            before = actor_start - 1
            if before > span.start and doc[before].lower_ in ARTICLES:
                before -= 1  # "what the Lib Dems would do"
            if before >= span.start and doc[before].lower_ in self.not_before:
                continue  # "what the Council will focus on" describes, not commits
            actor = self.subject(doc, actor_start, actor_end, span.start)
            if not self.speaks_for(actor):
                continue
            if (actor_end > actor_start and not any(t._.pf_party for t in actor)
                    and not any(t.lower_ in FIRST_PERSON for t in actor)
                    and not self.nobody_else(span, actor_start)):
                continue  # "the Sask. Party says a re-elected government would": theirs
            if rule in SUBJECTLESS and not self.nobody_else(span, end):
                continue
            if rule in ACTOR_BEFORE and not self.actor_before(span, start):
                continue  # "... and are committed to": the subject must be the author
            if rule in AUTHOR_NAMED and not self.names_author(span):
                continue  # "there will be cuts": a prediction unless the author's name is on it
            if doc[span.start].lower_ in self.conditions and not self.nobody_else(
                    doc[span.start:actor_start], actor_start):
                continue  # "If the Tories win, we will ...": a warning about them
            last = doc[end - 1]
            if last.is_title and actor_end > actor_start and doc[actor_end - 1].is_title \
                    and last.lower_ in self.ambiguous:
                continue  # "the Council Plan": a name, not "the council plans"
            after = [t.lower_ for t in doc[end:min(end + 3, span.end)]]
            if last.lower_ in self.object_verbs and (not after or after[0] in self.noun_followers):
                continue  # "the council plan is ...", "the retailers we all want."
            if (last.lower_ == "on" and doc[end - 2].lower_ in self.advocacy_verbs
                    and any(t.lower_ in self.appealed_to for t in doc[end:min(end + 4, span.end)])):
                continue  # "calling on residents to back us": an appeal, not a change
            if last.lower_ == "setting" and after[:1] == ["out"]:
                continue  # "we are setting out our plans": announcing, not doing
            if after[:1] == ["be"] and after[1:2] and after[1] in self.courtesy:
                continue  # "we will be pleased to send a copy": a courtesy
            if after[:1] == ["be"] and "".join(
                    t.lower_ for t in doc[end + 1:min(end + 4, span.end)]).startswith(
                    self.election_outcomes):
                continue  # "the Tories will be re-elected": a forecast of the vote
            if after[:1] == ["be"] and after[2:3] == ["by"] and rule not in AUTHOR_NAMED:
                continue  # "I will be joined by ...": done to the actor, not by it
            if after[:1] == ["be"] and after[1:2] and (
                    (after[1].endswith("ing") and after[1] not in self.programme_ing)
                    or (after[1] in {"in", "at"} and end + 2 < span.end
                        and doc[end + 2].is_title)):
                continue  # "I will be visiting ...", "will be in Leeds": a schedule
            if after[:1] and after[0] in self.wait_verbs and (
                    len(after) < 2 or after[1] in self.not_before | {"and"}):
                continue  # "we will see what ...", "we will wait and see"
            if after[:1] and after[0] in self.belief_verbs and (
                    after[1:2] == ["that"] or last.lower_ in {"must", "should"}):
                continue  # "we must recognise that ...": a view, not a commitment
            if after and after[0] in self.negators:
                rest = [w for w in after if w not in self.negators]
                if not rest or rest[0] in self.inability:
                    continue
                return f"{rule}_negative", end
            return rule, end
        return None

    def nobody_else(self, span: Span, end: int) -> bool:
        """No party but the author's is named before the commitment, nor as its agent
        ('the cuts the Tories made will be ...', '... will be scrapped by Labour')."""
        doc = span.doc
        named = {t._.pf_party for t in doc[span.start:end] if t._.pf_party}
        if end < span.end and doc[end].lower_ == "by":
            named |= {t._.pf_party for t in doc[end + 1:min(end + 4, span.end)]
                      if t._.pf_party}
        authors = self.author_parties
        return not named or (authors is not None and named <= authors)

    @property
    def author_parties(self) -> set[str] | None:
        """The parties the text speaks for: a statement row's own, else the document's."""
        return self.block_parties or self.authors

    def actor_before(self, span: Span, start: int) -> bool:
        """The sentence's first actor, before ``start``, speaks for the author."""
        doc = span.doc
        first = next((t.i for t in doc[span.start:start] if t.tag_ == ACTOR), None)
        if first is None:
            return False
        end = first
        while end < start and doc[end].tag_ == ACTOR:
            end += 1
        return self.speaks_for(self.subject(doc, first, end, span.start))

    def names_author(self, span: Span) -> bool:
        authors = self.author_parties
        return bool(authors) and any(t._.pf_party in authors for t in span if t._.pf_party)

    def programme(self, span: Span) -> bool:
        doc = span.doc
        return any(doc.vocab.strings[m].startswith("programme") for m, _, _ in self.matches(span))

    def matches(self, span: Span) -> list[tuple[int, int, int]]:
        """The commitment patterns found in ``span``, in order, counted from its start.

        The matcher runs once per parsed text, sentence by sentence (a commitment lies
        inside one), its matches in order of start; spans (sentences, the whole item) take
        their share of them.
        """
        doc = span.doc
        if "pf_matches" not in doc.user_data:
            doc.user_data["pf_matches"] = self.matcher.in_sentences(doc, sentences(doc))
        return [(m, s - span.start, e - span.start) for m, s, e in doc.user_data["pf_matches"]
                if s >= span.start and e <= span.end]

    def warns(self, span: Span) -> bool:
        """An impersonal future of harm, not negated: "There will be cuts to every
        service", "there'll be more closures" (a warning; "there will be no cuts" and
        "there will be a library in every town" promise)."""
        words = [t.lower_ for t in span if not t.is_punct][:6]
        if words[0:1] != ["there"] or words[1:3] not in (["will", "be"], ["'ll", "be"],
                                                         ["\u2019ll", "be"]):
            return False
        rest = words[3:]
        while rest and rest[0] in {"more", "further", "even", "deeper", "big", "huge"}:
            rest = rest[1:]
        return bool(rest) and rest[0] in self.warning_nouns

    def holds_a_view(self, span: Span) -> bool:
        """A subject's belief, said before any commitment: "we fundamentally believe
        that ...", "I think every child ..." (a view, not a promise)."""
        tokens = [t for t in span[:12] if not t.is_punct]
        for k, token in enumerate(tokens[:-1]):
            if token.lower_ in SUBJECT_PRONOUNS or names_actor(token):
                j = k + 1
                while j < len(tokens) - 1 and (tokens[j].lower_ in VIEW_ADVERBS
                                               or is_ly_word(tokens[j].lower_)):
                    j += 1
                if tokens[j].lower_ in self.belief_verbs:
                    return True
        return False

    def is_bare_lead_in(self, span: Span, commit_end: int) -> bool:
        """'To do this, we will:' or 'We will support this by:' carry no content of their own."""
        words = [t.lower_ for t in span if not t.is_punct and not t.is_space]
        if words and words[-1] in LEAD_IN_ENDS:
            # "If you elect me, I will" before its list: the items carry it; but a full
            # stop after a long sentence ends a relative clause ("... the 45,000 homes that
            # Fianna Fáil are committing to."), whose object came before it
            return not (span_text(span).rstrip().endswith(".") and len(words) > RELATIVE_WORDS)
        if span.doc[commit_end - 1].lower_ in ANNOUNCE and mentions_any(
                span.doc[commit_end:span.end].text, self.announcers):
            return True  # "Greens announce priorities for minority government": the news
        if not span_text(span).rstrip().endswith(":"):
            return self.announces_what(span, commit_end)
        if words and words[-1] in {"are", "is", "include", "includes"}:
            return True  # "The principles we want at its heart are:" names what follows
        rest = [t.lower_ for t in span.doc[commit_end:span.end] if t.is_alpha]
        content = [w for w in rest if w not in self.stopwords]
        if mentions_any(span.doc[commit_end:span.end].text, self.announcers):
            # "... are making five key promises:": the items carry them; "Labour wants to
            # put the council's finances on a stable footing, with clear priorities:" has
            # content of its own before naming its list
            return (any(w in INCLUDES for w in rest)  # "... includes the following commitments:"
                    or len([w for w in content if w not in self.announcer_words])
                    <= ANNOUNCING_WORDS)
        return len(content) <= 2

    def announces_what(self, span: Span, commit_end: int) -> bool:
        """"Here's what I'll do if elected." announces the pledges that follow without a
        colon: the commitment has a "what" before it and nothing but stopwords after it,
        up to any condition."""
        doc = span.doc
        if not any(t.lower_ == "what" for t in doc[span.start:commit_end]):
            return False
        rest = []
        for token in doc[commit_end:span.end]:
            if token.lower_ in self.conditions:
                break
            if token.is_alpha:
                rest.append(token.lower_)
        return all(w in self.stopwords for w in rest)

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
            # a quoted name closes within a few words ("'Homes for All' will ..."); a
            # quotation that runs on is someone speaking
            # (the tokenizer may keep the closing quote on the word: 'town"...')
            return any(t.text[-1] in CLOSING_QUOTES for t in tokens[1:QUOTED_NAME_WORDS + 2])
        if first.lower_ == "to":  # "To increase the number of ...": an aim as an item
            return self.lists.infinitive_aim([t.lower_ for t in tokens])
        # "Reform UK holds ..." opens with a name
        return self.lists.opens_with_verb([t.lower_ for t in tokens[:3]]) and first.tag_ != ACTOR

    def labelled_order(self, span: Span) -> bool:
        """A topic set before a dash, then an order: 'Cleaner air \u2013 plant a tree
        for every child born in the city.' (a list item's shape, as a row of its own)."""
        label = DASH_LABEL.match(span.text)
        if not label:
            return False
        rest = span.text[label.end():].split()[:3]
        return self.lists.opens_with_verb([w.lower().strip(".,;:") for w in rest])

    def says_how(self, span: Span) -> bool:
        """A fragment carrying on the pledge above it: 'By working with ...', 'for example
        by bringing ...', 'through a series of ...' (in lower case, cut from its sentence)."""
        words = [t for t in span if not t.is_space and not t.is_punct]
        if len(words) < 3:
            return False
        if [w.lower_ for w in words[:2]] == ["for", "example"]:
            words = words[2:]
        # Any fragment in lower case is not enough: a page printed in columns breaks
        # paragraphs into such pieces. It must open as a means does.
        return (len(words) > 1 and words[0].lower_ in self.means
                and (words[1].lower_.endswith("ing") or words[0].is_lower))

    def in_timeline(self, *texts: str | None) -> bool:
        """A heading naming the author's first days in office ("Our first 100 days",
        "First week", "Day one"): what its paragraphs say will happen is a timeline of
        pledges, however they are worded."""
        return any(t and TIMELINE.search(t) for t in texts)

    def describes_document(self, span: Span) -> bool:
        """Does a plan, manifesto or strategy say what it holds ("Our Council Plan sets
        out how we will ...", "The Green Plan outlines ...", "Our manifesto covers ...")?
        Its subject, in the first words, is one of ``plan_nouns``; its verb, next after
        it, one of ``describing_verbs``, in the present."""
        words = [t.lower_ for t in span[:10] if t.is_alpha]
        for k, word in enumerate(words[:6]):
            if word in self.plan_nouns_set:
                rest = " ".join(words[k + 1 : k + 5])
                return any(rest.startswith(v) for v in self.lexicon["describing_verbs"])
        return False

    def in_pledge_context(self, *texts: str | None) -> bool:
        return any(t and self._mentions_context(t) for t in texts)

    def _mentions_context(self, text: str) -> bool:
        # every block of a section asks about the same headings
        if text not in self._context_seen:
            if len(self._context_seen) > 10_000:
                self._context_seen.clear()
            self._context_seen[text] = mentions_any(text, self.context_words)
        return self._context_seen[text]


# Rules whose subject is no actor (a plan, a passive): an opponent named in the sentence
# before the commitment, or as its agent, makes it someone else's.
SUBJECTLESS = {"plan_will", "plan_will_long", "plan_commits", "plan_will_be_amount",
               "passive_delivery", "universal_will_receive", "aim_noun_includes",
               "will_be_our_priority", "plan_includes_amount", "plan_includes_commitment",
               "pronoun_pledged", "it_pledged", "pronoun_says_will", "named_programme_will",
               "plan_includes_list", "said_pronoun_will", "said_party_will", "if_author_elected",
               "if_voters_back_author", "pledge_would_see_author", "and_will"}
# Rules with no actor that commit only when the sentence names the author's party.
AUTHOR_NAMED = {"there_will_be_author", "under_author_will", "will_be_priority_for_author",
                "pledge_would_see_author"}
# Rules matching a second predicate ("... and are committed to"): an actor must open it.
ACTOR_BEFORE = {"and_be_committed", "and_has_pledged", "actor_promising", "actor_saying_will",
                "said_plan_will", "and_will", "plan_that_promises"}
# A sentence opening with one of these and a modal continues the pledge before it
# ("This will remove the bottlenecks ...", "It will cut fares by ...").
# A heading under a numbered label is its statement when it is this long; "Housing" is a
# heading of its own
LABELLED_WORDS = 6
# A headline row's actor stands within its first words ("Westhaven Green Party pledges")
HEADLINE_NAME_WORDS = 4
# Statement data "mostly" closes its rows with a stop when this share of them do
CLOSED_ROWS = 0.6
QUOTES_AND_STOPS = "\"'\u2018\u2019\u201c\u201d.,;:!?()"
# A one-item list this short before a lead-in is a numbered title ("2. Our greener valley")
TITLE_ITEM_WORDS = 6
ANAPHORS = {"this", "it", "that", "these", "which", "doing", "together"}
MODALS = {"will", "'ll", "\u2019ll", "shall", "would"}
# A line opening "Only ..." with no full stop and at most this many words: a slogan
SLOGAN_WORDS = 14
# After "This will ...", what the pledge costs or needs, not a further commitment
CONSEQUENCES = {"cost", "costs", "need", "require", "mean", "benefit"}
ARTICLES = {"the", "a", "an"}
FIRST_PERSON = {"we", "i", "us", "we'll", "we\u2019ll", "i'll", "i\u2019ll", "we're", "we\u2019re",
                "i'm", "i\u2019m", "we've", "we\u2019ve"}
# Words before a final "to." that make it a relative clause's end, not a lead-in's
RELATIVE_WORDS = 8
# Party names that, in title case, are mostly something else ("the Planning Act")
UPPER_ONLY_PARTIES = {"act"}
# A commitment that stops at its verb ("... I will", "we pledge to") is a lead-in cut
# from its list, whatever punctuation ends it.
LEAD_IN_ENDS = MODALS | {"to", "must", "pledge", "promise", "commit"}
# What a paragraph under an open commitment lead-in must read as to be one of its items:
# a thing to do or to have ("Provide grants ...", "Pump £1bn into ...", "Free meals ...").
LEAD_IN_ITEMS = {"imperative", "gerund", "noun"}
# A run-in pledge ("Scrap the cap. ...") is short; a longer opening imperative is prose.
RUN_IN_WORDS = 12
# A paragraph of at most this many words ending in a colon, under an open lead-in,
# heads a group of its items.
SUB_HEADING_WORDS = 8
# A heading under an open lead-in is one of its items when it has at least this many words
# ("Campaigning for fairer fuel prices"); "Housing" is a sub-heading.
HEADING_ITEM_WORDS = 3
PREPOSITIONS = {"by", "of", "in", "from", "at", "on", "with", "for"}
# Paragraphs of a timeline section that are no step of it: records, calls, names, and
# lines too short to say what happens ("We're ready.", "Read policy")
TIMELINE_NOT = {"record", "call", "name"}
TIMELINE_WORDS = 4
SENTENCE_ENDS = (".", "!", "?", ":", '"', "\u201d")
OPENING_QUOTES = {'"', "\u201c", "\u2018"}
PAST_TENSE = {"was", "were", "had", "did"}

# Rules that take a list item for what its heading or lead-in says the list is.
CONTEXT_RULES = {"list_in_pledge_section", "list_under_pledge_lead_in"}
# Words besides the list's name that a lead-in announcing its list may hold ("are making
# five key promises:"): more, and it says something of its own
ANNOUNCING_WORDS = 3
INCLUDES = {"include", "includes", "including", "are", "is"}
# Lines of at most this many words after the content: a footer's
FOOTER_WORDS = 8
LAST_WORD = re.compile(r"[^\W\d_]+$")
WORD_RE = re.compile(r"[^\W\d_]+")
FRAGMENT_LETTERS = 4  # fewer letters are as often a whole short word ("you", "our")
# Endings that make a longer word of a whole one: a word the document also has with one
# of these after it is no fragment ("school" beside "schools", "park" beside "parking").
WORD_ENDINGS = frozenset(
    "s es ed d r rs ing er ers est ly y ily al ally ment ments ness ful less ship ships ist ists "
    "ism ity ities ion ions ation ations ive ives able ably ible ance ances ence ences ant "
    "ants ent ents ise ised ises ising ize ized izes izing ery ry age ages ure ures ic ics "
    "ical ian ians ee ees en or ors ory ous ual th ward wards wide".split())
SENTENCE_BREAK = re.compile(r"[.!?][\"'\u201d\u2019]?\s+\S")
# Words no sentence ends with: a copy that stops on one was cut off
NEVER_LAST = {"a", "an", "the", "and", "or", "but", "nor", "of", "to", "for", "with", "by",
              "from", "at", "as", "that", "which", "who", "whose", "we", "i", "our", "their",
              "its", "your", "my", "his", "will", "would", "shall", "be", "is", "are", "was",
              "were", "has", "have", "had", "can", "could", "should", "must", "may", "such",
              "including", "than", "into", "onto", "per", "via", "if", "when", "while",
              "because", "whether", "these", "those", "every", "each", "both", "either"}
LIST_JOINER = re.compile(r";\s*(?:and|or)$", re.I)
# An e-mail address or a telephone number ("0300 123 4567", "(028) 9012 3456"): a short
# line holding one is a way to get in touch, not a commitment
CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.\w[\w.]*|(?:\+\d{1,3}[\s-]?)?\(?\b0\d{2,4}\)?[\s-]?\d{3,4}"
                     r"[\s-]?\d{3,4}\b")
CONTACT_WORDS = 12
# Words of one or two letters that may end a sentence
SHORT_WORDS = {"it", "us", "up", "in", "on", "go", "do", "so", "no", "me", "uk", "eu", "nz",
               "tv", "gp", "ok", "am", "pm", "ai", "ev", "he", "x", "hq"}
ANNOUNCE = {"announce", "announces"}
# "Jane Smith, Leader of the Green Party": a name and a title after a comma
SIGNATURE = re.compile(r"[A-Z][a-z]+(?:\s+[A-Z][\w'\u2019-]+)+,\s+(?:the\s+)?[A-Z]")
CLOSING_QUOTES = {'"', "\u201d", "'", "\u2019"}
QUOTED_NAME_WORDS = 8
INLINE_BULLET = re.compile(r"(?<=\S)\s+(?=[\u2022\u25aa\u25cf\u25e6]\s)")
TOC_LEADER = re.compile(r"\.{5,}|(?:\. ){4,}")


ADVERBS = {"adverbs": ["also", "still", "always", "further", "then", "now", "therefore", "jointly",
                       "together", "all", "both", "firmly", "absolutely", "continue", "again",
                       "fully", "properly", "finally", "quickly", "soon",
                       "now", "too", "immediately", "urgently", "actively"]}


@register
class PledgeExtractor:
    name = "pledges"
    version = "27"
    kinds = ("pledges", "targets")

    def __init__(self, learned: bool = True) -> None:
        self._rules: dict[int, Rules] = {}
        self._targets = TargetFinder()
        self._classify = Classifier()
        self._learned = shipped_aid() if learned else None

    def rules(self, nlp: Language) -> Rules:
        key = id(nlp.vocab)
        if key not in self._rules:
            self._rules[key] = Rules(nlp)
        return self._rules[key]

    def extract(self, doc: Document, nlp: Language) -> Iterator[Record]:
        rules = self.rules(nlp)
        for candidate in self.candidates(doc, nlp, rules):
            span, text = candidate.span, candidate.text
            if mentions_any(text, rules.site_text):
                continue  # a cookie banner or a sign-up form printed with the page
            if len(text.split()) <= CONTACT_WORDS and CONTACT.search(text):
                continue  # "Telephoning the council on 0300 123 4567": how to reach it
            # the rules read every block before the aid did: a row speaks for its party again
            enter_block(candidate.block, doc, nlp, rules)
            found = rules.commitment(span)
            pledge = Pledge(
                text=text.strip(), lead_in=candidate.lead_in, section=candidate.section,
                pledge_kind=self._classify.kind(span, found[1] if found else None),
                specific=self._classify.specific(span, text),
                topic=self._classify.topic(" ".join(filter(None, [text, candidate.section]))),
                provenance=provenance(self, doc, candidate.block, candidate.start, candidate.end,
                                      candidate.rule, section=candidate.section),
            )
            yield pledge
            yield from self._targets.find(self, doc, candidate, pledge, nlp)

    # -- where pledges are ------------------------------------------------------------

    def candidates(self, doc: Document, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        """The rules' pledges, then the sentences and list items they left that the
        learned aid is sure of (``_learned.py``), each after its block's."""
        found = list(self.rule_candidates(doc, nlp, rules))
        cut = cut_off_block(doc)
        if self._learned is not None:
            form = "rows" if doc.parser == "csv" else "page"
            found += [candidate for unit, candidate in self.units(doc, nlp, rules, found, True)
                      if self._learned.accepts(unit, form)
                      and not self._rules_refuse(candidate, doc, nlp, rules)]
        for candidate in sorted(found, key=lambda candidate: candidate.block.index):
            if (candidate.block is cut and cut.text.rstrip().endswith(candidate.text.rstrip())
                    and not SENTENCE_BREAK.search(candidate.text)):
                continue  # the copy stops inside this sentence: what it promised is lost
            yield candidate

    def units(self, doc: Document, nlp: Language, rules: Rules, found: list[Candidate],
              unclaimed: bool = False) -> Iterator[tuple[Unit, Candidate]]:
        """Every sentence outside lists and every list item of ``doc`` with what the
        learned aid sees of it (the rule of a candidate in ``found`` overlapping it;
        ``unclaimed``: only those no candidate overlaps), after ``rule_candidates`` has
        read the document."""
        claimed: dict[int, list[Candidate]] = {}
        for candidate in found:
            claimed.setdefault(candidate.block.index, []).append(candidate)
        kind = str(doc.meta.get("kind") or "")
        for block in doc.blocks:
            if block.kind not in ("paragraph", "list_item") or block.index in self._actions:
                continue
            skip = marker_length(block.text)
            base = block.start + skip
            sdoc = self._parse(block.text[skip:], nlp, rules)
            spans = [sdoc[:]] if block.kind == "list_item" else sentences(sdoc)
            actors = None
            for number, span in enumerate(spans):
                if len(span) < 2:
                    continue
                start, end = base + span.start_char, base + span.end_char
                rule = next((c.rule for c in claimed.get(block.index, ())
                             if c.start < end and start < c.end), None)
                if rule and unclaimed:
                    continue
                if actors is None:  # the block's actor tokens, in one pass over its tags
                    actors = np.flatnonzero(sdoc.to_array(TAG) == nlp.vocab.strings[ACTOR])
                text = span_text(span)
                yield Unit(
                    text=text, block_kind=block.kind, document_kind=kind,
                    sentence=number, sentences=len(spans),
                    actors=tuple(int(i) - span.start for i in actors
                                 if span.start <= i < span.end)[:3],
                    lead_in=block.lead_in, section=tuple(block.section[-2:]), rule=rule,
                ), self._candidate(span, block, base, LEARNED, block.lead_in)

    @staticmethod
    def _rules_refuse(candidate: Candidate, doc: Document, nlp: Language,
                      rules: Rules) -> bool:
        """What the rules know a unit the aid is sure of is not: a record or a call to
        vote (the list shapes: "Delivered ...", "we have cut ...", "Vote ..."), a deed
        ("we balanced", "the Liberals delivered", "we have already built"), a lead-in
        ending in a colon, a plan or manifesto saying what it holds ("Our plan sets out
        how ..."), or a unit naming parties none of which is the author's (a statement
        row's own party, else the document's): another party's intention."""
        span = candidate.span
        if rules.lists.shape(candidate.text) in {"record", "call"} or did(span[:12], names_actor):
            return True
        if candidate.text.rstrip().endswith(":") or rules.describes_document(span):
            return True  # a lead-in ("... we will:"), a plan saying what it holds
        if rules.warns(span) or rules.holds_a_view(span):
            return True  # "There will be cuts to every service": nobody's promise;
            # "we fundamentally believe that ...": a view
        before = block_before(doc, candidate.block)
        lead_in = candidate.lead_in or (before.text if leads_in(before) else None)
        if rules.lists.lead_in_reports_past(lead_in):
            return True  # under "Since 2022 we have invested:": spent, not pledged
        enter_block(candidate.block, doc, nlp, rules)
        return (any(t._.pf_party for t in span) and bool(rules.author_parties)
                and not rules.names_author(span))

    def rule_candidates(self, doc: Document, nlp: Language,
                        rules: Rules) -> Iterator[Candidate]:
        self._lead_ins: dict[tuple, str | None] = {}
        self._pledge_items: set[str] = set()  # list items found to be pledges, by text
        # Paragraphs and list items tokenised in batches: nlp.pipe amortises the pipeline's
        # per-call cost over the document (lead-ins and table cells still go one by one).
        texts = [b.text[marker_length(b.text):] for b in doc.blocks
                 if b.kind in ("paragraph", "list_item")]
        self._parsed = dict(zip(texts, nlp.pipe(texts, batch_size=256), strict=True))
        rules.set_authors(doc, nlp)
        self._programme_document = rules.lists.is_programme_document(doc)
        self._statement_data = doc.parser == "csv"  # one statement a row
        self._list_shapes = rules.lists.shapes(doc)
        self._programme_runs = rules.lists.programme_runs(doc)
        self._labelled_by_heading = labelled_by_heading(doc, rules)
        # statement data whose rows mostly close with a stop (``_headline_row``)
        self._rows_closed = self._statement_data and rows_mostly_closed(doc)
        self._doc = doc
        # actions set in prose: no pledges, for the rules or the learned aid (``units``)
        self._actions = {b.index for b in doc.blocks
                         if b.kind in ("paragraph", "list_item", "heading") and self._is_action(b)}
        # the document's headings, and what follows their labels ("Priority 1: Homes")
        self._headings = {_squeezed(t) for b in doc.blocks if b.kind == "heading"
                          for t in (b.text, b.text.partition(":")[2]) if t.strip()}
        self._previous_pledge = False  # did the last paragraph end with a pledge?
        self._after_pledge = False  # did the last block (headings aside) hold a pledge?
        # A commitment lead-in ending in a colon whose list a CMS or a capture set as
        # plain paragraphs: the imperative paragraphs after it are its items.
        self._open_lead_in: str | None = None
        self._last_item_next = False  # the paragraph before ended "; and"
        heading_item = False
        for block in doc.blocks:
            heading_item = self._item_of_open_lead_in(block, rules, after_item=heading_item)
            if block.kind != "paragraph" and not heading_item:
                self._open_lead_in = None
            enter_block(block, doc, nlp, rules)
            found = self._block(block, nlp, rules, heading_item)
            yield from found
            if block.kind != "heading" or found:
                self._after_pledge = bool(found)

    def _block(self, block: Block, nlp: Language, rules: Rules,
               heading_item: bool = False) -> list[Candidate]:
        if block.index in self._actions:
            return []  # "Action 1.2: ... (Lead: ...)": an action record, not a pledge
        if block.kind in ("paragraph", "heading") and (
                labelled := (self._labelled(block, nlp, rules)
                             or self._under_label(block, nlp, rules))):
            self._previous_pledge = block.kind == "paragraph"
            return [labelled]
        if block.kind == "paragraph" or (block.kind == "heading" and
                                         commitment_heading(block.text)):
            return list(self._paragraph(block, nlp, rules))
        if block.kind == "list_item":
            return list(self._list_item(block, nlp, rules))
        if heading_item:
            sdoc = self._parse(block.text, nlp, rules)
            return [self._candidate(sdoc[:], block, block.start, "heading_under_lead_in",
                                    self._open_lead_in)]
        if block.kind == "table":
            return list(self._table(block, nlp, rules))
        return []

    def _parse(self, text: str, nlp: Language, rules: Rules) -> Doc:
        # Parsed texts are kept for the whole document: a list's lead-in is usually the
        # paragraph just read, so it need not be tokenised again. Actors are marked once
        # per parsed text (marking them again would change nothing).
        sdoc = self._parsed.get(text)
        if not sdoc:
            sdoc = self._parsed[text] = nlp(text)
        if "pf_actors" not in sdoc.user_data:
            rules.mark_actors(sdoc)
            sdoc.user_data["pf_actors"] = True
            sdoc.user_data["pf_text"] = text  # for span_text
        return sdoc

    def _paragraph(self, block: Block, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        skip = marker_length(block.text)
        if is_headline(block.text[skip:]) or TOC_LEADER.search(block.text):
            self._previous_pledge = False  # a headline or a contents line commits no one
            return
        sdoc = self._parse(block.text[skip:], nlp, rules)
        whole = sdoc[:]
        if self._headline_row(block, whole, rules):
            self._previous_pledge = False
            return
        sents = sentences(sdoc)
        if self._after_pledge and not self._statement_data and rules.says_how(whole):
            # "2. More homes" then "By working with housing associations to ...": how the
            # pledge above will be delivered, set as a paragraph of its own
            self._previous_pledge = True
            yield self._candidate(whole, block, block.start + skip, "means_of_pledge", None)
            return
        # a run of orders is a programme, unless a lead-in or a heading already says so;
        # in statement data an order is a pledge anyway (statement_imperative, below)
        in_context = rules.in_pledge_context(*block.section)
        in_run = (block.index in self._programme_runs and not self._open_lead_in
                  and whole[0].tag_ != ACTOR  # "Reform is putting ...": a party, no order
                  and not in_context
                  and not (self._statement_data and rules.opens_like_item(whole)))
        if (in_run or (in_context and rules.opens_like_item(whole)
                       and rules.lists.item_shape(block) != "call")) and not (
                block.text.rstrip().endswith(":") and self._opens_list(block)):
            # (a paragraph ending in a colon before a list is the list's lead-in)
            self._previous_pledge = True
            rule = "pledge_section_item" if not in_run else "programme_paragraph_run"
            if not self._run_in(sents, rules):
                yield self._candidate(whole, block, block.start + skip, rule, None)
                return
            # a pledge set in bold before the paragraph that explains it: the pledge is
            # its own sentence, the rest is read sentence by sentence
            yield self._candidate(sents[0], block, block.start + skip, rule, None)
            sents = sents[1:]
        elif self._run_in(sents, rules):
            self._previous_pledge = True
            yield self._candidate(sents[0], block, block.start + skip, "run_in_imperative", None)
            sents = sents[1:]
        shape = rules.lists.item_shape(block)
        if (rules.in_timeline(*block.section) and shape not in TIMELINE_NOT
                and len([t for t in whole if t.is_alpha]) >= TIMELINE_WORDS
                and block.text.lstrip()[:1] not in OPENING_QUOTES
                and (shape in LEAD_IN_ITEMS or not block.text.rstrip().endswith(SENTENCE_ENDS))
                and not any(t.lower_ in PAST_TENSE for t in whole)):
            # "First week" / "Ministers meet agency heads for briefings": a step of the
            # author's timeline in office, worded as a headline or as an item. A sentence
            # with its full stop is prose (a release about the plan, a quotation): below.
            self._previous_pledge = True
            yield self._candidate(whole, block, block.start + skip, "timeline_item", None)
            return
        statement_order = (self._statement_data
                           and (rules.opens_like_item(whole) or rules.labelled_order(whole))
                           and shape == "imperative" and is_statement(whole))
        if statement_order or (self._open_lead_in and shape in LEAD_IN_ITEMS
                               and whole[0].tag_ != ACTOR
                               and not block.text.rstrip().endswith(":")):  # a sub-heading
            # An imperative is a commitment as a statement of its own in statement data
            # ("Scrap the bedroom tax.", cut from the list it was published in), and as an
            # item of a commitment lead-in whose list was set as paragraphs (or as rows).
            self._previous_pledge = True
            if statement_order:
                yield self._candidate(whole, block, block.start + skip, "statement_imperative",
                                      None)
            else:
                yield self._candidate(whole, block, block.start + skip,
                                      "paragraph_under_lead_in",
                                      None if self._statement_data else self._open_lead_in)
                if self._last_item_next:
                    self._open_lead_in = None  # "...; and" came before: this item ends it
                self._last_item_next = bool(LIST_JOINER.search(block.text.rstrip()))
            return
        if (self._open_lead_in and block.text.rstrip().endswith(":")
                and len([t for t in whole if t.is_alpha]) <= SUB_HEADING_WORDS):
            return  # "Maintaining an efficient council:": a sub-heading of the same list
        self._open_lead_in = None
        for sent in sents:
            found = rules.commitment(sent)
            if found and rules.describes_document(sent):
                found = None  # "This manifesto details how we will ...": what it holds
            if (sent is sents[-1] and span_text(sent).rstrip().endswith(":")
                    and (found or rules.in_pledge_context(span_text(sent)))):
                self._open_lead_in = span_text(sent).strip()  # "Our pledges include:"
                self._last_item_next = False
            if found and not rules.is_bare_lead_in(sent, found[1]):
                self._previous_pledge = True
                yield self._candidate(sent, block, block.start + skip, found[0], None)
            elif self._previous_pledge and continues_pledge(sent, rules.policy_nouns):
                yield self._candidate(sent, block, block.start + skip, "continues_pledge", None)
            else:
                self._previous_pledge = False

    def _item_of_open_lead_in(self, block: Block, rules: Rules, after_item: bool) -> bool:
        """A short line set as a sub-heading right under a commitment lead-in ending in a
        colon ("Our priorities include:" / "Supporting a council tax freeze"): a list
        item whose bullet a capture or a CMS lost. A real heading does not follow a colon."""
        if block.kind != "heading" or not self._open_lead_in:
            return False
        if (block.level or 1) < 2 and not leads_in(block_before(self._doc, block)):
            return False  # a top heading only right after the colon: else a new part
        if not self._reads_as_item(block, rules):
            return False
        # a real sub-heading is followed by prose; an item by the next item or nothing,
        # or by prose when it is the last of the items before it (``after_item``)
        following = block_after(self._doc, block)
        return (following is None or after_item
                or (following.kind in ("heading", "paragraph")
                    and self._reads_as_item(following, rules)))

    def _is_action(self, block: Block) -> bool:
        """Is the block an action set in prose (``is_prose_action``), its deadline or lead
        perhaps in the paragraph after it?"""
        after = block_after(self._doc, block)
        return is_prose_action(block.text[marker_length(block.text):],
                               after.text if after is not None and after.kind == "paragraph"
                               else None)

    def _opens_list(self, block: Block) -> bool:
        following = block_after(self._doc, block)
        return following is not None and following.kind == "list_item"

    @staticmethod
    def _reads_as_item(block: Block, rules: Rules) -> bool:
        # two words are an item when they are an order ("Support carers"); "Our Economy"
        # is a sub-heading
        words = [w for w in (w.strip(QUOTES_AND_STOPS) for w in block.text.split()) if w.isalpha()]
        shape = rules.lists.item_shape(block)
        return (shape in LEAD_IN_ITEMS and not block.text.rstrip().endswith(":")
                and (len(words) >= HEADING_ITEM_WORDS
                     or (len(words) == 2 and shape == "imperative")))

    def _labelled(self, block: Block, nlp: Language, rules: Rules) -> Candidate | None:
        """'Pledge 3: Keep every library open': the label says what the rest is."""
        skip = marker_length(block.text)
        label = rules.label.match(block.text, skip)
        # "Objective 1.1: Improve our roads": a plan's numbered element is the author's
        # when what it labels is an order, as a list item would be
        element = label is None
        if element:
            label = rules.element_label.match(block.text, skip)
        if label is None:
            return None
        text = block.text[label.end():]
        shape = rules.lists.shape(text)
        if shape in {"record", "call"} or (element and shape not in ORDERS):
            return None
        sdoc = self._parse(text, nlp, rules)
        if len([t for t in sdoc if t.is_alpha]) < 3:
            return None
        return self._candidate(sdoc[:], block, block.start + label.end(), "labelled_pledge",
                               None)

    def _under_label(self, block: Block, nlp: Language, rules: Rules) -> Candidate | None:
        """'Mission 6' then 'Every street is lit and swept each week': the one
        sentence under a numbered label is what it labels, whatever its grammar."""
        if block.index not in self._labelled_by_heading:
            return None
        sdoc = self._parse(block.text, nlp, rules)
        sents = sentences(sdoc)
        words = [t for t in sdoc if t.is_alpha]
        if (len(sents) != 1 or len(words) < 4 or block.text.rstrip().endswith(("?", ":"))
                or rules.lists.shape(sdoc.text) in {"record", "call", "question"}):
            return None
        return self._candidate(sdoc[:], block, block.start, "labelled_by_heading", None)

    def _headline_row(self, block: Block, whole: Span, rules: Rules) -> bool:
        """A row of statement data that is a news headline carried into it ("Greens pledge
        to reopen the lido", "Riverside Labour will freeze rents"): a party or a person
        opens it and it has no closing stop, where the data's rows mostly have one (in
        data whose rows never close, a row without a stop is no sign of anything)."""
        if not self._rows_closed:
            return False
        words = [t for t in whole if not t.is_punct][:HEADLINE_NAME_WORDS]
        # the actor may follow a place or a name in title case ("Westhaven Greens pledge")
        first = next((t for t in words if names_actor(t) or not t.is_title), None)
        return (first is not None and names_actor(first) and first.lower_ not in FIRST_PERSON
                and not ends_sentence(block.text)
                and rules.lists.item_shape(block) not in ORDERS)  # "Stop Labour's sell-off"

    def _numbered_heading(self, block: Block, rules: Rules) -> bool:
        """'1. Economic prosperity' then 'We will build on our record by:': a numbered
        title set as a list of one item, the lead-in of its own list after it."""
        shape, kind = self._list_shapes.get(block.index, (None, None))
        return (shape is not None and shape.items == 1 and kind in {"noun", "name"}
                and len(block.text.split()) <= TITLE_ITEM_WORDS
                and leads_in(block_after(self._doc, block)))

    @staticmethod
    def _run_in(sents: list[Span], rules: Rules) -> bool:
        """A short imperative sentence opening a paragraph that goes on to explain it
        ("Scrap the cap. The fund has run a surplus for years ...")."""
        if len(sents) < 2:
            return False
        first = sents[0]
        words = [t for t in first if t.is_alpha]
        # a verb's object follows an imperative; "Research by the union suggests ...
        # will" opens with a noun, its own verb later
        finite = any(t.lower_ in rules.lists.finite for t in first[1:])
        return (2 <= len(words) <= RUN_IN_WORDS and first[-1].text in {".", "!"}
                and rules.lists.opens_with_verb([t.lower_ for t in first[:3]])
                and first[0].tag_ != ACTOR
                and not finite and first[1].lower_ not in PREPOSITIONS
                and rules.lists.shape(first.text) == "imperative")

    def _list_item(self, block: Block, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        if self._page_links(block, rules) or self._numbered_heading(block, rules):
            return
        skip = marker_length(block.text)
        sdoc = self._parse(block.text[skip:], nlp, rules)
        whole = sdoc[:]
        rule = self._lead_in_rule(block, nlp, rules)
        if rule is None and (block.depth or 1) > 1 and block.lead_in in self._pledge_items:
            rule = "list_under_pledge_item"  # a sub-item details the pledge above it
        if rule is None:
            found = next(((s, c) for s in sdoc.sents if (c := rules.commitment(s))), None)
            rule = found[1][0] if found else None
            if found and block.text.rstrip().endswith(":") and rules.is_bare_lead_in(
                    found[0], found[1][1]):
                return  # "... so we will:" set as an item: the items after it carry it
        _, kind = self._list_shapes.get(block.index, (None, None))
        if kind is None:  # a sub-item: not part of a top-level list's shape
            kind = rules.lists.item_shape(block)
        if rule in CONTEXT_RULES and kind in {"record", "call", "question"}:
            rule = None  # a heading names pledges, but this item reports, calls or asks
        if (rule == "list_under_commitment"
                and (kind == "name" or SIGNATURE.match(block.text, skip))
                and not (block.lead_in or "").rstrip().endswith(":")):
            rule = None  # a signature or a caption after a commitment, not an item of it
        if rule is None and self._programme_item(block, rules) and not lists_values(block, rules):
            rule = "programme_list_item"
        if rule and text_announces_list(block.text, rules):
            rule = None  # "A programme that commits to the following:": its items carry it
        if rule and len(whole) >= 2:
            self._pledge_items.add(block.text)
            text = block.text[skip:]
            cuts = [m.start() for m in INLINE_BULLET.finditer(text)]
            if not cuts:
                yield self._candidate(whole, block, block.start + skip, rule, block.lead_in)
                return
            # "Make support available. • Bring our high streets back": items a capture ran
            # into one line, each its own pledge
            for lo, hi in zip([0, *cuts], [*cuts, len(text)], strict=True):
                part = text[lo:hi]
                lo += marker_length(part)
                part = text[lo:hi].rstrip()
                if len(part.split()) >= 2:
                    sdoc = self._parse(part, nlp, rules)
                    yield self._candidate(sdoc[:], block, block.start + skip + lo, rule,
                                          block.lead_in)

    def _programme_item(self, block: Block, rules: Rules) -> bool:
        """An item of a list that, as a whole, is the author's programme (see _programme);
        not an item naming a heading of the document (its contents)."""
        shape, kind = self._list_shapes.get(block.index, (None, None))
        if shape is None or not shape.is_programme(self._programme_document):
            return False
        if _squeezed(block.text[marker_length(block.text):]) in self._headings:
            return False
        return kind not in {"record", "call", "name", "question"}

    @staticmethod
    def _page_links(block: Block, rules: Rules) -> bool:
        """Is the list item one of the page's own links, under a heading naming them
        ("On this page", "Related documents")?"""
        return bool(block.section) and mentions_any(block.section[-1],
                                                    rules.lexicon["navigation_sections"])

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
        if lists_values(block, rules):
            return None  # "Our values", "The values we work by as a council:"
        if block.lead_in and rules.in_pledge_context(block.lead_in):
            return "list_under_pledge_lead_in"
        if rules.in_pledge_context(*block.section):
            return "list_in_pledge_section"
        return None

    def _table(self, block: Block, nlp: Language, rules: Rules) -> Iterator[Candidate]:
        table = read_table(block)
        if table is None or is_kpi_table(table) or is_action_table(table) or is_risk_table(table):
            return
        lists_pledges = rules.in_pledge_context(*table.header)
        # a column headed "Our pledge", "Commitment", "Key initiatives": each cell a pledge
        pledge_columns = {i for i, h in enumerate(table.header) if rules.in_pledge_context(h)}
        for r, row in table.rows:
            titles = [clean_cell(c) for c in row if clean_cell(c) and len(clean_cell(c)) <= 150
                      and not BULLET_LINE.match(c)]
            bulleted = any(BULLET_LINE.match(line) for c in row for line in c.split("\n"))
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
                if (c in pledge_columns and not bulleted and clean_cell(text)
                        and _squeezed(clean_cell(text)) not in self._headings):  # a title
                    others = [t for t in titles if t != clean_cell(text)]
                    section = strip_numbering(others[0]) if others else block.heading
                    sdoc = self._parse(clean_cell(text), nlp, rules)
                    yield self._candidate(sdoc[:], block, start, "table_pledge_cell", None,
                                          section=section)
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
        text = span_text(span)
        return Candidate(span=span, text=text, block=block, start=start, end=start + len(text),
                         rule=rule, lead_in=lead_in,
                         section=section if section is not None else block.heading)


def lists_values(block: Block, rules: Rules) -> bool:
    """Is the list item one of the author's values ("Honesty, trust and respect")? Its
    lead-in names values, or, without a lead-in, the heading it sits under does (a lead-in
    says what its own list is: "Our Values and Missions" over "Labour has five missions:");
    a lead-in that commits the author is read before this is asked."""
    words = rules.lexicon["value_nouns"]
    if block.lead_in:
        return mentions_any(block.lead_in, words)
    return bool(block.section) and mentions_any(block.section[-1], words)


def enter_block(block: Block, doc: Document, nlp: Language, rules: Rules) -> None:
    """Tell the rules which block they read: a row of statement data names its own party
    in its section label, and speaks for it (``Rules.author_parties``)."""
    rules.block_parties = (rules.row_parties(" ".join(block.section), nlp)
                           if doc.parser == "csv" else set())


def sentences(sdoc: Doc) -> list[Span]:
    """The sentences of a parsed text, found once: the rules and the learned aid both
    read them."""
    if "pf_sents" not in sdoc.user_data:
        sdoc.user_data["pf_sents"] = list(sdoc.sents)
    return sdoc.user_data["pf_sents"]


# what may stand between who holds a view and its verb ("we also firmly believe")
VIEW_ADVERBS = {"also", "still", "all", "always", "do", "really", "truly"}


def names_actor(token: Token) -> bool:
    return token.tag_ == ACTOR or token._.pf_party is not None


# Words many party names share: a line holding one says little
COMMON_NAME_WORDS = {"party", "the", "of", "and", "for", "first", "people", "new", "one",
                     "united", "country", "social", "democratic", "national", "coalition",
                     "network", "justice", "workers", "opportunity", "alliance", "independent",
                     "before"}


NAME_WORD = re.compile(r"\w+")


class PartyLines:
    """Which lines may name a party: those holding one word of one of its names, the
    rarest one can tell (the longest not common to many names: "Zealand" rather than
    "New", "Alba" rather than "Party"). A set lookup of a line's words: an alternation of
    the words as one pattern cost a tenth of the extraction time."""

    def __init__(self, forms: Iterable[str]) -> None:
        self.words: set[str] = set()
        self.every_line = False  # a name of no word at all: every line may hold one
        for form in forms:
            words = [part for w in form.lower().split() for part in NAME_WORD.findall(w)]
            rare = [w for w in words if w not in COMMON_NAME_WORDS] or words
            if rare:
                self.words.add(max(rare, key=len))
            else:
                self.every_line = True

    def may_name(self, line: str) -> bool:
        return self.every_line or not self.words.isdisjoint(NAME_WORD.findall(line.lower()))


def cut_off_block(doc: Document) -> Block | None:
    """The block a copy of the page stops in mid-sentence, if it does: the last block of
    content (after it only short lines, a footer's) ends in a word no sentence ends with
    ("... and reopen the li", "... to the", "... a cross-"). In statement data only the
    last row can be: its rows stand each for itself, with no footer after them."""
    words = functools.cache(lambda: Counter(w.lower() for w in WORD_RE.findall(doc.text)))
    if doc.parser == "csv":
        rows = [b for b in doc.blocks if b.kind == "paragraph"]
        return rows[-1] if rows and (looks_cut(rows[-1].text)
                                     or ends_in_fragment(rows[-1].text, words)) else None
    for block in reversed([b for b in doc.blocks if b.kind in ("paragraph", "list_item")]):
        if looks_cut(block.text) or ends_in_fragment(block.text, words):
            if any(b.kind in ("heading", "table") for b in doc.blocks[block.index:]):
                return None  # the copy goes on after it
            return block
        if len(block.text.split()) > FOOTER_WORDS:
            return None  # the content ends whole
    return None


def ends_in_fragment(text: str, words: Callable[[], Counter[str]]) -> bool:
    """Does ``text`` stop on the first letters of a word the document spells out in full
    elsewhere ("... in emergenc" where it has "emergency", "... link Counc" where it has
    "Council"), the fragment itself never a word of the document? A capture cut off there
    drops the rest of the word; a sentence ending in a whole word ends with a stop.
    ``words`` counts the document's words (asked for only when a block ends so)."""
    found = LAST_WORD.search(text.rstrip())
    if found is None or len(found.group()) < FRAGMENT_LETTERS:
        return False
    fragment, counts = found.group().lower(), words()
    return counts[fragment] <= 1 and any(
        w.startswith(fragment) and len(w) > len(fragment)
        and not _suffixed(fragment, w[len(fragment):]) for w in counts)


def _suffixed(stem: str, rest: str) -> bool:
    """Is ``stem + rest`` the stem with an ending ("school" + "s", "plan" + "ning"), so
    the stem may be a whole word of its own?"""
    if rest[:1] == stem[-1:] and rest[1:] in WORD_ENDINGS:
        rest = rest[1:]  # a doubled consonant: "plan" + "n" + "ing"
    return rest in WORD_ENDINGS


def looks_cut(text: str) -> bool:
    """Does ``text`` stop where no sentence can: after a dash or a comma, on a function
    word, or on a fragment of a word (one or two letters not a word of their own)?"""
    tail = text.rstrip()
    if tail.endswith(("-", ",", "\u2013", "\u2014")):
        return True
    if LIST_JOINER.search(tail):
        return False  # "...; and": a list's item before its last, not a cut
    found = LAST_WORD.search(tail)
    if found is None:
        return False
    word = found.group().lower()
    return word in NEVER_LAST or (len(word) <= 2 and word not in SHORT_WORDS)


def written_as_name(span: Span) -> bool:
    """Party names that are also common words ("green", "national", "reform") count only
    when written as names; the name shows it, not its article ("the Nationals")."""
    name = next((t for t in span if t.lower_ not in DETERMINERS), span[0])
    if len(span) == 1 and name.lower_ in UPPER_ONLY_PARTIES:
        return name.is_upper  # "ACT" the party; "the Housing Act" a law
    return name.is_title or name.is_upper


def _label_parts(labels: list[str], numbers: list[str]) -> tuple[str, str]:
    """The alternation of the labels, longest first, and the pattern of their number."""
    names = "|".join(re.escape(w) for w in sorted(labels, key=len, reverse=True))
    return names, r"(?:no\.?\s*)?(?:\d{1,2}|" + "|".join(numbers) + ")"


def pledge_label(labels: list[str], numbers: list[str]) -> re.Pattern[str]:
    """'Pledge 3:', 'Our promise two -', 'Commitment No. 4 \u2013' at the start of a line."""
    names, count = _label_parts(labels, numbers)
    return re.compile(rf"\s*(?:{names})s?(?:\s+{count})?\s*(?::|\s[-\u2013\u2014])\s+(?=\w)",
                      re.I)


def element_label(labels: list[str], numbers: list[str]) -> re.Pattern[str]:
    """'Objective 1.1:', 'Priority 2 -', 'Outcome 3b:' at the start of a line: a plan's
    element, its number required (and its sub-numbers allowed)."""
    names, count = _label_parts(labels, numbers)
    return re.compile(rf"\s*(?:our\s+)?(?:{names})\s+{count}(?:\.\d{{1,2}})*[a-z]?\s*"
                      rf"(?::|\s[-\u2013\u2014])\s+(?=\w)", re.I)


def label_heading(labels: list[str], numbers: list[str]) -> re.Pattern[str]:
    """A heading that is only a numbered label ('Mission 6', 'Objective 2:', 'Pledge
    three'): the paragraph under it is what it labels."""
    names, count = _label_parts(labels, numbers)
    return re.compile(rf"\s*(?:our\s+)?(?:{names})\s+{count}\s*[:.\-\u2013\u2014]?\s*", re.I)


def labelled_by_heading(doc: Document, rules: Rules) -> set[int]:
    """The paragraphs (block indices) right under a heading that is only a numbered label,
    the statement it labels ('Mission 6' then 'Every street is lit and swept each week'); a plain
    text sets the label as a paragraph of its own, and a page may set the statement as a
    heading too."""
    return {after.index for block, after in zip(doc.blocks, doc.blocks[1:], strict=False)
            if block.kind in ("heading", "paragraph") and rules.label_heading.fullmatch(block.text)
            and (after.kind == "paragraph" or (after.kind == "heading"
                                               and len(after.text.split()) >= LABELLED_WORDS))}


def rows_mostly_closed(doc: Document) -> bool:
    """Do most of the rows (paragraphs) of statement data close with a stop?"""
    rows = [b for b in doc.blocks if b.kind == "paragraph"]
    return bool(rows) and sum(ends_sentence(b.text) for b in rows) >= CLOSED_ROWS * len(rows)


def ends_sentence(text: str) -> bool:
    """Does the text close as a sentence does? A closing quotation mark or bracket after
    the stop still closes it."""
    return text.rstrip().rstrip("\"'\u201d\u2019)").endswith((".", "!", "?", ";", ":"))


def is_statement(span: Span) -> bool:
    """A row of statement data that reads as a statement: its first word is no party
    ('"ACT is putting ...'), and it ends as a sentence does or is long enough not to be a
    heading carried into the data ('Build a stronger economy')."""
    words = [t for t in span if t.is_alpha]
    if not words or words[0].tag_ == ACTOR:
        return False
    return span_text(span).rstrip().endswith((".", "!", ";")) or len(words) >= 8


def text_announces_list(text: str, rules: Rules) -> bool:
    """An item ending in a colon that announces the list below it ('... the following
    priorities:'), with nothing of its own to commit to."""
    return text.rstrip().endswith(":") and mentions_any(text, rules.announcers)


# "We'll campaign for ...", "I will fight for ...": a first-person commitment
FIRST_PERSON_COMMITMENT = re.compile(
    r"^(?:we|i)(?:\s+will|\s*['\u2019]ll|\s+shall|\s+pledge|\s+promise|\s+commit)\b\s+\w", re.I)


def commitment_heading(text: str) -> bool:
    """A heading that is a first-person commitment written as a sentence ("We'll campaign
    for cheaper buses"), not a headline in title case ("We Will Build A Hospital")."""
    return (bool(FIRST_PERSON_COMMITMENT.match(text)) and len(text.split()) >= 5
            and not is_headline(text))


def is_headline(text: str) -> bool:
    """A title set as a paragraph: most words capitalised, no closing full stop; or a
    slogan that sets the author against all others, with no full stop either ("Only
    the Greens will deliver free dental care for all")."""
    words = [w for w in text.split() if w[:1].isalpha()]
    if len(words) < 4 or ends_sentence(text):
        return False
    if words[0] == "Only" and len(words) <= SLOGAN_WORDS:
        return True
    capitalised = sum(w[0].isupper() for w in words)
    return capitalised * 4 >= len(words) * 3


def continues_pledge(sent: Span, policy_nouns: set[str]) -> bool:
    """'This will remove ...', 'It will cut fares ...', 'This reduction would put money
    back ...': a pronoun (or "this" and a noun naming the policy) and a modal carry on
    the commitment of the sentence before."""
    words = [t for t in sent if not t.is_space and not t.is_punct]
    if len(words) < 4 or words[0].lower_ not in ANAPHORS:
        return False
    modal = next((i for i, t in enumerate(words[1:4], 1) if t.lower_ in MODALS), None)
    if modal is None or any(t.lower_ in {"not", "n't", "never"} for t in words[1:5]):
        return False
    if modal > 1 and words[1].is_alpha and words[1].lower_ not in {"too", "also", "then"} \
            and words[2].lower_ not in {"says", "said"} and not (
                modal == 2 and words[0].lower_ == "this" and words[1].lower_ in policy_nouns):
        return False  # "This election will be ...": a noun after "this", not the pledge
    after = words[modal + 1].lower_ if modal + 1 < len(words) else ""
    return after not in CONSEQUENCES  # "This will cost €60m": the pledge's price, no pledge


def _squeezed(text: str) -> str:
    """Text compared as a reader sees it: lower case, spaces collapsed, numbering gone."""
    return " ".join(strip_numbering(text).split()).lower()
