"""Physical metrics per player: distance, speed zones, sprints, accelerations, top speed,
metabolic power, each saying how much observed time it rests on.

Definitions and references: docs/football-metrics.md ("Physical"). Every quantity comes from
``Kinematics`` (jump-cut, segment-wise smoothed speed); frames without a valid speed count
for nothing, so broadcast data with players off camera gives honest per-observed-minute rates.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view

from sideline.analytics.football.kinematics import Kinematics, PhysicalConfig, compute_kinematics
from sideline.core.football import Tracking
from sideline.errors import InvalidInput

__all__ = ["PhysicalConfig", "Kinematics", "compute_kinematics", "physical_summary", "sprints",
           "speed_series", "metabolic_power"]

GRAVITY = 9.81
# Energy cost of running on an equivalent slope (Minetti et al. 2002), J/kg/m, valid for
# slopes within +-0.45; highest power first.
_ENERGY_COST_POLY = (155.4, -30.4, -43.3, 46.3, 19.5, 3.6)
_SLOPE_LIMIT = 0.45


def metabolic_power(speed: np.ndarray, accel: np.ndarray, terrain_factor: float = 1.29) -> np.ndarray:
    """Instantaneous metabolic power, W/kg (di Prampero et al. 2005; Osgnach et al. 2010):
    running while accelerating costs what running uphill at the equivalent slope costs."""
    slope = np.clip(accel / GRAVITY, -_SLOPE_LIMIT, _SLOPE_LIMIT)
    equivalent_mass = np.sqrt(slope**2 + 1.0)
    energy_cost = np.polyval(_ENERGY_COST_POLY, slope) * equivalent_mass * terrain_factor
    return energy_cost * speed


def _frames(seconds: float, frame_rate: float) -> int:
    """Whole frames in a duration (at least one); tolerant of float error (1.0 s at 10 Hz = 10)."""
    return max(1, math.ceil(seconds * frame_rate - 1e-6))


def _steps(kin: Kinematics) -> tuple[np.ndarray, np.ndarray]:
    """[N] length of the smoothed step from the previous sample of the same segment (0 at a
    segment's first sample) and the mean speed over that step (what puts it in a zone)."""
    step = np.zeros(len(kin.sample_speed))
    step_speed = np.zeros(len(kin.sample_speed))
    same = kin.sample_segment[1:] == kin.sample_segment[:-1]
    lengths = np.hypot(*np.diff(kin.sample_position, axis=0).T)
    step[1:] = np.where(same, lengths, 0.0)
    step_speed[1:] = np.where(same, (kin.sample_speed[1:] + kin.sample_speed[:-1]) / 2, 0.0)
    return step, step_speed


def _runs(condition: np.ndarray, segment: np.ndarray, min_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Runs of ``condition`` over samples within one segment lasting at least ``min_frames``:
    index of each run's first and last sample."""
    continues = np.zeros_like(condition)
    continues[1:] = condition[1:] & condition[:-1] & (segment[1:] == segment[:-1])
    first = np.flatnonzero(condition & ~continues)
    last = np.flatnonzero(condition & ~np.append(continues[1:], False))
    long_enough = last - first + 1 >= min_frames
    return first[long_enough], last[long_enough]


def _sustained_speed(kin: Kinematics) -> np.ndarray:
    """[N]: the lowest speed over the ``top_speed_hold_s`` starting at each sample, NaN unless
    the whole hold lies within one segment; its maximum is the top speed."""
    hold = _frames(kin.config.top_speed_hold_s, kin.frame_rate)
    speed, segment = kin.sample_speed, kin.sample_segment
    out = np.full(len(speed), np.nan)
    if hold > len(speed):
        return out
    lowest = sliding_window_view(speed, hold).min(axis=-1)
    same_segment = segment[: len(segment) - hold + 1] == segment[hold - 1:]  # segments are contiguous
    out[: len(lowest)] = np.where(same_segment, lowest, np.nan)
    return out


def _groups(tracking: Tracking, kin: Kinematics, by: str) -> tuple[np.ndarray, list[dict], np.ndarray]:
    """Frame -> group index, each group's labels, and each group's [start, end) on the timeline."""
    timeline, period = kin.timeline, kin.period
    if by == "match":
        return np.zeros(len(timeline), np.int64), [{"period": None, "window_start_s": None, "window_end_s": None}], \
            np.array([[-np.inf, np.inf]])
    labels, bounds, group_of_frame = [], [], np.zeros(len(timeline), np.int64)
    for period_id in np.unique(period):
        in_period = np.flatnonzero(period == period_id)
        if by == "period":
            group_of_frame[in_period] = len(labels)
            labels.append({"period": int(period_id), "window_start_s": None, "window_end_s": None})
            bounds.append((-np.inf, np.inf))
            continue
        start, end = timeline[in_period[0]], timeline[in_period[-1]] + kin.dt
        declared = [p for p in tracking.meta.periods if p.period_id == period_id]
        if declared:  # windows start at the period's own start, not at the first tracked frame
            start = min(start, declared[0].start_t + declared[0].timeline_offset)
            end = max(end, declared[0].end_t + declared[0].timeline_offset + kin.dt)
        width = kin.config.window_s
        n_windows = max(1, math.ceil((end - start) / width - 1e-9))
        index = np.clip(((timeline[in_period] - start) // width).astype(np.int64), 0, n_windows - 1)
        group_of_frame[in_period] = len(labels) + index
        for k in range(n_windows):
            w_start, w_end = start + k * width, min(start + (k + 1) * width, end)
            labels.append({"period": int(period_id), "window_start_s": float(w_start), "window_end_s": float(w_end)})
            bounds.append((w_start, w_end))
    return group_of_frame, labels, np.array(bounds)


def _minutes_played(kin: Kinematics, group_of_frame: np.ndarray, bounds: np.ndarray, n_groups: int) -> np.ndarray:
    """[G, P] minutes from the player's first to last appearance in each period, clipped to the group."""
    played = np.zeros((n_groups, kin.n_players))
    if len(kin.appearances) == 0:
        return played
    player, _, first_frame, last_frame = kin.appearances.T
    first, last = kin.timeline[first_frame], kin.timeline[last_frame] + kin.dt
    for g in range(n_groups):  # a handful of groups; vectorised over appearances
        overlap = np.clip(np.minimum(last, bounds[g, 1]) - np.maximum(first, bounds[g, 0]), 0.0, None)
        in_group = (group_of_frame[first_frame] <= g) & (group_of_frame[last_frame] >= g)
        np.add.at(played[g], player[in_group], overlap[in_group] / 60.0)
    return played


def physical_summary(tracking: Tracking, config: PhysicalConfig = PhysicalConfig(), *,
                     by: Literal["match", "period", "window"] = "match",
                     kinematics: Kinematics | None = None) -> pl.DataFrame:
    """One row per player (x period, or x ``config.window_s`` window within each period) in
    which the player appears; see docs/football-metrics.md for each column's definition."""
    if by not in ("match", "period", "window"):
        raise InvalidInput(f"by must be 'match', 'period' or 'window', not {by!r}")
    kin = kinematics if kinematics is not None else compute_kinematics(tracking, config)
    config = kin.config
    group_of_frame, labels, bounds = _groups(tracking, kin, by)
    n_groups, n_players = len(labels), tracking.n_players
    speed, accel, player = kin.sample_speed, kin.sample_accel, kin.sample_player
    cell = group_of_frame[kin.sample_frame] * n_players + player  # (group, player) of each sample
    step, step_speed = _steps(kin)

    def sums(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(cell, weights, minlength=n_groups * n_players).reshape(n_groups, n_players)

    def counts(first_samples: np.ndarray) -> np.ndarray:
        return np.bincount(cell[first_samples], minlength=n_groups * n_players).reshape(n_groups, n_players)

    zone_edges = np.array(config.speed_zones_kmh) / 3.6
    zone = np.digitize(step_speed, zone_edges)  # 0 .. n_edges
    columns: dict[str, np.ndarray] = {
        "minutes_played": _minutes_played(kin, group_of_frame, bounds, n_groups),
        "observed_minutes": sums() * kin.dt / 60.0,
        "distance_m": sums(step),
    }
    for i in range(len(zone_edges) + 1):
        columns[f"zone_{i + 1}_m"] = sums(np.where(zone == i, step, 0.0))
    columns["hsr_m"] = sums(np.where(step_speed >= config.hsr_kmh / 3.6, step, 0.0))
    columns["sprint_m"] = sums(np.where(step_speed >= config.sprint_kmh / 3.6, step, 0.0))

    segment = kin.sample_segment
    sprint_first, _ = _runs(speed >= config.sprint_kmh / 3.6, segment, _frames(config.sprint_min_s, kin.frame_rate))
    effort_frames = _frames(config.accel_min_s, kin.frame_rate)
    accel_first, _ = _runs(np.nan_to_num(accel) >= config.accel_ms2, segment, effort_frames)
    decel_first, _ = _runs(np.nan_to_num(accel) <= config.decel_ms2, segment, effort_frames)
    columns["sprint_count"] = counts(sprint_first)
    columns["accelerations"] = counts(accel_first)
    columns["decelerations"] = counts(decel_first)

    top = np.full(n_groups * n_players, np.nan)
    sustained = _sustained_speed(kin)
    held = ~np.isnan(sustained)
    np.fmax.at(top, cell[held], sustained[held])
    columns["top_speed_ms"] = top.reshape(n_groups, n_players)

    if kin.frame_rate >= config.metabolic_min_hz:
        with_accel = ~np.isnan(accel)
        power = metabolic_power(speed[with_accel], accel[with_accel], config.metabolic_terrain_factor)
        n_power = np.bincount(cell[with_accel], minlength=n_groups * n_players)
        total = np.bincount(cell[with_accel], power, minlength=n_groups * n_players)
        with np.errstate(invalid="ignore", divide="ignore"):
            columns["metabolic_power_wkg"] = np.where(n_power > 0, total / n_power, np.nan).reshape(n_groups, n_players)
    else:
        columns["metabolic_power_wkg"] = np.full((n_groups, n_players), np.nan)

    return _rows(tracking, labels, columns)


def _rows(tracking: Tracking, labels: list[dict], columns: dict[str, np.ndarray]) -> pl.DataFrame:
    present = columns["minutes_played"] > 0  # [G, P]
    group_idx, player_idx = np.nonzero(present)
    players = tracking.meta.players
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = columns["observed_minutes"][group_idx, player_idx]
        derived = {
            "coverage": observed / columns["minutes_played"][group_idx, player_idx],
            "distance_per_observed_min": np.where(observed > 0, columns["distance_m"][group_idx, player_idx] / observed, np.nan),
        }
    data = {
        "player_id": [players[p].player_id for p in player_idx],
        "side": [players[p].side for p in player_idx],
        "period": [labels[g]["period"] for g in group_idx],
        "window_start_s": [labels[g]["window_start_s"] for g in group_idx],
        "window_end_s": [labels[g]["window_end_s"] for g in group_idx],
        "minutes_played": columns["minutes_played"][group_idx, player_idx],
        "observed_minutes": observed,
        "coverage": derived["coverage"],
        "distance_m": columns["distance_m"][group_idx, player_idx],
        "distance_per_observed_min": derived["distance_per_observed_min"],
    }
    for name, values in columns.items():
        if name not in data:
            data[name] = values[group_idx, player_idx]
    data["top_speed_kmh"] = data["top_speed_ms"] * 3.6
    frame = pl.DataFrame(data, schema_overrides={"period": pl.Int8, "window_start_s": pl.Float64,
                                                 "window_end_s": pl.Float64})
    order = [c for c in data if c not in ("metabolic_power_wkg", "top_speed_kmh")]
    order.insert(order.index("top_speed_ms") + 1, "top_speed_kmh")
    return frame.select(order + ["metabolic_power_wkg"]).fill_nan(None)


def sprints(tracking: Tracking, config: PhysicalConfig = PhysicalConfig(),
            kinematics: Kinematics | None = None) -> pl.DataFrame:
    """Every sprint: at or above ``sprint_kmh`` for at least ``sprint_min_s`` within one observed
    segment. ``start_s``/``end_s`` are timeline seconds of its first and last frame."""
    kin = kinematics if kinematics is not None else compute_kinematics(tracking, config)
    config = kin.config
    speed = kin.sample_speed
    first, last = _runs(speed >= config.sprint_kmh / 3.6, kin.sample_segment,
                        _frames(config.sprint_min_s, kin.frame_rate))
    cumulative = np.cumsum(_steps(kin)[0])
    distance = cumulative[last] - cumulative[first]  # along the smoothed path, first to last frame
    # Peak: reduce over [first, last + 1) of each run; the sentinel keeps last + 1 a valid
    # index and the odd slices (between runs) are dropped.
    bounds = np.stack([first, last + 1], axis=1).reshape(-1)
    peak = np.maximum.reduceat(np.append(speed, 0.0), bounds)[::2] if len(first) else np.zeros(0)
    players = kin.sample_player[first]
    first, last = kin.sample_frame[first], kin.sample_frame[last]
    meta_players = tracking.meta.players
    frame = pl.DataFrame({
        "player_id": [meta_players[p].player_id for p in players],
        "side": [meta_players[p].side for p in players],
        "period": kin.period[first].astype(np.int8),
        "start_s": kin.timeline[first],
        "end_s": kin.timeline[last],
        "duration_s": (last - first + 1) * kin.dt,
        "peak_speed_ms": peak,
        "distance_m": distance,
    }, schema_overrides={"player_id": pl.String, "side": pl.String, "period": pl.Int8})
    return frame.sort("start_s", "player_id")


def speed_series(tracking: Tracking, player_index: int, kinematics: Kinematics | None = None,
                 hz: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """One player's speed (m/s) averaged into bins of ``1/hz`` seconds for charts: bin start
    times on the timeline, and the mean valid speed per bin (NaN where none was observed)."""
    if not 0 <= player_index < tracking.n_players:
        raise InvalidInput(f"player_index {player_index} is out of range (the match has {tracking.n_players} players)")
    if not hz > 0:
        raise InvalidInput(f"hz must be positive, got {hz}")
    kin = kinematics if kinematics is not None else compute_kinematics(tracking)
    timeline = kin.timeline
    start = np.floor(timeline[0] * hz) / hz
    n_bins = int(np.floor((timeline[-1] - start) * hz + 1e-9)) + 1
    samples = kin.player_slice(player_index)
    bins = np.floor((timeline[kin.sample_frame[samples]] - start) * hz + 1e-9).astype(np.int64)
    total = np.bincount(bins, weights=kin.sample_speed[samples], minlength=n_bins)
    count = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return start + np.arange(n_bins) / hz, np.where(count > 0, total / count, np.nan)
