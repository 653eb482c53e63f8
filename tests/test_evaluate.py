"""``pledgeflow eval``: matching as the annotation guide says, and what it reports."""

from __future__ import annotations

import difflib
import json
import random
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from pledgeflow.cli import main
from pledgeflow.records import BUILTIN_KINDS
from pledgeflow.research.evaluate import (
    KINDS,
    Evaluation,
    Spurious,
    evaluate,
    format_report,
    match,
    normalise,
    record_key,
    same,
)
from pledgeflow.research.export import export_json, source_records
from pledgeflow.store.db import open_db
from scoring import GOLD_DIR, reference_scorer

SOURCE = "bnes-libdem-2023"
INVENTED = "We will paint every lamp post in the county bright orange by 2031."


@pytest.fixture(scope="module")
def reference():
    return reference_scorer()


@pytest.fixture(scope="module")
def db(sample_run):
    database = open_db(sample_run.db_path)
    yield database
    database.close()


@pytest.fixture(scope="module")
def exported(db, tmp_path_factory):
    out = tmp_path_factory.mktemp("eval-export")
    export_json(db, out)
    return out


def counts(evaluation: Evaluation):
    totals = {k: (s.matched, s.gold, s.predicted) for k, s in evaluation.totals.items()}
    per_doc = {d.source_id: {k: (s.matched, s.gold, s.predicted) for k, s in d.scores.items()}
               for d in evaluation.documents}
    return totals, per_doc


def assert_same_as_reference(reference, db, gold_dir, exported):
    ref_totals, ref_docs = reference.score(gold_dir, exported)
    # the reference scorer knows the built-in kinds only
    totals, per_doc = counts(evaluate(db, gold_dir, BUILTIN_KINDS))
    assert totals == {k: tuple(v) for k, v in ref_totals.items()}
    assert per_doc == ref_docs


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


# -- the same numbers as the reference scorer


def test_counts_equal_reference_scorer_on_sample_gold(reference, db, exported):
    assert_same_as_reference(reference, db, GOLD_DIR, exported)


def test_counts_equal_reference_scorer_on_perturbed_gold(reference, db, exported, tmp_path):
    # The sample database may score perfectly; damage the gold so misses and near-misses occur.
    rng = random.Random(7)
    for path in sorted(GOLD_DIR.glob("*.json")):
        gold = json.loads(path.read_text("utf-8"))
        for kind, (field, *_) in KINDS.items():
            items = []
            for n, item in enumerate(gold.get(kind, [])):
                text = item.get(field) or ""
                if n % 5 == 0:
                    continue  # dropped: its prediction becomes spurious
                if n % 5 == 1:
                    item = {**item, field: text[: int(len(text) * rng.uniform(0.5, 0.7))]}
                elif n % 5 == 2:
                    words = text.split()
                    rng.shuffle(words)
                    item = {**item, field: " ".join(words)}
                elif n % 5 == 3:
                    items.append(dict(item))  # duplicated: only one of the two can match
                items.append(item)
            gold[kind] = items
        (tmp_path / path.name).write_text(json.dumps(gold), encoding="utf-8")
    (tmp_path / "no-such-source.json").write_text(
        json.dumps({"pledges": [{"text": INVENTED}]}), encoding="utf-8")
    assert_same_as_reference(reference, db, tmp_path, exported)


def test_match_pairs_as_many_as_reference_on_near_duplicates(reference):
    rng = random.Random(11)
    vocab = ["build", "homes", "new", "500", "council", "affordable", "we", "will", "more"]
    for _ in range(150):
        gold = [" ".join(rng.choices(vocab, k=rng.randint(2, 6))) for _ in range(rng.randint(0, 6))]
        pred = [" ".join(rng.choices(vocab, k=rng.randint(2, 6))) for _ in range(rng.randint(0, 6))]
        pairs = match(gold, pred)
        assert len(pairs) == reference.match(gold, pred)
        assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs)


def test_normalise_equals_reference_norm(reference):
    texts = ["\u2022 We\u2019ll build \u201cnew\u201d homes \u2013 500 of them.;",
             "3) <b>Fund</b>\u00a0buses", "  b. Plant   trees,", "- item:",
             "-5% emissions", "", None, "1.5 million homes."]
    for text in texts:
        assert normalise(text) == reference.norm(text)


# -- matching rules


def test_curly_quotes_and_dashes_match_plain_ones():
    curly = normalise("Support every school to get a \u201cGood\u201d rating \u2013 all of them.")
    plain = normalise('support every school to get a "good" rating - all of them')
    assert curly == plain
    assert same(curly, plain)


def test_list_markers_and_numbering_are_removed():
    for text in ["\u2022 Build 500 homes.", "1. Build 500 homes", "12) Build 500 homes;",
                 "a) Build 500 homes", "- Build   500 homes,", "\u25aa Build 500 homes:"]:
        assert normalise(text) == "build 500 homes"
    assert normalise("<li>Build <em>500</em> homes</li>") == "build 500 homes"


def test_contained_text_matches_from_sixty_percent_of_the_longer():
    longer = "we will build five hundred new council homes, insulate every school and plant trees"
    longer = longer[:100].ljust(100, "x")
    at_edge, below = longer[:60], longer[:59]
    # Similarity alone would not do: 2*60/160 = 0.75.
    assert difflib.SequenceMatcher(None, at_edge, longer, autojunk=False).ratio() < 0.8
    assert same(at_edge, longer)
    assert same(longer, at_edge)
    assert not same(below, longer)


def test_similarity_matches_from_ratio_point_eight():
    assert difflib.SequenceMatcher(None, "abcdefghij", "abcdefghxy", autojunk=False).ratio() == 0.8
    assert same("abcdefghij", "abcdefghxy")
    assert not same("abcdefghij", "abcdefgxyz")  # 0.7
    assert not same("", "")


def test_kpi_key_joins_measure_baseline_and_target_cells():
    row = {"measure": "Jobs created", "baseline": None,
           "targets": {"2018/19 Target": "1,000", "2019/20 Target": None}}
    assert record_key("kpis", row) == "jobs created | | 1,000 |"
    assert record_key("kpis", {**row, "targets": ["1,000", "2,000"]}) == (
        "jobs created | | 1,000 | 2,000")


def test_two_identical_predictions_match_one_gold_item_once():
    pairs = match(["build 500 homes"], ["build 500 homes", "build 500 homes"])
    assert len(pairs) == 1 and pairs[0][0] == 0
    assert len(match(["build 500 homes", "build 500 homes"], ["build 500 homes"])) == 1


def test_best_pairs_are_matched_first():
    gold = ["build 500 new homes", "build 500 new homes in bath"]
    pred = ["build 500 new homes in bath"]
    assert match(gold, pred) == [(1, 0)]


# -- missed and spurious items


@pytest.fixture(scope="module")
def edited_gold(db, tmp_path_factory):
    """The gold file of one source with an invented pledge added and a predicted one removed."""
    gold_dir = tmp_path_factory.mktemp("edited-gold")
    gold = json.loads((GOLD_DIR / f"{SOURCE}.json").read_text("utf-8"))
    predicted = {normalise(p["text"]): p for p in source_records(db, SOURCE)["pledges"]}
    removed = next(p for p in gold["pledges"] if normalise(p["text"]) in predicted)
    gold["pledges"].remove(removed)
    gold["pledges"].append({"text": INVENTED, "lead_in": None, "section": None})
    (gold_dir / f"{SOURCE}.json").write_text(json.dumps(gold), encoding="utf-8")
    return gold_dir, predicted[normalise(removed["text"])]


def test_invented_gold_pledge_is_reported_missed(db, edited_gold):
    gold_dir, _ = edited_gold
    evaluation = evaluate(db, gold_dir)
    assert [(m.source_id, m.kind, m.text) for m in evaluation.missed
            if m.text == INVENTED] == [(SOURCE, "pledges", INVENTED)]


def test_prediction_without_gold_is_reported_spurious_with_its_rule(db, edited_gold):
    gold_dir, prediction = edited_gold
    provenance = prediction["provenance"]
    assert provenance["rule"]
    expected = Spurious(SOURCE, "pledges", prediction["text"], provenance["rule"],
                        provenance.get("page"), provenance.get("section"),
                        provenance["extractor"])
    assert expected in evaluate(db, gold_dir).spurious


def test_report_lists_missed_and_spurious_with_document_and_rule(db, edited_gold):
    gold_dir, prediction = edited_gold
    report = format_report(evaluate(db, gold_dir))
    missed, spurious = report.split("\nMissed", 1)[1].split("\nSpurious", 1)
    assert f"{SOURCE}  pledges: {INVENTED}" in missed
    line = next(line for line in spurious.splitlines() if prediction["text"][:60] in line)
    assert SOURCE in line and prediction["provenance"]["rule"] in line
    assert "Missed" not in format_report(evaluate(db, gold_dir), details=False)


def test_long_texts_are_truncated_in_the_report(db, tmp_path):
    long_text = "We will " + "keep going " * 40
    (tmp_path / "no-such-source.json").write_text(
        json.dumps({"pledges": [{"text": long_text}]}), encoding="utf-8")
    line = next(line for line in format_report(evaluate(db, tmp_path)).splitlines()
                if "keep going" in line)
    assert len(line) < 160 and line.endswith("\u2026")


def test_sources_without_gold_are_not_scored_and_reported(db, sample_run, edited_gold):
    gold_dir, _ = edited_gold
    evaluation = evaluate(db, gold_dir)
    assert [d.source_id for d in evaluation.documents] == [SOURCE]
    assert evaluation.not_scored == sorted(set(sample_run.documents) - {SOURCE})
    assert "Not scored (no gold file)" in format_report(evaluation, details=False)


# -- the command line


def test_cli_prints_kind_lines_and_missed_and_spurious(sample_run):
    result = invoke("eval", str(GOLD_DIR), "--db", str(sample_run.db_path))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for kind in KINDS:
        assert any(line.startswith(f"{kind:8s} precision ") for line in lines), kind
    assert "Missed" in result.output and "Spurious" in result.output
    assert lines[0].startswith(sorted(p.stem for p in GOLD_DIR.glob("*.json"))[0] + ": pledges ")


def test_cli_summary_only_leaves_out_the_items(sample_run):
    result = invoke("eval", str(GOLD_DIR), "--db", str(sample_run.db_path), "--summary-only")
    assert result.exit_code == 0
    assert "pledges  precision" in result.output
    assert "Missed" not in result.output and "Spurious" not in result.output


def test_cli_json_gives_the_evaluation(sample_run, db):
    result = invoke("eval", str(GOLD_DIR), "--db", str(sample_run.db_path), "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data == json.loads(json.dumps(evaluate(db, GOLD_DIR).to_dict()))
    assert set(data["totals"]) == {*KINDS, "outturns", "action_updates"}
    assert set(data["totals"]["pledges"]) == {"matched", "gold", "predicted", "precision",
                                              "recall", "f1"}


def test_cli_reports_gold_file_of_unknown_source_as_predicting_nothing(sample_run, tmp_path):
    (tmp_path / "no-such-source.json").write_text(
        json.dumps({"pledges": [{"text": INVENTED}]}), encoding="utf-8")
    result = invoke("eval", str(tmp_path), "--db", str(sample_run.db_path))
    assert result.exit_code == 0
    assert "no-such-source: pledges 0/1 of 0  (source not in the database" in result.output
    assert "pledges  precision 0.00 recall 0.00 f1 0.00  (0 matched, 1 gold, 0 predicted)" in (
        result.output)
    assert f"no-such-source  pledges: {INVENTED}" in result.output


def test_cli_refuses_a_foreign_database(tmp_path):
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("create table notes (body text)")
    conn.close()
    result = invoke("eval", str(GOLD_DIR), "--db", str(foreign))
    assert result.exit_code == 1
    assert "Error:" in result.output and "another application" in result.output


def test_cli_rejects_unreadable_gold_file(sample_run, tmp_path):
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    result = invoke("eval", str(tmp_path), "--db", str(sample_run.db_path))
    assert result.exit_code == 1
    assert "broken.json" in result.output


def test_cli_needs_an_existing_gold_directory(sample_run, tmp_path):
    result = invoke("eval", str(tmp_path / "missing"), "--db", str(sample_run.db_path))
    assert result.exit_code == 2
    shutil.copy(GOLD_DIR / f"{SOURCE}.json", tmp_path / "file.json")
    result = invoke("eval", str(tmp_path / "file.json"), "--db", str(sample_run.db_path))
    assert result.exit_code == 2


def test_scores_break_down_by_document_kind_and_rule(db, tmp_path):
    # Damage one manifesto's gold so that one rule's predictions turn spurious.
    for path in GOLD_DIR.glob("*.json"):
        data = json.loads(path.read_text())
        if path.stem == "ealing-labour-2022":
            data["pledges"] = data["pledges"][:-3]
        (tmp_path / path.name).write_text(json.dumps(data))
    evaluation = evaluate(db, tmp_path)
    kinds = evaluation.by_document_kind
    assert set(kinds) == {"manifesto", "campaign_page", "outcome_plan"}
    assert kinds["outcome_plan"]["kpis"].f1 == 1.0
    assert kinds["manifesto"]["pledges"].predicted - kinds["manifesto"]["pledges"].matched == 3
    # every prediction is counted under the rule that made it, and the three now-spurious
    # ones lower that rule's precision
    assert sum(s.predicted for r in evaluation.by_rule.values() for k, s in r.items()
               if k == "pledges") == evaluation.totals["pledges"].predicted
    assert any(s.precision < 1.0 for r in evaluation.by_rule.values() for s in r.values())
    report = format_report(evaluation)
    assert "By document kind" in report and "By rule" in report
    assert "by_rule" in evaluation.to_dict()
