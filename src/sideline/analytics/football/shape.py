"""Team shape per frame: centroid, width, depth and compactness (convex-hull area).

Computed on a team's outfield players (goalkeepers distort width and depth), all frames at
once. The convex-hull area is vectorised over frames: with at most a dozen points per frame,
an ordered pair of points (i, j) is a counter-clockwise hull edge exactly when no other point
lies to its right (collinear points must lie on the segment), and the hull area is the
shoelace sum over those edges. ``scipy.spatial.ConvexHull`` is the test reference.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sideline.core.football import BALL_DEAD, OWNER_AWAY, OWNER_HOME, SIDES, MatchMeta, Tracking
from sideline.errors import InvalidInput

PHASES = ("in_possession", "out_of_possession", "dead_ball")
_HULL_BATCH = 1024  # frames per hull batch: bounds the [F, n, n, n] cross-product array


@dataclasses.dataclass(frozen=True, slots=True)
class TeamShape:
    """Per-frame shape of one team's outfield players, metres; NaN when too few are seen."""

    side: str
    centroid: np.ndarray  # [F, 2]
    width: np.ndarray  # [F], extent along y
    depth: np.ndarray  # [F], extent along x
    hull_area: np.ndarray  # [F], m^2, NaN with fewer than 3 players
    n_players: np.ndarray  # [F], outfield players observed


def outfield_mask(meta: MatchMeta, side: str) -> np.ndarray:
    """bool [P]: the side's players who are not goalkeepers (by the provider's position)."""
    if side not in SIDES:
        raise InvalidInput(f"side must be 'home' or 'away', not {side!r}")
    return np.array([p.side == side and not p.is_goalkeeper for p in meta.players], dtype=bool)


def team_shape(tracking: Tracking, side: str, include_goalkeeper: bool = False) -> TeamShape:
    """Centroid, width, depth and hull area of ``side`` in every frame."""
    mask = tracking.meta.side_mask(side) if include_goalkeeper else outfield_mask(tracking.meta, side)
    xy, valid = _observed_first(tracking.xy[:, mask])
    n_players = valid.sum(axis=1)
    none = n_players == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        centroid = np.where(valid[..., None], xy, 0.0).sum(axis=1) / n_players[:, None]
        extent = [np.where(valid, xy[..., d], np.inf).min(axis=1) for d in (0, 1)]
        top = [np.where(valid, xy[..., d], -np.inf).max(axis=1) for d in (0, 1)]
    depth, width = (np.where(none, np.nan, top[d] - extent[d]) for d in (0, 1))
    return TeamShape(side=side, centroid=centroid, width=width, depth=depth,
                     hull_area=convex_hull_area(np.where(valid[..., None], xy, np.nan)), n_players=n_players)


def _observed_first(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's observed points moved to the front, cut to the fullest frame's count."""
    valid = ~np.isnan(points).any(axis=2)
    n = max(1, int(valid.sum(axis=1).max(initial=0)))
    order = np.argsort(~valid, axis=1, kind="stable")[:, :n]
    return (np.take_along_axis(points, order[..., None], axis=1).astype(np.float64),
            np.take_along_axis(valid, order, axis=1))


def convex_hull_area(points: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    """Convex-hull area of each frame's points [F, n, 2] (NaN rows = absent); NaN below 3 points."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[2] != 2:
        raise InvalidInput(f"points must be [frames, n, 2], got shape {points.shape}")
    areas = np.full(len(points), np.nan)
    for lo in range(0, len(points), _HULL_BATCH):
        pts, valid = _observed_first(points[lo:lo + _HULL_BATCH])
        areas[lo:lo + _HULL_BATCH] = _hull_area_batch(np.nan_to_num(pts), valid, eps)
    return areas


def _hull_area_batch(p: np.ndarray, valid: np.ndarray, eps: float) -> np.ndarray:
    n = p.shape[1]
    idx = np.arange(n)
    edge = p[:, None, :, :] - p[:, :, None, :]  # [F, i, j, 2] = p_j - p_i (also p_k - p_i with k for j)
    # cross[f, i, j, k] = (p_j - p_i) x (p_k - p_i): k right of i->j when negative.
    cross = edge[:, :, :, None, 0] * edge[:, :, None, :, 1] - edge[:, :, :, None, 1] * edge[:, :, None, :, 0]
    length2 = (edge ** 2).sum(axis=3)  # [F, i, j]
    tol = eps * np.maximum(length2, 1.0)[..., None]
    others = valid[:, None, None, :] & (idx[None, None, :, None] != idx) & (idx[None, :, None, None] != idx)
    blocking = (cross < -tol) & others
    # Collinear or repeated points need more care; they are rare, so only those frames get it.
    degenerate = ((np.abs(cross) <= tol) & others).any(axis=(1, 2, 3))
    if degenerate.any():
        blocking[degenerate] |= _collinear_blocking(edge[degenerate], cross[degenerate], length2[degenerate],
                                                    tol[degenerate], others[degenerate], eps)
    is_edge = ~blocking.any(axis=3) & valid[:, :, None] & valid[:, None, :] & (length2 > eps)
    shoelace = p[:, :, None, 0] * p[:, None, :, 1] - p[:, None, :, 0] * p[:, :, None, 1]  # x_i y_j - x_j y_i
    area = 0.5 * np.where(is_edge, shoelace, 0.0).sum(axis=(1, 2))
    return np.where(valid.sum(axis=1) >= 3, area, np.nan)


def _collinear_blocking(edge, cross, length2, tol, others, eps) -> np.ndarray:
    """Points on the line i->j block it unless on the segment; a duplicate of an endpoint with
    a lower index stands in for it (so repeated points count once)."""
    n = edge.shape[1]
    idx = np.arange(n)
    on_line = (np.abs(cross) <= tol) & others
    along = (edge[:, :, :, None, :] * edge[:, :, None, :, :]).sum(axis=4) / np.maximum(length2, eps)[..., None]
    outside = (along < -eps) | (along > 1 + eps)
    dup_i = (np.abs(along) <= eps) & (idx[None, None, None, :] < idx[None, :, None, None])
    dup_j = (np.abs(along - 1) <= eps) & (idx[None, None, None, :] < idx[None, None, :, None])
    return on_line & (outside | dup_i | dup_j)


def phase_of_frames(tracking: Tracking, side: str, owner: np.ndarray | None = None) -> np.ndarray:
    """Per frame, the index into ``PHASES`` for ``side`` (-1 = unknown: no owner, ball live).

    ``owner`` [F] (``OWNER_HOME``/``OWNER_AWAY``/``OWNER_UNKNOWN``) defaults to the provider's
    ball-owning team; pass ``possession.possession_from_tracking(...).owner`` to derive it.
    """
    owner = tracking.ball_owning_team if owner is None else np.asarray(owner)
    own = OWNER_HOME if side == SIDES[0] else OWNER_AWAY
    other = OWNER_AWAY if own == OWNER_HOME else OWNER_HOME
    phase = np.full(tracking.n_frames, -1, dtype=np.int8)
    phase[owner == own] = 0
    phase[owner == other] = 1
    phase[tracking.ball_state == BALL_DEAD] = 2
    return phase


def shape_by_phase(tracking: Tracking, side: str, shape: TeamShape | None = None,
                   owner: np.ndarray | None = None) -> dict[str, dict[str, float]]:
    """Mean shape per phase: ``{phase: {frames, centroid_x, centroid_y, width, depth, hull_area}}``."""
    shape = shape or team_shape(tracking, side)
    phase = phase_of_frames(tracking, side, owner)
    summary: dict[str, dict[str, float]] = {}
    for k, name in enumerate(PHASES):
        sel = phase == k
        with _quiet_nan_warnings():
            summary[name] = {
                "frames": int(sel.sum()),
                "centroid_x": float(np.nanmean(shape.centroid[sel, 0])) if sel.any() else float("nan"),
                "centroid_y": float(np.nanmean(shape.centroid[sel, 1])) if sel.any() else float("nan"),
                "width": float(np.nanmean(shape.width[sel])) if sel.any() else float("nan"),
                "depth": float(np.nanmean(shape.depth[sel])) if sel.any() else float("nan"),
                "hull_area": float(np.nanmean(shape.hull_area[sel])) if sel.any() else float("nan"),
            }
    return summary


class _quiet_nan_warnings:
    """All-NaN slices are expected (frames without players): NaN is the answer, not a warning."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)
