"""Errors as HTTP: one handler per engine error class (engine.errors), one for malformed
requests, one for HTTP-level errors (unknown route, wrong method) and a last resort. Every
error body is ``{"error": code, "message": 中文, "message_en": English}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from engine import errors as E

log = logging.getLogger("fourlinks.api")

STATUS: dict[type[E.FourlinksError], int] = {
    E.Unauthenticated: 401,
    E.Forbidden: 403,
    E.NotFound: 404,
    E.Conflict: 409,
    E.StaleVersion: 412,
    E.TooLarge: 413,
    E.InvalidInput: 422,
    E.SchemaViolation: 422,
    E.ImportRejected: 422,
    E.StoreUnavailable: 503,
    E.ExecutorError: 503,  # the cluster the parts run on is unreachable or lost: retry later
    E.FourlinksError: 400,
}
"""Each engine error → one status. A subclass not listed takes its nearest listed parent's."""


class ErrorBody(BaseModel):
    """Every error response / 所有错误响应的格式."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": "conflict", "message": "项目当前状态为“已认领待确认”，不能执行 claim",
                                         "message_en": "project is claimed; claim is not allowed"}]})

    error: str = Field(description="machine-readable code / 错误代码")
    message: str = Field(description="中文说明 / message in Chinese")
    message_en: str = Field(description="English message / 英文说明")
    details: list[Any] | None = Field(default=None, description="field errors of a malformed request / 字段错误")
    report: dict[str, Any] | None = Field(default=None, description="import report with row errors / 导入报告")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorBody, "description": d}
    for s, d in (
        (400, "bad request / 请求错误"),
        (401, "not authenticated / 未认证"),
        (403, "forbidden by role or scope / 角色或范围不允许"),
        (404, "not found / 不存在"),
        (409, "conflict with the rules or another caller / 冲突"),
        (412, "stale version (If-Match) / 版本已过期"),
        (422, "malformed request / 请求格式错误"),
        (428, "If-Match required / 需要 If-Match"),
        (503, "store unavailable / 存储不可用"),
    )
}


class ApiError(Exception):
    """An HTTP-level refusal that is not an engine rule (missing If-Match, reused key)."""

    def __init__(self, status: int, code: str, message: str, message_en: str, **extra: Any) -> None:
        super().__init__(message_en)
        self.status, self.code, self.message, self.message_en, self.extra = status, code, message, message_en, extra


def error_json(status: int, code: str, message: str, message_en: str, **extra: Any) -> JSONResponse:
    body = {"error": code, "message": message, "message_en": message_en}
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def status_of(exc: E.FourlinksError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


def engine_error_response(exc: E.FourlinksError) -> JSONResponse:
    report = exc.report if isinstance(exc, E.ImportRejected) else None
    if report is not None and hasattr(report, "to_dict"):
        report = report.to_dict()
    return error_json(status_of(exc), exc.code, exc.message, exc.message_en, report=report)


_HTTP_TEXT = {
    400: ("请求错误", "bad request"),
    404: ("路径不存在", "no such path"),
    405: ("不支持此方法", "method not allowed"),
    406: ("不支持请求的格式", "not acceptable"),
    413: ("请求体过大", "request body too large"),
    415: ("不支持的内容类型", "unsupported media type"),
}


def _clean(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ())]
        out.append({"loc": loc, "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))})
    return out


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own 405 names only the first
    route whose path matched, while GET, PATCH and DELETE of one path are separate routes.
    Asks each route with the public ``matches`` (a probe scope per method, so the request's
    own scope is left alone)."""
    allowed = []
    for method in METHODS:
        probe = {k: v for k, v in request.scope.items() if k not in ("fastapi", "route", "endpoint", "path_params")}
        probe["method"] = method
        if any(route.matches(dict(probe))[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def on_engine(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, E.FourlinksError)
        return engine_error_response(exc)

    for cls in STATUS:
        app.add_exception_handler(cls, on_engine)

    async def on_api(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_json(exc.status, exc.code, exc.message, exc.message_en, **exc.extra)

    app.add_exception_handler(ApiError, on_api)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        details = _clean(list(exc.errors()))
        if any(d["loc"] == ["header", "If-Match"] and d["type"] == "missing" for d in details):
            # A required precondition left out is 428 (RFC 6585), not a malformed request.
            return error_json(428, "precondition_required", "修改或删除须带 If-Match 头（取自 ETag）",
                              "If-Match is required (send the ETag you read)")
        where = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in details[:5])
        return error_json(422, "invalid_request", f"请求格式错误：{where}", f"malformed request: {where}",
                          details=details)

    app.add_exception_handler(RequestValidationError, on_validation)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        zh, en = _HTTP_TEXT.get(exc.status_code, ("请求错误", "request error"))
        detail = exc.detail if isinstance(exc.detail, str) else en
        resp = error_json(exc.status_code, f"http_{exc.status_code}", f"{zh}：{detail}", detail)
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        if exc.status_code == 405:
            resp.headers["Allow"] = ", ".join(allowed_methods(request))
        return resp

    app.add_exception_handler(StarletteHTTPException, on_http)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        # A bug, never the client's fault: logged with its trace, answered in both languages.
        # (TestClient re-raises it, so tests see the bug.)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_json(500, "internal", "服务器内部错误，请联系管理员", "internal server error")

    app.add_exception_handler(Exception, on_crash)
