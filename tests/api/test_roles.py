"""Roles and scopes: every refusal is a 403 with the reason; no credentials is a 401."""

from __future__ import annotations

from apihelp import ADMIN, COORD, SECRET, V1, auth, first_project, run_round
from fastapi.testclient import TestClient

from engine.tokens import issue


def test_unauthenticated_is_401(client: TestClient) -> None:
    for path in ("/units", "/rounds", "/demands"):
        r = client.get(f"{V1}{path}")
        assert r.status_code == 401 and r.json()["error"] == "unauthenticated"
        assert r.headers["WWW-Authenticate"] == "Bearer"
    assert client.get(f"{V1}/units", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    forged = issue("admin", None, "mallory", "another-secret-another-secret-another-secret")
    assert client.get(f"{V1}/units", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    expired = issue("admin", None, "old", SECRET, ttl=1)
    import time

    time.sleep(1.2)
    assert client.get(f"{V1}/units", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200


def _forbidden(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "forbidden" and r.json()["message"] and r.json()["message_en"]


def test_unit_never_acts_for_another_unit(published: tuple[TestClient, dict]) -> None:
    c, rnd = published
    p = first_project(c, rnd["id"], lambda p: p["demand"] == "D1")
    owner = p["allocations"][0]["unit"]
    other = "U3" if owner != "U3" else "U2"
    _forbidden(c.post(f"{V1}/projects/{p['id']}/claim", json={"unit": owner}, headers=auth("unit", other)))
    _forbidden(c.post(f"{V1}/resources", json={"unit": owner, "category": "medical", "capacity": 5},
                      headers=auth("unit", other)))
    tag = c.get(f"{V1}/resources/R1", headers=ADMIN).headers["ETag"]
    _forbidden(c.patch(f"{V1}/resources/R1", json={"capacity": 1}, headers=auth("unit", "U2", **{"If-Match": tag})))
    assert c.post(f"{V1}/projects/{p['id']}/claim", headers=auth("unit", owner)).status_code == 200
    # the other unit cannot withdraw, start or decline the owner's project
    _forbidden(c.post(f"{V1}/projects/{p['id']}/withdraw", headers=auth("unit", other)))
    _forbidden(c.post(f"{V1}/projects/{p['id']}/decline", json={"reason": "x"}, headers=auth("unit", other)))
    # a unit cannot answer on the community's side
    _forbidden(c.post(f"{V1}/projects/{p['id']}/confirm", headers=auth("unit", owner)))
    # nor evaluate, publish, run rounds or issue tokens
    _forbidden(c.post(f"{V1}/projects/{p['id']}/evaluate", json={"rating": 5, "satisfaction": 1},
                      headers=auth("unit", owner)))
    _forbidden(c.post(f"{V1}/rounds", json={"scope": "S1"}, headers=auth("unit", owner)))
    _forbidden(c.post(f"{V1}/admin/tokens", json={"role": "admin", "sub": "me"}, headers=auth("unit", owner)))


def test_coordinator_never_acts_for_another_community(published: tuple[TestClient, dict]) -> None:
    c, rnd = published
    p = first_project(c, rnd["id"], lambda p: p["community"] == "C1")
    c2 = auth("coordinator", "C2")
    _forbidden(c.post(f"{V1}/demands", json={"community": "C1", "category": "repair", "quantity": 3}, headers=c2))
    _forbidden(c.post(f"{V1}/rounds", json={"scope": "S1"}, headers=c2))
    _forbidden(c.post(f"{V1}/rounds/{rnd['id']}/rerun", headers=c2))
    owner = p["allocations"][0]["unit"]
    assert c.post(f"{V1}/projects/{p['id']}/claim", headers=auth("unit", owner)).status_code == 200
    _forbidden(c.post(f"{V1}/projects/{p['id']}/confirm", headers=c2))
    _forbidden(c.post(f"{V1}/resources/R2/requests", json={"demand": "D1"}, headers=c2))
    tag = c.get(f"{V1}/demands/D1", headers=ADMIN).headers["ETag"]
    _forbidden(c.patch(f"{V1}/demands/D1", json={"quantity": 1}, headers={**c2, "If-Match": tag}))
    # a coordinator of C1 may
    assert c.post(f"{V1}/projects/{p['id']}/confirm", headers=auth("coordinator", "C1")).status_code == 200
    # and a coordinator never acts on the unit's side (confirming its own request)
    _forbidden(c.post(f"{V1}/projects/{p['id']}/claim", json={"unit": owner}, headers=COORD))


def test_planner_reads_and_runs_what_if_only(loaded: TestClient) -> None:
    c = loaded
    P = auth("planner", None, "plan-1")
    assert c.get(f"{V1}/demands", headers=P).status_code == 200
    _forbidden(c.post(f"{V1}/demands", json={"community": "C1", "category": "repair", "quantity": 3}, headers=P))
    _forbidden(c.post(f"{V1}/rounds", json={"scope": "S1"}, headers=P))
    tag = c.get(f"{V1}/resources/R1", headers=P).headers["ETag"]
    _forbidden(c.delete(f"{V1}/resources/R1", headers={**P, "If-Match": tag}))
    r = c.post(f"{V1}/rounds", json={"scope": "S1", "year": 2026, "what_if": True,
                                     "params": {"time_limit": 5, "workers": 1, "weights": {"travel": 1.0}}}, headers=P)
    assert r.status_code == 202, r.text
    from apihelp import wait_round

    done = wait_round(c, r.json()["id"])
    assert done["status"] == "done" and done["what_if"] is True
    _forbidden(c.post(f"{V1}/rounds/{done['id']}/publish", headers=P))
    r = c.post(f"{V1}/rounds/{done['id']}/publish", headers=ADMIN)
    assert r.status_code == 409  # what-if rounds are never published


def test_admin_issues_tokens(client: TestClient) -> None:
    r = client.post(f"{V1}/admin/tokens", json={"role": "unit", "scope": "U1", "sub": "zhang"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    tok = r.json()["token"]
    assert client.get(f"{V1}/units", headers={"Authorization": f"Bearer {tok}"}).status_code == 200
    r = client.post(f"{V1}/admin/tokens", json={"role": "unit", "sub": "zhang"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["message_en"]  # a unit token needs a scope


def test_coordinator_street_scope_covers_its_communities(loaded: TestClient) -> None:
    rnd = run_round(loaded, headers=auth("coordinator", "S1"))
    assert rnd["status"] == "done"
    r = loaded.post(f"{V1}/demands", json={"community": "C3", "category": "repair", "quantity": 2}, headers=COORD)
    assert r.status_code == 201
