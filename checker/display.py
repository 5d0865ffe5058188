"""Text from documents (ids, paths, cell texts, keys) made inert before it is shown.

A document may hold any string: a newline followed by ``::error …`` would be a GitHub
workflow command in a CI log, an ANSI escape would repaint a terminal, a control
character makes XML ill-formed. :func:`inert` is the one escaping for display text
(control characters, DEL, C1 controls, bidirectional overrides and lone surrogates
shown as ``\\n``, ``\\x1b``, ``\\u202e`` …); :func:`xml_safe` keeps what XML 1.0
allows and escapes the rest the same way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_DISPLAY_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_RUST_UNSAFE = r"[\x00-\x1F\x7F-\x9F\x{202A}-\x{202E}\x{2066}-\x{2069}]"  # the same, for Polars
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def inert(text: str) -> str:
    """*text* with every control character shown escaped (``a\\nb``, ``\\x1b[31m``)."""
    return _DISPLAY_UNSAFE.sub(_escaped, text)


def xml_safe(text: str) -> str:
    """*text* with the characters XML 1.0 cannot hold shown escaped (tab, CR, LF kept)."""
    return _XML_UNSAFE.sub(_escaped, text)


def inert_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """*frame* with :func:`inert` applied to its text columns (only those that need it)."""
    import polars as pl

    texts = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    unsafe = [name for name in texts if frame[name].str.contains(_RUST_UNSAFE).any()]
    return frame.with_columns(
        pl.col(name).map_elements(inert, return_dtype=pl.String) for name in unsafe
    )
