"""Amounts as scaled integers: ``round(x * SCALE)`` in Int64, exact to 4 decimals.

Amounts are published rounded to 0.01 万元 and rules test identities such as
``收入总计 = 本年收入合计 + 上年结转结余``; with floats 0.1 + 0.2 != 0.3. Every
amount column (a template ``amount`` column; schema type ``number``) is stored
as Int64 ``round(x * SCALE)`` with ``SCALE = 10_000`` (4 decimals), converted
once, vectorised, from the parsed float column (:mod:`checker.documents.frames`).
The conversion is exact for any value with at most 4 decimals and
``|x| <= MAX_AMOUNT`` (2**53 / SCALE): ``x * SCALE`` is then within a few ulps
of the integer it stands for. A cell farther from an integer has more than 4
decimals (or is too large) and is reported (``doc.decimals``,
``doc.amount-range``), never silently rounded.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

import polars as pl

from checker.diagnostics import register

SCALE: Final = 10_000
"""Amounts are stored as ``round(x * SCALE)`` in Int64: exact to 4 decimals."""

MAX_AMOUNT: Final = 2**53 // SCALE
"""Largest amount magnitude that converts exactly (about 9.0e11)."""

register(
    {
        "doc.decimals": (
            "金额 {value} 超过 4 位小数，无法精确表示；公开数据通常保留 2 位小数，请核对转录",
            "amount {value} has more than 4 decimals and cannot be held exactly; "
            "published figures have 2, check the transcription",
        ),
        "doc.amount-range": (
            "金额 {value} 绝对值过大（上限 {limit}），无法精确计算",
            "amount {value} is too large to compute exactly (limit {limit})",
        ),
    }
)

# A value with at most 4 decimals, parsed to the nearest double, is within a few
# ulps of an integer once multiplied by SCALE; one with a 5th decimal is at
# least ~1e-5 * SCALE away, far beyond this relative tolerance. (Polars divides
# by a literal through its reciprocal, so "round(x*SCALE)/SCALE == x" would not
# be exact: compare the distance to the nearest integer instead.)
_ULPS: Final = 2.0**-50


def _inexact(value: float) -> bool:
    """Python twin of the vectorised check: more than 4 decimals."""
    product = value * SCALE
    return abs(product - round(product)) > max(abs(product), 1.0) * _ULPS


def to_scaled(value: float | int) -> int:
    """The scaled integer for an amount (the same rounding the frames use: half to even)."""
    return round(value * SCALE)


def from_scaled(value: int) -> Decimal:
    """The exact decimal for a scaled amount (``47089300`` -> ``Decimal('4708.93')``)."""
    exact = Decimal(value).scaleb(-4)
    return exact.quantize(Decimal(1)) if exact == exact.to_integral_value() else exact.normalize()


def unscale(expr: pl.Expr) -> pl.Expr:
    """A Float64 expression of a scaled amount column, for display or percentages."""
    return expr.cast(pl.Float64) / SCALE
