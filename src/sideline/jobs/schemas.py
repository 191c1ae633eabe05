"""The public shape of a job, used by the REST API and by live events alike."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict

from sideline.storage.models import JobState


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    queue: str
    state: JobState
    progress: float
    message: str
    error: str | None
    attempts: int
    max_attempts: int
    params: dict[str, Any]
    result: dict[str, Any] | None
    cancel_requested: bool
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    updated_at: dt.datetime


def job_event(job) -> dict:
    return JobOut.model_validate(job).model_dump(mode="json")


def jobs_channel(organisation_id: uuid.UUID | str) -> str:
    return f"org:{organisation_id}:jobs"
