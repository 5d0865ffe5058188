"""A disk cache of resolved rulesets: a later process skips lark, parsing and resolving.

An entry is keyed by the paths asked for, the template and the source of every
module that shapes a resolved ruleset. It records each rule file it read with a
digest of its bytes (and each folder's list of rule files), and is used only when
all of them still match; otherwise the rules are loaded afresh and the entry
rewritten. Only clean loads (no error diagnostics) are stored. See
:mod:`checker.diskcache` for where entries live.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from checker import diskcache
from checker.ast import Ruleset
from checker.diagnostics import Diagnostic
from checker.resources import grammar_path
from checker.rulefiles import Unreadable, extra_include_roots, rule_files
from checker.template import Template

_SOURCES = (
    "ast.py",
    "syntax.py",
    "functions.py",
    "intervals.py",
    "judging.py",
    "resolve.py",
    "template.py",
    "diagnostics.py",
    "rulecache.py",
)


@cache
def _code_digest() -> str:
    here = Path(__file__).parent
    return diskcache.source_digest(grammar_path(), *(here / name for name in _SOURCES))


def _file_digest(path: str) -> str | None:
    from checker.files import InputFileError, read_input

    try:
        return diskcache.digest(read_input(path))
    except InputFileError:
        return None


def _listing(path: Path) -> list[str] | None:
    """What a folder argument stands for (None for a file: its digest covers it)."""
    if not path.is_dir():
        return None
    unreadable: Unreadable = []
    listed = [str(q) for q in rule_files(path, unreadable)]
    return listed + [f"unreadable:{p}" for p, _ in unreadable]  # (resolve reports them)


def _still_valid(stored: dict[str, Any], paths: Sequence[Path]) -> bool:
    listings = stored.get("listings", {})
    if any(listings.get(str(p)) != _listing(p) for p in paths):
        return False
    return all(_file_digest(f) == d for f, d in stored.get("files", {}).items())


def load_ruleset_cached(
    paths: Sequence[str | os.PathLike[str]],
    template: Template,
    *,
    known_statements: Iterable[str] | None = None,
) -> tuple[Ruleset, list[Diagnostic]]:
    """``resolve.load_ruleset`` through the cache (same result, same diagnostics)."""
    ruleset, diagnostics, _ = load_ruleset_keyed(paths, template, known_statements=known_statements)
    return ruleset, diagnostics


def ruleset_digest(ruleset: Ruleset) -> str:
    """A digest of a resolved ruleset's content (what later caches key on)."""
    import pickle

    return diskcache.digest(pickle.dumps(ruleset, protocol=pickle.HIGHEST_PROTOCOL))


def load_ruleset_keyed(
    paths: Sequence[str | os.PathLike[str]],
    template: Template,
    *,
    known_statements: Iterable[str] | None = None,
) -> tuple[Ruleset, list[Diagnostic], str]:
    """:func:`load_ruleset_cached` plus the ruleset's :func:`ruleset_digest`, which a
    cache hit reads from the entry instead of computing it again."""
    chosen = [Path(p) for p in paths]
    known = list(known_statements) if known_statements is not None else None
    key = diskcache.digest(
        _code_digest(),
        repr(template),
        repr(sorted(known) if known is not None else None),
        repr([os.path.abspath(r) for r in extra_include_roots()]),  # --include-root
        *(os.path.abspath(p) for p in chosen),
    )
    entry = diskcache.entry("rulesets", key)
    stored = diskcache.read(entry)
    if isinstance(stored, dict) and _still_valid(stored, chosen) and "digest" in stored:
        return stored["ruleset"], list(stored["diagnostics"]), stored["digest"]
    from checker.resolve import load_ruleset  # lark is imported only on a miss

    read: list[str] = []
    ruleset, diagnostics = load_ruleset(chosen, template, known_statements=known, read=read)
    content = ruleset_digest(ruleset)
    if not any(d.severity == "error" for d in diagnostics):
        diskcache.write(
            entry,
            {
                "ruleset": ruleset,
                "diagnostics": diagnostics,
                "digest": content,
                "files": {f: _file_digest(f) for f in read},
                "listings": {str(p): _listing(p) for p in chosen},
            },
        )
    return ruleset, diagnostics, content
