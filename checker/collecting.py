"""Collecting several Polars plans at once, the way that is fastest for their size.

A small batch's plans (a few documents' rows) cost Polars' overhead per
expression, paid on one core, and Polars' in-memory ``collect_all`` ran them
one after another; a ``collect`` releases the GIL, so each on its own thread of
a two-thread pool keeps both cores busy (one document's rule plans: 0.17 s →
0.08 s). A large batch's plans go through ``collect_all``: each already uses
every core, and two at once would hold two plans' intermediates in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Final

import polars as pl

# Polars' in-memory engine: the default ("auto") picks the streaming engine, whose
# per-plan set-up costs more than it saves on batch-sized frames (a one-document run
# took 0.9 s instead of 0.75 s, the wide frame of a 2,000-document batch 0.68 s
# instead of 0.37 s; docs/engine.md).
ENGINE: Final = "in-memory"
SMALL_BATCH: Final = 100  # documents: up to this, a batch's plans run on threads

_pool: ThreadPoolExecutor | None = None


def collect_plans(
    plans: Iterable[pl.LazyFrame],
    *,
    small: bool,
    optimizations: pl.QueryOptFlags | None = None,
) -> list[pl.DataFrame]:
    """Collect ``plans`` (on threads when ``small``), in order.

    ``plans`` may be a generator: on threads, each plan starts running as soon as it
    is yielded, while the next is built.
    """
    global _pool
    flags = optimizations if optimizations is not None else pl.QueryOptFlags()
    if not small:
        return pl.collect_all(plans, engine=ENGINE, optimizations=flags)
    if _pool is None:
        _pool = ThreadPoolExecutor(max(pl.thread_pool_size(), 2), thread_name_prefix="rulecheck")
    # map() submits each plan as the iterable yields it
    return list(_pool.map(lambda p: p.collect(engine=ENGINE, optimizations=flags), plans))
