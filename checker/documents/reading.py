"""Read tables and statements from laid-out pages by a template's layout.

Input: pages as laid out (:mod:`checker.documents.grid`: grids and text lines,
from a PDF or a text dump). Each grid is claimed by the table whose title is
printed above it (or continues the table of the page before when it has no
title of its own). Its header rows give every grid column a header path; each
schema column of the layout is matched to the grid column(s) whose path ends
with its header words; data rows then yield one record per block. Nothing is
guessed: a cell that cannot be read, a header that matches no column or more
than one, is an import diagnostic with its page and text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from checker.documents.grid import CJK, Cell, Grid, Line, PageLayout
from checker.documents.layout import (
    Block,
    ColumnSpec,
    Form,
    FormSection,
    Layout,
    TableLayout,
    header_word,
    normalize,
    title_key,
)
from checker.template import Table

_AMOUNT = re.compile(r"^[-−－]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$|^[-−－]?[0-9]+(?:\.[0-9]+)?$")
_EMPTY_VALUE = re.compile(r"^[-—–－/\\]*$")
_CODE = re.compile(r"^[0-9]{2,}$")
_TOTAL = re.compile(r"^(合计|总计)$")
_UNIT = re.compile(r"单位[:：]\s*(万元|元|亿元)")
# a space between a CJK character and a Latin letter or digit is spacing, not text
_LATIN_SPACE = re.compile(rf"(?<=[{CJK}])\s+(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])\s+(?=[{CJK}])")


@dataclass(frozen=True)
class Place:
    """Where something is printed: a page and box (PDF), or a line (text)."""

    file: str
    page: int | None = None
    box: list[float] | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.page is not None:
            out["page"] = self.page
        if self.box is not None:
            out["bbox"] = self.box
        if self.line is not None:
            out["line"] = self.line
        return out


@dataclass(frozen=True)
class ImportNote:
    """Something the reader could not decide: kind, where, the printed text, candidates."""

    code: str
    place: Place
    text: str
    table: str | None = None
    candidates: tuple[str, ...] = ()


@dataclass
class TableRead:
    """One table as read: its records with their provenance."""

    role: str
    title: str
    unit: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    places: list[dict[str, Any]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    note: str | None = None
    empty: bool = False
    file: str = ""
    # rows of side-by-side blocks: all of the first block's rows, then the next block's
    blocks: dict[int, list[tuple[dict[str, Any], dict[str, Any]]]] = field(default_factory=dict)
    # per block, the filled-down columns' values so far: value and where it was printed
    above: dict[int, dict[str, tuple[Any, dict[str, Any]]]] = field(default_factory=dict)
    # a form: the section the rows read so far are in
    section: FormSection | None = None

    def finish(self) -> None:
        """Lay the blocks' rows out in order (first block first, each in printed order)."""
        for _, items in sorted(self.blocks.items()):
            for rec, place in items:
                self.rows.append(rec)
                self.places.append(place)
        self.blocks.clear()


# a title waiting for its grid: the table, the title as printed, its page, the unit printed with it
_Pending = tuple[TableLayout, str, int | None, str | None]


@dataclass
class _Mapping:
    """Grid columns of each block's schema columns (lists of grid column indices)."""

    blocks: list[dict[str, list[int]]]
    header_rows: int
    xs: tuple[float, ...]
    # read by position (a text dump's table whose layout says so): rows printing another
    # number of cells than the columns have parts are unresolved
    positional: bool = False


def parse_amount(text: str) -> tuple[float | None, bool]:
    """A printed amount: (value, ok). Empty, ``-`` and similar are (None, True)."""
    # (NFKC leaves ASCII as it is: most amounts are printed in it)
    s = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip().replace(" ", "")
    if _EMPTY_VALUE.match(s):
        return None, True
    if s.startswith(("−", "－")):
        s = "-" + s[1:]
    if not _AMOUNT.match(s):
        return None, False
    return float(s.replace(",", "")), True


def label_text(text: str) -> str:
    """A text cell's value: as printed, without the spacing some fonts print between CJK
    and Latin letters or digits (``一、货物 A`` and ``一、货物A`` are one label)."""
    return _LATIN_SPACE.sub("", text)


def find_titles(layout: Layout, text: str) -> list[TableLayout]:
    """Table layouts whose title is this line's text."""
    key = title_key(text)
    if not key:
        return []
    return list(layout.by_title.get(key, ()))


def _titles_within(layout: Layout, text: str) -> list[TableLayout]:
    """Tables whose title a header cell prints among other furniture (公开表一 … 单位：万元
    ruled into one cell): the longest title the cell's text contains."""
    key = normalize(text)
    if not layout.any_long_title.search(key):
        return []
    best, size = None, 0
    for title, spec in layout.long_titles:
        if len(title) > size and title in key:  # the first of the longest
            best, size = spec, len(title)
    return [] if best is None else [best]


def count_titles(layout: Layout, pages: Sequence[PageLayout]) -> int:
    """How many of the layout's tables have a title line in the pages."""
    found: set[str] = set()
    for page in pages:
        for line in page.lines:
            for t in find_titles(layout, line.text):
                found.add(t.role)
        for grid in page.grids:
            for cell in grid.cells[:8]:
                for t in _titles_within(layout, cell.text):
                    found.add(t.role)
    return len(found)


class Reader:
    """Reads one document's tables by a layout."""

    def __init__(self, layout: Layout, file: str) -> None:
        self.layout = layout
        self.file = file
        self.notes: list[ImportNote] = []
        self.tables: dict[str, TableRead] = {}
        self._kinds: dict[tuple[str, str], str] = {}
        # the template's tables by role, looked up for every row read
        self._by_role: dict[str, Table] = {}
        for t in layout.template.tables:
            self._by_role.setdefault(t.role, t)

    def read(self, pages: Sequence[PageLayout]) -> None:
        """Claim every grid of ``pages`` for a table and read its rows."""
        current: TableRead | None = None
        mapping: _Mapping | None = None
        # a title waits for its grid: a title with none before the next title is a
        # table of contents entry, not a table
        pending: _Pending | None = None
        for page in pages:
            events: list[tuple[float, int, Line | Grid]] = [
                (line.box.top, 0, line) for line in page.lines
            ]
            events += [(grid.ys[0], 1, grid) for grid in page.grids]
            events.sort(key=lambda e: (e[0], e[1]))
            for _, _, item in events:
                if isinstance(item, Line):
                    tables = find_titles(self.layout, item.text)
                    if tables:
                        spec = next((t for t in tables if t.role not in self.tables), tables[0])
                        pending = (spec, item.text, page.number, None)
                        continue
                    printed = _UNIT.search(normalize(item.text))
                    if printed and pending is not None:
                        pending = (*pending[:3], printed.group(1))
                    elif printed and current is not None and not current.rows:
                        current.unit = printed.group(1)
                    if current is not None and pending is None:
                        self._maybe_note(current, item.text)
                    continue
                grid = item
                inner = self._title_in(grid)
                if inner is not None:
                    pending = inner
                if pending is not None:
                    spec, title, number, unit = pending
                    pending = None
                    if spec.form is not None:
                        if _form_start(spec.form, grid):
                            current, mapping = self._start(spec, title, number), None
                            if unit:
                                current.unit = unit
                            self._form_rows(current, spec.form, grid)
                        continue
                    # a title whose grid does not have the table's header (a table of
                    # contents entry followed by another table) starts nothing
                    found = self._map(spec, grid, quiet=number != grid.page)
                    if found is None:
                        continue
                    mapping = found
                    current = self._start(spec, title, number)
                    if unit:
                        current.unit = unit
                    self._rows(current, spec, grid, mapping)
                    continue
                going = self.layout.table(current.role) if current is not None else None
                if current is not None and going is not None and going.form is not None:
                    # a form goes on, over every grid, until the next title
                    self._form_rows(current, going.form, grid)
                    continue
                if current is None or mapping is None:
                    continue
                assert going is not None
                # a grid without a title continues the table: with its header repeated,
                # or with the same columns and no header at all
                fresh = self._map(going, grid, quiet=True)
                if fresh is not None:
                    mapping = fresh
                elif self._same_columns(mapping, grid):
                    mapping = _Mapping(mapping.blocks, 0, mapping.xs, mapping.positional)
                else:
                    continue
                self._rows(current, spec, grid, mapping)
        for table in self.tables.values():
            table.finish()
            if table.unit is None:
                spec_t = self.layout.table(table.role)
                table.unit = (spec_t.unit if spec_t else None) or self.layout.unit

    def _title_in(self, grid: Grid) -> _Pending | None:
        """A title printed inside the grid's top rows (some templates rule the title in)."""
        start = self._data_start(grid)
        title: _Pending | None = None
        unit: str | None = None
        for cell in grid.cells:
            if cell.row >= start or not cell.text:
                continue
            tables = find_titles(self.layout, cell.text) or _titles_within(self.layout, cell.text)
            if tables and title is None:
                spec = next((t for t in tables if t.role not in self.tables), tables[0])
                title = (spec, cell.text, grid.page, None)
            found = _UNIT.search(normalize(cell.text))
            if found:
                unit = found.group(1)
        if title is not None and unit is not None:
            title = (*title[:3], unit)
        return title

    # -- tables -----------------------------------------------------------------

    def _start(self, spec: TableLayout, title: str, page: int | None) -> TableRead:
        existing = self.tables.get(spec.role)
        if existing is not None:
            return existing
        table = TableRead(spec.role, title.strip(), spec.unit, file=self.file)
        if page is not None:
            table.pages.append(page)
        self.tables[spec.role] = table
        return table

    def _maybe_note(self, table: TableRead, text: str) -> None:
        spec = self.layout.table(table.role)
        if spec is not None and spec.empty.search(normalize(text)) and not _valued(table):
            table.empty = True
            table.note = text.strip()
        elif re.match(r"^\s*(注|备注)", text) and table.note is None:
            table.note = text.strip()

    def _same_columns(self, mapping: _Mapping, grid: Grid) -> bool:
        """A grid continues the table when its rules are the table's (a merged cell, such as
        a 合计 printed across the code columns, may leave some out) and its edges match."""
        xs = mapping.xs
        return (
            abs(grid.xs[0] - xs[0]) <= 3
            and abs(grid.xs[-1] - xs[-1]) <= 3
            and all(any(abs(x - y) <= 3 for y in xs) for x in grid.xs)
        )

    def _header_paths(self, grid: Grid, rows: int) -> list[list[str]]:
        paths: list[list[str]] = [[] for _ in range(grid.n_cols)]
        for cell in grid.cells:
            if cell.row >= rows or not cell.text:
                continue
            word = header_word(cell.text)
            for c in range(cell.col, cell.col + cell.col_span):
                if not paths[c] or paths[c][-1] != word:
                    paths[c].append(word)
        return paths

    def _data_start(self, grid: Grid) -> int:
        """The first row printing a figure or a code; in a table without any, the row whose
        first cell is a total label (an empty table's 合计 row)."""
        total = grid.n_rows
        for r in range(grid.n_rows):
            row = grid.row_cells(r)
            for cell in row:
                text = normalize(cell.text)
                if text and (_AMOUNT.match(text) or _CODE.match(text)):
                    return r
                # (in a text dump the 合计 may stand in the name column: the last row,
                # printing nothing else)
                last = r == grid.n_rows - 1 and all(c is cell or not c.text for c in row)
                if (cell.col == 0 or last) and _TOTAL.match(text) and total == grid.n_rows:
                    total = r
        return total

    def _map(self, spec: TableLayout, grid: Grid, *, quiet: bool) -> _Mapping | None:
        start = self._data_start(grid)
        if start == 0:
            return None  # no header rows: only a continuation of a table can use this grid
        paths = self._header_paths(grid, start)
        headers = [h for b in spec.blocks for c in b.columns for part in c.parts for h in part]
        # a header word printed in the first data row (类 | 款 | 项 beside 合计) completes
        # its column
        if start < grid.n_rows:
            for cell in grid.row_cells(start):
                word = header_word(cell.text)
                at = cell.col
                if cell.col_span != 1 or not word or _AMOUNT.match(word) or _CODE.match(word):
                    continue
                if not any(_ends_with(paths[at], h) for h in headers) and any(
                    _ends_with([*paths[at], word], h) for h in headers
                ):
                    paths[at].append(word)
        blocks: list[dict[str, list[int]]] = [{} for _ in spec.blocks]
        matched = 0
        for i, block in enumerate(spec.blocks):
            for col in block.columns:
                same = sum(1 for b in spec.blocks if any(c.name == col.name for c in b.columns))
                # columns of a block under one header (类别 | 项目 under a 项目名称 printed
                # across both) take its grid columns left to right
                twins = [c.name for c in block.columns if c.parts == col.parts]
                found = self._match(col, paths, (i, same), (twins.index(col.name), len(twins)))
                if found:
                    blocks[i][col.name] = found
                    matched += 1
        if matched and _by_position(spec, grid, start):
            # the header only claims the grid: its columns are the layout's, in order
            order = iter(range(spec.width))
            placed = {c.name: [next(order) for _ in c.parts] for c in spec.blocks[0].columns}
            return _Mapping([placed], start, grid.xs, positional=True)
        if matched and not quiet:  # a column of the layout no printed header matches
            self._unmatched(spec, blocks, grid, paths)
        if not matched:
            if not quiet:
                self.notes.append(
                    ImportNote(
                        "import.header-unmatched",
                        Place(self.file, grid.page, grid.box.rounded(), _first_line(grid)),
                        " | ".join("/".join(p) for p in paths if p),
                        spec.role,
                    )
                )
            return None
        return _Mapping(blocks, start, grid.xs)

    def _unmatched(
        self,
        spec: TableLayout,
        blocks: Sequence[dict[str, list[int]]],
        grid: Grid,
        paths: Sequence[Sequence[str]],
    ) -> None:
        """An import note for each column of the layout that no printed header matched,
        when a printed header also matched no column (one of them is misread; a template's
        column the document does not print is no news)."""
        read = {c for found in blocks for cols in found.values() for c in cols}
        if all(c in read or not p for c, p in enumerate(paths)):
            return
        header = " | ".join("/".join(p) for p in paths if p)
        missing = dict.fromkeys(
            c.name
            for b, found in zip(spec.blocks, blocks, strict=True)
            for c in b.columns
            if c.name not in found
        )
        for name in missing:
            self.notes.append(
                ImportNote(
                    "import.column-unmatched",
                    Place(self.file, grid.page, grid.box.rounded(), _first_line(grid)),
                    header,
                    spec.role,
                    (name,),
                )
            )

    def _match(
        self,
        col: ColumnSpec,
        paths: list[list[str]],
        block: tuple[int, int],
        twin: tuple[int, int],
    ) -> list[int]:
        """The grid columns of ``col``: ``block`` is (its block, the blocks that have a column
        of its name) and ``twin`` (its place, the count) among the block's columns that share
        its header."""
        (i, blocks), (k, twins) = block, twin
        nth = (i if blocks > 1 else 0) * twins + k
        out: list[int] = []
        for choices in col.parts:
            hits = [c for c, p in enumerate(paths) if any(_ends_with(p, h) for h in choices)]
            if not hits:
                return []
            # side-by-side blocks repeat a header: the n-th block takes the n-th match(es)
            out.append(hits[nth] if len(hits) >= max(blocks, 1) * twins else hits[0])
        return out

    def _rows(self, table: TableRead, spec: TableLayout, grid: Grid, mapping: _Mapping) -> None:
        if grid.page is not None and grid.page not in table.pages:
            table.pages.append(grid.page)
        t = self._template_table(spec.role)
        if grid.page is None and t is not None and grid.xs == mapping.xs:
            # a text dump: a row printed a cell short is read where its totals add up
            from checker.documents.textdump import realign_rows

            if mapping.positional:
                grid = self._short_rows(spec, grid, mapping.header_rows)
            grid, notes = realign_rows(
                grid, spec, mapping.blocks, mapping.header_rows, t, self.file, mapping.positional
            )
            self.notes.extend(notes)
        # every (row, column) a cell covers; columns of the table's header grid found by x
        cover: dict[tuple[int, int], Cell] = {}
        for cell in grid.cells:
            for c in range(cell.col, cell.col + cell.col_span):
                cover[(cell.row, c)] = cell
        local = _local_columns(mapping.xs, grid.xs)
        by_pos = {(r, oc): cover[(r, lc)] for (r, lc) in cover for oc in local.get(lc, ())}
        start = mapping.header_rows
        for r in range(start, grid.n_rows):
            for group in _joined(mapping.blocks, by_pos, r):
                block, cols = _joint(spec, mapping, group)
                read = self._record(spec, block, cols, by_pos, r, r == start, grid)
                if read is None and len(spec.blocks) == 1:
                    read = self._total_only(spec, block, grid, r)
                if read is None:
                    continue
                rec, place, taken = read
                i = group[-1]
                if len(group) == 1:
                    self._fill_down(table.above.setdefault(i, {}), block, rec, place, taken)
                self._label_over_codes(spec.role, rec, place)
                self._code_in_text(spec.role, rec, place, cols)
                self._label_from_text(spec.role, rec, place, cols)
                label = next(
                    (v for k, v in rec.items() if isinstance(v, str) and k not in block.const), None
                )
                if spec.skip is not None and label is not None and spec.skip.search(label):
                    continue
                if (
                    label is not None
                    and spec.empty.search(normalize(label))
                    and not _valued_row(rec)
                ):
                    table.empty = True
                    table.note = label
                    continue
                table.blocks.setdefault(i, []).append((rec, place))

    def _form_rows(self, table: TableRead, form: Form, grid: Grid) -> None:
        """A grid of a form: each row in its section (see docs/import.md, "Forms")."""
        if grid.page is not None and grid.page not in table.pages:
            table.pages.append(grid.page)
        for r in range(grid.n_rows):
            row = sorted(grid.row_cells(r), key=lambda c: c.col)
            # (a dump's row: the cells it printed, not the grid's padding)
            limit = grid.widths[r] if r < len(grid.widths) else grid.n_cols
            cells = [c for c in row if c.text or c.col < limit]
            if not any(c.text for c in cells):
                continue
            words = [header_word(c.text) for c in cells if c.text]
            started = next(
                (s for s in form.sections if not s.printed and tuple(words) == s.header), None
            )
            if started is not None:  # the header line of a section printing no label
                table.section = started
                continue
            first = cells[0] if cells and cells[0].col == 0 else None
            labelled = form.section(first.text) if first is not None and first.text else None
            section = labelled or table.section
            if section is None:
                continue  # (before any section: nothing says what the row is)
            if labelled is not None:
                values = cells[1:]
            elif not section.printed or (first is not None and not first.text):
                values = cells[1:] if section.printed else cells
            else:
                # a printed section's row whose first cell is no section label: the dump
                # dropped the empty label cell, so the row prints one column left
                values = cells
                self.notes.append(
                    ImportNote(
                        "import.shifted-row",
                        self._place(grid, cells[0]),
                        "、".join(c.text for c in cells if c.text),
                        table.role,
                        tuple(
                            f"{c.text}: {section.columns[i - 1] if i else form.label} → {col}"
                            for i, (c, col) in enumerate(zip(cells, section.columns, strict=False))
                            if c.text
                        ),
                    )
                )
            table.section = section
            if (
                labelled is not None
                and section.header
                and (tuple(header_word(c.text) for c in values if c.text) == section.header)
            ):
                continue  # the section's own header line (任务名称 | 主要内容)
            self._form_record(table, form, section, grid, values, r)

    def _form_record(
        self,
        table: TableRead,
        form: Form,
        section: FormSection,
        grid: Grid,
        values: Sequence[Cell],
        r: int,
    ) -> None:
        """One row of a form's section: its values by position after the label (one value
        spanning the row: the section's ``single`` column); a row printing more values than
        the section has columns, or leaving a required column empty, cannot be placed."""
        columns = [c for s in form.sections for c in s.columns]
        rec: dict[str, Any] = {form.label: section.label, **dict.fromkeys(columns)}
        printed = [c for c in values if c.text]
        placed: list[tuple[str, Cell]] = []
        if len(printed) == 1 and section.single is not None:
            placed = [(section.single, printed[0])]
        else:
            placed = [(col, c) for c, col in zip(values, section.columns, strict=False) if c.text]
        width = len(values)
        doubt = (
            width != len(section.columns)
            if not section.printed
            else (
                len(printed) > len(section.columns)
                or any(c.text for c in values[len(section.columns) :])
            )
        )
        names = {name for name, _ in placed}
        if not doubt and any(req not in names for req in section.required):
            doubt = True
        cells: dict[str, Any] = {}
        if doubt:
            self.notes.append(
                ImportNote(
                    "import.form-row",
                    self._place(grid, printed[0]),
                    "、".join(c.text for c in printed),
                    table.role,
                    (
                        f"{width} cells printed in section {section.label}, whose columns are "
                        + " | ".join(section.columns)
                        + "".join(f"; {req} left empty" for req in section.required),
                    ),
                )
            )
            # the cells stay listed, unresolved, under the columns position would give
            placed = [(col, c) for c, col in zip(values, section.columns, strict=False) if c.text]
        for name, cell in placed:
            where = {"bbox": cell.box.rounded()} if cell.line is None else {"line": cell.line}
            cells[name] = {**where, "text": cell.text}
            if doubt:
                cells[name]["unresolved"] = True
                continue
            if self._kind(table.role, name) == "amount":
                value, ok = parse_amount(cell.text)
                if not ok:
                    cells[name]["unresolved"] = True
                    self.notes.append(
                        ImportNote(
                            "import.unreadable-amount",
                            self._place(grid, cell),
                            cell.text,
                            table.role,
                        )
                    )
                rec[name] = value
            else:
                rec[name] = label_text(cell.text)
        line = next((c.line for c in values if c.line is not None), None)
        place: dict[str, Any] = {"page": grid.page, "cells": cells}
        if line is not None:
            place["line"] = line
        else:
            place["bbox"] = _union(c.box.rounded() for c in printed)
        table.rows.append(rec)
        table.places.append(place)

    def _place(self, grid: Grid, cell: Cell) -> Place:
        if cell.line is not None:
            return Place(self.file, grid.page, None, cell.line)
        return Place(self.file, grid.page, cell.box.rounded())

    def _short_rows(self, spec: TableLayout, grid: Grid, start: int) -> Grid:
        """A table read by position: a data row printing another number of cells than the
        columns have parts cannot be placed; its cells are unresolved (an import note with
        the row, its cell count and the columns)."""
        short = {
            r
            for r in range(start, grid.n_rows)
            if r < len(grid.widths) and grid.widths[r] != spec.width
        }
        if not short:
            return grid
        names = " | ".join(c.name for c in spec.blocks[0].columns)
        cells = []
        for r in sorted(short):
            row = grid.row_cells(r)
            printed = [c.text for c in row if c.text]
            if printed:
                self.notes.append(
                    ImportNote(
                        "import.positional-row",
                        Place(self.file, grid.page, None, row[0].line),
                        "、".join(printed),
                        spec.role,
                        (f"{grid.widths[r]} cells printed, {spec.width} by position: {names}",),
                    )
                )
        for cell in grid.cells:
            cells.append(replace(cell, unresolved=True) if cell.row in short else cell)
        return Grid(grid.page, grid.xs, grid.ys, tuple(cells), grid.widths)

    def _total_only(
        self, spec: TableLayout, block: Block, grid: Grid, r: int
    ) -> tuple[dict[str, Any], dict[str, Any], set[str]] | None:
        """An empty table's 合计 row (its last row, printing nothing else) whose label stands
        under no column read (a text dump printed the header shifted): the row, all null,
        labelled in the table's label column."""
        t = self._template_table(spec.role)
        printed = [c for c in grid.row_cells(r) if c.text]
        if (
            t is None
            or t.label is None
            or r != grid.n_rows - 1
            or len(printed) != 1
            or not _TOTAL.match(normalize(printed[0].text))
        ):
            return None
        cell = printed[0]
        rec: dict[str, Any] = {**block.const, **{c.name: None for c in block.columns}}
        rec[t.label] = cell.text
        where: dict[str, Any] = (
            {"bbox": cell.box.rounded()} if cell.line is None else {"line": cell.line}
        )
        place = {"page": grid.page, **where, "cells": {t.label: {**where, "text": cell.text}}}
        return rec, place, set()

    @staticmethod
    def _fill_down(
        above: dict[str, tuple[Any, dict[str, Any]]],
        block: Block,
        rec: dict[str, Any],
        place: dict[str, Any],
        taken: set[str],
    ) -> None:
        """Blank cells of filled-down columns take the value above; a value printed in one
        (or a cell of another column spread over it) starts a new group there and in the
        filled-down columns after it. Where a filled value was printed is ``filled``."""
        fill = [c.name for c in block.columns if c.fill_down]
        for n, name in enumerate(fill):
            if rec.get(name) is not None or name in taken:
                for later in fill[n:]:
                    above.pop(later, None)
                if rec.get(name) is not None:
                    where = {"page": place["page"], **place["cells"][name]}
                    above[name] = (rec[name], where)
            elif name in above:
                rec[name], where = above[name]
                place.setdefault("filled", {})[name] = where

    def _record(
        self,
        spec: TableLayout,
        block: Block,
        cols: dict[str, list[int]],
        by_pos: dict[tuple[int, int], Cell],
        r: int,
        first: bool,
        grid: Grid,
    ) -> tuple[dict[str, Any], dict[str, Any], set[str]] | None:
        """Row ``r`` of a block: the record, its provenance and the columns whose cells
        another column read (a label printed across them)."""
        t = self._template_table(spec.role)
        label = t.label if t is not None else None
        # a merged cell is read once, by the label column when it spans it, else by the
        # first column it covers
        used: set[int] = set()
        read: dict[str, list[Cell]] = {}
        taken: set[str] = set()
        for col in sorted(block.columns, key=lambda c: c.name != label):
            where = cols.get(col.name)
            if not where:
                continue
            parts = []
            for c in where:
                cell = by_pos.get((r, c))
                if cell is not None and id(cell) not in used:
                    used.add(id(cell))
                    parts.append(cell)
                elif cell is not None and cell.text:
                    taken.add(col.name)
            if first:
                parts = [p for p in parts if header_word(p.text) not in col.words]
            read[col.name] = parts
        rec: dict[str, Any] = dict(block.const)
        cells: dict[str, Any] = {}
        boxes: list[list[float]] = []
        for col in block.columns:
            if col.name not in read:
                continue
            parts = read[col.name]
            texts = [p.text for p in parts if p.text]
            if texts:
                taken.discard(col.name)
            text = "".join(t.replace(" ", "") for t in texts) if col.join else " ".join(texts)
            # a cell whose column cannot be decided is null (an import note says why)
            unresolved = any(p.unresolved for p in parts)
            if unresolved:
                rec[col.name] = None
            elif self._kind(spec.role, col.name) == "amount":
                value, ok = parse_amount(text)
                if not ok:
                    unresolved = True
                    self.notes.append(
                        ImportNote(
                            "import.unreadable-amount",
                            Place(self.file, grid.page, parts[0].box.rounded(), parts[0].line),
                            text,
                            spec.role,
                        )
                    )
                rec[col.name] = value
            else:
                rec[col.name] = label_text(text) or None
            if text or unresolved:  # (an undecided column's other candidate: no text)
                printed = [p for p in parts if p.text or p.unresolved]
                box = (
                    printed[0].box.rounded()
                    if len(printed) == 1
                    else _union(p.box.rounded() for p in printed)
                )
                # a text dump's cell is where its line is (its box is in line space)
                line = parts[0].line
                cells[col.name] = (
                    {"bbox": box, "text": text} if line is None else {"line": line, "text": text}
                )
                if unresolved:  # printed here, read as null
                    cells[col.name]["unresolved"] = True
                boxes.append(box)
        if not boxes:
            return None
        lines = [c["line"] for c in cells.values() if "line" in c]
        if lines:  # a text dump's row: its line
            return rec, {"page": grid.page, "line": min(lines), "cells": cells}, taken
        return rec, {"page": grid.page, "bbox": _union(boxes), "cells": cells}, taken

    def _label_over_codes(self, role: str, rec: dict[str, Any], place: dict[str, Any]) -> None:
        """A label printed across the code columns (合计) is the row's label, not a code."""
        t = self._template_table(role)
        if t is None or t.label is None:
            return
        for col in t.columns:
            value = rec.get(col.name)
            if (
                col.kind == "code"
                and isinstance(value, str)
                and not re.fullmatch(r"[0-9 ]+", value)
                and rec.get(t.label) is None
            ):
                rec[t.label] = value
                rec[col.name] = None
                cells = place["cells"]
                if col.name in cells:
                    cells[t.label] = cells.pop(col.name)

    def _code_in_text(
        self, role: str, rec: dict[str, Any], place: dict[str, Any], cols: dict[str, list[int]]
    ) -> None:
        """A code printed in a text column of a table that prints no column for that code (a
        unit's 035 under 项目名称), or in a code column whose printed codes it does not match
        (the layout's ``pattern``: 035 under 部门预算经济分类's 类, whose codes are 3xx), is
        the code: when it matches the schema pattern of exactly one such code column (its
        cell's ``under`` names where it was printed)."""
        t = self._template_table(role)
        if t is None:
            return
        unprinted = [
            c for c in t.columns if c.kind == "code" and c.pattern and not cols.get(c.name)
        ]
        if not unprinted:
            return
        spec = self.layout.table(role)
        printed = {c.name: c.pattern for b in spec.blocks for c in b.columns} if spec else {}
        for col in t.columns:
            value = rec.get(col.name)
            if not isinstance(value, str):
                continue
            if col.kind == "code":
                pattern = printed.get(col.name) or col.pattern
                if not pattern or re.fullmatch(pattern, value):
                    continue
            elif col.kind != "text":
                continue
            fits = [
                c
                for c in unprinted
                if c.pattern and re.fullmatch(c.pattern, value) and rec.get(c.name) is None
            ]
            if len(fits) != 1:
                continue
            code = fits[0].name
            rec[code], rec[col.name] = value, None
            cells = place["cells"]
            if col.name in cells:
                cells[code] = {**cells.pop(col.name), "under": col.name}

    def _label_from_text(
        self, role: str, rec: dict[str, Any], place: dict[str, Any], cols: dict[str, list[int]]
    ) -> None:
        """A table that prints no column for its row label (x-label): a row without a code
        (x-code) that prints text in exactly one text column (合计, a unit's name under
        科目名称) is labelled by it."""
        t = self._template_table(role)
        if t is None or t.label is None or t.code is None or cols.get(t.label):
            return
        if rec.get(t.code) is not None or rec.get(t.label) is not None:
            return
        texts = [
            c.name
            for c in t.columns
            if c.kind == "text" and c.name != t.label and rec.get(c.name) is not None
        ]
        if len(texts) != 1:
            return
        name = texts[0]
        rec[t.label], rec[name] = rec[name], None
        cells = place["cells"]
        if name in cells:
            cells[t.label] = {**cells.pop(name), "under": name}

    def _template_table(self, role: str) -> Table | None:
        return self._by_role.get(role)

    def _kind(self, role: str, column: str) -> str:
        kind = self._kinds.get((role, column))
        if kind is None:  # asked for every cell read: looked up once per column
            t = self._template_table(role)
            col = t.column(column) if t else None
            kind = self._kinds[(role, column)] = col.kind if col else "text"
        return kind


def _joined(
    blocks: Sequence[dict[str, list[int]]], by_pos: dict[tuple[int, int], Cell], r: int
) -> list[list[int]]:
    """The blocks of row ``r`` as they are read: one printed cell spread over several
    blocks (支出合计 across the 功能分类 and 支出用途 blocks) makes them one row."""
    groups: list[tuple[list[int], set[int]]] = []
    for i, cols in enumerate(blocks):
        ids = {
            id(cell)
            for where in cols.values()
            for c in where
            if (cell := by_pos.get((r, c))) is not None and cell.text
        }
        members, seen, rest = [i], set(ids), []
        for group in groups:
            if group[1] & ids:
                members += group[0]
                seen |= group[1]
            else:
                rest.append(group)
        groups = [*rest, (sorted(members), seen)]
    return sorted(members for members, _ in groups)


def _joint(
    spec: TableLayout, mapping: _Mapping, group: Sequence[int]
) -> tuple[Block, dict[str, list[int]]]:
    """The block and grid columns a group of joined blocks is read by: constants they
    share (the others null: a 支出合计 is of no one 分类), each column over all of them."""
    if len(group) == 1:
        return spec.blocks[group[0]], mapping.blocks[group[0]]
    blocks = [spec.blocks[i] for i in group]
    first = blocks[0].const
    const = {
        k: first.get(k) if all(b.const.get(k) == first.get(k) for b in blocks) else None
        for b in blocks
        for k in b.const
    }
    columns: dict[str, ColumnSpec] = {}
    for b in blocks:
        for c in b.columns:
            columns.setdefault(c.name, c)
    cols = {name: [c for i in group for c in mapping.blocks[i].get(name, [])] for name in columns}
    return Block(tuple(columns.values()), const), cols


def _by_position(spec: TableLayout, grid: Grid, start: int) -> bool:
    """A text dump's grid read by position: its layout says so (one block, columns in
    printed order) and a data row prints exactly as many cells as the columns have parts."""
    return (
        spec.positional
        and len(spec.blocks) == 1
        and any(w == spec.width for w in grid.widths[start:])
    )


def _form_start(form: Form, grid: Grid) -> bool:
    """A grid is a form's when its first column prints one of the form's section labels."""
    return any(cell.col == 0 and form.section(cell.text) is not None for cell in grid.cells)


def _first_line(grid: Grid) -> int | None:
    """A text dump's grid: its first source line (None in a PDF)."""
    return next((c.line for c in grid.cells if c.line is not None), None)


def _local_columns(xs: Sequence[float], grid_xs: Sequence[float]) -> dict[int, list[int]]:
    """For each column of a grid, the columns of the table's header grid it lies over."""
    out: dict[int, list[int]] = {}
    for oc in range(len(xs) - 1):
        centre = (xs[oc] + xs[oc + 1]) / 2
        lc = bisect.bisect_right(grid_xs, centre) - 1
        if 0 <= lc < len(grid_xs) - 1:
            out.setdefault(lc, []).append(oc)
    return out


def _valued_row(rec: dict[str, Any]) -> bool:
    return any(isinstance(v, float) for v in rec.values())


def _valued(table: TableRead) -> bool:
    return any(_valued_row(r) for r in table.rows) or any(
        _valued_row(rec) for items in table.blocks.values() for rec, _ in items
    )


def _ends_with(path: Sequence[str], spec: Sequence[str]) -> bool:
    """``spec``'s last word is ``path``'s last; its other words appear in order before it."""
    if not path or path[-1] != spec[-1]:
        return False
    i = 0
    for word in path[:-1]:
        if i < len(spec) - 1 and word == spec[i]:
            i += 1
    return i == len(spec) - 1


def _union(boxes: Iterable[list[float]]) -> list[float]:
    x0s, tops, x1s, bottoms = zip(*boxes, strict=True)
    return [min(x0s), min(tops), max(x1s), max(bottoms)]
