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
from checker.report.messages import (
    cell_value,
    fmt,
    localized_cell,
    localized_change,
    result_message,
    source_label,
    status_word,
)
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
    located = report.localizations()
    for doc in per_doc.iter_rows(named=True):
        found = located.get(doc["document"], {})
        if "error" in found:
            out.print(*localized_lines(str(doc["id"]), found["error"], lang))
        if "rounding" in found and "rounding" in shown:
            out.print(*rounding_lines(str(doc["id"]), found["rounding"], lang))
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


_TIES_SHOWN = 4  # tied candidates listed under the best one
_PLACES_SHOWN = 3  # places listed per figure of a rounding explanation
_FIGURES_SHOWN = 5  # figures of a rounding explanation listed (those explaining most first)


def _change(cell: dict[str, Any], lang: Lang, decimals: int | None) -> Line:
    """A localized cell: where, printed value → the value it would need, and its place."""
    line: Line = [(localized_change(cell, lang, decimals), "")]
    published = source_label(cell.get("source"), lang, file=False)
    if published:
        line.append((f"  {published}", "dim"))
    return line


def localized_lines(document: str, found: dict[str, Any], lang: Lang) -> list[Line]:
    """The "most likely wrong" block of a document (Report.localizations()["error"]): its
    best candidate's cells with the values they would need, then the tied ones."""
    zh = lang == "zh"
    names = dict.fromkeys(r["rule"] for r in found["rules"])  # a per-row rule's rows: once
    rules = "、".join(names) if zh else ", ".join(names)
    head: Line = [
        ("最可能有误" if zh else "most likely wrong", "bold red"),
        (f"  {document}", "dim"),
        (f"（{rules} 不符）" if zh else f"  (explains the failure of {rules})", ""),
    ]
    lines = [head]
    candidates = found["candidates"]
    if not candidates:
        why = {
            "too-large": ("问题过大，未求解", "too many cells to solve for"),
            "none": (
                "改动印刷数字（在所查范围内）无法使这些规则同时成立",
                "no change of printed figures (within the cells looked at) makes them all hold",
            ),
        }.get(found["status"], (found["status"], found["status"]))
        return [*lines, [(f"    {why[0] if zh else why[1]}", "")]]
    for cell in candidates[0]["cells"]:
        lines.append([("    ", ""), *_change(cell, lang, 2)])
    if not found.get("proven"):
        lines.append(
            [
                (
                    "    （所查范围内最好的解释，未证明最优）"
                    if zh
                    else "    (the best found within the cells looked at, not proven optimal)",
                    "dim",
                )
            ]
        )
    ties = candidates[1 : 1 + _TIES_SHOWN]
    if ties:
        lines.append([("    同样可能（并列）：" if zh else "    equally likely (ties):", "")])
        for candidate in ties:
            for i, cell in enumerate(candidate["cells"]):
                lead = "      " if i == 0 else "        + "
                lines.append([(lead, ""), *_change(cell, lang, 2)])
    hidden = len(candidates) - 1 - len(ties)
    if hidden > 0 or found.get("more"):
        lines.append(
            [("    另有更多并列的可能，未列出" if zh else "    more ties, not listed", "dim")]
        )
    return lines


def rounding_lines(document: str, found: dict[str, Any], lang: Lang) -> list[Line]:
    """The rounding root causes of a document (Report.localizations()["rounding"]): the
    figures whose value before rounding makes its 尾差 exact, with their places."""
    zh = lang == "zh"
    n = len(found["rules"])
    head: Line = [
        ("尾差来源" if zh else "rounding explained", "yellow"),
        (f"  {document}", "dim"),
        (
            f"（{n} 处尾差）：以下数字舍入前应为"
            if zh
            else f"  ({n} rounding differences): these figures before rounding",
            "",
        ),
    ]
    if not found["candidates"]:
        text = (
            "在舍入范围内无法使这些尾差同时消除"
            if zh
            else "no shift within rounding explains them all"
        )
        return [head, [(f"    {text}", "")]]
    groups: dict[tuple[float | None, float], list[dict[str, Any]]] = {}
    for cell in found["candidates"][0]["cells"]:
        groups.setdefault((cell["published"], cell["suggested"]), []).append(cell)

    def reach(cells: list[dict[str, Any]]) -> int:
        return len({str(r) for c in cells for r in c["explains"]})

    lines = [head]
    ordered = sorted(groups.items(), key=lambda g: (-reach(g[1]), -len(g[1])))
    for (printed, before), cells in ordered[:_FIGURES_SHOWN]:
        joined = "；".join if zh else "; ".join
        where = joined(
            localized_cell(c, lang)
            + (f" {source_label(c.get('source'), lang, file=False)}" if c.get("source") else "")
            for c in cells[:_PLACES_SHOWN]
        )
        more = len(cells) - _PLACES_SHOWN
        tail = (f"；等 {more} 处" if zh else f"; {more} more") if more > 0 else ""
        count = f"{len(cells)} 处：" if zh else f"{len(cells)} cells: "
        lines.append(
            [(f"    {fmt(printed)} → {fmt(before)}  ", ""), (f"{count}{where}{tail}", "dim")]
        )
    rest = len(ordered) - _FIGURES_SHOWN
    if rest > 0:
        note = (
            f"    另有 {rest} 个数字（--format json 列出全部单元格）"
            if zh
            else f"    {rest} more figures (--format json lists every cell)"
        )
        lines.append([(note, "dim")])
    return lines


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
