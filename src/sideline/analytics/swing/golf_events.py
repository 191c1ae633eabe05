"""The eight GolfDB swing events from a pose sequence, using the hands' height only.

GolfDB (McNally et al., 2019) events: address, toe-up, mid-backswing, top, mid-downswing, impact,
mid-follow-through, finish. Without a club detector we use the hands (mean of both wrists) and a
height scale that works in both camera views:

    height h(t) = (hip-centre y - hands y) / torso length at address   (0 = hands at hip level)

Rules (documented in docs/swing.md):
  * segments: the first frame with h > 0.8 starts the backswing's "high" part; the first frame
    after it with h < 0.3 ends the downswing; the next frame with h > 0.3 starts the follow-through.
  * top = highest hands in the high part; address = the last frame before it with the hands at
    their lowest (within 0.02 torso lengths: the moment they start to rise); impact = lowest hands between the downswing's end and the follow-through.
  * mid-backswing / mid-downswing / mid-follow-through = hands crossing halfway between their
    address and top heights (our proxy for "lead arm / shaft parallel to the ground").
  * toe-up = hands 10 % of the way from address to top height.
  * finish = the last still frame (hand speed < 8 % of the swing's peak) before the hands drop
    half a torso below their highest finish position; the last frame if the clip ends holding.
Thresholds were set with the one labelled clip in view, so its PCE is optimistic (see docs).
Confidence per event = pose confidence x mean wrist visibility at that frame (x 0.5 for a finish
that was not seen to end): a quality flag, not a calibrated probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sideline.core.pose import PoseSequence
from sideline.errors import InvalidInput

ADDRESS_TOLERANCE = 0.02  # torso lengths
EVENT_NAMES = ("address", "toe_up", "mid_backswing", "top", "mid_downswing", "impact", "mid_follow_through", "finish")


@dataclass(frozen=True)
class SwingEvent:
    name: str
    frame: int
    time_s: float
    confidence: float


def hand_height(pose: PoseSequence) -> np.ndarray:
    """[T] hands' height above the hip centre, in torso lengths (median torso of the clip)."""
    hands_y = (pose.xy("left_wrist")[:, 1] + pose.xy("right_wrist")[:, 1]) / 2
    hips = pose.midpoint("left_hip", "right_hip")
    torso = np.linalg.norm(pose.midpoint("left_shoulder", "right_shoulder") - hips, axis=1)
    scale = np.nanmedian(torso)
    if not np.isfinite(scale) or scale <= 0:
        raise InvalidInput("swing events need shoulders and hips in the pose sequence; none were found")
    return (hips[:, 1] - hands_y) / scale


def _first(mask: np.ndarray, start: int) -> int | None:
    hits = np.flatnonzero(mask[start:])
    return int(hits[0]) + start if hits.size else None


def _crossing(values: np.ndarray, start: int, stop: int, level: float, rising: bool) -> int:
    segment = values[start:stop]
    hits = np.flatnonzero(segment >= level if rising else segment <= level)
    return start + int(hits[0]) if hits.size else (stop - 1 if rising else start)


def detect_golf_events(pose: PoseSequence, *, high: float = 0.8, low: float = 0.3) -> list[SwingEvent]:
    """The eight events, in swing order. Raises InvalidInput if no full swing is visible."""
    h = hand_height(pose)
    h_filled = np.where(np.isnan(h), -np.inf, h)  # NaN frames never count as "high"
    begin_high = _first(h_filled > high, 0)
    end_down = _first((h < low) & np.isfinite(h), begin_high) if begin_high is not None else None
    if begin_high is None or end_down is None or begin_high == 0:
        raise InvalidInput("no golf swing found: the hands never rise above the shoulders and come back down")
    follow = _first(h > low, end_down) or len(h) - 1

    top = begin_high + int(np.nanargmax(h[begin_high:end_down]))
    # Last frame at the lowest point (within 0.02 torso: pre-shot waggles dip by noise-level amounts).
    before = h[:begin_high]
    address = int(np.flatnonzero(before <= np.nanmin(before) + ADDRESS_TOLERANCE)[-1])
    impact = end_down + int(np.nanargmin(h[end_down:follow + 1]))
    h_address, h_top = h[address], h[top]
    middle = (h_address + h_top) / 2
    toe_up = _crossing(h, address, top + 1, h_address + 0.1 * (h_top - h_address), rising=True)
    mid_back = _crossing(h, address, top + 1, middle, rising=True)
    mid_down = _crossing(h, top, impact + 1, middle, rising=False)
    mid_follow = _crossing(h, impact, len(h), middle, rising=True)
    finish, finish_seen = _finish(pose, h, mid_follow)

    frames = [address, toe_up, mid_back, top, mid_down, impact, mid_follow, finish]
    wrist_vis = (pose.vis("left_wrist") + pose.vis("right_wrist")) / 2
    events = []
    for name, frame in zip(EVENT_NAMES, frames):
        confidence = float(pose.confidence[frame] * wrist_vis[frame])
        if name == "finish" and not finish_seen:
            confidence *= 0.5
        events.append(SwingEvent(name, int(frame), float(pose.timestamps[frame]), round(confidence, 3)))
    return events


def _finish(pose: PoseSequence, h: np.ndarray, start: int) -> tuple[int, bool]:
    """Last still frame of the finish hold, and whether its end (hands dropping) was seen."""
    hands = (pose.xy("left_wrist") + pose.xy("right_wrist")) / 2
    dt = np.diff(pose.timestamps)
    speed = np.r_[0.0, np.linalg.norm(np.diff(hands, axis=0), axis=1) / dt]
    still = speed < 0.08 * np.nanmax(speed)
    peak = start + int(np.nanargmax(h[start:]))
    dropped = _first(h < h[peak] - 0.5, peak)
    if dropped is None:
        return len(h) - 1, False
    still_before = np.flatnonzero(still[peak:dropped + 1])
    return (peak + int(still_before[-1]) if still_before.size else peak), True


def pce(predicted: dict[str, int], labelled: dict[str, int]) -> tuple[float, int]:
    """GolfDB's Percentage of Correct Events and the tolerance used (frames).

    Tolerance = max(round((impact - address) / 30), 1) frames, as in the GolfDB reference code
    (``util.correct_preds``): about one frame per 30 frames of swing.
    """
    missing = [name for name in EVENT_NAMES if name not in labelled or name not in predicted]
    if missing:
        raise InvalidInput(f"PCE needs all eight events; missing {', '.join(missing)}")
    tolerance = int(max(np.round((labelled["impact"] - labelled["address"]) / 30), 1))
    correct = [abs(predicted[name] - labelled[name]) <= tolerance for name in EVENT_NAMES]
    return float(np.mean(correct)), tolerance
