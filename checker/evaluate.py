"""Run compiled rules over all documents' frames at once → one results frame.

``evaluate`` prepares the loader's frames (exact ``Decimal`` amounts,
normalised row labels, unit blocks), plans the wide per-document frame,
compiles every rule and collects its plans (see :mod:`checker.collecting`).
The Python loops here run over *rules while building plans*, never over
documents or rows: Polars evaluates each plan for every document at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from checker import ast, rowpass
from checker.collecting import ENGINE, SMALL_BATCH, collect_plans
from checker.compile import (
    BLOCK,
    CELL_DTYPE,
    LABEL,
    CompiledRule,
    GroupSpec,
    Leaf,
    LinearProgram,
    LinearRule,
    Planner,
    RollupLevel,
    compile_rule,
    document_plan,
    linear_plan,
    linear_program,
    linear_results,
    linear_rule,
    normalize_label_expr,
    rollup_levels,
    rollup_pairs,
    rollup_results,
    table_plan,
)
from checker.intervals import DEC
from checker.judging import STATUS_NAMES
from checker.linear_cells import ROW, CellSystem, cell_system
from checker.rowlinear import RowLinear, row_linear
from checker.template import Table, Template
from checker.units import table_factors, table_halves

if TYPE_CHECKING:  # imported when a run localizes: it loads numpy (~60 ms a process)
    from checker.localize import Localization

SCALE = 10_000  # the loader's scaled-integer amounts: 4 decimals

_CHUNK = 20  # document-level rules per plan (a one-document batch: 2 plans balance the 2 threads)
_PLANS_AT_ONCE = 4  # a large batch's plans collected together (bounded memory)

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def _row_pattern(pattern: Mapping[str, Any]) -> pl.Expr:
    parts = []
    for column, wanted in pattern.items():
        if wanted is None:
            parts.append(pl.col(column).is_null())
        elif isinstance(wanted, dict) and wanted.get("present"):
            parts.append(pl.col(column).is_not_null())
        else:
            parts.append(pl.col(column) == wanted)
    return pl.all_horizontal(parts) if parts else pl.lit(False)


_UNIT = pl.lit(Decimal(1) / SCALE, dtype=DEC)


def _unscale(scaled: pl.Expr) -> pl.Expr:
    """The loader's scaled integers as exact Decimal amounts: n · 0.0001 (an integer
    times a scale-4 literal is exact and already of scale 4; dividing by 10,000 as
    Decimals gave the same values two and a half times as slowly)."""
    return scaled.cast(pl.Decimal(38, 0)) * _UNIT


def prepare_table(
    frame: pl.DataFrame | pl.LazyFrame, table: Table, factor: Decimal | None = None
) -> pl.LazyFrame:
    """Loader frame → evaluation frame: Decimal amounts (× ``factor``: the table printed in
    another unit than the ruleset's, see checker.units), ``__label``, ``__block``."""
    lf = frame.lazy()
    schema = lf.collect_schema()
    exprs: list[pl.Expr] = []
    for name in table.amount_columns:
        if name not in schema:
            exprs.append(pl.lit(None, DEC).alias(name))
            continue
        if schema[name] == DEC:
            value = pl.col(name)
        elif schema[name].is_integer():
            value = _unscale(pl.col(name))
        else:
            value = pl.col(name).cast(DEC)
        if factor is not None and factor != 1:
            value = (value * pl.lit(factor, pl.Decimal(38, 8))).cast(DEC)
        elif schema[name] == DEC:
            continue
        exprs.append(value.alias(name))
    for col in table.columns:
        if col.kind != "amount" and col.name not in schema:
            exprs.append(pl.lit(None, pl.Utf8).alias(col.name))
    if exprs:
        lf = lf.with_columns(exprs)
    if table.label:
        # Normalised once per distinct label (a template repeats its row labels in every
        # document), then joined back in row order: 2,000 documents' labels took 0.15 s.
        raw = pl.col(table.label)
        labels = lf.select(raw.unique()).with_columns(normalize_label_expr(raw).alias(LABEL))
        lf = lf.join(labels, on=table.label, how="left", nulls_equal=True, maintain_order="left")
    else:
        lf = lf.with_columns(pl.lit(None, pl.Utf8).alias(LABEL))
    subtotal = (
        pl.any_horizontal([_row_pattern(p) for p in table.subtotal_rows])
        if table.subtotal_rows
        else pl.lit(False)
    )
    return lf.with_columns(subtotal.cast(pl.UInt32).cum_sum().over("document").alias(BLOCK))


def prepare_statements(frame: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Loader statements frame → Decimal values (and a ``wording`` column, null if absent)."""
    lf = frame.lazy()
    if "wording" not in lf.collect_schema():
        lf = lf.with_columns(pl.lit(None, pl.Utf8).alias("wording"))
    dtype = lf.collect_schema()["value"]
    if dtype.is_integer():
        return lf.with_columns(_unscale(pl.col("value")).alias("value"))
    return lf.with_columns(pl.col("value").cast(DEC))


@dataclass(frozen=True)
class Results:
    """The outcome of confronting documents with a ruleset.

    ``frame`` has one row per (document, rule, row, column) evaluation with the
    rule's metadata joined in; ``status`` is one of pass / rounding / fail /
    error / skipped. Summarise, filter and export it like any Polars frame.
    """

    frame: pl.DataFrame
    documents: pl.DataFrame
    totals: dict[str, int] | None = None  # per status, when ``frame`` keeps only some
    by_document: pl.DataFrame | None = None  # per document and status, likewise
    # per rule, the documents it has a result for (``rule``, ``documents``), likewise
    by_rule: pl.DataFrame | None = None
    # which printed cells most likely explain the failures and rounding differences
    # (checker.localize); None where the run did not localize or had nothing to localize
    localization: Localization | None = None

    def findings(self, fail_on: str = "error", include_rounding: bool = False) -> pl.DataFrame:
        """Results that count as findings: fail/error at or above ``fail_on`` severity."""
        statuses = ["fail", "error"] + (["rounding"] if include_rounding else [])
        if fail_on == "never":
            return self.frame.clear()
        rank = SEVERITY_RANK.get(fail_on, 2)
        return self.frame.filter(
            pl.col("status").is_in(statuses)
            & (pl.col("severity").replace_strict(SEVERITY_RANK, default=0) >= rank)
        )

    def summary(self) -> pl.DataFrame:
        """Counts per status (statuses with no result left out)."""
        if self.totals is not None:
            rows = [(k, v) for k, v in sorted(self.counts().items()) if v]
            return pl.DataFrame(rows, schema={"status": pl.Utf8, "len": pl.UInt32}, orient="row")
        return self.frame.group_by("status").len().sort("status")

    def per_document(self) -> pl.DataFrame:
        """Per document (``document``, ``id``, ``path``): the number of results per status."""
        if self.by_document is not None:
            return self.by_document
        counts = self.frame.group_by("document", "status").len()
        return _by_document(counts, self.documents, status_names=True)

    def rule_documents(self) -> pl.DataFrame:
        """Per rule with a result (of any status): in how many documents (``rule``,
        ``documents``). A rule of the run missing here found nothing to check."""
        if self.by_rule is not None:
            return self.by_rule
        return _rule_documents(self.frame.select("document", "rule"))

    def counts(self) -> dict[str, int]:
        """Number of results per status (all five keys present), kept in the frame or not."""
        if self.totals is not None:
            return {name: int(self.totals.get(name, 0)) for name in STATUS_NAMES}
        got = dict(self.summary().iter_rows())
        return {name: int(got.get(name, 0)) for name in STATUS_NAMES}


def printed_decimals(precision: Decimal) -> int:
    """How many decimals a figure of this precision is printed with (0.01 → 2, 1 → 0)."""
    exponent = precision.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 2


def _rules_frame(
    rules: list[ast.Rule | ast.Rollup], precision: Decimal, tolerance: Decimal | None = None
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "rule": [r.meta.id for r in rules],
            "title": [r.meta.title for r in rules],
            "severity": [r.meta.severity for r in rules],
            "rule_file": [r.span.file for r in rules],
            "rule_line": [r.span.line for r in rules],
            "check_lines": [_check_lines(r) for r in rules],
            "rule_table": [
                r.table
                if isinstance(r, ast.Rollup)
                else (r.scope_table if r.per_row or r.group_by is not None else None)
                for r in rules
            ],
            "op": [shown_op(r) for r in rules],
            # the decimals its figures are published with: amounts are shown with them
            "decimals": [
                printed_decimals(r.precision if r.precision is not None else precision)
                for r in rules
            ],
            # the materiality threshold in force (the rule's, else the ruleset's)
            "materiality": [
                _threshold(r.tolerance if r.tolerance is not None else tolerance) for r in rules
            ],
        },
        schema={
            "rule": pl.Utf8,
            "title": pl.Utf8,
            "severity": pl.Utf8,
            "rule_file": pl.Utf8,
            "rule_line": pl.Int64,
            "check_lines": pl.List(pl.Int64),
            "rule_table": pl.Utf8,
            "op": pl.Utf8,
            "decimals": pl.Int8,
            "materiality": pl.Float64,
        },
    )


def _threshold(tolerance: Decimal | None) -> float | None:
    """A tolerance as reports show it: None where it changes nothing (none, or 0)."""
    return float(tolerance) if tolerance else None


def _check_lines(rule: ast.Rule | ast.Rollup) -> list[int]:
    """First and last line of what a rule checks, as written (a roll-up: its header, the
    lines up to its table and code column, not its description and source)."""
    if isinstance(rule, ast.Rollup):
        ends = [s.end_line for s in (rule.table_span, rule.code_span) if s is not None]
        return [rule.span.line, max([rule.span.line, *ends])]
    span = rule.check.span
    return [span.line, max(span.end_line, span.line)]


def shown_op(rule: ast.Rule | ast.Rollup) -> str:
    """The comparison whose two sides a result shows as lhs and rhs (roll-ups: ``=``)."""
    if isinstance(rule, ast.Rollup):
        return "="
    check: ast.Cond = rule.check
    while isinstance(check, ast.And | ast.Or) and check.items:
        check = next(
            (i for i in check.items if isinstance(i, ast.Compare | ast.Between)), check.items[0]
        )
    if isinstance(check, ast.Between):  # x against the bound its verdict concerns
        return "between"
    return check.op if isinstance(check, ast.Compare) else "="


# what reports list by default
CELL_STATUSES = frozenset({"fail", "error", "rounding", "tolerated"})
EVALUATED = frozenset({"pass", "rounding", "fail", "error"})  # every status but skipped


def evaluate(
    ruleset: ast.Ruleset,
    template: Template,
    documents: pl.DataFrame,
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    statements: pl.DataFrame | pl.LazyFrame | None = None,
    *,
    cells_for: Iterable[str] = CELL_STATUSES,
    keep: Iterable[str] | None = None,
) -> Results:
    """Run every rule of a resolved ruleset over all documents at once.

    ``cells`` (each operand's table, row, column and value) is filled for results
    whose status is in ``cells_for`` and null elsewhere: building those lists is the
    costliest part of a plan, so a second pass computes them only for the rules
    and documents that need them. ``keep`` (default: all) names the statuses whose
    results stay in the frame; :meth:`Results.counts` still counts every result.
    """
    return Engine(ruleset, template).run(
        documents, tables, statements, cells_for=cells_for, keep=keep
    )


def _code_digest() -> str:
    """The digest of the compiler's source as this process loaded it: read once, at import,
    so that a process whose code changed on disk since it started never stores an engine
    compiled by the old code under the new code's key."""
    from checker import diskcache

    here = Path(__file__).parent
    return diskcache.source_digest(
        *(
            here / n
            for n in (
                "ast.py",
                "intervals.py",
                "functions.py",
                "judging.py",
                "compile.py",
                "rowlinear.py",
                "evaluate.py",
                "units.py",
                "linear_cells.py",
            )
        )
    )


_CODE: Final = _code_digest()


class Engine:
    """A ruleset compiled once, run over any number of batches (chunks of documents).

    :meth:`cached` reuses a compiled engine from the disk cache: compiling builds
    thousands of Polars expressions (about a second for the default ruleset), which
    unpickling skips.
    """

    @classmethod
    def cached(cls, ruleset: ast.Ruleset, template: Template, digest: str | None = None) -> Engine:
        """The engine for ``ruleset``: from the disk cache when this exact ruleset,
        template, Polars and compiler were compiled before, else compiled (and stored).

        ``digest`` is the ruleset's content digest when the caller has it
        (``rulecache.ruleset_digest``; ``load_rules`` reads it from the rule cache),
        which spares pickling the ruleset again to make the key.
        """
        import sys

        from checker import diskcache
        from checker.rulecache import ruleset_digest

        if digest is None:
            digest = ruleset_digest(ruleset)
        key = diskcache.digest(sys.version, pl.__version__, _CODE, repr(template), digest)
        entry = diskcache.entry("engines", key)
        found = diskcache.read(entry)
        if isinstance(found, cls) and found.rules_frame.get_column("rule").to_list() == [
            r.meta.id for r in ruleset.rules
        ]:
            found._attach(ruleset)
            found._entry = entry
            return found
        engine = cls(ruleset, template)
        diskcache.write(entry, engine)
        engine._entry = entry
        return engine

    def __init__(self, ruleset: ast.Ruleset, template: Template, *, linear: bool = True) -> None:
        self.template = template
        self.precision = ruleset.precision if ruleset.precision is not None else Decimal("0.01")
        self.tolerance = ruleset.tolerance  # the rules' default materiality threshold
        self.planner = Planner(template)
        self.planner.halves = table_halves(ruleset, template, self.precision / 2)
        # tables printed in another unit than the ruleset's: converted when prepared
        self.factors = table_factors(ruleset, template)
        self.rollups: list[ast.Rollup] = []
        # Linear document-level rules run as data (compile.linear_plan); their expressions
        # are compiled only if a report lists their cells (see compiled).
        self.leaves: dict[str, Leaf] = {}
        self.linear: list[LinearRule] = []
        self.expression_rules: list[CompiledRule] = []
        # per-row rules that sum their row's own amounts (checker.rowlinear): a large
        # table's first pass finds their rows that do not pass exactly with integer sums
        self.row_linear: dict[str, RowLinear] = {}
        self._attach(ruleset)
        self._compiled: dict[str, CompiledRule] = {}
        # rules compiled on demand in an earlier process, kept serialised (diskcache.dumps)
        # until one is asked for: a cold start then unpickles only the rules it runs
        self._stored: dict[str, bytes] = {}
        self._entry: Path | None = None  # where Engine.cached keeps this engine
        self._grown = False  # compiled rules since it was stored
        self._cells: CellSystem | None = None  # the linear rules over cells (localization)
        for rule in ruleset.rules:
            if isinstance(rule, ast.Rollup):
                self.rollups.append(rule)
                continue
            found = (
                linear_rule(rule, self.planner, self.precision, self.leaves, self.tolerance)
                if linear
                else None
            )
            if found is not None:
                self.linear.append(found)
                continue
            self.expression_rules.append(self.compiled(rule.meta.id))
            summed = row_linear(rule, template, self.factors)
            if summed is not None:
                self.row_linear[rule.meta.id] = summed
        self.linear_program = linear_program(self.linear, self.leaves) if self.linear else None
        # per-group rules: results carry a ``group`` column (the key of the group)
        self.grouped = any(c.group is not None for c in self.expression_rules)
        self._levels: dict[tuple[str, bool], list[RollupLevel]] = {}
        for rollup in self.rollups:
            self.levels(rollup, with_cells=False)
        self.rules_frame = _rules_frame(list(ruleset.rules), self.precision, self.tolerance)

    def __getstate__(self) -> dict[str, Any]:
        # The ruleset is not stored with the engine: whoever asks for a cached engine
        # holds it already (read from the rule cache), and unpickling it twice costs
        # a cold start about as much as the rest of the engine.
        state = dict(self.__dict__)
        del state["ruleset"], state["_by_id"]
        state["_entry"], state["_grown"] = None, False
        from checker import diskcache

        running = {c.rule_id for c in self.expression_rules}
        state["_compiled"] = {k: c for k, c in self._compiled.items() if k in running}
        state["_stored"] = {
            **self._stored,
            **{k: diskcache.dumps(c) for k, c in self._compiled.items() if k not in running},
        }
        return state

    def _attach(self, ruleset: ast.Ruleset) -> None:
        """The ruleset and its rules by id (what compiling a rule on demand reads)."""
        self.ruleset = ruleset
        self._by_id = {r.meta.id: r for r in ruleset.rules if not isinstance(r, ast.Rollup)}

    def levels(self, rollup: ast.Rollup, *, with_cells: bool) -> list[RollupLevel]:
        """A roll-up's level pairs as expressions (built on first use)."""
        key = (rollup.meta.id, with_cells)
        found = self._levels.get(key)
        if found is None:
            found = rollup_levels(rollup, self.planner, self.precision, with_cells, self.tolerance)
            self._levels[key] = found
        return found

    def compiled(self, rule_id: str) -> CompiledRule:
        """A rule's Polars expressions (compiled on first use)."""
        found = self._compiled.get(rule_id)
        if found is None:
            stored = self._stored.pop(rule_id, None)
            if stored is not None:
                from checker import diskcache

                found = diskcache.loads(stored)
            if not isinstance(found, CompiledRule):
                found = compile_rule(
                    self._by_id[rule_id], self.planner, self.precision, self.tolerance
                )
                self._grown = True
            self._compiled[rule_id] = found
        return found

    @property
    def cell_system(self) -> CellSystem:
        """The linear rules as constraints over cells (checker.linear_cells), built on first
        use (a run with failures or rounding differences to localize) and kept with the
        cached engine."""
        found: CellSystem | None = getattr(self, "_cells", None)  # an engine cached before
        if found is None:
            found = self._cells = cell_system(self)
            self._grown = True
        return found

    def _localize(
        self,
        frame: pl.DataFrame,
        frames: dict[str, pl.LazyFrame],
        wide: pl.LazyFrame,
        kinds: tuple[str, ...],
        raw: Mapping[str, pl.DataFrame | pl.LazyFrame],
    ) -> Localization | None:
        """Localization of a batch's failures and rounding differences (checker.localize,
        the ``kinds`` asked for); nothing at all where no linear rule fails or rounds.
        A table only screened (not in ``frames``) is prepared from ``raw`` for the rows
        holding a result to localize alone — every row where a per-row rule on it reads a
        document-level figure (a constraint then reaches every row)."""
        statuses = {"error": "fail", "rounding": "rounding"}
        codes = [STATUS_NAMES.index(statuses[k]) for k in kinds if k in statuses]
        targets = frame.filter(pl.col("status").is_in(codes))
        if targets.is_empty():
            return None
        system = self.cell_system
        # a streamed table's rows are never held: its per-row rules are not localized
        unread = [
            c.rule_id
            for c in self.expression_rules
            if c.table and isinstance(raw.get(c.table), pl.LazyFrame)
        ]
        targets = targets.filter(
            pl.col("rule").is_in(sorted(system.rule_ids)) & ~pl.col("rule").is_in(unread)
        )
        if targets.is_empty():
            return None
        per_row = system.rules.filter(pl.col("kind") == ROW).select("rule", "table", "tmpl")
        reaching = set(
            per_row.join(system.leaf_terms, on="tmpl", how="semi").get_column("table").to_list()
        )
        frames = dict(frames)
        for table in self.template.tables:
            source = raw.get(table.role)
            if table.role in frames or not isinstance(source, pl.DataFrame):
                continue
            if table.role not in reaching:
                rows = targets.join(per_row.filter(pl.col("table") == table.role), on="rule")
                rows = rows.select(pl.col("document").cast(pl.UInt32), "row").unique()
                source = source.join(rows, on=["document", "row"], how="semi")
            prepared = prepare_table(source, table, self.factors.get(table.role))
            frames[table.role] = prepared.collect(engine=ENGINE).lazy()
        named = targets.select(
            "document",
            "rule",
            "row",
            "column",
            pl.col("status").replace_strict(dict(enumerate(STATUS_NAMES)), return_dtype=pl.Utf8),
        )
        from checker.localize import localize

        return localize(system, frames, wide, named)

    def read_whole(
        self, tables: Mapping[str, pl.DataFrame | pl.LazyFrame], keep: Iterable[str] | None
    ) -> dict[str, list[str]]:
        """Per table given as a LazyFrame (a streamed table file), the rules of a run
        keeping ``keep`` that need its rows all at once, so that it cannot be read in
        chunks: document-level rules reading its cells, sums or counts, per-row rules
        that are not screened (checker.rowpass: a row filter, a when, products,
        aggregates…; every per-row rule when every status is kept), correlated
        aggregates over it and roll-ups of it."""
        lazy = [role for role, frame in tables.items() if isinstance(frame, pl.LazyFrame)]
        if not lazy:
            return {}
        codes = None if keep is None else frozenset(_codes(keep))
        by_row = {
            t.role: t
            for t in rowpass.table_rows(self.expression_rules, self.row_linear, tables, codes)
        }
        found: dict[str, list[str]] = {}
        for role in lazy:
            columns = self.planner.columns_of(role)
            rules = [r.meta.id for r in self.rollups if r.table == role]
            rules += [
                c.rule_id
                for c in self.expression_rules
                if c.w_columns & columns
                or any(spec.table == role for spec in c.correlated)
                or (c.table == role and c.group is not None)
            ]
            rules += [
                r.rule_id for r in self.linear if any(leaf in columns for _, leaf, _ in r.terms)
            ]
            table = by_row.get(role)
            if table is not None:
                rules += [r.rule_id for r in (table.rules if table.every else table.statused)]
            if rules:
                found[role] = sorted(set(rules))
        return found

    def _store_grown(self) -> None:
        """Write a cached engine back once it compiled more rules (those whose cells a
        report listed), so the next process finds them compiled."""
        if self._grown and self._entry is not None:
            from checker import diskcache

            self._grown = False
            diskcache.write(self._entry, self)

    def run(
        self,
        documents: pl.DataFrame,
        tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
        statements: pl.DataFrame | pl.LazyFrame | None = None,
        *,
        cells_for: Iterable[str] = CELL_STATUSES,
        keep: Iterable[str] | None = None,
        localize: Iterable[str] = (),
    ) -> Results:
        """Every rule over every document of one batch (see :func:`evaluate`); with
        ``localize`` (``"error"``, ``"rounding"``), the localization of its failures and
        the root causes of its rounding differences (:attr:`Results.localization`, from
        the results ``keep`` keeps).

        ``tables`` are the loader's frames (amounts as its scaled integers, within
        ±2**53). Per-row rules keep only the results ``keep`` names as rows: the others
        are counted (checker.rowpass)."""
        kinds = tuple(localize)
        codes = None if keep is None else frozenset(_codes(keep))
        cell_codes = frozenset(_codes(cells_for))
        raw: dict[str, pl.DataFrame | pl.LazyFrame] = {}
        for table in self.template.tables:
            source = tables.get(table.role)
            raw[table.role] = source if source is not None else _NO_ROWS
        by_row = rowpass.table_rows(self.expression_rules, self.row_linear, raw, codes)
        row_tables = {t.role: t for t in by_row}
        # prepared whole: what the wide frame, correlated aggregates, roll-ups and the
        # per-row rules evaluated on every row read; a table only screened is prepared
        # for its kept rows alone
        whole = (
            set(self.planner.tables_read)
            | {s.table for c in self.expression_rules for s in c.correlated}
            | {r.table for r in self.rollups}
            | {t.role for t in by_row if t.prepared_whole}
        )
        prepared: dict[str, pl.LazyFrame] = {
            table.role: prepare_table(raw[table.role], table, self.factors.get(table.role))
            for table in self.template.tables
            if table.role in whole
        }
        if statements is None:
            statements = pl.DataFrame(
                schema={"document": pl.UInt32, "name": pl.Utf8, "value": pl.Int64}
            )
        prepared["__statements__"] = prepare_statements(statements)
        screened = [t for t in by_row if t.screened]
        # a streamed table (a LazyFrame) is screened in chunks by Polars' streaming engine
        in_memory = [t for t in screened if not isinstance(raw[t.role], pl.LazyFrame)]
        streamed = [t for t in screened if isinstance(raw[t.role], pl.LazyFrame)]
        screens = [rowpass.screen_plan(t, raw[t.role]) for t in in_memory]
        sizes = [rowpass.sizes_plan(raw[t.role]) for t in in_memory]
        small = documents.height <= SMALL_BATCH
        optimizations = _optimizations(small)
        done = collect_plans(
            [*prepared.values(), *screens, *sizes], small=small, optimizations=optimizations
        )
        n = len(prepared)
        frames = {name: frame.lazy() for name, frame in zip(prepared, done[:n], strict=True)}
        roles = [t.role for t in in_memory]
        found_screens = dict(zip(roles, done[n : n + len(screens)], strict=True))
        found_sizes = dict(zip(roles, done[n + len(screens) :], strict=True))
        for t in streamed:
            found_screens[t.role] = rowpass.screen_plan(t, raw[t.role]).collect(engine=STREAMING)
            found_sizes[t.role] = rowpass.sizes_plan(raw[t.role]).collect(engine=STREAMING)
        # Materialised once: every rule's plan then starts from in-memory frames. The
        # roll-ups' parent rows with their children's sums come with it: a roll-up none
        # of whose parents has children (most, in a document without subtotal rows) then
        # plans no results at all.
        wide_plan = self.planner.build(documents.lazy(), frames)
        levels = [
            (rollup, i, level)
            for rollup in self.rollups
            for i, level in enumerate(self.levels(rollup, with_cells=False))
        ]
        pair_plans = [rollup_pairs(level, frames) for _, _, level in levels]
        wide_frame, *pairs = collect_plans(
            [wide_plan, *pair_plans], small=small, optimizations=optimizations
        )
        wide = wide_frame.lazy()
        found_pairs = [
            (rollup, i, level, found.lazy())
            for (rollup, i, level), found in zip(levels, pairs, strict=True)
            if found.height
        ]
        rollups = [rollup_results(level, found) for _, _, level, found in found_pairs]
        program = self.linear_program
        every = [r for t in by_row if t.every for r in t.rules]
        plans = _plans(
            # document-level and per-group rules: one result per document or group
            [*(c for c in self.expression_rules if c.table is None or c.group), *every],
            wide,
            frames,
            with_cells=False,
            rollups=rollups,
            linear=program,
        )
        statused = [t for t in by_row if t.statused]
        status_plans = [rowpass.status_plan(t, wide, frames) for t in statused]
        kept: list[pl.DataFrame] = []
        counted: list[pl.DataFrame] = []
        applied: list[pl.DataFrame] = []  # (document, rule): a result of any status

        def take(outputs: Iterable[pl.DataFrame]) -> None:
            for part in outputs:  # counted whole, then cut to the statuses kept
                counted.append(part.group_by("document", "status").len())
                applied.append(_applied(part, program))
                kept.append(part if codes is None else part.filter(pl.col("status").is_in(codes)))

        if small:  # each plan starts running as soon as it is built
            outputs = collect_plans(
                [*plans, *status_plans], small=True, optimizations=optimizations
            )
            take(outputs[: len(outputs) - len(status_plans)])
            found_statuses = outputs[len(outputs) - len(status_plans) :]
        else:
            # A few plans at a time, so a batch never holds every plan's full output.
            listed = list(plans)
            for start in range(0, len(listed), _PLANS_AT_ONCE):
                part = listed[start : start + _PLANS_AT_ONCE]
                take(collect_plans(part, small=False, optimizations=optimizations))
            found_statuses = collect_plans(status_plans, small=False, optimizations=optimizations)
        if program is not None and kept:  # the linear rows get their result columns once cut
            kept[-1] = linear_results(program, kept[-1])
        # a per-group rule's results name their group: a column the others lack
        joined: Final = "diagonal_relaxed" if self.grouped else "vertical_relaxed"
        frame = pl.concat(kept, how=joined) if kept else _empty_results()
        # The per-row rules' second pass: only the rows holding a kept result.
        statuses = dict(zip((t.role for t in statused), found_statuses, strict=True))
        details: list[tuple[rowpass.TableRows, bool]] = []  # and whether it has a plan
        second: list[pl.LazyFrame] = []
        held: list[pl.DataFrame] = [frame.select("document")]
        own_frames = {role: frames for role in row_tables}
        for rows_of in by_row:
            if rows_of.every:
                continue
            assert codes is not None
            tally = rowpass.tally(
                rows_of, statuses.get(rows_of.role), found_screens.get(rows_of.role), codes
            )
            counted.extend(tally.counted)
            applied.extend(tally.applied)
            rows = tally.rows()
            if not rows.height:
                details.append((rows_of, False))  # its screened rules' passes are counted
                continue
            held.append(rows.select("document"))
            if rows_of.role not in frames:  # screened alone: prepared for its kept rows
                given = raw[rows_of.role]
                source = given.lazy().join(rows.lazy(), on=rowpass.KEYS, how="semi")
                if isinstance(given, pl.LazyFrame):  # streamed: its kept rows, in chunks
                    source = source.collect(engine=STREAMING).lazy()
                spec = self.template.table(rows_of.role)
                assert spec is not None
                # once, for its results and their cells
                kept_rows = prepare_table(source, spec).collect(engine=ENGINE).lazy()
                own_frames[rows_of.role] = {**frames, rows_of.role: kept_rows}
            second.append(rowpass.detail_plan(rows_of, wide, own_frames[rows_of.role], rows))
            details.append((rows_of, True))
        # over the rows kept alone: as a small batch when they lie in few documents
        small_rest = pl.concat(held).n_unique() <= SMALL_BATCH
        rest = _optimizations(small_rest)
        found_details = iter(collect_plans(second, small=small_rest, optimizations=rest))
        parts = [frame]
        for rows_of, planned in details:
            output = next(found_details) if planned else None
            rows_kept, more_counted, more_applied = rowpass.results(
                rows_of, output, codes or frozenset(), found_sizes.get(rows_of.role)
            )
            if rows_kept is not None:
                parts.append(rows_kept)
            counted.extend(more_counted)
            applied.extend(more_applied)
        frame = pl.concat(parts, how=joined)
        located = self._localize(frame, frames, wide, kinds, raw) if kinds else None
        # Operand cells, for the results that want them alone.
        wanted, cell_plans = _cell_plans(
            frame, self, wide, frames, row_tables, own_frames, found_pairs, cell_codes
        )
        cells = collect_plans(cell_plans, small=small_rest, optimizations=rest)
        frame = _join_cells(frame, wanted, cells)
        counts = (
            pl.concat(counted, how="vertical_relaxed")
            .group_by("document", "status")
            .agg(pl.col("len").sum())
            if counted
            else pl.DataFrame(schema={"document": pl.UInt32, "status": pl.UInt8, "len": pl.UInt32})
        )
        totals = _totals(counts)
        by_document = _by_document(counts, documents, status_names=False)
        by_rule = _rule_documents(pl.concat(applied, how="vertical_relaxed") if applied else None)
        frame = frame.with_columns(
            (pl.col("lhs") - pl.col("rhs")).round(4).alias("diff"),
            ((pl.col("lhs_hi") - pl.col("lhs_lo") + pl.col("rhs_hi") - pl.col("rhs_lo")) / 2)
            .round(4)
            .alias("tolerance"),
            pl.col("status").replace_strict(dict(enumerate(STATUS_NAMES)), return_dtype=pl.Utf8),
        ).join(self.rules_frame, on="rule", how="left")
        doc_cols = [c for c in ("document", "id", "path", "line") if c in documents.columns]
        frame = frame.join(
            documents.select(doc_cols).rename({"line": "document_line"}, strict=False),
            on="document",
            how="left",
        )
        frame = frame.sort("document", "rule_file", "rule_line", "row", "column")
        self._store_grown()
        return Results(frame, documents, totals, by_document, by_rule, located)


_NO_ROWS: Final = pl.DataFrame(schema={"document": pl.UInt32, "row": pl.UInt32})
STREAMING: Final = "streaming"  # Polars' engine reading a streamed table in chunks


def _codes(statuses: Iterable[str]) -> list[int]:
    return [STATUS_NAMES.index(s) for s in statuses if s in STATUS_NAMES]


def _optimizations(small: bool) -> pl.QueryOptFlags:
    """Polars' query optimisations for a batch: none for a small one, whose rows are
    too few to repay planning (one document: ~10% faster without; 2,000: ~15% slower)."""
    return pl.QueryOptFlags.none() if small else pl.QueryOptFlags()


def _by_document(
    counts: pl.DataFrame, documents: pl.DataFrame, *, status_names: bool
) -> pl.DataFrame:
    """Results per document and status (from ``document, status, len`` counts), with the
    document's id and path."""
    status, n = pl.col("status"), pl.col("len")
    per_document = counts.group_by("document").agg(
        [
            n.filter(status == (name if status_names else code)).sum().cast(pl.UInt32).alias(name)
            for code, name in enumerate(STATUS_NAMES)
        ]
    )
    keys = [c for c in ("document", "id", "path") if c in documents.columns]
    return documents.select(keys).join(per_document, on="document", how="inner").sort("document")


def _applied(part: pl.DataFrame, program: LinearProgram | None) -> pl.DataFrame:
    """The (``document``, ``rule``) pairs a plan's output holds a result for (the linear
    rules' plan names its rules by ``rule_index``)."""
    if "rule" in part.columns or program is None:
        return part.select("document", "rule").unique()
    names = program.names.select("rule_index", "rule").unique()
    return (
        part.select("document", "rule_index")
        .unique()
        .join(names, on="rule_index")
        .drop("rule_index")
    )


def _rule_documents(pairs: pl.DataFrame | None) -> pl.DataFrame:
    """Per rule, the number of documents among ``document, rule`` pairs."""
    if pairs is None:
        return pl.DataFrame(schema={"rule": pl.Utf8, "documents": pl.UInt32})
    return (
        pairs.group_by("rule")
        .agg(pl.col("document").n_unique().cast(pl.UInt32).alias("documents"))
        .sort("rule")
    )


def _totals(counts: pl.DataFrame) -> dict[str, int]:
    """Results per status code (from ``document, status, len`` counts)."""
    got = dict(counts.group_by("status").agg(pl.col("len").sum()).iter_rows())
    return {name: int(got.get(code, 0)) for code, name in enumerate(STATUS_NAMES)}


def _plans(
    compiled: list[CompiledRule],
    wide: pl.LazyFrame,
    frames: dict[str, pl.LazyFrame],
    *,
    with_cells: bool,
    rollups: Iterable[pl.LazyFrame] = (),
    linear: LinearProgram | None = None,
) -> Iterator[pl.LazyFrame]:
    """One plan per table (and chunks of document-level rules), then the ``rollups``'
    plans, and last the ``linear`` rules' plan, each yielded as soon as it is built.

    The Python loops build plans; Polars evaluates each for every document and row.
    """
    by_table: dict[str | None, list[CompiledRule]] = {}
    grouped: list[tuple[GroupSpec, list[CompiledRule]]] = []  # per-group rules, by grouping
    for c in compiled:
        if c.group is None:
            by_table.setdefault(c.table, []).append(c)
            continue
        spec = c.group
        same = next((rules for g, rules in grouped if spec.same(g)), None)
        if same is None:
            grouped.append((spec, [c]))
        else:
            same.append(c)
    for role, group in by_table.items():
        if role is None:
            # Chunked: keeps each select's planning small.
            for i in range(0, len(group), _CHUNK):
                yield document_plan(group[i : i + _CHUNK], wide, with_cells)
        else:
            yield table_plan(group, wide, frames, with_cells)
    for _, rules in grouped:
        yield table_plan(rules, wide, frames, with_cells)
    yield from rollups
    if linear is not None:
        yield linear_plan(linear, wide)


_KEYS = ["document", "rule", "row", "column"]


def _cell_plans(
    frame: pl.DataFrame,
    engine: Engine,
    wide: pl.LazyFrame,
    frames: dict[str, pl.LazyFrame],
    row_tables: Mapping[str, rowpass.TableRows],
    row_frames: Mapping[str, dict[str, pl.LazyFrame]],
    pairs: list[tuple[ast.Rollup, int, RollupLevel, pl.LazyFrame]],
    cell_codes: frozenset[int],
) -> tuple[pl.DataFrame, list[pl.LazyFrame]]:
    """The results of ``frame`` whose status is in ``cell_codes`` (their keys), and the
    plans listing their operand cells: a per-row rule over the rows holding one (its
    table's frames in ``row_frames``), a roll-up over its parent rows already paired, a
    document-level rule over the documents holding one (its row is the document)."""
    wanted = frame.filter(pl.col("status").is_in(sorted(cell_codes))).select(_KEYS)
    if wanted.is_empty():
        return wanted, []
    plans: list[pl.LazyFrame] = []
    per_row = {r.rule_id: t.role for t in row_tables.values() for r in t.rules}
    tagged = wanted.with_columns(pl.col("rule").replace_strict(per_row, default=None).alias("t"))
    for (role,), part in tagged.filter(pl.col("t").is_not_null()).group_by("t"):
        table = row_tables[str(role)]
        plans += rowpass.cell_plans(table, wide, row_frames[table.role], part)
    for rollup, i, _, found in pairs:  # from their pairs: no join of children again
        rows = wanted.filter(pl.col("rule") == rollup.meta.id).select("document", "row")
        if rows.height:
            with_cells = engine.levels(rollup, with_cells=True)[i]
            chosen = found.join(rows.lazy(), on=["document", "row"], how="semi")
            plans.append(rollup_results(with_cells, chosen).select(*_KEYS, "cells"))
    rollup_ids = sorted(r.meta.id for r in engine.rollups)
    at_documents = tagged.filter(pl.col("t").is_null() & ~pl.col("rule").is_in(rollup_ids))
    rule_ids = sorted(set(at_documents.get_column("rule").to_list()))
    if rule_ids:  # document-level and per-group rules: over the documents holding one
        docs = at_documents.select("document").unique().lazy()
        holding = wide.join(docs, on="document", how="semi")
        own = {name: lf.join(docs, on="document", how="semi") for name, lf in frames.items()}
        compiled = [engine.compiled(r) for r in rule_ids if r in engine._by_id]
        plans += [
            p.select(*_KEYS, "cells") for p in _plans(compiled, holding, own, with_cells=True)
        ]
    return wanted, plans


def _join_cells(
    frame: pl.DataFrame, wanted: pl.DataFrame, outputs: list[pl.DataFrame]
) -> pl.DataFrame:
    """``frame`` with the ``cells`` column: the listed cells of the ``wanted`` results."""
    if wanted.is_empty() or not outputs:
        return frame.with_columns(pl.lit(None, pl.List(CELL_DTYPE)).alias("cells"))
    listed = pl.concat(outputs, how="vertical_relaxed").select(*_KEYS, "cells")
    cells = wanted.join(listed, on=_KEYS, how="left", nulls_equal=True)
    return frame.join(cells, on=_KEYS, how="left", nulls_equal=True)


def _empty_results() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "document": pl.UInt32,
            "rule": pl.Utf8,
            "row": pl.UInt32,
            "column": pl.Utf8,
            "status": pl.UInt8,
            "lhs": pl.Float64,
            "rhs": pl.Float64,
            "lhs_lo": pl.Float64,
            "lhs_hi": pl.Float64,
            "rhs_lo": pl.Float64,
            "rhs_hi": pl.Float64,
            "reason": pl.Utf8,
        }
    )
