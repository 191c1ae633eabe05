"""The pose-backend interface and the video loop shared by all backends.

A backend turns one RGB frame into zero or more ``PersonPose`` candidates (``detect``) and can
follow one person from frame to frame (``track``: BlazePose re-uses the previous frame's
landmarks as its region of interest; the default picks the candidate nearest the previous one).
``estimate_video`` decodes a clip, tracks the athlete, then fills short gaps and smooths; it
reports its progress per frame and can keep the decoded frames for a second pass (the annotated
video) instead of the file being decoded again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sideline.core.pose import PoseSequence, fill_gaps, smooth
from sideline.vision.decode import FrameStore, iter_frames, probe, read_ahead


@dataclass(frozen=True)
class PersonPose:
    keypoints: np.ndarray  # [K, 3] x, y, z in frame pixels (z NaN when the model has no depth)
    visibility: np.ndarray  # [K] in [0, 1]
    score: float  # person presence / detection score in [0, 1]

    def box(self) -> tuple[float, float, float, float]:
        """x_min, y_min, x_max, y_max over the visible keypoints."""
        pts = self.keypoints[self.visibility > 0.3, :2]
        if len(pts) == 0:
            pts = self.keypoints[:, :2]
        return (*np.nanmin(pts, axis=0), *np.nanmax(pts, axis=0))

    def area(self) -> float:
        x0, y0, x1, y1 = self.box()
        return float(max(x1 - x0, 0) * max(y1 - y0, 0))

    def centre(self) -> np.ndarray:
        x0, y0, x1, y1 = self.box()
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2])


def pick_athlete(candidates: list[PersonPose], frame_size: tuple[int, int], previous: PersonPose | None = None) -> PersonPose | None:
    """The person the clip is about.

    With a previous pose: the candidate whose centre is nearest it (identity continuity).
    Without: the largest person, favouring the middle of the frame (a swing is filmed centred
    and close; bystanders are smaller or at the edges).
    """
    if not candidates:
        return None
    if previous is not None:
        distances = [np.linalg.norm(c.centre() - previous.centre()) for c in candidates]
        return candidates[int(np.argmin(distances))]
    width, height = frame_size
    middle = np.array([width / 2, height / 2])
    half_diagonal = np.hypot(width, height) / 2

    def prominence(person: PersonPose) -> float:
        off_centre = np.linalg.norm(person.centre() - middle) / half_diagonal
        return person.area() * person.score * (1.0 - 0.5 * off_centre)

    return max(candidates, key=prominence)


class PoseBackend(ABC):
    name: str = "pose"
    keypoint_names: tuple[str, ...] = ()

    @abstractmethod
    def detect(self, image: np.ndarray) -> list[PersonPose]:
        """Every person found in one RGB uint8 frame [H, W, 3]."""

    def reset(self) -> None:
        """Forget tracking state (call between clips)."""
        self._previous: PersonPose | None = None

    def track(self, image: np.ndarray) -> PersonPose | None:
        """The athlete in this frame, following the one chosen in earlier frames."""
        previous = getattr(self, "_previous", None)
        chosen = pick_athlete(self.detect(image), (image.shape[1], image.shape[0]), previous)
        self._previous = chosen if chosen is not None else previous
        return chosen


def estimate_video(
    backend: PoseBackend,
    path: str | Path,
    *,
    max_side: int | None = None,
    max_gap_s: float = 0.2,
    smoothing: bool = True,
    progress: Callable[[float], None] | None = None,
    keep_frames: FrameStore | None = None,
) -> PoseSequence:
    """Track the athlete through a clip; short gaps filled, landmarks One-Euro smoothed.

    ``progress(fraction)`` is called after every frame with the share of the clip done (from the
    container's frame count or duration; never decreasing, 1.0 at the end). ``keep_frames``
    collects the decoded frames (see ``FrameStore``; complete only if the whole clip fitted).
    """
    info = probe(path, max_side=max_side)
    n_points = len(backend.keypoint_names)
    expected = info.frame_count or (round(info.duration_s * info.nominal_fps) if info.duration_s and info.nominal_fps else 0)
    times: list[float] = []
    points: list[np.ndarray] = []
    visibility: list[np.ndarray] = []
    confidence: list[float] = []
    backend.reset()
    done = 0.0
    # Decoding runs a few frames ahead in another thread, overlapping the model's inference; closing
    # stops that thread at once if tracking or ``progress`` (a cancelled job) raises.
    with closing(read_ahead(iter_frames(path, max_side=max_side))) as frames:
        for index, time_s, image in frames:
            if keep_frames is not None:
                keep_frames.add(index, time_s, image)
            person = backend.track(image)
            times.append(time_s)
            if person is None:
                points.append(np.full((n_points, 3), np.nan))
                visibility.append(np.zeros(n_points))
                confidence.append(0.0)
            else:
                points.append(person.keypoints)
                visibility.append(person.visibility)
                confidence.append(person.score)
            if progress is not None and expected:
                # The container's count can be short or missing: hold just below 1 until the end.
                done = max(done, min(len(times) / expected, 0.99))
                progress(done)
    if keep_frames is not None:
        keep_frames.finish()
    if progress is not None:
        progress(1.0)
    pose = PoseSequence(
        timestamps=np.asarray(times, dtype=float),
        landmarks=np.asarray(points, dtype=float).reshape(len(times), n_points, 3),
        visibility=np.asarray(visibility, dtype=float).reshape(len(times), n_points),
        confidence=np.asarray(confidence, dtype=float),
        keypoint_names=backend.keypoint_names,
        frame_size=(info.width, info.height),
        nominal_fps=info.nominal_fps,
        model=backend.name,
    )
    pose = fill_gaps(pose, max_gap_s=max_gap_s)
    return smooth(pose) if smoothing else pose
