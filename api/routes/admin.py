"""Admin: issue bearer tokens (the endpoint twin of ``fourlinks token``) and revoke them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from engine.access import Principal, require
from engine.errors import InvalidInput
from engine.tokens import expiry, issue, revoke, token_id

from ..deps import PrincipalDep, StoreDep
from ..schemas import RevocationOut, TokenOut, TokenRequest, TokenRevoke

router = APIRouter(tags=["admin"])


@router.post("/admin/tokens", status_code=201, response_model=TokenOut, summary="签发令牌（管理员）/ issue a token")
def issue_token(body: TokenRequest, request: Request, store: StoreDep, principal: PrincipalDep) -> TokenOut:
    require(store, principal, "token.issue", what=("签发令牌", "issue tokens"))
    p = Principal(role=body.role, scope=body.scope, sub=body.sub)
    tok = issue(p.role, p.scope, p.sub, request.app.state.token_secret, ttl=body.ttl_days * 86400)
    return TokenOut(token=tok, jti=token_id(tok), role=p.role, scope=p.scope, sub=p.sub, expires_at=expiry(tok))


@router.post("/admin/tokens/revoke", status_code=201, response_model=RevocationOut,
             summary="吊销令牌（管理员）/ revoke a token or a subject's tokens")
def revoke_token(body: TokenRevoke, store: StoreDep, principal: PrincipalDep) -> RevocationOut:
    require(store, principal, "token.issue", what=("吊销令牌", "revoke tokens"))
    if sum(x is not None for x in (body.token, body.jti, body.sub)) != 1:
        raise InvalidInput("须给出 token、jti 或 sub 之一", message_en="give exactly one of token, jti or sub")
    if body.sub is not None:
        r = revoke(store, principal.label, sub=body.sub)
    else:
        jti = body.jti or token_id(body.token or "")
        if jti is None:
            raise InvalidInput("此令牌没有编号，请按 sub 吊销", message_en="this token has no id: revoke by sub")
        r = revoke(store, principal.label, jti=jti, until=float(expiry(body.token)) if body.token else None)
    return RevocationOut(id=r["id"], sub=r.get("sub"), by=r.get("by"), at=r.get("at"))
