"""Hardening (issue 17), outputs: an output file is never one of the inputs (exit 2 before
anything is read), and it is written beside the target and renamed once the run has
completed, so a failed run leaves the previous output as it was (checker/outputs.py).

Every run goes through the real command line (tests/cli_run.py: a subprocess with a
120 s timeout, no traceback allowed)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from checker.outputs import AtomicFile, write_atomic
from tests.cli_run import ROOT, rulecheck

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
RULESET = ROOT / "rulesets" / "部门预算"
SCHEMA = ROOT / "schemas" / "budget-document.schema.json"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _no_temporaries(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_check_output_onto_its_document_is_a_usage_error(tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    shutil.copy(SEED, doc)
    before = _digest(doc)
    for output in ("doc.json", str(doc), f"../{tmp_path.name}/doc.json"):
        done = rulecheck("check", "doc.json", "-o", output, "-q", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "输出文件也是输入" in done.stderr and "文档" in done.stderr
        assert _digest(doc) == before
    # named through a folder argument, a symbolic link or in English
    (tmp_path / "link.json").symlink_to(doc)
    done = rulecheck("check", str(tmp_path), "-o", str(tmp_path / "link.json"), "--lang", "en")
    assert done.returncode == 2 and "also an input (document" in done.stderr, done.stderr
    assert _digest(doc) == before
    _no_temporaries(tmp_path)


def test_check_output_onto_a_rule_waiver_or_schema_file_is_a_usage_error(tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    shutil.copy(SEED, doc)
    rules = tmp_path / "rules"
    shutil.copytree(RULESET, rules)
    waivers = tmp_path / "waivers.toml"
    waivers.write_text("# none yet\n", encoding="utf-8")
    schema = tmp_path / "schema.json"
    shutil.copy(SCHEMA, schema)
    included = rules / "支出总表.rules"  # named by no argument: ruleset.rules includes it
    cases = [
        (["-r", str(rules / "ruleset.rules")], rules / "ruleset.rules", "rule file"),
        (["-r", str(rules)], rules / "ruleset.rules", "rule file"),
        (["-r", str(rules)], included, "rule file"),
        (["--waivers", str(waivers)], waivers, "waiver file"),
        (["--schema", str(schema), "-r", str(rules)], schema, "schema"),
    ]
    for options, output, role in cases:
        before = _digest(output)
        done = rulecheck("check", str(doc), *options, "-o", str(output), "--lang", "en", "-q")
        assert done.returncode == 2, (options, output, done.stderr)
        assert f"also an input ({role}" in done.stderr, done.stderr
        assert _digest(output) == before
    _no_temporaries(rules)
    _no_temporaries(tmp_path)


def test_waive_output_onto_a_document_is_a_usage_error(tmp_path: Path) -> None:
    doc = tmp_path / "doc.json"
    shutil.copy(SEED, doc)
    before = _digest(doc)
    done = rulecheck("waive", str(doc), "-o", str(doc))
    assert done.returncode == 2, done.stderr
    assert _digest(doc) == before
    done = rulecheck("waive", str(doc), "-o", str(tmp_path / "w.toml"))  # its own file: fine
    assert done.returncode == 0, done.stderr
    assert "[[waiver]]" in (tmp_path / "w.toml").read_text(encoding="utf-8")
    _no_temporaries(tmp_path)


def test_a_failed_run_leaves_the_previous_output_and_a_complete_one_replaces_it(
    tmp_path: Path,
) -> None:
    doc = tmp_path / "doc.json"
    shutil.copy(SEED, doc)
    out = tmp_path / "report.json"
    out.write_text("previous\n", encoding="utf-8")
    out.chmod(0o640)
    bad = tmp_path / "bad.rules"
    bad.write_text("这不是规则\n", encoding="utf-8")
    done = rulecheck("check", str(doc), "-r", str(bad), "-o", str(out), "--format", "json")
    assert done.returncode == 3, done.stderr
    assert out.read_text(encoding="utf-8") == "previous\n"
    _no_temporaries(tmp_path)
    done = rulecheck("check", str(doc), "-o", str(out), "--format", "json", "-q")
    assert done.returncode == 1, done.stderr
    assert out.read_text(encoding="utf-8").startswith("{")
    assert out.stat().st_mode & 0o777 == 0o640  # the file's own permissions kept
    _no_temporaries(tmp_path)
    done = rulecheck("check", str(doc), "-o", "/dev/null", "-q")  # not a regular file: as is
    assert done.returncode == 1, done.stderr


def test_atomic_file_discards_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), AtomicFile(target) as out:
        out.file.write("half")
        raise RuntimeError
    assert target.read_text(encoding="utf-8") == "old"
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    _no_temporaries(tmp_path)
