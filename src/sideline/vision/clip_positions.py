"""Positions at arbitrary times from tracking frames: what a clip at its own frame rate needs.

Linear interpolation between the two tracking frames around each time, on the match timeline
(seconds, not frame indices, so irregular frame spacing is handled). Never across a period
boundary or a gap longer than ``max_gap_s`` (a broadcast camera cutting away): there the object
is unknown (NaN) and simply not drawn.
"""

from __future__ import annotations

import numpy as np


def typical_step(timeline: np.ndarray) -> float:
    """The usual spacing of tracking frames in seconds (median, robust to gaps)."""
    steps = np.diff(timeline)
    steps = steps[steps > 0]
    return float(np.median(steps)) if steps.size else 0.1


def sample_at_times(timeline: np.ndarray, period: np.ndarray, values: np.ndarray, at: np.ndarray, *,
                    max_gap_s: float, hold_s: float) -> np.ndarray:
    """``values`` ([F, ...], NaN = unknown) at the times ``at`` ([N]) -> float32 [N, ...].

    Between two known samples of the same period at most ``max_gap_s`` apart: linear
    interpolation. Where one neighbour is unknown: the nearest known sample if it is within
    ``hold_s``. Otherwise NaN.
    """
    n_frames = len(timeline)
    after = np.clip(np.searchsorted(timeline, at, side="left"), 1, max(n_frames - 1, 1))
    before = after - 1 if n_frames > 1 else np.zeros_like(after)
    after = np.minimum(after, n_frames - 1)
    t0, t1 = timeline[before], timeline[after]
    span = t1 - t0
    with np.errstate(invalid="ignore", divide="ignore"):
        weight = np.clip(np.where(span > 0, (at - t0) / span, 0.0), 0.0, 1.0)
    shape = (-1,) + (1,) * (values.ndim - 1)
    v0, v1 = values[before].astype(np.float32), values[after].astype(np.float32)
    w = weight.reshape(shape).astype(np.float32)
    lerp = v0 + w * (v1 - v0)
    # Interpolate only inside [t0, t1]: before the first frame or after the last, only "held".
    bridgeable = ((span <= max_gap_s) & (period[before] == period[after]) & (t0 <= at) & (at <= t1)).reshape(shape)
    both_known = np.isfinite(v0) & np.isfinite(v1) & bridgeable
    nearer_is_after = (np.abs(t1 - at) < np.abs(at - t0)).reshape(shape)
    close0 = np.isfinite(v0) & (np.abs(at - t0) <= hold_s).reshape(shape)
    close1 = np.isfinite(v1) & (np.abs(t1 - at) <= hold_s).reshape(shape)
    held = np.where(close0 & ~(close1 & nearer_is_after), v0, np.where(close1, v1, np.float32(np.nan)))
    return np.where(both_known, lerp, held).astype(np.float32)
