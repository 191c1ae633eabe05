"""The signed-in user's own preferences, per area: ``GET/PUT /me/preferences/motorsport``.

Stored server-side (``user_preferences``, one JSON document per user and area), so they follow
the user to every browser; they are the user's, not an organisation's (API keys have none:
403). Motorsport: commentary style, favourite drivers (highlighted in the tower and the
commentary, notified on the live page) and a broadcast delay (the live page holds incoming
updates back by it, to line up with a TV picture that runs behind the timing).
"""

from __future__ import annotations

import re
import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from sideline.api.deps import SessionDep, UserDep
from sideline.api.schemas import ERROR_RESPONSES
from sideline.storage.models import UserPreference

router = APIRouter(tags=["account"], responses=ERROR_RESPONSES)

MOTORSPORT = "motorsport"
MAX_FAVOURITES = 20
MAX_DELAY_S = 120
DRIVER = re.compile(r"^(?:[1-9][0-9]?|0|[A-Za-z]{3})$")


class MotorsportPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commentary_style: Literal["casual", "technical"] = "casual"
    favourite_drivers: list[str] = Field(
        default_factory=list, max_length=MAX_FAVOURITES,
        description="car numbers (\"44\") or three-letter codes (\"HAM\"); codes are kept upper-case")
    broadcast_delay_s: int = Field(0, ge=0, le=MAX_DELAY_S, description="seconds the live page holds updates back")

    @field_validator("favourite_drivers")
    @classmethod
    def _drivers(cls, values: list[str]) -> list[str]:
        out: list[str] = []
        for i, value in enumerate(values):
            text = value.strip()
            if not DRIVER.match(text):
                raise ValueError(f"item {i} ({value[:40]!r}) is neither a car number (0-99) "
                                 "nor a three-letter driver code like HAM")
            text = text.upper()
            if text not in out:  # the same driver twice is once
                out.append(text)
        return out


def load_motorsport(session: Session, user_id: uuid.UUID | None) -> MotorsportPreferences:
    """A user's motorsport preferences (the defaults when none are stored, or for an API key)."""
    row = None if user_id is None else session.scalar(
        select(UserPreference).where(UserPreference.user_id == user_id, UserPreference.scope == MOTORSPORT))
    if row is None:
        return MotorsportPreferences()
    # stored documents were valid when written; fields added later take their defaults
    known = {k: v for k, v in (row.values or {}).items() if k in MotorsportPreferences.model_fields}
    return MotorsportPreferences.model_validate(known)


@router.get("/me/preferences/motorsport", response_model=MotorsportPreferences)
def get_motorsport_preferences(user: UserDep, session: SessionDep) -> MotorsportPreferences:
    return load_motorsport(session, user.id)


@router.put("/me/preferences/motorsport", response_model=MotorsportPreferences)
def put_motorsport_preferences(body: MotorsportPreferences, user: UserDep, session: SessionDep) -> MotorsportPreferences:
    """Replace the motorsport preferences (fields left out take their defaults)."""
    row = session.scalar(select(UserPreference).where(UserPreference.user_id == user.id,
                                                      UserPreference.scope == MOTORSPORT).with_for_update())
    if row is None:
        session.add(UserPreference(user_id=user.id, scope=MOTORSPORT, values=body.model_dump()))
    else:
        row.values = body.model_dump()  # a new dict: the ORM sees the JSON change
    session.flush()
    return body
