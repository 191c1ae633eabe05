"""Publish/subscribe with per-channel sequence numbers and a bounded replay buffer.

Contract shared by both backends (``MemoryPubSub`` here, ``RedisPubSub`` for several processes):

- ``publish(channel, event, data) -> seq`` is synchronous and thread-safe (jobs call it from
  worker threads and Celery workers). Sequence numbers are per channel, start at 1 and strictly
  increase.
- ``subscribe(channel, since)`` returns a ``Subscription``; iterate it (on an event loop) for
  ``Message`` items. With ``since=None`` it delivers only messages published after it opened;
  with ``since=N`` it first replays the buffered messages with ``seq > N``, then live ones, with
  no gap and no duplicate at the seam. ``Subscription.seq`` is the latest seq when it opened.
- The replay buffer holds the last ``buffer_size`` messages of a channel that are younger than
  ``buffer_seconds``. When messages a subscriber needs are gone, it gets a ``Gap`` instead:
  "you missed messages up to ``gap.seq``; reload your state; later messages have seq > gap.seq".
  Reasons: ``expired`` (``since`` is older than the buffer), ``reset`` (``since`` is ahead of the
  channel: its sequence restarted, e.g. a restart of the memory backend), ``overflow`` (this
  subscriber fell more than ``max_pending`` messages behind; a slow consumer never blocks the
  publisher or the other subscribers).

A ``Subscription`` must be closed (``async with`` or ``aclose()``) to unregister it.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import functools
import json
import re
import threading
import time
from typing import Any, Protocol

DEFAULT_BUFFER_SIZE = 1000
DEFAULT_BUFFER_SECONDS = 3600.0
DEFAULT_MAX_PENDING = 1000

CHANNEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$")


def check_channel(channel: str) -> str:
    if not isinstance(channel, str) or not CHANNEL_RE.match(channel):
        raise ValueError(f"invalid channel name {channel!r}: use 1-200 of A-Z a-z 0-9 : . _ -")
    return channel


@dataclasses.dataclass(frozen=True)
class Message:
    channel: str
    seq: int
    event: str
    data: Any

    def as_dict(self) -> dict:
        return {"type": "event", "channel": self.channel, "seq": self.seq, "event": self.event, "data": self.data}

    @functools.cached_property
    def frame(self) -> str:
        """The WebSocket text frame, encoded once however many subscribers receive it."""
        return json.dumps(self.as_dict(), separators=(",", ":"))


@dataclasses.dataclass(frozen=True)
class Gap:
    channel: str
    seq: int
    reason: str  # "expired" | "reset" | "overflow"

    def as_dict(self) -> dict:
        return {"type": "gap", "channel": self.channel, "seq": self.seq, "reason": self.reason}

    @functools.cached_property
    def frame(self) -> str:
        return json.dumps(self.as_dict(), separators=(",", ":"))


def replay_plan(since: int | None, latest: int, entries: list[tuple[int, float]], buffer_size: int,
                oldest_allowed: float) -> str | None:
    """Whether buffered ``entries`` (``(seq, published_at)`` with seq > since, oldest first)
    cover everything after ``since``; returns None if so, else the gap reason."""
    if since is None or since == latest:
        return None
    if since > latest:
        return "reset"
    if latest - since > buffer_size or len(entries) != latest - since:
        return "expired"
    first_seq, first_time = entries[0]
    if first_seq != since + 1 or first_time < oldest_allowed:
        return "expired"
    return None


class Subscription:
    """One subscriber's view of a channel. Backends call ``_start``, ``_deliver`` and
    ``_deliver_gap`` on the subscriber's event loop only, so no lock is needed here."""

    def __init__(self, backend: Any, channel: str, since: int | None, max_pending: int):
        if since is not None and (isinstance(since, bool) or not isinstance(since, int) or since < 0):
            raise ValueError("since must be a non-negative integer or None")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.channel = check_channel(channel)
        self.since = since
        self.seq: int | None = None  # latest seq of the channel when the subscription opened
        self.loop: asyncio.AbstractEventLoop | None = None
        self._backend = backend
        self._max_pending = max_pending
        self._backlog: collections.deque[Message] = collections.deque()
        self._live: collections.deque[Message] = collections.deque()
        self._gap: Gap | None = None
        self._floor: int | None = None  # highest seq already queued (or skipped by a gap); None before start
        self._waiter: asyncio.Future | None = None
        self._state = "new"

    # Consumer side ------------------------------------------------------------------------
    async def open(self) -> "Subscription":
        if self._state == "new":
            self._state = "opening"
            self.loop = asyncio.get_running_loop()
            try:
                await self._backend._open(self)
            except BaseException:
                self._state = "closed"
                self._backend._close(self)
                raise
            if self._state == "opening":
                self._state = "open"
        elif self._state == "opening":
            raise RuntimeError("Subscription.open() is already in progress")
        return self

    async def aclose(self) -> None:
        if self._state != "closed":
            self._state = "closed"
            self._backend._close(self)
            self._wake()

    async def __aenter__(self) -> "Subscription":
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> "Subscription":
        return self

    async def __anext__(self) -> Message | Gap:
        if self._state == "new":
            await self.open()
        while True:
            if self._gap is not None:
                gap, self._gap = self._gap, None
                return gap
            if self._backlog:
                return self._backlog.popleft()
            if self._live:
                return self._live.popleft()
            if self._state == "closed":
                raise StopAsyncIteration
            assert self.loop is not None
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    @property
    def pending(self) -> int:
        return len(self._backlog) + len(self._live)

    # Backend side (on the subscriber's loop) ----------------------------------------------
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _start(self, latest: int, backlog: list[Message], gap_reason: str | None) -> None:
        self.seq = latest
        if gap_reason is not None:
            self._gap = Gap(self.channel, latest, gap_reason)
            backlog = []
        elif self._gap is not None:  # overflowed while opening (very unlikely): resync past both
            self._gap = Gap(self.channel, max(latest, self._gap.seq), "overflow")
            backlog = []
        floor = self._gap.seq if self._gap is not None else latest
        # Live messages that arrived while opening may repeat the backlog: drop those.
        self._live = collections.deque(m for m in self._live if m.seq > floor)
        self._backlog.extend(backlog)
        self._floor = self._live[-1].seq if self._live else floor
        self._wake()

    def _deliver(self, message: Message) -> None:
        if self._state == "closed" or (self._floor is not None and message.seq <= self._floor):
            return
        if len(self._live) >= self._max_pending:
            # A slow consumer: drop what it has not read and tell it to resync.
            self._live.clear()
            self._backlog.clear()
            self._gap = Gap(self.channel, message.seq, "overflow")
        else:
            self._live.append(message)
        if self._floor is not None:
            self._floor = message.seq
        self._wake()

    def _deliver_gap(self, seq: int, reason: str) -> None:
        """Messages up to ``seq`` cannot be delivered (reported by a backend's reader)."""
        if self._state == "closed":
            return
        if reason != "reset" and self._floor is not None and seq <= self._floor:
            return  # this subscriber already has them (from its replay)
        self._live.clear()
        self._backlog.clear()
        self._gap = Gap(self.channel, seq, reason)
        if self._floor is not None:
            self._floor = seq
        self._wake()

    def _end(self) -> None:
        """The backend is shutting down: end iteration after what is queued."""
        self._state = "closed"
        self._wake()


class PubSub(Protocol):
    def publish(self, channel: str, event: str, data: Any) -> int: ...
    def latest_seq(self, channel: str) -> int: ...
    def subscribe(self, channel: str, since: int | None = None, *, max_pending: int | None = None) -> Subscription: ...
    def close(self) -> None: ...


def _fan_out(subscriptions: tuple[Subscription, ...], message: Message) -> None:
    for subscription in subscriptions:
        subscription._deliver(message)


class MemoryPubSub:
    """One process: a bounded deque per channel; delivery to each subscriber's event loop."""

    def __init__(self, buffer_size: int = DEFAULT_BUFFER_SIZE, buffer_seconds: float = DEFAULT_BUFFER_SECONDS,
                 max_pending: int = DEFAULT_MAX_PENDING):
        self.buffer_size = buffer_size
        self.buffer_seconds = buffer_seconds
        self.max_pending = max_pending
        self._lock = threading.Lock()
        self._seq: dict[str, int] = {}
        self._buffers: dict[str, collections.deque[tuple[float, Message]]] = {}
        self._subscribers: dict[str, dict[asyncio.AbstractEventLoop, set[Subscription]]] = {}

    def publish(self, channel: str, event: str, data: Any) -> int:
        check_channel(channel)
        now = time.monotonic()
        with self._lock:
            seq = self._seq.get(channel, 0) + 1
            self._seq[channel] = seq
            message = Message(channel, seq, event, data)
            buffer = self._buffers.get(channel)
            if buffer is None:
                buffer = self._buffers[channel] = collections.deque(maxlen=self.buffer_size)
            buffer.append((now, message))
            while buffer and buffer[0][0] < now - self.buffer_seconds:
                buffer.popleft()
            # Scheduled under the lock so each loop receives messages in seq order even when
            # several threads publish at once.
            by_loop = self._subscribers.get(channel)
            if by_loop:
                for loop, subscriptions in list(by_loop.items()):
                    try:
                        loop.call_soon_threadsafe(_fan_out, tuple(subscriptions), message)
                    except RuntimeError:  # that loop has closed; its subscribers are gone
                        del by_loop[loop]
        return seq

    def latest_seq(self, channel: str) -> int:
        with self._lock:
            return self._seq.get(channel, 0)

    def subscribe(self, channel: str, since: int | None = None, *, max_pending: int | None = None) -> Subscription:
        return Subscription(self, channel, since, max_pending or self.max_pending)

    async def _open(self, subscription: Subscription) -> None:
        channel, since = subscription.channel, subscription.since
        with self._lock:
            latest = self._seq.get(channel, 0)
            buffered = [(t, m) for t, m in self._buffers.get(channel, ()) if since is not None and m.seq > since]
            reason = replay_plan(since, latest, [(m.seq, t) for t, m in buffered], self.buffer_size,
                                 time.monotonic() - self.buffer_seconds)
            assert subscription.loop is not None
            self._subscribers.setdefault(channel, {}).setdefault(subscription.loop, set()).add(subscription)
        # No await between registering and starting: fan-out callbacks run on this loop later.
        subscription._start(latest, [m for _, m in buffered], reason)

    def _close(self, subscription: Subscription) -> None:
        with self._lock:
            by_loop = self._subscribers.get(subscription.channel, {})
            subscriptions = by_loop.get(subscription.loop)  # type: ignore[arg-type]
            if subscriptions is not None:
                subscriptions.discard(subscription)
                if not subscriptions:
                    del by_loop[subscription.loop]  # type: ignore[arg-type]
            if not by_loop:
                self._subscribers.pop(subscription.channel, None)

    def close(self) -> None:
        with self._lock:
            everyone = [(loop, tuple(subs)) for by_loop in self._subscribers.values() for loop, subs in by_loop.items()]
            self._subscribers.clear()
        for loop, subscriptions in everyone:
            for subscription in subscriptions:
                try:
                    loop.call_soon_threadsafe(subscription._end)
                except RuntimeError:
                    pass
