"""API keys of an organisation: list, create (the key is shown once), revoke."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import func, select

from sideline.api.deps import OrgAdmin, SessionDep, get_owned
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.auth.api_keys import generate_api_key
from sideline.errors import Forbidden
from sideline.storage.models import ApiKey, utcnow

router = APIRouter(tags=["api keys"], responses=ERROR_RESPONSES)

Scope = Literal["read", "write", "admin"]


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    expires_in_days: int | None = Field(None, ge=1, le=3650)

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, scopes: list[str]) -> list[str]:
        return sorted(set(scopes), key=("read", "write", "admin").index)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_by_id: uuid.UUID | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The secret key; shown only in this response")


@router.get("/orgs/{org_id}/api-keys", response_model=Page[ApiKeyOut])
def list_api_keys(org: OrgAdmin, session: SessionDep, page: PageDep) -> Page[ApiKeyOut]:
    query = select(ApiKey).where(ApiKey.organisation_id == org.organisation_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    keys = session.scalars(query.order_by(ApiKey.created_at.desc(), ApiKey.id).limit(page.limit).offset(page.offset))
    return Page(items=[ApiKeyOut.model_validate(k) for k in keys], total=total, limit=page.limit, offset=page.offset)


@router.post("/orgs/{org_id}/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
def create_api_key(body: ApiKeyIn, org: OrgAdmin, session: SessionDep) -> ApiKeyCreated:
    # A key minting keys could outlive its own revocation through its children; only people create keys.
    if org.user_id is None:
        raise Forbidden("API keys cannot create API keys; log in as an owner of the organisation")
    key, prefix, key_hash = generate_api_key()
    expires_at = utcnow() + dt.timedelta(days=body.expires_in_days) if body.expires_in_days else None
    row = ApiKey(organisation_id=org.organisation_id, created_by_id=org.user_id, name=body.name, prefix=prefix,
                 key_hash=key_hash, scopes=list(body.scopes), expires_at=expires_at)
    session.add(row)
    session.flush()
    return ApiKeyCreated(**ApiKeyOut.model_validate(row).model_dump(), key=key)


@router.delete("/orgs/{org_id}/api-keys/{key_id}", response_model=ApiKeyOut)
def revoke_api_key(key_id: uuid.UUID, org: OrgAdmin, session: SessionDep) -> ApiKeyOut:
    row = get_owned(session, ApiKey, org, key_id, "API key")
    if row.revoked_at is None:  # revoking twice keeps the first time
        row.revoked_at = utcnow()
        session.flush()
    return ApiKeyOut.model_validate(row)
