"""A document template, read from a document JSON Schema and its ``x-*`` annotations.

The schema is the single description of a template (table roles, published
names, columns and their kinds, row keys, total rows): the loader takes column
types from it, the resolver binds rule names to it. Another template (决算,
another province) is another schema file; no code changes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from checker.resources import schema_path

ColumnKind = Literal["amount", "text", "code"]


@dataclass(frozen=True)
class Column:
    """One column of a table: its name (multi-level headers joined with '.'), kind and header."""

    name: str
    kind: ColumnKind
    header: str | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Table:
    """One table role of the template."""

    role: str
    names: tuple[str, ...]
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    label: str | None
    code: str | None
    value: tuple[str, ...]
    total_rows: tuple[Mapping[str, Any], ...]
    subtotal_rows: tuple[Mapping[str, Any], ...]
    required: bool
    description: str = ""
    unit: str | None = None  # the unit its figures are printed in (schema x-unit)

    def column(self, name: str) -> Column | None:
        """The column called ``name``, or None."""
        for col in self.columns:
            if col.name == name:
                return col
        return None

    @property
    def amount_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind == "amount")


@dataclass(frozen=True)
class Template:
    """All table roles of a document schema."""

    name: str
    kind: str
    schema_file: str
    tables: tuple[Table, ...]
    # the statement names the prose may state (schema: properties.statements.x-names)
    statements: tuple[str, ...] = ()
    # the document's own fields a rule may read as meta.名 (schema: properties.meta; its
    # scalar properties but id, which names the file rather than the body)
    meta: tuple[Column, ...] = ()

    def meta_field(self, name: str) -> Column | None:
        """The ``meta`` field called ``name``, or None."""
        return next((c for c in self.meta if c.name == name), None)

    def table(self, role: str) -> Table | None:
        """The table with role ``role``, or None."""
        for t in self.tables:
            if t.role == role:
                return t
        return None

    def find_table(self, name: str) -> Table | None:
        """A table by role or by any published name (normalised, year prefix ignored)."""
        wanted = normalize_label(strip_year(name))
        for t in self.tables:
            if wanted in {normalize_label(strip_year(n)) for n in (t.role, *t.names)}:
                return t
        return None


# Numbering prefixes of a row label, after NFKC normalisation: 一、 （一） 1、 (1) 其中：.
# Written without look-around so the same pattern runs in Polars (Rust regex).
_CN_DIGITS = "一二三四五六七八九十百"
LABEL_PREFIX_PATTERN = (
    rf"^(?:\s*(?:[{_CN_DIGITS}]+[、.]|\([{_CN_DIGITS}]+\)|[0-9]+、|\([0-9]+\)|其中:))+\s*"
)
_LABEL_PREFIX = re.compile(LABEL_PREFIX_PATTERN)


def normalize_label(text: str) -> str:
    """Normalise a row label or name for matching.

    Full-width → half-width (NFKC), numbering prefixes such as ``一、``,
    ``（一）``, ``1、``, ``其中：`` removed, whitespace and a trailing colon
    dropped: ``"(一) 一般公共预算拨款"`` → ``"一般公共预算拨款"``. The compiler
    applies the same steps in Polars (``LABEL_PREFIX_PATTERN``).
    """
    s = unicodedata.normalize("NFKC", text)
    s = _LABEL_PREFIX.sub("", s, count=1)
    s = re.sub(r"\s+", "", s)
    return s.rstrip(":")


def strip_year(name: str) -> str:
    """``2023年部门收支总体情况表`` → ``部门收支总体情况表``."""
    return re.sub(r"^\s*(?:19|20)[0-9]{2}\s*年(?:度)?\s*", "", name)


def _column_kind(spec: Mapping[str, Any], defs: Mapping[str, Any]) -> ColumnKind:
    if spec.get("x-kind") == "code":
        return "code"
    ref = spec.get("$ref", "")
    target = defs.get(ref.rsplit("/", 1)[-1], {}) if ref else spec
    types = target.get("type", spec.get("type"))
    types = [types] if isinstance(types, str) else list(types or [])
    return "amount" if ("number" in types or "integer" in types) else "text"


def template_from_schema(schema: Mapping[str, Any], schema_file: str = "<schema>") -> Template:
    """Read a :class:`Template` from a document JSON Schema."""
    defs = schema.get("$defs", {})
    tables_spec = schema["properties"]["tables"]
    required = set(tables_spec.get("required", []))
    tables = []
    for role, spec in tables_spec.get("properties", {}).items():
        row_props = spec["properties"]["rows"]["items"]["properties"]
        columns = tuple(
            Column(
                name=name,
                kind=_column_kind(col, defs),
                header=col.get("x-header"),
                pattern=col.get("pattern"),
            )
            for name, col in row_props.items()
        )
        amounts = [c.name for c in columns if c.kind == "amount"]
        value = spec.get("x-value")
        if value is None:
            value = ["合计"] if "合计" in amounts else amounts[:1]
        elif isinstance(value, str):
            value = [value]
        tables.append(
            Table(
                role=role,
                names=tuple(spec.get("x-names", [])),
                columns=columns,
                key=tuple(spec.get("x-key", [])),
                label=spec.get("x-label"),
                code=spec.get("x-code"),
                value=tuple(value),
                total_rows=tuple(spec.get("x-total-rows", [])),
                subtotal_rows=tuple(spec.get("x-subtotal-rows", [])),
                required=role in required,
                description=spec.get("description", ""),
                unit=spec.get("x-unit", schema.get("x-unit")),
            )
        )
    return Template(
        name=str(schema.get("x-template", schema.get("title", schema_file))),
        kind=str(schema.get("x-kind", "")),
        schema_file=schema_file,
        tables=tuple(tables),
        statements=tuple(schema["properties"].get("statements", {}).get("x-names", ())),
        meta=_meta_fields(schema),
    )


def _local(schema: Mapping[str, Any], node: Any) -> Mapping[str, Any]:
    """``node`` with a local ``$ref`` (``#/$defs/meta``) followed."""
    for _ in range(8):
        ref = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            break
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        node = target
    return node if isinstance(node, Mapping) else {}


def _meta_fields(schema: Mapping[str, Any]) -> tuple[Column, ...]:
    """The scalar fields of the schema's ``meta`` object (numbers are amounts), but ``id``."""
    meta = _local(schema, schema.get("properties", {}).get("meta"))
    fields = []
    for name, spec in meta.get("properties", {}).items():
        spec = _local(schema, spec)
        types = spec.get("type")
        types = [types] if isinstance(types, str) else list(types or [])
        if name == "id" or not types or not set(types) <= {"string", "integer", "number", "null"}:
            continue
        kind: ColumnKind = "text" if "string" in types else "amount"
        fields.append(Column(name, kind))
    return tuple(fields)


@cache
def load_template(path: str | None = None) -> Template:
    """The template described by the schema at ``path`` (default: the bundled budget schema)."""
    file = Path(path) if path else schema_path()
    with open(file, encoding="utf-8") as fh:
        schema = json.load(fh)
    return template_from_schema(schema, str(file))
