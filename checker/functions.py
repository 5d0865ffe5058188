"""The rule language's functions: one registry, :data:`FUNCTIONS`.

Each entry says everything about one function: its name, parameters (with their
kinds, which decide how each argument is parsed, checked and evaluated), what it
returns, a one-line doc, and its two implementations — over Polars expressions
(:mod:`checker.compile`, the engine) and over Python values (:mod:`checker.reference`,
the oracle; ``explain``). The parser (arity, literal arguments, "unknown function"
with the known ones), the resolver (argument and result kinds), both evaluators,
``explain`` and the function table of docs/rules.md (``tests/test_functions.py``
holds the two equal) all read it: a function is added here and nowhere else.

Argument kinds (:data:`ArgKind`):

* ``amount`` / ``text``: any value of that kind; the evaluators pass it evaluated
  (:class:`~checker.intervals.Num` / ``pl.Expr`` in Polars, :class:`~checker.intervals.Val`
  / ``str | None`` in Python);
* ``digits``: a whole-number literal (passed as ``int``); ``unit``: 元, 万元 or 亿元,
  written bare (passed as ``str``); ``pattern``: a string literal, a regular expression of
  :mod:`checker.regex` (passed as ``str``, checked when parsed);
* ``statement``: a statement of the prose, ``说明.节.名称`` (passed as its name);
* ``column`` / ``table``: an aggregate's ``表.列`` / ``表`` (with ``where``): aggregates
  are listed here for the parser, the hints and the docs; the planner runs them.

A function whose result is ``condition`` is a test (``matches(…)``), parsed to an
:class:`~checker.ast.Predicate`; the others are values, parsed to a :class:`~checker.ast.Call`.
A function with an ``expand`` is defined by other operations (``pct(a, b)`` is
``a / b × 100``): both evaluators evaluate the expansion, so it cannot differ.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal, Protocol

import polars as pl

from checker import ast
from checker.intervals import DEC, QUANTUM, Num, Val, first_reason, lift, lit_dec, to_decimal
from checker.regex import anchored, fullmatch
from checker.units import FACTORS

ArgKind = Literal["amount", "text", "digits", "unit", "pattern", "statement", "column", "table"]
Result = Literal["amount", "text", "condition", "aggregate"]
LITERAL_KINDS: tuple[ArgKind, ...] = ("digits", "unit", "pattern")


class PolarsContext(Protocol):
    """What a Polars implementation may ask of the rule being compiled."""

    def let(self, expr: pl.Expr) -> pl.Expr:
        """``expr`` as a temporary column (read several times, computed once)."""
        ...

    def statement_wording(self, name: str) -> pl.Expr:
        """The direction word the prose prints with statement ``name``."""
        ...


class PythonContext(Protocol):
    """What a Python implementation may ask of the document being evaluated."""

    def statement_wording(self, name: str) -> str | None:
        """The direction word the prose prints with statement ``name``."""
        ...


@dataclass(frozen=True)
class Param:
    """One parameter: its name as documented and its kind (see the module doc)."""

    name: str
    kind: ArgKind
    default: Decimal | None = None  # may be left out: this literal is passed instead
    repeated: bool = False  # the last parameter may be given any number of times (≥ 1)


@dataclass(frozen=True)
class Function:
    """One function of the language (see the module doc)."""

    name: str
    params: tuple[Param, ...]
    result: Result
    usage: str  # as written in docs/rules.md: ``round(x, n)``
    doc: str  # one line, docs/rules.md's function table
    polars: Callable[..., Any] | None = None  # (ctx, *arguments) → Num | pl.Expr
    python: Callable[..., Any] | None = None  # (ctx, *arguments) → Val | str | bool | None
    expand: Callable[[Sequence[ast.Expr], ast.Span], ast.Expr] | None = None

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if p.default is None)

    @property
    def max_args(self) -> int | None:
        return None if self.params and self.params[-1].repeated else len(self.params)

    def accepts(self, count: int) -> bool:
        """Whether ``count`` arguments are right."""
        top = self.max_args
        return count >= self.min_args and (top is None or count <= top)

    def arity(self) -> str:
        """The number of arguments as messages say it: ``1``, ``1–2``, ``≥1``."""
        low, top = self.min_args, self.max_args
        if top is None:
            return f"≥{low}"
        return str(low) if low == top else f"{low}–{top}"

    def bind(self, args: Sequence[Any]) -> Iterator[tuple[Param, Any]]:
        """Each argument with its parameter (a repeated last parameter takes the rest)."""
        for i, arg in enumerate(args):
            yield self.params[min(i, len(self.params) - 1)], arg


def arguments(
    spec: Function,
    args: Sequence[ast.Expr],
    number: Callable[[ast.Expr], Any],
    text: Callable[[ast.Expr], Any],
) -> list[Any]:
    """A call's arguments as its implementations take them, by parameter kind: values
    evaluated with the evaluator's ``number`` and ``text``, literals as Python values
    (a statement as its name, digits as an ``int``, a unit or a pattern as a ``str``)."""
    out: list[Any] = []
    for param, arg in spec.bind(args):
        match param.kind, arg:
            case "amount", _:
                out.append(number(arg))
            case "text", _:
                out.append(text(arg))
            case "statement", ast.StatementRef(name=name):
                out.append(name)
            case "digits", ast.Number(value=value):
                out.append(int(value))
            case _, ast.String(value=value):
                out.append(value)
            case _:
                raise TypeError(f"{spec.name}: {param.name} is {type(arg).__name__}")
    return out


# --------------------------------------------------------------------------- implementations


def _abs_polars(_ctx: PolarsContext, n: Num) -> Num:
    zero = lit_dec(0) if n.exact else pl.lit(0.0)
    lo = pl.when(n.lo >= 0).then(n.lo).when(n.hi <= 0).then(-n.hi).otherwise(zero)
    hi = pl.max_horizontal(n.lo.abs(), n.hi.abs())
    return Num(n.v.abs(), lo, hi, n.exact, n.reason, n.nullable)


def _abs_python(_ctx: PythonContext, n: Val) -> Val:
    zero: Any = Decimal(0).quantize(QUANTUM) if n.exact else 0.0
    lo = hi = None
    if n.lo is not None and n.hi is not None:
        lo = n.lo if n.lo >= 0 else (-n.hi if n.hi <= 0 else zero)
        hi = max(abs(n.lo), abs(n.hi))
    return Val(lift(abs, n.v), lo, hi, n.exact, n.reason)


def _round_polars(_ctx: PolarsContext, n: Num, digits: int) -> Num:
    if n.exact:  # Decimal: half-even
        rounded = (n.v.round(digits), n.lo.round(digits), n.hi.round(digits))
        return Num(*rounded, True, n.reason, n.nullable)
    scale, back = float(10**digits), 1.0 / 10**digits  # float: half-up, spelled out

    def half_up(x: pl.Expr) -> pl.Expr:
        shifted: pl.Expr = (x * scale + 0.5).floor()
        return shifted.mul(back)

    return Num(half_up(n.v), half_up(n.lo), half_up(n.hi), False, n.reason, n.nullable)


def _round_python(_ctx: PythonContext, n: Val, digits: int) -> Val:
    def one(x: Any) -> Any:
        if x is None:
            return None
        if isinstance(x, Decimal):  # half-even
            step = Decimal(1).scaleb(-digits)
            return x.quantize(step, rounding=ROUND_HALF_EVEN).quantize(QUANTUM)
        shifted = x * float(10**digits) + 0.5  # float: half-up, as the engine spells it
        if not math.isfinite(shifted):
            return shifted * (1.0 / 10**digits)
        return math.floor(shifted) * (1.0 / 10**digits)

    return Val(one(n.v), one(n.lo), one(n.hi), n.exact, n.reason)


def _pct(args: Sequence[ast.Expr], span: ast.Span) -> ast.Expr:
    # multiplied by the literal last, as written: the engine plans it that way too
    return ast.BinOp("*", ast.BinOp("/", args[0], args[1], span), ast.Number(Decimal(100)), span)


def _coalesce_polars(_ctx: PolarsContext, *nums: Num) -> Num:
    return Num(
        pl.coalesce([n.v for n in nums]),
        pl.coalesce([n.lo for n in nums]),
        pl.coalesce([n.hi for n in nums]),
        all(n.exact for n in nums),
        first_reason(*(n.reason for n in nums)),
        all(n.nullable for n in nums),
    )


def _coalesce_python(_ctx: PythonContext, *vals: Val) -> Val:
    def first(xs: Iterator[Any]) -> Any:
        return next((x for x in xs if x is not None), None)

    return Val(
        first(v.v for v in vals),
        first(v.lo for v in vals),
        first(v.hi for v in vals),
        all(v.exact for v in vals),
        first(v.reason for v in vals),
    )


def _length_polars(_ctx: PolarsContext, text: pl.Expr) -> Num:
    v = text.str.len_chars().cast(pl.Int64).cast(DEC)
    return Num(v, v, v)


def _length_python(_ctx: PythonContext, text: str | None) -> Val:
    v = to_decimal(len(text)) if text is not None else None
    return Val(v, v, v)


# "≤80万元", "1,504.07万元", "3000元": the first number followed by a unit
_AMOUNT_TEXT = r"([0-9][0-9,]*(?:\.[0-9]+)?)\s*(亿元|万元|元)"
_AMOUNT_RE = re.compile(_AMOUNT_TEXT)


def _amount_polars(ctx: PolarsContext, source: pl.Expr, unit: str) -> Num:
    number_text = source.str.extract(_AMOUNT_TEXT, 1).str.replace_all(",", "")
    unit_text = ctx.let(source.str.extract(_AMOUNT_TEXT, 2))
    raw = ctx.let(number_text.cast(DEC, strict=False))
    converted = [
        pl.when(unit_text == name).then(raw * pl.lit(scale / FACTORS[unit]).cast(pl.Decimal(38, 8)))
        for name, scale in FACTORS.items()
    ]
    v = ctx.let(pl.coalesce([*converted, pl.lit(None, DEC)]).cast(DEC))
    reason = (
        pl.when(v.is_null())
        .then(pl.lit("no-amount:") + source.fill_null(""))
        .otherwise(pl.lit(None, pl.Utf8))
    )
    return Num(v, v, v, True, reason)


def _amount_python(_ctx: PythonContext, source: str | None, unit: str) -> Val:
    m = _AMOUNT_RE.search(source) if source is not None else None
    if m is None:
        return Val(None, None, None, True, f"no-amount:{source or ''}")
    raw = Decimal(m.group(1).replace(",", ""))
    v = (raw * (FACTORS[m.group(2)] / FACTORS[unit])).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
    return Val(v, v, v)


def _left_polars(_ctx: PolarsContext, text: pl.Expr, n: int) -> pl.Expr:
    return text.str.slice(0, max(n, 0))


def _left_python(_ctx: PythonContext, text: str | None, n: int) -> str | None:
    return None if text is None else text[: max(n, 0)]


def _wording_polars(ctx: PolarsContext, name: str) -> pl.Expr:
    return ctx.statement_wording(name)


def _wording_python(ctx: PythonContext, name: str) -> str | None:
    return ctx.statement_wording(name)


def _matches_polars(_ctx: PolarsContext, text: pl.Expr, pattern: str) -> pl.Expr:
    return text.str.contains(anchored(pattern)).fill_null(False)


def _matches_python(_ctx: PythonContext, text: str | None, pattern: str) -> bool:
    return text is not None and fullmatch(pattern, text)


def _contains_polars(_ctx: PolarsContext, text: pl.Expr, part: pl.Expr) -> pl.Expr:
    return text.str.contains(part, literal=True).fill_null(False)


def _contains_python(_ctx: PythonContext, text: str | None, part: str | None) -> bool:
    return text is not None and part is not None and part in text


# --------------------------------------------------------------------------- the registry

_X = Param("x", "amount")
_TEXT = Param("text", "text")

_ALL = (
    Function("sum", (Param("表.列", "column"),), "aggregate", "sum(表.列 where 条件)",
             "the sum of a column over the rows of a table that satisfy the condition"),
    Function("count", (Param("表", "table"),), "aggregate", "count(表 where 条件)",
             "the number of rows of a table that satisfy the condition"),
    Function("min", (Param("表.列", "column"),), "aggregate", "min(表.列 where 条件)",
             "the smallest amount of a column over the rows that satisfy the condition"),
    Function("max", (Param("表.列", "column"),), "aggregate", "max(表.列 where 条件)",
             "the largest amount of a column over the rows that satisfy the condition"),
    Function("abs", (_X,), "amount", "abs(x)", "the absolute value",
             _abs_polars, _abs_python),
    Function("round", (_X, Param("n", "digits", Decimal(0))), "amount", "round(x, n)",
             "rounded to `n` decimals (`round(x)`: to a whole number)",
             _round_polars, _round_python),
    Function("pct", (Param("part", "amount"), Param("whole", "amount")), "amount",
             "pct(part, whole)", "`part / whole × 100`", expand=_pct),
    Function("amount", (_TEXT, Param("万元", "unit")), "amount", "amount(text, 万元)",
             'the amount a text such as `"≤80万元"` or `"3000元"` states, converted to the '
             "unit given (`元`, `万元` or `亿元`, a bare word)",
             _amount_polars, _amount_python),
    Function("length", (_TEXT,), "amount", "length(text)", "the number of characters",
             _length_polars, _length_python),
    Function("coalesce", (Param("a", "amount", repeated=True),), "amount", "coalesce(a, b, …)",
             "the first non-empty amount", _coalesce_polars, _coalesce_python),
    Function("left", (_TEXT, Param("n", "digits")), "text", "left(text, n)",
             "text: its first `n` characters (`left(科目编码, 3)`: the 类 of a 功能分类 code)",
             _left_polars, _left_python),
    Function("wording", (Param("说明.名称", "statement"),), "text", "wording(说明.名称)",
             "text: the direction word the prose prints with that figure (`增加`, `减少`, "
             "`持平`, `增长`, `下降` …, the statement's `wording`; empty when none)",
             _wording_polars, _wording_python),
    Function("matches", (_TEXT, Param("正则", "pattern")), "condition", 'matches(text, "正则")',
             "condition: the **whole** text matches the regular expression (see "
             "[Conditions](#conditions))",
             _matches_polars, _matches_python),
    Function("contains", (_TEXT, Param("part", "text")), "condition", 'contains(text, "…")',
             "condition: the text contains the other text anywhere, character for "
             "character (no pattern)",
             _contains_polars, _contains_python),
)  # fmt: skip

FUNCTIONS: dict[str, Function] = {f.name: f for f in _ALL}
AGGREGATES = tuple(f.name for f in _ALL if f.result == "aggregate")


def returns(name: str, result: Result) -> bool:
    """Whether the function ``name`` returns ``result`` (amount, text, condition)."""
    spec = FUNCTIONS.get(name)
    return spec is not None and spec.result == result


def markdown_table() -> str:
    """docs/rules.md's function table (every function but the aggregates)."""
    lines = ["| function | result |", "|---|---|"]
    lines += [f"| `{f.usage}` | {f.doc} |" for f in _ALL if f.result != "aggregate"]
    return "\n".join(lines)


__all__ = [
    "AGGREGATES",
    "FUNCTIONS",
    "ArgKind",
    "Function",
    "Param",
    "PolarsContext",
    "PythonContext",
    "arguments",
    "markdown_table",
    "returns",
]
