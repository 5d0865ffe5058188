"""Every ```rules example in docs/rules.md parses and resolves against the bundled schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checker.functions import FUNCTIONS
from checker.resolve import resolve_text

DOC = Path(__file__).resolve().parents[1] / "docs" / "rules.md"
FENCE = re.compile(r"^```rules[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def examples() -> list[tuple[int, str]]:
    text = DOC.read_text("utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(1)) for m in FENCE.finditer(text)]


def test_the_reference_has_examples_of_every_construct() -> None:
    found = examples()
    assert len(found) >= 15
    body = "\n".join(code for _, code in found)
    for construct in (
        "ruleset ",
        "precision ",
        "alias ",
        "include ",
        "in ",
        "for each row in ",
        " where ",
        "for each amount column ",
        "rollup ",
        "when ",
        "description ",
        "source ",
        "tags ",
        "warning",
        "sum(",
        "count(",
        "pct(",
        "amount(",
        "round(",
        "length(",
        "matches(",
        "startswith",
        " is not null",
        " is empty",
        "exists ",
        " in (",
        " between ",
        "meta.year",
        "let ",
        "for each group of ",
        "= group",
        "left(",
        "row.",
        "说明.",
        "100,000",
        "＝",
        "`",
    ):
        assert construct in body, construct
    for name in FUNCTIONS:  # every function of the registry, in an example
        assert f"{name}(" in body, name


@pytest.mark.parametrize(
    ("line", "code"), examples(), ids=lambda v: str(v) if isinstance(v, int) else ""
)
def test_example_parses_and_resolves(line: int, code: str) -> None:
    ruleset, diagnostics = resolve_text(code, f"docs/rules.md:{line}")
    assert diagnostics == [], [d.format("en") for d in diagnostics]
    assert ruleset.rules, "an example should define at least one rule"
