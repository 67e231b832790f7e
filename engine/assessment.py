"""考核评价: what each unit claimed, confirmed and delivered, and the 12345-style ranking of a
street's or district's units.

This reads the project lifecycle's records (projects, claims, evaluations) and writes nothing,
so it lives apart from the lifecycle's state machine. The score's weights are settings
(``FOURLINKS_ASSESS_*``), not constants, because how much delivery counts against residents'
ratings is a district's policy, not the engine's."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from .config import Settings
from .errors import NotFound
from .store.base import GraphStore

REACHED = ("confirmed", "in_progress", "completed", "evaluated")
"""Project states in which a unit has signed the co-building agreement."""
DONE = ("completed", "evaluated")
CLAIM_KINDS = ("unit_claims_project", "unit_claims_demand")
"""Claims a unit made itself (a community's request for its resource is not its claim)."""


@dataclass(frozen=True)
class AssessmentWeights:
    """How the score weighs completion (completed / agreed), mean rating (out of 5), mean
    satisfaction (0–1) and the on-time rate."""

    completion: float
    rating: float
    satisfaction: float
    on_time: float

    @classmethod
    def from_settings(cls, settings: Settings) -> AssessmentWeights:
        return cls(
            completion=settings.assess_completion_weight,
            rating=settings.assess_rating_weight,
            satisfaction=settings.assess_satisfaction_weight,
            on_time=settings.assess_on_time_weight,
        )


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def assess_unit(store: GraphStore, unit_id: str, weights: AssessmentWeights | None = None) -> dict[str, Any]:
    """考核评价: what a unit claimed, confirmed, completed (on time) and how residents rated it.
    ``weights`` default to the settings of the environment."""
    w = weights or AssessmentWeights.from_settings(Settings.load())
    unit = store.get("Unit", unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在", message_en=f"unit {unit_id} not found")
    projects = {a["project"] for a in store.find("Allocation", {"unit": unit_id})}
    states: dict[str, int] = defaultdict(int)
    for pid in projects:
        p = store.get("Project", pid)
        if p is not None:
            states[p.get("status", "proposed")] += 1
    evals = store.find("Evaluation", {"unit": unit_id})
    claims = store.find("Claim", {"unit": unit_id})
    reached = sum(states[s] for s in REACHED)
    done = sum(states[s] for s in DONE)
    rating = _mean([float(e["rating"]) for e in evals if e.get("rating") is not None])
    satisfaction = _mean([float(e["satisfaction"]) for e in evals if e.get("satisfaction") is not None])
    on_time = _mean([1.0 if e.get("on_time") else 0.0 for e in evals])
    score = round(
        w.completion * (done / reached if reached else 0.0)
        + w.rating * ((rating or 0) / 5)
        + w.satisfaction * (satisfaction or 0)
        + w.on_time * (on_time or 0),
        4,
    )
    return {
        "unit": unit_id,
        "name": unit.get("name"),
        "type": unit.get("type"),
        "claimed": sum(1 for c in claims if c.get("kind") in CLAIM_KINDS),
        "declined": sum(1 for c in claims if c.get("status") == "declined"),
        "confirmed": reached,
        "completed": done,
        "on_time_rate": on_time,
        "mean_rating": rating,
        "mean_satisfaction": satisfaction,
        "reliability": unit.get("reliability"),
        "score": score,
        "by_state": dict(sorted(states.items())),
    }


def rank_units(
    store: GraphStore, scope: str, limit: int = 50, weights: AssessmentWeights | None = None
) -> list[dict[str, Any]]:
    """The 12345-style ranking of a street's or district's units by their assessment score:
    units with any claim, decline or agreement, or all of them when none has one yet."""
    w = weights or AssessmentWeights.from_settings(Settings.load())
    rows = [assess_unit(store, u["id"], w) for u in store.units_of(scope)]
    rows = [r for r in rows if r["confirmed"] or r["claimed"] or r["declined"]] or rows
    rows.sort(key=lambda r: (-r["score"], -r["completed"], r["unit"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows[:limit]


__all__ = ["AssessmentWeights", "assess_unit", "rank_units"]
