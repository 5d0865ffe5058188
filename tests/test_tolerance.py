"""Materiality thresholds (``tolerance 1 万元``): a difference beyond rounding but within the
rule's tolerance is ``tolerated`` — it passes, is reported as such, and never widens the
rounding intervals. The rule tests (a passing and a failing case) are in
tests/language/tolerance.rules; these check the semantics on every path, the units, the
diagnostics and the reports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from frames import TEMPLATE, frames
from typer.testing import CliRunner

from checker.cli import app
from checker.evaluate import Engine
from checker.reference import evaluate_documents
from checker.resolve import resolve_text

T1 = "部门收支总体情况表"
OPS = ("=", "!=", "<", "<=", ">", ">=")
Q = Decimal("0.0001")


def _doc(total: Decimal, part: Decimal) -> dict[str, Any]:
    rows = [
        {"收支": "收入", "项目": "收入总计", "金额": float(total)},
        {"收支": "收入", "项目": "来源0", "金额": float(part)},
    ]
    return {"tables": {T1: {"rows": rows}}, "statements": {}}


def _statuses(rules: str, docs: list[dict[str, Any]], *, linear: bool = True) -> dict[str, Any]:
    """(document:rule) → status on the linear plan, the compiled expressions and the
    reference evaluator (each must give the same)."""
    ruleset, diagnostics = resolve_text(rules, "<test>", TEMPLATE)
    assert not diagnostics, [d.format("en") for d in diagnostics]
    ids, tables, statements = frames(docs)
    found = []
    for as_data in (True, False):
        engine = Engine(ruleset, TEMPLATE, linear=as_data)
        assert bool(engine.linear) == (as_data and linear)
        frame = engine.run(ids, tables, statements, cells_for=()).frame
        found.append({f"{r['document']}:{r['rule']}": r["status"] for r in frame.to_dicts()})
    ref = evaluate_documents(ruleset, TEMPLATE, docs)
    found.append({f"{r.document}:{r.rule}": r.status for r in ref})
    assert found[0] == found[1] == found[2], found
    return found[0]


def spec(op: str, d: Decimal, w: Decimal, t: Decimal) -> str:
    """The language's definition (docs/rules.md), written out: exact, else within the
    rounding allowance ``w``, else within the tolerance ``t`` on the values themselves."""
    exact = {"=": d == 0, "!=": d != 0, "<": d < 0, "<=": d <= 0, ">": d > 0, ">=": d >= 0}
    rounding = {"=": abs(d) <= w, "!=": False, "<": d < w, "<=": d <= w, ">": d > -w}
    rounding[">="] = d >= -w
    tolerated = {"=": abs(d) <= t, "!=": False, "<": d < t, "<=": d <= t, ">": d > -t}
    tolerated[">="] = d >= -t
    if exact[op]:
        return "pass"
    if rounding[op]:
        return "rounding"
    return "tolerated" if tolerated[op] else "fail"


@pytest.mark.parametrize("where", ["ruleset", "rule"])
def test_every_operator_at_the_tolerance_boundary(where: str) -> None:
    """``收入总计 op 来源0`` at precision 0.01 (w = 0.01) and tolerance 1: each operator at and
    around 0, ±w and ±t, on the linear plan, the expressions and the reference."""
    t, w = Decimal(1), Decimal("0.01")
    header = "precision 0.01\n" + ("tolerance 1\n" if where == "ruleset" else "")
    line = "    tolerance 1\n" if where == "rule" else ""
    rules = (
        header
        + f"in {T1}:\n"
        + "".join(f'  rule O{i} "t":\n{line}    收入总计 {op} 来源0\n' for i, op in enumerate(OPS))
    )
    offsets = sorted({x + e for x in (0, w, -w, t, -t) for e in (-Q, Decimal(0), Q)})
    base = Decimal(100)
    got = _statuses(rules, [_doc(base + d, base) for d in offsets])
    want = {
        f"{k}:O{i}": spec(op, d, w, t) for k, d in enumerate(offsets) for i, op in enumerate(OPS)
    }
    assert got == want
    assert "tolerated" in got.values() and "fail" in got.values()


def test_after_division_the_tolerance_is_on_the_values() -> None:
    """``收入总计 / 1 op 100`` (floats) with tolerance 1: within ±1 of 100 beyond the stated
    precision is tolerated (strict comparisons included)."""
    rules = f"precision 0.5\ntolerance 1\nin {T1}:\n" + "".join(
        f'  rule D{i} "t": 收入总计 / 1 {op} 100\n' for i, op in enumerate(OPS)
    )
    offsets = [Decimal(x) for x in ("-1.5", "-1", "-0.5", "0", "0.25", "0.5", "1", "1.25")]
    got = _statuses(rules, [_doc(Decimal(100) + d, Decimal(0)) for d in offsets], linear=False)
    # =: equal at the stated precision (±0.25) passes; up to 1 away is tolerated
    assert [got[f"{k}:D0"] for k in range(len(offsets))] == [
        *["fail", "tolerated", "tolerated"],
        *["pass", "pass"],
        *["tolerated", "tolerated", "fail"],
    ]
    # <: beyond the precision it passes; the interval reaches 100 at 0 (rounding); then
    # tolerated while 100 + d < 100 + 1
    assert [got[f"{k}:D2"] for k in range(len(offsets))] == [
        *["pass", "pass", "pass"],
        *["rounding", "tolerated", "tolerated"],
        *["fail", "fail"],
    ]


def test_a_tolerance_never_widens_rounding() -> None:
    """The same documents with and without a tolerance: pass and rounding are the same,
    and only a fail can become tolerated."""
    offsets = [Decimal(x) for x in ("0", "0.005", "0.01", "0.0101", "0.02", "0.5", "2")]
    docs = [_doc(Decimal(100) + d, Decimal(100)) for d in offsets]
    plain = f"precision 0.01\nin {T1}:\n" + "".join(
        f'  rule O{i} "t": 收入总计 {op} 来源0\n' for i, op in enumerate(OPS)
    )
    without = _statuses(plain, docs)
    with_tolerance = _statuses(
        plain.replace("precision 0.01\n", "precision 0.01\ntolerance 1\n"), docs
    )
    for key, status in without.items():
        if status != "fail":
            assert with_tolerance[key] == status, key
        else:
            assert with_tolerance[key] in ("fail", "tolerated"), key
    assert list(with_tolerance.values()).count("tolerated") > 0


def test_a_rule_overrides_the_rulesets_tolerance() -> None:
    rules = f"""precision 0.01
tolerance 1
in {T1}:
  rule DEFAULT "t": 收入总计 = 来源0
  rule NONE "t":
    tolerance 0
    收入总计 = 来源0
  rule WIDER "t":
    tolerance 5
    收入总计 = 来源0
"""
    got = _statuses(rules, [_doc(Decimal("102"), Decimal("100"))])
    assert got == {"0:DEFAULT": "fail", "0:NONE": "fail", "0:WIDER": "tolerated"}
    got = _statuses(rules, [_doc(Decimal("100.5"), Decimal("100"))])
    assert got == {"0:DEFAULT": "tolerated", "0:NONE": "fail", "0:WIDER": "tolerated"}


def test_a_rollup_takes_a_tolerance() -> None:
    t3 = "部门支出总体情况表"
    rules = f"""precision 0.01
rollup R "逐级汇总" in {t3} by 科目编码 levels 3, 5 columns 合计:
  tolerance 1
"""
    rows = [
        {"科目编码": "208", "名称": "类", "合计": 10.5},
        {"科目编码": "20801", "名称": "款", "合计": 10.0},
        {"科目编码": "213", "名称": "类", "合计": 12.0},
        {"科目编码": "21301", "名称": "款", "合计": 10.0},
    ]
    docs = [{"tables": {t3: {"rows": rows}}, "statements": {}}]
    ruleset, diagnostics = resolve_text(rules, "<test>", TEMPLATE)
    assert not diagnostics
    ids, tables, statements = frames(docs)
    frame = Engine(ruleset, TEMPLATE).run(ids, tables, statements, cells_for=()).frame
    fast = sorted(frame.select("row", "status").rows())
    slow = sorted((r.row, r.status) for r in evaluate_documents(ruleset, TEMPLATE, docs))
    assert fast == slow == [(0, "tolerated"), (2, "fail")]


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(
    ("header", "line", "ruleset_value", "rule_value"),
    [
        ("precision 1 元\ntolerance 1 万元\n", "", Decimal(10_000), None),
        ("precision 0.01 万元\ntolerance 5000 元\n", "", Decimal("0.5"), None),
        ("precision 0.01 万元\n", "  tolerance 2 万元\n", None, Decimal(2)),
        ("precision 1 元\n", "  tolerance 0.5 万元\n", None, Decimal(5000)),
        ("precision 0.01\n", "  tolerance 3\n", None, Decimal(3)),  # no unit: as written
    ],
)
def test_a_tolerance_is_converted_into_the_rulesets_unit(
    header: str, line: str, ruleset_value: Decimal | None, rule_value: Decimal | None
) -> None:
    text = header + f'rule R "t":\n{line}  {T1}[收入总计] = 1\n'
    ruleset, diagnostics = resolve_text(text, "<test>", TEMPLATE)
    assert diagnostics == []
    [rule] = ruleset.rules
    assert ruleset.tolerance == ruleset_value and rule.tolerance == rule_value
    assert ruleset.tolerance_unit is None and rule.tolerance_unit is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tolerance -1 万元\n", "rules.syntax.tolerance-range"),
        ("tolerance －0.5\n", "rules.syntax.tolerance-range"),
        ("tolerance 0.00001\n", "rules.syntax.tolerance-range"),
        ("tolerance 1 千元\n", "rules.syntax.bad-unit"),
        ("tolerance 一万\n", "rules.syntax.unexpected-token"),
        ("tolerance abc\n", "rules.syntax.unexpected-token"),
        ("tolerance\n", "rules.syntax.unexpected-token"),
        ("tolerance 1\ntolerance 2\n", "rules.syntax.duplicate-header"),
        ("precision 0.01 万元\ntolerance 0.0001 元\n", "rules.resolve.tolerance-scale"),
        ('rule R "t":\n  tolerance -2\n  1 = 1\n', "rules.syntax.tolerance-range"),
        ('rule R "t":\n  tolerance 1\n  tolerance 2\n  1 = 1\n', "rules.syntax.duplicate-meta"),
    ],
)
def test_a_malformed_tolerance_is_an_error(text: str, code: str) -> None:
    _, diagnostics = resolve_text(text + f'rule S "t": {T1}[收入总计] = 1\n', "<test>", TEMPLATE)
    assert code in [d.code for d in diagnostics if d.severity == "error"], [
        d.format("en") for d in diagnostics
    ]


def test_lint_rejects_a_negative_tolerance_in_both_languages(tmp_path: Path) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text(f'tolerance -1 万元\nrule R "t": {T1}[收入总计] = 1\n', encoding="utf-8")
    for lang, words in (("zh", "容差 -1 不可用"), ("en", "tolerance -1 cannot be judged")):
        done = CliRunner().invoke(app, ["lint", str(rules), "--lang", lang])
        assert done.exit_code == 3
        assert words in done.stdout + (done.stderr or ""), done.stdout


def test_an_included_files_tolerance_is_ignored_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "ruleset.rules").write_text(
        'tolerance 1\ninclude "other.rules"\nrule A "t": 1 = 1\n', encoding="utf-8"
    )
    (tmp_path / "other.rules").write_text('tolerance 2\nrule B "t": 1 = 1\n', encoding="utf-8")
    from checker.resolve import load_ruleset

    ruleset, diagnostics = load_ruleset([tmp_path], TEMPLATE)
    assert ruleset.tolerance == 1
    assert [d.code for d in diagnostics] == ["rules.resolve.tolerance-ignored"]


# --------------------------------------------------------------------------- reports

RULES = f"""precision 0.01 万元
tolerance 1 万元
in {T1}:
  rule T-1 "收入总计 = 本年收入合计 + 上年结转结余": 收入总计 = 本年收入合计 + 上年结转结余
"""


@pytest.fixture(scope="module")
def tolerated_document(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The shipped base document with 收入总计 off by 0.50 万元, and RULES."""
    root = Path(__file__).resolve().parents[1]
    doc = json.loads((root / "rulesets/部门预算/tests/base.json").read_text("utf-8"))
    doc["tables"][T1]["rows"][12]["金额"] = 1276.28
    folder = tmp_path_factory.mktemp("tolerance")
    (folder / "doc.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    (folder / "r.rules").write_text(RULES, "utf-8")
    return folder / "doc.json", folder / "r.rules"


def test_check_reports_a_tolerated_difference(tolerated_document: tuple[Path, Path]) -> None:
    doc, rules = tolerated_document
    run = CliRunner().invoke(app, ["check", str(doc), "-r", str(rules)])
    assert run.exit_code == 0  # it passes
    assert (
        "左边 1,276.28，右边 1,275.78，相差 0.50，超出舍入误差 ±0.01，在容差 1.00 之内"
        in run.stdout
    )
    assert "容差内 1" in run.stdout
    run = CliRunner().invoke(app, ["check", str(doc), "-r", str(rules), "--lang", "en"])
    assert "beyond rounding ±0.01 but within the tolerance 1.00" in run.stdout
    run = CliRunner().invoke(app, ["check", str(doc), "-r", str(rules), "--format", "json"])
    report = json.loads(run.stdout)
    [result] = report["results"]
    assert result["status"] == "tolerated" and result["materiality"] == 1.0
    assert result["tolerance"] == 0.01  # the rounding allowance, unchanged
    assert report["summary"]["tolerated"] == 1 and report["summary"]["fail"] == 0
    run = CliRunner().invoke(app, ["check", str(doc), "-r", str(rules), "--format", "html"])
    assert 'class="finding tolerated"' in run.stdout and "在容差 1.00 之内" in run.stdout


def test_explain_shows_the_tolerance(tolerated_document: tuple[Path, Path]) -> None:
    doc, rules = tolerated_document
    args = ["explain", "T-1", "-r", str(rules), "--document", str(doc)]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 0, run.stdout
    assert "  容差  1\n" in run.stdout and "重要性容差 1" in run.stdout
    assert "容差内" in run.stdout  # the verdict
    # a sum's interval arithmetic on a line of its own (it showed as a literal "\n")
    assert "\\n" not in run.stdout
    assert "[1,275.775, 1,275.785] + [0, 0] = [1,275.775, 1,275.785]" in run.stdout
    run = CliRunner().invoke(app, [*args, "--format", "json", "--lang", "en"])
    [explained] = json.loads(run.stdout)["explanations"]
    assert explained["tolerance"] == 1.0
    assert '"tolerated"' in run.stdout and '"materiality": 1.0' in run.stdout
