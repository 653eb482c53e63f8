"""Document kind and list structure: when a list is the author's programme.

A manifesto or a plan lists what its author will do, often with no lead-in at all:
imperative bullets straight under a heading ("Scrap ...", "Open ..."), gerunds
("Developing ..."), or bare noun phrases ("Free swimming for every under-16"). What makes
them pledges is where they stand and what the list as a whole looks like, not any one
item's grammar. A list is a programme when most of its items read as things to do or to
have, and few read as a record ("We have delivered ..."), a statistic ("78 are green")
or a call to vote or share. Word lists are in ``pledges.lexicon.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pledgeflow.document import Block, Document

from ._classify import gerund_forms
from ._rules import marker_length, mentions_any

# a year after an opening noun ("Budget 2024 provided ..."), not a count it orders
YEAR_WORD = re.compile(r"(?:19|20)\d\d")
CLAUSE_END = re.compile(r"\s[-\u2013\u2014]\s|[.:;!?](?:\s|$)")
# A topic label of at most six words before a colon: "CLIMATE ACTION: ...", "Housing: ..."
LABEL = re.compile(r"^\s*[A-Z][\w'\u2019&,/ -]{0,60}?:\s+(?=\S)")
# A topic label of at most five words before a spaced dash, the item's order after it
DASH_LABEL = re.compile(
    r"^\s*[A-Z][\w'\u2019&,/-]*(?: [\w'\u2019&,/-]+){0,4}\s+[-\u2013\u2014]\s+(?=\S)")
# An amount put to a purpose: "$6.7 billion to fix the highway", "£2m a year for youth
# clubs", "€500,000 towards a new pool". A list of them allots money: orders without a verb.
FUNDING = re.compile(
    r"^(?:[A-Z]{1,3})?[£$€]\s?\d[\d,]*(?:\.\d+)?\s*(?:m|bn|k|million|billion|thousand)?\b"
    r"(?:\s+(?:a|per|each|every)\s+(?:year|annum))?(?:\s+over\s+\w+\s+years)?"
    r"\s+(?:to|for|towards|into|on)\s", re.I)
# A clause opening with one of these names a content or asks, it orders nothing
WH_WORDS = {"what", "why", "how", "where", "when", "who", "whom", "whose", "which", "whether"}
# Verbs whose past form is the same word: opening an item, they may report ("Cut fares in
# 2023, which has been ...") as well as order.
SAME_IN_PAST = {"cut", "put", "set", "let", "read", "spread", "shut", "hit", "cost", "hurt",
                "quit", "split", "bid", "upset", "broadcast"}
# Finite verbs that are as often nouns: "needs", "wants"
NOUN_OR_VERB = {"need", "needs", "want", "wants"}
# What an item reads as.
DOING = {"imperative", "gerund", "noun", "effect", "funding"}
ORDERS = {"imperative", "funding"}
PRONOUNS = {"this", "it", "they", "that", "these", "those", "there", "he", "she", "we", "i",
            "you", "which", "who", "what"}


@dataclass(frozen=True)
class ListShape:
    items: int
    doing: int  # imperative, gerund or noun-phrase items
    imperative: int
    record: int  # past achievements, statistics and calls

    def is_programme(self, programme_document: bool) -> bool:
        """A list of things to do or have. In a manifesto or plan, noun phrases and gerunds
        count as things to do; elsewhere only a mostly imperative list does."""
        if self.record * 4 > self.items:
            return False
        if programme_document:
            return self.doing * 5 >= self.items * 3
        return self.imperative * 5 >= self.items * 3 and self.items >= 2


class ProgrammeLists:
    """Which lists of a document are its author's programme."""

    def __init__(self, lexicon: dict, verbs: set[str], general_verbs: set[str] = frozenset()
                 ) -> None:
        self.kinds = set(lexicon["programme_kinds"])
        self.title_words = lexicon["programme_title_words"]
        self.calls = set(lexicon["call_verbs"])
        self.call_phrases = {tuple(p.split()) for p in lexicon["call_phrases"]}
        self.finite = set(lexicon["finite_verbs"])
        self.past = set(lexicon["past_markers"])
        self.verbs = verbs
        self.gerunds = {g for v in verbs for g in gerund_forms(v)}
        self.general_verbs = set(general_verbs) - set(lexicon["not_orders"])
        self.object_starts = set(lexicon["object_starts"])
        self.general_gerunds = {g for v in self.general_verbs for g in gerund_forms(v)}
        self.ly_not_adverbs = set(lexicon["ly_not_adverbs"])
        self.ise_not_orders = set(lexicon["ise_not_orders"])

    def opens_with_verb(self, lower: list[str]) -> bool:
        """The words (lower case) open with an order: a verb of ``verbs.json``, or any
        English verb with the start of its object after it ("Pedestrianise the high
        street", "Plant 1,000 trees"; not "Train services", a topic)."""
        if len(lower) > 1 and self.is_ly_adverb(lower[0]):
            lower = lower[1:]  # "Immediately declare ...", "Properly fund ..."
        if not lower:
            return False
        if lower[0] in self.verbs:
            return True
        if len(lower) < 2 or lower[0] not in self.general_verbs:
            return False
        second = lower[1]
        if lower[0].endswith(("ise", "ize")) and lower[0] not in self.ise_not_orders \
                and second.isalpha() and second not in self.finite:
            return True  # "Localise energy production", "Prioritise repairs": -ise is a verb

        if YEAR_WORD.fullmatch(second) and len(lower) > 2 and (
                lower[2] in self.finite or lower[2].endswith("ed")):
            return False  # "Budget 2024 provided for ...": a name and its verb
        return second in self.object_starts or second[:1].isdigit() or second[:1] in "£$€"

    def infinitive_aim(self, lower: list[str]) -> bool:
        """An aim in the infinitive, an item of a list of aims ("To increase the number of
        officers ..."); not a purpose clause before its subject ("To make sure of it, we
        will ...")."""
        return (len(lower) > 2 and lower[0] == "to" and lower[1] in self.verbs
                and not any(w in SUBJECTS for w in lower))

    def is_ly_adverb(self, word: str) -> bool:
        """A manner or time adverb that may open an order: six letters or more in -ly
        ("immediately", "urgently"), short ones being mostly adjectives ("early",
        "daily"), less the listed adjectives, nouns and verbs ("elderly", "supply")."""
        return len(word) >= 6 and word.endswith("ly") and word not in self.ly_not_adverbs

    def is_programme_document(self, doc: Document) -> bool:
        """What the catalog calls it; without a catalog, what its title or top headings say."""
        kind = (doc.meta or {}).get("kind")
        if kind:
            return kind in self.kinds
        titles = [doc.title or ""] + [b.text for b in doc.blocks[:40]
                                      if b.kind == "heading" and (b.level or 1) <= 2]
        return any(mentions_any(t, self.title_words) for t in titles if t)

    def shape(self, text: str) -> str:
        """imperative, funding, gerund, noun, effect, name, record, call, question or
        sentence."""
        # a label before a colon names the item's topic ("HOUSING: More council homes
        # ..."); what follows it is the item
        label = LABEL.match(text)
        if label and len(label.group().split()) <= 6:
            text = text[label.end():]
        dashed = DASH_LABEL.match(text)
        if dashed and self.opens_with_verb(
                [w.lower() for w in text[dashed.end():].split()[:3]]):
            text = text[dashed.end():]  # "Affordable housing – use $220m to rebuild ..."
        # the item's own opening clause: a dash, colon or full stop ends it ("Three new
        # schools - now that control has passed ...")
        text = CLAUSE_END.split(text, maxsplit=1)[0]
        words = [w.strip(".,;:()\"'\u2018\u2019\u201c\u201d!?") for w in text.split()]
        words = [w for w in words if w]
        if not words:
            return "sentence"
        lower = [w.lower() for w in words]
        first = lower[0]
        if first in self.calls or any(tuple(lower[:n]) in self.call_phrases for n in (2, 3)):
            return "call"
        if first in WH_WORDS:
            return "question"  # "what we hope to achieve;", "how we will measure it": contents
        if first[0].isdigit() and len(lower) > 1 and lower[1] in {"are", "is", "was", "were"}:
            return "record"  # a statistic: "78 are green (82%)"
        if self.reports_past(lower) and not (
                self.opens_with_verb(lower) and first not in SAME_IN_PAST
                and not self.reports_past(lower[:3])):
            return "record"  # "we have delivered", "has been cut"; but an order's clause
            # may report ("Ensure the footprint has been cut in every way")
        if FUNDING.match(text.lstrip()):
            return "funding"
        if self.opens_with_verb(lower) or self.infinitive_aim(lower):
            return "imperative"
        if first in self.gerunds or (first in self.general_gerunds and len(lower) > 1 and (
                lower[1] in self.object_starts or lower[1][:1].isdigit())):
            return "gerund"  # "Banning ...", "Passing the ..." (not "Housing associations")
        if first.endswith("ed") and first not in self.verbs:
            return "record"  # "Delivered ...", "Opened ..."
        if "will" in lower[2:] and lower[0] not in PRONOUNS and not any(
                w in self.finite for w in lower[:lower.index("will")]):
            # a policy as the subject, and what it will do: "Greater support for carers
            # will improve care", "Doubling tree cover ... will protect our green spaces"
            return "effect"
        if not self.has_finite(lower):
            # a noun phrase says what the author will provide ("Free swimming for every
            # under-16"); a bare name or a list of names ("Colleges", "Job Centre Plus")
            # lists who or what, not a commitment
            capitalised = sum(w[:1].isupper() for w in words if w[:1].isalpha())
            if len(words) < 3 or capitalised * 4 >= len(words) * 3:
                return "name"
            return "noun"
        return "sentence"

    def has_finite(self, lower: list[str]) -> bool:
        """Is there a finite verb among the words (lower case)? "need" and "want" are one
        only before what is needed ("we need more homes", "needs to"), not as nouns
        ("special educational needs", "the needs of")."""
        for i, word in enumerate(lower):
            if word in NOUN_OR_VERB:
                following = lower[i + 1] if i + 1 < len(lower) else ""
                if following == "to" or following in self.object_starts:
                    return True
            elif word in self.finite:
                return True
        return False

    def reports_past(self, lower: list[str]) -> bool:
        """Do the words (lower case) report something done: "we have delivered", "has
        been cut"?"""
        return any((word in self.past or word in CONTRACTED_PERFECTS)
                   and is_participle(lower[i + 1]) for i, word in enumerate(lower[:-1]))

    def lead_in_reports_past(self, lead_in: str | None) -> bool:
        """A lead-in that reports the past ("Since 2019 we have invested:", "Last year we
        funded:"): a subject before a verb in the past, or a perfect."""
        if not lead_in:
            return False
        lower = [w.strip(".,;:()\"'\u2018\u2019\u201c\u201d!?").lower() for w in lead_in.split()]
        return self.reports_past(lower) or any(
            word in SUBJECTS and (lower[i + 1].endswith("ed")
                                  or lower[i + 1] in IRREGULAR_PARTICIPLES)
            for i, word in enumerate(lower[:-1]))

    def item_shape(self, block: Block) -> str:
        """What a list item or paragraph reads as, its list marker left out."""
        return self.shape(block.text[marker_length(block.text):])

    def shapes(self, doc: Document) -> dict[int, tuple[ListShape, str]]:
        """Block index of a top-level list item -> the shape of its list, and what the
        item itself reads as."""
        shapes: dict[int, tuple[ListShape, str]] = {}
        run: list[Block] = []

        def close() -> None:
            if not run:
                return
            kinds = [self.item_shape(b) for b in run]
            if self.lead_in_reports_past(run[0].lead_in):
                # "Since 2019 we have invested:" then amounts: what was spent, not pledged
                kinds = ["record" if k == "funding" else k for k in kinds]
            shape = ListShape(items=len(run), doing=sum(k in DOING for k in kinds),
                              imperative=sum(k in ORDERS for k in kinds),
                              record=sum(k in {"record", "call"} for k in kinds))
            for block, kind in zip(run, kinds, strict=True):
                shapes[block.index] = (shape, kind)
            run.clear()

        for block in doc.blocks:
            if block.kind != "list_item":
                close()
                continue
            if (block.depth or 1) > 1:
                continue  # sub-items belong to their item
            if run and (run[-1].lead_in != block.lead_in or run[-1].section != block.section):
                close()
            run.append(block)
        close()
        return shapes


    def programme_runs(self, doc: Document) -> set[int]:
        """Paragraphs (block indices) in runs of at least ``RUN_MIN`` in a row, in one
        section, that each open with an order or a gerund of one ("Establish ...", "Fund
        ...", "Restore ..."; "Banning ...", "Capping ..."): a programme set as paragraphs,
        its list markers lost or never there. Rows of statement data each have a section
        of their own, so there only the order of the rows counts."""
        rows = doc.parser == "csv"
        # a programme may give each order a heading of its own ("Reinstate the film tax
        # credit" over "Restore the film employment tax credit ..."): there headings do
        # not end a run, though they change its section
        across = self.is_programme_document(doc)
        # a contents list repeats the headings below it: its lines are titles, not pledges
        headings = {b.text.strip().lower() for b in doc.blocks if b.kind == "heading"}
        found: set[int] = set()
        run: list[tuple[Block, str]] = []  # the paragraphs of the run, with their shapes
        for block in [*doc.blocks, None]:
            if across and run and block is not None and block.kind == "heading":
                continue
            shape = (self.item_shape(block) if block is not None and block.kind == "paragraph"
                     and block.text.strip().lower() not in headings
                     and len(block.text.split()) >= least_words(doc, run[0][0] if run else block)
                     else None)
            doing = shape in RUN_SHAPES
            if doing and (not run or rows or across or run[-1][0].section == block.section):
                run.append((block, shape))
                continue
            if len(run) >= RUN_MIN and not self._spent(doc, run):
                found.update(b.index for b, _ in run)
            run = [(block, shape)] if doing else []
        return found

    def _spent(self, doc: Document, run: list[tuple[Block, str]]) -> bool:
        """Amounts after a paragraph that reports the past ("Since 2022 we have
        invested:") were spent, not pledged."""
        lead = block_before(doc, run[0][0])
        return (lead is not None and any(shape == "funding" for _, shape in run)
                and self.lead_in_reports_past(lead.text))


def block_before(doc: Document, block: Block) -> Block | None:
    return doc.blocks[block.index - 1] if block.index else None


def block_after(doc: Document, block: Block) -> Block | None:
    return doc.blocks[block.index + 1] if block.index + 1 < len(doc.blocks) else None


def leads_in(block: Block | None) -> bool:
    """A paragraph ending in a colon: it names what follows it ("A Riverside government
    would:")."""
    return block is not None and block.kind == "paragraph" and block.text.rstrip().endswith(":")


def least_words(doc: Document, first: Block) -> int:
    """The words a paragraph of a run of orders needs, the run opening at ``first``: after
    a paragraph naming what follows, the paragraphs are its items and two words are one
    ("Support carers"); elsewhere a line that short is a heading or a button."""
    return 2 if leads_in(block_before(doc, first)) else RUN_WORDS


# Words that give a clause its own subject
SUBJECTS = {"we", "i", "we'll", "we\u2019ll", "i'll", "i\u2019ll", "we're", "we\u2019re", "they",
            "you"}

# Three orders in a row are a programme; two may be a page's instructions ("Register ...",
# "Bring your card").
RUN_MIN = 3
RUN_SHAPES = {"imperative", "gerund", "funding"}
# A shorter line is a heading or a button ("Build more", "Donate now"), not an order
RUN_WORDS = 3

# a subject and its "have" as one word: "we've delivered" (not "would've")
CONTRACTED_PERFECTS = {f"{subject}{apostrophe}ve" for subject in ("we", "i", "they", "you")
                       for apostrophe in ("'", "\u2019")}
IRREGULAR_PARTICIPLES = {"built", "spent", "put", "cut", "set", "kept", "made", "won", "done",
                         "paid", "held", "brought", "bought", "sent", "led", "met", "run",
                         "begun", "grown", "shown", "known", "drawn", "got", "lost", "left"}


def is_participle(word: str) -> bool:
    """'delivered', 'given', 'built'; not 'an' or 'ten'."""
    return (len(word) > 3 and word.endswith(("ed", "en"))) or word in IRREGULAR_PARTICIPLES
