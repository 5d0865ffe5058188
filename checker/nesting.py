"""How deeply a waiver or case file may nest its tables and arrays.

TOML and JSON parsers recurse: a file of 100,000 ``[`` would end in a
``RecursionError`` (an internal error, exit 5) and one a little shallower would
be accepted although nothing in either format nests that deep. :func:`too_deep`
measures a parsed value without recursion; a parse that recursed too far and a
value past :data:`MAX_NESTING` give the same diagnostic, ``input.too-deep``.
"""

from __future__ import annotations

from typing import Any, Final

from checker.diagnostics import Diagnostic, Location, register

MAX_NESTING: Final = 64

register(
    {
        "input.too-deep": (
            "文件中的表、数组或对象嵌套超过 {limit} 层，未读取",
            "tables, arrays or objects nested more than {limit} deep: the file was not read",
        ),
    }
)


def too_deep(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether *value* (parsed TOML or JSON) nests dicts and lists more than *limit* deep."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False


def too_deep_diagnostic(path: str) -> Diagnostic:
    """The one message for a file nested past the limit (or past the parser's recursion)."""
    return Diagnostic("input.too-deep", Location(path), {"limit": MAX_NESTING})
