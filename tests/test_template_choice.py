"""A run without --schema takes its template from its first document; a document of
another known template is refused with a message naming both (checker.documents.registry)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.api import for_template
from checker.documents.registry import find_template, first_template, known_templates
from tests.cli_run import rulecheck

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "000_afa05cab7739910b.json"
CORPUS = ROOT.parent / "shared" / "corpus"
SHANGHAI = CORPUS / "01-putuo-govoffice-2025-dept-budget.pdf"
FINAL = CORPUS / "11-putuo-finance-2024-dept-final.pdf"

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus (the real published PDFs) is not present"
)


def test_every_template_names_its_schema_and_ruleset() -> None:
    names = {t.name for t in known_templates()}
    assert {"部门预算公开/河南2023", "部门预算公开/上海", "部门决算公开/上海"} <= names
    for template in known_templates():
        assert template.schema_file.is_file()
        assert template.ruleset, template.name
        assert find_template(template.name) == template


def test_a_json_document_names_its_template() -> None:
    found = first_template([str(EXAMPLE)])
    assert found is not None and found.name == "部门预算公开/河南2023"
    schema, rules = for_template([str(EXAMPLE)])
    assert schema == str(found.schema_file)
    assert rules is not None and Path(rules[0]).name == "部门预算"


def test_given_schema_and_rules_win() -> None:
    assert for_template([str(EXAMPLE)], "x.schema.json", ["r"]) == ("x.schema.json", ["r"])


def test_a_document_of_another_template_is_refused_by_name(tmp_path: Path) -> None:
    other = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    other["meta"]["template"] = "部门决算公开/上海"
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other, ensure_ascii=False), encoding="utf-8")
    proc = rulecheck("validate", str(EXAMPLE), str(path), "--lang", "en")
    assert proc.returncode == 4
    assert "of template 部门决算公开/上海, this run checks template 部门预算公开/河南2023" in (
        proc.stdout + proc.stderr
    )
    assert "1 valid, 1 invalid" in proc.stdout + proc.stderr


@needs_corpus
def test_a_pdf_is_validated_against_the_template_it_prints() -> None:
    for pdf, name in ((SHANGHAI, "部门预算公开/上海"), (FINAL, "部门决算公开/上海")):
        found = first_template([str(pdf)])
        assert found is not None and found.name == name
        proc = rulecheck("validate", str(pdf), "--lang", "en")
        assert proc.returncode == 0, proc.stdout + proc.stderr
    mixed = rulecheck("validate", str(SHANGHAI), str(FINAL), "--lang", "en")
    assert mixed.returncode == 4
    assert "of template 部门决算公开/上海, this run checks template 部门预算公开/上海" in (
        mixed.stdout + mixed.stderr
    )
