"""Datasets: an organisation's private ones, plus public ones that everybody may read.

Every query names its visibility explicitly: ``organisation_id = <caller's org>`` for private
data, ``visibility = public`` for public data. No query relies on a default, so a private
dataset can only ever appear to its own organisation. Public datasets are never writable
through an organisation's routes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import and_, func, or_, select

from sideline.api.deps import OrgContext, OrgRead, OrgWrite, PrincipalDep, ServicesDep, SessionDep, athlete_scope
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep, PageParams
from sideline.errors import Forbidden, InvalidInput, NotFound
from sideline.privacy import delete_dataset
from sideline.storage.models import Athlete, Dataset, Visibility

router = APIRouter(tags=["datasets"], responses=ERROR_RESPONSES)

KIND_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,39}$"
MAX_META_BYTES = 64 * 1024


def _check_meta(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is not None and len(json.dumps(value)) > MAX_META_BYTES:
        raise ValueError(f"must be at most {MAX_META_BYTES // 1024} KiB as JSON")
    return value


def _check_starts_at(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return value
    if value.tzinfo is None:  # a time without a zone is taken as UTC
        value = value.replace(tzinfo=dt.UTC)
    if not 1900 <= value.year <= 2200:
        raise ValueError("must be between the years 1900 and 2200")
    return value.astimezone(dt.UTC)


class DatasetIn(BaseModel):
    kind: str = Field(min_length=1, max_length=40, pattern=KIND_PATTERN)
    name: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=10_000)
    athlete_id: uuid.UUID | None = None
    starts_at: dt.datetime | None = None
    meta: dict[str, Any] = Field(default_factory=dict)

    _meta = field_validator("meta")(_check_meta)
    _starts = field_validator("starts_at")(_check_starts_at)


class DatasetPatch(BaseModel):
    kind: str | None = Field(None, min_length=1, max_length=40, pattern=KIND_PATTERN)
    name: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=10_000)
    athlete_id: uuid.UUID | None = None
    starts_at: dt.datetime | None = None
    meta: dict[str, Any] | None = None

    _meta = field_validator("meta")(_check_meta)
    _starts = field_validator("starts_at")(_check_starts_at)


class DatasetOut(BaseModel):
    id: uuid.UUID
    public: bool
    kind: str
    name: str
    description: str | None
    athlete_id: uuid.UUID | None
    source_file_id: uuid.UUID | None
    starts_at: dt.datetime | None
    meta: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime


def dataset_out(d: Dataset) -> DatasetOut:
    return DatasetOut(id=d.id, public=d.visibility == Visibility.public, kind=d.kind, name=d.name,
                      description=d.description, athlete_id=d.athlete_id, source_file_id=d.source_file_id,
                      starts_at=d.starts_at, meta=d.meta or {}, created_at=d.created_at, updated_at=d.updated_at)


def _public():
    return and_(Dataset.visibility == Visibility.public, Dataset.organisation_id.is_(None))


def _private_of(organisation_id: uuid.UUID, org: OrgContext | None = None):
    clause = and_(Dataset.visibility == Visibility.private, Dataset.organisation_id == organisation_id)
    own = athlete_scope(Dataset, org) if org is not None else None
    return clause if own is None else and_(clause, own)


def _page(session, query, page: PageParams) -> Page[DatasetOut]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Dataset.created_at.desc(), Dataset.id).limit(page.limit).offset(page.offset))
    return Page(items=[dataset_out(d) for d in rows], total=total, limit=page.limit, offset=page.offset)


def _visible(session, org: OrgContext, dataset_id: uuid.UUID) -> Dataset:
    ds = session.scalar(select(Dataset).where(Dataset.id == dataset_id,
                                              or_(_private_of(org.organisation_id, org), _public())))
    if ds is None:
        raise NotFound("Dataset not found")
    return ds


def _writable(session, org: OrgContext, dataset_id: uuid.UUID) -> Dataset:
    ds = _visible(session, org, dataset_id)
    if ds.visibility == Visibility.public:
        raise Forbidden("Public datasets are read-only")
    return ds


def _check_athlete(session, org: OrgContext, athlete_id: uuid.UUID | None) -> None:
    if athlete_id is not None and session.scalar(select(Athlete.id).where(
            Athlete.id == athlete_id, Athlete.organisation_id == org.organisation_id)) is None:
        raise InvalidInput("athlete_id: no athlete of this organisation has this id")


@router.get("/orgs/{org_id}/datasets", response_model=Page[DatasetOut])
def list_datasets(org: OrgRead, session: SessionDep, page: PageDep,
                  kind: str | None = Query(None, max_length=40),
                  public: bool | None = Query(None, description="true: only public, false: only your own"),
                  athlete_id: uuid.UUID | None = None) -> Page[DatasetOut]:
    if public is None:
        visible = or_(_private_of(org.organisation_id, org), _public())
    else:
        visible = _public() if public else _private_of(org.organisation_id, org)
    query = select(Dataset).where(visible)
    if kind is not None:
        query = query.where(Dataset.kind == kind)
    if athlete_id is not None:
        # Athletes belong to one organisation, so this filter only ever matches its private data.
        query = query.where(_private_of(org.organisation_id, org), Dataset.athlete_id == athlete_id)
    return _page(session, query, page)


# Kinds whose datasets are made and kept consistent by their own importers (their meta and frame
# streams belong together): the generic routes may rename, describe or link them, nothing more.
MANAGED_KINDS = {"football_match": "/orgs/{org_id}/matches/import", "f1_session": "/orgs/{org_id}/f1/sessions/import",
                 "swing": "/orgs/{org_id}/swings/analyse", "video": "/orgs/{org_id}/videos"}


def _check_kind(kind: str | None) -> None:
    if kind in MANAGED_KINDS:
        raise InvalidInput(f"kind: {kind} datasets are created by POST /api/v1{MANAGED_KINDS[kind]}")


@router.post("/orgs/{org_id}/datasets", response_model=DatasetOut, status_code=status.HTTP_201_CREATED)
def create_dataset(body: DatasetIn, org: OrgWrite, session: SessionDep) -> DatasetOut:
    _check_kind(body.kind)
    _check_athlete(session, org, body.athlete_id)
    ds = Dataset(organisation_id=org.organisation_id, visibility=Visibility.private, **body.model_dump())
    session.add(ds)
    session.flush()
    return dataset_out(ds)


@router.get("/orgs/{org_id}/datasets/{dataset_id}", response_model=DatasetOut)
def get_dataset(dataset_id: uuid.UUID, org: OrgRead, session: SessionDep) -> DatasetOut:
    return dataset_out(_visible(session, org, dataset_id))


@router.patch("/orgs/{org_id}/datasets/{dataset_id}", response_model=DatasetOut)
def update_dataset(dataset_id: uuid.UUID, body: DatasetPatch, org: OrgWrite, session: SessionDep) -> DatasetOut:
    ds = _writable(session, org, dataset_id)
    changes = body.model_dump(exclude_unset=True)
    for required in ("kind", "name", "meta"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required}: cannot be null")
    if "athlete_id" in changes:
        _check_athlete(session, org, changes["athlete_id"])
    if ds.kind in MANAGED_KINDS and ({"kind", "meta"} & set(changes)):
        raise InvalidInput(f"A {ds.kind} dataset's kind and meta are kept by its importer; "
                           "only name, description, athlete and start time can be changed here")
    _check_kind(changes.get("kind"))
    for field, value in changes.items():
        setattr(ds, field, value)
    session.flush()
    return dataset_out(ds)


@router.delete("/orgs/{org_id}/datasets/{dataset_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_dataset(dataset_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> None:
    ds = _writable(session, org, dataset_id)
    erasure = delete_dataset(session, services.blobs, ds)
    session.commit()
    erasure.finish(services.blobs)


@router.get("/public/datasets", response_model=Page[DatasetOut])
def list_public_datasets(principal: PrincipalDep, session: SessionDep, page: PageDep,
                         kind: str | None = Query(None, max_length=40)) -> Page[DatasetOut]:
    query = select(Dataset).where(_public())
    if kind is not None:
        query = query.where(Dataset.kind == kind)
    return _page(session, query, page)


@router.get("/public/datasets/{dataset_id}", response_model=DatasetOut)
def get_public_dataset(dataset_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> DatasetOut:
    ds = session.scalar(select(Dataset).where(Dataset.id == dataset_id, _public()))
    if ds is None:
        raise NotFound("Dataset not found")
    return dataset_out(ds)
