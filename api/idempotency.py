"""``Idempotency-Key`` on state-changing POSTs: the first request with a key runs and its
response (status and body, errors included) is stored in an ``Idempotency`` node reserved
atomically by ``store.reserve``; a repeat gets the stored response and changes nothing; the
same key on a different request is a 422; a repeat while the first still runs is a 409. Keys
are per caller (the token's ``sub``)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from engine.access import Principal
from engine.audit import now as clock_now
from engine.errors import FourlinksError
from engine.store.base import Batch, GraphStore

from .deps import get_principal, get_store
from .errors import ApiError, engine_error_response, error_json

Outcome = tuple[int, Any] | tuple[int, Any, dict[str, str]]


def _respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


class Idempotency:
    """Runs one request at most once per key."""

    def __init__(self, store: GraphStore, principal: Principal, key: str | None, request_hash: str) -> None:
        self.store, self.principal, self.key, self.request_hash = store, principal, key, request_hash

    @property
    def node_id(self) -> str:
        raw = f"{self.principal.sub}\x00{self.principal.role}\x00{self.key}".encode()
        return "IK-" + hashlib.sha256(raw).hexdigest()[:40]

    def run(self, fn: Callable[[], Outcome]) -> Response:
        """``fn`` returns (status, body[, headers]); engine errors become their error response."""
        if self.key is None:
            return self._call(fn)[0]
        nid = self.node_id
        now = clock_now()
        prior = self.store.reserve("Idempotency", nid, {"state": "pending", "request_hash": self.request_hash,
                                                        "created_at": now})
        if prior is not None:
            if prior.get("request_hash") != self.request_hash:
                raise ApiError(422, "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求",
                               "this Idempotency-Key was used for a different request")
            if prior.get("state") == "pending":
                raise ApiError(409, "idempotency_in_progress", "相同 Idempotency-Key 的请求仍在处理中，请稍后重试",
                               "a request with this Idempotency-Key is still in progress; retry later")
            if prior.get("state") == "done":
                stored = orjson.loads(prior.get("response") or "null") or {}
                resp = _respond(int(prior.get("status_code") or 200), stored.get("body"), stored.get("headers"))
                resp.headers["Idempotent-Replay"] = "true"
                return resp
            # a crashed earlier attempt ("failed"): run again under the same key
            self._save({"state": "pending"})
        try:
            resp, status, body, headers = self._call(fn)
        except BaseException:
            self._save({"state": "failed"})
            raise
        self._save({"state": "done", "status_code": status,
                    "response": orjson.dumps({"body": jsonable_encoder(body), "headers": headers}).decode()})
        return resp

    def _call(self, fn: Callable[[], Outcome]) -> tuple[Response, int, Any, dict[str, str] | None]:
        try:
            out = fn()
        except FourlinksError as e:
            r = engine_error_response(e)
            return r, r.status_code, orjson.loads(r.body), None
        except ApiError as e:
            r = error_json(e.status, e.code, e.message, e.message_en, **e.extra)
            return r, r.status_code, orjson.loads(r.body), None
        status, body = out[0], out[1]
        headers = out[2] if len(out) > 2 else None  # type: ignore[misc]
        return _respond(status, body, headers), status, body, headers

    def _save(self, props: dict[str, Any]) -> None:
        b = Batch()
        b.node("Idempotency", self.node_id, **props)
        self.store.write(b)


async def idempotency(
    request: Request,
    store: Annotated[GraphStore, Depends(get_store)],
    principal: Annotated[Principal, Depends(get_principal)],
    key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200,
                                      description="幂等键：重复请求只生效一次 / repeat-safe key")] = None,
) -> Idempotency:
    body = await request.body()
    h = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), request.url.query.encode(), body):
        h.update(part)
        h.update(b"\x00")
    return Idempotency(store, principal, key, h.hexdigest())


IdemDep = Annotated[Idempotency, Depends(idempotency)]
