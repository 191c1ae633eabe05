"""Publish/subscribe with per-channel sequence numbers and a replay buffer.

``publish`` is synchronous and thread-safe (jobs call it from worker threads);
subscribers are asyncio consumers (WebSocket handlers). A subscriber that passes ``since``
first receives the buffered messages with a higher sequence number, so a client that
reconnects misses nothing that is still in the buffer.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import threading
from collections.abc import AsyncIterator
from typing import Any, Protocol


@dataclasses.dataclass(frozen=True)
class Message:
    channel: str
    seq: int
    event: str
    data: Any

    def as_dict(self) -> dict:
        return {"type": "event", "channel": self.channel, "seq": self.seq, "event": self.event, "data": self.data}


class PubSub(Protocol):
    def publish(self, channel: str, event: str, data: Any) -> int: ...
    def latest_seq(self, channel: str) -> int: ...
    def subscribe(self, channel: str, since: int | None = None) -> AsyncIterator[Message]: ...
    def close(self) -> None: ...


class MemoryPubSub:
    """One process: a deque per channel and an asyncio queue per subscriber."""

    def __init__(self, buffer_size: int = 1000):
        self._buffer_size = buffer_size
        self._lock = threading.Lock()
        self._seq: dict[str, int] = collections.defaultdict(int)
        self._buffers: dict[str, collections.deque[Message]] = {}
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = collections.defaultdict(set)

    def publish(self, channel: str, event: str, data: Any) -> int:
        with self._lock:
            self._seq[channel] += 1
            message = Message(channel, self._seq[channel], event, data)
            self._buffers.setdefault(channel, collections.deque(maxlen=self._buffer_size)).append(message)
            subscribers = list(self._subscribers.get(channel, ()))
        for loop, queue in subscribers:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, message)
            except RuntimeError:  # the subscriber's loop has closed
                pass
        return message.seq

    def latest_seq(self, channel: str) -> int:
        with self._lock:
            return self._seq.get(channel, 0)

    async def subscribe(self, channel: str, since: int | None = None) -> AsyncIterator[Message]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Message] = asyncio.Queue()
        entry = (loop, queue)
        with self._lock:
            backlog = [m for m in self._buffers.get(channel, ()) if since is not None and m.seq > since]
            last = backlog[-1].seq if backlog else (since if since is not None else self._seq.get(channel, 0))
            self._subscribers[channel].add(entry)
        try:
            for message in backlog:
                yield message
            while True:
                message = await queue.get()
                if message.seq <= last:
                    continue  # already sent from the backlog
                last = message.seq
                yield message
        finally:
            with self._lock:
                self._subscribers[channel].discard(entry)

    def close(self) -> None:
        pass
