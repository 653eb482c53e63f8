"""A learned aid to the pledge rules' recall: a logistic regression over hashed words.

The rules are precise but miss wordings they were never shown (a reporter's paraphrase,
a commitment without a modal, a list without a lead-in). Every sentence outside lists and
every list item the rules left is scored by a small linear model over its words, word
pairs, first words, lead-in, headings, block kind and document kind; one it is sure of
(the threshold in ``pledges.learned.json``) is a pledge with the rule ``learned``.

Two weight sets: ``page`` for documents (web pages, PDFs, text) and ``rows`` for
statement data (one statement a row), as a row reads unlike a page's sentence. They were
trained by ``eval/corpus/train_learned.py`` on the corpus's development half, with the
rules of the extractor version named in the JSON file; the weights are hashed feature
weights, not text. When the rules change, train again: the model also sees which rule,
if any, claimed each training unit.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

import numpy as np
from spacy.tokens import Token

HERE = Path(__file__).parent
DIMENSIONS = 1 << 18  # hashed feature slots
WORD = re.compile(r"[a-z]+|\d+|[£$€%]")
DIGIT = re.compile(r"\d")
MAX_WORDS = 40  # words of a unit that count: its opening says what it is
LEARNED = "learned"
SUBJECT_PRONOUNS = {"we", "i", "they", "he", "she"}
# What may stand between a subject and its past deed ("we already paid"), besides -ly words.
TIME_ADVERBS = {"already", "also", "just", "recently", "now", "finally", "since"}
# Past forms that report a commitment rather than a deed: "we pledged to ..."
COMMITTED = {"pledged", "promised", "committed", "vowed", "announced", "intended", "planned",
             "aimed", "proposed", "outlined", "unveiled", "launched", "guaranteed",
             "reiterated", "restated", "reaffirmed", "renewed", "confirmed"}
COPULAS = {"is", "are", "was", "were", "stands", "stood", "remains", "remained"}
FIGURE_LINKS = {"at", "now", "just", "only", "over", "under", "nearly", "almost", "about",
                "around", "down", "up"}
# a figure on the move now: "bills are rising by 4%" (no aim: nobody set it)
MOVING = {"rising", "falling", "going", "increasing", "decreasing", "growing", "dropping",
          "climbing", "soaring", "shrinking"}
# what after "we" is no verb of a habit: a modal, an auxiliary, a wish
NOT_HABITS = {"will", "ll", "shall", "would", "d", "can", "could", "must", "should", "may",
              "might", "need", "want", "hope", "intend", "are", "am", "re", "m", "have",
              "ve", "do", "don", "also", "all"}
PERIODS = {"year", "month", "week", "day", "quarter", "term", "summer", "winter"}
HABITUAL = {"annually", "regularly", "monthly", "weekly", "daily", "routinely"}
FUTURE = {"will", "ll", "shall", "would", "pledge", "pledges", "promise", "promises", "commit",
          "committed", "plan", "plans", "aim", "aims", "going"}


@dataclass(frozen=True)
class Unit:
    """A sentence outside lists or a list item, as the model sees it."""

    text: str
    block_kind: str  # paragraph or list_item
    document_kind: str  # the catalog's kind: manifesto, outcome_plan, ...
    sentence: int  # its place in its paragraph (0 for a list item)
    sentences: int  # sentences in its paragraph
    actors: tuple[int, ...]  # token positions of actors the rules marked
    lead_in: str | None
    section: tuple[str, ...]  # the headings it sits under, nearest last
    rule: str | None  # the rule that claimed it, if any

    @cached_property
    def words(self) -> list[str]:
        """Its first words, lower case: the model's features and the figure check."""
        return WORD.findall(self.text.lower())[:MAX_WORDS]


def features(unit: Unit) -> list[str]:
    words = unit.words
    found = ["bias", f"bk={unit.block_kind}", f"dk={unit.document_kind}"]
    found += [f"w={w}" for w in words]
    found += [f"b={a}_{b}" for a, b in zip(words, words[1:], strict=False)]
    if words:
        found.append(f"first={words[0]}")
    if len(words) > 1:
        found.append(f"first2={words[0]}_{words[1]}")
    found.append(f"len={min(len(words) // 5, 8)}")
    found.append(f"sent={min(unit.sentence, 3)}")
    found.append(f"nsents={min(unit.sentences, 4)}")
    found.append(f"actor={bool(unit.actors)}")
    found.append(f"actor0={bool(unit.actors) and unit.actors[0] == 0}")
    if unit.lead_in:
        found.append("has_lead_in")
        found += [f"l={w}" for w in WORD.findall(unit.lead_in.lower())[-8:]]
        found.append(f"lead_colon={unit.lead_in.rstrip().endswith(':')}")
    for heading in unit.section[-2:]:
        found += [f"s={w}" for w in WORD.findall(heading.lower())[:8]]
    found.append(f"end={unit.text.rstrip()[-1:]}")
    found.append(f"digit={DIGIT.search(unit.text) is not None}")
    found.append(f"figure={states_a_figure(words)}")
    found.append(f"rule={unit.rule}")
    found.append(f"ruled={bool(unit.rule)}")
    return found


# past forms without -ed that cannot be present tense after "we" ("we won an extra
# £1.2m", "we built 400 homes"); "cut", "put", "set" can, and are left out
IRREGULAR_PAST = {"won", "built", "made", "spent", "gave", "kept", "brought", "got", "fought",
                  "took", "led", "held", "began", "sold", "paid", "found", "saw", "ran"}


def did(tokens: Sequence[Token], is_actor: Callable[[Token], bool]) -> bool:
    """Does a subject (a pronoun, or what ``is_actor`` says names an actor or a party) do
    something in the past ("we balanced", "the Liberals delivered")? A past commitment
    ("we pledged") is not a deed."""
    tokens = list(tokens)
    for k, token in enumerate(tokens):
        if not (token.lower_ in SUBJECT_PRONOUNS or is_actor(token)):
            continue
        j = k + 1  # "we successfully lobbied", "we recently opened"
        while j < len(tokens) and _adverb(tokens[j].lower_):
            j += 1
        if j == len(tokens):
            continue
        verb = tokens[j].lower_
        if ((verb.endswith("ed") and not verb.endswith("eed") and verb not in COMMITTED
                or verb in IRREGULAR_PAST) and not is_actor(tokens[j])):
            return True
    return False


def _adverb(word: str) -> bool:
    return word in TIME_ADVERBS or is_ly_word(word)


def is_ly_word(word: str) -> bool:
    """Six letters or more in -ly: an adverb that may stand between a subject and its
    verb ("we successfully lobbied", "we fundamentally believe")."""
    return len(word) > 5 and word.endswith("ly")


def states_a_figure(words: list[str]) -> bool:
    """A figure as it stands or as it moves now, and nothing promised: "unemployment is
    at 3.9 per cent", "waiting lists are now 12 weeks", "bills are going up by 3%"."""
    following = [*words[1:], ""]
    if any(w in FUTURE and not (w == "going" and after in {"up", "down"})
           for w, after in zip(words, following, strict=True)):
        return False
    return any(a in COPULAS and (b[:1].isdigit() or (b in FIGURE_LINKS and c[:1].isdigit())
                                 or (b in MOVING and words[i - 1:i] not in (["we"], ["i"])
                                     and _figure_follows(words[i + 2:i + 5])))
               for i, (a, b, c) in enumerate(zip(words, following, [*words[2:], ""],
                                                 strict=False)))


def tells_a_habit(words: list[str]) -> bool:
    """What the author does now, as a rule, and nothing promised: "we publish a report
    each year", "I hold a surgery every month"."""
    if any(w in FUTURE for w in words):
        return False
    pairs = list(zip(words, [*words[1:], ""], strict=True))
    return (any(w in {"we", "i"} and after.isalpha() and after not in NOT_HABITS
                for w, after in pairs)
            and any((w in {"each", "every"} and after in PERIODS) or w in HABITUAL
                    for w, after in pairs))


def _figure_follows(words: list[str]) -> bool:
    """ "(up) by 3", "to 12": the size of a change going on."""
    return any(w in {"by", "to"} and after[:1].isdigit()
               for w, after in zip(words, words[1:], strict=False))


@lru_cache(maxsize=1 << 16)
def _slot(name: str) -> int:
    return zlib.crc32(name.encode()) % DIMENSIONS


def slots(names: list[str]) -> np.ndarray:
    """The hashed slots of a unit's features (each once: a repeated word counts once)."""
    return np.fromiter(sorted({_slot(n) for n in names}), dtype=np.int64)


class LearnedAid:
    """The trained model: ``probability`` of a unit being a pledge, and ``accepts``."""

    def __init__(self, weights: dict[str, np.ndarray], thresholds: dict[str, float]) -> None:
        self.weights = weights
        self.thresholds = thresholds

    @classmethod
    def load(cls, name: str = "pledges.learned") -> LearnedAid | None:
        meta_path, weights_path = HERE / f"{name}.json", HERE / f"{name}.npz"
        if not (meta_path.exists() and weights_path.exists()):
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        stored = np.load(weights_path)
        weights = {}
        for form in meta["thresholds"]:
            dense = np.zeros(DIMENSIONS, dtype=np.float32)
            dense[stored[f"{form}_slots"]] = stored[f"{form}_weights"]
            weights[form] = dense
        return cls(weights, meta["thresholds"])

    def probability(self, unit: Unit, form: str) -> float:
        score = float(self.weights[form][slots(features(unit))].sum())
        return 1.0 / (1.0 + math.exp(-score))

    def accepts(self, unit: Unit, form: str) -> bool:
        """The model is sure of it, and it states neither a figure as it stands nor a
        habit of the author's (the extractor then asks the rules whether it reads as a
        record, a call or another party's intention)."""
        return (self.probability(unit, form) >= self.thresholds[form]
                and not states_a_figure(unit.words) and not tells_a_habit(unit.words))


@cache
def shipped_aid() -> LearnedAid | None:
    return LearnedAid.load()
