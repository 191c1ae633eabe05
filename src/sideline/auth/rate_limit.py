"""Token-bucket rate limiting per user or API key (memory here; Redis added by settings)."""

from __future__ import annotations

import threading
import time

from sideline.settings import Settings


class MemoryRateLimiter:
    def __init__(self, rate_per_minute: float, burst: int):
        self.rate = rate_per_minute / 60.0
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, rate_per_minute: float | None = None, burst: int | None = None) -> float:
        """Take one token; returns 0 if allowed, else the seconds to wait."""
        rate = (rate_per_minute / 60.0) if rate_per_minute else self.rate
        capacity = burst or self.burst
        now = time.monotonic()
        with self._lock:
            tokens, updated = self._buckets.get(key, (float(capacity), now))
            tokens = min(capacity, tokens + (now - updated) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate


def make_rate_limiter(settings: Settings, redis_client=None):
    return MemoryRateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
