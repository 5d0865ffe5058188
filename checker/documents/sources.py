"""Find the input documents: files, folders, globs, NDJSON lines and standard input.

Each input is read as bytes (read-only, its size checked before reading); a
``.json`` file is one document, an NDJSON file or line-delimited standard input
one per non-blank line.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final, Literal

import orjson

from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register
from checker.documents.columnar import LAYOUT_FILE, is_columnar
from checker.documents.parts import is_importable, split_parts
from checker.files import DEFAULT_MAX_BYTES as _DEFAULT_LIMIT
from checker.files import Ident, InputFileError, open_input, walk_tree

DEFAULT_MAX_BYTES: Final = _DEFAULT_LIMIT
"""Documents larger than this are rejected without being read."""

STDIN_NAME: Final = "<stdin>"
DOCUMENT_SUFFIXES: Final = (".json", ".ndjson", ".jsonl")
_NDJSON_SUFFIXES: Final = (".ndjson", ".jsonl")

register(
    {
        "doc.not-found": (
            "找不到 {path}：没有这个文件或目录，也没有与之匹配的文件",
            "{path}: no such file or directory, and no file matches it",
        ),
        "doc.no-files": (
            "{path} 下没有 .json / .ndjson / .jsonl 文件，也没有列式文档（含 meta.json 的文件夹）",
            "no .json / .ndjson / .jsonl file and no columnar document (a folder with "
            "meta.json) under {path}",
        ),
        "doc.no-paths": ("没有给出要读取的文档", "no document paths given"),
        "doc.folder-unreadable": (
            "无法读取文件夹 {path}：{error}；其中的文档未检查",
            "cannot read the folder {path}: {error}; the documents in it were not checked",
        ),
        "doc.read-error": ("无法读取文件：{error}", "cannot read the file: {error}"),
        "doc.too-large": (
            "文档过大（{size} 字节，上限 {limit} 字节），未读取；可用 --max-bytes 调高上限",
            "document too large ({size} bytes, limit {limit}): not read; "
            "raise the limit with --max-bytes",
        ),
    }
)


@dataclass(frozen=True)
class Source:
    """One input: a file (JSON, NDJSON, or sniffed) or standard input (``path is None``)."""

    name: str
    path: Path | None
    mode: Literal["json", "ndjson", "auto", "import", "columnar"]


def iter_sources(paths: Sequence[str]) -> list[Source]:
    """Expand files, directories (every *.json/*.ndjson/*.jsonl below, sorted), globs and ``-``.

    Resolved eagerly so that every path that matches nothing is reported (as a
    usage error, :class:`RulecheckError` with ``ExitCode.USAGE``) before
    anything is read. A file named twice (by the same path) is read once.
    """
    if not paths:
        raise RulecheckError([Diagnostic("doc.no-paths", Location("rulecheck"))], ExitCode.USAGE)
    out: list[Source] = []
    problems: list[Diagnostic] = []
    seen: set[object] = set()

    def add_file(path: Path, ident: Ident | None = None) -> None:
        # no syscalls: a directory walk may list 100,000 files; a walked file is known by
        # its folder's identity and its name (two ways into a folder: read once)
        key = ident or os.path.abspath(path)
        if key in seen:
            return
        seen.add(key)
        suffix = path.suffix.lower()
        mode: Literal["json", "ndjson", "auto"] = (
            "ndjson" if suffix in _NDJSON_SUFFIXES else "json" if suffix == ".json" else "auto"
        )
        out.append(Source(str(path), path, mode))

    def add_columnar(path: Path) -> None:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            out.append(Source(str(path), path, "columnar"))

    def add_dir(path: Path) -> bool:
        if is_columnar(path):
            add_columnar(path)
            return True
        files = [(p, ident) for p, is_dir, ident in walk(path, problems) if not is_dir]
        # a folder holding meta.json is one document (its tables' files), not a folder
        # of documents
        columnar = {p.parent for p, _ in files if p.name == LAYOUT_FILE}
        found = sorted(
            [
                *((p, ident) for p, ident in files if _is_document(p) and not _inside(p, columnar)),
                *((p, None) for p in columnar if not _inside(p, columnar - {p})),
            ],
            key=lambda found: found[0].as_posix(),
        )
        for p, ident in found:
            if p in columnar:
                add_columnar(p)
            else:
                add_file(p, ident)
        return bool(found)

    for given in paths:
        if is_importable(given):
            # a published document (PDF, text dump, a+b.pdf): imported when read
            if given not in seen:
                seen.add(given)
                out.append(Source(given, Path(split_parts(given)[0]), "import"))
            continue
        if given == "-":
            if STDIN_NAME not in seen:
                seen.add(STDIN_NAME)
                out.append(Source(STDIN_NAME, None, "auto"))
            continue
        path = Path(given)
        if path.is_dir():
            if not add_dir(path):
                problems.append(Diagnostic("doc.no-files", Location(given), {"path": given}))
        elif path.exists():
            add_file(path)
        elif glob.has_magic(given):
            matches = _glob(given, problems)
            files = [(Path(m), i) for m, d, i in matches if not d and Path(m).is_file()]
            dirs = [Path(m) for m, is_dir, _ in matches if is_dir]
            for f, ident in files:
                add_file(f, ident)
            found = [add_dir(d) for d in dirs]
            if not files and not any(found):
                problems.append(Diagnostic("doc.not-found", Location(given), {"path": given}))
        else:
            problems.append(Diagnostic("doc.not-found", Location(given), {"path": given}))
    if problems:  # a path that names nothing is a usage error; a folder unreadable, input's
        usage = any(p.code != "doc.folder-unreadable" for p in problems)
        raise RulecheckError(problems, ExitCode.USAGE if usage else ExitCode.INVALID_DOCUMENT)
    return out


def _is_document(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENT_SUFFIXES


def _inside(path: Path, folders: set[Path]) -> bool:
    """Whether ``path`` lies in one of ``folders`` (columnar documents)."""
    return any(parent in folders for parent in path.parents)


def walk(root: Path, problems: list[Diagnostic]) -> Iterator[tuple[Path, bool, Ident]]:
    """:func:`checker.files.walk_tree` with a folder that cannot be listed reported as a
    ``doc.folder-unreadable`` problem, never skipped in silence."""

    def unreadable(folder: Path, exc: OSError) -> None:
        args = {"path": str(folder), "error": exc.strerror or str(exc)}
        problems.append(Diagnostic("doc.folder-unreadable", Location(str(folder)), args))

    return walk_tree(root, unreadable)


def _glob(pattern: str, problems: list[Diagnostic]) -> list[tuple[str, bool, Ident | None]]:
    """``glob.glob(pattern, recursive=True)``, sorted, as ``(path, is_dir, ident)``; a
    ``**`` walks with :func:`walk`, so a symbolic-link loop ends and lists each file once."""
    parts = Path(pattern).parts
    if "**" not in parts:  # no recursion: the standard glob cannot loop
        return [(m, os.path.isdir(m), None) for m in sorted(glob.glob(pattern))]
    cut = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base, wanted = parts[:cut], parts[cut:]
    root = Path(*base) if base else Path(".")
    if not root.is_dir():
        return []
    found: list[tuple[tuple[str, ...], bool, Ident | None]] = [((), True, None)]
    found += [(p.relative_to(root).parts, d, ident) for p, d, ident in walk(root, problems)]
    return sorted(
        (os.path.join(*base, *rel), is_dir, ident)
        for rel, is_dir, ident in found
        if (base or rel) and _matches(rel, wanted)
    )


def _matches(parts: Sequence[str], wanted: Sequence[str]) -> bool:
    """Whether the path components *parts* match the glob components *wanted* as
    ``glob.glob`` matches them: ``**`` is any number of folders, hidden names only by a
    component that starts with a dot."""
    if not wanted:
        return not parts
    head, rest = wanted[0], wanted[1:]
    if head == "**":
        return any(
            _matches(parts[i:], rest)
            for i in range(len(parts) + 1)
            if not any(p.startswith(".") for p in parts[:i])
        )
    if not parts or (parts[0].startswith(".") and not head.startswith(".")):
        return False
    return fnmatch.fnmatchcase(parts[0], head) and _matches(parts[1:], rest)


@dataclass(frozen=True)
class _Raw:
    """The bytes of one document (or why there are none)."""

    file: str
    line: int | None  # NDJSON line
    default_id: str
    data: bytes | None
    problem: Diagnostic | None = None
    # what the import could not decide (warnings: the document stays valid)
    notes: tuple[Diagnostic, ...] = ()


def _read_source(source: Source, max_bytes: int, stdin: IO[bytes] | None) -> Iterator[_Raw]:
    stem = source.path.stem if source.path is not None else "stdin"
    if source.mode == "import":
        yield _imported(source)
        return
    if source.path is None:
        stream = stdin if stdin is not None else sys.stdin.buffer
        yield from _read_stream(stream, source, stem, max_bytes)
        return
    try:
        # read-only, never written, and only a regular file (a FIFO or a device is
        # refused, never waited on); a 1 MiB buffer: NDJSON lines are ~100 KB, and
        # readline() on the default 8 KiB buffer copied each one several times. An
        # NDJSON file may be larger than the limit: each line is held to it.
        with open_input(source.path, sys.maxsize, buffering=_READ_BUFFER) as handle:
            size = os.fstat(handle.fileno()).st_size
            if source.mode == "json" and size > max_bytes:
                yield _too_large(source.name, None, stem, size, max_bytes)
                return
            yield from _read_stream(handle, source, stem, max_bytes, size or None)
    except InputFileError as exc:
        if exc.code == "input.unreadable":
            args = {"error": exc.details["reason"]}
            diag = Diagnostic("doc.read-error", Location(source.name), args)
        else:
            diag = exc.diagnostic()
        yield _Raw(source.name, None, stem, None, diag)
    except OSError as exc:
        diag = Diagnostic(
            "doc.read-error", Location(source.name), {"error": exc.strerror or str(exc)}
        )
        yield _Raw(source.name, None, stem, None, diag)


_READ_BUFFER: Final = 1 << 20


def _imported(source: Source) -> _Raw:
    """A published document imported on the fly: the same JSON ``rulecheck import`` writes."""
    from checker.documents.importer import import_recent

    try:
        imported = import_recent(source.name)
    except RulecheckError as error:
        return _Raw(source.name, None, source.name, None, error.diagnostics[0])
    document = imported.document
    notes = tuple(imported.diagnostics())
    return _Raw(source.name, None, str(document["meta"]["id"]), orjson.dumps(document), None, notes)


def _too_large(file: str, line: int | None, default_id: str, size: int, limit: int) -> _Raw:
    diag = Diagnostic("doc.too-large", Location(file, line), {"size": size, "limit": limit})
    return _Raw(file, line, default_id, None, diag)


def _read_stream(
    stream: IO[bytes], source: Source, stem: str, max_bytes: int, size: int | None = None
) -> Iterator[_Raw]:
    """JSON: the whole stream is one document. NDJSON: one per non-blank line.

    ``auto`` (stdin, unknown suffix) is NDJSON when the first non-blank line
    is a complete JSON value on its own, else one JSON document.
    """
    name = source.name
    mode = source.mode
    head = b""  # everything read so far
    line_bytes = b""  # the first non-blank line (NDJSON)
    lineno = 0
    if mode != "json":
        while True:  # up to the first non-blank line; blank lines only count
            line_bytes = stream.readline(max_bytes + 1)
            head += line_bytes
            if not line_bytes:
                break
            lineno += 1
            if line_bytes.strip() or len(line_bytes) > max_bytes:
                break
        if mode == "auto":
            mode = "ndjson" if line_bytes.strip() and _parses(line_bytes) else "json"
    if mode == "json":
        limit = max_bytes + 1 - len(head)  # read one byte more than allowed to see an excess
        want = limit if size is None else min(size + 1 - len(head), limit)
        data = head + stream.read(max(want, 0))
        if size is not None and len(data) > size:  # the file grew since fstat: read on
            data += stream.read(max(max_bytes + 1 - len(data), 0))
        if len(data) > max_bytes:
            yield _too_large(name, None, stem, len(data), max_bytes)
            return
        yield _Raw(name, None, stem, data)
        return
    label = Path(name).name
    while line_bytes:
        if len(line_bytes) > max_bytes and not line_bytes.endswith(b"\n"):
            size = len(line_bytes)
            while line_bytes and not line_bytes.endswith(b"\n"):  # skip the rest of the line
                line_bytes = stream.readline(1 << 20)
                size += len(line_bytes)
            yield _too_large(name, lineno, f"{label}:{lineno}", size, max_bytes)
        else:
            content = line_bytes.rstrip(b"\r\n")
            if len(content) > max_bytes:
                yield _too_large(name, lineno, f"{label}:{lineno}", len(content), max_bytes)
            elif content and not content.isspace():  # (strip() would copy the line)
                yield _Raw(name, lineno, f"{label}:{lineno}", content)
        line_bytes = stream.readline(max_bytes + 1)
        lineno += 1


def _parses(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        return False
    return True
