"""``rulecheck check --format``: write a report in one of the machine-readable formats."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

from checker.diagnostics import Lang

if TYPE_CHECKING:
    from checker.api import Report

FORMATS = ("json", "jsonl", "csv", "junit", "sarif", "github")


def write(report: Report, name: str, out: IO[str], lang: Lang, show: Iterable[str]) -> None:
    """Write ``report`` as ``name`` (one of ``FORMATS``) to the text stream ``out``.

    ``show``: the ``--show`` statuses (``rounding`` adds rounding differences to the
    SARIF and GitHub findings; JSON, JSON Lines and CSV always carry them).
    The GitHub summary goes to ``$GITHUB_STEP_SUMMARY`` when that is set.
    """
    shown = set(show)
    include = shown | {"fail", "error", "rounding"}  # as the JSON report
    rounding = "rounding" in shown
    if name == "jsonl":
        from checker.report.tabular import write_jsonl

        write_jsonl(report, out, lang, include=include)
        return
    if name == "github":
        from checker.report.github import render_github

        summary = os.environ.get("GITHUB_STEP_SUMMARY") or None
        text = render_github(report, lang, include_rounding=rounding, summary_path=summary)
    elif name == "csv":
        text = report.to_csv(lang, include=include)
    elif name == "junit":
        text = report.to_junit(lang)
    elif name == "sarif":
        text = report.to_sarif(lang, include_rounding=rounding) + "\n"
    elif name == "json":
        text = report.to_json(lang, include=include) + "\n"
    else:
        raise ValueError(f"unknown format {name!r}: {', '.join(FORMATS)}")
    out.write(text)
