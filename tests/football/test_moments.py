"""Clip candidates: goals and shots from events, sprints, high-intensity sequences."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sideline.analytics.football.moments import MOMENT_SCHEMA, MomentsConfig, list_moments, match_clock
from sideline.core.football import (
    EVENT_SCHEMA, Events, Match, MatchMeta, Period, Player, Team, Tracking, timeline_offsets,
)
from sideline.errors import InvalidInput


def shared_data() -> Path:
    return Path(os.environ.get("SIDELINE_SHARED_DATA", Path(__file__).resolve().parents[2] / "../shared/data"))


def synthetic_meta(n_per_side: int = 5, periods=((1, 0.0, 2700.0), (2, 0.0, 2700.0))) -> MatchMeta:
    players = tuple(
        Player(player_id=f"{side[0]}{i}", side=side, name=f"Player{i} {side.title()}man", jersey_no=i + 2)
        for side in ("home", "away") for i in range(n_per_side))
    offsets = timeline_offsets([p[0] for p in periods], [p[2] for p in periods], [p[1] for p in periods])
    return MatchMeta(provider="synthetic", home=Team("H", "home", "Home FC"), away=Team("A", "away", "Away United"),
                     players=players, frame_rate=10.0,
                     periods=tuple(Period(pid, s, e, off) for (pid, s, e), off in zip(periods, offsets, strict=True)))


def events_table(rows: list[dict]) -> pl.DataFrame:
    full = [{name: row.get(name) for name in EVENT_SCHEMA} for row in rows]
    return pl.DataFrame(full, schema=EVENT_SCHEMA)


def shot(meta: MatchMeta, period: int, t: float, player_id: str, result: str) -> dict:
    offset = meta.period(period).timeline_offset
    return {"event_id": f"{period}-{t}", "period": period, "t": t, "timeline": offset + t, "type": "shot",
            "result": result, "side": "home" if player_id.startswith("h") else "away", "player_id": player_id}


def test_a_goal_is_one_goal_moment_padded_around_it():
    meta = synthetic_meta()
    goal_at = 2700.0 + 1332.0  # 2nd half, 22:12 into it -> 67:12 on the match clock
    events = Events(meta, events_table([shot(meta, 2, 1332.0, "h3", "goal")]))
    moments = list_moments(Match(meta, events=events))
    assert moments.schema == pl.Schema(MOMENT_SCHEMA)
    assert moments.height == 1
    goal = moments.row(0, named=True)
    config = MomentsConfig()
    assert goal["kind"] == "goal" and goal["side"] == "home" and goal["player_id"] == "h3"
    assert goal["start_s"] == pytest.approx(goal_at - config.goal_lead_in_s)
    assert goal["end_s"] == pytest.approx(goal_at + config.goal_lead_out_s)
    assert goal["label"] == "Goal — P. Homeman (Home FC) 67:12"


def test_padding_is_clipped_to_the_period_and_goals_rank_above_shots():
    meta = synthetic_meta()
    events = Events(meta, events_table([
        shot(meta, 1, 3.0, "a1", "saved"),  # 3 s after kick-off: no room for the lead-in
        shot(meta, 1, 2698.0, "h1", "goal"),  # 2 s before half-time: no room for the lead-out
    ]))
    moments = list_moments(Match(meta, events=events))
    assert moments["kind"].to_list() == ["goal", "shot"]
    assert moments.filter(kind="shot")["start_s"].item() == 0.0
    assert moments.filter(kind="goal")["end_s"].item() == 2700.0


def test_overlapping_sprints_are_merged_and_separate_ones_kept():
    meta = synthetic_meta()
    sprints = pl.DataFrame({
        "player_id": ["h0", "a2", "h1"], "side": ["home", "away", "home"], "period": [1, 1, 1],
        "start_s": [100.0, 104.0, 500.0], "end_s": [105.0, 108.0, 503.0],
        "peak_speed_ms": [8.1, 9.4, 7.5], "distance_m": [38.0, 30.0, 20.0],
    })
    moments = list_moments(Match(meta), sprints=sprints)
    assert moments["kind"].to_list() == ["sprint", "sprint"]
    merged = moments.row(0, named=True)  # the faster one (9.4 m/s) names the merged moment
    config = MomentsConfig()
    assert merged["start_s"] == pytest.approx(100.0 - config.sprint_lead_in_s)
    assert merged["end_s"] == pytest.approx(108.0 + config.sprint_lead_out_s)
    assert merged["player_id"] == "a2" and merged["side"] == "away"
    assert merged["label"].startswith("Sprint — #4 P. Awayman 9.4 m/s") and merged["label"].endswith("(+1 more)")
    assert moments.row(1, named=True)["player_id"] == "h1"


def test_sprints_table_without_required_columns_is_invalid_input():
    with pytest.raises(InvalidInput, match="peak_speed_ms"):
        list_moments(Match(synthetic_meta()), sprints=pl.DataFrame({"player_id": ["h0"], "side": ["home"],
                                                                      "period": [1], "start_s": [1.0],
                                                                      "end_s": [2.0], "distance_m": [30.0]}))


def synthetic_tracking(meta: MatchMeta, seconds: float, rate: float = 10.0) -> Tracking:
    n = int(seconds * rate)
    return Tracking(meta=meta, frame_id=np.arange(n), period=np.ones(n, np.int8), t=np.arange(n) / rate,
                    xy=np.zeros((n, len(meta.players), 2), np.float32), ball=np.zeros((n, 3), np.float32),
                    ball_state=np.ones(n, np.int8), ball_owning_team=np.zeros(n, np.int8))


def test_high_intensity_sequences_need_several_fast_players_at_once():
    meta = synthetic_meta()
    tracking = synthetic_tracking(meta, 120.0)
    t = tracking.t
    speeds = np.full((tracking.n_frames, tracking.n_players), 3.0)
    home = np.flatnonzero(meta.side_mask("home"))
    away = np.flatnonzero(meta.side_mask("away"))
    # Home: 4 players above 19.8 km/h from 20 to 26 s, with one player dipping for 0.3 s.
    speeds[np.ix_((t >= 20) & (t < 26), home[:4])] = 6.5
    speeds[np.ix_((t >= 22) & (t < 22.3), home[:1])] = 5.0
    # Away: 3 fast from 60 to 61 s only (too short), and 2 fast for 10 s (too few players).
    speeds[np.ix_((t >= 60) & (t < 61), away[:3])] = 7.0
    speeds[np.ix_((t >= 80) & (t < 90), away[:2])] = 7.0
    # Unknown speeds never count as fast.
    speeds[np.ix_((t >= 100) & (t < 110), away)] = np.nan
    moments = list_moments(Match(meta, tracking=tracking), speeds=speeds)
    assert moments["kind"].to_list() == ["high_intensity"]
    found = moments.row(0, named=True)
    config = MomentsConfig()
    assert found["side"] == "home" and found["player_id"] is None
    assert found["start_s"] == pytest.approx(20.0 - config.high_intensity_lead_in_s)
    assert found["end_s"] == pytest.approx(25.9 + config.high_intensity_lead_out_s)
    assert "4 players above 19.8 km/h" in found["label"]


def test_speed_array_of_the_wrong_shape_is_invalid_input():
    meta = synthetic_meta()
    tracking = synthetic_tracking(meta, 5.0)
    with pytest.raises(InvalidInput, match=r"shape \(50, 3\)"):
        list_moments(Match(meta, tracking=tracking), speeds=np.zeros((50, 3)))


def test_match_clock_counts_from_the_period_base_minute():
    meta = synthetic_meta()
    assert match_clock(meta, 1, 61.5) == "01:01"
    assert match_clock(meta, 2, 1332.0) == "67:12"


# --- a real match: StatsBomb 15986, Barcelona 2-2 Girona (La Liga, 23 September 2018) ---------

def _statsbomb_match() -> Match:
    folder = shared_data() / "football/events/statsbomb_15986"
    if not folder.is_dir():
        pytest.skip(f"shared data not found at {folder} (set SIDELINE_SHARED_DATA)")
    from kloppy import statsbomb

    dataset = statsbomb.load(event_data=str(folder / "statsbomb_15986_event.json"),
                             lineup_data=str(folder / "statsbomb_15986_lineup.json"))
    teams = {team.ground.value: team for team in dataset.metadata.teams}
    ends = [p.end_timestamp.total_seconds() - p.start_timestamp.total_seconds() for p in dataset.metadata.periods]
    ids = [p.id for p in dataset.metadata.periods]
    offsets = timeline_offsets(ids, ends, [0.0] * len(ids))
    meta = MatchMeta(
        provider="statsbomb",
        home=Team(teams["home"].team_id, "home", teams["home"].name),
        away=Team(teams["away"].team_id, "away", teams["away"].name),
        players=tuple(Player(p.player_id, side, p.name, p.jersey_no) for side, team in teams.items()
                      for p in team.players),
        periods=tuple(Period(pid, 0.0, end, off) for pid, end, off in zip(ids, ends, offsets, strict=True)))
    side_of = {team.team_id: side for side, team in teams.items()}
    rows = [{"event_id": e.event_id, "period": e.period.id, "t": e.timestamp.total_seconds(),
             "timeline": meta.period(e.period.id).timeline_offset + e.timestamp.total_seconds(),
             "side": side_of[e.team.team_id], "player_id": e.player.player_id if e.player else None,
             "type": "shot", "result": e.result.value.lower() if e.result else None}
            for e in dataset.events if e.event_type.name == "SHOT"]
    return Match(meta, events=Events(meta, events_table(rows)))


def test_goals_of_a_real_match_agree_with_the_official_result():
    moments = list_moments(_statsbomb_match())
    goals = moments.filter(kind="goal").sort("start_s")
    # Official: Messi 19', Stuani 45', Stuani 51', Piqué 63' (a minute n is n-1:xx on the clock).
    assert goals["side"].to_list() == ["home", "away", "away", "home"]
    minutes = [int(label.rsplit(" ", 1)[1].split(":")[0]) + 1 for label in goals["label"]]
    assert minutes == [19, 45, 51, 63]
    assert "Messi" in goals["label"][0] and "Stuani" in goals["label"][1] and "Piqué" in goals["label"][3]
    assert moments.filter(kind="shot").height > 0 and set(moments["kind"]) <= {"goal", "shot"}
