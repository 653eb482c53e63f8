"""Pledges matched to the KPIs and actions on the same subject (the matches table)."""

from __future__ import annotations

import shutil

import pytest

from pledgeflow.store import matches
from pledgeflow.store.db import open_db


@pytest.fixture(scope="module")
def matched(sample_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("matches") / "pf.db"
    shutil.copy(sample_run.db_path, path)
    db = open_db(path)
    matches.rebuild(db)
    return db


def top(db, pledge_words: str) -> list[str]:
    return [r["measure"] for r in db.query(
        "select coalesce(k.measure, a.text) as measure from matches l "
        "join pledges p on p.id = l.pledge_id left join kpis k on k.id = l.target_id "
        "left join actions a on a.id = l.target_id where p.text like ? order by l.rank",
        [f"%{pledge_words}%"])]


def test_the_all_schools_good_pledge_matches_the_good_schools_kpis(matched):
    best = top(matched, "schools to be rated Good")[:3]
    assert sum("attending a good or better" in m for m in best) == 2


def test_matches_stay_within_the_council_and_leave_the_pledges_own_document(matched):
    wrong = list(matched.query("""
        select l.id from matches l join pledges p on p.id = l.pledge_id
        join source_documents pd on pd.document_id = p.document_id
        join sources ps on ps.id = pd.source_id
        left join kpis k on k.id = l.target_id left join actions a on a.id = l.target_id
        join source_documents td on td.document_id = coalesce(k.document_id, a.document_id)
        join sources ts on ts.id = td.source_id
        where ps.council != ts.council or pd.document_id = td.document_id"""))
    assert wrong == []
    ealing = list(matched.query("select l.id from matches l where l.council = 'Ealing'"))
    assert ealing == []  # no plan of Ealing's in the samples: nothing to match


def test_matches_are_ranked_with_score_and_method(matched):
    rows = list(matched.query("select rank, score, method from matches order by pledge_id, rank"))
    assert rows and {r["method"] for r in rows} == {"bm25+topic"}
    assert all(1 <= r["rank"] <= 5 and r["score"] > 0 for r in rows)


def test_matching_one_council_again_leaves_the_others_matches_alone(sample_run, tmp_path):
    path = tmp_path / "pf.db"
    shutil.copy(sample_run.db_path, path)
    db = open_db(path)
    matches.rebuild(db)
    before = {r["id"]: r["matched_at"] for r in db.query("select id, matched_at from matches")}
    # a fake match in a council of its own, which only a full rebuild may drop
    pledge = db.execute("select id from pledges limit 1").fetchone()[0]
    db.table("matches").insert({"id": "x", "pledge_id": pledge, "target_table": "kpis",
                              "target_id": "k", "rank": 1, "score": 1.0, "method": "test",
                              "council": "Elsewhere", "matched_at": "then"})
    matches.rebuild(db, ["Cheshire West and Chester"])
    after = {r["id"]: r["matched_at"] for r in db.query("select id, matched_at from matches")}
    assert set(after) == set(before) | {"x"}
    matches.rebuild(db)
    assert "x" not in {r["id"] for r in db.query("select id from matches")}


def test_reloading_a_document_without_its_matched_pledges_drops_their_matches(sample_run, tmp_path):
    from pledgeflow.records import Pledge
    from pledgeflow.store import db as store

    path = tmp_path / "pf.db"
    shutil.copy(sample_run.db_path, path)
    db = open_db(path)
    matches.rebuild(db)
    row = db.execute("select d.document_id, d.source_id from matches l "
                     "join pledges p on p.id = l.pledge_id "
                     "join source_documents d on d.document_id = p.document_id limit 1"
                     ).fetchone()
    document = sample_run.documents[row[1]]
    kept = [r for r in sample_run.extractions[row[1]].records if not isinstance(r, Pledge)]
    stored = store.document_row(db, row[0])
    fetched = {k: stored[k] for k in ("media_type", "bytes")}
    # same bytes, an extractor version that finds no pledges: the FK check must still pass
    store.load_document(db, document, kept, source_id=row[1], fetched=fetched,
                        raw_path=stored["raw_path"], processed_path=stored["processed_path"],
                        extractor_versions={"pledges": "test"})
    assert db.execute("select count(*) from matches l join pledges p on p.id = l.pledge_id "
                      "where p.document_id = ?", [row[0]]).fetchone()[0] == 0
    assert db.execute("pragma foreign_key_check").fetchall() == []
