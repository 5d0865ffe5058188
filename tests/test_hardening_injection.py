"""Text from documents is inert in every output (issue 17): a document id (its file name)
and a cell text carrying a newline + ``::error`` workflow command, ANSI escapes and other
control characters are shown escaped in text output, encoded in GitHub annotations, and
leave JUnit and SARIF well-formed."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from cli_run import ROOT, rulecheck
from junitparser import JUnitXml

from checker.diagnostics import Diagnostic, Location
from checker.display import inert, xml_safe

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
SARIF_SCHEMA = ROOT.parent / "shared" / "data" / "sarif-schema-2.1.0.json"
TABLE = "部门收入总体情况表"
ESC = "\x1b[31m"
PLANT = "\n::error file=x::pwned"
NAME = f"doc{PLANT}{ESC}\x07.json"  # the document id is its file name's stem
CELL = f"单位{PLANT}{ESC}\x1b]8;;http://x\x07\x00\x0b\u202e"

RULES = f'for each row in {TABLE}:\n  rule RX "t": matches(单位名称, "x+")\n'


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("inject")
    data = json.loads(SEED.read_text(encoding="utf-8"))
    data["tables"][TABLE]["rows"][1]["单位名称"] = CELL
    doc = folder / NAME
    doc.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rules = folder / "r.rules"
    rules.write_text(RULES, encoding="utf-8")
    return doc, rules


def _run(planted: tuple[Path, Path], fmt: str) -> str:
    doc, rules = planted
    done = rulecheck("check", str(doc), "-r", str(rules), "--format", fmt, "--lang", "en")
    assert done.returncode == 1, done.stderr  # RX fails
    return done.stdout


def _no_command_lines(text: str) -> None:
    """No line of a document's making: none starts with the planted command."""
    for line in text.splitlines():
        assert not line.lstrip().startswith("::error file=x"), line


def test_text_output_shows_controls_escaped(planted: tuple[Path, Path]) -> None:
    out = _run(planted, "text")
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\u202e" not in out
    _no_command_lines(out)
    assert "\\n::error file=x::pwned\\x1b[31m" in out  # shown, escaped


def test_explain_text_shows_controls_escaped(planted: tuple[Path, Path]) -> None:
    """``explain --document`` traces the planted cell's row: its text shown escaped too."""
    doc, rules = planted
    done = rulecheck("explain", "RX", "-r", str(rules), "--document", str(doc), "--lang", "en")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\x1b" not in out and "\x07" not in out and "\x00" not in out and "\u202e" not in out
    _no_command_lines(out)
    assert "\\n::error file=x::pwned\\x1b[31m" in out  # the id and the cell, escaped


def test_github_annotations_are_encoded(planted: tuple[Path, Path]) -> None:
    out = _run(planted, "github")
    _no_command_lines(out)
    assert "\x1b" not in out and "\x07" not in out
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations
    for line in annotations:
        props = line[2:].partition(" ")[2].partition("::")[0]
        assert "\r" not in line
        for prop in props.split(","):  # no raw : or , inside a property value
            value = prop.partition("=")[2]
            assert ":" not in value and "," not in value, prop


def test_junit_parses(planted: tuple[Path, Path], tmp_path: Path) -> None:
    out = _run(planted, "junit")
    root = ET.fromstring(out.encode("utf-8"))
    assert root.tag == "testsuites"
    path = tmp_path / "r.xml"
    path.write_text(out, encoding="utf-8")
    assert len(list(JUnitXml.fromfile(str(path)))) >= 1


def test_sarif_validates(planted: tuple[Path, Path]) -> None:
    sarif = json.loads(_run(planted, "sarif"))  # parses: strings JSON-escaped
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"no SARIF 2.1.0 JSON Schema at {SARIF_SCHEMA} (../shared absent)")
    checker = jsonschema.Draft7Validator.FORMAT_CHECKER  # uris included
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(sarif, schema, jsonschema.Draft7Validator, format_checker=checker)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_flat_outputs_carry_no_raw_command_line(planted: tuple[Path, Path], fmt: str) -> None:
    _no_command_lines(_run(planted, fmt))  # quoted (CSV) or JSON-escaped


def test_diagnostics_are_inert() -> None:
    diag = Diagnostic("rules.io.not-found", Location(f"a{PLANT}{ESC}"), {"path": PLANT})
    text = diag.format("en")
    assert "\n" not in text and "\x1b" not in text and "\\n::error" in text


def test_helpers() -> None:
    assert inert("a\nb\x1b[0m\u202e\t") == "a\\nb\\x1b[0m\\u202e\\t"
    assert inert("预算 100") == "预算 100"
    assert xml_safe("a\nb\tc\x00\x1b") == "a\nb\tc\\x00\\x1b"
