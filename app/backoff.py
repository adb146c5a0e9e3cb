"""Reconnect policy as data: delays to wait between connection attempts.

Exponential growth with full jitter, so a relay restart is not met by every
robot and operator reconnecting in the same millisecond, and a delay capped
at 1.5 s, so however long a relay was down, its robots and operators are back
within 2 s of its return (tests/test_faults.py measures it).
"""

from __future__ import annotations

import random
from collections.abc import Iterator


def backoff(
    initial: float = 0.1,
    factor: float = 1.6,
    cap: float = 1.5,
    jitter: float = 0.5,
    rng: random.Random | None = None,
) -> Iterator[float]:
    """Yield delays in seconds: initial, initial*factor, ... up to `cap`.

    Each delay is scaled by a random factor in [1 - jitter, 1]; the sequence
    is endless. Start a fresh generator after a connection succeeds.
    """
    rand = rng or random.Random()
    delay = initial
    while True:
        yield delay * (1.0 - jitter * rand.random())
        delay = min(cap, delay * factor)
