"""``rulecheck validate`` through the real entry point (``python -m checker.cli``).

Every bad input: exit 4, a message naming the file and the place, and the
file's bytes unchanged afterwards. Usage errors: exit 2, no traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_run import rulecheck

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
SCHEMA = json.loads((ROOT / "schemas" / "budget-document.schema.json").read_text("utf-8"))
REQUIRED_TABLES: list[str] = SCHEMA["properties"]["tables"]["required"]
T1 = "部门收支总体情况表"
T3 = "部门支出总体情况表"


def minimal_document() -> dict[str, Any]:
    return {
        "meta": {
            "department": "测试局",
            "department_code": "035",
            "year": 2023,
            "kind": "部门预算",
            "unit": "万元",
        },
        "tables": {role: {"name": role, "rows": []} for role in REQUIRED_TABLES},
    }


def dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def acceptance_document() -> dict[str, Any]:
    doc = minimal_document()
    doc["tables"][T1]["rows"] = [
        {"收支": "收入", "项目": "本年收入合计", "金额": 4708.93},
        {"收支": "收入", "项目": "收入总计", "金额": "4,708.93"},
    ]
    doc["tables"][T3]["rows"] = [{"名称": "合计", "合计": 1.0, "基本支出小计": 1.0}]
    del doc["tables"]["项目支出表"]
    return doc


# --------------------------------------------------------------------------- valid


def test_valid_documents_exit_0_with_a_summary(tmp_path: Path) -> None:
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_bytes(dump(minimal_document()))
    proc = rulecheck("validate", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "2 个文件, 2 个有效, 0 个无效"
    proc = rulecheck("validate", "--lang", "en", str(tmp_path / "*.json"))
    assert proc.returncode == 0 and proc.stdout.strip() == "2 files, 2 valid, 0 invalid"


@pytest.mark.skipif(not SEED.exists(), reason="seed transcription not there yet")
def test_the_seed_example_validates() -> None:
    before = SEED.read_bytes()
    proc = rulecheck("validate", str(SEED.relative_to(ROOT)))
    assert proc.returncode == 0, proc.stdout
    assert SEED.read_bytes() == before


# --------------------------------------------------------------------------- invalid


def test_acceptance_all_three_problems_listed_with_pointers(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    data = dump(acceptance_document())
    path.write_bytes(data)
    proc = rulecheck("validate", "bad.json", cwd=tmp_path)
    assert proc.returncode == 4
    lines = proc.stdout.splitlines()
    assert f"bad.json /tables/{T1}/rows/1/金额: 错误: " in proc.stdout
    assert "看起来是数字 4708.93" in proc.stdout and "千分位逗号" in proc.stdout
    assert "bad.json /tables/项目支出表: 错误: 缺少必需的表 项目支出表" in lines
    assert f"bad.json /tables/{T3}/rows/0/基本支出小计: 错误: " in proc.stdout
    assert "  是不是 基本支出.小计？" in lines
    assert lines[-1] == "1 个文件, 0 个有效, 1 个无效"
    assert path.read_bytes() == data

    proc = rulecheck("validate", "--format", "json", "--lang", "en", str(path))
    assert proc.returncode == 4
    report = json.loads(proc.stdout)
    assert report["summary"] == {"files": 1, "documents": 1, "valid": 0, "invalid": 1}
    (entry,) = report["documents"]
    assert entry["path"] == str(path) and entry["id"] == "bad" and entry["valid"] is False
    pointers = {d["location"]["pointer"]: d for d in entry["diagnostics"]}
    assert set(pointers) == {
        f"/tables/{T1}/rows/1/金额",
        "/tables/项目支出表",
        f"/tables/{T3}/rows/0/基本支出小计",
    }
    assert pointers[f"/tables/{T3}/rows/0/基本支出小计"]["hint"] == "did you mean 基本支出.小计?"
    assert "4708.93" in pointers[f"/tables/{T1}/rows/1/金额"]["message"]
    assert all(d["location"]["file"] == str(path) for d in entry["diagnostics"])


BAD_FILES: dict[str, tuple[bytes, str, str]] = {
    # file name: (bytes, code, where the message must point: "line:col" or a pointer)
    "malformed.json": (b'{\n  "meta": {,\n}', "doc.json", "malformed.json:2:12"),
    "latin1.json": (b'{"meta": "caf\xe9"}', "doc.encoding", "latin1.json:1:14"),
    "bom.json": (b'\xef\xbb\xbf{"meta": {}}', "doc.bom", "bom.json:1:1"),
    "duplicate.json": (
        b'{"meta": {"year": 1, "year": 2}}',
        "doc.duplicate-key",
        "duplicate.json /meta/year:",
    ),
    "empty.json": (b"", "doc.empty", "empty.json: 错误: 文件为空"),
    "nan.json": (b'{"tables": {"x": NaN}}', "doc.nan", "nan.json:1:18"),
    "infinity.json": (b'{"a": -Infinity}', "doc.nan", "infinity.json:1:8"),
    "deep.json": (b"[" * 10_000 + b"]" * 10_000, "doc.too-deep", "deep.json:1:"),
    "array.json": (b"[{}]", "doc.not-object", "array.json /:"),
    "scalar.json": (b"42", "doc.not-object", "scalar.json /:"),
    "lines.ndjson": (b'{"meta": 1}\n[1]\n', "doc.not-object", "lines.ndjson:2"),
}


def test_every_bad_input_exits_4_names_file_and_place_and_is_not_modified(tmp_path: Path) -> None:
    for name, (data, _, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "ok.json").write_bytes(dump(minimal_document()))
    proc = rulecheck("validate", "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 4, proc.stderr
    report = json.loads(proc.stdout)
    by_path = {}
    for entry in report["documents"]:
        by_path.setdefault(entry["path"], []).append(entry)
    assert by_path["ok.json"][0]["valid"] is True
    for name, (data, code, _) in BAD_FILES.items():
        entries = by_path[name]
        invalid = [e for e in entries if not e["valid"]]
        assert invalid, name
        diags = [d for e in invalid for d in e["diagnostics"]]
        assert code in [d["code"] for d in diags], (name, diags)
        assert (tmp_path / name).read_bytes() == data, name
    # the text output names file and place the same way, one line each
    proc = rulecheck("validate", *BAD_FILES, cwd=tmp_path)
    assert proc.returncode == 4
    for _, _, where in BAD_FILES.values():
        assert any(line.startswith(where) for line in proc.stdout.splitlines()), (
            where,
            proc.stdout,
        )
    assert proc.stdout.splitlines()[-1] == "11 个文件（12 个文档）, 0 个有效, 12 个无效"


def test_each_bad_input_alone_exits_4(tmp_path: Path) -> None:
    for name in ("malformed.json", "bom.json", "deep.json"):
        data = BAD_FILES[name][0]
        (tmp_path / name).write_bytes(data)
        proc = rulecheck("validate", "--lang", "en", name, cwd=tmp_path)
        assert proc.returncode == 4
        assert proc.stdout.startswith(BAD_FILES[name][2])
        assert proc.stdout.splitlines()[-1] == "1 file, 0 valid, 1 invalid"
        assert (tmp_path / name).read_bytes() == data


def test_max_bytes_rejects_without_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse
    (tmp_path / "small.json").write_bytes(dump(minimal_document()))
    proc = rulecheck("validate", "big.json", "small.json", cwd=tmp_path)
    assert proc.returncode == 4
    assert proc.stdout.startswith("big.json: 错误: 文档过大（209715200 字节")
    proc = rulecheck("validate", "--max-bytes", "100", "small.json", cwd=tmp_path)
    assert proc.returncode == 4 and "--max-bytes" in proc.stdout


# --------------------------------------------------------------------------- inputs


def test_ndjson_directory_glob_and_stdin(tmp_path: Path) -> None:
    doc = json.dumps(minimal_document(), ensure_ascii=False).encode()
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "sub" / "batch.ndjson").write_bytes(doc + b"\n\n" + doc + b"\n")
    (tmp_path / "docs" / "a.json").write_bytes(dump(minimal_document()))
    proc = rulecheck("validate", "docs", cwd=tmp_path)
    assert (
        proc.returncode == 0 and proc.stdout.strip() == "2 个文件（3 个文档）, 3 个有效, 0 个无效"
    )
    proc = rulecheck("validate", "--format", "json", "docs/**/*.ndjson", cwd=tmp_path)
    report = json.loads(proc.stdout)
    assert [(d["id"], d["line"]) for d in report["documents"]] == [
        ("batch.ndjson:1", 1),
        ("batch.ndjson:3", 3),
    ]
    proc = rulecheck("validate", "-", stdin=dump(acceptance_document()))
    assert proc.returncode == 4 and "<stdin> /tables/项目支出表: 错误: " in proc.stdout
    proc = rulecheck("validate", "-", stdin=doc + b"\n" + b"[]\n")
    assert proc.returncode == 4 and "<stdin>:2 /: 错误: " in proc.stdout


def test_other_template_schema(tmp_path: Path) -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["tables"],
        "properties": {
            "tables": {
                "type": "object",
                "properties": {
                    "决算总表": {
                        "type": "object",
                        "properties": {
                            "rows": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {"金额": {"type": ["number", "null"]}},
                                },
                            }
                        },
                    }
                },
            }
        },
    }
    (tmp_path / "s.json").write_text(json.dumps(schema), "utf-8")
    (tmp_path / "d.json").write_text('{"tables": {"决算总表": {"rows": [{"金额": 1.5}]}}}', "utf-8")
    proc = rulecheck("validate", "--schema", "s.json", "d.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = rulecheck("validate", "d.json", cwd=tmp_path)  # against the budget schema
    assert proc.returncode == 4 and "缺少必需的字段 meta" in proc.stdout


# --------------------------------------------------------------------------- usage


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "no-such-file.json"],
        ["validate", "no-such-*.json"],
        ["validate", "--format", "xml", "x.json"],
        ["validate", "--lang", "fr", "x.json"],
        ["validate", "--schema", "missing.schema.json", "x.json"],
        ["validate", "--max-bytes", "0", "x.json"],
        ["validate"],
    ],
)
def test_usage_errors_exit_2_without_traceback(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "x.json").write_bytes(dump(minimal_document()))
    proc = rulecheck(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip()
    if args[-1].startswith("no-such"):
        assert args[-1] in proc.stderr and "找不到" in proc.stderr
