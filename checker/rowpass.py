"""Per-row rules over large tables: results only for the rows a run keeps.

A run that keeps some statuses (``check`` keeps what it reports: fail, error, rounding
and what ``--show`` adds; passes are only counted) evaluates a table's per-row rules in
two passes, so that its time and memory grow with the rows and the findings, never with
rows × rules result rows:

1. **Statuses.** Per row and rule, nothing but a status: a rule that sums its row's own
   amounts (:mod:`checker.rowlinear`) is *screened*, i.e. only asked whether it passes
   exactly, in integer sums on the loader's frame; every other per-row rule gives its
   status code (UInt8) from its compiled expressions (:func:`checker.compile.table_statuses`).
   The statuses that are not kept are counted here, per document, rule and status; the
   rows with a kept status (a screened rule: any row it does not pass exactly) are the
   *kept rows*.
2. **Results.** The compiled rules (verdict, both sides, intervals, reason) over the kept
   rows alone; their kept results are the rows of the results frame and are counted. A
   screened rule's passes are its rows less its kept results.
3. **Operand cells**, for the results whose status wants them (``cells_for``): each rule
   with such a result over the rows holding one (:func:`cell_plans`), so that building
   cell lists, the costliest part of a result, grows with the findings alone.

A run that keeps every status (``keep=None``, the API's default, or ``pass`` kept), and
any run over a table of fewer than :data:`LARGE_ROWS` rows in its batch, builds every
result row in one pass as before (:func:`checker.compile.table_plan`): on a few rows the
passes above cost more in planning than they save (one document: 80 ms → 130 ms). Its
operand cells are listed as in (3), one plan for the table's rules over the rows holding
a wanted result, not by evaluating its rules again over whole documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from checker.compile import CompiledRule, table_plan, table_statuses
from checker.judging import FAIL, PASS, ROUNDING, STATUS_NAMES, TOLERATED
from checker.rowlinear import RowLinear

KEYS = ["document", "row"]
# a batch's table with this many rows or more is evaluated in passes (see the module doc)
LARGE_ROWS = 10_000
# the statuses a screened rule's rows other than exact passes may have
_SCREENED = frozenset({ROUNDING, TOLERATED, FAIL})


@dataclass
class TableRows:
    """One table's per-row rules in one run (see the module doc)."""

    role: str
    rules: list[CompiledRule]  # every per-row rule of the table, in the engine's order
    every: bool  # every status kept: all result rows, as before
    screened: list[RowLinear] = field(default_factory=list)
    statused: list[CompiledRule] = field(default_factory=list)
    nullable: frozenset[str] = frozenset()  # screened columns holding empty cells

    @property
    def prepared_whole(self) -> bool:
        """Whether the table's prepared frame (Decimal amounts, labels) is needed for all
        its rows; else only its kept rows are prepared."""
        return self.every or bool(self.statused)


def table_rows(
    compiled: Sequence[CompiledRule],
    summed: Mapping[str, RowLinear],
    raw: Mapping[str, pl.DataFrame | pl.LazyFrame],
    codes: frozenset[int] | None,
) -> list[TableRows]:
    """Each table's per-row rules for a run keeping the statuses ``codes`` (None: all)."""
    by_table: dict[str, list[CompiledRule]] = {}
    for rule in compiled:
        if rule.table is not None and rule.group is None:  # per-group rules: one per group
            by_table.setdefault(rule.table, []).append(rule)
    out = []
    for role, rules in by_table.items():
        frame = raw[role]
        small = isinstance(frame, pl.DataFrame) and frame.height < LARGE_ROWS
        every = codes is None or PASS in codes or small
        found = TableRows(role, rules, every)
        if not every:
            assert codes is not None
            usable, nullable = _summable(raw[role])
            for rule in rules:
                spec = summed.get(rule.rule_id)
                # screened when its rounding, tolerated and fail results are kept (a row
                # it does not pass exactly is then a kept row) and its columns are
                # scaled integers
                if spec is not None and codes >= _SCREENED and spec.columns <= usable:
                    found.screened.append(spec)
                else:
                    found.statused.append(rule)
            found.nullable = nullable & frozenset(c for s in found.screened for c in s.columns)
        out.append(found)
    return out


def _summable(frame: pl.DataFrame | pl.LazyFrame) -> tuple[frozenset[str], frozenset[str]]:
    """The frame's scaled-integer columns, and those of them holding an empty cell (a lazy
    frame's are all taken to)."""
    schema = frame.collect_schema()
    ints = frozenset(name for name, dtype in schema.items() if dtype == pl.Int64)
    if isinstance(frame, pl.LazyFrame):
        return ints, ints
    return ints, frozenset(name for name in ints if frame.get_column(name).null_count())


def screen_plan(table: TableRows, frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The rows some screened rule does not pass exactly (``document``, ``row``)."""
    missed = [spec.exact(table.nullable).not_() for spec in table.screened]
    return frame.lazy().filter(pl.any_horizontal(missed)).select(KEYS)


def sizes_plan(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Rows per document (``document``, ``rows``): a screened rule's results in each."""
    return frame.lazy().group_by("document").agg(pl.len().alias("rows"))


def status_plan(
    table: TableRows, wide: pl.LazyFrame, frames: dict[str, pl.LazyFrame]
) -> pl.LazyFrame:
    """The statused rules' status per row (:func:`checker.compile.table_statuses`)."""
    return table_statuses(table.statused, wide, frames)


@dataclass
class Tally:
    """What the first pass found of one table: counts of the statuses not kept, and the
    rows holding a kept one."""

    counted: list[pl.DataFrame] = field(default_factory=list)  # document, status, len
    applied: list[pl.DataFrame] = field(default_factory=list)  # document, rule
    kept: list[pl.DataFrame] = field(default_factory=list)  # document, row

    def rows(self) -> pl.DataFrame:
        """The rows holding a kept result (``document``, ``row``)."""
        if not self.kept:
            return pl.DataFrame(schema={"document": pl.UInt32, "row": pl.UInt32})
        return pl.concat(self.kept, how="vertical_relaxed").unique(KEYS)


def tally(
    table: TableRows,
    statuses: pl.DataFrame | None,
    screened: pl.DataFrame | None,
    codes: frozenset[int],
) -> Tally:
    """The first pass's statuses (``statuses``: ``document``, ``row`` and a status column
    per statused rule, named by position) and screened rows, tallied."""
    found = Tally()
    if screened is not None and screened.height:
        found.kept.append(screened)
    if statuses is None or not table.statused:
        return found
    columns = [pl.col(str(i)) for i in range(len(table.statused))]
    wanted = sorted(codes)
    found.kept.append(
        statuses.filter(pl.any_horizontal(c.is_in(wanted) for c in columns)).select(KEYS)
    )
    counted = [code for code in range(len(STATUS_NAMES)) if code not in codes]
    sums = statuses.group_by("document").agg(
        (c == code).sum().alias(f"{i}:{code}") for i, c in enumerate(columns) for code in counted
    )
    long = (
        sums.unpivot(index="document", variable_name="key", value_name="len")
        .filter(pl.col("len") > 0)
        .with_columns(pl.col("key").str.split_exact(":", 1).struct.rename_fields(["i", "s"]))
        .unnest("key")
    )
    ids = pl.Series([r.rule_id for r in table.statused], dtype=pl.Utf8)
    found.counted.append(
        long.group_by("document", pl.col("s").cast(pl.UInt8).alias("status")).agg(
            pl.col("len").sum().cast(pl.UInt32)
        )
    )
    found.applied.append(
        long.select(
            "document", pl.lit(ids).gather(pl.col("i").cast(pl.UInt32)).alias("rule")
        ).unique()
    )
    return found


def detail_plan(
    table: TableRows, wide: pl.LazyFrame, frames: dict[str, pl.LazyFrame], rows: pl.DataFrame
) -> pl.LazyFrame:
    """The second pass: every per-row rule of the table over the kept ``rows``
    (``frames[role]`` holds those rows at least)."""
    return table_plan(table.rules, wide, frames, rows=rows.lazy())


def results(
    table: TableRows,
    output: pl.DataFrame | None,
    codes: frozenset[int],
    sizes: pl.DataFrame | None,
) -> tuple[pl.DataFrame | None, list[pl.DataFrame], list[pl.DataFrame]]:
    """The second pass's kept results, their counts, and the screened rules' passes
    (their rows less their kept results)."""
    kept = None
    counted: list[pl.DataFrame] = []
    applied: list[pl.DataFrame] = []
    if output is not None:
        kept = output.filter(pl.col("status").is_in(sorted(codes)))
        counted.append(kept.group_by("document", "status").len().cast({"len": pl.UInt32}))
        applied.append(kept.select("document", "rule").unique())
    if table.screened and sizes is not None and sizes.height:
        ids = pl.DataFrame({"rule": [s.rule_id for s in table.screened]})
        done = (
            kept.group_by("document", "rule").len()
            if kept is not None
            else pl.DataFrame(schema={"document": pl.UInt32, "rule": pl.Utf8, "len": pl.UInt32})
        )
        passes = (
            sizes.filter(pl.col("rows") > 0)
            .join(ids, how="cross")
            .join(done, on=["document", "rule"], how="left")
            .select(
                "document",
                "rule",
                (pl.col("rows") - pl.col("len").fill_null(0)).alias("len"),
            )
        )
        applied.append(passes.select("document", "rule"))
        counted.append(
            passes.group_by("document")
            .agg(pl.col("len").sum().cast(pl.UInt32))
            .select("document", pl.lit(PASS, pl.UInt8).alias("status"), "len")
        )
    return kept, counted, applied


def cell_plans(
    table: TableRows,
    wide: pl.LazyFrame,
    frames: dict[str, pl.LazyFrame],
    wanted: pl.DataFrame,
) -> list[pl.LazyFrame]:
    """The operand cells of a table's results ``wanted`` (``document``, ``rule``, ``row``,
    ``column``): over a large table, one plan per rule with such a result over the rows
    holding one (a row of 20 rules with one finding lists the cells of one); else one
    plan for those rules over the rows holding any."""
    by_id = {r.rule_id: r for r in table.rules}
    parts = wanted.group_by("rule") if not table.every else [((None,), wanted)]
    plans = []
    for (rule_id,), part in parts:
        named = [str(rule_id)] if rule_id is not None else part.get_column("rule").unique()
        chosen = [by_id[r] for r in named]
        rows = part.select(KEYS).unique().lazy()
        plan = table_plan(chosen, wide, frames, with_cells=True, rows=rows)
        plans.append(plan.select("document", "rule", "row", "column", "cells"))
    return plans


__all__ = [
    "KEYS",
    "LARGE_ROWS",
    "TableRows",
    "Tally",
    "cell_plans",
    "detail_plan",
    "results",
    "screen_plan",
    "sizes_plan",
    "status_plan",
    "table_rows",
    "tally",
]
