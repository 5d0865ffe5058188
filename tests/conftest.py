"""Session-wide test settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """rulecheck's caches (parsed rulesets, compiled engines) in a folder of this session:
    the suite never reads or writes the user's ``~/.cache/rulecheck``, nor the key that
    signs its entries (kept outside the cache folder), and the commands it runs share one
    cache, as a user's runs do. (Subprocesses inherit the variables.)"""
    names = ("RULECHECK_CACHE_DIR", "RULECHECK_CACHE_KEY")
    saved = {name: os.environ.get(name) for name in names}
    os.environ["RULECHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("rulecheck-cache"))
    os.environ["RULECHECK_CACHE_KEY"] = str(tmp_path_factory.mktemp("rulecheck-key") / "cache.key")
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
