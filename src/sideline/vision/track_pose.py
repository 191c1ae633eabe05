"""Pose on demand for one tracked player: the swing analysis' pose backends run on the player's
crop in each frame of a time range, keypoints returned in video pixels.

- ``blazepose``: BlazePose's landmark model on a region built from the tracked box (centred on
  the box, upright, 1.25 x its height as MediaPipe pads its own regions). Its SSD person detector
  is skipped: on a letterboxed 224 px frame a broadcast player is a few pixels tall and not found;
  the tracker already says where the player is.
- ``movenet``: MoveNet MultiPose on a square crop around the box (1.6 x its height); of the people
  it finds, the one whose keypoint box overlaps the tracked box most.

Frames are decoded from a seek to the range start (not from the beginning of a long match) and
matched to the tracked boxes by their presentation time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl

from sideline.errors import InvalidInput

BACKENDS = ("blazepose", "movenet")

# Lines of the drawn skeleton (keypoint index pairs) per topology.
COCO_SKELETON = ((5, 6), (5, 7), (7, 9), (6, 8), (8, 10), (5, 11), (6, 12), (11, 12), (11, 13), (13, 15), (12, 14),
                 (14, 16), (0, 1), (0, 2), (1, 3), (2, 4))
BLAZEPOSE_SKELETON = ((11, 12), (11, 13), (13, 15), (12, 14), (14, 16), (11, 23), (12, 24), (23, 24), (23, 25), (25, 27),
                      (27, 29), (29, 31), (27, 31), (24, 26), (26, 28), (28, 30), (30, 32), (28, 32), (0, 2), (0, 5),
                      (2, 7), (5, 8), (9, 10), (15, 19), (16, 20))


def frames_between(path: str | Path, t0: float, t1: float) -> Iterator[tuple[float, np.ndarray]]:
    """(time_s, RGB frame in displayed orientation) for t0 <= t <= t1, decoding from a seek near t0."""
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:  # PyAV raises many subclasses; all mean "not a readable video"
        raise InvalidInput(f"the video is not readable: {exc.__class__.__name__}") from None
    with container:
        if not container.streams.video:
            raise InvalidInput("the file has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        start = stream.start_time or 0
        if stream.time_base is not None and t0 > 1.0:
            # Seek to the keyframe before t0 (a second early: some containers index loosely).
            container.seek(int((t0 - 1.0) / stream.time_base) + start, stream=stream, backward=True, any_frame=False)
        rate = float(stream.average_rate) if stream.average_rate else 30.0
        for index, frame in enumerate(container.decode(stream)):
            if frame.pts is not None and stream.time_base is not None:
                time_s = float((frame.pts - start) * stream.time_base)
            else:
                time_s = index / rate
            if time_s < t0 - 1e-3:
                continue
            if time_s > t1 + 1e-3:
                break
            image = frame.to_ndarray(format="rgb24")
            turns = round((frame.rotation or 0) / 90) % 4
            yield time_s, (np.ascontiguousarray(np.rot90(image, k=turns)) if turns else image)


def make_backend(name: str):
    if name == "blazepose":
        from sideline.vision.pose.blazepose import BlazePose

        return BlazePose("full")
    if name == "movenet":
        from sideline.vision.pose.movenet import MoveNet

        return MoveNet(input_size=256, min_score=0.1)
    raise InvalidInput(f"pose backend: {name!r} is not one of {', '.join(BACKENDS)}")


def _blazepose(backend, image: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, float] | None:
    from sideline.vision.pose.blazepose import Region

    x0, y0, x1, y1 = box
    region = Region((x0 + x1) / 2, (y0 + y1) / 2, 1.25 * max(y1 - y0, x1 - x0), 0.0)
    points, visibility, presence = backend.landmarks_in(image, region)
    if presence < backend.presence_threshold:
        return None
    return np.column_stack([points[:33, :2], visibility[:33]]), presence


def _movenet(backend, image: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, float] | None:
    height, width = image.shape[:2]
    x0, y0, x1, y1 = box
    side = 1.6 * max(y1 - y0, x1 - x0)
    left = int(np.clip(round((x0 + x1) / 2 - side / 2), 0, max(0, width - 1)))
    top = int(np.clip(round((y0 + y1) / 2 - side / 2), 0, max(0, height - 1)))
    crop = image[top:int(min(height, top + side)), left:int(min(width, left + side))]
    if crop.size == 0:
        return None
    people = backend.detect(crop)
    if not people:
        return None
    local = np.array([x0 - left, y0 - top, x1 - left, y1 - top])

    def overlap(person) -> float:
        a = np.array(person.box())
        lo, hi = np.maximum(a[:2], local[:2]), np.minimum(a[2:], local[2:])
        inter = np.prod(np.clip(hi - lo, 0, None))
        return float(inter / max(1e-9, np.prod(a[2:] - a[:2]) + np.prod(local[2:] - local[:2]) - inter))

    best = max(people, key=overlap)
    if overlap(best) <= 0:
        return None
    points = best.keypoints[:, :2] + [left, top]
    return np.column_stack([points, best.visibility]), best.score


def track_pose(path: str | Path, boxes: pl.DataFrame, backend: str = "blazepose", *,
               progress=None) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Keypoints of the player in ``boxes`` (one row per frame: t, frame, x0, y0, x1, y1, video px).

    Returns (one row per frame of ``boxes``: t, frame, score (0 where no pose was found), and per
    keypoint k ``x_k``, ``y_k``, ``v_k`` (video pixels, visibility; NaN where none); the keypoint
    names)."""
    from sideline.core.pose import BLAZEPOSE_KEYPOINTS, COCO_KEYPOINTS

    model = make_backend(backend)
    names = BLAZEPOSE_KEYPOINTS if backend == "blazepose" else COCO_KEYPOINTS
    run = _blazepose if backend == "blazepose" else _movenet
    boxes = boxes.sort("t")
    times = boxes["t"].to_numpy()
    xyxy = boxes.select("x0", "y0", "x1", "y1").to_numpy()
    out = np.full((len(times), len(names), 3), np.nan)
    score = np.zeros(len(times))
    if len(times):
        tolerance = 0.5 * float(np.median(np.diff(times))) if len(times) > 1 else 0.02
        for time_s, image in frames_between(path, float(times[0]), float(times[-1])):
            row = int(np.argmin(np.abs(times - time_s)))
            if abs(times[row] - time_s) > max(tolerance, 1e-3):
                continue
            found = run(model, image, xyxy[row])
            if found is not None:
                out[row], score[row] = found
            if progress:
                progress((row + 1) / len(times))
    columns = {"t": times, "frame": boxes["frame"].to_numpy(), "score": score}
    for k in range(len(names)):
        columns[f"x_{k}"], columns[f"y_{k}"], columns[f"v_{k}"] = out[:, k, 0], out[:, k, 1], out[:, k, 2]
    return pl.DataFrame(columns, schema_overrides={"t": pl.Float64}), names
