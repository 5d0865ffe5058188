"""Per-row rules over large tables (issue 20, checker.rowpass and checker.rowlinear).

A run that keeps only some statuses counts the rest and evaluates only the rows holding a
kept result: its results, counts and operand cells must be exactly those of the run that
keeps everything, cut to the statuses kept, for any ruleset (the differential test's
random rules, plus per-row sums that the integer screen takes). And on the P2 workload
(../shared/bench/p2: gen.py writes the exact fail and rounding counts per rule), rulecheck
finds exactly those counts, from Parquet and from JSON, without a row per pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch

import polars as pl
import pytest
from frames import frames
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from test_columnar import _p2_folder as p2_folder
from test_differential import T3, T3_AMOUNTS, TEMPLATE, documents, rulesets

from checker import ast, rowpass
from checker.evaluate import CELL_STATUSES, Engine, Results
from checker.rowlinear import row_linear

ROOT = Path(__file__).resolve().parents[1]
P2 = ROOT.parent / "shared" / "bench" / "p2"
KEYS = ["document", "rule", "row", "column"]
FIELDS = ["status", "lhs", "rhs", "lhs_lo", "lhs_hi", "rhs_lo", "rhs_hi", "reason", "cells"]


def _sum(terms: list[tuple[int, ast.Expr]]) -> ast.Expr:
    total = terms[0][1] if terms[0][0] > 0 else ast.Neg(terms[0][1])
    for sign, term in terms[1:]:
        total = ast.BinOp("+" if sign > 0 else "-", total, term)
    return total


term = st.tuples(
    st.sampled_from([1, 1, -1]),
    st.one_of(
        st.sampled_from(T3_AMOUNTS).map(lambda c: ast.ColumnRef(None, c)),
        st.sampled_from(["0", "0.01", "100", "4736.03"]).map(lambda v: ast.Number(Decimal(v))),
    ),
)


@st.composite
def summed_rules(draw: st.DrawFn, index: int) -> ast.Rule:
    """A per-row rule the integer screen takes: sums of the row's amounts and literals."""
    column = st.sampled_from(T3_AMOUNTS).map(lambda c: ast.ColumnRef(None, c))
    left = _sum([(1, draw(column)), *draw(st.lists(term, max_size=2))])
    right = _sum(draw(st.lists(term, min_size=1, max_size=4)))
    op = draw(st.sampled_from(["=", "=", "!=", "<", "<=", ">", ">="]))
    precision = draw(st.sampled_from([None, Decimal("0.01"), Decimal("1"), Decimal("0.0002")]))
    meta = ast.Meta(f"S{index}", f"和{index}")
    return ast.Rule(
        meta, ast.Compare(op, left, right), scope_table=T3, per_row=True, precision=precision
    )


@st.composite
def mixed(draw: st.DrawFn) -> ast.Ruleset:
    base = draw(rulesets())
    summed = [draw(summed_rules(i)) for i in range(draw(st.integers(1, 5)))]
    return ast.Ruleset(base.file, precision=base.precision, rules=(*base.rules, *summed))


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(*KEYS, *FIELDS).sort(KEYS, nulls_last=True)


def _same_run(full: Results, part: Results, keep: tuple[str, ...]) -> None:
    assert part.counts() == full.counts()
    assert part.per_document().equals(full.per_document())
    assert part.rule_documents().equals(full.rule_documents())
    want = _sorted(full.frame.filter(pl.col("status").is_in(keep)))
    got = _sorted(part.frame)
    assert got.height == want.height
    assert got.equals(want), got.join(want, on=KEYS, how="anti")


@settings(
    max_examples=20,
    deadline=None,
    # no shrinking: an example takes seconds, and a shrink past the test's timeout would
    # hide the failure behind it (the failing example is printed as found)
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    ruleset=mixed(),
    docs=st.lists(documents(), min_size=2, max_size=5),
    keep=st.sampled_from(
        [
            ("rounding", "fail", "error"),
            ("fail", "error"),
            ("fail",),
            ("rounding", "fail", "error", "skipped"),
            ("error", "skipped"),
        ]
    ),
    cells_for=st.sampled_from([CELL_STATUSES, ("fail",), ()]),
    large=st.sampled_from([0, 0, rowpass.LARGE_ROWS]),
)
def test_keeping_some_statuses_is_the_full_run_cut(
    ruleset: ast.Ruleset,
    docs: list[dict[str, Any]],
    keep: tuple[str, ...],
    cells_for: tuple[str, ...],
    large: int,
) -> None:
    """``large``: the rows from which a table is evaluated in passes (0: every table, as
    a large batch's; the default: these small tables in one pass)."""
    ids, tables, statements = frames(docs)
    engine = Engine(ruleset, TEMPLATE)
    assert any(r.meta.id.startswith("S") for r in ruleset.rules)
    assert engine.row_linear, "no rule was taken by the integer screen"
    full = engine.run(ids, tables, statements, cells_for=cells_for)
    with patch.object(rowpass, "LARGE_ROWS", large):
        part = engine.run(ids, tables, statements, cells_for=cells_for, keep=keep)
    _same_run(full, part, keep)


def test_what_the_integer_screen_takes() -> None:
    col = ast.ColumnRef(None, "合计")
    meta = ast.Meta("X", "x")

    def rule(check: ast.Cond, **extra: Any) -> ast.Rule:
        return ast.Rule(meta, check, scope_table=T3, per_row=True, **extra)

    sums = ast.Compare("=", col, ast.BinOp("+", ast.ColumnRef(None, T3_AMOUNTS[1]), col))
    taken = row_linear(rule(sums), TEMPLATE, {})
    assert taken is not None and taken.terms == (("合计", 1), (T3_AMOUNTS[1], -1), ("合计", -1))
    product = ast.Compare("=", col, ast.BinOp("*", col, ast.Number(Decimal(2))))
    text = ast.Compare("=", ast.ColumnRef(None, "名称"), ast.String("合计"))
    aggregate = ast.Compare("=", col, ast.Aggregate("sum", T3, "合计"))
    fine = ast.Compare("=", col, ast.Number(Decimal("0.00005")))
    for check, extra in (
        (product, {}),
        (text, {}),
        (aggregate, {}),
        (fine, {}),
        (sums, {"when": text}),
        (sums, {"row_filter": text}),
    ):
        assert row_linear(rule(check, **extra), TEMPLATE, {}) is None
    assert row_linear(rule(sums), TEMPLATE, {T3: Decimal(10_000)}) is None


# --------------------------------------------------------------------------- P2


@pytest.fixture(scope="module")
def p2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gen.py's workload at 20,000 rows (its outputs and the expected counts), with the
    table also as Parquet (meta.json + 明细表.parquet)."""
    out = tmp_path_factory.mktemp("p2")
    subprocess.run(
        [sys.executable, str(P2 / "gen.py"), "20000", "1"],
        env={**os.environ, "P2_OUT": str(out)},
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=600,
    )
    folder = out / "columnar"
    folder.mkdir()
    one = json.loads((out / "p2_one.json").read_text(encoding="utf-8"))
    skeleton = {"meta": one["meta"], "tables": {"明细表": {"name": "明细表", "unit": "万元"}}}
    (folder / "meta.json").write_text(json.dumps(skeleton, ensure_ascii=False), encoding="utf-8")
    pl.read_csv(out / "p2.csv").cast(pl.Float64).write_parquet(folder / "明细表.parquet")
    return out


def _expected(p2: Path) -> dict[str, dict[str, int]]:
    rules = json.loads((p2 / "expected.json").read_text(encoding="utf-8"))["rules"]
    return {rule: {"fail": v["fail"], "rounding": v["rounding"]} for rule, v in rules.items()}


def _per_rule(frame: pl.DataFrame) -> dict[str, dict[str, int]]:
    got: dict[str, dict[str, int]] = {}
    for rule, status, n in frame.group_by("rule", "status").len().iter_rows():
        got.setdefault(rule, {"fail": 0, "rounding": 0})[status] = n
    return got


@pytest.mark.parametrize("form", ["columnar", "p2_one.json"])
def test_p2_counts_per_rule_are_gen_pys(p2: Path, form: str) -> None:
    from checker.api import check, load_rules

    schema = str(P2 / "p2.schema.json")
    rules = load_rules([str(P2 / "p2.rules")], schema=schema)
    located = form == "columnar"  # (the JSON document's tables are the same rows)
    report = check(
        [str(p2 / form)],
        rules,
        schema=schema,
        keep=CELL_STATUSES,
        max_bytes=1 << 30,
        localize=located,
    )
    expected = _expected(p2)
    frame = report.results.frame
    assert _per_rule(frame) == {r: c for r, c in expected.items() if any(c.values())}
    counts = report.results.counts()
    fails = sum(c["fail"] for c in expected.values())
    roundings = sum(c["rounding"] for c in expected.values())
    assert counts == {
        "pass": 20 * 20_000 - fails - roundings,
        "rounding": roundings,
        "tolerated": 0,
        "fail": fails,
        "error": 0,
        "skipped": 0,
    }
    assert frame.height == fails + roundings  # no row per pass
    assert frame.get_column("cells").null_count() == 0  # every finding with its cells
    first = frame.filter(pl.col("status") == "fail").row(0, named=True)
    assert {c["column"] for c in first["cells"]} >= {"s01", "a01"} or len(first["cells"]) >= 3
    if not located:
        return
    # localized: one cell per altered row (gen.py alters one cell of each error row)
    (entry,) = report.localizations().values()
    assert entry["error"]["status"] == "found" and entry["error"]["proven"]
    best = entry["error"]["candidates"][0]["cells"]
    altered = json.loads((p2 / "expected.json").read_text(encoding="utf-8"))
    assert len({c["row"] for c in best}) == len(best) == altered["perturbed_error_rows"]
    assert entry["rounding"]["status"] == "found"


def test_p2_localized_figures_make_every_rule_hold(p2: Path, tmp_path: Path) -> None:
    """The table with the localized cells' suggested values and the rounding causes'
    values before rounding: every identity holds exactly (no fail, no rounding left)."""
    from checker.api import check, load_rules

    schema = str(P2 / "p2.schema.json")
    rules = load_rules([str(P2 / "p2.rules")], schema=schema)
    folder = p2 / "columnar"
    report = check([str(folder)], rules, schema=schema, max_bytes=1 << 30)
    fixes = report.localization().filter(pl.col("candidate") == 0)
    assert set(fixes.get_column("kind")) == {"error", "rounding"}
    table = pl.read_parquet(folder / "明细表.parquet").with_row_index("row")
    for (column,), part in fixes.group_by("column"):
        new = dict(zip(part.get_column("row"), part.get_column("suggested"), strict=True))
        table = table.with_columns(
            pl.col("row").replace_strict(new, default=pl.col(str(column))).alias(str(column))
        )
    fixed = tmp_path / "fixed"
    fixed.mkdir()
    (fixed / "meta.json").write_bytes((folder / "meta.json").read_bytes())
    table.drop("row").write_parquet(fixed / "明细表.parquet")
    again = check([str(fixed)], rules, schema=schema, max_bytes=1 << 30, localize=False)
    counts = again.results.counts()
    assert counts["fail"] == counts["rounding"] == 0 and counts["pass"] == 20 * 20_000


def _check(folder: Path, rules: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``rulecheck check FOLDER -r RULES --schema p2.schema.json -q ARGS``."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "checker.cli", "check", str(folder)),
            *("-r", str(rules), "--schema", str(P2 / "p2.schema.json"), "-q", *args),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )


def test_p2_from_the_command_line(p2: Path) -> None:
    done = _check(p2 / "columnar", P2 / "p2.rules", "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    expected = _expected(p2)
    assert report["summary"]["fail"] == sum(c["fail"] for c in expected.values())
    assert report["summary"]["rounding"] == sum(c["rounding"] for c in expected.values())
    (document,) = report["documents"]
    assert document["localization"]["status"] == "found"
    assert document["rounding_causes"]["status"] == "found"


# --------------------------------------------------------------------------- streamed


def test_p2_streamed_when_larger_than_max_bytes(p2: Path) -> None:
    """A table file over --max-bytes is read in chunks (a lazy frame), with the same counts."""
    from checker.api import check, load_rules
    from checker.documents import iter_batches

    schema = str(P2 / "p2.schema.json")
    size = (p2 / "columnar" / "明细表.parquet").stat().st_size
    (batch,) = iter_batches([str(p2 / "columnar")], schema=schema, max_bytes=size - 1, stream=True)
    assert isinstance(batch.tables["明细表"], pl.LazyFrame)
    rules = load_rules([str(P2 / "p2.rules")], schema=schema)
    report = check(
        [str(p2 / "columnar")], rules, schema=schema, keep=CELL_STATUSES, max_bytes=size - 1
    )
    expected = _expected(p2)
    assert _per_rule(report.results.frame) == {r: c for r, c in expected.items() if any(c.values())}
    assert report.results.counts()["pass"] == 20 * 20_000 - sum(
        c["fail"] + c["rounding"] for c in expected.values()
    )


def test_a_rule_needing_the_whole_streamed_table_stops_the_run(p2: Path, tmp_path: Path) -> None:
    rules = tmp_path / "p2plus.rules"
    rules.write_text(
        (P2 / "p2.rules").read_text(encoding="utf-8")
        + 'rule X01 "总额非负": sum(明细表.a01) >= 0\n'
        + "for each row in 明细表 where a01 > 0:\n"
        + '  rule X02 "s01 不小于 a01": s01 >= a01\n',
        encoding="utf-8",
    )
    done = _check(p2 / "columnar", rules, "--max-bytes", "100000", "--lang", "en")
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert "rules X01, X02 need all of its rows at once" in done.stderr


def test_a_streamed_table_is_checked_as_a_loaded_one(tmp_path: Path) -> None:
    """Column checks and the amounts' decimals of a streamed file: the same diagnostics."""
    from checker.documents import iter_batches

    schema = str(P2 / "p2.schema.json")
    values = [float(i) for i in range(3000)]
    values[1234] = 1.23456  # five decimals
    folder = p2_folder(tmp_path, pl.DataFrame({"a01": values, "s01": values}))
    for stream in (False, True):
        (batch,) = iter_batches(
            [str(folder)], schema=schema, max_bytes=1000 if stream else 1 << 30, stream=stream
        )
        assert [(d.code, d.location.pointer) for d in batch.diagnostics] == [
            ("doc.decimals", "/tables/明细表/rows/1234/a01"),
            ("doc.decimals", "/tables/明细表/rows/1234/s01"),
        ]
    (folder / "明细表.parquet").unlink()
    cells = [str(i) for i in range(300)]
    cells[150] = "x"
    pl.DataFrame({"a01": cells}).write_csv(folder / "明细表.csv")
    assert (folder / "meta.json").stat().st_size < 400 < (folder / "明细表.csv").stat().st_size
    (batch,) = iter_batches([str(folder)], schema=schema, max_bytes=400, stream=True)
    assert [(d.code, d.location.pointer) for d in batch.diagnostics] == [
        ("doc.type", "/tables/明细表/rows/150/a01")
    ]
