"""Read the hierarchy, units, party organisations and members, with filters and pagination."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from engine.access import require
from engine.errors import NotFound

from ..deps import PrincipalDep, StoreDep
from ..schemas import Area, IdStr, MemberOut, OrgKind, OrgLevel, Page, PartyOrgOut, UnitOut, UnitTypeCode, path_id
from ..util import AREAS, Limit, Skip, known, page

router = APIRouter()

Parent = Annotated[IdStr | None, Query(description="上级区域编号 / parent area id")]
Within = Annotated[IdStr | None, Query(description="只列出此区域内的 / only inside this area")]


def _areas(store: StoreDep, label: str, parent: str | None, within: str | None, skip: int, limit: int) -> dict:
    known(store, parent, *AREAS)
    known(store, within, *AREAS)
    rows = store.find(label)
    out: list[dict[str, Any]] = []
    for r in rows:
        par = store.parent_of(r["id"])
        pid = par["id"] if par else None
        if parent is not None and pid != parent:
            continue
        if within is not None and within != r["id"] and within not in {x["id"] for x in store.path_to_city(r["id"])}:
            continue
        out.append({**r, "level": label, "parent": pid})
    return page(out, skip, limit)


def _area_route(path: str, label: str, zh: str) -> None:
    def handler(store: StoreDep, principal: PrincipalDep, parent: Parent = None, within: Within = None,
                skip: Skip = 0, limit: Limit = 100) -> dict:
        require(store, principal, "read")
        return _areas(store, label, parent, within, skip, limit)

    handler.__name__ = f"list_{path}"
    router.add_api_route(f"/{path}", handler, methods=["GET"], response_model=Page[Area], tags=["hierarchy"],
                         summary=f"{zh}列表 / {path}")


for _p, _l, _z in (("districts", "District", "区县"), ("streets", "Street", "街道"),
                   ("communities", "Community", "社区"), ("grids", "Grid", "网格")):
    _area_route(_p, _l, _z)


@router.get("/areas/{area_id}", response_model=Area, tags=["hierarchy"], summary="区域详情 / one area")
def get_area(area_id: path_id("区域编号 / area id"), store: StoreDep, principal: PrincipalDep) -> dict:
    require(store, principal, "read")
    label = store.label_of(area_id)
    if label not in AREAS:
        raise NotFound(f"区域 {area_id} 不存在", message_en=f"area {area_id} not found")
    r = store.get(label, area_id) or {}
    par = store.parent_of(area_id)
    return {**r, "level": label, "parent": par["id"] if par else None,
            "path": [x["id"] for x in store.path_to_city(area_id)]}


@router.get("/units", response_model=Page[UnitOut], tags=["units"], summary="共建单位列表 / units")
def list_units(
    store: StoreDep, principal: PrincipalDep,
    scope: Annotated[IdStr | None, Query(description="所在区域 / located in this area")] = None,
    type: Annotated[UnitTypeCode | None, Query(description="单位类型 / unit type code")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    known(store, scope, *AREAS)
    rows = store.units_of(scope) if scope else store.find("Unit")
    if type:
        rows = [u for u in rows if u.get("type") == type]
    return page(rows, skip, limit)


@router.get("/units/{unit_id}", response_model=UnitOut, tags=["units"], summary="单位详情 / one unit")
def get_unit(unit_id: path_id("单位编号 / unit id"), store: StoreDep, principal: PrincipalDep) -> dict:
    require(store, principal, "read")
    u = store.get("Unit", unit_id)
    if u is None:
        raise NotFound(f"单位 {unit_id} 不存在", message_en=f"unit {unit_id} not found")
    return u


@router.get("/party-orgs", response_model=Page[PartyOrgOut], tags=["units"], summary="党组织列表 / party orgs")
def list_orgs(
    store: StoreDep, principal: PrincipalDep,
    kind: Annotated[OrgKind | None, Query(description="类型 / kind")] = None,
    level: Annotated[OrgLevel | None, Query(description="层级 / level")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    where = {k: v for k, v in (("kind", kind), ("level", level)) if v}
    return page(store.find("PartyOrg", where or None, skip, limit), skip, limit,
                total=store.count("PartyOrg", where or None))


@router.get("/members", response_model=Page[MemberOut], tags=["units"], summary="党员列表 / members")
def list_members(
    store: StoreDep, principal: PrincipalDep,
    in_service: Annotated[bool | None, Query(description="是否在职党员 / in service")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    where = {"in_service": in_service} if in_service is not None else None
    return page(store.find("Member", where, skip, limit), skip, limit, total=store.count("Member", where))
