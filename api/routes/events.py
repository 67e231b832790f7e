"""Audit events, read only (there is no route that updates or deletes an event)."""

from __future__ import annotations

from fastapi import APIRouter

from engine.access import require, require_member
from engine.errors import NotFound
from engine.store.base import GraphStore
from engine.wishes import get_member

from ..deps import PrincipalDep, StoreDep
from ..schemas import EventOut, Page, path_id
from ..util import Limit, Skip, decode, page

router = APIRouter(tags=["events"])


def _events(store: GraphStore, label: str, node_id: str, skip: int, limit: int) -> dict:
    if store.get(label, node_id) is None:
        raise NotFound(f"{node_id} 不存在", message_en=f"{label} {node_id} not found")
    return page([decode(e) for e in store.events_about(node_id)], skip, limit)


@router.get("/projects/{project_id}/events", response_model=Page[EventOut], summary="项目的事件 / a project's events")
def project_events(project_id: path_id("项目编号 / project id"), store: StoreDep, principal: PrincipalDep,
                   skip: Skip = 0,
                   limit: Limit = 100) -> dict:
    require(store, principal, "read")
    return _events(store, "Project", project_id, skip, limit)


@router.get("/units/{unit_id}/events", response_model=Page[EventOut], summary="单位的事件 / a unit's events")
def unit_events(unit_id: path_id("单位编号 / unit id"), store: StoreDep, principal: PrincipalDep,
                skip: Skip = 0, limit: Limit = 100) -> dict:
    require(store, principal, "read")
    return _events(store, "Unit", unit_id, skip, limit)


@router.get("/rounds/{round_id}/events", response_model=Page[EventOut], summary="轮次的事件 / a round's events")
def round_events(round_id: path_id("轮次编号 / round id"), store: StoreDep, principal: PrincipalDep,
                 skip: Skip = 0, limit: Limit = 100) -> dict:
    require(store, principal, "read")
    return _events(store, "Round", round_id, skip, limit)


@router.get("/wishes/{wish_id}/events", response_model=Page[EventOut], summary="心愿的事件 / a wish's events")
def wish_events(wish_id: path_id("心愿编号 / wish id"), store: StoreDep, principal: PrincipalDep,
                skip: Skip = 0, limit: Limit = 100) -> dict:
    require(store, principal, "read")
    return _events(store, "Wish", wish_id, skip, limit)


@router.get("/members/{member_id}/events", response_model=Page[EventOut],
            summary="党员的事件（认领、积分）/ a member's events: claims, points")
def member_events(member_id: path_id("党员编号 / member id"), store: StoreDep, principal: PrincipalDep,
                  skip: Skip = 0, limit: Limit = 100) -> dict:
    get_member(store, member_id)
    require_member(store, principal, "points.read", member_id, what=("查看此党员的事件", "read this member's events"))
    return _events(store, "Member", member_id, skip, limit)
