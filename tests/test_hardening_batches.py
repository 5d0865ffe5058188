"""Hardening (issue 17), memory: ``coverage`` and ``validate`` run in batches like ``check``
(``--batch-size``), so memory is bounded by the batch; their output is the same whatever
the batch size. (The memory itself, 1,000 against 5,000 documents: bench/bench_memory.py,
bench/RESULTS.md.)

Six documents (generated ones, the seed, a broken file and an NDJSON pair, one of them
invalid), three batches of two against one batch: the same bytes on stdout and stderr and
the same exit code, through the real command line (tests/cli_run.py: a subprocess with a
120 s timeout, no traceback allowed); and the library's sum of batches against one batch,
with only the first few uncovered cells kept."""

from __future__ import annotations

import json
import shutil
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from bench.generate import generate_document
from checker.api import load_rules
from checker.coverage import CoverageSum, batch_coverage, render_json, render_text
from checker.documents import iter_batches, load_documents
from tests.cli_run import ROOT, rulecheck

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
# a few rules of each kind coverage reads: an aggregate with a filter, a cell reference,
# a per-row rule, a roll-up: most cells stay uncovered (more than the text report lists)
RULES = """\
ruleset "分批" version "1"
precision 0.01 万元

alias 经济表 = 支出经济分类汇总表
alias 一般表 = 一般公共预算支出情况表

for each row in 三公经费支出情况表:
  rule T-01 "三公经费不少于表七 30231":
    合计 >= sum(经济表.一般公共预算.小计 where 部门经济分类编码 = "30231")

rule T-02 "合计行 = 各项级科目之和":
  一般表[合计].合计 = sum(一般表.合计 where length(科目编码) = 7)

rollup T-03 "功能分类逐级汇总" in 一般表 by 科目编码 levels 3, 5, 7
"""


@pytest.fixture(autouse=True)
def _timeout() -> Iterator[None]:
    """Every test here under a timeout (the subprocesses have their own, 120 s)."""
    if not hasattr(signal, "SIGALRM"):  # pragma: no cover - not POSIX
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("test took over 300 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(300)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a folder of six documents in input order, the rules file)."""
    root = tmp_path_factory.mktemp("batches")
    folder = root / "docs"
    folder.mkdir()
    for i in range(2):
        text = json.dumps(generate_document(7, i), ensure_ascii=False)
        (folder / f"a{i}.json").write_text(text, encoding="utf-8")
    shutil.copy(SEED, folder / "b_seed.json")
    (folder / "c_broken.json").write_text('{"meta": ', encoding="utf-8")
    pair: list[dict[str, Any]] = [generate_document(7, 2), generate_document(7, 3)]
    pair[1]["tables"] = "oops"  # schema-invalid: reported, left out of the frames
    lines = [json.dumps(doc, ensure_ascii=False) for doc in pair]
    (folder / "d_pair.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rules = root / "few.rules"
    rules.write_text(RULES, encoding="utf-8")
    return folder, rules


def _both(*args: str) -> tuple[Any, Any]:
    """The command in one batch and in batches of two, run side by side."""
    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(rulecheck, *args)
        two = pool.submit(rulecheck, *args, "--batch-size", "2")
        return one.result(), two.result()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_coverage_in_batches_of_two_is_coverage_in_one(inputs: tuple[Path, Path], fmt: str) -> None:
    folder, rules = inputs
    one, two = _both("coverage", str(folder), "-r", str(rules), "--format", fmt, "--lang", "en")
    assert one.returncode == two.returncode == 4  # two invalid documents
    assert (one.stdout, one.stderr) == (two.stdout, two.stderr)
    assert one.stderr.count("c_broken.json") == 1 and "d_pair.ndjson:2" in one.stderr
    if fmt == "json":
        found = json.loads(one.stdout)
        assert found["documents"] == 4
        assert len(found["uncovered"]) == found["total"]["cells"] - found["total"]["covered"]
        assert len(found["uncovered"]) > 200 and found["total"]["covered"] > 0
    else:  # the first 200 uncovered cells listed, the rest counted
        assert "4 document(s), 3 rules:" in one.stdout and "  … (+" in one.stdout


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_validate_in_batches_of_two_is_validate_in_one(inputs: tuple[Path, Path], fmt: str) -> None:
    folder, _ = inputs
    one, two = _both("validate", str(folder), "--format", fmt)
    assert one.returncode == two.returncode == 4
    assert (one.stdout, one.stderr) == (two.stdout, two.stderr)
    if fmt == "json":
        found = json.loads(one.stdout)
        assert found["summary"] == {"files": 5, "documents": 6, "valid": 4, "invalid": 2}
        assert [d["valid"] for d in found["documents"]] == [True, True, True, False, True, False]
    else:
        assert one.stdout.endswith("5 个文件（6 个文档）, 4 个有效, 2 个无效\n")


def test_coverage_summed_over_batches_keeps_counts_exact_and_few_cells(
    inputs: tuple[Path, Path],
) -> None:
    folder, rules_file = inputs
    rules = load_rules([str(rules_file)])
    whole = batch_coverage(rules.ruleset, rules.template, load_documents([str(folder)], jobs=1))
    with closing(CoverageSum(rules.template, keep=5, spool=True)) as total:
        batches = 0
        for batch in iter_batches([str(folder)], size=2, jobs=1):
            total.add(batch_coverage(rules.ruleset, rules.template, batch))
            batches += 1
        summed = total.coverage()
        spooled = Path(folder.parent / "coverage.json")
        with spooled.open("w", encoding="utf-8") as sink:
            total.write_json(sink)
    assert batches == 3
    assert summed.tables == whole.tables and summed.documents == whole.documents == 4
    assert summed.uncovered.equals(whole.uncovered.head(5))  # only the first few held
    assert render_text(summed, "en", limit=5) == render_text(whole, "en", limit=5)
    assert spooled.read_text(encoding="utf-8") == render_json(whole)  # every cell listed
    assert whole.uncovered.height == whole.cells - whole.covered > 200
