"""Solve a matching ``Problem`` with OR-Tools CP-SAT and HiGHS: decomposed, deterministic,
never below the baseline, exactly reported.

Pipeline
--------
1. **Decompose** the candidate graph into connected components (resources and demands joined by
   their usable candidate lines; resources of a unit joined when the unit has a project limit,
   since the limit couples its demands; demands of a community joined when fairness couples them —
   all of them for ``maxmin``, which has one shared minimum). Independent parts are solved
   separately, which keeps each model small; tiny components are bundled (up to
   ``BUNDLE_SIZE``) so thousands of isolated demands do not each pay CP-SAT's start-up cost.
   Parts are sent to an executor (``engine.matching.executor``): in this process for one worker,
   a local process pool for more (``SolveParams.workers``, default the machine's cores). Each
   part's budget is its share of the problem's size, so big parts get their time by size and
   small parts finish at once.
2. **Model** each part with the one-piece-per-rule builders of ``engine.matching.rules``.
3. **Scale** the objective to integers (CP-SAT needs integer coefficients): if every coefficient is
   integral it is used exactly, else all are multiplied by ``OBJ_SCALE`` and rounded.
4. **Search** with CP-SAT (``PORTFOLIO`` single-thread searches from the baseline hint; big parts:
   LP bound, LP-rounded start, HiGHS's root on the LP's lines, LNS; mid-size parts whose share of
   ``time_limit`` does not pay for HiGHS's heuristics (``_rich``): that same restricted start,
   then LNS on the whole part), then, unless CP-SAT proved the part, with HiGHS as a MIP
   (``engine.matching.mip``) on the same model, started from CP-SAT's answer (root only on a lean
   part, branch and bound with heuristics on a rich one). The part keeps the
   better answer (by the checker's value) and the better (smaller) bound. What each proves:
   CP-SAT proves small parts optimal and finds must-cover-feasible answers; the LP relaxation is
   a bound for big parts; HiGHS's root cuts and branch and bound give the tightest bound where
   the full-coverage bonus and unit project limits bind, and HiGHS proves mid-size parts.
5. **Report** the objective as the exact float recomputed from the allocations by the independent
   ``checker.objective_of`` (so solver and checker can never disagree), in the problem's sense
   (for ``minimize`` objective and bound are costs). ``bound`` is the sum of the parts' bounds
   (plus the constant terms the model leaves out); ``gap = |bound − objective| / max(1,
   |objective|)``. A part solved to optimality reports its exact objective as its bound.
   ``status_text`` says it in words, in Chinese and English
   (``problem.status_text``: 最优解已证明 / 可行，差距 x% / 有 n 项必保需求无法满足).
6. **Must-cover infeasibility** does not fail the round: a part proven infeasible (by CP-SAT or
   HiGHS) is re-solved with the must-cover equalities turned into shortfall variables,
   lexicographically (first minimise the total shortfall, then, with the shortfall held at that
   level, optimise the objective, from the baseline when it is as short). The result has
   ``status = "INFEASIBLE"`` (only when proven), ``relaxed = True``, the best relaxed
   allocations, a bound on the relaxed problem, and a ``Conflict`` per short demand with a
   reason (no_candidate, reach_capacity_short, unit_limit, competing_must_cover).
7. **Never below the baseline**: every component's answer is compared by the checker with the
   baseline (the caller's ``hint``, else greedy) on that component, by (must-cover shortfall,
   objective), and the baseline's lines replace it where they are at least as good (see
   ``_solve_part``).

Determinism (required: same problem, params and seed → same allocations)
------------------------------------------------------------------------
CP-SAT's default multi-worker search is a race between threads and is not reproducible. The
parameter proto (``sat_parameters.proto``) says of ``interleave_search``: "the search is
deterministic (independently of num_workers!)" — the workers run in synchronised batches
(``DeterministicLoop``) instead of freely (``NonDeterministicLoop``). With one worker the search
is sequential and deterministic without it. A wall-clock limit would still cut that deterministic
search at a machine- and load-dependent point, so each part's budget is a *deterministic* time
limit (``max_deterministic_time``, an operation count ≈ seconds), derived only from
``params.time_limit`` and the part's share of the problem size, never from the clock. HiGHS runs
single-threaded, seeded, and stops on a node limit (``MIP_WORK_PER_SECOND`` × the part's share of
``time_limit`` ÷ its MIP's nonzeros), a count, not a time. A wall-clock cap (``WALL_SAFETY`` ×
``time_limit``, at least ``WALL_FLOOR``, from the start of the solve) stays as a safety net for
both; only a run where it fires first (a heavily loaded machine) may differ. The portfolio size
does not depend on ``workers``, and a part's result depends only on the part, so the allocations
are the same whatever the number of worker processes and whatever order they finish in.
``random_seed`` is ``params.seed``; everything (components, variables, constraints, allocations)
is built in sorted id order so the model itself is identical from run to run.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ortools.sat.python import cp_model, cp_model_helper

from engine.matching.checker import check, objective_of
from engine.matching.compact import PackedProblem, pack, unpack
from engine.matching.decomp import decomposed_bound
from engine.matching.executor import executor_for
from engine.matching.greedy import greedy, nearest_first
from engine.matching.lp import relax
from engine.matching.mip import solve_mip
from engine.matching.problem import (
    Conflict,
    PCandidate,
    Problem,
    SAllocation,
    Solution,
    SolveParams,
    Status,
    status_text,
)
from engine.matching.rules import (
    Index,
    ModelVars,
    build_index,
    build_model,
    communities,
    pair_bounds,
    sense_sign,
    unit_key,
)
from engine.matching.rules import constant_value as _constant_value

#: Factor applied to non-integral objective coefficients before rounding.
OBJ_SCALE = 1000
#: Deterministic-time units granted per second of ``time_limit`` (kept below the rate CP-SAT
#: reaches on 2 cores so the deterministic limit, not the clock, ends a search).
DTIME_PER_SECOND = 0.5
#: The wall-clock cap is this many times ``time_limit`` (a safety net, see ``solve``).
WALL_SAFETY = 10.0
#: ... and never less than this many seconds: every part's HiGHS root node runs whatever its share
#: of ``time_limit`` (it is where most of the quality comes from), so a short ``time_limit`` on a
#: loaded machine must not turn the net into the budget (the answer would then depend on load).
WALL_FLOOR = 300.0
#: Smallest deterministic budget of a part (small parts finish long before it anyway).
MIN_DTIME = 0.05
#: Components smaller than this (demands + candidate lines) are bundled into one model.
BUNDLE_SIZE = 400
#: Parts with at least this many candidate lines are "big": they get the LP relaxation (a valid
#: bound, and an LP-rounded starting solution) and an LNS-only deterministic search.
BIG_PART = 5000
#: A big part spends wall time before its search (model build, LP relaxation, restricted model):
#: estimated per candidate line, so the search budget stays a function of the problem only.
#: 1e-4 since the model build and the LP's reading of it got 3–8× faster (2026-12-04): on the
#: chizhou round the big part's LNS then gets 2.6 instead of 0.35 units of work (+4.4 objective,
#: +3 s of wall; docs/BENCHMARKS.md, issue 8).
BIG_OVERHEAD_PER_LINE = 1e-4
#: Deterministic-time units per second that the interleaved LNS search reaches on 2 shared cores.
LNS_DTIME_PER_SECOND = 0.25
#: Seconds the LP relaxation of last resort may take (a part left without a bound, see _lp_bound).
LP_FALLBACK_SECONDS = 120.0
#: Single-thread CP-SAT searches (seeds seed, seed+1, …) run on a part; fixed so that the answer
#: does not depend on ``SolveParams.workers`` (the number of processes parts are spread over).
PORTFOLIO = 2
#: Parts with fewer candidate lines than this are left to CP-SAT alone (it proves them at once).
MIP_MIN_LINES = 40
#: HiGHS's primal heuristics (RINS, RENS and other sub-MIPs) run on parts up to this many lines;
#: on bigger ones they would take the whole budget, and HiGHS is used for its root bound only.
MIP_HEURISTIC_LINES = 3000
#: ... and only when the part's share of ``time_limit`` pays for them (and for nodes past the
#: root): on the chizhou round's mid-size parts they cost 4–7 ms of wall per line (1.3–17 s a
#: part, quiet 2-core machine) and, from the restricted start, gained 1–3 %; a round at the
#: default 20 s gives such a part 0.1–1 s. A longer ``time_limit`` (or one part, as a GAP
#: instance) turns them on.
MIP_HEURISTIC_SECONDS_PER_LINE = 0.005
#: HiGHS's deterministic budget: branch-and-bound work (nodes × the MIP's nonzeros) per second of
#: ``time_limit`` given to a part. Calibrated on this 2-core machine (docs/BENCHMARKS.md, "Issue 8:
#: calibration"): a node of a round part (cuts and sub-MIP heuristics included) costs 20–50 µs per
#: nonzero, a GAP node 2–10 µs. Every part gets its root node (cuts and heuristics), which is where
#: measurement shows nearly all of the gain on round parts (a round part gets a handful of nodes
#: after it, a GAP instance thousands).
MIP_WORK_PER_SECOND = 100_000
#: An assignment part (every demand one whole must-cover unit: a GAP instance) is HiGHS's ground:
#: alone, single-threaded, for 60 s, it proved c20200 and e20100 optimal and came within 0.1–0.5 %
#: of the optimum on d05100, d10100 and d20200, ahead of both plain CP-SAT (2 workers, 60 s) and
#: the rich path's CP-SAT-first split (docs/BENCHMARKS.md, "Issue 8", 2026-12-07). So when such a
#: part is rich, CP-SAT's portfolio gets this fraction of its usual budget (a start for HiGHS) ...
ASSIGNMENT_CP_SHARE = 1 / 3
#: ... and HiGHS, with its sub-MIP heuristics whatever the part's size, this much work per second of
#: the part's share: a GAP node costs 1.4–3.9 µs per nonzero (measured on c20200, d05100, d10100,
#: d20200), against 20–50 µs on round parts, so with CP-SAT's third this fills about the share
#: (d10100, the costliest per node, overruns 60 s by about a third).
MIP_WORK_PER_SECOND_ASSIGNMENT = 200_000
#: CP-SAT's full-problem subsolvers, left out of a big part's interleaved search: on a model of
#: tens of thousands of variables each would spend the whole budget on its root LP, while the
#: LNS subsolvers (which CP-SAT keeps) improve the solution steadily.
FULL_SUBSOLVERS = (
    "core", "default_lp", "max_lp", "max_lp_sym", "no_lp", "pseudo_costs", "reduced_costs",
    "quick_restart", "quick_restart_no_lp", "fixed", "lb_tree_search", "objective_lb_search",
    "objective_shaving", "probing", "probing_max_lp", "variables_shaving",
)

_STATUS: dict[int, Status] = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


# ---------------------------------------------------------------- decomposition


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:
            self.parent[a], a = root, self.parent[a]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def _usable(problem: Problem) -> list[PCandidate]:
    """Candidate lines that can carry an amount (not banned, able to give their minimum) or are pinned."""
    res = {r.id: r for r in problem.resources}
    dem = {d.id: d for d in problem.demands}
    banned = {(b.resource, b.demand) for b in problem.bans}
    pins = {(p.resource, p.demand) for p in problem.pins}
    out = []
    for c in problem.candidates:
        pair = (c.resource, c.demand)
        if pair in pins:
            out.append(c)
            continue
        if pair in banned:
            continue
        lo, ub = pair_bounds(res[c.resource], dem[c.demand], c)
        if ub >= lo and ub > 0:
            out.append(c)
    return out


def components(problem: Problem) -> list[tuple[list[str], list[str]]]:
    """Independent parts as sorted (resource ids, demand ids), ordered by their smallest node."""
    uf = _UnionFind()
    for r in problem.resources:
        uf.find("r:" + r.id)
    for d in problem.demands:
        uf.find("d:" + d.id)
    for c in _usable(problem):
        uf.union("r:" + c.resource, "d:" + c.demand)
    limited = {u.id for u in problem.units if u.max_projects is not None}
    first_of_unit: dict[str, str] = {}
    for r in sorted(problem.resources, key=lambda r: r.id):
        u = unit_key(r)
        if u in limited:
            if u in first_of_unit:
                uf.union(first_of_unit[u], "r:" + r.id)
            else:
                first_of_unit[u] = "r:" + r.id
    obj = problem.objective
    if obj.fairness != "none" and obj.fairness_weight:
        comms = communities(problem)
        everyone = [d for members in comms.values() for d in members]
        groups = [everyone] if obj.fairness == "maxmin" else list(comms.values())
        for g in groups:
            for d in g[1:]:
                uf.union("d:" + g[0].id, "d:" + d.id)
    parts: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for node in sorted(uf.parent):
        kind, ident = node[0], node[2:]
        parts[uf.find(node)][0 if kind == "r" else 1].append(ident)
    return sorted(parts.values(), key=lambda p: min(["r:" + x for x in p[0]] + ["d:" + x for x in p[1]]))


def _subproblem(problem: Problem, rids: set[str], dids: set[str]) -> Problem:
    """The part of ``problem`` on these resources and demands (no re-validation: it is a subset)."""

    def inside(p: object) -> bool:
        return p.resource in rids and p.demand in dids  # type: ignore[attr-defined]

    resources = [r for r in problem.resources if r.id in rids]
    used_units = {r.unit for r in resources}
    return Problem.model_construct(
        name=problem.name,
        resources=resources,
        demands=[d for d in problem.demands if d.id in dids],
        units=[u for u in problem.units if u.id in used_units],
        candidates=[c for c in problem.candidates if inside(c)],
        pins=[p for p in problem.pins if inside(p)],
        bans=[b for b in problem.bans if inside(b)],
        reference=[p for p in problem.reference if inside(p)],
        objective=problem.objective,
    )


# ---------------------------------------------------------------- one part


@dataclass
class _Part:
    status: Status
    allocations: list[SAllocation]
    bound_value: float  # best bound in value units (larger is better), constants included
    relaxed: bool = False
    conflicts: list[Conflict] = field(default_factory=list)


def _scaled_objective(mv: ModelVars) -> tuple[cp_model.LinearExprT, int]:
    """Σ coef·expr with integer coefficients, and the factor they were scaled by."""
    coefs = [c for c, _ in mv.objective]
    scale = 1 if all(abs(c - round(c)) < 1e-9 for c in coefs) else OBJ_SCALE
    terms = []
    for c, e in mv.objective:
        k = round(c * scale)
        if k:
            terms.append(k * e)
    return sum(terms, cp_model.LinearExpr.constant(0)), scale


def _solver(params: SolveParams, seed: int, dtime: float, deadline: float) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    p = s.parameters
    p.num_workers = 1
    p.random_seed = seed
    p.max_deterministic_time = dtime
    p.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    p.relative_gap_limit = params.relative_gap
    return s


def _portfolio(
    model: cp_model.CpModel, params: SolveParams, dtime: float, deadline: float, maximize: bool
) -> tuple[int, cp_model.CpSolver, float]:
    """Run ``PORTFOLIO`` sequential searches (seeds seed, seed+1, …) side by side (a fixed number,
    not ``params.workers``, which counts the processes parts run in: the answer must not depend
    on it).

    Each search is single-threaded and stopped by deterministic time, so each is reproducible;
    the winner is picked by (best objective, lowest worker index), so the portfolio is too. The
    returned bound is the best bound any worker proved.
    """
    solvers = [_solver(params, params.seed + k, dtime, deadline) for k in range(PORTFOLIO)]
    if len(solvers) == 1:
        codes = [solvers[0].solve(model)]
    else:
        with ThreadPoolExecutor(len(solvers)) as ex:
            codes = list(ex.map(lambda s: s.solve(model), solvers))
    sign = 1 if maximize else -1
    found = [k for k, c in enumerate(codes) if c in (cp_model.OPTIMAL, cp_model.FEASIBLE)]
    for k, c in enumerate(codes):
        if c in (cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
            return c, solvers[k], math.nan
    bound = min(sign * s.best_objective_bound for s in solvers) * sign
    if not found:
        return codes[0], solvers[0], bound
    best = max(found, key=lambda k: (sign * solvers[k].objective_value, -k))
    code = cp_model.OPTIMAL if any(codes[k] == cp_model.OPTIMAL for k in found) else cp_model.FEASIBLE
    if code == cp_model.OPTIMAL:
        best = min(k for k in found if codes[k] == cp_model.OPTIMAL)
        bound = solvers[best].objective_value
    return code, solvers[best], bound


def _lns(
    model: cp_model.CpModel, params: SolveParams, dtime: float, deadline: float
) -> tuple[int, cp_model.CpSolver, float]:
    """One deterministic interleaved CP-SAT search over the LNS subsolvers (``params.workers``
    threads; the proto guarantees the same result whatever the number of workers)."""
    s = cp_model.CpSolver()
    p = s.parameters
    p.num_workers = PORTFOLIO
    p.interleave_search = True
    p.ignore_subsolvers.extend(FULL_SUBSOLVERS)
    p.random_seed = params.seed
    p.max_deterministic_time = dtime
    p.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    p.relative_gap_limit = params.relative_gap
    code = s.solve(model)
    bound = s.best_objective_bound if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else math.inf
    return code, s, bound


def _rich(sub: Problem, mip_seconds: float) -> bool:
    """Whether a part's share of ``time_limit`` pays for HiGHS's heuristics and nodes past the root
    (``MIP_HEURISTIC_SECONDS_PER_LINE``). A rich part (a GAP instance, a round with a long
    ``time_limit``) gets CP-SAT's portfolio then HiGHS's branch and bound; a lean one (a mid-size
    part of a round at the default budget) the restricted start, CP-SAT's LNS and HiGHS's root."""
    return mip_seconds >= MIP_HEURISTIC_SECONDS_PER_LINE * len(sub.candidates)


def _assignment(sub: Problem) -> bool:
    """Whether every demand of the part is one whole must-cover unit (the GAP structure)."""
    return bool(sub.demands) and all(d.must_cover and not d.splittable and d.quantity == 1 for d in sub.demands)


def _mip_budget(sub: Problem, mip_seconds: float) -> tuple[float, bool]:
    """HiGHS's work budget (0: the root only) and whether its heuristics run, for a part whose
    share of ``time_limit`` is ``mip_seconds``."""
    if not _rich(sub, mip_seconds):
        return 0.0, False
    if _assignment(sub):
        return MIP_WORK_PER_SECOND_ASSIGNMENT * mip_seconds, True
    return MIP_WORK_PER_SECOND * mip_seconds, len(sub.candidates) <= MIP_HEURISTIC_LINES


def _lns_max(
    model: cp_model.CpModel, params: SolveParams, dtime: float, deadline: float, maximize: bool
) -> tuple[int, cp_model.CpSolver, float]:
    """``_lns`` with ``_portfolio``'s signature (``model`` maximises)."""
    assert maximize
    return _lns(model, params, dtime, deadline)


def _lp_amounts(mv: ModelVars, values: object) -> dict[tuple[str, str], float]:
    """The LP's amount on each line it uses."""
    idx = mv.idx
    lpx: dict[tuple[str, str], float] = {}
    for p in idx.pairs:
        if p in mv.xvar:
            v = float(values[mv.xvar[p].index])  # type: ignore[index]
        else:
            q = idx.dem[p[1]].quantity if not idx.dem[p[1]].splittable else 1
            v = float(values[mv.y[p].index]) * q  # type: ignore[index]
        if v > 1e-6:
            lpx[p] = v
    return lpx


def _lp_hint(sub: Problem, mv: ModelVars, values: object) -> list[SAllocation]:
    """Round the LP solution: its lines, largest first, at their rounded-up amounts (each cut to
    what the hard rules still allow), then the greedy completion guided by the LP amounts."""
    lpx = _lp_amounts(mv, values)
    prefill = {p: math.ceil(v - 1e-6) for p, v in sorted(lpx.items(), key=lambda kv: (-kv[1], kv[0]))}
    near = nearest_first(sense_sign(sub))
    return greedy(sub, key=lambda c: (-lpx.get((c.resource, c.demand), 0.0), *near(c)), prefill=prefill)


@dataclass
class _Restricted:
    """A part's LP and its best start, with the part cut down to the lines either uses."""

    lp_bound: float  # the whole part's LP bound in value units (math.inf when the LP did not end)
    lp_ok: bool
    start: list[SAllocation] | None  # the better checker-feasible start, None when neither is
    sub: Problem  # restricted to the LP's and the start's lines when both exist, else the part
    model: cp_model.CpModel
    mv: ModelVars
    whole: tuple[cp_model.CpModel, ModelVars]  # the whole part's model (objective set), for its bounds


def _restricted(
    sub: Problem, params: SolveParams, deadline: float, hint_allocs: list[SAllocation], mip: bool
) -> _Restricted | None:
    """LP bound and LP-rounded start, the better of it and the baseline, and (``mip``) HiGHS's
    root from that start on the lines the LP or the start use. None when the LP proves
    must-cover infeasible.

    Why HiGHS on the restricted lines: on a big part (tens of thousands of lines) even HiGHS's
    root node does not end in minutes, while on the LP's support (about a tenth of the lines) its
    root heuristics find in seconds an answer far better than greedy, the LP rounding or LNS. On
    a mid-size part (hundreds to thousands of lines) the same step takes 0.3–3 s and gave answers
    up to 8 % better than HiGHS's root on the whole part from greedy, which took 2–20 s
    (docs/BENCHMARKS.md, "Issue 8"). The LP bound covers every line left out."""
    model, mv = build_model(sub)
    expr, scale = _scaled_objective(mv)
    model.maximize(expr)
    whole = (model, mv)
    const = _constant_value(sub, False)
    lp = relax(model, time_limit=max(1.0, deadline - time.perf_counter()))  # a safety net only
    if lp.ok and lp.values is not None:
        lp_bound = lp.bound / scale + const
        starts = [a for a in (hint_allocs, _lp_hint(sub, mv, lp.values)) if not check(sub, a)]
    elif not lp.ok and lp.status.startswith("The problem is infeasible"):
        return None
    else:
        lp_bound = math.inf
        starts = [hint_allocs] if not check(sub, hint_allocs) else []
    start = max(starts, key=lambda a: _value(sub, a)) if starts else None
    if start is not None and lp.values is not None:
        # search the lines the LP uses plus the start's own: a far smaller model on which the LNS
        # moves much faster; the LP bound above still covers every line
        keep = {(a.resource, a.demand) for a in start} | set(_lp_amounts(mv, lp.values))
        keep |= {(p.resource, p.demand) for p in sub.pins}
        sub = sub.model_copy(update={"candidates": [c for c in sub.candidates if (c.resource, c.demand) in keep]})
        model, mv = build_model(sub)
        expr, scale = _scaled_objective(mv)
        model.maximize(expr)
        if mip:
            found = _mip_answer(sub, model, mv, params, start, deadline)
            if found is not None and _value(sub, found) > _value(sub, start) + 1e-9:
                start = found
    return _Restricted(lp_bound, lp.ok and lp.values is not None, start, sub, model, mv, whole)


def _solve_big(
    sub: Problem,
    params: SolveParams,
    dtime: float,
    deadline: float,
    hint_allocs: list[SAllocation],
    mip_seconds: float = 0.0,
) -> _Part | None:
    """A big part: the restricted start (``_restricted``: LP bound, LP rounding, HiGHS's root on
    the LP's lines when ``mip_seconds`` > 0), then LNS from it. None when must-cover is
    infeasible (the caller then runs the ordinary path, which relaxes it)."""
    whole = sub
    r = _restricted(sub, params, deadline, hint_allocs, mip=mip_seconds > 0)
    if r is None:
        return None
    lp_bound, start, sub, model, mv = r.lp_bound, r.start, r.sub, r.model, r.mv
    const = _constant_value(whole, False)
    if params.tight_bound and start is not None and sense_sign(sub) == 1:
        # a feasible start: every must-cover demand coverable, the decomposed bound applies
        lp_bound = min(lp_bound, decomposed_bound(whole, seed=params.seed, built=r.whole).bound)
    if start is not None:
        _add_hint(model, mv, {(a.resource, a.demand): a.amount for a in start})
    code, solver, raw_bound = _lns(model, params, dtime, deadline)
    _, scale = _scaled_objective(mv)
    bound = lp_bound if start is not None and r.lp_ok else min(lp_bound, raw_bound / scale + const)
    if code == cp_model.INFEASIBLE:
        return None
    allocs = _extract(solver, mv) if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else []
    if code == cp_model.OPTIMAL and bound == raw_bound / scale + const:
        return _Part("OPTIMAL", allocs, _value(sub, allocs))
    if start is not None and (not allocs or _value(sub, start) > _value(sub, allocs) + 1e-9):
        allocs = start
    if not allocs:
        return _Part("UNKNOWN", [], bound)
    return _Part("FEASIBLE", allocs, max(bound, _value(sub, allocs)))


def _mip_answer(
    sub: Problem,
    model: cp_model.CpModel,
    mv: ModelVars,
    params: SolveParams,
    start: list[SAllocation],
    deadline: float,
) -> list[SAllocation] | None:
    """HiGHS's best answer on ``model`` (a restricted big part) from ``start``, or None when it
    found none that the checker accepts."""
    probe = model.clone()
    _add_hint(probe, mv, {(a.resource, a.demand): a.amount for a in start})
    hinted = dict(zip(probe.proto.solution_hint.vars, probe.proto.solution_hint.values, strict=True))
    res = solve_mip(
        model,
        mv.objective,
        nodes=1,  # the root only: its heuristics are the point, the bound is the whole part's LP
        time_limit=deadline - time.perf_counter(),
        seed=params.seed,
        rel_gap=params.relative_gap,
        start=hinted,
        heuristics=True,
    )
    if res.values is None:
        return None
    allocs = _from_values(mv, res.values)
    return None if check(sub, allocs) else allocs


def _add_hint(model: cp_model.CpModel, mv: ModelVars, hint: dict[tuple[str, str], int]) -> None:
    """Hint every decision variable (x, y, w, z), so that CP-SAT gets a complete solution to start
    from rather than a partial one it has to complete by search."""
    for p, xv in mv.xvar.items():
        model.add_hint(xv, hint.get(p, 0))
    for p, yv in mv.y.items():
        model.add_hint(yv, 1 if hint.get(p, 0) > 0 else 0)
    idx = mv.idx
    seen: set[int] = {yv.index for yv in mv.y.values()}
    for (u, d), wv in sorted(mv.w.items()):
        if wv.index in seen:
            continue
        seen.add(wv.index)
        used = any(idx.unit_of[r] == u and hint.get((r, d), 0) > 0 for r, _ in idx.by_dem.get(d, []))
        model.add_hint(wv, 1 if used else 0)
    for d, zv in mv.z.items():
        got = sum(hint.get(p, 0) for p in idx.by_dem.get(d, []))
        model.add_hint(zv, 1 if got >= idx.dem[d].quantity else 0)


def _extract(solver: cp_model.CpSolver, mv: ModelVars) -> list[SAllocation]:
    out = []
    for p in mv.idx.pairs:
        x = int(solver.value(mv.x[p]))
        if x > 0:
            out.append(SAllocation(resource=p[0], demand=p[1], amount=x, score=mv.idx.cand[p].score * x))
    return out


def _value(sub: Problem, allocs: list[SAllocation]) -> float:
    return sense_sign(sub) * objective_of(sub, allocs)["total"]


def _conflicts(sub: Problem, idx: Index, allocs: list[SAllocation]) -> list[Conflict]:
    """Name each must-cover demand the relaxed solution leaves short, with the likeliest reason."""
    given: dict[str, int] = defaultdict(int)
    dems_of_unit: dict[str, set[str]] = defaultdict(set)
    for a in allocs:
        given[a.demand] += a.amount
        dems_of_unit[idx.unit_of[a.resource]].add(a.demand)
    banned = idx.banned
    any_cand: dict[str, int] = defaultdict(int)
    for c in sub.candidates:
        if (c.resource, c.demand) not in banned:
            any_cand[c.demand] += 1
    out = []
    for d in idx.demand_ids():
        dem = idx.dem[d]
        if not dem.must_cover or given[d] >= dem.quantity:
            continue
        lines = idx.by_dem.get(d, [])
        reach = sum(idx.ub[p] for p in lines)
        units: dict[str, int] = defaultdict(int)
        for p in lines:
            units[idx.unit_of[p[0]]] += idx.ub[p]
        top = sorted(units.values(), reverse=True)[: dem.max_partners or len(units)]
        full = [u for u in units if u in idx.unit_limit and len(dems_of_unit[u] - {d}) >= idx.unit_limit[u]]
        short = f"gets {given[d]} of {dem.quantity}"
        if any_cand[d] == 0:
            out.append(Conflict(demand=d, reason="no_candidate", detail=f"no candidates after bans; {short}"))
        elif reach < dem.quantity:
            out.append(
                Conflict(
                    demand=d,
                    reason="reach_capacity_short",
                    detail=f"its candidates can give at most {reach} of {dem.quantity}",
                )
            )
        elif sum(top) < dem.quantity or (full and len(full) == len(units)):
            why = f"units at their project limit: {sorted(full)}" if full else "max_partners"
            out.append(Conflict(demand=d, reason="unit_limit", detail=f"{why}; {short}"))
        elif full:
            out.append(Conflict(demand=d, reason="unit_limit", detail=f"units at limit {sorted(full)}; {short}"))
        else:
            out.append(
                Conflict(
                    demand=d,
                    reason="competing_must_cover",
                    detail=f"capacity is taken by other must-cover demands; {short}",
                )
            )
    return out


def _rank(sub: Problem, allocs: list[SAllocation]) -> tuple[int, float] | None:
    """How good an answer is for a part, lexicographically: the least must-cover shortfall first,
    then the objective (value units). None when it breaks any rule other than must-cover."""
    if any(v.rule != "must_cover" for v in check(sub, allocs)):
        return None
    return (-_shortfall(sub, allocs), _value(sub, allocs))


def _solve_part(
    sub: Problem,
    params: SolveParams,
    dtime: float,
    deadline: float,
    hint: dict[tuple[str, str], int],
    hint_allocs: list[SAllocation],
    pieces: list[tuple[list[str], list[str]]] | None = None,
    mip_seconds: float = 0.0,
) -> _Part:
    """Solve one part, never worse than the baseline (``hint_allocs``, greedy) on any of its
    ``pieces`` (the independent components bundled into it; None = the part is one).

    The guarantee is checked here by the independent checker, component by component, whatever
    path the search took: an answer is compared with the baseline by (must-cover shortfall,
    objective), and where the baseline is at least as good its lines replace the answer's (the
    components share no rule, so any mix of their answers is feasible). So a component whose
    search found nothing, timed out, or relaxed must-cover to a worse result keeps the
    baseline's answer; an answer that covers more must-cover amount than the baseline wins even
    if it is worth less (must-cover is a hard rule; a coordinator fixes it first). A part whose
    final answer still leaves must-cover demands short names each of them in ``conflicts``.
    """
    part = _search_part(sub, params, dtime, deadline, hint, hint_allocs, mip_seconds)
    if part.status in ("INFEASIBLE", "MODEL_INVALID") and not part.relaxed:
        return part  # infeasible even with must-cover relaxed (say, an impossible pin): no answer
    if pieces is None or len(pieces) == 1:
        pieces = [(sorted(r.id for r in sub.resources), sorted(d.id for d in sub.demands))]
        subs = [sub]
    else:
        subs = [_subproblem(sub, set(rids), set(dids)) for rids, dids in pieces]
    allocs: list[SAllocation] = []
    replaced = False
    for (_, dids), piece in zip(pieces, subs, strict=True):
        inside = set(dids)
        mine_a = [a for a in part.allocations if a.demand in inside]
        base_a = [a for a in hint_allocs if a.demand in inside]
        mine, base = _rank(piece, mine_a), _rank(piece, base_a)
        if base is not None and (mine is None or base > mine):
            allocs.extend(base_a)
            replaced = True
        else:
            allocs.extend(mine_a)
    if replaced:
        allocs.sort(key=lambda a: (a.resource, a.demand))
        status = "FEASIBLE" if part.status == "OPTIMAL" else part.status
        part = _Part(status, allocs, max(part.bound_value, _value(sub, allocs)), relaxed=part.relaxed)
    if not math.isfinite(part.bound_value) and sub.candidates:
        part.bound_value = max(_lp_bound(sub, part.relaxed, deadline), _value(sub, part.allocations))
    if _shortfall(sub, part.allocations) > 0:
        part.relaxed = True
        if part.status in ("OPTIMAL", "FEASIBLE"):
            part.status = "UNKNOWN"  # short, but the strict problem was not proven infeasible
        part.conflicts = _conflicts(sub, build_index(sub), part.allocations)
    else:
        part.relaxed = False
        part.conflicts = []
        if part.status == "UNKNOWN" and part.allocations:
            part.status = "FEASIBLE"
    return part


def _lp_bound(sub: Problem, relaxed: bool, deadline: float) -> float:
    """The LP relaxation's bound (value units) of the part, must-cover relaxed or not: the bound
    of last resort when no search proved one (a search stopped by the wall-clock safety net)."""
    model, mv = build_model(sub, relax_must_cover=relaxed)
    expr, scale = _scaled_objective(mv)
    model.maximize(expr)
    # its own budget, past the safety net: this runs exactly when the net has fired, and an answer
    # without any bound tells a coordinator nothing
    lp = relax(model, time_limit=max(LP_FALLBACK_SECONDS, deadline - time.perf_counter()))
    return lp.bound / scale + _constant_value(sub, relaxed) if lp.ok else math.inf


def _search_part(
    sub: Problem,
    params: SolveParams,
    dtime: float,
    deadline: float,
    hint: dict[tuple[str, str], int],
    hint_allocs: list[SAllocation],
    mip_seconds: float = 0.0,
) -> _Part:
    """CP-SAT, then (``mip_seconds`` > 0, part not proven optimal or infeasible) HiGHS on the
    same model from CP-SAT's answer: the better answer by the checker's value, the better bound.
    A big part has had HiGHS already, on its restricted lines (``_solve_big``)."""
    cp = _cp_search(sub, params, dtime, deadline, hint, hint_allocs, mip_seconds)
    if mip_seconds <= 0 or cp.status in ("OPTIMAL", "MODEL_INVALID") or (cp.status == "INFEASIBLE" and cp.relaxed):
        return cp
    if cp.status == "INFEASIBLE" or not MIP_MIN_LINES <= len(sub.candidates) < BIG_PART:
        return cp
    cp_feasible = not cp.relaxed and cp.allocations is not None and not check(sub, cp.allocations)
    start = cp.allocations if cp_feasible else hint_allocs
    model, mv = build_model(sub)
    _add_hint(model, mv, {(a.resource, a.demand): a.amount for a in start})
    hinted = dict(zip(model.proto.solution_hint.vars, model.proto.solution_hint.values, strict=True))
    # past the root only when the part's share pays for it: on round parts the first nodes after
    # the root cost 2–3 roots (measured: 4.0 s → 12.6 s for 3 nodes on a 2,969-line part) for the
    # same answer and bound
    work, heuristics = _mip_budget(sub, mip_seconds)
    res = solve_mip(
        model,
        mv.objective,
        nodes=1,
        work=work,
        time_limit=deadline - time.perf_counter(),
        seed=params.seed,
        rel_gap=params.relative_gap,
        start=hinted,
        heuristics=heuristics,
    )
    const = _constant_value(sub, False)
    if res.status == "INFEASIBLE":
        # proven: no answer covers every must-cover demand, so relax must-cover
        return _relaxed(sub, params, dtime, deadline, hint)
    bound = min(cp.bound_value if cp_feasible else math.inf, res.bound + const)
    best = cp
    if res.values is not None:
        allocs = _from_values(mv, res.values)
        if not check(sub, allocs) and (not cp_feasible or _value(sub, allocs) > _value(sub, cp.allocations) + 1e-9):
            best = _Part("FEASIBLE", allocs, bound)
    if best is cp and not cp_feasible:
        return cp  # neither engine found an answer covering every must-cover demand
    value = _value(sub, best.allocations)
    status: Status = "OPTIMAL" if bound - value <= 1e-7 * max(1.0, abs(value)) else "FEASIBLE"
    return _Part(status, best.allocations, max(bound, value))


def _from_values(mv: ModelVars, values: object) -> list[SAllocation]:
    """Allocations from one integer value per model variable (a MIP solution)."""
    out = []
    for p in mv.idx.pairs:
        flat = cp_model_helper.FlatFloatExpr(mv.x[p])
        x = round(sum(k * float(values[v.index]) for v, k in zip(flat.vars, flat.coeffs, strict=True)) + flat.offset)  # type: ignore[index]
        if x > 0:
            out.append(SAllocation(resource=p[0], demand=p[1], amount=x, score=mv.idx.cand[p].score * x))
    return out


def _cp_search(
    sub: Problem,
    params: SolveParams,
    dtime: float,
    deadline: float,
    hint: dict[tuple[str, str], int],
    hint_allocs: list[SAllocation],
    mip_seconds: float = 0.0,
) -> _Part:
    if len(sub.candidates) >= BIG_PART:
        big = _solve_big(sub, params, dtime, deadline, hint_allocs, mip_seconds)
        if big is not None:
            return big
    search = _portfolio
    lines = len(sub.candidates)
    if MIP_MIN_LINES <= lines < BIG_PART and mip_seconds > 0 and not _rich(sub, mip_seconds):
        # a mid-size part: the restricted start is a better hint than the baseline (and one that
        # HiGHS, which runs next from CP-SAT's answer, takes far longer to find on its own, if at
        # all); from it CP-SAT's LNS improves the answer where the portfolio's full searches,
        # which do no LNS, stay at their hint (measured: docs/BENCHMARKS.md, "Issue 8")
        r = _restricted(sub, params, deadline, hint_allocs, mip=True)
        if r is not None and r.start is not None and _value(sub, r.start) > _value(sub, hint_allocs) + 1e-9:
            hint_allocs = r.start
            hint = {(a.resource, a.demand): a.amount for a in r.start}
            search = _lns_max
    model, mv = build_model(sub)
    expr, scale = _scaled_objective(mv)
    model.maximize(expr)
    _add_hint(model, mv, hint)
    code, solver, raw_bound = search(model, params, dtime, deadline, maximize=True)
    status = _STATUS[code]
    hint_ok = not check(sub, hint_allocs)

    if status in ("OPTIMAL", "FEASIBLE"):
        allocs = _extract(solver, mv)
        exact = _value(sub, allocs)
        bound = exact if status == "OPTIMAL" else raw_bound / scale + _constant_value(sub, False)
        if hint_ok and _value(sub, hint_allocs) > exact + 1e-9:
            allocs = hint_allocs
        return _Part(status, allocs, max(bound, _value(sub, allocs)))

    # a search stopped before it found anything (possibly still in presolve) has no usable bound
    unknown_bound = math.inf
    if status == "UNKNOWN" and hint_ok:
        return _Part("FEASIBLE", hint_allocs, unknown_bound)
    short_only = hint_allocs and all(v.rule == "must_cover" for v in check(sub, hint_allocs))
    if status == "UNKNOWN" and short_only:
        # nothing found in the budget and the hint leaves some must-cover demand short: the
        # hint is still the best known answer, so it is returned (relaxed) rather than nothing
        return _Part("UNKNOWN", hint_allocs, unknown_bound, relaxed=True)

    if status == "INFEASIBLE" and any(d.must_cover for d in sub.demands):
        part = _relaxed(sub, params, dtime, deadline, hint)
        if short_only and _shortfall(sub, hint_allocs) <= _shortfall(sub, part.allocations) and (
            _value(sub, hint_allocs) > _value(sub, part.allocations)
        ):
            part.allocations = hint_allocs  # as short as the relaxed search, and worth more
        return part
    return _Part(status, [], _value(sub, []) if status == "INFEASIBLE" else unknown_bound)


def _shortfall(sub: Problem, allocs: list[SAllocation]) -> int:
    """Total amount by which must-cover demands go short."""
    given: dict[str, int] = defaultdict(int)
    for a in allocs:
        given[a.demand] += a.amount
    return sum(max(0, d.quantity - given[d.id]) for d in sub.demands if d.must_cover)


def _relaxed(
    sub: Problem, params: SolveParams, dtime: float, deadline: float, hint: dict[tuple[str, str], int]
) -> _Part:
    """Lexicographic relaxation: least total must-cover shortfall first, then the best objective."""
    model, mv = build_model(sub, relax_must_cover=True)
    shortfall = sum(mv.shortfall.values(), cp_model.LinearExpr.constant(0))
    model.minimize(shortfall)
    _add_hint(model, mv, hint)
    code, solver, _ = _portfolio(model, params, dtime / 2, deadline, maximize=False)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _Part(_STATUS[code] if code != cp_model.UNKNOWN else "INFEASIBLE", [], math.inf)
    least = round(solver.objective_value)
    first = _extract(solver, mv)
    # the objective is optimised from the best start that is as short as the least found: the
    # baseline when it is (it usually is worth far more than phase 1's first solution)
    base = [a for a in _hint_allocs(sub, hint)]
    start = first
    if _rank(sub, base) is not None and _shortfall(sub, base) <= least and _value(sub, base) > _value(sub, first):
        start = base
    model.clear_hints()
    _add_hint(model, mv, {(a.resource, a.demand): a.amount for a in start})
    model.add(shortfall <= least)
    expr, scale = _scaled_objective(mv)
    model.maximize(expr)
    code, solver, raw_bound = _portfolio(model, params, dtime / 2, deadline, maximize=True)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        allocs = _extract(solver, mv)
        bound = (
            _value(sub, allocs)
            if code == cp_model.OPTIMAL
            else raw_bound / scale + _constant_value(sub, True)
        )
    else:
        allocs = start
        bound = math.inf
    if _value(sub, start) > _value(sub, allocs):
        allocs = start
    return _Part("INFEASIBLE", allocs, max(bound, _value(sub, allocs)), relaxed=True,
                 conflicts=_conflicts(sub, mv.idx, allocs))


def _hint_allocs(sub: Problem, hint: dict[tuple[str, str], int]) -> list[SAllocation]:
    """The hint's lines that belong to this part, as allocations."""
    score = {(c.resource, c.demand): c.score for c in sub.candidates}
    return [
        SAllocation(resource=r, demand=d, amount=x, score=score[(r, d)] * x)
        for (r, d), x in sorted(hint.items())
        if (r, d) in score and x > 0
    ]


# ---------------------------------------------------------------- public entry point


@dataclass
class _Task:
    """One part as sent to an executor: its sub-problem (as flat arrays: ``engine.matching.compact``)
    and everything its search depends on."""

    packed: PackedProblem
    params: SolveParams
    dtime: float
    deadline: float  # the wall-clock safety net (time.perf_counter(), one monotonic clock for all processes)
    hint_allocs: list[SAllocation]
    pieces: list[tuple[list[str], list[str]]]
    mip_seconds: float  # the part's share of time_limit for HiGHS (0: no HiGHS), see MIP_WORK_PER_SECOND


def _run_task(task: _Task) -> _Part:
    """Solve one part (module level, so a process pool can run it)."""
    return run_unpacked(task)[0]


def run_unpacked(task: _Task) -> tuple[_Part, Problem]:
    """Solve one part; also its sub-problem, rebuilt from the task's arrays."""
    sub = unpack(task.packed)
    hint = {(a.resource, a.demand): a.amount for a in task.hint_allocs}
    t = task
    return _solve_part(sub, t.params, t.dtime, t.deadline, hint, t.hint_allocs, t.pieces, t.mip_seconds), sub


def _bundles(parts: list[tuple[list[str], list[str]]], size: dict[int, int]) -> list[list[int]]:
    """Group consecutive small components so each CP-SAT call has some work to do."""
    out: list[list[int]] = []
    cur: list[int] = []
    cur_size = 0
    for i in range(len(parts)):
        if size[i] >= BUNDLE_SIZE:
            out.append([i])
            continue
        cur.append(i)
        cur_size += size[i]
        if cur_size >= BUNDLE_SIZE:
            out.append(cur)
            cur, cur_size = [], 0
    if cur:
        out.append(cur)
    return out


def _make_task(sub: Problem, params: SolveParams, share: float, deadline: float,
               sub_hint: list[SAllocation], pieces: list[tuple[list[str], list[str]]]) -> _Task | None:
    """The task of one bundle of components (``share``: its size over the whole problem's), or None
    when the bundle is trivial (nothing to decide: its value is ``_value(sub, [])``). Shared by
    :func:`solve` and the city-by-city round (engine/matching/stream.py), so both budget a part alike."""
    trivial = not sub.candidates and not sub.reference and not any(d.must_cover for d in sub.demands)
    if trivial and (sub.objective.fairness == "none" or not sub.objective.fairness_weight):
        return None
    # each part's budget is its share of the problem's size (big parts get their time by
    # size, small ones finish at once), in deterministic work, never in seconds
    dtime = max(MIN_DTIME, params.time_limit * DTIME_PER_SECOND * share)
    if len(sub.candidates) >= BIG_PART:
        seconds = params.time_limit * share - BIG_OVERHEAD_PER_LINE * len(sub.candidates)
        dtime = max(MIN_DTIME, seconds * LNS_DTIME_PER_SECOND)
    mip_seconds = params.time_limit * share if params.mip else 0.0
    if mip_seconds and MIP_MIN_LINES <= len(sub.candidates) < BIG_PART and _assignment(sub) and _rich(sub, mip_seconds):
        dtime = max(MIN_DTIME, dtime * ASSIGNMENT_CP_SHARE)  # HiGHS gets the rest (_mip_budget)
    return _Task(pack(sub), params, dtime, deadline, sub_hint, pieces, mip_seconds)


def _overall_status(statuses: list[Status]) -> Status:
    """The round's status from its parts' (the worst of them)."""
    if "MODEL_INVALID" in statuses:
        return "MODEL_INVALID"
    if "INFEASIBLE" in statuses:
        return "INFEASIBLE"
    if "UNKNOWN" in statuses:
        return "UNKNOWN"
    if all(s == "OPTIMAL" for s in statuses):
        return "OPTIMAL"
    return "FEASIBLE"


def part_sizes(problem: Problem, parts: list[tuple[list[str], list[str]]]) -> dict[int, int]:
    """Each part's size (its demands and their usable lines): what its budget is a share of."""
    lines_of_dem: dict[str, int] = defaultdict(int)
    for c in _usable(problem):
        lines_of_dem[c.demand] += 1
    return {i: len(ds) + sum(lines_of_dem[d] for d in ds) for i, (_, ds) in enumerate(parts)}


def solve(
    problem: Problem, params: SolveParams = SolveParams(), hint: list[SAllocation] | None = None
) -> Solution:
    """Optimise ``problem``; see the module docstring for decomposition, reporting and determinism."""
    t0 = time.perf_counter()
    # Every search stops on deterministic work derived from time_limit; the wall clock is only
    # a safety net, generous enough that on a loaded machine the result still does not depend
    # on timing (the run then takes longer than time_limit instead of answering differently).
    deadline = t0 + max(params.time_limit * WALL_SAFETY, WALL_FLOOR)
    if hint is None:
        hint = greedy(problem)

    if params.decompose:
        parts = components(problem)
    else:
        parts = [(sorted(r.id for r in problem.resources), sorted(d.id for d in problem.demands))]
    size = part_sizes(problem, parts)
    groups = _bundles(parts, size)
    total = max(1, sum(size.values()))

    allocations: list[SAllocation] = []
    bound_value = 0.0
    statuses: list[Status] = []
    relaxed = False
    conflicts: list[Conflict] = []
    group_of: dict[str, int] = {}
    tasks: list[_Task] = []
    task_sizes: list[float] = []
    for g, group in enumerate(groups):
        rids = {r for i in group for r in parts[i][0]}
        dids = {d for i in group for d in parts[i][1]}
        group_of.update({"r:" + r: g for r in rids})
        group_of.update({"d:" + d: g for d in dids})
        sub = _subproblem(problem, rids, dids)
        sub_hint = [a for a in hint if a.resource in rids and a.demand in dids]
        task = _make_task(sub, params, sum(size[i] for i in group) / total, deadline, sub_hint,
                          [parts[i] for i in group])
        if task is None:
            statuses.append("OPTIMAL")
            bound_value += _value(sub, [])
            continue
        tasks.append(task)
        task_sizes.append(sum(size[i] for i in group))
    for part in executor_for(params.workers).map(_run_task, tasks, task_sizes):
        statuses.append(part.status)
        allocations.extend(part.allocations)
        bound_value += part.bound_value
        relaxed |= part.relaxed
        conflicts.extend(part.conflicts)

    # reference lines that join two parts (not candidates at all) are dropped whatever we do
    cross = 0
    for p in problem.reference:
        gr, gd = group_of.get("r:" + p.resource), group_of.get("d:" + p.demand)
        cross += gr is None or gd is None or gr != gd
    bound_value -= problem.objective.change_penalty * cross

    allocations.sort(key=lambda a: (a.resource, a.demand))
    terms = objective_of(problem, allocations)
    return assemble_solution(allocations, terms, bound_value, sense_sign(problem), statuses, relaxed, conflicts,
                             len(parts), t0)


def assemble_solution(
    allocations: list[SAllocation], terms: dict[str, float], bound_value: float, sign: int, statuses: list[Status],
    relaxed: bool, conflicts: list[Conflict], components: int, t0: float,
) -> Solution:
    """The round's answer from its parts' (sorted allocations, objective terms with "total", summed bound in
    value units): one place that turns them into status, bound and gap in the problem's sense, for the whole
    solve and the streamed one alike."""
    terms = dict(terms)
    objective = terms.pop("total")
    bound = sign * bound_value if math.isfinite(bound_value) else sign * math.inf
    status = _overall_status(statuses)
    gap = abs(bound - objective) / max(1.0, abs(objective)) if math.isfinite(bound) else math.inf
    if status == "OPTIMAL" and relaxed:
        status = "FEASIBLE"
    short = len({c.demand for c in conflicts})
    return Solution(
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        allocations=allocations,
        terms=terms,
        components=components,
        wall_time=time.perf_counter() - t0,
        relaxed=relaxed,
        conflicts=sorted(conflicts, key=lambda c: c.demand),
        status_text=status_text(status, gap, short),
    )
