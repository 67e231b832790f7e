"""The best units for one demand now: a 吹哨 item raised mid-year, or a demand the round left
unmet. Each suggestion says how much the resource can give from what is still free, and
what would have to give way (the lowest-value current allocations on it) to cover it whole."""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel

from ..errors import Conflict, NotFound
from ..lifecycle import HOLDING, holding_allocations
from ..store.base import GraphStore
from ..taxonomy import LEVEL_BY_CODE, RESOURCE_KINDS
from .explain import travel_words
from .params import RoundParams
from .snapshot import take_snapshot


class Displaced(BaseModel):
    project: str
    demand: str
    amount: int
    value: float


class Recommendation(BaseModel):
    resource: str
    resource_name: str
    unit: str
    unit_name: str
    kind: str
    travel_minutes: float
    level: str
    score_per_unit: float
    free: int
    amount_now: int
    amount_full: int
    unit_at_limit: bool
    displaces: list[Displaced]
    net_value: float

    def line(self, lang: str = "zh") -> str:
        k = RESOURCE_KINDS[self.kind]
        lv = LEVEL_BY_CODE[self.level]
        if lang == "zh":
            s = (
                f"{self.unit_name}（{self.resource_name}）：可立即提供 {self.amount_now}{k.measure_zh}，"
                f"{lv.zh}内，{travel_words(self.travel_minutes)}，净收益 {self.net_value:.2f}"
            )
            if self.displaces:
                s += "；完整满足需调整 " + "、".join(f"{d.demand}（{d.amount}）" for d in self.displaces)
            if self.unit_at_limit:
                s += "；该单位已达年度项目上限"
            return s
        s = (
            f"{self.unit_name} ({self.resource_name}): {self.amount_now} {k.measure} free now, "
            f"{lv.en} level, {travel_words(self.travel_minutes, lang='en')}, net value {self.net_value:.2f}"
        )
        if self.displaces:
            s += "; covering it whole displaces " + ", ".join(f"{d.demand} ({d.amount})" for d in self.displaces)
        if self.unit_at_limit:
            s += "; the unit is at its yearly limit"
        return s


def recommend(store: GraphStore, demand_id: str, k: int = 5, params: RoundParams | None = None) -> list[Recommendation]:
    from .candidates import generate

    params = params or RoundParams()
    d = store.get("Demand", demand_id)
    if d is None:
        raise NotFound(f"需求 {demand_id} 不存在", message_en=f"demand {demand_id} not found")
    owner = store.community_of(demand_id)
    if owner is None:
        raise NotFound(f"需求 {demand_id} 不属于任何社区", message_en=f"demand {demand_id} has no community")
    path = store.path_to_city(owner)
    scope = next((p["id"] for p in path if p["label"] == "District"), owner)
    snap = take_snapshot(store, scope, d.get("year"))
    only = tuple(x for x in snap.demands if x.id == demand_id)
    if not only:  # no list year, or not the year the scope's resources are read for
        raise Conflict(f"需求 {demand_id} 不在 {snap.year or '任何'} 年度清单中，请先设置其年度",
                       message_en=f"demand {demand_id} is not in the {snap.year or 'any'} list; set its year first")
    snap = replace(snap, demands=only)
    pairs = generate(snap, params.model_copy(update={"max_candidates_per_demand": 10_000}))
    res = {r.id: r for r in snap.resources}
    units = {u.id: u for u in snap.units}
    dem = only[0]
    recs = []
    for p in pairs:
        r = res[p.resource]
        held = [(a, pr) for a, pr in holding_allocations(store, r.id) if pr["demand"] != demand_id]
        used = sum(int(a["amount"]) for a, _ in held)
        free = max(0, r.capacity - used)
        amount_now = min(dem.quantity, free) if free >= min(r.min_allocation, dem.quantity) else 0
        amount_full = min(dem.quantity, r.capacity)
        need = amount_full - amount_now
        displaces: list[Displaced] = []
        lost = 0.0
        if need > 0:
            ranked = sorted(
                held, key=lambda t: (float(t[0].get("score") or 0) / max(1, int(t[0]["amount"])), t[0]["id"])
            )
            for a, pr in ranked:
                if need <= 0 or pr.get("status") in ("confirmed", "in_progress"):
                    continue
                take = min(need, int(a["amount"]))
                value = float(a.get("score") or 0) * take / max(1, int(a["amount"]))
                displaces.append(Displaced(project=pr["id"], demand=pr["demand"], amount=take, value=round(value, 4)))
                lost += value
                need -= take
            amount_full -= max(0, need)
        projects_of_unit = {
            pr["demand"]
            for a in store.find("Allocation", {"unit": r.unit})
            for pr in [store.get("Project", a["project"])]
            if pr and pr.get("status") in HOLDING
        }
        limit = units[r.unit].max_projects if r.unit in units else None
        recs.append(
            Recommendation(
                resource=r.id,
                resource_name=r.name,
                unit=r.unit,
                unit_name=units[r.unit].name if r.unit in units else r.unit,
                kind=r.kind,
                travel_minutes=round(p.minutes, 2),
                level=p.level,
                score_per_unit=round(p.score, 6),
                free=free,
                amount_now=amount_now,
                amount_full=amount_full,
                unit_at_limit=limit is not None and len(projects_of_unit) >= limit,
                displaces=displaces,
                net_value=round(p.score * amount_full - lost, 4),
            )
        )
    recs.sort(key=lambda x: (x.unit_at_limit, -x.net_value, x.travel_minutes, x.resource))
    return recs[:k]
