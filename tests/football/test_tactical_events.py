"""Metrics from events: pass counts and networks, expected threat, possession from events."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sideline.analytics.football.passes import pass_counts, pass_network
from sideline.analytics.football.possession import owner_at, possession_from_events
from sideline.analytics.football.xt import XT_GRID, fit_xt_grid, xt_added, xt_totals, xt_value
from sideline.core.football import (
    AWAY, EVENT_SCHEMA, HOME, OWNER_AWAY, OWNER_HOME, OWNER_UNKNOWN, Events, MatchMeta, Period, Team,
)
from sideline.errors import InvalidInput


@pytest.fixture(scope="module")
def statsbomb_files(shared_data):
    folder = shared_data / "football" / "events" / "statsbomb_15986"
    return {"event_data": folder / "statsbomb_15986_event.json", "lineup_data": folder / "statsbomb_15986_lineup.json"}


@pytest.fixture(scope="module")
def barcelona_girona(statsbomb_files) -> Events:
    from sideline.ingest.football import load_match

    return load_match("statsbomb", statsbomb_files).events


def synthetic_events(rows: list[dict], duration: float = 600.0) -> Events:
    meta = MatchMeta(provider="synthetic", home=Team("H", HOME, "Home"), away=Team("A", AWAY, "Away"), players=(),
                     periods=(Period(1, 0.0, duration, 0.0),))
    defaults = {"event_id": None, "period": 1, "t": 0.0, "timeline": 0.0, "side": HOME, "player_id": "p1",
                "type": "pass", "result": "complete", "success": True, "x": 0.0, "y": 0.0, "end_x": float("nan"),
                "end_y": float("nan"), "receiver_id": None, "body_part": None, "set_piece": None, "raw_type": None}
    full = [{**defaults, **row, "event_id": str(i)} for i, row in enumerate(rows)]
    for row in full:
        row["timeline"] = row["t"]
    return Events(meta=meta, table=pl.DataFrame(full, schema=EVENT_SCHEMA))


# --- passes --------------------------------------------------------------------------------

def test_statsbomb_pass_counts_per_team(barcelona_girona):
    counts = {row["side"]: row for row in pass_counts(barcelona_girona).iter_rows(named=True)}
    assert barcelona_girona.meta.home.name == "Barcelona"
    assert (counts[HOME]["passes"], counts[HOME]["complete"]) == (768, 701)
    assert (counts[AWAY]["passes"], counts[AWAY]["complete"]) == (380, 299)
    by_player = pass_counts(barcelona_girona, by="player")
    totals = by_player.group_by("side").agg(pl.col("passes").sum(), pl.col("complete").sum()).sort("side")
    assert totals.rows() == [(AWAY, 380, 299), (HOME, 768, 701)]
    assert by_player["completion"].is_between(0, 1).all()


def test_statsbomb_pass_network(barcelona_girona):
    network = pass_network(barcelona_girona, HOME, min_passes=5)
    assert network.edges["passes"].min() >= 5
    assert network.nodes["passes"].sum() == 768  # every Barcelona pass has a passer
    # Edges are completed passes: never more than the team completed, and the busiest pair
    # is a real one between two Barcelona players.
    all_edges = pass_network(barcelona_girona, HOME, min_passes=1).edges
    assert all_edges["passes"].sum() <= 701
    ids = set(network.nodes["player_id"])
    assert set(network.edges["passer_id"]) <= ids
    names = dict(zip(network.nodes["player_id"], network.nodes["name"]))
    assert all(names.values())
    # Mean pass origins lie on the pitch.
    assert network.nodes["x"].abs().max() <= 52.5 and network.nodes["y"].abs().max() <= 34


def test_pass_network_counts_on_a_known_sequence():
    rows = ([{"player_id": "a", "receiver_id": "b", "x": 0.0, "y": 0.0}] * 3
            + [{"player_id": "b", "receiver_id": "a", "x": 10.0, "y": 4.0}] * 2
            + [{"player_id": "a", "receiver_id": None, "result": "incomplete", "success": False, "x": 6.0, "y": 3.0}])
    network = pass_network(synthetic_events(rows), HOME, min_passes=2)
    assert network.edges.rows() == [("a", "b", 3), ("b", "a", 2)]
    node_a = network.nodes.filter(pl.col("player_id") == "a").row(0, named=True)
    assert node_a["passes"] == 4 and node_a["x"] == pytest.approx(1.5) and node_a["y"] == pytest.approx(0.75)
    with pytest.raises(InvalidInput, match="side must be"):
        pass_network(synthetic_events(rows), "left")


# --- expected threat -----------------------------------------------------------------------

def test_xt_grid_is_karun_singhs_and_maps_each_team_towards_its_attacking_goal():
    assert XT_GRID.shape == (8, 12) and XT_GRID.max() == pytest.approx(0.25745362)
    # The home team attacks +x, the away team -x: the zone in front of each goal it attacks.
    assert xt_value(50.0, 0.5, HOME) == pytest.approx(0.25745362)
    assert xt_value(-50.0, -0.5, AWAY) == pytest.approx(0.25745362)
    assert xt_value(-50.0, 0.5, HOME) == pytest.approx(XT_GRID[4, 0])


def test_a_forward_pass_into_the_box_adds_threat_and_a_back_pass_loses_it():
    rows = [
        {"side": HOME, "x": 0.0, "y": 0.0, "end_x": 45.0, "end_y": 2.0},  # into the box
        {"side": AWAY, "x": 0.0, "y": 0.0, "end_x": -45.0, "end_y": 2.0},  # away attacks -x
        {"side": HOME, "x": 30.0, "y": 0.0, "end_x": -30.0, "end_y": 0.0},  # back pass
        {"side": HOME, "x": 0.0, "y": 0.0, "end_x": 45.0, "end_y": 0.0, "result": "incomplete", "success": False},
        {"side": HOME, "type": "carry", "x": 20.0, "y": 20.0, "end_x": 40.0, "end_y": 10.0},
    ]
    moves = xt_added(synthetic_events(rows))
    assert moves.height == 4  # the failed pass adds nothing
    gains = moves["xt_added"].to_list()
    assert gains[0] > 0.05 and gains[1] == pytest.approx(gains[0]) and gains[2] < 0 and gains[3] > 0
    per_side = {row["side"]: row for row in xt_totals(synthetic_events(rows), by="side").iter_rows(named=True)}
    assert per_side[HOME]["xt_carries"] == pytest.approx(gains[3])
    assert per_side[HOME]["xt_total"] == pytest.approx(gains[0] + gains[2] + gains[3])


def test_statsbomb_xt_totals_add_up(barcelona_girona):
    players = xt_totals(barcelona_girona, by="player")
    sides = xt_totals(barcelona_girona, by="side")
    for side in (HOME, AWAY):
        team = sides.filter(pl.col("side") == side).row(0, named=True)
        assert players.filter(pl.col("side") == side)["xt_total"].sum() == pytest.approx(team["xt_total"])
        assert team["xt_total"] > 0  # both teams moved the ball towards goal over the match
    assert sides.filter(pl.col("side") == HOME)["actions"][0] > sides.filter(pl.col("side") == AWAY)["actions"][0]


def test_value_iteration_recovers_a_two_zone_chain():
    # Zone A (own half) -> B (opponent half): 400 successful moves, 100 failed. In B: 200
    # shots, half of them goals, and 200 moves back to A. Then T(A->B) = 0.8 and
    # xT_B = 0.5 * 0.5 + 0.5 * xT_A, xT_A = 0.8 * xT_B: xT_B = 0.25 / 0.6, xT_A = 0.8 * xT_B.
    # Half of everything is played by the away team, mirrored (it attacks -x).
    rows = []
    for side, sign in ((HOME, 1.0), (AWAY, -1.0)):
        rows += [{"side": side, "x": -20 * sign, "end_x": 20 * sign, "end_y": 0.0}] * 200
        rows += [{"side": side, "x": -20 * sign, "end_x": 20 * sign, "end_y": 0.0, "result": "incomplete",
                  "success": False}] * 50
        rows += [{"side": side, "type": "shot", "x": 30 * sign, "result": "goal", "success": True}] * 50
        rows += [{"side": side, "type": "shot", "x": 30 * sign, "result": "saved", "success": False}] * 50
        rows += [{"side": side, "type": "carry", "x": 20 * sign, "end_x": -20 * sign, "end_y": 0.0}] * 100
    grid = fit_xt_grid(synthetic_events(rows), shape=(1, 2), min_moves=100, min_shots=10)
    np.testing.assert_allclose(grid, [[0.8 * 0.25 / 0.6, 0.25 / 0.6]], rtol=1e-6)
    with pytest.raises(InvalidInput, match="too few events"):
        fit_xt_grid(synthetic_events(rows[:50]))


def test_fitting_on_the_statsbomb_match_values_the_attacking_third_more(barcelona_girona):
    grid = fit_xt_grid(barcelona_girona, shape=(4, 6), min_moves=500, min_shots=20)
    assert grid.shape == (4, 6) and (grid >= 0).all() and (grid <= 1).all()
    assert grid[:, -1].mean() > grid[:, 0].mean()


# --- possession from events ----------------------------------------------------------------

def test_event_possession_agrees_with_statsbomb_possession_team(barcelona_girona, statsbomb_files):
    from kloppy import statsbomb

    # Reference: StatsBomb's own possession_team on every event (kloppy's ball_owning_team),
    # each event's team holding the ball until the next event, gaps capped the same way.
    dataset = statsbomb.load(event_data=str(statsbomb_files["event_data"]), lineup_data=str(statsbomb_files["lineup_data"]))
    seconds = {HOME: 0.0, AWAY: 0.0}
    home_id = barcelona_girona.meta.home.team_id
    for period in (1, 2):
        evs = [e for e in dataset.events if e.period.id == period and e.ball_owning_team is not None]
        t = np.array([e.timestamp.total_seconds() for e in evs])
        spans = np.clip(np.diff(np.append(t, t[-1])), 0, 30)
        for event, span in zip(evs, spans):
            seconds[HOME if str(event.ball_owning_team.team_id) == home_id else AWAY] += span
    reference_home = seconds[HOME] / (seconds[HOME] + seconds[AWAY])
    shares = possession_from_events(barcelona_girona)
    assert shares.home == pytest.approx(reference_home, abs=0.04)
    assert shares.home + shares.away == pytest.approx(1.0) and shares.home > 0.55


def test_owner_at_follows_the_last_on_ball_event():
    rows = [{"side": HOME, "t": 0.0}, {"side": HOME, "t": 4.0, "type": "carry"},
            {"side": AWAY, "t": 10.0, "type": "interception"}, {"side": AWAY, "t": 12.0, "type": "pressure"},
            {"side": HOME, "t": 20.0, "type": "recovery"}]
    events = synthetic_events(rows, duration=60.0)
    owner = owner_at(events, np.array([-1.0, 1.0, 9.9, 10.5, 15.0, 21.0, 55.0]), max_gap_s=30.0)
    assert owner.tolist() == [OWNER_UNKNOWN, OWNER_HOME, OWNER_HOME, OWNER_AWAY, OWNER_AWAY, OWNER_HOME, OWNER_UNKNOWN]
    shares = possession_from_events(events)
    assert (shares.home_seconds, shares.away_seconds) == pytest.approx((10.0 + 30.0, 10.0))
