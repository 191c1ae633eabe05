"""Team shape: known-answer shapes, the convex hull against scipy, and the full match's speed."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.spatial import ConvexHull

from sideline.analytics.football.shape import convex_hull_area, outfield_mask, shape_by_phase, team_shape
from sideline.core.football import (
    AWAY, BALL_ALIVE, BALL_DEAD, HOME, OWNER_AWAY, OWNER_HOME, MatchMeta, Period, Player, Team, Tracking,
)
from sideline.errors import InvalidInput


def synthetic_tracking(home: np.ndarray, away: np.ndarray, ball: np.ndarray | None = None, frame_rate: float = 10.0,
                       owner: np.ndarray | None = None, ball_state: np.ndarray | None = None,
                       home_goalkeeper: bool = False, away_goalkeeper: bool = False) -> Tracking:
    """A one-period Tracking from home [F, nh, 2] and away [F, na, 2] positions (NaN = unseen).

    With ``*_goalkeeper`` the side's first player is its goalkeeper.
    """
    home, away = np.asarray(home, dtype=np.float32), np.asarray(away, dtype=np.float32)
    n_frames = home.shape[0]
    players = tuple(
        [Player(f"h{i}", HOME, position="GK" if (i == 0 and home_goalkeeper) else "CM") for i in range(home.shape[1])]
        + [Player(f"a{i}", AWAY, position="GK" if (i == 0 and away_goalkeeper) else "CM") for i in range(away.shape[1])])
    t = np.arange(n_frames) / frame_rate
    meta = MatchMeta(provider="synthetic", home=Team("H", HOME, "Home"), away=Team("A", AWAY, "Away"), players=players,
                     periods=(Period(1, 0.0, float(t[-1]) if n_frames else 0.0, 0.0),), frame_rate=frame_rate)
    ball_xyz = np.full((n_frames, 3), np.nan, dtype=np.float32)
    if ball is not None:
        ball_xyz[:, :2] = ball
    return Tracking(meta=meta, frame_id=np.arange(n_frames, dtype=np.int64), period=np.ones(n_frames, np.int8), t=t,
                    xy=np.concatenate([home, away], axis=1), ball=ball_xyz,
                    ball_state=np.full(n_frames, BALL_ALIVE, np.int8) if ball_state is None else ball_state.astype(np.int8),
                    ball_owning_team=np.full(n_frames, -1, np.int8) if owner is None else owner.astype(np.int8))


def test_a_square_team_has_exact_width_depth_area_and_centroid():
    # Four outfield players on the corners of a 30 x 20 rectangle, one on its centre, and a
    # goalkeeper far behind who must not count.
    square = np.array([[-10, -5], [20, -5], [20, 15], [-10, 15], [5, 5]], dtype=float)
    home = np.concatenate([[[-50, 0]], square])[None].repeat(3, axis=0)
    away = np.full((3, 2, 2), np.nan)
    shape = team_shape(synthetic_tracking(home, away, home_goalkeeper=True), HOME)
    np.testing.assert_allclose(shape.width, 20.0)
    np.testing.assert_allclose(shape.depth, 30.0)
    np.testing.assert_allclose(shape.hull_area, 600.0)
    np.testing.assert_allclose(shape.centroid, [[5.0, 5.0]] * 3)
    assert shape.n_players.tolist() == [5, 5, 5]
    with_keeper = team_shape(synthetic_tracking(home, away, home_goalkeeper=True), HOME, include_goalkeeper=True)
    np.testing.assert_allclose(with_keeper.depth, 70.0)


def test_unseen_players_are_left_out_and_too_few_give_nan():
    home = np.array([[[0, 0], [10, 0], [0, 10], [np.nan, np.nan]],  # a right triangle, one unseen
                     [[0, 0], [10, 0], [np.nan, np.nan], [np.nan, np.nan]]], dtype=float)
    shape = team_shape(synthetic_tracking(home, np.full((2, 1, 2), np.nan)), HOME)
    np.testing.assert_allclose(shape.hull_area[0], 50.0)
    assert np.isnan(shape.hull_area[1]) and shape.width[1] == 0.0 and shape.depth[1] == 10.0


def test_hull_area_equals_scipy_on_random_frames_with_gaps_duplicates_and_collinear_points():
    rng = np.random.default_rng(7)
    points = rng.normal(0, 12, (3000, 10, 2))
    points[rng.random((3000, 10)) < 0.25] = np.nan
    points[::50, 1] = points[::50, 0]  # exact duplicates
    points[1::50, :4] = np.array([[0, 0], [1, 1], [2, 2], [3, 3]])  # collinear run on the hull
    expected = []
    for frame in points:
        seen = frame[~np.isnan(frame[:, 0])]
        try:
            expected.append(ConvexHull(seen).volume if len(seen) >= 3 else np.nan)
        except Exception:  # scipy refuses degenerate (all collinear) sets: area 0
            expected.append(0.0)
    np.testing.assert_allclose(convex_hull_area(points), np.array(expected), atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(convex_hull_area(np.array([[[0, 0], [1, 1], [2, 2], [5, 5]]], float)), [0.0])


def test_bad_points_shape_is_invalid_input():
    with pytest.raises(InvalidInput, match="points must be"):
        convex_hull_area(np.zeros((5, 3)))


def test_phases_split_frames_by_owner_and_dead_ball():
    rng = np.random.default_rng(1)
    home = rng.normal(0, 10, (6, 10, 2))
    owner = np.array([OWNER_HOME, OWNER_HOME, OWNER_AWAY, OWNER_AWAY, OWNER_AWAY, -1])
    state = np.array([BALL_ALIVE] * 4 + [BALL_DEAD, BALL_ALIVE])
    tracking = synthetic_tracking(home, np.full((6, 1, 2), np.nan), owner=owner, ball_state=state)
    summary = shape_by_phase(tracking, HOME)
    assert [summary[p]["frames"] for p in ("in_possession", "out_of_possession", "dead_ball")] == [2, 2, 1]
    width = team_shape(tracking, HOME).width
    assert summary["in_possession"]["width"] == pytest.approx(width[:2].mean())
    assert shape_by_phase(tracking, AWAY)["out_of_possession"]["frames"] == 2


def test_full_match_shape_takes_seconds_and_is_plausible(skillcorner_match):
    tracking = skillcorner_match.tracking
    started = time.perf_counter()
    shapes = {side: team_shape(tracking, side) for side in (HOME, AWAY)}
    elapsed = time.perf_counter() - started
    assert elapsed < 60, f"shape of {tracking.n_frames} frames x 2 teams took {elapsed:.1f} s"
    for side, shape in shapes.items():
        assert outfield_mask(tracking.meta, side).sum() >= 10
        # A football team's outfield block: tens of metres wide and deep, hundreds of m^2.
        assert 15 < np.nanmedian(shape.width) < 60 and 10 < np.nanmedian(shape.depth) < 60
        assert 100 < np.nanmedian(shape.hull_area) < 2500
        assert np.all(shape.hull_area[~np.isnan(shape.hull_area)] <= shape.width[~np.isnan(shape.hull_area)]
                      * shape.depth[~np.isnan(shape.hull_area)] + 1e-6)
    summary = shape_by_phase(tracking, HOME, shapes[HOME])
    assert summary["in_possession"]["frames"] > 1000 and summary["out_of_possession"]["frames"] > 1000
    # Teams stretch out when they have the ball.
    assert summary["in_possession"]["hull_area"] > summary["out_of_possession"]["hull_area"]
