"""Commentary and win probability pushed on the session channel while the 2018 Azerbaijan GP is
replayed at maximum speed through ``SessionRunner`` (the live path, real in-memory pub/sub):
numbered like the deltas, in order, with the lap-49 lead change (Bottas's puncture) and the
winner; per-lap win probabilities that sum to 1 and end with Hamilton; a snapshot taken
mid-race from the ``on_lap`` hook plus the later events gives the final commentary."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from typing import Any

import pytest

from sideline.analytics.motorsport import commentary
from sideline.ingest.f1.live import recording_lines
from sideline.live.f1_sessions import Control, SessionRunner
from sideline.live.pubsub import MemoryPubSub
from tests.motorsport.f1_data import f1_folder, f1db, f1db_seconds

RACE = ("2018", "races", "04-azerbaijan")
LATE_JOIN_LAP = 30


@dataclasses.dataclass
class Played:
    runner: SessionRunner
    events: list[Any]  # pub/sub messages of the channel, in order
    laps_seen: list[int]  # what on_lap was called with
    mid_race: dict[str, Any]  # runner.snapshot() from on_lap at LATE_JOIN_LAP


@pytest.fixture(scope="module")
def played() -> Played:
    folder = f1_folder("2018_azerbaijan_race")
    pubsub = MemoryPubSub(buffer_size=100_000)
    laps_seen: list[int] = []
    mid_race: dict[str, Any] = {}

    def on_lap(runner: SessionRunner, lap: int) -> None:
        laps_seen.append(lap)
        if lap == LATE_JOIN_LAP:
            mid_race.update(runner.snapshot())

    runner = SessionRunner("race-2018", pubsub.publish, pubsub.latest_seq, control=lambda: Control(None),
                           speed=None, on_lap=on_lap)
    assert asyncio.run(runner.run(recording_lines(folder))) == "finished"

    async def everything() -> list[Any]:  # what a subscriber joining with since=0 gets
        async with pubsub.subscribe(runner.channel, since=0, max_pending=200_000) as subscription:
            return [await anext(subscription) for _ in range(subscription.pending)]

    events = asyncio.run(everything())
    pubsub.close()
    return Played(runner, events, laps_seen, mid_race)


def of(played: Played, event: str) -> list[dict[str, Any]]:
    return [m.data for m in played.events if m.event == event]


def test_events_share_the_channel_seq_and_arrive_in_order(played):
    seqs = [m.seq for m in played.events]
    assert seqs == list(range(1, len(seqs) + 1)) and all(m.data["seq"] == m.seq for m in played.events)
    assert played.events[-1].event == "replay" and played.events[-1].data["state"] == "finished"
    assert played.runner.misnumbered == 0 and played.runner.analysis.failures == 0
    # the hook saw every leader lap once, in order (the last one when the winner took the flag)
    assert played.laps_seen == list(range(1, 52))


def test_commentary_is_pushed_with_its_causes_and_tells_the_ending(played, race_2018):
    batches = of(played, "commentary")
    assert batches and all(b["lines"] for b in batches)
    lines = [line for b in batches for line in b["lines"]]
    assert len({line["id"] for line in lines}) == len(lines)  # each line once
    for batch in batches:
        assert [line["t"] for line in batch["lines"]] == sorted(line["t"] for line in batch["lines"])
    by_id = {line["id"]: line for line in lines}
    # every event the finished tables give was pushed (the live runs see the same tables grow)
    snapshot = race_2018.state.snapshot()
    final = commentary.detect_events(race_2018.state.laps(), race_2018.state.pit_stops(), snapshot["race_control"],
                                     commentary.retirements(snapshot["classification"]), snapshot["classification"])
    assert {e.id for e in final} <= set(by_id)
    # lap 49: Bottas, leading, stops with a puncture; Hamilton leads, then wins
    bottas_out = by_id["retirement:48:77"]
    assert bottas_out["lap"] == 49 and bottas_out["source"] == {"table": "classification", "rows": [{"driver": "77"}]}
    lead = by_id["lead_change:49:44:77"]
    assert lead["data"]["cause"] == "retirement" and lead["texts"]["technical"] == "Lead change on lap 49: HAM P1, BOT out."
    assert "HAM" in lead["texts"]["casual"] and "BOT" in lead["texts"]["casual"]
    official = f1db(*RACE, "race-results.yml")
    winner = by_id["winner:51:44"]
    assert str(official[0]["driverNumber"]) == "44" and winner["drivers"] == ["44", str(official[1]["driverNumber"])]
    assert winner["data"]["laps"] == official[0]["laps"] == 51
    assert winner["data"]["margin"] == f1db_seconds(official[1]["gap"]) == 2.46
    assert "2.460 s ahead of RAI" in winner["texts"]["technical"]
    # both styles, each line with what caused it
    assert all(set(line["texts"]) == {"casual", "technical"} and line["source"]["rows"] for line in lines)
    assert sum(line["texts"]["casual"] != line["texts"]["technical"] for line in lines) > 0.9 * len(lines)


def test_win_probability_is_pushed_every_lap_and_ends_with_hamilton(played):
    points = of(played, "win_probability")
    assert [p["lap"] for p in points] == list(range(0, 52))
    for point in points:
        assert abs(sum(point["probabilities"].values()) - 1) < 2e-3, point["lap"]
    at = {p["lap"]: p["probabilities"] for p in points}
    assert at[0]["5"] == max(at[0].values())  # lap 0: the grid prior, Vettel on pole
    assert at[48]["77"] > 0.5 and at[48]["77"] == max(at[48].values())  # Bottas leads, three laps to go
    assert "77" not in at[49] and at[49]["44"] > 0.9  # the puncture
    assert max(at[51], key=at[51].get) == "44" and at[51]["44"] == 1.0


def test_a_mid_race_snapshot_plus_later_events_has_everything(played):
    mid = played.mid_race
    assert mid["session"]["lap"] == LATE_JOIN_LAP + 1 and mid["seq"] > 1000
    state = {"commentary": copy.deepcopy(mid["commentary"]), "win_probability": copy.deepcopy(mid["win_probability"])}
    for message in played.events:
        if message.seq <= mid["seq"]:
            continue
        if message.event == "commentary":
            state["commentary"] += message.data["lines"]
        elif message.event == "win_probability":
            state["win_probability"].append({k: v for k, v in message.data.items() if k != "seq"})
    final = played.runner.snapshot()
    assert state["commentary"] == final["commentary"] and state["win_probability"] == final["win_probability"]
    assert len(final["commentary"]) == sum(len(b["lines"]) for b in of(played, "commentary"))


def test_a_failing_hook_or_analysis_never_stops_the_session(monkeypatch, caplog):
    from sideline.live import f1_sessions

    def broken(*args, **kwargs):
        raise RuntimeError("analysis bug")

    monkeypatch.setattr(f1_sessions.commentary, "detect_events", broken)
    pubsub = MemoryPubSub(buffer_size=100_000)
    runner = SessionRunner("race-2018-broken", pubsub.publish, pubsub.latest_seq, control=lambda: Control(None),
                           speed=None, on_lap=broken)
    assert asyncio.run(runner.run(recording_lines(f1_folder("2018_azerbaijan_race")))) == "finished"
    assert runner.state.winner == "44" and runner.state.laps().height == 841  # the whole race was played
    assert runner.analysis.failures >= 2 and runner.analysis.lines == [] and runner.analysis.win_laps == []
    assert "on_lap hook failed" in caplog.text and "live analysis failed" in caplog.text
    assert pubsub.latest_seq(runner.channel) == runner.seq and runner.misnumbered == 0
    pubsub.close()
