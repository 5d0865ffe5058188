"""A resolved ruleset read as linear constraints over the figures a document publishes.

**Variables** are the published figures the rules read: a table cell by row key and
column (``收支表[收入总计].金额``), a prose statement, a ``sum`` or ``count`` over a
table (its own variable: how it relates to the cells it adds up depends on the rows a
document has), a figure of a related document (``上年(…)``), and, for per-row rules, the
cells of one *symbolic row* per table and row filter (see below). A variable is free
(any sign) unless the schema gives its column a ``minimum``; a count is a whole number
≥ 0.

**Constraints.** A comparison ``L op R`` whose sides are sums and differences of
variables and numbers (a product with a number too) is ``d = L − R`` against 0. The
checker accepts it (``pass`` or ``尾差``) when ``d`` is within the sides' rounding width
``w`` (each published figure ``±p/2`` in the ruleset's unit, a sum ``±p/2`` per figure it
adds, numbers and counts exact): ``|d| ≤ w`` for ``=``, ``d ≤ w`` for ``<=``, ``d < w`` for
``<`` (compile.linear_plan's tests). The *exact view* takes ``w = 0``: the identities
between the true amounts. A strict comparison becomes ``d + q ≤ 0`` with ``q`` the step
of ``d`` over published figures (4 decimals, whole counts): exact for any document.

**Rows.** A per-row rule is read on a symbolic row of its table — one per distinct
``where`` filter, shared by the per-row rules with that filter — and, when it has no
filter (it applies to every row), also on every row another rule names (``表[合计]``)
and on every other symbolic row of the table. A rule's *instances* are these readings.

**Conditions** (``when``) are read into disjunctive normal form: per branch, decidable
atoms as literals (``exists``, ``is null``, ``is empty``, linear comparisons), linear
comparisons also as exact constraints (``when`` is judged on the published values), and
the rest (text tests, ``in``, ``matches`` …) as opaque literals: equal texts are the same
literal, nothing more is known of them.

What cannot be read this way gets a reason (:data:`REASONS`), shown by ``analyze``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from math import gcd
from typing import Any, Literal

from checker import ast
from checker.explain import show
from checker.functions import returns
from checker.judging import OPERATORS, tolerates
from checker.template import Template, normalize_label
from checker.units import table_halves

VarKey = tuple[Hashable, ...]
Literal_ = tuple[Hashable, bool]  # (atom, holds)

AMOUNT_STEP = Fraction(1, 10_000)  # published amounts carry at most 4 decimals
_MAX_BRANCHES = 32  # a condition's disjunctive form beyond this: one opaque literal

# Why a rule is not analysed: code → (zh, en), shown by the report.
REASONS: dict[str, tuple[str, str]] = {
    "rollup": ("逐级汇总（rollup）", "a roll-up"),
    "group": ("逐组规则（for each group）", "a per-group rule (for each group)"),
    "text": ("比较文字", "compares text"),
    "condition": (
        "检查的是条件（exists、is null、in、matches 等）",
        "checks a condition (exists, is null, in, matches …)",
    ),
    "or": ("含 or", "uses or"),
    "not-equal": ("!=（非凸）", "!= (not convex)"),
    "product": ("两个值相乘", "multiplies two values"),
    "division": ("除法", "divides"),
    "function": ("函数", "calls a function"),
    "min-max": ("min/max 汇总", "a min/max aggregate"),
    "other": ("其他写法", "another construct"),
}


class NotLinear(Exception):
    """The expression or check cannot be read as linear constraints (``code``: REASONS)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Var:
    """A figure of the document: its identity, how it is shown, and what the schema says."""

    key: VarKey
    text: str
    lower: Fraction | None = None  # the schema's minimum (counts: 0)
    integer: bool = False  # a count
    step: Fraction = AMOUNT_STEP  # the grid of its published values


@dataclass(frozen=True)
class Constraint:
    """``Σ coef·x + const  op  0`` with ``op`` ``=`` or ``<=`` (``>``/``>=`` are negated).

    In the checker's verdict it holds within ``± (fixed + Σ spread·n)``, ``n`` the
    number of figures of each sum (a variable ≥ 0 of the rounding view). ``strict``: the
    comparison was ``<`` (``d < w``), held by the solver as ``d − w + step ≤ 0`` with the
    step of the view's grid (``step_exact``, ``step_rounding``). ``exact_only``: a
    ``when`` condition, judged on the published values without rounding.
    """

    coefs: tuple[tuple[VarKey, Fraction], ...]
    const: Fraction
    op: Literal["=", "<="]
    fixed: Fraction = Fraction(0)
    spread: tuple[tuple[VarKey, Fraction], ...] = ()
    strict: bool = False
    step_exact: Fraction = AMOUNT_STEP
    step_rounding: Fraction = AMOUNT_STEP
    exact_only: bool = False
    # the rule's materiality threshold where judging applies one (checker.judging.tolerates):
    # beyond rounding but within it, the checker says ``tolerated``, which passes
    tolerance: Fraction = Fraction(0)

    @property
    def variables(self) -> Iterator[VarKey]:
        yield from (k for k, _ in self.coefs)
        yield from (k for k, _ in self.spread)

    def key(self) -> Hashable:
        """The comparison's identity (a ``when`` literal): the same for the same constraint."""
        return (self.coefs, self.const, self.op, self.strict)


@dataclass(frozen=True)
class Conj:
    """One branch of a condition: literals that hold, exact constraints, opaque parts."""

    literals: frozenset[Literal_] = frozenset()
    linear: tuple[Constraint, ...] = ()
    opaque: tuple[str, ...] = ()  # the parts nothing is known of, as written

    def conflicts(self) -> bool:
        """An atom and its negation both required."""
        return any((atom, not holds) in self.literals for atom, holds in self.literals)

    def joined(self, other: Conj) -> Conj:
        return Conj(
            self.literals | other.literals,
            self.linear + other.linear,
            self.opaque + other.opaque,
        )


ALWAYS = Conj()


@dataclass(frozen=True)
class Instance:
    """One reading of a rule: on the document, on a named row, or on a symbolic row."""

    rule: str
    row: str | None  # where: None for the document, else the row as shown
    home: bool  # the rule's own reading (a per-row rule's: on the rows its filter selects)
    checks: tuple[Constraint, ...]  # all must hold
    when: tuple[Conj, ...]  # disjunctive form; () when there is no condition
    reads: frozenset[Literal_]  # the rows its cells are on exist when it is evaluated

    @property
    def scenario(self) -> Conj:
        """What is known whenever it applies: its one branch, or its condition as one
        opaque literal when it has several."""
        if not self.when:
            return ALWAYS
        if len(self.when) == 1:
            return self.when[0]
        return Conj(frozenset({(("or", self.rule, self.row), True)}))

    @property
    def variables(self) -> set[VarKey]:
        found = {k for c in self.checks for k in c.variables}
        found |= {k for branch in self.when for c in branch.linear for k in c.variables}
        return found


@dataclass(frozen=True)
class RuleInfo:
    """A rule of the ruleset as the report names it."""

    id: str
    title: str
    severity: str
    file: str
    line: int
    reason: str | None = None  # REASONS code when it is not analysed
    when: str | None = None  # its condition as written (resolved)
    per_row: str | None = None  # its table, for a per-row rule


@dataclass(frozen=True)
class Model:
    """Every rule's instances, the variables they read, and the rules not analysed."""

    rules: tuple[RuleInfo, ...]
    variables: Mapping[VarKey, Var]
    instances: tuple[Instance, ...]
    precision: Decimal
    # every rule's ``when``: (rule, where it is read, disjunctive form, as written)
    conditions: tuple[tuple[str, str | None, tuple[Conj, ...], str], ...] = ()
    by_id: Mapping[str, RuleInfo] = field(default_factory=dict)


# --------------------------------------------------------------------------- linear forms


@dataclass
class _Lin:
    coefs: dict[VarKey, Fraction] = field(default_factory=dict)
    const: Fraction = Fraction(0)
    fixed: Fraction = Fraction(0)  # rounding width of cells and statements
    spread: dict[VarKey, Fraction] = field(default_factory=dict)  # per figure of a sum

    def add(self, other: _Lin, sign: int) -> _Lin:
        out = _Lin(dict(self.coefs), self.const + sign * other.const, self.fixed + other.fixed)
        out.spread = dict(self.spread)
        for k, v in other.coefs.items():
            out.coefs[k] = out.coefs.get(k, Fraction(0)) + sign * v
        for k, v in other.spread.items():
            out.spread[k] = out.spread.get(k, Fraction(0)) + v
        return out

    def scale(self, k: Fraction) -> _Lin:
        return _Lin(
            {key: k * v for key, v in self.coefs.items()},
            k * self.const,
            abs(k) * self.fixed,
            {key: abs(k) * v for key, v in self.spread.items()},
        )

    @property
    def constant(self) -> bool:
        return not self.coefs and not self.spread and not self.fixed


def _fgcd(values: Iterable[Fraction]) -> Fraction:
    """The largest step every value is a whole multiple of (0 when all are 0)."""
    num, den = 0, 1
    for v in values:
        if v == 0:
            continue
        # gcd(a/b, c/d) = gcd(a·d, c·b) / (b·d)
        n = gcd(num * v.denominator, abs(v.numerator) * den)
        den = den * v.denominator
        num = n
        f = Fraction(num, den)
        num, den = f.numerator, f.denominator
    return Fraction(num, den)


# --------------------------------------------------------------------------- the reader


@dataclass(frozen=True)
class _Row:
    """Where a per-row rule's bare columns are read: a named row, or a class's symbolic row."""

    table: str
    cls: str  # the row class: its filter as written ("" for every row)
    named: tuple[str, str] | None = None  # (kind, key) of a named row

    def shown(self) -> str:
        if self.named is not None:
            return f"{self.table}[{self.named[1]}]"
        return f"{self.table}[*]" + (f" where {self.cls}" if self.cls else "")


def _row_key(row: ast.RowKey) -> tuple[str, str]:
    return (row.kind, normalize_label(row.value) if row.kind == "label" else row.value)


def _conjuncts(cond: ast.Cond | None) -> frozenset[str]:
    if cond is None:
        return frozenset()
    if isinstance(cond, ast.And):
        return frozenset(x for item in cond.items for x in _conjuncts(item))
    return frozenset({show(cond)})


class _Reader:
    def __init__(self, ruleset: ast.Ruleset, template: Template, schema: Mapping[str, Any]):
        self.template = template
        self.precision = ruleset.precision if ruleset.precision is not None else Decimal("0.01")
        self.halves = {
            role: Fraction(h)
            for role, h in table_halves(ruleset, template, self.precision / 2).items()
        }
        self.minima = _minima(schema)
        self.tolerance = ruleset.tolerance  # the rules' default materiality threshold
        self.variables: dict[VarKey, Var] = {}

    # ---- variables

    def _var(self, var: Var) -> VarKey:
        self.variables.setdefault(var.key, var)
        return var.key

    def _is_text(self, expr: ast.Expr) -> bool:
        match expr:
            case ast.String():
                return True
            case (
                ast.CellRef(table=table, column=column) | ast.ColumnRef(table=table, column=column)
            ):
                t = self.template.table(table) if table else None
                col = t.column(column) if t is not None and column is not None else None
                return col is not None and col.kind != "amount"
            case ast.MetaRef(field=name):
                meta = self.template.meta_field(name)
                return meta is not None and meta.kind != "amount"
            case ast.Call(func=func):
                return returns(func, "text")
            case ast.Related(operand=operand) | ast.LetRef(value=operand):
                return self._is_text(operand)
        return False

    def lin(self, expr: ast.Expr, half: Fraction, row: _Row | None, related: str | None) -> _Lin:
        """The expression as a linear form (NotLinear otherwise)."""
        match expr:
            case ast.Number(value=value):
                return _Lin(const=Fraction(value))
            case ast.Neg(operand=operand):
                return self.lin(operand, half, row, related).scale(Fraction(-1))
            case ast.BinOp(op="+" | "-" as op, left=left, right=right):
                a = self.lin(left, half, row, related)
                return a.add(self.lin(right, half, row, related), 1 if op == "+" else -1)
            case ast.BinOp(op="*", left=left, right=right):
                a = self.lin(left, half, row, related)
                b = self.lin(right, half, row, related)
                if a.constant:
                    return b.scale(a.const)
                if b.constant:
                    return a.scale(b.const)
                raise NotLinear("product")
            case ast.BinOp(op="/"):
                raise NotLinear("division")
            case ast.CellRef(table=table, row=row_key, column=column) as ref:
                if self._is_text(ref):
                    raise NotLinear("text")
                assert table is not None
                cell: VarKey = ("cell", table, *_row_key(row_key), column)
                return self._figure(cell, show(ref), table, column, half, related)
            case ast.ColumnRef(column=column, outer=False) if row is not None:
                if self._is_text(expr):
                    raise NotLinear("text")
                if row.named is not None:
                    place: VarKey = ("cell", row.table, *row.named, column)
                else:
                    place = ("row", row.table, row.cls, column)
                shown = f"{row.shown()}.{column}"
                return self._figure(place, shown, row.table, column, half, related)
            case ast.StatementRef(name=name):
                return self._figure(("stmt", name), f"说明.{name}", None, None, half, related)
            case ast.MetaRef(field=name):  # the document's own field: exact, not rounded
                if self._is_text(expr):
                    raise NotLinear("text")
                key: VarKey = ("meta", name)
                shown = f"meta.{name}"
                if related is not None:
                    key, shown = ("rel", related, key), f"{related}({shown})"
                self._var(Var(key, shown))
                return _Lin({key: Fraction(1)})
            case ast.Aggregate(func="sum" | "count" as func, table=table, column=column):
                return self._aggregate(expr, func, table, column, half, row, related)
            case ast.Aggregate():
                raise NotLinear("min-max")
            case ast.Related(relation=relation, operand=operand):
                return self.lin(operand, half, row, relation)
            case ast.LetRef(value=value):  # a let value: as if written where it is used
                return self.lin(value, half, row, related)
            case ast.Call():
                raise NotLinear("function")
            case ast.String():
                raise NotLinear("text")
        raise NotLinear("other")

    def _half(self, table: str | None, half: Fraction) -> Fraction:
        return self.halves.get(table, half) if table is not None else half

    def _figure(
        self,
        key: VarKey,
        text: str,
        table: str | None,
        column: str | None,
        half: Fraction,
        related: str | None,
    ) -> _Lin:
        lower = self.minima.get((table, column)) if table is not None else self.minima.get(None)
        if related is not None:
            key, text = ("rel", related, key), f"{related}({text})"
        self._var(Var(key, text, lower))
        return _Lin({key: Fraction(1)}, fixed=self._half(table, half))

    def _aggregate(
        self,
        agg: ast.Aggregate,
        func: str,
        table: str,
        column: str | None,
        half: Fraction,
        row: _Row | None,
        related: str | None,
    ) -> _Lin:
        where = agg.where
        if where is not None and any(
            isinstance(n, ast.ColumnRef) and n.outer for n in _nodes(where)
        ):
            if row is None:
                raise NotLinear("other")
            where = _bind_outer(where, row)  # a per-row sum: one variable per row reading
        shown = show(dataclasses.replace(agg, where=where))
        if row is not None and row.named is None and where is not agg.where:
            shown = f"{shown}（{row.shown()}）"
        key: VarKey = (func, table, column, shown)
        if related is not None:
            key, shown = ("rel", related, key), f"{related}({shown})"
        if func == "count":
            self._var(Var(key, shown, Fraction(0), integer=True, step=Fraction(1)))
            return _Lin({key: Fraction(1)})
        minimum = self.minima.get((table, column))
        lower = Fraction(0) if minimum is not None and minimum >= 0 else None
        self._var(Var(key, shown, lower))
        return _Lin({key: Fraction(1)}, spread={key: self._half(table, half)})

    # ---- comparisons and checks

    def compare(
        self,
        cmp: ast.Compare,
        half: Fraction,
        row: _Row | None,
        *,
        exact_only: bool = False,
        tolerance: Decimal | None = None,
    ) -> Constraint:
        if self._is_text(cmp.left) or self._is_text(cmp.right):
            raise NotLinear("text")
        judged = OPERATORS[cmp.op]  # checker.judging: which way rounding lets it hold
        if judged.side == "none":  # !=: holds only exactly, on both sides of 0
            raise NotLinear("not-equal")
        d = self.lin(cmp.left, half, row, None).add(self.lin(cmp.right, half, row, None), -1)
        if judged.side == "above":  # a > b, a >= b: b − a below 0
            d = d.scale(Fraction(-1))
        op = "=" if judged.side == "both" else "<" if judged.strict else "<="
        applies = not exact_only and tolerates(cmp.op, tolerance)
        threshold = Fraction(tolerance) if applies and tolerance is not None else Fraction(0)
        if exact_only:
            d = _Lin(d.coefs, d.const)
        coefs = tuple(sorted(((k, v) for k, v in d.coefs.items() if v != 0), key=_order))
        spread = tuple(sorted(((k, v) for k, v in d.spread.items() if v != 0), key=_order))
        steps = [abs(v) * self.variables[k].step for k, v in coefs] + [d.const]
        step_exact = _fgcd(steps) or AMOUNT_STEP
        widths = [d.fixed, threshold, *(v for _, v in spread)]
        step_rounding = _fgcd([*steps, *widths]) or AMOUNT_STEP
        return Constraint(
            coefs,
            d.const,
            "=" if op == "=" else "<=",
            d.fixed,
            spread,
            op == "<",
            step_exact,
            step_rounding,
            exact_only,
            threshold,
        )

    def checks(
        self,
        cond: ast.Cond,
        half: Fraction,
        row: _Row | None,
        tolerance: Decimal | None = None,
    ) -> list[Constraint]:
        match cond:
            case ast.Compare() as cmp:
                return [self.compare(cmp, half, row, tolerance=tolerance)]
            case ast.And(items=items):
                return [c for item in items for c in self.checks(item, half, row, tolerance)]
            case ast.Or():
                raise NotLinear("or")
        bounds = getattr(cond, "bounds", None)  # x between a and b: two comparisons
        if callable(bounds):
            return [c for item in bounds() for c in self.checks(item, half, row, tolerance)]
        raise NotLinear("condition")

    # ---- conditions

    def condition(self, cond: ast.Cond, half: Fraction, row: _Row | None) -> list[Conj]:
        """Disjunctive form of a condition (see the module docstring)."""
        match cond:
            case ast.And(items=items):
                branches = [ALWAYS]
                for item in items:
                    parts = self.condition(item, half, row)
                    branches = [b.joined(p) for b in branches for p in parts]
                    if len(branches) > _MAX_BRANCHES:
                        return [self._opaque(cond, row, True)]
                return branches
            case ast.Or(items=items):
                found = [b for item in items for b in self.condition(item, half, row)]
                return found if len(found) <= _MAX_BRANCHES else [self._opaque(cond, row, True)]
            case ast.Not(item=ast.Exists(ref=ref)):
                assert ref.table is not None
                return [Conj(frozenset({(("exists", ref.table, *_row_key(ref.row)), False)}))]
            case ast.Not(item=item):
                negated = _negate(item)
                if negated is None:
                    return [self._opaque(item, row, False)]
                return self.condition(negated, half, row)
            case ast.Compare() as cmp:
                return [self._comparison(cmp, half, row)]
            case ast.IsNull(operand=operand, negated=negated):
                try:  # an empty cell reads as an exact 0
                    zero = self.compare(
                        ast.Compare("=", operand, ast.Number(Decimal(0))),
                        half,
                        row,
                        exact_only=True,
                    )
                except NotLinear:
                    zero = None
                if zero is not None and len(zero.coefs) == 1:  # one figure: named by its key
                    atom: Hashable = ("null", zero.coefs[0][0])
                else:
                    atom = ("null", self._atom_text(operand, row))
                if negated or zero is None:
                    return [Conj(frozenset({(atom, not negated)}))]
                return [Conj(frozenset({(atom, True)}), (zero,))]
            case ast.IsEmpty(table=table, negated=negated):
                return [Conj(frozenset({(("empty", table), not negated)}))]
            case ast.Exists(ref=ref):
                assert ref.table is not None
                return [Conj(frozenset({(("exists", ref.table, *_row_key(ref.row)), True)}))]
        bounds = getattr(cond, "bounds", None)
        if callable(bounds):
            return self.condition(ast.And(tuple(bounds())), half, row)
        return [self._opaque(cond, row, True)]

    def _comparison(self, cmp: ast.Compare, half: Fraction, row: _Row | None) -> Conj:
        op = "=" if cmp.op == "!=" else cmp.op
        try:
            c = self.compare(dataclasses.replace(cmp, op=op), half, row, exact_only=True)
        except NotLinear:
            return self._opaque(cmp, row, True)
        atom = ("cmp", c.key())
        if cmp.op == "!=":  # x != y: the negation of the literal x = y, not convex
            return Conj(frozenset({(atom, False)}), (), (self._atom_text(cmp, row),))
        return Conj(frozenset({(atom, True)}), (c,))

    def _atom_text(self, node: ast.Expr | ast.Cond, row: _Row | None) -> str:
        text = show(_bind_outer(node, row, columns=True) if row is not None else node)
        return text if row is None or row.named is not None else f"{row.shown()}: {text}"

    def _opaque(self, cond: ast.Cond, row: _Row | None, holds: bool) -> Conj:
        text = self._atom_text(cond, row)
        shown = text if holds else f"not ({text})"
        return Conj(frozenset({(("opaque", text), holds)}), (), (shown,))


def _order(item: tuple[VarKey, Fraction]) -> str:
    return repr(item[0])


_NEGATED = {"=": "!=", "!=": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _negate(cond: ast.Cond) -> ast.Cond | None:
    """``not cond`` pushed one level in (None: an atom with no negated form)."""
    match cond:
        case ast.Not(item=item):
            return item
        case ast.And(items=items):
            return ast.Or(tuple(ast.Not(i) for i in items), cond.span)
        case ast.Or(items=items):
            return ast.And(tuple(ast.Not(i) for i in items), cond.span)
        case ast.Compare(op=op):
            return dataclasses.replace(cond, op=_NEGATED[op])  # type: ignore[arg-type]
        case ast.IsNull() | ast.IsEmpty() | ast.InValues() | ast.InColumn():
            return dataclasses.replace(cond, negated=not cond.negated)
    return None


def _nodes(node: object) -> Iterator[object]:
    yield node
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            for item in value if isinstance(value, tuple) else (value,):
                if dataclasses.is_dataclass(item):
                    yield from _nodes(item)


def _bind_outer(node: Any, row: _Row, *, columns: bool = False) -> Any:
    """``node`` with ``row.列`` (and, with ``columns``, bare columns of the current row) read
    on ``row``: a cell of a named row, or the class's row shown by its column."""

    def bind(n: Any) -> Any:
        if isinstance(n, ast.ColumnRef) and (n.outer or columns):
            if row.named is not None:
                kind, key = row.named
                return ast.CellRef(row.table, ast.RowKey(key, kind), n.column)  # type: ignore[arg-type]
            return ast.ColumnRef(row.table, f"行.{n.column}") if n.outer else n
        if isinstance(n, ast.Aggregate):  # its own rows' columns stay; row.列 is bound
            return dataclasses.replace(n, where=_bind_outer(n.where, row) if n.where else None)
        if dataclasses.is_dataclass(n) and not isinstance(n, type):
            changes = {}
            for f in dataclasses.fields(n):
                value = getattr(n, f.name)
                if isinstance(value, tuple):
                    new = tuple(bind(v) if dataclasses.is_dataclass(v) else v for v in value)
                elif dataclasses.is_dataclass(value):
                    new = bind(value)
                else:
                    continue
                if new != value:
                    changes[f.name] = new
            return dataclasses.replace(n, **changes) if changes else n
        return n

    return bind(node)


def _minima(schema: Mapping[str, Any]) -> dict[Any, Fraction]:
    """The schema's ``minimum`` of each amount column ((role, column) → value) and of
    statement values (key None); the shipped schemas declare none."""
    defs = schema.get("$defs", {})

    def resolved(spec: Any) -> Mapping[str, Any]:
        if not isinstance(spec, Mapping):
            return {}
        ref = spec.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return {**resolved(defs.get(ref.rsplit("/", 1)[-1], {})), **spec}
        return spec

    def minimum(spec: Any) -> Fraction | None:
        spec = resolved(spec)
        for word in ("minimum", "exclusiveMinimum"):
            value = spec.get(word)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return Fraction(str(value))
        return None

    out: dict[Any, Fraction] = {}
    props = schema.get("properties", {})
    tables = resolved(props.get("tables", {})).get("properties", {})
    for role, spec in tables.items():
        rows = resolved(resolved(resolved(spec).get("properties", {}).get("rows", {})).get("items"))
        for column, col in resolved(rows).get("properties", {}).items():
            found = minimum(col)
            if found is not None:
                out[(role, column)] = found
    statements = resolved(props.get("statements", {}))
    extra = resolved(statements.get("additionalProperties"))
    value = minimum(resolved(extra.get("properties", {})).get("value"))
    if value is not None:
        out[None] = value
    return out


# --------------------------------------------------------------------------- the model


def build(ruleset: ast.Ruleset, template: Template, schema: Mapping[str, Any]) -> Model:
    """Every rule of a resolved ruleset as instances of linear constraints (see the module
    docstring), and the reason for each rule that is not analysed."""
    reader = _Reader(ruleset, template, schema)
    infos: list[RuleInfo] = []
    conditions: list[tuple[str, str | None, tuple[Conj, ...], str]] = []
    per_row: list[tuple[ast.Rule, Fraction]] = []
    instances: list[Instance] = []
    for rule in ruleset.rules:
        base = RuleInfo(
            rule.meta.id, rule.meta.title, rule.meta.severity, rule.span.file, rule.span.line
        )
        if isinstance(rule, ast.Rollup):
            infos.append(dataclasses.replace(base, reason="rollup"))
            continue
        if rule.group_by is not None:  # its aggregates range over one group's rows
            infos.append(dataclasses.replace(base, reason="group"))
            continue
        base = dataclasses.replace(
            base,
            when=show(rule.when) if rule.when is not None else None,
            per_row=rule.scope_table if rule.per_row else None,
        )
        half = Fraction(rule.precision if rule.precision is not None else reader.precision) / 2
        row = None
        if rule.per_row:
            assert rule.scope_table is not None
            row = _Row(rule.scope_table, " and ".join(sorted(_conjuncts(rule.row_filter))))
        if rule.when is not None:
            branches = tuple(reader.condition(rule.when, half, row))
            shown = row.shown() if row is not None else None
            conditions.append((rule.meta.id, shown, branches, show(rule.when)))
        if row is not None:
            try:
                reader.checks(rule.check, half, row)
            except NotLinear as exc:
                infos.append(dataclasses.replace(base, reason=exc.code))
                continue
            per_row.append((rule, half))
            infos.append(base)
            continue
        try:
            instances.append(_instance(reader, rule, half, None, home=True))
        except NotLinear as exc:
            infos.append(dataclasses.replace(base, reason=exc.code))
            continue
        infos.append(base)
    instances += _row_instances(reader, per_row, instances)
    by_id = {info.id: info for info in infos}
    return Model(
        tuple(infos),
        reader.variables,
        tuple(instances),
        reader.precision,
        tuple(conditions),
        by_id,
    )


def _instance(
    reader: _Reader, rule: ast.Rule, half: Fraction, row: _Row | None, *, home: bool
) -> Instance:
    tolerance = rule.tolerance if rule.tolerance is not None else reader.tolerance
    checks = tuple(reader.checks(rule.check, half, row, tolerance))
    when = tuple(reader.condition(rule.when, half, row)) if rule.when is not None else ()
    reads = frozenset(
        (("exists", key[1], key[2], key[3]), True)
        for c in (*checks, *(c for b in when[:1] if len(when) == 1 for c in b.linear))
        for key in c.variables
        if key[0] == "cell"
    )
    return Instance(
        rule.meta.id, row.shown() if row is not None else None, home, checks, when, reads
    )


def _row_instances(
    reader: _Reader, rules: list[tuple[ast.Rule, Fraction]], document: list[Instance]
) -> list[Instance]:
    """Per-row rules on their symbolic rows (one per table and filter), and the rules
    with no filter also on every other symbolic row and every named row of their table."""
    classes: dict[str, dict[str, frozenset[str]]] = {}  # table → class id → conjuncts
    for rule, _ in rules:
        assert rule.scope_table is not None
        conj = _conjuncts(rule.row_filter)
        classes.setdefault(rule.scope_table, {})[" and ".join(sorted(conj))] = conj
    named: dict[str, set[tuple[str, str]]] = {}
    for inst in document:
        for key in inst.variables:
            if key[0] == "cell":
                named.setdefault(str(key[1]), set()).add((str(key[2]), str(key[3])))
    out: list[Instance] = []
    for rule, half in rules:
        table = rule.scope_table
        assert table is not None
        own = _conjuncts(rule.row_filter)
        mine = " and ".join(sorted(own))
        for cls, conj in sorted(classes[table].items()):
            if own <= conj:
                row = _Row(table, cls)
                out.append(_instance(reader, rule, half, row, home=cls == mine))
        if not own:
            for named_row in sorted(named.get(table, ())):
                out.append(_instance(reader, rule, half, _Row(table, "", named_row), home=False))
    return out
