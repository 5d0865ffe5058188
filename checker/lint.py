"""``rulecheck lint``: check rule files statically and render the diagnostics rustc-style.

Every path is a file or a folder of ``*.rules`` files. Files that no other
given file includes are *roots*: each root is loaded with its includes and
resolved on its own (two independent rulesets in one folder may reuse rule
ids). A ``.rules`` file beside a ``ruleset.rules`` that the ruleset never
reaches is reported (it would be silently ignored by ``check``). A root that
declares no ruleset (a file written to be included, such as ``rulesets/共用``'s,
whose aliases the including ruleset defines) is linted as included by the entry
files (``ruleset.rules``) of its own and its sibling folders that reach it, when
there are any: its diagnostics are those it has in each of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.ast import Rollup, Ruleset
from checker.diagnostics import Diagnostic, Lang, Location, severity_word
from checker.files import InputFileError, read_input
from checker.resolve import load_ruleset, sort_diagnostics
from checker.rulefiles import Unreadable, rules_below, unreadable_diagnostics
from checker.syntax import parse_file
from checker.template import Template, load_template

WINDOW = 100  # display columns of source shown around a caret on very long lines


@dataclass
class LintResult:
    """What ``lint`` found: diagnostics, the files read and the rules resolved."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rules: int = 0  # resolved rules (a column template counts once per column)

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity == "warning" for d in self.diagnostics)


def _expand(path: Path, unreadable: Unreadable | None = None) -> list[Path]:
    if path.is_dir():
        return rules_below(path, unreadable)
    return [path]


def unusable_paths(paths: Sequence[str | Path]) -> list[Diagnostic]:
    """Arguments that name no rule file at all (missing, or a folder without ``*.rules``)."""
    out: list[Diagnostic] = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            out.append(Diagnostic("rules.io.not-found", Location(str(p)), {"path": str(p)}))
        elif p.is_dir() and not _expand(p):
            out.append(Diagnostic("rules.io.no-rule-files", Location(str(p)), {"path": str(p)}))
    return out


def _template_of(root: Path, given: Template | None) -> Template:
    """The template a ruleset is linted against: the one given, else the template whose
    bundled ruleset folder (schema ``x-ruleset``) holds the file, else the default."""
    if given is not None:
        return given
    from checker.documents.registry import template_of_rules

    found = template_of_rules(root)
    return load_template(str(found.schema_file) if found is not None else None)


def lint(paths: Sequence[str | Path], template: Template | None = None) -> LintResult:
    """Lint rule files and folders: every diagnostic of every ruleset found, each ruleset
    against its template (``template``, else the one whose ruleset folder holds it)."""
    result = LintResult()
    files: list[Path] = []
    for raw in paths:
        p = Path(raw)
        unreadable: Unreadable = []
        expanded = _expand(p, unreadable)
        result.diagnostics.extend(unreadable_diagnostics(unreadable))
        if p.is_dir() and not expanded and not unreadable:
            result.diagnostics.append(
                Diagnostic("rules.io.no-rule-files", Location(str(p)), {"path": str(p)})
            )
        files.extend(expanded)
    keys = {_key(f): f for f in files}
    # who includes whom (among the given files)
    parsed: dict[str, Ruleset] = {}
    included: set[str] = set()
    for key, f in keys.items():
        if f.is_file():
            ruleset, _ = parse_file(f)
            parsed[key] = ruleset
            for inc in ruleset.includes:
                target = Path(inc.path)
                if not target.is_absolute():
                    target = f.parent / target
                if _key(target) != key:
                    included.add(_key(target))
    roots = [f for k, f in keys.items() if k not in included or k not in parsed]
    reached: set[str] = set()
    for root in roots:
        entries = _includers(root) if _declares_no_ruleset(parsed.get(_key(root))) else []
        if entries:
            reached |= _through(root, entries, set(keys), template, result)
            continue
        ruleset, diagnostics = load_ruleset([root], _template_of(root, template))
        result.diagnostics.extend(diagnostics)
        result.rules += len(ruleset.rules)
        reached |= _reach(root, parsed)
    # files only reachable through an include cycle: lint each cycle from one of its files
    for key, f in keys.items():
        if key not in reached:
            ruleset, diagnostics = load_ruleset([f], _template_of(f, template))
            result.diagnostics.extend(diagnostics)
            result.rules += len(ruleset.rules)
            reached |= _reach(f, parsed)
            roots.append(f)
    # files beside a ruleset.rules that it does not reach
    for root in roots:
        if root.name == "ruleset.rules":
            continue
        entry = root.parent / "ruleset.rules"
        if _key(entry) in keys:
            result.diagnostics.append(
                Diagnostic(
                    "rules.resolve.orphan-file",
                    Location(str(root)),
                    {"path": root.name},
                    "warning",
                )
            )
    result.files = [str(f) for f in files]
    result.diagnostics = sort_diagnostics(_dedupe(result.diagnostics))
    return result


def _declares_no_ruleset(ruleset: Ruleset | None) -> bool:
    return ruleset is not None and ruleset.name is None


def _includers(root: Path) -> list[Path]:
    """The entry files (``ruleset.rules``) of ``root``'s folder, its parent folder and
    its sibling folders whose includes reach ``root``."""
    key = _key(root)
    folder = root.parent
    candidates = [folder / "ruleset.rules", folder.parent / "ruleset.rules"]
    with contextlib.suppress(OSError):
        candidates += sorted(
            d / "ruleset.rules" for d in folder.parent.iterdir() if d.is_dir() and d != folder
        )
    parsed: dict[str, Ruleset] = {}
    found = []
    for entry in candidates:
        if entry.is_file() and _key(entry) != key and key in _reach(entry, parsed):
            found.append(entry)
    return found


def _reach(entry: Path, parsed: dict[str, Ruleset]) -> set[str]:
    """The files ``entry``'s includes reach, parsing each once (``parsed``: a memo)."""
    seen: set[str] = set()
    stack = [entry]
    while stack:
        f = stack.pop()
        key = _key(f)
        if key in seen or not f.is_file():
            continue
        seen.add(key)
        if key not in parsed:
            try:
                parsed[key] = parse_file(f)[0]
            except (OSError, InputFileError):
                continue
        for inc in parsed[key].includes:
            target = Path(inc.path)
            stack.append(target if target.is_absolute() else f.parent / target)
    return seen


def _through(
    root: Path,
    entries: list[Path],
    given: set[str],
    template: Template | None,
    result: LintResult,
) -> set[str]:
    """Lint ``root`` (and the given files it includes) as included by each of
    ``entries``: the diagnostics in the given files or about including one (an include
    refused, e.g. outside the entry's folder, is not a silent pass), the rules written
    there (once, however many entries include them), and a note naming the entries. The
    given files reached are returned."""
    reached: set[str] = set()
    rules: set[tuple[str, int, int, str]] = set()
    for entry in entries:
        ruleset, diagnostics = load_ruleset([entry], _template_of(entry, template))
        result.diagnostics.extend(d for d in diagnostics if _about(d, given))
        rules |= {
            (_key(Path(r.meta.span.file)), r.meta.span.line, r.meta.span.column, r.meta.id)
            for r in ruleset.rules
            if _key(Path(r.meta.span.file)) in given
        }
        reached |= _reach(entry, {}) & given
    result.rules += len(rules)
    result.diagnostics.append(
        Diagnostic(
            "rules.lint.through",
            Location(str(root)),
            {"path": root.name, "entries": ", ".join(str(e) for e in entries)},
            "info",
        )
    )
    return reached


def _about(diagnostic: Diagnostic, given: set[str]) -> bool:
    """Is the diagnostic in one of the ``given`` files, or about including one?"""
    if _key(Path(diagnostic.location.file)) in given:
        return True
    path = diagnostic.args.get("path")
    return (
        diagnostic.code.startswith("rules.") and isinstance(path, str) and _key(Path(path)) in given
    )


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return os.path.abspath(path)


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for d in diagnostics:
        key = (d.code, d.location, d.severity, str(sorted(d.args.items(), key=lambda kv: kv[0])))
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# --------------------------------------------------------------------------- rendering


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class SourceCache:
    """Source lines of rule files (``*.rules``), read on demand for the caret display
    (never fails)."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str] | None] = {}

    def line(self, file: str, number: int) -> str | None:
        if file not in self._lines:
            self._lines[file] = None
            # only a rule file's lines are ever shown (never /etc/passwd's, whatever points
            # at it), and only a regular file under the size limit is read
            if file.endswith(".rules"):
                with contextlib.suppress(InputFileError):
                    text = read_input(file).decode("utf-8-sig", errors="replace")
                    self._lines[file] = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines = self._lines[file]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def render_text(result: LintResult, lang: Lang = "zh", sources: SourceCache | None = None) -> str:
    """rustc-style text: ``file:line:col: 错误: message``, the line, a caret, the hint."""
    sources = sources or SourceCache()
    out: list[str] = []
    for d in result.diagnostics:
        out.append(render_diagnostic(d, lang, sources))
    out.append(summary(result, lang))
    return "\n".join(out) + "\n"


def render_diagnostic(d: Diagnostic, lang: Lang, sources: SourceCache) -> str:
    """One diagnostic with its source line and caret."""
    loc = d.location
    lines = [f"{loc}: {severity_word(d.severity, lang)}: {d.message(lang)}"]
    if loc.line is not None:
        source = sources.line(loc.file, loc.line)
        if source is not None:
            lines.extend(_snippet(source, loc))
    hint = d.hint_message(lang)
    if hint is not None:
        label = "提示" if lang == "zh" else "help"
        lines.append(f"  = {label}: {hint}")
    return "\n".join(lines)


def _snippet(source: str, loc: Location) -> list[str]:
    col = max(1, loc.column or 1)
    if loc.end_line == loc.line and loc.end_column:
        length = max(1, loc.end_column - col)
    else:
        length = max(1, len(source.rstrip()) - (col - 1))
    begin, end = 0, len(source)
    if len(source) > 2 * WINDOW:  # a very long line: a window around the caret
        begin = max(0, col - 1 - WINDOW // 2)
        end = min(len(source), begin + WINDOW)
        length = max(1, min(length, end - (col - 1)))
    lead = "…" if begin > 0 else ""
    tail = "…" if end < len(source) else ""

    def show(text: str) -> str:
        return text.replace("\t", "    ")

    text = lead + show(source[begin:end]) + tail
    before = show(source[begin : col - 1])
    marked = show(source[col - 1 : col - 1 + length])
    caret = " " * (_width(lead) + _width(before)) + "^" * max(1, _width(marked))
    number = str(loc.line)
    gutter = " " * len(number)
    return [f"{gutter} |", f"{number} | {text.rstrip()}", f"{gutter} | {caret}"]


def summary(result: LintResult, lang: Lang = "zh") -> str:
    """The last line: files, rules, errors, warnings."""
    files, rules, errors, warnings = (
        len(result.files),
        result.rules,
        result.errors,
        result.warnings,
    )
    if lang == "en":
        return (
            f"{files} file{'s' if files != 1 else ''}, {rules} rule{'s' if rules != 1 else ''}: "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
    return f"{files} 个文件，{rules} 条规则：{errors} 个错误，{warnings} 个警告"


def render_json(result: LintResult, lang: Lang = "zh", sources: SourceCache | None = None) -> str:
    """Machine-readable diagnostics (each with its source line) and the summary."""
    sources = sources or SourceCache()
    items = []
    for d in result.diagnostics:
        item = d.to_dict(lang)
        if d.location.line is not None:
            line = sources.line(d.location.file, d.location.line)
            if line is not None:
                item["source"] = line if len(line) <= 2 * WINDOW else line[: 2 * WINDOW] + "…"
        items.append(item)
    payload = {
        "diagnostics": items,
        "summary": {
            "files": len(result.files),
            "rules": result.rules,
            "errors": result.errors,
            "warnings": result.warnings,
        },
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def count_rules(ruleset: Ruleset) -> tuple[int, int]:
    """(rules, rollups) of a resolved ruleset."""
    rollups = sum(isinstance(r, Rollup) for r in ruleset.rules)
    return len(ruleset.rules) - rollups, rollups
