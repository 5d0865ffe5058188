"""Row keys: a table row named by its content (the schema's ``x-key`` columns), not its index.

A row's key is the text of its key columns (``x-key``; else ``x-code`` and
``x-label``), empty ones dropped, joined with one space (as
:func:`checker.compile.row_key_expr` names the rows a count counted): ``党建活动经费
新乡市红旗区人力资源和社会保障局本级``. Where two rows of one table share a
key, the second is ``… #2``, the third ``… #3``. A row whose key columns are
all empty has no key (null). Waivers and the report's ``fingerprint`` name a
row by it, so they follow the row when rows are inserted above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import polars as pl

from checker.collecting import ENGINE
from checker.compile import row_key_expr
from checker.template import Table, Template

ROW_KEY: Final = "row_key"  # the results-frame column: the key of the result's row
GROUP: Final = "group"  # the results-frame column of per-group rules: the group's key


def key_columns(table: Table) -> tuple[str, ...]:
    """The columns that name a row of ``table``: ``x-key``, else ``x-code`` and ``x-label``."""
    return table.key or tuple(c for c in (table.code, table.label) if c)


def row_keys(tables: Mapping[str, pl.DataFrame | pl.LazyFrame], template: Template) -> pl.DataFrame:
    """One row per table row that has a key: ``document``, ``rule_table`` (the role), ``row``,
    ``row_key`` (a streamed table's key columns are read in chunks, its keys held)."""
    parts = []
    for role, given in tables.items():
        spec = template.table(role)
        columns = key_columns(spec) if spec is not None else ()
        if spec is None or not columns:
            continue
        frame = given.lazy()
        if not set(columns) <= set(frame.collect_schema().names()):
            continue
        text = row_key_expr(spec, "row")  # as a count's evidence names the rows it counted
        parts.append(
            frame.select(
                "document",
                pl.lit(role, pl.Utf8).alias("rule_table"),
                pl.col("row").cast(pl.UInt32),
                pl.when(text != "").then(text).alias(ROW_KEY),
            )
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "document": pl.UInt32,
                "rule_table": pl.Utf8,
                "row": pl.UInt32,
                ROW_KEY: pl.Utf8,
            }
        )
    # the n-th row of a key (n > 1) is "KEY #n": sorted by key, a run of one key counts up
    # (no window per key: a batch has hundreds of thousands of rows)
    keys = pl.concat(parts, how="vertical_relaxed").drop_nulls(ROW_KEY).collect(engine=ENGINE)
    keys = keys.sort("document", "rule_table", ROW_KEY, "row")
    changed = pl.any_horizontal(
        (pl.col(c) != pl.col(c).shift()).fill_null(True)
        for c in ("document", "rule_table", ROW_KEY)
    )
    index = pl.int_range(pl.len())
    nth = index - pl.when(changed).then(index).forward_fill()
    return keys.with_columns(
        pl.when(nth > 0)
        .then(pl.format("{} #{}", ROW_KEY, nth + 1))
        .otherwise(pl.col(ROW_KEY))
        .alias(ROW_KEY)
    )


def attach_row_keys(
    frame: pl.DataFrame, tables: Mapping[str, pl.DataFrame | pl.LazyFrame], template: Template
) -> pl.DataFrame:
    """``frame`` (a results frame) with ``row_key``: the key of each result's row (one join)."""
    if ROW_KEY in frame.columns:
        return frame
    if not {"document", "rule_table", "row"} <= set(frame.columns):
        return frame.with_columns(pl.lit(None, pl.Utf8).alias(ROW_KEY))
    keys = row_keys(tables, template).with_columns(
        pl.col("document").cast(frame.schema["document"]),
        pl.col("rule_table").cast(frame.schema["rule_table"]),
        pl.col("row").cast(frame.schema["row"]),
    )
    on = ["document", "rule_table", "row"]
    keyed = frame.join(keys, on=on, how="left", maintain_order="left")
    if GROUP in frame.columns:  # a per-group rule's result is named by its group's key
        group = pl.col(GROUP)
        keyed = keyed.with_columns(
            pl.when(group.is_not_null()).then(group).otherwise(pl.col(ROW_KEY)).alias(ROW_KEY)
        )
    return keyed


__all__ = ["ROW_KEY", "attach_row_keys", "key_columns", "row_keys"]
