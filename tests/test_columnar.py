"""Columnar documents (issue 20): a folder of ``meta.json`` and one Parquet, Arrow IPC or
CSV file per table, and Polars frames through the Python API, checked against the
template's schema column by column with the same messages (and exit code) as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from checker.api import check, check_frames, load_rules
from checker.documents import load_documents, load_schema

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
P2 = ROOT.parent / "shared" / "bench" / "p2"
KEYS = ["rule", "row", "column", "status", "lhs", "rhs", "lhs_lo", "rhs_hi", "reason"]
T3 = "部门支出总体情况表"


def _seed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SEED.read_text(encoding="utf-8"))
    return document


def _frames(document: dict[str, Any]) -> dict[str, pl.DataFrame]:
    """Each table of a JSON document as a frame of the schema's columns and types."""
    spec = load_schema()
    out = {}
    for role, table in document["tables"].items():
        schema = {
            c.name: pl.Float64 if c.kind == "amount" else pl.String for c in spec.tables[role]
        }
        rows = table.get("rows") or []
        out[role] = pl.from_dicts(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
    return out


def _skeleton(document: dict[str, Any]) -> dict[str, Any]:
    """The document without its tables' rows (and their per-row source lines)."""
    tables = {
        role: {k: v for k, v in table.items() if k not in ("rows", "source_lines")}
        for role, table in document["tables"].items()
    }
    return {**document, "tables": tables}


def write_columnar(document: dict[str, Any], folder: Path, suffix: str = ".parquet") -> Path:
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(
        json.dumps(_skeleton(document), ensure_ascii=False), encoding="utf-8"
    )
    for role, frame in _frames(document).items():
        path = folder / f"{role}{suffix}"
        if suffix == ".parquet":
            frame.write_parquet(path)
        elif suffix == ".csv":
            frame.write_csv(path)
        else:
            frame.write_ipc(path)
    return folder


def _results(report: Any) -> pl.DataFrame:
    return report.results.frame.select(KEYS).sort("rule", "row", "column", nulls_last=True)


@pytest.fixture(scope="module")
def rules() -> Any:
    return load_rules()


@pytest.fixture(scope="module")
def from_json(rules: Any) -> pl.DataFrame:
    return _results(check([str(SEED)], rules))


@pytest.mark.parametrize("suffix", [".parquet", ".arrow", ".csv"])
def test_a_columnar_document_gives_the_json_documents_results(
    tmp_path: Path, rules: Any, from_json: pl.DataFrame, suffix: str
) -> None:
    folder = write_columnar(_seed(), tmp_path / "seed", suffix)
    report = check([str(folder)], rules)
    assert report.batch.invalid_count == 0, [d.format("en") for d in report.batch.diagnostics]
    assert from_json.height > 100
    assert _results(report).equals(from_json)
    # the findings' cells point into the tables as a JSON document's do
    cells = report.results.frame.filter(pl.col("status") == "fail").get_column("cells")
    assert cells.list.len().min() > 0  # type: ignore[operator]


def test_polars_frames_are_checked_directly(rules: Any, from_json: pl.DataFrame) -> None:
    document = _seed()
    lazy = {role: frame.lazy() for role, frame in _frames(document).items()}
    report = check_frames(lazy, _skeleton(document), rules)
    assert _results(report).equals(from_json)
    assert report.results.frame.get_column("path").unique().to_list() == ["<frames>"]


def test_a_folder_holds_json_and_columnar_documents(tmp_path: Path) -> None:
    write_columnar(_seed(), tmp_path / "docs" / "b_columnar")
    (tmp_path / "docs" / "a.json").write_bytes(SEED.read_bytes())
    batch = load_documents([str(tmp_path / "docs")])
    assert [s.path for s in batch.statuses] == [
        str(tmp_path / "docs" / "a.json"),
        str(tmp_path / "docs" / "b_columnar"),
    ]
    assert batch.valid_count == 2
    one, two = (batch.table(T3).filter(pl.col("document") == i).drop("document") for i in (0, 1))
    assert one.equals(two)


# --------------------------------------------------------------------------- bad input


def _problems(folder: Path, schema: Path | None = None) -> list[tuple[str, str, str]]:
    """(code, where, English message) of every diagnostic of the one document in folder."""
    batch = load_documents([str(folder)], schema=schema)
    assert batch.invalid_count == 1
    return [(d.code, str(d.location), d.message("en")) for d in batch.diagnostics]


def test_wrong_column_types_are_named_with_the_column(tmp_path: Path) -> None:
    folder = write_columnar(_seed(), tmp_path / "doc")
    table = folder / f"{T3}.parquet"
    frame = pl.read_parquet(table)
    frame.with_columns(pl.col("合计").cast(pl.String), pl.col("名称").hash()).write_parquet(table)
    got = _problems(folder)
    assert [(code, where) for code, where, _ in got] == [
        ("doc.column-type", str(table)),
        ("doc.column-type", str(table)),
    ]
    messages = [m for _, _, m in got]
    assert f"column 名称 of table {T3} is of type UInt64; expected text" in messages
    assert f"column 合计 of table {T3} is of type String; expected a number" in messages


def test_csv_cells_that_are_not_numbers_are_named_by_pointer(tmp_path: Path) -> None:
    folder = write_columnar(_seed(), tmp_path / "doc", ".csv")
    table = folder / f"{T3}.csv"
    frame = pl.read_csv(table, infer_schema=False)
    bad = ["1,504.07", "abc", "x", "y", "z", "w", "v"]
    values = [*bad, *frame.get_column("合计").to_list()[len(bad) :]]
    frame.with_columns(pl.Series("合计", values)).write_csv(table)
    got = _problems(folder)
    assert got[0] == (
        "doc.type",
        f"{table} /tables/{T3}/rows/0/合计",
        'expected a number, got the text "1,504.07"',
    )
    assert [where for _, where, _ in got[:5]] == [
        f"{table} /tables/{T3}/rows/{i}/合计" for i in range(5)
    ]
    assert got[5] == ("doc.more-cells", str(table), got[5][2])
    assert "2 more cells of column 合计" in got[5][2]


def test_a_bad_pattern_names_each_cell(tmp_path: Path) -> None:
    document = _seed()
    rows = document["tables"][T3]["rows"]
    row = next(i for i, r in enumerate(rows) if r.get("科目编码"))
    rows[row]["科目编码"] = "20801x"
    folder = write_columnar(document, tmp_path / "doc")
    got = _problems(folder)
    table = folder / f"{T3}.parquet"
    assert got == [
        (
            "doc.pattern",
            f"{table} /tables/{T3}/rows/{row}/科目编码",
            'value "20801x" does not match the format ^[0-9]{3}([0-9]{2}([0-9]{2})?)?$',
        )
    ]


def test_unknown_columns_tables_and_files(tmp_path: Path) -> None:
    folder = write_columnar(_seed(), tmp_path / "doc")
    table = folder / f"{T3}.parquet"
    pl.read_parquet(table).rename({"合计": "合 计"}).write_parquet(table)
    (folder / "部门支出总体.parquet").write_bytes(table.read_bytes())
    got = _problems(folder)
    codes = {code for code, _, _ in got}
    assert codes == {"doc.unknown-column", "doc.unknown-table"}, got
    (folder / "notes.txt").write_text("x", encoding="utf-8")
    assert [code for code, _, _ in _problems(folder)] == ["doc.columnar-file"]


def test_meta_json_is_validated_as_a_document(tmp_path: Path) -> None:
    document = _seed()
    del document["meta"]["department"]
    folder = write_columnar(document, tmp_path / "doc")
    got = _problems(folder)
    assert got == [("doc.required", f"{folder} /meta/department", got[0][2])]


def test_a_corrupt_or_oversized_table_file(tmp_path: Path) -> None:
    folder = write_columnar(_seed(), tmp_path / "doc")
    table = folder / f"{T3}.parquet"
    size = table.stat().st_size
    batch = load_documents([str(folder)], max_bytes=size - 1)
    assert [d.code for d in batch.diagnostics] == ["input.too-large"]
    table.write_bytes(b"PAR1 not really")
    assert [code for code, _, _ in _problems(folder)] == ["doc.columnar-read"]


def _p2_schema(tmp_path: Path, **row_keywords: Any) -> Path:
    schema = json.loads((P2 / "p2.schema.json").read_text(encoding="utf-8"))
    items = schema["properties"]["tables"]["properties"]["明细表"]["properties"]["rows"]["items"]
    items.update(row_keywords.pop("items", {}))
    for name, prop in row_keywords.items():
        items["properties"][name] = prop
    path = tmp_path / "p2.schema.json"
    path.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    return path


def _p2_folder(tmp_path: Path, frame: pl.DataFrame) -> Path:
    folder = tmp_path / "p2doc"
    folder.mkdir()
    meta = {
        "meta": {
            "department": "基准单位",
            "department_code": "001",
            "year": 2024,
            "kind": "部门预算",
            "unit": "万元",
        }
    }
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    frame.write_parquet(folder / "明细表.parquet")
    return folder


def test_required_columns_nulls_and_value_keywords(tmp_path: Path) -> None:
    schema = _p2_schema(
        tmp_path,
        items={"required": ["a01", "a02"]},
        a01={"type": "number"},
        a03={"type": ["number", "null"], "minimum": 0},
    )
    frame = pl.DataFrame({"a01": [1.0, None, 2.0], "a03": [0.0, -1.5, 3.0]})
    folder = _p2_folder(tmp_path, frame)
    table = folder / "明细表.parquet"
    assert _problems(folder, schema) == [
        ("doc.required-column", str(table), "table 明细表 lacks the required column a02")
    ]
    frame.with_columns(pl.lit(1.0).alias("a02")).write_parquet(table)
    assert _problems(folder, schema) == [
        ("doc.type", f"{table} /tables/明细表/rows/1/a01", "expected a number, got null null"),
        ("doc.minimum", f"{table} /tables/明细表/rows/1/a03", "value -1.5 is below the minimum 0"),
    ]


def test_the_cli_reports_a_bad_columnar_document_with_exit_4(tmp_path: Path) -> None:
    folder = write_columnar(_seed(), tmp_path / "doc")
    table = folder / f"{T3}.parquet"
    pl.read_parquet(table).with_columns(pl.col("合计").cast(pl.String)).write_parquet(table)
    done = subprocess.run(
        [sys.executable, "-m", "checker.cli", "check", str(folder), "--lang", "en", "-q"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    assert "Traceback" not in done.stderr
    assert f"column 合计 of table {T3} is of type String; expected a number" in done.stdout + (
        done.stderr
    )


def test_other_commands_read_a_columnar_document(tmp_path: Path) -> None:
    """validate, explain --document and the template choice read the folder as check does."""
    from checker.documents.registry import first_template

    folder = write_columnar(_seed(), tmp_path / "doc")
    found = first_template([str(folder)])
    assert found is not None and found.name == _seed()["meta"]["template"]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    for args in (["validate", str(folder)], ["explain", "JJ-01", "--document", str(folder)]):
        done = subprocess.run(
            [sys.executable, "-m", "checker.cli", *args, "--lang", "en"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
