"""Sanity checks every tracking import passes before anyone sees it.

They catch what parsers accept silently: metadata of another match (no listed player is ever
seen, or raw ids the metadata does not know) and files whose frame rate changes part-way.
"""

from __future__ import annotations

import numpy as np

from sideline.core.football import Tracking

from .errors import IngestError

# A step between consecutive frame numbers may deviate this much (relative) from 1/frame_rate
# (provider clocks jitter), and this share of steps may deviate before the rate counts as mixed.
STEP_TOLERANCE = 0.25
MIXED_SHARE = 0.01


def check_players_seen(tracking: Tracking, names: str) -> None:
    observed = tracking.observed
    if tracking.n_frames and not tracking.frames_with_objects().any():
        raise IngestError(f"{names}: no player or ball position in any frame")
    listed = [i for i, p in enumerate(tracking.meta.players) if "anon" not in p.player_id]
    if listed and not observed[:, listed].any():
        raise IngestError(f"{names}: none of the {len(listed)} players in the metadata occurs in the tracking "
                          "data; is the metadata from another match?")


def check_frame_rate(tracking: Tracking, names: str) -> None:
    rate = tracking.meta.frame_rate
    if not rate or tracking.n_frames < 3:
        return
    consecutive = (np.diff(tracking.frame_id) == 1) & (np.diff(tracking.period) == 0)
    steps = np.diff(tracking.t)[consecutive]
    if len(steps) == 0:
        return
    off = np.abs(steps * rate - 1.0) > STEP_TOLERANCE
    if off.mean() > MIXED_SHARE:
        seen = np.unique(np.round(steps[off], 3))[:3]
        raise IngestError(
            f"{names}: mixed frame rates: the file declares {rate:g} Hz (steps of {1 / rate:.3f} s) but "
            f"{off.sum()} of {len(steps)} consecutive frames are {', '.join(f'{s:g}' for s in seen)} s apart")
