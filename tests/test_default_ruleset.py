"""The shipped 部门预算 ruleset, proven on the seed and on generated documents.

All results come from one batch (``ruleset_run.default_run``): the seed, 100
synthetic documents and one mutant per numeric cell of the seed.

* **synthetic**: documents from ``bench.generate`` are consistent by
  construction, so no rule may fail or error on them.
* **mutation**: each mutant is the seed with one figure + 1.00. A mutant is
  *caught* when some result — a (rule, row, column) — fails or errors on the
  mutant but not on the original seed (rules that already fail on the seed
  do not count: they would "catch" anything). The survivors are listed, with
  the reason, in ``rulesets/部门预算/README.md``; this test pins them.
* **coverage**: the share of the seed's numeric cells some rule reads
  (``checker.coverage``).
"""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest
from ruleset_run import RULESET, STATEMENTS, Mutant, default_run

from checker import ast
from checker.coverage import compute_coverage, render_json, render_text
from checker.evaluate import EVALUATED, evaluate

BAD = ("fail", "error")

# Mutants no rule can catch, each explained in rulesets/部门预算/README.md ("变异测试").
SURVIVORS = {
    # The seed's own error hides it: 支出经济分类汇总表's 财政拨款 column total already
    # fails (JJ-10), and 23.98 + 1 is still ≤ 一般公共预算.小计 82.98 (JJ-02).
    ("支出经济分类汇总表", 19, "一般公共预算.财政拨款"),
    # Prose counts no table states.
    (STATEMENTS, None, "概况.内设机构数"),
    (STATEMENTS, None, "国有资产.通用设备50万元以上"),
    (STATEMENTS, None, "国有资产.专用设备100万元以上"),
    (STATEMENTS, None, "专项转移支付.项目数"),
    # A change of 1 from 0 万元 is consistent with "减少 1 万元"; that the text says 增加 (so the
    # previous year would be −1) needs the statement's wording, which rules cannot read.
    (STATEMENTS, None, "财政拨款.政府性基金增减额"),
}


def _survivors() -> list[Mutant]:
    run = default_run()
    bad = run.results.filter(pl.col("status").is_in(BAD)).select(
        "document", "rule", "row", "column"
    )
    on_seed = bad.filter(pl.col("document") == run.seed).drop("document")
    caught = set(
        bad.join(on_seed, on=["rule", "row", "column"], how="anti", nulls_equal=True)[
            "document"
        ].to_list()
    )
    return [m for m in run.mutants if m.document not in caught]


def test_no_rule_fails_on_synthetic_documents() -> None:
    run = default_run()
    synthetic = run.results.filter(pl.col("document").is_in(list(run.synthetic)))
    assert synthetic["document"].n_unique() == len(run.synthetic)
    bad = synthetic.filter(pl.col("status").is_in(BAD))
    assert bad.height == 0, bad.select("document", "rule", "row", "column", "lhs", "rhs").head(20)
    # the rules did run on them: almost everything passes, a few rules are skipped by design
    counts = Counter(synthetic["status"].to_list())
    assert counts["pass"] > 100 * len(run.synthetic)


def test_mutation_score() -> None:
    run = default_run()
    survivors = _survivors()
    left = {(m.table, m.row, m.column) for m in survivors}
    assert left <= SURVIVORS, sorted(left - SURVIVORS, key=str)
    tables = [m for m in run.mutants if m.table != STATEMENTS]
    table_left = [m for m in survivors if m.table != STATEMENTS]
    # every numeric cell of every table, and every figure of the prose, was mutated
    assert len(tables) == 453 and len(run.mutants) == 510
    assert 1 - len(table_left) / len(tables) >= 0.99
    assert 1 - len(survivors) / len(run.mutants) >= 0.985


def test_coverage_of_the_seed() -> None:
    run = default_run()
    documents, tables, statements = run.seed_frames()
    # coverage reads the cells of every evaluated result, which the batch run leaves out
    seed_results = evaluate(
        run.ruleset, run.template, documents, tables, statements, cells_for=EVALUATED
    ).frame
    coverage = compute_coverage(
        run.ruleset, run.template, seed_results, documents, tables, statements
    )
    assert coverage.cells == 510
    assert coverage.percent >= 98.0
    # the README lists the cells no rule reads; today there are none
    assert coverage.uncovered.height == 0, coverage.uncovered
    assert "100.00%" in render_text(coverage, "en")
    assert '"percent": 100.0' in render_json(coverage)


def test_every_rule_has_title_severity_description_and_source() -> None:
    run = default_run()
    assert len(run.ruleset.rules) > 500
    ids = [r.meta.id for r in run.ruleset.rules]
    assert len(ids) == len(set(ids))
    for rule in run.ruleset.rules:
        meta = rule.meta
        assert meta.title.strip(), meta.id
        assert meta.severity in ("error", "warning", "info"), meta.id
        assert meta.description and meta.description.strip(), meta.id
        assert meta.source and meta.source.strip(), meta.id


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in RULESET.glob("*.rules") if p.name != "ruleset.rules"),
)
def test_every_rule_file_is_included_and_described_in_the_readme(name: str) -> None:
    entry = (RULESET / "ruleset.rules").read_text("utf-8")
    readme = (RULESET / "README.md").read_text("utf-8")
    assert f'include "{name}"' in entry
    assert f"`{name}`" in readme


def test_rules_are_rules_or_rollups() -> None:
    run = default_run()
    kinds = Counter(type(r).__name__ for r in run.ruleset.rules)
    assert set(kinds) <= {ast.Rule.__name__, ast.Rollup.__name__}
