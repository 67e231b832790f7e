"""Why a demand is unmet (engine/matching/unmet.py): one vocabulary, and for a must-cover
demand the solver's own diagnosis, alone and through a round."""

from __future__ import annotations

from typing import get_args

import pytest

from engine.matching.explain import UNMET_REASONS
from engine.matching.params import RoundParams
from engine.matching.problem import Conflict
from engine.matching.round import run_round
from engine.matching.unmet import DIAGNOSIS
from engine.store import EmbeddedStore
from engine.synth import synthesize

SCOPE = "CZ-D03-S02"


def test_every_diagnosis_of_the_solver_has_a_reason_in_the_one_vocabulary() -> None:
    diagnoses = set(get_args(Conflict.model_fields["reason"].annotation))
    assert diagnoses == set(DIAGNOSIS)
    assert {v for v in DIAGNOSIS.values() if v is not None} <= set(UNMET_REASONS)


@pytest.fixture(scope="module")
def township() -> EmbeddedStore:
    s = EmbeddedStore(None)
    s.bulk_load(synthesize("chizhou", seed=3))
    return s


def test_a_must_cover_demand_left_short_says_what_the_solver_found(township: EmbeddedStore) -> None:
    """No unit may take a project: every demand is short, the must-cover ones included, and all
    of them for the reason the solver diagnosed (the units' limit), not "cannot be covered"."""
    params = RoundParams(time_limit=2, workers=1, unit_project_limit=0)
    result = run_round(township, SCOPE, params)
    must = {d["id"] for d in township.demands_of(SCOPE) if d.get("must_cover")}
    assert not result.projects and must
    reasons = {u.demand: u.reason for u in result.unmet}
    assert {reasons[d] for d in must if d in reasons} == {"unit_limit"}
    assert all(u.reason_en == UNMET_REASONS[u.reason][1] for u in result.unmet)
