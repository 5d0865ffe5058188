"""A published document as a command-line argument: one file, or several joined with
``+`` (``a.pdf+b.pdf``). Kept apart from the importer so that naming inputs does not
load the PDF reader (and numpy) for a run that reads JSON or columnar documents."""

from __future__ import annotations

import os


def is_importable(arg: str) -> bool:
    """Whether a command-line argument names a published document (not JSON)."""
    parts = arg.split("+") if "+" in arg and not os.path.exists(arg) else [arg]
    return all(p.lower().endswith((".pdf", ".txt")) for p in parts)


def split_parts(arg: str) -> list[str]:
    """``a.pdf+b.pdf`` → its files (a path that exists as written is one file)."""
    if "+" in arg and not os.path.exists(arg):
        return [p for p in arg.split("+") if p]
    return [arg]
