"""Which rule files a path given on the command line stands for (no parsing: cheap to import)."""

from __future__ import annotations

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
