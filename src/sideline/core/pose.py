"""Human pose over time: the type every pose backend produces and every swing analysis reads.

Coordinates are **pixels of the displayed frame** (after the video's rotation metadata has been
applied): x to the right, y downwards, origin at the top-left corner. ``z`` is the backend's
relative depth in the same pixel scale (BlazePose: smaller = nearer the camera, origin at the hips);
backends without depth (MoveNet) fill it with NaN. A missing keypoint is NaN in all three.

Times are seconds from the start of the video, taken from the frames' presentation timestamps,
so variable-frame-rate footage is handled: never derive times from indices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sideline.errors import InvalidInput

# MediaPipe BlazePose GHUM topology (33 body landmarks), in model output order.
BLAZEPOSE_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)

# COCO-17 topology (MoveNet and most multi-person models), in model output order.
COCO_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)


@dataclass(frozen=True)
class PoseSequence:
    """One person's pose in every frame of a clip.

    timestamps [T] seconds (strictly increasing); landmarks [T, K, 3] (x, y, z) pixels;
    visibility [T, K] in [0, 1] (probability the keypoint is visible, not occluded);
    confidence [T] in [0, 1] (probability that the tracked person is present in that frame;
    0 where nobody was found); frame_size (width, height) of the displayed frame;
    nominal_fps: the container's average rate (informational: use timestamps for time).
    """

    timestamps: np.ndarray
    landmarks: np.ndarray
    visibility: np.ndarray
    confidence: np.ndarray
    keypoint_names: tuple[str, ...]
    frame_size: tuple[int, int]
    nominal_fps: float
    model: str = ""

    def __post_init__(self) -> None:
        t, lm, vis, conf = self.timestamps, self.landmarks, self.visibility, self.confidence
        n_frames, n_points = len(t), len(self.keypoint_names)
        if t.ndim != 1 or lm.shape != (n_frames, n_points, 3):
            raise InvalidInput(f"pose landmarks must be [frames, {n_points}, 3] for {n_frames} timestamps, got {lm.shape}")
        if vis.shape != (n_frames, n_points) or conf.shape != (n_frames,):
            raise InvalidInput(f"pose visibility must be [{n_frames}, {n_points}] and confidence [{n_frames}], got {vis.shape} and {conf.shape}")
        if n_frames > 1 and not np.all(np.diff(t) > 0):
            raise InvalidInput("pose timestamps must be strictly increasing")

    def __len__(self) -> int:
        return len(self.timestamps)

    def index(self, name: str) -> int:
        try:
            return self.keypoint_names.index(name)
        except ValueError:
            raise InvalidInput(f"keypoint {name!r} is not in this pose topology ({len(self.keypoint_names)} points)") from None

    def xy(self, name: str) -> np.ndarray:
        """[T, 2] pixel position of one keypoint (NaN where missing)."""
        return self.landmarks[:, self.index(name), :2]

    def midpoint(self, a: str, b: str) -> np.ndarray:
        return (self.xy(a) + self.xy(b)) / 2.0

    def vis(self, name: str) -> np.ndarray:
        return self.visibility[:, self.index(name)]

    def frame_at(self, time_s: float) -> int:
        """Index of the frame nearest to a time."""
        return int(np.argmin(np.abs(self.timestamps - time_s)))


def fill_gaps(pose: PoseSequence, max_gap_s: float = 0.2, min_visibility: float = 0.0) -> PoseSequence:
    """Linearly interpolate keypoints missing (NaN, no person, or visibility below ``min_visibility``)
    for at most ``max_gap_s``.

    Longer gaps stay NaN: inventing a quarter second of a golf swing would be guessing. Visibility
    and confidence are left as they were (0 where nobody was found), so filled frames stay marked.
    The default keeps occluded-but-predicted points: BlazePose places the far arm of a side view well.
    """
    t = pose.timestamps
    lm = pose.landmarks.copy()
    missing = np.isnan(lm[..., 0]) | (pose.visibility < min_visibility) | (pose.confidence[:, None] <= 0)
    lm[missing] = np.nan
    for k in range(lm.shape[1]):  # loop over keypoints; time is vectorised
        bad = missing[:, k]
        if not bad.any() or bad.all():
            continue
        good_t = t[~bad]
        interpolated = np.stack([np.interp(t, good_t, lm[~bad, k, c]) for c in range(3)], axis=-1)
        # Gap length = time between the good samples either side of each missing frame.
        next_good = np.searchsorted(good_t, t)
        has_both = bad & (next_good > 0) & (next_good < len(good_t))
        span = np.full(len(t), np.inf)
        span[has_both] = good_t[next_good[has_both]] - good_t[next_good[has_both] - 1]
        fillable = has_both & (span <= max_gap_s + 1e-9)
        lm[fillable, k] = interpolated[fillable]
    return replace(pose, landmarks=lm)


def smooth(pose: PoseSequence, min_cutoff_hz: float = 3.0, beta: float = 0.02, d_cutoff_hz: float = 1.0,
           *, causal: bool = False) -> PoseSequence:
    """One-Euro filter on every coordinate (Casiez et al., CHI 2012), timestamp-aware.

    Low speed -> low cutoff (jitter removed); high speed -> the cutoff rises with ``beta`` x speed
    (px/s). ``causal=True`` is the live filter (it lags fast motion); the default averages a
    forward and a backward pass, whose lags cancel, so event timing is not shifted.
    NaNs restart the filter.
    """
    forward = _one_euro(pose.timestamps, pose.landmarks, min_cutoff_hz, beta, d_cutoff_hz)
    if causal:
        return replace(pose, landmarks=forward)
    backward = _one_euro(-pose.timestamps[::-1], pose.landmarks[::-1], min_cutoff_hz, beta, d_cutoff_hz)[::-1]
    return replace(pose, landmarks=(forward + backward) / 2)


def _one_euro(t: np.ndarray, raw: np.ndarray, min_cutoff_hz: float, beta: float, d_cutoff_hz: float) -> np.ndarray:
    out = np.full_like(raw, np.nan)
    prev = np.full(raw.shape[1:], np.nan)
    prev_d = np.zeros(raw.shape[1:])

    def alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray:
        tau = 1.0 / (2 * np.pi * np.asarray(cutoff))
        return 1.0 / (1.0 + tau / dt)

    for i in range(len(t)):  # the filter is recursive in time; keypoints x coords are vectorised
        x = raw[i]
        if i == 0:
            out[i] = prev = x
            continue
        dt = max(t[i] - t[i - 1], 1e-6)
        restart = np.isnan(prev)
        d = np.where(restart, 0.0, (x - prev) / dt)
        a_d = alpha(d_cutoff_hz, dt)
        d_hat = a_d * d + (1 - a_d) * prev_d
        a = alpha(min_cutoff_hz + beta * np.abs(d_hat), dt)
        filtered = np.where(restart, x, a * x + (1 - a) * prev)
        out[i] = filtered
        prev, prev_d = filtered, np.where(np.isnan(d_hat), 0.0, d_hat)
    return out
