"""The current user and the organisations they belong to."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from sideline.accounts import create_organisation
from sideline.api.deps import OrgRead, SessionDep, UserDep
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.storage.models import Membership, Organisation, Role

router = APIRouter(tags=["organisations"], responses=ERROR_RESPONSES)


class OrganisationRef(BaseModel):
    id: uuid.UUID
    name: str
    slug: str


class MembershipOut(BaseModel):
    organisation: OrganisationRef
    role: Role


class MeOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    memberships: list[MembershipOut]


class OrganisationOut(BaseModel):
    id: uuid.UUID
    name: str
    slug: str
    role: Role | None
    created_at: dt.datetime
    updated_at: dt.datetime


class OrganisationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=2, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")


@router.get("/me", response_model=MeOut)
def me(user: UserDep, session: SessionDep) -> MeOut:
    rows = session.execute(select(Membership, Organisation).join(Organisation).where(Membership.user_id == user.id)
                           .order_by(Organisation.name)).all()
    return MeOut(id=user.id, email=user.email, name=user.name, memberships=[
        MembershipOut(organisation=OrganisationRef(id=o.id, name=o.name, slug=o.slug), role=m.role) for m, o in rows])


@router.get("/orgs", response_model=Page[OrganisationOut])
def list_orgs(user: UserDep, session: SessionDep, page: PageDep) -> Page[OrganisationOut]:
    base = select(Organisation, Membership.role).join(Membership).where(Membership.user_id == user.id)
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(Organisation.name).limit(page.limit).offset(page.offset)).all()
    return Page(items=[OrganisationOut(id=o.id, name=o.name, slug=o.slug, role=r, created_at=o.created_at,
                                       updated_at=o.updated_at) for o, r in rows],
                total=total, limit=page.limit, offset=page.offset)


@router.post("/orgs", response_model=OrganisationOut, status_code=status.HTTP_201_CREATED)
def create_org(body: OrganisationIn, user: UserDep, session: SessionDep) -> OrganisationOut:
    org = create_organisation(session, body.name, user.id, body.slug)
    return OrganisationOut(id=org.id, name=org.name, slug=org.slug, role=Role.owner, created_at=org.created_at,
                           updated_at=org.updated_at)


@router.get("/orgs/{org_id}", response_model=OrganisationOut)
def get_org(org: OrgRead, session: SessionDep) -> OrganisationOut:
    o = session.get(Organisation, org.organisation_id)
    assert o is not None
    return OrganisationOut(id=o.id, name=o.name, slug=o.slug, role=org.role, created_at=o.created_at, updated_at=o.updated_at)
