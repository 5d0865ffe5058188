"""Where a finding's evidence was published: each operand cell's file, page and box
(or text line), and the place of the finding itself.

Runs after evaluation, per batch, over the results that carry cells (a few joins
over the findings, never over the rows checked). Cells get ``file``, ``page``,
``line`` and ``bbox`` fields (null where the document says nothing); each result
gets a ``source`` struct of the same fields: the cell or row the result is about,
else its first cell that has a place.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from checker.compile import CELL_DTYPE
from checker.documents.batches import Batch
from checker.documents.provenance import SCHEMA as PLACE_SCHEMA

STATEMENTS: Final = "说明"  # the table name results give a prose statement's cell
_PLACE: Final = ("file", "page", "line", "bbox")
_FINDINGS: Final = ("fail", "error", "rounding")
SOURCE_DTYPE: Final = pl.Struct({name: PLACE_SCHEMA[name] for name in _PLACE})
SOURCED_CELL_DTYPE: Final = pl.Struct({**dict(CELL_DTYPE.to_schema()), **SOURCE_DTYPE.to_schema()})
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
            pl.lit(None, dtype).alias(name) for name, dtype in SOURCE_DTYPE.to_schema().items()
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
    first = (
        cells.filter(pl.col("page").is_not_null() | pl.col("line").is_not_null())
        .sort("_order")
        .group_by("_result")
        .agg(pl.struct(*_PLACE).first().alias("_first"))
    )
    located = (
        own.join(regrouped, on="_result", how="left")
        .join(first, on="_result", how="left")
        .select(
            "_result",
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
    return (
        frame.with_row_index("_result")
        .drop("cells")
        .join(located, on="_result", how="left")
        .with_columns(
            pl.col("cells").cast(pl.List(SOURCED_CELL_DTYPE)),
            pl.col("source").cast(SOURCE_DTYPE),
        )
        .sort("_result")
        .drop("_result")
    )


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
    ).drop(f"{name}_row" for name in _PLACE)
