"""A ``Problem`` as a few flat arrays, for the trip to a worker and back into a ``Problem``.

Why: a part's task used to travel as the pydantic ``Problem`` itself, pickled object by object:
a city's problem (58,000 candidate lines) was 9.8 MB and took seconds to pickle and longer to
load, in the driver and in every worker, which at ×300 cities is hours of pure overhead. Here
every list of records becomes one NumPy array per field, with lines naming resources and demands
by their position, so a task pickles as a handful of buffers. ``unpack`` rebuilds the same
``Problem`` (equal field by field, ``tests/test_compact.py``) without validating it again: it was
validated when it was built.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.matching.problem import PCandidate, PDemand, PObjective, PPair, PPin, PResource, Problem, PUnit

_NONE = -1  # an absent optional int or reference


@dataclass(frozen=True)
class PackedProblem:
    name: str
    objective: dict[str, object]
    res_ids: list[str]
    res_int: np.ndarray  # (n, 2): capacity, min_allocation
    res_unit: np.ndarray  # unit position in ``unit_names`` or −1
    unit_names: list[str]  # every unit name a resource or a unit row mentions
    dem_ids: list[str]
    dem_int: np.ndarray  # (n, 4): quantity, must_cover, splittable, max_partners (−1: none)
    dem_weight: np.ndarray
    dem_community: np.ndarray  # position in ``communities`` or −1
    communities: list[str]
    units: np.ndarray  # (n, 2): position in ``unit_names``, max_projects (−1: none)
    cand_idx: np.ndarray  # (n, 3): resource position, demand position, consumption
    cand_score: np.ndarray
    term_names: list[str]
    cand_terms: np.ndarray  # (n, terms); NaN where a line has no such term
    pins: np.ndarray  # (n, 3): resource, demand, amount
    bans: np.ndarray  # (n, 2)
    reference: np.ndarray  # (n, 2)


def _positions(names: list[str]) -> dict[str, int]:
    return {x: i for i, x in enumerate(names)}


def pack(p: Problem) -> PackedProblem:
    res_pos = _positions([r.id for r in p.resources])
    dem_pos = _positions([d.id for d in p.demands])
    unit_names = sorted({r.unit for r in p.resources if r.unit is not None} | {u.id for u in p.units})
    unit_pos = _positions(unit_names)
    communities = sorted({d.community for d in p.demands if d.community is not None})
    com_pos = _positions(communities)
    term_names = list(dict.fromkeys(k for c in p.candidates for k in c.terms))  # first-seen: the lines' own order
    term_pos = _positions(term_names)
    terms = np.full((len(p.candidates), len(term_names)), np.nan)
    for i, c in enumerate(p.candidates):
        for k, v in c.terms.items():
            terms[i, term_pos[k]] = v

    def pairs(rows: list[PPair]) -> np.ndarray:
        return np.array([(res_pos[x.resource], dem_pos[x.demand]) for x in rows], dtype=np.int64).reshape(-1, 2)

    return PackedProblem(
        name=p.name,
        objective=p.objective.model_dump(),
        res_ids=[r.id for r in p.resources],
        res_int=np.array([(r.capacity, r.min_allocation) for r in p.resources], dtype=np.int64).reshape(-1, 2),
        res_unit=np.array([unit_pos[r.unit] if r.unit is not None else _NONE for r in p.resources], dtype=np.int64),
        unit_names=unit_names,
        dem_ids=[d.id for d in p.demands],
        dem_int=np.array([(d.quantity, d.must_cover, d.splittable,
                           d.max_partners if d.max_partners is not None else _NONE) for d in p.demands],
                         dtype=np.int64).reshape(-1, 4),
        dem_weight=np.array([d.weight for d in p.demands], dtype=np.float64),
        dem_community=np.array([com_pos[d.community] if d.community is not None else _NONE for d in p.demands],
                               dtype=np.int64),
        communities=communities,
        units=np.array([(unit_pos[u.id], u.max_projects if u.max_projects is not None else _NONE)
                        for u in p.units], dtype=np.int64).reshape(-1, 2),
        cand_idx=np.array([(res_pos[c.resource], dem_pos[c.demand], c.consumption) for c in p.candidates],
                          dtype=np.int64).reshape(-1, 3),
        cand_score=np.array([c.score for c in p.candidates], dtype=np.float64),
        term_names=term_names,
        cand_terms=terms,
        pins=np.array([(res_pos[x.resource], dem_pos[x.demand], x.amount) for x in p.pins],
                      dtype=np.int64).reshape(-1, 3),
        bans=pairs(p.bans),
        reference=pairs(p.reference),
    )


def _opt(v: int) -> int | None:
    return None if v == _NONE else v


def unpack(pp: PackedProblem) -> Problem:
    res_ids, dem_ids, units = pp.res_ids, pp.dem_ids, pp.unit_names
    resources = [
        PResource.model_construct(id=i, capacity=int(c), min_allocation=int(m),
                                  unit=units[u] if u != _NONE else None)
        for i, (c, m), u in zip(res_ids, pp.res_int.tolist(), pp.res_unit.tolist(), strict=True)
    ]
    demands = [
        PDemand.model_construct(id=i, quantity=q, must_cover=bool(mc), splittable=bool(sp), max_partners=_opt(mp),
                                community=pp.communities[k] if k != _NONE else None, weight=w)
        for i, (q, mc, sp, mp), w, k in zip(dem_ids, pp.dem_int.tolist(), pp.dem_weight.tolist(),
                                           pp.dem_community.tolist(), strict=True)
    ]
    names = pp.term_names
    candidates = []
    for (r, d, cons), s, row in zip(pp.cand_idx.tolist(), pp.cand_score.tolist(), pp.cand_terms.tolist(),
                                    strict=True):
        terms = {names[k]: v for k, v in enumerate(row) if v == v}  # NaN: no such term on this line
        candidates.append(PCandidate.model_construct(resource=res_ids[r], demand=dem_ids[d], score=s,
                                                     consumption=cons, terms=terms))
    return Problem.model_construct(
        name=pp.name,
        resources=resources,
        demands=demands,
        units=[PUnit.model_construct(id=units[u], max_projects=_opt(k)) for u, k in pp.units.tolist()],
        candidates=candidates,
        pins=[PPin.model_construct(resource=res_ids[r], demand=dem_ids[d], amount=a) for r, d, a in pp.pins.tolist()],
        bans=[PPair.model_construct(resource=res_ids[r], demand=dem_ids[d]) for r, d in pp.bans.tolist()],
        reference=[PPair.model_construct(resource=res_ids[r], demand=dem_ids[d]) for r, d in pp.reference.tolist()],
        objective=PObjective.model_construct(**pp.objective),
    )
