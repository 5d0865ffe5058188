"""``checker.coverage`` and ``rulecheck coverage``: which numeric cells no rule reads.

Small rule texts over the seed, so the expected covered cells can be listed
by hand: cell references, per-row rules, aggregates (plain and correlated),
roll-ups, default value columns, and skipped evaluations (which read nothing).
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from cli_run import rulecheck

from checker.coverage import STATEMENTS, compute_coverage, numeric_cells, referenced_cells
from checker.documents import Batch, load_documents
from checker.evaluate import EVALUATED, evaluate
from checker.resolve import resolve_text
from checker.template import load_template

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
T2 = "部门收入总体情况表"
T3 = "部门支出总体情况表"
T4 = "财政拨款收支总体情况表"
T12 = "项目绩效目标汇总表"


@cache
def seed() -> Batch:
    return load_documents([str(SEED)], jobs=1)


def read(text: str) -> set[tuple[str, int | None, str]]:
    """The (table, row, column) cells of the seed that the rules in ``text`` read."""
    template = load_template()
    ruleset, diags = resolve_text(text, "t.rules", template)
    assert not [d for d in diags if d.severity == "error"], [d.format("en") for d in diags]
    batch = seed()
    results = evaluate(
        ruleset, template, batch.documents, batch.tables, batch.statements, cells_for=EVALUATED
    )
    coverage = compute_coverage(
        ruleset, template, results.frame, batch.documents, batch.tables, batch.statements
    )
    cells = numeric_cells(template, batch.tables, batch.statements)
    uncovered = {(r["table"], r["row"], r["column"]) for r in coverage.uncovered.to_dicts()}
    return {(r["table"], r["row"], r["column"]) for r in cells.to_dicts()} - uncovered


def test_numeric_cells_of_the_seed() -> None:
    batch = seed()
    cells = numeric_cells(load_template(), batch.tables, batch.statements)
    assert cells.height == 510
    assert cells.filter(pl.col("table") == STATEMENTS).height == 57
    t1 = cells.filter(pl.col("table") == "部门收支总体情况表")
    assert t1.height == 10 and 4736.03 in t1["value"].to_list()
    tables_only = numeric_cells(load_template(), batch.tables, None)
    assert tables_only.height == 453


def test_cell_reference_and_statement() -> None:
    got = read('rule A "t": 说明.收支总体.收入总计 = 收入总表[合计].总计\n')
    assert got == {(T2, 0, "总计"), (STATEMENTS, None, "收支总体.收入总计")}


def test_default_value_column_is_the_first_non_empty_one() -> None:
    # 表四's default column coalesces 金额 and 合计: 收入 rows read 金额, 支出 rows 合计
    got = read('rule A "t": 财政拨款收支总体情况表[收入合计] = 财政拨款收支总体情况表[支出合计]\n')
    assert got == {(T4, 9, "金额"), (T4, 42, "合计")}


def test_per_row_rule_reads_its_rows() -> None:
    got = read(
        "for each row in 部门收入总体情况表 where length(单位代码) = 6:\n"
        '  rule A "t": 总计 >= 本年收入.合计\n'
    )
    assert got == {(T2, r, c) for r in (2, 3, 4) for c in ("总计", "本年收入.合计")}


def test_aggregate_reads_the_rows_its_filter_selects() -> None:
    got = read('rule A "t": sum(部门支出总体情况表.合计 where 科目编码 startswith "2080") >= 0\n')
    codes = seed().tables[T3].select("row", "科目编码").to_dicts()
    want = {
        (T3, r["row"], "合计")
        for r in codes
        if r["科目编码"] is not None and r["科目编码"].startswith("2080")
    }
    assert got == want and len(want) == 9


def test_correlated_aggregate_reads_per_outer_row() -> None:
    # 表十二 unit rows (035001, 036003) against the 表十 projects of the same unit name
    got = read(
        "for each row in 项目绩效目标汇总表 where length(编码) = 6:\n"
        '  rule A "t": 项目金额.资金总额 = sum(项目支出表.合计 where 项目单位 = row.名称)\n'
    )
    t10 = seed().tables["项目支出表"].filter(pl.col("项目名称").is_not_null())
    assert {r for r in got if r[0] == "项目支出表"} == {
        ("项目支出表", r, "合计") for r in t10["row"].to_list()
    }
    assert {r for r in got if r[0] == T12} == {
        (T12, 1, "项目金额.资金总额"),
        (T12, 39, "项目金额.资金总额"),
    }


def test_skipped_evaluations_read_nothing() -> None:
    got = read('rule A "t":\n  when 收入总表[合计].总计 < 0\n  收入总表[合计].本年收入.合计 = 0\n')
    assert got == set()


def test_count_reads_no_amount() -> None:
    assert read('rule A "t": count(部门收入总体情况表 where 总计 > 0) = 4\n') == set()


def test_rollup_reads_the_child_rows() -> None:
    # the seed prints only 项 rows, so a 类/款/项 roll-up has no parent and reads nothing
    assert read('rollup R "t" in 部门支出总体情况表 by 科目编码 levels 3, 5, 7\n') == set()
    # with a 款 row (20801) added, the 款 → 项 roll-up reads it and its 项 rows
    doc = json.loads(SEED.read_text("utf-8"))
    rows = doc["tables"][T3]["rows"]
    rows.insert(3, {"科目编码": "20801", "名称": "人力资源和社会保障管理事务", "合计": 493.38})
    template = load_template()
    ruleset, _ = resolve_text('rollup R "t" in 支出总表 by 科目编码 levels 5, 7\n', "t", template)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "doc.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
        batch = load_documents([str(path)], jobs=1)
    results = evaluate(
        ruleset, template, batch.documents, batch.tables, batch.statements, cells_for=EVALUATED
    )
    read_cells = referenced_cells(
        ruleset, template, results.frame, batch.documents, batch.tables, batch.statements
    )
    children = {
        r["row"]
        for r in read_cells.filter(
            (pl.col("table") == T3) & (pl.col("column") == "合计")
        ).to_dicts()
    }
    codes = dict(batch.tables[T3].select("row", "科目编码").iter_rows())
    assert {codes[r] for r in children} == {"20801"} | {
        c for c in codes.values() if c and c.startswith("20801") and len(c) == 7
    }


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def small_rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rules") / "small.rules"
    path.write_text(
        'rule A "表一收入总计 = 表二合计" :\n'
        '  description "d"\n  source "s"\n'
        "  部门收支总体情况表[收入总计] = 部门收入总体情况表[合计].总计\n",
        "utf-8",
    )
    return path


def test_command_json_and_text(small_rules: Path) -> None:
    proc = rulecheck("coverage", "-r", str(small_rules), "--format", "json", str(SEED))
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["total"] == {"cells": 510, "covered": 2, "percent": pytest.approx(0.3922, 1e-3)}
    by_table = {t["table"]: t for t in payload["tables"]}
    assert by_table["部门收支总体情况表"]["covered"] == 1 and by_table[T2]["covered"] == 1
    assert len(payload["uncovered"]) == 508
    first = payload["uncovered"][0]
    assert set(first) == {"document", "table", "row", "column", "label", "value"}
    proc = rulecheck("coverage", "-r", str(small_rules), "--lang", "en", str(SEED))
    assert proc.returncode == 0
    assert "numeric cell coverage" in proc.stdout and "2/510" in proc.stdout
    proc = rulecheck("coverage", "-r", str(small_rules), str(SEED))
    assert "数值单元格覆盖率" in proc.stdout and "0.39%" in proc.stdout


def test_command_bad_input(small_rules: Path, tmp_path: Path) -> None:
    bad_rules = tmp_path / "bad.rules"
    bad_rules.write_text('rule A "t": 收支表[收入总计] = \n', "utf-8")
    assert rulecheck("coverage", "-r", str(bad_rules), str(SEED)).returncode == 3
    bad_doc = tmp_path / "bad.json"
    bad_doc.write_text("{", "utf-8")
    proc = rulecheck("coverage", "-r", str(small_rules), str(bad_doc), str(SEED))
    assert proc.returncode == 4 and "bad.json" in proc.stderr
    assert rulecheck("coverage", "--lang", "fr", str(SEED)).returncode == 2
