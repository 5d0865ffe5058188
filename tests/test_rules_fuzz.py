"""Fuzz: random and mutated rule files through decode → parse → resolve → render.

10,000+ cases from a fixed seed (reproducible: a failure prints the case
number and its text). Bases are the shipped rule files and the examples of
docs/rules.md; mutations delete, insert and replace characters (full-width
ones and grammar punctuation included), swap, duplicate and re-indent lines,
truncate, splice two files, and inject random bytes. The only acceptable
outcome is a list of diagnostics: never an exception.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from pathlib import Path

from checker.diagnostics import Diagnostic
from checker.lint import SourceCache, render_diagnostic
from checker.resolve import resolve
from checker.syntax import decode_rules, parse_text

ROOT = Path(__file__).resolve().parents[1]
CASES = 10_000
SEED = 20231126


def _windows(text: str, size: int = 40, chars: int = 600) -> list[str]:
    """Slices of a shipped file at blank lines, so each case stays small and fast.

    A slice ends at ``size`` lines or ``chars`` characters, whichever comes first: the
    default ruleset's rules have long lines, and a case's cost grows with its text.
    """
    blocks = text.split("\n\n")
    out, current = [], ""
    for block in blocks:
        current = f"{current}\n\n{block}" if current else block
        if current.count("\n") >= size or len(current) >= chars:
            out.append(current + "\n")
            current = ""
    if current:
        out.append(current + "\n")
    return out


SHIPPED = [
    w for p in sorted((ROOT / "rulesets").rglob("*.rules")) for w in _windows(p.read_text("utf-8"))
]
# A fixed sample of the shipped windows: the default ruleset has ~150 of them (560 rules), and
# every case's cost grows with its base's text; the docs examples below are all kept.
BASES: list[str] = random.Random(SEED).sample(SHIPPED, min(len(SHIPPED), 8))
BASES += re.findall(
    r"^```rules[ \t]*\n(.*?)^```", (ROOT / "docs" / "rules.md").read_text("utf-8"), re.S | re.M
)

ALPHABET = (
    list(" \t\n\n\n:：,，()（）[]［］.．=＝+＋-－*/×÷<>≤≥≠!\"“”`#\\_'")
    + list("收支表合计基本项目说明科目编码金额一二三〇0123456789abcxyz")
    + ["rule ", "in ", "for each row in ", "where ", " and ", " or ", "not ", "sum(", "count("]
    + ["when ", " is null", " is empty", "exists ", "matches(", "rollup ", "levels ", "alias "]
    + ["include ", "precision ", "ruleset ", "  ", "    ", "\u3000", "\ufeff", "\x00", "\r"]
    + ["4,708.93", "1,2", "说明.", "row.", "`", "(境)", "\U0001f600", "\ud7ff", "\u200b"]
)


def _mutate_text(text: str, rng: random.Random) -> str:
    if not text:
        return rng.choice(ALPHABET)
    op = rng.randrange(12)
    i = rng.randrange(len(text) + 1)
    lines = text.split("\n")
    if op == 0:  # delete a run of characters
        return text[:i] + text[i + rng.randint(1, 8) :]
    if op in (1, 2):  # insert
        return text[:i] + rng.choice(ALPHABET) + text[i:]
    if op == 3:  # replace one character
        return text[:i] + rng.choice(ALPHABET) + text[i + 1 :]
    if op == 4 and len(lines) > 1:  # swap two lines
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
        return "\n".join(lines)
    if op == 5:  # duplicate a line
        a = rng.randrange(len(lines))
        lines.insert(a, lines[a])
        return "\n".join(lines)
    if op == 6:  # delete a line
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines)
    if op == 7:  # truncate
        return text[:i]
    if op == 8:  # re-indent a line
        a = rng.randrange(len(lines))
        lines[a] = rng.choice(["", " ", "  ", "\t", "      "]) + lines[a].lstrip()
        return "\n".join(lines)
    if op == 9:  # splice with another base
        other = rng.choice(BASES)
        return text[:i] + other[rng.randrange(len(other) + 1) :]
    if op == 10:  # a burst of full-width characters
        burst = "".join(
            rng.choice("：，（）［］＝＋－×÷≤≥≠　。、“”") for _ in range(rng.randint(1, 6))
        )
        return text[:i] + burst + text[i:]
    # op 11: a random Unicode run
    run = "".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(rng.randint(1, 12)))
    run = run.encode("utf-8", "replace").decode("utf-8", "replace")
    return text[:i] + run + text[i:]


def _case(n: int, rng: random.Random) -> bytes:
    kind = n % 20
    if kind == 0:  # random bytes
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
    if kind == 1:  # random printable Unicode
        return "".join(
            chr(rng.randrange(0x20, 0xD7FF)) if rng.random() > 0.05 else "\n"
            for _ in range(rng.randint(0, 300))
        ).encode("utf-8")
    text = rng.choice(BASES)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 5, 12))):
        text = _mutate_text(text, rng)
    data = text.encode("utf-8", "surrogatepass")
    if kind == 2 and data:  # random bytes spliced into valid text
        i = rng.randrange(len(data) + 1)
        data = data[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) + data[i:]
    return data


def _check(diags: list[Diagnostic], data: bytes, name: str) -> None:
    last_line = data.count(b"\n") + data.count(b"\r") + 2
    for d in diags:
        assert isinstance(d, Diagnostic)
        assert d.severity in ("error", "warning", "info")
        d.format("zh")
        d.format("en")
        loc = d.location
        assert loc.file == name
        if loc.line is not None:
            assert 1 <= loc.line <= last_line and (loc.column or 1) >= 1, loc


def _run(data: bytes, name: str) -> tuple[str | None, list[Diagnostic]]:
    text, diags = decode_rules(data, name)
    if text is None:
        return None, diags
    parsed, more = parse_text(text, name)
    _, resolved_diags = resolve([parsed])
    return text, diags + more + resolved_diags


def test_fuzz_parse_and_resolve_never_raise() -> None:
    rng = random.Random(SEED)
    started = time.perf_counter()
    errors = rendered = 0
    sources = SourceCache()
    for n in range(CASES):
        data = _case(n, rng)
        name = f"fuzz{n % 7}.rules"  # a few names: unchanged statements hit the parse memo
        try:
            text, diags = _run(data, name)
            _check(diags, data, name)
            if n % 50 == 0 and text is not None:  # the renderer reads the file: give it one
                rendered += _render(diags, text, sources)
        except Exception as exc:  # pragma: no cover - a failure names the case
            raise AssertionError(
                f"case {n} raised {type(exc).__name__}: {exc}\n{data[:600]!r}"
            ) from exc
        errors += any(d.severity == "error" for d in diags)
    elapsed = time.perf_counter() - started
    assert errors > CASES // 2  # mutations mostly break things: the fuzzer is biting
    assert rendered > 0
    print(f"{CASES} cases in {elapsed:.1f}s")  # speed is for benchmarks, not asserted here


def _render(diags: list[Diagnostic], text: str, sources: SourceCache) -> int:
    lines = text.split("\n")
    cache_lines: Callable[[str, int], str | None] = lambda _f, n: (  # noqa: E731
        lines[n - 1] if 1 <= n <= len(lines) else None
    )
    sources.line = cache_lines  # type: ignore[method-assign]
    for d in diags:
        render_diagnostic(d, "zh", sources)
        render_diagnostic(d, "en", sources)
    return 1
