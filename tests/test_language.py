"""The language's newer constructs (docs/rules.md): their rule tests (tests/language/, a
passing and a failing case each) and the diagnostics for their misuse, in both languages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from checker import ast
from checker.cli import app
from checker.diagnostics import Diagnostic
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
    for text, code, en, zh in cases:
        found = _one(text, code)
        assert en in found.format("en"), (text, found.format("en"))
        assert zh in found.format("zh"), (text, found.format("zh"))


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
