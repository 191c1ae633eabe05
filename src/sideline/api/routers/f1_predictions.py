"""F1 predictions: the versioned pre-race models with their evaluation reports, training a new
one (owners and coaches, as a job), and a session's win-probability timeline per lap."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from sideline.api.deps import OrgWrite, PrincipalDep, ServicesDep, SessionDep
from sideline.api.schemas import ERROR_RESPONSES
from sideline.errors import Forbidden, InvalidInput
from sideline.jobs import f1_models
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job
from sideline.storage import f1 as f1_store
from sideline.storage.models import Role

router = APIRouter(tags=["motorsport"], responses=ERROR_RESPONSES)

TRAIN_ROLES = (Role.owner, Role.coach)
_timelines: dict[tuple[str, str, str], dict[str, Any]] = {}
_timelines_lock = threading.Lock()
MAX_CACHED = 32


class ModelSummary(BaseModel):
    version: str
    created_at: str | None
    train_seasons: list[int] | None
    test_seasons: list[int] | None
    win: dict[str, dict[str, float]] | None


class TrainIn(BaseModel):
    train_seasons: list[int] = Field(default_factory=lambda: list(f1_models.DEFAULT_TRAIN_SEASONS))
    test_seasons: list[int] = Field(default_factory=lambda: list(f1_models.DEFAULT_TEST_SEASONS))
    rounds: int = 300


class LapProbabilities(BaseModel):
    lap: int
    probabilities: dict[str, float]  # car number -> win probability (running cars; sums to 1)


class WinProbabilityOut(BaseModel):
    session_id: uuid.UUID
    prior: str  # the model version seeding lap 0, or "grid"
    total_laps: int | None
    drivers: list[dict[str, Any]]
    laps: list[LapProbabilities]


@router.get("/f1/models", response_model=list[ModelSummary])
def list_models(principal: PrincipalDep, services: ServicesDep) -> list[dict[str, Any]]:
    return f1_models.list_models(services.blobs)


@router.get("/f1/models/{version}")
def model_report(version: str, principal: PrincipalDep, services: ServicesDep) -> dict[str, Any]:
    """The evaluation report stored beside the model (scores against the baselines, features, split)."""
    return f1_models.load_report(services.blobs, version)


@router.post("/orgs/{org_id}/f1/models", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def train_model(body: TrainIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    if org.role is not None and org.role not in TRAIN_ROLES:
        raise Forbidden(f"Your role ({org.role.value}) cannot train F1 models; owners and coaches can")
    params = body.model_dump()
    job = create_job(session, org.organisation_id, f1_models.TRAIN_JOB, params, created_by_id=org.user_id)
    session.commit()  # the job must exist before a worker looks for it
    services.runner.dispatch(job.id, job.queue)
    return JobOut.model_validate(job)


@router.get("/f1/sessions/{session_id}/win-probability", response_model=WinProbabilityOut)
def session_win_probability(session_id: uuid.UUID, principal: PrincipalDep, session: SessionDep,
                            services: ServicesDep) -> dict[str, Any]:
    """Win probability per driver after every lap (lap 0: the pre-race prior), from the stored feed."""
    return win_probability(session, services, f1_store.get_session(session, session_id))


def win_probability(session, services, dataset) -> dict[str, Any]:
    """A session's win-probability timeline (the REST and GraphQL answer), cached in the process
    per session, feed and model version."""
    from sideline.analytics.motorsport.prediction.in_race import win_probability_timeline

    meta = dataset.meta or {}
    latest = f1_models.list_models(services.blobs)
    key = (str(dataset.id), str((meta.get("source") or {}).get("fingerprint")),
           latest[0]["version"] if latest else "grid")
    with _timelines_lock:
        if key in _timelines:
            return _timelines[key]
    feed = f1_store.load_feed(session, services.blobs, dataset)
    laps, snapshot = f1_models.replay_laps(feed)
    total = snapshot["session"].get("total_laps") or (int(laps["lap"].max()) if laps.height else None)
    if not total:
        raise InvalidInput(f"F1 session {dataset.id}: the feed has no laps to predict from")
    prior, source = f1_models.session_prior(snapshot, meta.get("year"), meta.get("round"), services.blobs)
    timeline = win_probability_timeline(laps, int(total), prior)
    by_lap: dict[int, dict[str, float]] = {}
    for lap, driver, p in timeline.select("lap", "driver", "probability").iter_rows():
        by_lap.setdefault(lap, {})[driver] = round(p, 4)
    drivers = [{k: d.get(k) for k in ("number", "tla", "name", "team", "team_colour")}
               for d in (snapshot.get("drivers") or {}).values()]
    out = {"session_id": dataset.id, "prior": source, "total_laps": total, "drivers": drivers,
           "laps": [{"lap": lap, "probabilities": probs} for lap, probs in sorted(by_lap.items())]}
    with _timelines_lock:
        if len(_timelines) >= MAX_CACHED:
            _timelines.pop(next(iter(_timelines)))
        _timelines[key] = out
    return out
