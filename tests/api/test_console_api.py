"""The routes the web console reads (api/routes/console.py) and how the console is served: on
both stores, over the small city of apihelp."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

from apihelp import ADMIN, COORD, SECRET, V1, auth, small_city
from fastapi.testclient import TestClient

from api import create_app
from engine.config import Settings
from engine.lists.headers import DEMAND_STATUSES, ORDER
from engine.matching.params import RoundParams
from engine.matching.problem import Status
from engine.matching.round import run_round
from engine.rounds import FINAL, RUNNING
from engine.store import EmbeddedStore
from engine.taxonomy import DIMENSIONS


def test_me_names_role_scope_and_what_it_may_do(loaded: TestClient) -> None:
    me = loaded.get(f"{V1}/me", headers=COORD).json()
    assert (me["role"], me["role_zh"], me["scope"], me["scope_name"], me["scope_level"]) == (
        "coordinator", "协调员", "S1", "秋浦街道", "Street")
    assert {"round.run", "round.publish", "lists.import", "project.evaluate"} <= set(me["may"])
    assert "token.issue" not in me["may"] and "project.claim" not in me["may"]
    unit = loaded.get(f"{V1}/me", headers=auth("unit", "U1")).json()
    assert "project.claim" in unit["may"] and "lists.import" not in unit["may"]
    assert loaded.get(f"{V1}/me").status_code == 401


def test_taxonomy_is_the_engine_vocabulary(client: TestClient) -> None:
    t = client.get(f"{V1}/taxonomy", headers=ADMIN).json()
    assert [d["code"] for d in t["dimensions"]] == list(DIMENSIONS)
    assert [d["zh"] for d in t["dimensions"]] == ["组织联建", "服务联动", "活动联办", "机制联商"]
    assert {"code": "proposed", "zh": "待认领", "en": "proposed", "dimension": None} in t["project_states"]
    assert all(c["dimension"] in DIMENSIONS for c in t["demand_categories"])


def test_every_state_the_console_shows_has_a_chinese_label(client: TestClient) -> None:
    """The console shows a label for each status it reads; a state without one would show as a
    raw English code."""
    t = client.get(f"{V1}/taxonomy", headers=ADMIN).json()
    groups = ("round_states", "demand_states", "stages", "solver_statuses", "list_kinds")
    zh = {g: {x["code"]: x["zh"] for x in t[g]} for g in groups}
    assert set(RUNNING + FINAL) <= set(zh["round_states"]) and zh["round_states"]["published"] == "已发布"
    assert set(DEMAND_STATUSES.codes) == set(zh["demand_states"]) and zh["demand_states"]["open"] == "待匹配"
    assert set(get_args(Status)) == set(zh["solver_statuses"])
    assert list(zh["list_kinds"]) == list(ORDER) and zh["list_kinds"]["demands"] == "需求清单"
    said: list[str] = []
    store = EmbeddedStore()
    store.write(small_city())
    run_round(store, "S1", RoundParams(time_limit=2, workers=1), progress=lambda stage, frac: said.append(stage))
    assert said and set(said) | set(RUNNING + FINAL) <= set(zh["stages"])
    assert all(not v.isascii() for g in zh.values() for v in g.values())


def test_overview_on_an_empty_store(client: TestClient) -> None:
    empty = client.get(f"{V1}/overview", headers=ADMIN)
    assert empty.status_code == 200, empty.text
    body = empty.json()
    assert body["last_round"] is None and body["communities"] == [] and body["counts"]["demands"] == 0
    assert client.get(f"{V1}/overview?scope=NOPE", headers=ADMIN).status_code == 404


def test_overview_and_map_of_a_published_round(published: tuple[TestClient, dict]) -> None:
    client, rnd = published
    ov = client.get(f"{V1}/overview", headers=COORD).json()  # a coordinator's own scope by default
    assert ov["scope"] == "S1"
    assert ov["last_round"]["id"] == rnd["id"] and ov["last_round"]["status"] == "published"
    assert sum(d["demands"] for d in ov["dimensions"]) == ov["counts"]["demands"] == 12
    assert sum(c["demands"] for c in ov["communities"]) == 12 and len(ov["communities"]) == 3
    assert sum(d["projects"] for d in ov["dimensions"]) == ov["counts"]["projects"] > 0
    assert all(0 <= u["utilisation"] <= 1 and u["in_projects"] <= u["offering"] <= u["units"]
               for u in ov["unit_types"])
    every = client.get(f"{V1}/overview", headers=ADMIN).json()  # the whole store: the same six units
    assert sum(u["offering"] for u in every["unit_types"]) == 6
    assert sum(u["in_projects"] for u in every["unit_types"]) > 0
    assert ov["project_states"] == {"proposed": ov["counts"]["projects"]}

    m = client.get(f"{V1}/map", headers=ADMIN, params={"scope": "S1"}).json()
    allocs = [a for p in client.get(f"{V1}/rounds/{rnd['id']}/projects?limit=1000", headers=ADMIN).json()["items"]
              for a in p["allocations"]]
    assert m["round"] == rnd["id"] and len(m["communities"]) == 3 and len(m["units"]) == 6
    assert len(m["lines"]) == len(allocs) and all(x["category"] and len(x["from"]) == 2 for x in m["lines"])
    assert 0.9 < m["circle_km"] < 0.95  # 15 minutes' walk at 4.8 km/h over the 1.3 detour
    assert client.get(f"{V1}/map", headers=ADMIN, params={"round": "NOPE"}).status_code == 404


def test_a_round_keeps_its_hand_matching_baseline(published: tuple[TestClient, dict]) -> None:
    client, rnd = published
    r = client.get(f"{V1}/rounds/{rnd['id']}", headers=ADMIN).json()
    assert r["baseline"]["objective"] <= r["objective"] + 1e-6  # the optimiser never does worse than greedy
    assert set(r["baseline"]["kpis"]) >= {"coverage_weighted", "coverage_count", "unit_utilisation"}


def test_bundled_scenarios_for_what_if_roles_only(client: TestClient) -> None:
    r = client.get(f"{V1}/scenario-files", headers=auth("planner", sub="p"))
    assert r.status_code == 200
    names = {s["name"]: s for s in r.json()}
    funds = names["funds_cut.yaml"]
    assert funds["label_zh"] and "variants" in funds["text"]
    assert client.get(f"{V1}/scenario-files", headers=auth("unit", "U1")).status_code == 403


def test_console_served_at_root_without_shadowing_the_api(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>四联四共</title>", encoding="utf-8")
    (dist / "assets" / "app.js").write_text("console.log(1)", encoding="utf-8")
    settings = Settings.load(data_dir=tmp_path / "data", token_secret=SECRET)
    with TestClient(create_app(settings, store=EmbeddedStore(None), console_dir=dist)) as c:
        assert "四联四共" in c.get("/").text
        assert c.get("/assets/app.js").status_code == 200
        nope = c.get(f"{V1}/nope", headers=ADMIN)
        assert nope.status_code == 404 and nope.json()["error"]
        assert c.delete(f"{V1}/rounds", headers=ADMIN).status_code == 405
    with TestClient(create_app(settings, store=EmbeddedStore(None), console_dir=tmp_path / "none")) as c:
        assert c.get("/").status_code == 404  # no build: the API alone
        assert c.get("/healthz").status_code == 200
