"""Provenance of the golden example: examples/000_afa05cab7739910b.json against the seed text.

The seed (a PDF-to-text dump of one real published 部门预算 document) lives outside the
repository, in ../shared/seed/. Every check here reads it, so the module skips when it is absent
(except the schema check, which needs only the repository).

What is proven:
  * the example validates against schemas/budget-document.schema.json;
  * every number in a table row is printed on the row's source line, every code column is
    printed on it (类/款/项 as separate cells), every printed cell of that line is transcribed,
    and every text value of the row is printed on it;
  * placement: every amount (and every 项目绩效目标汇总表 indicator cell) is the cell its column's
    header position points at, except on the lines where the dump dropped an empty cell, which
    are listed in SHIFTED and explained in the table's note;
  * completeness: on EVERY line of the seed, the amount cells printed (numbers with a decimal
    point) are exactly, as a multiset, the numbers of the rows sourced from that line; every
    tabular line is either a row's source or a known header line;
  * every prose statement's value and text are on its line, and every figure in the prose is
    some statement's value (years, list numbering and thresholds quoted in a statement's text
    aside).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED = SHARED / "seed" / "000_afa05cab7739910b.txt"
EXAMPLE = REPO / "examples" / "000_afa05cab7739910b.json"
SCHEMA = REPO / "schemas" / "budget-document.schema.json"

needs_seed = pytest.mark.skipif(
    not SEED.is_file(),
    reason=f"seed text not available ({SEED}): the shared folder ../shared is absent",
)

# A cell that looks like a published amount: digits with a decimal point, optional thousands
# separators ("4,708.93", "0.86"). Codes ("035", "208") and counts have no decimal point.
AMOUNT_CELL = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)\.\d+")
NUMBER_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
YEAR = re.compile(r"(?:19|20)\d{2}(?=\s*年)")
LIST_NUMBER = re.compile(r"^\s*\d+\.\s")
WS = re.compile(r"\s+")

# Tabular lines of the seed that are table headers, not rows (checked: they print no amounts).
HEADER_LINES = frozenset(
    {
        179,
        180,
        221,
        222,
        223,
        236,
        237,
        238,
        261,
        262,
        263,
        304,
        305,
        306,
        330,
        331,
        372,
        373,
        419,
        420,
        431,
        432,
        433,
        444,
        445,
        471,
        485,
        536,
        537,
        538,
    }
)

# Text values that print on another line than their row's (merged-cell labels the dump prints
# on a line of their own); each is explained in the table's note.
RELOCATED_TEXT = {
    ("部门整体绩效目标表", 486, "投入管理指标"): 492,
    ("部门整体绩效目标表", 496, "预算和财务管理"): 494,
}

# Columns whose value is the transcriber's classification, not printed text.
CLASSIFIER_COLUMNS = frozenset({"收支", "栏目"})

# Where each column prints: the 0-based cell index on a row's line, as the table's header puts
# it. Two-sided tables have one map per side (收支).
_FUNC = (
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
_T2 = (
    "总计",
    "本年收入.合计",
    "本年收入.一般公共预算.小计",
    "本年收入.一般公共预算.财政拨款",
    "本年收入.政府性基金",
    "本年收入.国有资本经营预算",
    "本年收入.财政专户管理资金收入",
    "本年收入.事业收入",
    "本年收入.事业单位经营收入",
    "本年收入.上级补助收入",
    "本年收入.附属单位上缴收入",
    "本年收入.其他收入",
    "上年结转结余.合计",
    "上年结转结余.一般公共预算",
    "上年结转结余.政府性基金",
    "上年结转结余.国有资本经营预算",
    "上年结转结余.财政专户管理资金",
    "上年结转结余.单位资金",
)
_T7 = (
    "总计",
    "一般公共预算.小计",
    "一般公共预算.财政拨款",
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
_T10 = (
    "合计",
    "本年拨款.一般公共预算",
    "本年拨款.政府性基金预算",
    "本年拨款.国有资本经营预算",
    "财政拨款结转结余.一般公共预算",
    "财政拨款结转结余.政府性基金预算",
    "财政拨款结转结余.国有资本经营预算",
    "财政专户管理资金",
    "单位资金",
)
_T12 = (
    "项目金额.资金总额",
    "项目金额.政府预算资金",
    "项目金额.财政专户管理资金",
    "项目金额.单位资金",
    "成本指标.三级指标",
    "成本指标.指标值",
    "产出指标.三级指标",
    "产出指标.指标值",
    "效益指标.三级指标",
    "效益指标.指标值",
    "满意度指标.三级指标",
    "满意度指标.指标值",
)
PRINTED_AT: dict[str, dict[str | None, dict[str, int]]] = {
    "部门收支总体情况表": {"收入": {"金额": 1}, "支出": {"金额": 3}},
    "部门收入总体情况表": {None: {c: 2 + i for i, c in enumerate(_T2)}},
    "部门支出总体情况表": {None: {c: 5 + i for i, c in enumerate(_FUNC)}},
    "财政拨款收支总体情况表": {
        "收入": {"金额": 1},
        "支出": {
            "合计": 3,
            "一般公共预算.小计": 4,
            "一般公共预算.财政拨款": 5,
            "政府性基金": 6,
            "国有资本经营预算": 7,
        },
    },
    "一般公共预算支出情况表": {None: {c: 5 + i for i, c in enumerate(_FUNC)}},
    "一般公共预算基本支出表": {None: {"合计": 4, "人员经费": 5, "公用经费": 6}},
    "支出经济分类汇总表": {None: {c: 6 + i for i, c in enumerate(_T7)}},
    "三公经费支出情况表": {
        None: {
            "合计": 0,
            "因公出国(境)费": 1,
            "公务用车购置及运行费.小计": 2,
            "公务用车购置及运行费.公务用车购置费": 3,
            "公务用车购置及运行费.公务用车运行费": 4,
            "公务接待费": 5,
        }
    },
    "政府性基金预算支出情况表": {None: {c: 5 + i for i, c in enumerate(_FUNC)}},
    "项目支出表": {None: {c: 3 + i for i, c in enumerate(_T10)}},
    "部门整体绩效目标表": {None: {"金额": 2}},
    "项目绩效目标汇总表": {None: {c: 2 + i for i, c in enumerate(_T12)}},
}

# The dump's dropped (or added) empty cells, as documented in each table's note: on these lines
# these columns print `offset` cells away from where the header puts them.
SHIFTED: dict[str, list[tuple[frozenset[int], frozenset[str], int]]] = {
    "部门收入总体情况表": [
        (frozenset(range(224, 229)), frozenset(c for c in _T2 if c.startswith("上年")), -1),
    ],
    "一般公共预算支出情况表": [
        (
            frozenset({307, 308, 309, 311, 312, 313, 314, 315, 316, 318, 319, 320}),
            frozenset(_FUNC[6:]),
            -1,
        ),
    ],
    "支出经济分类汇总表": [(frozenset(range(374, 412)), frozenset({"上年结转结余"}), -1)],
    "部门整体绩效目标表": [(frozenset({484}), frozenset({"金额"}), -1)],
    "项目绩效目标汇总表": [(frozenset(range(541, 575)), frozenset(_T12[4:]), -1)],
}

CN_NUMERALS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}

REQUIRED_STATEMENTS = (
    "收支总体.收入总计",
    "收支总体.支出总计",
    "收支总体.收入增减额",
    "收支总体.收入增长率",
    "收支总体.支出增减额",
    "收支总体.支出增长率",
    "收入.收入合计",
    "收入.一般公共预算",
    "收入.政府性基金",
    "收入.财政专户管理经费",
    "收入.部门财政性资金结转",
    "支出.支出合计",
    "支出.基本支出",
    "支出.基本支出占比",
    "支出.项目支出",
    "支出.项目支出占比",
    "财政拨款.一般公共预算",
    "财政拨款.政府性基金",
    "财政拨款.一般公共预算增减额",
    "财政拨款.一般公共预算增长率",
    "财政拨款.政府性基金增减额",
    "一般公共预算支出.合计",
    "一般公共预算支出.基本支出",
    "一般公共预算支出.基本支出占比",
    "一般公共预算支出.项目支出",
    "一般公共预算支出.项目支出占比",
    "一般公共预算基本支出.合计",
    "一般公共预算基本支出.人员经费",
    "一般公共预算基本支出.人员经费占比",
    "一般公共预算基本支出.公用经费",
    "一般公共预算基本支出.公用经费占比",
    "三公经费.合计",
    "三公经费.增减额",
    "三公经费.因公出国(境)费",
    "三公经费.因公出国(境)费增减额",
    "三公经费.公务接待费",
    "三公经费.公务接待费增减额",
    "三公经费.公务用车购置及运行费",
    "三公经费.公务用车购置费",
    "三公经费.公务用车运行维护费",
    "三公经费.公务用车购置费增减额",
    "三公经费.公务用车运行维护费增减额",
    "机构运转经费.合计",
    "政府采购.合计",
    "政府采购.货物",
    "政府采购.工程",
    "政府采购.服务",
    "国有资产.车辆合计",
    "国有资产.一般公务用车",
    "国有资产.一般执法执勤用车",
    "国有资产.特种专业技术用车",
    "国有资产.其他用车",
    "国有资产.通用设备50万元以上",
    "国有资产.专用设备100万元以上",
    "专项转移支付.项目数",
)


# ------------------------------------------------------------------------------------ loading


@cache
def document() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


@cache
def seed_lines() -> tuple[str, ...]:
    """The seed's lines; line n (1-based, blank lines counted) is ``seed_lines()[n - 1]``."""
    return tuple(SEED.read_text(encoding="utf-8").split("\n"))


def line(n: int) -> str:
    lines = seed_lines()
    assert 1 <= n <= len(lines), f"line {n} is outside the seed (1..{len(lines)})"
    return lines[n - 1]


def cells(n: int) -> list[str]:
    return [c.strip() for c in line(n).split("\t")]


def squash(text: str) -> str:
    return WS.sub("", text)


def dec(value: float | int | str) -> Decimal:
    return Decimal(str(value).replace(",", ""))


def number_tokens(text: str) -> list[Decimal]:
    return [dec(t) for t in NUMBER_TOKEN.findall(text)]


def amount_cells(n: int) -> Counter[Decimal]:
    return Counter(dec(c) for c in cells(n) if AMOUNT_CELL.fullmatch(c))


def code_columns(role: str) -> list[str]:
    props = schema()["properties"]["tables"]["properties"][role]["properties"]["rows"]["items"]
    return [k for k, v in props["properties"].items() if v.get("x-kind") == "code"]


def code_parts(code: str) -> list[str]:
    """``2080101`` -> ``["208", "01", "01"]``; ``30201`` -> ``["302", "01"]``."""
    return [code[:3]] + [code[i : i + 2] for i in range(3, len(code), 2)]


def table_rows() -> list[tuple[str, int, int, dict[str, Any]]]:
    """(role, row index, source line, row) for every row of every table."""
    out = []
    for role, table in document()["tables"].items():
        for i, (row, n) in enumerate(zip(table["rows"], table["source_lines"], strict=True)):
            out.append((role, i, n, row))
    return out


def rows_by_line() -> dict[int, list[tuple[str, int, dict[str, Any]]]]:
    by_line: dict[int, list[tuple[str, int, dict[str, Any]]]] = {}
    for role, i, n, row in table_rows():
        by_line.setdefault(n, []).append((role, i, row))
    return by_line


def numbers_of(row: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return [
        (k, dec(v))
        for k, v in row.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]


# ------------------------------------------------------------------------------------ tests


def test_example_validates_against_schema() -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(document())]
    assert errors == []


@needs_seed
def test_source_lines_one_per_row() -> None:
    for role, table in document()["tables"].items():
        assert "source_lines" in table, f"{role}: no source_lines"
        assert len(table["source_lines"]) == len(table["rows"]), role
        assert table["rows"], f"{role}: no rows"


@needs_seed
def test_rows_lie_within_their_table() -> None:
    """Each table's name is printed as a title line, and its rows come from after the title
    and before the next table's title."""
    lines = seed_lines()
    titles = {}
    for role, table in document()["tables"].items():
        hits = [i + 1 for i, text in enumerate(lines) if squash(text) == squash(table["name"])]
        assert len(hits) == 1, f"{role}: title {table['name']!r} printed {len(hits)} times"
        titles[role] = hits[0]
    starts = sorted(titles.values())
    for role, table in document()["tables"].items():
        start = titles[role]
        end = next((s for s in starts if s > start), len(lines) + 1)
        for n in table["source_lines"]:
            assert start < n < end, f"{role}: source line {n} outside lines {start}..{end}"


@needs_seed
def test_every_row_number_is_printed_on_its_line() -> None:
    failures = []
    for role, i, n, row in table_rows():
        tokens = number_tokens(line(n))
        for column, value in numbers_of(row):
            if value not in tokens:
                failures.append(f"{role} row {i} {column}={value}: not on line {n}: {line(n)!r}")
    assert failures == []


@needs_seed
def test_every_code_is_printed_on_its_line() -> None:
    failures = []
    for role, i, n, row in table_rows():
        printed = cells(n)
        for column in code_columns(role):
            code = row.get(column)
            if code is None:
                continue
            parts = code_parts(code)
            whole = code in printed
            split = any(
                printed[j : j + len(parts)] == parts for j in range(len(printed) - len(parts) + 1)
            )
            if not (whole or split):
                failures.append(f"{role} row {i} {column}={code!r}: not on line {n}")
    assert failures == []


@needs_seed
def test_every_text_value_is_printed_on_its_line() -> None:
    failures = []
    for role, i, n, row in table_rows():
        for column, value in row.items():
            if not isinstance(value, str) or column in CLASSIFIER_COLUMNS:
                continue
            where = RELOCATED_TEXT.get((role, n, value), n)
            if squash(value) not in squash(line(where)):
                failures.append(f"{role} row {i} {column}={value!r}: not on line {where}")
    assert failures == []


@needs_seed
def test_every_figure_sits_in_its_printed_column() -> None:
    """Placement: each amount (and each T12 indicator cell) is the cell its column's header
    position points at, except on the documented shifted lines, where it is the cell
    `offset` away; and where a column is null, no amount prints at its position."""
    failures = []
    for role, i, n, row in table_rows():
        printed = cells(n)
        at = PRINTED_AT[role].get(row.get("收支"), PRINTED_AT[role].get(None, {}))
        for column, base in at.items():
            index = base + sum(
                offset
                for lines, columns, offset in SHIFTED.get(role, [])
                if n in lines and column in columns
            )
            cell = printed[index] if 0 <= index < len(printed) else ""
            value = row[column]
            where = f"{role} row {i} (line {n}) {column}"
            if isinstance(value, str):
                if squash(value) != squash(cell):
                    failures.append(f"{where}={value!r} but cell {index} is {cell!r}")
            elif value is None:
                claimed = {
                    base2 + off
                    for lines, columns, off in SHIFTED.get(role, [])
                    if n in lines
                    for c2, base2 in at.items()
                    if c2 in columns and row[c2] is not None
                }
                if (
                    cell
                    and index not in claimed
                    and (AMOUNT_CELL.fullmatch(cell) or column in _T12[4:])
                ):
                    failures.append(f"{where} is null but cell {index} is {cell!r}")
            elif not AMOUNT_CELL.fullmatch(cell) or dec(cell) != dec(value):
                failures.append(f"{where}={value} but cell {index} is {cell!r}")
    assert failures == []


@needs_seed
def test_every_printed_amount_is_transcribed_exactly_once() -> None:
    """Completeness: on every line of the seed, the multiset of printed amount cells equals
    the multiset of numbers in the rows sourced from that line (two-sided tables: both rows)."""
    by_line = rows_by_line()
    failures = []
    for n in range(1, len(seed_lines()) + 1):
        printed = amount_cells(n)
        transcribed: Counter[Decimal] = Counter()
        for _, _, row in by_line.get(n, []):
            transcribed.update(v for _, v in numbers_of(row))
        if printed != transcribed:
            missing = printed - transcribed
            extra = transcribed - printed
            failures.append(
                f"line {n}: not transcribed {sorted(missing.elements())}, "
                f"not printed {sorted(extra.elements())}"
            )
    assert failures == []


@needs_seed
def test_every_printed_cell_is_transcribed() -> None:
    """Every non-empty cell of a row's source line is in one of that line's rows: as a number,
    as a code or code part (类/款/项), or as text (whitespace-insensitive)."""
    by_line = rows_by_line()
    failures = []
    for n, entries in sorted(by_line.items()):
        numbers: set[Decimal] = set()
        texts: set[str] = set()
        for role, _, row in entries:
            numbers.update(v for _, v in numbers_of(row))
            for column, value in row.items():
                if isinstance(value, str):
                    texts.add(squash(value))
                    if column in code_columns(role):
                        texts.update(code_parts(value))
        for cell in cells(n):
            if not cell:
                continue
            if AMOUNT_CELL.fullmatch(cell) and dec(cell) in numbers:
                continue
            if squash(cell) not in texts:
                failures.append(f"line {n}: cell {cell!r} not transcribed")
    assert failures == []


@needs_seed
def test_every_tabular_line_is_a_row_or_a_header() -> None:
    sourced = set(rows_by_line())
    start = min(sourced)
    failures = []
    for n in range(start, len(seed_lines()) + 1):
        if "\t" not in line(n):
            continue
        if n in HEADER_LINES:
            assert n not in sourced, f"line {n} is a header but also a row's source"
            assert not amount_cells(n), f"header line {n} prints amounts"
        elif n not in sourced:
            failures.append(f"line {n} is tabular but no row comes from it: {line(n)[:60]!r}")
    assert failures == []


@needs_seed
def test_required_statements_present() -> None:
    missing = [name for name in REQUIRED_STATEMENTS if name not in document()["statements"]]
    assert missing == []


@needs_seed
def test_statement_values_and_texts_are_on_their_lines() -> None:
    failures = []
    for name, st in document()["statements"].items():
        n, text, value = st["line"], st["text"], dec(st["value"])
        if squash(text) not in squash(line(n)):
            failures.append(f"{name}: text {text!r} not on line {n}")
            continue
        in_text = value in number_tokens(text) or any(
            ch in text and CN_NUMERALS[ch] == value for ch in CN_NUMERALS
        )
        if not in_text:
            failures.append(f"{name}: value {value} not in its text {text!r}")
        if value in number_tokens(text) and value not in number_tokens(line(n)):
            failures.append(f"{name}: value {value} not on line {n}")
        if st.get("unit") == "%" and not re.search(
            rf"(?<![\d.]){re.escape(str(st['value']))}0*\s*%", text
        ):
            failures.append(f"{name}: {st['value']}% not in {text!r}")
        if "wording" in st and st["wording"] not in text:
            failures.append(f"{name}: wording {st['wording']!r} not in {text!r}")
    assert failures == []


@needs_seed
def test_every_prose_figure_is_a_statement() -> None:
    """In the prose (everything before the tables), each number that is not a year or a list
    number is the value of a statement on that line (one statement per occurrence), or is
    quoted inside a statement's text (thresholds such as 单价 50 万元以上)."""
    lines = seed_lines()
    first_table = min(rows_by_line())
    by_line: dict[int, list[dict[str, Any]]] = {}
    for st in document()["statements"].values():
        by_line.setdefault(st["line"], []).append(st)
    failures = []
    for n in range(1, first_table):
        text = YEAR.sub("", LIST_NUMBER.sub("", lines[n - 1]))
        tokens = Counter(number_tokens(text))
        statements = by_line.get(n, [])
        values = Counter(
            dec(st["value"]) for st in statements if dec(st["value"]) in number_tokens(st["text"])
        )
        if values - tokens:
            failures.append(
                f"line {n}: statements {sorted((values - tokens).elements())} "
                f"exceed the printed figures"
            )
        quoted = {t for st in statements for t in number_tokens(YEAR.sub("", st["text"]))}
        for token in (tokens - values).elements():
            if token not in quoted or token in values:
                failures.append(f"line {n}: figure {token} is in no statement")
    assert failures == []
