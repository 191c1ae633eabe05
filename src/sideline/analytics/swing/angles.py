"""2D swing angles from a pose sequence, in degrees, one value per frame (NaN where unknown).

All are measured in the image plane, so each is meaningful only from certain camera views
(see ``views.py`` to tell them apart); docs/swing.md tabulates them.

* spine_tilt      hip centre -> shoulder centre against image vertical; + = shoulders towards +x.
                  Face-on: lateral tilt (a right-hander tilts away from the target, ~5-15 deg at
                  address). Down-the-line: forward bend ("spine angle", ~30-45 deg at address).
* lead_arm_angle  interior angle shoulder-elbow-wrist of the lead arm; 180 = straight. Face-on
                  (down the line the lead arm is hidden and foreshortened).
* knee_flex       180 - interior angle hip-knee-ankle; 0 = straight leg. Down-the-line (the knee
                  bends in the sagittal plane, which face-on views edge-on).
* shoulder_turn / hip_turn   proxies: arccos(width / width at the reference frame) of the line
                  joining the two shoulders (hips), assuming it is square to the camera at
                  address. Face-on only; unsigned; saturates at 90 deg.
* head_sway       head (mean of ears and nose) displacement from the reference frame in torso
                  lengths, [T, 2] = (dx, dy). Face-on: dx is sway along the target line;
                  down-the-line: dx is movement towards/away from the ball. dy (+ = down) in both.
"""

from __future__ import annotations

import numpy as np

from sideline.core.pose import PoseSequence
from sideline.errors import InvalidInput


def _side(lead_side: str) -> str:
    if lead_side not in ("left", "right"):
        raise InvalidInput(f"lead_side must be 'left' (right-handed golfer) or 'right', got {lead_side!r}")
    return lead_side


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Interior angle ABC in degrees for [..., 2] points."""
    u, v = a - b, c - b
    cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def torso_length(pose: PoseSequence) -> np.ndarray:
    return np.linalg.norm(pose.midpoint("left_shoulder", "right_shoulder") - pose.midpoint("left_hip", "right_hip"), axis=1)


def spine_tilt(pose: PoseSequence) -> np.ndarray:
    spine = pose.midpoint("left_shoulder", "right_shoulder") - pose.midpoint("left_hip", "right_hip")
    return np.degrees(np.arctan2(spine[:, 0], -spine[:, 1]))  # image y points down


def lead_arm_angle(pose: PoseSequence, lead_side: str = "left") -> np.ndarray:
    s = _side(lead_side)
    return angle_at(pose.xy(f"{s}_shoulder"), pose.xy(f"{s}_elbow"), pose.xy(f"{s}_wrist"))


def knee_flex(pose: PoseSequence, side: str) -> np.ndarray:
    s = _side(side)
    return 180.0 - angle_at(pose.xy(f"{s}_hip"), pose.xy(f"{s}_knee"), pose.xy(f"{s}_ankle"))


def _turn(pose: PoseSequence, left: str, right: str, reference_frame: int) -> np.ndarray:
    width = np.abs(pose.xy(left)[:, 0] - pose.xy(right)[:, 0])
    reference = width[reference_frame]
    if not np.isfinite(reference) or reference <= 0:
        raise InvalidInput(f"{left}/{right} are not visible at the reference frame {reference_frame}")
    return np.degrees(np.arccos(np.clip(width / reference, 0.0, 1.0)))


def shoulder_turn(pose: PoseSequence, reference_frame: int = 0) -> np.ndarray:
    return _turn(pose, "left_shoulder", "right_shoulder", reference_frame)


def hip_turn(pose: PoseSequence, reference_frame: int = 0) -> np.ndarray:
    return _turn(pose, "left_hip", "right_hip", reference_frame)


def head_position(pose: PoseSequence) -> np.ndarray:
    return np.nanmean(np.stack([pose.xy("nose"), pose.xy("left_ear"), pose.xy("right_ear")]), axis=0)


def head_sway(pose: PoseSequence, reference_frame: int = 0) -> np.ndarray:
    head = head_position(pose)
    return (head - head[reference_frame]) / np.nanmedian(torso_length(pose))
