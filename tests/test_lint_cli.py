"""``rulecheck lint`` through the real entry point (``python -m checker.cli``), and its renderer.

The acceptance test of issue 3: changing one character of a table or column
name in a shipped rule file makes ``lint`` exit 3, point at the name's
line:col and offer the original name in "did you mean".
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_run import rulecheck

from checker.ast import Aggregate, CellRef, ColumnRef, InColumn, IsEmpty, Rollup, Rule, Span
from checker.diagnostics import Location
from checker.lint import SourceCache, lint, render_diagnostic, render_text
from checker.resolve import load_ruleset
from checker.syntax import iter_children, parse_file

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / "rulesets" / "部门预算"


def copy_ruleset(tmp_path: Path) -> Path:
    target = tmp_path / "部门预算"
    shutil.copytree(RULESET, target)
    return target


# --------------------------------------------------------------------------- the shipped rulesets


def test_lint_shipped_rulesets_exits_0() -> None:
    proc = rulecheck("lint", "rulesets")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 个错误" in proc.stdout
    proc = rulecheck("lint", "--lang", "en", "--format", "json", str(RULESET / "ruleset.rules"))
    assert proc.returncode == 0
    payload = json.loads(proc.stdout)
    assert payload["diagnostics"] == []
    assert payload["summary"]["errors"] == 0 and payload["summary"]["rules"] > 10


# --------------------------------------------------------------------------- acceptance


@dataclass(frozen=True)
class Site:
    """Where a table or column name is written in a shipped rule file."""

    file: Path
    span: Span
    text: str


def _name_sites() -> Iterator[Site]:
    """Every table and column name the resolver bound in the shipped ruleset (one per place)."""
    ruleset, diags = load_ruleset([RULESET])
    assert diags == []
    seen: set[tuple[str, int, int]] = set()
    lines: dict[str, list[str]] = {}

    def site(span: Span | None) -> Site | None:
        if span is None or span.line != span.end_line or span.line < 1:
            return None
        key = (span.file, span.line, span.column)
        if key in seen:
            return None
        seen.add(key)
        if span.file not in lines:
            lines[span.file] = Path(span.file).read_text("utf-8").split("\n")
        text = lines[span.file][span.line - 1][span.column - 1 : span.end_column - 1]
        return Site(Path(span.file), span, text)

    stack: list[object] = list(ruleset.rules)
    for alias in ruleset.aliases:
        found = site(alias.target_span)
        if found:
            yield found
    while stack:
        node = stack.pop()
        spans: list[Span | None] = []
        if isinstance(node, Rule):
            spans += [node.scope_span, node.column_var_table_span]
        if isinstance(node, Rollup):
            spans += [node.table_span, node.code_span]
        if isinstance(node, CellRef | Aggregate | InColumn):
            spans.append(node.table_span)
            if node.column_span is not None and node.column == _written(node.column_span):
                spans.append(node.column_span)
        if isinstance(node, IsEmpty):
            spans.append(node.table_span)
        if isinstance(node, ColumnRef) and node.column == _written(node.span):
            spans.append(node.span)
        for span in spans:
            found = site(span)
            if found:
                yield found
        stack.extend(iter_children(node))


def _written(span: Span) -> str:
    line = Path(span.file).read_text("utf-8").split("\n")[span.line - 1]
    return line[span.column - 1 : span.end_column - 1]


def _mutate(text: str, rng: random.Random) -> str:
    index = rng.randrange(len(text))
    while text[index] in ".()（）":  # a name's dots and (境)-style brackets are its syntax
        index = rng.randrange(len(text))
    replacement = rng.choice("㐀㐁㐂汁X")
    return text[:index] + replacement + text[index + 1 :]


def test_every_table_and_column_name_typo_is_caught_with_did_you_mean(tmp_path: Path) -> None:
    sites = list(_name_sites())
    texts = {s.text for s in sites}
    # the sweep covers table names (aliases, roles) and column names of every kind of place
    assert {"收支表", "支出表", "部门收支总体情况表", "科目编码", "基本支出.小计", "金额"} <= texts
    assert len(sites) >= 40
    rng = random.Random(3)
    folder = copy_ruleset(tmp_path)
    # One place per distinct name, at most 40 names (the required ones and a fixed sample):
    # the shipped ruleset writes ~100 names at ~1,700 places, and each try re-lints it.
    first: dict[str, Site] = {}
    for site in sites:
        first.setdefault(site.text, site)
    required = {"收支表", "支出表", "部门收支总体情况表", "科目编码", "基本支出.小计", "金额"}
    others = sorted(set(first) - required)
    chosen = sorted(required) + random.Random(5).sample(others, min(len(others), 34))
    for site in (first[text] for text in chosen):
        target = folder / site.file.name
        original = target.read_text("utf-8")
        lines = original.split("\n")
        line = lines[site.span.line - 1]
        start, end = site.span.column - 1, site.span.end_column - 1
        assert line[start:end] == site.text
        lines[site.span.line - 1] = line[:start] + _mutate(site.text, rng) + line[end:]
        target.write_text("\n".join(lines), "utf-8")
        try:
            result = lint([folder])
        finally:
            target.write_text(original, "utf-8")
        errors = [d for d in result.diagnostics if d.severity == "error"]
        assert errors, (site, "no error")
        here = [
            d
            for d in errors
            if Path(d.location.file).name == site.file.name
            and (d.location.line, d.location.column) == (site.span.line, site.span.column)
        ]
        assert here, (site, [d.format("en") for d in errors])
        assert any(f"“{site.text}”" in (d.hint_message("zh") or "") for d in here), (
            site,
            [d.format("zh") for d in here],
        )


def test_acceptance_through_the_command_line(tmp_path: Path) -> None:
    folder = copy_ruleset(tmp_path)
    path = folder / "支出总表.rules"
    text = path.read_text("utf-8")
    assert "    合计 = 基本支出.小计 + 项目支出.小计\n" in text
    path.write_text(
        text.replace("    合计 = 基本支出.小计 +", "    合计 = 基本支岀.小计 +"), "utf-8"
    )
    line = text.split("\n").index("    合计 = 基本支出.小计 + 项目支出.小计") + 1
    proc = rulecheck("lint", str(folder))
    assert proc.returncode == 3, proc.stdout
    out = proc.stdout
    assert f"支出总表.rules:{line}:10: 错误: " in out
    assert "合计 = 基本支岀.小计 + 项目支出.小计" in out  # the source line
    gutter = " " * len(str(line))
    # the caret under 基本支岀.小计: "    合计 = " is 11 display columns, the name 13
    assert (
        f"\n{line} |     合计 = 基本支岀.小计 + 项目支出.小计\n{gutter} | {' ' * 11}{'^' * 13}\n"
        in out
    )
    assert "您是不是要写 “基本支出.小计”？" in out
    # the table name of a scope, in English and JSON
    path.write_text(text, "utf-8")
    income = folder / "收支总表.rules"
    income.write_text(income.read_text("utf-8").replace("in 收支表:", "in 收支标:"), "utf-8")
    proc = rulecheck("lint", "--lang", "en", "--format", "json", str(folder))
    assert proc.returncode == 3
    payload = json.loads(proc.stdout)
    errors = [d for d in payload["diagnostics"] if d["severity"] == "error"]
    assert errors[0]["location"]["file"].endswith("收支总表.rules")
    assert (errors[0]["location"]["line"], errors[0]["location"]["column"]) == (6, 4)
    assert errors[0]["message"] == "unknown table 收支标"
    assert errors[0]["hint"] == "did you mean “收支表”?"
    assert errors[0]["source"] == "in 收支标:"


# --------------------------------------------------------------------------- bad input


BAD_INPUTS: dict[str, bytes] = {
    "random.rules": bytes(random.Random(7).randrange(256) for _ in range(3000)),
    "truncated.rules": (RULESET / "收支总表.rules").read_bytes()[:700],
    "unbalanced.rules": (
        'rule A "t": 收支总表[收入总计] = (1 + 2\nrule B "t": 收支总表[收入总计]] = 1)\n'
    ).encode(),
    "keyword.rules": (
        'rul A "t": 1 = 1\nfro each row in 支出总表:\n  rule B "t": 合计 = 1\n'
    ).encode(),
    "duplicate.rules": b'rule A "t": 1 = 1\nrule A "t": 2 = 2\n',
    "missing-include.rules": b'include "nope.rules"\n',
    "self-include.rules": b'include "self-include.rules"\n',
    "long-line.rules": b'rule A "t": ' + b"1 + " * 262_144 + b"1 = 1\n",
    "latin1.rules": 'rule A "t": 1 = 1\n# café\n'.encode("latin-1"),
    "empty.rules": b"",
    "nul.rules": b'rule A "t": 1 = 1\x00\n',
    "deep.rules": b'rule A "t": ' + b"(" * 500 + b"1" + b")" * 500 + b" = 1\n",
}


def test_bad_input_gives_diagnostics_and_exit_3(tmp_path: Path) -> None:
    for name, data in BAD_INPUTS.items():
        (tmp_path / name).write_bytes(data)
    before = {name: (tmp_path / name).read_bytes() for name in BAD_INPUTS}
    proc = rulecheck("lint", "--format", "json", "--lang", "en", str(tmp_path))
    assert proc.returncode == 3, proc.stdout[-2000:]
    payload = json.loads(proc.stdout)
    by_file: dict[str, list[dict[str, object]]] = {}
    for d in payload["diagnostics"]:
        by_file.setdefault(Path(str(d["location"]["file"])).name, []).append(d)  # type: ignore[index]
    for name in BAD_INPUTS:
        errors = [d for d in by_file.get(name, []) if d["severity"] == "error"]
        assert errors, (name, by_file.get(name))
        assert all("line" in d["location"] for d in errors if name != "empty.rules")  # type: ignore[operator]
    assert {d["code"] for d in by_file["duplicate.rules"]} == {"rules.resolve.duplicate-id"}
    assert {d["code"] for d in by_file["missing-include.rules"]} >= {
        "rules.resolve.include-missing"
    }
    assert {d["code"] for d in by_file["self-include.rules"]} >= {"rules.resolve.include-cycle"}
    assert {d["code"] for d in by_file["latin1.rules"]} == {"rules.io.not-utf8"}
    assert {d["code"] for d in by_file["long-line.rules"]} == {"rules.syntax.line-too-long"}
    assert {d["code"] for d in by_file["empty.rules"]} == {"rules.io.empty"}
    # never changes a file it reads
    assert before == {name: (tmp_path / name).read_bytes() for name in BAD_INPUTS}


def test_syntax_error_rendering_in_text(tmp_path: Path) -> None:
    path = tmp_path / "bad.rules"
    path.write_text('rule A "t": 收入总计 = \n', "utf-8")
    proc = rulecheck("lint", str(path))
    assert proc.returncode == 3
    assert f"{path}:1:20: 错误: 此处不应出现 换行" in proc.stdout
    assert "期望：标识符、" in proc.stdout
    proc = rulecheck("lint", "--lang", "en", str(path))
    assert "error: unexpected end of line" in proc.stdout and "expected: a name, " in proc.stdout


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "warn.rules"
    path.write_text('alias 没用 = 项目支出表\nrule A "t": 说明.支出.基本支出占笔 = 1\n', "utf-8")
    proc = rulecheck("lint", str(path))
    assert proc.returncode == 0, proc.stdout
    assert "2 个警告" in proc.stdout and "警告: 别名 没用 未被使用" in proc.stdout


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert rulecheck("lint").returncode == 2
    proc = rulecheck("lint", str(tmp_path / "nope.rules"), str(tmp_path))
    assert proc.returncode == 2
    assert "找不到规则文件" in proc.stderr and "没有 .rules 文件" in proc.stderr
    assert rulecheck("lint", "--format", "xml", "rulesets").returncode == 2
    assert rulecheck("lint", "--lang", "fr", "rulesets").returncode == 2
    schema = tmp_path / "broken.schema.json"
    schema.write_text("{not json", "utf-8")
    assert rulecheck("lint", "--schema", str(schema), "rulesets").returncode == 2


def test_schema_option_uses_another_template(tmp_path: Path) -> None:
    schema = json.loads((ROOT / "schemas" / "budget-document.schema.json").read_text("utf-8"))
    tables = schema["properties"]["tables"]
    tables["properties"]["部门支出总体情况表"]["x-names"] = ["另一模板支出表"]
    path = tmp_path / "other.schema.json"
    path.write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    rules = tmp_path / "r.rules"
    rules.write_text('rule A "t": 另一模板支出表[合计].合计 >= 0\n', "utf-8")
    assert rulecheck("lint", str(rules)).returncode == 3
    assert rulecheck("lint", "--schema", str(path), str(rules)).returncode == 0


# --------------------------------------------------------------------------- the renderer


def test_caret_width_counts_wide_characters(tmp_path: Path) -> None:
    path = tmp_path / "c.rules"
    path.write_text("abc 收支表 = 1\n", "utf-8")
    from checker.diagnostics import Diagnostic

    d = Diagnostic("rules.resolve.unknown-table", Location(str(path), 1, 5, 1, 8), {"name": "x"})
    text = render_diagnostic(d, "zh", SourceCache())
    lines = text.split("\n")
    assert lines[2] == "1 | abc 收支表 = 1"
    assert lines[3] == "  |     ^^^^^^"


def test_long_lines_are_windowed(tmp_path: Path) -> None:
    path = tmp_path / "long.rules"
    path.write_text("x" * 5000 + " $\n", "utf-8")
    result = lint([path])
    out = render_text(result)
    assert max(len(line) for line in out.split("\n")) < 300


def test_orphan_file_beside_a_ruleset_is_reported(tmp_path: Path) -> None:
    folder = copy_ruleset(tmp_path)
    (folder / "extra.rules").write_text('rule EX-1 "t": 1 = 1\n', "utf-8")
    result = lint([folder])
    assert [d.code for d in result.diagnostics] == ["rules.resolve.orphan-file"]
    assert result.errors == 0


def test_lint_of_a_file_included_elsewhere_is_not_a_duplicate(tmp_path: Path) -> None:
    result = lint([RULESET, RULESET / "支出总表.rules"])
    assert result.errors == 0


@pytest.mark.parametrize("name", sorted(p.name for p in RULESET.glob("*.rules")))
def test_each_shipped_file_parses_cleanly(name: str) -> None:
    _, diags = parse_file(RULESET / name)
    assert diags == []


# ------------------------------------------------------------- files written to be included


def test_shared_rule_files_are_linted_through_the_rulesets_that_include_them() -> None:
    """``rulesets/共用`` declares no ruleset: its tables are aliases the including rulesets
    define. Linted alone it is linted as included by them (14 false "unknown table" errors
    before), with a note naming them."""
    proc = rulecheck("lint", "rulesets/共用")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 个错误" in proc.stdout
    assert "按包含它的 rulesets/部门预算-上海/ruleset.rules" in proc.stdout
    proc = rulecheck("lint", "--lang", "en", "rulesets/共用/经济分类.rules")
    assert proc.returncode == 0, proc.stdout
    assert "linted as included by rulesets/部门预算-上海/ruleset.rules, " in proc.stdout


def _shared_tree(tmp_path: Path, shared_rule: str, include: str = "共用/x.rules") -> Path:
    entry = tmp_path / "r" / "ruleset.rules"
    entry.parent.mkdir()
    entry.write_text(
        'ruleset "甲" version "1"\nprecision 0.01 万元\n'
        "alias 总表 = 部门收支总体情况表\n"
        f'include "{include}"\n',
        encoding="utf-8",
    )
    shared = (entry.parent / include).resolve()
    shared.parent.mkdir(exist_ok=True)
    shared.write_text(shared_rule, encoding="utf-8")
    return shared


GOOD = 'rule X-01 "平衡":\n  总表[收入总计] = 总表[支出总计]\n'


def test_an_error_in_a_shared_file_is_reported_where_it_is_written(tmp_path: Path) -> None:
    shared = _shared_tree(tmp_path, GOOD)
    result = lint([shared.parent])
    assert [(d.code, d.severity) for d in result.diagnostics] == [("rules.lint.through", "info")]
    assert result.rules == 1
    shared.write_text(GOOD.replace("总表[支出总计]", "总表[支出总计].金颔"), encoding="utf-8")
    result = lint([shared.parent])
    errors = [d.location for d in result.diagnostics if d.severity == "error"]
    assert [(e.file, e.line) for e in errors] == [(str(shared), 2)]
    # with no ruleset including it, a file is linted on its own, as before
    (tmp_path / "r" / "ruleset.rules").unlink()
    result = lint([shared])
    assert result.errors == 2  # the alias 总表 is unknown here: both sides
    assert "rules.lint.through" not in [d.code for d in result.diagnostics]


def test_a_shared_file_its_ruleset_cannot_include_is_not_a_silent_pass(tmp_path: Path) -> None:
    """An entry in a sibling folder whose include of the file is refused (outside its
    folder tree): the refusal is reported, not a clean lint of a file never read."""
    shared = _shared_tree(tmp_path, GOOD, include="../共用/x.rules")
    result = lint([shared.parent])
    assert "rules.resolve.include-outside" in [d.code for d in result.diagnostics]
    assert result.errors >= 1
