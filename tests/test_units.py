"""Tables printed in different units (元 and 万元) compared in the ruleset's unit, each
figure with the rounding of its own unit (checker.units): the engine and the plain-Python
reference evaluator agree, and the intervals are those of each side's unit."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from checker import ast
from checker.api import check_documents, load_rules
from checker.reference import evaluate_documents
from checker.syntax import parse_text
from checker.template import template_from_schema
from checker.units import factor, table_halves

ROOT = Path(__file__).resolve().parents[1]
PDF = ROOT.parent / "shared" / "corpus" / "05-putuo-wanli-street-2024-dept-budget.pdf"
SANGONG = "三公经费和机关运行经费预算表"


def test_several_precisions_one_per_unit() -> None:
    ruleset, problems = parse_text('ruleset "u"\nprecision 1 元\nprecision 0.01 万元\n', "u.rules")
    assert problems == []
    assert (ruleset.precision, ruleset.unit) == (Decimal(1), "元")
    assert ruleset.unit_precisions == (("元", Decimal(1)), ("万元", Decimal("0.01")))
    _, again = parse_text('ruleset "u"\nprecision 1 元\nprecision 2 元\n', "u.rules")
    assert [d.code for d in again] == ["rules.syntax.duplicate-header"]


def test_factors_and_halves() -> None:
    assert factor("万元", "元") == 10_000 and factor("元", "万元") == Decimal("0.0001")
    assert factor(None, "元") == factor("元", "元") == 1
    schema = json.loads((ROOT / "schemas" / "shanghai-budget.schema.json").read_text("utf-8"))
    schema["x-unit"] = "元"
    schema["properties"]["tables"]["properties"][SANGONG]["x-unit"] = "万元"
    template = template_from_schema(schema)
    declared = ast.Ruleset(
        "u", precision=Decimal(1), unit="元", unit_precisions=(("万元", Decimal("0.01")),)
    )
    assert table_halves(declared, template, Decimal("0.5")) == {SANGONG: Decimal(50)}
    undeclared = ast.Ruleset("u", precision=Decimal(1), unit="元")
    assert table_halves(undeclared, template, Decimal("0.5")) == {SANGONG: Decimal(5000)}
    unitless = ast.Ruleset("u", precision=Decimal(1))
    assert table_halves(unitless, template, Decimal("0.5")) == {}


RULES = """\
ruleset "units"
precision 1 元
precision 0.01 万元

rule U-1 "三公合计换算为元" tags 单位:
  sum({t}.合计) = {exact}
rule U-2 "差 60 元：在 ±50 元之外" tags 单位:
  sum({t}.合计) = {off60}
rule U-3 "差 40 元：在 ±50 元之内" tags 单位:
  sum({t}.合计) = {off40}
rule U-4 "三公合计 = 各项之和（万元表内，换算后）" tags 单位:
  sum({t}.合计) = sum({t}.因公出国(境)费) + sum({t}.公务接待费) + sum({t}.公务用车购置及运行费.小计)
"""


@pytest.mark.skipif(not PDF.is_file(), reason="../shared/corpus (the real PDFs) is absent")
def test_a_wan_yuan_table_checked_in_yuan(tmp_path: Path) -> None:
    from checker.documents.importer import import_document

    imported = import_document(str(PDF))
    document: dict[str, Any] = imported.document
    total = Decimal(str(document["tables"][SANGONG]["rows"][0]["合计"]))  # as printed, 万元
    in_yuan = total * 10_000
    schema = json.loads(Path(imported.layout.schema_file).read_text("utf-8"))
    schema["x-unit"] = "元"
    schema["properties"]["tables"]["properties"][SANGONG]["x-unit"] = "万元"
    schema_file = tmp_path / "units.schema.json"
    schema_file.write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    rules_file = tmp_path / "units.rules"
    rules_file.write_text(
        RULES.format(t=SANGONG, exact=in_yuan, off60=in_yuan + 60, off40=in_yuan - 40), "utf-8"
    )
    rules = load_rules([str(rules_file)], schema=str(schema_file))
    report = check_documents([document], rules, schema=str(schema_file))
    got = {r["rule"]: r for r in report.to_dict(include=["pass", "rounding", "fail"])["results"]}
    assert got["U-1"]["status"] == "pass"
    assert got["U-1"]["lhs"]["value"] == float(in_yuan)
    assert got["U-1"]["lhs"]["interval"] == [float(in_yuan - 50), float(in_yuan + 50)]
    assert got["U-2"]["status"] == "fail"
    assert got["U-3"]["status"] == "rounding"
    assert got["U-4"]["status"] in ("pass", "rounding")
    reference = {r.rule: r for r in evaluate_documents(rules.ruleset, rules.template, [document])}
    for rule, result in got.items():
        mine = reference[rule]
        assert mine.status == result["status"], rule
        assert (mine.lhs_lo, mine.lhs_hi) == tuple(result["lhs"]["interval"]), rule
        assert (mine.rhs_lo, mine.rhs_hi) == tuple(result["rhs"]["interval"]), rule


@pytest.mark.skipif(not PDF.is_file(), reason="../shared/corpus (the real PDFs) is absent")
def test_a_table_printed_in_another_unit_than_its_template_is_converted(tmp_path: Path) -> None:
    import copy

    from checker.documents import load_objects
    from checker.documents.importer import import_document

    imported = import_document(str(PDF))
    schema = json.loads(Path(imported.layout.schema_file).read_text("utf-8"))
    schema["properties"]["tables"]["properties"][SANGONG]["x-unit"] = "万元"
    schema_file = tmp_path / "units.schema.json"
    schema_file.write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    as_printed = imported.document
    in_yuan = copy.deepcopy(as_printed)  # the same figures, printed in 元
    table = in_yuan["tables"][SANGONG]
    table["unit"] = "元"
    for row in table["rows"]:
        for key, value in row.items():
            if isinstance(value, float | int) and not isinstance(value, bool):
                row[key] = round(value * 10_000, 2)
    batch = load_objects([as_printed, in_yuan], schema=str(schema_file))
    assert batch.invalid_count == 0
    frame = batch.tables[SANGONG]
    first, second = frame.filter(frame["document"] == 0), frame.filter(frame["document"] == 1)
    amounts = [
        c for c in frame.columns if c not in ("document", "row") and frame[c].dtype.is_integer()
    ]
    assert amounts
    assert first.select(amounts).rows() == second.select(amounts).rows()
    assert first.select(amounts).to_series(0).sum() != 0
