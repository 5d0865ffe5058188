"""Write the default ruleset's rule tests: ``rulesets/部门预算/tests/*.cases.json``.

    python -m bench.make_cases          # rewrite base.json and the case files, then run them

The output is committed data (docs/rule-tests.md describes the format);
``rulecheck test`` knows nothing about this script. What it writes:

* ``base.json``: the synthetic document ``bench.generate`` makes for seed 7,
  index 36 (consistent by construction; 510 of the 560 rules apply to it, the
  most among the first 40 documents of seed 7, and its 表九 has 政府性基金),
  one table row per line so that pointers can be read against it.
* one case file per rule file, with
  - a baseline case: the base document unchanged, every rule of the file that
    applies to it expected to ``pass``;
  - enabling cases for rules the base does not exercise (their ``when`` is
    false or they select no row): hand-written edits (:func:`variants`) that
    make the rule apply and pass, e.g. unit subtotal rows, 类/款 rows for the
    roll-ups, a 312 code in 表六, an empty 表九;
  - one failing case per rule: the mutation approach of
    ``tests/test_default_ruleset.py``, one cell set to a wrong value. The
    cells tried first are those the rule reads (its results' ``cells``),
    +1.00 or 1.00 for an empty cell; rules no such edit breaks get wider
    searches (an amount emptied or negated, a code's first digit changed, a
    text with a stray character), all in batches. Among the edits that make
    the rule ``fail`` the one that fails the fewest rules is kept.

Every expectation comes from running the edited documents, and the script ends
by running ``rulecheck test --require-coverage`` over the result.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate import generate_document  # noqa: E402
from checker.api import Rules, check_batch, load_rules  # noqa: E402
from checker.documents import load_objects  # noqa: E402
from checker.ruletest import Case, apply_edits, rule_outcomes, run_tests  # noqa: E402

RULESET = ROOT / "rulesets" / "部门预算"
OUT = RULESET / "tests"
SEED, INDEX = 7, 36
CHUNK = 250  # documents per evaluation (bounds the memory of the searches)
PASSING = ("pass", "rounding")

T1, T3, T4, T5 = (
    "部门收支总体情况表",
    "部门支出总体情况表",
    "财政拨款收支总体情况表",
    "一般公共预算支出情况表",
)
T6, T7, T9 = "一般公共预算基本支出表", "支出经济分类汇总表", "政府性基金预算支出情况表"


@dataclass(frozen=True)
class Doc:
    """The base document with edits: a case without expectations."""

    name: str
    set: tuple[tuple[str, Any], ...] = ()
    remove: tuple[str, ...] = ()

    def build(self, base: bytes) -> dict[str, Any]:
        document: dict[str, Any] = orjson.loads(base)
        case = Case("<make_cases>", 0, self.name, Path(), self.remove, self.set, ())
        problems = apply_edits(document, case)
        if problems:
            raise SystemExit(f"{self.name}: {problems[0].format('en')}")
        return document


def pointer(*parts: object) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


# --------------------------------------------------------------------------- enabling edits


def _find(doc: dict[str, Any], table: str, column: str, label: str) -> int:
    rows = doc["tables"][table]["rows"]
    return next(i for i, r in enumerate(rows) if (r.get(column) or "").endswith(label))


def _cents(value: float | None) -> int:
    return 0 if value is None else int(Decimal(str(value)) * 100)


def _amount(cents: int) -> float | None:
    return None if cents == 0 else float(Decimal(cents) / 100)


def _amount_columns(rules: Rules, table: str) -> list[str]:
    return list(next(t for t in rules.template.tables if t.role == table).amount_columns)


def _rollup_rows(doc: dict[str, Any], rules: Rules, table: str) -> list[dict[str, Any]]:
    """款 rows and the 类 row of the first 类 in a table's 项 rows, each Σ the rows below."""
    rows = doc["tables"][table]["rows"]
    items = [r for r in rows if len(r.get("科目编码") or "") == 7]
    lei = items[0]["科目编码"][:3]
    amounts = _amount_columns(rules, table)

    def total(code: str, name: str, prefix: str) -> dict[str, Any]:
        below = [r for r in items if r["科目编码"].startswith(prefix)]
        row = {k: None for k in rows[0]}
        row.update({"科目编码": code, "名称": name})
        for c in amounts:
            row[c] = _amount(sum(_cents(r.get(c)) for r in below))
        return row

    kuan = sorted({r["科目编码"][:5] for r in items if r["科目编码"].startswith(lei)})
    return [total(lei, f"{lei} 类", lei)] + [total(k, f"{k} 款", k) for k in kuan]


def _unit_row(doc: dict[str, Any], table: str) -> dict[str, Any]:
    """A unit subtotal row (6-digit 单位代码) equal to the table's 合计 row."""
    rows = doc["tables"][table]["rows"]
    row = dict(rows[_find(doc, table, "名称", "合计")])
    code = doc["meta"]["department_code"]
    units = doc["tables"]["部门收入总体情况表"]["rows"]
    unit = next(
        r for r in units if (r.get("单位代码") or "").startswith(code) and len(r["单位代码"]) == 6
    )
    row.update({"单位代码": unit["单位代码"], "名称": unit["单位名称"]})
    return row


def _recode(doc: dict[str, Any], table: str, dept: str, gov: str) -> tuple[tuple[str, Any], ...]:
    """Give the last coded row of 表六/表七 another economic code pair."""
    rows = doc["tables"][table]["rows"]
    i = max(j for j, r in enumerate(rows) if r.get("部门经济分类编码"))
    path = ("tables", table, "rows", i)
    return ((pointer(*path, "部门经济分类编码"), dept), (pointer(*path, "政府经济分类编码"), gov))


def variants(doc: dict[str, Any], rules: Rules) -> list[Doc]:
    """Edits that make rules apply which the base document does not exercise."""
    out: list[Doc] = []
    fund = _find(doc, T1, "项目", "政府性基金预算拨款收入")
    spent = _find(doc, T4, "项目", "本年支出")
    out.append(
        Doc(
            "表九为空，表一、表四没有政府性基金 / 表九 empty, no 政府性基金 in 表一 and 表四",
            (
                (pointer("tables", T9, "rows"), []),
                (pointer("tables", T9, "empty"), True),
                (pointer("tables", T9, "note"), "注：此表无数据"),
                (pointer("tables", T1, "rows", fund, "金额"), None),
                (pointer("tables", T4, "rows", spent, "政府性基金"), None),
            ),
        )
    )
    for table, rule in ((T3, "ZC-12"), (T5, "YB-12"), (T7, "JJ-12")):
        end = len(doc["tables"][table]["rows"])
        out.append(
            Doc(
                f"{rule}: 单位小计行 = 合计行 / a unit subtotal row equal to the 合计 row",
                ((pointer("tables", table, "rows", end), _unit_row(doc, table)),),
            )
        )
    for table, rule in ((T3, "ZC-20"), (T5, "YB-20"), (T9, "JK-20")):
        rows = _rollup_rows(doc, rules, table)
        end = len(doc["tables"][table]["rows"])
        out.append(
            Doc(
                f"{rule}: 类、款小计行 = 其下各行之和 / 类 and 款 rows = Σ the rows below",
                tuple((pointer("tables", table, "rows", end + i), r) for i, r in enumerate(rows)),
            )
        )
    stated = (
        ("国有资本经营预算", "国有资本经营预算拨款收入"),
        ("事业单位经营收入", "事业单位经营收入"),
        ("上级补助收入", "上级补助收入"),
        ("附属单位上缴收入", "附属单位上缴收入"),
        ("上年结转结余", "上年结转结余"),
    )
    edits = []
    for name, label in stated:
        value = doc["tables"][T1]["rows"][_find(doc, T1, "项目", label)]["金额"] or 0
        figure = {"value": value, "unit": "万元", "text": f"{name}{value}万元"}
        edits.append((pointer("statements", f"收入.{name}"), figure))
    out.append(Doc("说明列出其余收入 / the prose states the other incomes", tuple(edits)))
    codes = (
        ("312", "31299", "50799"),
        ("313, 31302", "31302", "51002"),
        ("399", "39999", "59999"),
        ("30212", "30212", "50207"),
    )
    for table, short in ((T6, "表六"), (T7, "表七")):
        for what, dept, gov in codes:
            out.append(
                Doc(
                    f"{short}: 经济分类 {what} 的对照 / economic code {what} and its counterpart",
                    _recode(doc, table, dept, gov),
                )
            )
    return out


# --------------------------------------------------------------------------- evaluating


def evaluate(
    base: bytes, docs: Sequence[Doc], rules: Rules, wanted: Iterable[str]
) -> dict[tuple[int, str], str]:
    """Outcomes of ``wanted`` rules in each document, in batches of CHUNK (one evaluation each)."""
    wanted = sorted(set(wanted))
    out: dict[tuple[int, str], str] = {}
    for start in range(0, len(docs), CHUNK):
        part = docs[start : start + CHUNK]
        # a document the schema rejects is left out of the frames: no outcome, never chosen
        batch = load_objects([d.build(base) for d in part], [d.name for d in part])
        got = rule_outcomes(batch, rules, wanted)
        out.update({(start + i, rule): v for (i, rule), v in got.items()})
    return out


def _cells(base: bytes, rules: Rules) -> dict[str, list[tuple[str, Any]]]:
    """Per rule, the table cells and prose figures its results read (pointer, value)."""
    batch = load_objects([orjson.loads(base)], ["base"])
    frame = check_batch(batch, rules, cells_for={"pass", "skipped"}).frame
    cells = (
        frame.filter(pl.col("status").is_in(["pass", "skipped"]))
        .select("rule", "cells")
        .explode("cells")
        .unnest("cells")
        .filter(pl.col("column").is_not_null())
        .filter((pl.col("row").is_not_null()) | (pl.col("table") == "说明"))
        .unique(["rule", "table", "row", "column"], maintain_order=True)
    )
    out: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    doc = orjson.loads(base)
    for rule, table, row, column, *_ in cells.iter_rows():
        if table == "说明":
            if column in doc["statements"]:  # a skipped rule may read a figure not stated
                figure = doc["statements"][column]["value"]
                out[rule].append((pointer("statements", column, "value"), figure))
        else:
            out[rule].append(
                (
                    pointer("tables", table, "rows", row, column),
                    doc["tables"][table]["rows"][row][column],
                )
            )
    return out


def _number_edits(value: Any, wide: bool) -> list[Any]:
    if value is None:
        return [1.0]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    edits = [round(value + 1, 2)]
    if wide:
        edits += [None, round(-value - 1, 2), round(value + 0.5, 2)]
    return edits


def _text_edits(value: Any) -> list[Any]:
    """A stray character; for codes also the first digit changed and the last one dropped."""
    if not isinstance(value, str) or not value:
        return []
    edits: list[Any] = [value + "X"]
    digit = re.search(r"\d", value)
    if digit:
        i = digit.start()
        edits.append(value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :])
    if value.isdigit() and len(value) > 1:
        edits.append(value[:-1])
    return edits


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, path + pointer(key))
    elif not isinstance(value, list):
        yield path, value


def _all_cells(doc: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    for role, table in doc["tables"].items():
        for i, row in enumerate(table["rows"]):
            for column, value in row.items():
                yield pointer("tables", role, "rows", i, column), value
    for name, figure in doc["statements"].items():
        yield pointer("statements", name, "value"), figure["value"]
        if "wording" in figure:  # the direction word (wording() rules)
            yield pointer("statements", name, "wording"), figure["wording"]


@dataclass(frozen=True)
class Mutant:
    doc: Doc
    variant: int  # the document it edits (0: the base)
    target: str  # the pointer changed
    old: Any
    new: Any


def _mutate(variant: Doc, index: int, target: str, old: Any, new: Any) -> Mutant:
    """A variant with one value changed (inside a value the variant sets, or one more edit)."""
    edits = list(variant.set)
    for i, (path, value) in enumerate(edits):
        if target.startswith(path + "/") and isinstance(value, dict):
            changed = json.loads(json.dumps(value))
            node = changed
            steps = target[len(path) + 1 :].split("/")
            for step in steps[:-1]:
                node = node[step.replace("~1", "/").replace("~0", "~")]
            node[steps[-1].replace("~1", "/").replace("~0", "~")] = new
            edits[i] = (path, changed)
            break
        if target == path:
            edits[i] = (path, new)
            break
    else:
        edits.append((target, new))
    return Mutant(Doc(variant.name, tuple(edits), variant.remove), index, target, old, new)


def _search(
    base: bytes,
    rules: Rules,
    docs: list[Doc],
    before: dict[tuple[int, str], str],
    mutants: Iterable[Mutant],
    wanted: set[str],
    found: dict[str, tuple[Mutant, int]],
) -> None:
    """Evaluate mutants for the wanted rules; keep, per rule, the mutant that makes it fail
    and fails the fewest rules. A mutant counts for a rule only when the document it edits
    does not already fail or error on that rule (``before``: outcomes of ``docs``)."""
    unique = list({(m.variant, m.target, _value(m.new)): m for m in mutants}.values())
    if not unique or not wanted:
        return
    outcomes = evaluate(base, [m.doc for m in unique], rules, wanted)
    fails: dict[int, list[str]] = defaultdict(list)
    for (i, rule), status in outcomes.items():
        if status == "fail" and before.get((unique[i].variant, rule)) not in ("fail", "error"):
            fails[i].append(rule)
    for i in sorted(fails):  # ties go to the first mutant: the same output every run
        failed = fails[i]
        for rule in failed:
            if rule not in found or len(failed) < found[rule][1]:
                found[rule] = (unique[i], len(failed))


def _code_literals() -> set[str]:
    """The codes the rule files quote (``"30212"``, ``"201"`` …)."""
    text = "".join(p.read_text("utf-8") for p in RULESET.glob("*.rules"))
    return set(re.findall(r'"(\d{3,7})"', text))


def _structural(doc: dict[str, Any], rules: Rules) -> Iterator[tuple[str, Any, Any]]:
    """Edits of the shape: a table's first row twice; each row label with a stray character;
    the first coded row of a coded table given each code the rules quote (a 类 prefix
    replaces the first three digits)."""
    literals = sorted(_code_literals())
    labels = {t.role: t.label for t in rules.template.tables}
    for role, table in doc["tables"].items():
        rows = table["rows"]
        if rows:
            yield pointer("tables", role, "rows", len(rows)), None, rows[0]
        label = labels.get(role)
        for i, row in enumerate(rows):
            if label and isinstance(row.get(label), str):
                yield pointer("tables", role, "rows", i, label), row[label], row[label] + "X"
        for column in ("科目编码", "部门经济分类编码"):
            coded = [i for i, r in enumerate(table["rows"]) if len(r.get(column) or "") >= 5]
            if not coded:
                continue
            old = table["rows"][coded[0]][column]
            target = pointer("tables", role, "rows", coded[0], column)
            for code in literals:
                new = code + old[len(code) :] if len(code) <= len(old) else None
                if new is not None and new != old:
                    yield target, old, new


def _other_values(doc: dict[str, Any], table: str, row: int, column: str) -> list[Any]:
    """The first value of the same column in another row that differs (a copied code)."""
    rows = doc["tables"][table]["rows"]
    mine = rows[row].get(column)
    others = [r.get(column) for i, r in enumerate(rows) if i != row]
    others = [v for v in others if isinstance(v, str) and v != mine]
    alike = [v for v in others if isinstance(mine, str) and len(v) == len(mine)]
    return (alike or others)[:1]


# --------------------------------------------------------------------------- writing


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def dump_document(doc: dict[str, Any]) -> str:
    """JSON with one table row (and one statement) per line."""
    lines = ["{", f'  "meta": {_value(doc["meta"])},', '  "tables": {']
    roles = list(doc["tables"])
    for n, role in enumerate(roles):
        table = doc["tables"][role]
        lines.append(f"    {_value(role)}: {{")
        for key, value in table.items():
            if key != "rows":
                lines.append(f"      {_value(key)}: {_value(value)},")
        rows = table["rows"]
        lines.append('      "rows": [' + ("" if rows else "]"))
        for i, row in enumerate(rows):
            lines.append(f"        {_value(row)}" + ("," if i < len(rows) - 1 else ""))
        if rows:
            lines.append("      ]")
        lines.append("    }" + ("," if n < len(roles) - 1 else ""))
    lines.append("  },")
    lines.append('  "statements": {')
    names = list(doc["statements"])
    for i, name in enumerate(names):
        comma = "," if i < len(names) - 1 else ""
        lines.append(f"    {_value(name)}: {_value(doc['statements'][name])}{comma}")
    lines += ["  }", "}"]
    text = "\n".join(lines) + "\n"
    assert json.loads(text) == doc
    return text


def dump_cases(description: str, cases: list[dict[str, Any]]) -> str:
    """A case file, one case per block, long ``expect`` objects one rule per line."""
    out = [
        "{",
        '  "base": "base.json",',
        f'  "description": {_value(description)},',
        '  "cases": [',
    ]
    for n, case in enumerate(cases):
        out.append("    {")
        keys = list(case)
        for k, key in enumerate(keys):
            value = case[key]
            comma = "," if k < len(keys) - 1 else ""
            if isinstance(value, dict) and len(value) > 2:
                out.append(f"      {_value(key)}: {{")
                items = list(value.items())
                for j, (name, item) in enumerate(items):
                    sep = "," if j < len(items) - 1 else ""
                    out.append(f"        {_value(name)}: {_value(item)}{sep}")
                out.append("      }" + comma)
            else:
                out.append(f"      {_value(key)}: {_value(value)}{comma}")
        out.append("    }" + ("," if n < len(cases) - 1 else ""))
    out += ["  ]", "}"]
    text = "\n".join(out) + "\n"
    json.loads(text)
    return text


def _describe(mutant: Mutant) -> str:
    if isinstance(mutant.new, dict):
        return f"{mutant.target} ← 第 0 行的副本 / a copy of row 0"
    return f"{mutant.target} {_value(mutant.old)} → {_value(mutant.new)}"


def _edits(doc: Doc) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if doc.remove:
        out["remove"] = list(doc.remove)
    if doc.set:
        out["set"] = dict(doc.set)
    return out


# --------------------------------------------------------------------------- main


def failing_edits(
    base: bytes,
    document: dict[str, Any],
    rules: Rules,
    docs: list[Doc],
    outcomes: dict[tuple[int, str], str],
    passing: dict[str, int],
) -> dict[str, Mutant]:
    """Per rule, one edit that makes it fail: searched in widening rounds, each in batches."""
    started = time.perf_counter()
    ids = [r.meta.id for r in rules.ruleset.rules]
    found: dict[str, tuple[Mutant, int]] = {}
    base_cells = _cells(base, rules)
    origin = docs[0]

    def on_base(target: str, old: Any, news: Iterable[Any]) -> Iterator[Mutant]:
        return (_mutate(origin, 0, target, old, new) for new in news)

    def report(round: str, edits: int, rules: int) -> None:
        took = time.perf_counter() - started
        print(f"{round}: {edits} edits for {rules} rules, {len(found)} fail ({took:.0f} s)")

    # 1. the cells each rule reads, +1.00 (1.00 when empty)
    first = [
        m
        for rule in ids
        for target, old in base_cells.get(rule, [])
        for m in on_base(target, old, _number_edits(old, wide=False))
    ]
    _search(base, rules, docs, outcomes, first, set(ids), found)
    report("round 1", len(first), len(ids))
    # 2. wider edits of those cells and of the rows a rule checks; shape and code edits
    left = {r for r in ids if r not in found}
    frame = check_batch(load_objects([orjson.loads(base)], ["base"]), rules, cells_for=()).frame
    rows = (
        frame.filter(pl.col("rule").is_in(sorted(left)) & (pl.col("status") == "pass"))
        .filter(pl.col("row").is_not_null() & pl.col("rule_table").is_not_null())
        .select("rule_table", "row")
        .unique()
        .sort("rule_table", "row")
        .iter_rows()
    )
    wider: list[Mutant] = []
    for table, row in rows:
        for column, old in document["tables"][table]["rows"][row].items():
            target = pointer("tables", table, "rows", row, column)
            news = _number_edits(old, wide=True) + _text_edits(old)
            news += [None] if isinstance(old, str) else []
            news += _other_values(document, table, row, column)
            wider += on_base(target, old, news)
    for rule in sorted(left):
        for target, old in base_cells.get(rule, []):
            wider += on_base(target, old, _number_edits(old, wide=True))
    wider += [_mutate(origin, 0, t, old, new) for t, old, new in _structural(document, rules)]
    _search(base, rules, docs, outcomes, wider, left, found)
    report("round 2", len(wider), len(left))
    # 3. rules the base does not exercise: the values their variant sets
    for index, variant in enumerate(docs[1:], start=1):
        mine = {r for r in ids if passing[r] == index and r not in found}
        leaves = [leaf for path, value in variant.set for leaf in _leaves(value, path)]
        tries = [
            _mutate(variant, index, target, old, new)
            for target, old in leaves
            for new in _number_edits(old, wide=True) + _text_edits(old)
        ]
        _search(base, rules, docs, outcomes, tries, mine, found)
    # 4. what is left (nothing, today): every cell of the base
    left = {r for r in ids if r not in found}
    if left:
        every = [
            m
            for target, old in _all_cells(document)
            for m in on_base(target, old, _number_edits(old, wide=True) + _text_edits(old))
        ]
        _search(base, rules, docs, outcomes, every, left, found)
        report("round 4", len(every), len(left))
    missing = [r for r in ids if r not in found]
    if missing:
        raise SystemExit(f"no failing edit found for {missing}")
    return {rule: found[rule][0] for rule in ids}


def case_files(
    rules: Rules, docs: list[Doc], passing: dict[str, int], failing: dict[str, Mutant]
) -> dict[str, list[dict[str, Any]]]:
    """The cases of each rule file: baseline, enabling variants, one failing case per rule."""
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rule in rules.ruleset.rules:
        by_file[Path(rule.span.file).name.removesuffix(".rules")].append(rule.meta.id)
    out: dict[str, list[dict[str, Any]]] = {}
    for stem, mine in by_file.items():
        cases: list[dict[str, Any]] = []
        baseline = {r: "pass" for r in mine if passing[r] == 0}
        if baseline:
            name = "基准文档：适用的规则都通过 / the base document: every rule that applies passes"
            cases.append({"name": name, "expect": baseline})
        for index, variant in enumerate(docs[1:], start=1):
            enabled = {r: "pass" for r in mine if passing[r] == index}
            if enabled:
                cases.append({"name": variant.name, **_edits(variant), "expect": enabled})
        for rule in mine:
            mutant = failing[rule]
            name = f"{rule} 失败 / fails: {_describe(mutant)}"
            if mutant.variant:
                name += f"（{docs[mutant.variant].name.split(' / ')[0]}）"
            cases.append({"name": name, **_edits(mutant.doc), "expect": {rule: "fail"}})
        out[stem] = cases
    return out


def main() -> int:
    rules = load_rules([RULESET])
    ids = [r.meta.id for r in rules.ruleset.rules]
    document = generate_document(SEED, INDEX)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "base.json").write_text(dump_document(document), encoding="utf-8")
    base = orjson.dumps(document)

    docs = [Doc("base"), *variants(document, rules)]
    outcomes = evaluate(base, docs, rules, ids)
    bad = sorted(r for r in ids if outcomes.get((0, r)) in ("fail", "error", "rounding"))
    if bad:
        raise SystemExit(f"rules that do not pass on the base document: {bad}")
    passing: dict[str, int] = {}  # rule -> the first document (0: base) where it passes
    for rule in ids:
        where = [i for i in range(len(docs)) if outcomes.get((i, rule)) in PASSING]
        if not where:
            raise SystemExit(f"{rule}: no document where it applies and passes (add a variant)")
        passing[rule] = where[0]
    print(
        f"passing: {sum(v == 0 for v in passing.values())} rules on the base, "
        f"{sum(v > 0 for v in passing.values())} on {len(docs) - 1} variants"
    )
    failing = failing_edits(base, document, rules, docs, outcomes, passing)
    files = case_files(rules, docs, passing, failing)
    for old in OUT.glob("*.cases.json"):
        old.unlink()
    description = (
        "Generated by bench/make_cases.py (python -m bench.make_cases): edit that script, "
        "not this file. Format: docs/rule-tests.md."
    )
    for stem, cases in files.items():
        (OUT / f"{stem}.cases.json").write_text(dump_cases(description, cases), encoding="utf-8")
    print(f"wrote {len(files)} case files, {sum(map(len, files.values()))} cases")

    suite = run_tests([RULESET], rules, require_coverage=True)
    print(
        f"rulecheck test: exit {int(suite.exit_code())}, {len(suite.failed)} cases do not hold, "
        f"coverage complete: {suite.coverage.complete}"
    )
    return int(suite.exit_code())


if __name__ == "__main__":
    raise SystemExit(main())
