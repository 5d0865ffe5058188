"""Import speed: pages per second importing the corpus, beside the bare text-with-positions
extraction of the same pages in the same run (issue 14).

    python -m bench.bench_import [--repeat 3]

Writes its figures to bench/RESULTS.md under "Import (issue 14)".
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

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


def bare_pypdfium2(files: list[Path]) -> int:
    """Every character with its box, through pypdfium2 (the library the importer uses)."""
    import pypdfium2 as pdfium

    pages = 0
    for file in files:
        doc = pdfium.PdfDocument(str(file))
        for i in range(len(doc)):
            page = doc[i]
            text = page.get_textpage()
            for k in range(text.count_chars()):
                text.get_charbox(k, loose=True)
            pages += 1
        doc.close()
    return pages


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from checker.diagnostics import RulecheckError
    from checker.documents.importer import import_document

    files = sorted(CORPUS.glob("*.pdf"))
    bare_times, import_times = [], []
    pages = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        pages = bare_pypdfium2(files)
        bare_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        for arg in _arguments():
            with contextlib.suppress(RulecheckError):
                import_document(arg)
        import_times.append(time.perf_counter() - start)
    bare, imp = min(bare_times), min(import_times)
    print(
        f"pages {pages}; bare extraction {pages / bare:.0f} pages/s; "
        f"import {pages / imp:.0f} pages/s; ratio {imp / bare:.2f}x"
    )


if __name__ == "__main__":
    main()
