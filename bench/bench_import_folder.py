"""Import a folder of 1,000 PDFs (the corpus copied) in bounded memory (issue 14).

    python -m bench.bench_import_folder [--counts 100 1000] [--no-write]

For each count N, a temporary folder gets N hard links (copies where links are not
possible) to the corpus's nine PDFs in turn, each under its own name (``0001-…pdf``):
the two halves of document 16 (explanation and tables, one document when joined with
``+``) are given as single files, as a folder holds them, and are refused (exit 4,
one message each). Then ``rulecheck import <folder> -o <out>`` runs as a subprocess of
this checkout (``python -m checker.cli``) with its stderr on a pseudo-terminal, so the
progress bar draws as it does for a person; this script reads the terminal and counts
the bar's redraws. Measured: wall time, pages/s and documents/s (pages of every input
file, documents given), the child's peak RSS (``ru_maxrss`` from ``wait4``) and its RSS
sampled every 0.25 s from /proc (after the first 10 % of the documents, and at the end):
memory is bounded when the peak does not grow with N. The figures go to
bench/RESULTS.md under "## Import of a folder (issue 14)", the other sections kept.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
RESULTS = ROOT / "bench" / "RESULTS.md"
HEADING = "## Import of a folder (issue 14)"


@dataclass
class Run:
    """One import of a folder of ``count`` PDFs."""

    count: int
    pages: int
    exit_code: int = -1
    wall: float = 0.0
    peak_rss: int = 0  # bytes, ru_maxrss of the child
    rss_samples: list[tuple[float, int]] = field(default_factory=list)  # (seconds, bytes)
    written: int = 0
    refused: int = 0
    bar_frames: int = 0
    stderr_tail: str = ""

    def rss_after(self, fraction: float) -> int:
        """The sampled RSS once ``fraction`` of the run's wall time had passed (the last
        sample for 1.0)."""
        later = [rss for t, rss in self.rss_samples if t >= fraction * self.wall]
        if fraction >= 1.0 or not later:
            return self.rss_samples[-1][1] if self.rss_samples else 0
        return later[0]


def _page_counts() -> dict[Path, int]:
    import pypdfium2 as pdfium

    counts = {}
    for pdf in sorted(CORPUS.glob("*.pdf")):
        doc = pdfium.PdfDocument(str(pdf))
        counts[pdf] = len(doc)
        doc.close()
    return counts


def _fill(folder: Path, count: int, sources: list[Path]) -> None:
    for i in range(count):
        source = sources[i % len(sources)]
        target = folder / f"{i + 1:04d}-{source.name}"
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)


def _rss(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) * 1024 if found else None


def import_folder(count: int, pages_of: dict[Path, int], work: Path) -> Run:
    """Run ``rulecheck import`` on a fresh folder of ``count`` PDFs, measuring it."""
    sources = sorted(pages_of)
    folder = work / f"in-{count}"
    out = work / f"out-{count}"
    folder.mkdir()
    _fill(folder, count, sources)
    pages = sum(pages_of[sources[i % len(sources)]] for i in range(count))
    run = Run(count, pages)

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    command = [sys.executable, "-m", "checker.cli", "import", str(folder), "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:  # the terminal's side: everything the child writes on stderr
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO once the child has closed its side
                return
            if not data:
                return
            chunks.append(data)

    def sample() -> None:
        while proc.returncode is None:
            rss = _rss(proc.pid)
            if rss is not None:
                run.rss_samples.append((time.perf_counter() - start, rss))
            time.sleep(0.25)

    reader = threading.Thread(target=drain, daemon=True)
    sampler = threading.Thread(target=sample, daemon=True)
    reader.start()
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    run.wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    run.exit_code = proc.returncode
    run.peak_rss = usage.ru_maxrss * 1024
    reader.join(timeout=5)
    sampler.join(timeout=5)
    os.close(master)

    text = b"".join(chunks).decode("utf-8", "replace")
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    run.bar_frames = plain.count("导入文档")
    # the bar prints messages above itself, wrapped to the terminal: count files, not lines
    run.written = sum(1 for p in out.iterdir() if p.suffix == ".json") if out.is_dir() else 0
    run.refused = count - run.written
    run.stderr_tail = plain[-600:] if run.exit_code not in (0, 4) else ""
    shutil.rmtree(folder)
    shutil.rmtree(out, ignore_errors=True)
    return run


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f}"


def _section(runs: list[Run], commit: str, load: tuple[float, float]) -> str:
    date = datetime.date.today().isoformat()
    cores = os.cpu_count()
    rows = [
        "| documents | pages | exit | written | refused | wall s | pages/s | documents/s "
        "| peak RSS MiB | RSS at 10 % MiB | RSS at end MiB | bar redraws |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        rows.append(
            f"| {r.count:,} | {r.pages:,} | {r.exit_code} | {r.written:,} | {r.refused:,} "
            f"| {r.wall:.1f} | {r.pages / r.wall:,.0f} | {r.count / r.wall:.1f} "
            f"| {_mib(r.peak_rss)} | {_mib(r.rss_after(0.1))} | {_mib(r.rss_after(1.0))} "
            f"| {r.bar_frames:,} |"
        )
    small, large = runs[0], runs[-1]
    growth = large.peak_rss / small.peak_rss if small.peak_rss else 0.0
    return "\n".join(
        [
            HEADING,
            "",
            f"Command: `python -m bench.bench_import_folder --counts "
            f"{' '.join(str(r.count) for r in runs)}`  ",
            f"Date: {date}; commit {commit}; {cores} cores; Python {platform.python_version()}; "
            f"1-minute load average {load[0]:.1f} before, {load[1]:.1f} after (other work "
            "shared the machine)  ",
            "Each run: `rulecheck import <folder> -o <out>` (`python -m checker.cli`, this "
            "checkout) on a fresh folder of hard links to the corpus's nine PDFs in turn; "
            "stderr on a pseudo-terminal (the progress bar draws: its redraws are counted). "
            "The two halves of document 16 are single files here and are refused (exit 4, "
            "one message each); every other file imports. Peak RSS: the child's `ru_maxrss` "
            "(wait4); RSS at 10 % / at the end: /proc samples every 0.25 s.",
            "",
            *rows,
            "",
            f"Peak RSS {_mib(large.peak_rss)} MiB for {large.count:,} documents against "
            f"{_mib(small.peak_rss)} MiB for {small.count:,}: {growth:.2f}x for "
            f"{large.count / small.count:.0f}x the documents"
            + (": memory is bounded." if growth < 1.25 else ": memory grows with the folder."),
            *(
                [
                    "The load average was above the core count: these pages/s are not the "
                    "importer's speed (that is the section above, measured in one process)."
                ]
                if max(load) > (cores or 1)
                else []
            ),
            "Ctrl-C stopping such a run cleanly (exit 130, no partial file): "
            "tests/test_import_interrupt.py.",
            "",
        ]
    )


def _write_section(section: str) -> None:
    """Replace (or append) this section of bench/RESULTS.md, keeping the others."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if HEADING in text:
        head, _, rest = text.partition(HEADING)
        nxt = rest.find("\n## ")
        text = head + section.rstrip("\n") + "\n" + (rest[nxt:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"{CORPUS} (the real published PDFs) is not present")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "checker", "schemas"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    if dirty:
        commit += " with uncommitted changes to checker/ or schemas/"
    pages_of = _page_counts()
    load_before = os.getloadavg()[0]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-import-folder-") as tmp:
        for count in sorted(args.counts):
            run = import_folder(count, pages_of, Path(tmp))
            runs.append(run)
            print(
                f"{count} documents ({run.pages} pages): exit {run.exit_code}, "
                f"{run.written} written, {run.refused} refused, {run.wall:.1f} s, "
                f"{run.pages / run.wall:.0f} pages/s, {run.count / run.wall:.1f} documents/s, "
                f"peak RSS {_mib(run.peak_rss)} MiB, bar redraws {run.bar_frames}",
                file=sys.stderr,
            )
            if run.stderr_tail:
                print(run.stderr_tail, file=sys.stderr)
    section = _section(runs, commit, (load_before, os.getloadavg()[0]))
    print(section)
    if not args.no_write:
        with contextlib.suppress(OSError):
            _write_section(section)
            print(f"updated {RESULTS.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
