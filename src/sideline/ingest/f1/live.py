"""A live F1 feed: raw lines from any transport (a SignalR client, a socket, a test) as
``FeedMessage``s, through the same ``FeedParser`` a recording uses.

Each item of ``lines`` is either a SignalR line (``str``/``bytes``: a ``[stream, data, utc]``
triple or a hub frame) or a ``(stream, jsonStream line)`` pair, so a recording can be pushed
through this path unchanged (``recording_lines``).

Failure policy, all counted in the parser's ``counters`` and logged, never raised:
bad lines are skipped; a message older than one already released is ``out_of_order`` (held
back and sorted when within ``reorder_window_s``, otherwise released late); no line for
``stall_after_s`` of wall-clock time is a stall (logged when it starts and when it ends).
The stream ends when the transport's iterator ends.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from pathlib import Path

from sideline.core.timing import FeedMessage
from sideline.ingest.f1.parsing import FeedParser
from sideline.ingest.f1.recording import DEFAULT_STALL_AFTER_S, Recording

log = logging.getLogger(__name__)

RawLine = str | bytes | tuple[str, str | bytes]


class ReorderBuffer:
    """Holds messages ``window_s`` of feed time so small reorderings come out sorted."""

    def __init__(self, counters: Counter[str], window_s: float = 0.0):
        self.counters = counters
        self.window_s = window_s
        self._heap: list[tuple[float, int, FeedMessage]] = []
        self._tie = itertools.count()
        self._newest = float("-inf")
        self._released = float("-inf")

    def push(self, message: FeedMessage) -> list[FeedMessage]:
        if message.t < self._newest:
            self.counters["out_of_order"] += 1
        if message.t < self._released:
            # Beyond the window: released as is; SignalR deltas carry current values, so the
            # next update of the same field repairs whatever this one makes stale.
            self.counters["out_of_order_released_late"] += 1
            return [message]
        self._newest = max(self._newest, message.t)
        heapq.heappush(self._heap, (message.t, next(self._tie), message))
        return self._release(self._newest - self.window_s)

    def flush(self) -> list[FeedMessage]:
        return self._release(float("inf"))

    def _release(self, up_to: float) -> list[FeedMessage]:
        out = []
        while self._heap and self._heap[0][0] <= up_to:
            t, _, message = heapq.heappop(self._heap)
            self._released = t
            out.append(message)
        return out


async def live_messages(
    lines: AsyncIterable[RawLine],
    *,
    parser: FeedParser | None = None,
    reorder_window_s: float = 0.0,
    stall_after_s: float = DEFAULT_STALL_AFTER_S,
    monotonic: Callable[[], float] = time.monotonic,
) -> AsyncIterator[FeedMessage]:
    """Parse raw live lines as they arrive; see the module docstring for the failure policy."""
    parser = parser or FeedParser()
    counters = parser.counters
    reorder = ReorderBuffer(counters, reorder_window_s)
    # A reader task drains the transport into a bounded queue, so waiting with a timeout
    # (stall detection) never cancels the transport's own iterator mid-step.
    queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
    reader = asyncio.ensure_future(_drain(lines, queue))
    try:
        while True:
            try:
                raw = queue.get_nowait()
            except asyncio.QueueEmpty:
                raw = await _wait_noting_stalls(queue, counters, stall_after_s, monotonic)
            if raw is _END:
                break
            if isinstance(raw, _Failed):
                raise raw.error
            for message in _parse(parser, raw):
                for ready in reorder.push(message):
                    yield ready
        for ready in reorder.flush():
            yield ready
    finally:
        reader.cancel()


QUEUE_SIZE = 10_000
_END = object()


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


async def _drain(lines: AsyncIterable[RawLine], queue: asyncio.Queue) -> None:
    try:
        async for raw in lines:
            await queue.put(raw)
    except Exception as exc:  # the transport broke: hand its error to the consumer
        await queue.put(_Failed(exc))
        return
    await queue.put(_END)


async def _wait_noting_stalls(
    queue: asyncio.Queue, counters: Counter[str], stall_after_s: float, monotonic: Callable[[], float]
) -> object:
    silent_since = monotonic()
    stalled = False
    while True:
        try:
            raw = await asyncio.wait_for(queue.get(), timeout=stall_after_s)
        except TimeoutError:
            if not stalled:  # count each silence once, however long it lasts
                stalled = True
                counters["stalls"] += 1
                log.warning("F1 live feed: no line for %.0f s; waiting", stall_after_s)
            continue
        if stalled:
            log.warning("F1 live feed: resumed after %.1f s of silence", monotonic() - silent_since)
        return raw


def _parse(parser: FeedParser, raw: RawLine) -> Iterable[FeedMessage]:
    if isinstance(raw, tuple):
        message = parser.parse_stream_line(raw[0], raw[1])
        return () if message is None else (message,)
    return parser.parse_signalr_line(raw)


async def recording_lines(folder: str | Path) -> AsyncIterator[tuple[str, bytes]]:
    """A recording's raw lines as ``(stream, line)`` pairs in time order, as a transport
    would deliver them, for pushing a recording through ``live_messages``."""
    recording = Recording(folder)
    per_stream = [_keyed_lines(stream, path) for stream, path in recording.files.items()]
    # The fixed-width "HH:MM:SS.mmm" prefix sorts as text, so the raw lines merge unparsed.
    for _, stream, line in heapq.merge(*per_stream, key=lambda item: item[0]):
        yield stream, line


def _keyed_lines(stream: str, path: Path) -> Iterable[tuple[bytes, str, bytes]]:
    return [(line.lstrip(b"\xef\xbb\xbf")[:12], stream, line) for line in path.read_bytes().splitlines()]
