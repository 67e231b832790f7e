"""Small helpers shared by the routes: pagination, ETags, JSON properties."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

import orjson
from fastapi import Query

from engine.errors import NotFound
from engine.lists.export import AREA_ORDER
from engine.store.base import GraphStore, Props

from .errors import ApiError

Skip = Annotated[int, Query(ge=0, le=1_000_000_000, description="跳过的条数 / items to skip")]
Limit = Annotated[int, Query(ge=1, le=1000, description="每页条数 / page size")]

JSON_PROPS = ("params", "kpis", "baseline", "unmet", "terms", "data")

AREAS = AREA_ORDER
SCOPES = AREA_ORDER[:-1]
"""A round's or ranking's scope: any area but a grid."""
_WHAT = {"Unit": ("单位", "unit"), "Round": ("轮次", "round"), "Community": ("社区", "community"),
         "Resource": ("资源", "resource"), "Demand": ("需求", "demand"), "Project": ("项目", "project")}


def known(store: GraphStore, node_id: str | None, *labels: str) -> None:
    """A filter naming a node that does not exist is a 404 (``not_found``), as in a path: the
    client asked about something that is not there, not for an empty page."""
    if node_id is None or store.label_of(node_id) in labels:
        return
    zh, en = _WHAT.get(labels[0], ("区域", "area")) if len(labels) == 1 else ("区域", "area")
    raise NotFound(f"{zh} {node_id} 不存在", message_en=f"{en} {node_id} not found")


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


ETAG_PATTERN = r'^(\*|(W/)?("[0-9]{1,18}"|[0-9]{1,18}))$'
"""What ``If-Match`` may hold: ``*`` or an ETag this API answered (a version number, quoted)."""


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
