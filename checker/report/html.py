"""The HTML report (``check --format html``): one self-contained page per run.

The documents' tables are drawn as published (title, unit, the multi-level header the
column names spell, ``收入 | 支出`` blocks side by side as the template's layout prints
them), each cell a result reads marked: failing red, error violet, rounding (尾差) amber,
waived grey; a cell the error localization suggests changing is outlined with the value
it would need. Every mark links to its findings (rule as written, both sides, their
intervals, the difference and the allowance, every operand cell with its JSON pointer and
published place), and every finding back to its cells.

What is drawn, so that a batch of thousands of documents stays a page a browser opens:
only documents with a mark get a section, and in it only the tables holding a mark;
a run of more than :data:`~checker.report.model.MANY_DOCUMENTS` documents draws only the
marked rows of those tables (the rows between them counted, not drawn). A run of several
documents starts with an index of them all (counts per status, a filter). The page loads
nothing: its style and its small script are inline and constant, and every text that comes
from a document, a rule file or a path is escaped (:func:`_text`), never put into the
script.
"""

from __future__ import annotations

import html
import shlex
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from checker import __version__, pointers
from checker.diagnostics import Lang, severity_word
from checker.display import inert
from checker.documents.amounts import SCALE
from checker.evaluate import printed_decimals
from checker.report.formats import DRAWN_DOCUMENTS
from checker.report.html_assets import CSS, JS, POLICY
from checker.report.locate import place, rule_place, rule_text
from checker.report.messages import (
    cell_value,
    fmt,
    result_message,
    source_label,
    status_word,
)
from checker.report.model import MANY_DOCUMENTS, Report, waived_flag
from checker.template import Table, Template

# the statuses marked on the tables, the worst first (a cell read by several results
# takes the worst unwaived one's colour)
MARKED = ("fail", "error", "tolerated", "rounding")
_RANK = {"fail": 0, "error": 1, "tolerated": 2, "rounding": 3, "waived": 4}

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("rulecheck 检查报告", "rulecheck report"),
    "ruleset": ("规则集", "ruleset"),
    "rules": ("条规则", "rules"),
    "documents": ("文档", "documents"),
    "document": ("文档", "document"),
    "index": ("文档索引", "documents"),
    "filter": ("筛选：编号、路径、单位", "filter: id, path, body"),
    "only-marked": ("只看有标记的", "only those with marks"),
    "sort": ("点击表头排序", "click a heading to sort"),
    "not-all-drawn": (
        "有标记的文档共 {marked} 个，绘制了前 {drawn} 个；其余 {rest} 个只列出计数"
        "（单独检查一个文档即可绘制它）",
        "{marked} documents have marks: the first {drawn} are drawn, the other {rest} only"
        " counted here (check one on its own to draw it)",
    ),
    "path": ("路径", "path"),
    "body": ("单位", "body"),
    "findings": ("问题", "findings"),
    "no-findings": ("没有不符、无法计算或尾差。", "no failures, errors or rounding."),
    "not-drawn": ("（无标记，未绘制）", "(no marks: not drawn)"),
    "unit": ("单位", "unit"),
    "row": ("行", "row"),
    "rows-omitted": ("省略 {n} 行（无标记）", "{n} rows without marks not drawn"),
    "statements": ("说明中的数字", "figures stated in the prose"),
    "statement": ("名称", "name"),
    "printed": ("原文", "as printed"),
    "value": ("数值", "value"),
    "lhs": ("左边", "left"),
    "rhs": ("右边", "right"),
    "diff": ("相差", "difference"),
    "tolerance": ("舍入容差", "rounding allowance"),
    "interval": ("区间", "interval"),
    "operands": ("引用的单元格", "cells read"),
    "pointer": ("JSON 指针", "JSON pointer"),
    "published": ("刊印位置", "published at"),
    "explain": ("逐步计算", "step by step"),
    "waived": ("已豁免", "waived"),
    "waiver": ("豁免", "waiver"),
    "until": ("有效至", "until"),
    "column-sum": ("本列合计参与计算", "this column's total is an operand"),
    "likely": ("最可能有误的单元格", "most likely wrong"),
    "likely-note": (
        "改动这些单元格即可使不符的等式成立、其余等式仍成立（括号内为所需数值）",
        "changing these cells makes the failing identities hold and keeps the others"
        " holding (the value each would need)",
    ),
    "suggested": ("建议值", "would need"),
    "candidate": ("候选（同样少的改动，任选其一）", "candidates (as few changes each: any one)"),
    "rounding-causes": ("尾差来源", "where the rounding differences come from"),
    "rounding-note": (
        "这些数字在自身舍入区间内的取值可解释下列尾差（不是错误）",
        "these figures, within their own rounding interval, explain the rounding"
        " differences below (not errors)",
    ),
    "explains": ("解释", "explains"),
    "loc-none": (
        "在允许的范围内，改动刊印的数字无法使这些不符同时成立",
        "no change of printed figures within the limits makes these failures hold",
    ),
    "loc-too-large": ("涉及的数字太多，未定位", "too many figures involved: not localized"),
    "loc-more": (
        "（还有同样少的改动未列出）",
        "(further candidates as good exist, not all listed)",
    ),
    "invalid": ("无效文档", "invalid documents"),
    "waiver-diagnostics": ("豁免文件", "waiver files"),
    "interrupted": (
        "已中断：只含中断前检查完的文档",
        "interrupted: only the documents checked before it",
    ),
    "legend": ("图例", "legend"),
    "generated": ("生成", "generated by"),
    "worst-rules": ("不符最多的规则", "rules failing most"),
}


def _word(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def _text(value: object) -> str:
    """Any text for the page: control characters shown escaped (:func:`inert`), then HTML
    escaped, quotes included, so that it is inert in element content and attributes alike."""
    return _escaped("" if value is None else str(value))


@lru_cache(maxsize=1 << 16)
def _escaped(text: str) -> str:  # a batch repeats its words, rule ids and names
    return html.escape(inert(text), quote=True)


# ---------------------------------------------------------------------------------------
# what is marked where


@dataclass(frozen=True)
class Localized:
    """A cell the error localization suggests changing (``kind`` error) or a figure whose
    rounding explains rounding differences (``kind`` rounding): where it is, its published
    and suggested values, the rules it explains and the candidate it belongs to (0 the
    best; the others tied optima). One row of :meth:`Report.localization`."""

    document: int
    table: str
    row: int | None
    column: str
    published: float | None
    suggested: float | None
    rules: tuple[str, ...]
    row_key: str | None = None
    source: Mapping[str, Any] | None = None
    kind: str = "error"
    candidate: int = 0

    @property
    def rounding(self) -> bool:
        return self.kind == "rounding"


def localized_cells(report: Report) -> list[Localized]:
    """The cells the report's error localization and rounding causes name
    (:meth:`Report.localization`: one row per document, kind, candidate and cell)."""
    out = []
    for cell in report.localization().iter_rows(named=True):
        explains = cell.get("explains") or []
        rules = tuple(dict.fromkeys(str(e["rule"]) for e in explains if e.get("rule")))
        out.append(
            Localized(
                document=int(cell["document"]),
                table=str(cell["table"]),
                row=cell.get("row"),
                column=str(cell["column"]),
                published=cell.get("published"),
                suggested=cell.get("suggested"),
                rules=rules,
                row_key=cell.get("row_key"),
                source=cell.get("source"),
                kind=str(cell.get("kind") or "error"),
                candidate=int(cell.get("candidate") or 0),
            )
        )
    return out


@dataclass
class _Marks:
    """The findings of the drawn documents and what each marks."""

    findings: dict[int, list[dict[str, Any]]]  # document → its results, the worst first
    number: dict[int, int]  # result index → its number in its document (1, 2, …)
    # per (document, table): (row, column) → the results reading that cell
    cells: dict[tuple[int, str], dict[tuple[int, str], list[int]]]
    # per (document, table): column → the results reading its total (a header mark)
    columns: dict[tuple[int, str], dict[str, list[int]]]
    # per (document, table): row → the per-row results reading no cell of their row
    rows: dict[tuple[int, str], dict[int, list[int]]]
    # per document: statement name → the results reading it
    statements: dict[int, dict[str, list[int]]]
    status: dict[int, str]  # result index → fail, error, rounding or waived
    by_index: dict[int, dict[str, Any]]  # result index → the result
    localized: dict[int, list[Localized]]
    tables: dict[int, list[str]]  # document → the table roles holding a mark


def _marked_documents(report: Report, localized: list[Localized]) -> list[int]:
    """Every document with a mark, in input order."""
    frame = report.frame.filter(pl.col("status").is_in(MARKED))
    found = set(frame.get_column("document").unique().to_list())
    return sorted(found | {cell.document for cell in localized})


def _marks(report: Report, localized: list[Localized], documents: list[int]) -> _Marks:
    """The marks of ``documents``."""
    frame = report.frame
    shown = (
        frame.filter(pl.col("status").is_in(MARKED) & pl.col("document").is_in(documents))
        .with_columns(waived_flag(frame).alias("_waived"))
        .with_row_index("n")
        .with_columns(
            pl.when(pl.col("_waived"))
            .then(pl.lit("waived"))
            .otherwise(pl.col("status"))
            .alias("_mark"),
            pl.col("status").replace_strict(_RANK, return_dtype=pl.Int8).alias("_rank"),
        )
        .sort("document", "_waived", "_rank", "n", maintain_order=True)
    )
    findings: dict[int, list[dict[str, Any]]] = defaultdict(list)
    number: dict[int, int] = {}
    status: dict[int, str] = {}
    for row in shown.iter_rows(named=True):
        found = findings[row["document"]]
        found.append(row)
        number[row["n"]] = len(found)
        status[row["n"]] = row["_mark"]
    operands = (
        shown.select("n", "document", "cells")
        .explode("cells")
        .drop_nulls("cells")
        .select(
            "n",
            "document",
            pl.col("cells").struct.field("table"),
            pl.col("cells").struct.field("row"),
            pl.col("cells").struct.field("column"),
        )
        .filter(pl.col("table").is_not_null() & (pl.col("table") != ""))
        .filter(pl.col("column").is_not_null())
        .unique(maintain_order=True)
    )
    cells: dict[tuple[int, str], dict[tuple[int, str], list[int]]] = defaultdict(dict)
    columns: dict[tuple[int, str], dict[str, list[int]]] = defaultdict(dict)
    statements: dict[int, dict[str, list[int]]] = defaultdict(dict)
    on_row = set()  # (result, document, table, row): a result reading a cell of that row
    for n, document, table, at, column in operands.iter_rows():
        if table == pointers.STATEMENTS_TABLE:
            statements[document].setdefault(column, []).append(n)
        elif at is None:
            columns[document, table].setdefault(column, []).append(n)
        else:
            cells[document, table].setdefault((at, column), []).append(n)
            on_row.add((n, document, table, at))
    # a per-row result reading no cell of its own row is marked on the row
    rows: dict[tuple[int, str], dict[int, list[int]]] = defaultdict(dict)
    per_row = shown.filter(pl.col("rule_table").is_not_null() & pl.col("row").is_not_null())
    for n, document, table, at in per_row.select("n", "document", "rule_table", "row").iter_rows():
        if (n, document, table, at) not in on_row:
            rows[document, table].setdefault(at, []).append(n)
    by_document: dict[int, list[Localized]] = defaultdict(list)
    for cell in localized:
        by_document[cell.document].append(cell)
    tables: dict[int, dict[str, None]] = defaultdict(dict)
    for document, table in (*cells, *rows, *columns):
        tables[document][table] = None
    for cell in localized:
        if cell.table != pointers.STATEMENTS_TABLE:
            tables[cell.document][cell.table] = None
    return _Marks(
        findings=dict(findings),
        number=number,
        cells=dict(cells),
        columns=dict(columns),
        rows=dict(rows),
        statements=dict(statements),
        status=status,
        by_index={f["n"]: f for found in findings.values() for f in found},
        localized=dict(by_document),
        tables={d: list(t) for d, t in tables.items()},
    )


def _worst(ns: Iterable[int], marks: _Marks) -> str:
    return min((marks.status[n] for n in ns), key=lambda s: _RANK[s])


# ---------------------------------------------------------------------------------------
# the tables as published


@dataclass(frozen=True)
class _Block:
    """One side-by-side part of a printed table: the rows it holds (``const``: the values
    its rows have, e.g. 收支 = 收入) and its columns with their header paths."""

    const: Mapping[str, str | None]
    columns: tuple[str, ...]
    headers: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class _Drawing:
    """How a table role is drawn: its blocks, left to right."""

    table: Table
    index: int  # the role's place in the template (cell ids)
    blocks: tuple[_Block, ...]
    kinds: Mapping[str, str]  # column → amount, text or code
    position: Mapping[str, int]  # column → its place in the schema (cell ids)


def _layout_for(template: Template) -> Any:
    """The shipped layout of ``template`` (how its tables are printed), or None."""
    from checker.documents.layout import all_layouts

    try:
        wanted = Path(template.schema_file).resolve()
        for layout in all_layouts():
            if Path(layout.schema_file).resolve() == wanted:
                return layout
    except (OSError, ValueError):
        return None
    return None


def _drawings(template: Template) -> dict[str, _Drawing]:
    """Every table role's drawing: the column names' parts as the header levels (``本年收入.
    一般公共预算.财政拨款``), the lowest one as the layout prints it (其中：财政拨款); a
    table the layout prints as side-by-side blocks (收入 | 支出) as those blocks."""
    layout = _layout_for(template)
    out: dict[str, _Drawing] = {}
    for index, table in enumerate(template.tables):
        printed = layout.table(table.role) if layout is not None else None
        leaves: dict[str, str] = {}
        if printed is not None:
            for block in printed.blocks:
                for spec in block.columns:
                    if not spec.join and spec.parts and spec.parts[0]:
                        leaves[spec.name] = spec.parts[0][0][-1]

        def path(
            name: str, top: tuple[str, ...] = (), leaves: dict[str, str] = leaves
        ) -> tuple[str, ...]:
            parts = name.split(".")
            parts[-1] = leaves.get(name) or parts[-1]
            return (*top, *parts)

        split = (
            printed is not None
            and len(printed.blocks) > 1
            and all(b.const for b in printed.blocks)
            and printed.form is None
        )
        if split:
            assert printed is not None
            blocks = tuple(
                _Block(
                    const=dict(b.const),
                    columns=tuple(c.name for c in b.columns),
                    headers=tuple(
                        path(c.name, tuple(str(v) for v in b.const.values() if v))
                        for c in b.columns
                    ),
                )
                for b in printed.blocks
            )
        else:
            names = tuple(c.name for c in table.columns)
            blocks = (_Block(const={}, columns=names, headers=tuple(path(n) for n in names)),)
        kinds = {c.name: c.kind for c in table.columns}
        position = {c.name: i for i, c in enumerate(table.columns)}
        out[table.role] = _Drawing(table, index, blocks, kinds, position)
    return out


def _header_rows(paths: Sequence[Sequence[str]]) -> list[list[tuple[str, int, int, int]]]:
    """A multi-level header: per level, its cells as (text, colspan, rowspan, column
    index of the leaf or -1 for a group)."""
    depth = max((len(p) for p in paths), default=1)
    levels: list[list[tuple[str, int, int, int]]] = [[] for _ in range(depth)]
    for level in range(depth):
        i = 0
        while i < len(paths):
            p = paths[i]
            if len(p) <= level:
                i += 1
                continue
            if len(p) == level + 1:  # the leaf: down to the last header row
                levels[level].append((p[level], 1, depth - level, i))
                i += 1
                continue
            j = i + 1
            while (
                j < len(paths)
                and len(paths[j]) > level + 1
                and paths[j][: level + 1] == p[: level + 1]
            ):
                j += 1
            levels[level].append((p[level], j - i, 1, -1))
            i = j
    return levels


_SHORT_TEXT = 16  # longer texts wrap in their cell; shorter ones (codes, names) do not


def _cell_id(document: int, table: int, row: int, column: int) -> str:
    return f"c{document}-{table}-{row}-{column}"


def _header_id(document: int, table: int, column: int) -> str:
    return f"h{document}-{table}-{column}"


class _Page:
    """The page being written (a list of strings joined once)."""

    def __init__(self, report: Report, lang: Lang) -> None:
        self.report = report
        self.lang = lang
        self.template = report.rules.template
        self.drawings = _drawings(self.template)
        found = localized_cells(report)
        # the documents drawn: the first DRAWN_DOCUMENTS with a mark (check kept their
        # tables); the index lists the others with their counts
        self.marked = _marked_documents(report, found)
        chosen = set(self.marked[:DRAWN_DOCUMENTS])
        self.located = {
            (r["document"], r["kind"]): r
            for r in report.localization_summary()
            .filter(pl.col("document").is_in(list(chosen)))
            .iter_rows(named=True)
        }
        self.localized = [c for c in found if c.document in chosen]
        self.marks = _marks(report, self.localized, sorted(chosen))
        self.out: list[str] = []
        self.colon = "：" if lang == "zh" else ": "
        self._sources: dict[tuple[str | None, int | None, int | None], str] = {}
        ruleset = report.rules.ruleset
        precision = ruleset.precision if ruleset.precision is not None else Decimal("0.01")
        units = dict(ruleset.unit_precisions)
        self.decimals = printed_decimals(precision)
        self.unit_decimals = {u: printed_decimals(p) for u, p in units.items()}
        self.documents = report.results.per_document()
        # tolerated counts and keys where a tolerance applied (a ruleset without one: as before)
        self.tolerated = ("tolerated",) if report.summary().get("tolerated") else ()
        self.statuses = ("pass", "rounding", *self.tolerated, "fail", "error", "skipped")
        self.many = self.documents.height > MANY_DOCUMENTS
        self.drawn = self.marked[:DRAWN_DOCUMENTS]
        # what the drawn documents' sections look up, found once (not a filter each)
        drawn = pl.col("document").is_in(self.drawn)
        self.info = {
            r["document"]: r for r in report.results.documents.filter(drawn).iter_rows(named=True)
        }
        self.counts = {r["document"]: r for r in self.documents.filter(drawn).iter_rows(named=True)}
        table_info = report.batch.table_info
        self.table_info = {
            (r["document"], r["table"]): r for r in table_info.filter(drawn).iter_rows(named=True)
        }
        self.statements: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
        if self.marks.statements and not report.batch.statements.is_empty():
            wanted = pl.col("document").is_in(list(self.marks.statements))
            for r in report.batch.statements.filter(wanted).iter_rows(named=True):
                self.statements[r["document"]][r["name"]] = r
        self.statement_ids = {
            (d, name): f"s{d}-{i}"
            for d, names in self.marks.statements.items()
            for i, name in enumerate(names)
        }

    def w(self, *parts: str) -> None:
        self.out.extend(parts)

    def t(self, key: str) -> str:
        return _text(_word(key, self.lang))

    # -- the page ------------------------------------------------------------------------

    def render(self) -> str:
        report, lang = self.report, self.lang
        first = self.documents.get_column("id")[0] if self.documents.height == 1 else None
        heading = _word("title", lang) + (f" — {first}" if first is not None else "")
        self.w(
            "<!DOCTYPE html>\n",
            f'<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width,initial-scale=1">',
            # nothing is fetched (not even a favicon), no script but the page's own runs
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">',
            '<link rel="icon" href="data:,">',
            f"<title>{_text(heading)}</title><style>{CSS}</style></head><body>",
            f'<header><h1>{_text(heading)}</h1><p class="meta">{self._run_line()}</p>',
            self._legend(),
            "</header><main>",
        )
        if report.interrupted:
            self.w(f'<p class="warn">{self.t("interrupted")}</p>')
        self._diagnostics()
        if self.documents.height > 1:
            self._index()
        tables = self._table_rows(self.drawn)
        self.lines = self._row_lines(tables)
        for document in self.drawn:
            self._document(document, tables)
        self.w(f"</main><script>{JS}</script></body></html>\n")
        return "".join(self.out)

    def _run_line(self) -> str:
        report, lang = self.report, self.lang
        summary = report.summary()
        ruleset = report.rules.ruleset
        counts = "，".join(
            f"{_text(status_word(s, lang))} {summary.get(s, 0)}" for s in self.statuses
        )
        if lang == "en":
            counts = counts.replace("，", ", ")
        waived = summary.get("waived", 0)
        if waived:
            counts += f"{'，' if lang == 'zh' else ', '}{self.t('waived')} {waived}"
        name = f"{ruleset.name or ''} {ruleset.version or ''}".strip()
        return (
            f"{summary['documents']} {self.t('documents')} · {self.t('ruleset')} "
            f"{_text(name)} ({summary['rules']} {self.t('rules')}) · {counts} · "
            f"{self.t('generated')} rulecheck {_text(__version__)}"
        )

    def _legend(self) -> str:
        items = [
            f'<span class="key {s}">{_text(status_word(s, self.lang))}</span>'
            for s in ("fail", "error", *self.tolerated, "rounding", "waived")
        ]
        items.append(f'<span class="key loc">{self.t("suggested")}</span>')
        return f'<p class="legend">{self.t("legend")}{self.colon}{" ".join(items)}</p>'

    def _diagnostics(self) -> None:
        report = self.report
        for key, diags in (
            ("invalid", report.document_diagnostics),
            ("waiver-diagnostics", report.waiver_diagnostics),
        ):
            if not diags:
                continue
            self.w(f'<section class="diags"><h2>{self.t(key)}</h2><ul>')
            for diag in diags:
                self.w(f'<li class="{_text(diag.severity)}">{_text(diag.format(self.lang))}</li>')
            self.w("</ul></section>")

    # -- the index of a batch ------------------------------------------------------------

    def _index(self) -> None:
        """Every document of the run: its counts, a link to its section where drawn."""
        lang = self.lang
        meta = self.report.results.documents
        bodies = (
            dict(zip(meta.get_column("document"), meta.get_column("department"), strict=True))
            if "department" in meta.columns
            else {}
        )
        drawn, marked = set(self.drawn), set(self.marked)
        heads = ("#", _word("document", lang), _word("body", lang), _word("path", lang))
        statuses = ("fail", "error", *self.tolerated, "rounding", "pass", "skipped")
        self.w(
            f'<section id="index"><h2>{self.t("index")}</h2>',
            f'<p class="tools"><input id="filter" type="search" placeholder="{self.t("filter")}">'
            f' <label><input id="only-marked" type="checkbox"> {self.t("only-marked")}</label>'
            f' <span class="dim">{self.t("sort")}</span></p>',
        )
        if len(marked) > len(drawn):
            note = _word("not-all-drawn", lang).format(
                drawn=len(drawn), marked=len(marked), rest=len(marked) - len(drawn)
            )
            self.w(f'<p class="warn">{_text(note)}</p>')
        self.w(
            self._worst_rules(),
            '<table class="index"><thead><tr>',
            "".join(f'<th data-sort="{i}">{_text(h)}</th>' for i, h in enumerate(heads)),
            "".join(
                f'<th class="{s}" data-sort="{i}" data-numeric="1">'
                f"{_text(status_word(s, lang))}</th>"
                for i, s in enumerate(statuses, start=len(heads))
            ),
            "</tr></thead><tbody>",
        )
        for doc in self.documents.iter_rows(named=True):
            d = doc["document"]
            name = _text(doc["id"])
            link = f'<a href="#d{d}">{name}</a>' if d in drawn else name
            counts = "".join(
                f'<td class="n{" " + s if doc.get(s) and s in MARKED else ""}">{doc.get(s, 0)}</td>'
                for s in statuses
            )
            flag = ' data-marked="1"' if d in marked else ""
            self.w(
                f"<tr{flag}><td>{d + 1}</td><td>{link}</td><td>{_text(bodies.get(d))}</td>"
                f"<td>{_text(doc.get('path'))}</td>{counts}</tr>"
            )
        self.w("</tbody></table></section>")

    def _worst_rules(self) -> str:
        rules = self.report.batch_summary()["rules"][:10]
        if not rules:
            return ""
        lang = self.lang
        items = "".join(
            f"<li><b>{_text(r['rule'])}</b> {_text(r['title'])}: "
            f"{_text(status_word('fail', lang))} {r['fail']}, {_text(status_word('error', lang))} "
            f"{r['error']} · {r['documents']} {self.t('documents')}</li>"
            for r in rules
        )
        head = f"<summary>{self.t('worst-rules')}</summary>"
        return f'<details class="worst">{head}<ul>{items}</ul></details>'

    # -- one document --------------------------------------------------------------------

    def _table_rows(self, drawn: list[int]) -> dict[str, dict[int, pl.DataFrame]]:
        """Per table role with a mark, the rows of each drawn document holding one there."""
        wanted: dict[str, list[int]] = defaultdict(list)
        for document in drawn:
            for role in self.marks.tables.get(document, ()):
                wanted[role].append(document)
        out: dict[str, dict[int, pl.DataFrame]] = {}
        batch = self.report.batch
        for role, documents in wanted.items():
            frame = batch.table(role) if role in batch.tables else None
            if frame is None or frame.is_empty():
                continue
            picked = frame.filter(pl.col("document").is_in(documents))
            out[role] = {
                int(key[0]): part
                for key, part in picked.sort("document", "row")
                .partition_by("document", as_dict=True)
                .items()
            }
        return out

    def _document(self, document: int, tables: dict[str, dict[int, pl.DataFrame]]) -> None:
        lang = self.lang
        info = self.info.get(document, {"id": document, "path": None})
        summary = self.counts.get(document, {})
        facts = [
            str(info.get(k))
            for k in ("department", "region", "year", "kind")
            if info.get(k) is not None
        ]
        words = "，" if lang == "zh" else ", "
        tally = words.join(
            f'<span class="{s}">{_text(status_word(s, lang))} {summary.get(s, 0)}</span>'
            for s in self.statuses
        )
        self.w(
            f'<section class="doc" id="d{document}"><h2>{_text(info.get("id"))}</h2>',
            f'<p class="meta">{_text(" · ".join(facts))}'
            f"{' · ' if facts else ''}<code>{_text(info.get('path'))}</code></p>",
            f'<p class="tally">{tally}</p>',
        )
        localized = self.marks.localized.get(document, [])
        for kind, key in (("error", "likely"), ("rounding", "rounding-causes")):
            cells = [c for c in localized if c.kind == kind]
            self._localized_block(document, cells, key, self.located.get((document, kind)))
        roles = self.marks.tables.get(document, [])
        for drawing in self.drawings.values():
            if drawing.table.role in roles:
                rows = tables.get(drawing.table.role, {}).get(document)
                self._table(document, drawing, rows)
        self._statements(document)
        self._findings(document)
        self.w("</section>")

    def _localized_block(
        self, document: int, cells: list[Localized], key: str, summary: Mapping[str, Any] | None
    ) -> None:
        """最可能有误的单元格 (or 尾差来源, folded: not errors): each candidate's cells,
        published → suggested, with links to the cell and to the findings of the rules it
        explains; tied candidates listed (numbered), not hidden; a localization that found
        nothing, or was not attempted, says so."""
        status = (summary or {}).get("status")
        if not cells and status not in ("none", "too-large"):
            return
        likely = key == "likely"
        note = self.t("likely-note" if likely else "rounding-note")
        if status in ("none", "too-large"):
            note = self.t(f"loc-{status}")
        elif (summary or {}).get("more"):
            note += f" {self.t('loc-more')}"
        candidates = sorted({c.candidate for c in cells})
        if likely:
            self.w(f'<div class="likely"><h3>{self.t(key)}</h3><p class="note">{note}</p>')
        else:
            self.w(
                f'<details class="causes"><summary><b>{self.t(key)}</b> '
                f'<span class="dim">({len(cells)})</span></summary><p class="note">{note}</p>'
            )
        if len(candidates) == 1:
            items = (self._localized_item(document, c) for c in cells)
            self.w("<ul>", *(f"<li>{item}</li>" for item in items), "</ul>")
        else:
            self.w(f'<p class="note">{self.t("candidate")}</p><ol class="cands">')
            joiner = "；" if self.lang == "zh" else "; "
            for candidate in candidates:
                chosen = (c for c in cells if c.candidate == candidate)
                self.w(f"<li>{joiner.join(self._localized_item(document, c) for c in chosen)}</li>")
            self.w("</ol>")
        self.w("</div>" if likely else "</details>")

    def _localized_item(self, document: int, cell: Localized) -> str:
        lang = self.lang
        drawing = self.drawings.get(cell.table)
        target = ""
        if cell.table == pointers.STATEMENTS_TABLE:
            target = self.statement_ids.get((document, cell.column), "")
        elif drawing is not None and cell.row is not None:
            at = drawing.position.get(cell.column)
            if at is not None:
                target = _cell_id(document, drawing.index, cell.row, at)
        where = cell.table + (f" [{cell.row_key}]" if cell.row_key else "")
        if cell.row is not None:
            where += f" {_word('row', lang)} {cell.row}"
        where += f" {cell.column}"
        values = (
            f"{_text(fmt(cell.published, self.decimals))} → "
            f"<b>{_text(fmt(cell.suggested, self.decimals))}</b>"
        )
        label = f'<a href="#{target}">{_text(where)}</a>' if target else _text(where)
        rules = self._rule_links(document, cell.rules)
        published = source_label(cell.source, lang) if cell.source else None
        return (
            f"{label}{self.colon}{values}"
            + (f' <span class="dim">{_text(published)}</span>' if published else "")
            + (f' <span class="dim">{self.t("explains")}</span> {rules}' if rules else "")
        )

    def _rule_links(self, document: int, rules: Sequence[str]) -> str:
        """Links to the document's findings of these rules (a rule id or its prefix)."""
        links = []
        for rule in rules:
            hits = [
                f
                for f in self.marks.findings.get(document, [])
                if f["rule"] == rule or f["rule"].startswith(f"{rule}[")
            ]
            if hits:
                links.append(f'<a href="#f{hits[0]["n"]}">{_text(rule)}</a>')
            else:
                links.append(_text(rule))
        return " ".join(links)

    def _refs(self, ns: Sequence[int]) -> str:
        """Superscript links from a mark to its findings (by their number)."""
        return (
            '<sup class="refs">'
            + "".join(f'<a href="#f{n}">{self.marks.number[n]}</a>' for n in ns)
            + "</sup>"
        )

    def _tip(self, ns: Sequence[int]) -> str:
        """A mark's tooltip: its findings' numbers, rules and sentences."""
        lines = []
        for n in ns:
            f = self.marks.by_index[n]
            lines.append(f"{self.marks.number[n]}. {f['rule']} {result_message(f, self.lang)}")
        return _text("\n".join(lines))

    def _table(self, document: int, drawing: _Drawing, rows: pl.DataFrame | None) -> None:
        marks = self.marks
        table = drawing.table
        meta = self.table_info.get((document, table.role), {})
        cells = marks.cells.get((document, table.role), {})
        row_marks = marks.rows.get((document, table.role), {})
        summed_columns = marks.columns.get((document, table.role), {})
        title = meta.get("name") or table.role
        unit = meta.get("unit") or table.unit
        decimals = self.unit_decimals.get(unit or "", self.decimals)
        headers = [h for b in drawing.blocks for h in b.headers]
        columns = [c for b in drawing.blocks for c in b.columns]
        caption = f'<span class="title">{_text(title)}</span>'
        if unit:
            caption += f' <span class="unit">{self.t("unit")}{self.colon}{_text(unit)}</span>'
        self.w(
            f'<div class="tablewrap"><table class="doc" data-table="{_text(table.role)}">',
            f"<caption>{caption}</caption><thead>",
        )
        levels = _header_rows(headers)
        for depth, level in enumerate(levels):
            self.w("<tr>")
            if depth == 0:
                self.w(f'<th class="g" rowspan="{len(levels)}">{self.t("row")}</th>')
            for text, colspan, rowspan, leaf in level:
                span = (f' colspan="{colspan}"' if colspan > 1 else "") + (
                    f' rowspan="{rowspan}"' if rowspan > 1 else ""
                )
                css, extra = "", ""
                if leaf >= 0:
                    summed = summed_columns.get(columns[leaf])
                    if summed:
                        at = drawing.position[columns[leaf]]
                        css = (
                            f' class="sum {_worst(summed, marks)}"'
                            f' id="{_header_id(document, drawing.index, at)}"'
                        )
                        extra = (
                            f'<span class="sigma" title="{self.t("column-sum")}">Σ</span>'
                            + self._refs(summed)
                        )
                self.w(f"<th{span}{css}>{_text(text)}{extra}</th>")
            self.w("</tr>")
        self.w("</thead><tbody>")
        if rows is None or rows.is_empty():
            width = len(columns) + 1
            note = meta.get("note") if meta.get("empty") else None
            self.w(f'<tr><td colspan="{width}" class="empty">{_text(note or "—")}</td></tr>')
            self.w("</tbody></table></div>")
            return
        localized: dict[tuple[int, str], list[Localized]] = defaultdict(list)
        for c in marks.localized.get(document, []):
            if c.table == table.role and c.row is not None:
                localized[c.row, c.column].append(c)
        printed_rows = self._printed_rows(document, drawing, rows)
        marked = {r for (r, _) in cells} | set(row_marks) | {r for (r, _) in localized}
        skipped = 0
        for line in printed_rows:
            indexes = {row["row"] for row in line if row is not None}
            if self.many and not indexes & marked:
                skipped += 1
                continue
            if skipped:
                self._gap(skipped, len(columns) + 1)
                skipped = 0
            on_row = [n for r in sorted(indexes) for n in row_marks.get(r, [])]
            gutter = "/".join(str(r) for r in sorted(indexes))
            if on_row:
                self.w(
                    f'<tr><td class="g {_worst(on_row, marks)}" '
                    f'title="{self._tip(on_row)}">{gutter}{self._refs(on_row)}</td>'
                )
            else:
                self.w(f'<tr><td class="g">{gutter}</td>')
            for block, row in zip(drawing.blocks, line, strict=True):
                self.w(
                    *(
                        self._cell(document, drawing, c, row, cells, localized, decimals)
                        for c in block.columns
                    )
                )
            self.w("</tr>")
        if skipped:
            self._gap(skipped, len(columns) + 1)
        self.w("</tbody></table></div>")

    def _gap(self, count: int, width: int) -> None:
        text = _word("rows-omitted", self.lang).format(n=count)
        self.w(f'<tr class="gap"><td colspan="{width}">⋯ {_text(text)}</td></tr>')

    def _cell(
        self,
        document: int,
        drawing: _Drawing,
        column: str,
        row: Mapping[str, Any] | None,
        cells: Mapping[tuple[int, str], list[int]],
        localized: Mapping[tuple[int, str], list[Localized]],
        decimals: int,
    ) -> str:
        """One drawn cell: its figure as printed, its marks and links."""
        if row is None:
            return "<td></td>"
        at, value = row["row"], row.get(column)
        ns = cells.get((at, column))
        loc = localized.get((at, column))
        amount = drawing.kinds[column] == "amount"
        if value is None:
            shown = ""
            css = ["n"] if amount else []
        elif amount:
            shown = _text(fmt(value / SCALE, decimals))
            css = ["n"]
        else:
            shown = _text(value)
            css = ["w"] if len(str(value)) > _SHORT_TEXT else []
        if not ns and not loc:
            return f'<td class="{css[0]}">{shown}</td>' if css else f"<td>{shown}</td>"
        pointer = pointers.cell(drawing.table.role, at, column)
        attrs = (
            f' id="{_cell_id(document, drawing.index, at, drawing.position[column])}"'
            f' data-pointer="{_text(pointer)}"'
        )
        if ns:
            css += ["m", _worst(ns, self.marks)]
            numbers = " ".join(f"f{n}" for n in ns)
            attrs += f' data-f="{numbers}" title="{self._tip(ns)}"'
            shown += self._refs(ns)
        if loc:
            css.append("loc" if any(not c.rounding for c in loc) else "loc-r")
            several = len({c.candidate for c in loc}) > 1 or any(c.candidate for c in loc)
            for c in loc:  # the value each candidate needs here (ties: numbered)
                which = f" ({c.candidate + 1})" if several else ""
                shown += f'<span class="sugg">→ {_text(fmt(c.suggested, decimals))}{which}</span>'
        return f'<td class="{" ".join(css)}"{attrs}>{shown}</td>'

    def _printed_rows(
        self, document: int, drawing: _Drawing, rows: pl.DataFrame
    ) -> list[tuple[dict[str, Any] | None, ...]]:
        """The printed lines of a table: one row each, or for side-by-side blocks the rows
        of each block that share a printed line (by the line each was published on, when
        every row has one; else by their order in the block)."""
        records = rows.to_dicts()
        if len(drawing.blocks) == 1:
            return [(r,) for r in records]
        parts: list[list[dict[str, Any]]] = [
            [r for r in records if all(r.get(k) == v for k, v in b.const.items())]
            for b in drawing.blocks
        ]
        lines = self.lines.get((document, drawing.table.role), {})
        if lines and all(r["row"] in lines for part in parts for r in part):
            keyed = sorted({lines[r["row"]] for part in parts for r in part})
            by_line = [{lines[r["row"]]: r for r in part} for part in parts]
            if all(len(b) == len(p) for b, p in zip(by_line, parts, strict=True)):
                return [tuple(b.get(k) for b in by_line) for k in keyed]
        height = max(len(p) for p in parts)
        return [tuple(p[i] if i < len(p) else None for p in parts) for i in range(height)]

    def _row_lines(
        self, tables: Mapping[str, Mapping[int, pl.DataFrame]]
    ) -> dict[tuple[int, str], dict[int, tuple[int, int]]]:
        """Each drawn row of a side-by-side table: the (page, line) it was published on,
        where the provenance gives it."""
        provenance = self.report.batch.provenance
        roles = [r for r, d in self.drawings.items() if len(d.blocks) > 1 and r in tables]
        if provenance.is_empty() or not roles:
            return {}
        found = provenance.filter(
            pl.col("document").is_in(self.drawn)
            & pl.col("table").is_in(roles)
            & pl.col("column").is_null()
            & pl.col("line").is_not_null()
        )
        out: dict[tuple[int, str], dict[int, tuple[int, int]]] = defaultdict(dict)
        for document, role, r, page, line in found.select(
            "document", "table", "row", "page", "line"
        ).iter_rows():
            out[document, role][int(r)] = (int(page or 0), int(line))
        return dict(out)

    def _statements(self, document: int) -> None:
        """The prose figures a result reads, as printed."""
        marked = list(self.marks.statements.get(document, {}).items())
        if not marked:
            return
        texts = self.statements.get(document, {})
        self.w(
            f'<div class="tablewrap"><table class="doc stm"><caption>{self.t("statements")}'
            f"</caption><thead><tr><th>{self.t('statement')}</th><th>{self.t('printed')}</th>"
            f"<th>{self.t('value')}</th><th>{self.t('published')}</th></tr></thead><tbody>"
        )
        for name, ns in marked:
            row = texts.get(name, {})
            value = row.get("value")
            shown = "" if value is None else fmt(value / SCALE, None)
            where = source_label({"line": row.get("line"), "page": row.get("page")}, self.lang)
            self.w(
                f"<tr><td>{_text(name)}</td><td>{_text(row.get('text'))}</td>"
                f'<td class="n m {_worst(ns, self.marks)}" '
                f'id="{self.statement_ids[document, name]}" '
                f'data-f="{" ".join(f"f{n}" for n in ns)}" title="{self._tip(ns)}">'
                f"{_text(shown)}{self._refs(ns)}</td><td>{_text(where)}</td></tr>"
            )
        self.w("</tbody></table></div>")

    # -- the findings --------------------------------------------------------------------

    def _findings(self, document: int) -> None:
        found = self.marks.findings.get(document, [])
        if not found:
            self.w(f'<p class="ok">{self.t("no-findings")}</p>')
            return
        self.w(f'<div class="findings"><h3>{self.t("findings")}</h3>')
        for f in found:
            self._finding(document, f)
        self.w("</div>")

    def _operand_target(self, document: int, cell: Mapping[str, Any]) -> str:
        """The id of what an operand reads on the page: its cell, a prose figure, or the
        heading of the column whose total it is."""
        table, at, column = cell.get("table"), cell.get("row"), cell.get("column")
        if table == pointers.STATEMENTS_TABLE:
            return self.statement_ids.get((document, column or ""), "")
        drawing = self.drawings.get(table or "")
        place = drawing.position.get(column or "") if drawing is not None else None
        if drawing is None or place is None:
            return ""
        if at is None:
            summed = self.marks.columns.get((document, drawing.table.role), {})
            return _header_id(document, drawing.index, place) if column in summed else ""
        return _cell_id(document, drawing.index, at, place)

    def _finding(self, document: int, f: Mapping[str, Any]) -> None:
        lang = self.lang
        n, mark = f["n"], self.marks.status[f["n"]]
        cells = f.get("cells") or []
        targets = [self._operand_target(document, c) for c in cells]
        where = place(dict(f), lang)
        severity = severity_word(f.get("severity") or "error", lang)
        self.w(
            f'<div class="finding {mark}" id="f{n}" '
            f'data-cells="{" ".join(t for t in targets if t)}">',
            f'<div class="fh"><span class="num">{self.marks.number[n]}</span> '
            f'<span class="badge {_text(f["status"])}">'
            f"{_text(status_word(f['status'], lang))}</span> "
            f'<b>{_text(f["rule"])}</b> <span class="sev">{_text(severity)}</span> '
            f"{_text(f.get('title'))}"
            + (f' <span class="where">{_text(where)}</span>' if where else "")
            + "</div>",
        )
        self.w(self._rule_source(f.get("rule_file"), f.get("rule_line"), f.get("check_lines")))
        self.w(f'<p class="msg">{_text(result_message(f, lang))}</p>')
        self._arithmetic(f)
        if cells:
            self.w(
                f'<table class="ops"><thead><tr><th>{self.t("operands")}</th>'
                f"<th>{self.t('value')}</th><th>{self.t('pointer')}</th>"
                f"<th>{self.t('published')}</th></tr></thead><tbody>"
            )
            for cell, target in zip(cells, targets, strict=True):
                label = cell.get("ref") or f"{cell.get('table')}.{cell.get('column')}"
                link = f'<a href="#{target}">{_text(label)}</a>' if target else _text(label)
                pointer = pointers.cell(cell["table"], cell["row"], cell["column"]) or ""
                published = source_label(cell, lang) or ""
                value = cell_value(cell, lang, f.get("decimals"))
                self.w(
                    f'<tr><td>{link}</td><td class="n">{_text(value)}</td>'
                    f"<td><code>{_text(pointer)}</code></td><td>{_text(published)}</td></tr>"
                )
            self.w("</tbody></table>")
        if f.get("_waived"):
            expires = f.get("waiver_expires")
            until = expires.isoformat() if expires is not None else "—"
            self.w(
                f'<p class="waiver">{self.t("waived")}{self.colon}'
                f"{_text(f.get('waiver_justification'))} "
                f'<span class="dim">({_text(f.get("waiver_author"))}, {self.t("until")} '
                f"{_text(until)}, {_text(f.get('waiver_location'))})</span></p>"
            )
        command = self._explain_command(f)
        if command:
            self.w(
                f'<p class="cmd"><span class="dim">{self.t("explain")}{self.colon}</span>'
                f"<code>{_text(command)}</code></p>"
            )
        self.w("</div>")

    def _rule_source(
        self, file: str | None, line: int | None, checked: Sequence[int] | None
    ) -> str:
        """The rule's checked lines as written, under its file:line (once per rule: a batch
        repeats it in every document)."""
        first, last = (checked[0], checked[-1]) if checked else (line, line)
        key = (file, first, last)
        found = self._sources.get(key)
        if found is None:
            source = rule_text(file, first, last)
            where = rule_place(file, first or line)
            found = (
                f'<pre class="src"><span class="dim">{_text(where)}</span>\n{_text(source)}</pre>'
                if source
                else ""
            )
            self._sources[key] = found
        return found

    def _arithmetic(self, f: Mapping[str, Any]) -> None:
        """Both sides with their intervals, the difference and the allowance."""
        lhs, rhs = f.get("lhs"), f.get("rhs")
        if lhs is None and rhs is None:
            return
        d = f.get("decimals")
        if all(v is None or float(v).is_integer() for v in (lhs, rhs)):
            d = None  # counts (as the message shows them)

        def interval(lo: float | None, hi: float | None) -> str:
            return "" if lo is None or hi is None else f"[{fmt(lo)}, {fmt(hi)}]"

        op = f.get("op") or "="
        self.w(
            '<table class="arith"><tbody>',
            f'<tr><th>{self.t("lhs")}</th><td class="n">{_text(fmt(lhs, d))}</td>'
            f"<td>{_text(interval(f.get('lhs_lo'), f.get('lhs_hi')))}</td></tr>",
            f'<tr><th>{self.t("rhs")}</th><td class="n">{_text(fmt(rhs, d))}</td>'
            f"<td>{_text(interval(f.get('rhs_lo'), f.get('rhs_hi')))}</td></tr>",
        )
        if f.get("diff") is not None:
            tol = f.get("tolerance")
            self.w(
                f'<tr><th>{self.t("diff")}</th><td class="n">{_text(fmt(f["diff"], d))}</td>'
                f"<td>{self.t('tolerance')} ±{_text(fmt(tol))} · {_text(op)}</td></tr>"
            )
        self.w("</tbody></table>")

    def _explain_command(self, f: Mapping[str, Any]) -> str | None:
        path = f.get("path")
        if not path:
            return None
        command = f"rulecheck explain {shlex.quote(str(f['rule']))} --document {shlex.quote(path)}"
        if f.get("rule_table") is not None and f.get("row") is not None:
            command += f" --row {f['row']}"
        if self.lang == "en":
            command += " --lang en"
        return command


def render_html(report: Report, lang: Lang = "zh") -> str:
    """The report as one self-contained HTML page."""
    return _Page(report, lang).render()
