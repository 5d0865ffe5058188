"""The Python API: two rulesets side by side in one process, paths / dicts / frames."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from checker.api import check, check_batch, check_documents, load_rules
from checker.documents import load_documents

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
KEYS = ["document", "rule", "row", "column", "status", "lhs", "rhs"]

ONE_RULE = """precision 0.01 万元
alias 收支表 = 部门收支总体情况表
in 收支表:
  rule MY-1 "收入总计比支出总计多 1": 收入总计 = 支出总计 + 1
"""


def test_two_rulesets_side_by_side_leave_no_trace_in_each_other(tmp_path: Path) -> None:
    mine = tmp_path / "mine.rules"
    mine.write_text(ONE_RULE, encoding="utf-8")
    default, custom = load_rules(), load_rules([mine])
    first = check([str(SEED)], default)
    other = check([str(SEED)], custom)
    again = check([str(SEED)], default)
    assert other.frame["rule"].unique().to_list() == ["MY-1"]
    assert other.findings()["rule"].to_list() == ["MY-1"]  # the seed balances: off by 1
    assert len(custom.ruleset.rules) == 1 and len(default.ruleset.rules) == 569
    assert first.summary() == again.summary() and first.summary()["fail"] == 19
    a, b = (r.frame.select(KEYS).sort(KEYS, nulls_last=True) for r in (first, again))
    assert a.equals(b)
    narrowed = default.select(["SZ-"])  # a selection is a new value; the original keeps all
    assert len(default.ruleset.rules) == 569 > len(narrowed.ruleset.rules) > 0


def test_paths_dicts_and_frames_give_the_same_report() -> None:
    rules = load_rules().select(["SZ-", "ZC-"])
    by_path = check([str(SEED)], rules)
    document = json.loads(SEED.read_text(encoding="utf-8"))
    by_dict = check_documents([document], rules, names=[SEED.name])
    by_frames = check_batch(load_documents([str(SEED)]), rules)
    frames = [
        r.frame.select(KEYS).sort(KEYS, nulls_last=True) for r in (by_path, by_dict, by_frames)
    ]
    assert frames[0].height > 0
    assert frames[0].equals(frames[1]) and frames[0].equals(frames[2])
    assert by_path.summary() == by_dict.summary() == by_frames.summary()
    statuses = set(by_path.frame["status"].unique().to_list())
    assert {"pass", "rounding"} <= statuses
    assert isinstance(by_path.findings(), pl.DataFrame)
