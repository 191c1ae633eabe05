"""Members of an organisation: list, change a role, remove (owners only).

An organisation always keeps at least one owner: removing or demoting the last one is 409.
"""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sideline.api.deps import OrgAdmin, OrgRead, SessionDep
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.errors import Conflict, NotFound
from sideline.storage.models import Membership, Organisation, Role, User

router = APIRouter(tags=["members"], responses=ERROR_RESPONSES)


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    joined_at: dt.datetime


class MemberPatch(BaseModel):
    role: Role


def _out(m: Membership, u: User) -> MemberOut:
    return MemberOut(user_id=u.id, email=u.email, name=u.name, role=m.role, joined_at=m.created_at)


def _membership(session: Session, organisation_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Membership, User]:
    row = session.execute(select(Membership, User).join(User, User.id == Membership.user_id)
                          .where(Membership.organisation_id == organisation_id, Membership.user_id == user_id)).first()
    if row is None:
        raise NotFound("Member not found")
    return row[0], row[1]


def _ensure_other_owner(session: Session, organisation_id: uuid.UUID, user_id: uuid.UUID, action: str) -> None:
    # Lock the organisation row so two owners demoting each other at once cannot both succeed.
    session.execute(select(Organisation.id).where(Organisation.id == organisation_id).with_for_update())
    others = session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organisation_id == organisation_id, Membership.role == Role.owner,
        Membership.user_id != user_id)) or 0
    if others == 0:
        raise Conflict(f"Cannot {action} the last owner; make another member an owner first")


@router.get("/orgs/{org_id}/members", response_model=Page[MemberOut])
def list_members(org: OrgRead, session: SessionDep, page: PageDep,
                 role: Role | None = None) -> Page[MemberOut]:
    query = (select(Membership, User).join(User, User.id == Membership.user_id)
             .where(Membership.organisation_id == org.organisation_id))
    if role is not None:
        query = query.where(Membership.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(User.email, User.id).limit(page.limit).offset(page.offset)).all()
    return Page(items=[_out(m, u) for m, u in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/orgs/{org_id}/members/{user_id}", response_model=MemberOut)
def get_member(user_id: uuid.UUID, org: OrgRead, session: SessionDep) -> MemberOut:
    return _out(*_membership(session, org.organisation_id, user_id))


@router.patch("/orgs/{org_id}/members/{user_id}", response_model=MemberOut)
def change_role(user_id: uuid.UUID, body: MemberPatch, org: OrgAdmin, session: SessionDep) -> MemberOut:
    membership, user = _membership(session, org.organisation_id, user_id)
    if membership.role == Role.owner and body.role != Role.owner:
        _ensure_other_owner(session, org.organisation_id, user_id, "demote")
    membership.role = body.role
    session.flush()
    return _out(membership, user)


@router.delete("/orgs/{org_id}/members/{user_id}", response_model=MemberOut)
def remove_member(user_id: uuid.UUID, org: OrgAdmin, session: SessionDep) -> MemberOut:
    membership, user = _membership(session, org.organisation_id, user_id)
    if membership.role == Role.owner:
        _ensure_other_owner(session, org.organisation_id, user_id, "remove")
    out = _out(membership, user)
    session.delete(membership)
    session.flush()
    return out
