"""Words of a PDF page from pdfium's text layer, built the way pdfplumber builds them.

pdfminer (behind pdfplumber) interprets every glyph in Python, ~10 pages/s; pdfium does it
in C. This module reads pdfium's per-character results (two ctypes calls a character; the
rest is vectorised with numpy) and rebuilds pdfplumber's ``extract_words`` (x_tolerance 3,
y_tolerance 3) on them, so the layout code sees the same ``Word`` values as before:

- a character's box runs along the text from its origin to its advance, and across it
  from the font's descent to descent + font size (pdfminer's box), in pdfplumber's
  top-down page coordinates (with pdfplumber's handling of /Rotate and of a MediaBox that
  does not start at the origin);
- characters split into runs of equal (upright, size, font), lines cluster by top within
  3 pt, and a word ends at a space, a gap over 3 pt, a step back or a jump of line.

Known differences: pdfium's box along the text is the union of the advance and the glyph,
so a glyph that overhangs its advance (italic f) widens its word by a fraction of a point;
pdfium drops a text object drawn twice in the same place (fake bold), which pdfminer
doubles; and pdfium marks a hyphen at a line end (U+FFFE), restored here as "-" even when
the PDF had a soft hyphen. Generated spaces and line breaks are dropped: pdfplumber works
on drawn glyphs only.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections import deque
from dataclasses import dataclass
from itertools import repeat


def _one_blas_thread_under_a_memory_limit() -> None:
    """Parse workers run under an address-space limit (``pledgeflow.isolate``); OpenBLAS,
    loaded with numpy, reserves ~40 MB of address space per core at import, which on a
    many-core machine is more than the limit. Nothing here uses BLAS threads."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, ValueError, OSError):
        return
    if soft != resource.RLIM_INFINITY:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


_one_blas_thread_under_a_memory_limit()

import numpy as np  # noqa: E402 - after the OpenBLAS setting above
import pypdfium2 as pdfium  # noqa: E402
import pypdfium2.raw as pdfium_c  # noqa: E402

from pledgeflow.parse.pdf_layout import (  # noqa: E402
    Word,
    expand_ligatures,
    has_ligatures,
    is_bold,
)

TOLERANCE = 3.0  # pdfplumber's default x_tolerance and y_tolerance
_DIGITS = 3  # pdfium keeps float32; rounding drops its noise so ties compare as in pdfplumber
_LINE_END_HYPHEN = "\ufffe"


def native(name: str, restype, *argtypes):
    """A pdfium function taking plain integers for handles: ctypes converts those fastest."""
    original = getattr(pdfium_c, name)
    fn = type(original)(ctypes.cast(original, ctypes.c_void_p).value)
    fn.argtypes, fn.restype = argtypes, restype
    return fn


def _unchecked(name: str, restype):
    """No argtypes at all: ~35% cheaper a call, for the per-character calls. Handles must
    then be passed as ``c_void_p`` objects and indices as ints."""
    original = getattr(pdfium_c, name)
    fn = type(original)(ctypes.cast(original, ctypes.c_void_p).value)
    fn.restype = restype
    return fn


_P = ctypes.c_void_p
_count_chars = native("FPDFText_CountChars", ctypes.c_int, _P)
_get_text = native("FPDFText_GetText", ctypes.c_int, _P, ctypes.c_int, ctypes.c_int, _P)
_unicode = native("FPDFText_GetUnicode", ctypes.c_uint, _P, ctypes.c_int)
_font_name = native(
    "FPDFFont_GetBaseFontName", ctypes.c_size_t, _P, ctypes.c_char_p, ctypes.c_size_t
)
_font_descent = native("FPDFFont_GetDescent", ctypes.c_int, _P, ctypes.c_float, _P)
_font_embedded = native("FPDFFont_GetIsEmbedded", ctypes.c_int, _P)
_char_object = _unchecked("FPDFText_GetTextObject", ctypes.c_size_t)  # 0: generated
_loose_box = _unchecked("FPDFText_GetLooseCharBox", ctypes.c_int)
_is_generated = native("FPDFText_IsGenerated", ctypes.c_int, _P, ctypes.c_int)
_char_matrix = _unchecked("FPDFText_GetMatrix", ctypes.c_int)
_char_font_size = _unchecked("FPDFText_GetFontSize", ctypes.c_double)
_object_font = _unchecked("FPDFTextObj_GetFont", ctypes.c_size_t)  # 0: none

# str.isspace() is what pdfplumber splits words on.
_SPACES = np.array([c for c in range(0x3001) if chr(c).isspace()], dtype=np.uint32)


class _BoxBuffer(threading.local):
    """A reused float buffer for pdfium's character boxes and a pointer object per box;
    a page with more characters than ``KEPT`` gets buffers of its own, not kept."""

    KEPT = 1 << 16

    def __init__(self) -> None:
        self.boxes = (ctypes.c_float * 0)()
        self.pointers: list[ctypes.c_void_p] = []

    def get(self, n: int) -> tuple[ctypes.Array, list[ctypes.c_void_p]]:
        if n <= len(self.pointers):
            return self.boxes, self.pointers
        size = min(max(n, 2 * len(self.pointers), 4096), self.KEPT) if n <= self.KEPT else n
        boxes = (ctypes.c_float * (4 * size))()
        start = ctypes.addressof(boxes)
        pointers = [ctypes.c_void_p(start + 16 * i) for i in range(size)]
        if size <= self.KEPT:
            self.boxes, self.pointers = boxes, pointers
        return boxes, pointers


_BUFFER = _BoxBuffer()


@dataclass(frozen=True)
class PageFrame:
    """pdfplumber's page coordinates: pdfminer's rotation of user space, flipped top-down."""

    rotation: int  # 0, 90, 180 or 270
    mediabox: tuple[float, float, float, float]  # x0, y0, x1, y1 in user space, sorted
    height: float  # pdfplumber's page.height

    @classmethod
    def of(cls, page: pdfium.PdfPage) -> PageFrame:
        x0, y0, x1, y1 = (round(v, _DIGITS) for v in page.get_mediabox())
        box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        rotation = page.get_rotation() % 360
        rotation = rotation if rotation in (90, 180, 270) else 0
        turned = rotation in (90, 270)
        height = (box[2] - box[0]) if turned else (box[3] - box[1])
        return cls(rotation, box, height)

    def linear(self) -> tuple[int, int, int, int]:
        """The linear part of pdfminer's page matrix (a, b, c, d)."""
        return {0: (1, 0, 0, 1), 90: (0, -1, 1, 0), 180: (-1, 0, 0, -1), 270: (0, 1, -1, 0)}[
            self.rotation
        ]

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A user-space point as pdfplumber's (x, top)."""
        px, _, top, _ = self.to_page(x, y, x, y)
        return px, top

    def to_page(self, x0, y0, x1, y1):
        """User-space boxes (floats or numpy arrays) to pdfplumber's (x0, x1, top, bottom)."""
        mx0, my0, mx1, my1 = self.mediabox
        turned = self.rotation in (90, 270)
        # pdfplumber's normalised, inverted mediabox gives the offsets it adds back.
        nx0, ny1 = (my0, mx1) if turned else (mx0, my1)
        top_offset = self.height - ny1
        if self.rotation == 0:
            xa, xb, ya, yb = x0 - mx0, x1 - mx0, y0 - my0, y1 - my0
        elif self.rotation == 90:
            xa, xb, ya, yb = y0 - my0, y1 - my0, mx1 - x1, mx1 - x0
        elif self.rotation == 180:
            xa, xb, ya, yb = mx1 - x1, mx1 - x0, my1 - y1, my1 - y0
        else:
            xa, xb, ya, yb = my1 - y1, my1 - y0, x0 - mx0, x1 - mx0
        return xa + nx0, xb + nx0, self.height - yb + top_offset, self.height - ya + top_offset


@dataclass
class _Font:
    name: str
    bold: bool
    descent: float  # below the baseline per unit of font size, negative, as pdfminer has it


def _font(handle: int) -> _Font:
    if not handle:
        return _Font("", False, 0.0)
    buf = ctypes.create_string_buffer(256)
    _font_name(handle, buf, 256)
    name = buf.value.decode("utf-8", "replace")
    descent = ctypes.c_float()
    if not _font_embedded(handle) and name in _standard_metrics():
        # pdfminer takes a standard font's metrics from its AFM table, not the PDF's.
        value = float(_standard_metrics()[name][0].get("Descent", 0))
    elif _font_descent(handle, 1000.0, ctypes.addressof(descent)):
        value = descent.value
    else:
        value = 0.0
    return _Font(name, is_bold(name), -abs(value) / 1000)


_METRICS: dict | None = None


def _standard_metrics() -> dict:
    global _METRICS
    if _METRICS is None:
        from pdfminer.fontmetrics import FONT_METRICS

        _METRICS = FONT_METRICS
    return _METRICS


def page_words(page: pdfium.PdfPage) -> list[Word]:
    """Words of one page; rotated words are dropped when upright text exists."""
    textpage = page.get_textpage()
    try:
        words, upright = _words(textpage, PageFrame.of(page))
    finally:
        textpage.close()
    if upright.all() or not upright.any():
        return words
    return [w for w, up in zip(words, upright.tolist(), strict=True) if up]


@dataclass
class _Chars:
    """Per-character arrays of the drawn (not generated) characters, in content order."""

    codes: np.ndarray  # code points
    x0: np.ndarray
    x1: np.ndarray
    top: np.ndarray
    bottom: np.ndarray
    upright: np.ndarray  # bool
    font: np.ndarray  # index into the page's fonts
    space: np.ndarray  # bool
    spaced: np.ndarray  # bool: pdfium generated a character between this and the one before


def _words(textpage: pdfium.PdfTextPage, frame: PageFrame) -> tuple[list[Word], np.ndarray]:
    tp = ctypes.c_void_p(ctypes.cast(textpage.raw, ctypes.c_void_p).value)
    n = _count_chars(tp)
    if n <= 0:
        return [], np.zeros(0, bool)
    objects = np.fromiter(map(_char_object, repeat(tp, n), range(n)), np.uint64, n)
    boxes, pointers = _BUFFER.get(n)
    ctypes.memset(boxes, 0, 16 * n)  # a box pdfium fails to give reads as empty, not stale
    deque(map(_loose_box, repeat(tp, n), range(n), pointers), 0)
    box = np.frombuffer(boxes, np.float32, 4 * n).reshape(n, 4)
    # Generated characters have an empty box; a space pdfium generates for a kerning gap
    # even has a text object, so ask pdfium about each empty box.
    empty = np.flatnonzero((box[:, 0] == box[:, 2]) | (box[:, 1] == box[:, 3]))
    objects[[i for i in empty.tolist() if _is_generated(tp, i)]] = 0
    drawn = np.flatnonzero(objects)
    if drawn.size == 0:
        return [], np.zeros(0, bool)
    box = box[drawn].astype(np.float64)
    text = _text(tp.value, n)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)[drawn]
    chars, fonts = _chars(tp.value, frame, codes, objects[drawn], box, drawn)
    # A character pdfium generated (a space at a kerning gap, a line break) ends a word
    # too: PDFs that draw no space glyphs (TeX) would otherwise glue words whose gap is
    # under pdfplumber's 3 pt. Elsewhere pdfium generates them only where words split.
    chars.spaced[1:] = drawn[1:] - drawn[:-1] > 1
    return _group_words(chars, fonts, has_ligatures(text))


def _text(tp: int, n: int) -> str:
    """The text of pdfium's characters, one per character (hyphens at line ends restored)."""
    buf = (ctypes.c_ushort * (n + 1))()
    written = _get_text(tp, 0, n, ctypes.addressof(buf))
    raw = bytes(memoryview(buf).cast("B")[: 2 * max(written - 1, 0)])
    text = raw.decode("utf-16-le", "replace")
    if len(text) != n:  # pdfium left characters out of its text: read them one by one
        text = "".join(map(chr, map(_unicode, repeat(tp, n), range(n)))).replace("\x02", "-")
    return text.replace(_LINE_END_HYPHEN, "-")


def _chars(tp, frame, codes, objects, box, drawn) -> tuple[_Chars, list[_Font]]:
    """Character boxes in pdfplumber's coordinates. Font, size and matrix (in page space,
    forms included) are read once per text object, from the object's first character."""
    objs, first, inverse = np.unique(objects, return_index=True, return_inverse=True)
    n_obj = len(objs)
    index = drawn[first].tolist()
    tpp = ctypes.c_void_p(tp)
    matrices = (ctypes.c_float * (6 * n_obj))()
    start = ctypes.addressof(matrices)
    pointers = [ctypes.c_void_p(start + 24 * k) for k in range(n_obj)]
    deque(map(_char_matrix, repeat(tpp, n_obj), index, pointers), 0)
    a, b, c, d, e, f = np.frombuffer(matrices, np.float32).reshape(n_obj, 6).astype(np.float64).T
    size = np.fromiter(map(_char_font_size, repeat(tpp, n_obj), index), np.float64, n_obj)
    handles = list(map(_object_font, map(ctypes.c_void_p, objs.tolist())))
    font_of = {h: k for k, h in enumerate(dict.fromkeys(handles))}
    fonts = [_font(h) for h in font_of]
    font_index = np.array([font_of[h] for h in handles], np.int64)
    descent = np.array([ft.descent for ft in fonts])[font_index] * size
    # pdfminer: upright when the matrix, page rotation included, keeps x and y in turn.
    ra, rb, rc, rd = frame.linear()
    pa, pb, pc, pd = a * ra + b * rc, a * rb + b * rd, c * ra + d * rc, c * rb + d * rd
    upright = (pa * pd > 0) & (pb * pc <= 0)
    # Across the text, pdfminer's box runs from the descent to descent + size; along it,
    # pdfium's box is used. Text at any other angle keeps pdfium's box both ways.
    along_x = (b == 0) & (c == 0)
    along_y = ~along_x & (a == 0) & (d == 0)
    base, scale = np.where(along_x, f, e), np.where(along_x, d, c)
    ends = (base + scale * descent, base + scale * (descent + size))
    lo, hi = np.minimum(*ends), np.maximum(*ends)
    left, top, right, bottom = box[:, 0], box[:, 1], box[:, 2], box[:, 3]
    cx, cy, clo, chi = along_x[inverse], along_y[inverse], lo[inverse], hi[inverse]
    x0 = np.where(cy, clo, np.minimum(left, right))
    x1 = np.where(cy, chi, np.maximum(left, right))
    y0 = np.where(cx, clo, np.minimum(top, bottom))
    y1 = np.where(cx, chi, np.maximum(top, bottom))
    px0, px1, ptop, pbottom = (np.round(v, _DIGITS) for v in frame.to_page(x0, y0, x1, y1))
    chars = _Chars(
        codes, px0, px1, ptop, pbottom, upright[inverse], font_index[inverse],
        np.isin(codes, _SPACES), np.zeros(len(codes), bool),
    )
    return chars, fonts


def _group_words(
    ch: _Chars, fonts: list[_Font], ligatures: bool
) -> tuple[list[Word], np.ndarray]:
    """pdfplumber's WordExtractor over the characters, vectorised.

    Runs of equal (upright, size, font) are pdfplumber's groups; inside a group, lines are
    clusters of the line key (top, or x0 for rotated text) chained within the tolerance,
    characters are ordered along the line, and words split as ``char_begins_new_word``.
    """
    n = len(ch.codes)
    size = np.round(ch.bottom - ch.top, _DIGITS)  # pdfminer's size is the box height
    new_group = np.ones(n, bool)
    new_group[1:] = (
        (ch.upright[1:] != ch.upright[:-1])
        | (size[1:] != size[:-1])
        | (ch.font[1:] != ch.font[:-1])
    )
    group = np.cumsum(new_group)
    line_key = np.where(ch.upright, ch.top, ch.x0)
    order = _stable_order(group, line_key)
    key_sorted, group_sorted = line_key[order], group[order]
    new_line = np.ones(n, bool)
    new_line[1:] = (group_sorted[1:] != group_sorted[:-1]) | (
        key_sorted[1:] > key_sorted[:-1] + TOLERANCE
    )
    line = np.empty(n, np.int64)
    line[order] = np.cumsum(new_line)
    # Along the line: x0 for upright text (pdfplumber sorts on (x0, x0)), else top, bottom.
    along1 = np.where(ch.upright, ch.x0, ch.top)
    along2 = np.where(ch.upright, ch.x0, ch.bottom)
    seq = _stable_order(line, along1, along2)  # stable, like pdfplumber's sorted()
    return _split_words(ch, fonts, seq, line[seq], size, ligatures)


def _rounded(sizes: np.ndarray) -> list[float]:
    """Python's round(size, 2) of each size, computed once per distinct size."""
    distinct, inverse = np.unique(sizes, return_inverse=True)
    values = [round(v, 2) for v in distinct.tolist()]
    return [values[i] for i in inverse.tolist()]


def _stable_order(*keys: np.ndarray) -> np.ndarray:
    """``np.lexsort`` on keys given most significant first; text usually comes in reading
    order already, and checking that is cheaper than sorting."""
    ascending = np.ones(len(keys[0]) - 1, bool)
    tied = np.ones(len(keys[0]) - 1, bool)
    for key in keys:
        step = key[1:] - key[:-1]
        ascending &= ~tied | (step >= 0)
        tied &= step == 0
    if ascending.all():
        return np.arange(len(keys[0]))
    return np.lexsort(keys[::-1])


def _split_words(ch: _Chars, fonts, seq, line, size, ligatures) -> tuple[list[Word], np.ndarray]:
    x0, x1, top, bottom = ch.x0[seq], ch.x1[seq], ch.top[seq], ch.bottom[seq]
    up, space, spaced = ch.upright[seq], ch.space[seq], ch.spaced[seq]
    # pdfplumber compares each character with the one before it in the word; a space ends
    # the word, so only the character just before matters.
    along = np.where(up, x0, top)
    along_end = np.where(up, x1, bottom)
    across = np.where(up, top, x0)
    breaks = np.ones(len(seq), bool)
    breaks[1:] = (
        (line[1:] != line[:-1])
        | space[:-1]
        | (along[1:] < along[:-1])
        | (along[1:] > along_end[:-1] + TOLERANCE)
        | (np.abs(across[1:] - across[:-1]) > TOLERANCE)
        | (spaced[1:] & (seq[1:] == seq[:-1] + 1))
        | (spaced[:-1] & (seq[:-1] == seq[1:] + 1))
    )
    keep = np.flatnonzero(~space)  # words are runs of the other characters
    if keep.size == 0:
        return [], np.zeros(0, bool)
    starts = np.flatnonzero(breaks[keep])
    ends = np.append(starts[1:], keep.size)
    text = ch.codes[seq[keep]].tobytes().decode("utf-32-le", "surrogatepass")
    first = seq[keep[starts]]
    bold = [f.bold for f in fonts]
    words = list(
        map(
            Word,
            [text[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)],
            np.minimum.reduceat(x0[keep], starts).tolist(),
            np.maximum.reduceat(x1[keep], starts).tolist(),
            np.minimum.reduceat(top[keep], starts).tolist(),
            np.maximum.reduceat(bottom[keep], starts).tolist(),
            _rounded(size[first]),
            [bold[i] for i in ch.font[first].tolist()],
        )
    )
    if ligatures:
        for word in words:
            word.text = expand_ligatures(word.text)
    return words, ch.upright[first]
