"""The language's newer constructs (docs/rules.md): their rule tests (tests/language/, a
passing and a failing case each) and the diagnostics for their misuse, in both languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from checker import ast
from checker.api import check_documents, load_rules
from checker.cli import app
from checker.diagnostics import Diagnostic
from checker.explain import explain_rule, render_text
from checker.resolve import resolve_text

LANGUAGE = Path(__file__).resolve().parent / "language"


@pytest.fixture(scope="module")
def rule_tests() -> tuple[int, dict[str, Any]]:
    done = CliRunner().invoke(
        app, ["test", str(LANGUAGE), "--require-coverage", "--format", "json", "--lang", "en"]
    )
    return done.exit_code, json.loads(done.stdout)


def test_every_rule_test_holds_with_a_passing_and_a_failing_case(
    rule_tests: tuple[int, dict[str, Any]],
) -> None:
    code, report = rule_tests
    assert code == 0, [c["problems"] for c in report["cases"] if not c["holds"]]
    assert report["diagnostics"] == []
    assert report["coverage"]["without_pass"] == [] and report["coverage"]["without_fail"] == []


@pytest.mark.parametrize(
    ("construct", "rules"),
    [
        ("between", ("FW-01", "FW-02")),
        ("meta", ("NF-01", "NF-02")),
        ("let", ("LT-01", "LT-02")),
        ("group", ("GR-01", "GR-02")),
        ("functions", ("FN-CONTAINS", "FN-CONTAINS-LITERAL", "FN-MATCHES")),
        ("tolerance", ("TOL-SUM", "TOL-RULE")),
    ],
)
def test_each_construct_has_its_cases(
    rule_tests: tuple[int, dict[str, Any]], construct: str, rules: tuple[str, ...]
) -> None:
    _, report = rule_tests
    held: dict[str, set[str]] = {"pass": set(), "fail": set()}
    for case in report["cases"]:
        if not case["file"].endswith(f"{construct}.cases.json"):
            continue
        for rule, expected in case["expect"].items():
            if expected in held and case["outcomes"][rule] == expected:
                held[expected].add(rule)
    assert held["pass"] >= set(rules) and held["fail"] >= set(rules)


# --------------------------------------------------------------------------- misuse


def _diagnostics(text: str) -> list[Diagnostic]:
    _, found = resolve_text(text, "t.rules")
    return found


def _one(text: str, code: str) -> Diagnostic:
    found = [d for d in _diagnostics(text) if d.code == code]
    assert found, [d.format("en") for d in _diagnostics(text)]
    return found[0]


def _assert_reported(cases: list[tuple[str, str, str, str]]) -> None:
    """Each (rule text, diagnostic code, English part, Chinese part): reported so."""
    for text, code, en, zh in cases:
        found = _one(text, code)
        assert en in found.format("en"), (text, found.format("en"))
        assert zh in found.format("zh"), (text, found.format("zh"))


def test_between_on_text_is_an_error_in_both_languages() -> None:
    text = 'for each row in 部门支出总体情况表:\n  rule X-01 "t": 名称 between 1 and "2"\n'
    found = [d for d in _diagnostics(text) if d.code == "rules.resolve.between-text"]
    assert [d.location.column for d in found] == [18, 35]  # each side that is text
    assert "between compares amounts, but 名称 is text" in found[0].format("en")
    assert "between 比较的是金额，而 名称 是文字" in found[0].format("zh")
    assert "write x between low and high" in found[1].format("en")


def test_between_without_and_is_a_syntax_error_naming_and() -> None:
    text = 'rule X-01 "t": 部门收支总体情况表[收入总计] between 1\n'
    found = _one(text, "rules.syntax.unexpected-token")
    assert "expected: and" in found.format("en") and "期望：and" in found.format("zh")


def test_an_unknown_meta_field_lists_the_known_ones() -> None:
    found = _one('rule X-01 "t": meta.yaer >= 2023\n', "rules.resolve.unknown-meta")
    en, zh = found.format("en"), found.format("zh")
    assert "documents have no field meta.yaer: the known ones are department," in en
    assert "year" in en and "did you mean “year”?" in en
    assert "文档没有字段 meta.yaer：可用的有 department、" in zh
    assert (found.location.line, found.location.column) == (1, 21)  # at the field's name
    assert _one('rule X-01 "t": meta = 1\n', "rules.resolve.unknown-meta")


def test_meta_fields_have_their_kinds() -> None:
    text = 'rule X-01 "t": meta.kind >= 2023\n'  # kind is text
    assert _one(text, "rules.resolve.compare-types")
    assert _diagnostics('rule X-01 "t": meta.year + 1 >= 2023 and meta.kind = "部门预算"\n') == []


def test_a_document_value_inside_an_aggregates_where_is_an_error() -> None:
    for inside, shown in (
        ("合计 > 部门收支总体情况表[收入总计]", "部门收支总体情况表[收入总计].金额"),
        ("meta.year > 2020", "meta.year"),
        ("单位代码 in 部门收入总体情况表.单位代码", "in 部门收入总体情况表.单位代码"),
        ("部门收入总体情况表 is empty", "部门收入总体情况表 is empty"),
    ):
        text = f'rule X-01 "t": sum(部门支出总体情况表.合计 where {inside}) >= 0\n'
        found = _one(text, "rules.resolve.document-value-in-where")
        assert f"{shown} is a value of the whole document" in found.format("en"), inside
        assert f"{shown} 是整份文档的值" in found.format("zh")


def _rule(*lines: str, scope: str | None = None) -> str:
    body = "".join(f"  {line}\n" for line in lines)
    text = f'rule X-01 "t":\n{body}'
    if scope is None:
        return text
    return f"{scope}:\n" + "".join(f"  {line}\n" for line in text.splitlines())


def test_let_misuse_is_reported_in_both_languages() -> None:
    cell = "部门收支总体情况表[收入总计]"
    cases = [
        (
            _rule(f"let a = {cell}", f"let a = {cell} * 2", "a = 1"),
            "rules.resolve.let-duplicate",
            "let a is defined twice in this rule",
            "规则中 let a 重复定义",
        ),
        (
            _rule("let a = b + 1", f"let b = {cell}", "a = 1"),
            "rules.resolve.let-before-definition",
            "b is used before its definition: let b comes later",
            "b 在定义之前被使用",
        ),
        (
            _rule("let a = a + 1", "a = 1"),
            "rules.resolve.let-before-definition",
            "a is used before its definition",
            "a 在定义之前被使用",
        ),
        (
            _rule("let 合计 = 1", "合计 = 1", scope="for each row in 部门支出总体情况表"),
            "rules.resolve.let-shadows",
            "let 合计 has the name of a column of 部门支出总体情况表, 合计",
            "let 合计 与部门支出总体情况表 的列 合计 同名",
        ),
        (
            _rule("let 说明 = 1", "说明 = 1"),
            "rules.resolve.let-shadows",
            "has the name of the prefix 说明",
            "与前缀 说明 同名",
        ),
        (
            _rule("let a = 1", "let b = 2", "b = 2"),
            "rules.resolve.let-unused",
            "let a is never used",
            "let a 没有被使用",
        ),
        (
            _rule("let a = 1", "sum(部门支出总体情况表.合计 where 合计 > a) >= 0"),
            "rules.resolve.let-in-where",
            "let value a cannot be used in an aggregate's where",
            "汇总的 where 里不能用 let 定义的 a",
        ),
        (
            _rule("when 1 = 1", "let a = 1", "a = 1"),
            "rules.syntax.let-order",
            "let a must come before the when and the check",
            "let a 须写在 when 和检查条件之前",
        ),
        (
            _rule("let a > 1", "a = 1"),
            "rules.syntax.let-op",
            "write let 名 = 值",
            "let 应写作 let 名 = 值",
        ),
    ]
    _assert_reported(cases)


def test_a_misspelt_let_name_is_an_unknown_name_suggesting_the_let() -> None:
    text = _rule("let 收支差额 = 部门收支总体情况表[收入总计] - 1", "收支差頟 = 0")
    found = _one(text, "rules.resolve.unknown-name")
    assert "did you mean “收支差额”?" in found.format("en")
    assert "您是不是要写 “收支差额”？" in found.format("zh")


def test_a_let_value_is_resolved_where_it_is_used() -> None:
    text = _rule(
        "let 差额 = 部门收支总体情况表[收入总计] - 部门收支总体情况表[支出总计]",
        "let 名称 = meta.department",
        "when 名称 is not null",
        "差额 = 0",
    )
    ruleset, found = resolve_text(text, "t.rules")
    assert found == []
    rule = ruleset.rules[0]
    assert isinstance(rule, ast.Rule) and [let.name for let in rule.lets] == ["差额", "名称"]
    assert isinstance(rule.check, ast.Compare) and isinstance(rule.check.left, ast.LetRef)
    assert rule.check.left.value == rule.lets[0].value  # the value, as bound


# --------------------------------------------------------------------------- per-group rules

BASE = Path(__file__).resolve().parent.parent / "rulesets" / "部门预算" / "tests" / "base.json"
GROUPS = """precision 0.01 万元
alias 一般表 = 一般公共预算支出情况表
alias 支出表 = 部门支出总体情况表
for each group of 一般表 by left(科目编码, 3) where length(科目编码) = 7:
  rule GR-01 "各类：表五项级之和不超过表三同类":
    let 表三 = sum(支出表.合计 where left(科目编码, 3) = group and length(科目编码) = 7)
    sum(一般表.合计) <= 表三
  rule GR-03 "各类不止一项": count(一般表) > 1
for each amount column c in 一般表:
  for each group of 一般表 by left(科目编码, 3) where length(科目编码) = 7:
    rule GR-04 "各类：各列不超过表三同类":
      sum(一般表.c) <= sum(支出表.c where left(科目编码, 3) = group and length(科目编码) = 7)
"""


@pytest.fixture(scope="module")
def group_rules(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("groups") / "groups.rules"
    path.write_text(GROUPS, encoding="utf-8")
    return load_rules([path])


def _broken_base() -> dict[str, Any]:
    document = json.loads(BASE.read_text("utf-8"))
    document["tables"]["一般公共预算支出情况表"]["rows"][3]["合计"] = 20  # 2080202, class 208
    return document


def test_a_group_finding_names_its_group_and_lists_its_cells(group_rules: Any) -> None:
    report = check_documents([_broken_base()], group_rules, names=["base"])
    found = report.findings().filter(pl.col("rule") == "GR-01").to_dicts()
    assert [f["group"] for f in found] == ["208"] and found[0]["row_key"] == "208"
    assert found[0]["row"] == 2  # the group's first row: 2080201
    cells = found[0]["cells"]
    named = [c["ref"] for c in cells if c["ref"]]
    # the group's sum, then the let value and the sum it names
    assert named == ["sum(一般公共预算支出情况表)", "表三", "sum(部门支出总体情况表)"]
    rows = sorted(
        c["row"] for c in cells if c["table"] == "一般公共预算支出情况表" and c["row"] is not None
    )
    assert rows == list(range(2, 11))  # every 项 row of class 208 in 表五, each a cell
    assert any(c["value"] == 20 and c["row"] == 3 for c in cells)
    # every class in the document has its result, passing where it holds
    counts = report.frame.filter(pl.col("rule") == "GR-03")
    assert sorted(counts["group"].to_list()) == ["208"] and counts["status"].to_list() == ["pass"]
    text = report.to_text(lang="en")
    assert "一般公共预算支出情况表 group [208] (from row 2)" in text
    json_report = json.loads(report.to_json(lang="en"))
    entry = next(r for r in json_report["results"] if r["rule"] == "GR-01")
    assert entry["group"] == "208" and entry["fingerprint"]["key"] == "208"


def test_group_rules_repeat_for_every_column_of_a_template(group_rules: Any) -> None:
    report = check_documents([_broken_base()], group_rules, names=["base"])
    failed = report.findings().filter(pl.col("rule").str.starts_with("GR-04"))
    assert failed.select("rule", "group").rows() == [("GR-04[合计]", "208")]


def test_explain_traces_each_group(group_rules: Any) -> None:
    rule = next(r for r in group_rules.ruleset.rules if r.meta.id == "GR-01")
    explained = explain_rule(rule, group_rules.ruleset, group_rules.template, _broken_base())
    text = render_text([explained], "en")
    assert "scope  per group: 一般公共预算支出情况表 by left(科目编码, 3)" in text
    assert "fail  group 208 (from row 2)" in text
    assert "表三 = 1,272.51" in text  # the let value as a step of its own
    assert [t.verdict.group for t in explained.rows] == ["208"]
    one = explain_rule(rule, group_rules.ruleset, group_rules.template, _broken_base(), row=2)
    assert [t.verdict.status for t in one.rows] == ["fail"]


def test_a_related_document_has_no_current_group() -> None:
    text = (
        "for each group of 部门支出总体情况表 by 科目编码:\n"
        '  rule X-01 "t": sum(部门支出总体情况表.合计) >= 上年(sum(部门支出总体情况表.合计))\n'
    )
    found = _one(text, "rules.resolve.related-row")
    assert "not a column of the current row or the current group" in found.format("en")
    assert "不能引用本行的列或本组" in found.format("zh")


def test_group_misuse_is_reported_in_both_languages() -> None:
    head = 'for each group of 部门支出总体情况表 by {key}:\n  rule X-01 "t": {check}\n'
    cases = [
        (
            head.format(key="合计", check="count(部门支出总体情况表) > 0"),
            "rules.resolve.group-key-kind",
            "the group key 合计 is an amount",
            "分组的键 合计 是金额",
        ),
        (
            head.format(key="部门收支总体情况表[收入总计]", check="1 = 1"),
            "rules.resolve.group-key-kind",
            "is an amount",
            "是金额",
        ),
        (
            head.format(key="left(meta.kind, 1)", check="count(部门支出总体情况表) > 0"),
            "rules.resolve.group-reads-row",
            "meta.kind is not a value of the row",
            "meta.kind 不是行中的值",
        ),
        (
            head.format(key="科目编码", check="合计 > 0"),
            "rules.resolve.group-column",
            "合计 is a column of 部门支出总体情况表, and a group has many rows",
            "用 sum(部门支出总体情况表.合计) 等汇总这一组",
        ),
        (
            'rule X-01 "t": group = "208"\n',
            "rules.resolve.group-outside",
            "group (the current group's key) is only valid in a for each group rule",
            "只能用在 for each group 的规则中",
        ),
        (
            "for each group of 部门支出总体情况表 by 科目编码:\n"
            "  for each row in 部门支出总体情况表:\n"
            '    rule X-01 "t": 合计 > 0\n',
            "rules.syntax.group-nesting",
            "a for each group block holds rules",
            "for each group 的块中只能直接写规则",
        ),
        (
            "for each group of 部门支出总体情况表 by left(科目编码, 2.5):\n"
            '  rule X-01 "t": 1 = 1\n',
            "rules.syntax.round-digits",
            "the argument n of left must be a whole number",
            "left 的参数 n 应是一个整数",
        ),
    ]
    _assert_reported(cases)


def test_analyze_leaves_per_group_rules_out_and_sees_through_let() -> None:
    """A group's aggregates range over one group's rows: not the whole-table sums analyze
    models; a let value is its expression (LT-01 and LT-02 call functions)."""
    done = CliRunner().invoke(app, ["analyze", str(LANGUAGE), "--lang", "en"])
    assert "a per-group rule (for each group): 2: GR-01, GR-02" in done.stdout, done.stdout
    assert "calls a function: 2: LT-01, LT-02" in done.stdout
