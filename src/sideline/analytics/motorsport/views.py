"""Read-only views of the session: the snapshot, the session header, the running order,
penalties, the classification and the extracted tables (laps, stints, pit stops).

A mixin of ``SessionState`` (state.py).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import polars as pl

from sideline.analytics.motorsport.classification import classify
from sideline.analytics.motorsport.tables import lap_row, penalty_rows, pit_stop_rows, stint_rows
from sideline.core.timing import (
    CLASSIFICATION_SCHEMA,
    LAP_SCHEMA,
    PIT_STOP_SCHEMA,
    STINT_SCHEMA,
    ClassificationEntry,
    Lap,
    as_dict,
    rows_to_frame,
)

if TYPE_CHECKING:
    from sideline.analytics.motorsport.state import Delta


class SessionViews:
    def penalty_seconds(self) -> dict[str, float]:
        """Unserved time penalties per driver, added to the race time."""
        out: dict[str, float] = {}
        for row in penalty_rows(self):
            if not row.served and row.seconds is not None:
                out[row.driver] = out.get(row.driver, 0.0) + row.seconds
        return out

    def classification(self) -> list[ClassificationEntry]:
        return classify(
            self.drivers.values(),
            started_t=self.started_t,
            winner_finish_t=self.winner_finish_t,
            penalty_seconds=self.penalty_seconds(),
        )

    def _maybe_publish_classification(self, deltas: list[Delta]) -> None:
        # Published once the flag is out, whenever it changes (drivers finishing, rulings).
        if self.winner is None or not self._classification_dirty:
            return
        self._classification_dirty = False
        rows = [as_dict(e) for e in self.classification()]
        if rows != self._last_classification:
            self._last_classification = rows
            self._emit(deltas, "classification", rows=rows)

    def current_lap(self) -> int | None:
        """LapCount's lap, or without that stream the leader's lap (laps done + 1, capped)."""
        if self.lap is not None or not self.drivers:
            return self.lap
        if self.winner is not None:
            return self.drivers[self.winner].laps
        lap = max(d.laps for d in self.drivers.values()) + 1
        return min(lap, self.total_laps) if self.total_laps else lap

    def _light_session_fields(self) -> dict[str, Any]:
        return {"winner": self.winner, "lap": self.current_lap() if self.lap is None else self.lap}

    def _session_fields(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "lap": self.current_lap(),
            "total_laps": self.total_laps,
            "track_status": self.track_status.value,
            "track_message": self.track_message,
            "started_t": self.started_t,
            "chequered": self.chequered,
            "winner": self.winner,
        }

    def session(self) -> dict[str, Any]:
        info = self.raw.get("SessionInfo", {})
        meeting = info.get("Meeting") or {}
        clock = self.raw.get("ExtrapolatedClock", {})
        return {
            **self._session_fields(),
            "name": info.get("Name"),
            "type": info.get("Type"),
            "meeting": meeting.get("Name"),
            "circuit": (meeting.get("Circuit") or {}).get("ShortName"),
            "start_date": info.get("StartDate"),
            "clock_t": self.t,
            "elapsed_s": round(self.t - self.started_t, 3) if self.t is not None and self.started_t is not None else None,
            "remaining": clock.get("Remaining"),
        }

    def order(self) -> list[str]:
        """Driver numbers in running order (the feed's position, then its line)."""
        return sorted(self.drivers, key=lambda n: (self.drivers[n].position or 999, self.drivers[n].line or 999, n))

    def snapshot(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "t": self.t,
            "session": self.session(),
            "drivers": {n: self.drivers[n].fields() for n in self.order()},
            "order": self.order(),
            "race_control": [as_dict(m) for m in self.race_control],
            "penalties": [as_dict(p) for p in penalty_rows(self)],
            "fastest_lap": as_dict(self.fastest_lap) if self.fastest_lap else None,
            "classification": [as_dict(e) for e in self.classification()],
            "weather": self.raw.get("WeatherData"),
            "counters": dict(self.counters),
        }

    # -- tables ---------------------------------------------------------------------------

    def lap_rows(self) -> list[Lap]:
        """Every closed lap, plus the laps still open for late values, by driver and lap."""
        rows = list(self._laps)
        for driver in self.drivers.values():
            if driver.ended is not None and (driver.number, driver.ended.lap) not in self._lap_index:
                key = (driver.number, driver.ended.lap)
                rows.append(lap_row(driver, driver.ended, self.track_history, deleted=self._deletions.get(key, False)))
        best: dict[str, Lap] = {}
        for row in rows:
            if row.lap_time is not None and not row.deleted:
                held = best.get(row.driver)
                if held is None or row.lap_time < held.lap_time:
                    best[row.driver] = row
        rows = [dataclasses.replace(r, personal_best=best.get(r.driver) is r) for r in rows]
        return sorted(rows, key=lambda r: (_number_key(r.driver), r.lap))

    def laps(self) -> pl.DataFrame:
        return rows_to_frame(self.lap_rows(), LAP_SCHEMA)

    def stints(self) -> pl.DataFrame:
        return rows_to_frame(stint_rows(self.drivers.values()), STINT_SCHEMA)

    def pit_stops(self) -> pl.DataFrame:
        return rows_to_frame(pit_stop_rows(self.drivers.values()), PIT_STOP_SCHEMA)

    def classification_table(self) -> pl.DataFrame:
        return rows_to_frame(self.classification(), CLASSIFICATION_SCHEMA)


def _number_key(number: str) -> tuple[int, str]:
    return (int(number) if number.isdigit() else 10_000, number)
