"""Token-bucket rate limiting per user, API key, or (for anonymous endpoints) IP and email.

Two interchangeable backends with the same ``hit()``: memory (one process, the embedded
default) and Redis (shared by every API process) when ``SIDELINE_REDIS_URL`` is set.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from redis.exceptions import RedisError

from sideline.settings import Settings

log = logging.getLogger(__name__)


class MemoryRateLimiter:
    # Past this many buckets, full ones are dropped (they are equivalent to a missing bucket).
    PRUNE_ABOVE = 10_000

    def __init__(self, rate_per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate_per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float, float, float]] = {}  # tokens, updated, rate, capacity
        self._lock = threading.Lock()

    def hit(self, key: str, *, rate_per_minute: float | None = None, burst: int | None = None) -> float:
        """Take one token; returns 0 if allowed, else the seconds to wait."""
        rate = (rate_per_minute / 60.0) if rate_per_minute else self.rate
        capacity = float(burst or self.burst)
        now = self.clock()
        with self._lock:
            tokens, updated, _, _ = self._buckets.get(key, (capacity, now, rate, capacity))
            tokens = min(capacity, tokens + max(0.0, now - updated) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now, rate, capacity)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now, rate, capacity)
                wait = (1 - tokens) / rate
            if len(self._buckets) > self.PRUNE_ABOVE:
                self._prune(now)
            return wait

    def _prune(self, now: float) -> None:
        self._buckets = {k: v for k, v in self._buckets.items() if v[0] + (now - v[1]) * v[2] < v[3]}


# Atomic refill-and-take; Redis's own clock is used so API processes with skewed clocks agree.
# Returns the wait in seconds as a string (a Lua number would be truncated to an integer reply).
TOKEN_BUCKET_LUA = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
tokens = math.min(capacity, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
-- A bucket left alone refills completely in capacity/rate seconds; after that it can go.
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisRateLimiter:
    def __init__(self, client, namespace: str, rate_per_minute: float, burst: int):
        self.client = client
        self.namespace = namespace
        self.rate = rate_per_minute / 60.0
        self.burst = burst
        self._script = client.register_script(TOKEN_BUCKET_LUA)
        self._last_error_log = 0.0

    def key(self, key: str) -> str:
        # Hashed: login buckets are keyed by IP and email, which need not sit in Redis in clear.
        return f"{self.namespace}:ratelimit:{hashlib.sha256(key.encode()).hexdigest()[:40]}"

    def hit(self, key: str, *, rate_per_minute: float | None = None, burst: int | None = None) -> float:
        rate = (rate_per_minute / 60.0) if rate_per_minute else self.rate
        capacity = burst or self.burst
        try:
            return float(self._script(keys=[self.key(key)], args=[repr(rate), capacity]))
        except RedisError as exc:
            # Fail open: an unreachable Redis must not take the whole API down with it.
            now = time.monotonic()
            if now - self._last_error_log > 60:
                self._last_error_log = now
                log.warning("rate limiting skipped, Redis failed: %s", type(exc).__name__)
            return 0.0


def make_rate_limiter(settings: Settings, redis_client=None):
    if redis_client is None and settings.redis_url:
        import redis

        redis_client = redis.Redis.from_url(settings.redis_url)
    if redis_client is not None:
        return RedisRateLimiter(redis_client, settings.redis_namespace, settings.rate_limit_per_minute,
                                settings.rate_limit_burst)
    return MemoryRateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
