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

from engine.matching.problem import PCandidate, PDemand, Problem, SAllocation


def nearest_first(sign: int) -> Callable[[PCandidate], Any]:
    """Default candidate order: largest ``travel`` term (i.e. least travel cost) first, else best score.

    ``sign`` is +1 when maximising and −1 when minimising, so "best score" follows the sense.
    """

    def key(c: PCandidate) -> Any:
        if "travel" in c.terms:
            return (0, -c.terms["travel"], -sign * c.score, c.resource)
        return (1, 0.0, -sign * c.score, c.resource)

    return key


def greedy(
    problem: Problem,
    key: Callable[[PCandidate], Any] | None = None,
    must_cover_first: bool = True,
    prefill: dict[tuple[str, str], int] | None = None,
) -> list[SAllocation]:
    """Hand-matching baseline; ``key`` orders a demand's candidates (default :func:`nearest_first`).

    ``must_cover_first``: demands that must be covered are served before all others (each, when
    possible, by a single line that gives it whole), then the rest by weight as usual.

    ``prefill`` (used by the solver to round an LP solution): amounts to give first, line by line
    in the order given, each cut down to what the hard rules still allow (or skipped); the
    demands are then completed as usual.
    """
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

    def open_to(d: PDemand, c: PCandidate) -> bool:
        u = unit_of[c.resource]
        if u in units_of_dem[d.id]:
            return True
        if d.max_partners is not None and len(units_of_dem[d.id]) >= d.max_partners:
            return False
        return not (u in limit and len(dems_of_unit[u]) >= limit[u])

    def room_of(c: PCandidate, need: int) -> int:
        return need if c.consumption == 0 else min(need, cap_left[c.resource] // c.consumption)

    def serve(d: PDemand) -> None:
        need = d.quantity - given[d.id]
        if need <= 0 or (not d.splittable and given[d.id] > 0):
            return
        lines = sorted(by_dem[d.id], key=key)
        if d.must_cover:
            # one line that gives the whole remainder, if there is one: coordinators secure the
            # demands that must be covered before anything else, and a single line is the surest
            for c in lines:
                if (c.resource, c.demand) in amount or not open_to(d, c):
                    continue
                if room_of(c, need) >= max(need, min(res[c.resource].min_allocation, d.quantity)):
                    give(c, need)
                    return
        for c in lines:
            if need <= 0:
                break
            if (c.resource, c.demand) in amount:
                continue
            if not d.must_cover and sign * c.score < 0:
                continue
            if not open_to(d, c):
                continue
            room = room_of(c, need)
            if not d.splittable:
                if room >= d.quantity:
                    give(c, d.quantity)
                    need = 0
                continue
            if room < min(res[c.resource].min_allocation, d.quantity):
                continue
            give(c, room)
            need -= room

    dem = {d.id: d for d in problem.demands}
    pinned = {(p.resource, p.demand) for p in problem.pins}

    def prefill_lines(must: bool) -> None:
        for pair, want in (prefill or {}).items():
            if pair in amount or pair in banned or pair not in cand or pair in pinned:
                continue
            c, d = cand[pair], dem[pair[1]]
            if d.must_cover != must or (not d.must_cover and sign * c.score < 0):
                continue
            need = d.quantity - given[d.id]
            if need <= 0 or not open_to(d, c) or (not d.splittable and given[d.id] > 0):
                continue
            x = min(want, room_of(c, need))
            if x < (d.quantity if not d.splittable else min(res[c.resource].min_allocation, d.quantity)):
                continue
            give(c, x)

    order = sorted(problem.demands, key=lambda d: (-d.weight, d.id))
    if must_cover_first:
        # must-cover demands are completed before any other demand takes capacity
        for d in order:
            if d.must_cover:
                serve(d)
    prefill_lines(False)
    prefill_lines(True)
    if must_cover_first:
        order = [d for d in order if not d.must_cover]
    for d in order:
        serve(d)
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
