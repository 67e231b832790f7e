"""Key figures of a project list, computed the same way for the optimiser and the greedy
baseline so every comparison is like for like."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ..taxonomy import DEMAND_CATEGORIES, DIMENSIONS, LEVELS, RESOURCE_KINDS
from .candidates import Pair, demand_weight
from .params import Weights
from .snapshot import Snapshot

TRAVEL_BINS = (5, 10, 15, 20, 30)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(q * (len(s) - 1))))
    return round(s[k], 2)


def compute_kpis(
    snap: Snapshot,
    pairs: dict[tuple[str, str], Pair],
    allocations: Iterable[tuple[str, str, int]],
    weights: Weights,
) -> dict[str, object]:
    """Coverage by count and weight (overall, per community, per level, per dimension),
    unit and capacity utilisation, travel-time distribution."""
    allocs = [a for a in allocations if a[2] > 0]
    got: dict[str, int] = defaultdict(int)
    for _, d, amt in allocs:
        got[d] += amt
    demands = snap.demands
    total_w = sum(demand_weight(d, weights) for d in demands) or 1.0
    full = [d for d in demands if got[d.id] >= d.quantity]
    partial = [d for d in demands if 0 < got[d.id] < d.quantity]
    cov_w = sum(demand_weight(d, weights) * min(1.0, got[d.id] / d.quantity) for d in demands)

    def group(key) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
        acc: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0])
        for d in demands:
            k = key(d)
            wd = demand_weight(d, weights)
            a = acc[k]
            a[0] += 1
            a[1] += 1 if got[d.id] >= d.quantity else 0
            a[2] += wd
            a[3] += wd * min(1.0, got[d.id] / d.quantity)
        return {
            k: {
                "demands": int(a[0]),
                "covered": int(a[1]),
                "coverage_count": round(a[1] / a[0], 4) if a[0] else 0.0,
                "coverage_weighted": round(a[3] / a[2], 4) if a[2] else 0.0,
            }
            for k, a in sorted(acc.items())
        }

    per_level: dict[str, dict[str, float]] = {lv.code: {"lines": 0, "amount_share": 0.0} for lv in LEVELS}
    minutes: list[float] = []
    total_amt = sum(a for _, _, a in allocs) or 1
    for r, d, amt in allocs:
        p = pairs.get((r, d))
        if p is None:
            continue
        per_level[p.level]["lines"] += 1
        per_level[p.level]["amount_share"] += amt / total_amt
        minutes.append(p.minutes)
    for v in per_level.values():
        v["amount_share"] = round(v["amount_share"], 4)

    res = {r.id: r for r in snap.resources}
    used_units = {res[r].unit for r, _, _ in allocs if r in res}
    offering_units = {r.unit for r in snap.resources}
    cap: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in snap.resources:
        cap[r.kind][1] += r.capacity
    for r, _, amt in allocs:
        if r in res:
            cap[res[r].kind][0] += amt
    bins = list(TRAVEL_BINS)
    hist = {f"≤{b}": 0 for b in bins} | {f">{bins[-1]}": 0}
    for m in minutes:
        for b in bins:
            if m <= b:
                hist[f"≤{b}"] += 1
                break
        else:
            hist[f">{bins[-1]}"] += 1
    return {
        "demands": len(demands),
        "resources": len(snap.resources),
        "projects": len({d for _, d, _ in allocs}),
        "allocation_lines": len(allocs),
        "covered": len(full),
        "partial": len(partial),
        "coverage_count": round(len(full) / len(demands), 4) if demands else 0.0,
        "coverage_any": round((len(full) + len(partial)) / len(demands), 4) if demands else 0.0,
        "coverage_weighted": round(cov_w / total_w, 4),
        "must_cover_met": sum(1 for d in demands if d.must_cover and got[d.id] >= d.quantity),
        "must_cover_total": sum(1 for d in demands if d.must_cover),
        "per_community": group(lambda d: d.place.community or ""),
        "per_dimension": group(lambda d: DEMAND_CATEGORIES[d.category].dimension),
        "per_category": group(lambda d: d.category),
        "per_level": per_level,
        "unit_utilisation": round(len(used_units) / len(offering_units), 4) if offering_units else 0.0,
        "capacity_utilisation": {
            k: round(u / c, 4) if c else 0.0 for k, (u, c) in sorted(cap.items()) if k in RESOURCE_KINDS
        },
        "travel_minutes": {
            "mean": round(sum(minutes) / len(minutes), 2) if minutes else 0.0,
            "p50": _pct(minutes, 0.5),
            "p90": _pct(minutes, 0.9),
            "max": round(max(minutes), 2) if minutes else 0.0,
            "histogram": hist,
        },
    }


DIMENSION_CODES = tuple(DIMENSIONS)
