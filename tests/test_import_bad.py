"""Bad input to PDF import (issue 14), through the real command line.

Each input is made at run time in ``tmp_path``: a scan (a corpus page rendered to an
image, the image alone put back into a PDF), an encrypted PDF (pypdf, a test extra),
a truncated PDF and one with its middle cut out, a PDF of ordinary English prose, a
PDF of two pages of a budget document (tables of a known template, but not all of
them), and a ``+`` argument naming a file that is not there. Each must be refused with
exit 4 and one message naming the file (and the page, where one applies), with no
traceback and the input unchanged; ``rulecheck check`` imports on the fly and says the
same. The corpus-made inputs skip when ``../shared/corpus`` is absent.
"""

from __future__ import annotations

import ctypes
import hashlib
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest

from tests.cli_run import rulecheck

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SHANGHAI = CORPUS / "01-putuo-govoffice-2025-dept-budget.pdf"  # 22 pages, tables on 8-21
WANLI = CORPUS / "05-putuo-wanli-street-2024-dept-budget.pdf"  # 33 pages
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus (the real published PDFs) is not present"
)


def _prose_pdf(path: Path) -> Path:
    """A one-page PDF whose text layer is ordinary English prose (no budget table)."""
    doc = pdfium.PdfDocument.new()
    page = doc.new_page(595, 842)
    lines = ["Minutes of the garden club, 3 May", "Tea and biscuits were served at four."]
    for k, line in enumerate(lines):
        text = raw.FPDFPageObj_NewTextObj(doc, b"Helvetica", ctypes.c_float(12))
        buffer = ctypes.create_string_buffer((line + "\0").encode("utf-16-le"))
        raw.FPDFText_SetText(text, ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort)))
        raw.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 760 - 20 * k)
        raw.FPDFPage_InsertObject(page, text)
    page.gen_content()
    doc.save(str(path))
    return path


def _scan(path: Path) -> Path:
    """Pages 8-9 of a corpus PDF as a scanner makes them: one image per page, no text."""
    source = pdfium.PdfDocument(str(SHANGHAI))
    doc = pdfium.PdfDocument.new()
    for index in (7, 8):
        page = source[index]
        width, height = page.get_size()
        bitmap = page.render(scale=1)
        image = pdfium.PdfImage.new(doc)
        image.set_bitmap(bitmap)
        image.set_matrix(pdfium.PdfMatrix().scale(width, height))
        new = doc.new_page(width, height)
        new.insert_obj(image)
        new.gen_content()
    doc.save(str(path))
    return path


def _encrypted(path: Path) -> Path:
    pypdf = pytest.importorskip("pypdf", reason="pypdf (a test extra) writes the encrypted PDF")
    writer = pypdf.PdfWriter(clone_from=str(_prose_pdf(path.with_name("plain.pdf"))))
    # RC4: pypdf writes it without the cryptography package; pdfium reads every method
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    with open(path, "wb") as fh:
        writer.write(fh)
    path.with_name("plain.pdf").unlink()
    return path


def _truncated(path: Path) -> Path:
    data = SHANGHAI.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def _damaged_page(path: Path) -> Path:
    """The middle third cut out: pdfium repairs the cross-reference table and opens
    the file, then fails on the last page, whose objects are gone."""
    data = WANLI.read_bytes()
    n = len(data)
    path.write_bytes(data[: n // 3] + data[2 * n // 3 :])
    return path


def _two_tables(path: Path) -> Path:
    """Pages 8-10 of a Shanghai 部门预算: two of the template's nine tables."""
    doc = pdfium.PdfDocument.new()
    doc.import_pages(pdfium.PdfDocument(str(SHANGHAI)), [7, 8, 9])
    doc.save(str(path))
    return path


# case → (how to make it, the argument given, what the message must say (zh, en))
Case = tuple[Callable[[Path], Path], Callable[[Path], str], list[str], list[str]]
CASES: dict[str, Case] = {
    "scanned": (
        _scan,
        str,
        ["scanned.pdf：PDF 没有文字层", "2 页都没有文字", "不支持 OCR"],
        ["scanned.pdf: the PDF has no text layer", "OCR is not supported"],
    ),
    "encrypted": (
        _encrypted,
        str,
        ["encrypted.pdf：PDF 已加密"],
        ["encrypted.pdf: the PDF is encrypted"],
    ),
    "truncated": (
        _truncated,
        str,
        ["truncated.pdf：不是可读的 PDF 文件"],
        ["truncated.pdf: not a readable PDF file"],
    ),
    "damaged": (
        _damaged_page,
        str,
        ["damaged.pdf 第 33 页：PDF 已损坏"],
        ["damaged.pdf, page 33: the PDF is damaged"],
    ),
    "prose": (
        _prose_pdf,
        str,
        ["prose.pdf：不是预算文档", "没有任何已知模板的表格标题", "部门预算公开/上海"],
        ["prose.pdf: not a budget document", "no table title of a known template"],
    ),
    "no-template": (
        _two_tables,
        str,
        [
            "no-template.pdf：不是已知模板的完整文档",
            "最接近的模板 部门预算公开/上海",
            "识别出的表：财务收支预算总表 p. 1、收入预算总表 p. 2",
        ],
        [
            "the closest, 部门预算公开/上海,",
            "tables recognised: 财务收支预算总表 p. 1、收入预算总表 p. 2",
        ],
    ),
    "missing-part": (
        _prose_pdf,
        lambda made: f"{made}+{made.with_name('tables.pdf')}",
        ["找不到文件", "tables.pdf（“+”连接的文档", "missing-part.pdf+"],
        ["tables.pdf not found (part of the document joined with '+'"],
    ),
}
NEEDS_CORPUS = {"scanned", "truncated", "damaged", "no-template"}


def _params() -> list[object]:
    return [
        pytest.param(name, marks=[needs_corpus] if name in NEEDS_CORPUS else [], id=name)
        for name in CASES
    ]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=_params())
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, Path]:
    name = request.param
    make, argument, _, _ = CASES[name]
    made = make(tmp_path / f"{name}.pdf")
    return name, argument(made), made


def _one_message(stderr: str, expected: list[str]) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    for part in expected:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def test_import_refuses_with_one_message(case: tuple[str, str, Path], tmp_path: Path) -> None:
    name, argument, made = case
    before = _digest(made)
    out = tmp_path / "out"
    proc = rulecheck("import", argument, "-o", str(out))
    assert proc.returncode == 4, proc.stderr
    message = _one_message(proc.stderr, CASES[name][2])
    assert message.count("错误") == 1
    assert list(out.iterdir()) == []  # nothing written, not even a temporary file
    assert _digest(made) == before
    assert sorted(p.name for p in made.parent.iterdir()) == sorted([made.name, "out"])

    # check imports on the fly: the same exit code, the same message (in its report)
    checked = rulecheck("check", argument)
    assert checked.returncode == 4, checked.stdout + checked.stderr
    assert message in checked.stdout.splitlines(), checked.stdout
    assert checked.stdout.count("错误") == 1
    assert _digest(made) == before


def test_import_refuses_in_english(case: tuple[str, str, Path]) -> None:
    name, argument, _ = case
    proc = rulecheck("import", argument, "--lang", "en")
    assert proc.returncode == 4, proc.stderr
    _one_message(proc.stderr, CASES[name][3])
    assert proc.stdout == ""


@needs_corpus
def test_one_bad_document_does_not_stop_the_others(tmp_path: Path) -> None:
    """A folder with good and bad PDFs: the good one is written, each bad one has its
    message, and the run exits 4."""
    folder = tmp_path / "in"
    folder.mkdir()
    _prose_pdf(folder / "a-prose.pdf")
    (folder / "b-good.pdf").write_bytes(SHANGHAI.read_bytes())
    _truncated(folder / "c-truncated.pdf")
    out = tmp_path / "out"
    proc = rulecheck("import", str(folder), "-o", str(out))
    assert proc.returncode == 4, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, proc.stderr
    assert "a-prose.pdf" in lines[0] and "c-truncated.pdf" in lines[1]
    assert sorted(p.name for p in out.iterdir()) == ["b-good.json"]
