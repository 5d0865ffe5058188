"""Lay a PDF-to-text dump out as one page of grids and text lines.

A text dump prints a table as tab-separated lines and everything else (titles,
``单位：万元``, notes, prose) as lines without tabs. This module turns the dump
into the laid-out page model of :mod:`checker.documents.grid`, so the same
:class:`~checker.documents.reading.Reader` reads dumps and PDFs:

- a line without a tab is a :class:`Line` (blank lines are dropped);
- a run of consecutive tab-separated lines is a :class:`Grid`: each line is a
  grid row, each tab-split cell a cell (``col`` its index, ``line`` its source
  line); the grid is as wide as its widest line.

Positions are in line space: line ``n`` occupies ``top = n`` to ``bottom =
n + 1``, and cell ``c`` of a grid spans ``x = c`` to ``c + 1``, so reading
order (by ``top``) is line order and a grid sorts between the lines around it.

Header rows. A dump prints a multi-level header over several tab lines, a
merged header cell once, in its first column, with empty cells after it. The
header rows are the rows before the first row that prints an amount or a code
(the Reader's own rule). In them, a cell with text spans the empty cells to its
right (up to the next cell with text in its row) while the header rows below it
print text in those columns, i.e. while they are its sub-columns:
``本年收入 | | |`` over ``合计 | 一般公共预算 | 政府性基金`` is one cell over three
columns. A trailing empty cell with nothing printed below it is not taken, and
no span is made in data rows: a data row's cells stay where the dump prints
them. Where the converter dropped an empty cell, :func:`realign_rows` (called by
the Reader once the header is mapped) reads the row one column right if that
alone makes it readable (see "rows printed a cell short" below), and says so.

Provenance is the line: every cell keeps its source line, and the Reader records
a dump's rows, cells and notes by line (no page, no box).

Text is as printed: stripped, spaces between CJK characters dropped
(:func:`checker.documents.grid.clean_text`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from checker.documents.grid import Box, Cell, Grid, Line, PageLayout, clean_text
from checker.documents.layout import Block, TableLayout
from checker.documents.reading import ImportNote, Place, parse_amount
from checker.template import Table

# A row whose cell prints an amount or a code is a data row (as the Reader decides).
_AMOUNT = re.compile(r"^[-−－]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$|^[-−－]?[0-9]+(?:\.[0-9]+)?$")
_CODE = re.compile(r"^[0-9]{2,}$")
_WIDTH = 1.0  # a column's width in line space


def read_text_dump(path: str | Path) -> list[PageLayout]:
    """The dump at ``path`` as one page (number ``None``) of grids and text lines."""
    with open(path, encoding="utf-8-sig") as fh:
        text = fh.read()
    return [layout_text(text)]


def layout_text(text: str) -> PageLayout:
    """A dump's text as one page: its tab-separated runs as grids, the rest as lines."""
    lines: list[Line] = []
    grids: list[Grid] = []
    run: list[tuple[int, list[str]]] = []
    chars = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        chars += len(raw.strip())
        if "\t" in raw:
            run.append((number, raw.split("\t")))
            continue
        if run:
            grids.append(_grid(run))
            run = []
        cleaned = clean_text(raw)
        if cleaned:
            lines.append(
                Line(cleaned, Box(0.0, float(number), _WIDTH, float(number + 1)), line=number)
            )
    if run:
        grids.append(_grid(run))
    width = max((g.n_cols for g in grids), default=1)
    height = float(len(text.splitlines()) + 1)
    return PageLayout(None, float(width), height, tuple(grids), tuple(lines), chars)


def _grid(run: Sequence[tuple[int, list[str]]]) -> Grid:
    """One run of tab-separated lines (consecutive source lines) as a grid."""
    first = run[0][0]
    n_cols = max(len(cells) for _, cells in run)
    texts = [[clean_text(c) for c in cells] + [""] * (n_cols - len(cells)) for _, cells in run]
    header_rows = _header_rows(texts)
    cells: list[Cell] = []
    for r, (number, _) in enumerate(run):
        row = texts[r]
        spans = _spans(texts, r, header_rows) if r < header_rows else [1] * n_cols
        covered = 0
        for c, value in enumerate(row):
            if c < covered:
                continue
            span = spans[c]
            covered = c + span
            cells.append(
                Cell(
                    text=value,
                    box=Box(float(c), float(number), float(c + span), float(number + 1)),
                    row=r,
                    col=c,
                    row_span=1,
                    col_span=span,
                    line=number,
                )
            )
    xs = tuple(float(c) * _WIDTH for c in range(n_cols + 1))
    ys = tuple(float(first + r) for r in range(len(run) + 1))
    return Grid(None, xs, ys, tuple(cells), tuple(len(fields) for _, fields in run))


def _header_rows(texts: Sequence[Sequence[str]]) -> int:
    """How many rows print a header: those before the first row with an amount or a code."""
    for r, row in enumerate(texts):
        for value in row:
            s = value.replace(" ", "")
            if s and (_AMOUNT.match(s) or _CODE.match(s)):
                return r
    return len(texts)


def _spans(texts: Sequence[Sequence[str]], r: int, header_rows: int) -> list[int]:
    """Column spans of header row ``r``: a cell with text spans the empty cells right of it
    while a header row below prints text in them (its sub-columns); every other cell is 1."""
    row = texts[r]
    below = texts[r + 1 : header_rows]
    spans = [1] * len(row)
    for c, value in enumerate(row):
        if not value:
            continue
        end = c + 1
        while end < len(row) and not row[end] and any(lower[end] for lower in below):
            end += 1
        spans[c] = end - c
    return spans


# -- rows printed a cell short -------------------------------------------------------
#
# A PDF-to-text converter drops some empty cells: the rest of that row then prints one
# column left of its header, and an empty cell trails it (the row keeps its width). By
# position alone such a row cannot be told from a complete one, so a data row is read
# as printed unless that reading is impossible: an amount column holds text, or a total
# the header implies does not add up (a column named 合计/小计/总计 is the sum of its
# sibling columns: 本年收入/合计 of 本年收入's other columns, a top-level 合计 of the
# top-level groups' totals; 其中 columns are parts of their group's total, never above
# it). Then the row is read one column right from the leftmost cell that must move, the fewest
# cells moved that make every total add up and every amount readable (a cell stays
# under the header it is printed under unless the arithmetic moves it), and the import
# says so (import.shifted-row: the cells, their printed and their read columns). A row
# that continues a shifted one (no code, label or amount of its own: a project's further
# indicator lines) has nothing to decide by: its cells that would move are unresolved
# (null, import.ambiguous-row with both candidate columns). Rows for which no single
# shift helps are read as printed (an inconsistency the checker reports). No figure is
# changed, only which header it is read under.

_TOTALS = ("合计", "小计", "总计")


@dataclass(frozen=True)
class _Sum:
    """A total the header implies: ``total`` = the sum of ``parts`` (schema column names);
    or, ``bound``, a 其中 column: ``parts[0]`` is part of ``total`` and never exceeds it."""

    total: str
    parts: tuple[str, ...]
    bound: bool = False


def realign_rows(
    grid: Grid,
    spec: TableLayout,
    columns: Sequence[dict[str, list[int]]],
    start: int,
    table: Table,
    file: str,
    positional: bool = False,
) -> tuple[Grid, list[ImportNote]]:
    """The dump grid with its data rows (from ``start``) realigned where the dump printed a
    cell short, and the import notes saying where (``file``, line); ``columns`` are the grid
    columns of each block's schema columns (the Reader's mapping). In a table read by
    ``positional`` (its header printed out of line with its data), a row that adds up both
    as printed and read one column right has its moving cells unresolved."""
    kinds = {c.name: c.kind for c in table.columns}
    where: dict[str, int] = {}  # a schema column read from one grid column: that column
    named: dict[int, str] = {}  # a grid column: the schema column read from it
    for block in columns:
        for name, cols in block.items():
            named.setdefault(cols[0], name)
            if len(cols) == 1:
                where.setdefault(name, cols[0])
    amounts = [n for n in where if kinds.get(n) == "amount"]
    sums = [s for b in spec.blocks for s in _sums(b, amounts)]
    key_names = {*table.key, table.code, table.label}
    keys = [
        c for block in columns for name, cols in block.items() if name in key_names for c in cols
    ]
    n = grid.n_cols
    rows = _texts(grid)
    moved: dict[int, tuple[int, list[str]]] = {}  # row → (insertion column, its new texts)
    unresolved: dict[int, set[int]] = {}  # row → grid columns whose cells are unresolved
    notes: list[ImportNote] = []
    shift: int | None = None  # the insertion column of the row this one may continue
    for r in range(start, grid.n_rows):
        texts = rows.get(r, [""] * n)
        line = _row_line(grid, r)
        if any(c.unresolved for c in grid.row_cells(r)):
            shift = None  # (a row already undecided: read by position, printed short)
            continue
        own = any(texts[c] for c in keys) or any(texts[where[a]] for a in amounts)
        if not own and shift is not None and not texts[-1]:
            doubt = {
                c for c in range(shift, n - 1) if texts[c] and named.get(c) != named.get(c + 1)
            }
            if doubt:
                unresolved[r] = doubt
                notes.append(_note("import.ambiguous-row", file, line, spec, texts, doubt, named))
            continue
        shift = None
        figures = any(parse_amount(texts[where[a]])[0] is not None for a in amounts)
        if not figures or texts[-1]:
            continue  # (a row without figures has no arithmetic to decide by)
        if _faults(texts, where, amounts, sums) == 0:
            # read as printed; but where the header does not line up with the data, nothing
            # says the dump printed the row in place: if it also adds up read one column
            # right, the figures that would move are undecided
            doubt = _also_right(texts, where, amounts, sums, named) if positional else set()
            if doubt:
                unresolved[r] = doubt
                notes.append(_note("import.ambiguous-row", file, line, spec, texts, doubt, named))
            continue
        for k in range(n - 1, -1, -1):  # the insertion point moving the fewest cells first
            if not texts[k]:
                continue  # an empty cell: the same reading as inserting right of it
            shifted = [*texts[:k], "", *texts[k : n - 1]]
            if _faults(shifted, where, amounts, sums) == 0:
                moved[r] = (k, shifted)
                shift = k
                moving = set(range(k, n - 1))
                notes.append(_note("import.shifted-row", file, line, spec, texts, moving, named))
                break
    if not moved and not unresolved:
        return grid, notes
    return _rebuilt(grid, moved, unresolved), notes


def _also_right(
    texts: Sequence[str],
    where: dict[str, int],
    amounts: Sequence[str],
    sums: Sequence[_Sum],
    named: dict[int, str],
) -> set[int]:
    """The grid columns of the figures a row (consistent as printed) would move if read one
    column right from the rightmost cell where that is consistent too: none if no such
    reading moves a figure to another column."""
    n = len(texts)
    amount_cols = {where[a] for a in amounts}
    for k in range(n - 1, -1, -1):
        if not texts[k]:
            continue
        shifted = [*texts[:k], "", *texts[k : n - 1]]
        if _faults(shifted, where, amounts, sums) != 0:
            continue
        return {
            c
            for c in range(k, n - 1)
            if texts[c] and c in amount_cols and named.get(c) != named.get(c + 1)
        }
    return set()


def _sums(block: Block, amounts: Sequence[str]) -> list[_Sum]:
    """The totals a block's header implies among its amount columns (see above)."""
    of_which = {c.name for c in block.columns if any(w.startswith("其中") for w in c.words)}
    paths = {
        name: tuple(name.split("."))
        for c in block.columns
        if (name := c.name) in amounts and name not in of_which
    }

    def value(group: tuple[str, ...]) -> list[str]:
        """What stands for a group in its parent's sum: its total, else its members."""
        total = _total_of(group, paths)
        if total is not None:
            return [total]
        return [m for child in _children(group, paths) for m in value((*group, child))] or [
            n for n, p in paths.items() if p == group
        ]

    out: list[_Sum] = []
    groups = {p[:i] for p in paths.values() for i in range(len(p))}
    for group in sorted(groups, key=len):
        total = _total_of(group, paths)
        if total is None:
            continue
        parts = [
            m
            for child in _children(group, paths)
            if (*group, child) != paths[total]
            for m in value((*group, child))
        ]
        if parts:
            out.append(_Sum(total, tuple(parts)))
    # a 其中 column is part of its group's total (一般公共预算/其中：财政拨款 of its 小计)
    for c in block.columns:
        if c.name in of_which and c.name in amounts:
            total = _total_of(tuple(c.name.split("."))[:-1], paths)
            if total is not None:
                out.append(_Sum(total, (c.name,), bound=True))
    return out


def _total_of(group: tuple[str, ...], paths: dict[str, tuple[str, ...]]) -> str | None:
    return next(
        (
            n
            for n, p in paths.items()
            if p[:-1] == group and p[-1] in _TOTALS and len(p) > len(group)
        ),
        None,
    )


def _children(group: tuple[str, ...], paths: dict[str, tuple[str, ...]]) -> list[str]:
    """The next header level under ``group``, in column order."""
    return list(
        dict.fromkeys(
            p[len(group)]
            for p in paths.values()
            if len(p) > len(group) and p[: len(group)] == group
        )
    )


def _faults(
    texts: Sequence[str], where: dict[str, int], amounts: Sequence[str], sums: Sequence[_Sum]
) -> int:
    """How often a reading of a row is impossible: text in an amount column, or a total
    that does not add up (each printed figure ± half its last digit; empty is 0)."""
    values: dict[str, tuple[float, float] | None] = {}
    faults = 0
    for name in amounts:
        value, ok = parse_amount(texts[where[name]])
        if not ok:
            faults += 1
            values[name] = None
        else:
            text = texts[where[name]]
            digits = len(text.rsplit(".", 1)[1]) if "." in text else 0
            values[name] = (value or 0.0, 0.0 if value is None else 0.5 * 10.0**-digits)
    for s in sums:
        terms = [values.get(n) for n in (s.total, *s.parts)]
        if any(t is None for t in terms):
            continue
        known = [t for t in terms if t is not None]
        total, *parts = known
        slack = sum(t[1] for t in known) + 1e-9
        if s.bound:  # a 其中 figure larger than the total it is part of
            if parts[0][0] - total[0] > slack:
                faults += 1
        elif abs(total[0] - sum(p[0] for p in parts)) > slack:
            faults += 1
    return faults


def _texts(grid: Grid) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for cell in grid.cells:
        row = out.setdefault(cell.row, [""] * grid.n_cols)
        row[cell.col] = cell.text
    return out


def _row_line(grid: Grid, r: int) -> int | None:
    return next((c.line for c in grid.row_cells(r) if c.line is not None), None)


def _note(
    code: str,
    file: str,
    line: int | None,
    spec: TableLayout,
    texts: Sequence[str],
    cols: set[int],
    named: dict[int, str],
) -> ImportNote:
    """An import note on a row: the cells concerned and, for each, the column it is printed
    under and the column one to the right."""
    cells = [c for c in sorted(cols) if texts[c]]
    return ImportNote(
        code,
        Place(file, None, None, line),
        "、".join(texts[c] for c in cells),
        spec.role,
        tuple(f"{texts[c]}: {named.get(c, '—')} → {named.get(c + 1, '—')}" for c in cells),
    )


def _rebuilt(
    grid: Grid, moved: dict[int, tuple[int, list[str]]], unresolved: dict[int, set[int]]
) -> Grid:
    """The grid with the rows that moved as read and the unresolved cells empty."""
    cells: list[Cell] = []
    for cell in grid.cells:
        if cell.row in moved:
            continue
        # the empty cell one to the right of an undecided figure is its other candidate:
        # unresolved too, so a rule reading either column is told, never judged on a guess
        doubt = unresolved.get(cell.row, set())
        if cell.col in doubt or (cell.col - 1 in doubt and not cell.text):
            cell = replace(cell, unresolved=True)
        cells.append(cell)
    for r, (_, texts) in moved.items():
        line = _row_line(grid, r)
        top, bottom = grid.ys[r], grid.ys[r + 1]
        for c, text in enumerate(texts):
            box = Box(float(c), top, float(c + 1), bottom)
            cells.append(Cell(text=text, box=box, row=r, col=c, row_span=1, col_span=1, line=line))
    cells.sort(key=lambda c: (c.row, c.col))
    return Grid(grid.page, grid.xs, grid.ys, tuple(cells), grid.widths)
