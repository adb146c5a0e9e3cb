"""The simulated robot's protocol endpoint: what the firmware does, in Python.

`SimRobot` owns the model, the sample clock and the safety state, and talks
to its links through `Peer.send`, which never blocks: the robot's clock and
its failsafe must not wait for a slow socket. It does no I/O itself; the
transport feeds it frames (`receive`) and wakes it (`tick`), so the safety
contract of docs/protocol.md is implemented once, here, for the direct
server, the relay client and the built-in simulator alike:

- motors are 0 at start, at once on `stop`, when no valid `drive` has come
  for `timeout` ms, and at once when the driving link closes;
- a `drive` is applied only if its seq is newer than the last applied one;
  after the driving link closes the last applied seq is 0 again, so a
  reconnecting app starts from a stopped robot and its first drive counts.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

import app
from app import protocol as p
from app.errors import MalformedJSON, ProtocolError, UnknownType
from app.sim.clock import SampleClock
from app.sim.model import RobotModel

log = logging.getLogger(__name__)

#: Longest wait between two failsafe checks (the safety contract's tick).
TICK_S = 0.010
#: Telemetry frames per second aimed at; each frame holds >= 1 sample.
FRAMES_PER_S = 40
#: A stall longer than this is not caught up: those samples are dropped.
MAX_BACKLOG_S = 1.0

StopReason = Literal["start", "stop", "timeout", "link_closed"]


class Peer(Protocol):
    """One link as the robot sees it: somewhere to put frames, at once."""

    def send(self, frame: str, *, droppable: bool) -> None:
        """Queue `frame`; a `droppable` one (telemetry) may be dropped if the link lags."""


@dataclass(frozen=True)
class StopEvent:
    """When (monotonic seconds) and why the motors were last set to zero."""

    at: float
    reason: StopReason


class SimRobot:
    """A robot that samples its model, batches telemetry and obeys the safety rules."""

    def __init__(
        self,
        *,
        robot_id: str = "sim",
        rate: int = 200,
        channels: int = 4,
        timeout: int = p.DEFAULT_TIMEOUT_MS,
        seed: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_range("rate", rate, p.RATE_RANGE)
        _check_range("timeout", timeout, p.TIMEOUT_RANGE_MS)
        self.robot_id = robot_id
        self.timeout = timeout
        self.model = RobotModel(channels, seed=seed)
        self._now = clock
        self._start = clock()
        self._clock = SampleClock(rate, self._start)
        self._pending: list[list[int]] = []
        self._peers: list[Peer] = []
        self._driver: Peer | None = None
        self._armed = False
        self.ack = 0
        self.last_drive_at: float | None = None
        self.last_stop = StopEvent(self._start, "start")
        self.dropped_samples = 0

    # ------------------------------------------------------------ inspection

    @property
    def rate(self) -> int:
        """Samples per second."""
        return self._clock.rate

    @property
    def motors(self) -> tuple[int, int]:
        """Motor output as applied now, percent."""
        return self.model.motors

    @property
    def stopped_at(self) -> float:
        """Monotonic time at which the motors were last set to zero."""
        return self.last_stop.at

    @property
    def stop_reason(self) -> StopReason:
        """Why the motors were last set to zero."""
        return self.last_stop.reason

    @property
    def links(self) -> int:
        """How many links are attached."""
        return len(self._peers)

    def hello(self) -> p.Hello:
        """The `hello` that opens every link and answers every `cfg`."""
        return p.Hello(
            id=self.robot_id, fw=app.__version__, board="sim",
            channels=self.model.channels, rate=self.rate, timeout=self.timeout,
        )

    # ------------------------------------------------------------ links

    def attach(self, peer: Peer) -> None:
        """A new link: it gets `hello` first, then telemetry from now on."""
        self._peers.append(peer)
        peer.send(p.encode(self.hello()), droppable=False)

    def detach(self, peer: Peer) -> None:
        """A link closed: stop at once if it was driving (or was the last one)."""
        if peer not in self._peers:
            return  # already detached when its close frame arrived
        self._peers.remove(peer)
        if peer is self._driver or not self._peers:
            self._halt("link_closed")
            self.ack = 0
            self._driver = None

    def receive(self, peer: Peer, frame: str | bytes) -> None:
        """Handle one frame from `peer`; a bad one is answered with `err`.

        Frames still queued from a link that has begun to close are ignored:
        a drive sent just before the close must not restart the motors.
        """
        if peer not in self._peers:
            log.debug("ignored a frame from a closed link")
            return
        self._take_samples(self._now())  # samples before now see the old state
        try:
            if isinstance(frame, bytes):
                raise MalformedJSON("binary frame: the protocol uses text frames")
            self._handle(peer, p.decode(frame))
        except ProtocolError as exc:
            log.warning("refused a frame (%s): %s", exc.code, exc)
            peer.send(p.encode(p.error_for(exc)), droppable=False)

    def _handle(self, peer: Peer, msg: p.Message) -> None:
        match msg:
            case p.Drive():
                self._drive(peer, msg)
            case p.Stop():
                self._halt("stop")
                self.ack = msg.seq
            case p.Ping():
                peer.send(p.encode(p.Pong(id=msg.id)), droppable=False)
            case p.Cfg():
                self._configure(msg)
            case p.Pong() | p.Err():
                log.debug("peer says %s", msg)
            case _:
                raise UnknownType(f"a robot does not accept {msg.TYPE!r}")

    def _drive(self, peer: Peer, msg: p.Drive) -> None:
        if msg.seq <= self.ack:
            log.debug("ignored stale drive seq %d (last applied %d)", msg.seq, self.ack)
            return
        self.model.set_motors(msg.l, msg.r)
        self.ack = msg.seq
        self.last_drive_at = self._now()
        self._armed = True
        self._driver = peer

    def _configure(self, msg: p.Cfg) -> None:
        """Apply `cfg`; samples taken at the old rate leave first, then `hello`."""
        if msg.rate is not None and msg.rate != self.rate:
            self._flush()
            self._clock.set_rate(msg.rate, self._now())
        if msg.timeout is not None:
            self.timeout = msg.timeout
        log.info("configured: rate %d Hz, timeout %d ms", self.rate, self.timeout)
        self._broadcast(p.encode(self.hello()), droppable=False)

    def _halt(self, reason: StopReason) -> None:
        self.model.set_motors(0, 0)
        self._armed = False
        self.last_stop = StopEvent(self._now(), reason)
        log.debug("motors stopped: %s", reason)

    # ------------------------------------------------------------ time

    def tick(self) -> float:
        """Check the failsafe, take due samples, send full batches.

        Returns the monotonic time at which the robot wants the next tick:
        at most TICK_S away, sooner when the failsafe or a batch is due.
        """
        now = self._now()
        deadline = self._failsafe(now)
        self._take_samples(now)
        batch_ready = self._clock.time_of(self._clock.next + self._batch() - len(self._pending) - 1)
        return min(now + TICK_S, deadline, batch_ready)

    def _failsafe(self, now: float) -> float:
        """Stop if the last drive is too old; return when it will be."""
        if not self._armed or self.last_drive_at is None:
            return math.inf
        deadline = self.last_drive_at + self.timeout / 1000.0
        if now >= deadline:
            self._halt("timeout")
            return math.inf
        return deadline

    async def run(self) -> None:
        """Tick until cancelled, sleeping until exactly when the next tick is wanted."""
        while True:
            wake = self.tick()
            await asyncio.sleep(max(0.0, wake - self._now()))

    # ------------------------------------------------------------ telemetry

    def _batch(self) -> int:
        return min(p.MAX_BATCH_SAMPLES, max(1, math.ceil(self.rate / FRAMES_PER_S)))

    def _take_samples(self, now: float) -> None:
        due = self._clock.due(now)
        backlog = max(p.MAX_BATCH_SAMPLES, int(self.rate * MAX_BACKLOG_S))
        if due > backlog:
            self._drop(due - backlog)
            due = backlog
        period = 1.0 / self.rate
        for _ in range(due):
            self.model.step(period)
            self._pending.append(self.model.sample())
            self._clock.take()
            if len(self._pending) >= self._batch():
                self._flush()

    def _drop(self, count: int) -> None:
        """The robot stalled too long to catch up: skip samples, seq shows the gap."""
        self._flush()
        self.model.step(count / self.rate)
        self._clock.take(count)
        self.dropped_samples += count
        log.warning("robot stalled: dropped %d samples", count)

    def _flush(self) -> None:
        """Send the pending samples as one `tel` batch."""
        rows, self._pending = self._pending, []
        if not rows or not self._peers:
            return
        first = self._clock.next - len(rows)
        ms = round((self._clock.time_of(first) - self._start) * 1000) % (p.MAX_MS + 1)
        tel = p.Tel(
            seq=first % (p.MAX_SEQ + 1), ms=ms, v=np.array(rows, dtype=np.int32),
            m=self.motors, ack=self.ack,
        )
        self._broadcast(p.encode(tel), droppable=True)

    def _broadcast(self, frame: str, *, droppable: bool) -> None:
        for peer in self._peers:
            peer.send(frame, droppable=droppable)


def _check_range(name: str, value: int, bounds: tuple[int, int]) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{name} must be {bounds[0]}..{bounds[1]}, got {value}")
