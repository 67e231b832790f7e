"""Issue 10 over HTTP, on both stores: a micro-wish's life through the API, the member role
(a member acts only for themselves), coordinators only in their scope, one winner of a claim
race, repeat-safe redemptions, a balance that never goes below zero, and every change in the
audit trail."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from apihelp import ADMIN, COORD, SECRET, V1, auth, small_city
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from engine import wishes
from engine.store import GraphStore
from engine.tokens import verify
from fourlinks.cli import app as cli

MEMBERS = {"M1": "C1", "M2": "C1", "M3": "C2", "M4": "C1", "M5": "C1", "M6": "C1"}
C1 = auth("coordinator", "C1", "coord-c1")
C2 = auth("coordinator", "C2", "coord-c2")


def member(mid: str, **extra: str) -> dict[str, str]:
    return auth("member", mid, f"member-{mid}", **extra)


@pytest.fixture
def city(client: TestClient, app_store: GraphStore) -> TestClient:
    """The small city written straight to the store, with members reporting to C1 and C2."""
    b = small_city()
    for mid, comm in MEMBERS.items():
        b.node("Member", mid, name=f"党员{mid}", in_service=True)
        b.rel("REPORTS_TO", "Member", mid, "Community", comm)
    app_store.write(b)
    return client


def _post(c: TestClient, wid: str, community: str = "C1", **fields: Any) -> dict:
    body = {"id": wid, "community": community, "category": "elder_care", "effort": 2,
            "description": "帮独居老人买菜", "contact": "王奶奶 13800000000", **fields}
    r = c.post(f"{V1}/wishes", json=body, headers=C1 if community == "C1" else ADMIN)
    assert r.status_code == 201, r.text
    return r.json()


def _err(r: Any, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["message"] and body["message_en"], body
    return body


def test_life_of_a_wish_through_the_api(city: TestClient, app_store: GraphStore) -> None:
    c = city
    w = _post(c, "W1")
    assert w["status"] == "open" and w["contact"] == "王奶奶 13800000000" and w["status_zh"] == "待认领"
    # the contact is private: members, units, planners and other coordinators never see it
    for h in (member("M1"), auth("unit", "U1"), auth("planner", sub="p"), C2):
        got = c.get(f"{V1}/wishes/W1", headers=h).json()
        assert "contact" not in got or got["contact"] is None, got
        listed = c.get(f"{V1}/wishes", params={"community": "C1"}, headers=h).json()["items"]
        assert all(x.get("contact") is None for x in listed)
    assert c.get(f"{V1}/wishes/W1", headers=COORD).json()["contact"] == "王奶奶 13800000000"

    assert c.post(f"{V1}/wishes/W1/claim", headers=member("M1")).json()["claimed_by"] == "M1"
    assert c.get(f"{V1}/wishes", params={"state": "claimed"}, headers=ADMIN).json()["total"] == 1
    r = c.post(f"{V1}/wishes/W1/fulfil", json={"note": "已送到"}, headers=member("M1"))
    assert r.json()["status"] == "fulfilled"
    done = c.post(f"{V1}/wishes/W1/confirm", headers=C1).json()
    assert done["status"] == "confirmed"
    pts = c.get(f"{V1}/members/M1/points", headers=member("M1")).json()
    assert pts["balance"] == w["points"] > 0
    assert [e["kind"] for e in pts["ledger"]["items"]] == ["earn"] and pts["ledger"]["total"] == 1
    # confirming again changes nothing: one earn per wish
    assert c.post(f"{V1}/wishes/W1/confirm", headers=C1).status_code == 200
    assert c.get(f"{V1}/members/M1/points", headers=C1).json()["balance"] == w["points"]
    # every step is in the audit trail, of the wish and of the member
    actions = [e["action"] for e in c.get(f"{V1}/wishes/W1/events", headers=ADMIN).json()["items"]]
    assert sorted(actions) == sorted(["wish.post", "wish.claim", "wish.fulfil", "wish.confirm"])
    mine = {e["action"] for e in c.get(f"{V1}/members/M1/events", headers=member("M1")).json()["items"]}
    assert {"wish.claim", "wish.fulfil", "wish.confirm"} <= mine
    # wrong state: a confirmed wish cannot be claimed or cancelled
    _err(c.post(f"{V1}/wishes/W1/claim", headers=member("M2")), 409)
    _err(c.post(f"{V1}/wishes/W1/cancel", json={"reason": "不需要了"}, headers=C1), 409)
    # release gives a wish back; cancel needs a reason and is in the trail
    _post(c, "W2")
    c.post(f"{V1}/wishes/W2/claim", headers=member("M2"))
    assert c.post(f"{V1}/wishes/W2/release", json={"note": "临时出差"}, headers=member("M2")).json()["status"] == "open"
    _err(c.post(f"{V1}/wishes/W2/cancel", json={}, headers=C1), 422)
    r = c.post(f"{V1}/wishes/W2/cancel", json={"reason": "居民已自行解决"}, headers=C1)
    assert r.json()["status"] == "cancelled"
    assert "wish.cancel" in {e["action"] for e in app_store.events_about("W2")}


def test_a_member_acts_only_for_themselves(city: TestClient) -> None:
    c = city
    _post(c, "W1")
    for r in (c.post(f"{V1}/wishes/W1/claim", json={"member": "M1"}, headers=member("M2")),
              c.get(f"{V1}/members/M1/points", headers=member("M2")),
              c.get(f"{V1}/members/M1/events", headers=member("M2")),
              c.post(f"{V1}/members/M1/points/adjust", json={"points": 5, "reason": "自己加分"}, headers=member("M1")),
              c.post(f"{V1}/wishes", json={"community": "C1", "category": "repair"}, headers=member("M1")),
              c.post(f"{V1}/wishes/W1/confirm", headers=member("M1")),
              c.post(f"{V1}/shop", json={"name": "大米", "price": 5, "stock": 1, "community": "C1"},
                     headers=member("M1"))):
        assert _err(r, 403)["error"] == "forbidden"
    assert c.post(f"{V1}/wishes/W1/claim", headers=member("M1")).status_code == 200
    # another member may neither report it done in M1's name nor as themselves
    _err(c.post(f"{V1}/wishes/W1/fulfil", json={"member": "M1"}, headers=member("M2")), 403)
    _err(c.post(f"{V1}/wishes/W1/fulfil", headers=member("M2")), 409)
    _err(c.post(f"{V1}/wishes/W1/release", headers=member("M2")), 409)
    assert c.post(f"{V1}/shop", json={"id": "RICE", "name": "大米", "price": 1, "stock": 3, "community": "C1"},
                  headers=C1).status_code == 201
    _err(c.post(f"{V1}/shop/RICE/redeem", json={"member": "M1"}, headers=member("M2")), 403)


def test_a_coordinator_acts_only_in_its_scope(city: TestClient) -> None:
    c = city
    _post(c, "W1")
    c.post(f"{V1}/wishes/W1/claim", headers=member("M1"))
    c.post(f"{V1}/wishes/W1/fulfil", headers=member("M1"))
    _err(c.post(f"{V1}/wishes/W1/confirm", headers=C2), 403)
    _err(c.post(f"{V1}/wishes/W1/cancel", json={"reason": "x"}, headers=C2), 403)
    _err(c.post(f"{V1}/wishes", json={"community": "C1", "category": "repair"}, headers=C2), 403)
    _err(c.post(f"{V1}/members/M1/points/adjust", json={"points": 5, "reason": "补记"}, headers=C2), 403)
    _err(c.get(f"{V1}/members/M1/points", headers=C2), 403)
    _err(c.post(f"{V1}/wishes/W1/claim", json={"member": "M3"}, headers=C1), 403)  # M3 reports to C2
    _err(c.post(f"{V1}/shop", json={"name": "大米", "price": 5, "stock": 1, "community": "C1"}, headers=C2), 403)
    _err(c.post(f"{V1}/shop", json={"name": "全市商品", "price": 5, "stock": 1}, headers=C1), 403)  # the city's
    _err(c.post(f"{V1}/wishes/match", json={"scope": "S1"}, headers=C2), 403)
    _err(c.post(f"{V1}/wishes/match", json={"scope": "S1"}, headers=auth("unit", "U1")), 403)
    assert c.post(f"{V1}/wishes/W1/confirm", headers=COORD).json()["status"] == "confirmed"  # the street's coordinator
    assert c.post(f"{V1}/members/M1/points/adjust", json={"points": 5, "reason": "补记"}, headers=C1).status_code == 201


def test_racing_members_for_one_wish_one_winner(city: TestClient, app_store: GraphStore) -> None:
    c = city
    _post(c, "W1")
    racers = ["M1", "M2", "M4", "M5", "M6"]
    gate = threading.Barrier(len(racers))
    codes: dict[str, int] = {}

    def go(mid: str) -> None:
        gate.wait()
        codes[mid] = c.post(f"{V1}/wishes/W1/claim", headers=member(mid)).status_code

    threads = [threading.Thread(target=go, args=(m,)) for m in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [m for m, code in codes.items() if code == 200]
    assert len(winners) == 1 and sorted(codes.values()) == [200] + [409] * (len(racers) - 1), codes
    assert app_store.get("Wish", "W1")["claimed_by"] == winners[0]
    assert len([e for e in app_store.events_about("W1") if e["action"] == "wish.claim"]) == 1


def test_redeem_is_repeat_safe_and_the_balance_never_goes_below_zero(city: TestClient, app_store: GraphStore) -> None:
    c = city
    r = c.post(f"{V1}/members/M1/points/adjust", json={"points": 100, "reason": "期初积分", "request_id": "open-M1"},
               headers=C1)
    assert r.status_code == 201 and r.json()["balance"] == 100
    # the same adjustment sent again (same request id, new key) adds nothing
    again = c.post(f"{V1}/members/M1/points/adjust",
                   json={"points": 100, "reason": "期初积分", "request_id": "open-M1"},
                   headers={**C1, "Idempotency-Key": "adj-2"})
    assert again.json()["balance"] == 100 and again.json()["id"] == r.json()["id"]
    assert c.post(f"{V1}/shop", json={"id": "RICE", "name": "大米一袋", "price": 30, "stock": 5, "community": "C1"},
                  headers=C1).status_code == 201
    _err(c.post(f"{V1}/shop", json={"id": "RICE", "name": "大米", "price": 1, "stock": 1, "community": "C1"},
                headers=C1), 409)
    key = member("M1", **{"Idempotency-Key": "兑换-1".encode().hex()})
    first = c.post(f"{V1}/shop/RICE/redeem", headers=key)
    assert first.status_code == 201, first.text
    second = c.post(f"{V1}/shop/RICE/redeem", headers=key)
    assert second.status_code == 201 and second.json()["id"] == first.json()["id"]
    assert second.headers.get("Idempotent-Replay") == "true"
    # the request id in the body is repeat-safe too, under different keys
    a = c.post(f"{V1}/shop/RICE/redeem", json={"request_id": "r-2"}, headers=member("M1", **{"Idempotency-Key": "a"}))
    b = c.post(f"{V1}/shop/RICE/redeem", json={"request_id": "r-2"}, headers=member("M1", **{"Idempotency-Key": "b"}))
    assert a.json()["id"] == b.json()["id"] and b.json()["balance"] == 40
    pts = c.get(f"{V1}/members/M1/points", headers=member("M1")).json()
    assert pts["balance"] == 40 and [e["kind"] for e in pts["ledger"]["items"]] == ["adjust", "spend", "spend"]
    assert c.get(f"{V1}/shop", params={"community": "C1"}, headers=member("M1")).json()["items"][0]["stock"] == 3
    # 40 left: a third rice (30) is fine, a fourth is refused and spends nothing
    assert c.post(f"{V1}/shop/RICE/redeem", headers=member("M1")).json()["balance"] == 10
    body = _err(c.post(f"{V1}/shop/RICE/redeem", headers=member("M1")), 409)
    assert "积分不足" in body["message"] and "not enough points" in body["message_en"]
    _err(c.post(f"{V1}/members/M1/points/adjust", json={"points": -11, "reason": "扣减"}, headers=C1), 409)
    assert c.get(f"{V1}/members/M1/points", headers=ADMIN).json()["balance"] == 10
    # a member with nothing earned redeems nothing
    _err(c.post(f"{V1}/shop/RICE/redeem", headers=member("M2")), 409)
    actions = [e["action"] for e in c.get(f"{V1}/members/M1/events", headers=C1).json()["items"]]
    assert actions.count("points.spend") == 3 and actions.count("points.adjust") == 1
    assert [e["action"] for e in app_store.events_about("RICE")] == ["shop.item"]


def test_bad_input_is_4xx_with_a_message(city: TestClient) -> None:
    c = city
    _err(c.post(f"{V1}/wishes", json={"community": "C1", "category": "magic"}, headers=C1), 422)
    _err(c.post(f"{V1}/wishes", json={"community": "C1", "category": "repair", "effort": 9}, headers=C1), 422)
    _err(c.post(f"{V1}/wishes", json={"community": "NOPE", "category": "repair"}, headers=ADMIN), 404)
    _err(c.post(f"{V1}/wishes", json={"community": "C1", "category": "repair", "grid": "G2"}, headers=C1), 422)
    _err(c.post(f"{V1}/wishes", json={"community": "C1", "category": "repair", "grid": "NOPE"}, headers=C1), 404)
    _post(c, "W1")
    _err(c.post(f"{V1}/wishes", json={"id": "W1", "community": "C1", "category": "repair"}, headers=C1), 409)
    _err(c.get(f"{V1}/wishes/NOPE", headers=ADMIN), 404)
    _err(c.get(f"{V1}/wishes", params={"state": "done"}, headers=ADMIN), 422)
    _err(c.get(f"{V1}/wishes", params={"community": "NOPE"}, headers=ADMIN), 404)
    _err(c.post(f"{V1}/wishes/W1/claim", headers=C1), 409)  # a coordinator must name the member
    _err(c.post(f"{V1}/wishes/W1/claim", json={"member": "NOPE"}, headers=C1), 404)
    _err(c.post(f"{V1}/wishes/NOPE/claim", headers=member("M1")), 404)
    _err(c.get(f"{V1}/members/NOPE/points", headers=ADMIN), 404)
    _err(c.post(f"{V1}/members/M1/points/adjust", json={"points": 0, "reason": "零"}, headers=C1), 422)
    _err(c.post(f"{V1}/members/M1/points/adjust", json={"points": 3}, headers=C1), 422)
    _err(c.post(f"{V1}/members/M1/points/adjust", json={"points": 3, "reason": "  "}, headers=C1), 422)
    _err(c.post(f"{V1}/shop", json={"name": "x", "price": 0, "stock": 1, "community": "C1"}, headers=C1), 422)
    _err(c.post(f"{V1}/shop/NOPE/redeem", headers=member("M1")), 404)
    _err(c.post(f"{V1}/wishes/match", json={"scope": "NOPE"}, headers=ADMIN), 404)


def test_weekly_matching_proposes_and_explains(city: TestClient) -> None:
    c = city
    _post(c, "W1", urgent=True)
    _post(c, "W2", community="C2", category="repair")
    r = c.post(f"{V1}/wishes/match", json={"scope": "S1", "cap": 1, "time_limit": 5}, headers=COORD)
    assert r.status_code == 200, r.text
    got = r.json()
    matched = {p["wish"] for p in got["pairs"]} | {u["wish"] for u in got["unmatched"]}
    assert matched == {"W1", "W2"}
    assert all(p["reason_zh"] and p["reason_en"] for p in got["pairs"])
    assert all(u["reason_zh"] and u["reason_en"] for u in got["unmatched"])
    assert got["objective"] >= got["greedy_objective"]
    # same inputs, same seed: same proposals; the matching writes nothing
    assert c.post(f"{V1}/wishes/match", json={"scope": "S1", "cap": 1, "time_limit": 5}, headers=COORD).json() == got
    assert c.get(f"{V1}/wishes/W1", headers=ADMIN).json()["status"] == "open"
    assert c.post(f"{V1}/wishes/match", json={"scope": "S1"}, headers=auth("planner", sub="p")).status_code == 200


def test_member_token_from_the_command_line(tmp_path: Path) -> None:
    env = {"FOURLINKS_TOKEN_SECRET": SECRET, "FOURLINKS_DATA_DIR": str(tmp_path)}
    r = CliRunner().invoke(cli, ["token", "--role", "member", "--scope", "M1"], env=env)
    assert r.exit_code == 0, r.output
    p = verify(r.output.strip(), SECRET)
    assert (p.role, p.scope) == ("member", "M1") and p.actor().id == "M1"
    r = CliRunner().invoke(cli, ["token", "--role", "member"], env=env)
    assert r.exit_code != 0  # a member token names its member


def test_engine_points_match_the_api(city: TestClient, app_store: GraphStore) -> None:
    """The API's balance is the engine's ledger sum (one definition of the balance)."""
    c = city
    c.post(f"{V1}/members/M4/points/adjust", json={"points": 7, "reason": "补记"}, headers=C1)
    assert c.get(f"{V1}/members/M4/points", headers=C1).json()["balance"] == wishes.balance(app_store, "M4") == 7


def test_the_round_report_and_the_what_if_comparison_carry_the_wish_kpis(
        city: TestClient, app_store: GraphStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.matching.params import RoundParams
    from engine.matching.round import run_round
    from engine.reports import summary_lines
    from engine.whatif.compare import flat_kpis

    c = city
    monkeypatch.setattr(wishes, "now", lambda: "2026-05-01T08:00:00.000+00:00")  # the city's list year
    _post(c, "W1")
    _post(c, "W2", community="C2")
    c.post(f"{V1}/wishes/W1/claim", headers=member("M1"))
    c.post(f"{V1}/wishes/W1/fulfil", headers=member("M1"))
    earned = c.post(f"{V1}/wishes/W1/confirm", headers=C1).json()["points"]
    result = run_round(app_store, "S1", RoundParams(year=2026, time_limit=5, workers=1))
    w = result.kpis["wishes"]
    assert w == wishes.kpis(app_store, "S1", 2026)
    assert (w["total"]["posted"], w["total"]["confirmed"], w["total"]["points_earned"]) == (2, 1, earned)
    assert w["total"]["median_days_to_confirm"] == 0
    assert w["per_community"]["C1"]["active_members"] == 1 and w["per_community"]["C2"]["open"] == 1
    zh = "\n".join(summary_lines(result, "zh"))
    assert "微心愿：发布 2，已认领 1" in zh and f"获得积分 {earned}" in zh
    assert "micro-wishes: 2 posted, 1 claimed" in "\n".join(summary_lines(result, "en"))
    flat = flat_kpis(result)
    assert flat["wishes.confirmed"] == ("微心愿：已确认心愿数", "micro-wishes: wishes confirmed", 1.0)
    assert flat["wishes.points_earned"][2] == earned


def test_weeks_of_wishes_driven_through_the_api(city: TestClient, app_store: GraphStore) -> None:
    """What a year is, a few weeks of it, only through HTTP: each week the coordinator posts the
    residents' wishes and runs the matching, every proposed member claims and fulfils their wish
    and the coordinator confirms; unmatched wishes carry over. Afterwards every member's balance
    is the points of the wishes they fulfilled, and the ledger's sum."""
    c = city
    earned: dict[str, int] = {}
    confirmed: set[str] = set()
    n = 0
    for week in range(3):
        for k in range(3):
            n += 1
            _post(c, f"W{week}{k}", community="C1" if k < 2 else "C2", urgent=k == 0, effort=1 + k)
        r = c.post(f"{V1}/wishes/match", json={"scope": "S1", "cap": 1, "time_limit": 5}, headers=COORD)
        assert r.status_code == 200, r.text
        pairs = r.json()["pairs"]
        assert pairs, f"week {week}: nothing proposed"
        assert len({p["member"] for p in pairs}) == len(pairs)  # cap 1: one wish per member a week
        for p in pairs:
            who, wid = member(p["member"]), p["wish"]
            assert c.post(f"{V1}/wishes/{wid}/claim", headers=who).status_code == 200
            assert c.post(f"{V1}/wishes/{wid}/fulfil", json={"note": "已完成"}, headers=who).status_code == 200
            home = c.get(f"{V1}/wishes/{wid}", headers=ADMIN).json()["community"]
            done = c.post(f"{V1}/wishes/{wid}/confirm", headers=C1 if home == "C1" else C2)
            assert done.status_code == 200, done.text
            earned[p["member"]] = earned.get(p["member"], 0) + done.json()["points"]
            confirmed.add(wid)
    open_left = c.get(f"{V1}/wishes", params={"state": "open"}, headers=ADMIN).json()["total"]
    assert len(confirmed) + open_left == n
    for mid in MEMBERS:
        pts = c.get(f"{V1}/members/{mid}/points", headers=member(mid)).json()
        assert pts["balance"] == earned.get(mid, 0) == wishes.balance(app_store, mid)
        assert sum(e["points"] for e in pts["ledger"]["items"]) == pts["balance"]
