"""The document schema: its table/column layout and two validators (built once).

Why two validators. A batch may hold 100,000 documents and nearly all are
valid, so the gate must be fast: a compiled ``jsonschema_rs`` validator answers
yes/no (``is_valid``) for each document. Only a rejected document is handed to
python-jsonschema's ``Draft202012Validator.iter_errors``, whose error objects
carry the schema keyword, the offending instance and its path, which is what an
actionable message needs (every violation, each with its JSON pointer, with a
did-you-mean for unknown columns and tables, and what a quoted number looks
like).
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Final, Literal

import orjson
import polars as pl

from checker import pointers
from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register
from checker.documents.amounts import MAX_AMOUNT, _inexact
from checker.documents.parsing import _KIND_WORDS, _kind_of
from checker.resources import schema_path
from checker.template import Template, template_from_schema

register(
    {
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
        "doc.schema-file": (
            "无法使用文档结构文件（schema）{path}：{detail}",
            "cannot use the schema file {path}: {detail}",
        ),
    }
)

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
            for part in pointers.parse(ref[1:]):
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

    def row_schema(self, role: str) -> Mapping[str, Any]:
        """The schema of one row of table ``role`` (``tables.<role>.rows.items``)."""
        tables = self._property(self.raw, "tables") or {}
        table = self._property(tables, role) or {}
        rows = self._property(table, "rows") or {}
        return self._resolve(rows.get("items", {}))

    def property_schema(self, node: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
        """The schema of property ``name`` of ``node`` (through local $ref and allOf)."""
        return self._property(node, name)

    def definitions(self) -> dict[str, Any]:
        """The schema's ``$defs`` / ``definitions``, so that a part of it validates alone."""
        return {k: self.raw[k] for k in ("$defs", "definitions") if k in self.raw}

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
                Location(file, line, pointer=pointers.build(*path)),
                {"value": _show(value), "limit": MAX_AMOUNT},
            )

    def _diagnose(
        self, error: Any, document: object, file: str, line: int | None, seen: set[tuple[str, str]]
    ) -> Iterator[Diagnostic]:
        path = list(error.absolute_path)
        pointer = pointers.build(*path)
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
                yield Diagnostic(code, loc(pointers.build(*path, key)), {"key": key})
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
                yield self._unknown(path, key, known, loc(pointers.build(*path, key)))
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
    from checker.files import InputFileError, read_input

    try:  # a regular file under --max-bytes (a FIFO or a device is refused)
        raw = orjson.loads(read_input(path))
    except InputFileError as exc:
        if exc.code != "input.unreadable":
            raise RulecheckError([exc.diagnostic()], ExitCode.USAGE) from None
        raise _schema_error(path, str(exc.details["reason"])) from None
    except orjson.JSONDecodeError as exc:
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


def _document_order(document: object, pointer: str) -> tuple[Any, ...]:
    """A sort key that orders JSON pointers as their targets appear in the document."""
    key: list[Any] = []
    node: Any = document
    for part in pointers.parse(pointer):
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
