"""The life of a co-building project: claim, confirm, decline, withdraw, start, progress,
complete, evaluate. States and claims are the engine's (engine.lifecycle); an illegal step
is a 409 with the reason; ``If-Match`` (optional here) pins the version the caller saw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response

from engine import lifecycle
from engine.access import Principal, require, require_party
from engine.errors import Conflict, NotFound
from engine.store.base import GraphStore, Props

from ..deps import PrincipalDep, StoreDep
from ..idempotency import IdemDep
from ..schemas import (
    ClaimBody,
    DeclineBody,
    EvaluateBody,
    IdStr,
    Page,
    ProgressBody,
    ProjectOut,
    ProjectState,
    StartBody,
    WithdrawBody,
    path_id,
)
from ..util import ETAG_PATTERN, Limit, Skip, decode, etag, if_match_version, known, page

router = APIRouter(tags=["projects"])

IfMatchOpt = Annotated[str | None, Header(alias="If-Match", max_length=100, pattern=ETAG_PATTERN,
                                          description="可选：项目版本（ETag）/ optional project ETag")]
ProjectId = path_id("项目编号 / project id")


def project_view(store: GraphStore, p: Props) -> dict[str, Any]:
    out = decode(p)
    out["community"] = store.community_of(p["demand"]) if p.get("demand") else None
    out["allocations"] = [decode(a) for a in store.find("Allocation", {"project": p["id"]})]
    # who answers a pending claim: a unit's claim waits for the community, a community's request
    # for the unit (so each side's inbox shows it, and only the answering side offers confirm)
    out["awaiting"] = lifecycle.other_side(store, p["id"]) if p.get("status") == "claimed" else None
    return out


def load_project(store: GraphStore, pid: str) -> Props:
    p = store.get("Project", pid)
    if p is None:
        raise NotFound(f"项目 {pid} 不存在", message_en=f"project {pid} not found")
    return p


@router.get("/projects", response_model=Page[ProjectOut], summary="项目列表 / projects")
def list_projects(
    store: StoreDep, principal: PrincipalDep,
    round: Annotated[IdStr | None, Query(description="轮次编号 / round id")] = None,
    status: Annotated[ProjectState | None, Query(description="状态 / state")] = None,
    unit: Annotated[IdStr | None, Query(description="参与单位 / unit id")] = None,
    community: Annotated[IdStr | None, Query(description="社区 / community id")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    return filtered_projects(store, skip, limit, round=round, status=status, unit=unit, community=community)


def filtered_projects(store: GraphStore, skip: int, limit: int, *, round: str | None = None,
                      status: str | None = None, unit: str | None = None, community: str | None = None) -> dict:
    """Projects matching the filters; a filter naming a round, unit or community that does not
    exist is a 404."""
    known(store, round, "Round")
    known(store, unit, "Unit")
    known(store, community, "Community")
    where = {k: v for k, v in (("round", round), ("status", status)) if v is not None}
    if unit is None and community is None:  # the store pages: only one page leaves it
        rows = store.find("Project", where or None, skip=skip, limit=limit)
        return page([project_view(store, p) for p in rows], skip, limit, total=store.count("Project", where or None))
    rows = store.find("Project", where or None)
    if unit is not None:
        mine = {a["project"] for a in store.find("Allocation", {"unit": unit})}
        rows = [p for p in rows if p["id"] in mine]
    if community is not None:
        rows = [p for p in rows if store.community_of(p["demand"]) == community]
    return page([project_view(store, p) for p in rows[skip: skip + limit]], skip, limit, total=len(rows))


@router.get("/projects/{project_id}", response_model=ProjectOut, summary="项目详情（带 ETag）/ one project")
def get_project(project_id: ProjectId, store: StoreDep, principal: PrincipalDep, response: Response) -> dict:
    require(store, principal, "read")
    p = load_project(store, project_id)
    response.headers["ETag"] = etag(p.get("version"))
    return project_view(store, p)


def claimant(store: GraphStore, principal: Principal, unit: str | None, resource: str | None,
             units: list[str]) -> str:
    """Who claims when the body names no unit: a unit caller itself, else the unit offering the
    named resource, else the item's only unit. Several units and none named is a 409: the
    request is well formed, the item's state leaves the choice open."""
    if unit is None and principal.role == "unit":
        unit = principal.scope
    if unit is None and resource is not None:
        if store.get("Resource", resource) is None:
            raise NotFound(f"资源 {resource} 不存在", message_en=f"resource {resource} not found")
        unit = store.unit_of(resource)
    if unit is None and len(units) == 1:
        unit = units[0]
    if unit is None:
        raise Conflict("请指定认领单位（该项目涉及多家单位或尚无单位）",
                       message_en="name the claiming unit: the item has several units or none")
    return unit


def _act(store: GraphStore, idem: Any, fn: Callable[[], Props]) -> Response:
    def run() -> tuple[int, Any, dict[str, str]]:
        p = fn()
        return 200, project_view(store, p), {"ETag": etag(p.get("version"))}

    return idem.run(run)


def _parties(store: GraphStore, pid: str) -> tuple[Props, str | None, list[str]]:
    p = load_project(store, pid)
    return p, lifecycle.project_community(store, p), lifecycle.project_units(store, pid)


@router.post("/projects/{project_id}/claim", response_model=ProjectOut,
             summary="单位认领项目 / a unit claims a project")
def claim(project_id: ProjectId, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
          body: ClaimBody | None = None, if_match: IfMatchOpt = None) -> Response:
    body = body or ClaimBody()

    def go() -> Props:
        load_project(store, project_id)
        unit = claimant(store, principal, body.unit, body.resource, lifecycle.project_units(store, project_id))
        require(store, principal, "project.claim", units=[unit], what=("认领项目", "claim a project"))
        return lifecycle.claim_project(store, project_id, unit, principal.actor(),
                                       version=if_match_version(if_match, required=False), resource_id=body.resource)

    return _act(store, idem, go)


@router.post("/projects/{project_id}/confirm", response_model=ProjectOut,
             summary="另一方确认，签订共建协议 / the other side confirms")
def confirm(project_id: ProjectId, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
            if_match: IfMatchOpt = None) -> Response:
    def go() -> Props:
        _, community, units = _parties(store, project_id)
        side = lifecycle.other_side(store, project_id)
        require_party(store, principal, "project.answer", side, community=community, units=units,
                      what=("确认此项目", "confirm this project"))
        return lifecycle.confirm(store, project_id, principal.actor(),
                                 version=if_match_version(if_match, required=False))

    return _act(store, idem, go)


@router.post("/projects/{project_id}/decline", response_model=ProjectOut,
             summary="婉拒（须说明原因）/ decline with a reason")
def decline(project_id: ProjectId, body: DeclineBody, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
            if_match: IfMatchOpt = None) -> Response:
    def go() -> Props:
        _, community, units = _parties(store, project_id)
        require(store, principal, "project.answer", units=units, areas=[community] if principal.role != "unit" else [],
                what=("婉拒此项目", "decline this project"))
        return lifecycle.decline(store, project_id, principal.actor(), body.reason,
                                 version=if_match_version(if_match, required=False))

    return _act(store, idem, go)


@router.post("/projects/{project_id}/withdraw", response_model=ProjectOut, summary="撤回认领 / withdraw a claim")
def withdraw(project_id: ProjectId, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
             body: WithdrawBody | None = None, if_match: IfMatchOpt = None) -> Response:
    body = body or WithdrawBody()

    def go() -> Props:
        _, _, units = _parties(store, project_id)
        require(store, principal, "project.withdraw", units=units, what=("撤回此认领", "withdraw this claim"))
        return lifecycle.withdraw(store, project_id, principal.actor(), body.reason,
                                  version=if_match_version(if_match, required=False))

    return _act(store, idem, go)


def _work(store: GraphStore, principal: Principal, pid: str, what: tuple[str, str]) -> None:
    _, community, units = _parties(store, pid)
    require(store, principal, "project.work", units=units, areas=[community] if principal.role != "unit" else [],
            what=what)


@router.post("/projects/{project_id}/start", response_model=ProjectOut, summary="开始实施 / start")
def start(project_id: ProjectId, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
          body: StartBody | None = None, if_match: IfMatchOpt = None) -> Response:
    body = body or StartBody()

    def go() -> Props:
        _work(store, principal, project_id, ("开始实施此项目", "start this project"))
        return lifecycle.start(store, project_id, principal.actor(), due=body.due,
                               version=if_match_version(if_match, required=False))

    return _act(store, idem, go)


@router.post("/projects/{project_id}/progress", response_model=ProjectOut, summary="报告进度 / report progress")
def progress(project_id: ProjectId, body: ProgressBody, store: StoreDep, principal: PrincipalDep,
             idem: IdemDep) -> Response:
    def go() -> Props:
        _work(store, principal, project_id, ("报告此项目进度", "report progress on this project"))
        return lifecycle.report_progress(store, project_id, principal.actor(), body.progress, body.note)

    return _act(store, idem, go)


@router.post("/projects/{project_id}/complete", response_model=ProjectOut, summary="完成 / complete")
def complete(project_id: ProjectId, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
             if_match: IfMatchOpt = None) -> Response:
    def go() -> Props:
        _work(store, principal, project_id, ("完成此项目", "complete this project"))
        return lifecycle.complete(store, project_id, principal.actor(),
                                  version=if_match_version(if_match, required=False))

    return _act(store, idem, go)


@router.post("/projects/{project_id}/evaluate", response_model=ProjectOut,
             summary="评价（更新单位可靠度）/ evaluate; feeds the unit's reliability")
def evaluate(project_id: ProjectId, body: EvaluateBody, store: StoreDep, principal: PrincipalDep, idem: IdemDep,
             if_match: IfMatchOpt = None) -> Response:
    def go() -> Props:
        _, community, _ = _parties(store, project_id)
        require(store, principal, "project.evaluate", areas=[community], what=("评价此项目", "evaluate this project"))
        return lifecycle.evaluate(store, project_id, principal.actor(), body.rating, body.satisfaction, body.comment,
                                  version=if_match_version(if_match, required=False))

    return _act(store, idem, go)
