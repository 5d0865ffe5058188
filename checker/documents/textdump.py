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
them, even where the converter dropped an empty cell (the Reader then sees
that row's figures one column left; placing them by meaning is not done here).

Text is as printed: stripped, spaces between CJK characters dropped
(:func:`checker.documents.grid.clean_text`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from checker.documents.grid import Box, Cell, Grid, Line, PageLayout, clean_text

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
    return Grid(None, xs, ys, tuple(cells))


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
