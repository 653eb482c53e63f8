"""Browse the database in Datasette, read-only.

``pledgeflow browse`` starts Datasette on 127.0.0.1 with the database opened immutable
(SQLite never writes it, and Datasette only runs SELECT statements), with titles and
descriptions for every table and column, useful facets, full-text search and canned
queries for the questions researchers ask most. ``--live`` opens it read-only instead
of immutable, for a database a scheduled run may update while you browse.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import click

from pledgeflow import lifeline
from pledgeflow.defaults import DB as DEFAULT_DB
from pledgeflow.records import (
    BLOCK_ID_DOC,
    ID_DOC,
    Record,
    child_tables,
    columns,
    provenance_columns,
    singular,
)
from pledgeflow.research.export import known_kinds
from pledgeflow.store.progress import QUERIES as PROGRESS_QUERIES

LICENCE = ("Extracted from public documents of the named parties and councils; check each "
           "record against its source before quoting it.")

# pledgeflow's own tables and views; each record kind's come from its declaration
# (records.py), as do its columns' descriptions.
TABLES = {
    "sources": ("Sources", "The catalog: one row per manifesto, plan or page set.",
                ["organisation", "council", "party", "kind"]),
    "documents": ("Documents", "Every document loaded, one row per distinct content (its "
                  "sha256); which sources serve it is in source_documents.",
                  ["media_type", "parser"]),
    "source_documents": ("Documents of each source", "Which source serves which document, "
                         "from which URL, as which version (current = 1: the version in "
                         "force); two sources serving the same bytes have a row each.",
                         ["source_id", "current", "version"]),
    "blocks": ("Blocks", "The parsed text of each document: headings, paragraphs, list items "
               "and tables, with page and section.", ["kind", "page"]),
    "pledge_details": ("Pledges with their sources", "Every current pledge with the "
                       "organisation, party and council that made it, the period, the URL and "
                       "page: facet by any of them.",
                       ["organisation", "party", "council", "topic", "kind", "specific",
                        "period"]),
    "changes": ("Changes", "Pledges, targets and KPIs each new version of a source added or "
                "removed, and pages an index page stopped linking (retired).",
                ["kind", "change", "source_id"]),
    "index_pages": ("Index pages", "What the last discovery kept of each discovering "
                    "source's index page: validators for a conditional request, its links.",
                    []),
    "matches": ("Matches", "Each pledge's best-matching KPIs and actions in other documents "
                "about the same council (BM25 with a same-topic bonus), ranked.",
                ["target_table", "council", "rank"]),
    "pledge_evidence": ("Evidence matches", "The matches strong enough to carry evidence of a "
                        "pledge's progress (docs/progress.md): ranked 1 or 2, a score of 5 at "
                        "least, and enough rarer words shared.", ["target_table", "council"]),
    "runs": ("Runs", "One row per pipeline run, with its counts.", ["status"]),
    "failures": ("Failures", "What went wrong, per source and stage.", ["stage", "error_type"]),
}

# Descriptions of the columns of pledgeflow's own tables; a record kind's are declared
# with its fields (records.py).
COLUMNS = {
    "text": "The text as written in the document",
    "section": "The nearest heading above it",
    "page": "Page number (PDFs)",
    "start": "Start of the text, in characters into the parsed document",
    "end": "End of the text, in characters into the parsed document",
    "document_id": "The document (sha256 of its bytes) it came from",
    "lead_in": "The sentence introducing the list it sits in",
    "kind": ("blocks: heading, paragraph, list_item or table; sources: manifesto, "
             "outcome_plan, ...; changes: the record kind, or pages"),
    "id": "The row's id",
    "period": "The period the document covers",
    "pledge_id": "The pledge this belongs to",
    "organisation": "Who wrote the document",
    "council": "The local authority it concerns",
    "party": "The party, where there is one",
    "url": "Where the document was fetched from",
    "final_url": "Where it came from after redirects",
    "title": "The document's title",
    "source_id": "The catalog entry (sources.id)",
    "source_kind": "manifesto, outcome_plan, ...",
    "discover": "1 when the source's pages were found from an index page",
    "media_type": "Sniffed from the bytes",
    "bytes": "Size in bytes",
    "fetched_at": "When it was fetched (UTC)",
    "loaded_at": "When it was loaded (UTC)",
    "etag": "The server's ETag",
    "last_modified": "The server's Last-Modified",
    "raw_path": "Where the raw bytes are kept",
    "processed_path": "Where the parse is saved",
    "parser": "The parser used",
    "parser_version": "Its version",
    "pages": "Page count (PDF)",
    "text_chars": "Length of the parsed text",
    "extractors": "Extractor versions (JSON)",
    "version": "1, 2, 3, ... per source",
    "current": "1 for the version in force",
    "superseded_at": "When a newer version replaced it",
    "part": "Place in the index page",
    "first_seen": "When the source first served these bytes (UTC)",
    "last_seen": "When the source last served them (UTC)",
    "part_url": "The discovered page's URL",
    "idx": "Position in the document",
    "level": "Heading level",
    "depth": "List depth",
    "rows": "Table cells (JSON)",
    "header_rows": "Number of header rows",
    "section_path": "Headings above it (JSON)",
    "ocr": "1 when read by OCR from a scanned page (docs/parsing.md)",
    "change": "added or removed; retired for a page an index page stopped linking",
    "record_id": "The record added or removed",
    "links": "Every link of the page, [URL, text], in page order (JSON)",
    "has_content": "1 when the page has main content of its own",
    "checked_at": "When a run last asked for it (UTC)",
    "previous_document_id": "The version compared with",
    "detected_at": "When (UTC)",
    "target_table": "kpis or actions",
    "target_id": "The KPI or action",
    "rank": "1 = closest",
    "score": "Similarity (higher is closer)",
    "method": "How matched",
    "matched_at": "When matched (UTC)",
    "match_rank": "The match's rank (matches.rank)",
    "match_score": "The match's score (matches.score)",
    "similarity": "Share of rarer words the pledge and the measure have in common",
    "run_id": "The run",
    "stage": "fetch, parse, extract ...",
    "error_type": "The error's type",
    "message": "What went wrong, in one line",
    "occurred_at": "When (UTC)",
    "flow_run_id": "The Prefect flow run",
    "started_at": "Start (UTC)",
    "ended_at": "End (UTC)",
    "status": "completed, ...",
    "catalog": "The catalog file",
    "sources": "Sources selected",
    "fetched": "Sources downloaded",
    "not_modified": "Sources answered 304",
    "parsed": "Documents parsed",
    "documents": "Documents loaded",
    "unchanged": "Sources already up to date",
    "failed": "Sources that failed",
    "records": "Records loaded per kind (JSON)",
}

# Canned queries. Datasette runs a canned query as soon as its page opens, with every
# parameter not yet typed bound to '' (datasette/views/database.py), so each query below
# must answer for '' too. What '' means is chosen per query and noted beside it.
#
# The full-text term goes through FTS_TERM: Datasette's own escape_fts() (the function its
# table search box uses, registered on every connection) quotes each typed word, so
# punctuation and the operators of the FTS5 query syntax (AND, OR, NOT, NEAR, *, ^,
# parentheses, "column:") are read as plain words, and a "quoted phrase" stays a phrase.
# Two gaps of escape_fts() are closed in SQL: it pairs quotes only within a line, so a
# line break is read as a space first; and for text with no words ('', spaces, a lone
# quote) it returns '', which FTS5 rejects, so '""' (an empty phrase, no rows) stands in.
FTS_TERM = "coalesce(nullif(escape_fts(replace(:term, char(10), ' ')), ''), '\"\"')"

QUERIES = {
    # '' -> every organisation: the list of all pledges by topic reads well on its own.
    "pledges_by_topic": {
        "title": "Pledges of one organisation, by topic",
        "description": "Part of the organisation's name, e.g. Labour; empty lists every "
                       "organisation.",
        "sql": "select p.topic, p.text, p.section, d.url, p.page from current_pledges p "
               "join current_documents d on d.id = p.document_id and d.source_id = p.source_id "
               "join sources s on s.id = p.source_id "
               "where s.organisation like '%' || :organisation || '%' order by p.topic, p.start",
    },
    # '' -> no rows: a search for nothing finds nothing; listing every pledge instead
    # would read as if each one had matched.
    "pledges_mentioning": {
        "title": "Pledges mentioning a term, across councils",
        "description": "Pledges containing every word typed, in any order and case, word "
                       "endings ignored (school finds schools); put words in double quotes "
                       "to find them side by side. Punctuation and search operators (AND, "
                       "OR, *, ...) are read as plain words. Empty: no rows.",
        "sql": "select s.council, s.organisation, p.text, d.url, p.page from pledges_fts "
               "join pledges p on p.rowid = pledges_fts.rowid "
               "join current_documents d on d.id = p.document_id "
               "join sources s on s.id = d.source_id "
               f"where pledges_fts match {FTS_TERM} "
               "order by s.council",
    },
    "kpis_side_by_side": {
        "title": "KPIs with baseline and targets side by side",
        "sql": "select s.council, k.measure, k.baseline, (select group_concat(t.period || ': ' "
               "|| coalesce(t.raw, '-'), '; ') from (select * from kpi_targets where kpi_id = "
               "k.id order by position) t) as targets from current_kpis k "
               "join sources s on s.id = k.source_id order by s.council",
    },
    # '' -> that end of the period is open, so with both empty every action shows, those
    # without a dated deadline ("Ongoing", "Annually") last; an empty page would hide
    # the actions just to ask for dates. A start counts from its month (2019 or 2019-03
    # or 2019-03-15 starts with March 2019's deadlines) and an end includes what it
    # names (2020 includes December 2020): deadline_date is YYYY-MM.
    "actions_due": {
        "title": "Actions due in a period",
        "description": "Deadlines from start to end, each YYYY, YYYY-MM or YYYY-MM-DD; leave "
                       "either empty for an open end (both empty: every action, undated "
                       "ones last).",
        "sql": "select a.ref, a.text, a.deadline, a.owners, a.initiative, s.council "
               "from current_actions a join sources s on s.id = a.source_id "
               "where (:start = '' or a.deadline_date >= substr(:start, 1, 7)) "
               "and (:end = '' or substr(a.deadline_date, 1, length(:end)) <= :end) "
               "order by a.deadline_date is null, a.deadline_date",
    },
    # '' -> every pledge (the three queries on :words): all pledges, or all matches, in
    # context is a useful list to scroll; the text typed is matched as part of the
    # pledge's or measure's text (LIKE: any case for A-Z; % and _ are wildcards).
    "pledge_in_context": {
        "title": "A pledge in its context: source, page, section and the surrounding block",
        "description": "Words from the pledge, e.g. 2000 new; empty lists every pledge.",
        "sql": "select p.text as pledge, s.organisation, d.url, p.page, p.section, "
               "b.text as block_text, p.rule from current_pledges p "
               "join current_documents d on d.id = p.document_id and d.source_id = p.source_id "
               "join sources s on s.id = p.source_id "
               "left join blocks b on b.id = p.block_id "
               "where p.text like '%' || :words || '%' order by s.id, p.start",
    },
    "pledge_to_measures": {
        "title": "Pledge -> KPIs and actions on the same subject",
        "description": "Words from the pledge; empty lists the matches of every pledge.",
        "sql": "select p.text as pledge, m.rank, m.score, m.target_table, "
               "coalesce(k.measure, a.ref || ' ' || a.text) as measure_or_action, m.council "
               "from matches m join pledges p on p.id = m.pledge_id "
               "left join kpis k on m.target_table = 'kpis' and k.id = m.target_id "
               "left join actions a on m.target_table = 'actions' and a.id = m.target_id "
               "where p.text like '%' || :words || '%' order by p.id, m.rank",
    },
    "measure_to_pledges": {
        "title": "KPI or action -> the pledges it answers",
        "description": "Words from the KPI's measure or the action's text; empty lists "
                       "every match.",
        "sql": "select coalesce(k.measure, a.ref || ' ' || a.text) as measure_or_action, "
               "m.rank, m.score, p.text as pledge, m.council from matches m "
               "join pledges p on p.id = m.pledge_id "
               "left join kpis k on m.target_table = 'kpis' and k.id = m.target_id "
               "left join actions a on m.target_table = 'actions' and a.id = m.target_id "
               "where coalesce(k.measure, a.text) like '%' || :words || '%' "
               "order by measure_or_action, m.score desc",
    },
    # '' -> every change: "since the beginning" is the natural reading of no date.
    "changes_since": {
        "title": "What changed since a date",
        "description": "A date, e.g. 2025-01-01; empty lists every change.",
        "sql": "select c.detected_at, c.source_id, c.kind, c.change, c.text from changes c "
               "where c.detected_at >= :since order by c.detected_at desc",
    },
}

QUERIES.update(PROGRESS_QUERIES)  # "Is this pledge on track?", "KPIs off track, by council"


def kind_columns(cls: type[Record]) -> dict[str, str]:
    """A record table's column descriptions, from its kind's declaration."""
    own = {c.name: c.doc for c in columns(cls)}
    return {"id": ID_DOC, "document_id": COLUMNS["document_id"], **own,
            **{c.name: c.doc for c in provenance_columns()}, "block_id": BLOCK_ID_DOC,
            "source_id": COLUMNS["source_id"]}  # source_id: of its current_ view


def kind_tables(cls: type[Record]) -> dict[str, dict]:
    """Datasette metadata of a record kind's table and its child tables."""
    tables = {cls.kind: {"title": cls.table_title(), "description": cls.description,
                         "facets": list(cls.facets), "columns": kind_columns(cls)}}
    if cls.fts:
        tables[cls.kind]["fts_table"] = f"{cls.kind}_fts"
    for child in child_tables(cls):
        row = child.row
        tables[child.table] = {
            "title": getattr(row, "title", child.table), "description":
            getattr(row, "description", ""), "facets": list(getattr(row, "facets", ())),
            "columns": {"id": f"<{child.parent_key}>:<position>",
                        child.parent_key: f"The {singular(cls.kind)} it belongs to "
                                          f"({cls.kind}.id)",
                        "document_id": COLUMNS["document_id"],
                        "position": "0-based order of the item in its record",
                        **{c.name: c.doc for c in child.columns}}}
    return tables


def metadata(database_name: str, kinds: Mapping[str, type[Record]] | None = None) -> dict:
    """Datasette metadata: titles, descriptions, facets, search and canned queries, for
    pledgeflow's tables and every record kind (``kinds``: default, the built-ins and every
    installed extractor's)."""
    kinds = known_kinds() if kinds is None else kinds
    tables = {}
    for table, (title, description, facets) in TABLES.items():
        tables[table] = {"title": title, "description": description, "facets": facets,
                         "columns": COLUMNS}
    tables["blocks"]["fts_table"] = "blocks_fts"
    for cls in kinds.values():
        tables.update(kind_tables(cls))
    # the view of current pledges: its columns are the pledges' and the sources'
    tables["pledge_details"]["columns"] = {**COLUMNS, **kind_columns(kinds["pledges"])}
    return {"title": "pledgeflow", "license": "see each source", "description": LICENCE,
            "databases": {database_name: {"tables": tables, "queries": QUERIES}}}


# pledgeflow's own Datasette plugins (typed_search.py: a search box that never fails)
PLUGINS_DIR = Path(__file__).resolve().parent / "datasette_plugins"


def datasette_command(db: Path, port: int, metadata_path: Path, live: bool) -> list[str]:
    """``python -m datasette serve ...``, tied to this process: it ends when browse ends,
    even by SIGKILL (lifeline.py)."""
    opener = [str(db)] if live else ["--immutable", str(db)]
    return lifeline.command("datasette", [
        "serve", *opener, "--host", "127.0.0.1", "--port", str(port),
        "--metadata", str(metadata_path), "--setting", "sql_time_limit_ms", "5000",
        "--plugins-dir", str(PLUGINS_DIR)])


def serve_until_stopped(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` until it exits, stopping it with SIGTERM when this process gets
    SIGINT or SIGTERM; return its exit status, or 0 when a signal stopped it (stopping is
    how a browse ends)."""
    # A session of its own, so that Ctrl-C reaches this process only and the server gets
    # one clean SIGTERM from it, not a KeyboardInterrupt in the middle of its imports.
    process = subprocess.Popen(command, env=env, start_new_session=True)
    stopped: list[int] = []

    def forward(signum: int, frame) -> None:
        stopped.append(signum)
        with contextlib.suppress(ProcessLookupError):
            process.terminate()

    before = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        status = process.wait()
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)
    return 0 if stopped else status


@click.command("browse")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to browse.")
@click.option("--port", type=int, default=8001, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--live", is_flag=True,
              help="Open read-only instead of immutable, for a database being updated.")
def browse_command(db: Path, port: int, live: bool) -> None:
    """Browse the database in Datasette on 127.0.0.1, read-only.

    \b
    Example:
      pledgeflow browse --db processed/pledgeflow.db --port 8001
    """
    from pledgeflow.store.db import NotPledgeflowDatabase, open_db

    try:
        database = open_db(db)  # a foreign file is refused, not served
    except NotPledgeflowDatabase as exc:
        raise click.ClickException(str(exc)) from None
    # Immutable readers ignore the write-ahead log: fold it into the file first, or the
    # latest run's rows would be missing from the browser.
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    with tempfile.TemporaryDirectory() as tmp:
        meta = Path(tmp) / "metadata.json"
        meta.write_text(json.dumps(metadata(db.stem)), encoding="utf-8")
        click.echo(f"pledgeflow: browsing {db} at http://127.0.0.1:{port}/ (Ctrl-C stops)",
                   err=True)
        command = datasette_command(db.resolve(), port, meta, live)
        env = {**os.environ, "DATASETTE_NO_TELEMETRY": "1"}
        raise SystemExit(serve_until_stopped(command, env))
