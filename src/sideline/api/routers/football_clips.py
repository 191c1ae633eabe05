"""Football clips (named time ranges of a match, rendered to MP4 on request) and the
organisation's football metric definitions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from sideline.api.deps import OrgAdmin, OrgRead, OrgWrite, ServicesDep, SessionDep
from sideline.api.routers.football import _match
from sideline.api.schemas import ERROR_RESPONSES
from sideline.errors import InvalidInput, NotFound
from sideline.jobs import football as football_jobs
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job
from sideline.storage import matches
from sideline.storage.models import Clip, Dataset, Organisation

router = APIRouter(tags=["football"], responses=ERROR_RESPONSES)

MAX_CLIP_S = 600.0


class ClipIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    start_s: float = Field(ge=0, le=100_000)
    end_s: float = Field(ge=0, le=100_000)
    kind: str = Field("manual", min_length=1, max_length=40, pattern=r"^[a-z_]+$")


class ClipVideo(BaseModel):
    status: str
    file_id: uuid.UUID | None
    job_id: uuid.UUID | None
    error: str | None = None


class ClipOut(BaseModel):
    id: uuid.UUID
    match_id: uuid.UUID
    name: str
    kind: str
    start_s: float
    end_s: float
    created_at: dt.datetime
    video: ClipVideo


def _clip_out(session, clip: Clip) -> ClipOut:
    return ClipOut(id=clip.id, match_id=clip.dataset_id, name=clip.name, kind=clip.kind, start_s=clip.start_s,
                   end_s=clip.end_s, created_at=clip.created_at,
                   video=ClipVideo(**football_jobs.clip_render_state(session, clip)))


def _clip(session, dataset: Dataset, clip_id: uuid.UUID) -> Clip:
    clip = session.get(Clip, clip_id)
    if clip is None or clip.dataset_id != dataset.id or clip.organisation_id != dataset.organisation_id:
        raise NotFound("Clip not found")
    return clip


def _check_range(dataset: Dataset, start_s: float, end_s: float) -> None:
    if end_s <= start_s:
        raise InvalidInput("end_s must be after start_s")
    if end_s - start_s > MAX_CLIP_S:
        raise InvalidInput(f"A clip is at most {MAX_CLIP_S / 60:.0f} minutes long")
    duration = float((dataset.meta.get("summary") or {}).get("duration_s") or 0.0)
    if start_s > duration:
        raise InvalidInput(f"The clip starts after the end of the match ({duration:.0f} s)")


@router.get("/orgs/{org_id}/matches/{match_id}/clips", response_model=list[ClipOut])
def list_clips(match_id: uuid.UUID, org: OrgRead, session: SessionDep) -> list[ClipOut]:
    dataset = _match(session, org, match_id)
    clips = session.scalars(select(Clip).where(Clip.dataset_id == dataset.id).order_by(Clip.start_s, Clip.id))
    return [_clip_out(session, c) for c in clips]


@router.post("/orgs/{org_id}/matches/{match_id}/clips", response_model=ClipOut, status_code=status.HTTP_201_CREATED)
def create_clip(match_id: uuid.UUID, body: ClipIn, org: OrgWrite, session: SessionDep) -> ClipOut:
    dataset = _match(session, org, match_id)
    _check_range(dataset, body.start_s, body.end_s)
    clip = Clip(organisation_id=org.organisation_id, dataset_id=dataset.id, name=body.name.strip(), kind=body.kind,
                start_s=body.start_s, end_s=body.end_s, created_by_id=org.user_id)
    session.add(clip)
    session.commit()
    return _clip_out(session, clip)


@router.delete("/orgs/{org_id}/matches/{match_id}/clips/{clip_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_clip(match_id: uuid.UUID, clip_id: uuid.UUID, org: OrgWrite, session: SessionDep) -> Response:
    clip = _clip(session, _match(session, org, match_id), clip_id)
    session.delete(clip)
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/orgs/{org_id}/matches/{match_id}/clips/{clip_id}/render", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED)
def render_clip(match_id: uuid.UUID, clip_id: uuid.UUID, org: OrgWrite, session: SessionDep,
                services: ServicesDep) -> JobOut:
    dataset = _match(session, org, match_id)
    if not (dataset.meta.get("summary") or {}).get("has_tracking"):
        raise InvalidInput("Only matches with tracking data can be rendered")
    clip = _clip(session, dataset, clip_id)
    job = create_job(session, org.organisation_id, football_jobs.CLIP_JOB, {"clip_id": str(clip.id)},
                     created_by_id=org.user_id, max_attempts=services.settings.job_max_attempts)
    clip.render_job_id = job.id
    clip.video_file_id = None
    session.commit()
    services.runner.dispatch(job.id, job.queue)
    return JobOut.model_validate(job)


# -- metric definitions ------------------------------------------------------------------

class FootballSettings(BaseModel):
    physical: dict[str, Any] = Field(description="Physical metric definitions (speed zones in km/h, thresholds)")


class FootballSettingsOut(FootballSettings):
    recompute_jobs: int = 0


@router.get("/orgs/{org_id}/football/settings", response_model=FootballSettings)
def get_settings(org: OrgRead, session: SessionDep) -> FootballSettings:
    return FootballSettings(physical=football_jobs.physical_config(session, org.organisation_id).to_dict())


@router.put("/orgs/{org_id}/football/settings", response_model=FootballSettingsOut)
def put_settings(body: FootballSettings, org: OrgAdmin, session: SessionDep, services: ServicesDep) -> FootballSettingsOut:
    """Change the definitions; every match of the organisation is recomputed by a job."""
    from sideline.analytics.football.physical import PhysicalConfig

    # version and definition_hash describe a stored config; an edited one gets new ones.
    fields = {k: v for k, v in body.physical.items() if k not in ("version", "definition_hash")}
    config = PhysicalConfig.from_dict(fields)  # InvalidInput (400) naming every bad setting
    organisation = session.get(Organisation, org.organisation_id)
    old = football_jobs.physical_config(session, org.organisation_id)
    organisation.settings = {**(organisation.settings or {}),
                             "football": {**((organisation.settings or {}).get("football") or {}),
                                          "physical": config.to_dict()}}
    jobs = []
    if config.to_dict() != old.to_dict():
        ids = session.scalars(select(Dataset.id).where(Dataset.organisation_id == org.organisation_id,
                                                       Dataset.kind == matches.KIND))
        jobs = [create_job(session, org.organisation_id, football_jobs.METRICS_JOB, {"match_id": str(i)},
                           created_by_id=org.user_id, max_attempts=services.settings.job_max_attempts) for i in ids]
    session.commit()
    for job in jobs:
        services.runner.dispatch(job.id, job.queue)
    return FootballSettingsOut(physical=config.to_dict(), recompute_jobs=len(jobs))
