"""The SQLite store: schema, and atomic loading of one document with its blocks and records.

Every table other tools rely on is described in docs/schema.md. A document is its bytes
(``documents``, keyed by their sha256) with its blocks and records; which sources serve it,
from which URL and as which of their versions, is in ``source_documents``, so two sources
serving the same bytes each keep theirs. Loading is one transaction, so readers see either
the old rows or the new ones.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.db import jsonify_if_needed

from pledgeflow.catalog import Source
from pledgeflow.document import Document
from pledgeflow.records import (
    BUILTIN_KINDS,
    Record,
    child_tables,
    kind_class,
    provenance_columns,
    singular,
)
from pledgeflow.records import columns as kind_columns
from pledgeflow.store import changes, progress

# 3: documents linked to sources through source_documents; 4: the pledge-to-measure
# matches in ``matches`` (until then ``links``, a word that also means a hyperlink).
SCHEMA_VERSION = 4
# How long a connection waits for another process's write transaction before giving up.
BUSY_TIMEOUT_MS = 30_000

# Tables pledgeflow itself manages; no extractor's record kind may take one of these names.
CORE_TABLES = frozenset({"pledgeflow_meta", "sources", "documents", "source_documents", "blocks",
                         "runs", "failures", "index_pages", "matches", "pledge_evidence"})
SAFE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _provenance_types() -> dict[str, Any]:
    """Every record table's provenance columns, from ``Provenance``, and ``block_id``."""
    types = {c.name: c.type for c in provenance_columns() if c.name != "document_id"}
    ocr = types.pop("ocr")  # added after block_id: kept last, as older tables have it
    return {**types, "block_id": str, "ocr": ocr}


_PROVENANCE = _provenance_types()
# The built-in kinds' own columns, from their declarations (records.py).
RECORD_COLUMNS: dict[str, dict[str, Any]] = {
    kind: {c.name: c.type for c in kind_columns(cls)} for kind, cls in BUILTIN_KINDS.items()}
DOCUMENT_FKS = [("document_id", "documents", "id"), ("block_id", "blocks", "id")]


class NotPledgeflowDatabase(ValueError):
    """The file exists but is not a pledgeflow database, so we refuse to write into it."""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_db(path: Path | str) -> sqlite_utils.Database:
    """Open (creating if needed) a pledgeflow database with WAL, FK checks and a busy wait."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: the busy wait covers every statement from the first, including the switch
    # to WAL, which needs the database to itself for a moment.
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        # Look before any write: switching to WAL would already modify someone else's file.
        db = sqlite_utils.Database(conn)
        tables = db.table_names()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotPledgeflowDatabase(f"{path} is not a SQLite database ({exc})") from None
    if tables and "pledgeflow_meta" not in tables:
        db.close()
        raise NotPledgeflowDatabase(
            f"{path} is a SQLite database of another application (no pledgeflow_meta table); "
            "refusing to write into it - use a new or pledgeflow database file"
        )
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _enable_wal(db)
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
    # loses nothing, a power cut may lose the last loads but never corrupts the file, and
    # a re-run loads them again (loads are idempotent). FULL cost an fsync per document.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    ensure_schema(db)
    return db


def _enable_wal(db: sqlite_utils.Database) -> None:
    """Switch to WAL, retrying while another connection holds the file.

    Leaving rollback-journal mode needs the file to itself, and SQLite reports "database is
    locked" at once, without the busy wait, when another process is opening the same new
    database at that moment. The switch is idempotent, so try again until the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create any missing table, index and FTS index; safe to call on every open.

    It runs in one BEGIN IMMEDIATE transaction, so two processes opening a new database
    at once take turns: the second finds the schema complete instead of racing to create
    the same tables, columns and FTS indexes (which fails with "already exists", or with
    "database is locked" when a read turns into a write after the other has written).
    A database of schema 2 or older is first moved to source_documents
    (``_migrate_to_source_documents``); one of schema 3 has its matches renamed
    (``_migrate_to_matches``) in the same transaction as the rest.
    """
    if "source_id" in db.table("documents").columns_dict:
        _migrate_to_source_documents(db)
    with immediate(db):
        _ensure_schema(db)


# What a source says of a document it serves: moved out of ``documents`` in schema 3.
LINK_DDL = """CREATE TABLE IF NOT EXISTS source_documents (
    id INTEGER PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(id),
    document_id TEXT NOT NULL REFERENCES documents(id),
    url TEXT, final_url TEXT, fetched_at TEXT, etag TEXT, last_modified TEXT,
    part INTEGER, part_url TEXT, version INTEGER, current INTEGER,
    first_seen TEXT, last_seen TEXT, superseded_at TEXT)"""
LINK_FIELDS = ("url", "final_url", "fetched_at", "etag", "last_modified")
DOCUMENT_COLUMNS: dict[str, Any] = {
    "id": str, "media_type": str, "bytes": int, "raw_path": str, "processed_path": str,
    "parser": str, "parser_version": str, "pages": int, "title": str, "text_chars": int,
    "extractors": str, "loaded_at": str}


def _migrate_to_source_documents(db: sqlite_utils.Database) -> None:
    """Schema 2 (or 1) to 3: each document row's source, URL, part and version become a
    row of source_documents, and documents keeps what belongs to the bytes.

    ``documents`` is rebuilt (SQLite cannot drop a column with a foreign key), which needs
    foreign keys off: dropping the old table would otherwise count every record as an
    orphan. Rowids are kept, so anything ordered by them keeps its order. One transaction:
    a failure leaves the database at its old schema; two processes take turns and the
    second finds nothing to do."""
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        with immediate(db):
            columns = db.table("documents").columns_dict
            if "source_id" not in columns:
                return

            def old(name: str, default: str = "NULL") -> str:
                return f'"{name}"' if name in columns else default

            db.execute(LINK_DDL)
            db.execute(
                "INSERT INTO source_documents (source_id, document_id, url, final_url, "
                "fetched_at, etag, last_modified, part, part_url, version, current, first_seen, "
                "last_seen, superseded_at) SELECT source_id, id, url, final_url, fetched_at, "
                f"etag, last_modified, {old('part')}, {old('part_url')}, "
                f"coalesce({old('version')}, 1), coalesce({old('current')}, 1), "
                "coalesce(fetched_at, loaded_at), coalesce(fetched_at, loaded_at), "
                f"{old('superseded_at')} FROM documents WHERE source_id IS NOT NULL "
                "ORDER BY rowid")
            for (view,) in db.execute("select name from sqlite_master where type = 'view'"
                                      ).fetchall():
                db.execute(f'DROP VIEW "{view}"')  # they name documents; made again below
            db.table("documents_new").create(DOCUMENT_COLUMNS, pk="id")
            names = ", ".join(f'"{c}"' for c in DOCUMENT_COLUMNS)
            db.execute(f"INSERT INTO documents_new (rowid, {names}) "
                       f"SELECT rowid, {names} FROM documents")
            db.execute("DROP TABLE documents")
            db.execute("ALTER TABLE documents_new RENAME TO documents")
            meta = db.table("pledgeflow_meta")
            meta.create({"key": str, "value": str}, pk="key", if_not_exists=True)
            meta.upsert({"key": "schema_version", "value": "3"}, pk="key")
    finally:
        db.execute("PRAGMA foreign_keys=ON")


def stored_schema_version(conn: sqlite_utils.Database | sqlite3.Connection) -> int | None:
    """The schema version a database records in pledgeflow_meta (None: none recorded);
    ValueError when what it records is no number."""
    row = conn.execute("select value from pledgeflow_meta where key = 'schema_version'"
                       ).fetchone()
    return int(row[0]) if row else None


def _ensure_schema(db: sqlite_utils.Database) -> None:
    meta = db.table("pledgeflow_meta").create({"key": str, "value": str}, pk="key",
                                              if_not_exists=True)
    stored = stored_schema_version(db)
    if stored is not None and stored > SCHEMA_VERSION:
        raise ValueError(f"database schema version {stored} is newer than this pledgeflow "
                         f"({SCHEMA_VERSION}); upgrade pledgeflow")
    if stored != SCHEMA_VERSION:
        meta.upsert({"key": "schema_version", "value": str(SCHEMA_VERSION)}, pk="key")
    db.table("sources").create(
        {"id": str, "url": str, "organisation": str, "council": str, "party": str, "kind": str,
         "title": str, "period": str, "discover": int}, pk="id", if_not_exists=True)
    db.table("documents").create(DOCUMENT_COLUMNS, pk="id", if_not_exists=True)
    db.execute(LINK_DDL)
    # One link per source, page and bytes: a source going back to older bytes makes that
    # link its newest version again.
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS source_documents_key ON source_documents "
               "(source_id, ifnull(part_url, ''), document_id)")
    db.execute("CREATE INDEX IF NOT EXISTS source_documents_document ON source_documents "
               "(document_id)")
    db.table("blocks").create(
        {"id": str, "document_id": str, "idx": int, "kind": str, "text": str, "page": int,
         "section": str, "section_path": str, "level": int, "depth": int, "lead_in": str,
         "start": int, "end": int, "rows": str, "header_rows": int},
        pk="id", foreign_keys=[("document_id", "documents", "id")], if_not_exists=True)
    for cls in BUILTIN_KINDS.values():
        _create_kind_tables(db, cls)
    db.table("runs").create(
        {"id": str, "flow_run_id": str, "started_at": str, "ended_at": str, "status": str,
         "catalog": str, "sources": int, "fetched": int, "not_modified": int, "parsed": int,
         "documents": int, "unchanged": int, "failed": int, "records": str},
        pk="id", if_not_exists=True)
    # Added after schema version 1: bring older databases up to date in place.
    add_missing_columns(db, "runs", {"fetched": int, "not_modified": int, "parsed": int})
    add_missing_columns(db, "sources", {"discover": int})
    _migrate_to_matches(db)  # before matches is made: a schema-3 database's rows move
    db.table("matches").create(
        {"id": str, "pledge_id": str, "target_table": str, "target_id": str, "rank": int,
         "score": float, "method": str, "council": str, "matched_at": str},
        pk="id", foreign_keys=[("pledge_id", "pledges", "id")], if_not_exists=True)
    # The matches strong enough to carry evidence of a pledge's progress (progress.py).
    db.execute("CREATE TABLE IF NOT EXISTS pledge_evidence (pledge_id TEXT, target_table TEXT, "
               "target_id TEXT, match_rank INTEGER, match_score REAL, similarity REAL, "
               "council TEXT, PRIMARY KEY (pledge_id, target_table, target_id))")
    db.execute("CREATE INDEX IF NOT EXISTS pledge_evidence_council ON pledge_evidence (council)")
    db.execute("""CREATE TABLE IF NOT EXISTS changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source_id TEXT REFERENCES sources(id),
        document_id TEXT REFERENCES documents(id),
        previous_document_id TEXT, kind TEXT, change TEXT, record_id TEXT, text TEXT,
        detected_at TEXT)""")
    # Raw DDL: table.create() has no AUTOINCREMENT option, and failure ids must never be reused.
    db.execute("""CREATE TABLE IF NOT EXISTS failures (
        id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT,
        source_id TEXT REFERENCES sources(id), document_id TEXT, stage TEXT,
        error_type TEXT, message TEXT, occurred_at TEXT, url TEXT)""")
    add_missing_columns(db, "failures", {"url": str})  # added after schema version 2
    # Added with retirements and conditional index requests; a schema-2 database moved to
    # source_documents by ``_migrate_to_source_documents`` gets them here too.
    add_missing_columns(db, "changes", {"run_id": str})
    db.table("index_pages").create(
        {"source_id": str, "url": str, "final_url": str, "etag": str, "last_modified": str,
         "fetched_at": str, "links": str, "title": str, "has_content": int, "run_id": str,
         "checked_at": str},
        pk="source_id", foreign_keys=[("source_id", "sources", "id")], if_not_exists=True)
    for table, column in [("blocks", "document_id"),
                          ("failures", "source_id"), ("failures", "run_id"),
                          ("changes", "source_id"), ("changes", "document_id"),
                          ("matches", "pledge_id"), ("matches", "target_id"),
                          ("matches", "council"), ("sources", "council")]:
        db.table(table).create_index([column], if_not_exists=True)
    for cls in BUILTIN_KINDS.values():
        _index_kind_tables(db, cls)
    for table, fts_columns in FTS_COLUMNS.items():
        _ensure_fts(db, table, fts_columns)
    _create_current_views(db)
    progress.update_views(db)


# What a schema-3 database called its matches' columns, and what they are called now.
_RENAMED_COLUMNS = {"links": {"linked_at": "matched_at"},
                    "pledge_evidence": {"link_rank": "match_rank", "link_score": "match_score"}}


def _migrate_to_matches(db: sqlite_utils.Database) -> None:
    """Schema 3 to 4: the pledge-to-measure matches' table ``links`` becomes ``matches``
    (rows, rowids and any view on it carried over by SQLite's RENAME), its ``linked_at``
    becomes ``matched_at`` and ``pledge_evidence``'s ``link_rank`` and ``link_score``
    become ``match_rank`` and ``match_score``. The indexes named after ``links`` go;
    ``_ensure_schema`` makes them again under the new name. Runs inside its transaction,
    so a failure leaves the database at schema 3."""
    links = db.table("links").columns_dict
    # only pledgeflow's own table: a record kind may be called links now
    if "pledge_id" not in links or "target_table" not in links or "document_id" in links:
        return
    if db.table("matches").exists():
        raise ValueError("the database has both links (pledge-to-measure matches of schema 3) "
                         "and matches; rename or drop one of them before opening it")
    for table, renamed in _RENAMED_COLUMNS.items():
        existing = db.table(table).columns_dict
        for old, new in renamed.items():
            if old in existing:
                db.execute(f'ALTER TABLE "{table}" RENAME COLUMN "{old}" TO "{new}"')
    db.execute("ALTER TABLE links RENAME TO matches")
    for column in ("pledge_id", "target_id", "council"):
        db.execute(f'DROP INDEX IF EXISTS "idx_links_{column}"')


def _kind_tables(cls: type[Record]) -> list[tuple[str, dict[str, Any], list]]:
    """The tables a record kind declares: its own, then its child tables, each as (name,
    columns, foreign keys)."""
    tables = [(cls.kind, {"id": str, "document_id": str,
                          **{c.name: c.type for c in kind_columns(cls)}, **_PROVENANCE},
               DOCUMENT_FKS)]
    for child in child_tables(cls):
        tables.append((child.table, {"id": str, child.parent_key: str, "document_id": str,
                                     "position": int, **{c.name: c.type for c in child.columns}},
                       [(child.parent_key, cls.kind, "id"), ("document_id", "documents", "id")]))
    return tables


def _create_kind_tables(db: sqlite_utils.Database, cls: type[Record]) -> None:
    """A kind's tables, made when missing; a column the kind declares that a table made by
    an older pledgeflow lacks (``kpis.definition``) is added, empty for its older rows."""
    for table, table_columns, fks in _kind_tables(cls):
        if db.table(table).exists():
            add_missing_columns(db, table, table_columns)
        else:
            db.table(table).create(table_columns, pk="id", foreign_keys=fks)


def add_missing_columns(db: sqlite_utils.Database, table: str, columns: dict[str, Any]) -> None:
    """Add the columns a table made by an older pledgeflow lacks (empty for its rows)."""
    existing = db.table(table).columns_dict
    for column, column_type in columns.items():
        if column not in existing:
            db.table(table).add_column(column, column_type)


def _index_kind_tables(db: sqlite_utils.Database, cls: type[Record]) -> None:
    """An index on every foreign-key column: deleting a parent row (a version's blocks or
    records) looks its children up by it. block_id too: without it, reloading one plan
    into a 100-plan database took minutes (a scan of every record table per block)."""
    for table, _, fks in _kind_tables(cls):
        for column, _, _ in fks:
            db.table(table).create_index([column], if_not_exists=True)


def ensure_kind(db: sqlite_utils.Database, cls: type[Record]) -> None:
    """Create a record kind's tables, indexes, full-text index and ``current_`` views as
    its declaration says, when they are missing: a kind known only from an installed
    extractor gets them at its first load, inside the load's transaction (so a failed load
    leaves none of them). Plain statements only: sqlite-utils' ``enable_fts`` would commit."""
    _check_name(cls.kind, "record kind", reserved={"kpi_targets"})
    for child in child_tables(cls):
        _check_name(child.table, "child table", reserved=set(RECORD_COLUMNS))
    own = {c.name for c in kind_columns(cls)}
    if not set(cls.fts) <= own:
        raise ValueError(f"record kind {cls.kind!r} declares full-text columns it does not "
                         f"have: {', '.join(sorted(set(cls.fts) - own))}")
    _create_kind_tables(db, cls)
    _index_kind_tables(db, cls)
    if cls.fts and not table_columns(db, f"{cls.kind}_fts"):
        names = ", ".join(f'"{c}"' for c in cls.fts)
        db.execute(f'CREATE VIRTUAL TABLE "{cls.kind}_fts" USING FTS5 (\n    {names},\n'
                   f"    tokenize='porter',\n    content=\"{cls.kind}\"\n)")
        _fts_triggers(db, cls.kind, cls.fts)
    for table, _, _ in _kind_tables(cls):
        _create_current_view(db, table)


# Full-text indexes: the table and the columns its FTS5 index covers (record kinds: as
# each declares).
FTS_COLUMNS = {"blocks": ("text", "section"),
               **{kind: cls.fts for kind, cls in BUILTIN_KINDS.items() if cls.fts}}


def _fts_columns(db: sqlite_utils.Database) -> dict[str, tuple[str, ...]]:
    """FTS_COLUMNS, and the full-text indexes of other kinds this process knows that the
    database has."""
    out = dict(FTS_COLUMNS)
    for table in record_tables(db):
        cls = kind_class(table)
        if table not in out and cls is not None and cls.fts and \
                table_columns(db, f"{table}_fts"):
            out[table] = cls.fts
    return out


def _ensure_fts(db: sqlite_utils.Database, table: str, columns: tuple[str, ...]) -> None:
    """An external-content FTS5 index on ``table``, with triggers for deletes and updates
    but none for inserts: loads index their new rows themselves (``_index_rows``), once per
    group of documents, because FTS5 writes a new index segment at every commit and
    savepoint, which made a row-by-row insert trigger most of the cost of a load. Rows
    inserted by other tools are not indexed: ``pledgeflow doctor`` reports them.

    A database made before this has sqlite-utils' insert trigger as well: it goes (the
    index it kept is in sync). With it gone, ``replace=True`` only rebuilds an index whose
    definition differs, as sqlite-utils compares triggers only when all three exist."""
    db.execute(f'DROP TRIGGER IF EXISTS "{table}_ai"')
    db.table(table).enable_fts(list(columns), create_triggers=False, tokenize="porter",
                               replace=True)
    _fts_triggers(db, table, columns)


def _fts_triggers(db: sqlite_utils.Database, table: str, columns: tuple[str, ...]) -> None:
    fts, names = f"{table}_fts", ", ".join(f'"{c}"' for c in columns)
    old = ", ".join(f'old."{c}"' for c in columns)
    new = ", ".join(f'new."{c}"' for c in columns)
    take_out = (f'INSERT INTO "{fts}" ("{fts}", rowid, {names}) '
                f"VALUES('delete', old.rowid, {old});")
    put_in = f'INSERT INTO "{fts}" (rowid, {names}) VALUES (new.rowid, {new});'
    db.execute(f'CREATE TRIGGER IF NOT EXISTS "{table}_ad" AFTER DELETE ON "{table}" '
               f"BEGIN {take_out} END")
    db.execute(f'CREATE TRIGGER IF NOT EXISTS "{table}_au" AFTER UPDATE ON "{table}" '
               f"BEGIN {take_out} {put_in} END")


def _index_rows(db: sqlite_utils.Database, document_ids: list[str]) -> None:
    """Add these documents' blocks and pledges to the full-text indexes (their rows are
    in, and not indexed yet)."""
    if not document_ids:
        return
    marks = ", ".join("?" for _ in document_ids)
    for table, columns in _fts_columns(db).items():
        names = ", ".join(f'"{c}"' for c in columns)
        db.execute(f'INSERT INTO "{table}_fts" (rowid, {names}) SELECT rowid, {names} '
                   f'FROM "{table}" WHERE document_id IN ({marks})', document_ids)


# Documents loaded in an open ``load_group`` and not yet in the full-text indexes, per
# connection (``id(conn)``: the entry lives only while its group does).
_unindexed: dict[int, list[str]] = {}


@contextmanager
def load_group(db: sqlite_utils.Database) -> Iterator[None]:
    """One transaction for several documents' loads. Each ``load_document`` in it is still
    all-or-nothing (a savepoint: a failed one leaves no row and the others stay), and the
    full-text indexes take the group's new rows at once, before COMMIT, so a reader never
    sees rows that search cannot find. A crash loses the group's loads, which the next
    run makes again (nothing marks them done)."""
    key = id(db.conn)
    if key in _unindexed or db.conn.in_transaction:  # already in one: it indexes at its end
        with immediate(db):
            yield
        return
    _unindexed[key] = []
    try:
        with immediate(db):
            yield
            _index_rows(db, _unindexed[key])
    finally:
        del _unindexed[key]


def _create_current_views(db: sqlite_utils.Database) -> None:
    """current_<table>: the rows of each source's current documents, under every source that
    serves them now (a document two sources serve shows twice, once with each source_id)."""
    link = ", ".join(f"l.{c}" for c in ("source_id", *LINK_FIELDS, "part", "part_url",
                                           "version", "current", "first_seen", "last_seen",
                                           "superseded_at"))
    db.execute(f"CREATE VIEW IF NOT EXISTS current_documents AS SELECT d.*, {link} "
               "FROM source_documents l JOIN documents d ON d.id = l.document_id "
               "WHERE l.current = 1")
    builtin = [table for cls in BUILTIN_KINDS.values() for table, _, _ in _kind_tables(cls)]
    # and every other table of a document's rows (a third-party kind's) but changes
    others = [t for t in record_tables(db) if t not in (*builtin, "blocks", "changes")]
    for table in [*builtin, "blocks", *others]:
        _create_current_view(db, table)
    # One row per current pledge and source with who made it and where: what browsing
    # facets on.
    db.execute("""CREATE VIEW IF NOT EXISTS pledge_details AS
        SELECT p.id, p.text, p.topic, p.kind, p.specific, p.section, p.page, p.lead_in,
               s.organisation, s.party, s.council, s.kind AS source_kind, s.period,
               s.id AS source_id, l.url, p.document_id, p.block_id, p.rule
        FROM source_documents l JOIN pledges p ON p.document_id = l.document_id
        JOIN sources s ON s.id = l.source_id WHERE l.current = 1""")


def _create_current_view(db: sqlite_utils.Database, table: str) -> None:
    db.execute(f"CREATE VIEW IF NOT EXISTS current_{table} AS "
               f"SELECT x.*, l.source_id FROM source_documents l "
               f"JOIN {table} x ON x.document_id = l.document_id WHERE l.current = 1")


def upsert_sources(db: sqlite_utils.Database, sources: list[Source]) -> None:
    # Upsert (INSERT ... ON CONFLICT UPDATE), never REPLACE: a delete would break documents' FK.
    with immediate(db):
        db.table("sources").upsert_all([s.row() for s in sources], pk="id", alter=True)


def carry_renamed(db: sqlite_utils.Database, sources: list[Source],
                  listed: set[str]) -> list[tuple[str, str]]:
    """Sources the catalog renamed: a source new to the database (no document yet) whose
    URL is that of exactly one source with documents that the catalog no longer lists
    (``listed``: every id of the catalog file, not only those selected). Its documents'
    links, versions and changes move to the new id, and so does what discovery kept of its
    index page (``index_pages``) unless the new id has its own; returns (old id, new id)
    pairs.

    Without this, the new id's first run fetched the same bytes and reported them
    unchanged, and the records stayed under the old id."""
    renamed = []
    with immediate(db):
        for source in sources:
            if db.execute("select 1 from source_documents where source_id = ? limit 1",
                          [source.id]).fetchone():
                continue
            old = [r[0] for r in db.execute(
                "select s.id from sources s where s.url = ? and s.id != ? and exists "
                "(select 1 from source_documents l where l.source_id = s.id)",
                [source.url, source.id]) if r[0] not in listed]
            if len(old) != 1:
                continue  # none, or several that could be it: leave them be
            for table in ("source_documents", "changes"):
                db.execute(f"update {table} set source_id = ? where source_id = ?",
                           [source.id, old[0]])
            db.execute("update index_pages set source_id = ? where source_id = ? and not "
                       "exists (select 1 from index_pages where source_id = ?)",
                       [source.id, old[0], source.id])
            renamed.append((old[0], source.id))
    return renamed


def document_is_current(db: sqlite_utils.Database, document_id: str,
                        extractor_versions: dict[str, str]) -> bool:
    """True when these exact bytes were already loaded by these exact extractor versions
    (for whichever source, and whether or not any source serves them now): their records
    need no new extraction.

    Being current for a source is the link's business, not the bytes': the caller still
    calls ``link_source``, which makes bytes of a superseded version (a page back to what
    it was, or linked again after its index had dropped it) that source's current
    version again, and links bytes another source brought."""
    row = db.execute("select extractors from documents where id = ?", [document_id]).fetchone()
    return row is not None and json.loads(row[0] or "{}") == extractor_versions


def previous_fetch(db: sqlite_utils.Database, source_id: str,
                   part_url: str | None = None) -> dict | None:
    """What we hold of a source's current version (of one discovered page, by its URL):
    its id, validators and stored files."""
    row = db.execute(
        "select l.document_id, l.etag, l.last_modified, d.raw_path, d.processed_path, "
        "d.extractors, d.media_type from source_documents l join documents d "
        "on d.id = l.document_id where l.source_id = ? and l.part_url is ? and l.current = 1",
        [source_id, part_url]).fetchone()
    if row is None:
        return None
    keys = ("document_id", "etag", "last_modified", "raw_path", "processed_path", "extractors",
            "media_type")
    out = dict(zip(keys, row, strict=True))
    out["extractors"] = json.loads(out["extractors"] or "{}")
    return out


def documents_with_unread_pages(db: sqlite_utils.Database) -> set[str]:
    """Documents a run loaded with scanned pages unread (a ``PagesNotRead`` failure), then
    or since: whether their stored parse still has some is its saved parse's business."""
    return {r[0] for r in db.execute("select distinct document_id from failures where "
                                     "error_type = 'PagesNotRead' and document_id is not null")}


def previous_index(db: sqlite_utils.Database, source_id: str) -> dict | None:
    """What the last discovery kept of a source's index page (``save_index_page``), as the
    fields of ``discover.IndexPage``; None before the first."""
    row = db.execute("select url, final_url, etag, last_modified, links, title, has_content, "
                     "fetched_at from index_pages where source_id = ?", [source_id]).fetchone()
    if row is None:
        return None
    keys = ("url", "final_url", "etag", "last_modified", "links", "title", "has_content",
            "fetched_at")
    out = dict(zip(keys, row, strict=True))
    out["links"] = [tuple(link) for link in json.loads(out["links"] or "[]")]
    out["has_content"] = bool(out["has_content"])
    return out


def save_index_page(db: sqlite_utils.Database, source_id: str, page: dict,
                    run_id: str | None = None) -> None:
    """Keep a discovered index page's validators and links for the next run (one row per
    source, replaced each time)."""
    row = {**page, "source_id": source_id, "links": json.dumps(page["links"]),
           "has_content": int(page["has_content"]), "run_id": run_id, "checked_at": now()}
    with immediate(db):
        db.table("index_pages").upsert(row, pk="source_id")


def source_councils(db: sqlite_utils.Database, source_ids: list[str]) -> set[str]:
    marks = ", ".join("?" for _ in source_ids)
    return {r[0] for r in db.execute(
        f"select council from sources where id in ({marks}) and council is not null",
        source_ids)}


def document_row(db: sqlite_utils.Database, document_id: str) -> dict:
    return db.table("documents").get(document_id)


def document_sources(db: sqlite_utils.Database, document_id: str) -> list[str]:
    """The sources that link to a document (any version), in the order they first did."""
    return [r[0] for r in db.execute(
        "select source_id from source_documents where document_id = ? group by source_id "
        "order by min(id)", [document_id])]


@contextmanager
def immediate(db: sqlite_utils.Database) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception.

    IMMEDIATE takes the write lock up front, so two loaders wait (busy_timeout) instead of
    failing half-way: a deferred transaction that reads first and then writes cannot wait
    in WAL mode if another process committed in between (SQLITE_BUSY_SNAPSHOT, reported as
    "database is locked"). sqlite-utils nests its own writes as savepoints inside an open
    transaction, so nothing it does commits early. Inside a transaction already open on
    this connection, the block becomes a savepoint of it.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


_schema_facts: dict[tuple, Any] = {}


def _schema_fact(db: sqlite_utils.Database, name: tuple, compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered per database file and schema version (which changes when a
    table or column is added); an in-memory database has no file to key on, so it asks."""
    file = db.execute("PRAGMA database_list").fetchone()[2]
    if not file:
        return compute()
    key = (file, db.execute("PRAGMA schema_version").fetchone()[0], *name)
    if key not in _schema_facts:
        _schema_facts[key] = compute()
    return _schema_facts[key]


def table_columns(db: sqlite_utils.Database, table: str) -> frozenset[str]:
    """The table's column names (empty when it does not exist), remembered: asking SQLite
    cost two queries per table per document loaded."""
    def columns() -> frozenset[str]:
        t = db.table(table)
        return frozenset(t.columns_dict) if t.exists() else frozenset()

    return _schema_fact(db, ("columns", table), columns)


def record_tables(db: sqlite_utils.Database) -> list[str]:
    """Every table whose rows belong to a document's bytes (blocks, records, child rows,
    changes), by FK; not source_documents, which says who serves the document.

    Remembered: reading every table's foreign keys took dozens of queries, twice a load,
    while the schema changes only when a new record kind arrives."""
    return list(_schema_fact(db, ("record_tables",), lambda: [
        t.name for t in db.tables
        if t.name != "source_documents"
        and any(fk.column == "document_id" and fk.other_table == "documents"
                for fk in t.foreign_keys)]))


def load_document(db: sqlite_utils.Database, doc: Document, records: list[Record], *,
                  source_id: str, fetched: dict, raw_path: str, processed_path: str,
                  extractor_versions: dict[str, str], part: int | None = None,
                  part_url: str | None = None) -> dict[str, int]:
    """Store a document with its records and make it the source's current version, in one
    transaction; return rows per table.

    ``store_document`` then ``link_source``: the bytes' rows are replaced (by whichever
    source brought them), every other source serving the same bytes keeps its link, and
    this source's earlier versions stay with theirs. A page found by discovery
    (``part_url``, ``part`` = its place in the index) has versions of its own.
    """
    index_group_before_replacing(db, doc.id)  # outside this load's savepoint
    with immediate(db):
        counts = store_document(db, doc, records, fetched=fetched, raw_path=raw_path,
                                processed_path=processed_path,
                                extractor_versions=extractor_versions)
        link_source(db, source_id, doc.id, fetched, part=part, part_url=part_url)
    return counts


def store_document(db: sqlite_utils.Database, doc: Document, records: list[Record], *,
                   fetched: dict, raw_path: str, processed_path: str,
                   extractor_versions: dict[str, str]) -> dict[str, int]:
    """Store one document's bytes' rows (document, blocks, records, child rows),
    atomically, replacing any earlier rows of the same bytes; the ``changes`` of every
    source serving it are computed again against the new records. Returns rows per table.

    Which source serves it is not set here (``link_source``): re-extracting a document
    keeps every source's link as it was."""
    counts: dict[str, int] = dict.fromkeys(
        [t for cls in BUILTIN_KINDS.values() for t, _, _ in _kind_tables(cls)], 0)
    group = _unindexed.get(id(db.conn))
    index_group_before_replacing(db, doc.id)
    existed = db.execute("select 1 from documents where id = ?", [doc.id]).fetchone()
    with immediate(db):
        _delete_document_rows(db, doc.id)
        row = {
            "id": doc.id, "media_type": fetched.get("media_type", doc.media_type),
            "bytes": fetched.get("bytes"), "raw_path": raw_path,
            "processed_path": processed_path, "parser": doc.parser,
            "parser_version": doc.parser_version, "pages": doc.pages, "title": doc.title,
            "text_chars": len(doc.text),
            "extractors": json.dumps(extractor_versions, sort_keys=True), "loaded_at": now()}
        if existed:  # an update, not delete and insert: source_documents rows point at it
            db.table("documents").update(doc.id, row)
        else:
            _insert_rows(db, "documents", [row], fks=[])
        _insert_rows(db, "blocks", [{
            "id": f"{doc.id}:{b.index}", "document_id": doc.id, "idx": b.index, "kind": b.kind,
            "text": b.text, "page": b.page, "section": b.heading, "section_path": b.section,
            "level": b.level, "depth": b.depth, "lead_in": b.lead_in, "start": b.start,
            "end": b.end, "rows": b.rows, "header_rows": b.header_rows,
            "ocr": int(b.ocr),
        } for b in doc.blocks], fks=[])
        ours = set(record_tables(db))
        tables = _record_rows(doc, records)
        for table in tables:
            if table not in ours and db.table(table).exists():
                raise ValueError(f"table {table!r} exists but holds no document rows; "
                                 "a record kind cannot write into it")
        for cls in {type(r) for r in records}:
            if not table_columns(db, cls.kind):  # a kind new to this database
                ensure_kind(db, cls)
        for table, (rows, fks) in tables.items():
            _insert_rows(db, table, rows, fks)
            counts[table] = len(rows)
        for source_id, part_url, version in db.execute(
                "select source_id, part_url, version from source_documents "
                "where document_id = ?", [doc.id]).fetchall():
            _record_changes(db, source_id, part_url, doc.id, version)
        if group is None:
            _index_rows(db, [doc.id])
    if group is not None:  # indexed with the group's others, before its COMMIT
        group.append(doc.id)
    return counts


def index_group_before_replacing(db: sqlite_utils.Database, document_id: str) -> None:
    """Replacing stored bytes: the delete triggers take their rows out of the full-text
    index, so they must be in it, and they may be ones the open load group has not indexed
    yet. Called before the load's savepoint opens, so a failed load does not undo the
    group's indexing (which would leave those rows out of the index for good)."""
    group = _unindexed.get(id(db.conn))
    if group and db.execute("select 1 from documents where id = ?",
                            [document_id]).fetchone():
        _index_rows(db, group)
        group.clear()


def link_source(db: sqlite_utils.Database, source_id: str, document_id: str,
                fetched: dict | None = None, *, part: int | None = None,
                part_url: str | None = None) -> bool:
    """Make a stored document the source's current version (of the page ``part_url``);
    True when that is new (a new version, or bytes another source brought), False when it
    already was, in which case only ``last_seen`` moves.

    A new version gets the next number and its ``changes`` against the version before;
    the version it replaces stays, no longer current. ``fetched``: what the fetch said
    (url, validators, time), kept on the link; None (a 304) keeps what the link holds."""
    seen = now()
    with immediate(db):
        row = db.execute("select id, current from source_documents where source_id = ? "
                         "and part_url is ? and document_id = ?",
                         [source_id, part_url, document_id]).fetchone()
        fields = {k: fetched.get(k) for k in LINK_FIELDS} if fetched else {}
        if row and row[1]:
            db.table("source_documents").update(row[0], {**fields, "last_seen": seen})
            return False
        latest = db.execute("select max(version) from source_documents where source_id = ? "
                            "and part_url is ?", [source_id, part_url]).fetchone()[0]
        version = (latest or 0) + 1
        db.execute("update source_documents set current = 0, superseded_at = ? "
                   "where source_id = ? and part_url is ? and current = 1",
                   [seen, source_id, part_url])
        link = {**fields, "version": version, "current": 1, "superseded_at": None,
                "part": part, "last_seen": seen}
        if row:  # bytes this source served before: its newest version again
            db.table("source_documents").update(row[0], link)
        else:
            db.table("source_documents").insert({
                "source_id": source_id, "document_id": document_id, "part_url": part_url,
                "first_seen": seen, **link})
        _record_changes(db, source_id, part_url, document_id, version)
    return True


def _record_changes(db: sqlite_utils.Database, source_id: str, part_url: str | None,
                    document_id: str, version: int) -> None:
    """The changes of one source's version against the version before it (none for its
    first), in place of any computed before. A page's retirement (kind ``pages``) is not
    computed from records, so it stays when the page is linked again."""
    db.execute("delete from changes where source_id = ? and document_id = ? "
               "and kind is not 'pages'", [source_id, document_id])
    before = db.execute("select document_id from source_documents where source_id = ? "
                        "and part_url is ? and version < ? order by version desc limit 1",
                        [source_id, part_url, version]).fetchone()
    if before is None or before[0] == document_id:
        return
    detected = now()
    db.table("changes").insert_all(
        {**row, "source_id": source_id, "document_id": document_id,
         "previous_document_id": before[0], "detected_at": detected}
        for row in changes.diff(db, before[0], document_id))


def touch_link(db: sqlite_utils.Database, source_id: str, document_id: str,
               part_url: str | None = None) -> None:
    """The source still serves this document: its ``last_seen`` is now."""
    with immediate(db):
        db.execute("update source_documents set last_seen = ? where source_id = ? "
                   "and part_url is ? and document_id = ?",
                   [now(), source_id, part_url, document_id])


def document_counts(db: sqlite_utils.Database, document_id: str) -> dict[str, int]:
    """Rows per record table (not blocks or changes) of one document."""
    return {t: db.execute(f'select count(*) from "{t}" where document_id = ?',
                          [document_id]).fetchone()[0]
            for t in record_tables(db) if t not in ("blocks", "changes")}


def _insert_rows(db: sqlite_utils.Database, table: str, rows: list[dict[str, Any]],
                 fks: list[tuple[str, str, str]]) -> None:
    """Insert rows with executemany when the table already has every column they use
    (sqlite-utils' insert_all checks and converts row by row, which cost more than the
    rest of a load); else through insert_all, which creates the table or adds columns
    (a third-party record kind, a new field). Values are converted as sqlite-utils does
    (lists and dicts as JSON text), so both paths store the same thing."""
    if not rows:
        return
    names = list(dict.fromkeys(name for row in rows for name in row))
    existing = table_columns(db, table)
    if not existing or not set(names) <= existing:
        db.table(table).insert_all(rows, pk="id", foreign_keys=fks or None, alter=True)
        # Every foreign-key column indexed: deleting a parent row (a version's blocks or
        # records) looks its children up by it.
        for column in dict.fromkeys(["document_id", *(fk[0] for fk in fks)]):
            if column in names:
                db.table(table).create_index([column], if_not_exists=True)
        return
    columns = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join("?" for _ in names)
    db.conn.executemany(
        f'insert into "{table}" ({columns}) values ({marks})',
        [tuple(_sql_value(row.get(name)) for name in names) for row in rows])


_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})


def _sql_value(value: Any) -> Any:
    # Nearly every value is plain; sqlite-utils' converter tries each special type first.
    return value if type(value) in _PLAIN else jsonify_if_needed(value)


def retire_parts(db: sqlite_utils.Database, source_id: str, keep: set[str],
                 run_id: str | None = None) -> list[str]:
    """The source's pages its index no longer links are no longer current for it (the
    documents stay, and other sources' links to them), each with a ``changes`` row (kind
    ``pages``, change ``retired``, text its URL); returns their URLs in index order."""
    marks = ", ".join("?" for _ in keep) or "''"
    with immediate(db):
        retired = db.execute(
            f"select id, document_id, part_url from source_documents where source_id = ? "
            f"and current = 1 and part_url is not null and part_url not in ({marks}) "
            f"order by part, id", [source_id, *keep]).fetchall()
        when = now()
        db.conn.executemany("update source_documents set current = 0, superseded_at = ? "
                            "where id = ?", [(when, link) for link, _, _ in retired])
        db.table("changes").insert_all(
            {"source_id": source_id, "document_id": document_id, "kind": "pages",
             "change": "retired", "text": url, "detected_at": when, "run_id": run_id}
            for _, document_id, url in retired)
    return [url for _, _, url in retired]


def _delete_document_rows(db: sqlite_utils.Database, document_id: str) -> None:
    """Delete every row that belongs to a document's bytes (by FK), and the matches of its
    pledges; the documents row itself and the sources' links to it stay."""
    # Deferred FK checks let us delete children and parents in any order; switched back
    # off so the inserts that follow are checked row by row.
    db.execute("PRAGMA defer_foreign_keys=ON")
    # Matches hang off pledges, not documents; the run matches the document's council again.
    db.execute("delete from matches where pledge_id in (select id from pledges "
               "where document_id = ?)", [document_id])
    for table in record_tables(db):
        # A page's retirement belongs to a source's link, not to the bytes' records: it
        # stays through a reload or reextract (every other change is computed again).
        keep = " and kind is not 'pages'" if table == "changes" else ""
        db.execute(f'delete from "{table}" where document_id = ?{keep}', [document_id])
    db.execute("PRAGMA defer_foreign_keys=OFF")


def _record_rows(doc: Document, records: list[Record]
                 ) -> dict[str, tuple[list[dict[str, Any]], list[tuple[str, str, str]]]]:
    """Rows per table with the FKs a table needs if it has to be created on the fly."""
    tables: dict[str, tuple[list[dict[str, Any]], list[tuple[str, str, str]]]] = {}
    seen: set[str] = set()
    blocks = {b.index for b in doc.blocks}
    for record in records:
        row = record.row()
        _check_name(record.kind, "record kind", reserved={"kpi_targets"})
        if row["document_id"] != doc.id:
            raise ValueError(f"{record.kind} record {row['id']} is from document "
                             f"{row['document_id']}, not {doc.id}")
        if row["id"] in seen:  # the same record twice from one extractor: keep one
            continue
        seen.add(row["id"])
        row["block_id"] = f"{doc.id}:{row['block']}" if row["block"] in blocks else None
        tables.setdefault(record.kind, ([], DOCUMENT_FKS))[0].append(row)
        parent_fk = f"{singular(record.kind)}_id"
        for child, child_rows in record.children().items():
            _check_name(child, "child table", reserved=set(RECORD_COLUMNS))
            fks = [(parent_fk, record.kind, "id"), ("document_id", "documents", "id")]
            for n, child_row in enumerate(child_rows):
                tables.setdefault(child, ([], fks))[0].append({
                    "id": f"{row['id']}:{child_row.get('position', n)}",
                    parent_fk: row["id"], "document_id": doc.id, **child_row})
    return tables


def _check_name(name: str, what: str, reserved: set[str]) -> None:
    # Table names come from third-party code and end up in SQL, so allow only plain names.
    if not SAFE_NAME.match(name) or name in CORE_TABLES | reserved or "_fts" in name:
        raise ValueError(f"{what} {name!r} is not a usable table name (lower-case letters, "
                         f"digits, _; not one of {sorted(CORE_TABLES | reserved)}; no '_fts')")


def record_failure(db: sqlite_utils.Database, *, run_id: str | None, source_id: str | None,
                   stage: str, error: BaseException | None = None, error_type: str | None = None,
                   message: str | None = None, document_id: str | None = None,
                   url: str | None = None) -> int:
    """Store one failed stage of one source (``url``: the page or file that failed, which
    for a discovered page is not the source's own URL); returns the failure's id."""
    with immediate(db):
        table = db.table("failures").insert({
            "run_id": run_id, "source_id": source_id, "document_id": document_id,
            "stage": stage, "error_type": error_type or (type(error).__name__ if error else None),
            "message": message or (str(error) if error else None), "occurred_at": now(),
            "url": url,
        })
    return int(table.last_pk)


def start_run(db: sqlite_utils.Database, *, run_id: str, flow_run_id: str | None,
              catalog: str, sources: int) -> None:
    with immediate(db):
        db.table("runs").upsert({"id": run_id, "flow_run_id": flow_run_id, "started_at": now(),
                                 "status": "running", "catalog": catalog, "sources": sources},
                                pk="id")


def finish_run(db: sqlite_utils.Database, run_id: str, *, status: str, documents: int,
               unchanged: int, failed: int, records: dict[str, int], fetched: int = 0,
               not_modified: int = 0, parsed: int = 0) -> None:
    with immediate(db):
        db.table("runs").update(run_id, {
            "ended_at": now(), "status": status, "documents": documents,
            "unchanged": unchanged, "failed": failed, "fetched": fetched,
            "not_modified": not_modified, "parsed": parsed,
            "records": json.dumps(records, sort_keys=True)})


def current_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per record table in the documents sources serve now (each row once, however
    many sources serve its document)."""
    return {t: db.execute(f'select count(*) from "{t}" where document_id in '
                          "(select document_id from source_documents where current = 1)"
                          ).fetchone()[0]
            for t in record_tables(db) if t not in ("blocks", "changes")}


def record_counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Rows per record table (built-in, third-party and child tables; not blocks or changes),
    over every stored version."""
    return {t: db.table(t).count for t in record_tables(db) if t not in ("blocks", "changes")}
