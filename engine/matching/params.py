"""Parameters of a yearly round: weights of the named objective terms, proximity, fairness
and solver limits. Every weight is a parameter (what-if scenarios change them); defaults are
the product's recommendation and are documented in docs/ARCHITECTURE.md."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..taxonomy import DEFAULT_REACH_MINUTES, DETOUR_FACTOR, TRAVEL_SPEED_KMH
from .problem import DEFAULT_TIME_LIMIT

# Ranges that keep one round from holding the server: a time limit of hours, thousands of solver
# threads, a reach (or a speed) that makes every resource a candidate of every demand, or
# weights big enough to overflow the solver's integer coefficients are refused with the request.
MAX_TIME_LIMIT = 3600.0
MAX_WORKERS = 32
MAX_REACH_MINUTES = 600.0
MAX_WEIGHT = 1000.0
Speed = Annotated[float, Field(gt=0, le=200, description="km/h")]


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    coverage: float = Field(default=1.0, ge=0, le=MAX_WEIGHT,
                            description="value of covering a demand, × its weight × fit")
    full_coverage_bonus: float = Field(default=0.5, ge=0, le=MAX_WEIGHT,
                                       description="bonus × weight for a demand covered in full")
    travel: float = Field(default=0.3, ge=0, le=MAX_WEIGHT, description="penalty × weight × (minutes / reach)")
    fragmentation: float = Field(default=0.1, ge=0, le=MAX_WEIGHT, description="penalty per allocation line")
    locality: float = Field(default=0.3, ge=0, le=MAX_WEIGHT,
                            description="bonus × weight for the nearest level (graded escalation)")
    reliability: float = Field(default=0.2, ge=0, le=MAX_WEIGHT, description="bonus × weight × the unit's reliability")
    support: float = Field(default=0.25, ge=0, le=MAX_WEIGHT,
                            description="weight = priority × (1 + support × ln(1 + residents))")
    change_penalty: float = Field(default=2.0, ge=0, le=MAX_WEIGHT,
                                  description="re-rounds: penalty per published line dropped")


class RoundParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int | None = Field(default=None, description="list year; None = the newest year in the scope")
    weights: Weights = Field(default_factory=Weights)
    reach_minutes: float | None = Field(
        default=None, gt=0, le=MAX_REACH_MINUTES,
        description="override every resource's reach (minutes); None = each its own",
    )
    default_reach_minutes: float = Field(default=DEFAULT_REACH_MINUTES, gt=0, le=MAX_REACH_MINUTES)
    speeds_kmh: dict[Literal[tuple(TRAVEL_SPEED_KMH)], Speed] = Field(  # type: ignore[valid-type]
        default_factory=lambda: dict(TRAVEL_SPEED_KMH),
        description="km/h per travel mode; a mode left out keeps its default")
    detour: float = Field(default=DETOUR_FACTOR, ge=1.0, le=10.0)
    max_candidates_per_demand: int = Field(default=30, ge=1, le=1000, description="best candidates kept per demand")
    unit_project_limit: int | None = Field(default=None, ge=0, le=10_000,
                                           description="override every unit's yearly limit")
    must_cover: Literal["as_listed", "none", "priority5"] = Field(
        default="as_listed", description="which demands must be covered"
    )
    fairness: Literal["none", "maxmin", "floor"] = "none"
    fairness_weight: float = Field(default=0.0, ge=0, le=MAX_WEIGHT)
    fairness_floor: float = Field(default=0.0, ge=0, le=1)
    time_limit: float = Field(default=DEFAULT_TIME_LIMIT, gt=0, le=MAX_TIME_LIMIT, description="solver seconds")
    workers: int = Field(default=2, ge=1, le=MAX_WORKERS, description="solver threads")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    relative_gap: float = Field(default=0.0, ge=0, le=1, description="stop once the proven gap is below this")

    @field_validator("speeds_kmh")
    @classmethod
    def _every_mode(cls, v: dict[str, float]) -> dict[str, float]:
        """Every travel mode has a speed: a partial override keeps the defaults of the others
        (a round once failed with KeyError 'car' on ``{"walk": 3}``)."""
        return {**TRAVEL_SPEED_KMH, **v}
