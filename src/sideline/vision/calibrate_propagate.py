"""Homographies for panning broadcast cameras: camera motion frame to frame, propagated from the
user's calibrated keyframes, with a reliability per frame.

**Camera motion** (``CameraMotionEstimator``, streamed over frames at detection resolution): corners
(``goodFeaturesToTrack``) followed by pyramidal Lucas-Kanade, checked forward-backward, then a
RANSAC homography from the previous frame to this one. Masked out: the detected people (they move
on their own), on-screen graphics that stay still while the picture moves (scoreboards, logos:
pixels unchanged for several frames), the image border, and with ``region="pitch"`` everything that
is not grass. Camera cuts are a sudden change of the colour histogram (correlation below
``cut_correlation``); a step with too few inliers breaks the chain without being a cut.

Why the default region is the whole scene and not only the grass: a broadcast camera pans, tilts
and zooms about a fixed point, so every point of the picture, stands included, moves by the same
homography, and the stands carry most of the texture. On the DFL clip (grass smooth and
compressed, ~100 corners on it against ~500 in the whole picture) the grass-only chain ended
1.06 m (median) off the points marked 168 frames later, the whole-scene chain 0.32 m
(benchmarks/video_calibration_eval.py). Use ``"pitch"`` for a camera that moves (rails, drone),
where only the pitch plane obeys one homography.

**Propagation** (``propagate``): within a shot (no cut, no failed step) every frame is linked to a
keyframe by a product of step motions, computed for all frames at once with a segmented
parallel prefix product (NumPy batched 3x3 products, log2(N) passes). Between two keyframes the
forward chain (from the earlier) and the backward chain (from the later) differ by one constant
pitch-to-pitch homography D (the closure error); frame i gets ``D^w @ forward_i`` with w its
fraction of the way, so it is exact at both keyframes (reset). Before the first and after the last
keyframe of a shot only one chain exists; in a shot without a keyframe there is no homography.

**Reliability** per frame: the step's inlier ratio and reprojection error (pixels), and the drift
since the keyframe in metres: the larger of the random walk of step errors (sqrt of the summed
squared step errors, converted with the local metres per pixel) and the measured closure error
(between keyframes: ``min(w, 1 - w) * closure``; past the last keyframe: the closure rate per
frame of the shot's other keyframe pairs times the distance). A frame is reliable when it has a
homography, its step was good, and its drift is at most ``max_drift_m``; unreliable frames get no
pitch positions (no made-up positions). With one keyframe only the random walk is known, and it is
optimistic: on the DFL clip it said 0.08 m after 168 frames where the real error was 0.32 m
(systematic drift dominates); a second keyframe measures it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from sideline.errors import InvalidInput

Region = Literal["scene", "pitch"]
MATRIX_COLUMNS = tuple(f"h{r}{c}" for r in range(3) for c in range(3))


# --- camera motion -----------------------------------------------------------------------------

@dataclass(frozen=True)
class MotionOptions:
    region: Region = "scene"
    max_features: int = 600
    min_distance: int = 7  # px between corners: spreads them over the picture
    # Tight thresholds (detection pixels): looser ones let in features that move a little on their
    # own (LED boards, crowd, undetected players) and the chain drifts: on the DFL clip 1.0 px / 0.5 px
    # gave 1.0-2.5 m at the points marked 168 frames later, 0.3 px / 0.3 px 0.1-0.6 m.
    fb_max_px: float = 0.3  # forward-backward LK disagreement that rejects a track
    ransac_px: float = 0.3
    min_inliers: int = 25
    min_inlier_ratio: float = 0.3
    max_error_px: float = 1.5  # median inlier reprojection error, detection resolution
    cut_correlation: float = 0.5  # HSV histogram correlation below this: a new shot
    still_frames: int = 3  # a pixel unchanged this many frames while the picture moves: a graphic
    box_margin: float = 0.25  # grow person boxes by this share before masking them


@dataclass
class MotionTable:
    """One row per frame: the step from the previous frame to this one (full-resolution pixels)."""

    matrix: np.ndarray  # [N, 3, 3] previous frame -> this frame; identity where unknown
    features: np.ndarray  # [N] corners tracked from the previous frame
    inliers: np.ndarray  # [N] RANSAC inliers
    inlier_ratio: np.ndarray  # [N] inliers / corners
    error_px: np.ndarray  # [N] median inlier reprojection error, full-resolution pixels (NaN: none)
    hist_corr: np.ndarray  # [N] colour-histogram correlation with the previous frame
    cut: np.ndarray  # [N] bool: a new shot starts here (the first frame too)
    ok: np.ndarray  # [N] bool: the step is good enough to chain through

    def __len__(self) -> int:
        return len(self.ok)

    def to_columns(self) -> dict[str, np.ndarray]:
        flat = self.matrix.reshape(-1, 9)
        return {**{name: flat[:, i] for i, name in enumerate(MATRIX_COLUMNS)}, "features": self.features,
                "inliers": self.inliers, "inlier_ratio": self.inlier_ratio, "error_px": self.error_px,
                "hist_corr": self.hist_corr, "cut": self.cut, "ok": self.ok}

    @classmethod
    def from_columns(cls, columns) -> MotionTable:
        matrix = np.column_stack([np.asarray(columns[name], np.float64) for name in MATRIX_COLUMNS]).reshape(-1, 3, 3)
        return cls(matrix, np.asarray(columns["features"], np.int64), np.asarray(columns["inliers"], np.int64),
                   np.asarray(columns["inlier_ratio"], np.float64), np.asarray(columns["error_px"], np.float64),
                   np.asarray(columns["hist_corr"], np.float64), np.asarray(columns["cut"], bool),
                   np.asarray(columns["ok"], bool))


def grass_mask(image: np.ndarray) -> np.ndarray:
    """uint8 mask (255 = grass) of an RGB frame, with lines and small gaps closed."""
    import cv2

    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    mask = ((hsv[..., 0] >= 30) & (hsv[..., 0] <= 90) & (hsv[..., 1] >= 50) & (hsv[..., 2] >= 35)).astype(np.uint8) * 255
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))


def box_cover(lo: np.ndarray, hi: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Boolean [H, W]: pixels inside any of the boxes [lo, hi) (x, y integer corners), without a
    loop over boxes: +1/-1 at the corners of each box, then a 2D cumulative sum."""
    height, width = shape
    lo = np.clip(lo, 0, [width, height])
    hi = np.clip(hi, 0, [width, height])
    keep = (hi > lo).all(axis=1)  # an empty box would paint a negative one
    lo, hi = lo[keep], hi[keep]
    marks = np.zeros((height + 1, width + 1), np.int32)
    np.add.at(marks, (lo[:, 1], lo[:, 0]), 1)
    np.add.at(marks, (lo[:, 1], hi[:, 0]), -1)
    np.add.at(marks, (hi[:, 1], lo[:, 0]), -1)
    np.add.at(marks, (hi[:, 1], hi[:, 0]), 1)
    return marks.cumsum(axis=0).cumsum(axis=1)[:height, :width] > 0


@dataclass
class _Step:
    matrix: np.ndarray
    features: int = 0
    inliers: int = 0
    inlier_ratio: float = 0.0
    error_px: float = float("nan")
    hist_corr: float = 1.0
    cut: bool = False
    ok: bool = False


class CameraMotionEstimator:
    """Feed frames in order (``update``); each call returns the step from the previous frame.

    Frames are RGB at detection resolution; ``scale`` (full-resolution pixels per detection pixel,
    x and y) turns the step into full-resolution pixels. ``boxes`` are this frame's people in
    full-resolution pixels (masked out)."""

    def __init__(self, options: MotionOptions = MotionOptions(), scale: tuple[float, float] = (1.0, 1.0)):
        self.options = options
        self.scale = np.diag([scale[0], scale[1], 1.0])
        self._scale_inv = np.linalg.inv(self.scale)
        self._prev: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # gray, feature mask, histogram
        self._still: np.ndarray | None = None
        self._blurred: np.ndarray | None = None
        self._rows: list[_Step] = []

    def _histogram(self, image: np.ndarray) -> np.ndarray:
        import cv2

        small = cv2.resize(image, (160, max(2, round(160 * image.shape[0] / image.shape[1]))), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        hist = cv2.calcHist([hsv], [0, 1], None, [30, 16], [0, 180, 0, 256])
        return cv2.normalize(hist, hist).astype(np.float32)

    def _mask(self, image: np.ndarray, gray: np.ndarray, boxes: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(mask without still graphics, mask with them): where corners may be taken in this frame."""
        import cv2

        o = self.options
        height, width = gray.shape
        mask = grass_mask(image) if o.region == "pitch" else np.full((height, width), 255, np.uint8)
        border = 8
        mask[:border], mask[-border:], mask[:, :border], mask[:, -border:] = 0, 0, 0, 0
        if boxes is not None and len(boxes):
            sx, sy = self.scale[0, 0], self.scale[1, 1]
            xyxy = np.asarray(boxes, np.float64).reshape(-1, 4) / [sx, sy, sx, sy]
            grow = (xyxy[:, 2:] - xyxy[:, :2]) * o.box_margin / 2
            lo = np.floor(xyxy[:, :2] - grow).astype(int).clip(0, [width, height])
            hi = np.ceil(xyxy[:, 2:] + grow).astype(int).clip(0, [width, height])
            mask[box_cover(lo, hi, (height, width))] = 0
        # Graphics burnt into the picture stay still while the camera moves: pixels unchanged for
        # ``still_frames`` frames in a row are left out (uniform areas too, which have no corners).
        blurred = cv2.GaussianBlur(gray, (5, 5), 0).astype(np.int16)
        if self._blurred is None or self._blurred.shape != blurred.shape:
            self._still = np.zeros(gray.shape, np.uint8)
        else:
            unchanged = np.abs(blurred - self._blurred) <= 2
            self._still = np.where(unchanged, np.minimum(self._still, 250) + 1, 0).astype(np.uint8)
        self._blurred = blurred
        still = cv2.dilate((self._still >= o.still_frames).astype(np.uint8), np.ones((5, 5), np.uint8))
        return np.where(still > 0, 0, mask).astype(np.uint8), mask

    def update(self, image: np.ndarray, boxes: np.ndarray | None = None) -> _Step:
        import cv2

        o = self.options
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        hist = self._histogram(image)
        moving_mask, full_mask = self._mask(image, gray, boxes)
        if self._prev is None or self._prev[0].shape != gray.shape:
            step = _Step(np.eye(3), cut=True)
        else:
            prev_gray, prev_mask, prev_hist = self._prev
            corr = float(cv2.compareHist(prev_hist, hist, cv2.HISTCMP_CORREL))
            step = _Step(np.eye(3), hist_corr=corr, cut=corr < o.cut_correlation)
            if not step.cut:
                step = self._estimate(prev_gray, gray, prev_mask, step)
        # Corners for the next step come from this frame: without still graphics when enough remain
        # (a static camera makes everything still: then all of it, and the step is ~identity).
        usable = moving_mask if cv2.countNonZero(moving_mask) > 0.05 * moving_mask.size else full_mask
        self._prev = (gray, usable, hist)
        self._rows.append(step)
        return step

    def _estimate(self, prev_gray: np.ndarray, gray: np.ndarray, mask: np.ndarray, step: _Step) -> _Step:
        import cv2

        o = self.options
        corners = cv2.goodFeaturesToTrack(prev_gray, o.max_features, 0.01, o.min_distance, mask=mask, blockSize=5)
        if corners is None or len(corners) < 8:
            step.features = 0 if corners is None else len(corners)
            return step
        step.features = len(corners)
        lk = dict(winSize=(15, 15), maxLevel=3, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01))
        moved, status, _ = cv2.calcOpticalFlowPyrLK(prev_gray, gray, corners, None, **lk)
        back, status_back, _ = cv2.calcOpticalFlowPyrLK(gray, prev_gray, moved, None, **lk)
        good = (status.ravel() == 1) & (status_back.ravel() == 1) & (
            np.linalg.norm((back - corners).reshape(-1, 2), axis=1) < o.fb_max_px)
        if good.sum() < 8:
            return step
        src, dst = corners[good].reshape(-1, 2), moved[good].reshape(-1, 2)
        matrix, inliers = cv2.findHomography(src, dst, cv2.RANSAC, o.ransac_px, maxIters=2000, confidence=0.995)
        if matrix is None:
            return step
        inliers = inliers.ravel().astype(bool)
        projected = cv2.perspectiveTransform(src[inliers][None], matrix)[0]
        error = float(np.median(np.linalg.norm(projected - dst[inliers], axis=1))) if inliers.any() else float("nan")
        step.inliers = int(inliers.sum())
        step.inlier_ratio = step.inliers / step.features
        step.error_px = error * float(np.sqrt(self.scale[0, 0] * self.scale[1, 1]))
        step.matrix = self.scale @ matrix @ self._scale_inv
        step.matrix /= step.matrix[2, 2]
        step.ok = bool(step.inliers >= o.min_inliers and step.inlier_ratio >= o.min_inlier_ratio
                       and error <= o.max_error_px)
        return step

    def table(self) -> MotionTable:
        rows = self._rows
        return MotionTable(
            matrix=np.array([r.matrix for r in rows], np.float64).reshape(-1, 3, 3),
            features=np.array([r.features for r in rows], np.int64),
            inliers=np.array([r.inliers for r in rows], np.int64),
            inlier_ratio=np.array([r.inlier_ratio for r in rows], np.float64),
            error_px=np.array([r.error_px for r in rows], np.float64),
            hist_corr=np.array([r.hist_corr for r in rows], np.float64),
            cut=np.array([r.cut for r in rows], bool),
            ok=np.array([r.ok for r in rows], bool))


def estimate_motion(frames: Iterable[tuple[np.ndarray, np.ndarray | None]], *, options: MotionOptions = MotionOptions(),
                    scale: tuple[float, float] = (1.0, 1.0)) -> MotionTable:
    """The motion table of (image at detection resolution, people boxes in full-resolution px) pairs."""
    estimator = CameraMotionEstimator(options, scale)
    for image, boxes in frames:
        estimator.update(image, boxes)
    return estimator.table()


# --- propagation -------------------------------------------------------------------------------

def apply_homographies(matrices: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Row-wise: points [N, 2] through matrices [N, 3, 3] (NaN where w <= 0 or no matrix)."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    homogeneous = np.column_stack([points, np.ones(len(points))])
    out = np.einsum("nij,nj->ni", matrices, homogeneous)
    with np.errstate(invalid="ignore", divide="ignore"):
        xy = out[:, :2] / out[:, 2:3]
    xy[~(out[:, 2] > 0)] = np.nan
    return xy


def _normalise(m: np.ndarray) -> np.ndarray:
    det = np.linalg.det(m)
    return m / np.cbrt(det)[..., None, None]


def segmented_prefix_products(steps: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """R[i] = steps[s] @ steps[s+1] @ ... @ steps[i], s the first row of i's segment.

    Hillis-Steele scan: log2(N) passes of batched 3x3 products, each combining rows ``stride``
    apart when they lie in the same segment (scale normalised so long chains neither overflow nor
    underflow)."""
    result = _normalise(np.asarray(steps, np.float64).copy())
    n, stride = len(result), 1
    while stride < n:
        same = segment[stride:] == segment[:-stride]
        combined = _normalise(result[:-stride] @ result[stride:])
        result[stride:] = np.where(same[:, None, None], combined, result[stride:])
        stride *= 2
    return result


def _fractional_power(d: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """d**w for each w (principal branch), [len(w), 3, 3]; None when d is far from the identity."""
    d = _normalise(d)
    values, vectors = np.linalg.eig(d)
    if np.any(np.abs(np.angle(values)) > np.pi / 2) or np.linalg.cond(vectors) > 1e8:
        return None
    powered = np.exp(np.log(values.astype(complex))[None, :] * np.asarray(w, np.float64)[:, None])
    inverse = np.linalg.inv(vectors)
    return np.real((vectors[None] * powered[:, None, :]) @ inverse[None])


def metres_per_pixel(matrices: np.ndarray, point: tuple[float, float]) -> np.ndarray:
    """sqrt(|det J|) of image->pitch homographies at one image point (NaN above the horizon)."""
    x, y = point
    p = np.array([x, y, 1.0])
    u, v, w = matrices[:, 0] @ p, matrices[:, 1] @ p, matrices[:, 2] @ p
    h = matrices
    with np.errstate(invalid="ignore", divide="ignore"):
        j00 = (h[:, 0, 0] * w - u * h[:, 2, 0]) / w ** 2
        j01 = (h[:, 0, 1] * w - u * h[:, 2, 1]) / w ** 2
        j10 = (h[:, 1, 0] * w - v * h[:, 2, 0]) / w ** 2
        j11 = (h[:, 1, 1] * w - v * h[:, 2, 1]) / w ** 2
        out = np.sqrt(np.abs(j00 * j11 - j01 * j10))
    out[~(w > 0)] = np.nan
    return out


@dataclass
class Propagated:
    """Per frame (rows of the motion table): image px -> pitch metres, and its reliability."""

    matrix: np.ndarray  # [N, 3, 3], NaN where no homography
    reliable: np.ndarray  # [N] bool
    drift_m: np.ndarray  # [N] estimated error since the keyframe(s), metres (0 at a keyframe)
    keyframe: np.ndarray  # [N] row of the nearest keyframe the homography comes from (-1: none)
    reason: np.ndarray  # [N] object: "" when reliable, else why not
    closure_m: dict[int, float] = field(default_factory=dict)  # keyframe row -> forward-chain error at it, metres
    static: bool = False  # the camera did not move: one homography for every frame


def _pitch_error_m(estimate: np.ndarray, truth: np.ndarray, size: tuple[int, int], pitch: tuple[float, float]) -> float:
    """Median distance (metres) between two image->pitch mappings over a grid of the picture's
    points that land on the pitch under ``truth``."""
    width, height = size
    xs, ys = np.meshgrid(np.linspace(0.05, 0.95, 7) * width, np.linspace(0.3, 0.95, 5) * height)
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    a = apply_homographies(np.repeat(truth[None], len(grid), 0), grid)
    b = apply_homographies(np.repeat(estimate[None], len(grid), 0), grid)
    on_pitch = (np.abs(a[:, 0]) <= pitch[0] / 2 + 5) & (np.abs(a[:, 1]) <= pitch[1] / 2 + 5) & np.isfinite(b).all(axis=1)
    if not on_pitch.any():
        return float("inf")
    return float(np.median(np.linalg.norm(a[on_pitch] - b[on_pitch], axis=1)))


def propagate(motion: MotionTable, keyframes: dict[int, np.ndarray], *, size: tuple[int, int],
              pitch: tuple[float, float] = (105.0, 68.0), max_drift_m: float = 1.5,
              static_px: float = 1.0, allow_static: bool = True, fixed: np.ndarray | None = None) -> Propagated:
    """Homography per frame from the keyframes (row -> 3x3 image->pitch) through the camera motion.

    ``size`` is the full-resolution frame (width, height). With ``allow_static`` and no motion at
    all over the video (every frame's corners within ``static_px`` of where they started, no cut,
    at least 90 % of the steps followed)
    the camera is taken as fixed: every frame gets ``fixed`` (the caller's fit to all keyframes'
    points) or else the first keyframe's homography."""
    n = len(motion)
    if not keyframes:
        raise InvalidInput("calibration: at least one calibrated keyframe is needed")
    if any(not 0 <= k < n for k in keyframes):
        raise InvalidInput(f"calibration: keyframe rows must be within the {n} analysed frames")
    link = motion.ok & ~motion.cut
    link[0] = False
    segment = np.cumsum(~link)  # a new segment wherever the chain breaks
    # A[i] maps frame i to frame i-1; R[i] = A[s+1] ... A[i] maps frame i into its segment's first frame.
    steps = np.where(link[:, None, None], np.linalg.inv(np.where(link[:, None, None], motion.matrix, np.eye(3))), np.eye(3))
    steps[~link] = np.eye(3)
    chain = segmented_prefix_products(steps, segment)
    width, height = size
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)
    drift_corners = np.max(np.linalg.norm(
        apply_homographies(np.repeat(chain, 4, 0), np.tile(corners, (n, 1))) - np.tile(corners, (n, 1)), axis=1).reshape(n, 4))
    # Still: no cut, nearly every step followed (a passer-by filling the picture may spoil a few),
    # and no frame's corners more than static_px from where its stretch started.
    static = allow_static and (n == 1 or bool(not motion.cut[1:].any() and motion.ok[1:].mean() >= 0.9
                                              and drift_corners <= static_px))

    keys = np.array(sorted(keyframes), np.int64)
    key_matrix = np.array([keyframes[int(k)] for k in keys], np.float64)
    matrix = np.full((n, 3, 3), np.nan)
    drift = np.full(n, np.nan)
    keyframe = np.full(n, -1, np.int64)
    reason = np.full(n, "", dtype=object)
    closure: dict[int, float] = {}
    if static:
        matrix[:] = key_matrix[0] if fixed is None else fixed
        return Propagated(matrix, np.ones(n, bool), np.zeros(n), np.full(n, int(keys[0])), np.full(n, "", dtype=object),
                          closure, static=True)

    # G_k = K_k @ inv(R_k): from segment-start coordinates to the pitch, one per keyframe.
    g = key_matrix @ np.linalg.inv(chain[keys])
    rows = np.arange(n)
    after = np.searchsorted(keys, rows, side="right")  # index of the first keyframe after row
    prev_k = np.where(after > 0, keys[np.maximum(after - 1, 0)], -1)
    next_k = np.where(after < len(keys), keys[np.minimum(after, len(keys) - 1)], -1)
    exact = np.isin(rows, keys)
    next_k = np.where(exact, rows, next_k)
    has_prev = (prev_k >= 0) & (segment[np.maximum(prev_k, 0)] == segment)
    has_next = (next_k >= 0) & (segment[np.maximum(next_k, 0)] == segment)
    key_index = {int(k): i for i, k in enumerate(keys)}
    prev_i = np.array([key_index.get(int(k), 0) for k in prev_k])
    next_i = np.array([key_index.get(int(k), 0) for k in next_k])
    forward = g[prev_i] @ chain
    backward = g[next_i] @ chain

    # Random walk of the step errors (px), measured from each keyframe.
    err2 = np.where(link, np.nan_to_num(motion.error_px, nan=0.0) ** 2, 0.0)
    walk = np.cumsum(err2)
    walk_fwd = np.sqrt(np.abs(walk - walk[np.maximum(prev_k, 0)]))
    walk_bwd = np.sqrt(np.abs(walk[np.maximum(next_k, 0)] - walk))

    # Between two keyframes of one shot: blend by the constant closure error D.
    pair_rate: dict[int, float] = {}  # segment -> worst closure metres per frame
    both = has_prev & has_next & ~exact
    for a, b in zip(keys[:-1], keys[1:]):
        if segment[a] != segment[b]:
            continue
        inside = both & (prev_k == a) & (next_k == b)
        forward_b = g[key_index[int(a)]] @ chain[b]
        closure_m = _pitch_error_m(forward_b, key_matrix[key_index[int(b)]], size, pitch)
        closure[int(b)] = closure_m
        pair_rate[int(segment[a])] = max(pair_rate.get(int(segment[a]), 0.0), closure_m / max(1, b - a))
        if not inside.any():
            continue
        w = (rows[inside] - a) / (b - a)
        d = g[key_index[int(b)]] @ np.linalg.inv(g[key_index[int(a)]])
        power = _fractional_power(d, w)
        if power is None:  # the chains disagree wildly: take the nearer keyframe's chain only
            nearer = np.where(w <= 0.5, 0, 1)
            matrix[inside] = np.where(nearer[:, None, None] == 0, forward[inside], backward[inside])
        else:
            matrix[inside] = power @ forward[inside]
        keyframe[inside] = np.where(w <= 0.5, a, b)
        drift[inside] = np.minimum(w, 1 - w) * closure_m

    only_prev = has_prev & ~has_next & ~exact
    only_next = has_next & ~has_prev & ~exact
    matrix[only_prev], keyframe[only_prev] = forward[only_prev], prev_k[only_prev]
    matrix[only_next], keyframe[only_next] = backward[only_next], next_k[only_next]
    matrix[exact] = key_matrix[[key_index[int(r)] for r in rows[exact]]]
    keyframe[exact] = rows[exact]
    # Where the shot has a measured closure rate, extrapolate it; else only the random walk counts.
    rate = np.array([pair_rate.get(int(s), 0.0) for s in segment])
    drift[only_prev] = rate[only_prev] * (rows[only_prev] - prev_k[only_prev])
    drift[only_next] = rate[only_next] * (next_k[only_next] - rows[only_next])
    drift[exact] = 0.0

    mpp = metres_per_pixel(np.nan_to_num(matrix, nan=0.0), (width / 2, 0.65 * height))
    walk_px = np.where(both, np.minimum(walk_fwd, walk_bwd), np.where(has_prev, walk_fwd, walk_bwd))
    drift = np.where(exact, 0.0, np.fmax(np.nan_to_num(drift, nan=0.0), walk_px * mpp))
    has = np.isfinite(matrix).all(axis=(1, 2))
    drift[~has] = np.nan
    reason[~has] = np.where(motion.cut[~has], "camera cut; no keyframe in this shot", "camera motion lost; no keyframe in this stretch")
    too_far = has & ~(drift <= max_drift_m)
    reason[too_far] = "drift since the keyframe above the limit"
    reliable = has & ~too_far
    return Propagated(matrix, reliable, drift, keyframe, reason, closure, static=False)
