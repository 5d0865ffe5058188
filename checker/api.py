"""The Python API: load a ruleset, check documents, get a report.

    from checker.api import load_rules, check

    rules = load_rules()                       # the bundled default ruleset
    report = check(["docs/"], rules)
    report.findings()                          # a Polars frame of fail/error results
    report.to_json()

No global state: two rulesets (or templates) can be used side by side in one
process.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from checker import signals
from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register
from checker.documents import (
    BATCH_DOCUMENTS,
    DEFAULT_MAX_BYTES,
    Batch,
    iter_batches,
    load_frames,
    load_objects,
    load_schema,
)
from checker.evaluate import CELL_STATUSES, Engine, Results
from checker.evidence import place_localization, with_sources
from checker.localize import Localization
from checker.report.model import LOCALIZATION_KINDS
from checker.report.model import Report as Report  # defined there, the API's as before
from checker.resources import rulesets_dir
from checker.rowkeys import attach_row_keys
from checker.rulecache import load_ruleset_keyed
from checker.ruleset import Rules as Rules  # defined there, the API's as before
from checker.waivers import Waivers, apply_waivers, load_waivers, resolve_today

DEFAULT_RULESET = "部门预算"

register(
    {
        "doc.stream-whole": (
            "表 {table} 的文件大于 --max-bytes（{limit} 字节），只能按块读取；但规则 {rules} "
            "需要整张表的行，无法按块检查：请把 --max-bytes 调到该文件的大小以上",
            "the file of table {table} is larger than --max-bytes ({limit} bytes) and can only "
            "be read in chunks, but rules {rules} need all of its rows at once: raise "
            "--max-bytes above the file's size",
        ),
        "rules.no-ruleset": (
            "{path} 属于模板 {template}，但没有随附的规则集：请用 --rules 指定规则",
            "{path} is of template {template}, which has no bundled ruleset: give --rules",
        ),
    }
)


def default_rules_path(kind: str = DEFAULT_RULESET) -> Path:
    """The bundled ruleset folder for a document kind (部门预算 …)."""
    path = rulesets_dir() / kind
    return path if path.is_dir() else rulesets_dir() / DEFAULT_RULESET


def for_template(
    paths: Sequence[str],
    schema: str | os.PathLike[str] | None = None,
    rules: Sequence[str | os.PathLike[str]] | None = None,
    *,
    with_rules: bool = True,
) -> tuple[str | None, list[str] | None]:
    """The schema and rules a run of ``paths`` uses: those given, else the template of its
    first document and that template's bundled ruleset (see checker.documents.registry).

    Documents of another known template are then refused one by one (exit 4), with a
    message naming both templates."""
    given = [str(r) for r in rules] if rules else None
    if schema is not None:
        return str(schema), given
    from checker.documents.registry import first_template

    found = first_template(list(paths))
    if found is None:
        return None, given
    if given or not with_rules:
        return str(found.schema_file), given
    ruleset = rulesets_dir() / found.ruleset if found.ruleset else None
    if ruleset is None or not ruleset.is_dir():
        args = {"template": found.name, "path": paths[0] if paths else "-"}
        diag = Diagnostic("rules.no-ruleset", Location("rulecheck"), args)
        raise RulecheckError([diag], ExitCode.USAGE)
    return str(found.schema_file), [str(ruleset)]


def load_rules(
    paths: Sequence[str | os.PathLike[str]] | None = None,
    *,
    schema: str | os.PathLike[str] | None = None,
) -> Rules:
    """Read and resolve rule files (default: the bundled 部门预算 ruleset).

    Raises :class:`RulecheckError` (exit 3) when a rule file has errors.
    """
    template = load_schema(schema).template
    chosen = [Path(p) for p in paths] if paths else [default_rules_path()]
    ruleset, diagnostics, digest = load_ruleset_keyed(chosen, template)
    rules = Rules(ruleset, template, tuple(diagnostics), tuple(str(p) for p in chosen), digest)
    if rules.errors:
        raise RulecheckError(rules.errors, ExitCode.INVALID_RULES)
    return rules


def check(
    paths: Sequence[str],
    rules: Rules | None = None,
    *,
    schema: str | os.PathLike[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    cells_for: Iterable[str] = CELL_STATUSES,
    waivers: WaiversArg = None,
    today: date | None = None,
    keep: Iterable[str] | None = None,
    batch_size: int = BATCH_DOCUMENTS,
    on_batch: Callable[[Batch, Results], None] | None = None,
    interruptible: bool = False,
    retain: Iterable[str] | None = None,
    tables_for: Iterable[str] = (),
    tables_max: int | None = None,
    localize: Localize = True,
) -> Report:
    """Load documents under ``paths`` and run ``rules`` (default ruleset) over all of them.

    Documents are loaded and checked ``batch_size`` at a time (the ruleset is
    compiled once), so memory is bounded by the batch, plus the results kept:
    ``keep`` names the statuses whose results stay in the report (default: all;
    counts always cover every result). ``on_batch`` is called after each batch
    with all of its kept results (e.g. to stream them out); ``retain`` (default:
    ``keep``) narrows what the returned report then holds of them
    (progress, streaming output). With ``interruptible``, Ctrl-C (or SIGTERM) stops after
    the batch under way and returns the report of the batches done, with
    ``interrupted`` set.

    ``cells_for``: the statuses whose results carry their operands' cells.
    ``tables_for``: with ``keep``, the statuses whose documents keep their tables, prose
    figures and provenance in the report (the HTML report draws them), the first
    ``tables_max`` such documents in input order (None: all); the others keep only their
    documents' rows and statuses.
    ``waivers``: waiver files (or loaded :class:`Waivers`); ``today`` judges their
    expiry (default ``$RULECHECK_TODAY``, else the clock). ``localize``: which printed
    cells most likely explain the failures (``"error"``) and the rounding differences
    (``"rounding"``): True both, False neither (:meth:`Report.localization`;
    checker.localize).
    """
    if rules is None:  # the template of the documents, and its bundled ruleset
        schema, wanted = for_template(paths, schema)
        rules = load_rules(wanted, schema=schema)
    chosen = _waivers(waivers)
    drawn = list(tables_for)
    room = tables_max  # documents that may still keep their tables
    parts: list[tuple[Batch, Results]] = []
    interrupted = False
    with _deferred_interrupt(interruptible) as stop:
        for batch, results in iter_check(
            paths,
            rules,
            schema=schema,
            max_bytes=max_bytes,
            cells_for=cells_for,
            keep=keep,
            batch_size=batch_size,
            localize=localize,
        ):
            if on_batch is not None:
                on_batch(batch, results)
            if retain is not None:
                held = results.frame.filter(pl.col("status").is_in(list(retain)))
                results = replace(results, frame=held)
            if keep is not None:
                kept = _documents_with(results, drawn, room)
                batch = _light(batch, kept)
                if room is not None and kept is not None:
                    room -= kept.len()
            parts.append((batch, results))
            if stop.is_set():  # Ctrl-C: this batch is done, stop here (closing the loaders)
                interrupted = True
                break
    batch, results = _combine(parts, rules, schema, drawn=keep is not None and bool(drawn))
    report = make_report(batch, results, rules, chosen, today)
    return replace(report, interrupted=interrupted)


@contextmanager
def _deferred_interrupt(active: bool) -> Iterator[threading.Event]:
    """While active (and in the main thread), Ctrl-C or SIGTERM only sets the event: the
    batch under way finishes and the caller stops after it. (An exception raised inside
    Polars' native code would not unwind cleanly.) A second one interrupts at once.
    :func:`checker.signals.exit_code` then tells which it was (130 or 143)."""
    stop = threading.Event()
    if not active or threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        signals.note(signum)
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signals.reset()
    previous = {number: signal.signal(number, handler) for number in signals.STOPPING}
    try:
        yield stop
    finally:
        for number, before in previous.items():
            signal.signal(number, before)


def iter_check(
    paths: Sequence[str],
    rules: Rules,
    *,
    schema: str | os.PathLike[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    cells_for: Iterable[str] = CELL_STATUSES,
    keep: Iterable[str] | None = None,
    batch_size: int = BATCH_DOCUMENTS,
    localize: Localize = True,
) -> Iterator[tuple[Batch, Results]]:
    """Each batch of documents under ``paths`` with its results (no waivers applied)."""
    engine = Engine.cached(rules.ruleset, rules.template, rules.digest)
    kept = None if keep is None else tuple(keep)
    # a columnar table file larger than max_bytes is streamed: read in chunks, never whole
    batches = iter_batches(paths, size=batch_size, schema=schema, max_bytes=max_bytes, stream=True)
    for batch in batches:
        _refuse_streamed(engine, batch, kept, max_bytes)
        # A pass that reads a figure the import could not place is no verdict either: in a
        # batch holding such a figure the passes are kept with their cells until the
        # evidence step has regraded them (a cost only imported documents with an import
        # note ever pay).
        undecided = "pass" not in cells_for and _undecided(batch)
        results = engine.run(
            batch.documents,
            batch.tables,
            batch.statements,
            cells_for=(*cells_for, "pass") if undecided else cells_for,
            keep=(*kept, "pass") if undecided and kept is not None else kept,
            localize=localize_kinds(localize),
        )
        results = _evidence(results, batch, rules)
        if undecided and kept is not None and "pass" not in kept:
            results = replace(results, frame=results.frame.filter(pl.col("status") != "pass"))
        yield batch, results


def _refuse_streamed(
    engine: Engine, batch: Batch, keep: Iterable[str] | None, max_bytes: int
) -> None:
    """Stop (exit 4) where a streamed table (a file larger than ``max_bytes``, read in
    chunks) meets a rule that needs all its rows at once (Engine.read_whole)."""
    blocked = engine.read_whole(batch.tables, keep)
    if not blocked:
        return
    folders = [s.path for s in batch.statuses if s.valid and Path(s.path).is_dir()]
    where = Location(folders[0] if len(folders) == 1 else "rulecheck")
    diags = [
        Diagnostic(
            "doc.stream-whole",
            where,
            {"table": role, "limit": max_bytes, "rules": ", ".join(rules[:10])},
        )
        for role, rules in blocked.items()
    ]
    raise RulecheckError(diags, ExitCode.INVALID_DOCUMENT)


def _undecided(batch: Batch) -> bool:
    """Whether the batch holds a cell the import left unresolved."""
    found = batch.provenance.get_column("unresolved", default=None)
    return found is not None and bool(found.any())


def _evidence(results: Results, batch: Batch, rules: Rules) -> Results:
    """Results with their cells' places, each result's ``source`` and its row's key (and
    findings that read a cell the import could not decide regraded: see with_sources),
    and the localized cells' places and row keys."""
    placed = with_sources(results, batch)
    located = placed.localization
    if located is not None:
        located = place_localization(located, batch, rules.template)
    return replace(
        placed,
        frame=attach_row_keys(placed.frame, batch.tables, rules.template),
        localization=located,
    )


def _documents_with(
    results: Results, statuses: list[str], most: int | None = None
) -> pl.Series | None:
    """The documents holding a result of one of ``statuses``, the first ``most`` of them
    (None for no status)."""
    if not statuses:
        return None
    found = results.frame.filter(pl.col("status").is_in(statuses))
    documents = found.get_column("document").unique().sort()
    return documents if most is None else documents.head(max(0, most))


def _light(batch: Batch, documents: pl.Series | None = None) -> Batch:
    """A batch without its table frames (what a report still needs: documents, statuses),
    except the rows of ``documents``, whose tables, prose figures and provenance stay."""
    if documents is None or documents.is_empty():
        return replace(
            batch,
            tables={role: frame.clear() for role, frame in batch.tables.items()},
            statements=batch.statements.clear(),
            provenance=batch.provenance.clear(),
        )
    kept = pl.col("document").is_in(documents.implode())
    return replace(
        batch,
        tables={role: frame.filter(kept) for role, frame in batch.tables.items()},
        statements=batch.statements.filter(kept),
        provenance=batch.provenance.filter(kept),
    )


def _combine(
    parts: list[tuple[Batch, Results]],
    rules: Rules,
    schema: str | os.PathLike[str] | None,
    *,
    drawn: bool = False,
) -> tuple[Batch, Results]:
    """One batch and one results object from consecutive batches: without tables, or with
    the tables each part kept (``drawn``: see ``tables_for``)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:  # interrupted before the first batch was done
        empty = load_objects([], schema=schema)
        # compiled already: from the cache
        engine = Engine.cached(rules.ruleset, rules.template, rules.digest)
        return empty, engine.run(empty.documents, {}, None)
    batches = [b for b, _ in parts]
    documents = pl.concat([b.documents for b in batches], how="vertical_relaxed")

    def joined(frames: Sequence[pl.DataFrame | pl.LazyFrame]) -> pl.DataFrame:  # _light's rows
        eager = [f.collect() if isinstance(f, pl.LazyFrame) else f for f in frames]
        return pl.concat(eager, how="vertical_relaxed") if len(eager) > 1 else eager[0]

    batch = replace(
        batches[0] if drawn else _light(batches[0]),
        documents=documents,
        table_info=pl.concat([b.table_info for b in batches], how="vertical_relaxed"),
        statuses=[status for b in batches for status in b.statuses],
    )
    if drawn:
        batch = replace(
            batch,
            tables={
                role: joined([b.tables[role] for b in batches if role in b.tables])
                for role in batches[0].tables
            },
            statements=joined([b.statements for b in batches]),
            provenance=joined([b.provenance for b in batches]),
        )
    totals: dict[str, int] = {}
    for _, r in parts:
        for name, n in r.counts().items():
            totals[name] = totals.get(name, 0) + n
    frame = pl.concat([r.frame for _, r in parts], how="diagonal_relaxed")
    located = [r.localization for _, r in parts if r.localization is not None]
    by_document = pl.concat([r.per_document() for _, r in parts], how="vertical_relaxed")
    by_rule = (
        pl.concat([r.rule_documents() for _, r in parts], how="vertical_relaxed")
        .group_by("rule")
        .agg(pl.col("documents").sum())
        .sort("rule")
    )
    localization = Localization.concat(located) if located else None
    return batch, Results(frame, documents, totals, by_document, by_rule, localization)


def check_documents(
    documents: Sequence[Mapping[str, Any]],
    rules: Rules | None = None,
    *,
    schema: str | os.PathLike[str] | None = None,
    names: Sequence[str] | None = None,
    waivers: WaiversArg = None,
    today: date | None = None,
    localize: Localize = True,
) -> Report:
    """Check documents already in memory (JSON-like dicts), loaded exactly as files are."""
    rules = rules if rules is not None else load_rules(schema=schema)
    batch = load_objects(documents, names, schema=schema)
    return check_batch(batch, rules, waivers=waivers, today=today, localize=localize)


def check_frames(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    document: Mapping[str, Any] | None = None,
    rules: Rules | None = None,
    *,
    schema: str | os.PathLike[str] | None = None,
    name: str = "<frames>",
    waivers: WaiversArg = None,
    today: date | None = None,
) -> Report:
    """Check one document whose tables are Polars frames (``{role: frame}``, eager or
    lazy), the rest of it (``meta``, the tables' titles and units, ``statements``) given
    as ``document``; the frames are checked against the schema column by column first
    (a bad one is reported in the report's diagnostics, exit 4, and not checked)."""
    rules = rules if rules is not None else load_rules(schema=schema)
    batch = load_frames(tables, document, schema=schema, name=name)
    return check_batch(batch, rules, waivers=waivers, today=today)


WaiversArg = Waivers | str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
Localize = bool | Iterable[str]  # True: both kinds ("error", "rounding"); False: neither


def localize_kinds(localize: Localize) -> tuple[str, ...]:
    """The localization kinds a ``localize`` argument asks for."""
    if isinstance(localize, bool):
        return LOCALIZATION_KINDS if localize else ()
    return tuple(k for k in LOCALIZATION_KINDS if k in set(localize))


def check_batch(
    batch: Batch,
    rules: Rules,
    *,
    cells_for: Iterable[str] = CELL_STATUSES,
    waivers: WaiversArg = None,
    today: date | None = None,
    localize: Localize = True,
) -> Report:
    """Run ``rules`` over an already loaded batch (raises exit 3 for a bad waiver file)."""
    chosen = _waivers(waivers)
    engine = Engine.cached(rules.ruleset, rules.template, rules.digest)  # as check() does
    results = engine.run(
        batch.documents,
        batch.tables,
        batch.statements,
        cells_for=cells_for,
        localize=localize_kinds(localize),
    )
    results = _evidence(results, batch, rules)
    return make_report(batch, results, rules, chosen, today)


def _waivers(waivers: WaiversArg) -> Waivers | None:
    return waivers if isinstance(waivers, Waivers) or waivers is None else load_waivers(waivers)


def make_report(
    batch: Batch, results: Results, rules: Rules, chosen: Waivers | None, today: date | None
) -> Report:
    """A report of one batch's results, waivers applied (``check`` streams use it per batch)."""
    frame, diagnostics = apply_waivers(
        results.frame,
        batch.documents,
        chosen,
        today=resolve_today(today),
        rules_run=[r.meta.id for r in rules.ruleset.rules],
    )
    results = replace(results, frame=frame)
    return Report(results, batch, rules, batch.diagnostics, chosen, diagnostics)
