"""Login and token refresh."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from sideline.api.deps import ServicesDep, SessionDep
from sideline.api.schemas import ERROR_RESPONSES
from sideline.auth.passwords import hash_password, needs_rehash, verify_password
from sideline.auth.tokens import TokenError, decode_token, issue_tokens
from sideline.errors import RateLimited, Unauthorized
from sideline.storage.models import User

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)


class LoginIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


def tokens_for(services, user: User) -> TokenOut:
    s = services.settings
    pair = issue_tokens(s.resolved_secret_key, user.id, user.token_version,
                        access_minutes=s.access_token_minutes, refresh_days=s.refresh_token_days)
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in)


@router.post("/login", response_model=TokenOut)
def login(body: LoginIn, request: Request, services: ServicesDep, session: SessionDep) -> TokenOut:
    email = body.email.strip().lower()
    client = request.client.host if request.client else "unknown"
    wait = services.rate_limiter.hit(f"login:{client}:{email}", rate_per_minute=services.settings.login_rate_limit_per_minute,
                                     burst=services.settings.login_rate_limit_per_minute)
    if wait > 0:
        raise RateLimited(wait, "Too many login attempts")
    user = session.scalar(select(User).where(func.lower(User.email) == email))
    if not verify_password(user.password_hash if user else None, body.password) or user is None or not user.is_active:
        raise Unauthorized("Incorrect email or password")
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(body.password)
    return tokens_for(services, user)


@router.post("/refresh", response_model=TokenOut)
def refresh(body: RefreshIn, services: ServicesDep, session: SessionDep) -> TokenOut:
    try:
        claims = decode_token(services.settings.resolved_secret_key, body.refresh_token, "refresh")
    except TokenError as exc:
        raise Unauthorized(f"Refresh token rejected: {exc}") from None
    user = session.get(User, claims["sub"])
    if user is None or not user.is_active or claims.get("ver") != user.token_version:
        raise Unauthorized("Refresh token rejected: it has been revoked")
    return tokens_for(services, user)


@router.post("/logout", status_code=204, response_class=Response)
def logout(body: RefreshIn, services: ServicesDep, session: SessionDep) -> Response:
    """Sign out: every refresh token of this user stops working (all their sessions).

    Refresh tokens are stateless JWTs; bumping the user's ``token_version`` voids them all at
    once without a token table. Access tokens still expire on their own within minutes.
    An unknown or already-void token is not an error: the client is signed out either way.
    """
    try:
        claims = decode_token(services.settings.resolved_secret_key, body.refresh_token, "refresh")
    except TokenError:
        return Response(status_code=204)
    user = session.get(User, claims["sub"])
    if user is not None and claims.get("ver") == user.token_version:
        user.token_version += 1
    return Response(status_code=204)
