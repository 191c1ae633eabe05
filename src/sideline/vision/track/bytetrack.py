"""ByteTrack (roboflow ``trackers``) behind our ``Detections`` type, frame by frame or over a table."""

from __future__ import annotations

import numpy as np

from sideline.vision.detect.base import Detections
from sideline.vision.track.evaluate import BoxTable


class ByteTrack:
    def __init__(self, *, frame_rate: float = 25.0, lost_track_seconds: float = 1.0, activation_threshold: float = 0.6,
                 high_confidence: float = 0.6, minimum_iou: float = 0.1, minimum_consecutive_frames: int = 2) -> None:
        from trackers import ByteTrackTracker

        # trackers counts the buffer in 30 fps frames and rescales by frame_rate itself.
        self.tracker = ByteTrackTracker(
            lost_track_buffer=max(1, round(lost_track_seconds * 30)),
            frame_rate=frame_rate,
            track_activation_threshold=activation_threshold,
            minimum_consecutive_frames=minimum_consecutive_frames,
            minimum_iou_threshold=minimum_iou,
            high_conf_det_threshold=high_confidence,
        )

    def update(self, detections: Detections) -> Detections:
        """This frame's detections with ``tracker_id`` (-1 = not a confirmed track)."""
        tracked = self.tracker.update(detections.to_supervision())
        return Detections.from_supervision(tracked)


def track_table(detections: BoxTable, tracker=None) -> BoxTable:
    """Run a tracker (anything with ``update(sv.Detections)`` or ours) over a whole table of boxes."""
    import supervision as sv

    tracker = tracker or ByteTrack()
    order = np.argsort(detections.frame, kind="stable")
    frames = np.arange(detections.frame.min(), detections.frame.max() + 1) if len(detections) else np.empty(0, int)
    bounds = np.searchsorted(detections.frame[order], np.append(frames, frames[-1] + 1 if len(frames) else 0))
    out_frame, out_id, out_xyxy, out_conf = [], [], [], []
    for t, frame in enumerate(frames):  # trackers are online: one call per time step
        rows = order[bounds[t]: bounds[t + 1]]
        current = Detections(detections.xyxy[rows], detections.confidence[rows], np.zeros(len(rows), dtype=np.int64))
        if isinstance(tracker, ByteTrack):
            result = tracker.update(current)
        else:
            result = Detections.from_supervision(tracker.update_with_detections(current.to_supervision())
                                                 if hasattr(tracker, "update_with_detections") else tracker.update(current.to_supervision()))
        if not len(result):
            continue
        out_frame.append(np.full(len(result), frame))
        out_id.append(result.tracker_id if result.tracker_id is not None else np.full(len(result), -1))
        out_xyxy.append(result.xyxy)
        out_conf.append(result.confidence)
    if not out_frame:
        return BoxTable(np.empty(0, int), np.empty(0, int), np.empty((0, 4)), np.empty(0))
    return BoxTable(np.concatenate(out_frame), np.concatenate(out_id), np.concatenate(out_xyxy), np.concatenate(out_conf))
