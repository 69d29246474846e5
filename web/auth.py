"""Bearer tokens: signed, expiring, revocable; and the current actor of a request.

A token is signed (itsdangerous) with the service's secret and names the
user, a token id and the issue time. It is accepted while it has not
expired, its user is active, it was issued after the user's last "revoke
all" (or password change, or disablement), and its id was not revoked.
Every token is thus checked against the user's event-sourced record, which
the directory keeps cached and brings up to date with one query per request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeGuard

from flask import current_app, g, request
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from domain.actors import Actor, Role
from domain.errors import AuthenticationFailed
from domain.time_source import TimeSource, utc_now

PUBLIC = {"/api/auth/token", "/api/openapi.json", "/healthz"}


@dataclass(frozen=True)
class TokenClaims:
    username: str
    token_id: str
    issued_at: datetime
    expires_at: datetime


class TokenService:
    def __init__(self, secret: str, ttl: timedelta, clock: TimeSource = utc_now) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="caseledger-bearer")
        self.ttl, self.clock = ttl, clock

    def new_claims(self, username: str) -> TokenClaims:
        now = self.clock()
        return TokenClaims(username, uuid.uuid4().hex, now, now + self.ttl)

    def sign(self, claims: TokenClaims) -> str:
        return self._signer.dumps({"u": claims.username, "j": claims.token_id, "i": claims.issued_at.timestamp()})

    def read(self, token: str) -> TokenClaims:
        try:
            data = self._signer.loads(token, max_age=int(self.ttl.total_seconds()))
        except SignatureExpired:
            raise AuthenticationFailed("the token has expired; sign in again") from None
        except BadData:  # a bad signature, or a payload that is not the JSON it should be
            raise AuthenticationFailed("the token is not valid") from None
        claims = self.claims_of(data)
        if claims is None:
            raise AuthenticationFailed("the token is not valid")
        return claims

    def claims_of(self, data: object) -> TokenClaims | None:
        """The claims a signed token or session carries, or None unless they are exactly what ``sign`` writes:
        an object with a non-empty user name and token id (text) and an issue time (a number a date can be
        made of). The signature proves only who signed, not that the claims are well formed (a token of an
        older or another layout, signed with the same secret), so nothing read from them may raise."""
        if not isinstance(data, dict):
            return None
        username, token_id, issued = data.get("u"), data.get("j"), data.get("i")
        if not (_is_text(username) and _is_text(token_id)):
            return None
        if isinstance(issued, bool) or not isinstance(issued, (int, float)):
            return None
        try:
            issued_at = datetime.fromtimestamp(issued, UTC)
            expires_at = issued_at + self.ttl
        except (OverflowError, OSError, ValueError):  # NaN, infinities, years beyond 9999 or before 1
            return None
        return TokenClaims(username, token_id, issued_at, expires_at)


def _is_text(value: object) -> TypeGuard[str]:
    """Non-empty text that can be stored and hashed: no NUL, no lone surrogate."""
    if not isinstance(value, str) or not value or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def authenticate_request() -> None:
    """``before_request`` for /api: resolves ``g.actor`` or refuses with 401."""
    if not request.path.startswith("/api/") or request.path in PUBLIC:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send 'Authorization: Bearer <token>' (POST /api/auth/token)")
    container = current_app.extensions["caseledger"]
    claims = container.tokens.read(token.strip())
    user = container.directory.user(claims.username)
    if user is None or not user.accepts_token(claims.token_id, claims.issued_at):
        raise AuthenticationFailed("the token was revoked or its user disabled")
    g.claims = claims
    g.actor = Actor(user.username, Role(user.role), user.unit)
