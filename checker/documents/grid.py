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
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from checker.documents.pdf import Char, PageContent, Segment

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
    taken: set[int] = set()
    centres = [((c.x0 + c.x1) / 2, (c.top + c.bottom) / 2) for c in page.chars]
    for hs, vs in frames:
        grid = _grid(page, centres, hs, vs, taken)
        if grid is not None:
            grids.append(grid)
    free = [c for i, c in enumerate(page.chars) if i not in taken]
    lines = tuple(Line(text, box) for text, box in text_lines(free))
    grids.sort(key=lambda g: g.ys[0])
    return PageLayout(page.number, page.width, page.height, tuple(grids), lines, len(page.chars))


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
    centres: Sequence[tuple[float, float]],
    hs: list[Segment],
    vs: list[Segment],
    taken: set[int],
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
    members: dict[int, list[int]] = {}
    for i in range(n_rows * n_cols):
        members.setdefault(find(i), []).append(i)
    chars: dict[int, list[Char]] = {}
    x0, x1, y0, y1 = xs[0], xs[-1], ys[0], ys[-1]
    for k, (cx, cy) in enumerate(centres):
        if not (x0 <= cx <= x1 and y0 <= cy <= y1) or k in taken:
            continue
        ch = page.chars[k]
        c = min(max(bisect.bisect_right(xs, cx) - 1, 0), n_cols - 1)
        r = min(max(bisect.bisect_right(ys, cy) - 1, 0), n_rows - 1)
        chars.setdefault(find(r * n_cols + c), []).append(ch)
        taken.add(k)
    cells: list[Cell] = []
    for root, group in members.items():
        rows = [i // n_cols for i in group]
        cols = [i % n_cols for i in group]
        r0, r1, c0, c1 = min(rows), max(rows), min(cols), max(cols)
        text = join_lines([t for t, _ in text_lines(chars.get(root, []))])
        cells.append(
            Cell(
                text=clean_text(text),
                box=Box(xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1]),
                row=r0,
                col=c0,
                row_span=r1 - r0 + 1,
                col_span=c1 - c0 + 1,
            )
        )
    cells.sort(key=lambda c: (c.row, c.col))
    return Grid(page.number, tuple(xs), tuple(ys), tuple(cells))


def text_lines(chars: Sequence[Char]) -> list[tuple[str, Box]]:
    """Characters as lines of text, top to bottom; a space where a gap is wider than a third
    of the line's character height."""
    if not chars:
        return []
    # centres doubled (top + bottom): the same order and tests, without a division each
    ordered = sorted(chars, key=lambda c: (c.top + c.bottom, c.x0))
    lines: list[list[Char]] = []
    ref_mid = ref_height = 0.0
    for ch in ordered:
        if lines and abs(ch.top + ch.bottom - ref_mid) <= ref_height:
            lines[-1].append(ch)
            continue
        lines.append([ch])
        ref_mid, ref_height = ch.top + ch.bottom, max(ch.bottom - ch.top, 1.0)
    out: list[tuple[str, Box]] = []
    for line in lines:
        line.sort(key=_X0)
        parts: list[str] = []
        left, top, right, bottom = line[0].x0, line[0].top, line[0].x1, line[0].bottom
        prev_x1, prev_height = right, max(bottom - top, 1.0)
        parts.append(line[0].text)
        for text, x0, ctop, x1, cbottom in line[1:]:  # one pass: text, gaps and the box
            height = cbottom - ctop
            if x0 - prev_x1 > (height if height > prev_height else prev_height) * 0.3:
                parts.append(" ")
            parts.append(text)
            prev_x1, prev_height = x1, (height if height > 1.0 else 1.0)
            if x0 < left:
                left = x0
            if ctop < top:
                top = ctop
            if x1 > right:
                right = x1
            if cbottom > bottom:
                bottom = cbottom
        out.append(("".join(parts), Box(left, top, right, bottom)))
    return out


_X0 = operator.attrgetter("x0")


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
