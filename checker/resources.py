"""Locate the data that ships with rulecheck: grammar, rulesets, schemas.

In a wheel they live in ``checker/_data/``; in a source checkout (editable
install, or running from the repository) they are the top-level folders.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(kind: str) -> Path:
    """Return the folder holding ``kind`` (``grammar``, ``rulesets`` or ``schemas``)."""
    for candidate in (_PACKAGE / "_data" / kind, _PACKAGE.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"rulecheck data folder {kind!r} is missing from the installation")


def grammar_path() -> Path:
    """The rule language grammar."""
    return data_dir("grammar") / "rules.lark"


def schema_path(name: str = "budget-document.schema.json") -> Path:
    """A JSON Schema shipped in ``schemas/``."""
    return data_dir("schemas") / name


def rulesets_dir() -> Path:
    """The folder of shipped rulesets."""
    return data_dir("rulesets")


def cache_dir() -> Path | None:
    """rulecheck's cache folder: ``$RULECHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/rulecheck``
    or ``~/.cache/rulecheck``; None when it cannot be created or written, or is not safe to
    read (not owned by this user, or writable by its group or others: someone else could
    plant entries there), and then nothing is cached (``--debug`` says why, once)."""
    own = os.environ.get("RULECHECK_CACHE_DIR")
    base = own or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    folder = root if own else root / "rulecheck"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        reason = unsafe_folder(os.stat(folder))
        if reason is None and not os.access(folder, os.W_OK):
            reason = "not writable"
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    if reason is not None:
        debug_note(
            f"缓存目录未使用 / cache folder not used: {folder}: {reason}; caching is off "
            "(make it yours with mode 700, or delete it)"
        )
        return None
    return folder


def unsafe_folder(st: os.stat_result) -> str | None:
    """Why a folder (its ``os.stat``) may not hold rulecheck's caches or key, or None."""
    getuid = getattr(os, "getuid", None)  # POSIX; elsewhere the folder's ACLs decide
    if getuid is None:
        return None
    if st.st_uid != getuid():
        return f"owned by uid {st.st_uid}, not by this user ({getuid()})"
    if st.st_mode & 0o022:
        return f"writable by its group or others (mode {st.st_mode & 0o777:o})"
    return None


DEBUG = False  # set by the command line's --debug
_noted: set[str] = set()


def debug_note(message: str) -> None:
    """Say ``message`` on stderr with ``--debug``, once per process."""
    if DEBUG and message not in _noted:
        _noted.add(message)
        sys.stderr.write(f"rulecheck: {message}\n")
