"""Flat outputs for pipelines: JSON Lines (one result a line, the fields of a result in
the JSON report) and CSV (one result a row, flat columns)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

import polars as pl

from checker.diagnostics import Lang
from checker.display import inert_frame
from checker.report.json import result_dict
from checker.report.messages import result_message
from checker.report.model import Report, waived_flag

CHUNK_ROWS = 10_000
CSV_COLUMNS = (
    "document",
    "path",
    "rule",
    "title",
    "severity",
    "status",
    "table",
    "row",
    "column",
    "source_file",
    "source_page",
    "source_line",
    "lhs",
    "rhs",
    "diff",
    "tolerance",
    "message",
    "rule_file",
    "rule_line",
    "cells",
    "waived",
)


def write_jsonl(
    report: Report, out: IO[str], lang: Lang = "zh", *, include: Iterable[str] | None = None
) -> int:
    """Write one JSON result a line, ``CHUNK_ROWS`` results at a time; the number written."""
    import orjson

    written = 0
    for chunk in report.shown(include).iter_slices(CHUNK_ROWS):
        out.write(
            "".join(
                orjson.dumps(result_dict(row, lang)).decode() + "\n"
                for row in chunk.iter_rows(named=True)
            )
        )
        written += chunk.height
    return written


def csv_frame(
    report: Report, lang: Lang = "zh", *, include: Iterable[str] | None = None
) -> pl.DataFrame:
    """The CSV's frame: one result a row; cells as ``ref=value; …``."""
    shown = report.shown(include)
    wanted = ("status", "lhs", "rhs", "diff", "tolerance", "reason", "op", "decimals")
    present = [c for c in wanted if c in shown.columns]
    messages = [result_message(r, lang) for r in shown.select(present).iter_rows(named=True)]
    cell = pl.element().struct
    label = pl.coalesce(
        cell.field("ref"), pl.concat_str([cell.field("table"), pl.lit("."), cell.field("column")])
    )
    value = cell.field("value").round(4).cast(pl.Utf8).fill_null("")
    cells = pl.col("cells").list.eval(pl.concat_str([label, pl.lit("="), value])).list.join("; ")
    return shown.select(
        pl.col("id").alias("document"),
        "path",
        "rule",
        "title",
        "severity",
        "status",
        pl.col("rule_table").alias("table"),
        "row",
        "column",
        *(
            (
                pl.col("source").struct.field(name)
                if "source" in shown.columns
                else pl.lit(None, pl.Int32 if name != "file" else pl.String)
            ).alias(f"source_{name}")
            for name in ("file", "page", "line")
        ),
        *(pl.col(c).round(4) for c in ("lhs", "rhs", "diff", "tolerance")),
        pl.Series("message", messages, dtype=pl.Utf8),
        "rule_file",
        "rule_line",
        cells.alias("cells"),
        waived_flag(shown).alias("waived"),
    ).select(CSV_COLUMNS)


def render_csv(report: Report, lang: Lang = "zh", *, include: Iterable[str] | None = None) -> str:
    """The CSV text (header first); control characters from documents shown escaped, so no
    quoted field puts a line of a document's choosing into a CI log."""
    return inert_frame(csv_frame(report, lang, include=include)).write_csv()


def render_jsonl(report: Report, lang: Lang = "zh", *, include: Iterable[str] | None = None) -> str:
    """The JSON Lines text."""
    import io

    buffer = io.StringIO()
    write_jsonl(report, buffer, lang, include=include)
    return buffer.getvalue()
