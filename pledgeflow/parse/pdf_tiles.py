"""Figure tiles: a row of drawn boxes, each a label and one figure set large.

Dashboards and scorecards print an indicator's figures as tiles: a box per figure, its
label in small type ("Starting point 2023/24", "2027/28 goal") over or under the figure
in large type. Printed, the tiles of two cards side by side share their rows, so the
unruled-table finder reads both cards' labels and figures as one table across the
gutter, and a tile's label lines and figure as rows of their own. The boxes say what goes
together: each row of two or more tiles becomes a two-row table (labels over figures),
which the KPI extractor reads as a card under its heading, as it reads a web page's.

A tile is a drawn box (a filled or stroked path, any corners) holding two to six lines,
exactly one of them a figure alone set clearly larger than every other line in it; a
box that holds other boxes' lines is a card or a panel, not a tile.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pledgeflow.parse.pdf_layout import Line
from pledgeflow.parse.pdf_tables import BBox, TableItem

# A figure as tiles print it: "388", "61%", "2.31m", "£1.9m", "8.7 days", "n/a".
_FIGURE = re.compile(r"^(?:[£$€]\s?)?[-\u2212]?\d[\d,]*(?:\.\d+)?\s?(?:%|[a-z]{1,7})?$|^n/a$",
                     re.IGNORECASE)
MAX_LINES = 6
MAX_BOXES = 300  # more boxes than this on a page is a chart or a grid of cells, not tiles
LABEL_WORDS = 8
LARGER = 1.25  # a tile's figure is set at least this much larger than its label
EDGE = 2.0  # points a line may stand over a box's edge; tiles of one row align this well


@dataclass
class _Tile:
    box: BBox
    label: str
    figure: str
    lines: list[Line]


def figure_tiles(page_no: int, lines: Sequence[Line], boxes: Sequence[BBox]
                 ) -> tuple[list[TableItem], list[Line]]:
    """Rows of two or more figure tiles as two-row tables, and the lines left over."""
    if not 2 <= len(boxes) <= MAX_BOXES:
        return [], list(lines)
    tiles = [t for box in boxes if (t := _tile(box, lines)) is not None]
    tables: list[TableItem] = []
    used: set[int] = set()
    for row in (group for line in _rows(tiles) for group in _side_by_side(line)):
        if len(row) < 2:
            continue
        tables.append(TableItem(
            page=page_no, x0=row[0].box[0], top=min(t.box[1] for t in row),
            x1=row[-1].box[2], bottom=max(t.box[3] for t in row),
            rows=[[t.label for t in row], [t.figure for t in row]],
            col_x=[t.box[0] for t in row], bold_first_row=False, header_rows=1,
            pages=[page_no],
        ))
        used.update(id(ln) for t in row for ln in t.lines)
    if not tables:
        return [], list(lines)
    return tables, [ln for ln in lines if id(ln) not in used]


def _inside(line: Line, box: BBox) -> bool:
    return (line.x0 >= box[0] - EDGE and line.x1 <= box[2] + EDGE
            and line.top >= box[1] - EDGE and line.bottom <= box[3] + EDGE)


def _tile(box: BBox, lines: Sequence[Line]) -> _Tile | None:
    inside = [ln for ln in lines if _inside(ln, box)]
    if not 2 <= len(inside) <= MAX_LINES:
        return None
    figures = [ln for ln in inside if _FIGURE.match(ln.text)]
    if len(figures) != 1:
        return None
    figure = figures[0]
    labels = sorted((ln for ln in inside if ln is not figure), key=lambda ln: (ln.top, ln.x0))
    if any(figure.size < LARGER * ln.size for ln in labels):
        return None
    label = " ".join(ln.text for ln in labels)
    if len(label.split()) > LABEL_WORDS or label[-1:] in ".!?":
        return None
    return _Tile(box, label, figure.text, inside)


def _rows(tiles: list[_Tile]) -> list[list[_Tile]]:
    """Tiles whose boxes share top and bottom, side by side."""
    rows: list[list[_Tile]] = []
    for tile in sorted(tiles, key=lambda t: (t.box[1], t.box[0])):
        for row in rows:
            first = row[0].box
            if abs(first[1] - tile.box[1]) <= EDGE and abs(first[3] - tile.box[3]) <= EDGE:
                if all(tile.box[0] >= t.box[2] or tile.box[2] <= t.box[0] for t in row):
                    row.append(tile)
                    break
        else:
            rows.append([tile])
    return rows


def _side_by_side(row: list[_Tile]) -> list[list[_Tile]]:
    """A row of tiles cut where the gap between two is clearly wider than the row's
    narrowest: the tiles of two cards side by side, a card's gutter between them."""
    row = sorted(row, key=lambda t: t.box[0])
    gaps = [b.box[0] - a.box[2] for a, b in zip(row, row[1:], strict=False)]
    if not gaps:
        return [row]
    apart = 2 * max(min(gaps), 0.0) + 2 * EDGE
    groups = [[row[0]]]
    for gap, tile in zip(gaps, row[1:], strict=True):
        if gap > apart:
            groups.append([])
        groups[-1].append(tile)
    return groups
