"""F1 feed ingestion: line parsing (jsonStream, SignalR, compressed), the recording reader's
errors, the live path (same parser, reorder buffer, stall detection) and the replay clock."""

from __future__ import annotations

import asyncio
import base64
import json
import zlib
from collections import Counter

import pytest

from sideline.analytics.motorsport import SessionState
from sideline.core.timing import FeedMessage
from sideline.errors import InvalidInput
from sideline.ingest.f1 import (
    FeedParser,
    ReorderBuffer,
    ReplayClock,
    live_messages,
    parse_session_time,
    read_recording,
    recording_lines,
)
from tests.motorsport.f1_data import f1_folder


def test_session_times():
    assert parse_session_time("01:51:26.763") == pytest.approx(6686.763)
    for bad in ("1:51:26.763", "01:61:00.000", "aa:bb:cc.ddd", "01:51:26,763", ""):
        assert parse_session_time(bad) is None


def test_stream_lines_bom_and_problems():
    parser = FeedParser()
    message = parser.parse_stream_line("SessionStatus", b'\xef\xbb\xbf00:00:01.258{"Status":"Inactive"}\r\n')
    assert message == FeedMessage(1.258, "SessionStatus", {"Status": "Inactive"})
    for line in (b"garbage", b'00:00:02.000{"Status":', b"00:00:03.000[1]", b"00:00:04.000\xff{}", b"   "):
        assert parser.parse_stream_line("SessionStatus", line) is None
    assert parser.counters == Counter(bad_timestamp=1, bad_json=1, not_an_object=1, bad_encoding=1, blank_lines=1)


def _deflate(data: dict) -> str:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)  # raw deflate, as the live service sends
    return base64.b64encode(packer.compress(json.dumps(data).encode()) + packer.flush()).decode()


def test_compressed_streams_are_decoded_with_fastf1():
    payload = {"Entries": [{"Utc": "2023-04-29T13:30:00Z", "Cars": {"1": {"Channels": {"0": 11000, "2": 301}}}}]}
    parser = FeedParser()
    message = parser.parse_stream_line("CarData.z", f'00:10:00.000"{_deflate(payload)}"')
    assert message == FeedMessage(600.0, "CarData", payload)
    assert parser.parse_stream_line("Position.z", '00:10:01.000"bm90IGRlZmxhdGU="') is None
    assert parser.counters["bad_compressed_payload"] == 1


def test_signalr_lines_json_python_repr_and_hub_frames():
    parser = FeedParser()
    first = parser.parse_signalr_line('["TrackStatus", {"Status": "4", "Message": "SCDeployed"}, "2018-04-29T12:14:08.000Z"]')
    assert first == [FeedMessage(0.0, "TrackStatus", {"Status": "4", "Message": "SCDeployed"})]
    # FastF1's recorder writes Python reprs; an apostrophe breaks its quote-swapping, not us.
    repr_line = str(["RaceControlMessages", {"Messages": [{"Message": "CAR 44'S TIME DELETED", "Flag": None}]},
                     "2018-04-29T12:14:10.1234567Z"])
    (second,) = parser.parse_signalr_line(repr_line)
    assert second.stream == "RaceControlMessages" and second.t == pytest.approx(2.123456)
    assert second.data["Messages"][0]["Message"] == "CAR 44'S TIME DELETED"
    frame = {"M": [{"H": "Streaming", "M": "feed", "A": ["LapCount", {"CurrentLap": 2}, "2018-04-29T12:14:11Z"]},
                   {"H": "Streaming", "M": "feed", "A": ["CarData.z", _deflate({"Entries": []}), "2018-04-29T12:14:12Z"]}]}
    assert parser.parse_signalr_line(json.dumps(frame)) == [
        FeedMessage(3.0, "LapCount", {"CurrentLap": 2}),
        FeedMessage(4.0, "CarData", {"Entries": []}),
    ]
    assert parser.parse_signalr_line("{}") == []
    assert parser.parse_signalr_line('["TrackStatus", {"Status": "1"}, "yesterday"]') == []
    assert parser.parse_signalr_line("[1, 2]") == []
    assert parser.counters == Counter(control_frames=1, bad_timestamp=1, bad_signalr_message=1)


def test_recording_errors_name_the_folder(tmp_path):
    with pytest.raises(InvalidInput, match="'nowhere': folder not found"):
        read_recording(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInput, match="'empty': no .jsonStream files"):
        read_recording(tmp_path / "empty")


def test_reorder_buffer_sorts_within_its_window():
    counters: Counter[str] = Counter()
    buffer = ReorderBuffer(counters, window_s=1.0)
    out = []
    for t in (0.0, 0.5, 0.3, 1.2, 0.9, 2.5, 0.1, 4.0):
        out += [m.t for m in buffer.push(FeedMessage(t, "X", {}))]
    out += [m.t for m in buffer.flush()]
    # 0.1 came after 1.5 s of newer feed time: beyond the window, released late.
    assert out == [0.0, 0.3, 0.5, 0.9, 1.2, 0.1, 2.5, 4.0]
    assert counters == Counter(out_of_order=3, out_of_order_released_late=1)


def test_live_stream_stalls_and_garbage_are_counted():
    async def transport():
        yield '["LapCount", {"CurrentLap": 1, "TotalLaps": 51}, "2018-04-29T12:00:00Z"]'
        yield "garbage"
        await asyncio.sleep(0.3)  # the connection goes quiet
        yield '["LapCount", {"CurrentLap": 2}, "2018-04-29T12:03:00Z"]'

    async def collect():
        parser = FeedParser()
        got = [m async for m in live_messages(transport(), parser=parser, stall_after_s=0.1)]
        return got, parser.counters

    messages, counters = asyncio.run(collect())
    assert [(m.t, m.data.get("CurrentLap")) for m in messages] == [(0.0, 1), (180.0, 2)]
    assert counters == Counter(stalls=1, bad_json=1)


@pytest.fixture(scope="module")
def live_replay():
    """The 2018 race pushed line by line through the live path; a client's view of it:
    a snapshot taken mid-race, then only the deltas after it."""

    async def run():
        state = SessionState()
        snapshot, later = None, []
        async for message in live_messages(recording_lines(f1_folder("2018_azerbaijan_race"))):
            deltas = state.apply(message)
            if snapshot is None and message.t >= 3600:
                snapshot = json.loads(json.dumps(state.snapshot()))
            elif snapshot is not None:
                later.extend(deltas)
        later.extend(state.finish())
        return state, snapshot, later

    return asyncio.run(run())


def test_live_path_ends_where_the_recording_replay_ends(live_replay, race_2018):
    state, _, _ = live_replay
    assert state.classification() == race_2018.state.classification()
    assert state.snapshot()["drivers"] == race_2018.state.snapshot()["drivers"]
    assert state.laps().equals(race_2018.state.laps())


def test_a_mid_race_snapshot_plus_later_deltas_is_the_final_state(live_replay):
    state, snapshot, later = live_replay
    assert [d["seq"] for d in later] == list(range(snapshot["seq"] + 1, state.seq + 1))
    drivers = snapshot["drivers"]
    session = snapshot["session"]
    for delta in later:
        json.dumps(delta)  # every delta is JSON as it is
        if delta["kind"] == "driver":
            drivers.setdefault(delta["driver"], {}).update(delta["set"])
        elif delta["kind"] == "session":
            session.update(delta["set"])
    final = json.loads(json.dumps(state.snapshot()))
    assert drivers == final["drivers"]
    assert {k: session[k] for k in ("status", "lap", "track_status", "winner", "chequered")} == {
        k: final["session"][k] for k in ("status", "lap", "track_status", "winner", "chequered")
    }
    assert [d["rows"] for d in later if d["kind"] == "classification"][-1] == final["classification"]


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _paced(clock: ReplayClock, times: list[float]) -> list[float]:
    async def run():
        return [m.t async for m in clock.pace(FeedMessage(t, "X", {}) for t in times)]

    return asyncio.run(run())


def test_replay_clock_speeds():
    fake = FakeTime()
    assert _paced(ReplayClock(10, sleep=fake.sleep, monotonic=fake.monotonic), [0, 10, 20, 30]) == [0, 10, 20, 30]
    assert fake.sleeps == pytest.approx([1.0, 1.0, 1.0])
    fake = FakeTime()
    _paced(ReplayClock(None, sleep=fake.sleep, monotonic=fake.monotonic), [0, 1000])
    assert fake.sleeps == []
    fake = FakeTime()
    _paced(ReplayClock(2, max_gap_s=5, sleep=fake.sleep, monotonic=fake.monotonic), [0, 600, 602])
    assert fake.sleeps == pytest.approx([2.5, 1.0])  # the 600 s silence shortened to 5 s
    for bad in (0.5, 101, -1):
        with pytest.raises(InvalidInput, match="between 1x and 100x"):
            ReplayClock(bad)


def test_replay_clock_speed_change_reanchors():
    fake = FakeTime()
    clock = ReplayClock(1, sleep=fake.sleep, monotonic=fake.monotonic)

    async def run():
        async for message in clock.pace(FeedMessage(t, "X", {}) for t in (0, 10, 20, 30)):
            if message.t == 10:
                clock.speed = 100
        return fake.sleeps

    assert asyncio.run(run()) == pytest.approx([10.0, 0.1, 0.1])
