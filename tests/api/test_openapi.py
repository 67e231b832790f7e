"""The OpenAPI document says what the API accepts (issue 13): it validates as OpenAPI 3.1, its
closed vocabularies are exactly the engine's definitions, every operation documents its error
answers with the error body, and the server answers the status codes the document promises
(unknown id → 404, malformed value → 422, missing If-Match → 428, 405 with the right Allow)."""

from __future__ import annotations

from typing import Any

import pytest
from apihelp import ADMIN, COORD, V1
from fastapi.testclient import TestClient
from openapi_spec_validator import OpenAPIV31SpecValidator

from api import create_app
from api.routes.scenarios import FILES
from engine.access import ROLES, SCOPED_ROLES
from engine.lifecycle import STATES
from engine.lists.headers import ORDER
from engine.rounds import FINAL, RUNNING
from engine.taxonomy import DEMAND_CATEGORIES, RESOURCE_KINDS, TRAVEL_MODES, UNIT_TYPES
from engine.wishes import STATES as WISH_STATES
from engine.wishes import WISH_CATEGORIES

DOC = create_app().openapi()
ERRORS = ("401", "403", "404", "409", "412", "422", "428")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = DOC["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _enum(node: dict[str, Any]) -> list[str]:
    """The enum of a schema, through refs and ``anyOf [enum, null]``."""
    node = _resolve(node)
    if "enum" in node:
        return node["enum"]
    for alt in node.get("anyOf", []):
        alt = _resolve(alt)
        if "enum" in alt:
            return alt["enum"]
    raise AssertionError(f"no enum in {node}")


def _prop(model: str, name: str) -> list[str]:
    return _enum(DOC["components"]["schemas"][model]["properties"][name])


def _param(path: str, method: str, name: str) -> list[str]:
    for p in DOC["paths"][path][method]["parameters"]:
        if p["name"] == name:
            return _enum(p["schema"])
    raise AssertionError(f"{method} {path} has no parameter {name}")


def test_document_validates_as_openapi_3_1() -> None:
    assert DOC["openapi"].startswith("3.1")
    OpenAPIV31SpecValidator(DOC).validate()


def test_vocabularies_are_the_engine_definitions() -> None:
    assert _prop("ResourceCreate", "category") == list(RESOURCE_KINDS)
    assert _prop("ResourceUpdate", "category") == list(RESOURCE_KINDS)
    assert _prop("DemandCreate", "category") == list(DEMAND_CATEGORIES)
    assert _prop("ResourceCreate", "travel_mode") == list(TRAVEL_MODES)
    assert _param(f"{V1}/units", "get", "type") == list(UNIT_TYPES)
    assert _prop("ProjectOut", "status") == list(STATES)
    assert _param(f"{V1}/projects", "get", "status") == list(STATES)
    assert _prop("RoundOut", "status") == list(RUNNING + FINAL)
    assert _param(f"{V1}/scenarios/{{scenario_id}}/{{name}}", "get", "name") == list(FILES)
    assert _param(f"{V1}/lists/{{kind}}", "get", "kind") == list(ORDER)
    assert _param(f"{V1}/templates/{{kind}}", "get", "kind") == list(ORDER)
    body = DOC["paths"][f"{V1}/admin/tokens"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert sorted(body["discriminator"]["mapping"]) == sorted(ROLES)
    scoped = {r for r, ref in body["discriminator"]["mapping"].items()
              if "scope" in _resolve({"$ref": ref}).get("required", [])}
    assert scoped == set(SCOPED_ROLES) == {"coordinator", "unit", "member"}
    assert _prop("WishCreate", "category") == list(WISH_CATEGORIES)
    assert _prop("WishOut", "status") == list(WISH_STATES)
    assert _param(f"{V1}/wishes", "get", "state") == list(WISH_STATES)


def test_every_operation_documents_its_errors_with_the_error_body() -> None:
    for path, ops in DOC["paths"].items():
        if not path.startswith(V1):
            continue
        for method, op in ops.items():
            for code in ERRORS:
                resp = op["responses"].get(code)
                assert resp is not None, f"{method.upper()} {path} does not document {code}"
                ref = resp["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), f"{method.upper()} {path} {code}: {ref}"


def test_path_ids_carry_the_id_pattern() -> None:
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                if p["in"] == "path" and p["name"].endswith("_id"):
                    assert "pattern" in p["schema"] and "maxLength" in p["schema"], (method, path, p["name"])


def _err(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["message"] and body["message_en"], body
    if code is not None:
        assert body["error"] == code, body
    return body


@pytest.mark.parametrize("url, params", [
    (f"{V1}/lists/areas", {"scope": "000"}),
    (f"{V1}/demands", {"scope": "NOPE"}),
    (f"{V1}/resources", {"unit": "NOPE"}),
    (f"{V1}/resources", {"scope": "NOPE"}),
    (f"{V1}/units", {"scope": "NOPE"}),
    (f"{V1}/communities", {"parent": "NOPE"}),
    (f"{V1}/grids", {"within": "NOPE"}),
    (f"{V1}/projects", {"round": "NOPE"}),
    (f"{V1}/projects", {"unit": "NOPE"}),
    (f"{V1}/projects", {"community": "NOPE"}),
    (f"{V1}/rounds", {"scope": "NOPE"}),
    (f"{V1}/rankings", {"scope": "NOPE"}),
    (f"{V1}/units/NOPE/assessment", {}),
    (f"{V1}/wishes", {"community": "NOPE"}),
    (f"{V1}/wishes/NOPE", {}),
    (f"{V1}/members/NOPE/points", {}),
    (f"{V1}/shop", {"community": "NOPE"}),
])
def test_unknown_id_in_a_filter_or_path_is_404(loaded: TestClient, url: str, params: dict[str, str]) -> None:
    _err(loaded.get(url, params=params, headers=ADMIN), 404, "not_found")


@pytest.mark.parametrize("url, params", [
    (f"{V1}/demands", {"category": "health"}),
    (f"{V1}/demands", {"status": "done"}),
    (f"{V1}/resources", {"category": "medicine"}),
    (f"{V1}/units", {"type": "bank"}),
    (f"{V1}/projects", {"status": "open"}),
    (f"{V1}/wishes", {"state": "done"}),
    (f"{V1}/wishes", {"category": "magic"}),
    (f"{V1}/lists/nope", {}),
    (f"{V1}/scenarios/SCN-000000000000/report.pdf", {}),
    (f"{V1}/scenarios/not-a-job", {}),
])
def test_value_outside_the_vocabulary_is_422(loaded: TestClient, url: str, params: dict[str, str]) -> None:
    _err(loaded.get(url, params=params, headers=ADMIN), 422, "invalid_request")


def test_missing_if_match_is_428_and_a_stale_one_412(loaded: TestClient) -> None:
    c = loaded
    _err(c.patch(f"{V1}/resources/R1", json={"capacity": 2}, headers=ADMIN), 428, "precondition_required")
    _err(c.delete(f"{V1}/demands/D1", headers=ADMIN), 428, "precondition_required")
    _err(c.patch(f"{V1}/resources/R1", json={"capacity": 2}, headers={**ADMIN, "If-Match": '"99"'}), 412)
    assert c.get(f"{V1}/resources/R1", headers=ADMIN).json()["capacity"] == 40


@pytest.mark.parametrize("method, url, allow", [
    ("PUT", f"{V1}/demands/D1", {"GET", "PATCH", "DELETE"}),
    ("OPTIONS", f"{V1}/resources", {"GET", "POST"}),
    ("DELETE", f"{V1}/rounds", {"GET", "POST"}),
    ("GET", f"{V1}/projects/P1/claim", {"POST"}),
])
def test_405_names_every_method_of_the_path(loaded: TestClient, method: str, url: str, allow: set[str]) -> None:
    r = loaded.request(method, url, headers=ADMIN)
    _err(r, 405)
    assert {m.strip() for m in r.headers["Allow"].split(",")} == allow


def test_claim_without_a_unit_takes_the_resource_owner(published: tuple[TestClient, dict]) -> None:
    c, _ = published
    r = c.post(f"{V1}/demands/D12/claim", json={"resource": "NOPE"}, headers=ADMIN)
    _err(r, 404, "not_found")
    # the token's scope names who acts; an admin's claim names the unit through its resource
    r = c.post(f"{V1}/demands/D12/claim", json={"resource": "R5"}, headers=ADMIN)
    assert r.status_code in (201, 409), r.text
    if r.status_code == 201:
        assert {a["unit"] for a in r.json()["allocations"]} == {"U5"}
    _err(c.post(f"{V1}/admin/tokens", json={"role": "unit", "sub": "x"}, headers=ADMIN), 422, "invalid_request")
    assert c.post(f"{V1}/admin/tokens", json={"role": "planner", "sub": "x"}, headers=ADMIN).status_code == 201
    assert c.post(f"{V1}/admin/tokens", json={"role": "unit", "sub": "x"}, headers=COORD).status_code == 422
