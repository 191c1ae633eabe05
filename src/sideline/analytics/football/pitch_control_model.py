"""The numerical kernel of Spearman's pitch-control model (see ``pitch_control`` for the API).

Every (frame, cell) pair that needs integrating is one row of a work list; a block of steps
advances all rows at once (players x steps x rows arrays for the sigmoids, in float32, then
the state update per step on rows-long float64 vectors) and rows are dropped as they
converge, so Python loops only over time steps. Three exact-or-negligible savings keep the
work small:

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
_CHUNK_ROWS = 4096  # rows integrated together (larger: fewer calls; much larger: out of cache)
_PLAYER_GROUP_EDGES = (3, 5, 7, 9)  # rows grouped by the larger side's count of players that matter
_STEP_BLOCK = 16  # integration steps per NumPy call (more: fewer calls, more steps past convergence)
_CROSSING_GUARD = 1e-5  # float32 rows crossing the tolerance this close are redone in float64


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
        np.nan_to_num(tti, copy=False, nan=np.inf)  # absent players never arrive
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

    # Each row's stepping starts at step skip + 1, time t_skip: the sigmoid of a player at
    # step skip + k is then 1 / (1 + growth * exp(-a k dt)), growth = exp(a (tti - t_skip)).
    t_skip = start + skip * p.int_dt

    def growth(tti: np.ndarray, first_side: np.ndarray, ttc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Players Shaw ignores (too far behind their side's first arrival) are left out: the
        # kept ones move to the front of each row (inf padding after), without a per-row sort.
        rows = np.take(tti.reshape(-1, tti.shape[2]), flat_rows, axis=0)  # [N, P]
        keep = rows - first_side.ravel()[flat_rows][:, None] < ttc[:, None]
        count = keep.sum(axis=1)
        slot = np.cumsum(keep, axis=1) - 1
        packed = np.full((len(rows), max(1, int(count.max(initial=0)))), np.inf)
        row_of, _ = np.nonzero(keep)
        packed[row_of, slot[keep]] = np.exp(a * (rows[keep] - t_skip[row_of]))
        return packed, count

    (g_home, n_home), (g_away, n_away) = growth(tti_home, first_home, ttc_home), growth(tti_away, first_away, ttc_away)
    rate_home, rate_away = lam_home * p.int_dt, lam_away * p.int_dt
    # The skipped steps, where every sigmoid is e^{-a z}-small and the unresolved share ~1,
    # summed in closed form: sigmoid = sum_n (-1)^(n+1) e^{n a z}, two terms, each a
    # geometric series over the steps.
    q = math.exp(a * p.int_dt)
    skipped = np.flatnonzero(skip > 0)
    p_home, p_away = np.zeros(len(skip)), np.zeros(len(skip))
    p_home[skipped] = rate_home[skipped] * _tail_sum(g_home[skipped], skip[skipped], q)
    p_away[skipped] = rate_away[skipped] * _tail_sum(g_away[skipped], skip[skipped], q)
    steps_left = n_steps - 1 - skip

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
    """sum over steps 1..skip and players of the sigmoids, for rows whose sigmoids are all tiny.

    ``growth`` is taken at step ``skip`` (e^{-a z} there, inf for absent players): step
    ``skip - j`` has e^{a z} = q^{-j} / growth, so the series are sums of q^{-j}, q^{-2j}.
    """
    inv = 1.0 / growth  # 0 for absent players
    q_back = q ** -skip.astype(np.float64)
    first = inv.sum(axis=1) * ((1.0 - q_back) * q / (q - 1.0))
    second = (inv * inv).sum(axis=1) * ((1.0 - q_back * q_back) * q * q / (q * q - 1.0))
    return first - second


def _integrate(g_home, g_away, rate_home, rate_away, p_home, p_away, steps_left, a, p):
    """Integration of rows, a chunk of rows at a time, in float32 with a float64 re-check.

    The sigmoids and each step's loss are computed in float32 (half the bytes, SIMD exp):
    their rounding moves the unresolved share by ~1e-7. That is harmless except where it
    moves the step at which a row crosses the convergence tolerance (the value recorded then
    jumps by one step's gain, up to a few 1e-3), so rows that cross within ``_CROSSING_GUARD``
    of it are integrated again in float64, which the reference's decision then matches.
    """
    out_home, out_away = np.empty(len(g_home)), np.empty(len(g_home))
    growth = np.concatenate([g_home, g_away], axis=1)
    powers = np.exp(-a * p.int_dt * np.arange(1, int(steps_left.max()) + 1))  # decay at step k
    growth32, powers32 = growth.astype(np.float32), powers.astype(np.float32)
    n_home = g_home.shape[1]
    recheck = []
    for lo in range(0, len(g_home), _CHUNK_ROWS):
        chunk = slice(lo, lo + _CHUNK_ROWS)
        out_home[chunk], out_away[chunk], close = _integrate_chunk(
            np.ascontiguousarray(growth32[chunk].T), n_home, rate_home[chunk], rate_away[chunk],
            p_home[chunk], p_away[chunk], steps_left[chunk], powers32, p, _CROSSING_GUARD)
        recheck.append(close + lo)
    rows = np.concatenate(recheck)
    if len(rows):
        out_home[rows], out_away[rows], _ = _integrate_chunk(
            np.ascontiguousarray(growth[rows].T), n_home, rate_home[rows], rate_away[rows],
            p_home[rows], p_away[rows], steps_left[rows], powers, p, 0.0)
    return out_home, out_away


def _integrate_chunk(growth, n_home, rate_home, rate_away, p_home, p_away, steps_left, decay_powers, p, guard):
    """(home, away, rows that crossed the tolerance within ``guard``) of a chunk's rows.

    The sigmoids do not depend on the state, so a block of ``_STEP_BLOCK`` steps is computed
    at once ([players, steps, rows], players along axis 0 so the team sums add contiguous
    slabs), as is everything else that does not (each step's rates and losses); only the
    state update is stepped through, three vector operations per step. Rows that finish
    inside a block are recorded at their own step and dropped after it: the steps computed
    past it are the price of fewer, larger NumPy calls. The arithmetic is in the dtype of
    ``growth``; the state is always float64.
    """
    out_home, out_away = np.empty(len(p_home)), np.empty(len(p_home))
    unresolved = 1.0 - p_home - p_away  # away is 1 - home - unresolved: not tracked
    live = np.arange(len(p_home))  # row numbers in this chunk
    close = []
    exact = p.integrator == "exponential"
    tol = p.model_converge_tol
    done_step = 0
    while len(live):
        block = min(_STEP_BLOCK, int(steps_left.max()) - done_step)
        steps = np.arange(done_step + 1, done_step + block + 1)
        sigmoid = growth[:, None, :] * decay_powers[steps - 1, None]  # [P, block, N]
        sigmoid += 1.0
        np.reciprocal(sigmoid, out=sigmoid)
        rate_h = _sum_slabs(sigmoid[:n_home]) * rate_home  # [block, N], float64
        rate_a = _sum_slabs(sigmoid[n_home:]) * rate_away
        total = rate_h + rate_a
        if exact:  # the unresolved share falls by 1 - exp(-total), home taking its share
            loss = 1.0 - np.exp(-total.astype(growth.dtype))
            share = rate_h / np.maximum(total, 1e-300)
        else:  # explicit Euler
            factor = 1.0 - total
        left, home = np.empty_like(total), np.empty_like(total)  # the state after each step
        u, h = unresolved, p_home
        for k in range(block):
            if exact:
                taken = u * loss[k]
                np.subtract(u, taken, out=left[k])
                taken *= share[k]
            else:
                taken = u * rate_h[k]
                np.multiply(u, factor[k], out=left[k])
            np.add(h, taken, out=home[k])
            u, h = left[k], home[k]
        # Converged, or out of integration time (the reference then keeps the last value).
        done = left <= tol
        done |= steps[:, None] >= steps_left
        finished = np.flatnonzero(done.any(axis=0))
        if len(finished):
            at = done[:, finished].argmax(axis=0)
            rows = live[finished]
            out_home[rows] = home[at, finished]
            out_away[rows] = 1.0 - home[at, finished] - left[at, finished]
            if guard:
                before = np.where(at > 0, left[at - 1, finished], unresolved[finished])
                near = (left[at, finished] > tol - guard) | (before < tol + guard)
                close.append(rows[near])
            keep = np.ones(len(live), dtype=bool)
            keep[finished] = False
            live, growth, steps_left = live[keep], growth[:, keep], steps_left[keep]
            rate_home, rate_away = rate_home[keep], rate_away[keep]
            p_home, unresolved = home[-1, keep], left[-1, keep]
        else:
            p_home, unresolved = home[-1], left[-1]
        done_step += block
    return out_home, out_away, np.concatenate(close) if close else np.zeros(0, dtype=np.int64)


def _sum_slabs(values: np.ndarray) -> np.ndarray:
    """values[0] + values[1] + ... in place (faster than ``sum(axis=0)`` on 3-d arrays)."""
    total = values[0].copy()
    for slab in values[1:]:
        total += slab
    return total
