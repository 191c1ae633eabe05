"""The annotated video: the original frames with each player's ellipse at the feet in the team's
colour, a label (name or track id, speed when calibrated), a trail of the last second of foot
points, and the ball marker; streamed frame by frame into a browser-playable H.264 MP4.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from sideline.vision import decode
from sideline.vision.mp4_writer import Mp4Writer
from sideline.vision.pipeline import resolve_tracks

OTHER_COLOUR = (200, 200, 200)
BALL_COLOUR = (255, 220, 0)


@dataclass(frozen=True)
class Overlays:
    boxes: bool = True
    labels: bool = True
    trails: bool = True
    ball: bool = True
    speed: bool = True


def _rgb(hex_colour: str | None, fallback=OTHER_COLOUR) -> tuple[int, int, int]:
    if not hex_colour or len(hex_colour) != 7:
        return fallback
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)  # yuv420p needs even sizes


def render_annotated(path: Path, out: str | os.PathLike, *, tracks: pl.DataFrame, ball: pl.DataFrame,
                     track_meta: dict[str, dict], teams: dict[str, dict], positions: pl.DataFrame | None = None,
                     fps: float, max_frames: int | None = None, max_width: int = 1280,
                     overlays: Overlays = Overlays(), expected_frames: int | None = None,
                     progress: Callable[[float], None] | None = None) -> int:
    """Write the annotated MP4 to ``out``; returns the number of frames written."""
    import cv2

    info = decode.probe(path)
    scale = min(1.0, max_width / info.width)
    width, height = _even(info.width * scale), _even(info.height * scale)
    sx, sy = width / info.width, height / info.height
    root = resolve_tracks(track_meta)
    ids = tracks["track_id"].to_numpy()
    shown = np.array([root.get(int(i), int(i)) for i in np.unique(ids)]) if len(ids) else np.empty(0, int)
    root_of = dict(zip(np.unique(ids).tolist(), shown.tolist()))
    frames_col = tracks["frame"].to_numpy()
    order = np.argsort(frames_col, kind="stable")
    frames_sorted = frames_col[order]
    boxes = tracks.select("x0", "y0", "x1", "y1").to_numpy()[order] * [sx, sy, sx, sy]
    track_sorted = ids[order]
    feet = np.column_stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]])
    speed = _speed_lookup(positions)
    ball_frames = ball["frame"].to_numpy()
    ball_xy = ball.select("bx", "by").to_numpy() * [sx, sy]
    trail_frames = max(1, int(round(fps)))
    written = 0
    with Mp4Writer(out, width, height, max(1, int(round(fps)))) as writer:
        for index, _time_s, image in decode.iter_frames(path, max_side=max(width, height)):
            if max_frames is not None and index >= max_frames:
                break
            canvas = writer.canvas
            if image.shape[:2] != (height, width):
                image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            np.copyto(canvas, image)
            lo, hi = np.searchsorted(frames_sorted, [index - trail_frames, index + 1])
            now = np.searchsorted(frames_sorted, index)
            for row in range(now, hi):  # the players in this frame
                track = int(track_sorted[row])
                info_track = track_meta.get(str(root_of.get(track, track))) or {}
                colour = _rgb((teams.get(info_track.get("team")) or {}).get("colour"))
                fx, fy = feet[row]
                x0, y0, x1, y1 = boxes[row]
                if overlays.trails:
                    window = np.flatnonzero(track_sorted[lo:hi] == track) + lo
                    if len(window) > 1:
                        cv2.polylines(canvas, [feet[window].astype(np.int32)], False, colour, 2, cv2.LINE_AA)
                if overlays.boxes:
                    axes = (max(4, int((x1 - x0) * 0.6)), max(2, int((x1 - x0) * 0.2)))
                    cv2.ellipse(canvas, (int(fx), int(fy)), axes, 0, -45, 235, colour, 2, cv2.LINE_AA)
                if overlays.labels:
                    label = info_track.get("name") or f"#{root_of.get(track, track)}"
                    kmh = speed.get((index, track))
                    if overlays.speed and kmh is not None:
                        label += f" {kmh:.0f} km/h"
                    cv2.putText(canvas, label, (int(x0), max(10, int(y0) - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                                colour, 1, cv2.LINE_AA)
            if overlays.ball:
                at = np.searchsorted(ball_frames, index)
                if at < len(ball_frames) and ball_frames[at] == index and np.isfinite(ball_xy[at]).all():
                    bx, by = ball_xy[at]
                    cv2.circle(canvas, (int(bx), int(by)), 6, BALL_COLOUR, 2, cv2.LINE_AA)
            writer.write()
            written += 1
            if progress and expected_frames:
                progress(min(1.0, written / expected_frames))
    return written


def _speed_lookup(positions: pl.DataFrame | None) -> dict[tuple[int, int], float]:
    if positions is None or positions.height == 0 or "speed" not in positions.columns:
        return {}
    rows = positions.filter((pl.col("track_id") >= 0) & pl.col("speed").is_finite())
    return {(f, t): s * 3.6 for f, t, s in rows.select("frame", "track_id", "speed").iter_rows()}
