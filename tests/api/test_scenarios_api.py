"""What-if scenarios through the API: a planner runs one as a job and gets the comparison and
the HTML report; a unit may not; a bad file is a 422 naming the key; live data is untouched."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.main import create_app
from engine.config import Settings
from engine.store import EmbeddedStore
from engine.tokens import issue

SCENARIO = """name: api_funds
base: {preset: chizhou, seed: 3}
scope: CZ-D03-S02
params: {time_limit: 2, workers: 1}
variants:
  - name: cut
    label_zh: 资金削减50%
    changes:
      - {op: cut_funds, factor: 0.5}
"""


def _client(tmp_path):  # type: ignore[no-untyped-def]
    settings = Settings.load(data_dir=tmp_path, token_secret="test-secret-for-scenarios-0123456789")
    store = EmbeddedStore(None)
    return TestClient(create_app(settings, store)), store, settings


def _auth(role: str, scope: str | None = None) -> dict[str, str]:
    return {"Authorization": "Bearer " + issue(role, scope, f"{role}-1", "test-secret-for-scenarios-0123456789")}


def test_planner_runs_a_scenario_and_gets_the_report(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client, store, _ = _client(tmp_path)
    with client:
        before = store.counts()
        r = client.post("/api/v1/scenarios", content=SCENARIO, headers={**_auth("planner"),
                                                                        "Content-Type": "text/plain"})
        assert r.status_code == 202, r.text
        sid = r.json()["id"]
        for _ in range(600):
            job = client.get(f"/api/v1/scenarios/{sid}", headers=_auth("planner")).json()
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert job["status"] == "done", job
        assert [v["name"] for v in job["result"]["variants"]] == ["cut"]
        assert "coverage_weighted" in job["result"]["variants"][0]["kpis"]
        html = client.get(f"/api/v1/scenarios/{sid}/report.html", headers=_auth("planner"))
        assert html.status_code == 200 and "<html" in html.text.lower()
        assert store.counts() == before


def test_a_unit_may_not_run_scenarios_and_bad_files_name_the_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = _client(tmp_path)
    with client:
        r = client.post("/api/v1/scenarios", content=SCENARIO, headers={**_auth("unit", "U00001"),
                                                                        "Content-Type": "text/plain"})
        assert r.status_code == 403
        bad = SCENARIO.replace("factor: 0.5", "factor: 5")
        r = client.post("/api/v1/scenarios", content=bad, headers={**_auth("planner"), "Content-Type": "text/plain"})
        assert r.status_code == 422
        assert "factor" in r.json()["message_en"]
        assert client.post("/api/v1/scenarios", content=SCENARIO).status_code == 401
