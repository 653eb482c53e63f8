"""Ruled tables for the PDF parser: finding them, reading their cells, joining page breaks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pledgeflow.parse.pdf_layout import Word, bullet_match, group_lines, join_wrapped

# Only explicit ruling: text-alignment strategies find "tables" in every paragraph.
TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines"}
# Column edges of a table and its continuation may differ by rounding, not by design.
COLUMN_TOLERANCE = 5.0

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


def has_ruling(page) -> bool:
    """Cheap test before the expensive table finder: any drawn lines, rects or curves."""
    objects = page.objects
    return bool(objects.get("line") or objects.get("rect") or objects.get("curve"))


def _inside(word: Word, bbox: BBox) -> bool:
    x = (word.x0 + word.x1) / 2
    y = (word.top + word.bottom) / 2
    return bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]


def cell_text(words: Sequence[Word]) -> str:
    """Lines of a cell joined with a space; a line opening with a bullet keeps its newline."""
    text = ""
    for line in group_lines(words, split_gaps=False):
        if text and bullet_match(line.text):
            text += "\n" + line.text
        else:
            text = join_wrapped(text, line.text)
    return text


def _read_cells(
    row_cells: list[list[BBox | None]], words: Sequence[Word]
) -> tuple[list[list[str]], list[list[bool]]]:
    """Text and all-bold flag of every cell (a merged-away cell reads as empty)."""
    texts: list[list[str]] = []
    bolds: list[list[bool]] = []
    for cells in row_cells:
        row_text: list[str] = []
        row_bold: list[bool] = []
        for bbox in cells:
            inside = [w for w in words if bbox is not None and _inside(w, bbox)]
            row_text.append(cell_text(inside))
            row_bold.append(bool(inside) and all(w.bold for w in inside))
        texts.append(row_text)
        bolds.append(row_bold)
    return texts, bolds


def _column_edges(row_cells: list[list[BBox | None]], n_cols: int) -> list[float]:
    edges = []
    for j in range(n_cols):
        xs = [cells[j][0] for cells in row_cells if j < len(cells) and cells[j] is not None]
        edges.append(min(xs) if xs else 0.0)
    return edges


def build_table(
    page_no: int, bbox: BBox, row_cells: list[list[BBox | None]], words: Sequence[Word]
) -> TableItem | None:
    """Read a found table; None when it is only a box around text (fewer than two cells)."""
    n_cols = max((len(r) for r in row_cells), default=0)
    row_cells = [list(r) + [None] * (n_cols - len(r)) for r in row_cells]
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


def find_tables(page, page_no: int, words: Sequence[Word]) -> tuple[list[TableItem], list[Word]]:
    """Ruled tables of a page, and the words that are not inside one."""
    if not has_ruling(page):
        return [], list(words)
    tables: list[TableItem] = []
    rest = list(words)
    for found in page.find_tables(TABLE_SETTINGS):
        row_cells = [list(row.cells) for row in found.rows]
        item = build_table(page_no, found.bbox, row_cells, rest)
        if item is None:
            continue
        tables.append(item)
        rest = [w for w in rest if not _inside(w, found.bbox)]
    return tables, rest


# --- tables broken by a page break ---------------------------------------------------------


def same_columns(a: TableItem, b: TableItem) -> bool:
    return len(a.col_x) == len(b.col_x) and all(
        abs(x - y) <= COLUMN_TOLERANCE for x, y in zip(a.col_x, b.col_x, strict=True)
    )


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
