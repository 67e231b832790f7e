"""Bearer tokens: HS256 JSON Web Tokens carrying a role, a scope, a subject, an expiry and an id
(``jti``).

The signing secret is ``Settings.token_secret`` or, when that is empty, a random secret kept in
the file ``token_secret`` (mode 0600) in ``Settings.data_dir``, created on first use, so the
``fourlinks token`` command and the server agree without configuration. There is no default
secret, and one shorter than ``MIN_SECRET_LENGTH`` is refused: HS256 with a short secret can be
brute-forced offline from any one token.

Revocation: an admin revokes one token (its ``jti``) or every token of a subject issued up to
now; ``verify`` with a store refuses them. The list lives in the store (``Revocation`` nodes),
so every server on a shared Neo4j refuses the same tokens."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import jwt

from .access import ROLES, Principal
from .audit import now as _now
from .config import Settings
from .errors import InvalidInput, Unauthenticated
from .store.base import Batch, GraphStore, Props

ALGORITHM = "HS256"
ISSUER = "fourlinks"
SECRET_FILE = "token_secret"
MIN_SECRET_LENGTH = 32
MAX_TTL = 3650 * 86400.0
"""The longest a token may live (ten years): every token expires."""


def _checked(value: str, where: str) -> str:
    if len(value) < MIN_SECRET_LENGTH:
        raise InvalidInput(f"令牌签名密钥过短（{where}：{len(value)} 个字符，至少 {MIN_SECRET_LENGTH} 个）",
                           message_en=f"the token secret is too short ({where}: {len(value)} characters; at least "
                           f"{MIN_SECRET_LENGTH})")
    return value


def secret_from(settings: Settings) -> str:
    """The signing secret the settings name (created once, 0600, in the data folder);
    ``InvalidInput`` when it is shorter than ``MIN_SECRET_LENGTH``."""
    if settings.token_secret:
        return _checked(settings.token_secret, "FOURLINKS_TOKEN_SECRET")
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        value = path.read_text().strip()
    except FileNotFoundError:
        pass
    else:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a copied-in or older file: readable by its owner only
        return _checked(value, str(path))
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return _checked(path.read_text().strip(), str(path))
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
    if not 0 < ttl <= MAX_TTL:
        raise InvalidInput("有效期须为正数且不超过 3650 天", message_en="ttl must be positive and at most 3650 days")
    _checked(secret, "secret")
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "sub": p.sub, "role": p.role, "scope": p.scope, "iat": now,
                              "exp": now + max(1, int(ttl)), "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def token_id(token: str) -> str | None:
    """The id (``jti``) written in a token, unverified (None for tokens issued without one)."""
    try:
        jti = jwt.decode(token, options={"verify_signature": False}).get("jti")
    except jwt.PyJWTError as e:
        raise InvalidInput("令牌格式无效", message_en=f"malformed token: {e}") from e
    return str(jti) if jti else None


def _revocation_id(jti: str | None = None, sub: str | None = None) -> str:
    if jti is not None:
        return f"REVOKED-{jti}"
    return "REVOKED-SUB-" + hashlib.sha256(str(sub).encode()).hexdigest()[:40]


def revoke(store: GraphStore, by: str, *, jti: str | None = None, sub: str | None = None,
           until: float | None = None) -> Props:
    """Revoke one token (``jti``) or every token of ``sub`` issued up to now. ``until``: when
    the tokens it covers have expired anyway (the token's ``exp``; default now + MAX_TTL)."""
    if (jti is None) == (sub is None):
        raise InvalidInput("须给出 jti 或 sub 之一", message_en="give exactly one of jti or sub")
    now = time.time()
    nid = _revocation_id(jti, sub)
    b = Batch()
    b.node("Revocation", nid, sub=sub, before=now if sub is not None else None, until=until or now + MAX_TTL, by=by,
           at=_now())
    store.write(b)
    return store.get("Revocation", nid) or {}


def _revoked(store: GraphStore, claims: dict[str, Any]) -> bool:
    ids = [_revocation_id(sub=str(claims["sub"]))]
    if claims.get("jti"):
        ids.append(_revocation_id(jti=str(claims["jti"])))
    for r in store.get_many("Revocation", ids):
        if r.get("sub") is None:
            return True  # this very token
        if float(claims.get("iat") or 0) <= float(r.get("before") or 0):
            return True  # every token of the subject issued until then
    return False


def expiry(token: str) -> int:
    """The expiry (Unix seconds) written in a token, unverified."""
    return int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))


def verify(token: str, secret: str, store: GraphStore | None = None) -> Principal:
    """The principal a token names; ``Unauthenticated`` when it is forged, expired, malformed
    or (given the store holding the revocation list) revoked."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["exp", "sub", "iss"]})
    except jwt.ExpiredSignatureError as e:
        raise Unauthenticated("令牌已过期", message_en="token expired") from e
    except jwt.PyJWTError as e:
        raise Unauthenticated("令牌无效", message_en=f"invalid token: {e}") from e
    if store is not None and _revoked(store, claims):
        raise Unauthenticated("令牌已被吊销", message_en="token revoked")
    role = claims.get("role")
    if role not in ROLES:
        raise Unauthenticated("令牌角色无效", message_en="token carries an unknown role")
    try:
        return Principal(role=role, scope=claims.get("scope"), sub=str(claims["sub"]))
    except InvalidInput as e:
        raise Unauthenticated("令牌内容无效", message_en=f"invalid token: {e.message_en}") from e
