"""The text report: a summary line per document, then each finding with its rule
as written and every operand's value under it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import IO, Any

import polars as pl

from checker.diagnostics import Lang, severity_word
from checker.display import inert
from checker.report.locate import place, rule_place
from checker.report.messages import cell_value, result_message, source_label, status_word
from checker.report.model import MANY_DOCUMENTS, Report

_STYLE = {
    "fail": "bold red",
    "error": "bold magenta",
    "tolerated": "yellow",
    "rounding": "yellow",
    "pass": "green",
}


@cache
def _rule_lines(path: str) -> tuple[str, ...]:
    try:
        with open(path, encoding="utf-8") as fh:
            return tuple(fh.read().splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def checked_source(path: str | None, first: int | None, last: int | None) -> str | None:
    """What a rule checks, as written (its lines joined), e.g. ``收入总计 = 本年收入合计 + …``."""
    if not path or not first:
        return None
    lines = _rule_lines(path)
    end = min(last or first, len(lines), first + 5)  # a long check: its first lines
    picked = [lines[i - 1].strip() for i in range(first, end + 1) if 0 < i <= len(lines)]
    return " ".join(p for p in picked if p) or None


Segment = tuple[str, str]  # text, and its rich style ("" for none)
Line = list[Segment]


class Output:
    """Where the text report goes: plain text, or with rich's styles for a terminal.

    Plain output imports no rich (~30 ms of a one-document check in CI, whose output
    is not a terminal and would carry no styles anyway).
    """

    def __init__(self, file: IO[str], color: bool) -> None:
        self._file = file
        self._console: Any = None
        if color:
            from rich.console import Console

            self._console = Console(file=file, highlight=False, soft_wrap=True)

    def print(self, *lines: Line) -> None:
        """Print lines (several at once: each print costs rich a measure of the console)."""
        # text from documents is inert: a control character or escape is shown, not obeyed
        if self._console is None:
            self._file.write("".join("".join(inert(t) for t, _ in line) + "\n" for line in lines))
            return
        from rich.text import Text

        self._console.print(
            Text("\n").join(Text.assemble(*((inert(t), s) for t, s in line)) for line in lines)
        )


def _document_line(doc: dict[str, Any], lang: Lang) -> Line:
    # tolerated only where the rules have a tolerance that applied
    statuses = ("pass", "rounding", *(("tolerated",) if doc.get("tolerated") else ()), "fail")
    counts = ", ".join(
        f"{status_word(s, lang)} {doc.get(s, 0)}" for s in (*statuses, "error", "skipped")
    )
    return [(str(doc["id"]), "bold"), (f"  {counts}", "")]


def render(
    report: Report,
    out: Output,
    lang: Lang = "zh",
    *,
    show: Iterable[str] = ("fail", "error", "tolerated"),
    fail_on: str = "error",
) -> None:
    """Print the report."""
    shown = list(show)
    for diag in report.document_diagnostics:  # format() escapes; its own newline: the hint's
        out.print(*([(part, "magenta")] for part in diag.format(lang).split("\n")))
    for diag in report.waiver_diagnostics:
        style = "bold red" if diag.severity == "error" else "yellow"
        out.print(*([(part, style)] for part in diag.format(lang).split("\n")))
    frame = report.frame
    per_doc = report.results.per_document()
    many = per_doc.height > MANY_DOCUMENTS
    if many:  # a batch: a line only for documents with failures, then the batch summary
        per_doc = per_doc.filter((pl.col("fail") + pl.col("error")) > 0).head(MANY_DOCUMENTS)
    for doc in per_doc.iter_rows(named=True):
        out.print(_document_line(doc, lang))
    waived = pl.col("waived") if "waived" in frame.columns else pl.lit(False)
    findings = frame.filter(pl.col("status").is_in(shown) & ~waived)
    for row in findings.iter_rows(named=True):
        out.print(*_result_lines(row, lang))
    if "waived" in shown:
        for row in frame.filter(waived).iter_rows(named=True):
            out.print(*_result_lines(row, lang), _waiver_line(row, lang))
    if "skipped" in shown:
        checked = report.results.documents.height
        for row in report.not_applicable().iter_rows(named=True):
            out.print(*_not_applicable_lines(row, checked, lang))
    summary = report.summary()
    rounding_hint = ""
    if "rounding" not in shown and summary["rounding"]:
        rounding_hint = (
            f"（{summary['rounding']} 处尾差，用 --show rounding 列出）"
            if lang == "zh"
            else f" ({summary['rounding']} rounding differences: --show rounding lists them)"
        )
    if "tolerated" not in shown and summary.get("tolerated"):
        rounding_hint += (
            f"（{summary['tolerated']} 处差额在容差之内，用 --show tolerated 列出）"
            if lang == "zh"
            else f" ({summary['tolerated']} within the tolerance: --show tolerated lists them)"
        )
    if "skipped" not in shown and summary["not_applicable"]:
        rounding_hint += (
            "（不适用的规则用 --show skipped 列出）"
            if lang == "zh"
            else " (--show skipped lists the rules not applicable)"
        )
    waived_note = ""
    if report.waivers is not None or summary.get("waived"):
        count = summary.get("waived", 0)
        hint = "waived" not in shown and count
        waived_note = (
            f"，已豁免 {count}" + ("（用 --show waived 列出）" if hint else "")
            if lang == "zh"
            else f", waived {count}" + (" (--show waived lists them)" if hint else "")
        )
    if many:
        out.print(*_batch_lines(report.batch_summary(), lang))
    if report.interrupted:
        note = (
            "已中断（Ctrl-C）：以下只统计中断前检查完的文档"
            if lang == "zh"
            else "interrupted (Ctrl-C): the counts cover only the documents checked before it"
        )
        out.print([(note, "bold yellow")])
    out.print([(_summary_line(summary, lang) + waived_note + rounding_hint, "")])


def _batch_lines(batch: dict[str, Any], lang: Lang) -> list[Line]:
    """Failures per rule (top 10) and the worst documents."""
    zh = lang == "zh"
    lines: list[Line] = []
    if batch["rules"]:
        lines.append([("不符最多的规则" if zh else "rules failing most", "bold")])
        for r in batch["rules"][:10]:
            counts = (
                f"不符 {r['fail']}，无法计算 {r['error']}，涉及 {r['documents']} 个文档"
                if zh
                else f"fail {r['fail']}, error {r['error']}, in {r['documents']} documents"
            )
            lines.append([(f"  {r['rule']} {r['title'] or ''}  {counts}", "")])
    if batch["worst_documents"]:
        lines.append([("问题最多的文档" if zh else "worst documents", "bold")])
        for d in batch["worst_documents"]:
            counts = (
                f"不符 {d['fail']}，无法计算 {d['error']}"
                if zh
                else f"fail {d['fail']}, error {d['error']}"
            )
            lines.append([(f"  {d['id']}  ", ""), (str(d["path"]), "dim"), (f"  {counts}", "")])
    return lines


def _not_applicable_lines(row: dict[str, Any], checked: int, lang: Lang) -> list[Line]:
    """A rule that found nothing to check (no result) in ``row["documents"]`` documents."""
    n = row["documents"]
    head: Line = [
        ("不适用" if lang == "zh" else "not applicable", "dim"),
        (f" {row['rule']} {row.get('title') or ''}  ", ""),
        (rule_place(row["rule_file"], row["rule_line"]), "dim"),
    ]
    if lang == "zh":
        where = "文档中" if checked == 1 else f"{n} 个文档中"
        why = f"    {where}没有这条规则要检查的内容（没有结果）"
    else:
        where = "the document" if checked == 1 else f"{n} document{'s' if n != 1 else ''}"
        why = f"    nothing for it to check in {where} (no result)"
    return [head, [(why, "")]]


def _waiver_line(row: dict[str, Any], lang: Lang) -> Line:
    """The waiver under a waived finding: justification, author, expiry, where it is written."""
    expires = row.get("waiver_expires")
    until = expires.isoformat() if expires is not None else "—"
    author, where = row.get("waiver_author"), row.get("waiver_location")
    label, detail = (
        ("已豁免", f"（{author}，有效至 {until}，{where}）")
        if lang == "zh"
        else ("waived", f" ({author}, until {until}, {where})")
    )
    return [
        ("    ", ""),
        (label, "cyan"),
        (f" {row.get('waiver_justification')}", ""),
        (detail, "dim"),
    ]


def _result_lines(row: dict[str, Any], lang: Lang) -> list[Line]:
    status = row["status"]
    where = rule_place(row.get("rule_file"), row.get("rule_line"))
    where_in = place(row, lang)
    at = f"  {where_in}" if where_in else ""
    head: Line = [
        (status_word(status, lang), _STYLE.get(status, "")),
        (
            f" {row['rule']} {severity_word(row.get('severity') or 'error', lang)} "
            f"{row.get('title') or ''}  ",
            "",
        ),
        (f"{row.get('id')}{at}", "dim"),
    ]
    lines = [head]
    checked = row.get("check_lines") or [row.get("rule_line"), row.get("rule_line")]
    source = checked_source(row.get("rule_file"), checked[0], checked[-1])
    if source:
        where = rule_place(row.get("rule_file"), checked[0])
        lines.append([("    ", ""), (where, "dim"), (f"  {source}", "")])
    lines.append([(f"    {result_message(row, lang)}", "")])
    for cell in row.get("cells") or []:
        label = cell["ref"] or _cell_label(cell, lang)
        line: Line = [(f"      {label} = {cell_value(cell, lang, row.get('decimals'))}", "")]
        published = source_label(cell, lang, file=False)
        if published:
            line.append((f"  {published}", "dim"))
        lines.append(line)
    return lines


def _cell_label(cell: dict[str, Any], lang: Lang) -> str:
    row = cell.get("row")
    if row is None:
        return f"{cell['table']}.{cell['column']}"
    if lang == "zh":  # the row's index, as everywhere (0-based, the JSON pointer's)
        return f"{cell['table']} 行 {row} {cell['column']}"
    return f"{cell['table']} row {row}, {cell['column']}"


def _summary_line(summary: dict[str, int], lang: Lang) -> str:
    # counted where a tolerance applied: a ruleset without one reads as before
    n = summary.get("tolerated", 0)
    tolerated = (f"容差内 {n}，" if lang == "zh" else f"tolerated {n}, ") if n else ""
    if lang == "zh":
        return (
            f"{summary['documents']} 个文档，{summary['rules']} 条规则：通过 {summary['pass']}，"
            f"尾差 {summary['rounding']}，{tolerated}不符 {summary['fail']}，"
            f"无法计算 {summary['error']}，"
            f"跳过 {summary['skipped']}，不适用 {summary['not_applicable']}"
        )
    documents = "document" if summary["documents"] == 1 else "documents"
    rules = "rule" if summary["rules"] == 1 else "rules"
    return (
        f"{summary['documents']} {documents}, {summary['rules']} {rules}: pass {summary['pass']}, "
        f"rounding {summary['rounding']}, {tolerated}fail {summary['fail']}, "
        f"error {summary['error']}, "
        f"skipped {summary['skipped']}, not applicable {summary['not_applicable']}"
    )
