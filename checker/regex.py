"""The one regular-expression dialect of ``matches(x, "…")``: Polars' (Rust ``regex``).

``check`` evaluates a pattern as ``str.contains("^(?:pattern)$")`` over a
column (:mod:`checker.compile`); the parser validates the same anchored
pattern with the same engine (:func:`pattern_error`), and the reference
evaluator, ``explain`` and ``coverage`` match single texts with it
(:func:`fullmatch`). The engine runs in time linear in the text, so
``(a+)+$`` cannot hang any command, and a pattern either fails lint or
behaves the same everywhere.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl


def anchored(pattern: str) -> str:
    """The whole-text form ``check`` runs: ``^(?:pattern)$``."""
    return f"^(?:{pattern})$"


@lru_cache(maxsize=1024)
def pattern_error(pattern: str) -> str | None:
    """None when the engine accepts *pattern*, else its reason (one line)."""
    try:
        pl.Series([""], dtype=pl.String).str.contains(anchored(pattern))
    except pl.exceptions.PolarsError as exc:
        return _reason(str(exc))
    return None


def _reason(message: str) -> str:
    lines = [line.strip() for line in message.splitlines()]
    for line in lines:
        if line.startswith("error:"):
            return line.removeprefix("error:").strip()
    first = next((line for line in lines if line), message)
    return first.removeprefix("regex error:").strip()


def unsupported(reason: str) -> bool:
    """A reason naming look-around or a back-reference (a dialect difference, not a typo)."""
    return "look-around" in reason or "backreference" in reason


@lru_cache(maxsize=4096)
def fullmatch(pattern: str, text: str) -> bool:
    """Whether the whole of *text* matches *pattern*, as ``check`` judges it."""
    return bool(pl.Series([text], dtype=pl.String).str.contains(anchored(pattern)).item())
