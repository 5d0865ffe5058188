"""Import speed: pages per second importing the corpus, beside the bare text-with-positions
extraction of the same pages in the same run (issue 14).

    python -m bench.bench_import [--repeat 3]

Writes its figures to bench/RESULTS.md under "Import (issue 14)".
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def _arguments() -> list[str]:
    out = []
    for pdf in sorted(CORPUS.glob("*.pdf")):
        name = pdf.name
        if name.endswith("-b.pdf"):
            continue
        if name.endswith("-a.pdf"):
            out.append(f"{pdf}+{pdf.with_name(name.removesuffix('-a.pdf') + '-b.pdf')}")
        else:
            out.append(str(pdf))
    return out


def _text_pages(files: list[Path]) -> Iterator[Any]:
    """pdfium's text layer of every page of ``files``, in order (pypdfium2's text pages)."""
    import pypdfium2 as pdfium

    for file in files:
        doc = pdfium.PdfDocument(str(file))
        for i in range(len(doc)):
            yield doc[i].get_textpage()  # (a text page keeps its page open)
        doc.close()


def bare_pypdfium2(files: list[Path]) -> int:
    """Every character with its box, through pypdfium2's helper API (the library the
    importer uses): a Python call per character."""
    pages = 0
    for text in _text_pages(files):
        for k in range(text.count_chars()):
            text.get_charbox(k, loose=True)
        pages += 1
    return pages


def bare_fastest(files: list[Path]) -> int:
    """Every character with its box through pypdfium2 as fast as it goes: its raw pdfium
    function called with plain addresses in a C-level loop (``map``), each box written
    into a row of one array per page, as the importer reads characters. The baseline."""
    from itertools import repeat

    import numpy as np

    from checker.documents.pdf import _address, _addresses, _loose_box

    pages = 0
    for text in _text_pages(files):
        n = text.count_chars()
        boxes = np.empty((n, 4), dtype=np.float32)
        handle = repeat(_address(text.raw), n)
        np.fromiter(map(_loose_box, handle, range(n), _addresses(boxes)[0]), dtype=bool, count=n)
        pages += 1
    return pages


def stages(files: list[Path]) -> dict[str, float]:
    """Seconds per stage of reading the same pages (no import note, no JSON): opening the
    files, loading and closing each page, its characters (text page included), its ruling
    lines, and laying out grids and text lines (a document's pages at once, as the import
    does)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    from checker.documents import pdf
    from checker.documents.grid import layout_pages

    spent = dict.fromkeys(("page", "characters", "rulings", "layout"), 0.0)
    for file in files:
        start = time.perf_counter()
        doc = pdfium.PdfDocument(str(file))
        spent["page"] += time.perf_counter() - start
        contents = []
        for i in range(len(doc)):
            start = time.perf_counter()
            page = doc[i]
            width, height = page.get_size()
            rotation = raw.FPDFPage_GetRotation(page) % 4
            middle = time.perf_counter()
            spent["page"] += middle - start
            text, boxes = pdf._chars(page, rotation, width, height)
            start, middle = middle, time.perf_counter()
            spent["characters"] += middle - start
            hs, vs = pdf._rulings(page, pdf._view_transform(rotation, width, height))
            start, middle = middle, time.perf_counter()
            spent["rulings"] += middle - start
            contents.append(pdf.PageContent(i + 1, width, height, text, boxes, hs, vs))
            page.close()
            spent["page"] += time.perf_counter() - middle
        start = time.perf_counter()
        doc.close()
        middle = time.perf_counter()
        spent["page"] += middle - start
        layout_pages(contents)
        spent["layout"] += time.perf_counter() - middle
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from checker.diagnostics import RulecheckError
    from checker.documents.importer import import_document
    from checker.documents.layout import normalize, title_key

    files = sorted(CORPUS.glob("*.pdf"))
    helper_times, bare_times, import_times = [], [], []
    pages = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        bare_pypdfium2(files)
        helper_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        pages = bare_fastest(files)
        bare_times.append(time.perf_counter() - start)
        normalize.cache_clear()  # each pass as the first: no text matched before
        title_key.cache_clear()
        start = time.perf_counter()
        for arg in _arguments():
            with contextlib.suppress(RulecheckError):
                import_document(arg)
        import_times.append(time.perf_counter() - start)
    helper, bare, imp = min(helper_times), min(bare_times), min(import_times)
    print(
        f"pages {pages}; bare extraction {pages / bare:.0f} pages/s; "
        f"import {pages / imp:.0f} pages/s; ratio {imp / bare:.2f}x"
    )
    print(
        f"(bare extraction through pypdfium2's helper API: {pages / helper:.0f} pages/s, "
        f"{helper:.3f} s; ratio to it {imp / helper:.2f}x)"
    )
    best: dict[str, float] = {}
    for _ in range(args.repeat):
        for name, seconds in stages(files).items():
            best[name] = min(best.get(name, seconds), seconds)
    rest = imp - sum(best.values())
    shown = {**best, "tables and document (the rest of the import)": rest}
    print(f"bare extraction {bare:.3f} s; import {imp:.3f} s, of which:")
    for name, seconds in shown.items():
        print(f"  {name:<45} {seconds:.3f} s  {seconds / imp:5.1%}")


if __name__ == "__main__":
    main()
