"""The function registry (checker/functions.py) is the one list of the language's functions:
the docs, the parser, the resolver and both evaluators follow it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from frames import TEMPLATE, frames

from checker.evaluate import evaluate
from checker.functions import FUNCTIONS, markdown_table
from checker.reference import evaluate_documents
from checker.resolve import resolve_text
from checker.syntax import parse_text

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "rules.md"


def test_the_docs_function_table_is_the_registry() -> None:
    """docs/rules.md holds the registry's table verbatim (regenerate it with
    ``python -c 'from checker.functions import markdown_table; print(markdown_table())'``)."""
    assert markdown_table() in DOC.read_text("utf-8")


def test_the_cheat_sheet_names_every_function() -> None:
    text = DOC.read_text("utf-8")
    sheet = text[text.index("## Cheat-sheet") :]
    missing = [name for name in FUNCTIONS if not re.search(rf"\b{name}[(|]", sheet)]
    assert missing == []


def test_every_function_has_both_implementations() -> None:
    for spec in FUNCTIONS.values():
        if spec.result == "aggregate":  # the planner and reference._aggregate run these
            assert spec.polars is None and spec.python is None
        elif spec.expand is None:
            assert spec.polars is not None and spec.python is not None, spec.name
        else:
            assert spec.polars is None and spec.python is None, spec.name


def test_arity_comes_from_the_registry() -> None:
    _, diagnostics = parse_text('rule A "t": round(a, 1, 2) = 1\n', "r.rules")
    [d] = diagnostics
    assert d.code == "rules.syntax.arity" and d.args["expected"] == "1–2"
    _, diagnostics = parse_text('rule A "t": contains(a) \n', "r.rules")
    assert [d.args["expected"] for d in diagnostics] == ["2"]
    _, diagnostics = parse_text('rule A "t": coalesce() = 1\n', "r.rules")
    assert [d.args["expected"] for d in diagnostics] == ["≥1"]


def test_argument_kinds_are_checked() -> None:
    # contains tests texts: an amount there is a type error, like matches
    _, diagnostics = resolve_text(
        'rule A "t": contains(部门收支总体情况表[收入总计], "1")\n', "<t>", TEMPLATE
    )
    assert [d.code for d in diagnostics] == ["rules.resolve.expected-text"]
    _, diagnostics = parse_text('rule A "t": matches(a, b)\n', "r.rules")
    assert [d.code for d in diagnostics] == ["rules.syntax.regex-literal"]
    assert "matches" in diagnostics[0].message("en")


T12 = "项目支出表"
CONTAINS = f"""for each row in {T12}:
  rule C "contains": contains(项目名称, "经费")
  rule D "contains .": contains(项目名称, ".")
  rule E "contains empty": contains(项目名称, "")
  rule F "contains a column": contains(项目名称, 类型)
  rule M "matches is whole text": matches(项目名称, "经费")
  rule S "matches as a search": matches(项目名称, ".*经费.*")
"""


@pytest.mark.parametrize(
    ("name", "kind", "want"),
    [
        (
            "办公楼维修改造经费",
            "特定目标类",
            dict(C="pass", D="fail", E="pass", F="fail", M="fail", S="pass"),
        ),
        ("经费", "经费", dict(C="pass", D="fail", E="pass", F="pass", M="pass", S="pass")),
        ("a.b", None, dict(C="fail", D="pass", E="pass", F="fail", M="fail", S="fail")),
        (None, None, dict(C="fail", D="fail", E="fail", F="fail", M="fail", S="fail")),
    ],
)
def test_contains_and_matches_in_both_evaluators(
    name: str | None, kind: str | None, want: dict[str, str]
) -> None:
    """contains finds the text anywhere, as written; matches takes the whole text; an
    empty text (null) contains nothing — the same in the engine and the reference."""
    ruleset, diagnostics = resolve_text(CONTAINS, "<t>", TEMPLATE)
    assert diagnostics == []
    row = {"项目名称": name, "类型": kind}
    doc: dict[str, Any] = {"tables": {T12: {"rows": [row]}}, "statements": {}}
    ids, tables, statements = frames([doc])
    fast = {
        r["rule"]: r["status"]
        for r in evaluate(ruleset, TEMPLATE, ids, tables, statements).frame.iter_rows(named=True)
    }
    slow = {r.rule: r.status for r in evaluate_documents(ruleset, TEMPLATE, [doc])}
    assert fast == slow == want
