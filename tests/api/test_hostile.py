"""Hostile inputs by name (issue 12 item 2): NUL and emoji in ids, path traversal in every file
or name parameter. Each is a clear 4xx with both languages, and nothing is read or written
outside what the request may touch. Also the regressions the fuzzer found, named after what
broke."""

from __future__ import annotations

from pathlib import Path

import pytest
from apihelp import ADMIN, COORD, V1
from fastapi.testclient import TestClient

from engine.store import GraphStore


def _clear_4xx(r, *allowed: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code in allowed, (r.status_code, r.text)
    body = r.json()
    assert body["error"] and body["message"] and body["message_en"], body
    return body


@pytest.mark.parametrize("path", [
    "units/U1%00", "resources/R1%00x", "demands/%00", "projects/P%00/events", "rounds/R%00/kpis",
    "areas/C1%00", "units/U1%00/assessment",
])
def test_nul_in_a_path_id_is_422(loaded: TestClient, path: str) -> None:
    _clear_4xx(loaded.get(f"{V1}/{path}", headers=ADMIN), 422)


def test_nul_in_a_filter_or_body_id_is_422_and_writes_nothing(loaded: TestClient, app_store: GraphStore) -> None:
    c = loaded
    _clear_4xx(c.get(f"{V1}/demands", params={"scope": "S1\x00"}, headers=ADMIN), 422)
    _clear_4xx(c.get(f"{V1}/projects", params={"unit": "U1\x00"}, headers=ADMIN), 422)
    before = app_store.count("Demand")
    _clear_4xx(c.post(f"{V1}/demands", json={"community": "C1\x00", "category": "repair", "quantity": 2},
                      headers=COORD), 422)
    _clear_4xx(c.post(f"{V1}/demands", json={"id": "D\x00X", "community": "C1", "category": "repair", "quantity": 2},
                      headers=COORD), 422)
    assert app_store.count("Demand") == before


@pytest.mark.parametrize("path", ["units/😀", "demands/需求😀", "projects/%F0%9F%98%80", "areas/🏙️"])
def test_emoji_in_a_path_id_is_a_clean_404(loaded: TestClient, path: str) -> None:
    body = _clear_4xx(loaded.get(f"{V1}/{path}", headers=ADMIN), 404)
    assert body["error"] == "not_found"


def test_emoji_in_a_new_id_is_422(loaded: TestClient, app_store: GraphStore) -> None:
    before = app_store.count("Resource")
    _clear_4xx(loaded.post(f"{V1}/resources", json={"id": "R😀", "unit": "U1", "category": "medical", "capacity": 3},
                           headers=ADMIN), 422)
    assert app_store.count("Resource") == before


@pytest.mark.parametrize("path", [
    "templates/..%2F..%2F..%2Fetc%2Fpasswd", "templates/..", "lists/..%2Fdemands", "lists/%2E%2E",
    "scenarios/SCN-000000000000/..%2F..%2F..%2Fetc%2Fpasswd", "scenarios/..%2F..%2Fapi/report.html",
    "scenarios/SCN-000000000000/%2E%2E", "scenarios/%2E%2E/report.html",
])
def test_path_traversal_in_a_file_or_name_parameter_is_4xx(loaded: TestClient, path: str) -> None:
    r = loaded.get(f"{V1}/{path}", headers=ADMIN)
    _clear_4xx(r, 404, 405, 422)
    assert b"root:" not in r.content


@pytest.mark.parametrize("name", ["../../etc/cron.d/x.csv", "..\\..\\x.csv", "/tmp/abs.csv", ".."])
def test_path_traversal_in_an_upload_name_is_422_and_imports_nothing(loaded: TestClient, app_store: GraphStore,
                                                                    tmp_path: Path, name: str) -> None:
    before = app_store.count("Unit")
    r = loaded.post(f"{V1}/imports", files=[("files", (name, b"id,name\nU99,x\n", "text/csv"))], headers=ADMIN)
    _clear_4xx(r, 422)
    assert app_store.count("Unit") == before
    assert not (tmp_path.parent / "x.csv").exists()


def test_recommendations_for_a_demand_without_a_year_is_409_not_500(loaded: TestClient) -> None:
    # found by the fuzzer: a demand created without a list year is in no year's snapshot, and
    # recommend() indexed an empty tuple (IndexError → 500)
    c = loaded
    r = c.post(f"{V1}/demands", json={"community": "C1", "category": "repair", "quantity": 2}, headers=COORD)
    assert r.status_code == 201, r.text
    body = _clear_4xx(c.get(f"{V1}/demands/{r.json()['id']}/recommendations", headers=ADMIN), 409)
    assert "year" in body["message_en"]


def test_round_with_a_partial_speed_table_keeps_the_other_modes() -> None:
    # found by the fuzzer: params {"speeds_kmh": {"walk": 3}} failed the round job with
    # KeyError 'car' when a car resource's reach was computed
    from engine.geo import reach_meters
    from engine.matching.params import RoundParams

    p = RoundParams.model_validate({"speeds_kmh": {"walk": 3}})
    assert reach_meters(10, "car", p.detour, p.speeds_kmh) == reach_meters(10, "car", p.detour, None)
    assert p.speeds_kmh["walk"] == 3
