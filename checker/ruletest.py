"""Rule tests as data: the engine of ``rulecheck test`` (format: docs/rule-tests.md).

A case file (``*.cases.json``, kept beside the rule files or in their
``tests/`` folder) names a base document and a list of cases. A case edits a
copy of the base with JSON pointers (``remove``, then ``set``) and states the
outcome it expects for some rules (``expect``: rule id → ``pass``,
``rounding``, ``tolerated``, ``fail``, ``error`` or ``skipped``).

A rule's outcome in a document is the worst status over its results:
fail > error > tolerated > rounding > pass > skipped. A rule with no result at all in a
document (a per-row rule whose ``where`` selects no row, a roll-up with no
parent rows) has no outcome: expecting anything of it is reported as a
missing outcome.

All cases of a file are one batch: the edited documents are loaded together
(:func:`checker.documents.load_objects`) and checked once, with only the rules
the file names (a rule's outcome in a document does not depend on the other
rules or documents); expectations and outcomes are compared with one join.

Problems are :class:`Diagnostic` objects placed in the case file by JSON
pointer (``/cases/3/expect/SR-01``). Coverage: a rule has a passing case when
some case that holds expects ``pass``, ``rounding`` or ``tolerated`` of it, and a failing
case when one expects ``fail``.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import orjson
import polars as pl

from checker import pointers
from checker.api import check_batch
from checker.diagnostics import (
    Diagnostic,
    ExitCode,
    Lang,
    Location,
    RulecheckError,
    Severity,
    register,
)
from checker.documents import Batch, load_objects, load_schema, repeated_keys
from checker.files import InputFileError, read_input
from checker.nesting import too_deep, too_deep_diagnostic
from checker.resolve import rule_files
from checker.ruleset import Rules

__all__ = [
    "CASE_SUFFIX",
    "STATUSES",
    "Case",
    "CaseFile",
    "CaseResult",
    "Coverage",
    "SuiteResult",
    "apply_edits",
    "find_case_files",
    "read_case_file",
    "render_json",
    "render_text",
    "rule_outcomes",
    "run_case_file",
    "run_tests",
]

CASE_SUFFIX: Final = ".cases.json"
STATUSES: Final = ("pass", "rounding", "tolerated", "fail", "error", "skipped")
_RANK: Final = {"skipped": 0, "pass": 1, "rounding": 2, "tolerated": 3, "error": 4, "fail": 5}
_PASSING: Final = frozenset({"pass", "rounding", "tolerated"})
_FILE_KEYS: Final = ("base", "description", "cases")
_CASE_KEYS: Final = ("name", "description", "base", "remove", "set", "expect")

register(
    {
        "test.no-cases": (
            "{path} 旁没有测试用例文件（*.cases.json，也查找 tests/ 子目录）",
            "no case files (*.cases.json, also in tests/) beside {path}",
        ),
        "test.read-error": ("无法读取文件：{error}", "cannot read the file: {error}"),
        "test.json": ("不是合法的 JSON：{detail}", "not valid JSON: {detail}"),
        "test.duplicate-key": (
            '键 "{key}" 重复出现（只会保留最后一个）',
            'duplicate key "{key}" (only the last one would be kept)',
        ),
        "test.field-type": ("{field} 应为{expected_zh}", "{field} must be {expected_en}"),
        "test.field-missing": ("缺少 {field}", "{field} is missing"),
        "test.field-unknown": (
            "未知字段 {field}（可用：{allowed}）",
            "unknown field {field} (allowed: {allowed})",
        ),
        "test.duplicate-name": ('用例名 "{name}" 重复', 'duplicate case name "{name}"'),
        "test.empty-expect": (
            '用例 "{case}" 没有期望（expect 为空）',
            'case "{case}" expects nothing (empty expect)',
        ),
        "test.status": (
            '用例 "{case}"：{rule} 的期望 "{value}" 不是 pass、rounding、tolerated、fail、error、'
            "skipped 之一",
            'case "{case}": "{value}" expected of {rule} is not one of pass, rounding, '
            "tolerated, fail, error, skipped",
        ),
        "test.base-missing": ("找不到基准文档 {base}", "base document {base} not found"),
        "test.pointer": (
            '用例 "{case}"：指针 {pointer} 无效：{reason_zh}',
            'case "{case}": bad pointer {pointer}: {reason_en}',
        ),
        "test.unknown-rule": (
            '用例 "{case}"：规则集中没有规则 {rule}',
            'case "{case}": no rule {rule} in the ruleset',
        ),
        "test.unexpected": (
            '用例 "{case}"：{rule} 期望 {expected}，实际 {actual}',
            'case "{case}": {rule} expected {expected}, got {actual}',
        ),
        "test.missing": (
            '用例 "{case}"：{rule} 期望 {expected}，但该规则在这个文档上没有结果（未求值）',
            'case "{case}": {rule} expected {expected}, but the rule has no result on this '
            "document (never evaluated)",
        ),
        "test.no-pass-case": (
            "规则 {rule} 没有期望通过（pass/rounding/tolerated）且成立的用例",
            "rule {rule} has no passing case (pass/rounding/tolerated, holding)",
        ),
        "test.no-fail-case": (
            "规则 {rule} 没有期望失败（fail）且成立的用例",
            "rule {rule} has no failing case (fail, holding)",
        ),
    }
)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Case:
    """One case: edits to a copy of its base document, and the outcomes it expects."""

    file: str
    index: int  # position in the file's "cases"
    name: str
    base: Path
    remove: tuple[str, ...]
    set: tuple[tuple[str, Any], ...]
    expect: tuple[tuple[str, str], ...]  # (rule id, status)

    @property
    def place(self) -> str:
        """The case's JSON pointer in its file."""
        return f"/cases/{self.index}"

    @property
    def label(self) -> str:
        """The name its edited document goes by in diagnostics."""
        return f"{self.file}::{self.name}"


@dataclass(frozen=True)
class CaseFile:
    """A case file read: its usable cases (the unusable ones are reported by the reader)."""

    path: str
    base: Path
    cases: tuple[Case, ...]
    total: int  # cases in the file, usable or not


@dataclass(frozen=True)
class CaseResult:
    """What became of one case: each named rule's outcome, and what did not hold."""

    case: Case
    outcomes: tuple[tuple[str, str | None], ...]  # (rule id, outcome or None: no result)
    problems: tuple[Diagnostic, ...]
    broken: bool = False  # no document to check (bad pointer, invalid document): see diagnostics

    @property
    def holds(self) -> bool:
        return not self.problems and not self.broken


@dataclass(frozen=True)
class Coverage:
    """Which rules have a passing and a failing case that holds."""

    rules: int
    without_pass: tuple[str, ...]
    without_fail: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.without_pass and not self.without_fail


@dataclass(frozen=True)
class SuiteResult:
    """Every case file run: results per case, unusable inputs, coverage."""

    files: tuple[CaseFile, ...]
    results: tuple[CaseResult, ...]
    diagnostics: tuple[Diagnostic, ...]  # case files, bases and case documents not usable
    coverage: Coverage
    gaps: tuple[Diagnostic, ...]  # one per rule without a passing or failing case
    require_coverage: bool = False  # gaps are errors (exit 1), not warnings

    @property
    def cases(self) -> int:
        return sum(f.total for f in self.files)

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.holds]

    def exit_code(self) -> ExitCode:
        """4 for unusable case files or documents, 1 for a case that does not hold
        (or, when coverage is required, a rule without both kinds of case), else 0."""
        if self.diagnostics or len(self.results) < self.cases:
            return ExitCode.INVALID_DOCUMENT
        if self.failed or (self.require_coverage and not self.coverage.complete):
            return ExitCode.FINDINGS
        return ExitCode.CLEAN


# --------------------------------------------------------------------------- finding


def find_case_files(paths: Sequence[str | os.PathLike[str]], rules: Rules) -> list[Path]:
    """Case files beside the rules: ``X.cases.json`` or ``tests/X.cases.json`` for each
    rule file ``X.rules`` loaded (given or included), and every ``*.cases.json`` in a
    given folder and its ``tests/``."""
    found: dict[str, Path] = {}

    def add(path: Path) -> None:
        if path.exists() and not path.is_dir():  # a FIFO or a device: refused when read
            found.setdefault(os.path.abspath(path), path)

    sources = [q for p in paths for q in rule_files(Path(p))]
    sources += [Path(r.span.file) for r in rules.ruleset.rules]
    for source in sources:
        stem = source.name.removesuffix(".rules")
        add(source.parent / f"{stem}{CASE_SUFFIX}")
        add(source.parent / "tests" / f"{stem}{CASE_SUFFIX}")
    for given in map(Path, paths):
        if given.is_dir():
            for folder in (given, given / "tests"):
                for path in sorted(folder.glob(f"*{CASE_SUFFIX}")):
                    add(path)
    return sorted(found.values(), key=lambda p: p.as_posix())


# --------------------------------------------------------------------------- reading


def _type_error(file: str, pointer: str, field: str, zh: str, en: str) -> Diagnostic:
    args = {"field": field, "expected_zh": zh, "expected_en": en}
    return Diagnostic("test.field-type", Location(file, pointer=pointer), args)


def _unknown_keys(
    obj: dict[str, Any], allowed: Sequence[str], file: str, place: str
) -> list[Diagnostic]:
    out = []
    for key in obj:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
            out.append(
                Diagnostic(
                    "test.field-unknown",
                    Location(file, pointer=place + pointers.build(key)),
                    {"field": key, "allowed": ", ".join(allowed)},
                    hint="hint.did-you-mean" if near else None,
                    hint_args={"name": near[0]} if near else {},
                )
            )
    return out


class _Duplicates(dict[str, Any]):
    """An object that remembers its repeated keys."""

    repeated: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> _Duplicates:
    obj = _Duplicates(pairs)
    obj.repeated = repeated_keys(pairs) if len(obj) < len(pairs) else []
    return obj


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


def _duplicates(node: Any, place: str, file: str) -> Iterable[Diagnostic]:
    if isinstance(node, _Duplicates):
        for key in node.repeated:
            where = Location(file, pointer=place + pointers.build(key))
            yield Diagnostic("test.duplicate-key", where, {"key": key})
        for key, value in node.items():
            yield from _duplicates(value, place + pointers.build(key), file)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _duplicates(value, f"{place}/{i}", file)


def read_case_file(path: str | os.PathLike[str]) -> tuple[CaseFile | None, list[Diagnostic]]:
    """Read and check a case file; ``(None, diagnostics)`` when it cannot be used at all.

    Cases with a problem (a wrong field, a status that is not one) are left
    out and reported; the others are kept.
    """
    file = str(path)
    try:  # a regular file under --max-bytes (a FIFO or a device is refused)
        text = read_input(path).decode("utf-8")
    except InputFileError as exc:
        if exc.code != "input.unreadable":
            return None, [exc.diagnostic()]
        error = str(exc.details["reason"])
        return None, [Diagnostic("test.read-error", Location(file), {"error": error})]
    except UnicodeDecodeError as exc:
        return None, [Diagnostic("test.read-error", Location(file), {"error": str(exc)})]
    try:
        raw = json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        where = Location(file, exc.lineno, exc.colno)
        return None, [Diagnostic("test.json", where, {"detail": exc.msg})]
    except ValueError as exc:
        return None, [Diagnostic("test.json", Location(file), {"detail": str(exc)})]
    except RecursionError:  # nested past what the parser recurses: past the limit too
        return None, [too_deep_diagnostic(file)]
    if too_deep(raw):
        return None, [too_deep_diagnostic(file)]
    problems = list(_duplicates(raw, "", file))
    if problems:
        return None, problems
    if not isinstance(raw, dict):
        return None, [_type_error(file, "", "文件 / the file", "一个 JSON 对象", "a JSON object")]
    problems = _unknown_keys(raw, _FILE_KEYS, file, "")
    base, cases = raw.get("base"), raw.get("cases")
    for key, value, kind in (("base", base, str), ("cases", cases, list)):
        if value is None:
            problems.append(
                Diagnostic("test.field-missing", Location(file, pointer=""), {"field": key})
            )
        elif not isinstance(value, kind):
            zh, en = ("字符串", "a string") if kind is str else ("数组", "an array")
            problems.append(_type_error(file, f"/{key}", key, zh, en))
    if problems or not isinstance(base, str) or not isinstance(cases, list):
        return None, problems
    folder = Path(path).parent
    base_path = folder / base
    read: list[Case] = []
    names: set[str] = set()
    for index, entry in enumerate(cases):
        case, found = _read_case(entry, index, file, folder, base_path)
        problems += found
        if case is not None:
            if case.name in names:
                where = Location(file, pointer=f"/cases/{index}/name")
                problems.append(Diagnostic("test.duplicate-name", where, {"name": case.name}))
                continue
            names.add(case.name)
            read.append(case)
    return CaseFile(file, base_path, tuple(read), len(cases)), problems


def _read_case(
    entry: object, index: int, file: str, folder: Path, base: Path
) -> tuple[Case | None, list[Diagnostic]]:
    place = f"/cases/{index}"
    if not isinstance(entry, dict):
        return None, [_type_error(file, place, "case", "一个 JSON 对象", "a JSON object")]
    problems = _unknown_keys(entry, _CASE_KEYS, file, place)
    name = entry.get("name")
    if name is None:
        problems.append(
            Diagnostic("test.field-missing", Location(file, pointer=place), {"field": "name"})
        )
    elif not isinstance(name, str) or not name.strip():
        problems.append(
            _type_error(file, f"{place}/name", "name", "非空字符串", "a non-empty string")
        )
    own_base = entry.get("base", None)
    if own_base is not None and not isinstance(own_base, str):
        problems.append(_type_error(file, f"{place}/base", "base", "字符串", "a string"))
    remove = entry.get("remove", [])
    if not isinstance(remove, list) or not all(isinstance(p, str) for p in remove):
        problems.append(
            _type_error(
                file, f"{place}/remove", "remove", "JSON 指针数组", "an array of JSON pointers"
            )
        )
    edits = entry.get("set", {})
    if not isinstance(edits, dict):
        problems.append(
            _type_error(
                file,
                f"{place}/set",
                "set",
                "对象（JSON 指针 → 值）",
                "an object (JSON pointer → value)",
            )
        )
    expect = entry.get("expect")
    label = name if isinstance(name, str) else f"#{index}"
    if expect is None:
        problems.append(
            Diagnostic("test.field-missing", Location(file, pointer=place), {"field": "expect"})
        )
    elif not isinstance(expect, dict):
        problems.append(
            _type_error(
                file,
                f"{place}/expect",
                "expect",
                "对象（规则编号 → 结果）",
                "an object (rule id → outcome)",
            )
        )
    elif not expect:
        problems.append(
            Diagnostic(
                "test.empty-expect", Location(file, pointer=f"{place}/expect"), {"case": label}
            )
        )
    else:
        for rule, status in expect.items():
            if status not in STATUSES:
                where = Location(file, pointer=f"{place}/expect{pointers.build(rule)}")
                args = {"case": label, "rule": rule, "value": status}
                problems.append(Diagnostic("test.status", where, args))
    if problems:
        return None, problems
    assert isinstance(name, str) and isinstance(expect, dict) and isinstance(edits, dict)
    return (
        Case(
            file,
            index,
            name,
            folder / own_base if isinstance(own_base, str) else base,
            tuple(remove),
            tuple(edits.items()),
            tuple(expect.items()),
        ),
        [],
    )


# --------------------------------------------------------------------------- edits

_KINDS: Final = {
    str: ("字符串", "a string"),
    bool: ("布尔值", "a boolean"),
    int: ("数字", "a number"),
    float: ("数字", "a number"),
    type(None): ("null", "null"),
}


class _BadPointer(Exception):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def _walk(document: Any, pointer: str, for_set: bool) -> tuple[Any, str]:
    """The container a pointer's last step is taken in, and that step (or :class:`_BadPointer`)."""
    if pointer == "":
        raise _BadPointer("指向整个文档", "it names the whole document")
    if not pointer.startswith("/"):
        raise _BadPointer("不以 / 开头", "it does not start with /")
    steps = pointers.parse(pointer)
    node = document
    at = ""
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        here = at or "/"
        if isinstance(node, dict):
            if last and (for_set or step in node):
                return node, step
            if step not in node:
                raise _BadPointer(f"{here} 下没有 {step}", f"nothing named {step} under {here}")
            node = node[step]
        elif isinstance(node, list):
            if last and for_set and step in ("-", str(len(node))):
                return node, "-"
            if not step.isdigit() or (len(step) > 1 and step.startswith("0")):
                raise _BadPointer(
                    f"{here} 是数组，{step} 不是下标", f"{here} is an array: {step} is not an index"
                )
            if int(step) >= len(node):
                raise _BadPointer(
                    f"{here} 的下标 {step} 超出范围（共 {len(node)} 项）",
                    f"index {step} is out of range at {here} ({len(node)} items)",
                )
            if last:
                return node, step
            node = node[int(step)]
        else:
            zh, en = _KINDS.get(type(node), ("值", "a value"))
            raise _BadPointer(f"{here} 是{zh}，没有 {step}", f"{here} is {en}: it has no {step}")
        at += pointers.build(step)
    raise AssertionError("unreachable: a pointer starting with / has a last step")


def apply_edits(document: dict[str, Any], case: Case) -> list[Diagnostic]:
    """Apply a case's ``remove`` pointers, then its ``set`` ones, in order, in place.

    ``set`` replaces a value or adds an object member; as the last step, ``-``
    or the array's length appends to an array. A pointer that does not lead anywhere is reported
    (``test.pointer``, placed at the case's ``remove``/``set``) and skipped.
    """
    problems: list[Diagnostic] = []
    edits = [("remove", p, None) for p in case.remove] + [("set", p, v) for p, v in case.set]
    for kind, pointer, value in edits:
        try:
            container, step = _walk(document, pointer, kind == "set")
        except _BadPointer as bad:
            where = Location(case.file, pointer=f"{case.place}/{kind}")
            args = {"case": case.name, "pointer": pointer, "reason_zh": bad.zh, "reason_en": bad.en}
            problems.append(Diagnostic("test.pointer", where, args))
            continue
        if isinstance(container, list):
            if kind == "remove":
                del container[int(step)]
            elif step == "-":
                container.append(value)
            else:
                container[int(step)] = value
        elif kind == "remove":
            del container[step]
        else:
            container[step] = value
    return problems


# --------------------------------------------------------------------------- running


def run_case_file(
    case_file: CaseFile, rules: Rules, *, schema: str | os.PathLike[str] | None = None
) -> tuple[list[CaseResult], list[Diagnostic]]:
    """Run every case of a file in one batch; the results, and the inputs that were unusable.

    The documents are the bases (so that a bad base is reported once) and one
    edited copy per case, loaded together; the rules the file names are
    evaluated once over all of them.
    """
    from checker.documents import parse_document

    diagnostics: list[Diagnostic] = []
    bases: dict[Path, bytes | None] = {}
    for case in case_file.cases:
        if case.base in bases:
            continue
        own = case.base != case_file.base
        where = Location(case.file, pointer=f"{case.place}/base" if own else "/base")
        try:
            data: bytes | None = read_input(case.base)
        except InputFileError as exc:
            if exc.code == "input.unreadable":
                args = {"base": str(case.base)}
                diagnostics.append(Diagnostic("test.base-missing", where, args))
            else:
                diagnostics.append(exc.diagnostic(case.file))
            data = None
        if data is not None:
            parsed, problems = parse_document(data, str(case.base))
            diagnostics += problems
            data = data if parsed is not None else None
        bases[case.base] = data

    objects: list[Any] = []
    names: list[str] = []
    base_index: dict[Path, int] = {}
    for path, data in bases.items():
        if data is not None:
            base_index[path] = len(objects)
            objects.append(orjson.loads(data))
            names.append(str(path))
    runnable: list[tuple[Case, int]] = []  # (case, its document's index)
    broken: list[CaseResult] = []
    for case in case_file.cases:
        data = bases[case.base]
        if data is None:
            broken.append(CaseResult(case, (), (), broken=True))
            continue
        document = orjson.loads(data)  # a fresh deep copy of the base
        problems = apply_edits(document, case)
        if problems:
            diagnostics += problems
            broken.append(CaseResult(case, (), (), broken=True))
            continue
        runnable.append((case, len(objects)))
        objects.append(document)
        names.append(case.label)
    if not runnable:
        return broken, diagnostics

    spec = load_schema(schema)
    batch = load_objects(objects, names, schema=spec)
    statuses = batch.statuses
    bad_bases = {i for i in base_index.values() if not statuses[i].valid}
    for i in sorted(bad_bases):
        diagnostics += statuses[i].diagnostics
    known = {r.meta.id for r in rules.ruleset.rules}
    cases: list[tuple[Case, int]] = []
    for case, index in runnable:
        if base_index[case.base] in bad_bases:
            broken.append(CaseResult(case, (), (), broken=True))
        elif not statuses[index].valid:
            diagnostics += statuses[index].diagnostics
            broken.append(CaseResult(case, (), (), broken=True))
        else:
            cases.append((case, index))

    wanted = {rule for case, _ in cases for rule, _ in case.expect if rule in known}
    outcomes = rule_outcomes(batch, rules, wanted)
    results = [_judge(case, index, outcomes, known) for case, index in cases]
    order = {case.index: i for i, case in enumerate(case_file.cases)}
    return sorted([*results, *broken], key=lambda r: order[r.case.index]), diagnostics


def rule_outcomes(batch: Batch, rules: Rules, wanted: Iterable[str]) -> dict[tuple[int, str], str]:
    """(document, rule) → the rule's outcome there (its worst status), for the ``wanted``
    rules, evaluated once over the whole batch; a rule with no result in a document is absent."""
    wanted = set(wanted)
    if not wanted:
        return {}
    chosen = tuple(r for r in rules.ruleset.rules if r.meta.id in wanted)
    # the subset's own digest: the full ruleset's would find its engine in the cache
    subset = replace(rules, ruleset=replace(rules.ruleset, rules=chosen), digest=None)
    frame = check_batch(batch, subset, cells_for=()).frame  # statuses only
    names = {rank: status for status, rank in _RANK.items()}
    worst = (
        frame.lazy()
        .select("document", "rule", pl.col("status").replace_strict(_RANK, return_dtype=pl.Int8))
        .group_by("document", "rule")
        .agg(pl.col("status").max())
        .collect()
    )
    return {(int(d), str(r)): names[int(s)] for d, r, s in worst.iter_rows()}


def _judge(
    case: Case, index: int, outcomes: dict[tuple[int, str], str], known: set[str]
) -> CaseResult:
    """Compare a case's expectations with the outcomes in its document."""
    got: list[tuple[str, str | None]] = []
    problems: list[Diagnostic] = []
    for rule, expected in case.expect:
        actual = outcomes.get((index, rule))
        got.append((rule, actual))
        where = Location(case.file, pointer=f"{case.place}/expect{pointers.build(rule)}")
        args = {"case": case.name, "rule": rule, "expected": expected, "actual": actual}
        if rule not in known:
            near = difflib.get_close_matches(rule, sorted(known), n=1, cutoff=0.6)
            problems.append(
                Diagnostic(
                    "test.unknown-rule",
                    where,
                    args,
                    hint="hint.did-you-mean" if near else None,
                    hint_args={"name": near[0]} if near else {},
                )
            )
        elif actual is None:
            problems.append(Diagnostic("test.missing", where, args))
        elif actual != expected:
            problems.append(Diagnostic("test.unexpected", where, args))
    return CaseResult(case, tuple(got), tuple(problems))


def _coverage(
    rules: Rules, results: Sequence[CaseResult], require: bool
) -> tuple[Coverage, list[Diagnostic]]:
    passing: set[str] = set()
    failing: set[str] = set()
    for result in results:
        expected = dict(result.case.expect)
        for rid, actual in result.outcomes:
            if actual is not None and actual == expected.get(rid):
                if actual in _PASSING:
                    passing.add(rid)
                elif actual == "fail":
                    failing.add(rid)
    severity: Severity = "error" if require else "warning"
    gaps: list[Diagnostic] = []
    without_pass: list[str] = []
    without_fail: list[str] = []
    for rule in rules.ruleset.rules:
        rid = rule.meta.id
        where = Location(rule.span.file, rule.span.line)
        for covered, missing, code in (
            (passing, without_pass, "test.no-pass-case"),
            (failing, without_fail, "test.no-fail-case"),
        ):
            if rid not in covered:
                missing.append(rid)
                gaps.append(Diagnostic(code, where, {"rule": rid}, severity=severity))
    coverage = Coverage(len(rules.ruleset.rules), tuple(without_pass), tuple(without_fail))
    return coverage, gaps


def run_tests(
    paths: Sequence[str | os.PathLike[str]],
    rules: Rules,
    *,
    schema: str | os.PathLike[str] | None = None,
    require_coverage: bool = False,
) -> SuiteResult:
    """Find the case files beside ``paths`` (the rules' files or folders) and run them all.

    Raises :class:`RulecheckError` (``ExitCode.USAGE``) when there is no case file.
    """
    found = find_case_files(paths, rules)
    if not found:
        problems = [Diagnostic("test.no-cases", Location(str(p)), {"path": str(p)}) for p in paths]
        raise RulecheckError(problems, ExitCode.USAGE)
    files: list[CaseFile] = []
    results: list[CaseResult] = []
    diagnostics: list[Diagnostic] = []
    for path in found:
        case_file, problems = read_case_file(path)
        diagnostics += problems
        if case_file is None:
            files.append(CaseFile(str(path), path, (), 0))
            continue
        files.append(case_file)
        ran, problems = run_case_file(case_file, rules, schema=schema)
        results += ran
        diagnostics += problems
    coverage, gaps = _coverage(rules, results, require_coverage)
    return SuiteResult(
        tuple(files), tuple(results), tuple(diagnostics), coverage, tuple(gaps), require_coverage
    )


# --------------------------------------------------------------------------- output


def _counts(suite: SuiteResult) -> dict[str, int]:
    ran = [r for r in suite.results if not r.broken]
    held = sum(r.holds for r in ran)
    rules = suite.coverage.rules
    return {
        "files": len(suite.files),
        "cases": suite.cases,
        "hold": held,
        "do_not_hold": len(ran) - held,
        "not_run": suite.cases - len(ran),
        "rules": rules,
        "with_pass": rules - len(suite.coverage.without_pass),
        "with_fail": rules - len(suite.coverage.without_fail),
    }


def _some(ids: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" … (+{len(ids) - limit})" if len(ids) > limit else "")


_SUMMARY: Final[dict[str, tuple[str, str, str, str]]] = {
    "en": (
        "{files} case files, {cases} cases: {hold} hold, {do_not_hold} do not, {not_run} not run",
        "coverage: {with_pass} of {rules} rules have a passing case, "
        "{with_fail} of {rules} a failing case",
        "  without a passing case: {ids}",
        "  without a failing case: {ids}",
    ),
    "zh": (
        "{files} 个用例文件，{cases} 个用例：{hold} 个成立，{do_not_hold} 个不成立，"
        "{not_run} 个未能运行",
        "覆盖：{rules} 条规则中 {with_pass} 条有通过用例，{with_fail} 条有失败用例",
        "  没有通过用例：{ids}",
        "  没有失败用例：{ids}",
    ),
}


def render_text(suite: SuiteResult, lang: Lang = "zh") -> str:
    """Every problem, rustc-style, then a summary with the coverage."""
    lines = [d.format(lang) for d in suite.diagnostics]
    lines += [d.format(lang) for r in suite.results for d in r.problems]
    if suite.require_coverage:
        lines += [d.format(lang) for d in suite.gaps]
    counts = _counts(suite)
    cases, cover, no_pass, no_fail = _SUMMARY[lang]
    lines += [cases.format(**counts), cover.format(**counts)]
    if not suite.require_coverage:  # a note; the gaps are errors only when coverage is required
        if suite.coverage.without_pass:
            lines.append(no_pass.format(ids=_some(suite.coverage.without_pass)))
        if suite.coverage.without_fail:
            lines.append(no_fail.format(ids=_some(suite.coverage.without_fail)))
    return "\n".join(lines) + "\n"


def render_json(suite: SuiteResult, lang: Lang = "zh") -> str:
    """The whole run as JSON: files, every case with its outcomes, problems, coverage."""
    cover = suite.coverage
    payload = {
        "files": [{"path": f.path, "base": str(f.base), "cases": f.total} for f in suite.files],
        "cases": [
            {
                "file": r.case.file,
                "name": r.case.name,
                "pointer": r.case.place,
                "holds": r.holds,
                "run": not r.broken,
                "expect": dict(r.case.expect),
                "outcomes": dict(r.outcomes),
                "problems": [d.to_dict(lang) for d in r.problems],
            }
            for r in suite.results
        ],
        "diagnostics": [d.to_dict(lang) for d in suite.diagnostics],
        "coverage": {
            "required": suite.require_coverage,
            "rules": cover.rules,
            "without_pass": list(cover.without_pass),
            "without_fail": list(cover.without_fail),
        },
        "summary": {**_counts(suite), "exit_code": int(suite.exit_code())},
    }
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n"
