"""Rounds as jobs: POST → 202 with the id; GET status and progress; the project list with
explanations, unmet demands with reasons, KPIs; publish; re-round; cancel."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from engine import rounds
from engine.access import WHAT_IF_PREFIX, is_what_if, require
from engine.errors import Conflict
from engine.matching.params import RoundParams
from engine.rounds import load_round
from engine.store.base import GraphStore, Props

from ..deps import JobsDep, PrincipalDep, StoreDep
from ..idempotency import IdemDep
from ..jobs import JobRunner
from ..schemas import (
    IdStr,
    Page,
    ProjectOut,
    ProjectState,
    RoundAccepted,
    RoundCreate,
    RoundOut,
    RoundRerun,
    RoundState,
    UnmetReason,
    path_id,
)
from ..util import SCOPES, Limit, Skip, decode, etag, if_match_version, known, page
from .projects import IfMatchOpt, filtered_projects

router = APIRouter(tags=["rounds"])

RoundId = path_id("轮次编号 / round id")


def round_view(jobs: JobRunner, r: Props, *, full: bool = False) -> dict[str, Any]:
    out = decode(r)
    stage, frac = jobs.progress_of(r)
    out.update(stage=stage, progress=frac, what_if=is_what_if(r))
    if not full:
        out.pop("unmet", None)
    else:
        out["unmet_count"] = len(out.pop("unmet", None) or [])
    return out


def _submit(store: GraphStore, jobs: JobRunner, principal: Any, scope: str, params: RoundParams, *,
            what_if: bool, parent: str | None) -> tuple[int, Any, dict[str, str]]:
    known(store, scope, *SCOPES)
    if what_if:
        require(store, principal, "round.what_if", areas=[scope], what=("模拟推演", "run a what-if round"))
    else:
        require(store, principal, "round.run", areas=[scope], what=("运行匹配", "run a round"))
    run_by = (WHAT_IF_PREFIX if what_if else "") + principal.label
    r = jobs.submit_round(scope, params, run_by=run_by, parent=parent, actor=principal.actor())
    href = f"/api/v1/rounds/{r['id']}"
    return 202, {"id": r["id"], "status": r.get("status", "queued"), "href": href}, {"Location": href}


@router.post("/rounds", status_code=202, response_model=RoundAccepted,
             summary="发起年度匹配（后台任务）/ start a round (job)")
def create_round(body: RoundCreate, store: StoreDep, jobs: JobsDep, principal: PrincipalDep,
                 idem: IdemDep) -> Response:
    params = body.params or RoundParams()
    if body.year is not None:
        params = params.model_copy(update={"year": body.year})
    return idem.run(lambda: _submit(store, jobs, principal, body.scope, params, what_if=body.what_if, parent=None))


@router.get("/rounds", response_model=Page[RoundOut], summary="轮次列表 / rounds")
def list_rounds(
    store: StoreDep, jobs: JobsDep, principal: PrincipalDep,
    scope: Annotated[IdStr | None, Query(description="范围编号 / scope id")] = None,
    status: Annotated[RoundState | None, Query(description="状态 / status")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    known(store, scope, *SCOPES)
    where = {k: v for k, v in (("scope", scope), ("status", status)) if v is not None}
    rows = store.find("Round", where or None)
    return page([round_view(jobs, r) for r in rows[skip: skip + limit]], skip, limit, total=len(rows))


@router.get("/rounds/{round_id}", response_model=RoundOut, summary="轮次状态与进度 / status and progress")
def get_round(round_id: RoundId, store: StoreDep, jobs: JobsDep, principal: PrincipalDep, response: Response) -> dict:
    require(store, principal, "read")
    r = load_round(store, round_id)
    response.headers["ETag"] = etag(r.get("version"))
    return round_view(jobs, r, full=True)


@router.get("/rounds/{round_id}/projects", response_model=Page[ProjectOut],
            summary="轮次的项目清单（含解释）/ the project list with explanations")
def round_projects(
    round_id: RoundId, store: StoreDep, principal: PrincipalDep,
    status: Annotated[ProjectState | None, Query(description="项目状态 / state")] = None,
    unit: Annotated[IdStr | None, Query(description="参与单位 / unit id")] = None,
    community: Annotated[IdStr | None, Query(description="社区 / community id")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    load_round(store, round_id)
    return filtered_projects(store, skip, limit, round=round_id, status=status, unit=unit, community=community)


@router.get("/rounds/{round_id}/unmet", response_model=Page[dict[str, Any]],
            summary="未满足的需求及原因 / unmet demands with reasons")
def round_unmet(
    round_id: RoundId, store: StoreDep, principal: PrincipalDep,
    community: Annotated[IdStr | None, Query(description="社区 / community id")] = None,
    reason: Annotated[UnmetReason | None, Query(description="原因代码 / reason code")] = None,
    skip: Skip = 0, limit: Limit = 100,
) -> dict:
    require(store, principal, "read")
    known(store, community, "Community")
    rows = decode(load_round(store, round_id)).get("unmet") or []
    rows = [u for u in rows if (community is None or u.get("community") == community)
            and (reason is None or u.get("reason") == reason)]
    return page(rows, skip, limit)


@router.get("/rounds/{round_id}/kpis", response_model=dict[str, Any], summary="轮次指标 / KPIs")
def round_kpis(round_id: RoundId, store: StoreDep, principal: PrincipalDep) -> dict:
    require(store, principal, "read")
    r = decode(load_round(store, round_id))
    if r.get("status") not in ("done", "published"):
        raise Conflict(f"轮次状态为 {r.get('status')}，尚无指标", message_en=f"round is {r.get('status')}; no KPIs yet")
    return r.get("kpis") or {}


@router.post("/rounds/{round_id}/publish", response_model=RoundOut,
             summary="发布项目清单（冻结）/ publish the project list")
def publish(round_id: RoundId, store: StoreDep, jobs: JobsDep, principal: PrincipalDep, idem: IdemDep,
            if_match: IfMatchOpt = None) -> Response:
    def run() -> tuple[int, Any, dict[str, str]]:
        r = load_round(store, round_id)
        require(store, principal, "round.publish", areas=[r["scope"]], what=("发布此轮次", "publish this round"))
        out = rounds.publish_round(store, round_id, principal.actor(),
                                   version=if_match_version(if_match, required=False))
        return 200, round_view(jobs, out, full=True), {"ETag": etag(out.get("version"))}

    return idem.run(run)


@router.post("/rounds/{round_id}/rerun", status_code=202, response_model=RoundAccepted,
             summary="二次匹配（固定已确认，排除已婉拒）/ re-round a published round")
def rerun(round_id: RoundId, store: StoreDep, jobs: JobsDep, principal: PrincipalDep, idem: IdemDep,
          body: RoundRerun | None = None) -> Response:
    def run() -> tuple[int, Any, dict[str, str]]:
        scope, params = rounds.rerun_params(load_round(store, round_id), body.params if body else None)
        return _submit(store, jobs, principal, scope, params, what_if=False, parent=round_id)

    return idem.run(run)


@router.post("/rounds/{round_id}/cancel", response_model=RoundOut, summary="取消运行中的轮次 / cancel a round")
def cancel(round_id: RoundId, store: StoreDep, jobs: JobsDep, principal: PrincipalDep, idem: IdemDep) -> Response:
    def run() -> tuple[int, Any]:
        r = load_round(store, round_id)
        if principal.role == "planner" and not is_what_if(r):
            require(store, principal, "round.run", what=("取消此轮次", "cancel this round"))
        require(store, principal, "round.cancel", areas=[r["scope"]], what=("取消此轮次", "cancel this round"))
        return 200, round_view(jobs, jobs.cancel(round_id, principal.actor()), full=True)

    return idem.run(run)
