"""What-if scenarios for planners: POST a scenario (YAML or JSON text) → 202 with the job id;
GET its status, progress and the comparison; download report.html, comparison.xlsx and
comparison.json."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from engine.access import require
from engine.errors import InvalidInput
from engine.whatif.spec import load_spec

from ..deps import PrincipalDep, StoreDep
from ..scenario_jobs import ID_PATTERN
from ..schemas import Lang, vocabulary

router = APIRouter(tags=["scenarios"])

EXAMPLE = """name: funds_cut
base: {preset: chizhou}
scope: CZ-D03
variants:
  - name: cut20
    label_zh: 资金削减20%
    changes:
      - {op: cut_funds, factor: 0.8}
"""
FILES = {"report.html": "text/html", "comparison.xlsx": None, "comparison.json": "application/json"}
FileName = vocabulary(FILES)
ScenarioId = Annotated[str, Path(min_length=1, max_length=40, pattern=ID_PATTERN,
                                 description="情景任务编号 / scenario job id")]


@router.post("/scenarios", status_code=202, summary="运行推演情景（后台任务）/ run a what-if scenario (job)")
def create_scenario(
    request: Request,
    store: StoreDep,
    principal: PrincipalDep,
    text: Annotated[
        str,
        Body(media_type="text/plain", min_length=1, max_length=1_000_000,
             description="情景文件（YAML 或 JSON）/ the scenario file", examples=[EXAMPLE]),
    ],
    lang: Annotated[Lang, Query(description="报告语言 / report language")] = "zh",
    time_limit: Annotated[
        float | None, Query(gt=0, le=600, description="每次求解秒数 / solver seconds per run")
    ] = None,
) -> JSONResponse:
    spec = load_spec(text)
    if spec.base.folder is not None:
        raise InvalidInput(
            "接口不接受 folder 基准：请用 preset 或已存轮次",
            message_en="the API takes no folder base: use a preset or a stored round",
        )
    scope = spec.scope
    if scope is None and spec.base.round:
        scope = (store.get("Round", spec.base.round) or {}).get("scope")
    require(
        store,
        principal,
        "round.what_if",
        areas=[scope] if scope and store.label_of(scope) else [],
        what=("模拟推演", "run a what-if scenario"),
    )
    job = request.app.state.scenarios.submit(spec, by=principal.label, lang=lang, time_limit=time_limit)
    href = f"/api/v1/scenarios/{job['id']}"
    return JSONResponse(
        {"id": job["id"], "status": job["status"], "href": href}, status_code=202, headers={"Location": href}
    )


@router.get("/scenarios/{scenario_id}", summary="情景任务状态与对比结果 / status and comparison")
def get_scenario(scenario_id: ScenarioId, request: Request, store: StoreDep, principal: PrincipalDep) -> dict[str, Any]:
    require(store, principal, "round.what_if", what=("查看推演", "read a what-if scenario"))
    return request.app.state.scenarios.get(scenario_id)


@router.get("/scenarios/{scenario_id}/{name}", summary="下载报告 / download the report", response_class=FileResponse)
def scenario_file(
    scenario_id: ScenarioId,
    name: Annotated[FileName, Path(description="文件名 / file name")],
    request: Request,
    store: StoreDep,
    principal: PrincipalDep,
) -> FileResponse:
    require(store, principal, "round.what_if", what=("查看推演", "read a what-if scenario"))
    return FileResponse(request.app.state.scenarios.file(scenario_id, name), media_type=FILES[name], filename=name)
