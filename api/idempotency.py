"""``Idempotency-Key`` on state-changing POSTs: the first request with a key runs and its
response (status and body, errors included) is stored in an ``Idempotency`` node reserved
atomically by ``store.reserve``; a repeat gets the stored response and changes nothing; the
same key on a different request is a 422; a repeat while the first still runs is a 409. Keys
are per caller (the token's ``sub``).

A pending key names the server process running it (its ``Lease``, api.lease). When that process
died mid-request (kill -9, a crash), the key is not stuck: once the owner's lease has lapsed
(at once on the embedded store after a restart; after ``lease_seconds`` on a shared Neo4j) the
next request with the key takes it over by compare-and-set and runs."""

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
from engine.errors import Conflict, FourlinksError, StaleVersion
from engine.store.base import Batch, GraphStore

from .deps import get_principal, get_store
from .errors import ApiError, engine_error_response, error_json
from .lease import Lease

Outcome = tuple[int, Any] | tuple[int, Any, dict[str, str]]


def _in_progress() -> ApiError:
    return ApiError(409, "idempotency_in_progress", "相同 Idempotency-Key 的请求仍在处理中，请稍后重试",
                    "a request with this Idempotency-Key is still in progress; retry later")


def _respond(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if status == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


class Idempotency:
    """Runs one request at most once per key."""

    def __init__(self, store: GraphStore, principal: Principal, key: str | None, request_hash: str,
                 lease: Lease | None = None) -> None:
        self.store, self.principal, self.key, self.request_hash = store, principal, key, request_hash
        self.lease = lease

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
        owner = self.lease.id if self.lease is not None else None
        first = {"state": "pending", "request_hash": self.request_hash, "created_at": now, "version": 1}
        if owner is not None:
            first["owner"] = owner
        prior = self.store.reserve("Idempotency", nid, first)
        if prior is not None:
            if prior.get("request_hash") != self.request_hash:
                raise ApiError(422, "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求",
                               "this Idempotency-Key was used for a different request")
            state = prior.get("state")
            if state == "done":
                stored = orjson.loads(prior.get("response") or "null") or {}
                resp = _respond(int(prior.get("status_code") or 200), stored.get("body"), stored.get("headers"))
                resp.headers["Idempotent-Replay"] = "true"
                return resp
            if state == "pending" and (self.lease is None or self.lease.alive(prior.get("owner"))):
                raise _in_progress()
            # the earlier attempt failed, or its server died while running it: run again under the
            # same key, taking it by compare-and-set so that of several retries exactly one runs
            expect = {"state": state, "owner": prior.get("owner"), "version": prior.get("version")}
            try:
                self.store.transition("Idempotency", nid, expect, {"state": "pending", **({"owner": owner} if owner
                                                                                        else {})})
            except (Conflict, StaleVersion):
                raise _in_progress() from None
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
    digest = request_hash(request.method, request.url.path, request.url.query, body)
    return Idempotency(store, principal, key, digest, getattr(request.app.state, "lease", None))


def request_hash(method: str, path: str, query: str, body: bytes) -> str:
    """What makes two requests "the same request" for a key."""
    h = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        h.update(part)
        h.update(b"\x00")
    return h.hexdigest()


IdemDep = Annotated[Idempotency, Depends(idempotency)]
