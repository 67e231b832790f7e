"""A part's task travels as flat arrays (engine/matching/compact.py) and comes back the same problem."""

from __future__ import annotations

import pickle

from engine.matching.compact import pack, unpack
from engine.matching.problem import (
    PCandidate,
    PDemand,
    PObjective,
    PPair,
    PPin,
    PResource,
    Problem,
    PUnit,
)


def _problem() -> Problem:
    """Every optional field both present and absent, terms on some lines only."""
    return Problem(
        name="p",
        resources=[PResource(id="R1", capacity=5, min_allocation=2, unit="U1"), PResource(id="R2", capacity=0)],
        demands=[
            PDemand(id="D1", quantity=3, must_cover=True, splittable=False, max_partners=1, community="K1", weight=1.5),
            PDemand(id="D2", quantity=1),
        ],
        units=[PUnit(id="U1", max_projects=2), PUnit(id="U9")],
        candidates=[
            PCandidate(resource="R1", demand="D1", score=0.1 + 0.2, consumption=2, terms={"travel": -0.3, "a": 1e-17}),
            PCandidate(resource="R2", demand="D2", score=-1.0),
            PCandidate(resource="R1", demand="D2", score=2.0, consumption=0, terms={"a": 2.0}),
        ],
        pins=[PPin(resource="R1", demand="D1", amount=3)],
        bans=[PPair(resource="R2", demand="D1")],
        reference=[PPair(resource="R1", demand="D2")],
        objective=PObjective(full_coverage_bonus=0.5, fragmentation=0.1, fairness="floor", fairness_floor=0.2),
    )


def test_pack_round_trips_every_field() -> None:
    p = _problem()
    back = unpack(pickle.loads(pickle.dumps(pack(p))))
    assert back == p
    assert back.model_dump() == p.model_dump()
    assert [list(c.terms) for c in back.candidates] == [list(c.terms) for c in p.candidates]


def test_pack_of_a_city_part_is_smaller_than_the_problem(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The point of packing: a part with many lines pickles to fewer bytes than its pydantic form."""
    from engine.matching.candidates import generate
    from engine.matching.params import RoundParams
    from engine.matching.round import build_problem
    from engine.matching.snapshot import take_snapshot
    from engine.store import EmbeddedStore
    from engine.synth import synthesize

    store = EmbeddedStore(None)
    store.bulk_load(synthesize("chizhou", seed=5))
    params = RoundParams()
    snap = take_snapshot(store, "CZ-D01", params.year)
    p = build_problem(snap, generate(snap, params), params)
    assert len(p.candidates) > 1000
    packed = pickle.dumps(pack(p), protocol=5)
    assert unpack(pickle.loads(packed)) == p
    assert len(packed) < len(pickle.dumps(p, protocol=5)) / 2
