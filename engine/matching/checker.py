"""An independent checker for allocations: plain Python, no CP-SAT, no shared code with the model.

Why separate: a solver bug and a model bug look the same from the outside (a plausible list of
allocations). Re-reading the rules straight from the ``Problem`` semantics (see
``engine.matching.problem``) and comparing is what lets the tests, the benchmark and a round's
audit trust the optimiser's output. ``objective_of`` is also the one definition of the reported
objective: the solver recomputes its objective with it, so the two can never disagree.

Objective terms are reported *in the problem's sense*: for ``sense = maximize`` larger is
better and penalties are negative; for ``sense = minimize`` the total is a cost, scores count as
given, and the bonus / fairness terms are negative while fragmentation / change penalties are
positive (a penalty always makes the objective worse).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict

from engine.matching.problem import Problem, SAllocation

TERMS = ("score", "full_coverage_bonus", "fragmentation", "change_penalty", "fairness")


class Violation(BaseModel):
    """One broken rule: the rule's name and what is wrong, in words."""

    model_config = ConfigDict(frozen=True)
    rule: str
    message: str


def check(problem: Problem, allocations: Iterable[SAllocation]) -> list[Violation]:
    """Every rule broken by ``allocations``; an empty list means the allocation is feasible."""
    allocs = sorted(allocations, key=lambda a: (a.resource, a.demand))
    out: list[Violation] = []

    def bad(rule: str, msg: str) -> None:
        out.append(Violation(rule=rule, message=msg))

    res = {r.id: r for r in problem.resources}
    dem = {d.id: d for d in problem.demands}
    cand = {(c.resource, c.demand): c for c in problem.candidates}
    banned = {(b.resource, b.demand) for b in problem.bans}
    unit_of = {r.id: r.unit if r.unit is not None else f"\x00resource:{r.id}" for r in problem.resources}
    amount: dict[tuple[str, str], int] = {}
    for a in allocs:
        pair = (a.resource, a.demand)
        if pair not in cand:
            bad("candidate", f"{a.resource} -> {a.demand} is not a candidate")
            continue
        if pair in amount:
            bad("allocation", f"{a.resource} -> {a.demand} is listed twice")
            continue
        if a.amount <= 0:
            bad("allocation", f"{a.resource} -> {a.demand} has non-positive amount {a.amount}")
            continue
        amount[pair] = a.amount
        if not math.isclose(a.score, cand[pair].score * a.amount, rel_tol=1e-9, abs_tol=1e-9):
            bad("score", f"{a.resource} -> {a.demand}: score {a.score} != {cand[pair].score} × {a.amount}")

    used_cap: dict[str, int] = defaultdict(int)
    given: dict[str, int] = defaultdict(int)
    lines: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (r, d), x in amount.items():
        used_cap[r] += cand[(r, d)].consumption * x
        given[d] += x
        lines[d].append((r, x))
        if (r, d) in banned:
            bad("ban", f"{r} -> {d} is banned but gets {x}")
        need = min(res[r].min_allocation, dem[d].quantity)
        if x < need:
            bad("min_allocation", f"{r} -> {d} gives {x} < minimum {need}")

    for r, used in sorted(used_cap.items()):
        if used > res[r].capacity:
            bad("capacity", f"{r} uses {used} > capacity {res[r].capacity}")
    for d in sorted(dem):
        q = dem[d].quantity
        if given[d] > q:
            bad("quantity", f"{d} gets {given[d]} > quantity {q}")
        if dem[d].must_cover and given[d] != q:
            bad("must_cover", f"{d} must be covered: gets {given[d]} of {q}")
        if not dem[d].splittable and lines[d] and (len(lines[d]) > 1 or lines[d][0][1] != q):
            bad("non_splittable", f"{d} must be served whole by one line, got {sorted(lines[d])}")
        mp = dem[d].max_partners
        units = {unit_of[r] for r, _ in lines[d]}
        if mp is not None and len(units) > mp:
            bad("partners", f"{d} is served by {len(units)} units > max_partners {mp}")

    limits = {u.id: u.max_projects for u in problem.units if u.max_projects is not None}
    projects: dict[str, set[str]] = defaultdict(set)
    for r, d in amount:
        projects[unit_of[r]].add(d)
    for u, k in sorted(limits.items()):
        if len(projects[u]) > k:
            bad("unit_limit", f"unit {u} takes part in {len(projects[u])} demands > max_projects {k}")

    for p in problem.pins:
        got = amount.get((p.resource, p.demand), 0)
        if got != p.amount:
            bad("pin", f"{p.resource} -> {p.demand} is pinned to {p.amount}, got {got}")
    return out


def _community_coverage(problem: Problem, given: dict[str, int]) -> dict[str, float]:
    """coverage_c = Σ_d share_d · given_d / q_d, shares by weight (equal when all weights are 0)."""
    groups: dict[str, list] = defaultdict(list)
    for d in sorted(problem.demands, key=lambda d: d.id):
        if d.community is not None:
            groups[d.community].append(d)
    cov = {}
    for c, members in sorted(groups.items()):
        total = sum(d.weight for d in members)
        shares = [d.weight / total if total > 0 else 1.0 / len(members) for d in members]
        cov[c] = math.fsum(s * given.get(d.id, 0) / d.quantity for s, d in zip(shares, members, strict=True))
    return cov


def objective_of(problem: Problem, allocations: Iterable[SAllocation]) -> dict[str, float]:
    """Each named objective term and their ``total``, in the problem's sense (see module doc)."""
    obj = problem.objective
    sign = 1.0 if obj.sense == "maximize" else -1.0
    cand = {(c.resource, c.demand): c for c in problem.candidates}
    amount: dict[tuple[str, str], int] = {}
    for a in sorted(allocations, key=lambda a: (a.resource, a.demand)):
        if a.amount > 0:
            amount[(a.resource, a.demand)] = amount.get((a.resource, a.demand), 0) + a.amount
    given: dict[str, int] = defaultdict(int)
    for (_, d), x in amount.items():
        given[d] += x
    terms = dict.fromkeys(TERMS, 0.0)
    terms["score"] = math.fsum(cand[p].score * x for p, x in sorted(amount.items()) if p in cand)
    if obj.full_coverage_bonus:
        full = math.fsum(d.weight for d in problem.demands if given[d.id] >= d.quantity)
        terms["full_coverage_bonus"] = sign * obj.full_coverage_bonus * full
    if obj.fragmentation:
        terms["fragmentation"] = -sign * obj.fragmentation * len(amount)
    if obj.change_penalty:
        dropped = sum(1 for p in problem.reference if amount.get((p.resource, p.demand), 0) == 0)
        terms["change_penalty"] = -sign * obj.change_penalty * dropped
    if obj.fairness != "none" and obj.fairness_weight:
        cov = _community_coverage(problem, given)
        if cov:
            if obj.fairness == "maxmin":
                terms["fairness"] = sign * obj.fairness_weight * min(cov.values())
            else:
                short = math.fsum(max(0.0, obj.fairness_floor - v) for v in cov.values())
                terms["fairness"] = -sign * obj.fairness_weight * short
    terms["total"] = math.fsum(terms[t] for t in TERMS)
    return terms
