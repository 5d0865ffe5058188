"""`rulecheck test`: rule tests as data (docs/rule-tests.md), through the real entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from checker.api import load_rules
from checker.cli import app
from checker.documents import load_documents, load_objects

ROOT = Path(__file__).resolve().parent.parent
RULESET = ROOT / "rulesets" / "部门预算"
BASE = RULESET / "tests" / "base.json"

SMALL_RULES = """\
in 部门收支总体情况表:
  rule T-01 "收入总计 = 本年收入合计 + 上年结转结余":
    收入总计 = 本年收入合计 + 上年结转结余

for each row in 三公经费支出情况表:
  rule T-02 "三公合计 = 三项之和":
    合计 = 因公出国(境)费 + 公务用车购置及运行费.小计 + 公务接待费
"""
TOTAL = "/tables/部门收支总体情况表/rows/12/金额"  # 收入总计 in the base document


def _run(*args: str) -> Result:
    return CliRunner().invoke(app, ["test", *args])


def _small(tmp_path: Path, cases: list[dict[str, Any]], base: str | None = None) -> Path:
    """A one-file ruleset with a case file beside it (the shipped base document)."""
    (tmp_path / "small.rules").write_text(SMALL_RULES, encoding="utf-8")
    data = {"base": base or str(BASE), "cases": cases}
    (tmp_path / "small.cases.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return tmp_path / "small.rules"


# --------------------------------------------------------------------------- the default ruleset


@pytest.fixture(scope="module")
def default_run() -> tuple[int, dict[str, Any]]:
    done = _run(str(RULESET), "--require-coverage", "--format", "json", "--lang", "en")
    return done.exit_code, json.loads(done.stdout)


def test_default_ruleset_cases_all_hold(default_run: tuple[int, dict[str, Any]]) -> None:
    code, report = default_run
    assert code == 0, [c["problems"] for c in report["cases"] if not c["holds"]][:5]
    assert report["diagnostics"] == []
    assert report["summary"]["do_not_hold"] == 0 and report["summary"]["not_run"] == 0
    assert len(report["files"]) == 16  # one case file per rule file


def test_every_rule_has_a_passing_and_a_failing_case(
    default_run: tuple[int, dict[str, Any]],
) -> None:
    _, report = default_run
    ids = {r.meta.id for r in load_rules().ruleset.rules}
    assert len(ids) == 569
    held: dict[str, set[str]] = {"pass": set(), "fail": set()}
    for case in report["cases"]:
        for rule, expected in case["expect"].items():
            if expected in held and case["outcomes"][rule] == expected:
                held[expected].add(rule)
    assert held["pass"] == ids
    assert held["fail"] == ids
    assert report["coverage"] == {
        "required": True,
        "rules": 569,
        "without_pass": [],
        "without_fail": [],
    }


def test_a_wrong_expectation_in_a_copy_fails_naming_case_and_rule(tmp_path: Path) -> None:
    for path in RULESET.glob("*.rules"):
        shutil.copy(path, tmp_path)
    (tmp_path / "tests").mkdir()
    shutil.copy(BASE, tmp_path / "tests")
    source = json.loads((RULESET / "tests" / "三公经费表.cases.json").read_text("utf-8"))
    failing = next(c for c in source["cases"] if c["expect"] == {"SG-01": "fail"})
    failing["expect"] = {"SG-01": "pass"}  # wrong: the edit breaks SG-01
    text = json.dumps(source, ensure_ascii=False)
    (tmp_path / "tests" / "三公经费表.cases.json").write_text(text, "utf-8")
    done = _run(str(tmp_path), "--lang", "en")
    assert done.exit_code == 1, done.output
    line = next(x for x in done.stdout.splitlines() if "SG-01 expected pass, got fail" in x)
    assert failing["name"] in line
    assert "三公经费表.cases.json /cases/" in line and "/expect/SG-01" in line
    assert "0 do not" not in done.stdout


# --------------------------------------------------------------------------- the runner


def test_outcomes_and_worst_status(tmp_path: Path) -> None:
    cases = [
        {"name": "base", "expect": {"T-01": "pass", "T-02": "pass"}},
        {"name": "off by 1", "set": {TOTAL: 1276.78}, "expect": {"T-01": "fail", "T-02": "pass"}},
        {"name": "off by 0.01", "set": {TOTAL: 1275.79}, "expect": {"T-01": "rounding"}},
        {
            "name": "no 收入总计 row",
            "remove": ["/tables/部门收支总体情况表/rows/12"],
            "expect": {"T-01": "error"},
        },
    ]
    done = _run(str(_small(tmp_path, cases)), "--lang", "en")
    assert done.exit_code == 0, done.output
    assert "4 cases: 4 hold, 0 do not, 0 not run" in done.stdout
    assert "2 of 2 rules have a passing case, 1 of 2 a failing case" in done.stdout
    assert "without a failing case: T-02" in done.stdout
    required = _run(str(tmp_path / "small.rules"), "--lang", "en", "--require-coverage")
    assert required.exit_code == 1
    assert "small.rules:6: error: rule T-02 has no failing case" in required.stdout


def test_unknown_rule_and_missing_outcome(tmp_path: Path) -> None:
    cases = [
        {"name": "typo", "expect": {"T-10": "pass"}},
        {
            "name": "no result",
            "remove": ["/tables/三公经费支出情况表/rows/0"],
            "expect": {"T-02": "pass"},
        },
    ]
    done = _run(str(_small(tmp_path, cases)), "--lang", "en")
    assert done.exit_code == 1, done.output
    assert 'small.cases.json /cases/0/expect/T-10: error: case "typo": no rule T-10' in done.stdout
    assert "did you mean T-0" in done.stdout
    assert '/cases/1/expect/T-02: error: case "no result": T-02 expected pass' in done.stdout
    assert "never evaluated" in done.stdout


def test_bad_pointers_are_reported_with_file_and_place(tmp_path: Path) -> None:
    cases = [
        {"name": "ok", "expect": {"T-01": "pass"}},
        {
            "name": "too far",
            "set": {"/tables/三公经费支出情况表/rows/5/合计": 1},
            "expect": {"T-02": "fail"},
        },
        {"name": "no table", "remove": ["/tables/表十三"], "expect": {"T-02": "fail"}},
        {"name": "relative", "set": {"tables/x": 1}, "expect": {"T-02": "fail"}},
    ]
    done = _run(str(_small(tmp_path, cases)), "--lang", "en")
    assert done.exit_code == 4, done.output
    out = done.stdout
    assert (
        'small.cases.json /cases/1/set: error: case "too far": bad pointer '
        "/tables/三公经费支出情况表/rows/5/合计: index 5 is out of range at "
        "/tables/三公经费支出情况表/rows (1 items)"
    ) in out
    assert "/cases/2/remove: error" in out and "nothing named 表十三 under /tables" in out
    assert "/cases/3/set: error" in out and "does not start with /" in out
    assert "4 cases: 1 hold, 0 do not, 3 not run" in out
    assert "Traceback" not in done.output
    zh = _run(str(tmp_path / "small.rules"))
    assert "指针 /tables/三公经费支出情况表/rows/5/合计 无效" in zh.stdout


def test_an_invalid_case_document_and_a_bad_case_file(tmp_path: Path) -> None:
    cases = [{"name": "text amount", "set": {TOTAL: "1275.78"}, "expect": {"T-01": "pass"}}]
    done = _run(str(_small(tmp_path, cases)), "--lang", "en")
    assert done.exit_code == 4, done.output
    assert "small.cases.json::text amount /tables/部门收支总体情况表/rows/12/金额" in done.stdout
    (tmp_path / "small.cases.json").write_text('{"base": "b.json", "cases": [}', "utf-8")
    broken = _run(str(tmp_path / "small.rules"), "--lang", "en")
    assert broken.exit_code == 4
    assert "small.cases.json:1:" in broken.stdout and "not valid JSON" in broken.stdout
    shape = {"base": str(BASE), "cases": [{"name": "x", "expect": {"T-01": "passes"}, "sett": {}}]}
    (tmp_path / "small.cases.json").write_text(json.dumps(shape), "utf-8")
    wrong = _run(str(tmp_path / "small.rules"), "--lang", "en")
    assert wrong.exit_code == 4
    assert "/cases/0/sett: error: unknown field sett" in wrong.stdout
    assert "did you mean set?" in wrong.stdout
    assert '"passes" expected of T-01 is not one of pass' in wrong.stdout


def test_base_missing_and_json_output(tmp_path: Path) -> None:
    cases = [{"name": "a", "expect": {"T-01": "pass"}}]
    done = _run(
        str(_small(tmp_path, cases, base="nowhere.json")), "--lang", "en", "--format", "json"
    )
    assert done.exit_code == 4
    report = json.loads(done.stdout)
    assert report["diagnostics"][0]["code"] == "test.base-missing"
    assert report["diagnostics"][0]["location"]["pointer"] == "/base"
    assert report["cases"][0]["run"] is False and report["summary"]["exit_code"] == 4


def test_usage_and_rule_errors(tmp_path: Path) -> None:
    (tmp_path / "lonely.rules").write_text(SMALL_RULES, encoding="utf-8")
    none = _run(str(tmp_path / "lonely.rules"), "--lang", "en")
    assert none.exit_code == 2
    assert "no case files" in none.stderr
    assert _run(str(tmp_path / "missing.rules")).exit_code == 2
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "bad.rules").write_text('rule X-01 "broken": 收入总计 = = 1\n', encoding="utf-8")
    (bad / "bad.cases.json").write_text('{"base": "b.json", "cases": []}', "utf-8")
    assert _run(str(bad)).exit_code == 3


def test_load_objects_is_load_documents_in_memory(tmp_path: Path) -> None:
    document = json.loads(BASE.read_text("utf-8"))
    from_file = load_documents([str(BASE)])
    in_memory = load_objects([document, {"meta": 1}], ["base", "broken"])
    assert [s.valid for s in in_memory.statuses] == [True, False]
    assert in_memory.statuses[0].id == from_file.statuses[0].id
    for role, frame in from_file.tables.items():
        assert in_memory.tables[role].equals(frame), role
    assert in_memory.statements.equals(from_file.statements)
