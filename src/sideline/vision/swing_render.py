"""Annotated swing video: the athlete's skeleton, event markers and angle readouts drawn on the
original frames, encoded as a browser-playable H.264 MP4 (frames are encoded as they are drawn).

The frames are the pose stage's own (``frames``: a ``FrameStore`` it filled) or, when those were
not kept, the video decoded again at the size the pose was estimated at, so landmark pixels land
on the picture. Frames are written at the clip's nominal rate (variable-rate phone footage plays
back at its average rate; the pose keeps the real timestamps). Text labels are drawn once per
distinct text and pasted (same pixels; FreeType rendering took a seventh of the render's time).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageDraw

from sideline.core.pose import BLAZEPOSE_KEYPOINTS, COCO_KEYPOINTS, PoseSequence
from sideline.errors import InvalidInput
from sideline.vision.decode import iter_frames, probe
from sideline.vision.mp4_writer import Mp4Writer
from sideline.vision.pitch_drawing import displayable, font

BONES = (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
         ("right_shoulder", "right_hip"), ("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
         ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"), ("left_hip", "left_knee"),
         ("left_knee", "left_ankle"), ("right_hip", "right_knee"), ("right_knee", "right_ankle"))
LEFT, RIGHT, CENTRE = (255, 170, 40), (60, 200, 255), (240, 240, 240)
EVENT_HOLD_S = 0.4  # an event's label stays on screen this long after its frame
ANGLE_LABELS = {"spine_tilt": ("Spine", "°"), "lead_arm": ("Lead arm", "°"), "lead_knee_flex": ("Lead knee", "°"),
                "trail_knee_flex": ("Trail knee", "°"), "hand_height": ("Hands", " torso"),
                "racket_speed": ("Racket wrist", " torso/s")}


@dataclass(frozen=True)
class RenderResult:
    frames: int
    width: int
    height: int
    fps: int
    bytes: int


def _bone_colour(a: str, b: str) -> tuple[int, int, int]:
    if a.startswith("left") and b.startswith("left"):
        return LEFT
    if a.startswith("right") and b.startswith("right"):
        return RIGHT
    return CENTRE


def render_swing(video: str | Path, pose: PoseSequence, out: str | os.PathLike | BinaryIO, *,
                 events: dict[str, int] | None = None, angles: dict[str, np.ndarray] | None = None,
                 max_side: int | None = None, min_visibility: float = 0.3,
                 progress: Callable[[float], None] | None = None,
                 event_text: dict[str, str] | None = None,
                 frames: Iterable[tuple[int, float, np.ndarray]] | None = None) -> RenderResult:
    """Draw ``pose`` (estimated on ``video`` decoded with the same ``max_side``) onto the video.

    ``events`` name -> frame are marked on a timeline bar and named for EVENT_HOLD_S after their
    frame (``event_text`` name -> caption replaces the name, e.g. a tennis stroke's type and
    speed); ``angles`` name -> [T] values are read out in the corner (NaN shows as "—").
    ``frames``: (index, time, RGB) of ``video`` already decoded at ``max_side`` (a complete
    ``FrameStore``), so it is not decoded again; None decodes it.
    """
    if pose.keypoint_names not in (BLAZEPOSE_KEYPOINTS, COCO_KEYPOINTS):
        raise InvalidInput("the annotated video needs a BlazePose or COCO pose")
    info = probe(video, max_side=max_side)
    if (info.width, info.height) != tuple(pose.frame_size):
        raise InvalidInput(f"the pose was estimated at {pose.frame_size[0]}x{pose.frame_size[1]} but "
                           f"{Path(str(video)).name} decodes at {info.width}x{info.height}; use the same max_side")
    width, height = info.width - info.width % 2, info.height - info.height % 2  # yuv420p needs even sizes
    fps = max(1, round(info.nominal_fps or pose.nominal_fps or 30))
    bones = [(pose.index(a), pose.index(b), _bone_colour(a, b)) for a, b in BONES]
    events = events or {}
    captions = event_text or {}
    event_times = sorted((pose.timestamps[f], captions.get(name, name.replace("_", " ").upper()))
                         for name, f in events.items() if 0 <= f < len(pose))
    size = max(12, height // 40)
    line = max(2, height // 300)
    n = len(pose)
    with Mp4Writer(out, width, height, fps) as writer:
        for index, _, image in (iter_frames(video, max_side=max_side) if frames is None else frames):
            if index >= n:
                break
            if image.shape[:2] != (info.height, info.width):
                raise InvalidInput(f"frame {index} is {image.shape[1]}x{image.shape[0]}, not {info.width}x{info.height}")
            canvas = Image.fromarray(image[:height, :width])
            draw = ImageDraw.Draw(canvas)
            points, visible = pose.landmarks[index, :, :2], pose.visibility[index] >= min_visibility
            known = visible & np.isfinite(points).all(axis=1) & (pose.confidence[index] > 0)
            for a, b, colour in bones:
                if known[a] and known[b]:
                    draw.line([tuple(points[a]), tuple(points[b])], fill=colour, width=line)
            r = line + 1
            for x, y in points[known]:
                draw.ellipse([x - r, y - r, x + r, y + r], fill=CENTRE)
            _readouts(canvas, index, angles or {}, size)
            _event_overlay(canvas, draw, pose, index, event_times, width, height, size)
            writer.write(np.asarray(canvas))
            if progress is not None and index % 10 == 0:
                progress(min(1.0, (index + 1) / n))
    return RenderResult(writer.frames, width, height, fps, writer.bytes)


def _readouts(canvas: Image.Image, index: int, angles: dict[str, np.ndarray], size: int) -> None:
    y = size // 2
    for name, values in angles.items():
        label, unit = ANGLE_LABELS.get(name, (name, ""))
        value = values[index] if index < len(values) else np.nan
        shown = ("—" if not np.isfinite(value) else
                 f"{value:.2f}{unit}" if unit == " torso" else f"{value:.1f}{unit}" if unit == " torso/s"
                 else f"{value:.0f}{unit}")
        patch, (dx, dy) = _label(f"{label}: {shown}", size, (0, 0, 0), (255, 255, 255), (4, 2, 4, 2))
        canvas.paste(patch, (size // 2 + dx, y + dy))
        y += int(size * 1.4)


def _event_overlay(canvas: Image.Image, draw: ImageDraw.ImageDraw, pose: PoseSequence, index: int,
                   event_times: list[tuple[float, str]], width: int, height: int, size: int) -> None:
    t0, t1 = float(pose.timestamps[0]), float(pose.timestamps[-1])
    span = max(t1 - t0, 1e-6)
    bar_y, left, right = height - size, size, width - size
    draw.rectangle([left, bar_y - 2, right, bar_y + 2], fill=(90, 90, 90))
    now = float(pose.timestamps[index])
    for time_s, _ in event_times:
        x = left + (right - left) * (time_s - t0) / span
        draw.rectangle([x - 2, bar_y - size // 2, x + 2, bar_y + size // 2], fill=(255, 220, 0))
    x_now = left + (right - left) * (now - t0) / span
    draw.ellipse([x_now - 5, bar_y - 5, x_now + 5, bar_y + 5], fill=(255, 60, 60))
    shown = [name for time_s, name in event_times if 0 <= now - time_s <= EVENT_HOLD_S]
    if shown:
        patch, (dx, dy) = _label(shown[-1], size, (255, 220, 0), (0, 0, 0), (8, 4, 8, 8), origin_anchor=True)
        text_w, text_h = patch.width - 17, patch.height - 13  # the text box inside the 8/4/8/8 margins
        x = (width - text_w) // 2
        y = bar_y - 2 * size - text_h
        canvas.paste(patch, (x + dx, y + dy))


@lru_cache(maxsize=2048)
def _label(text: str, size: int, background: tuple[int, int, int], ink: tuple[int, int, int],
           margin: tuple[int, int, int, int], origin_anchor: bool = False) -> tuple[Image.Image, tuple[int, int]]:
    """``text`` on a filled box (``margin`` left, top, right, bottom around its ink box), as an image
    and the offset of its top-left corner from the point the text is drawn at. With
    ``origin_anchor`` the box is measured from the drawing point instead of the ink (the event
    caption's layout). Drawn once per distinct text, then pasted."""
    text = displayable(text, size)
    text_font = font(size)
    b0, b1, b2, b3 = ImageDraw.Draw(Image.new("RGB", (1, 1))).textbbox((0, 0), text, font=text_font)
    left, top, right, bottom = margin
    # The box spans the ink box's size plus the margins (both corners inclusive, as PIL's rectangle);
    # it starts at the ink's corner, or at the drawing point for ``origin_anchor``.
    corner = (-left, -top) if origin_anchor else (b0 - left, b1 - top)
    extent = (b2 - b0 + left + right + 1, b3 - b1 + top + bottom + 1)
    patch = Image.new("RGB", extent, background)
    ImageDraw.Draw(patch).text((-corner[0], -corner[1]), text, font=text_font, fill=ink)
    return patch, corner
