"""Loading benchmark (issue 2): checker.documents against bare orjson.

Generates a corpus of synthetic documents (bench/generate.py) into
``bench/out/`` (gitignored), then measures, each in a fresh subprocess so that
peak memory (``ru_maxrss``) is that measurement's own:

(a) ``orjson``: read every file's bytes and ``orjson.loads`` them, in the order
    ``checker.documents`` reads them (sorted by path), keeping nothing;
(b) ``frames``: ``checker.documents.load_documents([folder])``, the public
    loading function: read, parse, validate against the schema, and build one
    Polars frame per table for all documents (by default in worker processes,
    one per available core, for a batch this large);
(c) ``frames-1``: the same with ``jobs=1``: everything in the measuring process.

Each measurement runs ``--repeat`` times (fresh process each time, files in the
page cache after the first pass); the best and median wall times are reported,
with documents/s, CPU time (the measuring process and its worker processes),
the ratio (b)/(a) (goal ≤ 1.5x) and peak RSS. The figures are written to
``bench/RESULTS.md`` under "## Loading (issue 2)" (other sections of that file
are kept).

    python -m bench.bench_load [--count 10000] [--seed 0] [--repeat 3] [--profile]

``--profile`` adds a cProfile run of (c) (one process: cProfile does not see
into workers) and prints where the CPU time goes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Loading (issue 2)"
GOAL = 1.5
# The loader measured: the modules of the checker.documents package that load documents
# (before them, the one module checker/documents.py).
LOADER = [
    f"checker/documents/{name}.py"
    for name in ("__init__", "amounts", "sources", "parsing", "schema", "frames", "batches")
]


def corpus_dir(seed: int, count: int) -> Path:
    return OUT / f"load-seed{seed}-n{count}"


def ensure_corpus(seed: int, count: int) -> Path:
    """Generate the corpus unless a complete one is already there."""
    folder = corpus_dir(seed, count)
    stamp = folder / ".complete"
    if stamp.exists() and len(list(folder.glob("*.json"))) == count:
        return folder
    from bench.generate import main as generate

    started = time.perf_counter()
    generate(["--count", str(count), "--seed", str(seed), "--out", str(folder)])
    print(f"generated {count} documents in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    stamp.write_text("ok\n")
    return folder


def files_in_load_order(folder: Path) -> list[Path]:
    """The order checker.documents.iter_sources reads a folder in (sorted by POSIX path)."""
    return sorted(folder.rglob("*.json"), key=lambda p: p.as_posix())


# -- measurements (each runs in its own process) ----------------------------------------------


def _memory() -> dict[str, float]:
    """Peak memory of this process so far, MiB: ``ru_maxrss`` and ``VmHWM``.

    ``ru_maxrss`` survives exec: a child starts with its parent's RSS at fork time
    as its peak, so the parent keeps itself small (it never holds the corpus).
    ``VmHWM`` (/proc/self/status) is the high-water mark of this process's own
    address space only: it is the figure reported as peak RSS.
    """
    import resource

    out = {"maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}  # KiB on Linux
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["hwm"] = int(line.split()[1]) / 1024
    except OSError:
        out["hwm"] = out["maxrss"]
    return out


def _cpu() -> float:
    """CPU seconds (user + system) of this process, all its threads, and of its children
    that have ended (the worker processes, once the pool is shut down)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _workers_peak() -> float:
    """The largest peak RSS of an ended child (a worker), MiB (0 if none).

    A worker is spawned (fork + exec) while this process is still small (right
    after imports), so the RSS it inherits in ``ru_maxrss`` is below its own peak.
    """
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure_orjson(folder: Path) -> dict[str, Any]:
    import orjson

    files = files_in_load_order(folder)
    before = _memory()
    cpu, started = _cpu(), time.perf_counter()
    size = 0
    for path in files:
        data = path.read_bytes()
        size += len(data)
        orjson.loads(data)
    seconds = time.perf_counter() - started
    return {
        "documents": len(files),
        "bytes": size,
        "seconds": seconds,
        "cpu": _cpu() - cpu,
        "before": before,
    }


def measure_frames(folder: Path, jobs: int | None = None) -> dict[str, Any]:
    from checker.documents import load_documents, load_schema

    load_schema()  # the compiled validator is built once per process: not per batch
    before = _memory()
    cpu, started = _cpu(), time.perf_counter()
    batch = load_documents([str(folder)], jobs=jobs)
    seconds = time.perf_counter() - started
    while multiprocessing.active_children():  # workers exit after the batch is returned:
        time.sleep(0.01)  # wait for them, so that their CPU time is counted
    cpu = _cpu() - cpu
    if batch.invalid_count:
        raise SystemExit(f"{batch.invalid_count} generated documents were rejected")
    rows = sum(frame.height for frame in batch.tables.values())
    return {
        "documents": batch.valid_count,
        "rows": rows,
        "seconds": seconds,
        "cpu": cpu,
        "before": before,
        "workers_peak": _workers_peak(),
    }


def profile_frames(folder: Path, top: int = 14) -> dict[str, Any]:
    """cProfile (b): the functions with the most own time (tottime)."""
    import cProfile
    import pstats

    from checker.documents import load_documents, load_schema

    load_schema()
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    load_documents([str(folder)], jobs=1)
    profiler.disable()
    seconds = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    entries = []
    for (file, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = name if file == "~" else f"{name} ({Path(file).name}:{line})"
        entries.append({"function": where, "calls": ncalls, "own": tottime, "cum": cumtime})
    entries.sort(key=lambda e: -e["own"])
    total = sum(e["own"] for e in entries)
    return {"seconds": seconds, "total": total, "top": entries[:top], "all": entries}


_DUPLICATES = "duplicate-key check (bytes.translate + bytes.count, key count)"
_GROUPS = (
    ("parse (orjson.loads)", ("orjson.loads",)),
    (
        _DUPLICATES,
        (
            "'count' of 'bytes'",
            "'translate' of 'bytes'",
            "_key_count",
            "_keys_of",
            "_may_have_duplicates",
            "builtins.all",
            "builtins.sum",
        ),
    ),
    ("schema validation (jsonschema_rs)", ("jsonschema_rs",)),
    ("frames (polars)", ("from_dicts", "PyLazyFrame", "PyDataFrame", "PySeries", "polars")),
    ("reading files", ("BufferedReader", "io.open", "posix.", "posixpath", "pathlib")),
)


_BEYOND_A = (_DUPLICATES, "schema validation (jsonschema_rs)", "frames (polars)")


def _group_profile(entries: list[dict[str, Any]]) -> dict[str, float]:
    """Own time by pipeline stage; whatever matches no stage is 'the rest'."""
    out = {name: 0.0 for name, _ in _GROUPS}
    rest = 0.0
    for e in entries:
        for name, needles in _GROUPS:
            if any(n in e["function"] for n in needles):
                out[name] += e["own"]
                break
        else:
            rest += e["own"]
    out["the rest (Python loops; freeing the parsed documents, which (a) does too)"] = rest
    return out


def _child(kind: str, folder: str) -> None:
    if kind == "profile":
        print(json.dumps(profile_frames(Path(folder))))
        return
    if kind == "orjson":
        result = measure_orjson(Path(folder))
    else:
        result = measure_frames(Path(folder), jobs=1 if kind == "frames-1" else None)
    result["after"] = _memory()
    print(json.dumps(result))


def run_child(kind: str, folder: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_load", "--child", kind, str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# -- report -----------------------------------------------------------------------------------


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    import orjson
    import polars

    return (
        f"{os.cpu_count()} cores ({cpu}){mem}; Linux {platform.release()}; "
        f"Python {platform.python_version()}, polars {polars.__version__}, "
        f"orjson {orjson.__version__}"
    )


def _documents_version() -> str:
    """The commit of the loader measured (and whether the work tree differs)."""
    try:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h", "--", *LOADER],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--", *LOADER], cwd=ROOT
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}{' + uncommitted changes' if dirty else ''}"


def _summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    secs = [r["seconds"] for r in runs]
    return {
        "best": min(secs),
        "median": statistics.median(secs),
        "cpu": min(r["cpu"] for r in runs),
        "cpu_median": statistics.median(r["cpu"] for r in runs),
        "peak": max(r["after"]["hwm"] for r in runs),
        "maxrss": max(r["after"]["maxrss"] for r in runs),
        "base": min(r["before"]["hwm"] for r in runs),
        "workers_peak": max(r.get("workers_peak", 0.0) for r in runs),
    }


def _default_workers() -> int:
    from checker.documents import MAX_JOBS

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return min(cores, MAX_JOBS)


def _previous_figures() -> str:
    """One line with the figures this section held before (to see the change), if any."""
    if not RESULTS.exists():
        return ""
    old = RESULTS.read_text(encoding="utf-8")
    match = re.search(rf"^{re.escape(HEADING)}\n(.*?)(?=^## |\Z)", old, re.S | re.M)
    if not match:
        return ""
    section = match.group(1)
    keep = re.search(r"^Previously .*$", section, re.M)
    if keep:  # the section was written by this script already: carry the first figures on
        return keep.group(0)
    measured = re.search(r"`(checker/documents(?:\.py|/))` at ([0-9a-f]+)", section)
    date = re.search(r"^Date: (\S+)", section, re.M)
    row = re.search(
        r"^\| \(b\)[^|]*\| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d,]+) \|.*\| ([\d,]+) \|$",
        section,
        re.M,
    )
    ratio = re.search(r"Ratio \(b\)/\(a\): \*\*([\d.]+)x\*\*", section)
    if not (measured and date and row and ratio):
        return ""
    best, _median, cpu, rate, peak = row.groups()
    return (
        f"Previously (`{measured.group(1)}` at {measured.group(2)}, {date.group(1)}, one "
        f"process): (b) {best} s best, {rate} documents/s, {cpu} s CPU, peak RSS {peak} MiB, "
        f"ratio {ratio.group(1)}x."
    )


def write_section(text: str) -> None:
    """Replace (or add) this benchmark's section of RESULTS.md, keeping the others."""
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.S | re.M)
    section = text.rstrip("\n") + "\n\n"
    if pattern.search(old):
        new = pattern.sub(lambda _: section, old, count=1)
    else:
        new = old.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(new.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_load", description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also cProfile (b)")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    command = "python -m bench.bench_load " + " ".join(argv if argv is not None else sys.argv[1:])
    folder = ensure_corpus(args.seed, args.count)
    for path in files_in_load_order(folder):  # warm the page cache for both measurements
        path.read_bytes()
    load_before = os.getloadavg()[0]
    kinds = ("orjson", "frames", "frames-1")
    raw: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for i in range(args.repeat):
        for kind in kinds:
            result = run_child(kind, folder)
            raw[kind].append(result)
            rate = result["documents"] / result["seconds"]
            workers = result.get("workers_peak", 0.0)
            print(
                f"run {i + 1} {kind:8}: {result['seconds']:.2f} s (CPU {result['cpu']:.2f} s), "
                f"{rate:,.0f} docs/s, "
                f"peak RSS {result['after']['hwm']:,.0f} MiB "
                f"(ru_maxrss {result['after']['maxrss']:,.0f} MiB"
                + (f"; largest worker {workers:,.0f} MiB)" if workers else ")"),
                file=sys.stderr,
            )
    load_after = os.getloadavg()[0]
    a, b, c = (_summary(raw[kind]) for kind in kinds)
    n = raw["frames"][0]["documents"]
    size = raw["orjson"][0]["bytes"]
    rows = raw["frames"][0]["rows"]
    ratio_best = b["best"] / a["best"]
    ratio_median = b["median"] / a["median"]
    verdict = "meets" if ratio_best <= GOAL else "misses"
    workers = _default_workers()
    b_peak = f"{b['peak']:,.0f}" + (
        f" + {workers} × {b['workers_peak']:,.0f} (workers)" if b["workers_peak"] else ""
    )
    previous = _previous_figures()
    budget = GOAL * a["best"] * workers  # CPU seconds (b) may spend to meet the goal
    lines = [
        HEADING,
        "",
        f"Command: `{command.strip()}` (from the repository root)  ",
        f"Date: {dt.date.today().isoformat()}  ",
        f"Machine: {_machine()}  ",
        f"Measured: `checker/documents/` at {_documents_version()}  ",
        f"Corpus: {n:,} synthetic documents from `bench/generate.py` (seed {args.seed}), "
        f"{size / 1e6:,.0f} MB of compact JSON, {size / n / 1024:,.1f} KiB per document on "
        f"average (the seed example is 127 KiB compact), {rows:,} table rows in all "
        f"({rows / n:,.0f} per document); files in the page cache.",
        "",
        f"Each measurement runs in a fresh process, {args.repeat} times, (a), (b), (c) in turn; "
        "times exclude interpreter start-up and imports (for (b) and (c) also building the "
        "compiled schema validator, done once per process) but include starting (b)'s "
        f"worker processes ({workers}, one per available core; each imports Polars and "
        "builds its own validator). CPU time is the measuring process's plus its workers'. "
        "Peak RSS is the measuring process's VmHWM (ru_maxrss agrees: "
        f"{a['maxrss']:,.0f} / {b['maxrss']:,.0f} / {c['maxrss']:,.0f} MiB), plus for (b) "
        "the largest worker's peak (ru_maxrss of the ended children). 1-minute load average "
        f"{load_before:.1f} before, {load_after:.1f} after"
        + (
            ": other work shared the 2 cores, so the best run is the headline and the median "
            "shows the noise."
            if max(load_before, load_after) > 1.2
            else "; the best run is the headline."
        ),
        "",
        "| measurement | best s | median s | CPU s (least) | documents/s (best) "
        "| documents/s (median) | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| (a) read + `orjson.loads`, nothing kept | {a['best']:.2f} | {a['median']:.2f} | "
        f"{a['cpu']:.2f} | {n / a['best']:,.0f} | {n / a['median']:,.0f} | {a['peak']:,.0f} |",
        f"| (b) `checker.documents.load_documents` → frames | {b['best']:.2f} | "
        f"{b['median']:.2f} | {b['cpu']:.2f} | {n / b['best']:,.0f} | {n / b['median']:,.0f} "
        f"| {b_peak} |",
        f"| (c) the same with `jobs=1` (no worker process) | {c['best']:.2f} | "
        f"{c['median']:.2f} | {c['cpu']:.2f} | {n / c['best']:,.0f} | {n / c['median']:,.0f} "
        f"| {c['peak']:,.0f} |",
        "",
        f"Ratio (b)/(a): **{ratio_best:.2f}x** best wall time ({ratio_median:.2f}x median, "
        f"{b['cpu'] / a['cpu']:.2f}x CPU time, workers included); "
        f"the goal is ≤ {GOAL}x: it {verdict} the goal. In one process, (c)/(a): "
        f"{c['best'] / a['best']:.2f}x wall, {c['cpu'] / a['cpu']:.2f}x CPU; the workers "
        f"cost {b['cpu'] - c['cpu']:+.2f} s CPU over (c) (starting them, passing the frames "
        "back, and the same work running slower with both cores busy) and save "
        f"{c['best'] - b['best']:.2f} s wall. Peak RSS right after imports: "
        f"{a['base']:,.0f} MiB (a), {b['base']:,.0f} MiB (b).",
        "",
        f"What bounds (b): its wall time is about its CPU time over the {workers} cores "
        f"({b['cpu']:.1f} s / {workers} = {b['cpu'] / workers:.1f} s), and even (c)'s CPU time "
        f"split perfectly would be {c['cpu'] / workers:.1f} s = "
        f"{c['cpu'] / workers / a['best']:.2f}x (a). {GOAL}x (a) is {GOAL * a['best']:.1f} s: "
        f"on {workers} cores it needs the whole load to cost at most "
        f"{budget:.0f} s of CPU, {100 * (1 - budget / c['cpu']):.0f}% less than (c) spends, "
        f"while (a)'s own work (read, parse, free) is already {100 * a['cpu'] / c['cpu']:.0f}% "
        "of it (where the rest goes: the profile below).",
    ]
    if previous:
        lines += ["", previous]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.profile:
        prof = run_child("profile", folder)
        table = [
            "",
            "Where the CPU time goes (cProfile of (c), all in one process, one more run: "
            f"{prof['seconds']:.1f} s under the profiler; own time per function, largest "
            "first; (b) does the same work, split between its workers):",
            "",
            "| function | calls | own s | share |",
            "|---|---:|---:|---:|",
        ]
        for e in prof["top"]:
            function = e["function"].replace("|", "\\|")
            table.append(
                f"| `{function}` | {e['calls']:,} | {e['own']:.2f} | "
                f"{100 * e['own'] / prof['total']:.0f}% |"
            )
        groups = _group_profile(prof["all"])
        total = sum(groups.values())
        extra = sum(groups[name] for name in _BEYOND_A)
        table += [
            "",
            "By stage (own time under the profiler, share of the total): "
            + "; ".join(
                f"{name} {secs:.1f} s ({100 * secs / total:.0f}%)" for name, secs in groups.items()
            )
            + f". The stages (a) does not do at all ({', '.join(_BEYOND_A)}) take "
            f"{100 * extra / total:.0f}% of (c)'s time.",
        ]
        text += "\n".join(table) + "\n"
        print("\n".join(table))
    if not args.no_write:
        write_section(text)
        print(f"updated {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
