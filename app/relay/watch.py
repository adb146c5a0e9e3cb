"""Connections the relay keeps an eye on: who is silent, who stopped reading, who has too many.

`RelayConnection` notes when its peer was last heard from and counts itself
per remote address from TCP accept to close. One `Watchdog` task per relay
looks at every connection a few times a second:

- silent for `idle_ping` s: send a WebSocket ping (a busy link is never pinged,
  so thousands of streaming peers cost nothing here);
- silent for `dead_after` s: the link is dead (a pulled cable, a NAT that
  forgot us); drop it at once, so operators see the robot offline and a
  robot whose driver vanished is stopped within seconds, not minutes;
- its writer stuck on one frame for `stall_timeout` s: the peer stopped
  reading; drop it (a close frame would wait behind everything it did not read).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.protocol import Event

from app.relay.limits import AddressCount, Limits
from app.relay.peers import Outbox

log = logging.getLogger(__name__)

#: Longest pause between two looks at every connection.
MAX_SWEEP_S = 0.5
#: Beyond per_ip * this, a new TCP connection is dropped before it may say a word.
HARD_PER_IP_FACTOR = 2


class RelayConnection(ServerConnection):
    """A server connection that knows when it last heard its peer and who writes to it."""

    addresses: AddressCount  # set by connection_class()
    per_ip: int = 0
    #: Takes one whole text message as soon as it is parsed (see process_event);
    #: None: every frame goes through `recv`.
    on_text: Callable[[str], None] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.last_heard = self.loop.time()
        self.pinged_at = 0.0
        self.outbox: Outbox | None = None
        self.doomed = False
        self.ip = ""
        self._mid_message = False  # a fragmented message has begun and not ended

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        peer = transport.get_extra_info("peername")
        self.ip = str(peer[0]) if peer else "?"
        count = self.addresses.add(self.ip)
        if self.per_ip and count > self.per_ip * HARD_PER_IP_FACTOR:
            log.warning("%s opened %d connections; dropping new ones unheard", self.ip, count)
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.addresses.remove(self.ip)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.last_heard = self.loop.time()
        super().data_received(data)

    def process_event(self, event: Event) -> None:
        """Hand a whole text frame to `on_text` at once, if it may overtake nothing.

        Telemetry is most of what a relay reads. Routing it here, in the
        callback that parsed it, skips queueing it for the handler's task,
        waking that task and the async receive around it: most of the
        relay's cost per frame. Order is kept: a frame takes this path only
        when no earlier frame still waits to be received, and never in the
        middle of a fragmented message. Anything else (fragments, binary,
        text that is not UTF-8, which `recv` refuses with 1007) takes the
        ordinary path.
        """
        if not (isinstance(event, Frame) and self._route_now(event)):
            super().process_event(event)

    def _route_now(self, frame: Frame) -> bool:
        opcode = frame.opcode
        if opcode not in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT):
            return False
        whole = frame.fin and opcode is not Opcode.CONT and not self._mid_message
        self._mid_message = not frame.fin
        if not whole or opcode is not Opcode.TEXT or self.on_text is None:
            return False
        if self.recv_messages.frames.queue:
            return False
        try:
            text = str(frame.data, "utf-8")
        except UnicodeDecodeError:
            return False
        try:
            self.on_text(text)
        except Exception:
            log.exception("routing a frame from %s failed; dropping the connection", self.ip)
            self.doomed = True
            self.transport.abort()
        return True


def connection_class(addresses: AddressCount, limits: Limits) -> type[RelayConnection]:
    """A RelayConnection class that counts into `addresses` (one per relay)."""

    class Connection(RelayConnection):
        pass

    Connection.addresses = addresses
    Connection.per_ip = limits.per_ip
    return Connection


Spawn = Callable[[Coroutine[Any, Any, None]], None]


class Watchdog:
    """Pings quiet peers, drops dead ones and closes those that stopped reading."""

    def __init__(self, connections: set[RelayConnection], limits: Limits, spawn: Spawn) -> None:
        self._connections = connections
        self._limits = limits
        self._spawn = spawn
        self.interval = min(MAX_SWEEP_S, limits.idle_ping / 4, limits.stall_timeout / 4)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.interval)
            self.sweep(loop.time())

    def sweep(self, now: float) -> None:
        """One look at every connection."""
        for ws in list(self._connections):
            if ws.doomed:
                continue
            quiet = now - ws.last_heard
            if quiet >= self._limits.dead_after:
                self._drop_dead(ws, quiet)
            elif quiet >= self._limits.idle_ping and ws.pinged_at <= ws.last_heard:
                ws.pinged_at = now
                self._spawn(_ping(ws))
            elif ws.outbox is not None and ws.outbox.stuck_for(now) >= self._limits.stall_timeout:
                self._close_stalled(ws)

    def _drop_dead(self, ws: RelayConnection, quiet: float) -> None:
        label = ws.outbox.label if ws.outbox else ws.ip
        log.warning("%s: nothing heard for %.1f s (no pong); dropping the dead link", label, quiet)
        ws.doomed = True
        ws.transport.abort()

    def _close_stalled(self, ws: RelayConnection) -> None:
        """Drop the socket: a close frame would only queue behind what it never read."""
        assert ws.outbox is not None
        log.warning(
            "%s stopped reading (a frame waited %.1f s); dropping it",
            ws.outbox.label, self._limits.stall_timeout,
        )
        ws.doomed = True
        ws.transport.abort()


async def _ping(ws: ServerConnection) -> None:
    """Send a keepalive ping; its pong (like any data) refreshes `last_heard`."""
    with contextlib.suppress(ConnectionClosed):
        await ws.ping()
