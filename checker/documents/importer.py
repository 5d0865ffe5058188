"""Import a published document (PDF, or a text dump) into a budget document JSON.

``a.pdf`` or ``explanation.pdf+tables.pdf`` (one document published as several
files) or a text dump ``.txt``: pages are laid out (:mod:`grid` for PDFs,
:mod:`textdump` for dumps), the template is recognised from the table titles
printed (or forced), tables are read by its layout (:mod:`reading`), the prose's
figures by its statement patterns, and every cell and statement keeps its
file, page and box (or line). What cannot be decided is an :class:`ImportNote`
carried into the report; a document that cannot be imported is a
:class:`~checker.diagnostics.RulecheckError` (exit 4) naming file and page.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register
from checker.documents.grid import PageLayout, layout_pages
from checker.documents.layout import Layout, MetaCell, all_layouts, find_layout, normalize
from checker.documents.parts import split_parts
from checker.documents.pdf import PdfError, read_pages
from checker.documents.reading import ImportNote, Reader, count_titles

register(
    {
        "import.no-text": (
            "{file}：PDF 没有文字层（{pages} 页都没有文字，扫描件？），无法读取；不支持 OCR",
            "{file}: the PDF has no text layer (none on its {pages} pages: a scan?);"
            " OCR is not supported",
        ),
        "import.encrypted": (
            "{file}：PDF 已加密，无法读取",
            "{file}: the PDF is encrypted and cannot be read",
        ),
        "import.corrupt": (
            "{file}：不是可读的 PDF 文件（{detail}）",
            "{file}: not a readable PDF file ({detail})",
        ),
        "import.corrupt-page": (
            "{file} 第 {page} 页：PDF 已损坏，无法读取这一页（{detail}）",
            "{file}, page {page}: the PDF is damaged; this page cannot be read ({detail})",
        ),
        "import.empty-file": (
            "{file}：空文件（0 字节），没有可读的内容",
            "{file}: empty file (0 bytes), nothing to read",
        ),
        "import.missing-file": (
            "找不到文件 {file}（“+”连接的文档 {arg} 的一部分）",
            "file {file} not found (part of the document joined with '+': {arg})",
        ),
        "import.no-file": ("找不到文件 {file}", "file {file} not found"),
        "import.unknown-template": (
            "{file}：不是预算文档，或不是已知模板的：{pages} 页中没有任何已知模板的表格标题"
            "（已知模板：{known}）",
            "{file}: not a budget document, or not of a known template: no table title of"
            " a known template found (pages read: {pages}; known templates: {known})",
        ),
        "import.unknown-template-name": (
            "未知模板 {name}（已知：{known}）",
            "unknown template {name} (known: {known})",
        ),
        "import.missing-tables": (
            "{file}：不是已知模板的完整文档：最接近的模板 {template} 缺少必需的表：{missing}"
            "（识别出的表：{found}）",
            "{file}: not a complete document of a known template: the closest, {template},"
            " requires tables not found: {missing} (tables recognised: {found})",
        ),
        # {where}: " p. 14" in a PDF; empty in a text dump, whose line is the location's
        "import.header-unmatched": (
            "表 {table}{where}：表头与模板的任何列都不匹配（{text}）",
            "table {table}{where}: the header matches no column of the template ({text})",
        ),
        "import.column-unmatched": (
            "表 {table}{where}：模板的列 {candidates} 在表头中找不到，这一列读不到（表头：{text}）",
            "table {table}{where}: no printed header matches the template's column"
            " {candidates}; it is not read (header: {text})",
        ),
        "import.unreadable-amount": (
            "表 {table}{where}：无法读作金额的单元格“{text}”，记为未决（null）",
            "table {table}{where}: cell '{text}' cannot be read as an amount;"
            " left unresolved (null)",
        ),
        "import.shifted-row": (
            "表 {table}{where}：这一行少印了一个空单元格，{text} 印在了左边一列；按金额列都是金额、"
            "表头的合计都相加成立的位置右移一列读取：{candidates}",
            "table {table}{where}: the row lacks an empty cell, so {text} print one column"
            " left; read one column right, where every amount column holds an amount and the"
            " header's totals add up: {candidates}",
        ),
        "import.ambiguous-row": (
            "表 {table}{where}：无法确定 {text} 属于哪一列（可能：{candidates}），记为未决（null）",
            "table {table}{where}: cannot tell which column {text} belong to"
            " (candidates: {candidates}); left unresolved (null)",
        ),
        "import.positional-row": (
            "表 {table}{where}：按位置读取的表中这一行的单元格数与模板的列数不同，无法确定 {text}"
            " 属于哪一列（{candidates}），记为未决（null）",
            "table {table}{where}: read by position, but this row prints another number of"
            " cells than the template has columns, so {text} cannot be placed ({candidates});"
            " left unresolved (null)",
        ),
        "import.form-row": (
            "表 {table}{where}：表单中这一行无法按栏位放置 {text}（{candidates}），"
            "记为未决（null）",
            "table {table}{where}: in this form, the row's cells {text} cannot be placed"
            " ({candidates}); left unresolved (null)",
        ),
        "import.not-a-document": (
            "{file}：无法识别的输入（应为 .pdf、文本导出 .txt 或 JSON 文档）",
            "{file}: unrecognised input (expected .pdf, a text dump .txt, or a JSON document)",
        ),
    }
)

_YEAR = re.compile(r"(20[0-9]{2})\s*年")


@dataclass(frozen=True)
class Imported:
    """An imported document, the template it was read by and what the reader could not decide."""

    document: dict[str, Any]
    layout: Layout
    notes: tuple[ImportNote, ...]

    def diagnostics(self) -> list[Diagnostic]:
        """The import notes as diagnostics (warnings), with file and page."""
        return [note_diagnostic(n) for n in self.notes]


def note_diagnostic(note: ImportNote) -> Diagnostic:
    """An import note as a warning diagnostic."""
    place = note.place
    return Diagnostic(
        note.code,
        Location(place.file, line=place.line, pointer=None),
        {
            "table": note.table or "",
            "where": f" p. {place.page}" if place.page is not None else "",
            "page": place.page or "",
            "text": note.text,
            "candidates": "；".join(note.candidates),
        },
        severity="warning",
    )


def _refuse(code: str, file: str, **args: Any) -> RulecheckError:
    return RulecheckError(
        [Diagnostic(code, Location(file), {"file": file, **args})], ExitCode.INVALID_DOCUMENT
    )


def _regular_input(file: str) -> None:
    """A part that exists must be a regular file under ``--max-bytes`` (a FIFO or a device
    is refused, never read); a missing one is reported by the caller."""
    from checker.files import InputFileError, open_input

    if Path(file).is_dir():
        return
    try:
        open_input(file).close()
    except InputFileError as exc:
        if exc.code != "input.unreadable":
            raise RulecheckError([exc.diagnostic()], ExitCode.INVALID_DOCUMENT) from None


def _pages(files: Sequence[str]) -> list[tuple[str, PageLayout]]:
    from checker.documents.textdump import read_text_dump

    for file in files:  # every part is there before any is read
        _regular_input(file)
        if not Path(file).is_file():
            if len(files) > 1:
                raise _refuse("import.missing-file", file, arg="+".join(files))
            raise _refuse("import.no-file", file)
    out: list[tuple[str, PageLayout]] = []
    for file in files:
        path = Path(file)
        if path.stat().st_size == 0:
            raise _refuse("import.empty-file", file)
        if file.lower().endswith(".txt"):
            out.extend((file, page) for page in read_text_dump(path))
            continue
        try:
            pages = layout_pages(read_pages(path))
        except PdfError as exc:
            if exc.reason == "encrypted":
                raise _refuse("import.encrypted", file) from None
            if exc.page is not None:
                raise _refuse(
                    "import.corrupt-page", file, page=exc.page, detail=exc.detail
                ) from None
            raise _refuse("import.corrupt", file, detail=exc.detail or exc.reason) from None
        if sum(p.char_count for p in pages) == 0:
            raise _refuse("import.no-text", file, pages=len(pages))
        out.extend((file, p) for p in pages)
    return out


def choose_layout(pages: Sequence[PageLayout], file: str, template: str | None = None) -> Layout:
    """The template whose table titles the pages print most (or the one named)."""
    layouts = all_layouts()
    if template is not None:
        layout = find_layout(template)
        if layout is None:
            known = ", ".join(
                sorted(Path(la.file).name.removesuffix(".layout.json") for la in layouts)
            )
            raise RulecheckError(
                [
                    Diagnostic(
                        "import.unknown-template-name",
                        Location(file),
                        {"name": template, "known": known},
                    )
                ],
                ExitCode.USAGE,
            )
        return layout
    scored = sorted(((count_titles(la, pages), la) for la in layouts), key=lambda s: -s[0])
    best_score, best = scored[0]
    ties = [la for score, la in scored if score == best_score]
    if best_score == 0:  # no title at all: there is no closest template to name
        known = "、".join(la.name for la in layouts)
        raise _refuse("import.unknown-template", file, pages=len(pages), known=known)
    if len(ties) > 1:
        # the same titles in two templates: the one whose required tables are all printed
        best = max(ties, key=lambda la: _required_found(la, pages))
    return best


def _required_found(layout: Layout, pages: Sequence[PageLayout]) -> int:
    reader = Reader(layout, "")
    reader.read(pages)
    required = {t.role for t in layout.template.tables if t.required}
    return len(required & set(reader.tables))


_RECENT: dict[tuple[Any, ...], Imported] = {}


def _stamp(arg: str) -> tuple[Any, ...]:
    """What identifies an argument's files as they are now (path, size, mtime each)."""
    out: list[Any] = []
    for file in split_parts(arg):
        try:
            stat = os.stat(file)
        except OSError:
            return ()
        out.append((os.path.abspath(file), stat.st_size, stat.st_mtime_ns))
    return tuple(out)


def import_recent(arg: str) -> Imported:
    """:func:`import_document`, reusing the import of the same unchanged files just made
    (a run's first document is imported once to learn its template, then checked)."""
    key = _stamp(arg)
    found = _RECENT.pop(key, None) if key else None
    if found is None:
        found = import_document(arg)
    _RECENT.clear()  # at most one kept: memory stays bounded over a folder
    if key:
        _RECENT[key] = found
    return found


def recognised_template(arg: str) -> str | None:
    """The template an import recognises in ``arg`` (None: it cannot be imported)."""
    try:
        return import_recent(arg).layout.name
    except RulecheckError:
        return None


def import_document(arg: str, template: str | None = None) -> Imported:
    """Import one document: a PDF, several joined with ``+``, or a text dump."""
    files = split_parts(arg)
    pages = _pages(files)
    layout = choose_layout([p for _, p in pages], files[0], template)
    reader = Reader(layout, Path(files[0]).name)
    by_file: dict[str, list[PageLayout]] = {}
    for file, page in pages:
        by_file.setdefault(file, []).append(page)
    # files are read in the order given; a table's provenance names its file
    for file, file_pages in by_file.items():
        reader.file = Path(file).name
        reader.read(file_pages)
    required = [t.role for t in layout.template.tables if t.required]
    missing = [r for r in required if r not in reader.tables]
    if missing:
        raise RulecheckError(
            [
                Diagnostic(
                    "import.missing-tables",
                    Location(arg),
                    {
                        "file": arg,
                        "template": layout.name,
                        "missing": "、".join(missing),
                        "found": _found_tables(reader) or "—",
                    },
                )
            ],
            ExitCode.INVALID_DOCUMENT,
        )
    document = _document(arg, files, pages, layout, reader)
    return Imported(document, layout, tuple(reader.notes))


def _found_tables(reader: Reader) -> str:
    """The tables read, each with its first page: ``收入预算总表 p. 9``."""
    return "、".join(
        f"{role} p. {table.pages[0]}" if table.pages else role
        for role, table in reader.tables.items()
    )


def _document(
    arg: str,
    files: Sequence[str],
    pages: Sequence[tuple[str, PageLayout]],
    layout: Layout,
    reader: Reader,
) -> dict[str, Any]:
    text = "\n".join(line.text for _, page in pages[:3] for line in page.lines)
    meta: dict[str, Any] = {"id": _document_id(files)}
    for key, patterns in layout.meta.items():
        for pattern in patterns:
            found = pattern.search(text)
            if found:
                meta[key] = found.group("v")
                break
    if "year" in meta:
        meta["year"] = int(meta["year"])
    else:
        year = _YEAR.search(text)
        if year:
            meta["year"] = int(year.group(1))
    meta.setdefault("kind", layout.kinds[0])
    if meta["kind"] not in layout.kinds:
        meta["kind"] = layout.kinds[0]
    meta.setdefault("department", Path(files[0]).stem)
    for key, lookups in layout.meta_cells.items():
        if key not in meta:
            found_cell = _meta_cell(lookups, reader, meta)
            if found_cell is not None:
                meta[key] = found_cell
    meta["unit"] = layout.unit
    meta["template"] = layout.name
    meta["source"] = {
        "file": "+".join(Path(f).name for f in files),
        "sha256": "+".join(_sha256(f) for f in files),
    }
    tables: dict[str, Any] = {}
    for role, table in reader.tables.items():
        entry: dict[str, Any] = {"name": table.title, "rows": table.rows}
        if table.unit:
            entry["unit"] = table.unit
        if table.note:
            entry["note"] = table.note
        if table.empty:
            entry["empty"] = True
        entry["provenance"] = {
            "file": table.file or reader.file,
            "pages": table.pages,
            # a row's page (PDF) or line (text dump): a dump's rows have no page
            "rows": [{k: v for k, v in p.items() if v is not None} for p in table.places],
        }
        tables[role] = entry
    document: dict[str, Any] = {"meta": meta, "tables": tables}
    statements = _statements(layout, pages)
    if statements:
        document["statements"] = statements
    return document


def _statements(layout: Layout, pages: Sequence[tuple[str, PageLayout]]) -> dict[str, Any]:
    """The prose's figures, by the layout's patterns: first match wins; the page (PDF) or
    the line (text dump) where the figure is printed kept."""
    out: dict[str, Any] = {}
    if not layout.statements:
        return out
    for _, page in pages:
        if page.grids and not page.lines:
            continue
        texts = [normalize(line.text) for line in page.lines]
        prose = "".join(texts)
        ends = list(itertools.accumulate(len(t) for t in texts))  # each line's end in prose
        for spec in layout.statements:
            if spec.name in out:
                continue
            found = spec.pattern.search(prose)
            if not found:
                continue
            wording = found.groupdict().get("w")
            if found.group("v") is None and wording in _NO_CHANGE:
                value: float | None = 0.0  # “比上年持平”: no figure printed, the change is 0
            else:
                value = statement_number(found.group("v") or "")
            if value is None:
                continue
            item: dict[str, Any] = {"value": value, "text": found.group(0)}
            if spec.unit:
                item["unit"] = spec.unit
            if wording:
                item["wording"] = wording
            if page.number is not None:  # a text dump has no pages: its line instead
                item["page"] = page.number
            else:
                at = found.start("v") if found.group("v") is not None else found.start()
                line = page.lines[bisect.bisect_right(ends, at)].line
                if line is not None:
                    item["line"] = line
            out[spec.name] = item
    return out


# a change printed as a word alone (“与上年持平”): when the pattern's ``v`` takes no part, it is 0
_NO_CHANGE = frozenset({"持平"})

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def statement_number(text: str) -> float | None:
    """A figure of the prose as printed: ``4,736.03``, or a count in Chinese numerals
    (``两``, ``十二``, ``一百零五``) as prose writes small counts; None if neither."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        pass
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in "零〇" and total:  # 一百零五: a placeholder
            continue
        if ch in _CN_DIGITS:
            if digit is not None:  # two digits in a row (一二) is not a number
                return None
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return float(total + (digit or 0))


def _meta_cell(lookups: Sequence[MetaCell], reader: Reader, meta: dict[str, Any]) -> str | None:
    """A document field printed in a table: the first lookup whose row is found once."""
    for lookup in lookups:
        table = reader.tables.get(lookup.table)
        if table is None:
            continue
        try:
            wanted = {k: normalize(v.format(**meta)) for k, v in lookup.row.items()}
        except (KeyError, IndexError, ValueError):
            continue  # a field it names was not found
        values = {
            str(row[lookup.column])
            for row in table.rows
            if row.get(lookup.column) is not None
            and all(normalize(str(row.get(k) or "")) == v for k, v in wanted.items())
        }
        if len(values) == 1:
            return values.pop()
    return None


def _document_id(files: Sequence[str]) -> str:
    stems = [Path(f).stem for f in files]
    if len(stems) == 1:
        return stems[0]
    prefix = os.path.commonprefix(stems).rstrip("-_ ")  # noqa: RUF071 (file names, not paths)
    return prefix or "+".join(stems)


def _sha256(file: str) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_arguments(paths: Sequence[str]) -> list[str]:
    """Expand command-line arguments into documents to import: files, ``a+b`` joins,
    folders (every .pdf and .txt below, sorted) and globs."""
    import glob

    out: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix.lower() in (".pdf", ".txt") and p.is_file()
            )
            out.extend(str(p) for p in found)
        elif "+" in given and not path.exists():
            out.append(given)
        elif not path.exists() and glob.has_magic(given):
            out.extend(sorted(m for m in glob.glob(given, recursive=True) if Path(m).is_file()))
        else:
            out.append(given)
    return out


def validated(imported: Imported) -> list[Diagnostic]:
    """Schema violations of an imported document (none when the reader and schema agree)."""
    from checker.documents.schema import load_schema

    spec = load_schema(imported.layout.schema_file)
    if spec.is_valid(imported.document):
        return []
    return spec.explain(imported.document, str(imported.document["meta"]["id"]))
