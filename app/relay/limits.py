"""The relay's bounds, and the two small counters that enforce the per-peer ones.

Every number a hostile or broken peer could push is bounded here: how fast
it may send, how many connections one address may hold, how long it may
take to say hello, how long it may stay silent or stop reading. The
defaults let normal traffic through with room to spare (a robot streaming
1 kHz telemetry, an app re-sending drives at 10 Hz and pinging at 2 Hz);
tests shrink them to stay fast. docs/relay.md has the table.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """The relay's tunable bounds."""

    #: Telemetry frames that may wait for one operator before new ones are dropped.
    operator_queue: int = 32
    #: Frames of any kind waiting for one operator that mean it stopped reading.
    operator_backlog: int = 1024
    #: Seconds a peer gets to take our close frame before its socket is dropped.
    close_timeout: float = 2.0
    #: Drives written to one robot per second at most. A drive arriving sooner
    #: waits in the latest-wins slot, where a newer one replaces it (counted).
    drive_rate: float = 50.0
    #: Frames per second an operator / a robot may send on average; a peer
    #: that keeps it up for longer than `burst` seconds is closed with 1008.
    operator_rate: float = 100.0
    robot_rate: float = 2000.0
    burst: float = 2.0
    #: Connections (open or in their handshake) from one IP address; 0 = any.
    per_ip: int = 128
    #: Seconds from accepting a TCP connection to a finished WebSocket (and TLS) handshake.
    handshake_timeout: float = 5.0
    #: A peer silent for `idle_ping` seconds gets a WebSocket ping; one silent
    #: for `dead_after` seconds is dropped (its link is dead).
    idle_ping: float = 2.0
    dead_after: float = 5.0
    #: A frame that could not be written for this long means the peer stopped reading.
    stall_timeout: float = 5.0


class RateBucket:
    """A token bucket: `rate` frames per second, up to `rate * burst` at once.

    `take()` is called once per received frame, so it is kept to a few
    arithmetic operations.
    """

    __slots__ = ("_at", "_capacity", "_rate", "_tokens")

    def __init__(self, rate: float, burst: float) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate * burst)
        self._tokens = self._capacity
        self._at = time.monotonic()

    def take(self) -> bool:
        """Spend one token; False if there is none (the peer is flooding)."""
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class AddressCount:
    """Open connections per remote IP address, counted from TCP accept to close."""

    def __init__(self) -> None:
        self._count: Counter[str] = Counter()

    def add(self, ip: str) -> int:
        """Count one more connection from `ip`; returns how many it now has."""
        self._count[ip] += 1
        return self._count[ip]

    def remove(self, ip: str) -> None:
        self._count[ip] -= 1
        if self._count[ip] <= 0:
            del self._count[ip]

    def __getitem__(self, ip: str) -> int:
        return self._count.get(ip, 0)

    def __len__(self) -> int:
        """How many addresses have a connection (0 once everyone left)."""
        return len(self._count)
