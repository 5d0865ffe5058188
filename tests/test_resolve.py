"""Binding rules to the template (checker.resolve): the resolved form and its diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from checker.ast import (
    Aggregate,
    BinOp,
    CellRef,
    ColumnRef,
    Compare,
    IsNull,
    Name,
    Rollup,
    RowKey,
    Rule,
    Ruleset,
    StatementRef,
)
from checker.diagnostics import Diagnostic
from checker.resolve import load_ruleset, resolve_text, rule_files
from checker.resources import rulesets_dir
from checker.syntax import iter_children
from checker.template import load_template

T1 = "部门收支总体情况表"
T3 = "部门支出总体情况表"
ALIAS_T1 = "alias 收支表 = 部门收支总体情况表\n"
ALIAS_T3 = "alias 支出表 = 部门支出总体情况表\n"
PRELUDE = ALIAS_T1 + ALIAS_T3


def resolved(text: str) -> tuple[Ruleset, list[Diagnostic]]:
    return resolve_text(text, "r.rules")


def ok(text: str) -> Ruleset:
    ruleset, diags = resolved(text)
    assert diags == [], [d.format("en") for d in diags]
    return ruleset


def codes(text: str, severity: str | None = None) -> list[str]:
    _, diags = resolved(text)
    return [d.code for d in diags if severity is None or d.severity == severity]


def only(text: str, code: str) -> Diagnostic:
    _, diags = resolved(text)
    found = [d for d in diags if d.code == code]
    assert found, [d.format("en") for d in diags]
    return found[0]


def walk(node: object) -> Iterator[object]:
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(iter_children(item))


# --------------------------------------------------------------------------- the shipped ruleset


def test_shipped_ruleset_resolves_cleanly() -> None:
    ruleset, diags = load_ruleset([rulesets_dir() / "部门预算"])
    assert diags == [], [d.format("en") for d in diags]
    ids = [r.meta.id for r in ruleset.rules]
    assert {"SZ-01", "ZC-01", "ZC-02", "ZC-20", "SM-04"} <= set(ids)
    assert "ZC-10[基本支出.小计]" in ids and "ZC-10[合计]" in ids
    assert ruleset.precision == Decimal("0.01") and ruleset.unit == "万元"
    assert ruleset.name == "部门预算公开·河南2023"
    for rule in ruleset.rules:
        assert rule.meta.title and rule.meta.description and rule.meta.source
        for node in walk(rule):
            assert not isinstance(node, Name), (rule.meta.id, node)
        if isinstance(rule, Rule):
            assert rule.column_var is None


def test_rule_files_of_a_folder_is_its_entry_file() -> None:
    folder = rulesets_dir() / "部门预算"
    assert rule_files(folder) == [folder / "ruleset.rules"]


# --------------------------------------------------------------------------- resolved form


def test_in_scope_bare_names_become_cells_with_the_default_column() -> None:
    ruleset = ok(
        ALIAS_T1
        + 'in 收支表:\n  rule SZ-01 "t":\n    收入总计 = 本年收入合计 + 上年结转结余.金额\n'
    )
    rule = ruleset.rules[0]
    assert isinstance(rule, Rule)
    assert rule.scope_table is None and not rule.per_row  # folded into the cells
    check = rule.check
    assert isinstance(check, Compare) and isinstance(check.left, CellRef)
    assert (check.left.table, check.left.row, check.left.column) == (
        T1,
        RowKey("收入总计", "label", check.left.row.span),
        "金额",
    )
    assert isinstance(check.right, BinOp) and isinstance(check.right.right, CellRef)
    assert check.right.right.row.value == "上年结转结余" and check.right.right.column == "金额"


def test_per_row_bare_names_become_columns_and_filter_is_resolved() -> None:
    ruleset = ok(
        ALIAS_T3 + "for each row in 支出表 where 科目编码 is not null:\n"
        '  rule ZC-01 "t": 合计 = 基本支出.小计 + 支出表.项目支出.小计\n'
    )
    rule = ruleset.rules[0]
    assert isinstance(rule, Rule)
    assert rule.scope_table == T3 and rule.per_row
    assert isinstance(rule.row_filter, IsNull)
    assert rule.row_filter.operand == ColumnRef(T3, "科目编码", False, rule.row_filter.operand.span)
    check = rule.check
    assert isinstance(check, Compare) and isinstance(check.right, BinOp)
    assert isinstance(check.left, ColumnRef) and check.left.column == "合计"
    assert isinstance(check.right.right, ColumnRef)
    assert check.right.right.column == "项目支出.小计"


def test_column_template_is_expanded_per_amount_column() -> None:
    ruleset = ok(
        ALIAS_T3 + "for each amount column c in 支出表:\n"
        '  rule ZC-10 "t": 支出表[合计].c = sum(支出表.c where length(科目编码) = 7)\n'
    )
    rules = [r for r in ruleset.rules if isinstance(r, Rule)]
    columns = [r.expanded_column for r in rules]
    assert columns[0] == "合计" and "基本支出.人员经费.工资福利支出" in columns
    assert len(rules) == 9  # every amount column of 部门支出总体情况表
    for rule in rules:
        assert rule.meta.id == f"ZC-10[{rule.expanded_column}]"
        check = rule.check
        assert isinstance(check, Compare) and isinstance(check.left, CellRef)
        assert isinstance(check.right, Aggregate)
        assert check.left.column == check.right.column == rule.expanded_column
        assert check.right.table == T3


def test_outer_row_reference_is_marked() -> None:
    ruleset = ok(
        "for each row in 收入总表:\n"
        '  rule DW-01 "t": sum(项目支出表.合计 where 单位代码 = row.单位代码) <= 总计\n'
    )
    rule = ruleset.rules[0]
    assert isinstance(rule, Rule) and isinstance(rule.check, Compare)
    agg = rule.check.left
    assert isinstance(agg, Aggregate) and isinstance(agg.where, Compare)
    inner, outer = agg.where.left, agg.where.right
    assert isinstance(inner, ColumnRef) and not inner.outer and inner.table == "项目支出表"
    assert isinstance(outer, ColumnRef) and outer.outer and outer.table == "部门收入总体情况表"


def test_tables_by_role_published_name_year_prefix_and_alias() -> None:
    ruleset = ok(
        'rule A "t": 部门收支总体情况表[收入总计] = 收支总表[收入总计]\n'
        'rule B "t": `2023年部门收支总体情况表`[收入总计] = 部门收支总表[收入总计]\n'
    )
    for rule in ruleset.rules:
        assert isinstance(rule, Rule) and isinstance(rule.check, Compare)
        assert isinstance(rule.check.left, CellRef) and isinstance(rule.check.right, CellRef)
        assert rule.check.left.table == rule.check.right.table == T1


def test_statement_reference() -> None:
    ruleset = ok('rule SM-01 "t": 说明.收支总体.收入总计 = 收支总表[收入总计]\n')
    check = ruleset.rules[0].check  # type: ignore[union-attr]
    assert isinstance(check, Compare)
    assert check.left == StatementRef("收支总体.收入总计", check.left.span)
    assert "支出.基本支出占比" in load_template().statements


def test_rollup_is_resolved_with_its_columns() -> None:
    ruleset = ok(ALIAS_T3 + 'rollup ZC-20 "t" in 支出表 by 科目编码 levels 3, 5, 7\n')
    rollup = ruleset.rules[0]
    assert isinstance(rollup, Rollup)
    assert rollup.table == T3 and rollup.code_column == "科目编码"
    assert rollup.columns[0] == "合计" and len(rollup.columns) == 9


# --------------------------------------------------------------------------- unknown names


@pytest.mark.parametrize(
    ("text", "code", "where", "candidate"),
    [
        (
            PRELUDE + 'rule A "t": 支出表[合计].合汁 = 1\n',
            "rules.resolve.unknown-column",
            (3, 21),
            "合计",
        ),
        (
            PRELUDE + 'rule A "t": 支出标[合计].合计 = 1\n',
            "rules.resolve.unknown-table",
            (3, 13),
            "支出表",
        ),
        (
            PRELUDE + 'in 收支标:\n  rule A "t": 收入总计 = 1\n',
            "rules.resolve.unknown-table",
            (3, 4),
            "收支表",
        ),
        (
            PRELUDE + 'for each row in 支出表:\n  rule A "t": 基本支出.小记 = 1\n',
            "rules.resolve.unknown-column",
            (4, 15),
            "基本支出.小计",
        ),
        (
            PRELUDE + 'rule A "t": sum(支出表.基本支出.小记) = 1\n',
            "rules.resolve.unknown-column",
            (3, 21),
            "基本支出.小计",
        ),
        (
            PRELUDE + 'rollup R "t" in 支出表 by 科目编玛 levels 3, 5\n',
            "rules.resolve.unknown-column",
            (3, 24),
            "科目编码",
        ),
        (
            'rule A "t": 部门收支总休情况表[收入总计] = 1\n',
            "rules.resolve.unknown-table",
            (1, 13),
            "部门收支总体情况表",
        ),
        (
            "alias 收支表 = 部门收支总体情况\n",
            "rules.resolve.unknown-table",
            (1, 13),
            "部门收支总体情况表",
        ),
    ],
)
def test_unknown_names_point_at_the_name_and_suggest(
    text: str, code: str, where: tuple[int, int], candidate: str
) -> None:
    d = only(text, code)
    assert (d.location.line, d.location.column) == where
    assert candidate in (d.hint_message("zh") or ""), d.format("zh")


def test_did_you_mean_normalises_full_width_and_numbering() -> None:
    # the written name differs from the schema's only by full-width brackets: found directly
    ok('rule A "t": 部门（单位）整体绩效目标表 is not empty\n')
    d = only(
        'rule A "t": `（一）部门收支总体情况标`[收入总计] = 1\n', "rules.resolve.unknown-table"
    )
    assert "部门收支总体情况表" in (d.hint_message("en") or "")


def test_unknown_name_at_document_level() -> None:
    d = only('rule A "t": 收入总计 = 1\n', "rules.resolve.unknown-name")
    assert "表[行].列" in d.message("zh")


def test_whole_column_and_table_as_value_are_errors() -> None:
    assert "rules.resolve.whole-column" in codes('rule A "t": 支出总表.合计 = 1\n')
    assert "rules.resolve.table-as-value" in codes('rule A "t": 支出总表 = 1\n')


def test_row_keys_need_label_or_code_columns() -> None:
    assert "rules.resolve.no-label" in codes('rule A "t": 三公经费支出情况表[合计].合计 = 1\n')
    assert "rules.resolve.no-code" in codes('rule A "t": 三公经费支出情况表[301].合计 = 1\n')
    ok('rule A "t": 支出总表[2080101].合计 >= 0\n')
    warning = only('rule A "t": 支出总表[20801011].合计 >= 0\n', "rules.resolve.code-never")
    assert warning.severity == "warning"


# --------------------------------------------------------------------------- types


def test_arithmetic_on_text_is_an_error() -> None:
    d = only(
        'for each row in 支出总表:\n  rule A "t": 名称 + 1 = 合计\n', "rules.resolve.arith-text"
    )
    assert (d.location.line, d.location.column) == (2, 15)


def test_matches_on_amount_is_an_error() -> None:
    assert "rules.resolve.expected-text" in codes(
        'for each row in 支出总表:\n  rule A "t": matches(合计, "[0-9]+")\n'
    )


def test_comparing_text_with_a_number_is_an_error_with_a_quote_hint() -> None:
    d = only(
        'for each row in 支出总表:\n  rule A "t": 科目编码 = 208\n', "rules.resolve.compare-types"
    )
    assert d.hint == "rules.hint.quote-code"
    assert "rules.resolve.expected-text" in codes(
        'for each row in 支出总表:\n  rule A "t": 科目编码 startswith 208\n'
    )
    assert "rules.resolve.compare-types" in codes(
        'for each row in 支出总表:\n  rule A "t": 科目编码 in (208, 209)\n'
    )
    assert "rules.resolve.expected-amount" in codes('rule A "t": sum(支出总表.名称) = 1\n')


def test_every_error_of_a_rule_is_reported() -> None:
    _, diags = resolved(
        ALIAS_T3 + 'rule A "t": 支出表[合计].合汁 = 支出标[合计].合计 + 说明.支出.基本支出占笔\n'
    )
    assert [d.code for d in diags] == [
        "rules.resolve.unknown-column",
        "rules.resolve.unknown-table",
        "rules.resolve.unknown-statement",
    ]


def test_rule_with_an_error_is_left_out() -> None:
    ruleset, _ = resolved('rule A "t": 支出总表[合计].合汁 = 1\nrule B "t": 1 = 1\n')
    assert [r.meta.id for r in ruleset.rules] == ["B"]


# --------------------------------------------------------------------------- warnings


def test_unused_alias_is_a_warning() -> None:
    d = only(PRELUDE + 'rule A "t": 收支表[收入总计] = 1\n', "rules.resolve.unused-alias")
    assert d.severity == "warning" and d.args["name"] == "支出表"


def test_alias_conflicts() -> None:
    assert "rules.resolve.alias-conflict" in codes("alias 收支总表 = 部门支出总体情况表\n")
    assert "rules.resolve.alias-redefined" in codes(
        "alias 表 = 部门支出总体情况表\nalias 表 = 部门收支总体情况表\n"
    )


@pytest.mark.parametrize(
    "filter_",
    [
        "length(科目编码) = 4",
        '科目编码 = "2080"',
        '科目编码 startswith "x"',
        '科目编码 in ("1", "22")',
        '科目编码 is not null and 科目编码 startswith "20801011"',
    ],
)
def test_filters_that_can_never_hold_are_warnings(filter_: str) -> None:
    d = only(
        f'for each row in 支出总表 where {filter_}:\n  rule A "t": 合计 >= 0\n',
        "rules.resolve.never-applies",
    )
    assert d.severity == "warning"


@pytest.mark.parametrize(
    "filter_",
    ['科目编码 startswith "9"', "length(科目编码) = 7", '科目编码 = "208"', "科目编码 is null"],
)
def test_filters_that_can_hold_are_quiet(filter_: str) -> None:
    ok(f'for each row in 支出总表 where {filter_}:\n  rule A "t": 合计 >= 0\n')


def test_never_applies_inside_aggregate_where() -> None:
    d = only(
        'rule A "t": sum(支出总表.合计 where length(科目编码) = 8) = 0\n',
        "rules.resolve.never-applies",
    )
    assert d.severity == "warning"


def test_unknown_statement_is_a_warning_with_suggestion() -> None:
    ruleset, diags = resolved('rule A "t": 说明.支出.基本支出占笔 = 1\n')
    assert [d.code for d in diags] == ["rules.resolve.unknown-statement"]
    assert diags[0].severity == "warning"
    assert "支出.基本支出占比" in (diags[0].hint_message("en") or "")
    assert len(ruleset.rules) == 1  # a warning keeps the rule


def test_unused_column_variable_is_a_warning() -> None:
    assert "rules.resolve.column-var-unused" in codes(
        'for each amount column c in 支出总表:\n  rule A "t": 支出总表[合计].合计 >= 0\n'
    )


def test_outer_row_outside_per_row_rule_is_an_error() -> None:
    assert "rules.resolve.outer-row" in codes('rule A "t": row.合计 = 1\n')


def test_rollup_checks() -> None:
    assert "rules.resolve.rollup-code" in codes('rollup R "t" in 支出总表 by 名称 levels 3, 5\n')
    assert "rules.resolve.rollup-levels" in codes(
        'rollup R "t" in 支出总表 by 科目编码 levels 5, 3\n'
    )
    assert "rules.resolve.rollup-level-never" in codes(
        'rollup R "t" in 支出总表 by 科目编码 levels 3, 4\n'
    )
    assert "rules.resolve.rollup-column" in codes(
        'rollup R "t" in 支出总表 by 科目编码 levels 3, 5 columns 名称\n'
    )


# --------------------------------------------------------------------------- files and includes


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_includes_are_merged_and_aliases_are_shared(tmp_path: Path) -> None:
    write(
        tmp_path,
        "ruleset.rules",
        'ruleset "x"\nprecision 0.01 万元\n'
        + PRELUDE
        + 'include "a.rules"\ninclude "sub/b.rules"\n',
    )
    write(tmp_path, "a.rules", 'rule A "t": 收支表[收入总计] = 1\n')
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "b.rules", 'include "../a.rules"\nrule B "t": 支出表[合计].合计 = 1\n')
    ruleset, diags = load_ruleset([tmp_path])
    assert diags == [], [d.format("en") for d in diags]
    assert [r.meta.id for r in ruleset.rules] == ["A", "B"]  # a.rules read once
    assert ruleset.name == "x"


def test_duplicate_ids_across_includes(tmp_path: Path) -> None:
    write(tmp_path, "ruleset.rules", 'include "a.rules"\nrule A "t": 1 = 1\n')
    write(tmp_path, "a.rules", 'rule A "t": 2 = 2\n')
    _, diags = load_ruleset([tmp_path / "ruleset.rules"])
    dup = [d for d in diags if d.code == "rules.resolve.duplicate-id"]
    assert len(dup) == 1
    assert dup[0].location.file.endswith("ruleset.rules") and dup[0].location.line == 2
    assert "a.rules:1:6" in (dup[0].hint_message("en") or "")


def test_include_cycles_and_missing_includes(tmp_path: Path) -> None:
    write(tmp_path, "a.rules", 'include "b.rules"\nrule A "t": 1 = 1\n')
    write(tmp_path, "b.rules", 'include "a.rules"\nrule B "t": 1 = 1\n')
    write(tmp_path, "self.rules", 'include "self.rules"\nrule S "t": 1 = 1\n')
    write(tmp_path, "missing.rules", 'include "nope.rules"\nrule M "t": 1 = 1\n')
    _, diags = load_ruleset([tmp_path / "a.rules"])
    assert [d.code for d in diags] == ["rules.resolve.include-cycle"]
    assert diags[0].location.file.endswith("b.rules") and diags[0].location.line == 1
    _, diags = load_ruleset([tmp_path / "self.rules"])
    assert [d.code for d in diags] == ["rules.resolve.include-cycle"]
    _, diags = load_ruleset([tmp_path / "missing.rules"])
    assert [(d.code, d.location.line) for d in diags] == [("rules.resolve.include-missing", 1)]
    _, diags = load_ruleset([tmp_path / "nothing-here.rules"])
    assert [d.code for d in diags] == ["rules.io.not-found"]


def test_precision_of_an_included_file_is_ignored_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "ruleset.rules", 'precision 0.01 万元\ninclude "a.rules"\n')
    write(tmp_path, "a.rules", 'precision 1 元\nrule A "t": 1 = 1\n')
    ruleset, diags = load_ruleset([tmp_path])
    assert ruleset.precision == Decimal("0.01")
    assert [d.code for d in diags] == ["rules.resolve.precision-ignored"]


def test_every_statement_a_layout_reads_is_known_to_its_template() -> None:
    from checker.documents.layout import all_layouts

    checked = 0
    for layout in all_layouts():
        known = set(load_template(str(layout.schema_file)).statements)
        unknown = [s.name for s in layout.statements if s.name not in known]
        assert not unknown, f"{layout.file}: {unknown}"
        checked += len(layout.statements)
    assert checked >= 50
