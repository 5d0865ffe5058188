"""What ``rulecheck analyze`` finds in a ruleset (the model: :mod:`checker.analysis.model`).

* **Contradictions**: sets of rules no document can pass together. First in the
  rounding view (no document passes them all, not even by 尾差), then in the exact view
  among the rest (the identities cannot all hold: only a document that some of them pass
  by 尾差 alone can pass them all). Each set is irreducible — without any one of its
  rules the others can hold — found by a deletion filter over the instances of one
  connected group of rules (sharing figures) that cannot all hold. Rules whose
  conditions exclude each other (``exists X`` / ``not exists X``) are never put in one set:
  a set that mixes them is split by that condition and searched again.
* **Redundant rules**: a rule whose every comparison follows from other rules that
  apply whenever it does (their ``when`` literals are among its own). It follows when the
  most the others let its ``d`` be is within what it accepts: in the exact view (as an
  identity), and then in the rounding view (it cannot even report a 尾差 the others let
  through). The rules it follows from are those a least-weight dual certificate of the
  bound uses, made irreducible (linear algebra for independent equalities, else a
  deletion filter); the redundant rules that can be dropped together are marked.
* **Conditions** (``when``): one that cannot hold at all (its atoms contradict, or its
  linear part cannot hold), or cannot hold in a document that passes the rules applying
  with it; one with nothing decidable in it is listed as not analysed.
* **Rules without tests**: rules no case file (docs/rule-tests.md) expects to pass, or
  to fail.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from checker.analysis.model import (
    Conj,
    Constraint,
    Instance,
    Literal_,
    Model,
    build,
)
from checker.analysis.solver import Program, View, objective
from checker.diagnostics import Diagnostic
from checker.ruleset import Rules

if TYPE_CHECKING:
    from checker.documents import DocumentSchema

_SPLITS = 6  # how often a contradiction search may split on conflicting conditions
_MAX_FOUND = 20  # contradictions reported per group of rules


@dataclass(frozen=True)
class Member:
    """A rule in a finding, and where it was read (None: the document; else a row)."""

    rule: str
    row: str | None = None


@dataclass(frozen=True)
class Contradiction:
    """Rules that cannot all pass: ``rounding`` True when not even by 尾差."""

    members: tuple[Member, ...]
    rounding: bool


@dataclass(frozen=True)
class Redundancy:
    """A rule that follows from others (``implied_by``), as an identity; ``rounding``:
    also in the checker's verdict, from ``rounding_by`` (None: it can report a 尾差 the
    others let through); ``own_condition``: only under its own ``when``."""

    rule: str
    row: str | None  # where it was read (a per-row rule: its rows)
    implied_by: tuple[Member, ...]
    rounding_by: tuple[Member, ...] | None
    own_condition: bool
    removable: bool = False  # among those that can be dropped together (see _removable)


@dataclass(frozen=True)
class ConditionVerdict:
    """A ``when`` that never holds (``never``), never holds where the rules applying
    with it pass (``never-passing``, ``blocked_by`` them), or was not analysed."""

    rule: str
    verdict: str  # never | never-passing | not-analysed
    condition: str
    blocked_by: tuple[Member, ...] = ()
    unknown: tuple[str, ...] = ()  # the parts not analysed


@dataclass(frozen=True)
class Untested:
    """Rules no case file expects to pass (``no_pass``) or to fail (``no_fail``)."""

    files: int
    cases: int
    no_pass: tuple[str, ...]
    no_fail: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class Analysis:
    """Everything ``rulecheck analyze`` reports on a ruleset."""

    paths: tuple[str, ...]
    model: Model
    contradictions: tuple[Contradiction, ...]
    redundancies: tuple[Redundancy, ...]
    conditions: tuple[ConditionVerdict, ...]
    untested: Untested
    # rules whose redundancy was not checked: in a contradiction, or in a group of rules
    # that cannot all hold even without the contradictions found
    unchecked: tuple[str, ...] = ()
    conditions_analysed: int = 0
    conditions_partly: int = 0  # of those analysed and possible, with a part not analysed


def analyze(
    rules: Rules, paths: Sequence[str | os.PathLike[str]], schema: DocumentSchema
) -> Analysis:
    """Analyse a resolved ruleset (``schema``: the document schema it was resolved
    against, read for column minima; ``paths``: where its case files are looked for)."""
    model = build(rules.ruleset, rules.template, schema.raw)
    return _Analyzer(model).run(rules, [str(p) for p in paths])


# --------------------------------------------------------------------------- the analyser


def _literals(inst: Instance) -> frozenset[Literal_]:
    return inst.scenario.literals | inst.reads


def _conflict(members: Iterable[Instance]) -> Literal_ | None:
    """An atom some of ``members`` need to hold and others not to (as (atom, True))."""
    seen: dict[object, bool] = {}
    for inst in members:
        for atom, holds in sorted(_literals(inst), key=repr):  # the same split every run
            if seen.setdefault(atom, holds) != holds:
                return (atom, True)
    return None


class _Analyzer:
    def __init__(self, model: Model) -> None:
        self.model = model
        self.instances = model.instances
        self.excluded: set[int] = set()  # instances left out once contradictions are found
        self.unchecked: set[int] = set()  # of them, those whose redundancy was not checked
        self.groups = self._groups()
        self.group_index = {i: g for g, members in enumerate(self.groups) for i in members}
        self._programs: dict[tuple[View, int], Program] = {}
        self.group_of: dict[object, set[int]] = {}  # figure → the groups reading it
        for g, members in enumerate(self.groups):
            for i in members:
                for key in self.instances[i].variables:
                    self.group_of.setdefault(key, set()).add(g)
        self._possible_cache: dict[object, bool] = {}

    def _groups(self) -> list[list[int]]:
        """Instances connected through the figures they read (union-find)."""
        parent = list(range(len(self.instances)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        first: dict[object, int] = {}
        for i, inst in enumerate(self.instances):
            for key in inst.variables:
                j = first.setdefault(key, i)
                parent[find(i)] = find(j)
        groups: dict[int, list[int]] = {}
        for i in range(len(self.instances)):
            groups.setdefault(find(i), []).append(i)
        return list(groups.values())

    def _program(self, view: View, members: Iterable[int]) -> Program:
        """The members' checks (owner ``i``) and their conditions' linear parts (``~i``)."""
        program = Program.of(self.model.variables, view, ())
        for i in members:
            inst = self.instances[i]
            for c in inst.checks:
                program.add(i, c)
            for c in inst.scenario.linear:
                program.add(~i, c)
        return program

    def _separable(self, group: list[int]) -> bool:
        """Whether the group's constraints can hold together without asking the solver:
        each has a free figure (no lower bound) no other constraint reads, which can make
        it hold whatever the others do (most groups are one or two unrelated rules)."""
        constraints = [
            c
            for i in group
            for c in (*self.instances[i].checks, *self.instances[i].scenario.linear)
        ]
        readers: dict[object, int] = {}
        for c in constraints:
            for key, _ in c.coefs:
                readers[key] = readers.get(key, 0) + 1
        variables = self.model.variables
        return all(
            any(readers[key] == 1 and variables[key].lower is None for key, _ in c.coefs)
            for c in constraints
        )

    def _group_program(self, view: View, i: int) -> Program:
        """The program of the group of instance ``i`` (built once per view): questions about
        some of its instances pass their owners (:func:`_rows`)."""
        g = self.group_index[i]
        found = self._programs.get((view, g))
        if found is None:
            found = self._programs[(view, g)] = self._program(view, self.groups[g])
        return found

    # ---- contradictions

    def contradictions(self) -> tuple[list[Contradiction], set[int]]:
        """The contradictions, and the instances of the groups whose remaining instances
        (without those of the contradictions found) still cannot all hold."""
        found: list[Contradiction] = []
        excluded: set[int] = set()  # instances of a contradiction, or of a group beyond search
        for group in self.groups:
            if self._separable(group):
                continue
            program = self._group_program("exact", group[0])
            if program.feasible() is not False:
                continue
            sets: list[tuple[frozenset[int], bool]] = []
            dead: set[int] = set()  # rules that never apply where the others pass
            rounding = self._group_program("rounding", group[0])
            complete = self._search(rounding, set(group), sets, dead, True, _SPLITS)
            rest = set(group) - dead - {i for members, _ in sets for i in members}
            complete &= self._search(program, rest, sets, dead, False, _SPLITS)
            members = {i for chosen, _ in sets for i in chosen}
            if not complete:  # more than the search could name: none of it is checked
                members = set(group)
            excluded |= members | dead
            self.unchecked |= members
            for chosen, strict in sets:
                found.append(
                    Contradiction(
                        tuple(
                            Member(self.instances[i].rule, self.instances[i].row)
                            for i in sorted(chosen)
                        ),
                        strict,
                    )
                )
        return found, excluded

    def _search(
        self,
        program: Program,
        pool: set[int],
        out: list[tuple[frozenset[int], bool]],
        dead: set[int],
        rounding: bool,
        splits: int,
    ) -> bool:
        """Add the irreducible sets of ``pool`` that cannot hold (``rounding``: in that view)
        to ``out``, and to ``dead`` the instances whose condition is what cannot hold; True
        when what is left of the pool can hold (every scenario of conflicting conditions
        searched), False when a limit stopped the search."""

        def fails(members: Iterable[int]) -> bool:
            return program.feasible(_rows(members)) is False

        while pool:
            if not fails(pool):
                return True
            if len(out) >= _MAX_FOUND:
                return False
            proof = program.certificate([({}, -1.0)], _rows(pool))
            seed = sorted({o if o >= 0 else ~o for o in proof or ()})
            members = _irreducible(seed if fails(seed) else sorted(pool), fails)
            # a rule whose condition, not its check, is what cannot hold with the others
            # never applies there: a finding about its condition (conditions()), not this
            blocked = [
                i
                for i in members
                if self.instances[i].scenario.linear
                and program.feasible(_rows(members) - {i}) is False
            ]
            if blocked:
                dead.update(blocked)
                pool = pool - set(blocked)
                continue
            conflict = _conflict(self.instances[i] for i in members)
            if conflict is not None:
                if splits <= 0:
                    return False
                atom = conflict[0]
                complete = True
                for holds in (True, False):
                    kept = {
                        i for i in pool if (atom, not holds) not in _literals(self.instances[i])
                    }
                    complete &= self._search(program, kept, out, dead, rounding, splits - 1)
                return complete
            key = frozenset(members)
            if all(key != k for k, _ in out):
                out.append((key, rounding))
            pool = pool - key
        return True

    # ---- redundancy

    def redundancies(self, tainted: set[int]) -> list[Redundancy]:
        found: list[tuple[int, list[int], Redundancy]] = []
        for i, inst in enumerate(self.instances):
            if not inst.home or i in tainted:
                continue
            mine = _literals(inst)
            usable = [
                j
                for j in self.groups[self.group_index[i]]
                if j not in tainted
                and self.instances[j].rule != inst.rule
                and self.instances[j].scenario.literals <= mine
            ]
            if not self._may_follow(inst, usable):  # (no usable rule: it may always hold)
                continue
            result = self._implied(i, inst, usable)
            if result is not None:
                found.append((i, usable, result))
        removable = self._removable(found)
        return [dataclasses.replace(r, removable=r.rule in removable) for _, _, r in found]

    def _removable(self, found: list[tuple[int, list[int], Redundancy]]) -> set[str]:
        """Redundant rules that can be dropped together, the others still implying each:
        greedily, those implied by the fewest rules first (later rules first on a tie)."""
        order = sorted(range(len(found)), key=lambda k: (len(found[k][2].implied_by), -k))
        dropped: set[str] = set()
        for k in order:
            i, usable, redundancy = found[k]
            inst = self.instances[i]
            kept = [j for j in usable if self.instances[j].rule not in dropped]
            if not {m.rule for m in redundancy.implied_by} & dropped:
                dropped.add(redundancy.rule)
                continue
            program = self._group_program("exact", i)
            if self._follows(program, inst.checks, _rows(kept) | {~i}):
                dropped.add(redundancy.rule)
        return dropped

    def _may_follow(self, inst: Instance, usable: list[int]) -> bool:
        """Cheap test: a free figure of the rule that no other usable rule reads lets its
        ``d`` go anywhere (one bounded below, upwards when its coefficient is positive)."""
        seen = {k for j in usable for k in self.instances[j].variables}
        seen |= {k for c in inst.scenario.linear for k in c.variables}
        for c in inst.checks:
            for key, coef in c.coefs:
                if key in seen:
                    continue
                if self.model.variables[key].lower is None or c.op == "=" or coef > 0:
                    return False
        return True

    def _implied(self, i: int, inst: Instance, usable: list[int]) -> Redundancy | None:
        # the usable instances, and the rule's own condition (owner ~i, not its check i)
        everything = _rows(usable) | {~i}
        exact = self._group_program("exact", i)
        if not self._follows(exact, inst.checks, everything):
            return None
        minimal = self._reasons(exact, i, inst.checks, usable)
        own = bool(inst.scenario.linear) and not self._follows(exact, inst.checks, _rows(minimal))
        rounding = self._group_program("rounding", i)
        rounding_by: list[int] | None = None
        if self._follows(rounding, inst.checks, _rows(minimal) | {~i}):
            rounding_by = minimal
        elif self._follows(rounding, inst.checks, everything):
            rounding_by = self._reasons(rounding, i, inst.checks, usable)

        def named(chosen: Iterable[int]) -> tuple[Member, ...]:
            return tuple(Member(self.instances[j].rule, self.instances[j].row) for j in chosen)

        return Redundancy(
            inst.rule,
            inst.row,
            named(minimal),
            named(rounding_by) if rounding_by is not None else None,
            own,
        )

    def _reasons(
        self, program: Program, i: int, checks: Sequence[Constraint], usable: list[int]
    ) -> list[int]:
        """An irreducible set of the usable instances of instance ``i``'s group its checks
        follow from (with its own condition, owner ``~i``): a short certificate's rows, then
        a deletion filter (or linear algebra, where it decides)."""
        proof = program.certificate(list(self._bounds(program, checks)), _rows(usable) | {~i})
        found = {o if o >= 0 else ~o for o in proof} if proof is not None else set(usable)
        seed = sorted(found - {i})
        if not self._follows(program, checks, _rows(seed) | {~i}):  # the certificate fell short
            seed = list(usable)
        elif program.needs_all(_rows(seed) | {~i}, checks):  # independent equalities
            return seed
        return _irreducible(seed, lambda s: self._follows(program, checks, _rows(s) | {~i}))

    @staticmethod
    def _bounds(
        program: Program, checks: Sequence[Constraint]
    ) -> Iterator[tuple[dict[int, float], float]]:
        """For each check and direction, ``(f, limit)``: the check holds for every published
        document where ``f · x <= limit`` does (``f·x`` = ``sign·d − w`` less its constant;
        ``limit`` half a step of ``d``'s grid above 0, so the LP bound is exact there)."""
        for c in checks:
            exact = program.view == "exact" or c.exact_only
            step = float(c.step_exact if exact else c.step_rounding)
            shift = step if c.strict else 0.0
            for sign in (1, -1) if c.op == "=" else (1,):
                coefs, constant = objective(c, program.view, program.cols, sign)
                yield coefs, step / 2 - constant - shift

    def _follows(self, program: Program, checks: Sequence[Constraint], owners: set[int]) -> bool:
        """Whether every check holds wherever the program's rows of ``owners`` do."""
        for coefs, limit in self._bounds(program, checks):
            best = program.optimum(coefs, owners)
            if best is None or best.value > limit:
                return False
        return True

    # ---- conditions

    def conditions(self) -> tuple[list[ConditionVerdict], int, int]:
        """The verdicts, the number of conditions analysed, and of those, how many have a
        part not analysed (found possible as far as they were decided)."""
        verdicts: list[ConditionVerdict] = []
        analysed = partly = 0
        for rule, _row, branches, text in self.model.conditions:
            possible: list[Conj] = []
            for branch in branches:
                if branch.conflicts():
                    continue
                if branch.linear:
                    alone = Program.of(
                        self.model.variables, "exact", ((0, c) for c in branch.linear)
                    )
                    if alone.feasible() is False:
                        continue
                possible.append(branch)
            if not possible:
                analysed += 1
                verdicts.append(ConditionVerdict(rule, "never", text))
                continue
            if all(not b.linear and all(_opaque(a) for a, _ in b.literals) for b in possible):
                unknown = tuple(dict.fromkeys(p for b in possible for p in b.opaque))
                verdicts.append(ConditionVerdict(rule, "not-analysed", text, unknown=unknown))
                continue
            analysed += 1
            blocked = self._blocked(rule, possible)
            if blocked is not None:
                verdicts.append(ConditionVerdict(rule, "never-passing", text, blocked))
            elif any(b.opaque for b in possible):
                partly += 1
        return verdicts, analysed, partly

    def _blocked(self, rule: str, branches: list[Conj]) -> tuple[Member, ...] | None:
        """The rules (other than ``rule``) that every branch contradicts in the rounding
        view, or None when some branch can hold with them."""
        blockers: list[int] = []
        for branch in branches:
            if not branch.linear or self._possible(branch, None):
                return None
            near = self._near(branch, rule)
            program = self._program("rounding", near)
            mark = len(self.instances)  # the branch's own rows
            for c in branch.linear:
                program.add(mark, c)
            if program.feasible() is not False:
                return None

            def blocks(chosen: Sequence[int], p: Program = program, m: int = mark) -> bool:
                return p.feasible({*_rows(chosen), m}) is False

            blockers += _irreducible(near, blocks)
        return tuple(
            dict.fromkeys(Member(self.instances[j].rule, self.instances[j].row) for j in blockers)
        )

    def _near(self, branch: Conj, rule: str | None) -> list[int]:
        """The instances (not of ``rule``) applying wherever ``branch`` holds, in the groups
        of rules reading its figures."""
        keys = {k for c in branch.linear for k in c.variables}
        groups = {g for k in keys for g in self.group_of.get(k, ())}
        return [
            j
            for g in sorted(groups)
            for j in self.groups[g]
            if self.instances[j].rule != rule
            and j not in self.excluded
            and self.instances[j].scenario.literals <= branch.literals
        ]

    def _possible(self, branch: Conj, rule: str | None) -> bool:
        """Whether the branch can hold where the rules applying with it pass (rounding view):
        asked first with every rule (``rule`` None), shared by the conditions written alike."""
        key = (branch.literals, branch.linear, rule)
        found = self._possible_cache.get(key)
        if found is None:
            near = self._near(branch, rule)
            if not near:  # no rule reads its figures: it holds wherever it can hold alone
                return True
            program = self._program("rounding", near)
            for c in branch.linear:
                program.add(len(self.instances), c)
            found = self._possible_cache[key] = program.feasible() is not False
        return found

    # ---- all

    def run(self, rules: Rules, paths: list[str]) -> Analysis:
        contradictions, tainted = self.contradictions()
        self.excluded = tainted
        redundancies = self.redundancies(tainted)
        conditions, analysed, partly = self.conditions()
        unchecked = sorted({self.instances[i].rule for i in self.unchecked})
        return Analysis(
            tuple(paths),
            self.model,
            tuple(contradictions),
            tuple(redundancies),
            tuple(conditions),
            untested(rules, paths),
            tuple(unchecked),
            analysed,
            partly,
        )


def _opaque(atom: object) -> bool:
    return isinstance(atom, tuple) and atom[:1] == ("opaque",)


def _rows(members: Iterable[int]) -> set[int]:
    """The LP owners of instances: their checks (``i``) and conditions (``~i``)."""
    return {o for i in members for o in (i, ~i)}


def _irreducible(members: Sequence[int], still: Callable[[Sequence[int]], bool]) -> list[int]:
    """Deletion filter: drop each member in turn while ``still`` holds without it."""
    kept = list(members)
    i = 0
    while i < len(kept):
        trial = kept[:i] + kept[i + 1 :]
        if still(trial):
            kept = trial
        else:
            i += 1
    return kept


# --------------------------------------------------------------------------- rule tests


def untested(rules: Rules, paths: Sequence[str]) -> Untested:
    """Rules no case file beside ``paths`` expects to pass (pass or rounding) or to fail:
    read from the case files, not run (``rulecheck test`` runs them)."""
    from checker.ruletest import find_case_files, read_case_file

    passing: set[str] = set()
    failing: set[str] = set()
    diagnostics: list[Diagnostic] = []
    files = cases = 0
    for path in find_case_files(paths, rules):
        case_file, problems = read_case_file(path)
        diagnostics += problems
        files += 1
        if case_file is None:
            continue
        cases += case_file.total
        for case in case_file.cases:
            for rule, status in case.expect:
                if status in ("pass", "rounding"):
                    passing.add(rule)
                elif status == "fail":
                    failing.add(rule)
    ids = [r.meta.id for r in rules.ruleset.rules]
    return Untested(
        files,
        cases,
        tuple(r for r in ids if r not in passing),
        tuple(r for r in ids if r not in failing),
        tuple(diagnostics),
    )
