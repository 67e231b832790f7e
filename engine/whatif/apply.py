"""Apply a variant's changes to a frozen Snapshot and RoundParams: pure functions returning
new values (``dataclasses.replace``), deterministic for given seeds. The live data is never
read or written here."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..matching.params import RoundParams
from ..matching.snapshot import Place, SDemand, Snapshot, SResource, SUnit
from ..taxonomy import DEMAND_CATEGORIES
from .spec import Change, CutFunds, Filter, Remove, Scale, SetParams, Surge, params_with

FUNDS = "funds"


@dataclass
class Applied:
    """A variant's inputs and what the changes did (for the report)."""

    snapshot: Snapshot
    params: RoundParams
    removed_units: set[str] = field(default_factory=set)
    removed_resources: set[str] = field(default_factory=set)
    removed_demands: set[str] = field(default_factory=set)
    scaled_resources: set[str] = field(default_factory=set)
    scaled_demands: set[str] = field(default_factory=set)
    added_demands: list[str] = field(default_factory=list)
    param_changes: dict[str, Any] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)

    @property
    def candidates_affected(self) -> bool:
        """Whether candidate pairs must be generated anew (reach, speeds, detour) — the
        parameters that decide which pairs are in reach."""
        return bool({"reach_minutes", "default_reach_minutes", "speeds_kmh", "detour"} & set(self.param_changes))


def _in_area(p: Place, f: Filter) -> bool:
    if f.district is not None and p.district not in f.district:
        return False
    if f.street is not None and p.street not in f.street:
        return False
    return f.community is None or p.community in f.community


def _take(ids: Sequence[str], fraction: float, seed: int) -> set[str]:
    """``fraction`` of ``ids`` (sorted first), drawn with ``seed``: same inputs, same draw."""
    ids = sorted(ids)
    if fraction >= 1.0:
        return set(ids)
    k = math.floor(fraction * len(ids) + 0.5)
    return set(random.Random(seed).sample(ids, k))


def select_units(snap: Snapshot, f: Filter) -> set[str]:
    ids = [u.id for u in snap.units
           if (f.ids is None or u.id in f.ids) and (f.unit_type is None or u.type in f.unit_type)
           and _in_area(u.place, f)]
    return _take(ids, f.fraction, f.seed)


def select_resources(snap: Snapshot, f: Filter) -> set[str]:
    utype = {u.id: u.type for u in snap.units}
    ids = [r.id for r in snap.resources
           if (f.ids is None or r.id in f.ids) and (f.kind is None or r.kind in f.kind)
           and (f.unit_type is None or utype.get(r.unit) in f.unit_type) and _in_area(r.place, f)]
    return _take(ids, f.fraction, f.seed)


def select_demands(snap: Snapshot, f: Filter) -> set[str]:
    ids = [d.id for d in snap.demands
           if (f.ids is None or d.id in f.ids) and (f.category is None or d.category in f.category)
           and (f.priority is None or d.priority in f.priority)
           and (f.must_cover is None or d.must_cover == f.must_cover) and _in_area(d.place, f)]
    return _take(ids, f.fraction, f.seed)


def remove(snap: Snapshot, target: str, ids: Iterable[str]) -> Snapshot:
    """Without the given units (and every resource they offer), resources or demands."""
    gone = set(ids)
    if target == "units":
        return replace(snap, units=tuple(u for u in snap.units if u.id not in gone),
                       resources=tuple(r for r in snap.resources if r.unit not in gone))
    if target == "resources":
        return replace(snap, resources=tuple(r for r in snap.resources if r.id not in gone))
    return replace(snap, demands=tuple(d for d in snap.demands if d.id not in gone))


def _scaled(x: int, factor: float) -> int:
    return math.floor(x * factor + 0.5)


def scale_resources(snap: Snapshot, ids: Iterable[str], factor: float) -> Snapshot:
    """Capacities × factor (rounded half up); a resource left with nothing is removed."""
    chosen = set(ids)
    out: list[SResource] = []
    for r in snap.resources:
        if r.id in chosen:
            cap = _scaled(r.capacity, factor)
            if cap < 1:
                continue
            r = replace(r, capacity=cap, min_allocation=min(r.min_allocation, cap))
        out.append(r)
    return replace(snap, resources=tuple(out))


def scale_demands(snap: Snapshot, ids: Iterable[str], factor: float) -> Snapshot:
    """Quantities × factor (rounded half up); a demand left with nothing is removed."""
    chosen = set(ids)
    out: list[SDemand] = []
    for d in snap.demands:
        if d.id in chosen:
            q = _scaled(d.quantity, factor)
            if q < 1:
                continue
            d = replace(d, quantity=q)
        out.append(d)
    return replace(snap, demands=tuple(out))


def cut_funds(snap: Snapshot, factor: float) -> Snapshot:
    return scale_resources(snap, [r.id for r in snap.resources if r.kind == FUNDS], factor)


def _area_communities(snap: Snapshot, area: list[str] | None) -> list[str]:
    if not area:
        return sorted(c.id for c in snap.communities)
    wanted = set(area)
    return sorted(c.id for c in snap.communities if {c.id, c.street, c.district} & wanted)


def surge(snap: Snapshot, s: Surge, prefix: str) -> tuple[Snapshot, list[str]]:
    """``s.count`` new demands of ``s.category`` in random communities of ``s.area`` (each at
    the place of an existing demand of that community, else at its centre)."""
    comms = _area_communities(snap, s.area)
    if not comms:
        return snap, []
    rng = random.Random(f"{s.seed}:{prefix}")
    places: dict[str, list[Place]] = {}
    for d in snap.demands:
        if d.place.community:
            places.setdefault(d.place.community, []).append(d.place)
    by_id = {c.id: c for c in snap.communities}
    cat = DEMAND_CATEGORIES[s.category]
    lo, hi = (s.quantity[0], s.quantity[-1])
    taken = {d.id for d in snap.demands}
    new: list[SDemand] = []
    for i in range(s.count):
        cid = comms[rng.randrange(len(comms))]
        c = by_id[cid]
        pool = places.get(cid)
        place = pool[rng.randrange(len(pool))] if pool else Place(c.lat, c.lon, None, cid, c.street, c.district)
        did = f"{prefix}-{i + 1:05d}"
        while did in taken:
            did += "x"
        taken.add(did)
        name = f"{snap.names.get(cid, c.name)}{cat.zh}（突发）"
        new.append(SDemand(
            id=did, name=name, category=s.category, quantity=rng.randint(lo, hi), priority=s.priority,
            support=s.support, must_cover=s.must_cover, splittable=s.splittable, max_partners=None, place=place,
            months=(), tags=(),
        ))
    names = dict(snap.names)
    names.update({d.id: d.name for d in new})
    demands = tuple(sorted((*snap.demands, *new), key=lambda d: d.id))
    return replace(snap, demands=demands, names=names), [d.id for d in new]


def apply_changes(snap: Snapshot, params: RoundParams, changes: Sequence[Change], name: str = "v") -> Applied:
    """Every change in order, on a new Snapshot; ``snap`` and ``params`` are left as they are."""
    out = Applied(snapshot=snap, params=params)
    cur = snap
    for k, c in enumerate(changes):
        if isinstance(c, Remove):
            ids = _select(cur, c)
            if c.target == "units":
                out.removed_units |= ids
                out.removed_resources |= {r.id for r in cur.resources if r.unit in ids}
            elif c.target == "resources":
                out.removed_resources |= ids
            else:
                out.removed_demands |= ids
            cur = remove(cur, c.target, ids)
            out.notes.append((f"移除 {len(ids)} 个{_TARGET_ZH[c.target]}", f"removed {len(ids)} {c.target}"))
        elif isinstance(c, Scale):
            ids = _select(cur, c)
            if c.target == "demands":
                out.scaled_demands |= ids
                cur = scale_demands(cur, ids, c.factor)
            else:
                rids = {r.id for r in cur.resources if r.unit in ids} if c.target == "units" else ids
                out.scaled_resources |= rids
                cur = scale_resources(cur, rids, c.factor)
            out.notes.append((f"{len(ids)} 个{_TARGET_ZH[c.target]}数量 ×{c.factor:g}",
                              f"{len(ids)} {c.target} scaled ×{c.factor:g}"))
        elif isinstance(c, CutFunds):
            rids = {r.id for r in cur.resources if r.kind == FUNDS}
            out.scaled_resources |= rids
            cur = cut_funds(cur, c.factor)
            out.notes.append((f"{len(rids)} 项资金资源 ×{c.factor:g}", f"{len(rids)} funds resources ×{c.factor:g}"))
        elif isinstance(c, Surge):
            cur, added = surge(cur, c, f"SURGE-{name}-{k + 1}")
            out.added_demands.extend(added)
            out.notes.append((f"新增 {len(added)} 项{DEMAND_CATEGORIES[c.category].zh}需求",
                              f"added {len(added)} {DEMAND_CATEGORIES[c.category].en} demands"))
        elif isinstance(c, SetParams):
            out.params = params_with(out.params, c.set)
            out.param_changes.update(c.set)
            out.notes.append(("参数：" + _fmt(c.set), "parameters: " + _fmt(c.set)))
    out.removed_units = {u.id for u in snap.units} - {u.id for u in cur.units}
    out.removed_resources = {r.id for r in snap.resources} - {r.id for r in cur.resources}
    out.removed_demands = {d.id for d in snap.demands} - {d.id for d in cur.demands}
    out.snapshot = cur
    return out


_TARGET_ZH = {"units": "共建单位", "resources": "资源", "demands": "需求"}


def _select(snap: Snapshot, c: Remove | Scale) -> set[str]:
    return {"units": select_units, "resources": select_resources, "demands": select_demands}[c.target](snap, c)


def _fmt(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v) if isinstance(v, dict) else v}" for k, v in d.items())


def units_of_type(snap: Snapshot, unit_type: str) -> list[SUnit]:
    return [u for u in snap.units if u.type == unit_type]
