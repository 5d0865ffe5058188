"""The ``rulecheck`` command line (typer).

Each command is a thin shell over the library: parse options, call the stage,
render diagnostics in the user's language, exit with the documented code.
No traceback reaches a user: unexpected errors exit 5 with a short request for
a report (the traceback only with ``--debug``).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from checker import resources
from checker.diagnostics import ExitCode, Lang
from checker.report.formats import NAMES as REPORT_FORMATS
from checker.report.formats import Name as ReportFormat
from checker.report.formats import get as report_format

if TYPE_CHECKING:
    from checker.analysis import Analysis
    from checker.outputs import AtomicFile
    from checker.ruleset import Rules
    from checker.ruletest import SuiteResult

_APP_SETTINGS: dict[str, Any] = {
    "name": "rulecheck",
    "help": "部门预算公开文件勾稽关系检查 / consistency checks for published budget documents.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
}
app = typer.Typer(**_APP_SETTINGS)

LangOption = Annotated[str, typer.Option("--lang", help="消息语言 zh|en\n\nmessage language")]
DebugOption = Annotated[bool, typer.Option("--debug", help="出错时显示调用栈\n\nshow tracebacks")]

_debug = False


def _print_version(value: bool) -> None:
    """``--version``: print the version and exit 0."""
    if value:
        from checker import __version__

        sys.stdout.write(f"rulecheck {__version__}\n")
        raise typer.Exit(ExitCode.CLEAN)


VersionOption = Annotated[
    bool,
    typer.Option(
        "--version", is_eager=True, callback=_print_version, help="显示版本号\n\nshow the version"
    ),
]


@app.callback()
def _root(
    debug: DebugOption = False,
    version: VersionOption = False,
) -> None:
    global _debug
    _debug = debug
    resources.DEBUG = debug  # notes such as "cache folder not used"


_LANGS = ("zh", "en")


def _language(lang: str) -> Lang:
    """``--lang``: zh or en (anything else is a usage error, exit 2)."""
    if lang not in _LANGS:
        raise typer.BadParameter(f"{lang!r}: zh | en", param_hint="--lang")
    return "en" if lang == "en" else "zh"


INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it (SIGTERM 143: checker.signals)
BATCH_DOCUMENTS = 2_000  # = checker.documents.BATCH_DOCUMENTS (not imported: cold start)
# coverage holds every result's operand cells, ~1.5 MB a seed-sized document: 250 a batch
# peaks at ~1.6 GB where 2,000 peaked at 7 GB, at the same speed (bench/RESULTS.md)
COVERAGE_BATCH = 250


def _refuse_inputs(
    output: str,
    documents: list[str],
    rules: list[str] | None,
    waivers: list[str] | None,
    schema: str | None,
) -> None:
    """An ``--output`` that is one of the inputs: RulecheckError, exit 2 (checker.outputs)."""
    from checker.outputs import document_files, refuse_inputs, rule_paths

    refuse_inputs(
        output,
        [
            ("document", document_files(documents) if documents else ()),
            ("rules", rule_paths(rules or ())),
            ("waivers", waivers or ()),
            ("schema", [schema] if schema else ()),
        ],
    )


def _interruptible(command: Callable[..., None]) -> Callable[..., None]:
    """Ctrl-C or SIGTERM outside a batch (loading rules, writing the report): exit 130 or
    143; standard output closed by its reader (``| head -1``): exit 141; no traceback.

    (click would print "Aborted!" and exit 1, which means findings.)
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        from checker import signals

        try:
            command(*args, **kwargs)
        except KeyboardInterrupt:
            sys.stderr.write("已中断 / interrupted\n")
            raise typer.Exit(signals.exit_code()) from None
        except BrokenPipeError:
            signals.drop_stdout()
            raise typer.Exit(signals.PIPE_CLOSED) from None

    return run


class OutputFormat(StrEnum):
    """``--format`` of ``validate``."""

    text = "text"
    json = "json"


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="输出格式\n\noutput format")]
SchemaOption = Annotated[
    str | None,
    typer.Option(
        "--schema",
        help="文档结构：另一模板的 JSON Schema\n\ndocument JSON Schema of another template",
        show_default=False,
    ),
]
RulesOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rules",
        "-r",
        help="规则文件或目录，默认自带规则\n\nrule files or folders (default: the bundled ones)",
        show_default=False,
    ),
]

IncludeRootOption = Annotated[
    list[str] | None,
    typer.Option(
        "--include-root",
        metavar="DIR",
        help="include 还可读取的目录\n\n"
        "let includes reach *.rules under DIR too (default: the ruleset's folder tree only)",
        show_default=False,
    ),
]
MaxBytesOption = Annotated[
    int | None,
    typer.Option(
        "--max-bytes",
        metavar="N",
        help="输入文件大小上限（字节）\n\nsize limit of each input file "
        "(bytes: documents, rules, waivers, schemas, case files, PDFs; default 64 MiB)",
        show_default=False,
    ),
]


def _input_limits(max_bytes: int | None, include_root: list[str] | None = None) -> int:
    """``--max-bytes`` and ``--include-root`` for every file the command reads; the limit."""
    from checker.files import max_bytes as limit
    from checker.files import set_max_bytes
    from checker.rulefiles import set_include_roots

    if max_bytes is not None and max_bytes < 1:
        raise typer.BadParameter(f"{max_bytes}: ≥ 1", param_hint="--max-bytes")
    set_max_bytes(max_bytes)
    set_include_roots(include_root)
    return limit()


SelectOption = Annotated[
    list[str] | None,
    typer.Option("--select", help="只运行这些规则编号或前缀\n\nonly these rule ids or prefixes"),
]
IgnoreOption = Annotated[
    list[str] | None,
    typer.Option("--ignore", help="不运行这些规则编号或前缀\n\nskip these rule ids or prefixes"),
]


BatchSizeOption = Annotated[
    int,
    typer.Option(
        "--batch-size",
        min=1,
        help="每批读取的文档数，内存随之增减\n\ndocuments read per batch (bounds memory)",
    ),
]


@app.command("validate")
@_interruptible
def validate(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="文档：文件、目录、通配符、NDJSON，- 为标准输入\n\n"
            "documents: files, folders, globs, NDJSON, - for stdin",
            show_default=False,
        ),
    ],
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = "zh",
    schema: SchemaOption = None,
    batch_size: BatchSizeOption = BATCH_DOCUMENTS,
    max_bytes: MaxBytesOption = None,
) -> None:
    """检查文档是否符合文档结构 /
    schema-check documents (exit 0 valid, 4 invalid, 2 usage)."""
    import orjson

    from checker.api import for_template
    from checker.diagnostics import RulecheckError
    from checker.documents import DocumentStatus, iter_batches

    language = _language(lang)
    limit = _input_limits(max_bytes)

    def item(status: DocumentStatus) -> str:  # a document's entry of the JSON list
        entry = {
            "path": status.path,
            "id": status.id,
            **({"line": status.line} if status.line is not None else {}),
            "valid": status.valid,
            "diagnostics": [d.to_dict(language) for d in status.diagnostics],
        }
        text = orjson.dumps(entry, option=orjson.OPT_INDENT_2).decode()
        return "\n".join("    " + line for line in text.split("\n"))  # not splitlines: U+2028

    # batch by batch (memory bounded by the batch), written as they come: the output is
    # the same whatever the batch size
    as_json = output_format is OutputFormat.json
    files: int | None = None
    documents = valid = 0
    try:
        schema, _ = for_template(paths, schema, with_rules=False)
        for batch in iter_batches(paths, size=batch_size, schema=schema, max_bytes=limit):
            if files is None:  # the first batch: the arguments were usable
                files = batch.files
                if as_json:
                    sys.stdout.write('{\n  "documents": [')
            for status in batch.statuses:
                if as_json:
                    sys.stdout.write(("\n" if not documents else ",\n") + item(status))
                else:
                    for diag in status.diagnostics:
                        sys.stdout.write(diag.format(language) + "\n")
                documents += 1
                valid += status.valid
            del batch  # freed before the next batch is loaded
    except RulecheckError as error:
        for diag in error.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(error.exit_code) from None
    files, invalid = files or 0, documents - valid
    if as_json:
        summary = {"files": files, "documents": documents, "valid": valid, "invalid": invalid}
        whole = orjson.dumps({"documents": [], "summary": summary}, option=orjson.OPT_INDENT_2)
        tail = whole.decode().split('"documents": []', 1)[1]
        sys.stdout.write(("\n  ]" if documents else "]") + tail + "\n")
    else:
        sys.stdout.write(_validate_summary(files, documents, valid, invalid, language))
    raise typer.Exit(ExitCode.INVALID_DOCUMENT if invalid else ExitCode.CLEAN)


def _validate_summary(files: int, documents: int, valid: int, invalid: int, lang: Lang) -> str:
    if lang == "en":
        head = f"{files} file{'s' if files != 1 else ''}"
        if documents != files:
            head += f" ({documents} document{'s' if documents != 1 else ''})"
        return f"{head}, {valid} valid, {invalid} invalid\n"
    head = f"{files} 个文件" + (f"（{documents} 个文档）" if documents != files else "")
    return f"{head}, {valid} 个有效, {invalid} 个无效\n"


@app.command("lint")
@_interruptible
def lint_command(
    rules: Annotated[
        list[str],
        typer.Argument(
            help="规则文件或 *.rules 所在目录\n\nrule files or folders of *.rules",
            show_default=False,
        ),
    ],
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = "zh",
    schema: SchemaOption = None,
    include_root: IncludeRootOption = None,
    max_bytes: MaxBytesOption = None,
) -> None:
    """静态检查规则文件 /
    check rule files statically (exit 0 clean, 3 errors, 2 usage)."""
    from checker.diagnostics import RulecheckError
    from checker.lint import lint, render_json, render_text, unusable_paths
    from checker.template import Template

    language = _language(lang)
    _input_limits(max_bytes, include_root)
    template: Template | None = None
    if schema is not None:
        from checker.documents import load_schema

        try:
            template = load_schema(schema).template
        except RulecheckError as error:
            for diag in error.diagnostics:
                sys.stderr.write(diag.format(language) + "\n")
            raise typer.Exit(error.exit_code) from None
    unusable = unusable_paths(rules)  # a path that names no rule file: a usage error
    if unusable:
        for diag in unusable:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(ExitCode.USAGE)
    result = lint(rules, template)
    render = render_json if output_format is OutputFormat.json else render_text
    sys.stdout.write(render(result, language))
    raise typer.Exit(ExitCode.INVALID_RULES if result.errors else ExitCode.CLEAN)


class FailOn(StrEnum):
    """``--fail-on``: the lowest severity whose findings make the run exit 1."""

    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


def _open_output(path: str, lang: Lang) -> AtomicFile:
    """``--output`` for writing (a temporary file beside it, renamed over it once the run
    has completed: checker.outputs), or exit 2 with why it cannot be."""
    from checker.outputs import AtomicFile

    try:
        return AtomicFile(path)  # the caller commits or discards it
    except OSError as exc:
        reason = exc.strerror or str(exc)
        sys.stderr.write(
            f"无法写入 {path}：{reason}\n" if lang == "zh" else f"cannot write {path}: {reason}\n"
        )
        raise typer.Exit(ExitCode.USAGE) from None


@app.command("import")
@_interruptible
def import_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="已公开的文档：PDF、文本导出 .txt、目录、通配符；a.pdf+b.pdf 为一个文档\n\n"
            "published documents: PDF, text dumps, folders, globs; a.pdf+b.pdf is one document",
            show_default=False,
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="输出目录（每个文档一个 JSON），- 为标准输出（NDJSON）\n\n"
            "folder for one JSON per document, - for NDJSON on stdout",
        ),
    ] = "-",
    template: Annotated[
        str | None,
        typer.Option("--template", help="强制使用的模板\n\nforce a template", show_default=False),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="不显示进度\n\nno progress bar")
    ] = False,
    lang: LangOption = "zh",
    max_bytes: MaxBytesOption = None,
) -> None:
    """把公开的文档读成 JSON 文档 /
    import published documents (exit 0 ok, 4 unreadable)."""
    from checker.diagnostics import RulecheckError
    from checker.documents.importer import import_arguments, import_document, validated
    from checker.report.progress import CountProgress

    language = _language(lang)
    _input_limits(max_bytes)
    targets = import_arguments(paths)
    folder = None if output == "-" else Path(output)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            sys.stderr.write(f"{output}: {exc.strerror or exc}\n")
            raise typer.Exit(ExitCode.USAGE) from None
    failed = 0
    with CountProgress(len(targets), language, enabled=not quiet and sys.stderr.isatty()) as bar:
        for target in targets:
            try:
                imported = import_document(target, template)
            except RulecheckError as error:
                for diag in error.diagnostics:
                    sys.stderr.write(diag.format(language) + "\n")
                if error.exit_code == ExitCode.USAGE:
                    raise typer.Exit(ExitCode.USAGE) from None
                failed += 1
                bar.advance()
                continue
            problems = validated(imported)
            for diag in [*imported.diagnostics(), *problems]:
                sys.stderr.write(diag.format(language) + "\n")
            if problems:
                failed += 1
                bar.advance()
                continue
            _write_document(imported.document, folder)
            bar.advance()
    raise typer.Exit(ExitCode.INVALID_DOCUMENT if failed else ExitCode.CLEAN)


def _write_document(document: dict[str, Any], folder: Path | None) -> None:
    """One imported document: a line of NDJSON on stdout, or ``<id>.json`` in ``folder``
    (written beside the target and renamed, so a reader never sees half a file). Ctrl-C
    is held back meanwhile: it never leaves half a line or a temporary file behind."""
    import orjson

    if folder is None:
        line = orjson.dumps(document).decode() + "\n"
        with _uninterrupted():
            sys.stdout.write(line)
            sys.stdout.flush()
        return
    from checker.outputs import write_atomic

    data = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    with _uninterrupted():
        write_atomic(folder / f"{document['meta']['id']}.json", data)


@app.command("templates")
@_interruptible
def templates_command(lang: LangOption = "zh") -> None:
    """列出已知模板 /
    list the known templates."""
    from checker.documents.layout import all_layouts

    language = _language(lang)
    for layout in all_layouts():
        stem = Path(layout.file).name.removesuffix(".layout.json")
        tables = len(layout.tables)
        kinds = "/".join(layout.kinds)
        if language == "zh":
            sys.stdout.write(f"{stem}\t{layout.name}\t{kinds}\t{tables} 张表\t单位 {layout.unit}\n")
        else:
            sys.stdout.write(
                f"{stem}\t{layout.name}\t{kinds}\t{tables} tables\tunit {layout.unit}\n"
            )
    raise typer.Exit(ExitCode.CLEAN)


@app.command("check")
@_interruptible
def check_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="文档：文件、目录、通配符、NDJSON，- 为标准输入\n\ndocuments", show_default=False
        ),
    ],
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    fail_on: Annotated[
        FailOn,
        typer.Option(
            "--fail-on",
            metavar="LEVEL",
            help="退出码为 1 的最低级别\n\nlowest failing severity: error warning info never",
        ),
    ] = FailOn.error,
    output_format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help=f"输出格式\n\noutput format: {' '.join(REPORT_FORMATS)}",
        ),
    ] = "text",
    output: Annotated[
        str | None,
        typer.Option("--output", "-o", help="写入文件\n\nwrite to a file", show_default=False),
    ] = None,
    show: Annotated[
        list[str] | None,
        typer.Option(
            "--show",
            help="列出哪些结果，可重复\n\nwhich results to list, repeatable: "
            "--show rounding --show pass; fail error tolerated rounding pass skipped waived "
            "(default: fail error tolerated)",
        ),
    ] = None,
    lang: LangOption = "zh",
    schema: SchemaOption = None,
    waivers: Annotated[
        list[str] | None,
        typer.Option(
            "--waivers",
            help="豁免文件（TOML），不计入退出码\n\nwaiver files (TOML)",
            show_default=False,
        ),
    ] = None,
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="判断豁免过期的日期\n\nthe date waivers expire against: YYYY-MM-DD "
            "(default: $RULECHECK_TODAY, else today)",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="不显示进度\n\nno progress bar"),
    ] = False,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size",
            min=1,
            help="每批检查的文档数，内存随之增减\n\ndocuments checked per batch (bounds memory)",
        ),
    ] = BATCH_DOCUMENTS,
    include_root: IncludeRootOption = None,
    max_bytes: MaxBytesOption = None,
    no_localize: Annotated[
        bool,
        typer.Option(
            "--no-localize",
            help="不指出可能有误的单元格\n\ndo not name the cells most likely wrong "
            "(nor the rounding root causes)",
        ),
    ] = False,
) -> None:
    """按规则检查文档 /
    check documents against a ruleset (exit 0 clean, 1 findings).

    Checked in batches: Ctrl-C stops after the batch under way, with the report so far (130).
    """
    import gc

    language = _language(lang)
    limit = _input_limits(max_bytes, include_root)
    shown = list(show) if show else ["fail", "error", "tolerated"]
    allowed = {"fail", "error", "tolerated", "rounding", "pass", "skipped", "waived"}
    if any(s not in allowed for s in shown):
        raise typer.BadParameter(", ".join(sorted(allowed)), param_hint="--show")
    # No cyclic garbage collection until the first batch is checked: Polars' import, the
    # cached ruleset and engine and the first batch make hundreds of thousands of objects,
    # nearly none in cycles, which each collection would only traverse again (~55 ms of a
    # one-document check). Then they are frozen (never traversed again: modules, the
    # ruleset, the engine live as long as the process) and collection resumes; it is on
    # again however the command ends.
    gc.disable()
    from checker import signals
    from checker.api import check, for_template, load_rules, make_report
    from checker.diagnostics import RulecheckError
    from checker.documents import Batch, iter_sources
    from checker.evaluate import CELL_STATUSES, Results
    from checker.outputs import ruleset_files
    from checker.report.formats import Options
    from checker.report.progress import BatchProgress
    from checker.signals import reader_gone
    from checker.waivers import load_waivers, resolve_today

    chosen = report_format(output_format)
    # styles only for a terminal (or FORCE_COLOR, as rich has it); a file gets plain lines
    color = not output and (sys.stdout.isatty() or bool(os.environ.get("FORCE_COLOR")))
    options = Options.shown(shown, color=color)
    sink: IO[str] = sys.stdout
    out: AtomicFile | None = None
    try:
        if output:  # an input as the output: a usage error before anything is read
            _refuse_inputs(output, paths, rules, waivers, schema)
        day = resolve_today(today)
        waived = load_waivers(waivers) if waivers else None
        schema, rules = for_template(paths, schema, rules)
        ruleset = load_rules(rules, schema=schema).select(select or (), ignore or ())
        if output:  # and any file the ruleset includes
            _refuse_inputs(output, [], [*ruleset_files(ruleset.ruleset)], None, None)
        sources = iter_sources(paths)
        for diag in ruleset.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        # one document a .json file; NDJSON and stdin hold an unknown number
        total = len(sources) if all(s.mode == "json" and s.path for s in sources) else None
        include = set(shown) | CELL_STATUSES
        # the text report prints operands only under the results it lists (waived ones are
        # findings of any status); listing the rest's cells would rerun their rules for
        # nothing
        cells_for = (
            set(shown) | ({"fail", "error"} if "waived" not in shown else CELL_STATUSES)
            if chosen.cells_of_shown
            else include
        )
        # JUnit needs every rule's outcome per document; the others only what they list
        keep = None if chosen.every_outcome else include
        # JSON Lines stream out batch by batch; the run then holds only what decides its
        # exit
        streaming = chosen.streams
        # opened before the run: a path that cannot be written is a usage error now, not
        # after an hour of checking
        if output:
            out = _open_output(output, language)
            sink = out.file
        drawing = not quiet and sys.stderr.isatty()
        with BatchProgress(total, language, enabled=drawing) as progress:

            def on_batch(batch: Batch, results: Results) -> None:
                if not gc.isenabled():  # the first batch: what lives now lives on
                    gc.freeze()
                    gc.enable()
                progress.advance(batch, results)
                if sink is sys.stdout and reader_gone(sys.stdout):  # `| head`: stop now
                    raise BrokenPipeError(errno.EPIPE, "standard output closed")
                if streaming:
                    part = make_report(batch, results, ruleset, waived, day)
                    with _uninterrupted():
                        chosen.write(part, sink, language, options)
                        sink.flush()

            report = check(
                paths,
                ruleset,
                schema=schema,
                cells_for=cells_for,
                waivers=waived,
                today=day,
                keep=keep,
                retain=("fail", "error") if streaming else None,
                tables_for=chosen.tables_of,
                tables_max=chosen.tables_max,
                batch_size=batch_size,
                max_bytes=limit,
                on_batch=on_batch,
                interruptible=True,
                localize=() if no_localize else chosen.localized(options),
            )
        if not chosen.cells_of_shown:
            for diag in report.waiver_diagnostics:  # text lists them with the findings
                sys.stderr.write(diag.format(language) + "\n")
        if not streaming:
            chosen.write(report, sink, language, options)
        if out is not None and not report.interrupted:  # complete: it replaces the old one
            out.commit()
    except RulecheckError as error:
        for diag in error.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(error.exit_code) from None
    finally:
        gc.enable()
        if out is not None:  # a failed or interrupted run: the old output as it was
            out.discard()
    if report.interrupted:
        done = report.batch.valid_count + report.batch.invalid_count
        sys.stderr.write(
            f"已中断：已检查 {done} 个文档，结果不完整\n"
            if language == "zh"
            else f"interrupted: {done} documents checked, results incomplete\n"
        )
        if out is not None:
            sys.stderr.write(
                f"{output} 保持原样\n" if language == "zh" else f"{output} left as it was\n"
            )
        raise typer.Exit(signals.exit_code())
    raise typer.Exit(report.exit_code(fail_on.value))


@app.command("waive")
@_interruptible
def waive_command(
    paths: Annotated[
        list[str],
        typer.Argument(help="文档：文件、目录、通配符、NDJSON\n\ndocuments", show_default=False),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="豁免文件：追加到其后，已有条目保持不变\n\nthe waiver file to append to",
            show_default=False,
        ),
    ],
    justification: Annotated[
        str | None,
        typer.Option(
            "--justification",
            help="理由\n\nwhy (default: baseline: to be reviewed)",
            show_default=False,
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            help="决定人\n\nwho (default: $USER, else rulecheck waive)",
            show_default=False,
        ),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help="有效至 YYYY-MM-DD\n\nuntil (default: today + 90 days)",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    lang: LangOption = "zh",
    schema: SchemaOption = None,
    include_root: IncludeRootOption = None,
    max_bytes: MaxBytesOption = None,
) -> None:
    """为当前未豁免的结果写豁免 /
    write waivers for the current unwaived findings.

    One waiver per fail/error finding that no entry of the file waives yet, named
    by document id, rule id and row key; appended after the file's existing
    entries (kept as they are), the file replaced at once. Exit 0; 3 bad rules or
    waiver file; 4 invalid documents (their findings cannot be waived).
    """
    from datetime import date

    from checker.api import check, for_template, load_rules
    from checker.diagnostics import RulecheckError
    from checker.outputs import ruleset_files
    from checker.waive import (
        DEFAULT_JUSTIFICATION,
        append,
        baseline,
        default_author,
        default_expires,
    )
    from checker.waivers import load_waivers, resolve_today

    language = _language(lang)
    limit = _input_limits(max_bytes, include_root)
    given = {"--justification": justification, "--author": author}
    for name, value in given.items():
        if value is not None and not value.strip():
            raise typer.BadParameter("不能为空 / must not be empty", param_hint=name)
    try:
        until = date.fromisoformat(expires) if expires else None
    except ValueError:
        raise typer.BadParameter(f"{expires!r}: YYYY-MM-DD", param_hint="--expires") from None
    try:
        _refuse_inputs(output, paths, rules, None, schema)  # the waiver file is read: as meant
        today = resolve_today()
        existing = load_waivers(output) if Path(output).exists() else None
        schema, rules = for_template(paths, schema, rules)
        ruleset = load_rules(rules, schema=schema).select(select or (), ignore or ())
        _refuse_inputs(output, [], [*ruleset_files(ruleset.ruleset)], None, None)
        for diag in ruleset.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        # every entry of the file counts, expired or not: an expired one is renewed by hand
        report = check(
            paths,
            ruleset,
            schema=schema,
            cells_for=(),
            waivers=existing,
            today=date.min,
            keep=("fail", "error"),
            max_bytes=limit,
        )
        for diag in report.document_diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        found = baseline(
            report.frame,
            output,
            justification=(justification or DEFAULT_JUSTIFICATION).strip(),
            author=(author or default_author()).strip(),
            expires=until or default_expires(today),
        )
        if found.written:
            header = "# 豁免 / waivers: rulecheck check --waivers FILE (README: Waivers)\n\n"
            append(output, found.text, header)
    except RulecheckError as error:
        for diag in error.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(error.exit_code) from None
    sys.stdout.write(
        f"已向 {output} 追加 {found.written} 条豁免（另有 {found.already} 条结果已被该文件豁免）\n"
        if language == "zh"
        else f"appended {found.written} waivers to {output} "
        f"({found.already} findings already waived there)\n"
    )
    raise typer.Exit(ExitCode.INVALID_DOCUMENT if report.batch.invalid_count else ExitCode.CLEAN)


@app.command("explain")
@_interruptible
def explain_command(
    rule_id: Annotated[
        str,
        typer.Argument(help="规则编号（模板规则的编号可不带 [列]）/ rule id", show_default=False),
    ],
    rules: RulesOption = None,
    document: Annotated[
        str | None,
        typer.Option(
            "--document",
            help="逐步计算这个文档，- 为标准输入\n\ntrace the rule on this document (- for stdin)",
            show_default=False,
        ),
    ] = None,
    row: Annotated[
        int | None,
        typer.Option(
            "--row",
            min=0,
            help="只解释这一行（从 0 开始）\n\nonly this row (0-based, as reported)",
            show_default=False,
        ),
    ] = None,
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = "zh",
    schema: SchemaOption = None,
    include_root: IncludeRootOption = None,
    max_bytes: MaxBytesOption = None,
) -> None:
    """解释一条规则：原文、引用的单元格、在文档上的每一步计算 /
    explain one rule, step by step.

    Exit 0 whatever the verdict; 2 unknown rule, row or path; 3 bad rules; 4 invalid document.
    """
    from checker.api import for_template, load_rules
    from checker.diagnostics import RulecheckError
    from checker.explain import (
        explain_rule,
        find_rules,
        read_document,
        render_json,
        render_text,
        with_localization,
    )

    language = _language(lang)
    _input_limits(max_bytes, include_root)
    try:
        if document:
            schema, rules = for_template([document], schema, rules)
        ruleset = load_rules(rules, schema=schema)
        chosen = find_rules(ruleset.ruleset, rule_id)
        doc, doc_id, doc_path = (
            read_document(document, schema=schema) if document else (None, None, None)
        )
        explanations = [
            explain_rule(
                rule,
                ruleset.ruleset,
                ruleset.template,
                doc,
                row=row,
                document_id=doc_id,
                path=doc_path,
            )
            for rule in chosen
        ]
        verdicts = {t.verdict.status for e in explanations for t in e.rows}
        if doc is not None and verdicts & {"fail", "rounding"}:
            # which printed cells most likely explain it: the document checked whole
            from checker.api import check_documents

            kinds = [k for k, s in (("error", "fail"), ("rounding", "rounding")) if s in verdicts]
            report = check_documents(
                [doc], ruleset, schema=schema, names=[str(doc_id)], localize=kinds
            )
            found = next(iter(report.localizations().values()), {})
            explanations = with_localization(explanations, found)
    except RulecheckError as error:
        for diag in error.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(error.exit_code) from None
    render = render_json if output_format is OutputFormat.json else render_text
    sys.stdout.write(render(explanations, language))
    raise typer.Exit(ExitCode.CLEAN)


@app.command("coverage")
@_interruptible
def coverage_command(
    paths: Annotated[
        list[str],
        typer.Argument(
            help="文档：文件、目录、通配符、NDJSON，- 为标准输入\n\ndocuments", show_default=False
        ),
    ],
    rules: RulesOption = None,
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = "zh",
    schema: SchemaOption = None,
    batch_size: BatchSizeOption = COVERAGE_BATCH,
    include_root: IncludeRootOption = None,
    max_bytes: MaxBytesOption = None,
) -> None:
    """哪些数值单元格没有规则引用，按表统计覆盖率 /
    numeric cells no rule reads, per table."""
    from checker.api import for_template, load_rules
    from checker.coverage import LISTED, CoverageSum, batch_coverage, render_text
    from checker.diagnostics import RulecheckError
    from checker.documents import iter_batches

    language = _language(lang)
    limit = _input_limits(max_bytes, include_root)
    as_json = output_format is OutputFormat.json
    invalid = 0
    try:
        schema, rules = for_template(paths, schema, rules)
        ruleset = load_rules(rules, schema=schema)
        batches = iter_batches(paths, size=batch_size, schema=schema, max_bytes=limit)
        # batch by batch (memory bounded by the batch), the coverage summed: the output is
        # the same whatever the batch size (JSON lists every uncovered cell: spooled)
        summed = CoverageSum(ruleset.template, keep=0 if as_json else LISTED, spool=as_json)
        with contextlib.closing(summed) as total:
            first = True
            for batch in batches:
                if first:  # the arguments were usable
                    for diag in ruleset.diagnostics:
                        sys.stderr.write(diag.format(language) + "\n")
                    first = False
                for diag in batch.diagnostics:
                    sys.stderr.write(diag.format(language) + "\n")
                invalid += batch.invalid_count
                total.add(batch_coverage(ruleset.ruleset, ruleset.template, batch))
                del batch  # freed before the next batch is loaded
            if as_json:
                total.write_json(sys.stdout)
            else:
                sys.stdout.write(render_text(total.coverage(), language))
    except RulecheckError as error:
        for diag in error.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(error.exit_code) from None
    raise typer.Exit(ExitCode.INVALID_DOCUMENT if invalid else ExitCode.CLEAN)


_Result = TypeVar("_Result")


def _with_rules(
    rules: list[str],
    schema: str | None,
    lang: str,
    max_bytes: int | None,
    include_root: list[str] | None,
    run: Callable[[Rules, str | None], _Result],
) -> tuple[_Result, Lang]:
    """``run`` on the ruleset the paths name (resolved against ``--schema``, else, for a
    bundled ruleset, its template's schema) and the schema used; the result and the
    language. A path naming no rule file exits 2; bad input, its code; warnings to stderr."""
    from checker.api import load_rules
    from checker.diagnostics import RulecheckError
    from checker.lint import unusable_paths

    language = _language(lang)
    _input_limits(max_bytes, include_root)
    unusable = unusable_paths(rules)
    if unusable:
        for diag in unusable:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(ExitCode.USAGE)
    try:
        if schema is None and rules:
            from checker.documents.registry import template_of_rules

            found = template_of_rules(rules[0])
            schema = str(found.schema_file) if found is not None else None
        ruleset = load_rules(rules, schema=schema)
        result = run(ruleset, schema)
    except RulecheckError as error:
        for diag in error.diagnostics:
            sys.stderr.write(diag.format(language) + "\n")
        raise typer.Exit(error.exit_code) from None
    for diag in ruleset.diagnostics:
        sys.stderr.write(diag.format(language) + "\n")
    return result, language


@app.command("test")
@_interruptible
def test_command(
    rules: Annotated[
        list[str],
        typer.Argument(
            help="规则文件或目录；在其旁边（或 tests/ 下）查找 *.cases.json\n\n"
            "rule files or folders; case files (*.cases.json) are found beside them or in tests/",
            show_default=False,
        ),
    ],
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = "zh",
    require_coverage: Annotated[
        bool,
        typer.Option(
            "--require-coverage",
            help="每条规则须有通过与失败的用例\n\n"
            "every rule needs a passing and a failing case (else exit 1)",
        ),
    ] = False,
    schema: SchemaOption = None,
    include_root: IncludeRootOption = None,
    max_bytes: MaxBytesOption = None,
) -> None:
    """运行规则的测试用例 /
    run the rules' test cases (exit 0 all hold, 1 mismatch)."""
    from checker.ruletest import render_json, render_text, run_tests

    def run(ruleset: Rules, schema: str | None) -> SuiteResult:
        return run_tests(rules, ruleset, schema=schema, require_coverage=require_coverage)

    suite, language = _with_rules(rules, schema, lang, max_bytes, include_root, run)
    render = render_json if output_format is OutputFormat.json else render_text
    sys.stdout.write(render(suite, language))
    raise typer.Exit(suite.exit_code())


@app.command("analyze")
@_interruptible
def analyze_command(
    rules: Annotated[
        list[str],
        typer.Argument(help="规则文件或目录\n\nrule files or folders", show_default=False),
    ],
    output_format: FormatOption = OutputFormat.text,
    lang: LangOption = "zh",
    schema: SchemaOption = None,
    include_root: IncludeRootOption = None,
    max_bytes: MaxBytesOption = None,
) -> None:
    """分析规则集：矛盾、冗余、永不成立的 when、没有测试的规则 /
    analyse a ruleset: contradictions, redundant rules, when conditions that never hold,
    rules without tests (exit 0, 1 contradiction, 2 usage, 3 bad rules)."""
    from checker.analysis import analyze
    from checker.analysis.render import exit_code, render_json, render_text
    from checker.documents import load_schema

    def run(ruleset: Rules, schema: str | None) -> Analysis:
        return analyze(ruleset, rules, load_schema(schema))

    result, language = _with_rules(rules, schema, lang, max_bytes, include_root, run)
    render = render_json if output_format is OutputFormat.json else render_text
    sys.stdout.write(render(result, language))
    raise typer.Exit(exit_code(result))


def main() -> None:
    """Console-script entry point with the documented exit codes.

    typer/click handle usage errors themselves (exit 2); anything unexpected
    becomes exit 5 with a short request for a report.
    """
    global _debug
    _debug = "--debug" in sys.argv[1:]
    from checker import signals

    signal.signal(signal.SIGTERM, signals.terminate)  # stops as Ctrl-C does (exit 143)
    try:
        _app_for(sys.argv[1:])(prog_name="rulecheck")
    except SystemExit as done:
        _hard_exit(done)
        raise
    except KeyboardInterrupt:
        sys.stderr.write("已中断 / interrupted\n")
        raise SystemExit(signals.exit_code()) from None
    except Exception as exc:
        if _debug:
            raise
        sys.stderr.write(
            f"rulecheck 内部错误 / internal error: {type(exc).__name__}: {exc}\n"
            "请附上命令与输入报告此问题（--debug 显示调用栈）/ "
            "please report this with the command and input (--debug shows the traceback)\n"
        )
        raise SystemExit(ExitCode.INTERNAL) from None


def _app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command ``argv`` names, else the whole app.

    typer builds every registered command's options from its signature on each run,
    about 20 ms of a one-document check for the five commands not run. With no
    known command named (``--help``, a misspelling) the whole app answers, so
    click's help and "no such command" hints list them all.
    """
    named = next((a for a in argv if not a.startswith("-")), None)
    chosen = [c for c in app.registered_commands if c.name == named]
    if len(chosen) != 1:
        return app
    one = typer.Typer(**_APP_SETTINGS)
    one.registered_callback = app.registered_callback
    one.registered_commands = chosen
    return one


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    """Hold Ctrl-C back while a batch's results are written out (POSIX), so that a
    JSON Lines stream is never cut inside a batch: a Ctrl-C arriving while the write
    was blocked on a full pipe sometimes left the rest of the batch unwritten. Held
    back, it takes effect once the batch is written (the run stops after it)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    held = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, held)


def _hard_exit(done: SystemExit) -> None:
    """End the process now, skipping the interpreter's teardown.

    Freeing a run's objects (the ruleset, the compiled plans, Polars' frames) one by
    one took 0.15-0.25 s, a sixth of a one-document check: mypy ends the same way
    for the same reason. Everything the command wrote is flushed first (its output
    file is closed by then); it falls back to a normal exit when a loading worker is
    still alive (its clean-up runs at exit) or the code is not a plain number.
    """
    code = done.code
    if code is None:
        code = 0
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the report's reader has gone (`| head -1`): exit 141
        from checker import signals

        signals.drop_stdout()
        code = done.code = signals.PIPE_CLOSED
    except (OSError, ValueError):
        return
    processes = sys.modules.get("multiprocessing")  # not imported: no worker was started
    if not isinstance(code, int) or (processes is not None and processes.active_children()):
        return
    try:
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (rulecheck ... 2>&1 | head): exit normally
        return
    os._exit(code)


if __name__ == "__main__":
    main()
