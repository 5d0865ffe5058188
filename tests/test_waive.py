"""`rulecheck waive` and content-keyed waivers, through the real command line.

A waiver names its row by key (the table's x-key columns), so it follows the row
when a project is inserted above it, and waives nothing else.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from checker.rowkeys import row_keys
from checker.template import load_template
from tests.cli_run import ROOT, rulecheck

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
SEED_ID = "000_afa05cab7739910b"
TODAY = "2026-06-01"
# FINDINGS.md: XJ-09 row 12, 表十 project 替困难群众交城乡居保 is not in 表十二
PROJECT = "替困难群众交城乡居保 新乡市红旗区人力资源和社会保障局本级"
NEW_PROJECT = "新增测试项目 新乡市红旗区人力资源和社会保障局本级"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RULECHECK_TODAY", TODAY)
    monkeypatch.setenv("USER", "审核员")


def _moved(folder: Path) -> Path:
    """The seed with a new project row inserted at the top of 项目支出表 (above row 12)."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    rows = seed["tables"]["项目支出表"]["rows"]
    new = dict.fromkeys(rows[2])
    new |= {"类型": "特定目标类", "项目名称": "新增测试项目", "项目单位": rows[2]["项目单位"]}
    rows.insert(2, new)
    path = folder / "moved.json"
    path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
    return path


def _report(*args: str) -> dict[str, Any]:
    proc = rulecheck("check", *args, "--format", "json", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout)
    return report


def _findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["status"] in ("fail", "error")]


def _entry(rule: str, place: str, expires: str = "2027-03-31") -> str:
    return (
        f'[[waiver]]\ndocument = "{SEED_ID}"\nrule = "{rule}"\n{place}\n'
        f'justification = "批注：已核实"\nauthor = "张三"\nexpires = {expires}\n'
    )


def test_a_waiver_written_by_waive_follows_its_project_when_a_row_is_inserted_above(
    tmp_path: Path,
) -> None:
    waivers = tmp_path / "waivers.toml"
    done = rulecheck("waive", str(SEED), "-o", str(waivers), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "appended 19 waivers" in done.stdout  # FINDINGS.md: 19 fails on the seed
    entries = tomllib.loads(waivers.read_text(encoding="utf-8"))["waiver"]
    project = next(e for e in entries if e["rule"] == "XJ-09")
    assert project["key"] == PROJECT and "row" not in project  # by content, not index
    # the documented defaults: justification, $USER, today + 90 days
    assert project["justification"] == "baseline: to be reviewed"
    assert project["author"] == "审核员"
    assert project["expires"].isoformat() == "2026-08-30"
    # the seed itself: everything waived, the run passes
    assert rulecheck("check", str(SEED), "--waivers", str(waivers)).returncode == 0

    moved = _report(str(_moved(tmp_path)), "--waivers", str(waivers))
    xj09 = {r["row"]: r for r in _findings(moved) if r["rule"] == "XJ-09"}
    assert xj09[13]["fingerprint"]["key"] == PROJECT and xj09[13]["waived"]  # moved 12 → 13
    assert xj09[2]["fingerprint"]["key"] == NEW_PROJECT and not xj09[2]["waived"]
    # nothing else: the only unwaived finding is the new project's, and every waiver is used
    assert [r["fingerprint"] for r in _findings(moved) if not r["waived"]] == [
        {"document": SEED_ID, "rule": "XJ-09", "key": NEW_PROJECT}
    ]
    assert moved["waivers"]["diagnostics"] == []
    # the index form would have missed it: row 12 is now another project, which passes
    by_index = tmp_path / "index.toml"
    by_index.write_text(_entry("XJ-09", "row = 12"), encoding="utf-8")
    missed = _report(str(_moved(tmp_path)), "--waivers", str(by_index), "--select", "XJ-09")
    assert not any(r["waived"] for r in missed["results"])
    assert [d["code"] for d in missed["waivers"]["diagnostics"]] == ["waiver.unused"]


def test_the_fingerprint_carries_the_row_key_in_json_and_sarif(tmp_path: Path) -> None:
    """The SARIF partial fingerprint hashes the key: a moved row keeps its alert."""
    seed = _report(str(SEED), "--select", "XJ-09")
    assert _findings(seed)[0]["fingerprint"] == {
        "document": SEED_ID,
        "rule": "XJ-09",
        "key": PROJECT,
    }

    def partial(path: Path) -> dict[str, str]:
        proc = rulecheck("check", str(path), "--select", "XJ-09", "--format", "sarif")
        results = json.loads(proc.stdout)["runs"][0]["results"]
        return {
            r["properties"]["fingerprint"]["key"]: r["partialFingerprints"]["rulecheck/v1"]
            for r in results
        }

    before, after = partial(SEED), partial(_moved(tmp_path))
    assert before[PROJECT] == after[PROJECT] and after.keys() == {PROJECT, NEW_PROJECT}


def test_waive_appends_and_keeps_the_existing_entries_as_they_are(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    existing = (
        "# 已审核的豁免（手写，保持原样）\n\n"
        + _entry("XJ-09", f'key = "{PROJECT}"')
        + "\n"
        + _entry("JJ-40", 'key = "30108 50501"', expires="2026-01-01")  # expired: kept too
    )
    waivers.write_text(existing, encoding="utf-8")
    done = rulecheck(
        "waive",
        str(SEED),
        "-o",
        str(waivers),
        "--select",
        "XJ",
        "--select",
        "JJ-40",
        "--justification",
        "基线：待复核",
        "--author",
        "李四",
        "--expires",
        "2026-12-31",
    )
    assert done.returncode == 0, done.stderr
    assert "追加 5 条豁免（另有 2 条结果已被该文件豁免）" in done.stdout
    text = waivers.read_text(encoding="utf-8")
    assert text.startswith(existing)  # byte for byte, new entries after
    entries = tomllib.loads(text)["waiver"]
    assert len(entries) == 7
    assert [e["rule"] for e in entries].count("XJ-09") == 1  # not written again
    assert [e["rule"] for e in entries].count("JJ-40") == 1  # an expired one neither
    added = entries[2:]
    assert {(e["justification"], e["author"]) for e in added} == {("基线：待复核", "李四")}
    assert {e["expires"].isoformat() for e in added} == {"2026-12-31"}
    # nothing left to waive: a second run appends nothing and leaves the file alone
    again = rulecheck("waive", str(SEED), "-o", str(waivers), "--select", "XJ", "--lang", "en")
    assert again.returncode == 0 and "appended 0 waivers" in again.stdout
    assert waivers.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["waivers.toml"]  # no temporary file


def test_an_unused_key_waiver_says_which_keys_are_close(tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    typo = PROJECT.replace("替困难", "替困准")  # a key that no row of the document has
    waivers.write_text(_entry("XJ-09", f'key = "{typo}"'), encoding="utf-8")
    done = rulecheck(
        "check", str(SEED), "--select", "XJ-09", "--waivers", str(waivers), "--lang", "en"
    )
    assert f"{waivers}:1: warning: waiver matches no fail or error result" in done.stdout
    assert f'did you mean "{PROJECT}"?' in done.stdout
    assert "waived 1" not in done.stdout  # the finding stays unwaived


def test_an_old_index_waiver_still_works_and_is_told_its_key(tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text(_entry("XJ-09", "row = 12"), encoding="utf-8")
    report = _report(str(SEED), "--select", "XJ-09", "--waivers", str(waivers), "--lang", "en")
    assert [r["waived"] for r in _findings(report)] == [True]
    [warning] = report["waivers"]["diagnostics"]
    assert warning["code"] == "waiver.row-index" and warning["severity"] == "warning"
    assert f'name it by key instead: key = "{PROJECT}"' in warning["message"]


def test_a_waiver_with_both_key_and_row_is_refused(tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text(_entry("XJ-09", f'key = "{PROJECT}"\nrow = 12'), encoding="utf-8")
    done = rulecheck("check", str(SEED), "--waivers", str(waivers), "--lang", "en")
    assert done.returncode == 3
    assert f"{waivers}:5: error: a waiver names its row by key or by row, not both" in done.stderr


def test_waive_refuses_a_bad_date_and_writes_nothing(tmp_path: Path) -> None:
    waivers = tmp_path / "w.toml"
    done = rulecheck("waive", str(SEED), "-o", str(waivers), "--expires", "2026-02-30")
    assert done.returncode == 2 and "--expires" in done.stderr
    assert not waivers.exists()


def test_waive_help_names_its_defaults() -> None:
    done = rulecheck("waive", "--help")
    assert done.returncode == 0
    for default in ("baseline: to be reviewed", "$USER", "today + 90 days"):
        assert default in done.stdout


def test_a_second_row_with_the_same_key_is_told_apart() -> None:
    frame = pl.DataFrame(
        {
            "document": [0, 0, 0],
            "row": [0, 1, 2],
            "编码": ["1", "1", None],
            "名称": ["甲", "甲", None],
        },
        schema_overrides={"document": pl.UInt32, "row": pl.UInt32},
    )
    keys = row_keys({"项目绩效目标汇总表": frame}, load_template())
    assert keys.get_column("row_key").to_list() == ["1 甲", "1 甲 #2"]  # a keyless row: none
    assert keys.get_column("row").to_list() == [0, 1]
