"""How a comparison between published figures is judged: the one place that says it.

Both sides are values with rounding intervals (:mod:`checker.intervals`). A comparison
``a op b`` is

* ``pass`` when the values satisfy it *exactly*: on exact decimals, ``a op b`` itself;
  after a product or quotient (floats), "equal" means equal at the stated precision
  (``|a − b| ≤ p/2``), so ``=``, ``<=``, ``>=`` also hold when that close, and the strict
  ``<``, ``>``, ``!=`` hold only beyond it (a ratio of exactly 50 is not ``< 50``);
* ``rounding`` when only the intervals satisfy it: some values inside both intervals do
  (``=``: they overlap; ``<``/``<=``: ``a.lo op b.hi``; ``>``/``>=``: ``a.hi op b.lo``;
  ``!=``: never — rounding cannot make two figures differ);
* ``tolerated`` when the rule has a materiality threshold (``tolerance t``) and the
  values are within it although beyond rounding: ``a op b`` holds once ``a`` may move up
  to ``t`` toward ``b`` (``=``: ``|a − b| ≤ t``; ``!=``: never) — measured on the values,
  so the rounding intervals and the ``rounding`` verdict are never widened by it;
* ``fail`` otherwise; ``error`` when an operand cannot be evaluated (its reason).

:data:`OPERATORS` is that table, one row per operator; the builders below read it for
every path a comparison takes: compiled expressions (:func:`exact_polars`,
:func:`meets`, :func:`status_polars`), the linear plan over ``d = a − b`` and the two
sides' total half-width ``w`` (:func:`within`), the reference evaluator and ``explain``
(:func:`judge_python`). The generic builders (:func:`within`, :func:`meets`) take
Python numbers and Polars expressions alike.

Which precisions can be judged: :func:`valid_precision`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import polars as pl

from checker.intervals import QUANTUM, Num, Val, lit_dec

# Ordered from best to worst: a conjunction takes the worst of its parts, a disjunction
# the best (skipped last: it is no verdict).
PASS, ROUNDING, TOLERATED, FAIL, ERROR, SKIPPED = 0, 1, 2, 3, 4, 5
STATUS_NAMES = ("pass", "rounding", "tolerated", "fail", "error", "skipped")
# Typed literals: an untyped one is coerced while Polars plans, every time it runs.
STATUS = [pl.lit(code, pl.UInt8) for code in range(len(STATUS_NAMES))]

# Which way rounding lets ``a op b`` come true: both ways (=), by ``a`` being lower or
# ``b`` higher (< <=), the other way (> >=), or not at all (!=).
Side = Literal["both", "below", "above", "none"]


@dataclass(frozen=True)
class Operator:
    """One comparison operator's semantics (see the module doc)."""

    symbol: str
    holds: Callable[[Any, Any], Any]  # on exact values: Python numbers or Polars expressions
    side: Side
    strict: bool  # after division, equal at the stated precision does not satisfy it

    @property
    def reads(self) -> tuple[bool, bool]:
        """Whether judging reads the left side's (lo, hi) interval end (the right side
        reads the opposite ones)."""
        return self.side in ("both", "below"), self.side in ("both", "above")


OPERATORS: dict[str, Operator] = {
    o.symbol: o
    for o in (
        Operator("=", operator.eq, "both", False),
        Operator("!=", operator.ne, "none", True),
        Operator("<", operator.lt, "below", True),
        Operator("<=", operator.le, "below", False),
        Operator(">", operator.gt, "above", True),
        Operator(">=", operator.ge, "above", False),
    )
}
OP_CODES = {symbol: code for code, symbol in enumerate(OPERATORS)}


def valid_tolerance(value: Decimal) -> bool:
    """Whether a ``tolerance`` can be judged: an amount of at least 0 that figures of 4
    decimals can differ by (a multiple of 0.0001)."""
    return value >= 0 and value % QUANTUM == 0


def tolerates(op: str, tolerance: Decimal | None) -> bool:
    """Whether a materiality threshold can change the verdict of ``op`` (a positive one,
    on anything but ``!=``): judging skips the test otherwise."""
    return tolerance is not None and tolerance > 0 and OPERATORS[op].side != "none"


def valid_precision(value: Decimal) -> bool:
    """Whether a ``precision`` can be judged: positive, and its half — the rounding
    interval's half-width, added to and taken from amounts — a whole number of 0.0001,
    the scale amounts carry (so a multiple of 0.0002). A finer half would be rounded away
    where amounts are decimals (a zero-width interval for 0.0001) and kept where they
    are not (the reference evaluator, floats after division)."""
    return value > 0 and (value / 2) % QUANTUM == 0


# --------------------------------------------------------------------------- generic


def within(op: str, d: Any, x: Any, zero: Any = 0) -> Any:
    """Whether ``a op b`` holds once ``a`` may move up to ``x`` (≥ 0) toward ``b``, from
    ``d = a − b``: the rounding test of sums and differences (``x`` the sides' total
    half-width; the linear plan) and ``x = 0`` the exact one."""
    o = OPERATORS[op]
    if o.side == "both":
        return abs(d) <= x
    if o.side == "below":
        return o.holds(d, x)
    if o.side == "above":
        return o.holds(d, -x)
    return o.holds(d, zero)


def meets(op: str, a_lo: Any, a_hi: Any, b_lo: Any, b_hi: Any, exact: Any) -> Any:
    """Whether the sides' rounding intervals allow ``a op b`` (``!=``: only exactly)."""
    o = OPERATORS[op]
    if o.side == "both":
        return (a_lo <= b_hi) & (b_lo <= a_hi)
    if o.side == "below":
        return o.holds(a_lo, b_hi)
    if o.side == "above":
        return o.holds(a_hi, b_lo)
    return exact


# --------------------------------------------------------------------------- Polars


def exact_polars(op: str, a: Num, b: Num, half: Decimal) -> pl.Expr:
    """Whether ``a op b`` holds exactly (after division: at the stated precision)."""
    o = OPERATORS[op]
    holds: pl.Expr = o.holds(a.v, b.v)
    if a.exact:
        return holds
    close = (a.v - b.v).abs() <= float(half)
    return holds & close.not_() if o.strict else holds | close


def tolerated_polars(op: str, a: Num, b: Num, tolerance: Decimal) -> pl.Expr:
    """Whether ``a op b`` holds within the materiality threshold (see :func:`tolerates`)."""
    t = lit_dec(tolerance) if a.exact else pl.lit(float(tolerance), pl.Float64)
    held: pl.Expr = within(op, a.v - b.v, t)
    return held


def status_polars(
    exact: pl.Expr,
    meet: pl.Expr,
    reason: pl.Expr | None = None,
    tolerated: pl.Expr | None = None,
) -> pl.Expr:
    """error when an operand has a reason; else pass when exact, rounding when only the
    intervals meet, tolerated when only the threshold does (given), fail otherwise."""
    chain = pl.when(exact).then(STATUS[PASS]).when(meet).then(STATUS[ROUNDING])
    if tolerated is not None:
        chain = chain.when(tolerated).then(STATUS[TOLERATED])
    graded = chain.otherwise(STATUS[FAIL])
    if reason is None:
        return graded
    return pl.when(reason.is_not_null()).then(STATUS[ERROR]).otherwise(graded)


# --------------------------------------------------------------------------- Python


def exact_python(op: str, a: Val, b: Val, half: Decimal) -> bool:
    """Mirror of :func:`exact_polars` on Python values."""
    o = OPERATORS[op]
    holds = bool(o.holds(a.v, b.v))
    if a.exact:
        return holds
    close = abs(a.v - b.v) <= float(half)
    return holds and not close if o.strict else holds or close


def judge_python(op: str, a: Val, b: Val, half: Decimal, tolerance: Decimal | None = None) -> str:
    """The status of ``a op b`` (both evaluable, same exactness): mirror of the engine."""
    exact = exact_python(op, a, b, half)
    if exact:
        return STATUS_NAMES[PASS]
    if meets(op, a.lo, a.hi, b.lo, b.hi, exact):
        return STATUS_NAMES[ROUNDING]
    if tolerance is not None and tolerates(op, tolerance):
        t = tolerance if a.exact else float(tolerance)
        if within(op, a.v - b.v, t):
            return STATUS_NAMES[TOLERATED]
    return STATUS_NAMES[FAIL]


__all__ = [
    "ERROR",
    "FAIL",
    "OPERATORS",
    "OP_CODES",
    "PASS",
    "ROUNDING",
    "SKIPPED",
    "STATUS",
    "STATUS_NAMES",
    "TOLERATED",
    "Operator",
    "exact_polars",
    "exact_python",
    "judge_python",
    "meets",
    "status_polars",
    "tolerated_polars",
    "tolerates",
    "valid_precision",
    "valid_tolerance",
    "within",
]
