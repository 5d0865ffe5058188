"""A template's layout: how its tables and prose are printed, as data beside its schema.

``schemas/<name>.layout.json`` names its schema and says, per table role, which
printed header (a path of header words, top to bottom) each schema column sits
under, whether the table prints side-by-side blocks (收入 | 支出, or a 301 block
beside a 302 block), how an empty table says so, and which prose sentences carry
which statement. Table titles come from the schema's ``x-names``. Adding a
template is adding two files; docs/import.md describes the format.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Any

from checker.resources import data_dir
from checker.template import Template, load_template, strip_year

# A header spec: the words of a column's header path that must appear, in order,
# the last one being the column's own (lowest) header.
HeaderSpec = tuple[str, ...]


@dataclass(frozen=True)
class ColumnSpec:
    """Where one schema column is printed: its parts (one, or several joined: 类/款/项),
    each a choice of header paths (the wordings templates of one family use)."""

    name: str
    parts: tuple[tuple[HeaderSpec, ...], ...]
    join: bool = False
    # printed once for the rows below it (a merged cell, or blank cells under it): a row
    # whose cell is blank takes the value above, until a new one is printed here or in an
    # earlier filled-down column
    fill_down: bool = False
    # the codes this template prints in it, narrower than the schema's pattern (部门预算经济
    # 分类's are 3xx): a code printed here that does not match is of another column
    pattern: str | None = None

    @property
    def words(self) -> set[str]:
        return {w for part in self.parts for h in part for w in h}


@dataclass(frozen=True)
class Block:
    """One side-by-side part of a printed row: its columns and the constants it sets."""

    columns: tuple[ColumnSpec, ...]
    const: Mapping[str, str | None]


@dataclass(frozen=True)
class FormSection:
    """One section of a form: the label its first printed cell carries (``printed`` false: a
    section printing no label, started by its ``header`` line), the columns its rows print
    after the label in order, the column a row printing one value spans (``single``), the
    header words a row of the section may print (not a row), and columns every row of it
    fills (a row leaving one empty cannot be placed)."""

    label: str
    columns: tuple[str, ...]
    printed: bool = True
    single: str | None = None
    header: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """A table printed as a form: the column its section labels go to, and its sections."""

    label: str
    sections: tuple[FormSection, ...]

    def section(self, text: str) -> FormSection | None:
        """The printed section whose label is ``text`` (normalised)."""
        key = normalize(text)
        return next((s for s in self.sections if s.printed and normalize(s.label) == key), None)


@dataclass(frozen=True)
class TableLayout:
    """How one table role is printed."""

    role: str
    titles: tuple[str, ...]
    blocks: tuple[Block, ...]
    unit: str | None
    empty: re.Pattern[str]
    # rows whose label column matches this are notes, not rows
    skip: re.Pattern[str] | None
    # a text dump's row printing as many cells as the columns have parts is read by
    # position: the columns are listed in printed order (its header may not line up)
    positional: bool = False
    # a form (label/value sections, not a header over data rows): read by its sections
    form: Form | None = None

    @property
    def width(self) -> int:
        """How many printed columns the layout's columns take (a joined column its parts)."""
        return sum(len(c.parts) for b in self.blocks for c in b.columns)


@dataclass(frozen=True)
class StatementSpec:
    """A figure of the prose: its statement name, the pattern that finds it, its unit."""

    name: str
    pattern: re.Pattern[str]
    unit: str | None


@dataclass(frozen=True)
class MetaCell:
    """A document field read from a table: ``column`` of the row of ``table`` whose cells
    are ``row`` (values may name fields read before: ``{department}``)."""

    table: str
    column: str
    row: Mapping[str, str]


@dataclass(frozen=True)
class Layout:
    """A template's layout: its schema, tables, statements and document-level fields."""

    name: str
    file: str
    schema_file: str
    template: Template
    unit: str
    kinds: tuple[str, ...]
    tables: tuple[TableLayout, ...]
    statements: tuple[StatementSpec, ...]
    meta: Mapping[str, tuple[re.Pattern[str], ...]]
    # document fields printed only in a table (the department's code): read from a cell
    meta_cells: Mapping[str, tuple[MetaCell, ...]] = field(default_factory=dict)

    def table(self, role: str) -> TableLayout | None:
        for t in self.tables:
            if t.role == role:
                return t
        return None

    @cached_property
    def by_title(self) -> dict[str, tuple[TableLayout, ...]]:
        """Each table title (as :func:`title_key` gives it) and the tables it names, in order."""
        out: dict[str, list[TableLayout]] = {}
        for spec in self.tables:
            for title in spec.titles:
                out.setdefault(title, []).append(spec)
        return {title: tuple(specs) for title, specs in out.items()}

    @cached_property
    def long_titles(self) -> tuple[tuple[str, TableLayout], ...]:
        """Table titles of four characters or more, each with its table, in order: those
        looked for inside a header cell printed among other furniture."""
        return tuple((t, spec) for spec in self.tables for t in spec.titles if len(t) >= 4)

    @cached_property
    def any_long_title(self) -> re.Pattern[str]:
        """Finds whether a text contains any of :attr:`long_titles` (most cells contain none)."""
        return re.compile("|".join(re.escape(t) for t, _ in self.long_titles) or r"(?!)")


_UNQUOTED = re.compile(r"[\s\"'“”‘’「」]")


@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """Text for matching titles and headers: NFKC, no whitespace, no quotes, ``（`` as ``(``.

    Cached: every layout matches every text line of a document against its titles."""
    return _UNQUOTED.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=1 << 16)
def title_key(text: str) -> str:
    """A title for matching: normalised, the year and a leading numbering removed."""
    s = normalize(text)
    s = re.sub(
        r"^(?:公开(?:表)?[0-9一二三四五六七八九十]+表?|[0-9]+[.、．]|[一二三四五六七八九十]+、)",
        "",
        s,
    )
    return strip_year(s)


def header_word(text: str) -> str:
    """A header cell's text for matching: normalised, a leading year dropped."""
    return strip_year(normalize(text))


def _choices(value: Any) -> tuple[HeaderSpec, ...]:
    items = [value] if isinstance(value, str) else list(value)
    return tuple(tuple(header_word(p) for p in item.split("/")) for item in items)


def _columns(spec: Mapping[str, Any]) -> tuple[ColumnSpec, ...]:
    """A block's columns: ``name: header`` or ``name: {"header": …}`` / ``{"join": […]}``
    with optional ``"fill_down": true`` and ``"pattern"`` (the codes printed in it)."""
    out = []
    for name, value in spec.items():
        if not isinstance(value, Mapping):
            out.append(ColumnSpec(name, (_choices(value),)))
            continue
        fill = bool(value.get("fill_down", False))
        pattern = value.get("pattern")
        if "join" in value:
            parts = tuple(_choices(p) for p in value["join"])
            out.append(ColumnSpec(name, parts, join=True, fill_down=fill, pattern=pattern))
        else:
            out.append(
                ColumnSpec(name, (_choices(value["header"]),), fill_down=fill, pattern=pattern)
            )
    return tuple(out)


def _form(spec: Mapping[str, Any]) -> Form:
    """A form's layout: ``label`` (the column of section labels) and ``sections``."""
    return Form(
        spec["label"],
        tuple(
            FormSection(
                label=s["label"],
                columns=tuple(s["columns"]),
                printed=bool(s.get("printed", True)),
                single=s.get("single"),
                header=tuple(header_word(h) for h in s.get("header", ())),
                required=tuple(s.get("required", ())),
            )
            for s in spec["sections"]
        ),
    )


def layout_from_data(data: Mapping[str, Any], file: str, schemas: Path) -> Layout:
    """Read a :class:`Layout` from its JSON data (``schemas`` is the folder of its schema)."""
    schema_file = str(schemas / data["schema"])
    template = load_template(schema_file)
    tables = []
    for role, spec in data["tables"].items():
        table = template.table(role)
        if table is None:
            raise ValueError(f"{file}: table {role!r} is not in {data['schema']}")
        form = _form(spec["form"]) if "form" in spec else None
        if form is not None:
            names = [form.label, *(c for sec in form.sections for c in sec.columns)]
            for name in names:
                if table.column(name) is None:
                    raise ValueError(f"{file}: column {role}.{name} is not in the schema")
        if "blocks" in spec:
            blocks = tuple(
                Block(_columns(b["columns"]), dict(b.get("const", {}))) for b in spec["blocks"]
            )
        else:
            blocks = (Block(_columns(spec.get("columns", {})), dict(spec.get("const", {}))),)
        for block in blocks:
            for col in block.columns:
                if table.column(col.name) is None:
                    raise ValueError(f"{file}: column {role}.{col.name} is not in the schema")
        titles = tuple(
            dict.fromkeys(title_key(n) for n in (*table.names, role, *spec.get("titles", [])))
        )
        tables.append(
            TableLayout(
                role=role,
                titles=titles,
                blocks=blocks,
                unit=spec.get("unit"),
                empty=re.compile(
                    spec.get(
                        "empty",
                        data.get("empty", r"无数据|空表|此表为空|无.*?(安排|支出|收入).*?(故|，)"),
                    )
                ),
                skip=re.compile(spec["skip"]) if spec.get("skip") else None,
                positional=bool(spec.get("positional", False)),
                form=form,
            )
        )
    statements = tuple(
        StatementSpec(s["name"], re.compile(s["pattern"]), s.get("unit"))
        for s in data.get("statements", [])
    )
    # a meta field is found by patterns over the text (strings) or in a table cell (objects)
    meta = {
        k: tuple(re.compile(p) for p in v if isinstance(p, str))
        for k, v in data.get("meta", {}).items()
    }
    meta_cells = {
        k: tuple(
            MetaCell(p["table"], p["column"], dict(p["row"])) for p in v if isinstance(p, Mapping)
        )
        for k, v in data.get("meta", {}).items()
    }
    return Layout(
        name=template.name,
        file=file,
        schema_file=schema_file,
        template=template,
        unit=data.get("unit", "万元"),
        kinds=tuple(data.get("kinds", [template.kind])),
        tables=tuple(tables),
        statements=statements,
        meta=meta,
        meta_cells={k: v for k, v in meta_cells.items() if v},
    )


@cache
def load_layout(path: str) -> Layout:
    """The layout in the JSON file at ``path``."""
    file = Path(path)
    with open(file, encoding="utf-8") as fh:
        data = json.load(fh)
    return layout_from_data(data, str(file), file.parent)


def layout_files() -> list[Path]:
    """The layout files shipped in ``schemas/``."""
    return sorted(data_dir("schemas").glob("*.layout.json"))


@cache
def all_layouts() -> tuple[Layout, ...]:
    """Every shipped template layout."""
    return tuple(load_layout(str(p)) for p in layout_files())


def find_layout(name: str) -> Layout | None:
    """A shipped layout by template name or file stem."""
    for layout in all_layouts():
        stem = Path(layout.file).name.removesuffix(".layout.json")
        if name in (layout.name, stem):
            return layout
    return None
