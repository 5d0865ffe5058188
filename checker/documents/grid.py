"""Lay a page out as published: ruled tables as grids of cells, the rest as text lines.

A table is a connected set of ruling segments. Its column boundaries are the
x positions of its vertical rules and its row boundaries the y positions of
its horizontal rules; two neighbouring elementary cells are one (merged) cell
when no rule separates them. Every character goes to the cell its centre lies
in, so a value belongs to the column whose x-extent it sits under whatever
cells around it are empty. Characters outside every grid form the page's text
lines (titles, 单位：元, notes, prose).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from checker.documents.pdf import PageContent, Segment

# Rules closer than this (points) are one rule; rules this far apart bound a cell.
_SNAP = 2.0
# A rule bounds an elementary cell when it covers this share of the cell's side.
_COVER = 0.6
CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_CJK_SPACE = re.compile(rf"(?<=[{CJK}])\s+(?=[{CJK}])")


@dataclass(frozen=True)
class Box:
    """A rectangle in top-down page coordinates."""

    x0: float
    top: float
    x1: float
    bottom: float

    def rounded(self) -> list[float]:
        return [round(self.x0, 1), round(self.top, 1), round(self.x1, 1), round(self.bottom, 1)]


@dataclass(frozen=True)
class Cell:
    """One (possibly merged) cell: its text as printed and its place."""

    text: str
    box: Box
    row: int  # first grid row it spans
    col: int  # first grid column it spans
    row_span: int
    col_span: int
    line: int | None = None  # the source line, for a text dump
    # the column it belongs to cannot be decided (an import note says why): read as null
    unresolved: bool = False


@dataclass(frozen=True)
class Grid:
    """A ruled table on one page: column and row boundaries and its cells."""

    page: int | None
    xs: tuple[float, ...]
    ys: tuple[float, ...]
    cells: tuple[Cell, ...]
    # a text dump's grid: how many cells each row printed (its tab fields; a row is padded
    # to the grid's width), so a table read by position can tell a row printed short
    widths: tuple[int, ...] = ()

    @property
    def box(self) -> Box:
        return Box(self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1

    def row_cells(self, row: int) -> list[Cell]:
        """Cells whose top edge is grid row ``row``, left to right."""
        return self._by_row.get(row, [])

    @cached_property
    def _by_row(self) -> dict[int, list[Cell]]:
        # cells are sorted by (row, col) when a grid is made: grouped once, not per call
        out: dict[int, list[Cell]] = {}
        for cell in sorted(self.cells, key=lambda c: (c.row, c.col)):
            out.setdefault(cell.row, []).append(cell)
        return out


@dataclass(frozen=True)
class Line:
    """A line of text outside every grid."""

    text: str
    box: Box
    line: int | None = None  # the source line, for a text dump


@dataclass(frozen=True)
class PageLayout:
    """A page as laid out: its grids top to bottom and its free text lines."""

    number: int | None
    width: float
    height: float
    grids: tuple[Grid, ...]
    lines: tuple[Line, ...]
    char_count: int


def layout_page(page: PageContent) -> PageLayout:
    """Grids and text lines of one page."""
    return layout_pages([page])[0]


@dataclass(frozen=True)
class _Shape:
    """A grid before its text: boundaries, and each cell's root (its first elementary cell)
    with its first and last row and column; its cells' characters are in groups ``base +
    root``."""

    xs: list[float]
    ys: list[float]
    extents: list[tuple[int, int, int, int, int]]
    base: int


def layout_pages(pages: Iterable[PageContent]) -> list[PageLayout]:
    """Grids and text lines of pages (a document's, in order). Each page's grids are found
    page by page; the characters of all of them are then set in lines at once (array
    operations per document, not per page or grid)."""
    plans: list[tuple[PageContent, list[_Shape], int]] = []  # with the group of free text
    codes: list[np.ndarray] = []
    boxes: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    groups: list[np.ndarray] = []
    offset = group = 0
    for page in pages:
        centres = (
            (page.boxes[:, 0] + page.boxes[:, 2]) / 2,
            (page.boxes[:, 1] + page.boxes[:, 3]) / 2,
        )
        free = np.ones(len(page.text), dtype=bool)  # not (yet) in a grid
        shapes: list[_Shape] = []
        for hs, vs in _frames(page.horizontal, page.vertical):
            found = _shape(centres, hs, vs, free, group)
            if found is not None:
                shape, index, owner = found
                shapes.append(shape)
                indices.append(index + offset)
                groups.append(owner)
                group += (len(shape.xs) - 1) * (len(shape.ys) - 1)
        index = np.flatnonzero(free)
        indices.append(index + offset)
        groups.append(np.full(len(index), group, dtype=np.intp))
        plans.append((page, shapes, group))
        group += 1
        codes.append(np.frombuffer(page.text.encode("utf-32-le"), dtype=np.uint32))
        boxes.append(page.boxes)
        offset += len(page.text)
    if not plans:
        return []
    texts, owners, extents = _text_lines(
        np.concatenate(codes),
        np.concatenate(boxes),
        np.concatenate(indices),
        np.concatenate(groups),
    )
    lines_of: dict[int, list[int]] = {}
    for k, line_group in enumerate(owners):
        lines_of.setdefault(line_group, []).append(k)
    out: list[PageLayout] = []
    for page, shapes, free_group in plans:
        grids = [_grid(page.number, shape, texts, lines_of) for shape in shapes]
        grids.sort(key=lambda g: g.ys[0])
        where = extents[lines_of.get(free_group, [])].tolist()
        lines = tuple(
            Line(texts[k], Box(*box))
            for k, box in zip(lines_of.get(free_group, []), where, strict=True)
        )
        out.append(
            PageLayout(page.number, page.width, page.height, tuple(grids), lines, len(page.text))
        )
    return out


def _frames(
    horizontal: Sequence[Segment], vertical: Sequence[Segment]
) -> list[tuple[list[Segment], list[Segment]]]:
    """Group merged rules into connected frames (a table each)."""
    hs = _merge(horizontal)
    vs = _merge(vertical)
    parent = list(range(len(hs) + len(vs)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    by_x = sorted(range(len(vs)), key=lambda j: vs[j].at)
    xs = [vs[j].at for j in by_x]
    for i, h in enumerate(hs):
        lo = bisect.bisect_left(xs, h.start - _SNAP)
        hi = bisect.bisect_right(xs, h.end + _SNAP)
        for k in range(lo, hi):
            j = by_x[k]
            v = vs[j]
            if v.start - _SNAP <= h.at <= v.end + _SNAP:
                a, b = find(i), find(len(hs) + j)
                if a != b:
                    parent[a] = b
    groups: dict[int, tuple[list[Segment], list[Segment]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    return [(h, v) for h, v in groups.values() if len(h) >= 2 and len(v) >= 2]


def _merge(segments: Iterable[Segment]) -> list[Segment]:
    """Join collinear rules that touch or overlap (a rule drawn cell by cell is one rule)."""
    out: list[Segment] = []
    ordered = sorted(segments, key=lambda s: s.at)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1].at - ordered[j].at <= _SNAP / 2:
            j += 1
        line = sorted(ordered[i : j + 1], key=lambda s: s.start)
        at = sum(s.at for s in line) / len(line)
        start, end = line[0].start, line[0].end
        for seg in line[1:]:
            if seg.start <= end + _SNAP:
                end = max(end, seg.end)
            else:
                out.append(Segment(at, start, end))
                start, end = seg.start, seg.end
        out.append(Segment(at, start, end))
        i = j + 1
    return out


def _cluster(values: Iterable[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= _SNAP:
            continue
        out.append(v)
    return out


def _open(rules: Sequence[Segment], bounds: Sequence[float], spans: Sequence[float]) -> np.ndarray:
    """``open[b, k]``: no rule at inner boundary ``bounds[b + 1]`` draws most (``_COVER``) of
    span ``spans[k]`` … ``spans[k + 1]``, so the two cells it parts there are one. Every
    boundary and span at once: a rule counts at each boundary within ``_SNAP`` of it."""
    inner = np.asarray(bounds[1:-1], dtype=np.float64)
    low = np.asarray(spans[:-1], dtype=np.float64)
    high = np.asarray(spans[1:], dtype=np.float64)
    got = np.zeros((len(inner), len(low)))
    if rules and len(inner):
        at, start, end = np.array([(r.at, r.start, r.end) for r in rules], dtype=np.float64).T
        boundary, rule = np.nonzero(np.abs(at[None, :] - inner[:, None]) <= _SNAP)
        drawn = np.minimum(end[rule][:, None], high) - np.maximum(start[rule][:, None], low)
        # summed rule by rule in order at each boundary (unbuffered), from 0.0
        np.add.at(got, boundary, np.maximum(0.0, drawn))
    return got < (high - low) * _COVER


def _shape(
    centres: tuple[np.ndarray, np.ndarray],
    hs: list[Segment],
    vs: list[Segment],
    free: np.ndarray,
    base: int,
) -> tuple[_Shape, np.ndarray, np.ndarray] | None:
    """A frame's grid (None: it bounds no cell), the characters not yet in a grid whose
    centres lie in it (now taken), and the group of each: ``base`` + its cell's root."""
    xs = _cluster(v.at for v in vs)
    ys = _cluster(h.at for h in hs)
    if len(xs) < 2 or len(ys) < 2:
        return None
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    # neighbouring elementary cells with no rule between them are one (merged) cell; a
    # component's root is its smallest index, whatever the order of the unions
    bound, row = np.nonzero(_open(vs, xs, ys))  # beside each other: a vertical rule apart
    for c, r in zip(bound.tolist(), row.tolist(), strict=True):
        union(r * n_cols + c, r * n_cols + c + 1)
    bound, col = np.nonzero(_open(hs, ys, xs))  # one above the other: a horizontal rule apart
    for r, c in zip(bound.tolist(), col.tolist(), strict=True):
        union(r * n_cols + c, (r + 1) * n_cols + c)
    roots = np.fromiter(map(find, range(n_rows * n_cols)), dtype=np.intp, count=n_rows * n_cols)
    # each cell's extent: the smallest and largest row and column of its elementary cells
    by_root = np.argsort(roots, kind="stable")
    cell_roots, first = np.unique(roots[by_root], return_index=True)
    rows, cols = np.divmod(by_root, n_cols)
    extents = zip(
        cell_roots.tolist(),
        np.minimum.reduceat(rows, first).tolist(),
        np.maximum.reduceat(rows, first).tolist(),
        np.minimum.reduceat(cols, first).tolist(),
        np.maximum.reduceat(cols, first).tolist(),
        strict=True,
    )
    # every character not yet in a grid whose centre lies in this one: its elementary cell
    # by its centre, the cell it belongs to by that cell's root
    cx, cy = centres
    inside = free & (cx >= xs[0]) & (cx <= xs[-1]) & (cy >= ys[0]) & (cy <= ys[-1])
    index = np.flatnonzero(inside)
    free[index] = False
    col = np.clip(np.searchsorted(xs, cx[index], side="right") - 1, 0, n_cols - 1)
    row = np.clip(np.searchsorted(ys, cy[index], side="right") - 1, 0, n_rows - 1)
    shape = _Shape(xs, ys, list(extents), base)
    return shape, index, roots[row * n_cols + col] + base


def _grid(
    page: int | None, shape: _Shape, texts: list[str], lines_of: dict[int, list[int]]
) -> Grid:
    """The grid of a shape, each cell with the text of its lines (``texts``, by group)."""
    xs, ys = shape.xs, shape.ys
    cells: list[Cell] = []
    for root, r0, r1, c0, c1 in shape.extents:
        lines = [texts[k] for k in lines_of.get(shape.base + root, ())]
        if not lines:
            text = ""
        elif len(lines) == 1 and " " not in lines[0]:
            text = lines[0]  # nothing to join or clean (the characters hold no whitespace)
        else:
            text = clean_text(join_lines(lines))
        cells.append(
            Cell(
                text=text,
                box=Box(xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]),
                row=r0,
                col=c0,
                row_span=r1 - r0 + 1,
                col_span=c1 - c0 + 1,
            )
        )
    cells.sort(key=lambda c: (c.row, c.col))
    return Grid(page, tuple(xs), tuple(ys), tuple(cells))


def _text_lines(
    codes: np.ndarray, boxes: np.ndarray, index: np.ndarray, group: np.ndarray
) -> tuple[list[str], list[int], np.ndarray]:
    """The characters ``index`` of a page (code point ``codes[i]``, box ``boxes[i]``) as lines
    of text, top to bottom, in each ``group`` (a cell; groups in the order of their numbers): each
    line's text, group and box (rows: x0, top, x1, bottom). A line is the run of characters
    within its first one's height of that one's centre; a space where a gap is wider than a
    third of the line's character height."""
    if not len(index):
        return [], [], np.empty((0, 4))
    x0, top, x1, bottom = boxes[index].T
    mid = top + bottom  # centres doubled: the same order and tests, without a division each
    order = np.lexsort((x0, mid, group))  # stable: ties keep the page's order
    starts = _line_starts(group[order], mid[order], np.maximum(bottom - top, 1.0)[order])
    line = np.zeros(len(order), dtype=np.intp)
    line[starts[1:]] = 1
    order = order[np.lexsort((x0[order], np.cumsum(line)))]  # each line left to right (stable)
    x0, top, x1, bottom = x0[order], top[order], x1[order], bottom[order]
    # a space where the gap is wider than a third of the taller of the two characters
    own = bottom - top
    gap = np.zeros(len(order), dtype=bool)
    gap[1:] = (x0[1:] - x1[:-1]) > np.maximum(own[1:], np.maximum(own[:-1], 1.0)) * 0.3
    gap[starts] = False
    # the lines' texts as one run of code points, a space (32) before each gap, decoded once
    # and cut at the lines' ends: no Python string per character
    shift = np.arange(len(order)) + np.cumsum(gap)
    points = np.empty(int(shift[-1]) + 1, dtype=np.uint32)
    points[shift] = codes[index[order]]
    points[shift[gap] - 1] = 32
    joined = points.tobytes().decode("utf-32-le")
    cuts = shift[starts].tolist()
    texts = [joined[a:b] for a, b in zip(cuts, [*cuts[1:], len(points)], strict=True)]
    extents = np.column_stack(
        (
            np.minimum.reduceat(x0, starts),
            np.minimum.reduceat(top, starts),
            np.maximum.reduceat(x1, starts),
            np.maximum.reduceat(bottom, starts),
        )
    )
    return texts, group[order][starts].tolist(), extents


def _line_starts(group: np.ndarray, mid: np.ndarray, height: np.ndarray) -> list[int]:
    """Where each line starts among characters sorted by group, then centre: a line is the
    run of a group's characters within its first one's height of that one's centre.

    Where the line of a character starting one would end is found for every character at
    once (a binary search on the centres, each group's shifted past the one before),
    checked exactly (the centre's distance to the first one's as the loop compared it) and
    walked from line to line: a Python step per line, not per character."""
    n = len(mid)
    if n == 0:
        return []
    fresh = np.empty(n, dtype=bool)
    fresh[0] = True
    fresh[1:] = group[1:] != group[:-1]
    firsts = np.flatnonzero(fresh)
    end = np.repeat(np.append(firsts[1:], n), np.diff(np.append(firsts, n)))
    span = float(mid.max() - mid.min() + height.max()) + 1.0
    key = mid + (np.cumsum(fresh) - 1) * span  # ascending over the groups
    after = np.minimum(np.searchsorted(key, key + height, side="right"), end)
    k = np.arange(n)
    beyond = np.minimum(after, n - 1)
    # the first character past the line is out of it, the one before it is in it
    exact = ((after == end) | (mid[beyond] - mid > height)) & (
        (after - 1 == k) | ~(mid[after - 1] - mid > height)
    )
    nxt = after.tolist()
    for i in np.flatnonzero(~exact).tolist():  # (a sum rounded across the boundary)
        j = i + 1
        while j < end[i] and not mid[j] - mid[i] > height[i]:
            j += 1
        nxt[i] = j
    starts: list[int] = []
    i = 0
    while i < n:
        starts.append(i)
        i = nxt[i]
    return starts


def join_lines(lines: Sequence[str]) -> str:
    """Wrapped lines of one cell as one text: no space where either side of the wrap is CJK."""
    out = ""
    for line in lines:
        line = line.strip()
        if out and line and not (re.match(rf"[{CJK}]", line) or re.search(rf"[{CJK}]$", out)):
            out += " "
        out += line
    return out


def clean_text(text: str) -> str:
    """A cell's text as printed: wrapped lines joined, spaces between CJK characters dropped."""
    text = _CJK_SPACE.sub("", text.strip())
    return re.sub(r"\s+", " ", text)
