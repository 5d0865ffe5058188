"""The rule language's expression tree: frozen dataclasses, each node with its source span.

This module is the contract between the language (``syntax`` builds these
nodes from the lark tree, ``resolve`` binds their names to the document
schema) and everything that runs rules (``compile`` → Polars, ``reference``
→ plain Python). Nothing here knows about lark or Polars.

Two forms of the same tree exist:

* **parsed**: what ``syntax`` produces. Names are as written: ``Name`` nodes
  for bare or dotted identifiers, tables by the name the author used (alias,
  role or published title), rows by their written key.
* **resolved**: what ``resolve`` produces. No ``Name`` nodes remain; every
  ``CellRef`` / ``ColumnRef`` / ``Aggregate`` names a table *role* and a
  schema column exactly, rule scopes are gone (their table and filter are
  folded into each rule), ``for each … column`` templates are expanded into
  one rule per column, and ``rollup`` declarations stay as ``Rollup``.

Values are decimal amounts in the document's unit (``Decimal`` literals),
text, or booleans. Cells hold published figures; see ``compile`` for how
rounding intervals are attached to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, TypeAlias


@dataclass(frozen=True)
class Span:
    """A place in a rule file: 1-based line and column, end exclusive."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Span("<builtin>", 0, 0, 0, 0)

# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class Number:
    """A numeric literal, exact (``1,000.50`` → Decimal('1000.50'))."""

    value: Decimal
    span: Span = NOWHERE


@dataclass(frozen=True)
class String:
    """A text literal."""

    value: str
    span: Span = NOWHERE


@dataclass(frozen=True)
class Name:
    """An identifier as written (parsed form only): ``收入总计`` or ``基本支出.小计``.

    ``parts`` are the dot-separated pieces; the resolver decides which part is
    a table, a row, a column or a statement (column names may contain dots).
    """

    parts: tuple[str, ...]
    span: Span = NOWHERE
    # where each part was written (same length as ``parts``; may be empty)
    part_spans: tuple[Span, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        return ".".join(self.parts)


RowKeyKind = Literal["label", "code"]


@dataclass(frozen=True)
class RowKey:
    """How a row is picked in ``表[key]``: by its label (``收入总计``) or its code (``2080101``)."""

    value: str
    kind: RowKeyKind = "label"
    span: Span = NOWHERE


@dataclass(frozen=True)
class CellRef:
    """One cell of one document: ``表[行].列``.

    ``table`` is None in the parsed form when the scope's table is meant;
    ``column`` None means the table's default value column. After resolution
    both are set (``column`` may still be None where the schema declares a
    coalesced default, see ``resolve``).
    """

    table: str | None
    row: RowKey
    column: str | None = None
    span: Span = NOWHERE
    # where the table and column parts were written (diagnostics point at them)
    table_span: Span | None = field(default=None, compare=False)
    column_span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ColumnRef:
    """A column of the current row (per-row rules) or of an aggregate's rows.

    ``outer`` marks ``row.列`` inside an aggregate filter: the column of the
    *enclosing* per-row rule's row, not of the rows being aggregated.
    """

    table: str | None
    column: str
    outer: bool = False
    span: Span = NOWHERE


@dataclass(frozen=True)
class StatementRef:
    """A figure stated in the prose: ``说明.基本支出占比`` (name without the ``说明.`` prefix)."""

    name: str
    span: Span = NOWHERE


@dataclass(frozen=True)
class MetaRef:
    """One of the document's own fields: ``meta.year``, ``meta.department`` (the schema's
    ``meta`` object; a number is an exact amount, a string is text)."""

    field: str
    span: Span = NOWHERE


@dataclass(frozen=True)
class GroupKey:
    """``group``: the key of the current group of a per-group rule (text)."""

    span: Span = NOWHERE


@dataclass(frozen=True)
class ColumnVar:
    """The loop variable of ``for each amount column c in 表`` (parsed form only)."""

    name: str
    span: Span = NOWHERE


ArithOp = Literal["+", "-", "*", "/"]


@dataclass(frozen=True)
class BinOp:
    """Arithmetic on two values."""

    op: ArithOp
    left: Expr
    right: Expr
    span: Span = NOWHERE


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Expr
    span: Span = NOWHERE


AggFunc = Literal["sum", "count", "min", "max"]


@dataclass(frozen=True)
class Aggregate:
    """``sum(表.列 where cond)``, ``count(表 where cond)``, ``min``/``max``.

    Evaluated per document over the rows of ``table`` that satisfy ``where``;
    ``where`` may use ``ColumnRef(outer=True)`` to correlate with the current
    row of an enclosing per-row rule. ``column`` is None for ``count``.
    """

    func: AggFunc
    table: str
    column: str | None
    where: Cond | None = None
    span: Span = NOWHERE
    table_span: Span | None = field(default=None, compare=False)
    column_span: Span | None = field(default=None, compare=False)
    # resolved, in a per-group rule: over the rows of the current group (of ``table``)
    in_group: bool = False


@dataclass(frozen=True)
class Call:
    """A call of a function returning a value (``abs``, ``wording`` …: checker.functions)."""

    func: str
    args: tuple[Expr, ...]
    span: Span = NOWHERE


# The documents a rule can read besides its own, by how they relate to it (the same
# body, ``meta.department``): 上年 = the same kind a year before; 预算 / 决算 = that kind
# of the same year. (kind, year offset); None: the same kind as the document's own.
RELATIONS: dict[str, tuple[str | None, int]] = {
    "上年": (None, -1),
    "预算": ("部门预算", 0),
    "决算": ("部门决算", 0),
}


@dataclass(frozen=True)
class Related:
    """``上年(x)``: ``x`` (a document-level value) read in a related document of the run;
    skipped, naming the document needed, when the run does not hold it."""

    relation: str  # a key of RELATIONS
    operand: Expr
    span: Span = NOWHERE


@dataclass(frozen=True)
class LetRef:
    """A value named by ``let`` in the rule, where it is used (resolved form): its name,
    and its value, evaluated where it is used as if written there."""

    name: str
    value: Expr
    span: Span = NOWHERE


Expr: TypeAlias = (
    Number
    | String
    | Name
    | CellRef
    | ColumnRef
    | StatementRef
    | MetaRef
    | GroupKey
    | ColumnVar
    | BinOp
    | Neg
    | Aggregate
    | Call
    | Related
    | LetRef
)

# --------------------------------------------------------------------------- conditions

CompareOp = Literal["=", "!=", "<", "<=", ">", ">="]


@dataclass(frozen=True)
class Compare:
    """A comparison. Between amounts ``=`` is judged with rounding intervals."""

    op: CompareOp
    left: Expr
    right: Expr
    span: Span = NOWHERE


@dataclass(frozen=True)
class Between:
    """``x between a and b``: ``a <= x <= b``, both ends included.

    Judged as its two comparisons (:meth:`bounds`), rounding intervals and all: the
    worse of the two verdicts, the bound it concerns shown against ``x``.
    """

    operand: Expr
    low: Expr
    high: Expr
    span: Span = NOWHERE

    def bounds(self) -> tuple[Compare, Compare]:
        """``x >= a`` and ``x <= b``."""
        return (
            Compare(">=", self.operand, self.low, self.span),
            Compare("<=", self.operand, self.high, self.span),
        )


@dataclass(frozen=True)
class And:
    items: tuple[Cond, ...]
    span: Span = NOWHERE


@dataclass(frozen=True)
class Or:
    items: tuple[Cond, ...]
    span: Span = NOWHERE


@dataclass(frozen=True)
class Not:
    item: Cond
    span: Span = NOWHERE


@dataclass(frozen=True)
class IsNull:
    """``x is null`` / ``x is not null`` (an empty cell)."""

    operand: Expr
    negated: bool = False
    span: Span = NOWHERE


@dataclass(frozen=True)
class IsEmpty:
    """``表 is empty`` / ``表 is not empty``: the table has no data rows (all amounts empty)."""

    table: str
    negated: bool = False
    span: Span = NOWHERE
    table_span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Predicate:
    """A call of a function returning a condition: ``matches(text, "regex")``,
    ``contains(text, "…")`` (checker.functions)."""

    func: str
    args: tuple[Expr, ...]
    span: Span = NOWHERE


@dataclass(frozen=True)
class StartsWith:
    """``text startswith prefix``."""

    operand: Expr
    prefix: Expr
    span: Span = NOWHERE


@dataclass(frozen=True)
class InValues:
    """``x in ("a", "b")``."""

    operand: Expr
    values: tuple[Expr, ...]
    negated: bool = False
    span: Span = NOWHERE


@dataclass(frozen=True)
class InColumn:
    """``x in 表.列``: the value occurs in that column of the same document."""

    operand: Expr
    table: str
    column: str
    negated: bool = False
    span: Span = NOWHERE
    table_span: Span | None = field(default=None, compare=False)
    column_span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Exists:
    """``exists 表[行]``: the row is present in the document."""

    ref: CellRef
    span: Span = NOWHERE


Cond: TypeAlias = (
    Compare
    | Between
    | And
    | Or
    | Not
    | IsNull
    | IsEmpty
    | Predicate
    | StartsWith
    | InValues
    | InColumn
    | Exists
)

# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Let:
    """``let 名 = 值`` in a rule: a named intermediate value the rule's lets (later ones),
    ``when`` and check may use by name. Parsed: ``value`` as written; resolved: bound."""

    name: str
    value: Expr
    span: Span = NOWHERE
    name_span: Span | None = field(default=None, compare=False)


Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Meta:
    """A rule's metadata: who it is, how bad a failure is, where the identity is prescribed."""

    id: str
    title: str
    severity: Severity = "error"
    description: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = ()
    # where the id was written (diagnostics such as "duplicate rule id" point here)
    span: Span = field(default=NOWHERE, compare=False)


@dataclass(frozen=True)
class Rule:
    """One check.

    * ``scope_table`` None: a document-level rule, evaluated once per document.
    * ``scope_table`` set and ``per_row``: evaluated for every row of that table
      (satisfying ``row_filter``); bare columns refer to the current row.
    * ``scope_table`` set and not ``per_row`` (``in 表:`` scope): a document-level
      rule whose bare names are rows of that table (parsed form only; resolved
      rules carry explicit ``CellRef``s).
    * ``when``: a precondition; where false the result is ``skipped``.
    * ``precision``: the rounding unit of published amounts (None: the ruleset's).
    * ``lets``: its ``let`` lines, in order (resolved: their uses are ``LetRef`` nodes).
    * ``group_by`` set: a per-group rule (``for each group of 表 by 键``), evaluated once
      per group of the rows of ``scope_table`` (satisfying ``row_filter``) that share the
      key's value (per document; rows without a key are in no group); not ``per_row``.
    """

    meta: Meta
    check: Cond
    scope_table: str | None = None
    per_row: bool = False
    row_filter: Cond | None = None
    when: Cond | None = None
    precision: Decimal | None = None
    lets: tuple[Let, ...] = ()
    group_by: Expr | None = None
    column_var: ColumnVar | None = None  # parsed form: `for each amount column c in 表`
    column_var_table: str | None = None
    span: Span = NOWHERE
    # resolved form: rules expanded from a column template remember the column
    expanded_column: str | None = None
    # where the scope's and the column template's table names were written (diagnostics)
    scope_span: Span | None = field(default=None, compare=False)
    column_var_table_span: Span | None = field(default=None, compare=False)
    # a materiality threshold (``tolerance 1 万元``): differences within it beyond rounding
    # are ``tolerated`` (checker.judging); None: the ruleset's. Resolved: in the ruleset's
    # unit, ``tolerance_unit`` None.
    tolerance: Decimal | None = None
    tolerance_unit: str | None = None


@dataclass(frozen=True)
class Rollup:
    """``rollup ID "title" in 表 by 科目编码 levels 3, 5, 7 [columns a, b]``.

    For every amount column (or the listed ones), every parent code row equals
    the sum of the rows whose code extends it by one level, per document and,
    where the table groups rows by unit, within each unit block.
    """

    meta: Meta
    table: str
    code_column: str
    levels: tuple[int, ...]
    columns: tuple[str, ...] = ()
    precision: Decimal | None = None
    span: Span = NOWHERE
    # where the table, code column and listed columns were written (diagnostics)
    table_span: Span | None = field(default=None, compare=False)
    code_span: Span | None = field(default=None, compare=False)
    column_spans: tuple[Span, ...] = field(default=(), compare=False)
    tolerance: Decimal | None = None  # as a rule's
    tolerance_unit: str | None = None


@dataclass(frozen=True)
class Alias:
    """``alias 短名 = 表名``."""

    name: str
    target: str
    span: Span = NOWHERE
    name_span: Span | None = field(default=None, compare=False)
    target_span: Span | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Include:
    """``include "other.rules"`` (path relative to the including file)."""

    path: str
    span: Span = NOWHERE


@dataclass(frozen=True)
class Ruleset:
    """A parsed rule file (or, after resolution, a file with its includes merged)."""

    file: str
    name: str | None = None
    version: str | None = None
    precision: Decimal | None = None
    unit: str | None = None
    # every (unit, precision) declared: the first is the ruleset's own; the others give
    # the printed precision of tables in another unit (checker.units)
    unit_precisions: tuple[tuple[str, Decimal], ...] = ()
    aliases: tuple[Alias, ...] = ()
    includes: tuple[Include, ...] = ()
    rules: tuple[Rule | Rollup, ...] = field(default_factory=tuple)
    span: Span = NOWHERE
    # the default materiality threshold of its rules (``tolerance 1 万元``; as a rule's)
    tolerance: Decimal | None = None
    tolerance_unit: str | None = None

    DEFAULT_PRECISION = Decimal("0.01")
