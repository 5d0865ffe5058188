"""The 部门决算（上海）ruleset, proven on corpus document 11 read straight from its PDF.

``rulesets/部门决算-上海`` checks the Shanghai 部门决算 template
(``schemas/shanghai-final.schema.json``). Corpus document 11
(上海市普陀区财政局 2024 部门决算) is imported on the fly by ``checker.api.check``
and checked once; every test reads that one run.

* **golden**: every finding (fail, error, rounding) was reviewed by hand against
  the rendered PDF page and is explained in ``rulesets/部门决算-上海/FINDINGS.md``;
  ``findings.golden.json`` pins them (rule, row, column, status, both sides).
  To accept a reviewed change: ``RULECHECK_UPDATE_GOLDEN=1 pytest
  tests/test_rules_shanghai_final.py``, then update FINDINGS.md.
* **mutation**: one mutant per numeric cell of the document (that figure + 1.00
  万元), all checked in one batch, built from the imported frames as
  ``ruleset_run`` builds the seed's. A mutant is *caught* when some result — a
  (rule, row, column) — fails or errors on it but not on the original. The
  survivors are listed with their reasons in the ruleset's README.
* **coverage**: the share of the document's numeric cells some rule reads
  (``checker.coverage``).

The corpus lives outside the project (``/work/shared/corpus``, never copied
in): without it these tests are skipped, saying why.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from ruleset_golden import (
    BAD,
    assert_explained,
    assert_golden,
    assert_included_and_described,
    assert_rule_metadata,
    coverage,
    finding_rows,
    mutation,
)
from ruleset_run import STATEMENTS, Mutant

from checker.api import Report, check, load_rules
from checker.ruletest import run_tests

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / "rulesets" / "部门决算-上海"
SCHEMA = ROOT / "schemas" / "shanghai-final.schema.json"
GOLDEN = RULESET / "findings.golden.json"
CORPUS = Path(os.environ.get("RULECHECK_CORPUS", str(ROOT.parent / "shared" / "corpus")))
PDF = CORPUS / "11-putuo-finance-2024-dept-final.pdf"

# Mutants no rule can catch, each explained in rulesets/部门决算-上海/README.md ("变异测试").
SURVIVORS = {
    # The document's own errors hide them: the one rule that reads each already fails on the
    # original (SM-41: 0.3 vs 表四's 2,961.68; SMJ-201-2: 71.73% vs 71.65%), so a mutant
    # that moves the figure by 1 fails the same rule and is not told apart.
    (STATEMENTS, None, "财政拨款.收入支出总计"),
    (STATEMENTS, None, "一般公共预算支出结构.一般公共服务支出占比"),
}
TABLE_CELLS = 195  # the non-empty amount cells of document 11's nine tables
FIGURES = 54  # the figures the layout reads from its prose


def _report() -> Report:
    if not PDF.is_file():
        pytest.skip(
            f"corpus document 11 not found at {PDF} (the corpus is kept outside the project)"
        )
    return _checked()


@cache
def _checked() -> Report:
    rules = load_rules([RULESET], schema=SCHEMA)
    report = check([str(PDF)], rules, schema=SCHEMA)
    assert report.batch.invalid_count == 0, report.batch.diagnostics
    return report


def test_localization_as_reviewed() -> None:
    """What FINDINGS.md "Localization" says: SM-41 is the prose's 0.3, and the 尾差 are the
    208 类 at 326.715 before rounding (printed 326.72 and 326.71)."""
    found = _report().localizations()[0]
    error = found["error"]
    assert [r["rule"] for r in error["rules"]] == ["SM-41"] and error["proven"]
    assert [
        [(c["table"], c["column"], c["published"], c["suggested"]) for c in candidate["cells"]]
        for candidate in error["candidates"]
    ] == [[("说明", "财政拨款.收入支出总计", 0.3, 2961.68)]]
    causes = found["rounding"]
    assert len(causes["rules"]) == 11 and causes["proven"]
    shifts = {(c["published"], c["suggested"]) for c in causes["candidates"][0]["cells"]}
    assert {(326.72, 326.715), (326.71, 326.715), (2940.05, 2940.055)} <= shifts
    assert all(abs(after - before) <= 0.005 + 1e-9 for before, after in shifts)


def test_findings_match_the_reviewed_list() -> None:
    assert_golden(finding_rows(_report().frame), GOLDEN)


def test_no_identity_that_holds_fails() -> None:
    """The tables' findings are all 尾差; the only fails are the prose's two real errors
    (FINDINGS.md): 财政拨款收入支出总计 “0.3万元” (表四: 2,961.68) and 一般公共服务支出 “占71.73%”
    (2,106.66 ÷ 2,940.05 = 71.65%). No error."""
    bad = _report().frame.filter(pl.col("status").is_in(BAD))
    assert sorted(bad["rule"].to_list()) == ["SM-41", "SMJ-201-2"], bad.select(
        "rule", "row", "column", "status", "lhs", "rhs"
    )


def test_every_finding_is_explained_in_findings_md() -> None:
    assert_explained(GOLDEN, RULESET / "FINDINGS.md")


@cache
def _mutation() -> tuple[list[Mutant], list[Mutant]]:
    """(all mutants, survivors): the document plus one +1.00 mutant per numeric cell."""
    return mutation(_report())


def test_mutation_score() -> None:
    mutants, survivors = _mutation()
    left = {(m.table, m.row, m.column) for m in survivors}
    assert left <= SURVIVORS, sorted(left - SURVIVORS, key=str)
    # every non-empty figure of every table, and every figure of the prose, was mutated
    tables = [m for m in mutants if m.table != STATEMENTS]
    assert len(tables) == TABLE_CELLS and len(mutants) == TABLE_CELLS + FIGURES
    assert not [m for m in survivors if m.table != STATEMENTS]  # every table cell is caught
    assert 1 - len(survivors) / len(mutants) >= 0.99


def test_coverage() -> None:
    found = coverage(_report())
    assert found.cells == TABLE_CELLS + FIGURES
    assert found.percent >= 95.0
    # the README lists the cells no rule reads; today there are none
    assert found.uncovered.height == 0, found.uncovered


def test_every_rule_has_title_severity_description_and_source() -> None:
    assert_rule_metadata(load_rules([RULESET], schema=SCHEMA).ruleset.rules)


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in RULESET.glob("*.rules") if p.name != "ruleset.rules"),
)
def test_every_rule_file_is_included_and_described_in_the_readme(name: str) -> None:
    assert_included_and_described(RULESET, name)


def test_rule_tests_hold_and_cover_every_rule() -> None:
    """`rulecheck test rulesets/部门决算-上海 --schema … --require-coverage`: every case of
    tests/*.cases.json holds and every rule has a passing and a failing case."""
    rules = load_rules([RULESET], schema=SCHEMA)
    suite = run_tests([RULESET], rules, schema=SCHEMA, require_coverage=True)
    assert not suite.failed, suite.failed[:5]
    assert suite.coverage.complete
    assert int(suite.exit_code()) == 0
