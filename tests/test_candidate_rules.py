"""The candidate rules alone (engine/matching/candidates.py): one pair rule, the one the round's
vectorised generation applies and the synthetic city uses for its must-cover check."""

from __future__ import annotations

import pytest

from engine.matching.candidates import generate, month_mask, pair_allowed
from engine.matching.params import RoundParams
from engine.matching.snapshot import Snapshot, take_snapshot
from engine.store import EmbeddedStore
from engine.synth import synthesize

SCOPE = "CZ-D03-S02"


@pytest.fixture(scope="module")
def snap() -> Snapshot:
    s = EmbeddedStore(None)
    s.bulk_load(synthesize("chizhou", seed=3))
    return take_snapshot(s, SCOPE)


def _allowed(snap: Snapshot, params: RoundParams, resource: str, demand: str, minutes: float, level: str,
             **change: object) -> bool:
    r = next(x for x in snap.resources if x.id == resource)
    d = next(x for x in snap.demands if x.id == demand)
    reach = float(params.reach_minutes or r.reach_minutes or params.default_reach_minutes)
    args: dict[str, object] = dict(minutes=minutes, reach=reach, level=level, max_level=r.max_level,
                                   r_months=month_mask(r.months), d_months=month_mask(d.months),
                                   r_tags=frozenset(r.tags), d_tags=frozenset(d.tags))
    args.update(change)
    return pair_allowed(**args)  # type: ignore[arg-type]


def test_every_generated_pair_passes_the_one_rule_and_each_part_of_it_can_refuse(snap: Snapshot) -> None:
    params = RoundParams()
    pairs = generate(snap, params)
    assert pairs and all(_allowed(snap, params, p.resource, p.demand, p.minutes, p.level) for p in pairs)
    p = pairs[0]
    assert not _allowed(snap, params, p.resource, p.demand, 10_000.0, p.level)
    assert not _allowed(snap, params, p.resource, p.demand, p.minutes, "city", max_level="community")
    assert not _allowed(snap, params, p.resource, p.demand, p.minutes, p.level,
                        r_months=month_mask([1]), d_months=month_mask([7]))
    assert _allowed(snap, params, p.resource, p.demand, p.minutes, p.level, r_months=month_mask([]),
                    d_months=month_mask([7]))  # a resource listing no months serves all year
    assert not _allowed(snap, params, p.resource, p.demand, p.minutes, p.level, d_tags=frozenset({"home_visit"}),
                        r_tags=frozenset())
