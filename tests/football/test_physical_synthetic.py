"""Physical metrics on synthetic tracks whose answers are known in closed form."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sideline.analytics.football.physical import (
    PhysicalConfig, compute_kinematics, metabolic_power, physical_summary, speed_series, sprints)
from sideline.core.football import AWAY, HOME, MatchMeta, Period, Player, Team, Tracking
from sideline.errors import InvalidInput

RATE = 10.0


def make_tracking(xy: np.ndarray, *, period: np.ndarray | None = None, t: np.ndarray | None = None,
                  rate: float | None = RATE) -> Tracking:
    """Tracking of ``xy[F, P, 2]`` at ``rate`` Hz in one period (or the given periods/clock)."""
    n_frames, n_players = xy.shape[:2]
    period = np.ones(n_frames, np.int8) if period is None else period.astype(np.int8)
    if t is None:
        t = np.zeros(n_frames)
        for pid in np.unique(period):
            in_period = period == pid
            t[in_period] = np.arange(in_period.sum()) / (rate or RATE)
    pids = [int(p) for p in np.unique(period)]
    offsets, clock = [], 0.0
    for pid in pids:
        offsets.append(clock)
        clock += t[period == pid].max() + 1 / (rate or RATE)
    players = tuple(Player(player_id=f"p{i}", side=HOME if i % 2 == 0 else AWAY) for i in range(n_players))
    meta = MatchMeta(provider="synthetic", home=Team("h", HOME, "Home"), away=Team("a", AWAY, "Away"), players=players,
                     periods=tuple(Period(pid, float(t[period == pid].min()), float(t[period == pid].max()), off)
                                   for pid, off in zip(pids, offsets)), frame_rate=rate)
    return Tracking(meta=meta, frame_id=np.arange(n_frames), period=period, t=t, xy=xy.astype(np.float32),
                    ball=np.full((n_frames, 3), np.nan, np.float32), ball_state=np.zeros(n_frames, np.int8),
                    ball_owning_team=np.zeros(n_frames, np.int8))


def track_from_speed(speed: np.ndarray, rate: float = RATE) -> np.ndarray:
    """[F, 1, 2] positions along +x whose exact speed profile is ``speed`` (trapezoid integration)."""
    x = np.concatenate([[0.0], np.cumsum((speed[1:] + speed[:-1]) / 2 / rate)])
    return np.stack([x, np.zeros_like(x)], axis=-1)[:, None, :]


def row(frame: pl.DataFrame, player_id: str = "p0") -> dict:
    return frame.filter(pl.col("player_id") == player_id).row(0, named=True)


def test_constant_speed_gives_exact_distance_zone_and_metabolic_power():
    speed = 5.0  # 18 km/h: zone 3 (14.4-19.8)
    xy = track_from_speed(np.full(600, speed))
    summary = row(physical_summary(make_tracking(xy)))
    # Distance is the length of the smoothed path: 599 steps of 0.5 m between 600 frames.
    assert summary["distance_m"] == pytest.approx(599 * speed / RATE, rel=1e-6)
    assert summary["zone_3_m"] == pytest.approx(summary["distance_m"], rel=1e-9)
    assert summary["zone_1_m"] == summary["zone_2_m"] == summary["zone_4_m"] == summary["zone_5_m"] == 0
    assert summary["minutes_played"] == pytest.approx(1.0) and summary["observed_minutes"] == pytest.approx(1.0)
    assert summary["coverage"] == pytest.approx(1.0)
    assert summary["distance_per_observed_min"] == pytest.approx(299.5)
    assert summary["top_speed_ms"] == pytest.approx(speed) and summary["top_speed_kmh"] == pytest.approx(18.0)
    assert summary["accelerations"] == summary["decelerations"] == summary["sprint_count"] == 0
    # Level running at constant speed costs 3.6 J/kg/m times the grass factor (Osgnach et al. 2010).
    assert summary["metabolic_power_wkg"] == pytest.approx(3.6 * 1.29 * speed, rel=1e-6)


def test_smoothing_is_exact_on_a_quadratic_path_up_to_segment_edges():
    # A uniformly accelerating run is a quadratic: the order-2 fit reproduces it exactly,
    # including at the edges of the segment where the window is shifted inward.
    t = np.arange(50) / RATE  # up to 10.8 m/s, under the cap
    xy = np.stack([1.0 * t + 1.0 * t**2, np.zeros_like(t)], axis=-1)[:, None, :]
    kin = compute_kinematics(make_tracking(xy))
    np.testing.assert_allclose(kin.speed[:, 0], 1.0 + 2.0 * t, atol=1e-4)  # float32 storage
    np.testing.assert_allclose(kin.accel[:, 0], 2.0, atol=1e-3)


def test_a_sprint_of_one_and_a_half_seconds_counts_and_a_burst_of_point_eight_does_not():
    def bump(plateau_s: float) -> np.ndarray:
        # 4 m/s, a 0.3 s ramp to 9 m/s, the plateau, a 0.3 s ramp down, 4 m/s again.
        ramp = np.linspace(4.0, 9.0, 4)
        return np.concatenate([np.full(50, 4.0), ramp, np.full(int(round(plateau_s * RATE)), 9.0), ramp[::-1],
                               np.full(50, 4.0)])

    config = PhysicalConfig()
    # Above 7 m/s (25.2 km/h) for the plateau plus part of each ramp.
    long_run = sprints(make_tracking(track_from_speed(bump(1.2))), config)
    assert long_run.height == 1
    assert 1.3 <= long_run["duration_s"][0] <= 1.7
    assert long_run["peak_speed_ms"][0] == pytest.approx(9.0, abs=0.3)
    assert long_run["distance_m"][0] == pytest.approx(long_run["duration_s"][0] * 8.5, rel=0.1)
    assert sprints(make_tracking(track_from_speed(bump(0.5))), config).height == 0
    # The same burst with a 0.5 s minimum is a sprint: the threshold, not the data, decided.
    assert sprints(make_tracking(track_from_speed(bump(0.5))), PhysicalConfig(sprint_min_s=0.5)).height == 1


def test_a_teleport_is_cut_not_counted_and_no_speed_exceeds_the_cap():
    xy = track_from_speed(np.full(600, 2.0))
    xy[300:, 0, 0] += 30.0  # re-identified 30 m away, for good
    xy[150, 0, 1] += 20.0  # one frame on another player, then back
    tracking = make_tracking(xy)
    kin = compute_kinematics(tracking)
    assert kin.n_jumps == 3
    assert np.nanmax(kin.speed) <= 12.0
    summary = row(physical_summary(tracking, kinematics=kin))
    # Segments of 150, 149 (the lone frame dropped) and 300 frames: 596 steps of 0.2 m.
    assert summary["distance_m"] == pytest.approx(596 * 2.0 / RATE, rel=1e-6)
    assert summary["top_speed_ms"] == pytest.approx(2.0, rel=1e-4)  # float32 positions


def test_implausible_smoothed_speed_is_rejected_not_clipped():
    # 15 m/s, fast but without any single step over the jump threshold of 20 m/s: the speed cap rejects it.
    xy = track_from_speed(np.full(100, 15.0))
    kin = compute_kinematics(make_tracking(xy), PhysicalConfig(jump_speed_ms=20.0))
    assert kin.n_rejected_speed == 100 and not kin.valid.any()
    summary = row(physical_summary(make_tracking(xy), PhysicalConfig(jump_speed_ms=20.0)))
    assert summary["distance_m"] == 0 and summary["observed_minutes"] == 0 and summary["top_speed_ms"] is None


@pytest.mark.parametrize("drop_frames", [False, True], ids=["nan-rows", "frames-absent"])
def test_no_distance_across_a_gap(drop_frames):
    xy = track_from_speed(np.full(600, 2.0))
    xy[400:, 0, 0] += 25.0  # the player reappears 25 m further on after 10 s unseen
    tracking = make_tracking(xy)
    gap = np.zeros(600, bool)
    gap[300:400] = True
    if drop_frames:
        tracking = tracking.select(~gap)
    else:
        tracking.xy[gap] = np.nan
    summary = row(physical_summary(tracking))
    assert summary["distance_m"] == pytest.approx((299 + 199) * 2.0 / RATE, rel=1e-6)
    assert summary["observed_minutes"] == pytest.approx(50 / 60)
    assert summary["minutes_played"] == pytest.approx(1.0)  # first to last appearance
    assert summary["coverage"] == pytest.approx(50 / 60)
    assert compute_kinematics(tracking).n_jumps == 0  # a gap is not a jump


def test_no_smoothing_across_a_period_boundary():
    # Two periods of 20 s each at 3 m/s, the second starting where the first ended but in the
    # opposite direction: a filter across the boundary would see a reversal.
    half = track_from_speed(np.full(200, 3.0))
    xy = np.concatenate([half, half[-1] - half])
    period = np.repeat([1, 2], 200)
    tracking = make_tracking(xy, period=period)
    kin = compute_kinematics(tracking)
    np.testing.assert_allclose(kin.speed[:, 0], 3.0, atol=1e-5)
    by_period = physical_summary(tracking, kinematics=kin, by="period").sort("period")
    assert by_period["period"].to_list() == [1, 2]
    np.testing.assert_allclose(by_period["distance_m"].to_numpy(), 199 * 3.0 / RATE, rtol=1e-6)


def test_acceleration_and_deceleration_efforts_are_counted():
    # Three efforts: 1 -> 7 m/s at 4 m/s^2 (1.5 s), cruise, 7 -> 1 m/s at -4 m/s^2, rest.
    one = np.concatenate([np.full(30, 1.0), np.linspace(1, 7, 16), np.full(30, 7.0), np.linspace(7, 1, 16), np.full(30, 1.0)])
    summary = row(physical_summary(make_tracking(track_from_speed(np.tile(one, 3)))))
    assert summary["accelerations"] == 3 and summary["decelerations"] == 3
    # The same profile at 2 m/s^2 (3 s ramps) stays below the 3 m/s^2 threshold.
    gentle = np.concatenate([np.full(30, 1.0), np.linspace(1, 7, 31), np.full(30, 7.0), np.linspace(7, 1, 31), np.full(30, 1.0)])
    summary = row(physical_summary(make_tracking(track_from_speed(np.tile(gentle, 3)))))
    assert summary["accelerations"] == 0 and summary["decelerations"] == 0


def test_windows_tile_the_period_and_sum_to_the_match():
    speed = np.tile(np.concatenate([np.full(300, 2.0), np.full(300, 6.0)]), 12)  # 12 minutes
    tracking = make_tracking(track_from_speed(speed))
    kin = compute_kinematics(tracking)
    windows = physical_summary(tracking, kinematics=kin, by="window")
    match = row(physical_summary(tracking, kinematics=kin))
    assert windows["window_start_s"].to_list() == [0.0, 300.0, 600.0]
    assert windows["window_end_s"].to_list() == pytest.approx([300.0, 600.0, 720.0])
    assert windows["minutes_played"].to_list() == pytest.approx([5.0, 5.0, 2.0])
    assert windows["distance_m"].sum() == pytest.approx(match["distance_m"])
    assert windows["zone_3_m"].sum() == pytest.approx(match["zone_3_m"])


def test_speed_series_is_binned_with_nan_gaps():
    xy = track_from_speed(np.full(600, 4.0))
    xy[200:300] = np.nan
    t, speed = speed_series(make_tracking(xy), 0, hz=1.0)
    assert len(t) == 60 and t[0] == 0.0 and t[1] == 1.0
    assert np.isnan(speed[20:30]).all()
    np.testing.assert_allclose(speed[np.r_[0:20, 30:60]], 4.0, atol=1e-4)


def test_metabolic_power_follows_the_equivalent_slope():
    # Accelerating at g * 0.2 is running up a 20 % slope (di Prampero et al. 2005).
    slope = 0.2
    cost = (155.4 * slope**5 - 30.4 * slope**4 - 43.3 * slope**3 + 46.3 * slope**2 + 19.5 * slope + 3.6)
    expected = cost * np.sqrt(1 + slope**2) * 1.29 * 5.0
    assert metabolic_power(np.array([5.0]), np.array([0.2 * 9.81]))[0] == pytest.approx(expected)
    assert metabolic_power(np.array([5.0]), np.array([-0.2 * 9.81]))[0] < 3.6 * 1.29 * 5.0  # downhill is cheaper


def test_metabolic_power_is_null_when_the_frame_rate_is_too_low():
    tracking = make_tracking(track_from_speed(np.full(120, 3.0), rate=1.0), rate=1.0)
    summary = row(physical_summary(tracking))
    assert summary["metabolic_power_wkg"] is None and summary["distance_m"] > 0


def test_config_round_trips_and_its_hash_names_the_definition():
    config = PhysicalConfig(speed_zones_kmh=(7, 15, 20, 25), sprint_kmh=25.0)
    stored = config.to_dict()
    assert PhysicalConfig.from_dict(stored) == config
    assert stored["version"] == PhysicalConfig.VERSION
    assert stored["definition_hash"] != PhysicalConfig().definition_hash
    assert PhysicalConfig.from_dict({}) == PhysicalConfig()
    with pytest.raises(InvalidInput, match="Unknown physical metrics setting"):
        PhysicalConfig.from_dict({"sprint_speed": 7})
    with pytest.raises(InvalidInput, match="speed_zones_kmh must be positive and strictly increasing"):
        PhysicalConfig(speed_zones_kmh=(10, 5))
    with pytest.raises(InvalidInput, match="does not match its definition_hash"):
        PhysicalConfig.from_dict({**stored, "sprint_kmh": 30.0})


def test_bad_requests_raise_invalid_input():
    tracking = make_tracking(track_from_speed(np.full(50, 2.0)))
    with pytest.raises(InvalidInput, match="by must be"):
        physical_summary(tracking, by="minute")
    with pytest.raises(InvalidInput, match="player_index 3 is out of range"):
        speed_series(tracking, 3)
    with pytest.raises(InvalidInput, match="no frames"):
        compute_kinematics(tracking.select(np.zeros(50, bool)))
