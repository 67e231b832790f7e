"""The synthetic city-year of micro-wishes: deterministic, calibrated on Chizhou's "7,200+"
fulfilled wishes, every wish in a real community and grid, members' free hours skewed."""

from __future__ import annotations

from collections import Counter

import pytest

from engine import wishes
from engine.store.base import Batch
from engine.synth import synthesize
from engine.synth_wishes import MAX_FREE_HOURS, free_hours


@pytest.fixture(scope="module")
def city() -> Batch:
    return synthesize("chizhou", seed=0)


def _wishes(b: Batch) -> list[tuple[str, dict]]:
    return [(n.id, n.props) for n in b.nodes if n.label == "Wish"]


def test_same_seed_same_wishes_other_seed_differs(city: Batch) -> None:
    assert _wishes(synthesize("chizhou", seed=0)) == _wishes(city)
    assert _wishes(synthesize("chizhou", seed=1)) != _wishes(city)


def test_a_city_year_posts_somewhat_more_than_7200(city: Batch) -> None:
    ws = [p for _, p in _wishes(city)]
    assert 7_300 <= len(ws) <= 8_400
    assert all(p["status"] == "open" and p["posted_at"] < p["needed_by"] for p in ws)
    assert {p["posted_at"][:4] for p in ws} == {"2026"}
    months = Counter(p["posted_at"][5:7] for p in ws)
    assert len(months) == 12 and min(months.values()) > len(ws) / 12 * 0.7  # across the whole year
    urgent = sum(p["urgent"] for p in ws) / len(ws)
    assert 0.07 <= urgent <= 0.13
    cats = Counter(p["category"] for p in ws)
    assert set(cats) == set(wishes.WISH_CATEGORIES) and cats.most_common(1)[0][0] == "elder_care"
    assert all(1 <= p["effort"] <= wishes.MAX_EFFORT and p["contact"] for p in ws)


def test_every_wish_in_a_real_community_and_one_of_its_grids(city: Batch) -> None:
    comms = {n.id for n in city.nodes if n.label == "Community"}
    grid_comm = {r.src: r.dst for r in city.rels if r.type == "PART_OF" and r.src_label == "Grid"}
    ws = _wishes(city)
    assert all(p["community"] in comms and grid_comm[p["grid"]] == p["community"] for _, p in ws)
    wishes_rel = {r.dst: r.src for r in city.rels if r.type == "WISHES"}
    in_grid = {r.src: r.dst for r in city.rels if r.type == "IN_GRID"}
    assert all(wishes_rel[w] == p["community"] and in_grid[w] == p["grid"] for w, p in ws)
    per_comm = Counter(p["community"] for _, p in ws)
    assert set(per_comm) == comms  # every community has wishes, more for bigger ones


def test_members_have_skills_and_skewed_weekly_free_hours(city: Batch) -> None:
    ms = [n.props for n in city.nodes if n.label == "Member"]
    hours = [m["free_hours"] for m in ms]
    assert min(hours) == 1 and max(hours) <= MAX_FREE_HOURS
    assert sorted(hours)[len(hours) // 2] <= 2 < max(hours) - 5  # most few, some many
    assert all(m["skills"] is None or set(m["skills"]) <= set(wishes.WISH_CATEGORIES) for m in ms)
    assert 0.15 <= sum(m["skills"] is None for m in ms) / len(ms) <= 0.25
    assert free_hours(0) == 1 and free_hours(10**6) == MAX_FREE_HOURS


def test_the_city_itself_is_unchanged_by_the_wishes(city: Batch) -> None:
    # wishes draw from their own generator: the rest of the city is what it was without them
    from engine import synth

    orig = synth.add_wishes
    try:
        synth.add_wishes = lambda *a, **k: None  # type: ignore[assignment]
        bare = synthesize("chizhou", seed=0)
    finally:
        synth.add_wishes = orig
    strip = {"skills", "free_hours"}
    mine = [(n.label, n.id, {k: v for k, v in n.props.items() if k not in strip})
            for n in city.nodes if n.label != "Wish"]
    assert mine == [(n.label, n.id, n.props) for n in bare.nodes]


def test_scaled_copies_have_their_own_wish_ids() -> None:
    two = synthesize("chizhou", seed=0, scale=2)
    ids = [n.id for n in two.nodes if n.label == "Wish"]
    assert len(ids) == len(set(ids)) and {i[:4] for i in ids} == {"P01-", "P02-"}
