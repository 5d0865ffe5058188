"""The text report (rich): a summary line per document, then each finding with its rule
as written and every operand's value under it."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

import polars as pl
from rich.console import Console
from rich.markup import escape

from checker.diagnostics import Lang, severity_word
from checker.report.messages import STATUS_WORDS, fmt, result_message

if TYPE_CHECKING:
    from checker.api import Report

_STYLE = {"fail": "bold red", "error": "bold magenta", "rounding": "yellow", "pass": "green"}


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


def _word(status: str, lang: Lang) -> str:
    zh, en = STATUS_WORDS.get(status, (status, status))
    return zh if lang == "zh" else en


def _document_line(doc: dict[str, Any], lang: Lang) -> str:
    counts = ", ".join(
        f"{_word(s, lang)} {doc.get(s, 0)}"
        for s in ("pass", "rounding", "fail", "error", "skipped")
    )
    return f"[bold]{escape(str(doc['id']))}[/bold]  {counts}"


def render(
    report: Report,
    console: Console,
    lang: Lang = "zh",
    *,
    show: Iterable[str] = ("fail", "error"),
    fail_on: str = "error",
) -> None:
    """Print the report."""
    shown = list(show)
    for diag in report.document_diagnostics:
        console.print(escape(diag.format(lang)), style="magenta", highlight=False)
    for diag in report.waiver_diagnostics:
        style = "bold red" if diag.severity == "error" else "yellow"
        console.print(escape(diag.format(lang)), style=style, highlight=False)
    frame = report.frame
    per_doc = report.results.per_document()
    many = per_doc.height > MANY_DOCUMENTS
    if many:  # a batch: a line only for documents with failures, then the batch summary
        per_doc = per_doc.filter((pl.col("fail") + pl.col("error")) > 0).head(MANY_DOCUMENTS)
    for doc in per_doc.iter_rows(named=True):
        console.print(_document_line(doc, lang), highlight=False)
    waived = pl.col("waived") if "waived" in frame.columns else pl.lit(False)
    findings = frame.filter(pl.col("status").is_in(shown) & ~waived)
    for row in findings.iter_rows(named=True):
        _print_result(row, console, lang)
    if "waived" in shown:
        for row in frame.filter(waived).iter_rows(named=True):
            _print_result(row, console, lang)
            _print_waiver(row, console, lang)
    summary = report.summary()
    rounding_hint = ""
    if "rounding" not in shown and summary["rounding"]:
        rounding_hint = (
            f"（{summary['rounding']} 处尾差，用 --show rounding 列出）"
            if lang == "zh"
            else f" ({summary['rounding']} rounding differences: --show rounding lists them)"
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
        _print_batch(report.batch_summary(), console, lang)
    if report.interrupted:
        note = (
            "已中断（Ctrl-C）：以下只统计中断前检查完的文档"
            if lang == "zh"
            else "interrupted (Ctrl-C): the counts cover only the documents checked before it"
        )
        console.print(f"[bold yellow]{note}[/bold yellow]", highlight=False)
    console.print(_summary_line(summary, lang) + waived_note + rounding_hint, highlight=False)


MANY_DOCUMENTS = 20  # above this, documents without failures get no line of their own


def _print_batch(batch: dict[str, Any], console: Console, lang: Lang) -> None:
    """Failures per rule (top 10) and the worst documents."""
    zh = lang == "zh"
    if batch["rules"]:
        console.print("[bold]" + ("不符最多的规则" if zh else "rules failing most") + "[/bold]")
        for r in batch["rules"][:10]:
            counts = (
                f"不符 {r['fail']}，无法计算 {r['error']}，涉及 {r['documents']} 个文档"
                if zh
                else f"fail {r['fail']}, error {r['error']}, in {r['documents']} documents"
            )
            console.print(f"  {escape(r['rule'])} {escape(r['title'] or '')}  {counts}")
    if batch["worst_documents"]:
        console.print("[bold]" + ("问题最多的文档" if zh else "worst documents") + "[/bold]")
        for d in batch["worst_documents"]:
            counts = (
                f"不符 {d['fail']}，无法计算 {d['error']}"
                if zh
                else f"fail {d['fail']}, error {d['error']}"
            )
            console.print(
                f"  {escape(str(d['id']))}  [dim]{escape(str(d['path']))}[/dim]  {counts}"
            )


def _print_waiver(row: dict[str, Any], console: Console, lang: Lang) -> None:
    """The waiver under a waived finding: justification, author, expiry, where it is written."""
    expires = row.get("waiver_expires")
    until = expires.isoformat() if expires is not None else "—"
    author, where = row.get("waiver_author"), row.get("waiver_location")
    label, detail = (
        ("已豁免", f"（{author}，有效至 {until}，{where}）")
        if lang == "zh"
        else ("waived", f" ({author}, until {until}, {where})")
    )
    text = f"    [cyan]{label}[/cyan] {escape(str(row.get('waiver_justification')))}"
    console.print(text + f"[dim]{escape(detail)}[/dim]", highlight=False)


def _print_result(row: dict[str, Any], console: Console, lang: Lang) -> None:
    status = row["status"]
    style = _STYLE.get(status, "")
    where = f"{row.get('rule_file')}:{row.get('rule_line')}"
    place = ""
    if row.get("rule_table") is not None and row.get("row") is not None:
        place = (
            f"  {row['rule_table']} 第 {row['row'] + 1} 行"
            if lang == "zh"
            else f"  {row['rule_table']} row {row['row'] + 1}"
        )
    if row.get("column"):
        place += f" [{row['column']}]"
    head = (
        f"[{style}]{_word(status, lang)}[/{style}] {escape(row['rule'])} "
        f"{severity_word(row.get('severity') or 'error', lang)} "
        f"{escape(row.get('title') or '')}  [dim]{escape(str(row.get('id')))}{escape(place)}[/dim]"
    )
    printed = [head]  # one print per finding: each print costs rich a measure of the console
    lines = row.get("check_lines") or [row.get("rule_line"), row.get("rule_line")]
    source = checked_source(row.get("rule_file"), lines[0], lines[-1])
    if source:
        where = f"{row.get('rule_file')}:{lines[0]}"
        printed.append(f"    [dim]{escape(where)}[/dim]  {escape(source)}")
    printed.append(f"    {escape(result_message(row, lang))}")
    for cell in row.get("cells") or []:
        label = cell["ref"] or _cell_label(cell, lang)
        printed.append(f"      {escape(label)} = {fmt(cell['value'])}")
    console.print("\n".join(printed), highlight=False)


def _cell_label(cell: dict[str, Any], lang: Lang) -> str:
    row = cell.get("row")
    if row is None:
        return f"{cell['table']}.{cell['column']}"
    if lang == "zh":
        return f"{cell['table']} 第 {row + 1} 行 {cell['column']}"
    return f"{cell['table']} row {row + 1}, {cell['column']}"


def _summary_line(summary: dict[str, int], lang: Lang) -> str:
    if lang == "zh":
        return (
            f"{summary['documents']} 个文档，{summary['rules']} 条规则：通过 {summary['pass']}，"
            f"尾差 {summary['rounding']}，不符 {summary['fail']}，无法计算 {summary['error']}，"
            f"跳过 {summary['skipped']}"
        )
    return (
        f"{summary['documents']} documents, {summary['rules']} rules: pass {summary['pass']}, "
        f"rounding {summary['rounding']}, fail {summary['fail']}, error {summary['error']}, "
        f"skipped {summary['skipped']}"
    )
