"""One driver's live state, updated from TimingData / TimingAppData / DriverList deltas.

``DriverState.fields()`` is the driver's JSON view (the snapshot); the session state
publishes the keys whose values changed after each message as a ``driver`` delta.

Lap assembly follows the feed's habits (FastF1 handles them the same way offline): a lap's
sector and lap-time values usually arrive with the ``NumberOfLaps`` increment that ends it,
but the lap time can come a few seconds before it and the last sector up to a few seconds
after; values within ``LATE_WINDOW_S`` after a lap ended belong to that lap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from sideline.analytics.motorsport.values import indexed_items, parse_gap, seconds, to_bool, to_int
from sideline.core.timing import SEGMENT_STATUS_NAMES, DriverStatus

LATE_WINDOW_S = 5.0
SECTORS = 3
SPEED_TRAPS = ("I1", "I2", "FL", "ST")


@dataclasses.dataclass(slots=True)
class LapDraft:
    """A lap being timed (or just ended and still open for late values)."""

    t_start: float | None
    sectors: list[float | None] = dataclasses.field(default_factory=lambda: [None] * SECTORS)
    lap_time: float | None = None
    # Filled in when the lap ends:
    lap: int | None = None
    t_end: float | None = None
    position: int | None = None
    gap_to_leader: str | None = None


@dataclasses.dataclass(slots=True)
class OpenPitStop:
    lap: int
    t_seen: float  # when the feed first showed the stop (pit entry, or the count going up)
    t_in: float | None
    t_out: float | None = None


@dataclasses.dataclass(slots=True)
class DriverState:
    number: str
    tla: str | None = None
    name: str | None = None
    team: str | None = None
    team_colour: str | None = None
    line: int | None = None
    position: int | None = None
    show_position: bool = True
    gap_to_leader: str | None = None
    interval: str | None = None
    catching: bool | None = None
    laps: int = 0
    has_timing: bool = False
    last_lap: float | None = None
    last_lap_personal_best: bool = False
    last_lap_overall_best: bool = False
    best_lap: float | None = None
    best_lap_number: int | None = None
    sectors: list[dict[str, Any]] = dataclasses.field(
        default_factory=lambda: [{"time": None, "personal_best": False, "overall_best": False} for _ in range(SECTORS)]
    )
    best_sectors: list[float | None] = dataclasses.field(default_factory=lambda: [None] * SECTORS)
    segments: list[list[str]] = dataclasses.field(default_factory=lambda: [[] for _ in range(SECTORS)])
    speeds: dict[str, int | None] = dataclasses.field(default_factory=lambda: dict.fromkeys(SPEED_TRAPS))
    in_pit: bool = False
    pit_out: bool = False
    pit_stops: int = 0
    retired_flag: bool = False  # the feed's "Retired"
    stopped: bool = False  # the feed's "Stopped" (how 2018-era feeds mark a car out)
    retired_lap: int | None = None
    retired_note: str | None = None
    disqualified: bool = False
    finished: bool = False
    t_finish: float | None = None
    finish_gap: str | None = None
    grid_position: int | None = None
    stints: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    stint_seen_t: list[float] = dataclasses.field(default_factory=list)  # when each stint appeared
    # Lap assembly and pit stops (not published as such):
    draft: LapDraft = dataclasses.field(default_factory=lambda: LapDraft(t_start=None))
    ended: LapDraft | None = None  # the last ended lap while it can still take late values
    t_last_lap_end: float | None = None
    open_stop: OpenPitStop | None = None
    stops: list[OpenPitStop] = dataclasses.field(default_factory=list)

    # -- JSON view ------------------------------------------------------------------------

    @property
    def status(self) -> DriverStatus:
        if self.disqualified:
            return DriverStatus.DISQUALIFIED
        if self.retired:
            return DriverStatus.RETIRED
        if self.finished:
            return DriverStatus.FINISHED
        return DriverStatus.IN_PIT if self.in_pit else DriverStatus.RUNNING

    def current_stint(self) -> dict[str, Any] | None:
        return self.stints[-1] if self.stints else None

    def fields(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The JSON view, or only the named fields of it (cheap before/after diffs)."""
        getters = _FIELD_GETTERS
        if names is None:
            return {name: get(self) for name, get in getters.items()}
        return {name: getters[name](self) for name in names}

    # -- DriverList / TimingAppData -------------------------------------------------------

    def apply_driver_list(self, data: dict[str, Any]) -> None:
        if "Tla" in data:
            self.tla = data["Tla"]
        if "FirstName" in data or "LastName" in data or "FullName" in data:
            first, last = data.get("FirstName"), data.get("LastName")
            self.name = f"{first} {last}".strip() if first or last else data.get("FullName")
        if "TeamName" in data:
            self.team = data["TeamName"]
        if colour := data.get("TeamColour"):
            self.team_colour = f"#{str(colour).lstrip('#')}"
        if "Line" in data and self.line is None:
            self.line = to_int(data["Line"])

    def apply_app_data(self, t: float, data: dict[str, Any]) -> bool:
        """Stints and grid position; True when a new stint began."""
        if "GridPos" in data:
            self.grid_position = to_int(data["GridPos"])
        new_stint = False
        stints = data.get("Stints")
        if stints is not None:
            for index, patch in indexed_items(stints):
                if not isinstance(patch, dict):
                    continue
                while len(self.stints) <= index:
                    self.stints.append({})
                    self.stint_seen_t.append(t)
                    new_stint = True
                self.stints[index].update(patch)
            if isinstance(stints, dict) and (gone := stints.get("_deleted")):
                drop = {to_int(i) for i in (gone if isinstance(gone, list) else [gone])}
                keep = [i for i in range(len(self.stints)) if i not in drop]
                self.stints = [self.stints[i] for i in keep]
                self.stint_seen_t = [self.stint_seen_t[i] for i in keep]
        return new_stint

    # -- TimingData -----------------------------------------------------------------------

    def apply_timing(self, t: float, data: dict[str, Any], *, race_running: bool) -> int | None:
        """Apply one TimingData line patch; returns its ``NumberOfLaps`` (None if absent)."""
        self.has_timing = True
        late = self.ended is not None and self.t_last_lap_end is not None and t - self.t_last_lap_end <= LATE_WINDOW_S
        frozen = self.finished and not late  # the order and gaps at the flag stay as they were
        if "Position" in data:
            self.position = to_int(data["Position"])
        if "Line" in data:
            self.line = to_int(data["Line"])
        if "ShowPosition" in data:
            self.show_position = bool(data["ShowPosition"])
        if "GapToLeader" in data and not frozen:
            self.gap_to_leader = data["GapToLeader"] if isinstance(data["GapToLeader"], str) else None
            if self.finished:
                self.finish_gap = self.gap_to_leader
        if "IntervalToPositionAhead" in data and not frozen:
            interval = data["IntervalToPositionAhead"]
            if isinstance(interval, dict):
                if "Value" in interval:
                    self.interval = interval["Value"]
                if "Catching" in interval:
                    self.catching = bool(interval["Catching"])
            elif isinstance(interval, str):
                self.interval = interval
        if "Sectors" in data:
            self._apply_sectors(data["Sectors"], late)
        if "LastLapTime" in data and isinstance(data["LastLapTime"], dict):
            self._apply_last_lap(data["LastLapTime"], late)
        if "BestLapTime" in data and isinstance(data["BestLapTime"], dict):
            best = data["BestLapTime"]
            if "Value" in best:
                self.best_lap = seconds(best["Value"])
            if "Lap" in best:
                self.best_lap_number = to_int(best["Lap"])
        if "Speeds" in data and isinstance(data["Speeds"], dict):
            for trap, value in data["Speeds"].items():
                if trap in self.speeds and isinstance(value, dict) and "Value" in value:
                    self.speeds[trap] = to_int(value["Value"])
        if "Retired" in data or "Stopped" in data:
            self.retired_flag = bool(data.get("Retired", self.retired_flag))
            self.stopped = bool(data.get("Stopped", self.stopped))
            self._update_retirement()
        self._apply_pit(t, data, race_running)
        return to_int(data["NumberOfLaps"]) if "NumberOfLaps" in data else None

    def _apply_sectors(self, sectors: Any, late: bool) -> None:
        for index, sector in indexed_items(sectors):
            if index >= SECTORS or not isinstance(sector, dict):
                continue
            shown = self.sectors[index]
            if "Value" in sector:
                value = seconds(sector["Value"])
                shown["time"] = value
                if value is not None:
                    # The last sector arriving just after the line belongs to the lap that ended.
                    target = self.ended if (late and index == SECTORS - 1 and self.ended.sectors[index] is None) else self.draft
                    target.sectors[index] = value
                    best = self.best_sectors[index]
                    self.best_sectors[index] = value if best is None else min(best, value)
            if "PersonalFastest" in sector:
                shown["personal_best"] = bool(sector["PersonalFastest"])
            if "OverallFastest" in sector:
                shown["overall_best"] = bool(sector["OverallFastest"])
            if "Segments" in sector:
                segments = self.segments[index]
                for position, segment in indexed_items(sector["Segments"]):
                    code = to_int(segment.get("Status")) if isinstance(segment, dict) else None
                    while len(segments) <= position:
                        segments.append("none")
                    segments[position] = SEGMENT_STATUS_NAMES.get(code, "unknown") if code is not None else "none"

    def _apply_last_lap(self, last: dict[str, Any], late: bool) -> None:
        if "Value" in last:
            value = seconds(last["Value"])
            self.last_lap = value
            if value is not None:
                target = self.ended if late else self.draft
                target.lap_time = value
        if "PersonalFastest" in last:
            self.last_lap_personal_best = bool(last["PersonalFastest"])
        if "OverallFastest" in last:
            self.last_lap_overall_best = bool(last["OverallFastest"])

    @property
    def retired(self) -> bool:
        """Out of the race: flagged retired or stopped on track before taking the flag."""
        return (self.retired_flag or self.stopped) and not self.finished

    def _update_retirement(self) -> None:
        if self.retired and self.retired_lap is None:
            self.retired_lap = self.laps
        elif not self.retired:
            self.retired_lap = None

    def _apply_pit(self, t: float, data: dict[str, Any], race_running: bool) -> None:
        # A stop opens on pit entry (InPit turning true) and closes on pit exit (InPit false
        # or PitOut); before the start and after the flag, pit-lane visits are not stops.
        if "PitOut" in data:
            self.pit_out = bool(data["PitOut"])
        if "InPit" in data:
            entering = bool(data["InPit"]) and not self.in_pit
            leaving = not data["InPit"] and self.in_pit
            self.in_pit = bool(data["InPit"])
            if race_running and entering and not self.finished:
                self.open_stop = OpenPitStop(lap=self.laps + 1, t_seen=t, t_in=t)
                self.stops.append(self.open_stop)
            elif leaving and self.open_stop is not None:
                self.open_stop.t_out = t
                self.open_stop = None
        if self.pit_out and self.open_stop is not None:
            self.open_stop.t_out = t
            self.open_stop = None
        if "NumberOfPitStops" in data and (count := to_int(data["NumberOfPitStops"])) is not None:
            if race_running and count > len(self.stops) and not self.finished:
                # Counted by the feed without a pit-entry flag: a stop whose times are unknown.
                for _ in range(count - len(self.stops)):
                    self.stops.append(OpenPitStop(lap=self.laps + 1, t_seen=t, t_in=None))
            self.pit_stops = count

    # -- laps -----------------------------------------------------------------------------

    def end_lap(self, t: float, laps: int) -> LapDraft | None:
        """The driver crossed the line: the draft becomes lap ``laps``; returns the lap that
        was waiting for late values (now final), if any."""
        previous = self.ended
        ended = self.draft
        ended.lap, ended.t_end = laps, t
        ended.position, ended.gap_to_leader = self.position, self.gap_to_leader
        self.laps = laps
        self.ended = ended
        self.t_last_lap_end = t
        self.draft = LapDraft(t_start=t)
        if self.retired_lap is not None:
            self.retired_lap = laps  # the lap count caught up after the car stopped
        return previous

    def take_ended_lap(self) -> LapDraft | None:
        ended, self.ended = self.ended, None
        return ended

    def restart_lap(self, t: float) -> None:
        """The race started: whatever was timed before (laps to the grid) is not a lap."""
        self.draft = LapDraft(t_start=t)
        self.ended = None
        self.t_last_lap_end = None

    def gap_seconds(self) -> tuple[float | None, int | None]:
        return parse_gap(self.finish_gap if self.finished else self.gap_to_leader)


def _stint_value(key: str, convert: Callable[[Any], Any] = lambda v: v) -> Callable[[DriverState], Any]:
    def get(d: DriverState) -> Any:
        return convert(d.stints[-1].get(key)) if d.stints else None

    return get


_FIELD_GETTERS: dict[str, Callable[[DriverState], Any]] = {
    "number": lambda d: d.number,
    "tla": lambda d: d.tla,
    "name": lambda d: d.name,
    "team": lambda d: d.team,
    "team_colour": lambda d: d.team_colour,
    "position": lambda d: d.position,
    "show_position": lambda d: d.show_position,
    "gap_to_leader": lambda d: d.finish_gap if d.finished else d.gap_to_leader,
    "interval": lambda d: d.interval,
    "catching": lambda d: d.catching,
    "laps": lambda d: d.laps,
    "last_lap": lambda d: d.last_lap,
    "last_lap_personal_best": lambda d: d.last_lap_personal_best,
    "last_lap_overall_best": lambda d: d.last_lap_overall_best,
    "best_lap": lambda d: d.best_lap,
    "best_lap_number": lambda d: d.best_lap_number,
    "sectors": lambda d: [dict(s) for s in d.sectors],
    "best_sectors": lambda d: list(d.best_sectors),
    "segments": lambda d: [list(s) for s in d.segments],
    "speeds": lambda d: dict(d.speeds),
    "in_pit": lambda d: d.in_pit,
    "pit_out": lambda d: d.pit_out,
    "pit_stops": lambda d: max(d.pit_stops, len(d.stops)),
    "compound": _stint_value("Compound"),
    "tyre_new": _stint_value("New", to_bool),
    "tyre_age": _stint_value("TotalLaps", to_int),
    "stint": lambda d: len(d.stints) or None,
    "grid_position": lambda d: d.grid_position,
    "status": lambda d: d.status.value,
    "retired_lap": lambda d: d.retired_lap,
    "finished": lambda d: d.finished,
}

# Which view fields a TimingData key can change (the state diffs only those).
_ALWAYS = ("laps", "status", "retired_lap", "finished", "gap_to_leader", "pit_stops")
TIMING_FIELDS: dict[str, tuple[str, ...]] = {
    "Position": ("position",),
    "ShowPosition": ("show_position",),
    "GapToLeader": ("gap_to_leader",),
    "IntervalToPositionAhead": ("interval", "catching"),
    "Sectors": ("sectors", "best_sectors", "segments"),
    "LastLapTime": ("last_lap", "last_lap_personal_best", "last_lap_overall_best"),
    "BestLapTime": ("best_lap", "best_lap_number"),
    "Speeds": ("speeds",),
    "InPit": ("in_pit",),
    "PitOut": ("pit_out",),
}


def timing_fields(patch: dict[str, Any]) -> list[str]:
    names = list(_ALWAYS)
    for key in patch:
        names.extend(TIMING_FIELDS.get(key, ()))
    return names
