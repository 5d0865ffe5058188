"""Reading an input file safely: a regular file under a size limit, read with a bounded read.

Every file rulecheck reads as input — documents, rule files, waiver files,
schemas, rule-test case files, PDFs and text dumps, cache entries — goes through
:func:`read_input` (or :func:`open_input` for a stream). A FIFO, a device, a
socket or a folder is refused before a byte is read (the file is opened
non-blocking, so a FIFO with no writer cannot hang the run, and checked with
``fstat`` on the open descriptor, so it cannot be swapped after the check); a
file larger than the limit is refused without being read. Each refusal is an
:class:`InputFileError` whose :meth:`~InputFileError.diagnostic` is one clear
message; the caller reports it with its own exit code.

The limit is ``--max-bytes`` (every command that reads input files has it),
else ``$RULECHECK_MAX_BYTES``, else :data:`DEFAULT_MAX_BYTES`. It bounds the files a
user gives; the rulesets and schemas shipped with rulecheck are held to the default
however low it is set (``--max-bytes 1000`` limits documents, not the bundled rules).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Final

from checker.diagnostics import Diagnostic, Location, register

DEFAULT_MAX_BYTES: Final = 64 * 1024 * 1024
"""Input files larger than this are refused without being read."""

ENV_MAX_BYTES: Final = "RULECHECK_MAX_BYTES"

register(
    {
        "input.not-regular": (
            "{path} 不是普通文件（{kind_zh}），未读取",
            "{path} is not a regular file ({kind_en}): not read",
        ),
        "input.too-large": (
            "{path} 过大（{size} 字节，上限 {limit} 字节），未读取；可用 --max-bytes 调高上限",
            "{path} is too large ({size} bytes, limit {limit}): not read; "
            "raise the limit with --max-bytes",
        ),
        "input.unreadable": ("无法读取 {path}：{reason}", "cannot read {path}: {reason}"),
    }
)

_KINDS: Final = (
    (stat.S_ISFIFO, "命名管道 FIFO", "a FIFO"),
    (stat.S_ISCHR, "字符设备", "a character device"),
    (stat.S_ISBLK, "块设备", "a block device"),
    (stat.S_ISSOCK, "套接字", "a socket"),
    (stat.S_ISDIR, "目录", "a folder"),
)

_configured: int | None = None


def set_max_bytes(limit: int | None) -> None:
    """The process's input size limit (``--max-bytes``); None: the environment or default."""
    global _configured
    _configured = limit


def max_bytes() -> int:
    """The input size limit in force: ``--max-bytes``, ``$RULECHECK_MAX_BYTES``, the default."""
    if _configured is not None:
        return _configured
    raw = os.environ.get(ENV_MAX_BYTES, "").strip()
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return DEFAULT_MAX_BYTES


class InputFileError(Exception):
    """An input file that was not read: not a regular file, too large, or unreadable."""

    def __init__(self, path: str, code: str, args: dict[str, object]) -> None:
        super().__init__(f"{path}: {code}")
        self.path = path
        self.code = code
        self.details = args

    @property
    def missing(self) -> bool:
        return self.code == "input.unreadable" and self.details.get("errno") == 2

    def diagnostic(self, file: str | None = None) -> Diagnostic:
        """The one message for it (located at ``file``, the path by default)."""
        args = {k: v for k, v in self.details.items() if k != "errno"}
        return Diagnostic(self.code, Location(file or self.path), {"path": self.path, **args})

    @property
    def reason(self) -> str:
        """A short English reason (for messages that take a free-form one)."""
        return self.diagnostic().message("en").removeprefix(f"{self.path} ")


def _not_regular(path: str, mode: int) -> InputFileError:
    for test, zh, en in _KINDS:
        if test(mode):
            return InputFileError(path, "input.not-regular", {"kind_zh": zh, "kind_en": en})
    return InputFileError(path, "input.not-regular", {"kind_zh": "特殊文件", "kind_en": "special"})


def _limit_for(name: str) -> int:
    """The limit for reading ``name``: the configured one, or at least the default for a
    file shipped with rulecheck."""
    cap = max_bytes()
    if cap >= DEFAULT_MAX_BYTES:
        return cap
    from checker.resources import data_dir

    try:
        here = Path(name).resolve()
        shipped = any(here.is_relative_to(data_dir(k).resolve()) for k in ("rulesets", "schemas"))
    except (OSError, RuntimeError, FileNotFoundError):
        shipped = False
    return DEFAULT_MAX_BYTES if shipped else cap


def open_input(
    path: str | os.PathLike[str], limit: int | None = None, buffering: int = -1
) -> BinaryIO:
    """Open ``path`` for reading if it is a regular file no larger than ``limit``
    (default :func:`max_bytes`), else raise :class:`InputFileError`. Never blocks on a
    FIFO. The caller reads at most ``limit + 1`` bytes (see :func:`read_input`)."""
    name = os.fspath(path)
    cap = _limit_for(name) if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise InputFileError(
            name,
            "input.unreadable",
            {"reason": exc.strerror or type(exc).__name__, "errno": exc.errno},
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(name, info.st_mode)
        if info.st_size > cap:
            raise InputFileError(name, "input.too-large", {"size": info.st_size, "limit": cap})
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=buffering)
    except BaseException:
        os.close(fd)
        raise


def read_input(path: str | os.PathLike[str], limit: int | None = None) -> bytes:
    """The bytes of ``path`` if it is a regular file no larger than ``limit`` (see
    :func:`open_input`); a file that grew past the limit since it was opened is refused."""
    name = os.fspath(path)
    cap = _limit_for(name) if limit is None else limit
    with open_input(name, cap) as handle:
        try:
            # read as much as the file holds (one byte more shows that it grew), never a
            # buffer of the limit's size: --max-bytes may be far above the memory there is
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, cap) + 1)
            while len(data) <= cap and (more := handle.read(min(cap + 1 - len(data), 1 << 20))):
                data += more
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise InputFileError(name, "input.unreadable", {"reason": reason}) from None
    if len(data) > cap:
        raise InputFileError(name, "input.too-large", {"size": f">{cap}", "limit": cap})
    return data


def read_input_text(path: str | os.PathLike[str], limit: int | None = None) -> str:
    """:func:`read_input` decoded as UTF-8 (a BOM is dropped); raises UnicodeDecodeError."""
    return read_input(path, limit).decode("utf-8-sig")


def is_regular(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is (a symlink to) a regular file: what :func:`open_input` accepts."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


__all__ = [
    "DEFAULT_MAX_BYTES",
    "InputFileError",
    "is_regular",
    "max_bytes",
    "open_input",
    "read_input",
    "read_input_text",
    "set_max_bytes",
]


Ident = tuple[int, int, str]  # a walked file: its folder's device and inode, its name


def walk_tree(
    root: Path, unreadable: Callable[[Path, OSError], None]
) -> Iterator[tuple[Path, bool, Ident]]:
    """Every file and folder below *root* as ``(path, is_dir, ident)``, in name order,
    symbolic links followed but each folder walked once (a link loop ends; two ways into
    a folder list its files once). A folder that cannot be listed (*root* included) is
    passed to ``unreadable`` with its error: the caller says so, never skips it in silence."""
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Path, tuple[int, int]]] = []
    try:
        info = root.stat()
        seen.add((info.st_dev, info.st_ino))
        stack.append((root, (info.st_dev, info.st_ino)))
    except OSError as exc:
        unreadable(root, exc)
    while stack:
        folder, here = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            unreadable(folder, exc)
            continue
        below: list[tuple[Path, tuple[int, int]]] = []
        for entry in entries:
            path = folder / entry.name
            try:
                is_dir = entry.is_dir()
                if not is_dir and not entry.is_file():
                    continue  # a dangling link, a FIFO, a device: not an input file
                target = entry.stat() if is_dir else None
            except OSError:  # a looping link: not a folder to walk
                continue
            if target is not None:
                key = (target.st_dev, target.st_ino)
                if key in seen:
                    continue
                seen.add(key)
                below.append((path, key))
            yield path, is_dir, (*here, entry.name)
        stack.extend(reversed(below))
