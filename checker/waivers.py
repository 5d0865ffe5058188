"""Waivers: reviewed findings that stop failing a run, with who decided it and until when.

A waiver file is TOML, one ``[[waiver]]`` table per finding::

    [[waiver]]
    document = "000_afa05cab7739910b"   # document id (meta.id, else the file name) or path
    rule = "JJ-40"                      # rule id as reported (JJ-10[合计] for a column copy)
    key = "30108 50501"                 # the row's key (x-key columns); omit for a document rule
    justification = "批注：表七 301 06 为 30108 之误，已函告单位"
    author = "张三"
    expires = 2027-03-31                # a TOML date, unquoted

A finding's **fingerprint** is (document id, rule id, row key): the JSON
report prints it with every result, ready to copy, and ``rulecheck waive``
writes it. The row key (:mod:`checker.rowkeys`) is the row's content, so a
waiver follows its row when rows are inserted above it. A row with no key
(its key columns all empty) is named by its 0-based index, ``row = 21``; a
waiver may still name any row so (the older form), and is then warned
(``waiver.row-index``) with the key to write instead. A path in ``document``
is relative to the waiver file's folder.

Waivers are joined with the results frame on the fingerprint (one join per
form, no loop over results). A matched ``fail``/``error`` keeps its status and gets
``waived`` = true plus the waiver's justification, author, expiry and
file:line; it no longer counts toward the exit code. Two more outcomes, for
waivers whose document was checked:

* ``waiver.expired`` (an error): ``expires`` is before today. It waives
  nothing, and it fails the run like a finding until it is renewed or deleted.
* ``waiver.unused`` (a warning): it matched no fail/error result (the finding
  is fixed, its row was removed or renamed, or the fingerprint is mistyped);
  for a key, the closest keys of that rule's findings in the document.

A waiver file that cannot be used (TOML syntax, a missing or empty field, a
bad date) is reported with file:line and exits 3, like a bad rule file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register
from checker.nesting import too_deep, too_deep_diagnostic
from checker.rowkeys import ROW_KEY

TODAY_ENV: Final = "RULECHECK_TODAY"  # YYYY-MM-DD: the date expiry is judged against (tests)
FINDING_STATUSES: Final = ("fail", "error")  # what a waiver can waive

# Columns a checked results frame carries (null / false where nothing is waived).
WAIVER_COLUMNS: Final[dict[str, pl.DataType]] = {
    "waived": pl.Boolean(),
    "waiver_justification": pl.Utf8(),
    "waiver_author": pl.Utf8(),
    "waiver_expires": pl.Date(),
    "waiver_location": pl.Utf8(),
}

_REQUIRED: Final = ("document", "rule", "justification", "author", "expires")
_FIELDS: Final = (*_REQUIRED, "key", "row")
_HEADER = re.compile(r"^\s*\[\[\s*waiver\s*\]\]")
_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")

register(
    {
        "waiver.read-error": ("无法读取豁免文件：{error}", "cannot read the waiver file: {error}"),
        "waiver.syntax": (
            "豁免文件不是有效的 TOML：{detail}",
            "the waiver file is not valid TOML: {detail}",
        ),
        "waiver.hint.date": (
            "日期写作 YYYY-MM-DD、不加引号，如 expires = 2027-03-31",
            "a date is YYYY-MM-DD, unquoted: expires = 2027-03-31",
        ),
        "waiver.top-level": (
            "豁免文件只能包含 [[waiver]] 条目，不认识 “{key}”",
            "a waiver file holds only [[waiver]] tables, not “{key}”",
        ),
        "waiver.not-tables": (
            "waiver 应写作 [[waiver]] 表数组",
            "waiver must be an array of tables: [[waiver]]",
        ),
        "waiver.unknown-field": (
            "豁免条目中不认识的字段 “{key}”",
            "unknown field “{key}” in a waiver",
        ),
        "waiver.hint.did-you-mean": ("是不是 {name}？", "did you mean {name}?"),
        "waiver.hint.fields": (
            "字段：document、rule、key 或 row（可省略）、justification、author、expires",
            "fields: document, rule, key or row (optional), justification, author, expires",
        ),
        "waiver.key-and-row": (
            "豁免条目只能用 key 或 row 之一指定行，不能同时给出",
            "a waiver names its row by key or by row, not both",
        ),
        "waiver.row-index": (
            "豁免以行号指定行（{fingerprint}），在其上方插入或删除行后会指向别的行；"
            "请改用行键：key = {key}",
            "this waiver names its row by index ({fingerprint}): a row inserted or removed "
            "above moves it onto another row; name it by key instead: key = {key}",
        ),
        "waiver.hint.key-near": (
            "该文档中规则 {rule} 的结果没有行键 {key}；是不是 {names}？",
            "no finding of {rule} in this document has the key {key}; did you mean {names}?",
        ),
        "waiver.hint.key-gone": (
            "该文档中规则 {rule} 的结果没有行键 {key}（该行已删除、改名，或已更正）",
            "no finding of {rule} in this document has the key {key} "
            "(the row was removed or renamed, or the finding is fixed)",
        ),
        "waiver.missing-field": (
            "豁免条目缺少必填字段 “{key}”",
            "a waiver lacks the required field “{key}”",
        ),
        "waiver.empty-field": ("字段 “{key}” 不能为空", "field “{key}” must not be empty"),
        "waiver.not-text": (
            "字段 “{key}” 应为带引号的文本，实际为 {value}",
            "field “{key}” must be quoted text, not {value}",
        ),
        "waiver.bad-row": (
            "row 应为从 0 开始的行号（JSON 报告中的 row），实际为 {value}",
            "row must be the report's 0-based row number, not {value}",
        ),
        "waiver.bad-date": (
            "expires 应为 TOML 日期（如 expires = 2027-03-31，不加引号），实际为 {value}",
            "expires must be a TOML date (expires = 2027-03-31, unquoted), not {value}",
        ),
        "waiver.duplicate": (
            "与第 {line} 行的豁免重复（同一文档、规则、行）",
            "the same finding as the waiver at line {line} (document, rule, row)",
        ),
        "waiver.empty-key": ("key 不能为空", "key must not be empty"),
        "waiver.expired": (
            "豁免已于 {expires} 过期，不再生效：{fingerprint}；请续期或删除",
            "waiver expired on {expires} and no longer applies: {fingerprint}; renew or delete it",
        ),
        "waiver.unused": (
            "豁免没有匹配任何不符或无法计算的结果：{fingerprint}",
            "waiver matches no fail or error result: {fingerprint}",
        ),
        "waiver.hint.not-run": (
            "规则 {rule} 没有运行（不在规则集中或未被选中）",
            "rule {rule} did not run (not in the ruleset, or not selected)",
        ),
        "waiver.hint.not-run-near": (
            "规则 {rule} 没有运行；是不是 {name}？",
            "rule {rule} did not run; did you mean {name}?",
        ),
        "waiver.bad-today": (
            "{source} 应为日期 YYYY-MM-DD，实际为 {value}",
            "{source} must be a date YYYY-MM-DD, not {value}",
        ),
    }
)


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes are TOML's)."""
    import json

    return json.dumps(text, ensure_ascii=False)


def fingerprint_text(
    document: str | None, rule: str, row: int | None, key: str | None = None
) -> str:
    """A fingerprint as a waiver writes it: ``document = "…", rule = "…", key = "…"``
    (or ``row = 21``)."""
    text = f"document = {toml_string(str(document))}, rule = {toml_string(rule)}"
    if key is not None:
        return f"{text}, key = {toml_string(key)}"
    return text if row is None else f"{text}, row = {row}"


@dataclass(frozen=True)
class Waiver:
    """One waiver: the fingerprint it matches and why, by whom, until when."""

    document: str
    rule: str
    row: int | None
    justification: str
    author: str
    expires: date
    file: str
    line: int
    key: str | None = None  # the row's key (checker.rowkeys); row is then None

    @property
    def location(self) -> Location:
        return Location(self.file, self.line)

    @property
    def fingerprint(self) -> str:
        return fingerprint_text(self.document, self.rule, self.row, self.key)

    def document_keys(self) -> list[str]:
        """What ``document`` may equal in a results row: an id, or a path in its usual forms."""
        given = self.document
        found = Path(self.file).parent / given
        absolute = os.path.abspath(found)
        keys = [given, os.path.normpath(given), absolute]
        with suppress(ValueError):  # another drive (Windows): no relative form
            keys.append(os.path.relpath(absolute))
        return list(dict.fromkeys(keys))


@dataclass(frozen=True)
class Waivers:
    """The waivers of one or more files, with the warnings found reading them."""

    entries: tuple[Waiver, ...] = ()
    files: tuple[str, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()


def load_waivers(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> Waivers:
    """Read waiver files. Raises :class:`RulecheckError` (exit 3) listing every problem."""
    chosen = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    entries: list[Waiver] = []
    errors: list[Diagnostic] = []
    for path in chosen:
        found, problems = _read(os.fspath(path))
        entries.extend(found)
        errors.extend(problems)
    if errors:
        raise RulecheckError(errors, ExitCode.INVALID_RULES)
    return Waivers(tuple(entries), tuple(os.fspath(p) for p in chosen), tuple(_duplicates(entries)))


def _read(path: str) -> tuple[list[Waiver], list[Diagnostic]]:
    from checker.files import InputFileError, read_input_text

    try:  # a regular file under --max-bytes (a FIFO or a device is refused)
        text = read_input_text(path)
    except InputFileError as exc:
        if exc.code != "input.unreadable":
            return [], [exc.diagnostic()]
        error = str(exc.details["reason"])
        return [], [Diagnostic("waiver.read-error", Location(path), {"error": error})]
    except UnicodeDecodeError as exc:
        return [], [Diagnostic("waiver.read-error", Location(path), {"error": str(exc)})]
    lines = text.splitlines()
    import tomllib  # only for a run with waivers

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [_syntax_error(path, str(exc), lines)]
    except RecursionError:  # nested past what the parser recurses: past the limit too
        return [], [too_deep_diagnostic(path)]
    if too_deep(data):
        return [], [too_deep_diagnostic(path)]
    problems: list[Diagnostic] = []
    for key in data:
        if key != "waiver":
            near = _near(key, ["waiver"])
            problems.append(_diag("waiver.top-level", path, _key_line(lines, key), key, near))
    tables = data.get("waiver", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        problems.append(Diagnostic("waiver.not-tables", Location(path, _key_line(lines, "waiver"))))
        return [], problems
    headers = [n for n, line in enumerate(lines, 1) if _HEADER.match(line)]
    if len(headers) != len(tables):  # an inline array: no per-entry lines to point at
        headers = [_key_line(lines, "waiver")] * len(tables)
    entries = []
    for index, table in enumerate(tables):
        start = headers[index]
        end = headers[index + 1] if index + 1 < len(headers) else len(lines) + 1
        waiver, found = _entry(table, path, lines, start, max(end, start + 1))
        problems.extend(found)
        if waiver is not None:
            entries.append(waiver)
    return entries, problems


def _entry(
    table: dict[str, Any], path: str, lines: list[str], start: int, end: int
) -> tuple[Waiver | None, list[Diagnostic]]:
    def at(key: str) -> int:
        return _key_line(lines, key, start, end) or start

    problems: list[Diagnostic] = []
    for key in table:
        if key not in _FIELDS:
            near = _near(key, _FIELDS)
            problems.append(_diag("waiver.unknown-field", path, at(key), key, near))
    values: dict[str, Any] = {}
    missing = [key for key in _REQUIRED if key not in table]
    for key in missing:  # the list of fields under the first one only
        hint = "waiver.hint.fields" if key == missing[0] else None
        problems.append(
            Diagnostic("waiver.missing-field", Location(path, start), {"key": key}, hint=hint)
        )
    for key in _REQUIRED:
        if key in missing:
            continue
        value = table[key]
        if key == "expires":
            if isinstance(value, datetime) or not isinstance(value, date):
                hint = "waiver.hint.date" if isinstance(value, str) else None
                args = {"value": _show(value)}
                problems.append(
                    Diagnostic("waiver.bad-date", Location(path, at(key)), args, hint=hint)
                )
        elif not isinstance(value, str):
            args = {"key": key, "value": _show(value)}
            problems.append(Diagnostic("waiver.not-text", Location(path, at(key)), args))
        elif not value.strip():
            problems.append(Diagnostic("waiver.empty-field", Location(path, at(key)), {"key": key}))
        else:
            value = value.strip()
        values[key] = value
    row = table.get("row")
    if row is not None and (isinstance(row, bool) or not isinstance(row, int) or row < 0):
        problems.append(
            Diagnostic("waiver.bad-row", Location(path, at("row")), {"value": _show(row)})
        )
    named = table.get("key")
    if named is not None:
        if not isinstance(named, str):
            args = {"key": "key", "value": _show(named)}
            problems.append(Diagnostic("waiver.not-text", Location(path, at("key")), args))
        elif not named.strip():
            problems.append(Diagnostic("waiver.empty-key", Location(path, at("key"))))
        elif row is not None:
            problems.append(Diagnostic("waiver.key-and-row", Location(path, at("row"))))
        else:
            named = named.strip()
    if problems:
        return None, problems
    waiver = Waiver(
        document=values["document"],
        rule=values["rule"],
        row=row,
        justification=values["justification"],
        author=values["author"],
        expires=values["expires"],
        file=path,
        line=start,
        key=named,
    )
    return waiver, []


def _syntax_error(path: str, message: str, lines: list[str]) -> Diagnostic:
    found = _TOML_AT.search(message)
    line, column = (int(found.group(1)), int(found.group(2))) if found else (len(lines) or 1, None)
    detail = _TOML_AT.sub("", message).strip()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    hint = "waiver.hint.date" if re.match(r"\s*expires\s*=", text) else None
    return Diagnostic("waiver.syntax", Location(path, line, column), {"detail": detail}, hint=hint)


def _key_line(lines: list[str], key: str, start: int = 1, end: int | None = None) -> int:
    """The first line in [start, end) that assigns ``key`` (or opens a table of it); 0 if none."""
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}\s*=|\[+\s*{re.escape(key)}\s*\])")
    stop = len(lines) + 1 if end is None else end
    for number in range(start, min(stop, len(lines) + 1)):
        if pattern.match(lines[number - 1]):
            return number
    return 0


def _near(key: str, names: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(key, list(names), n=1, cutoff=0.6)
    return found[0] if found else None


def _diag(code: str, path: str, line: int, key: str, near: str | None) -> Diagnostic:
    hint, hint_args = ("waiver.hint.did-you-mean", {"name": near}) if near else (None, {})
    if hint is None and code == "waiver.unknown-field":
        hint = "waiver.hint.fields"
    return Diagnostic(
        code, Location(path, line or None), {"key": key}, hint=hint, hint_args=hint_args
    )


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _duplicates(entries: Sequence[Waiver]) -> list[Diagnostic]:
    first: dict[tuple[str, str, int | None, str | None], Waiver] = {}
    found = []
    for waiver in entries:
        key = (waiver.document, waiver.rule, waiver.row, waiver.key)
        if key in first:
            found.append(
                Diagnostic(
                    "waiver.duplicate",
                    waiver.location,
                    {"line": first[key].line},
                    severity="warning",
                )
            )
        else:
            first[key] = waiver
    return found


def resolve_today(today: date | str | None = None) -> date:
    """``today`` as given (a date or YYYY-MM-DD), else ``$RULECHECK_TODAY``, else the clock."""
    source, value = (
        ("--today", today) if today is not None else (TODAY_ENV, os.environ.get(TODAY_ENV))
    )
    if value is None or value == "":
        return date.today()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        diag = Diagnostic(
            "waiver.bad-today", Location("rulecheck"), {"source": source, "value": value}
        )
        raise RulecheckError([diag], ExitCode.USAGE) from None


def _document_keys(frame: pl.DataFrame, index: str, *extra: str) -> pl.DataFrame:
    """A row per name of each row's document: its id, its path (as given, ``./`` dropped)."""
    forms = [pl.col(c) for c in ("id", "path") if c in frame.columns]
    if "path" in frame.columns:
        forms.append(pl.col("path").str.strip_prefix("./"))
    parts = [frame.select(index, form.cast(pl.Utf8).alias("key"), *extra) for form in forms]
    if not parts:
        return pl.DataFrame(schema={index: pl.UInt32, "key": pl.Utf8})
    return pl.concat(parts).drop_nulls("key").unique()


def _waivers_frame(waivers: Waivers, today: date) -> pl.DataFrame:
    rows = [
        (number, key, w.rule, w.row, w.key, w.expires < today)
        for number, w in enumerate(waivers.entries)
        for key in w.document_keys()
    ]
    return pl.DataFrame(
        rows,
        schema={
            "__w": pl.UInt32,
            "key": pl.Utf8,
            "rule": pl.Utf8,
            "row": pl.Int64,
            ROW_KEY: pl.Utf8,
            "expired": pl.Boolean,
        },
        orient="row",
    )


def _details_frame(waivers: Waivers) -> pl.DataFrame:
    entries = waivers.entries
    return pl.DataFrame(
        {
            "__w": list(range(len(entries))),
            "waiver_justification": [w.justification for w in entries],
            "waiver_author": [w.author for w in entries],
            "waiver_expires": [w.expires for w in entries],
            "waiver_location": [f"{w.file}:{w.line}" for w in entries],
        },
        schema={"__w": pl.UInt32, **{k: v for k, v in WAIVER_COLUMNS.items() if k != "waived"}},
    )


def apply_waivers(
    frame: pl.DataFrame,
    documents: pl.DataFrame,
    waivers: Waivers | None,
    *,
    today: date,
    rules_run: Collection[str] = (),
) -> tuple[pl.DataFrame, list[Diagnostic]]:
    """Mark waived findings in a results frame; the diagnostics about the waivers themselves.

    ``frame`` is :attr:`checker.evaluate.Results.frame` (with ``row_key``:
    :func:`checker.rowkeys.attach_row_keys`), ``documents`` the frame of the
    documents checked (``id``, ``path``). The result has the
    :data:`WAIVER_COLUMNS` added, rows in the same order.
    """
    if waivers is None or not waivers.entries:
        empty = [pl.lit(False).alias("waived")] + [
            pl.lit(None, dtype).alias(name)
            for name, dtype in WAIVER_COLUMNS.items()
            if name != "waived"
        ]
        return frame.with_columns(empty), list(waivers.warnings if waivers else ())
    table = _waivers_frame(waivers, today)
    indexed = frame.with_row_index("__i")
    keyed = pl.col(ROW_KEY) if ROW_KEY in frame.columns else pl.lit(None, pl.Utf8)
    findings = indexed.filter(pl.col("status").is_in(FINDING_STATUSES)).select(
        "__i", "id", "path", "rule", pl.col("row").cast(pl.Int64), keyed.alias(ROW_KEY)
    )
    named = _document_keys(findings, "__i", "rule", "row", ROW_KEY)
    by_key = table.filter(pl.col(ROW_KEY).is_not_null()).drop("row")
    by_row = table.filter(pl.col(ROW_KEY).is_null()).drop(ROW_KEY)
    hits = pl.concat(
        [
            named.join(by_key, on=["key", "rule", ROW_KEY], how="inner"),
            named.join(by_row, on=["key", "rule", "row"], how="inner", nulls_equal=True),
        ],
        how="diagonal_relaxed",
    )
    active = hits.filter(~pl.col("expired"))
    chosen = active.group_by("__i").agg(pl.col("__w").min())  # the first waiver listed wins
    marked = (
        indexed.join(chosen, on="__i", how="left", maintain_order="left")
        .join(_details_frame(waivers), on="__w", how="left", maintain_order="left")
        .with_columns(pl.col("__w").is_not_null().alias("waived"))
        .select(*frame.columns, *WAIVER_COLUMNS)
    )
    checked = _document_keys(documents.with_row_index("__d"), "__d")
    in_scope = set(table.join(checked, on="key", how="semi")["__w"].to_list())
    used = set(active["__w"].to_list())
    # an index waiver of a row that has a key: the key to write instead
    by_index = active.filter(pl.col(ROW_KEY).is_not_null()).join(by_row, on="__w", how="semi")
    keys = dict(by_index.group_by("__w").agg(pl.col(ROW_KEY).first()).iter_rows())
    # an unused key waiver: the keys of its rule's findings in its document
    offered = (
        by_key.join(named.drop_nulls(ROW_KEY), on=["key", "rule"], how="inner", suffix="_found")
        .group_by("__w")
        .agg(pl.col(f"{ROW_KEY}_found").unique().sort())
    )
    near = {number: list(found) for number, found in offered.iter_rows()}
    outcomes = _outcomes(waivers, today, in_scope, used, rules_run, keys, near)
    return marked, [*waivers.warnings, *outcomes]


def _outcomes(
    waivers: Waivers,
    today: date,
    in_scope: set[int],
    used: set[int],
    rules_run: Collection[str],
    keys: Mapping[int, str],
    near: Mapping[int, list[str]],
) -> list[Diagnostic]:
    """Expired, unused and index-keyed waivers among those whose document was checked."""
    found = []
    ran = set(rules_run)
    for number, waiver in enumerate(waivers.entries):
        if number not in in_scope:
            continue
        args = {"fingerprint": waiver.fingerprint, "expires": waiver.expires.isoformat()}
        if waiver.expires < today:
            found.append(Diagnostic("waiver.expired", waiver.location, args))
        elif number not in used:
            hint, hint_args = _unused_hint(waiver, ran, near.get(number, []))
            found.append(
                Diagnostic(
                    "waiver.unused",
                    waiver.location,
                    args,
                    severity="warning",
                    hint=hint,
                    hint_args=hint_args,
                )
            )
        if number in keys:
            found.append(
                Diagnostic(
                    "waiver.row-index",
                    waiver.location,
                    {"fingerprint": waiver.fingerprint, "key": toml_string(keys[number])},
                    severity="warning",
                )
            )
    return found


def _unused_hint(
    waiver: Waiver, ran: set[str], found: list[str]
) -> tuple[str | None, dict[str, Any]]:
    """Why an unused waiver matched nothing: its rule did not run, or its key is not found."""
    if ran and waiver.rule not in ran:
        near = _near(waiver.rule, ran)
        hint = "waiver.hint.not-run-near" if near else "waiver.hint.not-run"
        return hint, {"rule": waiver.rule, "name": near}
    if waiver.key is None:
        return None, {}
    args: dict[str, Any] = {"rule": waiver.rule, "key": toml_string(waiver.key)}
    closest = difflib.get_close_matches(waiver.key, found, n=3, cutoff=0.5)
    if not closest:
        return "waiver.hint.key-gone", args
    return "waiver.hint.key-near", {**args, "names": "、".join(map(toml_string, closest))}


__all__ = [
    "TODAY_ENV",
    "WAIVER_COLUMNS",
    "Waiver",
    "Waivers",
    "apply_waivers",
    "fingerprint_text",
    "load_waivers",
    "resolve_today",
    "toml_string",
]
