"""Jobs of an organisation: list, start, inspect, cancel."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from sideline.api.deps import OrgRead, OrgWrite, ServicesDep, SessionDep, get_owned, scoped
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.errors import InvalidInput
from sideline.jobs.execution import publish_job
from sideline.jobs.registry import all_job_types, get_job_type
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job, request_cancel
from sideline.storage.models import Job, JobState

router = APIRouter(tags=["jobs"], responses=ERROR_RESPONSES)


class JobIn(BaseModel):
    type: str = Field(min_length=1, max_length=80)
    params: dict[str, Any] = Field(default_factory=dict)


class JobTypeOut(BaseModel):
    type: str
    queue: str
    description: str


@router.get("/job-types", response_model=list[JobTypeOut])
def job_types() -> list[JobTypeOut]:
    return [JobTypeOut(type=t.name, queue=t.queue, description=t.description) for t in all_job_types()]


@router.get("/orgs/{org_id}/jobs", response_model=Page[JobOut])
def list_jobs(org: OrgRead, session: SessionDep, page: PageDep,
              state: JobState | None = Query(None), type: str | None = Query(None, max_length=80)) -> Page[JobOut]:
    query = scoped(select(Job).where(Job.organisation_id == org.organisation_id), Job, org)
    if state is not None:
        query = query.where(Job.state == state)
    if type is not None:
        query = query.where(Job.type == type)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    jobs = session.scalars(query.order_by(Job.created_at.desc(), Job.id).limit(page.limit).offset(page.offset)).all()
    return Page(items=[JobOut.model_validate(j) for j in jobs], total=total, limit=page.limit, offset=page.offset)


@router.post("/orgs/{org_id}/jobs", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def start_job(body: JobIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    if not get_job_type(body.type).generic_api:
        raise InvalidInput(f"Jobs of type {body.type} are started through their own endpoint, which checks "
                           "the caller's role and the data first")
    job = create_job(session, org.organisation_id, body.type, body.params, created_by_id=org.user_id,
                     max_attempts=services.settings.job_max_attempts)
    session.commit()  # the job must exist before a worker looks for it
    services.runner.dispatch(job.id, job.queue)
    return JobOut.model_validate(job)


@router.get("/orgs/{org_id}/jobs/{job_id}", response_model=JobOut)
def get_job(job_id: uuid.UUID, org: OrgRead, session: SessionDep) -> JobOut:
    return JobOut.model_validate(get_owned(session, Job, org, job_id, "Job"))


@router.post("/orgs/{org_id}/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(job_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    job = request_cancel(session, get_owned(session, Job, org, job_id, "Job"))
    session.commit()
    publish_job(services.job_env, job)
    return JobOut.model_validate(job)
