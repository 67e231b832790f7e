"""The status-quo baseline: matching the way coordinators do it by hand, on the same Problem.

Why keep it: the optimiser's value is only meaningful against what happens without it. A
coordinator takes the most important demand first (highest weight, then id), looks at its
candidates nearest first (smallest travel cost when the candidate carries a ``travel`` term,
otherwise best score first), and gives as much as the resource still has, respecting every hard
rule on the way: pins first, bans, minimum allocation, non-splittable demands (only a single line
that can serve the whole demand), partner limits and unit project limits. Lines whose score makes
the objective worse are skipped unless the demand must be covered.

The result always passes ``checker.check`` except, possibly, for ``must_cover``: greedy may leave a
must-cover demand short; :func:`uncovered_must_cover` lists those. (Pins are applied as given: a
problem whose pins themselves break a rule is infeasible for every method.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from engine.matching.problem import PCandidate, Problem, SAllocation


def nearest_first(sign: int) -> Callable[[PCandidate], Any]:
    """Default candidate order: largest ``travel`` term (i.e. least travel cost) first, else best score.

    ``sign`` is +1 when maximising and −1 when minimising, so "best score" follows the sense.
    """

    def key(c: PCandidate) -> Any:
        if "travel" in c.terms:
            return (0, -c.terms["travel"], -sign * c.score, c.resource)
        return (1, 0.0, -sign * c.score, c.resource)

    return key


def greedy(problem: Problem, key: Callable[[PCandidate], Any] | None = None) -> list[SAllocation]:
    """Hand-matching baseline; ``key`` orders a demand's candidates (default :func:`nearest_first`)."""
    sign = 1 if problem.objective.sense == "maximize" else -1
    key = key or nearest_first(sign)
    res = {r.id: r for r in problem.resources}
    unit_of = {r.id: r.unit if r.unit is not None else f"\x00resource:{r.id}" for r in problem.resources}
    limit = {u.id: u.max_projects for u in problem.units if u.max_projects is not None}
    banned = {(b.resource, b.demand) for b in problem.bans}
    by_dem: dict[str, list[PCandidate]] = defaultdict(list)
    for c in problem.candidates:
        if (c.resource, c.demand) not in banned:
            by_dem[c.demand].append(c)

    cap_left = {r.id: r.capacity for r in problem.resources}
    given: dict[str, int] = defaultdict(int)
    amount: dict[tuple[str, str], int] = {}
    units_of_dem: dict[str, set[str]] = defaultdict(set)
    dems_of_unit: dict[str, set[str]] = defaultdict(set)
    cand = {(c.resource, c.demand): c for c in problem.candidates}

    def give(c: PCandidate, x: int) -> None:
        amount[(c.resource, c.demand)] = amount.get((c.resource, c.demand), 0) + x
        cap_left[c.resource] -= c.consumption * x
        given[c.demand] += x
        u = unit_of[c.resource]
        units_of_dem[c.demand].add(u)
        dems_of_unit[u].add(c.demand)

    for p in sorted(problem.pins, key=lambda p: (p.resource, p.demand)):
        give(cand[(p.resource, p.demand)], p.amount)

    for d in sorted(problem.demands, key=lambda d: (-d.weight, d.id)):
        need = d.quantity - given[d.id]
        if need <= 0 or (not d.splittable and given[d.id] > 0):
            continue
        for c in sorted(by_dem[d.id], key=key):
            if need <= 0:
                break
            if (c.resource, c.demand) in amount:
                continue
            if not d.must_cover and sign * c.score < 0:
                continue
            u = unit_of[c.resource]
            if u not in units_of_dem[d.id]:
                if d.max_partners is not None and len(units_of_dem[d.id]) >= d.max_partners:
                    continue
                if u in limit and len(dems_of_unit[u]) >= limit[u]:
                    continue
            room = need if c.consumption == 0 else min(need, cap_left[c.resource] // c.consumption)
            if not d.splittable:
                if room >= d.quantity:
                    give(c, d.quantity)
                    need = 0
                continue
            if room < min(res[c.resource].min_allocation, d.quantity):
                continue
            give(c, room)
            need -= room
    return [
        SAllocation(resource=r, demand=d, amount=x, score=cand[(r, d)].score * x)
        for (r, d), x in sorted(amount.items())
    ]


def uncovered_must_cover(problem: Problem, allocations: list[SAllocation]) -> list[str]:
    """Must-cover demands that ``allocations`` leave short (greedy's one permitted failure)."""
    given: dict[str, int] = defaultdict(int)
    for a in allocations:
        given[a.demand] += a.amount
    return [d.id for d in sorted(problem.demands, key=lambda d: d.id) if d.must_cover and given[d.id] < d.quantity]
