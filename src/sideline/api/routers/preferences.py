"""The signed-in user's own preferences, per area: ``GET/PUT /me/preferences/{motorsport,display}``.

Stored server-side (``user_preferences``, one JSON document per user and area), so they follow
the user to every browser; they are the user's, not an organisation's (API keys have none:
403). Motorsport: commentary style, favourite drivers (highlighted in the tower and the
commentary, notified on the live page) and a broadcast delay (the live page holds incoming
updates back by it, to line up with a TV picture that runs behind the timing). Display: the
units lengths and speeds are shown in (metric or imperial; the swing pages and cue texts follow it).
"""

from __future__ import annotations

import re
import uuid
from typing import Literal, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from sideline.api.deps import SessionDep, UserDep
from sideline.api.schemas import ERROR_RESPONSES
from sideline.storage.models import UserPreference

router = APIRouter(tags=["account"], responses=ERROR_RESPONSES)

MOTORSPORT = "motorsport"
DISPLAY = "display"
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


class DisplayPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: Literal["metric", "imperial"] = Field(
        "metric", description="lengths and speeds in metric (cm, m, m/s) or imperial (inches, feet, mph) units")


Prefs = TypeVar("Prefs", bound=BaseModel)


def load_preferences(session: Session, user_id: uuid.UUID | None, scope: str, model: type[Prefs]) -> Prefs:
    """A user's preferences of one area (the defaults when none are stored, or for an API key)."""
    row = None if user_id is None else session.scalar(
        select(UserPreference).where(UserPreference.user_id == user_id, UserPreference.scope == scope))
    if row is None:
        return model()
    # stored documents were valid when written; fields added later take their defaults
    known = {k: v for k, v in (row.values or {}).items() if k in model.model_fields}
    return model.model_validate(known)


def store_preferences(session: Session, user_id: uuid.UUID, scope: str, body: Prefs) -> Prefs:
    """Replace one area's document (validated by ``body``'s model; fields left out took their defaults)."""
    row = session.scalar(select(UserPreference).where(UserPreference.user_id == user_id,
                                                      UserPreference.scope == scope).with_for_update())
    if row is None:
        session.add(UserPreference(user_id=user_id, scope=scope, values=body.model_dump()))
    else:
        row.values = body.model_dump()  # a new dict: the ORM sees the JSON change
    session.flush()
    return body


def load_motorsport(session: Session, user_id: uuid.UUID | None) -> MotorsportPreferences:
    return load_preferences(session, user_id, MOTORSPORT, MotorsportPreferences)


def load_display(session: Session, user_id: uuid.UUID | None) -> DisplayPreferences:
    return load_preferences(session, user_id, DISPLAY, DisplayPreferences)


@router.get("/me/preferences/motorsport", response_model=MotorsportPreferences)
def get_motorsport_preferences(user: UserDep, session: SessionDep) -> MotorsportPreferences:
    return load_motorsport(session, user.id)


@router.put("/me/preferences/motorsport", response_model=MotorsportPreferences)
def put_motorsport_preferences(body: MotorsportPreferences, user: UserDep, session: SessionDep) -> MotorsportPreferences:
    """Replace the motorsport preferences (fields left out take their defaults)."""
    return store_preferences(session, user.id, MOTORSPORT, body)


@router.get("/me/preferences/display", response_model=DisplayPreferences)
def get_display_preferences(user: UserDep, session: SessionDep) -> DisplayPreferences:
    return load_display(session, user.id)


@router.put("/me/preferences/display", response_model=DisplayPreferences)
def put_display_preferences(body: DisplayPreferences, user: UserDep, session: SessionDep) -> DisplayPreferences:
    """Replace the display preferences (units; fields left out take their defaults)."""
    return store_preferences(session, user.id, DISPLAY, body)
