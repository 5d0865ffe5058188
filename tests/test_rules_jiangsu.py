"""The 江苏 2019 部门预算 ruleset (``rulesets/部门预算-江苏2019``) on the real corpus documents.

Both Jiangsu documents of ``../shared/corpus`` (14, and 16 published as two PDFs joined with
``+``) are imported on the fly by ``checker.api.check`` with the ruleset and
``schemas/jiangsu-2019-budget.schema.json``; every test reads those reports.

* **golden**: every finding (fail, error, rounding) on each document, of the tables and of
  the prose the layout reads, was reviewed by hand against the rendered page and is written
  up in the ruleset's FINDINGS.md; the lists are pinned per document in its
  ``findings.golden.json``. To accept a reviewed change:
  ``RULECHECK_UPDATE_GOLDEN=1 pytest tests/test_rules_jiangsu.py``, then update FINDINGS.md.
* **mutation**: one mutant per numeric cell of each document, that figure + 1.00 万元, all
  checked in one batch with the original (``ruleset_golden.mutation``, built from the imported
  frames as ``ruleset_run`` builds the seed's). A mutant is caught when some result — a
  (rule, row, column) — fails or errors on it but not on the original. ≥ 99% of the cells
  some rule reads must be caught per document; survivors are pinned in ``SURVIVORS`` and
  explained in the ruleset's README ("变异测试").
* **coverage**: ≥ 95% of each document's numeric cells are read by some rule
  (``checker.coverage``); the cells no rule reads are pinned in ``UNCOVERED``.

The corpus lives outside the project: without it the corpus tests are skipped, saying why.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from ruleset_golden import (
    BAD,
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
RULESET = ROOT / "rulesets" / "部门预算-江苏2019"
SCHEMA = ROOT / "schemas" / "jiangsu-2019-budget.schema.json"
GOLDEN = RULESET / "findings.golden.json"
CORPUS = Path(os.environ.get("RULECHECK_CORPUS", str(ROOT.parent / "shared" / "corpus")))

# document id -> the corpus file(s) it is published as (one document, '+' joins its files)
DOCUMENTS = {
    "14-jiangsu-procuratorate-2019-dept-budget": ("14-jiangsu-procuratorate-2019-dept-budget.pdf",),
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": (
        "16-jiangsu-npc-standing-cttee-office-2019-dept-budget-a.pdf",
        "16-jiangsu-npc-standing-cttee-office-2019-dept-budget-b.pdf",
    ),
}
# non-empty amount cells of the tables, and figures read from the prose, per imported document
# (one mutant each)
TABLE_CELLS = {
    "14-jiangsu-procuratorate-2019-dept-budget": 187,
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": 163,
}
FIGURES = {
    "14-jiangsu-procuratorate-2019-dept-budget": 68,
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": 71,
}
# Cells some rule reads whose +1.00 no rule catches, per document (README "变异测试").
SURVIVORS: dict[str, set[tuple[str, int | None, str]]] = {
    "14-jiangsu-procuratorate-2019-dept-budget": {
        # the document's own error hides it: 13.22% for 22.21%, the rules reading it fail already
        (STATEMENTS, None, "支出.项目支出增长率"),
        # 134.37 → 135.37 on a 16,593.12 类 moves the printed 0.82% by 0.006 points: still 0.82
        (STATEMENTS, None, "功能类.公共安全支出增减额"),
    },
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": {
        # 1,201.50 → 1,202.50 on 13,907.78 moves the printed 9.46% by 0.008 points: still 9.46
        (STATEMENTS, None, "功能类.一般公共服务支出增减额"),
    },
}
# The real errors of the prose (FINDINGS.md §3) that error-severity rules report.
PROSE_ERRORS = {
    "14-jiangsu-procuratorate-2019-dept-budget": ["SM-63d"],
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": [],
}
# Numeric cells no rule reads, per document (README "Coverage"): none.
UNCOVERED: dict[str, set[tuple[str, int | None, str]]] = {doc: set() for doc in DOCUMENTS}


def _report(doc: str) -> Report:
    files = [CORPUS / name for name in DOCUMENTS[doc]]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        pytest.skip(f"corpus files {missing} not found in {CORPUS} (kept outside the project)")
    return _checked(doc)


@cache
def _rules() -> Any:  # checker.api.Rules
    return load_rules([RULESET], schema=SCHEMA)


@cache
def _checked(doc: str) -> Report:
    path = "+".join(str(CORPUS / name) for name in DOCUMENTS[doc])
    report = check([path], _rules(), schema=SCHEMA)
    assert report.batch.invalid_count == 0, report.batch.diagnostics
    assert report.batch.documents["id"].to_list() == [doc]
    return report


@cache
def _mutation(doc: str) -> tuple[list[Mutant], list[Mutant]]:
    """(all mutants, survivors): the document plus one +1.00 mutant per numeric cell."""
    return mutation(_report(doc))


# --------------------------------------------------------------------------- golden


@pytest.mark.parametrize("doc", list(DOCUMENTS))
def test_no_localization(doc: str) -> None:
    """FINDINGS.md §5: the failures are quotients of the prose, not linear identities over
    amounts, and no linear rule has a 尾差: nothing to localize."""
    assert _report(doc).localizations() == {}


def test_findings_match_the_reviewed_list() -> None:
    current = {doc: finding_rows(_report(doc).frame) for doc in DOCUMENTS}
    if os.environ.get("RULECHECK_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", "utf-8")
    expected: dict[str, list[dict[str, Any]]] = json.loads(GOLDEN.read_text("utf-8"))
    assert sorted(expected) == sorted(DOCUMENTS)
    for doc, want in expected.items():
        got = current[doc]
        assert got == want, {
            "document": doc,
            "new (review and explain in FINDINGS.md)": [r for r in got if r not in want],
            "gone": [r for r in want if r not in got],
        }


def test_every_finding_is_explained_in_findings_md() -> None:
    text = (RULESET / "FINDINGS.md").read_text("utf-8")
    expected = json.loads(GOLDEN.read_text("utf-8"))
    rules = sorted({r["rule"] for rows in expected.values() for r in rows})
    assert not [rule for rule in rules if f"`{rule}`" not in text]
    assert not [doc for doc in DOCUMENTS if doc not in text]  # each document is reviewed


@pytest.mark.parametrize("doc", sorted(DOCUMENTS))
def test_no_identity_that_holds_fails(doc: str) -> None:
    """No error-severity rule fails or errors on either document but the real errors of the
    prose FINDINGS.md reviews (the tables: none)."""
    identities = [r.meta.id for r in _rules().ruleset.rules if r.meta.severity == "error"]
    bad = _report(doc).frame.filter(pl.col("status").is_in(BAD) & pl.col("rule").is_in(identities))
    assert sorted(bad["rule"].to_list()) == PROSE_ERRORS[doc], bad.select(
        "rule", "row", "column", "status", "lhs", "rhs"
    )


# --------------------------------------------------------------------------- mutation, coverage


@pytest.mark.parametrize("doc", sorted(DOCUMENTS))
def test_mutation_score(doc: str) -> None:
    mutants, survivors = _mutation(doc)
    # every non-empty amount cell of every table, and every figure of the prose, was mutated
    tables = [m for m in mutants if m.table != STATEMENTS]
    assert len(tables) == TABLE_CELLS[doc] and len(mutants) == TABLE_CELLS[doc] + FIGURES[doc]
    assert not [m for m in survivors if m.table != STATEMENTS]  # every table cell is caught
    left = {(m.table, m.row, m.column) for m in survivors}
    assert left <= SURVIVORS[doc], sorted(left - SURVIVORS[doc], key=str)
    constrained = [m for m in mutants if (m.table, m.row, m.column) not in UNCOVERED[doc]]
    caught = [m for m in constrained if (m.table, m.row, m.column) not in left]
    assert len(caught) / len(constrained) >= 0.99


@pytest.mark.parametrize("doc", sorted(DOCUMENTS))
def test_coverage(doc: str) -> None:
    found = coverage(_report(doc))
    assert found.cells == TABLE_CELLS[doc] + FIGURES[doc]
    assert found.percent >= 95.0
    uncovered = set(found.uncovered.select("table", "row", "column").iter_rows())
    assert uncovered == UNCOVERED[doc], sorted(uncovered, key=str)


# --------------------------------------------------------------------------- the rule files


def test_rule_tests_hold_and_cover_every_rule() -> None:
    """``rulecheck test rulesets/部门预算-江苏2019 --require-coverage``: every case of
    tests/*.cases.json holds and every rule has a passing and a failing case (a synthetic
    base document: no corpus needed)."""
    rules = _rules()
    suite = run_tests([RULESET], rules, schema=SCHEMA, require_coverage=True)
    assert not suite.failed, suite.failed[:5]
    assert suite.coverage.complete
    assert int(suite.exit_code()) == 0


def test_every_rule_has_title_severity_description_and_source() -> None:
    rules = _rules()
    assert not rules.diagnostics, rules.diagnostics  # lint-clean: no error, no warning
    assert_rule_metadata(rules.ruleset.rules)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in RULESET.glob("*.rules") if p.name != "ruleset.rules")
)
def test_every_rule_file_is_included_and_described_in_the_readme(name: str) -> None:
    assert_included_and_described(RULESET, name)
