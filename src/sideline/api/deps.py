"""Dependencies: the database session, the authenticated principal, organisation access.

Tenancy rule: every organisation-scoped route resolves ``org_id`` through ``OrgAccess``; a
principal that is not a member (or a key of another organisation) gets 404, exactly as for
an organisation that does not exist, so ids of other organisations cannot be probed.
"""

from __future__ import annotations

import dataclasses
import enum
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import false, select, update
from sqlalchemy.orm import Session

from sideline.auth import api_keys
from sideline.auth.tokens import TokenError, decode_token
from sideline.errors import Forbidden, NotFound, RateLimited, Unauthorized
from sideline.services import Services
from sideline.storage.models import ROLE_RANK, ApiKey, Athlete, Job, Membership, Role, User, utcnow


async def get_services(request: Request) -> Services:
    # async: a sync dependency costs a thread-pool round trip per request for a plain lookup.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def db_slot(request: Request) -> AsyncIterator[None]:
    """Admit at most as many requests with a database session as the pool has connections.

    Sync dependencies and endpoints run in a thread pool, and a request's session holds its
    connection across several thread hops. Without this gate, under load every thread can end
    up waiting for a connection held by requests that are themselves waiting for a thread:
    a deadlock until the pool times out. Waiting here happens on the event loop, holding nothing.
    """
    slots = request.app.state.db_slots
    async with slots:
        yield


def get_session(services: ServicesDep, _slot: Annotated[None, Depends(db_slot, scope="function")]) -> Iterator[Session]:
    with services.db.session() as session:
        yield session


# scope="function": the commit runs before the response is sent, so a failing commit becomes an
# error response instead of a 2xx for changes that were never saved (and the connection is freed
# before a streamed body).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class Access(str, enum.Enum):
    read = "read"
    write = "write"
    admin = "admin"


# The least role that grants each access level inside an organisation.
MIN_ROLE = {Access.read: Role.viewer, Access.write: Role.analyst, Access.admin: Role.owner}


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling: a user (with a JWT) or an API key (bound to one organisation)."""

    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    key_organisation_id: uuid.UUID | None = None
    scopes: frozenset[str] = frozenset()
    is_superuser: bool = False

    @property
    def rate_key(self) -> str:
        return f"key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Authorization header must be 'Bearer <token>'")
        return value.strip()
    return request.headers.get("x-api-key")


def authenticate_token(services: Services, session: Session, token: str) -> Principal:
    """Turn an access token or API key into a principal; raises Unauthorized."""
    if token.startswith(api_keys.KEY_PREFIX):
        prefix = api_keys.parse_prefix(token)
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
        if key is None or not api_keys.matches(token, key.key_hash):
            raise Unauthorized("Invalid API key")
        now = utcnow()
        if key.revoked_at is not None:
            raise Unauthorized("API key has been revoked")
        if key.expires_at is not None and key.expires_at <= now:
            raise Unauthorized("API key has expired")
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
        return Principal(api_key_id=key.id, key_organisation_id=key.organisation_id, scopes=frozenset(key.scopes))
    try:
        claims = decode_token(services.settings.resolved_secret_key, token, "access")
    except TokenError as exc:
        raise Unauthorized(f"Access token rejected: {exc}") from None
    user = session.get(User, claims["sub"])
    if user is None or not user.is_active:
        raise Unauthorized("Access token rejected: user is not active")
    return Principal(user_id=user.id, scopes=frozenset(a.value for a in Access), is_superuser=user.is_superuser)


def get_principal(request: Request, services: ServicesDep, session: SessionDep) -> Principal:
    token = _bearer(request)
    if not token:
        raise Unauthorized()
    principal = authenticate_token(services, session, token)
    wait = services.rate_limiter.hit(principal.rate_key)
    if wait > 0:
        raise RateLimited(wait)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_user(principal: PrincipalDep, session: SessionDep) -> User:
    if principal.user_id is None:
        raise Forbidden("This endpoint needs a user login, not an API key")
    user = session.get(User, principal.user_id)
    assert user is not None
    return user


UserDep = Annotated[User, Depends(get_user)]


@dataclasses.dataclass(frozen=True)
class OrgContext:
    organisation_id: uuid.UUID
    principal: Principal
    role: Role | None  # None for API keys

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.principal.user_id


def resolve_org(session: Session, principal: Principal, org_id: uuid.UUID, access: Access) -> OrgContext:
    not_found = NotFound("Organisation not found")
    if principal.api_key_id is not None:
        if principal.key_organisation_id != org_id:
            raise not_found
        if access.value not in principal.scopes and "admin" not in principal.scopes:
            raise Forbidden(f"This API key lacks the '{access.value}' scope")
        return OrgContext(org_id, principal, None)
    role = session.scalar(select(Membership.role).where(Membership.organisation_id == org_id,
                                                        Membership.user_id == principal.user_id))
    if role is None:
        raise not_found
    if ROLE_RANK[role] < ROLE_RANK[MIN_ROLE[access]]:
        raise Forbidden(f"Your role ({role.value}) does not allow this; it needs {MIN_ROLE[access].value} or above")
    return OrgContext(org_id, principal, role)


def org_access(access: Access):
    def dependency(org_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> OrgContext:
        return resolve_org(session, principal, org_id, access)

    return dependency


OrgRead = Annotated[OrgContext, Depends(org_access(Access.read))]
OrgWrite = Annotated[OrgContext, Depends(org_access(Access.write))]
OrgAdmin = Annotated[OrgContext, Depends(org_access(Access.admin))]


def athlete_scope(model, org: OrgContext):
    """For a member with the athlete role, the WHERE clause that keeps them to their own data.

    Athletes are people being analysed, not staff: they see their own athlete record(s), the
    datasets and files linked to those, and the jobs they started - never team-mates' data.
    Returns None for every other role (and for API keys), which see the whole organisation.
    """
    if org.role != Role.athlete:
        return None
    if model is Athlete:
        return Athlete.user_id == org.user_id
    if model is Job:
        return Job.created_by_id == org.user_id
    if hasattr(model, "athlete_id"):
        mine = select(Athlete.id).where(Athlete.organisation_id == org.organisation_id,
                                        Athlete.user_id == org.user_id)
        return model.athlete_id.in_(mine)
    return false()


def scoped(query, model, org: OrgContext):
    """``query`` narrowed by ``athlete_scope`` where it applies."""
    clause = athlete_scope(model, org)
    return query if clause is None else query.where(clause)


def get_owned(session: Session, model, org: OrgContext, object_id: uuid.UUID, what: str):
    """Fetch a row of ``model`` by id within the organisation, else 404 (never 403)."""
    obj = session.get(model, object_id)
    if obj is None or obj.organisation_id != org.organisation_id:
        raise NotFound(f"{what} not found")
    clause = athlete_scope(model, org)
    if clause is not None and session.scalar(select(model.id).where(model.id == object_id, clause)) is None:
        raise NotFound(f"{what} not found")
    return obj
