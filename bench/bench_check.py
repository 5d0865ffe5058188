"""End-to-end check benchmark (issue 4): documents × the default ruleset.

Over a corpus of synthetic documents (bench/generate.py, reusing the loading
benchmark's ``bench/out/load-seed{S}-n{N}`` folder when present), each in a
fresh subprocess so every peak RSS is that measurement's own:

(a) ``orjson``: read every file and ``orjson.loads`` it (the floor; the faster of two
    runs, so the files are in the page cache as they are for (b));
(b) ``check``: ``rulecheck check FOLDER -q`` with the bundled default ruleset (the
    real entry point, caches warm): load, validate, frame, evaluate every rule for
    every document and row, report; peak memory of its whole process tree;
(c) ``reference``: the plain-Python reference evaluator over the first
    ``--reference-count`` documents (it is slow on purpose), as documents/s.

Writes documents/s, rules, peak memory, and the ratios (b)/(a) (goal ≤ 1.5x)
and (b)/(c) in documents/s (goal: Polars ≥ 50x faster) to bench/RESULTS.md under
"## Checking (issue 4)", keeping the file's other sections.

    python -m bench.bench_check [--count 10000] [--seed 0] [--reference-count 50]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Checking (issue 4)"


def _peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(kind: str, folder: str, limit: int) -> dict[str, float]:
    files = sorted(Path(folder).glob("*.json"))
    start = time.perf_counter()
    if kind == "orjson":
        import orjson

        for f in files:
            orjson.loads(f.read_bytes())
        docs, rules = len(files), 0
    else:
        import orjson

        from checker.api import load_rules
        from checker.reference import evaluate_documents

        rules_obj = load_rules()
        chosen = [orjson.loads(f.read_bytes()) for f in files[:limit]]
        start = time.perf_counter()
        evaluate_documents(rules_obj.ruleset, rules_obj.template, chosen)
        docs, rules = len(chosen), len(rules_obj.ruleset.rules)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "documents": docs, "rules": rules, "peak_mib": _peak_mib()}


def _run(kind: str, folder: str, limit: int) -> dict[str, float]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.bench_check",
            "--measure",
            kind,
            "--folder",
            folder,
            "--reference-count",
            str(limit),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _check(folder: str, count: int) -> dict[str, float]:
    """(b): the real entry point, ``rulecheck check FOLDER -q``, peak memory of its process
    tree (main and loading workers) sampled while it runs."""
    from bench.bench_scale import _rulecheck, run_measured
    from checker.api import load_rules

    run_measured([*_rulecheck(), "check", str(ROOT / "examples"), "-q"])  # warms the caches
    seconds, peak, _code = run_measured([*_rulecheck(), "check", folder, "-q"])
    rules = len(load_rules().ruleset.rules)
    return {"seconds": seconds, "documents": count, "rules": rules, "peak_mib": peak}


def _corpus(count: int, seed: int) -> Path:
    folder = ROOT / "bench" / "out" / f"load-seed{seed}-n{count}"
    if not folder.is_dir() or len(list(folder.glob("*.json"))) < count:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.generate",
                "--count",
                str(count),
                "--seed",
                str(seed),
                "--out",
                str(folder),
            ],
            cwd=ROOT,
            check=True,
        )
    return folder


def _write_section(heading: str, section: str) -> None:
    """Replace (or append) one ``## …`` section of bench/RESULTS.md, keeping the others."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    if heading in text:
        head, _, rest = text.partition(heading)
        nxt = rest.find("\n## ")
        text = head + section + (rest[nxt:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference-count", type=int, default=50)
    parser.add_argument("--measure")
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure, args.folder, args.reference_count)))
        return
    folder = str(_corpus(args.count, args.seed))
    # the floor with the files in the page cache, as (b) finds them: the faster of two runs
    a = min(
        (_run("orjson", folder, args.reference_count) for _ in range(2)),
        key=lambda m: m["seconds"],
    )
    b = _check(folder, args.count)
    c = _run("reference", folder, args.reference_count)
    rate = {k: v["documents"] / v["seconds"] for k, v in (("a", a), ("b", b), ("c", c))}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    command = (
        f"python -m bench.bench_check --count {args.count} --seed {args.seed} "
        f"--reference-count {args.reference_count}"
    )

    def row(label: str, m: dict[str, float], r: float) -> str:
        return (
            f"| {label} | {int(m['documents'])} | {m['seconds']:.2f} | {r:,.1f} "
            f"| {m['peak_mib']:.0f} MiB |"
        )

    rows = "\n".join(
        [
            row("(a) read + `orjson.loads`", a, rate["a"]),
            row("(b) `rulecheck check FOLDER -q` end to end", b, rate["b"]),
            row(f"(c) reference evaluator, rules only, first {int(c['documents'])}", c, rate["c"]),
        ]
    )
    section = f"""{SECTION}

Command: `{command}` — {dt.date.today()}, commit {commit}, {os.cpu_count()} cores,
Python {platform.python_version()}. Synthetic documents from bench/generate.py (seed-sized,
consistent by construction), the bundled default ruleset ({int(b["rules"])} rules after
column templates are expanded). Each measurement in a fresh process; (b)'s peak memory
is the sampled peak of its process tree (main and loading workers), (a) and (c) one process.

| measurement | documents | seconds | documents/s | peak RSS |
|---|---:|---:|---:|---:|
{rows}

- End to end vs bare parse, (b)/(a) time per document: **{rate["a"] / rate["b"]:.1f}x**
  (goal ≤ 1.5x).
- Polars vs reference evaluator, (b)/(c) documents/s: **{rate["b"] / rate["c"]:.0f}x**
  (goal ≥ 50x; (b) includes loading and validation, (c) evaluates parsed documents only).
"""
    _write_section(SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
