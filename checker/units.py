"""Units of published amounts (元, 万元, 亿元): how a table's figures are converted into
the ruleset's unit, and how wide each figure's rounding interval is there.

A ruleset's first ``precision`` declaration names its unit (``precision 1 元``): rules
compute in it. Further declarations give the printed precision of tables in other units
(``precision 0.01 万元``). A template's tables each print in a unit (the schema's
``x-unit``, per table or for the whole document). A figure from a table printed in unit
``u`` is converted into the ruleset's unit ``r`` (× factor(u, r)) and keeps its own
rounding: ± precision(u) / 2 × factor(u, r). So ``三公表.合计 (万元) = Σ 元 cells``
compares 元 with 元, the 万元 side ± 50 元 and each 元 cell ± 0.5 元.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from checker.ast import Ruleset
    from checker.template import Template

FACTORS: Final = {"元": Decimal(1), "万元": Decimal(10_000), "亿元": Decimal(100_000_000)}


def factor(source: str | None, target: str | None) -> Decimal:
    """What a figure in ``source`` is multiplied by to be in ``target`` (1 when either is
    unknown or they agree)."""
    if source is None or target is None or source == target:
        return Decimal(1)
    if source not in FACTORS or target not in FACTORS:
        return Decimal(1)
    return FACTORS[source] / FACTORS[target]


def table_factors(ruleset: Ruleset, template: Template) -> dict[str, Decimal]:
    """Per table role printed in another unit than the ruleset's: its conversion factor."""
    out: dict[str, Decimal] = {}
    for table in template.tables:
        f = factor(table.unit, ruleset.unit)
        if f != 1:
            out[table.role] = f
    return out


def table_halves(ruleset: Ruleset, template: Template, half: Decimal) -> dict[str, Decimal]:
    """Per table role printed in another unit than the ruleset's: the half-width of its
    figures' rounding interval in the ruleset's unit (tables in the ruleset's unit, and
    every table when the ruleset names no unit, use ``half``)."""
    declared: Mapping[str, Decimal] = dict(ruleset.unit_precisions)
    out: dict[str, Decimal] = {}
    for role, f in table_factors(ruleset, template).items():
        table = template.table(role)
        assert table is not None and table.unit is not None
        printed = declared.get(table.unit)
        # undeclared: printed to the ruleset's precision, counted in the table's own unit
        out[role] = (printed / 2 if printed is not None else half) * f
    return out
