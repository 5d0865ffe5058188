"""No code runs from cached data (issue 17).

Every cache entry (resolved rulesets, compiled engines, the rule-language parser's
tables, which lark's own ``cache=`` would keep as a bare pickle) is signed with a
per-user key kept outside the cache folder and verified before it is unpickled. A
planted, truncated, garbage or foreign entry is a miss (and rewritten); a cache
folder that is not the user's, or that others can write, is not used at all, and
``--debug`` says so once. Every test runs under a timeout (the subprocesses' own,
the alarm below for the rest).
"""

from __future__ import annotations

import os
import pickle
import signal
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import ROOT, rulecheck

SEED = str(ROOT / "examples" / "000_afa05cab7739910b.json")
NOT_USED = "cache folder not used"
# A small ruleset of the bundled template (an entry rule file including another, as the
# bundled ones do): it fills every kind of cache entry at a fraction of the default
# ruleset's cost, which every test here pays twice or more with a cold cache.
_ENTRY = """ruleset "缓存测试" version "1"
precision 0.01 万元
alias 收支表 = 部门收支总体情况表
include "收支.rules"
"""
_INCLUDED = """in 收支表:
  rule C-01 "收入总计 = 本年收入合计 + 上年结转结余":
    收入总计 = 本年收入合计 + 上年结转结余
  rule C-02 "收入总计 = 支出总计":
    收入总计 = 支出总计
"""


@pytest.fixture(autouse=True)
def _timeout() -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("test took over 300 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(300)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder and key for this test (both inherited by subprocesses)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("RULECHECK_CACHE_DIR", str(folder))
    monkeypatch.setenv("RULECHECK_CACHE_KEY", str(tmp_path / "config" / "cache.key"))
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "ruleset.rules").write_text(_ENTRY, encoding="utf-8")
    (rules / "收支.rules").write_text(_INCLUDED, encoding="utf-8")
    monkeypatch.setenv("_RULECHECK_TEST_RULES", str(rules / "ruleset.rules"))
    return folder


class _Touch:
    """Unpickling this creates ``path`` (what a planted entry would do, or worse)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/*.pickle"))


def _rules() -> str:
    return os.environ["_RULECHECK_TEST_RULES"]


def _check() -> tuple[int, str]:
    done = rulecheck("check", SEED, "-r", _rules(), "--format", "json")
    return done.returncode, done.stdout


def _first_run(cache: Path) -> tuple[int, str, list[Path]]:
    code, out = _check()
    entries = _entries(cache)
    kinds = {p.parent.name for p in entries}
    assert {"rulesets", "engines", "grammar"} <= kinds, entries
    return code, out, entries


def _verified(entries: list[Path]) -> bool:
    from checker import diskcache

    return all(diskcache.read(p) is not None for p in entries)


def test_a_planted_entry_runs_no_code(cache: Path, tmp_path: Path) -> None:
    """A pickle that creates a file when loaded, planted at every path rulecheck reads
    (the ruleset's rule cache, its engine, the parser's tables), bare or behind
    a forged 32-byte signature: the next check runs as before, and no file appears."""
    code, out, entries = _first_run(cache)
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(_Touch(probe)))
    assert probe.exists(), "the planted payload does create its file when unpickled"

    for forged in (b"", b"\0" * 32):
        marker = tmp_path / f"pwned-{len(forged)}"
        for entry in entries:
            entry.write_bytes(forged + pickle.dumps({"ruleset": _Touch(marker)}))
        assert _check() == (code, out)
        assert not marker.exists(), "a planted cache entry ran code"
        assert _entries(cache) == entries  # the same paths were read ...
        assert _verified(entries)  # ... and rewritten as signed entries


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "fifo"])
def test_a_damaged_entry_is_a_miss(cache: Path, damage: str) -> None:
    code, out, entries = _first_run(cache)
    for entry in entries:
        data = entry.read_bytes()
        if damage == "truncated":
            entry.write_bytes(data[: len(data) // 2])
        elif damage == "garbage":
            entry.write_bytes(os.urandom(len(data)))
        elif damage == "empty":
            entry.write_bytes(b"")
        else:
            entry.unlink()
            os.mkfifo(entry)  # must neither block the run nor be read
    assert _check() == (code, out)
    if damage != "fifo":
        assert _verified(entries)


def test_a_foreign_entry_is_a_miss(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry signed with another key (another user's), or a valid entry moved to
    another entry's name, does not verify."""
    from checker import diskcache

    first = diskcache.entry("test", "a")
    second = diskcache.entry("test", "b")
    assert first is not None and second is not None
    diskcache.write(first, {"value": 1})
    assert diskcache.read(first) == {"value": 1}
    second.write_bytes(first.read_bytes())
    assert diskcache.read(second) is None, "an entry under another name"

    monkeypatch.setenv("RULECHECK_CACHE_KEY", str(tmp_path / "other" / "cache.key"))
    assert diskcache.read(first) is None, "an entry signed with another key"
    diskcache.write(first, {"value": 2})  # a miss is rewritten with this key
    assert diskcache.read(first) == {"value": 2}


def test_the_key_is_kept_outside_the_cache_folder(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default the key is ``$XDG_CONFIG_HOME/rulecheck/cache.key``: mode 600 in a
    700 folder, never in the cache folder; a key there, or readable by others, turns
    caching off (and ``--debug`` says why)."""
    monkeypatch.delenv("RULECHECK_CACHE_KEY")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    _check()
    key = tmp_path / "xdg" / "rulecheck" / "cache.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert len(key.read_bytes()) == 32
    assert _entries(cache)
    assert not [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".pickle"]

    inside = tmp_path / "inside"
    monkeypatch.setenv("RULECHECK_CACHE_DIR", str(inside))
    monkeypatch.setenv("RULECHECK_CACHE_KEY", str(inside / "keys" / "cache.key"))
    done = rulecheck("--debug", "check", SEED, "-r", _rules())
    assert done.stderr.count("cache key not used") == 1, done.stderr
    assert "inside the cache folder" in done.stderr
    assert not _entries(inside)

    key.chmod(0o644)
    monkeypatch.setenv("RULECHECK_CACHE_DIR", str(tmp_path / "third"))
    monkeypatch.setenv("RULECHECK_CACHE_KEY", str(key))
    done = rulecheck("--debug", "check", SEED, "-r", _rules())
    assert done.stderr.count("cache key not used") == 1, done.stderr
    assert not _entries(tmp_path / "third")


def test_a_folder_others_can_write_is_not_used(cache: Path, tmp_path: Path) -> None:
    """A world-writable cache folder: nothing is read from it (a planted entry stays
    unread) or written to it, and ``--debug`` says so once."""
    code, out, entries = _first_run(cache)
    marker = tmp_path / "pwned"
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Touch(marker)))
    planted = {p: p.read_bytes() for p in entries}
    cache.chmod(0o777)

    done = rulecheck("--debug", "check", SEED, "-r", _rules(), "--format", "json")
    assert (done.returncode, done.stdout) == (code, out)
    assert done.stderr.count(NOT_USED) == 1, done.stderr
    assert "writable by its group or others" in done.stderr
    assert not marker.exists()
    assert {p: p.read_bytes() for p in _entries(cache)} == planted  # none read or written

    quiet = rulecheck("check", SEED, "-r", _rules(), "--format", "json")
    assert NOT_USED not in quiet.stderr  # only with --debug
    cache.chmod(0o700)
    assert NOT_USED not in rulecheck("--debug", "check", SEED, "-r", _rules(), "-q").stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_a_folder_of_another_user_is_not_used(cache: Path) -> None:
    cache.mkdir(mode=0o700)
    os.chown(cache, 12345, -1)
    done = rulecheck("--debug", "check", SEED, "-r", _rules())
    assert done.stderr.count(NOT_USED) == 1, done.stderr
    assert "owned by uid 12345" in done.stderr
    assert not list(cache.iterdir())
