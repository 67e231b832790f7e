"""The same matching model solved as a MIP by HiGHS (``highspy``): cuts, a real dual bound.

Why beside CP-SAT: on the yearly round's parts CP-SAT's bound stays at (or near) the LP
relaxation, while a MIP solver's root cuts (cover, MIR, clique on the unit and partner limits)
and branch and bound close most of the gap the full-coverage bonus and the unit project limits
open; measured on the chizhou round (docs/BENCHMARKS.md, "Issue 8") HiGHS also finds better
allocations on mid-size parts. CP-SAT keeps what it is good at (feasibility of must-cover
parts, LNS on big parts); the solver keeps the better incumbent and the better bound.

The MIP is read from the CP-SAT model proto through :func:`engine.matching.lp.linear_form`,
so both engines solve one model built by one set of rules (``engine.matching.rules``), never a
second copy. Every CP-SAT variable is integer, so every column is integer. The objective is
not the proto's (scaled, rounded to integers for CP-SAT) but the exact float coefficients of
the soft rules, so the bound HiGHS proves is a bound on the objective the checker computes.
A constraint without a linear form would be dropped (``LinearForm.dropped``): the bound stays
valid and any solution is re-checked by the independent checker, so nothing false is reported.

Determinism: HiGHS runs with one thread and a fixed ``random_seed``, and stops on a *node
limit* (``mip_max_nodes``, a count of work, not of seconds; its primal heuristics are budgeted
by ``mip_heuristic_effort``, a share of its simplex iterations, also a count), so the same model
gives the same answer on any machine and under any load. Its ``time_limit`` is only the wall-clock
safety net (as for CP-SAT, see ``engine.matching.solver``): a run where it fires first may differ.
"""

from __future__ import annotations

import ctypes
import math
import os
import sys
from dataclasses import dataclass

import highspy
import numpy as np
from ortools.sat.python import cp_model, cp_model_helper

from engine.matching.lp import LinearForm, linear_form


@dataclass
class MipResult:
    status: str  # OPTIMAL, FEASIBLE (a solution, bound open), INFEASIBLE, UNKNOWN (nothing found)
    values: np.ndarray | None  # one integer value per model variable
    objective: float  # value units (maximised), constant of the objective expressions included
    bound: float  # valid upper bound in value units (math.inf when none was proved)


_banner_done = False


def _new_highs() -> highspy.Highs:
    """A HiGHS instance; the first one in a process prints a copyright banner to stdout from C++,
    which would corrupt ``fourlinks solve --json``, so that one is made with stdout closed."""
    global _banner_done
    if _banner_done:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        h = highspy.Highs()
        ctypes.CDLL(None).fflush(None)  # the banner may sit in C's stdout buffer
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
    _banner_done = True
    return h


def _objective(n: int, terms: list[tuple[float, cp_model.LinearExprT]]) -> tuple[np.ndarray, float]:
    """Σ coef·expr as a dense vector of exact float coefficients and a constant."""
    c = np.zeros(n)
    const = 0.0
    for coef, expr in terms:
        flat = cp_model_helper.FlatFloatExpr(expr)
        for v, k in zip(flat.vars, flat.coeffs, strict=True):
            c[v.index] += coef * k
        const += coef * flat.offset
    return c, const


def highs_lp(f: LinearForm, c: np.ndarray) -> highspy.HighsLp:
    """``f``'s rows as a HiGHS model maximising ``c·v`` (continuous until integrality is set)."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(f.lb)
    lp.num_row_ = len(f.lo)
    lp.col_cost_ = -c  # HiGHS minimises
    lp.col_lower_ = f.lb
    lp.col_upper_ = f.ub
    lp.row_lower_ = f.lo
    lp.row_upper_ = f.hi
    csc = f.A.tocsc()
    csc.sort_indices()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(np.float64)
    return lp


def new_highs(seed: int = 0) -> highspy.Highs:
    """A quiet, single-threaded, seeded HiGHS (deterministic)."""
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("parallel", "off")
    h.setOptionValue("random_seed", int(seed) % 2**31)
    return h


def solve_mip(
    model: cp_model.CpModel,
    objective: list[tuple[float, cp_model.LinearExprT]],
    *,
    nodes: int,
    time_limit: float,
    work: float = 0.0,
    seed: int = 0,
    rel_gap: float = 0.0,
    start: dict[int, int] | None = None,
    heuristics: bool = True,
) -> MipResult:
    """Maximise ``Σ coef·expr`` (``objective``, value units) subject to ``model``'s constraints.

    ``start`` (variable index → value, complete or partial) is offered to HiGHS as a starting
    solution; a partial one is completed by HiGHS if it can. ``heuristics`` False turns off the
    sub-MIP heuristics (HiGHS then gives its root bound with cuts quickly, on a big part).
    ``work`` (nodes × nonzeros) raises the node limit to ``1 + work ÷ nonzeros`` when that is more
    than ``nodes``: a node's LP costs about the matrix's size, so a budget in work is one in time
    that does not depend on the machine.
    """
    f = linear_form(model)
    n = len(f.lb)
    c, const = _objective(n, objective)
    lp = highs_lp(f, c)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    h = new_highs(seed)
    nodes = max(int(nodes), 1 + int(work / max(1, f.A.nnz)))
    h.setOptionValue("mip_max_nodes", nodes)
    if not heuristics:
        h.setOptionValue("mip_heuristic_effort", 0.0)
        for name in ("mip_heuristic_run_rins", "mip_heuristic_run_rens", "mip_heuristic_run_root_reduced_cost"):
            h.setOptionValue(name, False)
    h.setOptionValue("time_limit", max(0.05, float(time_limit)))
    h.setOptionValue("mip_rel_gap", float(rel_gap))
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.passModel(lp)
    if start:
        idx = np.array(sorted(start), dtype=np.int32)
        h.setSolution(len(idx), idx, np.array([float(start[i]) for i in idx]))
    h.run()
    ms = h.getModelStatus()
    if ms == highspy.HighsModelStatus.kModelEmpty or n == 0:
        ok = bool(np.all(f.lo <= 1e-9) and np.all(f.hi >= -1e-9))  # rows without terms: 0 within them
        if not ok:
            return MipResult("INFEASIBLE", None, -math.inf, -math.inf)
        return MipResult("OPTIMAL", np.zeros(n, dtype=np.int64), const, const)
    info = h.getInfo()
    if ms == highspy.HighsModelStatus.kInfeasible:
        return MipResult("INFEASIBLE", None, -math.inf, -math.inf)
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    dual = info.mip_dual_bound
    bound = -dual + const if math.isfinite(dual) else math.inf
    if not has_sol:
        return MipResult("UNKNOWN", None, -math.inf, bound)
    values = np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64)
    value = float(c @ values) + const
    status = "OPTIMAL" if ms == highspy.HighsModelStatus.kOptimal and f.dropped == 0 else "FEASIBLE"
    return MipResult(status, values, value, max(bound, value) if status == "FEASIBLE" else value)
