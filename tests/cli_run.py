"""Run the real command line (``python -m checker.cli``) from tests: no traceback allowed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rulecheck(
    *args: str,
    stdin: bytes | None = None,
    cwd: Path | None = None,
    columns: int = 200,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """``rulecheck ARGS...`` in a subprocess (the checkout's code, a terminal ``columns``
    wide, ``env`` added to the environment), with ``stdin`` as its standard input, killed
    after ``timeout`` seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns), **(env or {})}
    proc = subprocess.run(
        [sys.executable, "-m", "checker.cli", *args],
        input=stdin.decode("utf-8", "surrogateescape") if stdin is not None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc
