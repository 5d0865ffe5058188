"""SARIF 2.1.0: one run, the ruleset as ``tool.driver.rules``, each finding a ``result``
located at its cell in the document file, with the rule's place, its operands and the
cells that most likely explain it (checker.localize) as related locations."""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl

from checker import __version__, ast, pointers
from checker.diagnostics import Lang
from checker.report.locate import (
    DocumentLines,
    file_uri,
    finding_pointer,
    imported_on_the_fly,
    published_location,
    rule_text,
)
from checker.report.messages import (
    cell_value,
    localized_change,
    result_message,
    source_dict,
    source_label,
)
from checker.report.model import PASSING_FINDINGS, Report, finding_statuses, fingerprint

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _rule_descriptor(rule: ast.Rule | ast.Rollup) -> dict[str, Any]:
    meta = rule.meta
    text = rule_text(rule.span.file, rule.span.line, rule.span.end_line)
    description = meta.description or meta.title
    help_text = description + (f"\n\n{text}" if text else "")
    help_markdown = description + (f"\n\n```\n{text}\n```" if text else "")
    properties: dict[str, Any] = {"tags": list(meta.tags), "severity": meta.severity}
    if meta.source:
        properties["source"] = meta.source
    return {
        "id": meta.id,
        "name": meta.title,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVELS.get(meta.severity, "error")},
        "properties": properties,
    }


def _physical(uri: str, line: int | None, end_line: int | None = None) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None:
        region = {"startLine": line}
        if end_line is not None and end_line > line:
            region["endLine"] = end_line
        location["region"] = region
    return location


def fingerprint_hash(row: dict[str, Any]) -> str:
    """Stable across runs and rows moving: a hash of the waiver fingerprint (document id,
    rule id, row key)."""
    import orjson

    key = orjson.dumps(fingerprint(row), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(key).hexdigest()[:32]


def _suppression(row: dict[str, Any]) -> dict[str, Any]:
    """A waiver as SARIF sees it: an accepted external suppression, located in its file."""
    suppression: dict[str, Any] = {"kind": "external", "status": "accepted"}
    if row.get("waiver_justification"):
        suppression["justification"] = row["waiver_justification"]
    where = row.get("waiver_location")
    if where:
        file, _, line = str(where).rpartition(":")
        suppression["location"] = {
            "physicalLocation": _physical(file_uri(file), int(line) if line.isdigit() else None)
        }
    expires = row.get("waiver_expires")
    suppression["properties"] = {
        "author": row.get("waiver_author"),
        "expires": expires.isoformat() if expires is not None else None,
    }
    return suppression


Localized = dict[tuple[Any, ...], list[tuple[str, int, dict[str, Any]]]]


def _localized(report: Report) -> Localized:
    """The localized cells by the result they explain: (document, rule, row, column) →
    (kind, candidate, cell), best candidate first (Report.localizations)."""
    found: Localized = {}
    for document, kinds in report.localizations().items():
        for kind, entry in kinds.items():
            for number, candidate in enumerate(entry["candidates"]):
                for cell in candidate["cells"]:
                    for r in cell["explains"]:
                        key = (document, r["rule"], r["row"], r["column"])
                        found.setdefault(key, []).append((kind, number, cell))
    return found


_LOCALIZED_WORDS = {
    ("error", True): ("最可能有误", "most likely wrong"),
    ("error", False): ("同样可能有误（并列）", "equally likely wrong (tie)"),
    ("rounding", True): ("尾差来源", "rounding explained by"),
    ("rounding", False): ("尾差来源", "rounding explained by"),
}


def _localized_locations(
    row: dict[str, Any],
    localized: Localized,
    first: int,
    lines: DocumentLines,
    lang: Lang,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Related locations for the cells that most likely explain this result (checker.localize),
    and the same cells as properties."""
    key = (row.get("document"), row["rule"], row.get("row"), row.get("column"))
    path = row.get("path") or str(row.get("id"))
    direct = imported_on_the_fly(row.get("path"))
    related: list[dict[str, Any]] = []
    listed: list[dict[str, Any]] = []
    for kind, number, cell in localized.get(key, []):
        zh, en = _LOCALIZED_WORDS[(kind, number == 0)]
        decimals = row.get("decimals") if kind == "error" else None
        text = f"{zh if lang == 'zh' else en}: {localized_change(cell, lang, decimals)}"
        location: dict[str, Any] = {"id": first + len(related), "message": {"text": text}}
        published = published_location(row.get("path"), cell.get("source"))
        if direct and published is not None:
            location["physicalLocation"] = published
        elif cell.get("pointer") is not None:
            line = lines.line(row, cell["pointer"])
            location["physicalLocation"] = _physical(file_uri(path), line)
        related.append(location)
        listed.append({"kind": kind, "candidate": number, **cell})
    return related, listed


def _result(
    row: dict[str, Any],
    index: int,
    spans: dict[str, ast.Span],
    lines: DocumentLines,
    lang: Lang,
    localized: Localized,
) -> dict[str, Any]:
    where = finding_pointer(row)
    path = row.get("path") or str(row.get("id"))
    # checked straight from a PDF or text dump: the finding sits where it was published
    direct = imported_on_the_fly(row.get("path"))
    published = published_location(row.get("path"), row.get("source"))
    location: dict[str, Any] = {
        "physicalLocation": published
        if direct and published is not None
        else _physical(file_uri(path), lines.line(row, where))
    }
    if where is not None:
        location["logicalLocations"] = [
            {
                "fullyQualifiedName": where,
                "name": where.rsplit("/", 1)[-1],
                "kind": "member",
                "properties": {"document": row.get("id"), "jsonPointer": where},
            }
        ]
    span = spans.get(row["rule"])
    related: list[dict[str, Any]] = [
        {
            "id": 0,
            "message": {"text": f"{row['rule']} {row.get('title') or ''}".strip()},
            "physicalLocation": _physical(
                file_uri(str(row.get("rule_file"))),
                row.get("rule_line"),
                span.end_line if span is not None else None,
            ),
        }
    ]
    if published is not None and not direct:  # a JSON document: where it was published, too
        label = source_label(row.get("source"), lang)
        related.append(
            {
                "id": len(related),
                "message": {"text": f"{'发布于' if lang == 'zh' else 'published at'} {label}"},
                "physicalLocation": published,
            }
        )
    cells = []
    for cell in row.get("cells") or []:
        cell_pointer = pointers.cell(cell["table"], cell["row"], cell["column"])
        label = cell["ref"] or f"{cell['table']}.{cell['column']}"
        place = source_dict(cell)
        cells.append(
            {k: cell[k] for k in ("table", "row", "column", "value", "ref", "text")}
            | {"pointer": cell_pointer, "source": place}
        )
        cell_location: dict[str, Any] = {
            "id": len(related),
            "message": {"text": f"{label} = {cell_value(cell, lang, row.get('decimals'))}"},
        }
        cell_published = published_location(row.get("path"), place)
        if direct and cell_published is not None:
            cell_location["physicalLocation"] = cell_published
        elif cell_pointer is not None:  # an aggregate (count(表) …) has no one place
            line = lines.line(row, cell_pointer)
            cell_location["physicalLocation"] = _physical(file_uri(path), line)
        related.append(cell_location)
    likely, listed = _localized_locations(row, localized, len(related), lines, lang)
    related.extend(likely)
    status = row["status"]
    title = row.get("title") or ""
    separator = "：" if lang == "zh" else ": "
    result: dict[str, Any] = {
        "ruleId": row["rule"],
        "ruleIndex": index,
        "message": {"text": f"{title}{separator}{result_message(row, lang)}"},
        "locations": [location],
        "relatedLocations": related,
        "partialFingerprints": {"rulecheck/v1": fingerprint_hash(row)},
        "properties": {
            "status": status,
            "fingerprint": fingerprint(row),
            "document": row.get("id"),
            "row": row.get("row"),
            "column": row.get("column"),
            "lhs": row.get("lhs"),
            "rhs": row.get("rhs"),
            "diff": row.get("diff"),
            "tolerance": row.get("tolerance"),
            "reason": row.get("reason"),
            "cells": cells,
            **({"localized": listed} if listed else {}),
        },
    }
    if row.get("waived"):
        result["suppressions"] = [_suppression(row)]
    if status in PASSING_FINDINGS:  # within rounding or the tolerance: reported, not a failure
        result["kind"] = "informational"
        result["level"] = "none"
    else:
        result["level"] = LEVELS.get(row.get("severity") or "error", "error")
    return result


def sarif_dict(
    report: Report, lang: Lang = "zh", *, include_rounding: bool = False
) -> dict[str, Any]:
    """The SARIF log of a report."""
    rules = list(report.rules.ruleset.rules)
    index = {r.meta.id: i for i, r in enumerate(rules)}
    spans = {r.meta.id: r.span for r in rules}
    lines = DocumentLines()
    shown = report.frame.filter(pl.col("status").is_in(finding_statuses(include_rounding)))
    localized = _localized(report)
    results = [
        _result(row, index.get(row["rule"], -1), spans, lines, lang, localized)
        for row in shown.iter_rows(named=True)
    ]
    notifications = [
        {
            "level": "error" if d.severity == "error" else "warning",
            "message": {"text": d.message(lang)},
            "descriptor": {"id": d.code},
            "locations": [
                {"physicalLocation": _physical(file_uri(d.location.file), d.location.line)}
            ],
        }
        for d in (*report.document_diagnostics, *report.waiver_diagnostics)
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "rulecheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(r) for r in rules],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": notifications,
                    }
                ],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"summary": report.summary()},
            }
        ],
    }


def render_sarif(report: Report, lang: Lang = "zh", *, include_rounding: bool = False) -> str:
    """The SARIF log as indented JSON text."""
    import orjson

    data = sarif_dict(report, lang, include_rounding=include_rounding)
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()
