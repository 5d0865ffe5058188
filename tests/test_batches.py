"""Batches: the same answers whatever the batch size; JSON Lines stream out; Ctrl-C stops
cleanly with the report of what was checked."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from checker.api import check, load_rules

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
KEYS = ["document", "rule", "row", "column", "status", "lhs", "rhs", "reason"]


def _copies(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        shutil.copy(SEED, folder / f"doc_{i:03d}.json")
    return folder


def test_batch_size_changes_nothing_but_memory(tmp_path: Path) -> None:
    folder = _copies(tmp_path / "docs", 3)
    rules = load_rules()
    whole = check([str(folder)], rules)
    batched = check([str(folder)], rules, batch_size=1, keep=["fail", "error", "rounding"])
    assert whole.summary() == batched.summary()
    assert whole.summary()["fail"] == 3 * 19 and whole.summary()["documents"] == 3
    wanted = pl.col("status").is_in(["fail", "error", "rounding"])
    a = whole.frame.filter(wanted).select(KEYS).sort(KEYS, nulls_last=True)
    b = batched.frame.select(KEYS).sort(KEYS, nulls_last=True)
    assert a.equals(b)
    assert whole.results.per_document().equals(batched.results.per_document())
    assert batched.batch_summary() == whole.batch_summary()
    summary = batched.to_dict("en")["batch"]  # the JSON report carries the batch summary
    assert [d["fail"] for d in summary["worst_documents"]] == [19, 19, 19]
    assert sum(r["fail"] for r in summary["rules"]) == 57
    assert all(r["documents"] == 3 for r in summary["rules"])


def _rulecheck(*args: str) -> list[str]:
    exe = shutil.which("rulecheck")
    return [exe, *args] if exe else [sys.executable, "-m", "checker.cli", *args]


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_jsonl_streams_and_ctrl_c_stops_with_the_partial_report(tmp_path: Path) -> None:
    folder = _copies(tmp_path / "docs", 40)
    proc = subprocess.Popen(
        _rulecheck("check", str(folder), "--format", "jsonl", "--batch-size", "1", "-q"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()  # the first batch's results arrive before the run ends
    assert '"rule"' in first
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out = proc.stdout.read()  # the rest, through the same buffered reader as the first line
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, err
    assert "Traceback" not in err
    assert "已中断" in err
    assert "已检查 " in err, err
    done = int(err.split("已检查 ")[1].split(" ")[0])
    assert 1 <= done < 40
    lines = [first, *out.splitlines()]
    per_document = 35  # the seed's fail, error and rounding results (see test_cli_check)
    assert len([line for line in lines if line.strip()]) == done * per_document
    assert all(SEED.name not in line for line in lines)  # every line is a copy's


def test_collection_is_paused_only_until_the_first_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`check` runs without cyclic garbage collection until its first batch is checked
    (start-up makes many objects and no garbage), then freezes what lives then and
    collects for the rest of the run and after."""
    import gc

    from typer.testing import CliRunner

    import checker.api
    from checker.cli import app

    folder = _copies(tmp_path / "docs", 3)
    seen: list[tuple[str, bool]] = []
    real_check = checker.api.check

    def spying_check(*args: object, **kwargs: object) -> object:
        seen.append(("start", gc.isenabled()))
        on_batch = kwargs["on_batch"]

        def spy(*batch_args: object) -> None:
            seen.append(("batch", gc.isenabled()))
            on_batch(*batch_args)  # type: ignore[operator]
            seen.append(("after", gc.isenabled()))

        kwargs["on_batch"] = spy
        return real_check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(checker.api, "check", spying_check)
    assert gc.isenabled()
    try:
        done = CliRunner().invoke(app, ["check", str(folder), "--batch-size", "1", "-q"])
        frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()  # this test process's objects: collectable again
    assert done.exit_code == 1, done.output
    assert seen[:3] == [("start", False), ("batch", False), ("after", True)]
    assert all(enabled for _, enabled in seen[3:]) and len(seen) == 7
    assert gc.isenabled()
    assert frozen > 10_000  # start-up's objects are frozen, not traversed again
