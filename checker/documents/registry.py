"""The templates rulecheck knows: each a schema in ``schemas/`` naming its template
(``x-template``) and its bundled ruleset (``x-ruleset``, a folder of ``rulesets/``).

A run given no ``--schema`` takes the template of its first document (``meta.template``
of a JSON document, the template an import recognises for a PDF or text dump); every
other document is held to that template, and one of another known template is refused
with a message that names both (see :func:`other_template`), never validated table by
table against the wrong schema.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from checker.diagnostics import Diagnostic, Location, register
from checker.resources import data_dir

register(
    {
        "doc.other-template": (
            "文档属于模板 {found}，本次检查的是模板 {expected}：请分开检查，或用 --schema 指定",
            "the document is of template {found}, this run checks template {expected}: check"
            " it in a run of its own, or give --schema",
        ),
    }
)


@dataclass(frozen=True)
class KnownTemplate:
    """One template: its name, schema file and bundled ruleset folder name."""

    name: str
    schema_file: Path
    ruleset: str | None


@cache
def known_templates() -> tuple[KnownTemplate, ...]:
    """Every shipped schema that names a template, by file name."""
    found = []
    for path in sorted(data_dir("schemas").glob("*.schema.json")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        name = schema.get("x-template")
        if isinstance(name, str):
            found.append(KnownTemplate(name, path, schema.get("x-ruleset")))
    return tuple(found)


def find_template(name: str | None) -> KnownTemplate | None:
    """The known template of that name."""
    return next((t for t in known_templates() if t.name == name), None)


def other_template(meta: Any, expected: str, file: str, line: int | None) -> Diagnostic | None:
    """A refusal when a document names another known template than the run's (itself a
    known one)."""
    found = meta.get("template") if isinstance(meta, dict) else None
    if not isinstance(found, str) or found == expected:
        return None
    if find_template(found) is None or find_template(expected) is None:
        return None  # free-form names, or a schema of the user's own: validation decides
    args = {"found": found, "expected": expected}
    return Diagnostic("doc.other-template", Location(file, line), args)


_TEMPLATE = re.compile(rb'"template"\s*:\s*"((?:[^"\\]|\\.)*)"')
_PEEK = 1 << 16  # meta comes first in a document: its first 64 KiB name the template


def first_template(paths: list[str]) -> KnownTemplate | None:
    """The known template of the first document under ``paths`` (None: unknown, stdin)."""
    from checker.documents.sources import iter_sources

    for source in iter_sources(paths):
        if source.path is None:
            return None
        if source.mode == "import":
            from checker.documents.importer import recognised_template

            return find_template(recognised_template(source.name))
        from checker.files import InputFileError, open_input

        # a columnar document's meta.json names it
        path = source.path / "meta.json" if source.mode == "columnar" else source.path
        try:  # a FIFO or a device is not waited on (reading reports it)
            with open_input(path, sys.maxsize) as handle:
                head = handle.read(_PEEK)
        except (InputFileError, OSError):
            return None
        match = _TEMPLATE.search(head)
        if match is None:
            return None
        try:
            return find_template(json.loads(b'"' + match.group(1) + b'"'))
        except ValueError:
            return None
    return None


def template_of_rules(path: str | Path) -> KnownTemplate | None:
    """The template whose bundled ruleset folder (``x-ruleset``) holds the rule file or
    folder at ``path`` (None: a ruleset of the user's own)."""
    folders = {t.ruleset: t for t in known_templates() if t.ruleset}
    here = Path(path).resolve()
    for parent in (here, *here.parents):
        if parent.name in folders:
            return folders[parent.name]
    return None
