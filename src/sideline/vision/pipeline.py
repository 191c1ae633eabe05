"""The video analysis stages as streaming functions: probe, detect, track (+ re-link), identify
(teams by kit colour), project (calibrated foot points to pitch metres), and the canonical
football ``Tracking`` built from the projected tracks.

Each stage takes the previous stage's tables and returns its own (Polars, one row per box or per
frame), so the job can store every stage's result and resume after the last one that finished.
Frames are decoded in batches and never held all at once; detection runs on a downscaled copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from sideline.core.football import (
    AWAY, BALL_UNKNOWN, HOME, OWNER_UNKNOWN, MatchMeta, Period, Player, Team, Tracking,
)
from sideline.errors import InvalidInput
from sideline.vision import decode
from sideline.vision.detect.base import PERSON, SPORTS_BALL, Detections
from sideline.vision.track.teams import HUE_BINS, PLAYER, SAT_BINS, VAL_BINS, assign_roles, kit_histograms

Progress = Callable[[float, str], None]
HIST_COLUMNS = [f"h_{i}" for i in range(HUE_BINS * SAT_BINS * VAL_BINS)]
DETECTORS = ("nanodet", "centernet", "centernet_tiled", "yolox_nano")  # plus onnx:<file id>, ultralytics[:weights]
MIN_TRACK_SECONDS = 0.5  # shorter fragments are noise: no team, no player in the match


@dataclass(frozen=True)
class VideoProbe:
    width: int
    height: int
    fps: float
    frame_count: int | None
    duration_s: float | None


def probe_video(path: Path, display_name: str) -> VideoProbe:
    """Size and rate, or InvalidInput naming the file: unreadable, audio-only, zero frames."""
    try:
        info = decode.probe(path)
    except InvalidInput as exc:
        raise InvalidInput(str(exc).replace(repr(path.name), repr(display_name))) from None
    first = next(decode.iter_frames(path, max_side=64), None)
    if first is None or info.width == 0 or info.height == 0:
        raise InvalidInput(f"{display_name!r} has a video stream with no frames")
    return VideoProbe(info.width, info.height, info.nominal_fps or 25.0, info.frame_count, info.duration_s)


def make_detector(name: str, *, model_path: Path | None = None, display_name: str | None = None):
    """A detector by its option value: a built-in name, ``onnx:<file id>`` (the user's YOLO export,
    ``model_path`` being that file on disk) or ``ultralytics[:weights]`` (the optional AGPL extra)."""
    from sideline.vision.detect.ball import BallAware
    from sideline.vision.detect.onnx_coco import CenterNetDetector, NanoDetDetector, YoloOnnxDetector
    from sideline.vision.detect.tiling import TiledDetector

    if name == "nanodet":
        return NanoDetDetector()
    if name == "centernet":
        return CenterNetDetector()
    if name == "centernet_tiled":
        # Tiles give the ball enough pixels; the ball prior halves its false positives. A lower ball
        # threshold found no more balls on the labelled frames, only 4-20x more false ones (docs/video.md).
        return BallAware(TiledDetector(CenterNetDetector(), tile_size=320, overlap=80))
    if name == "yolox_nano":
        return YoloOnnxDetector("yolox_nano")
    if name.startswith("onnx:"):
        if model_path is None:
            raise InvalidInput(f"detector: {name!r} needs its uploaded model file")
        return YoloOnnxDetector(str(model_path), display_name=display_name)
    if name == "ultralytics" or name.startswith("ultralytics:"):
        from sideline.vision.detect.ultralytics_backend import DEFAULT_WEIGHTS, UltralyticsDetector

        return UltralyticsDetector(name.partition(":")[2] or DEFAULT_WEIGHTS)
    raise InvalidInput(f"detector: {name!r} is not one of {', '.join(DETECTORS)}, onnx:<file id> or ultralytics")


def _green_share(image: np.ndarray) -> float:
    """Share of grass-coloured pixels (green hue, saturated, not dark): a cheap "is a pitch in
    view" check. Weak: a green-tinted floor passes too (the vtest.avi plaza reads 43 %)."""
    import cv2

    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    return float(((hsv[..., 0] >= 35) & (hsv[..., 0] <= 85) & (hsv[..., 1] >= 60) & (hsv[..., 2] >= 40)).mean())


def detect_stage(path: Path, detector, *, max_frames: int | None = None, detect_side: int = 960,
                 batch_size: int = 8, progress: Progress | None = None,
                 expected_frames: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame, float]:
    """Detect people and the ball in every frame.

    Returns (frames: one row per frame with ``t``/``frame``; detections: one row per box in
    full-resolution pixels with kit histograms and mean shirt colour; share of grass pixels).
    """
    full = decode.probe(path)
    frame_rows: list[tuple[int, float]] = []
    parts: list[pl.DataFrame] = []
    green: list[float] = []
    for batch in decode.iter_batches(path, batch_size, max_side=detect_side):
        scale = full.width / batch.images.shape[2]
        for index, time_s, image in zip(batch.indices, batch.times, batch.images):
            if max_frames is not None and index >= max_frames:
                break
            frame_rows.append((int(index), float(time_s)))
            if index % 25 == 0:
                green.append(_green_share(image))
            found: Detections = detector.detect(image)
            found = found[np.isin(found.class_id, [PERSON, SPORTS_BALL])]
            if not len(found):
                continue
            people = found.class_id == PERSON
            hist = np.zeros((len(found), len(HIST_COLUMNS)), np.float32)
            if people.any():
                hist[people] = kit_histograms(image, found.xyxy[people])
            shirt = _shirt_rgb(image, found.xyxy)
            xyxy = found.xyxy * scale
            parts.append(pl.DataFrame({
                "t": np.full(len(found), time_s), "frame": np.full(len(found), index, np.int64),
                "x0": xyxy[:, 0], "y0": xyxy[:, 1], "x1": xyxy[:, 2], "y1": xyxy[:, 3],
                "confidence": found.confidence, "class_id": found.class_id,
                "r": shirt[:, 0], "g": shirt[:, 1], "b": shirt[:, 2],
                **{c: hist[:, i] for i, c in enumerate(HIST_COLUMNS)},
            }))
        if progress and expected_frames:
            progress(min(1.0, len(frame_rows) / expected_frames), f"Detected {len(frame_rows)} frames")
        if max_frames is not None and len(frame_rows) >= max_frames:
            break
    if not frame_rows:
        raise InvalidInput("the video has no frames to analyse")
    frames = pl.DataFrame({"t": [t for _, t in frame_rows], "frame": [i for i, _ in frame_rows]},
                          schema={"t": pl.Float64, "frame": pl.Int64})
    detections = pl.concat(parts) if parts else _empty_detections()
    return frames, detections, float(np.mean(green)) if green else 0.0


def _empty_detections() -> pl.DataFrame:
    schema = {"t": pl.Float64, "frame": pl.Int64, **{c: pl.Float64 for c in ("x0", "y0", "x1", "y1", "confidence")},
              "class_id": pl.Int64, "r": pl.Float64, "g": pl.Float64, "b": pl.Float64,
              **{c: pl.Float32 for c in HIST_COLUMNS}}
    return pl.DataFrame(schema=schema)


def _shirt_rgb(image: np.ndarray, xyxy: np.ndarray) -> np.ndarray:
    """[N, 3] mean colour of the shirt region's centre pixels (what boxes are drawn in)."""
    height, width = image.shape[:2]
    cx = np.clip(((xyxy[:, 0] + xyxy[:, 2]) / 2).astype(int), 0, width - 1)
    cy = np.clip((xyxy[:, 1] + 0.3 * (xyxy[:, 3] - xyxy[:, 1])).astype(int), 0, height - 1)
    # A 3x3 neighbourhood around the shirt centre, gathered for all boxes at once.
    dx, dy = np.meshgrid(np.arange(-1, 2), np.arange(-1, 2))
    xs = np.clip(cx[:, None] + dx.ravel()[None], 0, width - 1)
    ys = np.clip(cy[:, None] + dy.ravel()[None], 0, height - 1)
    return image[ys, xs].mean(axis=1)


def track_stage(frames: pl.DataFrame, detections: pl.DataFrame, fps: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """ByteTrack over the people, re-linked with kit appearance; the ball by its Kalman tracker.

    Returns (tracks: one row per tracked box with ``track_id``; ball: one row per frame, NaN where lost).
    """
    from sideline.vision.track.ball import track_ball
    from sideline.vision.track.bytetrack import ByteTrack, track_table
    from sideline.vision.track.evaluate import BoxTable
    from sideline.vision.track.relink import relink

    if "class_id" not in detections.columns:  # no box in the whole video: the stream reads back as just ``t``
        detections = _empty_detections()
    people = detections.filter(pl.col("class_id") == PERSON).sort("frame")
    boxes = people.select("x0", "y0", "x1", "y1").to_numpy()
    table = BoxTable(people["frame"].to_numpy(), np.full(people.height, -1), boxes, people["confidence"].to_numpy())
    # The detectors here score far broadcast players 0.3-0.5: ByteTrack's default 0.6 activation
    # would start no track at all, so the activation threshold sits just above the detector's.
    tracker = ByteTrack(frame_rate=fps, activation_threshold=0.35, high_confidence=0.4)
    tracked = track_table(table, tracker) if len(table) else table
    tracked = tracked.select(tracked.track_id >= 0)
    # Appearance for re-linking: the histogram of the detection each tracked box came from.
    hist = _match_rows(people, tracked)
    linked = relink(tracked, appearance=hist, max_gap_frames=int(3 * fps)) if len(tracked) else tracked
    times = dict(zip(frames["frame"].to_list(), frames["t"].to_list()))
    tracks = pl.DataFrame({
        "t": [times[int(f)] for f in linked.frame], "frame": linked.frame.astype(np.int64),
        "track_id": linked.track_id.astype(np.int64), "x0": linked.xyxy[:, 0], "y0": linked.xyxy[:, 1],
        "x1": linked.xyxy[:, 2], "y1": linked.xyxy[:, 3], "confidence": linked.confidence,
    }, schema_overrides={"t": pl.Float64}).sort("t", "track_id")

    balls = detections.filter(pl.col("class_id") == SPORTS_BALL)
    centres = balls.select(((pl.col("x0") + pl.col("x1")) / 2).alias("cx"), ((pl.col("y0") + pl.col("y1")) / 2).alias("cy"),
                           "frame")
    frame_ids = frames["frame"].to_numpy()
    per_frame = centres.group_by("frame").agg("cx", "cy")
    lookup = {f: np.column_stack([cx, cy]) for f, cx, cy in per_frame.iter_rows()}
    positions, measured = track_ball([lookup.get(int(f), np.empty((0, 2))) for f in frame_ids])
    ball = pl.DataFrame({"t": frames["t"], "frame": frames["frame"], "bx": positions[:, 0], "by": positions[:, 1],
                         "measured": measured})
    return tracks, ball


def _match_rows(people: pl.DataFrame, tracked) -> np.ndarray:
    """Kit histograms of the detections nearest each tracked box (same frame, nearest centre)."""
    if not len(tracked):
        return np.zeros((0, len(HIST_COLUMNS)))
    frames = people["frame"].to_numpy()
    centres = np.column_stack([(people["x0"] + people["x1"]).to_numpy() / 2, (people["y0"] + people["y1"]).to_numpy() / 2])
    hist = people.select(HIST_COLUMNS).to_numpy()
    tracked_centres = (tracked.xyxy[:, :2] + tracked.xyxy[:, 2:]) / 2
    out = np.zeros((len(tracked), hist.shape[1]))
    starts = np.searchsorted(frames, tracked.frame, side="left")
    ends = np.searchsorted(frames, tracked.frame, side="right")
    for frame in np.unique(tracked.frame):  # one small distance matrix per frame
        rows = np.flatnonzero(tracked.frame == frame)
        lo, hi = starts[rows[0]], ends[rows[0]]
        if hi == lo:
            continue
        distance = np.linalg.norm(tracked_centres[rows, None] - centres[None, lo:hi], axis=2)
        out[rows] = hist[lo + distance.argmin(axis=1)]
    return out


def identify_stage(tracks: pl.DataFrame, detections: pl.DataFrame, fps: float) -> dict[str, dict]:
    """Per track: rows, time span, team (``home``/``away`` by kit clustering, ``other`` when too
    short to tell or not a team player), role (``player``/``goalkeeper``/``official``, from kits
    that match neither team: ``teams.assign_roles``) and mean shirt colour. Raises when no people were found at all."""
    if tracks.height == 0 or "track_id" not in tracks.columns:
        raise InvalidInput("no players were found in the video: is a pitch with players visible?")
    people = detections.filter(pl.col("class_id") == PERSON)
    joined = tracks.join(people.select("frame", "x0", "y0", "r", "g", "b", *HIST_COLUMNS), on=["frame"], how="inner")
    # The detection a tracked box came from is the one whose top-left corner is nearest.
    joined = (joined.with_columns(((pl.col("x0") - pl.col("x0_right")) ** 2 + (pl.col("y0") - pl.col("y0_right")) ** 2)
                                  .alias("d2"))
              .sort("d2").unique(subset=["frame", "track_id"], keep="first"))
    summary = (joined.group_by("track_id").agg(pl.len().alias("rows"), pl.col("t").min().alias("first_t"),
                                                pl.col("t").max().alias("last_t"), pl.col("r").median(),
                                                pl.col("g").median(), pl.col("b").median(),
                                                *[pl.col(c).mean() for c in HIST_COLUMNS])
               .sort("track_id"))
    long_enough = (summary["rows"] >= max(3, int(MIN_TRACK_SECONDS * fps))).to_numpy()
    teams = np.full(summary.height, -1)
    roles = np.full(summary.height, PLAYER, dtype=object)
    if long_enough.sum() >= 2:
        teams[long_enough], roles[long_enough] = assign_roles(
            summary.filter(pl.Series(long_enough)).select(HIST_COLUMNS).to_numpy())
    out: dict[str, dict] = {}
    for row, team, role in zip(summary.select("track_id", "rows", "first_t", "last_t", "r", "g", "b").iter_rows(),
                               teams, roles):
        track_id, rows, first_t, last_t, r, g, b = row
        out[str(track_id)] = {"team": (HOME, AWAY)[team] if team >= 0 else "other", "role": str(role),
                              "name": None, "athlete_id": None,
                              "merged_into": None, "rows": int(rows), "first_t": float(first_t),
                              "last_t": float(last_t), "colour": _hex(r, g, b)}
    return out


def _hex(r: float, g: float, b: float) -> str:
    return "#" + "".join(f"{int(np.clip(round(v), 0, 255)):02x}" for v in (r, g, b))


CAMERA_MODES = ("auto", "fixed", "panning")


def camera_stage(path: Path, frames: pl.DataFrame, detections: pl.DataFrame, *, detect_side: int = 960,
                 region: str = "scene", progress: Progress | None = None) -> pl.DataFrame:
    """Camera motion from each analysed frame to the next (``calibrate_propagate``), at detection
    resolution with the detected people masked out; one row per frame of ``frames``."""
    from sideline.vision.calibrate_propagate import CameraMotionEstimator, MotionOptions

    full = decode.probe(path)
    frame_ids = frames["frame"].to_numpy()
    if "class_id" not in detections.columns:
        detections = _empty_detections()
    people = detections.filter(pl.col("class_id") == PERSON).sort("frame")
    box_frames = people["frame"].to_numpy()
    boxes = people.select("x0", "y0", "x1", "y1").to_numpy()
    estimator = None
    done = 0
    for batch in decode.iter_batches(path, 8, max_side=detect_side):
        if estimator is None:
            height, width = batch.images.shape[1:3]
            estimator = CameraMotionEstimator(MotionOptions(region=region), (full.width / width, full.height / height))
        for index, image in zip(batch.indices, batch.images):
            if done >= len(frame_ids):
                break
            lo, hi = np.searchsorted(box_frames, [index, index + 1])
            estimator.update(image, boxes[lo:hi])
            done += 1
        if progress:
            progress(min(1.0, done / max(1, len(frame_ids))), f"camera motion of {done} frames")
        if done >= len(frame_ids):
            break
    if estimator is None or done < len(frame_ids):
        raise InvalidInput(f"the video has {done} frames now but {len(frame_ids)} were analysed: was the file replaced?")
    return frames.select("t", "frame").hstack(pl.DataFrame(estimator.table().to_columns()))


def keyframes_of(calibration: dict | None) -> list[dict]:
    """The calibrated keyframes (frame, image/pitch points, matrix); an older single calibration is one."""
    if not calibration:
        return []
    if "keyframes" in calibration:
        return sorted(calibration["keyframes"], key=lambda k: k["frame"])
    return [{k: calibration[k] for k in ("frame", "image_points", "pitch_points", "matrix", "residuals_m")
             if k in calibration}]


def frame_homographies(frames: pl.DataFrame, motion: pl.DataFrame | None, keyframes: list[dict], *,
                       mode: str, size: tuple[int, int], pitch: tuple[float, float],
                       max_drift_m: float = 1.5) -> tuple[pl.DataFrame, dict]:
    """Image -> pitch homography and reliability per analysed frame, and a summary for the video.

    ``fixed`` (or ``auto`` when the camera did not move): one homography fitted to every keyframe's
    points. ``panning`` (or ``auto`` when it moved): propagated through the camera motion."""
    from sideline.vision.calibrate import fit_homography
    from sideline.vision.calibrate_propagate import MATRIX_COLUMNS, MotionTable, Propagated, propagate

    frame_ids = frames["frame"].to_numpy()
    n = len(frame_ids)
    rows = np.searchsorted(frame_ids, [k["frame"] for k in keyframes])
    if np.any(rows >= n) or np.any(frame_ids[np.minimum(rows, n - 1)] != [k["frame"] for k in keyframes]):
        raise InvalidInput("calibration: a keyframe is not one of the analysed frames")
    matrices = {int(r): np.asarray(k["matrix"], np.float64) for r, k in zip(rows, keyframes)}

    def joint() -> np.ndarray:
        if len(keyframes) == 1:
            return matrices[int(rows[0])]
        return fit_homography([p for k in keyframes for p in k["image_points"]],
                              [p for k in keyframes for p in k["pitch_points"]]).matrix

    motion_table = None
    if mode != "fixed" and motion is not None and motion.height == n:
        motion_table = MotionTable.from_columns({c: motion[c].to_numpy() for c in motion.columns})
    if motion_table is None:
        if mode == "panning":
            raise InvalidInput("the camera motion of this video is missing: run its camera stage again")
        one = joint()
        result = Propagated(np.repeat(one[None], n, 0), np.ones(n, bool), np.zeros(n), np.full(n, rows[0]),
                            np.full(n, "", dtype=object), static=True)
    else:
        try:
            fixed = joint() if mode == "auto" else None
        except InvalidInput:  # the keyframes disagree: the camera moved after all
            fixed = None
        result = propagate(motion_table, matrices, size=size, pitch=pitch, max_drift_m=max_drift_m,
                           allow_static=mode == "auto" and fixed is not None, fixed=fixed)
    flat = result.matrix.reshape(n, 9)
    columns = {name: flat[:, i] for i, name in enumerate(MATRIX_COLUMNS)}
    table = frames.select("t", "frame").with_columns(
        *[pl.Series(k, v) for k, v in columns.items()],
        pl.Series("reliable", result.reliable), pl.Series("drift_m", result.drift_m),
        pl.Series("keyframe", np.where(result.keyframe >= 0, frame_ids[np.maximum(result.keyframe, 0)], -1)),
        pl.Series("reason", result.reason.astype(str)),
        pl.Series("inlier_ratio", motion_table.inlier_ratio if motion_table is not None and not result.static else np.ones(n)),
        pl.Series("error_px", motion_table.error_px if motion_table is not None and not result.static else np.zeros(n)),
        pl.Series("cut", motion_table.cut & (np.arange(n) > 0) if motion_table is not None else np.zeros(n, bool)))
    times = frames["t"].to_numpy()
    summary = {
        "mode": "fixed" if result.static else "panning", "frames": n, "reliable_frames": int(result.reliable.sum()),
        "unreliable_spans": _spans(times, ~result.reliable, result.reason),
        "cuts": [float(t) for t in times[table["cut"].to_numpy()]][:500],
        "closure_m": {str(int(frame_ids[r])): round(float(v), 3) for r, v in result.closure_m.items()},
        "max_drift_m": max_drift_m,
    }
    return table, summary


def _spans(times: np.ndarray, flag: np.ndarray, reason: np.ndarray, limit: int = 500) -> list[list]:
    """[t_start, t_end, reason] for each run of flagged frames (at most ``limit``, the longest kept)."""
    if not flag.any():
        return []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flag.astype(np.int8), [0]])))
    starts, ends = edges[::2], edges[1::2] - 1
    spans = [[float(times[a]), float(times[b]), str(reason[a])] for a, b in zip(starts, ends)]
    if len(spans) > limit:
        keep = sorted(sorted(range(len(spans)), key=lambda i: spans[i][0] - spans[i][1])[:limit])
        spans = [spans[i] for i in keep]
    return spans


def project_stage(tracks: pl.DataFrame, ball: pl.DataFrame, homographies, pitch_length: float,
                  pitch_width: float) -> pl.DataFrame:
    """Foot points (box bottom-centre) to pitch metres; the ball's image point as if on the grass.

    ``homographies`` is one ``Homography`` for every frame (fixed camera) or the per-frame table of
    ``frame_homographies``: rows of frames whose calibration is unreliable get no position (none
    made up). Points more than 5 m outside the pitch are dropped (a projection of something off the
    pitch, e.g. a spectator, or above the horizon)."""
    feet = np.column_stack([((tracks["x0"] + tracks["x1"]) / 2).to_numpy(), tracks["y1"].to_numpy()])
    xy = _to_pitch(homographies, tracks["frame"].to_numpy(), feet)
    margin = 5.0
    inside = (np.abs(xy[:, 0]) <= pitch_length / 2 + margin) & (np.abs(xy[:, 1]) <= pitch_width / 2 + margin)
    players = tracks.select("t", "frame", "track_id").with_columns(
        pl.Series("x", xy[:, 0]), pl.Series("y", xy[:, 1])).filter(pl.Series(inside))
    ball_rows = ball.filter(pl.col("bx").is_not_nan())
    ball_xy = _to_pitch(homographies, ball_rows["frame"].to_numpy(), ball_rows.select("bx", "by").to_numpy())
    on = np.isfinite(ball_xy).all(axis=1)
    balls = ball_rows.select("t", "frame").with_columns(pl.lit(-1, pl.Int64).alias("track_id"),
                                                        pl.Series("x", ball_xy[:, 0]), pl.Series("y", ball_xy[:, 1]))
    return pl.concat([players, balls.filter(pl.Series(on))]).sort("t", "track_id")


def _to_pitch(homographies, frames: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Image points of the given frames to pitch metres (NaN where the frame is unreliable)."""
    from sideline.vision.calibrate_propagate import MATRIX_COLUMNS, apply_homographies

    if len(points) == 0:
        return np.zeros((0, 2))
    if not isinstance(homographies, pl.DataFrame):
        return homographies.to_pitch(points)
    table = homographies.sort("frame")
    ids = table["frame"].to_numpy()
    matrices = np.column_stack([table[c].to_numpy() for c in MATRIX_COLUMNS]).reshape(-1, 3, 3)
    matrices[~table["reliable"].to_numpy()] = np.nan
    rows = np.clip(np.searchsorted(ids, frames), 0, len(ids) - 1)
    known = ids[rows] == frames
    out = np.full((len(points), 2), np.nan)
    out[known] = apply_homographies(matrices[rows[known]], points[known])
    return out


def resolve_tracks(track_meta: dict[str, dict]) -> dict[int, int]:
    """track id -> the id it is merged into (following chains; itself when not merged)."""
    out: dict[int, int] = {}
    for key in track_meta:
        node, seen = int(key), set()
        while track_meta.get(str(node), {}).get("merged_into") is not None and node not in seen:
            seen.add(node)
            node = int(track_meta[str(node)]["merged_into"])
        out[int(key)] = node
    return out


def build_tracking(frames: pl.DataFrame, positions: pl.DataFrame, track_meta: dict[str, dict], *, fps: float,
                   pitch_length: float, pitch_width: float, teams: dict[str, dict], name: str) -> Tracking:
    """The canonical tracking: one player per (merged) track of team home/away, video time on one period."""
    root = resolve_tracks(track_meta)
    players_ids = sorted({root[int(k)] for k, v in track_meta.items()
                          if track_meta[str(root[int(k)])]["team"] in (HOME, AWAY)})
    if not players_ids:
        raise InvalidInput("no track belongs to a team: set the team of some tracks first")
    players = tuple(Player(player_id=track_meta[str(i)].get("athlete_id") or f"track-{i}",
                           side=track_meta[str(i)]["team"], name=track_meta[str(i)].get("name") or f"Track {i}")
                    for i in players_ids)
    column = {tid: n for n, tid in enumerate(players_ids)}
    frame_ids = frames["frame"].to_numpy()
    t = frames["t"].to_numpy().astype(np.float64)
    t = t - t[0]
    mapped = positions.with_columns(pl.col("track_id").replace_strict(
        {k: column.get(v, -2) for k, v in root.items()} | {-1: -1}, default=-2).alias("column"))
    # Merged fragments seen in the same frame: average them.
    mapped = mapped.filter(pl.col("column") != -2).group_by("frame", "column").agg(pl.col("x").mean(), pl.col("y").mean())
    row = np.searchsorted(frame_ids, mapped["frame"].to_numpy())
    col = mapped["column"].to_numpy()
    xy = np.full((len(frame_ids), len(players), 2), np.nan, np.float32)
    is_player = col >= 0
    xy[row[is_player], col[is_player], 0] = mapped["x"].to_numpy()[is_player]
    xy[row[is_player], col[is_player], 1] = mapped["y"].to_numpy()[is_player]
    ball = np.full((len(frame_ids), 3), np.nan, np.float32)
    ball[row[~is_player], 0] = mapped["x"].to_numpy()[~is_player]
    ball[row[~is_player], 1] = mapped["y"].to_numpy()[~is_player]
    meta = MatchMeta(provider="video", home=Team("home", HOME, teams.get(HOME, {}).get("name") or "Home",
                                                 teams.get(HOME, {}).get("colour")),
                     away=Team("away", AWAY, teams.get(AWAY, {}).get("name") or "Away", teams.get(AWAY, {}).get("colour")),
                     players=players, pitch_length=pitch_length, pitch_width=pitch_width,
                     periods=(Period(1, 0.0, float(t[-1]), 0.0),), frame_rate=fps, match_id=name,
                     warnings=("positions from a calibrated video: foot points projected on the pitch plane; "
                               "the ball is placed where it would touch the grass",))
    n = len(frame_ids)
    return Tracking(meta=meta, frame_id=frame_ids.astype(np.int64), period=np.ones(n, np.int8), t=t, xy=xy, ball=ball,
                    ball_state=np.full(n, BALL_UNKNOWN, np.int8), ball_owning_team=np.full(n, OWNER_UNKNOWN, np.int8))


def with_speed(positions: pl.DataFrame, fps: float, window_s: float = 0.5) -> pl.DataFrame:
    """Add ``speed`` (m/s) per row: distance over the last ``window_s`` divided by its duration
    (a centred difference would need the future; this is what an on-screen label can show)."""
    lag = max(1, int(round(window_s * fps)))
    return (positions.sort("track_id", "t")
            .with_columns((((pl.col("x") - pl.col("x").shift(lag).over("track_id")) ** 2
                            + (pl.col("y") - pl.col("y").shift(lag).over("track_id")) ** 2).sqrt()
                           / (pl.col("t") - pl.col("t").shift(lag).over("track_id"))).alias("speed"))
            .sort("t", "track_id"))
