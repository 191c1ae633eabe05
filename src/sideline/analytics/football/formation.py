"""Formation detection: a team's average outfield shape matched to formation templates.

Each outfield player's position relative to the team centroid is averaged over the chosen
frames (a phase), with the direction of play normalised so the team attacks +x and +y is
its left. Both that shape and every template are standardised per axis (zero mean, unit
spread: teams stretch and squeeze, the arrangement is what identifies a formation), then
players are assigned to template slots by the Hungarian algorithm
(``scipy.optimize.linear_sum_assignment``) on squared distances. The lowest mean cost wins.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import linear_sum_assignment

from sideline.analytics.football.shape import outfield_mask
from sideline.core.football import AWAY, Tracking
from sideline.errors import InvalidInput


def _lines(*lines: tuple[float, list[tuple[str, float]]]) -> tuple[tuple[str, ...], np.ndarray]:
    """Template from lines of (depth, [(slot, lateral position), ...]); +y is the team's left."""
    names = tuple(name for _, slots in lines for name, _ in slots)
    coords = np.array([(x, y) for x, slots in lines for _, y in slots], dtype=float)
    return names, coords


# Outfield slots in metres (depth, lateral) for a compact mid-block; only relative layout matters.
FORMATIONS: dict[str, tuple[tuple[str, ...], np.ndarray]] = {
    "4-4-2": _lines((-15, [("LB", 20), ("LCB", 7), ("RCB", -7), ("RB", -20)]),
                    (0, [("LM", 20), ("LCM", 7), ("RCM", -7), ("RM", -20)]),
                    (15, [("LS", 6), ("RS", -6)])),
    "4-3-3": _lines((-15, [("LB", 20), ("LCB", 7), ("RCB", -7), ("RB", -20)]),
                    (-2, [("LCM", 12), ("CM", 0), ("RCM", -12)]),
                    (13, [("LW", 20), ("ST", 0), ("RW", -20)])),
    "4-2-3-1": _lines((-16, [("LB", 20), ("LCB", 7), ("RCB", -7), ("RB", -20)]),
                      (-6, [("LDM", 7), ("RDM", -7)]),
                      (5, [("LAM", 18), ("CAM", 0), ("RAM", -18)]),
                      (15, [("ST", 0)])),
    "4-1-4-1": _lines((-16, [("LB", 20), ("LCB", 7), ("RCB", -7), ("RB", -20)]),
                      (-8, [("DM", 0)]),
                      (2, [("LM", 20), ("LCM", 7), ("RCM", -7), ("RM", -20)]),
                      (15, [("ST", 0)])),
    "4-3-1-2": _lines((-16, [("LB", 20), ("LCB", 7), ("RCB", -7), ("RB", -20)]),
                      (-5, [("LCM", 12), ("CM", 0), ("RCM", -12)]),
                      (5, [("CAM", 0)]),
                      (15, [("LS", 6), ("RS", -6)])),
    "3-5-2": _lines((-15, [("LCB", 12), ("CB", 0), ("RCB", -12)]),
                    (-1, [("LWB", 24), ("LCM", 9), ("CM", 0), ("RCM", -9), ("RWB", -24)]),
                    (14, [("LS", 6), ("RS", -6)])),
    "3-4-3": _lines((-15, [("LCB", 12), ("CB", 0), ("RCB", -12)]),
                    (-2, [("LM", 22), ("LCM", 7), ("RCM", -7), ("RM", -22)]),
                    (13, [("LW", 18), ("ST", 0), ("RW", -18)])),
    "5-3-2": _lines((-15, [("LWB", 24), ("LCB", 12), ("CB", 0), ("RCB", -12), ("RWB", -24)]),
                    (0, [("LCM", 12), ("CM", 0), ("RCM", -12)]),
                    (14, [("LS", 6), ("RS", -6)])),
    "5-4-1": _lines((-15, [("LWB", 24), ("LCB", 12), ("CB", 0), ("RCB", -12), ("RWB", -24)]),
                    (0, [("LM", 20), ("LCM", 7), ("RCM", -7), ("RM", -20)]),
                    (14, [("ST", 0)])),
}


@dataclasses.dataclass(frozen=True, slots=True)
class FormationFit:
    formation: str  # best template name
    cost: float  # mean squared distance per player, in standardised units (0 = exact)
    slots: dict[str, str]  # player_id -> slot name
    positions: dict[str, tuple[float, float]]  # player_id -> mean (depth, lateral) in metres
    costs: dict[str, float]  # every template's cost, for "how sure"


def average_relative_positions(tracking: Tracking, side: str, frames: np.ndarray | None = None,
                               n_players: int = 10, min_frames: int = 10) -> dict[str, tuple[float, float]]:
    """Mean centroid-relative position of the side's most-seen outfield players over ``frames``.

    Direction normalised: the away team (which attacks -x) is rotated half a turn, so every
    team attacks +x with +y on its left. Only frames where the player is seen count; players
    seen in fewer than ``min_frames`` are left out.
    """
    sel = np.arange(tracking.n_frames) if frames is None else np.asarray(frames)
    mask = outfield_mask(tracking.meta, side)
    ids = np.array([p.player_id for p in tracking.meta.players])[mask]
    xy = tracking.xy[sel][:, mask].astype(np.float64)
    if side == AWAY:
        xy = -xy
    observed = ~np.isnan(xy[..., 0])
    with np.errstate(invalid="ignore"):
        team_centroid = np.nansum(xy, axis=1) / observed.sum(axis=1)[:, None]
    relative = xy - team_centroid[:, None, :]
    seen = observed.sum(axis=0)
    chosen = [i for i in np.argsort(-seen, kind="stable")[:n_players] if seen[i] >= min_frames]
    means = np.nansum(np.where(observed[..., None], relative, 0.0), axis=0) / np.maximum(seen, 1)[:, None]
    return {str(ids[i]): (float(means[i, 0]), float(means[i, 1])) for i in chosen}


def _standardise(coords: np.ndarray) -> np.ndarray:
    centred = coords - coords.mean(axis=0)
    spread = centred.std(axis=0)
    return centred / np.where(spread > 1e-9, spread, 1.0)


def match_formation(positions: dict[str, tuple[float, float]],
                    templates: dict[str, tuple[tuple[str, ...], np.ndarray]] | None = None) -> FormationFit:
    """The template closest to ``positions`` (player_id -> (depth, lateral)), slots by Hungarian assignment."""
    templates = templates or FORMATIONS
    if len(positions) < 3:
        raise InvalidInput(f"formation detection needs at least 3 outfield players with positions, got {len(positions)}")
    ids = list(positions)
    shape = _standardise(np.array([positions[i] for i in ids], dtype=float))
    best: tuple[float, str, dict[str, str]] | None = None
    costs: dict[str, float] = {}
    for name, (slot_names, coords) in templates.items():
        template = _standardise(coords)
        cost_matrix = ((shape[:, None, :] - template[None, :, :]) ** 2).sum(axis=2)
        rows, cols = linear_sum_assignment(cost_matrix)
        cost = float(cost_matrix[rows, cols].mean())
        costs[name] = cost
        if best is None or cost < best[0]:
            best = (cost, name, {ids[r]: slot_names[c] for r, c in zip(rows, cols)})
    assert best is not None
    return FormationFit(formation=best[1], cost=best[0], slots=best[2], positions=positions, costs=costs)


def detect_formation(tracking: Tracking, side: str, frames: np.ndarray | None = None, **options) -> FormationFit:
    """Best-fitting formation of ``side`` over ``frames`` (e.g. one phase's frames)."""
    return match_formation(average_relative_positions(tracking, side, frames, **options))
