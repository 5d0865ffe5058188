"""``check --format html`` (issue 19): the page as a real browser shows it.

One headless chromium for the module (tests/browser.py) opens the seed's report, finds the
marked cells by DOM query (the 1.00 failure's total in 支出经济分类汇总表 red, a 尾差 cell
amber, each linked to its finding and the finding to its cells), and reads the screenshot's
pixels where those cells are drawn. A document whose project name is a ``<script>`` and an
attribute breakout renders them as text: no script but the page's own runs. Skipped, with
the reason, only when no chromium can be found (``.ci/run`` installs Debian's).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import Browser, find_chromium
from cli_run import ROOT, rulecheck

import checker.report.html as html_report
from checker.api import check, check_documents, load_rules

SEED = ROOT / "examples" / "000_afa05cab7739910b.json"
ECONOMIC = "支出经济分类汇总表"
# the 1.00 failure: JJ-10's 合计 row, 其中：财政拨款 column (4,648.93 printed, 4,649.93 summed)
FAILING = f"/tables/{ECONOMIC}/rows/0/一般公共预算.财政拨款"
# 30201/50502 办公费, 其中：财政拨款 23.98: what error localization names first (→ 22.98)
LOCALIZED = f"/tables/{ECONOMIC}/rows/19/一般公共预算.财政拨款"
# ZC-01 on 部门支出总体情况表's 合计 row: 4,736.03 = 888.63 + 3,847.41 off by 0.01 (尾差)
ROUNDING = "/tables/部门支出总体情况表/rows/0/合计"

SCRIPT = "<script>document.title='pwned'</script>"
BREAKOUT = '" onmouseover="document.title=\'hovered\'" x="'
IMAGE = "<img src=x onerror=\"document.title='img'\">"

CHROMIUM = find_chromium()
needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium on this machine (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    launched = Browser(CHROMIUM, width=1400, height=900)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's report, written by the real command line (exit 1: it has findings)."""
    out = tmp_path_factory.mktemp("html") / "seed.html"
    proc = rulecheck("check", str(SEED), "--format", "html", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    return out


def _at(pointer: str) -> str:
    """JavaScript finding the drawn (marked) cell of a JSON pointer."""
    return (
        f"document.querySelector('td[data-pointer=' + JSON.stringify({json.dumps(pointer)}) + ']')"
    )


def _same_column(pointer: str, row: int) -> str:
    """JavaScript finding the cell of row ``row`` in the column of ``pointer``'s cell (an
    unmarked cell has no pointer): the row whose gutter reads ``row``."""
    return f"""(function() {{
  var td = {_at(pointer)}, body = td.closest('tbody');
  var tr = Array.from(body.rows).find(function(r) {{ return r.cells[0].textContent === '{row}'; }});
  return tr ? tr.cells[td.cellIndex] : null;
}})()"""


def _cell(browser: Browser, where: str, *, scroll: bool = True) -> dict[str, Any]:
    """The cell ``where`` finds (JavaScript): its classes, text, rectangle on screen (after
    scrolling it into view), its background colour, and its findings' rules."""
    return browser.evaluate(
        f"""(function() {{
  var td = {where};
  if (!td) return null;
  if ({json.dumps(scroll)}) td.scrollIntoView({{block: 'center', inline: 'center'}});
  var r = td.getBoundingClientRect();
  var findings = Array.from(td.querySelectorAll('sup.refs a')).map(function(a) {{
    var f = document.getElementById(a.getAttribute('href').slice(1));
    return f ? f.querySelector('.fh b').textContent : null;
  }});
  return {{classes: td.className, text: td.childNodes[0].textContent, id: td.id,
    rect: [r.left, r.top, r.right, r.bottom], background: getComputedStyle(td).backgroundColor,
    findings: findings, links: Array.from(td.querySelectorAll('sup.refs a'))
      .map(function(a) {{ return a.getAttribute('href'); }})}};
}})()"""
    )


def _pixels(png: Path, rect: list[float]) -> list[tuple[int, int, int]]:
    """The RGB pixels inside a cell's rectangle (its border and outline left out)."""
    from PIL import Image

    with Image.open(png) as image:
        rgb = image.convert("RGB")
        left, top, right, bottom = (int(v) for v in rect)
        box = (left + 4, top + 4, right - 4, bottom - 4)
        data = rgb.crop(box).tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]


def _share(pixels: list[tuple[int, int, int]], test: Any) -> float:
    return sum(1 for p in pixels if test(p)) / max(1, len(pixels))


def _red(p: tuple[int, int, int]) -> bool:
    r, g, b = p
    return r > 200 and r - g > 60 and r - b > 60


def _amber(p: tuple[int, int, int]) -> bool:
    r, g, b = p
    return r > 220 and 170 < g < 230 and b < 140


@needs_browser
def test_seed_failure_and_rounding_marked_in_the_page(
    browser: Browser, seed_page: Path, tmp_path: Path
) -> None:
    browser.open(seed_page)
    assert browser.evaluate("document.querySelector('h1').textContent").endswith(
        "000_afa05cab7739910b"
    )
    # the economic table is drawn as published: its title, unit and two-level header
    caption = browser.evaluate(
        f"document.querySelector('table[data-table=\"{ECONOMIC}\"] caption').textContent"
    )
    assert "2023年支出经济分类汇总表" in caption and "万元" in caption
    headers = browser.evaluate(
        f"Array.from(document.querySelectorAll('table[data-table=\"{ECONOMIC}\"] thead th'))"
        ".map(function(th){return th.textContent})"
    )
    assert any(h.startswith("一般公共预算") for h in headers)
    assert any(h.startswith("其中") and "财政拨款" in h for h in headers)

    failing = _cell(browser, _at(FAILING))
    assert failing is not None, "the 1.00 failure's cell is drawn"
    assert "fail" in failing["classes"].split() and failing["text"] == "4,648.93"
    assert "JJ-10[一般公共预算.财政拨款]" in failing["findings"]
    # its finding shows the arithmetic and links back to the cell
    finding = failing["links"][failing["findings"].index("JJ-10[一般公共预算.财政拨款]")][1:]
    arithmetic = browser.evaluate(
        f"document.getElementById({json.dumps(finding)}).querySelector('table.arith').innerText"
    )
    for figure in ("4,648.93", "4,649.93", "-1.00", "±0.18", "[4,648.925, 4,648.935]"):
        assert figure in arithmetic
    # its operands link to what they read: the total's cell, and the summed column's heading
    targets = browser.evaluate(
        f"Array.from(document.getElementById({json.dumps(finding)})"
        ".querySelectorAll('table.ops a')).map(function(a){"
        "var t = document.getElementById(a.getAttribute('href').slice(1));"
        "return t ? t.tagName + ' ' + t.textContent : null})"
    )
    assert targets[0].startswith("TD 4,648.93")
    assert targets[1].startswith("TH 其中") and "Σ" in targets[1]
    browser.evaluate(f"location.hash = {json.dumps(finding)}")
    assert browser.evaluate(
        f"document.getElementById({json.dumps(failing['id'])}).classList.contains('hl')"
    ), "opening the finding highlights its cells"

    shot = tmp_path / "seed-failure.png"
    failing = _cell(browser, _at(FAILING))  # scrolled into view again
    unmarked = _cell(browser, _same_column(FAILING, 2), scroll=False)
    assert unmarked is not None and unmarked["text"] == "7.70"
    assert "m" not in unmarked["classes"].split()
    browser.screenshot(shot)
    assert _share(_pixels(shot, failing["rect"]), _red) > 0.5, failing
    assert _share(_pixels(shot, unmarked["rect"]), _red) == 0, "an unmarked cell stays white"

    rounding = _cell(browser, _at(ROUNDING))
    assert rounding is not None and "rounding" in rounding["classes"].split()
    assert "ZC-01" in rounding["findings"]
    shot = tmp_path / "seed-rounding.png"
    browser.screenshot(shot)
    assert _share(_pixels(shot, rounding["rect"]), _amber) > 0.5, rounding
    assert _share(_pixels(shot, rounding["rect"]), _red) == 0


@needs_browser
def test_localized_cell_outlined_with_its_suggested_value(
    browser: Browser, seed_page: Path, tmp_path: Path
) -> None:
    """The seed's localization on the page: 支出经济分类汇总表 30201/50502 (办公费)
    其中：财政拨款 23.98 outlined with 22.98, listed first under 最可能有误的单元格 with its
    tied candidates, a link to the cell and to JJ-10's finding; the rounding causes
    (27.11 → 27.105 among them) folded under 尾差来源."""
    browser.open(seed_page)
    localized = _cell(browser, _at(LOCALIZED))
    assert localized is not None and "loc" in localized["classes"].split()
    assert localized["text"] == "23.98"
    suggested = browser.evaluate(
        f"document.getElementById({json.dumps(localized['id'])}).querySelector('.sugg').textContent"
    )
    assert suggested.endswith("22.98")
    listed = browser.evaluate(
        "Array.from(document.querySelectorAll('.likely li')).map(function(li){"
        "return [li.textContent, Array.from(li.querySelectorAll('a')).map(function(a){"
        "return a.getAttribute('href')})]})"
    )
    text, links = listed[0]
    assert "23.98 → 22.98" in text and "30201 50502" in text
    assert links[0] == f"#{localized['id']}"
    rule = browser.evaluate(
        f"document.getElementById({json.dumps(links[1][1:])}).querySelector('.fh b').textContent"
    )
    assert rule == "JJ-10[一般公共预算.财政拨款]"
    assert len(listed) > 1, "tied candidates are listed, not hidden"
    causes = browser.evaluate("document.querySelector('details.causes').textContent")
    assert "27.11 → 27.105" in causes
    shot = tmp_path / "localized.png"
    browser.screenshot(shot)
    left, top, _, bottom = localized["rect"]
    edge = _pixels(shot, [left - 4, top - 4, left + 6, bottom + 4])  # the outline's left side

    def blue(p: tuple[int, int, int]) -> bool:
        return p[2] > 120 and p[2] - p[0] > 60

    assert _share(edge, blue) > 0.2


def _hostile_document() -> dict[str, Any]:
    """The seed with markup in a project's name and unit and in its id and department; the
    project's 合计 off by 1 so that its row is marked (and drawn)."""
    doc = copy.deepcopy(json.loads(SEED.read_text(encoding="utf-8")))
    doc["meta"]["id"] = f"doc{SCRIPT}"
    doc["meta"]["department"] = IMAGE
    row = doc["tables"]["项目支出表"]["rows"][2]
    row["项目名称"] = SCRIPT
    row["项目单位"] = BREAKOUT
    row["合计"] = round(row["合计"] + 1, 2)
    return doc


@needs_browser
def test_markup_from_a_document_renders_as_text(browser: Browser, tmp_path: Path) -> None:
    report = check_documents([_hostile_document()], load_rules())
    page = tmp_path / "hostile.html"
    page.write_text(report.to_html(), encoding="utf-8")
    browser.open(page)
    title = browser.evaluate("document.title")
    assert title.endswith(f"doc{SCRIPT}"), "the id is in the title as text"
    assert browser.evaluate("document.scripts.length") == 1, "no script but the page's own"
    assert (
        browser.evaluate("document.querySelectorAll('[onmouseover],[onerror],img,[x]').length") == 0
    )
    # the project's row is drawn and its cells hold the strings literally
    texts = browser.evaluate(
        "Array.from(document.querySelectorAll('table[data-table=\"项目支出表\"] td'))"
        ".map(function(td){return td.firstChild ? td.firstChild.textContent : ''})"
    )
    assert SCRIPT in texts and BREAKOUT in texts
    body = browser.evaluate("document.body.innerText")
    assert IMAGE in body
    # hovering the breakout's cell runs nothing
    browser.evaluate(
        "Array.from(document.querySelectorAll('td')).forEach(function(td){"
        "td.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}))})"
    )
    assert browser.evaluate("document.title") == title


def test_page_loads_nothing_and_is_english_on_request(tmp_path: Path) -> None:
    out = tmp_path / "en.html"
    proc = rulecheck("check", str(SEED), "--format", "html", "--lang", "en", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert "default-src 'none'" in page  # its policy forbids fetching anything
    for fetching in (
        'src="http',
        "src='http",
        'href="http',
        "url(",
        "@import",
        '<link rel="stylesheet',
    ):
        assert fetching not in page
    assert "rulecheck report" in page and "fail" in page and "rulecheck 检查报告" not in page
    zh = rulecheck("check", str(SEED), "--format", "html").stdout
    assert "rulecheck 检查报告" in zh and "不符" in zh


@needs_browser
def test_batch_index_and_marked_rows_only(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch: an index of every document (counts, links to the drawn ones); above 20
    documents only the marked rows of a table are drawn; past the cap, documents are only
    counted in the index."""
    seed = json.loads(SEED.read_text(encoding="utf-8"))
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(24):
        doc = copy.deepcopy(seed)
        doc["meta"]["id"] = f"d{i:02d}"
        (folder / f"d{i:02d}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    cap = 3
    monkeypatch.setattr(html_report, "DRAWN_DOCUMENTS", cap)
    kept = ("fail", "error", "rounding")
    report = check(
        [str(folder)],
        load_rules(),
        keep=kept,
        cells_for=kept,
        tables_for=kept,
        tables_max=cap,
        batch_size=10,
    )
    page = tmp_path / "batch.html"
    page.write_text(report.to_html(), encoding="utf-8")
    browser.open(page)
    index = browser.evaluate(
        "Array.from(document.querySelectorAll('table.index tbody tr')).map(function(tr){"
        "var a = tr.querySelector('a'); return [tr.cells[1].textContent, a ? a.getAttribute('href')"
        " : null, +tr.cells[4].textContent]})"
    )
    assert [name for name, _, _ in index] == [f"d{i:02d}" for i in range(24)]
    assert all(fails == 19 for _, _, fails in index)
    assert [link for _, link, _ in index][:cap] == ["#d0", "#d1", "#d2"]
    assert all(link is None for _, link, _ in index[cap:])
    assert browser.evaluate("document.querySelectorAll('section.doc').length") == cap
    assert "21" in browser.evaluate("document.querySelector('#index .warn').textContent")
    # a drawn table of a batch: only its marked rows, the others counted in gap rows
    rows = browser.evaluate(
        f"Array.from(document.querySelectorAll('#d1 table[data-table=\"{ECONOMIC}\"] tbody tr'))"
        ".map(function(tr){return tr.className + '|' + tr.cells[0].textContent})"
    )
    drawn = [r for r in rows if not r.startswith("gap|")]
    assert any(r.startswith("gap|") for r in rows)
    assert 0 < len(drawn) < 38
    assert browser.evaluate(
        f"!!document.querySelector('#d1 td[data-pointer=' + JSON.stringify({json.dumps(FAILING)})"
        " + '].fail')"
    )
    # the filter hides the documents that do not match
    browser.evaluate(
        "var f = document.getElementById('filter'); f.value = 'd07';"
        " f.dispatchEvent(new Event('input'))"
    )
    visible = browser.evaluate(
        "Array.from(document.querySelectorAll('table.index tbody tr'))"
        ".filter(function(tr){return !tr.classList.contains('hidden')}).length"
    )
    assert visible == 1


@needs_browser
def test_waived_and_invalid_documents(browser: Browser, tmp_path: Path) -> None:
    """A waived finding's cells are grey (not red) and the finding shows its waiver; an
    invalid document of the run is listed with its message, as text."""
    from datetime import date

    waivers = tmp_path / "waivers.toml"
    waivers.write_text(
        '[[waiver]]\ndocument = "000_afa05cab7739910b"\nrule = "JJ-10[一般公共预算.财政拨款]"\n'
        'justification = "已函询：<b>合计</b>"\nauthor = "张三"\nexpires = 2030-01-01\n',
        encoding="utf-8",
    )
    bad = tmp_path / "<bad>.json"
    bad.write_text('{"meta": {"id": "<bad>"}, "tables": 1}', encoding="utf-8")
    report = check(
        [str(SEED), str(bad)], load_rules(), waivers=str(waivers), today=date(2026, 1, 1)
    )
    page = tmp_path / "waived.html"
    page.write_text(report.to_html(), encoding="utf-8")
    browser.open(page)
    cell = _cell(browser, _at(FAILING))
    assert cell is not None and "waived" in cell["classes"].split()
    assert "fail" not in cell["classes"].split()
    finding = cell["links"][0][1:]
    waiver = browser.evaluate(
        f"document.getElementById({json.dumps(finding)}).querySelector('.waiver').textContent"
    )
    assert "已函询：<b>合计</b>" in waiver and "张三" in waiver
    listed = browser.evaluate(
        "Array.from(document.querySelectorAll('.diags li')).map(function(li){"
        "return li.textContent})"
    )
    assert any("<bad>.json" in text for text in listed)
    # the page's own <b>: headings and the localization blocks' marks
    own = "document.querySelectorAll('.fh b, .likely b, .causes b').length"
    assert browser.evaluate("document.querySelectorAll('b').length") == browser.evaluate(own), (
        "no <b> but the page's own"
    )
