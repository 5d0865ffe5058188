"""A disk cache of resolved rulesets: a later process skips lark, parsing and resolving.

An entry is keyed by the paths asked for, the template and the source of every
module that shapes a resolved ruleset. It records each rule file it read with a
digest of its bytes (and each folder's list of rule files), and is used only when
all of them still match; otherwise the rules are loaded afresh and the entry
rewritten. Only clean loads (no error diagnostics) are stored. Entries live in
:func:`checker.resources.cache_dir`; with no writable cache folder nothing is
cached. Pickles are read only from that user-owned folder.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from checker.ast import Ruleset
from checker.diagnostics import Diagnostic
from checker.resources import cache_dir, grammar_path
from checker.template import Template

_SOURCES = ("ast.py", "syntax.py", "resolve.py", "template.py", "diagnostics.py", "rulecache.py")


@cache
def _code_digest() -> str:
    h = hashlib.sha256(grammar_path().read_bytes())
    here = Path(__file__).parent
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


def _digest(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _listing(path: Path) -> list[str] | None:
    """What a folder argument stands for (the same choice as ``resolve.rule_files``)."""
    if not path.is_dir():
        return None
    entry = path / "ruleset.rules"
    if entry.is_file():
        return [str(entry)]
    return sorted(str(q) for q in path.rglob("*.rules") if q.is_file())


def _entry(paths: Sequence[Path], template: Template, known: Iterable[str] | None) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    h = hashlib.sha256(_code_digest().encode())
    h.update(repr(template).encode())
    h.update(repr(sorted(known) if known is not None else None).encode())
    for p in paths:
        h.update(os.path.abspath(p).encode("utf-8", "surrogateescape") + b"\0")
    return folder / "rulesets" / f"{h.hexdigest()[:32]}.pickle"


def _still_valid(stored: dict[str, Any], paths: Sequence[Path]) -> bool:
    listings = stored.get("listings", {})
    for p in paths:
        if listings.get(str(p)) != _listing(p):
            return False
    return all(_digest(f) == d for f, d in stored.get("files", {}).items())


def load_ruleset_cached(
    paths: Sequence[str | os.PathLike[str]],
    template: Template,
    *,
    known_statements: Iterable[str] | None = None,
) -> tuple[Ruleset, list[Diagnostic]]:
    """``resolve.load_ruleset`` through the cache (same result, same diagnostics)."""
    chosen = [Path(p) for p in paths]
    known = list(known_statements) if known_statements is not None else None
    entry = _entry(chosen, template, known)
    if entry is not None:
        try:
            with entry.open("rb") as fh:
                stored = pickle.load(fh)
            if isinstance(stored, dict) and _still_valid(stored, chosen):
                return stored["ruleset"], list(stored["diagnostics"])
        except Exception:  # absent, corrupt or from another version: load afresh
            pass
    from checker.resolve import load_ruleset  # lark is imported only on a miss

    read: list[str] = []
    ruleset, diagnostics = load_ruleset(chosen, template, known_statements=known, read=read)
    if entry is not None and not any(d.severity == "error" for d in diagnostics):
        _store(entry, chosen, read, ruleset, diagnostics)
    return ruleset, diagnostics


def _store(
    entry: Path, paths: Sequence[Path], read: list[str], ruleset: Ruleset, diags: list[Diagnostic]
) -> None:
    files = {f: _digest(f) for f in read}
    stored = {
        "ruleset": ruleset,
        "diagnostics": diags,
        "files": files,
        "listings": {str(p): _listing(p) for p in paths},
    }
    try:
        entry.parent.mkdir(exist_ok=True)
        tmp = entry.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(stored, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, entry)  # atomic: a concurrent reader sees all or nothing
    except Exception:  # a read-only or full disk must not stop a check
        return
