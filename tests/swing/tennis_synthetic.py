"""Synthetic tennis strokes with known answers: a 3D stick player projected by a chosen camera.

World frame (units: torso lengths; the player's own axes): X = the player's right, Y = up,
Z = forward (towards the net). The hip centre stays at (0, 1, 0); the shoulder line turns by a
yaw angle (positive = right shoulder back, the coil of a right-hander's forehand); the hips turn
by half of it. Wrists follow minimum-jerk paths between key positions, so each swing's speed
peaks exactly halfway between its backswing and follow-through keys: that is the contact.

Cameras (orthographic, 100 px per torso length): ``behind`` (looking towards the net), ``front``
(looking back at the player), ``side`` (on the player's right, so they face image +x). The camera
looks down at the court by ``elevation`` degrees: ground depth shows in the picture as y x
sin(elevation); z is the depth along the camera's line of sight (what BlazePose's relative depth
estimates). A left-hander is the right-hander mirrored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sideline.core.pose import BLAZEPOSE_KEYPOINTS, PoseSequence

SCALE = 100.0
ORIGIN = (640.0, 600.0)
READY_RACKET = np.array([0.15, 1.25, 0.45])
READY_OTHER = np.array([-0.05, 1.25, 0.45])


@dataclass(frozen=True)
class Phase:
    """A wrist moves from ``start`` to ``end`` between t0 and t1 (minimum jerk)."""

    t0: float
    t1: float
    start: np.ndarray
    end: np.ndarray


def min_jerk(s: np.ndarray) -> np.ndarray:
    return 10 * s**3 - 15 * s**4 + 6 * s**5


def path(times: np.ndarray, rest: np.ndarray, phases: list[Phase]) -> np.ndarray:
    """[T, 3] positions: at rest, then each phase in turn (holding the last position between phases)."""
    out = np.broadcast_to(rest, (len(times), 3)).copy()
    for p in phases:
        s = np.clip((times - p.t0) / (p.t1 - p.t0), 0, 1)[:, None]
        moving = times >= p.t0
        out[moving] = (p.start + (p.end - p.start) * min_jerk(s))[moving]
    return out


def ramp(times: np.ndarray, keys: list[tuple[float, float]]) -> np.ndarray:
    """Piecewise minimum-jerk scalar through (time, value) keys, held before the first and after the last."""
    values = np.full(len(times), keys[0][1], float)
    for (t0, v0), (t1, v1) in zip(keys, keys[1:]):
        s = np.clip((times - t0) / (t1 - t0), 0, 1)
        values = np.where(times >= t0, v0 + (v1 - v0) * min_jerk(s), values)
    return values


@dataclass(frozen=True)
class Stroke3D:
    racket: np.ndarray  # [T, 3] racket wrist
    other: np.ndarray  # [T, 3] free (or second) hand
    yaw: np.ndarray  # [T] shoulder-line yaw, degrees
    feet: tuple[np.ndarray, np.ndarray]  # (racket-side ankle, other-side ankle) positions [3]


def stance_feet(kind_front: str, stance_deg: float, width: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """(racket-side ankle, other-side ankle) for a right-hander. ``kind_front`` 'other' (forehand: the left
    foot in front) or 'racket' (backhand). ``stance_deg`` from the lateral axis towards the net."""
    a = np.radians(stance_deg)
    if kind_front == "other":
        back = np.array([0.35, 0.0, 0.0])
        front = back + width * np.array([-np.cos(a), 0.0, np.sin(a)])
        return back, front
    back = np.array([-0.35, 0.0, 0.0])
    front = back + width * np.array([np.cos(a), 0.0, np.sin(a)])
    return front, back


def forehand(times, contact=1.0, stance_deg=0.0, coil_deg=60.0, swing_s=0.3) -> Stroke3D:
    back, finish = np.array([1.0, 1.4, -0.8]), np.array([-0.4, 1.9, 1.0])
    half = swing_s / 2
    racket = path(times, READY_RACKET, [Phase(contact - 0.7, contact - half, READY_RACKET, back),
                                        Phase(contact - half, contact + half, back, finish),
                                        Phase(contact + 0.5, contact + 1.0, finish, READY_RACKET)])
    other = path(times, READY_OTHER, [Phase(contact - 0.7, contact - half, READY_OTHER, np.array([-0.6, 1.5, 0.6])),
                                      Phase(contact + 0.5, contact + 1.0, np.array([-0.6, 1.5, 0.6]), READY_OTHER)])
    yaw = ramp(times, [(contact - 0.7, 0.0), (contact - half, coil_deg), (contact, 0.0), (contact + half, -20.0),
                       (contact + 1.0, 0.0)])
    return Stroke3D(racket, other, yaw, stance_feet("other", stance_deg))


def backhand(times, contact=1.0, stance_deg=90.0, coil_deg=70.0, two_handed=True, swing_s=0.3) -> Stroke3D:
    back, finish = np.array([-1.1, 1.35, -0.7]), np.array([0.6, 1.95, 0.9])
    half = swing_s / 2
    racket = path(times, READY_RACKET, [Phase(contact - 0.7, contact - half, READY_RACKET, back),
                                        Phase(contact - half, contact + half, back, finish),
                                        Phase(contact + 0.5, contact + 1.0, finish, READY_RACKET)])
    if two_handed:
        other = racket + np.array([-0.12, 0.05, 0.0])
    else:
        other = path(times, READY_OTHER, [Phase(contact - 0.7, contact - half, READY_OTHER, np.array([-0.7, 1.3, -0.3])),
                                          Phase(contact - half, contact + half, np.array([-0.7, 1.3, -0.3]),
                                                np.array([-0.8, 1.2, -0.6]))])
    yaw = ramp(times, [(contact - 0.7, 0.0), (contact - half, -coil_deg), (contact, 0.0), (contact + 1.0, 0.0)])
    return Stroke3D(racket, other, yaw, stance_feet("racket", stance_deg))


def volley(times, contact=1.0, stance_deg=45.0) -> Stroke3D:
    back, finish = np.array([0.85, 1.8, 0.3]), np.array([0.25, 1.2, 0.8])
    racket = path(times, READY_RACKET, [Phase(contact - 0.5, contact - 0.08, READY_RACKET, back),
                                        Phase(contact - 0.08, contact + 0.08, back, finish),
                                        Phase(contact + 0.4, contact + 0.9, finish, READY_RACKET)])
    other = path(times, READY_OTHER, [Phase(contact - 0.5, contact - 0.08, READY_OTHER, np.array([-0.3, 1.5, 0.6]))])
    yaw = ramp(times, [(contact - 0.5, 0.0), (contact - 0.08, 20.0), (contact, 0.0), (contact + 0.9, 0.0)])
    return Stroke3D(racket, other, yaw, stance_feet("other", stance_deg))


def serve(times, contact=1.0) -> Stroke3D:
    trophy, drop = np.array([0.55, 2.1, -0.3]), np.array([0.45, 1.7, -0.55])
    top, finish = np.array([0.2, 2.95, 0.35]), np.array([-0.45, 1.0, 0.5])
    racket = path(times, READY_RACKET, [Phase(contact - 0.9, contact - 0.45, READY_RACKET, trophy),
                                        Phase(contact - 0.45, contact - 0.2, trophy, drop),
                                        Phase(contact - 0.2, contact, drop, top),
                                        Phase(contact, contact + 0.25, top, finish),
                                        Phase(contact + 0.6, contact + 1.1, finish, READY_RACKET)])
    other = path(times, READY_OTHER, [Phase(contact - 0.9, contact - 0.4, READY_OTHER, np.array([-0.15, 2.9, 0.3])),
                                      Phase(contact - 0.4, contact, np.array([-0.15, 2.9, 0.3]), np.array([-0.3, 1.4, 0.3]))])
    yaw = ramp(times, [(contact - 0.9, 70.0), (contact - 0.2, 80.0), (contact, 10.0), (contact + 1.1, 0.0)])
    return Stroke3D(racket, other, yaw, stance_feet("other", 90.0, width=0.6))


def walking(times) -> Stroke3D:
    """Arms swinging at a walking pace (1 Hz, +-0.3 torso): no stroke."""
    swing = 0.3 * np.sin(2 * np.pi * times)[:, None] * np.array([0.0, 0.0, 1.0])
    return Stroke3D(np.array([0.45, 0.95, 0.0]) + swing, np.array([-0.45, 0.95, 0.0]) - swing, np.zeros(len(times)),
                    stance_feet("other", 0.0, width=0.5))


def combine(times: np.ndarray, parts: list[tuple[float, float, Stroke3D]]) -> Stroke3D:
    """Strokes in sequence: each part owns the frames with t0 <= t < t1."""
    racket, other, yaw = np.zeros((len(times), 3)), np.zeros((len(times), 3)), np.zeros(len(times))
    feet_r, feet_o = np.zeros((len(times), 3)), np.zeros((len(times), 3))
    for t0, t1, part in parts:
        m = (times >= t0) & (times < t1)
        racket[m], other[m], yaw[m] = part.racket[m], part.other[m], part.yaw[m]
        feet_r[m], feet_o[m] = part.feet
    return Stroke3D(racket, other, yaw, (feet_r, feet_o))


def project(stroke: Stroke3D, times: np.ndarray, *, view: str = "behind", right_handed: bool = True,
            elevation_deg: float = 0.0, with_depth: bool = True) -> PoseSequence:
    """Pose sequence of the stick player seen by the camera (see the module doc)."""
    n = len(times)
    yaw = np.radians(stroke.yaw)
    hip_yaw = yaw / 2

    def turned(x: float, y: float, z: float, angle: np.ndarray) -> np.ndarray:
        # Positive yaw moves +X (the right side) backwards (-Z).
        c, s = np.cos(angle), np.sin(angle)
        return np.stack([x * c + z * s, np.full(n, y), -x * s + z * c], axis=1)

    hip_centre = np.array([0.0, 1.0, 0.0])
    joints: dict[str, np.ndarray] = {
        "left_shoulder": hip_centre + turned(-0.42, 1.0, 0.0, yaw), "right_shoulder": hip_centre + turned(0.42, 1.0, 0.0, yaw),
        "left_hip": hip_centre + turned(-0.2, 0.0, 0.0, hip_yaw), "right_hip": hip_centre + turned(0.2, 0.0, 0.0, hip_yaw),
        "nose": hip_centre + turned(0.0, 1.3, 0.12, yaw),
        "left_ear": hip_centre + turned(-0.08, 1.35, 0.0, yaw), "right_ear": hip_centre + turned(0.08, 1.35, 0.0, yaw),
        "right_wrist": stroke.racket, "left_wrist": stroke.other,
    }
    feet_r, feet_o = (np.broadcast_to(f, (n, 3)) for f in stroke.feet)
    joints["right_ankle"], joints["left_ankle"] = feet_r, feet_o
    for side in ("left", "right"):
        joints[f"{side}_elbow"] = (joints[f"{side}_shoulder"] + joints[f"{side}_wrist"]) / 2
        joints[f"{side}_knee"] = (joints[f"{side}_hip"] + joints[f"{side}_ankle"]) / 2 + np.array([0.0, 0.0, 0.1])
    if not right_handed:  # mirror the world and swap the sides' names
        joints = {name.replace("left", "#").replace("right", "left").replace("#", "right"): xyz * np.array([-1.0, 1, 1])
                  for name, xyz in joints.items()}
    e = np.radians(elevation_deg)
    landmarks = np.full((n, len(BLAZEPOSE_KEYPOINTS), 3), np.nan)
    for name, xyz in joints.items():
        x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
        if view == "behind":
            u, depth = x, z
        elif view == "front":
            u, depth = -x, -z
        elif view == "side":  # camera on the player's right: they face image +x, their right is nearer
            u, depth = z, -x
        else:
            raise ValueError(view)
        landmarks[:, BLAZEPOSE_KEYPOINTS.index(name)] = np.stack([
            ORIGIN[0] + SCALE * u, ORIGIN[1] - SCALE * (y * np.cos(e) + depth * np.sin(e)),
            SCALE * (depth * np.cos(e) - y * np.sin(e)) if with_depth else np.full(n, np.nan)], axis=1)
    visibility = np.where(np.isfinite(landmarks[..., 0]), 1.0, 0.0)
    return PoseSequence(timestamps=np.asarray(times, float), landmarks=landmarks, visibility=visibility,
                        confidence=np.ones(n), keypoint_names=BLAZEPOSE_KEYPOINTS, frame_size=(1280, 720),
                        nominal_fps=60.0)
