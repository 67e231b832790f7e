"""Helpers of the API tests (imported as ``apihelp``: tests/api is on sys.path under pytest's
default import mode): the small city, tokens, upload and round polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from engine.store import Batch
from engine.tokens import issue

SECRET = "test-secret-for-the-api-tests-0123456789abcdef"
V1 = "/api/v1"
YEAR = 2026

LAT, LON = 30.664, 117.491
COMMUNITIES = [("C1", "秋浦社区", 0.000, 0.000), ("C2", "杏花村社区", 0.004, 0.003), ("C3", "清风社区", -0.003, 0.004)]
UNITS = [  # id, name, type, community, max_projects
    ("U1", "池州市人民医院", "hospital", "C1", 4),
    ("U2", "池州学院", "school", "C2", 4),
    ("U3", "市司法局", "agency", "C3", 3),
    ("U4", "池州供电公司", "soe", "C1", 3),
    ("U5", "青年志愿者协会", "social_org", "C2", 5),
    ("U6", "物业服务公司", "property", "C3", 3),
]
RESOURCES = [  # id, unit, category, capacity
    ("R1", "U1", "medical", 40), ("R2", "U2", "education", 60), ("R3", "U3", "legal", 30),
    ("R4", "U4", "repair", 20), ("R5", "U5", "volunteer", 80), ("R6", "U6", "venue", 12),
    ("R7", "U1", "psychological", 20), ("R8", "U2", "culture", 30), ("R9", "U5", "materials", 50),
    ("R10", "U4", "volunteer", 30),
]
DEMANDS = [  # id, community, category, quantity, priority
    ("D1", "C1", "health_clinic", 12, 4), ("D2", "C1", "elderly_care", 20, 5), ("D3", "C1", "legal_aid", 8, 3),
    ("D4", "C2", "youth_tutoring", 24, 4), ("D5", "C2", "repair", 10, 3), ("D6", "C2", "activity_venue", 6, 2),
    ("D7", "C3", "mental_health", 10, 3), ("D8", "C3", "culture_event", 16, 3), ("D9", "C3", "micro_wish", 20, 4),
    ("D10", "C1", "environment", 15, 2), ("D11", "C2", "safety_patrol", 12, 3), ("D12", "C3", "employment", 5, 2),
]


def small_city(year: int = YEAR) -> Batch:
    """The city as a ``Batch`` (D12 has no resource that can serve it: it stays unmet)."""
    b = Batch()
    b.node("City", "CZ", name="池州市", name_en="Chizhou", lat=LAT, lon=LON)
    b.node("District", "D-GC", name="贵池区", kind="district", lat=LAT, lon=LON)
    b.rel("PART_OF", "District", "D-GC", "City", "CZ")
    b.node("Street", "S1", name="秋浦街道", kind="street", lat=LAT, lon=LON)
    b.rel("PART_OF", "Street", "S1", "District", "D-GC")
    for cid, name, dlat, dlon in COMMUNITIES:
        b.node("Community", cid, name=name, lat=LAT + dlat, lon=LON + dlon, households=2000, rating="A")
        b.rel("PART_OF", "Community", cid, "Street", "S1")
        gid = f"G{cid[1:]}"
        b.node("Grid", gid, name=f"{name}一网格", lat=LAT + dlat + 0.0005, lon=LON + dlon, households=300)
        b.rel("PART_OF", "Grid", gid, "Community", cid)
    where = {c[0]: (LAT + c[2], LON + c[3]) for c in COMMUNITIES}
    for uid, name, typ, cid, maxp in UNITS:
        lat, lon = where[cid]
        b.node("Unit", uid, name=name, type=typ, max_projects=maxp, reliability=0.8, lat=lat + 0.001, lon=lon)
        b.rel("LOCATED_IN", "Unit", uid, "Community", cid)
        b.rel("LOCATED_IN", "Unit", uid, "Grid", f"G{cid[1:]}")
        b.rel("MEMBER_OF_COMMITTEE", "Unit", uid, "Community", cid)
    for rid, uid, cat, cap in RESOURCES:
        b.node("Resource", rid, name=f"{uid}-{cat}", category=cat, capacity=cap, min_allocation=1,
               travel_mode="car", reach_minutes=30, max_level="district", year=year)
        b.rel("OFFERS", "Unit", uid, "Resource", rid)
    for did, cid, cat, qty, prio in DEMANDS:
        b.node("Demand", did, name=f"{cid}-{cat}", category=cat, quantity=qty, priority=prio, support=50,
               splittable=True, year=year, status="open")
        b.rel("NEEDS", "Community", cid, "Demand", did)
    return b


def token(role: str, scope: str | None = None, sub: str | None = None) -> str:
    return issue(role, scope, sub or f"{role}-{scope or 'x'}", SECRET, ttl=3600)


def auth(role: str, scope: str | None = None, sub: str | None = None, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, scope, sub)}", **extra}


ADMIN = auth("admin", sub="root")
COORD = auth("coordinator", "S1", "coord-s1")


def upload(client: TestClient, files: list[Path], headers: dict[str, str] | None = None, **params: Any) -> Any:
    parts = [("files", (p.name, p.read_bytes(), "text/csv")) for p in files]
    return client.post(f"{V1}/imports", files=parts, params=params, headers=headers or ADMIN)


def wait_round(client: TestClient, rid: str, timeout: float = 90.0, headers: dict[str, str] | None = None) -> dict:
    t0 = time.monotonic()
    while True:
        r = client.get(f"{V1}/rounds/{rid}", headers=headers or ADMIN)
        assert r.status_code == 200, r.text
        body = r.json()
        if body["status"] not in ("queued", "running"):
            return body
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"round {rid} still {body['status']} after {timeout}s")
        time.sleep(0.05)


def run_round(client: TestClient, scope: str = "S1", year: int | None = YEAR, headers: dict[str, str] | None = None,
              **params: Any) -> dict:
    body = {"scope": scope, "year": year, "params": {"time_limit": 5, "workers": 1, **params}}
    r = client.post(f"{V1}/rounds", json=body, headers=headers or COORD)
    assert r.status_code == 202, r.text
    done = wait_round(client, r.json()["id"])
    assert done["status"] == "done", done
    return done


def first_project(client: TestClient, round_id: str, pred: Callable[[dict], bool] = lambda p: True) -> dict:
    r = client.get(f"{V1}/rounds/{round_id}/projects", params={"limit": 1000}, headers=ADMIN)
    assert r.status_code == 200, r.text
    items = [p for p in r.json()["items"] if pred(p)]
    assert items, "no project matches"
    return items[0]
