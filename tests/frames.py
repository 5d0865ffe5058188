"""Build loader-shaped frames from dict documents, for engine tests that bypass the loader."""

from __future__ import annotations

from typing import Any

import polars as pl

from checker.template import load_template

TEMPLATE = load_template()


def frames(
    docs: list[dict[str, Any]],
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], pl.DataFrame]:
    """Build loader-shaped frames (scaled Int64 amounts) from dict documents."""
    tables = {}
    for table in TEMPLATE.tables:
        rows, index, order = [], [], []
        for i, doc in enumerate(docs):
            got = doc["tables"].get(table.role, {}).get("rows", [])
            rows += got
            index += [i] * len(got)
            order += list(range(len(got)))
        schema = {c.name: (pl.Float64 if c.kind == "amount" else pl.Utf8) for c in table.columns}
        frame = pl.from_dicts(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
        frame = frame.with_columns(
            [(pl.col(c) * 10_000).round().cast(pl.Int64) for c in table.amount_columns]
        )
        tables[table.role] = frame.with_columns(
            pl.Series("document", index, pl.UInt32), pl.Series("row", order, pl.UInt32)
        )
    stmts = [
        (i, k, v["value"], v.get("wording"))
        for i, d in enumerate(docs)
        for k, v in d["statements"].items()
    ]
    statements = pl.DataFrame(
        {
            "document": [s[0] for s in stmts],
            "name": [s[1] for s in stmts],
            "value": [None if s[2] is None else round(s[2] * 10_000) for s in stmts],
            "wording": [s[3] for s in stmts],
        },
        schema={"document": pl.UInt32, "name": pl.Utf8, "value": pl.Int64, "wording": pl.Utf8},
    )
    ids = pl.DataFrame(
        {"document": list(range(len(docs))), "id": [f"d{i}" for i in range(len(docs))]},
        schema={"document": pl.UInt32, "id": pl.Utf8},
    )
    # the meta fields the documents give, as the loader's documents frame holds them
    given = [f for f in TEMPLATE.meta if any(f.name in (d.get("meta") or {}) for d in docs)]
    if given:
        ids = ids.with_columns(
            pl.Series(
                f.name,
                [(d.get("meta") or {}).get(f.name) for d in docs],
                pl.Int64 if f.kind == "amount" else pl.Utf8,
            )
            for f in given
        )
    return ids, tables, statements
