"""The write rules of issue 15 at the engine level, on both stores: who may claim a project of
a published round (engine.lifecycle), and what a write of a list item may change
(engine.lists.items). The same rules through the API are in tests/api/test_cycle.py."""

from __future__ import annotations

import pytest

from engine.audit import Actor
from engine.errors import Conflict, InvalidInput, StaleVersion
from engine.lifecycle import claim_demand, claim_project, decline
from engine.lists import items
from engine.store import Batch, GraphStore

COORD = Actor("K1", "coordinator")


def world() -> Batch:
    """One community, two units with a volunteer resource each, an elder-care demand of 20
    hours, and a published round proposing U4's resource for all of it."""
    b = Batch()
    b.node("Community", "K1", name="社区一", lat=30.60, lon=117.50)
    b.node("Community", "K2", name="社区二", lat=30.61, lon=117.51)
    for uid in ("U1", "U4"):
        b.node("Unit", uid, name=f"单位{uid}", type="soe", lat=30.601, lon=117.50)
        b.rel("LOCATED_IN", "Unit", uid, "Community", "K1")
    for rid, uid, cap in (("R1", "U1", 30), ("R4", "U4", 20)):
        b.node("Resource", rid, name=f"{uid}志愿服务", category="volunteer", capacity=cap, lat=30.601, lon=117.50,
               version=1)
        b.rel("OFFERS", "Unit", uid, "Resource", rid)
    b.node("Demand", "D2", name="助老服务", category="elderly_care", quantity=20, status="open", version=1)
    b.rel("NEEDS", "Community", "K1", "Demand", "D2")
    b.node("Round", "RND", scope="K1", status="published", version=1)
    b.node("Project", "P1", round="RND", demand="D2", status="proposed", version=1, reason_zh="由单位U4承接")
    b.rel("PROPOSES", "Round", "RND", "Project", "P1")
    b.rel("FULFILS", "Project", "P1", "Demand", "D2")
    b.node("Allocation", "P1-R4", project="P1", resource="R4", unit="U4", amount=20)
    b.rel("HAS", "Project", "P1", "Allocation", "P1-R4")
    b.rel("DRAWS_ON", "Allocation", "P1-R4", "Resource", "R4")
    return b


@pytest.fixture
def claims_store(store: GraphStore) -> GraphStore:
    store.write(world())
    return store


def _allocated(store: GraphStore, demand: str) -> int:
    held = [p for p in store.find("Project", {"demand": demand}) if p["status"] not in ("declined", "withdrawn")]
    return sum(a["amount"] for p in held for a in store.find("Allocation", {"project": p["id"]}))


def test_another_unit_cannot_claim_a_proposed_project(claims_store: GraphStore) -> None:
    s = claims_store
    with pytest.raises(Conflict) as e:
        claim_project(s, "P1", "U1", Actor("U1", "unit"), resource_id="R1")
    assert "U4" in e.value.message and "cannot claim" in e.value.message_en
    assert [a["id"] for a in s.find("Allocation", {"project": "P1"})] == ["P1-R4"]
    assert s.get("Project", "P1")["status"] == "proposed"
    with pytest.raises(Conflict):  # the proposed unit names a resource the project does not use
        claim_project(s, "P1", "U4", Actor("U4", "unit"), resource_id="R1")
    p = claim_project(s, "P1", "U4", Actor("U4", "unit"))
    assert p["status"] == "claimed" and _allocated(s, "D2") == 20


def test_a_direct_claim_waits_until_the_proposal_is_declined(claims_store: GraphStore) -> None:
    s = claims_store
    with pytest.raises(Conflict, match="P1"):
        claim_demand(s, "D2", "U1", "R1", Actor("U1", "unit"))
    decline(s, "P1", Actor("U4", "unit"), "本月人手不足")
    with pytest.raises(InvalidInput):
        claim_demand(s, "D2", "U1", "R1", Actor("U1", "unit"), amount=30)  # more than the demand
    p = claim_demand(s, "D2", "U1", "R1", Actor("U1", "unit"))
    assert p["status"] == "claimed" and _allocated(s, "D2") == 20


def test_a_claim_never_holds_more_than_the_demand(claims_store: GraphStore) -> None:
    s = claims_store
    # the community lowers its need after the round: the round's 20 hours no longer fit
    items.update(s, COORD, "Demand", "D2", {"quantity": 12}, version=1)
    with pytest.raises(Conflict, match="12"):
        claim_project(s, "P1", "U4", Actor("U4", "unit"))
    assert s.get("Project", "P1")["status"] == "proposed"


def test_items_keep_their_owner_and_held_kind(claims_store: GraphStore) -> None:
    s = claims_store
    with pytest.raises(Conflict) as e:
        items.create(s, COORD, "Resource", {"category": "volunteer", "capacity": 5}, owner="U1", item_id="R4")
    assert "已属于单位 U4" in e.value.message and "belongs to unit U4" in e.value.message_en
    with pytest.raises(Conflict, match="已存在"):
        items.create(s, COORD, "Demand", {"category": "elderly_care", "quantity": 5}, owner="K1", item_id="R4")
    with pytest.raises(Conflict, match="P1"):  # a published proposal holds R4 for an elder-care demand
        items.update(s, COORD, "Resource", "R4", {"category": "funds"}, version=1)
    with pytest.raises(Conflict, match="P1"):
        items.update(s, COORD, "Demand", "D2", {"category": "employment"}, version=1)
    r = items.update(s, COORD, "Resource", "R1", {"category": "funds"}, version=1)  # R1 is free
    assert (r["category"], r["version"], r["unit"]) == ("funds", 2, "U1")
    with pytest.raises(StaleVersion):
        items.update(s, COORD, "Resource", "R1", {"capacity": 3}, version=1)
    d = items.create(s, COORD, "Demand", {"category": "elderly_care", "quantity": 5}, owner="K2")
    assert (d["community"], d["status"], d["version"]) == ("K2", "open", 1)
    actions = [e["action"] for e in s.events_about(d["id"])]
    assert actions == ["demand.create"]
    assert [e["actor"] for e in s.events_about("R1")] == ["coordinator:K1"]


def test_an_item_a_project_under_way_holds_is_not_deleted(claims_store: GraphStore) -> None:
    s = claims_store
    claim_project(s, "P1", "U4", Actor("U4", "unit"))
    with pytest.raises(Conflict):
        items.delete(s, COORD, "Resource", "R4", version=1)
    with pytest.raises(Conflict):
        items.delete(s, COORD, "Demand", "D2", version=None)
    items.delete(s, COORD, "Resource", "R1", version=1)
    assert s.get("Resource", "R1") is None
    assert [e["action"] for e in s.find("Event", {"action": "resource.delete"})] == ["resource.delete"]
