"""Write the 部门决算（上海）ruleset's rule tests: ``rulesets/部门决算-上海/tests/*.cases.json``.

    python -m bench.make_cases_shanghai_final   # rewrite base.json and the case files, run them

The recipe is ``bench/case_search.py``; this script builds the base document: a
synthetic Shanghai 部门决算 (schemas/shanghai-final.schema.json) consistent by
construction, in which every kind of money and every column appears, so that the
scope (口径) rules compare tables that really differ:

* income from every source (财政拨款 of all three funds, 上级补助, 事业, 经营,
  附属单位上缴, 其他), 使用非财政拨款结余, 结余分配, 年初 and 年末结转和结余 that
  differ between all funds and 财政拨款;
* spending of every kind (基本, 项目, 上缴上级, 经营, 对附属单位补助) over 8 项 of
  6 类 (201, 208, 210, 212, 221, 223), with 政府性基金 (212) and 国有资本经营 (223)
  money, so 表八 and 表九 have rows;
* 表六 with all four economic classes and the “三公” codes; the codes 30108, 30109,
  30110, 30113 whose (K) correspondences with 表五 the warnings check;
* 表七 with 预算数 and 决算数 for every item (决算 ≤ 预算);
* every figure the layout reads from the prose, as the tables make it (percentages rounded
  to 0.01 as printed, so some prose rules are 尾差 on the base), with changes on last year
  in both directions.

Every figure is derived from the 项-level data below, so the identities hold exactly.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.case_search import write_cases  # noqa: E402
from bench.make_rules_shanghai_final import CLASSES as CLASS_CODES  # noqa: E402
from bench.make_rules_shanghai_final import STATEMENTS, class_statements  # noqa: E402

RULESET = ROOT / "rulesets" / "部门决算-上海"
SCHEMA = ROOT / "schemas" / "shanghai-final.schema.json"

INCOME = ("财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入")
SPENDING = ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出")
FUNDS = ("一般公共预算财政拨款", "政府性基金预算财政拨款", "国有资本经营预算财政拨款")

NAMES = {
    "201": "一般公共服务支出", "20101": "人大事务", "2010101": "行政运行", "2010150": "事业运行",
    "208": "社会保障和就业支出", "20805": "行政事业单位养老支出",
    "2080505": "机关事业单位基本养老保险缴费支出", "2080506": "机关事业单位职业年金缴费支出",
    "210": "卫生健康支出", "21011": "行政事业单位医疗", "2101101": "行政单位医疗",
    "212": "城乡社区支出", "21208": "国有土地使用权出让收入安排的支出", "2120803": "城市建设支出",
    "221": "住房保障支出", "22102": "住房改革支出", "2210201": "住房公积金",
    "223": "国有资本经营预算支出", "22301": "解决历史遗留问题及改革成本支出",
    "2230199": "其他解决历史遗留问题及改革成本支出",
}  # fmt: skip

# 项: (income by source, spending by kind, 财政拨款 (基本, 项目), fund index, the fund's 年初结转)
ITEMS: dict[str, tuple[tuple[float, ...], tuple[float, ...], tuple[float, float], int, float]] = {
    "2010101": ((500, 0, 20, 6, 0, 3.5), (480, 30, 0, 5, 0), (470, 25), 0, 0),
    "2010150": ((100, 10, 0, 0, 0, 0), (90, 15, 2, 0, 1), (85, 12), 0, 0),
    "2080505": ((60, 0, 0, 0, 4, 0), (62, 0, 0, 0, 0), (60, 0), 0, 0),
    "2080506": ((30, 0, 0, 0, 0, 0), (30, 0, 0, 0, 0), (30, 0), 0, 0),
    "2101101": ((25, 0, 0, 0, 0, 0), (25, 0, 0, 0, 0), (25, 0), 0, 0),
    "2120803": ((40, 0, 0, 0, 0, 0), (0, 42, 0, 0, 0), (0, 42), 1, 5),
    "2210201": ((40, 0, 0, 0, 0, 0), (40, 0, 0, 0, 0), (40, 0), 0, 0),
    "2230199": ((10, 0, 0, 0, 0, 0), (0, 8, 0, 0, 0), (0, 8), 2, 0),
}
OPENING_GENERAL = 12  # 年初结转和结余 of 一般公共预算财政拨款
OPENING_OTHER = 8  # 年初结转和结余 of non-财政拨款 money
USED_SURPLUS, DISTRIBUTED = 1.5, 0.5  # 使用非财政拨款结余, 结余分配

# 表六: economic codes (301/303 left block, 302/310 right block); their sum is 表五's 基本支出
ECONOMIC_LEFT = {
    "301": "工资福利支出", "30101": ("基本工资", 200), "30102": ("津贴补贴", 150),
    "30108": ("机关事业单位基本养老保险缴费", 60), "30109": ("职业年金缴费", 30),
    "30110": ("职工基本医疗保险缴费", 25), "30113": ("住房公积金", 40),
    "303": "对个人和家庭的补助", "30302": ("退休费", 35),
}  # fmt: skip
ECONOMIC_RIGHT = {
    "302": "商品和服务支出", "30201": ("办公费", 80), "30212": ("因公出国（境）费用", 6),
    "30217": ("公务接待费", 4), "30231": ("公务用车运行维护费", 10),
    "310": "资本性支出", "31002": ("办公设备购置", 55), "31013": ("公务用车购置", 15),
}  # fmt: skip
# 表七: (预算数, 决算数) of 因公出国(境)费, 公务用车购置费, 公务用车运行费, 公务接待费
THREE = {"出国": (8, 6), "购置": (20, 15), "运行": (12, 10), "接待": (5, 4)}
# the prose's changes on last year (wording, amount), figures no table states
CHANGES = {"收支总体": ("减少", 125), "财政拨款": ("增加", 22), "一般公共预算支出": ("减少", 3)}
OFFICE = ("增加", 10)  # 机关运行经费 on last year
GENERAL_BUDGET = 750  # 一般公共预算财政拨款支出 年初预算
PURCHASES = {"货物": 30, "工程": 20, "服务": 50}
VEHICLES = {"执法执勤用车": 2, "其他用车": 1}

CLASSES = [
    "一般公共服务支出", "外交支出", "国防支出", "公共安全支出", "教育支出", "科学技术支出",
    "文化旅游体育与传媒支出", "社会保障和就业支出", "卫生健康支出", "节能环保支出", "城乡社区支出",
    "农林水支出", "交通运输支出", "资源勘探工业信息等支出", "商业服务业等支出", "金融支出",
    "援助其他地区支出", "自然资源海洋气象等支出", "住房保障支出", "粮油物资储备支出",
    "国有资本经营预算支出", "灾害防治及应急管理支出", "其他支出", "债务还本支出", "债务付息支出",
    "抗疫特别国债安排的支出",
]  # fmt: skip
ORDINALS = "一二三四五六七八九十"
FUND_TABLES = ("政府性基金预算财政拨款收入支出决算表", "国有资本经营预算财政拨款收入支出决算表")


def _ordinal(n: int) -> str:
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else ORDINALS[tens - 1] + "十")
    return head + ("" if ones == 0 else ORDINALS[ones - 1]) + "、"


def _d(value: float) -> Decimal:
    return Decimal(str(value))


def _out(value: Decimal) -> float | None:
    return None if value == 0 else float(value)


def _levels(values: dict[str, tuple[Decimal, ...]]) -> list[tuple[str, tuple[Decimal, ...]]]:
    """类, 款 and 项 rows in code order, each 类/款 the sum of the 项 under it."""
    codes = sorted({c[:n] for c in values for n in (3, 5, 7)})
    width = len(next(iter(values.values())))
    return [
        (code, tuple(sum((v[k] for c, v in values.items() if c.startswith(code)), Decimal(0))
                     for k in range(width)))
        for code in codes
    ]  # fmt: skip


def _function_rows(
    values: dict[str, tuple[Decimal, ...]], columns: tuple[str, ...], total_first: bool
) -> list[dict[str, Any]]:
    def row(code: str | None, name: str, sums: Sequence[Decimal]) -> dict[str, Any]:
        amounts = {c: _out(v) for c, v in zip(columns, sums, strict=True)}
        return {"科目编码": code, "科目名称": name, **amounts}

    rows = [row(code, NAMES[code], sums) for code, sums in _levels(values)]
    width = len(columns)
    totals = [sum((v[k] for v in values.values()), Decimal(0)) for k in range(width)]
    total = row(None, "合计", totals)
    return [total, *rows] if total_first else [*rows, total]


def base_document() -> dict[str, Any]:
    income = {c: tuple(map(_d, v[0])) for c, v in ITEMS.items()}
    spending = {c: tuple(map(_d, v[1])) for c, v in ITEMS.items()}
    fiscal = {c: tuple(map(_d, v[2])) for c, v in ITEMS.items()}
    by_fund = {
        f: {c: v for c, v in fiscal.items() if ITEMS[c][3] == i} for i, f in enumerate(FUNDS)
    }

    t2 = _function_rows(
        {c: (sum(v), *v) for c, v in income.items()}, ("本年收入合计", *INCOME), True
    )
    t3 = _function_rows(
        {c: (sum(v), *v) for c, v in spending.items()}, ("本年支出合计", *SPENDING), True
    )
    t5 = _function_rows(
        {c: (sum(v), *v) for c, v in by_fund[FUNDS[0]].items()},
        ("合计", "基本支出", "项目支出"),
        False,
    )

    def fund_table(fund: int) -> list[dict[str, Any]]:
        rows: dict[str, tuple[Decimal, ...]] = {}
        for code, (basic, project) in by_fund[FUNDS[fund]].items():
            opening, received = _d(ITEMS[code][4]), income[code][0]
            spent = basic + project
            rows[code] = (opening, received, spent, basic, project, opening + received - spent)
        columns = (
            "年初结转和结余",
            "本年收入",
            "本年支出.小计",
            "本年支出.基本支出",
            "本年支出.项目支出",
            "年末结转和结余",
        )
        return _function_rows(rows, columns, False)

    t8, t9 = fund_table(1), fund_table(2)

    # 表四: income by fund (本年 = 财政拨款收入 of the fund's 项), 年初, spending by 类 and fund
    received = [sum((income[c][0] for c in by_fund[f]), Decimal(0)) for f in FUNDS]
    opening = [
        _d(OPENING_GENERAL),
        *(sum((_d(ITEMS[c][4]) for c in by_fund[f]), Decimal(0)) for f in FUNDS[1:]),
    ]
    spent = [sum((sum(v) for v in by_fund[f].values()), Decimal(0)) for f in FUNDS]
    closing = [o + r - s for o, r, s in zip(opening, received, spent, strict=True)]
    t4: list[dict[str, Any]] = []
    for values in (received, opening):
        if values is opening:
            t4.append(
                {"收支": "收入", "项目": "本年收入合计", "决算数": _out(sum(received, Decimal(0)))}
            )
            t4.append(
                {
                    "收支": "收入",
                    "项目": "年初财政拨款结转和结余",
                    "决算数": _out(sum(opening, Decimal(0))),
                }
            )
        for i, fund in enumerate(FUNDS):
            t4.append({"收支": "收入", "项目": _ordinal(i + 1) + fund, "决算数": _out(values[i])})
    t4.append({"收支": "收入", "项目": "总计", "决算数": _out(sum(received + opening, Decimal(0)))})

    def spending_row(label: str, by: list[Decimal]) -> dict[str, Any]:
        return {"收支": "支出", "项目": label, "合计": _out(sum(by, Decimal(0))),
                **{f: _out(v) for f, v in zip(FUNDS, by, strict=True)}}  # fmt: skip

    class_of = {NAMES[c[:3]]: c[:3] for c in ITEMS}
    for n, name in enumerate(CLASSES, start=1):
        code = class_of.get(name)
        by = [
            sum((sum(v) for c, v in by_fund[f].items() if code and c.startswith(code)), Decimal(0))
            for f in FUNDS
        ]
        t4.append(spending_row(_ordinal(n) + name, by))
    t4.append(spending_row("本年支出合计", spent))
    t4.append(spending_row("年末财政拨款结转和结余", closing))
    t4.append(spending_row("总计", [s + c for s, c in zip(spent, closing, strict=True)]))

    # 表一: income by source, spending by 类 over all money
    sources = [sum((v[k] for v in income.values()), Decimal(0)) for k in range(len(INCOME))]
    source_lines = [*received, *sources[1:]]
    labels = [f.removesuffix("拨款") + "拨款收入" for f in FUNDS] + [s for s in INCOME[1:]]
    total_income = sum(sources, Decimal(0))
    total_spent = sum((sum(v) for v in spending.values()), Decimal(0))
    opening_all = sum(opening, Decimal(0)) + _d(OPENING_OTHER)
    closing_all = opening_all + total_income + _d(USED_SURPLUS) - total_spent - _d(DISTRIBUTED)
    grand = total_income + _d(USED_SURPLUS) + opening_all
    t1 = [{"收支": "收入", "项目": _ordinal(i + 1) + label, "决算数": _out(v)}
          for i, (label, v) in enumerate(zip(labels, source_lines, strict=True))]  # fmt: skip
    t1 += [
        {"收支": "收入", "项目": "本年收入合计", "决算数": _out(total_income)},
        {
            "收支": "收入",
            "项目": "使用非财政拨款结余（含专用结余）",
            "决算数": _out(_d(USED_SURPLUS)),
        },
        {"收支": "收入", "项目": "年初结转和结余", "决算数": _out(opening_all)},
        {"收支": "收入", "项目": "总计", "决算数": _out(grand)},
    ]
    for n, name in enumerate(CLASSES, start=1):
        code = class_of.get(name)
        value = sum(
            (sum(v) for c, v in spending.items() if code and c.startswith(code)), Decimal(0)
        )
        t1.append({"收支": "支出", "项目": _ordinal(n) + name, "决算数": _out(value)})
    t1 += [
        {"收支": "支出", "项目": "本年支出合计", "决算数": _out(total_spent)},
        {"收支": "支出", "项目": "结余分配", "决算数": _out(_d(DISTRIBUTED))},
        {"收支": "支出", "项目": "年末结转和结余", "决算数": _out(closing_all)},
        {"收支": "支出", "项目": "总计", "决算数": _out(grand)},
    ]

    def block(entries: dict[str, Any], total: str) -> list[dict[str, Any]]:
        rows, sum_all = [], Decimal(0)
        for code, entry in entries.items():
            if isinstance(entry, str):  # a 类 row: the sum of its 款
                value = sum(
                    (_d(e[1]) for c, e in entries.items() if len(c) == 5 and c.startswith(code)),
                    Decimal(0),
                )
                rows.append({"科目编码": code, "科目名称": entry, "决算数": _out(value)})
                sum_all += value
            else:
                rows.append({"科目编码": code, "科目名称": entry[0], "决算数": _out(_d(entry[1]))})
        return [*rows, {"科目编码": None, "科目名称": total, "决算数": _out(sum_all)}]  # fmt: skip

    t6 = block(ECONOMIC_LEFT, "人员经费合计") + block(ECONOMIC_RIGHT, "公用经费合计")
    budget, final = ({k: _d(v[i]) for k, v in THREE.items()} for i in (0, 1))
    t7 = {}
    for kind, values in (("预算数", budget), ("决算数", final)):
        car = values["购置"] + values["运行"]
        t7 |= {
            f"合计.{kind}": _out(values["出国"] + car + values["接待"]),
            f"因公出国(境)费.{kind}": _out(values["出国"]),
            f"公务用车购置及运行费.小计.{kind}": _out(car),
            f"公务用车购置及运行费.公务用车购置费.{kind}": _out(values["购置"]),
            f"公务用车购置及运行费.公务用车运行费.{kind}": _out(values["运行"]),
            f"公务接待费.{kind}": _out(values["接待"]),
        }

    statements = prose(
        {
            "grand": grand, "income": total_income, "spent": total_spent,
            "fiscal": sum(received + opening, Decimal(0)), "general": spent[0],
            "basic": sum(by_fund[FUNDS[0]][c][0] for c in by_fund[FUNDS[0]]),
            "personnel": sum(_d(e[1]) for c, e in ECONOMIC_LEFT.items() if len(c) == 5),
            "office": sum(_d(e[1]) for c, e in ECONOMIC_RIGHT.items() if len(c) == 5),
        },
        dict(zip(INCOME, sources, strict=True)),
        {k: sum((v[i] for v in spending.values()), Decimal(0)) for i, k in enumerate(SPENDING)},
        {name: sum((sum(v) for c, v in by_fund[FUNDS[0]].items() if c.startswith(code)), Decimal(0))
         for code, name in CLASS_CODES},
        budget, final,
    )  # fmt: skip

    def table(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"name": name, "unit": "万元", "rows": rows}

    return {
        "meta": {"id": "synthetic-shanghai-final", "department": "上海市示例区示例局", "year": 2024,
                 "kind": "部门决算", "unit": "万元", "template": "部门决算公开/上海"},
        "tables": {
            "收入支出决算总表": table("收入支出决算总表", t1),
            "收入决算表": table("收入决算表", t2),
            "支出决算表": table("支出决算表", t3),
            "财政拨款收入支出决算总表": table("财政拨款收入支出决算总表", t4),
            "一般公共预算财政拨款支出决算表": table("一般公共预算财政拨款支出决算表", t5),
            "一般公共预算财政拨款基本支出决算表": table("一般公共预算财政拨款基本支出决算表", t6),
            "三公经费支出决算表": table("财政拨款“三公”经费支出决算表", [t7]),
            FUND_TABLES[0]: table(FUND_TABLES[0], t8),
            FUND_TABLES[1]: table(FUND_TABLES[1], t9),
        },
        "statements": statements,
    }  # fmt: skip


def _pct(part: Decimal, whole: Decimal) -> float:
    return float(round(part * 100 / whole, 2))


def prose(
    totals: dict[str, Decimal],
    income: dict[str, Decimal],
    spending: dict[str, Decimal],
    classes: dict[str, Decimal],
    budget: dict[str, Decimal],
    final: dict[str, Decimal],
) -> dict[str, Any]:
    """Every figure the layout reads from the prose, as the tables (and the changes above)
    make it; percentages rounded to 0.01 as printed."""
    out: dict[str, tuple[float, str | None]] = {}

    def change(section: str, this: Decimal, word: str, amount: float) -> None:
        last = this + _d(amount) if word == "减少" else this - _d(amount)
        out[f"{section}.增减额"] = (amount, word)
        out[f"{section}.增长率"] = (_pct(_d(amount), last), "下降" if word == "减少" else "增长")

    out["收支总体.收入支出总计"] = (float(totals["grand"]), None)
    change("收支总体", totals["grand"], *CHANGES["收支总体"])
    out["收入.本年收入合计"] = (float(totals["income"]), None)
    for name, value in income.items():
        out[f"收入.{name}"] = (float(value), None)
        out[f"收入.{name}占比"] = (_pct(value, totals["income"]), None)
    out["支出.本年支出合计"] = (float(totals["spent"]), None)
    for name, value in spending.items():
        out[f"支出.{name}"] = (float(value), None)
        out[f"支出.{name}占比"] = (_pct(value, totals["spent"]), None)
    out["财政拨款.收入支出总计"] = (float(totals["fiscal"]), None)
    change("财政拨款", totals["fiscal"], *CHANGES["财政拨款"])
    general = totals["general"]
    out["一般公共预算支出.合计"] = (float(general), None)
    out["一般公共预算支出.占本年支出合计"] = (_pct(general, totals["spent"]), None)
    change("一般公共预算支出", general, *CHANGES["一般公共预算支出"])
    out["一般公共预算支出.年初预算"] = (GENERAL_BUDGET, None)
    out["一般公共预算支出.决算"] = (float(general), None)
    out["一般公共预算支出.完成率"] = (_pct(general, _d(GENERAL_BUDGET)), None)
    for name, value in classes.items():
        out[f"一般公共预算支出结构.{name}"] = (float(value), None)
        out[f"一般公共预算支出结构.{name}占比"] = (_pct(value, general), None)
    out["基本支出.合计"] = (float(totals["basic"]), None)
    out["基本支出.人员经费"] = (float(totals["personnel"]), None)
    out["基本支出.公用经费"] = (float(totals["office"]), None)
    total_budget = budget["出国"] + budget["购置"] + budget["运行"] + budget["接待"]
    total_final = final["出国"] + final["购置"] + final["运行"] + final["接待"]
    out["三公经费.年初预算"] = (float(total_budget), None)
    out["三公经费.决算"] = (float(total_final), None)
    out["三公经费.完成率"] = (_pct(total_final, total_budget), None)
    out["三公经费.因公出国(境)费决算"] = (float(final["出国"]), None)
    out["三公经费.公务用车购置及运行费决算"] = (float(final["购置"] + final["运行"]), None)
    out["三公经费.公务接待费决算"] = (float(final["接待"]), None)
    out["机关运行经费.合计"] = (float(totals["office"]), None)
    change("机关运行经费", totals["office"], *OFFICE)
    out["政府采购.合计"] = (float(sum(PURCHASES.values())), None)
    for name, value in PURCHASES.items():
        out[f"政府采购.{name}"] = (float(value), None)
    names = [n for n, _, _ in STATEMENTS + class_statements()]
    vehicles = [n.removeprefix("国有资产.") for n in names if n.startswith("国有资产.")]
    out["国有资产.车辆合计"] = (float(sum(VEHICLES.values())), None)
    for name in vehicles[1:]:
        out[f"国有资产.{name}"] = (float(VEHICLES.get(name, 0)), None)
    assert sorted(out) == sorted(names), set(names) ^ set(out)
    units = {n: u for n, _, u in STATEMENTS + class_statements()}
    return {
        name: {"value": value, "unit": units[name], **({"wording": word} if word else {})}
        for name, (value, word) in ((n, out[n]) for n in names)
    }


def main() -> int:
    return write_cases(RULESET, SCHEMA, base_document(), [], "bench/make_cases_shanghai_final.py")


if __name__ == "__main__":
    raise SystemExit(main())
