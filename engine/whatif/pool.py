"""Shared candidate generation for what-if runs.

Candidate generation (spatial queries, level/month/tag filters) is the expensive part of a
round that variants can share. A ``CandidatePool`` holds every candidate pair of the base
snapshot, untruncated, at the widest reach any run needs, as arrays. A pair's travel minutes
do not depend on the reach (only on distance, mode, speeds and detour), so the pairs of any run
with the same speeds and detour are the pool's pairs that (a) join a resource and a demand the
run still has and (b) lie within that run's reach; their scores are recomputed from the run's
weights, quantities and reach exactly as ``candidates.generate`` computes them, and the best
``max_candidates_per_demand`` per demand are kept with the same tie-breaking. New demands (a
surge) get their own small generation, appended to the pool.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..matching.candidates import (
    Pair,
    demand_weight,
    generate,
    keep_sole_cover,
    must_cover_rule,
    pair_of,
    score_terms,
)
from ..matching.params import RoundParams
from ..matching.snapshot import Snapshot
from ..taxonomy import LEVEL_RANK, LEVELS

UNTRUNCATED = 10**9


def pool_key(params: RoundParams) -> tuple[tuple[tuple[str, float], ...], float]:
    """Runs with the same key share a pool: what fixes a pair's travel minutes."""
    return tuple(sorted(params.speeds_kmh.items())), float(params.detour)


def reach_needed(snap: Snapshot, params: RoundParams) -> float:
    """The widest reach any resource of ``snap`` has under ``params``."""
    if params.reach_minutes:
        return float(params.reach_minutes)
    return max([float(r.reach_minutes or params.default_reach_minutes) for r in snap.resources]
               or [float(params.default_reach_minutes)])


@dataclass(frozen=True)
class CandidatePool:
    demand_ids: tuple[str, ...]
    resource_ids: tuple[str, ...]  # sorted, so index order is id order
    d: np.ndarray
    r: np.ndarray
    fit: np.ndarray
    minutes: np.ndarray
    level: np.ndarray
    reach: float

    @classmethod
    def build(cls, snap: Snapshot, params: RoundParams, reach: float) -> CandidatePool:
        gp = params.model_copy(update={"reach_minutes": reach, "max_candidates_per_demand": UNTRUNCATED})
        return cls.of_pairs(generate(replace(snap, pins=()), gp), snap, reach)

    @classmethod
    def of_pairs(cls, pairs: list[Pair], snap: Snapshot, reach: float) -> CandidatePool:
        rids = tuple(sorted({r.id for r in snap.resources}))
        dids = tuple(sorted({d.id for d in snap.demands}))
        ri = {x: i for i, x in enumerate(rids)}
        di = {x: i for i, x in enumerate(dids)}
        n = len(pairs)
        return cls(
            demand_ids=dids, resource_ids=rids,
            d=np.fromiter((di[p.demand] for p in pairs), dtype=np.int64, count=n),
            r=np.fromiter((ri[p.resource] for p in pairs), dtype=np.int64, count=n),
            fit=np.fromiter((p.fit for p in pairs), dtype=np.float64, count=n),
            minutes=np.fromiter((p.minutes for p in pairs), dtype=np.float64, count=n),
            level=np.fromiter((LEVEL_RANK[p.level] for p in pairs), dtype=np.int64, count=n),
            reach=reach,
        )

    def __len__(self) -> int:
        return len(self.d)

    def with_demands(self, snap: Snapshot, params: RoundParams, new_ids: set[str]) -> CandidatePool:
        """The pool plus the candidates of demands it has not seen (``new_ids`` of ``snap``),
        generated against every resource of ``snap``."""
        new = [d for d in snap.demands if d.id in new_ids and d.id not in set(self.demand_ids)]
        if not new:
            return self
        extra = CandidatePool.build(replace(snap, demands=tuple(new)), params, self.reach)
        dids = self.demand_ids + extra.demand_ids
        # the extra pool's resources are snap's (a subset of the base's: variants only remove)
        r_map = {x: i for i, x in enumerate(self.resource_ids)}
        missing = [x for x in extra.resource_ids if x not in r_map]
        rids = self.resource_ids
        if missing:  # not expected; keep correctness by re-indexing
            rids = tuple(sorted(set(rids) | set(missing)))
            r_map = {x: i for i, x in enumerate(rids)}
            old_r = np.array([r_map[x] for x in self.resource_ids], dtype=np.int64)[self.r]
        else:
            old_r = self.r
        new_r = np.array([r_map[x] for x in extra.resource_ids], dtype=np.int64)[extra.r] if len(extra) else extra.r
        return CandidatePool(
            demand_ids=dids, resource_ids=rids,
            d=np.concatenate([self.d, extra.d + len(self.demand_ids)]), r=np.concatenate([old_r, new_r]),
            fit=np.concatenate([self.fit, extra.fit]), minutes=np.concatenate([self.minutes, extra.minutes]),
            level=np.concatenate([self.level, extra.level]), reach=self.reach,
        )

    def pairs_for(self, snap: Snapshot, params: RoundParams) -> list[Pair]:
        """The candidate pairs ``generate(snap, params)`` would return, from the pool."""
        w = params.weights
        dem = {d.id: d for d in snap.demands}
        res = {r.id: r for r in snap.resources}
        rel_of = {u.id: u.reliability for u in snap.units}
        nd, nr = len(self.demand_ids), len(self.resource_ids)
        d_ok = np.zeros(nd, dtype=bool)
        per = np.zeros(nd)
        for i, x in enumerate(self.demand_ids):
            d = dem.get(x)
            if d is not None:
                d_ok[i] = True
                per[i] = demand_weight(d, w) / d.quantity
        r_ok = np.zeros(nr, dtype=bool)
        reach = np.ones(nr)
        rel = np.zeros(nr)
        for i, x in enumerate(self.resource_ids):
            r = res.get(x)
            if r is not None:
                r_ok[i] = True
                reach[i] = float(params.reach_minutes or r.reach_minutes or params.default_reach_minutes)
                rel[i] = rel_of.get(r.unit, 0.8)
        mask = d_ok[self.d] & r_ok[self.r] & (self.minutes <= reach[self.r])
        bans = set(snap.bans)
        if bans:
            for j in np.flatnonzero(mask):
                if (self.resource_ids[self.r[j]], self.demand_ids[self.d[j]]) in bans:
                    mask[j] = False
        di, ri = self.d[mask], self.r[mask]
        fit, minutes, level = self.fit[mask], self.minutes[mask], self.level[mask]
        terms = score_terms(per[di], fit, level, rel[ri], minutes, reach[ri], w)
        score = terms["coverage"] + terms["locality"] + terms["reliability"] + terms["travel"]
        order = np.lexsort((ri, minutes, -score, di))
        if len(order):
            ds = di[order]
            starts = np.r_[0, np.flatnonzero(np.diff(ds)) + 1]
            rank = np.arange(len(ds)) - np.repeat(starts, np.diff(np.r_[starts, len(ds)]))
            keep = rank < params.max_candidates_per_demand
            dem_of = {d.id: d for d in snap.demands}
            cap_of = {r.id: r.capacity for r in snap.resources}
            caps = np.array([cap_of.get(i, 0) for i in self.resource_ids], dtype=np.int64)
            keep_sole_cover(keep, ds, ri[order], [dem_of.get(i) for i in self.demand_ids], caps,
                            must_cover_rule(params), params)
            kept = order[keep]
        else:
            kept = order
        kept = kept[np.lexsort((ri[kept], di[kept]))] if len(kept) else kept
        codes = [lv.code for lv in LEVELS]
        out = [pair_of(self.resource_ids[ri[o]], self.demand_ids[di[o]], float(fit[o]), float(minutes[o]),
                       codes[level[o]], terms, o) for o in kept.tolist()]
        if snap.pins:  # pinned pairs outside the pool's rules: let generate decide them
            have = {(q.resource, q.demand) for q in out}
            if any((r, d) not in have for r, d, _ in snap.pins):
                return generate(snap, params)
        return out
