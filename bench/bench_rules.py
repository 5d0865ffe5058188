"""Rule-language benchmark (issue 3): parse + resolve the default ruleset in a warm process.

Measures, in one process: building the parser (first use; lark's cache makes later
processes faster), then ``--repeat`` warm runs of ``load_ruleset`` on the bundled
部门预算 ruleset (parse every file, follow includes, resolve every name). Writes the
figures to bench/RESULTS.md under "## Rules (issue 3)" (goal: warm < 100 ms).

    python -m bench.bench_rules [--repeat 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import time
from pathlib import Path

from bench.bench_check import ROOT, _write_section

SECTION = "## Rules (issue 3)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    start = time.perf_counter()
    from checker import syntax

    syntax.parser()
    build = time.perf_counter() - start
    from checker.api import default_rules_path
    from checker.resolve import load_ruleset
    from checker.template import load_template

    template = load_template()
    path: Path = default_rules_path()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        ruleset, _diags = load_ruleset([path], template)
        times.append(time.perf_counter() - t0)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    files = len(list(path.glob("*.rules")))
    section = f"""{SECTION}

Command: `python -m bench.bench_rules --repeat {args.repeat}` — {dt.date.today()}, commit {commit}.
The default ruleset: {files} files, {len(ruleset.rules)} rules after column templates expand.

| measurement | time |
|---|---:|
| parser ready in this process (built once, or loaded from lark's cache) | {build * 1000:.0f} ms |
| parse + resolve, warm, median of {args.repeat} | {statistics.median(times) * 1000:.0f} ms |
| parse + resolve, warm, best | {min(times) * 1000:.0f} ms |

Goal: warm parse + resolve < 100 ms. The grammar is never rebuilt per run: one parser
per process (`checker.syntax.parser()`), cached on disk by lark between processes.
"""
    _write_section(SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
