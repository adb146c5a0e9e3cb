"""Outgoing frames of one connected peer, each written by that peer's own task.

Routing only ever *puts* frames into these boxes, which never blocks, so a
peer whose socket is slow delays nobody but itself:

- `OperatorOutbox` is a FIFO with a bound on telemetry: when an operator
  cannot keep up, new telemetry is dropped (and counted) while control,
  presence, hello and err frames, which are tiny and rare, still get through.
- `RobotOutbox` is latest-wins: one slot for the newest drive, one for a
  stop that empties the drive slot, and a short FIFO for the rest (ping,
  cfg, err). A pile-up of drives collapses into the newest one; a stop is
  written before anything else that is waiting. Drives go out at most
  `Limits.drive_rate` times a second, so a flood of them reaches a small
  robot as a steady stream of the newest command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import deque
from dataclasses import dataclass

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from app.relay.limits import Limits

log = logging.getLogger(__name__)

#: Pings/cfg/err waiting for a robot; older ones are dropped past this.
ROBOT_QUEUE = 16
#: Kernel send buffers. Left alone, Linux grows one to megabytes for a peer
#: that stops reading: seconds of stale telemetry, or drives that can no
#: longer be superseded. Robot-bound traffic is tiny. Toward an operator,
#: 1 kHz x 8 channels of telemetry is ~32 kB/s, so 16 KiB (Linux doubles it)
#: still covers a 500 ms round trip, while a stalled operator's backlog stays
#: at about a second of telemetry before the relay notices it.
ROBOT_SNDBUF = 4096
OPERATOR_SNDBUF = 16 * 1024
#: Frames waiting in user space (websockets' write buffer) toward an operator.
OPERATOR_WRITE_BUFFER = 16 * 1024
#: Seconds between two log lines about one slow operator.
DROP_LOG_INTERVAL = 5.0


@dataclass
class PeerStats:
    """Counters of one peer: frames written to its socket and frames dropped.

    For an operator `dropped` counts telemetry it was too slow to take; for a
    robot it counts drive commands superseded by a newer drive or a stop
    (and pings/cfg beyond its short queue). `refused` counts the peer's own
    frames that were answered with `err`.
    """

    sent: int = 0
    dropped: int = 0
    refused: int = 0


class Outbox:
    """A peer's waiting frames and the task that writes them, one at a time."""

    def __init__(self, ws: ServerConnection, label: str) -> None:
        self.ws = ws
        self.label = label
        self.stats = PeerStats()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._sending_since: float | None = None  # loop time a send() began, while it waits

    def start(self) -> None:
        self._task = asyncio.create_task(self._write(), name=f"relay writer {self.label}")

    async def aclose(self) -> None:
        """Stop writing; frames still waiting are discarded with the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def stuck_for(self, now: float) -> float:
        """Seconds the frame being written has waited for the socket (0 if none)."""
        return 0.0 if self._sending_since is None else now - self._sending_since

    def _next(self) -> str | None:
        raise NotImplementedError

    def _write_now(self, frame: str) -> bool:
        """Write `frame` at once if nothing is waiting and the socket has room.

        The common case at high fan-out: the queue is empty, the writer task
        is idle and the transport holds nothing unsent. Writing here skips a
        task wake-up and an async send context per frame, which is most of
        the relay's per-frame cost. Anything else goes through the queue, so
        order and flow control are those of the writer task.
        """
        ws = self.ws
        if (
            self._sending_since is not None
            or ws.protocol.state is not State.OPEN
            or ws.send_in_progress is not None
            or ws.paused
            or ws.transport.get_write_buffer_size()
        ):
            return False
        ws.protocol.send_text(frame.encode())
        ws.send_data()
        self.stats.sent += 1
        return True

    def _retry_in(self) -> float | None:
        """When to look again although nothing woke the writer (None: only when woken)."""
        return None

    async def _idle(self) -> None:
        """Wait until something is put, or until `_retry_in` says to look again."""
        self._wake.clear()
        retry = self._retry_in()
        if retry is None:
            await self._wake.wait()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(retry):
                await self._wake.wait()

    async def _write(self) -> None:
        """Write what waits, in batches, until the connection closes."""
        ws = self.ws
        while ws.protocol.state is State.OPEN:  # closing: the peer's handler cleans up
            if ws.paused or ws.send_in_progress is not None:
                if not await self._wait_for_room():
                    return
            elif not self._write_batch():
                await self._idle()

    def _write_batch(self) -> bool:
        """Hand every waiting frame to the transport in one write; False if none waited.

        A peer that fell behind has a backlog: encoding all of it and writing
        it as one piece costs one system call instead of one async send per
        frame, so a relay that is catching up gets cheaper per frame, not
        dearer. Flow control stays websockets': once the transport pauses
        (its buffer passed the high-water mark), further frames wait here,
        in the outbox, where they can still be dropped or replaced.
        """
        ws = self.ws
        frames = 0
        while (frame := self._next()) is not None:
            ws.protocol.send_text(frame.encode())
            frames += 1
        if frames:
            ws.transport.writelines(ws.protocol.data_to_send())
            self.stats.sent += frames
        return frames > 0

    async def _wait_for_room(self) -> bool:
        """Wait until the transport takes data again; False if the connection ended."""
        ws = self.ws
        self._sending_since = asyncio.get_running_loop().time()
        try:
            if ws.send_in_progress is not None:
                await asyncio.shield(ws.send_in_progress)
            await ws.drain()
        except (OSError, ConnectionClosed):  # drain raises what the transport lost the link with
            return False
        finally:
            self._sending_since = None
        return True


class OperatorOutbox(Outbox):
    """FIFO toward one operator; telemetry beyond `limits.operator_queue` is dropped."""

    def __init__(self, ws: ServerConnection, label: str, limits: Limits) -> None:
        super().__init__(ws, label)
        self._limits = limits
        self._queue: deque[tuple[str, bool]] = deque()
        self._telemetry = 0  # telemetry frames in _queue
        self._reported = 0  # stats.dropped at the last log line
        self._reported_at = 0.0
        self._closer: asyncio.Task[None] | None = None

    def start(self) -> None:
        _limit_buffers(self.ws, OPERATOR_SNDBUF, user_space=OPERATOR_WRITE_BUFFER)
        super().start()

    def put(self, frame: str) -> None:
        """Queue a frame that must not be dropped (control, presence, hello, err, pong)."""
        if len(self._queue) >= self._limits.operator_backlog or self._closer is not None:
            self._overflow()
            return
        self._queue.append((frame, False))
        self._wake.set()

    def put_telemetry(self, frame: str) -> None:
        """Queue telemetry, or drop and count it if the operator is behind."""
        if self._closer is not None:
            return
        if self._telemetry >= self._limits.operator_queue:
            self.stats.dropped += 1
            self._report(final=False)
            return
        if not self._queue and self._write_now(frame):
            return
        self._telemetry += 1
        self._queue.append((frame, True))
        self._wake.set()

    async def aclose(self) -> None:
        await super().aclose()
        self._report(final=True)

    def _next(self) -> str | None:
        if not self._queue:
            return None
        frame, is_telemetry = self._queue.popleft()
        self._telemetry -= is_telemetry
        return frame

    def _report(self, *, final: bool) -> None:
        """Log drops at most every DROP_LOG_INTERVAL, and once more at the end."""
        now = time.monotonic()
        fresh = self.stats.dropped - self._reported
        if fresh == 0 or (not final and now - self._reported_at < DROP_LOG_INTERVAL):
            return
        log.warning(
            "%s is too slow: dropped %d telemetry frames (%d in total)",
            self.label, fresh, self.stats.dropped,
        )
        self._reported, self._reported_at = self.stats.dropped, now

    def _overflow(self) -> None:
        """An operator with this much unread must have stopped reading: let it go."""
        if self._closer is None:
            log.warning("%s stopped reading; closing it", self.label)
            self._queue.clear()
            self._telemetry = 0
            self._closer = asyncio.create_task(
                close_or_abort(self.ws, 1008, "not reading", self._limits.close_timeout)
            )


class RobotOutbox(Outbox):
    """Latest-wins toward one robot: newest drive only, stop first, a short FIFO for the rest."""

    def __init__(self, ws: ServerConnection, label: str, limits: Limits) -> None:
        super().__init__(ws, label)
        self._stop: str | None = None
        self._drive: str | None = None
        self._other: deque[str] = deque()
        self._drive_gap = 1.0 / limits.drive_rate
        self._drive_at = 0.0  # loop time before which no further drive is written

    def start(self) -> None:
        _limit_buffers(self.ws, ROBOT_SNDBUF, user_space=1)
        super().start()

    def put_drive(self, frame: str) -> None:
        """Replace any drive still waiting: only the newest is ever written."""
        if self._drive is not None:
            self.stats.dropped += 1
        self._drive = frame
        self._wake.set()

    def put_stop(self, frame: str) -> None:
        """A stop supersedes the waiting drive and goes out before anything else."""
        if self._drive is not None:
            self.stats.dropped += 1
            self._drive = None
        self._stop = frame
        self._wake.set()

    def put(self, frame: str) -> None:
        """Queue a ping, cfg or err; the oldest is dropped if too many wait."""
        if len(self._other) >= ROBOT_QUEUE:
            self._other.popleft()
            self.stats.dropped += 1
        self._other.append(frame)
        self._wake.set()

    def _next(self) -> str | None:
        if self._stop is not None:
            stop, self._stop = self._stop, None
            return stop
        if self._other:
            return self._other.popleft()
        if self._drive is None:
            return None
        now = asyncio.get_running_loop().time()
        if now < self._drive_at:
            return None  # too soon after the last drive: a newer one may still replace it
        self._drive_at = now + self._drive_gap
        drive, self._drive = self._drive, None
        return drive

    def _retry_in(self) -> float | None:
        if self._drive is None:
            return None
        return max(0.0, self._drive_at - asyncio.get_running_loop().time())


def _limit_buffers(ws: ServerConnection, kernel: int, user_space: int | None = None) -> None:
    """Keep waiting frames where the relay can still drop or replace them.

    `kernel` caps the socket's send buffer. `user_space=1` makes `send` wait
    until each frame reached the kernel, so drives toward a slow robot pile
    up in `RobotOutbox`, where a newer one replaces them. (1, not 0: asyncio's
    TLS transport pauses at a buffer >= the mark, so with 0 it would stay
    paused after every write until the peer sent something.)
    """
    if user_space is not None:
        ws.transport.set_write_buffer_limits(high=user_space)
    sock = ws.transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, kernel)


async def close_or_abort(ws: ServerConnection, code: int, reason: str, timeout: float) -> None:
    """Close with `code`, or drop the socket if the peer does not take the close frame.

    `close()` first waits until the close frame is written, which for a peer
    that stopped reading is never; only then would its own timeout apply.
    """
    try:
        async with asyncio.timeout(timeout):
            await ws.close(code, reason)
    except TimeoutError:
        log.info("peer %s did not take the close frame in time; dropping it", ws.remote_address)
        ws.transport.abort()
