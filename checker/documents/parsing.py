"""Parse one document's bytes with orjson, and say what is wrong when that fails.

Catches what orjson cannot say (BOM, non-UTF-8, NaN, nesting) and duplicate
keys, which orjson drops silently; see :func:`_may_have_duplicates` for how
they are caught without a second parse (a byte count compared with the parsed
object's key count, exact by construction; only a mismatch pays for the exact
re-parse).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Collection, Sequence
from itertools import repeat
from typing import Any, Final

import orjson

from checker import pointers
from checker.diagnostics import Diagnostic, Location, register

PARSER_DEPTH_LIMIT: Final = 1024  # orjson's nesting limit

register(
    {
        "doc.empty": ("文件为空：没有 JSON 内容", "empty document: no JSON content"),
        "doc.bom": (
            "文件以 UTF-8 BOM（EF BB BF）开头，JSON 不允许 BOM：请另存为“UTF-8 无 BOM”",
            "the file starts with a UTF-8 byte order mark (EF BB BF), which JSON does "
            "not allow: save it as UTF-8 without BOM",
        ),
        "doc.encoding": (
            "不是有效的 UTF-8：第 {offset} 字节（0x{byte}）无法解码；请另存为 UTF-8",
            "not valid UTF-8: byte {offset} (0x{byte}) cannot be decoded; save the file as UTF-8",
        ),
        "hint.gbk": (
            "该文件看起来是 GBK/GB18030 编码",
            "the file looks like GBK/GB18030 encoded text",
        ),
        "doc.json": ("JSON 语法错误：{detail_zh}", "malformed JSON: {detail}"),
        "doc.nan": (
            "JSON 数字不允许 {token}（NaN 和 Infinity 不是合法的 JSON 数字）；空单元格请写 null",
            "{token} is not allowed in JSON numbers (NaN and Infinity are not JSON); "
            "write null for an empty cell",
        ),
        "doc.too-deep": (
            "嵌套层数过深（超过 JSON 解析上限 {limit} 层）；预算文档只有几层嵌套",
            "nesting too deep (over the parser's limit of {limit} levels); "
            "a budget document nests only a few levels",
        ),
        "doc.duplicate-key": (
            '键 "{key}" 重复出现：JSON 解析只保留最后一个值，前面的值会被静默丢弃',
            'duplicate key "{key}": a JSON parser keeps only the last value and '
            "silently drops the earlier ones",
        ),
        "doc.not-object": (
            "文档必须是一个 JSON 对象 {{…}}，这里却是{kind_zh}",
            "a document must be a JSON object {{…}}, not {kind_en}",
        ),
    }
)

# orjson's messages, in Chinese (the English stays as orjson says it).
_JSON_DETAIL_ZH: Final[dict[str, str]] = {
    "unexpected character, expected ',' or ']'": "此处应为 ',' 或 ']'",
    "unexpected character, expected ',' or '}'": "此处应为 ',' 或 '}'",
    "unexpected character, expected a string key": "此处应为带双引号的键",
    "unexpected character, expected a JSON value": "此处应为一个 JSON 值",
    "unexpected character, expected ':' after key": "键后面应为 ':'",
    "invalid literal, expected 'true'": "无效的字面量，应为 true",
    "invalid literal, expected 'false'": "无效的字面量，应为 false",
    "invalid literal, expected 'null'": "无效的字面量，应为 null",
    "unexpected content after document": "文档结束后还有多余内容",
    "no digit after exponent sign": "指数符号后缺少数字",
    "no digit after decimal point": "小数点后缺少数字",
    "no digit after sign": "正负号后缺少数字",
    "unexpected end of data": "内容意外结束（括号或引号未闭合？）",
    "invalid escaped sequence in string": "字符串中有无效的转义序列",
    "trailing comma is not allowed": "不允许尾随逗号",
    "unexpected control character in string": "字符串中有未转义的控制字符（如换行、制表符）",
    "number with leading zero is not allowed": "数字不允许以 0 开头",
    "number is infinity when parsed as double": "数字超出范围（按双精度解析为无穷大）",
}

_KIND_WORDS: Final[dict[str, tuple[str, str]]] = {
    "object": ("对象", "an object"),
    "array": ("数组", "an array"),
    "string": ("文本", "a string"),
    "number": ("数字", "a number"),
    "integer": ("整数", "an integer"),
    "boolean": ("布尔值", "a boolean"),
    "null": ("null（空）", "null"),
}


def _kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_BOM: Final = b"\xef\xbb\xbf"
_NAN_TOKEN: Final = re.compile(r"-?(?:NaN|Infinity|inf(?:inity)?|nan)\b", re.IGNORECASE)


def parse_document(
    data: bytes, file: str, *, line: int | None = None
) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """Parse one document's bytes; ``(object, [])`` or ``(None, diagnostics)``. Never raises.

    ``line`` is the NDJSON line the bytes came from (positions are then on that line).
    """
    value, diags = _parse(data, file, line)
    if value is not None:
        diags = _duplicate_diagnostics(data, value, file, line)
        if diags:
            value = None
    return value, diags


def _parse(
    data: bytes, file: str, line: int | None
) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    """:func:`parse_document` without the duplicate-key check (the loader batches it)."""

    def at(ln: int | None, col: int | None, pointer: str | None = None) -> Location:
        if line is not None:
            return Location(file, line, col, pointer=pointer)
        return Location(file, ln, col, pointer=pointer)

    if not data or data.isspace():
        return None, [Diagnostic("doc.empty", at(None, None))]
    if data.startswith(_BOM):
        return None, [Diagnostic("doc.bom", at(1, 1))]
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return None, [_json_error(exc, data, at)]
    if not isinstance(value, dict):
        kind = _kind_of(value)
        zh, en = _KIND_WORDS[kind]
        return None, [
            Diagnostic("doc.not-object", at(None, None, ""), {"kind_zh": zh, "kind_en": en})
        ]
    return value, []


def _duplicate_diagnostics(
    data: bytes, value: dict[str, Any], file: str, line: int | None
) -> list[Diagnostic]:
    """``doc.duplicate-key`` for each duplicated key (``[]`` when there is none)."""
    if not _may_have_duplicates(data, value):
        return []
    return [
        Diagnostic("doc.duplicate-key", Location(file, line, None, pointer=pointer), {"key": key})
        for pointer, key in _duplicate_keys(data)
    ]


def _json_error(exc: orjson.JSONDecodeError, data: bytes, at: Any) -> Diagnostic:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        offset = bad.start
        ln = data.count(b"\n", 0, offset) + 1
        col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        hint = None
        try:
            data.decode("gb18030")
            hint = "hint.gbk"
        except UnicodeDecodeError:
            pass
        return Diagnostic(
            "doc.encoding",
            at(ln, col),
            {"offset": offset, "byte": f"{data[offset]:02X}"},
            hint=hint,
        )
    detail = str(exc.msg)
    if detail.startswith("depth limit"):
        return Diagnostic("doc.too-deep", at(exc.lineno, exc.colno), {"limit": PARSER_DEPTH_LIMIT})
    pos = int(exc.pos)
    for start in (pos, pos - 1):
        match = _NAN_TOKEN.match(text, max(start, 0))
        if match:
            return Diagnostic("doc.nan", at(exc.lineno, exc.colno), {"token": match.group()})
    return Diagnostic(
        "doc.json",
        at(exc.lineno, exc.colno),
        {"detail": detail, "detail_zh": _JSON_DETAIL_ZH.get(detail, detail)},
    )


class _PairsObject(dict[str, Any]):
    """A dict that remembers which of its keys appeared more than once."""

    duplicates: list[str]


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A plain dict, or a :class:`_PairsObject` when a key repeats (the rare case)."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    marked = _PairsObject(pairs)
    marked.duplicates = repeated_keys(pairs)
    return marked


def repeated_keys(pairs: Sequence[tuple[str, Any]]) -> list[str]:
    """The keys an object's pairs hold more than once, in the order they repeat."""
    repeated: list[str] = []
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    return repeated


# JSON allows whitespace between a key and its colon ("key" : 1): seen as a quote, each
# key is again followed by '":'.
_SPACE_TO_QUOTE: Final = bytes.maketrans(b" \n\t\r", b'""""')


def _may_have_duplicates(data: bytes, value: dict[str, Any]) -> bool:
    """False only when ``data`` provably holds no duplicated object key (else: look closer).

    orjson keeps the last of duplicate keys silently, so the parsed object
    holds fewer keys than the text has key tokens exactly when a key was
    repeated. Let T be the key tokens in the text, P the keys of the parsed
    object and K <= P the keys :func:`_key_count` counts (it only counts, never
    guesses). Always K <= P <= T, and T == P iff there is no duplicate.

    Every key token is a string followed by optional whitespace and one ``:``
    (the only place JSON puts a colon outside strings), so once the four
    whitespace bytes are mapped to ``"``, each key token ends in a ``":`` of
    its own: T <= count(``":``). The count may be larger than T (a string
    holding ``\":`` or a space before a colon, or starting with ``:``), never
    smaller; so ``count == K`` forces K = P = T: no duplicate, proved with one
    byte mapping, one byte-pair count and a walk over the containers (not the
    cells) of the parsed object. Any other outcome (a genuine duplicate, a
    count inflated by such strings, an object shaped otherwise than a
    document) returns True and the caller runs the exact check,
    :func:`_duplicate_keys`. Measured: ~0.3 ms per 100 KB document, a little
    less than the check this replaces (re-serialise the object, compare its
    colons with the text's), which could miss a duplicate in a document
    spelling a colon ``\u003a``.
    """
    return data.translate(_SPACE_TO_QUOTE).count(b'":') != _key_count(value)


def _key_count(document: dict[str, Any]) -> int:
    """The keys of the objects a document is made of, a lower bound of all its keys.

    Counts the document, ``meta`` and its object members (``source``),
    ``tables``, each table, each row and ``statements`` and each statement,
    as far as they are objects; anything else (cell values, or a part that
    has another shape in an invalid document) is not counted.
    """
    count = len(document)
    meta = document.get("meta")
    if type(meta) is dict:
        count += len(meta) + _keys_of(meta.values())
    tables = document.get("tables")
    if type(tables) is dict:
        count += len(tables) + _keys_of(tables.values())
        for table in tables.values():
            rows = table.get("rows") if type(table) is dict else None
            if type(rows) is list:
                count += _keys_of(rows)
    statements = document.get("statements")
    if type(statements) is dict:
        count += len(statements) + _keys_of(statements.values())
    return count


def _keys_of(values: Collection[Any]) -> int:
    """The keys of those of ``values`` that are objects."""
    if all(map(isinstance, values, repeat(dict))):
        return sum(map(len, values))
    return sum(len(v) for v in values if type(v) is dict)


def _duplicate_keys(data: bytes) -> list[tuple[str, str]]:
    """``(pointer, key)`` of each duplicated object key, exactly (a second, slow parse).

    Re-parses with the standard library and ``object_pairs_hook``, which sees
    every key token; the nesting limit is raised for the call so that a
    document orjson accepted (at most ``PARSER_DEPTH_LIMIT`` levels) is
    always looked at.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * PARSER_DEPTH_LIMIT))
    try:
        marked: list[dict[str, Any]] = []

        def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
            obj = _pairs_hook(pairs)
            if type(obj) is _PairsObject:
                marked.append(obj)
            return obj

        tree = json.loads(data, object_pairs_hook=hook)
    except (ValueError, RecursionError):  # pragma: no cover - orjson accepted the same bytes
        return []
    finally:
        sys.setrecursionlimit(limit)
    found: list[tuple[str, str]] = []
    if not marked:
        return found  # the gate's count was inflated by a string: nothing to locate
    stack: list[tuple[list[Any], Any]] = [([], tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node, _PairsObject):
                found.extend((pointers.build(*path, k), k) for k in node.duplicates)
            stack.extend(([*path, k], v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend(([*path, i], v) for i, v in enumerate(node))
    return sorted(found)
