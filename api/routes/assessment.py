"""考核评价: one unit's assessment, and the 12345-style ranking of a street's or district's units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from engine import lifecycle
from engine.access import require

from ..deps import PrincipalDep, StoreDep
from ..schemas import IdStr, path_id
from ..util import SCOPES, known

router = APIRouter(tags=["assessment"])


@router.get("/units/{unit_id}/assessment", response_model=dict[str, Any],
            summary="单位考核评价 / a unit's assessment")
def assessment(unit_id: path_id("单位编号 / unit id"), store: StoreDep, principal: PrincipalDep) -> dict:
    require(store, principal, "read")
    known(store, unit_id, "Unit")
    return lifecycle.assess_unit(store, unit_id)


@router.get("/rankings", response_model=list[dict[str, Any]], summary="单位排名（街道或区县）/ unit ranking")
def rankings(
    store: StoreDep, principal: PrincipalDep,
    scope: Annotated[IdStr, Query(description="街道或区县编号 / street or district id")],
    limit: Annotated[int, Query(ge=1, le=500, description="前几名 / how many")] = 50,
) -> list:
    require(store, principal, "read")
    known(store, scope, *SCOPES)
    return lifecycle.rank_units(store, scope, limit=limit)
