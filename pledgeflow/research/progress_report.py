"""Charts of each plan KPI over time for ``pledgeflow report``: its baseline, its targets
and the actuals performance reports give, each actual marked with its status.

One chart per KPI, so one scale per unit: a percentage never shares an axis with pounds.
Values in another unit than the KPI's, or with no single figure ("21 pts (national 20
pts)", "At least the same as the national average"), are not plotted; the table under the
chart gives every cell as printed. Hand-drawn SVG like the rest of the report: the file
keeps opening anywhere with no script and no network, and a handful of points per KPI
needs no plotting library.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass

import sqlite_utils

WIDTH, HEIGHT = 640, 190
LEFT, RIGHT, TOP, BOTTOM = 70, 110, 16, 40  # margins, pixels
STATUS_COLOURS = {"green": "#1b7f3b", "amber": "#a35f00", "red": "#b00020"}
NO_STATUS = "#777777"


@dataclass
class Point:
    period: str  # where it sits on the time axis: Baseline, 2018/19, 2018/19 Q4, ...
    role: str  # baseline, target or actual
    value: float | None
    unit: str | None
    raw: str | None  # the cell as printed
    status: str | None = None
    source: str | None = None


def kpi_sections(db: sqlite_utils.Database) -> list[str]:
    """One HTML section per council with a chart and a table per plan KPI."""
    if "kpi_series" not in db.view_names():
        from pledgeflow.store import progress

        progress.ensure(db)  # a database never linked: its views, with no outturns yet
    kpis: dict[str, dict] = {}
    for row in db.query("select * from kpi_series"):
        kpi = kpis.setdefault(row["kpi_id"], {"council": row["council"],
                                              "measure": row["measure"], "points": []})
        for point in _points(row):  # a target beside two outturns of its year comes twice
            if not any((p.period, p.role) == (point.period, point.role)
                       for p in kpi["points"]):
                kpi["points"].append(point)
    for kpi_id, kpi in kpis.items():
        baseline = db.execute("select baseline, baseline_value, baseline_unit from kpis "
                              "where id = ?", [kpi_id]).fetchone()
        if baseline and baseline[0]:
            kpi["points"].insert(0, Point("Baseline", "baseline", baseline[1], baseline[2],
                                          baseline[0]))
    sections = []
    for council in sorted({k["council"] for k in kpis.values()}):
        parts = [f"<h2>{html.escape(council)}: KPIs over time</h2>",
                 "<p>Each plan KPI's baseline (hollow), targets (grey bars) and the actuals "
                 "reported (dots, with their status). One chart per KPI, so each has its "
                 "own scale and unit.</p>"]
        for kpi in (k for k in kpis.values() if k["council"] == council):
            parts.append(f"<h3>{html.escape(kpi['measure'])}</h3>")
            parts.append(chart(kpi["points"], kpi["measure"]))
            parts.append(_table(kpi["points"]))
        sections.append("\n".join(parts))
    return sections


def _points(row: dict) -> list[Point]:
    points = []
    if row["target_period"] is not None and row["target"] is not None:
        period = row["period"] if row["outturn_id"] is None else row["period"][:7]
        points.append(Point(period, "target", row["target_value"], row["target_unit"],
                            row["target"]))
    if row["outturn_id"] is not None:
        points.append(Point(row["period"], "actual", row["actual_value"], row["actual_unit"],
                            row["actual"], row["status"], row["report_source_id"]))
    return points


def _unit_text(value: float, unit: str | None) -> str:
    if unit == "%":
        return f"{value:g}%"
    if unit == "GBP":
        return f"\u00a3{value:,.2f}"
    return f"{value:,g}"


def chart(points: list[Point], measure: str) -> str:
    """An SVG of the points in the KPI's commonest unit along its periods, in order."""
    units = Counter(p.unit for p in points if p.value is not None)
    if not units:
        return "<p>No figure to plot: every cell is text (see the table).</p>"
    unit = units.most_common(1)[0][0]
    plotted = [p for p in points if p.value is not None and p.unit == unit]
    periods = sorted({p.period for p in points},
                     key=lambda s: ("" if s == "Baseline" else s))
    values = [p.value for p in plotted]
    low, high = min(0.0, *values), max(values) * 1.1 or 1.0
    if unit == "%" and max(values) <= 100:
        high = 100.0  # a share's scale ends at the whole
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(1, len(periods) - 1) if len(periods) > 1 else 0

    def x(period: str) -> float:
        return LEFT + (periods.index(period) * step if len(periods) > 1 else inner_w / 2)

    def y(value: float) -> float:
        return TOP + inner_h * (1 - (value - low) / (high - low))

    out = [f'<svg role="img" aria-label="{html.escape(measure)}" width="{WIDTH}" '
           f'height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" '
           'font-size="11">',
           f'<line x1="{LEFT}" y1="{TOP + inner_h}" x2="{LEFT + inner_w}" '
           f'y2="{TOP + inner_h}" stroke="#999"/>',
           f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + inner_h}" stroke="#999"/>']
    for tick in (low, (low + high) / 2, high):
        out.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
                   f"{html.escape(_unit_text(round(tick, 2), unit))}</text>")
    for period in periods:
        out.append(f'<text x="{x(period):.1f}" y="{HEIGHT - BOTTOM + 16}" '
                   f'text-anchor="middle">{html.escape(period)}</text>')
    actuals = sorted((p for p in plotted if p.role == "actual"), key=lambda p: p.period)
    if len(actuals) > 1:
        path = " ".join(f"{x(p.period):.1f},{y(p.value):.1f}" for p in actuals)
        out.append(f'<polyline points="{path}" fill="none" stroke="#555" stroke-width="1"/>')
    for p in plotted:
        cx, cy = x(p.period), y(p.value)
        tip = html.escape(f"{p.role} {p.period}: {p.raw}" + (f" ({p.status})" if p.status
                                                              else ""))
        if p.role == "target":
            out.append(f'<rect x="{cx - 14:.1f}" y="{cy - 2:.1f}" width="28" height="4" '
                       f'fill="#999"><title>{tip}</title></rect>'
                       f'<text x="{cx + 18:.1f}" y="{cy + 4:.1f}" fill="#555">target '
                       f"{html.escape(p.raw or '')}</text>")
        elif p.role == "baseline":
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="white" '
                       f'stroke="#3a6ea5" stroke-width="2"><title>{tip}</title></circle>'
                       f'<text x="{cx + 9:.1f}" y="{cy - 8:.1f}">{html.escape(p.raw or "")}'
                       "</text>")
        else:
            colour = STATUS_COLOURS.get(p.status or "", NO_STATUS)
            word = (p.status or "no status").capitalize()
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{colour}">'
                       f"<title>{tip}</title></circle>"
                       f'<text x="{cx + 9:.1f}" y="{cy - 8:.1f}" fill="{colour}">'
                       f"{html.escape(p.raw or '')} {word}</text>")
    out.append("</svg>")
    return "".join(out)


def _table(points: list[Point]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(p.period)}</td><td>{html.escape(p.role)}</td>"
        f"<td>{html.escape(p.raw or '-')}</td><td>{html.escape(p.status or '')}</td>"
        f"<td>{html.escape(p.source or '')}</td></tr>"
        for p in sorted(points, key=lambda p: ("" if p.period == "Baseline" else p.period)))
    return ("<table><tr><th>Period</th><th>What</th><th>As printed</th><th>Status</th>"
            f"<th>Report</th></tr>{rows}</table>")
