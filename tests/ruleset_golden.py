"""Checks every shipped ruleset's tests make: golden findings, their write-up, rule metadata,
mutants caught, coverage of a checked document.

A ruleset's findings on a document it is proven on are reviewed by hand, written up in the
ruleset's FINDINGS.md and pinned in a golden JSON list of (rule, row, column, status, lhs,
rhs); ``RULECHECK_UPDATE_GOLDEN=1`` rewrites the list from the current findings (then review
and update FINDINGS.md).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl
from ruleset_run import Mutant, _mutant_frames, _mutants

from checker import ast
from checker.api import Report
from checker.coverage import Coverage, compute_coverage
from checker.evaluate import EVALUATED, evaluate

FINDING_STATUSES = ("fail", "error", "rounding")
BAD = ("fail", "error")


def finding_rows(results: pl.DataFrame) -> list[dict[str, Any]]:
    """The findings of a results frame as golden rows, sorted, sides rounded to 6 places."""
    found = results.filter(pl.col("status").is_in(FINDING_STATUSES))
    rows = found.select("rule", "row", "column", "status", "lhs", "rhs").to_dicts()
    for r in rows:
        for key in ("lhs", "rhs"):
            value = r[key]
            r[key] = None if value is None or math.isnan(value) else round(value, 6)
    return sorted(rows, key=lambda r: (r["rule"], r["row"] if r["row"] is not None else -1))


def _key(r: dict[str, Any]) -> tuple[str, int | None, str | None, str]:
    return (r["rule"], r["row"], r["column"], r["status"])


def assert_golden(current: list[dict[str, Any]], golden: Path) -> None:
    """The findings equal the reviewed list: the same keys, the same values on both sides."""
    if os.environ.get("RULECHECK_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", "utf-8")
    expected = json.loads(golden.read_text("utf-8"))
    got_keys = {_key(r) for r in current}
    want_keys = {_key(r) for r in expected}
    assert got_keys == want_keys, {
        "new (review and explain in FINDINGS.md)": sorted(got_keys - want_keys, key=str),
        "gone": sorted(want_keys - got_keys, key=str),
    }
    by_key = {_key(r): r for r in expected}
    for r in current:
        want = by_key[_key(r)]
        for side in ("lhs", "rhs"):
            if want[side] is None or r[side] is None:
                assert want[side] == r[side], (r, want)
            else:
                assert math.isclose(r[side], want[side], abs_tol=1e-6), (r, want)


def assert_explained(golden: Path, findings_md: Path) -> None:
    """Every rule of the golden list is named (`ID`) in the write-up."""
    text = findings_md.read_text("utf-8")
    expected = json.loads(golden.read_text("utf-8"))
    missing = sorted({r["rule"] for r in expected if f"`{r['rule']}`" not in text})
    assert not missing, missing


def assert_rule_metadata(rules: Iterable[ast.Rule | ast.Rollup]) -> None:
    """Unique ids; every rule has a title, a severity, a description and a source."""
    ids: list[str] = []
    for rule in rules:
        meta = rule.meta
        ids.append(meta.id)
        assert meta.title.strip(), meta.id
        assert meta.severity in ("error", "warning", "info"), meta.id
        assert meta.description and meta.description.strip(), meta.id
        assert meta.source and meta.source.strip(), meta.id
    assert len(ids) == len(set(ids))


def assert_included_and_described(ruleset: Path, name: str) -> None:
    """A rule file of a ruleset folder is included by its ruleset.rules and named in its
    README.md."""
    entry = (ruleset / "ruleset.rules").read_text("utf-8")
    readme = (ruleset / "README.md").read_text("utf-8")
    assert f'include "{name}"' in entry
    assert f"`{name}`" in readme


def caught_documents(results: pl.DataFrame, original: int) -> set[int]:
    """Documents where some (rule, row, column) fails or errors but not on ``original``."""
    bad = results.filter(pl.col("status").is_in(BAD)).select("document", "rule", "row", "column")
    on_original = bad.filter(pl.col("document") == original).drop("document")
    caught = bad.join(on_original, on=["rule", "row", "column"], how="anti", nulls_equal=True)
    return set(caught["document"].to_list())


def mutation(report: Report) -> tuple[list[Mutant], list[Mutant]]:
    """(mutants, survivors) of the one document ``report`` checked: one mutant per numeric
    figure (+1.00), built from the report's frames as ``ruleset_run`` builds the seed's and
    checked in one batch; a survivor is a mutant no (rule, row, column) catches."""
    rules, batch = report.rules, report.batch
    assert batch.documents.height == 1, "one original document"
    mutants = _mutants(rules.template, batch.tables, batch.statements, 1)
    m_docs, m_tables, m_statements = _mutant_frames(
        batch.documents, batch.tables, batch.statements, mutants
    )
    documents = pl.concat([batch.documents, m_docs], how="vertical_relaxed")
    tables = {
        role: pl.concat([batch.tables[role], m_tables[role]], how="vertical_relaxed")
        for role in batch.tables
    }
    statements = pl.concat([batch.statements, m_statements], how="vertical_relaxed")
    results = evaluate(
        rules.ruleset, rules.template, documents, tables, statements, cells_for=()
    ).frame
    caught = caught_documents(results, 0)
    return mutants, [m for m in mutants if m.document not in caught]


def coverage(report: Report) -> Coverage:
    """``rulecheck coverage`` of the documents ``report`` checked."""
    rules, batch = report.rules, report.batch
    results = evaluate(
        rules.ruleset,
        rules.template,
        batch.documents,
        batch.tables,
        batch.statements,
        cells_for=EVALUATED,
    ).frame
    return compute_coverage(
        rules.ruleset, rules.template, results, batch.documents, batch.tables, batch.statements
    )
