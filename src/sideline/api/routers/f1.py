"""Formula 1 live timing: public sessions (read by everyone), imports and replays (started by
an organisation's owners and coaches as jobs).

Reads are under ``/f1/sessions`` for any authenticated caller: the session list, detail,
the live snapshot (``seq`` = the channel seq to subscribe ``public:f1:<id>`` with ``since``),
laps, stints, pit stops, classification and race control. Writes are organisation routes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sideline.api.deps import OrgContext, OrgWrite, PrincipalDep, ServicesDep, SessionDep
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.errors import Forbidden
from sideline.jobs import f1 as f1_jobs
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job, request_cancel
from sideline.live import f1_sessions
from sideline.storage import f1 as f1_store
from sideline.storage.models import Dataset, Role

router = APIRouter(tags=["motorsport"], responses=ERROR_RESPONSES)

REPLAY_ROLES = (Role.owner, Role.coach)


class ReplayOut(BaseModel):
    state: str  # none, queued, running, paused, finished, stopped
    job_id: uuid.UUID | None = None
    organisation_id: uuid.UUID | None = None
    speed: float | None = None
    paused: bool = False
    started_at: str | None = None
    finished_at: str | None = None


class DriverOut(BaseModel):
    number: str
    tla: str | None
    name: str | None
    team: str | None
    team_colour: str | None


class SessionSummary(BaseModel):
    id: uuid.UUID
    name: str
    year: int | None
    round: int | None
    session_type: str | None
    meeting: str | None
    circuit: str | None
    starts_at: dt.datetime | None
    channel: str
    replay: ReplayOut
    has_results: bool


class SessionDetail(SessionSummary):
    drivers: list[DriverOut]
    streams: list[str]
    lines: int
    lap: int | None
    total_laps: int | None
    fastest_lap: dict[str, Any] | None
    counters: dict[str, int]


def _replay(meta: dict[str, Any]) -> ReplayOut:
    replay = f1_store.replay_state(meta)
    return ReplayOut(**{k: v for k, v in replay.items() if k in ReplayOut.model_fields})


def _summary(d: Dataset) -> dict[str, Any]:
    return {**f1_store.session_summary(d), "replay": _replay(d.meta or {})}


def _can_replay(org: OrgContext) -> None:
    if org.role is not None and org.role not in REPLAY_ROLES:
        raise Forbidden(f"Your role ({org.role.value}) cannot import or replay F1 sessions; owners and coaches can")


# -- public reads ---------------------------------------------------------------------------

@router.get("/f1/sessions", response_model=Page[SessionSummary])
def list_sessions(principal: PrincipalDep, session: SessionDep, page: PageDep) -> Page[SessionSummary]:
    rows, total = f1_store.list_sessions(session, page.limit, page.offset)
    return Page(items=[SessionSummary(**_summary(d)) for d in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/f1/sessions/{session_id}", response_model=SessionDetail)
def session_detail(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> SessionDetail:
    d = f1_store.get_session(session, session_id)
    return SessionDetail(**{**f1_store.session_detail(d), "replay": _replay(d.meta or {})})


@router.get("/f1/sessions/{session_id}/snapshot")
def session_snapshot(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                     services: ServicesDep) -> dict[str, Any]:
    """The whole live state and its ``seq``: subscribe to ``channel`` with ``since=seq`` for what follows."""
    d = f1_store.get_session(session, session_id)
    runner = f1_sessions.running(str(d.id))
    if runner is not None:  # played by this process: exact
        snapshot = runner.snapshot()
    else:
        snapshot = f1_store.load_snapshot(session, services.blobs, d)
        if snapshot is None:
            from sideline.analytics.motorsport import SessionState

            snapshot = {**SessionState().snapshot(), "seq": services.pubsub.latest_seq(f1_store.session_channel(d.id))}
        snapshot["replay"] = {**(snapshot.get("replay") or {}), "state": _replay(d.meta or {}).state}
    return {**snapshot, "session_id": str(d.id), "channel": f1_store.session_channel(d.id)}


@router.get("/f1/sessions/{session_id}/laps")
def session_laps(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                 driver: str | None = Query(None, max_length=20, description="racing number, e.g. 44")) -> dict[str, Any]:
    d = f1_store.get_session(session, session_id)
    return {"items": f1_store.load_laps(session, d, driver)}


@router.get("/f1/sessions/{session_id}/stints")
def session_stints(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                   driver: str | None = Query(None, max_length=20)) -> dict[str, Any]:
    return {"items": f1_store.load_stints(f1_store.get_session(session, session_id), driver)}


@router.get("/f1/sessions/{session_id}/pit-stops")
def session_pit_stops(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, services: ServicesDep,
                      driver: str | None = Query(None, max_length=20)) -> dict[str, Any]:
    d = f1_store.get_session(session, session_id)
    return {"items": f1_store.load_pit_stops(session, services.blobs, d, driver)}


@router.get("/f1/sessions/{session_id}/classification")
def session_classification(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    d = f1_store.get_session(session, session_id)
    return {"items": f1_store.session_results(d, "classification"), "penalties": f1_store.session_results(d, "penalties")}


@router.get("/f1/sessions/{session_id}/race-control")
def session_race_control(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                         services: ServicesDep) -> dict[str, Any]:
    d = f1_store.get_session(session, session_id)
    return {"items": f1_store.load_table(session, services.blobs, d, f1_store.RACE_CONTROL)}


# -- organisation writes ----------------------------------------------------------------------

class ImportIn(BaseModel):
    files: list[uuid.UUID] = Field(description="uploaded file ids of the session's <Stream>.jsonStream files")
    name: str | None = Field(None, max_length=300)
    round: int | None = None


class ReplayIn(BaseModel):
    speed: float | None = Field(1.0, description="1 to 100 (times real time), or null: as fast as possible")


class LiveIn(BaseModel):
    source: str = Field("live_signalr", description="live_signalr (F1's own live-timing feed) or openf1")
    name: str | None = Field(None, max_length=300)
    round: int | None = None
    session_key: int | str | None = Field(None, description="openf1 only: a session key or \"latest\" (default)")


class ReplayPatch(BaseModel):
    speed: float | None = Field(None, description="1 to 100; omit to keep")
    paused: bool | None = None


def _dispatch(session: Session, services, job) -> JobOut:
    session.commit()  # the job must exist before a worker looks for it
    services.runner.dispatch(job.id, job.queue)
    return JobOut.model_validate(job)


@router.post("/orgs/{org_id}/f1/sessions/import", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def import_session(body: ImportIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    _can_replay(org)
    params: dict[str, Any] = {"files": [str(f) for f in body.files]}
    if body.name is not None:
        params["name"] = body.name
    if body.round is not None:
        params["round"] = body.round
    f1_jobs.validate_import(params)
    f1_jobs.check_files(session, org.organisation_id, params)
    job = create_job(session, org.organisation_id, f1_jobs.IMPORT_JOB, params, created_by_id=org.user_id)
    return _dispatch(session, services, job)


@router.post("/orgs/{org_id}/f1/sessions/{session_id}/replay", response_model=JobOut,
             status_code=status.HTTP_202_ACCEPTED)
def start_replay(session_id: uuid.UUID, body: ReplayIn, org: OrgWrite, session: SessionDep,
                 services: ServicesDep) -> JobOut:
    _can_replay(org)
    job = f1_jobs.start_replay(session, org.organisation_id, session_id, f1_jobs.check_speed(body.speed), org.user_id)
    return _dispatch(session, services, job)


@router.post("/orgs/{org_id}/f1/sessions/live", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def start_live(org: OrgWrite, session: SessionDep, services: ServicesDep, body: LiveIn | None = None) -> JobOut:
    """Follow a session live: a new public session fed by an ``f1.live`` job (its id is the job's
    ``params.session_id``); stop it like a replay."""
    _can_replay(org)
    job = f1_jobs.start_live(session, services.blobs, org.organisation_id, (body or LiveIn()).model_dump(),
                             org.user_id)
    return _dispatch(session, services, job)


@router.patch("/orgs/{org_id}/f1/sessions/{session_id}/replay", response_model=ReplayOut)
def change_replay(session_id: uuid.UUID, body: ReplayPatch, org: OrgWrite, session: SessionDep) -> ReplayOut:
    _can_replay(org)
    job = f1_jobs.controlled_replay(session, org.organisation_id, session_id)
    fields = body.model_dump(exclude_unset=True)
    replay = f1_jobs.change_replay(session, job, speed=fields["speed"] if "speed" in fields else ...,
                                   paused=fields.get("paused"))
    return _replay({"replay": replay})


@router.delete("/orgs/{org_id}/f1/sessions/{session_id}/replay", response_model=JobOut,
               status_code=status.HTTP_202_ACCEPTED)
def stop_replay(session_id: uuid.UUID, org: OrgWrite, session: SessionDep) -> JobOut:
    _can_replay(org)
    job = f1_jobs.controlled_replay(session, org.organisation_id, session_id)
    request_cancel(session, job)
    return JobOut.model_validate(job)
