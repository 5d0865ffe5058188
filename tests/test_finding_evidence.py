"""Every failure on the seed shows what a reviewer looks for (issue 16): the offending
value as published, the row's key and the line it is printed on — in text, JSON and SARIF.

The expected values are the published figures the findings are about (FINDINGS.md of the
bundled ruleset reviews each one); the test asserts each appears in the finding's own
block of output, not merely somewhere in the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_run import rulecheck

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "000_afa05cab7739910b.json"

# (rule, row) → what the finding must show
EVIDENCE: dict[tuple[str, int | None], str] = {
    ("DW-11", 39): "036003",
    ("DW-12", 39): "036003",
    ("DW-13", 39): "036003",
    ("JJ-41", 8): "30106",
    ("JJ-41", 27): "30108",
    ("JJ-42", 27): "30108",
    ("XJ-02", 40): "41070222000000001237",
    ("XJ-02", 49): "41070223000000006006",
    ("XJ-04", 21): "特困困难群众交城乡居保",
    ("XJ-09", 12): "替困难群众交城乡居保",
    ("XJ-20", 52): "1504.07万元",
    ("XJ-21", 49): "≤7元",
    ("SM-73", None): "增加",
    ("SM-74", None): "减少",
    ("SM-76", None): "增加",
    ("SM-77", None): "减少",
    ("SM-78", None): "减少",
    ("JJ-10[一般公共预算.财政拨款]", None): "4,648.93",
    ("JJ-40", 21): "27.96",
}


@pytest.fixture(scope="module")
def reports() -> dict[str, Any]:
    text = rulecheck("check", str(EXAMPLE), "--lang", "en")
    report = rulecheck("check", str(EXAMPLE), "--format", "json")
    sarif = rulecheck("check", str(EXAMPLE), "--format", "sarif")
    return {
        "text": text.stdout,
        "json": json.loads(report.stdout),
        "sarif": json.loads(sarif.stdout),
    }


def _blocks(text: str) -> dict[tuple[str, str], str]:
    """Each finding's lines of the text report, by its head line's rule and place."""
    out: dict[tuple[str, str], str] = {}
    head: tuple[str, str] | None = None
    for line in text.splitlines():
        if line.startswith(("fail ", "error ")):
            parts = line.split()
            head = (parts[1], line)
            out[head] = line + "\n"
        elif head is not None and line.startswith("    "):
            out[head] += line + "\n"
        else:
            head = None
    return out


def test_every_failure_is_covered_here(reports: dict[str, Any]) -> None:
    fails = {(r["rule"], r["row"]) for r in reports["json"]["results"] if r["status"] == "fail"}
    assert fails == set(EVIDENCE)


@pytest.mark.parametrize(("rule", "row"), sorted(EVIDENCE, key=str))
def test_the_failure_shows_its_evidence(
    reports: dict[str, Any], rule: str, row: int | None
) -> None:
    wanted = EVIDENCE[(rule, row)]
    result = next(r for r in reports["json"]["results"] if (r["rule"], r["row"]) == (rule, row))
    # JSON: among the cells (a text as printed, a count's rows, an amount)
    shown = json.dumps(result["cells"], ensure_ascii=False)
    amount = wanted.replace(",", "")
    assert wanted in shown or amount in shown, (rule, row, shown)
    # the source line of the finding, and the row's key where the rule is about a row
    assert result["source"]["line"] >= 1
    if row is not None:
        assert result["fingerprint"].get("key"), result["fingerprint"]
    # text: in the finding's own block, with its source line and its row key
    blocks = [
        b
        for (r, head), b in _blocks(reports["text"]).items()
        if r == rule and (row is None or f" row {row} " in head + " ")
    ]
    assert blocks, (rule, row)
    assert any(wanted in b for b in blocks), blocks
    assert any(f":{result['source']['line']})" in b for b in blocks), blocks
    if row is not None:
        assert any(f"[{result['fingerprint']['key']}]" in b for b in blocks), blocks
    # SARIF: the result's related locations carry the operand values
    sarif = [
        s
        for s in reports["sarif"]["runs"][0]["results"]
        if s["ruleId"] == rule and s["properties"]["row"] == row
    ]
    assert sarif
    related = json.dumps([s["relatedLocations"] for s in sarif], ensure_ascii=False)
    assert wanted in related, related


def test_a_rollup_shows_its_header_as_what_it_checks() -> None:
    """A roll-up's finding quotes the roll-up's header line(s), not its description and
    source lines run into it (they used to be joined onto one line)."""
    from checker.api import load_rules
    from checker.ast import Rollup
    from checker.evaluate import _check_lines

    rules = load_rules(None)
    rollups = [r for r in rules.ruleset.rules if isinstance(r, Rollup)]
    assert rollups
    for rollup in rollups:
        first, last = _check_lines(rollup)
        lines = Path(rollup.span.file).read_text(encoding="utf-8").splitlines()[first - 1 : last]
        assert lines[0].lstrip().startswith("rollup ")
        assert lines[-1].rstrip().endswith(":"), lines
        assert not any(line.lstrip().startswith(("description", "source")) for line in lines)
