"""The synthetic-document generator (bench/generate.py): deterministic, schema-valid, and
consistent: the identities of domain.md hold exactly, checked here in plain Python over the
dicts (amounts compared in integer cents)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import orjson
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_document  # noqa: E402

SCHEMA = json.loads((ROOT / "schemas" / "budget-document.schema.json").read_text("utf-8"))
SEED = 1  # its first 20 documents cover every funding variant (see test_variants_covered)
DOCS = 20


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return [generate_document(SEED, i) for i in range(DOCS)]


def c(value: float | int | None) -> int:
    """A published amount in cents (null is 0)."""
    return 0 if value is None else round(value * 100)


def rows(doc: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return list(doc["tables"][role]["rows"])


def label(doc: dict[str, Any], role: str, side: str, text: str, col: str = "金额") -> int:
    found = [r for r in rows(doc, role) if r["收支"] == side and r["项目"] == text]
    assert len(found) == 1, (role, side, text)
    return c(found[0][col])


def total_row(doc: dict[str, Any], role: str) -> dict[str, Any]:
    found = [r for r in rows(doc, role) if r.get("名称") == "合计"]
    assert len(found) == 1
    return found[0]


def coded(doc: dict[str, Any], role: str, column: str = "科目编码") -> list[dict[str, Any]]:
    return [r for r in rows(doc, role) if r[column] is not None]


def stmt(doc: dict[str, Any], name: str) -> int:
    return c(doc["statements"][name]["value"])


def pct(part: int, whole: int) -> int:
    """Hundredths of a percent, rounded half-up."""
    return (2 * part * 10000 + whole) // (2 * whole)


# ---------------------------------------------------------------------------


def test_deterministic() -> None:
    a = orjson.dumps(generate_document(7, 3))
    assert a == orjson.dumps(generate_document(7, 3))
    assert a != orjson.dumps(generate_document(7, 4))
    assert a != orjson.dumps(generate_document(8, 3))


def test_deterministic_across_processes(tmp_path: Path) -> None:
    digests = set()
    for hashseed in ("1", "2"):
        out = tmp_path / f"h{hashseed}.ndjson"
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        args = ["--count", "3", "--seed", "5", "--ndjson", str(out), "--jobs", "1"]
        subprocess.run(
            [sys.executable, "-m", "bench.generate", *args],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        digests.add(out.read_bytes())
    assert len(digests) == 1
    lines = next(iter(digests)).splitlines()
    assert [orjson.loads(line) for line in lines] == [generate_document(5, i) for i in range(3)]


def test_cli_writes_one_file_per_document(tmp_path: Path) -> None:
    from bench.generate import main

    assert main(["--count", "2", "--seed", "9", "--out", str(tmp_path), "--jobs", "1"]) == 0
    files = sorted(tmp_path.glob("*.json"))
    assert [f.name for f in files] == ["syn_9_000000.json", "syn_9_000001.json"]
    assert orjson.loads(files[1].read_bytes()) == generate_document(9, 1)


def test_variants_covered(docs: list[dict[str, Any]]) -> None:
    """The corpus below exercises every funding source and change direction."""
    seen: dict[str, int] = defaultdict(int)
    for doc in docs:
        s = doc["statements"]
        t1 = rows(doc, "部门收支总体情况表")
        seen["政府性基金"] += s["收入.政府性基金"]["value"] > 0
        seen["上年结转"] += s["收入.部门财政性资金结转"]["value"] > 0
        seen["单位资金"] += "收入.事业收入" in s or "收入.其他收入" in s
        seen["财政专户"] += s["收入.财政专户管理经费"]["value"] > 0
        seen["非财政拨款"] += t1[0]["金额"] != t1[1]["金额"]
        seen["empty T9"] += bool(doc["tables"]["政府性基金预算支出情况表"].get("empty"))
        for word in ("增加", "减少", "持平"):
            seen[word] += s["收支总体.收入增减额"]["wording"] == word
    assert all(seen[k] for k in ("政府性基金", "上年结转", "单位资金", "财政专户", "非财政拨款")), (
        seen
    )
    assert all(seen[k] for k in ("empty T9", "增加", "减少", "持平")), seen


def test_schema_valid(docs: list[dict[str, Any]]) -> None:
    fast = jsonschema_rs.validator_for(SCHEMA)
    for doc in docs:
        assert fast.is_valid(doc), next(iter(fast.iter_errors(doc)))
    reference = jsonschema.Draft202012Validator(SCHEMA)
    for doc in docs[:2]:
        assert list(reference.iter_errors(doc)) == []


def test_realistic_shape(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        units = [
            r for r in rows(doc, "部门收入总体情况表") if r["单位代码"] and len(r["单位代码"]) == 6
        ]
        assert 1 <= len(units) <= 6
        items = coded(doc, "部门支出总体情况表")
        assert 5 <= len(items) <= 30
        codes = [r["科目编码"] for r in items]
        assert len(codes) == len(set(codes))
        assert all(re.fullmatch(r"2\d{6}", code) for code in codes)
        projects = [r for r in rows(doc, "项目支出表") if r["项目名称"]]
        assert 3 <= len(projects) <= 30
        pairs = coded(doc, "支出经济分类汇总表", "部门经济分类编码")
        assert 8 <= len(pairs) <= 70
        size = len(orjson.dumps(doc))
        assert 30_000 < size < 250_000


# -- intra-table ------------------------------------------------------------------------------


def test_t1_two_sides(docs: list[dict[str, Any]]) -> None:
    role = "部门收支总体情况表"
    for doc in docs:
        income = [r for r in rows(doc, role) if r["收支"] == "收入"]
        sources = [c(r["金额"]) for r in income if re.match(r"^[一二三四五六七八九]、", r["项目"])]
        current = label(doc, role, "收入", "本年收入合计")
        assert current == sum(sources)
        grand = label(doc, role, "收入", "收入总计")
        assert grand == current + label(doc, role, "收入", "上年结转结余")
        assert label(doc, role, "收入", "其中：财政拨款") <= label(
            doc, role, "收入", "一、一般公共预算"
        )
        spending = [r for r in rows(doc, role) if r["收支"] == "支出"]
        classes = [
            c(r["金额"]) for r in spending if re.match(r"^[一二三四五六七八九十]+、", r["项目"])
        ]
        spent = label(doc, role, "支出", "本年支出合计")
        assert spent == sum(classes)
        assert label(doc, role, "支出", "支出总计") == spent + label(
            doc, role, "支出", "年终结转结余"
        )
        assert grand == label(doc, role, "支出", "支出总计")


def test_t2_rows_and_totals(docs: list[dict[str, Any]]) -> None:
    role = "部门收入总体情况表"
    for doc in docs:
        table = rows(doc, role)
        amount_cols = [k for k in table[0] if k not in ("单位代码", "单位名称")]
        current_cols = [
            k
            for k in amount_cols
            if k.startswith("本年收入.")
            and k not in ("本年收入.合计", "本年收入.一般公共预算.财政拨款")
        ]
        carry_cols = [
            k for k in amount_cols if k.startswith("上年结转结余.") and k != "上年结转结余.合计"
        ]
        for r in table:
            assert c(r["总计"]) == c(r["本年收入.合计"]) + c(r["上年结转结余.合计"])
            assert c(r["本年收入.合计"]) == sum(c(r[k]) for k in current_cols)
            assert c(r["上年结转结余.合计"]) == sum(c(r[k]) for k in carry_cols)
            assert c(r["本年收入.一般公共预算.财政拨款"]) <= c(r["本年收入.一般公共预算.小计"])
        total = table[0]
        assert total["单位名称"] == "合计"
        units = [r for r in table if r["单位代码"] and len(r["单位代码"]) == 6]
        dept = [r for r in table if r["单位代码"] and len(r["单位代码"]) == 3]
        for k in amount_cols:
            assert c(total[k]) == sum(c(r[k]) for r in units) == c(dept[0][k])


@pytest.mark.parametrize(
    "role", ["部门支出总体情况表", "一般公共预算支出情况表", "政府性基金预算支出情况表"]
)
def test_expense_tables(docs: list[dict[str, Any]], role: str) -> None:
    for doc in docs:
        table = rows(doc, role)
        cols = [k for k in table[0] if k not in ("科目编码", "单位代码", "名称")]
        for r in table:
            basic = c(r["基本支出.小计"])
            assert c(r["合计"]) == basic + c(r["项目支出.小计"])
            assert basic == sum(
                c(r[k])
                for k in (
                    "基本支出.人员经费.工资福利支出",
                    "基本支出.人员经费.对个人和家庭的补助",
                    "基本支出.公用经费.商品和服务支出",
                    "基本支出.公用经费.资本性支出",
                )
            )
            assert c(r["项目支出.小计"]) == c(r["项目支出.其他运转类"]) + c(
                r["项目支出.特定目标类"]
            )
        total = total_row(doc, role)
        items = [r for r in table if r["科目编码"] and len(r["科目编码"]) == 7]
        for k in cols:
            assert c(total[k]) == sum(c(r[k]) for r in items)
        if doc["tables"][role].get("empty"):
            assert items == [] and all(total[k] is None for k in cols)


def test_t4(docs: list[dict[str, Any]]) -> None:
    role = "财政拨款收支总体情况表"
    for doc in docs:
        current = label(doc, role, "收入", "一、本年收入")
        income = [r for r in rows(doc, role) if r["收支"] == "收入"]
        assert current == sum(c(r["金额"]) for r in income[1:5] if r["项目"].startswith("("))
        carry = label(doc, role, "收入", "二、上年结转")
        assert label(doc, role, "收入", "收入合计：") == current + carry
        spending = [r for r in rows(doc, role) if r["收支"] == "支出"]
        for r in spending:
            assert c(r["合计"]) == c(r["一般公共预算.小计"]) + c(r["政府性基金"]) + c(
                r["国有资本经营预算"]
            )
        classes = [r for r in spending if re.match(r"^\([一二三四五六七八九十]+\)", r["项目"])]
        grand = next(r for r in spending if r["项目"] == "支出合计")
        for k in ("合计", "一般公共预算.小计", "一般公共预算.财政拨款", "政府性基金"):
            assert c(grand[k]) == sum(c(r[k]) for r in classes)
        assert c(grand["合计"]) == label(doc, role, "收入", "收入合计：")


def test_t6_t8(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        table = rows(doc, "一般公共预算基本支出表")
        for r in table:
            assert c(r["合计"]) == c(r["人员经费"]) + c(r["公用经费"])
        total = total_row(doc, "一般公共预算基本支出表")
        for k in ("合计", "人员经费", "公用经费"):
            assert c(total[k]) == sum(c(r[k]) for r in table if r["部门经济分类编码"])
        for r in table:
            if r["部门经济分类编码"]:
                personnel = r["部门经济分类编码"][:3] in ("301", "303")
                assert c(r["人员经费" if personnel else "公用经费"]) == c(r["合计"])
        (t8,) = rows(doc, "三公经费支出情况表")
        car = c(t8["公务用车购置及运行费.小计"])
        assert car == c(t8["公务用车购置及运行费.公务用车购置费"]) + c(
            t8["公务用车购置及运行费.公务用车运行费"]
        )
        assert c(t8["合计"]) == c(t8["因公出国(境)费"]) + car + c(t8["公务接待费"])


def test_t7(docs: list[dict[str, Any]]) -> None:
    sources = (
        "一般公共预算.小计",
        "政府性基金",
        "国有资本经营预算",
        "上年结转结余",
        "财政专户管理资金收入",
        "事业收入",
        "上级补助收入",
        "附属单位上缴收入",
        "事业单位经营收入",
        "其他收入",
    )
    for doc in docs:
        table = rows(doc, "支出经济分类汇总表")
        for r in table:
            assert c(r["总计"]) == sum(c(r[k]) for k in sources)
            assert c(r["一般公共预算.财政拨款"]) <= c(r["一般公共预算.小计"])
        total = total_row(doc, "支出经济分类汇总表")
        pairs = coded(doc, "支出经济分类汇总表", "部门经济分类编码")
        for k in ("总计", "一般公共预算.财政拨款", *sources):
            assert c(total[k]) == sum(c(r[k]) for r in pairs)


def test_t10_t12(docs: list[dict[str, Any]]) -> None:
    parts = (
        "本年拨款.一般公共预算",
        "本年拨款.政府性基金预算",
        "本年拨款.国有资本经营预算",
        "财政拨款结转结余.一般公共预算",
        "财政拨款结转结余.政府性基金预算",
        "财政拨款结转结余.国有资本经营预算",
        "财政专户管理资金",
        "单位资金",
    )
    for doc in docs:
        t10 = rows(doc, "项目支出表")
        for r in t10:
            assert c(r["合计"]) == sum(c(r[k]) for k in parts)
        total = t10[0]
        assert total["项目名称"] is None and total["单位代码"] is None
        projects = [r for r in t10 if r["项目名称"]]
        for k in ("合计", *parts):
            assert c(total[k]) == sum(c(r[k]) for r in projects)

        t12 = rows(doc, "项目绩效目标汇总表")
        unit_codes = {r["单位代码"] for r in rows(doc, "部门收入总体情况表") if r["单位代码"]}
        by_name = {r["项目名称"]: r for r in projects}
        unit_sum: dict[str, int] = defaultdict(int)
        units: dict[str, int] = {}
        current_unit = None
        for r in t12:
            code = r["编码"]
            if code is None:
                assert r["项目金额.资金总额"] is None
                continue
            amount = c(r["项目金额.资金总额"])
            assert amount == sum(
                c(r[k])
                for k in ("项目金额.政府预算资金", "项目金额.财政专户管理资金", "项目金额.单位资金")
            )
            if len(code) == 21:
                p10 = by_name[r["名称"]]
                assert amount == c(p10["合计"])
                assert c(r["项目金额.单位资金"]) == c(p10["单位资金"])
                assert c(r["项目金额.财政专户管理资金"]) == c(p10["财政专户管理资金"])
                assert current_unit is not None
                unit_sum[current_unit] += amount
                value = r["成本指标.指标值"]
                m = re.fullmatch(r"≤?([0-9.]+)(万元|元)", value)
                assert m, value
                cents = round(float(m.group(1)) * (100 if m.group(2) == "万元" else 0.01))
                assert cents == amount, (value, amount)
            else:
                assert code in unit_codes
                if len(code) == 6:
                    current_unit = code
                    units[code] = amount
                else:
                    assert amount == c(total["合计"])
        assert units == dict(unit_sum)
        assert len([r for r in t12 if r["编码"] and len(r["编码"]) == 21]) == len(projects)


# -- inter-table ------------------------------------------------------------------------------


def test_inter_table(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        t1 = "部门收支总体情况表"
        t2 = rows(doc, "部门收入总体情况表")[0]
        t3 = total_row(doc, "部门支出总体情况表")
        t5 = total_row(doc, "一般公共预算支出情况表")
        t6 = total_row(doc, "一般公共预算基本支出表")
        t7 = total_row(doc, "支出经济分类汇总表")
        t9 = total_row(doc, "政府性基金预算支出情况表")
        t10 = rows(doc, "项目支出表")
        t4 = "财政拨款收支总体情况表"
        grand = label(doc, t1, "收入", "收入总计")
        carry = label(doc, t1, "收入", "上年结转结余")
        gpb = label(doc, t1, "收入", "一、一般公共预算")
        # T1 <-> T2, T3, T7
        assert c(t2["总计"]) == grand
        assert c(t2["上年结转结余.合计"]) == carry
        assert c(t2["本年收入.一般公共预算.小计"]) == gpb
        assert label(doc, t1, "支出", "本年支出合计") == c(t3["合计"]) == c(t7["总计"])
        assert c(t7["一般公共预算.小计"]) == gpb and c(t7["上年结转结余"]) == carry
        assert c(t7["政府性基金"]) == label(doc, t1, "收入", "二、政府性基金预算拨款收入")
        by_class: dict[str, int] = defaultdict(int)
        for r in coded(doc, "部门支出总体情况表"):
            by_class[r["科目编码"][:3]] += c(r["合计"])
        t1_classes = {
            r["项目"]: c(r["金额"])
            for r in rows(doc, t1)
            if r["收支"] == "支出" and "、" in r["项目"]
        }
        from bench.generate import CLASSES

        for code, t1_label, _ in CLASSES:
            assert t1_classes[t1_label] == by_class.get(code, 0)
        # T1 <-> T4 <-> T5 <-> T9
        t4_income = [r for r in rows(doc, t4) if r["收支"] == "收入"]
        assert t4_income[1]["项目"] == "(一) 一般公共预算拨款"  # under 一、本年收入
        assert c(t4_income[1]["金额"]) == gpb
        spend = label(doc, t4, "支出", "支出合计", "一般公共预算.小计")
        assert c(t5["合计"]) == spend - label(doc, t4, "收入", "二、上年结转")
        assert label(doc, t4, "支出", "支出合计", "政府性基金") == c(t9["合计"])
        assert bool(doc["tables"]["政府性基金预算支出情况表"].get("empty")) == (c(t9["合计"]) == 0)
        # T5 <-> T6
        assert c(t5["基本支出.小计"]) == c(t6["合计"])
        assert c(t6["人员经费"]) == c(t5["基本支出.人员经费.工资福利支出"]) + c(
            t5["基本支出.人员经费.对个人和家庭的补助"]
        )
        assert c(t6["公用经费"]) == c(t5["基本支出.公用经费.商品和服务支出"]) + c(
            t5["基本支出.公用经费.资本性支出"]
        )
        # T3 <-> T10
        projects = [r for r in t10 if r["项目名称"]]
        assert c(t3["项目支出.小计"]) == c(t10[0]["合计"])
        for kind in ("其他运转类", "特定目标类"):
            assert c(t3[f"项目支出.{kind}"]) == sum(
                c(r["合计"]) for r in projects if r["类型"] == kind
            )
        assert c(t10[0]["财政拨款结转结余.一般公共预算"]) == carry
        # T6 <-> T7 per code pair; T8 <-> T6
        t7_pairs: dict[tuple[str, str], int] = defaultdict(int)
        for r in coded(doc, "支出经济分类汇总表", "部门经济分类编码"):
            t7_pairs[(r["部门经济分类编码"], r["政府经济分类编码"])] += c(r["一般公共预算.小计"])
        t6_codes: dict[str, int] = defaultdict(int)
        for r in coded(doc, "一般公共预算基本支出表", "部门经济分类编码"):
            assert c(r["合计"]) <= t7_pairs[(r["部门经济分类编码"], r["政府经济分类编码"])]
            t6_codes[r["部门经济分类编码"]] += c(r["合计"])
        (t8,) = rows(doc, "三公经费支出情况表")
        assert c(t8["公务用车购置及运行费.公务用车运行费"]) == t6_codes["30231"]
        assert c(t8["公务接待费"]) == t6_codes["30217"]
        assert c(t8["因公出国(境)费"]) == t6_codes["30212"]
        # T11 <-> T1/T3
        t11 = {
            r["项目"]: c(r["金额"])
            for r in rows(doc, "部门整体绩效目标表")
            if r["栏目"] == "预算情况"
        }
        assert t11["部门预算总额（万元）"] == grand
        assert t11["2、资金结构：（1）基本支出"] == c(t3["基本支出.小计"])
        assert t11["（2）项目支出"] == c(t3["项目支出.小计"])
        assert grand == (
            t11["1、资金来源：（1）政府预算资金"]
            + t11["（2）财政专户管理资金"]
            + t11["（3）单位资金"]
        )


def test_per_unit_income_matches_projects(docs: list[dict[str, Any]]) -> None:
    """T2 per unit ≥ its projects in T12 (the rest is its basic spending), codes agree."""
    for doc in docs:
        t2 = {r["单位代码"]: c(r["总计"]) for r in rows(doc, "部门收入总体情况表") if r["单位代码"]}
        for r in rows(doc, "项目绩效目标汇总表"):
            if r["编码"] and len(r["编码"]) == 6:
                assert c(r["项目金额.资金总额"]) < t2[r["编码"]]


def test_statements(docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        s = doc["statements"]
        t1 = "部门收支总体情况表"
        t3 = total_row(doc, "部门支出总体情况表")
        t5 = total_row(doc, "一般公共预算支出情况表")
        t6 = total_row(doc, "一般公共预算基本支出表")
        (t8,) = rows(doc, "三公经费支出情况表")
        grand = label(doc, t1, "收入", "收入总计")
        assert stmt(doc, "收支总体.收入总计") == grand == stmt(doc, "收入.收入合计")
        assert stmt(doc, "收入.一般公共预算") == label(doc, t1, "收入", "一、一般公共预算")
        assert stmt(doc, "收入.部门财政性资金结转") == label(doc, t1, "收入", "上年结转结余")
        assert stmt(doc, "支出.基本支出") == c(t3["基本支出.小计"])
        assert stmt(doc, "支出.项目支出") == c(t3["项目支出.小计"])
        assert stmt(doc, "支出.基本支出占比") == pct(c(t3["基本支出.小计"]), c(t3["合计"]))
        assert stmt(doc, "一般公共预算支出.合计") == c(t5["合计"])
        assert stmt(doc, "一般公共预算支出.项目支出占比") == pct(
            c(t5["项目支出.小计"]), c(t5["合计"])
        )
        assert stmt(doc, "一般公共预算基本支出.人员经费") == c(t6["人员经费"])
        assert stmt(doc, "一般公共预算基本支出.公用经费占比") == pct(
            c(t6["公用经费"]), c(t6["合计"])
        )
        assert stmt(doc, "机构运转经费.合计") == c(t6["公用经费"])
        assert stmt(doc, "三公经费.合计") == c(t8["合计"])
        assert stmt(doc, "三公经费.公务用车运行维护费") == c(
            t8["公务用车购置及运行费.公务用车运行费"]
        )
        assert stmt(doc, "政府采购.合计") == sum(
            stmt(doc, f"政府采购.{k}") for k in ("货物", "工程", "服务")
        )
        kinds = ("一般公务用车", "一般执法执勤用车", "特种专业技术用车", "其他用车")
        assert s["国有资产.车辆合计"]["value"] == sum(s[f"国有资产.{k}"]["value"] for k in kinds)
        rate_word = {"增加": "增长", "减少": "下降", "持平": "持平"}
        for name, st in s.items():
            if name.endswith("增减额"):
                assert st["value"] >= 0
                words = ("持平",) if st["value"] == 0 else ("增加", "减少")
                assert st["wording"] in words, name
            elif name.endswith("增长率"):
                # follows the change's sign (a tiny change may round to 0.00%)
                change = s[name.replace("增长率", "增减额")]
                assert st["wording"] == rate_word[change["wording"]], name
        rate = s.get("收支总体.收入增长率")
        if rate and rate["value"]:
            delta = stmt(doc, "收支总体.收入增减额")
            sign = 1 if s["收支总体.收入增减额"]["wording"] == "增加" else -1
            last = grand - sign * delta
            assert stmt(doc, "收支总体.收入增长率") == pct(delta, last)


def test_shipped_ruleset_passes(docs: list[dict[str, Any]], tmp_path: Path) -> None:
    """Cross-check with the real pipeline: loader + the shipped 部门预算 ruleset find nothing."""
    documents = pytest.importorskip("checker.documents")
    evaluate = pytest.importorskip("checker.evaluate")
    resolve = pytest.importorskip("checker.resolve")
    template = pytest.importorskip("checker.template").load_template()
    for i, doc in enumerate(docs):
        (tmp_path / f"{i:02d}.json").write_bytes(orjson.dumps(doc))
    ruleset, _ = resolve.load_ruleset(ROOT / "rulesets" / "部门预算", template)
    assert ruleset.rules
    batch = documents.load_documents([str(tmp_path)])
    assert batch.invalid_count == 0
    results = evaluate.evaluate(
        ruleset, template, batch.documents, batch.tables, batch.statements
    ).frame
    assert results.height > 0
    bad = results.filter(~results["status"].is_in(["pass", "skipped"]))
    assert bad.height == 0, bad.head(10)
