"""Hostile request bodies (issue 16): a body too large, JSON nested too deep, a YAML alias bomb
and deep YAML each get a clear 4xx in Chinese and English, and the server keeps answering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from apihelp import ADMIN, SECRET, V1, auth
from fastapi.testclient import TestClient

from api import create_app
from api.limits import json_depth
from engine.config import Settings
from engine.store import EmbeddedStore

PLANNER = auth("planner", sub="planner-1")
JSON = {"Content-Type": "application/json"}
TEXT = {"Content-Type": "text/plain"}

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)
)
"""The "billion laughs": 9^10 strings from 300 bytes of aliases."""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.load(data_dir=tmp_path / "d", token_secret=SECRET, max_body_bytes=1_048_576)
    with TestClient(create_app(settings, store=EmbeddedStore(None))) as c:
        yield c


def _refused(r, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code and body["message"] and body["message_en"], body
    return body


def test_a_body_over_the_limit_is_413_by_its_length_and_while_streaming(client: TestClient) -> None:
    big = b'{"reason": "' + b"x" * 3_000_000 + b'"}'
    _refused(client.post(f"{V1}/projects/P1/decline", content=big, headers={**ADMIN, **JSON}), 413, "body_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"reason": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    body = _refused(client.post(f"{V1}/projects/P1/decline", content=chunks(), headers={**ADMIN, **JSON}), 413,
                    "body_too_large")
    assert "1 MB" in body["message"]
    assert client.get(f"{V1}/units", headers=ADMIN).status_code == 200


def test_a_body_under_the_limit_reaches_the_route(client: TestClient) -> None:
    r = client.post(f"{V1}/projects/P1/decline", json={"reason": "人手不足"}, headers=ADMIN)
    _refused(r, 404, "not_found")  # the route ran: no such project


def test_deeply_nested_json_is_422_not_500(client: TestClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    body = _refused(client.post(f"{V1}/scenarios", content=deep, headers={**PLANNER, **JSON}), 422, "json_too_deep")
    assert "64" in body["message"]
    _refused(client.post(f"{V1}/projects/P1/decline", content='{"reason": ' + deep + "}",
                         headers={**ADMIN, **JSON}), 422, "json_too_deep")
    _refused(client.post(f"{V1}/rounds", content='{"scope": "S1", "params": ' + "{\"a\":" * 5000 + "1" + "}" * 5001,
                         headers={**ADMIN, **JSON}), 422, "json_too_deep")


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert json_depth(b'{"reason": "' + b"[" * 1000 + b'"}') == 1
    assert json_depth(b'{"a": "\\"[[[", "b": [[1]]}') == 3
    assert json_depth(b"42") == 0


def test_a_yaml_alias_bomb_is_422_naming_the_line(client: TestClient) -> None:
    body = _refused(client.post(f"{V1}/scenarios", content=BOMB, headers={**PLANNER, **TEXT}), 422, "invalid_input")
    assert "别名" in body["message"] and "alias" in body["message_en"] and "line 2" in body["message_en"]


def test_deep_yaml_is_422(client: TestClient) -> None:
    deep = "[" * 50_000 + "]" * 50_000
    body = _refused(client.post(f"{V1}/scenarios", content=deep, headers={**PLANNER, **TEXT}), 422, "invalid_input")
    assert "嵌套" in body["message"]
