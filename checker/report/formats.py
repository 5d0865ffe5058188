"""The report formats by name: ``rulecheck check --format NAME`` and ``Report.to_<name>``
both render through :data:`FORMATS`, the one list of them.

Cheap to import (the CLI reads the names at start-up): each renderer is imported when
its format is used.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Literal, get_args

from checker.diagnostics import Lang

if TYPE_CHECKING:
    from checker.report.model import Report

# the HTML report draws the tables of this many documents with marks at most (the first in
# input order; its index lists every document): a page a browser still opens
DRAWN_DOCUMENTS = 200

# the formats' names, in the order ``--help`` lists them (``--format`` accepts these)
Name = Literal["text", "json", "jsonl", "csv", "junit", "sarif", "github", "html"]
NAMES: tuple[Name, ...] = get_args(Name)


@dataclass(frozen=True)
class Options:
    """What a format is asked for; each reads the fields it has a use for."""

    # json, jsonl, csv: the statuses listed (None: fail, error, tolerated and rounding)
    include: Iterable[str] | None = None
    # sarif, github: rounding differences reported as findings too (tolerated ones are)
    include_rounding: bool = False
    # github: the file the Markdown summary goes to (None: after the annotations)
    summary_path: str | None = None
    # text: the statuses listed, and rich's styles (a terminal)
    show: tuple[str, ...] = ("fail", "error", "tolerated")
    color: bool = False

    @classmethod
    def shown(cls, show: Iterable[str], *, color: bool = False) -> Options:
        """``check``'s options from ``--show``: ``rounding`` adds rounding differences to
        the SARIF and GitHub findings; JSON, JSON Lines and CSV always carry them. The
        GitHub summary goes to ``$GITHUB_STEP_SUMMARY`` when that is set."""
        shown = tuple(show)
        return cls(
            include=set(shown) | {"fail", "error", "tolerated", "rounding"},  # as JSON
            include_rounding="rounding" in shown,
            summary_path=os.environ.get("GITHUB_STEP_SUMMARY") or None,
            show=shown,
            color=color,
        )


Render = Callable[["Report", Lang, Options], str]
Write = Callable[["Report", IO[str], Lang, Options], None]


@dataclass(frozen=True)
class Format:
    """One format: its text (``Report.to_<name>``) and how ``check`` writes it."""

    name: Name
    render: Render
    # check writes the text with a final newline (the JSON and SARIF texts end without)
    newline: bool = False
    # written straight to the stream rather than rendered whole first
    stream: Write | None = None
    # check writes it batch by batch, as each is done (the run keeps only what decides
    # its exit)
    streams: bool = False
    # needs every rule's outcome per document, not only the results it lists
    every_outcome: bool = False
    # lists the operands' cells only under the results it shows
    cells_of_shown: bool = False
    # the statuses whose documents it draws, and how many of them at most: check keeps
    # those documents' tables
    tables_of: tuple[str, ...] = ()
    tables_max: int | None = None
    # which localizations it renders (checker.localize): "all" both kinds, "shown" the
    # errors' and, when rounding differences are shown, their root causes; "none"
    localization: Literal["all", "shown", "none"] = "none"

    def localized(self, options: Options) -> tuple[str, ...]:
        """The localization kinds (``error``, ``rounding``) it renders with ``options``:
        what a run writing it computes, and no more."""
        if self.localization == "none":
            return ()
        shown = self.localization == "all" or options.include_rounding
        return ("error", "rounding") if shown else ("error",)

    def write(self, report: Report, out: IO[str], lang: Lang, options: Options) -> None:
        """Write the report to the text stream ``out``."""
        if self.stream is not None:
            self.stream(report, out, lang, options)
        else:
            out.write(self.render(report, lang, options) + ("\n" if self.newline else ""))


def _write_text(report: Report, out: IO[str], lang: Lang, options: Options) -> None:
    from checker.report.text import Output, render

    render(report, Output(out, options.color), lang, show=options.show)


def _text(report: Report, lang: Lang, options: Options) -> str:
    buffer = io.StringIO()
    _write_text(report, buffer, lang, options)
    return buffer.getvalue()


def _json(report: Report, lang: Lang, options: Options) -> str:
    import orjson

    dumped = orjson.dumps(report.to_dict(lang, include=options.include), option=orjson.OPT_INDENT_2)
    return dumped.decode()


def _write_jsonl(report: Report, out: IO[str], lang: Lang, options: Options) -> None:
    from checker.report.tabular import write_jsonl

    write_jsonl(report, out, lang, include=options.include)


def _jsonl(report: Report, lang: Lang, options: Options) -> str:
    buffer = io.StringIO()
    _write_jsonl(report, buffer, lang, options)
    return buffer.getvalue()


def _csv(report: Report, lang: Lang, options: Options) -> str:
    from checker.report.tabular import render_csv

    return render_csv(report, lang, include=options.include)


def _junit(report: Report, lang: Lang, options: Options) -> str:
    from checker.report.junit import render_junit

    return render_junit(report, lang)


def _sarif(report: Report, lang: Lang, options: Options) -> str:
    from checker.report.sarif import render_sarif

    return render_sarif(report, lang, include_rounding=options.include_rounding)


def _github(report: Report, lang: Lang, options: Options) -> str:
    from checker.report.github import render_github

    return render_github(
        report, lang, include_rounding=options.include_rounding, summary_path=options.summary_path
    )


def _html(report: Report, lang: Lang, options: Options) -> str:
    from checker.report.html import render_html

    return render_html(report, lang)


FORMATS: dict[Name, Format] = {
    f.name: f
    for f in (
        Format("text", _text, stream=_write_text, cells_of_shown=True, localization="shown"),
        Format("json", _json, newline=True, localization="all"),
        Format("jsonl", _jsonl, stream=_write_jsonl, streams=True),
        Format("csv", _csv),
        Format("junit", _junit, every_outcome=True),
        Format("sarif", _sarif, newline=True, localization="shown"),
        Format("github", _github),
        Format(
            "html",
            _html,
            tables_of=("fail", "error", "tolerated", "rounding"),
            tables_max=DRAWN_DOCUMENTS,
            localization="all",
        ),
    )
}
assert tuple(FORMATS) == NAMES, "a format for each name, in the same order"


def get(name: str) -> Format:
    """The format called ``name`` (ValueError naming those there are, for another)."""
    for found in FORMATS.values():
        if found.name == name:
            return found
    raise ValueError(f"unknown format {name!r}: {', '.join(NAMES)}")


def render(report: Report, name: str, lang: Lang, options: Options) -> str:
    """The report as the text of format ``name`` (``Report.to_<name>``)."""
    return get(name).render(report, lang, options)


def write(report: Report, name: str, out: IO[str], lang: Lang, show: Iterable[str]) -> None:
    """Write ``report`` as ``name`` to the text stream ``out``, as ``check --format`` does
    (``show``: the ``--show`` statuses; see :meth:`Options.shown`)."""
    get(name).write(report, out, lang, Options.shown(show))
