"""A recorded F1 session folder (one ``<Stream>.jsonStream`` file per stream) as one
time-ordered stream of ``FeedMessage``s: each file parsed line by line through
``FeedParser`` (the same path live lines take), then k-way merged by session time.

What the reader tolerates, each counted in ``Recording.counters`` and logged:

- bad lines (encoding, timestamp, JSON, compressed payload): skipped, counted by reason;
- timestamps that go backwards inside a file (``out_of_order``): the file is sorted by time
  (stably, so equal stamps keep their order) before merging;
- expected streams with no file (``missing_stream``): the session runs without them;
- a silent stretch longer than ``stall_after_s`` between consecutive messages (``stalls``,
  with each gap in ``Recording.stalls``): replayed as it was.

Only a folder that does not exist or holds no ``.jsonStream`` file raises ``InvalidInput``.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from sideline.core.timing import FeedMessage
from sideline.errors import InvalidInput
from sideline.ingest.f1.parsing import FeedParser

log = logging.getLogger(__name__)

SUFFIX = ".jsonStream"
# The streams a race needs, in the order equal timestamps are merged (drivers before timing).
EXPECTED_STREAMS = (
    "SessionInfo",
    "SessionStatus",
    "DriverList",
    "TimingAppData",
    "TimingData",
    "LapCount",
    "TrackStatus",
    "RaceControlMessages",
)
# Longer than any regular silence of a live session (WeatherData and Heartbeat come every
# 60 s even when nothing else moves), shorter than a broken connection.
DEFAULT_STALL_AFTER_S = 120.0


class StallDetector:
    """Counts gaps longer than ``threshold_s`` between consecutive message times."""

    def __init__(self, counters: Counter[str], threshold_s: float = DEFAULT_STALL_AFTER_S):
        self.counters = counters
        self.threshold_s = threshold_s
        self.stalls: list[tuple[float, float]] = []  # (time the feed went silent, seconds silent)
        self._last: float | None = None

    def observe(self, t: float) -> None:
        if self._last is not None and t - self._last > self.threshold_s:
            self.counters["stalls"] += 1
            self.stalls.append((self._last, t - self._last))
            log.warning("F1 feed: no message for %.1f s after t=%.3f; resumed", t - self._last, self._last)
        if self._last is None or t > self._last:
            self._last = t


class Recording:
    """Iterate a session folder's messages in time order; re-iterable; counts problems."""

    def __init__(self, folder: str | Path, *, stall_after_s: float = DEFAULT_STALL_AFTER_S):
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InvalidInput(f"F1 recording {self.folder.name!r}: folder not found")
        files = {p.name[: -len(SUFFIX)]: p for p in self.folder.iterdir() if p.name.endswith(SUFFIX)}
        if not files:
            raise InvalidInput(f"F1 recording {self.folder.name!r}: no {SUFFIX} files in the folder")
        order = {name: i for i, name in enumerate(EXPECTED_STREAMS)}
        self.files = dict(sorted(files.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])))
        self.missing_streams = [s for s in EXPECTED_STREAMS if s not in files]
        self.stall_after_s = stall_after_s
        self.parser = FeedParser()
        self.counters: Counter[str] = self.parser.counters
        self.stalls: list[tuple[float, float]] = []

    @property
    def streams(self) -> list[str]:
        return [name.removesuffix(".z") for name in self.files]

    def __iter__(self) -> Iterator[FeedMessage]:
        self.counters.clear()
        for stream in self.missing_streams:
            self.counters["missing_stream"] += 1
            log.warning("F1 recording %s: no %s%s file; running without it", self.folder.name, stream, SUFFIX)
        per_stream = [self._read(stream, path) for stream, path in self.files.items()]
        stalls = StallDetector(self.counters, self.stall_after_s)
        self.stalls = stalls.stalls
        for message in heapq.merge(*per_stream, key=_time):
            stalls.observe(message.t)
            yield message

    def _read(self, stream: str, path: Path) -> list[FeedMessage]:
        messages = []
        latest = float("-inf")
        backwards = 0
        for lineno, line in enumerate(path.read_bytes().splitlines(), start=1):
            message = self.parser.parse_stream_line(stream, line, source=f"{path.name} line {lineno}")
            if message is None:
                continue
            if message.t < latest:
                backwards += 1
            else:
                latest = message.t
            messages.append(message)
        if backwards:
            self.counters["out_of_order"] += backwards
            log.warning("F1 recording %s: %d lines out of time order; sorted", path.name, backwards)
            messages.sort(key=_time)
        return messages


def _time(message: FeedMessage) -> float:
    return message.t


def read_recording(folder: str | Path, *, stall_after_s: float = DEFAULT_STALL_AFTER_S) -> Recording:
    """A session folder as an iterable of time-ordered ``FeedMessage``s (see ``Recording``)."""
    return Recording(folder, stall_after_s=stall_after_s)
