"""A small on-disk store of pickled values for rulecheck's caches (rulesets, compiled plans).

Values live in :func:`checker.resources.cache_dir` under ``<kind>/<key>.pickle``,
are written atomically, and are read only from that user-owned folder. Any
failure (no cache folder, a read-only disk, a corrupt or foreign entry) makes
a read return None and a write do nothing: a cache never stops a check.
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import pickle
import sys
from pathlib import Path
from typing import Any

from checker.resources import cache_dir


def digest(*parts: bytes | str) -> str:
    """A hex digest of the parts (each length-prefixed, so the split is part of the key)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


def source_digest(*files: Path) -> str:
    """The digest of some files' bytes (the code a cached value was made by)."""
    return digest(*(f.read_bytes() for f in files))


def entry(kind: str, key: str) -> Path | None:
    """Where the value for ``key`` lives (None: no writable cache folder)."""
    folder = cache_dir()
    return None if folder is None else folder / kind / f"{key[:40]}.pickle"


def read(path: Path | None) -> Any | None:
    """The value stored at ``path``, or None."""
    if path is None:
        return None
    try:
        data = path.read_bytes()
        os.utime(path)  # recently used: the last to be pruned
    except OSError:
        return None
    return loads(data)


def write(path: Path | None, value: Any) -> None:
    """Store ``value`` at ``path`` (atomically; silently not at all on failure)."""
    if path is None:
        return
    try:
        data = dumps(value)
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)  # a concurrent reader sees all or nothing
        _prune(path.parent)
    except Exception:
        return


KEEP = 8  # entries per kind: each ruleset, template or rulecheck version edited makes one


def _prune(folder: Path) -> None:
    """Remove all but the ``KEEP`` most recently used entries of a kind (edits to a
    ruleset or an upgrade leave entries that no key will ask for again)."""
    entries = []
    for path in folder.glob("*.pickle"):
        try:
            entries.append((path.stat().st_mtime, path))
        except OSError:
            continue
    entries.sort(reverse=True)
    for _, path in entries[KEEP:]:
        path.unlink(missing_ok=True)


def dumps(value: Any) -> bytes:
    """``value`` as bytes: a pickle, with its Polars expressions in one container."""
    exprs: list[Any] = []
    data = io.BytesIO()
    _Pickler(data, exprs).dump(value)
    stored = {"value": data.getvalue(), "exprs": _container(exprs)}
    return pickle.dumps(stored, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any | None:
    """The value :func:`dumps` made ``data`` from, or None (corrupt, another version)."""
    paused = gc.isenabled()
    gc.disable()  # unpickling makes tens of thousands of objects: no collection passes
    try:
        stored = pickle.loads(data)
        return _Unpickler(stored["value"], _exprs(stored["exprs"])).load()
    except Exception:  # corrupt, or written by another version
        return None
    finally:
        if paused:
            gc.enable()


# Polars expressions are stored as the inputs of one container expression: unpickled one
# by one, each cost ~6 µs of per-call overhead (a compiled engine holds thousands), while
# one container deserialises at once and ``meta.pop()`` hands back its inputs. Sentinels
# at both ends check the order they come back in.
_FIRST, _LAST = "__rulecheck_first__", "__rulecheck_last__"


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, exprs: list[Any]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._exprs = exprs
        self._seen: dict[int, int] = {}
        polars = sys.modules.get("polars")  # no Polars loaded, no expression to find
        self._expr_type = polars.Expr if polars is not None else None

    def persistent_id(self, obj: Any) -> int | None:
        if self._expr_type is None or not isinstance(obj, self._expr_type):
            return None
        found = self._seen.get(id(obj))
        if found is None:
            found = self._seen[id(obj)] = len(self._exprs)
            self._exprs.append(obj)
        return found


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, exprs: list[Any]) -> None:
        super().__init__(io.BytesIO(data))
        self._exprs = exprs

    def persistent_load(self, pid: Any) -> Any:
        return self._exprs[pid]


def _container(exprs: list[Any]) -> Any:
    if not exprs:
        return None
    import polars as pl

    return pl.concat_list([pl.lit(_FIRST), *exprs, pl.lit(_LAST)])


def _exprs(container: Any) -> list[Any]:
    if container is None:
        return []
    import polars as pl

    inputs = container.meta.pop()
    if inputs[0].meta.eq(pl.lit(_LAST)) and inputs[-1].meta.eq(pl.lit(_FIRST)):
        inputs.reverse()
    if not (inputs[0].meta.eq(pl.lit(_FIRST)) and inputs[-1].meta.eq(pl.lit(_LAST))):
        raise ValueError("expressions came back in an unknown order")
    return list(inputs[1:-1])
