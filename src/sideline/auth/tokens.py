"""Short-lived JWT access tokens, longer refresh tokens, and opaque one-time tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"


class TokenError(Exception):
    """The token is malformed, expired, revoked or of the wrong kind."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def _encode(secret: str, claims: dict) -> str:
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def issue_tokens(secret: str, user_id: uuid.UUID, token_version: int, *, access_minutes: int,
                 refresh_days: int) -> TokenPair:
    now = dt.datetime.now(dt.UTC)
    access = _encode(secret, {"sub": str(user_id), "typ": "access", "iat": now,
                              "exp": now + dt.timedelta(minutes=access_minutes)})
    refresh = _encode(secret, {"sub": str(user_id), "typ": "refresh", "ver": token_version,
                               "jti": secrets.token_hex(8), "iat": now,
                               "exp": now + dt.timedelta(days=refresh_days)})
    return TokenPair(access, refresh, access_minutes * 60)


def decode_token(secret: str, token: str, expected_type: str) -> dict:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]})
    except jwt.ExpiredSignatureError:
        raise TokenError("token expired") from None
    except jwt.PyJWTError:
        raise TokenError("invalid token") from None
    if claims.get("typ") != expected_type:
        raise TokenError("invalid token")
    try:
        claims["sub"] = uuid.UUID(claims["sub"])
    except ValueError:
        raise TokenError("invalid token") from None
    return claims


def new_opaque_token() -> tuple[str, str]:
    """A random URL-safe token and the SHA-256 hash that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_opaque_token(token)


def hash_opaque_token(token: str) -> str:
    # The tokens are 256-bit random strings, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()
