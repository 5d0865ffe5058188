"""``rulecheck explain``: one rule as written, what it reads, and on one document every step.

Without a document: the rule's source text with file:line, its metadata and
the cells it references, resolved against the template (which table, which
column, how the row is found). With a document: for each row the rule checks
(or the one ``--row`` names), every operand's value with its rounding
interval ``[v − p/2, v + p/2]``, each ``+ − × ÷`` step's interval, both sides'
intervals and the verdict with its difference and tolerance.

The trace walks the AST with the plain-Python reference evaluator
(:mod:`checker.reference`): explain is a one-rule, one-document diagnostic,
not the hot path. Verdicts are the reference's own results for the rule
(``evaluate_documents``), which the differential tests hold equal to the
Polars engine's.
"""

from __future__ import annotations

import difflib
import math
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import orjson

from checker import ast, judging, pointers, reference
from checker.diagnostics import (
    Diagnostic,
    ExitCode,
    Lang,
    Location,
    RulecheckError,
    register,
    severity_word,
)
from checker.display import inert
from checker.documents.provenance import place_of
from checker.evaluate import shown_op
from checker.functions import FUNCTIONS
from checker.report.messages import STATUS_WORDS, reason_message, result_message, source_label
from checker.report.text import _rule_lines, localized_lines, rounding_lines
from checker.template import Table, Template

register(
    {
        "explain.unknown-rule": ("没有编号为 {rule} 的规则", "no rule has the id {rule}"),
        "explain.hint.did-you-mean": ("是不是 {name}？", "did you mean {name}?"),
        "explain.one-document": (
            "explain 只解释一个文档，{path} 中有 {count} 个",
            "explain explains one document; {path} holds {count}",
        ),
        "explain.not-per-row": (
            "规则 {rule} 对整个文档检查一次，没有行可选；去掉 --row",
            "rule {rule} is checked once per document, not per row: drop --row",
        ),
        "explain.no-row": (
            "规则 {rule} 不检查第 {row} 行（从 0 开始）；它检查的行：{rows}",
            "rule {rule} does not check row {row} (0-based); the rows it checks: {rows}",
        ),
    }
)

_WORDS: dict[str, tuple[str, str]] = {
    "rule": ("规则", "rule"),
    "source_text": ("原文", "as written"),
    "title": ("标题", "title"),
    "severity": ("级别", "severity"),
    "description": ("说明", "description"),
    "source": ("依据", "source"),
    "tags": ("标签", "tags"),
    "precision": ("精度", "precision"),
    "tolerance": ("容差", "tolerance"),
    "scope": ("范围", "scope"),
    "when": ("前提", "when"),
    "check": ("检查", "check"),
    "references": ("引用", "references"),
    "document": ("文档", "document"),
    "row": ("行", "row"),
    "lhs": ("左边", "left"),
    "rhs": ("右边", "right"),
    "verdict": ("结论", "verdict"),
    "judging": ("判断", "judging"),
    "each_row": ("逐行", "per row"),
    "each_group": ("逐组", "per group"),
    "group": ("组", "group"),
    "from_row": ("自行", "from row"),
    "once": ("每个文档一次", "once per document"),
    "rollup": ("逐级汇总", "roll-up"),
    "rows_none": ("（没有要检查的行）", "(no rows to check)"),
    "holds": ("成立", "holds"),
    "fails": ("不成立", "does not hold"),
    "not_found": ("找不到", "not found"),
    "rows_matched": ("{n} 行", "{n} rows"),
}


def _w(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


# --------------------------------------------------------------------------- finding the rule

RuleNode = ast.Rule | ast.Rollup


def find_rules(ruleset: ast.Ruleset, rule_id: str) -> list[RuleNode]:
    """The rule with this id; or every column copy of a template (``JJ-10`` → ``JJ-10[…]``).

    Raises :class:`RulecheckError` (exit 2, usage) with a did-you-mean for an unknown id.
    """
    exact = [r for r in ruleset.rules if r.meta.id == rule_id]
    if exact:
        return exact
    copies = [r for r in ruleset.rules if r.meta.id.split("[", 1)[0] == rule_id]
    if copies:
        return copies
    ids = list(
        dict.fromkeys(i for r in ruleset.rules for i in (r.meta.id.split("[")[0], r.meta.id))
    )
    near = difflib.get_close_matches(rule_id, ids, n=3, cutoff=0.5)
    diag = Diagnostic(
        "explain.unknown-rule",
        Location("rulecheck"),
        {"rule": rule_id},
        hint="explain.hint.did-you-mean" if near else None,
        hint_args={"name": ", ".join(near)} if near else {},
    )
    raise RulecheckError([diag], ExitCode.USAGE)


# --------------------------------------------------------------------------- printing the AST

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def show(node: ast.Expr | ast.Cond | None) -> str:
    """A resolved expression or condition as text, names in full (``表[行].列``)."""
    match node:
        case None:
            return ""
        case ast.Number(value=value):
            return _plain(value)
        case ast.String(value=value):
            return f'"{value}"'
        case ast.CellRef(table=table, row=row, column=column):
            key = row.value if row.kind == "code" or _bare(row.value) else f'"{row.value}"'
            return f"{table}[{key}]" + (f".{column}" if column else "")
        case ast.ColumnRef(column=column, outer=outer):
            return f"row.{column}" if outer else column
        case ast.StatementRef(name=name):
            return f"说明.{name}"
        case ast.MetaRef(field=meta_field):
            return f"meta.{meta_field}"
        case ast.LetRef(name=name):
            return name
        case ast.GroupKey():
            return "group"
        case ast.BinOp(op=op, left=left, right=right):
            return f"{_operand(left, op, False)} {op} {_operand(right, op, True)}"
        case ast.Neg(operand=operand):
            inner = show(operand)
            return f"-({inner})" if isinstance(operand, ast.BinOp) else f"-{inner}"
        case ast.Aggregate(func=func, table=table, column=column, where=where):
            target = table if column is None else f"{table}.{column}"
            return f"{func}({target}" + (f" where {show(where)})" if where else ")")
        case ast.Call(func=func, args=args):
            return f"{func}({', '.join(show(a) for a in args)})"
        case ast.Related(relation=relation, operand=operand):
            return f"{relation}({show(operand)})"
        case ast.Compare(op=op, left=left, right=right):
            return f"{show(left)} {op} {show(right)}"
        case ast.Between(operand=operand, low=low, high=high):
            return f"{show(operand)} between {show(low)} and {show(high)}"
        case ast.And(items=items):
            return " and ".join(_wrap(i, ast.Or) for i in items)
        case ast.Or(items=items):
            return " or ".join(_wrap(i, ast.And) for i in items)
        case ast.Not(item=item):
            return f"not ({show(item)})"
        case ast.IsNull(operand=operand, negated=negated):
            return f"{show(operand)} is {'not ' if negated else ''}null"
        case ast.IsEmpty(table=table, negated=negated):
            return f"{table} is {'not ' if negated else ''}empty"
        case ast.Predicate(func=func, args=args):
            return f"{func}({', '.join(show(a) for a in args)})"
        case ast.StartsWith(operand=operand, prefix=prefix):
            return f"{show(operand)} startswith {show(prefix)}"
        case ast.InValues(operand=operand, values=values, negated=negated):
            listed = ", ".join(show(v) for v in values)
            return f"{show(operand)} {'not ' if negated else ''}in ({listed})"
        case ast.InColumn(operand=operand, table=table, column=column, negated=negated):
            return f"{show(operand)} {'not ' if negated else ''}in {table}.{column}"
        case ast.Exists(ref=ref):
            return f"exists {show(ref)}"
    return type(node).__name__


def _bare(label: str) -> bool:
    return bool(label) and all(c.isalnum() or c in "_()（）" for c in label)


def _operand(node: ast.Expr, op: str, right: bool) -> str:
    text = show(node)
    if isinstance(node, ast.BinOp):
        inner, outer = _PRECEDENCE[node.op], _PRECEDENCE[op]
        if inner < outer or (right and inner == outer and op in "-/"):
            return f"({text})"
    return text


def _wrap(node: ast.Cond, looser: type) -> str:
    return f"({show(node)})" if isinstance(node, looser) else show(node)


def _plain(value: Any) -> str:
    """A number for people: thousands separators, no trailing zeros, ∞ for unbounded."""
    if value is None:
        return "—"
    if isinstance(value, float):
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if math.isnan(value):
            return "NaN"
        text = f"{value:,.6f}"
    elif isinstance(value, Decimal):
        text = f"{value:,f}"
    else:
        return str(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _json_number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return round(number, 6) if math.isfinite(number) else None


# --------------------------------------------------------------------------- what a rule reads


@dataclass(frozen=True)
class Reference:
    """One thing a rule reads, resolved against the template."""

    kind: str  # cell | column | statement | meta | aggregate | table
    text: str  # as printed by :func:`show`
    table: str | None = None
    published: str | None = None  # the table's first published name
    row: str | None = None  # the row key as written
    row_kind: str | None = None  # label | code
    row_column: str | None = None  # the column the key is looked up in
    column: str | None = None
    column_kind: str | None = None  # amount | text | code
    default_columns: tuple[str, ...] = ()  # no column written: the table's value columns

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _walk(node: object) -> Iterator[object]:
    if isinstance(node, tuple | list):
        for item in node:
            yield from _walk(item)
    elif hasattr(node, "__dataclass_fields__") and not isinstance(node, ast.Span | ast.RowKey):
        yield node
        for name in node.__dataclass_fields__:
            if name not in ("span", "meta"):
                yield from _walk(getattr(node, name))


def references(rule: RuleNode, template: Template) -> list[Reference]:
    """Every cell, column, statement, aggregate and table the rule reads, in order, once each."""
    found: dict[str, Reference] = {}
    if isinstance(rule, ast.Rollup):
        table = template.table(rule.table)
        columns = rule.columns or (table.amount_columns if table else ())
        for column in (rule.code_column, *columns):
            read = _column_ref(template, rule.table, column, f"{rule.table}.{column}")
            found.setdefault(read.text, read)
        return list(found.values())
    for node in _walk((rule.row_filter, rule.group_by, rule.when, rule.check)):
        ref = _reference(node, template)
        if ref is not None:
            found.setdefault(f"{ref.kind}:{ref.text}", ref)
    return list(found.values())


def _reference(node: object, template: Template) -> Reference | None:
    match node:
        case ast.CellRef(table=role, row=row, column=column) if role is not None:
            table = template.table(role)
            row_column = None
            if table is not None:
                row_column = table.code if row.kind == "code" and table.code else table.label
            col = table.column(column) if table is not None and column else None
            return Reference(
                "cell",
                show(node),
                role,
                _published(table),
                row.value,
                row.kind,
                row_column,
                column,
                col.kind if col else None,
                () if column or table is None else table.value,
            )
        case ast.ColumnRef(table=role, column=column, outer=outer) if role is not None:
            return _column_ref(template, role, column, show(node) if outer else f"{role}.{column}")
        case ast.StatementRef():
            return Reference("statement", show(node))
        case ast.MetaRef():
            return Reference("meta", show(node))
        case ast.Aggregate(table=role, column=column):
            if column is None:  # count(表 …)
                return Reference("aggregate", show(node), role, _published(template.table(role)))
            return replace(_column_ref(template, role, column, show(node)), kind="aggregate")
        case ast.IsEmpty(table=role) | ast.InColumn(table=role):
            return Reference("table", role, role, _published(template.table(role)))
    return None


def _column_ref(template: Template, role: str, column: str, text: str) -> Reference:
    table = template.table(role)
    col = table.column(column) if table is not None else None
    return Reference(
        "column",
        text,
        role,
        _published(table),
        column=column,
        column_kind=col.kind if col else None,
    )


def _published(table: Table | None) -> str | None:
    if table is None:
        return None
    return next(
        (n for n in table.names if n != table.role), table.names[0] if table.names else None
    )


# --------------------------------------------------------------------------- tracing


@dataclass(frozen=True)
class Step:
    """One value of the trace: an operand (a leaf) or the result of an operation."""

    depth: int
    expr: str
    value: Any  # Decimal (exact), float (after × ÷), str (text), None (missing)
    lo: Any = None
    hi: Any = None
    op: str | None = None  # + - * / neg sum count min max abs round pct … ; None for a leaf
    operands: tuple[tuple[Any, Any], ...] = ()  # the operands' intervals, for an operation
    where: str | None = None  # JSON pointer of the cell read
    reason: str | None = None
    taken: tuple[Any, ...] | None = None  # an aggregate: the values of the rows it took
    source: Mapping[str, Any] | None = None  # where the cell read was published (provenance)
    printed: str | None = None  # a cell the import left unresolved: the text it saw there

    def to_dict(self) -> dict[str, Any]:
        value = self.value if isinstance(self.value, str) else _json_number(self.value)
        out: dict[str, Any] = {"depth": self.depth, "expr": self.expr, "value": value}
        if self.lo is not None or self.hi is not None:
            out["interval"] = [_json_number(self.lo), _json_number(self.hi)]
        if self.op is not None:
            out["op"] = self.op
            out["operands"] = [[_json_number(lo), _json_number(hi)] for lo, hi in self.operands]
        for key in ("where", "reason", "printed"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.source is not None:
            out["source"] = dict(self.source)
        if self.taken is not None:
            out["rows"] = len(self.taken)
            out["values"] = [_json_number(v) for v in self.taken]
        return out


@dataclass(frozen=True)
class Judgement:
    """How one condition of the check came out on one row."""

    cond: str
    status: str  # pass rounding fail error (a comparison); pass fail (a test)
    op: str | None = None  # a comparison's operator
    lhs: tuple[Step, ...] = ()
    rhs: tuple[Step, ...] = ()
    diff: float | None = None
    tolerance: float | None = None
    reason: str | None = None
    operands: tuple[Step, ...] = ()  # a test's values (text, a cell tested for null …)
    parts: tuple[Judgement, ...] = ()  # and / or
    materiality: float | None = None  # the rule's tolerance, where it applies

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"cond": self.cond, "status": self.status}
        if self.lhs or self.rhs:
            out["lhs"] = [s.to_dict() for s in self.lhs]
            out["rhs"] = [s.to_dict() for s in self.rhs]
            out["diff"] = _json_number(self.diff)
            out["tolerance"] = _json_number(self.tolerance)
            if self.materiality is not None:
                out["materiality"] = _json_number(self.materiality)
        if self.reason is not None:
            out["reason"] = self.reason
        if self.operands:
            out["operands"] = [s.to_dict() for s in self.operands]
        if self.parts:
            out["parts"] = [p.to_dict() for p in self.parts]
        return out


@dataclass(frozen=True)
class RowTrace:
    """One evaluation of the rule on the document: its verdict and how it was reached."""

    row: int | None
    column: str | None
    key: str | None  # the row's identifying columns, as published
    verdict: reference.RefResult
    when: bool | None = None
    judgement: Judgement | None = None
    source: Mapping[str, Any] | None = None  # where the row was published (provenance)
    op: str = "="  # the comparison the verdict's two sides are shown with (evaluate.shown_op)

    @property
    def diff(self) -> float | None:
        v = self.verdict
        return None if v.lhs is None or v.rhs is None else round(v.lhs - v.rhs, 4)

    @property
    def tolerance(self) -> float | None:
        v = self.verdict
        bounds = (v.lhs_lo, v.lhs_hi, v.rhs_lo, v.rhs_hi)
        if any(b is None for b in bounds):
            return None
        assert v.lhs_lo is not None and v.lhs_hi is not None
        assert v.rhs_lo is not None and v.rhs_hi is not None
        width = ((v.lhs_hi - v.lhs_lo) + (v.rhs_hi - v.rhs_lo)) / 2
        return round(width, 4) if math.isfinite(width) else width

    def result_row(self) -> dict[str, Any]:
        """The verdict as a results-frame row (for :func:`result_message`)."""
        v = self.verdict
        return {
            "status": v.status,
            "lhs": v.lhs,
            "rhs": v.rhs,
            "diff": self.diff,
            "tolerance": self.tolerance,
            "materiality": _materiality_of(self.judgement),
            "reason": v.reason,
            "op": self.op,
        }


def _materiality_of(judgement: Judgement | None) -> float | None:
    """The tolerance a judgement (or the first of its parts) was judged with."""
    if judgement is None:
        return None
    if judgement.materiality is not None:
        return judgement.materiality
    return next((m for p in judgement.parts if (m := _materiality_of(p)) is not None), None)


@dataclass(frozen=True)
class Explanation:
    """A rule explained: as written, what it reads, and (with a document) each row's trace."""

    rule: RuleNode
    source: tuple[tuple[int, str], ...]
    precision: Decimal
    references: tuple[Reference, ...]
    document: str | None = None
    path: str | None = None
    rows: tuple[RowTrace, ...] = field(default_factory=tuple)
    tolerance: Decimal | None = None  # the materiality threshold (the rule's or the ruleset's)
    # the document's localization (checker.localize) where it is about this rule: by kind
    # ("error", "rounding"), as Report.localizations() gives it
    localized: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def with_localization(
    explanations: Sequence[Explanation], localized: Mapping[str, Mapping[str, Any]]
) -> list[Explanation]:
    """Each explanation with the document's localizations whose results include its rule
    (``localized``: one document's Report.localizations() entry)."""
    return [
        replace(
            e,
            localized={
                kind: entry
                for kind, entry in localized.items()
                if any(r["rule"] == e.rule.meta.id for r in entry["rules"])
            },
        )
        for e in explanations
    ]


def explain_rule(
    rule: RuleNode,
    ruleset: ast.Ruleset,
    template: Template,
    document: Mapping[str, Any] | None = None,
    *,
    row: int | None = None,
    document_id: str | None = None,
    path: str | None = None,
) -> Explanation:
    """Explain ``rule``; with ``document`` (a JSON object) trace it row by row (or ``row`` only)."""
    default = ruleset.precision if ruleset.precision is not None else ast.Ruleset.DEFAULT_PRECISION
    precision = rule.precision if rule.precision is not None else default
    tolerance = rule.tolerance if rule.tolerance is not None else ruleset.tolerance
    base = Explanation(
        rule,
        tuple(source_lines(rule)),
        precision,
        tuple(references(rule, template)),
        tolerance=tolerance,
    )
    if document is None:
        return base
    per_row = isinstance(rule, ast.Rollup) or (
        rule.scope_table is not None and (rule.per_row or rule.group_by is not None)
    )
    if row is not None and not per_row:
        diag = Diagnostic("explain.not-per-row", Location("rulecheck"), {"rule": rule.meta.id})
        raise RulecheckError([diag], ExitCode.USAGE)
    results = reference.evaluate_documents(replace(ruleset, rules=(rule,)), template, [document])
    if row is not None:
        chosen = [r for r in results if r.row == row]
        if not chosen:
            listed = sorted({r.row for r in results if r.row is not None})
            shown = ", ".join(map(str, listed[:20])) + (" …" if len(listed) > 20 else "")
            args = {"rule": rule.meta.id, "row": row, "rows": shown or "—"}
            raise RulecheckError(
                [Diagnostic("explain.no-row", Location("rulecheck"), args)], ExitCode.USAGE
            )
        results = chosen
    doc = reference.document_view(document, ruleset, template)
    env = reference.rule_env(rule, doc, ruleset)
    results = [_undecided(rule, env, r) for r in results]
    op = shown_op(rule)
    traces = tuple(
        replace(_placed(_trace_result(rule, env, r), document, rule), op=op) for r in results
    )
    meta = document.get("meta")
    named = meta.get("id") if isinstance(meta, Mapping) else None
    return replace(base, document=document_id or named or "<document>", path=path, rows=traces)


def _placed(trace: RowTrace, document: Mapping[str, Any], rule: RuleNode) -> RowTrace:
    """The trace with where its row and each cell it read were published."""

    def step(s: Step) -> Step:
        if not s.where:
            return s
        undecided = _unresolved_at(document, s.where)
        s = replace(s, source=place_of(document, s.where))
        if undecided is None:
            return s
        role, row, column = undecided
        cell = _provenance_cells(document, role)[row].get(column) or {}
        printed = cell.get("text")
        return replace(
            s,
            reason=s.reason or f"unresolved-cell:{role}.{column}",
            printed=printed if isinstance(printed, str) else None,
        )

    def judged(j: Judgement) -> Judgement:
        return replace(
            j,
            lhs=tuple(map(step, j.lhs)),
            rhs=tuple(map(step, j.rhs)),
            operands=tuple(map(step, j.operands)),
            parts=tuple(map(judged, j.parts)),
        )

    role = rule.table if isinstance(rule, ast.Rollup) else rule.scope_table
    own = (
        place_of(document, pointers.build("tables", role, "rows", trace.row))
        if role is not None and trace.row is not None
        else None
    )
    judgement = judged(trace.judgement) if trace.judgement is not None else None
    return replace(trace, judgement=judgement, source=own)


# --------------------------------------------------------------------------- undecided cells

# What ``check`` does to a verdict on a figure the import could not place (checker.evidence):
# a result that reads a cell left unresolved (its column undecided, read as null) is an error
# naming the first such cell. The cells a result reads are those the engine lists as its
# evidence (checker.compile: the check's, the ``when``'s and the row filter's operands; an
# aggregate or ``in 表.列`` reads its whole column), walked here in the same order.

_JUDGED = ("pass", "fail", "rounding", "tolerated")
Read = tuple[str, int | None, str | None, str | None]  # table, row (None: any), column, label


def _undecided(
    rule: RuleNode, env: reference._Env, result: reference.RefResult
) -> reference.RefResult:
    """``result`` as ``check`` reports it: an error if it reads an unresolved cell."""
    if result.status not in _JUDGED:
        return result
    for table, row, column, label in _reads(rule, env, result):
        if column is not None and _unresolved(env.doc.doc, table, row, column):
            named = label or f"{table}.{column}"
            return replace(result, status="error", reason=f"unresolved-cell:{named}")
    return result


def _reads(rule: RuleNode, base: reference._Env, result: reference.RefResult) -> list[Read]:
    if isinstance(rule, ast.Rollup):
        total = f"sum({rule.code_column}*)"
        return [
            (rule.table, result.row, result.column, None),
            (rule.table, None, result.column, total),
        ]
    env = _env(rule, base, result)
    out: list[Read] = []
    _judged_reads(rule.check, env, result.row, out)
    for cond in (rule.when, rule.row_filter):
        if cond is not None:
            _cond_reads(cond, env, result.row, out)
    return out


def _judged_reads(cond: ast.Cond, env: reference._Env, at: int | None, out: list[Read]) -> None:
    match cond:
        case ast.Compare(left=left, right=right) if not (
            reference.is_text(left, env) or reference.is_text(right, env)
        ):
            _expr_reads(left, env, at, out, as_text=False)
            _expr_reads(right, env, at, out, as_text=False)
        case ast.And(items=items) | ast.Or(items=items):
            for item in items:
                _judged_reads(item, env, at, out)
        case ast.Between():
            for item in cond.bounds():
                _judged_reads(item, env, at, out)
        case _:
            _cond_reads(cond, env, at, out)


def _cond_reads(cond: ast.Cond, env: reference._Env, at: int | None, out: list[Read]) -> None:
    match cond:
        case ast.Compare(left=left, right=right):
            as_text = reference.is_text(left, env) or reference.is_text(right, env)
            _expr_reads(left, env, at, out, as_text=as_text)
            _expr_reads(right, env, at, out, as_text=as_text)
        case ast.And(items=items) | ast.Or(items=items):
            for item in items:
                _cond_reads(item, env, at, out)
        case ast.Between():
            for item in cond.bounds():
                _cond_reads(item, env, at, out)
        case ast.Not(item=item):
            _cond_reads(item, env, at, out)
        case ast.Predicate(func=func, args=args):
            for kind, arg in _valued(func, args):
                _expr_reads(arg, env, at, out, as_text=kind == "text")
        case ast.StartsWith(operand=operand, prefix=prefix):
            _expr_reads(operand, env, at, out, as_text=True)
            _expr_reads(prefix, env, at, out, as_text=True)
        case ast.InValues(operand=operand, values=values):
            as_text = reference.is_text(operand, env)
            for node in (operand, *(() if as_text else values)):
                _expr_reads(node, env, at, out, as_text=as_text)
        case ast.InColumn(operand=operand, table=role, column=column):
            _expr_reads(operand, env, at, out, as_text=True)
            out.append((role, None, column, f"{role}.{column}"))
    # is null, is empty, exists: no cell listed


def _expr_reads(
    expr: ast.Expr, env: reference._Env, at: int | None, out: list[Read], *, as_text: bool
) -> None:
    match expr:
        case ast.CellRef(table=role, column=column) if role is not None:
            found = reference._find_row(env, expr)
            out.append((role, found[0] if found else -1, column, reference._ref_text(expr)))
        case ast.ColumnRef(column=column, outer=False) if env.row_table is not None:
            out.append((env.row_table.role, at, column, column if as_text else None))
        case ast.Aggregate(func=func, table=role, column=column):
            out.append((role, None, column, f"{func}({role})"))
        case ast.BinOp(left=left, right=right):
            _expr_reads(left, env, at, out, as_text=False)
            _expr_reads(right, env, at, out, as_text=False)
        case ast.Neg(operand=operand):
            _expr_reads(operand, env, at, out, as_text=False)
        case ast.Call(func=func, args=args):
            for kind, arg in _valued(func, args):
                _expr_reads(arg, env, at, out, as_text=kind == "text")
        case ast.LetRef(value=value):
            _expr_reads(value, env, at, out, as_text=as_text)
    # a statement, a literal, wording(…), 上年(…) (another document): no table cell


def _valued(func: str, args: Sequence[ast.Expr]) -> list[tuple[str, ast.Expr]]:
    """A call's arguments that are values (amounts, texts), with their kind: what it
    reads (a literal unit, pattern or number of digits is part of the rule)."""
    pairs = FUNCTIONS[func].bind(args)
    return [(p.kind, a) for p, a in pairs if p.kind in ("amount", "text")]


def _provenance_cells(document: Mapping[str, Any], role: str) -> list[Mapping[str, Any]]:
    """Per row of table ``role``, where the import found each of its cells (column → place)."""
    table = (document.get("tables") or {}).get(role)
    provenance = table.get("provenance") if isinstance(table, Mapping) else None
    places = provenance.get("rows") if isinstance(provenance, Mapping) else None
    if not isinstance(places, list):
        return []
    cells = [p.get("cells") if isinstance(p, Mapping) else None for p in places]
    return [c if isinstance(c, Mapping) else {} for c in cells]


def _unresolved(document: Mapping[str, Any], role: str, row: int | None, column: str) -> bool:
    """Whether the import left this cell (``row`` None: any cell of the column) unresolved."""
    rows = _provenance_cells(document, role)

    def flagged(cells: Mapping[str, Any]) -> bool:
        cell = cells.get(column)
        return isinstance(cell, Mapping) and bool(cell.get("unresolved"))

    if row is None:
        return any(flagged(c) for c in rows)
    return 0 <= row < len(rows) and flagged(rows[row])


def _unresolved_at(document: Mapping[str, Any], pointer: str) -> tuple[str, int, str] | None:
    """(table, row, column) when the cell at ``pointer`` was left unresolved, else None."""
    parts = pointers.parse(pointer)
    if len(parts) != 5 or parts[0] != "tables" or parts[2] != "rows" or not parts[3].isdigit():
        return None
    role, row, column = parts[1], int(parts[3]), parts[4]
    return (role, row, column) if _unresolved(document, role, row, column) else None


def _trace_result(rule: RuleNode, base: reference._Env, result: reference.RefResult) -> RowTrace:
    if isinstance(rule, ast.Rollup):
        return _trace_rollup(rule, base, result)
    env = _env(rule, base, result)
    when = None if rule.when is None else reference.boolean(rule.when, env)
    key = result.group  # a group is named by its key
    if env.row_table is not None and env.row is not None:
        key = _row_key(env.row_table, env.row)
    return RowTrace(result.row, result.column, key, result, when, _judge(rule.check, env, 0))


def _env(rule: ast.Rule, base: reference._Env, result: reference.RefResult) -> reference._Env:
    """Where the reference evaluated ``result`` (the rule's ``base`` environment): its row,
    its group, or the document."""
    doc = base.doc
    if rule.group_by is not None and rule.scope_table:
        groups = reference.groups(rule, doc, base)
        return next((env for first, _, env in groups if first == result.row), groups[0][2])
    table = doc.table(rule.scope_table) if rule.scope_table and rule.per_row else None
    row = doc.rows(table.role)[result.row] if table is not None and result.row is not None else None
    return replace(base, row_table=table, row=row)


def _trace_rollup(rule: ast.Rollup, base: reference._Env, result: reference.RefResult) -> RowTrace:
    doc = base.doc
    table = doc.table(rule.table)
    rows = doc.rows(rule.table)
    parent = rows[result.row] if result.row is not None else None
    pointer = pointers.build("tables", rule.table, "rows", result.row, result.column)
    code = str(parent.get(rule.code_column)) if parent is not None else "?"
    cell = f"{rule.table}[{code}].{result.column}"
    level = next((n for n in rule.levels if n > len(code)), 0)
    children = (
        f'sum({rule.table}.{result.column} where {rule.code_column} startswith "{code}"'
        f" and length({rule.code_column}) = {level})"
    )
    lhs = Step(1, cell, result.lhs, result.lhs_lo, result.lhs_hi, where=pointer)
    rhs = Step(1, children, result.rhs, result.rhs_lo, result.rhs_hi, op="sum")
    trace = RowTrace(result.row, result.column, None, result)
    judgement = Judgement(
        f"{cell} = {children}",
        result.status,
        "=",
        (lhs,),
        (rhs,),
        trace.diff,
        trace.tolerance,
        materiality=_materiality("=", base),
    )
    key = _row_key(table, parent) if parent is not None else None
    return replace(trace, key=key, judgement=judgement)


def _row_key(table: Table, row: Mapping[str, Any]) -> str | None:
    columns = table.key or tuple(c for c in (table.code, table.label) if c)
    values = [str(row[c]) for c in columns if row.get(c) is not None]
    return " ".join(values) or None


def _judge(cond: ast.Cond, env: reference._Env, depth: int) -> Judgement:
    """One condition on one row: the reference's verdict with the steps that led to it."""
    match cond:
        case ast.Compare(left=left, right=right) if not (
            reference.is_text(left, env) or reference.is_text(right, env)
        ):
            judged = reference.judge(cond, env)
            lhs: list[Step] = []
            rhs: list[Step] = []
            _trace(left, env, depth + 1, lhs)
            _trace(right, env, depth + 1, rhs)
            a, b = judged.lhs, judged.rhs
            diff = tol = None
            if a is not None and b is not None and a.v is not None and b.v is not None:
                diff = float(a.v - b.v)
                if None not in (a.lo, a.hi, b.lo, b.hi):
                    tol = float((a.hi - a.lo) + (b.hi - b.lo)) / 2
            return Judgement(
                show(cond),
                judged.status,
                cond.op,
                tuple(lhs),
                tuple(rhs),
                diff,
                tol,
                judged.reason,
                materiality=_materiality(cond.op, env),
            )
        case ast.And(items=items) | ast.Or(items=items):
            judged = reference.judge(cond, env)
            parts = tuple(_judge(i, env, depth + 1) for i in items)
            return Judgement(show(cond), judged.status, reason=judged.reason, parts=parts)
        case ast.Between():  # its two comparisons, each traced
            judged = reference.judge(cond, env)
            parts = tuple(_judge(c, env, depth + 1) for c in cond.bounds())
            return Judgement(show(cond), judged.status, reason=judged.reason, parts=parts)
    holds = reference.boolean(cond, env)
    operands: list[Step] = []
    for node in _tested(cond):
        _trace(node, env, depth + 1, operands)
    return Judgement(show(cond), "pass" if holds else "fail", operands=tuple(operands))


def _materiality(op: str, env: reference._Env) -> float | None:
    """The rule's materiality threshold, where it can change this comparison's verdict."""
    tolerance = env.tolerance
    return float(tolerance) if tolerance is not None and judging.tolerates(op, tolerance) else None


def _tested(cond: ast.Cond) -> list[ast.Expr]:
    """The values a test (not a numeric comparison) looks at."""
    match cond:
        case ast.Compare(left=left, right=right):
            return [left, right]
        case ast.IsNull(operand=o) | ast.InValues(operand=o):
            return [o]
        case ast.Predicate(func=func, args=args):
            return [a for _, a in _valued(func, args)]
        case ast.InColumn(operand=o):
            return [o]
        case ast.StartsWith(operand=o, prefix=p):
            return [o, p]
        case ast.Exists(ref=ref):
            return [ref]
        case ast.Not(item=item):
            return _tested(item)
    return []


def _trace(expr: ast.Expr, env: reference._Env, depth: int, steps: list[Step]) -> None:
    """Append ``expr``'s steps, operands first (post-order), each with its interval."""
    if isinstance(expr, ast.LetRef):  # its value's steps, then the value by its name
        _trace(expr.value, env, depth + 1, steps)
        if reference.is_text(expr, env):
            steps.append(Step(depth, expr.name, reference.text(expr, env), op="let"))
            return
        val = reference.number(expr, env)
        steps.append(Step(depth, expr.name, val.v, val.lo, val.hi, "let", reason=val.reason))
        return
    if reference.is_text(expr, env):
        text = reference.text(expr, env)
        steps.append(Step(depth, show(expr), text, where=_where(expr, env)))
        return
    match expr:
        case ast.BinOp(op=op, left=left, right=right):
            _trace(left, env, depth + 1, steps)
            _trace(right, env, depth + 1, steps)
            operands = (_bounds(left, env), _bounds(right, env))
            _operation(expr, env, depth, steps, op, operands)
        case ast.Neg(operand=operand):
            _trace(operand, env, depth + 1, steps)
            _operation(expr, env, depth, steps, "neg", (_bounds(operand, env),))
        case ast.Call(func=func, args=args):  # its values (texts, amounts), then its own
            valued = _valued(func, args)
            for _, arg in valued:
                _trace(arg, env, depth + 1, steps)
            amounts = tuple(_bounds(a, env) for kind, a in valued if kind == "amount")
            _operation(expr, env, depth, steps, func, amounts)
        case ast.Related(relation=relation) if env.doc.related(relation) is None:
            # the run holds no such document: no value (check shows —), and why
            val = reference.number(expr, env)
            steps.append(Step(depth, show(expr), None, reason=val.reason))
        case ast.Aggregate() as agg:
            val = reference.number(agg, env)
            rows = reference._matching_rows(agg, env)
            taken = tuple(r.get(agg.column) if agg.column else None for r in rows)
            steps.append(
                Step(depth, show(agg), val.v, val.lo, val.hi, agg.func, (), None, val.reason, taken)
            )
        case _:
            val = reference.number(expr, env)
            steps.append(
                Step(
                    depth,
                    show(expr),
                    val.v,
                    val.lo,
                    val.hi,
                    where=_where(expr, env),
                    reason=val.reason,
                )
            )


def _operation(
    expr: ast.Expr,
    env: reference._Env,
    depth: int,
    steps: list[Step],
    op: str,
    operands: tuple[tuple[Any, Any], ...],
) -> None:
    val = reference.number(expr, env)
    steps.append(Step(depth, show(expr), val.v, val.lo, val.hi, op, operands, reason=val.reason))


def _bounds(expr: ast.Expr, env: reference._Env) -> tuple[Any, Any]:
    val = reference.number(expr, env)
    return val.lo, val.hi


def _taken_text(step: Step, lang: Lang) -> str:
    """The rows an aggregate took: how many, and the values summed (the first 12)."""
    taken = step.taken or ()
    present = [v for v in taken if v is not None]
    if step.op == "count" or not present:
        return f"取 {len(taken)} 行" if lang == "zh" else f"{len(taken)} rows"
    listed = " + ".join(_plain(Decimal(str(v))) for v in present[:12])
    if len(present) > 12:
        listed += (
            f" + …（另 {len(present) - 12} 个）"
            if lang == "zh"
            else f" + … ({len(present) - 12} more)"
        )
    if lang == "zh":
        return f"取 {len(taken)} 行，{len(present)} 行有值：{listed}"
    return f"{len(taken)} rows, {len(present)} with a value: {listed}"


def _where(expr: ast.Expr, env: reference._Env) -> str | None:
    """The JSON pointer of the cell an operand reads (or why there is none)."""
    match expr:
        case ast.CellRef(table=role, column=column) if role is not None:
            found = reference._find_row(env, expr)
            if found is None:
                return None
            index, cells = found
            if column is None:
                values = env.doc.table(role).value
                column = next((c for c in values if cells.get(c) is not None), values[0])
            return pointers.build("tables", role, "rows", index, column)
        case ast.ColumnRef(column=column, outer=outer):
            scope, current = (env.outer_table, env.outer_row) if outer else (env.row_table, env.row)
            if scope is None or current is None:
                return None
            rows = env.doc.rows(scope.role)
            at = next((i for i, r in enumerate(rows) if r is current), None)
            if at is None:
                return None
            return pointers.build("tables", scope.role, "rows", at, column)
        case ast.StatementRef(name=name):
            return pointers.build("statements", name, "value")
        case ast.MetaRef(field=meta_field):
            return pointers.build("meta", meta_field)
        case ast.Call(func="wording", args=(ast.StatementRef(name=name),)):
            return pointers.build("statements", name, "wording")
    return None


# --------------------------------------------------------------------------- source text


def source_lines(rule: RuleNode) -> list[tuple[int, str]]:
    """The rule's lines in its file, after the header lines of the scopes around it."""
    lines = _rule_lines(rule.span.file)
    if not lines or rule.span.line <= 0:
        return []
    wanted: list[int] = []
    if isinstance(rule, ast.Rule):
        for span in (rule.column_var_table_span, rule.scope_span):
            if span is not None and span.file == rule.span.file and span.line < rule.span.line:
                wanted.append(span.line)
    wanted.extend(range(rule.span.line, min(rule.span.end_line, len(lines)) + 1))
    return [(n, lines[n - 1]) for n in sorted(set(wanted))]


# --------------------------------------------------------------------------- reading the document


def read_document(
    path: str, *, schema: str | os.PathLike[str] | None = None
) -> tuple[dict[str, Any], str, str]:
    """One document for explain: (object, id, path), validated as ``check`` would.

    Raises :class:`RulecheckError`: exit 2 for a path that matches nothing or
    several documents, exit 4 for an invalid document.
    """
    from checker.documents import load_documents
    from checker.documents.importer import import_document
    from checker.documents.parts import is_importable
    from checker.files import max_bytes, read_input

    limit = max_bytes()  # --max-bytes, as check reads it (one byte over is refused there)
    stdin = BytesIO(sys.stdin.buffer.read(limit + 1)) if path == "-" else None
    batch = load_documents([path], schema=schema, max_bytes=limit, stdin=stdin, jobs=1)
    if len(batch.statuses) != 1:
        args = {"path": path, "count": len(batch.statuses)}
        diag = Diagnostic("explain.one-document", Location(path), args)
        raise RulecheckError([diag], ExitCode.USAGE)
    status = batch.statuses[0]
    if not status.valid:
        raise RulecheckError(list(status.diagnostics), ExitCode.INVALID_DOCUMENT)
    if stdin is None and is_importable(status.path):  # a PDF or text dump: as imported
        return import_document(status.path).document, status.id, status.path
    if stdin is None and Path(status.path).is_dir():  # columnar: its tables' rows from files
        from checker.documents.columnar import as_document

        return as_document(batch.schema, Path(status.path), limit), status.id, status.path
    data = stdin.getvalue() if stdin is not None else read_input(status.path, limit)
    if status.line is not None:
        data = data.splitlines()[status.line - 1]
    return orjson.loads(data), status.id, status.path


# --------------------------------------------------------------------------- rendering


def _status(status: str, lang: Lang) -> str:
    zh, en = STATUS_WORDS.get(status, (status, status))
    return zh if lang == "zh" else en


def _interval(lo: Any, hi: Any) -> str:
    return f"[{_plain(lo)}, {_plain(hi)}]"


def _step_lines(step: Step, lang: Lang, indent: int) -> list[str]:
    """A step as lines: its value, and for ``+ − × ÷`` the interval arithmetic below it
    (separate lines: the text report shows a line break inside one as ``\n``)."""
    pad = "  " * (indent + step.depth)
    value = f'"{step.value}"' if isinstance(step.value, str) else _plain(step.value)
    lines = [f"{pad}{step.expr} = {value}"]
    if step.lo is not None or step.hi is not None:
        if step.op in ("+", "-", "*", "/") and len(step.operands) == 2:
            (alo, ahi), (blo, bhi) = step.operands
            symbol = {"*": "×", "/": "÷"}.get(step.op, step.op)
            result = _interval(step.lo, step.hi)
            lines.append(f"{pad}  {_interval(alo, ahi)} {symbol} {_interval(blo, bhi)} = {result}")
        elif step.lo != step.hi or step.op is not None or step.where is not None:
            lines[-1] += f"    {_interval(step.lo, step.hi)}"
    lines[-1] += _step_notes(step, lang)
    return lines


def _step_notes(step: Step, lang: Lang) -> str:
    """What follows a step's value: where it was read and published, its rows, why not."""
    text = ""
    if step.where:
        text += f"    {step.where}"
    published = source_label(step.source, lang)
    if published:
        text += f"    {published}"
    if step.taken is not None:
        text += f"    {_taken_text(step, lang)}"
    if step.reason:
        text += f"    ({reason_message(step.reason, lang)})"
    if step.printed is not None:
        text += f'    印为 "{step.printed}"' if lang == "zh" else f'    printed "{step.printed}"'
    return text


def _judgement_lines(j: Judgement, lang: Lang, indent: int, *, top: bool = False) -> list[str]:
    pad = "  " * indent
    out = [] if top else [f"{pad}{j.cond}  → {_status(j.status, lang)}"]
    if j.lhs or j.rhs:
        out.append(f"{pad}  {_w('lhs', lang)}")
        out.extend(line for s in j.lhs for line in _step_lines(s, lang, indent + 1))
        out.append(f"{pad}  {_w('rhs', lang)}")
        out.extend(line for s in j.rhs for line in _step_lines(s, lang, indent + 1))
        if j.lhs and j.rhs and j.reason is None:
            out.append(f"{pad}  {_w('judging', lang)}  {_judging(j, lang)}")
    for step in j.operands:
        out.extend(_step_lines(step, lang, indent))
    if j.reason:
        out.append(f"{pad}  ({reason_message(j.reason, lang)})")
    for part in j.parts:
        out.extend(_judgement_lines(part, lang, indent + 1))
    return out


def _judging(j: Judgement, lang: Lang) -> str:
    """Both sides' intervals, whether they meet, the difference and the tolerance."""
    a, b = j.lhs[-1], j.rhs[-1]
    text = f"{_interval(a.lo, a.hi)} {j.op} {_interval(b.lo, b.hi)}"
    if j.op == "=" and None not in (a.lo, a.hi, b.lo, b.hi):
        meet = judging.meets("=", a.lo, a.hi, b.lo, b.hi, exact=False)
        words = (
            ("区间相交", "区间不相交") if lang == "zh" else ("intervals meet", "intervals apart")
        )
        text += f"  ({words[0] if meet else words[1]})"
    if j.diff is not None:
        text += f"；相差 {_plain(j.diff)}" if lang == "zh" else f"; off by {_plain(j.diff)}"
    if j.tolerance is not None:
        text += (
            f"，舍入容差 ±{_plain(j.tolerance)}"
            if lang == "zh"
            else f", rounding ±{_plain(j.tolerance)}"
        )
    if j.materiality is not None:
        text += (
            f"，重要性容差 {_plain(j.materiality)}"
            if lang == "zh"
            else f", tolerance {_plain(j.materiality)}"
        )
    return text


def render_text(explanations: Sequence[Explanation], lang: Lang = "zh") -> str:
    """The explanations as text (rule, source, references; per row: steps and verdict)."""
    blocks = [_render_one(e, lang) for e in explanations]
    return "\n\n".join(blocks) + "\n"


def _render_one(e: Explanation, lang: Lang) -> str:
    rule, meta = e.rule, e.rule.meta

    def w(key: str) -> str:
        return _w(key, lang)

    out = [f"{w('rule')} {meta.id}  {severity_word(meta.severity, lang)}  {meta.title}"]
    out.append(f"  {rule.span.file}:{rule.span.line}")
    width = len(str(e.source[-1][0])) if e.source else 1
    out.extend(f"    {n:>{width}} | {text}" for n, text in e.source)
    if meta.description:
        out.append(f"  {w('description')}  {meta.description}")
    if meta.source:
        out.append(f"  {w('source')}  {meta.source}")
    if meta.tags:
        out.append(f"  {w('tags')}  {', '.join(meta.tags)}")
    out.append(f"  {w('precision')}  {_plain(e.precision)} (± {_plain(e.precision / 2)})")
    if e.tolerance is not None:
        out.append(f"  {w('tolerance')}  {_plain(e.tolerance)}")
    out.append(f"  {w('scope')}  {_scope(rule, lang)}")
    if isinstance(rule, ast.Rule):
        out.extend(f"  let  {let.name} = {show(let.value)}" for let in rule.lets)
        if rule.when is not None:
            out.append(f"  {w('when')}  {show(rule.when)}")
        out.append(f"  {w('check')}  {show(rule.check)}")
    if e.references:
        out.append(f"  {w('references')}")
        out.extend(f"    {_reference_line(r, lang)}" for r in e.references)
    if e.document is None and e.path is None:
        return "\n".join(map(inert, out))
    out.append("")
    out.append(f"{w('document')} {e.document}  ({e.path})")
    if not e.rows:
        out.append(f"  {w('rows_none')}")
    for trace in e.rows:
        out.append("")
        head = f"  {_status(trace.verdict.status, lang)}"
        if trace.verdict.group is not None:  # a group: its key, then its first row
            head += f"  {w('group')} {trace.verdict.group} ({w('from_row')} {trace.row})"
        elif trace.row is not None:
            head += f"  {w('row')} {trace.row}"
            if trace.key:
                head += f" ({trace.key})"
        if trace.column:
            head += f"  [{trace.column}]"
        published = source_label(trace.source, lang)
        if published:
            head += f"  ({published})"
        head += f"  {result_message(trace.result_row(), lang)}"
        out.append(head)
        if trace.when is not None:
            holds = w("holds") if trace.when else w("fails")
            out.append(
                f"    {w('when')}  {show(rule.when) if isinstance(rule, ast.Rule) else ''}: {holds}"
            )
        if trace.judgement is not None:
            out.extend(_judgement_lines(trace.judgement, lang, 2, top=True))
    for kind, entry in e.localized.items():  # which printed cells most likely explain it
        block = (localized_lines if kind == "error" else rounding_lines)(
            str(e.document), dict(entry), lang
        )
        out.append("")
        out.extend("  " + "".join(text for text, _ in line) for line in block)
    # a document's strings (id, path, keys, cell texts) shown inert, as in check's text
    return "\n".join(map(inert, out))


def _scope(rule: RuleNode, lang: Lang) -> str:
    if isinstance(rule, ast.Rollup):
        levels = ", ".join(map(str, rule.levels))
        return f"{_w('rollup', lang)}: {rule.table} by {rule.code_column} levels {levels}"
    where = f" where {show(rule.row_filter)}" if rule.row_filter is not None else ""
    if rule.scope_table and rule.group_by is not None:
        return f"{_w('each_group', lang)}: {rule.scope_table} by {show(rule.group_by)}{where}"
    if rule.scope_table and rule.per_row:
        return f"{_w('each_row', lang)}: {rule.scope_table}{where}"
    return _w("once", lang)


def _reference_line(r: Reference, lang: Lang) -> str:
    parts = [r.text]
    if r.table is not None and r.kind != "table":
        parts.append(f"{'表' if lang == 'zh' else 'table'} {r.table}")
    if r.row is not None:
        column = r.row_column or "?"
        parts.append(
            f"行按 {column} 列匹配 “{r.row}”"
            if lang == "zh"
            else f"row: “{r.row}” in column {column}"
        )
    if r.column is not None:
        kind = f" ({_kind(r.column_kind, lang)})" if r.column_kind else ""
        parts.append(f"{'列' if lang == 'zh' else 'column'} {r.column}{kind}")
    elif r.default_columns:
        parts.append(
            ("默认列 " if lang == "zh" else "default column ") + " / ".join(r.default_columns)
        )
    return " — ".join(parts)


_KINDS = {"amount": ("金额", "amount"), "text": ("文本", "text"), "code": ("编码", "code")}


def _kind(kind: str, lang: Lang) -> str:
    zh, en = _KINDS.get(kind, (kind, kind))
    return zh if lang == "zh" else en


def to_dict(e: Explanation, lang: Lang = "zh") -> dict[str, Any]:
    """One explanation as JSON-ready data."""
    rule, meta = e.rule, e.rule.meta
    out: dict[str, Any] = {
        "rule": meta.id,
        "title": meta.title,
        "severity": meta.severity,
        "description": meta.description,
        "source": meta.source,
        "tags": list(meta.tags),
        "precision": float(e.precision),
        "tolerance": None if e.tolerance is None else float(e.tolerance),
        "location": f"{rule.span.file}:{rule.span.line}",
        "text": [{"line": n, "text": t} for n, t in e.source],
        "scope": _scope(rule, lang),
        "check": show(rule.check) if isinstance(rule, ast.Rule) else None,
        "when": show(rule.when) if isinstance(rule, ast.Rule) and rule.when else None,
        "lets": [
            {"name": let.name, "value": show(let.value)}
            for let in (rule.lets if isinstance(rule, ast.Rule) else ())
        ],
        "references": [r.to_dict() for r in e.references],
    }
    if e.document is not None or e.path is not None:
        out["document"] = {"id": e.document, "path": e.path}
        out["rows"] = [
            {
                "row": t.row,
                "group": t.verdict.group,
                "column": t.column,
                "key": t.key,
                "status": t.verdict.status,
                "message": result_message(t.result_row(), lang),
                "lhs": {
                    "value": _json_number(t.verdict.lhs),
                    "interval": [_json_number(t.verdict.lhs_lo), _json_number(t.verdict.lhs_hi)],
                },
                "rhs": {
                    "value": _json_number(t.verdict.rhs),
                    "interval": [_json_number(t.verdict.rhs_lo), _json_number(t.verdict.rhs_hi)],
                },
                "diff": _json_number(t.diff),
                "tolerance": _json_number(t.tolerance),
                "reason": t.verdict.reason,
                "when": t.when,
                "source": dict(t.source) if t.source else None,
                "trace": t.judgement.to_dict() if t.judgement else None,
            }
            for t in e.rows
        ]
    keys = {"error": "localization", "rounding": "rounding_causes"}
    out.update({keys[kind]: dict(entry) for kind, entry in e.localized.items() if kind in keys})
    return out


def render_json(explanations: Sequence[Explanation], lang: Lang = "zh") -> str:
    """The explanations as a JSON document: ``{"explanations": [...]}``."""
    payload = {"explanations": [to_dict(e, lang) for e in explanations]}
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"


__all__ = [
    "Explanation",
    "Judgement",
    "Reference",
    "RowTrace",
    "Step",
    "explain_rule",
    "find_rules",
    "read_document",
    "references",
    "render_json",
    "render_text",
    "show",
    "source_lines",
    "to_dict",
    "with_localization",
]
