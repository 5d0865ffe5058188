"""Pour valid documents into one Polars frame per table, and scale their amounts.

The Python objects of a chunk of documents are poured into per-table lists
with ``list.extend`` (a loop per document, none per row or cell), then one
``pl.from_dicts`` per table builds the chunk's frame (measured faster than
Polars' own JSON reader, column-wise lists or ``itemgetter`` rows). The chunks
are concatenated once, and only then get their ``document``/``row`` columns and
their amounts scaled (one vectorised pass per table; see
:mod:`checker.documents.amounts`).

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain
from typing import Any, Final

import polars as pl

from checker import pointers
from checker.collecting import SMALL_BATCH, collect_plans
from checker.diagnostics import Diagnostic, Location, register
from checker.documents.amounts import _ULPS, MAX_AMOUNT, SCALE, _inexact
from checker.documents.provenance import ProvenancePour, source_file
from checker.documents.schema import _READ_DTYPES, Column, DocumentSchema, _show

register(
    {
        "doc.frame": (
            "文档数据无法装入表格：{detail}",
            "the document's data cannot be put into frames: {detail}",
        ),
    }
)


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
    spans say which document owns how many rows, and :func:`_finish_frames` adds
    the columns once, to the whole batch.
    """

    documents: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    table_info: pl.DataFrame
    statements: pl.DataFrame
    table_spans: dict[str, _Span]
    statement_span: _Span
    provenance: pl.DataFrame  # where each cell was published (checker.documents.provenance)

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
            take("provenance"),
        )


_NO_FRAME: Final = pl.DataFrame()

# which documents own the rows of a frame, in order: (documents, row count of each)
_Span = tuple[list[int], list[int]]


def _build(
    spec: DocumentSchema,
    valid: list[tuple[int, tuple[str, int | None], dict[str, Any]]],
    ids: Mapping[int, str],
) -> tuple[_Frames, dict[int, list[tuple[int, Diagnostic]]]]:
    """Pour a chunk of valid documents into frames (amounts Float64 until :func:`_finish_frames`).

    A document whose values do not fit their column type gets a ``doc.frame``
    diagnostic (returned, by section) and nulls for that part; it is dropped
    from every frame by :func:`checker.documents.batches._finish`.
    """
    pours = {role: _Pour() for role in spec.tables}
    metas = _Pour()
    statements = _Pour()
    statement_names: list[str] = []
    info: list[dict[str, Any]] = []
    sources = ProvenancePour({role: [c.name for c in cols] for role, cols in spec.tables.items()})
    for index, _where, obj in valid:  # a loop per document; rows are moved by list.extend
        tables = obj.get("tables") or {}
        published = source_file(obj.get("meta"))
        sources.add_document(index, published)
        for role, pour in pours.items():
            table = tables.get(role)
            if not isinstance(table, dict):
                continue
            rows = table.get("rows") or []
            pour.add(index, rows)
            sources.add(index, role, table, published)
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
        documents,
        frames,
        table_info,
        stmt,
        spans,
        (statements.owners, statements.counts),
        sources.frame(),
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
                loc = Location(file, line, pointer=pointers.build(*path))
                diag = Diagnostic("doc.frame", loc, {"detail": detail})
                problems.setdefault(owner, []).append((section, diag))
                cleaned.extend([{}] * count)
        return _frame(cleaned, columns)


def _finish_frames(
    spec: DocumentSchema,
    frames: _Frames,
    where: Mapping[int, tuple[str, int | None]],
    problems: dict[int, list[tuple[int, Diagnostic]]],
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame]:
    """A batch's tables, documents and statements frames: ``document``/``row`` columns
    added, amounts scaled once and checked (each inexact cell added to ``problems``, by
    section: see :func:`_check_scaled`)."""
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
    return tables, checked[len(roles)], checked[len(roles) + 1]


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
                Location(file, line, pointer=pointers.build(*parts)),
                {"value": _show(value), "limit": MAX_AMOUNT},
            )
            problems.setdefault(document, []).append((section, diag))


def to_template_units(
    spec: DocumentSchema,
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    table_info: pl.DataFrame,
) -> dict[str, pl.DataFrame | pl.LazyFrame]:
    """Each table a document printed in another unit than its template's (``x-unit``:
    a 三公 table in 元 where the template prints 万元) converted into the template's unit,
    one join per such table (none when every document prints the template's units).

    Scaled amounts are multiplied exactly (元 → 万元 divides, rounded to the 4 decimals
    amounts carry)."""
    from checker.units import FACTORS

    out = dict(tables)
    for table in spec.template.tables:
        if table.unit not in FACTORS or table.role not in tables:
            continue
        odd = table_info.filter(
            (pl.col("table") == table.role)
            & pl.col("unit").is_in(list(FACTORS))
            & (pl.col("unit") != table.unit)
        )
        if odd.is_empty():
            continue
        ratios = {u: f / FACTORS[table.unit] for u, f in FACTORS.items()}
        factors = odd.select(
            "document",
            pl.col("unit")
            .replace_strict({u: int(r) if r >= 1 else 1 for u, r in ratios.items()})
            .cast(pl.Int64)
            .alias("__mul"),
            pl.col("unit")
            .replace_strict({u: int(1 / r) if r < 1 else 1 for u, r in ratios.items()})
            .cast(pl.Int64)
            .alias("__div"),
        )
        given = tables[table.role]
        lazy = isinstance(given, pl.LazyFrame)
        frame = given.join(factors.lazy() if lazy else factors, on="document", how="left")  # type: ignore[arg-type]
        amounts = [c for c in table.amount_columns if c in frame.collect_schema().names()]
        converted = [
            pl.when(pl.col("__mul").is_null())
            .then(pl.col(c))
            .otherwise(
                ((pl.col(c) * pl.col("__mul")).cast(pl.Float64) / pl.col("__div"))
                .round(0)
                .cast(pl.Int64)
            )
            .alias(c)
            for c in amounts
        ]
        out[table.role] = frame.with_columns(converted).drop("__mul", "__div")
    return out
