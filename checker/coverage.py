"""``rulecheck coverage``: which published figures no rule looks at.

A *numeric cell* is a non-empty amount cell of a table (a published figure)
or a figure stated in the prose (``说明``, the document's ``statements``).
A cell is *covered* when at least one rule evaluation that was not skipped
reads it. Evaluations are the rows of :attr:`checker.evaluate.Results.frame`;
the cells each one read come from three places:

* **the ``cells`` list** of each result: per-row rules list the current row's
  cells, cell references (``表[行].列``) list the row they found, statements
  are listed by name (table ``说明``). A cell reference to a table's default
  value column (column ``None`` in the list) covers the first non-empty
  value column of that row, which is the one the rule reads.
* **aggregates** (``sum/min/max(表.列 where …)``) list only a summary entry,
  so the rows they selected are recomputed here: every aggregate of every rule
  is taken from the resolved rule, its ``where`` is compiled with the engine's
  own :func:`checker.compile.boolean` over the evaluation frames
  (:func:`checker.evaluate.prepare_table`), and the rows it selects in the
  documents where the rule was evaluated are covered. A correlated filter
  (``row.列``) is evaluated for each outer row the rule was evaluated on (a
  join of the outer rows with the aggregated table, as the engine does).
  ``count(…)`` reads no amount and covers nothing.
* **per-group rules** list, with each aggregate, every row it took (the group's rows,
  or another table's rows paired with the group): those are covered as listed.
* **roll-ups** list the parent cell and a summary: the child rows (code one
  level longer, same prefix, same unit block) of every parent row evaluated
  are covered in the columns the roll-up checked.

Conditions count: a cell read by a ``when`` or a row filter is covered (the
rule looked at it), but a cell read only by evaluations that were *skipped*
is not. Text cells (codes, names, indicator values) are not numeric cells.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

import polars as pl

from checker import ast
from checker.compile import BLOCK, Context, Planner, boolean
from checker.diagnostics import Lang
from checker.evaluate import prepare_statements, prepare_table
from checker.intervals import to_float
from checker.syntax import descendants
from checker.template import Table, Template
from checker.units import table_factors

if TYPE_CHECKING:
    from checker.documents import Batch

STATEMENTS = "说明"  # the pseudo-table of prose figures, as in the results' cells
_KEY = ["document", "table", "row", "column"]
_KEY_SCHEMA = pl.Schema(
    {"document": pl.UInt32(), "table": pl.String(), "row": pl.UInt32(), "column": pl.String()}
)
_HALF = Decimal("0.005")
LISTED = 200  # uncovered cells the text report lists (the rest only counted)


@dataclass(frozen=True)
class TableCoverage:
    """Coverage of one table (or of the prose, ``说明``) over all documents."""

    table: str
    cells: int
    covered: int

    @property
    def uncovered(self) -> int:
        return self.cells - self.covered

    @property
    def percent(self) -> float:
        return 100.0 if self.cells == 0 else 100.0 * self.covered / self.cells


@dataclass(frozen=True)
class Coverage:
    """Per-table coverage and the list of numeric cells no rule reads.

    The counts are exact; ``uncovered`` may list only the first of the cells no
    rule reads (a run summed batch by batch keeps a few: see :class:`CoverageSum`),
    their number is ``cells - covered``.
    """

    tables: tuple[TableCoverage, ...]
    uncovered: pl.DataFrame  # document, id, table, row, column, value, label
    documents: int
    rules: int

    @property
    def cells(self) -> int:
        return sum(t.cells for t in self.tables)

    @property
    def covered(self) -> int:
        return sum(t.covered for t in self.tables)

    @property
    def percent(self) -> float:
        return 100.0 if self.cells == 0 else 100.0 * self.covered / self.cells


# --------------------------------------------------------------------------- the cells


def numeric_cells(
    template: Template,
    tables: Mapping[str, pl.DataFrame],
    statements: pl.DataFrame | None,
    *,
    include_statements: bool = True,
) -> pl.DataFrame:
    """Every non-empty amount cell: ``document, table, row, column, value`` (value in Float64).

    Statements are rows of table ``说明`` with ``row`` null and the statement
    name as ``column``.
    """
    parts: list[pl.DataFrame] = []
    for table in template.tables:
        frame = tables.get(table.role)
        if frame is None or frame.height == 0:
            continue
        present = [c for c in table.amount_columns if c in frame.columns]
        if not present:
            continue
        long = (
            frame.select(
                "document",
                "row",
                *[pl.col(c).cast(pl.Float64) for c in present],
            )
            .unpivot(index=["document", "row"], variable_name="column", value_name="value")
            .drop_nulls("value")
            .with_columns(pl.lit(table.role).alias("table"))
        )
        parts.append(_scaled_value(long, frame, present))
    if include_statements and statements is not None and statements.height:
        stmt = statements.filter(pl.col("value").is_not_null()).select(
            "document",
            pl.lit(STATEMENTS).alias("table"),
            pl.lit(None, pl.UInt32).alias("row"),
            pl.col("name").alias("column"),
            pl.col("value").cast(pl.Float64).alias("value"),
        )
        if statements.schema["value"].is_integer():
            stmt = stmt.with_columns(_unscaled(pl.col("value")))
        parts.append(stmt)
    schema = pl.Schema({**_KEY_SCHEMA, "value": pl.Float64()})
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat([p.select(list(schema)).cast(schema) for p in parts], how="vertical").unique(
        _KEY, maintain_order=True
    )


def _scaled_value(long: pl.DataFrame, frame: pl.DataFrame, present: list[str]) -> pl.DataFrame:
    """Loader frames keep amounts as Int64 scaled by 10,000: show them in the document's unit."""
    if all(frame.schema[c].is_integer() for c in present):
        return long.with_columns(_unscaled(pl.col("value")))
    return long


def _unscaled(value: pl.Expr) -> pl.Expr:
    """Scaled integer → the published number, correctly rounded (4736.03, not 4736.030000000001)."""
    return to_float(value.cast(pl.Int64).cast(pl.Decimal(38, 0)) * pl.lit(Decimal("0.0001")))


# --------------------------------------------------------------------------- what rules read


def _aggregates(rule: ast.Rule) -> list[ast.Aggregate]:
    found: list[ast.Aggregate] = []
    seen: set[ast.Aggregate] = set()
    for part in (rule.check, rule.when, rule.row_filter):
        for node in descendants(part):
            if (
                isinstance(node, ast.Aggregate)
                and node.func != "count"
                and node.column is not None
                and node not in seen
                and rule.group_by is None  # a group's aggregates list the rows they took
            ):
                seen.add(node)
                found.append(node)
    return found


def _correlated(agg: ast.Aggregate) -> bool:
    return any(isinstance(n, ast.ColumnRef) and n.outer for n in descendants(agg.where))


def _outer_columns(agg: ast.Aggregate) -> list[str]:
    found = descendants(agg.where)
    return sorted({n.column for n in found if isinstance(n, ast.ColumnRef) and n.outer})


def _listed_cells(results: pl.DataFrame, template: Template) -> pl.DataFrame:
    """Cells named in the results' ``cells`` lists (rows found, statements by name)."""
    listed = (
        results.select("document", "cells")
        .explode("cells")
        .drop_nulls("cells")
        .unnest("cells")
        .select("document", "table", "row", "column")
    )
    stmt = listed.filter(pl.col("table") == STATEMENTS).with_columns(
        pl.lit(None, pl.UInt32).alias("row")
    )
    cells = listed.filter((pl.col("table") != STATEMENTS) & pl.col("row").is_not_null())
    direct = cells.filter(pl.col("column").is_not_null())
    # a reference to the default value column: the first value column of the row (coalesce order)
    default = cells.filter(pl.col("column").is_null()).drop("column").unique()
    value_columns = pl.DataFrame(
        [
            {"table": t.role, "column": c, "priority": i}
            for t in template.tables
            for i, c in enumerate(t.value)
        ],
        schema={"table": pl.Utf8, "column": pl.Utf8, "priority": pl.Int64},
    )
    defaults = default.join(value_columns, on="table", how="inner")
    return pl.concat(
        [
            direct.cast(_KEY_SCHEMA),
            stmt.cast(_KEY_SCHEMA),
            defaults.select(*_KEY, "priority").cast(
                pl.Schema({**_KEY_SCHEMA, "priority": pl.Int64()})
            ),
        ],
        how="diagonal",
    )


@dataclass
class _Frames:
    template: Template
    planner: Planner
    frames: dict[str, pl.LazyFrame]


def _aggregate_cells(
    ruleset: ast.Ruleset,
    results: pl.DataFrame,
    env: _Frames,
    documents: pl.DataFrame,
) -> list[pl.LazyFrame]:
    """Rows selected by every aggregate, in the evaluations that were not skipped."""
    evaluated = results.select("document", "rule", "row").lazy()
    plans: list[tuple[ast.Rule, ast.Aggregate, pl.Expr, Context]] = []
    for rule in ruleset.rules:
        if not isinstance(rule, ast.Rule):
            continue
        for agg in _aggregates(rule):
            table = env.template.table(agg.table)
            if table is None:
                continue
            outer = (
                env.template.table(rule.scope_table)
                if rule.per_row and rule.scope_table and _correlated(agg)
                else None
            )
            if _correlated(agg) and outer is None:
                continue
            ctx = Context(env.planner, _HALF, row_table=table, outer_table=outer, staged=False)
            mask = boolean(agg.where, ctx) if agg.where is not None else pl.lit(True)
            plans.append((rule, agg, mask, ctx))
    # filters that read cells or statements need the engine's wide per-document frame
    needs_wide = sorted({c for *_, ctx in plans for c in ctx.columns_used})
    wide = (
        env.planner.build(documents.lazy().select("document"), env.frames).select(
            "document", *needs_wide
        )
        if needs_wide
        else None
    )
    out: list[pl.LazyFrame] = []
    for rule, agg, mask, ctx in plans:
        assert agg.column is not None
        inner = env.frames[agg.table]
        if wide is not None and ctx.columns_used:
            inner = inner.join(
                wide.select("document", *sorted(ctx.columns_used)), on="document", how="left"
            )
        runs = evaluated.filter(pl.col("rule") == rule.meta.id)
        if ctx.outer_table is None:
            selected = inner.join(runs.select("document").unique(), on="document", how="semi")
            selected = selected.filter(mask)
        else:
            cols = _outer_columns(agg)
            outer_rows = (
                runs.select("document", "row")
                .unique()
                .join(
                    env.frames[ctx.outer_table.role].select(
                        "document", "row", *[pl.col(c).alias(f"__outer__{c}") for c in cols]
                    ),
                    on=["document", "row"],
                    how="inner",
                )
                .drop("row")
            )
            selected = outer_rows.join(inner, on="document", how="inner").filter(mask)
        out.append(
            selected.select(
                "document",
                pl.lit(agg.table).alias("table"),
                "row",
                pl.lit(agg.column).alias("column"),
            )
        )
    return out


def _rollup_cells(ruleset: ast.Ruleset, results: pl.DataFrame, env: _Frames) -> list[pl.LazyFrame]:
    """Child rows of every evaluated roll-up parent, in the columns it checked."""
    out: list[pl.LazyFrame] = []
    for rollup in ruleset.rules:
        if not isinstance(rollup, ast.Rollup):
            continue
        table = env.template.table(rollup.table)
        if table is None:
            continue
        columns = list(rollup.columns or table.amount_columns)
        parents = (
            results.lazy()
            .filter(pl.col("rule") == rollup.meta.id)
            .select("document", "row", "column")
            .unique()
        )
        frame = env.frames[rollup.table]
        code = pl.col(rollup.code_column)
        for parent_len, child_len in zip(rollup.levels, rollup.levels[1:], strict=False):
            parent_rows = frame.filter(code.str.len_chars() == parent_len).select(
                "document", "row", BLOCK, code.alias("__parent")
            )
            checked = parent_rows.join(parents, on=["document", "row"], how="inner").drop("row")
            children = frame.filter(code.str.len_chars() == child_len).select(
                "document", "row", BLOCK, code.str.slice(0, parent_len).alias("__parent")
            )
            out.append(
                children.join(checked, on=["document", BLOCK, "__parent"], how="inner")
                .filter(pl.col("column").is_in(columns))
                .select("document", pl.lit(rollup.table).alias("table"), "row", "column")
            )
    return out


def referenced_cells(
    ruleset: ast.Ruleset,
    template: Template,
    results: pl.DataFrame,
    documents: pl.DataFrame,
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    statements: pl.DataFrame | pl.LazyFrame | None = None,
) -> pl.DataFrame:
    """The cells (``document, table, row, column``) read by evaluations that were not skipped.

    ``results`` is :attr:`checker.evaluate.Results.frame` of ``ruleset`` over
    the same frames. Default-value-column references carry a ``priority``
    column (resolved against the document in :func:`compute_coverage`).
    """
    run = results.filter(pl.col("status") != "skipped")
    frames: dict[str, pl.LazyFrame] = {}
    factors = table_factors(ruleset, template)  # the same units the engine reads in
    for table in template.tables:
        source = tables.get(table.role)
        if source is None:
            source = pl.DataFrame(schema={"document": pl.UInt32, "row": pl.UInt32})
        frames[table.role] = prepare_table(source, table, factors.get(table.role))
    if statements is None:
        statements = pl.DataFrame(
            schema={"document": pl.UInt32, "name": pl.Utf8, "value": pl.Int64}
        )
    frames["__statements__"] = prepare_statements(statements)
    env = _Frames(template, Planner(template), frames)
    listed = _listed_cells(run, template)
    lazy = [
        *_aggregate_cells(ruleset, run, env, documents),
        *_rollup_cells(ruleset, run, env),
    ]
    computed = (
        pl.concat([p.cast(_KEY_SCHEMA) for p in pl.collect_all(lazy)])
        if lazy
        else pl.DataFrame(schema=_KEY_SCHEMA)
    )
    return pl.concat([listed, computed], how="diagonal").unique(maintain_order=True)


# --------------------------------------------------------------------------- coverage


def compute_coverage(
    ruleset: ast.Ruleset,
    template: Template,
    results: pl.DataFrame,
    documents: pl.DataFrame,
    tables: Mapping[str, pl.DataFrame],
    statements: pl.DataFrame | None = None,
    *,
    include_statements: bool = True,
) -> Coverage:
    """Coverage of ``documents`` by the evaluations in ``results`` (see the module docstring)."""
    cells = numeric_cells(template, tables, statements, include_statements=include_statements)
    read = referenced_cells(ruleset, template, results, documents, tables, statements)
    exact = read.filter(pl.col("priority").is_null()).select(_KEY).unique()
    # default value column: the first non-empty one of the row
    defaults = (
        read.filter(pl.col("priority").is_not_null())
        .join(cells.select(_KEY), on=_KEY, how="inner", nulls_equal=True)
        .sort("priority")
        .group_by(["document", "table", "row"], maintain_order=True)
        .first()
        .select(_KEY)
    )
    covered_keys = pl.concat([exact, defaults]).unique()
    marked = cells.join(
        covered_keys.with_columns(pl.lit(True).alias("covered")),
        on=_KEY,
        how="left",
        nulls_equal=True,
    ).with_columns(pl.col("covered").fill_null(False))
    order = [t.role for t in template.tables] + [STATEMENTS]
    counts = {
        row["table"]: (row["cells"], row["covered"])
        for row in marked.group_by("table")
        .agg(pl.len().alias("cells"), pl.col("covered").sum().alias("covered"))
        .iter_rows(named=True)
    }
    per_table = tuple(
        TableCoverage(name, int(counts[name][0]), int(counts[name][1]))
        for name in order
        if name in counts
    )
    uncovered = marked.filter(~pl.col("covered")).drop("covered")
    uncovered = _with_labels(uncovered, template, tables).join(
        documents.select("document", "id"), on="document", how="left"
    )
    return Coverage(
        per_table,
        uncovered.select("document", "id", "table", "row", "column", "value", "label").sort(
            "document", "table", "row", "column", nulls_last=True
        ),
        documents.height,
        len(ruleset.rules),
    )


def batch_coverage(ruleset: ast.Ruleset, template: Template, batch: Batch) -> Coverage:
    """Coverage of one batch of documents: every rule evaluated, then :func:`compute_coverage`."""
    from checker.evaluate import EVALUATED, evaluate

    results = evaluate(
        ruleset,
        template,
        batch.documents,
        batch.tables,
        batch.statements,
        cells_for=EVALUATED,  # coverage reads every evaluated result's cells
    )
    return compute_coverage(
        ruleset,
        template,
        results.frame,
        batch.documents,
        {role: batch.table(role) for role in batch.tables},
        batch.statements,
    )


class CoverageSum:
    """The coverage of a run taken batch by batch, summed as each batch's comes.

    Every count is per document, so the sum is what one batch of all the
    documents gives: cells and covered cells per table and documents exact, the
    tables in the template's order. Of the cells no rule reads (in input order:
    batches come in order), the first ``keep`` are held (``None``: all); with
    ``spool`` every one is also written, as its item of :func:`render_json`, to a
    temporary file, and :meth:`write_json` writes the whole JSON report. So
    memory is bounded by the batch, not by the run.
    """

    def __init__(self, template: Template, *, keep: int | None = LISTED, spool: bool = False):
        self._order = [t.role for t in template.tables] + [STATEMENTS]
        self._counts: dict[str, tuple[int, int]] = {}
        self._kept: list[pl.DataFrame] = []
        self._held = 0
        self._keep = keep
        self._documents = 0
        self._rules = 0
        self._items = 0
        self._spool: IO[str] | None = (
            tempfile.TemporaryFile("w+", encoding="utf-8") if spool else None  # noqa: SIM115 (see close)
        )

    def add(self, part: Coverage) -> None:
        """Add one batch's coverage (batches in input order)."""
        for t in part.tables:
            cells, covered = self._counts.get(t.table, (0, 0))
            self._counts[t.table] = (cells + t.cells, covered + t.covered)
        self._documents += part.documents
        self._rules = part.rules
        room = part.uncovered.height if self._keep is None else self._keep - self._held
        if room > 0 or not self._kept:  # the first part even if empty: the frame's schema
            first = part.uncovered.head(max(room, 0))
            if self._keep is not None:  # a copy: a slice would hold on to the batch's buffers
                first = pl.from_dicts(first.to_dicts(), schema=first.schema)
            self._kept.append(first)
            self._held += first.height
        if self._spool is not None:
            for item in _json_items(part.uncovered):
                self._spool.write(("\n" if self._items == 0 else ",\n") + item)
                self._items += 1

    def coverage(self) -> Coverage:
        """The coverage so far (``uncovered``: the cells held)."""
        tables = tuple(
            TableCoverage(name, *self._counts[name]) for name in self._order if name in self._counts
        )
        uncovered = (
            pl.concat(self._kept, how="vertical_relaxed")
            if self._kept
            else pl.DataFrame(schema=_UNCOVERED_SCHEMA)
        )
        return Coverage(tables, uncovered, self._documents, self._rules)

    def write_json(self, sink: IO[str]) -> None:
        """The JSON report of the run, every uncovered cell listed (needs ``spool``)."""
        if self._spool is None:
            raise ValueError("CoverageSum(spool=True) lists every uncovered cell")
        head, tail = _json_frame(self.coverage())
        sink.write(head)
        self._spool.flush()
        self._spool.seek(0)
        shutil.copyfileobj(self._spool, sink)
        sink.write(("\n  ]" if self._items else "]") + tail)

    def close(self) -> None:
        """Remove the spool (``contextlib.closing``)."""
        if self._spool is not None:
            self._spool.close()


_UNCOVERED_SCHEMA = pl.Schema(
    {
        "document": pl.UInt32(),
        "id": pl.String(),
        "table": pl.String(),
        "row": pl.UInt32(),
        "column": pl.String(),
        "value": pl.Float64(),
        "label": pl.String(),
    }
)


def _row_label(table: Table) -> pl.Expr:
    parts = [table.label, table.code, *table.key]
    names = [p for i, p in enumerate(parts) if p and p not in parts[:i]]
    if not names:
        return pl.lit(None, pl.Utf8)
    return pl.coalesce([pl.col(n) for n in names])


def _with_labels(
    cells: pl.DataFrame, template: Template, tables: Mapping[str, pl.DataFrame]
) -> pl.DataFrame:
    labels: list[pl.DataFrame] = []
    for table in template.tables:
        frame = tables.get(table.role)
        if frame is None or frame.height == 0:
            continue
        present = set(frame.columns)
        label = (
            _row_label(table)
            if all(n in present for n in (table.label, table.code, *table.key) if n)
            else pl.lit(None, pl.Utf8)
        )
        labels.append(
            frame.select(
                "document",
                "row",
                pl.lit(table.role).alias("table"),
                label.cast(pl.Utf8).alias("label"),
            )
        )
    if not labels:
        return cells.with_columns(pl.lit(None, pl.Utf8).alias("label"))
    all_labels = pl.concat(labels, how="vertical")
    return cells.join(all_labels, on=["document", "table", "row"], how="left").with_columns(
        pl.when(pl.col("table") == STATEMENTS)
        .then(pl.col("column"))
        .otherwise(pl.col("label"))
        .alias("label")
    )


# --------------------------------------------------------------------------- rendering

_WORDS: dict[Lang, dict[str, str]] = {
    "zh": {
        "title": "数值单元格覆盖率",
        "table": "表",
        "cells": "数值单元格",
        "covered": "被规则引用",
        "percent": "覆盖率",
        "total": "合计",
        "uncovered": "没有规则引用的数值单元格",
        "none": "（无）",
        "summary": "{documents} 个文档，{rules} 条规则："
        "{covered}/{cells} 个数值单元格被引用（{percent:.2f}%）",
        "row": "行",
        "statement": "说明",
    },
    "en": {
        "title": "numeric cell coverage",
        "table": "table",
        "cells": "numeric cells",
        "covered": "read by a rule",
        "percent": "coverage",
        "total": "total",
        "uncovered": "numeric cells no rule reads",
        "none": "(none)",
        "summary": "{documents} document(s), {rules} rules: {covered}/{cells} numeric cells read "
        "({percent:.2f}%)",
        "row": "row",
        "statement": "prose",
    },
}


def render_text(coverage: Coverage, lang: Lang = "zh", limit: int | None = LISTED) -> str:
    """A per-table summary and the uncovered cells (at most ``limit`` listed)."""
    w = _WORDS[lang]
    name_width = max(
        [_width(w["table"]), _width(w["total"]), *(_width(t.table) for t in coverage.tables)]
    )
    widths = [max(_width(w[k]), 8) for k in ("cells", "covered", "percent")]
    lines = [w["title"], ""]

    def line(name: str, cells: str, covered: str, percent: str) -> str:
        cols = [_lpad(v, n) for v, n in zip((cells, covered, percent), widths, strict=True)]
        return "  ".join([_pad(name, name_width), *cols]).rstrip()

    lines.append(line(w["table"], w["cells"], w["covered"], w["percent"]))
    for t in coverage.tables:
        lines.append(line(t.table, str(t.cells), str(t.covered), f"{t.percent:.2f}%"))
    lines.append(
        line(w["total"], str(coverage.cells), str(coverage.covered), f"{coverage.percent:.2f}%")
    )
    lines += ["", w["uncovered"] + ":"]
    # the cells listed: the uncovered frame may hold only the first of them (CoverageSum)
    count = max(coverage.cells - coverage.covered, coverage.uncovered.height)
    if not count:
        lines.append("  " + w["none"])
    listed = coverage.uncovered if limit is None else coverage.uncovered.head(limit)
    for r in listed.iter_rows(named=True):
        where = (
            f"{w['statement']}.{r['column']}"
            if r["table"] == STATEMENTS
            else f"{r['table']} {w['row']} {r['row']} [{r['label'] or ''}] .{r['column']}"
        )
        lines.append(f"  {r['id']}: {where} = {_number(r['value'])}")
    if count > listed.height:
        lines.append(f"  … (+{count - listed.height})")
    lines += [
        "",
        w["summary"].format(
            documents=coverage.documents,
            rules=coverage.rules,
            covered=coverage.covered,
            cells=coverage.cells,
            percent=coverage.percent,
        ),
    ]
    return "\n".join(lines) + "\n"


def render_json(coverage: Coverage) -> str:
    """Machine-readable coverage: per table, total, and every uncovered cell."""
    head, tail = _json_frame(coverage)
    items = list(_json_items(coverage.uncovered))
    return head + ("\n" + ",\n".join(items) + "\n  ]" if items else "]") + tail


def _json_frame(coverage: Coverage) -> tuple[str, str]:
    """The JSON report around its list of uncovered cells: up to its ``[``, after its ``]``."""
    payload: dict[str, Any] = {
        "tables": [
            {
                "table": t.table,
                "cells": t.cells,
                "covered": t.covered,
                "percent": round(t.percent, 4),
            }
            for t in coverage.tables
        ],
        "total": {
            "cells": coverage.cells,
            "covered": coverage.covered,
            "percent": round(coverage.percent, 4),
        },
        "uncovered": [],
        "documents": coverage.documents,
        "rules": coverage.rules,
    }
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    head, tail = text.split('"uncovered": []', 1)  # table names hold no quotes
    return head + '"uncovered": [', tail + "\n"


def _json_items(uncovered: pl.DataFrame) -> Iterator[str]:
    """Each uncovered cell as its item of the JSON report's list (indented as in it)."""
    for r in uncovered.iter_rows(named=True):
        entry = {
            "document": r["id"],
            "table": r["table"],
            "row": r["row"],
            "column": r["column"],
            "label": r["label"],
            "value": r["value"],
        }
        text = json.dumps(entry, ensure_ascii=False, indent=2)
        # split on "\n" only: a string may hold U+2028 or U+0085 (not escaped by json)
        yield "\n".join("    " + line for line in text.split("\n"))


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _lpad(text: str, width: int) -> str:
    return " " * max(0, width - _width(text)) + text


__all__ = [
    "LISTED",
    "STATEMENTS",
    "Coverage",
    "CoverageSum",
    "TableCoverage",
    "batch_coverage",
    "compute_coverage",
    "numeric_cells",
    "referenced_cells",
    "render_json",
    "render_text",
]
