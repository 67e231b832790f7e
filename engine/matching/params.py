"""Parameters of a yearly round: weights of the named objective terms, proximity, fairness
and solver limits. Every weight is a parameter (what-if scenarios change them); defaults are
the product's recommendation and are documented in docs/ARCHITECTURE.md."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..taxonomy import DEFAULT_REACH_MINUTES, DETOUR_FACTOR, TRAVEL_SPEED_KMH


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coverage: float = Field(default=1.0, ge=0, description="value of covering a demand, × its weight × fit")
    full_coverage_bonus: float = Field(default=0.5, ge=0, description="bonus × weight for a demand covered in full")
    travel: float = Field(default=0.3, ge=0, description="penalty × weight × (minutes / reach)")
    fragmentation: float = Field(default=0.1, ge=0, description="penalty per allocation line")
    locality: float = Field(default=0.3, ge=0, description="bonus × weight for the nearest level (graded escalation)")
    reliability: float = Field(default=0.2, ge=0, description="bonus × weight × the unit's reliability")
    support: float = Field(default=0.25, ge=0, description="weight = priority × (1 + support × ln(1 + residents))")
    change_penalty: float = Field(default=2.0, ge=0, description="re-rounds: penalty per published line dropped")


class RoundParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, description="list year; None = the newest year in the scope")
    weights: Weights = Field(default_factory=Weights)
    reach_minutes: float | None = Field(
        default=None, gt=0, description="override every resource's reach (minutes); None = each its own"
    )
    default_reach_minutes: float = Field(default=DEFAULT_REACH_MINUTES, gt=0)
    speeds_kmh: dict[str, float] = Field(default_factory=lambda: dict(TRAVEL_SPEED_KMH))
    detour: float = Field(default=DETOUR_FACTOR, ge=1.0)
    max_candidates_per_demand: int = Field(default=30, ge=1, description="best candidates kept per demand")
    unit_project_limit: int | None = Field(default=None, ge=0, description="override every unit's yearly limit")
    must_cover: Literal["as_listed", "none", "priority5"] = Field(
        default="as_listed", description="which demands must be covered"
    )
    fairness: Literal["none", "maxmin", "floor"] = "none"
    fairness_weight: float = Field(default=0.0, ge=0)
    fairness_floor: float = Field(default=0.0, ge=0, le=1)
    time_limit: float = Field(default=20.0, gt=0, description="solver seconds")
    workers: int = Field(default=2, ge=1)
    seed: int = 0
    relative_gap: float = Field(default=0.0, ge=0, description="stop once the proven gap is below this")
