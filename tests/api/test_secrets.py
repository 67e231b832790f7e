"""Secrets and exposure (issue 12 item 5, issue 16): no default token secret (one generated per
data folder, mode 0600), a minimum secret length, tokens that expire, and an admin revocation
list whose tokens are refused (on both stores)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import jwt
import pytest
from apihelp import ADMIN, SECRET, V1, auth
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api import create_app
from engine.config import Settings
from engine.errors import InvalidInput, Unauthenticated
from engine.store import EmbeddedStore
from engine.tokens import ISSUER, MIN_SECRET_LENGTH, SECRET_FILE, issue, secret_from, verify
from fourlinks.cli import app as cli


def test_each_data_folder_generates_its_own_secret_readable_by_its_owner_only(tmp_path: Path) -> None:
    a = secret_from(Settings.load(data_dir=tmp_path / "a"))
    b = secret_from(Settings.load(data_dir=tmp_path / "b"))
    assert a != b and len(a) >= MIN_SECRET_LENGTH
    assert secret_from(Settings.load(data_dir=tmp_path / "a")) == a  # kept, not regenerated
    assert stat.S_IMODE((tmp_path / "a" / SECRET_FILE).stat().st_mode) == 0o600


def test_a_secret_file_readable_by_others_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / SECRET_FILE
    path.write_text("s" * 40)
    path.chmod(0o644)
    assert secret_from(Settings.load(data_dir=tmp_path)) == "s" * 40
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_short_secret_is_refused_by_settings_file_and_the_server(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as e:
        secret_from(Settings.load(data_dir=tmp_path, token_secret="x"))
    assert "too short" in e.value.message_en
    (tmp_path / SECRET_FILE).write_text("short")
    with pytest.raises(InvalidInput) as e:
        secret_from(Settings.load(data_dir=tmp_path))
    assert "过短" in e.value.message
    with pytest.raises(InvalidInput), TestClient(create_app(Settings.load(data_dir=tmp_path, token_secret="x" * 31),
                                                            store=EmbeddedStore(None))):
        pass
    r = CliRunner().invoke(cli, ["serve"], env={"FOURLINKS_TOKEN_SECRET": "abc", "FOURLINKS_DATA_DIR": str(tmp_path)})
    assert r.exit_code == 2 and "过短" in r.output


def test_tokens_expire() -> None:
    t = issue("admin", None, "root", SECRET, ttl=3600)
    assert jwt.decode(t, SECRET, algorithms=["HS256"])["exp"] <= time.time() + 3600
    old = jwt.encode({"iss": ISSUER, "sub": "root", "role": "admin", "iat": 1, "exp": int(time.time()) - 1}, SECRET)
    with pytest.raises(Unauthenticated) as e:
        verify(old, SECRET)
    assert e.value.message_en == "token expired"
    with pytest.raises(InvalidInput):
        issue("admin", None, "root", SECRET, ttl=3651 * 86400)
    with pytest.raises(InvalidInput):
        issue("admin", None, "root", "too-short")


@pytest.fixture
def client(store, tmp_path: Path):  # type: ignore[no-untyped-def]
    with TestClient(create_app(Settings.load(data_dir=tmp_path, token_secret=SECRET), store=store)) as c:
        yield c


def test_an_expired_token_is_401(client: TestClient) -> None:
    old = jwt.encode({"iss": ISSUER, "sub": "root", "role": "admin", "iat": 1, "exp": int(time.time()) - 1}, SECRET)
    r = client.get(f"{V1}/units", headers={"Authorization": f"Bearer {old}"})
    assert r.status_code == 401 and r.json()["message"] == "令牌已过期", r.text


def test_a_revoked_token_is_refused_and_others_are_not(client: TestClient) -> None:
    issued = client.post(f"{V1}/admin/tokens", json={"role": "planner", "sub": "wang", "ttl_days": 1}, headers=ADMIN)
    assert issued.status_code == 201, issued.text
    tok, jti = issued.json()["token"], issued.json()["jti"]
    mine = {"Authorization": f"Bearer {tok}"}
    other = auth("planner", sub="li")
    assert client.get(f"{V1}/units", headers=mine).status_code == 200
    assert client.post(f"{V1}/admin/tokens/revoke", json={"jti": jti}, headers=other).status_code == 403
    r = client.post(f"{V1}/admin/tokens/revoke", json={"token": tok}, headers=ADMIN)
    assert r.status_code == 201, r.text
    r = client.get(f"{V1}/units", headers=mine)
    assert r.status_code == 401 and r.json()["message"] == "令牌已被吊销" and r.json()["message_en"] == "token revoked"
    assert client.get(f"{V1}/units", headers=other).status_code == 200


def test_revoking_a_subject_refuses_every_token_it_was_issued_so_far(client: TestClient) -> None:
    a, b = auth("unit", "U1", "zhang"), auth("unit", "U2", "zhang")
    assert client.post(f"{V1}/admin/tokens/revoke", json={"sub": "zhang"}, headers=ADMIN).status_code == 201
    assert client.get(f"{V1}/units", headers=a).status_code == 401
    assert client.get(f"{V1}/units", headers=b).status_code == 401
    assert client.get(f"{V1}/units", headers=auth("unit", "U1", "zhao")).status_code == 200
    time.sleep(1.1)  # a token issued after the revocation is good again
    assert client.get(f"{V1}/units", headers=auth("unit", "U1", "zhang")).status_code == 200
    r = client.post(f"{V1}/admin/tokens/revoke", json={"sub": "x", "jti": "y"}, headers=ADMIN)
    assert r.status_code == 422 and r.json()["message_en"]
    r = client.post(f"{V1}/admin/tokens/revoke", json={"token": "not-a-jwt"}, headers=ADMIN)
    assert r.status_code == 422, r.text
