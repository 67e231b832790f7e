"""Scope on every write: a neighbouring community's coordinator (C2) is refused with a 403 on
every write route about C1's data, and nothing changed (no node of any list label or event
written or removed, the item the route names untouched); an import touching anything outside
the coordinator's scope is rejected whole, naming file, row and column (issue 12, item 1).

Runs on both stores (the ``store`` fixture of tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from apihelp import ADMIN, V1, auth, upload
from fastapi.testclient import TestClient

from engine.store import GraphStore

NEIGHBOUR = auth("coordinator", "C2", "coord-c2")
C1 = auth("coordinator", "C1", "coord-c1")

LABELS = ("Community", "Grid", "Unit", "Resource", "Demand", "Project", "Allocation", "Claim", "Round", "Event",
          "PartyOrg", "Member")


def _state(store: GraphStore, *items: tuple[str, str]) -> Any:
    """Everything a refused write could have touched: node counts per label, and the named items."""
    return ({lab: store.count(lab) for lab in LABELS}, [store.get(lab, i) for lab, i in items])


def refused(store: GraphStore, send: Callable[[], Any], *items: tuple[str, str]) -> None:
    before = _state(store, *items)
    r = send()
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["error"] == "forbidden" and body["message"] and body["message_en"]
    assert _state(store, *items) == before


def _etag(c: TestClient, path: str) -> str:
    return c.get(f"{V1}{path}", headers=ADMIN).headers["ETag"]


def test_neighbour_coordinator_is_refused_on_every_list_write(loaded: TestClient, app_store: GraphStore) -> None:
    c, s = loaded, app_store
    refused(s, lambda: c.post(f"{V1}/demands", json={"community": "C1", "category": "repair", "quantity": 3},
                              headers=NEIGHBOUR))
    d1 = ("Demand", "D1")
    refused(s, lambda: c.patch(f"{V1}/demands/D1", json={"quantity": 1},
                               headers={**NEIGHBOUR, "If-Match": _etag(c, "/demands/D1")}), d1)
    refused(s, lambda: c.delete(f"{V1}/demands/D1", headers={**NEIGHBOUR, "If-Match": _etag(c, "/demands/D1")}), d1)
    # U1 is located in C1: its resource list belongs to C1's coordinator
    refused(s, lambda: c.post(f"{V1}/resources", json={"unit": "U1", "category": "medical", "capacity": 5},
                              headers=NEIGHBOUR))
    r1 = ("Resource", "R1")
    refused(s, lambda: c.patch(f"{V1}/resources/R1", json={"capacity": 1},
                               headers={**NEIGHBOUR, "If-Match": _etag(c, "/resources/R1")}), r1)
    refused(s, lambda: c.delete(f"{V1}/resources/R1",
                                headers={**NEIGHBOUR, "If-Match": _etag(c, "/resources/R1")}), r1)
    # asking a unit for a resource on behalf of C1's demand
    refused(s, lambda: c.post(f"{V1}/resources/R2/requests", json={"demand": "D1"}, headers=NEIGHBOUR), d1)
    # a coordinator never claims, for C1 or anyone (the unit's side)
    refused(s, lambda: c.post(f"{V1}/demands/D1/claim", json={"unit": "U1", "resource": "R1"}, headers=NEIGHBOUR), d1)
    # rounds on C1 or on the street holding C1
    refused(s, lambda: c.post(f"{V1}/rounds", json={"scope": "C1"}, headers=NEIGHBOUR))
    refused(s, lambda: c.post(f"{V1}/rounds", json={"scope": "S1", "what_if": True}, headers=NEIGHBOUR))
    refused(s, lambda: c.post(f"{V1}/admin/tokens", json={"role": "coordinator", "scope": "C1", "sub": "me"},
                              headers=NEIGHBOUR))
    # the same writes by C1's own coordinator go through (the refusals above were about scope)
    assert c.post(f"{V1}/demands", json={"community": "C1", "category": "repair", "quantity": 3},
                  headers=C1).status_code == 201
    assert c.patch(f"{V1}/resources/R1", json={"capacity": 39},
                   headers={**C1, "If-Match": _etag(c, "/resources/R1")}).status_code == 200


def test_neighbour_coordinator_is_refused_on_every_round_and_project_write(
        published: tuple[TestClient, dict], app_store: GraphStore) -> None:
    c, rnd = published
    s = app_store
    rid = rnd["id"]
    refused(s, lambda: c.post(f"{V1}/rounds/{rid}/publish", headers=NEIGHBOUR), ("Round", rid))
    refused(s, lambda: c.post(f"{V1}/rounds/{rid}/rerun", headers=NEIGHBOUR), ("Round", rid))
    refused(s, lambda: c.post(f"{V1}/rounds/{rid}/cancel", headers=NEIGHBOUR), ("Round", rid))

    projects = c.get(f"{V1}/rounds/{rid}/projects", params={"limit": 1000}, headers=ADMIN).json()["items"]
    mine = [p for p in projects if p["community"] == "C1"]
    assert len(mine) >= 2, "the small city gives C1 at least two projects"
    p, q = mine[0], mine[1]
    pid, owner = p["id"], p["allocations"][0]["unit"]
    item = ("Project", pid)
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/claim", json={"unit": owner}, headers=NEIGHBOUR), item)
    assert c.post(f"{V1}/projects/{pid}/claim", headers=auth("unit", owner)).status_code == 200
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/confirm", headers=NEIGHBOUR), item)
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/decline", json={"reason": "不合适"}, headers=NEIGHBOUR), item)
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/withdraw", headers=NEIGHBOUR), item)
    assert c.post(f"{V1}/projects/{pid}/confirm", headers=C1).status_code == 200
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/start", headers=NEIGHBOUR), item)
    assert c.post(f"{V1}/projects/{pid}/start", headers=C1).status_code == 200
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/progress", json={"progress": 50}, headers=NEIGHBOUR), item)
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/complete", headers=NEIGHBOUR), item)
    assert c.post(f"{V1}/projects/{pid}/complete", headers=C1).status_code == 200
    refused(s, lambda: c.post(f"{V1}/projects/{pid}/evaluate", json={"rating": 1, "satisfaction": 0.1},
                              headers=NEIGHBOUR), item)
    assert c.post(f"{V1}/projects/{pid}/evaluate", json={"rating": 5, "satisfaction": 0.9},
                  headers=C1).status_code == 200
    # a claim pending on the second project: the neighbour may not decline it for C1
    qid, qowner = q["id"], q["allocations"][0]["unit"]
    assert c.post(f"{V1}/projects/{qid}/claim", headers=auth("unit", qowner)).status_code == 200
    refused(s, lambda: c.post(f"{V1}/projects/{qid}/decline", json={"reason": "x"}, headers=NEIGHBOUR),
            ("Project", qid))


SCENARIO_ON_ROUND = """name: neighbour
base: {{round: {rid}}}
params: {{time_limit: 1, workers: 1}}
variants:
  - name: cut
    changes:
      - {{op: cut_funds, factor: 0.5}}
"""


def test_neighbour_coordinator_may_not_run_a_scenario_on_the_street(published: tuple[TestClient, dict],
                                                                   app_store: GraphStore) -> None:
    c, rnd = published
    text = SCENARIO_ON_ROUND.format(rid=rnd["id"])
    refused(app_store, lambda: c.post(f"{V1}/scenarios", content=text,
                                      headers={**NEIGHBOUR, "Content-Type": "text/plain"}))


# -- imports ----------------------------------------------------------------------------------------

DEMANDS_HEAD = "编号,社区编号,网格编号,需求名称,需求类别,需求数量,优先级,年度\n"
RESOURCES_HEAD = "编号,单位编号,资源名称,资源类别,可提供数量,年度\n"
UNITS_HEAD = "编号,单位名称,单位类型,所在社区,所在网格,加入大党委\n"
AREAS_HEAD = "编号,名称,层级,上级编号,纬度,经度\n"


def _csv(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _rejected(c: TestClient, s: GraphStore, files: list[Path], headers: dict[str, str]) -> list[dict]:
    before = _state(s, ("Demand", "D1"), ("Resource", "R1"), ("Unit", "U1"), ("Community", "C1"))
    r = upload(c, files, headers=headers)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "import_rejected" and body["report"]["applied"] is False
    assert _state(s, ("Demand", "D1"), ("Resource", "R1"), ("Unit", "U1"), ("Community", "C1")) == before
    return body["report"]["errors"]


def test_coordinator_import_touching_a_neighbour_is_rejected_whole(loaded: TestClient, app_store: GraphStore,
                                                                    tmp_path: Path) -> None:
    c, s = loaded, app_store
    demands = _csv(tmp_path, "需求清单.csv", DEMANDS_HEAD
                   + "D20,C2,G2,自家需求,便民维修,3,3,2026\n"  # row 2: C2's own: fine
                   + "D21,C1,,邻居需求,便民维修,3,3,2026\n"  # row 3: C1's: outside
                   + "D1,C2,,改写邻居的需求,便民维修,3,3,2026\n")  # row 4: C1's stored D1 moved to C2
    errors = _rejected(c, s, [demands], NEIGHBOUR)
    scope = [e for e in errors if "管辖范围" in e["reason_zh"]]
    assert {(e["row"], e["column"], e["value"]) for e in scope} == {(3, "社区编号", "C1"), (4, "编号", "D1")}
    # row 4 also breaks ownership (a demand never changes community): named too, on its own column
    assert {(e["row"], e["column"]) for e in errors if e not in scope} <= {(4, "社区编号")}
    assert all(e["file"] == "需求清单.csv" and e["reason_en"] for e in errors)
    assert s.get("Demand", "D20") is None  # the good row was not applied either

    resources = _csv(tmp_path, "资源清单.csv", RESOURCES_HEAD
                     + "R20,U2,自家资源,志愿服务,5,2026\n"
                     + "R21,U1,邻居单位的资源,志愿服务,5,2026\n"  # U1 is located in C1
                     + "R1,U2,抢走邻居的资源,志愿服务,5,2026\n")  # R1 is U1's
    errors = _rejected(c, s, [resources], NEIGHBOUR)
    scope = [e for e in errors if "管辖范围" in e["reason_zh"]]
    assert {(e["row"], e["column"], e["value"]) for e in scope} == {(3, "单位编号", "U1"), (4, "编号", "R1")}
    assert {(e["row"], e["column"]) for e in errors if e not in scope} <= {(4, "单位编号")}

    units = _csv(tmp_path, "共建单位清单.csv", UNITS_HEAD
                 + "U1,池州市人民医院,医院,C2,G2,C2\n"  # C1's unit moved to C2
                 + "U20,新单位,医院,C2,,C1\n")  # a new unit joining C1's committee
    errors = _rejected(c, s, [units], NEIGHBOUR)
    assert {(e["row"], e["column"], e["value"]) for e in errors} == {(2, "编号", "U1"), (3, "加入大党委", "C1")}

    areas = _csv(tmp_path, "区域清单.csv", AREAS_HEAD
                 + "G21,新网格,网格,C1,30.664,117.491\n"  # a grid in C1
                 + "C1,秋浦社区,社区,S1,30.664,117.491\n")  # C1 itself
    errors = _rejected(c, s, [areas], NEIGHBOUR)
    assert {(e["row"], e["column"], e["value"]) for e in errors} == {(2, "上级编号", "C1"), (3, "编号", "C1")}

    # English reports name the same cells (columns as written in the file)
    r = upload(c, [demands], headers=NEIGHBOUR, lang="en")
    assert r.status_code == 422
    en = [e for e in r.json()["report"]["errors"] if "outside your scope" in e["reason"]]
    assert {(e["row"], e["column"]) for e in en} == {(3, "社区编号"), (4, "编号")}


def test_coordinator_imports_inside_its_scope_and_admin_anywhere(loaded: TestClient, app_store: GraphStore,
                                                                  tmp_path: Path) -> None:
    c, s = loaded, app_store
    areas = _csv(tmp_path, "区域清单.csv", AREAS_HEAD + "G22,二网格,网格,C2,30.668,117.494\n")
    units = _csv(tmp_path, "共建单位清单.csv", UNITS_HEAD + "U22,新单位,医院,C2,G22,C2\n")
    resources = _csv(tmp_path, "资源清单.csv", RESOURCES_HEAD + "R22,U22,新资源,志愿服务,5,2026\n"
                     + "R2,U2,池州学院-教育,教育服务,55,2026\n")
    demands = _csv(tmp_path, "需求清单.csv", DEMANDS_HEAD + "D22,C2,G22,新需求,便民维修,3,3,2026\n")
    r = upload(c, [areas, units, resources, demands], headers=NEIGHBOUR)
    assert r.status_code == 200, r.text
    assert s.get("Demand", "D22") is not None and s.unit_of("R22") == "U22"
    assert (s.parent_of("G22") or {}).get("id") == "C2"
    # a street coordinator covers all three communities; an admin covers everything
    d = _csv(tmp_path, "需求清单.csv", DEMANDS_HEAD + "D23,C1,,街道需求,便民维修,3,3,2026\n")
    assert upload(c, [d], headers=auth("coordinator", "S1")).status_code == 200
    d = _csv(tmp_path, "需求清单.csv", DEMANDS_HEAD + "D24,C3,,管理员导入,便民维修,3,3,2026\n")
    assert upload(c, [d], headers=ADMIN).status_code == 200


def test_cli_import_as_a_coordinator_is_scoped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fourlinks import --as-token``: the same rule at the command line (embedded store)."""
    from apihelp import small_city
    from typer.testing import CliRunner

    from engine.config import Settings
    from engine.lists import batch_to_lists
    from engine.store import open_store
    from engine.tokens import issue, secret_from
    from fourlinks.cli import app

    data = tmp_path / "data"
    monkeypatch.setenv("FOURLINKS_STORE", "embedded")
    monkeypatch.setenv("FOURLINKS_DATA_DIR", str(data))
    monkeypatch.delenv("FOURLINKS_TOKEN_SECRET", raising=False)
    city = [p for p in batch_to_lists(small_city(), tmp_path / "city", fmt="csv").values() if p.exists()]
    run = CliRunner().invoke
    assert run(app, ["import", *map(str, city)]).exit_code == 0
    secret = secret_from(Settings.load())
    neighbour = issue("coordinator", "C2", "coord-c2", secret)
    bad = _csv(tmp_path, "需求清单.csv", DEMANDS_HEAD + "D21,C1,,邻居需求,便民维修,3,3,2026\n")
    r = run(app, ["import", str(bad), "--as-token", neighbour, "--lang", "en"])
    assert r.exit_code == 1
    assert "outside" in r.output and "社区编号" in r.output  # the table wraps long reasons
    ok = _csv(tmp_path, "demands.csv", DEMANDS_HEAD + "D25,C2,,自家需求,便民维修,3,3,2026\n")
    assert run(app, ["import", str(ok), "--as-token", neighbour]).exit_code == 0
    unit = issue("unit", "U1", "u1", secret)
    r = run(app, ["import", str(ok), "--as-token", unit])
    assert r.exit_code == 2  # a unit may not import at all
    s = open_store(Settings.load())
    try:
        assert s.get("Demand", "D21") is None and s.get("Demand", "D25") is not None
    finally:
        s.close()
