"""Hints where a rule's author is likely wrong (lint and check alike, Chinese and English):
``!= null``, an unknown function, a ``%`` literal."""

from __future__ import annotations

from pathlib import Path

import pytest
from frames import TEMPLATE
from typer.testing import CliRunner

from checker.cli import app
from checker.diagnostics import Diagnostic
from checker.functions import FUNCTIONS
from checker.resolve import resolve_text

T1 = "部门收支总体情况表"


def _only(text: str) -> Diagnostic:
    _, diagnostics = resolve_text(text, "r.rules", TEMPLATE)
    assert len(diagnostics) == 1, [d.format("en") for d in diagnostics]
    return diagnostics[0]


@pytest.mark.parametrize(
    ("check", "suggested"),
    [
        (f"{T1}[收入总计] != null", "is not null"),
        (f"{T1}[收入总计] ≠ null", "is not null"),
        (f"{T1}[收入总计] <> null", "is not null"),
        (f"{T1}[收入总计] == null", "is null"),
        (f"{T1}[收入总计] = null", "is null"),
        (f"null = {T1}[收入总计]", "is null"),
    ],
)
def test_comparing_with_null_suggests_is_null(check: str, suggested: str) -> None:
    found = _only(f'rule A "t": {check}\n')
    assert found.code == "rules.syntax.compare-null" and found.hint == "rules.hint.is-null"
    assert f"write x {suggested}" in found.format("en")
    assert f"请写 x {suggested}" in found.format("zh")


def test_null_compared_in_an_in_scope_is_caught_too() -> None:
    """Inside ``in 表:`` a bare name is a row label, which is never checked statically:
    ``收入总计 != null`` would have looked for a row called null in every document."""
    found = _only(f'in {T1}:\n  rule A "t": 收入总计 != null\n')
    assert found.code == "rules.syntax.compare-null"
    # a backquoted `null` is a name like any other
    _, diagnostics = resolve_text(f'in {T1}:\n  rule A "t": `null` = 1\n', "r.rules", TEMPLATE)
    assert diagnostics == []


def test_an_unknown_function_lists_the_known_ones() -> None:
    for name, near in (("sumx", "“sum”"), ("frobnicate", None)):
        found = _only(f'rule A "t": {name}({T1}[收入总计]) = 1\n')
        assert found.code == "rules.syntax.unknown-function"
        english, chinese = found.format("en"), found.format("zh")
        for known in FUNCTIONS:  # every function of the registry, in both languages
            assert known in english and known in chinese
        assert "上年" in english  # and the related documents' forms
        if near:
            assert f"did you mean {near}?" in english and f"您是不是要写 {near}" in chinese
        else:
            assert "did you mean" not in english


@pytest.mark.parametrize("percent", ["50%", "50 %", "50％"])
def test_a_percent_literal_says_how_percentages_are_written(percent: str) -> None:
    found = _only(f'rule A "t": pct({T1}[财政拨款], {T1}[收入总计]) <= {percent}\n')
    assert found.code == "rules.syntax.unexpected-char" and found.hint == "rules.hint.percent"
    assert "18.76% is 18.76" in found.format("en") and "pct(part, whole)" in found.format("en")
    assert "18.76% 写作 18.76" in found.format("zh") and "pct(部分, 整体)" in found.format("zh")


def test_lint_shows_the_hints(tmp_path: Path) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text(
        f'rule A "t": {T1}[收入总计] != null\n'
        f'rule B "t": pct({T1}[财政拨款], {T1}[收入总计]) <= 50%\n'
        f'rule C "t": summ({T1}.金额) = 1\n',
        encoding="utf-8",
    )
    done = CliRunner().invoke(app, ["lint", str(rules), "--lang", "en"])
    assert done.exit_code == 3
    for words in ("write x is not null", "18.76% is 18.76", "The functions are sum, count"):
        assert words in done.stdout, done.stdout
    done = CliRunner().invoke(app, ["lint", str(rules)])
    for words in ("请写 x is not null", "18.76% 写作 18.76", "可用的函数：sum、count"):
        assert words in done.stdout, done.stdout
