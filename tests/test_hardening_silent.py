"""Silent passes become errors (issue 17): an unreadable folder, a glob through a symbolic
link loop (each file once), a number literal judging cannot hold (lint and check agree),
waiver and case files nested past the limit — each a message and its exit code, never 5."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from cli_run import ROOT, rulecheck

from checker.diagnostics import ExitCode, RulecheckError
from checker.documents import sources
from checker.nesting import MAX_NESTING

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
RULES = 'in 部门收支总体情况表:\n  rule A "t": 收入总计 = 收入总计\n'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """docs/a.json, docs/sub/b.json, docs/sub/loop -> docs, docs/sub/self -> sub."""
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    shutil.copy(SEED, docs / "a.json")
    shutil.copy(SEED, docs / "sub" / "b.json")
    (docs / "sub" / "loop").symlink_to("..")
    (docs / "sub" / "self").symlink_to(".")
    return docs


def _unlistable(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``folder`` made one that cannot be listed, for any user (root reads a chmod-000
    folder): ``os.scandir`` of it fails as for a folder without read permission."""
    real = os.scandir

    def scandir(path: os.PathLike[str] | str) -> object:
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    return folder


def test_unreadable_subfolder_is_an_error_in_process(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any user (root reads a chmod-000 folder): the listing itself fails."""
    blocked = _unlistable(tree / "sub", monkeypatch)
    with pytest.raises(RulecheckError) as caught:
        sources.iter_sources([str(tree)])
    assert caught.value.exit_code == ExitCode.INVALID_DOCUMENT
    (diag,) = caught.value.diagnostics
    assert diag.code == "doc.folder-unreadable" and str(blocked) in diag.message("en")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod-000 folder")
def test_unreadable_subfolder_cli(tree: Path) -> None:
    blocked = tree / "sub"
    blocked.chmod(0)
    try:
        done = rulecheck("check", str(tree), "--lang", "en")
    finally:
        blocked.chmod(0o755)
    assert done.returncode == 4, done.stderr
    assert "cannot read the folder" in done.stderr


@pytest.fixture
def rule_tree(tmp_path: Path) -> Path:
    """rules/a.rules and rules/sub/b.rules (no ruleset.rules: the folder is walked)."""
    folder = tmp_path / "rules"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.rules").write_text(RULES, encoding="utf-8")
    (folder / "sub" / "b.rules").write_text(RULES.replace("rule A", "rule B"), encoding="utf-8")
    return folder


def test_unreadable_rule_subfolder_is_an_error(
    rule_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rule folder whose subfolder cannot be listed: loading and linting it say so (an
    error naming the folder), never check with the rules that could be read."""
    from checker.lint import lint
    from checker.resolve import load_ruleset
    from checker.template import load_template

    blocked = _unlistable(rule_tree / "sub", monkeypatch)
    _, diagnostics = load_ruleset([rule_tree], load_template(None))
    linted = lint([rule_tree]).diagnostics
    for found in (diagnostics, linted):
        unreadable = [d for d in found if d.code == "rules.io.folder-unreadable"]
        assert [d.severity for d in unreadable] == ["error"], found
        assert str(blocked) in unreadable[0].message("en")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod-000 folder")
def test_unreadable_rule_subfolder_cli(rule_tree: Path) -> None:
    blocked = rule_tree / "sub"
    blocked.chmod(0)
    try:
        done = rulecheck("check", str(SEED), "-r", str(rule_tree), "--lang", "en")
    finally:
        blocked.chmod(0o755)
    assert done.returncode == 3, done.stderr
    assert "cannot read the folder" in done.stderr


@pytest.mark.parametrize("pattern", ["**/*.json", "**", "sub/**/*.json"])
def test_glob_through_a_link_loop_lists_each_file_once(tree: Path, pattern: str) -> None:
    found = [s.name for s in sources.iter_sources([str(tree / pattern)])]
    names = sorted(Path(n).name for n in found)
    assert names == ["a.json", "b.json"], found  # sub/loop leads back (to a.json): once


def test_folder_through_a_link_loop_cli(tree: Path, tmp_path: Path) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text(RULES, encoding="utf-8")
    done = rulecheck("check", str(tree / "**"), "-r", str(rules), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("2 documents"), done.stdout


@pytest.mark.parametrize(
    "literal", ["0.000001", "1.00000001", "99999999999999999999999999", "900719925475"]
)
def test_a_literal_judging_cannot_hold(tmp_path: Path, literal: str) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text(f'in 部门收支总体情况表:\n  rule A "t": 收入总计 > {literal}\n', "utf-8")
    linted = rulecheck("lint", str(rules), "--lang", "en")
    checked = rulecheck("check", str(SEED), "-r", str(rules), "--lang", "en")
    explained = rulecheck("explain", "A", "-r", str(rules), "--document", str(SEED))
    assert linted.returncode == checked.returncode == explained.returncode == 3
    said = f"the number {literal} cannot be judged"
    assert said in linted.stdout + linted.stderr and said in checked.stderr


def test_an_exponent_is_not_a_number(tmp_path: Path) -> None:
    rules = tmp_path / "r.rules"
    rules.write_text('in 部门收支总体情况表:\n  rule A "t": 收入总计 < 1e400\n', "utf-8")
    assert rulecheck("lint", str(rules)).returncode == 3
    assert rulecheck("check", str(SEED), "-r", str(rules)).returncode == 3


def test_the_supported_extremes_pass(tmp_path: Path) -> None:
    rules = tmp_path / "r.rules"
    text = 'in 部门收支总体情况表:\n  rule A "t": 收入总计 < 900719925474 and 收入总计 > 0.0001\n'
    rules.write_text(text, "utf-8")
    assert rulecheck("lint", str(rules)).returncode == 0
    assert rulecheck("check", str(SEED), "-r", str(rules)).returncode == 0


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 100_000])
def test_a_waiver_file_nested_too_deep(tmp_path: Path, depth: int) -> None:
    waivers = tmp_path / "w.toml"
    waivers.write_text("x = " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    done = rulecheck("check", str(SEED), "--waivers", str(waivers), "--lang", "en")
    assert done.returncode not in (0, 5), done.stderr
    assert f"nested more than {MAX_NESTING} deep" in done.stderr


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 100_000])
def test_a_case_file_nested_too_deep(tmp_path: Path, depth: int) -> None:
    (tmp_path / "r.rules").write_text(RULES, encoding="utf-8")
    (tmp_path / "r.cases.json").write_text(
        '{"base": "x.json", "cases": ' + "[" * depth + "]" * depth + "}", encoding="utf-8"
    )
    done = rulecheck("test", str(tmp_path), "--lang", "en")
    assert done.returncode not in (0, 5), done.stderr
    assert f"nested more than {MAX_NESTING} deep" in done.stdout + done.stderr
