"""The grammar and the lark tree → AST step (checker.syntax): every construct, spans, errors."""

from __future__ import annotations

from dataclasses import MISSING, fields, is_dataclass, replace
from decimal import Decimal
from typing import Any

import pytest

from checker.ast import (
    NOWHERE,
    Aggregate,
    Alias,
    And,
    BinOp,
    Call,
    CellRef,
    ColumnRef,
    Compare,
    Exists,
    Include,
    InColumn,
    InValues,
    IsEmpty,
    IsNull,
    Name,
    Neg,
    Not,
    Number,
    Or,
    Predicate,
    Rollup,
    RowKey,
    Rule,
    Span,
    StartsWith,
    String,
)
from checker.diagnostics import Diagnostic
from checker.syntax import (
    describe_expected,
    levenshtein,
    parse_file,
    parse_text,
    parser,
    read_rules_file,
)


def nospan(node: Any) -> Any:
    """The same tree with every span reset, so trees compare by structure only."""
    if isinstance(node, tuple):
        return tuple(nospan(n) for n in node)
    if not is_dataclass(node) or isinstance(node, Span):
        return node
    changes = {}
    for f in fields(node):
        value = getattr(node, f.name)
        if f.name == "span":
            changes[f.name] = f.default if f.default is not MISSING else NOWHERE
        elif f.name.endswith("_span") or f.name.endswith("_spans") or f.name == "part_spans":
            continue
        else:
            changes[f.name] = nospan(value)
    return replace(node, **changes)


def parse_raw(text: str) -> list[Rule | Rollup]:
    ruleset, diags = parse_text(text, "t.rules")
    assert diags == [], [d.format("en") for d in diags]
    return list(ruleset.rules)


def parse_ok(text: str) -> list[Rule | Rollup]:
    return [nospan(r) for r in parse_raw(text)]


def one_check(text: str) -> object:
    rules = parse_ok(text)
    assert len(rules) == 1
    rule = rules[0]
    assert isinstance(rule, Rule)
    return rule.check


def errors(text: str) -> list[Diagnostic]:
    _, diags = parse_text(text, "t.rules")
    return [d for d in diags if d.severity == "error"]


def name(*parts: str) -> Name:
    return Name(parts)


# --------------------------------------------------------------------------- scopes and rules


def test_design_card_line_parses_as_written_inside_in_scope() -> None:
    rules = parse_ok(
        "in 收支表:\n"
        '  rule SZ-01 "收入总计 = 本年收入合计 + 上年结转结余":\n'
        "    收入总计 = 本年收入合计 + 上年结转结余\n"
    )
    rule = rules[0]
    assert isinstance(rule, Rule)
    assert rule.scope_table == "收支表" and not rule.per_row
    check = rule.check
    assert isinstance(check, Compare) and check.op == "="
    assert check.left == name("收入总计")
    assert check.right == BinOp("+", name("本年收入合计"), name("上年结转结余"))


def test_per_row_scope_with_filter() -> None:
    rules = parse_ok(
        "for each row in 支出表 where 科目编码 is not null:\n"
        '  rule ZC-01 "合计 = 基本支出 + 项目支出":\n'
        "    合计 = 基本支出.小计 + 项目支出.小计\n"
    )
    rule = rules[0]
    assert isinstance(rule, Rule)
    assert rule.scope_table == "支出表" and rule.per_row
    assert rule.row_filter == IsNull(name("科目编码"), negated=True)
    assert isinstance(rule.check, Compare)
    assert rule.check.right == BinOp("+", name("基本支出", "小计"), name("项目支出", "小计"))


def test_column_template_scope() -> None:
    rules = parse_ok(
        "for each amount column c in 支出表:\n"
        '  rule ZC-10 "合计行 = 各项级科目之和":\n'
        "    支出表[合计].c = sum(支出表.c where length(科目编码) = 7)\n"
    )
    rule = rules[0]
    assert isinstance(rule, Rule)
    assert rule.column_var is not None and rule.column_var.name == "c"
    assert rule.column_var_table == "支出表"
    assert isinstance(rule.check, Compare)
    assert rule.check.left == CellRef("支出表", RowKey("合计"), "c")
    agg = rule.check.right
    assert isinstance(agg, Aggregate)
    assert (agg.func, agg.table, agg.column) == ("sum", "支出表", "c")
    assert agg.where == Compare("=", Call("length", (name("科目编码"),)), Number(Decimal(7)))


def test_nested_scopes_combine() -> None:
    rules = parse_ok(
        "for each amount column c in 支出表:\n"
        "  for each row in 支出表 where 科目编码 is not null:\n"
        '    rule A "t": c >= 0\n'
        "in 收支表:\n"
        "  for each row in 支出表:\n"
        '    rule B "t": 合计 >= 0\n'
        '  rule C "t": 收入总计 >= 0\n'
    )
    a, b, c = rules
    assert isinstance(a, Rule) and isinstance(b, Rule) and isinstance(c, Rule)
    assert a.column_var is not None and a.per_row and a.scope_table == "支出表"
    assert b.per_row and b.scope_table == "支出表"  # the inner scope wins
    assert c.scope_table == "收支表" and not c.per_row


def test_rule_metadata_block_and_inline() -> None:
    rules = parse_ok(
        'rule SM-03 warning "说明：基本支出占比" tags 说明, 占比:\n'
        '  description "所述占比等于计算值"\n'
        '  source "部门预算公开说明（K）"\n'
        "  tags 表三\n"
        "  precision 0.1\n"
        "  when 说明.支出.基本支出占比 is not null\n"
        "  说明.支出.基本支出占比 = pct(支出表[合计].基本支出.小计, 支出表[合计].合计)\n"
        'rule X info "inline": 1 = 1\n'
    )
    rule, inline = rules
    assert isinstance(rule, Rule) and isinstance(inline, Rule)
    meta = rule.meta
    assert (meta.id, meta.title, meta.severity) == ("SM-03", "说明：基本支出占比", "warning")
    assert meta.tags == ("说明", "占比", "表三")
    assert meta.description == "所述占比等于计算值" and meta.source == "部门预算公开说明（K）"
    assert rule.precision == Decimal("0.1")
    assert rule.when == IsNull(name("说明", "支出", "基本支出占比"), negated=True)
    assert inline.meta.severity == "info" and inline.meta.title == "inline"
    raw = parse_raw('rule SM-03 "t": 1 = 1\n')[0]
    assert raw.meta.span.line == 1 and raw.meta.span.column == 6


def test_when_colon_check_form() -> None:
    rules = parse_ok('rule KB-01 "基金表为空":\n  when 收支表[政府性基金] = 0: 基金表 is empty\n')
    rule = rules[0]
    assert isinstance(rule, Rule)
    assert rule.when == Compare("=", CellRef("收支表", RowKey("政府性基金")), Number(Decimal(0)))
    assert rule.check == IsEmpty("基金表")


def test_when_line_and_when_check_combine() -> None:
    rules = parse_ok('rule A "t":\n  when a = 1\n  when b = 2: c = 3\n')
    rule = rules[0]
    assert isinstance(rule, Rule) and isinstance(rule.when, And)
    assert len(rule.when.items) == 2


def test_file_header_alias_include_and_comments() -> None:
    ruleset, diags = parse_text(
        "# 规则集\n"
        'ruleset "部门预算·河南2023" version "1.0"   # 名称\n'
        "precision 0.01 万元\n"
        "alias 收支表 = 部门收支总体情况表\n"
        "alias 支出表 ＝ `部门支出总体情况表`\n"
        'include "收支.rules"\n'
        "\n"
        '# 结尾注释 without newline at EOF\nrule A "t": 1 = 1 # trailing',
        "h.rules",
    )
    assert diags == []
    assert (ruleset.name, ruleset.version) == ("部门预算·河南2023", "1.0")
    assert (ruleset.precision, ruleset.unit) == (Decimal("0.01"), "万元")
    assert [(a.name, a.target) for a in ruleset.aliases] == [
        ("收支表", "部门收支总体情况表"),
        ("支出表", "部门支出总体情况表"),
    ]
    assert nospan(ruleset.includes) == (Include("收支.rules"),)
    assert isinstance(ruleset.aliases[0], Alias)


def test_rollup_declaration() -> None:
    rules = parse_ok(
        'rollup ZC-20 "功能分类逐级汇总" in 支出表 by 科目编码 levels 3, 5, 7\n'
        'rollup ZC-21 warning "两列" in 支出表 by 科目编码 levels 3,5,7 '
        "columns 合计, 基本支出.小计:\n"
        '  description "只检查两列"\n'
        "in 支出表:\n"
        '  rollup ZC-22 "表名来自作用域" by 科目编码 levels 3, 5\n'
    )
    a, b, c = rules
    assert isinstance(a, Rollup) and isinstance(b, Rollup) and isinstance(c, Rollup)
    assert (a.table, a.code_column, a.levels, a.columns) == ("支出表", "科目编码", (3, 5, 7), ())
    assert b.levels == (3, 5, 7) and b.columns == ("合计", "基本支出.小计")
    assert b.meta.severity == "warning" and b.meta.description == "只检查两列"
    assert c.table == "支出表" and c.levels == (3, 5)


# --------------------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    ("written", "op"),
    [
        ("=", "="),
        ("＝", "="),
        ("==", "="),
        ("!=", "!="),
        ("≠", "!="),
        ("<>", "!="),
        ("<", "<"),
        ("<=", "<="),
        ("≤", "<="),
        (">", ">"),
        (">=", ">="),
        ("≥", ">="),
    ],
)
def test_comparison_operators(written: str, op: str) -> None:
    check = one_check(f'rule A "t": a {written} b\n')
    assert check == Compare(op, name("a"), name("b"))  # type: ignore[arg-type]


def test_full_width_arithmetic_and_punctuation() -> None:
    check = one_check('rule A "t"：收入总计 ＝ （本年收入合计 ＋ 上年结转结余） － 1 × 2 ÷ 4\n')
    assert isinstance(check, Compare)
    assert check.right == BinOp(
        "-",
        BinOp("+", name("本年收入合计"), name("上年结转结余")),
        BinOp("/", BinOp("*", Number(Decimal(1)), Number(Decimal(2))), Number(Decimal(4))),
    )


def test_precedence_and_unary_minus() -> None:
    check = one_check('rule A "t": -a + b * -c = -5\n')
    assert check == Compare(
        "=",
        BinOp("+", Neg(name("a")), BinOp("*", name("b"), Neg(name("c")))),
        Number(Decimal(-5)),
    )


def test_numbers_with_thousands_separators() -> None:
    check = one_check('rule A "t": 4,708.93 = 1,000,000 + 0.5\n')
    assert check == Compare(
        "=",
        Number(Decimal("4708.93")),
        BinOp("+", Number(Decimal("1000000")), Number(Decimal("0.5"))),
    )


def test_comma_space_separates_arguments_and_1234_is_one_number() -> None:
    check = one_check('rule A "t": round(x, 2) = round(x,2)\n')
    assert isinstance(check, Compare)
    assert check.left == check.right == Call("round", (name("x"), Number(Decimal(2))))
    diags = errors('rule A "t": pct(1,234) = 1\n')
    assert [d.code for d in diags] == ["rules.syntax.arity"]
    assert diags[0].hint == "rules.hint.thousands"


def test_identifiers_with_parenthesised_parts_and_backquotes() -> None:
    check = one_check(
        'rule A "t": 因公出国(境)费 + 部门（单位）整体绩效 = `一般公共预算“三公”经费`.合计\n'
    )
    assert isinstance(check, Compare)
    assert check.left == BinOp("+", name("因公出国(境)费"), name("部门（单位）整体绩效"))
    assert check.right == name("一般公共预算“三公”经费", "合计")


def test_function_call_is_not_swallowed_by_identifier_rule() -> None:
    check = one_check('rule A "t": abs(x) = length(y)\n')
    assert check == Compare("=", Call("abs", (name("x"),)), Call("length", (name("y"),)))


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("收入总计", RowKey("收入总计", "label")),
        ("2080101", RowKey("2080101", "code")),
        ("035001", RowKey("035001", "code")),
        ('"一、一般公共预算"', RowKey("一、一般公共预算", "label")),
        ("`其中：财政拨款`", RowKey("其中：财政拨款", "label")),
    ],
)
def test_row_keys(key: str, expected: RowKey) -> None:
    check = one_check(f'rule A "t": 表[{key}].列 = 表［{key}］\n')
    assert isinstance(check, Compare)
    assert check.left == CellRef("表", expected, "列")
    assert check.right == CellRef("表", expected, None)


def test_outer_row_reference_in_aggregate() -> None:
    rules = parse_ok(
        "for each row in 收入总表:\n"
        '  rule DW-01 "t": sum(项目支出表.合计 where 单位代码 = row.单位代码) <= 总计\n'
    )
    check = rules[0].check  # type: ignore[union-attr]
    assert isinstance(check, Compare) and isinstance(check.left, Aggregate)
    assert check.left.where == Compare(
        "=", name("单位代码"), ColumnRef(None, "单位代码", outer=True)
    )


def test_aggregates() -> None:
    check = one_check(
        'rule A "t": count(表 where a > 1) + min(表.a) + max(表.b.c where x startswith "208") = 0\n'
    )
    assert isinstance(check, Compare)
    left = check.left
    assert isinstance(left, BinOp) and isinstance(left.left, BinOp)
    count, minimum = left.left.left, left.left.right
    maximum = left.right
    assert count == Aggregate("count", "表", None, Compare(">", name("a"), Number(Decimal(1))))
    assert minimum == Aggregate("min", "表", "a")
    assert maximum == Aggregate("max", "表", "b.c", StartsWith(name("x"), String("208")))


def test_scalar_functions() -> None:
    check = one_check(
        'rule A "t": abs(a) + round(b) + pct(c, d) + amount(e, 万元) + length(f) '
        '+ coalesce(g, h, 0) + amount(i, "元") = 0\n'
    )
    calls: list[Call] = []
    node = check.left  # type: ignore[attr-defined]
    while isinstance(node, BinOp):
        assert isinstance(node.right, Call)
        calls.append(node.right)
        node = node.left
    assert isinstance(node, Call)
    calls.append(node)
    by_name = {c.func: c for c in calls}
    assert by_name["round"].args == (name("b"), Number(Decimal(0)))
    assert by_name["pct"].args == (name("c"), name("d"))
    assert by_name["amount"].args[1] in (String("万元"), String("元"))
    assert len(by_name["coalesce"].args) == 3


def test_predicates() -> None:
    check = one_check(
        'rule A "t": matches(编码, "^[0-9]{21}$") and 类型 in ("其他运转类", "特定目标类")'
        " and 单位代码 in 收入总表.单位代码 and 单位代码 not in 收入总表.单位代码"
        ' and 科目编码 startswith "208" and 名称 is null and 表 is not empty'
        " and exists 表[合计] and not (a = 1 or b = 2)\n"
    )
    assert isinstance(check, And)
    kinds = [type(item) for item in check.items]
    assert kinds == [
        Predicate,
        InValues,
        InColumn,
        InColumn,
        StartsWith,
        IsNull,
        IsEmpty,
        Exists,
        Not,
    ]
    assert check.items[0] == Predicate("matches", (name("编码"), String("^[0-9]{21}$")))
    assert check.items[2] == InColumn(name("单位代码"), "收入总表", "单位代码")
    assert isinstance(check.items[3], InColumn) and check.items[3].negated
    assert check.items[6] == IsEmpty("表", negated=True)
    not_item = check.items[8]
    assert isinstance(not_item, Not) and isinstance(not_item.item, Or)


def test_statement_reference_is_a_dotted_name() -> None:
    check = one_check('rule A "t": 说明.收支总体.收入总计 = 1\n')
    assert check == Compare("=", name("说明", "收支总体", "收入总计"), Number(Decimal(1)))


def test_strings_quotes_and_escapes() -> None:
    check = one_check('rule A "t": a = "x\\"y" or a = “全角引号”\n')
    assert check == Or(
        (Compare("=", name("a"), String('x"y')), Compare("=", name("a"), String("全角引号")))
    )


def test_multiline_expressions_in_brackets_and_backslash() -> None:
    check = one_check('rule A "t":\n  a = (b\n+ c)\n')
    assert check == Compare("=", name("a"), BinOp("+", name("b"), name("c")))
    check = one_check('rule A "t": a = b \\\n    + c\n')
    assert check == Compare("=", name("a"), BinOp("+", name("b"), name("c")))


# --------------------------------------------------------------------------- spans


def test_spans_are_file_line_column() -> None:
    rules = parse_raw('\n\nin 收支表:\n  rule A "t":\n    收入总计 = 本年收入合计\n')
    check = rules[0].check  # type: ignore[union-attr]
    assert isinstance(check, Compare) and isinstance(check.right, Name)
    span = check.right.span
    assert (span.file, span.line, span.column, span.end_column) == ("t.rules", 5, 12, 18)
    assert str(span) == "t.rules:5:12"
    assert check.left.span.column == 5  # type: ignore[union-attr]
    assert rules[0].span.line == 4


def test_cell_reference_part_spans() -> None:
    check = parse_raw('rule A "t": 支出表[合计].基本支出.小计 = 0\n')[0].check
    assert isinstance(check, Compare) and isinstance(check.left, CellRef)
    ref = check.left
    assert ref.table_span is not None and ref.column_span is not None
    assert (ref.table_span.column, ref.table_span.end_column) == (13, 16)
    assert (ref.row.span.column, ref.row.span.end_column) == (17, 19)
    assert (ref.column_span.column, ref.column_span.end_column) == (21, 28)


# --------------------------------------------------------------------------- errors


def test_syntax_error_position_caret_and_expected_words() -> None:
    diags = errors('rule A "t": 收入总计 = \n')
    assert len(diags) == 1
    d = diags[0]
    assert (d.location.line, d.location.column) == (1, 20)  # where more was expected
    assert d.hint == "rules.hint.expected"
    zh, en = d.hint_message("zh"), d.hint_message("en")
    assert zh is not None and zh.startswith("期望：标识符") and "数字" in zh and "(" in zh
    assert en is not None and "a name" in en and "a number" in en


def test_describe_expected_reads_like_the_issue() -> None:
    assert describe_expected({"NAME", "NUMBER", "LPAR"}) == "标识符、数字或 ("
    assert describe_expected({"NAME", "NUMBER", "LPAR"}, "en") == "a name, a number or ("


@pytest.mark.parametrize(
    ("text", "candidate"),
    [
        ('rul A "t": 1 = 1\n', "rule"),
        ('fro each row in 表:\n  rule A "t": 1 = 1\n', "for"),
        ('rule A warnin "t": 1 = 1\n', "warning"),
    ],
)
def test_misspelt_keyword_gets_did_you_mean(text: str, candidate: str) -> None:
    diags = errors(text)
    assert diags and diags[0].hint == "rules.hint.did-you-mean"
    assert candidate in (diags[0].hint_message("en") or "")


def test_unknown_function_did_you_mean() -> None:
    diags = errors('rule A "t": summ(表.列) = 1\n')
    assert [d.code for d in diags] == ["rules.syntax.unknown-function"]
    assert "sum" in (diags[0].hint_message("en") or "")


def test_recovery_reports_every_broken_rule_and_keeps_the_rest() -> None:
    ruleset, diags = parse_text(
        'rule A "t": a = = b\n'
        'rule B "t": 1 = 1\n'
        "in 收支表:\n"
        '  rule C "t": 收入总计 = (\n'
        '  rule D "t": 收入总计 = 1\n'
        '  rule E "t": 收入总计 $ 1\n'
        'rule F "t": 2 = 2\n',
        "r.rules",
    )
    # rule C's "(" swallows the next line: the error is where "rule" appears inside it,
    # with a hint naming the unclosed "("; recovery drops rule C and keeps rule D
    assert [d.location.line for d in diags] == [1, 5, 6]
    assert diags[1].hint == "rules.hint.unclosed"
    assert [r.meta.id for r in ruleset.rules] == ["B", "D", "F"]


def test_unclosed_bracket_hint_points_at_the_bracket() -> None:
    diags = errors('rule A "t": a = (b + 1\nrule B "t": 1 = 1\n')
    assert len(diags) == 1
    assert diags[0].hint == "rules.hint.unclosed"
    assert diags[0].hint_args["line"] == 1 and diags[0].hint_args["column"] == 17


def test_bad_dedent_and_unexpected_indent() -> None:
    diags = errors('in 表:\n    rule A "t": a = 1\n  rule B "t": b = 1\n')
    assert [d.code for d in diags] == ["rules.syntax.indent"]
    assert diags[0].location.line == 3
    diags = errors('rule A "t": a = 1\n    + 2\n')
    assert [d.code for d in diags] == ["rules.syntax.unexpected-indent"]


def test_unterminated_string() -> None:
    diags = errors('rule A "t: a = 1\n')
    assert [d.code for d in diags] == ["rules.syntax.unterminated-string"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('rule A "t": a + 1\n', "rules.syntax.not-a-condition"),
        ('rule A "t": (a = 1) + 1 = 2\n', "rules.syntax.not-a-value"),
        ('rule A "t": abs(a where b = 1) = 1\n', "rules.syntax.where-misplaced"),
        ('rule A "t": sum(a) = 1\n', "rules.syntax.aggregate-column"),
        ('rule A "t": count(表.列) = 1\n', "rules.syntax.count-arg"),
        ('rule A "t": matches(a, "[") \n', "rules.syntax.bad-regex"),
        ('rule A "t": matches(a, "(?=x)") \n', "rules.syntax.regex-unsupported"),
        ('rule A "t": matches(a, b) \n', "rules.syntax.regex-literal"),
        ('rule A "t": amount(a, 千元) = 1\n', "rules.syntax.bad-unit"),
        ('rule A "t": round(a, 0.5) = 1\n', "rules.syntax.round-digits"),
        ('rule A "t": 表[1.5] = 1\n', "rules.syntax.bad-row-key"),
        ('rule A "t": a.b[x] = 1\n', "rules.syntax.dotted-table"),
        ('rule A "t": exists a\n', "rules.syntax.exists-arg"),
        ('rule A "t": a in b\n', "rules.syntax.in-column"),
        ('rule A "t": a.b is empty\n', "rules.syntax.not-a-table"),
        (
            'rule A "t":\n  description "a"\n  description "b"\n  1 = 1\n',
            "rules.syntax.duplicate-meta",
        ),
        ('rule A "t":\n  description "a"\n', "rules.syntax.missing-check"),
        ('rule A "t":\n  1 = 1\n  2 = 2\n', "rules.syntax.two-checks"),
        ('rollup R "t" by 科目编码 levels 3, 5\n', "rules.syntax.rollup-table"),
        ('rollup R "t" in 表 by 科目编码 levels 0, 5\n', "rules.syntax.rollup-level"),
        ('rollup R "t" in 表 by c levels 3, 5:\n  1 = 1\n', "rules.syntax.rollup-body"),
        ("precision 0.01 千元\n", "rules.syntax.bad-unit"),
        ('ruleset "a"\nruleset "b"\n', "rules.syntax.duplicate-header"),
        ("alias a < b\n", "rules.syntax.alias-op"),
        ('rule A "t": `` = 1\n', "rules.syntax.empty-name"),
        (
            "for each amount column c in 表:\n"
            "  for each amount column d in 表:\n"
            '    rule A "t": 1 = 1\n',
            "rules.syntax.nested-column-scope",
        ),
    ],
)
def test_semantic_slips_found_while_building_the_ast(text: str, code: str) -> None:
    assert code in [d.code for d in errors(text)]


def test_limits_give_diagnostics_not_recursion_errors() -> None:
    assert [d.code for d in errors('rule A "t": ' + "(" * 100 + "1" + ")" * 100 + " = 1\n")] == [
        "rules.syntax.too-deep"
    ]
    assert [d.code for d in errors('rule A "t": ' + "-" * 100 + "1 = 1\n")] == [
        "rules.syntax.too-deep"
    ]
    assert [d.code for d in errors('rule A "t": ' + "1 + " * 300 + "1 = 1\n")] == [
        "rules.syntax.too-complex"
    ]
    deep = "".join("  " * i + "in 表:\n" for i in range(30)) + "  " * 30 + 'rule A "t": 1 = 1\n'
    assert "rules.syntax.too-deep" in [d.code for d in errors(deep)]
    assert [d.code for d in errors("x" * 1_000_000)] == ["rules.syntax.line-too-long"]


def test_empty_files_are_errors() -> None:
    for text in ("", "\n\n", "# 只有注释\n", "\ufeff"):
        assert [d.code for d in errors(text)] == ["rules.io.empty"]


def test_crlf_bom_and_tabs() -> None:
    ruleset, diags = parse_text('\ufeffin 表:\r\n\trule A "t":\r\n\t\ta = 1\r\n', "w.rules")
    assert diags == [] and ruleset.rules[0].meta.id == "A"


def test_non_utf8_file_is_reported_at_the_bad_byte(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "latin1.rules"
    path.write_bytes('rule A "t": 1 = 1\n# café\n'.encode("latin-1"))
    text, diags = read_rules_file(path)
    assert text is None
    assert [(d.code, d.location.line, d.location.column) for d in diags] == [
        ("rules.io.not-utf8", 2, 6)
    ]
    _, diags = parse_file(Path(str(tmp_path)) / "missing.rules")
    assert [d.code for d in diags] == ["rules.io.not-found"]


def test_parser_is_built_once() -> None:
    assert parser() is parser()


def test_levenshtein_counts_swaps_as_one_edit() -> None:
    assert levenshtein("合计", "合汁") == 1
    assert levenshtein("fro", "for") == 1
    assert levenshtein("收支表", "收支总表") == 1
    assert levenshtein("abc", "xyz", limit=1) == 2
