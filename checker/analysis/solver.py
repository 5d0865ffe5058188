"""Linear programs over the model's constraints, solved by HiGHS (``scipy.optimize.linprog``,
``method="highs"``): whether constraints can hold together, and how far an expression can
go under them, with the constraints the bound rests on (the dual values).

Two views of the same constraints (:mod:`checker.analysis.model`):

* ``exact``: the identities between the true amounts (every rounding width 0);
* ``rounding``: the checker's verdict, ``pass`` or ``尾差`` — each constraint holds within
  its rounding width, a sum's width growing with its number of figures (one variable ≥ 0
  per sum, shared by every constraint that reads it, as the document is one).

``when`` conditions are judged on the published values in both (``exact_only``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from checker.analysis.model import Constraint, Var, VarKey

View = Literal["exact", "rounding"]

# What the solver is asked: rows ``a·x <= b`` or ``a·x = b`` over the variables' columns.
_Row = tuple[dict[int, float], float, bool]  # (coefficients by column, bound, equality)


@dataclass(frozen=True)
class Optimum:
    """The best value of an objective, and the constraints (by the index given) it rests on."""

    value: float
    support: frozenset[int]


class Columns:
    """The LP's columns: one per variable, and in the rounding view one per sum's count of
    figures (``("n", key)``), with their bounds."""

    def __init__(self, variables: Mapping[VarKey, Var]) -> None:
        self.variables = variables
        self.index: dict[VarKey, int] = {}
        self.bounds: list[tuple[float | None, float | None]] = []

    def of(self, key: VarKey) -> int:
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.bounds)
            if key[0] == "n":
                self.bounds.append((0.0, None))
            else:
                lower = self.variables[key].lower
                self.bounds.append((float(lower) if lower is not None else None, None))
        return found


def rows(c: Constraint, view: View, cols: Columns) -> list[_Row]:
    """``c`` as LP rows in ``view`` (one, or two for ``=`` with a rounding width)."""
    a = {cols.of(k): float(v) for k, v in c.coefs}
    exact = view == "exact" or c.exact_only
    step = c.step_exact if exact else c.step_rounding
    shift = step if c.strict else Fraction(0)
    if exact:
        if c.op == "=":
            return [(a, float(-c.const), True)]
        return [(a, float(-c.const - shift), False)]
    # d − w <= 0 (and −d − w <= 0 for =), w = fixed + Σ spread·n; with a tolerance t the
    # checker accepts up to max(w, t): exact for a constant w, else held as w + t (a
    # convex region holding it: what can pass is never left out)
    width = {cols.of(("n", k)): float(-v) for k, v in c.spread}
    fixed = c.fixed + c.tolerance if c.spread else max(c.fixed, c.tolerance)
    upper = {**a, **width}
    out: list[_Row] = [(upper, float(fixed - c.const - shift), False)]
    if c.op == "=":
        lower = {**{i: -v for i, v in a.items()}, **width}
        out.append((lower, float(fixed + c.const), False))
    return out


@dataclass
class Program:
    """Constraints of one view gathered for the solver, each row remembering its owner."""

    cols: Columns
    view: View
    rows: list[_Row]
    owners: list[int]

    @classmethod
    def of(
        cls,
        variables: Mapping[VarKey, Var],
        view: View,
        constraints: Iterable[tuple[int, Constraint]],
    ) -> Program:
        cols = Columns(variables)
        program = cls(cols, view, [], [])
        for owner, c in constraints:
            program.add(owner, c)
        return program

    def add(self, owner: int, c: Constraint) -> None:
        for row in rows(c, self.view, self.cols):
            self.rows.append(row)
            self.owners.append(owner)

    def feasible(self, owners: set[int] | None = None) -> bool | None:
        """Whether the rows (of ``owners`` only, if given) can hold together (None: the
        solver could not tell)."""
        result = self._solve({}, owners)
        if result is None:
            return None
        return result.status != 2 if result.status in (0, 2, 3) else None

    def optimum(
        self, objective: Mapping[int, float], owners: set[int] | None = None
    ) -> Optimum | None:
        """The maximum of ``objective · x`` over the rows (of ``owners``): None when it is
        unbounded, the rows cannot hold, or the solver could not tell."""
        result = self._solve({i: -v for i, v in objective.items()}, owners)
        if result is None or result.status != 0:
            return None
        used: set[int] = set()
        kept = self._kept(owners)
        for group, marginals in (("ub", result.ineqlin), ("eq", result.eqlin)):
            values = getattr(marginals, "marginals", None)
            if values is None:
                continue
            chosen = [i for i in kept if self.rows[i][2] == (group == "eq")]
            for i, m in zip(chosen, values, strict=True):
                if abs(m) > 1e-9:
                    used.add(self.owners[i])
        return Optimum(-float(result.fun), frozenset(used))

    def certificate(
        self, targets: Sequence[tuple[Mapping[int, float], float]], owners: set[int] | None = None
    ) -> set[int] | None:
        """The owners of a short combination of the rows proving, for each ``(target, limit)``,
        ``target · x <= limit`` wherever the rows (of ``owners``) hold — with no target but
        ``({}, -1)``: that they cannot hold — or None when there is no such proof.

        Per target, the LP dual (Farkas): multipliers ``y`` (≥ 0 on ``<=`` rows) and ``μ`` ≥ 0
        on the columns' lower bounds with ``Σ y·a − μ = target`` and ``Σ y·b − μ·lower <=
        limit``. Of all such, the one with the least ``Σ t`` over the owners, ``t`` each
        owner's largest multiplier in any of the proofs (rows scaled to a largest coefficient
        of 1), uses few rules, the same ones for every target: a short chain, not just any.
        """
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import csr_array

        kept = self._kept(owners)
        n = len(self.cols.bounds)
        columns: list[tuple[dict[int, float], float, int | None]] = []  # dual variables
        for i in kept:
            coefs, b, eq = self.rows[i]
            scale = max((abs(v) for v in coefs.values()), default=1.0) or 1.0
            for sign in (1.0, -1.0) if eq else (1.0,):
                scaled = {col: sign * v / scale for col, v in coefs.items()}
                columns.append((scaled, sign * b / scale, self.owners[i]))
        for col, (lower, _) in enumerate(self.cols.bounds):
            if lower is not None:
                columns.append(({col: -1.0}, -lower, None))
        if not columns:
            return None
        m = len(columns)
        # owners in the order of their rules (check ``i`` and condition ``~i`` together):
        # among proofs of equal weight the one with earlier rules wins, so that which one
        # is reported does not hang on the solver's tie-breaking
        weights = sorted(
            {o for _, _, o in columns if o is not None}, key=lambda o: (o if o >= 0 else ~o, o)
        )
        weight = {o: len(targets) * m + k for k, o in enumerate(weights)}
        size = len(targets) * m + len(weights)
        eq_data: list[float] = []
        eq_rows: list[int] = []
        eq_cols: list[int] = []
        ub_data: list[float] = []
        ub_rows: list[int] = []
        ub_cols: list[int] = []
        b_eq = np.zeros(len(targets) * n)
        b_ub: list[float] = []
        for k, (target, limit) in enumerate(targets):
            for col, v in target.items():
                b_eq[k * n + col] = v
            row = len(b_ub)
            b_ub.append(limit)
            for j, (coefs, b, owner) in enumerate(columns):
                var = k * m + j
                for col, v in coefs.items():
                    eq_data.append(v)
                    eq_rows.append(k * n + col)
                    eq_cols.append(var)
                ub_data.append(b)
                ub_rows.append(row)
                ub_cols.append(var)
                if owner is not None:  # y <= t of its owner
                    cap = len(b_ub)
                    b_ub.append(0.0)
                    ub_data += [1.0, -1.0]
                    ub_rows += [cap, cap]
                    ub_cols += [var, weight[owner]]
        cost = np.zeros(size)
        cost[len(targets) * m :] = 1.0 + 1e-3 * np.arange(len(weights)) / max(1, len(weights))
        result = linprog(
            cost,
            A_ub=csr_array((ub_data, (ub_rows, ub_cols)), shape=(len(b_ub), size)),
            b_ub=np.array(b_ub),
            A_eq=csr_array((eq_data, (eq_rows, eq_cols)), shape=(len(targets) * n, size)),
            b_eq=b_eq,
            bounds=(0, None),
            method="highs",
        )
        if result.status != 0:
            return None
        return {o for o in weights if result.x[weight[o]] > 1e-9}

    def needs_all(self, owners: set[int], targets: Sequence[Constraint]) -> bool:
        """Whether every one of ``owners`` is needed for ``targets`` to follow, decided by
        linear algebra where it can be: their rows are all equalities, linearly independent,
        and each target (an equality too) is a combination of them using every owner. False
        when that cannot be shown (a deletion filter must decide)."""
        import numpy as np

        kept = self._kept(owners)
        if self.view != "exact" or not kept or not all(self.rows[i][2] for i in kept):
            return False
        if any(t.op != "=" or t.strict for t in targets):
            return False
        n = len(self.cols.bounds)
        rows = np.zeros((len(kept), n + 1))
        for r, i in enumerate(kept):
            coefs, b, _ = self.rows[i]
            for col, v in coefs.items():
                rows[r, col] = v
            rows[r, n] = b
        if np.linalg.matrix_rank(rows) < len(kept):
            return False
        used: set[int] = set()
        for t in targets:
            want = np.zeros(n + 1)
            for key, coef in t.coefs:
                if key not in self.cols.index:
                    return False
                want[self.cols.index[key]] = float(coef)
            want[n] = -float(t.const)
            z, *_ = np.linalg.lstsq(rows.T, want, rcond=None)
            if np.linalg.norm(rows.T @ z - want) > 1e-9 * max(1.0, float(np.linalg.norm(want))):
                return False
            used |= {self.owners[i] for i, zi in zip(kept, z, strict=True) if abs(zi) > 1e-9}
        return used == set(owners) & {self.owners[i] for i in kept}

    def _kept(self, owners: set[int] | None) -> list[int]:
        if owners is None:
            return list(range(len(self.rows)))
        return [i for i, o in enumerate(self.owners) if o in owners]

    def _solve(self, cost: Mapping[int, float], owners: set[int] | None) -> Any:
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import csr_array

        kept = self._kept(owners)
        n = len(self.cols.bounds)
        if n == 0:
            return None

        def matrix(chosen: Sequence[int]) -> tuple[Any, Any]:
            data: list[float] = []
            ri: list[int] = []
            ci: list[int] = []
            bound: list[float] = []
            for r, i in enumerate(chosen):
                coefs, b, _ = self.rows[i]
                for col, v in coefs.items():
                    data.append(v)
                    ri.append(r)
                    ci.append(col)
                bound.append(b)
            shape = (len(chosen), n)
            return csr_array((data, (ri, ci)), shape=shape), np.array(bound)

        ub = [i for i in kept if not self.rows[i][2]]
        eq = [i for i in kept if self.rows[i][2]]
        c = np.zeros(n)
        for i, v in cost.items():
            c[i] = v
        a_ub, b_ub = matrix(ub) if ub else (None, None)
        a_eq, b_eq = matrix(eq) if eq else (None, None)
        return linprog(
            c,
            A_ub=a_ub,
            b_ub=b_ub,
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=self.cols.bounds,
            method="highs",
        )


def objective(
    c: Constraint, view: View, cols: Columns, sign: int
) -> tuple[dict[int, float], float]:
    """``sign·d − w`` of a constraint as (coefficients, constant): maximised, it says how
    far ``c`` can be from holding (``w`` 0 in the exact view; with a tolerance, max(w, t)
    for a constant ``w``, else ``w`` alone: what it accepts is never overstated)."""
    coefs = {cols.of(k): sign * float(v) for k, v in c.coefs}
    constant = sign * float(c.const)
    if view == "rounding" and not c.exact_only:
        for k, v in c.spread:
            i = cols.of(("n", k))
            coefs[i] = coefs.get(i, 0.0) - float(v)
        constant -= float(c.fixed if c.spread else max(c.fixed, c.tolerance))
    return coefs, constant
