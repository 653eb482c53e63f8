"""The pledge extractor's learned aid (extractors/_learned.py): it adds units the rules
leave and the model is sure of, marked with the rule ``learned``, and never a record, a
figure as it stands or another party's intention. Texts written for these tests."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pledgeflow.extractors import _learned
from pledgeflow.extractors._learned import DIMENSIONS, LearnedAid, Unit, shipped_aid
from pledgeflow.extractors.pledges import PledgeExtractor
from pledgeflow.nlp import build_nlp
from pledgeflow.parse import parse

# Pledges no rule reads (verbless and gerund items with no lead-in, a reporter's
# paraphrase), among background, a deed, a figure and another party's record. The model
# is sure of some of them; which ones depends on its weights, so the tests ask that it
# finds some and takes nothing else.
PAGE_PLEDGES = [
    "Planting 5,000 trees along our streets and in our parks.",
    "A new swimming pool at Riverton Park, open by 2027.",
    "More police on the beat in the town centre, paid for by cutting waste.",
    "Restoring weekly bin collections across the borough.",
    "Council tax frozen for four years.",
]
PAGE_OTHERS = [
    "The Riverton Green Party stands for a fairer town.",
    "We balanced the budget last year.",
    "Council tax is at its highest level ever.",
    "Our councillors have fought hard for local people.",
]
PAGE = "# Our plan for Riverton\n\n" + "\n\n".join(
    p for pair in zip(PAGE_PLEDGES, [*PAGE_OTHERS, ""], strict=True) for p in pair if p) + "\n"

ROW_PLEDGES = [
    "Under the plan, 500 more nurses would work in regional hospitals.",
    "That means 500 more nurses in regional hospitals by 2027.",
    "The commitment includes $20 million for the Tamworth hospital.",
    "Mr Cates said the plan would see 500 more nurses in regional hospitals.",
]
ROW_OTHERS = [
    "Labor's energy plan will push power bills up by another $1,000 a year.",
    "Unemployment is at 3.9 per cent, close to a 50-year low.",
    "The Liberals delivered record investment in roads.",
    "Labor's reckless spending has pushed up the cost of everything.",
]
ROWS = "date,party,statement\n" + "".join(
    f'2025-04-03,Liberal,"{text}"\n' for pair in zip(ROW_PLEDGES, ROW_OTHERS, strict=True)
    for text in pair)


@pytest.fixture(scope="module")
def nlp():
    return build_nlp()


def pledges(data: str, media_type: str, meta: dict, nlp, learned: bool = True,
            aid: LearnedAid | None = None) -> dict:
    doc = parse(data.encode(), media_type, document_id="a" * 64)
    doc.meta = meta
    extractor = PledgeExtractor(learned=learned)
    if aid is not None:
        extractor._learned = aid
    return {r.text: r.provenance.rule
            for r in extractor.extract(doc, nlp) if r.kind == "pledges"}


def learned_only(found: dict) -> set[str]:
    return {text for text, rule in found.items() if rule == "learned"}


def test_the_aid_adds_what_the_rules_leave_and_marks_it(nlp):
    meta = {"kind": "manifesto", "party": "Green Party"}
    found = pledges(PAGE, "text/markdown", meta, nlp)
    rules_alone = pledges(PAGE, "text/markdown", meta, nlp, learned=False)
    added = learned_only(found)
    assert added and added <= set(PAGE_PLEDGES) - set(rules_alone)
    assert found == {**rules_alone, **dict.fromkeys(added, "learned")}


def test_the_shipped_rows_model_takes_no_record_figure_or_other_partys_plan(nlp):
    found = pledges(ROWS, "text/csv", {"kind": "campaign_statement"}, nlp)
    assert learned_only(found) <= set(ROW_PLEDGES)
    assert not set(found) & set(ROW_OTHERS)


def bias_only(logit: float, rows_logit: float | None = None) -> LearnedAid:
    """A model that gives every unit the same score (``rows_logit``, if given, for
    statement rows): what ``accepts`` refuses whatever the score is the guard's doing."""
    def weights(value: float) -> np.ndarray:
        array = np.zeros(DIMENSIONS, dtype=np.float32)
        array[_learned.slots(["bias"])] = value
        return array
    return LearnedAid({"page": weights(logit),
                       "rows": weights(logit if rows_logit is None else rows_logit)},
                      {"page": 0.5, "rows": 0.5})


@pytest.mark.parametrize("page_logit,rows_logit", [(5.0, -5.0), (-5.0, 5.0)])
def test_statement_rows_use_their_own_model(nlp, page_logit, rows_logit):
    # one weight set sure of everything, the other of nothing: only the form's own
    # weights decide what is added to a page or to statement rows
    aid = bias_only(page_logit, rows_logit)
    rows_meta, page_meta = {"kind": "campaign_statement"}, {"kind": "manifesto",
                                                            "party": "Green Party"}
    rows_added = learned_only(pledges(ROWS, "text/csv", rows_meta, nlp, aid=aid))
    page_added = learned_only(pledges(PAGE, "text/markdown", page_meta, nlp, aid=aid))
    assert bool(rows_added) is (rows_logit > 0)
    assert bool(page_added) is (page_logit > 0)


def test_a_sure_model_still_never_adds_another_partys_intention_a_figure_or_a_deed(nlp):
    # every row would be a pledge by score alone: Labor's plan in a Liberal row, a figure
    # as it stands, what the Liberals did and Labor's record are refused all the same
    found = pledges(ROWS, "text/csv", {"kind": "campaign_statement"}, nlp, aid=bias_only(5.0))
    assert set(found) == set(ROW_PLEDGES)


SURE_PAGE = """# Riverton

We will open a library in every ward.

Delivered a new library in Eastgate.

Vote Green on 7 May.

We balanced the budget last year.

Waiting lists are now 12 weeks long.

Waiting lists will be 12 weeks at most.
"""


def test_a_sure_model_still_never_adds_a_record_a_call_a_deed_or_a_figure_as_it_stands(nlp):
    found = pledges(SURE_PAGE, "text/markdown", {"kind": "manifesto", "party": "Green Party"},
                    nlp, aid=bias_only(5.0))
    assert set(found) == {"We will open a library in every ward.",
                          "Waiting lists will be 12 weeks at most."}


SURE_PLAN_PAGE = """# Riverton Council Plan

Our Council Plan sets out how we will work with residents over the next four years.

We successfully lobbied for a new station at Eastgate.

We won an extra £1.2m for school meals through our budget amendment.

She also reiterated her commitment to keep every library open.

Over the next four years we will work with schools and colleges to:

We will open a library in every ward.
"""


WARNING_PAGE = """# Riverton

There will be cuts to every service next year.

There will be more closures if nothing changes.

There will be no cuts to the libraries.

There will be a library in every ward.
"""


VIEW_PAGE = """# Riverton

As Greens, we fundamentally believe that good buses are the best way to a fairer town.

We’ve opened three new libraries since 2022.

Bus fares are going up by 4% this spring.

To keep you informed, we publish a report on our work each year.

We are increasing the repair budget by 20%.
"""


SPENT_PAGE = """# Riverton

Since 2022 we have invested:

$40 million to rebuild the Harbour Road bridge.

## Libraries

Last year we funded:

A new roof for the Eastgate library and longer opening hours.
"""


@pytest.mark.parametrize(("page", "kind", "kept"), [
    # a view, a deed in a contracted perfect, a figure moving now, a habit of the author's
    (VIEW_PAGE, "manifesto", {"We are increasing the repair budget by 20%."}),
    # what follows a lead-in that reports the past was spent
    (SPENT_PAGE, "manifesto", set()),
    # a lead-in, a plan describing itself, a deed in a past form without -ed ("we won")
    (SURE_PLAN_PAGE, "council_plan", {"She also reiterated her commitment to keep every "
                                      "library open.", "We will open a library in every ward."}),
    # "there will be cuts" warns; "there will be no cuts" and a library promise
    (WARNING_PAGE, "manifesto", {"There will be no cuts to the libraries.",
                                 "There will be a library in every ward."}),
])
def test_a_sure_model_never_adds_a_view_a_lead_in_a_plan_describing_itself_a_deed_or_a_warning(
        nlp, page, kind, kept):
    found = pledges(page, "text/markdown", {"kind": kind}, nlp, aid=bias_only(5.0))
    assert set(found) == kept


def unit(text: str) -> Unit:
    return Unit(text=text, block_kind="paragraph", document_kind="manifesto", sentence=0,
                sentences=1, actors=(), lead_in=None, section=(), rule=None)


@pytest.mark.parametrize(("text", "accepted"), [
    ("Unemployment is at 3.9 per cent.", False),
    ("Waiting lists are now 12 weeks long.", False),
    ("Waiting lists will be 12 weeks at most.", True),
    ("We will open a library in every ward.", True),
    ("Bus fares are rising by 4% this year.", False),
    ("We are raising the grant by 4% this year.", True),
    ("We hold a surgery in every ward each month.", False),
    ("We will hold a surgery in every ward each month.", True),
])
def test_the_model_itself_never_takes_a_figure_as_it_stands_or_a_habit(text, accepted):
    aid = bias_only(5.0)
    assert aid.probability(unit(text), "page") > 0.99
    assert aid.accepts(unit(text), "page") is accepted


def test_the_shipped_model_loads_with_what_it_was_trained_on():
    aid = shipped_aid()
    assert aid is not None and set(aid.weights) == {"page", "rows"}
    meta = json.loads((_learned.HERE / "pledges.learned.json").read_text(encoding="utf-8"))
    assert all(0.5 <= t < 1 for t in meta["thresholds"].values())
    assert meta["split"] == "dev" and meta["trained_on"]["page"]["documents"] > 100
    assert all(np.count_nonzero(w) > 1000 for w in aid.weights.values())


def test_each_rows_pledge_is_read_with_its_own_party_after_the_aids_pass(nlp):
    # The rules read every row before the aid does; the pledge's kind is read after both,
    # and a Liberal row must not be read as the last row's (Labor's): "The Liberals will
    # cut" is then no commitment of the author's, and its kind came out "outcome".
    rows = ('date,party,statement\n'
            '2025-04-03,Liberal,"The Liberals will cut payroll tax for small businesses."\n'
            '2025-04-03,Labor,"Labor will build 20 new hospitals."\n')
    doc = parse(rows.encode(), "text/csv", document_id="a" * 64)
    doc.meta = {"kind": "campaign_statement"}
    kinds = {r.text: r.pledge_kind for r in PledgeExtractor().extract(doc, nlp)
             if r.kind == "pledges"}
    assert kinds == {"The Liberals will cut payroll tax for small businesses.": "action",
                     "Labor will build 20 new hospitals.": "action"}
