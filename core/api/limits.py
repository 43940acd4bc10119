"""Per-key rate limits (a token bucket each) and the request body limit."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class RateLimiter:
    """``per_minute`` requests a minute per key, with bursts up to the same number.

    A bucket refills continuously, so a client that keeps to the rate is never refused
    and one that bursts is refused only for the excess.
    """

    per_minute: int = 600
    clock: "callable" = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key_id: str) -> tuple[bool, float]:
        """(allowed, seconds until the next token) for one request of ``key_id``."""
        if self.per_minute <= 0:
            return True, 0.0
        rate = self.per_minute / 60.0
        now = self.clock()
        with self._lock:
            b = self._buckets.get(key_id)
            if b is None:
                b = self._buckets[key_id] = _Bucket(float(self.per_minute), now)
            b.tokens = min(float(self.per_minute), b.tokens + (now - b.stamp) * rate)
            b.stamp = now
            if b.tokens >= 1.0:
                b.tokens -= 1.0
                return True, 0.0
            return False, (1.0 - b.tokens) / rate


class BodyTooLarge(Exception):
    """The request body passed the configured limit."""
