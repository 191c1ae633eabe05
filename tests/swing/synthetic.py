"""Build BlazePose-topology pose sequences from a few named trajectories (for known-answer tests)."""

from __future__ import annotations

import numpy as np

from sideline.core.pose import BLAZEPOSE_KEYPOINTS, PoseSequence


def make_pose(points: dict[str, np.ndarray], times: np.ndarray, *, frame_size=(1000, 1000)) -> PoseSequence:
    """points: name -> [T, 2] (or [2], held still). Unnamed keypoints sit at the frame centre."""
    n = len(times)
    landmarks = np.zeros((n, len(BLAZEPOSE_KEYPOINTS), 3))
    landmarks[..., 0], landmarks[..., 1] = frame_size[0] / 2, frame_size[1] / 2
    for name, xy in points.items():
        landmarks[:, BLAZEPOSE_KEYPOINTS.index(name), :2] = np.broadcast_to(np.asarray(xy, float), (n, 2))
    return PoseSequence(
        timestamps=np.asarray(times, float), landmarks=landmarks,
        visibility=np.ones((n, len(BLAZEPOSE_KEYPOINTS))), confidence=np.ones(n),
        keypoint_names=BLAZEPOSE_KEYPOINTS, frame_size=frame_size, nominal_fps=30.0,
    )


def standing_body(torso: float = 100.0, shoulder_width: float = 80.0) -> dict[str, np.ndarray]:
    """A person facing the camera: hips at y=600, shoulders one torso length above."""
    return {
        "left_hip": np.array([540.0, 600.0]), "right_hip": np.array([460.0, 600.0]),
        "left_shoulder": np.array([500 + shoulder_width / 2, 600 - torso]),
        "right_shoulder": np.array([500 - shoulder_width / 2, 600 - torso]),
        "nose": np.array([500.0, 600 - 1.3 * torso]),
        "left_ear": np.array([510.0, 600 - 1.35 * torso]), "right_ear": np.array([490.0, 600 - 1.35 * torso]),
    }
