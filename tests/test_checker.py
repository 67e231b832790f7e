"""The independent checker: every rule's violation is named, and objective terms add up by hand."""

from __future__ import annotations

import pytest

from engine.matching.checker import TERMS, check, objective_of
from engine.matching.problem import Problem, SAllocation


def base(**extra: object) -> Problem:
    return Problem.model_validate(
        {
            "resources": [
                {"id": "r", "capacity": 4, "min_allocation": 2, "unit": "u"},
                {"id": "s", "capacity": 4, "unit": "u"},
                {"id": "t", "capacity": 4},
            ],
            "demands": [
                {"id": "a", "quantity": 4, "must_cover": True, "max_partners": 1, "community": "c1", "weight": 1},
                {"id": "b", "quantity": 2, "splittable": False, "community": "c2", "weight": 3},
                {"id": "c", "quantity": 3, "community": "c2", "weight": 1},
            ],
            "units": [{"id": "u", "max_projects": 2}],
            "candidates": [
                {"resource": "r", "demand": "a", "score": 2.0},
                {"resource": "s", "demand": "a", "score": 1.0},
                {"resource": "t", "demand": "a", "score": 1.5},
                {"resource": "t", "demand": "b", "score": 3.0, "consumption": 2},
                {"resource": "s", "demand": "b", "score": 1.0},
                {"resource": "s", "demand": "c", "score": 0.5},
            ],
            **extra,
        }
    )


def A(r: str, d: str, x: int, p: Problem | None = None) -> SAllocation:
    p = p or base()
    sc = {(c.resource, c.demand): c.score for c in p.candidates}
    return SAllocation(resource=r, demand=d, amount=x, score=sc.get((r, d), 0.0) * x)


GOOD = [("r", "a", 4), ("t", "b", 2)]


def rules(p: Problem, lines: list[tuple[str, str, int]]) -> set[str]:
    return {v.rule for v in check(p, [A(*ln, p=p) for ln in lines])}


def test_good_allocation_passes() -> None:
    assert rules(base(), GOOD) == set()


@pytest.mark.parametrize(
    ("lines", "rule"),
    [
        ([("r", "a", 4), ("t", "b", 2), ("s", "c", 3), ("t", "a", 1)], "quantity"),
        ([("r", "a", 4), ("t", "b", 2), ("s", "b", 1)], "non_splittable"),
        ([("r", "a", 4), ("s", "b", 1)], "non_splittable"),
        ([("r", "a", 3), ("t", "b", 2)], "must_cover"),
        ([("s", "a", 1), ("t", "a", 3), ("t", "b", 2)], "partners"),
        ([("r", "a", 4), ("t", "b", 2), ("s", "c", 3), ("s", "b", 2)], "unit_limit"),
        ([("r", "a", 4), ("t", "b", 2), ("t", "c", 1)], "candidate"),
        ([("r", "a", 4), ("t", "b", 2), ("t", "a", 1)], "capacity"),
        ([("r", "a", 4), ("t", "b", 2), ("r", "a", 4)], "allocation"),
        ([("r", "a", 4), ("t", "b", 0)], "allocation"),
    ],
)
def test_each_violation_is_named(lines: list[tuple[str, str, int]], rule: str) -> None:
    assert rule in rules(base(), lines)


def test_min_allocation() -> None:
    p = base()
    assert "min_allocation" in rules(p, [("r", "a", 1), ("t", "a", 3), ("t", "b", 2)])


def test_pin_and_ban() -> None:
    p = base(pins=[{"resource": "s", "demand": "c", "amount": 2}], bans=[{"resource": "t", "demand": "b"}])
    got = rules(p, GOOD)
    assert {"pin", "ban"} <= got
    assert rules(p, [("r", "a", 4), ("s", "c", 2)]) == set()


def test_wrong_score_field() -> None:
    assert "score" in {v.rule for v in check(base(), [SAllocation(resource="r", demand="a", amount=4, score=1)])}


def test_objective_terms_maximize() -> None:
    p = base(
        reference=[{"resource": "s", "demand": "c"}, {"resource": "r", "demand": "a"}],
        objective={
            "full_coverage_bonus": 2,
            "fragmentation": 0.5,
            "change_penalty": 3,
            "fairness": "maxmin",
            "fairness_weight": 4,
        },
    )
    t = objective_of(p, [A(*ln, p=p) for ln in GOOD])
    assert set(t) == {*TERMS, "total"}
    assert t["score"] == 4 * 2 + 2 * 3
    assert t["full_coverage_bonus"] == 2 * (1 + 3)  # a and b full
    assert t["fragmentation"] == -1.0
    assert t["change_penalty"] == -3
    # c1 coverage 1; c2 = (3·1 + 1·0)/4 = 0.75
    assert t["fairness"] == pytest.approx(4 * 0.75)
    assert t["total"] == pytest.approx(14 + 8 - 1 - 3 + 3)


def test_objective_terms_floor_and_minimize() -> None:
    p = base(objective={"sense": "minimize", "fragmentation": 1, "fairness": "floor",
                        "fairness_weight": 10, "fairness_floor": 0.9})
    t = objective_of(p, [A(*ln, p=p) for ln in GOOD])
    # minimising: penalties add cost; the floor shortfall (0.9 - 0.75 in c2) adds cost too
    assert t["fragmentation"] == 2
    assert t["fairness"] == pytest.approx(10 * 0.15)
    assert t["total"] == pytest.approx(14 + 2 + 1.5)


def test_equal_shares_when_weights_are_zero() -> None:
    p = Problem.model_validate({
        "resources": [{"id": "r", "capacity": 9}],
        "demands": [{"id": "a", "quantity": 2, "community": "c"}, {"id": "b", "quantity": 4, "community": "c"}],
        "candidates": [{"resource": "r", "demand": "a", "score": 0}, {"resource": "r", "demand": "b", "score": 0}],
        "objective": {"fairness": "maxmin", "fairness_weight": 1},
    })
    t = objective_of(p, [SAllocation(resource="r", demand="a", amount=2, score=0)])
    assert t["fairness"] == pytest.approx(0.5)
