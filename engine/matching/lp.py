"""The linear-programming relaxation of a CP-SAT matching model: a valid bound, and a guide.

Why: CP-SAT's own best bound on a yearly round's big component is slow to come (its presolve
alone can use the whole budget), and a timed-out search may report no bound at all. The LP
relaxation of the *same* model (every integer/Boolean variable made continuous within its
domain) is solved in a second or two by HiGHS (through SciPy) and its optimum is a valid upper
bound on every feasible allocation (for a maximised objective). Its solution is also a good
guide for the search (see ``engine.matching.solver``).

The relaxation is read straight from the model proto, so it follows every rule of
``engine.matching.rules`` without a second copy of them: linear constraints keep their
(convex hull of their) domain; ``bool_or``, ``at_most_one``, ``exactly_one`` and enforced
``bool_and`` (implications) become their standard linear forms; other enforced constraints are
dropped (dropping a constraint only loosens the relaxation, so the bound stays valid). HiGHS is
deterministic, so the bound is reproducible.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ortools.sat import cp_model_pb2
from ortools.sat.python import cp_model
from scipy.optimize import linprog
from scipy.sparse import csr_array, vstack

INF64 = 2**62


@dataclass
class LpResult:
    ok: bool
    bound: float  # objective bound in the model's own (scaled) units, in the model's sense
    values: np.ndarray | None  # one value per model variable (LP solution)
    status: str = ""


def _lit(lit: int) -> tuple[int, float, float]:
    """A literal as (variable, coefficient, constant): x or 1 − x."""
    return (lit, 1.0, 0.0) if lit >= 0 else (-lit - 1, -1.0, 1.0)


@dataclass
class LinearForm:
    """A CP-SAT model read as linear rows: ``lo ≤ A·v ≤ hi``, ``lb ≤ v ≤ ub``, minimise ``c·v``
    (the proto's own objective, unscaled; ``scale · (c·v + offset)`` is the model's objective)."""

    c: np.ndarray
    offset: float
    scale: float
    A: csr_array
    lo: np.ndarray
    hi: np.ndarray
    lb: np.ndarray
    ub: np.ndarray
    dropped: int  # constraints with no linear form (the relaxation is then looser, still valid)
    row_of: np.ndarray | None = None  # per proto constraint: its first row, or −1 when it has none


def _plain_proto(model: cp_model.CpModel) -> cp_model_pb2.CpModelProto:
    """The model as a plain protobuf message. The model's own proto is a C++ object whose every
    field read crosses into C++ (reading a district-size model took 25 s); one serialisation to a
    file and one parse with protobuf's C parser take about a second, and reads are then cheap."""
    with tempfile.NamedTemporaryFile(suffix=".pb") as f:
        if not model.export_to_file(f.name):
            raise RuntimeError("CP-SAT could not export the model")
        return cp_model_pb2.CpModelProto.FromString(Path(f.name).read_bytes())


def linear_form(model: cp_model.CpModel) -> LinearForm:
    """Every constraint of ``model`` that has a linear form, as rows (see the module docstring)."""
    proto = _plain_proto(model)
    n = len(proto.variables)
    lb = np.empty(n)
    ub = np.empty(n)
    for i, v in enumerate(proto.variables):
        d = v.domain
        lb[i] = d[0] if d[0] > -INF64 else -np.inf
        ub[i] = d[-1] if d[-1] < INF64 else np.inf
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lo: list[float] = []
    hi: list[float] = []
    dropped = 0

    row_of = np.full(len(proto.constraints), -1, dtype=np.int64)
    current = 0  # the constraint being read

    def row(terms: list[tuple[int, float]], const: float, a: float, b: float) -> None:
        """a ≤ Σ coef·var + const ≤ b."""
        r = len(lo)
        if row_of[current] < 0:
            row_of[current] = r
        for j, c in terms:
            rows.append(r)
            cols.append(j)
            vals.append(c)
        lo.append(a - const)
        hi.append(b - const)

    def lits(ls: list[int]) -> tuple[list[tuple[int, float]], float]:
        terms = []
        const = 0.0
        for lit in ls:
            j, c, k = _lit(lit)
            terms.append((j, c))
            const += k
        return terms, const

    for current, ct in enumerate(proto.constraints):  # row() files its rows under `current`
        enf = list(ct.enforcement_literal)
        kind = ct.WhichOneof("constraint")
        if kind == "linear":
            if enf:
                dropped += 1
                continue
            lin = ct.linear
            d = lin.domain
            r = len(lo)
            row_of[current] = r
            rows.extend([r] * len(lin.vars))
            cols.extend(lin.vars)  # the common case in one go: most rows are plain linear ones
            vals.extend(lin.coeffs)
            lo.append(d[0] if d[0] > -INF64 else -np.inf)
            hi.append(d[-1] if d[-1] < INF64 else np.inf)
        elif kind == "bool_or":
            terms, const = lits([*ct.bool_or.literals, *[-e - 1 for e in enf]])
            row(terms, const, 1.0, np.inf)
        elif kind == "at_most_one":
            if enf:
                dropped += 1
                continue
            terms, const = lits(list(ct.at_most_one.literals))
            row(terms, const, -np.inf, 1.0)
        elif kind == "exactly_one":
            if enf:
                dropped += 1
                continue
            terms, const = lits(list(ct.exactly_one.literals))
            row(terms, const, 1.0, 1.0)
        elif kind == "bool_and":
            for lit in ct.bool_and.literals:
                # l ≥ Σ enforcement − (k − 1): for one enforcement literal e, l ≥ e
                terms, const = lits([lit])
                et, ec = lits(enf)
                row(terms + [(j, -c) for j, c in et], const - ec, -(len(enf) - 1), np.inf)
        else:
            dropped += 1  # no linear form: a looser relaxation, still a valid bound
    obj = proto.objective
    c = np.zeros(n)
    for j, k in zip(obj.vars, obj.coeffs, strict=True):
        c[j] += k
    m = len(lo)
    A = csr_array((np.array(vals, dtype=float), (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))),
                  shape=(m, n))
    return LinearForm(c, float(obj.offset), float(obj.scaling_factor or 1.0), A, np.array(lo, dtype=float),
                      np.array(hi, dtype=float), lb, ub, dropped, row_of)


def relax(model: cp_model.CpModel, time_limit: float = 60.0) -> LpResult:
    """Solve the LP relaxation of ``model`` (which must have a linear objective)."""
    f = linear_form(model)
    if len(f.c) == 0:  # nothing to decide (every line banned or fixed away): linprog refuses it
        ok = bool(np.all(f.lo <= 1e-9) and np.all(f.hi >= -1e-9))
        if not ok:
            return LpResult(False, math.nan, None, "The problem is infeasible (no variables)")
        return LpResult(True, f.scale * f.offset, np.zeros(0), "optimal")
    A, lo_a, hi_a = f.A, f.lo, f.hi
    eq = lo_a == hi_a
    up = ~eq & np.isfinite(hi_a)
    dn = ~eq & np.isfinite(lo_a)
    A_ub = vstack([A[up], -A[dn]]).tocsr() if (up.any() or dn.any()) else None
    b_ub = np.concatenate([hi_a[up], -lo_a[dn]]) if A_ub is not None else None
    res = linprog(
        f.c,  # proto objective is always minimised
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=A[eq] if eq.any() else None,
        b_eq=lo_a[eq] if eq.any() else None,
        bounds=np.column_stack([f.lb, f.ub]),
        method="highs",
        options={"time_limit": time_limit, "presolve": True},
    )
    if res.status != 0:
        return LpResult(False, math.nan, None, res.message)
    value = f.scale * (res.fun + f.offset)
    return LpResult(True, value, res.x, "optimal")
