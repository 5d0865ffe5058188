"""`rulecheck explain` through the CLI on the seed: the trace's verdicts are the engine's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from checker.api import check, load_rules
from checker.cli import app

ROOT = Path(__file__).resolve().parent.parent
SEED = str(ROOT / "examples" / "000_afa05cab7739910b.json")

# FINDINGS.md: JJ-10[一般公共预算.财政拨款] fails (a 1.00 error), SZ-01 is 尾差 (4,736.03 vs
# 4,708.93 + 27.11), SZ-03 passes; JJ-40 is per row and fails on row 21 only.
FAIL, ROUNDING, PASS, PER_ROW = "JJ-10[一般公共预算.财政拨款]", "SZ-01", "SZ-03", "JJ-40"


def _explain(*args: str) -> Any:
    done = CliRunner().invoke(app, ["explain", *args])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return done


@pytest.fixture(scope="module")
def engine() -> pl.DataFrame:
    """The Polars engine's results for the explained rules on the seed (evaluated once)."""
    rules = load_rules().select([FAIL, ROUNDING, PASS, PER_ROW])
    return check([SEED], rules).frame


def _traced(rule: str, *extra: str) -> dict[str, Any]:
    done = _explain(rule, "--document", SEED, "--format", "json", *extra)
    assert done.exit_code == 0, done.output
    (explained,) = json.loads(done.stdout)["explanations"]
    return explained


def _engine_statuses(engine: pl.DataFrame, rule: str) -> dict[int | None, str]:
    found = engine.filter(pl.col("rule") == rule).select("row", "status").rows()
    return dict(found)


@pytest.mark.parametrize(
    ("rule", "status"), [(FAIL, "fail"), (ROUNDING, "rounding"), (PASS, "pass")]
)
def test_verdict_is_the_engines(engine: pl.DataFrame, rule: str, status: str) -> None:
    explained = _traced(rule)
    traced = {r["row"]: r["status"] for r in explained["rows"]}
    assert traced == _engine_statuses(engine, rule) == {None: status}
    row = explained["rows"][0]
    got = engine.filter(pl.col("rule") == rule).row(0, named=True)
    assert row["lhs"]["value"] == pytest.approx(got["lhs"])
    assert row["rhs"]["interval"] == pytest.approx([got["rhs_lo"], got["rhs_hi"]])
    assert row["diff"] == pytest.approx(got["diff"]) and row["tolerance"] == pytest.approx(
        got["tolerance"]
    )


def test_per_row_rule_explains_every_row_or_the_one_asked(engine: pl.DataFrame) -> None:
    every = _traced(PER_ROW)
    assert {r["row"]: r["status"] for r in every["rows"]} == _engine_statuses(engine, PER_ROW)
    assert len(every["rows"]) > 20
    (one,) = _traced(PER_ROW, "--row", "21")["rows"]
    assert (one["row"], one["status"]) == (21, "fail")
    assert one["key"].startswith("30108")


def test_interval_steps_of_a_sum() -> None:
    (row,) = _traced(ROUNDING)["rows"]
    lhs, rhs = row["trace"]["lhs"], row["trace"]["rhs"]
    assert lhs[-1]["value"] == 4736.03
    assert lhs[-1]["interval"] == [4736.025, 4736.035]  # [v - p/2, v + p/2], p = 0.01
    assert lhs[-1]["where"].startswith("/tables/部门收支总体情况表/rows/")
    left, right, total = rhs  # the two leaves, then the + step
    assert (left["value"], left["interval"]) == (4708.93, [4708.925, 4708.935])
    assert (right["value"], right["interval"]) == (27.11, [27.105, 27.115])
    assert total["op"] == "+" and total["value"] == 4736.04
    assert total["operands"] == [[4708.925, 4708.935], [27.105, 27.115]]
    assert total["interval"] == [4736.03, 4736.05]
    assert row["diff"] == -0.01 and row["tolerance"] == 0.015


def test_text_shows_the_rule_as_written_and_each_step() -> None:
    done = _explain(ROUNDING, "--document", SEED)
    assert done.exit_code == 0, done.output
    out = done.stdout
    assert "收支总表.rules:7" in out
    assert "10 |     收入总计 = 本年收入合计 + 上年结转结余" in out  # source text with its line
    assert "[4,708.925, 4,708.935] + [27.105, 27.115] = [4,736.03, 4,736.05]" in out
    assert "尾差" in out and "左边" in out
    english = _explain(ROUNDING, "--document", SEED, "--lang", "en").stdout
    assert "rounding" in english and "left" in english and "左边" not in english


def test_without_a_document_the_references_resolved_against_the_template() -> None:
    done = _explain(FAIL, "--format", "json")
    assert done.exit_code == 0, done.output
    (explained,) = json.loads(done.stdout)["explanations"]
    assert explained["severity"] == "error" and explained["precision"] == 0.01
    assert "rows" not in explained
    cell = next(r for r in explained["references"] if r["kind"] == "cell")
    assert cell["table"] == "支出经济分类汇总表"
    assert (cell["row"], cell["row_column"]) == ("合计", "名称")
    assert (cell["column"], cell["column_kind"]) == ("一般公共预算.财政拨款", "amount")


def test_a_template_id_explains_each_column_copy() -> None:
    done = _explain("JJ-10", "--format", "json")
    ids = [e["rule"] for e in json.loads(done.stdout)["explanations"]]
    assert len(ids) > 5 and FAIL in ids


def test_unknown_rule_is_a_usage_error_with_did_you_mean() -> None:
    done = _explain("SZ-1O")
    assert done.exit_code == 2
    assert "没有编号为 SZ-1O 的规则" in done.stderr and "是不是" in done.stderr
    assert "Traceback" not in done.output
    english = _explain("SZ-1O", "--lang", "en")
    assert english.exit_code == 2 and "did you mean" in english.stderr


def test_a_row_the_rule_does_not_check_is_a_usage_error() -> None:
    done = _explain(PER_ROW, "--document", SEED, "--row", "0")
    assert done.exit_code == 2 and "第 0 行" in done.stderr
    done = _explain(ROUNDING, "--document", SEED, "--row", "3")
    assert done.exit_code == 2 and "--row" in done.stderr


def test_an_invalid_document_exits_4(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    done = _explain(ROUNDING, "--document", str(bad))
    assert done.exit_code == 4 and "Traceback" not in done.output
