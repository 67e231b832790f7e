"""The hand-matching baseline: its order of work, and that it never breaks a hard rule."""

from __future__ import annotations

import random
from typing import Any

import pytest

from engine.matching.checker import check
from engine.matching.greedy import greedy, uncovered_must_cover
from engine.matching.problem import Problem


def mk(
    resources: list[dict[str, Any]], demands: list[dict[str, Any]], cands: list[dict[str, Any]], **extra: Any
) -> Problem:
    return Problem.model_validate({"resources": resources, "demands": demands, "candidates": cands, **extra})


def C(r: str, d: str, score: float = 1.0, **kw: Any) -> dict[str, Any]:
    return {"resource": r, "demand": d, "score": score, **kw}


def got(p: Problem) -> dict[tuple[str, str], int]:
    return {(a.resource, a.demand): a.amount for a in greedy(p)}


def test_highest_weight_first() -> None:
    p = mk([{"id": "r", "capacity": 3}],
           [{"id": "a", "quantity": 3, "weight": 1}, {"id": "b", "quantity": 3, "weight": 5}],
           [C("r", "a", 9), C("r", "b", 1)])
    assert got(p) == {("r", "b"): 3}


def test_nearest_first_by_travel_term() -> None:
    p = mk([{"id": "far", "capacity": 3}, {"id": "near", "capacity": 3}], [{"id": "a", "quantity": 3}],
           [C("far", "a", 9, terms={"travel": -5}), C("near", "a", 1, terms={"travel": -1})])
    assert got(p) == {("near", "a"): 3}


def test_best_score_first_without_travel() -> None:
    p = mk([{"id": "r", "capacity": 2}, {"id": "s", "capacity": 5}], [{"id": "a", "quantity": 4}],
           [C("r", "a", 3), C("s", "a", 2)])
    assert got(p) == {("r", "a"): 2, ("s", "a"): 2}


def test_pins_first_and_bans() -> None:
    p = mk([{"id": "r", "capacity": 4}, {"id": "s", "capacity": 4}],
           [{"id": "a", "quantity": 4, "weight": 9}, {"id": "b", "quantity": 4}],
           [C("r", "a", 5), C("r", "b", 1), C("s", "a", 1)],
           pins=[{"resource": "r", "demand": "b", "amount": 3}], bans=[{"resource": "s", "demand": "a"}])
    assert got(p) == {("r", "b"): 3, ("r", "a"): 1}
    assert not check(p, greedy(p))


def test_min_allocation_and_non_splittable() -> None:
    p = mk([{"id": "r", "capacity": 2, "min_allocation": 3}, {"id": "s", "capacity": 2}, {"id": "t", "capacity": 5}],
           [{"id": "a", "quantity": 4}, {"id": "b", "quantity": 3, "splittable": False}],
           [C("r", "a", 9), C("s", "b", 9), C("t", "b", 1)])
    g = got(p)
    assert ("r", "a") not in g  # 2 left in r is below its minimum of 3
    assert g[("t", "b")] == 3 and ("s", "b") not in g


def test_partners_and_unit_limits() -> None:
    p = mk([{"id": "r1", "capacity": 1, "unit": "u"}, {"id": "r2", "capacity": 1, "unit": "v"},
            {"id": "r3", "capacity": 9, "unit": "u"}],
           [{"id": "a", "quantity": 2, "max_partners": 1, "weight": 2}, {"id": "b", "quantity": 1}],
           [C("r1", "a", 3), C("r2", "a", 2), C("r3", "b", 1)], units=[{"id": "u", "max_projects": 1}, {"id": "v"}])
    g = got(p)
    assert g == {("r1", "a"): 1}  # partner limit stops r2; unit u is full so b stays empty
    assert not check(p, greedy(p))


def test_reports_must_cover_shortfall() -> None:
    p = mk([{"id": "r", "capacity": 2}], [{"id": "a", "quantity": 3, "must_cover": True}], [C("r", "a")])
    assert uncovered_must_cover(p, greedy(p)) == ["a"]


@pytest.mark.parametrize("seed", range(25))
def test_random_problems_pass_the_checker_except_must_cover(seed: int) -> None:
    rng = random.Random(seed)
    res = [{"id": f"r{i}", "capacity": rng.randint(0, 6), "min_allocation": rng.randint(1, 3),
            "unit": rng.choice([None, "u0", "u1"])} for i in range(6)]
    dem = [{"id": f"d{j}", "quantity": rng.randint(1, 5), "must_cover": rng.random() < 0.3,
            "splittable": rng.random() < 0.7, "max_partners": rng.choice([None, 1, 2]),
            "weight": rng.randint(0, 3)} for j in range(7)]
    cands = [C(r["id"], d["id"], rng.randint(-2, 5), consumption=rng.randint(0, 2),
               terms={"travel": -rng.random()} if rng.random() < 0.5 else {})
             for r in res for d in dem if rng.random() < 0.5]
    bans = [{"resource": c["resource"], "demand": c["demand"]} for c in cands if rng.random() < 0.1]
    p = mk(res, dem, cands, bans=bans, units=[{"id": "u0", "max_projects": rng.randint(0, 3)}, {"id": "u1"}])
    g = greedy(p)
    assert {v.rule for v in check(p, g)} <= {"must_cover"}
    assert set(uncovered_must_cover(p, g)) == {
        v.message.split()[0] for v in check(p, g) if v.rule == "must_cover"
    }
