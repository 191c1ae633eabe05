"""The numerical kernel of Spearman's pitch-control model (see ``pitch_control`` for the API).

Every (frame, cell) pair that needs integrating is one row of a work list; one Euler step
advances all rows at once (rows x players arrays) and rows are dropped as they converge, so
Python loops only over time steps. Three exact-or-negligible savings keep the work small:

- players that Shaw's model ignores at a cell (too far behind their team's first arrival)
  are not integrated: rows are grouped by how many players they need;
- converged rows leave the work list (their values are recorded at convergence, as in the
  reference, which stops integrating a cell there);
- the steps before anyone can arrive (every sigmoid below ``sigmoid(-SKIP_MARGIN_S)``) are
  summed in closed form (a geometric series) instead of stepped through: the contribution
  is then at most ~1e-5 per cell and its error far below that.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True, slots=True)
class PitchControlParams:
    """The published model's parameters (Spearman 2018, as in Shaw's implementation).

    ``kappa_def`` is the defending team's control advantage: 1.72 in the paper, 1 in Shaw's
    code (both teams alike, so home control does not depend on who has the ball).
    """

    max_player_speed: float = 5.0  # m/s
    reaction_time: float = 0.7  # s
    tti_sigma: float = 0.45  # s, spread of the arrival time
    lambda_att: float = 4.3  # 1/s, ball-control rate
    kappa_def: float = 1.0
    average_ball_speed: float = 15.0  # m/s
    int_dt: float = 0.04  # s, integration step
    max_int_time: float = 10.0  # s
    model_converge_tol: float = 0.01
    time_to_control_veto: float = 3.0  # ignore a side whose chance is below 10**-veto
    # "exponential" (default): each step removes exp(-sum of rates x dt) of the unresolved
    # share, split between the players in proportion to their rates: the exact solution for
    # rates constant over the step, so control never exceeds 1 in any cell. "euler" is the
    # published implementation's explicit step, which overshoots (cells up to ~1.15) where
    # several players arrive together; it is kept to check against that implementation.
    integrator: str = "exponential"

    @property
    def lambda_def(self) -> float:
        return self.lambda_att * self.kappa_def

    def time_to_control(self, lam: float) -> float:
        return self.time_to_control_veto * math.log(10) * (math.sqrt(3) * self.tti_sigma / math.pi + 1 / lam)


SKIP_MARGIN_S = 2.0  # steps end this long before the first arrival are summed in closed form
_CHUNK_ROWS = 4096  # rows integrated together: their arrays stay in the CPU cache
_PLAYER_GROUP_EDGES = (3, 5, 7, 9)  # rows grouped by the larger side's count of players that matter


def control_surfaces(xy_home: np.ndarray, v_home: np.ndarray, xy_away: np.ndarray, v_away: np.ndarray,
                     ball_xy: np.ndarray, home_attacking: np.ndarray, cells: np.ndarray,
                     params: PitchControlParams = PitchControlParams()) -> tuple[np.ndarray, np.ndarray]:
    """Home and away control [B, C] for B frames at C points.

    ``xy_*``/``v_*``: [B, P_side, 2] positions and velocities (NaN position = absent player,
    NaN velocity = standing); ``ball_xy`` [B, 2] (NaN = the ball is already at every cell);
    ``home_attacking`` [B] bool (which side gets ``lambda_att``); ``cells`` [C, 2].
    Frames without any player give NaN.
    """
    p = params
    a = math.pi / math.sqrt(3.0) / p.tti_sigma  # logistic slope of the arrival-time sigmoid
    lam_att, lam_def = p.lambda_att, p.lambda_def
    ttc_att, ttc_def = p.time_to_control(lam_att), p.time_to_control(lam_def)
    cells = np.asarray(cells, dtype=np.float64)

    def arrival_times(xy: np.ndarray, v: np.ndarray) -> np.ndarray:  # [B, C, P], inf when absent
        reach = xy.astype(np.float64) + np.nan_to_num(v.astype(np.float64)) * p.reaction_time
        dx = cells[None, :, None, 0] - reach[:, None, :, 0]
        dy = cells[None, :, None, 1] - reach[:, None, :, 1]
        tti = np.sqrt(dx * dx + dy * dy)
        tti *= 1.0 / p.max_player_speed
        tti += p.reaction_time
        tti[np.isnan(tti)] = np.inf
        return tti

    tti_home, tti_away = arrival_times(xy_home, v_home), arrival_times(xy_away, v_away)
    ball = np.asarray(ball_xy, dtype=np.float64)
    ball_travel = np.hypot(cells[None, :, 0] - ball[:, 0:1], cells[None, :, 1] - ball[:, 1:2]) / p.average_ball_speed
    ball_travel = np.nan_to_num(ball_travel, nan=0.0)  # unknown ball: already there
    first_home, first_away = tti_home.min(axis=2), tti_away.min(axis=2)  # [B, C]

    # Shaw's short-cuts: a side arriving time_to_control earlier controls the cell outright.
    att_home = np.asarray(home_attacking, dtype=bool)[:, None]
    first_att = np.where(att_home, first_home, first_away)
    first_def = np.where(att_home, first_away, first_home)
    with np.errstate(invalid="ignore"):
        def_outright = first_att - np.maximum(ball_travel, first_def) >= ttc_def
        att_outright = ~def_outright & (first_def - np.maximum(ball_travel, first_att) >= ttc_att)
    home = np.where(def_outright, ~att_home, np.where(att_outright, att_home, False)).astype(np.float64)
    away = np.where(def_outright | att_outright, 1.0 - home, 0.0)
    no_players = ~np.isfinite(first_home) & ~np.isfinite(first_away)
    rows_b, rows_c = np.nonzero(~(def_outright | att_outright | no_players))
    if len(rows_b):
        flat_rows = rows_b * len(cells) + rows_c
        home_rows, away_rows = _integrate_rows(
            flat_rows, att_home[rows_b, 0], tti_home, tti_away, first_home, first_away, ball_travel, a, p)
        home[rows_b, rows_c], away[rows_b, rows_c] = home_rows, away_rows
    home[no_players], away[no_players] = np.nan, np.nan
    return home, away


def _integrate_rows(flat_rows, att_home, tti_home, tti_away, first_home, first_away, ball_travel, a, p):
    """(home, away) control of the rows ``flat_rows`` (indices into the flattened [B, C] arrays)."""
    lam_home = np.where(att_home, p.lambda_att, p.lambda_def)
    lam_away = np.where(att_home, p.lambda_def, p.lambda_att)
    ttc_att, ttc_def = p.time_to_control(p.lambda_att), p.time_to_control(p.lambda_def)
    ttc_home, ttc_away = np.where(att_home, ttc_att, ttc_def), np.where(att_home, ttc_def, ttc_att)
    start = ball_travel.ravel()[flat_rows] - p.int_dt  # the integration's T_0
    n_steps = int(round((p.max_int_time + p.int_dt) / p.int_dt))  # length of Shaw's dT_array
    first = np.minimum(first_home.ravel()[flat_rows], first_away.ravel()[flat_rows])
    # Steps 1..skip have T_k <= first arrival - margin: summed in closed form below.
    skip = np.clip(np.floor((first - SKIP_MARGIN_S - start) / p.int_dt), 0, n_steps - 1).astype(np.int64)

    def growth(tti: np.ndarray, first_side: np.ndarray, ttc: np.ndarray) -> np.ndarray:
        # exp(-a (T_0 - tti)); the sigmoid at step k is 1 / (1 + growth * exp(-a k dt)).
        # Players Shaw ignores (too far behind their side's first arrival) get inf -> 0.
        rows = np.take(tti.reshape(-1, tti.shape[2]), flat_rows, axis=0)  # [N, P]
        keep = rows - first_side.ravel()[flat_rows][:, None] < ttc[:, None]
        with np.errstate(over="ignore"):
            return np.sort(np.where(keep, np.exp(a * (rows - start[:, None])), np.inf), axis=1)

    g_home, g_away = growth(tti_home, first_home, ttc_home), growth(tti_away, first_away, ttc_away)
    rate_home, rate_away = lam_home * p.int_dt, lam_away * p.int_dt
    # The skipped steps, where every sigmoid is e^{-a z}-small and the unresolved share ~1:
    # sum_k sigmoid(z_0 + k dt) = sum_n (-1)^(n+1) sum_k e^{n a (z_0 + k dt)}, two terms.
    q = math.exp(a * p.int_dt)
    p_home, p_away = np.zeros(len(skip)), np.zeros(len(skip))
    skipped = np.flatnonzero(skip > 0)
    p_home[skipped] = rate_home[skipped] * _tail_sum(g_home[skipped], skip[skipped], q)
    p_away[skipped] = rate_away[skipped] * _tail_sum(g_away[skipped], skip[skipped], q)
    # Each row's integration then starts at step skip + 1: fold that into its growth.
    decay_skip = np.exp(-a * p.int_dt * skip)[:, None]
    g_home, g_away = g_home * decay_skip, g_away * decay_skip
    steps_left = n_steps - 1 - skip

    n_home, n_away = np.isfinite(g_home).sum(axis=1), np.isfinite(g_away).sum(axis=1)
    group = np.digitize(np.maximum(n_home, n_away), _PLAYER_GROUP_EDGES)
    out_home, out_away = p_home.copy(), p_away.copy()
    for g in np.unique(group):
        rows = np.flatnonzero((group == g) & (steps_left > 0))
        if not len(rows):
            continue
        # Rows whose first arrival comes equally late finish together: chunks then shrink
        # evenly instead of a few slow rows keeping a chunk's loop going.
        rows = rows[np.argsort(first[rows] - start[rows] - skip[rows] * p.int_dt, kind="stable")]
        width_home, width_away = int(n_home[rows].max()), int(n_away[rows].max())
        out_home[rows], out_away[rows] = _integrate(
            g_home[rows, :width_home], g_away[rows, :width_away], rate_home[rows], rate_away[rows],
            p_home[rows], p_away[rows], steps_left[rows], a, p)
    return out_home, out_away


def _tail_sum(growth: np.ndarray, skip: np.ndarray, q: float) -> np.ndarray:
    """sum_{k=1..skip} sum_p sigmoid at step k, for rows whose sigmoids are all tiny."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        inv = 1.0 / growth  # e^{a z_0} per player, 0 for ignored ones
        q_skip = q ** skip[:, None].astype(np.float64)
        first = inv * q * (q_skip - 1.0) / (q - 1.0)
        second = inv * inv * q * q * (q_skip * q_skip - 1.0) / (q * q - 1.0)
        total = np.where(inv > 0, first - second, 0.0)
    return total.sum(axis=1)


def _integrate(g_home, g_away, rate_home, rate_away, p_home, p_away, steps_left, a, p):
    """Euler integration of rows, a cache-sized chunk of rows at a time."""
    out_home, out_away = np.empty(len(g_home)), np.empty(len(g_home))
    for lo in range(0, len(g_home), _CHUNK_ROWS):
        chunk = slice(lo, lo + _CHUNK_ROWS)
        out_home[chunk], out_away[chunk] = _integrate_chunk(
            g_home[chunk], g_away[chunk], rate_home[chunk], rate_away[chunk], p_home[chunk], p_away[chunk],
            steps_left[chunk], a, p)
    return out_home, out_away


def _integrate_chunk(g_home, g_away, rate_home, rate_away, p_home, p_away, steps_left, a, p):
    """All rows at once; finished rows are recorded, then dropped now and then.

    Players lie along axis 0 ([P, N] layout) so the per-team sums add contiguous rows. A
    recorded row gets zero rates and an unresolved share of 2, so it can never finish again.
    """
    n_home = g_home.shape[1]
    growth = np.ascontiguousarray(np.concatenate([g_home, g_away], axis=1).T)  # [P, N]
    out_home, out_away = p_home.copy(), p_away.copy()
    p_home = p_home.copy()
    rate_home, rate_away, steps_left = rate_home.copy(), rate_away.copy(), steps_left.copy()
    unresolved = 1.0 - p_home - p_away  # p_away is 1 - p_home - unresolved: not tracked
    live = np.arange(len(p_home))  # row numbers in this chunk
    n_live = len(live)
    decay = math.exp(-a * p.int_dt)
    exact = p.integrator == "exponential"
    sigmoid = np.empty_like(growth)
    scaled = np.empty(len(live))
    next_limit = int(steps_left.min())
    for step in range(1, int(steps_left.max()) + 1):
        np.multiply(growth, decay ** step, out=sigmoid)
        sigmoid += 1.0
        np.reciprocal(sigmoid, out=sigmoid)
        s_home, s_away = sigmoid[:n_home].sum(axis=0), sigmoid[n_home:].sum(axis=0)
        if exact:
            s_home *= rate_home
            s_away *= rate_away
            total = s_home + s_away
            taken = unresolved * -np.expm1(-total)
            with np.errstate(invalid="ignore", divide="ignore"):
                p_home += np.where(total > 0, taken * s_home / total, 0.0)
            unresolved -= taken
        else:
            np.multiply(rate_home, unresolved, out=scaled)
            s_home *= scaled
            np.multiply(rate_away, unresolved, out=scaled)
            s_away *= scaled
            p_home += s_home
            s_home += s_away
            unresolved -= s_home
        # Converged, or out of integration time (the reference then keeps the last value).
        done = unresolved <= p.model_converge_tol
        if step >= next_limit:
            done |= steps_left == step
        if not done.any():
            continue
        rows = live[done]
        out_home[rows], out_away[rows] = p_home[done], 1.0 - p_home[done] - unresolved[done]
        n_live -= len(rows)
        if n_live == 0:
            break
        rate_home[done], rate_away[done], unresolved[done], steps_left[done] = 0.0, 0.0, 2.0, -1
        if n_live * 8 <= len(live) * 7:  # dropping rows copies the arrays: only now and then
            keep = steps_left >= 0
            live, p_home, unresolved = live[keep], p_home[keep], unresolved[keep]
            growth, rate_home, rate_away, steps_left = growth[:, keep], rate_home[keep], rate_away[keep], steps_left[keep]
            sigmoid, scaled = np.empty_like(growth), np.empty(len(live))
            next_limit = int(steps_left.min())
    return out_home, out_away
