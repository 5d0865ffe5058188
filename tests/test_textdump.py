"""Text dumps: rows the converter printed a cell short are read where they add up, said
in an import note, and never used to hide a published inconsistency."""

from __future__ import annotations

from typing import Any

from checker.documents.importer import note_diagnostic
from checker.documents.layout import find_layout
from checker.documents.reading import Reader
from checker.documents.textdump import _sums, layout_text

TITLE = "2023年一般公共预算支出情况表\n\n单位：万元\n"
HEADER = [
    "科目编码\t\t\t单位代码\t单位(科目名称)\t合计\t基本支出\t\t\t\t项目支出\t\t\t",
    "类\t款\t项\t\t\t\t小计\t人员经费\t\t公用经费\t\t小计\t其他运转类\t特定目标类",
    "\t\t\t\t\t\t\t工资福利支出\t对个人和家庭的补助\t商品和服务支出\t资本性支出\t\t\t",
]


def _read(*rows: str) -> tuple[list[dict[str, Any]], list[Any]]:
    layout = find_layout("budget-document")
    assert layout is not None
    reader = Reader(layout, "dump.txt")
    reader.read([layout_text(TITLE + "\n".join([*HEADER, *rows]) + "\n")])
    table = reader.tables["一般公共预算支出情况表"]
    return table.rows, reader.notes


def test_a_complete_row_is_read_as_printed() -> None:
    rows, notes = _read("208\t01\t01\t\t行政运行\t411.27\t411.27\t371.92\t17.38\t21.97\t\t\t\t")
    assert rows[0]["基本支出.公用经费.商品和服务支出"] == 21.97
    assert rows[0]["项目支出.小计"] is None
    assert not [n for n in notes if n.code.endswith("-row")]


def test_a_row_printed_a_cell_short_is_read_where_its_totals_add_up() -> None:
    rows, notes = _read("208\t01\t04\t\t综合业务管理\t70.00\t\t\t\t\t70.00\t\t70.00\t")
    row = rows[0]
    assert row["基本支出.公用经费.资本性支出"] is None
    assert (row["项目支出.小计"], row["项目支出.其他运转类"], row["项目支出.特定目标类"]) == (
        70.0,
        None,
        70.0,
    )
    (note,) = [n for n in notes if n.code == "import.shifted-row"]
    assert note.place.line == 7 and note.text == "70.00、70.00"
    message = note_diagnostic(note).format("en")
    assert message.startswith("dump.txt:7: warning: table 一般公共预算支出情况表: ")
    assert "70.00: 基本支出.公用经费.资本性支出 → 项目支出.小计" in message


def test_a_published_inconsistency_is_not_moved_away() -> None:
    """合计 12.00 against 项目支出 11.00: no one-column shift makes this row add up, so it
    is read as printed (the checker reports it), with no note."""
    rows, notes = _read("213\t08\t04\t\t创业担保贷款贴息\t12.00\t\t\t\t\t\t11.00\t11.00\t")
    row = rows[0]
    assert (row["合计"], row["项目支出.小计"], row["项目支出.其他运转类"]) == (12.0, 11.0, 11.0)
    assert not [n for n in notes if n.code.endswith("-row")]


def test_the_totals_a_header_implies() -> None:
    """合计/小计/总计 is the sum of its siblings (a group counts by its own total, or its
    members); a 其中 column is part of a sibling, not of the total."""
    layout = find_layout("budget-document")
    assert layout is not None
    spec = layout.table("部门收入总体情况表")
    assert spec is not None
    amounts = [c.name for c in spec.blocks[0].columns if c.name not in ("单位代码", "单位名称")]
    found = _sums(spec.blocks[0], amounts)
    sums = {s.total: s.parts for s in found if not s.bound}
    # a 其中 column never exceeds the total of its group
    assert [(s.total, s.parts) for s in found if s.bound] == [
        ("本年收入.一般公共预算.小计", ("本年收入.一般公共预算.财政拨款",))
    ]
    assert sums["总计"] == ("本年收入.合计", "上年结转结余.合计")
    assert sums["本年收入.合计"][0] == "本年收入.一般公共预算.小计"
    assert "本年收入.一般公共预算.财政拨款" not in sums["本年收入.合计"]
    assert "本年收入.一般公共预算.小计" not in sums  # 小计 of 其中 only: nothing to add
    assert sums["上年结转结余.合计"][-1] == "上年结转结余.单位资金"


# 支出经济分类汇总表 as the seed prints it: the header lines out of line with the data
# (总计 over the 政府 科目名称 column, 其中：财政拨款 last), every data row 18 cells
T7_HEADER = [
    "部门预算经济分类\t\t\t政府预算经济分类\t\t总计\t一般公共预算\t\t政府性基金\t国有资本经营预算"
    "\t上年结转结余\t财政专户管理资金收入\t事业收入\t上级补助收入\t附属单位上缴收入\t事业单位经营收入"
    "\t其他收入\t",
    "类\t款\t科目名称\t类\t款\t\t科目名称\t小计\t\t\t\t\t\t\t\t\t\t其中：财政拨款",
]


def _read_t7(*rows: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    layout = find_layout("budget-document")
    assert layout is not None
    reader = Reader(layout, "dump.txt")
    text = "2023年支出经济分类汇总表\n\n单位：万元\n" + "\n".join([*T7_HEADER, *rows]) + "\n"
    reader.read([layout_text(text)])
    table = reader.tables["支出经济分类汇总表"]
    table.finish()
    return table.rows, table.places, reader.notes


def test_a_table_read_by_position_takes_the_nth_cell_as_the_nth_column() -> None:
    """The layout says 支出经济分类汇总表 is read by position ("positional"): a row printing
    its 18 cells is read column by column whatever the header lines print above them; a row
    printing another number of cells cannot be placed (unresolved, import.positional-row)."""
    rows, places, notes = _read_t7(
        "\t\t合计\t\t\t\t7.70\t7.70\t7.70\t\t\t\t\t\t\t\t\t",
        "035\t\t某某局\t\t\t\t7.70\t7.70\t7.70\t\t\t\t\t\t\t\t\t",
        "302\t01\t办公费\t502\t01\t办公经费\t7.70\t7.70\t7.70\t\t\t\t\t\t\t\t\t",
        "302\t07\t邮电费\t502\t01\t办公经费\t1.09\t1.09\t\t\t\t\t\t\t\t\t",
    )
    total, unit, row, short = rows
    assert (total["名称"], total["部门经济分类名称"], total["总计"]) == ("合计", None, 7.7)
    # 035 is no 部门预算经济分类 code (3xx): the unit's code, and its name the row's label
    assert (unit["单位代码"], unit["部门经济分类编码"], unit["名称"]) == ("035", None, "某某局")
    assert places[1]["cells"]["单位代码"]["under"] == "部门经济分类编码"
    assert row == {
        **dict.fromkeys(row),
        "部门经济分类编码": "30201",
        "部门经济分类名称": "办公费",
        "政府经济分类编码": "50201",
        "政府经济分类名称": "办公经费",
        "总计": 7.7,
        "一般公共预算.小计": 7.7,
        "一般公共预算.财政拨款": 7.7,
    }
    assert all(v is None for v in short.values())
    assert all(c.get("unresolved") for c in places[3]["cells"].values())
    (note,) = [n for n in notes if n.code == "import.positional-row"]
    assert note.place.line == 9 and note.text == "302、07、邮电费、502、01、办公经费、1.09、1.09"
    assert note.candidates[0].startswith("17 cells printed, 18 by position: 部门经济分类编码 | ")
    assert not [
        n for n in notes if n.code in ("import.column-unmatched", "import.unreadable-amount")
    ]


def test_a_figure_adding_up_in_two_columns_of_a_positional_table_is_unresolved() -> None:
    """In a table read by position (its header printed out of line with its data) a row
    may still be printed a cell short with an empty cell trailing it. Where the row adds
    up both as printed and read one column right (27.11 as 国有资本经营预算 or as
    上年结转结余: 总计 = 小计 + 27.11 either way), the figure is unresolved, both columns
    named (import.ambiguous-row). Where a reading breaks a total or puts a 其中 above its
    total (7.70 as 财政拨款 with an empty 小计), the row is read as printed."""
    rows, places, notes = _read_t7(
        "\t\t合计\t\t\t\t4,736.03\t4,708.93\t4,648.93\t\t27.11\t\t\t\t\t\t\t",
        "302\t01\t办公费\t502\t01\t办公经费\t7.70\t7.70\t7.70\t\t\t\t\t\t\t\t\t",
    )
    total, row = rows
    assert (total["总计"], total["一般公共预算.小计"], total["一般公共预算.财政拨款"]) == (
        4736.03,
        4708.93,
        4648.93,
    )
    assert (total["国有资本经营预算"], total["上年结转结余"]) == (None, None)
    cell = places[0]["cells"]["国有资本经营预算"]
    assert cell == {"line": 6, "text": "27.11", "unresolved": True}
    (note,) = [n for n in notes if n.code == "import.ambiguous-row"]
    assert (note.place.line, note.text) == (6, "27.11")
    assert note.candidates == ("27.11: 国有资本经营预算 → 上年结转结余",)
    assert (row["一般公共预算.小计"], row["一般公共预算.财政拨款"], row["政府性基金"]) == (
        7.7,
        7.7,
        None,
    )
