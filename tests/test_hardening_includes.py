"""Issue 17, includes: an ``include`` reaches only ``*.rules`` files inside the ruleset's
folder tree (``--include-root`` widens it), and no diagnostic shows a line of a file that
is not a rule file."""

from __future__ import annotations

import os
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from cli_run import ROOT, rulecheck

from checker.resolve import include_trees, load_ruleset
from checker.resources import rulesets_dir

TIMEOUT = 120
RULE = 'in 收支总表:\n  rule T-01 "收入总计 = 支出总计":\n    收入总计 = 支出总计\n'


def run(*args: str, cwd: Path, cache: Path | None = None) -> CompletedProcess[str]:
    """``rulecheck ARGS --lang en`` in ``cwd`` with its own cache folder (``cwd/cache``),
    killed after TIMEOUT s."""
    own = {"RULECHECK_CACHE_DIR": str(cache or cwd / "cache")}
    return rulecheck(*args, "--lang", "en", cwd=cwd, env=own, timeout=TIMEOUT)


def content_lines(path: str) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        pytest.skip(f"{path} is not readable here")
    return [line.strip() for line in text.splitlines() if len(line.strip()) >= 4]


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../../../etc/hostname"])
def test_include_outside_is_refused_unechoed(tmp_path: Path, target: str) -> None:
    secret = os.path.normpath(tmp_path / "rs" / target)
    lines = content_lines(secret)
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "ruleset.rules").write_text(f'include "{target}"\n' + RULE, encoding="utf-8")
    for args in (["lint", "rs"], ["lint", "rs", "--format", "json"], ["test", "rs"]):
        proc = run(*args, cwd=tmp_path)
        output = proc.stdout + proc.stderr
        assert proc.returncode == 3, output
        assert "is outside the ruleset's folder" in output and "--include-root" in output
        for line in lines:
            assert line not in output, line
    proc = run("check", str(ROOT / "rulesets/部门预算/tests/base.json"), "-r", "rs", cwd=tmp_path)
    assert proc.returncode == 3 and "is outside the ruleset's folder" in proc.stderr


def test_include_of_a_non_rule_file_inside_the_tree(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("password = hunter2\n", encoding="utf-8")
    (tmp_path / "ruleset.rules").write_text('include "notes.txt"\n' + RULE, encoding="utf-8")
    proc = run("lint", "ruleset.rules", cwd=tmp_path)
    assert proc.returncode == 3 and "is not a rule file (*.rules): not read" in proc.stdout
    assert "hunter2" not in proc.stdout + proc.stderr


def test_symlink_out_of_the_tree_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.rules").write_text(RULE.replace("T-01", "T-02"), encoding="utf-8")
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "x.rules").symlink_to(tmp_path / "outside" / "x.rules")
    (tmp_path / "rs" / "ruleset.rules").write_text('include "x.rules"\n' + RULE, encoding="utf-8")
    _, diagnostics = load_ruleset([tmp_path / "rs"])
    assert [d.code for d in diagnostics] == ["rules.resolve.include-outside"]


def test_include_root_widens(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "x.rules").write_text(RULE.replace("T-01", "T-02"), encoding="utf-8")
    (tmp_path / "rs").mkdir()
    (tmp_path / "rs" / "ruleset.rules").write_text(
        'include "../shared/x.rules"\n' + RULE, encoding="utf-8"
    )
    assert run("lint", "rs", cwd=tmp_path).returncode == 3
    assert run("lint", "rs", "--include-root", "shared", cwd=tmp_path).returncode == 0
    # the folder given on the command line is the tree: both are inside it
    ruleset, diagnostics = load_ruleset([tmp_path])
    assert not [d for d in diagnostics if d.severity == "error"]
    ruleset, diagnostics = load_ruleset([tmp_path / "rs"], include_roots=[tmp_path / "shared"])
    assert {r.meta.id for r in ruleset.rules} == {"T-01", "T-02"} and not diagnostics


def test_bundled_rulesets_reach_the_shared_folder(tmp_path: Path) -> None:
    shanghai = rulesets_dir() / "部门预算-上海"
    assert include_trees([shanghai]) == [rulesets_dir().resolve()]
    proc = run("lint", "rulesets", cwd=ROOT, cache=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert run("lint", str(shanghai), cwd=ROOT, cache=tmp_path).returncode == 0
