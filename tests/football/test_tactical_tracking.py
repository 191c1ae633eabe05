"""Metrics from tracking: formations, possession from ball proximity, heat maps."""

from __future__ import annotations

import numpy as np
import pytest

from sideline.analytics.football.formation import FORMATIONS, detect_formation, match_formation
from sideline.analytics.football.heatmaps import player_heatmaps, team_heatmap
from sideline.analytics.football.possession import possession_from_tracking
from sideline.analytics.football.shape import phase_of_frames
from sideline.core.football import AWAY, BALL_DEAD, HOME, OWNER_AWAY, OWNER_HOME, OWNER_UNKNOWN
from sideline.errors import InvalidInput
from tests.football.test_tactical_shape import synthetic_tracking


def generated_team(formation: str, n_frames: int, rng, stretch=(1.3, 0.8), centre=(-5.0, 3.0), noise=2.5) -> np.ndarray:
    """Frames of a team playing ``formation`` (home orientation) with a goalkeeper first."""
    _, slots = FORMATIONS[formation]
    shape = slots * np.array(stretch) + np.array(centre)
    drift = rng.normal(0, 6, (n_frames, 1, 2))  # the block moves around the pitch
    outfield = shape[None] + drift + rng.normal(0, noise, (n_frames, len(slots), 2))
    keeper = np.array([[-48.0, 0.0]]) + rng.normal(0, 1, (n_frames, 1, 2))
    return np.concatenate([keeper[:, None, 0], outfield], axis=1)


@pytest.mark.parametrize("formation", ["4-4-2", "4-3-3", "3-5-2", "4-2-3-1", "5-3-2"])
def test_templates_recover_a_generated_formation_for_either_side(formation):
    rng = np.random.default_rng(abs(hash(formation)) % 2**32)
    team = generated_team(formation, 300, rng)
    slot_names, _ = FORMATIONS[formation]
    # Home as generated; away rotated half a turn (it attacks -x), so it is the same shape.
    other = np.full((300, 1, 2), np.nan)
    for side, tracking in ((HOME, synthetic_tracking(team, other, home_goalkeeper=True)),
                           (AWAY, synthetic_tracking(other, -team, away_goalkeeper=True))):
        fit = detect_formation(tracking, side)
        assert fit.formation == formation, (side, fit.costs)
        prefix = "h" if side == HOME else "a"
        assert fit.slots == {f"{prefix}{i + 1}": slot_names[i] for i in range(len(slot_names))}
        assert fit.cost < min(c for name, c in fit.costs.items() if name != formation)


def test_formation_needs_players():
    with pytest.raises(InvalidInput, match="at least 3 outfield players"):
        match_formation({"a": (0.0, 0.0)})


def test_real_match_formations_and_phases(skillcorner_match):
    tracking = skillcorner_match.tracking
    for side in (HOME, AWAY):
        in_possession = phase_of_frames(tracking, side) == 0
        fit = detect_formation(tracking, side, np.flatnonzero(in_possession))
        assert fit.formation in FORMATIONS and len(fit.slots) == 10
        assert len(set(fit.slots.values())) == 10  # one player per slot
        # Named (identified) players, not SkillCorner's anonymous tracks, fill the slots.
        assert not any(pid.startswith(("home_anon", "away_anon")) for pid in fit.slots)


def test_possession_from_proximity_with_hysteresis():
    # Ball at the home player for 6 frames, brushes past an away player for 2 frames (less
    # than the 0.5 s confirmation), rolls free, then reaches the away player for good.
    n = 20
    home = np.tile([[0.0, 0.0]], (n, 1, 1))
    away = np.tile([[20.0, 0.0]], (n, 1, 1))
    ball = np.zeros((n, 2))
    ball[6:8] = [19.0, 0.0]
    ball[8:12] = [10.0, 0.0]
    ball[12:] = [20.5, 0.0]
    state = np.full(n, 1)
    state[19] = BALL_DEAD
    result = possession_from_tracking(synthetic_tracking(home, away, ball=ball, ball_state=state), radius=2.0, confirm_s=0.5)
    expected = [OWNER_HOME] * 12 + [OWNER_AWAY] * 7 + [OWNER_UNKNOWN]
    assert result.owner.tolist() == expected
    assert result.closest_player[:6].tolist() == [0] * 6 and result.closest_player[8] == -1
    assert result.shares.home_seconds == pytest.approx(1.2) and result.shares.away_seconds == pytest.approx(0.7)


def test_proximity_possession_agrees_with_skillcorner_own_flag(skillcorner_match):
    tracking = skillcorner_match.tracking
    result = possession_from_tracking(tracking)
    both = (result.owner != OWNER_UNKNOWN) & (tracking.ball_owning_team != OWNER_UNKNOWN)
    agreement = (result.owner[both] == tracking.ball_owning_team[both]).mean()
    assert both.mean() > 0.9 and agreement > 0.85
    provider_home = (tracking.ball_owning_team == OWNER_HOME).sum() / (tracking.ball_owning_team >= 0).sum()
    assert result.shares.home == pytest.approx(provider_home, abs=0.03)
    assert OWNER_AWAY in result.owner


def test_heatmap_seconds_equal_observed_time():
    rng = np.random.default_rng(5)
    home = rng.uniform([-52, -33], [52, 33], (500, 2, 2))
    home[rng.random((500, 2)) < 0.3] = np.nan
    tracking = synthetic_tracking(home, np.full((500, 1, 2), np.nan), frame_rate=25.0)
    maps = player_heatmaps(tracking, bins=(21, 14))
    for i, pid in enumerate(["h0", "h1"]):
        observed_seconds = (~np.isnan(home[:, i, 0])).sum() / 25.0
        assert maps[pid].seconds.shape == (14, 21)
        assert maps[pid].total_seconds == pytest.approx(observed_seconds)
    assert maps["a0"].total_seconds == 0.0
    assert maps["h0"].extent == (-52.5, 52.5, -34.0, 34.0)
    smooth = player_heatmaps(tracking, bins=(21, 14), smooth_sigma=1.5)
    assert smooth["h0"].total_seconds == pytest.approx(maps["h0"].total_seconds)
    assert smooth["h0"].seconds.max() < maps["h0"].seconds.max()
    team = team_heatmap(tracking, HOME)
    assert team.total_seconds == pytest.approx(maps["h0"].total_seconds + maps["h1"].total_seconds)


def test_heatmap_cells_and_direction():
    # A player standing still at a cell centre for 4 s fills exactly one cell; turned, the mirror cell.
    still = np.tile([[[30.0, 10.5]]], (40, 1, 1))
    tracking = synthetic_tracking(np.full((40, 1, 2), np.nan), still)
    heat = player_heatmaps(tracking, bins=(105, 68))["a0"]
    row, col = np.argwhere(heat.seconds > 0)[0]
    assert heat.seconds[row, col] == pytest.approx(4.0) and (row, col) == (44, 82)
    turned = player_heatmaps(tracking, bins=(105, 68), attacking_right=True)["a0"]
    assert np.argwhere(turned.seconds > 0)[0].tolist() == [68 - 1 - 44, 105 - 1 - 82]
    with pytest.raises(InvalidInput, match="bins must be positive"):
        player_heatmaps(tracking, bins=(0, 5))


def test_full_match_heatmaps_cover_the_observed_time(skillcorner_match):
    tracking = skillcorner_match.tracking
    maps = player_heatmaps(tracking)
    observed_seconds = tracking.observed.sum(axis=0) / tracking.meta.frame_rate
    totals = np.array([maps[p.player_id].total_seconds for p in tracking.meta.players])
    np.testing.assert_allclose(totals, observed_seconds, rtol=1e-9)
