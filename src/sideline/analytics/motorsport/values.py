"""Reading the F1 feed's values: time strings, gaps, flags, SignalR list-or-dict containers.

Times are parsed here rather than with FastF1's ``to_timedelta``: the state machine needs
float seconds on every message, and a timedelta round trip costs more than the parse.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

DELETED = "_deleted"


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


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, int):
        return bool(value)
    return None


def indexed_items(container: Any) -> Iterator[tuple[int, Any]]:
    """SignalR sends a list whole the first time and then as ``{"3": {...}}`` patches."""
    if isinstance(container, list):
        yield from enumerate(container)
    elif isinstance(container, dict):
        for key, value in container.items():
            if key != DELETED and (index := to_int(key)) is not None and index >= 0:
                yield index, value


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (merged state must never alias a message's dicts)."""
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


def merge_delta(state: dict[str, Any], delta: dict[str, Any]) -> None:
    """Merge a SignalR delta into ``state`` in place: dicts merge recursively, a dict patch of
    a list updates it by index, ``_deleted`` lists keys (or indices) to remove."""
    for key, value in delta.items():
        if key == DELETED:
            for gone in value if isinstance(value, list) else [value]:
                state.pop(str(gone), None)
            continue
        current = state.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merge_delta(current, value)
        elif isinstance(value, dict) and isinstance(current, list):
            _patch_list(current, value)
        else:
            state[key] = json_copy(value)


def _patch_list(items: list[Any], patch: dict[str, Any]) -> None:
    deleted = patch.get(DELETED)
    for index, value in indexed_items(patch):
        while len(items) <= index:
            items.append({})
        if isinstance(value, dict) and isinstance(items[index], dict):
            merge_delta(items[index], value)
        else:
            items[index] = json_copy(value)
    if deleted is not None:
        drop = {to_int(i) for i in (deleted if isinstance(deleted, list) else [deleted])}
        items[:] = [item for i, item in enumerate(items) if i not in drop]
