"""What went wrong in a run: ``pledgeflow failures``, and the run report a flow run ends with.

Plain code over the ``runs`` and ``failures`` tables; the flow (``flows/pipeline.py``)
turns ``report_markdown`` into a Prefect artifact, so a scheduled run's failures show in
the Prefect UI, and ``pledgeflow failures`` lists the same rows at the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from pledgeflow.defaults import DB as DEFAULT_DB

# Failures listed in a run report at most; the rest are counted, and `pledgeflow failures`
# lists them all (a report of thousands of rows helps nobody in a browser).
REPORT_ROWS = 100
MESSAGE_CHARS = 300
FIELDS = ("run_id", "source_id", "url", "document_id", "stage", "error_type", "message",
          "occurred_at")


def latest_run(db) -> dict | None:
    """The run started last, or None when the database has none."""
    rows = list(db.query("select * from runs order by started_at desc, rowid desc limit 1"))
    return rows[0] if rows else None


def find_run(db, ref: str) -> dict:
    """The run whose id, or Prefect flow run id, is ``ref`` or starts with it. Raises
    LookupError when none or several match."""
    rows = list(db.query("select * from runs where id like :p or flow_run_id like :p "
                         "order by started_at, rowid", {"p": ref.replace("%", "") + "%"}))
    exact = [r for r in rows if ref in (r["id"], r["flow_run_id"])]
    if len(exact) == 1 or len(rows) == 1:
        return (exact or rows)[0]
    if not rows:
        raise LookupError(f"no run {ref!r} in the database")
    raise LookupError(f"{ref!r} matches {len(rows)} runs; give more of the id")


def run_failures(db, run_id: str | None) -> list[dict]:
    """The failures of one run (all runs' when ``run_id`` is None), oldest first, each
    with the URL that failed (the source's, for rows stored before failures had one)."""
    where, params = ("where f.run_id = ?", [run_id]) if run_id is not None else ("", [])
    return list(db.query(
        "select f.run_id, f.source_id, coalesce(f.url, s.url) as url, f.document_id, "
        "f.stage, f.error_type, f.message, f.occurred_at "
        f"from failures f left join sources s on s.id = f.source_id {where} order by f.id",
        params))


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def format_failure(failure: dict) -> str:
    """One line: source id, stage, error type and message, when (tab-separated)."""
    error = _one_line(failure["message"])
    if failure["error_type"]:
        error = f"{failure['error_type']}: {error}"
    return "\t".join([failure["source_id"] or "-", failure["stage"] or "-", error,
                      failure["occurred_at"] or "-"])


def _cell(value) -> str:
    text = _one_line(str(value) if value is not None else "")
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS - 1] + "…"
    return text.replace("\\", "\\\\").replace("|", "\\|") or " "


def _table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)]


def report_markdown(summary: dict, failures: list[dict], *, catalog: str = "",
                    db: str = "") -> str:
    """A run's report in Markdown: its counts, its records per kind (loaded by the run and
    now current in the database) and a row per failure (source, URL, stage, error)."""
    lines = [f"# pledgeflow run {summary['run_id']}", ""]
    if catalog or db:
        lines += [f"Catalog `{catalog}` into `{db}`.", ""]
    lines += _table(["sources", "loaded", "unchanged", "failed", "fetched", "not modified",
                     "parsed"],
                    [[summary["sources"], summary["documents"], summary["unchanged"],
                      summary["failed"], summary["fetched"], summary["not_modified"],
                      summary["parsed"]]])
    if summary.get("renamed"):
        lines += ["", "Sources renamed in the catalog (their documents follow): "
                  + ", ".join(f"`{r}`" for r in summary["renamed"])]
    totals = summary.get("totals", {})
    kinds = list(dict.fromkeys([*summary["records"], *totals]))
    if kinds:
        lines += ["", "## Records", ""]
        lines += _table(["kind", "loaded by this run", "current in the database"],
                        [[k, summary["records"].get(k, 0), totals.get(k, "")] for k in kinds])
    lines += ["", f"## Failures ({len(failures)})", ""]
    if not failures:
        lines.append("None: every selected document loaded or was unchanged.")
        return "\n".join(lines) + "\n"
    lines += _table(["source", "document / URL", "stage", "error", "message"],
                    [[f["source_id"], f["url"] or f["document_id"], f["stage"],
                      f["error_type"], f["message"]] for f in failures[:REPORT_ROWS]])
    if len(failures) > REPORT_ROWS:
        lines += ["", f"… and {len(failures) - REPORT_ROWS} more."]
    lines += ["", f"All of them: `pledgeflow failures --db {db or DEFAULT_DB} "
                  f"--run {summary['run_id']}`"]
    return "\n".join(lines) + "\n"


@click.command("failures")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to read.")
@click.option("--run", "run_ref", metavar="ID|all",
              help="The run (its id or Prefect flow run id, or the start of either), or "
                   "'all' for every run's failures. Default: the latest run.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the failures as a JSON list, with run id, URL and document id.")
def failures_command(db: Path, run_ref: str | None, as_json: bool) -> None:
    """List the failures a run recorded: one line per failure with its source id, stage,
    error and when (UTC), tab-separated. A line about the run goes to stderr first.

    It reports; the exit code is 0 whatever it finds (`pledgeflow run` exits 1 when a
    document failed).

    \b
    Examples:
      pledgeflow failures
      pledgeflow failures --run all --db processed/pledgeflow.db
      pledgeflow failures --run 3f2a9c --json
    """
    from pledgeflow.store.db import NotPledgeflowDatabase, open_db

    try:
        database = open_db(db)
    except NotPledgeflowDatabase as exc:
        raise click.ClickException(str(exc)) from None
    try:
        if run_ref == "all":
            run, rows = None, run_failures(database, None)
            header = f"all runs: {len(rows)} failure(s)"
        else:
            try:
                run = find_run(database, run_ref) if run_ref else latest_run(database)
            except LookupError as exc:
                raise click.BadParameter(str(exc), param_hint="--run") from None
            if run is None:
                click.echo(f"no runs in {db}", err=True)
                rows, header = [], None
            else:
                rows = run_failures(database, run["id"])
                header = (f"run {run['id']} ({run['status']}, started {run['started_at']}, "
                          f"{run['catalog']}): {len(rows)} failure(s)")
    finally:
        database.close()
    if header:
        click.echo(header, err=True)
    if as_json:
        click.echo(json.dumps([{k: f[k] for k in FIELDS} for f in rows], ensure_ascii=False,
                              indent=2))
        return
    for failure in rows:
        click.echo(format_failure(failure))
