"""The reconnect delays grow, stay capped, and are jittered."""

import itertools
import random

from app.backoff import backoff


def test_delays_grow_then_stay_under_cap() -> None:
    delays = list(itertools.islice(backoff(0.1, 2.0, 1.0, jitter=0.0), 8))
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8]
    assert delays[4:] == [1.0] * 4


def test_jitter_spreads_delays_below_the_nominal_value() -> None:
    delays = list(itertools.islice(backoff(1.0, 1.0, 1.0, jitter=0.5, rng=random.Random(1)), 200))
    assert all(0.5 <= d <= 1.0 for d in delays)
    assert max(delays) - min(delays) > 0.3
