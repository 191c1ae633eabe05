"""Motorsport live-timing domain types: feed messages, drivers, laps, stints, pit stops,
track status, race-control messages, penalties and the classification.

Every F1 source (a recorded session folder, a live SignalR connection) is turned into
``FeedMessage``s by ``sideline.ingest.f1``; ``sideline.analytics.motorsport.SessionState``
turns those into the rows defined here. Nothing in this module does I/O.

Units: times and durations are seconds (floats rounded to the millisecond, as the feed gives
them); ``t`` is session time, seconds since the recording's clock started (the jsonStream
``HH:MM:SS.mmm`` prefix), not the race clock. Missing values are ``None``, never zero.
Drivers are identified by their racing number as text (``"44"``), as the feed keys them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl


@dataclasses.dataclass(frozen=True, slots=True)
class FeedMessage:
    """One delta of one stream: ``data`` is merged into that stream's state (SignalR style)."""

    t: float  # session time, seconds
    stream: str  # "TimingData", "TrackStatus", ... (".z" streams arrive decoded, without ".z")
    data: dict[str, Any]


class TrackStatus(enum.StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    SAFETY_CAR = "sc"
    RED = "red"
    VSC = "vsc"
    VSC_ENDING = "vsc_ending"
    UNKNOWN = "unknown"


# The feed's TrackStatus codes (FastF1 documents the same table).
TRACK_STATUS_CODES: Mapping[str, TrackStatus] = {
    "1": TrackStatus.GREEN,
    "2": TrackStatus.YELLOW,
    "4": TrackStatus.SAFETY_CAR,
    "5": TrackStatus.RED,
    "6": TrackStatus.VSC,
    "7": TrackStatus.VSC_ENDING,
}

# Mini-sector ("segment") status codes of TimingData's Sectors[i].Segments[j].Status.
SEGMENT_STATUS_NAMES: Mapping[int, str] = {
    0: "none",
    2048: "yellow",  # completed, not a personal best
    2049: "green",  # personal best
    2051: "purple",  # overall best
    2064: "pit",  # in the pit lane
}


class DriverStatus(enum.StrEnum):
    RUNNING = "running"
    IN_PIT = "in_pit"
    FINISHED = "finished"
    RETIRED = "retired"
    DISQUALIFIED = "disqualified"


@dataclasses.dataclass(frozen=True, slots=True)
class Driver:
    number: str
    tla: str | None = None  # "HAM"
    name: str | None = None  # "Lewis Hamilton"
    team: str | None = None
    team_colour: str | None = None  # "#rrggbb"


@dataclasses.dataclass(frozen=True, slots=True)
class Lap:
    driver: str
    lap: int  # 1-based; lap n ends when the driver crosses the line for the n-th time
    lap_time: float | None  # None when the feed gives none (lap 1 of a race, aborted laps)
    sector_1: float | None
    sector_2: float | None
    sector_3: float | None
    position: int | None  # running position when the lap ended
    gap_to_leader: str | None  # as the feed shows it: "+1.234", "1L", "LAP 12"
    t_end: float  # session time the lap ended
    pit_in: bool  # the driver entered the pit lane during this lap
    pit_out: bool  # the lap started in the pit lane
    compound: str | None
    tyre_age: int | None  # laps on this set at the end of the lap, including earlier use
    track_status: tuple[str, ...]  # every TrackStatus value in force during the lap
    deleted: bool = False  # deleted by race control (track limits ...)
    personal_best: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class Stint:
    driver: str
    stint: int  # 1-based
    compound: str | None
    new: bool | None
    tyre_age_start: int | None  # laps already on the set when the stint began
    laps: int | None  # laps driven in this stint
    lap_start: int | None  # first lap of the stint
    lap_end: int | None  # last lap of the stint (so far)


@dataclasses.dataclass(frozen=True, slots=True)
class PitStop:
    driver: str
    stop: int  # 1-based
    lap: int  # the lap during which the car entered the pit lane
    t_in: float | None  # session time of pit entry
    t_out: float | None
    pit_lane_time: float | None  # t_out - t_in when both are known (feed latency ~0.3 s)
    source: str  # "timing" (TimingData pit flags) or "stints" (a new tyre stint, no TimingData)


@dataclasses.dataclass(frozen=True, slots=True)
class RaceControlMessage:
    t: float
    utc: str | None
    lap: int | None
    category: str | None  # "Flag", "SafetyCar", "Drs", "Other", ...
    flag: str | None
    scope: str | None
    sector: int | None
    driver: str | None  # racing number when the message is about one car
    message: str


@dataclasses.dataclass(frozen=True, slots=True)
class Penalty:
    driver: str
    kind: str  # "time", "drive_through", "stop_go", "grid"
    seconds: float | None  # for time penalties
    t: float  # when race control announced it
    lap: int | None
    reason: str | None
    served: bool  # served in the pit lane (a later stop) or not yet
    post_race: bool  # announced after the chequered flag: always added to the race time


@dataclasses.dataclass(frozen=True, slots=True)
class ClassificationEntry:
    order: int  # 1..n, every driver, classified or not
    position: int | None  # official position; None when not classified
    position_text: str  # "1", ..., "DNF", "DSQ", "NC"
    driver: str
    laps: int
    status: str  # "finished", "lapped", "retired", "disqualified", "running"
    classified: bool
    time: float | None  # race time (winner: session clock; others: winner + gap) incl. penalties
    gap: float | None  # seconds behind the winner, same lap only, incl. penalties
    gap_text: str | None  # "+2.460", "+1 LAP", "+3 LAPS"
    penalty_seconds: float  # unserved time penalties added to the time
    retired_lap: int | None  # laps completed when the car stopped
    retired_note: str | None  # race control's words about it, e.g. "CAR 27 (HUL) STOPPED AT TURN 5"
    grid_position: int | None


LAP_SCHEMA = {
    "driver": pl.String,
    "lap": pl.Int32,
    "lap_time": pl.Float64,
    "sector_1": pl.Float64,
    "sector_2": pl.Float64,
    "sector_3": pl.Float64,
    "position": pl.Int32,
    "gap_to_leader": pl.String,
    "t_end": pl.Float64,
    "pit_in": pl.Boolean,
    "pit_out": pl.Boolean,
    "compound": pl.String,
    "tyre_age": pl.Int32,
    "track_status": pl.List(pl.String),
    "deleted": pl.Boolean,
    "personal_best": pl.Boolean,
}
STINT_SCHEMA = {
    "driver": pl.String,
    "stint": pl.Int32,
    "compound": pl.String,
    "new": pl.Boolean,
    "tyre_age_start": pl.Int32,
    "laps": pl.Int32,
    "lap_start": pl.Int32,
    "lap_end": pl.Int32,
}
PIT_STOP_SCHEMA = {
    "driver": pl.String,
    "stop": pl.Int32,
    "lap": pl.Int32,
    "t_in": pl.Float64,
    "t_out": pl.Float64,
    "pit_lane_time": pl.Float64,
    "source": pl.String,
}
CLASSIFICATION_SCHEMA = {
    "order": pl.Int32,
    "position": pl.Int32,
    "position_text": pl.String,
    "driver": pl.String,
    "laps": pl.Int32,
    "status": pl.String,
    "classified": pl.Boolean,
    "time": pl.Float64,
    "gap": pl.Float64,
    "gap_text": pl.String,
    "penalty_seconds": pl.Float64,
    "retired_lap": pl.Int32,
    "retired_note": pl.String,
    "grid_position": pl.Int32,
}


def as_dict(row: Any) -> dict[str, Any]:
    """A row dataclass as a JSON-able dict (tuples become lists)."""
    out = {}
    for field in dataclasses.fields(row):
        value = getattr(row, field.name)
        out[field.name] = list(value) if isinstance(value, tuple) else value
    return out


def rows_to_frame(rows: Iterable[Any], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Row dataclasses as a Polars table with a fixed schema (empty tables keep their columns)."""
    return pl.DataFrame([as_dict(r) for r in rows], schema=dict(schema), orient="row")
