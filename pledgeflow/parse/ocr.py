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
import importlib.util
import re
import time
from dataclasses import asdict, dataclass, field, replace
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
_ALNUM = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class OcrOptions:
    """Whether and how much to OCR, per document."""

    enabled: bool = True
    max_pages: int = DEFAULT_MAX_PAGES
    seconds: float = DEFAULT_SECONDS


class OcrUnavailable(Exception):
    """The OCR engine is not installed (or failed to load)."""


def installed() -> bool:
    """Whether the OCR engine's packages are installed, without loading them (a second)."""
    return all(importlib.util.find_spec(name) is not None for name in ("cv2", "rapidocr"))


def reads_more(before: dict | None, now: OcrOptions) -> bool:
    """Whether OCR with ``now`` may read pages a parse with ``before`` (its
    ``Document.ocr_options``) left unread: OCR on where it was off or had no engine, or a
    bound raised. None: a parse saved before the options were kept, so it may."""
    if not now.enabled:
        return False
    if before is None:
        return True
    if not before.get("enabled"):
        return installed()
    return (now.max_pages > before.get("max_pages", 0)
            or now.seconds > before.get("seconds", 0.0))


@dataclass
class OcrBudget:
    """One document's OCR so far: pages read, pages left unread and why."""

    options: OcrOptions
    pages: list[int] = field(default_factory=list)
    unread: dict[int, str] = field(default_factory=dict)  # page -> reason
    spent: float = 0.0  # seconds of OCR
    no_engine: bool = False  # a page was left unread because the engine would not load

    def used(self) -> dict:
        """The options this budget read with, as the Document keeps them: with no engine,
        OCR was in effect off."""
        return asdict(replace(self.options, enabled=self.options.enabled and not self.no_engine))

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
            self.no_engine = True
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
    """Page numbers for a person, as a line's lead: "page 3:", "pages 2-4, 7:"."""
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
    lines = [[(text.strip(), np.asarray(quad, float)) for text, _score, quad in line
              if text.strip()] for line in result.word_results]
    lines = [line for line in lines if line]
    # A sheet a little askew on the glass: the words' boxes and the picture are turned
    # straight, or a line's words climb or fall out of its row, columns lean, and the ink
    # measured in a word's box takes in the slant.
    turn = _Deskew(_skew(lines), gray.shape[1] / 2, gray.shape[0] / 2)
    gray = turn.picture(gray)
    words: list[Word] = []
    marks: list[Mark] = []
    for line in lines:
        boxes = [turn.box(quad) for _, quad in line]
        size = _line_size(gray, boxes, [text for text, _ in line]) / scale / _X_HEIGHT
        # one row for the whole line, as OCR found it
        top = float(np.median([b[2] for b in boxes]))
        bottom = float(np.median([b[3] for b in boxes]))
        for (text, _), (x0, x1, _, _) in zip(line, boxes, strict=True):
            words.append(Word(text, x0 / scale, x1 / scale, top / scale, bottom / scale,
                              round(size, 2), False))
        mark = _marker(gray, boxes)
        if mark is not None:
            x0, x1, mtop, mbottom = mark
            marks.append(Mark(x0 / scale, x1 / scale, mtop / scale, mbottom / scale, "•"))
    return words, marks


def _skew(lines: list[list[tuple[str, np.ndarray]]]) -> float:
    """The scan's skew in radians: the median slope of its long lines' top edges (a
    sheet a little askew on the glass turns every line by the same angle)."""
    slopes = []
    for line in lines:
        first, last = line[0][1], line[-1][1]
        dx, dy = last[1][0] - first[0][0], last[1][1] - first[0][1]
        height = first[3][1] - first[0][1]
        if dx > 3 * max(height, 1.0):
            slopes.append(float(np.arctan2(dy, dx)))
    return float(np.median(slopes)) if slopes else 0.0


@dataclass(frozen=True)
class _Deskew:
    """Turns picture points back by the skew, about the picture's centre."""

    angle: float
    cx: float
    cy: float

    def box(self, quad: np.ndarray) -> tuple[float, float, float, float]:
        """x0, x1, top, bottom of a quadrilateral once straightened."""
        if abs(self.angle) < 1e-4:
            return _px_box(quad)
        cos, sin = np.cos(-self.angle), np.sin(-self.angle)
        x, y = quad[:, 0] - self.cx, quad[:, 1] - self.cy
        xs, ys = self.cx + x * cos - y * sin, self.cy + x * sin + y * cos
        return float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())

    def picture(self, gray: np.ndarray) -> np.ndarray:
        """The picture turned the same way (a turn by -angle in picture coordinates, y
        down, is Pillow's counter-clockwise turn by angle)."""
        if abs(self.angle) < 1e-4:
            return gray
        from PIL import Image

        turned = Image.fromarray(gray).rotate(
            float(np.degrees(self.angle)), resample=Image.Resampling.BILINEAR,
            center=(self.cx, self.cy), fillcolor=255)
        return np.asarray(turned)


def _px_box(quad) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in quad]
    ys = [float(p[1]) for p in quad]
    return min(xs), max(xs), min(ys), max(ys)


def _ink_rows(gray: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, x1, top, bottom = (int(round(v)) for v in box)
    crop = gray[max(top, 0):max(bottom + 1, 0), max(x0, 0):max(x1 + 1, 0)] < _INK
    return crop.mean(axis=1) if crop.size else np.zeros(0)


def _band(gray: np.ndarray, box: tuple[float, float, float, float]) -> float | None:
    """The height of the band of rows where the ink in ``box`` is densest, in pixels."""
    rows = _ink_rows(gray, box)
    if rows.size == 0 or rows.max() <= 0:
        return None
    band = np.flatnonzero(rows >= 0.5 * rows.max())
    return float(band[-1] - band[0] + 1)


def _line_size(gray: np.ndarray, boxes: list[tuple[float, float, float, float]],
               texts: list[str] | None = None) -> float:
    """A line's x-height in pixels. A word's densest band of ink is its x-height, or
    more where capitals, digits or ascenders are many ("2026"): never less. So the
    line's lower quartile of its words' bands (words of two letters or more) is taken.
    Half the box height when no word shows ink."""
    texts = texts or ["xx"] * len(boxes)
    bands = [h for box, text in zip(boxes, texts, strict=True)
             if len(_ALNUM.findall(text)) >= 2 and (h := _band(gray, box))]
    if not bands:
        bands = [h for box in boxes if (h := _band(gray, box))]
    if not bands:
        return 0.5 * float(np.median([b[3] - b[2] for b in boxes]))
    return float(np.percentile(bands, 25, method="lower"))


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
    """Make the estimated sizes of the document's OCR'd words one per style. Estimates
    wobble (a pixel of x-height is a tenth of it in small print, more on a skewed or noisy
    scan), and the layout starts a new paragraph, or takes a heading, where the size
    changes. The body size is where most characters are: every size within ``BODY_BAND``
    of it becomes it (a heading is clearly larger, 1.2 times the body at least, so none is
    lost). Other sizes are made one where each is within 12% of the next."""
    words = [w for page in pages for w in page]
    if not words:
        return
    chars: dict[float, int] = {}
    for w in words:
        chars[w.size] = chars.get(w.size, 0) + len(w.text)
    body = _body_estimate(chars)
    snapped: dict[float, float] = {}
    cluster: list[float] = []
    for size in sorted(chars):
        if body / BODY_BAND < size < body * BODY_BAND:
            snapped[size] = round(body * 2) / 2
            continue
        if cluster and (size > cluster[-1] * 1.12 or (cluster[-1] < body < size)):
            _settle(cluster, chars, snapped)
            cluster = []
        cluster.append(size)
    if cluster:
        _settle(cluster, chars, snapped)
    for w in words:
        w.size = snapped[w.size]


BODY_BAND = 1.2


def _body_estimate(chars: dict[float, int]) -> float:
    """The size with the most characters within 10% either side of it, as the
    character-weighted median of those."""
    sizes = sorted(chars)
    best = max(sizes, key=lambda s: sum(n for t, n in chars.items() if s / 1.1 <= t <= s * 1.1))
    near = [t for t in sizes if best / 1.1 <= t <= best * 1.1]
    total = sum(chars[t] for t in near)
    running = 0
    for t in near:
        running += chars[t]
        if 2 * running >= total:
            return t
    return best


def _settle(cluster: list[float], chars: dict[float, int], snapped: dict[float, float]) -> None:
    """The cluster's size: the one most characters are set in, to the half point."""
    size = round(max(cluster, key=lambda s: chars[s]) * 2) / 2
    for s in cluster:
        snapped[s] = size
