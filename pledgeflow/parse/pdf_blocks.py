"""From page lines and tables to document blocks: boilerplate, paragraphs, headings, lists."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from pledgeflow.document import Block, table_text
from pledgeflow.parse.common import last_sentence
from pledgeflow.parse.pdf_layout import (
    DASH_BULLETS,
    Line,
    bullet_match,
    dominant_size,
    ends_sentence,
    join_wrapped,
    numbering_match,
    reading_order,
    same_row,
)
from pledgeflow.parse.pdf_tables import (
    TableItem,
    append_continuation,
    same_columns,
    same_header,
    same_shape,
)

# Running headers and footers live in the top and bottom 12% of a page.
MARGIN_ZONE = 0.12
_PAGE_NUMBER_RE = re.compile(
    r"^(?:page\s*)?[-–—]?\s*\d{1,4}\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE
)
_LABEL_VALUE_RE = re.compile(r"^[^:]{1,40}:\s+\S")  # "Outcome Owner: Mark Parkinson"

RawKind = Literal["text", "list_item", "table"]


@dataclass
class PageContent:
    number: int  # 1-based
    height: float
    lines: list[Line]
    tables: list[TableItem]


@dataclass
class RawBlock:
    """A block before headings, sections and lead-ins are known."""

    kind: RawKind
    page: int
    lines: list[Line] = field(default_factory=list)
    text: str = ""
    glyph_x: float | None = None  # x of the bullet glyph or number, where its lines wrap
    # where the item's depth is read: the glyph's x, or the number's right edge, since
    # browsers right-align list numbers ("9." starts right of "10." in the same list)
    depth_x: float | None = None
    numbered: bool = False  # a list item opened by a number, not a bullet
    table: TableItem | None = None
    first_on_page: bool = False
    last_on_page: bool = False

    @property
    def size(self) -> float:
        counts: Counter[float] = Counter()
        for line in self.lines:
            counts[line.size] += line.chars
        return counts.most_common(1)[0][0] if counts else 0.0


# --- running headers, footers, page numbers ------------------------------------------------


def _in_margin(line: Line, height: float) -> bool:
    return line.top < MARGIN_ZONE * height or line.bottom > (1 - MARGIN_ZONE) * height


def _repeat_key(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def drop_running_lines(pages: Sequence[PageContent]) -> None:
    """Remove margin lines that repeat on at least half the pages (two at least), and lone
    page numbers in the margins. Digits are masked so "Page 3 of 10" repeats too."""
    seen: Counter[str] = Counter()
    for page in pages:
        seen.update({_repeat_key(ln.text) for ln in page.lines if _in_margin(ln, page.height)})
    threshold = max(2, math.ceil(len(pages) / 2))
    for page in pages:
        page.lines = [
            ln
            for ln in page.lines
            if not _in_margin(ln, page.height)
            or (seen[_repeat_key(ln.text)] < threshold
                and not (_PAGE_NUMBER_RE.match(ln.text) and not _larger_than_text(ln, page)))
        ]


def _larger_than_text(line: Line, page: PageContent) -> bool:
    """A number set larger than the page's text is part of a title ("Plan 2025-" over
    "2030"), not a page number."""
    return _clearly_larger(line.size, dominant_size(w for ln in page.lines for w in ln.words))


def body_size(pages: Sequence[PageContent]) -> float:
    """The most common font size by character count, outside tables and margins."""
    by_size: dict[float, int] = {}  # exact sizes first: rounding each word is the slow part
    for page in pages:
        for line in page.lines:
            for word in line.words:
                by_size[word.size] = by_size.get(word.size, 0) + len(word.text)
    counts: Counter[float] = Counter()
    for size, chars in by_size.items():  # first-seen order is kept, so ties break as before
        counts[round(size * 2) / 2] += chars
    return counts.most_common(1)[0][0] if counts else 0.0


# --- paragraphs and list items -------------------------------------------------------------


def _is_short(line: Line, left: float) -> bool:
    """The line stops well before its column's right edge, so it was not wrapped."""
    return line.x1 < line.col_right - 0.25 * max(line.col_right - left, 1.0)


def _item_marker(line: Line, prev: Line | None, block: RawBlock | None, body: float) -> bool:
    """Does the line open a list item? Dashes and numbers only when the line before ended;
    a number in a clearly larger font is a numbered heading ("2. Our priorities")."""
    match = bullet_match(line.text)
    if match and line.text[0] not in DASH_BULLETS:
        return True
    if not (match or numbering_match(line.text)) or _clearly_larger(line.size, body):
        return False
    if prev is None or block is None or block.kind == "list_item":
        return True
    left = min(ln.x0 for ln in block.lines)
    # a heading's line ends where its font does, with or without a full stop
    return ends_sentence(prev.text) or _is_short(prev, left) or _font_changes(prev, line)


def _font_changes(a: Line, b: Line) -> bool:
    return abs(a.size - b.size) > 0.6 or a.bold != b.bold


def _continues(block: RawBlock, prev: Line, line: Line) -> bool:
    """Does ``line`` continue the block whose last line is ``prev``?"""
    if _font_changes(prev, line):
        return False
    if same_row(prev, line):
        return line.x0 >= prev.x1  # a tab-separated piece of the same line
    gap = line.top - prev.bottom
    size = max(prev.size, line.size)
    if gap > 0.7 * size or gap < -0.3 * size:
        return False  # paragraph spacing, or a jump to the next column
    if min(prev.x1, line.x1) <= max(prev.x0, line.x0):
        return False  # side by side lines of different columns
    left = min(ln.x0 for ln in block.lines)
    if block.kind == "list_item" and block.glyph_x is not None and line.x0 <= block.glyph_x + 1:
        # Back at the glyph's x: the item ended, unless a numbered paragraph ("1. We will
        # ...", no hanging indent) wraps there from a full line.
        return block.numbered and not _is_short(prev, left) and not ends_sentence(prev.text)
    return not (_is_short(prev, left) and ends_sentence(prev.text))


def _start_block(line: Line, page: int, is_item: bool) -> RawBlock:
    if not is_item:
        return RawBlock("text", page, [line], line.text)
    match = bullet_match(line.text)
    text = line.text[match.end() :] if match else line.text  # numbering stays in the text
    depth_x = line.x0 if match else line.words[0].x1
    return RawBlock("list_item", page, [line], text, glyph_x=line.x0, depth_x=depth_x,
                    numbered=not match)


def _add_line(block: RawBlock, prev: Line, line: Line) -> None:
    if block.kind == "list_item" and block.glyph_x is not None and line.x0 <= block.glyph_x + 1:
        # wrapped back under its number: a numbered paragraph, as typed into a web page's
        # <p>, not an item of a list (a list hangs its lines after the number)
        block.kind, block.glyph_x = "text", None
    block.text = (
        block.text + " " + line.text
        if same_row(prev, line)
        else join_wrapped(block.text, line.text)
    )
    block.lines.append(line)


def page_blocks(page: PageContent, body: float) -> list[RawBlock]:
    """Lines and tables of one page, in reading order, grouped into raw blocks."""
    blocks: list[RawBlock] = []
    current: RawBlock | None = None
    prev: Line | None = None
    for item in reading_order([*page.lines, *page.tables]):
        if isinstance(item, TableItem):
            blocks.append(RawBlock("table", page.number, table=item))
            current, prev = None, None
            continue
        assert isinstance(item, Line)
        is_item = _item_marker(item, prev, current, body)
        if (
            current is not None
            and prev is not None
            and not is_item
            and _continues(current, prev, item)
        ):
            _add_line(current, prev, item)
        else:
            current = _start_block(item, page.number, is_item)
            blocks.append(current)
        prev = item
    if blocks:
        blocks[0].first_on_page = True
        blocks[-1].last_on_page = True
    return blocks


def merge_page_break_tables(blocks: list[RawBlock]) -> list[RawBlock]:
    """Join a table that a page or column break cut onto the piece before it."""
    merged: list[RawBlock] = []
    for block in blocks:
        prev = merged[-1] if merged else None
        if prev is not None and _goes_on_with(prev, block):
            assert prev.table is not None and block.table is not None
            append_continuation(prev.table, block.table)
            prev.last_on_page = block.last_on_page
            continue
        merged.append(block)
    return merged


def _goes_on_with(prev: RawBlock, block: RawBlock) -> bool:
    """Is ``block`` the rest of the table ``prev``, cut by a break? Across a page break it
    opens its page where ``prev`` closed the page before; across a column break (a table
    inside one page column) it opens the next column of the same page, higher up and to
    the right. Either way it keeps the table's columns (moved with the page column, when it
    is one), or repeats its header row, as browsers repeat a table's head."""
    a, b = prev.table, block.table
    if a is None or b is None or prev.kind != "table" or block.kind != "table":
        return False
    if block.first_on_page and prev.last_on_page and a.pages[-1] == block.page - 1:
        return same_columns(a, b) or same_shape(a, b) or same_header(a, b)
    return (block.page == a.pages[-1] and b.top < a.top and b.x0 >= a.x1 - 1.0
            and (same_shape(a, b) or same_header(a, b)))


def _joins_broken_paragraph(prev: RawBlock, block: RawBlock) -> bool:
    """A paragraph cut by a page or column break: the text before has no sentence end, the
    same font goes on, and the text after starts in lower case (or the text before ends on a
    word such as "of" or "the") at the top of a page or of the next column (its first line
    sits above the last line before it)."""
    if prev.kind not in ("text", "list_item") or block.kind != "text":
        return False
    if not prev.lines or not block.lines or _font_changes(prev.lines[-1], block.lines[0]):
        return False
    if ends_sentence(prev.text) or not (block.text[:1].islower() or _runs_on(prev.text)):
        return False
    next_page = block.page == prev.page + 1 and prev.last_on_page and block.first_on_page
    next_column = block.page == prev.page and block.lines[0].top < prev.lines[-1].top
    return next_page or next_column


# Words no sentence, item or heading ends on: text ending on one runs on, whatever case
# the next column opens in ("... green spaces of" / "Liverpool.").
RUNS_ON = {"a", "an", "the", "of", "and", "or", "to", "for", "in", "on", "with", "by", "at",
           "from", "our", "their", "its", "your", "my", "that", "which", "who", "as", "into"}


def _runs_on(text: str) -> bool:
    words = text.rstrip().rsplit(None, 1)
    return bool(words) and words[-1].lower() in RUNS_ON


def merge_broken_paragraphs(blocks: list[RawBlock]) -> list[RawBlock]:
    merged: list[RawBlock] = []
    for block in blocks:
        prev = merged[-1] if merged else None
        if prev is not None and _joins_broken_paragraph(prev, block):
            prev.text = join_wrapped(prev.text, block.text)
            prev.lines.extend(block.lines)
            prev.last_on_page = block.last_on_page
            continue
        merged.append(block)
    return merged


# --- headings ------------------------------------------------------------------------------


def _clearly_larger(size: float, body: float) -> bool:
    return size >= 1.2 * body and size - body >= 1.0


def is_heading(block: RawBlock, body: float) -> bool:
    """Clearly larger than body text, or bold and short and alone, and not a sentence."""
    if block.kind != "text" or len(block.lines) > 4 or len(block.text) > 250:
        return False
    text = block.text.strip()
    if text.endswith(".") and not text.endswith(".."):
        return False
    size = block.size
    if _clearly_larger(size, body):
        return True
    return (
        all(line.bold for line in block.lines)
        and size >= body - 0.3
        and len(block.lines) <= 3
        and len(text) <= 150
        and not text.endswith(":")
        and not _LABEL_VALUE_RE.match(text)
    )


def _asks_before_list(block: RawBlock, after: RawBlock, body: float) -> bool:
    """A bold question in the body size right above a list introduces the list, as a web
    page's <p><strong>What are we doing?</strong></p> does: a lead-in, not a heading."""
    return (
        after.kind == "list_item"
        and block.text.rstrip().endswith("?")
        and not _clearly_larger(block.size, body)
    )


def heading_levels(sizes: Sequence[float]) -> dict[float, int]:
    """Rank distinct heading sizes (to the half point), largest first, as levels 1, 2, ..."""
    distinct = sorted({round(s * 2) / 2 for s in sizes}, reverse=True)
    return {size: level for level, size in enumerate(distinct, start=1)}


# --- lists ---------------------------------------------------------------------------------


def _list_depths(items: Sequence[RawBlock]) -> list[int]:
    """Depth of each item of one list from its glyph indent (1 = leftmost), counted per page
    column so a list that goes on in the next column starts again at depth 1 there."""
    indents: dict[tuple[int, int], list[float]] = {}
    for item in items:
        indents.setdefault(_column_key(item), []).append(_depth_x(item))
    steps: dict[tuple[int, int], list[float]] = {}
    for key, xs in indents.items():
        distinct: list[float] = []
        for x in sorted(xs):
            if not distinct or x - distinct[-1] > 3:  # indents within 3pt are one level
                distinct.append(x)
        steps[key] = distinct
    return [
        1 + max(k for k, x in enumerate(steps[_column_key(i)]) if _depth_x(i) >= x - 3)
        for i in items
    ]


def _depth_x(item: RawBlock) -> float:
    x = item.depth_x if item.depth_x is not None else item.glyph_x
    return x or 0.0


def _column_key(item: RawBlock) -> tuple[int, int]:
    return item.page, round(item.lines[0].col_right / 6)


# --- assembling ----------------------------------------------------------------------------


def build_blocks(raw: list[RawBlock], body: float) -> list[Block]:
    """Final blocks: headings with levels, section paths, list depth and lead-ins, tables."""
    heading_flags = [is_heading(b, body) for b in raw]
    for i, block in enumerate(raw[:-1]):
        if heading_flags[i] and _asks_before_list(block, raw[i + 1], body):
            heading_flags[i] = False
    levels = heading_levels([b.size for b, h in zip(raw, heading_flags, strict=True) if h])
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    i = 0
    while i < len(raw):
        block = raw[i]
        section = [text for _, text in stack]
        if heading_flags[i]:
            level = levels[round(block.size * 2) / 2]
            text = " ".join(block.text.split())
            while stack and stack[-1][0] >= level:
                stack.pop()  # a heading's section holds the headings above it, not beside
            section = [t for _, t in stack]
            blocks.append(Block("heading", text, page=block.page, section=section, level=level))
            stack.append((level, text))
        elif block.kind == "list_item":
            j = i
            while j < len(raw) and raw[j].kind == "list_item":
                j += 1
            blocks.extend(_list_blocks(raw[i:j], blocks[-1] if blocks else None, section))
            i = j
            continue
        elif block.kind == "table" and block.table is not None:
            rows = block.table.rows
            blocks.append(
                Block(
                    "table",
                    table_text(rows),
                    page=block.page,
                    section=section,
                    rows=rows,
                    header_rows=block.table.header_rows,
                )
            )
        else:
            blocks.append(Block("paragraph", block.text.strip(), page=block.page, section=section))
        i += 1
    return [b for b in blocks if b.text.strip()]


def _list_blocks(
    items: Sequence[RawBlock], before: Block | None, section: list[str]
) -> list[Block]:
    """List items with their depth and lead-in, as the HTML parser gives them: a top-level
    item is introduced by the last sentence of the paragraph before the list (none after a
    heading or a table), a nested item by the item it hangs from."""
    lead_in = last_sentence(before.text) if before and before.kind == "paragraph" else None
    blocks: list[Block] = []
    parents: list[str] = []  # the text of the last item at each depth so far
    for item, depth in zip(items, _list_depths(items), strict=True):
        text = item.text.strip()
        del parents[depth - 1 :]
        blocks.append(
            Block(
                "list_item",
                text,
                page=item.page,
                section=list(section),
                depth=depth,
                lead_in=parents[-1] if depth > 1 and parents else lead_in,
            )
        )
        parents.extend([text] * (depth - len(parents)))
    return blocks
