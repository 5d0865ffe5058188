"""The linear rules as constraints over published cells: what localization solves.

:func:`checker.compile.linear_plan` judges a document-level linear rule over W
*leaves* (a cell, a statement, a sum over rows). Localization needs the cells
themselves, so here each linear rule becomes, per document (and per row), a
constraint over the individual cells it reads, a sum's rows expanded one by one:

* the document-level linear rules (``Engine.linear``, the leaves of
  :func:`checker.compile.linear_leaf`), under their ``when``;
* per-row comparisons whose sides are :func:`checker.compile.linear_form` sums of the
  row's columns and document-level leaves, on the rows their filter and ``when`` pick;
* roll-ups: each parent code row's cell against its children's, per column.

A constraint is ``d op 0`` with ``d = Σ coef · value + const`` (``lhs − rhs``) and is
judged as the engine judges its rule: the published figures' rounding intervals give
``w = Σ |coef| · half`` over the figures printed (an empty cell is an exact 0), and
``=`` passes when ``d = 0``, is ``rounding`` when ``|d| ≤ w``; ``<=`` passes when
``d ≤ 0``, is ``rounding`` when ``d ≤ w``; and so on (compile.linear_plan's tests).
Rules that are not such comparisons (products, percentages, text, ``and``/``or``,
sums correlated with the row, another document's figures) are not constraints.

Amounts are integers of :data:`QUANTUM` (the engine's 4 decimals), so ``d`` is exact.
A cell is one integer, :func:`cell_key` (document, field, row): a *field* numbers a
(table, column) pair of the template, a statement is table 说明 with its name as the
column and row 0. Everything is built as frames over every document of a batch at
once: :func:`cell_system` once per engine, :func:`expand` per batch for the
(document, rule) pairs asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final

import polars as pl

from checker import ast
from checker.collecting import ENGINE
from checker.compile import BLOCK, Context, Leaf, boolean, is_text, linear_form, linear_leaf
from checker.judging import FAIL, OP_CODES, OPERATORS, PASS, ROUNDING, TOLERATED, tolerates, within

if TYPE_CHECKING:
    from checker.evaluate import Engine

STATEMENTS: Final = "说明"  # the table of a prose statement's cell (its column: the name)
DOC, ROW, ROLLUP = 0, 1, 2  # constraint kinds: document-level rule, per-row rule, roll-up
# the comparisons a constraint can be: all but != (rounding never makes figures differ)
OPS: Final = tuple(s for s, o in OPERATORS.items() if o.side != "none")
SCALE: Final = 10_000  # amounts as integers of QUANTUM
QUANTUM: Final = Decimal(1) / SCALE
_ROW_BITS: Final = 24  # a key's row: tables of up to 16,777,214 rows
_FIELD_SHIFT: Final = 1 << _ROW_BITS
_DOCUMENT_SHIFT: Final = 1 << (_ROW_BITS + 16)  # fields and templates: 16 bits
MAX_ROW: Final = (1 << _ROW_BITS) - 2  # rows beyond are not expanded
_NO_ROW: Final = (1 << _ROW_BITS) - 1  # the constraint key's row of a document-level rule
UNBOUNDED: Final = 1 << 62  # an open side of an interval of d, in quanta
_ALL: Final = "__all"  # (with ":table") the mask of a sum over every row of a table


def quanta(value: Decimal) -> int:
    """An amount as an integer of :data:`QUANTUM` (as the engine's Decimal(38, 4) holds it)."""
    return int((value / QUANTUM).to_integral_value())


def cell_key(document: pl.Expr, field: pl.Expr, row: pl.Expr) -> pl.Expr:
    """One UInt64 per cell: document · 2⁴⁰ + field · 2²⁴ + row."""
    return (
        document.cast(pl.UInt64) * _DOCUMENT_SHIFT
        + field.cast(pl.UInt64) * _FIELD_SHIFT
        + row.fill_null(0).cast(pl.UInt64)
    )


def constraint_key(document: pl.Expr, tmpl: pl.Expr, at: pl.Expr) -> pl.Expr:
    """One UInt64 per constraint: document · 2⁴⁰ + template · 2²⁴ + its row (or 2²⁴ − 1)."""
    return (
        document.cast(pl.UInt64) * _DOCUMENT_SHIFT
        + tmpl.cast(pl.UInt64) * _FIELD_SHIFT
        + at.fill_null(_NO_ROW).cast(pl.UInt64)
    )


@dataclass(frozen=True)
class RollupSpec:
    """A roll-up's constraints: per column (``tmpls`` and ``fields``, one template each),
    every parent code row against the rows one level below it in the same unit block."""

    tmpls: tuple[int, ...]
    fields: tuple[int, ...]
    table: str
    code_column: str
    pairs: tuple[tuple[int, int], ...]  # (parent code length, child code length)


@dataclass(frozen=True)
class CellSystem:
    """The linear rules of an engine as constraint templates (data, built once).

    ``fields``: ``field, table, column, factor`` (the (table, column) pairs cells are in,
    and how many of the ruleset's unit one of its printed units is);
    ``rules``: ``tmpl, rule, column, kind, table, op, const, half, tolerance`` (the
    result's rule id and column, DOC/ROW/ROLLUP, the per-row or roll-up table, the op
    code of checker.judging.OP_CODES, the ``lhs − rhs`` constant, the rule's half-width
    and its materiality threshold where it has one that judging applies, in quanta);
    ``row_terms``: the current row's columns in per-row rules (``tmpl, field, coef,
    half``); ``leaf_terms``: the W leaves document-level and per-row rules read
    (``tmpl, leaf, coef``), described in ``leaves`` (``leaf, kind, field, mask``);
    ``reads``: which templates read which fields (``field, tmpl, own_row``: a per-row
    rule's own row's cell, else any row's).
    """

    fields: pl.DataFrame
    rules: pl.DataFrame
    row_terms: pl.DataFrame
    leaf_terms: pl.DataFrame
    leaves: pl.DataFrame
    found: tuple[pl.Expr, ...]  # cells and statements: the row index (0), null if missing
    counts: tuple[pl.Expr, ...]  # counts: their W value in quanta (constants)
    whens: tuple[pl.Expr, ...]  # document-level conditions over W, named by template
    applies: dict[str, tuple[pl.Expr, ...]]  # per table: filter ∧ when, named by template
    applies_w: dict[str, tuple[str, ...]]  # the W columns those read
    masks: dict[str, dict[str, pl.Expr]]  # per table: the sums' row masks
    rollups: tuple[RollupSpec, ...]
    reads: pl.DataFrame

    @property
    def rule_ids(self) -> frozenset[str]:
        """The rule ids (as results name them) that have constraints."""
        return frozenset(self.rules.get_column("rule").to_list())


def _threshold(op: str, tolerance: Decimal | None) -> int | None:
    """A rule's materiality threshold in quanta, where judging applies it (else None)."""
    return quanta(tolerance) if tolerance is not None and tolerates(op, tolerance) else None


def _leaf_kind(leaf: Leaf) -> str:
    if leaf.table is None or leaf.column is None:
        return "count"  # a count, or a coalesced default cell: a constant here
    if leaf.row is not None:
        return "cell"
    return "statement" if leaf.found is not None else "sum"


class _Builder:
    """Collects the templates of :func:`cell_system`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.fields: dict[tuple[str, str], int] = {}
        self.rules: list[tuple[str, str | None, int, str | None, int, int, int, int | None]] = []
        self.row_terms: list[tuple[int, int, int, int]] = []
        self.leaf_terms: list[tuple[int, int, int]] = []
        self.leaves: dict[str, tuple[int, Leaf]] = {}
        self.whens: list[pl.Expr] = []
        self.applies: dict[str, list[pl.Expr]] = {}
        self.applies_w: dict[str, set[str]] = {}
        self.rollups: list[RollupSpec] = []

    def field(self, table: str, column: str) -> int:
        return self.fields.setdefault((table, column), len(self.fields))

    def leaf(self, name: str, leaf: Leaf) -> int:
        if name not in self.leaves:
            self.leaves[name] = (len(self.leaves), leaf)
        return self.leaves[name][0]

    def rule(self, *entry: object) -> int:
        self.rules.append(entry)  # type: ignore[arg-type]
        return len(self.rules) - 1

    def linear(self) -> None:
        for lin in self.engine.linear:
            if lin.op not in OPS:
                continue
            tmpl = self.rule(
                lin.rule_id,
                lin.column,
                DOC,
                None,
                OP_CODES[lin.op],
                quanta(lin.constants[0] - lin.constants[1]),
                quanta(lin.half),
                _threshold(lin.op, lin.tolerance),
            )
            for side, name, sign in lin.terms:
                leaf = self.leaf(name, self.engine.leaves[name])
                self.leaf_terms.append((tmpl, leaf, sign if side == 0 else -sign))
            if lin.when is not None:
                self.whens.append(lin.when.alias(str(tmpl)))

    def per_row(self, rule: ast.Rule) -> None:
        """A per-row comparison as a template, when both sides are linear."""
        check = rule.check
        if not isinstance(check, ast.Compare) or check.op not in OPS or not rule.scope_table:
            return
        engine, planner = self.engine, self.engine.planner
        table = planner.table(rule.scope_table)
        precision = rule.precision if rule.precision is not None else engine.precision
        half = precision / 2
        ctx = Context(planner, half, row_table=table, staged=False, prefix="L")
        if is_text(check.left, ctx) or is_text(check.right, ctx):
            return
        columns: dict[str, int] = {}
        found: dict[str, tuple[Leaf, int]] = {}
        const = Decimal(0)
        for side, expr in ((1, check.left), (-1, check.right)):
            form = linear_form(expr)
            if form is None:
                return
            for sign, operand in form[0]:
                if isinstance(operand, ast.ColumnRef):
                    spec = table.column(operand.column)
                    if spec is None or spec.kind != "amount":
                        return
                    columns[operand.column] = columns.get(operand.column, 0) + side * sign
                    continue
                leaf = linear_leaf(operand, ctx)
                if leaf is None:
                    return
                before = found.get(leaf[0], (leaf[1], 0))[1]
                found[leaf[0]] = (leaf[1], before + side * sign)
            const += side * form[1]
        condition = None
        conditions = [c for c in (rule.row_filter, rule.when) if c is not None]
        if conditions:
            parts = [boolean(c, ctx) for c in conditions]
            if ctx.correlated or ctx.reads_related:
                return
            condition = parts[0] if len(parts) == 1 else pl.all_horizontal(parts)
        if not any(columns.values()) and not any(s for _, s in found.values()):
            return
        tolerance = rule.tolerance if rule.tolerance is not None else engine.tolerance
        tmpl = self.rule(
            rule.meta.id,
            rule.expanded_column,
            ROW,
            table.role,
            OP_CODES[check.op],
            quanta(const),
            quanta(half),
            _threshold(check.op, tolerance),
        )
        row_half = quanta(planner.halves.get(table.role, half))
        for column, coef in columns.items():
            if coef:
                self.row_terms.append((tmpl, self.field(table.role, column), coef, row_half))
        for name, (read, coef) in found.items():
            if coef:
                self.leaf_terms.append((tmpl, self.leaf(name, read), coef))
        if condition is not None:
            self.applies.setdefault(table.role, []).append(condition.alias(str(tmpl)))
            self.applies_w.setdefault(table.role, set()).update(ctx.columns_used)

    def rollup(self, rollup: ast.Rollup) -> None:
        engine = self.engine
        table = engine.planner.table(rollup.table)
        columns = rollup.columns or table.amount_columns
        pairs = tuple(zip(rollup.levels, rollup.levels[1:], strict=False))
        if not columns or not pairs:
            return
        half = (
            rollup.precision / 2
            if rollup.precision is not None
            else engine.planner.halves.get(rollup.table, engine.precision / 2)
        )
        own = rollup.tolerance if rollup.tolerance is not None else engine.tolerance
        limit = _threshold("=", own)
        tmpls = [
            self.rule(
                rollup.meta.id, c, ROLLUP, rollup.table, OP_CODES["="], 0, quanta(half), limit
            )
            for c in columns
        ]
        fields = [self.field(rollup.table, c) for c in columns]
        self.rollups.append(
            RollupSpec(tuple(tmpls), tuple(fields), rollup.table, rollup.code_column, pairs)
        )


def cell_system(engine: Engine) -> CellSystem:
    """The constraint templates of ``engine``'s linear rules, per-row comparisons and
    roll-ups (see the module docstring)."""
    build = _Builder(engine)
    build.linear()
    for rule in engine.ruleset.rules:
        if isinstance(rule, ast.Rollup):
            build.rollup(rule)
        elif rule.per_row:
            build.per_row(rule)
    planner = engine.planner
    leaf_rows = []
    for name, (number, leaf) in build.leaves.items():
        kind = _leaf_kind(leaf)
        field = None
        if kind != "count":
            assert leaf.table is not None and leaf.column is not None
            field = build.field(leaf.table, leaf.column)
        mask = (leaf.mask or f"{_ALL}:{leaf.table}") if kind == "sum" else None
        leaf_rows.append((number, name, kind, field, mask))
    leaves = pl.DataFrame(
        leaf_rows,
        schema={
            "leaf": pl.UInt16,
            "name": pl.Utf8,
            "kind": pl.Utf8,
            "field": pl.UInt16,
            "mask": pl.Utf8,
        },
        orient="row",
    )
    found = tuple(
        pl.when(pl.col(leaf.found) if leaf.found else pl.lit(True))
        .then(pl.col(leaf.row) if leaf.row else pl.lit(0, pl.UInt32))
        .cast(pl.UInt32)
        .alias(str(number))
        for number, leaf in build.leaves.values()
        if _leaf_kind(leaf) in ("cell", "statement")
    )
    counts = tuple(
        pl.col(leaf.value).to_physical().cast(pl.Int64).fill_null(0).alias(str(number))
        for number, leaf in build.leaves.values()
        if _leaf_kind(leaf) == "count"
    )
    masks: dict[str, dict[str, pl.Expr]] = {}
    for _, leaf in build.leaves.values():
        if _leaf_kind(leaf) != "sum":
            continue
        assert leaf.table is not None
        mask = leaf.mask or f"{_ALL}:{leaf.table}"
        table_masks = masks.setdefault(leaf.table, {})
        if mask not in table_masks:
            expr = planner.masks(leaf.table)[leaf.mask] if leaf.mask else pl.lit(True)
            table_masks[mask] = expr.alias(mask)
    # a figure in the ruleset's unit ÷ factor = the figure as printed (a table in another
    # unit: checker.units)
    fields = pl.DataFrame(
        [(n, t, c, float(engine.factors.get(t, 1))) for (t, c), n in build.fields.items()],
        schema={"field": pl.UInt16, "table": pl.Utf8, "column": pl.Utf8, "factor": pl.Float64},
        orient="row",
    )
    rules = pl.DataFrame(
        build.rules,
        schema={
            "rule": pl.Utf8,
            "column": pl.Utf8,
            "kind": pl.UInt8,
            "table": pl.Utf8,
            "op": pl.UInt8,
            "const": pl.Int64,
            "half": pl.Int64,
            "tolerance": pl.Int64,
        },
        orient="row",
    ).with_row_index("tmpl")
    rules = rules.with_columns(pl.col("tmpl").cast(pl.UInt16))
    assert rules.height < 1 << 16, "more constraint templates than keys hold"
    row_terms = pl.DataFrame(
        build.row_terms,
        schema={"tmpl": pl.UInt16, "field": pl.UInt16, "coef": pl.Int32, "half": pl.Int64},
        orient="row",
    )
    leaf_terms = pl.DataFrame(
        build.leaf_terms,
        schema={"tmpl": pl.UInt16, "leaf": pl.UInt16, "coef": pl.Int32},
        orient="row",
    )
    rollup_reads = [
        (f, t) for spec in build.rollups for t, f in zip(spec.tmpls, spec.fields, strict=True)
    ]
    whole = pl.lit(False).alias("own_row")
    reads = pl.concat(
        [
            leaf_terms.join(leaves.drop_nulls("field"), on="leaf").select("field", "tmpl", whole),
            row_terms.select("field", "tmpl", pl.lit(True).alias("own_row")),
            pl.DataFrame(
                rollup_reads, schema={"field": pl.UInt16, "tmpl": pl.UInt16}, orient="row"
            ).with_columns(whole),
        ]
    ).unique()
    return CellSystem(
        fields,
        rules,
        row_terms,
        leaf_terms,
        leaves,
        found,
        counts,
        tuple(build.whens),
        {k: tuple(v) for k, v in build.applies.items()},
        {k: tuple(sorted(v)) for k, v in build.applies_w.items()},
        masks,
        tuple(build.rollups),
        reads,
    )


# --------------------------------------------------------------------------- per batch


@dataclass(frozen=True)
class Expanded:
    """Constraints over cells.

    ``constraints``: ``con, document, tmpl, at, d, w, status`` (``at``: a per-row rule's
    row or a roll-up's parent row, null for a document-level rule; ``d`` and ``w`` as in
    the module docstring, in quanta); ``terms``: ``con, cell, coef`` (a cell read twice
    once, its coefficients added; none with 0); ``cells``: ``cell, document, field,
    row, value, half`` (``value`` in quanta, null where empty; ``row`` null for a
    statement).
    """

    constraints: pl.DataFrame
    terms: pl.DataFrame
    cells: pl.DataFrame

    @staticmethod
    def concat(parts: Sequence[Expanded]) -> Expanded:
        """The constraints of several expansions, each once."""
        kept = [p for p in parts if not (p.terms.is_empty() and p.constraints.is_empty())]
        if len(kept) <= 1:
            return kept[0] if kept else parts[0]
        return Expanded(
            pl.concat([p.constraints for p in kept]).unique("con", maintain_order=True),
            pl.concat([p.terms for p in kept]).unique(["con", "cell"], maintain_order=True),
            pl.concat([p.cells for p in kept]).unique("cell", maintain_order=True),
        )


_CONSTRAINTS = {
    "con": pl.UInt64,
    "document": pl.UInt32,
    "tmpl": pl.UInt16,
    "at": pl.UInt32,
    "d": pl.Int64,
    "w": pl.Int64,
    "status": pl.UInt8,
}
_COEFS = {"con": pl.UInt64, "cell": pl.UInt64, "coef": pl.Int32}
_CELLS = {
    "cell": pl.UInt64,
    "document": pl.UInt32,
    "field": pl.UInt16,
    "row": pl.UInt32,
    "value": pl.Int64,
    "half": pl.Int64,
}
_TERMS = {
    "document": pl.UInt32,
    "tmpl": pl.UInt16,
    "at": pl.UInt32,  # the constraint's row (null: document-level)
    "field": pl.UInt16,
    "row": pl.UInt32,  # the cell's row (null: a statement)
    "coef": pl.Int32,
    "half": pl.Int64,
}


def expand(
    system: CellSystem,
    frames: dict[str, pl.LazyFrame],
    wide: pl.LazyFrame,
    pairs: pl.DataFrame,
) -> Expanded:
    """The constraints of the (``document``, ``tmpl``) ``pairs`` over their cells, from
    an engine run's prepared ``frames`` and wide frame (see :class:`Expanded`). With an
    ``at`` column, a per-row rule's constraints on that row alone (null: on every row;
    other rules: every constraint)."""
    pairs = _normalized(system, pairs)
    if pairs.is_empty():
        return Expanded(
            pl.DataFrame(schema=_CONSTRAINTS),
            pl.DataFrame(schema=_COEFS),
            pl.DataFrame(schema=_CELLS),
        )
    rules = system.rules.join(pairs.select("tmpl").unique(), on="tmpl", how="semi")
    docs = pairs.select("document").unique().lazy()
    wide = wide.join(docs, on="document", how="semi")
    kinds = set(rules.get_column("kind").to_list())
    wanted = system.leaf_terms.join(rules.select("tmpl"), on="tmpl", how="semi")
    leaves = system.leaves.join(wanted.select("leaf").unique(), on="leaf", how="semi")
    numbers = {str(n) for n in leaves.get_column("leaf").to_list()}
    named = {str(t) for t in rules.get_column("tmpl").to_list()}

    plans: dict[str, pl.LazyFrame] = {}
    found = [e for e in system.found if e.meta.output_name() in numbers]
    if found:
        plans["found"] = _long(wide.select("document", *found), "leaf", "at")
    counts = [e for e in system.counts if e.meta.output_name() in numbers]
    if counts:
        plans["counts"] = _long(wide.select("document", *counts), "leaf", "count")
    sums = leaves.filter(pl.col("kind") == "sum").join(system.fields, on="field")
    for (table,), part in sums.group_by("table"):
        chosen = set(part.get_column("mask").to_list())
        exprs = [e for name, e in system.masks[str(table)].items() if name in chosen]
        plans[f"mask:{table}"] = (
            frames[str(table)]
            .join(docs, on="document", how="semi")
            .select("document", "row", *exprs)
            .unpivot(index=["document", "row"], variable_name="mask", value_name="in")
            .filter(pl.col("in"))
            .select("document", "mask", "row")
        )
    whens = [e for e in system.whens if e.meta.output_name() in named]
    if whens:
        plans["whens"] = _long(wide.select("document", *whens), "tmpl", "applies")
    row_rules = rules.filter(pl.col("kind") == ROW)
    for table in row_rules.get_column("table").unique().to_list():
        exprs = [e for e in system.applies.get(table, ()) if e.meta.output_name() in named]
        if not exprs:
            continue
        base = _rows(frames[table], pairs, row_rules, table)
        if system.applies_w.get(table):
            base = base.join(
                wide.select("document", *system.applies_w[table]), on="document", how="left"
            )
        plans[f"applies:{table}"] = base.select("document", "row", *exprs).unpivot(
            index=["document", "row"], variable_name="tmpl", value_name="applies"
        )
    collected = dict(zip(plans, pl.collect_all(plans.values(), engine=ENGINE), strict=True))

    # a rule with a missing operand is an error there, one whose `when` fails skipped
    if "found" in collected:
        missing = collected["found"].filter(pl.col("at").is_null())
        broken = missing.join(wanted, on="leaf").select("document", "tmpl").unique()
        pairs = pairs.join(broken, on=["document", "tmpl"], how="anti")
    if "whens" in collected:
        skipped = collected["whens"].filter(~pl.col("applies").fill_null(False))
        pairs = pairs.join(skipped, on=["document", "tmpl"], how="anti")

    instances = [
        pairs.join(rules.filter(pl.col("kind") == DOC), on="tmpl", how="semi").select(
            "document", "tmpl", "at"
        )
    ]
    if ROW in kinds:
        instances.append(_row_instances(system.applies, row_rules, frames, pairs, collected))
    both = pl.concat(instances, how="vertical")
    terms = [_leaf_term_cells(both, wanted, leaves, rules, collected)]
    if ROW in kinds:
        terms.append(
            instances[1]
            .join(system.row_terms, on="tmpl")
            .select("document", "tmpl", "at", "field", pl.col("at").alias("row"), "coef", "half")
        )
    if ROLLUP in kinds:
        rollups = _rollup_terms(system.rollups, rules, frames, docs, pairs)
        terms.append(rollups)
        both = pl.concat([both, rollups.select("document", "tmpl", "at").unique()], how="vertical")
    constants = _constants(both, wanted, collected)
    return _judged(both, pl.concat(terms, how="vertical"), constants, rules, system, frames)


def _long(frame: pl.LazyFrame, name: str, value: str) -> pl.LazyFrame:
    """A wide frame's named columns (numbers) as ``document, name, value`` rows."""
    return frame.unpivot(index="document", variable_name=name, value_name=value).with_columns(
        pl.col(name).cast(pl.UInt16)
    )


def _normalized(system: CellSystem, pairs: pl.DataFrame) -> pl.DataFrame:
    """``document, tmpl, at``, each once: ``at`` null but for a per-row rule's row, and a
    per-row rule's rows left out where it is asked for on every row."""
    at = pl.col("at").cast(pl.UInt32) if "at" in pairs.columns else pl.lit(None, pl.UInt32)
    rows = system.rules.filter(pl.col("kind") == ROW).get_column("tmpl")
    pairs = pairs.select(
        pl.col("document").cast(pl.UInt32),
        pl.col("tmpl").cast(pl.UInt16),
        pl.when(pl.col("tmpl").is_in(rows.implode())).then(at).alias("at"),
    ).unique()
    every = pairs.filter(pl.col("at").is_null())
    listed = pairs.filter(pl.col("at").is_not_null()).join(
        every, on=["document", "tmpl"], how="anti"
    )
    return pl.concat([every, listed.select(every.columns)])


def _rows(
    frame: pl.LazyFrame, pairs: pl.DataFrame, row_rules: pl.DataFrame, table: str
) -> pl.LazyFrame:
    """A table's rows that the per-row rules of ``pairs`` check there: every row of a
    document where one asks for every row, else the rows asked for."""
    own = pairs.join(row_rules.filter(pl.col("table") == table), on="tmpl", how="semi")
    every = own.filter(pl.col("at").is_null()).select("document").unique().lazy()
    listed = own.drop_nulls("at").select("document", pl.col("at").alias("row")).unique()
    listed = listed.join(every.collect(), on="document", how="anti")  # each row once
    return pl.concat(
        [
            frame.join(every, on="document", how="semi"),
            frame.join(listed.lazy(), on=["document", "row"], how="semi"),
        ]
    )


def _row_instances(
    applies: dict[str, tuple[pl.Expr, ...]],
    row_rules: pl.DataFrame,
    frames: dict[str, pl.LazyFrame],
    pairs: pl.DataFrame,
    collected: dict[str, pl.DataFrame],
) -> pl.DataFrame:
    """``document, tmpl, at``: the rows each per-row rule of ``pairs`` checks (those
    ``pairs`` names, or every row where its ``at`` is null)."""
    parts = [
        v.filter(pl.col("applies").fill_null(False)).select(
            "document", pl.col("tmpl").cast(pl.UInt16), pl.col("row").alias("at")
        )
        for k, v in collected.items()
        if k.startswith("applies:")
    ]
    held = [int(e.meta.output_name()) for exprs in applies.values() for e in exprs]
    plain = row_rules.filter(~pl.col("tmpl").is_in(held))
    tables = plain.get_column("table").unique().to_list()
    if tables:
        rows = pl.collect_all(
            [
                _rows(frames[t], pairs, row_rules, t).select(
                    "document", pl.lit(t).alias("table"), pl.col("row").alias("at")
                )
                for t in tables
            ],
            engine=ENGINE,
        )
        parts.append(
            pl.concat(rows)
            .join(plain.select("tmpl", "table"), on="table")
            .select("document", "tmpl", "at")
        )
    if not parts:
        return pl.DataFrame(schema={k: _TERMS[k] for k in ("document", "tmpl", "at")})
    found = pl.concat(parts, how="vertical")
    every = pairs.filter(pl.col("at").is_null())
    listed = pairs.drop_nulls("at")
    return pl.concat(
        [
            found.join(every, on=["document", "tmpl"], how="semi"),
            found.join(listed, on=["document", "tmpl", "at"], how="semi"),
        ]
    )


def _leaf_term_cells(
    instances: pl.DataFrame,
    leaf_terms: pl.DataFrame,
    leaves: pl.DataFrame,
    rules: pl.DataFrame,
    collected: dict[str, pl.DataFrame],
) -> pl.DataFrame:
    """The cells the instances read through W leaves: a cell, a statement, a sum's rows."""
    parts = []
    if "found" in collected:
        parts.append(
            collected["found"]
            .drop_nulls("at")
            .join(leaves.select("leaf", "kind", "field"), on="leaf")
            .select(
                "document",
                "leaf",
                "field",
                pl.when(pl.col("kind") == "cell").then(pl.col("at")).alias("row"),
            )
        )
    masks = [v for k, v in collected.items() if k.startswith("mask:")]
    if masks:
        sums = leaves.filter(pl.col("kind") == "sum").select("leaf", "field", "mask")
        parts.append(
            pl.concat(masks, how="vertical")
            .join(sums, on="mask")
            .select("document", "leaf", "field", "row")
        )
    if not parts:
        return pl.DataFrame(schema=_TERMS)
    cells = pl.concat(parts, how="vertical_relaxed")
    return (
        instances.join(leaf_terms, on="tmpl")
        .join(cells, on=["document", "leaf"])
        .join(rules.select("tmpl", "half"), on="tmpl")
        .select(*_TERMS)
    )


def _rollup_terms(
    specs: Sequence[RollupSpec],
    rules: pl.DataFrame,
    frames: dict[str, pl.LazyFrame],
    docs: pl.LazyFrame,
    pairs: pl.DataFrame,
) -> pl.DataFrame:
    """Roll-up constraints' cells: the parent's (+1) and its children's (−1)."""
    chosen = set(rules.get_column("tmpl").to_list())
    plans = []
    for spec in specs:
        columns = [(t, f) for t, f in zip(spec.tmpls, spec.fields, strict=True) if t in chosen]
        if not columns:
            continue
        per_column = pl.DataFrame(
            columns, schema={"tmpl": pl.UInt16, "field": pl.UInt16}, orient="row"
        ).lazy()
        frame = frames[spec.table].join(docs, on="document", how="semi")
        code = pl.col(spec.code_column)
        length = code.str.len_chars()
        for parent_len, child_len in spec.pairs:
            parents = frame.filter(length == parent_len).select(
                "document", BLOCK, code.alias("__code"), pl.col("row").alias("at")
            )
            children = frame.filter(length == child_len).select(
                "document", BLOCK, code.str.slice(0, parent_len).alias("__code"), "row"
            )
            linked = parents.join(children, on=["document", BLOCK, "__code"], how="inner")
            own = (
                linked.select("document", "at")
                .unique()
                .with_columns(pl.col("at").alias("row"), pl.lit(1, pl.Int32).alias("coef"))
            )
            kids = linked.select("document", "at", "row", pl.lit(-1, pl.Int32).alias("coef"))
            plans.append(pl.concat([own, kids]).join(per_column, how="cross"))
    if not plans:
        return pl.DataFrame(schema=_TERMS)
    found = pl.concat(pl.collect_all(plans, engine=ENGINE), how="vertical")
    return (
        found.join(pairs, on=["document", "tmpl"], how="semi")
        .join(rules.select("tmpl", "half"), on="tmpl")
        .select(*_TERMS)
    )


def _constants(
    instances: pl.DataFrame, leaf_terms: pl.DataFrame, collected: dict[str, pl.DataFrame]
) -> pl.DataFrame:
    """``document, tmpl, count``: what the counts a rule reads add to its ``d``."""
    if "counts" not in collected:
        return pl.DataFrame(schema={"document": pl.UInt32, "tmpl": pl.UInt16, "count": pl.Int64})
    return (
        instances.select("document", "tmpl")
        .unique()
        .join(leaf_terms, on="tmpl")
        .join(collected["counts"], on=["document", "leaf"])
        .group_by("document", "tmpl")
        .agg((pl.col("count") * pl.col("coef")).sum().alias("count"))
    )


def _values(
    cells: pl.DataFrame, system: CellSystem, frames: dict[str, pl.LazyFrame]
) -> pl.DataFrame:
    """``cell, value``: the published value (quanta) of every cell read."""
    needed = cells.select("field").unique().join(system.fields, on="field")
    docs = cells.select("document").unique().lazy()
    plans = []
    for (table,), part in needed.group_by("table"):
        columns = dict(zip(part.get_column("column"), part.get_column("field"), strict=True))
        if table == STATEMENTS:
            names = pl.DataFrame(
                list(columns.items()), schema={"name": pl.Utf8, "field": pl.UInt16}, orient="row"
            )
            plans.append(
                frames["__statements__"]
                .join(docs, on="document", how="semi")
                .join(names.lazy(), on="name")
                .group_by("document", "field")
                .agg(pl.col("value").first())
                .select(
                    cell_key(pl.col("document"), pl.col("field"), pl.lit(0)).alias("cell"),
                    pl.col("value").to_physical().cast(pl.Int64),
                )
            )
            continue
        fields = pl.DataFrame(
            list(columns.items()), schema={"column": pl.Utf8, "field": pl.UInt16}, orient="row"
        )
        rows = cells.join(fields, on="field").select("document", "row").unique()
        plans.append(
            frames[str(table)]
            .join(rows.lazy(), on=["document", "row"], how="semi")
            .select(
                "document",
                "row",
                *[pl.col(c).to_physical().cast(pl.Int64) for c in columns],
            )
            .unpivot(index=["document", "row"], variable_name="column", value_name="value")
            .join(fields.lazy(), on="column")
            .select(
                cell_key(pl.col("document"), pl.col("field"), pl.col("row")).alias("cell"),
                "value",
            )
        )
    if not plans:
        return pl.DataFrame(schema={"cell": pl.UInt64, "value": pl.Int64})
    found = pl.concat(pl.collect_all(plans, engine=ENGINE), how="vertical")
    return cells.select("cell").join(found, on="cell", how="left")


def _judged(
    instances: pl.DataFrame,
    terms: pl.DataFrame,
    constants: pl.DataFrame,
    rules: pl.DataFrame,
    system: CellSystem,
    frames: dict[str, pl.LazyFrame],
) -> Expanded:
    """Key the constraints and cells, compute each constraint's ``d``, ``w`` and status."""
    terms = terms.filter(pl.col("row").fill_null(0) <= MAX_ROW).with_columns(
        constraint_key(pl.col("document"), pl.col("tmpl"), pl.col("at")).alias("con"),
        cell_key(pl.col("document"), pl.col("field"), pl.col("row")).alias("cell"),
    )
    cells = terms.select("cell", "document", "field", "row", "half").unique(
        "cell", maintain_order=True
    )
    cells = cells.join(_values(cells, system, frames), on="cell", how="left")
    valued = terms.select("con", "cell", "coef", "half").join(
        cells.select("cell", "value"), on="cell", how="left"
    )
    sums = valued.group_by("con").agg(
        (pl.col("value").fill_null(0) * pl.col("coef")).sum().alias("s"),
        (pl.col("coef").abs() * pl.col("half"))
        .filter(pl.col("value").is_not_null())
        .sum()
        .alias("w"),
    )
    constraints = (
        instances.unique()
        .with_columns(constraint_key(pl.col("document"), pl.col("tmpl"), pl.col("at")).alias("con"))
        .join(sums, on="con", how="left")
        .join(rules.select("tmpl", "op", "const", "tolerance"), on="tmpl")
        .join(constants, on=["document", "tmpl"], how="left")
        .with_columns(
            (pl.col("s").fill_null(0) + pl.col("const") + pl.col("count").fill_null(0)).alias("d"),
            pl.col("w").fill_null(0),
        )
    )
    constraints = constraints.select(
        "con",
        "document",
        "tmpl",
        "at",
        "d",
        "w",
        status(pl.col("op"), pl.col("d"), pl.col("w"), pl.col("tolerance")),
    ).sort("con")
    coefs = (
        valued.group_by("con", "cell")
        .agg(pl.col("coef").sum())
        .filter(pl.col("coef") != 0)
        .sort("con", "cell")
    )
    return Expanded(
        constraints, coefs, cells.select("cell", "document", "field", "row", "value", "half")
    )


def _by_op(op: pl.Expr, test: Callable[[str], pl.Expr]) -> pl.Expr:
    """``test(symbol)`` for each row's comparison (``op``, an OP_CODES code)."""
    return pl.coalesce([pl.when(op == OP_CODES[symbol]).then(test(symbol)) for symbol in OPS])


def status(op: pl.Expr, d: pl.Expr, w: pl.Expr, tolerance: pl.Expr) -> pl.Expr:
    """The verdict of ``d op 0`` (checker.judging): PASS exactly, ROUNDING within the
    allowance ``w``, TOLERATED within the ``tolerance`` (where not null), else FAIL."""
    exact = _by_op(op, lambda o: within(o, d, 0))
    meet = _by_op(op, lambda o: within(o, d, w))
    tolerated = _by_op(op, lambda o: within(o, d, tolerance)).fill_null(False)
    graded = (
        pl.when(exact)
        .then(PASS)
        .when(meet)
        .then(ROUNDING)
        .when(tolerated)
        .then(TOLERATED)
        .otherwise(FAIL)
    )
    return graded.cast(pl.UInt8).alias("status")


def bounds(op: pl.Expr, slack: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The interval (``lo``, ``hi``, quanta; :data:`UNBOUNDED` for none) in which ``d``
    satisfies ``d op 0`` once ``a`` may move ``slack`` toward ``b`` (checker.judging.within
    as bounds: a strict comparison one quantum inside)."""

    def side(symbol: str, low: bool) -> pl.Expr:
        o = OPERATORS[symbol]
        if o.side == "both":
            return -slack if low else slack
        if (o.side == "below") == low:
            return pl.lit(-UNBOUNDED if low else UNBOUNDED, pl.Int64)
        edge = -slack if low else slack
        return edge + (1 if low else -1) if o.strict else edge

    return _by_op(op, lambda o: side(o, True)), _by_op(op, lambda o: side(o, False))


def touching(system: CellSystem, cells: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """``document, tmpl, at`` (and the columns ``by``): the constraints that may read one
    of ``cells`` (``document, field, row``): a per-row rule reading the field on the cell's
    own row at that row, any other rule reading the field everywhere (``at`` null)."""
    own = pl.col("own_row") & pl.col("row").is_not_null()
    return (
        cells.select("document", "field", "row", *by)
        .unique()
        .join(system.reads, on="field")
        .select(
            "document", "tmpl", pl.when(own).then(pl.col("row")).cast(pl.UInt32).alias("at"), *by
        )
        .unique()
    )


def estimate(
    system: CellSystem, frames: dict[str, pl.LazyFrame], pairs: pl.DataFrame
) -> pl.DataFrame:
    """``pairs`` (``document, tmpl, at`` as :func:`expand` takes them) with ``size``: how
    many cell terms :func:`expand` would build for each at most, from counts alone — the
    templates' terms, and a table's rows per document where a sum reads them, a roll-up
    pairs them or a per-row rule is asked for on every row. Nothing is expanded."""
    pairs = _normalized(system, pairs)
    rules = system.rules.join(pairs.select("tmpl").unique(), on="tmpl", how="semi")
    leaves = system.leaf_terms.join(rules.select("tmpl"), on="tmpl").join(
        system.leaves.select("leaf", "kind", "field"), on="leaf"
    )
    sums = (
        leaves.filter(pl.col("kind") == "sum")
        .join(system.fields.select("field", "table"), on="field")
        .group_by("tmpl", "table")
        .agg(pl.len().alias("n"))
    )
    fixed = (
        pl.concat(
            [
                system.row_terms.select("tmpl"),
                leaves.filter(pl.col("kind").is_in(["cell", "statement"])).select("tmpl"),
            ]
        )
        .group_by("tmpl")
        .agg(pl.len().cast(pl.Int64).alias("fixed"))
    )
    every = pairs.filter(pl.col("at").is_null()).join(rules, on="tmpl")
    tables = set(sums.get_column("table").to_list()) | set(
        every.filter(pl.col("kind") != DOC).get_column("table").to_list()
    )
    docs = pairs.select("document").unique().lazy()
    counted = pl.collect_all(
        [
            frames[t]
            .join(docs, on="document", how="semi")
            .group_by("document")
            .agg(pl.len().cast(pl.Int64).alias("rows"))
            .with_columns(pl.lit(t).alias("table"))
            for t in sorted(tables)
            if t in frames
        ],
        engine=ENGINE,
    )
    rows = pl.concat(
        [pl.DataFrame(schema={"document": pl.UInt32, "rows": pl.Int64, "table": pl.Utf8}), *counted]
    )
    summed = (
        pairs.select("document", "tmpl")
        .unique()
        .join(sums, on="tmpl")
        .join(rows, on=["document", "table"], how="left")
        .group_by("document", "tmpl")
        .agg((pl.col("n") * pl.col("rows").fill_null(0)).sum().alias("summed"))
    )
    one = pl.col("fixed").fill_null(0) + pl.col("summed").fill_null(0)
    many = pl.col("rows").fill_null(0)
    size = (
        pl.when(pl.col("kind") == ROLLUP)
        .then(2 * many)
        .when((pl.col("kind") == ROW) & pl.col("at").is_null())
        .then(many * one)
        .otherwise(one)
    )
    return (
        pairs.join(rules.select("tmpl", "kind", "table"), on="tmpl")
        .join(fixed, on="tmpl", how="left")
        .join(summed, on=["document", "tmpl"], how="left")
        .join(rows, on=["document", "table"], how="left")
        .select("document", "tmpl", "at", size.alias("size"))
    )


def templates_of(system: CellSystem, results: pl.DataFrame) -> pl.DataFrame:
    """``document, tmpl, at``: the constraints behind ``results`` (rows of a results frame:
    ``document, rule, row, column``), for the rules that have constraints."""
    rules = system.rules.select("tmpl", "rule", "column", "kind")
    by_rule = results.join(rules.filter(pl.col("kind") != ROLLUP).select("tmpl", "rule"), on="rule")
    by_column = results.join(
        rules.filter(pl.col("kind") == ROLLUP).select("tmpl", "rule", "column"),
        on=["rule", "column"],
    )
    return pl.concat(
        [
            p.select(pl.col("document").cast(pl.UInt32), "tmpl", pl.col("row").alias("at"))
            for p in (by_rule, by_column)
        ],
        how="vertical",
    )
