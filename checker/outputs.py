"""Output files: written beside the target and renamed when complete, never one of the inputs.

Every file rulecheck writes (``check -o``, ``import -o DIR``'s documents, ``waive -o``)
goes through :class:`AtomicFile`: the text goes to a temporary file in the target's
folder (``.<name>.<random>.tmp``), which replaces the target in one rename once the
run has completed. A run that fails, is interrupted (Ctrl-C, SIGTERM) or whose
reader goes away removes the temporary file and leaves the previous output as it was;
a reader never sees half a file. A target that exists and is not a regular file
(``/dev/null``, ``/dev/stdout``, a FIFO) is written directly: it cannot be renamed over.

:func:`refuse_inputs` makes an output path that is also an input (a document, a rule
file, a waiver file, a schema; compared as resolved paths, and by inode for hard
links) a usage error before anything is read: ``check doc.json -o doc.json`` used to
empty the document before reading it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register

register(
    {
        "output.is-input": (
            "{output}：输出文件也是输入（{role_zh} {input}），写入会覆盖它：请换一个输出路径",
            "{output}: the output file is also an input ({role_en} {input}); writing would "
            "overwrite it: choose another output path",
        ),
    }
)

ROLES: Final = {  # what an input is, in both languages
    "document": ("文档", "document"),
    "rules": ("规则文件", "rule file"),
    "waivers": ("豁免文件", "waiver file"),
    "schema": ("文档结构", "schema"),
    "cases": ("用例文件", "case file"),
}


class AtomicFile:
    """A file written to a temporary file beside ``path`` and renamed over it on
    :meth:`commit`; :meth:`discard` (or closing without committing) leaves ``path`` as it was.

    Opening raises :class:`OSError` when the folder cannot take the temporary file.
    The new file gets the old file's permission bits, else those ``open`` would give.
    """

    def __init__(self, path: str | os.PathLike[str], *, binary: bool = False) -> None:
        self.path = Path(path)
        # through a symbolic link to the file it names: the link stays a link
        self.target = Path(os.path.realpath(path))
        self.temporary: Path | None = None
        self.done = False
        try:
            st: os.stat_result | None = os.stat(self.target)
        except OSError:
            st = None
        self._mode = stat.S_IMODE(st.st_mode) if st is not None else _new_file_mode()
        mode = "wb" if binary else "w"
        text: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
        if st is not None and not stat.S_ISREG(st.st_mode):  # a device, a FIFO: as it is
            self.file: IO[Any] = open(self.target, mode, **text)  # noqa: SIM115 - closed below
            return
        handle, name = tempfile.mkstemp(
            prefix=f".{self.target.name}.", suffix=".tmp", dir=self.target.parent
        )
        self.temporary = Path(name)
        try:
            self.file = os.fdopen(handle, mode, **text)
        except BaseException:
            os.close(handle)
            self.temporary.unlink(missing_ok=True)
            raise

    def commit(self) -> None:
        """Replace the target with what was written (all at once)."""
        if self.done:
            return
        try:
            self.file.flush()
            if self.temporary is not None:
                os.fsync(self.file.fileno())
            self.file.close()
            if self.temporary is not None:
                os.chmod(self.temporary, self._mode)
                os.replace(self.temporary, self.target)
        except BaseException:
            self.discard()
            raise
        self.done = True

    def discard(self) -> None:
        """Forget what was written: the target stays as it was."""
        if self.done:
            return
        self.done = True
        with contextlib.suppress(OSError, ValueError):
            self.file.close()
        if self.temporary is not None:
            with contextlib.suppress(OSError):
                self.temporary.unlink()

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """``path`` replaced by ``data`` at once (or left as it was on any failure)."""
    with AtomicFile(path, binary=True) as out:
        out.file.write(data)


def _new_file_mode() -> int:
    """What ``open`` gives a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _same(output: str, resolved: str, given: Path) -> bool:
    if os.path.realpath(given) == resolved:
        return True
    with contextlib.suppress(OSError):  # two names of one file (a hard link)
        return os.path.samefile(output, given)
    return False


def refuse_inputs(output: str, inputs: Iterable[tuple[str, Iterable[str | Path]]]) -> None:
    """Raise :class:`RulecheckError` (exit 2, usage) when ``output`` names one of
    ``inputs`` (pairs of a role, a key of :data:`ROLES`, and its paths). ``-``
    (standard input or output) is never a file."""
    if output == "-":
        return
    resolved = os.path.realpath(output)
    for role, paths in inputs:
        for given in paths:
            if str(given) == "-":
                continue
            if _same(output, resolved, Path(given)):
                zh, en = ROLES[role]
                args = {"output": output, "role_zh": zh, "role_en": en, "input": str(given)}
                diag = Diagnostic("output.is-input", Location("rulecheck"), args)
                raise RulecheckError([diag], ExitCode.USAGE)


def document_files(paths: Iterable[str]) -> Iterator[Path]:
    """The files the document arguments stand for (folders and globs expanded, nothing read)."""
    from checker.documents import iter_sources

    for source in iter_sources(list(paths)):
        if source.path is not None:
            yield source.path


def rule_paths(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The rule files the rule arguments stand for (folders expanded, includes not followed)."""
    from checker.rulefiles import rule_files

    for path in paths:
        yield from rule_files(path)


def ruleset_files(ruleset: Any) -> set[str]:
    """Every file a loaded ruleset was read from (its includes among them)."""
    files = {ruleset.file}
    for item in (*ruleset.rules, *ruleset.aliases):
        file = getattr(getattr(item, "span", None), "file", None)
        if file:
            files.add(file)
    return {f for f in files if f and not f.startswith("<")}


__all__ = [
    "AtomicFile",
    "document_files",
    "refuse_inputs",
    "rule_paths",
    "ruleset_files",
    "write_atomic",
]
