"""A value with its rounding interval, in the forms both evaluators compute it in.

A published amount ``v`` stands for ``[v − p/2, v + p/2]`` (``p`` the precision); an
empty cell is an exact 0; literals and counts are exact; sums and differences are
interval arithmetic on exact decimals (4 of them: :data:`DECIMALS`), products and
quotients on floats. :class:`Num` is such a value as Polars expressions
(:mod:`checker.compile`), :class:`Val` as Python numbers (:mod:`checker.reference`, the
oracle the differential tests hold the engine to). :mod:`checker.judging` judges them;
:mod:`checker.functions` computes the language's functions on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from typing import Any

import polars as pl

from checker.documents.amounts import SCALE

# amounts carry 4 decimals (checker.documents.amounts): figures, literals, precisions
QUANTUM = Decimal(1) / SCALE  # 0.0001
DECIMALS = -int(QUANTUM.as_tuple().exponent)  # 4
DEC = pl.Decimal(38, DECIMALS)
F64 = pl.Float64


# --------------------------------------------------------------------------- Polars


@dataclass(frozen=True)
class Num:
    """A compiled numeric value: the value, its interval, and why it may be missing."""

    v: pl.Expr
    lo: pl.Expr
    hi: pl.Expr
    exact: bool = True  # Decimal (True) or Float64 (False)
    reason: pl.Expr | None = None  # Utf8 "code:detail" when it cannot be evaluated
    # False only where ``v`` is known never to be null (a published amount, a literal),
    # which spares the comparison its "no value" test.
    nullable: bool = True

    const: Decimal | None = None  # the value, for a literal

    def as_float(self) -> Num:
        if not self.exact:
            return self
        if self.const is not None:
            f = pl.lit(float(self.const), F64)
            return Num(f, f, f, False, None, False, self.const)
        return Num(
            to_float(self.v),
            to_float(self.lo),
            to_float(self.hi),
            False,
            self.reason,
            self.nullable,
        )


def to_float(value: pl.Expr) -> pl.Expr:
    """Decimal → Float64, correctly rounded like Python's ``float(Decimal)``.

    Polars' cast divides the (exact, below 2**53) scaled integer by an exact power
    of ten, one correctly rounded operation: the same double as parsing the text
    (checked on 600,000 random amounts, and by the differential property test).
    Arithmetic spelled out here instead may be rewritten into a multiplication by
    0.0001, which is not.
    """
    return value.cast(F64)


@cache
def lit_dec(value: Decimal | int) -> pl.Expr:
    """A Decimal literal of the amounts' type: typed as it is made where it fits the scale
    (a cast is one more expression node for Polars to plan and run every time)."""
    d = Decimal(value)
    try:
        fits = d == d.quantize(QUANTUM)
    except ArithmeticError:
        fits = False
    return pl.lit(d, dtype=DEC) if fits else pl.lit(d).cast(DEC)


def distinct(exprs: Iterable[pl.Expr | None]) -> list[pl.Expr]:
    """The expressions, without Nones and without repeats (``meta.eq``), in order."""
    found: list[pl.Expr] = []
    for e in exprs:
        if e is not None and not any(e.meta.eq(f) for f in found):
            found.append(e)
    return found


def first_reason(*reasons: pl.Expr | None) -> pl.Expr | None:
    """The first present reason (the same expression listed twice counts once)."""
    present = distinct(reasons)
    if not present:
        return None
    return present[0] if len(present) == 1 else pl.coalesce(present)


# --------------------------------------------------------------------------- Python

Number = Any  # Decimal (exact) or float (after * and /); None when it cannot be evaluated


@dataclass(frozen=True)
class Val:
    """A value with its rounding interval and an optional error reason."""

    v: Number  # None when it cannot be evaluated
    lo: Number
    hi: Number
    exact: bool = True
    reason: str | None = None

    def as_float(self) -> Val:
        if not self.exact:
            return self
        return Val(
            to_py_float(self.v), to_py_float(self.lo), to_py_float(self.hi), False, self.reason
        )


def lift(f: Callable[..., Any], *xs: Any) -> Any:
    """Apply ``f`` unless an argument is missing (Polars' null propagation)."""
    return None if any(x is None for x in xs) else f(*xs)


def to_py_float(x: Number | None) -> float | None:
    return None if x is None else float(x)


def to_decimal(x: Any) -> Decimal:
    """A number at the amounts' scale (half-even, as Polars' Decimal cast)."""
    return Decimal(str(x)).quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def exact(x: Any) -> Val:
    """An exact value (a literal, a count, a length)."""
    v = to_decimal(x)
    return Val(v, v, v)
