"""JSON pointers (RFC 6901), built and read in one place: the loader's and the rule tests'
diagnostics, the reports' cells, ``explain``'s steps and the published places of cells.

No imports of the package: every stage may use it.
"""

from __future__ import annotations

STATEMENTS_TABLE = "说明"  # a statement's cell: ``/statements/<name>/value``, not a table row


def escape(token: str) -> str:
    """One reference token: ``~`` as ``~0``, ``/`` as ``~1``."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """One reference token as the key it names (``~1`` before ``~0``, as RFC 6901 says)."""
    return token.replace("~1", "/").replace("~0", "~")


def build(*parts: object) -> str:
    """The pointer of a path of keys and indexes (``""``, the whole document, for none)."""
    return "".join("/" + escape(str(part)) for part in parts)


def parse(pointer: str) -> list[str]:
    """The keys (and indexes, as text) a pointer names, unescaped; ``""``: none."""
    return [unescape(part) for part in pointer.split("/")[1:]]


def cell(table: str, row: int | None, column: str | None) -> str | None:
    """Where a cell a rule read is in its document: ``/tables/<table>/rows/<row>[/<column>]``
    (the row alone without a column), ``/statements/<column>/value`` for the 说明 table,
    None for a table cell without a row (an aggregate)."""
    if table == STATEMENTS_TABLE:
        return build("statements", column or "", "value")
    if row is None:
        return None
    return build("tables", table, "rows", row, *([column] if column else []))
