"""Read budget documents, validate them, and build one Polars frame per table for ALL documents.

Pipeline, per document: read the bytes (read-only, size checked before reading),
parse with orjson, catch what orjson cannot say (BOM, non-UTF-8, NaN, duplicate
keys, nesting), validate against the document schema, then pour every valid
document's rows into columnar frames shared by the whole batch.

Why two validators. A batch may hold 100,000 documents and nearly all are
valid, so the gate must be fast: a compiled ``jsonschema_rs`` validator answers
yes/no (``is_valid``) for each document. Only a rejected document is handed to
python-jsonschema's ``Draft202012Validator.iter_errors``, whose error objects
carry the schema keyword, the offending instance and its path, which is what an
actionable message needs (every violation, each with its JSON pointer, with a
did-you-mean for unknown columns and tables, and what a quoted number looks
like).

Why scaled integers. Amounts are published rounded to 0.01 万元 and rules test
identities such as ``收入总计 = 本年收入合计 + 上年结转结余``; with floats
0.1 + 0.2 != 0.3. Every amount column (a template ``amount`` column; schema
type ``number``) is stored as Int64 ``round(x * SCALE)`` with ``SCALE = 10_000``
(4 decimals), converted once, vectorised, from the parsed float column. The
conversion is exact for any value with at most 4 decimals and
``|x| <= MAX_AMOUNT`` (2**53 / SCALE): ``x * SCALE`` is then within a few ulps
of the integer it stands for. A cell farther from an integer has more than 4
decimals (or is too large) and is reported (``doc.decimals``,
``doc.amount-range``), never silently rounded.

Bulk loading: the Python objects of a chunk of documents (``CHUNK_DOCUMENTS``)
are poured into per-table lists with ``list.extend`` (a loop per document,
none per row or cell), then one ``pl.from_dicts`` per table builds the chunk's
frame (measured faster than Polars' own JSON reader, column-wise lists or
``itemgetter`` rows); chunks bound the memory held in Python objects. The
chunks are concatenated once, and only then get their ``document``/``row``
columns and their amounts scaled (one vectorised pass per table). The garbage
collector is paused while loading (JSON trees hold no cycles). A large batch
(``PARALLEL_MIN_BYTES``) is loaded by worker processes, one per core: each
reads, parses, checks, validates and frames whole chunks and sends the frames
back (pickled: Arrow IPC); the chunks keep their input order, so indexes,
statuses and frames are the same as in one process.

Duplicate keys are caught without a second parse: see :func:`_may_have_duplicates`
(a byte count compared with the parsed object's key count, exact by
construction; only a mismatch pays for the exact re-parse).

Invalid documents are dropped from the frames (so a batch with a few broken
files can still be checked) and their diagnostics are kept in
:attr:`Batch.statuses`. The ``document`` index is the position of the document
in the input order (all documents read, valid or not), so it is stable whether
or not its neighbours are valid.

Frame layouts (column types come from the schema, so another template's
schema needs no code change):

* ``documents``: ``document`` UInt32, ``id`` String (``meta.id``, else the file
  name stem, or ``file:line`` for NDJSON), ``path`` String, ``line`` UInt32
  (NDJSON line, else null), then the schema's scalar ``meta`` fields in schema
  order (``meta.id`` is the ``id`` column).
* ``tables[role]``: ``document`` UInt32, ``row`` UInt32 (the row's index within
  its document's table, 0-based like the JSON pointer), then the schema's
  columns in schema order: amounts Int64 scaled by SCALE, text and code
  columns String (as :mod:`checker.template` reads them).
* ``table_info``: ``document``, ``table`` (role), ``name`` (published title),
  ``unit``, ``note``, ``empty``, ``rows`` (row count): one row per table present
  in a valid document.
* ``statements``: ``document``, ``name``, then the statement fields in schema
  order (``value`` Int64 scaled, ``unit``, ``wording``, ``text``, ``line``).
  Meta and statement fields: number -> scaled Int64, integer -> Int64,
  string -> String, boolean -> Boolean.
"""

from __future__ import annotations

import difflib
import gc
import glob
import json
import os
import re
import sys
import unicodedata
from collections import deque
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from itertools import chain, islice, repeat
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Literal

import orjson
import polars as pl

from checker.collecting import SMALL_BATCH, collect_plans
from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register
from checker.resources import schema_path
from checker.template import Template, template_from_schema

if TYPE_CHECKING:
    from concurrent.futures import Future

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_AMOUNT",
    "SCALE",
    "Batch",
    "Column",
    "DocumentSchema",
    "DocumentStatus",
    "Source",
    "from_scaled",
    "iter_sources",
    "load_documents",
    "load_objects",
    "load_schema",
    "parse_document",
    "to_scaled",
    "unscale",
]

SCALE: Final = 10_000
"""Amounts are stored as ``round(x * SCALE)`` in Int64: exact to 4 decimals."""

MAX_AMOUNT: Final = 2**53 // SCALE
"""Largest amount magnitude that converts exactly (about 9.0e11)."""

DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
"""Documents larger than this are rejected without being read."""

PARSER_DEPTH_LIMIT: Final = 1024  # orjson's nesting limit
STDIN_NAME: Final = "<stdin>"
# Frames are built per chunk of documents, to bound the memory held in Python objects.
# Measured (2,000 documents, alternating runs): in one process chunks of 500 take ~20%
# less CPU than chunks of 100 (for ~90 MiB more); in a worker 100 is as fast as 250 and
# faster than 500 (the last chunks leave a core idle), and keeps a worker at ~120 MiB.
CHUNK_DOCUMENTS: Final = 500
# Worker processes (see load_documents) take ~0.6-0.9 s to start (Python, Polars, the
# validator). Measured with 2 cores: 500 documents of ~100 KB load in 0.9 s here, 1.6 s
# with workers; 1,000 in 2.7-3.0 s here, 2.2 s with workers (break-even ~70 MB).
PARALLEL_MIN_BYTES: Final = 100_000_000
PARALLEL_CHUNK_DOCUMENTS: Final = 100  # documents per worker task (see above)
MAX_JOBS: Final = 8  # worker processes at most (by default: the available cores)
# Documents per batch when streaming (iter_batches): what one evaluation holds at once.
BATCH_DOCUMENTS: Final = 2_000
DOCUMENT_SUFFIXES: Final = (".json", ".ndjson", ".jsonl")
_NDJSON_SUFFIXES: Final = (".ndjson", ".jsonl")

# --------------------------------------------------------------------------- messages

register(
    {
        "doc.not-found": (
            "找不到 {path}：没有这个文件或目录，也没有与之匹配的文件",
            "{path}: no such file or directory, and no file matches it",
        ),
        "doc.no-files": (
            "{path} 下没有 .json / .ndjson / .jsonl 文件",
            "no .json / .ndjson / .jsonl file under {path}",
        ),
        "doc.no-paths": ("没有给出要读取的文档", "no document paths given"),
        "doc.read-error": ("无法读取文件：{error}", "cannot read the file: {error}"),
        "doc.too-large": (
            "文档过大（{size} 字节，上限 {limit} 字节），未读取；可用 --max-bytes 调高上限",
            "document too large ({size} bytes, limit {limit}): not read; "
            "raise the limit with --max-bytes",
        ),
        "doc.empty": ("文件为空：没有 JSON 内容", "empty document: no JSON content"),
        "doc.bom": (
            "文件以 UTF-8 BOM（EF BB BF）开头，JSON 不允许 BOM：请另存为“UTF-8 无 BOM”",
            "the file starts with a UTF-8 byte order mark (EF BB BF), which JSON does "
            "not allow: save it as UTF-8 without BOM",
        ),
        "doc.encoding": (
            "不是有效的 UTF-8：第 {offset} 字节（0x{byte}）无法解码；请另存为 UTF-8",
            "not valid UTF-8: byte {offset} (0x{byte}) cannot be decoded; save the file as UTF-8",
        ),
        "hint.gbk": (
            "该文件看起来是 GBK/GB18030 编码",
            "the file looks like GBK/GB18030 encoded text",
        ),
        "doc.json": ("JSON 语法错误：{detail_zh}", "malformed JSON: {detail}"),
        "doc.nan": (
            "JSON 数字不允许 {token}（NaN 和 Infinity 不是合法的 JSON 数字）；空单元格请写 null",
            "{token} is not allowed in JSON numbers (NaN and Infinity are not JSON); "
            "write null for an empty cell",
        ),
        "doc.too-deep": (
            "嵌套层数过深（超过 JSON 解析上限 {limit} 层）；预算文档只有几层嵌套",
            "nesting too deep (over the parser's limit of {limit} levels); "
            "a budget document nests only a few levels",
        ),
        "doc.duplicate-key": (
            '键 "{key}" 重复出现：JSON 解析只保留最后一个值，前面的值会被静默丢弃',
            'duplicate key "{key}": a JSON parser keeps only the last value and '
            "silently drops the earlier ones",
        ),
        "doc.not-object": (
            "文档必须是一个 JSON 对象 {{…}}，这里却是{kind_zh}",
            "a document must be a JSON object {{…}}, not {kind_en}",
        ),
        "doc.required-table": ("缺少必需的表 {key}", "required table {key} is missing"),
        "doc.required": ("缺少必需的字段 {key}", "required field {key} is missing"),
        "doc.unknown-table": ("未知的表 {key}", "unknown table {key}"),
        "doc.unknown-column": ("表 {table} 没有列 {key}", "table {table} has no column {key}"),
        "doc.unknown-key": ("不允许的字段 {key}", "unexpected field {key}"),
        "hint.did-you-mean": ("是不是 {name}？", "did you mean {name}?"),
        "hint.table-alias": (
            "{key} 是表 {role} 的发布名称：tables 下的键请写 {role}（发布名称写在 name 中）",
            "{key} is a published title of table {role}: key the table as {role} "
            "(keep the published title in name)",
        ),
        "hint.allowed": ("允许的字段：{names}", "allowed fields: {names}"),
        "doc.number-as-string": (
            '应为数字，却是文本 "{value}"：看起来是数字 {number}，请去掉引号',
            'expected a number, got the text "{value}": it looks like the number '
            "{number}; remove the quotes",
        ),
        "doc.number-with-commas": (
            '应为数字，却是文本 "{value}"：看起来是数字 {number}，请去掉引号和千分位逗号',
            'expected a number, got the text "{value}": it looks like the number '
            "{number}; remove the quotes and the thousands separators",
        ),
        "doc.blank-as-string": (
            '应为数字或 null，却是文本 "{value}"：空单元格请写 null',
            'expected a number or null, got the text "{value}": write null for an empty cell',
        ),
        "doc.type": (
            "应为{expected_zh}，却是{actual_zh} {value}",
            "expected {expected_en}, got {actual_en} {value}",
        ),
        "doc.pattern": (
            '值 "{value}" 不符合格式 {pattern}',
            'value "{value}" does not match the format {pattern}',
        ),
        "doc.enum": (
            "值 {value} 不是允许的取值（{allowed}）",
            "value {value} is not one of the allowed values ({allowed})",
        ),
        "doc.minimum": (
            "值 {value} 小于下限 {limit}",
            "value {value} is below the minimum {limit}",
        ),
        "doc.maximum": (
            "值 {value} 大于上限 {limit}",
            "value {value} is above the maximum {limit}",
        ),
        "doc.min-length": ("不能为空字符串", "must not be an empty string"),
        "doc.schema": (
            "不符合文档结构：{detail}",
            "does not match the document schema: {detail}",
        ),
        "doc.decimals": (
            "金额 {value} 超过 4 位小数，无法精确表示；公开数据通常保留 2 位小数，请核对转录",
            "amount {value} has more than 4 decimals and cannot be held exactly; "
            "published figures have 2, check the transcription",
        ),
        "doc.amount-range": (
            "金额 {value} 绝对值过大（上限 {limit}），无法精确计算",
            "amount {value} is too large to compute exactly (limit {limit})",
        ),
        "doc.frame": (
            "文档数据无法装入表格：{detail}",
            "the document's data cannot be put into frames: {detail}",
        ),
        "doc.schema-file": (
            "无法使用文档结构文件（schema）{path}：{detail}",
            "cannot use the schema file {path}: {detail}",
        ),
    }
)

# orjson's messages, in Chinese (the English stays as orjson says it).
_JSON_DETAIL_ZH: Final[dict[str, str]] = {
    "unexpected character, expected ',' or ']'": "此处应为 ',' 或 ']'",
    "unexpected character, expected ',' or '}'": "此处应为 ',' 或 '}'",
    "unexpected character, expected a string key": "此处应为带双引号的键",
    "unexpected character, expected a JSON value": "此处应为一个 JSON 值",
    "unexpected character, expected ':' after key": "键后面应为 ':'",
    "invalid literal, expected 'true'": "无效的字面量，应为 true",
    "invalid literal, expected 'false'": "无效的字面量，应为 false",
    "invalid literal, expected 'null'": "无效的字面量，应为 null",
    "unexpected content after document": "文档结束后还有多余内容",
    "no digit after exponent sign": "指数符号后缺少数字",
    "no digit after decimal point": "小数点后缺少数字",
    "no digit after sign": "正负号后缺少数字",
    "unexpected end of data": "内容意外结束（括号或引号未闭合？）",
    "invalid escaped sequence in string": "字符串中有无效的转义序列",
    "trailing comma is not allowed": "不允许尾随逗号",
    "unexpected control character in string": "字符串中有未转义的控制字符（如换行、制表符）",
    "number with leading zero is not allowed": "数字不允许以 0 开头",
    "number is infinity when parsed as double": "数字超出范围（按双精度解析为无穷大）",
}

_KIND_WORDS: Final[dict[str, tuple[str, str]]] = {
    "object": ("对象", "an object"),
    "array": ("数组", "an array"),
    "string": ("文本", "a string"),
    "number": ("数字", "a number"),
    "integer": ("整数", "an integer"),
    "boolean": ("布尔值", "a boolean"),
    "null": ("null（空）", "null"),
}


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# --------------------------------------------------------------------------- amounts


# A value with at most 4 decimals, parsed to the nearest double, is within a few
# ulps of an integer once multiplied by SCALE; one with a 5th decimal is at
# least ~1e-5 * SCALE away, far beyond this relative tolerance. (Polars divides
# by a literal through its reciprocal, so "round(x*SCALE)/SCALE == x" would not
# be exact: compare the distance to the nearest integer instead.)
_ULPS: Final = 2.0**-50


def _inexact(value: float) -> bool:
    """Python twin of the vectorised check: more than 4 decimals."""
    product = value * SCALE
    return abs(product - round(product)) > max(abs(product), 1.0) * _ULPS


def to_scaled(value: float | int) -> int:
    """The scaled integer for an amount (the same rounding the frames use: half to even)."""
    return round(value * SCALE)


def from_scaled(value: int) -> Decimal:
    """The exact decimal for a scaled amount (``47089300`` -> ``Decimal('4708.93')``)."""
    exact = Decimal(value).scaleb(-4)
    return exact.quantize(Decimal(1)) if exact == exact.to_integral_value() else exact.normalize()


def unscale(expr: pl.Expr) -> pl.Expr:
    """A Float64 expression of a scaled amount column, for display or percentages."""
    return expr.cast(pl.Float64) / SCALE


# --------------------------------------------------------------------------- schema model

ColumnKind = Literal["amount", "integer", "text", "boolean"]

_DTYPES: Final[dict[str, pl.DataType]] = {
    "amount": pl.Int64(),
    "integer": pl.Int64(),
    "text": pl.String(),
    "boolean": pl.Boolean(),
}
# dtype while reading (amounts arrive as JSON numbers, i.e. floats or ints)
_READ_DTYPES: Final[dict[str, pl.DataType]] = {**_DTYPES, "amount": pl.Float64()}


@dataclass(frozen=True)
class Column:
    """A column of a table (or a meta/statement field) and how it is stored."""

    name: str
    kind: ColumnKind

    @property
    def dtype(self) -> pl.DataType:
        """The Polars type in the frames."""
        return _DTYPES[self.kind]


class DocumentSchema:
    """A document JSON Schema, its table/column layout, and both validators (built once).

    The tables and their columns come from :mod:`checker.template` (the same
    reading of the schema the resolver uses): a template ``amount`` column is
    stored scaled, ``text``/``code`` columns as String. Meta and statement
    fields are read here (JSON types: number -> scaled amount, integer ->
    Int64, string -> String, boolean -> Boolean).
    """

    def __init__(self, schema: Mapping[str, Any], path: str = "<schema>") -> None:
        import jsonschema_rs

        self.path = path
        self.raw: Mapping[str, Any] = schema
        try:
            self._fast: Any = jsonschema_rs.validator_for(dict(schema))
        except Exception as exc:  # invalid schema: a usage error of --schema
            raise _schema_error(path, str(exc)) from None
        self._slow: Any = None
        try:
            self.template: Template = template_from_schema(schema, path)
            meta = self._resolve(self._property(schema, "meta") or {})
            statements = self._resolve(self._property(schema, "statements") or {})
            extra = statements.get("additionalProperties")
            statement = self._resolve(extra) if isinstance(extra, Mapping) else {}
            self.meta_columns = tuple(c for c in self._columns(meta) if c.name != "id")
            self.statement_columns = self._columns(statement)
        except (KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise _schema_error(
                path, f"not a document schema of the expected shape ({exc!r})"
            ) from None
        self.tables: dict[str, tuple[Column, ...]] = {
            table.role: tuple(
                Column(c.name, "amount" if c.kind == "amount" else "text") for c in table.columns
            )
            for table in self.template.tables
        }

    # -- schema walking (local $ref and allOf only: enough for a template schema)

    def _resolve(self, node: Any) -> Mapping[str, Any]:
        seen = 0
        while isinstance(node, Mapping) and "$ref" in node and seen < 32:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#"):
                break
            target: Any = self.raw
            for part in ref[1:].split("/")[1:]:
                part = part.replace("~1", "/").replace("~0", "~")
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            merged = {k: v for k, v in node.items() if k != "$ref"}
            node = {**target, **merged} if isinstance(target, Mapping) else merged
            seen += 1
        return node if isinstance(node, Mapping) else {}

    def _property(self, node: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
        node = self._resolve(node)
        found = node.get("properties", {}).get(name)
        if found is not None:
            return self._resolve(found)
        for sub in node.get("allOf", []):
            found = self._property(sub, name)
            if found is not None:
                return found
        return None

    def known_properties(self, node: Mapping[str, Any]) -> list[str]:
        """Property names a schema node declares, through local $ref and allOf."""
        node = self._resolve(node)
        names = list(node.get("properties", {}))
        for sub in node.get("allOf", []):
            names.extend(n for n in self.known_properties(sub) if n not in names)
        return names

    def _columns(self, node: Mapping[str, Any]) -> tuple[Column, ...]:
        out = []
        for name in self.known_properties(node):
            prop = self._property(node, name) or {}
            kind = _column_kind(prop)
            if kind is not None:
                out.append(Column(name, kind))
        return tuple(out)

    # -- validation

    def is_valid(self, document: object) -> bool:
        """The fast gate (compiled jsonschema-rs validator)."""
        try:
            return bool(self._fast.is_valid(document))
        except (ValueError, TypeError, OverflowError, RecursionError):
            return False

    def explain(self, document: object, file: str, *, line: int | None = None) -> list[Diagnostic]:
        """Every schema violation of a document, each as a Diagnostic with its JSON pointer."""
        if self._slow is None:
            from jsonschema import Draft202012Validator

            self._slow = Draft202012Validator(self.raw)
        try:
            errors = list(self._slow.iter_errors(document))
        except RecursionError:
            errors = []
        out: list[tuple[tuple[Any, ...], Diagnostic]] = []
        seen: set[tuple[str, str]] = set()
        for error in errors:
            for diag in self._diagnose(error, document, file, line, seen):
                out.append((_document_order(document, diag.location.pointer or ""), diag))
        for diag in self._inexact_cells(document, file, line):
            out.append((_document_order(document, diag.location.pointer or ""), diag))
        if not out:  # the two validators disagree: trust the rejection, say what jsonschema-rs saw
            try:
                detail = "; ".join(str(e.message) for e in self._fast.iter_errors(document))
            except Exception as exc:  # pragma: no cover - defensive
                detail = str(exc)
            return [Diagnostic("doc.schema", Location(file, line, pointer=""), {"detail": detail})]
        out.sort(key=lambda pair: pair[0])
        return [d for _, d in out]

    def _inexact_cells(self, document: object, file: str, line: int | None) -> Iterator[Diagnostic]:
        """The decimals/range check of the frames, cell by cell, for a rejected document
        (so its report is complete in one run; valid documents get the vectorised check)."""
        if not isinstance(document, dict):
            return
        cells: list[tuple[list[Any], object]] = []
        tables = document.get("tables")
        for role, columns in self.tables.items():
            table = tables.get(role) if isinstance(tables, dict) else None
            rows = table.get("rows") if isinstance(table, dict) else None
            amounts = [c.name for c in columns if c.kind == "amount"]
            for i, row in enumerate(rows if isinstance(rows, list) else []):
                if isinstance(row, dict):
                    path = ["tables", role, "rows", i]
                    cells.extend(([*path, a], row.get(a)) for a in amounts)
        statements = document.get("statements")
        amounts = [c.name for c in self.statement_columns if c.kind == "amount"]
        for name, stated in statements.items() if isinstance(statements, dict) else []:
            if isinstance(stated, dict):
                cells.extend((["statements", name, a], stated.get(a)) for a in amounts)
        for path, value in cells:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if abs(value) > MAX_AMOUNT:
                code = "doc.amount-range"
            elif isinstance(value, float) and _inexact(value):
                code = "doc.decimals"
            else:
                continue
            yield Diagnostic(
                code,
                Location(file, line, pointer=_pointer(path)),
                {"value": _show(value), "limit": MAX_AMOUNT},
            )

    def _diagnose(
        self, error: Any, document: object, file: str, line: int | None, seen: set[tuple[str, str]]
    ) -> Iterator[Diagnostic]:
        path = list(error.absolute_path)
        pointer = _pointer(path)
        keyword = error.validator
        instance = error.instance

        def loc(p: str = pointer) -> Location:
            return Location(file, line, pointer=p)

        if keyword == "required" and isinstance(instance, Mapping):
            for key in error.validator_value:
                if key in instance or (pointer, key) in seen:
                    continue
                seen.add((pointer, key))
                code = "doc.required-table" if path == ["tables"] else "doc.required"
                yield Diagnostic(code, loc(_pointer([*path, key])), {"key": key})
            return
        if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(
            instance, Mapping
        ):
            known = self.known_properties(error.schema)
            patterns = list(error.schema.get("patternProperties", {}))
            extras = [
                k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)
            ]
            for key in extras:
                if (pointer, key) in seen:
                    continue
                seen.add((pointer, key))
                yield self._unknown(path, key, known, loc(_pointer([*path, key])))
            if extras:
                return
        if keyword == "type":
            yield self._type_error(error.validator_value, instance, loc())
            return
        if keyword == "pattern" and isinstance(instance, str):
            yield Diagnostic(
                "doc.pattern", loc(), {"value": instance, "pattern": error.validator_value}
            )
            return
        if keyword in ("enum", "const"):
            allowed = error.validator_value if keyword == "enum" else [error.validator_value]
            shown = "、".join(str(a) for a in allowed)
            names = [a for a in allowed if isinstance(a, str)]
            near = difflib.get_close_matches(str(instance), names, n=1, cutoff=0.3)
            yield Diagnostic(
                "doc.enum",
                loc(),
                {"value": _show(instance), "allowed": shown},
                hint="hint.did-you-mean" if near else None,
                hint_args={"name": near[0]} if near else {},
            )
            return
        if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            code = "doc.minimum" if "inimum" in keyword else "doc.maximum"
            yield Diagnostic(
                code, loc(), {"value": _show(instance), "limit": error.validator_value}
            )
            return
        if keyword == "minLength" and instance == "":
            yield Diagnostic("doc.min-length", loc())
            return
        yield Diagnostic("doc.schema", loc(), {"detail": str(error.message)})

    def _unknown(self, path: list[Any], key: str, known: list[str], where: Location) -> Diagnostic:
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.5)
        hint, hint_args = ("hint.did-you-mean", {"name": near[0]}) if near else (None, {})
        if path == ["tables"]:
            table = self.template.find_table(key)
            if table is not None:
                hint, hint_args = "hint.table-alias", {"key": key, "role": table.role}
            return Diagnostic(
                "doc.unknown-table", where, {"key": key}, hint=hint, hint_args=hint_args
            )
        if len(path) == 4 and path[0] == "tables" and path[2] == "rows":
            return Diagnostic(
                "doc.unknown-column",
                where,
                {"key": key, "table": path[1]},
                hint=hint,
                hint_args=hint_args,
            )
        if hint is None and known:
            hint, hint_args = "hint.allowed", {"names": ", ".join(known)}
        return Diagnostic("doc.unknown-key", where, {"key": key}, hint=hint, hint_args=hint_args)

    @staticmethod
    def _type_error(expected: Any, value: object, where: Location) -> Diagnostic:
        types = [expected] if isinstance(expected, str) else list(expected)
        if isinstance(value, str) and ("number" in types or "integer" in types):
            text = unicodedata.normalize("NFKC", value).strip()
            if text in _BLANKS and "null" in types:
                return Diagnostic("doc.blank-as-string", where, {"value": value})
            plain = text.replace(",", "").replace(" ", "")
            if _NUMBER.fullmatch(plain) and abs(Decimal(plain).adjusted()) <= 30:
                number = format(Decimal(plain).normalize(), "f")
                code = "doc.number-with-commas" if "," in text else "doc.number-as-string"
                return Diagnostic(code, where, {"value": value, "number": number})
        actual = _kind_of(value)
        words = [_KIND_WORDS.get(t, (t, t)) for t in types]
        return Diagnostic(
            "doc.type",
            where,
            {
                "expected_zh": "或".join(w[0] for w in words),
                "expected_en": " or ".join(w[1] for w in words),
                "actual_zh": _KIND_WORDS[actual][0],
                "actual_en": _KIND_WORDS[actual][1],
                "value": _show(value),
            },
        )


_BLANKS: Final = frozenset({"", "-", "--", "—", "——", "/", "\\", "N/A", "n/a", "无", "空"})
_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _show(value: object, limit: int = 60) -> str:
    """A short JSON rendering of a value for a message."""
    if isinstance(value, dict):
        return "{…}"
    if isinstance(value, list):
        return "[…]"
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _column_kind(prop: Mapping[str, Any]) -> ColumnKind | None:
    declared = prop.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or [])
    types.discard("null")
    if "number" in types:
        return "amount"
    if "integer" in types:
        return "integer"
    if "string" in types:
        return "text"
    if "boolean" in types:
        return "boolean"
    if not types and "enum" in prop and all(isinstance(v, str) for v in prop["enum"]):
        return "text"
    return None


def _schema_error(path: str, detail: str) -> RulecheckError:
    diag = Diagnostic("doc.schema-file", Location(path), {"path": path, "detail": detail})
    return RulecheckError([diag], ExitCode.USAGE)


@cache
def _load_schema_cached(path: str, mtime_ns: int) -> DocumentSchema:
    try:
        with open(path, "rb") as handle:
            raw = orjson.loads(handle.read())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise _schema_error(path, str(exc)) from None
    if not isinstance(raw, dict):
        raise _schema_error(path, "not a JSON object")
    return DocumentSchema(raw, path)


def load_schema(path: str | os.PathLike[str] | None = None) -> DocumentSchema:
    """Load (and cache) a document schema; the shipped budget-document schema by default."""
    resolved = str(schema_path() if path is None else path)
    try:
        mtime = os.stat(resolved).st_mtime_ns
    except OSError as exc:
        raise _schema_error(resolved, exc.strerror or str(exc)) from None
    return _load_schema_cached(resolved, mtime)


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class Source:
    """One input: a file (JSON, NDJSON, or sniffed) or standard input (``path is None``)."""

    name: str
    path: Path | None
    mode: Literal["json", "ndjson", "auto"]


def iter_sources(paths: Sequence[str]) -> list[Source]:
    """Expand files, directories (every *.json/*.ndjson/*.jsonl below, sorted), globs and ``-``.

    Resolved eagerly so that every path that matches nothing is reported (as a
    usage error, :class:`RulecheckError` with ``ExitCode.USAGE``) before
    anything is read. A file named twice (by the same path) is read once.
    """
    if not paths:
        raise RulecheckError([Diagnostic("doc.no-paths", Location("rulecheck"))], ExitCode.USAGE)
    out: list[Source] = []
    problems: list[Diagnostic] = []
    seen: set[str] = set()

    def add_file(path: Path) -> None:
        key = os.path.abspath(path)  # no syscalls: a directory walk may list 100,000 files
        if key in seen:
            return
        seen.add(key)
        suffix = path.suffix.lower()
        mode: Literal["json", "ndjson", "auto"] = (
            "ndjson" if suffix in _NDJSON_SUFFIXES else "json" if suffix == ".json" else "auto"
        )
        out.append(Source(str(path), path, mode))

    def add_dir(path: Path) -> bool:
        found = sorted(
            (p for p in path.rglob("*") if p.suffix.lower() in DOCUMENT_SUFFIXES and p.is_file()),
            key=lambda p: p.as_posix(),
        )
        for p in found:
            add_file(p)
        return bool(found)

    for given in paths:
        if given == "-":
            if STDIN_NAME not in seen:
                seen.add(STDIN_NAME)
                out.append(Source(STDIN_NAME, None, "auto"))
            continue
        path = Path(given)
        if path.is_dir():
            if not add_dir(path):
                problems.append(Diagnostic("doc.no-files", Location(given), {"path": given}))
        elif path.exists():
            add_file(path)
        elif glob.has_magic(given):
            matches = sorted(glob.glob(given, recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            dirs = [Path(m) for m in matches if Path(m).is_dir()]
            for f in files:
                add_file(f)
            found = [add_dir(d) for d in dirs]
            if not files and not any(found):
                problems.append(Diagnostic("doc.not-found", Location(given), {"path": given}))
        else:
            problems.append(Diagnostic("doc.not-found", Location(given), {"path": given}))
    if problems:
        raise RulecheckError(problems, ExitCode.USAGE)
    return out


@dataclass(frozen=True)
class _Raw:
    """The bytes of one document (or why there are none)."""

    file: str
    line: int | None  # NDJSON line
    default_id: str
    data: bytes | None
    problem: Diagnostic | None = None


def _read_source(source: Source, max_bytes: int, stdin: IO[bytes] | None) -> Iterator[_Raw]:
    stem = source.path.stem if source.path is not None else "stdin"
    if source.path is None:
        stream = stdin if stdin is not None else sys.stdin.buffer
        yield from _read_stream(stream, source, stem, max_bytes)
        return
    try:
        # read-only, never written; a 1 MiB buffer: NDJSON lines are ~100 KB, and
        # readline() on the default 8 KiB buffer copied each one several times
        with open(source.path, "rb", buffering=_READ_BUFFER) as handle:
            size = os.fstat(handle.fileno()).st_size
            if source.mode == "json" and size > max_bytes:
                yield _too_large(source.name, None, stem, size, max_bytes)
                return
            yield from _read_stream(handle, source, stem, max_bytes, size or None)
    except OSError as exc:
        diag = Diagnostic(
            "doc.read-error", Location(source.name), {"error": exc.strerror or str(exc)}
        )
        yield _Raw(source.name, None, stem, None, diag)


_READ_BUFFER: Final = 1 << 20


def _too_large(file: str, line: int | None, default_id: str, size: int, limit: int) -> _Raw:
    diag = Diagnostic("doc.too-large", Location(file, line), {"size": size, "limit": limit})
    return _Raw(file, line, default_id, None, diag)


def _read_stream(
    stream: IO[bytes], source: Source, stem: str, max_bytes: int, size: int | None = None
) -> Iterator[_Raw]:
    """JSON: the whole stream is one document. NDJSON: one per non-blank line.

    ``auto`` (stdin, unknown suffix) is NDJSON when the first non-blank line
    is a complete JSON value on its own, else one JSON document.
    """
    name = source.name
    mode = source.mode
    head = b""  # everything read so far
    line_bytes = b""  # the first non-blank line (NDJSON)
    lineno = 0
    if mode != "json":
        while True:  # up to the first non-blank line; blank lines only count
            line_bytes = stream.readline(max_bytes + 1)
            head += line_bytes
            if not line_bytes:
                break
            lineno += 1
            if line_bytes.strip() or len(line_bytes) > max_bytes:
                break
        if mode == "auto":
            mode = "ndjson" if line_bytes.strip() and _parses(line_bytes) else "json"
    if mode == "json":
        limit = max_bytes + 1 - len(head)  # read one byte more than allowed to see an excess
        want = limit if size is None else min(size + 1 - len(head), limit)
        data = head + stream.read(max(want, 0))
        if size is not None and len(data) > size:  # the file grew since fstat: read on
            data += stream.read(max(max_bytes + 1 - len(data), 0))
        if len(data) > max_bytes:
            yield _too_large(name, None, stem, len(data), max_bytes)
            return
        yield _Raw(name, None, stem, data)
        return
    label = Path(name).name
    while line_bytes:
        if len(line_bytes) > max_bytes and not line_bytes.endswith(b"\n"):
            size = len(line_bytes)
            while line_bytes and not line_bytes.endswith(b"\n"):  # skip the rest of the line
                line_bytes = stream.readline(1 << 20)
                size += len(line_bytes)
            yield _too_large(name, lineno, f"{label}:{lineno}", size, max_bytes)
        else:
            content = line_bytes.rstrip(b"\r\n")
            if len(content) > max_bytes:
                yield _too_large(name, lineno, f"{label}:{lineno}", len(content), max_bytes)
            elif content and not content.isspace():  # (strip() would copy the line)
                yield _Raw(name, lineno, f"{label}:{lineno}", content)
        line_bytes = stream.readline(max_bytes + 1)
        lineno += 1


def _parses(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True


# --------------------------------------------------------------------------- parsing

_BOM: Final = b"\xef\xbb\xbf"
_NAN_TOKEN: Final = re.compile(r"-?(?:NaN|Infinity|inf(?:inity)?|nan)\b", re.IGNORECASE)


def parse_document(
    data: bytes, file: str, *, line: int | None = None
) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """Parse one document's bytes; ``(object, [])`` or ``(None, diagnostics)``. Never raises.

    ``line`` is the NDJSON line the bytes came from (positions are then on that line).
    """
    value, diags = _parse(data, file, line)
    if value is not None:
        diags = _duplicate_diagnostics(data, value, file, line)
        if diags:
            value = None
    return value, diags


def _parse(
    data: bytes, file: str, line: int | None
) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """:func:`parse_document` without the duplicate-key check (the loader batches it)."""

    def at(ln: int | None, col: int | None, pointer: str | None = None) -> Location:
        if line is not None:
            return Location(file, line, col, pointer=pointer)
        return Location(file, ln, col, pointer=pointer)

    if not data or data.isspace():
        return None, [Diagnostic("doc.empty", at(None, None))]
    if data.startswith(_BOM):
        return None, [Diagnostic("doc.bom", at(1, 1))]
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return None, [_json_error(exc, data, at)]
    if not isinstance(value, dict):
        kind = _kind_of(value)
        zh, en = _KIND_WORDS[kind]
        return None, [
            Diagnostic("doc.not-object", at(None, None, ""), {"kind_zh": zh, "kind_en": en})
        ]
    return value, []


def _duplicate_diagnostics(
    data: bytes, value: dict[str, Any], file: str, line: int | None
) -> list[Diagnostic]:
    """``doc.duplicate-key`` for each duplicated key (``[]`` when there is none)."""
    if not _may_have_duplicates(data, value):
        return []
    return [
        Diagnostic("doc.duplicate-key", Location(file, line, None, pointer=pointer), {"key": key})
        for pointer, key in _duplicate_keys(data)
    ]


def _json_error(exc: orjson.JSONDecodeError, data: bytes, at: Any) -> Diagnostic:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        offset = bad.start
        ln = data.count(b"\n", 0, offset) + 1
        col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        hint = None
        try:
            data.decode("gb18030")
            hint = "hint.gbk"
        except UnicodeDecodeError:
            pass
        return Diagnostic(
            "doc.encoding",
            at(ln, col),
            {"offset": offset, "byte": f"{data[offset]:02X}"},
            hint=hint,
        )
    detail = str(exc.msg)
    if detail.startswith("depth limit"):
        return Diagnostic("doc.too-deep", at(exc.lineno, exc.colno), {"limit": PARSER_DEPTH_LIMIT})
    pos = int(exc.pos)
    for start in (pos, pos - 1):
        match = _NAN_TOKEN.match(text, max(start, 0))
        if match:
            return Diagnostic("doc.nan", at(exc.lineno, exc.colno), {"token": match.group()})
    return Diagnostic(
        "doc.json",
        at(exc.lineno, exc.colno),
        {"detail": detail, "detail_zh": _JSON_DETAIL_ZH.get(detail, detail)},
    )


class _PairsObject(dict[str, Any]):
    """A dict that remembers which of its keys appeared more than once."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A plain dict, or a :class:`_PairsObject` when a key repeats (the rare case)."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _PairsObject(pairs)
    marked.duplicates = repeated_keys(pairs)
    return marked


def repeated_keys(pairs: Sequence[tuple[str, Any]]) -> list[str]:
    """The keys an object's pairs hold more than once, in the order they repeat."""
    repeated: list[str] = []
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated


# JSON allows whitespace between a key and its colon ("key" : 1): seen as a quote, each
# key is again followed by '":'.
_SPACE_TO_QUOTE: Final = bytes.maketrans(b" \n\t\r", b'""""')


def _may_have_duplicates(data: bytes, value: dict[str, Any]) -> bool:
    """False only when ``data`` provably holds no duplicated object key (else: look closer).

    orjson keeps the last of duplicate keys silently, so the parsed object
    holds fewer keys than the text has key tokens exactly when a key was
    repeated. Let T be the key tokens in the text, P the keys of the parsed
    object and K <= P the keys :func:`_key_count` counts (it only counts, never
    guesses). Always K <= P <= T, and T == P iff there is no duplicate.

    Every key token is a string followed by optional whitespace and one ``:``
    (the only place JSON puts a colon outside strings), so once the four
    whitespace bytes are mapped to ``"``, each key token ends in a ``":`` of
    its own: T <= count(``":``). The count may be larger than T (a string
    holding ``\":`` or a space before a colon, or starting with ``:``), never
    smaller; so ``count == K`` forces K = P = T: no duplicate, proved with one
    byte mapping, one byte-pair count and a walk over the containers (not the
    cells) of the parsed object. Any other outcome (a genuine duplicate, a
    count inflated by such strings, an object shaped otherwise than a
    document) returns True and the caller runs the exact check,
    :func:`_duplicate_keys`. Measured: ~0.3 ms per 100 KB document, a little
    less than the check this replaces (re-serialise the object, compare its
    colons with the text's), which could miss a duplicate in a document
    spelling a colon ``\u003a``.
    """
    return data.translate(_SPACE_TO_QUOTE).count(b'":') != _key_count(value)


def _key_count(document: dict[str, Any]) -> int:
    """The keys of the objects a document is made of, a lower bound of all its keys.

    Counts the document, ``meta`` and its object members (``source``),
    ``tables``, each table, each row and ``statements`` and each statement,
    as far as they are objects; anything else (cell values, or a part that
    has another shape in an invalid document) is not counted.
    """
    count = len(document)
    meta = document.get("meta")
    if type(meta) is dict:
        count += len(meta) + _keys_of(meta.values())
    tables = document.get("tables")
    if type(tables) is dict:
        count += len(tables) + _keys_of(tables.values())
        for table in tables.values():
            rows = table.get("rows") if type(table) is dict else None
            if type(rows) is list:
                count += _keys_of(rows)
    statements = document.get("statements")
    if type(statements) is dict:
        count += len(statements) + _keys_of(statements.values())
    return count


def _keys_of(values: Collection[Any]) -> int:
    """The keys of those of ``values`` that are objects."""
    if all(map(isinstance, values, repeat(dict))):
        return sum(map(len, values))
    return sum(len(v) for v in values if type(v) is dict)


def _duplicate_keys(data: bytes) -> list[tuple[str, str]]:
    """``(pointer, key)`` of each duplicated object key, exactly (a second, slow parse).

    Re-parses with the standard library and ``object_pairs_hook``, which sees
    every key token; the nesting limit is raised for the call so that a
    document orjson accepted (at most ``PARSER_DEPTH_LIMIT`` levels) is
    always looked at.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * PARSER_DEPTH_LIMIT))
    try:
        marked: list[dict[str, Any]] = []

        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            obj = _pairs_hook(pairs)
            if type(obj) is _PairsObject:
                marked.append(obj)
            return obj

        tree = json.loads(data, object_pairs_hook=hook)
    except (ValueError, RecursionError):  # pragma: no cover - orjson accepted the same bytes
        return []
    finally:
        sys.setrecursionlimit(limit)
    found: list[tuple[str, str]] = []
    if not marked:
        return found  # the gate's count was inflated by a string: nothing to locate
    stack: list[tuple[list[Any], Any]] = [([], tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node, _PairsObject):
                found.extend((_pointer([*path, k]), k) for k in node.duplicates)
            stack.extend(([*path, k], v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(([*path, i], v) for i, v in enumerate(node))
    return sorted(found)


def _pointer(path: Sequence[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _document_order(document: object, pointer: str) -> tuple[Any, ...]:
    """A sort key that orders JSON pointers as their targets appear in the document."""
    key: list[Any] = []
    node: Any = document
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            keys = list(node)
            key.append(keys.index(part) if part in node else len(keys))
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            key.append(int(part))
            node = node[int(part)]
        else:
            key.append(1 << 30)
            node = None
    return tuple(key)


# --------------------------------------------------------------------------- the batch


@dataclass(frozen=True)
class DocumentStatus:
    """What happened to one document read: where it came from, valid or not, and why."""

    document: int
    path: str
    id: str
    line: int | None
    valid: bool
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class Batch:
    """Every document read: the valid ones as frames, every one's status and diagnostics."""

    schema: DocumentSchema
    documents: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    table_info: pl.DataFrame
    statements: pl.DataFrame
    statuses: list[DocumentStatus] = field(default_factory=list)
    files: int = 0

    def table(self, role: str) -> pl.DataFrame:
        """The frame of a table role (all valid documents' rows)."""
        return self.tables[role]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """All diagnostics, in input order."""
        return [d for s in self.statuses for d in s.diagnostics]

    @property
    def valid_count(self) -> int:
        return sum(s.valid for s in self.statuses)

    @property
    def invalid_count(self) -> int:
        return len(self.statuses) - self.valid_count


def load_documents(
    paths: Sequence[str],
    *,
    schema: DocumentSchema | str | os.PathLike[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: IO[bytes] | None = None,
    jobs: int | None = None,
) -> Batch:
    """Read, validate and frame every document under ``paths`` (see :func:`iter_sources`).

    Raises :class:`RulecheckError` (``ExitCode.USAGE``) only for unusable
    arguments (a path that matches nothing, a bad schema file); a bad document
    never raises: it is reported in :attr:`Batch.statuses` and left out of the frames.

    ``jobs`` is the number of worker processes: ``None`` (the default) uses
    the available cores once the input reaches ``PARALLEL_MIN_BYTES`` (less
    loads faster in this process than workers start); ``1`` never starts a
    worker. The result is the same either way. (Workers are spawned, so a
    script that calls this must do so under ``if __name__ == "__main__":``.)
    """
    spec = schema if isinstance(schema, DocumentSchema) else load_schema(schema)
    sources = iter_sources(paths)
    return _load_items(spec, _items(sources, max_bytes, stdin), len(sources), max_bytes, jobs)


def _load_items(
    spec: DocumentSchema, items: Iterator[_Item], files: int, max_bytes: int, jobs: int | None
) -> Batch:
    """Load numbered documents in chunks (in worker processes for a large input): one batch."""
    collecting = gc.isenabled()
    gc.disable()  # JSON trees hold no cycles; collections during a bulk load only cost time
    try:
        chunks = list(_chunk_stream(spec, items, max_bytes, jobs))
        if not chunks:
            chunks.append(_load_chunk(spec, [], max_bytes))
        return _finish(spec, chunks, files)
    finally:
        if collecting:
            gc.enable()


def iter_batches(
    paths: Sequence[str],
    *,
    size: int = BATCH_DOCUMENTS,
    schema: DocumentSchema | str | os.PathLike[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: IO[bytes] | None = None,
    jobs: int | None = None,
) -> Iterator[Batch]:
    """:func:`load_documents` in consecutive batches of about ``size`` documents.

    Memory stays bounded whatever the number of documents: a batch is built
    only when the consumer asks for it (workers load at most a few chunks
    ahead). ``document`` indexes and statuses are those of the whole input, so
    results of all batches can be concatenated. At least one batch is yielded.
    """
    spec = schema if isinstance(schema, DocumentSchema) else load_schema(schema)
    sources = iter_sources(paths)
    items = _items(sources, max_bytes, stdin)
    chunks = _chunk_stream(spec, items, max_bytes, jobs, min(CHUNK_DOCUMENTS, max(size, 1)))
    group: list[_Chunk] = []
    count = 0
    yielded = False
    for chunk in _gc_paused(chunks):
        group.append(chunk)
        count += len(chunk.statuses)
        if count >= size:
            yield _finish(spec, group, len(sources))
            yielded = True
            group, count = [], 0
    if group or not yielded:
        yield _finish(spec, group or [_load_chunk(spec, [], max_bytes)], len(sources))


def _chunk_stream(
    spec: DocumentSchema,
    items: Iterator[_Item],
    max_bytes: int,
    jobs: int | None,
    chunk: int = CHUNK_DOCUMENTS,
) -> Iterator[_Chunk]:
    """Chunks of consecutive documents, in input order: loaded by worker processes when
    ``jobs`` asks for them or (auto) the input is large enough to pay for starting them."""
    workers = _workers(jobs)
    if workers > 1 and jobs is None:  # auto: only a large batch pays for starting workers
        head, large = _head(items, PARALLEL_MIN_BYTES)
        workers = workers if large else 1
        items = chain(head, items)
    if workers > 1:
        return _iter_parallel(spec, items, max_bytes, workers)
    return (_load_chunk(spec, part, max_bytes) for part in _batched(items, chunk))


def _gc_paused(chunks: Iterator[_Chunk]) -> Iterator[_Chunk]:
    """The chunks, each produced with the garbage collector paused (JSON trees hold no
    cycles), and the collector back on while the consumer works."""
    while True:
        collecting = gc.isenabled()
        gc.disable()
        try:
            chunk = next(chunks, None)
        finally:
            if collecting:
                gc.enable()
        if chunk is None:
            return
        yield chunk


def load_objects(
    objects: Sequence[Mapping[str, Any]],
    names: Sequence[str] | None = None,
    *,
    schema: DocumentSchema | str | os.PathLike[str] | None = None,
) -> Batch:
    """A batch from documents already in memory, loaded exactly as files are.

    Each object is serialised with orjson and read by the same path as a
    ``.json`` file (parse, duplicate-key and schema checks, frames, scaled
    amounts), so ids, statuses and frames are what files with these contents
    would give. ``names[i]`` (default ``<object i>``) stands for the file name
    in diagnostics, and for the id when the object has no ``meta.id``. An
    object orjson cannot write (a key that is not a string, an integer beyond
    64 bits) is reported as ``doc.json``; orjson writes NaN and Infinity as null.
    """
    spec = schema if isinstance(schema, DocumentSchema) else load_schema(schema)
    labels = list(names) if names is not None else [f"<object {i}>" for i in range(len(objects))]
    if len(labels) != len(objects):
        raise ValueError(f"{len(objects)} objects but {len(labels)} names")
    items: list[_Item] = []
    for index, (obj, name) in enumerate(zip(objects, labels, strict=True)):
        try:
            raw = _Raw(name, None, name, orjson.dumps(obj))
        except orjson.JSONEncodeError as exc:
            args = {"detail": str(exc), "detail_zh": str(exc)}
            raw = _Raw(name, None, name, None, Diagnostic("doc.json", Location(name), args))
        items.append((index, None, raw))
    return _load_items(spec, iter(items), len(objects), DEFAULT_MAX_BYTES, jobs=1)


# (index, a JSON file still to read, or the bytes already read): one document to load
_Item = tuple[int, Source | None, _Raw | None]


def _items(sources: list[Source], max_bytes: int, stdin: IO[bytes] | None) -> Iterator[_Item]:
    """Every document to load, numbered in input order.

    A ``.json`` file is exactly one document (or one problem), so it is
    passed on unread (a worker reads it); NDJSON, sniffed files and stdin are
    split into documents here.
    """
    index = 0
    for source in sources:
        if source.mode == "json" and source.path is not None:
            yield index, source, None
            index += 1
            continue
        for raw in _read_source(source, max_bytes, stdin):
            yield index, None, raw
            index += 1


def _head(items: Iterator[_Item], limit: int) -> tuple[list[_Item], bool]:
    """The first items, up to ``limit`` bytes of input; and whether there are that many."""
    head: list[_Item] = []
    total = 0
    for item in items:
        head.append(item)
        _, source, raw = item
        if raw is not None:
            total += len(raw.data or b"")
        elif source is not None and source.path is not None:
            with suppress(OSError):
                total += os.stat(source.path).st_size
        if total >= limit:
            return head, True
    return head, False


def _batched(items: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    while part := list(islice(items, max(size, 1))):
        yield part


def _workers(jobs: int | None) -> int:
    """How many worker processes to load with (1: none, load here)."""
    processes = sys.modules.get("multiprocessing")  # not imported: not in a worker either
    if processes is not None and getattr(processes.current_process(), "_inheriting", False):
        # a starting worker is re-running a __main__ script that calls us unguarded:
        # fail it (the parent then loads in its own process), as multiprocessing does
        raise RuntimeError(
            "load_documents() was called while a worker process was starting: call it under "
            '`if __name__ == "__main__":` in the script that uses it'
        )
    if processes is not None and processes.parent_process() is not None:
        return 1  # in someone's worker process: no nested pools
    if not _main_importable():  # a worker could not start
        return 1
    if jobs is not None:
        return max(jobs, 1)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_JOBS)


def _main_importable() -> bool:
    """Whether a spawned worker can import ``__main__`` as it must (not so for ``python -``)."""
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None) is not None:
        return True
    path = getattr(main, "__file__", None)
    return path is None or os.path.exists(path)


@dataclass
class _Chunk:
    """What loading a run of consecutive documents gives (amounts not scaled yet)."""

    statuses: list[DocumentStatus]
    frames: _Frames
    # document -> (section, doc.frame diagnostic); sections are the tables in
    # schema order, then meta, then statements (the order diagnostics are listed in)
    problems: dict[int, list[tuple[int, Diagnostic]]]


def _load_chunk(spec: DocumentSchema, items: Sequence[_Item], max_bytes: int) -> _Chunk:
    """Read, parse, check and validate a run of documents, and pour the valid ones into frames."""
    statuses: list[DocumentStatus] = []
    valid: list[tuple[int, tuple[str, int | None], dict[str, Any]]] = []
    for index, source, raw in items:
        if raw is None:
            assert source is not None
            raw = next(_read_source(source, max_bytes, None))  # a .json file: one document
        obj: dict[str, Any] | None = None
        if raw.problem is not None:
            diags = [raw.problem]
        else:
            assert raw.data is not None
            obj, diags = parse_document(raw.data, raw.file, line=raw.line)
            if obj is not None and not spec.is_valid(obj):
                diags = spec.explain(obj, raw.file, line=raw.line)
        doc_id = _document_id(obj, raw.default_id)
        statuses.append(DocumentStatus(index, raw.file, doc_id, raw.line, not diags, tuple(diags)))
        if obj is not None and not diags:
            valid.append((index, (raw.file, raw.line), obj))  # the bytes can go
    ids = {status.document: status.id for status in statuses}
    frames, problems = _build(spec, valid, ids)
    return _Chunk(statuses, frames, problems)


# -- worker processes

_WORKER_SPEC: DocumentSchema | None = None


def _init_worker(raw: Mapping[str, Any], path: str) -> None:
    global _WORKER_SPEC
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    gc.disable()  # a worker only loads documents: JSON trees hold no cycles
    _WORKER_SPEC = DocumentSchema(raw, path)


def _work(items: list[_Item], max_bytes: int) -> _Chunk:
    assert _WORKER_SPEC is not None
    return _load_chunk(_WORKER_SPEC, items, max_bytes)


def _iter_parallel(
    spec: DocumentSchema, items: Iterator[_Item], max_bytes: int, workers: int
) -> Iterator[_Chunk]:
    """Chunks loaded by ``workers`` processes, a few in flight at a time, kept in input order.

    Workers are started with ``spawn`` (a fork of a process whose Polars
    thread pool is running can deadlock), all at once, each with a share of
    the cores for its Polars threads. If the pool cannot start or breaks
    (e.g. a worker is killed), the chunks not loaded yet are loaded here.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    parts = _batched(items, PARALLEL_CHUNK_DOCUMENTS)
    pending: deque[tuple[list[_Item], Future[_Chunk]]] = deque()
    broken = (BrokenProcessPool, OSError, EOFError, RuntimeError)
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool: ProcessPoolExecutor | None = None
    try:
        with _environment(POLARS_MAX_THREADS=str(threads)):  # read by Polars at import
            pool = ProcessPoolExecutor(
                workers,
                multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(spec.raw, spec.path),
            )
            for _ in range(workers):  # a process starts (reading the environment) per submit
                pool.submit(int)
    except Exception:  # pragma: no cover - no processes here, or a schema that cannot be sent
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        yield from (_load_chunk(spec, part, max_bytes) for part in parts)
        return
    try:
        for part in chain(parts, [None]):
            if part is not None:
                try:
                    pending.append((part, pool.submit(_work, part, max_bytes)))
                except broken:  # the pool broke: load the rest here
                    pending.append((part, _failed()))
            while pending and (part is None or len(pending) > 2 * workers):
                done, future = pending.popleft()
                try:
                    chunk = future.result()
                except broken:
                    chunk = _load_chunk(spec, done, max_bytes)
                yield chunk
    except BaseException:  # includes Ctrl-C and a consumer that stops early (GeneratorExit)
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=False)  # all done: the workers exit (~0.3 s) while the caller goes on


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _failed() -> Future[_Chunk]:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    future: Future[_Chunk] = Future()
    future.set_exception(BrokenProcessPool("not submitted"))
    return future


def _finish(spec: DocumentSchema, chunks: list[_Chunk], files: int) -> Batch:
    """One batch from the chunks: concatenate, scale the amounts once, drop inexact documents."""
    statuses = [status for chunk in chunks for status in chunk.statuses]
    problems: dict[int, list[tuple[int, Diagnostic]]] = {}
    for chunk in chunks:
        for index, found in chunk.problems.items():
            problems.setdefault(index, []).extend(found)
    frames = chunks[0].frames if len(chunks) == 1 else _Frames.concat([c.frames for c in chunks])
    del chunks
    where = {s.document: (s.path, s.line) for s in statuses if s.valid}
    roles = list(spec.tables)
    indexes = _indexes([*(frames.table_spans[role] for role in roles), frames.statement_span])
    meta_columns = [c for c in spec.meta_columns if c.name not in ("document", "path", "line")]
    # (frame, its columns, the JSON pointer to its cells, the key continuing it), in the
    # order of the sections diagnostics are sorted by: tables, meta, statements
    parts: list[tuple[pl.DataFrame, Sequence[Column], list[str], str | None]] = [
        *(
            (
                _with_index(frames.tables[role], indexes[section], with_row=True),
                spec.tables[role],
                ["tables", role, "rows"],
                "row",
            )
            for section, role in enumerate(roles)
        ),
        (frames.documents, meta_columns, ["meta"], None),
        (
            _with_index(frames.statements, indexes[-1], with_row=False),
            spec.statement_columns,
            ["statements"],
            "name",
        ),
    ]
    scaled = _scale([(frame, columns) for frame, columns, _, _ in parts], len(where))
    checked = [
        _check_scaled(out, frame, columns, path, key, where, problems, section)
        for section, (out, (frame, columns, path, key)) in enumerate(
            zip(scaled, parts, strict=True)
        )
    ]
    tables = dict(zip(roles, checked, strict=False))
    documents, stmt = checked[len(roles)], checked[len(roles) + 1]
    table_info = frames.table_info
    if problems:  # demote: drop from every frame, keep the diagnostics (in section order)
        first = statuses[0].document if statuses else 0  # a later batch of a stream
        for index, found in problems.items():
            old = statuses[index - first]
            found.sort(key=lambda pair: pair[0])  # stable: doc.frame before the cells it left
            statuses[index - first] = DocumentStatus(
                old.document,
                old.path,
                old.id,
                old.line,
                False,
                (*old.diagnostics, *(diag for _, diag in found)),
            )
        keep = ~pl.col("document").is_in(pl.Series(sorted(problems), dtype=pl.UInt32).implode())
        tables = {role: f.filter(keep) for role, f in tables.items()}
        documents = documents.filter(keep)
        stmt = stmt.filter(keep)
        table_info = table_info.filter(keep)
    return Batch(spec, documents, tables, table_info, stmt, statuses, files=files)


def _document_id(obj: Mapping[str, Any] | None, default: str) -> str:
    meta = obj.get("meta") if obj is not None else None
    if isinstance(meta, Mapping) and isinstance(meta.get("id"), str) and meta["id"]:
        return str(meta["id"])
    return default


def _read_schema(columns: Sequence[Column]) -> dict[str, pl.DataType]:
    return {c.name: _READ_DTYPES[c.kind] for c in columns}


def _frame(records: list[Any], columns: Sequence[Column]) -> pl.DataFrame:
    if not columns:  # a schema without meta/statement fields: keep the height
        return pl.DataFrame(height=len(records))
    return pl.from_dicts(records, schema=_read_schema(columns))


_TABLE_INFO_SCHEMA: Final[dict[str, pl.DataType]] = {
    "document": pl.UInt32(),
    "table": pl.String(),
    "name": pl.String(),
    "unit": pl.String(),
    "note": pl.String(),
    "empty": pl.Boolean(),
    "rows": pl.UInt32(),
}


@dataclass
class _Pour:
    """Records of one frame gathered across documents, and which document owns how many."""

    records: list[Any] = field(default_factory=list)
    owners: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)

    def add(self, owner: int, records: Sequence[Any]) -> None:
        self.records.extend(records)
        self.owners.append(owner)
        self.counts.append(len(records))


@dataclass
class _Frames:
    """A chunk's frames (or all of them), before the amounts are scaled.

    The tables and statements have no ``document``/``row`` columns yet: their
    spans say which document owns how many rows, and :func:`_finish` adds
    the columns once, to the whole batch.
    """

    documents: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    table_info: pl.DataFrame
    statements: pl.DataFrame
    table_spans: dict[str, _Span]
    statement_span: _Span

    @staticmethod
    def concat(parts: list[_Frames]) -> _Frames:
        """One contiguous frame per kind; each part's frames are let go once copied
        (so the peak is the parts plus one concatenated frame, not twice the parts)."""

        def joined(spans: list[_Span]) -> _Span:
            return [o for s in spans for o in s[0]], [c for s in spans for c in s[1]]

        def take(name: str) -> pl.DataFrame:
            frames: list[pl.DataFrame] = [getattr(p, name) for p in parts]
            for part in parts:
                setattr(part, name, _NO_FRAME)
            return pl.concat(frames, rechunk=True)

        roles = list(parts[0].tables)
        tables = {r: pl.concat([p.tables.pop(r) for p in parts], rechunk=True) for r in roles}
        return _Frames(
            take("documents"),
            tables,
            take("table_info"),
            take("statements"),
            {r: joined([p.table_spans[r] for p in parts]) for r in roles},
            joined([p.statement_span for p in parts]),
        )


_NO_FRAME: Final = pl.DataFrame()

# which documents own the rows of a frame, in order: (documents, row count of each)
_Span = tuple[list[int], list[int]]


def _build(
    spec: DocumentSchema,
    valid: list[tuple[int, tuple[str, int | None], dict[str, Any]]],
    ids: Mapping[int, str],
) -> tuple[_Frames, dict[int, list[tuple[int, Diagnostic]]]]:
    """Pour a chunk of valid documents into frames (amounts still Float64: see :func:`_finish`).

    A document whose values do not fit their column type gets a ``doc.frame``
    diagnostic (returned, by section) and nulls for that part; it is dropped
    from every frame by :func:`_finish`.
    """
    pours = {role: _Pour() for role in spec.tables}
    metas = _Pour()
    statements = _Pour()
    statement_names: list[str] = []
    info: list[dict[str, Any]] = []
    for index, _where, obj in valid:  # a loop per document; rows are moved by list.extend
        tables = obj.get("tables") or {}
        for role, pour in pours.items():
            table = tables.get(role)
            if not isinstance(table, dict):
                continue
            rows = table.get("rows") or []
            pour.add(index, rows)
            info.append(
                {
                    "document": index,
                    "table": role,
                    "name": table.get("name"),
                    "unit": table.get("unit"),
                    "note": table.get("note"),
                    "empty": table.get("empty"),
                    "rows": len(rows),
                }
            )
        metas.add(index, [obj.get("meta") or {}])
        stated = obj.get("statements") or {}
        statement_names.extend(stated)
        statements.add(index, list(stated.values()))

    where = {index: place for index, place, _ in valid}
    problems: dict[int, list[tuple[int, Diagnostic]]] = {}
    frames: dict[str, pl.DataFrame] = {}
    for section, (role, pour) in enumerate(pours.items()):
        frames[role] = _safe_frame(
            pour, spec.tables[role], ["tables", role], where, problems, section
        )

    indexes = metas.owners
    meta_columns = [c for c in spec.meta_columns if c.name not in ("document", "path", "line")]
    meta = _safe_frame(metas, meta_columns, ["meta"], where, problems, len(pours))
    documents = pl.DataFrame(
        {
            "document": pl.Series(indexes, dtype=pl.UInt32),
            "id": pl.Series([ids[i] for i in indexes], dtype=pl.String),
            "path": pl.Series([where[i][0] for i in indexes], dtype=pl.String),
            "line": pl.Series([where[i][1] for i in indexes], dtype=pl.UInt32),
        }
    ).hstack(meta)

    columns = spec.statement_columns
    stmt = _safe_frame(statements, columns, ["statements"], where, problems, len(pours) + 1)
    stmt = stmt.insert_column(0, pl.Series("name", statement_names, dtype=pl.String))

    table_info = pl.from_dicts(info, schema=_TABLE_INFO_SCHEMA)
    spans = {role: (pour.owners, pour.counts) for role, pour in pours.items()}
    chunk = _Frames(
        documents, frames, table_info, stmt, spans, (statements.owners, statements.counts)
    )
    return chunk, problems


_FRAME_ERRORS: Final = (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError)


def _safe_frame(
    pour: _Pour,
    columns: Sequence[Column],
    path: list[str],
    where: Mapping[int, tuple[str, int | None]],
    problems: dict[int, list[tuple[int, Diagnostic]]],
    section: int,
) -> pl.DataFrame:
    """One ``from_dicts`` over all documents' records.

    If a value cannot be stored (e.g. an integer beyond Int64 that the schema
    allowed), find the documents at fault one by one, report each with its
    own first error, and give their records as nulls (they are dropped from
    the frames afterwards).
    """
    try:
        return _frame(pour.records, columns)
    except _FRAME_ERRORS:
        cleaned: list[Any] = []
        start = 0
        for owner, count in zip(pour.owners, pour.counts, strict=True):
            chunk = pour.records[start : start + count]
            start += count
            try:
                _frame(chunk, columns)
                cleaned.extend(chunk)
            except _FRAME_ERRORS as error:
                detail = str(error).splitlines()[0] if str(error) else type(error).__name__
                file, line = where[owner]
                diag = Diagnostic(
                    "doc.frame", Location(file, line, pointer=_pointer(path)), {"detail": detail}
                )
                problems.setdefault(owner, []).append((section, diag))
                cleaned.extend([{}] * count)
        return _frame(cleaned, columns)


def _indexes(spans: Sequence[_Span]) -> list[tuple[pl.Series, pl.Series]]:
    """Each span's ``document`` column (each owner repeated by its count) and ``row``
    column (0 … count − 1 for each owner), for every span in one Polars call: four
    calls per table had cost a one-document load a quarter of its time."""
    owners = list(chain.from_iterable(owned for owned, _ in spans))
    counts = list(chain.from_iterable(counted for _, counted in spans))
    both = pl.DataFrame({"o": owners, "c": counts}, schema={"o": pl.UInt32, "c": pl.UInt32}).select(
        pl.col("o").repeat_by("c").explode(empty_as_null=False).cast(pl.UInt32).alias("document"),
        pl.int_ranges(0, pl.col("c"), dtype=pl.UInt32).explode(empty_as_null=False).alias("row"),
    )
    document, row = both.get_column("document"), both.get_column("row")
    found: list[tuple[pl.Series, pl.Series]] = []
    at = 0
    for _, counted in spans:  # one per table
        size = sum(counted)
        found.append((document.slice(at, size), row.slice(at, size)))
        at += size
    return found


def _with_index(
    frame: pl.DataFrame, index: tuple[pl.Series, pl.Series], *, with_row: bool
) -> pl.DataFrame:
    """Prepend ``document`` and, optionally, ``row`` (see :func:`_indexes`)."""
    document, row = index
    frame = frame.insert_column(0, document)
    return frame.insert_column(1, row) if with_row else frame


def _scale(
    parts: Sequence[tuple[pl.DataFrame, Sequence[Column]]], documents: int
) -> list[pl.DataFrame]:
    """Each frame's amount columns -> Int64 ``round(x * SCALE)``, plus a per-row flag
    (``_INEXACT``) for cells that would not be exact, every frame in one go (a batch
    of ``documents``: see :func:`checker.collecting.collect_plans`).

    A cell is exact when ``x * SCALE`` is within a few ulps of an integer (at
    most 4 decimals) and ``|x| <= MAX_AMOUNT``. A frame without amounts comes back
    as it is.
    """
    amounts = [tuple(c.name for c in columns if c.kind == "amount") for _, columns in parts]
    plans = [
        frame.lazy().with_columns(_scaling(a))
        for (frame, _), a in zip(parts, amounts, strict=True)
        if a
    ]
    done = iter(collect_plans(plans, small=documents <= SMALL_BATCH))
    return [next(done) if a else frame for (frame, _), a in zip(parts, amounts, strict=True)]


def _check_scaled(
    out: pl.DataFrame,
    frame: pl.DataFrame,
    columns: Sequence[Column],
    path: list[str],
    key: str | None,
    where: Mapping[int, tuple[str, int | None]],
    problems: dict[int, list[tuple[int, Diagnostic]]],
    section: int,
) -> pl.DataFrame:
    """A scaled frame without its flag; its flagged cells reported (only those rows,
    rare, are looked at in Python). A flagged cell's scaled value is meaningless (null
    on overflow): its document is dropped by the caller. ``key`` names the column
    that continues the JSON pointer after ``path`` (``row`` for tables, ``name`` for
    statements)."""
    if _INEXACT not in out.columns:
        return out
    bad = out.get_column(_INEXACT)
    if bad.any():
        amounts = [c.name for c in columns if c.kind == "amount"]
        _report_inexact(frame.filter(bad), amounts, path, key, where, problems, section)
    return out.drop(_INEXACT)


_INEXACT: Final = "__rulecheck_inexact"


@cache
def _scaling(amounts: tuple[str, ...]) -> list[pl.Expr]:
    """:func:`_scale`'s expressions for these amount columns (made once per column set)."""

    def inexact(name: str) -> pl.Expr:
        product = pl.col(name) * SCALE
        tolerance = pl.max_horizontal(product.abs(), pl.lit(1.0)) * _ULPS
        return (pl.col(name).abs() > MAX_AMOUNT) | ((product - product.round()).abs() > tolerance)

    return [
        *((pl.col(a) * SCALE).round().cast(pl.Int64, strict=False) for a in amounts),
        pl.any_horizontal([inexact(a) for a in amounts]).fill_null(False).alias(_INEXACT),
    ]


def _report_inexact(
    flagged: pl.DataFrame,
    amounts: list[str],
    path: list[str],
    key: str | None,
    where: Mapping[int, tuple[str, int | None]],
    problems: dict[int, list[tuple[int, Diagnostic]]],
    section: int,
) -> None:
    for record in flagged.iter_rows(named=True):  # a loop over offending rows only
        document = int(record["document"])
        file, line = where[document]
        for name in amounts:
            value = record[name]
            if value is None:
                continue
            too_big = abs(value) > MAX_AMOUNT
            if not too_big and not _inexact(value):
                continue
            parts = [*path, record[key], name] if key else [*path, name]
            diag = Diagnostic(
                "doc.amount-range" if too_big else "doc.decimals",
                Location(file, line, pointer=_pointer(parts)),
                {"value": _show(value), "limit": MAX_AMOUNT},
            )
            problems.setdefault(document, []).append((section, diag))
