"""Memory of ``coverage`` and ``validate`` (issue 17): 1,000 against 5,000 documents.

Both commands read their documents in batches, as ``check`` does (``--batch-size``,
default 2,000; 250 for ``coverage``), so their peak memory is bounded by the batch, not
by the number of documents: before, ``coverage`` loaded every document at once and 5,000
documents peaked at 14.5 GB.

The corpus is the checking benchmark's folder of synthetic documents
(``bench/out/load-seed{S}-n{N}``, bench/generate.py; generated once when missing); a
smaller size is a folder of hard links to its first files in name order, so every size
reads the same kind of input. Each run is ``python -m checker.cli coverage FOLDER`` or
``… validate FOLDER`` (this checkout's code, default ruleset and batch size, output
discarded) in a fresh process; while it runs, the resident memory of its whole process
tree (main process and loading workers) is sampled every 0.1 s and the figure is the
peak of that sum (bench/bench_scale.py: run_measured). The rule and engine caches are
warmed first.

Writes seconds, documents/s and peak memory per command and size, and the ratio of the
largest size's peak to the smallest's, to bench/RESULTS.md under
"## Memory of coverage and validate (issue 17)", keeping the other sections.

    python -m bench.bench_memory [--sizes 1000 5000] [--seed 0] [--batch-size N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

from bench.bench_check import _corpus, _write_section
from bench.bench_scale import run_measured

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Memory of coverage and validate (issue 17)"
COMMANDS = ("coverage", "validate")


def _first(folder: Path, size: int) -> Path:
    """A folder of hard links to the first ``size`` documents of ``folder`` (name order)."""
    files = sorted(folder.glob("*.json"))
    if size >= len(files):
        return folder
    part = folder.with_name(f"{folder.name}-first{size}")
    if len(list(part.glob("*.json"))) != size:
        part.mkdir(exist_ok=True)
        for old in part.glob("*.json"):
            old.unlink()
        for path in files[:size]:
            os.link(path, part / path.name)
    return part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 5_000])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, help="passed on (default: the commands')")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    corpus = _corpus(sizes[-1], args.seed)
    cli = [sys.executable, "-m", "checker.cli"]
    extra = ["--batch-size", str(args.batch_size)] if args.batch_size else []
    # the rule and engine caches hold the default ruleset (a user's second run)
    subprocess.run([*cli, "coverage", str(ROOT / "examples")], cwd=ROOT, capture_output=True)
    rows: list[str] = []
    peaks: dict[tuple[str, int], float] = {}
    for command in COMMANDS:
        for size in sizes:
            folder = _first(corpus, size)
            seconds, peak, code = run_measured([*cli, command, str(folder), *extra])
            peaks[command, size] = peak
            rows.append(
                f"| `{command}` | {size:,} | {seconds:.1f} | {size / seconds:,.1f} "
                f"| {peak:,.0f} MiB | {code} |"
            )
            print(rows[-1], flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "checker"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if dirty:
        commit += " with uncommitted changes to checker/"
    sizes_arg = " ".join(str(s) for s in sizes)
    command_line = f"python -m bench.bench_memory --sizes {sizes_arg} --seed {args.seed}"
    if args.batch_size:
        command_line += f" --batch-size {args.batch_size}"
    small, big = sizes[0], sizes[-1]
    notes = "\n".join(
        f"- `{command}`: peak at {big:,} ÷ at {small:,} documents = "
        f"**{peaks[command, big] / peaks[command, small]:.2f}x** for {big / small:g}x the "
        "documents."
        for command in COMMANDS
    )
    body = "\n".join(rows)
    section = f"""{SECTION}

Command: `{command_line}` — {dt.date.today()}, commit {commit},
{os.cpu_count()} cores shared with other work, Python {platform.python_version()}.
Input: the first documents (name order) of the {big:,}-document folder from bench/generate.py,
seed {args.seed} (~100 KB each). Each run is `python -m checker.cli coverage FOLDER` or
`python -m checker.cli validate FOLDER` (default ruleset, batch size
{args.batch_size or "250 for coverage, 2,000 for validate (defaults)"}, output discarded)
in a fresh process, caches warm;
peak memory is the sampled peak of the whole process tree (main + loading workers).
Before issue 17 both commands loaded every document at once: `coverage` of 5,000
documents peaked at 14.5 GB; in batches of 2,000, 7.0 GB (coverage holds every result's
operand cells, ~1.5 MB a document), hence its default batch of 250.

| command | documents | seconds | documents/s | peak memory | exit |
|---|---:|---:|---:|---:|---:|
{body}

{notes}
"""
    _write_section(SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
