"""Pitch control: Spearman's (2018) physics-based model, vectorised over frames x cells.

Pitch control at a location is the probability that a team would win the ball if it were
played there now ("Beyond Expected Goals", W. Spearman, MIT Sloan 2018). Each player reaches
the location after a reaction time spent on their current velocity, then running straight at
``max_player_speed``; their arrival time is uncertain (a logistic of scale ``tti_sigma``) and,
once there, they control the ball at rate ``lambda``. The ball needs ``distance /
average_ball_speed`` to get there. The control probabilities solve

    dP_team/dT = (1 - P_home - P_away) * lambda_team * sum_{p in team} sigmoid((T - tti_p) / s)

integrated from the ball's arrival in steps of ``int_dt`` (by default the exact step for rates
held constant over each; ``integrator="euler"``: the explicit Euler step of Laurie Shaw's
reference implementation, ``Metrica_PitchControl.py`` in Friends-of-Tracking-Data-FoTD/
LaurieOnTracking), per cell as Shaw does, including its short-cuts: a cell where one team arrives
``time_to_control`` seconds earlier is theirs outright, players that far behind their team's
first arrival are ignored, and integration stops once ``P_home + P_away >= 1 - tol``.

The numerical kernel (``pitch_control_model``) is a compiled (Numba) loop integrating each
(frame, cell) pair on its own, in parallel over the cores; frames are processed in batches,
which bounds memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from sideline.analytics.football.pitch_control_model import PitchControlParams, control_surfaces
from sideline.core.football import AWAY, HOME, OWNER_AWAY, Tracking
from sideline.errors import InvalidInput


@dataclasses.dataclass(frozen=True, slots=True)
class PitchGrid:
    """Cell centres in pitch metres; surfaces are indexed ``[y, x]`` (row 0 is ``y`` min)."""

    x: np.ndarray  # [nx]
    y: np.ndarray  # [ny]

    @classmethod
    def for_pitch(cls, length: float = 105.0, width: float = 68.0, cell_size: float = 1.0) -> PitchGrid:
        if cell_size <= 0 or length <= 0 or width <= 0:
            raise InvalidInput(f"pitch grid needs positive sizes, got length={length}, width={width}, cell={cell_size}")
        nx, ny = max(1, round(length / cell_size)), max(1, round(width / cell_size))
        x = -length / 2 + (np.arange(nx) + 0.5) * (length / nx)
        y = -width / 2 + (np.arange(ny) + 0.5) * (width / ny)
        return cls(x=x, y=y)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.y), len(self.x)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max) of the cell edges, for plotting."""
        half_x = (self.x[1] - self.x[0]) / 2 if len(self.x) > 1 else 0.5
        half_y = (self.y[1] - self.y[0]) / 2 if len(self.y) > 1 else 0.5
        return float(self.x[0] - half_x), float(self.x[-1] + half_x), float(self.y[0] - half_y), float(self.y[-1] + half_y)

    def points(self) -> np.ndarray:
        """[ny * nx, 2] cell centres, row-major (the flattening of a ``[y, x]`` surface)."""
        xx, yy = np.meshgrid(self.x, self.y)
        return np.stack([xx.ravel(), yy.ravel()], axis=1)


@dataclasses.dataclass(frozen=True, slots=True)
class PitchControl:
    """Control surfaces of some frames: ``home[f, y, x]``; away likewise; the rest unresolved.

    ``unresolved`` is at most the model's tolerance (0.01) and can be slightly negative where
    the explicit Euler step overshoots (several players arriving at once), as in the reference.
    """

    grid: PitchGrid
    frames: np.ndarray  # indices into the tracking the surfaces belong to
    home: np.ndarray  # float32 [F, ny, nx]
    away: np.ndarray

    @property
    def unresolved(self) -> np.ndarray:
        return 1.0 - self.home - self.away


_VELOCITY_BLOCK = 32  # players per block in estimate_velocities


def _compact_side(xy: np.ndarray, velocity: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One side's observed players moved to the front of the player axis, NaN padding after."""
    xy, velocity = xy[:, mask], velocity[:, mask]
    observed = ~np.isnan(xy[..., 0])
    width = max(1, int(observed.sum(axis=1).max(initial=0)))
    order = np.argsort(~observed, axis=1, kind="stable")[:, :width]
    return np.take_along_axis(xy, order[..., None], axis=1), np.take_along_axis(velocity, order[..., None], axis=1)


def pitch_grid(tracking: Tracking, cell_size: float = 1.0) -> PitchGrid:
    """The grid covering the match's pitch (105 x 68 cells of 1 m on a standard pitch)."""
    return PitchGrid.for_pitch(tracking.meta.pitch_length, tracking.meta.pitch_width, cell_size)


def estimate_velocities(tracking: Tracking, window_s: float = 0.5, max_speed: float = 12.0,
                        max_gap_s: float = 0.25) -> np.ndarray:
    """Player velocities [F, P, 2] in m/s from positions, NaN where unknown.

    Differences between consecutive observed frames of the same period (no more than
    ``max_gap_s`` apart), speeds above ``max_speed`` dropped as tracking jumps, then a centred
    moving average over ``window_s`` of the valid differences (the smoothing Shaw applies).
    Vectorised over frames, a block of players at a time (bounded memory).
    """
    dt = np.diff(tracking.t)
    same_run = (np.diff(tracking.period) == 0) & (dt > 0) & (dt <= max_gap_s)
    rate = tracking.meta.frame_rate or (1.0 / float(np.median(dt[dt > 0])) if np.any(dt > 0) else 10.0)
    half = max(1, int(round(window_s * rate / 2)))
    # Frame f sits between steps f-1 and f; it averages steps [f - half, f + half - 1].
    lo = np.clip(np.arange(tracking.n_frames) - half, 0, len(dt))
    hi = np.clip(np.arange(tracking.n_frames) + half, 0, len(dt))
    velocity = np.full(tracking.xy.shape, np.nan, dtype=np.float32)
    for first in range(0, tracking.n_players, _VELOCITY_BLOCK):
        block = slice(first, first + _VELOCITY_BLOCK)
        xy = tracking.xy[:, block].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = np.diff(xy, axis=0) / dt[:, None, None]  # [F-1, p, 2]
            valid = same_run[:, None] & ~np.isnan(step).any(axis=2)
            valid &= np.hypot(step[..., 0], step[..., 1]) <= max_speed
        step[~valid] = 0.0
        cum_v = np.zeros((len(step) + 1, *step.shape[1:]))
        np.cumsum(step, axis=0, out=cum_v[1:])
        cum_n = np.zeros((len(valid) + 1, valid.shape[1]))
        np.cumsum(valid, axis=0, out=cum_n[1:])
        count = cum_n[hi] - cum_n[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (cum_v[hi] - cum_v[lo]) / count[..., None]
        mean[np.isnan(xy[..., 0]) | (count == 0)] = np.nan
        velocity[:, block] = mean
    return velocity


def _velocities_around(tracking: Tracking, frame_idx: np.ndarray, window_s: float = 0.5) -> np.ndarray:
    """:func:`estimate_velocities` computed only on the frames near the requested ones.

    The smoothing window of a requested frame lies inside the frames kept, so the values
    are the same as over the whole match; a single frame costs milliseconds, not seconds.
    """
    rate = tracking.meta.frame_rate or 10.0
    reach = max(1, int(round(window_s * rate / 2))) + 2
    near = np.unique(np.clip(frame_idx[:, None] + np.arange(-reach, reach + 1), 0, max(tracking.n_frames - 1, 0)))
    seen = tracking.observed[near].any(axis=0)
    players = tuple(p for p, keep in zip(tracking.meta.players, seen) if keep)
    local = dataclasses.replace(tracking.select(near), xy=tracking.xy[near][:, seen],
                                meta=dataclasses.replace(tracking.meta, players=players))
    velocities = np.full(tracking.xy.shape, np.nan, dtype=np.float32)
    velocities[np.ix_(near, np.flatnonzero(seen))] = estimate_velocities(local, window_s=window_s)
    return velocities


def iter_pitch_control(tracking: Tracking, frames: np.ndarray | None = None, *, velocities: np.ndarray | None = None,
                       grid: PitchGrid | None = None, params: PitchControlParams = PitchControlParams(),
                       attacking: np.ndarray | None = None, batch_size: int = 16,
                       workers: int | None = None) -> Iterator[PitchControl]:
    """Pitch control of ``frames`` (indices or a mask; default all), one batch at a time, in order.

    ``velocities`` [F, P, 2] default to :func:`estimate_velocities`; ``attacking`` [F] is the
    side (``OWNER_HOME``/``OWNER_AWAY``) given ``lambda_att``, default the ball-owning team
    (home when unknown; it only matters when ``params.kappa_def != 1``). ``workers``: the
    threads the compiled kernel spreads each batch's cells over (default: every core).
    """
    frame_idx = _frame_indices(tracking, frames)
    grid = grid or pitch_grid(tracking)
    if velocities is None:
        velocities = _velocities_around(tracking, frame_idx)
    if velocities.shape != tracking.xy.shape:
        raise InvalidInput(f"velocities have shape {velocities.shape}, expected {tracking.xy.shape} like the positions")
    if batch_size < 1 or (workers is not None and workers < 1):
        raise InvalidInput(f"batch_size and workers must be at least 1, got {batch_size} and {workers}")
    owner = tracking.ball_owning_team if attacking is None else np.asarray(attacking)
    home_mask, away_mask = tracking.meta.side_mask(HOME), tracking.meta.side_mask(AWAY)
    cells = grid.points()

    def batch(idx: np.ndarray) -> PitchControl:
        xy, vel = tracking.xy[idx], velocities[idx]
        xy_home, v_home = _compact_side(xy, vel, home_mask)
        xy_away, v_away = _compact_side(xy, vel, away_mask)
        home, away = control_surfaces(xy_home, v_home, xy_away, v_away, tracking.ball[idx, :2],
                                      owner[idx] != OWNER_AWAY, cells, params, threads=workers)
        shape = (len(idx), *grid.shape)
        return PitchControl(grid=grid, frames=idx, home=home.reshape(shape).astype(np.float32),
                            away=away.reshape(shape).astype(np.float32))

    for first in range(0, len(frame_idx), batch_size):
        yield batch(frame_idx[first:first + batch_size])


def pitch_control(tracking: Tracking, frames: np.ndarray | int | None = None, **options) -> PitchControl:
    """Pitch control surfaces of one frame (an index) or many; see :func:`iter_pitch_control`."""
    if isinstance(frames, (int, np.integer)):
        frames = np.array([frames])
    parts = list(iter_pitch_control(tracking, frames, **options))
    grid = parts[0].grid if parts else (options.get("grid") or pitch_grid(tracking))
    empty = np.zeros((0, *grid.shape), dtype=np.float32)
    return PitchControl(grid=grid, frames=np.concatenate([p.frames for p in parts]) if parts else np.zeros(0, int),
                        home=np.concatenate([p.home for p in parts]) if parts else empty,
                        away=np.concatenate([p.away for p in parts]) if parts else empty)


@dataclasses.dataclass(frozen=True, slots=True)
class ControlSummary:
    """Pitch control over a phase: mean control per cell and the share of the pitch held."""

    grid: PitchGrid
    n_frames: int
    home_mean: np.ndarray  # [ny, nx], mean home control per cell
    away_mean: np.ndarray
    home_share: float  # mean fraction of the pitch area where home control > 0.5
    away_share: float


def summarise_control(tracking: Tracking, frames: np.ndarray | None = None, **options) -> ControlSummary:
    """Aggregate pitch control over a set of frames (a phase), streaming batch by batch."""
    grid = options.get("grid") or pitch_grid(tracking)
    options["grid"] = grid
    sum_home, sum_away = np.zeros(grid.shape), np.zeros(grid.shape)
    held_home = held_away = 0.0
    n = 0
    for part in iter_pitch_control(tracking, frames, **options):
        valid = ~np.isnan(part.home).any(axis=(1, 2))
        home, away = part.home[valid], part.away[valid]
        sum_home += home.sum(axis=0)
        sum_away += away.sum(axis=0)
        held_home += float((home > 0.5).mean(axis=(1, 2)).sum())
        held_away += float((away > 0.5).mean(axis=(1, 2)).sum())
        n += int(valid.sum())
    if n == 0:
        raise InvalidInput("no frame with players to compute pitch control over")
    return ControlSummary(grid=grid, n_frames=n, home_mean=sum_home / n, away_mean=sum_away / n,
                          home_share=held_home / n, away_share=held_away / n)


def _frame_indices(tracking: Tracking, frames: np.ndarray | None) -> np.ndarray:
    if frames is None:
        return np.arange(tracking.n_frames)
    frames = np.asarray(frames)
    if frames.dtype == bool:
        if frames.shape != (tracking.n_frames,):
            raise InvalidInput(f"frame mask has {frames.shape[0]} entries, the tracking {tracking.n_frames} frames")
        return np.flatnonzero(frames)
    frames = frames.astype(np.int64).ravel()
    if len(frames) and (frames.min() < -tracking.n_frames or frames.max() >= tracking.n_frames):
        raise InvalidInput(f"frame index out of range 0..{tracking.n_frames - 1}")
    return frames
