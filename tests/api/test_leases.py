"""Work owned by a server process (issue 16): a round another live server runs is never failed;
a round, or a pending Idempotency-Key, whose server died (its lease lapsed) is failed or taken
over, on both stores. Two app instances on one Neo4j stand for two server processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from apihelp import COORD, SECRET, V1, small_city
from fastapi.testclient import TestClient

from api import create_app
from api.idempotency import Idempotency, request_hash
from engine.access import Principal
from engine.audit import now
from engine.config import Settings
from engine.store import Batch, EmbeddedStore, GraphStore


@contextmanager
def server(store: GraphStore, folder: Path, lease_seconds: float = 30.0) -> Iterator[TestClient]:
    settings = Settings.load(data_dir=folder, token_secret=SECRET, lease_seconds=lease_seconds)
    with TestClient(create_app(settings, store=store)) as c:
        yield c


def _running_round(store: GraphStore, rid: str, owner: str | None) -> None:
    b = Batch()
    b.node("Round", rid, scope="S1", status="running", owner=owner, created_at=now(), version=1)
    store.write(b)


def _lease(store: GraphStore, lid: str, seconds_left: float) -> None:
    b = Batch()
    b.node("Lease", lid, until=time.time() + seconds_left, pid=1)
    store.write(b)


def _status(store: GraphStore, rid: str) -> str:
    return (store.get("Round", rid) or {}).get("status", "")


@pytest.mark.neo4j
def test_a_second_server_never_fails_a_round_the_first_is_running(neo4j_store_session: GraphStore,
                                                                  tmp_path: Path) -> None:
    store = neo4j_store_session
    store.clear()
    store.apply_schema()
    with server(store, tmp_path / "a", lease_seconds=4.0) as a:
        first = a.app.state.lease.id
        until = float((store.get("Lease", first) or {})["until"])
        _running_round(store, "RND-live", first)
        _running_round(store, "RND-orphan", "LEASE-of-a-dead-process")
        with server(store, tmp_path / "b", lease_seconds=1.0):
            assert _status(store, "RND-orphan") == "failed"  # at the second server's start
            time.sleep(3.0)  # many looks of the second server, two heartbeats of the first
            assert _status(store, "RND-live") == "running"
        assert float((store.get("Lease", first) or {})["until"]) > until  # renewed meanwhile
    # the first server stopped cleanly: it released its lease
    assert float((store.get("Lease", first) or {}).get("until", 1)) == 0.0


@pytest.mark.neo4j
def test_a_round_whose_server_stopped_heartbeating_is_failed_once_its_lease_lapses(
        neo4j_store_session: GraphStore, tmp_path: Path) -> None:
    store = neo4j_store_session
    store.clear()
    store.apply_schema()
    _lease(store, "LEASE-killed", seconds_left=1.5)  # its last heartbeat just before a kill -9
    _running_round(store, "RND-killed", "LEASE-killed")
    with server(store, tmp_path / "b", lease_seconds=0.6):
        assert _status(store, "RND-killed") == "running"  # its lease still holds
        t0 = time.monotonic()
        while _status(store, "RND-killed") == "running" and time.monotonic() - t0 < 10:
            time.sleep(0.1)
        assert _status(store, "RND-killed") == "failed"
        ev = [e for e in store.events_about("RND-killed") if e.get("action") == "round.failed"]
        assert ev and "stopped" in (ev[0].get("why") or "")


def test_after_a_restart_on_the_embedded_store_rounds_of_the_dead_process_are_failed(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    store = EmbeddedStore(folder)
    store.apply_schema()
    _lease(store, "LEASE-previous", seconds_left=3600)  # killed with a fresh heartbeat
    _running_round(store, "RND-previous", "LEASE-previous")
    _running_round(store, "RND-before-leases", None)
    store.close()
    store = EmbeddedStore(folder)  # the restart: the lock says nobody else has the folder
    try:
        with server(store, tmp_path / "api"):
            assert _status(store, "RND-previous") == "failed"
            assert _status(store, "RND-before-leases") == "failed"
    finally:
        store.close()


def _pending_key(store: GraphStore, key: str, owner: str | None, path: str, body: bytes) -> None:
    principal = Principal(role="coordinator", scope="S1", sub="coord-s1")
    ik = Idempotency(store, principal, key, request_hash("POST", path, "", body))
    props = {"state": "pending", "request_hash": ik.request_hash, "created_at": now(), "owner": owner, "version": 1}
    b = Batch()
    b.node("Idempotency", ik.node_id, **props)
    store.write(b)


DEMAND = b'{"id": "D-new", "community": "C1", "category": "repair", "quantity": 3}'


def test_a_key_left_pending_by_a_dead_server_is_taken_over(store: GraphStore, tmp_path: Path) -> None:
    store.write(small_city())
    _lease(store, "LEASE-dead", seconds_left=-5)  # lapsed
    _pending_key(store, "k-dead", "LEASE-dead", f"{V1}/demands", DEMAND)
    _pending_key(store, "k-old", None, f"{V1}/demands", DEMAND.replace(b"D-new", b"D-old"))
    with server(store, tmp_path / "api") as c:
        h = {**COORD, "Content-Type": "application/json"}
        r = c.post(f"{V1}/demands", content=DEMAND, headers={**h, "Idempotency-Key": "k-dead"})
        assert r.status_code == 201, r.text
        again = c.post(f"{V1}/demands", content=DEMAND, headers={**h, "Idempotency-Key": "k-dead"})
        assert again.status_code == 201 and again.headers.get("Idempotent-Replay") == "true"
        r = c.post(f"{V1}/demands", content=DEMAND.replace(b"D-new", b"D-old"),
                   headers={**h, "Idempotency-Key": "k-old"})
        assert r.status_code == 201, r.text
    assert store.get("Demand", "D-new") and store.get("Demand", "D-old")


@pytest.mark.neo4j
def test_a_key_another_live_server_is_running_stays_in_progress(neo4j_store_session: GraphStore,
                                                                tmp_path: Path) -> None:
    store = neo4j_store_session
    store.clear()
    store.apply_schema()
    store.write(small_city())
    _lease(store, "LEASE-alive", seconds_left=3600)
    _pending_key(store, "k-live", "LEASE-alive", f"{V1}/demands", DEMAND)
    with server(store, tmp_path / "api") as c:
        r = c.post(f"{V1}/demands", content=DEMAND,
                   headers={**COORD, "Content-Type": "application/json", "Idempotency-Key": "k-live"})
        assert r.status_code == 409 and r.json()["error"] == "idempotency_in_progress", r.text
    assert store.get("Demand", "D-new") is None
