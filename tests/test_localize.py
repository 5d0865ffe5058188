"""Error localization and rounding root causes (checker.localize, issue 19).

On the seed: the one 1.00 failure (表七 合计行 其中：财政拨款 = Σ rows) is localized to
row 30201/50502 (办公费), 23.98 → 22.98, and the sixteen 0.01 rounding differences
to the carried-forward 上年结转结余 27.11 (27.105 before rounding). On synthetic
documents (consistent by construction) with figures altered: the altered cell is
found with its original value, alone (one typo) or with the other (two typos, the
mixed-integer program); a clean document is not localized and costs nothing.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from bench.generate import generate_document
from checker import linear_cells
from checker.api import Report, check_documents, load_rules
from checker.evaluate import Engine
from checker.judging import STATUS_NAMES

SEED = Path(__file__).resolve().parent.parent / "examples" / "000_afa05cab7739910b.json"


@pytest.fixture(scope="module")
def seed_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SEED.read_text("utf-8"))
    return document


@pytest.fixture(scope="module")
def seed(seed_document: dict[str, Any]) -> Report:
    return check_documents([seed_document])


def _cell(entry: dict[str, Any]) -> tuple[Any, ...]:
    return (entry["table"], entry["row_key"], entry["column"], entry["published"])


def test_seed_failure_localized_to_the_office_expenses_row(seed: Report) -> None:
    found = seed.localizations()[0]["error"]
    assert found["status"] == "found" and found["proven"]
    assert found["rules"] == [
        {"rule": "JJ-10[一般公共预算.财政拨款]", "row": None, "column": "一般公共预算.财政拨款"}
    ]
    candidates = [c["cells"] for c in found["candidates"]]
    assert all(len(cells) == 1 for cells in candidates)  # one cell fixes it: ties listed
    assert found["more"] and len(candidates) == 5
    best = candidates[0][0]
    assert _cell(best) == ("支出经济分类汇总表", "30201 50502", "一般公共预算.财政拨款", 23.98)
    assert best["suggested"] == 22.98
    assert best["pointer"] == "/tables/支出经济分类汇总表/rows/19/一般公共预算.财政拨款"
    assert best["source"] == {"file": "000_afa05cab7739910b.txt", "line": 393}
    # first because it is the only row where 其中：财政拨款 < 小计 already (JJ-02 holds with
    # room): lowering another row's would break an equality the row prints
    others = [cells[0] for cells in candidates[1:]]
    assert all(c["suggested"] == round(c["published"] - 1, 2) for c in others)
    assert {c["cost"] for c in found["candidates"]} == {best["weight"]} == {1.1}


def test_seed_rounding_explained_by_the_carried_forward_figure(seed: Report) -> None:
    found = seed.localizations()[0]["rounding"]
    assert found["status"] == "found"
    assert len(found["rules"]) == 16  # the sixteen 尾差 of the seed
    cells = found["candidates"][0]["cells"]
    carried = {(c["table"], c["row_key"], c["column"], c["suggested"]) for c in cells}
    assert ("部门收支总体情况表", "收入 上年结转结余", "金额", 27.105) in carried  # 表一
    assert ("部门收入总体情况表", "合计", "上年结转结余.合计", 27.105) in carried  # 表二
    # every shift stays within the figure's rounding interval, and every 尾差 is explained
    assert all(abs(c["suggested"] - c["published"]) <= 0.005 + 1e-9 for c in cells)
    explained = {json.dumps(r, ensure_ascii=False) for c in cells for r in c["explains"]}
    assert explained == {json.dumps(r, ensure_ascii=False) for r in found["rules"]}


def test_constraints_judge_as_the_engine(seed_document: dict[str, Any]) -> None:
    """Every linear constraint over cells gets the verdict the engine gives its result."""
    from checker.documents import load_objects

    rules = load_rules()
    batch = load_objects([seed_document])
    engine = Engine(rules.ruleset, rules.template)
    results = engine.run(batch.documents, batch.tables, batch.statements)
    frames, wide = _prepared(engine, batch)
    system = engine.cell_system
    pairs = batch.documents.select("document").join(system.rules.select("tmpl"), how="cross")
    expanded = linear_cells.expand(system, frames, wide, pairs)
    mine = expanded.constraints.join(system.rules, on="tmpl").select(
        "rule",
        pl.col("at").alias("row"),
        pl.col("column"),
        pl.col("status").replace_strict(dict(enumerate(STATUS_NAMES)), return_dtype=pl.Utf8),
    )
    theirs = results.frame.filter(
        pl.col("rule").is_in(sorted(system.rule_ids))
        & pl.col("status").is_in(["pass", "rounding", "tolerated", "fail"])
    ).select("rule", "row", "column", "status")
    assert mine.height == theirs.height > 700
    key = ["rule", "row", "column", "status"]
    assert mine.sort(key, nulls_last=True).equals(theirs.sort(key, nulls_last=True))


def _prepared(engine: Engine, batch: Any) -> tuple[dict[str, pl.LazyFrame], pl.LazyFrame]:
    from checker.evaluate import prepare_statements, prepare_table

    frames: dict[str, pl.LazyFrame] = {}
    for table in engine.template.tables:
        source = batch.tables.get(table.role)
        if source is None:
            source = pl.DataFrame(schema={"document": pl.UInt32, "row": pl.UInt32})
        frames[table.role] = prepare_table(source, table, engine.factors.get(table.role))
    frames["__statements__"] = prepare_statements(batch.statements)
    frames = {k: v.collect().lazy() for k, v in frames.items()}
    return frames, engine.planner.build(batch.documents.lazy(), frames).collect().lazy()


def test_applying_the_best_candidate_fixes_the_seed(seed_document: dict[str, Any]) -> None:
    """The suggested value makes the failure pass and no result that passed fails."""
    before = check_documents([seed_document])
    fixed = copy.deepcopy(seed_document)
    best = before.localizations()[0]["error"]["candidates"][0]["cells"][0]
    fixed["tables"][best["table"]]["rows"][best["row"]][best["column"]] = best["suggested"]
    after = check_documents([fixed], localize=False)
    key = ["rule", "row", "column"]
    was = before.frame.select(*key, pl.col("status").alias("was"))
    now = after.frame.select(*key, "status").join(was, on=key, how="left", nulls_equal=True)
    fixed_rule = now.filter(pl.col("rule") == "JJ-10[一般公共预算.财政拨款]")
    assert fixed_rule.get_column("status").to_list() == ["pass"]
    assert now.filter((pl.col("status") == "fail") & (pl.col("was") != "fail")).is_empty()
    assert after.results.counts()["fail"] == before.results.counts()["fail"] - 1


def _synthetic(index: int) -> dict[str, Any]:
    document: dict[str, Any] = generate_document(0, index)
    return document


def _rows(document: dict[str, Any], table: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = document["tables"][table]["rows"]
    return rows


def test_one_typo_found_with_its_original_value() -> None:
    document = _synthetic(3)
    rows = _rows(document, "项目支出表")
    row = next(i for i, r in enumerate(rows) if r.get("合计") and i > 2)
    original = rows[row]["合计"]
    rows[row]["合计"] = round(original + 10, 2)
    report = check_documents([document])
    found = report.localizations()[0]["error"]
    assert found["status"] == "found" and found["proven"]
    best = found["candidates"][0]["cells"]
    assert [(c["table"], c["row"], c["column"], c["suggested"]) for c in best] == [
        ("项目支出表", row, "合计", original)
    ]
    assert len(found["candidates"]) == 1 and not found["more"]
    assert sorted(r["rule"] for r in found["rules"]) == sorted(
        {r["rule"] for r in best[0]["explains"]}
    )


def _localized_alone(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = check_documents([document]).localizations()[0]["error"]
    assert found["status"] == "found" and found["proven"]
    return found


def _best(found: dict[str, Any]) -> list[tuple[Any, ...]]:
    cells = found["candidates"][0]["cells"]
    return sorted((c["table"], c["row"], c["column"], c["suggested"]) for c in cells)


def test_two_unrelated_typos_two_clusters(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two typos in different tables: two clusters of failures, each fixed by its own cell
    (the one-cell pass, no program)."""
    document = _synthetic(4)
    rows = _rows(document, "项目支出表")
    first = next(i for i, r in enumerate(rows) if r.get("合计") and i > 2)
    economy = _rows(document, "支出经济分类汇总表")
    second = next(i for i, r in enumerate(economy) if r.get("总计") and i > 2)
    originals = (rows[first]["合计"], economy[second]["总计"])
    rows[first]["合计"] = round(originals[0] + 3, 2)
    economy[second]["总计"] = round(originals[1] - 7, 2)
    from checker import localize

    monkeypatch.setattr(localize, "_solve", None)  # not called: the one-cell pass does it
    found = _localized_alone(document)
    assert _best(found) == [
        ("支出经济分类汇总表", second, "总计", originals[1]),
        ("项目支出表", first, "合计", originals[0]),
    ]
    best = found["candidates"][0]
    assert best["cost"] == sum(c["weight"] for c in best["cells"])
    assert all(len(c["explains"]) for c in best["cells"])


def test_two_typos_one_unit_cost_their_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two typos in one table whose clusters are read together by passing rules (one unit,
    decided by the one-cell pass): each found, the candidate costing its two weights."""
    from checker import localize

    monkeypatch.setattr(localize, "_solve", None)
    document = _synthetic(109)
    rows = _rows(document, "财政拨款收支总体情况表")
    assert (rows[0]["金额"], rows[23]["一般公共预算.财政拨款"]) == (1192.86, 928.1)
    rows[0]["金额"], rows[23]["一般公共预算.财政拨款"] = 1212.86, 878.1
    found = _localized_alone(document)
    assert _best(found) == [
        ("财政拨款收支总体情况表", 0, "金额", 1192.86),
        ("财政拨款收支总体情况表", 23, "一般公共预算.财政拨款", 928.1),
    ]
    best = found["candidates"][0]
    assert best["cost"] == pytest.approx(sum(c["weight"] for c in best["cells"])) == 2.3


def test_two_typos_in_one_row_need_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two figures of one row altered: their failures share the row's identity, and no
    single cell fixes them all — the mixed-integer program finds both."""
    from checker import localize

    solved: list[int] = []
    solve = localize._solve

    def counted(*args: Any, **kwargs: Any) -> Any:
        solved.append(1)
        return solve(*args, **kwargs)

    monkeypatch.setattr(localize, "_solve", counted)
    document = _synthetic(4)
    rows = _rows(document, "项目支出表")
    row = next(
        i for i, r in enumerate(rows) if i > 2 and r.get("合计") and r.get("本年拨款.一般公共预算")
    )
    originals = (rows[row]["合计"], rows[row]["本年拨款.一般公共预算"])
    rows[row]["合计"] = round(originals[0] + 3, 2)
    rows[row]["本年拨款.一般公共预算"] = round(originals[1] + 5, 2)
    found = _localized_alone(document)
    assert _best(found) == [
        ("项目支出表", row, "合计", originals[0]),
        ("项目支出表", row, "本年拨款.一般公共预算", originals[1]),
    ]
    assert solved  # the program ran


def test_rounding_components_agree_with_the_whole_program(
    seed_document: dict[str, Any], seed: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seed's rounding causes solved as a large document's are (grown from its 尾差,
    per component, in batches): as few cells as the one program over the whole document,
    the carried-forward 27.11 among them, every 尾差 explained."""
    from checker import localize

    monkeypatch.setattr(localize, "WHOLE_TERMS", 0)
    monkeypatch.setattr(localize, "BATCH_CELLS", 50)  # several components per program
    found = check_documents([seed_document]).localizations()[0]["rounding"]
    whole = seed.localizations()[0]["rounding"]
    assert found["status"] == "found" and found["proven"]
    assert found["rules"] == whole["rules"]
    cells = found["candidates"][0]["cells"]
    assert len(cells) == len(whole["candidates"][0]["cells"])
    assert found["candidates"][0]["cost"] == whole["candidates"][0]["cost"]
    carried = {(c["table"], c["column"], c["suggested"]) for c in cells}
    assert ("部门收支总体情况表", "金额", 27.105) in carried
    assert all(abs(c["suggested"] - c["published"]) <= 0.005 + 1e-9 for c in cells)
    explained = {json.dumps(r, ensure_ascii=False) for c in cells for r in c["explains"]}
    assert explained == {json.dumps(r, ensure_ascii=False) for r in found["rules"]}


def test_over_the_bound_too_large_and_nothing_built(
    seed_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document whose constraints would read more cells than the bound is reported
    too-large from counts alone: no constraint is built, no program solved."""
    from checker import localize

    built: list[int] = []
    expand = localize.expand

    def counted(system: Any, frames: Any, wide: Any, pairs: pl.DataFrame) -> Any:
        built.append(pairs.height)
        return expand(system, frames, wide, pairs)

    monkeypatch.setattr(localize, "expand", counted)
    monkeypatch.setattr(localize, "_solve", None)
    monkeypatch.setattr(localize, "MAX_TERMS", 10)
    report = check_documents([seed_document])
    entry = report.localizations()[0]
    assert {kind: entry[kind]["status"] for kind in entry} == {
        "error": "too-large",
        "rounding": "too-large",
    }
    assert entry["error"]["rules"][0]["rule"] == "JJ-10[一般公共预算.财政拨款]"
    assert len(entry["rounding"]["rules"]) == 16
    assert not any(built)  # nothing expanded
    assert "too-large" in json.dumps(report.to_dict()["documents"][0]["localization"])


def test_a_program_over_max_cells_is_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two typos in one row need the program; over MAX_CELLS it is too-large, unsolved."""
    from checker import localize

    monkeypatch.setattr(localize, "_solve", None)
    monkeypatch.setattr(localize, "MAX_CELLS", 3)
    document = _synthetic(4)
    rows = _rows(document, "项目支出表")
    row = next(
        i for i, r in enumerate(rows) if i > 2 and r.get("合计") and r.get("本年拨款.一般公共预算")
    )
    rows[row]["合计"] = round(rows[row]["合计"] + 3, 2)
    rows[row]["本年拨款.一般公共预算"] = round(rows[row]["本年拨款.一般公共预算"] + 5, 2)
    found = check_documents([document], localize=("error",)).localizations()[0]["error"]
    assert found["status"] == "too-large" and not found["candidates"]


def test_clean_documents_cost_nothing() -> None:
    rules = load_rules()
    engine = Engine(rules.ruleset, rules.template)
    from checker.documents import load_objects

    batch = load_objects([_synthetic(5), _synthetic(6)])
    results = engine.run(
        batch.documents, batch.tables, batch.statements, localize=("error", "rounding")
    )
    assert results.counts()["fail"] == results.counts()["rounding"] == 0
    assert results.localization is None
    assert engine._cells is None  # the cell system was not even built


def test_no_localize_leaves_it_out(seed_document: dict[str, Any]) -> None:
    report = check_documents([seed_document], localize=False)
    assert report.localizations() == {}
    assert report.localization().is_empty()
    assert "localization" not in report.to_dict()["documents"][0]


def test_json_report_carries_both_and_validates(seed: Report) -> None:
    import jsonschema

    from checker.resources import schema_path

    data = seed.to_dict()
    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    document = data["documents"][0]
    assert document["localization"]["candidates"][0]["cells"][0]["suggested"] == 22.98
    assert document["rounding_causes"]["status"] == "found"


def test_text_block_in_both_languages(seed: Report) -> None:
    zh = seed.to_text("zh")
    assert "最可能有误" in zh
    assert "支出经济分类汇总表 [30201 50502] 一般公共预算.财政拨款：印为 23.98，应为 22.98" in zh
    assert "同样可能（并列）" in zh and "尾差来源" not in zh  # rounding causes: --show rounding
    en = seed.to_text("en", show=("fail", "error", "rounding"))
    assert "most likely wrong" in en and "printed 23.98, would be 22.98  line 393" in en
    assert "rounding explained" in en and "27.11 → 27.105" in en


def test_sarif_relates_the_likely_cells(seed: Report) -> None:
    log = json.loads(seed.to_sarif())
    result = next(
        r for r in log["runs"][0]["results"] if r["ruleId"] == "JJ-10[一般公共预算.财政拨款]"
    )
    texts = [r["message"]["text"] for r in result["relatedLocations"]]
    likely = [t for t in texts if t.startswith("最可能有误")]
    assert likely == [
        "最可能有误: 支出经济分类汇总表 [30201 50502] 一般公共预算.财政拨款：印为 23.98，应为 22.98"
    ]
    assert sum(t.startswith("同样可能有误") for t in texts) == 4
    best = result["properties"]["localized"][0]
    assert (best["candidate"], best["suggested"], best["row_key"]) == (0, 22.98, "30201 50502")


def test_formats_compute_only_what_they_show() -> None:
    from checker.report.formats import FORMATS, Options

    plain, rounding = Options.shown(["fail", "error"]), Options.shown(["rounding"])
    assert FORMATS["text"].localized(plain) == ("error",)
    assert FORMATS["text"].localized(rounding) == ("error", "rounding")
    assert FORMATS["json"].localized(plain) == ("error", "rounding")
    assert FORMATS["sarif"].localized(plain) == ("error",)
    assert FORMATS["csv"].localized(rounding) == FORMATS["junit"].localized(rounding) == ()


def test_errors_only_leaves_rounding_alone(seed_document: dict[str, Any]) -> None:
    report = check_documents([seed_document], localize=("error",))
    assert report.localization_summary().get_column("kind").to_list() == ["error"]


def test_command_line_and_explain() -> None:
    from cli_run import rulecheck

    done = rulecheck("check", str(SEED), "--lang", "en")
    assert done.returncode == 1
    assert "most likely wrong" in done.stdout and "would be 22.98" in done.stdout
    quiet = rulecheck("check", str(SEED), "--no-localize")
    assert "最可能有误" not in quiet.stdout
    explained = rulecheck(
        "explain", "JJ-10[一般公共预算.财政拨款]", "--document", str(SEED), "--format", "json"
    )
    data = json.loads(explained.stdout)["explanations"][0]
    assert data["localization"]["candidates"][0]["cells"][0]["suggested"] == 22.98
    assert "rounding_causes" not in data  # JJ-10[…财政拨款] has no rounding difference
    text = rulecheck("explain", "SZ-01", "--document", str(SEED)).stdout
    assert "尾差来源" in text and "27.11 → 27.105" in text
