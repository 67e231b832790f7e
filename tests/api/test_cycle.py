"""The whole yearly cycle through the API, on both stores: import → round → publish → claim →
confirm → start → progress → complete → evaluate → next year's round sees the new reliability."""

from __future__ import annotations

from pathlib import Path

import pytest
from apihelp import ADMIN, COORD, V1, auth, first_project, run_round, upload
from fastapi.testclient import TestClient

from engine.matching.snapshot import take_snapshot
from engine.store import GraphStore


def test_dry_run_import_writes_nothing(client: TestClient, city_files: list[Path], app_store: GraphStore) -> None:
    r = upload(client, city_files, dry_run=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] is True and body["applied"] is False and body["counts"]["demands"] == 12
    assert app_store.count("Demand") == 0


def test_whole_cycle(loaded: TestClient, app_store: GraphStore) -> None:
    c = loaded
    assert c.get(f"{V1}/communities", params={"parent": "S1"}, headers=ADMIN).json()["total"] == 3
    rnd = run_round(c)
    rid = rnd["id"]
    assert rnd["progress"] == 1.0 and rnd["what_if"] is False
    unmet = c.get(f"{V1}/rounds/{rid}/unmet", headers=ADMIN).json()
    assert [u["demand"] for u in unmet["items"]] == ["D12"] and unmet["items"][0]["reason_zh"]
    assert c.get(f"{V1}/rounds/{rid}/kpis", headers=ADMIN).json()["demands"] == 12

    # claiming before publication is refused by the engine
    p = first_project(c, rid, lambda p: p["demand"] == "D1")
    unit = p["allocations"][0]["unit"]
    U = auth("unit", unit)
    r = c.post(f"{V1}/projects/{p['id']}/claim", headers=U)
    assert r.status_code == 409 and r.json()["message"] and r.json()["message_en"]

    assert c.post(f"{V1}/rounds/{rid}/publish", headers=COORD).json()["status"] == "published"
    # the explanation travels with each allocation
    assert p["reason_zh"] and p["allocations"][0]["terms"]

    steps = [
        ("claim", U, None, "claimed"),
        ("confirm", COORD, None, "confirmed"),
        ("start", U, {"due": "2099-01-01T00:00:00+00:00"}, "in_progress"),
        ("progress", U, {"progress": 50, "note": "已开展两次"}, "in_progress"),
        ("complete", U, None, "completed"),
        ("evaluate", COORD, {"rating": 5, "satisfaction": 0.95, "comment": "居民反响很好"}, "evaluated"),
    ]
    before = app_store.get("Unit", unit)["reliability"]
    for action, who, body, state in steps:
        r = c.post(f"{V1}/projects/{p['id']}/{action}", json=body, headers=who)
        assert r.status_code == 200, (action, r.text)
        assert r.json()["status"] == state
        assert r.headers["ETag"] == f'"{r.json()["version"]}"'
    assert app_store.find("Agreement", {"project": p["id"]})

    after = c.get(f"{V1}/units/{unit}", headers=ADMIN).json()["reliability"]
    assert after != before and after == pytest.approx(0.7 * before + 0.3 * (0.5 + 0.3 * 0.95 + 0.2), abs=1e-4)

    events = c.get(f"{V1}/projects/{p['id']}/events", headers=ADMIN).json()["items"]
    actions = [e["action"] for e in events]
    assert actions == ["project.claim", "project.confirm", "project.start", "project.progress", "project.complete",
                       "project.evaluate"]
    assert events[0]["actor"] == f"unit:{unit}" and events[0]["from_state"] == "proposed"
    round_actions = {e["action"] for e in c.get(f"{V1}/rounds/{rid}/events", headers=ADMIN).json()["items"]}
    assert {"round.queued", "round.run", "round.publish"} <= round_actions
    assert any(e["action"] == "project.evaluate"
               for e in c.get(f"{V1}/units/{unit}/events", headers=ADMIN).json()["items"])

    a = c.get(f"{V1}/units/{unit}/assessment", headers=ADMIN).json()
    assert a["completed"] == 1 and a["mean_rating"] == 5.0
    ranking = c.get(f"{V1}/rankings", params={"scope": "S1"}, headers=ADMIN).json()
    assert ranking[0]["unit"] == unit and ranking[0]["rank"] == 1

    # next year: new lists through the CRUD routes, and the round reads the new reliability
    r = c.post(f"{V1}/resources", json={"id": "R1-2027", "unit": unit, "category": "medical", "capacity": 30,
                                        "travel_mode": "car", "reach_minutes": 30, "year": 2027}, headers=U)
    assert r.status_code == 201, r.text
    r = c.post(f"{V1}/demands", json={"id": "D1-2027", "community": "C1", "category": "health_clinic",
                                      "quantity": 10, "year": 2027}, headers=COORD)
    assert r.status_code == 201, r.text
    nxt = run_round(c, year=2027)
    assert nxt["year"] == 2027
    snap = take_snapshot(app_store, "S1", 2027)
    assert {u.id: u.reliability for u in snap.units}[unit] == pytest.approx(after)
    p2 = first_project(c, nxt["id"], lambda p: p["demand"] == "D1-2027")
    line = p2["allocations"][0]
    assert line["unit"] == unit
    # the reliability term is computed from the evaluated reliability (0.2 × weight × reliability per unit)
    assert line["terms"]["reliability"] > 0


def test_direct_claim_and_resource_request(published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    c, _ = published
    # D12 (employment) is unmet: a unit with a jobs resource claims it directly
    r = c.post(f"{V1}/resources", json={"id": "R-JOBS", "unit": "U6", "category": "jobs", "capacity": 10},
               headers=auth("unit", "U6"))
    assert r.status_code == 201, r.text
    r = c.post(f"{V1}/demands/D12/claim", json={"resource": "R-JOBS", "amount": 5}, headers=auth("unit", "U6"))
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["status"] == "claimed" and app_store.get("Demand", "D12")["status"] == "claimed"
    assert r.json()["awaiting"] == "community"  # a unit's claim is the community's to answer
    # a second claim on the same demand conflicts
    r = c.post(f"{V1}/demands/D12/claim", json={"resource": "R-JOBS"}, headers=auth("unit", "U6"))
    assert r.status_code == 409
    # the community confirms
    assert c.post(f"{V1}/projects/{pid}/confirm", headers=COORD).json()["status"] == "confirmed"

    # a community asks a unit for a resource for a new demand; the unit answers
    r = c.post(f"{V1}/demands", json={"id": "D-NEW", "community": "C2", "category": "legal_aid", "quantity": 4,
                                      "year": 2026}, headers=COORD)
    assert r.status_code == 201
    r = c.post(f"{V1}/resources/R3/requests", json={"demand": "D-NEW", "amount": 4}, headers=COORD)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    assert r.json()["awaiting"] == "unit"
    # the request is in the unit's list of its projects, marked as the unit's to answer
    mine = c.get(f"{V1}/projects?unit=U3&status=claimed", headers=auth("unit", "U3")).json()["items"]
    assert [p["awaiting"] for p in mine if p["id"] == pid] == ["unit"]
    # now the unit is the other side: the coordinator cannot confirm its own request
    assert c.post(f"{V1}/projects/{pid}/confirm", headers=COORD).status_code == 403
    r = c.post(f"{V1}/projects/{pid}/decline", json={"reason": "本月人手不足"}, headers=auth("unit", "U3"))
    assert r.status_code == 200 and r.json()["status"] == "declined" and r.json()["awaiting"] is None
    assert app_store.get("Demand", "D-NEW")["status"] == "open"


def test_rerun_pins_confirmed_and_bans_declined(published: tuple[TestClient, dict]) -> None:
    c, rnd = published
    rid = rnd["id"]
    keep = first_project(c, rid, lambda p: p["demand"] == "D1")
    drop = first_project(c, rid, lambda p: p["demand"] == "D4")
    ku, du = keep["allocations"][0]["unit"], drop["allocations"][0]["unit"]
    assert c.post(f"{V1}/projects/{keep['id']}/claim", headers=auth("unit", ku)).status_code == 200
    assert c.post(f"{V1}/projects/{keep['id']}/confirm", headers=COORD).status_code == 200
    r = c.post(f"{V1}/projects/{drop['id']}/decline", json={"reason": "场地冲突"}, headers=auth("unit", du))
    assert r.status_code == 200, r.text
    r = c.post(f"{V1}/rounds/{rid}/rerun", json={"params": {"time_limit": 5, "workers": 1}}, headers=COORD)
    assert r.status_code == 202, r.text
    from apihelp import wait_round

    new = wait_round(c, r.json()["id"])
    assert new["status"] == "done" and new["parent"] == rid
    projects = c.get(f"{V1}/rounds/{new['id']}/projects", params={"limit": 1000}, headers=ADMIN).json()["items"]
    by_demand = {p["demand"]: p for p in projects}
    assert {a["resource"] for a in by_demand["D1"]["allocations"]} == {a["resource"] for a in keep["allocations"]}
    banned = {a["resource"] for a in drop["allocations"]}
    assert not banned & {a["resource"] for a in by_demand.get("D4", {"allocations": []})["allocations"]}


def test_cancel_round(loaded: TestClient, app_store: GraphStore) -> None:
    c = loaded
    r = c.post(f"{V1}/rounds", json={"scope": "S1", "year": 2026, "params": {"time_limit": 5}}, headers=COORD)
    rid = r.json()["id"]
    r = c.post(f"{V1}/rounds/{rid}/cancel", headers=COORD)
    if r.status_code == 409:  # it finished first: nothing to cancel
        assert app_store.get("Round", rid)["status"] == "done"
        return
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    c.app.state.jobs.wait(rid, timeout=60)  # type: ignore[attr-defined]
    assert app_store.get("Round", rid)["status"] == "cancelled"
    assert app_store.find("Project", {"round": rid}) == []
    assert c.post(f"{V1}/rounds/{rid}/publish", headers=COORD).status_code == 409


def test_a_unit_cannot_claim_another_units_project(published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    """Issue 15.3: claims are refused, never added; the proposed unit keeps its project and no
    demand is ever allocated more than its quantity."""
    from engine.taxonomy import fit

    c, rnd = published
    p = first_project(c, rnd["id"], lambda p: p["demand"] == "D2")
    demand = app_store.get("Demand", "D2")
    own = {a["unit"] for a in p["allocations"]}
    other, res = next((app_store.unit_of(r["id"]), r["id"]) for r in app_store.find("Resource")
                      if app_store.unit_of(r["id"]) not in own and fit(demand["category"], r["category"]) > 0)
    r = c.post(f"{V1}/projects/{p['id']}/claim", json={"resource": res}, headers=auth("unit", other))
    assert r.status_code == 409, r.text
    assert sorted(own)[0] in r.json()["message"] and "cannot claim" in r.json()["message_en"]
    # a direct claim of the demand the project holds is refused too
    r = c.post(f"{V1}/demands/D2/claim", json={"resource": res}, headers=auth("unit", other))
    assert r.status_code == 409 and p["id"] in r.json()["message"]
    after = c.get(f"{V1}/projects/{p['id']}", headers=ADMIN).json()
    assert after["allocations"] == p["allocations"] and after["status"] == "proposed"
    # the proposed unit is not locked out
    unit = sorted(own)[0]
    r = c.post(f"{V1}/projects/{p['id']}/claim", headers=auth("unit", unit))
    assert r.status_code == 200, r.text
    assert sum(a["amount"] for a in r.json()["allocations"]) <= demand["quantity"]
    # once its unit withdraws, the other unit may claim the demand directly, within its quantity
    assert c.post(f"{V1}/projects/{p['id']}/withdraw", json={"reason": "人手不足"},
                  headers=auth("unit", unit)).status_code == 200
    r = c.post(f"{V1}/demands/D2/claim", json={"resource": res}, headers=auth("unit", other))
    assert r.status_code == 201, r.text
    held = [a for q in app_store.find("Project", {"demand": "D2"}) if q["status"] in ("claimed", "confirmed")
            for a in app_store.find("Allocation", {"project": q["id"]})]
    assert sum(a["amount"] for a in held) <= demand["quantity"]


def test_list_items_keep_their_owner_through_the_api(published: tuple[TestClient, dict], app_store: GraphStore,
                                                     tmp_path: Path) -> None:
    """Issue 15.2 through the API: create, import and update refuse a change of owner, and a
    resource a published proposal holds keeps its category."""
    c, rnd = published
    r = c.post(f"{V1}/resources", json={"id": "R1", "unit": "U4", "category": "repair", "capacity": 5},
               headers=ADMIN)
    assert r.status_code == 409 and "已属于单位 U1" in r.json()["message"]
    from engine.lists import LISTS

    spec = LISTS["resources"]
    f = tmp_path / "资源清单.csv"
    f.write_text(",".join(spec.column(k).header("zh") for k in ("id", "unit", "name", "category", "capacity"))
                 + "\nR1,U4,医院义诊,医疗服务,30\n", encoding="utf-8")
    r = upload(c, [f])
    assert r.status_code == 422 and r.json()["report"]["applied"] is False, r.text
    (e,) = r.json()["report"]["errors"]
    assert (e["file"].endswith("资源清单.csv"), e["row"], e["column"], e["value"]) == (True, 2, "单位编号", "U4")
    assert "已属于单位 U1" in e["reason_zh"] and "belongs to unit U1" in e["reason_en"]
    assert app_store.unit_of("R1") == "U1"
    p = first_project(c, rnd["id"], lambda p: bool(p["allocations"]))
    held = p["allocations"][0]["resource"]
    tag = c.get(f"{V1}/resources/{held}", headers=ADMIN).headers["ETag"]
    r = c.patch(f"{V1}/resources/{held}", json={"category": "funds"}, headers={**ADMIN, "If-Match": tag})
    assert r.status_code == 409 and p["id"] in r.json()["message"], r.text
    r = c.patch(f"{V1}/resources/{held}", json={"capacity": 99}, headers={**ADMIN, "If-Match": tag})
    assert r.status_code == 200 and r.json()["capacity"] == 99
