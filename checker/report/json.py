"""The JSON report: every finding with its cells and JSON pointers (schemas/report.schema.json)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from checker import __version__, pointers
from checker.diagnostics import Lang
from checker.localize import ERROR, ROUNDING_KIND
from checker.report.locate import rule_place
from checker.report.messages import result_message, source_dict
from checker.report.model import DEFAULT_INCLUDE, Report, fingerprint

REPORT_FORMAT = "rulecheck-report/1"


def _number(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def result_dict(row: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """One results-frame row as a report entry."""
    cells = [
        {
            "table": c["table"],
            "row": c["row"],
            "column": c["column"],
            "value": _number(c["value"]),
            "ref": c["ref"],
            **({"text": c["text"]} if c.get("text") is not None else {}),
            "pointer": pointers.cell(c["table"], c["row"], c["column"]),
            "source": source_dict(c),
        }
        for c in (row.get("cells") or [])
    ]
    entry: dict[str, Any] = {
        "document": row.get("id"),
        "path": row.get("path"),
        "rule": row["rule"],
        "title": row.get("title"),
        "severity": row.get("severity"),
        "status": row["status"],
        "table": row.get("rule_table"),
        "row": row.get("row"),
        **({"group": row["group"]} if row.get("group") is not None else {}),
        "column": row.get("column"),
        "lhs": {
            "value": _number(row["lhs"]),
            "interval": [_number(row["lhs_lo"]), _number(row["lhs_hi"])],
        },
        "rhs": {
            "value": _number(row["rhs"]),
            "interval": [_number(row["rhs_lo"]), _number(row["rhs_hi"])],
        },
        "diff": _number(row.get("diff")),
        "tolerance": _number(row.get("tolerance")),
        "materiality": _number(row.get("materiality")),
        "reason": row.get("reason"),
        "message": result_message(row, lang),
        "cells": cells,
        "source": source_dict(row.get("source")),
        "rule_location": rule_place(row.get("rule_file"), row.get("rule_line")),
        "fingerprint": fingerprint(row),
        "waived": bool(row.get("waived")),
    }
    if row["lhs"] is None and row["rhs"] is None:
        entry["lhs"] = entry["rhs"] = None
    if row.get("waived"):
        expires = row.get("waiver_expires")
        entry["waiver"] = {
            "justification": row.get("waiver_justification"),
            "author": row.get("waiver_author"),
            "expires": expires.isoformat() if expires is not None else None,
            "location": row.get("waiver_location"),
        }
    return entry


def report_dict(
    report: Report, lang: Lang = "zh", *, include: Iterable[str] | None = None
) -> dict[str, Any]:
    """The whole report: tool, summary, per-document summaries, results, document diagnostics."""
    statuses = list(include) if include is not None else list(DEFAULT_INCLUDE)
    shown = report.shown(statuses)
    per_document = report.results.per_document()
    located = report.localizations()
    return {
        "format": REPORT_FORMAT,
        "tool": {"name": "rulecheck", "version": __version__},
        "ruleset": {
            "name": report.rules.ruleset.name,
            "version": report.rules.ruleset.version,
            "paths": list(report.rules.paths),
            "rules": len(report.rules.ruleset.rules),
        },
        "summary": report.summary(),
        "documents": [
            {
                **{k: v for k, v in d.items() if k != "document"},
                **_localized(located.get(d["document"], {})),
            }
            for d in per_document.iter_rows(named=True)
        ],
        "results": [result_dict(r, lang) for r in shown.iter_rows(named=True)],
        "document_diagnostics": [d.to_dict(lang) for d in report.document_diagnostics],
        "batch": report.batch_summary(),
        **({"interrupted": True} if report.interrupted else {}),
        **({} if report.waivers is None else {"waivers": _waivers(report, lang)}),
        **({"not_applicable": report.not_applicable().to_dicts()} if "skipped" in statuses else {}),
    }


def _localized(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A document's ``localization`` (its failures) and ``rounding_causes`` (its rounding
    differences), where it has them (Report.localizations)."""
    keys = {ERROR: "localization", ROUNDING_KIND: "rounding_causes"}
    return {keys[kind]: entry for kind, entry in found.items() if kind in keys}


def _waivers(report: Report, lang: Lang) -> dict[str, Any]:
    assert report.waivers is not None
    return {
        "files": list(report.waivers.files),
        "entries": len(report.waivers.entries),
        "waived": report.waived().height,
        "diagnostics": [d.to_dict(lang) for d in report.waiver_diagnostics],
    }
