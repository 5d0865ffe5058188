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
    frames = _frames(page.horizontal, page.vertical)
    grids: list[Grid] = []
    boxes = page.boxes
    centres = ((boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2)
    free = np.ones(len(page.text), dtype=bool)  # not (yet) in a grid
    for hs, vs in frames:
        grid = _grid(page, centres, hs, vs, free)
        if grid is not None:
            grids.append(grid)
    index = np.flatnonzero(free)
    found = _text_lines(page.text, boxes, index, np.zeros(len(index), dtype=np.intp))
    lines = tuple(Line(text, box) for text, box, _ in found)
    grids.sort(key=lambda g: g.ys[0])
    return PageLayout(page.number, page.width, page.height, tuple(grids), lines, len(page.text))


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


def _covered(rules: Sequence[Segment], start: float, end: float) -> bool:
    """Whether ``rules`` (those at one boundary) draw most of ``start`` … ``end``."""
    need = (end - start) * _COVER
    got = 0.0
    for r in rules:
        got += max(0.0, min(r.end, end) - max(r.start, start))
    return got >= need


def _at(rules: Sequence[Segment], boundaries: Sequence[float]) -> list[list[Segment]]:
    """The rules at each boundary (a grid cell edge asks only those, not every rule)."""
    return [[r for r in rules if abs(r.at - b) <= _SNAP] for b in boundaries]


def _grid(
    page: PageContent,
    centres: tuple[np.ndarray, np.ndarray],
    hs: list[Segment],
    vs: list[Segment],
    free: np.ndarray,
) -> Grid | None:
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

    at_x, at_y = _at(vs, xs), _at(hs, ys)
    for r in range(n_rows):
        for c in range(n_cols):
            if c + 1 < n_cols and not _covered(at_x[c + 1], ys[r], ys[r + 1]):
                union(r * n_cols + c, r * n_cols + c + 1)
            if r + 1 < n_rows and not _covered(at_y[r + 1], xs[c], xs[c + 1]):
                union(r * n_cols + c, (r + 1) * n_cols + c)
    roots = [find(i) for i in range(n_rows * n_cols)]
    members: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        members.setdefault(root, []).append(i)
    # every character not yet in a grid whose centre lies in this one: its elementary cell
    # by its centre, the cell it belongs to by that cell's root
    cx, cy = centres
    inside = free & (cx >= xs[0]) & (cx <= xs[-1]) & (cy >= ys[0]) & (cy <= ys[-1])
    index = np.flatnonzero(inside)
    free[index] = False
    col = np.clip(np.searchsorted(xs, cx[index], side="right") - 1, 0, n_cols - 1)
    row = np.clip(np.searchsorted(ys, cy[index], side="right") - 1, 0, n_rows - 1)
    owner = np.asarray(roots, dtype=np.intp)[row * n_cols + col]
    texts: dict[int, list[str]] = {}
    for text, _, root in _text_lines(page.text, page.boxes, index, owner):
        texts.setdefault(root, []).append(text)
    cells: list[Cell] = []
    for root, group in members.items():
        r0, c0 = divmod(group[0], n_cols)  # members ascend: the first is the top left
        r1, c1 = divmod(group[-1], n_cols)
        lines = texts.get(root)
        if lines is None:
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
    return Grid(page.number, tuple(xs), tuple(ys), tuple(cells))


def _text_lines(
    text: str, boxes: np.ndarray, index: np.ndarray, group: np.ndarray
) -> list[tuple[str, Box, int]]:
    """The characters ``index`` of a page (``text[i]``, box ``boxes[i]``) as lines of text,
    per ``group`` (a cell): :func:`text_lines` of each group's characters at once, in the
    order of the groups' numbers, each line with its group."""
    if not len(index):
        return []
    x0, top, x1, bottom = boxes[index].T
    mid = top + bottom  # centres doubled: the same order and tests, without a division each
    order = np.lexsort((x0, mid, group))  # stable: ties keep the page's order
    height = np.maximum(bottom - top, 1.0)
    # a line is the run of characters within its first one's height of that one's centre
    starts: list[int] = []
    ref_group, ref_mid, ref_height = -1, 0.0, 0.0
    for k, (g, m, h) in enumerate(
        zip(group[order].tolist(), mid[order].tolist(), height[order].tolist(), strict=True)
    ):
        if g == ref_group and abs(m - ref_mid) <= ref_height:
            continue
        starts.append(k)
        ref_group, ref_mid, ref_height = g, m, h
    line = np.zeros(len(order), dtype=np.intp)
    line[starts[1:]] = 1
    line = np.cumsum(line)
    order = order[np.lexsort((x0[order], line))]  # each line left to right (stable)
    line = np.sort(line)
    x0, top, x1, bottom = x0[order], top[order], x1[order], bottom[order]
    # a space where the gap is wider than a third of the taller of the two characters
    own = bottom - top
    gap = np.zeros(len(order), dtype=bool)
    gap[1:] = (x0[1:] - x1[:-1]) > np.maximum(own[1:], np.maximum(own[:-1], 1.0)) * 0.3
    gap[starts] = False
    chars = [text[i] for i in index[order].tolist()]
    for k in np.flatnonzero(gap).tolist():
        chars[k] = " " + chars[k]
    ends = [*starts[1:], len(order)]
    lefts = np.minimum.reduceat(x0, starts).tolist()
    tops = np.minimum.reduceat(top, starts).tolist()
    rights = np.maximum.reduceat(x1, starts).tolist()
    bottoms = np.maximum.reduceat(bottom, starts).tolist()
    owners = group[order][starts].tolist()
    return [
        ("".join(chars[a:b]), Box(left, top_, right, bottom_), owner)
        for a, b, left, top_, right, bottom_, owner in zip(
            starts, ends, lefts, tops, rights, bottoms, owners, strict=True
        )
    ]


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
