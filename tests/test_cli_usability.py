"""Small things a first-time user of the command line meets (issue 16): ``--version``,
``--help`` in an 80-column terminal, ``--select``/``--ignore`` that name no rule, rules
that found nothing to check, and the README's examples as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_run import ROOT, rulecheck

from checker import __version__

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"


def test_version() -> None:
    done = rulecheck("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["rulecheck", __version__]


@pytest.mark.parametrize(
    ("option", "pattern", "near"),
    [
        ("--select", "XJ-99", "XJ-09"),  # an id of no rule
        ("--select", "xj-02", "XJ-02"),  # ids are case-sensitive: the near one is named
        ("--ignore", "XJ-X", "XJ-"),  # a prefix of no rule
    ],
)
def test_select_or_ignore_naming_no_rule_is_a_usage_error(
    option: str, pattern: str, near: str
) -> None:
    done = rulecheck("check", str(SEED), option, pattern, "--lang", "en")
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"{option} {pattern}: no rule of the ruleset" in done.stderr
    assert "did you mean" in done.stderr and f"“{near}”" in done.stderr
    assert done.stdout == ""  # nothing was checked


def test_select_and_ignore_of_known_ids_and_prefixes_still_run() -> None:
    done = rulecheck("check", str(SEED), "--select", "XJ-", "--ignore", "XJ-02", "--lang", "en")
    assert done.returncode in (0, 1), done.stderr
    assert "error:" not in done.stderr


def test_select_through_the_api_raises_usage(tmp_path: Path) -> None:
    from checker.api import load_rules
    from checker.diagnostics import ExitCode, RulecheckError

    rules = load_rules()
    with pytest.raises(RulecheckError) as raised:
        rules.select(["SZ-01", "NOPE-1"], ["ZC-"])
    assert raised.value.exit_code == ExitCode.USAGE
    assert [d.args["pattern"] for d in raised.value.diagnostics] == ["NOPE-1"]


README = ROOT / "README.md"
PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def _fresh_clone(into: Path) -> Path:
    """The files a clone of this checkout would hold (tracked and not ignored, as they are
    now: the change under way included)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    for name in listed.stdout.decode("utf-8").split("\0"):
        source = ROOT / name
        if name and source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def test_readme_python_example_runs_as_written_from_a_fresh_clone(tmp_path: Path) -> None:
    blocks = PYTHON_BLOCK.findall(README.read_text("utf-8"))
    assert blocks, "the README has a Python example"
    clone = _fresh_clone(tmp_path / "clone")
    # what the example says it does: the waiver it writes waives the seed's SM-73
    code = (
        "\n".join(blocks) + "\nassert report.waived().get_column('rule').to_list() == ['SM-73']\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=clone,
        env={**os.environ, "PYTHONPATH": str(clone)},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_rule_with_nothing_to_check_is_not_applicable() -> None:
    # ZC-20 sums 功能分类 rows up to their 类 and 款: the seed's 支出总表 prints no such
    # parent rows, so the roll-up has no result at all
    done = rulecheck("check", str(SEED), "--select", "ZC-20", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith(
        "skipped 0, not applicable 1 (--show skipped lists the rules not applicable)"
    )
    done = rulecheck("check", str(SEED), "--select", "ZC-20", "--show", "skipped", "--lang", "en")
    assert "not applicable ZC-20 " in done.stdout
    assert "nothing for it to check in the document (no result)" in done.stdout
    done = rulecheck("check", str(SEED), "--select", "ZC-20", "--show", "skipped", "--lang", "zh")
    assert "不适用 ZC-20 " in done.stdout and "，不适用 1" in done.stdout


def test_not_applicable_in_the_json_report_and_across_batches(tmp_path: Path) -> None:
    import json

    seed = json.loads(SEED.read_text("utf-8"))
    for n in (1, 2):
        seed["meta"]["id"] = f"copy-{n}"
        (tmp_path / f"copy-{n}.json").write_text(json.dumps(seed, ensure_ascii=False), "utf-8")
    args = ("check", str(tmp_path), "--select", "ZC-2", "--format", "json", "--batch-size", "1")
    report = json.loads(rulecheck(*args, "--show", "skipped").stdout)
    assert report["summary"]["not_applicable"] == 2  # ZC-20 in each document
    assert [(r["rule"], r["documents"]) for r in report["not_applicable"]] == [("ZC-20", 2)]
    assert "not_applicable" not in json.loads(rulecheck(*args).stdout)  # listed with skipped


def _commands() -> list[str]:
    from checker.cli import app

    return [str(c.name) for c in app.registered_commands]


@pytest.mark.parametrize("command", ["", *_commands()])
def test_help_is_readable_in_80_columns(command: str) -> None:
    """rich cuts a cell's line with "…" where it cannot break it (a run of Chinese with no
    space) or where a line holding wide characters fills the width exactly; the help
    strings keep Chinese and English on lines of their own, the Chinese short."""
    from rich.cells import cell_len

    done = rulecheck(*([command] if command else []), "--help", columns=80)
    assert done.returncode == 0, done.stderr
    assert "Usage: rulecheck" in done.stdout
    lines = done.stdout.splitlines()
    assert [line for line in lines if "…" in line] == []
    assert [line for line in lines if cell_len(line) > 80] == []


def test_readme_show_examples_parse_as_written() -> None:
    """``--show`` is a repeated option: ``--show fail error`` would read ``error`` as a
    document path. Every ``--show`` code span in the README gives one status per option."""
    spans = re.findall(r"`(--show [^`]*)`", README.read_text("utf-8"))
    assert spans
    for span in spans:
        words = span.split()
        assert all(words[i - 1] == "--show" for i in range(1, len(words), 2)), span
        assert all(w == "--show" for w in words[::2]), span
    done = rulecheck("check", str(SEED), "--show", "rounding", "--show", "skipped", "-q")
    assert done.returncode == 1, done.stderr  # the seed's findings; no usage error
    assert "尾差 SZ-01" in done.stdout and "不适用 ZC-20" in done.stdout
