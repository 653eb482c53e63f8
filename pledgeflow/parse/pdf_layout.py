"""Layout helpers for the PDF parser: words into lines, lines into reading order.

Everything here works on plain dataclasses, not on pdfplumber or pdfium objects: words come
from pdfium (``pdf_text``), and pdfplumber's words still build the same ``Word`` for tests.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Protocol, TypeVar

import numpy as np

# Glyphs that open a bullet even when glued to the word after them; the private-use ones
# are Symbol and Wingdings bullets as word processors export them (, , , ❖, ✓).
BULLET_GLYPHS = "•▪●◦‣○■□►▸➢✓∙·\uf0b7\uf0a7\uf0d8\uf076\uf0fc"
# Dashes and asterisks only count as bullets when a space follows ("-5%" is not a bullet).
DASH_BULLETS = "-–—*"
_BULLET_RE = re.compile(rf"^(?:[{BULLET_GLYPHS}]\s*|[{re.escape(DASH_BULLETS)}]\s+)(?=\S)")
_NUMBERING_RE = re.compile(r"^(?:\(?\d{1,2}[.):]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s+(?=\S)")

_LIGATURE_TEXT = {"ﬁ": "fi", "ﬂ": "fl", "ﬀ": "ff", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_LIGATURES = str.maketrans(_LIGATURE_TEXT)
LIGATURE_CHARS = frozenset(_LIGATURE_TEXT)
_BOLD_RE = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ALNUM_RE = re.compile(r"[^\W_]")  # one str.isalnum() character
# More small shapes than this on a page is a chart or a pattern, not list markers.
MAX_MARKS = 200


# slots: a 500-page PDF holds ~10^5 of these; not frozen, as that doubles the cost of
# building them, and nothing hashes or changes a word once built.
@dataclass(slots=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool

    @classmethod
    def from_plumber(cls, w: dict) -> Word:
        """A word of pdfplumber's ``extract_words(extra_attrs=["size", "fontname"])``."""
        return cls(
            expand_ligatures(w["text"]), w["x0"], w["x1"], w["top"], w["bottom"],
            round(w.get("size", w["bottom"] - w["top"]), 2), is_bold(w.get("fontname", "")),
        )


def expand_ligatures(text: str) -> str:
    return text.translate(_LIGATURES)


def has_ligatures(text: str) -> bool:
    return not LIGATURE_CHARS.isdisjoint(text)


def is_bold(font_name: str) -> bool:
    return bool(_BOLD_RE.search(font_name))


@dataclass
class Line:
    """A run of words on one baseline, split off from other runs by a wide horizontal gap."""

    words: list[Word]
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0
    size: float = 0.0  # dominant font size by character count
    bold: bool = False  # every word is bold
    col_right: float = 0.0  # right edge of the column the line was read in
    # Kept, not recomputed: a line's words do not change, and blocks read these often.
    text: str = field(default="", repr=False, compare=False)
    chars: int = field(default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = self.words
        self.x0 = min([w.x0 for w in words])
        self.x1 = max([w.x1 for w in words])
        self.top = min([w.top for w in words])
        self.bottom = max([w.bottom for w in words])
        self.size = dominant_size(words)
        self.bold = _all_bold(words)
        self.col_right = self.x1
        texts = [w.text for w in words]
        self.text = " ".join(texts)
        self.chars = sum(map(len, texts))


def _all_bold(words: list[Word]) -> bool:
    """Every word bold; a bullet glyph often comes from a symbol font, so words without a
    letter or digit only count when nothing else is on the line."""
    bolds = [w.bold for w in words]
    if all(bolds) or not any(bolds):
        return bolds[0]
    letters = [w for w in words if _ALNUM_RE.search(w.text)] or words
    return all(w.bold for w in letters)


class Box(Protocol):
    """Anything placed on the page: a word, a line, a table."""

    @property
    def x0(self) -> float: ...
    @property
    def x1(self) -> float: ...
    @property
    def top(self) -> float: ...
    @property
    def bottom(self) -> float: ...


def dominant_size(words: Iterable[Word]) -> float:
    words = words if isinstance(words, list) else list(words)
    if words:  # nearly every line is in one size
        first = words[0].size
        for w in words:
            if w.size != first:
                break
        else:
            return first
    counts: Counter[float] = Counter()
    for w in words:
        counts[w.size] += len(w.text)
    return counts.most_common(1)[0][0] if counts else 0.0


@dataclass(slots=True)
class Mark:
    """A small drawn shape that may be a list marker, in page coordinates."""

    x0: float
    x1: float
    top: float
    bottom: float
    glyph: str  # the bullet character it stands for


def add_markers(words: list[Word], marks: Sequence[Mark]) -> list[Word]:
    """Words with a bullet glyph added for each drawn marker that opens a line.

    Browsers and design tools draw list bullets as shapes, so the text layer holds none. A
    mark counts when it sits at mid-height of a word that starts within three ems to its
    right and no word on that row ends just before it (it opens the line). A page where a
    square or triangle mark would be the only marker keeps it out: an icon, not a list. The
    glyph gets the following word's row and font, so lines and bullets read as typed ones.
    """
    if not marks or not words or len(marks) > MAX_MARKS:
        return words
    x0, x1, top, bottom, size = np.array(
        [(w.x0, w.x1, w.top, w.bottom, w.size) for w in words], float
    ).T
    height = bottom - top
    row_lo, row_hi = top + 0.15 * height, bottom - 0.1 * height
    added: list[Word] = []
    for mark in marks:
        mid = (mark.top + mark.bottom) / 2
        row = (row_lo <= mid) & (mid <= row_hi)
        if not row.any():
            continue
        right = row & (x0 >= mark.x1 - 0.5)
        # something stands just before the mark: it does not open a line
        if (row & ~right & (x1 > mark.x0 - 1.5 * size)).any():
            continue
        near = np.flatnonzero(right & (x0 - mark.x1 <= 3 * size))
        if near.size == 0:
            continue
        after = words[int(near[np.argmin(x0[near])])]
        if _ALNUM_RE.search(after.text) and not bullet_match(after.text):
            added.append(
                Word(mark.glyph, mark.x0, mark.x1, after.top, after.bottom, after.size, after.bold)
            )
    if len(added) == 1 and added[0].text not in "•◦":
        return words
    return [*words, *added] if added else words


def bullet_match(text: str) -> re.Match[str] | None:
    return _BULLET_RE.match(text)


def numbering_match(text: str) -> re.Match[str] | None:
    return _NUMBERING_RE.match(text)


def join_wrapped(text: str, continuation: str) -> str:
    """Join a wrapped line: a hyphen right after a letter is a real hyphen, so no space."""
    if not text:
        return continuation
    if text.endswith("\xad"):  # soft hyphen: the word was split, drop the hyphen
        return text[:-1] + continuation
    if len(text) >= 2 and text[-1] == "-" and text[-2].isalpha():
        return text + continuation
    return text + " " + continuation


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def same_row(a: Box, b: Box) -> bool:
    """Boxes on one visual row: they share at least half of the shorter one's height."""
    shorter = min(a.bottom - a.top, b.bottom - b.top)
    return _overlap(a.top, a.bottom, b.top, b.bottom) >= 0.5 * max(shorter, 0.1)


B = TypeVar("B", bound=Box)


_BY_TOP = attrgetter("top", "x0")
_BY_X0 = attrgetter("x0")


def _rows(boxes: Sequence[B]) -> list[list[B]]:
    """Group boxes into visual rows, top to bottom, each row left to right. A box joins the
    row when it is on one row with the row's first box (``same_row``, inlined: this runs
    for every word of every page) and does not lie wholly below a box already in the row:
    beside a large heading in one column, two lines of small text in the other column
    both overlap the heading, but not each other."""
    rows: list[list[B]] = []
    row: list[B] = []
    head_top = head_bottom = head_height = floor = 0.0
    for box in sorted(boxes, key=_BY_TOP):
        top, bottom = box.top, box.bottom
        if row and top < floor:
            height = bottom - top
            shorter = head_height if head_height <= height else height
            overlap = (head_bottom if head_bottom <= bottom else bottom) - (
                head_top if head_top >= top else top
            )
            if overlap >= 0.5 * (shorter if shorter >= 0.1 else 0.1):
                row.append(box)
                if bottom < floor:
                    floor = bottom
                continue
        row = [box]
        rows.append(row)
        head_top, head_bottom, head_height = top, bottom, bottom - top
        floor = bottom
    return [sorted(r, key=_BY_X0) if len(r) > 1 else r for r in rows]


def _lone_bullet(text: str) -> bool:
    """A bullet glyph on its own, set off from its item's text by a tab."""
    return len(text) == 1 and text in BULLET_GLYPHS


def group_lines(words: Sequence[Word], split_gaps: bool = True) -> list[Line]:
    """Words into lines; a gap wider than 1.5 em splits a row (column gutters, tab stops)."""
    lines: list[Line] = []
    for row in _rows(words):
        prev = row[0]
        current: list[Word] = [prev]
        for word in row[1:]:
            em = word.size if word.size >= prev.size else prev.size
            if (
                split_gaps
                and word.x0 - prev.x1 > 1.5 * em
                and not (len(current) == 1 and _lone_bullet(prev.text))
            ):
                lines.append(Line(current))
                current = []
            current.append(word)
            prev = word
        lines.append(Line(current))
    return lines


# --- reading order -------------------------------------------------------------------------


@dataclass
class _Run:
    items: list[Box] = field(default_factory=list)
    spanning: bool = False


def _crosses(item: Box, gutter: float) -> bool:
    return item.x0 < gutter - 0.5 and item.x1 > gutter + 0.5


def _runs(items: Sequence[Box], gutter: float) -> list[_Run]:
    """Split items (top to bottom) into runs separated by items that cross the gutter."""
    runs: list[_Run] = []
    for item in sorted(items, key=lambda b: (b.top, b.x0)):
        spanning = _crosses(item, gutter)
        if spanning or not runs or runs[-1].spanning:
            runs.append(_Run(spanning=spanning))
        runs[-1].items.append(item)
    return runs


def _is_two_columns(run: _Run, gutter: float, width: float) -> bool:
    """Text on both sides of the gutter, side by side, each side a real column of text."""
    if run.spanning:
        return False
    left = [i for i in run.items if i.x1 <= gutter]
    right = [i for i in run.items if i.x0 >= gutter]
    lone = _lone_item(left, right, width) or _lone_table(left, right, width)
    if not lone and (len(left) < 2 or len(right) < 2):
        return False
    # Narrow label columns (key: value lists, unruled tables) should stay row by row.
    for side in (left, right):
        if len(side) > 1 or not lone:
            if max(i.x1 for i in side) - min(i.x0 for i in side) < 0.25 * width:
                return False
    # the gutter between the lines that stand beside each other: a heading above both
    # columns of a card grid may run up to it ("A fair start for every child")
    if min(i.x0 for i in _beside(right, left)) - max(i.x1 for i in _beside(left, right)) < 5:
        return False
    side_by_side = _overlap(
        min(i.top for i in left),
        max(i.bottom for i in left),
        min(i.top for i in right),
        max(i.bottom for i in right),
    )
    return side_by_side > 0


def _beside(side: list[Box], other: list[Box]) -> list[Box]:
    """The items of ``side`` level with some part of ``other`` (all of them if none is)."""
    top, bottom = min(i.top for i in other), max(i.bottom for i in other)
    return [i for i in side if i.bottom > top and i.top < bottom] or side


def _lone_item(side: list[Box], other: list[Box], width: float) -> bool:
    """One item alone in the left column, beside a real right column that starts above
    it: a browser balancing a short stretch between two full-width items (a heading at
    the foot of the left column, its paragraph in the right). A label beside its value
    starts on the value's first row instead; a lone item on the right (a web address in a
    page's header band) stays read row by row."""
    if len(side) != 1 or len(other) < 2:
        return False
    if max(i.x1 for i in other) - min(i.x0 for i in other) < 0.25 * width:
        return False
    first = min(other, key=lambda i: i.top)
    return side[0].top > first.bottom


def _lone_table(left: list[Box], right: list[Box], width: float) -> bool:
    """A table alone on one side of the gutter, beside a real column of lines: a table set
    inside one page column (or the piece of one that a column break carried over) is one
    item, yet as much a column as the text beside it."""
    for side, other in ((left, right), (right, left)):
        if len(side) == 1 and not isinstance(side[0], Line) and len(other) >= 2:
            table = side[0]
            if (table.x1 - table.x0 >= 0.25 * width
                    and max(i.x1 for i in other) - min(i.x0 for i in other) >= 0.25 * width):
                return True
    return False


def _find_gutter(items: Sequence[Box]) -> float | None:
    """The x of the vertical gutter that puts the most items into two-column runs."""
    lo = min(i.x0 for i in items)
    hi = max(i.x1 for i in items)
    width = hi - lo
    candidates = {round(i.x0, 1) for i in items if lo + 0.2 * width < i.x0 < hi - 0.2 * width}
    best: tuple[int, float] | None = None
    for x in sorted(candidates):
        gutter = x - 0.25
        score = sum(
            len(run.items) for run in _runs(items, gutter) if _is_two_columns(run, gutter, width)
        )
        if score >= 4 and (best is None or score > best[0]):
            best = (score, gutter)
    return best[1] if best else None


def _with_column_edge(items: list[Box]) -> list[Box]:
    right = max((i.x1 for i in items), default=0.0)
    for item in items:
        if isinstance(item, Line):
            item.col_right = right
    return items


def ends_sentence(text: str) -> bool:
    """The text ends a sentence, a clause or a lead-in: a line or cell does not run on."""
    return text.rstrip().endswith((".", ":", ";", "!", "?"))


def _split_at_gutter(items: Sequence[Box], gutter: float) -> list[Box]:
    """Lines of two columns that met on one row across the gutter ("Labour's Manifesto
    for" beside "homes our Borough needs," in a larger font, where the gutter is narrower
    than the word gap that splits lines) are two lines again, one per column."""
    out: list[Box] = []
    for item in items:
        if isinstance(item, Line) and _crosses(item, gutter):
            words = item.words
            # the gap must hold the gutter and be wider than a word space
            cut = next((k for k in range(1, len(words))
                        if words[k - 1].x1 <= gutter + 0.5 <= words[k].x0 + 1.0
                        and words[k].x0 - words[k - 1].x1 > 0.6 * item.size), None)
            if cut is not None:
                out.extend((Line(words[:cut]), Line(words[cut:])))
                continue
        out.append(item)
    return out


def _below_columns(left: list[Box], right: list[Box]) -> tuple[list[Box], list[Box]]:
    """The left column, and what stands below both columns after a gap when the left
    column broke off mid-sentence: a page footer narrower than the gutter ("Promoted by
    ...") is read after the right column, not between the halves of the sentence that
    runs on at the right column's top, and what stands well below the right column's end
    (a full-width aside's heading). A heading left at the foot of the left column, level
    with the right column's end (after a finished sentence), stays where it is, before
    the column it introduces."""
    if not right:
        return left, []
    floor = max(i.bottom for i in right)
    ordered = sorted(left, key=_BY_TOP)
    for k in range(1, len(ordered)):
        item, prev = ordered[k], ordered[k - 1]
        line = min(prev.bottom - prev.top, item.bottom - item.top)  # (prev may be a table)
        if item.top > floor and item.top - prev.bottom > 0.6 * line:
            text = getattr(prev, "text", "")
            # more than two of its lines below the right column's end, it cannot lead
            # into that column, which would have been balanced to stand beside it
            if (text.strip() and not ends_sentence(text)) or \
                    item.top - floor > 2 * (item.bottom - item.top):
                return ordered[:k], ordered[k:]
            return left, []
    return left, []


def _grid_rows(items: Sequence[Box], gutter: float) -> list[list[Box]]:
    """A two-column band cut into the rows of a grid of cards: where the right side
    stops for two of its lines or more and starts again with a bold heading level with a
    bold heading on the left (the next row's card titles), the band is cut at the widest
    gap the left side has in that stretch. Balanced prose has no such pair of headings
    side by side after a gap, and stays one band read column by column."""
    left = sorted((i for i in items if i.x1 <= gutter), key=_BY_TOP)
    right = sorted((i for i in items if i.x1 > gutter), key=_BY_TOP)
    cuts: list[float] = []
    end = right[0].bottom if right else 0.0  # the lowest bottom of the right side so far
    floors = list(itertools.accumulate((i.bottom for i in left), max))  # same, left side
    for k in range(1, len(right)):
        below = right[k]
        line = below.bottom - below.top
        if below.top - end >= 2 * line and getattr(below, "bold", False):
            twin = next((i for i in left if abs(i.top - below.top) < 0.3 * line
                         and getattr(i, "bold", False)), None)
            gaps = [] if twin is None else [
                (left[j].top - floors[j - 1], (floors[j - 1] + left[j].top) / 2)
                for j in range(1, len(left))
                if end < left[j].top <= twin.top and left[j].top - floors[j - 1] > 0.5 * line]
            if gaps:
                cuts.append(max(gaps)[1])
        end = max(end, below.bottom)
    if not cuts:
        return [list(items)]
    rows: list[list[Box]] = [[] for _ in range(len(cuts) + 1)]
    for item in items:
        rows[sum(item.top > cut for cut in cuts)].append(item)
    return [row for row in rows if row]


def reading_order(items: Sequence[Box], depth: int = 0) -> list[Box]:
    """Order page items for reading: a two-column band is read left column first.

    Bands without a gutter are read row by row. Each side of a gutter is ordered again, so
    three columns work too. Lines get ``col_right`` set to their column's right edge.
    """
    if len(items) < 4 or depth > 3:
        return _with_column_edge([b for row in _rows(items) for b in row])
    gutter = _find_gutter(items)
    if gutter is None:
        return _with_column_edge([b for row in _rows(items) for b in row])
    items = _split_at_gutter(items, gutter)
    lo = min(i.x0 for i in items)
    width = max(i.x1 for i in items) - lo
    ordered: list[Box] = []
    pending: list[Box] = []  # consecutive runs without columns are read together
    for run in _runs(items, gutter):
        if not _is_two_columns(run, gutter, width):
            pending.extend(run.items)
            continue
        ordered.extend(_with_column_edge([b for row in _rows(pending) for b in row]))
        pending = []
        rows = _grid_rows(run.items, gutter)
        if len(rows) > 1:  # a grid of cards: row by row, each row in columns
            for row in rows:
                ordered.extend(reading_order(row, depth + 1))
            continue
        left = [i for i in run.items if i.x1 <= gutter]
        right = [i for i in run.items if i.x1 > gutter]
        left, after = _below_columns(left, right)
        ordered.extend(reading_order(left, depth + 1))
        ordered.extend(reading_order(right, depth + 1))
        pending = after
    ordered.extend(_with_column_edge([b for row in _rows(pending) for b in row]))
    return ordered
