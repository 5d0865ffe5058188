"""Linear rules run as data (compile.linear_plan) give exactly what their expressions give.

The default ruleset's document-level sums and differences go through one join of
terms with leaf values; the same rules compiled to expressions are the other
path. Both run over the seed, synthetic documents and single-cell mutants of the
seed (so every status and error reason occurs), and must agree on every field.
"""

from __future__ import annotations

import polars as pl
from ruleset_run import default_run

from checker.evaluate import Engine

FIELDS = ["status", "lhs", "rhs", "lhs_lo", "lhs_hi", "rhs_lo", "rhs_hi", "reason"]
KEYS = ["document", "rule", "row", "column"]


def test_linear_rules_agree_with_their_expressions() -> None:
    run = default_run()
    document = pl.col("document")
    # the seed, 20 synthetic documents and 60 single-cell mutants of the seed
    keep = (document <= 20) | document.is_between(1 + len(run.synthetic), 60 + len(run.synthetic))
    documents = run.documents.filter(keep)
    tables = {role: frame.filter(keep) for role, frame in run.tables.items()}
    statements = run.statements.filter(keep)
    linear = Engine(run.ruleset, run.template)
    assert len(linear.linear) > 400  # most of the default ruleset takes the linear path
    frames = [
        engine.run(documents, tables, statements, cells_for=()).frame.select(KEYS + FIELDS)
        for engine in (linear, Engine(run.ruleset, run.template, linear=False))
    ]
    a, b = (f.sort(KEYS, nulls_last=True) for f in frames)
    ids = {r.rule_id for r in linear.linear}
    assert a.filter(pl.col("rule").is_in(ids))["status"].n_unique() >= 3
    assert a.height == b.height
    assert a.equals(b), a.join(b, on=KEYS, nulls_equal=True, suffix="_expr").filter(
        pl.any_horizontal([~pl.col(c).eq_missing(pl.col(f"{c}_expr")) for c in FIELDS])
    )


def test_the_first_missing_operand_left_to_right_is_the_reason() -> None:
    from frames import TEMPLATE, frames

    from checker.resolve import resolve_text

    table = "部门收支总体情况表"
    rules = f"""precision 0.01 万元
in {table}:
  rule A "a": 收入总计 = 来源0 + 缺一 - 缺二
  rule B "b": 缺二 + 来源0 <= 收入总计 + 缺一
  rule C "c": 收入总计 - 来源0 >= sum({table}.金额 where 项目 = "来源1")
"""
    ruleset, diagnostics = resolve_text(rules, "<test>", TEMPLATE)
    assert not [d for d in diagnostics if d.severity == "error"]
    rows = [{"收支": "收入", "项目": "收入总计", "金额": 3.0}]
    rows += [{"收支": "收入", "项目": f"来源{i}", "金额": v} for i, v in enumerate([1.0, 2.0])]
    docs = [{"tables": {table: {"rows": rows}}, "statements": {}}]
    docs.append({"tables": {table: {"rows": rows[:2]}}, "statements": {}})
    ids, tables, statements = frames(docs)
    engine = Engine(ruleset, TEMPLATE)
    assert {r.rule_id for r in engine.linear} == {"A", "B", "C"}
    got = engine.run(ids, tables, statements).frame.sort("document", "rule")
    expr = Engine(ruleset, TEMPLATE, linear=False).run(ids, tables, statements).frame
    assert got.select(KEYS + FIELDS).equals(expr.sort("document", "rule").select(KEYS + FIELDS))
    reasons = dict(zip(got["rule"], got["reason"], strict=False))  # the last document's
    assert reasons["A"] == f"missing-cell:{table}[缺一].金额"
    assert reasons["B"] == f"missing-cell:{table}[缺二].金额"
    statuses = got.filter(pl.col("document") == 1).select("rule", "status").rows()
    assert statuses == [("A", "error"), ("B", "error"), ("C", "pass")]


def test_rules_of_cells_only_over_several_documents() -> None:
    """No leaf is a sum or count (every leaf's figure-count column is a null literal) and
    there are several documents: the leaf table still has a row per document and leaf."""
    from frames import TEMPLATE, frames

    from checker.resolve import resolve_text

    table = "部门收支总体情况表"
    rules = f"""precision 0.01 万元
in {table}:
  rule A "a": 收入总计 = 来源0 + 来源1
"""
    ruleset, diagnostics = resolve_text(rules, "<test>", TEMPLATE)
    assert not [d for d in diagnostics if d.severity == "error"]
    docs = []
    for total in (3.0, 3.01, 4.0):
        rows = [{"收支": "收入", "项目": "收入总计", "金额": total}]
        rows += [{"收支": "收入", "项目": f"来源{i}", "金额": v} for i, v in enumerate([1.0, 2.0])]
        docs.append({"tables": {table: {"rows": rows}}, "statements": {}})
    ids, tables, statements = frames(docs)
    engine = Engine(ruleset, TEMPLATE)
    assert [r.rule_id for r in engine.linear] == ["A"]
    got = engine.run(ids, tables, statements).frame.sort("document")
    expr = Engine(ruleset, TEMPLATE, linear=False).run(ids, tables, statements).frame
    assert got.select(KEYS + FIELDS).equals(expr.sort("document").select(KEYS + FIELDS))
    assert got["status"].to_list() == ["pass", "rounding", "fail"]
