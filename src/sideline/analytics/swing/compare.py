"""Compare two swings: normalised pose features, phase-by-phase DTW, angle differences, similarity.

Features are handedness- and size-free: joints relative to the hip centre in torso lengths
(median over the clip), with a left-hander's x mirrored and "lead"/"trail" naming the sides,
so a left-hander compares with a right-hander. Camera views must match (a down-the-line clip
cannot be aligned with a face-on one).

Alignment is dynamic time warping (DTW) inside each phase (backswing address -> top, downswing
top -> impact, follow-through impact -> finish) with the phase boundaries pinned to each other,
so a slow backswing never "borrows" frames from the downswing. The cost of a frame pair is the
mean joint distance in torso lengths; similarity = exp(-mean aligned cost / SIMILARITY_SCALE_TORSO).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sideline.analytics.swing.angles import head_sway, knee_flex, lead_arm_angle, spine_tilt, torso_length
from sideline.analytics.swing.golf_events import EVENT_NAMES, hand_height
from sideline.core.pose import PoseSequence
from sideline.errors import InvalidInput

PHASES = (("backswing", "address", "top"), ("downswing", "top", "impact"), ("follow_through", "impact", "finish"))
KEY_EVENTS = ("address", "top", "impact", "finish")
# Lead/trail joints (lead = left for a right-hander) plus the nose.
JOINTS = ("nose", "lead_shoulder", "trail_shoulder", "lead_elbow", "trail_elbow", "lead_wrist", "trail_wrist",
          "lead_hip", "trail_hip", "lead_knee", "trail_knee", "lead_ankle", "trail_ankle")
ANGLES = ("spine_tilt", "lead_arm", "lead_knee_flex", "trail_knee_flex", "hand_height", "head_sway")
# Angles meaningful in each camera view (docs/swing.md); hand height is view-independent.
VIEW_ANGLES = {"face_on": ("spine_tilt", "lead_arm", "hand_height"),
               "down_the_line": ("spine_tilt", "lead_knee_flex", "trail_knee_flex", "hand_height"),
               "oblique": ("hand_height",)}
# A mean joint offset of 0.3 torso lengths (about a hand's width at the wrists) gives exp(-1) = 0.37.
SIMILARITY_SCALE_TORSO = 0.3
FEATURE_VERSION = 1


@dataclass(frozen=True)
class SwingFeatures:
    """timestamps [T]; joints [T, J, 2] normalised (JOINTS order); angles name -> [T] (degrees, hand
    height in torso lengths); events name -> frame; view; right_handed; playback_speed (real s per video s)."""

    timestamps: np.ndarray
    joints: np.ndarray
    angles: dict[str, np.ndarray]
    events: dict[str, int]
    view: str
    right_handed: bool
    playback_speed: float = 1.0


def swing_features(pose: PoseSequence, events: dict[str, int], *, view: str, right_handed: bool = True,
                   playback_speed: float = 1.0) -> SwingFeatures:
    """Normalise a pose for comparison. ``events`` maps every golf event name to its frame."""
    missing = [name for name in EVENT_NAMES if name not in events]
    if missing:
        raise InvalidInput(f"swing features need all eight golf events; missing {', '.join(missing)}")
    frames = [events[name] for name in EVENT_NAMES]
    if any(not 0 <= f < len(pose) for f in frames) or np.any(np.diff(frames) < 0):
        raise InvalidInput(f"golf event frames must be in swing order within the clip's {len(pose)} frames, got {frames}")
    lead, trail = ("left", "right") if right_handed else ("right", "left")
    mirror = 1.0 if right_handed else -1.0
    hips = pose.midpoint("left_hip", "right_hip")
    scale = float(np.nanmedian(torso_length(pose)))
    if not np.isfinite(scale) or scale <= 0:
        raise InvalidInput("the athlete's torso was never seen, so the swing cannot be normalised")
    names = [j.replace("lead_", f"{lead}_").replace("trail_", f"{trail}_") for j in JOINTS]
    joints = np.stack([pose.xy(n) for n in names], axis=1) - hips[:, None, :]
    joints = joints / scale
    joints[..., 0] *= mirror
    angles = {
        "spine_tilt": spine_tilt(pose) * mirror,
        "lead_arm": lead_arm_angle(pose, lead),
        "lead_knee_flex": knee_flex(pose, lead),
        "trail_knee_flex": knee_flex(pose, trail),
        "hand_height": hand_height(pose),
        # Head movement along image x from address, torso lengths; + = towards the target (face-on), the ball (down the line).
        "head_sway": head_sway(pose, int(events["address"]))[:, 0] * mirror,
    }
    return SwingFeatures(pose.timestamps.copy(), joints, angles, {n: int(events[n]) for n in EVENT_NAMES},
                         view, right_handed, playback_speed)


def frame_costs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[N, M] mean joint distance between every frame of ``a`` [N, J, 2] and ``b`` [M, J, 2].

    Joints missing in either frame are left out of that pair's mean; a pair with none in common costs 1 torso.
    """
    distance = np.linalg.norm(a[:, None] - b[None, :], axis=-1)  # [N, M, J]
    known = np.isfinite(distance)
    total = np.where(known, distance, 0.0).sum(axis=-1)
    count = known.sum(axis=-1)
    return np.where(count > 0, total / np.maximum(count, 1), 1.0)


def dtw(cost: np.ndarray) -> tuple[np.ndarray, float]:
    """Classic DTW (steps (1,1), (1,0), (0,1)) with both ends pinned; returns the path [L, 2] and its summed cost.

    The accumulated matrix is filled one anti-diagonal at a time (every cell of a diagonal depends
    only on the two before it), so the Python loop runs N + M times, not N x M.
    """
    n, m = cost.shape
    if n == 0 or m == 0:
        raise InvalidInput("cannot align an empty phase")
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for d in range(2, n + m + 1):
        i = np.arange(max(1, d - m), min(n, d - 1) + 1)
        j = d - i
        best = np.minimum(np.minimum(acc[i - 1, j - 1], acc[i - 1, j]), acc[i, j - 1])
        acc[i, j] = cost[i - 1, j - 1] + best
    # Walk back from the end; ties prefer the diagonal so equal sequences give the identity path.
    path = [(n - 1, m - 1)]
    i, j = n, m
    while (i, j) != (1, 1):
        steps = ((i - 1, j - 1), (i - 1, j), (i, j - 1))
        i, j = min(steps, key=lambda s: acc[s])
        path.append((i - 1, j - 1))
    return np.asarray(path[::-1], dtype=np.int64), float(acc[n, m])


def similarity(mean_cost: float) -> float:
    return float(np.exp(-mean_cost / SIMILARITY_SCALE_TORSO))


@dataclass(frozen=True)
class PhaseComparison:
    name: str
    athlete_frames: tuple[int, int]
    reference_frames: tuple[int, int]
    athlete_duration_s: float  # real seconds (playback speed applied)
    reference_duration_s: float
    mean_cost: float  # mean joint distance along the path, torso lengths
    similarity: float
    # angle -> mean (athlete - reference) along the aligned path
    mean_differences: dict[str, float]


@dataclass(frozen=True)
class EventDifference:
    event: str
    angle: str
    athlete: float
    reference: float
    difference: float  # athlete - reference
    athlete_frame: int
    reference_frame: int


@dataclass(frozen=True)
class SwingComparison:
    similarity: float
    mean_cost: float
    phases: list[PhaseComparison]
    at_events: list[EventDifference]
    path: np.ndarray  # [L, 2] (athlete frame, reference frame), address -> finish
    angles: tuple[str, ...]  # those valid for the shared view

    def reference_frame_for(self) -> np.ndarray:
        """For each athlete frame from address to finish, the first matching reference frame (synchronised playback)."""
        frames, first = np.unique(self.path[:, 0], return_index=True)
        return np.stack([frames, self.path[first, 1]], axis=1)


def _nan_float(value: float) -> float:
    return float(value) if np.isfinite(value) else float("nan")


def compare_swings(athlete: SwingFeatures, reference: SwingFeatures) -> SwingComparison:
    """Align ``athlete`` to ``reference`` phase by phase; differences are athlete minus reference."""
    if athlete.view != reference.view:
        raise InvalidInput(f"cannot compare a {athlete.view.replace('_', '-')} clip with a "
                           f"{reference.view.replace('_', '-')} one: film both from the same side")
    angle_names = VIEW_ANGLES.get(athlete.view, ("hand_height",))
    phases: list[PhaseComparison] = []
    paths: list[np.ndarray] = []
    total_cost, total_steps = 0.0, 0
    for name, start, end in PHASES:
        a0, a1 = athlete.events[start], athlete.events[end]
        r0, r1 = reference.events[start], reference.events[end]
        cost = frame_costs(athlete.joints[a0:a1 + 1], reference.joints[r0:r1 + 1])
        local, summed = dtw(cost)
        path = local + np.array([a0, r0])
        differences = {}
        for angle in angle_names:
            delta = athlete.angles[angle][path[:, 0]] - reference.angles[angle][path[:, 1]]
            differences[angle] = _nan_float(np.nanmean(delta)) if np.isfinite(delta).any() else float("nan")
        mean_cost = summed / len(path)
        phases.append(PhaseComparison(
            name, (a0, a1), (r0, r1),
            float((athlete.timestamps[a1] - athlete.timestamps[a0]) * athlete.playback_speed),
            float((reference.timestamps[r1] - reference.timestamps[r0]) * reference.playback_speed),
            mean_cost, similarity(mean_cost), differences))
        paths.append(path if not paths else path[1:])  # the boundary pair is shared with the previous phase
        total_cost += summed - (cost[0, 0] if len(paths) > 1 else 0.0)
        total_steps += len(paths[-1])
    at_events = [
        EventDifference(event, angle, _nan_float(athlete.angles[angle][athlete.events[event]]),
                        _nan_float(reference.angles[angle][reference.events[event]]),
                        _nan_float(athlete.angles[angle][athlete.events[event]]
                                   - reference.angles[angle][reference.events[event]]),
                        athlete.events[event], reference.events[event])
        for event in KEY_EVENTS for angle in angle_names]
    mean_cost = total_cost / total_steps
    return SwingComparison(similarity(mean_cost), mean_cost, phases, at_events, np.concatenate(paths),
                           tuple(angle_names))


def feature_vector(features: SwingFeatures) -> np.ndarray:
    """Compact fixed-length description for nearest-swing search: the normalised joints at the
    eight events (8 x 13 x 2) and the tempo ratio over 3 (x 2, so one tempo step weighs like a
    joint moved by two thirds of a torso). Missing joints are 0 (at the hip centre)."""
    at_events = features.joints[[features.events[n] for n in EVENT_NAMES]].reshape(-1)
    t = features.timestamps
    e = features.events
    backswing, downswing = t[e["top"]] - t[e["address"]], t[e["impact"]] - t[e["top"]]
    tempo = backswing / downswing if downswing > 0 else 0.0
    return np.nan_to_num(np.concatenate([at_events, [2.0 * tempo / 3.0]]), nan=0.0).astype(np.float64)


def nearest(query: np.ndarray, candidates: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest rows of ``candidates`` [N, D] to ``query`` [D] (Euclidean): (indices, distances)."""
    if candidates.ndim != 2 or candidates.shape[1] != query.shape[0]:
        raise InvalidInput(f"feature vectors must all have {query.shape[0]} values, got {candidates.shape}")
    distances = np.linalg.norm(candidates - query[None, :], axis=1)
    order = np.argsort(distances, kind="stable")[:k]
    return order, distances[order]
