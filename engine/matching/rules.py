"""One piece per matching rule, each building its own part of the CP-SAT model.

Laid out like the CP-SAT Primer's test-driven nurse-rostering example: every rule is a small
class with a ``build(model, mv, problem)`` method and a docstring opening with its tier
(HARD = a constraint, SOFT = an objective term). Each rule can then be tested alone against the
independent checker (``engine.matching.checker``), and a change to one rule cannot silently
change another.

The shared state is :class:`ModelVars`: the prepared index of the (sub)problem plus the
decision variables. Variables are created once, lazily and sparsely, by
:func:`create_variables`, because the yearly round has ~100,000 candidates and must solve in
30 s on 2 cores:

- ``x[r,d]`` — the amount, an integer variable in ``[0, ub]`` where
  ``ub = min(quantity, capacity // consumption)``; for non-splittable demands it is the
  expression ``quantity · y`` (no extra variable); when ``ub == 1`` and a ``y`` is needed
  the two are the same Boolean.
- ``y[r,d]`` — "this line is used", created only where some rule can bind on it
  (minimum allocation > 1, non-splittable, fragmentation, change penalty on a reference line,
  or a partner / unit limit that the candidate graph can actually exceed).
- ``w[u,d]`` — "unit ``u`` serves demand ``d``", created only for binding partner / unit limits,
  and only as a new variable when the unit has more than one candidate line for ``d``
  (otherwise it *is* that line's ``y``).
- ``z[d]`` — "demand fully covered", only when a full-coverage bonus applies.

Soft rules do not touch the model's objective directly: they append ``(coefficient, var)``
pairs, in *value* units (larger is better, whatever the problem's sense), to
``mv.objective``; the solver scales them to integers in one place.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Protocol

from ortools.sat.python import cp_model

from engine.matching.problem import PCandidate, PDemand, PResource, Problem

Pair = tuple[str, str]

#: Community coverage is modelled as an integer in ``[0, FAIR_SCALE]`` (1000 = fully covered).
FAIR_SCALE = 1000
#: Extra resolution for the rounded coefficients of the coverage constraints.
FAIR_RES = 1000


def unit_key(r: PResource) -> str:
    """The unit a resource belongs to; a resource without a unit counts as its own unit."""
    return r.unit if r.unit is not None else f"\x00resource:{r.id}"


def sense_sign(problem: Problem) -> int:
    """+1 when the problem maximises, −1 when it minimises (scores are then costs)."""
    return 1 if problem.objective.sense == "maximize" else -1


@dataclass
class Index:
    """Everything the rules need to know about the problem, computed once and sorted."""

    problem: Problem
    res: dict[str, PResource]
    dem: dict[str, PDemand]
    cand: dict[Pair, PCandidate]
    pairs: list[Pair]  # usable, not banned, sorted by (resource, demand)
    ub: dict[Pair, int]
    lo: dict[Pair, int]
    by_dem: dict[str, list[Pair]]
    by_res: dict[str, list[Pair]]
    unit_of: dict[str, str]
    unit_limit: dict[str, int]
    banned: set[Pair]
    pins: dict[Pair, int]
    reference: set[Pair]

    def demand_ids(self) -> list[str]:
        return sorted(self.dem)


def pair_bounds(r: PResource, d: PDemand, c: PCandidate) -> tuple[int, int]:
    """(lower, upper) amount of a used line: min allocation vs what capacity and need allow."""
    ub = d.quantity if c.consumption == 0 else min(d.quantity, r.capacity // c.consumption)
    lo = min(r.min_allocation, d.quantity)
    if not d.splittable:
        lo = d.quantity
        ub = d.quantity if ub >= d.quantity else 0
    return lo, ub


def build_index(problem: Problem) -> Index:
    """Prepare the sorted, ban-filtered candidate index; unusable lines are dropped here.

    A line is unusable when it cannot give even its minimum allocation (or, non-splittable, the
    whole quantity) within the resource's capacity; such a line is 0 in every feasible
    allocation, so leaving it out keeps the model small without changing it. Pinned lines are
    always kept so that an impossible pin shows up as infeasibility instead of vanishing.
    """
    res = {r.id: r for r in problem.resources}
    dem = {d.id: d for d in problem.demands}
    banned = {(b.resource, b.demand) for b in problem.bans}
    pins = {(p.resource, p.demand): p.amount for p in problem.pins}
    cand: dict[Pair, PCandidate] = {}
    ub: dict[Pair, int] = {}
    lo: dict[Pair, int] = {}
    for c in problem.candidates:
        pair = (c.resource, c.demand)
        if pair in banned and pair not in pins:
            continue
        lo_, ub_ = pair_bounds(res[c.resource], dem[c.demand], c)
        if ub_ < lo_ or ub_ <= 0:
            if pair not in pins:
                continue
            ub_ = max(ub_, 0)
        cand[pair] = c
        ub[pair] = ub_
        lo[pair] = lo_
    pairs = sorted(cand)
    by_dem: dict[str, list[Pair]] = defaultdict(list)
    by_res: dict[str, list[Pair]] = defaultdict(list)
    for p in pairs:
        by_res[p[0]].append(p)
        by_dem[p[1]].append(p)
    for v in by_dem.values():
        v.sort()
    unit_of = {r.id: unit_key(r) for r in problem.resources}
    unit_limit = {u.id: u.max_projects for u in problem.units if u.max_projects is not None}
    return Index(
        problem=problem,
        res=res,
        dem=dem,
        cand=cand,
        pairs=pairs,
        ub=ub,
        lo=lo,
        by_dem=dict(by_dem),
        by_res=dict(by_res),
        unit_of=unit_of,
        unit_limit=unit_limit,
        banned=banned,
        pins=pins,
        reference={(p.resource, p.demand) for p in problem.reference},
    )


@dataclass
class ModelVars:
    """Decision variables plus the objective pieces gathered from the soft rules."""

    idx: Index
    relax_must_cover: bool = False
    x: dict[Pair, cp_model.LinearExprT] = field(default_factory=dict)
    xvar: dict[Pair, cp_model.IntVar] = field(default_factory=dict)
    y: dict[Pair, cp_model.IntVar] = field(default_factory=dict)
    w: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    z: dict[str, cp_model.IntVar] = field(default_factory=dict)
    shortfall: dict[str, cp_model.LinearExprT] = field(default_factory=dict)
    objective: list[tuple[float, cp_model.LinearExprT]] = field(default_factory=list)
    partners_binding: set[str] = field(default_factory=set)
    units_binding: set[str] = field(default_factory=set)
    #: proto constraint index of each resource's capacity row and each unit's project-limit row:
    #: the rows a decomposed bound prices (``engine.matching.decomp``)
    capacity_rows: dict[str, int] = field(default_factory=dict)
    unit_rows: dict[str, int] = field(default_factory=dict)
    _unit_lines: dict[str, dict[str, list[Pair]]] = field(default_factory=dict, repr=False)

    def covered(self, d: str) -> cp_model.LinearExprT:
        """Σ_r x[r,d], the amount given to demand d."""
        return sum((self.x[p] for p in self.idx.by_dem.get(d, [])), cp_model.LinearExpr.constant(0))

    def unit_lines(self, d: str) -> dict[str, list[Pair]]:
        """The lines of demand d grouped by unit, in sorted order (kept: ``serve`` asks for
        every (unit, demand) of a big part, and regrouping each time was most of the model's build)."""
        got = self._unit_lines.get(d)
        if got is None:
            out: dict[str, list[Pair]] = defaultdict(list)
            for p in self.idx.by_dem.get(d, []):
                out[self.idx.unit_of[p[0]]].append(p)
            got = self._unit_lines[d] = dict(sorted(out.items()))
        return got

    def serve(self, model: cp_model.CpModel, u: str, d: str) -> cp_model.IntVar:
        """w[u,d]: the line's own y when the unit has one line for d, else a new Boolean ≥ each y."""
        key = (u, d)
        if key in self.w:
            return self.w[key]
        lines = self.unit_lines(d)[u]
        if len(lines) == 1:
            self.w[key] = self.y[lines[0]]
        else:
            wv = model.new_bool_var(f"w[{u},{d}]")
            for p in lines:
                model.add_implication(self.y[p], wv)
            self.w[key] = wv
        return self.w[key]


def _binding_partners(idx: Index) -> set[str]:
    """Demands whose partner limit is smaller than the number of units that could serve them."""
    out = set()
    for d, lines in idx.by_dem.items():
        mp = idx.dem[d].max_partners
        if mp is not None and len({idx.unit_of[r] for r, _ in lines}) > mp:
            out.add(d)
    return out


def _binding_units(idx: Index) -> set[str]:
    """Units whose project limit is smaller than the number of demands they could serve."""
    dems: dict[str, set[str]] = defaultdict(set)
    for r, d in idx.pairs:
        dems[idx.unit_of[r]].add(d)
    return {u for u, k in idx.unit_limit.items() if len(dems.get(u, ())) > k}


def create_variables(model: cp_model.CpModel, idx: Index, relax_must_cover: bool = False) -> ModelVars:
    """Create x (and y only where a rule can bind on it), in sorted order for determinism."""
    mv = ModelVars(idx=idx, relax_must_cover=relax_must_cover)
    mv.partners_binding = _binding_partners(idx)
    mv.units_binding = _binding_units(idx)
    obj = idx.problem.objective
    for p in idx.pairs:
        r, d = p
        dem = idx.dem[d]
        ub, lo = idx.ub[p], idx.lo[p]
        need_y = (
            not dem.splittable
            or lo > 1
            or obj.fragmentation != 0
            or (obj.change_penalty != 0 and p in idx.reference)
            or d in mv.partners_binding
            or idx.unit_of[r] in mv.units_binding
        )
        if not need_y:
            xv = model.new_int_var(0, ub, f"x[{r},{d}]")
            mv.x[p] = xv
            mv.xvar[p] = xv
            continue
        yv = model.new_bool_var(f"y[{r},{d}]")
        mv.y[p] = yv
        if not dem.splittable:
            mv.x[p] = yv * dem.quantity if dem.quantity != 1 else yv
        elif ub == 1:
            mv.x[p] = yv
        else:
            xv = model.new_int_var(0, ub, f"x[{r},{d}]")
            mv.x[p] = xv
            mv.xvar[p] = xv
    return mv


class Rule(Protocol):
    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None: ...


# ---------------------------------------------------------------- hard rules


class Capacity:
    """HARD. Σ_d consumption·x[r,d] ≤ capacity[r]; skipped when the lines' bounds already imply it."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        idx = mv.idx
        for r in sorted(idx.by_res):
            lines = idx.by_res[r]
            cons = [idx.cand[p].consumption for p in lines]
            if sum(c * idx.ub[p] for c, p in zip(cons, lines, strict=True)) <= idx.res[r].capacity:
                continue
            ct = model.add(
                sum(c * mv.x[p] for c, p in zip(cons, lines, strict=True) if c) <= idx.res[r].capacity
            )
            mv.capacity_rows[r] = ct.index


class Quantity:
    """HARD. Σ_r x[r,d] ≤ quantity[d] (must-cover demands get the equality from MustCover)."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        idx = mv.idx
        for d in idx.demand_ids():
            dem = idx.dem[d]
            lines = idx.by_dem.get(d, [])
            if not dem.splittable or not lines:
                continue  # NonSplittable's at-most-one line implies it
            if dem.must_cover and not mv.relax_must_cover:
                continue
            if sum(idx.ub[p] for p in lines) <= dem.quantity:
                continue
            model.add(mv.covered(d) <= dem.quantity)


class MustCover:
    """HARD. Σ_r x[r,d] = quantity[d] for must-cover demands.

    Relaxed mode (used only after the strict model proved infeasible) turns the equality into
    ``covered + shortfall = quantity`` so the solver can report the best partial cover and which
    demands fall short; the solver minimises the shortfall first, then the objective.
    """

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        idx = mv.idx
        for d in idx.demand_ids():
            dem = idx.dem[d]
            if not dem.must_cover:
                continue
            lines = idx.by_dem.get(d, [])
            if not dem.splittable:
                ys = [mv.y[p] for p in lines]
                if mv.relax_must_cover:
                    s = model.new_bool_var(f"short[{d}]")
                    model.add_exactly_one([*ys, s])
                    mv.shortfall[d] = s * dem.quantity if dem.quantity != 1 else s
                else:
                    model.add_exactly_one(ys)  # empty → infeasible, as it should be
                continue
            if mv.relax_must_cover:
                s = model.new_int_var(0, dem.quantity, f"short[{d}]")
                model.add(mv.covered(d) + s == dem.quantity)
                mv.shortfall[d] = s
            else:
                model.add(mv.covered(d) == dem.quantity)


class Linking:
    """HARD. Linking and minimum allocation: min(min_alloc, q)·y ≤ x ≤ min(cap/consumption, q)·y.

    A used line (y = 1) gives at least its minimum allocation; an unused one gives nothing. Only
    lines that have a separate y and x need it (for the others x is y or q·y).
    """

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        idx = mv.idx
        for p in idx.pairs:
            if p not in mv.y or p not in mv.xvar:
                continue
            x, y = mv.xvar[p], mv.y[p]
            model.add(x <= idx.ub[p] * y)
            model.add(x >= idx.lo[p] * y)


class NonSplittable:
    """HARD. A non-splittable demand is served whole by one line: x = q·y and Σ_r y ≤ 1."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        idx = mv.idx
        for d in idx.demand_ids():
            dem = idx.dem[d]
            lines = idx.by_dem.get(d, [])
            if dem.splittable or len(lines) < 2:
                continue
            if dem.must_cover:
                continue  # MustCover adds exactly-one (or exactly-one with a shortfall literal)
            model.add_at_most_one([mv.y[p] for p in lines])


class Partners:
    """HARD. At most max_partners distinct units serve a demand (Σ_u w[u,d] ≤ max_partners)."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        for d in sorted(mv.partners_binding):
            ws = [mv.serve(model, u, d) for u in mv.unit_lines(d)]
            model.add(sum(ws) <= mv.idx.dem[d].max_partners)


class UnitLimit:
    """HARD. A unit takes part in at most max_projects demands (Σ_d w[u,d] ≤ K_u)."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        idx = mv.idx
        dems: dict[str, set[str]] = defaultdict(set)
        for r, d in idx.pairs:
            dems[idx.unit_of[r]].add(d)
        for u in sorted(mv.units_binding):
            ws = [mv.serve(model, u, d) for d in sorted(dems[u])]
            mv.unit_rows[u] = model.add(sum(ws) <= idx.unit_limit[u]).index


class Pins:
    """HARD. A pinned line gets exactly its amount (an impossible pin makes the model infeasible)."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        idx = mv.idx
        for p in sorted(idx.pins):
            if p not in mv.x:
                continue
            amount = idx.pins[p]
            if not idx.lo[p] <= amount <= idx.ub[p]:
                model.add_bool_or([])  # the pin breaks min allocation / capacity / quantity
                continue
            model.add(mv.x[p] == amount)
            if p in mv.y:
                model.add(mv.y[p] == 1)


class Bans:
    """HARD. A banned pair gets nothing: the line is dropped from the index, so x is 0 by construction.

    A pair both pinned and banned is contradictory; the pin keeps the line in the model and this
    rule forces it to 0, so the model is infeasible rather than one order silently winning.
    """

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        for p in sorted(mv.idx.banned):
            if p in mv.x:
                model.add(mv.x[p] == 0)


HARD_RULES: tuple[Rule, ...] = (
    Capacity(),
    Quantity(),
    MustCover(),
    Linking(),
    NonSplittable(),
    Partners(),
    UnitLimit(),
    Pins(),
    Bans(),
)


# ---------------------------------------------------------------- soft rules (objective terms)


class ScoreTerm:
    """SOFT. Σ score[r,d]·x[r,d] — the objective proper (negated into value units when minimising)."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        sign = sense_sign(problem)
        for p in mv.idx.pairs:
            s = mv.idx.cand[p].score
            if s:
                mv.objective.append((sign * s, mv.x[p]))


class FullCoverageBonus:
    """SOFT. + bonus·weight[d] per fully covered demand, via z[d] with q·z ≤ Σ_r x.

    No z for must-cover demands (always full, a constant) or zero-valued demands. A negative
    bonus would let the solver leave z at 0 on a covered demand, so then z is tied both ways.
    """

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        bonus = problem.objective.full_coverage_bonus
        if not bonus:
            return
        idx = mv.idx
        for d in idx.demand_ids():
            dem = idx.dem[d]
            value = bonus * dem.weight
            lines = idx.by_dem.get(d, [])
            if not value or not lines or sum(idx.ub[p] for p in lines) < dem.quantity:
                continue
            if dem.must_cover and not mv.relax_must_cover:
                continue
            z = model.new_bool_var(f"z[{d}]")
            cov = mv.covered(d)
            model.add(cov >= dem.quantity * z)
            if value < 0:
                model.add(cov <= dem.quantity - 1 + z)
            mv.z[d] = z
            mv.objective.append((value, z))


class Fragmentation:
    """SOFT. − fragmentation per allocation line used (Σ y)."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        f = problem.objective.fragmentation
        if not f:
            return
        for p in mv.idx.pairs:
            mv.objective.append((-f, mv.y[p]))


class ChangePenalty:
    """SOFT. − change_penalty per reference line dropped, i.e. −penalty·(1 − y); the constant part
    (and reference lines that are not usable candidates at all) does not affect the optimum and is
    added back when the solver recomputes the objective exactly."""

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        pen = problem.objective.change_penalty
        if not pen:
            return
        for p in sorted(mv.idx.reference):
            if p in mv.y:
                mv.objective.append((pen, mv.y[p]))


def communities(problem: Problem) -> dict[str, list[PDemand]]:
    """Demands by community (demands without one take no part in fairness), sorted."""
    out: dict[str, list[PDemand]] = defaultdict(list)
    for d in sorted(problem.demands, key=lambda d: d.id):
        if d.community is not None:
            out[d.community].append(d)
    return dict(sorted(out.items()))


def community_shares(members: list[PDemand]) -> dict[str, float]:
    """Each demand's share of its community's coverage: its weight, or equal shares if all are 0."""
    total = sum(d.weight for d in members)
    if total > 0:
        return {d.id: d.weight / total for d in members}
    return {d.id: 1.0 / len(members) for d in members}


class Fairness:
    """SOFT. Community coverage, coverage_c = Σ_d share_d · (Σ_r x[r,d]) / q_d.

    ``maxmin``: + weight · min_c coverage_c, via t ≤ FAIR_SCALE·coverage_c for every community.
    ``floor``: − weight · Σ_c max(0, floor − coverage_c), a soft floor with a slack per community,
    so it can never make the model infeasible. Coverage coefficients are rounded down to integers
    (resolution 1/(FAIR_SCALE·FAIR_RES)); the solver reports the exact value afterwards.
    """

    def build(self, model: cp_model.CpModel, mv: ModelVars, problem: Problem) -> None:
        obj = problem.objective
        if obj.fairness == "none" or not obj.fairness_weight:
            return
        comms = communities(problem)
        if not comms:
            return
        t = None
        if obj.fairness == "maxmin":
            t = model.new_int_var(0, FAIR_SCALE, "fair_t")
            mv.objective.append((obj.fairness_weight / FAIR_SCALE, t))
        floor = round(obj.fairness_floor * FAIR_SCALE)
        for c, members in comms.items():
            shares = community_shares(members)
            terms = []
            for dem in members:
                k = int(FAIR_SCALE * FAIR_RES * shares[dem.id] / dem.quantity)
                for p in mv.idx.by_dem.get(dem.id, []):
                    terms.append(k * mv.x[p])
            cov = sum(terms, cp_model.LinearExpr.constant(0))
            if t is not None:
                model.add(cov >= FAIR_RES * t)
            elif floor > 0:
                s = model.new_int_var(0, floor, f"fair_slack[{c}]")
                model.add(cov + FAIR_RES * s >= FAIR_RES * floor)
                mv.objective.append((-obj.fairness_weight / FAIR_SCALE, s))


SOFT_RULES: tuple[Rule, ...] = (ScoreTerm(), FullCoverageBonus(), Fragmentation(), ChangePenalty(), Fairness())


def constant_value(sub: Problem, relaxed: bool) -> float:
    """Objective value (value units) that the model leaves out as constants: the −penalty part of
    every reference line, and the bonus of must-cover demands (always full unless relaxed)."""
    obj = sub.objective
    v = -obj.change_penalty * len(sub.reference)
    if obj.full_coverage_bonus and not relaxed:
        v += math.fsum(obj.full_coverage_bonus * d.weight for d in sub.demands if d.must_cover)
    return v


def build_model(
    problem: Problem, relax_must_cover: bool = False
) -> tuple[cp_model.CpModel, ModelVars]:
    """The whole model: variables, every hard rule, then the objective pieces (not yet scaled)."""
    model = cp_model.CpModel()
    idx = build_index(problem)
    mv = create_variables(model, idx, relax_must_cover)
    for rule in (*HARD_RULES, *SOFT_RULES):
        rule.build(model, mv, problem)
    return model, mv
