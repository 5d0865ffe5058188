"""Rule tests for a ruleset from a consistent base document: search, write, run.

``bench.make_cases`` writes the 河南 default ruleset's tests; this module is the same
recipe for any ruleset and template, given a base document built by the caller
(consistent by construction) and the variants that make the rules the base does not
exercise apply. :func:`write_cases` writes, into the ruleset's ``tests/``:

* ``base.json``, one table row per line;
* one case file per rule file (``共用-<name>`` for a file of ``rulesets/共用/``), with
  - a baseline case: the base unchanged, every rule of the file that applies passes (or
    is 尾差, where the base states a rounded percentage);
  - one enabling case per variant, for the rules that first apply (and pass) there;
  - one failing case per rule: one edit of the document where the rule passes — an
    amount or prose figure +1.00 (1.00 when empty), emptied, negated, +0.50; a code
    shortened, re-prefixed or copied from another row of the table; a text with a
    stray character or emptied; a direction word (增加/减少, 增长/下降) turned round; a
    table's first row appended again — all searched in batches of documents. Of the
    edits that make the rule ``fail`` the one failing the fewest rules is kept.

Every expectation comes from running the edited documents, and :func:`write_cases`
ends by running ``rulecheck test --require-coverage`` over the result.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.make_cases import Doc, _edits, _value, dump_cases, dump_document, pointer  # noqa: E402
from checker.api import Rules, load_rules  # noqa: E402
from checker.documents import load_objects, load_schema  # noqa: E402
from checker.ruletest import rule_outcomes, run_tests  # noqa: E402

SHARED = ROOT / "rulesets" / "共用"
PASSING = ("pass", "rounding")
CHUNK = 400  # documents per evaluation: bounds the memory of the search
BASELINE = "基准文档：适用的规则都通过 / the base document: every rule that applies passes"


@dataclass(frozen=True)
class Edit:
    """``doc``: document ``variant`` (0: the base) with ``target`` changed: ``old`` → ``new``."""

    doc: Doc
    variant: int
    target: str
    old: Any
    new: Any

    def describe(self) -> str:
        if isinstance(self.new, dict):
            return f"{self.target} ← 第 0 行的副本 / a copy of row 0"
        return f"{self.target} {_value(self.old)} → {_value(self.new)}"


def _amount_edits(value: float | int | None) -> list[Any]:
    if value is None:
        return [1.0]
    return [round(value + 1, 2), None, round(-value - 1, 2), round(value + 0.5, 2)]


def _text_edits(value: str, others: Sequence[str]) -> list[Any]:
    if value.isdigit():
        out: list[Any] = [value[:-1], str((int(value[0]) + 1) % 10) + value[1:]]
        out += [o for o in others if len(o) == len(value) and o != value][:1]
    else:
        out = [value + "X"]
    return [*out, None]


OPPOSITE = {"增加": "减少", "减少": "增加", "增长": "下降", "下降": "增长"}


def edits_of(variant: Doc, index: int, document: dict[str, Any]) -> Iterator[Edit]:
    """Every one-step edit of one document: each cell, each table's first row again, each
    prose figure (its value; its direction word turned round)."""

    def edit(target: str, old: Any, new: Any) -> Edit:
        kept = tuple((p, v) for p, v in variant.set if p != target)
        return Edit(
            Doc(variant.name, (*kept, (target, new)), variant.remove), index, target, old, new
        )

    for role, table in document["tables"].items():
        rows = table["rows"]
        if rows:
            yield edit(pointer("tables", role, "rows", len(rows)), None, rows[0])
        for i, row in enumerate(rows):
            for column, value in row.items():
                if isinstance(value, str):
                    others = [r[column] for r in rows if isinstance(r.get(column), str)]
                    news = _text_edits(value, others)
                elif isinstance(value, int | float) or value is None:
                    news = _amount_edits(value)
                else:
                    continue
                target = pointer("tables", role, "rows", i, column)
                yield from (edit(target, value, new) for new in news if new != value)
    for name, figure in document.get("statements", {}).items():
        target = pointer("statements", name, "value")
        yield from (edit(target, figure["value"], new) for new in _amount_edits(figure["value"]))
        if figure.get("wording") in OPPOSITE:
            word = figure["wording"]
            yield edit(pointer("statements", name, "wording"), word, OPPOSITE[word])


def outcomes(
    base: dict[str, Any], docs: Sequence[Doc], rules: Rules, schema: Path
) -> dict[tuple[int, str], str]:
    """(document index, rule) → outcome, in chunks of ``CHUNK`` documents."""
    raw, spec = orjson.dumps(base), load_schema(schema)
    ids = {r.meta.id for r in rules.ruleset.rules}
    out: dict[tuple[int, str], str] = {}
    for start in range(0, len(docs), CHUNK):
        chunk = docs[start : start + CHUNK]
        names = [d.name for d in chunk]
        batch = load_objects([d.build(raw) for d in chunk], names, schema=spec)
        # the document index is the object's place in the chunk; a document the schema
        # rejects is left out of the frames, so it has no outcome (and is never chosen)
        for (i, rule), status in rule_outcomes(batch, rules, ids).items():
            out[(start + i, rule)] = status
    return out


def failing_edits(
    base: dict[str, Any],
    rules: Rules,
    schema: Path,
    docs: Sequence[Doc],
    passing: dict[str, int],
    before: dict[tuple[int, str], str],
) -> dict[str, Edit]:
    """Per rule, the edit of its passing document that makes it fail and fails fewest rules."""
    raw = orjson.dumps(base)
    edits = [
        e
        for index in sorted(set(passing.values()))
        for e in edits_of(docs[index], index, docs[index].build(raw))
    ]
    got = outcomes(base, [e.doc for e in edits], rules, schema)
    fails: dict[int, list[str]] = defaultdict(list)
    for (i, rule), status in got.items():
        if status == "fail" and before.get((edits[i].variant, rule)) in PASSING:
            fails[i].append(rule)
    best: dict[str, int] = {}
    for i, failed in fails.items():
        for rule in failed:
            if edits[i].variant == passing[rule] and (
                rule not in best or len(failed) < len(fails[best[rule]])
            ):
                best[rule] = i
    ids = [r.meta.id for r in rules.ruleset.rules]
    missing = [r for r in ids if r not in best]
    if missing:
        raise SystemExit(f"no failing edit found for {missing}")
    print(f"{len(edits)} edits searched")
    return {rule: edits[best[rule]] for rule in ids}


def _stem(path: str) -> str:
    file = Path(path)
    stem = file.name.removesuffix(".rules")
    return f"共用-{stem}" if file.parent.resolve() == SHARED.resolve() else stem


def case_files(
    rules: Rules,
    docs: Sequence[Doc],
    passing: dict[str, int],
    before: dict[tuple[int, str], str],
    failing: dict[str, Edit],
) -> dict[str, list[dict[str, Any]]]:
    """The cases of each rule file: baseline, enabling variants (each rule expected to do what
    it does there: pass, or 尾差 where a stated percentage is rounded), one failing case per
    rule."""
    by_file: dict[str, list[str]] = defaultdict(list)
    for rule in rules.ruleset.rules:
        by_file[_stem(rule.span.file)].append(rule.meta.id)
    out: dict[str, list[dict[str, Any]]] = {}
    for stem, mine in by_file.items():
        cases: list[dict[str, Any]] = []
        baseline = {r: before[(0, r)] for r in mine if passing[r] == 0}
        if baseline:
            cases.append({"name": BASELINE, "expect": baseline})
        for index, variant in enumerate(docs[1:], start=1):
            enabled = {r: before[(index, r)] for r in mine if passing[r] == index}
            if enabled:
                cases.append({"name": variant.name, **_edits(variant), "expect": enabled})
        for rule in mine:
            edit = failing[rule]
            name = f"{rule} 失败 / fails: {edit.describe()}"
            if edit.variant:
                name += f"（{docs[edit.variant].name.split(' / ')[0]}）"
            cases.append({"name": name, **_edits(edit.doc), "expect": {rule: "fail"}})
        out[stem] = cases
    return out


def write_cases(
    ruleset: Path, schema: Path, base: dict[str, Any], variants: Sequence[Doc], generator: str
) -> int:
    """Write ``ruleset/tests`` (base.json and the case files), run them; the exit code."""
    rules = load_rules([ruleset], schema=schema)
    ids = [r.meta.id for r in rules.ruleset.rules]
    out = ruleset / "tests"
    out.mkdir(parents=True, exist_ok=True)
    (out / "base.json").write_text(dump_document(base), encoding="utf-8")
    docs = [Doc("base"), *variants]
    before = outcomes(base, docs, rules, schema)
    bad = sorted(r for r in ids if before.get((0, r)) in ("fail", "error"))
    if bad:
        raise SystemExit(f"rules that do not pass on the base document: {bad}")
    passing: dict[str, int] = {}
    for rule in ids:
        where = [i for i in range(len(docs)) if before.get((i, rule)) in PASSING]
        if not where:
            raise SystemExit(f"{rule}: no document where it applies and passes (add a variant)")
        passing[rule] = where[0]
    failing = failing_edits(base, rules, schema, docs, passing, before)
    files = case_files(rules, docs, passing, before, failing)
    for old in out.glob("*.cases.json"):
        old.unlink()
    description = (
        f"Generated by {generator} (bench/case_search.py): edit that script, not this file. "
        "Format: docs/rule-tests.md."
    )
    for stem, cases in files.items():
        (out / f"{stem}.cases.json").write_text(dump_cases(description, cases), encoding="utf-8")
    print(f"wrote {len(files)} case files, {sum(map(len, files.values()))} cases, {len(ids)} rules")
    suite = run_tests([ruleset], rules, schema=schema, require_coverage=True)
    print(
        f"rulecheck test: exit {int(suite.exit_code())}, {len(suite.failed)} cases do not hold, "
        f"coverage complete: {suite.coverage.complete}"
    )
    return int(suite.exit_code())
