"""Per-row sums screened in the loader's scaled integers: which rows pass exactly.

A per-row rule whose check compares sums and differences of its own row's amounts and
literals (``for each row in 明细表: s08 = s06 + s07``) passes a row exactly when
``d op 0`` holds, ``d = lhs − rhs`` on the values (judging: ``pass`` is the comparison
on exact values; rounding, tolerance and failure only ever concern a row where it does
not hold). On the loader's amounts (Int64 scaled by 10,000: exact to 4 decimals,
``|x| ≤ 2**53``, an empty cell 0) ``d`` is a few integer additions per row: about the
cost of a hand-written Polars expression, a fraction of the compiled expressions'
(Decimal intervals, result structs, operand cells).

The engine screens a large table's rows with it (checker.rowpass): only the rows some
such rule does not pass exactly are evaluated by the compiled rules, which give every
verdict, both sides and the operand cells; the screen only has to find those rows
(tests/test_rows.py holds it to the compiled statuses).

Not screened (the compiled expressions give its statuses over every row): a rule with a
row filter or a ``when`` (they read text, labels and document values), products and
quotients, aggregates, cells of other tables, text, a table printed in another unit
than the ruleset's (converted when prepared), a literal finer than 4 decimals, more than
``MAX_TERMS`` terms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import polars as pl

from checker import ast
from checker.documents.amounts import SCALE
from checker.judging import OPERATORS
from checker.template import Template

# A row's d sums this many amounts of at most 2**53 each: within Int64 (2**63)
MAX_TERMS: Final = 512


@dataclass(frozen=True)
class RowLinear:
    """A per-row rule ``Σ ± column + c  op  Σ ± column + c`` over one table's amounts."""

    rule_id: str
    table: str
    op: str
    terms: tuple[tuple[str, int], ...]  # (amount column, sign) of d = lhs − rhs
    constant: int  # the literals of d = lhs − rhs, scaled

    @property
    def columns(self) -> frozenset[str]:
        return frozenset(column for column, _ in self.terms)

    def d(self, nullable: frozenset[str]) -> pl.Expr:
        """``lhs − rhs`` in scaled integers (an empty cell is 0)."""
        parts = [
            _signed(pl.col(c).fill_null(0) if c in nullable else pl.col(c), s)
            for c, s in self.terms
        ]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        return total + self.constant if self.constant else total

    def exact(self, nullable: frozenset[str]) -> pl.Expr:
        """Whether the row passes exactly (``lhs op rhs`` on the values)."""
        held: pl.Expr = OPERATORS[self.op].holds(self.d(nullable), 0)
        return held


def _signed(expr: pl.Expr, sign: int) -> pl.Expr:
    return expr if sign > 0 else -expr


def row_linear(
    rule: ast.Rule, template: Template, converted: Mapping[str, object]
) -> RowLinear | None:
    """The rule as a :class:`RowLinear`, or None when it is not one (see the module doc).
    ``converted``: the tables printed in another unit than the ruleset's."""
    if not rule.per_row or rule.scope_table is None or rule.scope_table in converted:
        return None
    if rule.row_filter is not None or rule.when is not None:
        return None
    check = rule.check
    table = template.table(rule.scope_table)
    if not isinstance(check, ast.Compare) or table is None:
        return None
    amounts = frozenset(table.amount_columns)
    terms: list[tuple[str, int]] = []
    constant = [Decimal(0)]
    for side, expr in ((1, check.left), (-1, check.right)):
        if not _terms(expr, side, (table.role, amounts), terms, constant):
            return None
    scaled = constant[0] * SCALE
    if not terms or len(terms) > MAX_TERMS or scaled != scaled.to_integral_value():
        return None
    return RowLinear(rule.meta.id, table.role, check.op, tuple(terms), int(scaled))


def _terms(
    expr: ast.Expr,
    sign: int,
    table: tuple[str, frozenset[str]],
    terms: list[tuple[str, int]],
    constant: list[Decimal],
) -> bool:
    """Add ``sign · expr``'s columns to ``terms`` and literals to ``constant``; False when
    ``expr`` is not a sum of the ``table``'s (role, amount columns) own amounts."""
    role, amounts = table
    match expr:
        case ast.Number(value=value):
            constant[0] += sign * Decimal(value)
            return True
        case ast.Neg(operand=operand):
            return _terms(operand, -sign, table, terms, constant)
        case ast.BinOp(op="+" | "-" as op, left=left, right=right):
            return _terms(left, sign, table, terms, constant) and _terms(
                right, sign if op == "+" else -sign, table, terms, constant
            )
        case ast.ColumnRef(table=of, column=column, outer=False) if column in amounts and of in (
            None,
            role,
        ):
            terms.append((column, sign))
            return True
        case ast.LetRef(value=value):
            return _terms(value, sign, table, terms, constant)
    return False


__all__ = ["MAX_TERMS", "RowLinear", "row_linear"]
