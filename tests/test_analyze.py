"""``rulecheck analyze`` (issue 18): contradictory rule sets, redundant rules, ``when``
conditions that never hold, rules without tests.

* **planted** (acceptance): ``tests/analyze/planted`` holds a contradiction, a contradiction
  of identities that only rounding reconciles, redundant rules (one implied by three others,
  a duplicate, a table-total rule implied by a per-row rule), ``when`` conditions that never
  hold, and a case file testing two rules; ``analyze`` names them all, through the real
  command line.
* **model**: strict comparisons, whole counts, the schema's ``minimum``, per-row rules and
  exclusive conditions, each on a small ruleset.
* **shipped rulesets**: the output on every ruleset of ``rulesets/`` was reviewed by hand
  (each ruleset's README, "rulecheck analyze") and is pinned in its ``analysis.golden.json``;
  ``RULECHECK_UPDATE_GOLDEN=1 pytest tests/test_analyze.py`` rewrites them (review the diff
  and the READMEs). Every rule the engine runs as a linear rule is analysed.
"""

from __future__ import annotations

import json
import os
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cli_run import rulecheck
from typer.testing import CliRunner, Result

from checker.analysis import Analysis, analyze
from checker.analysis.render import render_text, to_dict
from checker.api import load_rules
from checker.ast import Rule
from checker.cli import app
from checker.compile import Leaf, Planner, linear_rule
from checker.documents import load_schema
from checker.documents.registry import template_of_rules
from checker.units import table_halves

ROOT = Path(__file__).resolve().parents[1]
PLANTED = ROOT / "tests" / "analyze" / "planted"
SHIPPED = ("部门预算", "部门预算-上海", "部门决算-上海", "部门预算-江苏2019")

HEADER = """ruleset "t" version "1"
precision 0.01 万元
alias 收支表 = 部门收支总体情况表
alias 支出表 = 部门支出总体情况表
"""


def _ids(members: list[dict[str, Any]]) -> list[str]:
    return [m["rule"] for m in members]


# --------------------------------------------------------------------------- planted


def test_planted_ruleset_through_the_command_line() -> None:
    proc = rulecheck("analyze", str(PLANTED.relative_to(ROOT)), "--format", "json")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a contradiction
    report = json.loads(proc.stdout)
    assert report["summary"]["exit_code"] == 1

    contradictions = {tuple(_ids(c["rules"])): c["rounding"] for c in report["contradictions"]}
    assert contradictions == {("T-06", "T-07"): True, ("T-08", "T-09"): False}
    # exclusive conditions (exists / not exists) never apply together: no contradiction
    assert not any("T-13" in rules for rules in contradictions)

    redundant = {r["rule"]: r for r in report["redundant"]}
    assert set(redundant) == {"T-01", "T-02", "T-03", "T-04", "T-05", "T-21"}
    assert _ids(redundant["T-04"]["implied_by"]) == ["T-01", "T-02", "T-03"]
    assert not redundant["T-04"]["with_rounding"]  # three rules' rounding adds up
    assert _ids(redundant["T-05"]["implied_by"]) == ["T-02"]
    assert redundant["T-05"]["with_rounding"]
    assert redundant["T-21"]["implied_by"] == [{"rule": "T-20", "row": "部门支出总体情况表[合计]"}]
    assert redundant["T-21"]["with_rounding"]
    assert "T-22" not in redundant
    # the ones marked removable can go together: never both T-02 and T-05 with T-01..T-04
    removable = {r for r, v in redundant.items() if v["removable"]}
    assert "T-21" in removable and not {"T-01", "T-02", "T-03", "T-04", "T-05"} <= removable

    verdicts = {v["rule"]: v for v in report["conditions"]["findings"]}
    assert verdicts["T-10"]["verdict"] == "never"
    assert verdicts["T-11"]["verdict"] == "never-passing"
    assert _ids(verdicts["T-11"]["blocked_by"]) in (["T-02"], ["T-05"])
    assert verdicts["T-12"]["verdict"] == "not-analysed"
    assert set(verdicts) == {"T-10", "T-11", "T-12"}

    tests = report["tests"]
    assert (tests["files"], tests["cases"]) == (1, 2)
    assert "T-01" not in tests["without_pass"] and "T-02" not in tests["without_pass"]
    assert "T-01" not in tests["without_fail"] and "T-02" in tests["without_fail"]
    assert "T-21" in tests["without_pass"] and "T-21" in tests["without_fail"]
    assert report["not_analysed"] == [{"rule": "T-23", "reason": "text", "why": "比较文字"}]


def _invoke(*args: str) -> Result:
    """``rulecheck analyze ARGS`` in this process (the command line's own code)."""
    return CliRunner().invoke(app, ["analyze", *args])


def test_planted_ruleset_text_in_both_languages() -> None:
    path = str(PLANTED.relative_to(ROOT))
    zh = rulecheck("analyze", path)
    assert zh.returncode == 1
    assert "矛盾 1：没有文档能同时通过这 2 条规则，计入尾差也不能" in zh.stdout
    assert "T-06  “一般公共预算至少 10”" in zh.stdout
    assert "矛盾 2：这 2 条规则作为恒等式不能同时成立" in zh.stdout
    assert "由 T-20 @ 部门支出总体情况表[合计] 推出" in zh.stdout
    assert "永不成立" in zh.stdout
    en = _invoke(str(PLANTED), "--lang", "en")
    assert en.exit_code == 1
    assert "contradiction 1: no document can pass these 2 rules together" in en.output
    assert "follows from T-01, T-02, T-03" in en.output
    assert "can never hold" in en.output and "not analysed: T-12" in en.output


def test_without_the_contradictions_exit_0(tmp_path: Path) -> None:
    target = tmp_path / "planted"
    shutil.copytree(PLANTED, target)
    rules = target / "ruleset.rules"
    kept = [
        line
        for line in rules.read_text("utf-8").splitlines()
        if not any(f"rule T-0{n} " in line for n in (6, 7, 8, 9))
    ]
    rules.write_text("\n".join(kept) + "\n", "utf-8")
    proc = rulecheck("analyze", str(target))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "矛盾：无" in proc.stdout


def test_bad_input_exit_codes(tmp_path: Path) -> None:
    broken = tmp_path / "broken.rules"
    broken.write_text(HEADER + 'rule X-01 "x": 收支表[收入总计] = \n', "utf-8")
    proc = rulecheck("analyze", str(broken))
    assert proc.returncode == 3 and "broken.rules:5" in proc.stderr
    assert _invoke(str(tmp_path / "missing.rules")).exit_code == 2
    assert _invoke(str(PLANTED), "--lang", "fr").exit_code == 2
    assert _invoke(str(PLANTED), "--schema", str(tmp_path / "none.json")).exit_code == 2


# --------------------------------------------------------------------------- the model


def _analyse(tmp_path: Path, text: str, schema: Path | None = None) -> Analysis:
    path = tmp_path / "t.rules"
    path.write_text(HEADER + text, "utf-8")
    rules = load_rules([path], schema=schema)
    return analyze(rules, [str(path)], load_schema(schema))


def _contradictions(analysis: Analysis) -> dict[tuple[str, ...], bool]:
    return {tuple(m.rule for m in c.members): c.rounding for c in analysis.contradictions}


def _redundant(analysis: Analysis) -> dict[str, list[str]]:
    return {r.rule: [m.rule for m in r.implied_by] for r in analysis.redundancies}


def test_strict_comparisons(tmp_path: Path) -> None:
    # a < b and a > b: the identities exclude each other, rounding reconciles them
    found = _analyse(
        tmp_path,
        'rule A-1 "a": 收支表[收入总计] < 收支表[支出总计]\n'
        'rule A-2 "b": 收支表[收入总计] > 收支表[支出总计]\n'
        'rule B-1 "c": 收支表[本年收入合计] <= 收支表[本年支出合计]\n'
        'rule B-2 "d": 收支表[本年收入合计] >= 收支表[本年支出合计] + 1\n'
        'rule C-1 "e": 收支表[上年结转结余] <= 收支表[年终结转结余]\n'
        'rule C-2 "f": 收支表[上年结转结余] >= 收支表[年终结转结余]\n',
    )
    # C-1 and C-2 hold together (equal amounts): not a contradiction
    assert _contradictions(found) == {("A-1", "A-2"): False, ("B-1", "B-2"): True}


def test_counts_are_whole_numbers(tmp_path: Path) -> None:
    found = _analyse(
        tmp_path,
        'rule N-1 "有项": count(支出表 where 科目编码 is not null) > 0\n'
        'rule N-2 "不到一项": count(支出表 where 科目编码 is not null) < 1\n',
    )
    assert _contradictions(found) == {("N-1", "N-2"): True}


def test_between_and_the_documents_own_fields(tmp_path: Path) -> None:
    found = _analyse(
        tmp_path,
        'rule B-1 "区间": 收支表[收入总计] between 1 and 2\n'
        'rule B-2 "至少 3": 收支表[收入总计] >= 3\n'
        'rule Y-1 "年份不早于 2030": meta.year >= 2030\n'
        'rule Y-2 "年份不晚于 2020": meta.year <= 2020\n',
    )
    # meta.year is the document's own field: exact, no rounding to reconcile the two
    assert _contradictions(found) == {("B-1", "B-2"): True, ("Y-1", "Y-2"): True}


def test_a_tolerance_widens_what_a_rule_accepts(tmp_path: Path) -> None:
    found = _analyse(
        tmp_path,
        'rule T-1 "相等，容差 1": \n'
        "  tolerance 1 万元\n"
        "  收支表[收入总计] = 收支表[支出总计]\n"
        'rule T-2 "至少多 0.5": 收支表[收入总计] >= 收支表[支出总计] + 0.5\n'
        'rule T-3 "不设容差": 收支表[本年收入合计] = 收支表[本年支出合计]\n'
        'rule T-4 "至少多 0.5（同上）": 收支表[本年收入合计] >= 收支表[本年支出合计] + 0.5\n'
        'rule T-5 "相等，容差 1": \n'
        "  tolerance 1 万元\n"
        "  收支表[上年结转结余] = 收支表[年终结转结余]\n"
        'rule T-6 "相差不超过 2": 收支表[上年结转结余] <= 收支表[年终结转结余] + 2\n'
        'rule T-7 "相差不超过 0.5": 收支表[上年结转结余] <= 收支表[年终结转结余] + 0.5\n',
    )
    # T-1 tolerates 0.5 (a document passes both), T-3 does not; as identities both fail
    assert _contradictions(found) == {("T-1", "T-2"): False, ("T-3", "T-4"): True}
    # T-6 and T-7 follow from T-5 as identities; with its tolerance (up to 1) only T-6
    with_rounding = {r.rule: r.rounding_by is not None for r in found.redundancies}
    assert with_rounding == {"T-6": True, "T-7": False}


def test_a_rule_that_always_holds(tmp_path: Path) -> None:
    found = _analyse(
        tmp_path,
        'rule C-1 "项目数不为负": count(支出表 where 科目编码 is not null) >= 0\n'
        'rule C-2 "收入总计不为负": 收支表[收入总计] >= 0\n',
    )
    # a count is a whole number ≥ 0; an amount may be negative (no minimum in the schema)
    assert _redundant(found) == {"C-1": []}
    assert "恒成立" in render_text(found)


def test_non_negative_only_where_the_schema_says(tmp_path: Path) -> None:
    # (< 0 would pass by rounding with both 0: their intervals reach below 0)
    text = 'rule M-1 "负数": 收支表[收入总计] + 收支表[支出总计] < -1\n'
    assert not _analyse(tmp_path, text).contradictions  # the shipped schema: any sign
    schema = json.loads((ROOT / "schemas" / "budget-document.schema.json").read_text("utf-8"))
    schema["$defs"]["amount"]["minimum"] = 0
    path = tmp_path / "nonnegative.schema.json"
    path.write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    assert _contradictions(_analyse(tmp_path, text, path)) == {("M-1",): True}


def test_per_row_rules(tmp_path: Path) -> None:
    found = _analyse(
        tmp_path,
        "for each row in 支出表:\n"
        '  rule R-1 "每行": 合计 = 基本支出.小计 + 项目支出.小计\n'
        "for each row in 支出表 where 科目编码 is not null:\n"
        '  rule R-2 "有编码的行": 合计 = 基本支出.小计 + 项目支出.小计\n'
        '  rule R-3 "有编码的行：基本不超过合计": 基本支出.小计 <= 合计\n'
        'rule R-4 "合计行": 支出表[合计].合计 = '
        "支出表[合计].基本支出.小计 + 支出表[合计].项目支出.小计\n",
    )
    redundant = _redundant(found)
    # R-1 (every row) covers R-2's rows and the 合计 row; R-2 (some rows) covers neither
    assert redundant == {"R-2": ["R-1"], "R-4": ["R-1"]}
    rows = {r.rule: r.row for r in found.redundancies}
    assert rows["R-2"] == "部门支出总体情况表[*] where 科目编码 is not null"


def test_conditions_decide_which_rules_apply(tmp_path: Path) -> None:
    found = _analyse(
        tmp_path,
        'rule W-1 "无条件": 收支表[收入总计] = 收支表[支出总计]\n'
        'rule W-2 "有条件":\n'
        "  when exists 收支表[财政拨款]\n"
        "  收支表[收入总计] = 收支表[支出总计]\n"
        'rule W-3 "有条件的另一条":\n'
        "  when 收支表[上年结转结余] = 0\n"
        "  收支表[本年收入合计] = 收支表[本年支出合计]\n"
        'rule W-4 "同条件下推出":\n'
        "  when 收支表[上年结转结余] = 0\n"
        "  收支表[本年收入合计] <= 收支表[本年支出合计]\n",
    )
    # W-2 applies only sometimes: it cannot stand for W-1, W-1 stands for it
    assert _redundant(found) == {"W-2": ["W-1"], "W-4": ["W-3"]}


# --------------------------------------------------------------------------- shipped rulesets


def _shipped(name: str) -> tuple[Analysis, Any]:
    path = f"rulesets/{name}"
    found = template_of_rules(path)
    assert found is not None
    schema = str(found.schema_file)
    rules = load_rules([path], schema=schema)
    return analyze(rules, [path], load_schema(schema)), rules


def _pinned(analysis: Analysis) -> dict[str, Any]:
    """The report without titles, files and lines (edits elsewhere in a file move those)."""
    report = to_dict(analysis)

    def members(ms: list[dict[str, Any]] | None) -> list[str] | None:
        if ms is None:
            return None
        return [m["rule"] + (f" @ {m['row']}" if m.get("row") else "") for m in ms]

    return {
        "summary": report["summary"],
        "contradictions": [
            {"rounding": c["rounding"], "rules": members(c["rules"])}
            for c in report["contradictions"]
        ],
        "unchecked": report["unchecked"],
        "redundant": [
            {
                "rule": r["rule"] + (f" @ {r['row']}" if r["row"] else ""),
                "implied_by": members(r["implied_by"]),
                "rounding_by": members(r["rounding_by"]),
                "own_condition": r["own_condition"],
                "removable": r["removable"],
            }
            for r in report["redundant"]
        ],
        "conditions": {
            "total": report["conditions"]["total"],
            "analysed": report["conditions"]["analysed"],
            "in_part": report["conditions"]["in_part"],
            "findings": [
                {"rule": v["rule"], "verdict": v["verdict"], "blocked_by": members(v["blocked_by"])}
                for v in report["conditions"]["findings"]
            ],
        },
        "tests": {k: v for k, v in report["tests"].items() if k != "diagnostics"},
        "not_analysed": {r["rule"]: r["reason"] for r in report["not_analysed"]},
    }


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_ruleset_analysis_is_pinned(name: str) -> None:
    analysis, rules = _shipped(name)
    # every rule the engine runs as a linear rule (compile.linear_rule, as Engine asks) is
    # analysed
    ruleset, precision = rules.ruleset, rules.ruleset.precision or Decimal("0.01")
    planner = Planner(rules.template)
    planner.halves = table_halves(ruleset, rules.template, precision / 2)
    leaves: dict[str, Leaf] = {}
    linear = {
        r.meta.id
        for r in ruleset.rules
        if isinstance(r, Rule) and linear_rule(r, planner, precision, leaves) is not None
    }
    assert len(linear) > 50
    skipped = {r.id for r in analysis.model.rules if r.reason is not None}
    assert linear & skipped == set()
    current = _pinned(analysis)
    golden = ROOT / "rulesets" / name / "analysis.golden.json"
    if os.environ.get("RULECHECK_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert current == json.loads(golden.read_text("utf-8"))
    assert not analysis.contradictions  # reviewed: the shipped rulesets are consistent
    readme = (ROOT / "rulesets" / name / "README.md").read_text("utf-8")
    assert "rulecheck analyze" in readme  # the result is written up there
