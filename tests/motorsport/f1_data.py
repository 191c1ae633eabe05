"""F1 test data: the recorded feeds and f1db's official results from the shared data folder
(``SIDELINE_SHARED_DATA``, default ``../shared/data``); a test skips when it is missing."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from sideline.analytics.motorsport import Delta, SessionState
from sideline.ingest.f1 import Recording, read_recording


def shared_data() -> Path:
    return Path(os.environ.get("SIDELINE_SHARED_DATA", Path(__file__).resolve().parents[2] / "../shared/data"))


def f1_folder(name: str) -> Path:
    folder = shared_data() / "motorsport" / "f1" / name
    if not folder.is_dir():
        pytest.skip(f"F1 recording not found at {folder} (set SIDELINE_SHARED_DATA)")
    return folder


def f1db(*parts: str) -> Any:
    path = shared_data() / "motorsport" / "f1" / "f1db" / "seasons" / Path(*parts)
    if not path.is_file():
        pytest.skip(f"f1db file not found at {path} (set SIDELINE_SHARED_DATA)")
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def f1db_seconds(text: str | None) -> float | None:
    """f1db's "1:43:44.291" / "+2.460" / "+1:00.621" in seconds."""
    if not text:
        return None
    total = 0.0
    for part in str(text).lstrip("+").split(":"):
        total = total * 60 + float(part)
    return round(total, 3)


@dataclasses.dataclass
class Replay:
    recording: Recording
    state: SessionState
    deltas: list[Delta]
    messages: int


def replay(folder: Path) -> Replay:
    recording = read_recording(folder)
    state = SessionState()
    deltas: list[Delta] = []
    messages = 0
    for message in recording:
        deltas.extend(state.apply(message))
        messages += 1
    deltas.extend(state.finish())
    return Replay(recording, state, deltas, messages)
