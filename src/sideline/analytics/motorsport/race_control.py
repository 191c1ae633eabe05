"""Race-control messages: what they say that changes the timing (penalties, deleted or
reinstated lap times, disqualifications, stopped cars, track status when TrackStatus is absent).

The feed's message texts are the FIA's fixed phrasings, e.g.
``"10 SECOND TIME PENALTY FOR CAR 9 (ERI) - CAUSING A COLLISION"``,
``"CAR 44 (HAM) TIME 1:31.234 DELETED - TRACK LIMITS AT TURN 4 LAP 12 16:43:12"``,
``"FIA STEWARDS: PENALTY SERVED - 5 SECOND TIME PENALTY FOR CAR 23 (ALB) - ..."``.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from sideline.analytics.motorsport.values import seconds, to_int
from sideline.core.timing import RaceControlMessage, TrackStatus

_CAR = re.compile(r"\bCAR (\d+)\b")
_TIME_PENALTY = re.compile(r"(\d+(?:\.\d+)?) SECOND TIME PENALTY FOR CAR (\d+)")
_DRIVE_THROUGH = re.compile(r"DRIVE[ -]THROUGH PENALTY FOR CAR (\d+)")
_STOP_GO = re.compile(r"(?:(\d+) SECOND )?STOP (?:AND|&) GO PENALTY FOR CAR (\d+)")
_DELETED = re.compile(r"\bCAR (\d+)\b.*?\b(?:TIME (\d+:\d{2}\.\d{3}) |LAP )?DELETED\b")
_REINSTATED = re.compile(r"\bCAR (\d+)\b.*?\bTIME (\d+:\d{2}\.\d{3}) (?:HAS BEEN )?REINSTATED\b")
_LAP = re.compile(r"\bLAP (\d+)\b")
_DISQUALIFIED = re.compile(r"\bCAR (\d+)\b.*\bDISQUALIFIED\b")
_STOPPED = re.compile(r"\bCAR (\d+)\b.*\bSTOPPED\b")
_REASON = re.compile(r" - (.+)$")

# Words of race control that set the track status, used only when the TrackStatus stream
# is missing (it is authoritative when present).
_TRACK_STATUS_WORDS = (
    ("VIRTUAL SAFETY CAR ENDING", TrackStatus.VSC_ENDING),
    ("VIRTUAL SAFETY CAR DEPLOYED", TrackStatus.VSC),
    ("SAFETY CAR DEPLOYED", TrackStatus.SAFETY_CAR),
    ("RED FLAG", TrackStatus.RED),
    ("TRACK CLEAR", TrackStatus.GREEN),
    ("GREEN LIGHT", TrackStatus.GREEN),
)


@dataclasses.dataclass(frozen=True, slots=True)
class Ruling:
    """What one message decides (at most one of these per message)."""

    kind: str  # "time_penalty", "drive_through", "stop_go", "penalty_served", "lap_deleted",
    #            "lap_reinstated", "disqualified", "car_stopped"
    driver: str
    seconds: float | None = None
    lap: int | None = None
    lap_time: float | None = None
    reason: str | None = None


def read_message(t: float, raw: dict[str, Any]) -> RaceControlMessage:
    text = str(raw.get("Message") or "").strip()
    number = raw.get("RacingNumber")
    if number is None and (cars := _CAR.findall(text)) and len(set(cars)) == 1:
        number = cars[0]
    return RaceControlMessage(
        t=t,
        utc=raw.get("Utc"),
        lap=to_int(raw.get("Lap")),
        category=raw.get("Category"),
        flag=raw.get("Flag"),
        scope=raw.get("Scope"),
        sector=to_int(raw.get("Sector")),
        driver=str(number) if number is not None else None,
        message=text,
    )


def ruling(message: RaceControlMessage) -> Ruling | None:
    text = message.message.upper()
    reason = m.group(1) if (m := _REASON.search(text)) else None
    if "PENALTY SERVED" in text and message.driver:
        return Ruling("penalty_served", message.driver)
    if m := _TIME_PENALTY.search(text):
        return Ruling("time_penalty", m.group(2), seconds=float(m.group(1)), reason=reason)
    if m := _DRIVE_THROUGH.search(text):
        return Ruling("drive_through", m.group(1), reason=reason)
    if m := _STOP_GO.search(text):
        return Ruling("stop_go", m.group(2), seconds=float(m.group(1)) if m.group(1) else None, reason=reason)
    if m := _REINSTATED.search(text):
        lap = _LAP.search(text[m.end() :])
        return Ruling("lap_reinstated", m.group(1), lap=to_int(lap.group(1)) if lap else None, lap_time=seconds(m.group(2)))
    if m := _DELETED.search(text):
        lap = _LAP.search(text[m.end() :])
        return Ruling("lap_deleted", m.group(1), lap=to_int(lap.group(1)) if lap else None, lap_time=seconds(m.group(2)), reason=reason)
    if m := _DISQUALIFIED.search(text):
        return Ruling("disqualified", m.group(1), reason=reason)
    if m := _STOPPED.search(text):
        return Ruling("car_stopped", m.group(1), reason=message.message)
    return None


def track_status_hint(message: RaceControlMessage) -> TrackStatus | None:
    text = message.message.upper()
    if (message.flag or "").upper() == "RED":
        return TrackStatus.RED
    for words, status in _TRACK_STATUS_WORDS:
        if words in text:
            return status
    return None


def is_chequered(message: RaceControlMessage) -> bool:
    return (message.flag or "").upper() == "CHEQUERED" or "CHEQUERED FLAG" in message.message.upper()
