"""Bearer tokens: HS256 JSON Web Tokens carrying a role, a scope and a subject.

The signing secret is ``Settings.token_secret`` or, when that is empty, a random secret kept in
the file ``token_secret`` (mode 0600) in ``Settings.data_dir``, created on first use, so the
``fourlinks token`` command and the server agree without configuration."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

import jwt

from .access import ROLES, Principal
from .config import Settings
from .errors import InvalidInput, Unauthenticated

ALGORITHM = "HS256"
ISSUER = "fourlinks"
SECRET_FILE = "token_secret"


def secret_from(settings: Settings) -> str:
    """The signing secret the settings name (created once, 0600, in the data folder)."""
    if settings.token_secret:
        return settings.token_secret
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(value)
    return value


def issue(role: str, scope: str | None, sub: str, secret: str, ttl: float = 30 * 86400) -> str:
    """A signed token for ``role`` (coordinator|unit|planner|admin), valid ``ttl`` seconds.

    >>> t = issue("unit", "U1", "alice", "a-secret-of-at-least-32-bytes-long")
    >>> verify(t, "a-secret-of-at-least-32-bytes-long")
    Principal(role='unit', scope='U1', sub='alice')
    """
    p = Principal(role=role, scope=scope, sub=sub)  # validates role and scope
    if ttl <= 0:
        raise InvalidInput("有效期须为正数", message_en="ttl must be positive")
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "sub": p.sub, "role": p.role, "scope": p.scope, "iat": now,
                              "exp": now + int(ttl)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def expiry(token: str) -> int:
    """The expiry (Unix seconds) written in a token, unverified."""
    return int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))


def verify(token: str, secret: str) -> Principal:
    """The principal a token names; ``Unauthenticated`` when it is forged, expired or malformed."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "sub", "iss"]})
    except jwt.ExpiredSignatureError as e:
        raise Unauthenticated("令牌已过期", message_en="token expired") from e
    except jwt.PyJWTError as e:
        raise Unauthenticated("令牌无效", message_en=f"invalid token: {e}") from e
    role = claims.get("role")
    if role not in ROLES:
        raise Unauthenticated("令牌角色无效", message_en="token carries an unknown role")
    try:
        return Principal(role=role, scope=claims.get("scope"), sub=str(claims["sub"]))
    except InvalidInput as e:
        raise Unauthenticated("令牌内容无效", message_en=f"invalid token: {e.message_en}") from e
