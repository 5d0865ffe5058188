# ruff: noqa: E501  (the rule text templates below are rule-file lines, long as rules are)
"""Write the generated parts of the 江苏 2019 部门预算 ruleset and template.

    python -m bench.make_rules_jiangsu

The 21 功能分类 类 that 公开01表 prints by name each get the same rules and the same prose
patterns, so they are written from one list here rather than by hand:

* ``rulesets/部门预算-江苏2019/功能分类类.rules``: per 类, 公开01表 against 公开05表 (scope);
* ``rulesets/部门预算-江苏2019/说明.rules``: the prose's figures against the tables, its
  shares and growth rates (one rule per direction of change), its internal sums;
* ``rulesets/部门预算-江苏2019/说明-功能类.rules``: per 类, the prose's “公共安全（类）支出
  16,593.12万元 … 与上年相比增加134.37万元，增长0.82%” against 公开01表 and itself;
* the ``statements`` of ``schemas/jiangsu-2019-budget.layout.json`` (the patterns that read
  the prose: :data:`STATEMENTS` plus three per 类) and their names in the schema's
  ``properties.statements.x-names``.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / "rulesets" / "部门预算-江苏2019"
LAYOUT = ROOT / "schemas" / "jiangsu-2019-budget.layout.json"
SCHEMA = ROOT / "schemas" / "jiangsu-2019-budget.schema.json"

# the 21 类 of 公开01表's 功能分类 block, as printed (without the ordinal), and their codes in
# 《2019年政府收支分类科目》 (the ordinal is not 类 − 200: 九、卫生健康支出 is 210)
CLASSES = [
    ("201", "一般公共服务支出"), ("202", "外交支出"), ("203", "国防支出"), ("204", "公共安全支出"),
    ("205", "教育支出"), ("206", "科学技术支出"), ("207", "文化旅游体育与传媒支出"),
    ("208", "社会保障和就业支出"), ("210", "卫生健康支出"), ("211", "节能环保支出"),
    ("212", "城乡社区支出"), ("213", "农林水支出"), ("214", "交通运输支出"),
    ("215", "资源勘探信息等支出"), ("216", "商业服务业等支出"), ("217", "金融支出"),
    ("220", "自然资源海洋气象等支出"), ("221", "住房保障支出"), ("222", "粮油物资储备支出"),
    ("224", "灾害防治及应急管理支出"), ("229", "其他支出"),
]  # fmt: skip

# The prose is matched after normalisation (docs/import.md): NFKC (full-width ， ： （ ）；
# become , : ( ) ;), no whitespace, no quotes (“三公”经费 → 三公经费); page by page, first
# match wins (so a figure printed across a page break is not read).
N = r"[0-9][0-9,]*(?:\.[0-9]+)?"
V = rf"(?P<v>{N})"
CHANGE = r"(?P<w>增加|减少)"
ANY_CHANGE = r"(?:增加|减少)"
RATE = r"(?P<w>增长|增加|增幅|下降|减少|降幅)"
USES = ("基本支出", "项目支出", "单位预留机动经费")
STAFF = r"\(一\)人员经费"
OFFICE = rf"\(一\)人员经费{N}万元。[^(]*\(二\)公用经费"
FINANCE_BASIC = r"(?<!一般公共预算)财政拨款基本支出预算"
GENERAL_BASIC = r"一般公共预算财政拨款基本支出预算"

STATEMENTS: list[tuple[str, str, str]] = [
    ("收支总体.收支总计", rf"收入、支出预算总计{V}万元", "万元"),
    ("收支总体.增减额", rf"收、支预算总计各{CHANGE}{V}万元", "万元"),
    ("收支总体.增长率", rf"收、支预算总计各{ANY_CHANGE}{N}万元,{RATE}{V}%", "%"),
    ("收入.收入总计", rf"\(一\)收入预算总计{V}万元", "万元"),
    ("收入.财政拨款", rf"财政拨款收入预算总计{V}万元", "万元"),
    ("收入.一般公共预算", rf"一般公共预算收入预算{V}万元", "万元"),
    ("收入.一般公共预算增减额", rf"一般公共预算收入预算{N}万元,与上年相比{CHANGE}{V}万元", "万元"),
    ("收入.一般公共预算增长率", rf"一般公共预算收入预算{N}万元,与上年相比{ANY_CHANGE}{N}万元,{RATE}{V}%", "%"),
    ("收入.政府性基金", rf"政府性基金收入预算{V}万元", "万元"),
    ("收入.财政专户管理资金", rf"财政专户管理资金收入预算总计{V}万元", "万元"),
    ("收入.其他资金", rf"其他资金收入预算总计{V}万元", "万元"),
    ("收入.上年结转资金", rf"上年结转资金预算数为{V}万元", "万元"),
    ("收入.本年收入合计", rf"本年收入预算合计{V}万元", "万元"),
    ("收入.一般公共预算占比", rf"本年收入预算合计{N}万元,其中:一般公共预算收入{N}万元,占{V}%", "%"),
    ("支出.支出总计", rf"\(二\)支出预算总计{V}万元", "万元"),
    ("支出.结转下年资金", rf"结转下年资金预算数为{V}万元", "万元"),
    *[(f"支出.{u}", rf"{u}预算数为{V}万元", "万元") for u in USES],
    *[(f"支出.{u}增减额", rf"{u}预算数为{N}万元。与上年相比{CHANGE}了?{V}万元", "万元") for u in USES],
    *[(f"支出.{u}增长率", rf"{u}预算数为{N}万元。与上年相比{ANY_CHANGE}了?{N}万元,{RATE}{V}%", "%") for u in USES],
    ("支出.本年支出合计", rf"本年支出预算合计{V}万元", "万元"),
    ("支出.基本支出占比", rf"本年支出预算合计{N}万元,其中:基本支出{N}万元,占{V}%", "%"),
    ("支出.项目支出占比", rf";项目支出{N}万元,占{V}%", "%"),
    ("支出.单位预留机动经费占比", rf"单位预留机动经费{N}万元,占{V}%", "%"),
    ("财政拨款.收支总计", rf"财政拨款收、支总预算{V}万元", "万元"),
    ("财政拨款.增减额", rf"财政拨款收、支总计各{CHANGE}{V}万元", "万元"),
    ("财政拨款.增长率", rf"财政拨款收、支总计各{ANY_CHANGE}{N}万元,{RATE}{V}%", "%"),
    ("财政拨款支出.合计", rf"财政拨款预算支出{V}万元", "万元"),
    ("财政拨款支出.占本年支出合计", rf"财政拨款预算支出{N}万元,占本年支出合计的{V}%", "%"),
    ("财政拨款支出.增减额", rf"财政拨款支出{CHANGE}{V}万元", "万元"),
    ("财政拨款支出.增长率", rf"财政拨款支出{ANY_CHANGE}{N}万元,{RATE}{V}%", "%"),
    ("财政拨款基本支出.合计", rf"{FINANCE_BASIC}{V}万元", "万元"),
    ("财政拨款基本支出.人员经费", rf"{FINANCE_BASIC}{N}万元[。,]其中:{STAFF}{V}万元", "万元"),
    ("财政拨款基本支出.公用经费", rf"{FINANCE_BASIC}{N}万元[。,]其中:{OFFICE}{V}万元", "万元"),
    ("一般公共预算支出.合计", rf"一般公共预算财政拨款支出预算{V}万元", "万元"),
    ("一般公共预算支出.增减额", rf"一般公共预算财政拨款支出预算{N}万元,与上年相比{CHANGE}{V}万元", "万元"),
    ("一般公共预算支出.增长率", rf"一般公共预算财政拨款支出预算{N}万元,与上年相比{ANY_CHANGE}{N}万元,{RATE}{V}%", "%"),
    ("一般公共预算基本支出.合计", rf"{GENERAL_BASIC}{V}万元", "万元"),
    ("一般公共预算基本支出.人员经费", rf"{GENERAL_BASIC}{N}万元[。,]其中:{STAFF}{V}万元", "万元"),
    ("一般公共预算基本支出.公用经费", rf"{GENERAL_BASIC}{N}万元[。,]其中:{OFFICE}{V}万元", "万元"),
    ("三公经费.因公出国(境)费", rf"因公出国\(境\)费支出{V}万元", "万元"),
    ("三公经费.因公出国(境)费占比", rf"因公出国\(境\)费支出{N}万元,占三公经费的{V}%", "%"),
    ("三公经费.公务用车购置及运行费", rf"公务用车购置及运行费支出{V}万元", "万元"),
    ("三公经费.公务用车购置及运行费占比", rf"公务用车购置及运行费支出{N}万元,占三公经费的{V}%", "%"),
    ("三公经费.公务接待费", rf"公务接待费支出{V}万元", "万元"),
    ("三公经费.公务接待费占比", rf"公务接待费支出{N}万元,占三公经费的{V}%", "%"),
    ("三公经费.公务用车购置费", rf"公务用车购置预算支出{V}万元", "万元"),
    ("三公经费.公务用车运行维护费", rf"公务用车运行维护费预算支出{V}万元", "万元"),
    ("会议费.合计", rf"会议费预算支出{V}万元", "万元"),
    ("培训费.合计", rf"培训费预算支出{V}万元", "万元"),
    ("机关运行经费.合计", rf"机关运行经费预算支出{V}万元", "万元"),
    ("机关运行经费.增减额", rf"机关运行经费预算支出{N}万元,与上年相比{CHANGE}{V}万元", "万元"),
    ("机关运行经费.增长率", rf"机关运行经费预算支出{N}万元,与上年相比{ANY_CHANGE}{N}万元,{RATE}{V}%", "%"),
    ("政府采购.合计", rf"政府采购支出预算总额{V}万元", "万元"),
    ("政府采购.货物", rf"购货物支出{V}万元", "万元"),
    ("政府采购.工程", rf"工程支出{V}万元", "万元"),
    ("政府采购.服务", rf"购买服务支出{V}万元", "万元"),
    ("国有资产.车辆合计", rf"共有车辆{V}辆", "辆"),
    ("国有资产.一般公务用车", rf"一般公务用车{V}辆", "辆"),
    ("国有资产.执法执勤用车", rf"执法执勤用车{V}辆", "辆"),
    ("国有资产.其他用车", rf"其他用车{V}辆", "辆"),
]  # fmt: skip


def class_statements() -> list[tuple[str, str, str]]:
    """Per 类: “1.公共安全(类)支出16,593.12万元 …与上年相比增加134.37万元,增长0.82%”
    (the （类） is not always printed; 3、 as well as 3.)."""
    out: list[tuple[str, str, str]] = []
    for _, name in CLASSES:
        head = rf"[0-9][.、]{name.removesuffix('支出')}(?:\(类\))?支出"
        gap = r"(?:(?!与上年相比).){0,300}?与上年相比"
        out.append((f"功能类.{name}", rf"{head}{V}万元", "万元"))
        out.append((f"功能类.{name}增减额", rf"{head}{N}万元{gap}{CHANGE}{V}万元", "万元"))
        out.append(
            (f"功能类.{name}增长率", rf"{head}{N}万元{gap}{ANY_CHANGE}{N}万元,{RATE}{V}%", "%")
        )
    return out


SCOPE_HEAD = """# 公开01表 功能分类块的每个类 与 公开05表（财政拨款）该类的项之和。
#
# 由 bench/make_rules_jiangsu.py 生成：改脚本，不改本文件。
#
# 口径：公开01表是全部资金，公开05表只有财政拨款，所以
#   公开05表该类 ≤ 公开01表该类（GL-类-1），且
#   公开01表该类 − 公开05表该类 ≤ 财政专户管理资金 + 其他资金 + 上年结转资金（GL-类-2）；
# 这三项为 0 时两者相等，差 1.00 也会报出。
# 公开01表按名称列类（序号不是类编码 − 200），这里按《2019年政府收支分类科目》对应编码。
# 文档没有该行时（别的年份改了类名）规则跳过；GN-40 另查公开05表的类都在 21 类之内。
"""

SCOPE_RULES = """
rule GL-{code}-1 "{name}（{code}）：公开05表不超过公开01表" tags 公开01, 公开05, 表间, 口径, 功能分类:
  description "财政拨款中 {code} 类的项之和不超过收支预算总表的“{name}”。"
  source "江苏省2019年部门预算公开表式 公开01、05表；《2019年政府收支分类科目》{code} {name}（K）"
  when exists 总表[{name}]
  sum(拨款功能表.金额 where 科目编码 startswith "{code}" and length(科目编码) = 7) <= 总表[{name}]

rule GL-{code}-2 "{name}（{code}）：公开01表 − 公开05表 ≤ 非财政拨款收入" tags 公开01, 公开05, 表间, 口径, 功能分类:
  description "收支预算总表“{name}”超出财政拨款的部分只能来自财政专户管理资金、其他资金和上年结转资金；三者为 0 时两表相等。"
  source "江苏省2019年部门预算公开表式 公开01、05表；口径：全部资金 = 财政拨款 + 非财政拨款（K）"
  when exists 总表[{name}]
  总表[{name}] - sum(拨款功能表.金额 where 科目编码 startswith "{code}" and length(科目编码) = 7) <= 总表[财政专户管理资金] + 总表[其他资金] + 总表[上年结转资金]
"""

PROSE_HEAD = """# 说明：收支预算总体情况中逐类写的支出（“1.公共安全（类）支出16,593.12万元……与上年相比
# 增加134.37万元，增长0.82%”）与公开01表和它自己。
#
# 由 bench/make_rules_jiangsu.py 生成：改脚本，不改本文件。
#
# 每个类六条规则，文字没有写这一类时跳过：
#   SMJ-类-1  所述金额 = 公开01表功能分类块该类（全部资金）
#   SMJ-类-2a…2d  所述增长率 = 增减额 ÷ 上年数，上年数 = 本年 − 增减额（“增加”：a、c）或
#             + 增减额（“减少”：b、d）；a、b 按 0.01 个百分点判断并允许一位小数（warning），
#             c、d 相差不超过 0.1 个百分点（error）
#   SMJ-类-3  增减额与增长率的方向词一致（增加↔增长/增幅，减少↔下降/降幅）（warning）
"""

PROSE_RULES = """
rule SMJ-{code}-1 "说明：{name} = 公开01表" tags 说明, 功能类, 公开01:
  description "说明所述“{name}”的金额等于收支预算总表功能分类块的“{name}”。"
  source "江苏省2019年部门预算公开 第三部分 一、收支预算总体情况说明（K）"
  when 说明.功能类.{name} is not null
  说明.功能类.{name} = 总表[{name}]

{rates}
rule SMJ-{code}-3 warning "说明：{name}增减额与增长率方向一致" tags 说明, 功能类, 增减, 措辞:
  description "“增加”的增长率写“增长/增加/增幅”，“减少”的写“下降/减少/降幅”。"
  source "说明文字的方向词与数值符号一致（domain.md）"
  when 说明.功能类.{name}增长率 is not null and 说明.功能类.{name}增减额 is not null
  (wording(说明.功能类.{name}增减额) = "增加" and wording(说明.功能类.{name}增长率) in ("增长", "增加", "增幅")) or (wording(说明.功能类.{name}增减额) = "减少" and wording(说明.功能类.{name}增长率) in ("下降", "减少", "降幅"))
"""


# --------------------------------------------------------------------------- 说明.rules

SRC = "江苏省2019年部门预算公开 第三部分 情况说明"

PROSE_MAIN_HEAD = """# 说明（第三部分 2019年度部门预算情况说明）所述的数与表，以及它们之间的关系。
#
# 由 bench/make_rules_jiangsu.py 生成：改脚本，不改本文件。
#
# 说明的数由模板的 layout 按句式读出（schemas/jiangsu-2019-budget.layout.json 的
# statements）；名称见 schema 的 x-names。文字没有写某个数（或句式没读到）时，该规则
# 跳过（when … is not null）。
#
# 金额与表相等（按 ±0.005 万元判断）。占比、增长率各两条：按 0.01 个百分点判断并允许四舍
# 五入到一位小数（文档两种都印：“占16.5%”“增长15.3%”）的一条是 warning（差一点多是舍入
# 或截位之误），相差超过 0.1 个百分点的一条是 error（…c）。增长率 = 增减额 ÷ 上年数，上年数
# = 本年 − 增减额（“增加”：…a、…c）或 + 增减额（“减少”：…b、…d），方向由说明自己的措辞决定。
# 逐类的支出在 说明-功能类.rules。
"""

# (id, statement, the table figure it states, title, the section of the prose)
AMOUNTS = [
    ("SM-01", "收支总体.收支总计", "总表[收入合计]", "收入、支出预算总计 = 公开01表收入合计", "一"),
    ("SM-02", "收入.收入总计", "总表[收入合计]", "收入预算总计 = 公开01表收入合计", "一（一）"),
    ("SM-03", "收入.财政拨款", "总表[财政拨款]", "财政拨款收入 = 公开01表财政拨款", "一（一）"),
    (
        "SM-04",
        "收入.一般公共预算",
        '总表["1.一般公共预算"]',
        "一般公共预算收入 = 公开01表一般公共预算",
        "一（一）",
    ),
    (
        "SM-05",
        "收入.政府性基金",
        '总表["2.政府性基金预算"]',
        "政府性基金收入 = 公开01表政府性基金预算",
        "一（一）",
    ),
    (
        "SM-06",
        "收入.财政专户管理资金",
        "总表[财政专户管理资金]",
        "财政专户管理资金收入 = 公开01表",
        "一（一）",
    ),
    ("SM-07", "收入.其他资金", "总表[其他资金]", "其他资金收入 = 公开01表", "一（一）"),
    ("SM-08", "收入.上年结转资金", "总表[上年结转资金]", "上年结转资金 = 公开01表", "一（一）"),
    (
        "SM-09",
        "收入.本年收入合计",
        "总表[当年收入小计]",
        "本年收入预算合计 = 公开01表当年收入小计",
        "二",
    ),
    ("SM-10", "支出.支出总计", "总表[支出合计]", "支出预算总计 = 公开01表支出合计", "一（二）"),
    (
        "SM-11",
        "支出.本年支出合计",
        "总表[当年支出小计]",
        "本年支出预算合计 = 公开01表当年支出小计",
        "三",
    ),
    ("SM-12", "支出.基本支出", "总表[基本支出]", "基本支出 = 公开01表基本支出", "一"),
    ("SM-13", "支出.项目支出", "总表[项目支出]", "项目支出 = 公开01表项目支出", "一"),
    (
        "SM-14",
        "支出.单位预留机动经费",
        "总表[单位预留机动经费]",
        "单位预留机动经费 = 公开01表",
        "一",
    ),
    ("SM-15", "支出.结转下年资金", "总表[结转下年资金]", "结转下年资金 = 公开01表", "一（二）"),
    (
        "SM-30",
        "财政拨款.收支总计",
        "拨款总表[收入合计]",
        "财政拨款收、支总预算 = 公开04表收入合计",
        "四",
    ),
    (
        "SM-31",
        "财政拨款支出.合计",
        "拨款总表[支出合计]",
        "财政拨款预算支出 = 公开04表支出合计",
        "五",
    ),
    ("SM-33", "财政拨款基本支出.合计", "拨款基本表[合计]", "财政拨款基本支出 = 公开06表合计", "六"),
    (
        "SM-34",
        "财政拨款基本支出.人员经费",
        'sum(拨款基本表.金额 where 科目编码 in ("301", "303"))',
        "财政拨款人员经费 = 公开06表 301 + 303",
        "六",
    ),
    (
        "SM-35",
        "财政拨款基本支出.公用经费",
        'sum(拨款基本表.金额 where 科目编码 in ("302", "310"))',
        "财政拨款公用经费 = 公开06表 302 + 310",
        "六",
    ),
    ("SM-36", "一般公共预算支出.合计", "一般功能表[合计]", "一般公共预算支出 = 公开07表合计", "七"),
    (
        "SM-37",
        "一般公共预算基本支出.合计",
        "一般基本表[合计]",
        "一般公共预算基本支出 = 公开08表合计",
        "八",
    ),
    (
        "SM-38",
        "一般公共预算基本支出.人员经费",
        'sum(一般基本表.金额 where 科目编码 in ("301", "303"))',
        "一般公共预算人员经费 = 公开08表 301 + 303",
        "八",
    ),
    (
        "SM-39",
        "一般公共预算基本支出.公用经费",
        'sum(一般基本表.金额 where 科目编码 in ("302", "310"))',
        "一般公共预算公用经费 = 公开08表 302 + 310",
        "八",
    ),
    (
        "SM-40",
        "三公经费.因公出国(境)费",
        "sum(三公表.三公经费.因公出国(境)费)",
        "因公出国（境）费 = 公开09表",
        "九",
    ),
    (
        "SM-41",
        "三公经费.公务用车购置及运行费",
        "sum(三公表.三公经费.公务用车购置及运行维护费.小计)",
        "公务用车购置及运行费 = 公开09表",
        "九",
    ),
    (
        "SM-42",
        "三公经费.公务接待费",
        "sum(三公表.三公经费.公务接待费)",
        "公务接待费 = 公开09表",
        "九",
    ),
    (
        "SM-43",
        "三公经费.公务用车购置费",
        "sum(三公表.三公经费.公务用车购置及运行维护费.公务用车购置费)",
        "公务用车购置费 = 公开09表",
        "九",
    ),
    (
        "SM-44",
        "三公经费.公务用车运行维护费",
        "sum(三公表.三公经费.公务用车购置及运行维护费.公务用车运行维护费)",
        "公务用车运行维护费 = 公开09表",
        "九",
    ),
    ("SM-48", "会议费.合计", "sum(三公表.会议费)", "会议费 = 公开09表", "九"),
    ("SM-49", "培训费.合计", "sum(三公表.培训费)", "培训费 = 公开09表", "九"),
    ("SM-50", "机关运行经费.合计", "运行表[合计]", "机关运行经费 = 公开11表合计", "十一"),
    (
        "SM-51",
        "政府采购.合计",
        'sum(采购表.总计 where 采购品目大类 = "合计")',
        "政府采购支出预算总额 = 公开12表合计",
        "十二",
    ),
    (
        "SM-52",
        "政府采购.货物",
        'sum(采购表.总计 where matches(采购品目大类, ".*货物.*") and 专项名称 is null)',
        "拟采购货物支出 = 公开12表货物",
        "十二",
    ),
    (
        "SM-53",
        "政府采购.工程",
        'sum(采购表.总计 where matches(采购品目大类, ".*工程.*") and 专项名称 is null)',
        "拟采购工程支出 = 公开12表工程",
        "十二",
    ),
    (
        "SM-54",
        "政府采购.服务",
        'sum(采购表.总计 where matches(采购品目大类, ".*服务.*") and 专项名称 is null)',
        "拟购买服务支出 = 公开12表服务",
        "十二",
    ),
]
# (id, statement, part, whole, title, section)
SHARES = [
    (
        "SM-20",
        "收入.一般公共预算占比",
        '总表["1.一般公共预算"]',
        "总表[当年收入小计]",
        "一般公共预算收入占比 = 一般公共预算 ÷ 本年收入",
        "二",
    ),
    (
        "SM-21",
        "支出.基本支出占比",
        "总表[基本支出]",
        "总表[当年支出小计]",
        "基本支出占比 = 基本支出 ÷ 本年支出",
        "三",
    ),
    (
        "SM-22",
        "支出.项目支出占比",
        "总表[项目支出]",
        "总表[当年支出小计]",
        "项目支出占比 = 项目支出 ÷ 本年支出",
        "三",
    ),
    (
        "SM-23",
        "支出.单位预留机动经费占比",
        "总表[单位预留机动经费]",
        "总表[当年支出小计]",
        "单位预留机动经费占比 = 预留 ÷ 本年支出",
        "三",
    ),
    (
        "SM-32",
        "财政拨款支出.占本年支出合计",
        "拨款总表[支出合计]",
        "总表[当年支出小计]",
        "财政拨款支出占本年支出合计的比例",
        "五",
    ),
    (
        "SM-45",
        "三公经费.因公出国(境)费占比",
        "sum(三公表.三公经费.因公出国(境)费)",
        "sum(三公表.三公经费.小计)",
        "因公出国（境）费占“三公”经费的比例",
        "九",
    ),
    (
        "SM-46",
        "三公经费.公务用车购置及运行费占比",
        "sum(三公表.三公经费.公务用车购置及运行维护费.小计)",
        "sum(三公表.三公经费.小计)",
        "公务用车购置及运行费占“三公”经费的比例",
        "九",
    ),
    (
        "SM-47",
        "三公经费.公务接待费占比",
        "sum(三公表.三公经费.公务接待费)",
        "sum(三公表.三公经费.小计)",
        "公务接待费占“三公”经费的比例",
        "九",
    ),
]
# (id, the shares of one whole, title, section): they add up to 100
SHARE_SUMS = [
    (
        "SM-24",
        ("支出.基本支出占比", "支出.项目支出占比", "支出.单位预留机动经费占比"),
        "基本、项目、预留占比之和为 100%",
        "三",
    ),
    (
        "SM-29",
        (
            "三公经费.因公出国(境)费占比",
            "三公经费.公务用车购置及运行费占比",
            "三公经费.公务接待费占比",
        ),
        "“三公”经费三项占比之和为 100%",
        "九",
    ),
]
# (number, this year's figure, 增减额, 增长率, what, section): rules SM-6n a/b, SM-7n
CHANGES = [
    (0, "收支总体.收支总计", "收支总体.增减额", "收支总体.增长率", "收、支预算总计", "一"),
    (
        1,
        "收入.一般公共预算",
        "收入.一般公共预算增减额",
        "收入.一般公共预算增长率",
        "一般公共预算收入",
        "一（一）",
    ),
    (2, "支出.基本支出", "支出.基本支出增减额", "支出.基本支出增长率", "基本支出", "一"),
    (3, "支出.项目支出", "支出.项目支出增减额", "支出.项目支出增长率", "项目支出", "一"),
    (
        4,
        "支出.单位预留机动经费",
        "支出.单位预留机动经费增减额",
        "支出.单位预留机动经费增长率",
        "单位预留机动经费",
        "一",
    ),
    (5, "财政拨款.收支总计", "财政拨款.增减额", "财政拨款.增长率", "财政拨款收、支总计", "四"),
    (6, "财政拨款支出.合计", "财政拨款支出.增减额", "财政拨款支出.增长率", "财政拨款支出", "五"),
    (
        7,
        "一般公共预算支出.合计",
        "一般公共预算支出.增减额",
        "一般公共预算支出.增长率",
        "一般公共预算支出",
        "七",
    ),
    (8, "机关运行经费.合计", "机关运行经费.增减额", "机关运行经费.增长率", "机关运行经费", "十一"),
]
# (id, severity, title, description, section, when, check)
OTHERS = [
    (
        "SM-55",
        "warning",
        "车辆总数 = 各类车辆之和",
        "说明所述车辆总数等于所列一般公务用车、执法执勤用车、其他用车之和（只列了一部分车型时请复核）。",
        "十三",
        "说明.国有资产.车辆合计 is not null and 说明.国有资产.一般公务用车 is not null and 说明.国有资产.执法执勤用车 is not null and 说明.国有资产.其他用车 is not null",
        "说明.国有资产.车辆合计 = 说明.国有资产.一般公务用车 + 说明.国有资产.执法执勤用车 + 说明.国有资产.其他用车",
    ),
    (
        "SM-56",
        "",
        "政府采购总额 = 货物 + 服务（未写工程）",
        "说明所述政府采购支出预算总额等于所列货物与服务之和（说明没有写工程）。",
        "十二",
        "说明.政府采购.合计 is not null and 说明.政府采购.货物 is not null and 说明.政府采购.服务 is not null and 说明.政府采购.工程 is null",
        "说明.政府采购.合计 = 说明.政府采购.货物 + 说明.政府采购.服务",
    ),
    (
        "SM-57",
        "",
        "政府采购总额 = 货物 + 工程 + 服务",
        "说明所述政府采购支出预算总额等于所列货物、工程、服务之和。",
        "十二",
        "说明.政府采购.合计 is not null and 说明.政府采购.货物 is not null and 说明.政府采购.服务 is not null and 说明.政府采购.工程 is not null",
        "说明.政府采购.合计 = 说明.政府采购.货物 + 说明.政府采购.工程 + 说明.政府采购.服务",
    ),
    (
        "SM-58",
        "warning",
        "车辆总数 = 一般公务用车（只列了一般公务用车）",
        "说明只列一般公务用车时，车辆总数就是一般公务用车数（还有其他车型没有列出时请复核）。",
        "十三",
        "说明.国有资产.车辆合计 is not null and 说明.国有资产.一般公务用车 is not null and 说明.国有资产.执法执勤用车 is null and 说明.国有资产.其他用车 is null",
        "说明.国有资产.车辆合计 = 说明.国有资产.一般公务用车",
    ),
    (
        "SM-80",
        "",
        "财政拨款收、支增减额一致",
        "财政拨款收支平衡：本年、上年的财政拨款收入都等于支出，所以收入与支出的增减额相同（数值与方向）。",
        "四、五",
        "说明.财政拨款.增减额 is not null and 说明.财政拨款支出.增减额 is not null",
        "说明.财政拨款.增减额 = 说明.财政拨款支出.增减额 and wording(说明.财政拨款.增减额) = wording(说明.财政拨款支出.增减额)",
    ),
    (
        "SM-81",
        "",
        "一般公共预算收、支增减额一致",
        "本模板的一般公共预算支出等于一般公共预算收入（GN-21），两年都如此，所以收入与支出的增减额相同（数值与方向）。",
        "一、七",
        "说明.收入.一般公共预算增减额 is not null and 说明.一般公共预算支出.增减额 is not null",
        "说明.收入.一般公共预算增减额 = 说明.一般公共预算支出.增减额 and wording(说明.收入.一般公共预算增减额) = wording(说明.一般公共预算支出.增减额)",
    ),
    (
        "SM-83",
        "",
        "财政拨款收、支增长率一致",
        "财政拨款收入与支出本年、上年都相等，增长率也相同。",
        "四、五",
        "说明.财政拨款.增长率 is not null and 说明.财政拨款支出.增长率 is not null",
        "说明.财政拨款.增长率 = 说明.财政拨款支出.增长率",
    ),
    (
        "SM-84",
        "",
        "一般公共预算收、支增长率一致",
        "一般公共预算收入与支出本年、上年都相等（GN-21），增长率也相同。",
        "一、七",
        "说明.收入.一般公共预算增长率 is not null and 说明.一般公共预算支出.增长率 is not null",
        "说明.收入.一般公共预算增长率 = 说明.一般公共预算支出.增长率",
    ),
]


def _rule(
    rid: str,
    severity: str,
    title: str,
    tags: str,
    description: str,
    source: str,
    checks: list[str],
    precision: bool = False,
) -> str:
    head = f'rule {rid}{" " + severity if severity else ""} "说明：{title}" tags {tags}:'
    lines = [head, f'  description "{description}"', f'  source "{source}"']
    if precision:
        lines.append("  precision 0.01")
    lines += [f"  {c}" for c in checks]
    return "\n" + "\n".join(lines) + "\n"


STRICT = "按 0.01 个百分点判断，允许四舍五入到两位或一位小数（文档两种都印）；差一点多是舍入或截位之误（warning）"
COARSE = "相差超过 0.1 个百分点就不是舍入能解释的（error）"


def _exact(stated: str, value: str) -> str:
    return f"{stated} = round({value}, 2) or {stated} = round({value}, 1)"


def _near(stated: str, value: str) -> str:
    return f"abs({stated} - {value}) <= 0.1"


def _percent_rules(
    rid: str,
    stated: str,
    value: str,
    when: list[str],
    title: str,
    what: str,
    source: str,
    tags: str,
) -> list[str]:
    """A share or rate two ways: printed as rounded (warning), and within 0.1 pp (error)."""
    return [
        _rule(rid, "warning", f"{title}（精确到 0.01）", tags, f"{what}{STRICT}。", source,
              [*when, _exact(stated, value)], True),
        _rule(rid + "c", "", f"{title}（±0.1 个百分点）", tags, f"{what}{COARSE}。", source,
              [*when, _near(stated, value)], True),
    ]  # fmt: skip


def rate_rules(prefix: str, a: str, d: str, r: str, what: str, source: str, tags: str) -> list[str]:
    """增长率 = 增减额 ÷ 上年数, 上年数 = 本年 ∓ 增减额 by the wording: a/b (增加/减少, exact,
    warning) and c/d (增加/减少, within 0.1 pp, error)."""
    stated = f"when {r} is not null and {d} is not null and {a} is not null"
    out: list[str] = []
    for exact, near, word, sign, prior in (
        ("a", "c", "增加", "-", "本年 − 增减额"),
        ("b", "d", "减少", "+", "本年 + 增减额"),
    ):
        when = [stated, f'when wording({d}) = "{word}"']
        value = f"pct({d}, {a} {sign} {d})"
        title = f"{what}增长率 = 增减额 ÷ 上年数（{word}"
        described = f"{word}时上年数 = {prior}；增长率"
        out.append(
            _rule(
                prefix + exact,
                "warning",
                title + "，精确到 0.01）",
                tags,
                f"{described}{STRICT}。",
                source,
                [*when, _exact(r, value)],
                True,
            )
        )
        out.append(_rule(prefix + near, "", title + "，±0.1 个百分点）", tags,
                         f"{described}{COARSE}。", source, [*when, _near(r, value)], True))  # fmt: skip
    return out


def words_rule(rid: str, d: str, r: str, what: str, tags: str) -> str:
    return _rule(
        rid,
        "warning",
        f"{what}增减额与增长率方向一致",
        tags,
        "“增加”的增长率写“增长/增加/增幅”，“减少”的写“下降/减少/降幅”。",
        "说明文字的方向词与数值符号一致（domain.md）",
        [
            f"when {r} is not null and {d} is not null",
            f'(wording({d}) = "增加" and wording({r}) in ("增长", "增加", "增幅")) or '
            f'(wording({d}) = "减少" and wording({r}) in ("下降", "减少", "降幅"))',
        ],
    )


USE_CHANGES = ("基本支出", "项目支出", "单位预留机动经费")


def use_sum_rule() -> str:
    """收、支预算总计的增减额 = 基本、项目、预留增减额的代数和 (SM-82): one alternative per
    combination of their directions, since the language has no sign of a wording."""
    total = "说明.收支总体.增减额"
    parts = [f"说明.支出.{u}增减额" for u in USE_CHANGES]
    alternatives = []
    for signs in itertools.product(("增加", "减少"), repeat=3):
        terms = " ".join(
            f"{'+' if s == '增加' else '-'} {p}" for s, p in zip(signs, parts, strict=True)
        ).removeprefix("+ ")
        guard = " and ".join(f'wording({p}) = "{s}"' for s, p in zip(signs, parts, strict=True))
        alternatives.append(
            f'({guard} and ((wording({total}) = "增加" and {total} = {terms}) or '
            f'(wording({total}) = "减少" and {total} = -({terms}))))'
        )
    return _rule(
        "SM-82",
        "",
        "收、支预算总计增减额 = 基本、项目、预留增减额的代数和",
        "说明, 增减",
        "总增减额（增加为正、减少为负）等于基本支出、项目支出、单位预留机动经费增减额的代数和"
        "（按各自的“增加/减少”取正负，八种方向组合逐一写出）；本年没有结转下年资金时成立。",
        f"{SRC} 一（K）",
        [
            f"when {total} is not null and " + " and ".join(f"{p} is not null" for p in parts),
            "when 总表[结转下年资金] = 0",
            " or ".join(alternatives),
        ],
    )


def prose_rules() -> str:
    out = [PROSE_MAIN_HEAD, "\n# " + "-" * 64 + " 所述金额 = 表\n"]
    for rid, name, table, title, part in AMOUNTS:
        what, where = title.split(" = ")
        out.append(_rule(rid, "", title, "说明, 金额", f"说明所述{what}等于{where}。",
                         f"{SRC} {part}（K）", [f"when 说明.{name} is not null", f"说明.{name} = {table}"]))  # fmt: skip
    out.append("\n# " + "-" * 64 + " 占比\n")
    for rid, name, part, whole, title, section in SHARES:
        out += _percent_rules(rid, f"说明.{name}", f"pct({part}, {whole})", [f"when 说明.{name} is not null"],
                              title, "占比 = 部分 ÷ 整体 × 100，", f"{SRC} {section}（K）", "说明, 占比")  # fmt: skip
    for rid, names, title, section in SHARE_SUMS:
        stated = [f"说明.{n}" for n in names]
        out.append(_rule(rid, "", title, "说明, 占比",
                         "同一整体的各部分占比之和为 100%；各占比可能只印一位小数，所以按每项 ±0.05 判断。",
                         f"{SRC} {section}（K）",
                         ["precision 0.1", "when " + " and ".join(f"{n} is not null" for n in stated),
                          " + ".join(stated) + " = 100"]))  # fmt: skip
    out.append("\n# " + "-" * 64 + " 增减额与增长率\n")
    for n, base, change, rate, what, section in CHANGES:
        a, d, r = f"说明.{base}", f"说明.{change}", f"说明.{rate}"
        source = f"{SRC} {section}：增长率 = 增减额 ÷ 上年数（K）"
        out += rate_rules(f"SM-6{n}", a, d, r, what, source, "说明, 增减, 占比")
        out.append(words_rule(f"SM-7{n}", d, r, what, "说明, 增减, 措辞"))
    out.append("\n# " + "-" * 64 + " 说明内部\n")
    for rid, severity, title, description, section, when, check in OTHERS:
        tags = "说明, 增减" if "增" in title else "说明, 金额"
        out.append(_rule(rid, severity, title, tags, description, f"{SRC} {section}（K）",
                         [f"when {when}", check]))  # fmt: skip
    out.append(use_sum_rule())
    return "".join(out)


def class_prose_rules(code: str, name: str) -> str:
    stated = f"说明.功能类.{name}"
    rates = rate_rules(
        f"SMJ-{code}-2",
        stated,
        f"{stated}增减额",
        f"{stated}增长率",
        name,
        "江苏省2019年部门预算公开 第三部分 一：增长率 = 增减额 ÷ 上年数（K）",
        "说明, 功能类, 增减, 占比",
    )
    return PROSE_RULES.format(code=code, name=name, rates="".join(rates).strip("\n") + "\n")


def _layout_text(statements: list[tuple[str, str, str]]) -> str:
    """The layout file with its ``statements`` rewritten, one statement a line (the rest of
    the file, hand-formatted, is kept as it is)."""
    text = LAYOUT.read_text("utf-8")
    head = text[: text.index('  "statements": ')]
    lines = [
        "    " + json.dumps({"name": n, "pattern": p, "unit": u}, ensure_ascii=False)
        for n, p, u in statements
    ]
    out = head + '  "statements": [\n' + ",\n".join(lines) + "\n  ]\n}\n"
    assert json.loads(out)["statements"][0]["name"] == statements[0][0]
    return out


def main() -> int:
    (RULESET / "功能分类类.rules").write_text(
        SCOPE_HEAD + "".join(SCOPE_RULES.format(code=c, name=n) for c, n in CLASSES),
        encoding="utf-8",
    )
    (RULESET / "说明-功能类.rules").write_text(
        PROSE_HEAD + "".join(class_prose_rules(c, n) for c, n in CLASSES),
        encoding="utf-8",
    )
    (RULESET / "说明.rules").write_text(prose_rules(), encoding="utf-8")
    statements = STATEMENTS + class_statements()
    LAYOUT.write_text(_layout_text(statements), encoding="utf-8")
    schema = json.loads(SCHEMA.read_text("utf-8"))
    spec = schema["properties"]["statements"]
    spec["x-names"] = [n for n, _, _ in statements]
    spec["description"] = (
        "Figures the prose (第三部分 情况说明) states, by name. x-names: the statement names "
        "rules of this template may use; the layout's statement patterns read them from the "
        "prose (bench/make_rules_jiangsu.py writes both)."
    )
    SCHEMA.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{len(CLASSES)} 类, {len(statements)} statements")
    return 0


if __name__ == "__main__":
    sys.exit(main())
