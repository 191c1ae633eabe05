"""The numerical kernel of Spearman's pitch-control model (see ``pitch_control`` for the API).

A compiled (Numba) loop: each (frame, cell) pair is one row, integrated on its own as
Laurie Shaw's per-cell reference does, with the same short-cuts and the same stopping rule;
rows run in parallel over the machine's cores. Two savings keep each row short:

- players that Shaw's model ignores at a cell (too far behind their team's first arrival)
  are not integrated, and each step needs only a multiplication per player (a player's
  e^{-a (T - tti)} shrinks by the same factor every step) instead of an ``exp``;
- the steps before anyone can arrive (every sigmoid below ``sigmoid(-SKIP_MARGIN_S)``) are
  summed in closed form (a geometric series) instead of stepped through: the contribution
  is then at most ~1e-5 per cell and its error far below that.

A scalar loop per row replaced an earlier NumPy kernel (rows x steps arrays, float32 blocks
with a float64 re-check, ~29 ms CPU per frame): it needs no work list, no padding and no
rounding safeguard, and is several times faster.
"""

from __future__ import annotations

import dataclasses
import math
import threading

import numba
import numpy as np

from sideline.errors import InvalidInput


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


SKIP_MARGIN_S = 2.0  # steps ending this long before the first arrival are summed in closed form
_ROWS_PER_TASK = 512  # rows per parallel task (one scratch allocation each)
# Calls take turns, each using every core: concurrent calls (job runners use threads) would
# only oversubscribe the cores, and Numba's fallback thread pool (workqueue, where OpenMP
# and TBB are missing) must not be entered by two threads at once.
_KERNEL_LOCK = threading.Lock()


def control_surfaces(xy_home: np.ndarray, v_home: np.ndarray, xy_away: np.ndarray, v_away: np.ndarray,
                     ball_xy: np.ndarray, home_attacking: np.ndarray, cells: np.ndarray,
                     params: PitchControlParams = PitchControlParams(),
                     threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Home and away control [B, C] for B frames at C points, on ``threads`` cores (default all).

    ``xy_*``/``v_*``: [B, P_side, 2] positions and velocities (NaN position = absent player,
    NaN velocity = standing); ``ball_xy`` [B, 2] (NaN = the ball is already at every cell);
    ``home_attacking`` [B] bool (which side gets ``lambda_att``); ``cells`` [C, 2].
    Frames without any player give NaN.
    """
    p = params
    if p.integrator not in ("exponential", "euler"):
        raise InvalidInput(f"unknown pitch-control integrator {p.integrator!r} (exponential or euler)")

    def reach(xy: np.ndarray, v: np.ndarray) -> np.ndarray:  # where each player is after reacting
        return np.ascontiguousarray(xy, dtype=np.float64) + np.nan_to_num(np.asarray(v, dtype=np.float64)) * p.reaction_time

    cells = np.ascontiguousarray(cells, dtype=np.float64)
    ball = np.ascontiguousarray(ball_xy, dtype=np.float64).reshape(-1, 2)
    home_att = np.ascontiguousarray(home_attacking, dtype=np.bool_).reshape(-1)
    n_steps = int(round((p.max_int_time + p.int_dt) / p.int_dt))  # length of Shaw's dT_array
    with _KERNEL_LOCK:
        saved_threads = numba.get_num_threads()
        numba.set_num_threads(min(threads or numba.config.NUMBA_NUM_THREADS, numba.config.NUMBA_NUM_THREADS))
        try:
            return _control_kernel(
                reach(xy_home, v_home), reach(xy_away, v_away), ball, home_att, cells,
                float(p.reaction_time), 1.0 / p.max_player_speed, 1.0 / p.average_ball_speed,
                math.pi / math.sqrt(3.0) / p.tti_sigma, float(p.lambda_att), float(p.lambda_def),
                p.time_to_control(p.lambda_att), p.time_to_control(p.lambda_def), float(p.int_dt), n_steps,
                float(p.model_converge_tol), p.integrator == "exponential")
        finally:
            numba.set_num_threads(saved_threads)


@numba.njit(parallel=True, cache=True, fastmath=False)
def _control_kernel(reach_home, reach_away, ball, home_att, cells, reaction_time, inv_speed, inv_ball_speed,
                    a, lam_att, lam_def, ttc_att, ttc_def, dt, n_steps, tol, exact):  # pragma: no cover
    n_frames, n_cells = reach_home.shape[0], cells.shape[0]
    n_rows = n_frames * n_cells
    home = np.empty((n_frames, n_cells))
    away = np.empty((n_frames, n_cells))
    n_tasks = (n_rows + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK
    decay = math.exp(-a * dt)  # a sigmoid's e^{-a (T - tti)} shrinks by this each step
    for task in numba.prange(n_tasks):
        # Per player: arrival time, then e^{-a (T - tti)} at the current step.
        tti_h, g_h = np.empty(reach_home.shape[1]), np.empty(reach_home.shape[1])
        tti_a, g_a = np.empty(reach_away.shape[1]), np.empty(reach_away.shape[1])
        for row in range(task * _ROWS_PER_TASK, min(n_rows, (task + 1) * _ROWS_PER_TASK)):
            b, c = row // n_cells, row % n_cells
            cx, cy = cells[c, 0], cells[c, 1]
            first_h = _arrival_times(reach_home[b], cx, cy, reaction_time, inv_speed, tti_h)
            first_a = _arrival_times(reach_away[b], cx, cy, reaction_time, inv_speed, tti_a)
            if first_h == np.inf and first_a == np.inf:  # nobody seen: no answer
                home[b, c], away[b, c] = np.nan, np.nan
                continue
            bx, by = ball[b, 0], ball[b, 1]
            travel = 0.0 if (bx != bx or by != by) else math.sqrt((cx - bx) ** 2 + (cy - by) ** 2) * inv_ball_speed
            att_home = home_att[b]
            lam_h, lam_a = (lam_att, lam_def) if att_home else (lam_def, lam_att)
            ttc_h, ttc_a = (ttc_att, ttc_def) if att_home else (ttc_def, ttc_att)
            first_att, first_def = (first_h, first_a) if att_home else (first_a, first_h)
            # Shaw's short-cuts: a side arriving time_to_control earlier owns the cell outright.
            if first_att - max(travel, first_def) >= ttc_def:
                home[b, c], away[b, c] = (0.0, 1.0) if att_home else (1.0, 0.0)
                continue
            if first_def - max(travel, first_att) >= ttc_att:
                home[b, c], away[b, c] = (1.0, 0.0) if att_home else (0.0, 1.0)
                continue
            start = travel - dt  # the integration's T_0
            first = min(first_h, first_a)
            # Steps 1..skip have T_k <= first arrival - margin: summed in closed form.
            skip = int(min(max(math.floor((first - SKIP_MARGIN_S - start) / dt), 0.0), n_steps - 1.0))
            t_skip = start + skip * dt
            n_h = _keep_players(tti_h, first_h, ttc_h, a, t_skip, g_h)
            n_a = _keep_players(tti_a, first_a, ttc_a, a, t_skip, g_a)
            rate_h, rate_a = lam_h * dt, lam_a * dt
            p_h, p_a = 0.0, 0.0
            if skip > 0:
                p_h = rate_h * _tail_sum(g_h, n_h, skip, a * dt)
                p_a = rate_a * _tail_sum(g_a, n_a, skip, a * dt)
            unresolved = 1.0 - p_h - p_a
            for _ in range(skip + 1, n_steps):  # Shaw's loop: steps 1 .. len(dT_array) - 1
                sum_h, sum_a = 0.0, 0.0
                for k in range(n_h):
                    g_h[k] *= decay
                    sum_h += 1.0 / (1.0 + g_h[k])
                for k in range(n_a):
                    g_a[k] *= decay
                    sum_a += 1.0 / (1.0 + g_a[k])
                r_h, r_a = rate_h * sum_h, rate_a * sum_a
                if exact:  # the unresolved share falls by 1 - exp(-total), split by rate
                    total = r_h + r_a
                    if total > 0.0:
                        taken = unresolved * (1.0 - math.exp(-total)) / total
                        p_h += taken * r_h
                        p_a += taken * r_a
                else:  # explicit Euler, as published
                    p_h += unresolved * r_h
                    p_a += unresolved * r_a
                unresolved = 1.0 - p_h - p_a
                if unresolved <= tol:  # converged: the reference stops here
                    break
            home[b, c], away[b, c] = p_h, p_a
    return home, away


@numba.njit(cache=True, fastmath=False)
def _arrival_times(reach, cx, cy, reaction_time, inv_speed, out):  # pragma: no cover
    """Each player's arrival time at (cx, cy) into ``out`` (inf when absent); the earliest."""
    first = np.inf
    for k in range(reach.shape[0]):
        x, y = reach[k, 0], reach[k, 1]
        if x != x or y != y:
            out[k] = np.inf
            continue
        t = reaction_time + math.sqrt((cx - x) ** 2 + (cy - y) ** 2) * inv_speed
        out[k] = t
        first = min(first, t)
    return first


@numba.njit(cache=True, fastmath=False)
def _keep_players(tti, first, ttc, a, t_skip, growth):  # pragma: no cover
    """Packs e^{a (tti - t_skip)} of the players Shaw keeps (within ``ttc`` of their side's
    first arrival) at the front of ``growth``; returns how many."""
    n = 0
    for k in range(tti.shape[0]):
        if tti[k] - first < ttc:  # absent players (inf) never are
            growth[n] = math.exp(a * (tti[k] - t_skip))
            n += 1
    return n


@numba.njit(cache=True, fastmath=False)
def _tail_sum(growth, n, skip, a_dt):  # pragma: no cover
    """Sum over steps 1..skip and the first ``n`` players of the sigmoids, all tiny there.

    ``growth`` is e^{-a z} at step ``skip``; step ``skip - j`` has e^{a z} = q^{-j} / growth
    with q = e^{a dt}, and sigmoid = e^{a z} - e^{2 a z} + ...: two geometric series.
    """
    q = math.exp(a_dt)
    q_back = q ** (-float(skip))
    first_series = (1.0 - q_back) * q / (q - 1.0)
    second_series = (1.0 - q_back * q_back) * q * q / (q * q - 1.0)
    total = 0.0
    for k in range(n):
        inv = 1.0 / growth[k]
        total += inv * first_series - inv * inv * second_series
    return total
