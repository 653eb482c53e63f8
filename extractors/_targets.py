"""Targets: the quantified goals stated inside pledges.

Only pledge sentences are searched, so statistics about the present or past never
become targets. A target is an amount of money, a percentage, a count of something
("2,000 new homes"), or "all/every ... rated Good or Outstanding" (100 %).
Years, ages, ranges and labels ("Level 3", "post-16") are not quantities.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Span

from pledgeflow.records import Pledge, Target

from ._rules import build_matcher, load_json, load_patterns, mentions_any, span_text
from ._values import CURRENCIES, MULTIPLIERS, WORD_NUMBERS, number

YEAR = re.compile(r"\b(19[5-9]\d|20\d{2}|2100)\b")
YEAR_PREPOSITIONS = {"by", "in", "until", "till", "before", "after", "from", "since", "during",
                     "of", "to", "for", "end", "through"}
# between the two ends of a range: "2024-2026", "£5m to £7m"
DASHES = {"-", "\u2013", "\u2014"}
RANGE_MARKS = DASHES | {"/", "to"}


class Quantity(NamedTuple):
    """A quantity a target rule matched: its value and unit, and the token holding it."""

    value: float | None
    unit: str
    anchor: int  # doc index of the number (or the word: "double", "half")


class Found(NamedTuple):
    rule: str
    start: int  # the match, counted from the pledge's span
    end: int
    quantity: Quantity


class TargetFinder:
    def __init__(self) -> None:
        self.lexicon = load_json("targets.lexicon.json")
        words = [*WORD_NUMBERS, *self.lexicon["relative_changes"],
                 *self.lexicon["fraction_changes"], "all", "every", "zero", "neutral",
                 "age", "ages"]
        self.may_hold_quantity = re.compile(
            r"\d|\b(?:" + "|".join(map(re.escape, words)) + r")\b", re.I)
        self._matchers: dict[int, object] = {}

    def matcher(self, nlp: Language):
        key = id(nlp.vocab)
        if key not in self._matchers:
            self._matchers[key] = build_matcher(
                nlp.vocab, load_patterns("targets.patterns.jsonl", self.lexicon))
        return self._matchers[key]

    def find(self, extractor, doc, candidate, pledge: Pledge, nlp: Language) -> Iterator[Target]:
        span = candidate.span
        matcher = self.matcher(nlp)
        # most pledges state no number: skip the matcher (its gate is the cheaper check,
        # so it goes first; either one failing means no target)
        patterns = matcher.candidates(span)
        if not patterns or not self.may_hold_quantity.search(candidate.text):
            return
        for token in span:
            # extension writes are slow: set the plural ones, the default (False) is the rest
            if is_plural(token.text):
                token._.pf_plural = True
        found = []
        # at one place, a unit (%, money) names the quantity better than a count of the
        # words after it ("50 per cent of households" is a share, not 50 households)
        matches = sorted(matcher(span, patterns=patterns),
                         key=lambda m: (m[1], nlp.vocab.strings[m[0]] == "count", -m[2]))
        for match_id, start, end in matches:
            rule = nlp.vocab.strings[match_id]
            quantity = self.quantity(rule, span, start, end)
            if quantity is None or any(quantity.anchor == f.quantity.anchor for f in found):
                continue  # one target per number, from the first (longest) rule
            role = range_role(span, start)
            if role == "end":
                continue  # "between £700m and £1.1bn" is one aim, held by its first amount
            if role == "start":  # an amount not yet known: no single value to hold to
                quantity = quantity._replace(value=None)
            if not self.states_aim(span, start):
                continue  # "You can build a house for less than €200,000": a claim
            same_sentence = [f for f in found
                             if span.doc[f.quantity.anchor].sent == span.doc[start].sent]
            # a comma joins aims of one kind ("4,000 nurses, 1,000 doctors"), not of two
            if same_sentence and not coordinated(span.doc, same_sentence[-1].quantity.anchor,
                                                 quantity.anchor,
                                                 listed=same_sentence[-1].rule == rule):
                continue  # what the first aim buys, or the far end of its range
            found.append(Found(rule, start, end, quantity))
        for rule, start, end, (value, unit, anchor) in found:
            prov = pledge.provenance
            change = self.lexicon["relative_changes"].get(span.doc[anchor].lower_)
            yield Target(
                text=(target_text(span, anchor, candidate.block.kind == "list_item")
                      or pledge.text), value=value, unit=unit,
                comparator=(f"{change[1]} by" if change and rule.startswith("relative_change")
                            else self.comparator(span, start)),
                direction=(change[1] if change and rule.startswith("relative_change") else
                           self.direction(span) if unit in ("%", "count") else None),
                measure=self.measure(rule, span, start, end),
                year=self.year(pledge, candidate, span, anchor), pledge_id=pledge.key(),
                provenance=type(prov)(**{**prov.__dict__, "rule": f"target_{rule}"}),
            )

    def states_aim(self, span: Span, start: int) -> bool:
        """A figure in the pledge's first sentence is aimed for; in a later one (a list
        item's explanation) only when that sentence commits too, with a modal ("This will
        cost €3 billion"), not when it argues ("You can build a house for €200,000")."""
        sent = span.doc[span.start + start].sent
        if sent.start <= span.start:
            return True
        return any(t.lower_ in self.lexicon["aim_modals"] for t in sent)

    def quantity(self, rule: str, span: Span, start: int, end: int) -> Quantity | None:
        """The match's quantity, or None when it is not one."""
        tokens = span[start:end]
        if rule == "all_rated":
            if not mentions_any(span.text, self.lexicon["rating_verbs"]):
                return None
            return Quantity(100.0, "%", span[start].i)
        if rule == "net_zero":  # zero net emissions, the measure named by the words
            return Quantity(0.0, "net emissions", span[start].i)
        if rule.startswith("relative_change"):  # "halve the number of ..." is a 50 % cut
            word = tokens[-1] if rule.endswith("passive") else tokens[0]
            return Quantity(float(self.lexicon["relative_changes"][word.lower_][0]), "%", word.i)
        if rule == "fraction_change":  # "cut fares by half": 50 %; "by two thirds": 66.7 %
            words = [t for t in tokens if t.text not in DASHES]  # "by one-third"
            return self.fraction(words[-1], words[-2] if len(words) > 2 else None)
        if rule == "age_to":  # "raise the age of criminal responsibility to 14": 14 years
            value = number(tokens[-1].text)
            return None if value is None else Quantity(value, "years", tokens[-1].i)
        if rule == "fraction_share":  # "a third of food imports": 33.3 %
            if self.states_reason(span, start):
                return None
            words = [t for t in tokens if t.text not in DASHES]  # "two-thirds of"
            return self.fraction(words[-2], words[0] if len(words) > 2 else None)
        if rule == "to_zero":  # "reduce road deaths to zero"
            return Quantity(0.0, "count", tokens[-1].i)
        if rule == "from_to":  # "from 200 to 400": the aim is the second figure
            return self.moved_to(tokens)
        if rule == "count_change" and self.change_verb(span, start) is None:
            return None  # "by 100 over the term" moves nothing a verb names
        if rule == "count" and next((t.lower_ for t in tokens[1:] if t._.pf_plural),
                                    None) in self.lexicon["document_parts"]:
            return None  # "our 8 pledges set out below", "three main uses of these
            # bonds": what the number counts (its first plural) is the document's items
        num = next((t for t in tokens if t.like_num and
                    (any(ch.isdigit() for ch in t.text) or number(t.text) is not None)), None)
        if rule in ("time_limit", "time_amount", "frequency") and num is not None \
                and number(num.text) is not None:
            unit = tokens[num.i - tokens.start + 1].lower_
            if unit in ("working", "calendar"):
                unit = tokens[num.i - tokens.start + 2].lower_
            return Quantity(number(num.text), unit if unit.endswith("s") else unit + "s", num.i)
        if num is None or not self.is_quantity(num, span):
            return None
        if rule == "count" and not num.text[0].isdigit() and any(t.text == "," for t in tokens):
            return None  # "a zero carbon world, which ...": words, not a count of things
        if not num.text[0].isdigit() and span.doc[num.i + 1:num.i + 2].text.lower() == "of":
            return None  # "one of our parks" counts nothing
        if num.lower_ == "zero" and span.doc[num.i + 1:num.i + 2].text.lower() in \
                self.lexicon["zero_idioms"]:
            return None  # "zero tolerance for drugs": a policy's name, no count
        if num.lower_ in MULTIPLIERS and num.i > 0 and (
                span.doc[num.i - 1].like_num or span.doc[num.i - 1].is_currency):
            return None  # the "million" of "£62.6 million": the amount's, counted there
        value = number(num.text)
        if value is None:
            return None
        following = tokens[num.i - tokens.start + 1:] if num.i + 1 < tokens.end else []
        multiplier = next((t.lower_ for t in following if t.lower_ in MULTIPLIERS), None)
        if multiplier:
            value *= MULTIPLIERS[multiplier]
        if rule.startswith("percent"):
            return Quantity(value, "%", num.i)
        if rule == "money_minor":  # pence and cents
            return Quantity(value / 100, "GBP" if tokens[-1].lower_ == "pence" else "$", num.i)
        if rule.startswith("money"):
            if self.is_threshold(span, tokens[0].i):
                return None
            symbol = tokens[0].text if tokens[0].text in CURRENCIES else tokens[-1].lower_
            return Quantity(value, CURRENCIES.get(symbol, symbol), num.i)
        if YEAR.fullmatch(num.text) and (
                span.doc[num.i - 1].lower_ in YEAR_PREPOSITIONS
                or (num.i + 1 < len(span.doc)
                    and span.doc[num.i + 1].lower_ in self.lexicon["year_nouns"])):
            return None  # "by 2030", "the 2026 election pledges": a year
        return Quantity(value, "count", num.i)

    @staticmethod
    def moved_to(tokens: Span) -> Quantity | None:
        """The figure a measure is moved to ("from 45% to 60%": 60 %), None for a span of
        years ("from 2024 to 2028")."""
        nums = [t for t in tokens if t.like_num and number(t.text) is not None]
        if len(nums) != 2 or all(YEAR.fullmatch(t.text) for t in nums):
            return None
        end = nums[1]
        after = tokens[end.i - tokens.start + 1:]
        value = number(end.text)
        multiplier = next((t.lower_ for t in after if t.lower_ in MULTIPLIERS), None)
        if multiplier:
            value *= MULTIPLIERS[multiplier]
        if any(t.lower_ in ("%", "percent") for t in after):
            return Quantity(value, "%", end.i)
        symbol = tokens[end.i - tokens.start - 1].text
        return Quantity(value, CURRENCIES.get(symbol, "count"), end.i)

    def change_verb(self, span: Span, start: int) -> int | None:
        """For "by <figure>", the index (in ``span``) of the verb that moves a measure
        by it, when nothing after the figure is what it counts ("by 100 officers" is a
        count, "by 45 per cent" a percent: their own rules) and a count_change verb
        stands before it in its sentence ("increase the number of officers by 100")."""
        doc = span.doc
        after = span.start + start + 2
        while after < span.end and doc[after].lower_ in MULTIPLIERS:
            after += 1
        if after < span.end and not doc[after].is_punct and not (
                doc[after].is_stop and doc[after].lower_ != "per"):
            return None
        if after < span.end and doc[after].text == "%":
            return None
        if after + 1 < span.end and doc[after].text in DASHES \
                and doc[after + 1].lower_ in PERCENT_WORDS:
            return None  # "by 25-percent": a share, the percent rules' own
        sent_start = doc[span.start + start].sent.start
        verbs = self.lexicon["count_change_verbs"]
        for i in range(span.start + start - 1, max(sent_start, span.start + start - 10) - 1, -1):
            if doc[i].is_punct and doc[i].text not in {"'", "\u2019"}:
                return None  # another clause
            if doc[i].lower_ in verbs:
                return i - span.start
        return None

    def is_threshold(self, span: Span, i: int) -> bool:
        """'spending over £250' names a threshold, not a goal ('invest over £2m' is one)."""
        doc = span.doc
        if self.qualifies_by(span, i):
            return True
        if i - 1 < span.start or doc[i - 1].lower_ not in self.lexicon["threshold_words"]:
            return False
        # "invest over £2m" and "an investment of over £150m" aim at an amount
        return i - 2 < span.start or (doc[i - 2].lower_ not in self.lexicon["spend_verbs"]
                                      and doc[i - 2].lower_ != "of")

    def qualifies_by(self, span: Span, i: int) -> bool:
        """'workers earning between $30,000 and ...', 'payrolls of less than $1.5m': the
        amount at ``i`` says who qualifies (an eligibility word, then only comparing
        words up to it)."""
        doc = span.doc
        k = i - 1
        while k >= span.start and doc[k].lower_ in self.lexicon["threshold_joiners"]:
            k -= 1
        return k >= span.start and k < i - 1 and doc[k].lower_ in self.lexicon["eligibility_words"]

    def is_quantity(self, num, span: Span) -> bool:
        doc = span.doc
        before = doc[num.i - 1] if num.i > 0 else None
        after = doc[num.i + 1] if num.i + 1 < len(doc) else None
        labels = self.lexicon["label_words"]
        # a letter labels a number only as a capital ("Zone A 4"); "a 45% cut" is the article
        if before is not None and before.lower_ in labels and not (
                len(before.text) == 1 and before.text.islower()):
            return False
        marks = RANGE_MARKS - {"to"}
        if before is not None and before.text in marks and _ranges(doc, num.i - 2, num):
            return False
        if before is not None and before.lower_ == "to" and any(
                t.like_num for t in doc[max(span.start, num.i - 3):num.i - 1]):
            return False  # the far end of "200 to 300"; "commit to 300 homes" is an aim
        if after is not None and after.text in marks and _ranges(doc, num.i + 2, num) and not (
                num.i + 2 < len(doc) and doc[num.i + 2].lower_ in PERCENT_WORDS):
            return False  # "8-point", "2022-2026"; "60-per-cent" is a share all the same
        if after is not None and after.lower_ in {"and", "or", "to"} and num.i + 3 < len(doc) \
                and doc[num.i + 2].like_num and doc[num.i + 3].lower_ in self.lexicon["age_words"]:
            return False  # "three and four year olds": both are ages
        if after is not None and (after.lower_ in self.lexicon["age_words"]
                                  or after.lower_ in self.lexicon["measure_units"]):
            return False
        if num.is_alpha and num.is_title and num.i > num.sent.start:
            return False  # "Hydro One", "Channel Four": a word number inside a name
        if any(t.lower_ in self.lexicon["estimate_words"]
               for t in doc[max(span.start, num.i - 2):num.i]):
            return False  # "an estimated 15,000 new students": a forecast, not an aim
        return not self.is_past_figure(num, span)

    def fraction(self, word, count_word) -> Quantity:
        """A fraction as a percentage: "half" 50, "a third" 33.3, "two thirds" 66.7; the
        count word ("two") anchors it when it is a number, else the fraction word."""
        count = number(count_word.text) if count_word is not None else None
        share = self.lexicon["fraction_changes"][word.lower_] * (count or 1)
        return Quantity(round(share, 1), "%", count_word.i if count else word.i)

    @staticmethod
    def states_reason(span: Span, start: int) -> bool:
        """The match is in a clause giving a reason or a fact ("because a third of children
        live in poverty"), or is a change ("by a third"): a statistic, not an aim."""
        doc = span.doc
        i = span.start + start - 1
        if i >= 0 and doc[i].lower_ == "by":
            return True
        while i >= span.start and not doc[i].is_punct:
            if doc[i].lower_ in REASONS:
                return True
            i -= 1
        return False

    def is_past_figure(self, num, span: Span) -> bool:
        """A figure the pledge reports rather than aims for: a past marker or a perfect
        verb among the few words around it ("the 3,540 places we have already created",
        "up from 120 last year", "since 2019 we delivered 400")."""
        doc = span.doc
        lo, hi = max(span.start, num.i - 3), min(span.end, num.i + 5)
        words = [t.lower_ for t in doc[lo:hi]]
        at = num.i - lo
        # the window stops at a sentence or clause break on either side of the number
        left = next((i + 1 for i in range(at - 1, -1, -1) if words[i] in {".", ";", ":"}), 0)
        right = next((i for i in range(at + 1, len(words)) if words[i] in {".", ";", ":"}),
                     len(words))
        words = words[left:right]
        past = self.lexicon["past_figure_markers"]
        if any(w in past["words"] for w in words):
            return True
        joined = " ".join(words)
        if any(phrase in joined for phrase in past["phrases"]):
            return True
        pairs = list(zip(words, words[1:], strict=False))
        # "have built", "has delivered"; "we delivered", "they cut"
        # ("have pledged $40m": a commitment made, its figure still to come)
        return any((a in past["auxiliaries"] or a in past["subjects"])
                   and (b.endswith("ed") or b in past["participles"])
                   and b not in past["commitments"] for a, b in pairs)

    def comparator(self, span: Span, start: int) -> str | None:
        before = " ".join(t.lower_ for t in span[max(0, start - 3):start])
        for phrase, comparator in self.lexicon["comparators"].items():
            if before.endswith(phrase):
                return comparator
        return None

    def direction(self, span: Span) -> str | None:
        """Which way the pledge moves its measure, from its verbs ("reduce", "increase")."""
        for token in span:
            if token.lower_ in self.lexicon["reduce_words"]:
                return "reduce"
            if token.lower_ in self.lexicon["increase_words"]:
                return "increase"
        return None

    def measure(self, rule: str, span: Span, start: int, end: int) -> str | None:
        """What the quantity measures, or None when the sentence does not say.

        count: the words counted ("2,000 new homes" -> "new homes"); money: what it is
        spent on ("£2m on cycle lanes" -> "cycle lanes"); percent: "40% of X" -> X;
        all/every: the subject and its rating ("all schools to be rated Good").
        """
        if rule == "all_rated":
            return span[start + 1:end].text
        if rule == "age_to":  # "the age of criminal responsibility to 14", "voting age to 16"
            first = start - 1 if start > 0 and span[start - 1].is_alpha and span[
                start - 1].lower_ not in {"the", "an", "a", "our", "their", "its"} else start
            return span[first:end - 2].text
        if rule == "fraction_share":  # "a third of food imports" -> "food imports"
            return words_to_punctuation(list(span[end:]))
        if rule == "count":  # "50 million more appointments": the multiplier is no word counted
            first = start + 1
            while first < end - 1 and span[first].lower_ in MULTIPLIERS:
                first += 1
            return span[first:end].text
        if rule == "count_change":  # "increase the number of officers by 100" -> "officers"
            verb = self.change_verb(span, start)
            words = list(span[verb + 1:start]) if verb is not None else []
            while words and words[0].lower_ in {"the", "our", "its", "their", "your", "a"}:
                words = words[1:]
            if [t.lower_ for t in words[:2]] == ["number", "of"]:
                words = words[2:]
            return " ".join(t.text for t in words) or None
        rest = list(span[end:])
        if rule == "time_amount":  # "30 hours of free childcare": the match ends at "of"
            return words_to_punctuation(rest)
        prepositions = {"money": ("on", "into", "in", "for", "to"), "percent": ("of",)}
        wanted = prepositions["money" if rule.startswith("money") else "percent"]
        for i, token in enumerate(rest[:6]):
            if token.is_punct:
                break
            if token.lower_ in wanted:
                return words_to_punctuation(rest[i + 1:])
        return None

    def year(self, pledge: Pledge, candidate, span: Span, anchor: int) -> int | None:
        """A deadline year: "by (March) 2027" or "in 2026/27" in the pledge or its lead-in,
        else a period ("2022 - 2026") or deadline in its headings. A lone year in a
        heading (an election year, a publication date) is not a deadline."""
        value_at = span.doc[anchor].idx - span.start_char
        for match in DEADLINE.finditer(span.text):
            if not match.start(1) <= value_at < match.end(1) + 1:
                return end_year(match)
        for match in DEADLINE.finditer(candidate.lead_in or ""):
            return end_year(match)
        for heading in reversed(candidate.block.section):
            years = [y for y in map(end_year, PERIOD.finditer(heading)) if y]
            years += [end_year(m) for m in DEADLINE.finditer(heading)]
            if years:
                return years[-1]
        return None


REASONS = {"because", "as", "since", "while", "whereas", "although", "though", "when", "where"}


def words_to_punctuation(tokens) -> str | None:
    """The text of the tokens up to the first punctuation mark (hyphens and apostrophes
    are words' own), or None when that is nothing."""
    words = []
    for t in tokens:
        if t.is_punct and t.text not in {"-", "'", "’"}:
            break
        words.append(t.text_with_ws)
    return "".join(words).strip() or None


DEADLINE = re.compile(
    r"\b(?:by|until|till|before|in|during|within|no later than)\s+(?:the\s+)?(?:end\s+of\s+)?"
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|spring|summer|autumn|winter)\s+)?"
    r"(?P<year>(?:19|20)\d{2})(?:\s*[/\-\u2013]\s*(?P<end>\d{2}(?:\d{2})?))?\b", re.I)
PERIOD = re.compile(r"\b(?P<year>(?:19|20)\d{2})\s*[/\-\u2013]\s*(?P<end>(?:19|20)?\d{2})\b")


def end_year(match: re.Match) -> int | None:
    """The year a deadline or period ends: '2026/27' -> 2027, '2022 - 2026' -> 2026; a
    date like '2025-04' is no period (None)."""
    start = int(match.group("year"))
    end = match.group("end")
    if not end:
        return start
    stop = int(end) if len(end) == 4 else start // 100 * 100 + int(end)
    return stop if start < stop <= start + 10 else (None if match.re is PERIOD else start)


# Words that join two quantified aims in one sentence ("50 more nurses and 20 more GPs"),
# and words that make the second what the first buys ("£82m, which would pay for ...").
COORDINATORS = {";", "and", "with", "plus", "while", "whilst", "alongside"}
SUBORDINATORS = {"which", "that", "so", "to", "paying", "funding", "enough"}
# A verb of spending right before an amount: the amount is committed, whatever came before
SPENDING = {"investing", "invest", "spending", "spend", "committing", "commit", "allocating",
            "allocate"}
# A second commitment after a coordinator ("... and promise to ...", "and will ...")
SECOND_COMMITMENTS = {"promise", "promises", "pledge", "pledges", "will", "would", "vow",
                      "vows", "commit", "commits"}
# Words that open a quantity ("up to £500", "at least 20") rather than join it to another
QUANTITY_PREFIXES = {"up", "to", "at", "least", "most", "over", "around", "about", "nearly",
                     "almost", "more", "than", "$", "£", "€"}


ASIDE_WORDS = 10  # an aside set off by dashes is short; a longer dash clause comments


def target_text(span: Span, anchor: int, item: bool) -> str | None:
    """The statement of the aim that holds the quantity at ``anchor``, or None when that
    is the whole pledge: the sentence of a pledge of several, and of a list ``item``
    "Headline - comment" the headline side of the dash ("Three new schools - now that
    control has passed ..."). In prose a dash carries the sentence on ("40 new beds -
    and more at ..."): it cuts nothing. Two quantities of one sentence share its text, as
    the annotation guide's examples quote a target: the sentence that states it."""
    doc = span.doc
    sent = doc[anchor].sent
    lo, hi = max(sent.start, span.start), min(sent.end, span.end)
    # only a dash after the quantity cuts: "Three new schools - now that ..." keeps the
    # headline; "We will cut tax - up to $240 for ..." says what the first half commits to
    dashes = [i for i in range(anchor, hi) if _is_separator_dash(doc, i)] if item else []
    if len(dashes) == 2 and dashes[1] - dashes[0] <= ASIDE_WORDS + 1:
        dashes = []  # a short aside between two dashes ("to 30 hours - as long as a
        # school week - by 2027") cuts nothing
    lo, hi = _piece(doc, lo, hi, anchor, dashes)
    if lo == span.start and hi == span.end:
        return None
    return span_text(doc[lo:hi]).strip(" ,;:-\u2013\u2014") or None


def range_role(span: Span, start: int) -> str | None:
    """'start' or 'end' for the two amounts of "between £700m and £1.1bn" (the match
    starting at ``start``), else None."""
    doc = span.doc
    if start - 1 >= span.start and doc[start - 1].lower_ == "between":
        return "start"
    if start - 1 >= span.start and doc[start - 1].lower_ == "and":
        window = doc[max(span.start, start - 6):start - 1]
        if any(t.lower_ == "between" for t in window) and any(t.like_num for t in window):
            return "end"
    return None


def coordinated(doc, first: int, second: int, listed: bool = False) -> bool:
    """Whether two quantities of a sentence are aims of their own, joined by a
    coordinator ("50 more nurses and 20 more GPs"; with ``listed``, two of one kind, a
    comma too: "4,000 nurses, 1,000 doctors"), rather than one aim and what it buys
    ("£82m, which would pay for 500 more police")."""
    words = [t.lower_ for t in doc[first + 1:second]]
    while words and words[-1] in QUANTITY_PREFIXES:
        words.pop()  # the second quantity's own "up to", "at least": not a subordinator
    between = set(words)
    if words and words[-1] in SPENDING:
        return True  # "80,000 homes in five years, by investing €16 billion": the outlay too
    joiners = COORDINATORS | ({","} if listed else set())
    last = max((i for i, w in enumerate(words) if w in COORDINATORS), default=None)
    if last is not None and any(w in SECOND_COMMITMENTS for w in words[last + 1:last + 3]):
        return True  # "spend £50m ... and promise to fix every pothole within 24 hours"
    return bool(between & joiners) and not between & SUBORDINATORS


def _piece(doc, lo: int, hi: int, anchor: int, cuts: list[int]) -> tuple[int, int]:
    """The tokens between the cuts on either side of ``anchor`` (a cut token belongs to
    neither side); (lo, hi) unchanged when that leaves fewer than two words."""
    left = max((c + 1 for c in cuts if c < anchor), default=lo)
    right = min((c for c in cuts if c > anchor), default=hi)
    if sum(not t.is_punct for t in doc[left:right]) < 2:
        return lo, hi
    return left, right


def _ranges(doc, i: int, number) -> bool:
    """The token at ``i``, across a dash or slash from a number, makes a range with it
    (a number, or a currency sign before one: "£5-£10"), or the three are one word
    ("8-point", "zero-carbon", "no-one"); "$150,000 - three times the median wage", the
    dash set off by spaces, is an amount and a comment on it."""
    if i < 0 or i >= len(doc):
        return True
    mark, left = doc[(i + number.i) // 2], doc[min(i, number.i)]
    if not (left.whitespace_ and mark.whitespace_):
        return True  # joined up: a compound or a range
    token = doc[i]
    if any(c.isdigit() for c in token.text):
        return True
    if token.like_num:  # words make a range with words ("two-three"), not with a figure
        return not any(c.isdigit() for c in number.text)
    return token.is_currency and i + 1 < len(doc) and doc[i + 1].like_num


def _is_separator_dash(doc, i: int) -> bool:
    """A dash set off by spaces between words ("Three new schools - now that ..."), not a
    range ("2022 - 2026") or a hyphen."""
    token = doc[i]
    if token.text not in DASHES or i == 0 or i + 1 >= len(doc):
        return False
    before, after = doc[i - 1], doc[i + 1]
    return (bool(before.whitespace_) and bool(token.whitespace_)
            and not before.like_num and not after.like_num)


# A share's word after its number, which some newspapers join with hyphens ("60-per-cent")
PERCENT_WORDS = {"%", "percent", "pc", "per"}
# Nouns counted without a plural -s: "2,000 care staff", "500 more police".
UNMARKED_PLURALS = {"staff", "people", "police", "personnel", "children", "men", "women",
                    "youth", "teeth", "feet", "geese", "mice", "sheep", "cattle", "livestock"}
ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")


def is_plural(word: str) -> bool:
    """'homes', 'GPs', 'PCSOs', 'staff', 'people' (but not 'bus', 'process', 'this')."""
    if ACRONYM_PLURAL.fullmatch(word) or word in UNMARKED_PLURALS:
        return True
    return (word.islower() and len(word) > 3 and word.endswith("s")
            and not word.endswith(("ss", "us", "is")))
