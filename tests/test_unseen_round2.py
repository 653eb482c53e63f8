"""Pledges and targets on three pages written blind, read as web pages and as prints.

Three pages by helpers who never saw the rules (``tests/unseen/round2/``: a Liberal
Democrat ward manifesto on a WordPress-style site, a Labour council group's pledges as a
site builder's grid of cards, an Australian Greens media release), each annotated with
the annotation guide before the tool first read it (``<name>.gold.json``). Each is read
as the page, as headless Chromium printed it (``<name>.pdf``) and printed in two columns
(``<name>.columns.pdf``; ``tests/tables_unseen/make.py``'s printing). No catalog: the
documents speak for themselves. Measured blind, with the rules of 249bbb4
(matched / gold / predicted):

    html  pledges 0.97 (92/95/95)   targets 0.94 (34/36/36)
    pdf   pledges 0.88 (84/95/95)   targets 0.87 (30/36/33)
    pdf2  pledges 0.87 (81/95/92)   targets 0.87 (29/36/31)

The prints lost pledges where a grid of cards stood three to a row: a heading above the
grid reached the gutter between the first two cards, so the two were read as one column
and their lines joined across it; and cards were read column by column down the page, so
a card took the section of the row below. After (parser version 12):

    pdf   pledges 0.95 (91/95/97)   targets 0.94 (34/36/36)
    pdf2  pledges 0.84 (79/95/94)   targets 0.88 (30/36/32)

The release then showed three rule gaps ("said the party would ...", "A Greens
government would also halve ...", "have pledged $40 million to ..." taken for a past
figure) and the learned aid a deed without -ed ("We won an extra £1.2m ..."); after
those fixes (rules of the next commit; these pages no longer blind):

    html  pledges 0.98 (94/95/96)   targets 0.99 (36/36/37)
    pdf   pledges 0.96 (93/95/98)   targets 0.99 (36/36/37)
    pdf2  pledges 0.85 (81/95/95)   targets 0.93 (32/36/33)

The two-column print of the card grid stays poor: Chromium sets three cards across half
a page, each a few words wide, and runs them on into the next column. The floors are
the figures after the card grid's fix less 0.05.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pledgeflow.nlp import build_nlp
from pledgeflow.parse import parse
from pledgeflow.registry import get_extractors
from scoring import reference_scorer, score_source

FOLDER = Path(__file__).parent / "unseen" / "round2"
FORMS = {"html": ".html", "pdf": ".pdf", "pdf2": ".columns.pdf"}
KINDS = ("pledges", "targets")
# (form, kind) -> (precision floor, recall floor)
FLOORS = {
    ("html", "pledges"): (0.92, 0.92), ("html", "targets"): (0.89, 0.89),
    ("pdf", "pledges"): (0.89, 0.91), ("pdf", "targets"): (0.89, 0.89),
    ("pdf2", "pledges"): (0.79, 0.78), ("pdf2", "targets"): (0.89, 0.78),
}


@pytest.fixture(scope="module")
def totals() -> dict[tuple[str, str], tuple[int, int, int]]:
    scorer, nlp, extractors = reference_scorer(), build_nlp(), get_extractors()
    sums = {(form, kind): [0, 0, 0] for form in FORMS for kind in KINDS}
    names = sorted(g.name.removesuffix(".gold.json") for g in FOLDER.glob("*.gold.json"))
    assert len(names) == 3
    for name in names:
        gold = json.loads((FOLDER / f"{name}.gold.json").read_text(encoding="utf-8"))
        for form, suffix in FORMS.items():
            counts = score_source(FOLDER / f"{name}{suffix}", gold, KINDS, extractors, nlp,
                                  scorer)
            for kind, found in counts.items():
                for i, n in enumerate(found):
                    sums[form, kind][i] += n
    return {key: tuple(v) for key, v in sums.items()}


@pytest.mark.parametrize(("form", "kind"), sorted(FLOORS))
def test_blind_pages_keep_their_measured_quality(totals, form, kind):
    precision, recall, _ = reference_scorer().prf(*totals[form, kind])
    min_precision, min_recall = FLOORS[form, kind]
    counts = "{} matched, {} gold, {} predicted".format(*totals[form, kind])
    assert precision >= min_precision, f"{form} {kind}: precision {precision:.3f} ({counts})"
    assert recall >= min_recall, f"{form} {kind}: recall {recall:.3f} ({counts})"


def test_cards_side_by_side_under_a_long_heading_stay_apart():
    """The first two cards of a row under a heading that reaches the gutter between
    them: each card's sentence is one paragraph, not joined line by line to its
    neighbour's."""
    source = FOLDER / "kilbride-labour-council-pledges.pdf"
    doc = parse(source.read_bytes(), "application/pdf", document_id="kilbride",
                url=source.resolve().as_uri())
    texts = [b.text for b in doc.blocks]
    assert ("A Labour council will work with headteachers and parents so that all schools "
            "in Kilbride are rated Good or Outstanding by 2030.") in texts
    assert "We\u2019ll provide a free, healthy breakfast club in every primary school." in texts
