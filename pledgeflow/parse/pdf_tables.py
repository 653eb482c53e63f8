"""Ruled tables for the PDF parser: finding them, reading their cells, joining page breaks.

Tables are found as pdfplumber's ``page.find_tables(TABLE_SETTINGS)`` finds them, without
pdfplumber's PDF (pdfminer): the edges pdfplumber would see (pdfminer's rectangles, lines
and curves) are rebuilt from pdfium's path objects (``ruling_edges``) and run through
pdfplumber's own table functions (``merge_edges`` to ``cells_to_tables``), which work on
plain edge dicts. The cells then place the page's pdfium words (``build_table``).

The rebuilt edges equal pdfplumber's to about 0.0005 pt: pdfium keeps float32 coordinates,
rounded here to 0.001 pt, where pdfminer keeps doubles. So a cell edge may sit that far off
pdfplumber's, which matters only to a word whose centre lies on a ruling line.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pypdfium2 as pdfium

from pledgeflow.parse.pdf_layout import Mark, Word, bullet_match, group_lines, join_wrapped
from pledgeflow.parse.pdf_text import PageFrame, native

if TYPE_CHECKING:
    from pdfplumber.table import Table

# Only explicit ruling: text-alignment strategies find "tables" in every paragraph.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
# Column edges of a table and its continuation may differ by rounding, not by design.
COLUMN_TOLERANCE = 5.0
# Points by which a cell line's type is smaller than its first line's to be set apart
# from it: a browser's <small> is 0.83 em (2 pt at 12 pt); a wrapped line differs by none.
SMALLER_TYPE = 1.0

BBox = tuple[float, float, float, float]


@dataclass
class TableItem:
    """One ruled table on one page, cells already read; a reading-order item like a line."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    rows: list[list[str]]
    col_x: list[float]  # left edge of each kept column
    bold_first_row: bool
    header_rows: int = 0
    pages: list[int] = field(default_factory=list)


def _centres(words: Sequence[Word]) -> tuple[np.ndarray, np.ndarray]:
    """Each word's centre, (x0 + x1) / 2 and (top + bottom) / 2, as float64 arrays."""
    box = np.array([(w.x0, w.x1, w.top, w.bottom) for w in words], float).reshape(-1, 4)
    return (box[:, 0] + box[:, 1]) / 2, (box[:, 2] + box[:, 3]) / 2


def _in_box(x: np.ndarray, y: np.ndarray, bbox: BBox) -> np.ndarray:
    """Which words have their centre inside ``bbox``, edges included."""
    return (bbox[0] <= x) & (x <= bbox[2]) & (bbox[1] <= y) & (y <= bbox[3])


def _inside_mask(words: Sequence[Word], bbox: BBox) -> np.ndarray:
    return _in_box(*_centres(words), bbox)


def cell_text(words: Sequence[Word]) -> str:
    """Lines of a cell joined with a space; a line opening with a bullet keeps its newline,
    and so does the first line set in smaller type than the cell's first (a measure's
    definition under its name: the same newline the HTML parser keeps for ``<small>``)."""
    text, main_size, apart = "", 0.0, False
    for line in group_lines(words, split_gaps=False):
        if not text:
            main_size = line.size
        if text and bullet_match(line.text):
            text += "\n" + line.text
        elif text and not apart and line.size < main_size - SMALLER_TYPE:
            text += "\n" + line.text
            apart = True
        else:
            text = join_wrapped(text, line.text)
    return text


def _read_cells(
    row_cells: list[list[BBox | None]], words: Sequence[Word]
) -> tuple[list[list[str]], list[list[bool]]]:
    """Text and all-bold flag of every cell (a merged-away cell reads as empty)."""
    texts: list[list[str]] = []
    bolds: list[list[bool]] = []
    x, y = _centres(words)
    for cells in row_cells:
        row_text: list[str] = []
        row_bold: list[bool] = []
        for bbox in cells:
            inside = (
                [words[i] for i in np.flatnonzero(_in_box(x, y, bbox)).tolist()]
                if bbox is not None
                else []
            )
            row_text.append(cell_text(inside))
            row_bold.append(bool(inside) and all(w.bold for w in inside))
        texts.append(row_text)
        bolds.append(row_bold)
    return texts, bolds


# A ruled table whose cells leave more than this share of its words unread is refused.
UNREAD_SHARE = 0.1


def _unread_share(row_cells: list[list[BBox | None]], words: Sequence[Word], bbox: BBox) -> float:
    """The share of the words inside ``bbox`` whose centre is in none of the cells."""
    if not words:
        return 0.0
    x, y = _centres(words)
    inside = _in_box(x, y, bbox)
    total = int(inside.sum())
    if not total:
        return 0.0
    seen = np.zeros(len(words), dtype=bool)
    for cells in row_cells:
        for cell in cells:
            if cell is not None:
                seen |= _in_box(x, y, cell)
    return float((inside & ~seen).sum()) / total


def _column_edges(row_cells: list[list[BBox | None]], n_cols: int) -> list[float]:
    edges = []
    for j in range(n_cols):
        xs = [cells[j][0] for cells in row_cells if j < len(cells) and cells[j] is not None]
        edges.append(min(xs) if xs else 0.0)
    return edges


def build_table(
    page_no: int, bbox: BBox, row_cells: list[list[BBox | None]], words: Sequence[Word]
) -> TableItem | None:
    """Read a found table; None when it is only a box around text (fewer than two cells),
    a filled bar (one row: a header bar, a striped or highlighted row, whose table goes on
    unruled below), or a grid its words do not fit (a tenth of the words inside it in no
    cell: backgrounds and underlines drawn for some cells only, so the finder's cells
    are not the table's). The words of a table refused are left to the layout
    (``pdf_unruled``), so none is lost."""
    if len(row_cells) < 2:
        return None
    n_cols = max((len(r) for r in row_cells), default=0)
    row_cells = [list(r) + [None] * (n_cols - len(r)) for r in row_cells]
    if _unread_share(row_cells, words, bbox) > UNREAD_SHARE:
        return None
    texts, bolds = _read_cells(row_cells, words)
    edges = _column_edges(row_cells, n_cols)
    keep_rows = [i for i, row in enumerate(texts) if any(c.strip() for c in row)]
    keep_cols = [j for j in range(n_cols) if any(texts[i][j].strip() for i in keep_rows)]
    filled = sum(1 for i in keep_rows for j in keep_cols if texts[i][j].strip())
    # A bordered paragraph or a single-column stack of boxes reads better as paragraphs.
    if len(keep_cols) < 2 or filled < 2:
        return None
    rows = [[texts[i][j] for j in keep_cols] for i in keep_rows]
    first = keep_rows[0]
    bold_first = all(bolds[first][j] for j in keep_cols if texts[first][j].strip())
    return TableItem(
        page=page_no,
        x0=bbox[0],
        top=bbox[1],
        x1=bbox[2],
        bottom=bbox[3],
        rows=rows,
        col_x=[edges[j] for j in keep_cols],
        bold_first_row=bold_first,
        header_rows=1 if bold_first and len(rows) > 1 else 0,
        pages=[page_no],
    )


def read_tables(
    tables: Sequence[Table], page_no: int, words: Sequence[Word]
) -> tuple[list[TableItem], list[Word]]:
    """The cells of found tables read from the page's words, and the words not in a table."""
    items: list[TableItem] = []
    rest = list(words)
    for found in tables:
        bbox = found.bbox
        item = build_table(page_no, bbox, [list(row.cells) for row in found.rows], rest)
        if item is None:
            continue
        items.append(item)
        inside = _inside_mask(rest, bbox)
        rest = [w for w, drop in zip(rest, inside.tolist(), strict=True) if not drop]
    return items, rest


# --- tables broken by a page break ---------------------------------------------------------


# A horizontal rule: (x0, x1, y).
Rule = tuple[float, float, float]


def row_rules(edges: list[dict]) -> list[Rule]:
    """The horizontal rules drawn on the page (not a background's edges), pieces a browser
    draws cell by cell joined where they meet: a table ruled only between its rows has no
    grid for pdfplumber, yet its rules say where its rows go on."""
    pieces = sorted((round(e["top"]), e["x0"], e["x1"]) for e in edges
                    if e["orientation"] == "h" and not e.get("background"))
    rules: list[list[float]] = []
    for y, x0, x1 in pieces:
        if rules and rules[-1][2] == y and x0 <= rules[-1][1] + 1.0:
            rules[-1][1] = max(rules[-1][1], x1)
        else:
            rules.append([x0, x1, float(y)])
    return [(x0, x1, y) for x0, x1, y in rules if x1 - x0 >= 36.0]


def same_columns(a: TableItem, b: TableItem) -> bool:
    return len(a.col_x) == len(b.col_x) and all(
        abs(x - y) <= COLUMN_TOLERANCE for x, y in zip(a.col_x, b.col_x, strict=True)
    )


def same_shape(a: TableItem, b: TableItem) -> bool:
    """The same columns wherever the table stands: each column starts as far from the first
    one (a table moved to the next page column)."""
    return len(a.col_x) == len(b.col_x) and all(
        abs((x - a.col_x[0]) - (y - b.col_x[0])) <= COLUMN_TOLERANCE
        for x, y in zip(a.col_x, b.col_x, strict=True)
    )


def same_header(a: TableItem, b: TableItem) -> bool:
    """``b`` opens with ``a``'s header row, as a browser repeats a table's head."""
    return (a.header_rows > 0 and bool(a.rows) and bool(b.rows)
            and _normal(a.rows[0]) == _normal(b.rows[0]))


def _normal(row: list[str]) -> list[str]:
    return [" ".join(c.split()) for c in row]


def _is_split_row(last: list[str], first: list[str]) -> bool:
    """The continuation's first row holds the rest of ``last``, cut by the page break.

    It has empty cells where ``last`` has text, text only where ``last`` has text too, and
    either no more filled cells than such empty ones, or a lower-case start mid-sentence.
    """
    empty_here = [j for j, c in enumerate(first) if not c.strip() and last[j].strip()]
    filled = [j for j, c in enumerate(first) if c.strip()]
    if not empty_here or not filled or any(not last[j].strip() for j in filled):
        return False
    mid_sentence = first[filled[0]].lstrip()[:1].islower() and not last[
        filled[0]
    ].rstrip().endswith((".", "!", "?", ";"))
    return len(filled) <= len(empty_here) or mid_sentence


def append_continuation(table: TableItem, cont: TableItem) -> None:
    """Join ``cont`` (top of the next page) onto ``table``: drop a repeated header, mend a
    row split by the break, then append the remaining rows."""
    rows = [list(r) for r in cont.rows]
    if rows and _normal(rows[0]) == _normal(table.rows[0]):
        rows = rows[1:]
        table.header_rows = max(table.header_rows, 1)
    if rows and table.rows and _is_split_row(table.rows[-1], rows[0]):
        last = table.rows[-1]
        for j, cell in enumerate(rows[0]):
            if cell.strip():
                last[j] = join_wrapped(last[j], cell) if last[j] else cell
        rows = rows[1:]
    table.rows.extend(rows)
    table.pages.extend(cont.pages)


# --- finding tables in pdfium's drawing ---------------------------------------------------

_P = ctypes.c_void_p
_count_objects = native("FPDFPage_CountObjects", ctypes.c_int, _P)
_get_object = native("FPDFPage_GetObject", _P, _P, ctypes.c_int)
_count_form_objects = native("FPDFFormObj_CountObjects", ctypes.c_int, _P)
_get_form_object = native("FPDFFormObj_GetObject", _P, _P, ctypes.c_ulong)
_object_type = native("FPDFPageObj_GetType", ctypes.c_int, _P)
_object_matrix = native("FPDFPageObj_GetMatrix", ctypes.c_int, _P, _P)
_draw_mode = native("FPDFPath_GetDrawMode", ctypes.c_int, _P, _P, _P)
_count_segments = native("FPDFPath_CountSegments", ctypes.c_int, _P)
_get_segment = native("FPDFPath_GetPathSegment", _P, _P, ctypes.c_int)
_segment_point = native("FPDFPathSegment_GetPoint", ctypes.c_int, _P, _P, _P)
_segment_type = native("FPDFPathSegment_GetType", ctypes.c_int, _P)
_segment_close = native("FPDFPathSegment_GetClose", ctypes.c_int, _P)
_PATH, _FORM = 2, 5  # FPDF_PAGEOBJ_PATH, FPDF_PAGEOBJ_FORM
_MOVETO, _BEZIERTO = 2, 1  # FPDF_SEGMENT_*
# pdfplumber's page.edges lists line edges, then rectangle edges, then curve edges.
_EDGE_ORDER = {"line": 0, "rect_edge": 1, "curve_edge": 2}
# pdfplumber's TableSettings edge_min_length_prefilter: shorter edges never reach its finder.
_PREFILTER = 1
# A drawn list marker's width and height, in points (a browser's disc is 3 pt at 10.5 pt).
MARK_MIN, MARK_MAX = 1.5, 10.0

Matrix = tuple[float, float, float, float, float, float]
Point = tuple[float, float]


class _Drawing:
    """What pdfplumber's ``TableFinder`` reads of a page under the "lines" strategies: its
    ``edges``; here rebuilt from pdfium, so no pdfplumber page (and no pdfminer) is needed."""

    def __init__(self, edges: list[dict]) -> None:
        self.edges = edges


def ruled_tables(
    page: pdfium.PdfPage, frame: PageFrame, edges: list[dict] | None = None
) -> list[Table]:
    """pdfplumber's ``page.find_tables(TABLE_SETTINGS)`` for this page, found on the edges
    rebuilt from pdfium's drawing (``edges``, when the caller read them already); only the
    tables of two or more columns (a single column of boxes reads as paragraphs, see
    ``build_table``)."""
    if edges is None:
        edges = ruling_edges(page, frame)
    vertical = sum(1 for e in edges if e["orientation"] == "v")
    if vertical < 3 or len(edges) - vertical < 2:
        return []  # two columns need three vertical rules and two horizontal ones
    from pdfplumber.table import TableFinder  # imported only once a page draws a grid

    tables = TableFinder(_Drawing(edges), TABLE_SETTINGS).tables  # type: ignore[arg-type]
    rules = [e for e in edges if not e.get("background")]
    return [t for t in tables if len({cell[0] for cell in t.cells}) >= 2 and _ruled(t.bbox, rules)]


def _ruled(bbox: BBox, rules: list[dict]) -> bool:
    """Does a ruling line (not a background's edge) lie on the table? A grid of backgrounds
    alone (a header bar over a zebra-striped row) is no ruled table: its rows go on
    unruled below it, and the whole table is found from its alignment (``pdf_unruled``)."""
    x0, top, x1, bottom = bbox
    return any(e["x0"] >= x0 - 1 and e["x1"] <= x1 + 1 and e["top"] >= top - 1
               and e["bottom"] <= bottom + 1 for e in rules)


def has_ruled_table(page: pdfium.PdfPage, frame: PageFrame) -> bool:
    """Does pdfplumber's table finder see a table of two or more columns on this page?"""
    return bool(ruled_tables(page, frame))


def ruling_edges(page: pdfium.PdfPage, frame: PageFrame) -> list[dict]:
    """pdfplumber's ``page.edges`` that its "lines" strategies keep (horizontal or vertical,
    1 pt long or more), rebuilt from pdfium's path objects, forms included, in pdfplumber's
    order: content order within line edges, then rectangle edges, then curve edges."""
    return page_drawing(page, frame)[0]


def page_drawing(page: pdfium.PdfPage, frame: PageFrame
                 ) -> tuple[list[dict], list[Mark], list[BBox]]:
    """One pass over the page's painted paths: the ruling edges (``ruling_edges``), the
    small shapes that may be list markers (``Mark``: a disc, circle, square or triangle a
    browser or design tool drew instead of a bullet character) and the boxes (any path
    at least ``BOX_MIN`` both ways, square or rounded: a card's or a tile's frame)."""
    edges: list[dict] = []
    marks: list[Mark] = []
    boxes: list[BBox] = []
    for obj, matrix, filled, stroked in _path_objects(ctypes.cast(page.raw, _P).value):
        xs: list[float] = []
        ys: list[float] = []
        curved = False
        for shape, points in _subpaths(obj):
            pts = [frame.point(*_apply(matrix, p)) for p in points]
            background = filled and not stroked and _background(shape, pts)
            for e in _shape_edges(shape, pts):
                if _kept(e):
                    e["background"] = background
                    edges.append(e)
            xs.extend(p[0] for p in pts)
            ys.extend(p[1] for p in pts)
            curved = curved or "c" in shape
        if xs:
            x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
            mark = _mark(x0, x1, top, bottom, len(xs), curved, filled)
            if mark is not None:
                marks.append(mark)
            elif x1 - x0 >= BOX_MIN and bottom - top >= BOX_MIN:
                boxes.append((x0, top, x1, bottom))
    edges.sort(key=lambda e: _EDGE_ORDER[e["object_type"]])  # stable: content order stays
    return edges, marks, boxes


# A path this many points wide and high, or more, is a box that may frame text.
BOX_MIN = 16.0
# A filled rectangle thicker than this both ways is a background, not a rule (a browser
# draws a 1 px border as a filled rectangle 0.75 pt thick).
BACKGROUND_MIN = 2.0


def _background(shape: str, pts: list[Point]) -> bool:
    """A filled, unstroked rectangle with area: a cell's, row's or header bar's background
    (zebra stripes, a coloured header). Its edges count as pdfplumber counts them, but a
    grid of such edges alone is not taken as a ruled table (``_ruled``)."""
    if shape not in ("mlllh", "mllll", "mllllh") or len(pts) < 4:
        return False
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return max(xs) - min(xs) > BACKGROUND_MIN and max(ys) - min(ys) > BACKGROUND_MIN


def _mark(x0, x1, top, bottom, points: int, curved: bool, filled: bool) -> Mark | None:
    """A path small and compact enough to be a list marker, with the glyph it stands for."""
    width, height = x1 - x0, bottom - top
    if not (MARK_MIN <= width <= MARK_MAX and MARK_MIN <= height <= MARK_MAX):
        return None
    if not 0.5 <= width / height <= 2.0 or points > 40:
        return None
    if curved:
        glyph = "•" if filled else "◦"
    elif points <= 4:  # a triangle: three corners and the close
        glyph = "▸"
    else:
        glyph = "▪" if filled else "□"
    return Mark(x0, x1, top, bottom, glyph)


def _kept(edge: dict) -> bool:
    orientation = edge["orientation"]
    if orientation == "v":
        return edge["height"] >= _PREFILTER
    return orientation == "h" and edge["width"] >= _PREFILTER


def _path_objects(page: int) -> Iterator[tuple[int, Matrix, bool, bool]]:
    """Painted path objects with their matrix to page space and whether they are filled and
    stroked, in content order, a form's objects in its place (as pdfminer lays them out)."""
    # (holder, is a form, its matrix, the next object to look at)
    stack: list[tuple[int, bool, Matrix, int]] = [(page, False, (1, 0, 0, 1, 0, 0), 0)]
    fs_matrix = pdfium.raw.FS_MATRIX()
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    while stack:
        holder, is_form, outer, start = stack.pop()
        count = _count_form_objects(holder) if is_form else _count_objects(holder)
        for i in range(start, max(count, 0)):
            obj = _get_form_object(holder, i) if is_form else _get_object(holder, i)
            kind = _object_type(obj) if obj else 0
            if kind not in (_PATH, _FORM):
                continue
            _object_matrix(obj, ctypes.addressof(fs_matrix))
            m = fs_matrix
            matrix = _multiply((m.a, m.b, m.c, m.d, m.e, m.f), outer)
            if kind == _FORM:
                stack.append((holder, is_form, outer, i + 1))  # go on after the form
                stack.append((obj, True, matrix, 0))
                break
            _draw_mode(obj, ctypes.addressof(fill), ctypes.addressof(stroke))
            if fill.value or stroke.value:  # pdfminer only sees painted paths
                yield obj, matrix, bool(fill.value), bool(stroke.value)


def _subpaths(obj: int) -> Iterator[tuple[str, list[Point]]]:
    """Each subpath as pdfminer sees it: operators ("m", "l", "c", "h") and their points,
    a Bezier curve by its end point and a close by the subpath's start."""
    x, y = ctypes.c_float(), ctypes.c_float()
    px, py = ctypes.addressof(x), ctypes.addressof(y)
    shape, points = "", []
    pending_curve = 0
    for i in range(_count_segments(obj)):
        seg = _get_segment(obj, i)
        _segment_point(seg, px, py)
        kind = _segment_type(seg)
        if kind == _MOVETO:
            if len(shape) > 1:
                yield shape, points
            shape, points, pending_curve = "m", [(x.value, y.value)], 0
        elif kind == _BEZIERTO:
            pending_curve += 1
            if pending_curve % 3:
                continue  # control points: pdfminer keeps only a curve's end point
            shape += "c"
            points.append((x.value, y.value))
        else:
            shape += "l"
            points.append((x.value, y.value))
        if _segment_close(seg) and points:
            shape += "h"
            points.append(points[0])
    if len(shape) > 1:
        yield shape, points


def _apply(m: Matrix, p: Point) -> Point:
    return (m[0] * p[0] + m[2] * p[1] + m[4], m[1] * p[0] + m[3] * p[1] + m[5])


def _multiply(m1: Matrix, m0: Matrix) -> Matrix:
    """Apply m1, then m0 (pdfminer's ``mult_matrix``)."""
    a1, b1, c1, d1, e1, f1 = m1
    a0, b0, c0, d0, e0, f0 = m0
    return (
        a0 * a1 + c0 * b1, b0 * a1 + d0 * b1, a0 * c1 + c0 * d1, b0 * c1 + d0 * d1,
        a0 * e1 + c0 * f1 + e0, b0 * e1 + d0 * f1 + f0,
    )


def _shape_edges(shape: str, pts: list[Point]) -> list[dict]:
    """pdfminer's line/rect/curve for one subpath (``paint_path``), as pdfplumber's edges."""
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape, pts = shape[:-2] + "h", pts[:-1]
    if shape in ("ml", "mlh"):
        return [_edge(pts[0], pts[1], "h" if pts[0][1] == pts[1][1] else "v", "line")]
    if shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), last = pts
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if last == pts[0] and square:
            left, right = sorted((x0, x2))
            top, bottom = sorted((y0, y2))
            return [
                _edge((left, top), (right, top), "h", "rect_edge"),
                _edge((left, bottom), (right, bottom), "h", "rect_edge"),
                _edge((left, top), (left, bottom), "v", "rect_edge"),
                _edge((right, top), (right, bottom), "v", "rect_edge"),
            ]
    return [
        _edge(p, q, "v" if p[0] == q[0] else ("h" if p[1] == q[1] else None), "curve_edge")
        for p, q in zip(pts, pts[1:], strict=False)
    ]


def _edge(p: Point, q: Point, orientation: str | None, kind: str) -> dict:
    x0, x1 = sorted((round(p[0], 3), round(q[0], 3)))
    top, bottom = sorted((round(p[1], 3), round(q[1], 3)))
    return {
        "object_type": kind, "orientation": orientation, "x0": x0, "x1": x1, "top": top,
        "bottom": bottom, "doctop": top, "width": x1 - x0, "height": bottom - top,
    }
