"""Pitch control on hand-built situations whose answer is known, and its input checks."""

from __future__ import annotations

import concurrent.futures

import numpy as np
import pytest

from sideline.analytics.football.pitch_control import (
    PitchControlParams, PitchGrid, estimate_velocities, pitch_control, pitch_grid, summarise_control,
)
from sideline.core.football import HOME
from sideline.errors import InvalidInput
from tests.football.test_tactical_shape import synthetic_tracking


def mirrored_teams(n_frames: int = 2, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Home players at random spots in their half, away players at their mirror images (x -> -x)."""
    rng = np.random.default_rng(seed)
    home = np.stack([rng.uniform(-45, -2, (n_frames, 11)), rng.uniform(-30, 30, (n_frames, 11))], axis=2)
    away = home * np.array([-1.0, 1.0])
    return home, away


def test_mirror_symmetric_teams_split_the_halfway_line_evenly():
    home, away = mirrored_teams()
    tracking = synthetic_tracking(home, away, ball=np.zeros((2, 2)))  # ball on the centre spot
    velocities = np.zeros_like(tracking.xy)
    halfway = PitchGrid(x=np.array([0.0]), y=np.linspace(-33, 33, 23))
    result = pitch_control(tracking, velocities=velocities, grid=halfway)
    np.testing.assert_allclose(result.home, result.away, atol=1e-12)
    np.testing.assert_allclose(result.home, 0.5, atol=0.005)  # 0.5 up to the unresolved tolerance
    # And the whole pitch is the mirror image: home control at (x, y) = away control at (-x, y).
    full = pitch_control(tracking, velocities=velocities, grid=pitch_grid(tracking, cell_size=2.5))
    np.testing.assert_allclose(full.home, full.away[:, :, ::-1], atol=1e-12)
    summary = summarise_control(tracking, velocities=velocities, grid=pitch_grid(tracking, cell_size=2.5))
    assert summary.home_share == pytest.approx(summary.away_share) and summary.n_frames == 2
    np.testing.assert_allclose(summary.home_mean, summary.away_mean[:, ::-1], atol=1e-12)


def test_a_lone_attacker_controls_the_space_around_them():
    attacker = np.array([[[20.0, 5.0]]])
    defenders = np.array([[[-40.0, -25.0], [-40.0, 25.0]]])  # far away in the other half
    tracking = synthetic_tracking(attacker, defenders, ball=np.array([[10.0, 0.0]]))
    result = pitch_control(tracking, 0, velocities=np.zeros_like(tracking.xy))
    grid = result.grid
    near = np.hypot(grid.x[None, :] - 20.0, grid.y[:, None] - 5.0) <= 8.0
    assert result.home[0][near].min() > 0.99
    near_defender = np.hypot(grid.x[None, :] + 40.0, grid.y[:, None] - 25.0) <= 5.0
    assert result.away[0][near_defender].min() > 0.99


def test_running_players_reach_ahead_of_them():
    # Two equidistant opponents; the home one runs towards the contested cell at 5 m/s.
    home, away = np.array([[[-10.0, 0.0]]]), np.array([[[10.0, 0.0]]])
    tracking = synthetic_tracking(home, away)
    velocities = np.zeros_like(tracking.xy)
    grid = PitchGrid(x=np.array([0.0]), y=np.array([0.0]))
    still = pitch_control(tracking, 0, velocities=velocities, grid=grid).home[0, 0, 0]
    velocities[0, 0] = (5.0, 0.0)
    running = pitch_control(tracking, 0, velocities=velocities, grid=grid).home[0, 0, 0]
    # 3.5 m gained in the reaction time: a 0.7 s head start on a 2.7 s race.
    assert still == pytest.approx(0.5, abs=0.005) and running > 0.85


def test_unseen_players_are_absent_from_the_computation():
    home, away = mirrored_teams(1)
    base = synthetic_tracking(home, away, ball=np.array([[5.0, 5.0]]))
    padded = synthetic_tracking(np.concatenate([home, np.full((1, 3, 2), np.nan)], axis=1), away, ball=np.array([[5.0, 5.0]]))
    grid = pitch_grid(base, cell_size=3.0)
    a = pitch_control(base, velocities=np.zeros_like(base.xy), grid=grid)
    b = pitch_control(padded, velocities=np.zeros_like(padded.xy), grid=grid)
    np.testing.assert_array_equal(a.home, b.home)
    # A frame with nobody seen has no answer.
    empty = synthetic_tracking(np.full((1, 2, 2), np.nan), np.full((1, 2, 2), np.nan))
    assert np.isnan(pitch_control(empty, velocities=np.zeros_like(empty.xy), grid=grid).home).all()


def test_frames_at_once_equal_frames_one_by_one_with_and_without_threads():
    home, away = mirrored_teams(5, seed=11)
    rng = np.random.default_rng(4)
    away = away + rng.normal(0, 4, away.shape)  # break the symmetry
    tracking = synthetic_tracking(home, away, ball=rng.uniform(-30, 30, (5, 2)))
    velocities = rng.normal(0, 2, tracking.xy.shape).astype(np.float32)
    grid = pitch_grid(tracking, cell_size=4.0)
    together = pitch_control(tracking, velocities=velocities, grid=grid, batch_size=3, workers=2)
    for f in range(5):
        alone = pitch_control(tracking, f, velocities=velocities, grid=grid)
        np.testing.assert_allclose(together.home[f], alone.home[0], atol=1e-7)
    assert together.frames.tolist() == [0, 1, 2, 3, 4]
    assert together.home.shape == (5, *grid.shape) == (5, 17, 26)
    # Callers on several Python threads at once (job runners) get the same surfaces.
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        runs = list(pool.map(lambda _: pitch_control(tracking, velocities=velocities, grid=grid, workers=2), range(3)))
    for run in runs:
        np.testing.assert_array_equal(run.home, together.home)


def test_velocities_from_positions_recover_a_steady_run_and_skip_gaps():
    n = 40
    t = np.arange(n) / 10.0
    run = np.stack([-20 + 3.0 * t, 4.0 - 1.5 * t], axis=1)[:, None, :]  # 3 m/s along x, -1.5 along y
    run[20] = np.nan  # one unseen frame
    tracking = synthetic_tracking(run, np.full((n, 1, 2), np.nan))
    v = estimate_velocities(tracking)
    seen = ~np.isnan(run[:, 0, 0])
    np.testing.assert_allclose(v[seen, 0], np.tile([3.0, -1.5], (seen.sum(), 1)), atol=1e-4)
    assert np.isnan(v[20, 0]).all() and np.isnan(v[:, 1]).all()
    # A teleport (tracking swap) is not a velocity: speeds above the cap are dropped.
    jumpy = run.copy()
    jumpy[30:] += 15.0
    v_jumpy = estimate_velocities(synthetic_tracking(jumpy, np.full((n, 1, 2), np.nan)))
    assert np.nanmax(np.hypot(v_jumpy[:, 0, 0], v_jumpy[:, 0, 1])) < 4.0


def test_bad_arguments_are_invalid_input():
    home, away = mirrored_teams(1)
    tracking = synthetic_tracking(home, away)
    with pytest.raises(InvalidInput, match="velocities have shape"):
        pitch_control(tracking, velocities=np.zeros((1, 3, 2)))
    with pytest.raises(InvalidInput, match="frame index out of range"):
        pitch_control(tracking, 5, velocities=np.zeros_like(tracking.xy))
    with pytest.raises(InvalidInput, match="positive sizes"):
        PitchGrid.for_pitch(cell_size=0)
    with pytest.raises(InvalidInput, match="unknown pitch-control integrator 'rk4'"):
        pitch_control(tracking, 0, velocities=np.zeros_like(tracking.xy), params=PitchControlParams(integrator="rk4"))
    assert tracking.meta.side_mask(HOME).sum() == 11
