"""Links from pledges to the measures on the same subject: KPIs and actions in the other
documents about the same council (a party's manifesto to that council's plans).

Lexical similarity by BM25 (SQLite FTS5, Porter stemming) between the pledge's content
words and each KPI measure or action text, with a bonus when both fall in the same policy
topic; the best few per pledge are stored in ``links`` with their score and method.
"""

from __future__ import annotations

import re

import sqlite_utils

from pledgeflow.db import immediate, now

METHOD = "bm25+topic"
PER_PLEDGE = 5
TOPIC_BONUS = 1.25  # a same-topic candidate's BM25 score is multiplied by this
STOPWORDS = frozenset("""a an and are as at be by for from has have in is it its of on or our
so that the their them these they this to was we will with would all every can more most
make ensure continue including into over up which who your us""".split())


def _terms(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z0-9]+", text.lower())
    return sorted({w for w in words if w not in STOPWORDS and len(w) > 2})


def rebuild(db: sqlite_utils.Database) -> int:
    """Recompute every link between current pledges and current KPIs and actions of the
    same council; returns how many links were stored."""
    from pledgeflow.extractors._classify import Classifier

    classifier = Classifier()
    candidates = list(db.query("""
        select 'kpis' as target_table, k.id as target_id, k.measure as text, s.council,
               k.document_id from current_kpis k join documents d on d.id = k.document_id
               join sources s on s.id = d.source_id
        union all
        select 'actions', a.id, a.text, s.council, a.document_id from current_actions a
               join documents d on d.id = a.document_id join sources s on s.id = d.source_id
    """))
    pledges = list(db.query("""
        select p.id, p.text, p.topic, s.council, p.document_id from current_pledges p
        join documents d on d.id = p.document_id join sources s on s.id = d.source_id"""))
    rows = []
    conn = db.conn
    with immediate(db):
        conn.execute("create temp table if not exists link_candidates "
                     "(target_table, target_id, council, document_id, topic)")
        conn.execute("drop table if exists temp.link_fts")
        conn.execute("create virtual table temp.link_fts using fts5(text, tokenize='porter')")
        conn.execute("delete from temp.link_candidates")
        for n, c in enumerate(candidates, 1):
            conn.execute("insert into temp.link_candidates (rowid, target_table, target_id, "
                         "council, document_id, topic) values (?, ?, ?, ?, ?, ?)",
                         [n, c["target_table"], c["target_id"], c["council"],
                          c["document_id"], classifier.topic(c["text"])])
            conn.execute("insert into temp.link_fts (rowid, text) values (?, ?)",
                         [n, c["text"]])
        for pledge in pledges:
            terms = _terms(pledge["text"])
            if not terms:
                continue
            query = " OR ".join(f'"{t}"' for t in terms)
            scored = []
            for target_table, target_id, topic, bm25 in conn.execute(
                    "select c.target_table, c.target_id, c.topic, bm25(link_fts) "
                    "from temp.link_fts f join temp.link_candidates c on c.rowid = f.rowid "
                    "where link_fts match ? and c.council = ? and c.document_id != ?",
                    [query, pledge["council"], pledge["document_id"]]):
                score = -bm25 * (TOPIC_BONUS if topic == pledge["topic"] else 1.0)
                scored.append((score, target_table, target_id))
            scored.sort(reverse=True)
            for rank, (score, target_table, target_id) in enumerate(scored[:PER_PLEDGE], 1):
                rows.append({"id": f"{pledge['id']}:{target_table}:{target_id}",
                             "pledge_id": pledge["id"], "target_table": target_table,
                             "target_id": target_id, "rank": rank, "score": round(score, 4),
                             "method": METHOD, "council": pledge["council"],
                             "linked_at": now()})
        db.execute("delete from links")
        if rows:
            db.table("links").insert_all(rows)
    return len(rows)
