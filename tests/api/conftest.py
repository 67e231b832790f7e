"""Fixtures of the API tests: the app over the ``store`` fixture of tests/conftest.py (so every
test runs on the embedded store and on a real Neo4j server), a client, and a small
hand-built city (one street, three communities, six units, ten resources, twelve demands)
written as list files, so the cycle starts with an upload like a coordinator's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelp import COORD, SECRET, V1, run_round, small_city, upload
from fastapi.testclient import TestClient

from api import create_app
from engine.config import Settings
from engine.lists import batch_to_lists
from engine.store import GraphStore


@pytest.fixture
def city_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "lists"
    paths = batch_to_lists(small_city(), folder, fmt="csv")
    return [p for p in paths.values() if p.exists()]


@pytest.fixture
def app_store(store: GraphStore) -> GraphStore:
    return store


@pytest.fixture
def client(app_store: GraphStore, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.load(data_dir=tmp_path / "api-data", token_secret=SECRET)
    app = create_app(settings, store=app_store)
    with TestClient(app) as c:
        yield c


@pytest.fixture
def loaded(client: TestClient, city_files: list[Path]) -> TestClient:
    r = upload(client, city_files)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] is True
    return client


@pytest.fixture
def published(loaded: TestClient) -> tuple[TestClient, dict]:
    rnd = run_round(loaded)
    r = loaded.post(f"{V1}/rounds/{rnd['id']}/publish", headers=COORD)
    assert r.status_code == 200, r.text
    return loaded, r.json()
