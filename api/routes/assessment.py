"""考核评价: one unit's assessment, and the 12345-style ranking of a street's or district's units."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from engine.access import require
from engine.assessment import AssessmentWeights, assess_unit, rank_units

from ..deps import PrincipalDep, SettingsDep, StoreDep
from ..schemas import IdStr, path_id
from ..util import SCOPES, known

router = APIRouter(tags=["assessment"])


@router.get("/units/{unit_id}/assessment", response_model=dict[str, Any],
            summary="单位考核评价 / a unit's assessment")
def assessment(unit_id: path_id("单位编号 / unit id"), store: StoreDep, principal: PrincipalDep,
               settings: SettingsDep) -> dict:
    require(store, principal, "read")
    known(store, unit_id, "Unit")
    return assess_unit(store, unit_id, AssessmentWeights.from_settings(settings))


@router.get("/rankings", response_model=list[dict[str, Any]], summary="单位排名（街道或区县）/ unit ranking")
def rankings(
    store: StoreDep, principal: PrincipalDep, settings: SettingsDep,
    scope: Annotated[IdStr, Query(description="街道或区县编号 / street or district id")],
    limit: Annotated[int, Query(ge=1, le=500, description="前几名 / how many")] = 50,
) -> list:
    require(store, principal, "read")
    known(store, scope, *SCOPES)
    return rank_units(store, scope, limit=limit, weights=AssessmentWeights.from_settings(settings))
