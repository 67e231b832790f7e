"""Races, repeated requests and versions: one winner per project, one effect per
Idempotency-Key, stale versions refused with 412 — on both stores."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

from apihelp import ADMIN, COORD, V1, auth, first_project
from fastapi.testclient import TestClient

from engine.store import GraphStore
from engine.taxonomy import fit


def test_racing_claims_have_one_winner(published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    c, rnd = published
    p = first_project(c, rnd["id"], lambda p: p["demand"] == "D2")
    demand = app_store.get("Demand", "D2")
    own = {a["unit"] for a in p["allocations"]}
    # the project's own units claim as themselves; every other unit with a fitting resource
    # tries to take the project over with it
    contenders: list[tuple[str, str | None]] = [(u, None) for u in sorted(own)]
    for r in app_store.find("Resource"):
        u = app_store.unit_of(r["id"])
        if u not in own and fit(demand["category"], r["category"]) > 0:
            contenders.append((u, r["id"]))
    contenders = (contenders * 4)[:12]

    def go(i: int) -> int:
        unit, res = contenders[i]
        body = {"resource": res} if res else None
        h = auth("unit", unit, f"racer-{i}")
        return c.post(f"{V1}/projects/{p['id']}/claim", json=body, headers=h).status_code

    with ThreadPoolExecutor(len(contenders)) as pool:
        codes = list(pool.map(go, range(len(contenders))))
    assert codes.count(200) == 1, codes
    assert set(codes) <= {200, 409}, codes
    claims = [e for e in app_store.events_about(p["id"]) if e["action"] == "project.claim"]
    assert len(claims) == 1
    won = [x for x in app_store.find("Claim", {"project": p["id"]}) if x.get("kind") == "unit_claims_project"]
    assert len(won) == 1


def test_same_idempotency_key_has_one_effect(published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    c, rnd = published
    p = first_project(c, rnd["id"], lambda p: p["demand"] == "D3")
    unit = p["allocations"][0]["unit"]
    h = auth("unit", unit, "same-caller", **{"Idempotency-Key": "claim-once-123"})
    first = c.post(f"{V1}/projects/{p['id']}/claim", headers=h)
    second = c.post(f"{V1}/projects/{p['id']}/claim", headers=h)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replay") == "true"
    assert len([e for e in app_store.events_about(p["id"]) if e["action"] == "project.claim"]) == 1
    # without the key, a repeat is a real second attempt: the engine refuses it
    assert c.post(f"{V1}/projects/{p['id']}/claim", headers=auth("unit", unit)).status_code == 409
    # the same key on a different request is refused
    r = c.post(f"{V1}/projects/{p['id']}/withdraw", json={"reason": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["error"] == "idempotency_key_reused"
    # a different caller's identical key is its own key
    other = auth("unit", unit, "another-caller", **{"Idempotency-Key": "claim-once-123"})
    assert c.post(f"{V1}/projects/{p['id']}/claim", headers=other).status_code == 409


def test_idempotent_error_is_replayed_and_round_created_once(loaded: TestClient, app_store: GraphStore) -> None:
    c = loaded
    h = {**COORD, "Idempotency-Key": "round-2026"}
    body = {"scope": "S1", "year": 2026, "params": {"time_limit": 5, "workers": 1}}
    a = c.post(f"{V1}/rounds", json=body, headers=h)
    b = c.post(f"{V1}/rounds", json=body, headers=h)
    assert a.status_code == b.status_code == 202 and a.json()["id"] == b.json()["id"]
    c.app.state.jobs.wait(a.json()["id"], timeout=60)  # type: ignore[attr-defined]
    assert len(app_store.find("Round")) == 1
    # an error answer is stored and replayed too
    h2 = {**ADMIN, "Idempotency-Key": "bad-publish"}
    e1 = c.post(f"{V1}/rounds/nope/publish", headers=h2)
    e2 = c.post(f"{V1}/rounds/nope/publish", headers=h2)
    assert e1.status_code == e2.status_code == 404 and e1.json() == e2.json()


def test_pending_idempotency_key_is_409(published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    c, rnd = published
    p = first_project(c, rnd["id"])
    path = f"{V1}/projects/{p['id']}/confirm"
    key, sub = "in-flight", "slow-caller"
    h = hashlib.sha256()
    for part in (b"POST", path.encode(), b"", b""):
        h.update(part)
        h.update(b"\x00")
    nid = "IK-" + hashlib.sha256(f"{sub}\x00coordinator\x00{key}".encode()).hexdigest()[:40]
    # in flight in this very server (its lease is the owner): a key of a dead server is taken over (test_leases)
    app_store.reserve("Idempotency", nid, {"state": "pending", "request_hash": h.hexdigest(),
                                           "owner": c.app.state.lease.id})  # type: ignore[attr-defined]
    r = c.post(path, headers=auth("coordinator", "S1", sub, **{"Idempotency-Key": key}))
    assert r.status_code == 409 and r.json()["error"] == "idempotency_in_progress"


def test_if_match_versions(loaded: TestClient) -> None:
    c = loaded
    r = c.get(f"{V1}/resources/R1", headers=ADMIN)
    tag = r.headers["ETag"]
    U1 = auth("unit", "U1")
    assert c.patch(f"{V1}/resources/R1", json={"capacity": 45}, headers=U1).status_code == 428
    ok = c.patch(f"{V1}/resources/R1", json={"capacity": 45}, headers={**U1, "If-Match": tag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["capacity"] == 45 and ok.headers["ETag"] != tag
    stale = c.patch(f"{V1}/resources/R1", json={"capacity": 50}, headers={**U1, "If-Match": tag})
    assert stale.status_code == 412 and stale.json()["error"] == "stale_version" and stale.json()["message_en"]
    assert c.delete(f"{V1}/resources/R1", headers={**U1, "If-Match": tag}).status_code == 412
    assert c.delete(f"{V1}/resources/R1", headers=U1).status_code == 428
    assert c.delete(f"{V1}/resources/R1", headers={**U1, "If-Match": ok.headers["ETag"]}).status_code == 204
    assert c.get(f"{V1}/resources/R1", headers=ADMIN).status_code == 404

    d = c.get(f"{V1}/demands/D5", headers=ADMIN)
    dt = d.headers["ETag"]
    assert c.patch(f"{V1}/demands/D5", json={"quantity": 11}, headers={**COORD, "If-Match": dt}).status_code == 200
    assert c.patch(f"{V1}/demands/D5", json={"quantity": 12}, headers={**COORD, "If-Match": dt}).status_code == 412


def test_project_if_match(published: tuple[TestClient, dict]) -> None:
    c, rnd = published
    p = first_project(c, rnd["id"], lambda p: p["demand"] == "D5")
    unit = p["allocations"][0]["unit"]
    stale = f'"{p["version"] + 5}"'
    r = c.post(f"{V1}/projects/{p['id']}/claim", headers=auth("unit", unit, **{"If-Match": stale}))
    assert r.status_code == 412
    r = c.post(f"{V1}/projects/{p['id']}/claim", headers=auth("unit", unit, **{"If-Match": f'"{p["version"]}"'}))
    assert r.status_code == 200
