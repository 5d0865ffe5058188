"""Import of the real published PDFs in ../shared/corpus against cells read by eye.

Each ``tests/corpus/*.pins.json`` was written by reading the rendered pages (never
the importer's output): per table its first page, unit and row count, and 30+ cells
(page, row key, column, value as printed). The importer must find every table of the
template, read every pinned cell with its value and page, and yield the pinned row
counts. ``CELL_COUNTS`` pins the number of non-empty cells each import yields, so a
reader change that gains or loses cells anywhere shows up here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.documents.importer import import_document, validated
from checker.documents.reading import label_text

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
PINS = sorted((Path(__file__).parent / "corpus").glob("*.pins.json"))

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus (the real published PDFs) is not present"
)

# non-empty table cells per imported document (regression pins, see the module doc):
# the values in its tables' rows that are not null (a block's constants and filled-down
# values included)
CELL_COUNTS: dict[str, int] = {
    "01-putuo-govoffice-2025-dept-budget": 449,
    "03-putuo-commerce-2025-dept-budget": 589,
    "05-putuo-wanli-street-2024-dept-budget": 1403,
    "07-putuo-wanli-street-2023-dept-budget": 1160,
    "10-putuo-welfare-home-2024-unit-budget": 371,
    "11-putuo-finance-2024-dept-final": 604,
    "14-jiangsu-procuratorate-2019-dept-budget": 709,
    "16-jiangsu-npc-standing-cttee-office-2019-dept-budget": 600,
}


def _argument(pins: dict[str, Any]) -> str:
    files = pins.get("files") or [pins["document"]]
    return "+".join(str(CORPUS / f) for f in files)


def _page(value: Any) -> tuple[str | None, int]:
    if isinstance(value, dict):
        return value["file"], int(value["page"])
    return None, int(value)


def _same(got: Any, pinned: Any) -> bool:
    """A pinned text as the reader normalises labels (``label_text``: the spacing some fonts
    print between CJK and Latin letters is not text); anything else as it is."""
    if isinstance(got, str) and isinstance(pinned, str):
        return label_text(got) == label_text(pinned)
    return bool(got == pinned)


def _load(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    pins = json.loads(path.read_text(encoding="utf-8"))
    imported = import_document(_argument(pins))
    assert validated(imported) == [], "the imported document is not valid against its schema"
    return pins, imported.document


def _name(path: Path) -> str:
    return path.name.removesuffix(".pins.json")


@pytest.fixture(scope="module", params=PINS, ids=_name)
def imported(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    return _load(request.param)


def test_every_document_has_a_cell_count() -> None:
    assert sorted(CELL_COUNTS) == sorted(_name(p) for p in PINS)


def test_cell_count(imported: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pins, document = imported
    name = pins["document"].removesuffix(".pdf")
    count = sum(
        value is not None
        for table in document["tables"].values()
        for row in table["rows"]
        for value in row.values()
    )
    assert count == CELL_COUNTS[name]


def test_template_and_meta(imported: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pins, document = imported
    meta = document["meta"]
    assert meta["template"] == pins["template"]
    for key in ("year", "kind"):
        assert meta[key] == pins["meta"][key], key


def test_every_table_found_with_its_rows(imported: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pins, document = imported
    problems = []
    for role, want in pins["tables"].items():
        table = document["tables"].get(role)
        if table is None:
            problems.append(f"{role}: not found")
            continue
        _, page = _page(want["page"])
        if table["provenance"]["pages"][0] != page:
            problems.append(f"{role}: starts on p. {table['provenance']['pages'][0]}, not {page}")
        if table.get("unit") != want["unit"]:
            problems.append(f"{role}: unit {table.get('unit')}, not {want['unit']}")
        if len(table["rows"]) != want["rows"]:
            problems.append(f"{role}: {len(table['rows'])} rows, not {want['rows']}")
    assert not problems, "\n".join(problems)


def test_pinned_cells(imported: tuple[dict[str, Any], dict[str, Any]]) -> None:
    pins, document = imported
    problems = []
    for cell in pins["cells"]:
        table = document["tables"].get(cell["table"])
        where = f"{cell['table']} {cell['row']} {cell['column']} (p. {cell['page']})"
        if table is None:
            problems.append(f"{where}: table not found")
            continue
        hits = [
            i
            for i, row in enumerate(table["rows"])
            if all(_same(row.get(k), v) for k, v in cell["row"].items())
        ]
        if len(hits) != 1:
            problems.append(f"{where}: {len(hits)} rows match the key")
            continue
        row = table["rows"][hits[0]]
        got = row.get(cell["column"])
        if not _same(got, cell["value"]):
            problems.append(f"{where}: read {got!r}, printed {cell['printed']!r}")
        _, page = _page(cell["page"])
        place = table["provenance"]["rows"][hits[0]]
        if place["page"] != page:
            problems.append(f"{where}: provenance p. {place['page']}")
    assert not problems, f"{len(problems)} of {len(pins['cells'])} cells:\n" + "\n".join(problems)


def test_cells_have_provenance(imported: tuple[dict[str, Any], dict[str, Any]]) -> None:
    _, document = imported
    for role, table in document["tables"].items():
        places = table["provenance"]["rows"]
        assert len(places) == len(table["rows"]), role
        for row, place in zip(table["rows"], places, strict=True):
            for column, value in row.items():
                if value is not None and column in place["cells"]:
                    x0, top, x1, bottom = place["cells"][column]["bbox"]
                    assert x0 < x1 and top < bottom, (role, column)
