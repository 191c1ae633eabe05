"""Rows of the extracted tables (laps, stints, pit stops, penalties) from the drivers' state.

Stint lap ranges come from TimingAppData alone (each stint's ``TotalLaps - StartLaps`` laps,
laid end to end from lap 1), so stints and their pit-stop laps exist even without TimingData.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sideline.analytics.motorsport.driver import DriverState, LapDraft
from sideline.analytics.motorsport.values import to_bool, to_int
from sideline.core.timing import Lap, Penalty, PitStop, Stint, TrackStatus

if TYPE_CHECKING:
    from sideline.analytics.motorsport.state import SessionState

SERVED_IN_PIT_LANE = ("time", "drive_through", "stop_go")


def driver_stints(driver: DriverState) -> list[Stint]:
    rows = []
    next_lap = 1
    for index, raw in enumerate(driver.stints, start=1):
        total, start_age = to_int(raw.get("TotalLaps")), to_int(raw.get("StartLaps"))
        laps = total - start_age if total is not None and start_age is not None and total >= start_age else None
        lap_start = next_lap
        lap_end = lap_start + laps - 1 if laps else None
        if laps:
            next_lap = lap_start + laps
        rows.append(
            Stint(
                driver=driver.number,
                stint=index,
                compound=raw.get("Compound"),
                new=to_bool(raw.get("New")),
                tyre_age_start=start_age,
                laps=laps,
                lap_start=lap_start,
                lap_end=lap_end,
            )
        )
    return rows


def stint_rows(drivers: Iterable[DriverState]) -> list[Stint]:
    return [row for d in sorted(drivers, key=_key) for row in driver_stints(d)]


def pit_stop_rows(drivers: Iterable[DriverState]) -> list[PitStop]:
    """From TimingData's pit flags when the driver has timing, else from new stints."""
    rows = []
    for d in sorted(drivers, key=_key):
        if d.has_timing:
            for index, stop in enumerate(d.stops, start=1):
                lane = round(stop.t_out - stop.t_in, 3) if stop.t_in is not None and stop.t_out is not None else None
                rows.append(PitStop(d.number, index, stop.lap, stop.t_in, stop.t_out, lane, "timing"))
        else:
            stints = driver_stints(d)
            number = 0
            for index in range(1, len(stints)):
                previous = stints[index - 1]
                if previous.lap_end is None:
                    continue
                number += 1
                # The new stint shows up as the car leaves the pit lane: that is t_out.
                seen = d.stint_seen_t[index] if index < len(d.stint_seen_t) else None
                rows.append(PitStop(d.number, number, previous.lap_end, None, seen, None, "stints"))
    return rows


def penalty_rows(state: SessionState) -> list[Penalty]:
    """Penalties with ``served`` decided: a post-race penalty never is; an in-race one is
    served by race control's word or by a pit stop the driver began after it was given."""
    rows = []
    for index, penalty in enumerate(state.penalties):
        served = False
        if not penalty.post_race and penalty.kind in SERVED_IN_PIT_LANE:
            driver = state.drivers.get(penalty.driver)
            served = index in state._served_by_message or (driver is not None and _stopped_after(driver, penalty.t))
        rows.append(Penalty(**{**_fields(penalty), "served": served}))
    return rows


def _stopped_after(driver: DriverState, t: float) -> bool:
    until = driver.t_finish if driver.t_finish is not None else float("inf")
    if driver.has_timing:
        return any(t < (stop.t_in if stop.t_in is not None else stop.t_seen) < until for stop in driver.stops)
    return any(t < seen < until for seen in driver.stint_seen_t[1:])


def lap_row(driver: DriverState, draft: LapDraft, track_history: Sequence[tuple[float, TrackStatus]], *, deleted: bool) -> Lap:
    lap = draft.lap or 0
    compound = tyre_age = None
    stints = driver_stints(driver)
    for stint in stints:
        # The current stint is open-ended: its TotalLaps may not have counted this lap yet.
        open_ended = stint is stints[-1] or stint.lap_end is None
        if stint.lap_start is not None and stint.lap_start <= lap and (open_ended or lap <= stint.lap_end):
            compound = stint.compound
            tyre_age = stint.tyre_age_start + (lap - stint.lap_start + 1) if stint.tyre_age_start is not None else None
    stop_laps = {stop.lap for stop in driver.stops}
    return Lap(
        driver=driver.number,
        lap=lap,
        lap_time=draft.lap_time,
        sector_1=draft.sectors[0],
        sector_2=draft.sectors[1],
        sector_3=draft.sectors[2],
        position=draft.position,
        gap_to_leader=draft.gap_to_leader,
        t_end=draft.t_end or 0.0,
        pit_in=lap in stop_laps,
        pit_out=(lap - 1) in stop_laps,
        compound=compound,
        tyre_age=tyre_age,
        track_status=statuses_between(track_history, draft.t_start, draft.t_end),
        deleted=deleted,
    )


def statuses_between(history: Sequence[tuple[float, TrackStatus]], start: float | None, end: float | None) -> tuple[str, ...]:
    """Every track status in force at some moment of (start, end], in order of appearance."""
    if not history or end is None:
        return ()
    times = [t for t, _ in history]
    first = bisect.bisect_right(times, start) - 1 if start is not None else 0
    last = bisect.bisect_right(times, end)
    seen: list[str] = []
    for _, status in history[max(first, 0) : last]:
        if status.value not in seen:
            seen.append(status.value)
    return tuple(seen)


def _fields(penalty: Penalty) -> dict:
    return {name: getattr(penalty, name) for name in Penalty.__dataclass_fields__}


def _key(driver: DriverState) -> tuple[int, str]:
    return (int(driver.number) if driver.number.isdigit() else 10_000, driver.number)
