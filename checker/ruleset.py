"""A resolved ruleset with the template it was resolved against (:class:`Rules`): what
``checker.api.load_rules`` returns, a report was checked with, and ``--select``/``--ignore``
narrow."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from checker import ast, diskcache
from checker.diagnostics import Diagnostic, ExitCode, Location, RulecheckError, register
from checker.template import Template

register(
    {
        "rules.select-unknown": (
            "{option} {pattern}：规则集中没有这个编号，也没有以它开头的编号",
            "{option} {pattern}: no rule of the ruleset has this id or starts with it",
        ),
    }
)


@dataclass(frozen=True)
class Rules:
    """A resolved ruleset with the template it was resolved against."""

    ruleset: ast.Ruleset
    template: Template
    diagnostics: tuple[Diagnostic, ...] = ()
    paths: tuple[str, ...] = ()
    # the ruleset's content digest (rulecache.ruleset_digest), when known: the compiled
    # engine's cache key; None makes Engine.cached compute it
    digest: str | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Rules:
        """Keep rules whose id equals or starts with a ``select`` entry and no ``ignore`` entry.

        An entry naming no rule of the ruleset raises :class:`RulecheckError` (exit 2, usage)
        with a did-you-mean: a misspelt id would otherwise select nothing, or ignore nothing,
        in silence.
        """
        wanted, unwanted = tuple(select), tuple(ignore)
        if not wanted and not unwanted:
            return self
        unknown = [
            _unknown_rule(option, pattern, self.ruleset.rules)
            for option, patterns in (("--select", wanted), ("--ignore", unwanted))
            for pattern in patterns
            if not any(
                _matches(r.meta.id, r.meta.id.split("[", 1)[0], pattern) for r in self.ruleset.rules
            )
        ]
        if unknown:
            raise RulecheckError(unknown, ExitCode.USAGE)

        def keep(rule_id: str) -> bool:
            base = rule_id.split("[", 1)[0]
            chosen = not wanted or any(_matches(rule_id, base, w) for w in wanted)
            return chosen and not any(_matches(rule_id, base, u) for u in unwanted)

        rules = tuple(r for r in self.ruleset.rules if keep(r.meta.id))
        digest = None
        if self.digest is not None:
            digest = diskcache.digest(self.digest, *(r.meta.id for r in rules))
        return replace(self, ruleset=replace(self.ruleset, rules=rules), digest=digest)


def _matches(rule_id: str, base: str, pattern: str) -> bool:
    return rule_id == pattern or base == pattern or rule_id.startswith(pattern)


def _unknown_rule(option: str, pattern: str, rules: Sequence[ast.Rule | ast.Rollup]) -> Diagnostic:
    """``--select``/``--ignore`` ``pattern`` matches no rule: the nearest ids and prefixes."""
    from checker.syntax import closest, did_you_mean

    names: dict[str, None] = {}
    for rule in rules:
        base = rule.meta.id.split("[", 1)[0]
        prefix = base.rpartition("-")[0]
        names.update(dict.fromkeys((f"{prefix}-", base) if prefix else (base,)))
    near = closest(pattern, list(names), key=str.casefold)
    return Diagnostic(
        "rules.select-unknown",
        Location("rulecheck"),
        {"option": option, "pattern": pattern},
        hint="rules.hint.did-you-mean" if near else None,
        hint_args=did_you_mean(near) if near else {},
    )
