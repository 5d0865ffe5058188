"""Locate the data that ships with rulecheck: grammar, rulesets, schemas.

In a wheel they live in ``checker/_data/``; in a source checkout (editable
install, or running from the repository) they are the top-level folders.
"""

from __future__ import annotations

import os
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
    or ``~/.cache/rulecheck``; None when it cannot be created or written (then nothing is
    cached)."""
    own = os.environ.get("RULECHECK_CACHE_DIR")
    base = own or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    folder = root if own else root / "rulecheck"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return None
    except OSError:
        return None
    return folder
