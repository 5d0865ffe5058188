"""Read a PDF's text layer with positions, and its ruling lines, through pdfium.

pypdfium2 was chosen by measurement (docs/import.md): the fastest well-kept
reader of text with positions that is not AGPL. Each page becomes a
:class:`PageContent`: its characters with boxes and its horizontal and vertical
ruling segments, all in top-down page coordinates (points; y grows downwards,
as a reader sees the page, whatever the page's /Rotate).
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as raw

# A path edge shorter than this (points) is no ruling line; one thinner than this
# in the other direction is treated as a line even when drawn as a filled rectangle.
_MIN_LENGTH = 2.0
_THIN = 2.5
# A path with more segments than this is a drawing (a logo, a chart), not a table grid.
_MAX_SEGMENTS = 5000


@dataclass(frozen=True, slots=True)
class Segment:
    """An axis-aligned ruling segment: ``at`` is its y (horizontal) or x (vertical)."""

    at: float
    start: float
    end: float


@dataclass(frozen=True, eq=False)
class PageContent:
    """What one page prints: characters and ruling lines. The characters are columns, not an
    object each: ``text`` holds them (one printed character each, whitespace dropped) and row
    i of ``boxes`` (float64) the box of ``text[i]``: x0, top, x1, bottom."""

    number: int  # 1-based
    width: float
    height: float
    text: str
    boxes: np.ndarray
    horizontal: tuple[Segment, ...]
    vertical: tuple[Segment, ...]


class PdfError(Exception):
    """The file cannot be read as a PDF: ``reason`` is ``encrypted``, ``corrupt`` or ``empty``;
    ``page`` (1-based) when one page of an otherwise readable file is the problem."""

    def __init__(self, reason: str, detail: str = "", page: int | None = None) -> None:
        super().__init__(reason, detail, page)
        self.reason = reason
        self.detail = detail
        self.page = page


def open_pdf(path: str | Path) -> pdfium.PdfDocument:
    """Open ``path``; raises :class:`PdfError` for an encrypted or unreadable file."""
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        code = raw.FPDF_GetLastError()
        reason = "encrypted" if code == raw.FPDF_ERR_PASSWORD else "corrupt"
        raise PdfError(reason, str(exc)) from None


def read_pages(path: str | Path) -> Iterator[PageContent]:
    """Every page of the PDF at ``path``, in order."""
    doc = open_pdf(path)
    try:
        if len(doc) == 0:
            raise PdfError("empty")
        for index in range(len(doc)):
            try:  # a damaged file can open and still fail on one of its pages
                page = doc[index]
            except pdfium.PdfiumError as exc:
                raise PdfError("corrupt", str(exc), index + 1) from None
            try:
                content = read_page(page, index + 1)
            except pdfium.PdfiumError as exc:
                raise PdfError("corrupt", str(exc), index + 1) from None
            finally:
                page.close()
            yield content
    finally:
        doc.close()


def read_page(page: pdfium.PdfPage, number: int) -> PageContent:
    """One page's characters and ruling lines."""
    width, height = page.get_size()
    rotation = raw.FPDFPage_GetRotation(page) % 4
    to_view = _view_transform(rotation, width, height)
    view_w, view_h = (height, width) if rotation in (1, 3) else (width, height)
    text, boxes = _chars(page, rotation, width, height)
    horizontal, vertical = _rulings(page, to_view)
    return PageContent(number, view_w, view_h, text, boxes, horizontal, vertical)


def _view_transform(rotation: int, width: float, height: float):  # type: ignore[no-untyped-def]
    """PDF user space (y up) → the page as displayed, top-down."""
    if rotation == 0:
        return lambda x, y: (x, height - y)
    if rotation == 1:  # 90° clockwise
        return lambda x, y: (y, x)
    if rotation == 2:
        return lambda x, y: (width - x, y)
    return lambda x, y: (height - y, width - x)


def _address(handle: Any) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


def _plain(fn: Any) -> Any:
    """pdfium's function ``fn`` taking and returning its handles as plain addresses (ints).

    pypdfium2's prototypes build a typed pointer object for every handle returned and check
    the type of every handle passed: on a page's hundreds of characters and thousands of
    objects that cost more than the calls themselves (the corpus: 0.11 → 0.07 s for its
    91k page objects)."""

    def plain(t: Any) -> Any:
        pointer = isinstance(t, type) and issubclass(t, ctypes._Pointer)
        return ctypes.c_void_p if pointer else t

    proto = ctypes.CFUNCTYPE(plain(fn.restype), *(plain(a) for a in fn.argtypes))
    return proto(_address(fn))


_loose_box = _plain(raw.FPDFText_GetLooseCharBox)
_page_object = _plain(raw.FPDFPage_GetObject)
_form_object = _plain(raw.FPDFFormObj_GetObject)
_count_form_objects = _plain(raw.FPDFFormObj_CountObjects)
_object_type = _plain(raw.FPDFPageObj_GetType)
_draw_mode = _plain(raw.FPDFPath_GetDrawMode)
_fill_color = _plain(raw.FPDFPageObj_GetFillColor)
_object_matrix = _plain(raw.FPDFPageObj_GetMatrix)
_object_bounds = _plain(raw.FPDFPageObj_GetBounds)
_count_segments = _plain(raw.FPDFPath_CountSegments)
_path_segment = _plain(raw.FPDFPath_GetPathSegment)
_segment_point = _plain(raw.FPDFPathSegment_GetPoint)
_segment_type = _plain(raw.FPDFPathSegment_GetType)
_segment_close = _plain(raw.FPDFPathSegment_GetClose)


def _chars(
    page: pdfium.PdfPage, rotation: int, width: float, height: float
) -> tuple[str, np.ndarray]:
    """The page's printed characters (one each) and their boxes (rows: x0, top, x1, bottom)."""
    textpage = page.get_textpage()
    try:
        handle = textpage.raw
        count = raw.FPDFText_CountChars(handle)
        if count <= 0:
            return "", np.empty((0, 4))
        buffer = ctypes.create_string_buffer((count + 1) * 2)
        raw.FPDFText_GetText(handle, 0, count, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
        text = buffer.raw[: count * 2].decode("utf-16-le", errors="replace")
        # pdfium's generated characters (FPDFText_IsGenerated) are spaces and line breaks,
        # skipped here as whitespace: no call per character to ask (a quarter of the time)
        keep = [i for i, ch in enumerate(text) if not (ch.isspace() or ch == "\ufffe")]
        n = len(keep)
        # each box is written by pdfium straight into its row of the array: no Python
        # object per character until the layout needs one
        rects = np.empty((n, 4), dtype=np.float32)  # FS_RECTF: left, top, right, bottom
        found = np.fromiter(
            map(_loose_box, repeat(_address(handle), n), keep, _addresses(rects)[0]),
            dtype=bool,
            count=n,
        )
        if found.all():  # (pdfium tells every box but in broken files)
            chars = "".join(map(text.__getitem__, keep))
            boxes = rects.astype(np.float64)
        else:
            chars = "".join(map(text.__getitem__, np.asarray(keep)[found].tolist()))
            boxes = rects[found].astype(np.float64)
        if rotation == 0:  # the common case: y flipped, no other transform
            boxes[:, 1::2] = height - boxes[:, 1::2]  # (x0, top, x1, bottom)
            return chars, boxes
        left, top, right, bottom = boxes.T
        to_view = _view_transform(rotation, width, height)
        xa, ya = to_view(left, bottom)
        xb, yb = to_view(right, top)
        view = (np.minimum(xa, xb), np.minimum(ya, yb), np.maximum(xa, xb), np.maximum(ya, yb))
        return chars, np.column_stack(view)
    finally:
        textpage.close()


def _rulings(page: pdfium.PdfPage, to_view) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:  # type: ignore[no-untyped-def]
    horizontal: list[Segment] = []
    vertical: list[Segment] = []
    for (xa, ya), (xb, yb) in _page_edges(page):
        (xa, ya), (xb, yb) = to_view(xa, ya), to_view(xb, yb)
        if abs(ya - yb) <= 0.5 and abs(xb - xa) >= _MIN_LENGTH:
            horizontal.append(Segment((ya + yb) / 2, min(xa, xb), max(xa, xb)))
        elif abs(xa - xb) <= 0.5 and abs(yb - ya) >= _MIN_LENGTH:
            vertical.append(Segment((xa + xb) / 2, min(ya, yb), max(ya, yb)))
    return _finite(horizontal, vertical)


_Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: _Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_Edge = tuple[tuple[float, float], tuple[float, float]]


def _page_edges(page: pdfium.PdfPage) -> Iterator[_Edge]:
    """Straight edges of the page's visible path objects, form XObjects' included, in user
    space: the page's own paths in order, then each form's.

    A page holds thousands of objects (text runs mostly): each question to pdfium (every
    object, its type, each path's draw mode, fill colour and bounds) is asked of all of
    them in one C-level loop (``map``), the answers written into arrays: no Python
    statement per object."""
    stack: list[tuple[int, int, bool, _Matrix]] = [
        (_address(page.raw), raw.FPDFPage_CountObjects(page.raw), False, _IDENTITY)
    ]
    while stack:
        owner, count, in_form, outer = stack.pop()
        get = _form_object if in_form else _page_object
        objects = list(map(get, repeat(owner, count), range(count)))
        kinds = list(map(_object_type, objects))
        paths = [obj for obj, kind in zip(objects, kinds, strict=True) if kind == _PATH]
        paths = [obj for obj, shown in zip(paths, _visible(paths), strict=True) if shown]
        found, bounds = _bounds(paths)
        for obj, ok, box in zip(paths, found.tolist(), bounds.tolist(), strict=True):
            if ok and not in_form:  # (most paths: a rule of the page, its bounds thin)
                line = _centre_line(*box)
                if line is not None:
                    yield line
                    continue
            matrix = _compose(_matrix(obj), outer) if in_form else _IDENTITY
            yield from _edges(obj, matrix, box if ok else None)
        for obj, kind in zip(objects, kinds, strict=True):
            if kind == _FORM:
                inner = _compose(_matrix(obj), outer)
                stack.append((obj, _count_form_objects(obj), True, inner))


_PATH, _FORM = raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_FORM


def _addresses(array: np.ndarray) -> list[range]:
    """Per column of a C-contiguous 2-d array, the address of its field in each row."""
    base, size, fields = array.ctypes.data, array.itemsize, array.shape[1]
    row = size * fields
    end = base + row * len(array)
    return [range(base + size * f, end + size * f, row) for f in range(fields)]


def _visible(paths: list[int]) -> np.ndarray:
    """Paths that draw a rule: stroked, or filled in a colour other than white. Cells
    painted white (a background, often a whole page) are no rules: taken as rules they
    pulled titles into grids and split wrapped labels. (A path whose draw mode or colour
    pdfium cannot tell is kept.)"""
    n = len(paths)
    modes = np.zeros((n, 2), dtype=np.int32)  # fill mode, stroke
    told = np.fromiter(map(_draw_mode, paths, *_addresses(modes)), dtype=bool, count=n)
    fill, stroke = modes.T
    shown: np.ndarray = ~told | (stroke != 0)
    coloured = np.flatnonzero(told & (stroke == 0) & (fill != 0))
    colours = np.zeros((len(coloured), 4), dtype=np.uint32)  # r, g, b, a
    asked = [paths[i] for i in coloured.tolist()]
    known = np.fromiter(map(_fill_color, asked, *_addresses(colours)), dtype=bool, count=len(asked))
    painted = (colours[:, 3] > 0) & (colours[:, :3].min(axis=1, initial=255) < 250)
    shown[coloured] = ~known | painted
    return shown


def _bounds(paths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Each path's bounds (left, bottom, right, top), and whether pdfium could tell them."""
    n = len(paths)
    bounds = np.zeros((n, 4), dtype=np.float32)
    found = np.fromiter(map(_object_bounds, paths, *_addresses(bounds)), dtype=bool, count=n)
    return found, bounds


def _matrix(obj: int) -> _Matrix:
    m = raw.FS_MATRIX()
    if not _object_matrix(obj, ctypes.byref(m)):
        return _IDENTITY
    return (m.a, m.b, m.c, m.d, m.e, m.f)


def _compose(inner: _Matrix, outer: _Matrix) -> _Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (
        a * A + b * C,
        a * B + b * D,
        c * A + d * C,
        c * B + d * D,
        e * A + f * C + E,
        e * B + f * D + F,
    )


def _apply(m: _Matrix, x: float, y: float) -> tuple[float, float]:
    return (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])


def _edges(obj: int, outer: _Matrix, bounds: list[float] | None) -> Iterator[_Edge]:
    """Straight edges of a path object in user space (``bounds``: its bounds, if known).

    Points of a path segment are in the object's own space: pdfium applies the
    object's matrix only to its bounds, so the matrix is applied here. A path
    whose bounds are thin in one direction (a line drawn as a filled
    rectangle) yields its centre line.
    """
    if bounds is not None:
        line = _centre_line(*_bounds_in(outer, *bounds))
        if line is not None:
            yield line
            return
    count = _count_segments(obj)
    if count <= 0 or count > _MAX_SEGMENTS:
        return
    own = _compose(_matrix(obj), outer)
    segments = list(map(_path_segment, repeat(obj, count), range(count)))
    points = np.zeros((count, 2), dtype=np.float32)
    placed = list(map(_segment_point, segments, *_addresses(points)))
    kinds = list(map(_segment_type, segments))
    closed = list(map(_segment_close, segments))
    start: tuple[float, float] | None = None
    last: tuple[float, float] | None = None
    for ok, (x, y), kind, close in zip(placed, points.tolist(), kinds, closed, strict=True):
        if not ok:
            continue
        point = _apply(own, x, y)
        if kind == raw.FPDF_SEGMENT_MOVETO:
            start = last = point
            continue
        if kind == raw.FPDF_SEGMENT_LINETO and last is not None:
            yield last, point
        last = point
        if close and start is not None and last != start:
            yield last, start
            last = start


def _centre_line(x0: float, y0: float, x1: float, y1: float) -> _Edge | None:
    """The centre line of bounds thin in one direction (a rule drawn as a filled
    rectangle, or as one line), or None."""
    if (x1 - x0) <= _THIN and (y1 - y0) >= _MIN_LENGTH:
        return ((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1)
    if (y1 - y0) <= _THIN and (x1 - x0) >= _MIN_LENGTH:
        return (x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)
    return None


def _bounds_in(
    m: _Matrix, left: float, bottom: float, right: float, top: float
) -> tuple[float, float, float, float]:
    if m is _IDENTITY:
        return left, bottom, right, top
    pts = [_apply(m, px, py) for px in (left, right) for py in (bottom, top)]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _finite(
    horizontal: list[Segment], vertical: list[Segment]
) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Drop degenerate segments (NaN from broken matrices)."""
    ok = [s for s in horizontal if math.isfinite(s.at + s.start + s.end)]
    ov = [s for s in vertical if math.isfinite(s.at + s.start + s.end)]
    return tuple(ok), tuple(ov)
