"""Videos: the library, analysis jobs per stage, calibration, track corrections, the football
match made from a calibrated video, and downloads (annotated MP4, tracking as CSV/Parquet).

A video is a ``Dataset`` of kind ``video`` (``sideline.storage.videos``); its analysis is the
``video.analyse`` job (``sideline.jobs.video``), which resumes after the last finished stage.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

import numpy as np
import polars as pl
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from sideline.api.deps import OrgContext, OrgRead, OrgWrite, ServicesDep, SessionDep, get_owned, scoped
from sideline.api.schemas import ERROR_RESPONSES, Page, PageDep
from sideline.api.tables import table_download
from sideline.errors import Conflict, InvalidInput, NotFound
from sideline.jobs import video as video_jobs
from sideline.jobs.schemas import JobOut
from sideline.jobs.service import create_job
from sideline.privacy import delete_dataset
from sideline.storage import videos
from sideline.storage.models import Athlete, Dataset, FileStatus, Job, JobState, StoredFile
from sideline.vision.detect.models import UnusableModel

router = APIRouter(tags=["video"], responses=ERROR_RESPONSES)
MAX_BOX_WINDOW_S = 60.0
MAX_MODEL_BYTES = 500_000_000  # a YOLO-X export is ~400 MB; larger is not a detector we can run on CPU


# -- schemas --------------------------------------------------------------------------

class VideoIn(BaseModel):
    file_id: uuid.UUID = Field(description="An uploaded video file of this organisation")
    name: str | None = Field(None, min_length=1, max_length=300)
    detector: str = Field(
        "centernet", max_length=80,
        description="nanodet | centernet | centernet_tiled | yolox_nano (downloaded on first use) | onnx:<file id> "
                    "(your YOLO/YOLOX export, uploaded as a file) | ultralytics[:weights] (optional extra); "
                    "GET /video-detectors lists what this server offers")
    max_frames: int | None = Field(None, ge=1, le=1_000_000, description="Analyse only the first frames")
    detect_side: int = Field(960, ge=160, le=4096, description="Longest side frames are downscaled to for detection")
    camera: Literal["auto", "fixed", "panning"] = Field(
        "auto", description="fixed: one homography for the whole video; panning: propagated from the calibrated "
                            "keyframes through the camera motion; auto: panning unless the camera did not move")


class StageOut(BaseModel):
    name: str
    status: Literal["pending", "running", "done", "failed", "skipped"]
    message: str | None = None
    error: str | None = None


class VideoSummary(BaseModel):
    id: uuid.UUID
    name: str
    filename: str | None
    status: Literal["queued", "running", "ready", "failed", "needs_calibration"]
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    duration_s: float | None = None
    created_at: dt.datetime


class VideoDetail(VideoSummary):
    frames_analysed: int | None = None
    stages: list[StageOut]
    job: JobOut | None
    source_file_id: uuid.UUID | None
    annotated_file_id: uuid.UUID | None
    match_id: uuid.UUID | None
    calibration: dict[str, Any] | None
    teams: dict[str, dict[str, Any]]
    warnings: list[str]
    params: dict[str, Any]


class CalibrationIn(BaseModel):
    image_points: list[tuple[float, float]] = Field(min_length=4, max_length=64, description="Pixels in the video frame")
    pitch_points: list[tuple[float, float]] = Field(min_length=4, max_length=64,
                                                    description="Metres, origin at the centre spot, +x to the right goal")
    frame: int = Field(0, ge=0, description="The frame the points were clicked on (a keyframe; another frame's "
                                            "keyframe is kept)")
    camera: Literal["auto", "fixed", "panning"] | None = Field(None, description="Change the camera mode too")


class Keyframe(BaseModel):
    frame: int
    image_points: list[tuple[float, float]]
    pitch_points: list[tuple[float, float]]
    residuals_m: list[float]


class CalibrationOut(BaseModel):
    residuals_m: list[float]
    keyframes: list[Keyframe]
    job: JobOut


class PoseIn(BaseModel):
    track_id: int = Field(description="A track of this video (merged tracks are followed)")
    t0: float = Field(ge=0, description="Start, seconds of video time")
    t1: float = Field(gt=0, description="End, seconds (at most 30 s after t0)")
    backend: Literal["blazepose", "movenet"] = Field(
        "blazepose", description="blazepose: BlazePose (33 landmarks) on the player's crop; movenet: MoveNet "
                                 "MultiPose (17 COCO keypoints) on the crop")


class PoseOut(BaseModel):
    id: uuid.UUID
    track_id: int
    t0: float
    t1: float
    backend: str
    status: Literal["queued", "running", "done", "failed"]
    error: str | None = None
    frames: int | None = None
    job_id: uuid.UUID | None = None


TrackRole = Literal["player", "goalkeeper", "official"]


class TrackOut(BaseModel):
    track_id: int
    team: Literal["home", "away", "other"]
    role: TrackRole = Field("player", description="From kits that match neither team (goalkeeper, official); editable")
    name: str | None
    athlete_id: uuid.UUID | None
    merged_into: int | None
    rows: int
    first_t: float
    last_t: float
    colour: str


class TrackPatch(BaseModel):
    name: str | None = Field(None, max_length=100)
    team: Literal["home", "away", "other"] | None = None
    role: TrackRole | None = None
    athlete_id: uuid.UUID | None = None
    merge_into: int | None = Field(None, description="Merge this track into that one (same person)")


class TeamPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=100)
    colour: str | None = Field(None, pattern=r"^#[0-9a-fA-F]{6}$")


# -- helpers --------------------------------------------------------------------------

def _video(session, org: OrgContext, video_id: uuid.UUID) -> Dataset:
    dataset = session.scalar(scoped(select(Dataset).where(Dataset.id == video_id, Dataset.organisation_id == org.organisation_id,
                                                          Dataset.kind == videos.KIND), Dataset, org))
    if dataset is None:
        raise NotFound("Video not found")
    return dataset


def _job(session, dataset: Dataset) -> Job | None:
    job_id = dataset.meta.get("job_id")
    return session.get(Job, uuid.UUID(job_id)) if job_id else None


def _status(dataset: Dataset, job: Job | None) -> str:
    stages = dataset.meta.get("stages") or {}
    if job is not None and job.state in (JobState.queued, JobState.running):  # a retry runs: not failed
        return "queued" if job.state == JobState.queued else "running"
    if any(s.get("status") == "failed" for s in stages.values()):
        return "failed"
    if (stages.get("project") or {}).get("status") == "skipped":
        return "needs_calibration"
    return "ready" if videos.first_unfinished(dataset) is None else "failed"


def _summary(dataset: Dataset, job: Job | None) -> dict[str, Any]:
    info = dataset.meta.get("video") or {}
    return dict(id=dataset.id, name=dataset.name, filename=info.get("filename"), status=_status(dataset, job),
                width=info.get("width"), height=info.get("height"), fps=info.get("fps"),
                duration_s=info.get("duration_s"), created_at=dataset.created_at)


def _start(session, services, org: OrgContext, dataset: Dataset, *, make_match: bool = False) -> Job:
    """Start the video's job (one at a time per video: 409 while one is queued or running)."""
    running = _job(session, dataset)
    if running is not None and running.state in (JobState.queued, JobState.running):
        raise Conflict("This video is already being analysed; wait for that job to finish")
    params: dict[str, Any] = {"video_id": str(dataset.id)}
    if make_match:
        params["make_match"] = True
    job = create_job(session, org.organisation_id, video_jobs.ANALYSE_JOB, params, created_by_id=org.user_id,
                     max_attempts=services.settings.job_max_attempts)
    videos.update_meta(dataset, job_id=str(job.id))
    session.commit()
    services.runner.dispatch(job.id, job.queue)
    return job


def _detail(session, dataset: Dataset) -> VideoDetail:
    job = _job(session, dataset)
    stages = dataset.meta.get("stages") or {}
    calibration = _calibration_view(dataset)
    return VideoDetail(
        **_summary(dataset, job), job=JobOut.model_validate(job) if job else None,
        frames_analysed=(dataset.meta.get("video") or {}).get("frames_analysed"),
        stages=[StageOut(name=name, status=videos.stage_status(dataset, name),
                         message=(stages.get(name) or {}).get("message"), error=(stages.get(name) or {}).get("error"))
                for name in (*videos.STAGES, *(["match"] if "match" in stages else []))],
        source_file_id=dataset.source_file_id, annotated_file_id=dataset.meta.get("annotated_file_id"),
        match_id=dataset.meta.get("match_id"), calibration=calibration, teams=dataset.meta.get("teams") or {},
        warnings=dataset.meta.get("warnings") or [], params=dataset.meta.get("params") or {})


def _calibration_view(dataset: Dataset) -> dict[str, Any] | None:
    """Keyframes (points and residuals, without matrices) and the project stage's summary."""
    from sideline.vision.pipeline import keyframes_of

    calibration = dataset.meta.get("calibration")
    keyframes = keyframes_of(calibration)
    if not keyframes:
        return None
    return {"keyframes": [{k: kf.get(k) for k in ("frame", "image_points", "pitch_points", "residuals_m")}
                          for kf in keyframes],
            "camera": (dataset.meta.get("params") or {}).get("camera", "auto"),
            "summary": (calibration or {}).get("summary")}


# -- library and jobs -----------------------------------------------------------------

@router.post("/orgs/{org_id}/videos", response_model=VideoDetail, status_code=status.HTTP_202_ACCEPTED)
def create_video(body: VideoIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> VideoDetail:
    f = session.get(StoredFile, body.file_id)
    if f is None or f.organisation_id != org.organisation_id:
        raise NotFound(f"file_id: no file {body.file_id} in this organisation")
    if f.status != FileStatus.ready:
        raise InvalidInput(f"file_id: {f.filename} is not completely uploaded (status {f.status.value})")
    options = body.model_dump(mode="json", exclude={"file_id", "name"}, exclude_none=True)
    video_jobs.validate_options(options)
    if (model_id := video_jobs.user_model_id(body.detector)) is not None:
        _check_user_model(session, services, org, model_id)
    dataset = videos.create_video(session, org.organisation_id, f.id, name=(body.name or f.filename).strip(),
                                  filename=f.filename, params=options)
    _start(session, services, org, dataset)
    return _detail(session, dataset)


def _check_user_model(session, services, org: OrgContext, model_id: uuid.UUID) -> None:
    """The uploaded model must be this organisation's, complete, and a YOLO ONNX we can decode."""
    import tempfile
    from pathlib import Path

    f = session.get(StoredFile, model_id)
    if f is None or f.organisation_id != org.organisation_id:
        raise NotFound(f"detector: no file {model_id} in this organisation")
    if f.status != FileStatus.ready:
        raise InvalidInput(f"detector: {f.filename} is not completely uploaded (status {f.status.value})")
    if f.size > MAX_MODEL_BYTES:
        raise UnusableModel(f"detector: {f.filename} is {f.size / 1e6:.0f} MB; models up to "
                            f"{MAX_MODEL_BYTES // 1_000_000} MB are accepted")
    with tempfile.TemporaryDirectory(prefix="sideline-model-") as tmp:
        path = Path(tmp) / "model.onnx"
        with services.blobs.open_read(f.blob_key) as reader, path.open("wb") as out:
            while chunk := reader.read(1 << 20):
                out.write(chunk)
        video_jobs.check_user_model(path, f.filename)


class DetectorOption(BaseModel):
    value: str = Field(description="What to send as VideoIn.detector")
    label: str
    available: bool
    note: str | None = None


@router.get("/orgs/{org_id}/video-detectors", response_model=list[DetectorOption])
def list_detectors(org: OrgRead, session: SessionDep) -> list[DetectorOption]:
    """The detectors this server can run, and the organisation's uploaded .onnx files (YOLO exports)."""
    from sideline.vision.detect.models import MODELS, cache_dir, model_dir
    from sideline.vision.detect.ultralytics_backend import ultralytics_available

    def local(name: str) -> bool:
        return any((folder / MODELS[name].filename).is_file() for folder in (model_dir(), cache_dir()))

    missing = "model file not installed on this server"
    options = [
        DetectorOption(value="centernet", label="CenterNet (fixed or wide camera)", available=local("centernet"),
                       note=None if local("centernet") else missing),
        DetectorOption(value="centernet_tiled", label="CenterNet tiled (far, small players and the ball; slow)",
                       available=local("centernet"), note=None if local("centernet") else missing),
        DetectorOption(value="nanodet", label="NanoDet (fast, close players)", available=local("nanodet"),
                       note=None if local("nanodet") else missing),
        DetectorOption(value="yolox_nano", label="YOLOX-Nano (Apache-2.0)", available=True,
                       note=None if local("yolox_nano") else "downloaded on first use (3.7 MB)"),
        DetectorOption(value="ultralytics", label="Ultralytics YOLO11n (AGPL-3.0, optional extra)",
                       available=ultralytics_available(),
                       note=None if ultralytics_available() else "install with: pip install 'sideline[yolo]'"),
    ]
    query = select(StoredFile).where(StoredFile.organisation_id == org.organisation_id)
    files = session.scalars(scoped(query, StoredFile, org)
                            .where(StoredFile.status == FileStatus.ready, StoredFile.filename.ilike("%.onnx"))
                            .order_by(StoredFile.created_at.desc()).limit(100)).all()
    options += [DetectorOption(value=f"onnx:{f.id}", label=f"Your model: {f.filename}", available=True,
                               note="checked when the analysis starts") for f in files]
    return options


@router.get("/orgs/{org_id}/videos", response_model=Page[VideoSummary])
def list_videos(org: OrgRead, session: SessionDep, page: PageDep) -> Page[VideoSummary]:
    query = scoped(select(Dataset).where(Dataset.organisation_id == org.organisation_id, Dataset.kind == videos.KIND),
                   Dataset, org)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Dataset.created_at.desc(), Dataset.id).limit(page.limit).offset(page.offset))
    return Page(items=[VideoSummary(**_summary(d, _job(session, d))) for d in rows], total=total, limit=page.limit,
                offset=page.offset)


@router.get("/orgs/{org_id}/videos/{video_id}", response_model=VideoDetail)
def get_video(video_id: uuid.UUID, org: OrgRead, session: SessionDep) -> VideoDetail:
    return _detail(session, _video(session, org, video_id))


@router.delete("/orgs/{org_id}/videos/{video_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_video(video_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> Response:
    dataset = _video(session, org, video_id)
    erasure = delete_dataset(session, services.blobs, dataset)
    session.commit()
    erasure.finish(services.blobs)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/orgs/{org_id}/videos/{video_id}/retry", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def retry_video(video_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    """Run the video's stages again from the first one not finished (the failed one)."""
    dataset = _video(session, org, video_id)
    if videos.first_unfinished(dataset) is None:
        raise Conflict("Every stage of this video has finished; nothing to retry")
    return JobOut.model_validate(_start(session, services, org, dataset))


@router.post("/orgs/{org_id}/videos/{video_id}/render", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def rerender_video(video_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    """Render the annotated video again (after renaming tracks or changing teams)."""
    dataset = _video(session, org, video_id)
    if videos.stage_status(dataset, "identify") != "done":
        raise Conflict("The video's tracks are not ready yet")
    videos.reset_from(session, services.blobs, dataset, "render")
    return JobOut.model_validate(_start(session, services, org, dataset))


@router.put("/orgs/{org_id}/videos/{video_id}/calibration", response_model=CalibrationOut,
            status_code=status.HTTP_202_ACCEPTED)
def put_calibration(video_id: uuid.UUID, body: CalibrationIn, org: OrgWrite, session: SessionDep,
                    services: ServicesDep) -> CalibrationOut:
    """Store the clicked points of one frame as a keyframe (replacing that frame's earlier points)
    and project the tracks again. A fixed camera needs one keyframe; for a panning camera the
    homography is propagated from the keyframes through the camera motion."""
    from sideline.vision.calibrate import fit_homography
    from sideline.vision.pipeline import keyframes_of

    dataset = _video(session, org, video_id)
    info = dataset.meta.get("video") or {}
    if len(body.image_points) != len(body.pitch_points):
        raise InvalidInput(f"calibration: {len(body.image_points)} image points but {len(body.pitch_points)} pitch points")
    width, height = info.get("width"), info.get("height")
    if width and height:
        outside = [i + 1 for i, (x, y) in enumerate(body.image_points) if not (0 <= x <= width and 0 <= y <= height)]
        if outside:
            raise InvalidInput(f"calibration: image point(s) {outside} lie outside the {width}x{height} frame")
    analysed = info.get("frames_analysed")
    if analysed and body.frame >= analysed:
        raise InvalidInput(f"calibration: frame {body.frame} is past the {analysed} analysed frames")
    half_l, half_w = video_jobs.PITCH[0] / 2 + 5, video_jobs.PITCH[1] / 2 + 5
    off_pitch = [i + 1 for i, (x, y) in enumerate(body.pitch_points) if abs(x) > half_l or abs(y) > half_w]
    if off_pitch:
        raise InvalidInput(f"calibration: pitch point(s) {off_pitch} are off a {video_jobs.PITCH[0]:g} x "
                           f"{video_jobs.PITCH[1]:g} m pitch (origin at the centre spot)")
    homography = fit_homography(body.image_points, body.pitch_points)
    residuals = [float(r) for r in homography.residuals_m]
    keyframe = {"frame": body.frame, "image_points": [list(p) for p in body.image_points],
                "pitch_points": [list(p) for p in body.pitch_points], "matrix": homography.matrix.tolist(),
                "residuals_m": residuals}
    keyframes = [k for k in keyframes_of(dataset.meta.get("calibration")) if k["frame"] != body.frame] + [keyframe]
    keyframes.sort(key=lambda k: k["frame"])
    params = dict(dataset.meta.get("params") or {})
    camera_changed = body.camera is not None and body.camera != params.get("camera", "auto")
    if camera_changed:
        params["camera"] = body.camera
    if params.get("camera", "auto") == "fixed" and len(keyframes) > 1:
        # One homography for the whole video: every keyframe's points must agree with it.
        fit_homography([p for k in keyframes for p in k["image_points"]], [p for k in keyframes for p in k["pitch_points"]])
    videos.update_meta(dataset, calibration={"keyframes": keyframes}, params=params)
    _restart_from(session, services, dataset, "camera" if camera_changed else "project")
    job = _start(session, services, org, dataset)
    return CalibrationOut(residuals_m=residuals, keyframes=[Keyframe(**k) for k in keyframes],
                          job=JobOut.model_validate(job))


def _restart_from(session, services, dataset: Dataset, stage: str) -> None:
    """Redo ``stage`` and the later stages (if it had run) with the new calibration."""
    if videos.stage_status(dataset, stage) in ("done", "skipped", "failed"):
        running = _job(session, dataset)
        if running is not None and running.state in (JobState.queued, JobState.running):
            raise Conflict("This video is already being analysed; wait for that job to finish")
        videos.reset_from(session, services.blobs, dataset, stage)


@router.delete("/orgs/{org_id}/videos/{video_id}/calibration/keyframes/{frame}", response_model=JobOut,
               status_code=status.HTTP_202_ACCEPTED)
def delete_keyframe(video_id: uuid.UUID, frame: int, org: OrgWrite, session: SessionDep,
                    services: ServicesDep) -> JobOut:
    """Remove one keyframe and project again (with none left, positions wait for a calibration)."""
    from sideline.vision.pipeline import keyframes_of

    dataset = _video(session, org, video_id)
    keyframes = keyframes_of(dataset.meta.get("calibration"))
    if not any(k["frame"] == frame for k in keyframes):
        raise NotFound(f"No keyframe at frame {frame} in this video")
    rest = [k for k in keyframes if k["frame"] != frame]
    videos.update_meta(dataset, calibration={"keyframes": rest} if rest else None)
    _restart_from(session, services, dataset, "project")
    return JobOut.model_validate(_start(session, services, org, dataset))


@router.get("/orgs/{org_id}/videos/{video_id}/calibration/frames", response_model=dict[str, Any])
def calibration_frames(video_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
                       t0: float = Query(0.0, ge=0), t1: float = Query(60.0, gt=0),
                       matrices: bool = Query(False, description="Include the image -> pitch matrix of each frame")
                       ) -> dict[str, Any]:
    """Per frame in [t0, t1) (at most 600 s): whether its calibration is reliable, the drift since
    the keyframe (m), the camera-motion inlier ratio and reprojection error (px), cuts, the keyframe
    used, and the reason when unreliable."""
    from sideline.vision.calibrate_propagate import MATRIX_COLUMNS

    if not 0 < t1 - t0 <= 600:
        raise InvalidInput("t1 must be after t0 and at most 600 s later")
    dataset = _video(session, org, video_id)
    if videos.stage_status(dataset, "project") != "done":
        raise NotFound("This video has no calibrated frames yet: calibrate it first")
    table = videos.read_stream(session, services.blobs, dataset, "homographies", t0, t1)
    columns = ["t", "frame", "reliable", "drift_m", "inlier_ratio", "error_px", "cut", "keyframe", "reason"]
    if matrices:
        columns += list(MATRIX_COLUMNS)
    if not table.height:
        return {"columns": columns, "rows": []}
    table = table.select(columns).with_columns(pl.col(pl.Float64).fill_nan(None))
    return {"columns": columns, "rows": table.rows()}


@router.post("/orgs/{org_id}/videos/{video_id}/match", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
def make_match(video_id: uuid.UUID, org: OrgWrite, session: SessionDep, services: ServicesDep) -> JobOut:
    """Make a football match from the calibrated tracks (with every stored metric); the job's
    result and the video's ``match_id`` name it."""
    dataset = _video(session, org, video_id)
    if not dataset.meta.get("calibration"):
        raise InvalidInput("calibrate the video first: click at least 4 known pitch points on a frame")
    return JobOut.model_validate(_start(session, services, org, dataset, make_match=True))


# -- tracks ---------------------------------------------------------------------------

def _tracks(dataset: Dataset) -> dict[str, dict]:
    tracks = dataset.meta.get("tracks") or {}
    if not tracks:
        raise NotFound("This video has no tracks yet")
    return tracks


@router.get("/orgs/{org_id}/videos/{video_id}/tracks", response_model=list[TrackOut])
def list_tracks(video_id: uuid.UUID, org: OrgRead, session: SessionDep) -> list[TrackOut]:
    dataset = _video(session, org, video_id)
    return [TrackOut(track_id=int(k), **v) for k, v in sorted((dataset.meta.get("tracks") or {}).items(),
                                                              key=lambda kv: int(kv[0]))]


@router.patch("/orgs/{org_id}/videos/{video_id}/tracks/{track_id}", response_model=TrackOut)
def patch_track(video_id: uuid.UUID, track_id: int, body: TrackPatch, org: OrgWrite, session: SessionDep) -> TrackOut:
    dataset = _video(session, org, video_id)
    tracks = {k: dict(v) for k, v in _tracks(dataset).items()}
    key = str(track_id)
    if key not in tracks:
        raise NotFound(f"No track {track_id} in this video")
    changes = body.model_dump(exclude_unset=True)
    track = tracks[key]
    if "name" in changes:
        track["name"] = (changes["name"] or "").strip() or None
    if "team" in changes and changes["team"] is not None:
        track["team"] = changes["team"]
    if "role" in changes and changes["role"] is not None:
        track["role"] = changes["role"]
    if "athlete_id" in changes:
        if changes["athlete_id"] is not None:
            athlete = get_owned(session, Athlete, org, changes["athlete_id"], "Athlete")
            track["athlete_id"], track["name"] = str(athlete.id), track.get("name") or athlete.name
        else:
            track["athlete_id"] = None
    if "merge_into" in changes:
        target = changes["merge_into"]
        if target is not None:
            from sideline.vision.pipeline import resolve_tracks

            if str(target) not in tracks:
                raise InvalidInput(f"merge_into: no track {target} in this video")
            if resolve_tracks(tracks).get(target) == track_id or target == track_id:
                raise InvalidInput(f"merge_into: track {target} is already merged into track {track_id}")
        track["merged_into"] = target
    videos.update_meta(dataset, tracks=tracks)
    return TrackOut(track_id=track_id, **track)


@router.patch("/orgs/{org_id}/videos/{video_id}/teams/{side}", response_model=dict[str, dict[str, Any]])
def patch_team(video_id: uuid.UUID, side: Literal["home", "away"], body: TeamPatch, org: OrgWrite,
               session: SessionDep) -> dict[str, dict[str, Any]]:
    dataset = _video(session, org, video_id)
    teams = {k: dict(v) for k, v in (dataset.meta.get("teams") or {}).items()}
    teams[side] = {**teams.get(side, {}), **body.model_dump(exclude_none=True)}
    videos.update_meta(dataset, teams=teams)
    return teams


# -- data for the player and downloads ------------------------------------------------

@router.get("/orgs/{org_id}/videos/{video_id}/boxes", response_model=dict[str, list])
def get_boxes(video_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
              t0: float = Query(0.0, ge=0), t1: float = Query(10.0, gt=0)) -> dict[str, list]:
    """Tracked boxes (pixels) and the ball for [t0, t1): what the player draws as a live overlay."""
    if not 0 < t1 - t0 <= MAX_BOX_WINDOW_S:
        raise InvalidInput(f"t1 must be after t0 and at most {MAX_BOX_WINDOW_S:.0f} s later")
    dataset = _video(session, org, video_id)
    if videos.stage_status(dataset, "track") != "done":
        raise NotFound("This video has no tracks yet")
    columns = ["t", "frame", "track_id", "x0", "y0", "x1", "y1"]
    tracks = videos.read_stream(session, services.blobs, dataset, "tracks", t0, t1)
    ball = videos.read_stream(session, services.blobs, dataset, "ball", t0, t1)
    # A window with no rows reads back as just the ``t`` column.
    boxes = tracks.select(columns).rows() if tracks.height else []
    ball_rows = ball.filter(pl.col("bx").is_not_nan()).select("t", "bx", "by").rows() if ball.height else []
    return {"columns": columns, "boxes": boxes, "ball": ball_rows}


@router.get("/orgs/{org_id}/videos/{video_id}/frame", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}, "description": "One frame as JPEG (calibration tool)"}})
def get_frame(video_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
              index: int = Query(0, ge=0, le=10_000_000)) -> Response:
    import tempfile
    from pathlib import Path

    import cv2

    from sideline.vision.decode import iter_frames

    dataset = _video(session, org, video_id)
    f = session.get(StoredFile, dataset.source_file_id) if dataset.source_file_id else None
    if f is None or f.status != FileStatus.ready:
        raise NotFound("The uploaded video is gone")
    with tempfile.TemporaryDirectory(prefix="sideline-frame-") as tmp:
        path = Path(tmp) / "video"
        with services.blobs.open_read(f.blob_key) as reader, path.open("wb") as out:
            while chunk := reader.read(1 << 20):
                out.write(chunk)
        image = next((img for i, _t, img in iter_frames(path) if i == index), None)
    if image is None:
        raise NotFound(f"The video has no frame {index}")
    ok, jpeg = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
    return Response(jpeg.tobytes(), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@router.get("/orgs/{org_id}/videos/{video_id}/tracking", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}}})
def download_tracking(video_id: uuid.UUID, org: OrgRead, session: SessionDep, services: ServicesDep,
                      data: Literal["boxes", "positions"] = "positions",
                      format: Literal["csv", "parquet"] = "csv") -> Response:
    """The tracked boxes (pixels) or the projected positions (pitch metres, speed m/s; ball = track -1)."""
    dataset = _video(session, org, video_id)
    stage, stream = ("track", "tracks") if data == "boxes" else ("project", "positions")
    if videos.stage_status(dataset, stage) != "done":
        raise NotFound("No projected positions: calibrate the video first" if data == "positions"
                       else "This video has no tracks yet")
    frame = videos.read_stream(session, services.blobs, dataset, stream)
    return table_download(frame, format, f"video-{data}-{dataset.id}")


# -- pose on demand -------------------------------------------------------------------

def _pose_out(job: Job) -> PoseOut:
    params = job.params or {}
    state = {JobState.queued: "queued", JobState.running: "running", JobState.succeeded: "done"}.get(job.state, "failed")
    return PoseOut(id=job.id, track_id=int(params.get("track_id", -1)), t0=float(params.get("t0", 0)),
                   t1=float(params.get("t1", 0)), backend=str(params.get("backend", "blazepose")), status=state,
                   error=job.error if state == "failed" else None, frames=(job.result or {}).get("frames_with_pose"),
                   job_id=job.id)


def _pose_job(session, org: OrgContext, dataset: Dataset, pose_id: uuid.UUID) -> Job:
    job = session.get(Job, pose_id)
    if (job is None or job.organisation_id != org.organisation_id or job.type != video_jobs.POSE_JOB
            or (job.params or {}).get("video_id") != str(dataset.id)):
        raise NotFound("No such pose request for this video")
    return job


@router.post("/orgs/{org_id}/videos/{video_id}/poses", response_model=PoseOut, status_code=status.HTTP_202_ACCEPTED)
def request_pose(video_id: uuid.UUID, body: PoseIn, org: OrgWrite, session: SessionDep, services: ServicesDep) -> PoseOut:
    """Estimate one track's pose over [t0, t1] (a ``video.pose`` job on the ``pose`` queue); the
    result is read with ``GET .../poses/{id}``."""
    dataset = _video(session, org, video_id)
    tracks = dataset.meta.get("tracks") or {}
    if str(body.track_id) not in tracks:
        raise NotFound(f"No track {body.track_id} in this video")
    if not 0 < body.t1 - body.t0 <= video_jobs.MAX_POSE_SECONDS:
        raise InvalidInput(f"t1 must be after t0 and at most {video_jobs.MAX_POSE_SECONDS:g} s later")
    params = {"video_id": str(dataset.id), **body.model_dump()}
    job = create_job(session, org.organisation_id, video_jobs.POSE_JOB, params, created_by_id=org.user_id,
                     max_attempts=services.settings.job_max_attempts)
    session.commit()
    services.runner.dispatch(job.id, job.queue)
    return _pose_out(job)


@router.get("/orgs/{org_id}/videos/{video_id}/poses", response_model=list[PoseOut])
def list_poses(video_id: uuid.UUID, org: OrgRead, session: SessionDep) -> list[PoseOut]:
    """The video's pose requests, newest first (the last 100 of the organisation's)."""
    dataset = _video(session, org, video_id)
    jobs = session.scalars(select(Job).where(Job.organisation_id == org.organisation_id, Job.type == video_jobs.POSE_JOB)
                           .order_by(Job.created_at.desc()).limit(100))
    return [_pose_out(j) for j in jobs if (j.params or {}).get("video_id") == str(dataset.id)]


@router.get("/orgs/{org_id}/videos/{video_id}/poses/{pose_id}", response_model=dict[str, Any])
def get_pose(video_id: uuid.UUID, pose_id: uuid.UUID, org: OrgRead, session: SessionDep,
             services: ServicesDep) -> dict[str, Any]:
    """Keypoints per frame in video pixels: ``rows`` of [t, frame, score, [[x, y, visibility], ...]]
    (null where not found), with the keypoint names and the skeleton's lines."""
    from sideline.vision.track_pose import BLAZEPOSE_SKELETON, COCO_SKELETON

    dataset = _video(session, org, video_id)
    job = _pose_job(session, org, dataset, pose_id)
    out = _pose_out(job).model_dump(mode="json")
    if job.state != JobState.succeeded:
        return {**out, "keypoint_names": [], "skeleton": [], "rows": []}
    from sideline.core.pose import BLAZEPOSE_KEYPOINTS, COCO_KEYPOINTS

    blaze = out["backend"] == "blazepose"
    names = BLAZEPOSE_KEYPOINTS if blaze else COCO_KEYPOINTS
    table = videos.read_stream(session, services.blobs, dataset, video_jobs.pose_stream(job.id))
    rows = []
    if table.height:
        xyv = np.stack([table.select([f"{c}_{k}" for k in range(len(names))]).to_numpy() for c in "xyv"], axis=2)
        xyv = np.round(xyv, 2)
        for t, frame, score, points in zip(table["t"].to_list(), table["frame"].to_list(), table["score"].to_list(), xyv):
            rows.append([t, frame, round(score, 3), None if score <= 0 else
                         [None if not np.isfinite(p).all() else p.tolist() for p in points]])
    return {**out, "keypoint_names": list(names), "skeleton": [list(e) for e in (BLAZEPOSE_SKELETON if blaze else COCO_SKELETON)],
            "rows": rows}
