"""What the web console reads that no other route gives in one call: who the caller is and
what its role may do, the vocabulary with its Chinese labels, the area overview of the
dashboard and the map layers. Read only; the labels come from engine.taxonomy and
engine.lifecycle (one definition), the figures from the stored lists and rounds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from engine import wishes
from engine.access import ACTIONS, ROLE_ZH, can, in_scope, is_what_if, require
from engine.errors import NotFound
from engine.lifecycle import HOLDING, STATE_LABELS
from engine.lists.headers import DEMAND_STATUSES, LISTS
from engine.matching.explain import TERM_LABELS
from engine.matching.problem import STATUS_LABELS
from engine.matching.round import STAGE_LABELS
from engine.rounds import STATE_LABELS as ROUND_STATE_LABELS
from engine.store.base import GraphStore, Props
from engine.taxonomy import (
    DEFAULT_REACH_MINUTES,
    DEMAND_CATEGORIES,
    DETOUR_FACTOR,
    DIMENSIONS,
    LEVELS,
    RESOURCE_KINDS,
    TRAVEL_MODES,
    TRAVEL_SPEED_KMH,
    UNIT_TYPES,
)
from engine.whatif.run import STAGE_LABELS as WHATIF_STAGE_LABELS

from ..deps import PrincipalDep, StoreDep
from ..util import decode

router = APIRouter(tags=["console"])

AREA_LABELS = ("City", "District", "Street", "Community")
ScopeQ = Annotated[str | None, Query(max_length=100, description="区域编号（缺省为令牌范围或全市）/ area id")]


class Me(BaseModel):
    role: str = Field(description="角色 / role")
    role_zh: str = Field(description="角色中文名 / role in Chinese")
    scope: str | None = Field(default=None, description="范围编号 / scope id")
    scope_name: str | None = Field(default=None, description="范围名称 / scope name")
    scope_level: str | None = Field(default=None, description="范围层级（Community/Street/…/Unit）/ scope level")
    sub: str = Field(description="使用者 / subject")
    may: list[str] = Field(description="此角色可执行的操作 / actions the role may take (before scope)")


class Label(BaseModel):
    code: str = Field(description="代码 / code")
    zh: str = Field(description="中文 / Chinese label")
    en: str = Field(description="English label")
    dimension: str | None = Field(default=None, description="所属四联四共维度 / dimension of a demand category")


class Taxonomy(BaseModel):
    dimensions: list[Label]
    demand_categories: list[Label]
    resource_kinds: list[Label]
    unit_types: list[Label]
    levels: list[Label]
    travel_modes: list[Label]
    project_states: list[Label]
    round_states: list[Label] = Field(description="轮次与推演任务状态 / states of a round or what-if job")
    demand_states: list[Label] = Field(description="需求状态 / demand states")
    stages: list[Label] = Field(description="匹配与推演的进度阶段 / progress stages of a round or what-if job")
    solver_statuses: list[Label] = Field(description="求解状态 / solver statuses")
    score_terms: list[Label] = Field(description="得分构成项 / score terms of an allocation")
    list_kinds: list[Label] = Field(description="清单种类（导入报告的各清单条数）/ the lists of an import")
    wish_states: list[Label] = Field(description="微心愿状态 / micro-wish states")
    wish_categories: list[Label] = Field(description="微心愿类别 / micro-wish categories")


class Dimension(BaseModel):
    code: str
    demands: int = Field(description="需求条数 / demand items")
    projects: int = Field(description="项目数（最近一轮）/ projects of the last round")
    coverage: float | None = Field(default=None, description="加权覆盖率（最近一轮）/ weighted coverage")


class CommunityCoverage(BaseModel):
    id: str
    name: str | None = None
    demands: int
    covered: int
    coverage: float


class UnitTypeUse(BaseModel):
    code: str
    units: int = Field(description="单位数 / units of the type")
    offering: int = Field(description="有资源清单的单位 / units listing resources")
    in_projects: int = Field(description="参与项目的单位（最近一轮）/ units in projects of the last round")
    utilisation: float = Field(description="in_projects / offering")


class Overview(BaseModel):
    scope: str | None
    counts: dict[str, int] = Field(description="社区、网格、单位、资源、需求条数 / counts in the area")
    dimensions: list[Dimension]
    communities: list[CommunityCoverage]
    unit_types: list[UnitTypeUse]
    last_round: dict[str, Any] | None = Field(default=None, description="最近一轮（非推演）/ the last real round")
    project_states: dict[str, int] = Field(description="最近一轮项目按状态 / its projects by state")


def _scope_of(store: GraphStore, principal: Any, scope: str | None) -> str | None:
    """The area the caller looks at: the one asked for, else a coordinator's own, else the
    community of a unit, else the whole store (None)."""
    if scope is None and principal.role == "coordinator":
        scope = principal.scope
    if scope is None and principal.role == "unit":
        u = store.get("Unit", principal.scope) or {}
        scope = u.get("community")
    if scope is not None and store.label_of(scope) not in AREA_LABELS:
        raise NotFound(f"区域 {scope} 不存在", message_en=f"area {scope} not found")
    return scope


def _last_round(store: GraphStore, scope: str | None) -> Props | None:
    rows = [r for r in store.find("Round") if not is_what_if(r) and r.get("status") in ("done", "published")
            and (scope is None or r.get("scope") == scope or in_scope(store, r.get("scope", ""), scope)
                 or in_scope(store, scope, r.get("scope", "")))]
    rows.sort(key=lambda r: (str(r.get("created_at") or ""), r["id"]))
    return rows[-1] if rows else None


@router.get("/me", response_model=Me, summary="当前令牌的角色与范围 / who the token is")
def me(store: StoreDep, principal: PrincipalDep) -> dict:
    name = level = None
    if principal.scope:
        level = store.label_of(principal.scope)
        node = store.get(level, principal.scope) if level else None
        name = (node or {}).get("name")
    return {"role": principal.role, "role_zh": ROLE_ZH[principal.role], "scope": principal.scope,
            "scope_name": name, "scope_level": level, "sub": principal.sub,
            "may": sorted(a for a in ACTIONS if can(principal, a))}


@router.get("/taxonomy", response_model=Taxonomy, summary="词汇与中文标签 / the vocabulary with labels")
def taxonomy(principal: PrincipalDep) -> dict:
    def terms(d: Any) -> list[dict]:
        return [{"code": t.code, "zh": t.zh, "en": t.en} for t in (d.values() if isinstance(d, dict) else d)]

    def pairs(d: dict[str, tuple[str, str]]) -> list[dict]:
        return [{"code": c, "zh": zh, "en": en} for c, (zh, en) in d.items()]

    return {
        "dimensions": [{"code": t.code, "zh": t.zh[:4], "en": t.en} for t in DIMENSIONS.values()],
        "demand_categories": [{"code": c.code, "zh": c.zh, "en": c.en, "dimension": c.dimension}
                              for c in DEMAND_CATEGORIES.values()],
        "resource_kinds": [{"code": k.code, "zh": k.zh, "en": k.en} for k in RESOURCE_KINDS.values()],
        "unit_types": terms(UNIT_TYPES),
        "levels": terms(LEVELS),
        "travel_modes": terms(TRAVEL_MODES),
        "project_states": pairs(STATE_LABELS),
        "round_states": pairs(ROUND_STATE_LABELS),
        "demand_states": terms(DEMAND_STATUSES.terms),
        # a round's stage is its status while no runner reports a live one (api.jobs)
        "stages": pairs({**ROUND_STATE_LABELS, **STAGE_LABELS, **WHATIF_STAGE_LABELS}),
        "solver_statuses": pairs(STATUS_LABELS),
        "score_terms": pairs(TERM_LABELS),
        "list_kinds": [{"code": k, "zh": s.zh, "en": s.en} for k, s in LISTS.items()],
        "wish_states": pairs(wishes.STATE_LABELS),
        "wish_categories": pairs(wishes.WISH_CATEGORIES),
    }


@router.get("/overview", response_model=Overview, summary="总览：四联四共指标 / the dashboard of an area")
def overview(store: StoreDep, principal: PrincipalDep, scope: ScopeQ = None) -> dict:
    require(store, principal, "read")
    scope = _scope_of(store, principal, scope)
    communities = store.communities_of(scope) if scope else store.find("Community")
    units = store.units_of(scope) if scope else store.find("Unit")
    resources = store.resources_of(scope) if scope else store.find("Resource")
    demands = store.demands_of(scope) if scope else store.find("Demand")
    grids = store.grids_of(scope) if scope else store.find("Grid")
    rnd = _last_round(store, scope)
    kpis = decode(rnd).get("kpis") or {} if rnd else {}
    projects = store.find("Project", {"round": rnd["id"]}) if rnd else []
    demand_ids = {d["id"] for d in demands}
    projects = [p for p in projects if p.get("demand") in demand_ids]
    cat_of = {d["id"]: d.get("category") for d in demands}
    dim_demands = Counter(DEMAND_CATEGORIES[c].dimension for c in cat_of.values() if c in DEMAND_CATEGORIES)
    dim_projects = Counter(DEMAND_CATEGORIES[cat_of[p["demand"]]].dimension for p in projects
                           if cat_of.get(p["demand"]) in DEMAND_CATEGORIES)
    per_dim = kpis.get("per_dimension") or {}
    per_com = kpis.get("per_community") or {}
    com_of = {d: c for c, d in store.edges("NEEDS")}
    com_demands = Counter(com_of.get(d["id"]) for d in demands)
    com_rows = []
    for c in communities:
        k = per_com.get(c["id"])
        n = int(k["demands"]) if k else com_demands.get(c["id"], 0)
        com_rows.append({"id": c["id"], "name": c.get("name"), "demands": n,
                         "covered": int(k["covered"]) if k else 0,
                         "coverage": float(k["coverage_weighted"]) if k else 0.0})
    unit_of = {r: u for u, r in store.edges("OFFERS")}  # find() leaves a resource's unit off
    offering = {r.get("unit") or unit_of.get(r["id"]) for r in resources}
    project_ids = {p["id"] for p in projects}
    in_projects = {a.get("unit") for a in store.find("Allocation") if a.get("project") in project_ids}
    by_type: dict[str, list[int]] = {t: [0, 0, 0] for t in UNIT_TYPES}
    for u in units:
        row = by_type.get(u.get("type", ""))
        if row is None:
            continue
        row[0] += 1
        row[1] += u["id"] in offering
        row[2] += u["id"] in in_projects
    last = None
    if rnd:
        r = decode(rnd)
        last = {k: r.get(k) for k in ("id", "scope", "year", "status", "solver_status", "gap", "created_at")}
        last["coverage_weighted"] = kpis.get("coverage_weighted")
    return {
        "scope": scope,
        "counts": {"communities": len(communities), "grids": len(grids), "units": len(units),
                   "resources": len(resources), "demands": len(demands), "projects": len(projects),
                   "open_projects": sum(1 for p in projects if p.get("status") in HOLDING)},
        "dimensions": [{"code": code, "demands": dim_demands.get(code, 0), "projects": dim_projects.get(code, 0),
                        "coverage": (per_dim.get(code) or {}).get("coverage_weighted")} for code in DIMENSIONS],
        "communities": com_rows,
        "unit_types": [{"code": t, "units": a, "offering": b, "in_projects": c,
                        "utilisation": round(c / b, 4) if b else 0.0} for t, (a, b, c) in by_type.items() if a],
        "last_round": last,
        "project_states": dict(Counter(p.get("status", "") for p in projects)),
    }


@router.get("/map", response_model=dict[str, Any], summary="地图图层：社区、网格、单位与项目连线 / map layers")
def map_layers(
    store: StoreDep, principal: PrincipalDep, scope: ScopeQ = None,
    round_id: Annotated[str | None, Query(alias="round", max_length=200,
                                          description="轮次（缺省为最近一轮）/ round id")] = None,
) -> dict:
    require(store, principal, "read")
    scope = _scope_of(store, principal, scope)
    communities = store.communities_of(scope) if scope else store.find("Community")
    grids = store.grids_of(scope) if scope else store.find("Grid")
    units = store.units_of(scope) if scope else store.find("Unit")
    if round_id is not None:
        rnd = store.get("Round", round_id)
        if rnd is None:
            raise NotFound(f"轮次 {round_id} 不存在", message_en=f"round {round_id} not found")
    else:
        rnd = _last_round(store, scope)

    def pt(n: Props) -> dict | None:
        if n.get("lat") is None or n.get("lon") is None:
            return None
        return {"id": n["id"], "name": n.get("name"), "lat": n["lat"], "lon": n["lon"]}

    where = {c["id"]: c for c in communities}
    unit_at = {u["id"]: u for u in units}
    lines = []
    if rnd is not None:
        projects = {p["id"]: p for p in store.find("Project", {"round": rnd["id"]})}
        demands = {d["id"]: d for d in store.get_many("Demand", {p["demand"] for p in projects.values()})}
        com_of = {d: c for c, d in store.edges("NEEDS")}
        for a in store.find("Allocation"):
            p = projects.get(a.get("project"))
            if p is None:
                continue
            d = demands.get(p["demand"], {})
            c, u = where.get(com_of.get(p["demand"])), unit_at.get(a.get("unit"))
            if c is None or u is None or u.get("lat") is None or c.get("lat") is None:
                continue
            lines.append({"project": p["id"], "unit": u["id"], "community": c["id"],
                          "category": d.get("category"), "dimension": DEMAND_CATEGORIES[d["category"]].dimension
                          if d.get("category") in DEMAND_CATEGORIES else None,
                          "status": p.get("status"),
                          "from": [u["lon"], u["lat"]], "to": [c["lon"], c["lat"]]})
    lines.sort(key=lambda x: (x["project"], x["unit"]))
    # The 15-minute circle: the great-circle radius a walk of DEFAULT_REACH_MINUTES covers.
    radius_km = TRAVEL_SPEED_KMH["walk"] * DEFAULT_REACH_MINUTES / 60 / DETOUR_FACTOR
    return {
        "scope": scope,
        "round": rnd["id"] if rnd else None,
        "communities": [x for x in map(pt, communities) if x],
        "grids": [x for x in map(pt, grids) if x],
        "units": [{**x, "type": unit_at[x["id"]].get("type")} for x in map(pt, units) if x],
        "lines": lines,
        "circle_km": round(radius_km, 3),
        "circle_minutes": DEFAULT_REACH_MINUTES,
    }


SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The bundled what-if scenarios (scenarios/README.md)."""


class ScenarioFile(BaseModel):
    name: str = Field(description="文件名 / file name")
    label_zh: str | None = Field(default=None, description="中文名称 / label")
    label_en: str | None = Field(default=None, description="English label")
    text: str = Field(description="情景文件内容（YAML）/ the scenario file")


@router.get("/scenario-files", response_model=list[ScenarioFile], summary="内置推演情景 / bundled scenarios")
def scenario_files(store: StoreDep, principal: PrincipalDep) -> list[dict]:
    require(store, principal, "round.what_if", what=("查看推演", "read a what-if scenario"))
    out = []
    for p in sorted(SCENARIO_DIR.glob("*.yaml")):
        text = p.read_text(encoding="utf-8")
        try:
            head = yaml.safe_load(text) or {}
        except yaml.YAMLError:
            continue
        out.append({"name": p.name, "label_zh": head.get("label_zh"), "label_en": head.get("label_en"), "text": text})
    return out
