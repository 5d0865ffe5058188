"""Issue 17, special files: every input file (documents, rules, waivers, schemas, case
files, PDFs) must be a regular file under the ``--max-bytes`` limit. A FIFO or a device is
refused at once with one clear message and its exit code, never waited on or read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from cli_run import ROOT, rulecheck

from checker.files import InputFileError, read_input

TIMEOUT = 60  # seconds: a run that waits on a FIFO or reads /dev/zero fails here
RULE = 'in 收支总表:\n  rule T-01 "收入总计 = 支出总计":\n    收入总计 = 支出总计\n'

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> CompletedProcess[str]:
    """``rulecheck ARGS --lang en`` in ``cwd`` (its own cache folder), killed after TIMEOUT s."""
    own = {"RULECHECK_CACHE_DIR": str(cwd / "cache"), **(env or {})}
    return rulecheck(*args, "--lang", "en", cwd=cwd, env=own, timeout=TIMEOUT)


@pytest.fixture
def place(tmp_path: Path) -> Path:
    """A document, a ruleset and a FIFO of each kind of input in ``tmp_path``."""
    shutil.copy(ROOT / "rulesets" / "部门预算" / "tests" / "base.json", tmp_path / "doc.json")
    (tmp_path / "r.rules").write_text(RULE, encoding="utf-8")
    for name in ("fifo.rules", "fifo.toml", "fifo.schema.json", "fifo.json", "fifo.pdf"):
        os.mkfifo(tmp_path / name)
    return tmp_path


def refused(proc: CompletedProcess[str], path: str, kind: str, code: int) -> None:
    message = f"{path} is not a regular file ({kind}): not read"
    assert proc.returncode == code, (proc.returncode, proc.stderr, proc.stdout)
    assert message in proc.stderr + proc.stdout


SPECIAL = [("fifo", "a FIFO"), ("/dev/zero", "a character device")]


@pytest.mark.parametrize(("name", "kind"), SPECIAL)
def test_rule_file(place: Path, name: str, kind: str) -> None:
    path = "fifo.rules" if name == "fifo" else name
    refused(run("lint", path, cwd=place), path, kind, 3)
    refused(run("check", "doc.json", "-r", path, cwd=place), path, kind, 3)


@pytest.mark.parametrize(("name", "kind"), SPECIAL)
def test_waiver_file(place: Path, name: str, kind: str) -> None:
    path = "fifo.toml" if name == "fifo" else name
    proc = run("check", "doc.json", "-r", "r.rules", "--waivers", path, cwd=place)
    refused(proc, path, kind, 3)


@pytest.mark.parametrize(("name", "kind"), SPECIAL)
def test_schema(place: Path, name: str, kind: str) -> None:
    path = "fifo.schema.json" if name == "fifo" else name
    refused(run("validate", "doc.json", "--schema", path, cwd=place), path, kind, 2)
    refused(run("lint", "r.rules", "--schema", path, cwd=place), path, kind, 2)


@pytest.mark.parametrize(("name", "kind"), SPECIAL)
def test_document(place: Path, name: str, kind: str) -> None:
    path = "fifo.json" if name == "fifo" else name
    refused(run("validate", path, cwd=place), path, kind, 4)
    refused(run("check", path, "-r", "r.rules", cwd=place), path, kind, 4)


def test_pdf(place: Path) -> None:
    refused(run("import", "fifo.pdf", cwd=place), "fifo.pdf", "a FIFO", 4)
    refused(run("check", "fifo.pdf", "-r", "r.rules", cwd=place), "fifo.pdf", "a FIFO", 4)


def test_case_file(place: Path) -> None:
    os.mkfifo(place / "r.cases.json")
    refused(run("test", "r.rules", cwd=place), "r.cases.json", "a FIFO", 4)


def test_case_file_base_document(place: Path) -> None:
    (place / "r.cases.json").write_text(
        '{"base": "fifo.json", "cases": [{"name": "x", "expect": {"T-01": "pass"}}]}',
        encoding="utf-8",
    )
    proc = run("test", "r.rules", cwd=place)
    assert proc.returncode == 4 and "fifo.json is not a regular file (a FIFO)" in proc.stdout


def test_oversized_rule_file(place: Path) -> None:
    size = (place / "r.rules").stat().st_size
    proc = run("lint", "r.rules", "--max-bytes", "20", cwd=place)
    assert proc.returncode == 3
    assert f"r.rules is too large ({size} bytes, limit 20): not read" in proc.stdout
    assert "raise the limit with --max-bytes" in proc.stdout
    assert "收入总计" not in proc.stdout  # not read, so not shown
    # the option the message names raises it; so does the environment
    assert run("lint", "r.rules", "--max-bytes", str(size), cwd=place).returncode == 0
    env = {"RULECHECK_MAX_BYTES": "20"}
    assert "too large" in run("check", "doc.json", "-r", "r.rules", cwd=place, env=env).stderr


def test_oversized_waiver_file_and_document(place: Path) -> None:
    (place / "w.toml").write_text("# nothing waived\n" * 10, encoding="utf-8")
    proc = run(
        "check", "doc.json", "-r", "r.rules", "--waivers", "w.toml", "--max-bytes", "100", cwd=place
    )
    assert proc.returncode == 3 and "w.toml is too large (170 bytes, limit 100)" in proc.stderr
    # the shipped schema and rules are held to the default limit, not to --max-bytes
    proc = run("validate", "doc.json", "--max-bytes", "100", cwd=place)
    assert proc.returncode == 4 and "raise the limit with --max-bytes" in proc.stdout
    assert "budget-document.schema.json" not in proc.stdout + proc.stderr


def test_explain_document_is_held_to_max_bytes(place: Path) -> None:
    """``explain --document`` reads its document under --max-bytes as ``check`` does, from
    a file or from standard input."""
    size = (place / "doc.json").stat().st_size
    for document, stdin in (("doc.json", None), ("-", (place / "doc.json").read_bytes())):
        args = ("explain", "T-01", "-r", "r.rules", "--document", document)
        proc = rulecheck(
            *args, "--max-bytes", "100", "--lang", "en", cwd=place, stdin=stdin, timeout=TIMEOUT
        )
        assert proc.returncode == 4, (proc.stdout, proc.stderr)
        assert "raise the limit with --max-bytes" in proc.stdout + proc.stderr
        ok = rulecheck(*args, "--max-bytes", str(size), cwd=place, stdin=stdin, timeout=TIMEOUT)
        assert ok.returncode == 0, (ok.stdout, ok.stderr)


def test_read_input(tmp_path: Path) -> None:
    path = tmp_path / "a.rules"
    path.write_bytes(b"12345")
    assert read_input(path) == b"12345"
    with pytest.raises(InputFileError) as too_large:
        read_input(path, limit=4)
    assert too_large.value.code == "input.too-large"
    with pytest.raises(InputFileError) as device:
        read_input("/dev/zero")
    assert device.value.code == "input.not-regular"
    with pytest.raises(InputFileError) as folder:
        read_input(tmp_path)
    assert folder.value.code == "input.not-regular"
    with pytest.raises(InputFileError) as missing:
        read_input(tmp_path / "nothing")
    assert missing.value.missing


def test_a_limit_far_above_memory_reads_only_the_file(tmp_path: Path) -> None:
    """--max-bytes 1 TiB (a columnar document's tables) must not allocate a buffer of the
    limit's size for a small rule or waiver file (issue 20: it raised MemoryError)."""
    from checker.files import read_input

    small = tmp_path / "small.txt"
    small.write_bytes(b"x" * 100)
    assert read_input(small, 1 << 50) == b"x" * 100


def test_every_command_that_reads_input_has_max_bytes(tmp_path: Path) -> None:
    """Issue 20: the messages point at --max-bytes, so every command reading files has it."""
    commands = ["validate", "lint", "import", "check", "waive", "explain", "coverage", "test"]
    commands.append("analyze")
    for command in commands:
        done = run(command, "--help", cwd=tmp_path)
        assert done.returncode == 0, (command, done.stderr)
        assert "--max-bytes" in done.stdout, command
    assert "--max-bytes" not in run("templates", "--help", cwd=tmp_path).stdout  # reads none
