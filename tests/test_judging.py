"""Judging identities at the rounding boundary: exactly n·p/2 away is rounding, beyond is fail."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from frames import TEMPLATE, frames
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------- the table
#
# Every operator at and around each boundary, on every path a comparison takes: the
# linear plan (sums of figures as data), compiled expressions, and the reference
# evaluator. The expected statuses are written out here from the language's definition
# (docs/rules.md, "Comparisons and how they are judged"), not from checker.judging.

OPS = ("=", "!=", "<", "<=", ">", ">=")
Q = Decimal("0.0001")  # what amounts carry: the finest step between two figures


def spec_exact(op: str, d: Decimal, w: Decimal) -> str:
    """Sums and differences of published figures: ``d = lhs − rhs``, ``w`` the two sides'
    total half-width."""
    passes = {"=": d == 0, "!=": d != 0, "<": d < 0, "<=": d <= 0, ">": d > 0, ">=": d >= 0}
    rounding = {"=": abs(d) <= w, "!=": False, "<": d < w, "<=": d <= w, ">": d > -w}
    rounding[">="] = d >= -w
    return "pass" if passes[op] else "rounding" if rounding[op] else "fail"


def spec_division(op: str, d: Decimal, h: Decimal) -> str:
    """After a division, one published figure against an exact literal: "exact" is equal at
    the stated precision (``|d| ≤ h``, ``h = p/2``), which the figure's interval also is."""
    close = abs(d) <= h
    if op == "=":
        return "pass" if close else "fail"
    if op == "!=":
        return "fail" if close else "pass"
    below = op in ("<", "<=")
    beyond = d < -h if below else d > h  # holds beyond the precision
    if op in ("<=", ">="):
        return "pass" if beyond or close else "fail"
    within = d < h if below else d > -h  # the interval reaches across
    return "pass" if beyond else "rounding" if within else "fail"


def _three_paths(
    rules: str, docs: list[dict[str, Any]], *, linear: bool
) -> dict[str, list[tuple[str, str]]]:
    """(rule, status) per document, sorted, from the linear plan (``linear``: every rule
    takes it), the compiled expressions and the reference evaluator."""
    from checker.evaluate import Engine
    from checker.reference import evaluate_documents

    ruleset, diagnostics = resolve_text(rules, "<test>", TEMPLATE)
    assert not diagnostics, [d.format("en") for d in diagnostics]
    ids, tables, statements = frames(docs)
    out: dict[str, list[tuple[str, str]]] = {}
    for name, as_data in (("linear", True), ("expressions", False)):
        engine = Engine(ruleset, TEMPLATE, linear=as_data)
        assert len(engine.linear) == (len(ruleset.rules) if as_data and linear else 0)
        frame = engine.run(ids, tables, statements, cells_for=()).frame
        rows = frame.sort("document", "rule").iter_rows(named=True)
        out[name] = [(f"{r['document']}:{r['rule']}", r["status"]) for r in rows]
    ref = sorted(
        (f"{r.document}:{r.rule}", r.status) for r in evaluate_documents(ruleset, TEMPLATE, docs)
    )
    out["reference"] = ref
    return out


def _offsets(w: Decimal) -> list[Decimal]:
    """At and around each boundary (0, ±w), as far as figures of 4 decimals can be."""
    near = {x + e for x in (Decimal(0), w, -w) for e in (-Q, Decimal(0), Q)}
    near |= {2 * w + Q, -2 * w - Q}
    return sorted(x for x in near if x % Q == 0)


BASE = Decimal(1000)
SHAPES = {  # right side, and how many published figures the comparison holds
    "一个数与字面量": ("1000", 1),
    "两个数": ("来源0", 2),
    "一个数与两数之和": ("来源0 + 来源1 - 来源1", 4),
}


def _exact_case(precision: Decimal) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    """Rules, documents and the expected status of each result, for one precision."""
    rules = f"precision {precision}\nin {T1}:\n"
    for s, (rhs, _) in enumerate(SHAPES.values()):
        for i, op in enumerate(OPS):
            rules += f'  rule S{s}O{i} "t": 收入总计 {op} {rhs}\n'
    docs: list[dict[str, Any]] = []
    want: dict[str, str] = {}
    for s, (_, figures) in enumerate(SHAPES.values()):
        w = figures * precision / 2
        for d in _offsets(w):
            docs.append(_doc(float(BASE + d), [float(BASE), 7.0]))
            for i, op in enumerate(OPS):
                want[f"{len(docs) - 1}:S{s}O{i}"] = spec_exact(op, d, w)
    return rules, docs, want  # each document is expected of its own shape's rules


PRECISIONS = ["0.0002", "0.0004", "0.001", "0.0026", "0.01", "0.05", "0.1", "0.25", "1"]
PRECISIONS += ["3", "100", "10000", "123.4566"]


def _check_exact(precision: Decimal) -> None:
    rules, docs, want = _exact_case(precision)
    for path, got in _three_paths(rules, docs, linear=True).items():
        mine = {k: v for k, v in got if k in want}
        wrong = {k: (v, mine.get(k)) for k, v in want.items() if mine.get(k) != v}
        assert not wrong, (path, precision, wrong)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_every_operator_at_each_boundary_exact_decimals(precision: str) -> None:
    _check_exact(Decimal(precision))


def _division_case(
    precision: Decimal, offsets: list[Decimal]
) -> tuple[str, list[dict[str, Any]], dict[str, str]]:
    rules = f"precision {precision}\nin {T1}:\n"
    for i, op in enumerate(OPS):
        rules += f'  rule D{i} "t": 收入总计 / 1 {op} {BASE}\n'
    docs, want = [], {}
    for d in offsets:
        docs.append(_doc(float(BASE + d), []))
        for i, op in enumerate(OPS):
            want[f"{len(docs) - 1}:D{i}"] = spec_division(op, d, precision / 2)
    return rules, docs, want


def _check_division(precision: Decimal, offsets: list[Decimal]) -> None:
    rules, docs, want = _division_case(precision, offsets)
    for path, got in _three_paths(rules, docs, linear=False).items():
        mine = {k: v for k, v in got if k in want}
        wrong = {k: (v, mine.get(k)) for k, v in want.items() if mine.get(k) != v}
        assert not wrong, (path, precision, wrong)


# precisions whose half is a binary fraction: the boundary itself is exact in floats
@pytest.mark.parametrize("precision", ["0.125", "0.25", "0.5", "1", "2", "64"])
def test_every_operator_at_each_boundary_after_division(precision: str) -> None:
    h = Decimal(precision) / 2
    offsets = sorted({x + e for x in (Decimal(0), h, -h) for e in (-Q, Decimal(0), Q)})
    _check_division(Decimal(precision), offsets)


precisions = st.integers(min_value=1, max_value=5 * 10**9).map(lambda k: k * 2 * Q)


@settings(max_examples=25, deadline=None)
@given(precision=precisions)
def test_every_operator_at_each_boundary_any_precision(precision: Decimal) -> None:
    """Any precision the language accepts (a positive multiple of 0.0002, here up to
    1,000,000): exactly at the boundaries on exact decimals, around them after division."""
    _check_exact(precision)
    h = precision / 2
    candidates = {Decimal(0), 2 * h + Q, *(s * h + e for s in (1, -1) for e in (-Q, Q))}
    # within a float's error of a boundary the verdict may go either way: not asserted
    offsets = sorted(d for d in {c.quantize(Q) for c in candidates} if abs(abs(d) - h) >= Q / 2)
    _check_division(precision, offsets)


@pytest.mark.parametrize(
    ("precision", "valid"),
    [
        ("0.0002", True),
        ("0.015", True),
        ("1", True),
        ("123.4566", True),
        ("100000000", True),
        ("0", False),
        ("0.00001", False),
        ("0.00015", False),
        # half of 0.0001 is finer than amounts carry: the engine's intervals had zero
        # width (rounded to 4 decimals), the reference's not (table test, 0.0001)
        ("0.0001", False),
        ("0.0003", False),
        ("123.4567", False),
    ],
)
def test_which_precisions_are_accepted(precision: str, valid: bool) -> None:
    from checker.judging import valid_precision

    assert valid_precision(Decimal(precision)) is valid
    for text in (f"precision {precision}\n", f'rule R "t":\n  precision {precision}\n  1 = 1\n'):
        _, diagnostics = resolve_text(
            text + f'rule S "t": {T1}[收入总计] = 1\n', "<test>", TEMPLATE
        )
        codes = [d.code for d in diagnostics]
        assert ("rules.syntax.precision-range" in codes) is (not valid), (text, codes)
