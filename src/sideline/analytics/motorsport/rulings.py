"""What race control decides, applied to the session: penalties (served or not), deleted
and reinstated lap times (personal and overall bests recomputed), disqualifications,
stopped cars, the chequered flag, and the track status when its own stream is missing.

A mixin of ``SessionState`` (state.py), kept apart because it is its own concept.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from sideline.analytics.motorsport import race_control as rc
from sideline.analytics.motorsport.driver import DriverState
from sideline.analytics.motorsport.values import changed_fields, indexed_items
from sideline.core.timing import FeedMessage, Penalty, RaceControlMessage, as_dict

if TYPE_CHECKING:
    from sideline.analytics.motorsport.state import Delta


class RaceControlRulings:
    def _race_control(self, message: FeedMessage, deltas: list[Delta]) -> None:
        for _, raw in indexed_items(message.data.get("Messages")):
            if not isinstance(raw, dict) or not raw.get("Message"):
                self.counters["race_control_without_text"] += 1
                continue
            item = rc.read_message(message.t, raw)
            self.race_control.append(item)
            self._emit(deltas, "race_control", message=as_dict(item))
            if rc.is_chequered(item):
                self.chequered = True
            if not self._track_status_stream_seen and (hint := rc.track_status_hint(item)) is not None:
                self._set_track_status(message.t, hint)
            ruling = rc.ruling(item)
            if ruling is not None:
                self._apply_ruling(item, ruling, deltas)

    # -- rulings --------------------------------------------------------------------------

    def _apply_ruling(self, item: RaceControlMessage, ruling: rc.Ruling, deltas: list[Delta]) -> None:
        driver = self._driver(ruling.driver)
        self._classification_dirty = True
        if ruling.kind in ("time_penalty", "drive_through", "stop_go"):
            penalty = Penalty(
                driver=driver.number,
                kind={"time_penalty": "time"}.get(ruling.kind, ruling.kind),
                seconds=ruling.seconds,
                t=item.t,
                lap=item.lap,
                reason=ruling.reason,
                served=False,
                post_race=self.chequered,
            )
            self.penalties.append(penalty)
            self._emit(deltas, "penalty", penalty=as_dict(penalty))
        elif ruling.kind == "penalty_served":
            for index, penalty in enumerate(self.penalties):
                if penalty.driver == driver.number and not penalty.post_race and index not in self._served_by_message:
                    self._served_by_message.add(index)
                    break
        elif ruling.kind in ("lap_deleted", "lap_reinstated"):
            self._rule_on_lap(driver, ruling, deleted=ruling.kind == "lap_deleted", deltas=deltas)
        elif ruling.kind == "disqualified":
            before = driver.fields()
            driver.disqualified = True
            self._emit(deltas, "driver", driver=driver.number, set=changed_fields(before, driver.fields()))
        elif ruling.kind == "car_stopped" and driver.retired_note is None:
            driver.retired_note = ruling.reason

    def _rule_on_lap(self, driver: DriverState, ruling: rc.Ruling, *, deleted: bool, deltas: list[Delta]) -> None:
        lap_number = ruling.lap
        if lap_number is None and ruling.lap_time is not None:
            candidates = [r.lap for r in self._laps if r.driver == driver.number and r.lap_time == ruling.lap_time]
            if driver.ended is not None and driver.ended.lap_time == ruling.lap_time:
                candidates.append(driver.ended.lap)
            lap_number = candidates[-1] if candidates else None
        if lap_number is None:
            self.counters["lap_ruling_unmatched"] += 1
            return
        key = (driver.number, lap_number)
        index = self._lap_index.get(key)
        if index is None:
            self._deletions[key] = deleted  # applied when the lap closes
        else:
            row = self._laps[index]
            self._laps[index] = row = dataclasses.replace(row, deleted=deleted)
        self._emit(deltas, "lap_deleted" if deleted else "lap_reinstated", driver=driver.number, lap=lap_number)
        self._recompute_bests(driver, deltas)

    def _recompute_bests(self, driver: DriverState, deltas: list[Delta]) -> None:
        valid = [r for r in self._laps if r.lap_time is not None and not r.deleted]
        mine = [r for r in valid if r.driver == driver.number]
        before = driver.fields()
        if mine:
            best = min(mine, key=lambda r: (r.lap_time, r.t_end))
            driver.best_lap, driver.best_lap_number = best.lap_time, best.lap
        else:
            driver.best_lap = driver.best_lap_number = None
        if changed := changed_fields(before, driver.fields()):
            self._emit(deltas, "driver", driver=driver.number, set=changed)
        fastest = min(valid, key=lambda r: (r.lap_time, r.t_end)) if valid else None
        fastest = dataclasses.replace(fastest, personal_best=True) if fastest else None
        if fastest != self.fastest_lap:
            self.fastest_lap = fastest
            self._emit(deltas, "fastest_lap", lap=as_dict(fastest) if fastest else None)
