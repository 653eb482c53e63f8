"""A static HTML report for people who would rather look than read: per organisation,
its pledges by topic, and each KPI's baseline, targets and reported actuals over time, as
inline SVG charts (no JavaScript, no network: the file opens anywhere and can be mailed)."""

from __future__ import annotations

import html
from pathlib import Path

import click
import sqlite_utils

from pledgeflow import defaults
from pledgeflow.defaults import DB as DEFAULT_DB
from pledgeflow.research import progress_report

BAR = 18  # pixels per bar
WIDTH = 420  # pixels for the longest bar


def _bars(rows: list[tuple[str, float, str]], unit: str = "") -> str:
    """A horizontal bar chart: (label, value, note) rows."""
    top = max((v for _, v, _ in rows), default=0) or 1
    height = BAR * len(rows) + 4
    parts = [f'<svg role="img" width="{WIDTH + 330}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">']
    for i, (label, value, note) in enumerate(rows):
        y = i * BAR + 2
        width = max(1, round(WIDTH * value / top))
        parts.append(f'<text x="0" y="{y + 13}">{html.escape(label[:40])}</text>'
                     f'<rect x="260" y="{y}" width="{width}" height="{BAR - 4}" fill="#3a6ea5">'
                     f"<title>{html.escape(note)}</title></rect>"
                     f'<text x="{265 + width}" y="{y + 13}">{value:g}{html.escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render(db: sqlite_utils.Database) -> str:
    sections = []
    for org in db.query("select distinct s.organisation from current_pledges p "
                        "join sources s on s.id = p.source_id order by s.organisation"):
        name = org["organisation"]
        rows = [(r["topic"], r["n"], f"{r['n']} pledges on {r['topic']}") for r in db.query(
            "select p.topic, count(distinct p.id) as n from current_pledges p "
            "join sources s on s.id = p.source_id where s.organisation = ? "
            "group by p.topic order by n desc", [name])]
        sections.append(f"<h2>{html.escape(name)}: pledges by topic</h2>{_bars(rows)}")
    # each KPI on its own scale, with its targets and reported actuals (progress_report)
    sections += progress_report.kpi_sections(db)
    body = "\n".join(sections) or "<p>No records yet: run <code>pledgeflow run</code>.</p>"
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>pledgeflow report</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}</style>"
            f"<h1>pledgeflow report</h1>{body}</html>\n")


@click.command("report")
@click.option("--db", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=DEFAULT_DB, show_default=True, help="Database to report on.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              default=defaults.REPORT, show_default=True,
              help="The HTML file to write.")
def report_command(db: Path, out: Path) -> None:
    """Write a static HTML report with charts: pledges by topic per organisation, and
    each KPI's baseline, targets and reported actuals over time, its status marked.

    \b
    Example:
      pledgeflow report --out processed/report.html
    """
    from pledgeflow.store.db import NotPledgeflowDatabase, open_db

    try:
        database = open_db(db)
    except NotPledgeflowDatabase as exc:
        raise click.ClickException(str(exc)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(database), encoding="utf-8")
    click.echo(f"wrote {out}")
