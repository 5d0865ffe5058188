"""Which rule files a path given on the command line stands for (no parsing: cheap to import)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def rule_files(path: str | Path) -> list[Path]:
    """The rule files a path stands for: a file, or a directory's ``*.rules`` (recursive, sorted).

    A directory holding ``ruleset.rules`` stands for that file alone (it includes the rest).
    """
    p = Path(path)
    if p.is_dir():
        entry = p / "ruleset.rules"
        if entry.is_file():
            return [entry]
        return sorted(q for q in p.rglob("*.rules") if q.is_file())
    return [p]


_extra_roots: tuple[str, ...] = ()


def set_include_roots(roots: Sequence[str | Path] | None) -> None:
    """Folders an ``include`` may reach besides the ruleset's own tree (``--include-root``)."""
    global _extra_roots
    _extra_roots = tuple(str(r) for r in roots or ())


def extra_include_roots() -> tuple[str, ...]:
    """The folders :func:`set_include_roots` set."""
    return _extra_roots
