"""Bind parsed rules to a document template: the *resolved* form of :mod:`checker.ast`.

* Tables are named by role, published name (``部门收支总体情况表``, year prefix
  ignored) or a ruleset ``alias``; resolved nodes carry the role.
* Names become ``CellRef`` / ``ColumnRef`` / ``StatementRef`` by context: inside
  ``for each row in 表`` a bare name is a column of the current row; inside
  ``in 表:`` a bare name is a row of that table (``收入总计`` →
  ``表[收入总计]`` with the default value column); inside an aggregate's
  ``where`` a bare name is a column of the aggregated rows; ``说明.…`` is a
  statement of the prose.
* Scopes are folded into rules; ``for each amount column c in 表`` is
  expanded into one rule per amount column (``ZC-10[基本支出.小计]``);
  includes are merged; aliases applied.
* Diagnostics: unknown names with did-you-mean, type errors (text vs amount),
  duplicate rule ids, include cycles and missing includes, unused aliases,
  filters that can never match the schema's code patterns, unknown statements.

A rule with an error is left out of the resolved ruleset (and the error is
reported); warnings keep the rule.

Public API: :func:`load_ruleset`, :func:`resolve`, :func:`resolve_text`,
:func:`rule_files`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal, cast

from checker.ast import (
    NOWHERE,
    Aggregate,
    Alias,
    And,
    Between,
    BinOp,
    Call,
    CellRef,
    ColumnRef,
    Compare,
    Cond,
    Exists,
    Expr,
    GroupKey,
    InColumn,
    InValues,
    IsEmpty,
    IsNull,
    Let,
    LetRef,
    MetaRef,
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
    StatementRef,
    String,
)
from checker.diagnostics import Diagnostic, Location, register
from checker.functions import FUNCTIONS, LITERAL_KINDS
from checker.judging import valid_tolerance
from checker.rulefiles import Unreadable, unreadable_diagnostics
from checker.rulefiles import rule_files as rule_files  # re-exported: public API
from checker.syntax import (
    STATEMENT_PREFIXES,
    UNITS,
    closest,
    descendants,
    did_you_mean,
    parse_file,
    parse_text,
)
from checker.template import Table, Template, load_template, normalize_label, strip_year
from checker.units import factor

Kind = Literal["amount", "text", "any"]

MAX_INCLUDE_DEPTH = 32
META_PREFIX = "meta"  # meta.year: a field of the document's own meta object
_IN_WHERE = "rules.resolve.document-value-in-where"

register(
    {
        "rules.resolve.unknown-table": ("未知的表 {name}", "unknown table {name}"),
        "rules.resolve.unknown-column": (
            "表 {table} 没有列 {name}",
            "table {table} has no column {name}",
        ),
        "rules.resolve.unknown-name": (
            "无法识别的名称 {name}：文档级规则中请写 表[行].列、汇总 sum(表.列) 或 说明.陈述名",
            "unknown name {name}: in a document-level rule write 表[行].列, "
            "an aggregate sum(表.列) or 说明.名称",
        ),
        "rules.resolve.whole-column": (
            "{name} 是整列，不是一个值：用 表[行].列 取一格，或用 sum(表.列) 汇总",
            "{name} is a whole column, not a value: pick a cell with 表[行].列 "
            "or aggregate with sum(表.列)",
        ),
        "rules.resolve.table-as-value": (
            "表 {name} 不是一个值：用 表[行].列、count(表) 或 表 is empty",
            "table {name} is not a value: use 表[行].列, count(表) or 表 is empty",
        ),
        "rules.resolve.no-label": (
            "表 {table} 没有行名列，不能按行名取行",
            "table {table} has no label column: rows cannot be picked by label",
        ),
        "rules.resolve.no-code": (
            "表 {table} 没有编码列，不能按编码 {key} 取行",
            "table {table} has no code column: cannot pick row {key} by code",
        ),
        "rules.resolve.no-value-column": (
            "表 {table} 没有默认金额列：请写 表[行].列",
            "table {table} has no default value column: write 表[行].列",
        ),
        "rules.resolve.code-never": (
            "编码 {key} 不符合 {table}.{column} 的格式 {pattern}，永远找不到这一行",
            "code {key} never matches the pattern {pattern} of {table}.{column}: "
            "this row can never be found",
        ),
        "rules.resolve.never-applies": (
            "条件 {what} 与 {table}.{column} 的格式 {pattern} 矛盾，永远不成立：规则不会生效",
            "condition {what} contradicts the pattern {pattern} of {table}.{column}: "
            "it never holds, so the rule never applies",
        ),
        "rules.resolve.arith-text": (
            "不能对文字做算术：{name} 是文字列",
            "arithmetic on text: {name} is a text column",
        ),
        "rules.resolve.expected-amount": (
            "{what} 需要金额，而这是文字",
            "{what} needs an amount, but this is text",
        ),
        "rules.resolve.expected-text": (
            "{what} 需要文字，而这是金额",
            "{what} needs text, but this is an amount",
        ),
        "rules.resolve.related-row": (
            "{relation}(…) 读的是另一份文档：只能引用整份文档的值（单元格、合计、说明），"
            "不能引用本行的列或本组",
            "{relation}(…) reads another document: only document-level values (cells, sums,"
            " statements), not a column of the current row or the current group",
        ),
        "rules.resolve.wording-of-statement": (
            "wording(…) 的参数须是说明中的数字（说明.名称）",
            "wording(…) takes a figure of the prose (说明.名称)",
        ),
        "rules.resolve.document-value-in-where": (
            "汇总的 where 只能读被汇总的行（它们的列，以及 row.列）：{what} 是整份文档的值",
            "an aggregate's where reads only the rows it aggregates (their columns, and"
            " row.列): {what} is a value of the whole document",
        ),
        "rules.resolve.let-duplicate": (
            "规则中 let {name} 重复定义",
            "let {name} is defined twice in this rule",
        ),
        "rules.resolve.let-shadows": (
            "let {name} 与{what_zh} {name} 同名：给这个值另起一个名字",
            "let {name} has the name of {what_en} {name}: give the value another name",
        ),
        "rules.resolve.let-before-definition": (
            "{name} 在定义之前被使用：let {name} 在后面",
            "{name} is used before its definition: let {name} comes later",
        ),
        "rules.resolve.let-in-where": (
            "汇总的 where 里不能用 let 定义的 {name}：where 只读被汇总的行",
            "let value {name} cannot be used in an aggregate's where: it reads only the rows"
            " aggregated",
        ),
        "rules.resolve.let-unused": ("let {name} 没有被使用", "let {name} is never used"),
        "rules.resolve.group-key-kind": (
            "分组的键 {name} 是金额：按文字（编码、名称，或 left(编码, 3)）分组",
            "the group key {name} is an amount: group by text (a code, a name, or left(编码, 3))",
        ),
        "rules.resolve.group-reads-row": (
            "分组的 by 和 where 只读被分组的行（它们的列）：{what} 不是行中的值",
            "a group's by and where read only the rows grouped (their columns): {what} is"
            " not a value of the row",
        ),
        "rules.resolve.group-outside": (
            "group（当前组的键）只能用在 for each group 的规则中",
            "group (the current group's key) is only valid in a for each group rule",
        ),
        "rules.resolve.group-column": (
            "{name} 是 {table} 的列，而一组有多行：用 sum({table}.{name}) 等汇总这一组",
            "{name} is a column of {table}, and a group has many rows: aggregate the group,"
            " e.g. sum({table}.{name})",
        ),
        "rules.resolve.unknown-meta": (
            "文档没有字段 meta.{name}：可用的有 {known}",
            "documents have no field meta.{name}: the known ones are {known_en}",
        ),
        "rules.resolve.between-text": (
            "between 比较的是金额，而 {name} 是文字",
            "between compares amounts, but {name} is text",
        ),
        "rules.hint.between": (
            "写作 x between 下限 and 上限，三者都是金额，例如 合计 between 0 and 100",
            "write x between low and high, all three amounts, e.g. 合计 between 0 and 100",
        ),
        "rules.resolve.compare-types": (
            "不能比较文字与数字",
            "cannot compare text with a number",
        ),
        "rules.resolve.outer-row": (
            "row.列 只能用在逐行规则（for each row）中",
            "row.列 is only valid in a per-row rule (for each row)",
        ),
        "rules.resolve.column-var": (
            "列变量 {name} 需要一行：写 表[行].{name}，或放在 for each row 中",
            "the column variable {name} needs a row: write 表[行].{name}, "
            "or use it inside for each row",
        ),
        "rules.resolve.column-var-unused": (
            "规则中没有用到列变量 {name}：它会对每一列重复同一检查",
            "the column variable {name} is not used: the same check would repeat for every column",
        ),
        "rules.resolve.no-amount-columns": (
            "表 {table} 没有金额列",
            "table {table} has no amount columns",
        ),
        "rules.resolve.duplicate-id": ("规则编号 {id} 重复", "duplicate rule id {id}"),
        "rules.resolve.first-defined": ("首次定义于 {where}", "first defined at {where}"),
        "rules.resolve.include-missing": (
            "找不到被包含的文件 {path}",
            "included file not found: {path}",
        ),
        "rules.resolve.include-cycle": (
            "循环包含：{cycle}",
            "include cycle: {cycle}",
        ),
        "rules.resolve.include-depth": (
            "包含层次过深（上限 {limit}）",
            "includes nested too deeply (limit {limit})",
        ),
        "rules.resolve.unused-alias": ("别名 {name} 未被使用", "alias {name} is never used"),
        "rules.resolve.alias-conflict": (
            "别名 {name} 已是表 {table} 的名称",
            "alias {name} is already a name of table {table}",
        ),
        "rules.resolve.alias-redefined": (
            "别名 {name} 重复定义（先前指向 {table}）",
            "alias {name} defined twice (it already names {table})",
        ),
        "rules.resolve.unknown-statement": (
            "未知的说明陈述 {name}（陈述名是自由的，请确认拼写）",
            "unknown statement {name} (statement names are free-form; check the spelling)",
        ),
        "rules.resolve.rollup-code": (
            "{table}.{column} 不是编码列，不能按它逐级汇总",
            "{table}.{column} is not a code column: cannot roll up by it",
        ),
        "rules.resolve.rollup-levels": (
            "层级 {levels} 应当严格递增，且至少两级",
            "levels {levels} must be strictly increasing, at least two",
        ),
        "rules.resolve.rollup-level-never": (
            "{table}.{column} 的格式 {pattern} 不允许 {level} 位编码",
            "the pattern {pattern} of {table}.{column} allows no {level}-digit code",
        ),
        "rules.resolve.rollup-column": (
            "{table}.{name} 不是金额列",
            "{table}.{name} is not an amount column",
        ),
        "rules.resolve.precision-ignored": (
            "被包含文件中的 precision {value} 被忽略：以 {root} 的 precision 为准",
            "precision {value} in an included file is ignored: {root}'s precision applies",
        ),
        "rules.resolve.tolerance-ignored": (
            "被包含文件中的 tolerance {value} 被忽略：以 {root} 的 tolerance 为准",
            "tolerance {value} in an included file is ignored: {root}'s tolerance applies",
        ),
        "rules.resolve.tolerance-scale": (
            "容差 {value} {unit} 换算为规则集的单位是 {converted} {target}，超出 4 位小数",
            "tolerance {value} {unit} is {converted} {target} in the ruleset's unit:"
            " finer than 4 decimals",
        ),
        "rules.lint.through": (
            "{path} 没有 ruleset 声明（供其他规则集包含）：按包含它的 {entries} 检查",
            "{path} declares no ruleset (it is written to be included): linted as"
            " included by {entries}",
        ),
        "rules.resolve.orphan-file": (
            "{path} 没有被 ruleset.rules 包含",
            "{path} is not included by ruleset.rules",
        ),
        "rules.resolve.include-outside": (
            "被包含的 {path} 在规则集目录 {root} 之外，未读取（可用 --include-root 允许另一目录）",
            "included {path} is outside the ruleset's folder {root}: not read "
            "(allow another folder with --include-root)",
        ),
        "rules.resolve.include-not-rules": (
            "被包含的 {path} 不是规则文件（*.rules），未读取",
            "included {path} is not a rule file (*.rules): not read",
        ),
        "rules.resolve.directory-include": (
            "被包含的 {path} 是目录，不是文件",
            "included {path} is a directory, not a file",
        ),
        "rules.hint.quote-code": (
            '编码是文字：请写成字符串，例如 "208"',
            'codes are text: write them as strings, e.g. "208"',
        ),
        "rules.hint.did-you-mean-table": (
            "您是不是要写 {candidates}？",
            "did you mean {candidates}?",
        ),
    }
)


def _loc(span: Span) -> Location:
    return Location(span.file, span.line, span.column, span.end_line, span.end_column)


# --------------------------------------------------------------------------- files and includes


@dataclass
class _Loader:
    """Parses files once each and follows includes (cycle-safe)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    parsed: dict[str, Ruleset] = field(default_factory=dict)  # key: resolved path
    order: list[str] = field(default_factory=list)  # includes before includers
    included: set[str] = field(default_factory=set)
    # the folders includes may reach (resolved); None: anywhere (resolve_text, tests)
    trees: list[Path] | None = None

    @staticmethod
    def key(path: Path) -> str:
        try:
            return str(path.resolve())
        except (OSError, RuntimeError):
            return os.path.abspath(path)

    def load(self, path: Path, chain: list[str], via: Span | None = None) -> None:
        key = self.key(path)
        if key in chain:
            names = [Path(k).name for k in chain[chain.index(key) :]] + [path.name]
            span = via or Span(str(path), 1, 1, 1, 1)
            self.diagnostics.append(
                Diagnostic("rules.resolve.include-cycle", _loc(span), {"cycle": " → ".join(names)})
            )
            return
        if key in self.parsed:
            return
        if via is not None:
            if len(chain) > MAX_INCLUDE_DEPTH:
                self.diagnostics.append(
                    Diagnostic(
                        "rules.resolve.include-depth", _loc(via), {"limit": MAX_INCLUDE_DEPTH}
                    )
                )
                return
            if not self.allowed(path, key, via):
                return
            if path.is_dir():
                self.diagnostics.append(
                    Diagnostic("rules.resolve.directory-include", _loc(via), {"path": str(path)})
                )
                return
            if not path.is_file():
                self.diagnostics.append(
                    Diagnostic("rules.resolve.include-missing", _loc(via), {"path": str(path)})
                )
                return
        ruleset, diags = parse_file(path)
        self.diagnostics.extend(diags)
        self.parsed[key] = ruleset
        chain.append(key)
        for inc in ruleset.includes:
            target = Path(inc.path)
            if not target.is_absolute():
                target = Path(os.path.normpath(path.parent / target))
            self.included.add(self.key(target))
            self.load(target, chain, inc.span)
        chain.pop()
        self.order.append(key)

    def allowed(self, path: Path, key: str, via: Span) -> bool:
        """An include may name only a ``*.rules`` file inside the ruleset's folder tree
        (its resolved path, symlinks followed): nothing else is read, so no diagnostic
        ever shows a line of a file that is not a rule file."""
        if self.trees is not None and not any(Path(key).is_relative_to(t) for t in self.trees):
            root = str(self.trees[0]) if self.trees else "-"
            self.diagnostics.append(
                Diagnostic(
                    "rules.resolve.include-outside", _loc(via), {"path": str(path), "root": root}
                )
            )
            return False
        if not path.name.endswith(".rules"):
            self.diagnostics.append(
                Diagnostic("rules.resolve.include-not-rules", _loc(via), {"path": str(path)})
            )
            return False
        return True


def include_trees(
    paths: Sequence[str | Path], include_roots: Sequence[str | Path] | None = None
) -> list[Path]:
    """The folders the includes of rules loaded from ``paths`` may reach (resolved).

    A folder given is its own tree; a file's tree is its folder. A file or folder
    inside the bundled rulesets has them all as its tree (``部门预算-上海`` includes
    ``../共用/``), and so has a ruleset folder directly inside any folder named
    ``rulesets`` (a checkout's copy of them). ``include_roots`` (``--include-root``)
    adds folders; by default the ones :func:`checker.rulefiles.set_include_roots` set.
    """
    from checker.resources import rulesets_dir
    from checker.rulefiles import extra_include_roots

    try:
        bundled: Path | None = rulesets_dir().resolve()
    except (OSError, FileNotFoundError):
        bundled = None
    trees: list[Path] = []
    for raw in paths:
        p = Path(_Loader.key(Path(raw)))
        tree = p if p.is_dir() else p.parent
        if bundled is not None and tree.is_relative_to(bundled):
            tree = bundled
        elif tree.parent.name == "rulesets":
            # a ruleset of a `rulesets/` collection laid out like the bundled one (a
            # checkout's, when the installed copy is elsewhere) reaches its siblings
            tree = tree.parent
        trees.append(tree)
    extra = extra_include_roots() if include_roots is None else include_roots
    trees.extend(Path(_Loader.key(Path(r))) for r in extra)
    return list(dict.fromkeys(trees))


def load_ruleset(
    paths: Sequence[str | Path] | str | Path,
    template: Template | None = None,
    *,
    known_statements: Iterable[str] | None = None,
    read: list[str] | None = None,
    include_roots: Sequence[str | Path] | None = None,
) -> tuple[Ruleset, list[Diagnostic]]:
    """Read rule files (or folders), follow includes, resolve against ``template``.

    ``read``, when given, is extended with every file parsed (for caches). An
    include reaches only ``*.rules`` files inside the folders :func:`include_trees`
    names for ``paths`` and ``include_roots``.

    Every file is parsed once, however often it is named or included. The
    result is one resolved :class:`Ruleset` (rules with errors left out) and
    every diagnostic, sorted by place. The header (name, version, precision)
    comes from the first file that declares it.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    loader = _Loader(trees=include_trees(paths, include_roots))
    roots: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            unreadable: Unreadable = []
            found = rule_files(p, unreadable)
            loader.diagnostics.extend(unreadable_diagnostics(unreadable))
            if not found and not unreadable:
                loader.diagnostics.append(
                    Diagnostic("rules.io.no-rule-files", Location(str(p)), {"path": str(p)})
                )
            roots.extend(found)
        else:
            roots.append(p)
    for root in roots:
        loader.load(root, [])
    if read is not None:
        read.extend(loader.order)
    files = [loader.parsed[k] for k in loader.order]
    root_keys = {loader.key(r) for r in roots}
    root_files = [loader.parsed[k] for k in loader.order if k in root_keys]
    header_from = root_files[0] if root_files else (files[0] if files else None)
    ruleset, diagnostics = resolve(
        files,
        template,
        known_statements=known_statements,
        header_from=header_from,
        file=str(paths[0]) if paths else "<none>",
    )
    return ruleset, sort_diagnostics(_dedupe(loader.diagnostics + diagnostics))


def resolve_text(
    text: str,
    file: str = "<text>",
    template: Template | None = None,
    *,
    known_statements: Iterable[str] | None = None,
) -> tuple[Ruleset, list[Diagnostic]]:
    """Parse and resolve one rule text (no includes followed): for tests, docs and editors."""
    parsed, diags = parse_text(text, file)
    ruleset, more = resolve([parsed], template, known_statements=known_statements)
    return ruleset, sort_diagnostics(_dedupe(diags + more))


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Diagnostics in file, line, column order."""
    return sorted(
        diagnostics,
        key=lambda d: (d.location.file, d.location.line or 0, d.location.column or 0, d.code),
    )


def _dedupe(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[Any, ...]] = set()
    out: list[Diagnostic] = []
    for d in diagnostics:
        key = (d.code, d.location, tuple(sorted((k, str(v)) for k, v in d.args.items())))
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# --------------------------------------------------------------------------- resolution


@dataclass(frozen=True)
class _Ctx:
    """Where a name is being resolved."""

    scope: Table | None = None  # the table of `in 表:` or `for each row in 表`
    per_row: bool = False
    agg: Table | None = None  # inside an aggregate's where: its table
    col_var: str | None = None
    col_value: str | None = None  # the column the variable stands for in this expansion
    # the rule's `let` values defined so far (name → bound value and kind), and the names
    # its later `let` lines define (used here: before their definition)
    lets: tuple[tuple[str, Expr, Kind], ...] = ()
    pending: frozenset[str] = frozenset()
    group: Table | None = None  # in a per-group rule: the table whose rows are grouped


_INDEXES: dict[int, tuple[Template, dict[str, Table]]] = {}


def _table_index(template: Template) -> dict[str, Table]:
    """Every name of every table (as written and normalised) → the table (memoised)."""
    known = _INDEXES.get(id(template))
    if known is not None and known[0] is template:
        return known[1]
    index: dict[str, Table] = {}
    for table in template.tables:
        for name in (table.role, *table.names):
            index.setdefault(name, table)
            index.setdefault(normalize_label(strip_year(name)), table)
    if len(_INDEXES) > 16:
        _INDEXES.clear()
    _INDEXES[id(template)] = (template, index)
    return index


@lru_cache(maxsize=8192)
def _normalized(text: str) -> str:
    """``normalize_label``, remembered (did-you-mean compares against the same names often)."""
    return normalize_label(text)


class _Failed(Exception):
    """A rule cannot be resolved; its diagnostic has been recorded."""


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _can_match_prefix(pattern: str, prefix: str) -> bool:
    """Can some value starting with ``prefix`` match ``pattern``? (cheap: pads with digits)."""
    rx = _compiled(pattern)
    if rx is None:
        return True
    for pad in ("0", "a", "A"):
        for k in range(0, 40):
            if rx.fullmatch(prefix + pad * k):
                return True
    return False


def _can_have_length(pattern: str, length: int) -> bool:
    rx = _compiled(pattern)
    if rx is None or length > 200:
        return rx is None
    return any(rx.fullmatch(pad * length) for pad in ("0", "a", "A"))


class Resolver:
    """Resolves the rules of one or more parsed files against a template."""

    def __init__(self, template: Template, known_statements: Iterable[str] | None = None) -> None:
        self.template = template
        # the template's statement names (its schema's statements.x-names), unless given
        self.known_statements = frozenset(
            template.statements if known_statements is None else known_statements
        )
        self.diagnostics: list[Diagnostic] = []
        self.aliases: dict[str, tuple[Table, Alias]] = {}
        self.by_name = _table_index(template)
        self.used_aliases: set[str] = set()
        self.rule_errors = 0

    # ---- diagnostics

    def error(self, code: str, span: Span, **kw: Any) -> None:
        self._emit(code, span, "error", kw)
        self.rule_errors += 1

    def warning(self, code: str, span: Span, **kw: Any) -> None:
        self._emit(code, span, "warning", kw)

    def _emit(self, code: str, span: Span, severity: str, kw: dict[str, Any]) -> None:
        hint = kw.pop("hint", None)
        hint_args = kw.pop("hint_args", {})
        self.diagnostics.append(
            Diagnostic(code, _loc(span), kw, cast(Any, severity), hint, hint_args)
        )

    def suggest(
        self, code: str, span: Span, word: str, candidates: Sequence[str], **kw: Any
    ) -> None:
        cands = closest(word, list(dict.fromkeys(candidates)), key=_normalized)
        if cands:
            kw["hint"] = "rules.hint.did-you-mean"
            kw["hint_args"] = did_you_mean(cands)
        self.error(code, span, **kw)

    # ---- tables

    def table_names(self) -> list[str]:
        names = list(self.aliases)
        for t in self.template.tables:
            names.append(t.role)
            names.extend(t.names)
        return names

    def lookup(self, name: str) -> Table | None:
        """A table by alias, role or published name (quietly)."""
        if name in self.aliases:
            self.used_aliases.add(name)
            return self.aliases[name][0]
        found = self.by_name.get(name)
        if found is None:
            found = self.by_name.get(normalize_label(strip_year(name)))
        return found

    def table(self, name: str, span: Span) -> Table:
        found = self.lookup(name)
        if found is None:
            self.suggest("rules.resolve.unknown-table", span, name, self.table_names(), name=name)
            raise _Failed
        return found

    def column(self, table: Table, name: str, span: Span, ctx: _Ctx) -> str:
        if ctx.col_var is not None and name == ctx.col_var and ctx.col_value is not None:
            return ctx.col_value
        if table.column(name) is None:
            self.suggest(
                "rules.resolve.unknown-column",
                span,
                name,
                [c.name for c in table.columns],
                table=table.role,
                name=name,
            )
            raise _Failed
        return name

    def kind_of(self, table: Table, column: str | None) -> Kind:
        if column is None:
            return "amount"
        col = table.column(column)
        if col is None:
            return "any"
        return "amount" if col.kind == "amount" else "text"

    # ---- aliases

    def add_aliases(self, aliases: Iterable[Alias]) -> list[Alias]:
        kept: list[Alias] = []
        for alias in aliases:
            target = self.by_name.get(alias.target) or self.template.find_table(alias.target)
            if target is None:
                self.suggest(
                    "rules.resolve.unknown-table",
                    alias.target_span or alias.span,
                    alias.target,
                    [n for t in self.template.tables for n in (t.role, *t.names)],
                    name=alias.target,
                )
                continue
            existing = self.by_name.get(alias.name) or self.template.find_table(alias.name)
            if existing is not None and existing.role != target.role:
                self.error(
                    "rules.resolve.alias-conflict",
                    alias.name_span or alias.span,
                    name=alias.name,
                    table=existing.role,
                )
                continue
            if alias.name in self.aliases:
                previous = self.aliases[alias.name][0]
                if previous.role != target.role:
                    self.error(
                        "rules.resolve.alias-redefined",
                        alias.name_span or alias.span,
                        name=alias.name,
                        table=previous.role,
                    )
                continue
            self.aliases[alias.name] = (target, alias)
            kept.append(replace(alias, target=target.role))
        return kept

    def converted(
        self, tolerance: tuple[Decimal, str | None] | None, unit: str | None, span: Span
    ) -> Decimal | None:
        """A tolerance (amount, unit) in the ruleset's unit ``unit`` (as written when
        either unit is unknown); an error when the conversion needs more than 4 decimals."""
        if tolerance is None:
            return None
        value, own = tolerance
        converted = value * factor(own, unit)
        if not valid_tolerance(converted):
            self.error(
                "rules.resolve.tolerance-scale",
                span,
                value=str(value),
                unit=own,
                converted=f"{converted:f}",
                target=unit,
            )
            return None
        return converted

    def tolerance_in(self, rule: Rule | Rollup, unit: str | None) -> Rule | Rollup:
        """``rule`` with its tolerance in the ruleset's unit."""
        if rule.tolerance is None:
            return rule
        value = self.converted((rule.tolerance, rule.tolerance_unit), unit, rule.span)
        return replace(rule, tolerance=value, tolerance_unit=None)

    def report_unused_aliases(self) -> None:
        for name, (_table, alias) in self.aliases.items():
            if name not in self.used_aliases:
                self.warning("rules.resolve.unused-alias", alias.name_span or alias.span, name=name)

    # ---- rules

    def resolve_rule(self, rule: Rule) -> list[Rule]:
        """One parsed rule → its resolved rule(s) (several for a column template)."""
        errors_before = self.rule_errors
        try:
            scope_span = rule.scope_span or rule.span
            scope = self.table(rule.scope_table, scope_span) if rule.scope_table else None
        except _Failed:
            return []
        if rule.column_var is None:
            resolved = self._resolve_one(rule, scope, _Ctx(scope, rule.per_row))
            return [resolved] if resolved is not None else []
        try:
            var_table = self.table(
                rule.column_var_table or "", rule.column_var_table_span or rule.column_var.span
            )
        except _Failed:
            return []
        columns = var_table.amount_columns
        if not columns:
            self.error(
                "rules.resolve.no-amount-columns", rule.column_var.span, table=var_table.role
            )
            return []
        if not self._uses_var(rule, rule.column_var.name):
            self.warning(
                "rules.resolve.column-var-unused", rule.column_var.span, name=rule.column_var.name
            )
        out: list[Rule] = []
        for column in columns:
            ctx = _Ctx(scope, rule.per_row, None, rule.column_var.name, column)
            resolved = self._resolve_one(rule, scope, ctx)
            if resolved is None:
                break  # the first column's errors are the same for every column
            meta = replace(resolved.meta, id=f"{rule.meta.id}[{column}]")
            out.append(
                replace(
                    resolved,
                    meta=meta,
                    column_var=None,
                    column_var_table=None,
                    expanded_column=column,
                )
            )
        if self.rule_errors > errors_before:
            return []
        return out

    def _uses_var(self, rule: Rule, var: str) -> bool:
        return any(
            (isinstance(node, Name) and var in node.parts)
            or (isinstance(node, CellRef | Aggregate | InColumn) and node.column == var)
            for part in (
                rule.check,
                rule.when,
                rule.row_filter,
                rule.group_by,
                *(x.value for x in rule.lets),
            )
            for node in descendants(part)
        )

    def _resolve_one(self, rule: Rule, scope: Table | None, ctx: _Ctx) -> Rule | None:
        errors_before = self.rule_errors
        row_filter = when = None
        check: Cond | None = None
        grouped = rule.group_by is not None and scope is not None
        key: Expr | None = None
        if grouped:  # the key and filter read a row; the rule, the group's rows
            ctx = replace(ctx, per_row=True)
            with contextlib.suppress(_Failed):
                key = self.group_key(rule, ctx)
        try:
            if rule.row_filter is not None:
                row_filter = self.cond(rule.row_filter, ctx)
                if scope is not None:
                    self.never_applies(row_filter, scope)
                if grouped:
                    self.reads_row_only(row_filter, "rules.resolve.group-reads-row")
        except _Failed:
            pass
        if grouped:
            ctx = replace(ctx, scope=None, per_row=False, group=scope)
        lets, ctx = self.lets(rule, ctx)
        try:
            if rule.when is not None:
                when = self.cond(rule.when, ctx)
        except _Failed:
            pass
        with contextlib.suppress(_Failed):
            check = self.cond(rule.check, ctx)
        if self.rule_errors > errors_before or check is None:
            return None
        self.unused_lets(lets, (check, when, *(x.value for x in lets)))
        per_row = rule.per_row and scope is not None
        return replace(
            rule,
            check=check,
            scope_table=scope.role if (per_row or grouped) and scope is not None else None,
            per_row=per_row,
            row_filter=row_filter if per_row or grouped else None,
            when=when,
            lets=tuple(lets),
            group_by=key,
        )

    def group_key(self, rule: Rule, ctx: _Ctx) -> Expr:
        """A per-group rule's key: text computed from a row of its table alone."""
        assert rule.group_by is not None and ctx.scope is not None
        key, kind = self.expr(rule.group_by, ctx)
        if kind == "amount":
            what = _text_of(rule.group_by)
            self.error("rules.resolve.group-key-kind", rule.group_by.span, name=what)
            raise _Failed
        self.reads_row_only(key, "rules.resolve.group-reads-row")
        return key

    def lets(self, rule: Rule, ctx: _Ctx) -> tuple[list[Let], _Ctx]:
        """The rule's ``let`` values bound in order (each sees the ones before it), and the
        context its ``when`` and check are resolved in (every one defined)."""
        bound: list[Let] = []
        first: dict[str, Let] = {}
        for i, let in enumerate(rule.lets):
            span = let.name_span or let.span
            if let.name in first:
                where = first[let.name].span
                self.error(
                    "rules.resolve.let-duplicate",
                    span,
                    name=let.name,
                    hint="rules.resolve.first-defined",
                    hint_args={"where": f"{where.file}:{where.line}:{where.column}"},
                )
                continue
            first[let.name] = let
            self.let_name(let, span, ctx)
            later = frozenset(x.name for x in rule.lets[i:])
            try:
                value, kind = self.expr(let.value, replace(ctx, pending=later))
            except _Failed:
                continue
            bound.append(replace(let, value=value))
            ctx = replace(ctx, lets=(*ctx.lets, (let.name, value, kind)))
        return bound, replace(ctx, pending=frozenset())

    def let_name(self, let: Let, span: Span, ctx: _Ctx) -> None:
        """A ``let`` name must not hide a name the rule could mean otherwise: a column of
        the current row, a table, 说明 / meta."""
        row = ctx.scope if ctx.per_row else None
        if row is not None and row.column(let.name) is not None:
            what = (f"{row.role} 的列", f"a column of {row.role},")
        elif self.lookup(let.name) is not None:
            what = ("表", "the table")
        elif let.name in (*STATEMENT_PREFIXES, META_PREFIX):
            what = ("前缀", "the prefix")
        else:
            return
        zh, en = what
        self.error("rules.resolve.let-shadows", span, name=let.name, what_zh=zh, what_en=en)

    def unused_lets(self, lets: Sequence[Let], parts: Iterable[object]) -> None:
        used = {n.name for part in parts for n in descendants(part) if isinstance(n, LetRef)}
        for let in lets:
            if let.name not in used:
                self.warning("rules.resolve.let-unused", let.name_span or let.span, name=let.name)

    def resolve_rollup(self, rollup: Rollup) -> Rollup | None:
        errors_before = self.rule_errors
        span = rollup.span
        try:
            table = self.table(rollup.table, rollup.table_span or span)
        except _Failed:
            return None
        code = table.column(rollup.code_column)
        if code is None:
            self.suggest(
                "rules.resolve.unknown-column",
                rollup.code_span or span,
                rollup.code_column,
                [c.name for c in table.columns],
                table=table.role,
                name=rollup.code_column,
            )
            return None
        if code.kind != "code":
            self.error(
                "rules.resolve.rollup-code",
                rollup.code_span or span,
                table=table.role,
                column=code.name,
            )
            return None
        levels = rollup.levels
        if len(levels) < 2 or any(b <= a for a, b in itertools.pairwise(levels)):
            self.error(
                "rules.resolve.rollup-levels", span, levels=", ".join(str(n) for n in levels)
            )
        elif code.pattern:
            for level in levels:
                if not _can_have_length(code.pattern, level):
                    self.warning(
                        "rules.resolve.rollup-level-never",
                        span,
                        table=table.role,
                        column=code.name,
                        pattern=code.pattern,
                        level=level,
                    )
        columns: list[str] = []
        spans = rollup.column_spans if len(rollup.column_spans) == len(rollup.columns) else ()
        for i, name in enumerate(rollup.columns or table.amount_columns):
            cspan = spans[i] if spans else span
            col = table.column(name)
            if col is None:
                self.suggest(
                    "rules.resolve.unknown-column",
                    cspan,
                    name,
                    [c.name for c in table.columns],
                    table=table.role,
                    name=name,
                )
            elif col.kind != "amount":
                self.error("rules.resolve.rollup-column", cspan, table=table.role, name=name)
            else:
                columns.append(name)
        if self.rule_errors > errors_before:
            return None
        return replace(rollup, table=table.role, columns=tuple(columns))

    # ---- conditions

    def cond(self, c: Cond, ctx: _Ctx) -> Cond:
        match c:
            case Compare(op=op, left=left, right=right):
                (lv, lk), (rv, rk) = self.exprs((left, right), ctx)
                if {lk, rk} == {"amount", "text"}:
                    literal_number = isinstance(left, Number) or isinstance(right, Number)
                    self.error(
                        "rules.resolve.compare-types",
                        c.span,
                        hint="rules.hint.quote-code" if literal_number else None,
                    )
                    raise _Failed
                return Compare(op, lv, rv, c.span)
            case Between(operand=operand, low=low, high=high):
                sides = self.exprs((operand, low, high), ctx)
                failed = False
                for node, (_, kind) in zip((operand, low, high), sides, strict=True):
                    if kind == "text":  # every side is reported
                        literal = node.value if isinstance(node, String) else None
                        self.error(
                            "rules.resolve.between-text",
                            node.span,
                            name=_text_of(node) if literal is None else f'"{literal}"',
                            hint=None if literal is None else "rules.hint.between",
                        )
                        failed = True
                if failed:
                    raise _Failed
                value, lo, hi = (v for v, _ in sides)
                return Between(value, lo, hi, c.span)
            case And(items=items):
                return And(tuple(self._each(items, ctx)), c.span)
            case Or(items=items):
                return Or(tuple(self._each(items, ctx)), c.span)
            case Not(item=item):
                return Not(self.cond(item, ctx), c.span)
            case IsNull(operand=operand, negated=negated):
                value, _ = self.expr(operand, ctx)
                return IsNull(value, negated, c.span)
            case IsEmpty(table=name, negated=negated):
                table = self.table(name, c.table_span or c.span)
                return IsEmpty(table.role, negated, c.span, table_span=c.table_span)
            case Predicate(func=func, args=args):
                return Predicate(func, self.arguments(func, args, ctx), c.span)
            case StartsWith(operand=operand, prefix=prefix):
                value, kind = self.expr(operand, ctx)
                self.need(kind, "text", operand, "startswith")
                pvalue, pkind = self.expr(prefix, ctx)
                if pkind == "amount":
                    self.error(
                        "rules.resolve.expected-text",
                        prefix.span,
                        what="startswith",
                        hint="rules.hint.quote-code",
                    )
                    raise _Failed
                return StartsWith(value, pvalue, c.span)
            case InValues(operand=operand, values=values, negated=negated):
                value, kind = self.expr(operand, ctx)
                resolved: list[Expr] = []
                for v, (rv, rk) in zip(values, self.exprs(values, ctx), strict=True):
                    if {kind, rk} == {"amount", "text"}:
                        self.error(
                            "rules.resolve.compare-types",
                            v.span,
                            hint="rules.hint.quote-code" if isinstance(v, Number) else None,
                        )
                        raise _Failed
                    resolved.append(rv)
                return InValues(value, tuple(resolved), negated, c.span)
            case InColumn(operand=operand, table=tname, column=cname, negated=negated):
                value, kind = self.expr(operand, ctx)
                table = self.table(tname, c.table_span or c.span)
                column = self.column(table, cname, c.column_span or c.span, ctx)
                ckind = self.kind_of(table, column)
                if {kind, ckind} == {"amount", "text"}:
                    self.error("rules.resolve.compare-types", c.span)
                    raise _Failed
                return InColumn(
                    value,
                    table.role,
                    column,
                    negated,
                    c.span,
                    table_span=c.table_span,
                    column_span=c.column_span,
                )
            case Exists(ref=ref):
                cell, _ = self.cell(ref, ctx)
                return Exists(cell, c.span)
        raise _Failed  # pragma: no cover - every Cond is matched above

    def _each(self, items: Iterable[Cond], ctx: _Ctx) -> list[Cond]:
        out: list[Cond] = []
        failed = False
        for item in items:
            try:
                out.append(self.cond(item, ctx))
            except _Failed:
                failed = True  # keep going: report every error of the rule
        if failed:
            raise _Failed
        return out

    def need(self, kind: Kind, wanted: Kind, node: Expr, what: str) -> None:
        if kind == "any" or kind == wanted:
            return
        if wanted == "amount":
            if isinstance(node, Name | ColumnRef | CellRef):
                self.error("rules.resolve.arith-text", node.span, name=_text_of(node))
            else:
                self.error("rules.resolve.expected-amount", node.span, what=what)
        else:
            self.error("rules.resolve.expected-text", node.span, what=what)
        raise _Failed

    # ---- values

    def expr(self, e: Expr, ctx: _Ctx) -> tuple[Expr, Kind]:
        match e:
            case Number():
                return e, "amount"
            case String():
                return e, "text"
            case Name():
                return self.name(e, ctx)
            case CellRef():
                return self.cell(e, ctx)
            case ColumnRef():
                return self.outer(e, ctx)
            case StatementRef():
                return e, "amount"
            case GroupKey():
                if ctx.group is None:
                    self.error("rules.resolve.group-outside", e.span)
                    raise _Failed
                return e, "text"
            case MetaRef(field=field):
                found = self.template.meta_field(field)
                return e, "text" if found is not None and found.kind == "text" else "amount"
            case BinOp(op=op, left=left, right=right):
                failed = False
                parts: list[Expr] = []
                for side in (left, right):
                    try:
                        value, kind = self.expr(side, ctx)
                        self.need(kind, "amount", side, op)
                        parts.append(value)
                    except _Failed:
                        failed = True
                if failed:
                    raise _Failed
                return BinOp(op, parts[0], parts[1], e.span), "amount"
            case Neg(operand=operand):
                value, kind = self.expr(operand, ctx)
                self.need(kind, "amount", operand, "-")
                return Neg(value, e.span), "amount"
            case Aggregate():
                return self.aggregate(e, ctx), "amount"
            case Call():
                return self.call(e, ctx)
            case Related(relation=relation, operand=operand):
                value, kind = self.expr(operand, ctx)
                self.need(kind, "amount", operand, relation)
                if any(_current(n) for n in descendants(value)):
                    # another document has no "current row" (or group): document-level
                    # values only
                    self.error("rules.resolve.related-row", e.span, relation=relation)
                    raise _Failed
                return Related(relation, value, e.span), "amount"
        raise _Failed  # ColumnVar never reaches here: syntax keeps loop variables as names

    def exprs(self, items: Sequence[Expr], ctx: _Ctx) -> list[tuple[Expr, Kind]]:
        """Resolve several values, reporting the errors of all of them."""
        out: list[tuple[Expr, Kind]] = []
        failed = False
        for item in items:
            try:
                out.append(self.expr(item, ctx))
            except _Failed:
                failed = True
        if failed:
            raise _Failed
        return out

    def call(self, e: Call, ctx: _Ctx) -> tuple[Expr, Kind]:
        result = FUNCTIONS[e.func].result
        kind: Kind = "text" if result == "text" else "amount"
        return Call(e.func, self.arguments(e.func, e.args, ctx), e.span), kind

    def arguments(self, func: str, args: Sequence[Expr], ctx: _Ctx) -> tuple[Expr, ...]:
        """A function's arguments resolved, each of the kind its parameter takes
        (checker.functions; literal ones were checked when parsed)."""
        out: list[Expr] = []
        failed = False
        for param, arg in FUNCTIONS[func].bind(args):
            if param.kind in LITERAL_KINDS:
                out.append(arg)
                continue
            try:
                value, kind = self.expr(arg, ctx)
                if param.kind == "statement" and not isinstance(value, StatementRef):
                    self.error("rules.resolve.wording-of-statement", arg.span)
                    raise _Failed
                if param.kind in ("amount", "text"):
                    self.need(kind, param.kind, arg, func)
                out.append(value)
            except _Failed:
                failed = True  # keep going: report every error of the call
        if failed:
            raise _Failed
        return tuple(out)

    def aggregate(self, e: Aggregate, ctx: _Ctx) -> Aggregate:
        table = self.table(e.table, e.table_span or e.span)
        column = None
        if e.column is not None:
            column = self.column(table, e.column, e.column_span or e.span, ctx)
            if self.kind_of(table, column) == "text":
                self.error("rules.resolve.expected-amount", e.column_span or e.span, what=e.func)
                raise _Failed
        where = None
        if e.where is not None:
            inner = replace(ctx, agg=table)
            where = self.cond(e.where, inner)
            self.never_applies(where, table)
            self.rows_only(where)
        return Aggregate(
            e.func,
            table.role,
            column,
            where,
            e.span,
            table_span=e.table_span,
            column_span=e.column_span,
            in_group=ctx.group is not None and table is ctx.group,
        )

    def rows_only(self, where: Cond) -> None:
        """An aggregate's filter is computed on the rows it aggregates (per document, all at
        once): it can read their columns (and ``row.列``), not a value of the whole
        document, which is computed from those same rows."""
        self.reads_row_only(where, "rules.resolve.document-value-in-where")

    def reads_row_only(self, node: Expr | Cond, code: str) -> None:
        """Report (``code``) the first value of the whole document ``node`` reads."""
        for found in descendants(node):
            what = _document_value(found)
            if what is None and isinstance(found, GroupKey) and code != _IN_WHERE:
                what = "group"  # a group's key or filter cannot read the key itself
            if what is not None:
                span = getattr(found, "span", getattr(node, "span", NOWHERE))
                self.error(code, span, what=what)
                raise _Failed

    def cell(self, ref: CellRef, ctx: _Ctx) -> tuple[CellRef, Kind]:
        table = self.table(ref.table or "", ref.table_span or ref.span)
        row = self.row_key(table, ref.row)
        if ref.column is None:
            if not table.value:
                self.error("rules.resolve.no-value-column", ref.span, table=table.role)
                raise _Failed
            column = table.value[0] if len(table.value) == 1 else None
        else:
            column = self.column(table, ref.column, ref.column_span or ref.span, ctx)
        resolved = CellRef(
            table.role,
            row,
            column,
            ref.span,
            table_span=ref.table_span,
            column_span=ref.column_span,
        )
        return resolved, self.kind_of(table, column)

    def row_key(self, table: Table, key: RowKey) -> RowKey:
        if key.kind == "code":
            if table.code is None:
                if table.label is not None:
                    return replace(key, kind="label")  # an all-digit label
                self.error("rules.resolve.no-code", key.span, table=table.role, key=key.value)
                raise _Failed
            col = table.column(table.code)
            if col is not None and col.pattern:
                rx = _compiled(col.pattern)
                if rx is not None and not rx.fullmatch(key.value):
                    self.warning(
                        "rules.resolve.code-never",
                        key.span,
                        key=key.value,
                        table=table.role,
                        column=col.name,
                        pattern=col.pattern,
                    )
            return key
        if table.label is None:
            self.error("rules.resolve.no-label", key.span, table=table.role)
            raise _Failed
        return key

    def outer(self, ref: ColumnRef, ctx: _Ctx) -> tuple[Expr, Kind]:
        if not ctx.per_row or ctx.scope is None:
            self.error("rules.resolve.outer-row", ref.span)
            raise _Failed
        column = self.column(ctx.scope, ref.column, ref.span, ctx)
        outer = ctx.agg is not None
        return ColumnRef(ctx.scope.role, column, outer, ref.span), self.kind_of(ctx.scope, column)

    def name(self, n: Name, ctx: _Ctx) -> tuple[Expr, Kind]:
        parts = n.parts
        text = n.text
        spans = n.part_spans if len(n.part_spans) == len(parts) else (n.span,) * len(parts)

        def joined(i: int) -> Span:
            first, last = spans[i], spans[-1]
            return Span(first.file, first.line, first.column, last.end_line, last.end_column)

        # 说明.支出.基本支出占比
        if parts[0] in STATEMENT_PREFIXES:
            if len(parts) == 1:
                self.error("rules.syntax.statement-name", n.span)
                raise _Failed
            statement = ".".join(parts[1:])
            if statement not in self.known_statements:
                cands = closest(statement, sorted(self.known_statements))
                self._emit(
                    "rules.resolve.unknown-statement",
                    joined(1),
                    "warning",
                    {
                        "name": statement,
                        **(
                            {"hint": "rules.hint.did-you-mean", "hint_args": did_you_mean(cands)}
                            if cands
                            else {}
                        ),
                    },
                )
            return StatementRef(statement, n.span), "amount"

        # meta.year: the document's own fields
        if parts[0] == META_PREFIX:
            return self.meta(n, parts, joined)

        # a value the rule named with `let`
        if len(parts) == 1 and (ctx.lets or ctx.pending):
            found = self.let_ref(n, ctx)
            if found is not None:
                return found

        # the loop variable of `for each amount column c`
        if ctx.col_var is not None and ctx.col_value is not None:
            if parts == (ctx.col_var,):
                table = ctx.agg or (ctx.scope if ctx.per_row else None)
                if table is None:
                    self.error("rules.resolve.column-var", n.span, name=ctx.col_var)
                    raise _Failed
                column = self.column(table, ctx.col_value, n.span, ctx)
                return ColumnRef(table.role, column, False, n.span), self.kind_of(table, column)
            if len(parts) == 2 and parts[1] == ctx.col_var:
                parts = (parts[0], ctx.col_value)
                text = ".".join(parts)

        # a column of the aggregated rows, or of the current row
        for table in (ctx.agg, ctx.scope if ctx.per_row else None):
            if table is not None and table.column(text) is not None:
                return ColumnRef(table.role, text, False, n.span), self.kind_of(table, text)

        # 表.列
        if len(parts) >= 2:
            table = self.lookup(parts[0])
            if table is not None:
                column = ".".join(parts[1:])
                if table.column(column) is None:
                    self.suggest(
                        "rules.resolve.unknown-column",
                        joined(1),
                        column,
                        [c.name for c in table.columns],
                        table=table.role,
                        name=column,
                    )
                    raise _Failed
                if table is ctx.agg or (ctx.per_row and table is ctx.scope):
                    return ColumnRef(table.role, column, False, n.span), self.kind_of(table, column)
                self.error("rules.resolve.whole-column", n.span, name=text)
                raise _Failed

        # a column of the grouped table, outside an aggregate: a group has many rows
        if ctx.group is not None and ctx.agg is None and ctx.group.column(text) is not None:
            self.error("rules.resolve.group-column", n.span, name=text, table=ctx.group.role)
            raise _Failed

        # `in 表:` — a bare name is a row of that table
        if ctx.scope is not None and not ctx.per_row and ctx.agg is None:
            return self.scoped_row(n, parts, ctx.scope, spans)

        # a table used as a value
        if len(parts) == 1 and self.lookup(text) is not None:
            self.error("rules.resolve.table-as-value", n.span, name=text)
            raise _Failed

        self.unknown_name(n, parts, ctx, spans)
        raise _Failed

    def let_ref(self, n: Name, ctx: _Ctx) -> tuple[Expr, Kind] | None:
        """``名`` a ``let`` line of the rule defines (None: no let of that name)."""
        bound = next((x for x in reversed(ctx.lets) if x[0] == n.text), None)
        if bound is None and n.text in ctx.pending:
            self.error("rules.resolve.let-before-definition", n.span, name=n.text)
            raise _Failed
        if bound is None:
            return None
        if ctx.agg is not None:  # a filter runs on the aggregated rows, not the rule's own
            self.error("rules.resolve.let-in-where", n.span, name=n.text)
            raise _Failed
        return LetRef(n.text, bound[1], n.span), bound[2]

    def meta(self, n: Name, parts: tuple[str, ...], joined: Any) -> tuple[Expr, Kind]:
        """``meta.名``: a field of the document's ``meta`` object the template declares."""
        known = [c.name for c in self.template.meta]
        field = ".".join(parts[1:])
        found = self.template.meta_field(field) if len(parts) == 2 else None
        if found is None:
            cands = closest(field, known) if field else []
            self.error(
                "rules.resolve.unknown-meta",
                joined(1) if len(parts) > 1 else n.span,
                name=field or "",
                known="、".join(known) or "—",
                known_en=", ".join(known) or "—",
                **(
                    {"hint": "rules.hint.did-you-mean", "hint_args": did_you_mean(cands)}
                    if cands
                    else {}
                ),
            )
            raise _Failed
        return MetaRef(found.name, n.span), "amount" if found.kind == "amount" else "text"

    def scoped_row(
        self, n: Name, parts: tuple[str, ...], scope: Table, spans: Sequence[Span]
    ) -> tuple[Expr, Kind]:
        for k in range(1, len(parts)):
            column = ".".join(parts[k:])
            if scope.column(column) is not None:
                row_text = ".".join(parts[:k])
                key = RowKey(row_text, "code" if row_text.isdigit() else "label", spans[0])
                ref = CellRef(
                    scope.role,
                    key,
                    column,
                    n.span,
                    table_span=None,
                    column_span=Span(
                        n.span.file,
                        spans[k].line,
                        spans[k].column,
                        spans[-1].end_line,
                        spans[-1].end_column,
                    ),
                )
                resolved, kind = self.cell(ref, _Ctx())
                return resolved, kind
        if len(parts) > 1:
            # a row label does not contain dots: the tail must be a misspelt column
            last = Span(
                n.span.file,
                spans[1].line,
                spans[1].column,
                spans[-1].end_line,
                spans[-1].end_column,
            )
            column = ".".join(parts[1:])
            self.suggest(
                "rules.resolve.unknown-column",
                last,
                column,
                [c.name for c in scope.columns],
                table=scope.role,
                name=column,
            )
            raise _Failed
        key = RowKey(n.text, "code" if n.text.isdigit() else "label", n.span)
        return self.cell(CellRef(scope.role, key, None, n.span), _Ctx())

    def unknown_name(
        self, n: Name, parts: tuple[str, ...], ctx: _Ctx, spans: Sequence[Span]
    ) -> None:
        table = ctx.agg or (ctx.scope if ctx.per_row else None)
        lets = [name for name, _, _ in ctx.lets] if ctx.agg is None else []  # a misspelt let
        columns = [c.name for c in table.columns] if table is not None else []
        tables = self.table_names()
        by_column = closest(n.text, columns + lets, key=_normalized) if columns else []
        by_table = closest(parts[0], tables, key=_normalized) if len(parts) > 1 else []
        if by_table and not by_column:
            span = spans[0]
            self.error(
                "rules.resolve.unknown-table",
                span,
                name=parts[0],
                hint="rules.hint.did-you-mean",
                hint_args=did_you_mean(by_table),
            )
            return
        if table is not None:
            self.error(
                "rules.resolve.unknown-column",
                n.span,
                table=table.role,
                name=n.text,
                **(
                    {"hint": "rules.hint.did-you-mean", "hint_args": did_you_mean(by_column)}
                    if by_column
                    else {}
                ),
            )
            return
        cands = closest(n.text, tables + lets, key=_normalized)
        self.error(
            "rules.resolve.unknown-name",
            n.span,
            name=n.text,
            **(
                {"hint": "rules.hint.did-you-mean", "hint_args": did_you_mean(cands)}
                if cands
                else {}
            ),
        )

    # ---- static "never applies"

    def never_applies(self, cond: Cond, table: Table) -> None:
        """Warn about a filter that contradicts a code column's schema pattern."""
        items = cond.items if isinstance(cond, And) else (cond,)
        for item in items:
            found = self._contradiction(item, table)
            if found is not None:
                column, pattern, what = found
                self.warning(
                    "rules.resolve.never-applies",
                    item.span,
                    what=what,
                    table=table.role,
                    column=column,
                    pattern=pattern,
                )

    def _contradiction(self, item: Cond, table: Table) -> tuple[str, str, str] | None:
        def code_column(e: Expr) -> tuple[str, str] | None:
            if isinstance(e, ColumnRef) and not e.outer and e.table == table.role:
                col = table.column(e.column)
                if col is not None and col.pattern and col.kind == "code":
                    return col.name, col.pattern
            return None

        match item:
            case Compare(op="=", left=left, right=String(value=value)):
                found = code_column(left)
                if found and (rx := _compiled(found[1])) is not None and not rx.fullmatch(value):
                    return found[0], found[1], f'{found[0]} = "{value}"'
            case StartsWith(operand=operand, prefix=String(value=value)):
                found = code_column(operand)
                if found and not _can_match_prefix(found[1], value):
                    return found[0], found[1], f'{found[0]} startswith "{value}"'
            case Compare(op="=", left=Call(func="length", args=(arg,)), right=Number(value=n)):
                found = code_column(arg)
                if (
                    found
                    and n == n.to_integral()
                    and n >= 0
                    and not _can_have_length(found[1], int(n))
                ):
                    return found[0], found[1], f"length({found[0]}) = {n}"
            case InValues(operand=operand, values=values, negated=False):
                found = code_column(operand)
                if found and values and all(isinstance(v, String) for v in values):
                    rx = _compiled(found[1])
                    if rx is not None and not any(
                        rx.fullmatch(cast(String, v).value) for v in values
                    ):
                        return found[0], found[1], f"{found[0]} in (…)"
        return None


def _current(node: object) -> bool:
    """Whether ``node`` reads the current row or group (which another document lacks)."""
    return isinstance(node, ColumnRef | GroupKey) or (isinstance(node, Aggregate) and node.in_group)


def _document_value(node: object) -> str | None:
    """How a message names ``node`` if it is a value of the whole document (a cell, a
    statement, a meta field, an aggregate, a table test …), else None."""
    match node:
        case CellRef() | StatementRef() | MetaRef():
            return _text_of(node)
        case Aggregate(func=func):
            return f"{func}(…)"
        case Call(func=func) if any(p.kind == "statement" for p in FUNCTIONS[func].params):
            return f"{func}(…)"  # wording(说明.…)
        case Related(relation=relation):
            return f"{relation}(…)"
        case IsEmpty(table=table):
            return f"{table} is empty"
        case InColumn(table=table, column=column):
            return f"in {table}.{column}"
        case Exists(ref=ref):
            return f"exists {_text_of(ref)}"
    return None


def _text_of(node: Expr) -> str:
    if isinstance(node, Name):
        return node.text
    if isinstance(node, ColumnRef):
        return node.column
    if isinstance(node, CellRef):
        return f"{node.table}[{node.row.value}]" + (f".{node.column}" if node.column else "")
    if isinstance(node, Call):
        return f"{node.func}(…)"
    if isinstance(node, StatementRef):
        return f"说明.{node.name}"
    if isinstance(node, MetaRef):
        return f"meta.{node.field}"
    return "?"


def resolve(
    files: Sequence[Ruleset],
    template: Template | None = None,
    *,
    known_statements: Iterable[str] | None = None,
    header_from: Ruleset | None = None,
    file: str | None = None,
) -> tuple[Ruleset, list[Diagnostic]]:
    """Resolve parsed files (already loaded, includes first) into one resolved :class:`Ruleset`."""
    template = template or load_template()
    resolver = Resolver(template, known_statements)
    header = header_from or (files[0] if files else Ruleset(file=file or "<none>"))
    aliases = resolver.add_aliases(a for f in files for a in f.aliases)
    precision = header.precision
    unit = header.unit
    unit_precisions = header.unit_precisions
    for f in files:
        if precision is None and f.precision is not None:
            precision, unit, unit_precisions = f.precision, f.unit, f.unit_precisions
        elif f.precision is not None and f.precision != precision and f is not header:
            resolver.warning(
                "rules.resolve.precision-ignored",
                Span(f.file, 1, 1, 1, 2),
                value=str(f.precision),
                root=Path(header.file).name,
            )
    if unit is not None and unit not in UNITS:
        unit = None  # already reported by syntax
    tolerance = _header_tolerance(files, header, resolver)
    rules: list[Rule | Rollup] = []
    first_seen: dict[str, Span] = {}
    for f in files:
        for item in f.rules:
            rid = item.meta.id
            if rid in first_seen:
                where = first_seen[rid]
                resolver._emit(
                    "rules.resolve.duplicate-id",
                    item.meta.span,
                    "error",
                    {
                        "id": rid,
                        "hint": "rules.resolve.first-defined",
                        "hint_args": {"where": f"{where.file}:{where.line}:{where.column}"},
                    },
                )
                continue
            first_seen[rid] = item.meta.span
            if isinstance(item, Rollup):
                rollup = resolver.resolve_rollup(item)
                if rollup is not None:
                    rules.append(rollup)
            else:
                rules.extend(resolver.resolve_rule(item))
    resolver.report_unused_aliases()
    rules = [resolver.tolerance_in(r, unit) for r in rules]
    ruleset = Ruleset(
        file=file or header.file,
        name=header.name or next((f.name for f in files if f.name), None),
        version=header.version or next((f.version for f in files if f.version), None),
        precision=precision,
        unit=unit,
        unit_precisions=unit_precisions if unit is not None else (),
        aliases=tuple(aliases),
        includes=(),
        rules=tuple(rules),
        span=header.span,
        tolerance=resolver.converted(tolerance, unit, header.span),
    )
    return ruleset, resolver.diagnostics


def _header_tolerance(
    files: Sequence[Ruleset], header: Ruleset, resolver: Resolver
) -> tuple[Decimal, str | None] | None:
    """The ruleset's ``tolerance`` (amount, unit): the root file's, else the first file's
    that declares one; another one in an included file is ignored with a warning."""
    found = (header.tolerance, header.tolerance_unit) if header.tolerance is not None else None
    for f in files:
        if f.tolerance is None:
            continue
        own = (f.tolerance, f.tolerance_unit)
        if found is None:
            found = own
        elif own != found and f is not header:
            written = f"{f.tolerance}" + (f" {f.tolerance_unit}" if f.tolerance_unit else "")
            root = Path(header.file).name
            resolver.warning("rules.resolve.tolerance-ignored", f.span, value=written, root=root)
    return found


def default_precision(ruleset: Ruleset) -> Decimal:
    """The ruleset's rounding unit (``Ruleset.DEFAULT_PRECISION`` when it declares none)."""
    return ruleset.precision if ruleset.precision is not None else Ruleset.DEFAULT_PRECISION
