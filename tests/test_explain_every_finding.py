"""``rulecheck explain`` on every finding of the seed and of the corpus: the same row, the
same verdict as ``check``.

For each document — the seed (``examples/``, always), the seed's text dump and the corpus
PDFs (``../shared/corpus``; skipped, saying why, where absent) — the document is imported
once to JSON and checked once with the ruleset its template names (a run picks both by
itself). Then:

* every result of the JSON report that is not a pass, explained in-process with the
  report's rule id and (for a per-row rule) its ``row``, has one trace for that same row
  and column and reaches the same status and reason;
* every rule of that ruleset explains on the document without an exception, its text and
  JSON render, and each of its traces has the status ``check`` gives the same (rule, row,
  column), passes and skips included (on a document with cells the import left unresolved,
  check with every result's cells, so that a pass on such a cell is an error in both);
* the seed's findings through the ``explain`` command itself (Typer's runner, in-process)
  with the report's ROW, and a handful through the real command line: exit 0, no
  traceback, never exit 5.

Cross-document rules (``上年(x)`` …) are skipped on a document checked alone, and explain
(one document) says so.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from cli_run import rulecheck
from typer.testing import CliRunner

from checker import ast
from checker.api import Rules, check, for_template, load_rules
from checker.cli import app
from checker.documents.importer import import_document
from checker.evaluate import EVALUATED
from checker.explain import explain_rule, find_rules, render_json, render_text

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
SEED_DUMP = ROOT.parent / "shared" / "seed" / "000_afa05cab7739910b.txt"
CORPUS = Path(os.environ.get("RULECHECK_CORPUS", str(ROOT.parent / "shared" / "corpus")))
# a document's name → its published files (several are one document, joined with '+')
CORPUS_FILES: dict[str, tuple[str, ...]] = {
    "01": ("01-putuo-govoffice-2025-dept-budget.pdf",),
    "03": ("03-putuo-commerce-2025-dept-budget.pdf",),
    "05": ("05-putuo-wanli-street-2024-dept-budget.pdf",),
    "07": ("07-putuo-wanli-street-2023-dept-budget.pdf",),
    "10": ("10-putuo-welfare-home-2024-unit-budget.pdf",),
    "11": ("11-putuo-finance-2024-dept-final.pdf",),
    "14": ("14-jiangsu-procuratorate-2019-dept-budget.pdf",),
    "16": (
        "16-jiangsu-npc-standing-cttee-office-2019-dept-budget-a.pdf",
        "16-jiangsu-npc-standing-cttee-office-2019-dept-budget-b.pdf",
    ),
}
DOCUMENTS = ("seed", "seed-dump", *CORPUS_FILES)
# the ruleset each document's template names (a run picks it by itself; pinned here)
RULESETS = {
    "seed": "部门预算",
    "seed-dump": "部门预算",
    **dict.fromkeys(("01", "03", "05", "07", "10"), "部门预算-上海"),
    "11": "部门决算-上海",
    "14": "部门预算-江苏2019",
    "16": "部门预算-江苏2019",
}
Key = tuple[str, int | None, str | None]  # rule, row, column


@dataclass(frozen=True)
class Checked:
    """One document as JSON, its ruleset, and what ``check`` says of it."""

    path: Path
    document: dict[str, Any]
    rules: Rules
    findings: tuple[dict[str, Any], ...]  # the JSON report's results that are not passes
    every: dict[Key, tuple[str, str | None]]  # every result: (status, reason)


_CHECKED: dict[str, Checked] = {}


def _source(name: str) -> str:
    """The file(s) ``name`` is read from, or skip saying why it is absent."""
    if name == "seed":
        return str(SEED)
    if name == "seed-dump":
        if not SEED_DUMP.is_file():
            pytest.skip(f"the seed's text dump {SEED_DUMP} is not present")
        return str(SEED_DUMP)
    files = [CORPUS / f for f in CORPUS_FILES[name]]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        pytest.skip(f"corpus files {missing} not found in {CORPUS} (kept outside the project)")
    return "+".join(map(str, files))


def checked(name: str, tmp_path_factory: pytest.TempPathFactory) -> Checked:
    """``name`` imported once (a PDF or dump, written as JSON) and checked (once per test
    process)."""
    if name in _CHECKED:
        return _CHECKED[name]
    source = _source(name)
    if name == "seed":
        path = SEED
    else:
        path = tmp_path_factory.mktemp("explained") / f"{name}.json"
        path.write_bytes(orjson.dumps(import_document(source).document))
    document = orjson.loads(path.read_bytes())
    schema, wanted = for_template([str(path)])
    assert wanted is not None and Path(wanted[0]).name == RULESETS[name]
    rules = load_rules(wanted, schema=schema)
    report = check([str(path)], rules, schema=schema)
    findings = tuple(r for r in report.to_dict()["results"] if r["status"] != "pass")
    full = report.frame
    if b'"unresolved":true' in orjson.dumps(document):
        # check turns a verdict on a cell the import left unresolved into an error only for
        # the results that carry their cells (by default not the passes); explain, as a run
        # with every result's cells, does it for every verdict
        full = check([str(path)], rules, schema=schema, cells_for=EVALUATED).frame
    every = {
        (r["rule"], r["row"], r["column"]): (r["status"], r["reason"])
        for r in full.iter_rows(named=True)
    }
    _CHECKED[name] = Checked(path, document, rules, findings, every)
    return _CHECKED[name]


def _per_row(rule: ast.Rule | ast.Rollup) -> bool:
    return isinstance(rule, ast.Rollup) or (rule.scope_table is not None and rule.per_row)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_explain_on_every_finding_and_every_rule(
    name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each finding of the JSON report, explained with its rule id and row: one trace of
    that row (the row its key names) and column, with the report's status and reason. Then
    every rule of the ruleset, explained and rendered without an exception: a trace for
    each result ``check`` gives, with the same status."""
    done = checked(name, tmp_path_factory)
    ruleset, template = done.rules.ruleset, done.rules.template
    for finding in done.findings:
        (rule,) = find_rules(ruleset, finding["rule"])
        row = finding["row"] if _per_row(rule) else None
        explained = explain_rule(rule, ruleset, template, done.document, row=row)
        traced = [t for t in explained.rows if (t.row, t.column) == (row, finding["column"])]
        assert len(traced) == 1, (name, finding["rule"], row, finding["column"])
        (trace,) = traced
        seen = (trace.verdict.status, trace.verdict.reason)
        assert seen == (finding["status"], finding["reason"]), (name, finding["rule"], row)
        key = finding["fingerprint"].get("key")  # the row's key (``… #2`` for a repeat)
        if key is not None:
            assert trace.key is not None and key.split(" #")[0] == trace.key, (key, trace.key)

    every: dict[Key, tuple[str, str | None]] = {}
    for rule in ruleset.rules:
        explained = explain_rule(rule, ruleset, template, done.document, path=str(done.path))
        assert render_text([explained]) and render_json([explained], "en")
        for t in explained.rows:
            every[(rule.meta.id, t.row, t.column)] = (t.verdict.status, t.verdict.reason)
    assert every.keys() == done.every.keys()
    differ = {k: (done.every[k], v) for k, v in every.items() if v[0] != done.every[k][0]}
    assert not differ, differ
    assert done.findings or name == "16"  # 16 is clean


# --------------------------------------------------------------------------- the command


def _command(*args: str) -> Any:
    done = CliRunner().invoke(app, ["explain", *args])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    return done


def test_the_seeds_findings_through_the_explain_command(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``rulecheck explain RULE --document SEED [--row ROW]`` with the JSON report's RULE and
    ROW, for each of the seed's findings: exit 0, that row, that verdict."""
    findings = checked("seed", tmp_path_factory).findings
    assert len(findings) >= 35
    for finding in findings:
        row = [] if finding["row"] is None else ["--row", str(finding["row"])]
        done = _command(finding["rule"], "--document", str(SEED), "--format", "json", *row)
        assert done.exit_code == 0, (finding["rule"], done.output)
        (explained,) = json.loads(done.stdout)["explanations"]
        traced = [t for t in explained["rows"] if t["column"] == finding["column"]]
        assert [(t["row"], t["status"]) for t in traced] == [(finding["row"], finding["status"])]
        assert traced[0]["reason"] == finding["reason"]


def test_wording_rules_explain_through_the_command_line() -> None:
    """The rules that read ``wording(说明.…)`` exited 5 (internal error): the real command
    line now explains them, showing the word and where it was printed."""
    done = rulecheck("explain", "SM-73", "--document", str(SEED))
    assert done.returncode == 0, done.stderr
    assert '"增加"' in done.stdout  # the word as printed, and where
    wording = "/statements/财政拨款.政府性基金增减额/wording    000_afa05cab7739910b.txt:"
    assert wording in done.stdout
    for rule in ("SM-74", "SM-78"):
        done = rulecheck("explain", rule, "--document", str(SEED), "--format", "json")
        assert done.returncode == 0, done.stderr
        (explained,) = json.loads(done.stdout)["explanations"]
        assert [t["status"] for t in explained["rows"]] == ["fail"]


def test_a_per_row_finding_through_the_command_line(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A per-row finding with the report's ROW, and a column-template id as reported."""
    findings = checked("seed", tmp_path_factory).findings
    per_row = next(r for r in findings if r["row"] is not None)
    templated = next(r for r in findings if "[" in r["rule"])
    for finding in (per_row, templated):
        row = [] if finding["row"] is None else ["--row", str(finding["row"])]
        args = (finding["rule"], "--document", str(SEED), "--format", "json", *row)
        done = rulecheck("explain", *args)
        assert done.returncode == 0, done.stderr
        (explained,) = json.loads(done.stdout)["explanations"]
        traced = [(t["row"], t["column"], t["status"]) for t in explained["rows"]]
        assert (finding["row"], finding["column"], finding["status"]) in traced


def test_an_unresolved_cell_explains_as_the_error_check_reports(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The seed's text dump leaves six JJ-01 rows' 国有资本经营预算 cells unresolved: check
    calls those findings errors naming the cell, and so does explain, marking the cell."""
    done = checked("seed-dump", tmp_path_factory)
    errors = [f for f in done.findings if f["reason"] and "unresolved-cell" in f["reason"]]
    assert errors
    first = errors[0]
    run = rulecheck(
        "explain", first["rule"], "--document", str(SEED_DUMP), "--row", str(first["row"])
    )
    assert run.returncode == 0, run.stderr
    detail = first["reason"].split(":", 1)[1]  # the cell; the reason is said in a sentence
    assert detail in run.stdout
    (cell,) = [
        line
        for line in run.stdout.splitlines()
        if "无法确定所属列" in line and "/国有资本经营预算" in line
    ]
    assert "/国有资本经营预算    000_afa05cab7739910b.txt:" in cell  # the cell, and its place
    assert cell.endswith('印为 "27.11"')  # what the import saw there, read as null


def test_a_cross_document_rule_on_one_document_says_what_it_needs(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """``上年(x)`` on a document explained alone: skipped, naming the document it needs."""
    done = checked("05", tmp_path_factory)
    run = rulecheck("explain", "SM-51", "--document", str(done.path), "--lang", "en")
    assert run.returncode == 0, run.stderr
    (skipped,) = [t for t in done.every.items() if t[0][0] == "SM-51"]
    assert skipped[1] == ("skipped", "needs-document:上年")
    assert "skipped" in run.stdout
    (needed,) = [line for line in run.stdout.splitlines() if "= —" in line]
    assert needed.strip().startswith("上年(财务收支预算总表[财政拨款收入].预算数) = —")
