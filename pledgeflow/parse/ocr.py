"""OCR for PDF pages that have pictures but no text layer (scans, image-only exports).

Such a page is rendered with pypdfium2 and read by RapidOCR (``pledgeflow[ocr]``: the
PP-OCR detection and recognition models run by onnxruntime, shipped inside the package, so
nothing is downloaded at run time). Its words come back as ``Word`` values in the page's
coordinates, so they go through the same layout path as a text layer's: lines, reading
order, paragraphs, headings (by size) and list items. OCR does not tell font sizes, so a
line's size is estimated from its x-height in the picture; nor does it read list bullets
reliably, so filled dots just left of a line are found in the picture and become markers.

OCR is slow (seconds a page), so it is bounded per document: at most ``max_pages`` pages
and ``seconds`` of OCR (checked before each page). The defaults are here, in
``OcrOptions``; ``pledgeflow run --no-ocr``, ``--ocr-pages`` and ``--ocr-seconds`` change
them. Pages left unread (OCR off, not installed, past a bound, or failed) are listed on the
Document with the reason, and the run records them in ``failures``.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from pledgeflow.parse.pdf_layout import Mark, Word

if TYPE_CHECKING:
    import pypdfium2 as pdfium

DEFAULT_MAX_PAGES = 20  # OCR pages a document, at most
DEFAULT_SECONDS = 60.0  # seconds of OCR a document, at most (half the default parse timeout)
RENDER_DPI = 150  # enough for 9 pt print; 200 dpi read no better here and took longer
# A poster-sized page is rendered smaller: the detector scales pictures to 2000 px anyway,
# and a page of 14,400 pt a side at 150 dpi would be a 900 MB picture.
MAX_RENDER_PX = 4000
# A page with fewer characters in its text layer than this, and pictures over at least
# MIN_IMAGE_SHARE of its area, is a scanned page (a scanner's stamp or a page number in
# the text layer does not count as text).
MIN_TEXT_CHARS = 20
MIN_IMAGE_SHARE = 0.1
INSTALL_HINT = "install the OCR extra: pip install 'pledgeflow[ocr]'"
_INK = 128  # grey level below which a pixel is ink
_X_HEIGHT = 0.52  # x-height / font size of common sans and serif faces


@dataclass(frozen=True)
class OcrOptions:
    """Whether and how much to OCR, per document."""

    enabled: bool = True
    max_pages: int = DEFAULT_MAX_PAGES
    seconds: float = DEFAULT_SECONDS


class OcrUnavailable(Exception):
    """The OCR engine is not installed (or failed to load)."""


@dataclass
class OcrBudget:
    """One document's OCR so far: pages read, pages left unread and why."""

    options: OcrOptions
    pages: list[int] = field(default_factory=list)
    unread: dict[int, str] = field(default_factory=dict)  # page -> reason
    spent: float = 0.0  # seconds of OCR

    def refusal(self) -> str | None:
        """Why the next scanned page may not be OCR'd, or None when it may."""
        opts = self.options
        if not opts.enabled:
            return "OCR is off (--no-ocr)"
        if len(self.pages) >= opts.max_pages:
            return f"past the limit of {opts.max_pages} OCR pages a document"
        if self.pages and self.spent >= opts.seconds:
            return f"past the OCR time budget of {opts.seconds:g} s a document"
        try:
            engine()
        except OcrUnavailable as exc:
            return str(exc)
        return None

    def read(self, page: pdfium.PdfPage, number: int) -> tuple[list[Word], list[Mark]] | None:
        """OCR the page when the budget allows; else note it unread. None when unread."""
        reason = self.refusal()
        if reason is None:
            started = time.monotonic()
            try:
                found = read_page(page)
            except Exception as exc:  # noqa: BLE001 - one bad page must not lose the others
                reason = f"OCR failed: {type(exc).__name__}: {exc}"
            finally:
                self.spent += time.monotonic() - started
        if reason is not None:
            self.unread[number] = reason
            return None
        self.pages.append(number)
        return found

    def warnings(self) -> list[str]:
        """One line per reason: which pages were left unread and why."""
        by_reason: dict[str, list[int]] = {}
        for number, reason in sorted(self.unread.items()):
            by_reason.setdefault(reason, []).append(number)
        return [f"{page_ranges(pages)} no text layer, not read: {reason}"
                for reason, pages in by_reason.items()]


def page_ranges(pages: list[int]) -> str:
    """"page 3", "pages 2-4, 7": a list of page numbers for a person."""
    spans: list[list[int]] = []
    for p in sorted(pages):
        if spans and p == spans[-1][1] + 1:
            spans[-1][1] = p
        else:
            spans.append([p, p])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)
    return f"{'page' if len(pages) == 1 else 'pages'} {text}:"


@functools.cache
def engine():
    """The process's OCR engine, loaded once (about a second) and kept: parse workers
    take many documents. One thread: the pool already runs a worker per core."""
    try:
        import cv2
        from rapidocr import RapidOCR
    except ImportError:
        raise OcrUnavailable(f"no OCR engine ({INSTALL_HINT})") from None
    cv2.setNumThreads(1)  # OpenCV's resizing would start a thread per core too
    try:
        return RapidOCR(params={
            "Global.log_level": "critical",
            # the angle classifier turned a plain line upside down in tests; scans of
            # council plans are upright (a rotated page's /Rotate is applied in render)
            "Global.use_cls": False,
            "Global.return_word_box": True,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })
    except Exception as exc:  # noqa: BLE001 - a broken install is reported, not raised
        raise OcrUnavailable(f"the OCR engine failed to load: {exc}") from None


def is_scanned(page: pdfium.PdfPage, words: list[Word]) -> bool:
    """Negligible text layer, and pictures over a real share of the page."""
    if sum(len(w.text) for w in words) >= MIN_TEXT_CHARS:
        return False
    import pypdfium2.raw as pdfium_c

    width, height = page.get_size()
    area = 0.0
    for image in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=4):
        left, bottom, right, top = image.get_bounds()
        w = min(right, width) - max(left, 0.0)
        h = min(top, height) - max(bottom, 0.0)
        area += max(w, 0.0) * max(h, 0.0)
    return area >= MIN_IMAGE_SHARE * width * height


def read_page(page: pdfium.PdfPage) -> tuple[list[Word], list[Mark]]:
    """The page's words and list markers, in points, top-down, as pdfplumber has them."""
    scale = min(RENDER_DPI / 72, MAX_RENDER_PX / max(*page.get_size(), 1.0))
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        gray = bitmap.to_numpy().copy()
    finally:
        bitmap.close()
    if gray.ndim == 3:
        gray = gray[..., 0]
    result = engine()(np.repeat(gray[..., None], 3, axis=2))
    if result.txts is None or not result.word_results:
        return [], []
    words: list[Word] = []
    marks: list[Mark] = []
    for line in result.word_results:
        boxes = [(text, _px_box(box)) for text, _score, box in line if text.strip()]
        if not boxes:
            continue
        size = _line_size(gray, [b for _, b in boxes]) / scale / _X_HEIGHT
        for text, (x0, x1, top, bottom) in boxes:
            words.append(Word(text.strip(), x0 / scale, x1 / scale, top / scale,
                              bottom / scale, round(size, 2), False))
        mark = _marker(gray, [b for _, b in boxes])
        if mark is not None:
            x0, x1, top, bottom = mark
            marks.append(Mark(x0 / scale, x1 / scale, top / scale, bottom / scale, "•"))
    return words, marks


def _px_box(quad) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return min(xs), max(xs), min(ys), max(ys)


def _ink_rows(gray: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, x1, top, bottom = (int(round(v)) for v in box)
    crop = gray[max(top, 0):max(bottom + 1, 0), max(x0, 0):max(x1 + 1, 0)] < _INK
    return crop.mean(axis=1) if crop.size else np.zeros(0)


def _x_height(gray: np.ndarray, box: tuple[float, float, float, float]) -> float | None:
    """The band of rows where a word's ink is densest: its x-height, in pixels. Measured
    word by word, as a scan's slight skew would blur a whole line's profile."""
    rows = _ink_rows(gray, box)
    if rows.size == 0 or rows.max() <= 0:
        return None
    band = np.flatnonzero(rows >= 0.3 * rows.max())
    return float(band[-1] - band[0] + 1)


def _line_size(gray: np.ndarray, boxes: list[tuple[float, float, float, float]]) -> float:
    """A line's x-height in pixels: the median of its words' (a capital or a digit alone
    reads taller), or half the box height when no word shows ink."""
    heights = [h for h in (_x_height(gray, b) for b in boxes) if h]
    if not heights:
        return 0.5 * float(np.median([b[3] - b[2] for b in boxes]))
    return float(np.median(heights))


def _marker(gray: np.ndarray, boxes: list[tuple[float, float, float, float]]
            ) -> tuple[float, float, float, float] | None:
    """A filled dot or square just left of the line's first word, as a list bullet that
    OCR passed over: compact, about the x-height or smaller, and mostly ink (a letter
    OCR missed is an outline, a full stop is far smaller)."""
    x0, _, top, bottom = min(boxes, key=lambda b: b[0])
    line_height = bottom - top
    left = max(int(x0 - 3 * line_height), 0)
    region = gray[max(int(top), 0):int(bottom) + 1, left:max(int(x0) - 1, left)] < _INK
    if region.size == 0 or not region.any():
        return None
    columns = np.flatnonzero(region.any(axis=0))
    # the run of inked columns nearest the text
    gaps = np.flatnonzero(np.diff(columns) > 1)
    first = columns[gaps[-1] + 1] if gaps.size else columns[0]
    last = columns[-1]
    blob = region[:, first:last + 1]
    rows = np.flatnonzero(blob.any(axis=1))
    if rows.size == 0:
        return None
    blob = blob[rows[0]:rows[-1] + 1]
    h, w = blob.shape
    x_height = _line_size(gray, boxes)
    if not (0.3 * x_height <= min(h, w) and max(h, w) <= 1.2 * x_height):
        return None
    if not 0.5 <= w / h <= 2 or blob.mean() < 0.55:
        return None
    y = int(top) if top > 0 else 0
    return left + first, left + last + 1, y + rows[0], y + rows[-1] + 1


def snap_sizes(pages: list[list[Word]]) -> None:
    """One size for each run of estimated sizes within 12% of each other, across the
    document's OCR'd pages: estimates wobble by a pixel or two, and the layout splits
    paragraphs where the font size changes."""
    words = [w for page in pages for w in page]
    if not words:
        return
    chars: dict[float, int] = {}
    for w in words:
        chars[w.size] = chars.get(w.size, 0) + len(w.text)
    snapped: dict[float, float] = {}
    cluster: list[float] = []
    for size in sorted(chars):
        if cluster and size > cluster[0] * 1.12:
            _settle(cluster, chars, snapped)
            cluster = []
        cluster.append(size)
    _settle(cluster, chars, snapped)
    for w in words:
        w.size = snapped[w.size]


def _settle(cluster: list[float], chars: dict[float, int], snapped: dict[float, float]) -> None:
    """The cluster's size: the one most characters are set in, to the half point."""
    size = round(max(cluster, key=lambda s: chars[s]) * 2) / 2
    for s in cluster:
        snapped[s] = size
