"""One satisfied/violated pair per rule: the checker flags the violation, the solver keeps the rule.

Each test builds the smallest problem where the rule actually binds, so a model that forgot the
rule would return a different (better-scoring) allocation and the test would fail.
"""

from __future__ import annotations

from typing import Any

from engine.matching.checker import check
from engine.matching.problem import Problem, SAllocation, SolveParams
from engine.matching.rules import build_index, build_model
from engine.matching.solver import solve

P = SolveParams(time_limit=5, workers=1)


def mk(
    resources: list[dict[str, Any]],
    demands: list[dict[str, Any]],
    candidates: list[tuple[str, str, float] | tuple[str, str, float, int]],
    **extra: Any,
) -> Problem:
    cands = [
        {"resource": c[0], "demand": c[1], "score": c[2], "consumption": c[3] if len(c) > 3 else 1}
        for c in candidates
    ]
    return Problem.model_validate({"resources": resources, "demands": demands, "candidates": cands, **extra})


def alloc(problem: Problem, *lines: tuple[str, str, int]) -> list[SAllocation]:
    score = {(c.resource, c.demand): c.score for c in problem.candidates}
    return [SAllocation(resource=r, demand=d, amount=x, score=score[(r, d)] * x) for r, d, x in lines]


def rules_broken(problem: Problem, allocations: list[SAllocation]) -> set[str]:
    return {v.rule for v in check(problem, allocations)}


def amounts(problem: Problem) -> dict[tuple[str, str], int]:
    sol = solve(problem, P)
    assert not check(problem, sol.allocations), check(problem, sol.allocations)
    return {(a.resource, a.demand): a.amount for a in sol.allocations}


def test_capacity() -> None:
    p = mk([{"id": "r", "capacity": 5}], [{"id": "a", "quantity": 4}, {"id": "b", "quantity": 4}],
           [("r", "a", 3, 1), ("r", "b", 2, 1)])
    assert rules_broken(p, alloc(p, ("r", "a", 4), ("r", "b", 1))) == set()
    assert "capacity" in rules_broken(p, alloc(p, ("r", "a", 4), ("r", "b", 4)))
    assert amounts(p) == {("r", "a"): 4, ("r", "b"): 1}


def test_capacity_with_consumption() -> None:
    p = mk([{"id": "r", "capacity": 6}], [{"id": "a", "quantity": 5}], [("r", "a", 1, 2)])
    assert "capacity" in rules_broken(p, alloc(p, ("r", "a", 4)))
    assert amounts(p) == {("r", "a"): 3}


def test_quantity() -> None:
    p = mk([{"id": "r", "capacity": 9}, {"id": "s", "capacity": 9}], [{"id": "a", "quantity": 3}],
           [("r", "a", 1), ("s", "a", 1)])
    assert rules_broken(p, alloc(p, ("r", "a", 2), ("s", "a", 1))) == set()
    assert "quantity" in rules_broken(p, alloc(p, ("r", "a", 2), ("s", "a", 2)))
    assert sum(amounts(p).values()) == 3


def test_must_cover() -> None:
    # covering b costs score, so without the rule the solver would leave it empty
    p = mk([{"id": "r", "capacity": 4}], [{"id": "a", "quantity": 4}, {"id": "b", "quantity": 2, "must_cover": True}],
           [("r", "a", 5), ("r", "b", -1)])
    assert "must_cover" in rules_broken(p, alloc(p, ("r", "a", 4)))
    assert rules_broken(p, alloc(p, ("r", "a", 2), ("r", "b", 2))) == set()
    assert amounts(p) == {("r", "a"): 2, ("r", "b"): 2}


def test_min_allocation() -> None:
    p = mk([{"id": "r", "capacity": 4, "min_allocation": 3}],
           [{"id": "a", "quantity": 2}, {"id": "b", "quantity": 5}],
           [("r", "a", 10), ("r", "b", 1)])
    # a's need (2) is below the minimum, so min(3, 2) = 2 applies to it
    assert rules_broken(p, alloc(p, ("r", "a", 2))) == set()
    assert "min_allocation" in rules_broken(p, alloc(p, ("r", "a", 2), ("r", "b", 2)))
    assert amounts(p) == {("r", "a"): 2}


def test_non_splittable() -> None:
    p = mk([{"id": "r", "capacity": 2}, {"id": "s", "capacity": 2}, {"id": "t", "capacity": 3}],
           [{"id": "a", "quantity": 3, "splittable": False}],
           [("r", "a", 5), ("s", "a", 5), ("t", "a", 1)])
    assert "non_splittable" in rules_broken(p, alloc(p, ("r", "a", 2), ("s", "a", 1)))
    assert "non_splittable" in rules_broken(p, alloc(p, ("t", "a", 2)))
    assert rules_broken(p, alloc(p, ("t", "a", 3))) == set()
    assert amounts(p) == {("t", "a"): 3}


def test_partners_count_units_not_resources() -> None:
    p = mk([{"id": "r1", "capacity": 1, "unit": "u"}, {"id": "r2", "capacity": 1, "unit": "u"},
            {"id": "s", "capacity": 2, "unit": "v"}],
           [{"id": "a", "quantity": 4, "max_partners": 1}],
           [("r1", "a", 3), ("r2", "a", 3), ("s", "a", 2)],
           units=[{"id": "u"}, {"id": "v"}])
    assert rules_broken(p, alloc(p, ("r1", "a", 1), ("r2", "a", 1))) == set()
    assert "partners" in rules_broken(p, alloc(p, ("r1", "a", 1), ("s", "a", 2)))
    assert amounts(p) == {("r1", "a"): 1, ("r2", "a"): 1}


def test_partners_resource_without_unit_is_its_own_unit() -> None:
    p = mk([{"id": "r1", "capacity": 1}, {"id": "r2", "capacity": 1}],
           [{"id": "a", "quantity": 2, "max_partners": 1}], [("r1", "a", 3), ("r2", "a", 2)])
    assert "partners" in rules_broken(p, alloc(p, ("r1", "a", 1), ("r2", "a", 1)))
    assert amounts(p) == {("r1", "a"): 1}


def test_unit_limit() -> None:
    p = mk([{"id": "r1", "capacity": 5, "unit": "u"}, {"id": "r2", "capacity": 5, "unit": "u"}],
           [{"id": "a", "quantity": 1}, {"id": "b", "quantity": 1}, {"id": "c", "quantity": 1}],
           [("r1", "a", 1), ("r1", "b", 3), ("r2", "c", 2)],
           units=[{"id": "u", "max_projects": 2}])
    assert rules_broken(p, alloc(p, ("r1", "b", 1), ("r2", "c", 1))) == set()
    assert "unit_limit" in rules_broken(p, alloc(p, ("r1", "a", 1), ("r1", "b", 1), ("r2", "c", 1)))
    assert amounts(p) == {("r1", "b"): 1, ("r2", "c"): 1}


def test_unit_limit_zero_blocks_the_unit() -> None:
    p = mk([{"id": "r", "capacity": 5, "unit": "u"}], [{"id": "a", "quantity": 1}], [("r", "a", 1)],
           units=[{"id": "u", "max_projects": 0}])
    assert "unit_limit" in rules_broken(p, alloc(p, ("r", "a", 1)))
    assert amounts(p) == {}


def test_pin() -> None:
    p = mk([{"id": "r", "capacity": 5}], [{"id": "a", "quantity": 5}, {"id": "b", "quantity": 5}],
           [("r", "a", 1), ("r", "b", 2)], pins=[{"resource": "r", "demand": "a", "amount": 2}])
    assert "pin" in rules_broken(p, alloc(p, ("r", "b", 5)))
    assert rules_broken(p, alloc(p, ("r", "a", 2), ("r", "b", 3))) == set()
    assert amounts(p) == {("r", "a"): 2, ("r", "b"): 3}


def test_ban() -> None:
    p = mk([{"id": "r", "capacity": 5}, {"id": "s", "capacity": 5}], [{"id": "a", "quantity": 5}],
           [("r", "a", 9), ("s", "a", 1)], bans=[{"resource": "r", "demand": "a"}])
    assert "ban" in rules_broken(p, alloc(p, ("r", "a", 5)))
    assert amounts(p) == {("s", "a"): 5}
    assert ("r", "a") not in build_index(p).cand


def test_pin_and_ban_on_one_line_is_infeasible() -> None:
    p = mk([{"id": "r", "capacity": 5}], [{"id": "a", "quantity": 5}], [("r", "a", 1)],
           pins=[{"resource": "r", "demand": "a", "amount": 2}], bans=[{"resource": "r", "demand": "a"}])
    assert solve(p, P).status == "INFEASIBLE"


# ---------------------------------------------------------------- objective terms


def test_full_coverage_bonus_prefers_finishing_a_demand() -> None:
    p = mk([{"id": "r", "capacity": 4}],
           [{"id": "a", "quantity": 4, "weight": 1}, {"id": "b", "quantity": 6, "weight": 1}],
           [("r", "a", 1), ("r", "b", 1.5)], objective={"full_coverage_bonus": 5})
    assert amounts(p) == {("r", "a"): 4}  # 4 + 5 bonus = 9 beats 6
    sol = solve(p, P)
    assert sol.objective == 9 and sol.terms["full_coverage_bonus"] == 5


def test_fragmentation_prefers_fewer_lines() -> None:
    p = mk([{"id": "r", "capacity": 2}, {"id": "s", "capacity": 3}], [{"id": "a", "quantity": 3}],
           [("r", "a", 2), ("s", "a", 1.5)], objective={"fragmentation": 2})
    # two lines: 4 + 1.5 - 4 = 1.5; one line s: 4.5 - 2 = 2.5
    assert amounts(p) == {("s", "a"): 3}
    assert solve(p, P).objective == 2.5


def test_change_penalty_keeps_reference_lines() -> None:
    p = mk([{"id": "r", "capacity": 1}], [{"id": "a", "quantity": 1}, {"id": "b", "quantity": 1}],
           [("r", "a", 1), ("r", "b", 2)], reference=[{"resource": "r", "demand": "a"}],
           objective={"change_penalty": 1.5})
    assert amounts(p) == {("r", "a"): 1}
    p2 = p.model_copy(update={"objective": p.objective.model_copy(update={"change_penalty": 0.5})})
    assert amounts(p2) == {("r", "b"): 1}
    assert solve(p2, P).terms["change_penalty"] == -0.5


def test_fairness_maxmin_spreads_coverage() -> None:
    p = mk([{"id": "r", "capacity": 4}],
           [{"id": "a", "quantity": 4, "community": "east"}, {"id": "b", "quantity": 4, "community": "west"}],
           [("r", "a", 1.01), ("r", "b", 1)], objective={"fairness": "maxmin", "fairness_weight": 10})
    got = amounts(p)
    assert got == {("r", "a"): 2, ("r", "b"): 2}
    sol = solve(p, P)
    assert abs(sol.terms["fairness"] - 5.0) < 1e-9


def test_fairness_floor_is_soft() -> None:
    p = mk([{"id": "r", "capacity": 2}],
           [{"id": "a", "quantity": 4, "community": "east"}, {"id": "b", "quantity": 4, "community": "west"}],
           [("r", "a", 3), ("r", "b", 1)], objective={"fairness": "floor", "fairness_weight": 8, "fairness_floor": 0.5})
    sol = solve(p, P)
    assert sol.status == "OPTIMAL"  # a floor the capacity cannot reach does not make it infeasible
    # giving b one unit costs 2 score and recovers 0.25 of its floor (worth 2): tie-free optimum is a=2
    assert {(a.resource, a.demand): a.amount for a in sol.allocations} == {("r", "a"): 2}
    assert abs(sol.terms["fairness"] - (-8 * 0.5)) < 1e-9


# ---------------------------------------------------------------- model compactness


def test_plain_problem_has_no_auxiliary_variables() -> None:
    p = mk([{"id": "r", "capacity": 5}], [{"id": "a", "quantity": 3}], [("r", "a", 1)])
    _, mv = build_model(p)
    assert not mv.y and not mv.z and not mv.w and len(mv.xvar) == 1


def test_gap_structure_uses_one_boolean_per_line() -> None:
    p = mk([{"id": "r", "capacity": 5}, {"id": "s", "capacity": 5}],
           [{"id": "a", "quantity": 1, "must_cover": True, "splittable": False}],
           [("r", "a", 1, 3), ("s", "a", 2, 4)])
    model, mv = build_model(p)
    assert not mv.xvar and len(mv.y) == 2 and not mv.w and not mv.z
    assert len(model.proto.variables) == 2


def test_partner_aux_only_for_units_with_several_lines() -> None:
    p = mk([{"id": "r1", "capacity": 1, "unit": "u"}, {"id": "r2", "capacity": 1, "unit": "u"},
            {"id": "s", "capacity": 2, "unit": "v"}],
           [{"id": "a", "quantity": 4, "max_partners": 1}],
           [("r1", "a", 3), ("r2", "a", 3), ("s", "a", 2)], units=[{"id": "u"}, {"id": "v"}])
    _, mv = build_model(p)
    assert mv.w[("v", "a")] is mv.y[("s", "a")]
    assert mv.w[("u", "a")] is not mv.y[("r1", "a")]
