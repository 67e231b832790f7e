"""The demand list: read, create, update (If-Match), delete (If-Match); a unit's direct claim
of an unmatched demand; the one-item recommendation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from engine import lifecycle
from engine.access import require
from engine.errors import NotFound
from engine.lists import items
from engine.matching.recommend import Recommendation, recommend
from engine.store.base import GraphStore

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
from .resources import IfMatch

DemandId = path_id("需求编号 / demand id")

router = APIRouter(tags=["demands"])


def load_demand(store: GraphStore, did: str) -> dict[str, Any]:
    return items.load(store, "Demand", did)


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
        props = body.model_dump(exclude={"id", "community"}, exclude_none=True)
        d = items.create(store, principal.actor(), "Demand", props, owner=body.community, item_id=body.id,
                         grid=body.grid)
        return 201, d, {"ETag": etag(d.get("version")), "Location": f"/api/v1/demands/{d['id']}"}

    return idem.run(run)


@router.patch("/demands/{demand_id}", response_model=DemandOut, summary="修改需求（须 If-Match）/ update a demand")
def update_demand(demand_id: DemandId, body: DemandUpdate, store: StoreDep, principal: PrincipalDep, response: Response,
                  if_match: IfMatch) -> dict:
    cur = load_demand(store, demand_id)
    require(store, principal, "demand.write", areas=[cur["community"] or ""], what=("修改需求", "change a demand"))
    version = if_match_version(if_match, required=True)
    d = items.update(store, principal.actor(), "Demand", demand_id,
                     body.model_dump(exclude_unset=True, exclude_none=True), version=version)
    response.headers["ETag"] = etag(d.get("version"))
    return d


@router.delete("/demands/{demand_id}", status_code=204, summary="删除需求（须 If-Match）/ delete a demand")
def delete_demand(demand_id: DemandId, store: StoreDep, principal: PrincipalDep, if_match: IfMatch) -> Response:
    cur = load_demand(store, demand_id)
    require(store, principal, "demand.write", areas=[cur["community"] or ""], what=("删除需求", "delete a demand"))
    version = if_match_version(if_match, required=True)
    items.delete(store, principal.actor(), "Demand", demand_id, version=version)
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
