"""Judging identities at the rounding boundary: exactly n·p/2 away is rounding, beyond is fail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from frames import TEMPLATE, frames

from checker.evaluate import evaluate
from checker.resolve import resolve_text

T1 = "部门收支总体情况表"


def _doc(
    total: float, parts: list[float | None], statements: dict[str, float] | None = None
) -> dict[str, Any]:
    rows = [{"收支": "收入", "项目": "收入总计", "金额": total}]
    rows += [{"收支": "收入", "项目": f"来源{i}", "金额": v} for i, v in enumerate(parts)]
    return {
        "tables": {T1: {"rows": rows}},
        "statements": {k: {"value": v} for k, v in (statements or {}).items()},
    }


def _run(rules: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ruleset, diagnostics = resolve_text(rules, "<test>", TEMPLATE)
    assert not [d for d in diagnostics if d.severity == "error"], [
        d.format("en") for d in diagnostics
    ]
    ids, tables, statements = frames(docs)
    frame = evaluate(ruleset, TEMPLATE, ids, tables, statements).frame
    return list(frame.sort("document").iter_rows(named=True))


SUM2 = f"""precision 0.01 万元
in {T1}:
  rule R "收入总计 = 来源0 + 来源1": 收入总计 = 来源0 + 来源1
"""


@pytest.mark.parametrize(
    ("total", "parts", "status"),
    [
        (3.00, [1.00, 2.00], "pass"),
        (3.01, [1.00, 2.00], "rounding"),  # 0.01 < 3 · 0.005
        (3.015, [1.00, 2.00], "rounding"),  # exactly 3 · p/2: the intervals touch
        (3.0151, [1.00, 2.00], "fail"),  # just beyond
        (2.985, [1.00, 2.00], "rounding"),
        (2.9849, [1.00, 2.00], "fail"),
        (4.00, [1.00, 2.00], "fail"),  # a 1.00 error is never rounding
        (1.00, [1.00, None], "pass"),  # an empty cell is an exact 0
        (1.005, [1.00, None], "rounding"),  # 2 published terms: 2 · p/2
        (1.0101, [1.00, None], "fail"),
    ],
)
def test_boundary(total: float, parts: list[float | None], status: str) -> None:
    [result] = _run(SUM2, [_doc(total, parts)])
    assert result["status"] == status, result


def test_precision_is_overridable_per_rule() -> None:
    rules = f"""precision 0.01 万元
in {T1}:
  rule R "宽松":
    precision 1
    收入总计 = 来源0 + 来源1
"""
    [result] = _run(rules, [_doc(4.00, [1.00, 2.00])])
    assert result["status"] == "rounding"  # 1.00 off, allowed 3 · 0.5


def test_exact_decimals_no_float_noise() -> None:
    [result] = _run(SUM2, [_doc(0.3, [0.1, 0.2])])
    assert result["status"] == "pass"
    assert result["lhs"] == 0.3 and result["rhs"] == 0.3 and result["diff"] == 0


def test_missing_row_is_an_error_that_says_which() -> None:
    rules = f"""in {T1}:
  rule R "收入总计 = 不存在 + 来源0": 收入总计 = 不存在 + 来源0
"""
    [result] = _run(rules, [_doc(1.0, [1.0])])
    assert result["status"] == "error"
    assert result["reason"] == f"missing-cell:{T1}[不存在].金额"


def test_division_by_zero_is_an_error() -> None:
    rules = """rule R "占比": 说明.支出.基本支出占比 = pct(说明.支出.基本支出, 说明.支出.支出合计)
"""
    doc = _doc(1.0, [], {"支出.基本支出占比": 18.76, "支出.基本支出": 888.63, "支出.支出合计": 0})
    [result] = _run(rules, [doc])
    assert result["status"] == "error" and result["reason"] == "division-by-zero:"


@pytest.mark.parametrize(
    ("stated", "status"),
    [(18.76, "pass"), (18.768, "pass"), (18.77, "fail"), (18.75, "fail")],
)
def test_percentages_are_judged_at_their_stated_precision(stated: float, status: str) -> None:
    # 888.63 / 4736.03 = 18.7632…% (the rounded inputs allow [18.7630, 18.7634]): a stated
    # 18.76 or 18.768 (± 0.005) covers it; 18.77 and 18.75 do not.
    rules = """rule R "占比": 说明.支出.基本支出占比 = pct(说明.支出.基本支出, 说明.支出.支出合计)
"""
    doc = _doc(
        1.0, [], {"支出.基本支出占比": stated, "支出.基本支出": 888.63, "支出.支出合计": 4736.03}
    )
    [result] = _run(rules, [doc])
    assert result["status"] == status, result


def test_when_false_is_skipped() -> None:
    rules = f"""in {T1}:
  rule R "条件":
    when 来源0 > 5
    收入总计 = 来源0
"""
    results = _run(rules, [_doc(9.0, [1.0]), _doc(9.0, [9.0])])
    assert [r["status"] for r in results] == ["skipped", "pass"]


def test_interval_arithmetic_of_differences() -> None:
    # a - b with both published: the width adds up (two half-units), it does not cancel
    rules = f"""precision 0.01
in {T1}:
  rule R "收入总计 = 来源0 - 来源1": 收入总计 = 来源0 - 来源1
"""
    [ok] = _run(rules, [_doc(1.015, [3.0, 2.0])])
    [bad] = _run(rules, [_doc(1.0151, [3.0, 2.0])])
    assert (ok["status"], bad["status"]) == ("rounding", "fail")
    assert Decimal(str(ok["tolerance"])) == Decimal("0.015")


# After a division the values are floats, and "exact" means "equal at the stated
# precision". A strict comparison must not count that as satisfied: with a ratio of
# exactly 50, `pct(a, b) < 50` and `> 50` cannot both pass (they did, in both evaluators).
STRICT = f"""precision 0.01 万元
in {T1}:
  rule LT "占比 < 50": pct(来源0, 收入总计) < 50
  rule GT "占比 > 50": pct(来源0, 收入总计) > 50
  rule LE "占比 <= 50": pct(来源0, 收入总计) <= 50
  rule NE "占比 != 50": pct(来源0, 收入总计) != 50
"""


def test_strict_comparisons_after_division_are_not_satisfied_by_equality() -> None:
    from checker.reference import evaluate_documents

    docs = [_doc(200.0, [100.0])]
    got = {r["rule"]: r["status"] for r in _run(STRICT, docs)}
    assert got["LE"] == "pass"
    assert got["LT"] != "pass" and got["GT"] != "pass"
    assert got["NE"] != "pass"
    ruleset, _ = resolve_text(STRICT, "<test>", TEMPLATE)
    reference = {r.rule: r.status for r in evaluate_documents(ruleset, TEMPLATE, docs)}
    assert reference == got
    # clearly apart: the strict comparisons pass
    apart = {r["rule"]: r["status"] for r in _run(STRICT, [_doc(200.0, [90.0])])}
    assert apart["LT"] == "pass" and apart["NE"] == "pass" and apart["GT"] == "fail"


@pytest.mark.parametrize("precision", ["0.00001", "0", "0.00015"])
def test_a_precision_finer_than_amounts_carry_is_refused(precision: str) -> None:
    _, diagnostics = resolve_text(
        f'precision {precision}\nrule R "t": {T1}[收入总计] = 1\n', "<test>", TEMPLATE
    )
    assert "rules.syntax.precision-range" in [d.code for d in diagnostics]
