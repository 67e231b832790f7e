"""Admin: issue bearer tokens (the endpoint twin of ``fourlinks token``)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from engine.access import Principal, require
from engine.tokens import expiry, issue

from ..deps import PrincipalDep, StoreDep
from ..schemas import TokenOut, TokenRequest

router = APIRouter(tags=["admin"])


@router.post("/admin/tokens", status_code=201, response_model=TokenOut, summary="签发令牌（管理员）/ issue a token")
def issue_token(body: TokenRequest, request: Request, store: StoreDep, principal: PrincipalDep) -> TokenOut:
    require(store, principal, "token.issue", what=("签发令牌", "issue tokens"))
    p = Principal(role=body.role, scope=body.scope, sub=body.sub)
    tok = issue(p.role, p.scope, p.sub, request.app.state.token_secret, ttl=body.ttl_days * 86400)
    return TokenOut(token=tok, role=p.role, scope=p.scope, sub=p.sub, expires_at=expiry(tok))
