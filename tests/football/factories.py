"""Small synthetic matches for tests that need a stored match but not real data."""

from __future__ import annotations

import uuid

import numpy as np

from sideline.core.football import (AWAY, BALL_ALIVE, HOME, OWNER_HOME, Match, MatchMeta, Period, Player, Team,
                                    Tracking)


def synthetic_match(n_frames: int = 100, frame_rate: float = 10.0, seed: int = 0) -> Match:
    """Two periods, four players per side jogging about, the ball with the home team."""
    rng = np.random.default_rng(seed)
    players = tuple(Player(player_id=f"{side[0]}{i}", side=side, name=f"{side.title()} {i}", jersey_no=i + 1,
                           position="GK" if i == 0 else "CM", starting=True)
                    for side in (HOME, AWAY) for i in range(4))
    half = n_frames // 2
    duration = half / frame_rate
    meta = MatchMeta(provider="synthetic", home=Team("h", HOME, "Home FC", "#d00000"),
                     away=Team("a", AWAY, "Away FC", "#0050d0"), players=players, frame_rate=frame_rate,
                     periods=(Period(1, 0.0, duration - 1 / frame_rate, 0.0),
                              Period(2, 0.0, duration - 1 / frame_rate, duration)), score=(1, 0))
    t = np.tile(np.arange(half) / frame_rate, 2)
    period = np.repeat(np.array([1, 2], np.int8), half)
    start = rng.uniform([-40, -25], [40, 25], size=(len(players), 2))
    walk = np.cumsum(rng.normal(0, 0.15, size=(2 * half, len(players), 2)), axis=0)
    xy = (start + walk).astype(np.float32)
    ball = np.concatenate([xy[:, 1], np.zeros((2 * half, 1), np.float32)], axis=1)
    tracking = Tracking(meta=meta, frame_id=np.arange(2 * half, dtype=np.int64), period=period, t=t, xy=xy,
                        ball=ball, ball_state=np.full(2 * half, BALL_ALIVE, np.int8),
                        ball_owning_team=np.full(2 * half, OWNER_HOME, np.int8))
    return Match(meta=meta, tracking=tracking)


def add_match(services, org_id: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    """A stored synthetic match (with its metrics) and one clip of it: (match id, clip id)."""
    from sideline.analytics.football.report import compute_report
    from sideline.storage import matches
    from sideline.storage.models import Clip

    match = synthetic_match()
    report = compute_report(match)
    with services.db.session() as s:
        dataset = matches.save_match(s, services.blobs, org_id, match, name="Synthetic")
        matches.save_derived(s, services.blobs, dataset, report.streams, report.meta)
        clip = Clip(organisation_id=org_id, dataset_id=dataset.id, name="c", start_s=0.0, end_s=2.0)
        s.add(clip)
        s.flush()
        return dataset.id, clip.id
