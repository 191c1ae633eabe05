"""The video analysis job: one ``video.analyse`` job runs a video's unfinished stages in order
(probe, detect, track, identify, camera, project, render) and, when asked, makes the football
match. ``video.pose`` (queue ``pose``) estimates one track's pose over a time range on demand.

Each stage computes outside any transaction, then stores its streams and marks itself done in
one ``ctx.run_step``; a failed stage is marked failed with its message and the earlier results
stay. A new job for the same video (retry, new calibration, re-render) starts at the first stage
not done, so nothing finished is recomputed.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from sideline.errors import InvalidInput, NotFound, SidelineError
from sideline.jobs.execution import JobCancelled, JobContext, JobLost
from sideline.jobs.registry import job_type
from sideline.storage import videos
from sideline.storage.models import FileStatus, StoredFile
from sideline.storage.uploads import file_key, sanitize_filename
from sideline.vision.detect.models import UnusableModel

ANALYSE_JOB = "video.analyse"
PITCH = (105.0, 68.0)
# Share of the progress bar each stage takes (detection dominates).
WEIGHTS = {"probe": 2, "detect": 58, "track": 6, "identify": 2, "camera": 4, "project": 2, "render": 21, "match": 5}
POSE_JOB = "video.pose"
POSE_BACKENDS = ("blazepose", "movenet")
MAX_POSE_SECONDS = 30.0


def validate_params(params: dict[str, Any]) -> None:
    try:
        uuid.UUID(str(params.get("video_id")))
    except ValueError:
        raise InvalidInput("video_id: a video id is required") from None
    if params.get("make_match") not in (None, True, False):
        raise InvalidInput("make_match: true or false")


def validate_options(params: dict[str, Any]) -> None:
    """The analysis options a video is created with (stored on the video, used by every job)."""
    from sideline.vision.pipeline import DETECTORS

    max_frames = params.get("max_frames")
    if max_frames is not None and (not isinstance(max_frames, int) or not 1 <= max_frames <= 1_000_000):
        raise InvalidInput("max_frames: a whole number from 1 to 1,000,000")
    detector = params.get("detector", "centernet")
    if not isinstance(detector, str) or not (detector in DETECTORS or user_model_id(detector) or detector == "ultralytics"
                                             or re.fullmatch(r"ultralytics:[\w.-]+\.(pt|onnx)", detector)):
        raise InvalidInput(f"detector: one of {', '.join(DETECTORS)}, onnx:<file id> (your YOLO export) or ultralytics")
    if detector.startswith("ultralytics"):
        from sideline.vision.detect.ultralytics_backend import EXTRA_MISSING, ultralytics_available

        if not ultralytics_available():
            raise UnusableModel(EXTRA_MISSING)
    side = params.get("detect_side", 960)
    if not isinstance(side, int) or not 160 <= side <= 4096:
        raise InvalidInput("detect_side: 160 to 4096 pixels")
    from sideline.vision.pipeline import CAMERA_MODES

    if params.get("camera", "auto") not in CAMERA_MODES:
        raise InvalidInput(f"camera: one of {', '.join(CAMERA_MODES)}")


def user_model_id(detector: str) -> uuid.UUID | None:
    """The file id in an ``onnx:<file id>`` detector value, else None."""
    if not isinstance(detector, str) or not detector.startswith("onnx:"):
        return None
    try:
        return uuid.UUID(detector[5:])
    except ValueError:
        return None


def check_user_model(path: Path, display_name: str) -> None:
    """An uploaded model must load and have a YOLO output layout; else UnusableModel (422) saying why."""
    from sideline.vision.detect.onnx_coco import YoloOnnxDetector

    try:
        YoloOnnxDetector(str(path), display_name=display_name)
    except InvalidInput as exc:
        raise UnusableModel(f"detector: {exc}") from None


class _Stages:
    """A video's stages run by one job; progress is spread over the stages still to run."""

    def __init__(self, ctx: JobContext, video_id: uuid.UUID, todo: list[str]):
        self.ctx, self.video_id, self.todo = ctx, video_id, todo
        total = sum(WEIGHTS[s] for s in todo) or 1
        self.start: dict[str, float] = {}
        done = 0.0
        for stage in todo:
            self.start[stage] = 100 * done / total
            done += WEIGHTS[stage]
        self.span = {s: 100 * WEIGHTS[s] / total for s in todo}

    def progress(self, stage: str, fraction: float, message: str) -> None:
        self.ctx.progress(self.start[stage] + self.span[stage] * fraction, f"{stage}: {message}")

    def mark(self, stage: str, status: str, **kw) -> None:
        with self.ctx.db.session() as s:
            videos.set_stage(videos.get_video(s, self.ctx.organisation_id, self.video_id), stage, status, **kw)

    def store(self, stage: str, fn) -> None:
        """Store the stage's results and mark it done, in one transaction."""
        def step(session: Session) -> dict:
            dataset = videos.get_video(session, self.ctx.organisation_id, self.video_id)
            message = fn(session, dataset)
            videos.set_stage(dataset, stage, "done" if message != "skipped" else "skipped",
                             message=None if message == "skipped" else message)
            return {"stage": stage}

        self.ctx.run_step(f"stage:{stage}", step)


def _materialise(ctx: JobContext, dataset_file_id: uuid.UUID, folder: Path) -> tuple[Path, str]:
    with ctx.db.session() as s:
        f = s.get(StoredFile, dataset_file_id)
        if f is None or f.organisation_id != ctx.organisation_id or f.status != FileStatus.ready:
            raise NotFound("The uploaded video is gone")
        target = folder / sanitize_filename(f.filename)
        with ctx.env.blobs.open_read(f.blob_key) as reader, target.open("wb") as out:
            while chunk := reader.read(1 << 20):
                out.write(chunk)
        return target, f.filename


@job_type(ANALYSE_JOB, queue="video", description="Analyses a video: detect, track, identify, project, render",
          validate=validate_params, generic_api=False)
def analyse_video(ctx: JobContext) -> dict:
    video_id = uuid.UUID(str(ctx.params["video_id"]))
    with ctx.db.session() as s:
        dataset = videos.get_video(s, ctx.organisation_id, video_id)
        todo = [st for st in videos.STAGES if videos.stage_status(dataset, st) not in ("done", "skipped")]
        file_id, options = dataset.source_file_id, dict(dataset.meta.get("params") or {})
    if ctx.params.get("make_match"):
        todo.append("match")
    runner = _Stages(ctx, video_id, todo)
    current = None
    try:
        with tempfile.TemporaryDirectory(prefix="sideline-video-") as tmp:
            path = display = None
            for stage in todo:
                current = stage
                runner.mark(stage, "running")
                runner.progress(stage, 0.0, "started")
                if path is None and stage in ("probe", "detect", "camera", "render"):
                    path, display = _materialise(ctx, file_id, Path(tmp))
                STAGE_FUNCTIONS[stage](ctx, runner, video_id, path, display, options)
    except (JobCancelled, JobLost):
        if current:
            runner.mark(current, "pending", message="cancelled")
        raise
    except SidelineError as exc:
        runner.mark(current, "failed", error=str(exc))
        raise
    except Exception as exc:  # unexpected: the stage fails with a short reason; the traceback is logged by the runner
        runner.mark(current, "failed", error=f"{current} failed unexpectedly ({exc.__class__.__name__})")
        raise
    with ctx.db.session() as s:
        dataset = videos.get_video(s, ctx.organisation_id, video_id)
        return {"video_id": str(video_id), "stages": {k: v.get("status") for k, v in dataset.meta["stages"].items()},
                "match_id": dataset.meta.get("match_id"), "annotated_file_id": dataset.meta.get("annotated_file_id")}


def _load(ctx: JobContext, video_id: uuid.UUID, *streams: str):
    with ctx.db.session() as s:
        dataset = videos.get_video(s, ctx.organisation_id, video_id)
        frames = [videos.read_stream(s, ctx.env.blobs, dataset, name) for name in streams]
        return dict(dataset.meta), frames


def _probe(ctx, runner, video_id, path, display, options) -> None:
    from sideline.vision.pipeline import probe_video

    info = probe_video(path, display)

    def store(_s, dataset):
        frames = info.frame_count if options.get("max_frames") is None else min(info.frame_count or options["max_frames"],
                                                                                   options["max_frames"])
        videos.update_meta(dataset, video={**dataset.meta.get("video", {}), "width": info.width, "height": info.height,
                                           "fps": info.fps, "frame_count": info.frame_count, "frames_analysed": frames,
                                           "duration_s": info.duration_s})
        return f"{info.width}x{info.height} at {info.fps:g} fps"

    runner.store("probe", store)


def _user_model(ctx: JobContext, file_id: uuid.UUID, folder: Path) -> tuple[Path, str]:
    with ctx.db.session() as s:
        f = s.get(StoredFile, file_id)
        if f is None or f.organisation_id != ctx.organisation_id or f.status != FileStatus.ready:
            raise NotFound("detector: the uploaded model file is gone")
        target = folder / "user_model.onnx"  # resolve_model wants the suffix; the name shown is the upload's
        with ctx.env.blobs.open_read(f.blob_key) as reader, target.open("wb") as out:
            while chunk := reader.read(1 << 20):
                out.write(chunk)
        return target, f.filename


def _detect(ctx, runner, video_id, path, display, options) -> None:
    from sideline.vision.pipeline import detect_stage, make_detector

    meta, _ = _load(ctx, video_id)
    name = options.get("detector", "centernet")
    model_path = model_name = None
    if (model_id := user_model_id(name)) is not None:
        model_path, model_name = _user_model(ctx, model_id, path.parent)
    detector = make_detector(name, model_path=model_path, display_name=model_name)
    frames, detections, green = detect_stage(
        path, detector, max_frames=options.get("max_frames"), detect_side=options.get("detect_side", 960),
        expected_frames=meta["video"].get("frames_analysed"),
        progress=lambda f, m: runner.progress("detect", f, m))

    def store(session, dataset):
        videos.write_stream(session, ctx.env.blobs, dataset, "frames", frames)
        videos.write_stream(session, ctx.env.blobs, dataset, "detections", detections)
        warnings = [w for w in dataset.meta.get("warnings") or [] if not w.startswith("little grass")]
        if green < 0.15:
            warnings.append(f"little grass visible ({green:.0%} of the picture): is a pitch in view? "
                            "Calibration and projected positions may be unreliable")
        videos.update_meta(dataset, warnings=warnings, video={**dataset.meta["video"], "frames_analysed": frames.height})
        return f"{detections.height} boxes in {frames.height} frames"

    runner.store("detect", store)


def _track(ctx, runner, video_id, path, display, options) -> None:
    from sideline.vision.pipeline import track_stage

    meta, (frames, detections) = _load(ctx, video_id, "frames", "detections")
    tracks, ball = track_stage(frames, detections, meta["video"]["fps"])

    def store(session, dataset):
        videos.write_stream(session, ctx.env.blobs, dataset, "tracks", tracks)
        videos.write_stream(session, ctx.env.blobs, dataset, "ball", ball)
        return f"{tracks['track_id'].n_unique()} tracks, ball seen in {int(ball['measured'].sum())} frames"

    runner.store("track", store)


def _identify(ctx, runner, video_id, path, display, options) -> None:
    from sideline.vision.pipeline import identify_stage

    meta, (tracks, detections) = _load(ctx, video_id, "tracks", "detections")
    track_meta = identify_stage(tracks, detections, meta["video"]["fps"])
    teams = {}
    for side in ("home", "away"):
        members = [v for v in track_meta.values() if v["team"] == side]
        if members:
            rgb = np.median([[int(v["colour"][i:i + 2], 16) for i in (1, 3, 5)] for v in members], axis=0)
            teams[side] = {"name": side.capitalize(), "colour": "#" + "".join(f"{int(c):02x}" for c in rgb)}

    def store(_s, dataset):
        videos.update_meta(dataset, tracks=track_meta, teams=teams)
        return f"{sum(v['team'] != 'other' for v in track_meta.values())} of {len(track_meta)} tracks in a team"

    runner.store("identify", store)


def _camera(ctx, runner, video_id, path, display, options) -> None:
    from sideline.vision.pipeline import camera_stage

    if options.get("camera", "auto") == "fixed":
        runner.store("camera", lambda _s, _d: "skipped")
        return
    _, (frames, detections) = _load(ctx, video_id, "frames", "detections")
    motion = camera_stage(path, frames, detections, detect_side=options.get("detect_side", 960),
                          progress=lambda f, m: runner.progress("camera", f, m))
    ok = motion["ok"].to_numpy()
    cuts = int(motion["cut"].to_numpy()[1:].sum())

    def store(session, dataset):
        videos.write_stream(session, ctx.env.blobs, dataset, "motion", motion)
        return (f"camera motion followed in {int(ok[1:].sum())} of {max(0, motion.height - 1)} frame steps"
                + (f", {cuts} cut{'s' if cuts != 1 else ''}" if cuts else ""))

    runner.store("camera", store)


def _project(ctx, runner, video_id, path, display, options) -> None:
    from sideline.vision.pipeline import frame_homographies, keyframes_of, project_stage, with_speed

    meta, (tracks, ball, frames) = _load(ctx, video_id, "tracks", "ball", "frames")
    keyframes = keyframes_of(meta.get("calibration"))
    if not keyframes:
        runner.store("project", lambda _s, _d: "skipped")
        return
    motion = None
    if meta["stages"].get("camera", {}).get("status") == "done":
        _, (motion,) = _load(ctx, video_id, "motion")
    video = meta["video"]
    homographies, summary = frame_homographies(frames, motion, keyframes, mode=options.get("camera", "auto"),
                                               size=(video["width"], video["height"]), pitch=PITCH)
    positions = with_speed(project_stage(tracks, ball, homographies, *PITCH), video["fps"])

    def store(session, dataset):
        videos.write_stream(session, ctx.env.blobs, dataset, "homographies", homographies)
        videos.write_stream(session, ctx.env.blobs, dataset, "positions", positions)
        calibration = dict(dataset.meta.get("calibration") or {})
        videos.update_meta(dataset, calibration={"keyframes": keyframes_of(calibration), "summary": summary})
        unreliable = summary["frames"] - summary["reliable_frames"]
        return (f"{positions.height} positions on the pitch ({summary['mode']} camera"
                + (f"; {unreliable} frames unreliable, left out" if unreliable else "") + ")")

    runner.store("project", store)


def _render(ctx, runner, video_id, path, display, options) -> None:
    from sideline.vision.video_render import render_annotated

    meta, (tracks, ball) = _load(ctx, video_id, "tracks", "ball")
    positions = None
    if meta["stages"].get("project", {}).get("status") == "done":
        _, (positions,) = _load(ctx, video_id, "positions")
    file_id = uuid.uuid4()
    key = file_key(ctx.organisation_id, file_id)
    out = path.parent / "annotated.mp4"
    frames = render_annotated(path, out, tracks=tracks, ball=ball, track_meta=meta["tracks"], teams=meta["teams"],
                              positions=positions, fps=meta["video"]["fps"], max_frames=options.get("max_frames"),
                              expected_frames=meta["video"].get("frames_analysed"),
                              progress=lambda f: runner.progress("render", f, "rendering"))
    data = out.read_bytes()
    ctx.env.blobs.put(key, data)
    stem = Path(meta["video"].get("filename") or "video").stem

    def store(session, dataset):
        row = StoredFile(id=file_id, organisation_id=ctx.organisation_id, filename=sanitize_filename(f"{stem}-annotated.mp4"),
                         content_type="video/mp4", size=len(data), received=len(data),
                         sha256=hashlib.sha256(data).hexdigest(), status=FileStatus.ready, blob_key=key)
        session.add(row)
        session.flush()
        videos.update_meta(dataset, annotated_file_id=str(file_id))
        return f"{frames} frames, {len(data) / 1e6:.1f} MB"

    try:
        runner.store("render", store)
    except BaseException:
        ctx.env.blobs.delete(key)
        raise


def _match(ctx, runner, video_id, path, display, options) -> None:
    from sideline.analytics.football.report import compute_report
    from sideline.core.football import Match
    from sideline.jobs.football import physical_config
    from sideline.storage import matches
    from sideline.vision.pipeline import build_tracking

    meta, (frames, positions) = _load(ctx, video_id, "frames", "positions")
    if meta["stages"].get("project", {}).get("status") != "done":
        raise InvalidInput("calibrate the video first: its tracks have no pitch positions yet")
    with ctx.db.session() as s:
        name = videos.get_video(s, ctx.organisation_id, video_id).name
        config = physical_config(s, ctx.organisation_id)
    tracking = build_tracking(frames, positions.drop("speed"), meta["tracks"], fps=meta["video"]["fps"],
                              pitch_length=PITCH[0], pitch_width=PITCH[1], teams=meta["teams"], name=name)
    match = Match(meta=tracking.meta, tracking=tracking)
    report = compute_report(match, config, progress=lambda f, m: runner.progress("match", f, m))

    def step(session: Session) -> dict:
        dataset = videos.get_video(session, ctx.organisation_id, video_id)
        stored = matches.save_match(session, ctx.env.blobs, ctx.organisation_id, match, name=name,
                                    source={"provider": "video", "video_id": str(video_id)})
        matches.save_derived(session, ctx.env.blobs, stored, report.streams, report.meta)
        videos.update_meta(dataset, match_id=str(stored.id))
        videos.set_stage(dataset, "match", "done", message=f"{tracking.n_players} players, {tracking.n_frames} frames")
        return {"match_id": str(stored.id)}

    ctx.run_step("stage:match", step)


STAGE_FUNCTIONS = {"probe": _probe, "detect": _detect, "track": _track, "identify": _identify, "camera": _camera,
                   "project": _project, "render": _render, "match": _match}


# -- pose on demand ---------------------------------------------------------------------

def validate_pose_params(params: dict[str, Any]) -> None:
    try:
        uuid.UUID(str(params.get("video_id")))
    except ValueError:
        raise InvalidInput("video_id: a video id is required") from None
    if not isinstance(params.get("track_id"), int):
        raise InvalidInput("track_id: a track id is required")
    t0, t1 = params.get("t0"), params.get("t1")
    if not isinstance(t0, (int, float)) or not isinstance(t1, (int, float)) or not 0 <= t0 < t1 <= t0 + MAX_POSE_SECONDS:
        raise InvalidInput(f"t0, t1: a time range of at most {MAX_POSE_SECONDS:g} s")
    if params.get("backend", "blazepose") not in POSE_BACKENDS:
        raise InvalidInput(f"backend: one of {', '.join(POSE_BACKENDS)}")


def pose_stream(job_id: uuid.UUID | str) -> str:
    return f"pose.{job_id}"


def track_boxes(tracks, track_meta: dict[str, dict], track_id: int):
    """One box per frame of a track (its merged fragments included; the most confident wins)."""
    import polars as pl

    from sideline.vision.pipeline import resolve_tracks

    root = resolve_tracks(track_meta)
    wanted = root.get(track_id, track_id)
    members = [int(k) for k, v in root.items() if v == wanted] or [track_id]
    if not tracks.height or "track_id" not in tracks.columns:
        return tracks
    return (tracks.filter(pl.col("track_id").is_in(members)).sort("confidence", descending=True)
            .unique(subset=["frame"], keep="first").sort("t"))


@job_type(POSE_JOB, queue="pose", description="Estimates one video track's pose over a time range",
          validate=validate_pose_params, generic_api=False)
def pose_for_track(ctx: JobContext) -> dict:
    """The job row is the pose request (its params, state and error); the keypoints are the video's
    ``pose.<job id>`` stream."""
    from sideline.vision.track_pose import track_pose

    params = ctx.params
    video_id = uuid.UUID(str(params["video_id"]))
    t0, t1, track_id = float(params["t0"]), float(params["t1"]), int(params["track_id"])
    meta, _ = _load(ctx, video_id)
    with ctx.db.session() as s:
        dataset = videos.get_video(s, ctx.organisation_id, video_id)
        tracks = videos.read_stream(s, ctx.env.blobs, dataset, "tracks", t0, t1 + 1e-6)
        file_id = dataset.source_file_id
    boxes = track_boxes(tracks, meta.get("tracks") or {}, track_id)
    if not boxes.height:
        raise InvalidInput(f"track {track_id} is not seen between {t0:g} s and {t1:g} s")
    with tempfile.TemporaryDirectory(prefix="sideline-pose-") as tmp:
        path, _ = _materialise(ctx, file_id, Path(tmp))
        table, names = track_pose(path, boxes, params.get("backend", "blazepose"),
                                  progress=lambda f: ctx.progress(95 * f, "pose"))
    found = int((table["score"] > 0).sum())

    def step(session: Session) -> dict:
        dataset = videos.get_video(session, ctx.organisation_id, video_id)
        videos.write_stream(session, ctx.env.blobs, dataset, pose_stream(ctx.job_id), table)
        return {"video_id": str(video_id), "track_id": track_id, "frames": table.height, "frames_with_pose": found,
                "keypoints": len(names)}

    return ctx.run_step("store", step)
