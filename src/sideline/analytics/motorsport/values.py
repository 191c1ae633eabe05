"""Reading the F1 feed's values: time strings, gaps, flags, SignalR list-or-dict containers.

Times are parsed here rather than with FastF1's ``to_timedelta``: the state machine needs
float seconds on every message, and a timedelta round trip costs more than the parse.
"""

from __future__ import annotations

import math
from typing import Any

from sideline.core.feed_values import DELETED, indexed_items, json_copy, merge_delta, to_int  # noqa: F401 (re-exported)


def seconds(text: Any) -> float | None:
    """``"1:45.149"`` / ``"25.208"`` / ``"1:43:44.291"`` / ``"+2.460"`` in seconds; None if blank or bad."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text) if math.isfinite(text) else None
    if not isinstance(text, str):
        return None
    text = text.strip().lstrip("+")
    if not text:
        return None
    total = 0.0
    try:
        for part in text.split(":"):
            total = total * 60 + float(part)
    except ValueError:
        return None
    return round(total, 3) if math.isfinite(total) and total >= 0 else None


def format_seconds(value: float | None) -> str | None:
    """Seconds as the timing screens print them: ``"45.149"``, ``"1:45.149"``, ``"1:43:44.291"``."""
    if value is None:
        return None
    millis = round(value * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}.{millis:03d}"
    if minutes:
        return f"{minutes}:{secs:02d}.{millis:03d}"
    return f"{secs}.{millis:03d}"


def parse_gap(text: Any) -> tuple[float | None, int | None]:
    """A GapToLeader/Interval text as (seconds, laps behind).

    ``"+1.234"`` -> (1.234, 0); ``"1L"``, ``"+2 LAPS"`` -> (None, 1/2); ``"LAP 51"`` (the
    leader's own line) -> (0.0, 0); blank or unknown -> (None, None).
    """
    if not isinstance(text, str):
        return (None, None)
    text = text.strip().upper()
    if not text:
        return (None, None)
    if text.startswith("LAP"):
        return (0.0, 0)
    compact = text.lstrip("+").replace(" ", "")
    for suffix in ("LAPS", "LAP", "L"):
        if compact.endswith(suffix):
            try:
                return (None, int(compact[: -len(suffix)]))
            except ValueError:
                return (None, None)
    value = seconds(compact)
    return (value, 0 if value is not None else None)


def format_gap(value: float | None, laps_behind: int = 0) -> str | None:
    """``"+2.460"``, ``"+1:00.621"``, ``"+1 LAP"``, ``"+3 LAPS"`` (f1db's spelling)."""
    if laps_behind:
        return f"+{laps_behind} LAP" + ("S" if laps_behind > 1 else "")
    if value is None:
        return None
    return "+" + (format_seconds(value) or "")


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``after`` that differ from ``before`` (a delta's ``set``)."""
    return {k: v for k, v in after.items() if before.get(k) != v}




def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, int):
        return bool(value)
    return None







