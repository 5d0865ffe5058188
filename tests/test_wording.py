"""``wording(说明.名称)``: a statement's direction word (增加 / 减少 / 持平) as text in rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from frames import TEMPLATE, frames

from checker.api import check, load_rules
from checker.evaluate import evaluate
from checker.reference import evaluate_documents
from checker.resolve import resolve_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"

RULES = """precision 0.01 万元
rule W-1 "增减额为 0 时写“持平”":
  when 说明.三公经费.增减额 = 0
  wording(说明.三公经费.增减额) = "持平"
rule W-2 "增减额不为 0 时不写“持平”":
  when 说明.三公经费.增减额 != 0
  wording(说明.三公经费.增减额) in ("增加", "减少")
rule W-3 "说明写了增减方向":
  wording(说明.三公经费.增减额) is not null
"""


def _doc(value: float, wording: str | None) -> dict[str, Any]:
    statement: dict[str, Any] = {"value": value, "unit": "万元"}
    if wording is not None:
        statement["wording"] = wording
    return {"tables": {}, "statements": {"三公经费.增减额": statement}}


def test_both_evaluators_read_the_wording() -> None:
    ruleset, diagnostics = resolve_text(RULES, "<test>", TEMPLATE)
    assert not diagnostics
    docs = [_doc(0, "持平"), _doc(0, "减少"), _doc(3.5, "持平"), _doc(3.5, None)]
    ids, tables, statements = frames(docs)
    fast = evaluate(ruleset, TEMPLATE, ids, tables, statements).frame
    got = {(r["document"], r["rule"]): r["status"] for r in fast.iter_rows(named=True)}
    slow = evaluate_documents(ruleset, TEMPLATE, docs)
    assert got == {(r.document, r.rule): r.status for r in slow}
    assert got == {
        (0, "W-1"): "pass", (0, "W-2"): "skipped", (0, "W-3"): "pass",
        (1, "W-1"): "fail", (1, "W-2"): "skipped", (1, "W-3"): "pass",
        (2, "W-1"): "skipped", (2, "W-2"): "fail", (2, "W-3"): "pass",
        (3, "W-1"): "skipped", (3, "W-2"): "fail", (3, "W-3"): "fail",
    }  # fmt: skip


def test_the_seeds_zero_change_worded_decrease_is_caught(tmp_path: Path) -> None:
    rules = tmp_path / "wording.rules"
    rules.write_text(RULES, encoding="utf-8")
    report = check([str(SEED)], load_rules([rules]))
    statuses = dict(zip(report.frame["rule"], report.frame["status"], strict=True))
    # the seed prints “三公经费…减少 0 万元” where a zero change must read 持平
    assert statuses == {"W-1": "fail", "W-2": "skipped", "W-3": "pass"}


def test_wording_takes_only_a_statement() -> None:
    text = """in 部门收支总体情况表:
  rule W-9 "x": wording(收入总计) = "增加"
"""
    _, diagnostics = resolve_text(text, "<test>", TEMPLATE)
    assert [d.code for d in diagnostics] == ["rules.resolve.wording-of-statement"]
    assert diagnostics[0].location.line == 2
    _, diagnostics = resolve_text(
        'rule W-8 "y": wording(说明.三公经费.增减额) = 0\n', "<t>", TEMPLATE
    )
    assert any(d.severity == "error" for d in diagnostics)  # text compared with a number


def test_a_change_printed_as_a_word_alone_reads_0() -> None:
    """“比2023年预算持平” prints no figure: a statement pattern whose ``v`` takes no part in the
    match (``(?:(?P<v>…)万元)?``) reads 0 with the wording 持平; an 增加 still needs its figure,
    and a text dump's line is that of the match."""
    import re
    from types import SimpleNamespace

    from checker.documents.importer import _statements
    from checker.documents.layout import StatementSpec

    change = r"[比与]20[0-9]{2}年预算(?P<w>增加|减少|持平)(?:(?P<v>[0-9.]+)万元)?"
    layout = SimpleNamespace(
        statements=(
            StatementSpec("基金.增减额", re.compile("政府性基金0万元," + change), "万元"),
            StatementSpec("一般.增减额", re.compile("一般公共预算9万元," + change), "万元"),
            StatementSpec("国资.增减额", re.compile("国有资本经营预算0万元," + change), "万元"),
        )
    )
    lines = [
        SimpleNamespace(text="一般公共预算9万元，比2023年预算增加", line=7),
        SimpleNamespace(text="1.5万元；政府性基金0万元，与2023年预算持平；", line=8),
        SimpleNamespace(text="国有资本经营预算0万元，比2023年预算增加。", line=9),
    ]
    page = SimpleNamespace(grids=(), lines=lines, number=None)
    got = _statements(layout, [("a.txt", page)])  # type: ignore[arg-type, list-item]
    assert got["基金.增减额"] == {
        "value": 0.0, "text": "政府性基金0万元,与2023年预算持平", "unit": "万元",
        "wording": "持平", "line": 8,
    }  # fmt: skip
    assert (got["一般.增减额"]["value"], got["一般.增减额"]["wording"]) == (1.5, "增加")
    assert "国资.增减额" not in got  # 增加 with no figure: nothing to read
