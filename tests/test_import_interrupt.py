"""Ctrl-C stops ``rulecheck import`` of a folder cleanly (issue 14).

A folder of 30 links to one corpus PDF is imported in a subprocess; SIGINT is sent as
soon as the first document is written. The run must exit 130 (as shells report Ctrl-C;
``INTERRUPTED`` in cli.py) with one short line on stderr and no traceback, leave only
complete ``<id>.json`` files (no temporary or half-written file) or, on stdout, only
complete NDJSON lines, and leave its input untouched. Skips without ../shared/corpus.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli_run import ROOT

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SOURCE = CORPUS / "01-putuo-govoffice-2025-dept-budget.pdf"  # 22 pages, ~0.1 s to import
COPIES = 30
TIMEOUT = 30  # seconds; the whole test takes about 2

needs_corpus = pytest.mark.skipif(
    not SOURCE.is_file(), reason="../shared/corpus (the real published PDFs) is not present"
)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(COPIES):
        target = folder / f"doc-{i:02d}.pdf"
        try:
            os.link(SOURCE, target)  # a hard link where the file system allows it
        except OSError:
            target.write_bytes(SOURCE.read_bytes())
    return folder


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "checker.cli", "import", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )


def _interrupt(proc: subprocess.Popen[bytes]) -> tuple[bytes, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("rulecheck import did not stop within 30 s of Ctrl-C")
    return out, err.decode("utf-8", "replace")


def _assert_stopped_cleanly(proc: subprocess.Popen[bytes], stderr: str) -> None:
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    # the documents' import warnings (if any), then one short line
    assert lines[-1] == "已中断 / interrupted", stderr
    assert all(": 警告: " in line for line in lines[:-1]), stderr


@needs_corpus
def test_ctrl_c_into_a_folder(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    before = _digests(folder)
    out = tmp_path / "out"
    proc = _start(str(folder), "-o", str(out))
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (out.is_dir() and any(p.suffix == ".json" for p in out.iterdir())):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                _, err = proc.communicate()
                pytest.fail(f"no document written (exit {proc.returncode}): {err!r}")
            time.sleep(0.01)
    except BaseException:
        proc.kill()
        raise
    _, stderr = _interrupt(proc)
    _assert_stopped_cleanly(proc, stderr)
    written = sorted(out.iterdir())
    assert 1 <= len(written) < COPIES, "the run was not stopped early"
    for path in written:  # only whole documents: no .tmp, no half-written JSON
        assert path.name.startswith("doc-") and path.suffix == ".json", path.name
        assert json.loads(path.read_bytes())["meta"]["template"]
    assert _digests(folder) == before


@needs_corpus
def test_ctrl_c_into_ndjson(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    proc = _start(str(folder), "-o", "-")
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()  # blocks until the first document is written
    except BaseException:
        proc.kill()
        raise
    assert first.endswith(b"\n"), first[:200]
    rest, stderr = _interrupt(proc)
    _assert_stopped_cleanly(proc, stderr)
    lines = (first + rest).splitlines()
    assert 1 <= len(lines) < COPIES
    for line in lines:  # every line a whole document
        assert json.loads(line)["meta"]["id"].startswith("doc-")


def test_an_interrupted_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C held back while a document is written; should the rename still be cut
    short, the temporary file is removed."""
    from checker import cli

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli._write_document({"meta": {"id": "doc"}}, tmp_path)
    assert list(tmp_path.iterdir()) == []
