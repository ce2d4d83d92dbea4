"""A token bucket: `rate` requests a second, bursts of `burst` (docs/protocol.md §7)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Bucket:
    def __init__(self, rate: float = 200.0, burst: float = 400.0,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = burst
        self._at = clock()

    def take(self) -> bool:
        """Spend one token; False when there is none (the request is refused)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
