"""Where each cell of a batch was published: file, page and box (PDF) or line (text).

Imported tables carry ``provenance`` (its file, and per row the page or line, the
row's box and each cell's box and printed text: see docs/import.md); hand
transcriptions may carry ``source_lines`` (the text line of each row). Both are
gathered while documents are framed (a list extend per table, no loop per row)
into one long frame, a row per cell and per row:

``document`` UInt32, ``table`` (role), ``row`` UInt32, ``column`` (null: the whole
row), ``file``, ``page``, ``line``, ``bbox`` (x0, top, x1, bottom in PDF points from
the page's top-left). A row whose ``table`` is null names a document's published
file (``meta.source.file``), which its statements' pages and lines refer to.

Documents without either field add nothing to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from checker import pointers

_BOX: Final = pl.List(pl.Float64)
SCHEMA: Final[dict[str, pl.DataType]] = {
    "document": pl.UInt32(),
    "table": pl.String(),
    "row": pl.UInt32(),
    "column": pl.String(),
    "file": pl.String(),
    "page": pl.Int32(),
    "line": pl.Int32(),
    "bbox": _BOX,
    # the import could not decide this cell's column: read as null (docs/import.md)
    "unresolved": pl.Boolean(),
}
EMPTY: Final = pl.DataFrame(schema=SCHEMA)


def _row_schema(columns: Sequence[str]) -> pl.Struct:
    cell = pl.Struct({"bbox": _BOX, "line": pl.Int32, "unresolved": pl.Boolean})
    return pl.Struct(
        {
            "page": pl.Int32,
            "line": pl.Int32,
            "bbox": _BOX,
            "cells": pl.Struct({name: cell for name in columns}),
        }
    )


@dataclass
class ProvenancePour:
    """Provenance of a chunk of documents, gathered table by table."""

    columns: Mapping[str, Sequence[str]]  # role → its column names (the schema's)
    _rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lines: dict[str, list[Any]] = field(default_factory=dict)
    _files: list[tuple[int, str]] = field(default_factory=list)

    def add_document(self, document: int, file: str | None) -> None:
        """The file a document was published as (``meta.source.file``), if it names one."""
        if file is not None:
            self._files.append((document, file))

    def add(self, document: int, role: str, table: Mapping[str, Any], file: str | None) -> None:
        """One table's provenance (nothing when it has none)."""
        found = table.get("provenance")
        if isinstance(found, Mapping) and isinstance(found.get("rows"), list):
            self._rows.setdefault(role, []).append(
                {"document": document, "file": found.get("file") or file, "rows": found["rows"]}
            )
        elif isinstance(table.get("source_lines"), list):
            self._lines.setdefault(role, []).append(
                {"document": document, "file": file, "lines": table["source_lines"]}
            )

    def frame(self) -> pl.DataFrame:
        """The long frame (see the module doc); :data:`EMPTY` when nothing was gathered."""
        parts = [self._from_rows(role, items) for role, items in self._rows.items()]
        parts += [self._from_lines(role, items) for role, items in self._lines.items()]
        if self._files:
            documents, files = zip(*self._files, strict=True)
            parts.append(
                pl.DataFrame({"document": documents, "file": files}).select(
                    (pl.col(name) if name in ("document", "file") else pl.lit(None))
                    .cast(dtype)
                    .alias(name)
                    for name, dtype in SCHEMA.items()
                )
            )
        if not parts:
            return EMPTY
        return pl.concat(parts, how="vertical")

    def _from_rows(self, role: str, items: list[dict[str, Any]]) -> pl.DataFrame:
        columns = list(self.columns.get(role, ()))
        schema: dict[str, pl.DataType] = {
            "document": pl.UInt32(),
            "file": pl.String(),
            "rows": pl.List(_row_schema(columns)),
        }
        try:
            frame = pl.from_dicts(items, schema=schema, strict=False)
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            return EMPTY  # provenance is evidence, never a reason to drop a document
        rows = (
            frame.with_columns(
                pl.int_ranges(pl.col("rows").list.len(), dtype=pl.UInt32).alias("row")
            )
            .explode("rows", "row")
            .drop_nulls("rows")
            .unnest("rows")
        )
        whole = rows.select(
            "document",
            pl.lit(role).alias("table"),
            "row",
            pl.lit(None, pl.String).alias("column"),
            "file",
            "page",
            "line",
            "bbox",
            pl.lit(None, pl.Boolean).alias("unresolved"),
        )
        cells = [
            rows.filter(pl.col("cells").struct.field(name).is_not_null()).select(
                "document",
                pl.lit(role).alias("table"),
                "row",
                pl.lit(name).alias("column"),
                "file",
                "page",
                pl.coalesce(pl.col("cells").struct.field(name).struct.field("line"), "line").alias(
                    "line"
                ),
                pl.col("cells").struct.field(name).struct.field("bbox").alias("bbox"),
                pl.col("cells").struct.field(name).struct.field("unresolved").alias("unresolved"),
            )
            for name in columns
        ]
        return pl.concat([whole, *cells], how="vertical").cast(SCHEMA)  # type: ignore[arg-type]

    @staticmethod
    def _from_lines(role: str, items: list[dict[str, Any]]) -> pl.DataFrame:
        schema: dict[str, pl.DataType] = {
            "document": pl.UInt32(),
            "file": pl.String(),
            "lines": pl.List(pl.Int32),
        }
        try:
            frame = pl.from_dicts(items, schema=schema, strict=False)
        except (pl.exceptions.PolarsError, TypeError, ValueError):
            return EMPTY
        return (
            frame.with_columns(
                pl.int_ranges(pl.col("lines").list.len(), dtype=pl.UInt32).alias("row")
            )
            .explode("lines", "row")
            .drop_nulls("lines")
            .select(
                "document",
                pl.lit(role).alias("table"),
                "row",
                pl.lit(None, pl.String).alias("column"),
                "file",
                pl.lit(None, pl.Int32).alias("page"),
                pl.col("lines").alias("line"),
                pl.lit(None, _BOX).alias("bbox"),
                pl.lit(None, pl.Boolean).alias("unresolved"),
            )
            .cast(SCHEMA)  # type: ignore[arg-type]
        )


def source_file(meta: Any) -> str | None:
    """The published file a document was read from (``meta.source.file``), if named."""
    if isinstance(meta, Mapping):
        source = meta.get("source")
        if isinstance(source, Mapping) and isinstance(source.get("file"), str):
            return str(source["file"])
    return None


def place_of(document: Mapping[str, Any], pointer: str) -> dict[str, Any] | None:
    """Where the cell at a JSON pointer (``/tables/<role>/rows/<i>/<column>`` or
    ``/statements/<name>/value``) of one document was published: ``file`` and ``page``,
    ``bbox`` or ``line`` (only the fields known), or None."""
    parts = pointers.parse(pointer)
    file = source_file(document.get("meta"))
    found: dict[str, Any] = {}
    try:
        if len(parts) >= 4 and parts[0] == "tables" and parts[2] == "rows":
            table, row = document["tables"][parts[1]], int(parts[3])
            column = parts[4] if len(parts) > 4 else None
            provenance = table.get("provenance")
            if isinstance(provenance, Mapping) and isinstance(provenance.get("rows"), list):
                place = provenance["rows"][row] or {}
                cell = (place.get("cells") or {}).get(column) or {}
                found = {
                    "file": provenance.get("file") or file,
                    "page": place.get("page"),
                    "line": cell.get("line", place.get("line")),
                    "bbox": cell.get("bbox", place.get("bbox")),
                }
            elif isinstance(table.get("source_lines"), list):
                found = {"file": file, "line": table["source_lines"][row]}
        elif len(parts) >= 2 and parts[0] == "statements":
            stated = document["statements"][parts[1]]
            found = {"file": file, "page": stated.get("page"), "line": stated.get("line")}
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    found = {k: v for k, v in found.items() if v is not None}
    return found if ("page" in found or "line" in found) else None
