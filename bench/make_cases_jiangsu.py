"""Write the 江苏 2019 ruleset's rule tests: ``rulesets/部门预算-江苏2019/tests/*.cases.json``.

    python -m bench.make_cases_jiangsu   # rewrite base.json and the case files, then run them

The recipe (search a failing one-cell edit per rule, write, run) is ``bench/case_search.py``;
this script builds the base document: a synthetic document of the Jiangsu 2019 template
(schemas/jiangsu-2019-budget.schema.json), consistent by construction, in which every kind
of money appears, so that the scope (口径) rules compare tables that really differ:
一般公共预算 and 政府性基金 (公开10表 has rows, 公开06/08表 differ), 财政专户管理资金,
其他资金, 上年结转 and 结转下年; all 21 功能分类 类 of 公开01表 (each can then be made to
fail by one edit), the four basic-spending classes, 302 and 310 in 机关运行经费, and
政府采购 in all three 大类. One variant (公开10表 empty, no 政府性基金) makes JG-20/JG-21
apply.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.case_search import write_cases  # noqa: E402
from bench.make_cases import Doc, pointer  # noqa: E402
from bench.make_rules_jiangsu import CLASSES as RULE_CLASSES  # noqa: E402

RULESET = ROOT / "rulesets" / "部门预算-江苏2019"
SCHEMA = ROOT / "schemas" / "jiangsu-2019-budget.schema.json"

T1, T2, T3, T4 = "收支预算总表", "收入预算总表", "支出预算总表", "财政拨款收支预算总表"
T5, T6, T7, T8 = (
    "财政拨款支出预算表",
    "财政拨款基本支出预算表",
    "一般公共预算支出预算表",
    "一般公共预算基本支出预算表",
)
T9, T10, T11, T12 = (
    "三公经费会议费培训费支出预算表",
    "政府性基金预算财政拨款支出预算表",
    "机关运行经费支出预算表",
    "政府采购支出预算表",
)

# the 21 功能分类 类 of 公开01表, in printed order, with their codes
CLASSES = (
    ("一、一般公共服务支出", "201"),
    ("二、外交支出", "202"),
    ("三、国防支出", "203"),
    ("四、公共安全支出", "204"),
    ("五、教育支出", "205"),
    ("六、科学技术支出", "206"),
    ("七、文化旅游体育与传媒支出", "207"),
    ("八、社会保障和就业支出", "208"),
    ("九、卫生健康支出", "210"),
    ("十、节能环保支出", "211"),
    ("十一、城乡社区支出", "212"),
    ("十二、农林水支出", "213"),
    ("十三、交通运输支出", "214"),
    ("十四、资源勘探信息等支出", "215"),
    ("十五、商业服务业等支出", "216"),
    ("十六、金融支出", "217"),
    ("十七、自然资源海洋气象等支出", "220"),
    ("十八、住房保障支出", "221"),
    ("十九、粮油物资储备支出", "222"),
    ("二十、灾害防治及应急管理支出", "224"),
    ("二十一、其他支出", "229"),
)
# 一般公共预算 function rows of 公开05/07表 (code, name, amount): 201, 208, 221 in detail,
# then 10.00 in every other 类 but 229 (so each 类 rule can be made to fail by one edit)
DETAILED = (
    ("201", "一般公共服务支出", 730.0),
    ("20101", "人大事务", 730.0),
    ("2010101", "行政运行", 450.0),
    ("2010102", "一般行政管理事务", 280.0),
    ("208", "社会保障和就业支出", 170.0),
    ("20805", "行政事业单位离退休", 170.0),
    ("2080505", "机关事业单位基本养老保险缴费支出", 120.0),
    ("2080506", "机关事业单位职业年金缴费支出", 50.0),
    ("221", "住房保障支出", 100.0),
    ("22102", "住房改革支出", 100.0),
    ("2210201", "住房公积金", 100.0),
)
SMALL = 10.0
FUND = (  # 政府性基金 (公开10表), in 229
    ("229", "其他支出", 100.0),
    ("22960", "彩票公益金安排的支出", 100.0),
    ("2296002", "用于社会福利的彩票公益金支出", 100.0),
)
# 公开01表 所有资金 by 类: 财政拨款 plus 70 (201) and 20 (208) of other money
OTHER_MONEY = {"201": 70.0, "208": 20.0}


def _coded(rows: list[tuple[str | None, str, float | None]]) -> list[dict[str, Any]]:
    return [{"科目编码": c, "科目名称": n, "金额": a} for c, n, a in rows]


def base_document() -> dict[str, Any]:
    """A consistent Jiangsu 2019 document (万元): every identity of the ruleset holds.

    一般公共预算 1170 + 政府性基金 100 = 财政拨款 1270; 财政专户 50, 其他资金 30, 上年结转 20:
    收入合计 1370 = 支出合计 = 当年支出 1360 + 结转下年 10. 支出用途 700 / 610 / 50, of which
    财政拨款 650 / 580 / 40. 功能分类: 201 800 (财政拨款 730), 208 190 (170), 221 100 (100),
    229 100 (政府性基金 100), every other 类 10 (10). 基本支出 by economic class: 财政拨款
    650, 一般公共预算 635.
    """
    general = list(DETAILED)
    detailed = {code for code, _, _ in DETAILED} | {code for code, _, _ in FUND}
    for label, code in CLASSES:
        if code not in detailed:
            name = label.split("、", 1)[1]
            general += [
                (code, name, SMALL),
                (code + "01", name + "（款）", SMALL),
                (code + "0101", name + "（项）", SMALL),
            ]
    by_class = {code: amount for code, _, amount in general + list(FUND) if len(code) == 3}
    a = sum(amount for code, _, amount in general if len(code) == 3)  # 一般公共预算 1170
    g = sum(amount for code, _, amount in FUND if len(code) == 3)  # 政府性基金 100
    s, o, c, n = 50.0, 30.0, 20.0, 10.0  # 财政专户, 其他资金, 上年结转, 结转下年
    basic, project, reserve = 650.0, a + g - 650.0 - 40.0, 40.0  # 财政拨款 by 支出用途
    t1: list[dict[str, Any]] = [
        {"收支": "收入", "项目": "一、财政拨款", "金额": a + g},
        {"收支": "收入", "项目": "1.一般公共预算", "金额": a},
        {"收支": "收入", "项目": "2.政府性基金预算", "金额": g},
        {"收支": "收入", "项目": "二、财政专户管理资金", "金额": s},
        {"收支": "收入", "项目": "三、其他资金", "金额": o},
        {"收支": "收入", "项目": "当年收入小计", "金额": a + g + s + o},
        {"收支": "收入", "项目": "上年结转资金", "金额": c},
        {"收支": "收入", "项目": "收入合计", "金额": a + g + s + o + c},
    ]
    for label, code in CLASSES:
        amount = by_class[code] + OTHER_MONEY.get(code, 0.0)
        t1.append({"收支": "支出", "分类": "功能分类", "项目": label, "金额": amount})
    uses = (
        ("一、基本支出", basic + 50),
        ("二、项目支出", project + 30),
        ("三、单位预留机动经费", reserve + 10),
    )
    for label, amount in uses:
        t1.append({"收支": "支出", "分类": "支出用途", "项目": label, "金额": amount})
    t1 += [
        {"收支": "支出", "项目": "当年支出小计", "金额": a + g + s + o + c - n},
        {"收支": "支出", "项目": "结转下年资金", "金额": n},
        {"收支": "支出", "项目": "支出合计", "金额": a + g + s + o + c},
    ]
    t2: list[dict[str, Any]] = [
        {"项目": "收入总计", "金额": a + g + s + o + c},
        {"类别": "一般公共预算资金", "项目": "小计", "金额": a},
        {"类别": "一般公共预算资金", "项目": "公共财政拨款（补助）资金", "金额": a - 50},
        {"类别": "一般公共预算资金", "项目": "专项收入", "金额": 50.0},
        {"类别": "政府性基金", "项目": "小计", "金额": g},
        {"类别": "财政专户管理资金", "项目": "小计", "金额": s},
        {"类别": "财政专户管理资金", "项目": "专户管理教育收费", "金额": 30.0},
        {"类别": "财政专户管理资金", "项目": "其他非税收入", "金额": 20.0},
        {"类别": "其他资金", "项目": "小计", "金额": o},
        {"类别": "其他资金", "项目": "事业收入", "金额": 20.0},
        {"类别": "其他资金", "项目": "经营收入", "金额": None},
        {"类别": "其他资金", "项目": "其他收入", "金额": 10.0},
        {"类别": "上年结转和结余资金", "项目": "小计", "金额": c},
        {"类别": "上年结转和结余资金", "项目": "其中：动用上年结转和结余资金", "金额": 15.0},
    ]
    t3 = [
        {
            "合计": a + g + s + o + c,
            "基本支出": basic + 50,
            "项目支出": project + 30,
            "单位预留机动经费": reserve + 10,
            "结转下年资金": n,
        }
    ]
    t4: list[dict[str, Any]] = [
        {"收支": "收入", "项目": "一、一般公共预算", "金额": a},
        {"收支": "收入", "项目": "二、政府性基金预算", "金额": g},
        {"收支": "收入", "项目": "收入合计", "金额": a + g},
        {"收支": "支出", "项目": "一、基本支出", "金额": basic},
        {"收支": "支出", "项目": "二、项目支出", "金额": project},
        {"收支": "支出", "项目": "三、单位预留机动经费", "金额": reserve},
        {"收支": "支出", "项目": "支出合计", "金额": a + g},
    ]
    t5 = _coded([(None, "合计", a + g), *general, *FUND])
    t7 = _coded([(None, "合计", a), *general])
    t10 = _coded([(None, "合计", g), *FUND])
    t6 = _coded(
        [
            (None, "合计", 650.0),
            ("301", "工资福利支出", 400.0),
            ("30101", "基本工资", 200.0),
            ("30102", "津贴补贴", 150.0),
            ("30108", "机关事业单位基本养老保险缴费", 50.0),
            ("302", "商品和服务支出", 150.0),
            ("30201", "办公费", 40.0),
            ("30215", "会议费", 20.0),
            ("30216", "培训费", 15.0),
            ("30217", "公务接待费", 10.0),
            ("30231", "公务用车运行维护费", 35.0),
            ("30299", "其他商品和服务支出", 30.0),
            ("303", "对个人和家庭的补助", 60.0),
            ("30302", "退休费", 60.0),
            ("310", "资本性支出", 40.0),
            ("31002", "办公设备购置", 30.0),
            ("31013", "公务用车购置", 10.0),
        ]
    )
    t8 = [dict(r) for r in t6]
    lower: dict[Any, float] = {None: 635.0, "302": 140.0, "30299": 20.0, "310": 35.0, "31002": 25.0}
    for coded in t8:
        coded["金额"] = lower.get(coded["科目编码"], coded["金额"])
    t9 = [
        {
            "合计": 120.0,
            "三公经费.小计": 77.0,
            "三公经费.因公出国(境)费": 12.0,
            "三公经费.公务用车购置及运行维护费.小计": 50.0,
            "三公经费.公务用车购置及运行维护费.公务用车购置费": 10.0,
            "三公经费.公务用车购置及运行维护费.公务用车运行维护费": 40.0,
            "三公经费.公务接待费": 15.0,
            "会议费": 25.0,
            "培训费": 18.0,
        }
    ]
    t11 = _coded(
        [
            (None, "合计", 150.0),
            ("302", "商品和服务支出", 130.0),
            ("30201", "办公费", 40.0),
            ("30215", "会议费", 20.0),
            ("30216", "培训费", 15.0),
            ("30217", "公务接待费", 10.0),
            ("30231", "公务用车运行维护费", 35.0),
            ("30299", "其他商品和服务支出", 10.0),
            ("310", "资本性支出", 20.0),
            ("31002", "办公设备购置", 20.0),
        ]
    )
    t12: list[dict[str, Any]] = [{"采购品目大类": "合计", "总计": 260.0}]
    purchases = (
        (
            "一、货物A",
            100.0,
            [
                (
                    "办公设备购置",
                    "办公设备购置",
                    [("台式计算机", "政府集中采购", 60.0), ("复印机", "部门集中采购", 40.0)],
                )
            ],
        ),
        ("二、工程B", 50.0, [("维修改造", "维修（护）费", [("房屋修缮", "分散采购", 50.0)])]),
        (
            "三、服务C",
            110.0,
            [
                ("会议经费", "会议费", [("会议服务", "分散采购", 25.0)]),
                ("培训经费", "培训费", [("专业技能培训服务", "分散采购", 15.0)]),
                ("交通运行费", "公务用车运行维护费", [("车辆维修和保养服务", "分散采购", 40.0)]),
                ("物业管理", "物业管理费", [("物业管理服务", "部门集中采购", 30.0)]),
            ],
        ),
    )
    for kind, total, groups in purchases:
        t12.append({"采购品目大类": kind, "总计": total})
        for special, economic, items in groups:
            group = {"采购品目大类": kind, "专项名称": special, "经济科目": economic}
            t12.append({**group, "总计": sum(x for _, _, x in items)})
            for item, form, value in items:
                t12.append({**group, "采购物品名称": item, "采购组织形式": form, "总计": value})
    names = {
        T5: "财政拨款支出预算表（功能科目）",
        T6: "财政拨款基本支出预算表（经济科目）",
        T7: "一般公共预算支出预算表（功能科目）",
        T8: "一般公共预算基本支出预算表（经济科目）",
        T9: "“三公”经费、会议费、培训费支出预算表",
        T11: "一般公共预算机关运行经费支出预算表",
    }
    rows: dict[str, list[dict[str, Any]]] = {
        T1: t1,
        T2: t2,
        T3: t3,
        T4: t4,
        T5: t5,
        T6: t6,
        T7: t7,
        T8: t8,
        T9: t9,
        T10: t10,
        T11: t11,
        T12: t12,
    }
    return {
        "meta": {
            "id": "jiangsu-2019-base",
            "department": "合成部门（规则测试用）",
            "year": 2019,
            "kind": "部门预算",
            "unit": "万元",
            "template": "部门预算公开/江苏2019",
        },
        "tables": {role: {"name": names.get(role, role), "rows": r} for role, r in rows.items()},
        "statements": statements(rows),
    }


# --------------------------------------------------------------------------- the prose

UP, DOWN = ("增加", "增长"), ("减少", "下降")
CARS = "三公经费.公务用车购置及运行维护费"


def _figure(value: float, unit: str = "万元", wording: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": round(value, 2), "unit": unit}
    if wording:
        out["wording"] = wording
    return out


def _pct(part: float, whole: float) -> float:
    return round(100 * part / whole, 2)


def _change(
    name: str, change: str, rate: str, value: float, direction: tuple[str, str]
) -> dict[str, Any]:
    """The 增减额 (10% of this year's figure) and the 增长率 stated with ``name``'s figure."""
    delta = round(value / 10, 2)
    prior = value - delta if direction == UP else value + delta
    return {
        change: _figure(delta, wording=direction[0]),
        rate: _figure(_pct(delta, prior), "%", direction[1]),
    }


# (statement with this year's figure, its 增减额, its 增长率): the changes the prose states
CHANGES = (
    ("收支总体.收支总计", "收支总体.增减额", "收支总体.增长率"),
    ("收入.一般公共预算", "收入.一般公共预算增减额", "收入.一般公共预算增长率"),
    ("支出.基本支出", "支出.基本支出增减额", "支出.基本支出增长率"),
    ("支出.项目支出", "支出.项目支出增减额", "支出.项目支出增长率"),
    ("支出.单位预留机动经费", "支出.单位预留机动经费增减额", "支出.单位预留机动经费增长率"),
    ("财政拨款.收支总计", "财政拨款.增减额", "财政拨款.增长率"),
    ("财政拨款支出.合计", "财政拨款支出.增减额", "财政拨款支出.增长率"),
    ("一般公共预算支出.合计", "一般公共预算支出.增减额", "一般公共预算支出.增长率"),
    ("机关运行经费.合计", "机关运行经费.增减额", "机关运行经费.增长率"),
    *(
        (f"功能类.{name}", f"功能类.{name}增减额", f"功能类.{name}增长率")
        for _, name in RULE_CLASSES
    ),
)


def changes(figures: dict[str, dict[str, Any]], direction: tuple[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, change, rate in CHANGES:
        out.update(_change(name, change, rate, figures[name]["value"], direction))
    return out


def statements(rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """What the prose of the base document states: every figure consistent with its tables,
    every change an increase of 10%."""

    def cell(table: str, column: str, label: str, key: str = "项目") -> float:
        return float(next(r[column] for r in rows[table] if r.get(key) == label))

    def codes(table: str, *wanted: str) -> float:
        return float(sum(r["金额"] for r in rows[table] if r["科目编码"] in wanted))

    total, this_year = cell(T1, "金额", "收入合计"), cell(T1, "金额", "当年收入小计")
    spent = cell(T1, "金额", "当年支出小计")
    uses = {
        u: cell(T1, "金额", label)
        for u, label in (
            ("基本支出", "一、基本支出"),
            ("项目支出", "二、项目支出"),
            ("单位预留机动经费", "三、单位预留机动经费"),
        )
    }
    general, finance = cell(T1, "金额", "1.一般公共预算"), cell(T4, "金额", "收入合计")
    sangong = rows[T9][0]
    three = sangong["三公经费.小计"]
    trips = sangong["三公经费.因公出国(境)费"]
    cars = sangong["三公经费.公务用车购置及运行维护费.小计"]
    meals = sangong["三公经费.公务接待费"]
    bought = {
        kind: cell(T12, "总计", label, "采购品目大类")
        for kind, label in (("货物", "一、货物A"), ("工程", "二、工程B"), ("服务", "三、服务C"))
    }
    figures: dict[str, dict[str, Any]] = {
        "收支总体.收支总计": _figure(total),
        "收入.收入总计": _figure(total),
        "收入.财政拨款": _figure(cell(T1, "金额", "一、财政拨款")),
        "收入.一般公共预算": _figure(general),
        "收入.政府性基金": _figure(cell(T1, "金额", "2.政府性基金预算")),
        "收入.财政专户管理资金": _figure(cell(T1, "金额", "二、财政专户管理资金")),
        "收入.其他资金": _figure(cell(T1, "金额", "三、其他资金")),
        "收入.上年结转资金": _figure(cell(T1, "金额", "上年结转资金")),
        "收入.本年收入合计": _figure(this_year),
        "收入.一般公共预算占比": _figure(_pct(general, this_year), "%"),
        "支出.支出总计": _figure(cell(T1, "金额", "支出合计")),
        "支出.结转下年资金": _figure(cell(T1, "金额", "结转下年资金")),
        **{f"支出.{u}": _figure(v) for u, v in uses.items()},
        "支出.本年支出合计": _figure(spent),
        **{f"支出.{u}占比": _figure(_pct(v, spent), "%") for u, v in uses.items()},
        "财政拨款.收支总计": _figure(finance),
        "财政拨款支出.合计": _figure(finance),
        "财政拨款支出.占本年支出合计": _figure(_pct(finance, spent), "%"),
        "财政拨款基本支出.合计": _figure(codes(T6, "301", "302", "303", "310")),
        "财政拨款基本支出.人员经费": _figure(codes(T6, "301", "303")),
        "财政拨款基本支出.公用经费": _figure(codes(T6, "302", "310")),
        "一般公共预算支出.合计": _figure(general),
        "一般公共预算基本支出.合计": _figure(codes(T8, "301", "302", "303", "310")),
        "一般公共预算基本支出.人员经费": _figure(codes(T8, "301", "303")),
        "一般公共预算基本支出.公用经费": _figure(codes(T8, "302", "310")),
        "三公经费.因公出国(境)费": _figure(trips),
        "三公经费.因公出国(境)费占比": _figure(_pct(trips, three), "%"),
        "三公经费.公务用车购置及运行费": _figure(cars),
        "三公经费.公务用车购置及运行费占比": _figure(_pct(cars, three), "%"),
        "三公经费.公务接待费": _figure(meals),
        "三公经费.公务接待费占比": _figure(_pct(meals, three), "%"),
        "三公经费.公务用车购置费": _figure(sangong[f"{CARS}.公务用车购置费"]),
        "三公经费.公务用车运行维护费": _figure(sangong[f"{CARS}.公务用车运行维护费"]),
        "会议费.合计": _figure(sangong["会议费"]),
        "培训费.合计": _figure(sangong["培训费"]),
        "机关运行经费.合计": _figure(float(rows[T11][0]["金额"])),
        "政府采购.合计": _figure(cell(T12, "总计", "合计", "采购品目大类")),
        **{f"政府采购.{k}": _figure(v) for k, v in bought.items()},
        "国有资产.车辆合计": _figure(10, "辆"),
        "国有资产.一般公务用车": _figure(5, "辆"),
        "国有资产.执法执勤用车": _figure(3, "辆"),
        "国有资产.其他用车": _figure(2, "辆"),
        **{f"功能类.{lb.split('、', 1)[1]}": _figure(cell(T1, "金额", lb)) for lb, _ in CLASSES},
    }  # fmt: skip
    return {**figures, **changes(figures, UP)}


def variants(doc: dict[str, Any]) -> list[Doc]:
    """Edits that make rules apply which the base document does not exercise."""
    fund = next(
        i for i, r in enumerate(doc["tables"][T1]["rows"]) if r["项目"] == "2.政府性基金预算"
    )
    carried = next(
        i for i, r in enumerate(doc["tables"][T1]["rows"]) if r["项目"] == "结转下年资金"
    )
    rows = len(doc["tables"][T10]["rows"])
    said = doc["statements"]
    down = [
        (pointer("statements", name, key), value[key])
        for name, value in changes(said, DOWN).items()
        for key in ("value", "wording")
    ]  # leaves only: case_search's edits of a variant change values inside what it sets
    uses = [said[f"支出.{u}增减额"]["value"] for u in ("基本支出", "项目支出", "单位预留机动经费")]
    return [
        Doc(
            "公开10表为空，公开01表没有政府性基金预算 / 公开10表 empty, no 政府性基金 in 公开01表",
            (
                (pointer("tables", T10, "rows", 0, "金额"), None),
                (pointer("tables", T1, "rows", fund, "金额"), None),
            ),
            tuple(pointer("tables", T10, "rows", i) for i in range(rows - 1, 0, -1)),
        ),
        Doc("说明：所有增减都是减少 / the prose: every change a decrease", tuple(down)),
        Doc(
            "说明：政府采购没有写工程 / the prose states no 工程 purchase",
            (
                (
                    pointer("statements", "政府采购.合计", "value"),
                    said["政府采购.货物"]["value"] + said["政府采购.服务"]["value"],
                ),
            ),
            (pointer("statements", "政府采购.工程"),),
        ),
        Doc(
            "说明：只列一般公务用车 / the prose lists only 一般公务用车",
            (
                (
                    pointer("statements", "国有资产.车辆合计", "value"),
                    said["国有资产.一般公务用车"]["value"],
                ),
            ),
            (
                pointer("statements", "国有资产.执法执勤用车"),
                pointer("statements", "国有资产.其他用车"),
            ),
        ),
        Doc(
            "结转下年资金为 0，总增减额 = 各支出用途增减额之和 / no 结转下年, changes add up",
            (
                (pointer("tables", T1, "rows", carried, "金额"), None),
                (pointer("statements", "收支总体.增减额", "value"), round(sum(uses), 2)),
            ),
        ),
    ]


def main() -> int:
    document = base_document()
    generator = "bench/make_cases_jiangsu.py"
    return write_cases(RULESET, SCHEMA, document, variants(document), generator)


if __name__ == "__main__":
    raise SystemExit(main())
