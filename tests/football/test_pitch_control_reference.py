"""The straightforward per-cell pitch-control model: a port of Laurie Shaw's
``calculate_pitch_control_at_target`` (Friends-of-Tracking-Data-FoTD/LaurieOnTracking,
``Metrica_PitchControl.py``, after Spearman 2018), kept out of ``src/`` on purpose: it is the
independent reference the vectorised ``sideline.analytics.football.pitch_control`` is checked
against in the tests and the benchmark. Loops over cells, players and time steps, as the
original does; only the DataFrame plumbing is replaced by plain arrays.
"""

from __future__ import annotations

import numpy as np
import pytest

from sideline.analytics.football.pitch_control import PitchControlParams, PitchGrid, estimate_velocities, pitch_control
from sideline.core.football import HOME, OWNER_AWAY, OWNER_HOME


def default_model_params(time_to_control_veto: float = 3, kappa_def: float = 1.0) -> dict[str, float]:
    params = {
        "max_player_speed": 5.0, "reaction_time": 0.7, "tti_sigma": 0.45, "kappa_def": kappa_def,
        "lambda_att": 4.3, "average_ball_speed": 15.0, "int_dt": 0.04, "max_int_time": 10,
        "model_converge_tol": 0.01,
    }
    params["lambda_def"] = 4.3 * params["kappa_def"]
    params["time_to_control_att"] = time_to_control_veto * np.log(10) * (
        np.sqrt(3) * params["tti_sigma"] / np.pi + 1 / params["lambda_att"])
    params["time_to_control_def"] = time_to_control_veto * np.log(10) * (
        np.sqrt(3) * params["tti_sigma"] / np.pi + 1 / params["lambda_def"])
    return params


class _Player:
    def __init__(self, position, velocity, params):
        self.position = np.asarray(position, dtype=float)
        velocity = np.asarray(velocity, dtype=float)
        self.velocity = np.array([0.0, 0.0]) if np.any(np.isnan(velocity)) else velocity
        self.vmax, self.reaction_time, self.tti_sigma = params["max_player_speed"], params["reaction_time"], params["tti_sigma"]
        self.PPCF = 0.0

    def simple_time_to_intercept(self, r_final):
        self.PPCF = 0.0
        r_reaction = self.position + self.velocity * self.reaction_time
        self.time_to_intercept = self.reaction_time + np.linalg.norm(r_final - r_reaction) / self.vmax
        return self.time_to_intercept

    def probability_intercept_ball(self, T):
        return 1 / (1.0 + np.exp(-np.pi / np.sqrt(3.0) / self.tti_sigma * (T - self.time_to_intercept)))


def players(xy: np.ndarray, velocity: np.ndarray, params) -> list[_Player]:
    """Players of one side in one frame; those without a position are not in the frame."""
    return [_Player(xy[i], velocity[i], params) for i in range(len(xy)) if not np.any(np.isnan(xy[i]))]


def pitch_control_at_target(target_position, attacking_players, defending_players, ball_start_pos, params):
    if ball_start_pos is None or any(np.isnan(ball_start_pos)):
        ball_travel_time = 0.0
    else:
        ball_travel_time = np.linalg.norm(target_position - ball_start_pos) / params["average_ball_speed"]
    tau_min_att = np.nanmin([p.simple_time_to_intercept(target_position) for p in attacking_players])
    tau_min_def = np.nanmin([p.simple_time_to_intercept(target_position) for p in defending_players])
    if tau_min_att - max(ball_travel_time, tau_min_def) >= params["time_to_control_def"]:
        return 0.0, 1.0
    if tau_min_def - max(ball_travel_time, tau_min_att) >= params["time_to_control_att"]:
        return 1.0, 0.0
    attacking_players = [p for p in attacking_players if p.time_to_intercept - tau_min_att < params["time_to_control_att"]]
    defending_players = [p for p in defending_players if p.time_to_intercept - tau_min_def < params["time_to_control_def"]]
    dT_array = np.arange(ball_travel_time - params["int_dt"], ball_travel_time + params["max_int_time"], params["int_dt"])
    PPCFatt = np.zeros_like(dT_array)
    PPCFdef = np.zeros_like(dT_array)
    ptot = 0.0
    i = 1
    while 1 - ptot > params["model_converge_tol"] and i < dT_array.size:
        T = dT_array[i]
        if params.get("integrator") == "exponential":  # the exact step for rates constant over dt
            rates_att = [p.probability_intercept_ball(T) * params["lambda_att"] * params["int_dt"] for p in attacking_players]
            rates_def = [p.probability_intercept_ball(T) * params["lambda_def"] * params["int_dt"] for p in defending_players]
            total = sum(rates_att) + sum(rates_def)
            taken = (1 - PPCFatt[i - 1] - PPCFdef[i - 1]) * (1 - np.exp(-total))
            for player, rate in zip(attacking_players, rates_att):
                player.PPCF += taken * rate / total if total > 0 else 0.0
                PPCFatt[i] += player.PPCF
            for player, rate in zip(defending_players, rates_def):
                player.PPCF += taken * rate / total if total > 0 else 0.0
                PPCFdef[i] += player.PPCF
            ptot = PPCFdef[i] + PPCFatt[i]
            i += 1
            continue
        for player in attacking_players:
            dPPCFdT = (1 - PPCFatt[i - 1] - PPCFdef[i - 1]) * player.probability_intercept_ball(T) * params["lambda_att"]
            player.PPCF += dPPCFdT * params["int_dt"]
            PPCFatt[i] += player.PPCF
        for player in defending_players:
            dPPCFdT = (1 - PPCFatt[i - 1] - PPCFdef[i - 1]) * player.probability_intercept_ball(T) * params["lambda_def"]
            player.PPCF += dPPCFdT * params["int_dt"]
            PPCFdef[i] += player.PPCF
        ptot = PPCFdef[i] + PPCFatt[i]
        i += 1
    return PPCFatt[i - 1], PPCFdef[i - 1]


def reference_surface(cells: np.ndarray, attacking: list[_Player], defending: list[_Player], ball_xy, params):
    """(attacking, defending) control at each of ``cells`` [C, 2], one cell at a time."""
    att, dfn = np.zeros(len(cells)), np.zeros(len(cells))
    for k, target in enumerate(cells):
        att[k], dfn[k] = pitch_control_at_target(target, attacking, defending, ball_xy, params)
    return att, dfn


# --- the vectorised model against the reference, on real frames ---------------------------


def most_visible_frames(tracking, count: int) -> np.ndarray:
    """Frames with the most players seen (SkillCorner broadcast never shows all 22: at most 21)."""
    seen = tracking.observed.sum(axis=1)
    best = np.flatnonzero(seen == seen.max())
    return best[np.linspace(0, len(best) - 1, count).round().astype(int)]


def reference_for_frame(tracking, velocities, frame: int, cells: np.ndarray, kappa_def: float = 1.0,
                        home_attacking: bool = True, integrator: str = "euler") -> tuple[np.ndarray, np.ndarray]:
    params = {**default_model_params(kappa_def=kappa_def), "integrator": integrator}
    home = tracking.meta.side_mask(HOME)
    home_players = players(tracking.xy[frame, home], velocities[frame, home], params)
    away_players = players(tracking.xy[frame, ~home], velocities[frame, ~home], params)
    ball = tracking.ball[frame, :2].astype(float)
    if home_attacking:
        home_control, away_control = reference_surface(cells, home_players, away_players, ball, params)
    else:
        away_control, home_control = reference_surface(cells, away_players, home_players, ball, params)
    return home_control, away_control


@pytest.fixture(scope="module")
def match_with_velocities(skillcorner_match):
    tracking = skillcorner_match.tracking
    return tracking, estimate_velocities(tracking)


def test_vectorised_pitch_control_equals_the_per_cell_reference_on_real_frames(match_with_velocities):
    tracking, velocities = match_with_velocities
    frames = most_visible_frames(tracking, 3)
    assert tracking.observed[frames].sum(axis=1).min() >= 21
    grid = PitchGrid.for_pitch(tracking.meta.pitch_length, tracking.meta.pitch_width, cell_size=3.0)
    result = pitch_control(tracking, frames, velocities=velocities, grid=grid, params=PitchControlParams(integrator="euler"))
    cells = grid.points()
    for k, frame in enumerate(frames):
        ref_home, ref_away = reference_for_frame(tracking, velocities, frame, cells)
        np.testing.assert_allclose(result.home[k].ravel(), ref_home, atol=1e-3)
        np.testing.assert_allclose(result.away[k].ravel(), ref_away, atol=1e-3)
        # Every cell resolved (home + away >= 1 - tol) and, as Shaw's own checksum asserts,
        # the pitch-wide mean of home + away within tol of 1. Single cells may overshoot 1:
        # the model's explicit Euler step (dt * lambda * players arriving > 1) does, in the
        # reference too, where several players reach a cell together.
        total = result.home[k] + result.away[k]
        assert total.min() >= 0.99 - 1e-6
        assert abs(total.mean() - 1) <= 0.01
        assert (total > 1.01).mean() < 0.05
        np.testing.assert_allclose(total + result.unresolved[k], 1.0, atol=1e-6)
        assert 0.05 < (result.home[k] > 0.5).mean() < 0.95  # both teams control some of the pitch


def test_default_exact_step_sums_to_one_in_every_cell_and_equals_its_reference(match_with_velocities):
    """The product's integrator: the same model with the exact step for each dt, checked against
    the per-cell reference doing the same; no cell's control exceeds 1, none is left short."""
    tracking, velocities = match_with_velocities
    frames = most_visible_frames(tracking, 2)
    grid = PitchGrid.for_pitch(tracking.meta.pitch_length, tracking.meta.pitch_width, cell_size=3.0)
    result = pitch_control(tracking, frames, velocities=velocities, grid=grid)
    published = pitch_control(tracking, frames, velocities=velocities, grid=grid,
                              params=PitchControlParams(integrator="euler"))
    for k, frame in enumerate(frames):
        ref_home, ref_away = reference_for_frame(tracking, velocities, frame, grid.points(), integrator="exponential")
        np.testing.assert_allclose(result.home[k].ravel(), ref_home, atol=1e-3)
        np.testing.assert_allclose(result.away[k].ravel(), ref_away, atol=1e-3)
        total = result.home[k] + result.away[k]
        assert np.all(np.abs(total - 1) <= 0.01)  # every cell, not only on average
        # The published (Euler) values differ only where it overshoots: a few hundredths.
        assert np.abs(result.home[k] - published.home[k]).max() < 0.1
        assert np.median(np.abs(result.home[k] - published.home[k])) < 0.01


def test_defenders_advantage_follows_the_ball_owner_like_the_reference(match_with_velocities):
    tracking, velocities = match_with_velocities
    frame = int(most_visible_frames(tracking, 1)[0])
    grid = PitchGrid.for_pitch(cell_size=5.0)
    params = PitchControlParams(kappa_def=1.72, integrator="euler")
    for home_attacking in (True, False):
        attacking = np.full(tracking.n_frames, OWNER_HOME if home_attacking else OWNER_AWAY, dtype=np.int8)
        result = pitch_control(tracking, frame, velocities=velocities, grid=grid, params=params, attacking=attacking)
        ref_home, ref_away = reference_for_frame(tracking, velocities, frame, grid.points(), 1.72, home_attacking)
        np.testing.assert_allclose(result.home[0].ravel(), ref_home, atol=1e-3)
        np.testing.assert_allclose(result.away[0].ravel(), ref_away, atol=1e-3)


def test_default_velocities_are_the_whole_match_estimate(match_with_velocities):
    # Without velocities, only the frames around the requested ones are differentiated: the
    # same values as the whole-match estimate, at a fraction of the cost.
    tracking, velocities = match_with_velocities
    frames = most_visible_frames(tracking, 2)
    grid = PitchGrid.for_pitch(cell_size=5.0)
    given = pitch_control(tracking, frames, velocities=velocities, grid=grid)
    default = pitch_control(tracking, frames, grid=grid)
    np.testing.assert_array_equal(given.home, default.home)
    assert np.isfinite(velocities[frames][tracking.observed[frames]]).mean() > 0.9
