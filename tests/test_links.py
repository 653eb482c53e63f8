"""Pledges linked to the KPIs and actions on the same subject."""

from __future__ import annotations

import shutil

import pytest

from pledgeflow import links
from pledgeflow.db import open_db


@pytest.fixture(scope="module")
def linked(sample_run, tmp_path_factory):
    path = tmp_path_factory.mktemp("links") / "pf.db"
    shutil.copy(sample_run.db_path, path)
    db = open_db(path)
    links.rebuild(db)
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
        join documents pd on pd.id = p.document_id join sources ps on ps.id = pd.source_id
        left join kpis k on k.id = l.target_id left join actions a on a.id = l.target_id
        join documents td on td.id = coalesce(k.document_id, a.document_id)
        join sources ts on ts.id = td.source_id
        where ps.council != ts.council or pd.id = td.id"""))
    assert wrong == []
    ealing = list(linked.query("select l.id from links l where l.council = 'Ealing'"))
    assert ealing == []  # no plan of Ealing's in the samples: nothing to link to


def test_links_are_ranked_with_score_and_method(linked):
    rows = list(linked.query("select rank, score, method from links order by pledge_id, rank"))
    assert rows and {r["method"] for r in rows} == {"bm25+topic"}
    assert all(1 <= r["rank"] <= 5 and r["score"] > 0 for r in rows)
