"""The whole 2018 Azerbaijan GP feed replayed through the state machine, checked against
the official result in f1db (race results, fastest laps, pit stops)."""

from __future__ import annotations

import statistics

import polars as pl

from tests.motorsport.f1_data import f1db, f1db_seconds

RACE = ("2018", "races", "04-azerbaijan")
# Race time of the winner comes from the session clock (start status -> finishing
# message), so it carries the feed's delivery latency; the gaps are exact.
WINNER_TIME_TOLERANCE_S = 1.0


def official(name: str) -> list[dict]:
    return f1db(*RACE, name)


def test_every_driver_is_classified_in_the_official_order(race_2018):
    results = official("race-results.yml")
    ours = race_2018.state.classification()
    assert [e.driver for e in ours] == [str(r["driverNumber"]) for r in results]
    for entry, result in zip(ours, results, strict=True):
        expected = result["position"]
        if isinstance(expected, int):
            assert entry.position == expected and entry.classified, result["driverId"]
        else:  # "DNF"
            assert entry.position is None and entry.position_text == expected, result["driverId"]


def test_laps_and_retirements_match(race_2018):
    results = {str(r["driverNumber"]): r for r in official("race-results.yml")}
    ours = {e.driver: e for e in race_2018.state.classification()}
    assert {n: e.laps for n, e in ours.items()} == {n: r["laps"] for n, r in results.items()}
    retired_officially = {n for n, r in results.items() if r["reasonRetired"]}
    assert {n for n, e in ours.items() if e.status == "retired"} == retired_officially
    # Bottas stopped on lap 49 with a puncture but had done 90 % of the distance.
    assert ours["77"].classified and ours["77"].retired_lap == 48
    # Race control's own words about a stopped car are kept as the note.
    assert ours["27"].retired_note == "CAR 27 (HUL) STOPPED AT TURN 5"


def test_gaps_are_exact_and_times_within_the_feed_latency(race_2018):
    results = {str(r["driverNumber"]): r for r in official("race-results.yml")}
    winner_time = f1db_seconds(results["44"]["time"])
    ours = {e.driver: e for e in race_2018.state.classification() if e.time is not None}
    assert len(ours) == sum(1 for r in results.values() if r["time"])
    assert abs(ours["44"].time - winner_time) < WINNER_TIME_TOLERANCE_S
    for number, entry in ours.items():
        result = results[number]
        # The feed cannot know of Magnussen's 10 s penalty, given after the session ended.
        penalty = f1db_seconds(result["timePenalty"]) or 0.0
        if number != "44":
            assert entry.gap == round(f1db_seconds(result["gap"]) - penalty, 3), number
        assert abs(entry.time - (f1db_seconds(result["time"]) - penalty)) < WINNER_TIME_TOLERANCE_S, number
        assert abs(entry.time - ours["44"].time - entry.gap) < 1e-6, number


def test_fastest_lap_and_every_drivers_best(race_2018):
    fastest = race_2018.state.fastest_lap
    assert (fastest.driver, fastest.lap, fastest.lap_time) == ("77", 37, f1db_seconds("1:45.149"))
    laps = race_2018.state.laps().filter(pl.col("lap_time").is_not_null() & ~pl.col("deleted"))
    best = laps.sort("lap_time").group_by("driver", maintain_order=True).first()
    best_by_driver = {row["driver"]: (row["lap"], row["lap_time"]) for row in best.to_dicts()}
    for result in official("fastest-laps.yml"):
        assert best_by_driver[str(result["driverNumber"])] == (result["lap"], f1db_seconds(result["time"])), result
    assert all(laps.filter(pl.col("personal_best")).group_by("driver").len()["len"] == 1)


def test_lap_table_covers_every_completed_lap(race_2018):
    laps = race_2018.state.laps()
    assert laps.height == 841  # the feed's lap count, 51 laps for the 13 finishers and the rest
    per_driver = dict(laps.group_by("driver").agg(pl.col("lap").max()).iter_rows())
    official_laps = {str(r["driverNumber"]): r["laps"] for r in official("race-results.yml") if r["laps"]}
    assert per_driver == official_laps
    # Sector sums equal the lap time whenever all four are known (to the millisecond).
    full = laps.drop_nulls(["lap_time", "sector_1", "sector_2", "sector_3"])
    assert full.height > 700
    diff = (full["sector_1"] + full["sector_2"] + full["sector_3"] - full["lap_time"]).abs()
    assert diff.max() < 0.0015
    # The first laps ran behind the safety car; the final laps of the winner were green.
    hamilton = laps.filter(pl.col("driver") == "44").sort("lap")
    assert "sc" in hamilton["track_status"][1].to_list()
    assert hamilton["track_status"][50].to_list() == ["green"]
    assert hamilton["position"][50] == 1


def test_pit_stops_match_f1db(race_2018):
    stops = {(r["driver"], r["stop"]): r for r in race_2018.state.pit_stops().to_dicts()}
    reference = official("pit-stops.yml")
    assert len(stops) == len(reference) == 36
    errors = []
    for ref in reference:
        ours = stops[(str(ref["driverNumber"]), ref["stop"])]
        assert ours["lap"] == ref["lap"], ref
        errors.append(abs(ours["pit_lane_time"] - f1db_seconds(ref["time"])))
    # Pit-lane time = pit-exit message time - pit-entry message time: the feed's latency.
    assert statistics.median(errors) < 0.1
    assert sum(e < 0.5 for e in errors) >= 31 and max(errors) < 3.0


def test_stints_end_where_the_pit_stops_are(race_2018):
    stints = race_2018.state.stints()
    ends = stints.filter(pl.col("stint") < pl.col("stint").max().over("driver"))
    ours = sorted((r["driver"], r["lap_end"]) for r in ends.to_dicts())
    assert ours == sorted((str(r["driverNumber"]), r["lap"]) for r in official("pit-stops.yml"))


def test_in_race_penalties_were_served_in_the_pits(race_2018):
    penalties = race_2018.state.snapshot()["penalties"]
    assert [(p["driver"], p["seconds"], p["served"]) for p in penalties] == [("9", 10.0, True), ("11", 5.0, True)]
    assert race_2018.state.penalty_seconds() == {}


def test_nothing_was_skipped(race_2018):
    assert race_2018.state.counters == {}
    assert race_2018.recording.missing_streams == []
    assert set(race_2018.recording.counters) <= {"stalls", "blank_lines"}
