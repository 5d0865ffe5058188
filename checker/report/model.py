"""The report model: the outcome of checking documents against rules (:class:`Report`) and
the status helpers its formats share. It imports no format: the formats
(``checker.report.json`` …) import it, and ``Report.to_<format>`` renders through the
registry of ``checker.report.formats``, imported when called."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from checker import pointers
from checker.diagnostics import Diagnostic, ExitCode, Lang
from checker.documents import Batch
from checker.evaluate import Results
from checker.evidence import SOURCE_DTYPE
from checker.localize import CELLS_SCHEMA, ERROR, ROUNDING_KIND, SUMMARY_SCHEMA
from checker.report.messages import source_dict
from checker.ruleset import Rules
from checker.waivers import Waivers

# the statuses a report lists unless told otherwise (JSON, JSON Lines, CSV)
DEFAULT_INCLUDE = ("fail", "error", "tolerated", "rounding")
# reported, but passing: a difference within rounding, or beyond it within the rule's
# materiality threshold (which an auditor set, so sees every time)
PASSING_FINDINGS = ("tolerated", "rounding")

# a run of more documents is a batch: the text report gives a line only to documents with
# failures, the HTML report draws only the marked rows of a table
MANY_DOCUMENTS = 20


def finding_statuses(include_rounding: bool) -> list[str]:
    """The statuses the CI formats report: fail, error and tolerated (as notes), rounding
    on request."""
    return ["fail", "error", "tolerated"] + (["rounding"] if include_rounding else [])


def waived_flag(frame: pl.DataFrame) -> pl.Expr:
    """True where a waiver covers the result (frames checked without waivers: never)."""
    return pl.col("waived").fill_null(False) if "waived" in frame.columns else pl.lit(False)


def fingerprint(row: dict[str, Any]) -> dict[str, Any]:
    """What a ``[[waiver]]`` names to waive this result: document id, rule id and the row's
    key (``checker.rowkeys``), or its index where the row has no key."""
    found = {"document": row.get("id"), "rule": row["rule"]}
    if row.get("row_key") is not None:
        return {**found, "key": row["row_key"]}
    return found if row.get("row") is None else {**found, "row": row["row"]}


def _rounded(value: Any) -> Any:
    """Figures to 4 decimals (a localized cell's published and suggested values, weights)."""
    return round(value, 4) if isinstance(value, float) else value


LOCALIZATION_KINDS = (ERROR, ROUNDING_KIND)  # a localization's kinds, as report keys name them


@dataclass(frozen=True)
class Report:
    """The outcome of checking documents against rules (R validate's ``confront``)."""

    results: Results
    batch: Batch
    rules: Rules
    document_diagnostics: list[Diagnostic] = field(default_factory=list)
    waivers: Waivers | None = None
    # expired (errors: they fail the run), unused and duplicate (warnings) waivers
    waiver_diagnostics: list[Diagnostic] = field(default_factory=list)
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM: results of the batches done so far

    @property
    def frame(self) -> pl.DataFrame:
        """Every result: one row per (document, rule, row, column), ``waived`` and its waiver."""
        return self.results.frame

    def findings(self, fail_on: str = "error", include_rounding: bool = False) -> pl.DataFrame:
        """Unwaived fail/error results at or above ``fail_on`` (error | warning | info)."""
        found = self.results.findings(fail_on, include_rounding)
        return found.filter(~pl.col("waived")) if "waived" in found.columns else found

    def waived(self) -> pl.DataFrame:
        """The findings a waiver covers (status kept; justification, author, expiry, file:line)."""
        frame = self.frame
        return frame.filter(pl.col("waived")) if "waived" in frame.columns else frame.clear()

    def summary(self) -> dict[str, int]:
        """Counts per status, plus documents checked and invalid, and ``not_applicable``:
        the (document, rule) pairs without a result (see :meth:`not_applicable`)."""
        counts = self.results.counts()
        return {
            "documents": self.batch.valid_count,
            "invalid_documents": self.batch.invalid_count,
            "rules": len(self.rules.ruleset.rules),
            **counts,
            "not_applicable": int(self.not_applicable().get_column("documents").sum()),
            "waived": self.waived().height,
        }

    def not_applicable(self) -> pl.DataFrame:
        """The rules that found nothing to check in some documents (no result at all, e.g. a
        roll-up in a table with no parent rows): ``rule``, ``title``, ``rule_file``,
        ``rule_line`` and ``documents``, the number of documents checked it has no result for.
        """
        rules = self.rules.ruleset.rules
        checked = self.results.documents.height
        return (
            pl.DataFrame(
                {
                    "rule": [r.meta.id for r in rules],
                    "title": [r.meta.title for r in rules],
                    "rule_file": [r.span.file for r in rules],
                    "rule_line": [r.span.line for r in rules],
                },
                schema={
                    "rule": pl.Utf8,
                    "title": pl.Utf8,
                    "rule_file": pl.Utf8,
                    "rule_line": pl.Int64,
                },
            )
            .join(self.results.rule_documents(), on="rule", how="left")
            .with_columns(
                (checked - pl.col("documents").fill_null(0).cast(pl.Int64)).alias("documents")
            )
            .filter(pl.col("documents") > 0)
        )

    def batch_summary(self, limit: int = 10) -> dict[str, Any]:
        """Unwaived fail/error results per rule (most first) and the ``limit`` worst documents."""
        found = self.frame.filter(pl.col("status").is_in(["fail", "error"]))
        if "waived" in found.columns:
            found = found.filter(~pl.col("waived"))
        fail, error = (pl.col("status") == "fail").sum(), (pl.col("status") == "error").sum()
        by_rule = (
            found.group_by("rule")
            .agg(
                pl.col("title").first(),
                pl.col("severity").first(),
                fail.alias("fail"),
                error.alias("error"),
                pl.col("document").n_unique().alias("documents"),
            )
            .sort(pl.col("fail") + pl.col("error"), "rule", descending=[True, False])
        )
        worst = (
            found.group_by("document")
            .agg(
                pl.col("id").first(),
                pl.col("path").first(),
                fail.alias("fail"),
                error.alias("error"),
            )
            .sort(pl.col("fail") + pl.col("error"), "document", descending=[True, False])
            .head(limit)
            .drop("document")
        )
        return {"rules": by_rule.to_dicts(), "worst_documents": worst.to_dicts()}

    def localization(self, kind: str | None = None) -> pl.DataFrame:
        """The localized cells (checker.localize): one row per document, kind, candidate
        and cell, best candidate first.

        ``kind`` is ``error`` (localization: the cells whose change most likely makes the
        failures pass) or ``rounding`` (rounding root causes: the cells whose shift within
        their rounding interval makes the 尾差 exact); None: both. Columns: ``id`` and
        ``path`` of the document, ``kind``, ``candidate`` (0 the best; the others tied
        optima), ``cost`` (its total weight; rounding: its number of cells), the cell
        (``table``, ``row`` (0-based, null for a prose statement of table 说明),
        ``row_key`` (checker.rowkeys), ``column``, ``pointer`` (its JSON pointer),
        ``source`` (where it was published: file, page, line, bbox)), ``published``
        (null: printed empty), ``suggested``, ``weight``, ``readers`` (the linear rules
        reading it) and ``explains`` (the results it makes pass, or exact: ``rule``,
        ``row``, ``column`` as in the results frame).
        """
        located = self.results.localization
        cells = located.cells if located is not None else pl.DataFrame(schema=CELLS_SCHEMA)
        if kind is not None:
            cells = cells.filter(pl.col("kind") == kind)
        if "row_key" not in cells.columns:
            cells = cells.with_columns(
                pl.lit(None, pl.Utf8).alias("row_key"), pl.lit(None, SOURCE_DTYPE).alias("source")
            )
        pointer = pl.struct("table", "row", "column").map_elements(
            lambda c: pointers.cell(c["table"], c["row"], c["column"]), return_dtype=pl.Utf8
        )
        return (
            self._named(cells)
            .with_columns((pointer if cells.height else pl.lit(None, pl.Utf8)).alias("pointer"))
            .select(
                "id",
                "path",
                "kind",
                "candidate",
                "cost",
                "table",
                "row",
                "row_key",
                "column",
                pl.col("pointer").cast(pl.Utf8),
                "source",
                "published",
                "suggested",
                "weight",
                "readers",
                "explains",
                "document",
            )
        )

    def localization_summary(self) -> pl.DataFrame:
        """Per document and kind localized (see :meth:`localization`): ``status`` (found;
        none: no change of published cells within the limits does it; too-large),
        ``candidates`` listed, ``more`` (further tied optima not listed; null: not
        sought), ``proven`` (the candidates are optimal, not only the best found) and
        ``rules`` (the results it is about)."""
        located = self.results.localization
        summary = located.summary if located is not None else pl.DataFrame(schema=SUMMARY_SCHEMA)
        return self._named(summary).select("id", "path", *SUMMARY_SCHEMA)

    def localizations(self) -> dict[int, dict[str, dict[str, Any]]]:
        """Per document (its ``document`` number) and kind (``error``, ``rounding``): the
        localization as the JSON report writes it — ``status``, ``proven``, ``more``,
        ``rules`` and ``candidates``, each ``{"cost", "cells": [...]}`` with each cell's
        ``table``, ``row``, ``row_key``, ``column``, ``pointer``, ``source``,
        ``published``, ``suggested``, ``weight``, ``readers`` and ``explains``."""
        found: dict[int, dict[str, dict[str, Any]]] = {}
        for row in self.localization_summary().iter_rows(named=True):
            found.setdefault(row["document"], {})[row["kind"]] = {
                "status": row["status"],
                "proven": row["proven"],
                "more": row["more"],
                "rules": row["rules"] or [],
                "candidates": [],
            }
        cells = self.localization().sort("document", "kind", "candidate", "table", "row", "column")
        for row in cells.iter_rows(named=True):
            entry = found.get(row["document"], {}).get(row["kind"])
            if entry is None:
                continue
            listed = entry["candidates"]
            while len(listed) <= row["candidate"]:
                listed.append({"cost": row["cost"], "cells": []})
            listed[row["candidate"]]["cells"].append(
                {
                    "source": source_dict(row["source"]),
                    **{
                        k: _rounded(row[k])
                        for k in (
                            "table",
                            "row",
                            "row_key",
                            "column",
                            "pointer",
                            "published",
                            "suggested",
                            "weight",
                            "readers",
                            "explains",
                        )
                    },
                }
            )
        return found

    def _named(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` (by ``document`` number) with the documents' ``id`` and ``path``."""
        documents = self.results.documents
        keys = [c for c in ("document", "id", "path") if c in documents.columns]
        named = documents.select(keys).with_columns(pl.col("document").cast(pl.UInt32))
        for missing in ("id", "path"):
            if missing not in named.columns:
                named = named.with_columns(pl.lit(None, pl.Utf8).alias(missing))
        return frame.join(named, on="document", how="left").sort("document")

    def exit_code(self, fail_on: str = "error") -> ExitCode:
        """1 when a finding at or above ``fail_on`` exists, 4 for invalid documents, else 0."""
        if self.batch.invalid_count:
            return ExitCode.INVALID_DOCUMENT
        expired = any(d.code == "waiver.expired" for d in self.waiver_diagnostics)
        if fail_on != "never" and (expired or self.findings(fail_on).height):
            return ExitCode.FINDINGS
        return ExitCode.CLEAN

    def shown(self, include: Iterable[str] | None = None) -> pl.DataFrame:
        """The results of the ``include`` statuses (default :data:`DEFAULT_INCLUDE`)."""
        statuses = list(include) if include is not None else list(DEFAULT_INCLUDE)
        return self.frame.filter(pl.col("status").is_in(statuses))

    def to_dict(self, lang: Lang = "zh", *, include: Iterable[str] | None = None) -> dict[str, Any]:
        """The JSON report (schemas/report.schema.json)."""
        from checker.report.json import report_dict

        return report_dict(self, lang, include=include)

    def to_json(self, lang: Lang = "zh", *, include: Iterable[str] | None = None) -> str:
        """The JSON report as text."""
        return self._render("json", lang, include=include)

    def to_jsonl(self, lang: Lang = "zh", *, include: Iterable[str] | None = None) -> str:
        """One JSON result a line (the fields of a result in the JSON report)."""
        return self._render("jsonl", lang, include=include)

    def to_csv(self, lang: Lang = "zh", *, include: Iterable[str] | None = None) -> str:
        """One result a row, flat columns."""
        return self._render("csv", lang, include=include)

    def to_sarif(self, lang: Lang = "zh", *, include_rounding: bool = False) -> str:
        """SARIF 2.1.0: fail/error results (and rounding on request) at their cells."""
        return self._render("sarif", lang, include_rounding=include_rounding)

    def to_junit(self, lang: Lang = "zh") -> str:
        """JUnit XML: a testsuite per document, a testcase per rule."""
        return self._render("junit", lang)

    def to_github(self, lang: Lang = "zh", *, include_rounding: bool = False) -> str:
        """GitHub Actions annotations (within GitHub's limits), then a Markdown summary."""
        return self._render("github", lang, include_rounding=include_rounding)

    def to_text(self, lang: Lang = "zh", *, show: Iterable[str] = ("fail", "error")) -> str:
        """The text report ``check`` prints (plain, no styles), listing the ``show`` statuses."""
        return self._render("text", lang, show=tuple(show))

    def to_html(self, lang: Lang = "zh") -> str:
        """One self-contained HTML page: the documents' tables with the cells marked."""
        return self._render("html", lang)

    def _render(self, name: str, lang: Lang, **options: Any) -> str:
        """Format ``name`` of ``checker.report.formats`` (imported here: the formats import
        this module)."""
        from checker.report.formats import Options, render

        return render(self, name, lang, Options(**options))
