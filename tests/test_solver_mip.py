"""The HiGHS engine (engine.matching.mip): a valid bound, checked answers, determinism.

Bound validity is the property a coordinator relies on when told "within x % of the best
possible": HiGHS's bound after its root node alone (cuts, no branching) must never be below the
best feasible answer, found here by brute force on problems small enough to enumerate.
"""

from __future__ import annotations

from hypothesis import given, note, settings

from engine.matching.checker import check, objective_of
from engine.matching.mip import solve_mip
from engine.matching.problem import Problem
from engine.matching.rules import build_model, sense_sign
from engine.matching.solver import _constant_value, _from_values, _scaled_objective
from tests.test_solver_properties import SETTINGS as _BASE
from tests.test_solver_properties import brute_force, problems

SETTINGS = settings(_BASE, max_examples=20)


def _mip(p: Problem, nodes: int, heuristics: bool, seed: int = 0):  # type: ignore[no-untyped-def]
    model, mv = build_model(p)
    expr, _ = _scaled_objective(mv)
    model.maximize(expr)
    return mv, solve_mip(model, mv.objective, nodes=nodes, time_limit=60, seed=seed, heuristics=heuristics)


@SETTINGS
@given(problems())
def test_root_bound_is_never_below_a_feasible_answer(p: Problem) -> None:
    note(p.model_dump_json())
    mv, res = _mip(p, nodes=1, heuristics=False)
    best = brute_force(p)
    sign = sense_sign(p)
    const = _constant_value(p, False)
    if best is None:
        assert res.status in ("INFEASIBLE", "UNKNOWN")
        return
    assert res.status != "INFEASIBLE"
    assert res.bound + const >= sign * best - 1e-6, (res.bound + const, sign * best)
    if res.values is not None:
        allocs = _from_values(mv, res.values)
        assert check(p, allocs) == []
        value = sign * objective_of(p, allocs)["total"]
        assert abs(value - (res.objective + const)) < 1e-6  # the MIP's objective is the checker's
        assert value <= sign * best + 1e-6


@SETTINGS
@given(problems())
def test_branch_and_bound_reaches_the_brute_force_optimum(p: Problem) -> None:
    note(p.model_dump_json())
    _, res = _mip(p, nodes=10_000, heuristics=True)
    best = brute_force(p)
    if best is None:
        assert res.status == "INFEASIBLE"
        return
    assert res.status == "OPTIMAL"
    assert abs(res.objective + _constant_value(p, False) - sense_sign(p) * best) < 1e-6


@SETTINGS
@given(problems())
def test_same_model_same_answer(p: Problem) -> None:
    _, a = _mip(p, nodes=3, heuristics=True, seed=1)
    _, b = _mip(p, nodes=3, heuristics=True, seed=1)
    assert a.status == b.status and a.bound == b.bound
    assert (a.values is None and b.values is None) or (a.values == b.values).all()
