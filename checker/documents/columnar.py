"""Documents whose tables come as columnar files (Parquet, Arrow IPC, CSV) or Polars frames.

The layout (docs/columnar.md): a folder holding ``meta.json`` and one file per table,
named by its role (``明细表.parquet``). ``meta.json`` is the document as JSON without
the rows of those tables: ``meta``, optionally ``tables`` (each table's ``name``,
``unit``, ``note``; a table without a file may list its ``rows`` there) and
``statements``. Table files: ``.parquet``, ``.arrow`` / ``.ipc`` / ``.feather``
(Arrow IPC) and ``.csv`` (UTF-8, a header row; every cell read as text and parsed by
its column's kind).

Checked against the template's schema as a JSON document is, with the same messages:
``meta.json`` with each file's table as an empty ``rows`` list (unknown tables, required
tables, meta fields) by the schema validator, then each table file column by column
(:func:`check_columns`): unknown and missing required columns, each column's type
(amounts numeric, text as text), empty cells where the schema has no ``null``, and the
values' own keywords (``pattern``, ``enum``, ``minLength``, ``minimum`` …) on the
column's distinct values. A cell that fails is named by its JSON pointer
(``/tables/明细表/rows/17/a01``) in its table file; at most :data:`CELLS_SHOWN` cells
per column and problem are listed, then how many more.

The files are scanned lazily (``pl.scan_parquet`` …): only the template's columns are
read, and only once the document is valid.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from checker import pointers
from checker.diagnostics import Diagnostic, Location, register
from checker.documents.parsing import parse_document
from checker.documents.schema import _show

LAYOUT_FILE: Final = "meta.json"
SUFFIXES: Final = {
    ".parquet": "parquet",
    ".arrow": "ipc",
    ".ipc": "ipc",
    ".feather": "ipc",
    ".csv": "csv",
}
CELLS_SHOWN: Final = 5  # cells listed per column and problem; the rest are counted
# the checks read one column at a time, in chunks: a streamed table is never held whole
STREAMING: Final = "streaming"

register(
    {
        "doc.columnar-file": (
            "{file} 不是表文件：列式文档的表文件为 .parquet、.arrow / .ipc / .feather 或 "
            ".csv，以表名命名",
            "{file} is not a table file: a columnar document's tables are .parquet, "
            ".arrow / .ipc / .feather or .csv files named by their table",
        ),
        "doc.columnar-twice": (
            "表 {table} 给出了两次：{files}",
            "table {table} is given twice: {files}",
        ),
        "doc.columnar-read": (
            "无法读取表文件：{error}",
            "cannot read the table file: {error}",
        ),
        "doc.column-type": (
            "表 {table} 的列 {column} 类型为 {dtype}，应为{expected_zh}",
            "column {column} of table {table} is of type {dtype}; expected {expected_en}",
        ),
        "doc.required-column": (
            "表 {table} 缺少必需的列 {key}",
            "table {table} lacks the required column {key}",
        ),
        "doc.more-cells": (
            "列 {column} 另有 {count} 个单元格有同样的问题，未一一列出",
            "{count} more cells of column {column} have the same problem (not listed)",
        ),
    }
)


@dataclass(frozen=True)
class TableFile:
    """One table's rows as a lazy frame, and where they were read (for messages)."""

    role: str
    frame: pl.LazyFrame
    file: str
    text: bool = False  # CSV: every cell is text, parsed by its column's kind
    # larger than --max-bytes: never read whole, its rows streamed (see read_folder)
    streamed: bool = False


@dataclass(frozen=True)
class ColumnarInput:
    """A document whose tables' rows are frames: the rest of the document as JSON
    (``skeleton``), the tables, and a name for messages (the folder)."""

    file: str
    skeleton: dict[str, Any]
    tables: tuple[TableFile, ...]
    default_id: str


def is_columnar(path: Path) -> bool:
    """Whether ``path`` is a columnar document: a folder holding ``meta.json``."""
    return path.is_dir() and (path / LAYOUT_FILE).is_file()


def read_folder(
    path: Path, max_bytes: int, *, stream: bool = False
) -> tuple[ColumnarInput | None, list[Diagnostic]]:
    """The columnar document in folder ``path``: ``meta.json`` read and parsed (as a JSON
    document is), each table file checked to be a regular file under ``max_bytes`` and
    scanned (not read). With ``stream``, a larger table file is not refused but marked
    ``streamed``: its rows are never held whole (``check`` streams them where every rule
    over the table allows it: checker.rowpass). Never raises: ``(None, diagnostics)``
    when it cannot be used."""
    from checker.files import InputFileError, open_input, read_input

    folder = str(path)
    layout = path / LAYOUT_FILE
    try:
        data = read_input(layout, max_bytes)
    except InputFileError as exc:
        return None, [exc.diagnostic()]
    skeleton, problems = parse_document(data, str(layout))
    if skeleton is None:
        return None, problems
    if not isinstance(skeleton, dict):  # pragma: no cover - parse_document gives objects
        return None, []
    tables: list[TableFile] = []
    seen: dict[str, str] = {}
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as exc:
        args = {"path": folder, "error": exc.strerror or str(exc)}
        return None, [Diagnostic("doc.folder-unreadable", Location(folder), args)]
    for entry in entries:
        name = entry.name
        if name == LAYOUT_FILE or name.startswith("."):
            continue
        file = os.path.join(folder, name)
        kind = SUFFIXES.get(Path(name).suffix.lower())
        if kind is None:
            problems.append(Diagnostic("doc.columnar-file", Location(file), {"file": name}))
            continue
        role = Path(name).stem
        if role in seen:
            args = {"table": role, "files": f"{seen[role]}, {name}"}
            problems.append(Diagnostic("doc.columnar-twice", Location(file), args))
            continue
        seen[role] = name
        try:  # a regular file under the limit (a FIFO or a device is refused, never waited on)
            with open_input(file, sys.maxsize if stream else max_bytes) as handle:
                streamed = os.fstat(handle.fileno()).st_size > max_bytes
            frame = _scan(file, kind)
        except InputFileError as exc:
            problems.append(exc.diagnostic())
            continue
        except (pl.exceptions.PolarsError, OSError) as exc:
            args = {"error": _first_line(exc)}
            problems.append(Diagnostic("doc.columnar-read", Location(file), args))
            continue
        tables.append(TableFile(role, frame, file, text=kind == "csv", streamed=streamed))
    if problems:
        return None, problems
    return ColumnarInput(folder, skeleton, tuple(tables), path.name), []


def _scan(file: str, kind: str) -> pl.LazyFrame:
    if kind == "parquet":
        return pl.scan_parquet(file)
    if kind == "ipc":
        return pl.scan_ipc(file)
    return pl.scan_csv(file, infer_schema=False, encoding="utf8")


def from_frames(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    document: Mapping[str, Any] | None = None,
    name: str = "<frames>",
) -> ColumnarInput:
    """A columnar document from Polars frames (one per table role) and the rest of the
    document (``meta``, table titles and units, ``statements``) as a JSON-like mapping."""
    skeleton = dict(document or {})
    given = tuple(
        TableFile(role, frame.lazy(), f"{name}[{role}]") for role, frame in tables.items()
    )
    meta = skeleton.get("meta")
    default = meta.get("id") if isinstance(meta, Mapping) else None
    return ColumnarInput(name, skeleton, given, str(default or name))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- checking


def skeleton_document(given: ColumnarInput) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The document the schema validates: ``meta.json`` with each table file's table as
    an entry with empty ``rows`` (its ``name`` the role when ``meta.json`` gives none)."""
    document = dict(given.skeleton)
    tables = document.get("tables")
    listed: dict[str, Any] = dict(tables) if isinstance(tables, Mapping) else {}
    problems: list[Diagnostic] = []
    for table in given.tables:
        entry = listed.get(table.role)
        if entry is None:
            entry = {"name": table.role}
        elif not isinstance(entry, Mapping):
            continue  # the schema says what is wrong with it
        elif "rows" in entry:
            args = {"table": table.role, "files": f"{LAYOUT_FILE} rows, {Path(table.file).name}"}
            problems.append(Diagnostic("doc.columnar-twice", Location(table.file), args))
            continue
        listed[table.role] = {**entry, "rows": []}
    if listed or "tables" in document:
        document["tables"] = listed
    return document, problems


@dataclass(frozen=True)
class _ColumnRule:
    """What the schema asks of one column's values."""

    name: str
    kind: str  # the frames' kind: amount or text
    types: frozenset[str]  # JSON types allowed (number, integer, string, null, …)
    schema: Mapping[str, Any] | None  # the value's schema when it has keywords beyond type


_PLAIN_KEYWORDS: Final = frozenset(
    {"type", "description", "title", "$comment", "examples", "default", "deprecated"}
)
_PLAIN_KEYWORDS_X: Final = "x-"  # rulecheck's own annotations say nothing about values


def check_columns(
    spec: Any, table: TableFile, frame_schema: Mapping[str, pl.DataType]
) -> list[Diagnostic]:
    """Every way the table file's columns break the schema (see the module doc)."""
    role = table.role
    if role not in spec.tables:
        return []  # an unknown table: the skeleton's validation says so
    items = spec.row_schema(role)
    known = spec.known_properties(items)
    problems: list[Diagnostic] = []
    where = Location(table.file)
    closed = (
        items.get("additionalProperties") is False or items.get("unevaluatedProperties") is False
    )
    for column in frame_schema:
        if column not in known and closed:
            problems.append(spec._unknown(["tables", role, "rows", 0], column, known, where))
    for key in items.get("required", ()):
        if key not in frame_schema:
            args = {"table": role, "key": key}
            problems.append(Diagnostic("doc.required-column", where, args))
    if problems:
        return problems
    rules = [_column_rule(spec, items, c.name, c.kind) for c in spec.tables[role]]
    for rule in rules:
        if rule.name in frame_schema:
            problems.extend(_check_column(spec, table, rule, frame_schema[rule.name]))
    return problems


def _column_rule(spec: Any, items: Mapping[str, Any], name: str, kind: str) -> _ColumnRule:
    prop = spec.property_schema(items, name) or {}
    declared = prop.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    if not types:  # e.g. an enum of strings: text (checker.documents.schema._column_kind)
        types = {"string", "null"} if kind == "text" else {"number", "null"}
    extra = [k for k in prop if k not in _PLAIN_KEYWORDS and not k.startswith(_PLAIN_KEYWORDS_X)]
    value_schema = {**spec.definitions(), **prop} if extra else None
    return _ColumnRule(name, kind, frozenset(types), value_schema)


_EXPECTED: Final = {
    "amount": ("数字", "a number"),
    "text": ("文本", "text"),
}


def _check_column(
    spec: Any, table: TableFile, rule: _ColumnRule, dtype: pl.DataType
) -> list[Diagnostic]:
    """One column: its type, then its cells (only the column is read)."""
    col = pl.col(rule.name)
    fits = _fits(rule.kind, dtype, table.text)
    if not fits:
        zh, en = _EXPECTED[rule.kind]
        args = {
            "table": table.role,
            "column": rule.name,
            "dtype": str(dtype),
            "expected_zh": zh,
            "expected_en": en,
        }
        return [Diagnostic("doc.column-type", Location(table.file), args)]
    value = _typed(col, rule.kind, dtype, table.text)
    # cells that are not of the column's kind (CSV text that is not a number), empty
    # cells where null is not allowed, and values the value schema rejects
    checks: list[tuple[pl.Expr, str]] = []
    if table.text and rule.kind == "amount":
        checks.append((col.is_not_null() & value.is_null(), "type"))
    if "null" not in rule.types:
        checks.append((col.is_null(), "null"))
    problems: list[Diagnostic] = []
    for bad, what in checks:
        found = (
            table.frame.with_row_index("__row")
            .select("__row", col)
            .filter(bad)
            .collect(engine=STREAMING)
        )
        problems.extend(_cell_problems(spec, table, rule, found, what))
    if rule.schema is not None and not problems:
        problems.extend(_value_problems(spec, table, rule, value))
    return problems


def _fits(kind: str, dtype: pl.DataType, text: bool) -> bool:
    if dtype == pl.Null:
        return True
    if kind == "amount":
        return text or dtype.is_numeric()
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def _typed(col: pl.Expr, kind: str, dtype: pl.DataType, text: bool) -> pl.Expr:
    """The column as the frames hold it before scaling: amounts Float64, text String."""
    if kind == "amount":
        if text or dtype == pl.String:
            return col.str.strip_chars().cast(pl.Float64, strict=False)
        return col.cast(pl.Float64)
    return col.cast(pl.String)


def _cell_problems(
    spec: Any, table: TableFile, rule: _ColumnRule, found: pl.DataFrame, what: str
) -> list[Diagnostic]:
    """The first cells of ``found`` (``__row``, the column) as diagnostics, the rest counted."""
    problems: list[Diagnostic] = []
    expected = sorted(rule.types - {"null"}) or ["null"]
    for row, value in found.head(CELLS_SHOWN).iter_rows():
        where = _cell(table, row, rule.name)
        if what == "null":
            problems.append(spec._type_error(expected, None, where))
        else:  # CSV text that is not a number (JSON's hints about quotes do not apply)
            args = {**_TEXT_NOT_NUMBER, "value": _show(value)}
            problems.append(Diagnostic("doc.type", where, args))
    if found.height > CELLS_SHOWN:
        more = {"column": rule.name, "count": found.height - CELLS_SHOWN}
        problems.append(Diagnostic("doc.more-cells", Location(table.file), more))
    return problems


_TEXT_NOT_NUMBER: Final = {
    "expected_zh": "数字",
    "expected_en": "a number",
    "actual_zh": "文本",
    "actual_en": "the text",
}


def _cell(table: TableFile, row: int, column: str) -> Location:
    return Location(table.file, pointer=pointers.build("tables", table.role, "rows", row, column))


def _value_problems(
    spec: Any, table: TableFile, rule: _ColumnRule, value: pl.Expr
) -> list[Diagnostic]:
    """The column's distinct values checked against its value schema (the same validators
    and messages as a JSON document's cells), each bad value named at its first cells."""
    import jsonschema_rs

    assert rule.schema is not None
    distinct = table.frame.select(value.drop_nulls().unique()).collect(engine=STREAMING).to_series()
    validator = jsonschema_rs.validator_for(dict(rule.schema))
    values = distinct.to_list()
    if rule.kind == "amount":  # JSON numbers: an integral float is an integer to the schema
        values = [int(v) if float(v).is_integer() else v for v in values]
    bad = [v for v in values if not validator.is_valid(v)]
    if not bad:
        return []
    from jsonschema import Draft202012Validator

    slow = Draft202012Validator(dict(rule.schema))
    wanted = pl.Series(bad, dtype=distinct.dtype) if rule.kind != "amount" else None
    rows = (
        table.frame.with_row_index("__row")
        .select("__row", value.alias("v"))
        .filter(pl.col("v").is_in(wanted.implode()) if wanted is not None else _any_of(bad))
        .collect(engine=STREAMING)
    )
    problems: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    for row, cell in rows.head(CELLS_SHOWN).iter_rows():
        shown = int(cell) if rule.kind == "amount" and float(cell).is_integer() else cell
        for error in slow.iter_errors(shown):
            error.path.extendleft(reversed(["tables", table.role, "rows", row, rule.name]))
            problems.extend(spec._diagnose(error, None, table.file, None, seen))
    if rows.height > CELLS_SHOWN:
        args = {"column": rule.name, "count": rows.height - CELLS_SHOWN}
        problems.append(Diagnostic("doc.more-cells", Location(table.file), args))
    return problems


def _any_of(values: list[Any]) -> pl.Expr:
    return pl.col("v").is_in(pl.Series(values, dtype=pl.Float64).implode())


def table_frame(
    spec: Any, table: TableFile, frame_schema: Mapping[str, pl.DataType]
) -> pl.LazyFrame:
    """The table's rows as the loader's frames hold them before scaling: the schema's
    columns in schema order, amounts Float64, text String, absent columns null."""
    exprs = []
    for column in spec.tables[table.role]:
        if column.name in frame_schema:
            exprs.append(
                _typed(pl.col(column.name), column.kind, frame_schema[column.name], table.text)
            )
        else:
            dtype = pl.Float64 if column.kind == "amount" else pl.String
            exprs.append(pl.lit(None, dtype).alias(column.name))
    return table.frame.select(exprs)


def as_document(spec: Any, path: Path, max_bytes: int) -> dict[str, Any]:
    """A (valid) columnar document as the JSON document it stands for, its tables' rows
    as objects (what the reference evaluator behind ``explain`` reads)."""
    given, problems = read_folder(path, max_bytes)
    if given is None:  # pragma: no cover - loaded and validated before
        raise ValueError(problems)
    document, _ = skeleton_document(given)
    tables = dict(document.get("tables") or {})
    for table in given.tables:
        if table.role in spec.tables:
            frame = table_frame(spec, table, table.frame.collect_schema()).collect()
            tables[table.role] = {**tables[table.role], "rows": frame.to_dicts()}
    return {**document, "tables": tables}


__all__ = [
    "CELLS_SHOWN",
    "LAYOUT_FILE",
    "SUFFIXES",
    "ColumnarInput",
    "TableFile",
    "as_document",
    "check_columns",
    "from_frames",
    "is_columnar",
    "read_folder",
    "skeleton_document",
    "table_frame",
]
