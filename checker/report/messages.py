"""Result messages in the user's language, from a results row's fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.diagnostics import Lang
from checker.judging import OPERATORS

_REASONS: dict[str, tuple[str, str]] = {
    "missing-cell": ("找不到单元格 {detail}", "cell {detail} not found"),
    "missing-statement": ("说明中没有数字 {detail}", "the prose states no figure {detail}"),
    "missing-meta": ("文档没有填写 {detail}", "the document gives no {detail}"),
    "division-by-zero": ("除数为零", "division by zero"),
    "no-value": ("单元格为空，无法计算", "an operand is empty"),
    "no-amount": ("“{detail}”中没有金额", "no amount in “{detail}”"),
    "unresolved-cell": (
        "读到导入无法确定所属列的单元格 {detail}（见导入说明），不作判断",
        "reads {detail}, a cell the import could not place (see the import notes): not judged",
    ),
    "needs-document": (
        "需要同一单位的{detail}文档，本次检查中没有，未检查",
        "needs the same body's {detail} document, which this run does not hold: not checked",
    ),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "pass": ("通过", "pass"),
    "rounding": ("尾差", "rounding"),
    "tolerated": ("容差内", "tolerated"),
    "fail": ("不符", "fail"),
    "error": ("无法计算", "error"),
    "skipped": ("跳过", "skipped"),
    "waived": ("已豁免", "waived"),
}


def status_word(status: str, lang: Lang) -> str:
    """A result status as the reports name it (不符 / fail …)."""
    zh, en = STATUS_WORDS.get(status, (status, status))
    return zh if lang == "zh" else en


def fmt(value: float | None, decimals: int | None = None) -> str:
    """A figure as people write it: with the decimals it is published with (``-1.00``),
    else up to 4 decimals without float noise."""
    if value is None:
        return "—"
    if decimals is not None and round(value, decimals) == round(value, 4):
        text = f"{value:,.{decimals}f}"
        return text[1:] if text.startswith("-") and not text.strip("-0.,") else text
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cell_value(cell: Mapping[str, Any], lang: Lang, decimals: int | None = None) -> str:
    """An operand as the report shows it: an amount, a text as printed (“036003”), a set
    a value was looked for in (its first values and size), a pattern (/…/)."""
    text, value = cell.get("text"), cell.get("value")
    if text is None and str(cell.get("ref") or "").startswith("meta.") and value is not None:
        return f"{value:.4f}".rstrip("0").rstrip(".")  # a document field (a year): as given
    if text is None:
        counted = str(cell.get("ref") or "").startswith("count(")
        return fmt(value, None if counted else decimals)
    if cell.get("ref") == "matches":
        return f"/{text}/"
    if str(cell.get("ref") or "").startswith("count(") and value is not None:
        rows = int(value)  # the rows counted, by key (the first few)
        return f"{rows} 行：{text}" if lang == "zh" else f"{rows} rows: {text}"
    if value is not None:  # a set of values: its first entries and its size
        size = int(value)
        return f"{text}（共 {size} 个）" if lang == "zh" else f"{text} ({size} values)"
    return f"“{text}”"


def reason_message(reason: str | None, lang: Lang) -> str | None:
    """``code:detail`` → a sentence."""
    if not reason:
        return None
    code, _, detail = reason.partition(":")
    zh, en = _REASONS.get(code, (reason, reason))
    return (zh if lang == "zh" else en).format(detail=detail)


def _holds(op: str, a: float, b: float) -> bool:
    o = OPERATORS.get(op)
    return o is not None and bool(o.holds(a, b))


def result_message(row: Mapping[str, Any], lang: Lang) -> str:
    """One sentence explaining a result."""
    status = row["status"]
    needs = _needs(row, lang)
    if needs is not None:
        return needs
    if status == "error":
        return reason_message(row.get("reason"), lang) or STATUS_WORDS["error"][lang == "en"]
    lhs, rhs = row.get("lhs"), row.get("rhs")
    # the published decimals (-1.00, not -1), unless both sides are whole (counts)
    d = row.get("decimals")
    if lhs is not None and rhs is not None and float(lhs).is_integer() and float(rhs).is_integer():
        d = None
    if lhs is None or rhs is None:
        words = {
            "pass": ("条件成立", "the condition holds"),
            "fail": ("条件不成立", "the condition does not hold"),
            "skipped": ("前提条件不成立，未检查", "its condition does not apply"),
        }
        zh, en = words.get(status, STATUS_WORDS.get(status, (status, status)))
        return zh if lang == "zh" else en
    diff = row.get("diff")
    tol = row.get("tolerance")
    op = row.get("op") or "="
    if status == "fail" and _holds(op, lhs, rhs):
        # a compound check (and/or, a text part) failed elsewhere than the values shown
        return "条件不成立" if lang == "zh" else "the condition does not hold"
    if status == "tolerated":
        return _tolerated(row, op, d, lang)
    if op == "between" and status in ("fail", "rounding"):
        # x against the bound it broke (x between a and b)
        within = status == "rounding"
        if lang == "zh":
            tail = f"在舍入误差 ±{fmt(tol)} 之内" if within else f"超出舍入误差 ±{fmt(tol)}"
            return f"{fmt(lhs, d)} 越过界限 {fmt(rhs, d)}，相差 {fmt(diff, d)}，{tail}"
        tail = f"within rounding ±{fmt(tol)}" if within else f"beyond rounding ±{fmt(tol)}"
        return f"{fmt(lhs, d)} is past the bound {fmt(rhs, d)}: off by {fmt(diff, d)}, {tail}"
    if op != "=" and status in ("fail", "rounding"):
        within = status == "rounding"
        if lang == "zh":
            tail = f"，在舍入误差 ±{fmt(tol)} 之内" if within else ""
            return f"左边 {fmt(lhs, d)} {op} 右边 {fmt(rhs, d)} 不成立{tail}"
        tail = f", but within rounding ±{fmt(tol)}" if within else ""
        return f"left {fmt(lhs, d)} {op} right {fmt(rhs, d)} does not hold{tail}"
    if status == "rounding":
        if lang == "zh":
            return (
                f"左边 {fmt(lhs, d)}，右边 {fmt(rhs, d)}，相差 {fmt(diff, d)}，"
                f"在舍入误差 ±{fmt(tol)} 之内"
            )
        return (
            f"left {fmt(lhs, d)}, right {fmt(rhs, d)}: off by {fmt(diff, d)},"
            f" within rounding ±{fmt(tol)}"
        )
    if status == "fail":
        if lang == "zh":
            return (
                f"左边 {fmt(lhs, d)}，右边 {fmt(rhs, d)}，相差 {fmt(diff, d)}，"
                f"超出舍入误差 ±{fmt(tol)}"
            )
        return (
            f"left {fmt(lhs, d)}, right {fmt(rhs, d)}: off by {fmt(diff, d)},"
            f" beyond rounding ±{fmt(tol)}"
        )
    if status == "skipped":
        return "前提条件不成立，未检查" if lang == "zh" else "its condition does not apply"
    return f"{fmt(lhs, d)} = {fmt(rhs, d)}"


_HEADS = {  # a result's two sides, by how the rule compares them (zh, en)
    "between": ("{lhs} 越过界限 {rhs}", "{lhs} is past the bound {rhs}"),
    "=": ("左边 {lhs}，右边 {rhs}", "left {lhs}, right {rhs}"),
}
_UNEQUAL = ("左边 {lhs} {op} 右边 {rhs} 不成立", "left {lhs} {op} right {rhs} does not hold")


def _tolerated(row: Mapping[str, Any], op: str, d: int | None, lang: Lang) -> str:
    """A difference beyond rounding but within the rule's materiality threshold."""
    lhs, rhs, diff = (fmt(row.get(k), d) for k in ("lhs", "rhs", "diff"))
    tol, limit = fmt(row.get("tolerance")), fmt(row.get("materiality"), d)
    zh, en = _HEADS.get(op, _UNEQUAL)
    head = (zh if lang == "zh" else en).format(lhs=lhs, rhs=rhs, op=op)
    if lang == "zh":
        return f"{head}，相差 {diff}，超出舍入误差 ±{tol}，在容差 {limit} 之内"
    return f"{head}: off by {diff}, beyond rounding ±{tol} but within the tolerance {limit}"


def _needs(row: Mapping[str, Any], lang: Lang) -> str | None:
    """A result skipped because the run lacks the related document it reads."""
    reason = row.get("reason") or ""
    if row["status"] == "skipped" and reason.startswith("needs-document:"):
        return reason_message(reason, lang)
    return None


def source_label(source: Mapping[str, Any] | None, lang: Lang, *, file: bool = True) -> str | None:
    """Where a cell was published, as a reader looks it up: ``a.pdf p. 14`` or ``a.txt:579``
    (``第 14 页`` / ``第 579 行`` in Chinese); None when nothing is known."""
    if not source:
        return None
    name = source.get("file") if file else None
    page, line = source.get("page"), source.get("line")
    if page is not None:
        where = f"第 {page} 页" if lang == "zh" else f"p. {page}"
    elif line is not None:
        if name:
            return f"{name}:{line}"
        where = f"第 {line} 行" if lang == "zh" else f"line {line}"
    else:
        return None
    return f"{name} {where}" if name else where


def source_dict(source: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A place (or a cell with its place) as the JSON report writes it: only the fields
    known (None: no page or line)."""
    if not source:
        return None
    found = {k: source[k] for k in ("file", "page", "line", "bbox") if source.get(k) is not None}
    return found if ("page" in found or "line" in found) else None


def localized_cell(cell: Mapping[str, Any], lang: Lang) -> str:
    """A localized cell (Report.localizations) as a reviewer finds it: ``表 [row key] 列``,
    a statement ``说明.名称``."""
    if cell["table"] == "说明":
        return f"说明.{cell['column']}"
    key = cell.get("row_key")
    row = f"[{key}]" if key else (f"行 {cell['row']}" if lang == "zh" else f"row {cell['row']}")
    return f"{cell['table']} {row} {cell['column']}"


def localized_change(cell: Mapping[str, Any], lang: Lang, decimals: int | None = None) -> str:
    """A localized cell with its printed value and the value it would need."""
    printed, needed = fmt(cell["published"], decimals), fmt(cell["suggested"], decimals)
    if lang == "zh":
        return f"{localized_cell(cell, lang)}：印为 {printed}，应为 {needed}"
    return f"{localized_cell(cell, lang)}: printed {printed}, would be {needed}"
