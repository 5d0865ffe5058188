"""checker.documents: reading, validation diagnostics, bad input, frames, exact amounts.

Fixture documents are built here from the schema (every required table, tiny
rows), so these tests do not depend on the transcribed seed document.
"""

from __future__ import annotations

import copy
import io
import json
import os
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.diagnostics import Diagnostic, ExitCode, RulecheckError
from checker.documents import (
    DEFAULT_MAX_BYTES,
    MAX_AMOUNT,
    SCALE,
    Batch,
    from_scaled,
    iter_sources,
    load_documents,
    load_schema,
    parse_document,
    to_scaled,
    unscale,
)
from checker.resources import schema_path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
SCHEMA = json.loads(schema_path().read_text("utf-8"))
REQUIRED_TABLES: list[str] = SCHEMA["properties"]["tables"]["required"]
T1 = "部门收支总体情况表"
T3 = "部门支出总体情况表"


def minimal_document(**meta: Any) -> dict[str, Any]:
    """A valid document: every required table, no rows."""
    return {
        "meta": {
            "department": "测试局",
            "department_code": "035",
            "year": 2023,
            "kind": "部门预算",
            "unit": "万元",
            **meta,
        },
        "tables": {role: {"name": role, "rows": []} for role in REQUIRED_TABLES},
    }


def document_with(t1: list[float | None], t3_rows: int = 0) -> dict[str, Any]:
    doc = minimal_document()
    doc["tables"][T1]["rows"] = [
        {"收支": "收入", "项目": f"第{i}项", "金额": v} for i, v in enumerate(t1)
    ]
    doc["tables"][T3]["rows"] = [
        {"科目编码": "208", "名称": f"科目{i}", "合计": 1.5 + i} for i in range(t3_rows)
    ]
    return doc


def write(path: Path, content: dict[str, Any] | bytes | str) -> Path:
    if isinstance(content, dict):
        content = json.dumps(content, ensure_ascii=False, indent=1)
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def codes(batch: Batch) -> list[str]:
    return [d.code for d in batch.diagnostics]


def only(batch: Batch) -> Diagnostic:
    assert len(batch.diagnostics) == 1, [d.format("en") for d in batch.diagnostics]
    return batch.diagnostics[0]


# --------------------------------------------------------------------------- valid documents


def test_minimal_document_is_valid_and_frames_follow_the_schema(tmp_path: Path) -> None:
    batch = load_documents([str(write(tmp_path / "a.json", minimal_document()))])
    assert batch.valid_count == 1 and batch.invalid_count == 0
    assert batch.diagnostics == []
    assert set(batch.tables) == set(SCHEMA["properties"]["tables"]["properties"])
    for role, frame in batch.tables.items():
        columns = list(
            SCHEMA["properties"]["tables"]["properties"][role]["properties"]["rows"]["items"][
                "properties"
            ]
        )
        assert frame.columns == ["document", "row", *columns]
        assert frame.schema["document"] == pl.UInt32 and frame.schema["row"] == pl.UInt32
        assert frame.height == 0
    amounts = batch.table(T3).select(pl.selectors.by_dtype(pl.Int64)).columns
    assert "合计" in amounts and "基本支出.小计" in amounts
    assert batch.table(T3).schema["科目编码"] == pl.String
    docs = batch.documents
    assert docs.columns[:4] == ["document", "id", "path", "line"]
    assert docs.row(0, named=True) | {} == docs.row(0, named=True)
    assert docs["id"].to_list() == ["a"] and docs["department"].to_list() == ["测试局"]
    assert docs["year"].to_list() == [2023]
    assert batch.statements.columns[:3] == ["document", "name", "value"]


def test_meta_id_is_the_document_id(tmp_path: Path) -> None:
    batch = load_documents([str(write(tmp_path / "a.json", minimal_document(id="红旗区-2023")))])
    assert batch.documents["id"].to_list() == ["红旗区-2023"]
    assert batch.statuses[0].id == "红旗区-2023"


def test_amounts_are_exact_scaled_integers(tmp_path: Path) -> None:
    doc = document_with([0.1, 0.2, 0.3, 4708.93, None, -12.5, 7])
    batch = load_documents([str(write(tmp_path / "a.json", doc))])
    amounts = batch.table(T1)["金额"]
    assert amounts.dtype == pl.Int64
    assert amounts.to_list() == [1000, 2000, 3000, 47089300, None, -125000, 70000]
    assert amounts[0] + amounts[1] == amounts[2]  # 0.1 + 0.2 == 0.3, exactly
    assert batch.table(T1).select(pl.col("金额").head(2).sum()).item() == to_scaled(0.3)
    assert from_scaled(47089300) == Decimal("4708.93")
    assert from_scaled(70000) == Decimal(7) and str(from_scaled(70000)) == "7"
    assert pl.select(unscale(pl.lit(47089300))).item() == 4708.93
    assert to_scaled(4708.93) == 47089300 and SCALE == 10_000


def test_statements_frame(tmp_path: Path) -> None:
    doc = minimal_document()
    doc["statements"] = {
        "收支总体.收入总计": {"value": 4736.03, "unit": "万元", "line": 81},
        "基本支出占比": {"value": 18.76, "unit": "%", "wording": "增长"},
    }
    batch = load_documents([str(write(tmp_path / "a.json", doc))])
    st_ = batch.statements
    assert st_.columns[:6] == ["document", "name", "value", "unit", "wording", "text"]
    assert st_["name"].to_list() == ["收支总体.收入总计", "基本支出占比"]
    assert st_["value"].to_list() == [47360300, 187600]
    assert st_["wording"].to_list() == [None, "增长"]
    assert st_["line"].to_list() == [81, None]


def test_many_documents_share_one_frame_per_table(tmp_path: Path) -> None:
    write(tmp_path / "a.json", document_with([1.0, 2.0], t3_rows=1))
    write(tmp_path / "b.json", b"{ not json")
    write(tmp_path / "c.json", document_with([3.0, 4.0, 5.0]))
    write(tmp_path / "d.json", minimal_document())
    batch = load_documents([str(tmp_path)])
    assert [s.valid for s in batch.statuses] == [True, False, True, True]
    assert [s.document for s in batch.statuses] == [0, 1, 2, 3]
    t1 = batch.table(T1)
    assert t1["document"].to_list() == [0, 0, 2, 2, 2]
    assert t1["row"].to_list() == [0, 1, 0, 1, 2]
    assert t1["金额"].to_list() == [10000, 20000, 30000, 40000, 50000]
    assert batch.table(T3)["document"].to_list() == [0]
    assert batch.documents["document"].to_list() == [0, 2, 3]  # the invalid one is dropped
    assert batch.documents["id"].to_list() == ["a", "c", "d"]
    info = batch.table_info.filter(pl.col("table") == T1)
    assert info["document"].to_list() == [0, 2, 3] and info["rows"].to_list() == [2, 3, 0]


def test_frames_are_built_in_chunks_with_the_same_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(5):
        write(tmp_path / f"{i}.json", document_with([float(i)] * (i % 3), t3_rows=i % 2))
    whole = load_documents([str(tmp_path)])
    monkeypatch.setattr("checker.documents.batches.CHUNK_DOCUMENTS", 2)
    chunked = load_documents([str(tmp_path)])
    for role in whole.tables:
        assert whole.tables[role].equals(chunked.tables[role])
    assert whole.documents.equals(chunked.documents)
    assert whole.table_info.equals(chunked.table_info)


# --------------------------------------------------------------------------- schema violations


def test_acceptance_string_cell_missing_table_misspelled_column(tmp_path: Path) -> None:
    doc = document_with([1.0, 2.0], t3_rows=1)
    doc["tables"][T1]["rows"][1]["金额"] = "4,708.93"
    del doc["tables"]["项目支出表"]
    doc["tables"][T3]["rows"][0]["基本支出小计"] = 1.0
    batch = load_documents([str(write(tmp_path / "bad.json", doc))])
    assert batch.invalid_count == 1
    found = {d.code: d for d in batch.diagnostics}
    assert set(found) == {"doc.number-with-commas", "doc.required-table", "doc.unknown-column"}
    cell = found["doc.number-with-commas"]
    assert cell.location.pointer == f"/tables/{T1}/rows/1/金额"
    assert "4708.93" in cell.message("zh") and "千分位" in cell.message("zh")
    assert "4708.93" in cell.message("en")
    missing = found["doc.required-table"]
    assert missing.location.pointer == "/tables/项目支出表" and "项目支出表" in missing.message()
    column = found["doc.unknown-column"]
    assert column.location.pointer == f"/tables/{T3}/rows/0/基本支出小计"
    assert column.hint_message("zh") == "是不是 基本支出.小计？"
    assert column.hint_message("en") == "did you mean 基本支出.小计?"
    assert all(d.location.file.endswith("bad.json") for d in batch.diagnostics)
    assert all(frame.height == 0 for frame in batch.tables.values())


@pytest.mark.parametrize(
    ("value", "code", "needle"),
    [
        ("4708.93", "doc.number-as-string", "4708.93"),
        ("１，２３４.５", "doc.number-with-commas", "1234.5"),
        ("-", "doc.blank-as-string", "null"),
        ("abc", "doc.type", "abc"),
        (True, "doc.type", "true"),
    ],
)
def test_wrong_cell_types(tmp_path: Path, value: object, code: str, needle: str) -> None:
    doc = document_with([1.0])
    doc["tables"][T1]["rows"][0]["金额"] = value
    diag = only(load_documents([str(write(tmp_path / "a.json", doc))]))
    assert diag.code == code and needle in diag.message("en")
    assert diag.location.pointer == f"/tables/{T1}/rows/0/金额"


def test_unknown_table_alias_and_meta_problems(tmp_path: Path) -> None:
    doc = minimal_document()
    doc["tables"]["收支总表"] = doc["tables"].pop(T1)
    doc["meta"]["unit"] = "千元"
    doc["meta"]["department_code"] = "35"
    doc["meta"]["deparment"] = "x"
    doc["tables"][T3]["nme"] = "x"
    batch = load_documents([str(write(tmp_path / "a.json", doc))])
    by_pointer = {d.location.pointer: d for d in batch.diagnostics}
    assert by_pointer["/tables/收支总表"].code == "doc.unknown-table"
    assert T1 in (by_pointer["/tables/收支总表"].hint_message("zh") or "")
    assert by_pointer[f"/tables/{T1}"].code == "doc.required-table"
    assert by_pointer["/meta/unit"].code == "doc.enum"
    assert by_pointer["/meta/department_code"].code == "doc.pattern"
    assert by_pointer["/meta/deparment"].code == "doc.unknown-key"
    assert by_pointer["/meta/deparment"].hint_message("en") == "did you mean department?"
    assert by_pointer[f"/tables/{T3}/nme"].hint_message("en") == "did you mean name?"


def test_all_violations_are_reported_in_document_order(tmp_path: Path) -> None:
    doc = document_with([1.0] * 5)
    for i in (4, 0, 2):
        doc["tables"][T1]["rows"][i]["金额"] = "x"
    batch = load_documents([str(write(tmp_path / "a.json", doc))])
    assert [d.location.pointer for d in batch.diagnostics] == [
        f"/tables/{T1}/rows/{i}/金额" for i in (0, 2, 4)
    ]


def test_more_than_four_decimals_is_rejected_and_dropped(tmp_path: Path) -> None:
    write(tmp_path / "a.json", document_with([1.0, 0.00005]))
    write(tmp_path / "b.json", document_with([2.0]))
    batch = load_documents([str(tmp_path)])
    diag = only(batch)
    assert diag.code == "doc.decimals"
    assert diag.location.pointer == f"/tables/{T1}/rows/1/金额"
    assert diag.location.file.endswith("a.json")
    assert [s.valid for s in batch.statuses] == [False, True]
    assert batch.table(T1)["document"].to_list() == [1]
    assert batch.documents["document"].to_list() == [1]


def test_amount_too_large_for_exact_arithmetic(tmp_path: Path) -> None:
    doc = document_with([float(MAX_AMOUNT) * 10])
    doc["statements"] = {"x": {"value": 1e300}}
    batch = load_documents([str(write(tmp_path / "a.json", doc))])
    assert codes(batch) == ["doc.amount-range", "doc.amount-range"]
    assert batch.diagnostics[1].location.pointer == "/statements/x/value"


def test_values_with_four_decimals_pass() -> None:
    from checker.documents.amounts import _inexact

    for text in ("0.0001", "4708.93", "123456789.1234", "900719925474.0991", "-0.3"):
        assert not _inexact(float(text)), text
    for text in ("0.00005", "1.23456", "4708.930001"):
        assert _inexact(float(text)), text


# --------------------------------------------------------------------------- bad input


BAD_INPUTS: list[tuple[str, bytes, str, tuple[int | None, int | None] | str]] = [
    # name, bytes, code, (line, column) or pointer
    ("malformed", b'{\n  "meta": {,\n}', "doc.json", (2, 12)),
    ("trailing-comma", b'{"a": 1,}', "doc.json", (1, 8)),
    ("empty", b"", "doc.empty", (None, None)),
    ("whitespace", b"  \n\t\n", "doc.empty", (None, None)),
    ("bom", b'\xef\xbb\xbf{"meta": {}}', "doc.bom", (1, 1)),
    ("latin1", b'{"meta":\n {"department": "caf\xe9"}}', "doc.encoding", (2, 21)),
    ("gbk", '{"meta": "财政"}'.encode("gbk"), "doc.encoding", (1, 11)),
    ("nan", b'{"meta": {"x": NaN}}', "doc.nan", (1, 16)),
    ("infinity", b'{"a": [1, Infinity]}', "doc.nan", (1, 11)),
    ("minus-infinity", b'{"a": -Infinity}', "doc.nan", (1, 8)),
    ("huge-number", b'{"a": 1e999}', "doc.json", (1, 7)),
    ("deep", b"[" * 10_000 + b"]" * 10_000, "doc.too-deep", (1, 1026)),
    ("deep-objects", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "doc.too-deep", (1, None)),
    ("array", b"[1, 2]", "doc.not-object", ""),
    ("scalar", b'"text"', "doc.not-object", ""),
    ("duplicate", b'{"meta": {"year": 2023, "year": 2024}}', "doc.duplicate-key", "/meta/year"),
]


@pytest.mark.parametrize(
    ("name", "data", "code", "where"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_is_one_clear_diagnostic(
    tmp_path: Path, name: str, data: bytes, code: str, where: tuple[int | None, int | None] | str
) -> None:
    path = write(tmp_path / f"{name}.json", data)
    batch = load_documents([str(path)])
    diag = only(batch)
    assert diag.code == code, diag.format("en")
    assert diag.location.file == str(path)
    if isinstance(where, str):
        assert diag.location.pointer == where
    else:
        line, column = where
        assert diag.location.line == line
        if column is not None:
            assert diag.location.column == column
    assert batch.invalid_count == 1 and batch.documents.height == 0
    assert path.read_bytes() == data
    for lang in ("zh", "en"):
        assert diag.message(lang) and "{" not in diag.message(lang).replace("{…}", "")


def test_bad_input_messages_say_what_is_wrong() -> None:
    def message(data: bytes) -> str:
        return parse_document(data, "f.json")[1][0].message("zh")

    assert "BOM" in message(b"\xef\xbb\xbf{}")
    assert "NaN" in message(b'{"a": NaN}')
    assert "UTF-8" in message(b'{"a": "\xff"}')
    assert "重复" in message(b'{"a": 1, "a": 2}')
    gbk = parse_document('{"a": "财政"}'.encode("gbk"), "f.json")[1][0]
    assert gbk.hint_message("zh") and "GBK" in (gbk.hint_message("zh") or "")
    assert "对象" in message(b"[]")
    assert "syntax" not in message(b"{,}") and "malformed" in parse_document(b"{,}", "f")[1][
        0
    ].message("en")


def test_duplicate_keys_deep_and_whitespace_variants() -> None:
    data = b'{"tables": {"T": {"rows": [{"a": 1, "b" : 2, "a" :3}]}}, "x": "a:b"}'
    obj, diags = parse_document(data, "f.json")
    assert obj is None
    assert [(d.code, d.location.pointer) for d in diags] == [
        ("doc.duplicate-key", "/tables/T/rows/0/a")
    ]
    # colons inside strings and spaced keys without duplicates are fine
    fine = b'{"url": "https://x.cn/a:b", "t" : "10:30", "n": {"k" :\n 1}}'
    assert parse_document(fine, "f.json")[1] == []
    assert parse_document(b'{"k": "\\u003a"}', "f.json")[1] == []


# Each case: (bytes, the duplicates parse_document must report as (pointer, key)).
DUPLICATE_CASES: list[tuple[bytes, list[tuple[str, str]]]] = [
    # whitespace before a colon hides a key token from a count of '":' ...
    (b'{"a": 1, "b" : 2, "a": 3}', [("/a", "a")]),
    (b'{"a"\n: 1, "b"\t:2, "a"\r\n:3}', [("/a", "a")]),
    (b'{"a":1,"b"  :2,"c":3,"c":4}', [("/c", "c")]),
    # ... colons inside strings (and a key holding one) add colons that are no key ...
    (b'{"t": "10:30", "u": "https://x.cn/a:b", "t": "x"}', [("/t", "t")]),
    (b'{"a:b": 1, "a:b": 2}', [("/a:b", "a:b")]),
    (b'{"s": ":starts with a colon", "k": 1, "k": 2}', [("/k", "k")]),
    # ... so do escaped quotes followed by a colon, and an escaped colon hides one
    (b'{"q": "say \\":\\" here", "k": 1, "k": 2}', [("/k", "k")]),
    (b'{"q\\":": 1, "q\\":": 2}', [('/q":', 'q":')]),
    (b'{"a": 1, "a": 2, "b": "\\u003a"}', [("/a", "a")]),
    (b'{"a\\u003a": 1, "a:": 2}', [("/a:", "a:")]),
    # duplicates nested in rows, in cells, in arrays, and in several places at once
    (
        b'{"tables": {"T": {"rows": [{"x": 1, "y" : "p:q", "x": 3}, {"x": 1}]}}}',
        [("/tables/T/rows/0/x", "x")],
    ),
    (b'{"tables": {"T": {"rows": [{"c": {"k": 1, "k": 2}}]}}}', [("/tables/T/rows/0/c/k", "k")]),
    (b'{"meta": {"source": {"n": [{"k": 1, "k": 2}]}}}', [("/meta/source/n/0/k", "k")]),
    (b'{"statements": {"s": {"value": 1, "value" :2}}}', [("/statements/s/value", "value")]),
    (b'{"tables": {"T": {"rows": [1, "a", {"k": 1}]}}, "tables": 2}', [("/tables", "tables")]),
    (b'{"x": [{"k": 1, "k": 2}], "y": {"k": 1, "k": 2}}', [("/x/0/k", "k"), ("/y/k", "k")]),
    # no duplicates: the same traps must not invent one
    (b'{"a" : 1, "b"\n:\n"10:30", "c": "\\":", "d": ":", "e": {"a" : "\\u003a"}}', []),
    (b'{"tables": {"T": {"rows": [{"x": "a:b", "y" : 1}, {"x": ":"}]}}}', []),
]


@pytest.mark.parametrize(("data", "expected"), DUPLICATE_CASES)
def test_duplicate_keys_are_never_missed(data: bytes, expected: list[tuple[str, str]]) -> None:
    json.loads(data)  # well-formed
    obj, diags = parse_document(data, "f.json")
    assert [(d.location.pointer, d.args["key"]) for d in diags] == expected
    assert all(d.code == "doc.duplicate-key" for d in diags)
    assert (obj is None) == bool(expected)


def _key_pairs(data: bytes) -> list[tuple[str, str]]:
    """The oracle: every duplicated key, from the standard library's view of all key tokens
    (within the values a parser keeps: the last of a repeated key's values)."""
    found: list[tuple[str, str]] = []

    def walk(path: str, node: Any) -> None:
        if isinstance(node, list) and node and node[0] == "__object__":
            kept: dict[str, Any] = {}
            for key, value in node[1:]:
                pointer = f"{path}/{key.replace('~', '~0').replace('/', '~1')}"
                if key in kept and (pointer, key) not in found:
                    found.append((pointer, key))
                kept[key] = value
            for key, value in kept.items():
                walk(f"{path}/{key.replace('~', '~0').replace('/', '~1')}", value)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(f"{path}/{i}", value)

    walk("", json.loads(data, object_pairs_hook=lambda pairs: ["__object__", *pairs]))
    return sorted(found)


_KEYS = st.sampled_from(["a", "b", "rows", "meta", "tables", "statements", "k:v", 'q"', "值"])
_SPACES = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n ", "  "])
_LEAVES = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.sampled_from(["", ":", "a:b", '":', '\\":', "10 : 30", "\u003a", "表：一"]),
)


@st.composite
def _spaced_json(draw: st.DrawFn, depth: int = 0) -> str:
    """JSON text with random whitespace everywhere (before colons too) and maybe repeated keys."""
    kind = draw(st.sampled_from(["leaf", "list", "object", "object"] if depth < 4 else ["leaf"]))
    if kind == "leaf":
        return json.dumps(draw(_LEAVES), ensure_ascii=draw(st.booleans()))
    if kind == "list":
        items = draw(st.lists(_spaced_json(depth + 1), max_size=3))
        return "[" + ",".join(draw(_SPACES) + item + draw(_SPACES) for item in items) + "]"
    keys = draw(st.lists(_KEYS, max_size=4))  # a key may repeat
    members = [
        draw(_SPACES)
        + json.dumps(key, ensure_ascii=draw(st.booleans()))
        + draw(_SPACES)
        + ":"
        + draw(_SPACES)
        + draw(_spaced_json(depth + 1))
        for key in keys
    ]
    return "{" + ",".join(members) + draw(_SPACES) + "}"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_spaced_json(), st.booleans())
def test_duplicate_keys_match_an_exact_oracle(text: str, as_document: bool) -> None:
    if as_document:  # shaped like a document, so the cheap gate is the one deciding
        text = f'{{"meta": {{"source": {text}}}, "tables": {{"T": {{"rows": [{text}]}}}}}}'
    elif not text.startswith("{"):
        text = f'{{"x": {text}}}'
    data = text.encode()
    expected = _key_pairs(data)
    obj, diags = parse_document(data, "f.json")
    assert [(d.location.pointer, d.args["key"]) for d in diags] == expected
    assert (obj is None) == bool(expected)


def test_duplicate_keys_at_the_nesting_limit() -> None:
    depth = 1000  # orjson accepts up to 1024 levels: the exact check must look at them too
    data = b'{"a":' * depth + b'{"k": 1, "k": 2}' + b"}" * depth
    obj, diags = parse_document(data, "f.json")
    assert obj is None and [d.args["key"] for d in diags] == ["k"]
    assert diags[0].location.pointer == "/a" * depth + "/k"


def test_duplicate_keys_in_a_loaded_batch(tmp_path: Path) -> None:
    """Through load_documents (chunks, statuses) the same duplicates are found."""
    for i, (data, _) in enumerate(DUPLICATE_CASES):
        write(tmp_path / f"{i:02}.json", data)
    write(tmp_path / "spaced.json", json.dumps(minimal_document(), indent=1).replace('":', '" :'))
    batch = load_documents([str(tmp_path)])
    dup = "doc.duplicate-key"
    found = [
        [(d.location.pointer, d.args["key"]) for d in s.diagnostics if d.code == dup]
        for s in batch.statuses
    ]
    assert found == [expected for _, expected in DUPLICATE_CASES] + [[]]
    assert batch.statuses[-1].valid


def test_document_larger_than_limit_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:  # sparse: 200 MB without writing them
        handle.truncate(200 * 1024 * 1024)
    tracemalloc.start()
    try:
        batch = load_documents([str(big)])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    diag = only(batch)
    assert diag.code == "doc.too-large" and str(DEFAULT_MAX_BYTES) in diag.message("en")
    assert peak < 20 * 1024 * 1024
    small = write(tmp_path / "small.json", minimal_document())
    assert only(load_documents([str(small)], max_bytes=100)).code == "doc.too-large"


def test_ndjson_line_larger_than_limit(tmp_path: Path) -> None:
    line = orjson.dumps(minimal_document())
    path = write(tmp_path / "d.ndjson", line + b"\n" + b'{"x": "' + b"y" * 5000 + b'"}\n' + line)
    batch = load_documents([str(path)], max_bytes=len(line) + 10)
    assert [s.valid for s in batch.statuses] == [True, False, True]
    diag = only(batch)
    assert diag.code == "doc.too-large" and diag.location.line == 2


# --------------------------------------------------------------------------- worker processes


def _mixed_batch(folder: Path) -> None:
    """Valid and invalid documents of every kind, in .json files and an NDJSON file."""
    for i in range(7):
        write(folder / f"ok{i}.json", document_with([float(i), 0.25], t3_rows=i % 3))
    write(folder / "bad-json.json", b'{"meta": ')
    write(folder / "dup.json", b'{"meta": {"year": 2023, "year" : 2024}}')
    schema_bad = document_with([1.0])
    schema_bad["tables"][T1]["rows"][0]["金额"] = "1,234.5"
    write(folder / "schema-bad.json", schema_bad)
    write(folder / "decimals.json", document_with([1.0, 0.00005]))
    both = document_with([1.0, 0.00005])  # a cell with 5 decimals and a value beyond Int64
    both["statements"] = {"x": {"value": 1.5, "line": 2**70}, "y": {"value": 1e300}}
    write(folder / "frame.json", both)
    spaced = json.dumps(minimal_document(id="spaced"), ensure_ascii=False, indent=2)
    write(folder / "spaced.json", spaced.replace('":', '" :'))
    lines = [orjson.dumps(document_with([2.0])), b"[1]", orjson.dumps(minimal_document())]
    write(folder / "lines.ndjson", b"\n".join(lines) + b"\n")


def _same_batch(one: Batch, two: Batch) -> None:
    assert one.statuses == two.statuses
    assert one.files == two.files
    for role in one.tables:
        assert one.tables[role].equals(two.tables[role]), role
    assert one.documents.equals(two.documents)
    assert one.table_info.equals(two.table_info)
    assert one.statements.equals(two.statements)


def test_worker_processes_give_the_same_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mixed_batch(tmp_path)
    monkeypatch.setattr("checker.documents.batches.CHUNK_DOCUMENTS", 4)
    here = load_documents([str(tmp_path)], jobs=1)
    monkeypatch.setattr("checker.documents.batches.PARALLEL_CHUNK_DOCUMENTS", 3)
    workers = load_documents([str(tmp_path)], jobs=2)
    _same_batch(here, workers)
    assert [s.document for s in workers.statuses] == list(range(len(workers.statuses)))
    assert here.valid_count == 10 and here.invalid_count == 6
    frame = {s.path.rsplit("/", 1)[-1]: s for s in here.statuses}["frame.json"]
    assert [(d.code, d.location.pointer) for d in frame.diagnostics] == [
        ("doc.decimals", f"/tables/{T1}/rows/1/金额"),  # sections in document order:
        ("doc.frame", "/statements"),  # tables, then statements (given as nulls: no more)
    ]
    assert "1.1806e21" in frame.diagnostics[1].message("en")


def test_workers_start_only_for_large_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from checker.documents import batches

    _mixed_batch(tmp_path)
    here = load_documents([str(tmp_path)], jobs=1)
    started: list[int] = []
    real = batches._iter_parallel

    def spy(*args: Any, **kwargs: Any) -> Any:
        started.append(args[-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(batches, "_iter_parallel", spy)
    _same_batch(here, load_documents([str(tmp_path)]))  # 16 documents: loaded here
    assert started == []
    monkeypatch.setattr(batches, "PARALLEL_MIN_BYTES", 5_000)
    monkeypatch.setattr(batches, "_workers", lambda jobs: 2)
    _same_batch(here, load_documents([str(tmp_path)]))
    assert started == [2]


def test_worker_processes_end_with_the_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 20: the loading workers are gone (killed and reaped) once the documents are
    loaded, and once a consumer stops after the first batch, not some time later."""
    import multiprocessing

    from checker.documents import batches, iter_batches

    _mixed_batch(tmp_path)
    monkeypatch.setattr(batches, "PARALLEL_CHUNK_DOCUMENTS", 2)
    load_documents([str(tmp_path)], jobs=2)
    assert multiprocessing.active_children() == []
    stream = iter_batches([str(tmp_path)], size=2, jobs=2)
    next(stream)
    assert multiprocessing.active_children(), "no worker process was started"
    stream.close()  # the consumer stops early
    assert multiprocessing.active_children() == []


def _die(*args: object) -> None:
    os._exit(3)


def test_a_broken_worker_pool_falls_back_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mixed_batch(tmp_path)
    here = load_documents([str(tmp_path)], jobs=1)
    # every worker dies at start
    monkeypatch.setattr("checker.documents.batches._init_worker", _die)
    monkeypatch.setattr("checker.documents.batches.PARALLEL_CHUNK_DOCUMENTS", 2)
    _same_batch(here, load_documents([str(tmp_path)], jobs=2))


# --------------------------------------------------------------------------- sources


def test_ndjson_documents_are_identified_by_file_and_line(tmp_path: Path) -> None:
    lines = [
        orjson.dumps(document_with([1.0])),
        b"",
        orjson.dumps(document_with([2.0, 3.0])),
        b"[1, 2]",
        b'{"meta": 1,}',
    ]
    path = write(tmp_path / "batch.ndjson", b"\n".join(lines) + b"\n")
    batch = load_documents([str(path)])
    assert [(s.id, s.line, s.valid) for s in batch.statuses] == [
        ("batch.ndjson:1", 1, True),
        ("batch.ndjson:3", 3, True),
        ("batch.ndjson:4", 4, False),
        ("batch.ndjson:5", 5, False),
    ]
    assert [(d.code, d.location.line) for d in batch.diagnostics] == [
        ("doc.not-object", 4),
        ("doc.json", 5),
    ]
    assert batch.diagnostics[1].location.column == 11  # the comma
    assert batch.documents["line"].to_list() == [1, 3]
    assert batch.table(T1)["document"].to_list() == [0, 1, 1]
    assert batch.table(T1)["row"].to_list() == [0, 0, 1]


def test_directories_recurse_sorted_and_globs_expand(tmp_path: Path) -> None:
    for name in ("b.json", "a.json", "sub/c.jsonl", "sub/deeper/d.ndjson", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        write(tmp_path / name, minimal_document() if name.endswith(".json") else b"{}")
    names = [Path(s.name).relative_to(tmp_path).as_posix() for s in iter_sources([str(tmp_path)])]
    assert names == ["a.json", "b.json", "sub/c.jsonl", "sub/deeper/d.ndjson"]
    modes = [s.mode for s in iter_sources([str(tmp_path)])]
    assert modes == ["json", "json", "ndjson", "ndjson"]
    globbed = iter_sources([str(tmp_path / "*.json"), str(tmp_path / "a.json")])
    assert [Path(s.name).name for s in globbed] == ["a.json", "b.json"]  # named twice, read once
    recursive = iter_sources([str(tmp_path / "**" / "*.ndjson")])
    assert [Path(s.name).name for s in recursive] == ["d.ndjson"]


def test_paths_that_match_nothing_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(RulecheckError) as caught:
        iter_sources(
            [str(tmp_path / "missing.json"), str(tmp_path / "*.nothing"), str(tmp_path / "empty")]
        )
    assert caught.value.exit_code == ExitCode.USAGE
    assert [d.code for d in caught.value.diagnostics] == [
        "doc.not-found",
        "doc.not-found",
        "doc.no-files",
    ]
    assert "missing.json" in caught.value.diagnostics[0].message("zh")
    with pytest.raises(RulecheckError):
        load_documents([])


def test_stdin_json_and_ndjson() -> None:
    pretty = json.dumps(document_with([1.5]), ensure_ascii=False, indent=2).encode()
    batch = load_documents(["-"], stdin=io.BytesIO(pretty))
    assert [(s.path, s.id, s.line, s.valid) for s in batch.statuses] == [
        ("<stdin>", "stdin", None, True)
    ]
    ndjson = b"\n" + orjson.dumps(document_with([1.0])) + b"\n\n" + orjson.dumps(minimal_document())
    batch = load_documents(["-"], stdin=io.BytesIO(ndjson))
    assert [(s.id, s.line) for s in batch.statuses] == [("<stdin>:2", 2), ("<stdin>:4", 4)]
    assert batch.valid_count == 2
    broken = load_documents(["-"], stdin=io.BytesIO(b'{\n "meta": [}\n'))
    assert only(broken).code == "doc.json" and only(broken).location.line == 2


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", minimal_document())
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):  # running as root: permissions do not apply
            pytest.skip("root can read any file")
        assert only(load_documents([str(path)])).code == "doc.read-error"
    finally:
        path.chmod(0o644)


# --------------------------------------------------------------------------- other templates


OTHER_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["meta", "tables"],
    "properties": {
        "meta": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "年度": {"type": "integer"}},
        },
        "tables": {
            "type": "object",
            "required": ["决算总表"],
            "additionalProperties": False,
            "properties": {
                "决算总表": {
                    "type": "object",
                    "properties": {
                        "rows": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "项目": {"type": ["string", "null"]},
                                    "年初结转和结余": {"type": ["number", "null"]},
                                },
                            },
                        }
                    },
                }
            },
        },
    },
}


def test_another_template_schema_needs_no_code_change(tmp_path: Path) -> None:
    schema = write(tmp_path / "other.schema.json", json.dumps(OTHER_SCHEMA))
    doc = {
        "meta": {"年度": 2022},
        "tables": {"决算总表": {"rows": [{"项目": "合计", "年初结转和结余": 12.34}]}},
    }
    batch = load_documents([str(write(tmp_path / "x.json", doc))], schema=str(schema))
    assert batch.valid_count == 1
    frame = batch.table("决算总表")
    assert frame.columns == ["document", "row", "项目", "年初结转和结余"]
    assert frame["年初结转和结余"].to_list() == [123400]
    assert batch.documents["年度"].to_list() == [2022]
    budget = load_documents(
        [str(write(tmp_path / "y.json", minimal_document()))], schema=str(schema)
    )
    assert {d.code for d in budget.diagnostics} >= {"doc.required-table", "doc.unknown-table"}


def test_bad_schema_file_is_a_usage_error(tmp_path: Path) -> None:
    for content in (b"{", b"[]", b'{"type": 12}'):
        schema = write(tmp_path / "s.json", content)
        with pytest.raises(RulecheckError) as caught:
            load_schema(str(schema))
        assert caught.value.exit_code == ExitCode.USAGE
        assert caught.value.diagnostics[0].code == "doc.schema-file"
    with pytest.raises(RulecheckError):
        load_schema(str(tmp_path / "missing.schema.json"))


# --------------------------------------------------------------------------- the seed


@pytest.mark.skipif(not SEED.exists(), reason="seed transcription not there yet")
def test_seed_document_validates_and_loads() -> None:
    before = SEED.read_bytes()
    batch = load_documents([str(SEED)])
    assert batch.diagnostics == [], [d.format("en") for d in batch.diagnostics]
    assert batch.documents.height == 1
    assert batch.table(T1).height > 0
    assert all(f.schema[c] == pl.Int64 for f in (batch.table(T1),) for c in ["金额"])
    assert SEED.read_bytes() == before


# --------------------------------------------------------------------------- fuzz

_SPEC = load_schema()


def _never_raises(data: bytes) -> list[Diagnostic]:
    obj, diags = parse_document(data, "fuzz.json")
    if obj is not None and not _SPEC.is_valid(obj):
        diags = _SPEC.explain(obj, "fuzz.json")
    for diag in diags:
        diag.format("zh")
        diag.format("en")
    return diags


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_fuzz_random_bytes_only_diagnostics(data: bytes) -> None:
    _never_raises(data)


_VALID = orjson.dumps(document_with([1.0, 2.5], t3_rows=2))

_MUTATIONS: list[Callable[[bytearray, int, int], None]] = [
    lambda b, i, x: b.__delitem__(i),
    lambda b, i, x: b.insert(i, x),
    lambda b, i, x: b.__setitem__(i, x),
    lambda b, i, x: b.insert(i, b'"{}[],:0-.eE\\ntf'[x % 16]),
]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, len(_VALID) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    )
)
def test_fuzz_mutated_documents_only_diagnostics(edits: list[tuple[int, int, int]]) -> None:
    data = bytearray(_VALID)
    for op, position, byte in edits:
        _MUTATIONS[op](data, min(position, len(data) - 1), byte)
    _never_raises(bytes(data))


_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["meta", "tables", "statements", "cell", "row", "table"]), _JSON_VALUES)
def test_fuzz_structural_replacements_only_diagnostics(where: str, value: object) -> None:
    doc = copy.deepcopy(document_with([1.0], t3_rows=1))
    if where == "cell":
        doc["tables"][T1]["rows"][0]["金额"] = value
    elif where == "row":
        doc["tables"][T1]["rows"][0] = value
    elif where == "table":
        doc["tables"][T3] = value
    else:
        doc[where] = value
    try:
        data = orjson.dumps(doc, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # integers beyond 64 bits
        data = json.dumps(doc).encode()
    _never_raises(data)


def test_fuzz_through_the_loader(tmp_path: Path) -> None:
    """A few mutated files through load_documents: frames still build, nothing raises."""
    import random

    rnd = random.Random(7)
    for i in range(40):
        data = bytearray(_VALID)
        for _ in range(rnd.randint(0, 3)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        write(tmp_path / f"{i:02}.json", bytes(data))
    batch = load_documents([str(tmp_path)])
    assert len(batch.statuses) == 40
    assert batch.documents.height == batch.valid_count
