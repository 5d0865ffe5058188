"""The 江苏 2019 部门预算 ruleset (``rulesets/部门预算-江苏2019``) on the real corpus documents.

Both Jiangsu documents of ``../shared/corpus`` are imported on the fly (``checker.api.check``
with the ruleset and ``schemas/jiangsu-2019-budget.schema.json``), in ONE batch together
with one *mutant* per numeric cell of each: the document with that one figure + 1.00 万元
(built from the imported frames as ``tests/ruleset_run.py`` builds the seed's mutants).

* **golden**: every finding (fail, error, rounding) on each document was reviewed by hand
  against the rendered page and is written up in the ruleset's FINDINGS.md; the list is
  pinned in its ``findings.golden.json`` (document id -> findings). To accept a reviewed
  change: ``RULECHECK_UPDATE_GOLDEN=1 pytest tests/test_rules_jiangsu.py``, then update
  FINDINGS.md.
* **mutation**: a mutant is caught when some result — a (rule, row, column) — fails or
  errors on it but not on its original document. At least 99% of the cells some rule
  reads must be caught per document; the survivors are pinned in ``SURVIVORS`` and
  explained in the ruleset's README.
* **coverage**: at least 95% of each document's numeric cells are read by some rule
  (``checker.coverage``); the cells no rule reads are pinned in ``UNCOVERED``.

The corpus tests skip with a reason when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from ruleset_golden import BAD, assert_rule_metadata, caught_documents, finding_rows
from ruleset_run import ROOT, Mutant, _mutant_frames, _mutants
from typer.testing import CliRunner

from checker.api import check, load_rules
from checker.cli import app
from checker.coverage import compute_coverage
from checker.evaluate import EVALUATED, evaluate

CORPUS = ROOT.parent / "shared" / "corpus"
RULESET = ROOT / "rulesets" / "部门预算-江苏2019"
SCHEMA = ROOT / "schemas" / "jiangsu-2019-budget.schema.json"
GOLDEN = RULESET / "findings.golden.json"

# document id -> the corpus file(s) it is published as ('+' joins one document's files)
DOCUMENTS = {
    "14-jiangsu-procuratorate-2019-dept-budget": ["14-jiangsu-procuratorate-2019-dept-budget.pdf"],
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": [
        "16-jiangsu-npc-standing-cttee-office-2019-dept-budget-a.pdf",
        "16-jiangsu-npc-standing-cttee-office-2019-dept-budget-b.pdf",
    ],
}

# Mutants no rule catches, per document: (table, row, column), each explained in the
# ruleset's README ("变异测试"). None today.
SURVIVORS: dict[str, set[tuple[str, int | None, str]]] = {doc: set() for doc in DOCUMENTS}

# Numeric cells no rule reads, per document: (table, row, column). None today.
UNCOVERED: dict[str, set[tuple[str, int | None, str]]] = {doc: set() for doc in DOCUMENTS}

# non-empty amount cells per imported document (the mutants: one per cell)
CELLS = {
    "14-jiangsu-procuratorate-2019-dept-budget": 187,
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": 163,
}

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus (the real published PDFs) is not present"
)


@dataclass(frozen=True)
class CorpusRun:
    """The corpus documents and their mutants, checked in one batch."""

    rules: Any  # checker.api.Rules
    documents: pl.DataFrame
    tables: dict[str, pl.DataFrame]
    statements: pl.DataFrame
    results: pl.DataFrame
    originals: dict[str, int]  # document id -> its index in the batch
    mutants: dict[str, tuple[Mutant, ...]]  # document id -> its mutants

    def frames_of(self, index: int) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], pl.DataFrame]:
        only = pl.col("document") == index
        return (
            self.documents.filter(only),
            {role: frame.filter(only) for role, frame in self.tables.items()},
            self.statements.filter(only),
        )


def _path(files: list[str]) -> str:
    return "+".join(str(CORPUS / f) for f in files)


@cache
def corpus_run() -> CorpusRun:
    rules = load_rules([RULESET], schema=SCHEMA)
    report = check([_path(files) for files in DOCUMENTS.values()], rules, schema=SCHEMA)
    batch = report.batch
    assert batch.invalid_count == 0, batch.diagnostics
    ids = batch.documents["id"].to_list()
    originals = {doc: ids.index(doc) for doc in DOCUMENTS}
    documents, tables, statements = (
        [batch.documents],
        {r: [f] for r, f in batch.tables.items()},
        [batch.statements],
    )
    mutants: dict[str, tuple[Mutant, ...]] = {}
    first = len(ids)
    for doc, index in originals.items():
        only = pl.col("document") == index
        mine = {role: frame.filter(only) for role, frame in batch.tables.items()}
        said = batch.statements.filter(only)
        found = _mutants(rules.template, mine, said, first)
        m_docs, m_tables, m_statements = _mutant_frames(
            batch.documents.filter(only), mine, said, found
        )
        documents.append(m_docs)
        for role, frame in m_tables.items():
            tables[role].append(frame)
        statements.append(m_statements)
        mutants[doc] = tuple(found)
        first += len(found)
    all_documents = pl.concat(documents, how="vertical_relaxed")
    all_tables = {r: pl.concat(f, how="vertical_relaxed") for r, f in tables.items()}
    all_statements = pl.concat(statements, how="vertical_relaxed")
    results = evaluate(
        rules.ruleset, rules.template, all_documents, all_tables, all_statements, cells_for=()
    ).frame.select("document", "rule", "row", "column", "status", "lhs", "rhs")
    return CorpusRun(rules, all_documents, all_tables, all_statements, results, originals, mutants)


# --------------------------------------------------------------------------- golden


@needs_corpus
def test_findings_match_the_reviewed_list() -> None:
    run = corpus_run()
    current = {
        doc: finding_rows(run.results.filter(pl.col("document") == index))
        for doc, index in run.originals.items()
    }
    if os.environ.get("RULECHECK_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(current, ensure_ascii=False, indent=1) + "\n", "utf-8")
    expected: dict[str, list[dict[str, Any]]] = json.loads(GOLDEN.read_text("utf-8"))
    assert sorted(expected) == sorted(DOCUMENTS)
    for doc, want in expected.items():
        got = current[doc]
        assert got == want, {
            "document": doc,
            "new (review and explain in FINDINGS.md)": [r for r in got if r not in want],
            "gone": [r for r in want if r not in got],
        }


@needs_corpus
def test_every_finding_is_explained_in_findings_md() -> None:
    text = (RULESET / "FINDINGS.md").read_text("utf-8")
    expected = json.loads(GOLDEN.read_text("utf-8"))
    rules = sorted({r["rule"] for rows in expected.values() for r in rows})
    missing = [rule for rule in rules if f"`{rule}`" not in text]
    assert not missing, missing
    for doc in DOCUMENTS:
        assert doc in text, f"FINDINGS.md does not review {doc}"


@needs_corpus
def test_no_failure_among_identities_that_hold() -> None:
    """Every error-severity identity passes (or is rounding) on both documents, except the
    findings FINDINGS.md reviews as real inconsistencies (none today)."""
    run = corpus_run()
    identities = [r.meta.id for r in run.rules.ruleset.rules if r.meta.severity == "error"]
    for doc, index in run.originals.items():
        bad = run.results.filter(
            (pl.col("document") == index)
            & pl.col("status").is_in(BAD)
            & pl.col("rule").is_in(identities)
        )
        assert bad.height == 0, (doc, bad)


# --------------------------------------------------------------------------- mutation


def _survivors(doc: str) -> list[Mutant]:
    run = corpus_run()
    mine = run.mutants[doc]
    ids = [run.originals[doc]] + [m.document for m in mine]
    caught = caught_documents(run.results.filter(pl.col("document").is_in(ids)), run.originals[doc])
    return [m for m in mine if m.document not in caught]


@needs_corpus
@pytest.mark.parametrize("doc", sorted(DOCUMENTS))
def test_mutation_score(doc: str) -> None:
    run = corpus_run()
    mutants = run.mutants[doc]
    assert len(mutants) == CELLS[doc]  # every non-empty amount cell was mutated
    survivors = _survivors(doc)
    left = {(m.table, m.row, m.column) for m in survivors}
    assert left <= SURVIVORS[doc], sorted(left - SURVIVORS[doc], key=str)
    constrained = [m for m in mutants if (m.table, m.row, m.column) not in UNCOVERED[doc]]
    caught = [m for m in constrained if (m.table, m.row, m.column) not in left]
    assert len(caught) / len(constrained) >= 0.99, sorted(left, key=str)


# --------------------------------------------------------------------------- coverage


@needs_corpus
@pytest.mark.parametrize("doc", sorted(DOCUMENTS))
def test_coverage(doc: str) -> None:
    run = corpus_run()
    documents, tables, statements = run.frames_of(run.originals[doc])
    rules = run.rules
    # coverage reads the cells of every evaluated result, which the batch run leaves out
    results = evaluate(
        rules.ruleset, rules.template, documents, tables, statements, cells_for=EVALUATED
    ).frame
    coverage = compute_coverage(
        rules.ruleset, rules.template, results, documents, tables, statements
    )
    assert coverage.cells == CELLS[doc]
    assert coverage.percent >= 95.0
    uncovered = {
        (t, r, c) for t, r, c in coverage.uncovered.select("table", "row", "column").iter_rows()
    }
    assert uncovered == UNCOVERED[doc], sorted(uncovered, key=str)


# --------------------------------------------------------------------------- rule tests


def test_rule_cases_hold_and_cover_every_rule(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``rulecheck test --require-coverage``: every case of tests/*.cases.json holds and every
    rule has a passing and a failing case (the cases need no corpus: a synthetic base).

    Run without the disk cache: ``checker.ruletest.rule_outcomes`` compiles each case file's
    rule subset under the whole ruleset's digest, so a case file naming as many rules as
    another one (结构 and 财政拨款收支预算总表: 14) is given the other's cached engine and its
    rules have no outcome (reported to the lead; README "Pending")."""
    not_a_folder = tmp_path / "no-cache"
    not_a_folder.write_text("", "utf-8")
    monkeypatch.setenv("RULECHECK_CACHE_DIR", str(not_a_folder))
    args = ["test", str(RULESET), "--schema", str(SCHEMA), "--require-coverage"]
    done = CliRunner().invoke(app, [*args, "--format", "json", "--lang", "en"])
    report = json.loads(done.stdout)
    assert done.exit_code == 0, [c["problems"] for c in report["cases"] if not c["holds"]][:5]
    assert report["summary"]["do_not_hold"] == 0 and report["summary"]["not_run"] == 0
    rules = load_rules([RULESET], schema=SCHEMA)
    assert len(report["files"]) == len({r.span.file for r in rules.ruleset.rules})


def test_every_rule_file_is_included_and_described_in_the_readme() -> None:
    entry = (RULESET / "ruleset.rules").read_text("utf-8")
    readme = (RULESET / "README.md").read_text("utf-8")
    for path in sorted(RULESET.glob("*.rules")):
        if path.name == "ruleset.rules":
            continue
        assert f'include "{path.name}"' in entry, path.name
        assert f"`{path.name}`" in readme, path.name


def test_every_rule_has_title_severity_description_and_source() -> None:
    rules = load_rules([RULESET], schema=SCHEMA)
    assert not rules.diagnostics, rules.diagnostics  # lint-clean: no error, no warning
    assert_rule_metadata(rules.ruleset.rules)
