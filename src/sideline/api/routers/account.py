"""Password reset by email, and changing one's own password.

A reset request answers 202 whatever the email, and mails only after the response is
sent, so neither the answer nor its timing tells whether an account exists. Setting a
password bumps ``User.token_version``: every refresh token issued before stops working.
"""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import APIRouter, BackgroundTasks, Request, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select, update

from sideline.api.deps import ServicesDep, SessionDep, UserDep
from sideline.api.routers.auth import TokenOut, tokens_for
from sideline.api.schemas import ERROR_RESPONSES
from sideline.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from sideline.auth.tokens import hash_opaque_token, new_opaque_token
from sideline.errors import Gone, InvalidInput, RateLimited
from sideline.services import Services
from sideline.storage.models import PasswordReset, User, utcnow

log = logging.getLogger(__name__)

router = APIRouter(tags=["account"], responses=ERROR_RESPONSES)

NewPassword = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024,
                    description=f"At least {MIN_PASSWORD_LENGTH} characters")


class ResetRequestIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)


class ResetConfirmIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    new_password: str = NewPassword


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = NewPassword


class Accepted(BaseModel):
    status: str = "accepted"
    message: str


def _limit(request: Request, services: Services, what: str, email: str = "") -> None:
    client = request.client.host if request.client else "unknown"
    per_minute = services.settings.login_rate_limit_per_minute
    wait = services.rate_limiter.hit(f"{what}:{client}:{email}", rate_per_minute=per_minute, burst=per_minute)
    if wait > 0:
        raise RateLimited(wait, "Too many attempts")


def _send_reset(services: Services, email: str) -> None:
    """Runs after the response: creates the one-time token and mails the link, if the user exists."""
    try:
        with services.db.session() as session:
            user = session.scalar(select(User).where(func.lower(User.email) == email))
            if user is None or not user.is_active:
                return
            token, token_hash = new_opaque_token()
            expires_at = utcnow() + dt.timedelta(minutes=services.settings.password_reset_minutes)
            session.add(PasswordReset(user_id=user.id, token_hash=token_hash, expires_at=expires_at))
            to = user.email
        link = f"{services.settings.public_url.rstrip('/')}/reset-password/{token}"
        services.mailer.send(to, "Reset your Sideline password",
                             "Someone (hopefully you) asked to reset the password of your Sideline account.\n\n"
                             f"Choose a new password here:\n{link}\n\n"
                             f"The link works once and expires in {services.settings.password_reset_minutes} minutes. "
                             "If you did not ask for this, ignore this message; your password stays as it is.\n")
    except Exception:  # nobody is waiting for the answer; the log must say what went wrong
        log.exception("could not send a password reset mail")


@router.post("/auth/password-reset", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
def request_password_reset(body: ResetRequestIn, request: Request, services: ServicesDep,
                           background: BackgroundTasks) -> Accepted:
    email = body.email.strip().lower()
    _limit(request, services, "reset", email)
    background.add_task(_send_reset, services, email)
    return Accepted(message="If an account with this email exists, a link to reset its password has been sent")


def _set_password(session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    # Atomic increment: a concurrent reset still ends with a version no old token has.
    session.execute(update(User).where(User.id == user.id)
                    .values(token_version=User.token_version + 1, updated_at=utcnow()))
    session.refresh(user)


@router.post("/auth/password-reset/confirm", response_model=TokenOut)
def confirm_password_reset(body: ResetConfirmIn, request: Request, services: ServicesDep,
                           session: SessionDep) -> TokenOut:
    _limit(request, services, "reset-confirm")
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_opaque_token(body.token)))
    user = session.get(User, reset.user_id) if reset is not None else None
    if reset is None or user is None or not user.is_active:
        raise InvalidInput("This password reset link is not valid; check that it was copied completely")
    now = utcnow()
    if reset.used_at is not None:
        raise Gone("This password reset link has already been used; request a new one")
    if reset.expires_at <= now:
        raise Gone("This password reset link has expired; request a new one")
    used = session.execute(update(PasswordReset).where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
                           .values(used_at=now, updated_at=now)).rowcount
    if not used:
        raise Gone("This password reset link has already been used; request a new one")
    # Any other outstanding link for this account dies with this one.
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now, updated_at=now))
    _set_password(session, user, body.new_password)
    return tokens_for(services, user)


@router.post("/me/password", response_model=TokenOut)
def change_password(body: PasswordChangeIn, request: Request, user: UserDep, services: ServicesDep,
                    session: SessionDep) -> TokenOut:
    _limit(request, services, "password-change", str(user.id))  # a stolen access token must not guess passwords
    if not verify_password(user.password_hash, body.current_password):
        raise InvalidInput("current_password: the current password is not correct")
    _set_password(session, user, body.new_password)
    # New tokens for this session; every other session's refresh token is now void.
    return tokens_for(services, user)
