"""The yearly round: snapshot → candidates → problem → solve → project list, unmet list,
KPIs, compared with the greedy baseline. Computing only: engine/rounds.py decides what a round
starts from and writes it."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping

from pydantic import BaseModel, Field

from ..errors import InvalidInput
from ..store.base import GraphStore
from .candidates import Pair, demand_weight, generate, must_cover_rule
from .explain import project_reason, unmet_label
from .greedy import greedy, nearest_first
from .kpis import compute_kpis
from .params import RoundParams
from .problem import PCandidate, PDemand, PObjective, PPair, PPin, PResource, Problem, PUnit, SAllocation, SolveParams
from .snapshot import Snapshot, take_snapshot
from .solver import solve
from .unmet import unmet_reason

Progress = Callable[[str, float], None]

class AllocationOut(BaseModel):
    resource: str
    resource_name: str
    unit: str
    unit_name: str
    kind: str
    amount: int
    score: float
    terms: dict[str, float]
    travel_minutes: float
    level: str


class ProjectOut(BaseModel):
    id: str
    demand: str
    demand_name: str
    community: str
    category: str
    quantity: int
    covered: int
    score: float
    terms: dict[str, float]
    reason_zh: str
    reason_en: str
    allocations: list[AllocationOut]


class UnmetOut(BaseModel):
    demand: str
    demand_name: str
    community: str
    category: str
    quantity: int
    covered: int
    reason: str
    reason_zh: str
    reason_en: str


class BaselineOut(BaseModel):
    objective: float
    kpis: dict[str, object]


class RoundResult(BaseModel):
    round_id: str
    scope: str
    year: int | None
    input_hash: str
    status: str
    objective: float
    bound: float
    gap: float
    wall_time: float
    solve_time: float
    candidates: int
    components: int
    relaxed: bool = False
    status_text: dict[str, str] = Field(default_factory=dict, description="the status in words: zh, en / 求解状态说明")
    kpis: dict[str, object]
    baseline: BaselineOut
    projects: list[ProjectOut]
    unmet: list[UnmetOut]
    params: dict[str, object] = Field(default_factory=dict)
    run_by: str = ""
    parent: str | None = None

    def project_list(self) -> list[tuple[str, tuple[tuple[str, int], ...]]]:
        """The project list as plain data (demand, ((resource, amount), …)): what
        "same inputs and seed → same project list" compares."""
        return [(p.demand, tuple((a.resource, a.amount) for a in p.allocations)) for p in self.projects]


def build_problem(snap: Snapshot, pairs: list[Pair], params: RoundParams) -> Problem:
    w = params.weights
    must = must_cover_rule(params)
    used_r = {p.resource for p in pairs}
    units = sorted({r.unit for r in snap.resources if r.id in used_r})
    unit_limit = {u.id: u.max_projects for u in snap.units}
    if params.unit_project_limit is not None:
        unit_limit = dict.fromkeys(unit_limit, params.unit_project_limit)
    return Problem(
        name=f"round {snap.scope} {snap.year}",
        resources=[
            PResource(id=r.id, capacity=r.capacity, min_allocation=r.min_allocation, unit=r.unit)
            for r in snap.resources
            if r.id in used_r
        ],
        demands=[
            PDemand(
                id=d.id,
                quantity=d.quantity,
                must_cover=must(d),
                splittable=d.splittable,
                max_partners=d.max_partners,
                community=d.place.community,
                weight=round(demand_weight(d, w), 6),
            )
            for d in snap.demands
        ],
        units=[PUnit(id=u, max_projects=unit_limit.get(u)) for u in units],
        candidates=[
            PCandidate(
                resource=p.resource,
                demand=p.demand,
                score=round(p.score, 9),
                terms={k: round(v, 9) for k, v in p.terms.items()},
            )
            for p in pairs
        ],
        pins=[
            PPin(resource=r, demand=d, amount=a)
            for r, d, a in snap.pins
            if any(p.resource == r and p.demand == d for p in pairs)
        ],
        bans=[PPair(resource=r, demand=d) for r, d in snap.bans],
        reference=[PPair(resource=r, demand=d) for r, d in snap.reference],
        objective=PObjective(
            full_coverage_bonus=w.full_coverage_bonus,
            fragmentation=w.fragmentation,
            change_penalty=w.change_penalty if snap.reference else 0.0,
            fairness=params.fairness,
            fairness_weight=params.fairness_weight,
            fairness_floor=params.fairness_floor,
        ),
    )


def assemble(
    snap: Snapshot,
    pairs: list[Pair],
    problem: Problem,
    allocations: list[SAllocation],
    params: RoundParams,
    round_id: str,
    diagnosis: Mapping[str, str] | None = None,
) -> tuple[list[ProjectOut], list[UnmetOut]]:
    """Projects (best first) and unmet demands with reasons, from a set of allocations;
    ``diagnosis`` is the solver's reason for each must-cover demand it left short."""
    diagnosis = diagnosis or {}
    pmap = {(p.resource, p.demand): p for p in pairs}
    pairs_by_d: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        pairs_by_d[p.demand].append(p)
    res = {r.id: r for r in snap.resources}
    units = {u.id: u for u in snap.units}
    limit = {u.id: u.max_projects for u in problem.units}
    by_d: dict[str, list[SAllocation]] = defaultdict(list)
    used: dict[str, int] = defaultdict(int)
    unit_projects: dict[str, set[str]] = defaultdict(set)
    partners: dict[str, set[str]] = defaultdict(set)
    for a in allocations:
        if a.amount <= 0:
            continue
        by_d[a.demand].append(a)
        used[a.resource] += a.amount
        u = res[a.resource].unit
        unit_projects[u].add(a.demand)
        partners[a.demand].add(u)
    projects: list[ProjectOut] = []
    unmet: list[UnmetOut] = []
    for d in snap.demands:
        lines = sorted(by_d.get(d.id, []), key=lambda a: (-a.amount, a.resource))
        covered = sum(a.amount for a in lines)
        if lines:
            outs = []
            total_terms: dict[str, float] = defaultdict(float)
            for a in lines:
                p = pmap[(a.resource, a.demand)]
                r = res[a.resource]
                t = {k: round(v * a.amount, 4) for k, v in p.terms.items()}
                for k, v in t.items():
                    total_terms[k] += v
                outs.append(
                    AllocationOut(
                        resource=r.id,
                        resource_name=r.name,
                        unit=r.unit,
                        unit_name=units[r.unit].name if r.unit in units else r.unit,
                        kind=r.kind,
                        amount=a.amount,
                        score=round(p.score * a.amount, 4),
                        terms=t,
                        travel_minutes=round(p.minutes, 2),
                        level=p.level,
                    )
                )
            if covered >= d.quantity and problem.objective.full_coverage_bonus:
                total_terms["full_coverage_bonus"] = round(
                    problem.objective.full_coverage_bonus * demand_weight(d, params.weights), 4
                )
            if problem.objective.fragmentation:
                total_terms["fragmentation"] = -round(problem.objective.fragmentation * len(lines), 4)
            desc = [
                (o.unit_name, o.kind, o.amount, o.travel_minutes, o.level, res[o.resource].travel_mode) for o in outs
            ]
            projects.append(
                ProjectOut(
                    id=f"{round_id}-{d.id}",
                    demand=d.id,
                    demand_name=d.name,
                    community=d.place.community or "",
                    category=d.category,
                    quantity=d.quantity,
                    covered=covered,
                    score=round(sum(total_terms.values()), 4),
                    terms={k: round(v, 4) for k, v in total_terms.items()},
                    reason_zh=project_reason(d.category, d.quantity, covered, desc, "zh"),
                    reason_en=project_reason(d.category, d.quantity, covered, desc, "en"),
                    allocations=outs,
                )
            )
        if covered < d.quantity:
            code = unmet_reason(d, pairs_by_d.get(d.id, []), snap, res, limit, used, unit_projects, partners,
                                covered, diagnosis.get(d.id))
            unmet.append(
                UnmetOut(
                    demand=d.id,
                    demand_name=d.name,
                    community=d.place.community or "",
                    category=d.category,
                    quantity=d.quantity,
                    covered=covered,
                    reason=code,
                    reason_zh=unmet_label(code, "zh"),
                    reason_en=unmet_label(code, "en"),
                )
            )
    projects.sort(key=lambda p: (-p.score, p.demand))
    return projects, unmet


STAGE_LABELS: dict[str, tuple[str, str]] = {
    "snapshot": ("读取清单", "reading the lists"),
    "candidates": ("生成候选", "generating candidates"),
    "baseline": ("人工匹配基线", "hand-matching baseline"),
    "solve": ("优化求解", "solving"),
    "explain": ("生成理由", "explaining"),
    "write": ("写入结果", "writing"),
    "done": ("完成", "done"),
}
"""The stages ``run_round`` reports to its ``progress`` callback, as the live progress bar shows
them."""


def run_round(
    store: GraphStore,
    scope: str,
    params: RoundParams | None = None,
    *,
    run_by: str = "cli",
    progress: Progress | None = None,
    snapshot: Snapshot | None = None,
    round_id: str | None = None,
    pairs: list[Pair] | None = None,
) -> RoundResult:
    """Compute a yearly round on a scope and return it; nothing is written. A re-round is a
    ``snapshot`` carrying its parent's pins, bans and reference (engine/rounds.py builds it and
    stores the result). ``pairs`` are candidate pairs already generated for ``snapshot``
    (what-if variants share them); None generates them. Without ``round_id`` the result is a
    draft (``RND-<year>-<scope>-draft``): ids of stored rounds come from engine/rounds.py."""
    params = params or RoundParams()
    say = progress or (lambda stage, frac: None)
    t0 = time.perf_counter()
    say("snapshot", 0.05)
    snap = snapshot or take_snapshot(store, scope, params.year)
    if not snap.demands:
        raise InvalidInput(f"范围 {scope} 没有需求清单", message_en=f"scope {scope} has no demand list")
    say("candidates", 0.15)
    if pairs is None:
        pairs = generate(snap, params)
    problem = build_problem(snap, pairs, params)
    say("baseline", 0.25)
    base = greedy(problem, nearest_first(1))
    say("solve", 0.3)
    t1 = time.perf_counter()
    sol = solve(
        problem,
        SolveParams(
            time_limit=params.time_limit, workers=params.workers, seed=params.seed, relative_gap=params.relative_gap
        ),
        hint=base,
    )
    solve_time = time.perf_counter() - t1
    say("explain", 0.9)
    rid = round_id or f"RND-{snap.year or 'all'}-{scope}-draft"
    diagnosis = {c.demand: c.reason for c in sol.conflicts}
    projects, unmet = assemble(snap, pairs, problem, list(sol.allocations), params, rid, diagnosis)
    pmap = {(p.resource, p.demand): p for p in pairs}
    kpis = compute_kpis(snap, pmap, [(a.resource, a.demand, a.amount) for a in sol.allocations], params.weights)
    from ..wishes import kpis as wish_kpis

    # the micro-wish market of the same communities and year (issue 10): read from the store, not
    # the snapshot, as the round does not change it; the same for the baseline, so shown once
    kpis["wishes"] = wish_kpis(store, scope, snap.year)
    from .checker import objective_of

    base_obj = objective_of(problem, base)["total"] if base else 0.0
    base_kpis = compute_kpis(snap, pmap, [(a.resource, a.demand, a.amount) for a in base], params.weights)
    result = RoundResult(
        round_id=rid,
        scope=scope,
        year=snap.year,
        input_hash=snap.hash(),
        status=sol.status,
        objective=round(sol.objective, 4),
        bound=round(sol.bound, 4),
        gap=round(sol.gap, 6),
        wall_time=round(time.perf_counter() - t0, 3),
        solve_time=round(solve_time, 3),
        candidates=len(pairs),
        components=sol.components,
        relaxed=sol.relaxed,
        status_text=sol.status_text,
        kpis=kpis,
        baseline=BaselineOut(objective=round(base_obj, 4), kpis=base_kpis),
        projects=projects,
        unmet=unmet,
        params=params.model_dump(mode="json"),
        run_by=run_by,
    )
    say("done", 1.0)
    return result
