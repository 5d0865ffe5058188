"""Which printed figure is wrong: error localization and rounding root causes (issue 19).

A reviewer does not want nineteen failures, they want the few printed figures to
query. For each document with failing linear rules (:mod:`checker.linear_cells`: the
document-level identities, per-row comparisons and roll-ups, sums expanded into
their rows), **localization** finds the smallest weighted set of published cells
whose change makes every failing constraint pass while every other keeps its
verdict — a pass stays a pass (exact), a rounding difference stays within its
rounding allowance — with the value each cell would need (Fellegi–Holt error
localization, as R's errorlocate does for records). **Rounding root causes** find,
among a document's ``rounding`` results, the fewest cells whose shift within their
own rounding interval (± half the precision) makes those identities exact while
every pass stays exact: 尾差 explained, not errors.

Weights. A cell read by more rules is more trusted: its weight is
``1 + min(readers − 1, 9) / 10`` (1.0 to 1.9), ``readers`` the number of linear
constraints reading it in the document. A total printed in several tables is
several cells tied by passing identities, so changing it means changing every copy.
Weights below 2 make one changed cell always cheaper than two. Among candidates of
equal weight, those that keep more inequalities that hold with equality (a
``其中`` column equal to its total) come first: a figure equal to its bound is
evidence that it is right.

Suggested values lie on the published precision's grid (0.01 万元 by default), are
not negative where the published figure is not, and make the failing identities
hold exactly. Rules that are not linear over cells (products, percentages, text,
sums correlated with the row) are not constraints: a suggestion may still upset
them.

Solving. One cell per cluster first, for every document at once (Polars): the failing
constraints of a document fall into clusters that share no cell (two unrelated typos,
two clusters); a cluster's candidates are the cells every one of its failing
constraints reads, each with the interval of changes every constraint reading it
allows. Where each cluster has a cell that fixes it alone, no constraint reads
candidates of two clusters and the total costs less than one more cell would, that is
the optimum. Otherwise a mixed-integer program per document (HiGHS, through
``scipy.optimize.milp``) over the failing constraints' cells and those of the
constraints that read them, up to :data:`HOPS` steps further when its optimum costs too
much to be sure a farther cell could not do better (any solution changing a cell ``k``
steps away changes at least ``k + 1`` cells, so an optimum below ``k + 2`` is proven).
Ties: every optimum up to :data:`LIMIT` (the program: each further one excluded by a
no-good cut, at least one of its cells unchanged). The one-cell pass decides per unit (the
clusters linked by the constraints reading their candidates), so a table of per-row
identities with a failing row here and there is localized at once. Rounding root causes:
one program per small document, per component of linked cells (batched, a row's own
component solved once per distinct program) for a large one.

Bounds, decided from counts before anything is built (docs/localization.md, "Limits"):
a document whose constraints would read over :data:`MAX_TERMS` cells, or a program over
:data:`MAX_CELLS`, is ``too-large``. Constraints are built on the rows of the findings
(and those reached), never on every row of a table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl

from checker.judging import FAIL, OP_CODES, OPERATORS, PASS, ROUNDING, TOLERATED
from checker.linear_cells import (
    ROW,
    SCALE,
    STATEMENTS,
    UNBOUNDED,
    CellSystem,
    Expanded,
    bounds,
    cell_key,
    estimate,
    expand,
    templates_of,
    touching,
)

LIMIT: Final = 5  # optima listed per document (ties), best first
ROUNDING_LIMIT: Final = 1  # rounding explanations listed per document (ties not sought)
HOPS: Final = 2  # how many steps beyond the failing rules' own cells the solver looks
TIME_LIMIT: Final = 10.0  # seconds per mixed-integer solve
MAX_CELLS: Final = 20_000  # a program over more cells is not solved ("too-large")
# a document whose constraints (those explained and those reading their cells) would read
# more cells is not localized ("too-large"), estimated before any is built
MAX_TERMS: Final = 10_000_000
# rounding causes: a document reading at most this many cells is one program; a larger one
# is solved component by component, its components in programs of up to BATCH_CELLS cells
WHOLE_TERMS: Final = 50_000
BATCH_CELLS: Final = 2_000
_EPSILON: Final = 0.05  # the tie-break (inequalities loosened) stays below a weight step

ERROR, ROUNDING_KIND = "error", "rounding"  # the ``kind`` of a localization

RULE_DTYPE: Final = pl.Struct({"rule": pl.Utf8(), "row": pl.UInt32(), "column": pl.Utf8()})
CELLS_SCHEMA: Final = pl.Schema(
    {
        "document": pl.UInt32(),
        "kind": pl.Utf8(),
        "candidate": pl.UInt16(),  # 0 the best, then the other optima (ties)
        "cost": pl.Float64(),  # the candidate's total weight (rounding: its number of cells)
        "table": pl.Utf8(),
        "row": pl.UInt32(),  # null: a prose statement (table 说明, column its name)
        "column": pl.Utf8(),
        "published": pl.Float64(),  # null: printed empty
        "suggested": pl.Float64(),
        "weight": pl.Float64(),
        "readers": pl.UInt32(),  # the linear constraints reading the cell
        "explains": pl.List(RULE_DTYPE),  # the results it makes pass (rounding: exact)
    }
)
SUMMARY_SCHEMA: Final = pl.Schema(
    {
        "document": pl.UInt32(),
        "kind": pl.Utf8(),
        # found; none (no change of published cells within the limits does it);
        # too-large (more than MAX_CELLS cells to consider)
        "status": pl.Utf8(),
        "candidates": pl.UInt16(),
        "more": pl.Boolean(),  # further optima exist that are not listed (null: not sought)
        "proven": pl.Boolean(),  # the candidates are optimal (not just the best found)
        "rules": pl.List(RULE_DTYPE),  # the results it is about
    }
)


def weight(readers: int) -> float:
    """A cell's weight from the number of linear constraints reading it (module doc)."""
    return 1 + min(max(readers - 1, 0), 9) / 10


@dataclass(frozen=True)
class Localization:
    """A batch's localizations: ``cells`` (one row per candidate cell, :data:`CELLS_SCHEMA`)
    and ``summary`` (one row per document and kind, :data:`SUMMARY_SCHEMA`)."""

    cells: pl.DataFrame
    summary: pl.DataFrame

    @staticmethod
    def empty() -> Localization:
        return Localization(pl.DataFrame(schema=CELLS_SCHEMA), pl.DataFrame(schema=SUMMARY_SCHEMA))

    @staticmethod
    def concat(parts: Sequence[Localization]) -> Localization:
        if not parts:
            return Localization.empty()
        return Localization(
            pl.concat([p.cells for p in parts], how="vertical_relaxed"),
            pl.concat([p.summary for p in parts], how="vertical_relaxed"),
        )


def localize(
    system: CellSystem,
    frames: dict[str, pl.LazyFrame],
    wide: pl.LazyFrame,
    results: pl.DataFrame,
) -> Localization:
    """Localize the failures and explain the rounding differences among ``results``
    (``document, rule, row, column, status``: an engine run's results, status names)."""
    found = [Localization.empty()]
    failing = templates_of(system, results.filter(pl.col("status") == "fail"))
    if not failing.is_empty():
        found.append(_errors(system, frames, wide, failing))
    rounding = templates_of(system, results.filter(pl.col("status") == "rounding"))
    if not rounding.is_empty():
        found.append(_rounding(system, frames, wide, rounding))
    return Localization.concat(found)


# --------------------------------------------------------------------------- errors


def _errors(
    system: CellSystem, frames: dict[str, pl.LazyFrame], wide: pl.LazyFrame, failing: pl.DataFrame
) -> Localization:
    asked = failing.select("document", "tmpl", "at")
    failing, large = _bounded(system, frames, asked)
    base = expand(system, frames, wide, failing)
    fails = base.constraints.filter(pl.col("status") == FAIL)
    if fails.is_empty():
        return _too_large(ERROR, large, system, asked)
    own = base.terms.join(fails.select("con", "document"), on="con")
    clusters = fails.select("con", "document").join(_clusters(own), on="con", how="left")
    clusters = clusters.with_columns(pl.col("cluster").fill_null(pl.col("con")))
    per_cluster = clusters.group_by("document", "cluster").agg(pl.len().alias("fails"))
    candidates = (
        own.join(clusters.select("con", "cluster"), on="con")
        .group_by("document", "cluster", "cell")
        .agg(pl.col("con").n_unique().alias("n"))
        .join(per_cluster, on=["document", "cluster"])
        .filter(pl.col("n") == pl.col("fails"))
        .join(base.cells.select("cell", "field", "row"), on="cell")
    )
    single = Localization.empty()
    if not candidates.is_empty():
        near, more = _bounded(system, frames, touching(system, candidates))
        large = pl.concat([large, more])
        per_cluster = per_cluster.join(more, on="document", how="anti")
        around = expand(system, frames, wide, near)
        candidates = candidates.join(more, on="document", how="anti")
        single = _single_cells(system, around, candidates, per_cluster)
    solved = pl.concat([single.summary.select("document"), large])
    rest = fails.join(solved, on="document", how="anti")
    parts = [single, _too_large(ERROR, large, system, asked)]
    if not rest.is_empty():
        parts.append(_programs(system, frames, wide, base, rest))
    return Localization.concat(parts)


def _too_large(
    kind: str, documents: pl.DataFrame, system: CellSystem, asked: pl.DataFrame
) -> Localization:
    """The summary of ``documents`` (``document``) not localized for their size, about the
    results ``asked`` (``document, tmpl, at``)."""
    if documents.is_empty():
        return Localization.empty()
    rules = (
        asked.join(documents, on="document", how="semi")
        .join(system.rules.select("tmpl", "rule", "column"), on="tmpl")
        .group_by("document")
        .agg(
            pl.struct(pl.col("rule"), pl.col("at").cast(pl.UInt32).alias("row"), pl.col("column"))
            .sort()
            .alias("rules")
        )
    )
    summary = (
        documents.unique()
        .join(rules, on="document", how="left")
        .select(
            "document",
            pl.lit(kind).alias("kind"),
            pl.lit("too-large").alias("status"),
            pl.lit(0).alias("candidates"),
            pl.lit(False).alias("more"),
            pl.lit(False).alias("proven"),
            "rules",
        )
    )
    return Localization(pl.DataFrame(schema=CELLS_SCHEMA), summary.cast(SUMMARY_SCHEMA))


def _bounded(
    system: CellSystem, frames: dict[str, pl.LazyFrame], pairs: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``pairs`` (``document, tmpl, at``) but those of the documents whose constraints would
    read more than :data:`MAX_TERMS` cells (estimated from counts: nothing is built), and
    those documents (``document``)."""
    sized = estimate(system, frames, pairs)
    over = (
        sized.group_by("document")
        .agg(pl.col("size").sum())
        .filter(pl.col("size") > MAX_TERMS)
        .select("document")
    )
    return sized.join(over, on="document", how="anti").drop("size"), over


def _clusters(own: pl.DataFrame) -> pl.DataFrame:
    """``con, cluster``: the failing constraints grouped by the cells they share (connected
    components; a cluster is named by its smallest constraint key). Label propagation:
    as many rounds as the longest chain of shared cells."""
    edges = own.select("con", "cell")
    label = edges.select("con").unique().with_columns(pl.col("con").alias("cluster"))
    while True:
        by_cell = edges.join(label, on="con").group_by("cell").agg(pl.col("cluster").min())
        spread = edges.join(by_cell, on="cell").group_by("con").agg(pl.col("cluster").min())
        if spread.sort("con").equals(label.sort("con")):
            return label
        label = spread


def _components(edges: pl.DataFrame) -> pl.DataFrame:
    """``con, component``: the constraints of ``edges`` (``con, cell``) grouped by the cells
    they share (connected components, scipy's, in one pass however long the chains; a
    component is named by its smallest constraint key)."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    cons = edges.select("con").unique().sort("con").with_row_index("i")
    cells = edges.select("cell").unique().with_row_index("j")
    pairs = edges.join(cons, on="con").join(cells, on="cell")
    n, m = cons.height, cells.height
    i = pairs.get_column("i").to_numpy()
    j = pairs.get_column("j").to_numpy().astype(np.int64) + n
    graph = coo_array((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n + m, n + m))
    _, labels = connected_components(graph, directed=False)
    return cons.with_columns(pl.Series("label", labels[:n])).select(
        "con", pl.col("con").min().over("label").alias("component")
    )


def _targets(constraints: pl.DataFrame, rules: pl.DataFrame, kind: str) -> pl.DataFrame:
    """``lo, hi``: the interval a constraint's new ``d`` must lie in (quanta). Localizing
    errors, a pass and a failure must hold exactly, a rounding difference stay within its
    allowance, a tolerated one within its allowance or threshold; explaining rounding, a
    pass and a rounding difference must hold exactly, the others are left free."""
    w, st = pl.col("w"), pl.col("status")
    if kind == ERROR:
        slack = (
            pl.when(st == ROUNDING)
            .then(w)
            .when(st == TOLERATED)
            .then(pl.max_horizontal(w, pl.col("tolerance").fill_null(0)))
            .otherwise(0)
        )
        free = pl.lit(False)
    else:
        slack, free = pl.lit(0, pl.Int64), st.is_in([FAIL, TOLERATED])
    lo, hi = bounds(pl.col("op"), slack)
    joined = constraints.join(rules.select("tmpl", "op", "tolerance"), on="tmpl")
    return joined.with_columns(
        pl.when(free).then(-UNBOUNDED).otherwise(lo).alias("lo"),
        pl.when(free).then(UNBOUNDED).otherwise(hi).alias("hi"),
    )


def _single_cells(
    system: CellSystem, around: Expanded, candidates: pl.DataFrame, clusters: pl.DataFrame
) -> Localization:
    """The documents fixed by one changed cell per cluster of failing constraints, with
    their tied optima (vectorised; ``candidates``: ``document, cluster, cell``, the cells
    every failing constraint of their cluster reads; ``clusters``: ``document, cluster``).

    Clusters share no cell, so every solution changes at least one cell in each, and where
    no constraint reads candidates of two clusters, one cell per cluster is a solution
    exactly when each fixes its cluster alone: the cheapest such cells are optimal when
    they cost less than one more cell would (``k`` clusters: below ``k + 1``). Other
    documents are left to the mixed-integer program."""
    cons = _targets(around.constraints, system.rules, ERROR)
    tight = (pl.col("status") == PASS) & (pl.col("d") == 0) & (pl.col("op") != OP_CODES["="])
    owned = candidates.select("cell", "cluster")
    reading = (
        around.terms.join(owned, on="cell")
        .join(cons.select("con", "d", "lo", "hi", "status", tight.alias("tight")), on="con")
        .with_columns(pl.col("coef").cast(pl.Int64))
    )
    # units: the clusters linked by the constraints reading their candidates (each is
    # decided on its own: no solution's cells in one unit are read with another's)
    edges = around.terms.join(reading.select("con").unique(), on="con").select("con", "cell")
    units = (
        edges.join(_clusters(edges), on="con")
        .select("cell", pl.col("cluster").alias("unit"))
        .unique("cell")
    )
    unit_of = candidates.join(units, on="cell").select("cluster", "unit").unique("cluster")
    coupled = (
        reading.group_by("con")
        .agg(pl.col("cluster").n_unique().alias("clusters"))
        .filter(pl.col("clusters") > 1)
        .join(edges, on="con")
        .join(units, on="cell")
        .select("unit")
        .unique()
    )
    a, d = pl.col("coef"), pl.col("d")
    low = (pl.col("lo") - d) / a
    high = (pl.col("hi") - d) / a
    per_cell = (
        reading.with_columns(
            pl.when(a > 0).then(low).otherwise(high).ceil().alias("from"),
            pl.when(a > 0).then(high).otherwise(low).floor().alias("to"),
        )
        .group_by("cell", "cluster")
        .agg(
            pl.col("from").max(),
            pl.col("to").min(),
            pl.len().alias("readers"),
            pl.col("tight").sum().alias("loosened"),
            pl.col("con").filter(pl.col("status") == FAIL).alias("explains"),
        )
        .join(around.cells.select("cell", "document", "field", "row", "value", "half"), on="cell")
    )
    grid = (2 * pl.col("half")).clip(lower_bound=1)
    floor = pl.when(pl.col("value").fill_null(0) >= 0).then(-pl.col("value").fill_null(0))
    start = pl.max_horizontal(pl.col("from"), floor.otherwise(-UNBOUNDED))
    first = (start / grid).ceil() * grid
    last = (pl.col("to") / grid).floor() * grid
    delta = pl.when(first > 0).then(first).when(last < 0).then(last)
    feasible = (
        per_cell.with_columns(delta.cast(pl.Int64).alias("delta"))
        .filter((first <= last) & pl.col("delta").is_not_null())
        .with_columns((1 + (pl.col("readers").cast(pl.Int64) - 1).clip(0, 9) / 10).alias("weight"))
    )
    best = feasible.group_by("document", "cluster").agg(pl.col("weight").min().alias("best"))
    # every cluster of a unit fixable by one cell, at a total proven optimal (``k``
    # clusters: below k + 1), no constraint reading two clusters' candidates; the document
    # when every unit of it is
    in_unit = clusters.join(unit_of, on="cluster", how="left")
    counts = in_unit.group_by("document", "unit").agg(pl.len().alias("k"))
    proven = (
        best.join(unit_of, on="cluster")
        .group_by("document", "unit")
        .agg(pl.len().alias("fixable"), pl.col("best").sum().alias("total"))
        .join(counts, on=["document", "unit"])
        .join(coupled, on="unit", how="anti")
        .filter((pl.col("fixable") == pl.col("k")) & (pl.col("total") < pl.col("k") + 1))
    )
    open_ = in_unit.join(proven, on=["document", "unit"], how="anti").select("document")
    fixed = (
        proven.group_by("document")
        .agg(pl.col("total").sum())
        .join(open_.unique(), on="document", how="anti")
    )
    ranked = (
        feasible.join(best, on=["document", "cluster"])
        .join(fixed.select("document", "total"), on="document")
        .filter(pl.col("weight") <= pl.col("best") + 1e-9)
        .sort("document", "cluster", "loosened", pl.col("delta").abs(), "cell")
    )
    if ranked.is_empty():
        return Localization.empty()
    chosen, more = _combined(ranked)
    rules = _rule_names(system, around.constraints)
    explains = (
        chosen.select("document", "candidate", "cell", "explains")
        .explode("explains")
        .join(rules, left_on="explains", right_on="con")
        .group_by("document", "candidate", "cell")
        .agg(pl.col("name").sort().alias("explains"))
    )
    cells = (
        chosen.join(explains, on=["document", "candidate", "cell"], suffix="_r")
        .join(system.fields, on="field")
        .select(
            "document",
            pl.lit(ERROR).alias("kind"),
            "candidate",
            pl.col("total").alias("cost"),
            "table",
            pl.when(pl.col("table") != "说明").then(pl.col("row")).cast(pl.UInt32).alias("row"),
            "column",
            (pl.col("value") / SCALE / pl.col("factor")).alias("published"),
            ((pl.col("value").fill_null(0) + pl.col("delta")) / SCALE / pl.col("factor")).alias(
                "suggested"
            ),
            "weight",
            pl.col("readers").cast(pl.UInt32),
            pl.col("explains_r").alias("explains"),
        )
    )
    fails = around.constraints.filter(pl.col("status") == FAIL).join(
        more.select("document"), on="document", how="semi"
    )
    about = (
        fails.join(rules, on="con").group_by("document").agg(pl.col("name").sort().alias("rules"))
    )
    summary = more.join(about, on="document").select(
        "document",
        pl.lit(ERROR).alias("kind"),
        pl.lit("found").alias("status"),
        "candidates",
        "more",
        pl.lit(True).alias("proven"),
        "rules",
    )
    cells = cells.cast(CELLS_SCHEMA).sort("document", "candidate")
    return Localization(cells, summary.cast(SUMMARY_SCHEMA))


def _combined(ranked: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The tied optima of each document: one tied cell per cluster (``ranked``: the tied
    cells, best first within each cluster), as ``ranked``'s rows numbered by
    ``candidate`` (up to LIMIT, the fewest inequalities loosened first); and per document
    ``candidates`` listed and ``more`` (further ties exist). A cluster with one tied cell
    is in every candidate; only the others are combined (the best LIMIT of each prefix)."""
    options = pl.len().over("document", "cluster")
    single = ranked.filter(options == 1).select("document", "cell")
    tied: dict[int, dict[int, list[tuple[int, int, int]]]] = {}
    for document, cluster, cell, loosened, delta in (
        ranked.filter(options > 1)
        .select("document", "cluster", "cell", "loosened", pl.col("delta").abs())
        .iter_rows()
    ):
        tied.setdefault(document, {}).setdefault(cluster, []).append((loosened, delta, cell))
    rows: list[tuple[int, int, int]] = []
    summary: list[tuple[int, int, bool]] = []
    for document, by_cluster in tied.items():
        combos: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, ())]
        ties = 1
        for cells in by_cluster.values():
            ties = min(ties * len(cells), LIMIT + 1)
            combos = sorted(
                (
                    (a + c[0], b + c[1], (*picked, c[2]))
                    for a, b, picked in combos
                    for c in cells[:LIMIT]
                ),
                key=lambda combo: combo[:2],
            )[:LIMIT]
        for number, (_, _, picked) in enumerate(combos):
            rows.extend((document, number, cell) for cell in picked)
        summary.append((document, len(combos), ties > len(combos)))
    more = pl.DataFrame(
        summary,
        schema={"document": pl.UInt32, "candidates": pl.UInt16, "more": pl.Boolean},
        orient="row",
    )
    alone = single.select("document").unique().join(more, on="document", how="anti")
    alone = alone.with_columns(
        pl.lit(1, pl.UInt16).alias("candidates"), pl.lit(False).alias("more")
    )
    more = pl.concat([more, alone])
    numbered = more.select(
        "document", pl.int_ranges("candidates", dtype=pl.UInt16).alias("candidate")
    ).explode("candidate")
    combined = pl.DataFrame(
        rows,
        schema={"document": pl.UInt32, "candidate": pl.UInt16, "cell": pl.UInt64},
        orient="row",
    )
    everywhere = numbered.join(single, on="document").select("document", "candidate", "cell")
    chosen = pl.concat([combined, everywhere]).join(ranked, on=["document", "cell"])
    return chosen, more


def _rule_names(system: CellSystem, constraints: pl.DataFrame) -> pl.DataFrame:
    """``con, name``: each constraint as the result it stands for (rule, row, column)."""
    return constraints.join(system.rules.select("tmpl", "rule", "column"), on="tmpl").select(
        "con",
        pl.struct(
            pl.col("rule"), pl.col("at").cast(pl.UInt32).alias("row"), pl.col("column")
        ).alias("name"),
    )


# --------------------------------------------------------------------------- programs


# per document: (optima: (cost, cells), more optima, proven, status)
_Outcomes = dict[int, tuple[list[tuple[float, list[dict[str, object]]]], bool | None, bool, str]]


@dataclass
class _Problem:
    """One document's mixed-integer program, as arrays (see :func:`_solve`)."""

    cells: pl.DataFrame  # the variables: cell, value, half, readers (in order)
    constraints: pl.DataFrame  # con, d, w, op, status, lo, hi (in order)
    terms: pl.DataFrame  # con index, cell index, coef


def _programs(
    system: CellSystem,
    frames: dict[str, pl.LazyFrame],
    wide: pl.LazyFrame,
    base: Expanded,
    fails: pl.DataFrame,
) -> Localization:
    """Localize the documents no single cell fixes: a program per document, widened hop
    by hop while its optimum is not proven."""
    documents = sorted(set(fails.get_column("document").to_list()))
    variables = base.terms.join(fails.select("con"), on="con").select("cell").unique()
    variables = variables.join(base.cells.select("cell", "document", "field", "row"), on="cell")
    rules = _rule_names(system, fails)
    outcome: _Outcomes = {}
    around = base
    for hop in range(HOPS + 1):
        pending = [d for d in documents if d not in outcome]
        if not pending:
            break
        wanted = variables.filter(pl.col("document").is_in(pending))
        # too many cells, or constraints reading too many: not built
        sizes = wanted.group_by("document").agg(pl.len().alias("n"))
        near, over = _bounded(system, frames, touching(system, wanted))
        over = pl.concat([over, sizes.filter(pl.col("n") > MAX_CELLS).select("document")])
        for document in over.get_column("document").unique().to_list():
            outcome[document] = ([], False, False, "too-large")
        near = near.join(over, on="document", how="anti")
        wanted = wanted.join(over, on="document", how="anti")
        pending = [d for d in pending if d not in outcome]
        around = Expanded.concat([around, expand(system, frames, wide, near)])
        named = _rule_names(system, around.constraints)
        for document in pending:
            chosen = wanted.filter(pl.col("document") == document).select("cell")
            problem = _problem(system, around, chosen, ERROR, outcome, document)
            if problem is None:
                continue
            found, more, finished = _solve(problem, LIMIT, error=True)
            cost = found[0][0] if found else math.inf
            proven = finished and cost < hop + 2
            if found and (proven or hop == HOPS):
                outcome[document] = (_described(found, problem, named, FAIL), more, proven, "found")
            elif not found and hop == HOPS:
                outcome[document] = ([], False, finished, "none")
        if hop < HOPS:  # the next hop: every cell of the constraints reading a variable
            touched = around.terms.join(wanted.select("cell"), on="cell", how="semi")
            reached = around.terms.join(touched.select("con").unique(), on="con").select("cell")
            variables = reached.unique().join(
                around.cells.select("cell", "document", "field", "row"), on="cell"
            )
    return _assemble(ERROR, outcome, rules, around, system)


def _problem(
    system: CellSystem,
    around: Expanded,
    variables: pl.DataFrame,
    kind: str,
    outcome: _Outcomes,
    document: int,
) -> _Problem | None:
    """The program over ``variables`` (``cell``): every constraint reading one of them
    (None: nothing to solve; over MAX_CELLS cells, the document's outcome "too-large")."""
    if variables.height > MAX_CELLS:
        outcome[document] = ([], False, False, "too-large")
        return None
    touched = around.terms.join(variables, on="cell", how="semi").select("con").unique()
    if touched.is_empty():
        return None
    cons = _targets(
        around.constraints.join(touched, on="con", how="semi"), system.rules, kind
    ).sort("con")
    terms = around.terms.join(touched, on="con", how="semi").join(variables, on="cell", how="semi")
    readers = terms.group_by("cell").agg(pl.len().alias("readers"))
    cells = (
        around.cells.join(variables, on="cell", how="semi")
        .join(readers, on="cell", how="left")
        .sort("cell")
        .with_row_index("j")
    )
    indexed = (
        terms.join(cons.select("con").with_row_index("i"), on="con")
        .join(cells.select("cell", "j"), on="cell")
        .select("i", "j", "coef")
    )
    return _Problem(cells, cons, indexed)


def _solve(
    problem: _Problem, limit: int, *, error: bool
) -> tuple[list[tuple[float, list[tuple[int, float]]]], bool, bool]:
    """The program's optima, best first: (cost, [(variable index, change in quanta)]),
    whether more ties exist past ``limit``, and whether every solve finished."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    cells, cons = problem.cells, problem.constraints
    n, m = cells.height, cons.height
    value = cells.get_column("value").fill_null(0).to_numpy().astype(float)
    empty = cells.get_column("value").is_null().to_numpy()
    half = cells.get_column("half").to_numpy().astype(float)
    readers = cells.get_column("readers").fill_null(0).to_numpy()
    d = cons.get_column("d").to_numpy().astype(float)
    lo = cons.get_column("lo").to_numpy().astype(float)
    hi = cons.get_column("hi").to_numpy().astype(float)
    lo[lo <= -UNBOUNDED] = -np.inf
    hi[hi >= UNBOUNDED] = np.inf
    i = problem.terms.get_column("i").to_numpy()
    j = problem.terms.get_column("j").to_numpy()
    a = problem.terms.get_column("coef").to_numpy().astype(float)
    if error:
        unit = np.maximum(2 * half, 1.0)  # a change is a whole number of the printed precision
        reach = float(np.abs(d).sum() + cons.get_column("w").to_numpy().sum())
        big = np.ceil(reach / unit) + 1
        low = np.where(value >= 0, -np.floor(value / unit), -big)
        low = np.maximum(low, -big)
        costs = np.array([weight(int(r)) for r in readers])
    else:  # a shift within the figure's own rounding interval; an empty cell is exact
        unit = np.ones(n)
        big = np.where(empty, 0.0, half)
        low = -big
        costs = np.ones(n)
    tight = np.flatnonzero(
        (cons.get_column("status").to_numpy() == PASS)
        & (d == 0)
        & (cons.get_column("op").to_numpy() != OP_CODES["="])
    )
    k = tight.size if error else 0
    width = 2 * n + k
    matrix = csr_array((a * unit[j], (i, j)), shape=(m, width))
    rows = [LinearConstraint(matrix, lo - d, hi - d)]
    eye = np.arange(n)
    delta = csr_array((np.ones(n), (eye, eye)), shape=(n, width))
    switch = csr_array((big, (eye, n + eye)), shape=(n, width))
    rows.append(LinearConstraint(delta - switch, -np.inf, 0))
    rows.append(LinearConstraint(delta + switch, 0, np.inf))
    objective = np.concatenate([np.zeros(n), costs, np.zeros(k)])
    if k:
        # y_s = 1 where an inequality holding with equality is loosened
        from scipy.sparse import diags

        reach = float(np.abs(d).sum() + cons.get_column("w").to_numpy().sum()) + 1
        ops = cons.get_column("op").to_numpy()[tight]
        above = np.isin(ops, [c for s, c in OP_CODES.items() if OPERATORS[s].side == "above"])
        sign = np.where(above, -1.0, 1.0)  # >=: loosened when d' > 0; <=: when d' < 0
        loosened = diags(sign) @ matrix[tight] + csr_array(
            (np.full(k, reach), (np.arange(k), 2 * n + np.arange(k))), shape=(k, width)
        )
        rows.append(LinearConstraint(loosened, 0, np.inf))
        objective[2 * n :] = _EPSILON / (k + 1)
    # The changes are whole numbers of the printed precision; solved first as reals (the
    # identities' integer coefficients and residuals on the grid make the optima whole
    # numbers as a rule, and HiGHS then branches on the switches only: on 54 documents
    # with two coupled errors, 35 s → 3 s), and again as integers when one is not.
    integrality = np.concatenate([np.zeros(n), np.ones(n + k)])
    bounds = Bounds(np.concatenate([low, np.zeros(n + k)]), np.concatenate([big, np.ones(n + k)]))
    found: list[tuple[float, list[tuple[int, float]]]] = []
    finished = True
    best = math.inf
    while len(found) < limit:
        result = milp(
            objective,
            constraints=rows,
            integrality=integrality,
            bounds=bounds,
            options={"time_limit": TIME_LIMIT},
        )
        if result.x is None:
            finished = finished and result.status == 2  # infeasible: no (more) optimum
            return found, False, finished
        x = result.x
        support = np.flatnonzero(x[n : 2 * n] > 0.5)
        if (
            error
            and not integrality[0]
            and np.abs(x[support] - np.round(x[support])).max(initial=0) > 1e-6
        ):
            integrality[:n] = 1  # a change off the grid: solve with whole changes
            continue
        finished = finished and result.status == 0
        cost = float(costs[support].sum())
        if cost > best + 1e-6:
            return found, False, finished
        best = min(best, cost)
        found.append(
            (cost, [(int(s), float(round(x[s]) * unit[s] if error else x[s])) for s in support])
        )
        cut = np.zeros(width)
        cut[n + support] = 1
        rows.append(LinearConstraint(cut, -np.inf, support.size - 1))
    return found, True, finished


def _described(
    found: list[tuple[float, list[tuple[int, float]]]],
    problem: _Problem,
    named: pl.DataFrame,
    target: int,
) -> list[tuple[float, list[dict[str, object]]]]:
    """The optima's cells as rows: cell, published, change, readers, and the constraints
    of status ``target`` (the failures, the rounding differences) that read the cell."""
    cells = problem.cells
    targets = problem.constraints.filter(pl.col("status") == target).select("con")
    reading = (
        problem.terms.join(problem.constraints.select("con").with_row_index("i"), on="i")
        .join(targets, on="con", how="semi")
        .join(named, on="con")
        .group_by("j")
        .agg(pl.col("name").sort())
    )
    explains = dict(
        zip(reading.get_column("j").to_list(), reading.get_column("name").to_list(), strict=True)
    )
    described = []
    for cost, changes in found:
        rows = []
        for j, change in changes:
            cell = cells.row(j, named=True)
            rows.append({**cell, "change": change, "explains": explains.get(j, [])})
        described.append((cost, rows))
    return described


def _assemble(
    kind: str,
    outcome: _Outcomes,
    rules: pl.DataFrame,
    around: Expanded,
    system: CellSystem,
) -> Localization:
    """The programs' outcomes as :class:`Localization` frames."""
    rows = []
    for document, (found, _more, _proven, _status) in outcome.items():
        for candidate, (cost, cells) in enumerate(found):
            for cell in cells:
                value = cell["value"]
                rows.append(
                    {
                        "document": document,
                        "kind": kind,
                        "candidate": candidate,
                        "cost": cost,
                        "cell": cell["cell"],
                        "published": None if value is None else int(value) / SCALE,  # type: ignore[call-overload]
                        "suggested": (int(value or 0) + float(cell["change"])) / SCALE,  # type: ignore[call-overload, arg-type]
                        "weight": weight(int(cell["readers"] or 0)) if kind == ERROR else 1.0,  # type: ignore[call-overload]
                        "readers": cell["readers"],
                        "explains": cell["explains"],
                    }
                )
    frame = pl.DataFrame(
        rows,
        schema={
            "document": pl.UInt32,
            "kind": pl.Utf8,
            "candidate": pl.UInt16,
            "cost": pl.Float64,
            "cell": pl.UInt64,
            "published": pl.Float64,
            "suggested": pl.Float64,
            "weight": pl.Float64,
            "readers": pl.UInt32,
            "explains": pl.List(RULE_DTYPE),
        },
    )
    table = (
        frame.join(around.cells.select("cell", "field", "row"), on="cell")
        .join(system.fields, on="field")
        .with_columns(pl.col("published", "suggested") / pl.col("factor"))
        .select(
            *[
                pl.when(pl.col("table") != "说明").then(pl.col("row")).alias("row")
                if name == "row"
                else pl.col(name)
                for name in CELLS_SCHEMA
            ]
        )
        .sort("document", "candidate", "table", "row", "column")
    )
    about = (
        rules.join(around.constraints.select("con", "document"), on="con")
        .group_by("document")
        .agg(pl.col("name").sort().alias("rules"))
    )
    summary = pl.DataFrame(
        [
            (document, kind, status, len(found), more, proven)
            for document, (found, more, proven, status) in outcome.items()
        ],
        schema={
            "document": pl.UInt32,
            "kind": pl.Utf8,
            "status": pl.Utf8,
            "candidates": pl.UInt16,
            "more": pl.Boolean,
            "proven": pl.Boolean,
        },
        orient="row",
    ).join(about, on="document", how="left")
    return Localization(
        table.cast(CELLS_SCHEMA), summary.select(*SUMMARY_SCHEMA).cast(SUMMARY_SCHEMA)
    )


# --------------------------------------------------------------------------- rounding


def _rounding(
    system: CellSystem, frames: dict[str, pl.LazyFrame], wide: pl.LazyFrame, rounding: pl.DataFrame
) -> Localization:
    """Rounding root causes: per document with rounding differences, the fewest cells
    whose shift within rounding makes them exact, every pass staying exact. A document
    whose constraints read at most :data:`WHOLE_TERMS` cells is one program over all its
    cells; a larger one is grown from its rounding differences, component by component,
    and its components solved in programs of up to :data:`BATCH_CELLS` cells."""
    asked = rounding.select("document", "tmpl", "at")
    documents = asked.select("document").unique()
    every = documents.join(system.rules.select("tmpl"), how="cross")
    sized = estimate(system, frames, every).group_by("document").agg(pl.col("size").sum())
    small = sized.filter(pl.col("size") <= min(WHOLE_TERMS, MAX_TERMS)).select("document")
    parts = []
    if not small.is_empty():
        parts.append(_rounding_whole(system, frames, wide, every.join(small, on="document")))
    large = asked.join(small, on="document", how="anti")
    if not large.is_empty():
        parts.append(_rounding_components(system, frames, wide, large))
    return Localization.concat(parts)


def _rounding_whole(
    system: CellSystem, frames: dict[str, pl.LazyFrame], wide: pl.LazyFrame, pairs: pl.DataFrame
) -> Localization:
    """Rounding root causes of small documents: one program over each one's cells."""
    whole = expand(system, frames, wide, pairs)
    targets = whole.constraints.filter(pl.col("status") == ROUNDING)
    named = _rule_names(system, whole.constraints)
    outcome: _Outcomes = {}
    for document in sorted(set(targets.get_column("document").to_list())):
        cells = whole.cells.filter(
            (pl.col("document") == document) & pl.col("value").is_not_null()
        ).select("cell")
        problem = _problem(system, whole, cells, ROUNDING_KIND, outcome, document)
        if problem is None:
            continue
        found, _more, finished = _solve(problem, ROUNDING_LIMIT, error=False)
        status = "found" if found else "none"  # other explanations as small: not sought
        outcome[document] = (_described(found, problem, named, ROUNDING), None, finished, status)
    return _assemble(ROUNDING_KIND, outcome, _rule_names(system, targets), whole, system)


_LINKED: Final = (PASS, ROUNDING)  # explaining rounding, the constraints that must hold exactly


def _grown(
    system: CellSystem, frames: dict[str, pl.LazyFrame], wide: pl.LazyFrame, asked: pl.DataFrame
) -> tuple[Expanded, pl.DataFrame]:
    """The constraints linked to the rounding differences ``asked`` (``document, tmpl,
    at``) through printed cells and exact constraints (passes, rounding differences), grown
    step by step; each step's size estimated before it is built, and a document whose
    constraints would read more than :data:`MAX_TERMS` cells given up (the second frame).
    A per-row rule's cells on its row are known from its template: those constraints are
    built with the others reading their cells, in the first step."""
    keys = ["document", "tmpl", "at"]
    # a table whose cells only per-row rules read on their own row: a row's constraints are
    # every per-row rule's on it (built at once, nothing to grow)
    rows = system.rules.filter(pl.col("kind") == ROW).select("tmpl", "table")
    shared = system.reads.filter(~pl.col("own_row")).join(system.fields, on="field")
    closed = rows.join(shared.select("table").unique(), on="table", how="anti")
    on_rows = (
        asked.drop_nulls("at")
        .join(closed, on="tmpl")
        .select("document", "table", "at")
        .unique()
        .join(closed, on="table")
        .select("document", "tmpl", "at")
    )
    asked = pl.concat([asked.join(closed, on="tmpl", how="anti"), on_rows.cast(asked.schema)])
    pairs, over = _bounded(system, frames, asked)
    done = pairs.join(closed, on="tmpl", how="semi").drop_nulls("at")
    plain = pairs.drop_nulls("at").join(system.leaf_terms, on="tmpl", how="anti")
    plain = plain.join(done, on=keys, how="anti")
    first = pairs.join(plain, on=keys, how="anti", nulls_equal=True)
    built = expand(system, frames, wide, first)
    seen, known = first, built.cells.select("cell")
    own = plain.join(system.row_terms.select("tmpl", "field"), on="tmpl").select(
        "document", "field", pl.col("at").alias("row")
    )
    frontier = Expanded(
        built.constraints.join(done, on=keys, how="anti", nulls_equal=True),
        built.terms,
        built.cells,
    )
    while True:
        linked = frontier.constraints.filter(pl.col("status").is_in(_LINKED)).select("con")
        cells = (
            frontier.terms.join(linked, on="con")
            .select("cell")
            .unique()
            .join(frontier.cells.filter(pl.col("value").is_not_null()), on="cell")
            .select("document", "field", "row")
        )
        new = touching(system, pl.concat([cells, own.cast(cells.schema)]))
        own = own.clear()
        new = new.join(seen.filter(pl.col("at").is_null()), on=["document", "tmpl"], how="anti")
        new = new.join(seen, on=keys, how="anti", nulls_equal=True)
        new = new.join(over, on="document", how="anti")
        if new.is_empty():
            return built, over
        sizes = estimate(system, frames, new)
        so_far = estimate(system, frames, seen).group_by("document").agg(pl.col("size").sum())
        grown = (
            sizes.group_by("document")
            .agg(pl.col("size").sum().alias("more"))
            .join(so_far, on="document", how="left")
            .filter(pl.col("size").fill_null(0) + pl.col("more") > MAX_TERMS)
            .select("document")
        )
        over = pl.concat([over, grown])
        new = sizes.join(over, on="document", how="anti").drop("size")
        if new.is_empty():
            return built, over
        frontier = expand(system, frames, wide, new)
        fresh = frontier.cells.join(known, on="cell", how="anti").select("cell")
        built = Expanded.concat([built, frontier])
        seen = pl.concat([seen, new.select(seen.columns)])
        known = pl.concat([known, fresh])
        frontier = Expanded(
            frontier.constraints,
            frontier.terms.join(fresh, on="cell", how="semi"),
            frontier.cells.join(fresh, on="cell", how="semi"),
        )


def _rounding_components(
    system: CellSystem, frames: dict[str, pl.LazyFrame], wide: pl.LazyFrame, asked: pl.DataFrame
) -> Localization:
    """Rounding root causes of large documents, per component of printed cells linked by
    exact constraints (passes and rounding differences): a component of over
    :data:`MAX_CELLS` cells makes its document too-large; the others are solved together in
    programs of up to :data:`BATCH_CELLS` cells. A row's own component (per-row rules on
    one row, over that row's cells) is the same program as every other row's with the same
    rules, differences and cells: one of them is solved, the others take its cells."""
    built, over = _grown(system, frames, wide, asked)
    linked = built.constraints.filter(pl.col("status").is_in(_LINKED))
    printed = built.cells.filter(pl.col("value").is_not_null())
    edges = built.terms.join(linked.select("con"), on="con").join(printed.select("cell"), on="cell")
    label = _components(edges.select("con", "cell"))
    explained = linked.filter(pl.col("status") == ROUNDING).join(label, on="con")
    explained = explained.select("component").unique()
    cells = (
        edges.join(label, on="con")
        .select("cell", "component")
        .unique("cell")
        .join(explained, on="component")
        .join(printed.select("cell", "document", "field", "row", "half"), on="cell")
    )
    cons = label.join(explained, on="component").join(linked, on="con")
    sizes = cells.group_by("component").agg(
        pl.col("document").first(),
        pl.len().alias("n"),
        pl.col("row").min().alias("first"),
        pl.col("row").max().alias("last"),
        pl.col("row").null_count().alias("statements"),
        pl.format("{}:{}", "field", "half").sort().str.join(",").alias("cells"),
    )
    over = pl.concat(
        [over, sizes.filter(pl.col("n") > MAX_CELLS).select("document").unique()]
    ).unique()
    per_row = system.rules.filter(pl.col("kind") == ROW).get_column("tmpl").implode()
    own = cons.group_by("component").agg(
        (pl.col("tmpl").is_in(per_row).all() & (pl.col("at").n_unique() == 1)).alias("own"),
        pl.col("at").first(),
        pl.format("{}:{}:{}", "tmpl", "d", "status").sort().str.join(",").alias("cons"),
    )
    components = (
        sizes.join(over, on="document", how="anti")
        .join(own, on="component")
        .with_columns(
            (
                pl.col("own")
                & (pl.col("statements") == 0)
                & (pl.col("first") == pl.col("at"))
                & (pl.col("last") == pl.col("at"))
            ).alias("own"),
            pl.concat_str("cons", "cells", separator="|").alias("signature"),
        )
        .with_columns(
            pl.when("own")
            .then(pl.col("component").min().over("signature"))
            .otherwise(pl.col("component"))
            .alias("solved_as")
        )
    )
    solved = components.filter(pl.col("component") == pl.col("solved_as"))
    batches = (
        solved.sort("document", "component")
        .with_columns((pl.col("n").cum_sum() // BATCH_CELLS).alias("batch"))
        .select("component", "batch")
    )
    changes, failed = _solved_batches(system, built, linked, cells.join(batches, on="component"))
    # every component takes its program's changes: a row's own, by field on its own row
    taken = (
        components.join(changes, left_on="solved_as", right_on="component")
        .with_columns(
            pl.when("own")
            .then(cell_key(pl.col("document"), pl.col("field"), pl.col("at")))
            .otherwise(pl.col("cell"))
            .alias("cell")
        )
        .select("document", "cell", "change", "finished")
    )
    none = (
        components.join(failed, left_on="solved_as", right_on="component")
        .select("document")
        .unique()
    )
    targets = built.constraints.filter(pl.col("status") == ROUNDING)
    found = _changed(system, built, targets, taken.join(none, on="document", how="anti"), none)
    return Localization.concat([found, _too_large(ROUNDING_KIND, over, system, asked)])


def _solved_batches(
    system: CellSystem, built: Expanded, linked: pl.DataFrame, cells: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Solve the batches of ``cells`` (``cell, document, component, batch, field``):
    ``component, cell, field, change, finished`` for the cells each optimum shifts, and the
    components of the batches no shift within rounding makes exact (``component``)."""
    changed: list[tuple[int, float, bool]] = []
    failed: list[int] = []
    for key, problem in _batched(system, built, linked, cells):
        found, _more, finished = _solve(problem, ROUNDING_LIMIT, error=False)
        if not found:
            failed.append(key)
            continue
        at = problem.cells.get_column("cell")
        changed.extend((at[j], change, finished) for j, change in found[0][1])
    frame = pl.DataFrame(
        changed,
        schema={"cell": pl.UInt64, "change": pl.Float64, "finished": pl.Boolean},
        orient="row",
    )
    stuck = cells.filter(pl.col("batch").is_in(failed))
    return (
        frame.join(cells.select("cell", "component", "field"), on="cell"),
        stuck.select("component").unique(),
    )


def _changed(
    system: CellSystem,
    built: Expanded,
    targets: pl.DataFrame,
    changes: pl.DataFrame,
    none: pl.DataFrame,
) -> Localization:
    """The rounding causes as :class:`Localization` frames: ``changes`` (``document, cell,
    change, finished``: one optimum per document), the documents ``none`` explains."""
    names = _rule_names(system, targets)
    terms = built.terms.join(changes.select("cell"), on="cell", how="semi")
    explains = (
        terms.join(names, on="con").group_by("cell").agg(pl.col("name").sort().alias("explains"))
    )
    readers = terms.group_by("cell").agg(pl.len().cast(pl.UInt32).alias("readers"))
    cells = (
        changes.join(built.cells.select("cell", "field", "row", "value"), on="cell")
        .join(readers, on="cell", how="left")
        .join(explains, on="cell", how="left")
        .join(system.fields, on="field")
        .with_columns(pl.len().over("document").cast(pl.Float64).alias("cost"))
        .select(
            "document",
            pl.lit(ROUNDING_KIND).alias("kind"),
            pl.lit(0).alias("candidate"),
            "cost",
            "table",
            pl.when(pl.col("table") != STATEMENTS).then(pl.col("row")).alias("row"),
            "column",
            (pl.col("value") / SCALE / pl.col("factor")).alias("published"),
            ((pl.col("value").fill_null(0) + pl.col("change")) / SCALE / pl.col("factor")).alias(
                "suggested"
            ),
            pl.lit(1.0).alias("weight"),
            "readers",
            pl.col("explains").fill_null([]),
        )
        .sort("document", "table", "row", "column")
    )
    about = (
        names.join(targets.select("con", "document"), on="con")
        .group_by("document")
        .agg(pl.col("name").sort().alias("rules"))
    )
    found = changes.group_by("document").agg(pl.col("finished").all().alias("proven"))
    summary = pl.concat(
        [
            found.with_columns(pl.lit("found").alias("status"), pl.lit(1).alias("candidates")),
            none.with_columns(
                pl.lit(True).alias("proven"),
                pl.lit("none").alias("status"),
                pl.lit(0).alias("candidates"),
            ),
        ],
        how="diagonal_relaxed",
    ).join(about, on="document", how="left")
    summary = summary.select(
        "document",
        pl.lit(ROUNDING_KIND).alias("kind"),
        "status",
        "candidates",
        pl.lit(None, pl.Boolean).alias("more"),
        "proven",
        "rules",
    )
    return Localization(cells.cast(CELLS_SCHEMA), summary.cast(SUMMARY_SCHEMA))


def _batched(
    system: CellSystem, built: Expanded, linked: pl.DataFrame, cells: pl.DataFrame
) -> list[tuple[int, _Problem]]:
    """The programs of the batches of ``cells`` (``cell, batch``: printed cells of
    components, each batch's one program's variables), built together and split by batch:
    the linked constraints (``linked``) reading them, their cells' terms."""
    key = "batch"
    of = cells.select("cell", key)
    cons = linked.join(built.terms.join(of, on="cell").select("con", key).unique("con"), on="con")
    cons = _targets(cons, system.rules, ROUNDING_KIND).sort("con")
    cons = cons.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over(key).alias("i"))
    readers = built.terms.group_by("cell").agg(pl.len().cast(pl.UInt32).alias("readers"))
    variables = (
        built.cells.join(of, on="cell")
        .join(readers, on="cell", how="left")
        .sort("cell")
        .with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).over(key).alias("j"))
    )
    terms = (
        built.terms.join(cons.select("con", "i", key), on="con")
        .join(variables.select("cell", "j", key), on=["cell", key])
        .select("i", "j", "coef", key)
    )
    by_cons = cons.partition_by(key, as_dict=True)
    by_terms = terms.partition_by(key, as_dict=True)
    problems = []
    for at, part in variables.partition_by(key, as_dict=True).items():
        if at in by_cons:
            problem = _Problem(part.drop(key), by_cons[at].drop(key, "i"), by_terms[at].drop(key))
            problems.append((int(at[0]), problem))
    return problems
