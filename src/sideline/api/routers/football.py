"""Football matches: import, list, frames for the 2D player, events, metrics, players, tactics.

Everything a dashboard shows is read from what the import job stored (no recomputation on
read), except per-frame views that are cheap for one moment (pitch control, heat maps).
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
import uuid
from typing import Any, Literal

import numpy as np
import polars as pl
from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from sideline.api.deps import OrgContext, OrgRead, OrgWrite, ServicesDep, SessionDep, scoped
from sideline.api.football_wire import encode_frames
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.api.tables import table_download
from sideline.errors import InvalidInput, NotFound
from sideline.jobs import football as football_jobs
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job
from sideline.privacy import delete_dataset
from sideline.storage import matches
from sideline.storage.frames import read_frames
from sideline.storage.models import Dataset

router = APIRouter(tags=["football"], responses=ERROR_RESPONSES)

MAX_FRAMES_WINDOW_S = 60.0


# -- schemas --------------------------------------------------------------------------

class ProviderRoleOut(BaseModel):
    role: str
    required: bool
    multiple: bool
    description: str


class ProviderOut(BaseModel):
    name: str
    kind: str
    description: str
    roles: list[ProviderRoleOut]


class TeamOut(BaseModel):
    name: str
    colour: str | None
    score: int | None


class MatchSummary(BaseModel):
    id: uuid.UUID
    name: str
    provider: str
    status: Literal["ready"] = "ready"  # imports store a match only when complete
    home: TeamOut
    away: TeamOut
    date: dt.datetime | None
    competition: str | None
    has_tracking: bool
    has_events: bool
    frame_rate: float | None
    n_frames: int
    duration_s: float
    coverage: float | None
    created_at: dt.datetime


class PeriodOut(BaseModel):
    period_id: int
    start_s: float
    end_s: float


class PlayerOut(BaseModel):
    index: int
    player_id: str
    side: str
    name: str | None
    jersey_no: int | None
    position: str | None
    starting: bool | None
    minutes_played: float | None = None
    observed_minutes: float | None = None
    coverage: float | None = None


class PitchOut(BaseModel):
    length: float
    width: float


class MatchDetail(MatchSummary):
    periods: list[PeriodOut]
    players: list[PlayerOut]
    warnings: list[str]
    pitch: PitchOut
    metrics: dict[str, Any] = Field(default_factory=dict, description="Definitions the stored metrics use")


class ImportIn(BaseModel):
    provider: str = Field(min_length=1, max_length=40)
    files: dict[str, uuid.UUID | list[uuid.UUID]] = Field(description="File role -> uploaded file id(s)")
    name: str | None = Field(None, min_length=1, max_length=300)
    match_id: uuid.UUID | None = Field(None, description="Add these events to this existing tracking match")


class RowsOut(BaseModel):
    rows: list[dict[str, Any]]
    config: dict[str, Any] = Field(default_factory=dict)


class ItemsOut(BaseModel):
    items: list[dict[str, Any]]


class GridOut(BaseModel):
    nx: int
    ny: int
    extent: list[float] = Field(description="x0, x1, y0, y1 in pitch metres")
    values: list[float | None] = Field(description="row-major, row 0 at y0")


class PitchControlOut(GridOut):
    t: float
    t1: float | None = Field(None, description="End of the phase when the values are a mean over [t, t1]")
    home_share: float | None = Field(None, description="Mean share of the pitch home controlled over the phase")


class SpeedSeries(BaseModel):
    t: list[float]
    v: list[float | None]


class PlayerDetail(BaseModel):
    player: PlayerOut
    events: dict[str, Any] | None = Field(None, description="Passes, shots and xT from the match's events")
    by_period: list[dict[str, Any]]
    by_window: list[dict[str, Any]]
    speed: SpeedSeries
    heatmap: GridOut
    sprints: list[dict[str, Any]]


# -- helpers --------------------------------------------------------------------------

def _match(session, org: OrgContext, match_id: uuid.UUID) -> Dataset:
    query = scoped(select(Dataset).where(Dataset.id == match_id, Dataset.organisation_id == org.organisation_id,
                                         Dataset.kind == matches.KIND), Dataset, org)
    dataset = session.scalar(query)
    if dataset is None:
        raise NotFound("Match not found")
    return dataset


def _summary(dataset: Dataset) -> dict[str, Any]:
    meta = dataset.meta["match"]
    summary = dataset.meta.get("summary") or {}
    score = meta.get("score") or [None, None]
    return dict(
        id=dataset.id, name=dataset.name, provider=meta["provider"],
        home=TeamOut(name=meta["home"]["name"], colour=meta["home"].get("colour"), score=score[0]),
        away=TeamOut(name=meta["away"]["name"], colour=meta["away"].get("colour"), score=score[1]),
        date=meta.get("date"), competition=meta.get("competition"), has_tracking=summary.get("has_tracking", False),
        has_events=summary.get("has_events", False), frame_rate=meta.get("frame_rate"),
        n_frames=summary.get("n_frames", 0), duration_s=summary.get("duration_s", 0.0),
        coverage=summary.get("coverage"), created_at=dataset.created_at)


def _players(dataset: Dataset) -> list[PlayerOut]:
    stats = dataset.meta.get("player_summary") or {}
    return [PlayerOut(index=i, **p, **(stats.get(p["player_id"]) or {}))
            for i, p in enumerate(dataset.meta["match"]["players"])]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    frame = frame.drop("t") if "t" in frame.columns else frame
    return [{k: _clean(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _stream(session, services, dataset: Dataset, stream: str, **kw) -> pl.DataFrame:
    return read_frames(session, services.blobs, dataset.id, stream, **kw)


def _download(frame: pl.DataFrame, fmt: str, filename: str) -> Response:
    return table_download(frame.drop("t") if "t" in frame.columns else frame, fmt, filename)


# -- routes ---------------------------------------------------------------------------

@router.get("/football/providers", response_model=list[ProviderOut])
def list_providers() -> list[ProviderOut]:
    from sideline.ingest.football import PROVIDERS

    return [ProviderOut(name=name, kind=spec.kind, description=spec.description,
                        roles=[ProviderRoleOut(role=role, required=role in spec.required, multiple=role in spec.multi,
                                               description={**spec.required, **spec.optional}[role])
                               for role in spec.roles])
            for name, spec in sorted(PROVIDERS.items())]


@router.get("/orgs/{org_id}/matches", response_model=Page[MatchSummary])
def list_matches(org: OrgRead, session: SessionDep, page: PageDep) -> Page[MatchSummary]:
    query = scoped(select(Dataset).where(Dataset.organisation_id == org.organisation_id,
                                         Dataset.kind == matches.KIND), Dataset, org)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Dataset.created_at.desc(), Dataset.id).limit(page.limit).offset(page.offset))
    return Page(items=[MatchSummary(**_summary(d)) for d in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/orgs/{org_id}/matches/import", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def import_match(body: ImportIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    params = body.model_dump(mode="json", exclude_none=True)
    football_jobs.validate_import(params)
    football_jobs.check_files_owned(session, org.organisation_id, params)
    if body.match_id is not None:
        _match(session, org, body.match_id)  # 404 unless it is a match of this organisation
    job = create_job(session, org.organisation_id, football_jobs.IMPORT_JOB, params, created_by_id=org.user_id,
                     max_attempts=services.settings.job_max_attempts)
    session.commit()
    services.runner.dispatch(job.id, job.queue)
    return JobOut.model_validate(job)


@router.get("/orgs/{org_id}/matches/{match_id}", response_model=MatchDetail)
def get_match(match_id: uuid.UUID, org: OrgRead, session: SessionDep) -> MatchDetail:
    dataset = _match(session, org, match_id)
    meta = matches.match_meta(dataset)
    return MatchDetail(
        **_summary(dataset),
        periods=[PeriodOut(period_id=p.period_id, start_s=p.start_t + p.timeline_offset,
                           end_s=p.end_t + p.timeline_offset) for p in meta.periods],
        players=_players(dataset), warnings=list(meta.warnings),
        pitch=PitchOut(length=meta.pitch_length, width=meta.pitch_width), metrics=dataset.meta.get("metrics") or {})


@router.delete("/orgs/{org_id}/matches/{match_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_match(match_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> Response:
    dataset = _match(session, org, match_id)
    erasure = delete_dataset(session, services.blobs, dataset)
    session.commit()
    erasure.finish(services.blobs)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/orgs/{org_id}/matches/{match_id}/frames", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "SLF1 binary frames (docs/football.md)"}})
def get_frames(match_id: uuid.UUID, request: Request, org: OrgRead, session: SessionDep, services: ServicesDep,
               t0: float = Query(..., description="Timeline seconds, inclusive"),
               t1: float = Query(..., description=f"Timeline seconds, exclusive; at most {MAX_FRAMES_WINDOW_S:.0f} s after t0")) -> Response:
    if not (math.isfinite(t0) and math.isfinite(t1)) or t1 <= t0:
        raise InvalidInput("t0 and t1 must be finite with t1 > t0")
    if t1 - t0 > MAX_FRAMES_WINDOW_S + 1e-6:  # t0 + 60 - t0 may exceed 60 by a rounding error
        raise InvalidInput(f"Ask for at most {MAX_FRAMES_WINDOW_S:.0f} s of frames per request")
    dataset = _match(session, org, match_id)
    tracking = matches.load_tracking(session, services.blobs, dataset, t0, t1)
    if tracking is None:
        raise NotFound("This match has no tracking data")
    body = encode_frames(tracking)
    headers = {"Cache-Control": "private, max-age=3600", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        # Mostly NaN for broadcast tracking: level 1 shrinks a chunk severalfold in about a millisecond.
        body = gzip.compress(body, compresslevel=1)
        headers["Content-Encoding"] = "gzip"
    return Response(body, media_type="application/octet-stream", headers=headers)


@router.get("/orgs/{org_id}/matches/{match_id}/events", response_model=ItemsOut)
def get_events(match_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
               type: str | None = Query(None, max_length=40)) -> ItemsOut:
    dataset = _match(session, org, match_id)
    if not (dataset.meta.get("summary") or {}).get("has_events"):
        return ItemsOut(items=[])
    frame = _stream(session, services, dataset, matches.EVENTS).rename({"t": "timeline", "period_t": "t"})
    if type:
        frame = frame.filter(pl.col("type") == type)
    return ItemsOut(items=[{k: _clean(v) for k, v in row.items()} for row in frame.iter_rows(named=True)])


@router.get("/orgs/{org_id}/matches/{match_id}/physical", response_model=RowsOut,
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}}})
def get_physical(match_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
                 by: Literal["match", "period", "window"] = "match",
                 format: Literal["json", "csv", "parquet"] = "json"):
    dataset = _match(session, org, match_id)
    frame = _stream(session, services, dataset, matches.PHYSICAL[by])
    if format != "json":
        return _download(frame, format, f"physical-{by}-{dataset.id}")
    return RowsOut(rows=_rows(frame), config=(dataset.meta.get("metrics") or {}).get("physical_config") or {})


@router.get("/orgs/{org_id}/matches/{match_id}/team-stats", response_model=dict[str, dict[str, Any]])
def get_team_stats(match_id: uuid.UUID, org: OrgRead, session: SessionDep) -> dict[str, dict[str, Any]]:
    dataset = _match(session, org, match_id)
    return dataset.meta.get("team_stats") or {"home": {}, "away": {}}


@router.get("/orgs/{org_id}/matches/{match_id}/moments", response_model=ItemsOut)
def get_moments(match_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep) -> ItemsOut:
    dataset = _match(session, org, match_id)
    return ItemsOut(items=_rows(_stream(session, services, dataset, matches.MOMENTS)))


def _speed_series(frame: pl.DataFrame, column: str, hz: float = 1.0) -> SpeedSeries:
    if frame.height == 0 or column not in frame.columns:
        return SpeedSeries(t=[], v=[])
    binned = (frame.select(pl.col("t"), pl.col(column).fill_nan(None).alias("v"))
              .with_columns((pl.col("t") * hz).floor().alias("bin"))
              .group_by("bin", maintain_order=True).agg(pl.col("v").mean()).sort("bin"))
    return SpeedSeries(t=(binned["bin"] / hz).to_list(), v=[_clean(v) for v in binned["v"].to_list()])


@router.get("/orgs/{org_id}/matches/{match_id}/players/{player_id}", response_model=PlayerDetail)
def get_player(match_id: uuid.UUID, player_id: str, org: OrgRead, session: SessionDep,
               services: ServicesDep) -> PlayerDetail:
    from sideline.analytics.football.report import player_event_stats, player_heatmap

    dataset = _match(session, org, match_id)
    players = _players(dataset)
    player = next((p for p in players if p.player_id == player_id), None)
    if player is None:
        raise NotFound("No such player in this match")

    def of_player(stream: str) -> list[dict[str, Any]]:
        frame = _stream(session, services, dataset, stream)
        return _rows(frame.filter(pl.col("player_id") == player_id)) if frame.height else []

    speed = _speed_series(_stream(session, services, dataset, matches.SPEED, columns=[f"s_{player.index}"]),
                          f"s_{player.index}")
    if (dataset.meta.get("summary") or {}).get("has_tracking"):
        grid = player_heatmap(matches.load_player_tracking(session, services.blobs, dataset, player.index))
        heatmap = GridOut(nx=grid.nx, ny=grid.ny, extent=list(grid.extent),
                          values=[_clean(float(v)) for v in grid.values.ravel()])
    else:
        heatmap = GridOut(nx=0, ny=0, extent=[0, 0, 0, 0], values=[])
    events = matches.load_events(session, services.blobs, dataset)
    event_stats = player_event_stats(events, player_id) if events is not None else None
    return PlayerDetail(player=player, events=event_stats, by_period=of_player(matches.PHYSICAL["period"]),
                        by_window=of_player(matches.PHYSICAL["window"]), speed=speed, heatmap=heatmap,
                        sprints=of_player(matches.SPRINTS))


@router.get("/orgs/{org_id}/matches/{match_id}/pitch-control", response_model=PitchControlOut)
def get_pitch_control(match_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
                      t: float = Query(..., description="Timeline seconds"),
                      t1: float | None = Query(None, description="End of a phase (at most 10 minutes after t): "
                                                                  "the mean control over [t, t1]"),
                      resolution: float = Query(1.0, ge=0.5, le=5.0, description="Grid cell size in metres")) -> PitchControlOut:
    from sideline.analytics.football.report import pitch_control_at, pitch_control_over

    if not math.isfinite(t) or (t1 is not None and not math.isfinite(t1)):
        raise InvalidInput("t and t1 must be finite numbers of seconds")
    dataset = _match(session, org, match_id)
    if t1 is not None:
        if not 0 < t1 - t <= 600:
            raise InvalidInput("A phase is 0 to 600 s long (t1 after t)")
        tracking = matches.load_tracking(session, services.blobs, dataset, t - 1.0, t1 + 1.0)
        if tracking is None or tracking.n_frames == 0:
            raise NotFound("No tracking data in this time range")
        grid, share = pitch_control_over(tracking, t, t1, resolution=max(resolution, 2.0))
        return PitchControlOut(t=t, t1=t1, home_share=share, nx=grid.nx, ny=grid.ny, extent=list(grid.extent),
                               values=[_clean(float(v)) for v in grid.values.ravel()])
    # A second either side gives the velocities at t.
    tracking = matches.load_tracking(session, services.blobs, dataset, t - 1.0, t + 1.0)
    if tracking is None or tracking.n_frames == 0:
        raise NotFound("No tracking data at this time")
    grid = pitch_control_at(tracking, t, resolution=resolution)
    return PitchControlOut(t=grid.t, nx=grid.nx, ny=grid.ny, extent=list(grid.extent),
                           values=[_clean(float(v)) for v in grid.values.ravel()])


@router.get("/orgs/{org_id}/matches/{match_id}/heatmap", response_model=GridOut)
def get_team_heatmap(match_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
                     side: Literal["home", "away"] = "home") -> GridOut:
    """A team's heat map: player-seconds per cell over the whole match."""
    from sideline.analytics.football.report import team_heatmap_grid

    dataset = _match(session, org, match_id)
    tracking = matches.load_tracking(session, services.blobs, dataset)
    if tracking is None:
        raise NotFound("This match has no tracking data")
    grid = team_heatmap_grid(tracking, side)
    return GridOut(nx=grid.nx, ny=grid.ny, extent=list(grid.extent), values=[_clean(float(v)) for v in grid.values.ravel()])


@router.get("/orgs/{org_id}/matches/{match_id}/pass-network", response_model=dict[str, Any])
def get_pass_network(match_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
                     side: Literal["home", "away"] = "home", min_passes: int = Query(3, ge=1, le=100)) -> dict[str, Any]:
    from sideline.analytics.football.report import pass_network_json

    dataset = _match(session, org, match_id)
    events = matches.load_events(session, services.blobs, dataset)
    if events is None:
        raise NotFound("This match has no event data")
    return pass_network_json(events, side, min_passes=min_passes)
