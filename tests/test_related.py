"""Rules across documents: ``上年(x)`` reads ``x`` in the same body's document of the year
before (``预算(x)`` / ``决算(x)``: that kind, the same year), when the run holds it; the
engine and the reference evaluator agree, and a rule whose other document is absent is
skipped, naming the document it needed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from checker.api import check_documents, load_rules
from checker.diagnostics import RulecheckError
from checker.reference import evaluate_documents

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "000_afa05cab7739910b.json"

RULES = """\
ruleset "related"
precision 0.01 万元
alias 收支表 = 部门收支总体情况表

rule RL-1 "收入增减额 = 本年收入总计 − 上年收入总计" tags 跨文档:
  说明.收支总体.收入增减额 = 收支表[收入总计] - 上年(收支表[收入总计])
rule RL-2 "决算支出不超过预算（同一年）" tags 跨文档:
  决算(收支表[支出总计]) <= 收支表[支出总计]
"""


def _documents(change: float = 0.0) -> list[dict[str, Any]]:
    seed = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    stated = seed["statements"]["收支总体.收入增减额"]["value"]
    before = copy.deepcopy(seed)
    before["meta"]["id"], before["meta"]["year"] = "prior", seed["meta"]["year"] - 1
    for row in before["tables"]["部门收支总体情况表"]["rows"]:
        if row["项目"] == "收入总计":
            row["金额"] = round(row["金额"] - stated + change, 2)
    other = copy.deepcopy(seed)  # another body: never anyone's 上年
    other["meta"]["id"], other["meta"]["department"] = "other", "另一个单位"
    return [seed, before, other]


def _run(tmp_path: Path, documents: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    rules_file = tmp_path / "related.rules"
    rules_file.write_text(RULES, encoding="utf-8")
    rules = load_rules([str(rules_file)])
    report = check_documents(documents, rules)
    found = {
        (r["document"], r["rule"]): r
        for r in report.to_dict(include=["pass", "rounding", "fail", "error", "skipped"])["results"]
    }
    reference = evaluate_documents(rules.ruleset, rules.template, documents)
    ids = [d["meta"]["id"] for d in documents]
    for mine in reference:
        theirs = found[(ids[mine.document], mine.rule)]
        assert theirs["status"] == mine.status, (ids[mine.document], mine.rule)
        assert theirs["reason"] == mine.reason, (ids[mine.document], mine.rule)
    return found


def test_the_prior_years_document_is_read(tmp_path: Path) -> None:
    found = _run(tmp_path, _documents())
    assert found[("000_afa05cab7739910b", "RL-1")]["status"] == "pass"


def test_a_change_in_the_prior_year_is_caught(tmp_path: Path) -> None:
    found = _run(tmp_path, _documents(change=1.0))
    result = found[("000_afa05cab7739910b", "RL-1")]
    assert result["status"] == "fail"
    assert result["diff"] == pytest.approx(1.0)  # stated − (this year − a prior year 1 higher)
    wanted = "上年(部门收支总体情况表[收入总计].金额)"
    prior = next(c for c in result["cells"] if c["ref"] == wanted)
    seed = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    stated = seed["statements"]["收支总体.收入增减额"]["value"]
    total = next(
        r["金额"] for r in seed["tables"]["部门收支总体情况表"]["rows"] if r["项目"] == "收入总计"
    )
    assert prior["value"] == pytest.approx(total - stated + 1.0)


def test_without_the_other_document_the_rule_is_skipped_and_says_why(tmp_path: Path) -> None:
    found = _run(tmp_path, _documents())
    for doc in ("prior", "other"):
        result = found[(doc, "RL-1")]
        assert result["status"] == "skipped"
        assert result["reason"] == "needs-document:上年"
        assert "上年" in result["message"]
    # no 部门决算 of the same body and year in the run
    assert found[("000_afa05cab7739910b", "RL-2")]["reason"] == "needs-document:决算"


def test_a_related_value_cannot_read_the_current_row(tmp_path: Path) -> None:
    rules_file = tmp_path / "bad.rules"
    rules_file.write_text(
        "alias 收支表 = 部门收支总体情况表\n"
        "for each row in 收支表:\n"
        '  rule RL-9 "t": 金额 = 上年(金额)\n',
        encoding="utf-8",
    )
    with pytest.raises(RulecheckError) as caught:
        load_rules([str(rules_file)])
    assert [d.code for d in caught.value.diagnostics] == ["rules.resolve.related-row"]
