"""The annotated video: the original frames with each player's ellipse at the feet in the team's
colour, a label (name or track id, speed when calibrated), a trail of the last second of foot
points, the ball marker and, once the video is calibrated, a minimap of the 2D pitch with every
projected player and the ball; streamed frame by frame into a browser-playable H.264 MP4.
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
    minimap: bool = True


PITCH_GREEN = (34, 110, 52)
LINE_WHITE = (235, 235, 235)


class Minimap:
    """A small top-down pitch in the bottom-right corner (+y at the top, as in the 2D player).

    The pitch lines are drawn once into a template; each frame copies it and adds the dots, so
    the per-frame cost is one small copy plus a circle per player."""

    def __init__(self, frame_width: int, frame_height: int, pitch: tuple[float, float] = (105.0, 68.0)):
        import cv2

        self.length, self.width = pitch
        w = _even(max(120, frame_width * 0.24))
        h = _even(w * self.width / self.length)
        margin = 8
        self.box = (frame_width - w - margin, frame_height - h - margin, w, h)  # x, y, w, h
        self.scale = (w - 8) / self.length
        self.template = np.empty((h, w, 3), np.uint8)
        self.template[:] = PITCH_GREEN
        to = self.to_pixels
        corners = to(np.array([[-self.length / 2, self.width / 2], [self.length / 2, -self.width / 2]]))
        cv2.rectangle(self.template, tuple(corners[0]), tuple(corners[1]), LINE_WHITE, 1, cv2.LINE_AA)
        top, bottom = to(np.array([[0.0, self.width / 2], [0.0, -self.width / 2]]))
        cv2.line(self.template, tuple(top), tuple(bottom), LINE_WHITE, 1, cv2.LINE_AA)
        centre = to(np.zeros((1, 2)))[0]
        cv2.circle(self.template, tuple(centre), max(2, int(9.15 * self.scale)), LINE_WHITE, 1, cv2.LINE_AA)
        for side in (-1, 1):  # penalty areas: 16.5 m deep, 40.32 m wide
            box = to(np.array([[side * self.length / 2, 20.16], [side * (self.length / 2 - 16.5), -20.16]]))
            cv2.rectangle(self.template, tuple(box[0]), tuple(box[1]), LINE_WHITE, 1, cv2.LINE_AA)

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """Pitch metres (origin at the centre spot) to minimap pixels."""
        _, _, w, h = self.box
        px = w / 2 + np.asarray(xy)[:, 0] * self.scale
        py = h / 2 - np.asarray(xy)[:, 1] * self.scale
        return np.column_stack([px, py]).round().astype(np.int32)

    def draw(self, canvas: np.ndarray, xy: np.ndarray, colours: list[tuple[int, int, int]],
             ball: np.ndarray | None) -> None:
        import cv2

        x, y, w, h = self.box
        panel = self.template.copy()
        for (px, py), colour in zip(self.to_pixels(xy), colours):
            cv2.circle(panel, (int(px), int(py)), 3, colour, -1, cv2.LINE_AA)
        if ball is not None:
            bx, by = self.to_pixels(ball.reshape(1, 2))[0]
            cv2.circle(panel, (int(bx), int(by)), 2, BALL_COLOUR, -1, cv2.LINE_AA)
        canvas[y:y + h, x:x + w] = panel


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
    minimap = on_pitch = None
    if overlays.minimap and positions is not None and positions.height:
        minimap = Minimap(width, height)
        on_pitch = positions.filter(pl.col("x").is_finite() & pl.col("y").is_finite()).sort("frame", "track_id")
        pitch_frames = on_pitch["frame"].to_numpy()
        pitch_xy = on_pitch.select("x", "y").to_numpy()
        pitch_track = on_pitch["track_id"].to_numpy()

        def team_colour(track: int) -> tuple[int, int, int]:
            info_track = track_meta.get(str(root_of.get(track, track))) or {}
            return _rgb((teams.get(info_track.get("team")) or {}).get("colour"))
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
            if minimap is not None:
                a, b = np.searchsorted(pitch_frames, [index, index + 1])
                players = pitch_track[a:b] >= 0
                ball_rows = np.flatnonzero(~players)
                minimap.draw(canvas, pitch_xy[a:b][players], [team_colour(int(t)) for t in pitch_track[a:b][players]],
                             pitch_xy[a + ball_rows[0]] if len(ball_rows) else None)
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
