"""Source positions for the CI formats: a finding's JSON pointer and the line it sits on in
its document file, the rule's text and a path as a SARIF/GitHub file reference.

The loader keeps no line numbers for cells, so :func:`pointer_lines` scans a document
file once (a regex tokenizer, not a parser) and maps every JSON pointer to the line its
value starts on; only documents that have something to annotate are scanned.
"""

from __future__ import annotations

import os
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from checker import pointers
from checker.diagnostics import Lang
from checker.report.messages import source_label

# strings, punctuation, newlines, and runs of anything else (numbers, true/false/null)
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[{}\[\],:\n]|[^\s{}\[\],:"]+')


def _key(token: str) -> str:
    import orjson

    return pointers.escape(str(orjson.loads(token)))


def pointer_lines(text: str) -> dict[str, int]:
    """Every JSON pointer of a JSON text → the 1-based line its value starts on.

    Malformed input yields what was mapped before the problem (no exception).
    """
    lines: dict[str, int] = {}
    line = 1
    path: list[str] = []
    # per open container: [is_object, index (arrays), awaiting a key (objects)]
    stack: list[list[Any]] = []
    try:
        for match in _TOKEN.finditer(text):
            token = match.group()
            if token == "\n":
                line += 1
            elif token == ":":
                continue
            elif token == ",":
                top = stack[-1]
                if top[0]:
                    path.pop()
                    top[2] = True
                else:
                    top[1] += 1
                    path[-1] = str(top[1])
            elif token in "}]":
                top = stack.pop()
                if not top[0] or not top[2]:
                    path.pop()
            elif stack and stack[-1][0] and stack[-1][2]:
                path.append(_key(token))
                stack[-1][2] = False
            else:
                lines.setdefault("".join("/" + p for p in path), line)
                if token == "{":
                    stack.append([True, 0, True])
                elif token == "[":
                    stack.append([False, 0, False])
                    path.append("0")
    except (IndexError, ValueError):
        pass
    return lines


class DocumentLines:
    """Lines of findings in their document files, each file scanned at most once."""

    def __init__(self) -> None:
        self._files: dict[str, dict[str, int]] = {}

    def line(self, row: dict[str, Any], where: str | None) -> int | None:
        """The line of ``where`` (a JSON pointer) in the row's document file.

        NDJSON documents have one line each: that line. Unreadable files: None.
        """
        if row.get("document_line") is not None:
            return int(row["document_line"])
        path = row.get("path")
        if not path or where is None:
            return None
        if path not in self._files:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            self._files[path] = pointer_lines(text)
        lines = self._files[path]
        # a missing cell: the nearest pointer that exists (its row, its table …)
        while where not in lines and where:
            where = where.rsplit("/", 1)[0]
        return lines.get(where)


def finding_pointer(row: dict[str, Any]) -> str | None:
    """Where a result points in its document: its row (and column) of the rule's table,
    else its first cell with a pointer."""
    table, at = row.get("rule_table"), row.get("row")
    if table is not None and at is not None:
        return pointers.cell(table, at, row.get("column"))
    for cell in row.get("cells") or []:
        found = pointers.cell(cell["table"], cell["row"], cell["column"])
        if found is not None:
            return found
    return None


@cache
def _file_lines(path: str) -> tuple[str, ...]:
    try:
        return tuple(Path(path).read_text(encoding="utf-8").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def rule_text(path: str | None, line: int | None, end_line: int | None = None) -> str | None:
    """The rule's lines as written in its file (``line`` … ``end_line``, 1-based)."""
    if not path or not line:
        return None
    lines = _file_lines(path)
    chosen = lines[line - 1 : max(line, end_line or line)]
    return "\n".join(chosen).strip("\n") or None


def display_path(path: str) -> str:
    """A path relative to the working directory when it lies below it, with ``/``."""
    return _display(path, os.getcwd())


@lru_cache(maxsize=4096)
def _display(path: str, cwd: str) -> str:
    """:func:`display_path` from ``cwd`` (a report names the same files thousands of
    times: 12,000 findings spent half the JSON report's time resolving two paths)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return Path(path).as_posix()
    if Path(path).is_absolute() and relative.startswith(".."):
        return Path(path).as_posix()
    return Path(relative).as_posix()


def file_uri(path: str) -> str:
    """A SARIF artifact URI: the relative path percent-encoded, or a ``file:`` URI."""
    shown = display_path(path)
    if Path(shown).is_absolute():
        return Path(shown).as_uri()
    return quote(shown, safe="/")


def rule_place(file: str | None, line: int | None) -> str:
    """A rule's ``file:line`` as a reader finds it: relative to the shipped rulesets folder
    (``部门预算/单位.rules:32``) for a bundled rule, else to the working directory."""
    if not file:
        return f"?:{line}"
    return f"{_rule_file(file, os.getcwd())}:{line}"


@lru_cache(maxsize=1024)
def _rule_file(file: str, cwd: str) -> str:
    """A rule file as :func:`rule_place` shows it, from ``cwd``."""
    from checker.resources import rulesets_dir

    try:
        return Path(file).resolve().relative_to(rulesets_dir().resolve()).as_posix()
    except ValueError:
        return display_path(file)


def place(row: dict[str, Any], lang: Lang) -> str:
    """Where a result is in its document: table, the row by its key (code, name) and its
    index (0-based, as in the JSON pointer, ``explain --row`` and waivers: one numbering),
    the column, and where that was published (``a.pdf p. 14``) when known."""
    table, at, column = row.get("rule_table"), row.get("row"), row.get("column")
    text = ""
    group = row.get("group")
    if table is not None and group is not None:  # a per-group rule: the group, from its row
        if lang == "zh":
            text = f"{table} 组 [{group}]（自行 {at} 起）"
        else:
            text = f"{table} group [{group}] (from row {at})"
    elif table is not None and at is not None:
        key = row.get("row_key")
        named = f" [{key}]" if key else ""
        text = f"{table}{named} 行 {at}" if lang == "zh" else f"{table}{named} row {at}"
    if column:
        text += f" [{column}]"
    published = source_label(row.get("source"), lang)
    if published:
        text += f"  ({published})"
    return text.strip()


def published_path(document_path: str | None, source: dict[str, Any]) -> str | None:
    """The published file a place names, as a path: the part of the document's own
    argument (``a.pdf+b.pdf``, checked on the fly) with that name, else a file of that
    name beside the document, else the bare name."""
    name = source.get("file")
    if not name:
        return document_path
    if document_path:
        parts = [document_path, *document_path.split("+")]
        for part in parts:
            if Path(part).name == name:
                return part
        beside = Path(document_path).parent / name
        if beside.is_file():
            return str(beside)
    return str(name)


def published_location(
    document_path: str | None, source: dict[str, Any] | None
) -> dict[str, Any] | None:
    """A SARIF physical location of a published place: a text line as a region; a PDF page
    as the RFC 8118 fragment ``#page=N`` with the page and box as properties (SARIF regions
    have no pages)."""
    if not source or (source.get("page") is None and source.get("line") is None):
        return None
    path = published_path(document_path, source)
    if path is None:
        return None
    uri = file_uri(path)
    if source.get("page") is not None:
        properties = {"page": source["page"]}
        if source.get("bbox") is not None:
            properties["bbox"] = list(source["bbox"])
        return {
            "artifactLocation": {"uri": f"{uri}#page={source['page']}"},
            "properties": properties,
        }
    return {"artifactLocation": {"uri": uri}, "region": {"startLine": source["line"]}}


def imported_on_the_fly(path: str | None) -> bool:
    """Whether a document was checked straight from its published files (not from JSON)."""
    return bool(path) and all(
        p.lower().endswith((".pdf", ".txt")) for p in str(path).split("+") if p
    )
