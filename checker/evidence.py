"""Where a finding's evidence was published: each operand cell's file, page and box
(or text line), and the place of the finding itself.

Runs after evaluation, per batch, over the results that carry cells (a few joins
over the findings, never over the rows checked). Cells get ``file``, ``page``,
``line`` and ``bbox`` fields (null where the document says nothing); each result
gets a ``source`` struct of the same fields: the cell or row the result is about,
else its first cell that has a place.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

import polars as pl

from checker.compile import CELL_DTYPE
from checker.documents.batches import Batch
from checker.documents.provenance import SCHEMA as PLACE_SCHEMA
from checker.evaluate import Results
from checker.localize import Localization
from checker.rowkeys import ROW_KEY, row_keys
from checker.template import Template

STATEMENTS: Final = "说明"  # the table name results give a prose statement's cell
_PLACE: Final = ("file", "page", "line", "bbox")
_FINDINGS: Final = ("fail", "error", "rounding", "tolerated")
_JUDGED: Final = ("pass", "fail", "rounding", "tolerated")  # verdicts a figure decides
SOURCE_DTYPE: Final = pl.Struct({name: PLACE_SCHEMA[name] for name in _PLACE})
SOURCED_CELL_DTYPE: Final = pl.Struct(
    {
        **dict(CELL_DTYPE.to_schema()),
        **SOURCE_DTYPE.to_schema(),
        "unresolved": pl.Boolean(),  # the import could not decide its column (read as null)
    }
)
_CELL_FIELDS: Final = tuple(SOURCED_CELL_DTYPE.to_schema())


def places(batch: Batch) -> pl.DataFrame:
    """Every known place of the batch: table cells and rows, and statements (page/line)."""
    found = [batch.provenance.filter(pl.col("table").is_not_null())]
    stmt = batch.statements
    located = [c for c in ("page", "line") if c in stmt.columns]
    if located and stmt.height:
        files = batch.provenance.filter(pl.col("table").is_null()).select("document", "file")
        found.append(
            stmt.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in located))
            .join(files, on="document", how="left")
            .select(
                "document",
                pl.lit(STATEMENTS).alias("table"),
                pl.lit(None, pl.UInt32).alias("row"),
                pl.col("name").alias("column"),
                "file",
                *(pl.col(c) if c in located else pl.lit(None) for c in ("page", "line")),
                pl.lit(None, PLACE_SCHEMA["bbox"]).alias("bbox"),
                pl.lit(None, pl.Boolean).alias("unresolved"),
            )
            .cast(PLACE_SCHEMA)  # type: ignore[arg-type]
        )
    return pl.concat(found, how="vertical")


def attach_sources(frame: pl.DataFrame, batch: Batch) -> pl.DataFrame:
    """``frame`` (a results frame) with its cells' places and each result's ``source``."""
    known = places(batch)
    if "cells" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.List(CELL_DTYPE)).alias("cells"))
    # the findings and the results listed with their cells, never the passes
    wanted = pl.col("cells").is_not_null() | pl.col("status").is_in(_FINDINGS)
    listed = frame.filter(wanted) if known.height else frame.clear()
    if listed.is_empty():
        unplaced = pl.element().struct.with_fields(
            pl.lit(None, dtype).alias(name)
            for name, dtype in SOURCED_CELL_DTYPE.to_schema().items()
            if name not in CELL_DTYPE.to_schema()
        )
        return frame.with_columns(
            pl.col("cells").list.eval(unplaced).cast(pl.List(SOURCED_CELL_DTYPE)),
            pl.lit(None, SOURCE_DTYPE).alias("source"),
        )
    index = frame.with_row_index("_result").filter(wanted)
    cells = (
        index.select("_result", "document", pl.col("cells"))
        .explode("cells")
        .drop_nulls("cells")
        .with_columns(pl.int_range(pl.len()).alias("_order"))
        .unnest("cells")
    )
    cells = _locate(cells, known, "table", "row", "column")
    # an aggregate over a column holding an undecided cell reads it too (any of its rows)
    undecided_columns = (
        known.filter(pl.col("unresolved").fill_null(False))
        .select("document", "table", "column", pl.lit(True).alias("_in_column"))
        .unique()
    )
    if undecided_columns.height:
        cells = (
            cells.join(undecided_columns, on=["document", "table", "column"], how="left")
            .with_columns(
                pl.when(pl.col("row").is_null() & pl.col("_in_column").fill_null(False))
                .then(True)
                .otherwise(pl.col("unresolved"))
                .alias("unresolved")
            )
            .drop("_in_column")
        )
    regrouped = (
        cells.sort("_order")
        .group_by("_result", maintain_order=True)
        .agg(pl.struct(*_CELL_FIELDS).alias("cells"))
    )
    # the result's own place: its cell, else its row, else its first located cell
    own = _locate(
        index.select("_result", "document", "rule_table", "row", "column"),
        known,
        "rule_table",
        "row",
        "column",
    ).select("_result", pl.struct(*_PLACE).alias("_own"))
    # a result reading a cell the import could not decide: its first such cell
    undecided = (
        cells.filter(pl.col("unresolved").fill_null(False))
        .sort("_order")
        .group_by("_result")
        .agg(
            pl.coalesce(
                pl.col("ref"), pl.concat_str(["table", pl.lit("."), "column"], ignore_nulls=True)
            )
            .first()
            .alias("_undecided")
        )
    )
    first = (
        cells.filter(pl.col("page").is_not_null() | pl.col("line").is_not_null())
        .sort("_order")
        .group_by("_result")
        .agg(pl.struct(*_PLACE).first().alias("_first"))
    )
    located = (
        own.join(regrouped, on="_result", how="left")
        .join(first, on="_result", how="left")
        .join(undecided, on="_result", how="left")
        .select(
            "_result",
            "_undecided",
            pl.col("cells").fill_null(pl.lit([], pl.List(SOURCED_CELL_DTYPE))),
            pl.when(
                pl.col("_own").struct.field("page").is_not_null()
                | pl.col("_own").struct.field("line").is_not_null()
            )
            .then("_own")
            .otherwise("_first")
            .alias("source"),
        )
    )
    undecided_read = pl.col("_undecided").is_not_null() & pl.col("status").is_in(_JUDGED)
    return (
        frame.with_row_index("_result")
        .drop("cells")
        .join(located, on="_result", how="left")
        .with_columns(
            pl.col("cells").cast(pl.List(SOURCED_CELL_DTYPE)),
            pl.col("source").cast(SOURCE_DTYPE),
            # a verdict on a figure the import could not place is no verdict
            pl.when(undecided_read).then(pl.lit("error")).otherwise("status").alias("status"),
            pl.when(undecided_read)
            .then(pl.concat_str([pl.lit("unresolved-cell:"), "_undecided"]))
            .otherwise("reason")
            .alias("reason"),
        )
        .sort("_result")
        .drop("_result", "_undecided")
    )


def with_sources(results: Results, batch: Batch) -> Results:
    """``results`` with their evidence's places (:func:`attach_sources`), and their counts
    following the findings that read an undecided cell from fail or rounding to error."""
    frame = attach_sources(results.frame, batch)
    old, new = results.frame.get_column("status"), frame.get_column("status")
    moved = results.frame.select("document", "status").filter(old != new)
    if moved.is_empty():
        return replace(results, frame=frame)
    per = moved.group_by("document", "status").len()
    totals = dict(results.counts())
    for status, n in per.group_by("status").agg(pl.col("len").sum()).iter_rows():
        totals[status] -= int(n)
        totals["error"] += int(n)
    by_document = results.per_document()
    for status, part in per.partition_by("status", as_dict=True).items():
        delta = part.select("document", pl.col("len").cast(pl.UInt32).alias("_n"))
        by_document = (
            by_document.join(delta, on="document", how="left")
            .with_columns(
                (pl.col(status[0]) - pl.col("_n").fill_null(0)).alias(status[0]),
                (pl.col("error") + pl.col("_n").fill_null(0)).alias("error"),
            )
            .drop("_n")
        )
    return replace(results, frame=frame, totals=totals, by_document=by_document)


def _locate(
    frame: pl.DataFrame, known: pl.DataFrame, table: str, row: str, column: str
) -> pl.DataFrame:
    """``frame`` with the place of (document, table, row, column): the cell's own, else its
    row's (a cell with no printed text has no box of its own)."""
    keys = ["document", table, row, column]
    renamed = {"table": table, "row": row, "column": column}
    by_cell = known.rename(renamed)
    by_row = (
        known.filter(pl.col("column").is_null()).drop("column").rename({"table": table, "row": row})
    )
    joined = frame.join(by_cell, on=keys, how="left", nulls_equal=True).join(
        by_row, on=["document", table, row], how="left", suffix="_row"
    )
    return joined.with_columns(
        pl.when(pl.col("page").is_null() & pl.col("line").is_null())
        .then(pl.col(f"{name}_row"))
        .otherwise(pl.col(name))
        .alias(name)
        for name in _PLACE
    ).drop(*(f"{name}_row" for name in _PLACE), "unresolved_row")


def place_localization(located: Localization, batch: Batch, template: Template) -> Localization:
    """The localized cells with their row's key (``row_key``) and where they were published
    (``source``, as a result's). A document holding a cell the import could not place is
    not localized: its constraints read that cell as empty, a guess."""
    cells, summary = located.cells, located.summary
    unresolved = batch.provenance.get_column("unresolved", default=None)
    if unresolved is not None and bool(unresolved.any()):
        guessed = batch.provenance.filter(pl.col("unresolved").fill_null(False))
        guessed = guessed.select(pl.col("document").cast(pl.UInt32)).unique()
        cells = cells.join(guessed, on="document", how="anti")
        summary = summary.join(guessed, on="document", how="anti")
    keys = row_keys(batch.tables, template).select(
        pl.col("document").cast(pl.UInt32),
        pl.col("rule_table").alias("table"),
        pl.col("row").cast(pl.UInt32),
        ROW_KEY,
    )
    keyed = cells.join(keys, on=["document", "table", "row"], how="left", maintain_order="left")
    known = places(batch).with_columns(
        pl.col("document").cast(pl.UInt32), pl.col("row").cast(pl.UInt32)
    )
    placed = _locate(keyed, known, "table", "row", "column")
    return Localization(
        placed.select(
            *cells.columns,
            ROW_KEY,
            pl.struct(*_PLACE).cast(SOURCE_DTYPE).alias("source"),
        ),
        summary,
    )
