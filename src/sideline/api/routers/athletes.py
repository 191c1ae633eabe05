"""Athletes of an organisation. Deleting one erases all of their data (data protection)."""

from __future__ import annotations

import datetime as dt
import uuid

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sideline.api.deps import OrgAdmin, OrgRead, OrgWrite, ServicesDep, SessionDep, get_owned, scoped
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.errors import InvalidInput
from sideline.privacy import erase_athlete
from sideline.storage.models import Athlete, Membership

router = APIRouter(tags=["athletes"], responses=ERROR_RESPONSES)

EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)


def _check_external_ids(value: dict[str, str] | None) -> dict[str, str] | None:
    if value is None:
        return value
    if len(value) > 20:
        raise ValueError("at most 20 external ids")
    for k, v in value.items():
        if not 1 <= len(k) <= 40 or len(v) > 200:
            raise ValueError("external id names need 1-40 characters and values at most 200")
    return value


def _check_birth_date(value: dt.date | None) -> dt.date | None:
    if value is not None and not EARLIEST_BIRTH_DATE <= value <= dt.date.today():
        raise ValueError(f"must be between {EARLIEST_BIRTH_DATE} and today")
    return value


class AthleteIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    sport: str | None = Field(None, max_length=40)
    position: str | None = Field(None, max_length=80)
    birth_date: dt.date | None = None
    external_ids: dict[str, str] = Field(default_factory=dict)
    user_id: uuid.UUID | None = Field(None, description="The athlete's login; must be a member of the organisation")

    _ids = field_validator("external_ids")(_check_external_ids)
    _birth = field_validator("birth_date")(_check_birth_date)


class AthletePatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    sport: str | None = Field(None, max_length=40)
    position: str | None = Field(None, max_length=80)
    birth_date: dt.date | None = None
    external_ids: dict[str, str] | None = None
    user_id: uuid.UUID | None = None

    _ids = field_validator("external_ids")(_check_external_ids)
    _birth = field_validator("birth_date")(_check_birth_date)


class AthleteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    sport: str | None
    position: str | None
    birth_date: dt.date | None
    external_ids: dict[str, str]
    user_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ErasureOut(BaseModel):
    athlete_id: uuid.UUID
    deleted: dict[str, int]


def _check_user(session: Session, organisation_id: uuid.UUID, user_id: uuid.UUID | None) -> None:
    # The same answer for unknown users and other organisations' users: nothing to probe.
    if user_id is not None and session.scalar(select(Membership.id).where(
            Membership.organisation_id == organisation_id, Membership.user_id == user_id)) is None:
        raise InvalidInput("user_id: no member of this organisation has this id")


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@router.get("/orgs/{org_id}/athletes", response_model=Page[AthleteOut])
def list_athletes(org: OrgRead, session: SessionDep, page: PageDep,
                  q: str | None = Query(None, min_length=1, max_length=200, description="Part of the name"),
                  sport: str | None = Query(None, max_length=40)) -> Page[AthleteOut]:
    query = scoped(select(Athlete).where(Athlete.organisation_id == org.organisation_id), Athlete, org)
    if q:
        query = query.where(func.lower(Athlete.name).like(f"%{_escape_like(q.lower())}%", escape="\\"))
    if sport is not None:
        query = query.where(Athlete.sport == sport)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Athlete.name, Athlete.id).limit(page.limit).offset(page.offset))
    return Page(items=[AthleteOut.model_validate(a) for a in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/orgs/{org_id}/athletes", response_model=AthleteOut, status_code=status.HTTP_201_CREATED)
def create_athlete(body: AthleteIn, org: OrgWrite, session: SessionDep) -> AthleteOut:
    _check_user(session, org.organisation_id, body.user_id)
    athlete = Athlete(organisation_id=org.organisation_id, **body.model_dump())
    session.add(athlete)
    session.flush()
    return AthleteOut.model_validate(athlete)


@router.get("/orgs/{org_id}/athletes/{athlete_id}", response_model=AthleteOut)
def get_athlete(athlete_id: uuid.UUID, org: OrgRead, session: SessionDep) -> AthleteOut:
    return AthleteOut.model_validate(get_owned(session, Athlete, org, athlete_id, "Athlete"))


@router.patch("/orgs/{org_id}/athletes/{athlete_id}", response_model=AthleteOut)
def update_athlete(athlete_id: uuid.UUID, body: AthletePatch, org: OrgWrite, session: SessionDep) -> AthleteOut:
    athlete = get_owned(session, Athlete, org, athlete_id, "Athlete")
    changes = body.model_dump(exclude_unset=True)
    for required in ("name", "external_ids"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required}: cannot be null")
    _check_user(session, org.organisation_id, changes.get("user_id"))
    for field, value in changes.items():
        setattr(athlete, field, value)
    session.flush()
    return AthleteOut.model_validate(athlete)


@router.delete("/orgs/{org_id}/athletes/{athlete_id}", response_model=ErasureOut)
def delete_athlete(athlete_id: uuid.UUID, org: OrgAdmin, session: SessionDep, services: ServicesDep) -> ErasureOut:
    """Erase the athlete and everything recorded about them: datasets, files (and their
    blobs), samples and metrics, and the organisation's earlier export archives.

    Owners only: it cannot be undone."""
    athlete = get_owned(session, Athlete, org, athlete_id, "Athlete")
    erasure = erase_athlete(session, services.blobs, athlete)
    session.commit()
    erasure.finish(services.blobs)
    return ErasureOut(athlete_id=athlete_id, deleted=erasure.counts)
