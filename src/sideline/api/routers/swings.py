"""Swings: analyse an uploaded clip (a job: a golf swing, or the strokes of a tennis clip), list and
read swings, compare two golf swings, nearest golf swings, an athlete's progress over time. The annotated MP4 is a file: download it with
``GET /orgs/{org_id}/files/{video_file_id}/content``. Cue texts come in the caller's display units
(``/me/preferences/display``, or the ``units`` query parameter); the other figures are SI."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from sideline.api.deps import OrgContext, OrgRead, OrgWrite, ServicesDep, SessionDep, get_owned, scoped
from sideline.api.routers.preferences import load_display
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.errors import InvalidInput, NotFound
from sideline.jobs import swing as swing_jobs
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job
from sideline.privacy import delete_dataset
from sideline.storage import swings
from sideline.storage.models import Athlete, Dataset, FileStatus, StoredFile

router = APIRouter(tags=["swing"], responses=ERROR_RESPONSES)


class AnalyseIn(BaseModel):
    file_id: uuid.UUID = Field(description="An uploaded video (POST /orgs/{org_id}/files)")
    athlete_id: uuid.UUID | None = None
    sport: str = Field("golf", max_length=20, description="golf (one swing: events, tempo, angles) or tennis "
                       "(a rally or practice clip: every stroke detected and classified)")
    club: str | None = Field(None, max_length=40, description="Club (golf) or racket / session note (tennis)")
    handedness: str = Field("auto", description="auto, right or left")
    playback_speed: float = Field(1.0, description="Real seconds per video second (0.25 for 4x slow motion)")
    model: str = Field("full", description="BlazePose lite, full or heavy")
    athlete: str = Field("auto", description="Tennis: which player to analyse when several are in view: auto (the "
                         "most prominent: the player of a practice clip, the near player of a broadcast), near or far")
    athlete_height_m: float | None = Field(None, description="Tennis: the player's height, to give racket-wrist "
                                           "speeds in m/s as well as torso lengths per second")
    name: str | None = Field(None, min_length=1, max_length=300)


class StrokeOut(BaseModel):
    index: int
    type: str = Field(description="forehand, backhand, serve or volley")
    frame: int
    time_s: float = Field(description="Contact-time estimate, seconds into the video")
    confidence: float
    speed_torso_s: float = Field(description="Peak racket-wrist speed relative to the hips, torso lengths per real second")
    speed_m_s: float | None = Field(description="The same in m/s (needs athlete_height_m)")
    stance: str | None = Field(description="open, neutral or closed (2D proxy; none for serves)")
    stance_angle_deg: float | None
    trunk_rotation_deg: float | None = Field(description="Shoulder-line yaw change from the most coiled backswing "
                                             "frame to contact (2D proxy)")
    coil_frame: int | None
    rotation_method: str = Field(description="depth (image x + rescaled BlazePose depth) or width (projected width)")
    backswing_torso: float
    swing_time_s: float
    contact_side: float = Field(description="Racket wrist towards the racket-hand side at contact, torso lengths")
    contact_height: float = Field(description="Racket wrist above the hips at contact, torso lengths")
    two_handed: bool
    elbow_angle_deg: float | None
    reasons: list[str] = Field(description="The classification rule that decided the type, with its measurement")


class TennisOut(BaseModel):
    counts: dict[str, int]
    strokes: list[StrokeOut]
    right_handed: bool
    handedness_detected: bool
    view: str = Field(description="behind, front or side")
    oblique: bool
    facing: int
    shoulder_width: float
    metres_per_torso: float | None
    depth_scale: float
    min_peak_speed: float
    athlete: str = Field(description="The player analysed: auto, near or far")


class SwingSummary(BaseModel):
    id: uuid.UUID
    name: str
    athlete_id: uuid.UUID | None
    sport: str
    club: str | None
    handedness: str
    view: str
    tempo: dict[str, Any] = Field(description="Golf tempo (empty for tennis)")
    strokes: dict[str, int] | None = Field(None, description="Tennis: strokes counted per type")
    video_file_id: uuid.UUID | None
    created_at: dt.datetime


class SwingDetail(SwingSummary):
    source_file_id: uuid.UUID | None
    playback_speed: float
    junior: bool
    metrics: dict[str, Any]
    cues: list[dict[str, Any]]
    units: Literal["metric", "imperial"] = Field(description="The units the cues are worded in")
    video: dict[str, Any]
    pose: dict[str, Any]
    tennis: TennisOut | None = Field(None, description="Tennis: every stroke with its metrics")


class PoseOut(BaseModel):
    keypoints: list[str]
    frame_size: list[int]
    t: list[float]
    confidence: list[float]
    xy: list[list[list[float | None]]] = Field(description="[frame][keypoint] = [x, y] pixels, null where missing")


class PhaseOut(BaseModel):
    name: str
    athlete_frames: list[int]
    reference_frames: list[int]
    athlete_duration_s: float
    reference_duration_s: float
    similarity: float
    mean_differences: dict[str, float | None]


class ComparisonOut(BaseModel):
    athlete_id: uuid.UUID
    reference_id: uuid.UUID
    similarity: float = Field(description="1 = the same motion; exp(-mean joint offset / 0.3 torso)")
    mean_cost: float = Field(description="Mean joint offset along the alignment, torso lengths")
    angles: list[str]
    phases: list[PhaseOut]
    at_events: list[dict[str, Any]]
    frame_map: list[list[int]] = Field(description="[athlete frame, reference frame] pairs, address to finish")
    cues: list[dict[str, Any]]
    units: Literal["metric", "imperial"] = Field(description="The units the cues are worded in")


class NeighbourOut(BaseModel):
    swing: SwingSummary
    distance: float


class ProgressPoint(BaseModel):
    swing_id: uuid.UUID
    name: str
    created_at: dt.datetime
    club: str | None
    view: str
    tempo_ratio: float | None
    backswing_s: float | None
    downswing_s: float | None
    angles: dict[str, dict[str, float | None]]
    cues: int


def _swing(session, org: OrgContext, swing_id: uuid.UUID) -> Dataset:
    query = scoped(select(Dataset).where(Dataset.id == swing_id, Dataset.organisation_id == org.organisation_id,
                                         Dataset.kind == swings.KIND), Dataset, org)
    dataset = session.scalar(query)
    if dataset is None:
        raise NotFound("Swing not found")
    return dataset


def _summary(d: Dataset) -> dict[str, Any]:
    meta = d.meta
    video = (meta.get("video") or {}).get("file_id")
    tennis = meta.get("sport") == "tennis"
    return dict(id=d.id, name=d.name, athlete_id=d.athlete_id, sport=meta.get("sport", "golf"), club=meta.get("club"),
                handedness=meta["handedness"], view=meta["view"], tempo=meta["metrics"].get("tempo") or {},
                strokes=meta["metrics"].get("counts") if tennis else None, video_file_id=video, created_at=d.created_at)


def _golf_only(d: Dataset, what: str) -> None:
    if d.meta.get("sport", "golf") != "golf":
        raise InvalidInput(f"{what} works on golf swings (phase by phase); {d.name!r} is a {d.meta['sport']} clip")


UnitsQuery = Query(None, description="metric or imperial cue texts; default: the caller's display preference")


def _units(session, org: OrgContext, units: str | None) -> str:
    return units or load_display(session, org.user_id).units


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@router.post("/orgs/{org_id}/swings/analyse", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def analyse(body: AnalyseIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    params = body.model_dump(mode="json", exclude_none=True)
    swing_jobs.validate_analyse(params)
    f = get_owned(session, StoredFile, org, body.file_id, "File")
    if f.status != FileStatus.ready:
        raise InvalidInput(f"file_id: {f.filename} is not completely uploaded (status {f.status.value})")
    if body.athlete_id is not None:
        get_owned(session, Athlete, org, body.athlete_id, "Athlete")
    job = create_job(session, org.organisation_id, swing_jobs.ANALYSE_JOB, params, created_by_id=org.user_id,
                     max_attempts=services.settings.job_max_attempts)
    session.commit()
    services.runner.dispatch(job.id, job.queue)
    return JobOut.model_validate(job)


@router.get("/orgs/{org_id}/swings", response_model=Page[SwingSummary])
def list_swings(org: OrgRead, session: SessionDep, page: PageDep,
                athlete_id: uuid.UUID | None = Query(None)) -> Page[SwingSummary]:
    query = scoped(select(Dataset).where(Dataset.organisation_id == org.organisation_id,
                                         Dataset.kind == swings.KIND), Dataset, org)
    if athlete_id is not None:
        query = query.where(Dataset.athlete_id == athlete_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Dataset.created_at.desc(), Dataset.id).limit(page.limit).offset(page.offset))
    return Page(items=[SwingSummary(**_summary(d)) for d in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/orgs/{org_id}/swings/{swing_id}", response_model=SwingDetail)
def get_swing(swing_id: uuid.UUID, org: OrgRead, session: SessionDep,
              units: Literal["metric", "imperial"] | None = UnitsQuery) -> SwingDetail:
    from sideline.analytics.swing.feedback import cues_in_units

    d = _swing(session, org, swing_id)
    meta = d.meta
    junior = meta.get("junior", False)
    chosen = _units(session, org, units)
    cues = cues_in_units(meta["cues"], chosen, junior=junior, strokes=meta["metrics"].get("strokes"))
    return SwingDetail(**_summary(d), source_file_id=d.source_file_id, playback_speed=meta.get("playback_speed", 1.0),
                       junior=junior, metrics=meta["metrics"], cues=cues, units=chosen,
                       video=meta.get("video") or {}, pose=meta["pose"],
                       tennis=TennisOut(**meta["metrics"], athlete=meta.get("athlete", "auto"))
                       if meta.get("sport") == "tennis" else None)


@router.delete("/orgs/{org_id}/swings/{swing_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_swing(swing_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> Response:
    d = _swing(session, org, swing_id)
    video_id = (d.meta.get("video") or {}).get("file_id")
    video = session.get(StoredFile, uuid.UUID(video_id)) if video_id else None
    erasure = delete_dataset(session, services.blobs, d)
    if video is not None:  # the annotated video belongs to the swing; the uploaded clip stays
        session.delete(video)
    session.commit()
    erasure.finish(services.blobs)
    if video is not None:
        services.blobs.delete(video.blob_key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/orgs/{org_id}/swings/{swing_id}/pose", response_model=PoseOut)
def get_pose(swing_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep) -> PoseOut:
    pose = swings.load_pose(session, services.blobs, _swing(session, org, swing_id))
    xy = np.round(pose.landmarks[..., :2], 1)
    xy_list = [[[_finite(x), _finite(y)] for x, y in frame] for frame in xy.tolist()]
    return PoseOut(keypoints=list(pose.keypoint_names), frame_size=list(pose.frame_size),
                   t=[round(t, 4) for t in pose.timestamps.tolist()], confidence=np.round(pose.confidence, 3).tolist(),
                   xy=xy_list)


@router.get("/orgs/{org_id}/swings/{swing_id}/compare", response_model=ComparisonOut)
def compare(swing_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
            reference_id: uuid.UUID | None = Query(None, description="The swing to compare against (required)"),
            units: Literal["metric", "imperial"] | None = UnitsQuery) -> ComparisonOut:
    from sideline.analytics.swing.compare import compare_swings
    from sideline.analytics.swing.feedback import coaching_cues, cues_in_units

    athlete_ds = _swing(session, org, swing_id)  # an unknown swing is a 404 whatever the query
    if reference_id is None:
        raise InvalidInput("reference_id: give the id of the swing to compare against")
    reference_ds = _swing(session, org, reference_id)
    _golf_only(athlete_ds, "Comparison")
    _golf_only(reference_ds, "Comparison")
    athlete = swings.load_features(session, services.blobs, athlete_ds)
    reference = swings.load_features(session, services.blobs, reference_ds)
    result = compare_swings(athlete, reference)
    cues = coaching_cues(athlete, result, junior=athlete_ds.meta.get("junior", False), reference=reference)
    chosen = _units(session, org, units)
    return ComparisonOut(
        athlete_id=athlete_ds.id, reference_id=reference_ds.id, similarity=round(result.similarity, 4),
        mean_cost=round(result.mean_cost, 4), angles=list(result.angles),
        phases=[PhaseOut(name=p.name, athlete_frames=list(p.athlete_frames), reference_frames=list(p.reference_frames),
                         athlete_duration_s=round(p.athlete_duration_s, 3),
                         reference_duration_s=round(p.reference_duration_s, 3), similarity=round(p.similarity, 4),
                         mean_differences={k: _finite(round(v, 2)) for k, v in p.mean_differences.items()})
                for p in result.phases],
        at_events=[{"event": e.event, "angle": e.angle, "athlete": _finite(round(e.athlete, 2)),
                    "reference": _finite(round(e.reference, 2)), "difference": _finite(round(e.difference, 2)),
                    "athlete_frame": e.athlete_frame, "reference_frame": e.reference_frame} for e in result.at_events],
        frame_map=result.reference_frame_for().tolist(), units=chosen,
        cues=cues_in_units([c.to_json() for c in cues], chosen))


@router.get("/orgs/{org_id}/swings/{swing_id}/nearest", response_model=list[NeighbourOut])
def nearest_swings(swing_id: uuid.UUID, org: OrgRead, session: SessionDep,
                   k: int = Query(5, ge=1, le=50)) -> list[NeighbourOut]:
    from sideline.analytics.swing.compare import FEATURE_VERSION, nearest

    d = _swing(session, org, swing_id)
    _golf_only(d, "Nearest-swing search")
    if d.meta.get("feature_version") != FEATURE_VERSION:
        raise InvalidInput("This swing was analysed with an older feature version; analyse it again")
    rows, matrix = swings.feature_table(session, org.organisation_id, sport=d.meta.get("sport", "golf"),
                                        view=d.meta["view"], scope=lambda q: scoped(q, Dataset, org))
    others = [i for i, row in enumerate(rows) if row.id != d.id]
    if not others:
        return []
    order, distances = nearest(np.asarray(d.meta["feature_vector"], float), matrix[others], k=k)
    return [NeighbourOut(swing=SwingSummary(**_summary(rows[others[i]])), distance=round(float(dist), 4))
            for i, dist in zip(order, distances)]


@router.get("/orgs/{org_id}/athletes/{athlete_id}/swing-progress", response_model=list[ProgressPoint])
def swing_progress(athlete_id: uuid.UUID, org: OrgRead, session: SessionDep,
                   club: str | None = Query(None, max_length=40)) -> list[ProgressPoint]:
    """The athlete's swings oldest first, with the figures a trend chart plots."""
    get_owned(session, Athlete, org, athlete_id, "Athlete")
    query = scoped(select(Dataset).where(Dataset.organisation_id == org.organisation_id, Dataset.kind == swings.KIND,
                                         Dataset.athlete_id == athlete_id), Dataset, org)
    points = []
    for d in session.scalars(query.order_by(Dataset.created_at, Dataset.id)):
        meta = d.meta
        if club is not None and meta.get("club") != club:
            continue
        tempo = meta["metrics"].get("tempo") or {}
        points.append(ProgressPoint(swing_id=d.id, name=d.name, created_at=d.created_at, club=meta.get("club"),
                                    view=meta["view"], tempo_ratio=tempo.get("ratio"),
                                    backswing_s=tempo.get("backswing_s"), downswing_s=tempo.get("downswing_s"),
                                    angles=meta["metrics"].get("angles") or {},
                                    cues=sum(c["severity"] == "fix" for c in meta["cues"])))
    return points
