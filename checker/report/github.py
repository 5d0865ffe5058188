"""GitHub Actions workflow commands: ``::error file=…,line=…,title=…::message`` per finding,
and a Markdown job summary.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per
job): the most important findings are annotated up to those limits (error before
warning before notice; fail before error before rounding; larger differences first),
then one notice says how many more were not. The summary lists them all (up to
``SUMMARY_ROWS``); it is appended to ``$GITHUB_STEP_SUMMARY`` when given, else it
follows the annotations.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from checker.diagnostics import Lang, severity_word
from checker.display import inert
from checker.report.locate import DocumentLines, display_path, finding_pointer, place
from checker.report.messages import STATUS_WORDS, cell_value, result_message
from checker.report.model import PASSING_FINDINGS, Report, finding_statuses, waived_flag

LIMITS = {"error": 10, "warning": 10, "notice": 10}
SUMMARY_ROWS = 200
_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_RANK = {"error": 0, "warning": 1, "notice": 2}
_STATUS_RANK = {"fail": 0, "error": 1, "tolerated": 2, "rounding": 3}


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as data, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | int | None) -> str:
    """One ``::level k=v,…::message`` line (properties that are None are left out)."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{level}{' ' + props if props else ''}::{escape_data(message)}"


def _level(row: dict[str, Any]) -> str:
    if row["status"] in PASSING_FINDINGS:  # within rounding or the tolerance: not a failure
        return "notice"
    return _LEVEL.get(row.get("severity") or "error", "error")


def _ranked(report: Report, include_rounding: bool) -> list[dict[str, Any]]:
    """Unwaived findings, most important first."""
    frame = report.frame
    frame = frame.filter(
        pl.col("status").is_in(finding_statuses(include_rounding)) & ~waived_flag(frame)
    )
    level = (
        pl.when(pl.col("status").is_in(PASSING_FINDINGS))
        .then(pl.lit("notice"))
        .otherwise(pl.col("severity").replace_strict(_LEVEL, default="error"))
    )
    return (
        frame.with_columns(
            level.replace_strict(_RANK, return_dtype=pl.Int8).alias("__level"),
            pl.col("status").replace_strict(_STATUS_RANK, return_dtype=pl.Int8).alias("__status"),
            pl.col("diff").abs().fill_null(0).alias("__size"),
        )
        .sort(
            ["__level", "__status", "__size", "document", "rule_file", "rule_line", "row"],
            descending=[False, False, True, False, False, False, False],
            maintain_order=True,
        )
        .drop("__level", "__status", "__size")
        .to_dicts()
    )


def _message(row: dict[str, Any], lang: Lang) -> str:
    where = " ".join(p for p in (str(row.get("id")), place(row, lang)) if p)
    lines = [f"{where}: {result_message(row, lang)}"]
    decimals = row.get("decimals")
    lines += [
        f"{cell['ref'] or cell['table'] + '.' + str(cell['column'])} = "
        + cell_value(cell, lang, decimals)
        for cell in row.get("cells") or []
    ]
    return "\n".join(inert(line) for line in lines)  # a document's newline shows as \\n


def annotation_lines(report: Report, lang: Lang = "zh", *, include_rounding: bool = False) -> str:
    """The workflow-command lines, within GitHub's per-step limits."""
    out: list[tuple[str, str]] = []  # (level, line)
    for diag in (*report.document_diagnostics, *report.waiver_diagnostics):
        level = _LEVEL.get(diag.severity, "error")
        out.append(
            (
                level,
                command(
                    level,
                    inert(diag.message(lang)),
                    file=display_path(diag.location.file),
                    line=diag.location.line,
                    title=diag.code,
                ),
            )
        )
    lines = DocumentLines()
    for row in _ranked(report, include_rounding):
        level = _level(row)
        path = row.get("path")
        out.append(
            (
                level,
                command(
                    level,
                    _message(row, lang),
                    file=inert(display_path(path)) if path else None,
                    line=lines.line(row, finding_pointer(row)) if path else None,
                    title=inert(f"{row['rule']} {row.get('title') or ''}".strip()),
                ),
            )
        )
    shown: list[str] = []
    used = dict.fromkeys(LIMITS, 0)
    for level, line in out:
        if used[level] < LIMITS[level]:
            used[level] += 1
            shown.append(line)
    omitted = len(out) - len(shown)
    if omitted and used["notice"] == LIMITS["notice"]:  # room for the closing notice
        drop = max(i for i, line in enumerate(shown) if line.startswith("::notice"))
        del shown[drop]
        omitted += 1
    if omitted:
        text = (
            f"另有 {omitted} 项未标注（GitHub 每步最多显示错误、警告、提示各 10 条），"
            "全部结果见作业摘要"
            if lang == "zh"
            else f"{omitted} more findings were not annotated (GitHub shows at most 10 errors, "
            "10 warnings and 10 notices per step); the job summary lists them all"
        )
        shown.append(command("notice", text, title="rulecheck"))
    return "".join(line + "\n" for line in shown)


def _cell(text: object) -> str:
    return inert(str(text).replace("|", "\\|").replace("\r", "").replace("\n", "<br>"))


def summary_markdown(report: Report, lang: Lang = "zh", *, include_rounding: bool = False) -> str:
    """The job summary: counts per document, then the findings as a table."""
    zh = lang == "zh"
    per_doc = report.results.per_document()  # counts every result, kept in the frame or not
    # a tolerated column where a tolerance applied: a ruleset without one reads as before
    tolerated = "tolerated" in per_doc.columns and bool(per_doc["tolerated"].sum())
    statuses = ("pass", "rounding", *(("tolerated",) if tolerated else ()), "fail", "error")
    statuses += ("skipped",)
    words = [STATUS_WORDS[s][0 if zh else 1] for s in statuses]
    out = ["## rulecheck", ""]
    out += ["| " + " | ".join(["文档" if zh else "document", *words]) + " |"]
    out += ["|---" * (len(statuses) + 1) + "|"]
    for doc in per_doc.iter_rows(named=True):
        out.append("| " + " | ".join(_cell(doc[k]) for k in ("id", *statuses)) + " |")
    rows = _ranked(report, include_rounding)
    if rows:
        head = (
            ["结果", "级别", "规则", "标题", "文档", "位置", "说明"]
            if zh
            else ["status", "severity", "rule", "title", "document", "where", "message"]
        )
        out += ["", "### " + ("结果" if zh else "Findings"), ""]
        out += ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
        for row in rows[:SUMMARY_ROWS]:
            cells = (
                STATUS_WORDS[row["status"]][0 if zh else 1],
                severity_word(row.get("severity") or "error", lang),
                f"`{row['rule']}`",
                row.get("title") or "",
                row.get("id"),
                place(row, lang),
                result_message(row, lang),
            )
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        if len(rows) > SUMMARY_ROWS:
            rest = len(rows) - SUMMARY_ROWS
            out += ["", f"另有 {rest} 项未列出" if zh else f"{rest} more not listed"]
    waived = report.frame.filter(waived_flag(report.frame)).height
    if waived:
        out += ["", f"已豁免 {waived} 项（不计入结果）" if zh else f"{waived} waived (not listed)"]
    return "\n".join(out) + "\n"


def render_github(
    report: Report,
    lang: Lang = "zh",
    *,
    include_rounding: bool = False,
    summary_path: str | None = None,
) -> str:
    """Annotations; the summary is appended to ``summary_path`` when given, else follows."""
    text = annotation_lines(report, lang, include_rounding=include_rounding)
    summary = summary_markdown(report, lang, include_rounding=include_rounding)
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as fh:
            fh.write(summary)
        return text
    return text + "\n" + summary
