"""Expected threat (xT): the value of moving the ball from one zone to another.

xT(zone) is the probability that possession in that zone ends in a goal within the next few
actions (Karun Singh, "Introducing Expected Threat", 2019, https://karun.in/blog/expected-threat.html).
The default grid is Karun Singh's published 12 x 8 grid (``open_xt_12x8_v1.json`` from that
post, as copied verbatim by many open-source projects): rows across the pitch's width,
columns along its length for a team attacking left to right. A successful pass or carry
adds ``xT(end) - xT(start)``; each team's coordinates are turned so it attacks +x first
(the home team attacks +x in the canonical system, the away team -x).

:func:`fit_xt_grid` fits a grid from event data by the standard value iteration:
``xT(z) = P(shot|z) P(goal|shot, z) + P(move|z) sum_z' T(z -> z') xT(z')``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from sideline.core.football import AWAY, Events
from sideline.errors import InvalidInput

# Karun Singh's 12 x 8 xT grid: XT_GRID[row, col], row along the width, col 0 = own goal end.
XT_GRID = np.array([
    [0.00638303, 0.00779616, 0.00844854, 0.00977659, 0.01126267, 0.01248344, 0.01473596, 0.0174506, 0.02122129, 0.02756312, 0.03485072, 0.0379259],
    [0.00750072, 0.00878589, 0.00942382, 0.0105949, 0.01214719, 0.0138454, 0.01611813, 0.01870347, 0.02401521, 0.02953272, 0.04066992, 0.04647721],
    [0.0088799, 0.00977745, 0.01001304, 0.01110462, 0.01269174, 0.01429128, 0.01685596, 0.01935132, 0.0241224, 0.02855202, 0.05491138, 0.06442595],
    [0.00941056, 0.01082722, 0.01016549, 0.01132376, 0.01262646, 0.01484598, 0.01689528, 0.0199707, 0.02385149, 0.03511326, 0.10805102, 0.25745362],
    [0.00941056, 0.01082722, 0.01016549, 0.01132376, 0.01262646, 0.01484598, 0.01689528, 0.0199707, 0.02385149, 0.03511326, 0.10805102, 0.25745362],
    [0.0088799, 0.00977745, 0.01001304, 0.01110462, 0.01269174, 0.01429128, 0.01685596, 0.01935132, 0.0241224, 0.02855202, 0.05491138, 0.06442595],
    [0.00750072, 0.00878589, 0.00942382, 0.0105949, 0.01214719, 0.0138454, 0.01611813, 0.01870347, 0.02401521, 0.02953272, 0.04066992, 0.04647721],
    [0.00638303, 0.00779616, 0.00844854, 0.00977659, 0.01126267, 0.01248344, 0.01473596, 0.0174506, 0.02122129, 0.02756312, 0.03485072, 0.0379259],
])

MOVE_TYPES = ("pass", "carry")


def zone_of(x, y, side, length: float = 105.0, width: float = 68.0, shape: tuple[int, int] = XT_GRID.shape):
    """(row, col) of each point in a grid of ``shape`` for a team attacking +x after turning.

    ``side`` is one side for all points or an array of sides; the away team's coordinates
    are rotated half a turn (it attacks -x). Points off the pitch count in the edge zones.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    away = np.asarray(side) == AWAY
    x, y = np.where(away, -x, x), np.where(away, -y, y)
    n_rows, n_cols = shape
    col = np.clip(np.floor((x + length / 2) / length * n_cols), 0, n_cols - 1).astype(np.int64)
    row = np.clip(np.floor((y + width / 2) / width * n_rows), 0, n_rows - 1).astype(np.int64)
    return row, col


def xt_value(x, y, side, grid: np.ndarray = XT_GRID, length: float = 105.0, width: float = 68.0) -> np.ndarray:
    """xT of positions (canonical metres) for the team ``side`` holding the ball there."""
    row, col = zone_of(x, y, side, length, width, grid.shape)
    return grid[row, col]


def _pitch(events: Events) -> tuple[float, float]:
    return events.meta.pitch_length, events.meta.pitch_width


def xt_added(events: Events, grid: np.ndarray = XT_GRID) -> pl.DataFrame:
    """Successful passes and carries with ``xt_start``, ``xt_end`` and ``xt_added`` (end - start)."""
    length, width = _pitch(events)
    moves = events.table.filter(
        pl.col("type").is_in(MOVE_TYPES) & pl.col("success").fill_null(False)
        & pl.col("x").is_not_nan() & pl.col("end_x").is_not_nan() & pl.col("side").is_not_null())
    side = moves["side"].to_numpy()
    start = xt_value(moves["x"].to_numpy(), moves["y"].to_numpy(), side, grid, length, width)
    end = xt_value(moves["end_x"].to_numpy(), moves["end_y"].to_numpy(), side, grid, length, width)
    return moves.with_columns(pl.Series("xt_start", start), pl.Series("xt_end", end), pl.Series("xt_added", end - start))


def xt_totals(events: Events, by: str = "player", grid: np.ndarray = XT_GRID) -> pl.DataFrame:
    """xT added by successful passes and carries, summed per ``player`` or per ``side``.

    Columns: key(s), ``xt_passes``, ``xt_carries``, ``xt_total``, ``actions``.
    """
    if by not in {"side", "player"}:
        raise InvalidInput(f"xT totals are by 'side' or 'player', not {by!r}")
    keys = ["side"] if by == "side" else ["side", "player_id"]
    return (xt_added(events, grid).group_by(keys).agg(
        pl.col("xt_added").filter(pl.col("type") == "pass").sum().alias("xt_passes"),
        pl.col("xt_added").filter(pl.col("type") == "carry").sum().alias("xt_carries"),
        pl.col("xt_added").sum().alias("xt_total"),
        pl.len().alias("actions"),
    ).sort("xt_total", descending=True))


def fit_xt_grid(events: Events | list[Events], shape: tuple[int, int] = (8, 12), min_moves: int = 500,
                min_shots: int = 20, tol: float = 1e-8, max_iterations: int = 200) -> np.ndarray:
    """An xT grid [rows, cols] fitted from events (one match or several) by value iteration.

    Moves are passes and carries (successful or not: a failed move ends the possession's
    threat); shots are ``shot`` events, goals those with result ``goal``. Raises
    ``InvalidInput`` below ``min_moves`` moves or ``min_shots`` shots: the grid would be noise.
    """
    tables = [events] if isinstance(events, Events) else list(events)
    if not tables:
        raise InvalidInput("fit_xt_grid needs at least one match of events")
    n_rows, n_cols = shape
    n_zones = n_rows * n_cols
    shots, goals, moves = np.zeros(n_zones), np.zeros(n_zones), np.zeros(n_zones)
    transitions = np.zeros((n_zones, n_zones))
    for ev in tables:
        length, width = _pitch(ev)
        table = ev.table.filter(pl.col("side").is_not_null() & pl.col("x").is_not_nan())
        shot = table.filter(pl.col("type") == "shot")
        r, c = zone_of(shot["x"].to_numpy(), shot["y"].to_numpy(), shot["side"].to_numpy(), length, width, shape)
        shots += np.bincount(r * n_cols + c, minlength=n_zones)
        goals += np.bincount(r * n_cols + c, weights=(shot["result"] == "goal").fill_null(False).to_numpy().astype(float),
                             minlength=n_zones)
        move = table.filter(pl.col("type").is_in(MOVE_TYPES))
        r, c = zone_of(move["x"].to_numpy(), move["y"].to_numpy(), move["side"].to_numpy(), length, width, shape)
        start = r * n_cols + c
        moves += np.bincount(start, minlength=n_zones)
        ok = move["success"].fill_null(False).to_numpy() & ~np.isnan(move["end_x"].to_numpy())
        r2, c2 = zone_of(move["end_x"].to_numpy()[ok], move["end_y"].to_numpy()[ok], move["side"].to_numpy()[ok],
                         length, width, shape)
        np.add.at(transitions, (start[ok], r2 * n_cols + c2), 1.0)
    if moves.sum() < min_moves or shots.sum() < min_shots:
        raise InvalidInput(f"too few events to fit an xT grid: {int(moves.sum())} moves and {int(shots.sum())} shots "
                           f"(at least {min_moves} and {min_shots} needed)")
    actions = shots + moves
    with np.errstate(invalid="ignore", divide="ignore"):
        p_shot = np.where(actions > 0, shots / actions, 0.0)
        p_move = np.where(actions > 0, moves / actions, 0.0)
        p_goal = np.where(shots > 0, goals / shots, 0.0)
        move_matrix = np.where(moves[:, None] > 0, transitions / moves[:, None], 0.0)
    xt = np.zeros(n_zones)
    scoring = p_shot * p_goal
    for _ in range(max_iterations):
        updated = scoring + p_move * (move_matrix @ xt)
        converged = np.max(np.abs(updated - xt)) < tol
        xt = updated
        if converged:
            break
    return xt.reshape(shape)
