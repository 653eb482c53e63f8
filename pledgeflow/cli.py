"""The ``pledgeflow`` command line."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
import traceback
from pathlib import Path

import click

from pledgeflow import __version__, defaults
from pledgeflow.defaults import CATALOG as DEFAULT_CATALOG
from pledgeflow.defaults import DB as DEFAULT_DB
from pledgeflow.options import ocr_options, store_options

# `pledgeflow run` exit statuses, for cron and other schedulers (README, docs/reliability.md).
EXIT_OK = 0  # every selected document loaded, or was unchanged
EXIT_FAILURES = 1  # some documents failed (listed by `pledgeflow failures`); the rest loaded
EXIT_USAGE = 2  # nothing ran: a bad option, catalog or database (click's own code for usage)
EXIT_CRASHED = 3  # the run did not finish: an unexpected error (traceback on stderr)


class SetupError(click.ClickException):
    """The run cannot start: a catalog or database at fault, or a runner not installed.
    Exit status 2, as click gives a bad option: nothing ran, so nothing is half done."""

    exit_code = EXIT_USAGE


def _quiet_prefect() -> None:
    # Runs stay on this machine unless the user points PREFECT_API_URL at a server.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")


def _split(values: tuple[str, ...]) -> list[str] | None:
    items = [v.strip() for value in values for v in value.split(",") if v.strip()]
    return items or None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pledgeflow")
def main() -> None:
    """pledgeflow: turn what parties and councils promise into data.

    Fetches manifesto pages and council plans listed in a catalog, parses them,
    extracts pledges, targets, KPIs, actions and risks, and loads them with their
    provenance into SQLite.
    """


@main.command()
@click.option("--sources", "sources", type=click.Path(dir_okay=False, path_type=Path),
              default=DEFAULT_CATALOG, show_default=True, help="Catalog (TOML) of sources.")
@store_options
@click.option("--only", multiple=True, metavar="ID[,ID]", help="Run only these source ids.")
@click.option("--kind", help="Run only sources of this kind (e.g. manifesto).")
@click.option("--organisation", help="Run only sources whose organisation contains this text.")
@click.option("--parse-timeout", type=float, default=defaults.PARSE_TIMEOUT, show_default=True,
              help="Seconds one document may take to parse and extract, counted from when a "
                   "worker starts on it, before it is stopped and recorded as a failure at the "
                   "stage it had reached (parse or extract).")
@ocr_options
@click.option("--allow-files-outside", is_flag=True,
              help="Let file:// and path entries read files outside the catalog's folder.")
@click.option("--runner", type=click.Choice(["threads", "dask"]), default="threads",
              show_default=True,
              help="What runs the document tasks: threads feeding one worker process per core "
                   "on this machine, or a Dask cluster (needs pledgeflow[dask]).")
@click.option("--address", metavar="tcp://HOST:PORT",
              help="With --runner dask: the scheduler of an existing Dask cluster. Without it, "
                   "a local cluster is started for the run.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="With --runner dask and no --address: worker processes of the local "
                   "cluster (default: one per core).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=Path),
              default=defaults.STATE_DIR, show_default=True,
              help="Without PREFECT_API_URL (and PREFECT_HOME), the run's temporary Prefect "
                   "server keeps its state in <state-dir>/prefect-temporary/.")
@click.option("--in-flight", type=click.IntRange(min=1), metavar="N",
              help="Tasks submitted and not yet loaded, at most (default: 2 x the run's "
                   "threads); each is loaded as it finishes. Memory grows with it; on a "
                   "large Dask cluster raise it above the number of workers.")
@click.option("--batch", type=click.IntRange(min=1), metavar="N",
              help=f"Documents per task (default: one for a small catalog, up to "
                   f"{defaults.MAX_BATCH} for a large one, where a task per web page would "
                   f"cost more in orchestration than the page's work). A task also stops "
                   f"once its documents hold {defaults.PAGES_PER_TASK} pages, so a long PDF "
                   f"has a task to itself.")
def run(sources: Path, db: Path, raw_dir: Path, processed_dir: Path, only: tuple[str, ...],
        kind: str | None, organisation: str | None, parse_timeout: float,
        ocr: bool, ocr_pages: int, ocr_seconds: float, allow_files_outside: bool,
        runner: str, address: str | None, workers: int | None, state_dir: Path,
        in_flight: int | None,
        batch: int | None) -> None:
    """Run the pipeline flow: fetch, parse, extract and load every source in the catalog.

    Documents are fetched, parsed and extracted in parallel; the database is written by this
    process alone, one transaction per task's batch of documents (each document's load
    all-or-nothing within it). Progress is logged every few seconds.

    The flow run ends with a Markdown artifact in Prefect: the run's counts and a row per
    failure. `pledgeflow failures` lists the failures from the database.

    \b
    Exit status:
      0  every selected document loaded or was unchanged
      1  some documents failed (recorded in failures); the others loaded
      2  nothing ran: bad option, catalog missing or invalid, --only naming
         an unknown id, --db not a pledgeflow database, runner not installed
      3  the run did not finish: an unexpected error, such as the Prefect
         API unreachable (traceback on stderr)
      130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM; what it started is stopped

    \b
    Examples:
      pledgeflow run --sources samples/catalog.toml --db processed/pledgeflow.db
      pledgeflow run --runner dask --workers 4
      pledgeflow run --runner dask --address tcp://10.0.0.5:8786
      pledgeflow run || pledgeflow failures
    """
    if (address or workers) and runner != "dask":
        raise click.UsageError("--address and --workers go with --runner dask")
    _quiet_prefect()
    from pledgeflow.catalog import CatalogError, load_catalog, select
    from pledgeflow.store.db import NotPledgeflowDatabase, open_db

    try:
        select(load_catalog(sources), only=_split(only), kind=kind, organisation=organisation)
        open_db(db).close()  # refuse a foreign database before Prefect starts
    except (CatalogError, NotPledgeflowDatabase) as exc:
        raise SetupError(str(exc)) from None
    except (ValueError, OSError, sqlite3.Error) as exc:  # a newer schema, a folder unwritable
        raise SetupError(f"{db}: {exc}") from None
    from pledgeflow.flows.tempserver import needs_temporary_server, temporary_home

    where = (f"a temporary Prefect server, state in {temporary_home(state_dir)}"
             if needs_temporary_server() else "Prefect at PREFECT_API_URL")
    click.echo(f"pledgeflow: running {sources} into {db} ({where})", err=True)
    from pledgeflow import stopping
    from pledgeflow.flows.pipeline import format_summary, run_pipeline

    with stopping.handled():
        try:
            summary = run_pipeline(runner, address, workers, state_dir=state_dir,
                                   sources=str(sources), db=str(db),
                                   raw_dir=str(raw_dir), processed_dir=str(processed_dir),
                                   only=_split(only), kind=kind, organisation=organisation,
                                   parse_timeout=parse_timeout, ocr=ocr,
                                   ocr_pages=ocr_pages, ocr_seconds=ocr_seconds,
                                   allow_files_outside=allow_files_outside,
                                   batch=batch,
                                   **({"in_flight": in_flight} if in_flight else {}))
        except BaseException as exc:  # noqa: BLE001 - sorted below; the rest re-raised
            if stopping.received() is not None:  # SIGINT or SIGTERM: cleanup done
                stopping.exit_stopped()
            if isinstance(exc, RuntimeError) and "prefect-dask" in str(exc):
                raise SetupError(str(exc)) from None
            if isinstance(exc, Exception):  # cron must tell a run that stopped from one
                _crashed()                  # with failures
            raise
    click.echo(format_summary(summary))
    if summary["failed"]:
        click.echo(f"{summary['failed']} failure(s) recorded; list them with: pledgeflow "
                   f"failures --db {db}", err=True)
        sys.exit(EXIT_FAILURES)


def _crashed() -> None:
    traceback.print_exc()
    click.echo("pledgeflow: the run did not finish (exit status 3); documents loaded before "
               "the error are kept, and the next run loads the rest.", err=True)
    sys.exit(EXIT_CRASHED)


@main.command()
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to export.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True, help="Folder for the <source id>.json files.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True,
              help="json: <source id>.json per source, in the gold annotation format; "
                   "csv: <kind>.csv per kind with source and provenance columns "
                   "(docs/export.md).")
def export(db: Path, out_dir: Path, fmt: str) -> None:
    """Export the current records: JSON per source (gold format) or CSV per kind.

    \b
    Examples:
      pledgeflow export --db processed/pledgeflow.db --out exports/
      pledgeflow export --format csv --out exports/csv/
    """
    from pledgeflow.research.export import export_csv, export_json

    database = _open(db)
    files = (export_csv if fmt == "csv" else export_json)(database, out_dir)
    click.echo(f"wrote {len(files)} file(s) to {out_dir}")


def _open(db: Path):
    from pledgeflow.store.db import NotPledgeflowDatabase, open_db

    try:
        return open_db(db)
    except NotPledgeflowDatabase as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.argument("source_id")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to read.")
def history(source_id: str, db: Path) -> None:
    """Show every stored version of a source and the pledges, targets and KPIs each
    version added (+) or removed (-) against the one before.

    \b
    Example:
      pledgeflow history cwac-labour-2019
    """
    database = _open(db)
    versions = list(database.query(
        "select d.id, l.version, l.current, l.fetched_at, d.bytes, l.part_url, "
        "(select group_concat(o.source_id, ', ') from source_documents o "
        "where o.document_id = d.id and o.source_id != l.source_id) as also "
        "from source_documents l join documents d on d.id = l.document_id "
        "where l.source_id = ? order by l.part_url is not null, l.part_url, l.version",
        [source_id]))
    if not versions:
        raise click.ClickException(f"no stored version of {source_id!r} in {db}")
    for v in versions:
        mark = "current" if v["current"] else "superseded"
        page = f"page {v['part_url']}  " if v["part_url"] else ""
        also = f"  (also served by {v['also']})" if v["also"] else ""
        click.echo(f"{page}version {v['version']}  {v['id'][:12]}  fetched {v['fetched_at']}  "
                   f"{v['bytes']} bytes  ({mark}){also}")
        for change in database.query(
                "select kind, change, text from changes where document_id = ? "
                "and source_id = ? order by kind, change, id", [v["id"], source_id]):
            if change["change"] == "retired":
                click.echo(f"  retired: no longer linked from the index page ({change['text']})")
                continue
            sign = "+" if change["change"] == "added" else "-"
            click.echo(f"  {sign} {change['kind']}: {change['text']}")


@main.command()
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to read.")
@click.option("--source", "source_id", metavar="ID", help="Only this source's changes.")
@click.option("--since", metavar="DATE", help="Only changes detected on or after this date "
              "(UTC, e.g. 2025-01-01).")
def changes(db: Path, source_id: str | None, since: str | None) -> None:
    """List what changed, oldest first: records each new version of a source added or
    removed, and pages an index page stopped linking (retired). One line each,
    tab-separated: when (UTC), source id, kind, change, text (a retired page's URL).

    \b
    Examples:
      pledgeflow changes --since 2025-06-01
      pledgeflow changes --source somewhere-greens-2025
    """
    database = _open(db)
    rows = database.execute(
        "select detected_at, source_id, kind, change, text from changes "
        "where (:source is null or source_id = :source) and "
        "(:since is null or detected_at >= :since) order by detected_at, id",
        {"source": source_id, "since": since}).fetchall()
    for row in rows:
        click.echo("\t".join(" ".join(str(v or "").split()) for v in row))
    click.echo(f"{len(rows)} change(s)", err=True)


@main.command()
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to update.")
@click.option("--extractor", "extractors", multiple=True, metavar="NAME",
              help="Only documents whose records of these extractors are out of date.")
@click.option("--all", "everything", is_flag=True,
              help="Every current document, even when its records are up to date.")
def reextract(db: Path, extractors: tuple[str, ...], everything: bool) -> None:
    """Extract again from the saved parses, without fetching or parsing.

    After an extractor's version changes, the current version of each source whose
    records came from another version is extracted again (all extractors run, and its
    records are replaced in one transaction).

    \b
    Example:
      pledgeflow reextract --extractor pledges
    """
    from pledgeflow import stages
    from pledgeflow.registry import get_extractors
    from pledgeflow.store import load

    database = _open(db)
    versions = {name: e.version for name, e in get_extractors().items()}
    names = _split(extractors) or list(versions)
    unknown = sorted(set(names) - set(versions))
    if unknown:
        raise click.ClickException(f"unknown extractor(s): {', '.join(unknown)}")
    # the whole list first: writing while a read is open would fail if another run commits
    current = database.execute(
        "select d.id, group_concat(l.source_id, ', '), d.extractors from documents d "
        "join source_documents l on l.document_id = d.id and l.current = 1 "
        "group by d.id order by min(l.source_id), min(l.part)").fetchall()
    served = {document_id: source_id for document_id, source_id, _ in current}
    due = [document_id for document_id, _, stored in current
           if everything or any(json.loads(stored or "{}").get(n) != versions[n]
                                for n in names)]

    def echo(document_id: str, counts: dict[str, int]) -> None:
        click.echo(f"{served[document_id]}: "
                   + ", ".join(f"{n} {k}" for k, n in counts.items() if n))

    # Replacing a document's pledges drops their matches to measures: the councils they
    # serve are matched again once every document is done.
    done = load.reextract_documents(database, due, stages.Settings(), each=echo)
    click.echo(f"re-extracted {done.documents} document(s); matched {done.councils} "
               f"council(s) again: {done.matches} match(es)")


@main.command("extractors")
def list_extractors() -> None:
    """List the registered extractors: name, version, record kinds and where it comes from."""
    from pledgeflow.registry import get_extractors

    for name, extractor in get_extractors().items():
        origin = type(extractor).__module__.split(".")[0]
        click.echo(f"{name}\t{extractor.version}\t{','.join(extractor.kinds)}\t{origin}")


@main.command("schema-doc")
@click.option("--path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=Path("docs/schema.md"), show_default=True,
              help="The schema page whose record tables part to write.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 when the page is not what the declarations say.")
@click.option("--installed", is_flag=True,
              help="Also document the kinds of installed (third-party) extractors.")
def schema_doc(path: Path, check: bool, installed: bool) -> None:
    """Write the record tables of docs/schema.md from the record kinds' declarations.

    \b
    Examples:
      pledgeflow schema-doc
      pledgeflow schema-doc --check
    """
    from pledgeflow.registry import record_kinds
    from pledgeflow.research.schemadoc import update

    page = path.read_text(encoding="utf-8")
    try:
        new = update(page, record_kinds(installed=installed))
    except ValueError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    if check:
        if new != page:
            click.echo(f"{path} is out of date: run `pledgeflow schema-doc`", err=True)
            raise SystemExit(1)
        click.echo(f"{path} is up to date")
        return
    path.write_text(new, encoding="utf-8")
    click.echo(f"wrote {path}" if new != page else f"{path} was up to date")


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--extractor", "extractors", multiple=True, metavar="NAME",
              help="Run only these extractors (default: all registered).")
@ocr_options
def extract(file: Path, extractors: tuple[str, ...], ocr: bool, ocr_pages: int,
            ocr_seconds: float) -> None:
    """Parse one local file (HTML, PDF, Markdown, text or CSV) and print its records as JSON.

    No Prefect, no database: a quick way to see what the rules find.

    \b
    Example:
      pledgeflow extract samples/html/bnes-libdem-children.html
    """
    from pledgeflow.fetch.sniff import sniff_media_type
    from pledgeflow.nlp import build_nlp
    from pledgeflow.parse import ParseError, parse
    from pledgeflow.parse.ocr import OcrOptions
    from pledgeflow.registry import get_extractors, run_extractors

    data = file.read_bytes()
    media_type = sniff_media_type(data, url=file.name)
    try:
        doc = parse(data, media_type, document_id=hashlib.sha256(data).hexdigest(),
                    url=file.resolve().as_uri(), ocr=OcrOptions(ocr, ocr_pages, ocr_seconds))
    except ParseError as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    for warning in doc.warnings:  # scanned pages left unread
        click.echo(f"{file}: {warning}", err=True)
    try:
        chosen = get_extractors(_split(extractors))
    except KeyError as exc:
        raise click.ClickException(exc.args[0]) from None
    result = run_extractors(doc, chosen, build_nlp())
    out = {"document": doc.id, "media_type": media_type, "records": {}}
    for record in result.records:
        row = record.row()
        children = record.children()
        if children:
            row.update(children)
        out["records"].setdefault(record.kind, []).append(row)
    out["errors"] = [f"{name}: {type(e).__name__}: {e}" for name, e in result.errors]
    out["warnings"] = list(doc.warnings)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


@main.command("eval")
@click.argument("gold_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to score.")
@click.option("--summary-only", is_flag=True,
              help="Print the counts only, not the missed and spurious items.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole evaluation as JSON.")
def eval(gold_dir: Path, db: Path, summary_only: bool, as_json: bool) -> None:
    """Score the database against gold annotations (<source id>.json files in GOLD_DIR).

    Matches records as the annotation guide says and prints precision, recall and F1 per
    kind, then every gold item missed and every spurious prediction with the rule that
    produced it. It reports; the exit code is 0 whatever the scores.

    \b
    Example:
      pledgeflow eval tests/gold --db processed/pledgeflow.db --summary-only
    """
    from pledgeflow.research.evaluate import GoldError, evaluate, format_report
    from pledgeflow.store.db import NotPledgeflowDatabase, open_db

    try:
        database = open_db(db)
    except NotPledgeflowDatabase as exc:
        raise click.ClickException(str(exc)) from None
    try:
        evaluation = evaluate(database, gold_dir)
    except GoldError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        database.close()
    if as_json:
        click.echo(json.dumps(evaluation.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(evaluation, details=not summary_only))


# Scheduling lives in its own module: `server` starts a Prefect server, `serve` serves the
# pipeline on a cron schedule against it (docs/scheduling.md).
from pledgeflow.flows.serving import serve_command, server_command  # noqa: E402
from pledgeflow.research.browse import browse_command  # noqa: E402
from pledgeflow.research.report import report_command  # noqa: E402
from pledgeflow.store.doctor import doctor_command  # noqa: E402
from pledgeflow.store.failures import failures_command  # noqa: E402

main.add_command(server_command)
main.add_command(serve_command)
main.add_command(browse_command)
main.add_command(doctor_command)
main.add_command(report_command)
main.add_command(failures_command)
