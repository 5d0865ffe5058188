"""Synthetic 部门预算 documents, consistent by construction.

``generate_document(seed, index)`` returns one document (a dict valid against
``schemas/budget-document.schema.json``) shaped like the seed
(``examples/000_afa05cab7739910b.json``: the 河南 2023 template, 12 tables and
the prose statements), deterministic for a given ``(seed, index)``.

How consistency is guaranteed. Everything is built bottom-up in integer cents
(0.01 万元) from two kinds of atoms, then every table and statement is derived
from the atoms by summation, so no identity can be off by even one cent:

* basic-spending items: (unit, 功能科目 项 code, 部门经济分类 code, 政府经济分类
  code) → cents, all funded by the current year's 一般公共预算 (财政拨款);
* projects: unit, 类型, 项 code, economic code pair, 21-digit code and the
  cents by fund: 一般公共预算 (of which a part may be 非财政拨款, so that
  "其中：财政拨款" < 小计), 政府性基金, 上年结转 (一般公共预算 carry-over; all
  carry-over is spent on projects), 财政专户管理资金, 事业收入, 其他收入.

What holds exactly (domain.md, "Identities reviewers check"):

* T1 收入 sources sum to 本年收入合计; + 上年结转结余 = 收入总计 = 支出总计 =
  本年支出合计 = Σ 功能类 rows (年终结转结余 is empty); "其中：财政拨款" ≤ its parent.
* T2 per row 总计 = 本年收入.合计 + 上年结转结余.合计, each 合计 = Σ its source
  columns; the 合计 and department rows = Σ unit rows; T2 合计 = T1.
* T3/T5/T9 per row 合计 = 基本 + 项目, 基本 = the four economic columns
  (人员经费 = 301 + 303, 公用经费 = 302 + 310 of the row's basic items),
  项目 = 其他运转类 + 特定目标类; 合计 and department rows = Σ 项 rows in every
  column. T3 = all money, T5 = current-year 一般公共预算, T9 = 政府性基金
  (empty, with "注：此表无数据" and ``empty: true``, when there is none).
  Each 项 code appears once per table (rows grouped by the unit that first uses it).
* T1 功能类 = Σ T3 rows of that 类; T1 本年支出合计 = T3 合计.
* T4 本年收入 = Σ funds, 收入合计 = 本年收入 + 上年结转 = 支出合计 = 本年支出;
  per 功能类 合计 = 一般公共预算.小计 + 政府性基金 (+ 国有资本经营预算, always
  empty); 一般公共预算 spending includes the carry-over; T4 一般公共预算 = T1's;
  T5 合计 = T4 一般公共预算 spending − T4 上年结转; T4 政府性基金 = T9 合计.
* T6 per row and in total 合计 = 人员经费 + 公用经费; T6 = T5 基本支出 (合计,
  人员经费 = 工资福利 + 对个人和家庭, 公用经费 = 商品和服务 + 资本性).
* T7 per row 总计 = Σ source columns; 合计/department rows = Σ rows; T7 totals
  = T1 (总计, 一般公共预算, 政府性基金, 上年结转结余, …); per code pair T7 ≥ T6
  (T7 adds the projects' money); the "三公" codes (30212, 30217, 30231, 31013)
  are used by basic spending only, so T8 items = T6 = T7 for those codes.
* T8 合计 = 因公出国(境)费 + 公务用车购置及运行费 + 公务接待费; 小计 = 购置 + 运行.
* T10 per project 合计 = Σ parts; 合计 and department rows = Σ projects; T10
  合计 = T3 项目支出; T3 其他运转类/特定目标类 = Σ T10 projects of that 类型;
  T10 财政拨款结转结余 = T1 上年结转结余.
* T11 部门预算总额 = T1 收入总计; 政府预算资金 + 财政专户管理资金 + 单位资金 =
  总额; 基本支出/项目支出 = T3.
* T12 per project amounts = T10 (资金总额 = 合计; 政府预算资金 = 一般公共预算 +
  政府性基金 + 结转; 单位资金 = T10 单位资金); per unit row = Σ its projects;
  department row = Σ all; unit codes ∈ T2's; 成本指标 指标值 states the project
  amount exactly ("≤80万元", "10万元", or in 元: "≤600000元").
* T2 per unit = that unit's basic spending + its projects.
* Statements: every figure equals its table cell; 占比 = pct rounded half-up to
  2 decimals; 机构运转经费 = 公用经费; 三公 items = T8; 政府采购 合计 = 货物 +
  工程 + 服务; 车辆合计 = Σ kinds; changes against a generated last-year figure:
  ``value`` is the printed magnitude, ``wording`` 增加/减少/持平 (rates:
  增长/下降/持平) agrees with the sign, and a zero change is 持平.

Amounts print as floats with at most 2 decimals; an empty (zero) cell is null.

CLI::

    python -m bench.generate --count N --seed S --out DIR [--ndjson FILE] [--jobs J]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import orjson

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "budget-document.schema.json"
TEMPLATE = "部门预算公开/河南2023"

# ---------------------------------------------------------------------------
# Reference data: classification codes and names (2023 政府收支分类科目).
# ---------------------------------------------------------------------------

# 功能分类 类: (code, T1 label, T4 label), as the template prints them
# (seed lines 181-210 and 264-294).
CLASSES: tuple[tuple[str, str, str], ...] = (
    ("201", "一、一般公共服务", "(一) 一般公共预算支出"),
    ("202", "二、外交", "(二) 外交支出"),
    ("203", "三、国防", "(三) 国防支出"),
    ("204", "四、公共安全", "(四) 公共安全支出"),
    ("205", "五、教育", "(五) 教育支出"),
    ("206", "六、科学技术", "(六) 科学技术支出"),
    ("207", "七、文化旅游体育与传媒", "(七) 文化体育旅游与传媒支出"),
    ("208", "八、社会保障和就业", "(八) 社会保障和就业支出"),
    ("209", "九、社会保险基金支出", "(九) 医疗卫生与计划生育支出"),
    ("210", "十、卫生健康", "(十) 卫生健康支出"),
    ("211", "十一、节能环保", "(十一) 节能环保支出"),
    ("212", "十二、城乡社区事务", "(十二) 城乡社区事务支出"),
    ("213", "十三、农林水事务", "(十三) 农林水事务支出"),
    ("214", "十四、交通运输", "(十四) 交通运输支出"),
    ("215", "十五、资源勘探信息等", "(十五) 资源勘探信息等支出"),
    ("216", "十六、商业服务业等", "(十六) 商业服务业等支出"),
    ("217", "十七、金融支出", "(十七) 金融支出"),
    ("219", "十九、援助其他地区支出", "(十九) 援助其他地区支出"),
    ("220", "二十、自然资源海洋气象等支出", "(二十) 自然资源海洋气象等支出"),
    ("221", "二十一、住房保障支出", "(二十一) 住房保障支出"),
    ("222", "二十二、粮油物资储备支出", "(二十二) 粮油物资储备支出"),
    ("223", "二十三、国有资本经营预算", "(二十三) 国有资本经营预算"),
    ("224", "二十四、灾害防治及应急管理", "(二十四) 灾害防治及应急管理"),
    ("227", "二十七、预备费", "(二十七) 预备费"),
    ("229", "二十九、其他支出", "(二十九) 其他支出"),
    ("230", "三十、转移性支出", "(三十) 转移性支出"),
    ("231", "三十一、债务还本支出", "(三十一) 债务还本支出"),
    ("232", "三十二、债务付息支出", "(三十二) 债务付息支出"),
    ("233", "三十三、债务发行费用支出", "(三十三) 债务发行费用支出"),
    ("234", "三十四、抗疫特别国债安排的支出", "(三十四) 抗疫特别国债安排的支出"),
)

# 功能分类 项 codes used by the generator.
FUNC_NAMES: dict[str, str] = {
    "2013699": "其他共产党事务支出",
    "2013801": "行政运行",
    "2013802": "一般行政管理事务",
    "2013804": "市场主体管理",
    "2013812": "药品事务",
    "2013816": "食品安全监管",
    "2013850": "事业运行",
    "2013899": "其他市场监督管理事务",
    "2040601": "行政运行",
    "2040602": "一般行政管理事务",
    "2040604": "基层司法业务",
    "2040605": "普法宣传",
    "2040607": "公共法律服务",
    "2040610": "社区矫正",
    "2040612": "法治建设",
    "2040650": "事业运行",
    "2050101": "行政运行",
    "2050102": "一般行政管理事务",
    "2050199": "其他教育管理事务支出",
    "2050201": "学前教育",
    "2050202": "小学教育",
    "2050203": "初中教育",
    "2050299": "其他普通教育支出",
    "2050302": "中等职业教育",
    "2050801": "教师进修",
    "2050999": "其他教育费附加安排的支出",
    "2070101": "行政运行",
    "2070102": "一般行政管理事务",
    "2070104": "图书馆",
    "2070109": "群众文化",
    "2070199": "其他文化和旅游支出",
    "2070204": "文物保护",
    "2070308": "群众体育",
    "2080101": "行政运行",
    "2080102": "一般行政管理事务",
    "2080104": "综合业务管理",
    "2080105": "劳动保障监察",
    "2080106": "就业管理事务",
    "2080109": "社会保险经办机构",
    "2080111": "公共就业服务和职业技能鉴定机构",
    "2080199": "其他人力资源和社会保障管理事务支出",
    "2080201": "行政运行",
    "2080202": "一般行政管理事务",
    "2080206": "社会组织管理",
    "2080207": "行政区划和地名管理",
    "2080208": "基层政权建设和社区治理",
    "2080299": "其他民政管理事务支出",
    "2080501": "行政单位离退休",
    "2080502": "事业单位离退休",
    "2080505": "机关事业单位基本养老保险缴费支出",
    "2080506": "机关事业单位职业年金缴费支出",
    "2080507": "对机关事业单位基本养老保险基金的补助",
    "2080701": "就业创业服务补贴",
    "2080702": "职业培训补贴",
    "2080705": "公益性岗位补贴",
    "2080799": "其他就业补助支出",
    "2081002": "老年福利",
    "2081006": "养老服务",
    "2081901": "城市最低生活保障金支出",
    "2081902": "农村最低生活保障金支出",
    "2082001": "临时救助支出",
    "2082002": "流浪乞讨人员救助支出",
    "2082602": "财政对城乡居民基本养老保险基金的补助",
    "2083001": "财政代缴城乡居民基本养老保险费支出",
    "2100101": "行政运行",
    "2100102": "一般行政管理事务",
    "2100199": "其他卫生健康管理事务支出",
    "2100399": "其他基层医疗卫生机构支出",
    "2100401": "疾病预防控制机构",
    "2100408": "基本公共卫生服务",
    "2100409": "重大公共卫生服务",
    "2100410": "突发公共卫生事件应急处置",
    "2100717": "计划生育服务",
    "2100799": "其他计划生育事务支出",
    "2101101": "行政单位医疗",
    "2101102": "事业单位医疗",
    "2120101": "行政运行",
    "2120102": "一般行政管理事务",
    "2120104": "城管执法",
    "2120199": "其他城乡社区管理事务支出",
    "2120399": "其他城乡社区公共设施支出",
    "2120501": "城乡社区环境卫生",
    "2120801": "征地和拆迁补偿支出",
    "2120803": "城市建设支出",
    "2130101": "行政运行",
    "2130102": "一般行政管理事务",
    "2130104": "事业运行",
    "2130122": "农业生产发展",
    "2130199": "其他农业农村支出",
    "2130504": "农村基础设施建设",
    "2130599": "其他巩固脱贫攻坚成果衔接乡村振兴支出",
    "2130705": "对村民委员会和村党支部的补助",
    "2130804": "创业担保贷款贴息及奖补",
    "2210201": "住房公积金",
    "2240101": "行政运行",
    "2240102": "一般行政管理事务",
    "2240106": "安全监管",
    "2240199": "其他应急管理支出",
    "2240204": "消防应急救援",
    "2296002": "用于社会福利的彩票公益金支出",
    "2296003": "用于体育事业的彩票公益金支出",
    "2296004": "用于教育事业的彩票公益金支出",
}

# 政府预算支出经济分类 款 names.
GOV_NAMES: dict[str, str] = {
    "50101": "工资奖金津补贴",
    "50102": "社会保障缴费",
    "50103": "住房公积金",
    "50199": "其他工资福利支出",
    "50201": "办公经费",
    "50202": "会议费",
    "50203": "培训费",
    "50204": "专用材料购置费",
    "50205": "委托业务费",
    "50206": "公务接待费",
    "50207": "因公出国（境）费用",
    "50208": "公务用车运行维护费",
    "50209": "维修（护）费",
    "50299": "其他商品和服务支出",
    "50303": "公务用车购置",
    "50306": "设备购置",
    "50399": "其他资本性支出",
    "50501": "工资福利支出",
    "50502": "商品和服务支出",
    "50601": "资本性支出（一）",
    "50799": "其他对企业补助",
    "50901": "社会福利和救助",
    "50905": "离退休费",
    "50999": "其他对个人和家庭补助",
    "51002": "对社会保险基金补助",
    "59999": "其他支出",
}

# 部门预算支出经济分类 款: code -> (name, 政府 code for 机关, 政府 code for 事业单位).
ECON: dict[str, tuple[str, str, str]] = {
    "30101": ("基本工资", "50101", "50501"),
    "30102": ("津贴补贴", "50101", "50501"),
    "30103": ("奖金", "50101", "50501"),
    "30107": ("绩效工资", "50101", "50501"),
    "30108": ("机关事业单位基本养老保险缴费", "50102", "50501"),
    "30109": ("职业年金缴费", "50102", "50501"),
    "30110": ("职工基本医疗保险缴费", "50102", "50501"),
    "30111": ("公务员医疗补助缴费", "50102", "50501"),
    "30112": ("其他社会保障缴费", "50102", "50501"),
    "30113": ("住房公积金", "50103", "50501"),
    "30199": ("其他工资福利支出", "50199", "50501"),
    "30201": ("办公费", "50201", "50502"),
    "30202": ("印刷费", "50201", "50502"),
    "30205": ("水费", "50201", "50502"),
    "30206": ("电费", "50201", "50502"),
    "30207": ("邮电费", "50201", "50502"),
    "30211": ("差旅费", "50201", "50502"),
    "30212": ("因公出国（境）费用", "50207", "50502"),
    "30213": ("维修（护）费", "50209", "50502"),
    "30215": ("会议费", "50202", "50502"),
    "30216": ("培训费", "50203", "50502"),
    "30217": ("公务接待费", "50206", "50502"),
    "30218": ("专用材料费", "50204", "50502"),
    "30226": ("劳务费", "50299", "50502"),
    "30227": ("委托业务费", "50205", "50502"),
    "30228": ("工会经费", "50201", "50502"),
    "30229": ("福利费", "50201", "50502"),
    "30231": ("公务用车运行维护费", "50208", "50502"),
    "30239": ("其他交通费用", "50201", "50502"),
    "30299": ("其他商品和服务支出", "50299", "50502"),
    "30301": ("离休费", "50905", "50905"),
    "30302": ("退休费", "50905", "50905"),
    "30305": ("生活补助", "50901", "50901"),
    "30307": ("医疗费补助", "50901", "50901"),
    "30309": ("奖励金", "50901", "50901"),
    "30399": ("其他对个人和家庭的补助", "50999", "50999"),
    "31002": ("办公设备购置", "50306", "50601"),
    "31003": ("专用设备购置", "50306", "50601"),
    "31007": ("信息网络及软件购置更新", "50306", "50601"),
    "31013": ("公务用车购置", "50303", "50601"),
    "31099": ("其他资本性支出", "50399", "50601"),
    "31299": ("其他对企业补助", "50799", "50799"),
    "31302": ("对社会保险基金补助", "51002", "51002"),
    "39999": ("其他支出", "59999", "59999"),
}

# "三公" codes: used by basic spending only.
SANGONG = {"30212": "出国", "30217": "接待", "30231": "运行", "31013": "购置"}

# Basic-spending items per unit: (code, weight of the unit's personnel base, probability).
_PERSONNEL_JG = (
    ("30101", 0.22, 1.0),
    ("30102", 0.20, 1.0),
    ("30103", 0.10, 0.9),
    ("30108", 0.10, 1.0),
    ("30109", 0.04, 0.8),
    ("30110", 0.05, 1.0),
    ("30111", 0.01, 0.3),
    ("30112", 0.006, 0.8),
    ("30113", 0.08, 1.0),
    ("30199", 0.02, 0.3),
)
_PERSONNEL_SY = (
    ("30101", 0.18, 1.0),
    ("30102", 0.08, 0.9),
    ("30103", 0.05, 0.6),
    ("30107", 0.25, 1.0),
    ("30108", 0.10, 1.0),
    ("30109", 0.04, 0.8),
    ("30110", 0.05, 1.0),
    ("30112", 0.006, 0.8),
    ("30113", 0.08, 1.0),
    ("30199", 0.02, 0.2),
)
_OTHER_BASIC = (
    ("30301", 0.01, 0.1),
    ("30302", 0.06, 0.6),
    ("30305", 0.005, 0.5),
    ("30307", 0.01, 0.6),
    ("30309", 0.002, 0.4),
    ("30399", 0.003, 0.2),
    ("30201", 0.012, 1.0),
    ("30202", 0.002, 0.4),
    ("30205", 0.002, 0.4),
    ("30206", 0.004, 0.5),
    ("30207", 0.002, 0.7),
    ("30211", 0.004, 0.6),
    ("30213", 0.004, 0.4),
    ("30215", 0.001, 0.2),
    ("30216", 0.002, 0.3),
    ("30217", 0.002, 0.35),
    ("30212", 0.004, 0.04),
    ("30228", 0.01, 0.9),
    ("30229", 0.008, 0.9),
    ("30231", 0.01, 0.5),
    ("30239", 0.015, 0.7),
    ("30299", 0.006, 0.7),
    ("31002", 0.006, 0.2),
    ("31007", 0.004, 0.1),
)

# Basic items booked under a shared 项 code (when a document splits them out).
_SPLIT_FUNC = {
    "30108": ("2080505", "2080505"),
    "30109": ("2080506", "2080506"),
    "30110": ("2101101", "2101102"),
    "30111": ("2101101", "2101102"),
    "30113": ("2210201", "2210201"),
    "30301": ("2080501", "2080502"),
    "30302": ("2080501", "2080502"),
}

_PROJECT_ECON = (  # weighted by repetition
    *("30201", "30201", "30201", "30299", "30299", "30299", "30227", "30227", "30226"),
    *("30211", "30216", "30218", "30213", "31002", "31007", "30305", "30309", "30399"),
)

# 项 codes whose projects are large (pension-fund subsidies and the like).
_BIG = {"2080507", "2082602", "2081901", "2081902", "2080506", "2130504", "2120803", "2120801"}


@dataclass(frozen=True)
class Profile:
    """A kind of department: its codes, units and projects."""

    dept: str
    admin_run: str
    admin_general: str
    subunits: tuple[tuple[str, str], ...]
    projects: tuple[tuple[str, str, str | None], ...]
    gf_projects: tuple[tuple[str, str], ...] = ()
    goals: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()


PROFILES: tuple[Profile, ...] = (
    Profile(
        "人力资源和社会保障局",
        "2080101",
        "2080102",
        (
            ("劳动保障监察大队", "2080105"),
            ("就业创业服务中心", "2080111"),
            ("社会保险中心", "2080109"),
            ("劳动人事争议仲裁院", "2080199"),
            ("人才交流服务中心", "2080106"),
        ),
        (
            ("2080104", "综合业务管理经费", None),
            ("2080106", "就业管理事务经费", None),
            ("2080506", "机关事业单位职业年金财政补助", "30109"),
            ("2080507", "机关事业单位养老保险基金预算缺口财政资金", "31302"),
            ("2082602", "城乡居民养老保险基金财政补贴资金", "31302"),
            ("2083001", "替困难群众交城乡居保", "30399"),
            ("2080701", "就业创业服务补贴", "30399"),
            ("2080702", "职业技能培训补贴", "30399"),
            ("2080705", "公益性岗位补贴", "30399"),
            ("2080799", "区配套就业补助资金", "30399"),
            ("2130804", "创业担保贷款贴息", "31299"),
            ("2080199", "事业招聘专项经费", None),
            ("2080109", "社会保险中心专项经费", None),
            ("2080199", "重点企业招工补助资金", "31299"),
        ),
        (),
        ("稳步推进就业创业工作", "进一步完善社会保障体系", "扎实做好人事人才工作"),
        ("落实就业创业政策", "完善社会保障体系", "全面开展职业技能培训", "构建和谐劳动关系"),
    ),
    Profile(
        "民政局",
        "2080201",
        "2080202",
        (
            ("社会福利中心", "2081002"),
            ("救助管理站", "2082002"),
            ("殡葬管理所", "2080299"),
        ),
        (
            ("2080208", "社区工作经费", None),
            ("2080206", "社会组织管理工作经费", None),
            ("2080207", "地名普查经费", None),
            ("2081901", "城市最低生活保障资金", "30305"),
            ("2081902", "农村最低生活保障资金", "30305"),
            ("2082001", "临时救助资金", "30305"),
            ("2081006", "居家养老服务补贴", "30399"),
            ("2081002", "高龄津贴", "30305"),
        ),
        (("2296002", "福利彩票公益金项目"), ("2296002", "养老服务彩票公益金项目")),
        ("兜牢基本民生保障底线", "推进养老服务体系建设", "加强基层社会治理"),
        ("社会救助", "养老服务", "社区治理", "社会组织管理"),
    ),
    Profile(
        "卫生健康委员会",
        "2100101",
        "2100102",
        (
            ("疾病预防控制中心", "2100401"),
            ("卫生健康监督所", "2100199"),
            ("社区卫生服务中心", "2100399"),
        ),
        (
            ("2100408", "基本公共卫生服务项目资金", None),
            ("2100409", "重大公共卫生服务项目资金", None),
            ("2100410", "突发公共卫生事件应急处置经费", "30218"),
            ("2100717", "计划生育服务经费", None),
            ("2100799", "计划生育家庭奖励扶助资金", "30305"),
        ),
        (),
        ("提升公共卫生服务能力", "做好疾病预防控制", "落实计划生育奖励扶助政策"),
        ("基本公共卫生服务", "疾病预防控制", "卫生监督执法", "计划生育服务"),
    ),
    Profile(
        "教育局",
        "2050101",
        "2050102",
        (
            ("第一实验小学", "2050202"),
            ("第二初级中学", "2050203"),
            ("中心幼儿园", "2050201"),
            ("教师进修学校", "2050801"),
            ("职业中等专业学校", "2050302"),
        ),
        (
            ("2050299", "校园安全保障经费", None),
            ("2050202", "义务教育公用经费保障资金", None),
            ("2050203", "初中教育质量提升经费", None),
            ("2050201", "学前教育发展资金", None),
            ("2050801", "教师培训经费", "30216"),
            ("2050999", "教育费附加项目", None),
            ("2050199", "教育管理专项经费", None),
        ),
        (("2296004", "教育彩票公益金项目"),),
        ("推进义务教育均衡发展", "提升教育教学质量", "加强教师队伍建设"),
        ("义务教育保障", "学前教育发展", "教师队伍建设", "校园安全"),
    ),
    Profile(
        "农业农村局",
        "2130101",
        "2130102",
        (
            ("农业技术推广中心", "2130104"),
            ("农业综合行政执法大队", "2130199"),
        ),
        (
            ("2130122", "农业生产发展资金", None),
            ("2130199", "农业农村专项工作经费", None),
            ("2130504", "农村基础设施建设资金", "31099"),
            ("2130599", "巩固脱贫攻坚成果衔接资金", "30399"),
            ("2130705", "村级组织运转经费", "30399"),
        ),
        (),
        ("巩固拓展脱贫攻坚成果", "推进乡村振兴", "保障粮食安全"),
        ("乡村振兴", "农业生产发展", "农村人居环境整治"),
    ),
    Profile(
        "司法局",
        "2040601",
        "2040602",
        (
            ("公证处", "2040650"),
            ("公共法律服务中心", "2040607"),
        ),
        (
            ("2040604", "司法所工作经费", None),
            ("2040605", "普法宣传经费", "30202"),
            ("2040610", "社区矫正经费", None),
            ("2040612", "法治政府建设经费", None),
            ("2040607", "法律援助经费", "30227"),
        ),
        (),
        ("推进法治政府建设", "加强公共法律服务", "做好社区矫正"),
        ("普法宣传", "法律援助", "社区矫正", "人民调解"),
    ),
    Profile(
        "文化广电和旅游局",
        "2070101",
        "2070102",
        (
            ("图书馆", "2070104"),
            ("文化馆", "2070109"),
            ("文物保护管理所", "2070204"),
        ),
        (
            ("2070109", "群众文化活动经费", None),
            ("2070199", "文化旅游宣传推广经费", None),
            ("2070204", "文物保护修缮经费", "31099"),
            ("2070308", "全民健身活动经费", None),
            ("2070104", "公共图书馆免费开放资金", None),
        ),
        (("2296003", "体育彩票公益金项目"),),
        ("繁荣群众文化", "加强文物保护", "推动文旅融合发展"),
        ("群众文化活动", "文物保护", "全民健身", "旅游推广"),
    ),
    Profile(
        "城市管理局",
        "2120101",
        "2120102",
        (
            ("环境卫生管理站", "2120501"),
            ("城市管理综合执法大队", "2120104"),
            ("市政设施维护中心", "2120399"),
        ),
        (
            ("2120501", "城市道路清扫保洁经费", "30227"),
            ("2120399", "市政设施维护经费", "30213"),
            ("2120104", "城管执法专项经费", None),
            ("2120199", "城市精细化管理经费", None),
        ),
        (("2120803", "城市基础设施建设资金"), ("2120801", "征地拆迁补偿资金")),
        ("提升城市精细化管理水平", "改善市容环境", "保障市政设施运行"),
        ("环境卫生", "市容秩序", "市政设施维护"),
    ),
    Profile(
        "应急管理局",
        "2240101",
        "2240102",
        (("应急救援保障中心", "2240106"),),
        (
            ("2240102", "应急管理工作经费", None),
            ("2240106", "安全生产监管执法经费", None),
            ("2240199", "应急物资储备经费", "30218"),
            ("2240204", "消防应急救援经费", "31003"),
        ),
        (),
        ("防范化解重大安全风险", "提升应急救援能力"),
        ("安全生产监管", "应急救援", "防灾减灾"),
    ),
    Profile(
        "市场监督管理局",
        "2013801",
        "2013802",
        (
            ("市场监管综合行政执法大队", "2013899"),
            ("食品药品检验检测中心", "2013850"),
        ),
        (
            ("2013804", "市场主体登记管理经费", None),
            ("2013816", "食品安全监管经费", "30218"),
            ("2013812", "药品监管经费", None),
            ("2013899", "市场监管专项工作经费", None),
        ),
        (),
        ("优化营商环境", "守住食品药品安全底线"),
        ("市场主体登记", "食品安全监管", "药品监管", "质量监督"),
    ),
)

# (行政区划 code, name used in department names, meta.region).
REGIONS: tuple[tuple[str, str, str], ...] = (
    ("410702", "新乡市红旗区", "河南省新乡市红旗区"),
    ("410703", "新乡市卫滨区", "河南省新乡市卫滨区"),
    ("410704", "新乡市凤泉区", "河南省新乡市凤泉区"),
    ("410711", "新乡市牧野区", "河南省新乡市牧野区"),
    ("410721", "新乡县", "河南省新乡市新乡县"),
    ("410724", "获嘉县", "河南省新乡市获嘉县"),
    ("410725", "原阳县", "河南省新乡市原阳县"),
    ("410726", "延津县", "河南省新乡市延津县"),
    ("410727", "封丘县", "河南省新乡市封丘县"),
    ("410781", "卫辉市", "河南省新乡市卫辉市"),
    ("410782", "辉县市", "河南省新乡市辉县市"),
    ("410102", "郑州市中原区", "河南省郑州市中原区"),
    ("410103", "郑州市二七区", "河南省郑州市二七区"),
    ("410105", "郑州市金水区", "河南省郑州市金水区"),
    ("410302", "洛阳市老城区", "河南省洛阳市老城区"),
    ("410305", "洛阳市涧西区", "河南省洛阳市涧西区"),
    ("410502", "安阳市文峰区", "河南省安阳市文峰区"),
    ("410802", "焦作市解放区", "河南省焦作市解放区"),
    ("411002", "许昌市魏都区", "河南省许昌市魏都区"),
    ("411102", "漯河市源汇区", "河南省漯河市源汇区"),
)

# T11's 投入管理指标 block: the template's own text (seed lines 486-511).
T11_INPUT = (
    (
        "工作目标管理",
        "年度履职目标相关性",
        "相关",
        "1. 年度履职目标是否符合国家、省委省政府战略部署和发展规划，"
        "与国家、省宏观政策、行业政策一致；"
        "2. 年度履职目标是否与部门职责、工作规划和重点工作相关；3. 确定的预算项目是否合理，"
        "是否与工作目标密切相关；4. 工作任务和项目预算安排是否合理。",
    ),
    (
        "工作目标管理",
        "工作任务科学性",
        "科学",
        "1. 工作任务是否有明确的绩效目标，"
        "绩效目标是否与部门年度履职目标一致，是否能体现工作任务的产出和效果；"
        "2. 工作任务对应的预算项目是否有明确的绩效目标，"
        "绩效目标是否与部门职责目标、工作任务目标一致；"
        "是否能体现预算项目的产出和效果",
    ),
    (
        "工作目标管理",
        "绩效指标合理性",
        "合理",
        "1. 工作任务、预算项目绩效指标设置是否准确反映部门绩效完成情况；"
        "2. 工作任务、预算项目绩效指标是否清晰、"
        "细化、可评价、可衡量；3. 工作任务、预算项目绩效指标的评价标准是否清晰、可衡量；"
        "4. 是否与部门年度的任务数或计划数相对应。",
    ),
    (
        "工作目标管理",
        "预算编制完整性",
        "完整",
        "1. 部门所有收入是否全部纳入部门预算；"
        "2. 部门支出预算是否统筹各类资金来源，全部纳入部门预算管理。",
    ),
    (
        "工作目标管理",
        "专项资金细化率",
        "≥95%",
        "专项资金细化率=（已细化到具体市县和承担单位的资金数/部门参与分配资金总数）×100%。",
    ),
    (
        "预算和财务管理",
        "预算执行率",
        "≥95%",
        "预算执行率=(预算完成数/预算数)×100%。 预算完成数指部门实际执行的预算数; "
        "预算数指财政部门批复的本年度部门的(调整)预算数。",
    ),
    (
        "预算和财务管理",
        "预算调整率",
        "≤10%",
        "预算调整率=(预算调整数-年初预算数)/年初预算数×100%。"
        "预算调整数: 部门在本年度内涉及预算的增加、"
        "追减或结构调整的资金总和(因落实国家政策、发生不可抗力、"
        "上级部门或本级党委政府临时交办而产生的调整除外)。",
    ),
    (
        "预算和财务管理",
        "结转结余率",
        "≤5%",
        "结转结余率=结转结余总额/预算数×100%。 结转结余总额是指部门本年度的结转结余资金之和。"
        "预算数是指财政部门批复的本年度部门的(调整)预算数。",
    ),
    (
        "预算和财务管理",
        "“三公经费”控制率",
        "≤100%",
        "“三公经费”控制率=本年度“三公经费”实际支出数/“三公经费”预算数×100%",
    ),
    (
        "预算和财务管理",
        "政府采购执行率",
        "100%",
        "政府采购执行率=(实际政府采购金额/政府采购预算数)×100%。政府采购预算: "
        "采购机关根据事业发展规划和行政任务编制的、并经过规定程序批准的年度政府采购计划。",
    ),
    (
        "预算和财务管理",
        "决算真实性",
        "真实",
        "反映本部门决算工作情况。决算编制数据是否账表一致, 即决算报表数据与会计账簿数据是否一致。",
    ),
    (
        "预算和财务管理",
        "资金使用合规性",
        "合规",
        "部门(单位)是否按照相关法律法规以及资金管理办法规定的用途使用预算资金, "
        "用以反映和考核部门(单位)预算资金的规范运行情况。",
    ),
    (
        "预算和财务管理",
        "管理制度健全性",
        "健全",
        "部门(单位)为加强预算管理, 规范财务行为而制定的管理制度是否健全完整。",
    ),
    (
        "预算和财务管理",
        "预决算信息公开性",
        "公开",
        "部门(单位)是否按照政府信息公开有关规定公开部门预算、"
        "执行、决算、监督、绩效等相关预决算信息。",
    ),
    (
        "预算和财务管理",
        "资产管理规范性",
        "规范",
        "部门(单位)的资产配置、使用是否合规, 处置是否规范, 收入是否及时足额上缴。",
    ),
    (
        "绩效管理",
        "绩效监控完成率",
        "100%",
        "部门（单位）按要求实施绩效监控的项目数量占应实施绩效监控项目总数的比重。",
    ),
    (
        "绩效管理",
        "绩效自评完成率",
        "100%",
        "部门（单位）按要求实施绩效自评的项目数量占应实施绩效自评项目总数的比重。",
    ),
    (
        "绩效管理",
        "评价结果应用率",
        "100%",
        "绩效监控、单位自评、部门绩效评价、财政重点绩效评价结果应用情况。",
    ),
)

_OUTPUT_INDICATORS = (
    ("{t}任务完成率", ("100%", "≥95%", "≥98%")),
    ("{t}覆盖率", ("≥90%", "≥95%", "100%")),
    ("{t}按时完成率", ("100%", "≥95%")),
    ("{t}工作开展次数", ("≥4次", "≥6次", "≥12次")),
    ("{t}服务人数", ("≥500人", "≥1000人", "≥3000人")),
)
_EFFECT_INDICATORS = (
    ("{t}社会效益", ("显著", "明显", "有效提升")),
    ("{t}可持续影响", ("长期", "持续")),
)
_PROJECT_OUTPUT = (
    ("项目实施时间", ("{y}年1-12月", "{y}年12月31日前", "{y}年每月")),
    ("资金足额发放率", ("100%", "≥98%", "≥95%")),
    ("项目完成率", ("100%", "≥95%")),
    ("服务对象人数", ("≥50人", "≥200人", "≥1000人", "64人")),
    ("工作开展次数", ("≥2次", "≥6次", "≥12次")),
    ("资金支付时间", ("{y}年12月31日前", "{y}年1季度", "{y}年")),
    ("验收合格率", ("100%", "≥98%")),
)
_PROJECT_EFFECT = (
    ("维护社会稳定", ("效果显著", "显著", "明显")),
    ("提升公共服务水平", ("有效提升", "显著")),
    ("保障工作顺利开展", ("保障", "有效保障")),
    ("促进经济社会发展", ("显著", "明显")),
)
_PROJECT_SATISFACTION = (
    "服务对象满意度",
    "群众满意度",
    "社会公众满意度",
    "受益对象满意度",
    "职工满意度",
)
_SATISFACTION_VALUES = ("≥90%", "≥95%", "≥98%", "98%", "≥85%")

# T2 / T7 / T10 source columns, with the fund each holds.
_T2_CURRENT = (
    ("本年收入.一般公共预算.小计", "gpb"),
    ("本年收入.政府性基金", "gf"),
    ("本年收入.国有资本经营预算", None),
    ("本年收入.财政专户管理资金收入", "zhuanhu"),
    ("本年收入.事业收入", "shiye"),
    ("本年收入.事业单位经营收入", None),
    ("本年收入.上级补助收入", None),
    ("本年收入.附属单位上缴收入", None),
    ("本年收入.其他收入", "other"),
)
_T7_SOURCES = (
    ("一般公共预算.小计", "gpb"),
    ("政府性基金", "gf"),
    ("国有资本经营预算", None),
    ("上年结转结余", "carry"),
    ("财政专户管理资金收入", "zhuanhu"),
    ("事业收入", "shiye"),
    ("上级补助收入", None),
    ("附属单位上缴收入", None),
    ("事业单位经营收入", None),
    ("其他收入", "other"),
)
FUNDS = ("gpb", "gf", "carry", "zhuanhu", "shiye", "other")


# ---------------------------------------------------------------------------
# The schema's column lists (rows carry every column, null when empty).
# ---------------------------------------------------------------------------


@cache
def table_columns() -> dict[str, tuple[str, ...]]:
    """Each table role's columns, in schema order."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    tables = schema["properties"]["tables"]["properties"]
    return {
        role: tuple(spec["properties"]["rows"]["items"]["properties"])
        for role, spec in tables.items()
    }


def _row(role: str, **cells: Any) -> dict[str, Any]:
    row = dict.fromkeys(table_columns()[role])
    for key, value in cells.items():
        row[key.replace("__", ".")] = value
    return row


def _amt(cents: int) -> float | None:
    """A table cell: 万元 with 2 decimals, null when zero."""
    return cents / 100 if cents else None


def _val(cents: int) -> float:
    """A statement value (zero stays 0)."""
    return cents / 100


def _fmt(cents: int) -> str:
    return f"{cents / 100:.2f}"


def _short(cents: int) -> str:
    """An amount as indicator text prints it: 10, 0.86, 181.88 (no trailing zeros)."""
    text = f"{cents / 100:.2f}".rstrip("0").rstrip(".")
    return text


def pct(part: int, whole: int) -> float:
    """``part / whole`` as a percentage rounded half-up to 2 decimals."""
    basis = (2 * part * 10000 + whole) // (2 * whole)  # hundredths of a percent
    return basis / 100


# ---------------------------------------------------------------------------
# The model: units, basic items, projects.
# ---------------------------------------------------------------------------


@dataclass
class Unit:
    code: str
    name: str
    kind: str  # 机关 | 事业
    run_code: str


@dataclass
class Item:
    unit: int
    func: str
    econ: str
    gov: str
    cents: int


@dataclass
class Project:
    unit: int
    name: str
    kind: str  # 其他运转类 | 特定目标类
    func: str
    econ: str
    gov: str
    code: str
    funds: dict[str, int] = field(default_factory=dict)
    nontax: int = 0  # the part of gpb that is not 财政拨款

    @property
    def total(self) -> int:
        return sum(self.funds.values())

    def fund(self, name: str) -> int:
        return self.funds.get(name, 0)


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return float(low * (high / low) ** rng.random())


def _cents(value_wan: float) -> int:
    return max(1, round(value_wan * 100))


class _Builder:
    def __init__(self, seed: int, index: int) -> None:
        self.seed = seed
        self.index = index
        self.rng = random.Random(seed * 1_000_003 + index)
        rng = self.rng
        self.profile = rng.choice(PROFILES)
        self.region_code, self.region_short, self.region = rng.choice(REGIONS)
        self.year = rng.choice((2021, 2022, 2023, 2023, 2024))
        self.dept_code = f"{rng.randint(1, 199):03d}"
        self.dept_name = f"{self.region_short}{self.profile.dept}"
        self.split = rng.random() < 0.6
        self.units = self._units()
        self.split = self.split or len(self.units) == 1
        self.items = self._items()
        self.projects = self._projects()
        if len(self.code_order()) < 5:  # too few 项 codes: book pensions etc. separately
            self.split = True
            for item in self.items:
                if item.econ in _SPLIT_FUNC:
                    item.func = _SPLIT_FUNC[item.econ][self.units[item.unit].kind != "机关"]

    # -- structure ---------------------------------------------------------

    def _units(self) -> list[Unit]:
        rng, p = self.rng, self.profile
        n = rng.choices((1, 2, 3, 4, 5, 6), weights=(20, 25, 25, 15, 10, 5))[0]
        n = min(n, len(p.subunits) + 1)
        units = [Unit(f"{self.dept_code}001", f"{self.dept_name}本级", "机关", p.admin_run)]
        for i, (sub, run) in enumerate(rng.sample(p.subunits, n - 1), start=2):
            kind = "机关" if rng.random() < 0.15 else "事业"
            units.append(Unit(f"{self.dept_code}{i:03d}", f"{self.region_short}{sub}", kind, run))
        return units

    def _items(self) -> list[Item]:
        rng = self.rng
        items: list[Item] = []
        for u, unit in enumerate(self.units):
            staff = rng.randint(10, 60) if u == 0 else rng.randint(4, 45)
            base = staff * rng.uniform(9.0, 16.0)  # 万元 of personnel cost
            personnel = _PERSONNEL_JG if unit.kind == "机关" else _PERSONNEL_SY
            for code, weight, prob in personnel:
                if rng.random() < prob:
                    items.append(self._item(u, code, base * weight * rng.uniform(0.75, 1.25)))
            for code, weight, prob in _OTHER_BASIC:
                if rng.random() >= (prob if u == 0 or prob == 1.0 else prob * 0.4):
                    continue
                if code == "30231" and u > 0 and rng.random() < 0.5:
                    continue
                items.append(self._item(u, code, base * weight * rng.uniform(0.75, 1.25)))
            if u == 0 and rng.random() < 0.04:
                items.append(self._item(u, "31013", rng.uniform(12.0, 25.0)))
        return items

    def _item(self, u: int, code: str, wan: float) -> Item:
        unit = self.units[u]
        _, gov_jg, gov_sy = ECON[code]
        gov = gov_jg if unit.kind == "机关" else gov_sy
        func = unit.run_code
        if self.split and code in _SPLIT_FUNC:
            func = _SPLIT_FUNC[code][0 if unit.kind == "机关" else 1]
        return Item(u, func, code, gov, _cents(wan))

    def _project_code(self, used: set[str]) -> str:
        rng = self.rng
        while True:
            yy = (self.year - rng.choice((0, 1, 1))) % 100
            code = f"{self.region_code}{yy:02d}{rng.randint(10_000, 99_999):013d}"
            if code not in used:
                used.add(code)
                return code

    def _projects(self) -> list[Project]:
        rng, p = self.rng, self.profile
        n = rng.randint(3, 20)
        pool = [*p.projects, (p.admin_general, "工作经费", None), ("2013699", "党建活动经费", None)]
        pool += [
            (p.admin_general, "信息化建设经费", "31007"),
            (p.admin_general, "办公楼维修改造经费", "30213"),
        ]
        used_names: set[str] = set()
        used_codes: set[str] = set()
        projects: list[Project] = []

        def new(func: str, name: str, econ: str | None, unit: int | None = None) -> Project:
            if unit is None:
                unit = 0 if rng.random() < 0.55 else rng.randrange(len(self.units))
            base = name
            qualifiers = (f"{self.year}年", "区级配套", "提前下达", "上级补助", "市级")
            for k in range(100):
                if name not in used_names:
                    break
                if k < len(qualifiers):
                    name = f"{rng.choice(qualifiers)}{base}"
                else:
                    name = f"{base}（{'二三四五六七八九十'[(k - len(qualifiers)) % 9]}期）"
                    if name in used_names:
                        name = f"{base}{k}"
            used_names.add(name)
            econ = econ or rng.choice(_PROJECT_ECON)
            unit_kind = self.units[unit].kind
            gov = ECON[econ][1 if unit_kind == "机关" else 2]
            kind = "其他运转类" if rng.random() < 0.2 else "特定目标类"
            wan = _log_uniform(rng, 0.5, 400.0)
            if func in _BIG:
                wan *= rng.uniform(3.0, 10.0)
            proj = Project(unit, name, kind, func, econ, gov, self._project_code(used_codes))
            proj.funds["gpb"] = _cents(wan)
            return proj

        for _ in range(n):
            func, name, econ = rng.choice(pool)
            projects.append(new(func, name, econ))

        # 政府性基金: whole projects under the fund's own codes.
        if p.gf_projects and rng.random() < 0.35:
            for func, name in rng.sample(p.gf_projects, rng.randint(1, len(p.gf_projects))):
                proj = new(func, name, None)
                proj.funds = {"gf": proj.funds["gpb"]}
                projects.append(proj)
        # 上年结转: some projects are (partly) paid from last year's 一般公共预算 carry-over.
        if rng.random() < 0.5:
            gpb_projects = [q for q in projects if "gpb" in q.funds]
            for proj in rng.sample(gpb_projects, min(len(gpb_projects), rng.randint(1, 4))):
                amount = proj.funds["gpb"]
                carry = amount if rng.random() < 0.6 or amount < 2 else rng.randint(1, amount - 1)
                proj.funds["carry"] = carry
                if carry == amount:
                    del proj.funds["gpb"]
                else:
                    proj.funds["gpb"] = amount - carry
        # 非财政拨款 part of 一般公共预算 ("其中：财政拨款" < 小计).
        if rng.random() < 0.3:
            gpb_projects = [q for q in projects if "gpb" in q.funds]
            for proj in rng.sample(gpb_projects, min(len(gpb_projects), rng.randint(1, 2))):
                proj.nontax = rng.randint(1, proj.funds["gpb"])
        # 事业收入 / 其他收入 of 事业单位.
        shiye_units = [u for u, unit in enumerate(self.units) if unit.kind == "事业"]
        if shiye_units and rng.random() < 0.15:
            for _ in range(rng.randint(1, 2)):
                func, name, econ = rng.choice(pool)
                proj = new(func, name, econ, unit=rng.choice(shiye_units))
                fund = "shiye" if rng.random() < 0.7 else "other"
                if rng.random() < 0.5:
                    proj.funds = {fund: proj.funds["gpb"]}
                else:
                    proj.funds[fund] = _cents(_log_uniform(rng, 0.5, 50.0))
                projects.append(proj)
        # 财政专户管理资金 (education fees).
        if p.dept == "教育局" and shiye_units and rng.random() < 0.4:
            proj = new("2050299", "财政专户管理教育收费项目", "30201", unit=rng.choice(shiye_units))
            proj.funds = {"zhuanhu": proj.funds["gpb"]}
            projects.append(proj)
        projects.sort(key=lambda q: q.unit)  # grouped by unit, as published
        return projects

    # -- aggregates --------------------------------------------------------

    def fund_total(self, fund: str) -> int:
        total = sum(q.fund(fund) for q in self.projects)
        if fund == "gpb":
            total += sum(i.cents for i in self.items)
        return total

    @property
    def nontax(self) -> int:
        return sum(q.nontax for q in self.projects)

    @property
    def basic(self) -> int:
        return sum(i.cents for i in self.items)

    @property
    def project_total(self) -> int:
        return sum(q.total for q in self.projects)

    @property
    def total(self) -> int:
        return self.basic + self.project_total

    def econ_sum(self, prefixes: Iterable[str]) -> int:
        pre = tuple(prefixes)
        return sum(i.cents for i in self.items if i.econ.startswith(pre))

    # -- tables ------------------------------------------------------------

    def code_order(self) -> list[str]:
        """项 codes in publication order: grouped by the first unit using them."""
        order: list[str] = []
        seen: set[str] = set()
        for u in range(len(self.units)):
            codes = {i.func for i in self.items if i.unit == u}
            codes |= {q.func for q in self.projects if q.unit == u}
            for code in sorted(codes - seen):
                seen.add(code)
                order.append(code)
        return order

    def expense_table(self, role: str, fund: str | None) -> tuple[list[dict[str, Any]], int]:
        """T3 (fund None: all money), T5 (gpb) or T9 (gf): rows and the table's total."""
        cols = (
            "合计",
            "基本支出.小计",
            "基本支出.人员经费.工资福利支出",
            "基本支出.人员经费.对个人和家庭的补助",
            "基本支出.公用经费.商品和服务支出",
            "基本支出.公用经费.资本性支出",
            "项目支出.小计",
            "项目支出.其他运转类",
            "项目支出.特定目标类",
        )
        econ_col = {
            "301": cols[2],
            "303": cols[3],
            "302": cols[4],
            "310": cols[5],
        }
        per: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(cols, 0))
        if fund in (None, "gpb"):
            for item in self.items:
                cell = per[item.func]
                cell[econ_col[item.econ[:3]]] += item.cents
                cell[cols[1]] += item.cents
                cell[cols[0]] += item.cents
        for proj in self.projects:
            amount = proj.total if fund is None else proj.fund(fund)
            if not amount:
                continue
            cell = per[proj.func]
            cell["项目支出." + proj.kind] += amount
            cell[cols[6]] += amount
            cell[cols[0]] += amount
        totals = dict.fromkeys(cols, 0)
        for cell in per.values():
            for c in cols:
                totals[c] += cell[c]
        rows: list[dict[str, Any]] = []
        if not per:
            return [_row(role, 名称="合计")], 0

        def amounts(cell: dict[str, int]) -> dict[str, Any]:
            return {c.replace(".", "__"): _amt(cell[c]) for c in cols}

        rows.append(_row(role, 名称="合计", **amounts(totals)))
        rows.append(_row(role, 单位代码=self.dept_code, 名称=self.dept_name, **amounts(totals)))
        for code in self.code_order():
            if code in per:
                rows.append(_row(role, 科目编码=code, 名称=FUNC_NAMES[code], **amounts(per[code])))
        return rows, totals[cols[0]]

    def t1(self) -> list[dict[str, Any]]:
        role = "部门收支总体情况表"
        gpb, gf = self.fund_total("gpb"), self.fund_total("gf")
        zhuanhu, shiye, other = (self.fund_total(f) for f in ("zhuanhu", "shiye", "other"))
        carry = self.fund_total("carry")
        current = gpb + gf + zhuanhu + shiye + other
        rows = [
            ("一、一般公共预算", gpb),
            ("其中：财政拨款", gpb - self.nontax),
            ("二、政府性基金预算拨款收入", gf),
            ("三、国有资本经营预算拨款收入", 0),
            ("四、财政专户管理资金收入", zhuanhu),
            ("五、事业收入", shiye),
            ("六、事业单位经营收入", 0),
            ("七、上级补助收入", 0),
            ("八、附属单位上缴收入", 0),
            ("九、其他收入", other),
            ("本年收入合计", current),
            ("上年结转结余", carry),
            ("收入总计", current + carry),
        ]
        out = [_row(role, 收支="收入", 项目=label, 金额=_amt(v)) for label, v in rows]
        by_class = self.by_class(lambda q: q.total, basic=True)
        for code, label, _ in CLASSES:
            out.append(_row(role, 收支="支出", 项目=label, 金额=_amt(by_class.get(code, 0))))
        total = self.total
        for label, v in (("本年支出合计", total), ("年终结转结余", 0), ("支出总计", total)):
            out.append(_row(role, 收支="支出", 项目=label, 金额=_amt(v)))
        return out

    def by_class(self, amount: Any, *, basic: bool) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        if basic:
            for item in self.items:
                out[item.func[:3]] += item.cents
        for proj in self.projects:
            out[proj.func[:3]] += amount(proj)
        return out

    def t2(self) -> list[dict[str, Any]]:
        role = "部门收入总体情况表"

        def cells(items: list[Item], projects: list[Project]) -> dict[str, Any]:
            funds = {f: sum(q.fund(f) for q in projects) for f in FUNDS}
            funds["gpb"] += sum(i.cents for i in items)
            current = sum(funds[f] for f in FUNDS if f != "carry")
            out: dict[str, Any] = {
                "总计": _amt(current + funds["carry"]),
                "本年收入.合计": _amt(current),
                "本年收入.一般公共预算.财政拨款": _amt(
                    funds["gpb"] - sum(q.nontax for q in projects)
                ),
                "上年结转结余.合计": _amt(funds["carry"]),
                "上年结转结余.一般公共预算": _amt(funds["carry"]),
            }
            for col, fund in _T2_CURRENT:
                out[col] = _amt(funds[fund]) if fund else None
            return out

        def row(code: str | None, name: str, values: dict[str, Any]) -> dict[str, Any]:
            r = _row(role, 单位代码=code, 单位名称=name)
            r.update(values)
            return r

        whole = cells(self.items, self.projects)
        rows = [row(None, "合计", whole), row(self.dept_code, self.dept_name, whole)]
        for u, unit in enumerate(self.units):
            items = [i for i in self.items if i.unit == u]
            projects = [q for q in self.projects if q.unit == u]
            rows.append(row(unit.code, unit.name, cells(items, projects)))
        return rows

    def t4(self) -> list[dict[str, Any]]:
        role = "财政拨款收支总体情况表"
        gpb, gf, carry = self.fund_total("gpb"), self.fund_total("gf"), self.fund_total("carry")
        czbk = gpb - self.nontax
        income = [
            ("一、本年收入", gpb + gf),
            ("(一) 一般公共预算拨款", gpb),
            ("其中：财政拨款", czbk),
            ("(二) 政府性基金预算拨款", gf),
            ("(三) 国有资本经营预算拨款", 0),
            ("二、上年结转", carry),
            ("(一) 一般公共预算拨款", carry),
            ("(二) 政府性基金预算拨款", 0),
            ("(三) 国有资本经营预算拨款", 0),
            ("收入合计：", gpb + gf + carry),
        ]
        rows = [_row(role, 收支="收入", 项目=label, 金额=_amt(v)) for label, v in income]
        g = self.by_class(lambda q: q.fund("gpb") + q.fund("carry"), basic=True)
        c = self.by_class(lambda q: q.fund("gpb") - q.nontax + q.fund("carry"), basic=True)
        f = self.by_class(lambda q: q.fund("gf"), basic=False)

        def spend(label: str, gv: int, cv: int, fv: int) -> dict[str, Any]:
            return _row(
                role,
                收支="支出",
                项目=label,
                合计=_amt(gv + fv),
                一般公共预算__小计=_amt(gv),
                一般公共预算__财政拨款=_amt(cv),
                政府性基金=_amt(fv),
            )

        rows.append(spend("一、本年支出", gpb + carry, czbk + carry, gf))
        for code, _, label in CLASSES:
            rows.append(spend(label, g.get(code, 0), c.get(code, 0), f.get(code, 0)))
        rows.append(spend("二、年终结转结余", 0, 0, 0))
        rows.append(spend("支出合计", gpb + carry, czbk + carry, gf))
        return rows

    def econ_pairs(self) -> list[tuple[str, str]]:
        pairs = {(i.econ, i.gov) for i in self.items} | {(q.econ, q.gov) for q in self.projects}
        return sorted(pairs, key=lambda p: (p[1][:3] >= "505", p[0], p[1]))

    def t6(self) -> list[dict[str, Any]]:
        role = "一般公共预算基本支出表"
        per: dict[tuple[str, str], int] = defaultdict(int)
        for item in self.items:
            per[(item.econ, item.gov)] += item.cents
        personnel = self.econ_sum(("301", "303"))
        public = self.econ_sum(("302", "310"))
        rows = [
            _row(
                role,
                名称="合计",
                合计=_amt(personnel + public),
                人员经费=_amt(personnel),
                公用经费=_amt(public),
            )
        ]
        for econ, gov in self.econ_pairs():
            cents = per.get((econ, gov), 0)
            if not cents:
                continue
            is_personnel = econ[:3] in ("301", "303")
            rows.append(
                _row(
                    role,
                    部门经济分类编码=econ,
                    部门经济分类名称=ECON[econ][0],
                    政府经济分类编码=gov,
                    政府经济分类名称=GOV_NAMES[gov],
                    合计=_amt(cents),
                    人员经费=_amt(cents if is_personnel else 0),
                    公用经费=_amt(0 if is_personnel else cents),
                )
            )
        return rows

    def t7(self) -> list[dict[str, Any]]:
        role = "支出经济分类汇总表"
        zero = {f: 0 for f in (*FUNDS, "czbk")}
        per: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict(zero))
        for item in self.items:
            cell = per[(item.econ, item.gov)]
            cell["gpb"] += item.cents
            cell["czbk"] += item.cents
        for proj in self.projects:
            cell = per[(proj.econ, proj.gov)]
            for f in FUNDS:
                cell[f] += proj.fund(f)
            cell["czbk"] += proj.fund("gpb") - proj.nontax
        totals = dict(zero)
        for cell in per.values():
            for k in totals:
                totals[k] += cell[k]

        def amounts(cell: dict[str, int]) -> dict[str, Any]:
            out: dict[str, Any] = {
                "总计": _amt(sum(cell[f] for f in FUNDS)),
                "一般公共预算.财政拨款": _amt(cell["czbk"]),
            }
            for col, fund in _T7_SOURCES:
                out[col] = _amt(cell[fund]) if fund else None
            return out

        def row(values: dict[str, Any], **cells: Any) -> dict[str, Any]:
            r = _row(role, **cells)
            r.update(values)
            return r

        rows = [
            row(amounts(totals), 名称="合计"),
            row(amounts(totals), 单位代码=self.dept_code, 名称=self.dept_name),
        ]
        for econ, gov in self.econ_pairs():
            rows.append(
                row(
                    amounts(per[(econ, gov)]),
                    部门经济分类编码=econ,
                    部门经济分类名称=ECON[econ][0],
                    政府经济分类编码=gov,
                    政府经济分类名称=GOV_NAMES[gov],
                )
            )
        return rows

    def sangong(self) -> dict[str, int]:
        out = dict.fromkeys(SANGONG.values(), 0)
        for item in self.items:
            if item.econ in SANGONG:
                out[SANGONG[item.econ]] += item.cents
        return out

    def t8(self) -> list[dict[str, Any]]:
        s = self.sangong()
        car = s["购置"] + s["运行"]
        return [
            _row(
                "三公经费支出情况表",
                合计=_amt(s["出国"] + car + s["接待"]),
                **{
                    "因公出国(境)费": _amt(s["出国"]),
                    "公务用车购置及运行费__小计": _amt(car),
                    "公务用车购置及运行费__公务用车购置费": _amt(s["购置"]),
                    "公务用车购置及运行费__公务用车运行费": _amt(s["运行"]),
                    "公务接待费": _amt(s["接待"]),
                },
            )
        ]

    def t10(self) -> list[dict[str, Any]]:
        role = "项目支出表"

        def amounts(projects: Sequence[Project]) -> dict[str, Any]:
            def s(f: str) -> int:
                return sum(q.fund(f) for q in projects)

            return {
                "合计": _amt(sum(q.total for q in projects)),
                "本年拨款.一般公共预算": _amt(s("gpb")),
                "本年拨款.政府性基金预算": _amt(s("gf")),
                "财政拨款结转结余.一般公共预算": _amt(s("carry")),
                "财政专户管理资金": _amt(s("zhuanhu")),
                "单位资金": _amt(s("shiye") + s("other")),
            }

        def row(values: dict[str, Any], **cells: Any) -> dict[str, Any]:
            r = _row(role, **cells)
            r.update(values)
            return r

        whole = amounts(self.projects)
        rows = [row(whole), row(whole, 单位代码=self.dept_code, 项目单位=self.dept_name)]
        for proj in self.projects:
            unit = self.units[proj.unit]
            rows.append(
                row(amounts([proj]), 类型=proj.kind, 项目名称=proj.name, 项目单位=unit.name)
            )
        return rows

    def t11(self) -> list[dict[str, Any]]:
        role = "部门整体绩效目标表"
        rng, p = self.rng, self.profile
        gov_money = sum(self.fund_total(f) for f in ("gpb", "gf", "carry"))
        unit_money = self.fund_total("shiye") + self.fund_total("other")
        goals = " ".join(
            f"目标{i}: {g}" for i, g in enumerate(("保障日常行政管理工作", *p.goals), 1)
        )
        rows = [
            _row(role, 栏目="部门（单位）名称", 内容=self.dept_name),
            _row(role, 栏目="年度履职目标", 内容=goals),
        ]
        tasks = ["日常行政管理工作", *rng.sample(p.tasks, rng.randint(2, len(p.tasks)))]
        for task in tasks:
            content = (
                f"围绕{task}，认真落实上级部署，完善工作机制，加强资金管理，"
                f"确保{task}各项任务按期保质完成。"
            )
            rows.append(_row(role, 栏目="年度主要任务", 项目=task, 内容=content))
        budget = (
            ("部门预算总额（万元）", self.total),
            ("1、资金来源：（1）政府预算资金", gov_money),
            ("（2）财政专户管理资金", self.fund_total("zhuanhu")),
            ("（3）单位资金", unit_money),
            ("2、资金结构：（1）基本支出", self.basic),
            ("（2）项目支出", self.project_total),
        )
        for label, cents in budget:
            rows.append(_row(role, 栏目="预算情况", 项目=label, 金额=_amt(cents)))
        last1 = last2 = None
        for level2, name, value, note in T11_INPUT:
            if rng.random() < 0.15:
                continue
            first1 = "投入管理指标" if last1 != "投入管理指标" else None
            first2 = level2 if level2 != last2 else None
            last1, last2 = "投入管理指标", level2
            rows.append(
                _row(
                    role,
                    栏目="绩效指标",
                    一级指标=first1,
                    二级指标=first2,
                    三级指标=name,
                    指标值=value,
                    指标值说明=note,
                )
            )
        for level1, level2, pool, count in (
            ("产出指标", "重点工作任务完成", _OUTPUT_INDICATORS, rng.randint(4, 10)),
            ("效益指标", "履职效益", _EFFECT_INDICATORS, rng.randint(2, 4)),
        ):
            for k in range(count):
                template, values = pool[k % len(pool)]
                rows.append(
                    _row(
                        role,
                        栏目="绩效指标",
                        一级指标=level1 if k == 0 else None,
                        二级指标=level2 if k == 0 else None,
                        三级指标=template.format(t=tasks[k % len(tasks)]),
                        指标值=rng.choice(values),
                    )
                )
        for k, name in enumerate(("社会公众满意度", "服务对象满意度")):
            rows.append(
                _row(
                    role,
                    栏目="绩效指标",
                    一级指标="满意度指标" if k == 0 else None,
                    二级指标="满意度" if k == 0 else None,
                    三级指标=name,
                    指标值=rng.choice(_SATISFACTION_VALUES),
                )
            )
        return rows

    def cost_value(self, proj: Project) -> str:
        rng = self.rng
        cents = proj.total
        prefix = rng.choice(("≤", "", "≤", ""))
        if rng.random() < 0.1:
            return f"{prefix}{cents * 100}元"
        return f"{prefix}{_short(cents)}万元"

    def t12(self) -> list[dict[str, Any]]:
        role = "项目绩效目标汇总表"
        rng = self.rng
        y = self.year

        def amounts(projects: Sequence[Project]) -> dict[str, Any]:
            def s(*funds: str) -> int:
                return sum(q.fund(f) for q in projects for f in funds)

            return {
                "项目金额.资金总额": _amt(sum(q.total for q in projects)),
                "项目金额.政府预算资金": _amt(s("gpb", "gf", "carry")),
                "项目金额.财政专户管理资金": _amt(s("zhuanhu")),
                "项目金额.单位资金": _amt(s("shiye", "other")),
            }

        def row(values: dict[str, Any], **cells: Any) -> dict[str, Any]:
            r = _row(role, **cells)
            r.update(values)
            return r

        rows = [row(amounts(self.projects), 编码=self.dept_code)]
        for u, unit in enumerate(self.units):
            projects = [q for q in self.projects if q.unit == u]
            if not projects:
                continue
            rows.append(row(amounts(projects), 编码=unit.code, 名称=unit.name))
            for proj in projects:
                outputs = rng.sample(_PROJECT_OUTPUT, rng.randint(1, 4))
                effects = rng.sample(_PROJECT_EFFECT, rng.randint(1, 2))
                lines = max(len(outputs), len(effects))
                for k in range(lines):
                    cells: dict[str, Any] = {}
                    if k == 0:
                        cells["成本指标.三级指标"] = f"{proj.name}总额"
                        cells["成本指标.指标值"] = self.cost_value(proj)
                        cells["满意度指标.三级指标"] = rng.choice(_PROJECT_SATISFACTION)
                        cells["满意度指标.指标值"] = rng.choice(_SATISFACTION_VALUES)
                    if k < len(outputs):
                        cells["产出指标.三级指标"] = outputs[k][0]
                        cells["产出指标.指标值"] = rng.choice(outputs[k][1]).format(y=y)
                    if k < len(effects):
                        cells["效益指标.三级指标"] = effects[k][0]
                        cells["效益指标.指标值"] = rng.choice(effects[k][1])
                    if k == 0:
                        cells.update(amounts([proj]))
                        rows.append(row(cells, 编码=proj.code, 名称=proj.name))
                    else:
                        rows.append(row(cells))
        return rows

    # -- statements --------------------------------------------------------

    def last_year(self, cents: int, *, zero_ok: bool = False) -> int:
        rng = self.rng
        if rng.random() < 0.12:
            return cents
        if zero_ok and cents == 0:
            return 0 if rng.random() < 0.7 else _cents(rng.uniform(0.5, 5.0))
        last = round(cents * rng.uniform(0.8, 1.2))
        return max(last, 0 if zero_ok else 1)

    def statements(self) -> dict[str, dict[str, Any]]:
        rng = self.rng
        y0 = self.year - 1
        out: dict[str, dict[str, Any]] = {}

        def money(name: str, cents: int, text: str) -> None:
            out[name] = {"value": _val(cents), "unit": "万元", "text": text}

        def share(name: str, part: int, whole: int, text: str) -> None:
            if whole:
                value = pct(part, whole)
                out[name] = {"value": value, "unit": "%", "text": f"{text}，占 {value:.2f}%"}

        def change(name: str, what: str, now: int, last: int, rate: str | None = None) -> None:
            delta = now - last
            word = "增加" if delta > 0 else "减少" if delta < 0 else "持平"
            if delta:
                text = f"{what}比{y0}年{word} {_fmt(abs(delta))} 万元"
            else:
                text = f"{what}与{y0}年持平"
            out[name] = {"value": _val(abs(delta)), "unit": "万元", "wording": word, "text": text}
            if rate is not None and last:
                value = pct(abs(delta), last)
                rword = "增长" if delta > 0 else "下降" if delta < 0 else "持平"
                rtext = f"{text}，{rword} {value:.2f}%" if delta else text
                out[rate] = {"value": value, "unit": "%", "wording": rword, "text": rtext}

        def count(name: str, n: int, unit: str, text: str) -> None:
            out[name] = {"value": n, "unit": unit, "text": text}

        n_units = len(self.units)
        count("概况.内设机构数", rng.randint(1, 8), "个", "内设机构")
        out["概况.内设机构数"]["text"] = f"设 {out['概况.内设机构数']['value']} 个内设机构"
        count("概况.归口预算单位数", n_units - 1, "个", f"{n_units - 1}个归口预算单位")

        total = self.total
        last_total = self.last_year(total)
        money("收支总体.收入总计", total, f"收入总计 {_fmt(total)} 万元")
        money("收支总体.支出总计", total, f"支出总计 {_fmt(total)} 万元")
        change("收支总体.收入增减额", "收入", total, last_total, "收支总体.收入增长率")
        change("收支总体.支出增减额", "支出", total, last_total, "收支总体.支出增长率")

        gpb, gf, carry = self.fund_total("gpb"), self.fund_total("gf"), self.fund_total("carry")
        zhuanhu, shiye, other = (self.fund_total(f) for f in ("zhuanhu", "shiye", "other"))
        money("收入.收入合计", total, f"收入合计 {_fmt(total)} 万元")
        money("收入.一般公共预算", gpb, f"一般公共预算 {_fmt(gpb)} 万元")
        money("收入.政府性基金", gf, f"政府性基金收入 {_fmt(gf)} 万元")
        money("收入.财政专户管理经费", zhuanhu, f"纳入财政专户管理经费 {_fmt(zhuanhu)} 万元")
        if shiye:
            money("收入.事业收入", shiye, f"事业收入 {_fmt(shiye)} 万元")
        if other:
            money("收入.其他收入", other, f"其他收入 {_fmt(other)} 万元")
        money("收入.部门财政性资金结转", carry, f"部门财政性资金结转 {_fmt(carry)} 万元")

        basic, proj = self.basic, self.project_total
        money("支出.支出合计", total, f"支出合计 {_fmt(total)} 万元")
        money("支出.基本支出", basic, f"基本支出 {_fmt(basic)} 万元")
        share("支出.基本支出占比", basic, total, f"基本支出 {_fmt(basic)} 万元")
        money("支出.项目支出", proj, f"项目支出 {_fmt(proj)} 万元")
        share("支出.项目支出占比", proj, total, f"项目支出 {_fmt(proj)} 万元")

        money("财政拨款.一般公共预算", gpb, f"一般公共预算收支预算 {_fmt(gpb)} 万元")
        money("财政拨款.政府性基金", gf, f"政府性基金收支预算 {_fmt(gf)} 万元")
        change(
            "财政拨款.一般公共预算增减额",
            "一般公共预算收支预算",
            gpb,
            self.last_year(gpb),
            "财政拨款.一般公共预算增长率",
        )
        change(
            "财政拨款.政府性基金增减额",
            "政府性基金收支预算",
            gf,
            self.last_year(gf, zero_ok=True),
            "财政拨款.政府性基金增长率",
        )

        # T5 = current-year 一般公共预算: all basic spending + the projects' gpb part.
        t5_project = sum(q.fund("gpb") for q in self.projects)
        money("一般公共预算支出.合计", gpb, f"一般公共预算支出年初预算为 {_fmt(gpb)} 万元")
        money("一般公共预算支出.基本支出", basic, f"基本支出 {_fmt(basic)} 万元")
        share("一般公共预算支出.基本支出占比", basic, gpb, f"基本支出 {_fmt(basic)} 万元")
        money("一般公共预算支出.项目支出", t5_project, f"项目支出 {_fmt(t5_project)} 万元")
        share("一般公共预算支出.项目支出占比", t5_project, gpb, f"项目支出 {_fmt(t5_project)} 万元")

        personnel = self.econ_sum(("301", "303"))
        public = self.econ_sum(("302", "310"))
        money(
            "一般公共预算基本支出.合计", basic, f"一般公共预算基本支出年初预算为 {_fmt(basic)} 万元"
        )
        money("一般公共预算基本支出.人员经费", personnel, f"人员经费支出 {_fmt(personnel)} 万元")
        share(
            "一般公共预算基本支出.人员经费占比",
            personnel,
            basic,
            f"人员经费支出 {_fmt(personnel)} 万元",
        )
        money("一般公共预算基本支出.公用经费", public, f"公用经费支出 {_fmt(public)} 万元")
        share(
            "一般公共预算基本支出.公用经费占比", public, basic, f"公用经费支出 {_fmt(public)} 万元"
        )

        s = self.sangong()
        car = s["购置"] + s["运行"]
        sg = s["出国"] + car + s["接待"]
        last = {k: self.last_year(v, zero_ok=True) for k, v in s.items()}
        money("三公经费.合计", sg, f"{self.year}年“三公”经费预算为 {_fmt(sg)} 万元")
        change("三公经费.增减额", "“三公”经费支出预算数", sg, sum(last.values()))
        money("三公经费.因公出国(境)费", s["出国"], f"因公出国（境）费 {_fmt(s['出国'])} 万元")
        change("三公经费.因公出国(境)费增减额", "因公出国（境）费预算数", s["出国"], last["出国"])
        money("三公经费.公务接待费", s["接待"], f"公务接待费 {_fmt(s['接待'])} 万元")
        change("三公经费.公务接待费增减额", "公务接待费预算数", s["接待"], last["接待"])
        money("三公经费.公务用车购置及运行费", car, f"公务用车购置及运行费 {_fmt(car)} 万元")
        money("三公经费.公务用车购置费", s["购置"], f"公务用车购置费 {_fmt(s['购置'])} 万元")
        money(
            "三公经费.公务用车运行维护费", s["运行"], f"公务用车运行维护费 {_fmt(s['运行'])} 万元"
        )
        change("三公经费.公务用车购置费增减额", "公务用车购置费预算数", s["购置"], last["购置"])
        change(
            "三公经费.公务用车运行维护费增减额", "公务用车运行维护费预算数", s["运行"], last["运行"]
        )

        money("机构运转经费.合计", public, f"机构运转经费支出预算{_fmt(public)}万元")

        goods = _cents(rng.uniform(1, 60)) if rng.random() < 0.5 else 0
        works = _cents(rng.uniform(10, 300)) if rng.random() < 0.1 else 0
        services = _cents(rng.uniform(1, 80)) if rng.random() < 0.4 else 0
        purchase = goods + works + services
        money("政府采购.合计", purchase, f"{self.year}年政府采购预算安排{_fmt(purchase)}万元")
        money("政府采购.货物", goods, f"政府采购货物预算{_fmt(goods)}万元")
        money("政府采购.工程", works, f"政府采购工程预算{_fmt(works)}万元")
        money("政府采购.服务", services, f"政府采购服务预算{_fmt(services)}万元")

        cars = {
            "一般公务用车": (rng.randint(1, 3) if s["运行"] else 0),
            "一般执法执勤用车": rng.choice((0, 0, 0, 1, 2)),
            "特种专业技术用车": rng.choice((0, 0, 0, 0, 1)),
            "其他用车": 0,
        }
        n_cars = sum(cars.values())
        count("国有资产.车辆合计", n_cars, "辆", f"共有车辆 {n_cars} 辆")
        for kind, n in cars.items():
            count(f"国有资产.{kind}", n, "辆", f"{kind} {n} 辆")
        general = rng.choice((0, 0, 0, 1))
        special = rng.choice((0, 0, 0, 0, 1))
        count(
            "国有资产.通用设备50万元以上",
            general,
            "台（套）",
            f"单价 50 万元以上通用设备 {general} 台（套）",
        )
        count(
            "国有资产.专用设备100万元以上",
            special,
            "台（套）",
            f"单位价值 100 万元以上的专用设备 {special} 台（套）",
        )
        transfers = rng.choice((0, 0, 0, 1, 2, 3))
        count("专项转移支付.项目数", transfers, "项", f"专项转移支付项目共有 {transfers} 项")
        return out

    # -- the document ------------------------------------------------------

    def document(self) -> dict[str, Any]:
        year = self.year
        t3, _ = self.expense_table("部门支出总体情况表", None)
        t5, _ = self.expense_table("一般公共预算支出情况表", "gpb")
        t9, gf_total = self.expense_table("政府性基金预算支出情况表", "gf")

        def table(name: str, rows: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
            return {"name": name, "unit": "万元", **extra, "rows": rows}

        tables = {
            "部门收支总体情况表": table(f"{year}年部门收支总体情况表", self.t1()),
            "部门收入总体情况表": table(f"{year}年部门收入总体情况表", self.t2()),
            "部门支出总体情况表": table(f"{year}年部门支出总体情况表", t3),
            "财政拨款收支总体情况表": table(f"{year}年财政拨款收支总体情况表", self.t4()),
            "一般公共预算支出情况表": table(
                f"{year}年一般公共预算支出情况表", t5, note="备注：本表仅含当年财政拨款安排的支出"
            ),
            "一般公共预算基本支出表": table(f"{year}年一般公共预算基本支出表", self.t6()),
            "支出经济分类汇总表": table(f"{year}年支出经济分类汇总表", self.t7()),
            "三公经费支出情况表": table(f"{year}年一般公共预算“三公”经费支出情况表", self.t8()),
            "政府性基金预算支出情况表": (
                table(f"{year}年政府性基金预算支出情况表", t9)
                if gf_total
                else table(
                    f"{year}年政府性基金预算支出情况表", t9, note="注：此表无数据", empty=True
                )
            ),
            "项目支出表": table(f"{year}年项目支出表", self.t10()),
            "部门整体绩效目标表": table("部门（单位）整体绩效目标表", self.t11()),
            "项目绩效目标汇总表": table(f"{year}年部门预算项目绩效目标汇总表", self.t12()),
        }
        doc_id = f"syn_{self.seed}_{self.index:06d}"
        return {
            "meta": {
                "id": doc_id,
                "department": self.dept_name,
                "department_code": self.dept_code,
                "region": self.region,
                "year": year,
                "kind": "部门预算",
                "unit": "万元",
                "template": TEMPLATE,
                "source": {
                    "title": f"{year} 年{self.dept_name} 部门预算基本情况说明",
                    "note": f"synthetic: bench.generate seed={self.seed} index={self.index}",
                },
            },
            "tables": tables,
            "statements": self.statements(),
        }


def generate_document(seed: int, index: int) -> dict[str, Any]:
    """Document number ``index`` of the synthetic corpus ``seed`` (deterministic)."""
    return _Builder(seed, index).document()


def document_id(seed: int, index: int) -> str:
    return f"syn_{seed}_{index:06d}"


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def _write_range(args: tuple[int, int, int, str | None, bool]) -> list[bytes]:
    """Write documents ``start..stop`` to ``out``; return their bytes if ``keep``."""
    seed, start, stop, out, keep = args
    lines: list[bytes] = []
    folder = Path(out) if out else None
    for index in range(start, stop):
        data = orjson.dumps(generate_document(seed, index))
        if folder is not None:
            (folder / f"{document_id(seed, index)}.json").write_bytes(data)
        if keep:
            lines.append(data)
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description="Write synthetic 部门预算 documents, consistent by construction.",
    )
    parser.add_argument("--count", type=int, required=True, help="number of documents")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument("--out", help="folder for one JSON file per document")
    parser.add_argument("--ndjson", help="also write every document as one line of FILE")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    args = parser.parse_args(argv)
    if not args.out and not args.ndjson:
        parser.error("give --out DIR, --ndjson FILE, or both")
    if args.out:
        Path(args.out).mkdir(parents=True, exist_ok=True)
    chunk = 200
    ranges = [
        (args.seed, start, min(start + chunk, args.count), args.out, bool(args.ndjson))
        for start in range(0, args.count, chunk)
    ]
    sink = open(args.ndjson, "wb") if args.ndjson else None  # noqa: SIM115
    try:
        if args.jobs > 1 and len(ranges) > 1:
            from multiprocessing import Pool

            with Pool(args.jobs) as pool:
                for lines in pool.imap(_write_range, ranges):
                    if sink:
                        sink.writelines(line + b"\n" for line in lines)
        else:
            for r in ranges:
                lines = _write_range(r)
                if sink:
                    sink.writelines(line + b"\n" for line in lines)
    finally:
        if sink:
            sink.close()
    print(f"wrote {args.count} documents (seed {args.seed})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
