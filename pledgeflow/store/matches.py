"""Matches from pledges to the measures on the same subject: KPIs and actions in the other
documents about the same council (a party's manifesto to that council's plans).

Lexical similarity by BM25 (SQLite FTS5, Porter stemming) between the pledge's content
words and each KPI measure or action text, with a bonus when both fall in the same policy
topic; the best few per pledge are stored in the ``matches`` table with their score and
method. (A "link" is something else: a hyperlink, ``discover``, or a source serving a
document, ``source_documents``; see ARCHITECTURE.md, Words.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import sqlite_utils

from pledgeflow.store import progress
from pledgeflow.store.db import immediate, now

METHOD = "bm25+topic"
PER_PLEDGE = 5
TOPIC_BONUS = 1.25  # a same-topic candidate's BM25 score is multiplied by this
STOPWORDS = frozenset("""a an and are as at be by for from has have in is it its of on or our
so that the their them these they this to was we will with would all every can more most
make ensure continue including into over up which who your us""".split())


def _terms(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z0-9]+", text.lower())
    return sorted({w for w in words if w not in STOPWORDS and len(w) > 2})


@functools.cache
def _classifier():
    # Built once: a run matches each council as its last document arrives, and building
    # the classifier (word lists, topic patterns) cost more than scoring a small council.
    from pledgeflow.extractors._classify import Classifier

    return Classifier()


def rebuild(db: sqlite_utils.Database, councils: Iterable[str] | None = None) -> int:
    """Recompute the matches between current pledges and current KPIs and actions of the
    same council, for ``councils`` (every council when None); returns how many were stored.

    Matches never cross councils, so a run matches only the councils it loaded documents for,
    and each council is scored against an index of its own measures: the cost of a run
    follows what it loaded, not the size of the database."""
    classifier = _classifier()
    everything = councils is None
    if everything:
        councils = [r[0] for r in db.execute(
            "select distinct council from sources where council is not null")]
    stored = 0
    matched_at = now()
    with immediate(db):
        if everything:
            db.execute("delete from matches")
        for council in sorted(set(councils)):
            db.execute("delete from matches where council = ?", [council])
            rows = [(*row, METHOD, council, matched_at)
                    for row in _council_matches(db, council, classifier)]
            # executemany with tuples: sqlite-utils' insert_all costs more than the scoring
            # or ignore: bytes served in two councils give their pledges the same
            # candidates twice, and a match once is enough
            cursor = db.conn.executemany(
                "insert or ignore into matches (id, pledge_id, target_table, target_id, rank, "
                "score, method, council, matched_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            stored += cursor.rowcount
            progress.relink(db, council)  # outturns and action updates to KPIs and actions
    return stored


def councils(db: sqlite_utils.Database) -> list[str]:
    """Every council a source names."""
    return [r[0] for r in db.execute(
        "select distinct council from sources where council is not null order by council")]


def expected(db: sqlite_utils.Database, council: str) -> set[str]:
    """The ids of the matches ``rebuild`` would store for the council now (nothing written
    but a temporary index: works on a read-only connection)."""
    return {row[0] for row in _council_matches(db, council, _classifier())}


def stale_councils(db: sqlite_utils.Database, names: Iterable[str]) -> set[str]:
    """Councils whose matches are older than the records they were built from: a current
    document loaded after the council's last matching, or current pledges and measures
    with no match at all. What a run matches again even when it loaded nothing itself
    (records replaced by ``reextract``, or matches deleted by hand)."""
    stale = set()
    for council in names:
        loaded = db.execute(
            "select max(d.loaded_at) from sources s join source_documents l on "
            "l.source_id = s.id and l.current = 1 join documents d on d.id = l.document_id "
            "where s.council = ?", [council]).fetchone()[0]
        matched = db.execute("select max(matched_at) from matches where council = ?",
                             [council]).fetchone()[0]
        if loaded is not None and (matched is None or loaded > matched):
            stale.add(council)
    return stale


def _current_rows(db: sqlite_utils.Database, table: str, columns: str,
                  council: str) -> list[dict]:
    """``columns`` of the council's rows of ``table`` (as ``x``) in current documents, in
    document then row order; a row once, however many of the council's sources serve it.

    Reached from the council's sources, not through the current_* views: those list every
    current document first, so each council's query read the whole database (a run's
    matching grew with the square of its size)."""
    return list(db.query(
        f"select {columns} from documents d "
        f'join "{table}" x on x.document_id = d.id '
        "where d.id in (select l.document_id from sources s join source_documents l "
        "on l.source_id = s.id and l.current = 1 where s.council = ?) "
        "order by d.rowid, x.rowid", [council]))


def _council_matches(db: sqlite_utils.Database, council: str, classifier) -> list[tuple]:
    candidates = [
        *_current_rows(db, "kpis", "'kpis' as target_table, x.id as target_id, "
                       "x.measure as text, x.document_id", council),
        *_current_rows(db, "actions", "'actions' as target_table, x.id as target_id, "
                       "x.text, x.document_id", council)]
    if not candidates:
        return []
    pledges = _current_rows(db, "pledges", "x.id, x.text, x.topic, x.document_id", council)
    conn = db.conn
    # A fresh index per council: emptying one leaves FTS5 deletion markers that slow
    # every later query more than building anew costs.
    conn.execute("drop table if exists temp.match_candidates")
    conn.execute("create temp table match_candidates (target_table, target_id, document_id, "
                 "topic)")
    conn.execute("drop table if exists temp.match_fts")
    conn.execute("create virtual table temp.match_fts using fts5(text, tokenize='porter')")
    conn.executemany("insert into temp.match_candidates (rowid, target_table, target_id, "
                     "document_id, topic) values (?, ?, ?, ?, ?)",
                     [(n, c["target_table"], c["target_id"], c["document_id"],
                       classifier.topic(c["text"])) for n, c in enumerate(candidates, 1)])
    conn.executemany("insert into temp.match_fts (rowid, text) values (?, ?)",
                     [(n, c["text"]) for n, c in enumerate(candidates, 1)])
    sources = {c["document_id"] for c in candidates}
    rows = []
    for pledge in pledges:
        if sources == {pledge["document_id"]}:
            continue  # every measure is in the pledge's own document: none may match
        terms = _terms(pledge["text"])
        if not terms:
            continue
        query = " OR ".join(f'"{t}"' for t in terms)
        scored: list[tuple[float, str, str]] = []
        # Best BM25 first: once even the topic bonus cannot lift a candidate past the
        # fifth best so far, no later one can either, so the rest is never read.
        for target_table, target_id, topic, bm25 in conn.execute(
                "select c.target_table, c.target_id, c.topic, bm25(match_fts) as b "
                "from temp.match_fts f join temp.match_candidates c on c.rowid = f.rowid "
                "where match_fts match ? and c.document_id != ? order by b",
                [query, pledge["document_id"]]):
            if len(scored) >= PER_PLEDGE and -bm25 * TOPIC_BONUS < scored[PER_PLEDGE - 1][0]:
                break
            score = -bm25 * (TOPIC_BONUS if topic == pledge["topic"] else 1.0)
            scored.append((score, target_table, target_id))
            scored.sort(reverse=True)
        for rank, (score, target_table, target_id) in enumerate(scored[:PER_PLEDGE], 1):
            rows.append((f"{pledge['id']}:{target_table}:{target_id}", pledge["id"],
                         target_table, target_id, rank, round(score, 4)))
    return rows
