"""The FastAPI application. ``create_app`` builds an app whose settings, store, token secret
and round-job runner are made in its lifespan (or injected: tests pass a store), kept on
``app.state`` and handed to routes through ``Annotated`` dependencies (api.deps)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from engine.config import Settings
from engine.store import open_store
from engine.store.base import GraphStore
from engine.tokens import secret_from

from . import errors
from .jobs import JobRunner
from .lease import Lease
from .limits import BodyLimits
from .routes import (
    admin,
    assessment,
    console,
    demands,
    events,
    files,
    health,
    hierarchy,
    projects,
    resources,
    rounds,
    scenarios,
    wishes,
)
from .scenario_jobs import ScenarioJobs

PREFIX = "/api/v1"
CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console" / "dist"
"""The built web console (``make console``); served at ``/`` when present, else the API runs alone."""

TAGS = [
    {"name": "health", "description": "存活与就绪检查 / liveness and readiness"},
    {"name": "hierarchy", "description": "区域层级：区县/街道/社区/网格 / the five-level grid"},
    {"name": "units", "description": "共建单位、党组织、党员 / units, party organisations, members"},
    {"name": "resources", "description": "资源清单（增删改，带版本）/ resource list with versions"},
    {"name": "demands", "description": "需求清单、直接认领、推荐 / demand list, direct claims, recommendations"},
    {"name": "scenarios", "description": "推演情景 / what-if scenarios"},
    {"name": "files", "description": "批量导入与下载 / bulk import and downloads"},
    {"name": "rounds", "description": "年度匹配轮次（后台任务）/ yearly rounds as jobs"},
    {"name": "projects", "description": "共建项目：认领、确认、实施、评价 / the life of a project"},
    {"name": "assessment", "description": "考核评价与排名 / assessment and ranking"},
    {"name": "wishes", "description": "微心愿、志愿积分与积分超市 / micro-wishes, volunteer points, the points shop"},
    {"name": "events", "description": "审计事件（只读）/ audit events, read only"},
    {"name": "admin", "description": "管理：签发令牌 / admin: tokens"},
    {"name": "console", "description": "控制台所需的汇总读取 / what the web console reads"},
]


def create_app(settings: Settings | None = None, store: GraphStore | None = None, *, workers: int = 1,
               recover: bool = True, console_dir: Path | None = None) -> FastAPI:
    """The API app. ``settings`` defaults to the environment; ``store`` to ``open_store``
    (an injected store is not closed on shutdown: its owner closes it). ``recover`` marks
    rounds whose server died (its lease lapsed) failed, at startup and at every heartbeat. ``console_dir`` is the
    built console to serve at ``/`` (default ``console/dist``; skipped when it holds no index.html)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        s = settings or Settings.load()
        st = store if store is not None else open_store(s)
        owned = store is None
        try:
            st.apply_schema()
            app.state.settings = s
            app.state.store = st
            app.state.token_secret = secret_from(s)
            app.state.lease = Lease(st, s.lease_seconds).start()
            app.state.jobs = JobRunner(st, workers=workers, lease=app.state.lease)
            app.state.scenarios = ScenarioJobs(st, s.data_dir / "scenarios")
            if recover:
                app.state.jobs.recover()
                app.state.lease.on_beat.append(app.state.jobs.recover)
            yield
        finally:
            for name in ("jobs", "scenarios"):
                runner = getattr(app.state, name, None)
                if runner is not None:
                    runner.shutdown()
            lease = getattr(app.state, "lease", None)
            if lease is not None:
                lease.stop()  # after the jobs: their rounds are failed by now, the keys free
            if owned:
                st.close()

    app = FastAPI(
        title="fourlinks API · 四联四共共建匹配",
        version="1.0.0",
        description=(
            "城市基层党建“四联四共”共建网络的匹配与项目管理接口：清单、年度匹配轮次、双向认领、"
            "共建协议、实施、评价与审计。\n\n"
            "The matching and project API of the 四联四共 co-building network. All routes but the "
            "health checks need `Authorization: Bearer <token>`. Errors are "
            '`{"error": code, "message": 中文, "message_en": English}`. See docs/API.md.'
        ),
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(BodyLimits)
    app.include_router(health.router)
    for mod in (hierarchy, resources, demands, files, rounds, projects, wishes, assessment, events, scenarios, admin,
                console):
        app.include_router(mod.router, prefix=PREFIX, responses=errors.ERROR_RESPONSES)  # type: ignore[arg-type]
    if console_dir is None:
        console_dir = CONSOLE_DIR
    index = console_dir / "index.html"
    if index.is_file():
        # Only "/" and "/assets": no catch-all, so unknown API paths and methods keep their JSON 404/405.
        @app.get("/", include_in_schema=False)
        def console_index() -> FileResponse:
            return FileResponse(index, headers={"Cache-Control": "no-cache"})

        app.mount("/assets", StaticFiles(directory=console_dir / "assets", check_dir=False), name="console")
    _document_links(app)
    return app


_PROJECT_OPS = [("get", "/projects/{project_id}"), ("get", "/projects/{project_id}/events")] + [
    ("post", f"/projects/{{project_id}}/{a}")
    for a in ("claim", "confirm", "decline", "withdraw", "start", "progress", "complete", "evaluate")]
_ROUND_OPS = [("get", "/rounds/{round_id}"), ("get", "/rounds/{round_id}/projects"),
              ("get", "/rounds/{round_id}/unmet"), ("get", "/rounds/{round_id}/kpis"),
              ("get", "/rounds/{round_id}/events"),
              ("post", "/rounds/{round_id}/publish"), ("post", "/rounds/{round_id}/rerun"),
              ("post", "/rounds/{round_id}/cancel")]
_RESOURCE_OPS = [("get", "/resources/{resource_id}"), ("patch", "/resources/{resource_id}"),
                 ("delete", "/resources/{resource_id}"), ("post", "/resources/{resource_id}/requests")]
_DEMAND_OPS = [("get", "/demands/{demand_id}"), ("patch", "/demands/{demand_id}"), ("delete", "/demands/{demand_id}"),
               ("post", "/demands/{demand_id}/claim"), ("get", "/demands/{demand_id}/recommendations")]
_UNIT_OPS = [("get", "/units/{unit_id}"), ("get", "/units/{unit_id}/assessment"), ("get", "/units/{unit_id}/events")]
_WISH_OPS = [("get", "/wishes/{wish_id}"), ("get", "/wishes/{wish_id}/events")] + [
    ("post", f"/wishes/{{wish_id}}/{a}") for a in ("claim", "release", "fulfil", "confirm", "cancel")]
_MEMBER_OPS = [("get", "/members/{member_id}/points"), ("post", "/members/{member_id}/points/adjust"),
               ("get", "/members/{member_id}/events")]
_SHOP_OPS = [("post", "/shop/{item_id}/redeem")]
_SCENARIO_OPS = [("get", "/scenarios/{scenario_id}"), ("get", "/scenarios/{scenario_id}/{name}")]

LINKS: list[tuple[str, str, str, str, list[tuple[str, str]]]] = [
    # (method, path, status, JSON pointer of the id in the answer, operations that take it)
    ("get", "/projects", "200", "/items/0/id", _PROJECT_OPS),
    ("get", "/rounds/{round_id}/projects", "200", "/items/0/id", _PROJECT_OPS),
    ("post", "/demands/{demand_id}/claim", "201", "/id", _PROJECT_OPS),
    ("post", "/resources/{resource_id}/requests", "201", "/id", _PROJECT_OPS),
    ("post", "/rounds", "202", "/id", _ROUND_OPS),
    ("post", "/rounds/{round_id}/rerun", "202", "/id", _ROUND_OPS),
    ("get", "/rounds", "200", "/items/0/id", _ROUND_OPS),
    ("post", "/resources", "201", "/id", _RESOURCE_OPS),
    ("get", "/resources", "200", "/items/0/id", _RESOURCE_OPS),
    ("post", "/demands", "201", "/id", _DEMAND_OPS),
    ("get", "/demands", "200", "/items/0/id", _DEMAND_OPS),
    ("get", "/units", "200", "/items/0/id", _UNIT_OPS),
    ("post", "/scenarios", "202", "/id", _SCENARIO_OPS),
    ("post", "/wishes", "201", "/id", _WISH_OPS),
    ("get", "/wishes", "200", "/items/0/id", _WISH_OPS),
    ("get", "/members", "200", "/items/0/id", _MEMBER_OPS),
    ("post", "/shop", "201", "/id", _SHOP_OPS),
    ("get", "/shop", "200", "/items/0/id", _SHOP_OPS),
]
"""OpenAPI links: where a later call takes an id an earlier answer holds (clients and the
stateful fuzzer follow them)."""


def _document_links(app: FastAPI) -> None:
    """Add ``LINKS`` to the generated document (FastAPI has no declaration for them)."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = build()
        paths = doc["paths"]
        for method, path, status, pointer, targets in LINKS:
            resp = paths[PREFIX + path][method]["responses"][status]
            links = resp.setdefault("links", {})
            for t_method, t_path in targets:
                op = paths[PREFIX + t_path][t_method]
                param = next(p["name"] for p in op["parameters"] if p["in"] == "path" and p["name"].endswith("_id"))
                links[op["operationId"]] = {"operationId": op["operationId"],
                                            "parameters": {param: f"$response.body#{pointer}"}}
        return doc

    app.openapi = openapi  # type: ignore[method-assign]
