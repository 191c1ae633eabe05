"""Replay pacing: yield recorded messages at 1x-100x of their own timestamps, or as fast as
possible (``speed=None``, for tests and benchmarks).

The clock anchors feed time to the wall clock at the first message and sleeps until each
message is due; changing ``speed`` mid-replay re-anchors at the current message, so the
replay never jumps. ``max_gap_s`` optionally shortens long silences (pre-race, red flags,
a stalled recording) to that many feed seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable

from sideline.core.timing import FeedMessage
from sideline.errors import InvalidInput

MIN_SPEED, MAX_SPEED = 1.0, 100.0


class ReplayClock:
    def __init__(
        self,
        speed: float | None = 1.0,
        *,
        max_gap_s: float | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._speed = self._checked(speed)
        self.max_gap_s = max_gap_s
        self._sleep = sleep
        self._monotonic = monotonic
        self._anchor: tuple[float, float] | None = None  # (wall time, feed time)
        self._last_t: float | None = None  # feed time of the previous message
        self._last_feed_t: float | None = None  # the same, less the skipped silences
        self._skipped = 0.0  # feed seconds removed by max_gap_s

    @staticmethod
    def _checked(speed: float | None) -> float | None:
        if speed is not None and not (MIN_SPEED <= speed <= MAX_SPEED):
            raise InvalidInput(f"replay speed {speed}: must be between {MIN_SPEED:g}x and {MAX_SPEED:g}x")
        return speed

    @property
    def speed(self) -> float | None:
        return self._speed

    @speed.setter
    def speed(self, speed: float | None) -> None:
        self._speed = self._checked(speed)
        self._anchor = None  # re-anchor at the next message

    async def pace(self, messages: Iterable[FeedMessage] | AsyncIterable[FeedMessage]) -> AsyncIterator[FeedMessage]:
        if isinstance(messages, AsyncIterable):
            async for message in messages:
                await self._wait_for(message.t)
                yield message
        else:
            for message in messages:
                await self._wait_for(message.t)
                yield message

    async def _wait_for(self, t: float) -> None:
        if self._last_t is not None and self.max_gap_s is not None and t - self._last_t > self.max_gap_s:
            self._skipped += t - self._last_t - self.max_gap_s
        feed_t = t - self._skipped
        previous = self._last_feed_t
        self._last_t, self._last_feed_t = t, feed_t
        if self._speed is None:
            return
        if self._anchor is None:
            self._anchor = (self._monotonic(), feed_t if previous is None else previous)
        wall0, feed0 = self._anchor
        delay = wall0 + (feed_t - feed0) / self._speed - self._monotonic()
        if delay > 0.001:
            await self._sleep(delay)
