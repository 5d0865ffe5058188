"""The 部门预算（上海）ruleset, proven on corpus documents 01, 03, 05, 07 and 10 read straight
from their PDFs.

``rulesets/部门预算-上海`` checks the Shanghai 部门预算 / 单位预算 template
(``schemas/shanghai-budget.schema.json``: tables 1–8 in 元, the 三公 table in 万元). The five
corpus PDFs are imported on the fly by ``checker.api.check`` and checked in one run; every
test reads that run.

* **golden**: every finding (fail, error, rounding) was reviewed by hand against the rendered
  PDF page and is explained in ``rulesets/部门预算-上海/FINDINGS.md``; ``findings.golden.json``
  pins them per document (rule, row, column, status, both sides). To accept a reviewed
  change: ``RULECHECK_UPDATE_GOLDEN=1 pytest tests/test_rules_shanghai_budget.py``, then
  update FINDINGS.md.
* **scope (口径)**: document 10 (a 单位预算 with 事业收入) has 财政拨款 tables smaller than its
  总表 by exactly the 事业收入; the scope rules pass on it, and a real mismatch of the same
  cells still fails (its mutants are caught).
* **mutation**: one mutant per numeric cell of each document, that figure + 100 元 (+1.00 in
  the 万元 三公 table), all checked in one batch, built from the imported frames as
  ``ruleset_run`` builds the seed's. A mutant is *caught* when some result — a (rule, row,
  column) — fails or errors on it but not on its original. Of the cells some rule reads,
  ≥ 99% per document must be caught; the survivors are listed with their reasons in the
  ruleset's README ("变异测试").
* **coverage**: ≥ 95% of each document's numeric cells are read by some rule
  (``checker.coverage``); the rest are listed in the README.

The corpus lives outside the project (``/work/shared/corpus``, never copied in): without it
these tests are skipped, saying why.
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
    assert_rule_metadata,
    caught_documents,
    coverage,
    finding_rows,
)
from ruleset_run import Mutant, _mutant_frames

from checker import ast
from checker.api import Report, check, load_rules
from checker.coverage import numeric_cells
from checker.documents import SCALE
from checker.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / "rulesets" / "部门预算-上海"
SCHEMA = ROOT / "schemas" / "shanghai-budget.schema.json"
GOLDEN = RULESET / "findings.golden.json"
CORPUS = Path(os.environ.get("RULECHECK_CORPUS", str(ROOT.parent / "shared" / "corpus")))
DOCUMENTS = (
    "01-putuo-govoffice-2025-dept-budget",
    "03-putuo-commerce-2025-dept-budget",
    "05-putuo-wanli-street-2024-dept-budget",
    "07-putuo-wanli-street-2023-dept-budget",
    "10-putuo-welfare-home-2024-unit-budget",
)
SANGONG = "三公经费和机关运行经费预算表"
# 表九's 机关运行经费 (万元) is read by SG-10, a bound against 表八's 公用经费 (元, the schema
# states each table's unit), and by SM-17 against the prose's 机关运行经费预算. Document 10's
# prose says “无机关运行经费” (no figure) and the bound has room (0 against 2,120,950 元): its
# +1.00 万元 survives; elsewhere the prose (or the bound met within rounding, 01 and 03)
# catches it
RUNNING_COST = (SANGONG, 0, "机关运行经费")

# Cells some rule reads whose +100 元 (+1.00 万元) no rule catches (README "变异测试").
SURVIVORS: dict[str, set[tuple[str, int, str]]] = {
    name: {RUNNING_COST} if name.startswith("10-") else set() for name in DOCUMENTS
}
# Numeric cells no rule reads, per document (README "覆盖率").
UNCOVERED: dict[str, set[tuple[str, int, str]]] = {name: set() for name in DOCUMENTS}


def _pdfs() -> list[Path]:
    pdfs = [CORPUS / f"{name}.pdf" for name in DOCUMENTS]
    missing = [p.name for p in pdfs if not p.is_file()]
    if missing:
        pytest.skip(f"corpus documents {missing} not found in {CORPUS} (kept outside the project)")
    return pdfs


@cache
def _checked() -> Report:
    rules = load_rules([RULESET], schema=SCHEMA)
    report = check([str(p) for p in _pdfs()], rules, schema=SCHEMA)
    assert report.batch.invalid_count == 0, report.batch.diagnostics
    ids = report.batch.documents.sort("document")["id"].to_list()
    assert ids == list(DOCUMENTS)
    return report


def _report() -> Report:
    _pdfs()
    return _checked()


def _findings() -> dict[str, list[dict[str, Any]]]:
    """Per document id, its findings (``ruleset_golden.finding_rows``)."""
    frame = _report().frame
    found = {name: finding_rows(frame.filter(pl.col("id") == name)) for name in DOCUMENTS}
    for rows in found.values():
        rows.sort(
            key=lambda r: (r["rule"], -1 if r["row"] is None else r["row"], r["column"] or "")
        )
    return found


def test_findings_match_the_reviewed_list() -> None:
    current = _findings()
    if os.environ.get("RULECHECK_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert current == json.loads(GOLDEN.read_text("utf-8"))


def test_every_finding_is_explained_in_findings_md() -> None:
    text = (RULESET / "FINDINGS.md").read_text("utf-8")
    golden: dict[str, list[dict[str, Any]]] = json.loads(GOLDEN.read_text("utf-8"))
    for name, rows in golden.items():
        section = text.split(f"## {name}", 1)
        assert len(section) == 2, f"FINDINGS.md has no section for {name}"
        mine = section[1].split("\n## ", 1)[0]
        missing = sorted({r["rule"] for r in rows if f"`{r['rule']}`" not in mine})
        assert not missing, (name, missing)


def _localized(name: str) -> dict[str, Any]:
    report = _report()
    number = report.batch.documents.filter(pl.col("id") == name).get_column("document")[0]
    found: dict[str, Any] = report.localizations().get(number, {})
    return found


def _changes(candidate: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {
        (c["table"], c["row"], c["column"], c["published"], round(c["suggested"], 4))
        for c in candidate["cells"]
    }


def test_localization_as_reviewed() -> None:
    """What FINDINGS.md "Localization" says each document's localization names."""
    economy = "一般公共预算基本支出部门预算经济分类预算表"
    gap = _localized(DOCUMENTS[2])["error"]  # 05: GY-20, the two unread 款 (28,070,910)
    assert {r["rule"] for r in gap["rules"]} == {"GY-20"} and gap["proven"] and gap["more"]
    assert len(gap["candidates"]) == 5
    for candidate in gap["candidates"]:
        assert candidate["cost"] == 2.4
        assert {(c["table"], c["column"]) for c in candidate["cells"]} == {
            (economy, "合计"),
            (economy, "人员经费"),
        }
        assert {round(c["suggested"] - c["published"]) for c in candidate["cells"]} == {28070910}
    bound = _localized(DOCUMENTS[4])["error"]  # 10: SG-13, 表九 against 表八's 30212
    assert [r["rule"] for r in bound["rules"]] == ["SG-13"] and bound["proven"]
    assert [_changes(c) for c in bound["candidates"]] == [
        {(SANGONG, 0, "合计", 6.4, 7.11), (SANGONG, 0, "因公出国(境)费", 0.0, 0.71)}
    ]
    for name, before in ((DOCUMENTS[0], 213.275), (DOCUMENTS[1], 171.0062)):
        causes = _localized(name)["rounding"]["candidates"][0]
        assert [(c["table"], c["column"], c["suggested"]) for c in causes["cells"]] == [
            (SANGONG, "机关运行经费", before)
        ]
    assert "error" not in _localized(DOCUMENTS[3])  # 07: SM-34, not a linear identity


def test_documents_01_and_03_have_no_failure() -> None:
    """Two documents are consistent throughout: every identity holds; what they report are
    尾差 between a 0.01 万元 figure and 元 (表九's 机关运行经费 against 表八's 公用经费, SG-10;
    the prose's totals against 表一/表四, SM-). 07's one failure is its prose (SM-34,
    FINDINGS.md)."""
    golden = json.loads(GOLDEN.read_text("utf-8"))
    for name in DOCUMENTS[:2]:
        assert {r["status"] for r in golden[name]} == {"rounding"}, name
        assert {r["rule"] for r in golden[name]} == {
            "SG-10",
            "SM-01",
            "SM-02",
            "SM-06",
            "SM-07",
            "SM-08",
        }
    failed = {r["rule"] for r in golden[DOCUMENTS[3]] if r["status"] != "rounding"}
    assert failed == {"SM-34"}


def test_the_scope_of_document_10_is_not_a_failure() -> None:
    """Document 10's 财政拨款 tables exclude its 事业收入: the rules comparing them with the
    总表 and the 收入表 pass, though the totals differ by exactly the 事业收入."""
    report = _report()
    doc10 = report.frame.filter(pl.col("id") == DOCUMENTS[4])
    scope = doc10.filter(pl.col("rule").is_in(["BK-10", "BK-12", "BK-21", "SR-11", "ZC-02"]))
    failed = scope.filter(pl.col("status") != "pass").select("rule", "row").rows()
    # the one exception is no scope difference: 2101102, printed "7 11 02" in 表五 (FINDINGS.md)
    assert scope.height > 20 and failed == [("SR-11", 10)], failed
    bk10 = scope.filter(pl.col("rule") == "BK-10").row(0, named=True)
    assert bk10["lhs"] == 9_501_164 and bk10["rhs"] == 9_501_164  # 12,121,164 − 2,620,000


def test_cross_unit_rules_compare_in_yuan() -> None:
    """表九 (万元) against 表八 / 表五 (元): converted into 元, each 万元 figure ±50 元. Every
    SG-1x passes but SG-10's 尾差 on 01 and 03 (213.28 万元 for 2,132,777.54 元; 171.01 for
    1,710,062) and SG-13 on 10 (its 30212 is a misnumbered 退休人员活动费, FINDINGS.md)."""
    frame = _report().frame.filter(pl.col("rule").is_in([f"SG-1{i}" for i in range(6)]))
    assert frame.height == 6 * len(DOCUMENTS)
    odd = sorted(
        (doc[:2], rule, status)
        for doc, rule, status in frame.select("id", "rule", "status").iter_rows()
        if status != "pass"
    )
    assert odd == [
        ("01", "SG-10", "rounding"),
        ("03", "SG-10", "rounding"),
        ("10", "SG-13", "fail"),
    ]
    sg10 = frame.filter((pl.col("rule") == "SG-10") & (pl.col("id") == DOCUMENTS[0])).row(
        0, named=True
    )
    assert (sg10["lhs"], sg10["rhs"]) == (2_132_800, 2_132_777.54)


# --------------------------------------------------------------------------- across documents

# the prose's 比上年 rules (说明.rules): the change's size, then its direction (增加/减少)
CROSS = [f"SM-{i}" for i in (*range(51, 62), *range(71, 82))]


def _cross(frame: pl.DataFrame, name: str) -> dict[str, tuple[str, str | None]]:
    mine = frame.filter((pl.col("id") == name) & pl.col("rule").is_in(CROSS))
    return {
        rule: (status, reason)
        for rule, status, reason in mine.select("rule", "status", "reason").iter_rows()
    }


def test_the_2024_prose_is_checked_against_the_2023_document() -> None:
    """05 (万里街道 2024) and 07 (the same body, 2023) in one run: each 比2023年预算 figure of
    05's prose is checked against 07's tables. The three 财政拨款 changes (减少 876.75 万元) are
    a 尾差: 164,978,640 − 156,211,123 = 8,767,517 元 (FINDINGS.md); the 三公 changes (增加 25 万元:
    47.91 against 22.91, 购置费 25 against 0) and every 持平 hold exactly. A direction rule does
    not apply to a 持平 (skipped by its ``when``, not for want of a document). 07's own
    比2022年 figures are skipped: no 2022 document in the run, and the result says so."""
    frame = _report().frame
    got = _cross(frame, DOCUMENTS[2])
    rounding = {"SM-51", "SM-52", "SM-53"}
    unchanged = {"SM-74", "SM-75", "SM-77", "SM-80", "SM-81"}  # 持平: no direction to check
    assert {r for r, (s, _) in got.items() if s == "rounding"} == rounding
    assert {r for r, (s, _) in got.items() if s == "skipped"} == unchanged
    assert {r for r, (s, _) in got.items() if s == "pass"} == set(CROSS) - rounding - unchanged
    assert all(reason != "needs-document:上年" for _, reason in got.values())
    sm51 = frame.filter((pl.col("id") == DOCUMENTS[2]) & (pl.col("rule") == "SM-51")).row(
        0, named=True
    )
    assert (sm51["lhs"], sm51["rhs"]) == (8_767_500, 8_767_517)  # 876.75 万元; 07 − 05 in 元
    prior = _cross(frame, DOCUMENTS[3])
    assert set(prior) == set(CROSS)
    # 07 prints no change for 公务车购置及运行费: SM-58 finds no statement (SM-78 names the
    # document first)
    unprinted = "missing-statement:说明.三公经费.公务用车购置及运行费增减额"
    assert {r for r, v in prior.items() if v == ("skipped", unprinted)} == {"SM-58"}
    assert {v for r, v in prior.items() if r != "SM-58"} == {("skipped", "needs-document:上年")}


def test_alone_the_2024_document_skips_its_prior_year_rules() -> None:
    """05 checked without 07: every 比上年 rule is skipped and names the document it needs."""
    rules = load_rules([RULESET], schema=SCHEMA)
    report = check([str(_pdfs()[2])], rules, schema=SCHEMA)
    got = _cross(report.frame, DOCUMENTS[2])
    assert set(got) == set(CROSS)
    assert set(got.values()) == {("skipped", "needs-document:上年")}
    # the rest of the prose is checked as in the joint run
    prose = report.frame.filter(
        pl.col("rule").str.starts_with("SM-") & ~pl.col("rule").is_in(CROSS)
    )
    assert prose.height > 20 and set(prose["status"]) <= {"pass", "rounding", "skipped"}


# --------------------------------------------------------------------------- mutation


@cache
def _coverage() -> pl.DataFrame:
    """The numeric cells no rule reads, over the five documents (``checker.coverage``)."""
    return coverage(_checked()).uncovered


def _cells(report: Report) -> pl.DataFrame:
    """Every numeric cell of the five documents with its table's unit, numbered as the
    document of the mutant that changes it (after the originals)."""
    key = ["document", "table", "row", "column"]
    first = report.batch.documents.height
    return (
        numeric_cells(report.rules.template, report.batch.tables, None, include_statements=False)
        .join(report.batch.table_info.select("document", "table", "unit"), on=key[:2])
        .sort(key)
        .with_columns((pl.int_range(pl.len()) + first).cast(pl.UInt32).alias("mutant"))
    )


@cache
def _mutation() -> pl.DataFrame:
    """The numeric cells some rule reads, each with ``caught``: one mutant per cell, all
    evaluated in one batch."""
    report = _checked()
    rules = report.rules
    key = ["document", "table", "row", "column"]
    cells = _cells(report).join(_coverage().select(key), on=key, how="anti")
    documents, tables, statements = _mutant_batch(report, cells)
    results = evaluate(
        rules.ruleset, rules.template, documents, tables, statements, cells_for=()
    ).frame.filter(pl.col("status").is_in(BAD))
    caught: set[int] = set()
    for original, mutants in cells.group_by("document").agg("mutant").iter_rows():
        mine = results.filter(pl.col("document").is_in([original, *mutants]))
        caught |= caught_documents(mine, original)
    return cells.with_columns(pl.col("mutant").is_in(sorted(caught)).alias("caught"))


def _mutant_batch(
    report: Report, cells: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], pl.DataFrame]:
    """The originals, then one mutant per cell (document number ``mutant``): that cell + 100
    元, or + 1.00 in a 万元 table. ``ruleset_run._mutant_frames`` adds 1.00 (``SCALE``); in a
    元 table the edit is then made 100 times as large."""
    batch = report.batch
    documents, statements = [batch.documents], [batch.statements]
    tables = {role: [frame] for role, frame in batch.tables.items()}
    for original in range(batch.documents.height):
        only = pl.col("document") == original
        mine = cells.filter(only)
        if mine.is_empty():
            continue
        edits = mine.select("mutant", "table", "row", "column").iter_rows()
        frames = {role: frame.filter(only) for role, frame in batch.tables.items()}
        docs, copies, said = _mutant_frames(
            batch.documents.filter(only),
            frames,
            batch.statements.filter(only),
            [Mutant(*edit) for edit in edits],
        )
        for role in set(mine.filter(pl.col("unit") == "元")["table"]):
            copies[role] = _scaled_edit(copies[role], frames[role], 100)
        documents.append(docs)
        statements.append(said)
        for role, frame in copies.items():
            tables[role].append(frame)
    return (
        pl.concat(documents, how="vertical_relaxed"),
        {role: pl.concat(parts, how="vertical_relaxed") for role, parts in tables.items()},
        pl.concat(statements, how="vertical_relaxed"),
    )


def _scaled_edit(copies: pl.DataFrame, original: pl.DataFrame, factor: int) -> pl.DataFrame:
    """Each copy of a table with its one edit (+ SCALE in one cell) made ``factor`` times as
    large: every amount becomes original + factor × (copy − original)."""
    amounts = [c for c, t in copies.schema.items() if t == pl.Int64]
    joined = copies.join(
        original.select("row", *amounts), on="row", how="left", suffix="__original"
    )
    return joined.with_columns(
        (pl.col(f"{c}__original") + (pl.col(c) - pl.col(f"{c}__original")) * factor).alias(c)
        for c in amounts
    ).select(copies.columns)


def _cells_of(frame: pl.DataFrame, name: str) -> set[tuple[str, int, str]]:
    index = DOCUMENTS.index(name)
    mine = frame.filter(pl.col("document") == index)
    return {(t, int(r), c) for t, r, c in mine.select("table", "row", "column").iter_rows()}


def test_mutation_score() -> None:
    """One test for the five documents: under pytest-xdist the batch is built once."""
    _pdfs()
    cells = _mutation()
    for name in DOCUMENTS:
        mine = cells.filter(pl.col("document") == DOCUMENTS.index(name))
        survivors = _cells_of(mine.filter(~pl.col("caught")), name)
        assert survivors == SURVIVORS[name], (name, sorted(survivors))
        assert mine.height > 0
        assert mine["caught"].mean() >= 0.99, (name, mine.height, len(survivors))
    # the scope rules still catch a real mismatch: each 表四 figure of document 10 + 100 元
    grants = cells.filter((pl.col("document") == 4) & (pl.col("table") == "财政拨款收支预算总表"))
    assert grants.height == 10 and grants["caught"].all()


@pytest.mark.parametrize("name", DOCUMENTS)
def test_coverage(name: str) -> None:
    _pdfs()
    uncovered = _cells_of(_coverage(), name)
    assert uncovered == UNCOVERED[name]
    cells = _cells(_checked()).filter(pl.col("document") == DOCUMENTS.index(name)).height
    assert 1 - len(uncovered) / cells >= 0.95


def test_scaled_mutants_are_100_yuan_and_one_wanyuan() -> None:
    """The mutants are what the issue asks: +100 元 in a 元 table, +1.00 in the 万元 table."""
    _pdfs()
    report = _checked()
    cells = _cells(report)
    one = cells.filter(pl.col("table") == "收入预算总表").row(0, named=True)
    two = cells.filter(pl.col("table") == SANGONG).row(0, named=True)
    assert (one["unit"], two["unit"]) == ("元", "万元")
    chosen = cells.filter(pl.col("mutant").is_in([one["mutant"], two["mutant"]]))
    _, tables, _ = _mutant_batch(report, chosen)
    for cell, delta in ((one, 100 * SCALE), (two, SCALE)):
        frame = tables[cell["table"]].filter(pl.col("row") == cell["row"])
        before = frame.filter(pl.col("document") == cell["document"])[cell["column"]][0]
        after = frame.filter(pl.col("document") == cell["mutant"])[cell["column"]][0]
        assert after - before == delta


# --------------------------------------------------------------------------- the ruleset


def test_every_rule_has_title_severity_description_and_source() -> None:
    rules = load_rules([RULESET], schema=SCHEMA)
    assert len(rules.ruleset.rules) > 100
    assert all(isinstance(r, ast.Rule | ast.Rollup) for r in rules.ruleset.rules)
    assert_rule_metadata(rules.ruleset.rules)


@pytest.mark.parametrize(
    "name", sorted(p.name for p in RULESET.glob("*.rules") if p.name != "ruleset.rules")
)
def test_every_rule_file_is_included_and_described_in_the_readme(name: str) -> None:
    entry = (RULESET / "ruleset.rules").read_text("utf-8")
    readme = (RULESET / "README.md").read_text("utf-8")
    assert f'include "{name}"' in entry
    assert f"`{name}`" in readme
