"""``rulecheck waive``: waivers for the current unwaived findings, appended to a waiver file.

As ruff's ``--add-noqa`` and Semgrep's baselines do: run the check with the
file's own waivers, and append one ``[[waiver]]`` per unwaived fail/error
finding, named by its fingerprint (document id, rule id, row key; see
:mod:`checker.waivers`). The file's existing text is kept byte for byte and
new entries go after it; the file is replaced in one step (a temporary file in
the same folder, then a rename), so a reader never sees half of it. A finding
an existing entry names is not written again, even when that entry has
expired (``check`` reports it: renew it or delete it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import polars as pl

from checker.outputs import AtomicFile
from checker.report.model import fingerprint
from checker.rowkeys import ROW_KEY
from checker.waivers import FINDING_STATUSES, load_waivers, toml_string

DEFAULT_JUSTIFICATION: Final = "baseline: to be reviewed"
DEFAULT_AUTHOR: Final = "rulecheck waive"  # when $USER is not set
DEFAULT_DAYS: Final = 90  # expires: today + 90 days


def default_author() -> str:
    """``$USER`` (``$USERNAME`` on Windows), else ``rulecheck waive``."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or DEFAULT_AUTHOR


def default_expires(today: date) -> date:
    return today + timedelta(days=DEFAULT_DAYS)


@dataclass(frozen=True)
class Baseline:
    """What ``waive`` wrote: the entries' TOML text and how many findings were left alone."""

    text: str
    written: int
    already: int  # findings an entry of the file already names


def baseline(
    frame: pl.DataFrame,
    waiver_file: str | os.PathLike[str],
    *,
    justification: str,
    author: str,
    expires: date,
) -> Baseline:
    """``[[waiver]]`` entries for the unwaived fail/error results of a checked results
    frame (one per fingerprint: a roll-up's columns share their row's)."""
    findings = frame.filter(pl.col("status").is_in(FINDING_STATUSES))
    waived = pl.col("waived") if "waived" in frame.columns else pl.lit(False)
    already = findings.filter(waived).height
    keyed = pl.col(ROW_KEY) if ROW_KEY in frame.columns else pl.lit(None, pl.Utf8)
    fresh = (
        findings.filter(~waived)
        .with_columns(keyed.alias(ROW_KEY))
        .with_columns(pl.when(pl.col(ROW_KEY).is_null()).then(pl.col("row")).alias("row"))
        .unique(["id", "path", "rule", ROW_KEY, "row"], maintain_order=True)
    )
    folder = Path(waiver_file).resolve().parent
    blocks = []
    for row in fresh.iter_rows(named=True):
        found = fingerprint(row)
        document = found["document"] or os.path.relpath(Path(row["path"]).resolve(), folder)
        lines = ["[[waiver]]"]
        if row.get("title"):
            lines.append(f"# {row['title']}")
        lines.append(f"document = {toml_string(document)}")
        lines.append(f"rule = {toml_string(found['rule'])}")
        if "key" in found:
            lines.append(f"key = {toml_string(found['key'])}")
        elif "row" in found:
            lines.append(f"row = {found['row']}")
        lines.append(f"justification = {toml_string(justification)}")
        lines.append(f"author = {toml_string(author)}")
        lines.append(f"expires = {expires.isoformat()}")
        blocks.append("\n".join(lines) + "\n")
    return Baseline("\n".join(blocks), len(blocks), already)


def append(path: str | os.PathLike[str], entries: str, header: str) -> None:
    """Append ``entries`` to the waiver file at ``path`` (``header`` first if it is new):
    the old text kept as it is, the file replaced at once (temporary file, rename). The
    result is read back as waivers before it replaces the file (exit 3 if it cannot be)."""
    target = Path(path)
    old = target.read_bytes() if target.exists() else None
    if old is None:
        head = header.encode("utf-8")
    elif not old.strip():
        head = old
    else:
        head = old + (b"\n" if old.endswith(b"\n") else b"\n\n")
    text = head + entries.encode("utf-8")
    with AtomicFile(target, binary=True) as out:  # renamed over the file once read back
        out.file.write(text)
        out.file.flush()
        if out.temporary is not None:
            load_waivers(out.temporary)  # what check will read (raises, exit 3)


__all__ = [
    "DEFAULT_AUTHOR",
    "DEFAULT_DAYS",
    "DEFAULT_JUSTIFICATION",
    "Baseline",
    "append",
    "baseline",
    "default_author",
    "default_expires",
]
