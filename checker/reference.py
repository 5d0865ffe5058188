"""A plain-Python tree-walking evaluator: the oracle for differential tests.

It evaluates the same resolved AST as ``compile``/``evaluate`` over one
document's JSON dicts, slowly and obviously: one document at a time, one row
at a time, ``Decimal`` for exact amounts and ``float`` where a rule
multiplies or divides, the same rounding intervals and the same judging.
Tests check that both evaluators give identical statuses and values; it is
never used to check documents in production.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from checker import ast, judging
from checker.functions import FUNCTIONS, Function, arguments, returns
from checker.intervals import QUANTUM, Number, Val, lift
from checker.intervals import to_decimal as _dec
from checker.intervals import to_py_float as _f
from checker.judging import OPERATORS, STATUS_NAMES, judge_python
from checker.template import Table, Template, normalize_label
from checker.units import table_factors, table_halves

Row = Mapping[str, Any]


@dataclass(frozen=True)
class RefResult:
    """One evaluation, keyed like a row of the Polars results frame."""

    document: int
    rule: str
    row: int | None
    column: str | None
    status: str
    lhs: float | None
    rhs: float | None
    lhs_lo: float | None = None
    lhs_hi: float | None = None
    rhs_lo: float | None = None
    rhs_hi: float | None = None
    reason: str | None = None
    group: str | None = None  # a per-group rule's result: the group's key (row: its first)


class _Doc:
    def __init__(
        self,
        doc: Mapping[str, Any],
        template: Template,
        factors: Mapping[str, Decimal] | None = None,
        halves: Mapping[str, Decimal] | None = None,
    ) -> None:
        self.doc = doc
        self.template = template
        # tables printed in another unit than the ruleset's (checker.units): their figures
        # converted, and their own rounding half-width
        self.factors = factors or {}
        self.halves = halves or {}
        self._converted: dict[str, list[Row]] = {}
        # the run's documents by (body, year, kind): what 上年(…) … read (ast.RELATIONS)
        self.index: Mapping[tuple[Any, Any, Any], _Doc] = {}

    def meta(self, field: str) -> Any:
        """The document's ``meta.<field>`` (None where it has none)."""
        meta = self.doc.get("meta")
        return meta.get(field) if isinstance(meta, Mapping) else None

    def related(self, relation: str) -> _Doc | None:
        """The document ``relation`` names, if the run holds it."""
        meta = self.doc.get("meta") or {}
        kind, offset = ast.RELATIONS[relation]
        year = meta.get("year")
        if not isinstance(year, int):
            return None
        key = (meta.get("department"), year + offset, kind or meta.get("kind"))
        return self.index.get(key)

    def rows(self, role: str) -> list[Row]:
        table = self.doc.get("tables", {}).get(role) or {}
        rows = table.get("rows") or []
        factor = self.factors.get(role)
        if factor is None:
            return list(rows)
        if role not in self._converted:  # once: a row keeps its identity across calls
            amounts = self.table(role).amount_columns
            self._converted[role] = [
                {
                    k: (_dec(_dec(v) * factor) if k in amounts and v is not None else v)
                    for k, v in row.items()
                }
                for row in rows
            ]
        return list(self._converted[role])

    def half(self, role: str | None, default: Decimal) -> Decimal:
        """The rounding half-width of a figure of table ``role``."""
        return self.halves.get(role, default) if role is not None else default

    def table(self, role: str) -> Table:
        t = self.template.table(role)
        if t is None:
            raise KeyError(role)
        return t


@dataclass
class _Env:
    doc: _Doc
    half: Decimal
    row_table: Table | None = None
    row: Row | None = None
    outer_table: Table | None = None
    outer_row: Row | None = None
    # a per-group rule: the current group's rows (of the grouped table) and key
    group_rows: list[Row] | None = None
    group_key: str | None = None
    tolerance: Decimal | None = None  # the rule's materiality threshold (checker.judging)

    def statement_wording(self, name: str) -> str | None:
        """The direction word the prose prints with a statement (``wording(说明.…)``)."""
        statement = (self.doc.doc.get("statements") or {}).get(name)
        wording = None if statement is None else statement.get("wording")
        return None if wording is None else str(wording)


def _cell(value: Any, half: Decimal) -> Val:
    if value is None:
        zero = Decimal(0).quantize(QUANTUM)
        return Val(zero, zero, zero)
    v = _dec(value)
    return Val(v, v - half, v + half)


def _find_row(env: _Env, ref: ast.CellRef) -> tuple[int, Row] | None:
    assert ref.table is not None
    table = env.doc.table(ref.table)
    for i, row in enumerate(env.doc.rows(ref.table)):
        if ref.row.kind == "code" and table.code is not None:
            if row.get(table.code) == ref.row.value:
                return i, row
        else:
            label = row.get(table.label) if table.label else None
            if label is not None and normalize_label(label) == normalize_label(ref.row.value):
                return i, row
    return None


def _cell_value(table: Table, row: Row, column: str | None) -> Any:
    if column is not None:
        return row.get(column)
    for name in table.value:
        if row.get(name) is not None:
            return row.get(name)
    return None


def _ref_text(ref: ast.CellRef) -> str:
    column = f".{ref.column}" if ref.column else ""
    return f"{ref.table}[{ref.row.value}]{column}"


def _first(*reasons: str | None) -> str | None:
    return next((r for r in reasons if r is not None), None)


def number(expr: ast.Expr, env: _Env) -> Val:
    """Evaluate a numeric expression."""
    match expr:
        case ast.Number(value=literal):
            v = _dec(literal)
            return Val(v, v, v)
        case ast.Neg(operand=operand):
            n = number(operand, env)
            return Val(_neg(n.v), _neg(n.hi), _neg(n.lo), n.exact, n.reason)
        case ast.BinOp(op=op, left=left, right=right):
            a, b = number(left, env), number(right, env)
            if op in "+-":
                return _add(a, b, op)
            return _mul(a, b) if op == "*" else _div(a, b)
        case ast.CellRef() as ref:
            found = _find_row(env, ref)
            if found is None:
                zero = Decimal(0).quantize(QUANTUM)
                return Val(zero, zero, zero, True, f"missing-cell:{_ref_text(ref)}")
            assert ref.table is not None
            half = env.doc.half(ref.table, env.half)
            return _cell(_cell_value(env.doc.table(ref.table), found[1], ref.column), half)
        case ast.ColumnRef(column=column, outer=outer):
            row = env.outer_row if outer else env.row
            table = env.outer_table if outer else env.row_table
            assert row is not None
            return _cell(row.get(column), env.doc.half(table.role if table else None, env.half))
        case ast.StatementRef(name=name):
            statements = env.doc.doc.get("statements") or {}
            if name not in statements:
                zero = Decimal(0).quantize(QUANTUM)
                return Val(zero, zero, zero, True, f"missing-statement:说明.{name}")
            return _cell(statements[name].get("value"), env.half)
        case ast.LetRef(value=value):
            return number(value, env)
        case ast.MetaRef(field=meta_field):
            value = env.doc.meta(meta_field)
            if value is None:
                zero = Decimal(0).quantize(QUANTUM)
                return Val(zero, zero, zero, True, f"missing-meta:meta.{meta_field}")
            v = _dec(value)
            return Val(v, v, v)  # exact: the document's own meta_field, not a rounded figure
        case ast.Aggregate() as agg:
            return _aggregate(agg, env)
        case ast.Call(func=func, args=args):
            return _call(func, args, env)
        case ast.Related(relation=relation, operand=operand):
            other = env.doc.related(relation)
            if other is None:
                zero = Decimal(0).quantize(QUANTUM)
                return Val(zero, zero, zero, True, f"needs-document:{relation}")
            return number(operand, _Env(other, env.half))
    raise TypeError(type(expr).__name__)


def _neg(x: Number | None) -> Number | None:
    return None if x is None else -x


def _add(a: Val, b: Val, op: str) -> Val:
    if a.exact != b.exact:
        a, b = a.as_float(), b.as_float()
    reason = _first(a.reason, b.reason)
    if op == "+":
        add = lambda x, y: x + y  # noqa: E731
        return Val(
            lift(add, a.v, b.v), lift(add, a.lo, b.lo), lift(add, a.hi, b.hi), a.exact, reason
        )
    sub = lambda x, y: x - y  # noqa: E731
    return Val(lift(sub, a.v, b.v), lift(sub, a.lo, b.hi), lift(sub, a.hi, b.lo), a.exact, reason)


def _mul(a: Val, b: Val) -> Val:
    a, b = a.as_float(), b.as_float()
    reason = _first(a.reason, b.reason)
    v = None if a.v is None or b.v is None else a.v * b.v
    if None in (a.lo, a.hi, b.lo, b.hi):
        return Val(v, None, None, False, reason)
    lo, hi = _bounds([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi])
    return Val(v, lo, hi, False, reason)


def _bounds(candidates: list[float]) -> tuple[float, float]:
    """The hull of end-point products/quotients; unbounded if any is NaN (0·∞)."""
    if any(math.isnan(x) for x in candidates):
        return -math.inf, math.inf
    return min(candidates), max(candidates)


def _div(a: Val, b: Val) -> Val:
    a, b = a.as_float(), b.as_float()
    zero = b.v == 0
    reason = _first(a.reason, b.reason, "division-by-zero:" if zero else None)
    v = None if zero or a.v is None or b.v is None else a.v * (1.0 / b.v)
    if None in (a.lo, a.hi, b.lo, b.hi):
        return Val(v, None, None, False, reason)
    if b.lo <= 0 <= b.hi:
        lo, hi = -math.inf, math.inf
    else:  # multiplication by the reciprocal, as in compile._div
        r_lo, r_hi = 1.0 / b.lo, 1.0 / b.hi
        lo, hi = _bounds([a.lo * r_lo, a.lo * r_hi, a.hi * r_lo, a.hi * r_hi])
    return Val(v, lo, hi, False, reason)


def _matching_rows(agg: ast.Aggregate, env: _Env) -> list[Row]:
    table = env.doc.table(agg.table)
    chosen = []
    grouped = agg.in_group and env.group_rows is not None
    for row in (
        env.group_rows if grouped and env.group_rows is not None else env.doc.rows(agg.table)
    ):
        inner = _Env(
            env.doc,
            env.half,
            row_table=table,
            row=row,
            outer_table=env.row_table,
            outer_row=env.row,
            group_key=env.group_key,
        )
        if agg.where is None or boolean(agg.where, inner):
            chosen.append(row)
    return chosen


def _aggregate(agg: ast.Aggregate, env: _Env) -> Val:
    rows = _matching_rows(agg, env)
    if agg.func == "count":
        v = _dec(len(rows))
        return Val(v, v, v)
    assert agg.column is not None
    values = [_dec(r[agg.column]) for r in rows if r.get(agg.column) is not None]
    zero = Decimal(0).quantize(QUANTUM)
    half = env.doc.half(agg.table, env.half)
    if agg.func == "sum":
        total = sum(values, zero)
        width = half * len(values)
        return Val(total, total - width, total + width)
    if not values:
        return Val(zero, zero, zero)
    pick = min(values) if agg.func == "min" else max(values)
    return Val(pick, pick - half, pick + half)


def _call(func: str, args: tuple[ast.Expr, ...], env: _Env) -> Val:
    spec = FUNCTIONS[func]
    if spec.expand is not None:
        return number(spec.expand(args, ast.NOWHERE), env)
    assert spec.python is not None and spec.result == "amount", func
    result: Val = spec.python(env, *_arguments(spec, args, env))
    return result


def _arguments(spec: Function, args: tuple[ast.Expr, ...], env: _Env) -> list[Any]:
    """A call's arguments as its implementation takes them (:func:`functions.arguments`)."""
    return arguments(spec, args, lambda a: number(a, env), lambda a: text(a, env))


def text(expr: ast.Expr, env: _Env) -> str | None:
    """Evaluate a text expression."""
    match expr:
        case ast.String(value=literal):
            return literal
        case ast.ColumnRef(column=column, outer=outer):
            row = env.outer_row if outer else env.row
            assert row is not None
            value = row.get(column)
            return None if value is None else str(value)
        case ast.CellRef() as ref:
            found = _find_row(env, ref)
            if found is None:
                return None
            value = found[1].get(ref.column) if ref.column else None
            return None if value is None else str(value)
        case ast.Call(func=func, args=args) if returns(func, "text"):
            spec = FUNCTIONS[func]
            assert spec.python is not None
            got: str | None = spec.python(env, *_arguments(spec, args, env))
            return got
        case ast.MetaRef(field=meta_field):
            value = env.doc.meta(meta_field)
            return None if value is None else str(value)
        case ast.LetRef(value=value):
            return text(value, env)
        case ast.GroupKey():
            return env.group_key
    raise TypeError(type(expr).__name__)


def is_text(expr: ast.Expr, env: _Env) -> bool:
    """Mirror of ``compile.is_text``."""
    match expr:
        case ast.String():
            return True
        case ast.Call(func=func):
            return returns(func, "text")
        case ast.MetaRef(field=meta_field):
            spec = env.doc.template.meta_field(meta_field)
            return spec is not None and spec.kind != "amount"
        case ast.LetRef(value=value):
            return is_text(value, env)
        case ast.GroupKey():
            return True
        case ast.ColumnRef(column=column, outer=outer):
            table = env.outer_table if outer else env.row_table
            col = table.column(column) if table is not None else None
            return col is not None and col.kind != "amount"
        case ast.CellRef(table=role, column=column):
            assert role is not None
            if column is None:
                return False
            col = env.doc.table(role).column(column)
            return col is not None and col.kind != "amount"
    return False


def _compare(op: str, a: Any, b: Any) -> bool:
    return bool(OPERATORS[op].holds(a, b))


def boolean(cond: ast.Cond, env: _Env) -> bool:
    """Evaluate a filter / ``when`` condition with exact values (missing → False)."""
    match cond:
        case ast.Compare(op=op, left=left, right=right):
            if is_text(left, env) or is_text(right, env):
                a, b = text(left, env), text(right, env)
                if op in ("=", "!="):
                    return (a == b) if op == "=" else (a != b)
                if a is None or b is None:
                    return False
                return _compare(op, a, b)
            x, y = number(left, env), number(right, env)
            if x.exact != y.exact:
                x, y = x.as_float(), y.as_float()
            if x.reason or y.reason or x.v is None or y.v is None:
                return False
            return _compare(op, x.v, y.v)
        case ast.Between():
            return all(boolean(c, env) for c in cond.bounds())
        case ast.And(items=items):
            return all(boolean(i, env) for i in items)
        case ast.Or(items=items):
            return any(boolean(i, env) for i in items)
        case ast.Not(item=item):
            return not boolean(item, env)
        case ast.IsNull(operand=operand, negated=negated):
            raw = _raw(operand, env)
            return (raw is not None) if negated else (raw is None)
        case ast.IsEmpty(table=role, negated=negated):
            table = env.doc.table(role)
            empty = not any(
                row.get(c) is not None for row in env.doc.rows(role) for c in table.amount_columns
            )
            return (not empty) if negated else empty
        case ast.Predicate(func=func, args=args):
            spec = FUNCTIONS[func]
            assert spec.python is not None
            return bool(spec.python(env, *_arguments(spec, args, env)))
        case ast.StartsWith(operand=operand, prefix=prefix):
            s, p = text(operand, env), text(prefix, env)
            return s is not None and p is not None and s.startswith(p)
        case ast.InValues(operand=operand, values=values, negated=negated):
            if is_text(operand, env):
                s = text(operand, env)
                options = [v.value for v in values if isinstance(v, ast.String)]
                inside = s is not None and s in options
            else:
                n = number(operand, env)
                inside = any(n.v == number(v, env).v for v in values)
            return (not inside) if negated else inside
        case ast.InColumn(operand=operand, table=role, column=column, negated=negated):
            s = text(operand, env)
            present = [r.get(column) for r in env.doc.rows(role) if r.get(column) is not None]
            inside = s is not None and s in present
            return (not inside) if negated else inside
        case ast.Exists(ref=ref):
            return _find_row(env, ref) is not None
    raise TypeError(type(cond).__name__)


def _raw(expr: ast.Expr, env: _Env) -> Any:
    match expr:
        case ast.ColumnRef(column=column, outer=outer):
            row = env.outer_row if outer else env.row
            return None if row is None else row.get(column)
        case ast.CellRef() as ref:
            found = _find_row(env, ref)
            if found is None:
                return None
            assert ref.table is not None
            return _cell_value(env.doc.table(ref.table), found[1], ref.column)
        case ast.StatementRef(name=name):
            statement = (env.doc.doc.get("statements") or {}).get(name)
            return None if statement is None else statement.get("value")
        case ast.MetaRef(field=meta_field):
            return env.doc.meta(meta_field)
        case ast.LetRef(value=value):
            return _raw(value, env)
        case ast.GroupKey():
            return env.group_key
        case ast.Call(func=func) if returns(func, "text"):
            return text(expr, env)
    return number(expr, env).v


PASS, FAIL, ERROR, SKIPPED = (
    STATUS_NAMES[c] for c in (judging.PASS, judging.FAIL, judging.ERROR, judging.SKIPPED)
)
_ORDER = list(STATUS_NAMES)


@dataclass(frozen=True)
class _Judged:
    status: str
    lhs: Val | None
    rhs: Val | None
    reason: str | None


def judge(cond: ast.Cond, env: _Env) -> _Judged:
    """Judge a rule's check: pass / rounding / fail / error."""
    match cond:
        case ast.Compare(op=op, left=left, right=right) if not (
            is_text(left, env) or is_text(right, env)
        ):
            a, b = number(left, env), number(right, env)
            if a.exact != b.exact:
                a, b = a.as_float(), b.as_float()
            no_value = "no-value:" if a.v is None or b.v is None else None
            reason = _first(a.reason, b.reason, no_value)
            if reason is not None:
                return _Judged(ERROR, a, b, reason)
            status = judge_python(op, a, b, env.half, env.tolerance)
            return _Judged(status, a, b, None)
        case ast.Between():
            low, high = (judge(c, env) for c in cond.bounds())
            upper = _ORDER.index(high.status) > _ORDER.index(low.status)
            status = high.status if upper else low.status
            shown = high if upper else low
            return _Judged(status, low.lhs, shown.rhs, _first(low.reason, high.reason))
        case ast.And(items=items) | ast.Or(items=items):
            parts = [judge(i, env) for i in items]
            pick = max if isinstance(cond, ast.And) else min
            status = pick((p.status for p in parts), key=_ORDER.index)
            first = next((p for p in parts if p.lhs is not None), None)
            reason = _first(*(p.reason for p in parts))
            return _Judged(
                status, first.lhs if first else None, first.rhs if first else None, reason
            )
    return _Judged(PASS if boolean(cond, env) else FAIL, None, None, None)


def _result(
    index: int,
    rule_id: str,
    row: int | None,
    column: str | None,
    judged: _Judged,
    group: str | None = None,
) -> RefResult:
    lhs = judged.lhs.as_float() if judged.lhs is not None else None
    rhs = judged.rhs.as_float() if judged.rhs is not None else None
    return RefResult(
        index,
        rule_id,
        row,
        column,
        judged.status,
        _f(lhs.v) if lhs else None,
        _f(rhs.v) if rhs else None,
        _f(lhs.lo) if lhs else None,
        _f(lhs.hi) if lhs else None,
        _f(rhs.lo) if rhs else None,
        _f(rhs.hi) if rhs else None,
        judged.reason,
        group,
    )


def rule_env(
    rule: ast.Rule | ast.Rollup,
    doc: _Doc,
    ruleset: ast.Ruleset,
    row_table: Table | None = None,
    row: Row | None = None,
) -> _Env:
    """Where a rule is judged: its precision's half-width and its tolerance (the rule's,
    else the ruleset's), on a row of ``row_table`` or the document."""
    precision = rule.precision if rule.precision is not None else ruleset.precision
    half = (precision if precision is not None else ast.Ruleset.DEFAULT_PRECISION) / 2
    tolerance = rule.tolerance if rule.tolerance is not None else ruleset.tolerance
    return _Env(doc, half, row_table=row_table, row=row, tolerance=tolerance)


def _evaluate_rule(rule: ast.Rule, doc: _Doc, index: int, ruleset: ast.Ruleset) -> list[RefResult]:
    results = []
    keys: dict[int | None, str] = {}
    scopes: list[tuple[int | None, _Env]]
    if rule.group_by is not None and rule.scope_table:
        scopes = []
        for first, key, env in groups(rule, doc, rule_env(rule, doc, ruleset)):
            scopes.append((first, env))
            keys[first] = key
    elif rule.scope_table and rule.per_row:
        table = doc.table(rule.scope_table)
        scopes = [
            (i, rule_env(rule, doc, ruleset, table, row))
            for i, row in enumerate(doc.rows(rule.scope_table))
        ]
        scopes = [
            (i, e) for i, e in scopes if rule.row_filter is None or boolean(rule.row_filter, e)
        ]
    else:
        scopes = [(None, rule_env(rule, doc, ruleset))]
    for row_index, env in scopes:
        judged = judge(rule.check, env)
        if judged.reason is not None and judged.reason.startswith("needs-document:"):
            judged = _Judged(SKIPPED, judged.lhs, judged.rhs, judged.reason)
        if rule.when is not None and not boolean(rule.when, env):
            judged = _Judged(SKIPPED, judged.lhs, judged.rhs, judged.reason)
        group = keys.get(row_index)
        results.append(_result(index, rule.meta.id, row_index, rule.expanded_column, judged, group))
    return results


def groups(rule: ast.Rule, doc: _Doc, base: _Env) -> list[tuple[int, str, _Env]]:
    """A per-group rule's groups in a document: the rows of its table its filter keeps,
    by their key (rows without one left out), in the order they first appear: the first
    row's index, the key, and the environment the rule is evaluated in (``base``, the
    rule's: :func:`rule_env`, on the group)."""
    assert rule.group_by is not None and rule.scope_table is not None
    table = doc.table(rule.scope_table)
    members: dict[str, list[tuple[int, Row]]] = {}
    for i, row in enumerate(doc.rows(rule.scope_table)):
        env = replace(base, row_table=table, row=row)
        if rule.row_filter is not None and not boolean(rule.row_filter, env):
            continue
        key = text(rule.group_by, env)
        if key is not None:
            members.setdefault(key, []).append((i, row))
    return [
        (rows[0][0], key, replace(base, group_rows=[r for _, r in rows], group_key=key))
        for key, rows in members.items()
    ]


def _evaluate_rollup(
    rollup: ast.Rollup, doc: _Doc, index: int, ruleset: ast.Ruleset
) -> list[RefResult]:
    precision = ruleset.precision if ruleset.precision is not None else Decimal("0.01")
    tolerance = rollup.tolerance if rollup.tolerance is not None else ruleset.tolerance
    table = doc.table(rollup.table)
    half = (
        rollup.precision / 2
        if rollup.precision is not None
        else doc.half(rollup.table, precision / 2)
    )
    rows = doc.rows(rollup.table)
    blocks, block = [], 0
    for row in rows:
        if any(_matches_pattern(row, p) for p in table.subtotal_rows):
            block += 1
        blocks.append(block)
    results = []
    columns = rollup.columns or table.amount_columns
    for parent_len, child_len in zip(rollup.levels, rollup.levels[1:], strict=False):
        for i, parent in enumerate(rows):
            code = parent.get(rollup.code_column)
            if code is None or len(code) != parent_len:
                continue
            children = [
                r
                for j, r in enumerate(rows)
                if blocks[j] == blocks[i]
                and isinstance(r.get(rollup.code_column), str)
                and len(r[rollup.code_column]) == child_len
                and r[rollup.code_column][:parent_len] == code
            ]
            if not children:
                continue
            for column in columns:
                lhs = _cell(parent.get(column), half)
                values = [_dec(c[column]) for c in children if c.get(column) is not None]
                total = sum(values, Decimal(0).quantize(QUANTUM))
                rhs = Val(total, total - half * len(values), total + half * len(values))
                assert lhs.lo is not None and lhs.hi is not None
                status = judge_python("=", lhs, rhs, half, tolerance)
                results.append(
                    _result(index, rollup.meta.id, i, column, _Judged(status, lhs, rhs, None))
                )
    return results


def _matches_pattern(row: Row, pattern: Mapping[str, Any]) -> bool:
    for column, wanted in pattern.items():
        value = row.get(column)
        if wanted is None:
            if value is not None:
                return False
        elif isinstance(wanted, dict) and wanted.get("present"):
            if value is None:
                return False
        elif value != wanted:
            return False
    return True


def document_view(raw: Mapping[str, Any], ruleset: ast.Ruleset, template: Template) -> _Doc:
    """One document as the ruleset reads it (tables in its unit: checker.units)."""
    precision = ruleset.precision if ruleset.precision is not None else Decimal("0.01")
    return _Doc(
        raw,
        template,
        table_factors(ruleset, template),
        table_halves(ruleset, template, precision / 2),
    )


def evaluate_documents(
    ruleset: ast.Ruleset, template: Template, documents: list[Mapping[str, Any]]
) -> list[RefResult]:
    """Evaluate every rule on every document, one at a time."""
    precision = ruleset.precision if ruleset.precision is not None else Decimal("0.01")
    factors = table_factors(ruleset, template)
    halves = table_halves(ruleset, template, precision / 2)
    out: list[RefResult] = []
    docs = [_Doc(raw, template, factors, halves) for raw in documents]
    index_by: dict[tuple[Any, Any, Any], _Doc] = {}
    for doc in docs:
        meta = doc.doc.get("meta") or {}
        index_by.setdefault((meta.get("department"), meta.get("year"), meta.get("kind")), doc)
    for index, doc in enumerate(docs):
        doc.index = index_by
        for rule in ruleset.rules:
            if isinstance(rule, ast.Rollup):
                out.extend(_evaluate_rollup(rule, doc, index, ruleset))
            else:
                out.extend(_evaluate_rule(rule, doc, index, ruleset))
    return out


__all__ = ["RefResult", "evaluate_documents"]
