"""Races at size (issue 12, item 4): 1,000 claim attempts from 50 clients over a handful of
projects, on both stores. Exactly one winner per project; every other first attempt is a 409;
an attempt repeated with its Idempotency-Key gets the stored answer back, byte for byte."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from apihelp import ADMIN, V1, auth
from fastapi.testclient import TestClient

from engine.store import GraphStore

CLIENTS = 50
ATTEMPTS = 20  # per client: 1,000 in all
PROJECTS = 5


def test_a_thousand_racing_claims_one_winner_each_and_replays_answered_from_the_store(
        published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    c, rnd = published
    items = c.get(f"{V1}/rounds/{rnd['id']}/projects", params={"limit": 1000}, headers=ADMIN).json()["items"]
    projects = sorted(items, key=lambda p: p["id"])[:PROJECTS]
    assert len(projects) == PROJECTS

    def client(i: int) -> list[tuple[str, str, int, Any, bool]]:
        """One caller: attempts in its own seeded order, one Idempotency-Key per project, so
        every attempt after its first on a project is a replay."""
        rng = random.Random(i)
        out = []
        for _ in range(ATTEMPTS):
            p = rng.choice(projects)
            unit = p["allocations"][0]["unit"]
            h = auth("unit", unit, f"racer-{i}", **{"Idempotency-Key": f"claim-{p['id']}"})
            r = c.post(f"{V1}/projects/{p['id']}/claim", headers=h)
            out.append((p["id"], f"racer-{i}", r.status_code, r.json(), r.headers.get("Idempotent-Replay") == "true"))
        return out

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for chunk in pool.map(client, range(CLIENTS)) for a in chunk]
    assert len(answers) == CLIENTS * ATTEMPTS

    first: dict[tuple[str, str], tuple[int, Any]] = {}
    replays = 0
    for pid, who, code, body, replay in answers:
        key = (pid, who)
        if key not in first:
            assert not replay
            first[key] = (code, body)
        else:
            replays += 1
            assert replay and (code, body) == first[key], "a replay must return the stored answer"
    assert replays == len(answers) - len(first) > 0
    assert {code for code, _ in first.values()} <= {200, 409}, {code for code, _ in first.values()}
    for p in projects:
        winners = [who for (pid, who), (code, _) in first.items() if pid == p["id"] and code == 200]
        assert len(winners) == 1, (p["id"], winners)
        # the store agrees: one claim event, one live claim, the project claimed
        events = [e for e in app_store.events_about(p["id"]) if e["action"] == "project.claim"]
        assert len(events) == 1
        claims = [x for x in app_store.find("Claim", {"project": p["id"]}) if x.get("kind") == "unit_claims_project"]
        assert len(claims) == 1
        assert app_store.get("Project", p["id"])["status"] == "claimed"
