"""A coordinator's first look at what is stored: counts by level and type, and the resource
and demand lists by category."""

from __future__ import annotations

from collections import Counter, defaultdict

from .store.base import GraphStore
from .taxonomy import DEMAND_CATEGORIES, RESOURCE_KINDS, UNIT_TYPES

LEVEL_NAMES = {
    "City": ("市", "cities"),
    "District": ("区(县)", "districts/counties"),
    "Street": ("街道(乡镇)", "streets/townships"),
    "Community": ("社区", "communities"),
    "Grid": ("网格", "grids"),
    "Unit": ("共建单位", "co-building units"),
    "PartyOrg": ("党组织", "party organisations"),
    "Member": ("党员", "party members"),
    "Resource": ("资源清单条目", "resource list items"),
    "Demand": ("需求清单条目", "demand list items"),
    "Round": ("匹配轮次", "rounds"),
    "Project": ("共建项目", "projects"),
}
PARTY_KINDS = {
    "unit": ("单位党组织", "unit"),
    "community": ("社区党组织", "community"),
    "grid": ("网格党组织", "grid"),
    "compound": ("小区党组织", "compound"),
    "industry": ("行业党委", "industry"),
}


def store_summary(store: GraphStore, lang: str = "zh") -> list[str]:
    zh = lang == "zh"
    counts = store.counts()
    out = ["数据概况" if zh else "What is stored"]
    out.append(
        "  "
        + "，".join(
            f"{zhn if zh else en} {counts[label]}" for label, (zhn, en) in LEVEL_NAMES.items() if counts.get(label)
        )
    )
    units = store.find("Unit")
    if units:
        by = Counter(u.get("type", "") for u in units)
        out.append(
            ("  单位类型：" if zh else "  units by type: ")
            + "，".join(
                f"{UNIT_TYPES[t].zh if zh else UNIT_TYPES[t].en} {n}" for t, n in sorted(by.items()) if t in UNIT_TYPES
            )
        )
    orgs = store.find("PartyOrg")
    if orgs:
        by = Counter(o.get("kind", "") for o in orgs)
        out.append(
            ("  党组织：" if zh else "  party organisations: ")
            + "，".join(f"{PARTY_KINDS.get(k, (k, k))[0 if zh else 1]} {n}" for k, n in sorted(by.items()))
        )
    res = store.find("Resource")
    if res:
        agg: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in res:
            agg[r["category"]][0] += 1
            agg[r["category"]][1] += int(r.get("capacity") or 0)
        out.append("资源清单（按类别）" if zh else "Resource list by kind")
        for k, (n, cap) in sorted(agg.items(), key=lambda t: -t[1][0]):
            kind = RESOURCE_KINDS.get(k)
            name = (kind.zh if zh else kind.en) if kind else k
            measure = (kind.measure_zh if zh else kind.measure) if kind else ""
            out.append(f"  {name}: {n} 项，共 {cap} {measure}" if zh else f"  {name}: {n} items, {cap} {measure}")
    dem = store.find("Demand")
    if dem:
        agg = defaultdict(lambda: [0, 0])
        for d in dem:
            agg[d["category"]][0] += 1
            agg[d["category"]][1] += int(d.get("quantity") or 0)
        out.append("需求清单（按类别）" if zh else "Demand list by category")
        for k, (n, q) in sorted(agg.items(), key=lambda t: -t[1][0]):
            cat = DEMAND_CATEGORIES.get(k)
            name = (cat.zh if zh else cat.en) if cat else k
            measure = RESOURCE_KINDS[cat.serves[0][0]] if cat else None
            m = (measure.measure_zh if zh else measure.measure) if measure else ""
            out.append(f"  {name}: {n} 项，共 {q} {m}" if zh else f"  {name}: {n} items, {q} {m}")
    return out
