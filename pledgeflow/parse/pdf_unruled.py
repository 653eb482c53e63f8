"""Tables without ruling lines, found from how their words line up.

A browser prints an HTML table without borders, and Word or InDesign set tables, as words
alone: no line is drawn, so ``pdf_tables`` (pdfplumber's "lines" strategy) sees nothing.
Here such a table is found from its columns of whitespace:

1. Rows of the page's lines where a wide gap (over 1.5 em, which already splits a line in
   ``group_lines``) leaves two or more pieces are *seeds*: tables put such gaps between
   their columns, prose does not (a two-column page does, and is ruled out in step 4).
2. A block grows from a seed, down and then up, one visual row at a time, as long as the
   *rivers* stay open: x intervals at least half an em wide that no word of the block
   covers. A full-width line of prose closes them, so it ends the table; a header with
   small gaps or a cell's wrapped line leaves them open. A vertical gap clearly wider than
   the block's row spacing ends it too, unless a rule is drawn between the rows, across
   their words (``row_rules``: a table ruled only between its rows, as GOV.UK and
   Bootstrap style them, pads its cells above and below the rule), where a row that
   fills two columns may stand up to three ems away. Rows may overlap by up to three quarters of a
   line (cells centred in their rows, CSS's default), but not where a bulleted line
   overlaps (a list in the next page column). A line in one column joins below the
   block at its closest spacing (a wrapped cell), or when it opens a row whose other
   cells, centred, follow within half a line (after more lines of its cell, perhaps);
   above the block, when it ends a header
   cell that wraps ("2023/24" over "(actual)").
3. The rivers split the block into columns, and each word goes to the column holding its
   centre. Visual rows are one table row each, unless the row spacing has two levels
   (cells that wrap): then a row starts after the wider spacing. Steps under most of a
   line (centred cells beside taller ones) never start a row.
   A row's words in smaller type (a status badge) do not place it: its lines in its
   main size do.
4. A block is a table when it has three rows or more (two, when the first is a bold
   header over three columns or more: a small table, or the piece of one a column break
   left), two or more columns, every column
   holds text in two rows at least, and it is not columns of prose: when every column
   averages four words a line or more, it is two- or three-column text, read by
   ``reading_order`` column by column instead; and when a sentence runs on from one row's
   cell into the cell below (no sentence end, then lower case), its rows are lines of
   text beside each other (once with two columns, twice with more).

On a page with a column gutter, the lines left out of tables are searched again on each
side of it (``unruled_tables_in_columns``): a narrow table inside one page column shares
its visual rows with the other column's text, which closes its rivers.

At the top of a page that follows a table ending its page, rows that fit that table's
columns are a piece of it (``continued_table``), however few: the rest of a row cut by
the break, a last row; ``merge_page_break_tables`` joins them on. A browser draws no
rule where a page break cuts a ruled row, so that row's first lines stand under the
page's last grid (``open_row`` adds them to it as one row) and its rest above the next
page's first grid (``going_on`` makes them one row and joins the grid to them). A column
break does the same inside a page: rows at the top of the right page column that fit the
columns of the table ending the left one, moved by the gutter, are a piece of it
(``across_column_break``), however few.

The first row is a header row when it is bold and the body is not. The cost is a pass
over a page's lines for pages whose rows never split (most prose pages), and a sweep
over the words of each candidate block otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pledgeflow.parse.pdf_layout import (
    Line,
    Word,
    _find_gutter,
    _lone_bullet,
    _rows,
    _split_at_gutter,
    bullet_match,
    dominant_size,
    ends_sentence,
    join_wrapped,
)
from pledgeflow.parse.pdf_tables import (
    COLUMN_TOLERANCE,
    Rule,
    TableItem,
    append_continuation,
    cell_text,
    same_columns,
)

# A river between columns is at least this wide, in ems of the text beside it.
RIVER_EM = 0.5
# A column of prose averages this many words a line or more.
PROSE_WORDS = 4.0
MIN_ROWS = 3
# Rows with a rule drawn between them may stand this many ems apart.
RULED_GAP = 3.0
_NUMBER = re.compile(r"^\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]$")
# Lines of one wrapped cell sit at most this many ems apart, top to top.
WRAP_PITCH = 1.75


@dataclass
class _Block:
    rows: list[list[Line]]  # visual rows of lines, top to bottom
    rivers: list[tuple[float, float]]


def has_split_rows(lines: Sequence[Line], at_least: int = 2) -> bool:
    """Do ``at_least`` rows hold two lines side by side, one of them short? (``group_lines``
    splits a row at a gap over 1.5 em and emits its pieces one after the other.) Two
    columns of prose split every row, but into long lines: a table's cells are short.
    Cheap: no sorting, so pages of prose cost one pass over their lines."""
    found = 0
    for a, b in zip(lines, lines[1:], strict=False):
        if (
            b.x0 > a.x1
            and b.top < a.bottom
            and a.top < b.bottom
            and min(len(a.words), len(b.words)) < PROSE_WORDS
        ):
            found += 1
            if found >= at_least:
                return True
    return False


def unruled_tables(
    page_no: int, lines: Sequence[Line], rules: Sequence[Rule] = ()
) -> tuple[list[TableItem], list[Line]]:
    """Tables found from the alignment of the page's lines, and the lines outside them.

    Seeds with the most rivers grow first: a table row has a river between each pair of
    columns, two columns of prose one, which a table across the page keeps open; grown
    first, the table stops where the prose's rows close its other rivers."""
    rows = _rows(lines)
    seeds = [(len(rivers), k) for k, row in enumerate(rows)
             if len(row) >= 2 and _one_size(row) and (rivers := _rivers_of(_words(row)))]
    tables: list[TableItem] = []
    taken = [False] * len(rows)  # rows of a table, or of a block that was not one
    inside: set[int] = set()  # id() of the lines that went into a table
    for _, seed in sorted(seeds, key=lambda s: (-s[0], s[1])):
        if taken[seed]:
            continue
        block, first, last = _grow(rows, seed, taken, rules)
        if block is None:
            continue
        table = _table(page_no, block)
        for k in range(first, last + 1):
            taken[k] = True
        if table is not None:
            tables.append(table)
            inside.update(id(ln) for k in range(first, last + 1) for ln in rows[k])
    if not tables:
        return [], list(lines)
    return tables, [ln for ln in lines if id(ln) not in inside]


def unruled_tables_in_columns(
    page_no: int, lines: Sequence[Line], rules: Sequence[Rule] = ()
) -> tuple[list[TableItem], list[Line]]:
    """``unruled_tables`` on the page, then on each side of its column gutter, if it has
    one: a narrow table set inside one column of a two-column page shares its visual rows
    with the other column's prose, which closes its rivers, so it is found only on its
    own side. Tables across the page (``column-span: all``) are found first."""
    tables, rest = unruled_tables(page_no, lines, rules)
    if len(rest) < 2 * MIN_ROWS:
        return tables, rest
    gutter = _find_gutter(rest)
    if gutter is None:
        return tables, rest
    rest = _split_at_gutter(rest, gutter)
    inside: set[int] = set()
    for side in ([ln for ln in rest if ln.x1 <= gutter], [ln for ln in rest if ln.x0 >= gutter]):
        if has_split_rows(side):
            found, kept = unruled_tables(page_no, side, rules)
            tables.extend(found)
            kept_ids = {id(ln) for ln in kept}
            inside.update(id(ln) for ln in side if id(ln) not in kept_ids)
    return tables, [ln for ln in rest if id(ln) not in inside]


def continued_table(
    page_no: int, lines: Sequence[Line], col_x: list[float], header: str | None = None,
    one_column: bool = False,
) -> tuple[TableItem | None, list[Line]]:
    """The rows at the top of a page that go on with the table the page before ended
    with (columns starting at ``col_x``): too few, often, to be found as a table of their
    own (the rest of a row cut by the break, a last row). Rows join from the top while no
    word starts left of the table or lies across a column's start (prose, a heading), a
    river separates the words on either side of each column's start (not a word space),
    no column's words in a row stand apart by a column gap (a table of more columns), no row
    is all bold unless it repeats the table's header (``header_text``), and the
    spacing stays a table's; one of them must fill two columns (unless ``one_column``:
    the rest of one cell, when the table's ruled rows go on right below). The piece keeps
    the table's columns, so ``merge_page_break_tables`` joins it on."""
    rows = _rows(lines)
    size = dominant_size(w for ln in lines for w in ln.words) if lines else 0.0
    taken: list[list[Line]] = []
    for row in rows:
        words = _words(row)
        if taken and _gap(taken[-1], row) > 2.5 * size:
            break
        if not all(_inside_columns(w, col_x) for w in words):
            break
        if all(w.bold for w in words) and _text(words) != header:
            break  # the header of a new table
        if any(_splits(cell, size) for cell in _cells(words, col_x)):
            break  # more columns than the table: another table
        if not _rivers_at(words, col_x, size):
            break  # a line of prose running across the columns
        taken.append(row)
    if not taken:
        return None, list(lines)
    visual = [_cells(_words(row), col_x) for row in taken]
    if not one_column and not any(sum(1 for c in cells if c) >= 2 for cells in visual):
        return None, list(lines)
    groups = _table_rows(taken, visual) if len(taken) > 1 else [[visual[0]]]
    table_rows = [
        [cell_text(sorted((w for v in group for w in v[j]), key=lambda w: (w.top, w.x0)))
         for j in range(len(col_x))]
        for group in groups
    ]
    words = [w for cells in visual for cell in cells for w in cell]
    inside = {id(ln) for row in taken for ln in row}
    table = TableItem(
        page=page_no, x0=min(w.x0 for w in words), top=min(w.top for w in words),
        x1=max(w.x1 for w in words), bottom=max(w.bottom for w in words), rows=table_rows,
        col_x=list(col_x), bold_first_row=False, header_rows=0, pages=[page_no],
    )
    return table, [ln for ln in lines if id(ln) not in inside]


def _inside_columns(word: Word, col_x: list[float]) -> bool:
    """The word starts inside the table and lies across no column's start (a figure may,
    set right-aligned and wider than those above it)."""
    if word.x0 < col_x[0] - COLUMN_TOLERANCE:
        return False
    if any(ch.isdigit() for ch in word.text):
        return True
    return not any(word.x0 < x - COLUMN_TOLERANCE and word.x1 > x + COLUMN_TOLERANCE
                   for x in col_x[1:])


def _rivers_at(words: list[Word], col_x: list[float], size: float) -> bool:
    """Where a row has words on both sides of a column's start, a river (half an em) lies
    between them, as between a table's cells, not a word space, as in prose."""
    for x in col_x[1:]:
        left = [w.x1 for w in words if (w.x0 + w.x1) / 2 < x]
        right = [w.x0 for w in words if (w.x0 + w.x1) / 2 >= x]
        if left and right and min(right) - max(left) < RIVER_EM * size:
            return False
    return True


def _splits(cell: list[Word], size: float) -> bool:
    """Words of one cell on one row with a column gap (1.5 em, as ``group_lines``) between."""
    spans = sorted((w.x0, w.x1) for w in cell)
    return any(b[0] - a[1] > 1.5 * size for a, b in zip(spans, spans[1:], strict=False))


def _cells(words: list[Word], col_x: list[float]) -> list[list[Word]]:
    cells: list[list[Word]] = [[] for _ in col_x]
    for w in words:
        centre = (w.x0 + w.x1) / 2
        cells[max(0, sum(1 for x in col_x if centre >= x) - 1)].append(w)
    return cells


def going_on(page_no: int, found: list[TableItem], lines: list[Line], table: TableItem,
             header: str | None) -> tuple[list[TableItem], list[Line]]:
    """The page's tables with the piece of ``table`` (which ended the page before) that
    opens this page (``continued_table``), and the lines left. A browser draws no rule
    where a page break cuts a row, so the rest of that row stands above the first ruled
    row of the page, outside its grid: it joins the grid below it when that keeps the
    table's columns, as one piece."""
    first = min(found, key=lambda t: t.top, default=None)
    above = [ln for ln in lines if first is None or ln.bottom <= first.top]
    follows = first is not None and same_columns(first, table)
    piece, rest = continued_table(page_no, above, table.col_x, header, one_column=follows)
    if piece is None:
        return found, lines
    if follows:
        assert first is not None
        _one_row(piece)  # all above the first rule is the rest of the row the break cut
        append_continuation(piece, first)
        piece.bottom, piece.x1 = max(piece.bottom, first.bottom), max(piece.x1, first.x1)
        found = [t for t in found if t is not first]
    kept = {id(ln) for ln in rest} | {id(ln) for ln in lines if ln.bottom > (
        first.top if first is not None else float("inf"))}
    return [piece, *found], [ln for ln in lines if id(ln) in kept]


def across_column_break(page_no: int, found: list[TableItem], lines: list[Line]
                        ) -> tuple[list[TableItem], list[Line]]:
    """The page's tables with the piece of a table that a column break cut: the table ends
    the left page column, and rows that fit its columns, moved by the gutter, open the
    right one (``continued_table``), however few: the rest of a row the break cut, a last
    row whose first cell wraps. ``merge_page_break_tables`` joins the piece on."""
    if not found or len(lines) < 2:
        return found, lines
    gutter = _find_gutter([*lines, *found])
    if gutter is None:
        return found, lines
    left = [ln for ln in lines if ln.x1 <= gutter]
    right = [ln for ln in lines if ln.x0 >= gutter]
    tables = [t for t in found if t.x1 <= gutter]
    if not left or not right or not tables:
        return found, lines
    table = max(tables, key=lambda t: t.bottom)
    # the columns end where something runs across the gutter (a wide table under them)
    end = min((i.top for i in [*lines, *found] if i.x0 < gutter < i.x1 and i.top > table.bottom),
              default=float("inf"))
    if any(table.bottom < ln.top < end for ln in left):
        return found, lines  # the table does not end its column
    first = min((t.top for t in found if t.x0 >= gutter), default=end)
    opening = [ln for ln in right if ln.bottom <= min(first, end)]
    shift = min(ln.x0 for ln in right) - min([ln.x0 for ln in left] + [t.x0 for t in tables])
    piece, rest = continued_table(page_no, opening, [x + shift for x in table.col_x],
                                  header_text(table))
    if piece is None:
        return found, lines
    taken = {id(ln) for ln in opening} - {id(ln) for ln in rest}
    return [*found, piece], [ln for ln in lines if id(ln) not in taken]


def open_row(page_no: int, found: list[TableItem], lines: list[Line]
             ) -> tuple[list[TableItem], list[Line]]:
    """The page's last table with the row a page break opened under it: its first lines,
    below the last rule, which are all that is left of the page and fit its columns."""
    if not found:
        return found, lines
    last = max(found, key=lambda t: t.bottom)
    below = [ln for ln in lines if ln.top > last.bottom]
    if not below:
        return found, lines
    size = dominant_size(w for ln in below for w in ln.words)
    piece, rest = continued_table(page_no, below, last.col_x)
    if piece is None or rest and any(ln.top > last.bottom for ln in rest) \
            or piece.top - last.bottom > 2.0 * size or len(piece.rows[0]) != len(last.rows[0]):
        return found, lines
    _one_row(piece)  # all below the last rule is the one row the break opened
    last.rows.extend(piece.rows)
    last.bottom = max(last.bottom, piece.bottom)
    inside = {id(ln) for ln in below}
    return found, [ln for ln in lines if id(ln) not in inside]


def _one_row(table: TableItem) -> None:
    """Join the table's rows into one, cell by cell."""
    if len(table.rows) > 1:
        table.rows = [[_join_cells([row[j] for row in table.rows])
                       for j in range(len(table.rows[0]))]]


def _join_cells(parts: list[str]) -> str:
    text = ""
    for part in (p for p in parts if p.strip()):
        text = join_wrapped(text, part) if text else part
    return text


def header_text(table: TableItem | None) -> str | None:
    """A table's header row as one line of text, if it has one."""
    if table is None or not table.header_rows:
        return None
    return " ".join(" ".join(c.split()) for c in table.rows[0] if c.strip())


def _text(words: list[Word]) -> str:
    return " ".join(w.text for w in sorted(words, key=lambda w: w.x0))


def last_table_open(tables: Sequence[TableItem], lines: Sequence[Line]) -> TableItem | None:
    """The table that ends the page (no line below it), which the next page may go on."""
    if not tables:
        return None
    last = max(tables, key=lambda t: t.bottom)
    return None if any(ln.top > last.bottom for ln in lines) else last


def _words(row: list[Line]) -> list[Word]:
    """The row's words that place columns: a bullet or number opening a line is left out,
    as the gap after it is a list's indent, not a column's edge."""
    words = []
    for ln in row:
        first = ln.words[0]
        if len(ln.words) > 1 and (_lone_bullet(first.text) or _NUMBER.match(first.text)):
            words.extend(ln.words[1:])
        else:
            words.extend(ln.words)
    return words


Spans = list[tuple[float, float]]


def _spans(words: Sequence[Word]) -> Spans:
    return sorted((w.x0, w.x1) for w in words)


def _cover(spans: Spans, min_gap: float) -> Spans:
    """Sorted x spans merged where they overlap or lie closer than ``min_gap``."""
    merged: Spans = []
    for x0, x1 in spans:
        if merged and x0 - merged[-1][1] < min_gap:
            if x1 > merged[-1][1]:
                merged[-1] = (merged[-1][0], x1)
        else:
            merged.append((x0, x1))
    return merged


def _rivers(cover: Spans) -> Spans:
    """The gaps between covered spans: the rivers between columns."""
    return [(a[1], b[0]) for a, b in zip(cover, cover[1:], strict=False)]


def _rivers_of(words: Sequence[Word]) -> Spans:
    if not words:
        return []
    size = sorted(w.size for w in words)[len(words) // 2]
    return _rivers(_cover(_spans(words), RIVER_EM * size))


def _keeps(rivers: Spans, new: Spans) -> bool:
    """Every river stays open (narrowed, perhaps) with the new row's words added."""
    return all(any(b0 < a1 and a0 < b1 for b0, b1 in new) for a0, a1 in rivers)


def _columns_used(spans: Spans, cover: Spans) -> int:
    """How many of the covered spans (columns) the row's spans fall in."""
    return len({sum(1 for c in cover if c[0] <= x0) for x0, _ in spans})


def _bulleted(row: list[Line]) -> bool:
    return any(bullet_match(ln.text) for ln in row)


def _ruled_between(upper: list[Line], lower: list[Line], rules: Sequence[Rule]) -> bool:
    """Is a rule drawn between the two rows, across the words of both?"""
    y0, y1 = max(ln.bottom for ln in upper), min(ln.top for ln in lower)
    x0 = min(ln.x0 for ln in (*upper, *lower))
    x1 = max(ln.x1 for ln in (*upper, *lower))
    return any(y0 <= y <= y1 and r0 <= x0 + 1.0 and r1 >= x1 - 1.0 for r0, r1, y in rules)


def _gap(upper: list[Line], lower: list[Line]) -> float:
    return min(ln.top for ln in _main(lower)) - max(ln.bottom for ln in _main(upper))


def _main(row: list[Line]) -> list[Line]:
    """The row's lines in its main size: a badge's smaller words, centred on other lines,
    say nothing of where the row stands."""
    top = max(ln.size for ln in row)
    return [ln for ln in row if ln.size >= top - 1.0]


def _size(row: list[Line]) -> float:
    return max(row, key=lambda ln: ln.chars).size


def _one_size(row: list[Line]) -> bool:
    """A table row is set in one size, but for a word or two in smaller type (a status
    badge, a footnote); a heading beside a column of text is not."""
    top = max(ln.size for ln in row)
    return all(ln.size >= top - 1.0 or len(ln.words) <= 2 for ln in row)


def _grow(
    rows: list[list[Line]], seed: int, taken: list[bool], rules: Sequence[Rule] = ()
) -> tuple[_Block | None, int, int]:
    """The block grown from a seed row, not into ``taken`` rows: (block or None, first
    row, last row). A row joins when it keeps every river open, is in the seed's font
    size, and is no further from the block than its rows are from each other (an em at
    first); above the block it must fill two columns (a header, not a heading), and below
    it a row in one column only joins at the block's closest spacing (a wrapped cell).
    A rule drawn across both rows' words, between them, lets a row join further away (up to
    ``RULED_GAP`` ems): tables ruled between rows only pad their cells above and below it."""
    size = _size(rows[seed])
    min_gap = RIVER_EM * size
    cover = _cover(_spans(_words(rows[seed])), min_gap)
    rivers = _rivers(cover)
    if not rivers:
        return None, seed, seed
    first = last = seed
    gaps: list[float] = []

    def fits(k: int, gap: float, below: bool) -> Spans | None:
        if abs(_size(rows[k]) - size) > 1.0 or not _one_size(rows[k]):
            return None
        limit = max(1.2 * size, 1.6 * max(gaps)) if gaps else 1.2 * size
        # rows may overlap: a cell centred in its row (CSS's default ``vertical-align:
        # middle``) sits half a line below its neighbours' first lines; a list item does
        # not (a list in the next page column, beside a table)
        neighbour = rows[k - 1] if below else rows[k + 1]
        upper, lower = (rows[k - 1], rows[k]) if below else (rows[k], rows[k + 1])
        far = gap > limit  # only across a rule, by a row that fills two columns (below)
        if far and not (gap <= RULED_GAP * size and _ruled_between(upper, lower, rules)):
            return None
        if gap < -0.75 * size or (
            gap < 0 and (_bulleted(rows[k]) or _bulleted(neighbour))
        ):
            return None
        spans = _spans(_words(rows[k]))
        new = _cover(sorted(cover + spans), min_gap)
        if len(new) < 2 or not _keeps(rivers, _rivers(new)):
            return None
        if far and _columns_used(spans, new) < 2:
            return None
        if _columns_used(spans, new) < 2 and (
            (not below and not ends_header(k, new))
            or (below and gap > wrap_limit() and not opens_row(k, new))
        ):
            return None
        return new

    def wrap_limit() -> float:
        """The most a wrapped cell's next line lies below: the block's closest spacing,
        give or take the rounding of line positions (a tenth of an em)."""
        closest = min((g for g in gaps if g > 0), default=0.6 * size)
        return max(1.15 * closest, closest + 0.1 * size)

    def ends_header(k: int, cover_k: Spans) -> bool:
        """A line in one column above the block that ends a header cell which wraps
        ("2023/24" over "(actual)"): the row above it, under half a line away, fills
        two columns."""
        if k < 1 or taken[k - 1] or _bulleted(rows[k]) or _gap(rows[k - 1], rows[k]) > 0.5 * size:
            return False
        spans = _spans(_words(rows[k - 1]))
        return _columns_used(spans, _cover(sorted(cover_k + spans), min_gap)) >= 2

    def opens_row(k: int, cover_k: Spans) -> bool:
        """A line in one column that opens a table row: the first line of a cell taller
        than the row's others, which are centred in it. Lines of that cell may follow,
        alone and a line apart, until a row under half a line below fills two columns."""
        x0 = min(ln.x0 for ln in rows[k])
        for j in range(k + 1, min(len(rows), k + 6)):
            if taken[j] or _gap(rows[j - 1], rows[j]) > 0.5 * size:
                return False
            spans = _spans(_words(rows[j]))
            if _columns_used(spans, _cover(sorted(cover_k + spans), min_gap)) >= 2:
                return True
            if abs(min(ln.x0 for ln in rows[j]) - x0) > 1.0:
                return False  # not the same cell's next line
        return False

    while last + 1 < len(rows) and not taken[last + 1]:
        gap = _gap(rows[last], rows[last + 1])
        new = fits(last + 1, gap, below=True)
        if new is None:
            break
        last += 1
        cover, rivers, gaps = new, _rivers(new), [*gaps, gap]
    while first - 1 >= 0 and not taken[first - 1]:
        gap = _gap(rows[first - 1], rows[first])
        new = fits(first - 1, gap, below=False)
        if new is None:
            break
        first -= 1
        cover, rivers, gaps = new, _rivers(new), [*gaps, gap]
    if last - first + 1 < MIN_ROWS:
        return None, seed, seed
    return _Block(rows[first : last + 1], rivers), first, last


def _table(page_no: int, block: _Block) -> TableItem | None:
    """Cells of a block, or None when it does not read as a table (see the module)."""
    bounds = [r1 for r1, _ in block.rivers]  # a column ends where its river starts
    n_cols = len(bounds) + 1
    visual: list[list[list[Word]]] = []  # per visual row, per column, the words
    for row in block.rows:
        cells: list[list[Word]] = [[] for _ in range(n_cols)]
        for w in _words(row):
            centre = (w.x0 + w.x1) / 2
            cells[sum(1 for b in bounds if centre > b)].append(w)
        visual.append(cells)
    # Columns of prose: every column averages PROSE_WORDS words a line or more.
    per_line = [
        [len(cells[j]) for cells in visual if cells[j]] for j in range(n_cols)
    ]
    if all(counts and sum(counts) / len(counts) >= PROSE_WORDS for counts in per_line):
        return None
    groups = _table_rows(block.rows, visual)
    rows = [
        [cell_text(sorted((w for v in group for w in v[j]), key=lambda w: (w.top, w.x0)))
         for j in range(n_cols)]
        for group in groups
    ]
    first = [w for v in groups[0] for cell in v for w in cell]
    body = [w for group in groups[1:] for v in group for cell in v for w in cell]
    bold_first = all(w.bold for w in first) and not all(w.bold for w in body)
    if len(rows) < (2 if bold_first and n_cols >= 3 else MIN_ROWS):
        return None  # (a bold header over one row of three cells or more is a table)
    if any(sum(1 for r in rows if r[j]) < 2 for j in range(n_cols)):
        return None
    filled = sum(1 for r in rows if sum(1 for c in r if c) >= 2)
    if filled < 2 or (n_cols == 2 and filled < 0.75 * len(rows)):
        return None  # two columns hold a table when their rows pair up
    if _runs_on(rows) >= (1 if n_cols == 2 else 2):
        return None  # a sentence runs on from row to row: lines of text, not table rows
    all_words = [w for cells in visual for cell in cells for w in cell]
    return TableItem(
        page=page_no,
        x0=min(w.x0 for w in all_words),
        top=min(w.top for w in all_words),
        x1=max(w.x1 for w in all_words),
        bottom=max(w.bottom for w in all_words),
        rows=rows,
        col_x=[min((w.x0 for cells in visual for w in cells[j]), default=0.0)
               for j in range(n_cols)],
        bold_first_row=bold_first,
        header_rows=1 if bold_first else 0,
        pages=[page_no],
    )


def _runs_on(rows: list[list[str]]) -> int:
    """How often a cell goes on in the cell below it: no sentence end, then lower case.
    Wrapped cells are joined into their row first, so a table rarely has one; columns of
    text beside each other (the foot of a page's text beside a sidebar) do."""
    count = 0
    for j in range(len(rows[0])):
        cells = [r[j] for r in rows if r[j]]
        for above, below in zip(cells, cells[1:], strict=False):
            if below[:1].islower() and not ends_sentence(above):
                count += 1
    return count


def _table_rows(
    rows: list[list[Line]], visual: list[list[list[Word]]]
) -> list[list[list[list[Word]]]]:
    """Visual rows grouped into table rows. With one row spacing, each visual row is a table
    row; with two (cells that wrap), a table row starts after the wider spacing, or where
    the columns that already hold text in the row start new cells (``_restarts``)."""
    tops = [min(ln.top for ln in _main(row)) for row in rows]
    steps = [b - a for a, b in zip(tops, tops[1:], strict=False)]
    sizes = sorted(ln.size for row in rows for ln in row)
    size = sizes[len(sizes) // 2]
    short = min(steps)
    if short > WRAP_PITCH * size:
        return [[cells] for cells in visual]  # the closest rows are further than a line
    groups: list[list[int]] = [[0]]
    limit = _row_break(steps, size)
    for k, step in enumerate(steps, start=1):
        if step > limit or _restarts(groups[-1], k, visual, tops, size):
            groups.append([k])
        else:
            groups[-1].append(k)
    if len(groups) == 1 or all(len(g) == 1 for g in groups):
        return [[cells] for cells in visual]
    return [[visual[k] for k in group] for group in groups]


def _restarts(group: list[int], k: int, visual: list[list[list[Word]]], tops: list[float],
              size: float) -> bool:
    """Does visual row ``k`` open a new table row inside ``group``? Two columns at least,
    and half of those it fills, start a second cell there: they hold text higher in the
    group, more than a wrapped line's pitch above. A tall cell spanning rows (a "Key
    initiative" beside its actions) bridges the row spacing; cells centred in their row
    start only once in it."""
    filled = [j for j, cell in enumerate(visual[k]) if cell]
    last: dict[int, float] = {}
    for i in group:
        for j, cell in enumerate(visual[i]):
            if cell:
                last[j] = tops[i]
    again = [j for j in filled if j in last and tops[k] - last[j] > WRAP_PITCH * size]
    return len(again) >= 2 and 2 * len(again) >= len(filled)


def _row_break(steps: list[float], size: float) -> float:
    """The step above which a new table row starts. Steps under most of a line are cells
    centred in their row (CSS's default ``vertical-align: middle``) beside taller ones:
    never a break. Of the others, the closest is a wrapped cell's line pitch when some
    steps are clearly wider (the rows); else every one of them is a row."""
    lines = [s for s in steps if s >= 0.9 * size]
    if not lines:
        return max(steps)
    short = min(lines)
    if any(s > 1.12 * short for s in lines):
        return 1.12 * short
    return 0.9 * size
