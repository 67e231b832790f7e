"""Dependencies injected with ``Annotated``: everything comes from ``app.state``, built in
the lifespan (api.main), so tests override the store or settings without globals."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from engine.access import Principal
from engine.config import Settings
from engine.errors import Unauthenticated
from engine.store.base import GraphStore
from engine.tokens import verify

from .jobs import JobRunner


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> GraphStore:
    return request.app.state.store


def get_jobs(request: Request) -> JobRunner:
    return request.app.state.jobs


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`Authorization: Bearer <token>`；令牌由 `fourlinks token` 或 POST /api/v1/admin/tokens 签发 "
    "/ tokens come from `fourlinks token` or the admin endpoint",
)


def get_principal(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    if creds is None or not creds.credentials:
        raise Unauthenticated("需要登录：请提供 Bearer 令牌", message_en="authentication required: send a Bearer token")
    return verify(creds.credentials, request.app.state.token_secret, request.app.state.store)


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[GraphStore, Depends(get_store)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
