"""Every malformed request is a 4xx with a message in Chinese and English; events are append-only."""

from __future__ import annotations

from pathlib import Path

from apihelp import ADMIN, COORD, V1, auth, first_project, upload
from fastapi.testclient import TestClient

from api import create_app
from engine.store import GraphStore


def _bilingual(r, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] and body["message"] and body["message_en"], body
    return body


def test_malformed_requests_are_4xx_with_both_languages(loaded: TestClient) -> None:
    c = loaded
    _bilingual(c.post(f"{V1}/demands", content=b"{not json", headers={**COORD, "Content-Type": "application/json"}),
               422)
    _bilingual(c.post(f"{V1}/demands", json={"community": "C1"}, headers=COORD), 422)
    _bilingual(c.post(f"{V1}/demands", json={"community": "C1", "category": "no-such", "quantity": 1}, headers=COORD),
               422)
    _bilingual(c.post(f"{V1}/demands", json={"community": "C1", "category": "repair", "quantity": -4},
                      headers=COORD), 422)
    _bilingual(c.post(f"{V1}/demands", json={"community": "NOPE", "category": "repair", "quantity": 4},
                      headers=COORD), 404)
    _bilingual(c.get(f"{V1}/projects/NOPE", headers=ADMIN), 404)
    _bilingual(c.get(f"{V1}/units", params={"limit": 0}, headers=ADMIN), 422)
    _bilingual(c.get(f"{V1}/units", params={"skip": "abc"}, headers=ADMIN), 422)
    _bilingual(c.get(f"{V1}/no-such-route", headers=ADMIN), 404)
    _bilingual(c.put(f"{V1}/units", headers=ADMIN), 405)
    _bilingual(c.post(f"{V1}/rounds", json={"scope": "S1", "params": {"time_limit": -1}}, headers=COORD), 422)
    _bilingual(c.post(f"{V1}/rounds", json={"scope": "NOPE"}, headers=COORD), 404)
    _bilingual(c.get(f"{V1}/rankings", headers=ADMIN), 422)
    _bilingual(c.get(f"{V1}/lists/nope", headers=ADMIN), 422)
    _bilingual(c.patch(f"{V1}/resources/R1", json={"capacity": 2}, headers={**ADMIN, "If-Match": "banana"}), 422)
    _bilingual(c.post(f"{V1}/imports", files=[("files", ("x.txt", b"hello", "text/plain"))], headers=ADMIN), 422)


def test_illegal_transition_is_409_with_reason(published: tuple[TestClient, dict]) -> None:
    c, rnd = published
    p = first_project(c, rnd["id"])
    body = _bilingual(c.post(f"{V1}/projects/{p['id']}/start", headers=ADMIN), 409)
    assert "start" in body["message_en"]
    _bilingual(c.post(f"{V1}/projects/{p['id']}/decline", json={"reason": ""}, headers=ADMIN), 422)
    _bilingual(c.post(f"{V1}/projects/{p['id']}/progress", json={"progress": 101}, headers=ADMIN), 422)


def test_bad_import_is_rejected_whole_with_row_errors(client: TestClient, city_files: list[Path],
                                                      app_store: GraphStore, tmp_path: Path) -> None:
    bad = []
    for p in city_files:
        q = tmp_path / p.name
        text = p.read_text(encoding="utf-8-sig")
        if "D7" in text:
            text = text.replace("mental_health", "no_such_category", 1).replace("心理", "无此类别", 1)
            lines = text.splitlines()
            lines = [ln.replace(",10,", ",-3,", 1) if ln.startswith("D7,") else ln for ln in lines]
            text = "\n".join(lines) + "\n"
        q.write_text(text, encoding="utf-8")
        bad.append(q)
    r = upload(client, bad)
    body = _bilingual(r, 422)
    assert body["error"] == "import_rejected"
    assert body["report"]["errors"] and body["report"]["applied"] is False
    err = body["report"]["errors"][0]
    assert {"file", "row", "column"} <= set(err)
    assert app_store.count("Demand") == 0 and app_store.count("Unit") == 0


def test_events_are_append_only(published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    c, rnd = published
    doc = create_app().openapi()
    for path, ops in doc["paths"].items():
        if "events" in path:
            assert set(ops) == {"get"}, path
    p = first_project(c, rnd["id"])
    unit = p["allocations"][0]["unit"]
    seen = []
    for action, who, body in (("claim", auth("unit", unit), None), ("confirm", COORD, None),
                              ("start", auth("unit", unit), None)):
        before = app_store.count("Event")
        assert c.post(f"{V1}/projects/{p['id']}/{action}", json=body, headers=who).status_code == 200
        assert app_store.count("Event") == before + 1
        evs = c.get(f"{V1}/projects/{p['id']}/events", headers=ADMIN).json()["items"]
        assert evs[: len(seen)] == seen  # earlier events never change
        seen = evs
    # a refused change adds no event
    before = app_store.count("Event")
    assert c.post(f"{V1}/projects/{p['id']}/claim", headers=auth("unit", unit)).status_code == 409
    assert app_store.count("Event") == before


def test_downloads(loaded: TestClient) -> None:
    c = loaded
    r = c.get(f"{V1}/templates/demands", headers=ADMIN)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get(f"{V1}/lists/demands", params={"format": "csv"}, headers=ADMIN)
    assert r.status_code == 200 and "D12" in r.text
    r = c.get(f"{V1}/lists/units", params={"format": "xlsx", "scope": "S1"}, headers=ADMIN)
    assert r.status_code == 200 and r.content[:2] == b"PK"
    page = c.get(f"{V1}/demands", params={"skip": 10, "limit": 5}, headers=ADMIN).json()
    assert page["total"] == 12 and len(page["items"]) == 2
    assert c.get(f"{V1}/demands/D1/recommendations", params={"k": 3}, headers=ADMIN).status_code == 200
