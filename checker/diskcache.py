"""A small on-disk store of pickled values for rulecheck's caches (rulesets, compiled plans).

Values live in :func:`checker.resources.cache_dir` under ``<kind>/<key>.pickle``,
are written atomically, and are read only from that user-owned folder. Any
failure (no cache folder, a read-only disk, a corrupt or foreign entry) makes
a read return None and a write do nothing: a cache never stops a check.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
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
    paused = gc.isenabled()
    gc.disable()  # unpickling makes tens of thousands of objects: no collection passes
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except Exception:  # absent, corrupt, or written by another version
        return None
    finally:
        if paused:
            gc.enable()


def write(path: Path | None, value: Any) -> None:
    """Store ``value`` at ``path`` (atomically; silently not at all on failure)."""
    if path is None:
        return
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # a concurrent reader sees all or nothing
    except Exception:
        return
