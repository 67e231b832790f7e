"""The yearly round end to end on a small real scope (one township of the synthetic city):
invariants a coordinator relies on, determinism, the stored Round, and re-rounds."""

from __future__ import annotations

from collections import defaultdict

import pytest

from engine.errors import InvalidInput, NotFound
from engine.lifecycle import Actor, claim_project, confirm, decline
from engine.matching.candidates import generate
from engine.matching.checker import check, objective_of
from engine.matching.explain import UNMET_REASONS
from engine.matching.params import RoundParams
from engine.matching.round import build_problem, run_round
from engine.matching.snapshot import take_snapshot
from engine.reports import write_round_files
from engine.rounds import publish_round, run_now
from engine.store import EmbeddedStore
from engine.synth import synthesize

SCOPE = "CZ-D03-S02"  # 七都镇: 2 communities, ~40 demands, ~40 resources
PARAMS = RoundParams(time_limit=4, workers=1, seed=0)
COORDINATOR = Actor("CZ-D03-S02", "community")


@pytest.fixture(scope="module")
def city() -> EmbeddedStore:
    s = EmbeddedStore(None)
    s.bulk_load(synthesize("chizhou", seed=3))
    return s


@pytest.fixture()
def store(city: EmbeddedStore) -> EmbeddedStore:
    return city.copy()


def test_round_respects_capacity_reach_and_every_rule(store: EmbeddedStore) -> None:
    snap = take_snapshot(store, SCOPE)
    pairs = generate(snap, PARAMS)
    problem = build_problem(snap, pairs, PARAMS)
    result = run_round(store, SCOPE, PARAMS)
    allocs = [(a.resource, p.demand, a.amount) for p in result.projects for a in p.allocations]
    from engine.matching.problem import SAllocation

    per = {(c.resource, c.demand): c.score for c in problem.candidates}
    sol = [SAllocation(resource=r, demand=d, amount=a, score=per[(r, d)] * a) for r, d, a in allocs]
    assert check(problem, sol) == []
    cap = {r.id: r.capacity for r in snap.resources}
    used: dict[str, int] = defaultdict(int)
    for r, _, a in allocs:
        used[r] += a
    assert all(used[r] <= cap[r] for r in used)
    reach = {r.id: r.reach_minutes or 15 for r in snap.resources}
    for p in result.projects:
        assert p.covered <= p.quantity
        for a in p.allocations:
            assert a.travel_minutes <= reach[a.resource] + 1e-6


def test_optimiser_beats_or_equals_the_greedy_baseline(store: EmbeddedStore) -> None:
    result = run_round(store, SCOPE, PARAMS)
    assert result.objective >= result.baseline.objective - 1e-6
    assert result.kpis["coverage_weighted"] >= result.baseline.kpis["coverage_weighted"] - 0.02
    assert result.status in ("OPTIMAL", "FEASIBLE")


def test_same_inputs_and_seed_give_the_same_project_list(store: EmbeddedStore) -> None:
    a = run_round(store, SCOPE, PARAMS)
    b = run_round(store, SCOPE, PARAMS)
    assert a.input_hash == b.input_hash
    assert a.project_list() == b.project_list()


def test_every_unmet_demand_has_a_known_reason_and_projects_a_chinese_reason(store: EmbeddedStore) -> None:
    result = run_round(store, SCOPE, PARAMS)
    assert result.projects
    for u in result.unmet:
        assert u.reason in UNMET_REASONS
        assert u.reason_zh and u.reason_en
    for p in result.projects:
        assert "满足需求的" in p.reason_zh
        assert abs(sum(p.terms.values()) - p.score) < 1e-3
    covered = {p.demand for p in result.projects if p.covered >= p.quantity}
    unmet = {u.demand for u in result.unmet}
    assert covered.isdisjoint(unmet)
    assert len(covered) + len(unmet) == result.kpis["demands"]


def test_round_is_written_in_one_transaction_with_hash_params_and_who(store: EmbeddedStore) -> None:
    before = store.count("Project")
    result = run_now(store, SCOPE, PARAMS, run_by="coordinator:test")
    r = store.get("Round", result.round_id)
    assert r is not None and r["input_hash"] == result.input_hash and r["run_by"] == "coordinator:test"
    assert r["status"] == "done" and '"time_limit"' in r["params"]
    assert store.count("Project") - before == len(result.projects)
    assert len(store.find("Project", {"round": result.round_id})) == len(result.projects)
    assert any(e["action"] == "round.run" for e in store.events_about(result.round_id))


def test_rerun_keeps_confirmed_projects_and_never_reproposes_declined_pairs(store: EmbeddedStore) -> None:
    first = run_now(store, SCOPE, PARAMS)
    publish_round(store, first.round_id, COORDINATOR)
    keep, drop = first.projects[0], first.projects[1]
    unit = keep.allocations[0].unit
    claim_project(store, keep.id, unit, Actor(unit, "unit"))
    confirm(store, keep.id, COORDINATOR)
    declined_pairs = {(a.resource, drop.demand) for a in drop.allocations}
    decline(store, drop.id, COORDINATOR, reason="场地冲突")
    second = run_now(store, SCOPE, PARAMS, parent=first.round_id)
    kept = {(a.resource, a.amount) for p in second.projects if p.demand == keep.demand for a in p.allocations}
    assert {(a.resource, a.amount) for a in keep.allocations} <= kept
    new_pairs = {(a.resource, p.demand) for p in second.projects for a in p.allocations}
    assert not (declined_pairs & new_pairs)
    assert store.get("Round", second.round_id)["parent"] == first.round_id


def test_round_files_have_chinese_headers(store: EmbeddedStore, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = run_round(store, SCOPE, PARAMS)
    files = write_round_files(result, tmp_path, "zh")
    assert {f.name for f in files} == {"projects.csv", "projects.xlsx", "unmet.csv", "unmet.xlsx"}
    head = (tmp_path / "projects.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert head.startswith("项目编号,需求编号")


def test_unknown_or_empty_scope_is_a_clear_error(store: EmbeddedStore) -> None:
    with pytest.raises(NotFound):
        run_round(store, "NO-SUCH-SCOPE", PARAMS)
    with pytest.raises(InvalidInput):
        run_round(store, SCOPE, PARAMS.model_copy(update={"year": 1999}))


def test_objective_reported_is_the_checkers(store: EmbeddedStore) -> None:
    snap = take_snapshot(store, SCOPE)
    problem = build_problem(snap, generate(snap, PARAMS), PARAMS)
    from engine.matching.problem import SolveParams
    from engine.matching.solver import solve

    sol = solve(problem, SolveParams(time_limit=10, workers=1))
    assert abs(objective_of(problem, sol.allocations)["total"] - sol.objective) < 1e-6


def test_round_on_neo4j_equals_round_on_embedded(neo4j_store_session, city: EmbeddedStore) -> None:  # type: ignore[no-untyped-def]
    """The same data in both stores gives the same snapshot hash and the same project list."""
    neo = neo4j_store_session
    neo.clear()
    neo.apply_schema()
    neo.bulk_load(synthesize("chizhou", seed=3))
    emb = run_round(city.copy(), SCOPE, PARAMS)
    n4j = run_now(neo, SCOPE, PARAMS)
    assert n4j.input_hash == emb.input_hash
    assert n4j.project_list() == emb.project_list()
    assert neo.get("Round", n4j.round_id)["input_hash"] == emb.input_hash


def test_recommendation_for_an_unmet_demand_respects_what_is_already_held(store: EmbeddedStore) -> None:
    """A 吹哨 item mid-year: the best units now, each giving no more than its free capacity,
    and naming what would have to give way to cover the demand whole."""
    from engine.lifecycle import holding_allocations
    from engine.matching.recommend import recommend

    first = run_now(store, SCOPE, PARAMS)
    publish_round(store, first.round_id, COORDINATOR)
    target = next(u for u in first.unmet if u.reason in ("capacity_taken", "unit_limit", "partner_limit",
                                                           "low_value", "not_splittable"))
    recs = recommend(store, target.demand, k=5)
    assert recs and len(recs) <= 5
    for r in recs:
        cap = store.get("Resource", r.resource)["capacity"]
        held_by_others = sum(a["amount"] for a, p in holding_allocations(store, r.resource)
                             if p["demand"] != target.demand)
        assert r.free == cap - held_by_others
        assert r.amount_now <= min(r.free, target.quantity)
        assert sum(d.amount for d in r.displaces) + r.amount_now >= r.amount_full - 1e-9 or not r.displaces
    values = [(r.unit_at_limit, -r.net_value) for r in recs]
    assert values == sorted(values)
    with pytest.raises(NotFound):
        recommend(store, "NO-SUCH-DEMAND")


def test_generated_city_stays_coverable_under_a_tight_candidate_cap(city: EmbeddedStore) -> None:
    """Issue 8: the per-demand cap used to drop every line able to serve a must-cover demand
    alone (the ×16 region's INFEASIBLE). A tiny cap reproduces it on one city: every must-cover
    demand must keep a line that covers it alone, and the hand-matching baseline then covers all."""
    from engine.matching.greedy import greedy, uncovered_must_cover

    params = RoundParams(max_candidates_per_demand=2)
    snap = take_snapshot(city, ",".join(c["id"] for c in city.find("City")))
    problem = build_problem(snap, generate(snap, params), params)
    cap = {r.id: r.capacity for r in problem.resources}
    qty = {d.id: d.quantity for d in problem.demands}
    sole = {c.demand for c in problem.candidates if cap[c.resource] >= qty[c.demand]}
    must = [d.id for d in problem.demands if d.must_cover]
    assert must and all(d in sole for d in must)
    assert uncovered_must_cover(problem, greedy(problem)) == []
