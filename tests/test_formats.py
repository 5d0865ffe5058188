"""`rulecheck check --format jsonl|csv|junit|sarif|github` on the real seed document.

The full seed is checked once per module (``seed``: the Report, ~2 s) and each format is
written from it by ``checker.report.formats.write``, what ``check`` calls; the entry
point itself runs on a three-rule ruleset that gives one fail, one error and one
rounding difference (and on waivers for two of them).
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jsonschema
import polars as pl
import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from typer.testing import CliRunner

from checker.api import Report, check, default_rules_path, load_rules
from checker.cli import app
from checker.report.formats import write
from checker.report.github import LIMITS, command, escape_data, escape_property
from checker.report.locate import pointer_lines
from checker.report.tabular import CSV_COLUMNS
from checker.resources import schema_path

ROOT = Path(__file__).resolve().parent.parent
SEED = "examples/000_afa05cab7739910b.json"  # relative, as a user types it
SARIF_SCHEMA = ROOT.parent / "shared" / "data" / "sarif-schema-2.1.0.json"
SHOW = ("fail", "error", "rounding")

# T-1 divides by zero (error status, warning), T-2 is off by a cent (rounding, info; its
# title needs escaping as a workflow-command property), T-3 fails (error severity), T-4
# passes.
SMALL_RULES = """\
in 部门收支总体情况表:
  rule T-1 warning "收入总计除以零": 收入总计 / (本年收入合计 - 本年收入合计) = 1
  rule T-2 info "收入总计: 本年, 结转": 收入总计 = 本年收入合计 + 上年结转结余
  rule T-3 "收入总计等于本年收入合计": 收入总计 = 本年收入合计
  rule T-4 "收入总计等于支出总计": 收入总计 = 支出总计
"""

# ::level [k=v{,k=v}]::data — property values with no raw `,` `:` CR LF; data no CR LF
_PROP = r"(?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*"
WORKFLOW_COMMAND = re.compile(rf"::(error|warning|notice)(?: {_PROP}(?:,{_PROP})*)?::[^\r\n]*")
_BAD_PERCENT = re.compile(r"%(?![0-9A-F]{2})")


@pytest.fixture(scope="module", autouse=True)
def _in_root(monkeypatch_module: pytest.MonkeyPatch) -> None:
    monkeypatch_module.chdir(ROOT)  # document paths relative, as given


@pytest.fixture(scope="module")
def monkeypatch_module() -> Any:
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def seed(_in_root: None) -> Report:
    report = check([SEED])
    assert report.exit_code() == 1  # the seed has real findings
    return report


@pytest.fixture(scope="module")
def seed_json(seed: Report) -> dict[str, Any]:
    return seed.to_dict("zh", include=SHOW)


def _emit(report: Report, name: str, *, lang: str = "zh", show: tuple[str, ...] = SHOW) -> str:
    out = io.StringIO()
    write(report, name, out, "en" if lang == "en" else "zh", show)
    return out.getvalue()


def _count(results: list[dict[str, Any]], *statuses: str) -> int:
    return sum(r["status"] in statuses for r in results)


# --------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif(seed: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(_emit(seed, "sarif", show=("fail", "error")))
    return data


def test_sarif_validates_against_the_2_1_0_schema(seed: Report, sarif: dict[str, Any]) -> None:
    if not SARIF_SCHEMA.is_file():
        pytest.skip(f"the SARIF 2.1.0 JSON Schema is not at {SARIF_SCHEMA} (../shared absent)")
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    validator.validate(sarif)
    validator.validate(json.loads(seed.to_sarif("en", include_rounding=True)))


def test_sarif_results_are_the_json_reports_findings(
    sarif: dict[str, Any], seed_json: dict[str, Any]
) -> None:
    run = sarif["runs"][0]
    results, rules = run["results"], run["tool"]["driver"]["rules"]
    findings = [r for r in seed_json["results"] if r["status"] in ("fail", "error")]
    assert len(results) == len(findings) == seed_json["summary"]["fail"] > 0
    assert [r["ruleId"] for r in results] == [f["rule"] for f in findings]
    assert run["tool"]["driver"]["name"] == "rulecheck"
    assert len(rules) == seed_json["ruleset"]["rules"]
    levels = {"error": "error", "warning": "warning", "info": "note"}
    for result, finding in zip(results, findings, strict=True):
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["shortDescription"]["text"] == finding["title"]  # as written
        assert result["level"] == levels[finding["severity"]]
        assert rule["defaultConfiguration"]["level"] == levels[finding["severity"]]
        assert finding["message"] in result["message"]["text"]
    fingerprints = [r["partialFingerprints"]["rulecheck/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_rounding_only_on_request(seed: Report, seed_json: dict[str, Any]) -> None:
    results = json.loads(seed.to_sarif(include_rounding=True))["runs"][0]["results"]
    rounding = [r for r in results if r["properties"]["status"] == "rounding"]
    assert len(rounding) == _count(seed_json["results"], "rounding") > 0
    assert {(r["kind"], r["level"]) for r in rounding} == {("informational", "none")}


def test_sarif_locations_point_at_the_cell_and_the_rule(sarif: dict[str, Any]) -> None:
    document_lines = (ROOT / SEED).read_text(encoding="utf-8").splitlines()
    located = 0
    for result in sarif["runs"][0]["results"]:
        place = result["locations"][0]
        assert place["physicalLocation"]["artifactLocation"]["uri"] == SEED
        pointer = place["logicalLocations"][0]["fullyQualifiedName"]
        assert pointer.startswith(("/tables/", "/statements/")), pointer
        line = place["physicalLocation"]["region"]["startLine"]
        last = pointer.rsplit("/", 1)[1]
        text = document_lines[line - 1]
        assert (f'"{last}"' in text) if not last.isdigit() else text.strip() == "{"
        located += 1
        # the rule's place: the bundled ruleset's file (relative in a checkout, a file://
        # URI when installed from a wheel), at a line that says `rule <id>`
        rule = result["relatedLocations"][0]["physicalLocation"]
        uri = rule["artifactLocation"]["uri"]
        if uri.startswith("file://"):
            rule_file = Path(unquote(urlparse(uri).path))
        else:
            assert uri.startswith("rulesets/"), uri
            rule_file = ROOT / unquote(uri)
        assert rule_file.parent == default_rules_path(), rule_file
        rule_lines = rule_file.read_text(encoding="utf-8").splitlines()
        written = rule_lines[rule["region"]["startLine"] - 1]
        assert f"rule {result['ruleId'].split('[')[0]} " in written
    assert located == len(sarif["runs"][0]["results"]) > 0


def test_sarif_fingerprints_are_stable(seed: Report, sarif: dict[str, Any]) -> None:
    again = json.loads(seed.to_sarif())
    assert [r["partialFingerprints"] for r in again["runs"][0]["results"]] == [
        r["partialFingerprints"] for r in sarif["runs"][0]["results"]
    ]


# --------------------------------------------------------------------------- JUnit


@pytest.fixture(scope="module")
def junit(seed: Report, tmp_path_factory: pytest.TempPathFactory) -> JUnitXml:
    path = tmp_path_factory.mktemp("junit") / "seed.xml"
    path.write_text(_emit(seed, "junit", lang="en"), encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_junit_reads_back_with_a_case_per_rule(
    junit: JUnitXml, seed: Report, seed_json: dict[str, Any]
) -> None:
    suites = list(junit)
    assert [s.name for s in suites] == [d["id"] for d in seed_json["documents"]]
    cases = list(suites[0])
    assert len(cases) == suites[0].tests == seed_json["ruleset"]["rules"]
    assert all(c.classname == suites[0].name for c in cases)
    titles = {r.meta.id: r.meta.title for r in seed.rules.ruleset.rules}
    assert [c.name for c in cases] == [f"{i} {t}" for i, t in titles.items()]


def test_junit_failures_are_the_rules_that_fail(
    junit: JUnitXml, seed_json: dict[str, Any], seed: Report
) -> None:
    cases = list(next(iter(junit)))
    failed = {
        c.name.split(" ", 1)[0] for c in cases if any(isinstance(r, Failure) for r in c.result)
    }
    failing = {r["rule"] for r in seed_json["results"] if r["status"] == "fail"}
    assert failed == failing
    assert next(iter(junit)).failures == len(failing)
    # every failing place is in its testcase's text, with its cells
    for result in seed_json["results"]:
        if result["status"] != "fail":
            continue
        case = next(c for c in cases if c.name.split(" ", 1)[0] == result["rule"])
        text = case.result[0].text
        english = seed.to_dict("en", include=["fail"])["results"]
        assert any(e["message"] in text for e in english if e["rule"] == result["rule"])
        for cell in result["cells"]:
            if cell["pointer"]:
                assert cell["pointer"] in text
    skipped = {
        c.name.split(" ", 1)[0] for c in cases if any(isinstance(r, Skipped) for r in c.result)
    }
    statuses = seed.frame.group_by("rule").agg(pl.col("status").unique())
    everywhere = {r for r, s in statuses.iter_rows() if s == ["skipped"]}
    assert skipped == everywhere
    rounding = {c.name.split(" ", 1)[0] for c in cases if c.system_out}
    assert rounding == {r["rule"] for r in seed_json["results"] if r["status"] == "rounding"}
    assert all(c.is_passed for c in cases if c.name.split(" ", 1)[0] in rounding - failed)


# --------------------------------------------------------------------------- GitHub


@pytest.fixture(scope="module")
def github(seed: Report) -> list[str]:
    return _emit(seed, "github", lang="en").split("\n\n## rulecheck", 1)[0].splitlines()


def test_github_lines_are_workflow_commands_within_limits(
    github: list[str], seed_json: dict[str, Any]
) -> None:
    assert github
    for line in github:
        assert WORKFLOW_COMMAND.fullmatch(line), line
        assert not _BAD_PERCENT.search(line), line
    levels = Counter(line[2:].split(" ", 1)[0].split("::", 1)[0] for line in github)
    assert all(levels[level] <= limit for level, limit in LIMITS.items())
    findings = _count(seed_json["results"], "fail", "error", "rounding")  # --show rounding
    *annotated, last = github
    assert levels["notice"] == LIMITS["notice"]  # the seed's 16 rounding notices are cut
    omitted = int(re.search(r"::(\d+) more findings", last).group(1))  # type: ignore[union-attr]
    assert len(annotated) + omitted == findings
    assert annotated[0].startswith("::error file=examples/000_afa05cab7739910b.json,line=")
    firsts = [line.split(" ", 1)[0] for line in annotated]
    assert firsts == sorted(firsts, key=["::error", "::warning", "::notice"].index)


def test_workflow_command_escaping() -> None:
    assert escape_data("50%\r\nok: a, b") == "50%25%0D%0Aok: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = command("warning", "x\ny", file="a,b.json", line=3, title="t: 1, 2")
    assert line == "::warning file=a%2Cb.json,line=3,title=t%3A 1%2C 2::x%0Ay"
    assert WORKFLOW_COMMAND.fullmatch(line)


# --------------------------------------------------------------------------- CSV, JSON Lines


def test_csv_has_a_flat_row_per_result(seed: Report, seed_json: dict[str, Any]) -> None:
    frame = pl.read_csv(io.StringIO(_emit(seed, "csv")), infer_schema=False)
    assert tuple(frame.columns) == CSV_COLUMNS
    results = seed_json["results"]
    assert frame.height == len(results)
    assert frame["rule"].to_list() == [r["rule"] for r in results]
    assert frame["message"].to_list() == [r["message"] for r in results]
    assert frame["title"].to_list() == [r["title"] for r in results]
    assert Counter(frame["status"].to_list()) == Counter(r["status"] for r in results)
    fail = frame.filter(pl.col("diff") == "-1.0").row(0, named=True)
    assert "=4648.93" in fail["cells"]


def test_jsonl_is_the_json_reports_results(seed: Report, seed_json: dict[str, Any]) -> None:
    lines = _emit(seed, "jsonl").splitlines()
    assert [json.loads(line) for line in lines] == seed_json["results"]
    schema = json.loads(schema_path("report.schema.json").read_text(encoding="utf-8"))
    item = jsonschema.Draft202012Validator(schema["properties"]["results"]["items"])
    for line in lines:
        item.validate(json.loads(line))


# --------------------------------------------------------------------------- the CLI


@pytest.fixture(scope="module")
def small_rules(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("rules") / "small.rules"
    path.write_text(SMALL_RULES, encoding="utf-8")
    return str(path)


def _small(small_rules: str, *args: str, env: dict[str, str] | None = None) -> str:
    done = CliRunner().invoke(app, ["check", SEED, "-r", small_rules, *args], env=env)
    assert done.exit_code == 1, done.output
    return done.stdout


def test_cli_sarif_output_file_is_the_apis(small_rules: str, tmp_path: Path) -> None:
    out = tmp_path / "small.sarif"
    _small(small_rules, "--format", "sarif", "--output", str(out))
    report = check([SEED], load_rules([small_rules]))
    assert out.read_text(encoding="utf-8") == report.to_sarif() + "\n"


def test_cli_junit_error_failure_and_rounding(small_rules: str, tmp_path: Path) -> None:
    out = tmp_path / "small.xml"
    _small(small_rules, "--format", "junit", "-o", str(out))
    cases = {c.name.split(" ", 1)[0]: c for c in next(iter(JUnitXml.fromfile(str(out))))}
    assert isinstance(cases["T-1"].result[0], Error)
    assert cases["T-1"].result[0].type == "warning"
    assert isinstance(cases["T-3"].result[0], Failure)
    assert cases["T-2"].is_passed and "4,736.04" in cases["T-2"].system_out


def test_cli_github_summary_goes_to_the_step_summary(small_rules: str, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    output = _small(
        small_rules,
        "--format",
        "github",
        "--show",
        "rounding",
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    lines = output.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::warning", "::notice"]
    assert all(WORKFLOW_COMMAND.fullmatch(line) for line in lines)
    assert "title=T-2 收入总计%3A 本年%2C 结转::" in lines[2]
    assert "%0A" in lines[0]  # the cells, one a line
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## rulecheck") and text.count("| `T-") == 3
    # every result counted (pass 1, rounding 1, fail 1, error 1, skipped 0), not only those kept
    assert "| 000_afa05cab7739910b | 1 | 1 | 1 | 1 | 0 |" in text


def test_cli_sarif_levels_follow_severity(small_rules: str) -> None:
    sarif = json.loads(_small(small_rules, "--format", "sarif", "--lang", "en"))
    got = {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}
    assert got == {"T-1": "warning", "T-3": "error"}
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["defaultConfiguration"]["level"] for r in rules] == [
        "warning",
        "note",
        "error",
        "error",
    ]
    assert "收入总计 = 本年收入合计" in rules[2]["help"]["text"]  # the rule as written


def test_cli_csv_and_jsonl(small_rules: str) -> None:
    csv = pl.read_csv(io.StringIO(_small(small_rules, "--format", "csv")), infer_schema=False)
    assert sorted(csv["status"].to_list()) == ["error", "fail", "rounding"]
    lines = _small(small_rules, "--format", "jsonl", "--lang", "en").splitlines()
    assert [json.loads(line)["rule"] for line in lines] == csv["rule"].to_list()
    assert json.loads(lines[csv["status"].to_list().index("error")])["message"] == (
        "division by zero"
    )


WAIVERS = """\
[[waiver]]
document = "000_afa05cab7739910b"
rule = "T-3"
justification = "已函告单位更正"
author = "张三"
expires = 2099-12-31

[[waiver]]
document = "000_afa05cab7739910b"
rule = "T-1"
justification = "旧豁免"
author = "李四"
expires = 2000-01-01
"""


def test_cli_waived_and_expired_waivers(small_rules: str, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.toml"
    waivers.write_text(WAIVERS, encoding="utf-8")
    args = ("--waivers", str(waivers), "--lang", "en", "--format")
    # T-3 is waived: suppressed in SARIF, passing in JUnit, not annotated on GitHub
    sarif = json.loads(_small(small_rules, *args, "sarif"))
    if SARIF_SCHEMA.is_file():
        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator(schema).validate(sarif)
    results = {r["ruleId"]: r for r in sarif["runs"][0]["results"]}
    assert "suppressions" not in results["T-1"]
    (suppression,) = results["T-3"]["suppressions"]
    assert suppression["kind"] == "external" and suppression["justification"] == "已函告单位更正"
    assert suppression["location"]["physicalLocation"]["region"] == {"startLine": 1}
    (expired,) = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert expired["descriptor"]["id"] == "waiver.expired"
    out = tmp_path / "w.xml"
    _small(small_rules, *args, "junit", "-o", str(out))
    suites = {s.name: s for s in JUnitXml.fromfile(str(out))}
    cases = {c.name.split(" ", 1)[0]: c for c in suites["000_afa05cab7739910b"]}
    assert cases["T-3"].is_passed and "1 waived finding" in cases["T-3"].system_out
    assert suites["waivers"].errors == 1  # the expired waiver fails the run
    github = _small(small_rules, *args, "github")
    lines = github.split("\n\n## rulecheck", 1)[0].splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::error", "::warning"]
    assert ",line=8,title=waiver.expired::" in lines[0]
    assert "T-3" not in "".join(lines) and "1 waived" in github


# --------------------------------------------------------------------------- lines


def test_pointer_lines_map_every_pointer_of_the_seed() -> None:
    text = (ROOT / SEED).read_text(encoding="utf-8")

    def walk(value: Any, at: str) -> Any:
        yield at
        if isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in items:
                token = str(key).replace("~", "~0").replace("/", "~1")
                yield from walk(child, f"{at}/{token}")

    lines = pointer_lines(text)
    assert set(lines) == set(walk(json.loads(text), ""))


def test_pointer_lines_on_awkward_json() -> None:
    text = '{"a/b": [\n  {},\n  [],\n  {"x\\"]": "v,:{[", "~": null}\n],\n"n": -1.5e3}'
    assert pointer_lines(text) == {
        "": 1,
        "/a~1b": 1,
        "/a~1b/0": 2,
        "/a~1b/1": 3,
        "/a~1b/2": 4,
        '/a~1b/2/x"]': 4,
        "/a~1b/2/~0": 4,
        "/n": 6,
    }
