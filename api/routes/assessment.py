"""考核评价: one unit's assessment, and the 12345-style ranking of a street's or district's units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from engine import lifecycle
from engine.access import require
from engine.errors import NotFound

from ..deps import PrincipalDep, StoreDep

router = APIRouter(tags=["assessment"])


@router.get("/units/{unit_id}/assessment", response_model=dict[str, Any],
            summary="单位考核评价 / a unit's assessment")
def assessment(unit_id: str, store: StoreDep, principal: PrincipalDep) -> dict:
    require(store, principal, "read")
    return lifecycle.assess_unit(store, unit_id)


@router.get("/rankings", response_model=list[dict[str, Any]], summary="单位排名（街道或区县）/ unit ranking")
def rankings(
    store: StoreDep, principal: PrincipalDep,
    scope: Annotated[str, Query(min_length=1, max_length=100, description="街道或区县编号 / street or district id")],
    limit: Annotated[int, Query(ge=1, le=500, description="前几名 / how many")] = 50,
) -> list:
    require(store, principal, "read")
    if store.label_of(scope) not in ("City", "District", "Street", "Community"):
        raise NotFound(f"范围 {scope} 不存在", message_en=f"scope {scope} not found")
    return lifecycle.rank_units(store, scope, limit=limit)
