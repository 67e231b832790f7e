"""Small helpers shared by the routes: pagination, ETags, JSON properties."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

import orjson
from fastapi import Query

from engine.store.base import Props

from .errors import ApiError

Skip = Annotated[int, Query(ge=0, le=1_000_000_000, description="跳过的条数 / items to skip")]
Limit = Annotated[int, Query(ge=1, le=1000, description="每页条数 / page size")]

JSON_PROPS = ("params", "kpis", "baseline", "unmet", "terms", "data")


def decode(props: Props | None) -> dict[str, Any]:
    """Node properties with their JSON-string properties parsed."""
    out = dict(props or {})
    for k in JSON_PROPS:
        v = out.get(k)
        if isinstance(v, str | bytes):
            with contextlib.suppress(orjson.JSONDecodeError):
                out[k] = orjson.loads(v)
    return out


def page(items: list[Any], skip: int, limit: int, total: int | None = None) -> dict[str, Any]:
    """A page of an already filtered list (``total`` given when ``items`` is the page already)."""
    if total is None:
        total = len(items)
        items = items[skip : skip + limit]
    return {"items": items, "total": total, "skip": skip, "limit": limit}


def etag(version: Any) -> str:
    return f'"{int(version or 0)}"'


def if_match_version(header: str | None, *, required: bool) -> int | None:
    """The version an ``If-Match`` header names. Missing and required → 428; ``*`` → None
    (any version); unparsable → 422."""
    if header is None or not header.strip():
        if required:
            raise ApiError(428, "precondition_required", "修改或删除须带 If-Match 头（取自 ETag）",
                           "If-Match is required (send the ETag you read)")
        return None
    h = header.strip()
    if h == "*":
        return None
    h = h.removeprefix("W/").strip().strip('"')
    try:
        v = int(h)
    except ValueError:
        raise ApiError(422, "invalid_if_match", f"If-Match 无效：{header!r}", f"bad If-Match: {header!r}") from None
    if v < 0:
        raise ApiError(422, "invalid_if_match", f"If-Match 无效：{header!r}", f"bad If-Match: {header!r}")
    return v
