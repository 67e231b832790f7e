"""Hypothesis properties on random small problems, including a brute-force optimum check.

Problems are tiny (≤ 3 resources × 3 demands, quantities ≤ 3) so every allocation can be
enumerated; the solver must then find exactly the brute-force optimum, honour every hard rule,
never lose to the greedy baseline, and give the same answer twice.
"""

from __future__ import annotations

import itertools
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import engine.matching.solver as solver_mod
from engine.matching.checker import check, objective_of
from engine.matching.greedy import greedy
from engine.matching.problem import Problem, SAllocation, Solution, SolveParams
from engine.matching.solver import solve

PARAMS = SolveParams(time_limit=5, workers=1)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw: st.DrawFn, fairness: bool = False) -> Problem:
    nr = draw(st.integers(1, 3))
    nd = draw(st.integers(1, 3))
    res = [
        {"id": f"r{i}", "capacity": draw(st.integers(0, 5)), "min_allocation": draw(st.integers(1, 2)),
         "unit": draw(st.sampled_from([None, "u0", "u1"]))}
        for i in range(nr)
    ]
    dem = [
        {"id": f"d{j}", "quantity": draw(st.integers(1, 3)), "must_cover": draw(st.booleans()),
         "splittable": draw(st.booleans()), "max_partners": draw(st.sampled_from([None, 1, 2])),
         "community": draw(st.sampled_from(["c0", "c1"])), "weight": draw(st.integers(0, 2))}
        for j in range(nd)
    ]
    pairs = [(r["id"], d["id"]) for r in res for d in dem]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=1, max_size=6))
    cands = [
        {"resource": r, "demand": d, "score": draw(st.integers(-2, 5)), "consumption": draw(st.integers(0, 2))}
        for r, d in sorted(chosen)
    ]
    bans = [{"resource": r, "demand": d} for r, d in sorted(chosen) if draw(st.integers(0, 5)) == 0]
    banned = {(b["resource"], b["demand"]) for b in bans}
    qty = {d["id"]: d["quantity"] for d in dem}
    pins = [
        {"resource": r, "demand": d, "amount": draw(st.integers(1, qty[d]))}
        for r, d in sorted(chosen)
        if (r, d) not in banned and draw(st.integers(0, 6)) == 0
    ]
    reference = [{"resource": r, "demand": d} for r, d in pairs if draw(st.integers(0, 4)) == 0]
    objective: dict[str, Any] = {
        "sense": draw(st.sampled_from(["maximize", "minimize"])),
        "full_coverage_bonus": draw(st.sampled_from([0, 2])),
        "fragmentation": draw(st.sampled_from([0, 1])),
        "change_penalty": draw(st.sampled_from([0, 1])),
    }
    if fairness:
        objective.update(fairness=draw(st.sampled_from(["maxmin", "floor"])), fairness_weight=4, fairness_floor=0.5)
    units = [{"id": "u0", "max_projects": draw(st.sampled_from([None, 0, 1, 2]))}, {"id": "u1", "max_projects": 1}]
    return Problem.model_validate({
        "resources": res, "demands": dem, "candidates": cands, "units": units,
        "bans": bans, "pins": pins, "reference": reference, "objective": objective,
    })


def _all_allocations(p: Problem) -> list[list[SAllocation]]:
    """Every allocation with amounts up to the demand's quantity on every candidate line."""
    qty = {d.id: d.quantity for d in p.demands}
    ranges = [range(qty[c.demand] + 1) for c in p.candidates]
    out = []
    for amounts in itertools.product(*ranges):
        out.append([
            SAllocation(resource=c.resource, demand=c.demand, amount=x, score=c.score * x)
            for c, x in zip(p.candidates, amounts, strict=True) if x
        ])
    return out


def brute_force(p: Problem) -> float | None:
    """The best feasible objective (in the problem's sense), or None if nothing is feasible."""
    sign = 1 if p.objective.sense == "maximize" else -1
    best = None
    for a in _all_allocations(p):
        if check(p, a):
            continue
        v = objective_of(p, a)["total"]
        if best is None or sign * v > sign * best:
            best = v
    return best


def _strict_feasible(p: Problem) -> bool:
    return any(not check(p, a) for a in _all_allocations(p))


@SETTINGS
@given(problems())
def test_solver_matches_brute_force_and_checker(p: Problem) -> None:
    note(p.model_dump_json())
    sol = solve(p, PARAMS)
    best = brute_force(p)
    broken = {v.rule for v in check(p, sol.allocations)}
    if best is None:
        assert sol.status == "INFEASIBLE"
        if sol.relaxed:  # only must-cover may be broken (capacity, quantity, pins, bans, limits hold)
            assert broken <= {"must_cover"}
        else:  # infeasible even without must-cover (e.g. an impossible pin): nothing is returned
            assert sol.allocations == []
        return
    assert sol.status == "OPTIMAL", sol
    assert not broken  # checker accepts: capacity, quantity, must-cover, pins, bans, unit limits …
    assert abs(sol.objective - best) < 1e-6, (sol.objective, best)
    assert sol.objective == objective_of(p, sol.allocations)["total"]
    assert abs(sol.bound - sol.objective) < 1e-6


@SETTINGS
@given(problems(fairness=True))
def test_fairness_problems_stay_feasible_and_checked(p: Problem) -> None:
    note(p.model_dump_json())
    sol = solve(p, PARAMS)
    broken = {v.rule for v in check(p, sol.allocations)}
    if _strict_feasible(p):
        assert sol.status == "OPTIMAL" and not broken and not sol.relaxed
    else:
        assert sol.status == "INFEASIBLE"
        assert broken <= {"must_cover"} if sol.relaxed else sol.allocations == []


@SETTINGS
@given(problems())
def test_never_worse_than_greedy(p: Problem) -> None:
    pins_only = [
        SAllocation(resource=q.resource, demand=q.demand, amount=q.amount, score=0) for q in p.pins
    ]
    if {v.rule for v in check(p, pins_only)} - {"must_cover", "score"}:
        return  # the pins themselves break a rule: no method can honour them
    g = greedy(p)
    assert {v.rule for v in check(p, g)} <= {"must_cover"}
    if check(p, g):
        return  # greedy left a must-cover demand short: not a feasible competitor
    sol = solve(p, PARAMS)
    sign = 1 if p.objective.sense == "maximize" else -1
    assert sign * sol.objective >= sign * objective_of(p, g)["total"] - 1e-6


@SETTINGS
@given(problems(), st.integers(0, 3))
def test_deterministic(p: Problem, seed: int) -> None:
    params = SolveParams(time_limit=5, workers=2, seed=seed)
    a, b = solve(p, params), solve(p, params)
    assert a.allocations == b.allocations and a.objective == b.objective and a.status == b.status


@SETTINGS
@given(problems())
def test_pins_and_bans_kept_whenever_feasible(p: Problem) -> None:
    sol = solve(p, PARAMS)
    if sol.status == "INFEASIBLE" and not sol.relaxed:
        return
    got = {(a.resource, a.demand): a.amount for a in sol.allocations}
    for pin in p.pins:
        assert got.get((pin.resource, pin.demand)) == pin.amount
    for ban in p.bans:
        assert (ban.resource, ban.demand) not in got


def _assert_rules_bound_and_baseline(p: Problem, sol: Solution) -> None:
    """The answer passes the checker, lies between greedy's value and the brute-force optimum, and
    its bound never cuts that optimum off (nothing to say when the problem is strictly infeasible:
    the brute-force test on the ordinary path covers it)."""
    best = brute_force(p)
    if best is None:
        return
    sign = 1 if p.objective.sense == "maximize" else -1
    assert not check(p, sol.allocations)
    assert sign * sol.bound >= sign * best - 1e-6, (sol.bound, best)
    assert sign * sol.objective <= sign * best + 1e-6
    g = greedy(p)
    if not check(p, g):
        assert sign * sol.objective >= sign * objective_of(p, g)["total"] - 1e-6


@SETTINGS
@given(problems())
def test_big_part_path_keeps_rules_bound_and_baseline(p: Problem) -> None:
    """Every part forced through the big-part path (LP bound, HiGHS on the LP's lines, LNS): the
    answer still passes the checker, is at least greedy's, and the reported bound is never below
    the brute-force optimum (the restricted MIP must not leak its own, smaller, bound)."""
    note(p.model_dump_json())
    with patch.object(solver_mod, "BIG_PART", 1):
        sol = solve(p, PARAMS)
    _assert_rules_bound_and_baseline(p, sol)


@SETTINGS
@given(problems(), st.sampled_from([1, 3, 1000]))
def test_decomposed_bound_is_a_bound(p: Problem, max_lines: int) -> None:
    """The decomposed (Lagrangian) bound never cuts off a feasible answer, whatever the clusters
    (one demand per cluster prices every shared row), and is never looser than the LP's."""
    from engine.matching.decomp import decomposed_bound

    if p.objective.sense != "maximize" or not _strict_feasible(p):
        return
    note(p.model_dump_json())
    best = brute_force(p)
    assert best is not None
    b = decomposed_bound(p, max_lines=max_lines)
    assert b.bound >= best - 1e-6
    assert b.bound <= b.lp_bound + 1e-9


def test_decomposed_bound_prices_a_shared_resource() -> None:
    """One resource shared by two demands in two clusters: the bound is the optimum (2), which
    only the price of the shared capacity row (λ·capacity) gives back."""
    from engine.matching.decomp import decomposed_bound

    p = Problem.model_validate({
        "resources": [{"id": "r0", "capacity": 2}],
        "demands": [{"id": "d0", "quantity": 2}, {"id": "d1", "quantity": 2}],
        "candidates": [{"resource": "r0", "demand": "d0", "score": 1}, {"resource": "r0", "demand": "d1", "score": 1}],
        "objective": {"sense": "maximize"},
    })
    b = decomposed_bound(p, max_lines=1)
    assert len(b.clusters) == 2
    assert abs(b.bound - 2.0) < 1e-6 and abs(brute_force(p) - 2.0) < 1e-9


@SETTINGS
@given(problems())
def test_tight_bound_on_big_parts_is_valid_and_no_looser(p: Problem) -> None:
    """With ``tight_bound`` (every part made "big" here), the round's bound still covers the
    brute-force optimum and is never looser than without it; the answer itself does not change."""
    if p.objective.sense != "maximize" or not _strict_feasible(p):
        return
    note(p.model_dump_json())
    with patch.object(solver_mod, "BIG_PART", 1):
        plain = solve(p, PARAMS)
        tight = solve(p, PARAMS.model_copy(update={"tight_bound": True}))
    best = brute_force(p)
    assert best is not None
    assert tight.bound >= best - 1e-6
    assert tight.bound <= plain.bound + 1e-6
    assert tight.allocations == plain.allocations


@SETTINGS
@given(problems())
def test_lean_mid_part_path_keeps_rules_bound_and_baseline(p: Problem) -> None:
    """Every part sent down the lean mid-size path (a round's budget too small for HiGHS's
    heuristics: the restricted start, CP-SAT's LNS from it, HiGHS's root only): the answer passes
    the checker, is at least greedy's, and the bound never cuts off the brute-force optimum."""
    note(p.model_dump_json())
    with patch.object(solver_mod, "MIP_MIN_LINES", 1), patch.object(solver_mod, "MIP_HEURISTIC_SECONDS_PER_LINE", 1e9):
        sol = solve(p, PARAMS)
    _assert_rules_bound_and_baseline(p, sol)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 3))
def test_lean_mid_part_path_is_deterministic(p: Problem, seed: int) -> None:
    with patch.object(solver_mod, "MIP_MIN_LINES", 1), patch.object(solver_mod, "MIP_HEURISTIC_SECONDS_PER_LINE", 1e9):
        a = solve(p, SolveParams(time_limit=5, workers=1, seed=seed))
        b = solve(p, SolveParams(time_limit=5, workers=1, seed=seed))
    assert a.allocations == b.allocations and a.status == b.status
