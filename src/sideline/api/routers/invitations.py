"""Invitations: owners invite by email; the link's token joins an existing or a new user.

Only the SHA-256 of a token is stored. Accepting is one conditional UPDATE, so a token is
used at most once even when two requests race.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import and_, func, select, update

from sideline.api.deps import OrgAdmin, Principal, ServicesDep, SessionDep, _bearer, authenticate_token, get_owned
from sideline.api.routers.auth import TokenOut, tokens_for
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.auth.passwords import MIN_PASSWORD_LENGTH, hash_password
from sideline.auth.tokens import hash_opaque_token, new_opaque_token
from sideline.errors import (Conflict, Forbidden, Gone, InvalidInput, RateLimited, ServiceUnavailable,
                             SidelineError)
from sideline.mail import MailError
from sideline.storage.models import Invitation, Membership, Organisation, Role, User, utcnow

router = APIRouter(tags=["invitations"], responses=ERROR_RESPONSES)


class InvitationStatus(str, enum.Enum):
    pending = "pending"
    accepted = "accepted"
    revoked = "revoked"
    expired = "expired"


class InvitationIn(BaseModel):
    email: EmailStr = Field(max_length=320)
    role: Role


class InvitationOut(BaseModel):
    id: uuid.UUID
    email: str
    role: Role
    status: InvitationStatus
    invited_by_id: uuid.UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None


class AcceptIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)
    name: str | None = Field(None, min_length=1, max_length=200)
    password: str | None = Field(None, min_length=MIN_PASSWORD_LENGTH, max_length=1024)


class AcceptOut(TokenOut):
    organisation_id: uuid.UUID
    user_id: uuid.UUID
    role: Role


def invitation_status(inv: Invitation, now: dt.datetime | None = None) -> InvitationStatus:
    if inv.accepted_at is not None:
        return InvitationStatus.accepted
    if inv.revoked_at is not None:
        return InvitationStatus.revoked
    if inv.expires_at <= (now or utcnow()):
        return InvitationStatus.expired
    return InvitationStatus.pending


def _out(inv: Invitation) -> InvitationOut:
    return InvitationOut(id=inv.id, email=inv.email, role=inv.role, status=invitation_status(inv),
                         invited_by_id=inv.invited_by_id, created_at=inv.created_at, expires_at=inv.expires_at,
                         accepted_at=inv.accepted_at, revoked_at=inv.revoked_at)


def _pending(now: dt.datetime):
    return and_(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now)


@router.get("/orgs/{org_id}/invitations", response_model=Page[InvitationOut])
def list_invitations(org: OrgAdmin, session: SessionDep, page: PageDep,
                     status: InvitationStatus | None = None) -> Page[InvitationOut]:
    now = utcnow()
    query = select(Invitation).where(Invitation.organisation_id == org.organisation_id)
    if status == InvitationStatus.pending:
        query = query.where(_pending(now))
    elif status == InvitationStatus.accepted:
        query = query.where(Invitation.accepted_at.is_not(None))
    elif status == InvitationStatus.revoked:
        query = query.where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_not(None))
    elif status == InvitationStatus.expired:
        query = query.where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
                            Invitation.expires_at <= now)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Invitation.created_at.desc(), Invitation.id)
                           .limit(page.limit).offset(page.offset))
    return Page(items=[_out(i) for i in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/orgs/{org_id}/invitations", response_model=InvitationOut, status_code=status.HTTP_201_CREATED)
def invite(body: InvitationIn, org: OrgAdmin, session: SessionDep, services: ServicesDep) -> InvitationOut:
    email = body.email.strip().lower()
    member = session.scalar(select(Membership.id).join(User, User.id == Membership.user_id).where(
        Membership.organisation_id == org.organisation_id, func.lower(User.email) == email))
    if member is not None:
        raise Conflict(f"{email} is already a member of this organisation")
    now = utcnow()
    # Inviting again replaces the earlier link, so only the newest mail works.
    session.execute(update(Invitation).where(Invitation.organisation_id == org.organisation_id,
                                             Invitation.email == email, _pending(now))
                    .values(revoked_at=now, updated_at=now))
    token, token_hash = new_opaque_token()
    settings = services.settings
    inv = Invitation(organisation_id=org.organisation_id, email=email, role=body.role, token_hash=token_hash,
                     invited_by_id=org.user_id, expires_at=now + dt.timedelta(days=settings.invitation_days))
    session.add(inv)
    session.flush()
    organisation = session.get(Organisation, org.organisation_id)
    inviter = session.get(User, org.user_id) if org.user_id else None
    link = f"{settings.public_url.rstrip('/')}/invite/{token}"
    by = f" by {inviter.name or inviter.email}" if inviter else ""
    try:
        # Sent before the commit: if the mail fails, the request fails and no invitation is left behind.
        services.mailer.send(email, f"You are invited to join {organisation.name} on Sideline",
                             f"You have been invited{by} to join {organisation.name} on Sideline as {body.role.value}.\n\n"
                             f"Accept the invitation here:\n{link}\n\n"
                             f"The link works once and expires on {inv.expires_at:%Y-%m-%d %H:%M} UTC.\n")
    except MailError as exc:
        raise ServiceUnavailable(f"The invitation email could not be sent: {exc}") from None
    return _out(inv)


@router.delete("/orgs/{org_id}/invitations/{invitation_id}", response_model=InvitationOut)
def revoke_invitation(invitation_id: uuid.UUID, org: OrgAdmin, session: SessionDep) -> InvitationOut:
    inv = get_owned(session, Invitation, org, invitation_id, "Invitation")
    if inv.accepted_at is not None:
        raise Conflict("The invitation has already been accepted; remove the member instead")
    if inv.revoked_at is None:
        inv.revoked_at = utcnow()
        session.flush()
    return _out(inv)


def _optional_principal(request: Request, services: ServicesDep, session: SessionDep) -> Principal | None:
    token = _bearer(request)
    return authenticate_token(services, session, token) if token else None


def _unusable(inv: Invitation | None) -> SidelineError | None:
    if inv is None:
        return InvalidInput("This invitation link is not valid; check that it was copied completely")
    match invitation_status(inv):
        case InvitationStatus.accepted:
            return Gone("This invitation has already been accepted")
        case InvitationStatus.revoked:
            return Gone("This invitation has been withdrawn; ask for a new one")
        case InvitationStatus.expired:
            return Gone("This invitation has expired; ask for a new one")
    return None


class PreviewIn(BaseModel):
    token: str = Field(min_length=1, max_length=200)


class PreviewOut(BaseModel):
    organisation_name: str
    email: str
    role: Role
    expires_at: dt.datetime


def _limit_invitation_attempts(request: Request, services) -> None:
    client = request.client.host if request.client else "unknown"
    limit = services.settings.login_rate_limit_per_minute
    wait = services.rate_limiter.hit(f"invite:{client}", rate_per_minute=limit, burst=limit)
    if wait > 0:
        raise RateLimited(wait, "Too many invitation attempts")


@router.post("/invitations/preview", response_model=PreviewOut)
def preview_invitation(body: PreviewIn, request: Request, services: ServicesDep, session: SessionDep) -> PreviewOut:
    """What an invitation link offers (organisation and role), so the page can say whom you join.

    POST, not GET, so the token stays out of access logs; the same per-IP limit as accepting
    makes guessing tokens pointless on top of their 256 bits.
    """
    _limit_invitation_attempts(request, services)
    inv = session.scalar(select(Invitation).where(Invitation.token_hash == hash_opaque_token(body.token)))
    if (error := _unusable(inv)) is not None:
        raise error
    assert inv is not None
    org = session.get(Organisation, inv.organisation_id)
    assert org is not None
    return PreviewOut(organisation_name=org.name, email=inv.email, role=inv.role, expires_at=inv.expires_at)


@router.post("/invitations/accept", response_model=AcceptOut)
def accept_invitation(body: AcceptIn, request: Request, services: ServicesDep, session: SessionDep,
                      principal: Principal | None = Depends(_optional_principal)) -> AcceptOut:
    _limit_invitation_attempts(request, services)
    inv = session.scalar(select(Invitation).where(Invitation.token_hash == hash_opaque_token(body.token)))
    if (error := _unusable(inv)) is not None:
        raise error
    assert inv is not None
    if principal is not None:
        if principal.user_id is None:
            raise Forbidden("An API key cannot accept an invitation; log in as the invited person")
        user = session.get(User, principal.user_id)
        assert user is not None
        if session.scalar(select(Membership.id).where(Membership.organisation_id == inv.organisation_id,
                                                      Membership.user_id == user.id)) is not None:
            raise Conflict("You are already a member of this organisation")
    else:
        if session.scalar(select(User.id).where(func.lower(User.email) == inv.email.lower())) is not None:
            raise Conflict("An account with this email address exists; log in, then accept the invitation")
        if not body.password:
            raise InvalidInput(f"password: choose a password of at least {MIN_PASSWORD_LENGTH} characters "
                               "for your new account (or log in to join with an existing one)")
        user = User(email=inv.email, name=body.name or inv.email.split("@")[0], password_hash=hash_password(body.password))
        session.add(user)
        session.flush()
    now = utcnow()
    claimed = session.execute(update(Invitation).where(Invitation.id == inv.id, _pending(now))
                              .values(accepted_at=now, updated_at=now)).rowcount
    if not claimed:  # another request used it between our read and this write
        session.rollback()
        session.expire_all()
        raise _unusable(session.get(Invitation, inv.id)) or Gone("This invitation has already been used")
    session.add(Membership(organisation_id=inv.organisation_id, user_id=user.id, role=inv.role))
    session.flush()
    tokens = tokens_for(services, user)
    return AcceptOut(**tokens.model_dump(), organisation_id=inv.organisation_id, user_id=user.id, role=inv.role)
