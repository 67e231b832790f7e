"""A decomposed (Lagrangian) dual bound for a big part: the LP's prices on the rows that join
clusters of demands, and a MIP root with cuts on each cluster.

Why: on the district-size part of the chizhou round (45,000 lines) the LP relaxation is the only
bound the round can afford, and it is loose (docs/BENCHMARKS.md, "Issue 8"); HiGHS's root with
cuts on the whole part does not end in minutes. Split the part's demands into clusters of a few
thousand lines (Louvain communities of the demands that share resources, seeded, so the split is
deterministic); a resource or unit whose lines reach several clusters keeps its row in every
cluster (each cluster's use of it is at most the whole) and its row is also priced at the LP's
dual value λ. For every feasible answer x and any λ ≥ 0,

    value(x) ≤ Σ_k max_k [value_k − λ·use_k] + λ·capacity

so the sum of the clusters' MIP bounds (HiGHS root with cuts, on models small enough to finish)
plus λ·capacity is a valid bound on the part. With the LP's own duals it is at most the LP bound
up to the clusters' integrality, which the cuts and the root recover. Rows wholly inside one
cluster are not priced: kept intact, they bound tighter. Measured on the chizhou part the gain is
real but small (the LP's prices are not the best Lagrangian prices), which is why the round does
not run this by default; ``bench/bench_bound.py`` prints it beside the LP bound.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
from ortools.sat.python import cp_model

from engine.matching.lp import linear_form
from engine.matching.mip import _objective, highs_lp, new_highs, solve_mip
from engine.matching.problem import Problem
from engine.matching.rules import ModelVars, build_model, sense_sign, unit_key
from engine.matching.rules import constant_value as _constant_value


@dataclass
class LpPrices:
    bound: float  # the LP bound of the part in value units, constants included
    capacity: dict[str, float]  # resource → dual price of its capacity row (≥ 0)
    unit: dict[str, float]  # unit → dual price of its project-limit row (≥ 0)


@dataclass
class DecomposedBound:
    bound: float  # valid upper bound in value units (maximised sense), constants included
    lp_bound: float
    clusters: list[tuple[int, float]] = field(default_factory=list)  # (lines, cluster bound)


def lp_prices(sub: Problem, model: cp_model.CpModel, mv: ModelVars, seed: int = 0) -> LpPrices:
    """Solve the LP relaxation with HiGHS and read the duals of the capacity and unit rows."""
    f = linear_form(model)
    c, const = _objective(len(f.lb), mv.objective)
    h = new_highs(seed)
    h.passModel(highs_lp(f, c))
    h.run()
    duals = -np.asarray(h.getSolution().row_dual)  # HiGHS minimised −c: flip to the maximised sense
    value = -h.getInfo().objective_function_value + const + _constant_value(sub, False)
    assert f.row_of is not None

    def price(rows: dict[str, int]) -> dict[str, float]:
        return {k: max(0.0, float(duals[f.row_of[ci]])) for k, ci in rows.items() if f.row_of[ci] >= 0}

    return LpPrices(value, price(mv.capacity_rows), price(mv.unit_rows))


def clusters(sub: Problem, max_lines: int, seed: int = 0) -> list[list[str]]:
    """Demand ids in clusters of at most ``max_lines`` candidate lines (one demand with more lines
    is a cluster of its own): Louvain communities of the graph joining demands that share a
    resource, split again where too big, then packed first-fit by size."""
    lines_of = Counter(c.demand for c in sub.candidates)
    by_res: dict[str, list[str]] = defaultdict(list)
    for c in sorted(sub.candidates, key=lambda c: (c.resource, c.demand)):
        by_res[c.resource].append(c.demand)
    g = nx.Graph()
    g.add_nodes_from(sorted(d.id for d in sub.demands))
    for _, ds in sorted(by_res.items()):
        for a, b in itertools.pairwise(ds):
            w = g.get_edge_data(a, b, {"weight": 0})["weight"]
            g.add_edge(a, b, weight=w + 1)

    def size(nodes: set[str] | list[str]) -> int:
        return sum(lines_of[d] for d in nodes)

    def split(nodes: set[str]) -> list[list[str]]:
        if size(nodes) <= max_lines or len(nodes) == 1:
            return [sorted(nodes)]
        comms = nx.community.louvain_communities(g.subgraph(nodes), weight="weight", seed=seed)
        if len(comms) == 1:
            s = sorted(nodes)
            return split(set(s[: len(s) // 2])) + split(set(s[len(s) // 2 :]))
        return [piece for cm in sorted(comms, key=min) for piece in split(set(cm))]

    pieces = split(set(g.nodes))
    packed: list[tuple[int, list[str]]] = []
    for pc in sorted(pieces, key=lambda s: (-size(s), s[0])):
        for k, (n, members) in enumerate(packed):
            if n + size(pc) <= max_lines:
                packed[k] = (n + size(pc), members + pc)
                break
        else:
            packed.append((size(pc), list(pc)))
    return [sorted(members) for _, members in packed]


def _cluster_problem(sub: Problem, dems: set[str]) -> Problem:
    cands = [c for c in sub.candidates if c.demand in dems]
    rids = {c.resource for c in cands}
    units = {r.unit for r in sub.resources if r.id in rids}

    def inside(p: object) -> bool:
        return p.demand in dems  # type: ignore[attr-defined]

    return sub.model_copy(update={
        "demands": [d for d in sub.demands if d.id in dems],
        "resources": [r for r in sub.resources if r.id in rids],
        "units": [u for u in sub.units if u.id in units],
        "candidates": cands,
        "pins": [p for p in sub.pins if inside(p)],
        "bans": [b for b in sub.bans if inside(b)],
        "reference": [p for p in sub.reference if inside(p)],
    })


def decomposed_bound(sub: Problem, max_lines: int = 4000, seed: int = 0, nodes: int = 1,
                     time_limit: float = 600.0,
                     built: tuple[cp_model.CpModel, ModelVars] | None = None) -> DecomposedBound:
    """The bound of the module docstring for a maximised part whose must-cover demands are all
    coverable (the round's ordinary path). ``nodes`` > 1 lets HiGHS branch on each cluster.
    ``built``: the part's model from ``build_model(sub)`` when the caller has it already."""
    if sense_sign(sub) != 1:
        raise ValueError("decomposed_bound expects a maximised problem")
    model, mv = built if built is not None else build_model(sub)
    prices = lp_prices(sub, model, mv, seed)
    groups = clusters(sub, max_lines, seed)
    cluster_of = {d: k for k, g in enumerate(groups) for d in g}
    res_clusters: dict[str, set[int]] = defaultdict(set)
    unit_clusters: dict[str, set[int]] = defaultdict(set)
    unit_of = {r.id: unit_key(r) for r in sub.resources}
    for c in sub.candidates:
        res_clusters[c.resource].add(cluster_of[c.demand])
        unit_clusters[unit_of[c.resource]].add(cluster_of[c.demand])
    lam = {r: v for r, v in prices.capacity.items() if v > 1e-12 and len(res_clusters[r]) > 1}
    mu = {u: v for u, v in prices.unit.items() if v > 1e-12 and len(unit_clusters[u]) > 1}
    res = {r.id: r for r in sub.resources}
    limit = mv.idx.unit_limit
    total = math.fsum(lam[r] * res[r].capacity for r in lam) + math.fsum(mu[u] * (limit[u] or 0) for u in mu)
    out = DecomposedBound(bound=math.inf, lp_bound=prices.bound)
    for g in groups:
        cp = _cluster_problem(sub, set(g))
        m2, mv2 = build_model(cp)
        obj = list(mv2.objective)
        i2 = mv2.idx
        for p in i2.pairs:
            if p[0] in lam:
                obj.append((-lam[p[0]] * i2.cand[p].consumption, mv2.x[p]))
        for d in i2.demand_ids():
            for u, lines in mv2.unit_lines(d).items():
                if u not in mu:
                    continue
                # −μ·w[u,d]; where the cluster has no w (the unit binds nowhere in it) a smaller
                # charge that w bounds from above keeps the bound valid
                if (u, d) in mv2.w:
                    obj.append((-mu[u], mv2.w[(u, d)]))
                elif all(p in mv2.y for p in lines):
                    obj.extend((-mu[u] / len(lines), mv2.y[p]) for p in lines)
                else:
                    obj.extend((-mu[u] / max(1, i2.ub[p]), mv2.x[p]) for p in lines)
        r = solve_mip(m2, obj, nodes=nodes, time_limit=time_limit, seed=seed, heuristics=nodes > 1)
        if r.status == "INFEASIBLE":  # then so is the part: the LP's bound is as good as any
            out.bound = prices.bound
            return out
        b = r.bound + _constant_value(cp, False)
        out.clusters.append((len(cp.candidates), b))
        total += b
    out.bound = min(total, prices.bound)
    return out
