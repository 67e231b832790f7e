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
    for mod in (hierarchy, resources, demands, files, rounds, projects, assessment, events, scenarios, admin,
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
    return app
