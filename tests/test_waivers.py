"""Waivers through `rulecheck check --waivers` (and the API) on the seed document."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
from typer.testing import CliRunner

from checker.api import check, check_documents, load_rules
from checker.cli import app
from checker.resources import schema_path

ROOT = Path(__file__).resolve().parent.parent
SEED = str(ROOT / "examples" / "000_afa05cab7739910b.json")
SEED_ID = "000_afa05cab7739910b"
TODAY = "2026-06-01"


def _check(*args: str, env: dict[str, str] | None = None) -> Any:
    done = CliRunner().invoke(app, ["check", SEED, *args], env=env)
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert "Traceback" not in done.output
    return done


def _waiver(document: str, rule: str, row: int | str | None, expires: str, **extra: str) -> str:
    """A ``[[waiver]]``: ``row`` an index (``row = 21``) or a row key (``key = "…"``)."""
    lines = ["[[waiver]]", f"document = {json.dumps(document, ensure_ascii=False)}"]
    lines.append(f"rule = {json.dumps(rule, ensure_ascii=False)}")
    if isinstance(row, str):
        lines.append(f"key = {json.dumps(row, ensure_ascii=False)}")
    elif row is not None:
        lines.append(f"row = {row}")
    lines.append(f'justification = "{extra.get("justification", "批注：已函告单位更正")}"')
    lines.append(f'author = "{extra.get("author", "张三")}"')
    lines.append(f"expires = {expires}")
    return "\n".join(lines) + "\n\n"


def _write(path: Path, *waivers: str) -> str:
    path.write_text("# 豁免\n\n" + "".join(waivers), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def seed_report() -> dict[str, Any]:
    done = _check("--format", "json")
    assert done.exit_code == 1, done.output  # the seed has real findings
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture(scope="module")
def all_waived(
    seed_report: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, int]:
    """A waiver for every fail/error finding, built from the report's fingerprints."""
    findings = [r for r in seed_report["results"] if r["status"] in ("fail", "error")]
    blocks = [
        _waiver(
            f["fingerprint"]["document"],
            f["fingerprint"]["rule"],
            f["fingerprint"].get("key", f["fingerprint"].get("row")),
            "2027-03-31",
        )
        for f in findings
    ]
    path = _write(tmp_path_factory.mktemp("w") / "waivers.toml", *blocks)
    done = _check("--waivers", path, "--today", TODAY, "--fail-on", "info", "--format", "json")
    return done, len(findings)


def test_every_result_carries_its_fingerprint(seed_report: dict[str, Any]) -> None:
    result = next(r for r in seed_report["results"] if r["rule"] == "JJ-40")
    # the row by its key (一般公共预算基本支出表: 部门/政府经济分类编码), not its index 21
    assert result["fingerprint"] == {"document": SEED_ID, "rule": "JJ-40", "key": "30108 50501"}
    document_level = next(r for r in seed_report["results"] if r["row"] is None)
    assert "row" not in document_level["fingerprint"]
    assert "key" not in document_level["fingerprint"]
    assert not any(r["waived"] for r in seed_report["results"])
    assert "waivers" not in seed_report


def test_waivers_for_every_finding_turn_the_failing_run_into_exit_0(
    all_waived: tuple[Any, int],
) -> None:
    done, count = all_waived
    assert count == 19  # FINDINGS.md: 19 fails on the seed
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    findings = [r for r in report["results"] if r["status"] in ("fail", "error")]
    assert len(findings) == count and all(r["waived"] for r in findings)
    assert findings[0]["waiver"]["author"] == "张三"
    assert findings[0]["waiver"]["justification"].startswith("批注")
    assert findings[0]["waiver"]["expires"] == "2027-03-31"
    assert report["summary"]["waived"] == count and report["summary"]["fail"] == count
    assert report["waivers"]["waived"] == count and report["waivers"]["diagnostics"] == []
    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(report)


def test_an_expired_waiver_is_reported_and_waives_nothing(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "w.toml",
        _waiver(SEED_ID, "JJ-40", 21, "2026-01-01"),  # line 3: expired before TODAY
        _waiver(SEED_ID, "XJ-02", 40, "2027-03-31", author="李四"),  # valid
        _waiver(SEED_ID, "XJ-02", 0, "2027-03-31"),  # row 0 passes: unused
    )
    args = ("--select", "JJ-40", "--select", "XJ-02", "--waivers", path, "--show", "fail")
    done = _check(*args, "--show", "waived", "--today", TODAY)
    assert done.exit_code == 1, done.output
    out = done.stdout
    assert f"{path}:3: 错误: 豁免已于 2026-01-01 过期" in out
    assert f"{path}:19: 警告: 豁免没有匹配任何不符或无法计算的结果" in out
    assert "不符 JJ-40" in out  # the expired waiver does not waive it
    assert "已豁免 批注：已函告单位更正（李四，有效至 2027-03-31" in out  # --show waived
    assert "已豁免 1" in out
    # the same file before the expiry date ($RULECHECK_TODAY): JJ-40 is waived, exit 0
    before = _check(*args, env={"RULECHECK_TODAY": "2025-12-31"})
    assert before.exit_code == 0, before.output
    assert "过期" not in before.stdout and "不符 JJ-40" not in before.stdout


def test_an_expired_waiver_fails_the_run_even_when_its_finding_is_gone(tmp_path: Path) -> None:
    path = _write(tmp_path / "w.toml", _waiver(SEED_ID, "SZ-03", None, "2026-01-01"))
    done = _check("--select", "SZ-03", "--waivers", path, "--today", TODAY, "--lang", "en")
    assert done.exit_code == 1 and "waiver expired on 2026-01-01" in done.stdout


def test_an_unused_waiver_is_a_warning(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "w.toml",
        _waiver(SEED_ID, "SZ-03", None, "2027-03-31"),  # SZ-03 passes on the seed
        _waiver(SEED_ID, "SZ-3", None, "2027-03-31"),  # no such rule
        _waiver("another-document", "SZ-03", None, "2027-03-31"),  # not checked: not reported
    )
    done = _check(
        "--select", "SZ-03", "--waivers", path, "--today", TODAY, "--format", "json", "--lang", "en"
    )
    assert done.exit_code == 0, done.output
    diagnostics = json.loads(done.stdout)["waivers"]["diagnostics"]
    assert [(d["code"], d["severity"], d["location"]["line"]) for d in diagnostics] == [
        ("waiver.unused", "warning", 3),
        ("waiver.unused", "warning", 10),
    ]
    assert "did you mean SZ-03" in diagnostics[1]["hint"]
    assert "waiver matches no fail or error result" in done.stderr


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[[waiver]]\ndocument = "x"\nrule = \n', 3, "不是有效的 TOML"),
        (
            '[[waiver]]\ndocument = "x"\nrule = "JJ-40"\nauthor = "a"\nexpires = 2027-03-31\n',
            1,
            "缺少必填字段 “justification”",
        ),
        (
            '[[waiver]]\ndocument = "x"\nrule = "JJ-40"\njustification = " "\nauthor = "a"\n'
            "expires = 2027-03-31\n",
            4,
            "“justification” 不能为空",
        ),
        (
            '[[waiver]]\ndocument = "x"\nrule = "JJ-40"\njustification = "j"\nauthor = "a"\n'
            'expires = "2027-03-31"\n',
            6,
            "expires 应为 TOML 日期",
        ),
        (
            '[[waiver]]\ndocument = "x"\nrule = "JJ-40"\njustification = "j"\nauthor = "a"\n'
            "expires = 2027-02-30\n",
            6,
            "不是有效的 TOML",
        ),
        (
            '[[waiver]]\ndocument = "x"\nrule = "JJ-40"\nrow = "21"\njustification = "j"\n'
            'author = "a"\nexpires = 2027-03-31\nauthr = "b"\n',
            4,
            "row 应为从 0 开始的行号",
        ),
    ],
)
def test_a_malformed_waiver_file_exits_3_with_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    done = _check("--waivers", str(path))
    assert done.exit_code == 3, done.output
    assert f"{path}:{line}" in done.stderr and message in done.stderr
    assert done.stdout == "" and path.read_bytes() == before  # never written


def test_a_typo_in_a_field_name_gets_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[[waiver]]\ndocument = "x"\nrule = "R"\njustfication = "j"\nauthor = "a"\n'
        "expires = 2027-03-31\n",
        encoding="utf-8",
    )
    done = _check("--waivers", str(path), "--lang", "en")
    assert done.exit_code == 3
    assert f"{path}:4: error: unknown field “justfication”" in done.stderr
    assert "did you mean justification?" in done.stderr


def test_api_waivers_with_paths_and_in_memory_documents(tmp_path: Path) -> None:
    rules = load_rules().select(["JJ-40"])
    relative = os.path.relpath(SEED, tmp_path)  # a path, relative to the waiver file
    path = _write(tmp_path / "w.toml", _waiver(relative, "JJ-40", 21, "2027-03-31"))
    report = check([SEED], rules, waivers=path, today=date(2026, 6, 1))
    assert report.findings().height == 0 and report.exit_code() == 0
    waived = report.waived().row(0, named=True)
    assert (waived["rule"], waived["row"], waived["status"]) == ("JJ-40", 21, "fail")
    assert waived["waiver_location"] == f"{path}:3"
    # dicts in memory, matched by document id; expired on 2027-04-01
    seed = orjson.loads(Path(SEED).read_bytes())
    by_id = _write(tmp_path / "id.toml", _waiver(SEED_ID, "JJ-40", 21, "2027-03-31"))
    fresh = check_documents([seed], rules, waivers=by_id, today=date(2027, 3, 31))
    assert fresh.exit_code() == 0 and fresh.summary()["waived"] == 1
    stale = check_documents([seed], rules, waivers=by_id, today=date(2027, 4, 1))
    assert stale.exit_code() == 1 and stale.findings().height == 1
    assert [d.code for d in stale.waiver_diagnostics] == ["waiver.expired"]
