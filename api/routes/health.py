"""Liveness (the process answers) and readiness (the store answers)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..deps import StoreDep
from ..errors import ErrorBody
from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="存活检查 / liveness")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, summary="就绪检查（存储可达）/ readiness",
            responses={503: {"model": ErrorBody, "description": "store unreachable / 存储不可达"}})
def readyz(store: StoreDep) -> Health | JSONResponse:
    try:
        ok = store.ping()
    except Exception:
        ok = False
    if not ok:
        return JSONResponse({"error": "store_unavailable", "message": "存储不可达", "message_en": "store unreachable"},
                            status_code=503)
    return Health(status="ok", store=store.kind)
