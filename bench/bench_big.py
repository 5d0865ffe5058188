"""Big tables (issue 20): one table of many rows, 20 per-row linear identities.

The workload is ``../shared/bench/p2/`` (the one R's validate is built for): ``gen.py``
writes a table of N rows × 25 amount columns, 20 identities (``p2.rules``, template
``p2.schema.json``) and the exact fail/rounding counts per rule (``expected.json``). It is
generated at bench time into ``bench/out/p2-N/`` (never committed); the columnar layout
of the same rows (``meta.json`` + ``明细表.parquet``) is written there from the CSV.

In one run, on this machine (2 shared cores: the load average is recorded with every
figure, and each figure is the median of ``--repeat`` runs):

(a) rulecheck evaluating the 20 rules on the loaded frame: ``Engine.run`` as ``check``
    calls it (non-pass results kept, with their operand cells), engine compiled before;
(b) a hand-written Polars expression computing the same 20 verdicts on the same frame:
    per rule ``d = lhs − Σ terms`` in the frame's scaled integers, fail where
    ``|d|`` exceeds the rule's rounding allowance ``(n + 1) · p/2``, rounding where
    ``0 < |d| ≤`` it, counted per rule (what validate's ``confront`` + ``summary`` give);
(c) ``rulecheck check`` end to end from the columnar (Parquet) layout;
(d) ``rulecheck check`` end to end from the N-row JSON document.

Stage l (not run by default): ``rulecheck check`` from the Parquet layout with localization
(issue 19, on by default) against ``--no-localize``, text and JSON reports.

(a) and (b) run in one fresh process, alternated, each with its own peak memory
(``VmHWM``, reset between them through ``/proc/self/clear_refs``); (c) and (d) each
in a fresh process whose process tree's resident memory is sampled (see
bench_scale.run_measured). Every verdict count of (a), (b) and (c) is compared with
``expected.json``; a mismatch stops the benchmark.

Writes the figures and the command to bench/RESULTS.md under "## Big tables (issue 20)".

    python -m bench.bench_big [--rows 1000000] [--repeat 5] [--stages a b c d] [--label L]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
P2 = ROOT.parent / "shared" / "bench" / "p2"
RULES = P2 / "p2.rules"
SCHEMA = P2 / "p2.schema.json"
TABLE = "明细表"
SECTION = "## Big tables (issue 20)"
SCALE = 10_000  # the loader's scaled integers (4 decimals)


def workload(rows: int) -> Path:
    """``bench/out/p2-ROWS/``: gen.py's outputs, generated once (a 1M-row table ~2 min)."""
    folder = OUT / f"p2-{rows}"
    if not (folder / "expected.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        docs = 1000 if rows % 1000 == 0 and rows >= 1000 else 1
        subprocess.run(
            [sys.executable, str(P2 / "gen.py"), str(rows), str(docs)],
            env={**os.environ, "P2_OUT": str(folder)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder


def columnar(folder: Path) -> Path:
    """The columnar layout of the workload (``meta.json`` + one Parquet file), from the CSV."""
    import polars as pl

    target = folder / "columnar"
    table = target / f"{TABLE}.parquet"
    if not table.exists():
        target.mkdir(exist_ok=True)
        meta = {
            "meta": {
                "id": "p2_columnar",
                "department": "基准单位",
                "department_code": "001",
                "year": 2024,
                "kind": "部门预算",
                "unit": "万元",
            },
            "tables": {TABLE: {"name": TABLE, "unit": "万元"}},
        }
        (target / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        frame = pl.read_csv(folder / "p2.csv", infer_schema=False)
        frame.select(pl.all().cast(pl.Float64)).write_parquet(table.with_suffix(".tmp"))
        table.with_suffix(".tmp").rename(table)
    return target


def rules_tsv() -> list[tuple[str, str, list[str]]]:
    """The 20 identities as gen.py reads them: (rule id, left column, term columns)."""
    lines = (P2 / "rules.tsv").read_text(encoding="utf-8").splitlines()[1:]
    return [(r, lhs, terms.split()) for r, lhs, terms in (line.split("\t") for line in lines)]


def expected(folder: Path) -> dict[str, dict[str, int]]:
    """gen.py's fail and rounding counts per rule (rules with neither left out)."""
    got = json.loads((folder / "expected.json").read_text(encoding="utf-8"))["rules"]
    counts = {r: {"fail": v["fail"], "rounding": v["rounding"]} for r, v in got.items()}
    return {r: c for r, c in counts.items() if any(c.values())}


# --------------------------------------------------------------------------- (a) and (b)


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _reset_peak() -> None:
    """Reset this process's peak resident memory (VmHWM) to its current size (Linux)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def loaded_frame(folder: Path) -> tuple[Any, dict[str, Any]]:
    """The documents frame and the table frame as rulecheck's loader gives them (amounts
    as Int64 scaled by 10,000), from the workload's columnar layout."""
    from checker.documents import load_documents

    batch = load_documents([str(columnar(folder))], schema=str(SCHEMA), max_bytes=1 << 40)
    if batch.invalid_count:
        raise SystemExit([d.format("en") for d in batch.diagnostics])
    return batch.documents, batch.tables


def hand_written(table: Any) -> dict[str, dict[str, int]]:
    """(b): the 20 verdicts as one hand-written Polars select on the scaled integers."""
    import polars as pl

    half = SCALE // 200  # p/2 = 0.005 in scaled units
    exprs = []
    for rule, lhs, terms in rules_tsv():
        total = pl.col(terms[0])
        for term in terms[1:]:
            total = total + pl.col(term)
        d = (pl.col(lhs) - total).abs()
        allowance = (len(terms) + 1) * half
        exprs.append((d > allowance).sum().alias(f"{rule} fail"))
        exprs.append(((d > 0) & (d <= allowance)).sum().alias(f"{rule} rounding"))
    got = table.select(exprs).row(0, named=True)
    out: dict[str, dict[str, int]] = {}
    for name, n in got.items():
        rule, status = name.split()
        out.setdefault(rule, {})[status] = int(n)
    return {r: c for r, c in out.items() if any(c.values())}


def _counts(frame: Any) -> dict[str, dict[str, int]]:
    """Per rule, the number of fail and rounding results of a results frame."""
    import polars as pl

    out: dict[str, dict[str, int]] = {}
    per = frame.filter(pl.col("status").is_in(["fail", "rounding"])).group_by("rule", "status")
    for rule, status, n in per.len().iter_rows():
        out.setdefault(rule, {"fail": 0, "rounding": 0})[status] = int(n)
    return out


def measure_frame(folder: Path, repeat: int) -> dict[str, Any]:
    """(a) and (b), alternated ``repeat`` times in this process (frame loaded once)."""
    from checker.api import load_rules
    from checker.evaluate import CELL_STATUSES, Engine

    documents, tables = loaded_frame(folder)
    rules = load_rules([str(RULES)], schema=str(SCHEMA))
    start = time.perf_counter()
    engine = Engine(rules.ruleset, rules.template)
    compiled = time.perf_counter() - start
    want = expected(folder)
    base = _rss_mib()
    runs: dict[str, list[dict[str, float]]] = {"a": [], "b": []}
    for _ in range(repeat):
        for stage in ("b", "a"):
            load = os.getloadavg()[0]
            _reset_peak()
            start = time.perf_counter()
            if stage == "b":
                got = hand_written(tables[TABLE])
            else:
                results = engine.run(
                    documents, tables, None, cells_for=CELL_STATUSES, keep=CELL_STATUSES
                )
            seconds = time.perf_counter() - start
            peak = _peak_mib()
            if stage == "a":
                got = _counts(results.frame)
                cells = results.frame.get_column("cells")
                if cells.null_count():
                    raise SystemExit(f"(a): {cells.null_count()} findings without cells")
                del results
            if got != want:
                raise SystemExit(f"({stage}) counts differ from expected.json: {got} != {want}")
            runs[stage].append({"seconds": seconds, "peak_mib": peak, "load": load})
    return {"runs": runs, "frame_mib": base, "compile_seconds": compiled}


# --------------------------------------------------------------------------- (c) and (d)


def _command(
    path: Path, max_bytes: int, form: str = "text", *, localize: bool = False
) -> list[str]:
    """``check`` as the benchmark runs it: the default text report (its findings: the
    fails) or the JSON one (every finding, rounding too), to /dev/null, without
    localization (issue 19: not part of validate's confront either) unless ``localize``
    (stage l: its cost on this workload)."""
    return [
        *(sys.executable, "-m", "checker", "check", str(path)),
        *("-r", str(RULES), "--schema", str(SCHEMA), "-q"),
        *(() if localize else ("--no-localize",)),
        *("--max-bytes", str(max_bytes), "--format", form, "-o", "/dev/null"),
    ]


def _limit(path: Path, streamed: bool) -> int:
    """--max-bytes: above every file's size (read whole), or below the table file's
    (``streamed``: read in chunks) and above meta.json's."""
    files = [path] if path.is_file() else list(path.iterdir())
    largest = max(p.stat().st_size for p in files)
    return 1 << 20 if streamed else max(largest + 1, 1 << 26)


def measure_command(
    path: Path, repeat: int, streamed: bool = False, form: str = "text"
) -> list[dict[str, float]]:
    """``rulecheck check PATH`` (this checkout's code) ``repeat`` times (the JSON report of
    the same run is checked once against expected.json: :func:`verify_command`)."""
    from bench.bench_scale import run_measured

    command = _command(path, _limit(path, streamed), form)
    runs = []
    for _ in range(repeat):
        load = os.getloadavg()[0]
        seconds, peak, code = run_measured(command)
        if code != 1:
            raise SystemExit(f"{' '.join(command)}: exit {code}, expected 1 (findings)")
        runs.append({"seconds": seconds, "peak_mib": peak, "load": load})
    return runs


def verify_command(path: Path, folder: Path, streamed: bool = False) -> None:
    """The JSON report of ``rulecheck check PATH`` has gen.py's counts per rule."""
    import polars as pl

    report = OUT / "p2-report.json"
    command = _command(path, _limit(path, streamed), "json")
    command[command.index("-o") + 1] = str(report)
    subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    data = json.loads(report.read_text(encoding="utf-8"))
    results = pl.DataFrame(data["results"]).select("rule", "status")
    got = _counts(results)
    if got != expected(folder):
        raise SystemExit(f"{path}: counts per rule differ from expected.json: {got}")
    report.unlink()


# --------------------------------------------------------------------------- (l)


def measure_localization(path: Path, folder: Path, repeat: int) -> tuple[list[str], str]:
    """Stage l: ``check`` from the Parquet layout, text and JSON, with localization (the
    default) and ``--no-localize``, alternated ``repeat`` times; table rows and a note on
    what the localized JSON report found (checked: found and proven, one altered cell per
    error row)."""
    from bench.bench_scale import run_measured

    limit = _limit(path, False)
    rows = []
    for form in ("text", "json"):
        runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(repeat):
            for localize in (False, True):
                load = os.getloadavg()[0]
                seconds, peak, code = run_measured(_command(path, limit, form, localize=localize))
                if code != 1:
                    raise SystemExit(f"check {path}: exit {code}, expected 1 (findings)")
                runs[localize].append({"seconds": seconds, "peak_mib": peak, "load": load})
        off, on = runs[False], runs[True]
        ratio = statistics.median(b["seconds"] / a["seconds"] for a, b in zip(off, on, strict=True))
        every = "; ".join(
            f"{a['seconds']:.2f}/{b['seconds']:.2f}" for a, b in zip(off, on, strict=True)
        )
        loads = ", ".join(f"{r['load']:.1f}" for r in off + on)
        rows.append(
            f"| {form} | {_median(off, 'seconds'):.2f} | {_median(on, 'seconds'):.2f} "
            f"| **{ratio:.2f}x** | {every} | {_median(off, 'peak_mib'):,.0f} → "
            f"{_median(on, 'peak_mib'):,.0f} MiB | {loads} |"
        )
        print(rows[-1], flush=True)
    report = OUT / "p2-localized.json"
    command = _command(path, limit, "json", localize=True)
    command[command.index("-o") + 1] = str(report)
    subprocess.run(command, cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    (document,) = json.loads(report.read_text(encoding="utf-8"))["documents"]
    report.unlink()
    error, rounding = document["localization"], document["rounding_causes"]
    altered = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    best = error["candidates"][0]["cells"]
    if not (error["status"] == rounding["status"] == "found" and error["proven"]):
        raise SystemExit(f"localization not found: {error['status']}, {rounding['status']}")
    if len({c["row"] for c in best}) != len(best) or len(best) != altered["perturbed_error_rows"]:
        raise SystemExit(f"{len(best)} cells localized, {altered['perturbed_error_rows']} altered")
    shifted = rounding["candidates"][0]["cells"]
    note = (
        f"- What it found: the {len(error['rules']):,} failures localized to {len(best):,} cells, "
        f"one per altered row (gen.py alters {altered['perturbed_error_rows']:,}), proven "
        f"optimal; the {len(rounding['rules']):,} rounding differences explained by "
        f"{len(shifted):,} figures shifted within their rounding interval "
        f"({'proven' if rounding['proven'] else 'not proven'} the fewest)."
    )
    return rows, note


# --------------------------------------------------------------------------- report


def _median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _row(label: str, runs: list[dict[str, float]]) -> str:
    seconds = ", ".join(f"{r['seconds']:.2f}" for r in runs)
    loads = ", ".join(f"{r['load']:.1f}" for r in runs)
    return (
        f"| {label} | **{_median(runs, 'seconds'):.3f}** | {seconds} "
        f"| {_median(runs, 'peak_mib'):,.0f} MiB | {loads} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--stages", nargs="+", default=["a", "b", "c", "d"], help="a b c d, and l (localization)"
    )
    parser.add_argument("--label", default="", help="a heading for this run's figures")
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument("--measure-frame", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = workload(args.rows)
    if args.measure_frame:
        print(json.dumps(measure_frame(folder, args.repeat)))
        return
    stages = set(args.stages)
    rows: list[str] = []
    notes: list[str] = []
    if stages & {"a", "b"}:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_big",
                "--rows",
                str(args.rows),
                "--repeat",
                str(args.repeat),
                "--measure-frame",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if out.returncode:
            raise SystemExit(out.stderr)
        frame = json.loads(out.stdout.strip().splitlines()[-1])
        a, b = frame["runs"]["a"], frame["runs"]["b"]
        rows.append(_row("(a) rulecheck, 20 rules on the loaded frame (`Engine.run`)", a))
        rows.append(_row("(b) hand-written Polars, the same 20 verdicts", b))
        print(*rows, sep="\n", flush=True)
        ratios = [x["seconds"] / y["seconds"] for x, y in zip(a, b, strict=True)]
        notes.append(
            f"- (a)/(b), the median of each pair's own ratio: **{statistics.median(ratios):.2f}x** "
            f"(goal ≤ 2x); (a) {_median(a, 'seconds'):.3f} s (goal ≤ 0.5 s). Peak memory is the "
            f"process's (the loaded frame alone: {frame['frame_mib']:,.0f} MiB); compiling the "
            f"20 rules took {frame['compile_seconds']:.2f} s, not counted."
        )
    if "c" in stages:
        path = columnar(folder)
        verify_command(path, folder)
        rows.append(_row("(c) `rulecheck check` from the Parquet layout", measure_command(path, 3)))
        print(rows[-1], flush=True)
        verify_command(path, folder, streamed=True)
        runs = measure_command(path, 3, streamed=True)
        rows.append(_row("(c) the same, streamed (`--max-bytes 1048576`)", runs))
        print(rows[-1], flush=True)
        runs = measure_command(path, 3, form="json")
        rows.append(_row("(c) the same, `--format json` (every finding listed)", runs))
        print(rows[-1], flush=True)
    if "d" in stages:
        path = folder / "p2_one.json"
        verify_command(path, folder)
        rows.append(_row("(d) `rulecheck check` from the JSON document", measure_command(path, 3)))
        print(rows[-1], flush=True)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if "l" in stages:
        path = columnar(folder)
        lines, note = measure_localization(path, folder, args.repeat)
        text = f"""### Localization on big tables — {dt.date.today()}, commit {commit}

Command: `python -m bench.bench_big --rows {args.rows} --repeat {args.repeat} --stages l`;
{os.cpu_count()} cores, Python {platform.python_version()}, {args.rows:,} rows. `rulecheck
check columnar/ -r p2.rules --schema p2.schema.json -q --max-bytes N --format F -o
/dev/null`, localized (the default) and with `--no-localize`, alternated; wall seconds of
the process, medians of {args.repeat}; the ratio is the median of each pair's own. Text
shows the localization of the failures, JSON the rounding causes too.

{LOCALIZED_HEAD}
{chr(10).join(lines)}

{note}
"""
        print(text)
        if not args.no_write:
            _append(text)
        stages.discard("l")
        if not stages:
            return
    command = f"python -m bench.bench_big --rows {args.rows} --repeat {args.repeat}"
    if stages != {"a", "b", "c", "d"}:
        command += " --stages " + " ".join(sorted(stages))
    heading = f"### {args.label or 'Figures'} — {dt.date.today()}, commit {commit}"
    body = "\n".join(rows)
    text = f"""{heading}

Command: `{command}`; {os.cpu_count()} cores, Python {platform.python_version()}, {args.rows:,}
rows. Every count of (a), (b), (c) and (d) equals gen.py's expected.json per rule. (c) and
(d): `rulecheck check PATH -r p2.rules --schema p2.schema.json -q --no-localize
--max-bytes N -o /dev/null`, the text report unless said.

| measurement | median s | runs (s) | peak memory (median) | load average per run |
|---|---:|---|---:|---|
{body}

{chr(10).join(notes)}
"""
    print(text)
    if not args.no_write:
        _append(text)


def _append(text: str) -> None:
    """Add one run's figures to the section (which keeps earlier runs: before and after)."""
    from bench.bench_check import RESULTS, _write_section

    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if SECTION in current:
        _, _, rest = current.partition(SECTION)
        nxt = rest.find("\n## ")
        body = (rest[:nxt] if nxt >= 0 else rest).strip("\n")
    else:
        body = INTRO
    _write_section(SECTION, f"{SECTION}\n\n{body}\n\n{text}")


LOCALIZED_HEAD = (
    "| report | --no-localize s | localized s | ratio | runs (without/with, s) | peak memory "
    "| load average per run |\n|---|---:|---:|---:|---|---:|---|"
)
INTRO = """The `../shared/bench/p2/` workload (README there): one table, 25 amount columns,
20 per-row linear identities; validate 1.1.6 (R) reads the 1M-row CSV in 0.73–0.88 s
and confronts the 20 rules in 0.43–0.53 s on this machine. `bench/bench_big.py` says
what (a)–(d) are. Goals (issue 20): (a) ≤ 2× (b); (a) ≤ 0.5 s; (c) ≤ 1.5 s; peak of
(c) ≤ 2 GiB."""


if __name__ == "__main__":
    main()
