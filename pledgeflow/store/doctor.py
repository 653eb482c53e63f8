"""``pledgeflow doctor``: check a database and its raw folder, and say what is wrong.

Without ``--repair`` it only reads: the database is opened read-only, except for the
full-text index check, which SQLite runs as an ``INSERT`` command and which is rolled back
(and only once the file is known to be a pledgeflow database). Each problem says what was
found and where, so a person can decide (docs/reliability.md says what to do). With
``--repair``, what can be mended without the network is (``mend``), and doctor says
what it did and checks again.

Checks, in order: the file is a SQLite database made by pledgeflow; ``PRAGMA
integrity_check``; ``PRAGMA foreign_key_check`` (rows whose document, KPI or source is
missing); each document's raw file is there and hashes to the document's id; its saved
parse is there; no source has two current versions of one page; the matches between
pledges and measures are those the current records give; the full-text indexes match
their tables; and no leftover temporary file lies in the raw folder, nor raw files no
document uses (counted, as another database may share the folder).
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import click
import sqlite_utils

from pledgeflow import defaults
from pledgeflow.store.db import FTS_COLUMNS

DEFAULT_DB = defaults.DB
DEFAULT_RAW = defaults.RAW_DIR
# The full-text indexes every database has (blocks' and the built-in kinds' that declare
# one); a third-party kind's are found in the database (_fts_tables).
FTS_TABLES = tuple(f"{table}_fts" for table in FTS_COLUMNS)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHARD = re.compile(r"^[0-9a-f]{2}$")


@dataclass(frozen=True)
class Problem:
    severity: str  # "error": data is wrong or missing; "warning": worth a look
    what: str  # a short, fixed description, e.g. "raw file missing"
    detail: str = ""  # where: document, source, path, table

    def __str__(self) -> str:
        return f"{self.severity}: {self.what}" + (f": {self.detail}" if self.detail else "")


def diagnose(db_path: Path, raw_dir: Path) -> list[Problem]:
    """Every problem found in a pledgeflow database and its raw folder (empty: healthy)."""
    db_path, raw_dir = Path(db_path), Path(raw_dir)
    if not db_path.is_file():
        return [Problem("error", "database not found", str(db_path))]
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        problem = _not_pledgeflow(conn, db_path) or _schema(conn, db_path)
        if problem:
            return [problem]
        problems = _integrity(conn) + _foreign_keys(conn) + _orphans(conn)
        problems += _files(conn, db_path, raw_dir) + _current_versions(conn) + _unserved(conn)
        problems += _matches(conn)
    finally:
        conn.close()
    return problems + _fts(db_path)


def _not_pledgeflow(conn: sqlite3.Connection, db_path: Path) -> Problem | None:
    try:
        tables = {name for (name,) in conn.execute(
            "select name from sqlite_master where type = 'table'")}
    except sqlite3.DatabaseError as exc:
        return Problem("error", "not a SQLite database", f"{db_path}: {exc}")
    if "pledgeflow_meta" not in tables:
        return Problem("error", "not a pledgeflow database",
                       f"{db_path} has no pledgeflow_meta table"
                       + (f" (its tables: {', '.join(sorted(tables)[:8])})" if tables else
                          " (it is empty)"))
    missing = {"sources", "documents", "blocks"} - tables
    if missing:
        return Problem("error", "not a pledgeflow database",
                       f"{db_path} lacks the tables {', '.join(sorted(missing))}")
    return None


def _schema(conn: sqlite3.Connection, db_path: Path) -> Problem | None:
    """A database of an older schema is checked once it is brought up to date (the
    checks read today's tables); one of a newer pledgeflow is not this one's to judge."""
    from pledgeflow.store.db import SCHEMA_VERSION, stored_schema_version

    try:
        version = stored_schema_version(conn) or 0
    except ValueError:  # no number: older than any schema this pledgeflow knows
        version = 0
    if version < SCHEMA_VERSION:
        return Problem("error", "older schema",
                       f"{db_path} has schema {version}, this pledgeflow reads "
                       f"{SCHEMA_VERSION}: `pledgeflow doctor --repair` (or any run) "
                       "brings it up to date in place, every row kept")
    if version > SCHEMA_VERSION:
        return Problem("error", "newer schema",
                       f"{db_path} has schema {version}, made by a newer pledgeflow; this "
                       f"one reads {SCHEMA_VERSION}: upgrade pledgeflow")
    return None


def _integrity(conn: sqlite3.Connection) -> list[Problem]:
    rows = [r[0] for r in conn.execute("pragma integrity_check(50)")]
    if rows == ["ok"]:
        return []
    return [Problem("error", "integrity check failed", line) for line in rows]


def _foreign_keys(conn: sqlite3.Connection) -> list[Problem]:
    """Rows pointing at a row that does not exist, grouped by table and parent."""
    found: dict[tuple[str, str], list[int]] = {}
    for table, rowid, parent, _fk in conn.execute("pragma foreign_key_check"):
        found.setdefault((table, parent), []).append(rowid)
    problems = []
    for (table, parent), rowids in sorted(found.items()):
        column = _fk_column(conn, table, parent)
        sample = ", ".join(str(r) for r in rowids[:5]) + (" ..." if len(rowids) > 5 else "")
        problems.append(Problem(
            "error", f"orphan {table} rows",
            f"{len(rowids)} row(s) of {table} whose {parent} row ({column}) is missing "
            f"(rowid {sample})"))
    return problems


def _fk_column(conn: sqlite3.Connection, table: str, parent: str) -> str:
    columns = [row[3] for row in conn.execute(f'pragma foreign_key_list("{table}")')
               if row[2] == parent]
    return ", ".join(columns) or "?"


def _orphans(conn: sqlite3.Connection) -> list[Problem]:
    """Rows naming a document without a declared foreign key to check it."""
    problems = []
    for (table,) in conn.execute("select name from sqlite_master where type = 'table'"):
        if table == "failures":  # a failed fetch or parse names bytes never loaded
            continue
        columns = {row[1] for row in conn.execute(f'pragma table_info("{table}")')}
        if "document_id" not in columns:
            continue
        declared = {row[3] for row in conn.execute(f'pragma foreign_key_list("{table}")')
                    if row[2] == "documents"}
        if "document_id" in declared:
            continue  # foreign_key_check covers it
        n = conn.execute(f'select count(*) from "{table}" where document_id is not null and '
                         "document_id not in (select id from documents)").fetchone()[0]
        if n:
            problems.append(Problem("error", f"orphan {table} rows",
                                    f"{n} row(s) of {table} whose documents row is missing"))
    n = conn.execute("select count(*) from changes where previous_document_id is not null and "
                     "previous_document_id not in (select id from documents)").fetchone()[0] \
        if _has_table(conn, "changes") else 0
    if n:
        problems.append(Problem("warning", "orphan changes rows",
                                f"{n} row(s) of changes whose previous document is missing"))
    return problems


def _fts_tables(conn: sqlite3.Connection) -> list[str]:
    """FTS_TABLES, then the full-text index of every other table (a third-party kind's)."""
    others = [name for (name,) in conn.execute(
        "select name from sqlite_master where type = 'table' and name like '%\\_fts' "
        "escape '\\' and sql like 'CREATE VIRTUAL TABLE%' order by name")
        if name not in FTS_TABLES]
    return [*FTS_TABLES, *others]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("select 1 from sqlite_master where type = 'table' and name = ?",
                        [name]).fetchone() is not None


def _files(conn: sqlite3.Connection, db_path: Path, raw_dir: Path) -> list[Problem]:
    problems = []
    if not raw_dir.is_dir():
        problems.append(Problem("error", "raw folder not found", str(raw_dir)))
    known: set[str] = set()
    for document_id, source_id, stored_raw, stored_processed in conn.execute(
            "select d.id, (select group_concat(source_id, ', ') from (select distinct source_id "
            "from source_documents where document_id = d.id)), d.raw_path, d.processed_path "
            "from documents d order by d.id"):
        known.add(document_id)
        where = f"document {document_id} ({source_id})"
        # The folder asked about first, then where the run that loaded it kept it.
        expected = _raw_path(raw_dir, document_id)
        raw = _first_file([expected, *([Path(stored_raw)] if stored_raw else [])])
        if raw is None:
            problems.append(Problem("error", "raw file missing",
                                    f"{where}: no file at {expected}"
                                    + (f" or {stored_raw}" if stored_raw and
                                       Path(stored_raw) != expected else "")))
        else:
            digest = _sha256(raw)
            if digest != document_id:
                problems.append(Problem("error", "raw file corrupt",
                                        f"{where}: {raw} has sha256 {digest}"))
        saved = sorted((db_path.parent / "documents").glob(f"{document_id}*.json"))
        if _first_file([*([Path(stored_processed)] if stored_processed else []), *saved]) is None:
            problems.append(Problem("warning", "processed file missing",
                                    f"{where}: {stored_processed} (the saved parse; the next "
                                    "run parses the raw file again)"))
    if raw_dir.is_dir():
        problems += _raw_orphans(raw_dir, known)
    return problems


def _raw_path(raw_dir: Path, document_id: str) -> Path:
    return raw_dir / document_id[:2] / document_id


def _first_file(candidates: list[Path]) -> Path | None:
    for path in candidates:
        if path.is_file():
            return path
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _raw_orphans(raw_dir: Path, known: set[str]) -> list[Problem]:
    """Files in raw_dir/<aa>/ that no document names (other files in raw_dir are left be).

    Raw files are content-addressed and safe to share, so a raw folder may hold the bytes
    of other databases run from the same folder: unused ones are counted in one warning,
    not named one by one as if something were wrong with each."""
    problems, unused = [], []
    for shard in sorted(p for p in raw_dir.iterdir() if p.is_dir() and _SHARD.match(p.name)):
        for path in sorted(shard.iterdir()):
            if not path.is_file():
                continue
            if _SHA256.match(path.name):
                if path.name not in known:
                    unused.append(path)
            elif path.name.endswith(".tmp"):
                problems.append(Problem("warning", "leftover temporary file",
                                        f"{path}: a raw file being written when a run stopped; "
                                        "safe to delete (doctor --repair does)"))
    if unused:
        names = ", ".join(str(p) for p in unused[:3]) + (" ..." if len(unused) > 3 else "")
        problems.append(Problem(
            "warning", "unused raw files",
            f"{len(unused)} file(s) in {raw_dir} no document of this database has ({names}): "
            "bytes of another database sharing the folder, or fetched by a run that stopped "
            "before loading them (the next run uses them)"))
    return problems


def _current_versions(conn: sqlite3.Connection) -> list[Problem]:
    rows = conn.execute("select source_id, part_url, count(*) from source_documents "
                        "where current = 1 group by source_id, part_url having count(*) > 1"
                        ).fetchall()
    return [Problem("error", "several current versions",
                    f"source {source_id}" + (f" page {part_url}" if part_url else "")
                    + f": {n} documents have current = 1")
            for source_id, part_url, n in rows]


def _unserved(conn: sqlite3.Connection) -> list[Problem]:
    """Documents no source links to (rows deleted by hand): their records show nowhere."""
    if not _has_table(conn, "source_documents"):
        return []
    ids = [r[0] for r in conn.execute(
        "select id from documents where id not in (select document_id from source_documents) "
        "order by id")]
    if not ids:
        return []
    return [Problem("warning", "documents no source serves",
                    f"{len(ids)} document(s) with no source_documents row ({', '.join(ids[:3])}"
                    f"{' ...' if len(ids) > 3 else ''}): their records show under no source; "
                    "the next run of a source serving the bytes links them again")]


def _matches(conn: sqlite3.Connection) -> list[Problem]:
    """The stored matches against those the current records give: each council's matches
    are computed again (in a temporary index) and compared by id. A council no source
    names any more should have none."""
    if not (_has_table(conn, "matches") and _has_table(conn, "source_documents")):
        return []
    from pledgeflow.store import matches

    db = sqlite_utils.Database(conn)
    stored: dict[str, set[str]] = {}
    for match_id, council in conn.execute("select id, council from matches"):
        stored.setdefault(council, set()).add(match_id)
    named = set(matches.councils(db))
    problems = []
    for council in sorted(named | set(stored), key=str):
        expected = matches.expected(db, council) if council in named else set()
        problems += _match_problems(council, expected, stored.get(council, set()))
    return problems


def _match_problems(council: str | None, expected: set[str], stored: set[str]
                    ) -> list[Problem]:
    """What one council's stored matches lack, and hold that they should not."""
    problems = []
    for what, ids, which in (
            ("matches missing", expected - stored,
             f"of the {len(expected)} matches its current pledges and measures give are "
             "not stored"),
            ("stale matches", stored - expected,
             "stored that its current pledges and measures no longer give")):
        if ids:
            problems.append(Problem("error", what, f"council {council}: {len(ids)} {which} "
                                                   "(doctor --repair rebuilds them)"))
    return problems


def _fts(db_path: Path) -> list[Problem]:
    """Each full-text index against its table: FTS5's own integrity-check (an INSERT
    command, so run on a read-write connection and rolled back) and the rowids it holds."""
    problems = []
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    try:
        for fts in _fts_tables(conn):
            if not _has_table(conn, fts):
                problems.append(Problem("error", "full-text index missing", fts))
                continue
            table = fts.removesuffix("_fts")
            missing = conn.execute(f'select count(*) from "{table}" where rowid not in '
                                   f'(select id from "{fts}_docsize")').fetchone()[0]
            extra = conn.execute(f'select count(*) from "{fts}_docsize" where id not in '
                                 f'(select rowid from "{table}")').fetchone()[0]
            if missing or extra:
                problems.append(Problem(
                    "error", "full-text index out of sync",
                    f"{fts}: {missing} {table} row(s) not indexed, {extra} indexed row(s) no "
                    f"longer in {table} (rebuild: INSERT INTO {fts}({fts}) VALUES('rebuild'))"))
                continue
            conn.execute("BEGIN")
            try:
                conn.execute(f'insert into "{fts}"("{fts}") values(\'integrity-check\')')
            except sqlite3.DatabaseError as exc:
                if "readonly" in str(exc):
                    raise
                problems.append(Problem(
                    "error", "full-text index out of sync",
                    f"{fts}: {exc} (rebuild: INSERT INTO {fts}({fts}) VALUES('rebuild'))"))
            finally:
                conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:  # e.g. a read-only file: skip this check
        problems.append(Problem("warning", "full-text indexes not checked", str(exc)))
    finally:
        conn.close()
    return problems


def mend(db_path: Path, raw_dir: Path, problems: list[Problem]) -> list[str]:
    """Mend what can be mended without fetching: full-text indexes rebuilt, matches rebuilt,
    a single current version per source and page (the newest), leftover temporary raw
    files deleted. Returns one line per thing done. A missing or corrupt raw file, a
    damaged database or orphan rows are left for a person (docs/reliability.md)."""
    from pledgeflow.store import db as store
    from pledgeflow.store import matches

    whats = {p.what for p in problems}
    done: list[str] = []
    if "not a pledgeflow database" in whats or "not a SQLite database" in whats or \
            "database not found" in whats or "integrity check failed" in whats or \
            "newer schema" in whats:
        return done
    database = store.open_db(db_path)
    if "older schema" in whats:  # open_db has brought it up to date
        done.append(f"brought the database up to schema {store.SCHEMA_VERSION}")
    try:
        if "several current versions" in whats:
            n = _keep_newest_current(database)
            done.append(f"kept the newest of several current versions: {n} made not current")
        if "full-text index out of sync" in whats or "full-text index missing" in whats:
            rebuilt = _fts_tables(database.conn)
            with store.immediate(database):
                for fts in rebuilt:
                    database.execute(f"insert into {fts}({fts}) values('rebuild')")
            done.append(f"rebuilt the full-text indexes {', '.join(rebuilt)}")
        if whats & {"matches missing", "stale matches", "several current versions"}:
            n = matches.rebuild(database)
            done.append(f"rebuilt the matches of every council: {n} match(es)")
    finally:
        database.close()
    for problem in problems:
        if problem.what == "leftover temporary file":
            path = Path(problem.detail.split(": ", 1)[0])
            path.unlink(missing_ok=True)
            done.append(f"deleted {path}")
    return done


def _keep_newest_current(db: sqlite_utils.Database) -> int:
    from pledgeflow.store.db import immediate, now

    with immediate(db):
        return db.execute(
            "update source_documents set current = 0, superseded_at = ? where current = 1 "
            "and exists (select 1 from source_documents n where n.source_id = "
            "source_documents.source_id and n.part_url is source_documents.part_url "
            "and n.current = 1 and n.version > source_documents.version)", [now()]).rowcount


@click.command("doctor")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_DB,
              show_default=True, help="Database to check.")
@click.option("--raw-dir", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_RAW,
              show_default=True, help="Folder of the raw files the database's documents name.")
@click.option("--repair", is_flag=True,
              help="Mend what can be mended (full-text indexes, matches, several current "
                   "versions, leftover temporary files), say what was done, and check again.")
def doctor_command(db: Path, raw_dir: Path, repair: bool) -> None:
    """Check a database and its raw folder, and list every problem found.

    Runs SQLite's integrity and foreign key checks, checks every document's raw file is
    there with the right sha256 and its saved parse is there, that no source has two
    current versions, that the matches between pledges and measures are complete, that the
    full-text indexes match their tables, and counts raw files no document uses. Changes
    no data unless --repair is given. Exit code 1 when any error was found (with
    --repair: any error left after repairing).

    \b
    Examples:
      pledgeflow doctor --db processed/pledgeflow.db --raw-dir raw
      pledgeflow doctor --repair
    """
    problems = diagnose(db, raw_dir)
    if repair and problems:
        for problem in problems:
            click.echo(str(problem))
        done = mend(db, raw_dir, problems)
        for line in done:
            click.echo(f"repaired: {line}")
        if not done:
            click.echo("repaired: nothing doctor can mend (see docs/reliability.md)")
        click.echo("doctor: checking again")
        problems = diagnose(db, raw_dir)
    for problem in problems:
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if not problems:
        click.echo(f"doctor: {db} and {raw_dir}: no problems found")
    else:
        click.echo(f"doctor: {db} and {raw_dir}: {errors} error(s), {warnings} warning(s)")
    if errors:
        raise SystemExit(1)
