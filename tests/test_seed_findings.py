"""Golden test: the findings of the shipped 部门预算 ruleset on the seed document.

Every finding (status fail, error or rounding) on
``examples/000_afa05cab7739910b.json`` was reviewed by hand and is explained in
``rulesets/部门预算/FINDINGS.md``. The checked-in list
``rulesets/部门预算/findings.golden.json`` pins them: any change to the set of
(rule, row, column, status), or to the values compared, fails this test, so a
rule edit that adds, loses or changes a finding is noticed and re-reviewed.

To accept a reviewed change: ``RULECHECK_UPDATE_GOLDEN=1 pytest tests/test_seed_findings.py``,
then update FINDINGS.md.
"""

from __future__ import annotations

import math
from typing import Any

import polars as pl
from ruleset_golden import assert_explained, assert_golden
from ruleset_run import RULESET, default_run

GOLDEN = RULESET / "findings.golden.json"
STATUSES = ("fail", "error", "rounding")


def _current() -> list[dict[str, Any]]:
    run = default_run()
    found = run.results.filter(
        (pl.col("document") == run.seed) & pl.col("status").is_in(STATUSES)
    ).select("rule", "row", "column", "status", "lhs", "rhs")
    rows = found.to_dicts()
    for r in rows:
        for key in ("lhs", "rhs"):
            value = r[key]
            r[key] = None if value is None or math.isnan(value) else round(value, 6)
    return sorted(rows, key=lambda r: (r["rule"], r["row"] if r["row"] is not None else -1))


def test_seed_findings_match_the_reviewed_list() -> None:
    assert_golden(_current(), GOLDEN)


def test_every_finding_is_explained_in_findings_md() -> None:
    assert_explained(GOLDEN, RULESET / "FINDINGS.md")
