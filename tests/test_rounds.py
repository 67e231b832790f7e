"""The Round's state machine (engine/rounds.py) on its own, without a solve: the transition
table, every write going through it, and the races a cancel and a finishing job run."""

from __future__ import annotations

import pytest

from engine import rounds
from engine.access import WHAT_IF_PREFIX
from engine.audit import Actor
from engine.errors import Conflict
from engine.matching.params import RoundParams
from engine.matching.round import BaselineOut, RoundResult
from engine.store import EmbeddedStore

COORD = Actor("S1", "coordinator")
OWNER = "lease-a"
SCOPE = "S1"


@pytest.fixture()
def db() -> EmbeddedStore:
    return EmbeddedStore(None)


def _queued(db: EmbeddedStore, *, run_by: str = "coordinator:S1", parent: str | None = None,
            params: RoundParams | None = None) -> str:
    r = rounds.queue_round(db, SCOPE, params or RoundParams(year=2026), run_by=run_by, actor=COORD,
                           parent=parent, owner=OWNER)
    return str(r["id"])


def _result(rid: str, run_by: str = "coordinator:S1") -> RoundResult:
    """A computed round with nothing proposed: enough to write and publish."""
    return RoundResult(round_id=rid, scope=SCOPE, year=2026, input_hash="h", status="optimal", objective=0.0,
                       bound=0.0, gap=0.0, wall_time=0.0, solve_time=0.0, candidates=0, components=0, kpis={},
                       baseline=BaselineOut(objective=0.0, kpis={}), projects=[], unmet=[], run_by=run_by)


def _done(db: EmbeddedStore, **kw: object) -> str:
    rid = _queued(db, **kw)  # type: ignore[arg-type]
    assert rounds.start_round(db, rid, OWNER)
    params = kw.get("params") or RoundParams(year=2026)
    result = _result(rid, str(kw.get("run_by", "coordinator:S1")))
    result = result.model_copy(update={"params": params.model_dump(mode="json")})  # type: ignore[union-attr]
    assert rounds.finish_round(db, result, OWNER, kw.get("parent"))  # type: ignore[arg-type]
    return rid


def _status(db: EmbeddedStore, rid: str) -> str | None:
    return (db.get("Round", rid) or {}).get("status")


# -- the table ---------------------------------------------------------------------------------
def test_the_table_leads_from_queued_to_published_and_final_states_stay_final() -> None:
    st = "queued"
    for action in ("start", "finish", "publish"):
        st = rounds.next_state(st, action)
    assert st == "published"
    assert set(rounds.TRANSITIONS.values()) <= set(rounds.STATES)
    leaving = {s for s, _ in rounds.TRANSITIONS}
    assert leaving == {"queued", "running", "done"}  # failed, cancelled, published: no way out


@pytest.mark.parametrize(("state", "action"), [
    ("queued", "publish"), ("queued", "finish"), ("running", "start"), ("running", "publish"),
    ("done", "cancel"), ("done", "start"), ("published", "publish"), ("published", "cancel"),
    ("failed", "start"), ("cancelled", "finish"), ("cancelled", "publish"),
])
def test_an_illegal_transition_is_a_conflict_in_both_languages(state: str, action: str) -> None:
    with pytest.raises(Conflict) as e:
        rounds.next_state(state, action)
    assert state in e.value.message_en and e.value.message and e.value.message != e.value.message_en


# -- the life, through the store ---------------------------------------------------------------
def test_a_round_runs_finishes_and_is_published_once(db: EmbeddedStore) -> None:
    rid = _done(db)
    assert _status(db, rid) == "done" and db.get("Round", rid)["progress"] == 1.0
    with pytest.raises(Conflict):
        rounds.cancel_round(db, rid, COORD)
    assert rounds.publish_round(db, rid, COORD)["status"] == "published"
    with pytest.raises(Conflict) as again:
        rounds.publish_round(db, rid, COORD)
    assert "only a finished round" in again.value.message_en
    actions = [e["action"] for e in db.events_about(rid)]
    assert {"round.queued", "round.run", "round.publish"} <= set(actions)


def test_a_round_cancelled_before_it_starts_never_runs(db: EmbeddedStore) -> None:
    rid = _queued(db)
    assert rounds.cancel_round(db, rid, COORD)["status"] == "cancelled"
    assert not rounds.start_round(db, rid, OWNER)
    assert _status(db, rid) == "cancelled"


def test_a_round_cancelled_while_solving_drops_its_result(db: EmbeddedStore) -> None:
    rid = _queued(db)
    rounds.start_round(db, rid, OWNER)
    rounds.cancel_round(db, rid, COORD)
    with pytest.raises(rounds.Cancelled):
        rounds.ensure_running(db, rid, OWNER)
    assert not rounds.finish_round(db, _result(rid), OWNER)
    assert _status(db, rid) == "cancelled" and db.get("Round", rid).get("solver_status") is None
    with pytest.raises(Conflict):
        rounds.fail_round(db, rid, OWNER, "失败", "failed")


def test_only_the_owner_writes_a_running_round(db: EmbeddedStore) -> None:
    rid = _queued(db)
    rounds.start_round(db, rid, OWNER)
    with pytest.raises(rounds.Cancelled):
        rounds.ensure_running(db, rid, "lease-b")
    assert not rounds.finish_round(db, _result(rid), "lease-b")
    rounds.fail_round(db, rid, OWNER, "求解失败", "solve failed")
    assert _status(db, rid) == "failed"
    assert any(e["action"] == "round.failed" for e in db.events_about(rid))


def test_recovery_fails_only_rounds_of_dead_owners(db: EmbeddedStore) -> None:
    dead, alive, mine = _queued(db), _queued(db), _queued(db)
    for rid in (dead, alive, mine):
        rounds.start_round(db, rid, OWNER)
    db.transition("Round", alive, {"status": "running"}, {"owner": "lease-live"})
    n = rounds.recover_rounds(db, lambda owner: owner == "lease-live", skip={mine})
    assert n == 1
    assert (_status(db, dead), _status(db, alive), _status(db, mine)) == ("failed", "running", "running")


def test_a_what_if_round_is_never_published(db: EmbeddedStore) -> None:
    rid = _done(db, run_by=WHAT_IF_PREFIX + "planner:S1")
    with pytest.raises(Conflict) as e:
        rounds.publish_round(db, rid, COORD)
    assert "what-if" in e.value.message_en
    assert _status(db, rid) == "done"


def test_a_re_round_starts_from_a_published_round_with_its_params(db: EmbeddedStore) -> None:
    rid = _done(db, params=RoundParams(year=2026, seed=7))
    with pytest.raises(Conflict) as e:
        rounds.rerun_params(db.get("Round", rid))
    assert "published" in e.value.message_en
    rounds.publish_round(db, rid, COORD)
    scope, params = rounds.rerun_params(db.get("Round", rid))
    assert (scope, params.seed, params.year) == (SCOPE, 7, 2026)
    scope, params = rounds.rerun_params(db.get("Round", rid), RoundParams(seed=1))
    assert (params.seed, params.year) == (1, 2026)
    child = _done(db, parent=rid)
    assert db.get("Round", child)["parent"] == rid
