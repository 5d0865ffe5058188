"""`rulecheck check` through the real entry point, on the real seed document."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from checker.resources import schema_path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "checker.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


@pytest.fixture(scope="module")
def seed_report() -> dict:
    done = _run("check", str(SEED), "--format", "json", "--show", "rounding")
    assert done.returncode == 1, done.stderr  # the seed has real findings
    return json.loads(done.stdout)


def test_report_matches_its_schema(seed_report: dict) -> None:
    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(seed_report)


def test_every_cent_discrepancy_is_rounding_not_fail(seed_report: dict) -> None:
    results = seed_report["results"]
    cents = [r for r in results if r["diff"] is not None and abs(r["diff"]) <= 0.01 + 1e-9]
    assert cents, "the seed's 0.01 尾差 (4,708.93 + 27.11 vs 4,736.03) must be reported"
    assert {r["status"] for r in cents if r["diff"] != 0} == {"rounding"}


def test_the_one_unit_error_is_a_fail_with_its_cells(seed_report: dict) -> None:
    # 支出经济分类汇总表: 合计 row 财政拨款 4,648.93 vs Σ rows 4,649.93 (a 1.00 error)
    fails = [r for r in seed_report["results"] if r["status"] == "fail" and r["diff"] == -1.0]
    assert fails
    cells = fails[0]["cells"]
    assert any(c["value"] == 4648.93 and c["pointer"] for c in cells)


def test_clean_exit_when_only_rounding(tmp_path: Path) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text(
        'in 部门收支总体情况表:\n  rule SZ "收入总计": 收入总计 = 本年收入合计 + 上年结转结余\n',
        encoding="utf-8",
    )
    done = _run("check", str(SEED), "-r", str(rules), "--lang", "en")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rounding 1" in done.stdout


def test_select_ignore_and_fail_on(tmp_path: Path) -> None:
    done = _run("check", str(SEED), "--select", "XJ-02", "--fail-on", "error")
    assert done.returncode == 0  # XJ-02 is a warning
    done = _run("check", str(SEED), "--select", "XJ-02", "--fail-on", "warning")
    assert done.returncode == 1


def test_bad_rules_exit_3_and_bad_documents_exit_4(tmp_path: Path) -> None:
    rules = tmp_path / "bad.rules"
    rules.write_text('rule X "t": 不存在的表[合计] = 1\n', encoding="utf-8")
    assert _run("check", str(SEED), "-r", str(rules)).returncode == 3
    doc = tmp_path / "bad.json"
    doc.write_text("{", encoding="utf-8")
    done = _run("check", str(doc))
    assert done.returncode == 4 and "Traceback" not in done.stderr


@pytest.mark.parametrize("fmt", ["text", "json", "jsonl", "sarif"])
def test_an_output_that_cannot_be_written_is_a_usage_error(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / "no-such-folder" / f"report.{fmt}"
    done = _run("check", str(SEED), "--format", fmt, "--output", str(target))
    assert done.returncode == 2, done.stderr
    assert str(target) in done.stderr and "Traceback" not in done.stderr
    assert not target.exists()


def test_a_failure_shows_what_the_rule_checks_as_written() -> None:
    done = _run("check", str(SEED), "--select", "SZ-01", "--show", "rounding", "--lang", "en")
    rule_file = ROOT / "rulesets" / "部门预算" / "收支总表.rules"
    check_line = next(
        i
        for i, line in enumerate(rule_file.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip() == "收入总计 = 本年收入合计 + 上年结转结余"
    )
    assert f"收支总表.rules:{check_line}  收入总计 = 本年收入合计 + 上年结转结余" in done.stdout


@pytest.mark.parametrize("command", ["check", "validate", "lint", "explain", "coverage", "test"])
def test_a_command_alone_is_the_command_of_the_whole_app(command: str) -> None:
    """The entry point registers only the command it runs (typer builds every
    registered command's options on each run); what that command accepts and says
    must be what the whole app's would."""
    import typer.main
    from typer.testing import CliRunner

    from checker.cli import _app_for, app

    alone_app = _app_for(["--debug", command, "x.json"])
    assert alone_app is not app
    assert list(typer.main.get_command(alone_app).commands) == [command]  # type: ignore[attr-defined]
    env = {"COLUMNS": "200"}
    alone = CliRunner().invoke(alone_app, [command, "--help"], env=env)
    whole = CliRunner().invoke(app, [command, "--help"], env=env)
    assert alone.exit_code == whole.exit_code == 0
    assert alone.output == whole.output
    assert "--" in alone.output  # the options are listed
    assert _app_for(["--help"]) is app
    assert _app_for(["chekc"]) is app


def test_the_text_report_is_plain_unless_a_terminal_or_forced() -> None:
    """Piped (CI) output is plain text and never imports rich; on a terminal, or with
    FORCE_COLOR, the same text carries rich's styles."""
    import os
    import re

    plain = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "checker.cli", "check", str(SEED)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "FORCE_COLOR"},
    )
    assert plain.returncode == 1
    assert "\x1b[" not in plain.stdout
    imported = [line.split("|")[-1].strip() for line in plain.stderr.splitlines()]
    assert "checker.report.text" in imported
    assert not [m for m in imported if m.split(".")[0] == "rich"]
    styled = subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(SEED)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "FORCE_COLOR": "1", "COLUMNS": "200"},
    )
    assert styled.returncode == 1
    assert "\x1b[1;31m" in styled.stdout  # fail in bold red
    assert re.sub(r"\x1b\[[0-9;]*m", "", styled.stdout) == plain.stdout


def test_the_console_script_entry_point_runs_the_cli() -> None:
    """``rulecheck`` is ``checker.__main__:main`` (the CLI imported with collection
    paused); ``python -m checker`` is the same command."""
    import tomllib

    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert scripts["rulecheck"] == "checker.__main__:main"
    done = subprocess.run(
        [sys.executable, "-m", "checker", "check", str(SEED), "--select", "DW-11", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stderr  # DW-11 fails on the seed
    assert "DW-11" in done.stdout and "Traceback" not in done.stderr
