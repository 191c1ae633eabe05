"""Pub/sub across processes on Redis Streams, with the contract of ``sideline.live.pubsub``.

Per channel two keys (hash-tagged so they share a cluster slot):
``<ns>:ps:{<channel>}:seq`` (an INCR counter, kept) and ``<ns>:ps:{<channel>}:stream`` (the replay
buffer: ``XADD MAXLEN ~ buffer_size``, expiring ``buffer_seconds`` after the last publish).
A Lua script increments the counter and appends the entry in one atomic step, so stream order
and seq order agree. Replay reads the counter and the newest entries atomically (another script)
and checks they are complete and young enough; otherwise the subscriber gets a ``Gap``.

Delivery: per event loop and channel, one reader task runs ``XREAD BLOCK`` from the stream and
fans each entry out to that loop's local subscribers, so a process holds one Redis connection
per active channel, not one per WebSocket. The reader's start position is fixed before a new
subscriber reads its replay, and the replay is read after the subscriber is registered, so
between them nothing is missed; repeats are dropped by seq. A reader that sees seq jump
(entries trimmed before it read them, e.g. after a long Redis outage) sends a ``Gap``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import weakref
from typing import Any

import redis
import redis.asyncio as aioredis

from sideline.live.pubsub import (DEFAULT_BUFFER_SECONDS, DEFAULT_BUFFER_SIZE, DEFAULT_MAX_PENDING, Message,
                                  Subscription, check_channel, replay_plan)

log = logging.getLogger(__name__)

# KEYS: counter, stream. ARGV: maxlen, ttl_ms, event, data (JSON).
PUBLISH_LUA = """
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 's', seq, 'e', ARGV[3], 'd', ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return seq
"""

# KEYS: counter, stream. ARGV: since (-1: none), buffer_size.
# Returns {latest, now_ms, entries newest first (only when a replay is possible at all)}.
REPLAY_LUA = """
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[1])
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if since < 0 or since >= latest or latest - since > tonumber(ARGV[2]) then
  return {latest, now_ms, {}}
end
return {latest, now_ms, redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', latest - since)}
"""

# KEYS: counter, stream. Returns {latest seq, id of the newest entry or 0-0}.
READER_START_LUA = """
local latest = tonumber(redis.call('GET', KEYS[1]) or '0')
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #last > 0 then return {latest, last[1][1]} end
return {latest, '0-0'}
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _decode_entry(channel: str, fields: dict | list) -> Message:
    # XREAD replies come parsed into a dict; entries returned by a Lua script are a flat list.
    pairs = fields.items() if isinstance(fields, dict) else zip(fields[::2], fields[1::2])
    get = {_text(k): v for k, v in pairs}
    return Message(channel, int(get["s"]), _text(get["e"]), json.loads(get["d"]))


def _entry_ms(entry_id: bytes | str) -> int:
    return int(_text(entry_id).split("-", 1)[0])


class _Reader:
    """The XREAD loop of one channel on one event loop, and that loop's subscribers to it."""

    def __init__(self, channel: str):
        self.channel = channel
        self.subscriptions: set[Subscription] = set()
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task | None = None


class _LoopState:
    """One event loop's Redis clients: each reader holds a connection in XREAD BLOCK, so readers
    get their own pool (one connection per active channel); the short replay reads share a
    small pool that waits for a free connection instead of failing during a reconnect storm."""

    def __init__(self, url: str, block_ms: int):
        # The socket timeout must outlast XREAD BLOCK (redis-py's default is 5 s).
        self.reader_client = aioredis.Redis(connection_pool=aioredis.ConnectionPool.from_url(
            url, max_connections=100_000, socket_timeout=block_ms / 1000 + 10))
        self.client = aioredis.Redis(connection_pool=aioredis.BlockingConnectionPool.from_url(
            url, max_connections=20, timeout=30))
        self.replay = self.client.register_script(REPLAY_LUA)
        self.reader_start = self.client.register_script(READER_START_LUA)
        self.readers: dict[str, _Reader] = {}
        self.closing: asyncio.Task | None = None


class RedisPubSub:
    def __init__(self, url: str, namespace: str = "sideline", *, buffer_size: int = DEFAULT_BUFFER_SIZE,
                 buffer_seconds: float = DEFAULT_BUFFER_SECONDS, max_pending: int = DEFAULT_MAX_PENDING,
                 block_ms: int = 5000):
        self.url = url
        self.namespace = namespace
        self.buffer_size = buffer_size
        self.buffer_seconds = buffer_seconds
        self.max_pending = max_pending
        self.block_ms = block_ms
        self._redis = redis.Redis.from_url(url)  # thread-safe: a connection pool
        self._publish = self._redis.register_script(PUBLISH_LUA)
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState] = weakref.WeakKeyDictionary()
        self._loops_lock = threading.Lock()
        self._closed = False
        self._closing: set[asyncio.Task] = set()

    def _keys(self, channel: str) -> list[str]:
        base = f"{self.namespace}:ps:{{{channel}}}"
        return [f"{base}:seq", f"{base}:stream"]

    # Publishing (any thread, any process) ---------------------------------------------------
    def publish(self, channel: str, event: str, data: Any) -> int:
        check_channel(channel)
        payload = json.dumps(data, separators=(",", ":"))
        return int(self._publish(keys=self._keys(channel),
                                 args=[self.buffer_size, int(self.buffer_seconds * 1000), event, payload]))

    def latest_seq(self, channel: str) -> int:
        value = self._redis.get(self._keys(check_channel(channel))[0])
        return int(value) if value else 0

    # Subscribing (on an event loop) ------------------------------------------------------------
    def subscribe(self, channel: str, since: int | None = None, *, max_pending: int | None = None) -> Subscription:
        return Subscription(self, channel, since, max_pending or self.max_pending)

    def _loop_state(self, loop: asyncio.AbstractEventLoop) -> _LoopState:
        with self._loops_lock:
            state = self._loops.get(loop)
            if state is None:
                state = self._loops[loop] = _LoopState(self.url, self.block_ms)
            return state

    async def _open(self, subscription: Subscription) -> None:
        if self._closed:
            raise RuntimeError("RedisPubSub is closed")
        channel, since = subscription.channel, subscription.since
        assert subscription.loop is not None
        state = self._loop_state(subscription.loop)
        reader = state.readers.get(channel)
        if reader is None:
            reader = state.readers[channel] = _Reader(channel)
            reader.task = subscription.loop.create_task(self._run_reader(state, reader),
                                                        name=f"sideline-pubsub-reader:{channel}")
        # Registered before the replay is read: whatever the reader fans out from now on
        # reaches this subscriber, and whatever it fanned out before is in the replay.
        reader.subscriptions.add(subscription)
        await asyncio.shield(reader.ready)
        latest, now_ms, entries = await state.replay(keys=self._keys(channel),
                                                     args=[-1 if since is None else since, self.buffer_size])
        latest = int(latest)
        messages = [_decode_entry(channel, fields) for _, fields in reversed(entries)]
        reason = replay_plan(since, latest, [(m.seq, _entry_ms(entry_id)) for m, (entry_id, _) in
                                             zip(messages, reversed(entries))],
                             self.buffer_size, int(now_ms) - self.buffer_seconds * 1000)
        subscription._start(latest, messages, reason)

    def _close(self, subscription: Subscription) -> None:
        loop = subscription.loop
        state = self._loops.get(loop) if loop is not None else None
        reader = state.readers.get(subscription.channel) if state is not None else None
        if reader is None:
            return
        reader.subscriptions.discard(subscription)
        if not reader.subscriptions:
            self._drop_reader(state, reader)

    def _drop_reader(self, state: _LoopState, reader: _Reader) -> None:
        """Stop a reader (on its loop); the loop's Redis client goes with its last reader."""
        if state.readers.get(reader.channel) is reader:
            del state.readers[reader.channel]
        if reader.task is not None and not reader.task.done():
            reader.task.cancel()
        if not state.readers and state.closing is None:
            with self._loops_lock:
                for loop, candidate in list(self._loops.items()):
                    if candidate is state:
                        del self._loops[loop]
            state.closing = asyncio.get_running_loop().create_task(self._close_client(state))
            self._closing.add(state.closing)
            state.closing.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_client(state: _LoopState) -> None:
        for client in (state.reader_client, state.client):
            try:
                await client.aclose(close_connection_pool=True)
            except Exception:
                log.debug("closing a pub/sub Redis client failed", exc_info=True)

    async def _run_reader(self, state: _LoopState, reader: _Reader) -> None:
        keys = self._keys(reader.channel)
        stream = keys[1]
        backoff = 0.2
        try:
            while True:  # the start position must be known before any subscriber reads its replay
                try:
                    last_seq, cursor = await state.reader_start(keys=keys)
                    last_seq = int(last_seq)
                    break
                except redis.RedisError as exc:
                    log.warning("pub/sub reader for %s cannot start: %s; retrying", reader.channel, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
            reader.ready.set_result(None)
            while reader.subscriptions:
                try:
                    response = await state.reader_client.xread({stream: cursor}, count=1000, block=self.block_ms)
                    backoff = 0.2
                except redis.RedisError as exc:
                    log.warning("pub/sub reader for %s lost Redis: %s; retrying", reader.channel, exc)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
                    continue
                streams = response.items() if isinstance(response, dict) else (response or ())
                for _, entries in streams:
                    for entry_id, fields in entries:
                        cursor = entry_id
                        message = _decode_entry(reader.channel, fields)
                        if message.seq != last_seq + 1:
                            # Entries trimmed before we read them, or the counter restarted.
                            reason = "reset" if message.seq <= last_seq else "expired"
                            for subscription in tuple(reader.subscriptions):
                                subscription._deliver_gap(message.seq - 1, reason)
                        last_seq = message.seq
                        for subscription in tuple(reader.subscriptions):
                            subscription._deliver(message)
        except asyncio.CancelledError:
            pass
        except Exception:  # a bug, not Redis: end the subscriptions rather than hang them
            log.exception("pub/sub reader for %s failed", reader.channel)
            for subscription in tuple(reader.subscriptions):
                subscription._end()
        finally:
            if not reader.ready.done():
                reader.ready.set_exception(RuntimeError(f"pub/sub reader for {reader.channel} stopped"))
                reader.ready.exception()  # mark retrieved: subscribers waiting on it see it themselves
            self._drop_reader(state, reader)

    def close(self) -> None:
        """End every subscription and reader (from any thread), then the publishing client."""
        self._closed = True
        with self._loops_lock:
            states = list(self._loops.items())
        for loop, state in states:
            try:
                loop.call_soon_threadsafe(self._shutdown_loop, state)
            except RuntimeError:  # that loop has closed already
                pass
        self._redis.close()

    async def aclose(self) -> None:
        """``close()``, then wait (on the current loop) until its Redis connections are closed."""
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        readers = [r.task for r in state.readers.values() if r.task is not None] if state else []
        self.close()
        await asyncio.sleep(0)  # let _shutdown_loop run
        pending = readers + [t for t in self._closing if t.get_loop() is loop]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    def _shutdown_loop(self, state: _LoopState) -> None:
        for reader in list(state.readers.values()):
            for subscription in tuple(reader.subscriptions):
                subscription._end()
            if not reader.ready.done():
                reader.ready.set_exception(RuntimeError("RedisPubSub is closed"))
                reader.ready.exception()
            self._drop_reader(state, reader)
