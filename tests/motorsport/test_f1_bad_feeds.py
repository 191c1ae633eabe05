"""A damaged copy of the 2018 Azerbaijan feed: garbage lines, truncated JSON, bad bytes,
reordered timestamps, two missing streams, an unknown stream and a 10-minute stall (all
data lost for ten minutes mid-race). The replay must not crash, must count what it skipped,
and must still end with the official result wherever the remaining data allows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.motorsport.f1_data import Replay, f1_folder, replay

GARBAGE = [b"hello world", b"{not even a timestamp}", b"", b"12:34", b"00:61:00.000{}", b"\x00\x01\x02"]
STALL_FROM, STALL_TO = 55 * 60.0, 65 * 60.0  # session time, mid-race
SWAPS = 10


def _session_time(line: bytes) -> float:
    text = line.lstrip(b"\xef\xbb\xbf")[:12].decode()
    return int(text[0:2]) * 3600 + int(text[3:5]) * 60 + float(text[6:12])


def _damage(source: Path, target: Path) -> dict[str, int]:
    """Write the damaged copy; returns what the reader should count."""
    shutil.copytree(source, target)
    for name in ("LapCount", "TrackStatus"):
        (target / f"{name}.jsonStream").unlink()
    (target / "MysteryStream.jsonStream").write_bytes(b'00:10:00.000{"Hello":1}\r\n00:20:00.000{"Hello":2}\r\n')
    for path in target.glob("*.jsonStream"):
        lines = path.read_bytes().splitlines()
        kept = [line for line in lines if not (line.strip() and STALL_FROM <= _session_time(line) < STALL_TO)]
        path.write_bytes(b"\r\n".join(kept) + b"\r\n")

    timing = target / "TimingData.jsonStream"
    lines = timing.read_bytes().splitlines()
    # Swap SWAPS well-separated adjacent pairs with distinct stamps (each swap puts one
    # line behind its predecessor's time).
    swapped = 0
    for index in range(1000, len(lines) - 1, 1500):
        if swapped == SWAPS:
            break
        if _session_time(lines[index]) < _session_time(lines[index + 1]):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
            swapped += 1
    assert swapped == SWAPS
    truncated = [lines[i][: len(lines[i]) // 2] for i in (500, 5000, 15000)]  # copies: no data lost
    damaged = list(lines)
    for offset, bad in enumerate(GARBAGE):
        damaged.insert(200 + offset * 3000, bad)
    for offset, bad in enumerate(truncated):
        damaged.insert(300 + offset * 4000, bad)
    damaged.insert(7000, b"00:40:00.000\xff\xfe{}")  # not UTF-8
    damaged.insert(7001, b"00:40:00.000[1, 2, 3]")  # JSON, but not an object
    damaged.append(lines[-1][:-7])  # a recorder killed mid-line
    timing.write_bytes(b"\r\n".join(damaged) + b"\r\n")
    return {
        "bad_timestamp": sum(1 for g in GARBAGE if g.strip()),
        "bad_json": len(truncated) + 1,
        "bad_encoding": 1,
        "not_an_object": 1,
        "out_of_order": SWAPS,
        "missing_stream": 2,
    }


@pytest.fixture(scope="module")
def damaged(tmp_path_factory) -> tuple[Replay, dict[str, int]]:
    folder = tmp_path_factory.mktemp("f1") / "2018_damaged"
    expected = _damage(f1_folder("2018_azerbaijan_race"), folder)
    return replay(folder), expected


def test_every_skip_is_counted_by_reason(damaged):
    result, expected = damaged
    counters = result.recording.counters
    for reason, count in expected.items():
        assert counters[reason] == count, reason
    assert result.state.counters["unknown_stream:MysteryStream"] == 2
    assert not [key for key in result.state.counters if key.startswith("bad_message")]


def test_the_stall_is_counted_with_its_length(damaged, race_2018):
    result, _ = damaged
    assert result.recording.counters["stalls"] == race_2018.recording.counters["stalls"] + 1
    longest = max(seconds for _, seconds in result.recording.stalls)
    assert longest >= STALL_TO - STALL_FROM
    # Laps lost in the stall show as jumps in the lap count, one per car still running.
    assert 10 <= result.state.counters["lap_count_jumps"] <= 17


def test_the_result_survives(damaged, race_2018):
    result, _ = damaged
    clean = [(e.driver, e.position_text, e.laps, e.gap, e.time, e.status) for e in race_2018.state.classification()]
    assert [(e.driver, e.position_text, e.laps, e.gap, e.time, e.status) for e in result.state.classification()] == clean
    assert result.state.fastest_lap == race_2018.state.fastest_lap
    # Pit-stop counts recover from the feed's counter even where the stop itself was lost.
    counts = {d.number: d.fields()["pit_stops"] for d in result.state.drivers.values()}
    assert counts == {d.number: d.fields()["pit_stops"] for d in race_2018.state.drivers.values()}


def test_missing_streams_are_stood_in_for(damaged):
    result, _ = damaged
    state = result.state
    # No TrackStatus: race control's own words set it (safety cars on laps 1 and 40).
    assert [s.value for _, s in state.track_history].count("sc") == 2
    # No LapCount: the lap is the leader's.
    assert state.session()["lap"] == 51 and state.total_laps is None
    assert state.winner == "44"
