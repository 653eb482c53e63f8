"""``pledgeflow doctor``: a healthy sample database passes; each kind of damage is named.

Every test works on a copy of the ``sample_run`` database with its raw and processed
folders, with the stored paths pointed at the copies, so damaging it touches nothing shared.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from pledgeflow.cli import main
from pledgeflow.store.doctor import diagnose, doctor_command


@dataclass
class Copy:
    db: Path
    raw: Path
    processed: Path

    def sql(self, *statements: str, foreign_keys: bool = True) -> None:
        conn = sqlite3.connect(self.db)
        conn.execute(f"pragma foreign_keys={'on' if foreign_keys else 'off'}")
        with conn:
            for statement in statements:
                conn.execute(statement)
        conn.close()

    def one(self, query: str):
        conn = sqlite3.connect(self.db)
        try:
            return conn.execute(query).fetchone()
        finally:
            conn.close()

    def raw_file(self, document_id: str) -> Path:
        return self.raw / document_id[:2] / document_id


@pytest.fixture
def copy(sample_run, tmp_path) -> Copy:
    settings = sample_run.settings
    raw, processed = tmp_path / "raw", tmp_path / "processed"
    shutil.copytree(settings.raw_dir, raw)
    shutil.copytree(settings.processed_dir, processed)
    db = processed / "pledgeflow.db"
    source = sqlite3.connect(sample_run.db_path)
    target = sqlite3.connect(db)
    source.backup(target)  # a consistent copy, whatever the WAL holds
    source.close()
    target.close()
    result = Copy(db, raw, processed)
    result.sql(f"update documents set raw_path = replace(raw_path, '{settings.raw_dir}', "
               f"'{raw}'), processed_path = replace(processed_path, "
               f"'{settings.processed_dir}', '{processed}')")
    return result


def doctor(db: Path, raw: Path):
    return CliRunner().invoke(doctor_command, ["--db", str(db), "--raw-dir", str(raw)])


def whats(problems) -> list[tuple[str, str]]:
    return [(p.severity, p.what) for p in problems]


def test_a_healthy_sample_database_has_no_problems(copy):
    assert diagnose(copy.db, copy.raw) == []
    result = doctor(copy.db, copy.raw)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("no problems found")


def test_a_deleted_raw_file_is_an_error(copy):
    document_id, source_id = copy.one("select document_id, source_id from source_documents "
                                     "order by document_id")
    copy.raw_file(document_id).unlink()
    problems = diagnose(copy.db, copy.raw)
    assert whats(problems) == [("error", "raw file missing")]
    assert document_id in problems[0].detail and source_id in problems[0].detail
    result = doctor(copy.db, copy.raw)
    assert result.exit_code == 1
    assert f"error: raw file missing: document {document_id} ({source_id})" in result.output
    assert "1 error(s), 0 warning(s)" in result.output


def test_a_raw_file_with_other_bytes_is_an_error(copy):
    (document_id,) = copy.one("select id from documents where media_type = 'application/pdf'")
    path = copy.raw_file(document_id)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    path.write_bytes(bytes(data))
    problems = diagnose(copy.db, copy.raw)
    assert whats(problems) == [("error", "raw file corrupt")]
    assert hashlib.sha256(data).hexdigest() in problems[0].detail
    assert doctor(copy.db, copy.raw).exit_code == 1


def test_an_unused_raw_file_and_a_leftover_temporary_file_are_warnings(copy):
    stray = b"fetched, never loaded"
    digest = hashlib.sha256(stray).hexdigest()
    (copy.raw / digest[:2]).mkdir(exist_ok=True)
    (copy.raw / digest[:2] / digest).write_bytes(stray)
    (copy.raw / digest[:2] / f".{digest[:12]}.x1y2.tmp").write_bytes(stray[:5])
    (copy.raw / "README.md").write_text("not a raw file, and not looked at")
    problems = diagnose(copy.db, copy.raw)
    assert sorted(whats(problems)) == [("warning", "leftover temporary file"),
                                       ("warning", "unused raw files")]
    assert any(digest in p.detail for p in problems if p.what == "unused raw files")
    result = doctor(copy.db, copy.raw)
    assert result.exit_code == 0  # nothing is wrong with the data
    assert "0 error(s), 2 warning(s)" in result.output


def test_a_pledge_whose_document_is_gone_is_an_orphan(copy):
    # Only possible with foreign keys off: another tool, or a hand edit.
    copy.sql("insert into pledges (id, document_id, text) values "
             f"('orphan', '{'0' * 64}', 'We will do something.')", foreign_keys=False)
    problems = diagnose(copy.db, copy.raw)
    # Rows inserted by hand are not in the full-text index either (loads index their own).
    assert whats(problems) == [("error", "orphan pledges rows"),
                               ("error", "full-text index out of sync")]
    assert "documents row (document_id) is missing" in problems[0].detail
    result = doctor(copy.db, copy.raw)
    assert result.exit_code == 1
    assert "error: orphan pledges rows: 1 row(s) of pledges" in result.output


def test_kpi_targets_without_their_kpi_are_orphans(copy):
    (kpi_id,) = copy.one("select kpi_id from kpi_targets limit 1")
    (n,) = copy.one(f"select count(*) from kpi_targets where kpi_id = '{kpi_id}'")
    copy.sql(f"delete from kpis where id = '{kpi_id}'", foreign_keys=False)
    problems = diagnose(copy.db, copy.raw)
    # the matches that pointed at the deleted KPI are stale too, and the next best missing
    assert whats(problems) == [("error", "orphan kpi_targets rows"), ("error", "matches missing"),
                               ("error", "stale matches")]
    assert problems[0].detail.startswith(f"{n} row(s) of kpi_targets whose kpis row (kpi_id)")


def test_two_current_versions_of_one_source_are_an_error(copy):
    copy.sql(f"insert into documents (id) values ('{'f' * 64}')")
    copy.sql("insert into source_documents (source_id, document_id, current, version) select "
             f"source_id, '{'f' * 64}', 1, 2 from source_documents "
             "where source_id = 'bnes-libdem-2023'")
    problems = diagnose(copy.db, copy.raw)
    assert ("error", "several current versions") in whats(problems)
    assert ("error", "raw file missing") in whats(problems)
    assert any("bnes-libdem-2023: 2 documents" in p.detail for p in problems)


def test_a_full_text_index_out_of_step_is_an_error(copy):
    copy.sql("insert into blocks_fts(blocks_fts, rowid, text, section) "
             "select 'delete', rowid, text, section from blocks limit 1")
    problems = diagnose(copy.db, copy.raw)
    assert whats(problems) == [("error", "full-text index out of sync")]
    assert problems[0].detail.startswith("blocks_fts: 1 blocks row(s) not indexed")


def test_another_applications_database_is_refused_and_left_alone(tmp_path):
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("create table notes (id integer primary key, body text)")
    conn.close()
    before = other.read_bytes()
    problems = diagnose(other, tmp_path / "raw")
    assert whats(problems) == [("error", "not a pledgeflow database")]
    assert "no pledgeflow_meta table" in problems[0].detail and "notes" in problems[0].detail
    result = doctor(other, tmp_path / "raw")
    assert result.exit_code == 1
    assert "error: not a pledgeflow database" in result.output
    assert other.read_bytes() == before
    assert not Path(f"{other}-wal").exists()


def test_a_file_that_is_not_sqlite_or_is_missing_is_an_error(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("just some text, long enough to fill a SQLite header and more " * 4)
    assert whats(diagnose(text, tmp_path)) == [("error", "not a SQLite database")]
    missing = doctor(tmp_path / "absent.db", tmp_path)
    assert missing.exit_code == 1 and "error: database not found" in missing.output
    assert not (tmp_path / "absent.db").exists()


def match_count(copy: Copy) -> int:
    return copy.one("select count(*) from matches")[0]


def test_reextract_all_keeps_the_matches_and_full_text_rows(copy):
    before = match_count(copy)
    assert before > 100
    result = CliRunner().invoke(main, ["reextract", "--all", "--db", str(copy.db)])
    assert result.exit_code == 0, result.output
    assert "re-extracted 7 document(s); matched 3 council(s) again" in result.output
    assert match_count(copy) == before
    assert diagnose(copy.db, copy.raw) == []  # matches complete, full-text indexes in sync


def test_lost_matches_are_found_and_repaired(copy):
    before = match_count(copy)
    copy.sql("delete from matches where rank > 2")
    problems = diagnose(copy.db, copy.raw)
    assert whats(problems) == [("error", "matches missing")]
    assert "council Cheshire West and Chester" in problems[0].detail
    assert f"of the {before} matches" in problems[0].detail
    assert doctor(copy.db, copy.raw).exit_code == 1
    assert match_count(copy) < before  # doctor without --repair changes nothing
    result = CliRunner().invoke(doctor_command, ["--db", str(copy.db), "--raw-dir",
                                                 str(copy.raw), "--repair"])
    assert result.exit_code == 0, result.output
    assert f"repaired: rebuilt the matches of every council: {before} match(es)" in result.output
    assert result.output.strip().endswith("no problems found")
    assert match_count(copy) == before


def test_repair_rebuilds_full_text_indexes_and_keeps_one_current_version(copy):
    copy.sql("delete from pledges_fts_docsize where id in (select rowid from pledges limit 3)")
    # a second current version of one source: another document, a newer version number
    copy.sql("insert into source_documents (source_id, document_id, current, version) "
             "select 'bnes-libdem-2023', document_id, 1, 2 from source_documents "
             "where source_id = 'cwac-labour-2019'")
    problems = whats(diagnose(copy.db, copy.raw))
    assert ("error", "several current versions") in problems
    assert ("error", "full-text index out of sync") in problems
    result = CliRunner().invoke(doctor_command, ["--db", str(copy.db), "--raw-dir",
                                                 str(copy.raw), "--repair"])
    assert "repaired: kept the newest of several current versions: 1 made not current" \
        in result.output
    assert "repaired: rebuilt the full-text indexes" in result.output
    assert result.exit_code == 0, result.output
    assert copy.one("select version from source_documents where source_id = "
                    "'bnes-libdem-2023' and current = 1") == (2,)


def test_a_document_no_source_serves_is_a_warning(copy):
    (document_id,) = copy.one("select document_id from source_documents "
                              "where source_id = 'bnes-libdem-2023'")
    copy.sql("delete from changes where source_id = 'bnes-libdem-2023'",
             "delete from source_documents where source_id = 'bnes-libdem-2023'")
    problems = diagnose(copy.db, copy.raw)
    assert whats(problems) == [("warning", "documents no source serves")]
    assert document_id in problems[0].detail


def test_matches_of_a_council_no_source_names_are_stale_and_go_at_repair(copy):
    pledge = copy.one("select id from pledges limit 1")[0]
    copy.sql("insert into matches (id, pledge_id, target_table, target_id, rank, score, "
             f"method, council) values ('gone', '{pledge}', 'kpis', 'k', 1, 1.0, 'test', "
             "'A council since merged')")
    problems = diagnose(copy.db, copy.raw)
    assert [(p.what, p.detail) for p in problems] == [
        ("stale matches", "council A council since merged: 1 stored that its current pledges "
                          "and measures no longer give (doctor --repair rebuilds them)")]
    result = CliRunner().invoke(doctor_command, ["--db", str(copy.db), "--raw-dir",
                                                 str(copy.raw), "--repair"])
    assert result.exit_code == 0, result.output
    assert copy.one("select count(*) from matches where id = 'gone'")[0] == 0


def test_an_older_schema_is_named_and_repair_brings_it_up_to_date(tmp_path):
    import gzip

    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(gzip.open(Path(__file__).parent / "fixtures" / "legacy" /
                                 "schema-v2.sql.gz", "rt", encoding="utf-8").read())
    conn.close()
    result = doctor(db, tmp_path)
    assert result.exit_code == 1
    assert "older schema" in result.output and "schema 2" in result.output
    assert "Traceback" not in result.output
    repaired = CliRunner().invoke(doctor_command, ["--db", str(db), "--raw-dir", str(tmp_path),
                                                   "--repair"])
    assert "brought the database up to schema" in repaired.output
    with sqlite3.connect(db) as conn:
        assert conn.execute("select value from pledgeflow_meta where key = 'schema_version'"
                            ).fetchone()[0] != "2"
