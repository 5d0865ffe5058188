"""Resolved rules → Polars plans: the only place rules meet Polars.

Every rule runs for all documents (and all rows) at once:

* **document-level rules** are expressions over one *wide frame* ``W``: a row
  per document and a column per distinct cell reference, statement,
  aggregate, value set and emptiness test any rule needs. ``W`` is built once
  per batch with one ``group_by(document)`` per table (see :class:`Planner`).
* **per-row rules** are expressions over the scope table's frame (filtered),
  joined with the ``W`` columns they use; aggregates correlated with the
  current row (``row.列`` in a filter) become a join + group-by per rule.
* **roll-ups** are group-bys of child rows by their parent code prefix.

Values: exact amounts are ``Decimal(38, 4)``; ``*`` and ``/`` switch to
``Float64`` (DESIGN.md: floats only where a rule divides). Each numeric value
carries a rounding interval ``[lo, hi]``: a published amount ``v`` is
``[v - p/2, v + p/2]``; an empty cell is an exact 0; literals are exact;
sums, differences, products and quotients are interval arithmetic.

Judging a comparison: ``pass`` when the values satisfy it exactly,
``rounding`` when only the intervals do, ``fail`` otherwise, ``error`` when
an operand cannot be evaluated (missing row, division by zero).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeAlias

import polars as pl

from checker import ast
from checker.collecting import ENGINE
from checker.functions import FUNCTIONS, Function, arguments, returns
from checker.intervals import DEC, DECIMALS, F64, Num, to_float
from checker.intervals import distinct as _distinct
from checker.intervals import first_reason as _reason
from checker.intervals import lit_dec as _lit_dec
from checker.judging import (
    FAIL,
    OP_CODES,
    OPERATORS,
    PASS,
    SKIPPED,
    exact_polars,
    meets,
    status_polars,
    tolerated_polars,
    tolerates,
    within,
)
from checker.judging import STATUS as _STATUS
from checker.template import LABEL_PREFIX_PATTERN, Table, Template, normalize_label

# Typed literals: an untyped one is coerced while Polars plans, every time it runs.
_F0, _F1 = pl.lit(0.0, pl.Float64), pl.lit(1.0, pl.Float64)
_INF, _NEG_INF = pl.lit(float("inf"), pl.Float64), pl.lit(float("-inf"), pl.Float64)

LABEL = "__label"  # normalised label column added to every table frame
GROUP = "__group"  # a per-group rule's frame: the group's key (one row per document and key)
_GROUP_KEY = "__gkey"  # an aggregated table's rows: the key of the group each row joins
BLOCK = "__block"  # unit block number (rows after the n-th subtotal row)


class CompileError(Exception):
    """A resolved rule uses a construct the Polars backend cannot run."""

    def __init__(self, message: str, span: ast.Span) -> None:
        super().__init__(f"{span}: {message}")
        self.span = span


def normalize_label_expr(expr: pl.Expr) -> pl.Expr:
    """Polars twin of :func:`checker.template.normalize_label`."""
    return (
        expr.str.normalize("NFKC")
        .str.replace(LABEL_PREFIX_PATTERN, "")
        .str.replace_all(r"\s+", "")
        .str.strip_chars_end(":")
    )


# --------------------------------------------------------------------------- values


def _same(a: pl.Expr | None, b: pl.Expr | None) -> bool:
    """Whether two optional expressions are the same (both absent, or ``meta.eq``)."""
    return (a is None and b is None) or (a is not None and b is not None and a.meta.eq(b))


def _published(value: pl.Expr, half: Decimal) -> Num:
    """A published amount column: empty → exact 0, else ±half."""
    zero = _lit_dec(0)
    v = value.fill_null(zero)
    lo = (value - _lit_dec(half)).fill_null(zero)
    hi = (value + _lit_dec(half)).fill_null(zero)
    return Num(v, lo, hi, nullable=False)


def _mul(a: Num, b: Num, ctx: Context) -> Num:
    a, b = ctx.bind(a.as_float()), ctx.bind(b.as_float())
    lo, hi = _bounds([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi], ctx)
    return Num(a.v * b.v, lo, hi, False, _reason(a.reason, b.reason), a.nullable or b.nullable)


def _bounds(candidates: list[pl.Expr], ctx: Context) -> tuple[pl.Expr, pl.Expr]:
    """The hull of interval end-point products/quotients; unbounded if any is NaN (0·∞).

    Each distinct candidate is computed once, as a temporary (a constant factor makes
    two of the four the same): both bounds read them, and the NaN test too.
    """
    points = [ctx.let(c) for c in _distinct(candidates)]
    undefined = ctx.let(pl.any_horizontal([c.is_nan() for c in points]))
    lo = pl.when(undefined).then(_NEG_INF).otherwise(pl.min_horizontal(points))
    hi = pl.when(undefined).then(_INF).otherwise(pl.max_horizontal(points))
    return lo, hi


def _div(a: Num, b: Num, ctx: Context) -> Num:
    # Division is multiplication by the reciprocal, in both evaluators: Polars
    # rewrites `x / literal` that way, so spelling it out keeps results bit-identical.
    a, b = ctx.bind(a.as_float()), ctx.bind(b.as_float())
    zero = ctx.let(b.v == _F0)
    straddles = ctx.let((b.lo <= _F0) & (b.hi >= _F0))
    r_lo, r_hi = ctx.let(_F1 / b.lo), ctx.let(_F1 / b.hi)
    q_lo, q_hi = _bounds([a.lo * r_lo, a.lo * r_hi, a.hi * r_lo, a.hi * r_hi], ctx)
    lo = pl.when(straddles).then(_NEG_INF).otherwise(q_lo)
    hi = pl.when(straddles).then(_INF).otherwise(q_hi)
    div_reason = pl.when(zero).then(pl.lit("division-by-zero:")).otherwise(pl.lit(None, pl.Utf8))
    v = pl.when(zero).then(pl.lit(None, F64)).otherwise(a.v * (_F1 / b.v))
    return Num(v, lo, hi, False, _reason(a.reason, b.reason, div_reason))


def _add(a: Num, b: Num, sign: int) -> Num:
    if a.exact != b.exact:
        a, b = a.as_float(), b.as_float()
    reason, nullable = _reason(a.reason, b.reason), a.nullable or b.nullable
    if sign > 0:
        return Num(a.v + b.v, a.lo + b.lo, a.hi + b.hi, a.exact, reason, nullable)
    return Num(a.v - b.v, a.lo - b.hi, a.hi - b.lo, a.exact, reason, nullable)


# --------------------------------------------------------------------------- the wide frame


@dataclass
class _TableNeeds:
    aggs: dict[str, pl.Expr] = field(default_factory=dict)
    booleans: set[str] = field(default_factory=set)  # columns to fill with False
    # aggregate conditions as columns of the table frame, each computed once however
    # many aggregates share it (a column template repeats one condition per column)
    masks: dict[str, pl.Expr] = field(default_factory=dict)


class Planner:
    """Collects every per-document quantity the rules need and builds the wide frame ``W``."""

    def __init__(self, template: Template) -> None:
        self.template = template
        # per table printed in another unit than the ruleset's: its figures' half-width
        # in the ruleset's unit (checker.units.table_halves; set by the engine)
        self.halves: dict[str, Decimal] = {}
        # W columns read in related documents (上年(…)…): relation → names
        self._related: dict[str, set[str]] = {}
        self._names: dict[Any, str] = {}
        self._tables: dict[str, _TableNeeds] = {}
        self._statements: dict[str, pl.Expr] = {}
        self._statement_bools: set[str] = set()
        self._meta: dict[str, str] = {}  # meta field → its W column
        self._empty_tables: dict[str, str] = {}

    @property
    def tables_read(self) -> frozenset[str]:
        """The tables the wide frame aggregates: their frames are read whole."""
        return frozenset(role for role, needs in self._tables.items() if needs.aggs)

    def columns_of(self, role: str) -> frozenset[str]:
        """The wide frame's columns computed from table ``role``'s rows."""
        needs = self._tables.get(role)
        return frozenset(needs.aggs) if needs is not None else frozenset()

    def _name(self, key: Any) -> str:
        if key not in self._names:
            self._names[key] = f"__w{len(self._names)}"
        return self._names[key]

    def table(self, role: str) -> Table:
        table = self.template.table(role)
        if table is None:
            raise KeyError(role)
        return table

    def row_match(self, table: Table, key: ast.RowKey) -> pl.Expr:
        """The rows of ``table`` that ``表[key]`` picks."""
        if key.kind == "code" and table.code is not None:
            return pl.col(table.code) == key.value
        return pl.col(LABEL) == normalize_label(key.value)

    def value_expr(self, table: Table, column: str | None) -> pl.Expr:
        """A column, or the table's default value column(s) coalesced."""
        if column is not None:
            return pl.col(column)
        if len(table.value) == 1:
            return pl.col(table.value[0])
        return pl.coalesce([pl.col(c) for c in table.value])

    def cell(self, ref: ast.CellRef) -> tuple[str, str, str]:
        """W columns (value, found, row index) of one cell reference."""
        assert ref.table is not None
        table = self.table(ref.table)
        key = ("cell", ref.table, ref.row.kind, ref.row.value, ref.column)
        base = self._name(key)
        needs = self._tables.setdefault(ref.table, _TableNeeds())
        # whether the row exists and its index depend on the row only: shared by every
        # column read from it, like the row's match (a mask column)
        row = self._name(("cell-row", ref.table, ref.row.kind, ref.row.value))
        if row + "_f" not in needs.aggs:
            needs.masks[row] = self.row_match(table, ref.row)
            needs.aggs[row + "_f"] = pl.col(row).any()
            needs.aggs[row + "_r"] = pl.col("row").filter(pl.col(row)).first()
            needs.booleans.add(row + "_f")
        if base + "_v" not in needs.aggs:
            needs.aggs[base + "_v"] = self.value_expr(table, ref.column).filter(pl.col(row)).first()
        return base + "_v", row + "_f", row + "_r"

    def aggregate(self, agg: ast.Aggregate, where: pl.Expr | None, value: pl.Expr | None) -> str:
        """W column base name of a document-level aggregate (``_v`` value, ``_n`` cell count)."""
        key = ("agg", agg.func, agg.table, agg.column, repr(agg.where))
        base = self._name(key)
        needs = self._tables.setdefault(agg.table, _TableNeeds())
        if base + "_v" not in needs.aggs:
            mask = self.aggregate_mask(agg)
            if where is not None and mask is not None:
                needs.masks.setdefault(mask, where)
                where = pl.col(mask)
            if agg.func == "count":
                count = pl.len() if where is None else where.sum()
                needs.aggs[base + "_v"] = count.cast(pl.Int64).cast(DEC)
                needs.aggs[base + "_n"] = pl.lit(0, pl.UInt32)
                # the rows counted, by key: a count's evidence (the first few)
                keys = row_key_expr(self.table(agg.table), "row")
                keys = keys if where is None else keys.filter(where)
                needs.aggs[base + "_k"] = keys.head(_SHOWN_VALUES)
            else:
                assert value is not None
                filtered = value if where is None else value.filter(where)
                needs.aggs[base + "_v"] = getattr(filtered, agg.func)()
                needs.aggs[base + "_n"] = filtered.count()
        return base

    def aggregate_mask(self, agg: ast.Aggregate) -> str | None:
        """The mask column of a document-level aggregate's filter (None: every row): a
        Boolean column of its table's frame while the wide frame is built (see :meth:`masks`)."""
        return None if agg.where is None else self._name(("mask", agg.table, repr(agg.where)))

    def masks(self, role: str) -> dict[str, pl.Expr]:
        """The aggregate filters over table ``role``'s rows, by mask column name."""
        needs = self._tables.get(role)
        return dict(needs.masks) if needs is not None else {}

    def value_set(self, table: str, column: str) -> str:
        """W column holding the list of a column's values per document."""
        name = self._name(("set", table, column))
        needs = self._tables.setdefault(table, _TableNeeds())
        needs.aggs[name] = pl.col(column).drop_nulls()
        return name

    def empty(self, role: str) -> str:
        """W column: the table has no row with any amount."""
        name = self._name(("empty", role))
        table = self.table(role)
        needs = self._tables.setdefault(role, _TableNeeds())
        amounts = [pl.col(c).is_not_null() for c in table.amount_columns]
        has_data = pl.any_horizontal(amounts).any() if amounts else pl.len() > 0
        needs.aggs[name] = has_data.not_()
        self._empty_tables[name] = role
        return name

    def statement(self, name: str) -> tuple[str, str]:
        """W columns (value, found) of a prose statement."""
        base = self._name(("stmt", name))
        match = pl.col("name") == name
        self._statements[base + "_v"] = pl.col("value").filter(match).first()
        self._statements[base + "_f"] = match.any()
        self._statement_bools.add(base + "_f")
        return base + "_v", base + "_f"

    def meta(self, field: str) -> str:
        """W column: the document's ``meta.<field>`` (an amount as a Decimal, or text)."""
        return self._meta.setdefault(field, f"__meta_{field}")

    def statement_wording(self, name: str) -> str:
        """W column: a prose statement's direction word as printed (增加 / 减少 / 持平 …)."""
        base = self._name(("stmt-wording", name))
        self._statements[base] = pl.col("wording").filter(pl.col("name") == name).first()
        return base

    def related(self, relation: str, name: str) -> str:
        """The W column holding ``name`` of the document ``relation`` names (ast.RELATIONS)."""
        self._related.setdefault(relation, set()).add(name)
        return f"__{relation}__{name}"

    def related_found(self, relation: str) -> str:
        """The W column: the run holds the document ``relation`` names."""
        self._related.setdefault(relation, set())
        return f"__{relation}__found"

    def build(self, documents: pl.LazyFrame, frames: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
        """The wide frame: one row per document, one column per planned quantity (and
        those read in related documents, from their rows: :meth:`_with_related`)."""
        meta = documents
        wide = documents.select("document", *self._meta_columns(documents))
        fill: dict[str, pl.Expr] = {}
        for role, needs in self._tables.items():
            if not needs.aggs:
                continue
            frame = frames[role]
            if needs.masks:
                frame = frame.with_columns([e.alias(n) for n, e in needs.masks.items()])
            part = frame.group_by("document").agg(
                [expr.alias(name) for name, expr in needs.aggs.items()]
            )
            wide = wide.join(part, on="document", how="left")
            for name in needs.booleans:
                fill[name] = pl.col(name).fill_null(False)
        for name in self._empty_tables:
            fill[name] = pl.col(name).fill_null(True)
        if self._statements:
            part = (
                frames["__statements__"]
                .group_by("document")
                .agg([expr.alias(name) for name, expr in self._statements.items()])
            )
            wide = wide.join(part, on="document", how="left")
            for name in self._statement_bools:
                fill[name] = pl.col(name).fill_null(False)
        if fill:
            wide = wide.with_columns([e.alias(n) for n, e in fill.items()])
        return self._with_related(wide, meta) if self._related else wide

    def _meta_columns(self, documents: pl.LazyFrame) -> list[pl.Expr]:
        """The ``meta`` fields rules read, from the documents frame (null where absent)."""
        if not self._meta:
            return []
        have = documents.collect_schema()
        out = []
        for given, name in self._meta.items():
            spec = self.template.meta_field(given)
            dtype = DEC if spec is not None and spec.kind == "amount" else pl.Utf8
            value = pl.col(given).cast(dtype) if given in have else pl.lit(None, dtype)
            out.append(value.alias(name))
        return out

    def _with_related(self, wide: pl.LazyFrame, meta: pl.LazyFrame) -> pl.LazyFrame:
        """Each related document's quantities beside the document's own: one self-join per
        relation on the body (``meta.department``), year and kind."""
        have = set(meta.collect_schema())
        keys = ("department", "year", "kind")
        base = wide
        for relation, names in sorted(self._related.items()):
            kind, offset = ast.RELATIONS[relation]
            found = f"__{relation}__found"
            if not set(keys) <= have:  # the schema names no body, year or kind: never found
                wide = wide.with_columns(
                    *(pl.lit(None).alias(f"__{relation}__{n}") for n in sorted(names)),
                    pl.lit(False).alias(found),
                )
                continue
            docs = meta.select("document", *keys)
            wanted = docs.select(
                "document",
                "department",
                (pl.col("year") + offset).alias("year"),
                (pl.lit(kind) if kind is not None else pl.col("kind")).alias("kind"),
            )
            targets = docs.select(pl.col("document").alias("__target"), *keys).unique(
                subset=list(keys), keep="first", maintain_order=True
            )
            pairs = wanted.join(targets, on=list(keys), how="left").select("document", "__target")
            theirs = base.select(
                pl.col("document").alias("__target"),
                *(pl.col(n).alias(f"__{relation}__{n}") for n in sorted(names)),
            )
            wide = (
                wide.join(pairs, on="document", how="left")
                .join(theirs, on="__target", how="left")
                .with_columns(pl.col("__target").is_not_null().alias(found))
                .drop("__target")
            )
        return wide


# --------------------------------------------------------------------------- expressions


@dataclass
class Context:
    """Where an expression is evaluated.

    ``row_table`` is the table whose rows are the frame (None: one row per
    document). ``outer_table`` is set inside a correlated aggregate filter:
    ``row.列`` then reads ``__outer__列``.
    """

    planner: Planner
    half: Decimal
    row_table: Table | None = None
    outer_table: Table | None = None
    correlated: list[Correlated] = field(default_factory=list)
    # the rule's id: makes its temporaries' and correlated aggregates' column names unique
    # within an engine whatever the order its rules were compiled in (a cached engine
    # compiles more in a later process, into the same plans)
    prefix: str = ""
    lets: list[tuple[str, pl.Expr]] = field(default_factory=list)  # staged temporaries
    # False where the expressions are used outside the rule's own frame (an aggregate's
    # filter, run by the planner or a correlated join): temporaries are inlined there
    staged: bool = True
    # inside 上年(…) …: W quantities are read in that related document (ast.RELATIONS)
    related: str | None = None
    # the rule reads a related document: its results are skipped when the run lacks it
    reads_related: list[str] = field(default_factory=list)
    # a per-group rule: its grouping (its aggregates read the group's rows), and the
    # expression ``group`` (the current key) reads here
    group: GroupSpec | None = None
    group_key: pl.Expr | None = None
    # the rule's materiality threshold (checker.judging.tolerates): comparisons within it
    # beyond rounding are tolerated
    tolerance: Decimal | None = None

    def bind(self, num: Num) -> Num:
        """Materialise a value as temporary columns, so expressions that use it several
        times (interval products and quotients) stay small."""
        reason = None if num.reason is None else self.let(num.reason)
        return replace(self.share(num, lo=True, hi=True), reason=reason)

    def share(self, num: Num, *, lo: bool, hi: bool) -> Num:
        """``num`` with its value (and the bounds asked for) as temporaries; not its
        reason, which a comparison combines and materialises itself."""
        v = self.let(num.v)
        low = self.let(num.lo) if lo else num.lo
        high = self.let(num.hi) if hi else num.hi
        return Num(v, low, high, num.exact, num.reason, num.nullable, num.const)

    cells: list[pl.Expr] = field(default_factory=list)  # struct exprs describing operands
    columns_used: set[str] = field(default_factory=set)  # W columns the rule reads

    def let(self, expr: pl.Expr) -> pl.Expr:
        """Materialise one expression as a temporary column (see :meth:`bind`); a column
        or a literal is already as cheap as a temporary's column."""
        if not self.staged or expr.meta.is_column() or expr.meta.is_literal():
            return expr
        for name, staged in self.lets:  # the same expression is one temporary
            if staged.meta.eq(expr):
                return pl.col(name)
        name = f"__t{self.prefix}_{len(self.lets)}"
        self.lets.append((name, expr))
        return pl.col(name)

    def w(self, name: str) -> pl.Expr:
        if self.related is not None:
            name = self.planner.related(self.related, name)
        self.columns_used.add(name)
        return pl.col(name)

    def statement_wording(self, name: str) -> pl.Expr:
        """The direction word the prose prints with a statement (``wording(说明.…)``)."""
        wording = self.w(self.planner.statement_wording(name))
        self.cells.append(_text_cell("说明", pl.lit(None), name, wording, f"wording(说明.{name})"))
        return wording

    def half_of(self, role: str | None) -> Decimal:
        """The rounding half-width of a figure of table ``role`` (its own unit's, in the
        ruleset's unit: checker.units), else the rule's."""
        return self.planner.halves.get(role, self.half) if role is not None else self.half


def _ref_text(ref: ast.CellRef) -> str:
    column = f".{ref.column}" if ref.column else ""
    return f"{ref.table}[{ref.row.value}]{column}"


def _cell_struct(
    table: str,
    row: pl.Expr,
    column: str | None,
    value: pl.Expr,
    label: str | None = None,
    text: pl.Expr | None = None,
) -> pl.Expr:
    return pl.struct(
        pl.lit(table).alias("table"),
        row.cast(pl.UInt32).alias("row"),
        pl.lit(column, pl.Utf8).alias("column"),
        value.cast(F64).alias("value"),
        pl.lit(label, pl.Utf8).alias("ref"),
        (text if text is not None else pl.lit(None)).cast(pl.Utf8).alias("text"),
    )


_SHOWN_VALUES = 8  # a set's first values shown as evidence (with its size)


def row_key_expr(table: Table, row: str) -> pl.Expr:
    """A row as a reviewer names it: its key columns (x-key), else its code and label, else
    its 1-based number."""
    columns = list(table.key) or [c for c in (table.code, table.label) if c is not None]
    if not columns:
        return (pl.col(row) + 1).cast(pl.Utf8)
    return pl.concat_str([pl.col(c) for c in columns], separator=" ", ignore_nulls=True)


def _text_cell(table: str, row: pl.Expr, column: str | None, text: pl.Expr, label: str) -> pl.Expr:
    """A text operand as a cell: its value as printed."""
    return _cell_struct(table, row, column, pl.lit(None, F64), label, text)


def number(expr: ast.Expr, ctx: Context) -> Num:
    """Compile a numeric expression."""
    match expr:
        case ast.Number(value=literal):
            d = _lit_dec(literal)
            return Num(d, d, d, nullable=False, const=Decimal(literal))
        case ast.Neg(operand=operand):
            n = number(operand, ctx)
            return Num(-n.v, -n.hi, -n.lo, n.exact, n.reason, n.nullable)
        case ast.BinOp(op=op, left=left, right=right):
            a, b = number(left, ctx), number(right, ctx)
            if op == "+":
                return _add(a, b, 1)
            if op == "-":
                return _add(a, b, -1)
            return ctx.bind(_mul(a, b, ctx) if op == "*" else _div(a, b, ctx))
        case ast.CellRef() as ref:
            value, found, row = ctx.planner.cell(ref)
            assert ref.table is not None
            ctx.cells.append(
                _cell_struct(ref.table, ctx.w(row), ref.column, ctx.w(value), _ref_text(ref))
            )
            n = _published(ctx.w(value), ctx.half_of(ref.table))
            missing = (
                pl.when(ctx.w(found).not_())
                .then(pl.lit(f"missing-cell:{_ref_text(ref)}"))
                .otherwise(pl.lit(None, pl.Utf8))
            )
            return Num(n.v, n.lo, n.hi, True, missing, nullable=False)
        case ast.ColumnRef(column=column, outer=outer):
            table = ctx.outer_table if outer else ctx.row_table
            if table is None:
                raise CompileError(f"column {column} outside a per-row rule", expr.span)
            name = f"__outer__{column}" if outer else column
            if not outer and ctx.outer_table is None:
                ctx.cells.append(_cell_struct(table.role, pl.col("row"), column, pl.col(column)))
            return _published(pl.col(name), ctx.half_of(table.role))
        case ast.StatementRef(name=name):
            value, found = ctx.planner.statement(name)
            ctx.cells.append(_cell_struct("说明", pl.lit(None), name, ctx.w(value), f"说明.{name}"))
            n = _published(ctx.w(value), ctx.half)
            missing = (
                pl.when(ctx.w(found).not_())
                .then(pl.lit(f"missing-statement:说明.{name}"))
                .otherwise(pl.lit(None, pl.Utf8))
            )
            return Num(n.v, n.lo, n.hi, True, missing, nullable=False)
        case ast.MetaRef(field=meta_field):
            given = ctx.w(ctx.planner.meta(meta_field))
            label = f"meta.{meta_field}"
            ctx.cells.append(_cell_struct("meta", pl.lit(None), meta_field, given, label))
            missing = (  # an exact figure, not a published one: no rounding interval
                pl.when(given.is_null())
                .then(pl.lit(f"missing-meta:meta.{meta_field}"))
                .otherwise(pl.lit(None, pl.Utf8))
            )
            v = given.fill_null(_lit_dec(0))
            return Num(v, v, v, True, missing, nullable=False)
        case ast.LetRef(name=name, value=value):
            at = len(ctx.cells)  # the named value is listed before the cells it reads
            n = number(value, ctx)
            ctx.cells.insert(at, _cell_struct("", pl.lit(None), None, n.v, name))
            return n
        case ast.Aggregate() as agg:
            return _aggregate(agg, ctx)
        case ast.Call(func=func, args=args):
            return _call(func, args, ctx, expr.span)
        case ast.Related(relation=relation, operand=operand):
            return _related(relation, operand, expr, ctx)
    raise CompileError(f"not a number: {type(expr).__name__}", getattr(expr, "span", ast.NOWHERE))


def _related(relation: str, operand: ast.Expr, expr: ast.Expr, ctx: Context) -> Num:
    """``上年(x)``: ``x`` in the related document; null (with a ``needs-document`` reason
    that skips the result) where the run does not hold it."""
    inner = replace(ctx, related=relation, cells=[])
    n = number(operand, inner)
    found = pl.col(ctx.planner.related_found(relation))
    ctx.columns_used.add(ctx.planner.related_found(relation))
    ctx.reads_related.append(relation)
    shown = pl.when(found).then(n.v)  # null (—) where the document is missing
    ctx.cells.append(_cell_struct(relation, pl.lit(None), None, shown, _related_label(expr)))
    missing = pl.when(found.not_()).then(pl.lit(f"needs-document:{relation}"))
    reason = missing.otherwise(n.reason) if n.reason is not None else missing
    return Num(n.v, n.lo, n.hi, n.exact, reason, n.nullable, None)


def _related_label(expr: ast.Expr) -> str:
    """``上年(收支表[收入总计])`` as a cell's label (what was read, and in which document)."""
    assert isinstance(expr, ast.Related)
    match expr.operand:
        case ast.CellRef() as ref:
            inner = _ref_text(ref)
        case ast.Aggregate(func=func, table=table, column=column):
            inner = f"{func}({table}{'.' + column if column else ''})"
        case ast.StatementRef(name=name):
            inner = f"说明.{name}"
        case _:
            inner = "…"
    return f"{expr.relation}({inner})"


def _aggregate(agg: ast.Aggregate, ctx: Context) -> Num:
    table = ctx.planner.table(agg.table)
    label = f"{agg.func}({agg.table})"
    if ctx.group is not None and (agg.in_group or _reads_group(agg.where)):
        return _group_aggregate(agg, ctx)
    if agg.where is not None and _outer_columns(agg.where):
        if ctx.row_table is None:
            raise CompileError("row.列 outside a per-row rule", agg.span)
        name = f"__corr{ctx.prefix}_{len(ctx.correlated)}"
        ctx.correlated.append(correlated(agg, name, ctx))
        v, lo, hi = pl.col(name + "_v"), pl.col(name + "_lo"), pl.col(name + "_hi")
        keys = pl.col(name + "_k") if agg.func == "count" else None
    else:
        inner = Context(ctx.planner, ctx.half, row_table=table, staged=False)
        where = boolean(agg.where, inner) if agg.where is not None else None
        value = pl.col(agg.column) if agg.column is not None else None
        base = ctx.planner.aggregate(agg, where, value)
        v = ctx.w(base + "_v").fill_null(_lit_dec(0))
        keys = ctx.w(base + "_k") if agg.func == "count" else None
        if agg.func == "count":
            lo = hi = v
        else:
            n = ctx.w(base + "_n").fill_null(0).cast(pl.Int64).cast(DEC)
            half = _lit_dec(ctx.half_of(agg.table))
            if agg.func == "sum":
                lo, hi = v - n * half, v + n * half
            else:
                lo, hi = v - half, v + half
                lo = pl.when(n == 0).then(v).otherwise(lo)
                hi = pl.when(n == 0).then(v).otherwise(hi)
    # a count's evidence: the rows it counted, by key (the first few)
    counted = keys.list.join("、") if keys is not None else None
    ctx.cells.append(_cell_struct(agg.table, pl.lit(None), agg.column, v, label, counted))
    return Num(v, lo, hi, nullable=False)


@dataclass(frozen=True)
class GroupSpec:
    """How a per-group rule's rows are grouped: its table, the key of a row and the rows
    kept (``for each group of 表 by 键 where 条件``), as expressions over the table's rows."""

    table: str
    key: pl.Expr  # text; a row whose key is null is in no group
    where: pl.Expr | None

    def same(self, other: GroupSpec) -> bool:
        """Whether two rules group the same rows the same way (one frame serves both)."""
        return (
            self.table == other.table
            and self.key.meta.eq(other.key)
            and _same(self.where, other.where)
        )


def _reads_group(node: object) -> bool:
    """Whether ``node`` (an aggregate's filter) reads the current group's key."""
    if isinstance(node, ast.GroupKey):
        return True
    if isinstance(node, tuple):
        return any(_reads_group(n) for n in node)
    if hasattr(node, "__dataclass_fields__") and not isinstance(node, ast.Span):
        return any(_reads_group(getattr(node, f)) for f in node.__dataclass_fields__)
    return False


def _group_aggregate(agg: ast.Aggregate, ctx: Context) -> Num:
    """An aggregate of a per-group rule: over the group's own rows (``sum(表.列)`` of the
    grouped table), or over another table's rows its filter pairs with the group
    (``sum(乙.列 where left(编码, 3) = group)``). Both are correlated aggregates whose outer
    rows are the groups: the group's rows join by their key; another table's rows by the
    expression its filter equates with ``group`` (else by document, then the filter)."""
    spec = ctx.group
    assert spec is not None
    table = ctx.planner.table(agg.table)
    name = f"__corr{ctx.prefix}_{len(ctx.correlated)}"
    outer_key = pl.col(f"__outer__{GROUP}")
    inner = Context(ctx.planner, ctx.half, row_table=table, staged=False, group_key=outer_key)
    mask = boolean(agg.where, inner) if agg.where is not None else pl.lit(True)
    inner_filter: pl.Expr | None = None
    if agg.in_group:
        inner_key: pl.Expr | None = spec.key
        inner_filter = spec.where
    else:
        equated = _equated_with_group(agg.where)
        inner_key = text(equated, inner) if equated is not None else None
    aggs, bounds, filled = _pair_aggregates(agg, name, table, ctx.half_of(agg.table))
    # the rows it took as evidence, each cell placed (a count: their keys, as elsewhere)
    taken = None
    if agg.column is not None:
        value = pl.col(agg.column)
        cell = _cell_struct(agg.table, pl.col("__inner_row"), agg.column, value.cast(F64))
        taken = cell.filter(value.is_not_null()).alias(name + "_c")
    ctx.correlated.append(
        Correlated(
            name,
            agg.table,
            (GROUP,),
            ((_GROUP_KEY, GROUP),) if inner_key is not None else (),
            mask,
            aggs,
            bounds,
            filled,
            inner_filter,
            inner_key,
            taken,
        )
    )
    v, lo, hi = pl.col(name + "_v"), pl.col(name + "_lo"), pl.col(name + "_hi")
    counted = pl.col(name + "_k").list.join("、") if agg.func == "count" else None
    label = f"{agg.func}({agg.table})"
    ctx.cells.append(_cell_struct(agg.table, pl.lit(None), agg.column, v, label, counted))
    if taken is not None:
        ctx.cells.append(pl.col(name + "_c"))
    return Num(v, lo, hi, nullable=False)


def _equated_with_group(where: ast.Cond | None) -> ast.Expr | None:
    """The row expression a filter's ``X = group`` conjunct equates with the key, if any."""
    items = where.items if isinstance(where, ast.And) else (where,)
    for cond in items:
        if isinstance(cond, ast.Compare) and cond.op == "=":
            for a, b in ((cond.left, cond.right), (cond.right, cond.left)):
                if isinstance(b, ast.GroupKey) and not _reads_group(a):
                    return a
    return None


@dataclass(frozen=True)
class Correlated:
    """A per-row aggregate whose filter reads the outer row (``row.列``), as the parts of
    :func:`correlated_frame` that do not depend on the data, built once per rule."""

    name: str  # its columns: name_v, name_lo, name_hi
    table: str  # the inner table
    outer_columns: tuple[str, ...]  # outer columns the filter reads (as __outer__列)
    keys: tuple[tuple[str, str], ...]  # (inner, outer) text columns equal in the filter
    mask: pl.Expr  # the filter over a joined (outer, inner) pair
    aggs: tuple[pl.Expr, ...]  # per outer row
    bounds: tuple[pl.Expr, ...]  # name_v, name_lo, name_hi from the aggregates
    filled: tuple[pl.Expr, ...]  # the same, 0 for outer rows no inner row matched
    # a per-group rule's aggregate: the inner rows kept (the group's filter) and their
    # key (a computed column, joined with the group's key); its rows as evidence
    inner_filter: pl.Expr | None = None
    inner_key: pl.Expr | None = None
    cells: pl.Expr | None = None


def correlated(agg: ast.Aggregate, name: str, ctx: Context) -> Correlated:
    """Prepare a correlated aggregate of a rule compiled in ``ctx`` (see :class:`Correlated`)."""
    table = ctx.planner.table(agg.table)
    inner_ctx = Context(
        ctx.planner, ctx.half, row_table=table, outer_table=ctx.row_table, staged=False
    )
    assert agg.where is not None
    mask = boolean(agg.where, inner_ctx)
    aggs, bounds, filled = _pair_aggregates(agg, name, table, ctx.half_of(agg.table))
    return Correlated(
        name,
        agg.table,
        tuple(sorted(_outer_columns(agg.where))),
        tuple(_equi_keys(agg.where, table, ctx.row_table)),
        mask,
        aggs,
        bounds,
        filled,
    )


def _pair_aggregates(
    agg: ast.Aggregate, name: str, table: Table, own_half: Decimal
) -> tuple[tuple[pl.Expr, ...], tuple[pl.Expr, ...], tuple[pl.Expr, ...]]:
    """A correlated aggregate's expressions over the (outer, inner) pairs its filter kept:
    the aggregates per outer row, its value and interval from them (``name_v``, ``_lo``,
    ``_hi``), and the same filled with 0 where no inner row matched."""
    half = _lit_dec(own_half)
    v_name, lo_name, hi_name = name + "_v", name + "_lo", name + "_hi"
    aggs: tuple[pl.Expr, ...]
    bounds: tuple[pl.Expr, ...]
    if agg.func == "count":
        keys = row_key_expr(table, "__inner_row").head(_SHOWN_VALUES).alias(name + "_k")
        aggs = (pl.len().cast(pl.Int64).cast(DEC).alias(v_name), keys)
        bounds = (pl.col(v_name).alias(lo_name), pl.col(v_name).alias(hi_name))
    else:
        assert agg.column is not None
        col = pl.col(agg.column)
        aggs = (getattr(col, agg.func)().alias(v_name), col.count().alias(name + "_n"))
        v = pl.col(v_name).fill_null(_lit_dec(0))
        n = pl.col(name + "_n").cast(pl.Int64).cast(DEC)
        width = n * half if agg.func == "sum" else pl.when(n == 0).then(_lit_dec(0)).otherwise(half)
        bounds = (v.alias(v_name), (v - width).alias(lo_name), (v + width).alias(hi_name))
    zero = _lit_dec(0)
    filled = tuple(pl.col(c).fill_null(zero) for c in (v_name, lo_name, hi_name))
    return aggs, bounds, filled


def correlated_frame(
    specs: Sequence[Correlated],
    outer: pl.LazyFrame,
    inner: pl.LazyFrame,
    with_cells: bool = False,
) -> pl.LazyFrame:
    """Per outer row (document, row): the aggregates over the inner rows their filter
    selects. ``specs`` share their inner table, filter and join keys (see
    :func:`same_pairs`): one join and one group-by compute them all (and, ``with_cells``,
    the rows a per-group rule's aggregates took, as evidence)."""
    spec = specs[0]
    left = outer.select(
        "document", "row", *[pl.col(c).alias(f"__outer__{c}") for c in spec.outer_columns]
    )
    if spec.inner_filter is not None:
        inner = inner.filter(spec.inner_filter)
    if spec.inner_key is not None:
        inner = inner.with_columns(spec.inner_key.alias(_GROUP_KEY))
    right = inner.rename({"row": "__inner_row"})
    # Equalities between text columns of the inner and the outer row become join keys
    # (null = null, as in filters), so only matching pairs are ever formed.
    right = right.with_columns([pl.col(i).alias(f"__key_{i}") for i, _ in spec.keys])
    pairs = left.join(
        right,
        left_on=["document", *[f"__outer__{o}" for _, o in spec.keys]],
        right_on=["document", *[f"__key_{i}" for i, _ in spec.keys]],
        how="inner",
        nulls_equal=True,
    ).filter(spec.mask)
    cells = [s.cells for s in specs if s.cells is not None] if with_cells else []
    grouped = pairs.group_by("document", "row").agg([a for s in specs for a in s.aggs] + cells)
    grouped = grouped.with_columns([b for s in specs for b in s.bounds])
    counts = [
        s.name + "_n" for s in specs if any(a.meta.output_name() == s.name + "_n" for a in s.aggs)
    ]
    if counts:
        grouped = grouped.drop(counts)
    return (
        outer.select("document", "row")
        .join(grouped, on=["document", "row"], how="left")
        .with_columns([f for s in specs for f in s.filled])
    )


def same_pairs(a: Correlated, b: Correlated) -> bool:
    """Whether two correlated aggregates pair the same outer and inner rows (the same
    inner table, join keys and filter), so one :func:`correlated_frame` serves both."""
    return (
        a.table == b.table
        and a.keys == b.keys
        and a.outer_columns == b.outer_columns
        and a.mask.meta.eq(b.mask)
        and _same(a.inner_filter, b.inner_filter)
        and _same(a.inner_key, b.inner_key)
    )


def _equi_keys(where: ast.Cond | None, inner: Table, outer: Table | None) -> list[tuple[str, str]]:
    """(inner column, outer column) pairs of ``inner.x = row.y`` text conjuncts of a filter."""
    if where is None or outer is None:
        return []
    items = where.items if isinstance(where, ast.And) else (where,)
    keys = []
    for cond in items:
        if not (isinstance(cond, ast.Compare) and cond.op == "="):
            continue
        for a, b in ((cond.left, cond.right), (cond.right, cond.left)):
            if (
                isinstance(a, ast.ColumnRef)
                and not a.outer
                and isinstance(b, ast.ColumnRef)
                and b.outer
            ):
                ic, oc = inner.column(a.column), outer.column(b.column)
                if ic and oc and ic.kind != "amount" and oc.kind != "amount":
                    keys.append((a.column, b.column))
                    break
    return keys


def _outer_columns(node: object) -> set[str]:
    found: set[str] = set()
    if isinstance(node, ast.ColumnRef) and node.outer:
        found.add(node.column)
    elif isinstance(node, tuple):
        for n in node:
            found |= _outer_columns(n)
    elif hasattr(node, "__dataclass_fields__"):
        for f in node.__dataclass_fields__:
            found |= _outer_columns(getattr(node, f))
    return found


def _call(func: str, args: Sequence[ast.Expr], ctx: Context, span: ast.Span) -> Num:
    spec = FUNCTIONS.get(func)
    if spec is not None and spec.expand is not None:
        return number(spec.expand(args, span), ctx)
    if spec is None or spec.polars is None or spec.result != "amount":
        raise CompileError(f"not a number: {func}", span)
    result: Num = spec.polars(ctx, *_arguments(spec, args, ctx))
    return result


def _arguments(spec: Function, args: Sequence[ast.Expr], ctx: Context) -> list[Any]:
    """A call's arguments as its implementation takes them (:func:`functions.arguments`);
    a pattern is listed with the operands, as what the text was tested against."""
    for param, arg in spec.bind(args):
        if param.kind == "pattern" and isinstance(arg, ast.String):
            ctx.cells.append(_text_cell("", pl.lit(None), None, pl.lit(arg.value), spec.name))
    return arguments(spec, args, lambda a: number(a, ctx), lambda a: text(a, ctx))


def text(expr: ast.Expr, ctx: Context) -> pl.Expr:
    """Compile a text expression."""
    match expr:
        case ast.String(value=literal):
            return pl.lit(literal)
        case ast.ColumnRef(column=column, outer=outer):
            got = pl.col(f"__outer__{column}" if outer else column)
            table = ctx.outer_table if outer else ctx.row_table
            if table is not None and not outer and ctx.outer_table is None:
                ctx.cells.append(_text_cell(table.role, pl.col("row"), column, got, column))
            return got
        case ast.CellRef() as ref:
            value, _found, row = ctx.planner.cell(ref)
            assert ref.table is not None
            ctx.cells.append(
                _text_cell(ref.table, ctx.w(row), ref.column, ctx.w(value), _ref_text(ref))
            )
            return ctx.w(value)
        case ast.Call(func=func, args=args) if returns(func, "text"):
            spec = FUNCTIONS[func]
            assert spec.polars is not None
            wording: pl.Expr = spec.polars(ctx, *_arguments(spec, args, ctx))
            return wording
        case ast.MetaRef(field=meta_field):
            given = ctx.w(ctx.planner.meta(meta_field))
            label = f"meta.{meta_field}"
            ctx.cells.append(_text_cell("meta", pl.lit(None), meta_field, given, label))
            return given
        case ast.GroupKey():
            if ctx.group_key is None:
                raise CompileError("group outside a per-group rule", expr.span)
            if ctx.group is not None:  # in the rule itself (not a filter): shown
                ctx.cells.append(_text_cell("", pl.lit(None), None, ctx.group_key, "group"))
            return ctx.group_key
        case ast.LetRef(name=name, value=value):
            at = len(ctx.cells)
            named = text(value, ctx)
            ctx.cells.insert(at, _text_cell("", pl.lit(None), None, named, name))
            return named
    raise CompileError(f"not text: {type(expr).__name__}", getattr(expr, "span", ast.NOWHERE))


def is_text(expr: ast.Expr, ctx: Context) -> bool:
    """Whether ``expr`` is text (a string literal or a text column/cell)."""
    match expr:
        case ast.String():
            return True
        case ast.Call(func=func):
            return returns(func, "text")
        case ast.MetaRef(field=meta_field):
            spec = ctx.planner.template.meta_field(meta_field)
            return spec is not None and spec.kind != "amount"
        case ast.LetRef(value=value):
            return is_text(value, ctx)
        case ast.GroupKey():
            return True
        case ast.ColumnRef(column=column, outer=outer):
            table = ctx.outer_table if outer else ctx.row_table
            col = table.column(column) if table is not None else None
            return col is not None and col.kind != "amount"
        case ast.CellRef(table=role, column=column):
            assert role is not None
            table = ctx.planner.table(role)
            if column is None:
                return False
            col = table.column(column)
            return col is not None and col.kind != "amount"
    return False


# --------------------------------------------------------------------------- conditions


def boolean(cond: ast.Cond, ctx: Context) -> pl.Expr:
    """Compile a condition to a Boolean expression (filters, ``when``): exact values."""
    match cond:
        case ast.Compare(op=op, left=left, right=right):
            if is_text(left, ctx) or is_text(right, ctx):
                a, b = text(left, ctx), text(right, ctx)
                if op == "=":
                    return a.eq_missing(b)
                if op == "!=":
                    return a.ne_missing(b)
                held: pl.Expr = OPERATORS[op].holds(a, b)
                return held.fill_null(False)
            x, y = number(left, ctx), number(right, ctx)
            if x.exact != y.exact:
                x, y = x.as_float(), y.as_float()
            ok: pl.Expr = OPERATORS[op].holds(x.v, y.v)
            missing = _reason(x.reason, y.reason)
            if missing is not None:
                ok = ok & missing.is_null()
            return ok.fill_null(False)
        case ast.Between():
            return pl.all_horizontal([boolean(c, ctx) for c in cond.bounds()])
        case ast.And(items=items):
            return pl.all_horizontal([boolean(i, ctx) for i in items])
        case ast.Or(items=items):
            return pl.any_horizontal([boolean(i, ctx) for i in items])
        case ast.Not(item=item):
            return boolean(item, ctx).not_()
        case ast.IsNull(operand=operand, negated=negated):
            raw = _raw(operand, ctx)
            return raw.is_not_null() if negated else raw.is_null()
        case ast.IsEmpty(table=role, negated=negated):
            empty = ctx.w(ctx.planner.empty(role))
            return empty.not_() if negated else empty
        case ast.Predicate(func=func, args=args):
            spec = FUNCTIONS[func]
            assert spec.polars is not None
            holds: pl.Expr = spec.polars(ctx, *_arguments(spec, args, ctx))
            return holds
        case ast.StartsWith(operand=operand, prefix=prefix):
            return text(operand, ctx).str.starts_with(text(prefix, ctx)).fill_null(False)
        case ast.InValues(operand=operand, values=values, negated=negated):
            if is_text(operand, ctx):
                options = [v.value for v in values if isinstance(v, ast.String)]
                inside = text(operand, ctx).is_in(options).fill_null(False)
                listed = "、".join(options[:_SHOWN_VALUES]) + ("…" if len(options) > 8 else "")
                ctx.cells.append(
                    _cell_struct("", pl.lit(None), None, pl.lit(len(options)), "in", pl.lit(listed))
                )
            else:
                n = number(operand, ctx)
                inside = pl.any_horizontal([n.v == number(v, ctx).v for v in values]).fill_null(
                    False
                )
            return inside.not_() if negated else inside
        case ast.InColumn(operand=operand, table=role, column=column, negated=negated):
            value_list = ctx.w(ctx.planner.value_set(role, column))
            inside = value_list.list.contains(text(operand, ctx)).fill_null(False)
            head = value_list.list.unique(maintain_order=True)
            shown = head.list.head(_SHOWN_VALUES).list.join("、") + pl.when(
                head.list.len() > _SHOWN_VALUES
            ).then(pl.lit("…")).otherwise(pl.lit(""))
            ctx.cells.append(
                _cell_struct(role, pl.lit(None), column, head.list.len(), f"{role}.{column}", shown)
            )
            return inside.not_() if negated else inside
        case ast.Exists(ref=ref):
            _value, found, _row = ctx.planner.cell(ref)
            return ctx.w(found)
    raise CompileError(
        f"not a condition: {type(cond).__name__}", getattr(cond, "span", ast.NOWHERE)
    )


def _raw(expr: ast.Expr, ctx: Context) -> pl.Expr:
    """The unfilled value of a cell or column (for ``is null``)."""
    match expr:
        case ast.ColumnRef(column=column, outer=outer):
            return pl.col(f"__outer__{column}" if outer else column)
        case ast.CellRef() as ref:
            value, _found, _row = ctx.planner.cell(ref)
            return ctx.w(value)
        case ast.StatementRef(name=name):
            value, _found = ctx.planner.statement(name)
            return ctx.w(value)
        case ast.MetaRef(field=meta_field):
            return ctx.w(ctx.planner.meta(meta_field))
        case ast.LetRef(value=value):
            return _raw(value, ctx)
        case ast.Call(func=func) if returns(func, "text"):
            return text(expr, ctx)
        case ast.GroupKey():
            return text(expr, ctx)
    return number(expr, ctx).v


@dataclass(frozen=True)
class Judged:
    """A judged check: its status code, the operands shown in the report, and the error reason."""

    status: pl.Expr
    lhs: Num | None
    rhs: Num | None
    reason: pl.Expr | None


def judge(cond: ast.Cond, ctx: Context) -> Judged:
    """Compile a rule's check to a status (pass / rounding / fail / error)."""
    match cond:
        case ast.Compare(op=op, left=left, right=right) if not (
            is_text(left, ctx) or is_text(right, ctx)
        ):
            a, b = number(left, ctx), number(right, ctx)
            if a.exact != b.exact:
                a, b = a.as_float(), b.as_float()
            # each side's value, and the bounds the comparison reads, are read by the status
            # and again by the output
            lo, hi = OPERATORS[op].reads
            a, b = ctx.share(a, lo=lo, hi=hi), ctx.share(b, lo=hi, hi=lo)
            exact = exact_polars(op, a, b, ctx.half)
            meet = meets(op, a.lo, a.hi, b.lo, b.hi, exact)
            nulls = [n.v.is_null() for n in (a, b) if n.nullable]
            no_value = (
                pl.when(pl.any_horizontal(nulls) if len(nulls) > 1 else nulls[0])
                .then(pl.lit("no-value:"))
                .otherwise(pl.lit(None, pl.Utf8))
                if nulls
                else None
            )
            reason = _reason(a.reason, b.reason, no_value)
            if reason is not None:  # read by the status and shown: computed once
                reason = ctx.let(reason)
            tolerated = None
            if ctx.tolerance is not None and tolerates(op, ctx.tolerance):
                tolerated = tolerated_polars(op, a, b, ctx.tolerance)
            return Judged(status_polars(exact, meet, reason, tolerated), a, b, reason)
        case ast.Between():
            return _between(cond, ctx)
        case ast.And(items=items):
            parts = [judge(i, ctx) for i in items]
            status = pl.max_horizontal([p.status for p in parts])
            return _combine(parts, status)
        case ast.Or(items=items):
            parts = [judge(i, ctx) for i in items]
            status = pl.min_horizontal([p.status for p in parts])
            return _combine(parts, status)
    ok = boolean(cond, ctx)
    return Judged(pl.when(ok).then(_STATUS[PASS]).otherwise(_STATUS[FAIL]), None, None, None)


def _between(cond: ast.Between, ctx: Context) -> Judged:
    """``x between a and b``: ``x >= a`` and ``x <= b`` judged as any comparison, the worse
    verdict; ``x`` is shown against the bound that verdict concerns (``a`` on a tie)."""
    low, high = (judge(c, ctx) for c in cond.bounds())
    assert low.lhs is not None and low.rhs is not None and high.rhs is not None
    # (not temporaries: a comparison of literals is a scalar, which a frame does not take)
    low_status, high_status = low.status, high.status
    upper = high_status > low_status
    a, b = low.rhs.as_float(), high.rhs.as_float()
    bound = Num(
        pl.when(upper).then(b.v).otherwise(a.v),
        pl.when(upper).then(b.lo).otherwise(a.lo),
        pl.when(upper).then(b.hi).otherwise(a.hi),
        False,
    )
    status = pl.max_horizontal(low_status, high_status)
    return Judged(status, low.lhs, bound, _reason(low.reason, high.reason))


def _combine(parts: list[Judged], status: pl.Expr) -> Judged:
    first = next((p for p in parts if p.lhs is not None), None)
    reason = _reason(*(p.reason for p in parts))
    return Judged(status, first.lhs if first else None, first.rhs if first else None, reason)


# --------------------------------------------------------------------------- rules


RESULT_COLUMNS = (
    "document",
    "rule",
    "row",
    "column",
    "status",
    "lhs",
    "rhs",
    "lhs_lo",
    "lhs_hi",
    "rhs_lo",
    "rhs_hi",
    "reason",
    "cells",
)


def _result_select(
    rule_id: str,
    judged: Judged,
    row: pl.Expr,
    column: str | None,
    when: pl.Expr | None,
) -> list[pl.Expr]:
    status = judged.status
    if when is not None:
        status = pl.when(when).then(status).otherwise(_STATUS[SKIPPED])
    empty = pl.lit(None, F64)
    lhs = judged.lhs.as_float() if judged.lhs is not None else None
    rhs = judged.rhs.as_float() if judged.rhs is not None else None
    return [
        pl.col("document"),
        pl.lit(rule_id).alias("rule"),
        row.cast(pl.UInt32).alias("row"),
        pl.lit(column, pl.Utf8).alias("column"),
        status.cast(pl.UInt8).alias("status"),
        (lhs.v if lhs else empty).alias("lhs"),
        (rhs.v if rhs else empty).alias("rhs"),
        (lhs.lo if lhs else empty).alias("lhs_lo"),
        (lhs.hi if lhs else empty).alias("lhs_hi"),
        (rhs.lo if rhs else empty).alias("rhs_lo"),
        (rhs.hi if rhs else empty).alias("rhs_hi"),
        (judged.reason if judged.reason is not None else pl.lit(None, pl.Utf8)).alias("reason"),
    ]


def _cells_expr(cells: list[pl.Expr]) -> pl.Expr:
    """The operands' list of cell structs (built only when a report asks for them); a cell
    the rule reads twice is listed once. A bare column among them is a list of cells (a
    correlated aggregate's rows), spliced in where it stands.

    Runs of structs are fixed-width arrays made lists: the same column as
    ``pl.concat_list`` of the structs, which Polars 2.1 builds some 50 times more slowly
    (11,000 rows of 20 per-row rules: 4.8 s against 0.1 s)."""
    cells = _distinct(cells)
    if not cells:
        return pl.lit(None).cast(pl.List(CELL_DTYPE)).alias("cells")
    pieces: list[pl.Expr] = []
    run: list[pl.Expr] = []
    for cell in cells:
        if cell.meta.is_column():
            if run:
                pieces.append(pl.concat_arr(run).arr.to_list())
                run = []
            pieces.append(cell)
        else:
            run.append(cell)
    if run:
        pieces.append(pl.concat_arr(run).arr.to_list())
    listed = pieces[0] if len(pieces) == 1 else pl.concat_list(pieces)
    return listed.alias("cells")


# an operand: where it is, its amount, its label; ``text`` a text operand's value as
# printed (a code, a name, a wording) or what a condition compared with (a set's first
# values, a pattern): the evidence a reviewer reads beside the verdict
CELL_DTYPE = pl.Struct(
    {
        "table": pl.Utf8,
        "row": pl.UInt32,
        "column": pl.Utf8,
        "value": F64,
        "ref": pl.Utf8,
        "text": pl.Utf8,
    }
)


@dataclass
class CompiledRule:
    """One rule's plan: a function of (W, table frames) → results frame."""

    rule_id: str
    table: str | None
    select: list[pl.Expr]
    cells: pl.Expr
    row_filter: pl.Expr | None
    w_columns: set[str]
    correlated: list[Correlated]
    # temporaries as named expressions, by stage: each reads only earlier stages' columns
    stages: list[list[pl.Expr]]
    # a per-group rule: how its rows are grouped (``table`` is the grouped table; the
    # rule's frame has a row per group, ``row`` its first row)
    group: GroupSpec | None = None

    @property
    def lets(self) -> list[tuple[str, pl.Expr]]:
        """The temporaries as (name, expression), stage by stage."""
        return [(e.meta.output_name(), e) for stage in self.stages for e in stage]


def _staged(lets: list[tuple[str, pl.Expr]]) -> list[list[pl.Expr]]:
    """A rule's temporaries in as few stages as their dependencies allow (worked out once,
    when the rule is compiled: a temporary reads only its own rule's earlier ones). Each
    goes into the first stage after the last one defining a column it reads, which keeps
    a plan shallow: planning cost grows with its depth."""
    stages: list[list[pl.Expr]] = []
    stage_of: dict[str, int] = {}
    for name, expr in lets:
        needs = [stage_of[c] for c in expr.meta.root_names() if c in stage_of]
        level = max(needs) + 1 if needs else 0
        if level == len(stages):
            stages.append([])
        stages[level].append(expr.alias(name))
        stage_of[name] = level
    return stages


def compile_rule(
    rule: ast.Rule,
    planner: Planner,
    default_precision: Decimal,
    default_tolerance: Decimal | None = None,
) -> CompiledRule:
    """Compile one resolved rule (precision and tolerance: the rule's, else the defaults)."""
    precision = rule.precision if rule.precision is not None else default_precision
    tolerance = rule.tolerance if rule.tolerance is not None else default_tolerance
    table = planner.table(rule.scope_table) if rule.scope_table and rule.per_row else None
    ctx = Context(planner, precision / 2, row_table=table, prefix=rule.meta.id, tolerance=tolerance)
    group = None
    if rule.group_by is not None and rule.scope_table is not None:
        group = _group_spec(rule, planner)
        ctx = replace(ctx, group=group, group_key=pl.col(GROUP))
        rule = replace(rule, row_filter=None)  # it chose the rows grouped
    judged = judge(rule.check, ctx)
    when = boolean(rule.when, ctx) if rule.when is not None else None
    # The row filter also selects a correlated aggregate's outer rows, before the rule's
    # temporaries exist: inlined (the context's lists are shared, its temporaries not used)
    inline = replace(ctx, staged=False)
    row_filter = boolean(rule.row_filter, inline) if rule.row_filter is not None else None
    row = pl.col("row") if table is not None or group is not None else pl.lit(None, pl.UInt32)
    if ctx.reads_related and judged.reason is not None:
        # the run lacks the related document: skipped (the reason names the one needed)
        needs = judged.reason.str.starts_with("needs-document:")
        skipped = pl.when(needs).then(_STATUS[SKIPPED]).otherwise(judged.status)
        judged = replace(judged, status=skipped)
    select = _result_select(rule.meta.id, judged, row, rule.expanded_column, when)
    return CompiledRule(
        rule.meta.id,
        table.role if table else (group.table if group else None),
        select,
        _cells_expr(ctx.cells),
        row_filter,
        set(ctx.columns_used),
        ctx.correlated,
        _staged(ctx.lets),
        group,
    )


def _group_spec(rule: ast.Rule, planner: Planner) -> GroupSpec:
    """A per-group rule's grouping, as expressions over its table's rows."""
    assert rule.group_by is not None and rule.scope_table is not None
    table = planner.table(rule.scope_table)
    rows = Context(planner, Decimal(0), row_table=table, staged=False)
    where = boolean(rule.row_filter, rows) if rule.row_filter is not None else None
    return GroupSpec(table.role, text(rule.group_by, rows), where)


def group_frame(spec: GroupSpec, frame: pl.LazyFrame) -> pl.LazyFrame:
    """A per-group rule's frame: one row per document and key (``GROUP``) of the rows kept,
    ``row`` the first of them (a group is named by its key and placed at its first row)."""
    rows = frame if spec.where is None else frame.filter(spec.where)
    return (
        rows.select("document", "row", spec.key.alias(GROUP))
        .filter(pl.col(GROUP).is_not_null())
        .group_by("document", GROUP)
        .agg(pl.col("row").min())
    )


def table_plan(
    rules: Sequence[CompiledRule],
    wide: pl.LazyFrame,
    frames: dict[str, pl.LazyFrame],
    with_cells: bool = False,
    rows: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One plan for all per-row rules of one table (or per-group rules of one grouping,
    over its groups: :func:`group_frame`): a struct column per rule, unpivoted.

    Each rule's row filter travels as a ``__keep`` field, applied after the unpivot,
    so every rule shares one join of the table with the wide frame. ``with_cells``
    adds the operands' ``cells`` list (the costliest part, so only on demand).
    ``rows`` (``document``, ``row``), when given, are the only rows evaluated.
    """
    base = _table_base(rules, wide, frames, rows, with_cells)
    structs = []
    for i, rule in enumerate(rules):
        keep = rule.row_filter if rule.row_filter is not None else pl.lit(True)
        fields = [*_fields(rule, with_cells), keep.alias("__keep")]
        if rule.group is not None:  # the result names its group by the key
            fields.append(pl.col(GROUP).alias("group"))
        structs.append(pl.struct(fields).alias(f"__r{i}"))
    return (
        base.select(structs)
        .unpivot(on=[f"__r{i}" for i in range(len(rules))])
        .select(pl.col("value").struct.unnest())
        .filter(pl.col("__keep"))
        .drop("__keep")
    )


def table_statuses(
    rules: Sequence[CompiledRule], wide: pl.LazyFrame, frames: dict[str, pl.LazyFrame]
) -> pl.LazyFrame:
    """Every per-row rule of one table, statuses only: ``document``, ``row`` and one UInt8
    status column per rule (named by its position in ``rules``; null where its row
    filter leaves the row out). What a large table's rows cost when only the few
    results that are not passes become rows (see :func:`table_plan` for those)."""
    base = _table_base(rules, wide, frames, None, with_cells=False)
    statuses = []
    for i, rule in enumerate(rules):
        status = next(e for e in rule.select if e.meta.output_name() == "status")
        if rule.row_filter is not None:
            status = pl.when(rule.row_filter).then(status)
        statuses.append(status.alias(str(i)))
    # As one struct with the row's keys: a status made of literals alone (a rule whose
    # sides are constants) is one value, which a select of its own would not broadcast
    return base.select(pl.struct("document", "row", *statuses).alias("__s")).unnest("__s")


def _table_base(
    rules: Sequence[CompiledRule],
    wide: pl.LazyFrame,
    frames: dict[str, pl.LazyFrame],
    rows: pl.LazyFrame | None,
    with_cells: bool,
) -> pl.LazyFrame:
    """The rules' table (its ``rows`` only, when given) with the W columns, correlated
    aggregates and temporaries its rules read (``with_cells``: and their cells)."""
    table = rules[0].table
    assert table is not None
    group = rules[0].group  # per-group rules: a frame of groups (rules sharing its grouping)
    base = frames[table] if group is None else group_frame(group, frames[table])
    if rows is not None:
        base = base.join(rows, on=["document", "row"], how="semi")
    w_columns = sorted(set().union(*(r.w_columns for r in rules)))
    if w_columns:
        base = base.join(wide.select("document", *w_columns), on="document", how="left")
    root = base.collect(engine=ENGINE).lazy() if any(r.correlated for r in rules) else base
    base = root
    # Aggregates over the same outer rows (row filter) and the same pairs of rows share
    # one join and group-by: a rule template repeats its filter for every column.
    groups: list[tuple[pl.Expr | None, list[Correlated]]] = []
    for rule in rules:
        for spec in rule.correlated:
            for row_filter, specs in groups:
                if _same(row_filter, rule.row_filter) and same_pairs(specs[0], spec):
                    specs.append(spec)
                    break
            else:
                groups.append((rule.row_filter, [spec]))
    for row_filter, specs in groups:
        # From the fixed root, so the plan stays linear in the number of aggregates.
        outer = root if row_filter is None else root.filter(row_filter)
        part = correlated_frame(specs, outer, frames[specs[0].table], with_cells)
        base = base.join(part, on=["document", "row"], how="left")
    return _with_lets(base, rules)


def _with_lets(frame: pl.LazyFrame, rules: Sequence[CompiledRule]) -> pl.LazyFrame:
    """The rules' temporaries as columns: every rule's n-th stage in one ``with_columns``."""
    depth = max((len(rule.stages) for rule in rules), default=0)
    for level in range(depth):
        frame = frame.with_columns(
            [e for rule in rules if level < len(rule.stages) for e in rule.stages[level]]
        )
    return frame


def _fields(rule: CompiledRule, with_cells: bool) -> list[pl.Expr]:
    return [*rule.select, rule.cells] if with_cells else rule.select


def document_plan(
    rules: Sequence[CompiledRule], wide: pl.LazyFrame, with_cells: bool = False
) -> pl.LazyFrame:
    """One plan for all document-level rules: a struct column per rule over ``W``, unpivoted."""
    structs = [
        pl.struct(_fields(rule, with_cells)).alias(f"__r{i}") for i, rule in enumerate(rules)
    ]
    return (
        _with_lets(wide, rules)
        .select(structs)
        .unpivot(on=[f"__r{i}" for i in range(len(rules))])
        .select(pl.col("value").struct.unnest())
    )


@dataclass(frozen=True)
class RollupLevel:
    """A roll-up's level pairs: parents of ``parent_len`` characters against the sum of
    their children of ``child_len``, as expressions built once (see :func:`rollup_levels`)."""

    table: str
    code_column: str
    pairs: tuple[tuple[int, int], ...]  # (parent_len, child_len), one per level pair
    sums: tuple[pl.Expr, ...]  # the children's per-column sums and counts
    structs: tuple[pl.Expr, ...]  # one result struct per column


def rollup_levels(
    rollup: ast.Rollup,
    planner: Planner,
    precision: Decimal,
    with_cells: bool = False,
    tolerance: Decimal | None = None,
) -> list[RollupLevel]:
    """Parent code row = Σ rows one level below it, per column, per unit block."""
    table = planner.table(rollup.table)
    columns = rollup.columns or table.amount_columns
    pairs = tuple(zip(rollup.levels, rollup.levels[1:], strict=False))
    if not columns or not pairs:
        return []
    own = (
        rollup.precision / 2
        if rollup.precision is not None
        else planner.halves.get(rollup.table, precision / 2)
    )
    half = _lit_dec(own)
    if rollup.tolerance is not None:
        tolerance = rollup.tolerance
    sums = (
        *[pl.col(c).sum().alias(f"__sum_{c}") for c in columns],
        *[pl.col(c).count().alias(f"__n_{c}") for c in columns],
    )
    structs: list[pl.Expr] = []
    for column in columns:
        value = pl.col(column)
        lhs = _published(value, own)
        total = pl.col(f"__sum_{column}").fill_null(_lit_dec(0))
        n = pl.col(f"__n_{column}").cast(pl.Int64).cast(DEC)
        rhs = Num(total, total - n * half, total + n * half)
        exact = lhs.v == rhs.v
        meet = meets("=", lhs.lo, lhs.hi, rhs.lo, rhs.hi, exact)
        tolerated = None
        if tolerance is not None and tolerates("=", tolerance):
            tolerated = tolerated_polars("=", lhs, rhs, tolerance)
        status = status_polars(exact, meet, None, tolerated)
        cells = [
            _cell_struct(rollup.table, pl.col("row"), column, value),
            _cell_struct(rollup.table, pl.lit(None), column, total, f"sum({rollup.code_column}*)"),
        ]
        judged = Judged(status, lhs, rhs, None)
        select = _result_select(rollup.meta.id, judged, pl.col("row"), column, None)
        fields = [*select, _cells_expr(cells)] if with_cells else select
        structs.append(pl.struct(fields).alias(f"__c{len(structs)}"))
    return [RollupLevel(rollup.table, rollup.code_column, pairs, sums, tuple(structs))]


def rollup_plan(level: RollupLevel, frames: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """A roll-up over a batch, every level pair in one plan: a struct per column,
    unpivoted (as :func:`table_plan`)."""
    return rollup_results(level, rollup_pairs(level, frames))


def rollup_pairs(level: RollupLevel, frames: dict[str, pl.LazyFrame]) -> pl.LazyFrame:
    """Each parent row joined with its children's sums (see :func:`rollup_plan`).

    The pairs' parent and child rows are stacked with the pair's number, which the
    join matches, so the result structs are planned and run once per roll-up instead
    of once per level pair.
    """
    frame = frames[level.table]
    code = pl.col(level.code_column)
    length = code.str.len_chars()
    pair = pl.col("__pair")
    parents = pl.concat(
        [
            frame.filter(length == parent_len).with_columns(pl.lit(i, pl.UInt32).alias("__pair"))
            for i, (parent_len, _) in enumerate(level.pairs)
        ]
    )
    children = (
        pl.concat(
            [
                frame.filter(length == child_len).with_columns(
                    pl.lit(i, pl.UInt32).alias("__pair"),
                    code.str.slice(0, parent_len).alias("__parent"),
                )
                for i, (parent_len, child_len) in enumerate(level.pairs)
            ]
        )
        .group_by(pair, "document", BLOCK, "__parent")
        .agg(level.sums)
    )
    return parents.join(
        children,
        left_on=[pair, "document", BLOCK, level.code_column],
        right_on=[pair, "document", BLOCK, "__parent"],
        how="inner",
    )


def rollup_results(level: RollupLevel, pairs: pl.LazyFrame) -> pl.LazyFrame:
    """The results of a roll-up from its :func:`rollup_pairs`."""
    return (
        pairs.select(level.structs)
        .unpivot(on=[f"__c{i}" for i in range(len(level.structs))])
        .select(pl.col("value").struct.unnest())
    )


# --------------------------------------------------------------------------- linear rules
#
# Most document-level identities are sums and differences of published figures
# compared with =, <= ...: ``收入总计 = 本年收入合计 + 上年结转结余``. For those the
# rule itself is data: (rule, side, leaf, sign) terms, where a leaf is one W
# quantity (a cell, a statement, a sum or count). One join of the terms with the
# leaves' values and one group-by then evaluate every such rule for every
# document: the plan's size no longer grows with the number of rules, which is
# what planning hundreds of expression trees cost. The arithmetic is the same
# interval arithmetic as :func:`number` (a published figure is v ± p/2, an empty
# one an exact 0, a sum of n figures ± n·p/2, literals and counts exact), and so
# are the reasons (the first missing operand, left to right).


@dataclass(frozen=True)
class Leaf:
    """One W quantity a linear rule reads, by W column names: its value, how many
    published figures it carries (the interval half-widths it adds), and why it may
    be missing."""

    value: str  # Decimal, nullable (an empty cell)
    figures: str  # "present" (1 when the value is not null), "count" (``counted``), "none"
    counted: str | None  # the W column counting a sum's figures
    found: str | None  # Boolean W column: the cell or statement exists (None: always)
    reason: str | None  # "code:detail" when missing
    # The published cells it stands for (checker.localize expands them): a cell is
    # ``table``'s ``column`` at the row index held in W column ``row``; a statement is
    # table 说明, ``column`` its name; a sum is ``table``'s ``column`` over the rows of
    # mask column ``mask`` (None: every row). A count stands for none (``table`` None),
    # and so does a cell of a coalesced default column (``column`` None).
    table: str | None = None
    column: str | None = None
    row: str | None = None
    mask: str | None = None


@dataclass(frozen=True)
class LinearRule:
    """A document-level rule ``Σ ± leaf + c  op  Σ ± leaf + c``, with an optional ``when``."""

    rule_id: str
    column: str | None
    op: str
    half: Decimal
    constants: tuple[Decimal, Decimal]  # lhs, rhs
    terms: tuple[tuple[int, str, int], ...]  # (side 0 lhs / 1 rhs, leaf name, sign ±1)
    when: pl.Expr | None
    tolerance: Decimal | None = None  # a threshold judging applies (judging.tolerates)


def linear_rule(
    rule: ast.Rule,
    planner: Planner,
    default_precision: Decimal,
    leaves: dict[str, Leaf],
    default_tolerance: Decimal | None = None,
) -> LinearRule | None:
    """The rule as terms (registering its leaves), or None when it is not linear."""
    if (
        rule.per_row
        or rule.row_filter is not None
        or rule.group_by is not None
        or not isinstance(rule.check, ast.Compare)
    ):
        return None
    precision = rule.precision if rule.precision is not None else default_precision
    tolerance = rule.tolerance if rule.tolerance is not None else default_tolerance
    ctx = Context(planner, precision / 2)
    check = rule.check
    if is_text(check.left, ctx) or is_text(check.right, ctx):
        return None
    terms: list[tuple[int, str, int]] = []
    constants = [Decimal(0), Decimal(0)]
    found: dict[str, Leaf] = {}
    for side, expr in enumerate((check.left, check.right)):
        form = linear_form(expr)
        if form is None:
            return None
        for sign, operand in form[0]:
            leaf = linear_leaf(operand, ctx)
            if leaf is None:
                return None
            found[leaf[0]] = leaf[1]
            terms.append((side, leaf[0], sign))
        constants[side] += form[1]
    if not terms:  # constants only: nothing to join on, the expression path has it
        return None
    when = None
    if rule.when is not None:
        when = boolean(rule.when, ctx)
        if ctx.lets:  # the condition multiplies or divides: staged temporaries, not here
            return None
    leaves.update(found)
    return LinearRule(
        rule.meta.id,
        rule.expanded_column,
        check.op,
        precision / 2,
        (constants[0], constants[1]),
        tuple(terms),
        when,
        tolerance if tolerates(check.op, tolerance) else None,
    )


LinearOperand: TypeAlias = ast.CellRef | ast.ColumnRef | ast.StatementRef | ast.Aggregate


def linear_form(expr: ast.Expr) -> tuple[list[tuple[int, LinearOperand]], Decimal] | None:
    """``expr`` as ``Σ ± operand + constant``, its operands left to right (cells, columns
    of the current row, statements, sums and counts not correlated with the row; a
    ``let`` name read as its value), or None when it is not that (a product, a function,
    a literal finer than the 4 decimals amounts carry)."""
    terms: list[tuple[int, LinearOperand]] = []
    constant = Decimal(0)

    def walk(node: ast.Expr, sign: int) -> bool:
        nonlocal constant
        match node:
            case ast.Number(value=literal):
                exponent = Decimal(literal).as_tuple().exponent
                if not isinstance(exponent, int) or exponent < -DECIMALS:
                    return False
                constant += sign * Decimal(literal)
                return True
            case ast.Neg(operand=operand):
                return walk(operand, -sign)
            case ast.LetRef(value=named):
                return walk(named, sign)
            case ast.BinOp(op="+" | "-" as op, left=left, right=right):
                return walk(left, sign) and walk(right, sign if op == "+" else -sign)
            case ast.ColumnRef(outer=False) | ast.CellRef() | ast.StatementRef():
                terms.append((sign, node))
                return True
            case ast.Aggregate(func="sum" | "count", in_group=False) if not (
                node.where is not None and _outer_columns(node.where)
            ):
                terms.append((sign, node))
                return True
        return False

    return (terms, constant) if walk(expr, 1) else None


def linear_leaf(operand: LinearOperand, ctx: Context) -> tuple[str, Leaf] | None:
    """The W quantity of a document-level operand of :func:`linear_form` (registered with
    the planner) as (leaf name, :class:`Leaf`); None for a column of the current row and
    for a figure rounded to another half-width than the rule's (another unit)."""
    planner = ctx.planner
    match operand:
        case ast.CellRef() as ref:
            if ctx.half_of(ref.table) != ctx.half:  # another unit's rounding: not one half
                return None
            assert ref.table is not None
            value, found, row = planner.cell(ref)
            table = planner.table(ref.table)
            column = ref.column or (table.value[0] if len(table.value) == 1 else None)
            reason = f"missing-cell:{_ref_text(ref)}"
            return value, Leaf(value, "present", None, found, reason, ref.table, column, row)
        case ast.StatementRef(name=statement):
            value, found = planner.statement(statement)
            reason = f"missing-statement:说明.{statement}"
            return value, Leaf(value, "present", None, found, reason, "说明", statement)
        case ast.Aggregate(func=func) as agg:
            if ctx.half_of(agg.table) != ctx.half:
                return None
            table = planner.table(agg.table)
            inner = Context(planner, ctx.half, row_table=table, staged=False)
            where = boolean(agg.where, inner) if agg.where is not None else None
            values = pl.col(agg.column) if agg.column is not None else None
            base = planner.aggregate(agg, where, values)
            name = base + "_v"
            if func == "sum":
                mask = planner.aggregate_mask(agg)
                return name, Leaf(
                    name, "count", base + "_n", None, None, agg.table, agg.column, mask=mask
                )
            return name, Leaf(name, "none", None, None, None)
    return None


@dataclass(frozen=True)
class LinearProgram:
    """Every linear rule as data, built once per ruleset (see :func:`linear_program`):
    what :func:`linear_plan` joins with each batch's wide frame."""

    values: tuple[pl.Expr, ...]  # each leaf's W value (Decimal), named by leaf id
    counted: tuple[pl.Expr, ...]  # each leaf's W count of a sum's figures (or null)
    found: tuple[pl.Expr, ...]  # each leaf's W "the cell or statement exists" (or null)
    present: tuple[int, ...]  # leaves carrying one figure when their value is not null
    terms: pl.DataFrame  # term (numbered rule by rule, left to right), rule_index, side, leaf, sign
    reasons: pl.DataFrame  # first_missing (a term number), reason
    rules: pl.DataFrame  # rule_index, op (code), half, c0, c1, has_when
    names: pl.DataFrame  # rule_index, rule, column
    whens: tuple[pl.Expr, ...]  # each conditional rule's condition, named by rule index


_KEY_SHIFT = 32  # document · 2**32 + rule index: one integer key for the group-by


def linear_program(rules: Sequence[LinearRule], leaves: dict[str, Leaf]) -> LinearProgram:
    """The term tables and expressions of :func:`linear_plan` (independent of the data)."""
    used = sorted({name for r in rules for _, name, _ in r.terms})
    ids = {name: i for i, name in enumerate(used)}
    chosen = [leaves[name] for name in used]
    values = tuple(pl.col(leaf.value).cast(DEC).alias(str(i)) for i, leaf in enumerate(chosen))
    counted = tuple(
        (pl.col(leaf.counted) if leaf.counted else pl.lit(None, pl.UInt32)).alias(str(i))
        for i, leaf in enumerate(chosen)
    )
    found = tuple(
        (pl.col(leaf.found) if leaf.found else pl.lit(None, pl.Boolean)).alias(str(i))
        for i, leaf in enumerate(chosen)
    )
    present = tuple(i for i, leaf in enumerate(chosen) if leaf.figures == "present")
    terms = pl.DataFrame(
        [
            (i, side, ids[name], sign, order)
            for i, r in enumerate(rules)
            for order, (side, name, sign) in enumerate(r.terms)
        ],
        schema={
            "rule_index": pl.UInt32,
            "side": pl.UInt8,
            "leaf": pl.UInt32,
            "sign": pl.Int8,
            "order": pl.UInt32,
        },
        orient="row",
    )
    # terms are numbered rule by rule, left to right: a rule's first missing term is its
    # missing term with the lowest number
    terms = terms.with_row_index("term")
    reasons = pl.DataFrame(
        {"reason": [leaves[name].reason for r in rules for _, name, _ in r.terms]},
        schema={"reason": pl.Utf8},
    ).with_row_index("first_missing")
    table = pl.DataFrame(
        {
            "rule_index": list(range(len(rules))),
            "op": [OP_CODES[r.op] for r in rules],
            "half": [r.half for r in rules],
            "c0": [r.constants[0] for r in rules],
            "c1": [r.constants[1] for r in rules],
            "has_when": [r.when is not None for r in rules],
        },
        schema={
            "rule_index": pl.UInt32,
            "op": pl.UInt8,
            "half": pl.Decimal(38, 10),
            "c0": pl.Decimal(38, 10),
            "c1": pl.Decimal(38, 10),
            "has_when": pl.Boolean,
        },
    ).with_columns(pl.col("half", "c0", "c1").cast(DEC))
    if any(r.tolerance is not None for r in rules):  # only then: no test for the others
        tolerances = pl.Series("tol", [r.tolerance for r in rules], pl.Decimal(38, 10))
        table = table.with_columns(tolerances.cast(DEC))
    names = pl.DataFrame(
        {
            "rule_index": list(range(len(rules))),
            "rule": [r.rule_id for r in rules],
            "column": [r.column for r in rules],
        },
        schema={"rule_index": pl.UInt32, "rule": pl.Utf8, "column": pl.Utf8},
    )
    whens = tuple(r.when.alias(str(i)) for i, r in enumerate(rules) if r.when is not None)
    return LinearProgram(values, counted, found, present, terms, reasons, table, names, whens)


def _sides() -> tuple[tuple[pl.Expr, pl.Expr, pl.Expr], tuple[pl.Expr, pl.Expr, pl.Expr]]:
    """Each side's value and interval from its sums: ``s + c ± n·half``."""
    half = pl.col("half")
    sides = []
    for i in (0, 1):
        v = pl.col(f"s{i}").fill_null(_lit_dec(0)) + pl.col(f"c{i}")
        width = pl.col(f"n{i}").fill_null(0).cast(pl.Int64).cast(DEC) * half
        sides.append((v, v - width, v + width))
    return sides[0], sides[1]


def _rule_key(rule_index: pl.Expr) -> pl.Expr:
    """``key``: one integer per (document, rule), for the group-by and the join after it."""
    return (pl.col("document").cast(pl.UInt64) * (1 << _KEY_SHIFT) + rule_index).alias("key")


def linear_plan(program: LinearProgram, wide: pl.LazyFrame) -> pl.LazyFrame:
    """Every linear rule for every document: one join of terms with leaf values, one
    group-by. Rows are ``document, rule_index, status`` and the sides' sums; a run keeps
    the ones it reports and gives them the result columns with :func:`linear_results`."""
    if not program.values:
        return pl.LazyFrame(schema=_LINEAR_SCHEMA)
    # The three unpivots list the same (leaf, document) pairs in the same order.
    long = (
        pl.concat(
            [
                wide.select("document", *program.values).unpivot(
                    index="document", variable_name="leaf", value_name="v"
                ),
                # "document" keeps the height when every leaf's column is a null literal
                wide.select("document", *program.counted)
                .unpivot(index="document", value_name="counted")
                .select("counted"),
                wide.select("document", *program.found)
                .unpivot(index="document", value_name="found")
                .select("found"),
            ],
            how="horizontal",
        )
        .with_columns(pl.col("leaf").cast(pl.UInt32))
        .select(
            "document",
            "leaf",
            pl.col("v").fill_null(_lit_dec(0)),
            pl.when(pl.col("leaf").is_in(pl.Series(program.present, dtype=pl.UInt32).implode()))
            .then(pl.col("v").is_not_null().cast(pl.UInt32))
            .otherwise(pl.col("counted").fill_null(0))
            .alias("n"),
            pl.col("found").not_().fill_null(False).alias("miss"),
        )
    )
    zero = _lit_dec(0)
    signed = pl.when(pl.col("sign") > 0).then(pl.col("v")).otherwise(-pl.col("v"))
    lhs = pl.col("side") == 0
    sums = (
        long.join(program.terms.lazy(), on="leaf", how="inner")
        .select(
            _rule_key(pl.col("rule_index")),
            pl.when(lhs).then(signed).otherwise(zero).alias("s0"),
            pl.when(lhs).then(zero).otherwise(signed).alias("s1"),
            pl.when(lhs).then(pl.col("n")).otherwise(0).alias("n0"),
            pl.when(lhs).then(0).otherwise(pl.col("n")).alias("n1"),
            pl.when(pl.col("miss")).then(pl.col("term")).alias("first_missing"),
        )
        .group_by("key")
        .agg(pl.col("s0", "s1", "n0", "n1").sum(), pl.col("first_missing").min())
        .with_columns(
            (pl.col("key") // (1 << _KEY_SHIFT)).cast(pl.UInt32).alias("document"),
            (pl.col("key") % (1 << _KEY_SHIFT)).cast(pl.UInt32).alias("rule_index"),
        )
        # the first missing operand, left to right, says why a rule cannot be evaluated
        .join(program.reasons.lazy(), on="first_missing", how="left")
    )
    applies = (
        wide.select("document", *program.whens)
        .unpivot(index="document", variable_name="rule_index", value_name="applies")
        .select(_rule_key(pl.col("rule_index").cast(pl.UInt32)), "applies")
        if program.whens
        else pl.LazyFrame(schema={"key": pl.UInt64, "applies": pl.Boolean})
    )
    rule = program.rules
    # The comparison is a column. With d = lhs − rhs and w the sum of both sides' half
    # widths, the interval tests reduce to d against ±w (judging.within).
    d, w, op = pl.col("__d"), pl.col("__w"), pl.col("op")
    exact = pl.coalesce(
        [pl.when(op == OP_CODES[name]).then(o.holds(d, zero)) for name, o in OPERATORS.items()]
    )
    meet = pl.coalesce(
        [pl.when(op == OP_CODES[name]).then(within(name, d, w, zero)) for name in OPERATORS]
    )
    tolerated = None
    if "tol" in rule.columns:  # a threshold where a rule has one (else null: not tolerated)
        tol = pl.col("tol")
        reach = [
            pl.when(op == OP_CODES[name]).then(within(name, d, tol, zero)) for name in OPERATORS
        ]
        tolerated = tol.is_not_null() & pl.coalesce(reach)
    status = status_polars(exact, meet, pl.col("reason"), tolerated)
    applies_now = pl.when(pl.col("has_when")).then(pl.col("applies").fill_null(False))
    status = pl.when(applies_now.otherwise(True)).then(status).otherwise(SKIPPED)
    (a, _, _), (b, _, _) = _sides()
    widths = (pl.col("n0").fill_null(0) + pl.col("n1").fill_null(0)).cast(pl.Int64).cast(DEC)
    index = pl.col("rule_index")
    return (
        sums.with_columns(  # the rule's own columns, looked up by position
            *[pl.lit(rule.get_column(c)).gather(index).alias(c) for c in rule.columns[1:]]
        )
        .join(applies, on="key", how="left")
        .with_columns((a - b).alias("__d"), (widths * pl.col("half")).alias("__w"))
        .select(
            "document",
            "rule_index",
            status.cast(pl.UInt8).alias("status"),
            "s0",
            "s1",
            "n0",
            "n1",
            "reason",
        )
    )


_LINEAR_SCHEMA: dict[str, pl.DataType] = {
    "document": pl.UInt32(),
    "rule_index": pl.UInt32(),
    "status": pl.UInt8(),
    "s0": DEC,
    "s1": DEC,
    "n0": pl.UInt32(),
    "n1": pl.UInt32(),
    "reason": pl.Utf8(),
}


def linear_results(program: LinearProgram, frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`linear_plan` rows as result rows (rule, column, both sides and intervals):
    only for the rows a run keeps, since most are passes it only counts."""
    (a, a_lo, a_hi), (b, b_lo, b_hi) = _sides()
    return (
        frame.lazy()
        .join(program.rules.lazy().select("rule_index", "half", "c0", "c1"), on="rule_index")
        .join(program.names.lazy(), on="rule_index")
        .select(
            "document",
            "rule",
            pl.lit(None, pl.UInt32).alias("row"),
            "column",
            "status",
            to_float(a).alias("lhs"),
            to_float(b).alias("rhs"),
            to_float(a_lo).alias("lhs_lo"),
            to_float(a_hi).alias("lhs_hi"),
            to_float(b_lo).alias("rhs_lo"),
            to_float(b_hi).alias("rhs_hi"),
            "reason",
        )
        .collect(engine=ENGINE)
    )
