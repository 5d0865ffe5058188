"""Load documents as batches: read, parse, validate and frame them, in chunks or workers.

A chunk of documents (``CHUNK_DOCUMENTS``) is loaded at a time, to bound the
memory held in Python objects; the garbage collector is paused while loading
(JSON trees hold no cycles). A large batch (``PARALLEL_MIN_BYTES``) is loaded
by worker processes, one per core: each reads, parses, checks, validates and
frames whole chunks and sends the frames back (pickled: Arrow IPC); the chunks
keep their input order, so indexes, statuses and frames are the same as in one
process.

Invalid documents are dropped from the frames (so a batch with a few broken
files can still be checked) and their diagnostics are kept in
:attr:`Batch.statuses`. The ``document`` index is the position of the document
in the input order (all documents read, valid or not), so it is stable whether
or not its neighbours are valid.
"""

from __future__ import annotations

import gc
import os
import sys
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

import orjson
import polars as pl

from checker.collecting import ENGINE
from checker.diagnostics import Diagnostic, Location
from checker.documents.amounts import SCALE
from checker.documents.columnar import (
    CELLS_SHOWN,
    ColumnarInput,
    check_columns,
    from_frames,
    read_folder,
    skeleton_document,
    table_frame,
)
from checker.documents.frames import (
    _build,
    _finish_frames,
    _Frames,
    _report_inexact,
    _scaling,
    to_template_units,
)
from checker.documents.parsing import parse_document
from checker.documents.provenance import EMPTY as EMPTY_PROVENANCE
from checker.documents.registry import other_template
from checker.documents.schema import DocumentSchema, load_schema
from checker.documents.sources import DEFAULT_MAX_BYTES, Source, _Raw, _read_source, iter_sources

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

# Frames are built per chunk of documents, to bound the memory held in Python objects.
# Measured (2,000 documents, alternating runs): in one process chunks of 500 take ~20%
# less CPU than chunks of 100 (for ~90 MiB more); in a worker 100 is as fast as 250 and
# faster than 500 (the last chunks leave a core idle), and keeps a worker at ~120 MiB.
CHUNK_DOCUMENTS: Final = 500
# Worker processes (see load_documents) take ~0.6-0.9 s to start (Python, Polars, the
# validator). Measured with 2 cores: 500 documents of ~100 KB load in 0.9 s here, 1.6 s
# with workers; 1,000 in 2.7-3.0 s here, 2.2 s with workers (break-even ~70 MB).
PARALLEL_MIN_BYTES: Final = 100_000_000
PARALLEL_CHUNK_DOCUMENTS: Final = 100  # documents per worker task (see above)
MAX_JOBS: Final = 8  # worker processes at most (by default: the available cores)
# Documents per batch when streaming (iter_batches): what one evaluation holds at once.
BATCH_DOCUMENTS: Final = 2_000


@dataclass(frozen=True)
class DocumentStatus:
    """What happened to one document read: where it came from, valid or not, and why."""

    document: int
    path: str
    id: str
    line: int | None
    valid: bool
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class Batch:
    """Every document read: the valid ones as frames, every one's status and diagnostics."""

    schema: DocumentSchema
    documents: pl.DataFrame
    # per table role, every valid document's rows; a LazyFrame when a document's table
    # file was streamed (iter_batches(stream=True)): read in chunks by whoever collects it
    tables: dict[str, pl.DataFrame | pl.LazyFrame]
    table_info: pl.DataFrame
    statements: pl.DataFrame
    statuses: list[DocumentStatus] = field(default_factory=list)
    files: int = 0
    # where cells were published (imported or transcribed documents; see provenance.py)
    provenance: pl.DataFrame = field(default_factory=lambda: EMPTY_PROVENANCE)

    def table(self, role: str) -> pl.DataFrame:
        """The frame of a table role (all valid documents' rows; a streamed one read whole)."""
        frame = self.tables[role]
        return frame.collect() if isinstance(frame, pl.LazyFrame) else frame

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """All diagnostics, in input order."""
        return [d for s in self.statuses for d in s.diagnostics]

    @property
    def valid_count(self) -> int:
        return sum(s.valid for s in self.statuses)

    @property
    def invalid_count(self) -> int:
        return len(self.statuses) - self.valid_count


def load_documents(
    paths: Sequence[str],
    *,
    schema: DocumentSchema | str | os.PathLike[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: IO[bytes] | None = None,
    jobs: int | None = None,
) -> Batch:
    """Read, validate and frame every document under ``paths`` (see :func:`iter_sources`).

    Raises :class:`RulecheckError` (``ExitCode.USAGE``) only for unusable
    arguments (a path that matches nothing, a bad schema file); a bad document
    never raises: it is reported in :attr:`Batch.statuses` and left out of the frames.

    ``jobs`` is the number of worker processes: ``None`` (the default) uses
    the available cores once the input reaches ``PARALLEL_MIN_BYTES`` (less
    loads faster in this process than workers start); ``1`` never starts a
    worker. The result is the same either way. (Workers are spawned, so a
    script that calls this must do so under ``if __name__ == "__main__":``.)
    """
    spec = schema if isinstance(schema, DocumentSchema) else load_schema(schema)
    sources = iter_sources(paths)
    return _load_items(spec, _items(sources, max_bytes, stdin), len(sources), max_bytes, jobs)


def _load_items(
    spec: DocumentSchema, items: Iterator[_Item], files: int, max_bytes: int, jobs: int | None
) -> Batch:
    """Load numbered documents in chunks (in worker processes for a large input): one batch."""
    collecting = gc.isenabled()
    gc.disable()  # JSON trees hold no cycles; collections during a bulk load only cost time
    try:
        chunks = list(_chunk_stream(spec, items, max_bytes, jobs))
        if not chunks:
            chunks.append(_load_chunk(spec, [], max_bytes))
        return _finish(spec, chunks, files)
    finally:
        if collecting:
            gc.enable()


def iter_batches(
    paths: Sequence[str],
    *,
    size: int = BATCH_DOCUMENTS,
    schema: DocumentSchema | str | os.PathLike[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    stdin: IO[bytes] | None = None,
    jobs: int | None = None,
    stream: bool = False,
) -> Iterator[Batch]:
    """:func:`load_documents` in consecutive batches of about ``size`` documents.

    Memory stays bounded whatever the number of documents: a batch is built
    only when the consumer asks for it (workers load at most a few chunks
    ahead). ``document`` indexes and statuses are those of the whole input, so
    results of all batches can be concatenated. At least one batch is yielded.

    ``stream``: a columnar document's table file larger than ``max_bytes`` is not
    refused but kept as a lazy frame (its rows are read in chunks, never whole: see
    ``Batch.tables``), for a consumer that evaluates it so (``check``: checker.rowpass).
    """
    spec = schema if isinstance(schema, DocumentSchema) else load_schema(schema)
    sources = iter_sources(paths)
    items = _items(sources, max_bytes, stdin)
    per_chunk = min(CHUNK_DOCUMENTS, max(size, 1))
    chunks = _chunk_stream(spec, items, max_bytes, jobs, per_chunk, stream=stream)
    group: list[_Chunk] = []
    count = 0
    yielded = False
    for chunk in _gc_paused(chunks):
        group.append(chunk)
        count += len(chunk.statuses)
        if count >= size:
            yield _finish(spec, group, len(sources))
            yielded = True
            group, count = [], 0
    if group or not yielded:
        yield _finish(spec, group or [_load_chunk(spec, [], max_bytes)], len(sources))


def _chunk_stream(
    spec: DocumentSchema,
    items: Iterator[_Item],
    max_bytes: int,
    jobs: int | None,
    chunk: int = CHUNK_DOCUMENTS,
    *,
    stream: bool = False,
) -> Iterator[_Chunk]:
    """Chunks of consecutive documents, in input order: loaded by worker processes when
    ``jobs`` asks for them or (auto) the input is large enough to pay for starting them."""
    workers = _workers(jobs)
    if workers > 1 and jobs is None:  # auto: only a large batch pays for starting workers
        head, large = _head(items, PARALLEL_MIN_BYTES)
        workers = workers if large else 1
        items = chain(head, items)
    if workers > 1:
        return _iter_parallel(spec, items, max_bytes, workers, stream=stream)
    return (_load_chunk(spec, part, max_bytes, stream) for part in _batched(items, chunk))


def _gc_paused(chunks: Iterator[_Chunk]) -> Iterator[_Chunk]:
    """The chunks, each produced with the garbage collector paused (JSON trees hold no
    cycles), and the collector back on while the consumer works."""
    while True:
        collecting = gc.isenabled()
        gc.disable()
        try:
            chunk = next(chunks, None)
        finally:
            if collecting:
                gc.enable()
        if chunk is None:
            return
        yield chunk


def load_objects(
    objects: Sequence[Mapping[str, Any]],
    names: Sequence[str] | None = None,
    *,
    schema: DocumentSchema | str | os.PathLike[str] | None = None,
) -> Batch:
    """A batch from documents already in memory, loaded exactly as files are.

    Each object is serialised with orjson and read by the same path as a
    ``.json`` file (parse, duplicate-key and schema checks, frames, scaled
    amounts), so ids, statuses and frames are what files with these contents
    would give. ``names[i]`` (default ``<object i>``) stands for the file name
    in diagnostics, and for the id when the object has no ``meta.id``. An
    object orjson cannot write (a key that is not a string, an integer beyond
    64 bits) is reported as ``doc.json``; orjson writes NaN and Infinity as null.
    """
    spec = schema if isinstance(schema, DocumentSchema) else load_schema(schema)
    labels = list(names) if names is not None else [f"<object {i}>" for i in range(len(objects))]
    if len(labels) != len(objects):
        raise ValueError(f"{len(objects)} objects but {len(labels)} names")
    items: list[_Item] = []
    for index, (obj, name) in enumerate(zip(objects, labels, strict=True)):
        try:
            raw = _Raw(name, None, name, orjson.dumps(obj))
        except orjson.JSONEncodeError as exc:
            args = {"detail": str(exc), "detail_zh": str(exc)}
            raw = _Raw(name, None, name, None, Diagnostic("doc.json", Location(name), args))
        items.append((index, None, raw))
    return _load_items(spec, iter(items), len(objects), DEFAULT_MAX_BYTES, jobs=1)


def load_frames(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    document: Mapping[str, Any] | None = None,
    *,
    schema: DocumentSchema | str | os.PathLike[str] | None = None,
    name: str = "<frames>",
) -> Batch:
    """A batch of one document whose tables are Polars frames (one per table role) and
    whose other parts (``meta``, the tables' ``name``/``unit``/``note``, ``statements``)
    are ``document``, a JSON-like mapping: checked and framed as a columnar document's
    folder is (checker.documents.columnar), so a frame that breaks the schema is
    reported, never checked. ``name`` stands for the file name in diagnostics."""
    spec = schema if isinstance(schema, DocumentSchema) else load_schema(schema)
    given = from_frames(tables, document, name)
    return _load_items(spec, iter([(0, None, given)]), 1, DEFAULT_MAX_BYTES, jobs=1)


# (index, a file or folder still to read, or the bytes already read, or a columnar
# document's frames): one document to load
_Item = tuple[int, Source | None, _Raw | ColumnarInput | None]


def _items(sources: list[Source], max_bytes: int, stdin: IO[bytes] | None) -> Iterator[_Item]:
    """Every document to load, numbered in input order.

    A ``.json`` file is exactly one document (or one problem), so it is
    passed on unread (a worker reads it); NDJSON, sniffed files and stdin are
    split into documents here.
    """
    index = 0
    for source in sources:
        if source.mode in ("json", "columnar") and source.path is not None:
            yield index, source, None
            index += 1
            continue
        for raw in _read_source(source, max_bytes, stdin):
            yield index, None, raw
            index += 1


def _head(items: Iterator[_Item], limit: int) -> tuple[list[_Item], bool]:
    """The first items, up to ``limit`` bytes of input; and whether there are that many."""
    head: list[_Item] = []
    total = 0
    for item in items:
        head.append(item)
        _, source, raw = item
        if isinstance(raw, _Raw):
            total += len(raw.data or b"")
        elif source is not None and source.path is not None:
            with suppress(OSError):
                total += os.stat(source.path).st_size
        if total >= limit:
            return head, True
    return head, False


def _batched(items: Iterator[_Item], size: int) -> Iterator[list[_Item]]:
    """Runs of up to ``size`` items; a columnar document is a run of its own (its rows
    come from its files, not from JSON to pour with the others')."""
    part: list[_Item] = []
    for item in items:
        if _is_columnar(item):
            if part:
                yield part
                part = []
            yield [item]
            continue
        part.append(item)
        if len(part) >= max(size, 1):
            yield part
            part = []
    if part:
        yield part


def _workers(jobs: int | None) -> int:
    """How many worker processes to load with (1: none, load here)."""
    processes = sys.modules.get("multiprocessing")  # not imported: not in a worker either
    if processes is not None and getattr(processes.current_process(), "_inheriting", False):
        # a starting worker is re-running a __main__ script that calls us unguarded:
        # fail it (the parent then loads in its own process), as multiprocessing does
        raise RuntimeError(
            "load_documents() was called while a worker process was starting: call it under "
            '`if __name__ == "__main__":` in the script that uses it'
        )
    if processes is not None and processes.parent_process() is not None:
        return 1  # in someone's worker process: no nested pools
    if not _main_importable():  # a worker could not start
        return 1
    if jobs is not None:
        return max(jobs, 1)
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return min(cores, MAX_JOBS)


def _main_importable() -> bool:
    """Whether a spawned worker can import ``__main__`` as it must (not so for ``python -``)."""
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None) is not None:
        return True
    path = getattr(main, "__file__", None)
    return path is None or os.path.exists(path)


@dataclass
class _Chunk:
    """What loading a run of consecutive documents gives (amounts not scaled yet)."""

    statuses: list[DocumentStatus]
    frames: _Frames
    # document -> (section, doc.frame diagnostic); sections are the tables in
    # schema order, then meta, then statements (the order diagnostics are listed in)
    problems: dict[int, list[tuple[int, Diagnostic]]]
    # per table role, rows read from columnar table files, amounts scaled already (lazy
    # for a streamed file: read in chunks by whoever collects it)
    read: dict[str, list[pl.DataFrame | pl.LazyFrame]] = field(default_factory=dict)


def _load_chunk(
    spec: DocumentSchema, items: Sequence[_Item], max_bytes: int, stream: bool = False
) -> _Chunk:
    """Read, parse, check and validate a run of documents, and pour the valid ones into frames."""
    if len(items) == 1 and _is_columnar(items[0]):  # _batched gives it a chunk of its own
        return _load_columnar(spec, items[0], max_bytes, stream)
    statuses: list[DocumentStatus] = []
    valid: list[tuple[int, tuple[str, int | None], dict[str, Any]]] = []
    for index, source, given in items:
        raw = given if isinstance(given, _Raw) else None
        if raw is None:
            assert source is not None
            raw = next(_read_source(source, max_bytes, None))  # a .json file: one document
        obj: dict[str, Any] | None = None
        if raw.problem is not None:
            diags = [raw.problem]
        else:
            assert raw.data is not None
            obj, diags = parse_document(raw.data, raw.file, line=raw.line)
            diags = diags or _schema_problems(spec, obj, raw.file, raw.line)
        doc_id = _document_id(obj, raw.default_id)
        found = (*diags, *raw.notes)  # import notes are warnings: valid all the same
        statuses.append(DocumentStatus(index, raw.file, doc_id, raw.line, not diags, found))
        if obj is not None and not diags:
            valid.append((index, (raw.file, raw.line), obj))  # the bytes can go
    ids = {status.document: status.id for status in statuses}
    frames, problems = _build(spec, valid, ids)
    return _Chunk(statuses, frames, problems)


def _schema_problems(
    spec: DocumentSchema, obj: dict[str, Any] | None, file: str, line: int | None
) -> list[Diagnostic]:
    """A parsed document of another known template, or every way it breaks the schema."""
    if obj is None:
        return []
    other = other_template(obj.get("meta"), spec.template.name, file, line)
    if other is not None:
        return [other]
    return [] if spec.is_valid(obj) else spec.explain(obj, file, line=line)


def _is_columnar(item: _Item) -> bool:
    _, source, given = item
    return isinstance(given, ColumnarInput) or (source is not None and source.mode == "columnar")


def _load_columnar(
    spec: DocumentSchema, item: _Item, max_bytes: int, stream: bool = False
) -> _Chunk:
    """One columnar document (checker.documents.columnar): ``meta.json`` validated as a
    document whose file tables have no rows, each table file column by column; then its
    tables' rows read (lazily, only the schema's columns) into the chunk's frames, or
    (``stream``, a file larger than ``max_bytes``) checked in chunks and kept lazy."""
    index, source, given = item
    found: ColumnarInput | None
    diags: list[Diagnostic]
    if isinstance(given, ColumnarInput):
        found, diags = given, []
    else:
        assert source is not None and source.path is not None
        found, diags = read_folder(source.path, max_bytes, stream=stream)
    name = found.file if found is not None else source.name if source is not None else "?"
    doc_id = found.default_id if found is not None else Path(name).name
    skeleton: dict[str, Any] | None = None
    schemas: dict[str, pl.Schema] = {}
    if found is not None:
        skeleton, diags = skeleton_document(found)
        diags += _schema_problems(spec, skeleton, found.file, None)
        for table in found.tables:
            try:
                schemas[table.role] = table.frame.collect_schema()
            except (pl.exceptions.PolarsError, OSError) as exc:
                args = {"error": str(exc).strip().splitlines()[0] if str(exc).strip() else "?"}
                diags.append(Diagnostic("doc.columnar-read", Location(table.file), args))
                continue
            diags += check_columns(spec, table, schemas[table.role])
        doc_id = _document_id(skeleton, doc_id)
    status = DocumentStatus(index, name, doc_id, None, not diags, tuple(diags))
    if found is None or skeleton is None or diags:
        frames, problems = _build(spec, [], {index: doc_id})
        return _Chunk([status], frames, problems)
    frames, problems = _build(spec, [(index, (name, None), skeleton)], {index: doc_id})
    heights: dict[str, int] = {}
    parts: dict[str, list[pl.DataFrame | pl.LazyFrame]] = {}
    try:
        for table in found.tables:
            if table.role not in frames.tables:
                continue
            plan = table_frame(spec, table, schemas[table.role])
            section = list(spec.tables).index(table.role)
            place = (index, name, section)
            heights[table.role], rows = _read_scaled(
                spec, table.role, plan, place, problems, table.streamed
            )
            parts[table.role] = [rows]
    except (pl.exceptions.PolarsError, OSError) as exc:
        args = {"error": str(exc).strip().splitlines()[0] if str(exc).strip() else "?"}
        diag = Diagnostic("doc.columnar-read", Location(name), args)
        bad = DocumentStatus(index, name, doc_id, None, False, (diag,))
        frames, problems = _build(spec, [], {index: doc_id})
        return _Chunk([bad], frames, problems)
    frames.table_info = frames.table_info.with_columns(
        pl.col("table")
        .replace_strict(heights, default=pl.col("rows"), return_dtype=pl.UInt32)
        .alias("rows")
    )
    return _Chunk([status], frames, problems, parts)


def _read_scaled(
    spec: DocumentSchema,
    role: str,
    plan: pl.LazyFrame,
    place: tuple[int, str, int],
    problems: dict[int, list[tuple[int, Diagnostic]]],
    streamed: bool,
) -> tuple[int, pl.DataFrame | pl.LazyFrame]:
    """A table file's rows as a loaded table's frame (:func:`_scaled`) and their number,
    its amounts checked as a JSON document's are (at most 4 decimals, within range: the
    first bad cells go to ``problems``). Read in one pass with the check; a ``streamed``
    file in chunks, its rows left lazy."""
    index, name, section = place
    amounts = tuple(c.name for c in spec.tables[role] if c.kind == "amount")
    flag = _scaling(amounts)[-1] if amounts else pl.lit(False)
    if streamed:
        found = (
            plan.select(pl.len().alias("rows"), flag.sum().alias("bad"))
            .collect(engine="streaming")
            .row(0)
        )
        rows: pl.DataFrame | pl.LazyFrame = _scaled(spec, role, plan, index)
        height, bad = int(found[0]), bool(found[1])
    else:
        read = _scaled(spec, role, plan.with_columns(flag.alias("__bad")), index, "__bad")
        rows = read.collect(engine=ENGINE)
        height = rows.height
        bad = bool(rows.get_column("__bad").any())
        rows = rows.drop("__bad")
    if bad:
        flagged = (
            plan.with_row_index("row")
            .filter(flag)
            .head(CELLS_SHOWN)
            .with_columns(pl.lit(index, pl.UInt32).alias("document"))
            .collect(engine="streaming")
        )
        path = ["tables", role, "rows"]
        _report_inexact(
            flagged, list(amounts), path, "row", {index: (name, None)}, problems, section
        )
    return height, rows


def _scaled(
    spec: DocumentSchema, role: str, plan: pl.LazyFrame, index: int, *extra: str
) -> pl.LazyFrame:
    """A table file's rows as a loaded table's frame: ``document``, ``row``, then the
    schema's columns, amounts scaled to Int64 (and the ``extra`` columns of ``plan``)."""
    columns = [
        (pl.col(c.name) * SCALE).round().cast(pl.Int64, strict=False)
        if c.kind == "amount"
        else pl.col(c.name)
        for c in spec.tables[role]
    ]
    return plan.with_row_index("row").select(
        pl.lit(index, pl.UInt32).alias("document"), "row", *columns, *extra
    )


# -- worker processes

_WORKER_SPEC: DocumentSchema | None = None


def _init_worker(raw: Mapping[str, Any], path: str) -> None:
    global _WORKER_SPEC
    import signal

    for number in (signal.SIGINT, signal.SIGTERM):  # the parent's to handle: it shuts us down
        signal.signal(number, signal.SIG_IGN)
    gc.disable()  # a worker only loads documents: JSON trees hold no cycles
    _WORKER_SPEC = DocumentSchema(raw, path)


def _work(items: list[_Item], max_bytes: int) -> _Chunk:
    assert _WORKER_SPEC is not None
    return _load_chunk(_WORKER_SPEC, items, max_bytes)


def _iter_parallel(
    spec: DocumentSchema,
    items: Iterator[_Item],
    max_bytes: int,
    workers: int,
    *,
    stream: bool = False,
) -> Iterator[_Chunk]:
    """Chunks loaded by ``workers`` processes, a few in flight at a time, kept in input order.

    Workers are started with ``spawn`` (a fork of a process whose Polars
    thread pool is running can deadlock), all at once, each with a share of
    the cores for its Polars threads. If the pool cannot start or breaks
    (e.g. a worker is killed), the chunks not loaded yet are loaded here.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    parts = _batched(items, PARALLEL_CHUNK_DOCUMENTS)
    pending: deque[tuple[list[_Item], Future[_Chunk]]] = deque()
    broken = (BrokenProcessPool, OSError, EOFError, RuntimeError)
    threads = max(1, (os.cpu_count() or 1) // workers)
    pool: ProcessPoolExecutor | None = None
    try:
        with _environment(POLARS_MAX_THREADS=str(threads)):  # read by Polars at import
            pool = ProcessPoolExecutor(
                workers,
                multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(spec.raw, spec.path),
            )
            for _ in range(workers):  # a process starts (reading the environment) per submit
                pool.submit(int)
    except Exception:  # pragma: no cover - no processes here, or a schema that cannot be sent
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        yield from (_load_chunk(spec, part, max_bytes) for part in parts)
        return
    try:
        for part in chain(parts, [None]):
            if part is not None:
                try:
                    pending.append((part, _submit(pool, spec, part, max_bytes, stream)))
                except broken:  # the pool broke: load the rest here
                    pending.append((part, _failed()))
            while pending and (part is None or len(pending) > 2 * workers):
                done, future = pending.popleft()
                try:
                    chunk = future.result()
                except broken:
                    chunk = _load_chunk(spec, done, max_bytes)
                yield chunk
    finally:  # done, Ctrl-C, or a consumer that stops early (GeneratorExit)
        _stop_workers(pool)


def _submit(
    pool: ProcessPoolExecutor,
    spec: DocumentSchema,
    part: list[_Item],
    max_bytes: int,
    stream: bool,
) -> Future[_Chunk]:
    """A chunk for a worker; a columnar document is read here (its frames would only be
    copied back from a worker), as a finished future in its place in the order."""
    if len(part) == 1 and _is_columnar(part[0]):
        from concurrent.futures import Future

        future: Future[_Chunk] = Future()
        future.set_result(_load_columnar(spec, part[0], max_bytes, stream))
        return future
    return pool.submit(_work, part, max_bytes)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the worker processes with the loading: when every chunk is in, they are idle;
    on Ctrl-C, SIGTERM or a consumer that stops early, the chunks under way are not
    wanted. Either way they are killed (they ignore both signals and hold only documents
    being read) and reaped here. (A pool shut down in the background,
    ``shutdown(wait=False)``, left its workers running after the loading ended, and after
    a run that ended before they did.)"""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
    for process in processes:
        process.join(5)


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _failed() -> Future[_Chunk]:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    future: Future[_Chunk] = Future()
    future.set_exception(BrokenProcessPool("not submitted"))
    return future


def _finish(spec: DocumentSchema, chunks: list[_Chunk], files: int) -> Batch:
    """One batch from the chunks: concatenate, scale the amounts once, drop inexact documents."""
    statuses = [status for chunk in chunks for status in chunk.statuses]
    problems: dict[int, list[tuple[int, Diagnostic]]] = {}
    for chunk in chunks:
        for index, found in chunk.problems.items():
            problems.setdefault(index, []).extend(found)
    read: dict[str, list[pl.DataFrame | pl.LazyFrame]] = {}
    for chunk in chunks:
        for role, parts in chunk.read.items():
            read.setdefault(role, []).extend(parts)
    frames = chunks[0].frames if len(chunks) == 1 else _Frames.concat([c.frames for c in chunks])
    del chunks
    where = {s.document: (s.path, s.line) for s in statuses if s.valid}
    loaded, documents, stmt = _finish_frames(spec, frames, where, problems)
    tables: dict[str, pl.DataFrame | pl.LazyFrame] = dict(loaded)
    for role, parts in read.items():  # columnar tables' rows; a streamed one's stay lazy
        if any(isinstance(part, pl.LazyFrame) for part in parts):
            lazy = [loaded[role].lazy(), *(part.lazy() for part in parts)]
            tables[role] = pl.concat(lazy, how="vertical_relaxed")
        else:
            eager = [loaded[role], *(p for p in parts if isinstance(p, pl.DataFrame))]
            tables[role] = pl.concat(eager, how="vertical_relaxed", rechunk=False)
    table_info, provenance = frames.table_info, frames.provenance
    tables = to_template_units(spec, tables, table_info)
    if problems:  # demote: drop from every frame, keep the diagnostics (in section order)
        first = statuses[0].document if statuses else 0  # a later batch of a stream
        for index, found in problems.items():
            old = statuses[index - first]
            found.sort(key=lambda pair: pair[0])  # stable: doc.frame before the cells it left
            statuses[index - first] = DocumentStatus(
                old.document,
                old.path,
                old.id,
                old.line,
                False,
                (*old.diagnostics, *(diag for _, diag in found)),
            )
        keep = ~pl.col("document").is_in(pl.Series(sorted(problems), dtype=pl.UInt32).implode())
        tables = {role: f.filter(keep) for role, f in tables.items()}
        documents = documents.filter(keep)
        stmt = stmt.filter(keep)
        table_info = table_info.filter(keep)
        provenance = provenance.filter(keep)
    return Batch(
        spec, documents, tables, table_info, stmt, statuses, files=files, provenance=provenance
    )


def _document_id(obj: Mapping[str, Any] | None, default: str) -> str:
    meta = obj.get("meta") if obj is not None else None
    if isinstance(meta, Mapping) and isinstance(meta.get("id"), str) and meta["id"]:
        return str(meta["id"])
    return default
