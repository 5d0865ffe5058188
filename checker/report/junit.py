"""JUnit XML: a ``<testsuite>`` per document, a ``<testcase>`` per rule.

A rule that fails anywhere in the document is a ``<failure>`` listing every failing
place with its message and cells; one that cannot be computed (and fails nowhere) an
``<error>``; one skipped everywhere ``<skipped/>``. Rounding differences pass and are
listed in ``<system-out>``, as are waived findings. Invalid documents and expired
waivers are a suite each, with one ``<error>`` a diagnostic.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import polars as pl

from checker import pointers
from checker.diagnostics import Diagnostic, Lang
from checker.display import xml_safe
from checker.report.locate import place
from checker.report.messages import cell_value, result_message
from checker.report.model import Report

_COUNT_WORDS = {
    "fail": ("{n} 处不符", "fails in {n} place{s}"),
    "error": ("{n} 处无法计算", "cannot be computed in {n} place{s}"),
    "rounding": (
        "{n} 处尾差（舍入误差之内，通过）",
        "{n} rounding difference{s} (within rounding: pass)",
    ),
    "tolerated": (
        "{n} 处差额在容差之内（通过）",
        "{n} difference{s} within the tolerance (pass)",
    ),
    "waived": ("{n} 处已豁免", "{n} waived finding{s}"),
}
_SKIPPED = ("前提条件不成立，未检查", "its condition does not apply")


def result_lines(row: dict[str, Any], lang: Lang) -> list[str]:
    """A result as lines: where and what, then each cell with its value and JSON pointer."""
    where = place(row, lang)
    head = f"{where}: {result_message(row, lang)}" if where else result_message(row, lang)
    lines = [head]
    for cell in row.get("cells") or []:
        label = cell["ref"] or f"{cell['table']}.{cell['column']}"
        pointer = pointers.cell(cell["table"], cell["row"], cell["column"])
        lines.append(
            f"  {label} = {cell_value(cell, lang, row.get('decimals'))}"
            + (f"  {pointer}" if pointer else "")
        )
    return lines


def _counted(status: str, n: int, lang: Lang) -> str:
    zh, en = _COUNT_WORDS[status]
    return (zh if lang == "zh" else en).format(n=n, s="" if n == 1 else "s")


def _outcome(case: ET.Element, rows: list[dict[str, Any]], severity: str, lang: Lang) -> str | None:
    """Add the testcase's failure/error/system-out; the outcome's tag (None: passed)."""
    by_status: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_status["waived" if row.get("waived") else row["status"]].append(row)
    outcome = "fail" if by_status["fail"] else "error" if by_status["error"] else None
    if outcome is not None:
        tag = "failure" if outcome == "fail" else "error"
        bad = by_status["fail"] + by_status["error"]
        first = result_message(by_status[outcome][0], lang)
        element = ET.SubElement(
            case,
            tag,
            message=f"{_counted(outcome, len(by_status[outcome]), lang)}: {first}",
            type=severity,
        )
        element.text = "\n".join(line for row in bad for line in result_lines(row, lang))
    lines = []
    for status in ("waived", "tolerated", "rounding"):  # passing, but worth a line
        if by_status[status]:
            lines.append(_counted(status, len(by_status[status]), lang))
            lines += [line for row in by_status[status] for line in result_lines(row, lang)]
    if lines:
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    return None if outcome is None else ("failure" if outcome == "fail" else "error")


def junit_tree(report: Report, lang: Lang = "zh") -> ET.Element:
    """The ``<testsuites>`` element of a report."""
    frame = report.frame
    totals = frame.group_by("document", "rule").agg(
        pl.len().alias("n"), (pl.col("status") == "skipped").sum().alias("skipped")
    )
    skipped_everywhere = {(d, r) for d, r, n, s in totals.iter_rows() if n and n == s}
    details: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    listed = ["fail", "error", "tolerated", "rounding"]
    for row in frame.filter(pl.col("status").is_in(listed)).iter_rows(named=True):
        details[(row["document"], row["rule"])].append(row)
    rules = report.rules.ruleset.rules
    root = ET.Element("testsuites", name="rulecheck")
    documents = report.batch.documents.select("document", "id", "path").sort("document")
    for document, doc_id, path in documents.iter_rows():
        suite = ET.SubElement(root, "testsuite", name=str(doc_id))
        if path:
            props = ET.SubElement(suite, "properties")
            ET.SubElement(props, "property", name="path", value=str(path))
        suite_counts = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
        for rule in rules:
            rule_id = rule.meta.id
            case = ET.SubElement(
                suite, "testcase", classname=str(doc_id), name=f"{rule_id} {rule.meta.title}"
            )
            suite_counts["tests"] += 1
            tag = _outcome(case, details.get((document, rule_id), []), rule.meta.severity, lang)
            if tag is None and (document, rule_id) in skipped_everywhere:
                ET.SubElement(case, "skipped", message=_SKIPPED[lang == "en"])
                tag = "skipped"
            if tag is not None:
                suite_counts[tag] += 1
        _set_counts(suite, suite_counts)
    _diagnostics_suite(root, ("无效文档", "invalid documents"), report.document_diagnostics, lang)
    _diagnostics_suite(root, ("豁免", "waivers"), report.waiver_diagnostics, lang)
    _set_counts(root, _totals(root))
    return root


def _diagnostics_suite(
    root: ET.Element, names: tuple[str, str], found: Iterable[Diagnostic], lang: Lang
) -> None:
    """A suite of error diagnostics (invalid documents, expired waivers), one ``<error>`` each."""
    diagnostics = [d for d in found if d.severity == "error"]
    if not diagnostics:
        return
    suite = ET.SubElement(root, "testsuite", name=names[lang == "en"])
    for diag in diagnostics:
        where = str(diag.location)
        case = ET.SubElement(suite, "testcase", classname=diag.location.file, name=where)
        error = ET.SubElement(case, "error", message=diag.message(lang), type=diag.code)
        error.text = diag.format(lang)
    n = len(diagnostics)
    _set_counts(suite, {"tests": n, "failure": 0, "error": n, "skipped": 0})


_ATTRIBUTES = {"tests": "tests", "failure": "failures", "error": "errors", "skipped": "skipped"}


def _totals(root: ET.Element) -> dict[str, int]:
    return {
        key: sum(int(suite.get(name, "0")) for suite in root) for key, name in _ATTRIBUTES.items()
    }


def _set_counts(element: ET.Element, counts: dict[str, int]) -> None:
    for key, name in _ATTRIBUTES.items():
        element.set(name, str(counts[key]))


def render_junit(report: Report, lang: Lang = "zh") -> str:
    """The JUnit XML document as text (UTF-8, with its declaration)."""
    tree = junit_tree(report, lang)
    for element in tree.iter():  # any document string: still well-formed XML
        element.text = None if element.text is None else xml_safe(element.text)
        for key, value in element.attrib.items():
            element.set(key, xml_safe(value))
    ET.indent(tree)
    return ET.tostring(tree, encoding="unicode", xml_declaration=True) + "\n"
