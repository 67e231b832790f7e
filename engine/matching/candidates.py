"""Candidate pairs: which resource could serve which demand, and how well.

A pair is a candidate when the resource kind serves the demand category (taxonomy fit > 0),
the months overlap, the resource carries the demand's required tags, the travel time by the
resource's mode is within its reach, and the administrative level of the pair is within the
resource's ``max_level``. Pairs come from a spatial index per (travel mode, reach) group, so
the work grows with the number of pairs in reach, never with resources × demands."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..geo import PointIndex, haversine_m, haversine_vec, reach_meters, travel_minutes
from ..taxonomy import COMPATIBLE_DEMANDS, LEVEL_RANK, LEVELS, fit
from .params import RoundParams, Weights
from .snapshot import Place, SDemand, Snapshot, SResource


@dataclass(frozen=True)
class Pair:
    resource: str
    demand: str
    fit: float
    minutes: float
    level: str
    score: float  # per unit of amount
    terms: dict[str, float]  # per unit of amount, summing to score


def pair_level(a: Place, b: Place) -> str:
    """The nearest administrative level two places share (grid … city)."""
    if a.grid and a.grid == b.grid:
        return "grid"
    if a.community and a.community == b.community:
        return "community"
    if a.street and a.street == b.street:
        return "street"
    if a.district and a.district == b.district:
        return "district"
    return "city"


def demand_weight(d: SDemand, w: Weights) -> float:
    """The value of covering a demand in full: its priority, raised by resident support."""
    return d.priority * (1.0 + w.support * math.log1p(max(0, d.support)))


TERMS = ("coverage", "locality", "reliability", "travel")
"""The score terms of a pair, in the order they are summed."""


def score_terms(per: Any, f: Any, level_rank: Any, reliability: Any, minutes: Any, reach: Any,
                w: Weights) -> dict[str, Any]:
    """The one pair scoring, per unit of amount: ``per`` is the demand's weight / quantity,
    ``f`` the taxonomy fit, ``level_rank`` the pair's level (0 = same grid), ``minutes`` the
    travel time within ``reach``. Scaling by weight / quantity makes covering a whole demand
    worth its weight whatever the measure (hours, yuan, places). Numbers or numpy arrays alike:
    ``generate`` and the what-if pool score whole arrays with it, ``pair_terms`` one pair."""
    return {
        "coverage": per * w.coverage * f,
        "locality": per * w.locality * (1.0 - level_rank / (len(LEVELS) - 1)),
        "reliability": per * w.reliability * reliability,
        "travel": -per * w.travel * np.minimum(1.0, minutes / reach),
    }


def pair_terms(
    d: SDemand, r: SResource, f: float, minutes: float, reach: float, level: str, reliability: float, w: Weights
) -> dict[str, float]:
    """Score terms of one pair (see ``score_terms``)."""
    t = score_terms(demand_weight(d, w) / d.quantity, f, LEVEL_RANK[level], reliability, minutes,
                    reach if reach > 0 else 1.0, w)
    out = {k: float(t[k]) for k in TERMS}
    if reach <= 0:
        out["travel"] = 0.0
    return out


def pair_of(resource: str, demand: str, f: float, minutes: float, level: str, terms: dict[str, Any],
            o: int | None = None) -> Pair:
    """A ``Pair`` from its terms (the ``o``-th element of each when they are arrays); its score
    is their sum, in ``TERMS`` order."""
    t = {k: float(terms[k] if o is None else terms[k][o]) for k in TERMS}
    return Pair(resource, demand, f, minutes, level, float(sum(t.values())), t)


def tags_carried(r_tags: AbstractSet[str], d_tags: AbstractSet[str]) -> bool:
    """The resource carries every tag the demand requires (weekend, evening, home visits)."""
    return d_tags <= r_tags


def month_mask(months: Iterable[int]) -> int:
    """Months as a 12-bit mask; none listed means all year."""
    return sum(1 << (m - 1) for m in months if 1 <= m <= 12) or 0xFFF


def in_reach(minutes: Any, reach: Any, level_rank: Any, max_rank: Any, r_months: Any, d_months: Any) -> Any:
    """The one rule of a pair whose kind can serve the demand: travel within the resource's
    reach, the pair's administrative level within its ``max_level``, and the months (as
    ``month_mask``) overlapping. Numbers or numpy arrays alike: ``generate`` filters whole arrays
    with it, ``pair_allowed`` (the synthetic city) one pair."""
    return (minutes <= reach) & (level_rank <= max_rank) & ((r_months & d_months) != 0)


def pair_allowed(minutes: float, reach: float, level: str, max_level: str, r_months: int, d_months: int,
                 r_tags: AbstractSet[str], d_tags: AbstractSet[str]) -> bool:
    """One pair by the candidate rules (``in_reach``, and the resource carrying every tag the
    demand requires); kind fit and bans are the caller's. Months come as ``month_mask`` values
    and tags as sets, so a caller testing many pairs computes them once per resource and demand."""
    top = len(LEVELS) - 1
    return bool(in_reach(minutes, reach, LEVEL_RANK[level], LEVEL_RANK.get(max_level, top), r_months, d_months)) \
        and tags_carried(r_tags, d_tags)


def _codes(places: list[Place], none: int, table: dict[str, int]) -> np.ndarray:
    """Integer codes per level (grid, community, street, district) so levels compare in numpy;
    a missing id gets ``none`` (different for the two sides, so None never equals None)."""
    out = np.full((len(places), 4), none, dtype=np.int64)
    for i, p in enumerate(places):
        for j, v in enumerate((p.grid, p.community, p.street, p.district)):
            if v is not None:
                out[i, j] = table.setdefault(v, len(table))
    return out


def generate(snap: Snapshot, params: RoundParams) -> list[Pair]:
    """Every candidate pair of the snapshot, the best ``max_candidates_per_demand`` per
    demand, sorted by (demand, resource) for determinism.

    Resources are grouped by (kind, travel mode, reach); each group's k-d tree is queried only
    with the demands whose category that kind can serve, so incompatible pairs are never
    looked at, and every filter and score runs vectorised over the pairs in reach."""
    w = params.weights
    reliability = {u.id: u.reliability for u in snap.units}
    demands = list(snap.demands)
    codes: dict[str, int] = {}
    d_codes = _codes([d.place for d in demands], -1, codes)
    d_mask = np.array([month_mask(d.months) for d in demands], dtype=np.int64)
    d_weight = np.array([demand_weight(d, w) / d.quantity for d in demands])
    d_lat = np.array([d.place.lat for d in demands])
    d_lon = np.array([d.place.lon for d in demands])
    d_tagged = np.array([bool(d.tags) for d in demands], dtype=bool)
    cats = sorted({d.category for d in demands})
    d_cat = np.array([cats.index(d.category) for d in demands], dtype=np.int64)
    groups: dict[tuple[str, str, float], list[SResource]] = defaultdict(list)
    for r in snap.resources:
        reach = params.reach_minutes or r.reach_minutes or params.default_reach_minutes
        groups[(r.kind, r.travel_mode, float(reach))].append(r)
    demands_of_cat: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(demands):
        demands_of_cat[d.category].append(i)
    banned = set(snap.bans)
    top_rank = len(LEVELS) - 1
    found: list[tuple[np.ndarray, ...]] = []
    resources: list[SResource] = []
    for (kind, mode, reach), rs in sorted(groups.items()):
        di_all = np.array(
            [i for cat in COMPATIBLE_DEMANDS.get(kind, ()) for i in demands_of_cat.get(cat, ())], dtype=np.int64
        )
        if not len(di_all):
            continue
        base = len(resources)
        resources.extend(rs)
        index = PointIndex([r.place.lat for r in rs], [r.place.lon for r in rs])
        radius = reach_meters(reach, mode, params.detour, params.speeds_kmh)
        hits = index.within_many(d_lat[di_all], d_lon[di_all], radius)
        lens = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
        if not lens.sum():
            continue
        di = np.repeat(di_all, lens)
        ri = np.fromiter(itertools.chain.from_iterable(hits), dtype=np.int64, count=int(lens.sum()))
        meters = haversine_vec(index.lat[ri], index.lon[ri], d_lat[di], d_lon[di])
        minutes = meters / (radius / reach)
        rc = _codes([r.place for r in rs], -2, codes)[ri]
        dc = d_codes[di]
        same = rc == dc
        level = np.where(same[:, 0], 0, np.where(same[:, 1], 1, np.where(same[:, 2], 2, np.where(same[:, 3], 3, 4))))
        r_max = np.array([LEVEL_RANK.get(r.max_level, top_rank) for r in rs])[ri]
        r_mask = np.array([month_mask(r.months) for r in rs], dtype=np.int64)[ri]
        ok = in_reach(minutes, reach, level, r_max, r_mask, d_mask[di])
        check = ok & d_tagged[di] if not banned else ok.copy()
        for j in np.flatnonzero(check):
            r, d = rs[ri[j]], demands[di[j]]
            if (r.id, d.id) in banned or not tags_carried(set(r.tags), set(d.tags)):
                ok[j] = False
        di, ri, minutes, level = di[ok], ri[ok], minutes[ok], level[ok]
        f = np.array([fit(c, kind) for c in cats])[d_cat[di]]
        rel = np.array([reliability.get(r.unit, 0.8) for r in rs])[ri]
        t = score_terms(d_weight[di], f, level, rel, minutes, reach, w)
        found.append((di, ri + base, minutes, level, f, *(t[k] for k in TERMS)))
    if found:
        cols = [np.concatenate(c) for c in zip(*found, strict=True)]
    else:
        cols = [np.zeros(0, dtype=np.int64)] * 2 + [np.zeros(0)] * 7
    di, ri, minutes, level, f, t_cov, t_loc, t_rel, t_trav = cols
    score = t_cov + t_loc + t_rel + t_trav
    rid_rank = np.array([r.id for r in resources]).argsort().argsort() if resources else np.zeros(0, dtype=np.int64)
    order = np.lexsort((rid_rank[ri] if len(ri) else ri, minutes, -score, di))
    by_demand: dict[str, list[Pair]] = defaultdict(list)
    pinned_pairs = {(r, d) for r, d, _ in snap.pins}
    if len(order):
        ds = di[order]
        starts = np.r_[0, np.flatnonzero(np.diff(ds)) + 1]
        rank = np.arange(len(ds)) - np.repeat(starts, np.diff(np.r_[starts, len(ds)]))
        keep = rank < params.max_candidates_per_demand
        for j in np.flatnonzero(~keep):  # a pinned pair is kept whatever its rank
            o = order[j]
            keep[j] = (resources[int(ri[o])].id, demands[int(di[o])].id) in pinned_pairs
        caps = np.array([r.capacity for r in resources], dtype=np.int64)
        keep_sole_cover(keep, ds, ri[order], demands, caps, must_cover_rule(params), params)
        terms = dict(zip(TERMS, (t_cov, t_loc, t_rel, t_trav), strict=True))
        for o in order[keep]:
            d = demands[int(di[o])]
            r = resources[int(ri[o])]
            by_demand[d.id].append(
                pair_of(r.id, d.id, float(f[o]), float(minutes[o]), LEVELS[int(level[o])].code, terms, int(o))
            )
    pinned = {(r, d) for r, d, _ in snap.pins}
    have = {(p.resource, p.demand) for ps in by_demand.values() for p in ps}
    res_by_id = {r.id: r for r in snap.resources}
    dem_by_id = {d.id: d for d in snap.demands}
    for rid, did in sorted(pinned - have):
        # A confirmed project stays even when parameters changed since it was agreed.
        r, d = res_by_id.get(rid), dem_by_id.get(did)
        if r is None or d is None:
            continue
        reach = float(params.reach_minutes or r.reach_minutes or params.default_reach_minutes)
        meters = haversine_m(r.place.lat, r.place.lon, d.place.lat, d.place.lon)
        minutes = travel_minutes(meters, r.travel_mode, params.detour, params.speeds_kmh)
        level = pair_level(r.place, d.place)
        f = fit(d.category, r.kind) or 0.5
        terms = pair_terms(d, r, f, minutes, reach, level, reliability.get(r.unit, 0.8), w)
        by_demand[did].append(pair_of(rid, did, f, minutes, level, terms))
    out: list[Pair] = []
    for did in sorted(by_demand):
        # the cap was applied above; pairs kept past it on purpose (pins, sole covers) stay
        out.extend(sorted(by_demand[did], key=lambda p: p.resource))
    return out


def must_cover_rule(params: RoundParams) -> Callable[[SDemand], bool]:
    """Which demands a round must cover in full (``params.must_cover``): the one definition, used
    by candidate generation and by the round's problem."""
    return {
        "as_listed": lambda d: d.must_cover,
        "none": lambda d: False,
        "priority5": lambda d: d.must_cover or d.priority >= 5,
    }[params.must_cover]


def keep_sole_cover(
    keep: np.ndarray,
    ds: np.ndarray,
    ri: np.ndarray,
    demands: list[SDemand | None],
    cap: np.ndarray,
    must: Callable[[SDemand], bool],
    params: RoundParams,
) -> None:
    """A must-cover demand also keeps its best ``max_candidates_per_demand`` lines that can cover
    it alone (capacity ≥ quantity), ranked like every line.

    Why: cutting at the best k by score can drop every line able to serve a demand whole, and a
    must-cover demand whose partner limit is 1 (or that is not splittable) is then uncoverable
    although the city can cover it: the ×16 region's round was INFEASIBLE for exactly this reason
    (three demands with max_partners = 1, 30 candidates, none able to cover alone). ``keep``,
    ``ds`` (demand indices into ``demands``) and ``ri`` (resource indices into ``cap``, the
    capacities) are in ranking order; ``keep`` is updated in place.
    """
    k = params.max_candidates_per_demand
    if not len(ds):
        return
    starts = np.r_[0, np.flatnonzero(np.diff(ds)) + 1]
    ends = np.r_[starts[1:], len(ds)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        d = demands[int(ds[s])]
        if d is None or not must(d) or e - s <= k:
            continue
        alone = np.flatnonzero(cap[ri[s:e]] >= d.quantity)[:k]
        keep[s + alone] = True
