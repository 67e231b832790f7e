"""Request-body limits, applied before any route sees a byte: a size cap on every body that is
not a multipart upload (those are bounded by the import code, which streams them), checked on
``Content-Length`` and again while the body streams in, and a nesting-depth cap on JSON bodies.

Why a middleware and not the routes: FastAPI reads and parses the whole body before a route
runs, so a 50 MB body is held in memory and a JSON document nested 100,000 deep overflows the
parser's recursion (a 500, or a dropped connection) before any route code could refuse it.
Both refusals are answered in the API's error format, in Chinese and English."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import numpy as np

from engine.config import Settings

from .errors import error_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DRAIN_FACTOR = 4
"""A refused body is read and thrown away (bounded memory) up to this many times the limit, so
an ordinary client that sends it whole still reads the 413; a bigger one is cut off."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it.

    Strings are removed first (a bracket inside a string does not nest), then the depth is the
    running sum of opening minus closing brackets, done with numpy so a 10 MB body takes
    milliseconds. Malformed JSON gives some number; the parser rejects it later anyway.

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    bare = _STRING.sub(b"", body)
    if not bare:
        return 0
    a = np.frombuffer(bare, dtype=np.uint8)
    step = np.isin(a, (0x5B, 0x7B)).astype(np.int32) - np.isin(a, (0x5D, 0x7D)).astype(np.int32)
    if not step.any():
        return 0
    return int(np.cumsum(step).max())


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers") or ():
        if k.lower() == name:
            return v.decode("latin-1")
    return None


def _is_json(ctype: str) -> bool:
    media = ctype.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class BodyLimits:
    """ASGI middleware refusing oversized bodies with 413 and over-nested JSON with 422.

    The limits are the app's settings (``app.state.settings``, built in the lifespan), read per
    request; before the lifespan has run, the settings' defaults."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = getattr(getattr(scope.get("app"), "state", None), "settings", None)
        if isinstance(settings, Settings):
            max_bytes, max_depth = settings.max_body_bytes, settings.max_json_depth
        else:
            max_bytes, max_depth = Settings.model_fields["max_body_bytes"].default, \
                Settings.model_fields["max_json_depth"].default
        await _Limited(self.app, max_bytes, max_depth).handle(scope, receive, send)


class _Limited:
    """One request under given limits."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int) -> None:
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        ctype = _header(scope, b"content-type") or ""
        if ctype.lower().startswith("multipart/"):
            await self.app(scope, receive, send)  # uploads: the import route bounds and streams them
            return
        length = _header(scope, b"content-length")
        declared: int | None = None
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await self._refuse(scope, receive, send, 400, "bad_content_length", "Content-Length 无效",
                                   "invalid Content-Length", drain=False)
                return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(scope, receive, send, drain=declared <= DRAIN_FACTOR * self.max_bytes)
            return
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            part = msg.get("body", b"")
            total += len(part)
            more = bool(msg.get("more_body"))
            if total > self.max_bytes:
                await self._too_large(scope, receive, send, drain=more, already=total)
                return
            chunks.append(part)
        body = b"".join(chunks)
        if body and _is_json(ctype) and (depth := json_depth(body)) > self.max_depth:
            await self._refuse(scope, receive, send, 422, "json_too_deep",
                               f"JSON 嵌套过深（{depth} 层，最多 {self.max_depth} 层）",
                               f"JSON nested too deep ({depth} levels; at most {self.max_depth})", drain=False)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, *, drain: bool, already: int = 0) -> None:
        mb = self.max_bytes / 1_048_576
        await self._refuse(scope, receive, send, 413, "body_too_large", f"请求体过大（最多 {mb:g} MB）",
                           f"request body too large (at most {mb:g} MB)", drain=drain, already=already)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, code: str, zh: str, en: str,
                      *, drain: bool, already: int = 0) -> None:
        if drain:  # read the rest and drop it, so the client finishes sending and reads the answer
            seen, cap = already, DRAIN_FACTOR * self.max_bytes
            while seen <= cap:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    return
                seen += len(msg.get("body", b""))
                if not msg.get("more_body"):
                    break
        resp = error_json(status, code, zh, en)
        resp.headers["Connection"] = "close"
        await resp(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the buffered body over once, then waits on the real channel
    (for the disconnect)."""
    sent = False

    async def inner() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return inner
