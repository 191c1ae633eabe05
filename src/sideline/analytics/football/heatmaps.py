"""Heat maps: seconds spent in each cell of a pitch grid, per player or per team.

Only observed frames count (a broadcast camera that loses a player adds nothing); each
observed frame adds one frame interval. Optional Gaussian smoothing uses reflecting edges,
which keeps the total time unchanged. Coordinates are canonical pitch metres (the home team
attacks +x); ``attacking_right=True`` turns the away team's maps so both attack +x.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.ndimage import gaussian_filter

from sideline.core.football import AWAY, SIDES, Tracking
from sideline.errors import InvalidInput


@dataclasses.dataclass(frozen=True, slots=True)
class Heatmap:
    seconds: np.ndarray  # [ny, nx], row 0 at y min
    x_edges: np.ndarray  # [nx + 1], metres
    y_edges: np.ndarray  # [ny + 1]

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """(x_min, x_max, y_min, y_max) in pitch metres."""
        return float(self.x_edges[0]), float(self.x_edges[-1]), float(self.y_edges[0]), float(self.y_edges[-1])

    @property
    def total_seconds(self) -> float:
        return float(self.seconds.sum())


def _frame_seconds(tracking: Tracking) -> float:
    if tracking.meta.frame_rate:
        return 1.0 / tracking.meta.frame_rate
    steps = np.diff(tracking.t)[(np.diff(tracking.t) > 0) & (np.diff(tracking.period) == 0)]
    if not len(steps):
        raise InvalidInput("cannot tell how long a frame lasts: no frame rate and fewer than two frames")
    return float(np.median(steps))


def player_heatmaps(tracking: Tracking, players: np.ndarray | None = None, bins: tuple[int, int] = (21, 14),
                    frames: np.ndarray | None = None, smooth_sigma: float | None = None,
                    attacking_right: bool = False) -> dict[str, Heatmap]:
    """One heat map per player (``players``: bool mask or indices into ``meta.players``; default all).

    ``bins`` is (cells along x, cells along y); ``smooth_sigma`` is in cells.
    """
    nx, ny = bins
    if nx < 1 or ny < 1:
        raise InvalidInput(f"heat map bins must be positive, got {bins}")
    length, width = tracking.meta.pitch_length, tracking.meta.pitch_width
    idx = np.arange(tracking.n_players) if players is None else np.arange(tracking.n_players)[players]
    xy = tracking.xy[:, idx] if frames is None else tracking.xy[frames][:, idx]
    xy = xy.astype(np.float64)
    if attacking_right:
        away = np.array([tracking.meta.players[i].side == AWAY for i in idx], dtype=bool)
        xy[:, away] = -xy[:, away]
    observed = ~np.isnan(xy[..., 0])
    col = np.clip(np.floor((xy[..., 0] + length / 2) / length * nx), 0, nx - 1)
    row = np.clip(np.floor((xy[..., 1] + width / 2) / width * ny), 0, ny - 1)
    # One bincount over (player, row, col) for all players and frames at once.
    player_axis = np.broadcast_to(np.arange(len(idx)), observed.shape)
    flat = (player_axis[observed] * ny + row[observed].astype(np.int64)) * nx + col[observed].astype(np.int64)
    counts = np.bincount(flat, minlength=len(idx) * ny * nx).reshape(len(idx), ny, nx)
    seconds = counts * _frame_seconds(tracking)
    if smooth_sigma:
        seconds = gaussian_filter(seconds.astype(np.float64), sigma=(0, smooth_sigma, smooth_sigma), mode="reflect")
    x_edges, y_edges = np.linspace(-length / 2, length / 2, nx + 1), np.linspace(-width / 2, width / 2, ny + 1)
    return {tracking.meta.players[i].player_id: Heatmap(seconds=seconds[k], x_edges=x_edges, y_edges=y_edges)
            for k, i in enumerate(idx)}


def team_heatmap(tracking: Tracking, side: str, include_goalkeeper: bool = True, **options) -> Heatmap:
    """A team's heat map: the sum of its players' (player-seconds per cell)."""
    if side not in SIDES:
        raise InvalidInput(f"side must be 'home' or 'away', not {side!r}")
    mask = np.array([p.side == side and (include_goalkeeper or not p.is_goalkeeper) for p in tracking.meta.players])
    maps = player_heatmaps(tracking, players=mask, **options)
    if not maps:
        raise InvalidInput(f"no {side} players in this match")
    first = next(iter(maps.values()))
    return Heatmap(seconds=np.sum([m.seconds for m in maps.values()], axis=0), x_edges=first.x_edges, y_edges=first.y_edges)
