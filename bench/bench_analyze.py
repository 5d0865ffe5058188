"""Ruleset analysis benchmark (issue 18): ``rulecheck analyze`` on every shipped ruleset.

Per ruleset, in one warm process: the rules analysed and their instances, the linear
programs HiGHS solved (``scipy.optimize.linprog`` calls), and the time of
``checker.analysis.analyze`` (best and median of ``--repeat``), then one cold run of the
command line. Writes the figures to bench/RESULTS.md under "## Ruleset analysis (issue 18)".

    python -m bench.bench_analyze [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.bench_check import ROOT, _write_section

SECTION = "## Ruleset analysis (issue 18)"
RULESETS = ("部门预算", "部门预算-上海", "部门决算-上海", "部门预算-江苏2019")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import scipy
    import scipy.optimize

    from checker.analysis import analyze
    from checker.api import load_rules
    from checker.documents import load_schema
    from checker.documents.registry import template_of_rules

    calls = 0
    solve = scipy.optimize.linprog

    def counted(*a: Any, **k: Any) -> Any:
        nonlocal calls
        calls += 1
        return solve(*a, **k)

    scipy.optimize.linprog = counted  # the solver imports it when it solves
    load = os.getloadavg()[0]
    rows = []
    for name in RULESETS:
        path = str(ROOT / "rulesets" / name)
        found = template_of_rules(path)
        schema = str(found.schema_file) if found is not None else None
        rules = load_rules([path], schema=schema)
        spec = load_schema(schema)
        times, cpu = [], []
        for _ in range(args.repeat):
            calls = 0
            t0, c0 = time.perf_counter(), time.process_time()
            result = analyze(rules, [path], spec)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        analysed = sum(r.reason is None for r in result.model.rules)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "checker.cli", "analyze", path],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=False,
        )
        cold = time.perf_counter() - t0
        rows.append(
            f"| {name} | {len(result.model.rules)} | {analysed} | {len(result.model.instances)} "
            f"| {len(result.redundancies)} | {calls} | {min(cpu):.2f} s | {min(times):.2f} s "
            f"| {statistics.median(times):.2f} s | {cold:.2f} s |"
        )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    table = "\n".join(rows)
    section = f"""{SECTION}

Command: `python -m bench.bench_analyze --repeat {args.repeat}` — {dt.date.today()}, commit
{commit}, {os.cpu_count()} cores (load average {load:.1f} when it started),
scipy {scipy.__version__} (HiGHS).

| ruleset | rules | analysed | instances | redundant | LPs | CPU | best | median | CLI, cold |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|
{table}

"CPU" (least of the runs), "best", "median" (wall clock): `checker.analysis.analyze` in a
warm process; on a shared machine the CPU time is the steadier figure. "CLI, cold": one run of
`rulecheck analyze` (start-up and loading the rules included). Each LP is small (one group
of rules sharing figures) and costs a few ms, much of it scipy's setup around HiGHS. Most
go to proving each redundancy: does the rule follow (one or two LPs), a short certificate
(one), irreducible (linear algebra for independent equalities, else a deletion filter: an
LP or two per implying rule), with rounding too, and which redundant rules can go together.
The first version took 3.9 s of CPU and ~1,500 LPs on 部门预算: the deletion filters ran on
every implying set and each question built its own program. `tests/test_analyze.py`
analyses each shipped ruleset once.
"""
    _write_section(SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
