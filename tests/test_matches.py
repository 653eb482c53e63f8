"""Pledges matched to the KPIs and actions on the same subject (the links table)."""

from __future__ import annotations

import shutil

import pytest

from pledgeflow.store import matches
from pledgeflow.store.db import open_db


@pytest.fixture(scope="module")
def linked(sample_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("links") / "pf.db"
    shutil.copy(sample_run.db_path, path)
    db = open_db(path)
    matches.rebuild(db)
    return db


def top(db, pledge_words: str) -> list[str]:
    return [r["measure"] for r in db.query(
        "select coalesce(k.measure, a.text) as measure from links l "
        "join pledges p on p.id = l.pledge_id left join kpis k on k.id = l.target_id "
        "left join actions a on a.id = l.target_id where p.text like ? order by l.rank",
        [f"%{pledge_words}%"])]


def test_the_all_schools_good_pledge_links_to_the_good_schools_kpis(linked):
    best = top(linked, "schools to be rated Good")[:3]
    assert sum("attending a good or better" in m for m in best) == 2


def test_links_stay_within_the_council_and_leave_the_pledges_own_document(linked):
    wrong = list(linked.query("""
        select l.id from links l join pledges p on p.id = l.pledge_id
        join source_documents pd on pd.document_id = p.document_id
        join sources ps on ps.id = pd.source_id
        left join kpis k on k.id = l.target_id left join actions a on a.id = l.target_id
        join source_documents td on td.document_id = coalesce(k.document_id, a.document_id)
        join sources ts on ts.id = td.source_id
        where ps.council != ts.council or pd.document_id = td.document_id"""))
    assert wrong == []
    ealing = list(linked.query("select l.id from links l where l.council = 'Ealing'"))
    assert ealing == []  # no plan of Ealing's in the samples: nothing to link to


def test_links_are_ranked_with_score_and_method(linked):
    rows = list(linked.query("select rank, score, method from links order by pledge_id, rank"))
    assert rows and {r["method"] for r in rows} == {"bm25+topic"}
    assert all(1 <= r["rank"] <= 5 and r["score"] > 0 for r in rows)


def test_relinking_one_council_leaves_the_others_links_alone(sample_run, tmp_path):
    path = tmp_path / "pf.db"
    shutil.copy(sample_run.db_path, path)
    db = open_db(path)
    matches.rebuild(db)
    before = {r["id"]: r["linked_at"] for r in db.query("select id, linked_at from links")}
    # a fake link in a council of its own, which only a full rebuild may drop
    pledge = db.execute("select id from pledges limit 1").fetchone()[0]
    db.table("links").insert({"id": "x", "pledge_id": pledge, "target_table": "kpis",
                              "target_id": "k", "rank": 1, "score": 1.0, "method": "test",
                              "council": "Elsewhere", "linked_at": "then"})
    matches.rebuild(db, ["Cheshire West and Chester"])
    after = {r["id"]: r["linked_at"] for r in db.query("select id, linked_at from links")}
    assert set(after) == set(before) | {"x"}
    matches.rebuild(db)
    assert "x" not in {r["id"] for r in db.query("select id from links")}


def test_reloading_a_document_without_its_linked_pledges_drops_their_links(sample_run, tmp_path):
    from pledgeflow.records import Pledge
    from pledgeflow.store import db as store

    path = tmp_path / "pf.db"
    shutil.copy(sample_run.db_path, path)
    db = open_db(path)
    matches.rebuild(db)
    row = db.execute("select d.document_id, d.source_id from links l "
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
    assert db.execute("select count(*) from links l join pledges p on p.id = l.pledge_id "
                      "where p.document_id = ?", [row[0]]).fetchone()[0] == 0
    assert db.execute("pragma foreign_key_check").fetchall() == []
