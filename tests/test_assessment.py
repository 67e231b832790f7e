"""考核评价 on its own (engine/assessment.py): what the score counts, and that its weights are
the deployment's settings, not constants."""

from __future__ import annotations

import pytest

from engine.assessment import AssessmentWeights, assess_unit, rank_units
from engine.config import Settings
from engine.store import EmbeddedStore
from engine.store.base import Batch

ASSESS_ENV = ("FOURLINKS_ASSESS_COMPLETION", "FOURLINKS_ASSESS_RATING", "FOURLINKS_ASSESS_SATISFACTION",
              "FOURLINKS_ASSESS_ON_TIME")


@pytest.fixture()
def street(monkeypatch: pytest.MonkeyPatch) -> EmbeddedStore:
    """Two units of one street. SURE completed both its projects, rated 3 of 5 and 0.5;
    STAR completed one of two, rated 5 of 5 and 1.0 (the other is still under way)."""
    monkeypatch.delenv("FOURLINKS_SETTINGS", raising=False)
    for k in ASSESS_ENV:
        monkeypatch.delenv(k, raising=False)
    b = Batch()
    b.node("Street", "S1", name="秋浦街道", kind="street", lat=30.66, lon=117.49)
    b.node("Community", "C1", name="秋浦社区", lat=30.66, lon=117.49, households=2000)
    b.rel("PART_OF", "Community", "C1", "Street", "S1")
    plan = {"SURE": [("evaluated", 3, 0.5), ("evaluated", 3, 0.5)], "STAR": [("evaluated", 5, 1.0), ("in_progress",)]}
    for uid, projects in plan.items():
        b.node("Unit", uid, name=uid, type="agency", lat=30.66, lon=117.49)
        b.rel("LOCATED_IN", "Unit", uid, "Community", "C1")
        for i, (status, *ev) in enumerate(projects):
            pid = f"P-{uid}-{i}"
            b.node("Project", pid, round="direct", demand=f"D-{pid}", status=status, version=1)
            b.node("Allocation", f"{pid}-R", project=pid, resource=f"R-{uid}", unit=uid, amount=1)
            if ev:
                b.node("Evaluation", f"EVAL-{pid}", project=pid, unit=uid, rating=ev[0], satisfaction=ev[1],
                       on_time=True)
    s = EmbeddedStore(None)
    s.write(b)
    return s


def test_the_score_counts_completion_ratings_satisfaction_and_punctuality(street: EmbeddedStore) -> None:
    sure, star = assess_unit(street, "SURE"), assess_unit(street, "STAR")
    assert (sure["confirmed"], sure["completed"], star["confirmed"], star["completed"]) == (2, 2, 2, 1)
    assert (sure["mean_rating"], star["mean_rating"], star["on_time_rate"]) == (3.0, 5.0, 1.0)
    assert sure["score"] == pytest.approx(0.3 * 1 + 0.3 * 3 / 5 + 0.3 * 0.5 + 0.1)
    assert [r["unit"] for r in rank_units(street, "S1")] == ["STAR", "SURE"]


def test_the_weights_are_settings(street: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A district that counts delivery only ranks the unit that finished everything first."""
    for k, v in zip(ASSESS_ENV, ("1", "0", "0", "0"), strict=True):
        monkeypatch.setenv(k, v)
    assert AssessmentWeights.from_settings(Settings.load()) == AssessmentWeights(1.0, 0.0, 0.0, 0.0)
    ranking = rank_units(street, "S1")
    assert [(r["unit"], r["score"]) for r in ranking] == [("SURE", 1.0), ("STAR", 0.5)]
    explicit = rank_units(street, "S1", weights=AssessmentWeights(0.0, 1.0, 0.0, 0.0))
    assert [r["unit"] for r in explicit] == ["STAR", "SURE"]
