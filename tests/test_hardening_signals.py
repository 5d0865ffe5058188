"""Hardening (issue 17), signals and pipes: SIGTERM stops a run as Ctrl-C does (the loader's
worker processes stopped, the partial report, exit 143; an ``-o`` file left as it was), and
a standard output closed by its reader (``rulecheck check … | head -1``) stops the run
promptly, exit 141, without a traceback (checker/signals.py).

Each run is a real ``rulecheck`` subprocess under a timeout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.cli_run import ROOT

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
TIMEOUT = 120  # seconds a run may take to stop
# 161 kB each: 700 documents pass the loader's 100 MB threshold for worker processes
MANY = 700

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and pipes")


def _copies(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        target = folder / f"doc_{i:04d}.json"
        try:
            os.link(SEED, target)  # cheap where the file system allows it
        except OSError:
            target.write_bytes(SEED.read_bytes())
    return folder


def _start(*args: str, stdout: int | None = subprocess.PIPE) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "checker.cli", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )


def _children(pid: int) -> set[int]:
    """The live (not zombie) child processes of ``pid``."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return {c for c in found if _alive(c)}


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def _wait(proc: subprocess.Popen[bytes]) -> tuple[bytes, str]:
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"rulecheck did not stop within {TIMEOUT} s")
    return out, err.decode("utf-8", "replace")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_sigterm_stops_workers_keeps_the_old_output_and_exits_143(tmp_path: Path) -> None:
    folder = _copies(tmp_path / "docs", MANY)
    out = tmp_path / "report.txt"
    out.write_text("previous\n", encoding="utf-8")
    proc = _start("check", str(folder), "-q", "--batch-size", "100", "-o", str(out))
    workers: set[int] = set()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        workers |= _children(proc.pid)
        if len(workers) >= 2:  # the loader's workers (and multiprocessing's tracker) run
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before SIGTERM"
    assert workers, "no worker process was started"
    proc.send_signal(signal.SIGTERM)
    _, err = _wait(proc)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert "已中断：已检查 " in err, err
    done = int(err.split("已检查 ")[1].split(" ")[0])
    assert 0 <= done < MANY  # the partial report: the batches done
    assert f"{out} 保持原样" in err
    assert out.read_text(encoding="utf-8") == "previous\n"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    time.sleep(0.5)  # an orphan is reparented, not killed: give stragglers time to show
    assert not [w for w in workers if _alive(w)], "a worker process outlived the run"


def test_sigterm_without_output_file_prints_the_partial_report(tmp_path: Path) -> None:
    folder = _copies(tmp_path / "docs", 40)
    proc = _start("check", str(folder), "--format", "jsonl", "--batch-size", "1", "-q")
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first batch is out
    assert b'"rule"' in first
    proc.send_signal(signal.SIGTERM)
    guard = threading.Timer(TIMEOUT, proc.kill)  # a run that does not stop fails, not hangs
    guard.start()
    try:  # the rest through the same buffered reader as the first line
        rest = proc.stdout.read()
        assert proc.stderr is not None
        err = proc.stderr.read().decode("utf-8", "replace")
        proc.wait()
    finally:
        guard.cancel()
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "已中断" in err
    done = int(err.split("已检查 ")[1].split(" ")[0])
    lines = [json.loads(line) for line in (first + rest).split(b"\n") if line.strip()]
    assert 1 <= done < 40 and len({line["path"] for line in lines}) == done  # whole batches


def test_closed_stdout_stops_promptly_without_traceback(tmp_path: Path) -> None:
    """``rulecheck check … --format jsonl | head -1``: the reader takes one line and goes."""
    folder = _copies(tmp_path / "docs", 200)
    proc = _start("check", str(folder), "--format", "jsonl", "--batch-size", "1", "-q")
    assert proc.stdout is not None
    assert b'"rule"' in proc.stdout.readline()
    proc.stdout.close()  # head -1 has its line
    started = time.monotonic()
    try:
        err = proc.communicate(timeout=TIMEOUT)[1].decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("rulecheck kept running with its standard output closed")
    assert proc.returncode == 141, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert time.monotonic() - started < 30  # not the whole run of 200 documents


def test_closed_stdout_before_a_text_report_stops_after_the_batch(tmp_path: Path) -> None:
    """``rulecheck check … | true``: the text report is written at the end, but the run
    does not check every batch for a reader that has gone."""
    folder = _copies(tmp_path / "docs", 200)
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the run starts
    try:
        proc = _start("check", str(folder), "--batch-size", "1", "-q", stdout=write)
    finally:
        os.close(write)
    err = _wait(proc)[1]
    assert proc.returncode == 141, err
    assert "Traceback" not in err and err.strip() == "", err
