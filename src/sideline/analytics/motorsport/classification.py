"""The race classification from the drivers' timing state, by the FIA's rules:

- order: laps completed (more first), then the time each driver completed that many laps
  (plus unserved time penalties), then the feed's running position (cars out on lap 1);
  disqualified cars last;
- classified: every car that completed at least 90 % of the winner's laps, rounded down
  (a car that stopped on the last laps can be classified, as Bottas in Baku 2018);
- time: the winner's race time is the session clock from the start (SessionStatus
  ``Started``) to its finishing message, so it carries the feed's latency (~0.5 s); the
  others' times are the winner's plus their gap at the flag, which the feed gives to the
  millisecond; penalties are added to both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from sideline.analytics.motorsport.driver import DriverState
from sideline.analytics.motorsport.values import format_gap
from sideline.core.timing import ClassificationEntry

CLASSIFIED_SHARE = 0.9


def classify(
    drivers: Iterable[DriverState],
    *,
    started_t: float | None,
    winner_finish_t: float | None,
    penalty_seconds: Mapping[str, float],
) -> list[ClassificationEntry]:
    """Every driver of the session in classification order (provisional while running)."""
    drivers = list(drivers)
    timed = [d for d in drivers if d.has_timing]
    if not timed:
        return []  # no TimingData: nothing to classify by
    finished = [d for d in timed if d.finished]
    winner_laps = max(d.laps for d in (finished or timed))
    min_laps = math.floor(CLASSIFIED_SHARE * winner_laps)

    def crossing_time(d: DriverState) -> float:
        """Session time the driver completed its laps, plus unserved penalties."""
        t = _finish_time(d, winner_finish_t)
        if t is None:
            t = d.t_last_lap_end if d.t_last_lap_end is not None else math.inf
        return t + penalty_seconds.get(d.number, 0.0)

    ranked = sorted(
        drivers,
        key=lambda d: (d.disqualified, not d.has_timing, -d.laps, crossing_time(d), d.position or 999, _number(d)),
    )
    leader = next((d for d in ranked if d.finished and not d.disqualified and d.laps == winner_laps), None)
    entries = []
    position = 0
    for order, d in enumerate(ranked, start=1):
        penalty = penalty_seconds.get(d.number, 0.0)
        classified = d.has_timing and not d.disqualified and d.laps > 0 and d.laps >= min_laps
        if d.disqualified:
            text, status = "DSQ", "disqualified"
        elif not d.has_timing:
            text, status = "DNS", "not_started"
        elif not finished:
            position += 1
            text, status = str(position), ("retired" if d.retired else "running")
        elif classified:
            position += 1
            text = str(position)
            status = "retired" if not d.finished else ("finished" if d.laps == winner_laps else "lapped")
        else:
            text, status = "DNF", "retired"
        time = gap = gap_text = None
        if classified and d.finished and leader is not None:
            if d.laps < winner_laps:
                gap_text = format_gap(None, winner_laps - d.laps)
            elif (t := _finish_time(d, winner_finish_t)) is not None:
                leader_t = crossing_time(leader)
                gap = round(t + penalty - leader_t, 3)
                gap_text = format_gap(gap) if d is not leader else None
                if started_t is not None:
                    time = round(t + penalty - started_t, 3)
        entries.append(
            ClassificationEntry(
                order=order,
                position=position if classified or not finished else None,
                position_text=text,
                driver=d.number,
                laps=d.laps,
                status=status,
                classified=classified,
                time=time,
                gap=gap,
                gap_text=gap_text,
                penalty_seconds=penalty,
                retired_lap=d.retired_lap if d.retired else None,
                retired_note=d.retired_note if d.retired else None,
                grid_position=d.grid_position,
            )
        )
    return entries


def _finish_time(d: DriverState, winner_finish_t: float | None) -> float | None:
    """Session time the driver took the flag: the winner's finishing time plus the gap the
    feed showed at the line (exact to the millisecond), else its own finishing message."""
    if not d.finished:
        return None
    gap_s, laps_down = d.gap_seconds()
    if winner_finish_t is not None and gap_s is not None and laps_down == 0:
        return winner_finish_t + gap_s
    return d.t_finish


def _number(d: DriverState) -> int:
    return int(d.number) if d.number.isdigit() else 10_000
