"""Localization benchmark (issue 19): checking documents with findings, with and without
localization.

The corpus: seed-sized synthetic documents (bench/generate.py, consistent by
construction) each with one printed figure altered — a random non-empty amount cell of
a random table, changed by ±1, 2, 5, 10, 20, 50 or 100 万元 (never below 0) — so
every document has failures, written once as one NDJSON file
``bench/out/localize-seed{S}-n{N}.ndjson`` with the altered cells beside it
(``….truth.json``).

Each run is ``python -m checker.cli check FILE -q --format json -o OUT`` in a fresh
process (this checkout's code, default ruleset and batch size, caches warm), with
localization (the default) and with ``--no-localize``, alternated ``--repeat`` times:
wall time, and CPU time of the process tree (the run and its loading workers). The
machine is shared: the CPU time is the steadier figure, and the ratio of medians is
the headline. The last localized report is read back for what localization found:
the share of documents whose best candidate is exactly the altered cell with its
original value, whose candidates include it, and how many needed the mixed-integer
program.

Writes the figures to bench/RESULTS.md under "## Localization (issue 19)" (with
``--typos N``, N figures altered per document — the mixed-integer program's case — under a
section of its own).

    python -m bench.bench_localize [--count 10000] [--seed 0] [--repeat 3] [--typos 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.bench_check import _write_section

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
SECTION = "## Localization (issue 19)"
STEPS = (1, 2, 5, 10, 20, 50, 100)  # 万元: how far the altered figure is off


def altered(
    document: dict[str, Any], rng: random.Random, done: Sequence[dict[str, Any]] = ()
) -> dict[str, Any]:
    """Alter one non-empty amount cell of ``document`` in place (not one of ``done``);
    what was altered."""
    tables = sorted(t for t, v in document["tables"].items() if isinstance(v, dict) and v["rows"])
    while True:
        table = rng.choice(tables)
        rows = document["tables"][table]["rows"]
        index = rng.randrange(len(rows))
        cells = sorted(
            k
            for k, v in rows[index].items()
            if isinstance(v, int | float) and not isinstance(v, bool) and v
        )
        if not cells:
            continue
        column = rng.choice(cells)
        if any((c["table"], c["row"], c["column"]) == (table, index, column) for c in done):
            continue
        original = rows[index][column]
        step = rng.choice(STEPS) * rng.choice((1, -1))
        if original + step < 0:
            step = -step
        rows[index][column] = round(original + step, 2)
        return {"table": table, "row": index, "column": column, "original": original}


def corpus(count: int, seed: int, typos: int = 1) -> tuple[Path, Path]:
    """The NDJSON corpus and its truth file (generated once): ``typos`` figures altered in
    each document (the truth lists each document's first)."""
    from bench.generate import generate_document

    suffix = "" if typos == 1 else f"-typos{typos}"
    path = OUT / f"localize-seed{seed}-n{count}{suffix}.ndjson"
    truth = path.with_suffix(".truth.json")
    if path.exists() and truth.exists():
        return path, truth
    OUT.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    changes = []
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            document = generate_document(seed, index)
            found: list[dict[str, Any]] = []
            for _ in range(typos):
                found.append(altered(document, rng, found))
            changes.append({"id": document["meta"]["id"], **found[0], "all": found})
            out.write(json.dumps(document, ensure_ascii=False) + "\n")
    truth.write_text(json.dumps(changes, ensure_ascii=False), encoding="utf-8")
    return path, truth


def run(path: Path, report: Path, localize: bool) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of one check."""
    command = [sys.executable, "-m", "checker.cli", "check", str(path), "-q"]
    command += ["--format", "json", "-o", str(report)]
    if not localize:
        command.append("--no-localize")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def quality(report: Path, truth: Path) -> dict[str, int]:
    """How often the best candidate (or any candidate) holds the altered cells, restored."""
    changes = {c["id"]: c for c in json.loads(truth.read_text(encoding="utf-8"))}
    data = json.loads(report.read_text(encoding="utf-8"))
    found = {"documents": 0, "localized": 0, "best": 0, "among": 0, "program": 0, "proven": 0}
    for document in data["documents"]:
        change = changes.get(document["id"])
        if change is None:
            continue
        found["documents"] += 1
        entry = document.get("localization")
        if not entry or not entry["candidates"]:
            continue
        found["localized"] += 1
        found["proven"] += bool(entry["proven"])
        wanted = {
            (c["table"], c["row"], c["column"], round(c["original"], 2))
            for c in change.get("all", [change])
        }

        def hit(candidate: dict[str, Any], wanted: set[tuple[Any, ...]] = wanted) -> bool:
            named = {
                (c["table"], c["row"], c["column"], round(c["suggested"], 2))
                for c in candidate["cells"]
            }
            return wanted <= named

        found["best"] += hit(entry["candidates"][0])
        found["among"] += any(hit(c) for c in entry["candidates"])
        found["program"] += any(len(c["cells"]) > 1 for c in entry["candidates"])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--typos", type=int, default=1, help="figures altered per document")
    args = parser.parse_args()
    path, truth = corpus(args.count, args.seed, args.typos)
    report = path.with_suffix(".report.json")
    heading = SECTION if args.typos == 1 else f"{SECTION[:-1]}, {args.typos} figures altered)"
    warm = OUT / "localize-warm.json"
    run(ROOT / "examples" / "000_afa05cab7739910b.json", warm, True)  # caches warm
    timings: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(args.repeat):
        for localize in (False, True):
            timings[localize].append(run(path, report if localize else warm, localize))
            print(localize, timings[localize][-1], flush=True)
    found = quality(report, truth)
    wall = {k: statistics.median(t for t, _ in v) for k, v in timings.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in timings.items()}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    load = os.getloadavg()[0]
    n = found["documents"]

    def pct(key: str) -> str:
        return f"{found[key]:,} ({100 * found[key] / max(n, 1):.1f}%)"

    runs = "; ".join(
        f"{'with' if k else 'without'}: "
        + ", ".join(f"{t:.1f} s / {c:.1f} s CPU" for t, c in timings[k])
        for k in (False, True)
    )
    command = (
        f"python -m bench.bench_localize --count {args.count} --seed {args.seed} "
        f"--repeat {args.repeat}" + (f" --typos {args.typos}" if args.typos != 1 else "")
    )
    added_wall = 100 * (wall[True] / wall[False] - 1)
    added_cpu = 100 * (cpu[True] / cpu[False] - 1)
    section = f"""{heading}

Command: `{command}` —
{dt.date.today()}, commit {commit}, {os.cpu_count()} cores, Python {platform.python_version()},
1-minute load average {load:.1f} at the end (a shared machine). Corpus: {args.count:,} synthetic
seed-sized documents (bench/generate.py, seed {args.seed}), each with {args.typos} printed
figure(s) altered by ±1 to ±100 万元, so every document has failures; one NDJSON file. Each run:
`python -m checker.cli check FILE -q --format json -o OUT` in a fresh process, caches warm,
with localization (default) and `--no-localize`, alternated; medians of {args.repeat}.

| measurement | wall s | CPU s (process tree) |
|---|---:|---:|
| check `--no-localize` | {wall[False]:.1f} | {cpu[False]:.1f} |
| check (localization on) | {wall[True]:.1f} | {cpu[True]:.1f} |
| **added by localization** | **{added_wall:+.1f}%** | **{added_cpu:+.1f}%** |

Every run: {runs}.

What it found (the last localized report): {n:,} documents, {pct("localized")} localized,
{pct("proven")} proven optimal; the best candidate holds the altered cells with their
original values in {pct("best")}, one of the listed candidates in {pct("among")};
{pct("program")} named more than one cell.

The goal: localization adds at most 20% to checking documents with findings. On by
default for that reason (docs/localization.md, "Cost"); a run computes only what its
output shows, and nothing for documents without findings.
"""
    _write_section(heading, section)
    print(section)


if __name__ == "__main__":
    main()
