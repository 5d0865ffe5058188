"""Findings point where their evidence was published: page and box of a PDF cell, line of
a text dump, in every format (issue 14: "Findings point there in every format").

The expected places are never written here: they are read from the document itself (the
transcription's ``source_lines``, the import's per-row ``provenance``), so the test checks
that a finding's cell is looked up at the right row of the right table and document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from checker.api import check, load_rules
from checker.documents.importer import import_document
from tests.cli_run import rulecheck

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "000_afa05cab7739910b.json"
SHARED = ROOT.parent / "shared"
PDF = SHARED / "corpus" / "01-putuo-govoffice-2025-dept-budget.pdf"
SARIF_SCHEMA = SHARED / "data" / "sarif-schema-2.1.0.json"

# 合计 = 基本支出 alone fails on every row with 项目支出: findings on many pages
RULES = """\
for each row in 一般公共预算支出功能分类预算表:
  rule EV-1 "合计只含基本支出（故意错误的规则）" tags 测试:
    合计 = 基本支出
"""


def test_seed_findings_carry_the_line_of_their_row() -> None:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    report = check([str(EXAMPLE)])
    results = report.to_dict()["results"]
    assert results
    located = 0
    for result in results:
        table, row = result["table"], result["row"]
        lines = example["tables"].get(table, {}).get("source_lines") if table else None
        if lines is None or row is None:
            continue
        assert result["source"] == {"file": example["meta"]["source"]["file"], "line": lines[row]}
        located += 1
        for cell in result["cells"]:
            if cell["row"] is not None and cell["table"] in example["tables"]:
                want = example["tables"][cell["table"]]["source_lines"][cell["row"]]
                assert cell["source"]["line"] == want, cell
    assert located >= 3


def test_seed_text_report_names_the_line() -> None:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    proc = rulecheck("check", str(EXAMPLE), "--lang", "en")
    assert proc.returncode == 1
    report = check([str(EXAMPLE)])
    finding = next(r for r in report.to_dict()["results"] if r["source"] and r["status"] == "fail")
    line = finding["source"]["line"]
    assert f"{example['meta']['source']['file']}:{line}" in proc.stdout


def test_statement_cells_carry_their_line() -> None:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    report = check([str(EXAMPLE)])
    stated = [
        (cell, result)
        for result in report.to_dict(include=["fail", "error", "rounding", "pass"])["results"]
        for cell in result["cells"]
        if cell["table"] == "说明"
    ]
    if not stated:
        pytest.skip("no result of the default ruleset lists a statement cell")
    for cell, _ in stated:
        want = example["statements"][cell["column"]].get("line")
        assert (cell["source"] or {}).get("line") == want


needs_corpus = pytest.mark.skipif(
    not PDF.is_file(), reason="../shared/corpus (the real published PDFs) is not present"
)


@pytest.fixture(scope="module")
def pdf_check(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any], Path]:
    folder = tmp_path_factory.mktemp("rules")
    rules_file = folder / "test.rules"
    rules_file.write_text(RULES, encoding="utf-8")
    imported = import_document(str(PDF))
    schema = str(imported.layout.schema_file)
    rules = load_rules([str(rules_file)], schema=schema)
    report = check([str(PDF)], rules, schema=schema)
    return report, imported.document, rules_file


@needs_corpus
def test_pdf_findings_carry_page_and_box(pdf_check: tuple[Any, dict[str, Any], Path]) -> None:
    report, document, _ = pdf_check
    results = report.to_dict()["results"]
    assert len(results) >= 2
    table = document["tables"]["一般公共预算支出功能分类预算表"]
    places = table["provenance"]["rows"]
    for result in results:
        place = places[result["row"]]
        assert result["source"]["page"] == place["page"]
        assert result["source"]["file"] == PDF.name
        for cell in result["cells"]:
            printed = places[cell["row"]]["cells"].get(cell["column"])
            if printed is not None:
                assert cell["source"]["bbox"] == pytest.approx(printed["bbox"])
                assert cell["source"]["page"] == places[cell["row"]]["page"]


@needs_corpus
def test_pdf_findings_in_text_and_sarif(pdf_check: tuple[Any, dict[str, Any], Path]) -> None:
    report, _, rules_file = pdf_check
    schema = str(import_document(str(PDF)).layout.schema_file)
    first = report.to_dict()["results"][0]
    page = first["source"]["page"]
    text = rulecheck(
        "check", str(PDF), "--rules", str(rules_file), "--schema", schema, "--lang", "en"
    )
    assert text.returncode == 1, text.stderr
    assert f"{PDF.name} p. {page}" in text.stdout
    sarif = rulecheck(
        "check", str(PDF), "--rules", str(rules_file), "--schema", schema, "--format", "sarif"
    )
    log = json.loads(sarif.stdout)
    if SARIF_SCHEMA.is_file():
        jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith(f"{PDF.name}#page={page}")
    assert location["properties"]["page"] == page
    assert len(location["properties"]["bbox"]) == 4


@needs_corpus
def test_explain_shows_where_each_cell_was_published(
    pdf_check: tuple[Any, dict[str, Any], Path],
) -> None:
    report, document, rules_file = pdf_check
    first = report.to_dict()["results"][0]
    schema = str(import_document(str(PDF)).layout.schema_file)
    common = ["--rules", str(rules_file), "--schema", schema, "--document", str(PDF)]
    proc = rulecheck("explain", "EV-1", *common, "--row", str(first["row"]), "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    place = document["tables"]["一般公共预算支出功能分类预算表"]["provenance"]["rows"][first["row"]]
    assert f"({PDF.name} p. {place['page']})" in proc.stdout
    data = json.loads(
        rulecheck("explain", "EV-1", *common, "--row", str(first["row"]), "--format", "json").stdout
    )
    row = data["explanations"][0]["rows"][0]
    assert row["source"]["page"] == place["page"]
    leaves = [s for s in row["trace"]["lhs"] + row["trace"]["rhs"] if "where" in s]
    assert leaves and all(s["source"]["page"] == place["page"] for s in leaves)
    assert [s["source"]["bbox"] for s in leaves] == [
        pytest.approx(place["cells"][s["where"].rsplit("/", 1)[-1]]["bbox"]) for s in leaves
    ]


SEED = SHARED / "seed" / "000_afa05cab7739910b.txt"


@pytest.mark.skipif(not SEED.is_file(), reason="../shared/seed (the real text dump) is absent")
def test_import_notes_reach_the_check_report_as_warnings() -> None:
    imported = import_document(str(SEED))
    if not imported.notes:
        pytest.skip("the seed imports without a note")
    report = check([str(SEED)])
    notes = [d for d in report.to_dict()["document_diagnostics"] if d["code"].startswith("import.")]
    assert len(notes) == len(imported.notes)
    assert all(d["severity"] == "warning" for d in notes)
    assert report.batch.invalid_count == 0  # notes never make a document invalid
    lines = {n.place.line for n in imported.notes}
    assert {d["location"]["line"] for d in notes} == lines
