"""One evaluation of the shipped 部门预算 ruleset, shared by the ruleset's tests.

The engine's cost is mostly per rule, not per document, so every test that
needs results of the default ruleset reads them from ONE batch:

* document 0: the seed (``examples/000_afa05cab7739910b.json``), loaded by
  the real loader;
* documents 1..100: synthetic documents from ``bench.generate`` (seed 0),
  written as NDJSON and loaded by the real loader;
* then one *mutant* per numeric cell of the seed: the seed with that one
  figure (a table amount or a prose statement) increased by exactly 1.00.
  Mutant frames are built directly from the seed's frames (the loader stores
  amounts as integers scaled by ``SCALE``, so ``+ SCALE`` is an exact +1.00),
  which is what loading 500 edited copies would produce, without parsing and
  validating them 500 times.

``default_run()`` is cached: the first test that asks pays for the batch.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import orjson
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_document  # noqa: E402
from checker import ast  # noqa: E402
from checker.documents import SCALE, load_documents  # noqa: E402
from checker.evaluate import evaluate  # noqa: E402
from checker.resolve import load_ruleset  # noqa: E402
from checker.template import Template, load_template  # noqa: E402

RULESET = ROOT / "rulesets" / "部门预算"
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
SEED_ID = "000_afa05cab7739910b"
SYNTHETIC = 100
STATEMENTS = "说明"


@dataclass(frozen=True)
class Mutant:
    """One mutant document: the seed with one figure + 1.00."""

    document: int
    table: str  # a table role, or 说明 for a prose statement
    row: int | None  # the row index in the table (None for a statement)
    column: str  # the amount column, or the statement name


@dataclass(frozen=True)
class Run:
    """The batch and the results of the default ruleset over it."""

    ruleset: ast.Ruleset
    template: Template
    documents: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    statements: pl.DataFrame
    results: pl.DataFrame
    seed: int  # document index of the seed
    synthetic: range  # document indexes of the generated documents
    mutants: tuple[Mutant, ...]

    def seed_frames(self) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], pl.DataFrame]:
        """(documents, tables, statements) of the seed alone."""
        only = pl.col("document") == self.seed
        return (
            self.documents.filter(only),
            {role: frame.filter(only) for role, frame in self.tables.items()},
            self.statements.filter(only),
        )


def _reindex(frame: pl.DataFrame, offset: int) -> pl.DataFrame:
    return frame.with_columns((pl.col("document") + offset).cast(pl.UInt32))


def _mutants(
    template: Template, tables: dict[str, pl.DataFrame], statements: pl.DataFrame, first: int
) -> list[Mutant]:
    found: list[Mutant] = []
    for table in template.tables:
        frame = tables[table.role]
        for column in table.amount_columns:
            if column not in frame.columns:
                continue
            for row in frame.filter(pl.col(column).is_not_null())["row"].to_list():
                found.append(Mutant(first + len(found), table.role, int(row), column))
    for name in statements.filter(pl.col("value").is_not_null())["name"].to_list():
        found.append(Mutant(first + len(found), STATEMENTS, None, str(name)))
    return found


def _mutant_frames(
    seed_docs: pl.DataFrame,
    seed_tables: dict[str, pl.DataFrame],
    seed_statements: pl.DataFrame,
    mutants: list[Mutant],
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], pl.DataFrame]:
    """Copies of the seed's frames, one per mutant, each with its one figure + SCALE."""
    ids = pl.DataFrame(
        {
            "document": [m.document for m in mutants],
            "__id": [f"mutant:{m.table}:{m.row}:{m.column}" for m in mutants],
        },
        schema={"document": pl.UInt32, "__id": pl.String},
    )
    documents = (
        seed_docs.drop("document")
        .join(ids, how="cross")
        .with_columns(pl.col("__id").alias("id"))
        .drop("__id")
        .select(seed_docs.columns)
    )
    edits = pl.DataFrame(
        {
            "document": [m.document for m in mutants],
            "table": [m.table for m in mutants],
            "row": [m.row for m in mutants],
            "column": [m.column for m in mutants],
        },
        schema={"document": pl.UInt32, "table": pl.String, "row": pl.UInt32, "column": pl.String},
    )
    copies = ids.select("document")
    tables: dict[str, pl.DataFrame] = {}
    for role, frame in seed_tables.items():
        copied = frame.drop("document").join(copies, how="cross").select(frame.columns)
        mine = edits.filter(pl.col("table") == role)
        for column in mine["column"].unique().to_list():
            hit = mine.filter(pl.col("column") == column).select(
                "document", "row", pl.lit(SCALE, pl.Int64).alias("__delta")
            )
            copied = (
                copied.join(hit, on=["document", "row"], how="left")
                .with_columns((pl.col(column) + pl.col("__delta").fill_null(0)).alias(column))
                .drop("__delta")
            )
        tables[role] = copied
    statements = seed_statements.drop("document").join(copies, how="cross")
    statements = statements.select(seed_statements.columns)
    hit = edits.filter(pl.col("table") == STATEMENTS).select(
        "document", pl.col("column").alias("name"), pl.lit(SCALE, pl.Int64).alias("__delta")
    )
    statements = (
        statements.join(hit, on=["document", "name"], how="left")
        .with_columns((pl.col("value") + pl.col("__delta").fill_null(0)).alias("value"))
        .drop("__delta")
    )
    return documents, tables, statements


@cache
def default_run() -> Run:
    """Seed + 100 synthetic documents + one mutant per numeric cell of the seed, evaluated once."""
    template = load_template()
    ruleset, diagnostics = load_ruleset([RULESET], template)
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    seed_batch = load_documents([str(SEED)], jobs=1)
    assert seed_batch.invalid_count == 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.ndjson"
        path.write_bytes(
            b"".join(orjson.dumps(generate_document(0, i)) + b"\n" for i in range(SYNTHETIC))
        )
        synthetic = load_documents([str(path)], jobs=1)
    assert synthetic.invalid_count == 0
    first_mutant = 1 + SYNTHETIC
    mutants = _mutants(template, seed_batch.tables, seed_batch.statements, first_mutant)
    m_docs, m_tables, m_statements = _mutant_frames(
        seed_batch.documents, seed_batch.tables, seed_batch.statements, mutants
    )
    documents = pl.concat(
        [seed_batch.documents, _reindex(synthetic.documents, 1), m_docs], how="vertical_relaxed"
    )
    tables = {
        role: pl.concat(
            [seed_batch.tables[role], _reindex(synthetic.tables[role], 1), m_tables[role]],
            how="vertical_relaxed",
        )
        for role in seed_batch.tables
    }
    statements = pl.concat(
        [seed_batch.statements, _reindex(synthetic.statements, 1), m_statements],
        how="vertical_relaxed",
    )
    # statuses only: no test of this run reads the operand cells
    results = evaluate(ruleset, template, documents, tables, statements, cells_for=()).frame
    return Run(
        ruleset,
        template,
        documents,
        tables,
        statements,
        results.select("document", "rule", "row", "column", "status", "lhs", "rhs", "cells"),
        0,
        range(1, 1 + SYNTHETIC),
        tuple(mutants),
    )


def seed_document() -> dict[str, object]:
    """The seed document as JSON (never modified)."""
    loaded: dict[str, object] = json.loads(SEED.read_text("utf-8"))
    return loaded
