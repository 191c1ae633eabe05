"""Which way the camera looks at the golfer, and the golfer's handedness.

At address the shoulder line of a face-on view is square to the camera (its image width is about
0.7-0.9 torso lengths); down the line it points at the camera (width near 0). Between 0.3 and
0.45 the view is oblique and view-specific angles should not be trusted.
Handedness: down the line (camera behind the golfer, looking at the target) a right-hander faces
image right; face-on a right-hander's hands go to image left (the golfer's right) at the top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sideline.analytics.swing.angles import torso_length
from sideline.core.pose import PoseSequence

FACE_ON_MIN_WIDTH = 0.45
DOWN_THE_LINE_MAX_WIDTH = 0.3


@dataclass(frozen=True)
class CameraView:
    view: str  # "face_on", "down_the_line" or "oblique"
    shoulder_width: float  # shoulder-line image width over torso length at address
    right_handed: bool | None  # None when it cannot be told

    @property
    def lead_side(self) -> str | None:
        return None if self.right_handed is None else ("left" if self.right_handed else "right")


def detect_view(pose: PoseSequence, address_frame: int = 0, top_frame: int | None = None) -> CameraView:
    """Camera view from the address pose (median over 5 frames around it for robustness)."""
    window = slice(max(address_frame - 2, 0), address_frame + 3)
    shoulders_dx = pose.xy("left_shoulder")[window, 0] - pose.xy("right_shoulder")[window, 0]
    width = float(np.nanmedian(np.abs(shoulders_dx) / torso_length(pose)[window]))
    if width >= FACE_ON_MIN_WIDTH:
        view = "face_on"
    elif width <= DOWN_THE_LINE_MAX_WIDTH:
        view = "down_the_line"
    else:
        view = "oblique"
    right_handed: bool | None = None
    shoulder_x = pose.midpoint("left_shoulder", "right_shoulder")[:, 0]
    if view == "down_the_line":
        facing = np.nanmedian(pose.xy("nose")[window, 0] - shoulder_x[window])
        right_handed = bool(facing > 0) if np.isfinite(facing) else None
    elif view == "face_on" and top_frame is not None:
        hands_x = pose.midpoint("left_wrist", "right_wrist")[top_frame, 0]
        offset = hands_x - shoulder_x[top_frame]
        right_handed = bool(offset < 0) if np.isfinite(offset) else None
    return CameraView(view, round(width, 3), right_handed)
