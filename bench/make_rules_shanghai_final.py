# ruff: noqa: E501  (the rule text templates below are rule-file lines, long as rules are)
"""Write the generated parts of the 部门决算（上海）ruleset and template.

    python -m bench.make_rules_shanghai_final

The 26 功能类 of the template each get the same rules and the same prose patterns, so
they are written from one list here rather than by hand:

* ``rulesets/部门决算-上海/功能分类.rules``: per 类, 表一 / 表四 against 表三 / 表五 / 表八 / 表九;
* ``rulesets/部门决算-上海/说明-功能类.rules``: per 类, the prose's 一般公共预算财政拨款支出
  结构 (“一般公共服务支出（类）2106.66万元，占71.73%”) against 表五;
* the ``statements`` of ``schemas/shanghai-final.layout.json`` (the patterns that read the
  prose, :data:`STATEMENTS` plus two per 类) and their names in the schema's
  ``properties.statements.x-names``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / "rulesets" / "部门决算-上海"
LAYOUT = ROOT / "schemas" / "shanghai-final.layout.json"
SCHEMA = ROOT / "schemas" / "shanghai-final.schema.json"

CLASSES = [
    ("201", "一般公共服务支出"), ("202", "外交支出"), ("203", "国防支出"), ("204", "公共安全支出"),
    ("205", "教育支出"), ("206", "科学技术支出"), ("207", "文化旅游体育与传媒支出"),
    ("208", "社会保障和就业支出"), ("210", "卫生健康支出"), ("211", "节能环保支出"),
    ("212", "城乡社区支出"), ("213", "农林水支出"), ("214", "交通运输支出"),
    ("215", "资源勘探工业信息等支出"), ("216", "商业服务业等支出"), ("217", "金融支出"),
    ("219", "援助其他地区支出"), ("220", "自然资源海洋气象等支出"), ("221", "住房保障支出"),
    ("222", "粮油物资储备支出"), ("223", "国有资本经营预算支出"), ("224", "灾害防治及应急管理支出"),
    ("229", "其他支出"), ("231", "债务还本支出"), ("232", "债务付息支出"),
    ("234", "抗疫特别国债安排的支出"),
]  # fmt: skip

# The prose is matched after normalisation (docs/import.md): NFKC (full-width ， ： （ ）
# become , : ( )), no whitespace, no quotes (“三公”经费 → 三公经费).
N = r"[0-9][0-9,]*(?:\.[0-9]+)?"
V = rf"(?P<v>{N})"
# a gap within one section: never across a section heading such as 三、
GAP = r"(?:(?![一二三四五六七八九十]、).){0,300}?"
CHANGE = r"(?P<w>增加|减少)"
RATE = r"(?P<w>增长|下降)"
TOTAL = r"(?<!拨款)收入支出总计"
INCOME = ("财政拨款收入", "上级补助收入", "事业收入", "经营收入", "附属单位上缴收入", "其他收入")
SPENDING = ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出")
GENERAL = "一般公共预算财政拨款支出"
VEHICLES = (
    "部级领导干部用车", "主要领导干部用车", "机要通信用车", "应急保障用车", "执法执勤用车",
    "特种专业技术用车", "离退休干部用车", "其他用车",
)  # fmt: skip

STATEMENTS: list[tuple[str, str, str]] = [
    ("收支总体.收入支出总计", rf"{TOTAL}{V}万元", "万元"),
    ("收支总体.增减额", rf"{TOTAL}{CHANGE}{V}万元", "万元"),
    ("收支总体.增长率", rf"{TOTAL}(?:增加|减少){N}万元,{RATE}{V}%", "%"),
    ("收入.本年收入合计", rf"本年收入合计{V}万元", "万元"),
    *[(f"收入.{s}", rf"本年收入合计{N}万元{GAP}{s}{V}万元", "万元") for s in INCOME],
    *[(f"收入.{s}占比", rf"本年收入合计{N}万元{GAP}{s}{N}万元,占{V}%", "%") for s in INCOME],
    ("支出.本年支出合计", rf"本年支出合计{V}万元", "万元"),
    *[(f"支出.{s}", rf"本年支出合计{N}万元{GAP}{s}{V}万元", "万元") for s in SPENDING],
    *[(f"支出.{s}占比", rf"本年支出合计{N}万元{GAP}{s}{N}万元,占{V}%", "%") for s in SPENDING],
    ("财政拨款.收入支出总计", rf"财政拨款收入支出总计{V}万元", "万元"),
    ("财政拨款.增减额", rf"财政拨款收入支出总计{CHANGE}{V}万元", "万元"),
    ("财政拨款.增长率", rf"财政拨款收入支出总计(?:增加|减少){N}万元,{RATE}{V}%", "%"),
    ("一般公共预算支出.合计", rf"{GENERAL}{V}万元,占本年支出合计", "万元"),
    ("一般公共预算支出.占本年支出合计", rf"{GENERAL}{N}万元,占本年支出合计的{V}%", "%"),
    ("一般公共预算支出.增减额", rf"{GENERAL}{CHANGE}{V}万元", "万元"),
    ("一般公共预算支出.增长率", rf"{GENERAL}(?:增加|减少){N}万元,{RATE}{V}%", "%"),
    ("一般公共预算支出.年初预算", rf"{GENERAL}年初预算为{V}万元", "万元"),
    ("一般公共预算支出.决算", rf"{GENERAL}年初预算为{N}万元,支出决算为{V}万元", "万元"),
    ("一般公共预算支出.完成率", rf"{GENERAL}年初预算为{N}万元,支出决算为{N}万元,完成年初预算的{V}%", "%"),
    ("基本支出.合计", rf"一般公共预算财政拨款基本支出{V}万元", "万元"),
    ("基本支出.人员经费", rf"一般公共预算财政拨款基本支出{N}万元{GAP}人员经费{V}万元", "万元"),
    ("基本支出.公用经费", rf"一般公共预算财政拨款基本支出{N}万元{GAP}公用经费{V}万元", "万元"),
    ("三公经费.年初预算", rf"三公经费财政拨款支出年初预算为{V}万元", "万元"),
    ("三公经费.决算", rf"三公经费财政拨款支出年初预算为{N}万元,支出决算为{V}万元", "万元"),
    ("三公经费.完成率", rf"三公经费财政拨款支出年初预算为{N}万元,支出决算为{N}万元,完成预算的{V}%", "%"),
    ("三公经费.因公出国(境)费决算", rf"因公出国\(境\)费(?:支出)?决算为{V}万元", "万元"),
    ("三公经费.公务用车购置及运行费决算", rf"公务用车购置及运行(?:维护)?费(?:支出)?决算为{V}万元", "万元"),
    ("三公经费.公务接待费决算", rf"公务接待费(?:支出)?决算为{V}万元", "万元"),
    ("机关运行经费.合计", rf"机关运行经费支出{V}万元", "万元"),
    ("机关运行经费.增减额", rf"机关运行经费支出{N}万元,比20[0-9]{{2}}年度{CHANGE}{V}万元", "万元"),
    ("机关运行经费.增长率", rf"机关运行经费支出{N}万元,比20[0-9]{{2}}年度(?:增加|减少){N}万元,{RATE}{V}%", "%"),
    ("政府采购.合计", rf"政府采购金额(?:\(以合同签订为准\))?为{V}万元", "万元"),
    ("政府采购.货物", rf"货物采购金额{V}万元", "万元"),
    ("政府采购.工程", rf"工程采购金额{V}万元", "万元"),
    ("政府采购.服务", rf"服务采购金额{V}万元", "万元"),
    ("国有资产.车辆合计", rf"共有车辆{V}辆", "辆"),
    *[(f"国有资产.{k}", rf"共有车辆{N}辆{GAP}{k}{V}辆", "辆") for k in VEHICLES],
]  # fmt: skip


def class_statements() -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for _, name in CLASSES:
        out.append((f"一般公共预算支出结构.{name}", rf"{name}\(类\){V}万元", "万元"))
        out.append((f"一般公共预算支出结构.{name}占比", rf"{name}\(类\){N}万元,占{V}%", "%"))
    return out


FUNCTION_HEAD = """# 支出功能分类“类”的汇总：表一、表四支出方的每个功能类行与表三、表五、表八、表九的项级科目之和。
#
# 由 bench/make_rules_shanghai_final.py 生成：改脚本，不改本文件。
#
# 表一、表四支出方各列一行“类”（中文序号连续：九、卫生健康支出是 210，序号不是
# “类编码 − 200”）。规则按类逐个写出：行名是模板印刷的名称（忽略编号前缀），
# 项级科目（7 位编码）按编码前 3 位归类。文件里没有某个类的行时，该类的规则
# 跳过（when exists）。
#
# 每个类五条规则：
#   GN-类-1  表一该类 = 表三该类项级科目本年支出合计之和
#   GN-类-2  表四该类一般公共预算财政拨款 = 表五该类项级科目合计之和
#   GN-类-3  表四该类政府性基金预算财政拨款 = 表八该类项级科目本年支出小计之和
#   GN-类-4  表四该类国有资本经营预算财政拨款 = 表九该类项级科目本年支出小计之和
#   GN-类-5  表四该类合计 ≤ 表一该类（表四只含财政拨款：口径差不是错误）
#
# 26 个类：《政府收支分类科目》2024 年支出功能分类的类（模板表一印出的全部类）。
"""

FUNCTION_RULES = """
# {code} {name}
rule GN-{code}-1 "表一“{name}” = 表三 {code} 类项级科目之和" tags 功能类, 表一, 表三, 表间:
  description "表一支出方“{name}”等于表三科目编码以 {code} 开头的项级（7 位）科目本年支出合计之和。"
  source "上海市部门决算公开模板（表一、表三同一口径）；《政府收支分类科目》类 {code}（K）"
  when exists 总表[{name}]
  总表[{name}] = sum(支出表.本年支出合计 where length(科目编码) = 7 and 科目编码 startswith "{code}")

rule GN-{code}-2 "表四“{name}”一般公共预算 = 表五 {code} 类项级科目之和" tags 功能类, 表四, 表五, 表间:
  description "表四支出方“{name}”的一般公共预算财政拨款列等于表五科目编码以 {code} 开头的项级科目合计之和。"
  source "上海市部门决算公开模板（表四、表五同一口径）；《政府收支分类科目》类 {code}（K）"
  when exists 拨款表[{name}]
  拨款表[{name}].一般公共预算财政拨款 = sum(一般表.合计 where length(科目编码) = 7 and 科目编码 startswith "{code}")

rule GN-{code}-3 "表四“{name}”政府性基金 = 表八 {code} 类项级科目之和" tags 功能类, 表四, 表八, 表间:
  description "表四支出方“{name}”的政府性基金预算财政拨款列等于表八科目编码以 {code} 开头的项级科目本年支出小计之和。"
  source "上海市部门决算公开模板（表四、表八同一口径）；《政府收支分类科目》类 {code}（K）"
  when exists 拨款表[{name}]
  拨款表[{name}].政府性基金预算财政拨款 = sum(基金表.本年支出.小计 where length(科目编码) = 7 and 科目编码 startswith "{code}")

rule GN-{code}-4 "表四“{name}”国有资本经营 = 表九 {code} 类项级科目之和" tags 功能类, 表四, 表九, 表间:
  description "表四支出方“{name}”的国有资本经营预算财政拨款列等于表九科目编码以 {code} 开头的项级科目本年支出小计之和。"
  source "上海市部门决算公开模板（表四、表九同一口径）；《政府收支分类科目》类 {code}（K）"
  when exists 拨款表[{name}]
  拨款表[{name}].国有资本经营预算财政拨款 = sum(国资表.本年支出.小计 where length(科目编码) = 7 and 科目编码 startswith "{code}")

rule GN-{code}-5 "表四“{name}”合计不超过表一同类" tags 功能类, 表一, 表四, 表间, 口径:
  description "表四只含财政拨款，其“{name}”合计不大于表一同类的全部资金（差额是非财政拨款资金，口径差不是错误）。"
  source "上海市部门决算公开模板：财政拨款表不含非财政拨款资金（口径）"
  when exists 拨款表[{name}] and exists 总表[{name}]
  拨款表[{name}].合计 <= 总表[{name}]
"""

PROSE_HEAD = """# 说明：一般公共预算财政拨款支出决算结构（按功能类）与表五。
#
# 由 bench/make_rules_shanghai_final.py 生成：改脚本，不改本文件。
#
# 说明第五部分（二）逐类写“一般公共服务支出（类）2106.66万元，占71.73%”。每个类两条规则，
# 文字没有写这一类时跳过：
#   SMJ-类-1  所述金额 = 表五该类项级科目合计之和
#   SMJ-类-2  所述占比 = 该类 ÷ 表五合计（按 0.01 个百分点判断）
"""

PROSE_RULES = """
rule SMJ-{code}-1 "说明：{name}（类）= 表五 {code} 类" tags 说明, 功能类, 表五:
  description "说明所述一般公共预算财政拨款支出中“{name}（类）”的金额等于表五科目编码以 {code} 开头的项级科目合计之和。"
  source "上海市部门决算公开说明第五部分（二）（K）"
  when 说明.一般公共预算支出结构.{name} is not null
  说明.一般公共预算支出结构.{name} = sum(一般表.合计 where length(科目编码) = 7 and 科目编码 startswith "{code}")

rule SMJ-{code}-2 "说明：{name}（类）占比 = 该类 ÷ 表五合计" tags 说明, 功能类, 表五, 占比:
  description "说明所述“{name}（类）”占一般公共预算财政拨款支出的百分比等于表五该类之和除以表五合计，按 0.01 个百分点判断。"
  source "上海市部门决算公开说明第五部分（二）（K）"
  precision 0.01
  when 说明.一般公共预算支出结构.{name}占比 is not null
  说明.一般公共预算支出结构.{name}占比 = pct(sum(一般表.合计 where length(科目编码) = 7 and 科目编码 startswith "{code}"), 一般表[合计].合计)
"""


def main() -> int:
    (RULESET / "功能分类.rules").write_text(
        FUNCTION_HEAD + "".join(FUNCTION_RULES.format(code=c, name=n) for c, n in CLASSES),
        encoding="utf-8",
    )
    (RULESET / "说明-功能类.rules").write_text(
        PROSE_HEAD + "".join(PROSE_RULES.format(code=c, name=n) for c, n in CLASSES),
        encoding="utf-8",
    )
    statements = STATEMENTS + class_statements()
    layout = json.loads(LAYOUT.read_text("utf-8"))
    layout["statements"] = [{"name": n, "pattern": p, "unit": u} for n, p, u in statements]
    LAYOUT.write_text(json.dumps(layout, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    schema = json.loads(SCHEMA.read_text("utf-8"))
    spec = schema["properties"]["statements"]
    spec["x-names"] = [n for n, _, _ in statements]
    spec["description"] = (
        "Figures the prose (说明) states, by name. x-names: the statement names rules of this "
        "template may use; the layout's statement patterns read them from the prose "
        "(bench/make_rules_shanghai_final.py writes both)."
    )
    SCHEMA.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{len(CLASSES)} 类, {len(statements)} statements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
