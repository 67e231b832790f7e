"""The resource list: read, create, update (If-Match), delete (If-Match); a community's
request for a unit's resource. Who may act is engine.access's; what a write may change is
engine.lists.items' (the same rules as an import)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from engine import lifecycle
from engine.access import require
from engine.errors import NotFound
from engine.lists import items
from engine.store.base import GraphStore

from ..deps import PrincipalDep, StoreDep
from ..idempotency import IdemDep
from ..schemas import (
    IdStr,
    Page,
    ProjectOut,
    ResourceCreate,
    ResourceKindCode,
    ResourceOut,
    ResourceRequestBody,
    ResourceUpdate,
    path_id,
)
from ..util import AREAS, ETAG_PATTERN, Limit, Skip, etag, if_match_version, known, page

router = APIRouter(tags=["resources"])

IfMatch = Annotated[str, Header(alias="If-Match", max_length=100, pattern=ETAG_PATTERN,
                                description="读取时得到的 ETag（必填，缺少时 428）/ the ETag you read (required)")]
ResourceId = path_id("资源编号 / resource id")



def load_resource(store: GraphStore, rid: str) -> dict[str, Any]:
    return items.load(store, "Resource", rid)


@router.get("/resources", response_model=Page[ResourceOut], summary="资源清单 / resource list")
def list_resources(
    store: StoreDep, principal: PrincipalDep,
    scope: Annotated[IdStr | None, Query(description="区域编号 / area id")] = None,
    unit: Annotated[IdStr | None, Query(description="单位编号 / unit id")] = None,
    category: Annotated[ResourceKindCode | None, Query(description="资源类别 / kind")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="年度 / year")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    known(store, scope, *AREAS)
    known(store, unit, "Unit")
    if scope:
        rows = store.resources_of(scope, year)
    else:
        where: dict[str, Any] = {k: v for k, v in (("category", category), ("year", year)) if v is not None}
        rows = store.find("Resource", where or None)
        if unit is None:
            owners = {r["id"]: store.unit_of(r["id"]) for r in rows[skip: skip + limit]}
            total = len(rows)
            return page([{**r, "unit": owners[r["id"]]} for r in rows[skip: skip + limit]], skip, limit, total)
        rows = [{**r, "unit": store.unit_of(r["id"])} for r in rows]
    if unit:
        rows = [r for r in rows if r.get("unit") == unit]
    if category:
        rows = [r for r in rows if r.get("category") == category]
    return page(rows, skip, limit)


@router.get("/resources/{resource_id}", response_model=ResourceOut, summary="资源详情（带 ETag）/ one resource")
def get_resource(resource_id: ResourceId, store: StoreDep, principal: PrincipalDep, response: Response) -> dict:
    require(store, principal, "read")
    r = load_resource(store, resource_id)
    response.headers["ETag"] = etag(r.get("version"))
    return r


@router.post("/resources", status_code=201, response_model=ResourceOut, summary="新增资源 / create a resource")
def create_resource(body: ResourceCreate, store: StoreDep, principal: PrincipalDep, idem: IdemDep) -> Response:
    def run() -> tuple[int, Any, dict[str, str]]:
        require(store, principal, "resource.write", units=[body.unit], what=("新增资源", "create a resource"))
        props = body.model_dump(exclude={"id", "unit"}, exclude_none=True)
        r = items.create(store, principal.actor(), "Resource", props, owner=body.unit, item_id=body.id)
        return 201, r, {"ETag": etag(r.get("version")), "Location": f"/api/v1/resources/{r['id']}"}

    return idem.run(run)


@router.patch("/resources/{resource_id}", response_model=ResourceOut,
              summary="修改资源（须 If-Match）/ update a resource")
def update_resource(resource_id: ResourceId, body: ResourceUpdate, store: StoreDep, principal: PrincipalDep,
                    response: Response, if_match: IfMatch) -> dict:
    cur = load_resource(store, resource_id)
    require(store, principal, "resource.write", units=[cur["unit"]], what=("修改资源", "change a resource"))
    version = if_match_version(if_match, required=True)
    r = items.update(store, principal.actor(), "Resource", resource_id,
                     body.model_dump(exclude_unset=True, exclude_none=True), version=version)
    response.headers["ETag"] = etag(r.get("version"))
    return r


@router.delete("/resources/{resource_id}", status_code=204, summary="删除资源（须 If-Match）/ delete a resource")
def delete_resource(resource_id: ResourceId, store: StoreDep, principal: PrincipalDep, if_match: IfMatch) -> Response:
    cur = load_resource(store, resource_id)
    require(store, principal, "resource.write", units=[cur["unit"]], what=("删除资源", "delete a resource"))
    version = if_match_version(if_match, required=True)
    items.delete(store, principal.actor(), "Resource", resource_id, version=version)
    return Response(status_code=204)


@router.post("/resources/{resource_id}/requests", status_code=201, response_model=ProjectOut,
             summary="社区申请单位资源 / a community requests a unit's resource")
def request_resource(resource_id: ResourceId, body: ResourceRequestBody, store: StoreDep, principal: PrincipalDep,
                     idem: IdemDep) -> Response:
    def run() -> tuple[int, Any]:
        load_resource(store, resource_id)
        community = store.community_of(body.demand)
        if store.get("Demand", body.demand) is None:
            raise NotFound(f"需求 {body.demand} 不存在", message_en=f"demand {body.demand} not found")
        require(store, principal, "resource.request", areas=[community or ""],
                what=("为该社区申请资源", "request a resource for this community"))
        p = lifecycle.request_resource(store, body.demand, resource_id, principal.actor(), amount=body.amount)
        from .projects import project_view

        return 201, project_view(store, p)

    return idem.run(run)
