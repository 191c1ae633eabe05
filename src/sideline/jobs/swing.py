"""Swing job: analyse one uploaded clip (pose, golf events or tennis strokes, metrics, cues,
annotated video).

Stages with progress: decode + pose (5-70 %, per frame), events or strokes / metrics / cues
(70-78 %), render (78-96 %), store (one transaction: the swing, its pose stream and the annotated
video's file row). A failed analysis publishes nothing; the rendered blob is removed if the store
step fails. The clip is decoded once: the pose stage keeps the frames (up to ``KEEP_FRAMES_BYTES``)
and the annotated video is drawn on them; a larger clip is decoded again for the render.

Tennis clips may show several people (broadcast: both players, umpire, ball kids): ``athlete``
picks whom to analyse (``auto``: the most prominent person, i.e. the player of a practice clip or
the near player of a broadcast; ``near``; ``far``; see ``sideline.vision.pose.players``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from sideline.errors import InvalidInput, NotFound
from sideline.jobs.execution import JobContext
from sideline.jobs.registry import job_type
from sideline.storage import swings
from sideline.storage.models import Athlete, FileStatus, StoredFile
from sideline.storage.uploads import file_key, sanitize_filename

ANALYSE_JOB = "swing.analyse"
SPORTS = ("golf", "tennis")
MODELS = ("lite", "full", "heavy")
ATHLETES = ("auto", "near", "far")
MIN_DURATION_S, MAX_DURATION_S = 1.0, 60.0
MAX_SIDE = 720  # pose and render size: phones film 4K, the landmarks do not need it
# Tennis: a broadcast player is ~10 % of the picture's height; MoveNet finds him on the whole frame,
# so keep 720p rather than shrinking 1080p to 720 px wide (the landmarks crop the full frame anyway).
TENNIS_MAX_SIDE = 1280
HEIGHT_RANGE_M = (0.8, 2.5)
MIN_PRESENCE = 0.5  # share of frames the athlete must be found in
# Decoded frames kept between the pose and render stages (the golf test clip at 354x492 needs 131 MiB);
# above it the render decodes the file again rather than hold a long clip in memory.
KEEP_FRAMES_BYTES = 192 << 20
JUNIOR_AGE = 16


def validate_analyse(params: dict[str, Any]) -> None:
    for key in ("file_id",) + (("athlete_id",) if params.get("athlete_id") is not None else ()):
        try:
            uuid.UUID(str(params.get(key)))
        except ValueError:
            raise InvalidInput(f"{key}: not an id") from None
    if params.get("sport", "golf") not in SPORTS:
        raise InvalidInput(f"sport: {params.get('sport')!r} is not supported yet; supported: {', '.join(SPORTS)}")
    if params.get("model", "full") not in MODELS:
        raise InvalidInput(f"model: one of {', '.join(MODELS)}")
    if params.get("athlete", "auto") not in ATHLETES:
        raise InvalidInput(f"athlete: which player to analyse, one of {', '.join(ATHLETES)}")
    height = params.get("athlete_height_m")
    if height is not None and (not isinstance(height, (int, float)) or not HEIGHT_RANGE_M[0] <= height <= HEIGHT_RANGE_M[1]):
        raise InvalidInput(f"athlete_height_m: the player's height in metres, {HEIGHT_RANGE_M[0]} to {HEIGHT_RANGE_M[1]}")
    if params.get("handedness", "auto") not in ("auto", "right", "left"):
        raise InvalidInput("handedness: auto, right or left")
    speed = params.get("playback_speed", 1.0)
    if not isinstance(speed, (int, float)) or not 0.01 <= speed <= 1.0:
        raise InvalidInput("playback_speed: real seconds per video second, 0.01 to 1 (0.25 for 4x slow motion)")


def junior(athlete: Athlete | None, on: dt.date) -> bool:
    if athlete is None or athlete.birth_date is None:
        return False
    b = athlete.birth_date
    age = on.year - b.year - ((on.month, on.day) < (b.month, b.day))
    return age < JUNIOR_AGE


def check_clip(path: Path, filename: str) -> None:
    from sideline.vision.decode import probe

    info = probe(path)  # raises InvalidInput for corrupt files and audio-only files
    duration = info.duration_s or ((info.frame_count or 0) / info.nominal_fps if info.nominal_fps else None)
    if duration is not None and duration < MIN_DURATION_S:
        raise InvalidInput(f"{filename}: the clip lasts {duration:.1f} s; a swing needs at least {MIN_DURATION_S:.0f} s")
    if duration is not None and duration > MAX_DURATION_S:
        raise InvalidInput(f"{filename}: the clip lasts {duration:.0f} s; trim it to the swing "
                           f"(at most {MAX_DURATION_S:.0f} s)")


def estimate_pose(video: Path, *, sport: str = "golf", model: str = "full", athlete: str = "auto", **kwargs):
    """The job's pose stage: BlazePose on the athlete (golf), or on the chosen player of a possibly
    crowded tennis clip (MoveNet MultiPose finds them, BlazePose tracks them). ``kwargs`` go to
    ``estimate_video`` (``progress``, ``keep_frames``)."""
    from sideline.vision.pose.base import estimate_video
    from sideline.vision.pose.blazepose import BlazePose
    from sideline.vision.pose.players import PlayerTracker, estimate_player

    if sport == "tennis":
        return estimate_player(PlayerTracker(model, which=athlete), video, max_side=TENNIS_MAX_SIDE, **kwargs)
    return estimate_video(BlazePose(model), video, max_side=MAX_SIDE, **kwargs)


def find_strokes(pose, filename: str, *, right_handed: bool | None, playback_speed: float, height_m: float | None):
    from sideline.analytics.swing.tennis import MIN_PEAK_SPEED, TORSO_PER_HEIGHT, analyse_strokes

    try:
        analysis = analyse_strokes(pose, right_handed=right_handed, playback_speed=playback_speed,
                                   metres_per_torso=TORSO_PER_HEIGHT * height_m if height_m else None)
    except InvalidInput as exc:
        raise InvalidInput(f"{filename}: {exc.message}") from None
    if not analysis.strokes:
        fastest = float(np.nanmax(analysis.speed)) if np.isfinite(analysis.speed).any() else 0.0
        raise InvalidInput(f"{filename}: no tennis stroke found: the racket wrist never swung faster than "
                           f"{MIN_PEAK_SPEED:.0f} torso lengths/s (fastest {fastest:.1f}) with the whole swing in the clip")
    return analysis


def check_presence(pose, filename: str) -> None:
    present = pose.confidence > 0
    if present.mean() < MIN_PRESENCE:
        raise InvalidInput(f"{filename}: no person found in {1 - present.mean():.0%} of the frames; "
                           "film the whole body, well lit, one person in view")


def find_events(pose, filename: str) -> list:
    from sideline.analytics.swing.golf_events import detect_golf_events

    try:
        return detect_golf_events(pose)
    except InvalidInput as exc:
        raise InvalidInput(f"{filename}: {exc.message}") from None


def check_swing(pose, events: list, filename: str) -> None:
    """Refuse clips where the athlete leaves the frame mid-swing, or swings twice."""
    from sideline.analytics.swing.golf_events import hand_height

    present = pose.confidence > 0
    frames = {e.name: e.frame for e in events}
    swing = slice(frames["address"], frames["finish"] + 1)
    hands = (pose.landmarks[swing, pose.index("left_wrist"), 0], pose.landmarks[swing, pose.index("right_wrist"), 0])
    lost = ~present[swing] | np.isnan(hands[0]) | np.isnan(hands[1])
    if lost.any():
        t = pose.timestamps[swing][lost]
        raise InvalidInput(f"{filename}: the athlete leaves the frame (or is hidden) from {t[0]:.2f} s to {t[-1]:.2f} s "
                           "during the swing; keep the whole body in view")
    # A second swing: after the finish the hands come down, then rise above the shoulders and fall again.
    h = hand_height(pose)[frames["finish"]:]
    down = np.flatnonzero(h < 0.3)
    if down.size:
        later = h[down[0]:]
        up = np.flatnonzero(later > 0.8)
        if up.size and np.any(later[up[0]:] < 0.3):
            start = pose.timestamps[frames["finish"] + down[0] + up[0]]
            raise InvalidInput(f"{filename}: several swings found (another starts near {start:.1f} s); "
                               "upload one swing per clip")


@job_type(ANALYSE_JOB, queue="pose", description="Analyses a swing video: pose, events, metrics, cues, annotated video",
          validate=validate_analyse, generic_api=False)
def analyse_swing(ctx: JobContext) -> dict:
    from sideline.analytics.swing.compare import FEATURE_VERSION, feature_vector, swing_features
    from sideline.analytics.swing.feedback import coaching_cues, swing_metrics, tennis_cues
    from sideline.analytics.swing.views import detect_view
    from sideline.vision.decode import FrameStore
    from sideline.vision.swing_render import render_swing

    if ctx.step_done("store"):
        return ctx.run_step("store", lambda _s: None) or {}
    params = ctx.params
    file_id = uuid.UUID(str(params["file_id"]))
    athlete_id = uuid.UUID(str(params["athlete_id"])) if params.get("athlete_id") else None
    speed = float(params.get("playback_speed", 1.0))
    blobs = ctx.env.blobs
    with tempfile.TemporaryDirectory(prefix="sideline-swing-") as tmp:
        ctx.progress(2, "Fetching the video")
        with ctx.db.session() as s:
            f = s.get(StoredFile, file_id)
            if f is None or f.organisation_id != ctx.organisation_id or f.status != FileStatus.ready:
                raise NotFound(f"file_id: file {file_id} is gone")
            filename = f.filename
            athlete = s.get(Athlete, athlete_id) if athlete_id else None
            if athlete_id and (athlete is None or athlete.organisation_id != ctx.organisation_id):
                raise NotFound("athlete_id: no such athlete in this organisation")
            is_junior = junior(athlete, dt.date.today())
            video = Path(tmp) / sanitize_filename(filename)
            with blobs.open_read(f.blob_key) as reader, video.open("wb") as out:
                while chunk := reader.read(1 << 20):
                    out.write(chunk)
        check_clip(video, filename)
        sport = params.get("sport", "golf")
        pose_message = f"Estimating the pose (BlazePose {params.get('model', 'full')})"
        ctx.progress(5, pose_message)
        kept = FrameStore(KEEP_FRAMES_BYTES)
        pose = estimate_pose(video, sport=sport, model=params.get("model", "full"), athlete=params.get("athlete", "auto"),
                             progress=lambda done: ctx.progress(5 + 65 * done, pose_message), keep_frames=kept)
        check_presence(pose, filename)
        frames = kept if kept.complete else None  # else the render decodes the file again
        given_hand = {"right": True, "left": False}.get(params.get("handedness", "auto"))
        rendered = Path(tmp) / "annotated.mp4"
        render_progress = lambda p: ctx.progress(78 + 18 * p, "Rendering the annotated video")  # noqa: E731
        if sport == "tennis":
            ctx.progress(70, "Finding the strokes")
            analysis = find_strokes(pose, filename, right_handed=given_hand, playback_speed=speed,
                                    height_m=params.get("athlete_height_m"))
            right_handed = analysis.right_handed
            metrics = analysis.to_json()
            cues = [c.to_json() for c in tennis_cues(analysis, junior=is_junior)]
            sport_meta = {"view": analysis.view.view, "shoulder_width": analysis.view.shoulder_width,
                          "athlete": params.get("athlete", "auto")}
            ctx.progress(78, "Rendering the annotated video")
            result = render_swing(video, pose, rendered, events={s.label(): s.frame for s in analysis.strokes},
                                  event_text={s.label(): s.caption(analysis.metres_per_torso) for s in analysis.strokes},
                                  angles={"racket_speed": analysis.speed}, max_side=TENNIS_MAX_SIDE,
                                  progress=render_progress, frames=frames)
            max_side = TENNIS_MAX_SIDE
        else:
            ctx.progress(70, "Finding the swing events")
            events = find_events(pose, filename)
            check_swing(pose, events, filename)
            event_frames = {e.name: e.frame for e in events}
            camera = detect_view(pose, event_frames["address"], event_frames["top"])
            right_handed = given_hand if given_hand is not None else camera.right_handed
            right_handed = True if right_handed is None else right_handed
            features = swing_features(pose, event_frames, view=camera.view, right_handed=right_handed, playback_speed=speed)
            metrics = swing_metrics(features)
            for e in events:
                metrics["events"][e.name]["confidence"] = e.confidence
            cues = [c.to_json() for c in coaching_cues(features, junior=is_junior)]
            sport_meta = {"view": camera.view,
                          "shoulder_width": camera.shoulder_width if np.isfinite(camera.shoulder_width) else None,
                          "feature_vector": [round(float(v), 5) for v in feature_vector(features)],
                          "feature_version": FEATURE_VERSION}
            ctx.progress(78, "Rendering the annotated video")
            shown = {k: v for k, v in features.angles.items() if k in metrics["angles"]}
            result = render_swing(video, pose, rendered, events=event_frames, angles=shown, max_side=MAX_SIDE,
                                  progress=render_progress, frames=frames)
            max_side = MAX_SIDE
        kept.clear()
        video_id = uuid.uuid4()
        key = file_key(ctx.organisation_id, video_id)
        data = rendered.read_bytes()
    blobs.put(key, data)
    stem = Path(filename).stem
    meta = {
        "sport": sport, "club": params.get("club"), "handedness": "right" if right_handed else "left",
        **sport_meta, "playback_speed": speed, "junior": is_junior,
        "pose": swings.pose_meta(pose, max_side), "metrics": metrics, "cues": cues,
        "video": {"file_id": str(video_id), "frames": result.frames, "fps": result.fps,
                  "width": result.width, "height": result.height},
        "source": {"file_id": str(file_id), "filename": filename},
    }
    name = (params.get("name") or "").strip() or stem

    def store(session: Session) -> dict:
        session.add(StoredFile(id=video_id, organisation_id=ctx.organisation_id, athlete_id=athlete_id,
                               filename=sanitize_filename(f"{stem}-annotated.mp4"), content_type="video/mp4",
                               size=len(data), received=len(data), sha256=hashlib.sha256(data).hexdigest(),
                               status=FileStatus.ready, blob_key=key))
        session.flush()
        dataset = swings.save_swing(session, blobs, ctx.organisation_id, pose, name=name, meta=meta,
                                    athlete_id=athlete_id, source_file_id=file_id)
        summary = ({"strokes": metrics["counts"]} if sport == "tennis" else {"tempo": metrics["tempo"]["ratio"]})
        return {"swing_id": str(dataset.id), "video_file_id": str(video_id), **summary}

    try:
        return ctx.run_step("store", store) or {}
    except BaseException:
        blobs.delete(key)
        raise
