"""One regular-expression dialect (issue 17): lint validates ``matches`` patterns with the
engine ``check`` runs (Polars / Rust regex), and explain / the reference evaluator match
with it too, in linear time: ``(a+)+$`` cannot hang ``explain``."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
from cli_run import ROOT, rulecheck

from checker import regex

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
TABLE = "部门收入总体情况表"
EVIL = "a" * 40 + "!"  # (a+)+$ backtracks 2**40 times in Python's re


def _rules(tmp_path: Path, pattern: str) -> Path:
    path = tmp_path / "r.rules"
    path.write_text(
        f'for each row in {TABLE}:\n  rule RX "t": matches(单位名称, "{pattern}")\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def doc(tmp_path: Path) -> Path:
    data = json.loads(SEED.read_text(encoding="utf-8"))
    rows = data["tables"][TABLE]["rows"]
    rows[0]["单位名称"], rows[1]["单位名称"] = "aaa", EVIL
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _statuses(report: dict[str, Any]) -> dict[int, str]:
    return {r["row"]: r["status"] for r in report["results"] if r["rule"] == "RX"}


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_explain_is_linear_and_agrees_with_check(tmp_path: Path, doc: Path) -> None:
    rules = _rules(tmp_path, "(a+)+$")
    before = _child_cpu()
    explained = rulecheck(  # a wall-clock timeout of 120 s; (a+)+$ backtracking: hours
        "explain", "RX", "-r", str(rules), "--document", str(doc), "--format", "json"
    )
    assert _child_cpu() - before < 5, "explain took too long"  # CPU: a loaded CI box waits
    assert explained.returncode == 0, explained.stderr
    (explanation,) = json.loads(explained.stdout)["explanations"]
    traced = {r["row"]: r["status"] for r in explanation["rows"]}
    checked = rulecheck(
        "check", str(doc), "-r", str(rules), "--format", "json", "--show", "fail", "--show", "pass"
    )
    engine = _statuses(json.loads(checked.stdout))
    assert traced[0] == engine[0] == "pass"
    assert traced[1] == engine[1] == "fail"
    assert traced == engine


def test_reference_fullmatch_is_linear() -> None:
    start = time.monotonic()
    assert not regex.fullmatch("(a+)+$", "a" * 5000 + "!")
    assert regex.fullmatch("(a+)+", "a" * 5000)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    "pattern",
    [
        r"(?P<n>a)(?P=n)",  # a Python back-reference
        r"a\\Z",  # Python's end anchor
        r"(?=a)a",  # look-ahead
        r"a\\1",
        "[",
        "a{1000}{1000}",  # past the compiled-size limit
    ],
)
def test_a_pattern_check_rejects_lint_rejects_with_the_same_message(
    tmp_path: Path, doc: Path, pattern: str
) -> None:
    rules = _rules(tmp_path, pattern)
    linted = rulecheck("lint", str(rules), "--lang", "en")
    checked = rulecheck("check", str(doc), "-r", str(rules), "--lang", "en")
    assert linted.returncode == checked.returncode == 3, (linted.stderr, checked.stderr)
    lint_lines = {ln for ln in (linted.stdout + linted.stderr).splitlines() if "regular" in ln}
    check_lines = {ln for ln in (checked.stdout + checked.stderr).splitlines() if "regular" in ln}
    assert lint_lines and lint_lines == check_lines


def test_the_engine_decides_validity() -> None:
    assert regex.pattern_error(r"\p{Han}+") is None  # Rust has it, Python's re does not
    assert regex.pattern_error(r"(?P<n>a)(?P=n)") is not None  # Python has it, Rust not
    reason = regex.pattern_error("a{1000}{1000}")
    assert reason is not None and "size limit" in reason
