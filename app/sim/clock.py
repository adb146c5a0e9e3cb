"""Which samples are due, computed from a monotonic clock rather than slept.

Sleeping one period per sample accumulates every wake-up's lateness, so a
1 kHz stream drifts and the app sees a robot that samples at 990 Hz. Here the
time of sample n is fixed (`base_t + (n - base_n) / rate`), the caller asks
how many are due at `now`, and a late wake-up is made good by producing
several samples at once.
"""

from __future__ import annotations

import math


class SampleClock:
    """Sample numbering and timing at a fixed rate, rebased on a rate change."""

    def __init__(self, rate: int, start: float) -> None:
        self.rate = rate
        self.next = 0  # number (seq) of the next sample to produce
        self._base_n = 0
        self._base_t = start

    def time_of(self, n: int) -> float:
        """Monotonic time at which sample `n` is taken."""
        return self._base_t + (n - self._base_n) / self.rate

    def due(self, now: float) -> int:
        """How many samples are due at `now` and not yet taken."""
        last = self._base_n + math.floor((now - self._base_t) * self.rate + 1e-9)
        return max(0, last + 1 - self.next)

    def take(self, count: int = 1) -> None:
        """Mark `count` samples as produced (or as dropped: seq jumps)."""
        self.next += count

    def set_rate(self, rate: int, now: float) -> None:
        """Change the rate; the next sample is taken at `now` or when due."""
        start = max(now, self.time_of(self.next))
        self.rate, self._base_n, self._base_t = rate, self.next, start
