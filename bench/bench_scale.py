"""Scale benchmark (issue 7): 1k, 10k and 100k documents through ``rulecheck check``; cold start.

The corpus is one NDJSON file of synthetic seed-sized documents
(bench/generate.py, seed 1, consistent by construction), written once to
``bench/out/scale-seed{S}-n{N}.ndjson``; the smaller sizes are its first lines,
so every size reads the same kind of input. Each run is the real entry point,
``rulecheck check FILE -q``, in a fresh process with the default ruleset and
batch size. While it runs, the resident memory of its whole process tree (the
main process and any loading workers) is sampled every 0.1 s: the figure is the
peak of that sum, so it counts every worker, not just the largest process.

Cold start: ``rulecheck check examples/<seed>.json -q`` against
``python -c "import polars, lark, jsonschema, typer"``, alternated, median of
``--repeat`` runs each, in the same run (same machine load), and the median of
each pair's own ratio (this shared machine's speed drifts by tens of per cent
within a minute; a pair is a second apart). The rule and engine
caches are warmed first (a user's second run; the first run of a new ruleset
parses and compiles it), and the checker package is byte-compiled first, as
``pip install .`` leaves it.

Writes time, documents/s and peak memory per size, the per-document time ratio
100k ÷ 10k (goal ≤ 1.2x) and the cold-start ratio (goal ≤ 1.5x) to
bench/RESULTS.md under "## Scale (issue 7)", keeping the other sections.

    python -m bench.bench_scale [--sizes 1000 10000 100000] [--seed 1] [--repeat 21]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.bench_check import _write_section

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SECTION = "## Scale (issue 7)"
SEED_DOCUMENT = ROOT / "examples" / "000_afa05cab7739910b.json"
IMPORTS = "import polars, lark, jsonschema, typer"


def _rulecheck() -> list[str]:
    exe = shutil.which("rulecheck")
    return [exe] if exe else [sys.executable, "-m", "checker.cli"]


def _corpus(size: int, largest: int, seed: int) -> Path:
    """The first ``size`` lines of the largest corpus (generated once)."""
    full = OUT / f"scale-seed{seed}-n{largest}.ndjson"
    if not full.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                *(sys.executable, "-m", "bench.generate", "--count", str(largest)),
                *("--seed", str(seed), "--ndjson", str(full)),
            ],
            cwd=ROOT,
            check=True,
        )
    if size == largest:
        return full
    part = OUT / f"scale-seed{seed}-n{size}.ndjson"
    if not part.exists():
        with full.open("rb") as src, part.open("wb") as dst:
            for _, line in zip(range(size), src, strict=False):
                dst.write(line)
    return part


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, KiB (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                stack.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


def run_measured(command: list[str]) -> tuple[float, float, int]:
    """(seconds, peak MiB of the process tree, exit code) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kib(proc.pid))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{stderr}")
    return seconds, peak / 1024, proc.returncode


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def cold_start(repeat: int) -> tuple[float, float, float]:
    """Median seconds of (one-document check, bare imports), alternated, and the median
    of each pair's ratio (a check ÷ the imports run right after it: the same machine
    state, which on a shared machine drifts within a run)."""
    check = [*_rulecheck(), "check", str(SEED_DOCUMENT), "-q"]
    imports = [sys.executable, "-c", IMPORTS]
    # Bytecode for the checker package, as `pip install .` leaves it: an editable install
    # under PYTHONDONTWRITEBYTECODE=1 would otherwise compile every module on every run.
    import checker

    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(Path(checker.__file__).parent)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _timed(check)  # warms the rule and engine caches and the OS file cache
    ours, bare = [], []
    for _ in range(repeat):
        ours.append(_timed(check))
        bare.append(_timed(imports))
    pairs = [o / b for o, b in zip(ours, bare, strict=True)]
    return statistics.median(ours), statistics.median(bare), statistics.median(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    # a user's second run: the rule and engine caches hold this ruleset (the first run
    # of a new ruleset or compiler parses and compiles it, ~2 s)
    subprocess.run(
        [*_rulecheck(), "check", str(SEED_DOCUMENT), "-q"], cwd=ROOT, capture_output=True
    )
    rows, per_doc = [], {}
    for size in sizes:
        path = _corpus(size, sizes[-1], args.seed)
        seconds, peak, code = run_measured([*_rulecheck(), "check", str(path), "-q"])
        per_doc[size] = seconds / size
        rows.append(
            f"| {size:,} | {seconds:.1f} | {size / seconds:,.1f} | {peak:,.0f} MiB | {code} |"
        )
        print(rows[-1], flush=True)
    ours, bare, paired = cold_start(args.repeat)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    sizes_arg = " ".join(str(s) for s in sizes)
    command = (
        f"python -m bench.bench_scale --sizes {sizes_arg} --seed {args.seed} --repeat {args.repeat}"
    )
    lines = []
    if len(sizes) >= 2:
        big, mid = sizes[-1], sizes[-2]
        ratio = per_doc[big] / per_doc[mid]
        lines.append(
            f"- Time per document at {big:,} ÷ at {mid:,}: **{ratio:.2f}x** (goal ≤ 1.2x: "
            "time grows linearly)."
        )
    lines.append(
        f"- Cold start, median of {args.repeat}: `rulecheck check {SEED_DOCUMENT.name} -q` "
        f'{ours:.2f} s ÷ `python -c "{IMPORTS}"` {bare:.2f} s = **{ours / bare:.2f}x** '
        f"(goal ≤ 1.5x); the median of the {args.repeat} pairs' own ratios: **{paired:.2f}x**."
    )
    body = "\n".join(rows)
    notes = "\n".join(lines)
    section = f"""{SECTION}

Command: `{command}` — {dt.date.today()}, commit {commit}, {os.cpu_count()} cores,
Python {platform.python_version()}. Input: one NDJSON file per size (the first lines
of the {sizes[-1]:,}-document corpus from bench/generate.py, seed {args.seed}); each run
is `rulecheck check FILE -q` in a fresh process (default ruleset, default batch size,
rule and engine caches warm). Peak memory is the sampled peak of the whole process
tree (main + loading workers).
Cold start: the two commands alternated in the same run, rule and engine caches warm
(a user's second run), the checker package byte-compiled as `pip install .` leaves it.

| documents | seconds | documents/s | peak memory | exit |
|---:|---:|---:|---:|---:|
{body}

{notes}
"""
    _write_section(SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
