"""The state machine's contract: deltas (sequence, JSON, kinds), the snapshot, rulings of
race control applied after the race, and malformed messages counted instead of raised."""

from __future__ import annotations

import copy
import json
from collections import Counter

import pytest

from sideline.analytics.motorsport import SessionState
from sideline.core.timing import FeedMessage
from tests.motorsport.f1_data import f1db, f1db_seconds

RESULTS_2018 = ("2018", "races", "04-azerbaijan")


def race_control(t: float, text: str) -> FeedMessage:
    return FeedMessage(t, "RaceControlMessages", {"Messages": {"900": {"Utc": None, "Lap": 51, "Category": "Other", "Message": text}}})


@pytest.fixture
def after_race(race_2018) -> SessionState:
    return copy.deepcopy(race_2018.state)  # the shared replay stays untouched


def test_deltas_are_numbered_json_and_small(race_2018):
    deltas = race_2018.deltas
    assert [d["seq"] for d in deltas] == list(range(1, len(deltas) + 1))
    assert race_2018.state.seq == len(deltas)
    kinds = Counter(d["kind"] for d in deltas)
    assert kinds["lap"] == 841
    # Each of the 36 stops is published as the car enters the pit lane and as it leaves.
    stops = [d for d in deltas if d["kind"] == "pit_stop"]
    assert len(stops) == 72
    exits = {(d["driver"], d["stop"]): d["pit_lane_time"] for d in stops if d["t_out"] is not None}
    table = race_2018.state.pit_stops()
    assert exits == {(r["driver"], r["stop"]): r["pit_lane_time"] for r in table.to_dicts()}
    assert kinds["race_control"] == 109
    assert kinds["penalty"] == 2
    assert kinds["driver"] > 20_000
    # A message's deltas name what changed, not the whole driver.
    sizes = sorted(len(json.dumps(d)) for d in deltas if d["kind"] == "driver")
    assert sizes[len(sizes) // 2] < 200
    assert all(isinstance(d["t"], float) for d in deltas)
    json.dumps(race_2018.state.snapshot())


def test_snapshot_shows_the_final_order_and_tyres(race_2018):
    snapshot = race_2018.state.snapshot()
    assert snapshot["order"][:3] == ["44", "7", "11"]
    hamilton = snapshot["drivers"]["44"]
    assert (hamilton["tla"], hamilton["team"], hamilton["team_colour"]) == ("HAM", "Mercedes", "#00D2BE")
    assert (hamilton["laps"], hamilton["pit_stops"], hamilton["compound"], hamilton["stint"]) == (51, 2, "ULTRASOFT", 3)
    assert hamilton["status"] == "finished" and hamilton["gap_to_leader"] == "LAP 51"
    assert snapshot["drivers"]["7"]["gap_to_leader"] == "+2.460"
    assert snapshot["drivers"]["77"]["status"] == "retired"
    expected = {"status": "Ends", "lap": 51, "total_laps": 51, "track_status": "green", "chequered": True,
                "winner": "44", "meeting": "Azerbaijan Grand Prix"}
    assert {key: snapshot["session"][key] for key in expected} == expected
    assert snapshot["fastest_lap"]["driver"] == "77"


def test_a_post_race_time_penalty_changes_the_result(after_race):
    # Magnussen's 10 s penalty was given after the feed ended; announced, it gives f1db's result.
    deltas = after_race.apply(race_control(after_race.t + 1, "10 SECOND TIME PENALTY FOR CAR 20 (MAG) - CAUSING A COLLISION"))
    assert [d["kind"] for d in deltas] == ["race_control", "penalty", "classification"]
    assert deltas[1]["penalty"]["post_race"] and not deltas[1]["penalty"]["served"]
    official = {str(r["driverNumber"]): r for r in f1db(*RESULTS_2018, "race-results.yml")}
    magnussen = next(e for e in after_race.classification() if e.driver == "20")
    assert magnussen.position == official["20"]["position"] == 13
    assert magnussen.gap == f1db_seconds(official["20"]["gap"]) and magnussen.penalty_seconds == 10.0


def test_a_post_race_penalty_can_reorder(after_race):
    after_race.apply(race_control(after_race.t + 1, "5 SECOND TIME PENALTY FOR CAR 7 (RAI) - TEST"))
    order = [e.driver for e in after_race.classification()][:4]
    assert order == ["44", "11", "5", "7"]  # 2.460 + 5 s puts him behind Vettel's 5.329


def test_a_deleted_lap_moves_the_fastest_lap(after_race):
    text = "CAR 77 (BOT) TIME 1:45.149 DELETED - TRACK LIMITS AT TURN 16 LAP 37 13:20:00"
    deltas = after_race.apply(race_control(after_race.t + 1, text))
    assert [d["kind"] for d in deltas][:2] == ["race_control", "lap_deleted"]
    # The next fastest in f1db's list takes over.
    second = f1db(*RESULTS_2018, "fastest-laps.yml")[1]
    fastest = after_race.fastest_lap
    assert (fastest.driver, fastest.lap, fastest.lap_time) == (str(second["driverNumber"]), second["lap"], f1db_seconds(second["time"]))
    bottas = after_race.laps().filter(driver="77", lap=37).row(0, named=True)
    assert bottas["deleted"] and not bottas["personal_best"]
    after_race.apply(race_control(after_race.t + 2, "CAR 77 (BOT) TIME 1:45.149 REINSTATED"))
    assert after_race.fastest_lap.driver == "77"


def test_a_disqualification(after_race):
    after_race.apply(race_control(after_race.t + 1, "CAR 11 (PER) DISQUALIFIED - FUEL SAMPLE"))
    entries = after_race.classification()
    assert [e.driver for e in entries[:3]] == ["44", "7", "5"]
    perez = entries[-1]
    assert (perez.driver, perez.position_text, perez.position, perez.status) == ("11", "DSQ", None, "disqualified")


def test_malformed_messages_are_counted_not_raised(after_race):
    t = after_race.t
    before = after_race.classification()
    for data in (
        {"Lines": []},
        {"Lines": {"44": {"NumberOfLaps": "abc", "Sectors": "zzz", "Position": None, "LastLapTime": 5}}},
        {"Lines": {"44": {"Sectors": {"9": {"Value": "1.0"}, "x": 1}, "IntervalToPositionAhead": 3}}},
    ):
        after_race.apply(FeedMessage(t, "TimingData", data))
    after_race.apply(FeedMessage(t, "RaceControlMessages", {"Messages": "nonsense"}))
    after_race.apply(FeedMessage(t, "RaceControlMessages", {"Messages": [{"Category": "Flag"}]}))
    after_race.apply(FeedMessage(t, "TrackStatus", {"Status": "9", "Message": "???"}))
    after_race.apply(FeedMessage(t, "SessionStatus", {"Status": 5}))
    after_race.apply(FeedMessage(t - 100, "LapCount", {"CurrentLap": {"x": 1}}))
    after_race.apply(FeedMessage(t, "SomethingNew", {"a": 1}))
    assert after_race.counters == Counter(
        timing_without_lines=1, race_control_without_text=1, unknown_track_status=1, stale_messages=1,
        **{"unknown_stream:SomethingNew": 1},
    )
    assert after_race.classification() == before


def test_a_handler_that_breaks_is_contained(after_race, monkeypatch):
    def broken(message, deltas):
        raise KeyError("surprise")

    monkeypatch.setitem(after_race._handlers, "LapCount", broken)
    assert after_race.apply(FeedMessage(after_race.t, "LapCount", {"CurrentLap": 52})) == []
    assert after_race.counters["bad_message:LapCount"] == 1
