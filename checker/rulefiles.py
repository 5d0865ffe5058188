"""Which rule files a path given on the command line stands for (no parsing: cheap to import)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from checker.diagnostics import Diagnostic


Unreadable = list[tuple[Path, str]]  # folders that could not be listed, with the reason


def rules_below(folder: Path, unreadable: Unreadable | None = None) -> list[Path]:
    """Every ``*.rules`` file below ``folder`` (recursive, sorted; a symbolic-link loop
    ends). A folder that cannot be listed is appended to ``unreadable`` for the caller to
    report (never skipped in silence)."""
    from checker.files import walk_tree

    def note(path: Path, exc: OSError) -> None:
        if unreadable is not None:
            unreadable.append((path, exc.strerror or type(exc).__name__))

    found = walk_tree(folder, note)
    return sorted(p for p, is_dir, _ in found if not is_dir and p.suffix == ".rules")


def rule_files(path: str | Path, unreadable: Unreadable | None = None) -> list[Path]:
    """The rule files a path stands for: a file, or a directory's ``*.rules`` (recursive, sorted).

    A directory holding ``ruleset.rules`` stands for that file alone (it includes the rest).
    Folders that cannot be listed go to ``unreadable`` (see :func:`rules_below`).
    """
    p = Path(path)
    if p.is_dir():
        entry = p / "ruleset.rules"
        if entry.is_file():
            return [entry]
        return rules_below(p, unreadable)
    return [p]


def unreadable_diagnostics(unreadable: Unreadable) -> list[Diagnostic]:
    """One ``rules.io.folder-unreadable`` error per folder :func:`rules_below` could not list."""
    from checker.diagnostics import Diagnostic, Location

    return [
        Diagnostic("rules.io.folder-unreadable", Location(str(p)), {"path": str(p), "reason": r})
        for p, r in unreadable
    ]


_extra_roots: tuple[str, ...] = ()


def set_include_roots(roots: Sequence[str | Path] | None) -> None:
    """Folders an ``include`` may reach besides the ruleset's own tree (``--include-root``)."""
    global _extra_roots
    _extra_roots = tuple(str(r) for r in roots or ())


def extra_include_roots() -> tuple[str, ...]:
    """The folders :func:`set_include_roots` set."""
    return _extra_roots
