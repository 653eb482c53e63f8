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

PAGE = """# Our plan for Riverton

The Riverton Green Party stands for a fairer town.

Planting 5,000 trees along our streets and in our parks.

We balanced the budget last year.

Council tax is at its highest level ever.

Our councillors have fought hard for local people.
"""

ROWS = """date,party,statement
2025-04-03,Liberal,"Mr Cates said the plan would see 500 more nurses in regional hospitals."
2025-04-03,Liberal,"Labor's energy plan will push power bills up by another $1,000 a year."
2025-04-03,Liberal,"Unemployment is at 3.9 per cent, close to a 50-year low."
2025-04-03,Liberal,"The Liberals delivered record investment in roads."
"""


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


def test_the_aid_adds_what_the_rules_leave_and_marks_it(nlp):
    meta = {"kind": "manifesto", "party": "Green Party"}
    found = pledges(PAGE, "text/markdown", meta, nlp)
    rules_alone = pledges(PAGE, "text/markdown", meta, nlp, learned=False)
    planting = "Planting 5,000 trees along our streets and in our parks."
    assert planting not in rules_alone
    assert found == {**rules_alone, planting: "learned"}


NURSES = "Mr Cates said the plan would see 500 more nurses in regional hospitals."


def test_statement_rows_use_their_own_model(nlp):
    found = pledges(ROWS, "text/csv", {"kind": "campaign_statement"}, nlp)
    assert found == {NURSES: "learned"}


def bias_only(logit: float) -> LearnedAid:
    """A model that gives every unit the same score: what ``accepts`` refuses whatever
    the score is the guard's doing."""
    weights = np.zeros(DIMENSIONS, dtype=np.float32)
    weights[_learned.slots(["bias"])] = logit
    return LearnedAid({"page": weights, "rows": weights}, {"page": 0.5, "rows": 0.5})


def test_a_sure_model_still_never_adds_another_partys_intention_a_figure_or_a_deed(nlp):
    # every row but the first would be a pledge by score alone: Labor's plan in a Liberal
    # row, a figure as it stands, and what the Liberals did
    found = pledges(ROWS, "text/csv", {"kind": "campaign_statement"}, nlp, aid=bias_only(5.0))
    assert found == {NURSES: "learned"}


def unit(text: str, shape: str = "sentence") -> Unit:
    return Unit(text=text, block_kind="paragraph", document_kind="manifesto", sentence=0,
                sentences=1, actors=(), lead_in=None, section=(), rule=None, shape=shape,
                past=False)


@pytest.mark.parametrize(("text", "shape", "accepted"), [
    ("We will open a library in every ward.", "sentence", True),
    ("Delivered a library in every ward.", "record", False),
    ("Vote Green on 7 May.", "call", False),
    ("Unemployment is at 3.9 per cent.", "sentence", False),
    ("Waiting lists are now 12 weeks long.", "sentence", False),
    ("Waiting lists will be 12 weeks at most.", "sentence", True),
])
def test_the_aid_never_adds_a_record_a_call_or_a_figure_as_it_stands(text, shape, accepted):
    aid = bias_only(5.0)
    assert aid.probability(unit(text, shape), "page") > 0.99
    assert aid.accepts(unit(text, shape), "page") is accepted


def test_the_shipped_model_loads_with_what_it_was_trained_on():
    aid = shipped_aid()
    assert aid is not None and set(aid.weights) == {"page", "rows"}
    meta = json.loads((_learned.HERE / "pledges.learned.json").read_text(encoding="utf-8"))
    assert all(0.5 <= t < 1 for t in meta["thresholds"].values())
    assert meta["split"] == "dev" and meta["trained_on"]["page"]["documents"] > 100
    assert all(np.count_nonzero(w) > 1000 for w in aid.weights.values())
