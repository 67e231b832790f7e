"""The resource list: read, create, update (If-Match), delete (If-Match); a community's
request for a unit's resource."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from engine import lifecycle
from engine.access import require
from engine.errors import Conflict, NotFound
from engine.lifecycle import now as _now
from engine.store.base import Batch, GraphStore

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
    r = store.get("Resource", rid)
    if r is None:
        raise NotFound(f"资源 {rid} 不存在", message_en=f"resource {rid} not found")
    return {**r, "unit": store.unit_of(rid)}


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
        if store.get("Unit", body.unit) is None:
            raise NotFound(f"单位 {body.unit} 不存在", message_en=f"unit {body.unit} not found")
        rid = body.id or f"RES-{uuid.uuid4().hex[:12]}"
        if store.label_of(rid) is not None:
            raise Conflict(f"编号 {rid} 已存在", message_en=f"id {rid} already exists")
        props = body.model_dump(exclude={"id", "unit"}, exclude_none=True)
        b = Batch()
        b.node("Resource", rid, **props, version=1, updated_at=_now())
        b.rel("OFFERS", "Unit", body.unit, "Resource", rid)
        lifecycle.event(b, principal.actor(), "resource.create", [("Resource", rid), ("Unit", body.unit)],
                        to_state="listed")
        store.write(b)
        r = load_resource(store, rid)
        return 201, r, {"ETag": etag(r.get("version")), "Location": f"/api/v1/resources/{rid}"}

    return idem.run(run)


@router.patch("/resources/{resource_id}", response_model=ResourceOut,
              summary="修改资源（须 If-Match）/ update a resource")
def update_resource(resource_id: ResourceId, body: ResourceUpdate, store: StoreDep, principal: PrincipalDep,
                    response: Response, if_match: IfMatch) -> dict:
    cur = load_resource(store, resource_id)
    require(store, principal, "resource.write", units=[cur["unit"]], what=("修改资源", "change a resource"))
    version = if_match_version(if_match, required=True)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    b = Batch()
    lifecycle.event(b, principal.actor(), "resource.update", [("Resource", resource_id)],
                    data={"fields": sorted(changes)})
    expect = {"version": version} if version is not None else {}
    store.transition("Resource", resource_id, expect, {**changes, "updated_at": _now()}, b)
    r = load_resource(store, resource_id)
    response.headers["ETag"] = etag(r.get("version"))
    return r


@router.delete("/resources/{resource_id}", status_code=204, summary="删除资源（须 If-Match）/ delete a resource")
def delete_resource(resource_id: ResourceId, store: StoreDep, principal: PrincipalDep, if_match: IfMatch) -> Response:
    cur = load_resource(store, resource_id)
    require(store, principal, "resource.write", units=[cur["unit"]], what=("删除资源", "delete a resource"))
    version = if_match_version(if_match, required=True)
    delete_item(store, principal, "Resource", resource_id, cur, version)
    return Response(status_code=204)


def delete_item(store: GraphStore, principal: Any, label: str, item_id: str, cur: dict[str, Any],
                version: int | None) -> None:
    """Delete a list item after checking its version; refused while a project holds it."""
    from engine.errors import StaleVersion

    if version is not None and int(cur.get("version") or 0) != version:
        raise StaleVersion(f"{item_id} 已被修改（版本 {cur.get('version')}，请求版本 {version}）",
                           message_en=f"{item_id} changed meanwhile (version {cur.get('version')}, you sent {version})")
    key = "resource" if label == "Resource" else "demand"
    if label == "Resource":
        held = [a for a in store.find("Allocation", {"resource": item_id})
                if (store.get("Project", a["project"]) or {}).get("status") in lifecycle.HOLDING[1:]]
    else:
        held = [p for p in store.find("Project", {"demand": item_id}) if p.get("status") in lifecycle.HOLDING[1:]]
    if held:
        raise Conflict(f"{item_id} 有进行中的共建项目，不能删除", message_en=f"{item_id} has a project under way")
    b = Batch()
    lifecycle.event(b, principal.actor(), f"{key}.delete", [(label, item_id)], why=item_id,
                    data={"id": item_id, "label": label})
    store.write(b)
    store.delete(label, item_id)


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
