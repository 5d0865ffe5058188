"""Diagnostics: every problem rulecheck reports is an object, never a bare string.

A :class:`Diagnostic` carries a stable ``code``, a severity, where it happened
(:class:`Location`: file, line:column and/or JSON pointer) and the arguments of
its message. The text is rendered on demand in the user's language from the
catalog each stage registers with :func:`register`, so one object serves the
Chinese default, ``--lang en`` and the JSON output alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal

from checker.display import inert

Severity = Literal["error", "warning", "info"]
Lang = Literal["zh", "en"]


class ExitCode(IntEnum):
    """Process exit codes (DESIGN.md: Bad input)."""

    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INVALID_RULES = 3
    INVALID_DOCUMENT = 4
    INTERNAL = 5


_CATALOG: dict[str, tuple[str, str]] = {}
_SEVERITY_WORDS: dict[Lang, dict[str, str]] = {
    "zh": {"error": "错误", "warning": "警告", "info": "提示"},
    "en": {"error": "error", "warning": "warning", "info": "note"},
}


def register(messages: Mapping[str, tuple[str, str]]) -> None:
    """Add ``code -> (chinese, english)`` message templates (``str.format`` style)."""
    _CATALOG.update(messages)


def severity_word(severity: str, lang: Lang = "zh") -> str:
    """The word for a severity in the user's language."""
    return _SEVERITY_WORDS[lang].get(severity, severity)


@dataclass(frozen=True)
class Location:
    """Where a diagnostic points: a file, optionally line:column (1-based) and a JSON pointer."""

    file: str
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    pointer: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        if self.pointer is not None:
            text += f" {self.pointer or '/'}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a rule file or a document."""

    code: str
    location: Location
    args: Mapping[str, Any] = field(default_factory=dict)
    severity: Severity = "error"
    hint: str | None = None  # a catalog code for a follow-up line ("did you mean …")
    hint_args: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: Lang = "zh") -> str:
        """The message in ``lang``."""
        return _render(self.code, self.args, lang)

    def hint_message(self, lang: Lang = "zh") -> str | None:
        """The follow-up hint in ``lang``, if any."""
        return None if self.hint is None else _render(self.hint, self.hint_args, lang)

    def format(self, lang: Lang = "zh") -> str:
        """``file:line:col: 错误: message`` (plus the hint on its own line), control
        characters from its arguments shown escaped (:func:`checker.display.inert`)."""
        where = inert(str(self.location))
        text = f"{where}: {severity_word(self.severity, lang)}: {inert(self.message(lang))}"
        hint = self.hint_message(lang)
        return text if hint is None else f"{text}\n  {inert(hint)}"

    def to_dict(self, lang: Lang = "zh") -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message(lang),
            "location": self.location.to_dict(),
        }
        hint = self.hint_message(lang)
        if hint is not None:
            out["hint"] = hint
        return out


def message(code: str, lang: Lang = "zh", **args: Any) -> str:
    """A catalogue message in ``lang`` (for report text that is not a diagnostic)."""
    return _render(code, args, lang)


def _render(code: str, args: Mapping[str, Any], lang: Lang) -> str:
    zh, en = _CATALOG.get(code, (code, code))
    template = zh if lang == "zh" else en
    try:
        return template.format(**args)
    except (KeyError, IndexError, ValueError):
        return f"{template} {dict(args)}"


class RulecheckError(Exception):
    """Raised when input cannot be used; carries every diagnostic found and the exit code."""

    def __init__(self, diagnostics: list[Diagnostic], exit_code: ExitCode) -> None:
        super().__init__("; ".join(d.format("en") for d in diagnostics[:3]))
        self.diagnostics = diagnostics
        self.exit_code = exit_code
