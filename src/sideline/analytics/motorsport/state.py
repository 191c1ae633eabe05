"""The live-timing session state machine: ``SessionState.apply(message) -> deltas``.

Fed one ``FeedMessage`` at a time by any source (a replay, a live connection), it keeps the
whole session: per driver position, gaps, laps, sectors, mini-sectors, tyres, pit stops,
retirements; track status, race control, penalties, lap count, clock and status. Each call
returns the small JSON-able deltas of what changed, numbered by a session-wide ``seq``
(docs/motorsport.md lists the kinds); ``snapshot()`` is the whole state, so a client that
missed deltas reloads it and continues from its ``seq``.

Messages it cannot use are counted in ``counters`` (by reason) and skipped; no message
ever raises out of ``apply``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any

from sideline.analytics.motorsport.driver import LATE_WINDOW_S, DriverState, LapDraft, timing_fields
from sideline.analytics.motorsport.rulings import RaceControlRulings
from sideline.analytics.motorsport.tables import lap_row
from sideline.analytics.motorsport.values import changed_fields, merge_delta, to_int
from sideline.analytics.motorsport.views import SessionViews
from sideline.core.timing import (
    TRACK_STATUS_CODES,
    FeedMessage,
    Lap,
    Penalty,
    RaceControlMessage,
    TrackStatus,
    as_dict,
)

log = logging.getLogger(__name__)

Delta = dict[str, Any]
FINISHED_STATUSES = ("Finished", "Finalised", "Ends")
PER_DRIVER_STREAMS = frozenset({"TimingData", "TimingAppData", "DriverList", "CarData", "Position"})
# The driver fields each per-driver stream can change (diffed before/after a message).
APP_DATA_FIELDS = ("compound", "tyre_new", "tyre_age", "stint", "grid_position")
DRIVER_LIST_FIELDS = ("tla", "name", "team", "team_colour")
# Driver fields the classification depends on (a change makes it worth recomputing).
CLASSIFICATION_INPUTS = frozenset({"laps", "status", "gap_to_leader", "finished", "retired_lap", "position"})
# Streams kept as merged raw JSON only (shown in the snapshot, no deltas).
RAW_STREAMS = ("SessionInfo", "WeatherData", "ExtrapolatedClock", "TopThree", "TimingStats", "Heartbeat",
               "CarData", "Position", "TeamRadio", "PitLaneTimeCollection", "TyreStintSeries", "LapSeries",
               "SessionData", "ChampionshipPrediction", "DriverRaceInfo", "PitStopSeries", "PitStop")


class SessionState(RaceControlRulings, SessionViews):
    def __init__(self) -> None:
        self.seq = 0
        self.t: float | None = None
        self.counters: Counter[str] = Counter()
        self.drivers: dict[str, DriverState] = {}
        self.raw: dict[str, dict[str, Any]] = {}
        self.status: str | None = None
        self.started_t: float | None = None
        self.chequered = False
        self.winner: str | None = None
        self.winner_finish_t: float | None = None
        self.lap: int | None = None
        self.total_laps: int | None = None
        self.track_status = TrackStatus.UNKNOWN
        self.track_message: str | None = None
        self.track_history: list[tuple[float, TrackStatus]] = []
        self._track_status_stream_seen = False
        self.race_control: list[RaceControlMessage] = []
        self.penalties: list[Penalty] = []
        self._served_by_message: set[int] = set()  # indices into penalties
        self._laps: list[Lap] = []
        self._lap_index: dict[tuple[str, int], int] = {}
        self._deletions: dict[tuple[str, int], bool] = {}  # rulings on laps not yet closed
        self._pending: deque[tuple[float, str]] = deque()  # (due time, driver) of ended laps
        self.fastest_lap: Lap | None = None
        self._last_classification: list[dict[str, Any]] | None = None
        self._classification_dirty = False
        self._handlers = {
            "TimingData": self._timing_data,
            "TimingAppData": self._timing_app_data,
            "DriverList": self._driver_list,
            "LapCount": self._lap_count,
            "TrackStatus": self._track_status,
            "SessionStatus": self._session_status,
            "RaceControlMessages": self._race_control,
        }

    # -- entry point ----------------------------------------------------------------------

    def apply(self, message: FeedMessage) -> list[Delta]:
        deltas: list[Delta] = []
        t = message.t
        if self.t is not None and t < self.t:
            self.counters["stale_messages"] += 1  # applied all the same: values are current
        self.t = t if self.t is None else max(self.t, t)
        self._close_due_laps(self.t, deltas)
        handler = self._handlers.get(message.stream)
        # Per-driver streams only touch the session through the winner and, without a
        # LapCount stream, the lap; a cheaper check than the whole session view.
        per_driver = message.stream in PER_DRIVER_STREAMS
        session_before = self._light_session_fields() if per_driver else self._session_fields()
        try:
            if handler is not None:
                handler(message, deltas)
            elif message.stream in RAW_STREAMS:
                merge_delta(self.raw.setdefault(message.stream, {}), message.data)
            else:
                self.counters[f"unknown_stream:{message.stream}"] += 1
        except Exception:  # a malformed message must not end a live session
            self.counters[f"bad_message:{message.stream}"] += 1
            log.warning("F1 state: could not apply a %s message at t=%.3f", message.stream, t, exc_info=True)
        session_after = self._light_session_fields() if per_driver else self._session_fields()
        if changed := changed_fields(session_before, session_after):
            self._emit(deltas, "session", set=changed)
        self._maybe_publish_classification(deltas)
        return deltas

    def apply_all(self, messages: Iterable[FeedMessage]) -> int:
        """Apply every message, dropping the deltas; returns how many there were."""
        count = 0
        for message in messages:
            count += len(self.apply(message))
        count += len(self.finish())
        return count

    def finish(self) -> list[Delta]:
        """The feed ended: close the laps still waiting for late values."""
        deltas: list[Delta] = []
        self._close_due_laps(float("inf"), deltas)
        self._maybe_publish_classification(deltas)
        return deltas

    # -- delta plumbing -------------------------------------------------------------------

    def _emit(self, deltas: list[Delta], kind: str, **payload: Any) -> None:
        self.seq += 1
        deltas.append({"seq": self.seq, "t": self.t, "kind": kind, **payload})

    def _driver(self, number: Any) -> DriverState:
        key = str(number)
        driver = self.drivers.get(key)
        if driver is None:
            driver = self.drivers[key] = DriverState(number=key)
        return driver

    @property
    def race_running(self) -> bool:
        return self.started_t is not None

    # -- streams --------------------------------------------------------------------------

    def _timing_data(self, message: FeedMessage, deltas: list[Delta]) -> None:
        lines = message.data.get("Lines")
        if not isinstance(lines, dict):
            if "Withheld" not in message.data:
                self.counters["timing_without_lines"] += 1
            return
        for number, patch in lines.items():
            if number == "_deleted" or not isinstance(patch, dict):
                continue
            driver = self._driver(number)
            names = timing_fields(patch)
            before = driver.fields(names)
            stops_before = _stops_signature(driver)
            completed = driver.apply_timing(message.t, patch, race_running=self.race_running)
            if completed is not None:
                self._lap_completed(driver, completed, message.t, deltas)
            changed = changed_fields(before, driver.fields(names))
            if changed:
                self._emit(deltas, "driver", driver=driver.number, set=changed)
                if not self._classification_dirty and not CLASSIFICATION_INPUTS.isdisjoint(changed):
                    self._classification_dirty = True
            if _stops_signature(driver) != stops_before:  # a stop began, was counted, or ended
                stop = driver.stops[-1]
                lane = round(stop.t_out - stop.t_in, 3) if stop.t_in is not None and stop.t_out is not None else None
                self._emit(deltas, "pit_stop", driver=driver.number, stop=len(driver.stops), lap=stop.lap,
                           t_in=stop.t_in, t_out=stop.t_out, pit_lane_time=lane)

    def _lap_completed(self, driver: DriverState, laps: int, t: float, deltas: list[Delta]) -> None:
        if laps <= driver.laps:
            if laps < driver.laps:
                self.counters["lap_count_backwards"] += 1
            return
        if not self.race_running:
            driver.laps = laps  # laps before the start (practice, a restart's order): no records
            return
        if laps > driver.laps + 1:
            self.counters["lap_count_jumps"] += 1
        previous = driver.end_lap(t, laps)
        if previous is not None:
            self._close_lap(driver, previous, deltas)
        self._pending.append((t + LATE_WINDOW_S, driver.number))
        if driver.finished or driver.retired or driver.disqualified:
            return
        if self.winner is None:
            flag_due = self.chequered or (self.total_laps is not None and laps >= self.total_laps)
            if flag_due and all(laps >= other.laps for other in self.drivers.values()):
                self.winner, self.winner_finish_t = driver.number, t
                self._finish(driver, t)
        elif t > (self.winner_finish_t or 0.0):
            self._finish(driver, t)

    def _finish(self, driver: DriverState, t: float) -> None:
        driver.finished, driver.t_finish = True, t
        driver.finish_gap = driver.gap_to_leader

    def _close_due_laps(self, now: float, deltas: list[Delta]) -> None:
        while self._pending and self._pending[0][0] < now:
            _, number = self._pending.popleft()
            driver = self.drivers[number]
            if driver.ended is not None and driver.t_last_lap_end is not None and driver.t_last_lap_end + LATE_WINDOW_S < now:
                self._close_lap(driver, driver.take_ended_lap(), deltas)

    def _close_lap(self, driver: DriverState, draft: LapDraft, deltas: list[Delta]) -> None:
        key = (driver.number, draft.lap)
        if key in self._lap_index:
            return
        row = lap_row(driver, draft, self.track_history, deleted=self._deletions.pop(key, False))
        self._lap_index[key] = len(self._laps)
        self._laps.append(row)
        self._emit(deltas, "lap", lap=as_dict(row))
        if row.lap_time is not None and not row.deleted:
            best = self.fastest_lap
            if best is None or row.lap_time < best.lap_time:
                self.fastest_lap = row = dataclasses.replace(row, personal_best=True)
                self._emit(deltas, "fastest_lap", lap=as_dict(row))

    def _timing_app_data(self, message: FeedMessage, deltas: list[Delta]) -> None:
        lines = message.data.get("Lines")
        if not isinstance(lines, dict):
            self.counters["app_data_without_lines"] += 1
            return
        for number, patch in lines.items():
            if number == "_deleted" or not isinstance(patch, dict):
                continue
            driver = self._driver(number)
            before = driver.fields(APP_DATA_FIELDS)
            driver.apply_app_data(message.t, patch)
            after = driver.fields(APP_DATA_FIELDS)
            changed = changed_fields(before, after)
            if changed:
                self._emit(deltas, "driver", driver=driver.number, set=changed)
            if changed.keys() & {"stint", "compound", "tyre_new"}:  # a new set of tyres, or its details
                self._emit(deltas, "stint", driver=driver.number, stint=after["stint"], compound=after["compound"],
                           new=after["tyre_new"], tyre_age=after["tyre_age"])

    def _driver_list(self, message: FeedMessage, deltas: list[Delta]) -> None:
        for number, patch in message.data.items():
            if number == "_deleted" or not isinstance(patch, dict):
                continue
            driver = self._driver(number)
            before = driver.fields(DRIVER_LIST_FIELDS)
            driver.apply_driver_list(patch)
            changed = changed_fields(before, driver.fields(DRIVER_LIST_FIELDS))
            if changed:
                self._emit(deltas, "driver", driver=driver.number, set=changed)

    def _lap_count(self, message: FeedMessage, deltas: list[Delta]) -> None:
        if (lap := to_int(message.data.get("CurrentLap"))) is not None:
            self.lap = lap
        if (total := to_int(message.data.get("TotalLaps"))) is not None:
            self.total_laps = total

    def _track_status(self, message: FeedMessage, deltas: list[Delta]) -> None:
        self._track_status_stream_seen = True
        if "Status" in message.data:
            code = str(message.data["Status"])
            status = TRACK_STATUS_CODES.get(code)
            if status is None:
                self.counters["unknown_track_status"] += 1
                status = TrackStatus.UNKNOWN
            self._set_track_status(message.t, status)
        if "Message" in message.data:
            self.track_message = message.data["Message"]

    def _set_track_status(self, t: float, status: TrackStatus) -> None:
        if status != self.track_status:
            self.track_status = status
            self.track_history.append((t, status))

    def _session_status(self, message: FeedMessage, deltas: list[Delta]) -> None:
        status = message.data.get("Status")
        if not isinstance(status, str):
            return
        self.status = status
        if status == "Started" and self.started_t is None:
            self.started_t = message.t
            for driver in self.drivers.values():
                driver.restart_lap(message.t)
            if not self.track_history:
                self._set_track_status(message.t, TrackStatus.GREEN)
        elif status in FINISHED_STATUSES:
            self.chequered = True


def _stops_signature(driver: DriverState) -> tuple[int, float | None]:
    return (len(driver.stops), driver.stops[-1].t_out if driver.stops else None)
