"""From promise to progress: performance reports' outturns and action updates linked to the
plan KPIs and actions they report on, and the views that follow each pledge to them.

``relink(db, council)`` runs wherever a council's pledges are matched to measures again
(``matches.rebuild``), so outturns are linked whenever the pledges are matched. An
outturn links to a plan KPI of the same council by its measure's similarity (IDF-weighted
word overlap), rows of every report with the same reference voting together, each KPI
taken by one reference at most; an action update links to the plan action with its
reference. The views ``kpi_series`` and ``pledge_progress`` and their rules are described
in docs/progress.md; ``open_db`` makes them (``update_views``).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable

import sqlite_utils

MIN_SCORE = 0.35  # below this similarity an outturn is left unlinked (kpi_id null)
# A pledge's evidence comes through its matches to measures (matches.py, table matches)
# ranked this high, scoring this much at least (BM25 with the topic bonus), whose pledge
# and measure share this much of their rarer words (``similarity``): a match on one
# common word ("school", "pay") is about something else, and a status on it would mislead.
EVIDENCE_RANK = 2
EVIDENCE_SCORE = 5.0
EVIDENCE_SIMILARITY = 0.15
STOPWORDS = frozenset("""a an and are as at be by for from in is of on or the to with who which
their its all than measured increase reduce proportion number percentage""".split())


def relink(db: sqlite_utils.Database, council: str) -> None:
    """Link the council's current outturns and action updates to its plan KPIs and actions;
    creates the tables and views first when the database has none yet."""
    ensure(db)
    _link_outturns(db, council)
    _link_updates(db, council)
    _store_evidence(db, council)


def ensure(db: sqlite_utils.Database) -> None:
    """The outturns and action_updates tables (as their kinds declare), and the views if
    they are not there yet. ``open_db`` makes the views, but only once those tables exist,
    and a database gets them at its first report loaded or its first matching: their
    declarations live with the outturns extractor, which ``open_db`` does not import (it
    loads spaCy)."""
    from pledgeflow.extractors.outturns import ActionUpdate, Outturn
    from pledgeflow.store.db import ensure_kind, table_columns

    for cls in (Outturn, ActionUpdate):
        if not table_columns(db, cls.kind):
            ensure_kind(db, cls)
    update_views(db)  # nothing to do (one read of the schema) once they are there


# The tables the views read (besides pledges, kpis, kpi_targets, sources and
# source_documents, which every database has).
VIEW_TABLES = ("outturns", "action_updates", "pledge_evidence")


def update_views(db: sqlite_utils.Database) -> None:
    """Make kpi_series and pledge_progress as defined here, replacing a view an older
    pledgeflow defined otherwise, once the tables they read exist: SQLite accepts a view
    on a missing table, but then refuses to rename any table or column of the database."""
    stored = dict(db.execute("select name, sql from sqlite_master where type in "
                             "('table', 'view')").fetchall())
    if not all(table in stored for table in VIEW_TABLES):
        return
    for name, sql in VIEWS.items():
        if stored.get(name) != sql:
            db.execute(f"DROP VIEW IF EXISTS {name}")
            db.execute(sql)


def _current(db: sqlite_utils.Database, table: str, columns: str, council: str) -> list[dict]:
    """``columns`` of the council's rows of ``table`` (as ``x``) in current documents."""
    return list(db.query(
        f'select {columns} from "{table}" x where x.document_id in (select l.document_id '
        "from sources s join source_documents l on l.source_id = s.id and l.current = 1 "
        "where s.council = ?) order by x.document_id, x.rowid", [council]))


def words(text: str | None) -> set[str]:
    """Content words, lower case, a plural's s dropped: what two measures share."""
    found = re.findall(r"[a-z0-9]+", (text or "").lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w
            for w in found if w not in STOPWORDS}


def similarity(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """Cosine of two word sets, each word weighted by its rarity among the plan's measures."""
    if not a or not b:
        return 0.0
    weight = lambda w: idf.get(w, max(idf.values(), default=1.0))  # noqa: E731
    shared = sum(weight(w) ** 2 for w in a & b)
    norm = math.sqrt(sum(weight(w) ** 2 for w in a) * sum(weight(w) ** 2 for w in b))
    return shared / norm if norm else 0.0


def _idf(measures: Iterable[set[str]]) -> dict[str, float]:
    measures = list(measures)
    counts: dict[str, int] = defaultdict(int)
    for m in measures:
        for w in m:
            counts[w] += 1
    return {w: math.log(1 + len(measures) / n) for w, n in counts.items()}


def _link_outturns(db: sqlite_utils.Database, council: str) -> None:
    kpis = _current(db, "kpis", "x.id, x.measure", council)
    outturns = _current(db, "outturns", "x.id, x.ref, x.measure", council)
    if not outturns:
        return
    kpi_words = {k["id"]: words(k["measure"]) for k in kpis}
    idf = _idf(kpi_words.values())
    scores = {o["id"]: {k: similarity(words(o["measure"]), w, idf)
                        for k, w in kpi_words.items()} for o in outturns}
    # Rows with the same reference (in one report or across them) report on one KPI:
    # their scores add up, and each KPI goes to the reference (or lone row) that fits best.
    groups: dict[str, list[str]] = defaultdict(list)
    for o in outturns:
        groups[f"ref:{o['ref'].upper()}" if o["ref"] else f"row:{o['id']}"].append(o["id"])
    pairs = sorted(((sum(scores[o][k] for o in members) / len(members), key, k)
                    for key, members in groups.items() for k in kpi_words), reverse=True)
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    for score, key, kpi in pairs:
        if score < MIN_SCORE or key in chosen or kpi in taken:
            continue
        chosen[key] = kpi
        taken.add(kpi)
    measures = {k["id"]: k["measure"] for k in kpis}
    rows = []
    for key, members in groups.items():
        kpi = chosen.get(key)
        for o in members:
            rows.append((kpi, round(scores[o][kpi], 3) if kpi else None,
                         measures.get(kpi), o))
    db.conn.executemany("update outturns set kpi_id = ?, kpi_score = ?, plan_measure = ? "
                        "where id = ?", rows)


def _link_updates(db: sqlite_utils.Database, council: str) -> None:
    actions = {(a["ref"] or "").strip().upper(): a["id"]
               for a in _current(db, "actions", "x.id, x.ref", council)}
    updates = _current(db, "action_updates", "x.id, x.ref", council)
    db.conn.executemany("update action_updates set action_id = ? where id = ?",
                        [(actions.get((u["ref"] or "").strip().upper()), u["id"])
                         for u in updates])


def _store_evidence(db: sqlite_utils.Database, council: str) -> None:
    """The council's pledge-to-measure matches strong enough to carry evidence, in
    pledge_evidence."""
    texts = {("kpis", r["id"]): r["text"]
             for r in _current(db, "kpis", "x.id, x.measure as text", council)}
    texts.update({("actions", r["id"]): r["text"]
                  for r in _current(db, "actions", "x.id, x.text", council)})
    idf = _idf(words(t) for t in texts.values())
    rows = []
    for match in db.query(
            "select m.pledge_id, m.target_table, m.target_id, m.rank, m.score, p.text "
            "from matches m join pledges p on p.id = m.pledge_id "
            "where m.council = ? and m.rank <= ? and m.score >= ?",
            [council, EVIDENCE_RANK, EVIDENCE_SCORE]):
        target = texts.get((match["target_table"], match["target_id"]))
        shared = similarity(words(match["text"]), words(target), idf) if target else 0.0
        if shared >= EVIDENCE_SIMILARITY:
            rows.append((match["pledge_id"], match["target_table"], match["target_id"],
                         match["rank"], match["score"], round(shared, 3), council))
    db.execute("delete from pledge_evidence where council = ?", [council])
    db.conn.executemany("insert or ignore into pledge_evidence values (?, ?, ?, ?, ?, ?, ?)",
                        rows)


# A plan KPI's periods in order: its baseline, each target period of the plan (the
# financial year its heading names) beside the outturns reported for that year, then the
# outturns of years the plan set no target for; with the KPI's latest status.
KPI_SERIES = """CREATE VIEW kpi_series AS
WITH plan AS (
    SELECT k.id AS kpi_id, k.measure, k.baseline, k.document_id, k.start,
           min(l.source_id) AS plan_source_id, s.council
    FROM kpis k JOIN source_documents l ON l.document_id = k.document_id AND l.current = 1
    JOIN sources s ON s.id = l.source_id
    GROUP BY k.id, s.council),
target AS (
    SELECT t.kpi_id, t.position, t.period AS target_period, t.raw AS target,
           t.value AS target_value, t.unit AS target_unit,
           CASE WHEN instr(t.period, '/') > 4
                THEN substr(t.period, instr(t.period, '/') - 4, 7) END AS year
    FROM kpi_targets t),
reported AS (
    SELECT o.kpi_id, o.id AS outturn_id, o.period, substr(o.period, 1, 7) AS year,
           o.actual, o.actual_value, o.actual_unit, o.target AS reported_target, o.status,
           o.direction, min(l.source_id) AS report_source_id
    FROM outturns o JOIN source_documents l ON l.document_id = o.document_id AND l.current = 1
    WHERE o.kpi_id IS NOT NULL
    GROUP BY o.id),
latest AS (
    SELECT kpi_id, status, period FROM (
        SELECT kpi_id, status, period,
               row_number() OVER (PARTITION BY kpi_id ORDER BY period DESC) AS n
        FROM reported) WHERE n = 1),
series AS (
    SELECT t.kpi_id, coalesce(r.period, t.year, t.target_period) AS period, t.target_period,
           t.target, t.target_value, t.target_unit, r.outturn_id, r.report_source_id,
           r.actual, r.actual_value, r.actual_unit, r.reported_target, r.status, r.direction
    FROM target t LEFT JOIN reported r ON r.kpi_id = t.kpi_id AND r.year = t.year
    UNION ALL
    SELECT r.kpi_id, r.period, NULL, NULL, NULL, NULL, r.outturn_id, r.report_source_id,
           r.actual, r.actual_value, r.actual_unit, r.reported_target, r.status, r.direction
    FROM reported r
    WHERE NOT EXISTS (SELECT 1 FROM target t WHERE t.kpi_id = r.kpi_id AND t.year = r.year))
SELECT p.council, p.plan_source_id, p.kpi_id, p.measure, p.baseline, x.period,
       x.target_period, x.target, x.target_value, x.target_unit, x.outturn_id,
       x.report_source_id, x.actual, x.actual_value, x.actual_unit, x.reported_target,
       x.status, x.direction, latest.status AS latest_status, latest.period AS latest_period
FROM plan p JOIN series x ON x.kpi_id = p.kpi_id
LEFT JOIN latest ON latest.kpi_id = p.kpi_id
ORDER BY p.council, p.document_id, p.start, x.period"""

# Each current pledge with the status its evidence supports (docs/progress.md): the latest
# outturn of each plan KPI it is linked to (pledge_evidence) and the latest update on
# each plan action it is linked to, each read as met, on track or off track; one off
# track makes the pledge off track, all met makes it met, and no evidence says so.
PLEDGE_PROGRESS = """CREATE VIEW pledge_progress AS
WITH pledge AS (
    SELECT p.id AS pledge_id, p.text, p.topic, s.council, min(s.id) AS source_id
    FROM pledges p JOIN source_documents l ON l.document_id = p.document_id AND l.current = 1
    JOIN sources s ON s.id = l.source_id
    GROUP BY p.id, s.council),
outturn AS (
    SELECT o.id, o.kpi_id, o.status, o.period, row_number() OVER (
               PARTITION BY o.kpi_id ORDER BY o.period DESC, o.id) AS n
    FROM outturns o JOIN source_documents l ON l.document_id = o.document_id AND l.current = 1
    WHERE o.kpi_id IS NOT NULL AND o.status IS NOT NULL
    GROUP BY o.id),
last_target AS (
    SELECT kpi_id, max(substr(period, instr(period, '/') - 4, 7)) AS year
    FROM kpi_targets WHERE raw IS NOT NULL AND instr(period, '/') > 4 GROUP BY kpi_id),
update_row AS (
    SELECT u.id, u.action_id, u.status, row_number() OVER (
               PARTITION BY u.action_id ORDER BY u.period DESC, u.id) AS n
    FROM action_updates u
    JOIN source_documents l ON l.document_id = u.document_id AND l.current = 1
    WHERE u.action_id IS NOT NULL AND u.status IS NOT NULL
    GROUP BY u.id),
evidence AS (
    SELECT k.pledge_id, o.id, 'outturn' AS evidence_type,
           CASE WHEN o.status = 'green' AND substr(o.period, 1, 7) >= lt.year THEN 'met'
                WHEN o.status = 'green' THEN 'on track'
                ELSE 'off track' END AS verdict
    FROM pledge_evidence k JOIN outturn o ON o.kpi_id = k.target_id AND o.n = 1
    LEFT JOIN last_target lt ON lt.kpi_id = o.kpi_id
    WHERE k.target_table = 'kpis'
    UNION ALL
    SELECT k.pledge_id, u.id, 'action_update',
           CASE u.status WHEN 'complete' THEN 'met' WHEN 'on track' THEN 'on track'
                ELSE 'off track' END
    FROM pledge_evidence k JOIN update_row u ON u.action_id = k.target_id AND u.n = 1
    WHERE k.target_table = 'actions'),
verdicts AS (
    SELECT pledge_id, count(*) AS items, sum(verdict = 'off track') AS off,
           sum(verdict = 'met') AS met, json_group_array(id) AS ids
    FROM (SELECT * FROM evidence ORDER BY pledge_id, evidence_type DESC, id)
    GROUP BY pledge_id)
SELECT p.pledge_id, p.council, p.source_id, p.text, p.topic,
       CASE WHEN v.items IS NULL THEN 'no evidence'
            WHEN v.off > 0 THEN 'off track'
            WHEN v.met = v.items THEN 'met'
            ELSE 'on track' END AS status,
       coalesce(v.ids, '[]') AS evidence,
       CASE WHEN v.items IS NULL THEN 'no_evidence'
            WHEN v.off > 0 THEN 'any_off_track'
            WHEN v.met = v.items THEN 'all_met'
            ELSE 'on_track' END AS rule
FROM pledge p LEFT JOIN verdicts v ON v.pledge_id = p.pledge_id"""

VIEWS = {"kpi_series": KPI_SERIES, "pledge_progress": PLEDGE_PROGRESS}


# Canned queries for `pledgeflow browse` (Datasette binds a parameter not yet typed to '').
QUERIES = {
    # '' -> every pledge that has evidence: the pledges with no evidence would bury them.
    "pledge_on_track": {
        "title": "Is this pledge on track?",
        "description": "Words from the pledge, e.g. rated Good; empty lists every pledge "
                       "with evidence. One row per item of evidence: the outturn or "
                       "action update the status rests on (rules: docs/progress.md).",
        "sql": "select g.status, g.rule, g.text as pledge, g.council, e.value as evidence_id, "
               "coalesce(o.measure || ': ' || coalesce(o.actual, 'no result') || ' against '"
               " || coalesce(o.target, 'no target') || ' (' || coalesce(o.status, 'no status')"
               " || ', ' || o.period || ')', u.ref || ' ' || coalesce(u.status, u.status_raw)"
               " || ': ' || u.text) as evidence "
               "from pledge_progress g left join json_each(g.evidence) e "
               "left join outturns o on o.id = e.value "
               "left join action_updates u on u.id = e.value "
               "where g.text like '%' || :words || '%' "
               "and (:words != '' or g.status != 'no evidence') "
               "order by g.council, g.status, g.pledge_id",
    },
    # '' -> every council.
    "kpis_off_track": {
        "title": "KPIs off track, by council",
        "description": "Plan KPIs whose latest outturn is amber or red. Part of a council's "
                       "name; empty lists every council.",
        "sql": "select distinct council, measure, latest_period, latest_status from kpi_series "
               "where latest_status in ('amber', 'red') "
               "and council like '%' || :council || '%' "
               "order by council, latest_status desc, measure",
    },
}
