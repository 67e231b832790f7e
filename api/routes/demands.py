"""The demand list: read, create, update (If-Match), delete (If-Match); a unit's direct claim
of an unmatched demand; the one-item recommendation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from engine import lifecycle
from engine.access import require
from engine.errors import Conflict, NotFound
from engine.matching.recommend import Recommendation, recommend
from engine.store.base import Batch, GraphStore

from ..deps import PrincipalDep, StoreDep
from ..idempotency import IdemDep
from ..schemas import (
    DemandCategoryCode,
    DemandClaimBody,
    DemandCreate,
    DemandOut,
    DemandStatus,
    DemandUpdate,
    IdStr,
    Page,
    ProjectOut,
    path_id,
)
from ..util import AREAS, Limit, Skip, etag, if_match_version, known, page
from .resources import IfMatch, _now, delete_item

DemandId = path_id("需求编号 / demand id")

router = APIRouter(tags=["demands"])


def load_demand(store: GraphStore, did: str) -> dict[str, Any]:
    d = store.get("Demand", did)
    if d is None:
        raise NotFound(f"需求 {did} 不存在", message_en=f"demand {did} not found")
    return {**d, "community": store.community_of(did)}


@router.get("/demands", response_model=Page[DemandOut], summary="需求清单 / demand list")
def list_demands(
    store: StoreDep, principal: PrincipalDep,
    scope: Annotated[IdStr | None, Query(description="区域编号 / area id")] = None,
    category: Annotated[DemandCategoryCode | None, Query(description="需求类别 / category")] = None,
    status: Annotated[DemandStatus | None, Query(description="状态 / status")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度 / year")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    known(store, scope, *AREAS)
    if scope:
        rows = store.demands_of(scope, year)
        rows = [r for r in rows if (category is None or r.get("category") == category)
                and (status is None or r.get("status") == status)]
        return page(rows, skip, limit)
    where: dict[str, Any] = {k: v for k, v in (("category", category), ("status", status), ("year", year))
                             if v is not None}
    rows = store.find("Demand", where or None)
    items = [{**r, "community": store.community_of(r["id"])} for r in rows[skip: skip + limit]]
    return page(items, skip, limit, total=len(rows))


@router.get("/demands/{demand_id}", response_model=DemandOut, summary="需求详情（带 ETag）/ one demand")
def get_demand(demand_id: DemandId, store: StoreDep, principal: PrincipalDep, response: Response) -> dict:
    require(store, principal, "read")
    d = load_demand(store, demand_id)
    response.headers["ETag"] = etag(d.get("version"))
    return d


@router.post("/demands", status_code=201, response_model=DemandOut, summary="新增需求 / create a demand")
def create_demand(body: DemandCreate, store: StoreDep, principal: PrincipalDep, idem: IdemDep) -> Response:
    def run() -> tuple[int, Any, dict[str, str]]:
        if store.get("Community", body.community) is None:
            raise NotFound(f"社区 {body.community} 不存在", message_en=f"community {body.community} not found")
        require(store, principal, "demand.write", areas=[body.community], what=("新增需求", "create a demand"))
        if body.grid is not None and store.get("Grid", body.grid) is None:
            raise NotFound(f"网格 {body.grid} 不存在", message_en=f"grid {body.grid} not found")
        if body.grid is not None and (store.parent_of(body.grid) or {}).get("id") != body.community:
            raise Conflict(f"网格 {body.grid} 不属于社区 {body.community}",
                               message_en=f"grid {body.grid} is not in community {body.community}")
        did = body.id or f"DEM-{uuid.uuid4().hex[:12]}"
        if store.label_of(did) is not None:
            raise Conflict(f"编号 {did} 已存在", message_en=f"id {did} already exists")
        props = body.model_dump(exclude={"id", "community"}, exclude_none=True)
        b = Batch()
        b.node("Demand", did, **props, status="open", version=1, updated_at=_now())
        b.rel("NEEDS", "Community", body.community, "Demand", did)
        if body.grid:
            b.rel("LOCATED_IN", "Demand", did, "Grid", body.grid)
        lifecycle.event(b, principal.actor(), "demand.create", [("Demand", did), ("Community", body.community)],
                        to_state="open")
        store.write(b)
        d = load_demand(store, did)
        return 201, d, {"ETag": etag(d.get("version")), "Location": f"/api/v1/demands/{did}"}

    return idem.run(run)


@router.patch("/demands/{demand_id}", response_model=DemandOut, summary="修改需求（须 If-Match）/ update a demand")
def update_demand(demand_id: DemandId, body: DemandUpdate, store: StoreDep, principal: PrincipalDep, response: Response,
                  if_match: IfMatch) -> dict:
    cur = load_demand(store, demand_id)
    require(store, principal, "demand.write", areas=[cur["community"] or ""], what=("修改需求", "change a demand"))
    version = if_match_version(if_match, required=True)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    b = Batch()
    lifecycle.event(b, principal.actor(), "demand.update", [("Demand", demand_id)], data={"fields": sorted(changes)})
    store.transition("Demand", demand_id, {"version": version} if version is not None else {},
                     {**changes, "updated_at": _now()}, b)
    d = load_demand(store, demand_id)
    response.headers["ETag"] = etag(d.get("version"))
    return d


@router.delete("/demands/{demand_id}", status_code=204, summary="删除需求（须 If-Match）/ delete a demand")
def delete_demand(demand_id: DemandId, store: StoreDep, principal: PrincipalDep, if_match: IfMatch) -> Response:
    cur = load_demand(store, demand_id)
    require(store, principal, "demand.write", areas=[cur["community"] or ""], what=("删除需求", "delete a demand"))
    version = if_match_version(if_match, required=True)
    delete_item(store, principal, "Demand", demand_id, cur, version)
    return Response(status_code=204)


@router.post("/demands/{demand_id}/claim", status_code=201, response_model=ProjectOut,
             summary="单位直接认领未匹配需求 / a unit claims an unmatched demand")
def claim_demand(demand_id: DemandId, body: DemandClaimBody, store: StoreDep, principal: PrincipalDep,
                 idem: IdemDep) -> Response:
    def run() -> tuple[int, Any]:
        from .projects import claimant, project_view

        load_demand(store, demand_id)
        unit = claimant(store, principal, body.unit, body.resource, [])
        require(store, principal, "demand.claim", units=[unit], what=("认领需求", "claim a demand"))
        p = lifecycle.claim_demand(store, demand_id, unit, body.resource, principal.actor(), amount=body.amount)

        return 201, project_view(store, p)

    return idem.run(run)


@router.get("/demands/{demand_id}/recommendations", response_model=list[Recommendation],
            summary="为单项需求推荐共建单位 / best units for this demand now")
def recommendations(
    demand_id: DemandId, store: StoreDep, principal: PrincipalDep,
    k: Annotated[int, Query(ge=1, le=50, description="推荐个数 / how many")] = 5,
) -> list[Recommendation]:
    require(store, principal, "read")
    return recommend(store, demand_id, k=k)
