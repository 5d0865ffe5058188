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

import json
import math
import os
from typing import Any

import polars as pl
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


def _key(r: dict[str, Any]) -> tuple[str, int | None, str | None, str]:
    return (r["rule"], r["row"], r["column"], r["status"])


def test_seed_findings_match_the_reviewed_list() -> None:
    current = _current()
    if os.environ.get("RULECHECK_UPDATE_GOLDEN"):
        GOLDEN.write_text(
            json.dumps(current, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    expected = json.loads(GOLDEN.read_text("utf-8"))
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


def test_every_finding_is_explained_in_findings_md() -> None:
    text = (RULESET / "FINDINGS.md").read_text("utf-8")
    expected = json.loads(GOLDEN.read_text("utf-8"))
    missing = sorted({r["rule"] for r in expected if f"`{r['rule']}`" not in text})
    assert not missing, missing
