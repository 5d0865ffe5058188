"""A small on-disk store of pickled values for rulecheck's caches (rulesets, compiled plans,
the rule-language parser).

Values live in :func:`checker.resources.cache_dir` under ``<kind>/<key>.pickle``,
are written atomically, and are read only from that user-owned folder (one its
group or others can write is not used at all). A pickle can run code when it is
read, so every entry is authenticated: it starts with an HMAC-SHA256 of its name
and payload under a random per-user key kept outside the cache folder
(:func:`key_path`), checked before anything is unpickled. An entry that fails the
check (planted, truncated, copied from another user or another entry's name) is a
miss, and rewritten.

Any failure (no cache folder, no key, a read-only disk, a corrupt or foreign entry)
makes a read return None and a write do nothing: a cache never stops a check.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import io
import os
import pickle
import secrets
import stat
import sys
from pathlib import Path
from typing import Any

from checker.resources import cache_dir, debug_note, unsafe_folder


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
    """Where the value for ``key`` lives (None: no safe cache folder, or no key to sign with)."""
    folder = cache_dir()
    if folder is None or _key(folder) is None:
        return None
    return folder / kind / f"{key[:40]}.pickle"


# --------------------------------------------------------------------------- the key

KEY_BYTES = 32
_MAC_BYTES = 32  # HMAC-SHA256
_MAX_ENTRY = 512 * 1024 * 1024  # bytes; a compiled engine is a few MB
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO planted as an entry must not block the open


def key_path() -> Path:
    """The per-user key that signs cache entries: ``$RULECHECK_CACHE_KEY``, else
    ``$XDG_CONFIG_HOME/rulecheck/cache.key`` or ``~/.config/rulecheck/cache.key``
    (outside the cache folder, so whoever can write entries cannot read the key)."""
    own = os.environ.get("RULECHECK_CACHE_KEY")
    if own:
        return Path(own)
    base = os.environ.get("XDG_CONFIG_HOME")
    root = Path(base) if base else Path.home() / ".config"
    return root / "rulecheck" / "cache.key"


_keys: dict[tuple[str, str], bytes | None] = {}


def _key(folder: Path) -> bytes | None:
    """The key (created on first use, 0600 in a 0700 folder), or None: then nothing is
    cached, and ``--debug`` says why."""
    path = key_path()
    slot = (str(path), str(folder))
    if slot not in _keys:
        try:
            found, reason = _load_key(path, folder), None
        except _KeyRefused as exc:
            found, reason = None, str(exc)
        except OSError as exc:
            found, reason = None, exc.strerror or type(exc).__name__
        if reason is not None:
            debug_note(f"缓存密钥未使用 / cache key not used: {path}: {reason}; caching is off")
        _keys[slot] = found
    return _keys[slot]


class _KeyRefused(Exception):
    pass


def _load_key(path: Path, folder: Path) -> bytes:
    parent = path.parent
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    real, cache = parent.resolve(), folder.resolve()
    if real == cache or cache in real.parents:
        raise _KeyRefused("inside the cache folder")
    reason = unsafe_folder(os.stat(parent))
    if reason is not None:
        raise _KeyRefused(f"its folder is {reason}")
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    tmp = parent / f".{path.name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
        with contextlib.suppress(FileExistsError):  # a concurrent first run's key wins
            os.link(tmp, path)  # all or nothing: never a half-written key
    finally:
        tmp.unlink(missing_ok=True)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _KeyRefused("not a regular file")
        getuid = getattr(os, "getuid", None)
        if getuid is not None and (st.st_uid != getuid() or st.st_mode & 0o077):
            raise _KeyRefused(
                f"owned by uid {st.st_uid} with mode {st.st_mode & 0o777:o} "
                "(it must be this user's, mode 600)"
            )
        key = f.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise _KeyRefused(f"not {KEY_BYTES} bytes long (delete it: a new one is made)")
    return key


def _mac(key: bytes, path: Path, payload: bytes | memoryview) -> bytes:
    """The HMAC of an entry: its name (kind and file) and payload, so an entry copied
    under another name does not verify either."""
    mac = hmac.new(key, f"{path.parent.name}/{path.name}\0".encode(), hashlib.sha256)
    mac.update(payload)
    return mac.digest()


# --------------------------------------------------------------------------- entries


def read(path: Path | None) -> Any | None:
    """The value stored at ``path``, or None (missing, or it does not verify)."""
    if path is None:
        return None
    key = _key(path.parent.parent)
    if key is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_ENTRY:
                return None
            data = f.read(_MAX_ENTRY + 1)
        os.utime(path)  # recently used: the last to be pruned
    except OSError:
        return None
    if len(data) <= _MAC_BYTES or len(data) > _MAX_ENTRY:
        return None
    view = memoryview(data)
    if not hmac.compare_digest(view[:_MAC_BYTES], _mac(key, path, view[_MAC_BYTES:])):
        return None  # planted, truncated or foreign: never unpickled
    return loads(view[_MAC_BYTES:])


def write(path: Path | None, value: Any) -> None:
    """Store ``value`` at ``path`` (atomically; silently not at all on failure)."""
    if path is None:
        return
    key = _key(path.parent.parent)
    if key is None:
        return
    try:
        data = dumps(value)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(_mac(key, path, data))
            out.write(data)
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


def loads(data: bytes | memoryview) -> Any | None:
    """The value :func:`dumps` made ``data`` from, or None (corrupt, another version).

    Unpickling runs code: ``data`` must come from this process or from an entry
    :func:`read` verified (an engine's rules compiled on demand are kept this way)."""
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
