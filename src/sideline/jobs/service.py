"""Creating and cancelling jobs (what the API and CLI call)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from sideline.errors import Conflict
from sideline.jobs.registry import get_job_type
from sideline.storage.models import FINISHED_STATES, Job, JobState, utcnow


def create_job(session: Session, organisation_id: uuid.UUID, job_type: str, params: dict[str, Any] | None = None,
               *, created_by_id: uuid.UUID | None = None, max_attempts: int = 3) -> Job:
    spec = get_job_type(job_type)
    if spec.validate is not None:
        spec.validate(params or {})
    job = Job(organisation_id=organisation_id, type=spec.name, queue=spec.queue, params=params or {},
              created_by_id=created_by_id, max_attempts=spec.max_attempts or max_attempts,
              state=JobState.queued, message="Queued")
    session.add(job)
    session.flush()
    return job


def request_cancel(session: Session, job: Job) -> Job:
    if job.state in FINISHED_STATES:
        raise Conflict(f"Job is already {job.state.value}")
    job.cancel_requested = True
    if job.state == JobState.queued:
        job.state = JobState.cancelled
        job.finished_at = utcnow()
        job.message = "Cancelled before it started"
    else:
        job.message = "Cancelling"
    job.updated_at = utcnow()
    session.flush()
    return job
