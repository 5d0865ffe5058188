"""Session-wide test settings."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _own_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """rulecheck's caches (parsed rulesets, compiled engines) in a folder of this session:
    the suite never reads or writes the user's ``~/.cache/rulecheck``, and the commands
    it runs share one cache, as a user's runs do. (Subprocesses inherit the variable.)"""
    saved = os.environ.get("RULECHECK_CACHE_DIR")
    os.environ["RULECHECK_CACHE_DIR"] = str(tmp_path_factory.mktemp("rulecheck-cache"))
    yield
    if saved is None:
        os.environ.pop("RULECHECK_CACHE_DIR", None)
    else:
        os.environ["RULECHECK_CACHE_DIR"] = saved
