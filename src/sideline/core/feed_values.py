"""The live-timing feed's value rules, shared by the live clients (ingest) and the session state
(analytics): SignalR's merge of a delta into the state, and its lists sent whole once and then
patched by index. One implementation, so a client's view of the feed and the engine's agree."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

DELETED = "_deleted"

def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
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

