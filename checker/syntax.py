"""Rule files → AST (the *parsed* form of :mod:`checker.ast`), with diagnostics, never exceptions.

The grammar is ``grammar/rules.lark`` (LALR, contextual lexer, an indenter
post-lexer for blocks). The parser is built once per process (and cached on
disk across processes, see :func:`parser`).

Error recovery: a file is cut into top-level statements (a line at column 0
with no bracket left open); each is parsed on its own, so one broken rule
does not hide the others. Inside a statement, a syntax error blanks the
innermost rule or scope it happened in and the statement is parsed again, so
a broken rule inside an ``in 表:`` block is reported and its siblings are
still checked.

Public API: :func:`parse_text`, :func:`parse_file`, :func:`read_rules_file`,
:func:`parser`, :func:`iter_children`.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TypeVar, cast

import lark
from lark import Lark, Token, Transformer
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)
from lark.grammar import Rule as LarkRule
from lark.indenter import Indenter
from lark.lexer import TerminalDef

from checker.ast import (
    RELATIONS,
    Aggregate,
    Alias,
    And,
    Between,
    BinOp,
    Call,
    CellRef,
    ColumnRef,
    ColumnVar,
    Compare,
    Cond,
    Exists,
    Expr,
    GroupKey,
    Include,
    InColumn,
    InValues,
    IsEmpty,
    IsNull,
    Let,
    Meta,
    Name,
    Neg,
    Not,
    Number,
    Or,
    Predicate,
    Related,
    Rollup,
    RowKey,
    Rule,
    Ruleset,
    Span,
    StartsWith,
    String,
)
from checker.diagnostics import Diagnostic, Location, register
from checker.documents.amounts import MAX_AMOUNT
from checker.functions import AGGREGATES, FUNCTIONS, Function
from checker.intervals import QUANTUM
from checker.judging import valid_precision, valid_tolerance
from checker.regex import pattern_error
from checker.regex import unsupported as regex_unsupported
from checker.resources import grammar_path

# --------------------------------------------------------------------------- limits

MAX_LINE_LENGTH = 10_000  # characters; longer lines are reported, not parsed
MAX_BRACKET_DEPTH = 40  # ( [ nesting
MAX_PREFIX_RUN = 20  # consecutive - + not
MAX_BLOCK_DEPTH = 16  # nested scopes
MAX_EXPR_DEPTH = 200  # AST depth of one check (a sum of 200 terms is fine)
MAX_ERRORS_PER_STATEMENT = 20
MAX_ERRORS_PER_FILE = 50  # then the rest of the file is skipped, with a note
MAX_CACHED_CHUNK = 20_000  # characters: statements up to this size are memoised

UNITS = ("元", "万元", "亿元")
STATEMENT_PREFIXES = ("说明",)  # 说明.支出.基本支出占比 is a statement reference

KEYWORDS = [
    "ruleset",
    "version",
    "precision",
    "tolerance",
    "alias",
    "include",
    "rule",
    "rollup",
    "by",
    "levels",
    "columns",
    "error",
    "warning",
    "info",
    "tags",
    "description",
    "source",
    "when",
    "let",
    "in",
    "for",
    "each",
    "row",
    "group",
    "of",
    "amount",
    "column",
    "where",
    "or",
    "and",
    "not",
    "is",
    "null",
    "empty",
    "startswith",
    "between",
    "exists",
]

# --------------------------------------------------------------------------- messages

register(
    {
        "rules.io.not-found": ("找不到规则文件 {path}", "rule file not found: {path}"),
        "rules.io.not-utf8": (
            "规则文件不是 UTF-8 编码（第 {offset} 字节无法解码）",
            "the rule file is not UTF-8 (byte {offset} cannot be decoded)",
        ),
        "rules.io.empty": ("规则文件为空：没有任何规则", "empty rule file: no rules"),
        "rules.io.folder-unreadable": (
            "无法读取文件夹 {path}：{reason}；其中的规则文件未读取",
            "cannot read the folder {path}: {reason}; the rule files in it were not read",
        ),
        "rules.io.no-rule-files": (
            "目录 {path} 中没有 .rules 文件",
            "no .rules files in directory {path}",
        ),
        "rules.syntax.unexpected-char": ("无法识别的字符 {found}", "unexpected character {found}"),
        "rules.syntax.unexpected-token": ("此处不应出现 {found_zh}", "unexpected {found_en}"),
        "rules.syntax.unexpected-eof": ("规则意外结束", "unexpected end of the rule"),
        "rules.syntax.too-many-errors": (
            "错误过多（超过 {limit} 个），文件其余部分未检查",
            "too many errors (more than {limit}); the rest of the file is not checked",
        ),
        "rules.syntax.unterminated-string": (
            "字符串没有结束的引号（字符串不能跨行）",
            "unterminated string (a string cannot span lines)",
        ),
        "rules.syntax.indent": (
            "缩进与外层各级都不对齐",
            "the indentation does not match any outer level",
        ),
        "rules.syntax.unexpected-indent": ("多余的缩进", "unexpected indentation"),
        "rules.syntax.line-too-long": (
            "此行过长（{length} 个字符，上限 {limit}），未解析",
            "line too long ({length} characters, limit {limit}); not parsed",
        ),
        "rules.syntax.too-deep": (
            "嵌套过深（上限 {limit} 层）",
            "nested too deeply (limit {limit} levels)",
        ),
        "rules.syntax.too-complex": (
            "表达式过于复杂（嵌套超过 {limit} 层）",
            "expression too complex (nested more than {limit} levels)",
        ),
        "rules.syntax.not-a-condition": (
            "这里需要一个检查条件（如 a = b），而这是一个值",
            "a check (such as a = b) is needed here, but this is a value",
        ),
        "rules.syntax.not-a-value": (
            "这里需要一个值，而这是一个条件",
            "a value is needed here, but this is a condition",
        ),
        "rules.syntax.unknown-function": ("未知函数 {name}", "unknown function {name}"),
        "rules.syntax.precision-range": (
            "精度 {value} 不可用：金额精确到 0.0001，舍入区间的半宽（精度的一半）也须如此，"
            "所以精度须为正数且是 0.0002 的整数倍（如 0.01、0.1、1）",
            "precision {value} cannot be judged: amounts carry 4 decimals and so must the"
            " rounding interval's half-width (half the precision): a precision is positive"
            " and a multiple of 0.0002 (such as 0.01, 0.1, 1)",
        ),
        "rules.syntax.tolerance-range": (
            "容差 {value} 不可用：容差是不小于 0 的金额，最多 4 位小数（如 tolerance 1 万元）",
            "tolerance {value} cannot be judged: a tolerance is an amount of at least 0 with"
            " at most 4 decimals (such as tolerance 1 万元)",
        ),
        "rules.syntax.arity": (
            "{name} 需要 {expected} 个参数，这里有 {got} 个",
            "{name} takes {expected} argument(s), got {got}",
        ),
        "rules.syntax.where-misplaced": (
            "where 只能用在汇总函数（sum、count、min、max）的参数里",
            "where is only allowed inside an aggregate (sum, count, min, max)",
        ),
        "rules.syntax.aggregate-column": (
            "{name} 的参数应写作 表.列",
            "the argument of {name} must be written 表.列 (table.column)",
        ),
        "rules.syntax.count-arg": (
            "count 的参数应是一个表：count(表) 或 count(表 where 条件)",
            "count takes a table: count(表) or count(表 where condition)",
        ),
        "rules.syntax.bad-regex": (
            "正则表达式无效：{reason}",
            "invalid regular expression: {reason}",
        ),
        "rules.syntax.regex-unsupported": (
            "正则表达式不能使用环视 (?= (?! (?<= (?<! 或反向引用 \\1",
            "regular expressions cannot use look-around (?= (?! (?<= (?<! or back-references \\1",
        ),
        "rules.syntax.regex-literal": (
            "{name} 的正则表达式必须是字符串字面量",
            "the regular expression of {name} must be a string literal",
        ),
        "rules.syntax.bad-unit": (
            "未知的金额单位 {unit}（可用：元、万元、亿元）",
            "unknown unit {unit} (use 元, 万元 or 亿元)",
        ),
        "rules.syntax.round-digits": (
            "{name} 的参数 {param} 应是一个整数",
            "the argument {param} of {name} must be a whole number",
        ),
        "rules.syntax.bad-row-key": (
            "行键 {key} 无效：写行名（收入总计）、全数字的编码（2080101）或字符串",
            "invalid row key {key}: write a label (收入总计), "
            "an all-digit code (2080101) or a string",
        ),
        "rules.syntax.empty-name": ("反引号中的名称为空", "empty backquoted name"),
        "rules.syntax.dotted-table": (
            "表名 {name} 不能含点；用反引号或别名",
            "table name {name} cannot contain dots; backquote it or use an alias",
        ),
        "rules.syntax.not-a-table": (
            "这里需要一个表名，写作 {what}",
            "a table name is needed here, written {what}",
        ),
        "rules.syntax.in-column": (
            "in 后面应是 表.列 或 (值, 值, …)",
            "in must be followed by 表.列 (table.column) or (value, value, …)",
        ),
        "rules.syntax.exists-arg": ("exists 后面应是 表[行]", "exists must be followed by 表[行]"),
        "rules.syntax.duplicate-meta": (
            "规则中 {what} 重复出现",
            "{what} is given more than once in this rule",
        ),
        "rules.syntax.missing-check": (
            "规则 {id} 没有检查条件",
            "rule {id} has no check",
        ),
        "rules.syntax.two-checks": (
            "一条规则只能有一个检查条件；多个条件用 and 连接，或拆成多条规则",
            "a rule has one check; join conditions with and, or write several rules",
        ),
        "rules.syntax.rollup-body": (
            "rollup 的块中只能有 description、source、tags、precision、tolerance",
            "a rollup block may only contain description, source, tags, precision and tolerance",
        ),
        "rules.syntax.rollup-table": (
            "rollup {id} 需要指明表：rollup … in 表 by 列 levels …",
            "rollup {id} needs a table: rollup … in 表 by 列 levels …",
        ),
        "rules.syntax.rollup-level": (
            "层级 {level} 应是一个正整数（编码的位数）；多个层级用 “, ” 分隔",
            "level {level} must be a positive whole number (code digits); "
            "separate levels with ', '",
        ),
        "rules.syntax.nested-column-scope": (
            "for each amount column 不能嵌套",
            "for each amount column cannot be nested",
        ),
        "rules.syntax.rollup-in-column-scope": (
            "rollup 不能放在 for each amount column 中",
            "a rollup cannot be inside for each amount column",
        ),
        "rules.syntax.duplicate-header": (
            "文件中 {what} 重复声明",
            "{what} is declared more than once in this file",
        ),
        "rules.syntax.bad-number": ("数字 {text} 无效", "invalid number {text}"),
        "rules.syntax.number-range": (
            f"数字 {{text}} 不可用：金额精确到 0.0001，绝对值不超过 {MAX_AMOUNT:,}",
            f"the number {{text}} cannot be judged: amounts carry 4 decimals and are at most "
            f"{MAX_AMOUNT:,} in absolute value",
        ),
        "rules.syntax.let-op": ("let 应写作 let 名 = 值", "write let 名 = 值 (let name = value)"),
        "rules.syntax.let-order": (
            "let {name} 须写在 when 和检查条件之前：先定义值，再使用",
            "let {name} must come before the when and the check: define a value, then use it",
        ),
        "rules.syntax.group-nesting": (
            "for each group 的块中只能直接写规则（可以放在 for each amount column 中），"
            "不能再套 in、for each row、for each group 或 rollup",
            "a for each group block holds rules (it may sit in a for each amount column), not"
            " in, for each row, for each group or rollup",
        ),
        "rules.syntax.alias-op": ("alias 应写作 alias 短名 = 表名", "write alias 短名 = 表名"),
        "rules.syntax.statement-name": (
            "说明 后面应跟陈述名，如 说明.支出.基本支出占比",
            "说明 must be followed by a statement name, e.g. 说明.支出.基本支出占比",
        ),
        "rules.hint.expected": ("期望：{expected_zh}", "expected: {expected_en}"),
        "rules.hint.did-you-mean": ("您是不是要写 {candidates}？", "did you mean {candidates}?"),
        "rules.syntax.compare-null": (
            "null 不是一个值，不能用 {op} 比较",
            "null is not a value to compare with {op}",
        ),
        "rules.hint.is-null": (
            "请写 x {is}：单元格是否为空用 is null / is not null 判断，不用 {op} null 比较",
            "write x {is}: whether a cell is empty is tested with is null / is not null,"
            " not compared with {op} null",
        ),
        "rules.hint.percent": (
            "百分数写作百分点数，不带 %：18.76% 写作 18.76；占比用 pct(部分, 整体) 计算"
            "（部分 / 整体 × 100）",
            "a percentage is written as its number of percentage points, without %: 18.76%"
            " is 18.76; pct(part, whole) computes a share (part / whole × 100)",
        ),
        "rules.hint.unknown-function": ("可用的函数：{known_zh}", "the functions are {known_en}"),
        "rules.hint.unknown-function-near": (
            "您是不是要写 {candidates}？可用的函数：{known_zh}",
            "did you mean {candidates}? The functions are {known_en}",
        ),
        "rules.hint.unclosed": (
            "第 {line} 行第 {column} 列的 {bracket} 没有闭合",
            "the {bracket} at line {line}, column {column} is not closed",
        ),
        "rules.hint.wrap-lines": (
            "表达式要跨行时请放在括号里",
            "to continue an expression on the next line, wrap it in parentheses",
        ),
        "rules.hint.compare": (
            "检查条件要比较两个值，例如 合计 = 基本支出.小计 + 项目支出.小计",
            "a check compares two values, e.g. 合计 = 基本支出.小计 + 项目支出.小计",
        ),
        "rules.hint.thousands": (
            "参数之间的逗号后请加空格：1,234 是一个数（一千二百三十四）",
            "put a space after a comma between arguments: 1,234 is one number",
        ),
    }
)

_WORDS: dict[str, tuple[str, str]] = {
    "NAME": ("标识符", "a name"),
    "QNAME": ("`反引号名称`", "a `backquoted name`"),
    "NUMBER": ("数字", "a number"),
    "STRING": ("字符串", "a string"),
    "RULE_ID": ("规则编号", "a rule id"),
    "COMP_OP": ("比较符（= ≠ < ≤ > ≥）", "a comparison (= != < <= > >=)"),
    "ADD_OP": ("+ 或 -", "+ or -"),
    "MUL_OP": ("* 或 /", "* or /"),
    "LPAR": ("(", "("),
    "RPAR": (")", ")"),
    "LSQB": ("[", "["),
    "RSQB": ("]", "]"),
    "COLON": ("“:”", "':'"),
    "COMMA": ("“,”", "','"),
    "DOT": ("“.”", "'.'"),
    "_NL": ("换行", "end of line"),
    "_INDENT": ("缩进的块", "an indented block"),
    "_DEDENT": ("取消缩进", "less indentation"),
    "$END": ("文件结尾", "end of file"),
}
_WORD_ORDER = [
    "NAME",
    "QNAME",
    "NUMBER",
    "STRING",
    "RULE_ID",
    "LPAR",
    "LSQB",
    "COMP_OP",
    "ADD_OP",
    "MUL_OP",
    "COLON",
    "COMMA",
    "DOT",
    "RPAR",
    "RSQB",
    "_INDENT",
    "_NL",
    "_DEDENT",
    "$END",
]


def describe_expected(names: set[str] | frozenset[str], lang: str = "zh") -> str:
    """Lark terminal names → a readable list: ``标识符、数字或 (`` / ``a name, a number or (``."""
    idx = 0 if lang == "zh" else 1
    names = {n for n in names if n not in {"_BLANKED", "COMMENT"}}
    order = {n: i for i, n in enumerate(_WORD_ORDER)}
    words = []
    for n in sorted(names, key=lambda n: (order.get(n, 50 if n.isalpha() else 90), n)):
        if n in _WORDS:
            words.append(_WORDS[n][idx])
        elif n.isalpha() and n.lower() in KEYWORDS:
            words.append(n.lower())
        else:
            words.append(n)
    if not words:
        return "?"
    if len(words) > 9:
        return "、".join(words[:8]) + "等" if lang == "zh" else ", ".join(words[:8]) + ", …"
    if len(words) == 1:
        return words[0]
    if lang == "zh":
        joiner = " 或 " if words[-2][-1].isascii() else "或 "
        return "、".join(words[:-1]) + joiner + words[-1]
    return ", ".join(words[:-1]) + " or " + words[-1]


def expected_args(names: Sequence[str]) -> dict[str, str]:
    """Arguments of the ``rules.hint.expected`` hint, in both languages."""
    wanted = frozenset(names)
    return {
        "expected_zh": describe_expected(wanted, "zh"),
        "expected_en": describe_expected(wanted, "en"),
    }


# --------------------------------------------------------------------------- the parser


class _LayoutError(LarkError):
    """Raised by the indenter: bad dedent, or nesting beyond the limits."""

    def __init__(self, kind: str, line: int, column: int, limit: int = 0) -> None:
        super().__init__(kind)
        self.kind = kind
        self.line = line
        self.column = column
        self.limit = limit


class _RulesIndenter(Indenter):
    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]  # noqa: RUF012 (lark's interface)
    CLOSE_PAREN_types = ["RPAR", "RSQB"]  # noqa: RUF012
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 8

    def __init__(self) -> None:
        super().__init__()
        self.open_brackets: list[Token] = []

    def handle_NL(self, token: Token) -> Iterator[Token]:
        if self.paren_level > 0:
            return
        yield token
        indent_str = token.rsplit("\n", 1)[1] if "\n" in token else ""
        indent = len(indent_str) + indent_str.count("\t") * (self.tab_len - 1)
        line = (token.end_line or token.line or 1) if "\n" in token else (token.line or 1)
        if indent > self.indent_level[-1]:
            if len(self.indent_level) > MAX_BLOCK_DEPTH:
                raise _LayoutError("too-deep", line, len(indent_str) + 1, MAX_BLOCK_DEPTH)
            self.indent_level.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, indent_str, token)
        else:
            while indent < self.indent_level[-1]:
                self.indent_level.pop()
                yield Token.new_borrow_pos(self.DEDENT_type, indent_str, token)
            if indent != self.indent_level[-1]:
                raise _LayoutError("dedent", line, len(indent_str) + 1)

    def _process(self, stream: Iterator[Token]) -> Iterator[Token]:
        token = None
        prefix_run = 0
        self.open_brackets = []
        for token in stream:
            if token.type == self.NL_type:
                yield from self.handle_NL(token)
            else:
                yield token
            kind = token.type
            if kind in self.OPEN_PAREN_types:
                self.paren_level += 1
                self.open_brackets.append(token)
                if self.paren_level > MAX_BRACKET_DEPTH:
                    raise _LayoutError(
                        "too-deep", token.line or 1, token.column or 1, MAX_BRACKET_DEPTH
                    )
            elif kind in self.CLOSE_PAREN_types:
                self.paren_level = max(0, self.paren_level - 1)
                if self.open_brackets:
                    self.open_brackets.pop()
            if kind in ("ADD_OP", "NOT"):
                prefix_run += 1
                if prefix_run > MAX_PREFIX_RUN:
                    raise _LayoutError(
                        "too-deep", token.line or 1, token.column or 1, MAX_PREFIX_RUN
                    )
            else:
                prefix_run = 0
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            if token is not None:
                yield Token.new_borrow_pos(self.DEDENT_type, "", token)
            else:
                yield Token(self.DEDENT_type, "", 0, 1, 1, 1, 1, 0)


_LOCK = threading.Lock()
_INDENTER = _RulesIndenter()


@cache
def parser() -> Lark:
    """The rule-language parser, built once per process (and kept in the cache folder).

    Not with lark's own ``cache=``, which reads back an unsigned pickle: the built
    parser's tables are stored through :mod:`checker.diskcache`, whose entries are
    verified before they are unpickled."""
    from checker import diskcache

    grammar = grammar_path().read_text(encoding="utf-8")
    options: dict[str, Any] = {
        "parser": "lalr",
        "lexer": "contextual",
        "postlex": _INDENTER,
        "maybe_placeholders": False,
        "propagate_positions": False,  # spans come from tokens: 3x faster
    }
    given = {k: v for k, v in options.items() if k in _LOAD_OPTIONS}  # not stored, given again
    built_with = sorted((k, v) for k, v in options.items() if k not in _LOAD_OPTIONS)
    key = diskcache.digest(grammar, lark.__version__, sys.version, repr(built_with))
    entry = diskcache.entry("grammar", key)
    stored = diskcache.read(entry)
    if isinstance(stored, dict):
        try:
            loaded = Lark._load_from_dict(stored["data"], stored["memo"], **given)  # type: ignore[no-untyped-call]
            return cast(Lark, loaded)
        except Exception:  # another lark's tables: build afresh
            pass
    built = Lark(grammar, **options)
    data, memo = built.memo_serialize([TerminalDef, LarkRule])
    data["options"] = {k: v for k, v in data["options"].items() if k not in _LOAD_OPTIONS}
    diskcache.write(entry, {"data": data, "memo": memo})
    return built


# lark's options a parser loaded from its tables takes again (lark.lark._LOAD_ALLOWED_OPTIONS)
_LOAD_OPTIONS = frozenset({"postlex", "propagate_positions", "transformer", "lexer_callbacks"})


# --------------------------------------------------------------------------- reading files


def read_rules_file(path: str | Path) -> tuple[str | None, list[Diagnostic]]:
    """The text of a rule file, or None with a diagnostic (missing, unreadable, not a
    regular file, over the ``--max-bytes`` limit, not UTF-8)."""
    from checker.files import InputFileError, read_input

    name = str(path)
    try:
        data = read_input(path)
    except InputFileError as exc:
        if exc.missing:
            return None, [Diagnostic("rules.io.not-found", Location(name), {"path": name})]
        return None, [exc.diagnostic()]
    return decode_rules(data, name)


def decode_rules(data: bytes, file: str) -> tuple[str | None, list[Diagnostic]]:
    """Decode UTF-8 (a BOM is allowed); a bad byte is reported at its line and column."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        if good.startswith("\ufeff"):
            good = good[1:]
        line = good.count("\n") + 1
        column = len(good) - (good.rfind("\n") + 1) + 1
        loc = Location(file, line, column, line, column + 1)
        return None, [Diagnostic("rules.io.not-utf8", loc, {"offset": exc.start})]


# --------------------------------------------------------------------------- AST helpers


def iter_children(node: object) -> Iterator[object]:
    """The AST nodes directly below ``node`` (dataclass fields, tuples flattened)."""
    if not is_dataclass(node):
        return
    for f in fields(node):
        if f.name.endswith("span") or f.name == "part_spans":
            continue
        value = getattr(node, f.name)
        if isinstance(value, tuple):
            for item in value:
                if is_dataclass(item):
                    yield item
        elif is_dataclass(value):
            yield value


def descendants(node: object) -> Iterator[object]:
    """``node`` and every AST node below it (depth first, last child first)."""
    stack = [node]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(iter_children(item))


def _depth_and_poison(node: object) -> tuple[int, bool]:
    """Iteratively: the depth of ``node``'s tree and whether it holds an invalid placeholder."""
    deepest = 0
    stack: list[tuple[object, int]] = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if item is _INVALID:
            return depth, True
        deepest = max(deepest, depth)
        if depth > MAX_EXPR_DEPTH:
            return depth, False
        stack.extend((child, depth + 1) for child in iter_children(item))
    return deepest, False


_INVALID = String("\x00invalid")  # placeholder for a sub-expression already reported
_INVALID_COND = IsNull(_INVALID)

_COND_TYPES = (
    Compare,
    Between,
    And,
    Or,
    Not,
    IsNull,
    IsEmpty,
    Predicate,
    StartsWith,
    InValues,
    InColumn,
    Exists,
)

_COMPARE_OPS = {
    "=": "=",
    "＝": "=",
    "==": "=",
    "!=": "!=",
    "！=": "!=",
    "!＝": "!=",
    "！＝": "!=",
    "<>": "!=",
    "≠": "!=",
    "<": "<",
    "＜": "<",
    "<=": "<=",
    "≤": "<=",
    ">": ">",
    "＞": ">",
    ">=": ">=",
    "≥": ">=",
}
_ARITH_OPS = {"+": "+", "＋": "+", "-": "-", "－": "-", "−": "-", "*": "*", "×": "*"}
_ARITH_OPS |= {"/": "/", "÷": "/"}


def _unescape(token: str) -> str:
    if token.startswith("“"):
        return token[1:-1]
    body = token[1:-1]
    return re.sub(r'\\(["\\])', r"\1", body)


def levenshtein(a: str, b: str, limit: int | None = None) -> int:
    """Character edit distance: insert, delete, substitute, swap two neighbours (cost 1 each).

    Cut off early (returning ``limit + 1``) once the distance must exceed ``limit``.
    """
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            cost = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, before[j - 2] + 1)
            current.append(cost)
        if limit is not None and min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def closest(
    word: str,
    candidates: Sequence[str],
    key: Callable[[str], str] = lambda s: s,
    max_results: int = 3,
) -> list[str]:
    """The candidates nearest to ``word`` by edit distance (after ``key``), best first."""
    wanted = key(word)
    limit = max(1, min(len(wanted) // 2, 4))
    scored: dict[str, int] = {}
    for cand in candidates:
        dist = levenshtein(wanted, key(cand), limit)
        if dist <= limit and (cand not in scored or dist < scored[cand]):
            scored[cand] = dist
    ordered = sorted(scored, key=lambda c: (scored[c], c))
    if not ordered:
        return []
    best = scored[ordered[0]]
    return [c for c in ordered if scored[c] == best][:max_results]


def did_you_mean(candidates: Sequence[str]) -> dict[str, Any]:
    """Arguments of the did-you-mean hint."""
    return {"candidates": " / ".join(f"“{c}”" for c in candidates)}


def _tolerance_of(body: Sequence[Any]) -> tuple[Decimal | None, str | None]:
    """A rule's ``tolerance`` line as (amount, unit) (none, or one already reported: None)."""
    found = next((b.value for b in body if b.kind == "tolerance" and b.value is not None), None)
    return found if found is not None else (None, None)


def unknown_function(name: str) -> dict[str, Any]:
    """The arguments of an unknown-function error: its name, and a hint naming the
    nearest known functions and listing them all (checker.functions, the related
    documents' 上年 …)."""
    names = (*FUNCTIONS, *RELATIONS)
    cands = closest(name, names)
    listing = {"known_zh": "、".join(names), "known_en": ", ".join(names)}
    if cands:
        hint_args = did_you_mean(cands) | listing
        return {"name": name, "hint": "rules.hint.unknown-function-near", "hint_args": hint_args}
    return {"name": name, "hint": "rules.hint.unknown-function", "hint_args": listing}


# --------------------------------------------------------------------------- tree → AST


@dataclass(frozen=True)
class _Ident:
    text: str
    span: Span


@dataclass(frozen=True)
class _Item:
    """A rule-body line or header piece on its way into a Rule."""

    kind: str
    value: Any
    span: Span
    extra: Any = None


class _Builder(Transformer[Token, Any]):
    """Builds AST nodes from the lark tree; semantic slips become diagnostics."""

    def __init__(self, file: str, line_offset: int, diagnostics: list[Diagnostic]) -> None:
        super().__init__(visit_tokens=False)
        self.file = file
        self.offset = line_offset
        self.diagnostics = diagnostics
        self.thousands: set[tuple[int, int]] = set()  # numbers written with a comma

    # ---- spans and diagnostics

    def tspan(self, tok: Token) -> Span:
        line = (tok.line or 1) + self.offset
        end_line = (tok.end_line or tok.line or 1) + self.offset
        col = tok.column or 1
        end_col = tok.end_column or (col + len(tok))
        return Span(self.file, line, col, end_line, end_col)

    def span_of(self, *items: Any) -> Span:
        """From the start of the first item that has a place to the end of the last one."""
        first = next((s for s in map(self._span, items) if s is not None), None)
        if first is None:
            return Span(self.file, 1 + self.offset, 1, 1 + self.offset, 1)
        last = next(s for s in map(self._span, reversed(items)) if s is not None)
        return Span(self.file, first.line, first.column, last.end_line, last.end_column)

    def _span(self, item: Any) -> Span | None:
        if isinstance(item, Span):
            return item if item.line > 0 else None
        if isinstance(item, Token):
            return self.tspan(item) if item.line is not None else None
        if isinstance(item, list | tuple):
            if not item:
                return None
            return self.span_of(*item)
        span = getattr(item, "span", None)
        return span if isinstance(span, Span) and span.line > 0 else None

    def error(self, code: str, span: Span, severity: str = "error", **kw: Any) -> None:
        hint = kw.pop("hint", None)
        hint_args = kw.pop("hint_args", {})
        self.diagnostics.append(
            Diagnostic(
                code,
                Location(span.file, span.line, span.column, span.end_line, span.end_column),
                kw,
                cast(Any, severity),
                hint,
                hint_args,
            )
        )

    # ---- conditions vs values

    def as_cond(self, item: Any) -> Cond:
        if item is _INVALID:
            return _INVALID_COND
        if isinstance(item, _COND_TYPES):
            return item
        span = self._span(item) or self.span_of()
        self.error("rules.syntax.not-a-condition", span, hint="rules.hint.compare")
        return _INVALID_COND

    def as_expr(self, item: Any) -> Expr:
        if item is _INVALID_COND:
            return _INVALID
        if isinstance(item, _COND_TYPES):
            self.error("rules.syntax.not-a-value", item.span)
            return _INVALID
        return cast(Expr, item)

    # ---- names and references

    def ident(self, children: list[Token]) -> _Ident:
        tok = children[0]
        span = self.tspan(tok)
        text = str(tok)
        if tok.type == "QNAME":
            text = text[1:-1]
            if not text.strip():
                self.error("rules.syntax.empty-name", span)
                text = "\x00"
        return _Ident(text, span)

    def name(self, children: list[Any]) -> Name:
        parts = [c for c in children if isinstance(c, _Ident)]
        return Name(
            tuple(p.text for p in parts),
            self.span_of(parts[0], parts[-1]),
            part_spans=tuple(p.span for p in parts),
        )

    def unit(self, children: list[Token]) -> _Ident:
        tok = children[0]
        span = self.tspan(tok)
        if str(tok) not in UNITS:
            self.error("rules.syntax.bad-unit", span, unit=str(tok))
        return _Ident(str(tok), span)

    def row_key(self, children: list[Token]) -> RowKey:
        tok = children[0]
        span = self.tspan(tok)
        text = str(tok)
        if tok.type == "NUMBER":
            if text.isdigit():
                return RowKey(text, "code", span)
            self.error("rules.syntax.bad-row-key", span, key=text)
            return RowKey(text, "label", span)
        if tok.type == "STRING":
            return RowKey(_unescape(text), "label", span)
        if tok.type == "QNAME":
            text = text[1:-1]
        return RowKey(text, "label", span)

    def cell(self, children: list[Any]) -> Expr:
        table = children[0]
        assert isinstance(table, Name)
        row = next(c for c in children if isinstance(c, RowKey))
        columns = [c for c in children[1:] if isinstance(c, _Ident)]
        if len(table.parts) > 1:
            self.error("rules.syntax.dotted-table", table.span, name=table.text)
            return _INVALID
        column = ".".join(c.text for c in columns) if columns else None
        column_span = self.span_of(columns[0], columns[-1]) if columns else None
        return CellRef(
            table.parts[0],
            row,
            column,
            self.span_of(table, children[-1]),
            table_span=table.span,
            column_span=column_span,
        )

    def outer_column(self, children: list[Any]) -> ColumnRef:
        parts = [c for c in children if isinstance(c, _Ident)]
        return ColumnRef(None, ".".join(p.text for p in parts), True, self.span_of(children))

    # ---- literals

    def number(self, children: list[Token]) -> Expr:
        number = self._number(children[0])
        value = number.value  # a figure judging can hold: 4 decimals, |x| <= MAX_AMOUNT
        if abs(value) > MAX_AMOUNT or value != value.quantize(QUANTUM):
            self.error("rules.syntax.number-range", number.span, text=str(children[0]))
            return _INVALID
        return number

    def _number(self, tok: Token) -> Number:
        span = self.tspan(tok)
        if "," in tok:
            self.thousands.add((span.line, span.column))
        try:
            return Number(Decimal(str(tok).replace(",", "")), span)
        except InvalidOperation:
            self.error("rules.syntax.bad-number", span, text=str(tok))
            return Number(Decimal(0), span)

    def string(self, children: list[Token]) -> String:
        return String(_unescape(str(children[0])), self.tspan(children[0]))

    def paren(self, children: list[Any]) -> Any:
        inner = children[1]
        span = self.span_of(children)
        if isinstance(inner, (*_COND_TYPES, Number, String, BinOp, Neg, Call, Aggregate)):
            return replace(inner, span=span)
        return inner

    # ---- arithmetic

    def arith(self, children: list[Any]) -> Expr:
        return self._fold(children)

    def term(self, children: list[Any]) -> Expr:
        return self._fold(children)

    def _fold(self, children: list[Any]) -> Expr:
        left = self.as_expr(children[0])
        for i in range(1, len(children), 2):
            op = _ARITH_OPS[str(children[i])]
            right = self.as_expr(children[i + 1])
            left = BinOp(cast(Any, op), left, right, self.span_of(left, right))
        return left

    def unary(self, children: list[Any]) -> Expr:
        op = _ARITH_OPS[str(children[0])]
        operand = self.as_expr(children[1])
        span = self.span_of(children)
        if op == "+":
            return operand
        if isinstance(operand, Number):
            return Number(-operand.value, span)
        return Neg(operand, span)

    # ---- conditions

    def compare(self, children: list[Any]) -> Cond:
        left, op, right = children
        null = next((side for side in (left, right) if _bare_null(side)), None)
        if null is not None:  # x != null: the parser took null for a name
            negated = _COMPARE_OPS.get(str(op)) == "!="
            hint_args = {"op": str(op), "is": "is not null" if negated else "is null"}
            self.error(
                "rules.syntax.compare-null",
                null.span,
                op=str(op),
                hint="rules.hint.is-null",
                hint_args=hint_args,
            )
            return _INVALID_COND
        return Compare(
            cast(Any, _COMPARE_OPS.get(str(op), "=")),
            self.as_expr(left),
            self.as_expr(right),
            self.span_of(children),
        )

    def or_test(self, children: list[Any]) -> Cond:
        items = tuple(self.as_cond(c) for c in children if not isinstance(c, Token))
        return Or(items, self.span_of(children))

    def and_test(self, children: list[Any]) -> Cond:
        items = tuple(self.as_cond(c) for c in children if not isinstance(c, Token))
        return And(items, self.span_of(children))

    def not_test(self, children: list[Any]) -> Cond:
        return Not(self.as_cond(children[1]), self.span_of(children))

    def is_null(self, children: list[Any]) -> Cond:
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        return IsNull(self.as_expr(children[0]), negated, self.span_of(children))

    def is_empty(self, children: list[Any]) -> Cond:
        negated = any(isinstance(c, Token) and c.type == "NOT" for c in children)
        target = children[0]
        span = self.span_of(children)
        if not isinstance(target, Name) or len(target.parts) != 1:
            self.error("rules.syntax.not-a-table", self._span(target) or span, what="表 is empty")
            return _INVALID_COND
        return IsEmpty(target.parts[0], negated, span, table_span=target.span)

    def startswith(self, children: list[Any]) -> Cond:
        return StartsWith(
            self.as_expr(children[0]), self.as_expr(children[2]), self.span_of(children)
        )

    def between(self, children: list[Any]) -> Cond:
        operand, low, high = (self.as_expr(c) for c in children[0::2])
        return Between(operand, low, high, self.span_of(children))

    def in_values(self, children: list[Any]) -> Cond:
        negated = isinstance(children[1], Token) and children[1].type == "NOT"
        start = 4 if negated else 3
        values = tuple(self.as_expr(c) for c in children[start:] if not isinstance(c, Token))
        return InValues(self.as_expr(children[0]), values, negated, self.span_of(children))

    def in_column(self, children: list[Any]) -> Cond:
        negated = isinstance(children[1], Token) and children[1].type == "NOT"
        target = children[-1]
        assert isinstance(target, Name)
        if len(target.parts) < 2:
            self.error("rules.syntax.in-column", target.span)
            return _INVALID_COND
        return InColumn(
            self.as_expr(children[0]),
            target.parts[0],
            ".".join(target.parts[1:]),
            negated,
            self.span_of(children),
            table_span=target.part_spans[0] if target.part_spans else target.span,
            column_span=self._parts_span(target, 1),
        )

    def _parts_span(self, name: Name, first: int) -> Span:
        if len(name.part_spans) == len(name.parts) and first < len(name.parts):
            return self.span_of(name.part_spans[first], name.part_spans[-1])
        return name.span

    def exists(self, children: list[Any]) -> Cond:
        ref = children[1]
        if not isinstance(ref, CellRef):
            if ref is not _INVALID:
                self.error("rules.syntax.exists-arg", self._span(ref) or self.span_of(children))
            return _INVALID_COND
        return Exists(ref, self.span_of(children))

    # ---- calls

    def arg(self, children: list[Any]) -> _Item:
        where = self.as_cond(children[2]) if len(children) == 3 else None
        return _Item("arg", children[0], self.span_of(children), where)

    def call(self, children: list[Any]) -> Any:
        func_tok = children[0]
        func = str(func_tok)
        args = [c for c in children if isinstance(c, _Item)]
        span = self.span_of(children)
        fspan = self.tspan(func_tok)
        if func in RELATIONS:
            if not self._arity(func, args, "1", len(args) == 1, fspan) or args[0].extra:
                return _INVALID
            return Related(func, self.as_expr(args[0].value), span)
        spec = FUNCTIONS.get(func)
        if spec is None:
            self.error("rules.syntax.unknown-function", fspan, **unknown_function(func))
            return _INVALID
        if func not in AGGREGATES:
            for a in args:
                if a.extra is not None:
                    self.error("rules.syntax.where-misplaced", a.span)
                    return _INVALID
            return self._function(spec, args, span, fspan)
        return self._aggregate(func, args, span, fspan)

    def _arity(self, func: str, args: list[_Item], expected: str, ok: bool, span: Span) -> bool:
        if not ok:
            self.error(
                "rules.syntax.arity",
                span,
                name=func,
                expected=expected,
                got=len(args),
                hint="rules.hint.thousands" if any(self._has_thousands(a) for a in args) else None,
            )
        return ok

    def _has_thousands(self, a: _Item) -> bool:
        return isinstance(a.value, Number) and (a.value.span.line, a.value.span.column) in (
            self.thousands
        )

    def _aggregate(self, func: str, args: list[_Item], span: Span, fspan: Span) -> Expr:
        if not self._arity(func, args, "1", len(args) == 1, fspan):
            return _INVALID
        arg = args[0]
        where = arg.extra
        target: object = arg.value
        if target is _INVALID:
            return _INVALID
        if not isinstance(target, Name):
            code = "rules.syntax.count-arg" if func == "count" else "rules.syntax.aggregate-column"
            self.error(code, self._span(target) or arg.span, name=func)
            return _INVALID
        if func == "count":
            if len(target.parts) != 1:
                self.error("rules.syntax.count-arg", target.span, name=func)
                return _INVALID
            return Aggregate("count", target.parts[0], None, where, span, table_span=target.span)
        if len(target.parts) < 2:
            self.error("rules.syntax.aggregate-column", target.span, name=func)
            return _INVALID
        return Aggregate(
            cast(Any, func),
            target.parts[0],
            ".".join(target.parts[1:]),
            where,
            span,
            table_span=target.part_spans[0] if target.part_spans else target.span,
            column_span=self._parts_span(target, 1),
        )

    def _function(self, spec: Function, args: list[_Item], span: Span, fspan: Span) -> Any:
        """A call of a registered function: its arity, and each literal argument as its
        parameter's kind requires (checker.functions); a condition → Predicate."""
        if not self._arity(spec.name, args, spec.arity(), spec.accepts(len(args)), fspan):
            return _INVALID_COND if spec.result == "condition" else _INVALID
        values: list[Expr] = []
        for param, a in spec.bind(args):
            value: Expr | None
            if param.kind == "unit":
                value = self._unit_arg(a)
            elif param.kind == "pattern":
                value = self._pattern_arg(spec.name, a)
            else:
                value = self.as_expr(a.value)
            if param.kind == "digits" and not (
                isinstance(value, Number) and value.value == value.value.to_integral()
            ):
                self.error("rules.syntax.round-digits", a.span, name=spec.name, param=param.name)
                value = None
            if value is None or value is _INVALID:
                return _INVALID_COND if spec.result == "condition" else _INVALID
            values.append(value)
        left_out = spec.params[len(args) :]
        values += [Number(p.default, fspan) for p in left_out if p.default is not None]
        if spec.result == "condition":
            return Predicate(spec.name, tuple(values), span)
        return Call(spec.name, tuple(values), span)

    def _pattern_arg(self, func: str, a: _Item) -> String | None:
        """A regular expression: a string literal the engine check runs accepts."""
        pattern = a.value
        if not isinstance(pattern, String):
            self.error("rules.syntax.regex-literal", a.span, name=func)
            return None
        # the engine check runs (Polars / Rust regex) decides, so lint and check agree
        reason = pattern_error(pattern.value)
        if reason is not None and regex_unsupported(reason):
            self.error("rules.syntax.regex-unsupported", pattern.span)
            return None
        if reason is not None:
            self.error("rules.syntax.bad-regex", pattern.span, reason=reason)
            return None
        return pattern

    def _unit_arg(self, a: _Item) -> Expr:
        value = a.value
        if value is _INVALID:  # already reported (an unknown function, say)
            return cast(Expr, value)
        if isinstance(value, Name) and len(value.parts) == 1:
            text, span = value.parts[0], value.span
        elif isinstance(value, String):
            text, span = value.value, value.span
        else:
            text, span = "?", a.span
        if text not in UNITS:
            self.error("rules.syntax.bad-unit", span, unit=text)
            return _INVALID
        return String(text, span)

    # ---- rules

    def rule_id(self, children: list[Token]) -> _Ident:
        return _Ident(str(children[0]), self.tspan(children[0]))

    def severity(self, children: list[Token]) -> _Item:
        return _Item("severity", str(children[0]), self.tspan(children[0]))

    def tag(self, children: list[Token]) -> str:
        tok = children[0]
        text = str(tok)
        if tok.type == "STRING":
            return _unescape(text)
        if tok.type == "QNAME":
            return text[1:-1]
        return text

    def tags(self, children: list[Any]) -> _Item:
        tags = tuple(c for c in children if isinstance(c, str) and not isinstance(c, Token))
        return _Item("tags", tags, self.span_of(children))

    def description(self, children: list[Any]) -> _Item:
        text = "".join(_unescape(str(c)) for c in children[1:])
        return _Item("description", text, self.span_of(children))

    def source(self, children: list[Any]) -> _Item:
        text = "".join(_unescape(str(c)) for c in children[1:])
        return _Item("source", text, self.span_of(children))

    def precision_line(self, children: list[Any]) -> _Item:
        value = self._checked_precision(self._number(children[1]))
        return _Item("precision", value, self.span_of(children))

    def tolerance_line(self, children: list[Any]) -> _Item:
        return _Item("tolerance", self._tolerance(children), self.span_of(children))

    def _tolerance(self, children: list[Any]) -> tuple[Decimal, str | None] | None:
        """``tolerance [-]n [unit]``: (amount, unit), or None after reporting it (negative,
        finer than 4 decimals)."""
        sign = next((str(c) for c in children if isinstance(c, Token) and c.type == "ADD_OP"), "")
        tok = next(c for c in children if isinstance(c, Token) and c.type == "NUMBER")
        number = self._number(tok)
        value = -number.value if sign in ("-", "－", "−") else number.value
        unit = next((c.text for c in children if isinstance(c, _Ident)), None)
        if not valid_tolerance(value):
            span = self.span_of([c for c in children if isinstance(c, Token)][1:])
            self.error("rules.syntax.tolerance-range", span, value=f"{sign}{tok}")
            return None
        return value, unit

    def _checked_precision(self, number: Number) -> Decimal:
        """A precision judging supports: positive, a whole number of 0.0001 (the scale
        amounts are stored at); else an error (and the default, so parsing goes on)."""
        value = number.value
        if not valid_precision(value):
            self.error("rules.syntax.precision-range", number.span, value=str(value))
            return Ruleset.DEFAULT_PRECISION
        return value

    def let_line(self, children: list[Any]) -> _Item:
        name, op, value = children[1], children[2], children[3]
        span = self.span_of(children)
        if _COMPARE_OPS.get(str(op)) != "=":
            self.error("rules.syntax.let-op", self.tspan(op))
        let = Let(name.text, self.as_expr(value), span, name_span=name.span)
        return _Item("let", let, span)

    def when_line(self, children: list[Any]) -> _Item:
        return _Item("when", self.as_cond(children[1]), self.span_of(children))

    def check(self, children: list[Any]) -> _Item:
        return _Item("check", self.as_cond(children[0]), self.span_of(children))

    def when_check(self, children: list[Any]) -> _Item:
        when = self.as_cond(children[1])
        return _Item("check", self.as_cond(children[3]), self.span_of(children), when)

    def _meta(self, children: list[Any], body: list[_Item], kind: str) -> tuple[Meta, bool]:
        rid = next(c for c in children if isinstance(c, _Ident))
        title_tok = next(c for c in children if isinstance(c, Token) and c.type == "STRING")
        severity = "error"
        tags: list[str] = []
        description = source = None
        seen: dict[str, Span] = {}
        ok = True
        for item in [c for c in children if isinstance(c, _Item)] + body:
            if item.kind in ("description", "source", "severity", "precision", "tolerance"):
                if item.kind in seen:
                    self.error("rules.syntax.duplicate-meta", item.span, what=item.kind)
                    ok = False
                seen[item.kind] = item.span
            if item.kind == "severity":
                severity = item.value
            elif item.kind == "tags":
                tags.extend(t for t in item.value if t not in tags)
            elif item.kind == "description":
                description = item.value
            elif item.kind == "source":
                source = item.value
        meta = Meta(
            rid.text,
            _unescape(str(title_tok)),
            cast(Any, severity),
            description,
            source,
            tuple(tags),
            span=rid.span,
        )
        return meta, ok

    def rule(self, children: list[Any]) -> list[Rule | Rollup]:
        colon = next(
            i for i, c in enumerate(children) if isinstance(c, Token) and c.type == "COLON"
        )
        head, body = children[:colon], [c for c in children[colon + 1 :] if isinstance(c, _Item)]
        meta, ok = self._meta(head, body, "rule")
        checks = [b for b in body if b.kind == "check"]
        whens = [b.value for b in body if b.kind == "when"]
        precisions = [b.value for b in body if b.kind == "precision"]
        span = self.span_of(children)
        if not checks:
            self.error("rules.syntax.missing-check", meta.span, id=meta.id)
            return []
        if len(checks) > 1:
            self.error("rules.syntax.two-checks", checks[1].span)
            return []
        check = checks[0]
        if check.extra is not None:
            whens.append(check.extra)
        when: Cond | None = None
        if len(whens) == 1:
            when = whens[0]
        elif whens:
            when = And(tuple(whens), self.span_of(whens[0], whens[-1]))
        lets = [b for b in body if b.kind == "let"]
        first_use = next(i for i, b in enumerate(body) if b.kind in ("when", "check"))
        for late in (b for b in body[first_use:] if b.kind == "let"):
            # named values first, then what uses them: a rule reads top to bottom
            self.error("rules.syntax.let-order", late.span, name=late.value.name)
            ok = False
        tolerance, tolerance_unit = _tolerance_of(body)
        rule = Rule(
            meta,
            check.value,
            when=when,
            precision=precisions[0] if precisions else None,
            lets=tuple(b.value for b in lets),
            span=span,
            tolerance=tolerance,
            tolerance_unit=tolerance_unit,
        )
        for part in (rule.check, rule.when, *(let.value for let in rule.lets)):
            if part is None:
                continue
            depth, poisoned = _depth_and_poison(part)
            if poisoned:
                ok = False
            elif depth > MAX_EXPR_DEPTH:
                self.error("rules.syntax.too-complex", part.span, limit=MAX_EXPR_DEPTH)
                ok = False
        return [rule] if ok else []

    def rollup_columns(self, children: list[Any]) -> _Item:
        names = [c for c in children if isinstance(c, Name)]
        return _Item("columns", tuple(n.text for n in names), self.span_of(children), names)

    def rollup(self, children: list[Any]) -> list[Rule | Rollup]:
        colon = next(
            (i for i, c in enumerate(children) if isinstance(c, Token) and c.type == "COLON"),
            len(children),
        )
        head, body = children[:colon], [c for c in children[colon + 1 :] if isinstance(c, _Item)]
        meta, ok = self._meta(head, body, "rollup")
        for b in body:
            if b.kind in ("check", "when", "let"):
                self.error("rules.syntax.rollup-body", b.span)
                ok = False
        table = ""
        code = ""
        table_span = code_span = None
        levels: list[int] = []
        columns: tuple[str, ...] = ()
        column_spans: tuple[Span, ...] = ()
        previous: Any = None
        for c in head:
            if isinstance(c, _Ident) and isinstance(previous, Token):
                if previous.type == "IN":
                    table, table_span = c.text, c.span
                elif previous.type == "BY":
                    code, code_span = c.text, c.span
            elif isinstance(c, Token) and c.type == "NUMBER":
                text = str(c)
                if text.isdigit() and int(text) > 0:
                    levels.append(int(text))
                else:
                    self.error("rules.syntax.rollup-level", self.tspan(c), level=text)
                    ok = False
            elif isinstance(c, _Item) and c.kind == "columns":
                columns = c.value
                column_spans = tuple(n.span for n in c.extra)
            previous = c
        precisions = [b.value for b in body if b.kind == "precision"]
        tolerance, tolerance_unit = _tolerance_of(body)
        rollup = Rollup(
            meta,
            table,
            code,
            tuple(levels),
            columns,
            precisions[0] if precisions else None,
            self.span_of(children),
            table_span=table_span,
            code_span=code_span,
            column_spans=column_spans,
            tolerance=tolerance,
            tolerance_unit=tolerance_unit,
        )
        return [rollup] if ok else []

    # ---- scopes

    def in_scope(self, children: list[Any]) -> list[Rule | Rollup]:
        table, tspan = self._scope_table(children[1])
        out: list[Rule | Rollup] = []
        for item in self._items(children):
            if isinstance(item, Rollup):
                out.append(item if item.table else replace(item, table=table, table_span=tspan))
            elif item.scope_table is None:
                out.append(replace(item, scope_table=table, per_row=False, scope_span=tspan))
            else:
                out.append(item)
        return out

    def row_scope(self, children: list[Any]) -> list[Rule | Rollup]:
        table, tspan = self._scope_table(children[4])
        where_at = next(
            (i for i, c in enumerate(children) if isinstance(c, Token) and c.type == "WHERE"), None
        )
        row_filter = self.as_cond(children[where_at + 1]) if where_at is not None else None
        if row_filter is not None:
            depth, poisoned = _depth_and_poison(row_filter)
            if depth > MAX_EXPR_DEPTH:
                self.error("rules.syntax.too-complex", row_filter.span, limit=MAX_EXPR_DEPTH)
            if poisoned or depth > MAX_EXPR_DEPTH:
                return []  # the filter's error is reported; its rules cannot be checked
        out: list[Rule | Rollup] = []
        for item in self._items(children):
            if isinstance(item, Rollup):
                out.append(item if item.table else replace(item, table=table, table_span=tspan))
            elif item.group_by is not None:
                self.error("rules.syntax.group-nesting", item.meta.span)
            elif not item.per_row:
                out.append(
                    replace(
                        item,
                        scope_table=table,
                        per_row=True,
                        row_filter=row_filter,
                        scope_span=tspan,
                    )
                )
            elif item.scope_table == table and row_filter is not None:
                inner = item.row_filter
                combined = (
                    row_filter if inner is None else And((row_filter, inner), row_filter.span)
                )
                out.append(replace(item, row_filter=combined))
            else:
                out.append(item)
        return out

    def column_scope(self, children: list[Any]) -> list[Rule | Rollup]:
        var_tok = children[4]
        var = ColumnVar(str(var_tok), self.tspan(var_tok))
        table, tspan = self._scope_table(children[6])
        out: list[Rule | Rollup] = []
        for item in self._items(children):
            if isinstance(item, Rollup):
                self.error("rules.syntax.rollup-in-column-scope", item.meta.span)
            elif item.column_var is not None:
                self.error("rules.syntax.nested-column-scope", var.span)
            else:
                out.append(
                    replace(
                        item, column_var=var, column_var_table=table, column_var_table_span=tspan
                    )
                )
        return out

    def group_scope(self, children: list[Any]) -> list[Rule | Rollup]:
        table, tspan = self._scope_table(children[4])
        key = self.as_expr(children[6])
        where_at = next(
            (i for i, c in enumerate(children) if isinstance(c, Token) and c.type == "WHERE"), None
        )
        row_filter = self.as_cond(children[where_at + 1]) if where_at is not None else None
        for part in (key, row_filter):
            depth, poisoned = _depth_and_poison(part)
            if depth > MAX_EXPR_DEPTH:
                self.error(
                    "rules.syntax.too-complex", self._span(part) or tspan, limit=MAX_EXPR_DEPTH
                )
            if poisoned or depth > MAX_EXPR_DEPTH:
                return []  # the key's or filter's error is reported; its rules cannot be checked
        out: list[Rule | Rollup] = []
        for item in self._items(children):
            if isinstance(item, Rollup) or item.per_row or item.scope_table is not None:
                self.error("rules.syntax.group-nesting", item.meta.span)
                continue
            out.append(
                replace(
                    item,
                    scope_table=table,
                    group_by=key,
                    row_filter=row_filter,
                    scope_span=tspan,
                )
            )
        return out

    def group_key(self, children: list[Token]) -> Expr:
        return GroupKey(self.tspan(children[0]))

    def _scope_table(self, ident: Any) -> tuple[str, Span]:
        assert isinstance(ident, _Ident)
        return ident.text, ident.span

    def _items(self, children: list[Any]) -> list[Rule | Rollup]:
        out: list[Rule | Rollup] = []
        for c in children:
            if isinstance(c, list):
                out.extend(c)
        return out

    # ---- file level

    def header(self, children: list[Any]) -> _Item:
        name = _unescape(str(children[1]))
        version = None
        if len(children) > 3:
            tok = children[3]
            version = _unescape(str(tok)) if tok.type == "STRING" else str(tok)
        return _Item("header", (name, version), self.span_of(children))

    def tolerance_decl(self, children: list[Any]) -> _Item:
        return _Item("tolerance", self._tolerance(children), self.span_of(children))

    def precision_decl(self, children: list[Any]) -> _Item:
        unit = next((c.text for c in children if isinstance(c, _Ident)), None)
        value = self._checked_precision(self._number(children[1]))
        return _Item("precision", (value, unit), self.span_of(children))

    def alias(self, children: list[Any]) -> Alias:
        name, op, target = children[1], children[2], children[3]
        span = self.span_of(children)
        if _COMPARE_OPS.get(str(op)) != "=":
            self.error("rules.syntax.alias-op", self.tspan(op))
        return Alias(name.text, target.text, span, name_span=name.span, target_span=target.span)

    def include(self, children: list[Any]) -> Include:
        return Include(_unescape(str(children[1])), self.span_of(children))

    def start(self, children: list[Any]) -> list[Any]:
        out: list[Any] = []
        for c in children:
            if isinstance(c, list):
                out.extend(c)
            else:
                out.append(c)
        return out


# --------------------------------------------------------------------------- chunking and recovery

_STATEMENT_START = re.compile(r"^[ \t\u3000]*(rule|rollup|in|for|alias|include|ruleset)\b")
_STRIP_FOR_BRACKETS = re.compile(r'"(?:[^"\\\n]|\\.)*"|“[^”\n]*”|`[^`\n]*`|#.*')
_BRACKETY = re.compile(r"[()（）\[\]［］\\]")  # lines without these need no bracket count
_OPEN = "([（［"
_CLOSE = ")]）］"


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" \t\u3000"))


def _blank(line: str) -> bool:
    stripped = line.strip(" \t\f\u3000")
    return not stripped or stripped.startswith("#")


def _chunks(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) line ranges of top-level statements (0-based)."""
    starts: list[int] = []
    depth = 0
    continued = False
    for i, line in enumerate(lines):
        top = not _blank(line) and _indent_of(line) == 0
        if top and ((depth == 0 and not continued) or _STATEMENT_START.match(line)):
            starts.append(i)  # a keyword at column 0 starts a statement even after a stray (
            depth = 0
        if _BRACKETY.search(line) is None:
            continued = False
            continue
        code = _STRIP_FOR_BRACKETS.sub("", line)
        depth = max(
            0, depth + sum(code.count(c) for c in _OPEN) - sum(code.count(c) for c in _CLOSE)
        )
        continued = code.rstrip().endswith("\\")
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    return [(s, e) for s, e in zip(starts, [*starts[1:], len(lines)], strict=True)]


def _statement_range(lines: list[str], error_line: int) -> tuple[int, int]:
    """The innermost rule or scope around ``error_line`` (0-based, in a chunk): [start, end)."""
    error_line = min(max(error_line, 0), len(lines) - 1)
    start = 0
    limit = _indent_of(lines[error_line]) if not _blank(lines[error_line]) else 10**9
    for i in range(error_line, -1, -1):
        line = lines[i]
        if _blank(line):
            continue
        ind = _indent_of(line)
        if ind <= limit and _STATEMENT_START.match(line):
            start = i
            break
        limit = min(limit, ind)
    base = _indent_of(lines[start])
    end = len(lines)
    for j in range(start + 1, len(lines)):
        if not _blank(lines[j]) and _indent_of(lines[j]) <= base:
            end = j
            break
    return start, end


_FOUND_WORDS = {
    "_NL": ("换行", "end of line"),
    "$END": ("文件结尾", "end of file"),
    "_INDENT": ("缩进", "indentation"),
    "_DEDENT": ("取消缩进", "less indentation"),
}


def _found_args(kind: str, value: str) -> dict[str, str]:
    """Arguments naming the offending token, in both languages."""
    if kind in _FOUND_WORDS:
        zh, en = _FOUND_WORDS[kind]
        return {"found_zh": zh, "found_en": en}
    shown = value if len(value) <= 40 else value[:40] + "…"
    return {"found_zh": f"“{shown}”", "found_en": f"“{shown}”"}


def _bare_null(node: Any) -> bool:
    """``null`` written as a bare word where a value goes (`` `null` `` is a name)."""
    if not isinstance(node, Name) or node.parts != ("null",):
        return False
    span = node.span
    return span.line == span.end_line and span.end_column - span.column == len("null")


def _show_char(char: str) -> str:
    """A character for a message: visible ones quoted, others as U+XXXX."""
    if char.isprintable() and not char.isspace():
        return f"“{char}”"
    return f"U+{ord(char):04X}"


def _syntax_diagnostic(
    exc: Exception, file: str, lines: list[str], offset: int, open_brackets: list[Token]
) -> tuple[Diagnostic, int]:
    """A diagnostic for a lark error, and the (chunk-relative, 0-based) line it points at."""
    n = len(lines)

    def clamp(line: int | None, column: int | None) -> tuple[int, int]:
        ln = min(max(line or 1, 1), max(n, 1))
        col = max(column or 1, 1)
        return ln, col

    hint: str | None = None
    hint_args: dict[str, Any] = {}
    args: dict[str, Any]
    if isinstance(exc, _LayoutError):
        line, col = clamp(exc.line, exc.column)
        if exc.kind == "dedent":
            code, args = "rules.syntax.indent", {}
        else:
            code, args = "rules.syntax.too-deep", {"limit": exc.limit}
        end_col = col + 1
    elif isinstance(exc, UnexpectedCharacters):
        line, col = clamp(exc.line, exc.column)
        text = lines[line - 1] if line - 1 < n else ""
        char = text[col - 1] if col - 1 < len(text) else "?"
        code, args = "rules.syntax.unexpected-char", {"found": _show_char(char)}
        end_col = col + 1
        if char in '"“' and ("”" if char == "“" else '"') not in text[col:]:
            code, args = "rules.syntax.unterminated-string", {}
            end_col = len(text) + 1
        allowed = set(exc.allowed or ()) if code == "rules.syntax.unexpected-char" else set()
        if allowed:
            hint, hint_args = "rules.hint.expected", expected_args(sorted(allowed))
        if char in "%％":  # 18.76%: percentages are numbers of percentage points here
            hint, hint_args = "rules.hint.percent", {}
        word = re.match(r"\w+", text[col - 1 :])
        keywords = [k for k in (n.lower() for n in allowed) if k in KEYWORDS]
        if word and keywords:
            cands = closest(word.group(0), keywords)
            if cands:
                hint, hint_args = "rules.hint.did-you-mean", did_you_mean(cands)
    elif isinstance(exc, UnexpectedToken | UnexpectedEOF):
        tok = exc.token if isinstance(exc, UnexpectedToken) else None
        expected = set(exc.expected or ()) if hasattr(exc, "expected") else set()
        if tok is None or tok.type == "$END" or tok.line is None:
            # point just after the last thing written
            last = max((i for i in range(n) if not _blank(lines[i])), default=0)
            line, col = last + 1, len(lines[last].rstrip()) + 1 if n else 1
            code, args = "rules.syntax.unexpected-eof", {}
            end_col = col + 1
        else:
            kind = tok.type
            if kind == "_NL":
                line, col = clamp(tok.line, tok.column)
                if "\n" not in str(tok) or str(tok).lstrip().startswith("#"):
                    pass
            elif kind in ("_INDENT", "_DEDENT"):
                line, col = clamp(tok.end_line, len(str(tok)) + 1)
            else:
                line, col = clamp(tok.line, tok.column)
            end_col = col + max(
                1, len(str(tok)) if kind not in ("_NL", "_INDENT", "_DEDENT") else 1
            )
            if tok.end_line is not None and tok.end_line != tok.line:
                end_col = col + 1
            if kind == "_INDENT":
                code, args = "rules.syntax.unexpected-indent", {}
            else:
                code, args = "rules.syntax.unexpected-token", _found_args(kind, str(tok))
            if kind in ("NAME", "RULE_ID"):
                keywords = [k for k in (e.lower() for e in expected) if k in KEYWORDS]
                cands = closest(str(tok), keywords) if keywords else []
                if cands:
                    hint, hint_args = "rules.hint.did-you-mean", did_you_mean(cands)

        if hint is None and expected:
            hint, hint_args = "rules.hint.expected", expected_args(sorted(expected))
        if code == "rules.syntax.unexpected-indent":
            hint, hint_args = "rules.hint.wrap-lines", {}
    else:  # any other lark error
        line, col = 1, 1
        code, args = "rules.syntax.unexpected-eof", {}
        end_col = 2
    if open_brackets and code in ("rules.syntax.unexpected-eof", "rules.syntax.unexpected-token"):
        b = open_brackets[-1]
        if (b.line or 0) <= line:
            hint = "rules.hint.unclosed"
            hint_args = {"bracket": str(b), "line": (b.line or 1) + offset, "column": b.column or 1}
    loc = Location(file, line + offset, col, line + offset, end_col)
    recover_at = line - 1
    if open_brackets and open_brackets[0].line is not None:
        # the statement to drop is the one that opened the bracket
        recover_at = min(recover_at, open_brackets[0].line - 1)
    return Diagnostic(code, loc, args, "error", hint, hint_args), recover_at


@lru_cache(maxsize=2048)
def _parse_chunk_cached(file: str, text: str) -> tuple[tuple[Any, ...], tuple[Diagnostic, ...]]:
    """:func:`_parse_chunk` at line 1, remembered: re-linting an edited file re-parses only
    the statements that changed (the others are moved to their new lines by :func:`_shift`).

    Safe to share: AST nodes, items and diagnostics are immutable.
    """
    diagnostics: list[Diagnostic] = []
    items = _parse_chunk(text.split("\n"), file, 0, diagnostics)
    return tuple(items), tuple(diagnostics)


@lru_cache(maxsize=2048)
def _parse_chunk_at(
    file: str, text: str, line: int
) -> tuple[tuple[Any, ...], tuple[Diagnostic, ...]]:
    """:func:`_parse_chunk_cached`, moved to start after ``line`` lines (also remembered)."""
    parsed, diags = _parse_chunk_cached(file, text)
    return (_shift(parsed, line), _shift(diags, line)) if line else (parsed, diags)


_T = TypeVar("_T")


def _shift(node: _T, lines: int) -> _T:
    """``node`` with every span and location moved down by ``lines`` lines."""
    if isinstance(node, Span):
        moved = Span(
            node.file, node.line + lines, node.column, node.end_line + lines, node.end_column
        )
        return cast(_T, moved)
    if isinstance(node, Location):
        return cast(
            _T,
            replace(
                node,
                line=None if node.line is None else node.line + lines,
                end_line=None if node.end_line is None else node.end_line + lines,
            ),
        )
    if isinstance(node, tuple):
        return cast(_T, tuple(_shift(item, lines) for item in node))
    if isinstance(node, list):
        return cast(_T, [_shift(item, lines) for item in node])
    if isinstance(node, Diagnostic):
        hint_args = dict(node.hint_args)
        if node.hint == "rules.hint.unclosed":
            hint_args["line"] += lines
        return cast(_T, replace(node, location=_shift(node.location, lines), hint_args=hint_args))
    if is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _shift(getattr(node, f.name), lines) for f in fields(node)}
        return cast(_T, replace(node, **changes))
    return node


def _parse_chunk(
    lines: list[str], file: str, offset: int, diagnostics: list[Diagnostic]
) -> list[Any]:
    """Parse one top-level statement (lines[offset:...]); recover from errors inside it."""
    work = list(lines)
    reported: set[int] = set()
    for _attempt in range(MAX_ERRORS_PER_STATEMENT):
        text = "\n".join(work) + "\n"
        failure: Exception | None = None
        with _LOCK:  # the indenter keeps per-parse state
            try:
                tree = parser().parse(text)
            except (UnexpectedInput, LarkError) as exc:
                failure = exc
                brackets = list(_INDENTER.open_brackets)
        if failure is not None:
            diag, rel_line = _syntax_diagnostic(failure, file, work, offset, brackets)
            start, end = _statement_range(work, rel_line)
            if rel_line not in reported:
                diagnostics.append(diag)
                reported.add(rel_line)
            if start == 0 or all(_blank(work[i]) for i in range(start, end)):
                return []
            indent = work[start][: _indent_of(work[start])]
            work[start] = indent + "\ue000"
            for i in range(start + 1, end):
                work[i] = ""
            continue
        builder = _Builder(file, offset, diagnostics)
        try:
            result = builder.transform(tree)
        except VisitError as exc:  # a bug in a builder method: report, never crash
            raise exc.orig_exc from None
        return cast(list[Any], result)
    return []


def parse_text(text: str, file: str = "<text>") -> tuple[Ruleset, list[Diagnostic]]:
    """Parse rule-file text into a parsed :class:`Ruleset` and its diagnostics (never raises)."""
    diagnostics: list[Diagnostic] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for i, line in enumerate(lines):
        if len(line) > MAX_LINE_LENGTH:
            diagnostics.append(
                Diagnostic(
                    "rules.syntax.line-too-long",
                    Location(file, i + 1, 1, i + 1, 2),
                    {"length": len(line), "limit": MAX_LINE_LENGTH},
                )
            )
            lines[i] = ""
    items: list[Any] = []
    if any(not _blank(line) for line in lines):
        for start, end in _chunks(lines):
            if all(_blank(line) for line in lines[start:end]):
                continue
            if len(diagnostics) >= MAX_ERRORS_PER_FILE:
                diagnostics.append(
                    Diagnostic(
                        "rules.syntax.too-many-errors",
                        Location(file, start + 1, 1, start + 1, 2),
                        {"limit": MAX_ERRORS_PER_FILE},
                    )
                )
                break
            chunk = lines[start:end]
            if sum(map(len, chunk)) <= MAX_CACHED_CHUNK:
                parsed, diags = _parse_chunk_at(file, "\n".join(chunk), start)
                items.extend(parsed)
                diagnostics.extend(diags)
            else:
                items.extend(_parse_chunk(chunk, file, start, diagnostics))
    return _assemble(items, file, diagnostics, empty=not any(not _blank(x) for x in lines))


def _assemble(
    items: list[Any], file: str, diagnostics: list[Diagnostic], empty: bool
) -> tuple[Ruleset, list[Diagnostic]]:
    name = version = unit = None
    precision: Decimal | None = None
    tolerance: tuple[Decimal, str | None] | None = None
    unit_precisions: list[tuple[str, Decimal]] = []
    aliases: list[Alias] = []
    includes: list[Include] = []
    rules: list[Rule | Rollup] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, _Item):
            # several precisions, one per unit: the first is the ruleset's (checker.units)
            duplicate = (
                item.kind == "precision"
                and precision is not None
                and (
                    item.value[1] is None
                    or unit is None
                    or any(u == item.value[1] for u, _ in unit_precisions)
                )
            )
            if (item.kind in seen and item.kind != "precision") or duplicate:
                loc = item.span
                diagnostics.append(
                    Diagnostic(
                        "rules.syntax.duplicate-header",
                        Location(loc.file, loc.line, loc.column, loc.end_line, loc.end_column),
                        {"what": {"header": "ruleset"}.get(item.kind, item.kind)},
                    )
                )
            seen.add(item.kind)
            if item.kind == "header":
                name, version = item.value
            elif item.kind == "tolerance" and tolerance is None:
                tolerance = item.value
            elif item.kind == "precision" and precision is None:
                precision, unit = item.value
                if unit is not None:
                    unit_precisions.append((unit, precision))
            elif item.kind == "precision" and not duplicate:
                unit_precisions.append((item.value[1], item.value[0]))
        elif isinstance(item, Alias):
            aliases.append(item)
        elif isinstance(item, Include):
            includes.append(item)
        elif isinstance(item, Rollup):
            if not item.table:
                loc = item.meta.span
                diagnostics.append(
                    Diagnostic(
                        "rules.syntax.rollup-table",
                        Location(loc.file, loc.line, loc.column, loc.end_line, loc.end_column),
                        {"id": item.meta.id},
                    )
                )
                continue
            rules.append(item)
        elif isinstance(item, Rule):
            rules.append(item)
    if (empty and not diagnostics) or (
        not (rules or aliases or includes or name or precision) and not diagnostics
    ):
        diagnostics.append(Diagnostic("rules.io.empty", Location(file)))
    span = Span(file, 1, 1, 1, 1)
    ruleset = Ruleset(
        file=file,
        name=name,
        version=version,
        precision=precision,
        unit=unit,
        unit_precisions=tuple(unit_precisions),
        aliases=tuple(aliases),
        includes=tuple(includes),
        rules=tuple(rules),
        span=span,
        tolerance=tolerance[0] if tolerance else None,
        tolerance_unit=tolerance[1] if tolerance else None,
    )
    return ruleset, diagnostics


def parse_file(path: str | Path) -> tuple[Ruleset, list[Diagnostic]]:
    """Read and parse one rule file (includes are *not* followed: see ``resolve.load_ruleset``)."""
    text, diagnostics = read_rules_file(path)
    if text is None:
        return Ruleset(file=str(path)), diagnostics
    ruleset, more = parse_text(text, str(path))
    return ruleset, diagnostics + more
