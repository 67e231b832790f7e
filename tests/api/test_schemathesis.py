"""Schemathesis against the app's own OpenAPI document: for every operation a bounded number
of generated requests (authenticated as admin, embedded store, the small city with a published
round): no 5xx, and every response conforms to the documented schema.

Excluded: the multipart upload (covered by the import tests) and the two routes that start
solver jobs (a generated time limit could keep the job pool busy past the test)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from apihelp import ADMIN, COORD, SECRET, V1, run_round, small_city
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api import create_app
from engine.config import Settings
from engine.store import EmbeddedStore

MAX_EXAMPLES = 10

# The schema is read from the app at collection time (schemathesis parametrizes from it); the
# app's lifespan, store and data set are set up by the module fixture below, before any case runs.
_TMP = Path(tempfile.mkdtemp(prefix="fourlinks-schemathesis-"))
# schemathesis's ASGI transport runs the app's lifespan around every call: the store is
# injected (the lifespan does not own it) and nothing is "recovered" at each start.
_STORE = EmbeddedStore(_TMP / "data")
app = create_app(Settings.load(store="embedded", data_dir=_TMP / "api", token_secret=SECRET), store=_STORE,
                 recover=False)
schema = (
    schemathesis.openapi.from_asgi("/openapi.json", app)
    .exclude(path=f"{V1}/imports")
    .exclude(method="POST", path=f"{V1}/rounds")
    .exclude(method="POST", path_regex=r".*/rerun$")
)


@pytest.fixture(scope="module")
def running_app() -> Iterator[None]:
    with TestClient(app) as client:  # runs the lifespan: app.state holds the store and the job runner
        _STORE.write(small_city())
        rnd = run_round(client)
        assert client.post(f"{V1}/rounds/{rnd['id']}/publish", headers=COORD).status_code == 200
        yield
    _STORE.close()
    shutil.rmtree(_TMP, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms(case: schemathesis.Case, running_app: None) -> None:
    case.call_and_validate(headers=ADMIN, checks=[not_a_server_error, response_schema_conformance])
