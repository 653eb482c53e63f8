"""Extraction quality on the sample corpus, scored as the annotation guide says."""

import pytest

from pledgeflow.research.export import export_json
from pledgeflow.store.db import open_db
from scoring import score_dir


@pytest.fixture(scope="module")
def scores(sample_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    export_json(open_db(sample_run.db_path), out)
    return score_dir(out)


def test_pledges_are_precise_and_complete(scores):
    assert scores["pledges"]["precision"] >= 0.95
    assert scores["pledges"]["recall"] >= 0.95


def test_targets_f1(scores):
    assert scores["targets"]["f1"] >= 0.85


def test_every_kpi_row_and_cell_is_right(scores):
    assert scores["kpis"]["f1"] == 1.0


def test_actions_f1(scores):
    assert scores["actions"]["f1"] >= 0.96


def test_every_risk_is_right(scores):
    assert scores["risks"]["f1"] == 1.0


@pytest.mark.parametrize("kind", ["pledges", "targets", "kpis", "actions", "risks"])
def test_the_samples_score_1_00_as_the_readme_says(scores, kind):
    # The floors above are the quality issue's; the README states 1.00 on every kind, and
    # a rule that costs one sample target (8/9) passes the floors, so this holds the claim.
    assert scores[kind]["f1"] == 1.0, scores[kind]
