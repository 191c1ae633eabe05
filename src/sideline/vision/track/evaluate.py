"""Tracker evaluation tooling: MOTChallenge ground truth in, realistically degraded detections out,
and HOTA / MOTA / IDF1 computed by TrackEval (the reference implementation) on the result.

Degradation stands in for a real detector on footage we have no images for: box jitter, single
missed frames, multi-frame occlusion bursts (which break tracks on purpose) and false positives,
all from one seed so a run is reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sideline.errors import InvalidInput
from sideline.vision.detect.base import box_iou


@dataclass(frozen=True)
class BoxTable:
    """One row per box: frame (1-based, MOTChallenge), identity (-1 = none), xyxy, confidence."""

    frame: np.ndarray
    track_id: np.ndarray
    xyxy: np.ndarray
    confidence: np.ndarray

    def __len__(self) -> int:
        return len(self.frame)

    def select(self, mask) -> BoxTable:
        return BoxTable(self.frame[mask], self.track_id[mask], self.xyxy[mask], self.confidence[mask])


def load_mot(path: str | Path) -> BoxTable:
    """A MOTChallenge ``gt.txt``/result file: frame, id, left, top, width, height, conf, ..."""
    path = Path(path)
    try:
        rows = np.loadtxt(path, delimiter=",", ndmin=2)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{path.name!r} is not a MOTChallenge text file: {exc}") from None
    if rows.shape[1] < 6:
        raise InvalidInput(f"{path.name!r}: expected at least 6 columns, got {rows.shape[1]}")
    xyxy = np.column_stack([rows[:, 2], rows[:, 3], rows[:, 2] + rows[:, 4], rows[:, 3] + rows[:, 5]])
    confidence = rows[:, 6] if rows.shape[1] > 6 else np.ones(len(rows))
    return BoxTable(rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64), xyxy, confidence)


def degrade(gt: BoxTable, *, seed: int, image_size: tuple[int, int] = (1280, 720), jitter: float = 0.05,
            miss_rate: float = 0.05, bursts_per_track: float = 1.5, burst_frames: tuple[int, int] = (10, 60),
            false_positives_per_frame: float = 1.0) -> BoxTable:
    """Detections as a decent detector would give them, with identities removed."""
    rng = np.random.default_rng(seed)
    size = gt.xyxy[:, 2:] - gt.xyxy[:, :2]
    xyxy = gt.xyxy + rng.normal(0, jitter, (len(gt), 4)) * np.tile(size, 2)
    keep = rng.random(len(gt)) >= miss_rate
    # Occlusion bursts: whole runs of frames missing for one identity, long enough to outlive
    # ByteTrack's lost-track buffer sometimes.
    for identity in np.unique(gt.track_id):
        rows = np.flatnonzero(gt.track_id == identity)
        frames = gt.frame[rows]
        for _ in range(rng.poisson(bursts_per_track)):
            start = rng.integers(frames.min(), frames.max() + 1)
            length = rng.integers(burst_frames[0], burst_frames[1] + 1)
            keep[rows[(frames >= start) & (frames < start + length)]] = False
    # Confidence: mostly high, the small/occluded tail lower, so ByteTrack's second stage has work.
    confidence = np.clip(rng.beta(5, 1.5, len(gt)), 0.05, 1.0)
    frames = np.unique(gt.frame)
    fp_count = rng.poisson(false_positives_per_frame, len(frames))
    fp_frame = np.repeat(frames, fp_count)
    fp_size = size[rng.integers(0, len(size), len(fp_frame))]
    fp_top_left = rng.random((len(fp_frame), 2)) * (np.array(image_size) - fp_size)
    fp_xyxy = np.column_stack([fp_top_left, fp_top_left + fp_size])
    fp_confidence = rng.uniform(0.1, 0.75, len(fp_frame))
    frame = np.concatenate([gt.frame[keep], fp_frame])
    order = np.argsort(frame, kind="stable")
    return BoxTable(
        frame[order],
        np.full(len(frame), -1),
        np.concatenate([xyxy[keep], fp_xyxy])[order],
        np.concatenate([confidence[keep], fp_confidence])[order],
    )


def _dense_ids(ids: np.ndarray) -> np.ndarray:
    return np.unique(ids, return_inverse=True)[1]


def mot_metrics(gt: BoxTable, tracks: BoxTable) -> dict[str, float]:
    """HOTA, DetA, AssA, MOTA, IDF1, IDSW (and friends) from TrackEval, IoU similarity."""
    from trackeval.metrics import CLEAR, HOTA, Identity

    tracks = tracks.select(tracks.track_id >= 0)
    frames = np.arange(1, max(gt.frame.max(), tracks.frame.max() if len(tracks) else 0) + 1)
    gt_dense, tr_dense = _dense_ids(gt.track_id), _dense_ids(tracks.track_id)
    gt_order, tr_order = np.argsort(gt.frame, kind="stable"), np.argsort(tracks.frame, kind="stable")
    gt_bounds = np.searchsorted(gt.frame[gt_order], np.append(frames, frames[-1] + 1))
    tr_bounds = np.searchsorted(tracks.frame[tr_order], np.append(frames, frames[-1] + 1))
    gt_ids, tr_ids, similarity = [], [], []
    for t in range(len(frames)):  # one IoU matrix per frame, as TrackEval expects
        g = gt_order[gt_bounds[t]: gt_bounds[t + 1]]
        r = tr_order[tr_bounds[t]: tr_bounds[t + 1]]
        gt_ids.append(gt_dense[g])
        tr_ids.append(tr_dense[r])
        similarity.append(box_iou(gt.xyxy[g], tracks.xyxy[r]))
    data = {
        "num_timesteps": len(frames),
        "num_gt_ids": int(gt_dense.max()) + 1 if len(gt) else 0,
        "num_tracker_ids": int(tr_dense.max()) + 1 if len(tracks) else 0,
        "num_gt_dets": len(gt),
        "num_tracker_dets": len(tracks),
        "gt_ids": gt_ids,
        "tracker_ids": tr_ids,
        "similarity_scores": similarity,
    }
    hota = HOTA().eval_sequence(data)
    clear = CLEAR({"PRINT_CONFIG": False}).eval_sequence(data)
    identity = Identity({"PRINT_CONFIG": False}).eval_sequence(data)
    return {
        "HOTA": float(np.mean(hota["HOTA"])),
        "DetA": float(np.mean(hota["DetA"])),
        "AssA": float(np.mean(hota["AssA"])),
        "MOTA": float(clear["MOTA"]),
        "IDF1": float(identity["IDF1"]),
        "IDSW": int(clear["IDSW"]),
        "tracks": int(data["num_tracker_ids"]),
        "identities": int(data["num_gt_ids"]),
    }
