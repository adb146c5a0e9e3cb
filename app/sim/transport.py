"""Sockets for the simulated robot: a direct server and a relay client.

Both only move frames between a WebSocket and `SimRobot`; the robot decides
everything. Each link has an `Outbox` so the robot never awaits a socket: a
link that cannot keep up loses telemetry (counted, and visible to the app as
a seq gap) instead of delaying the failsafe or the other links.
"""

from __future__ import annotations

import asyncio
import collections
import hmac
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, InvalidHandshake
from websockets.frames import CloseCode
from websockets.http11 import Request, Response
from websockets.protocol import State

from app import protocol
from app.backoff import backoff
from app.sim.robot import SimRobot

log = logging.getLogger(__name__)

#: Frames one link may have waiting before its telemetry is dropped (~1 s).
OUTBOX_LIMIT = 40
#: Keepalive: a relay link that does not answer a ping within this is dead.
PING_INTERVAL_S = 2.0
PING_TIMEOUT_S = 2.0
#: A relay link that stayed up this long starts the backoff afresh.
STABLE_LINK_S = 5.0

WS_OPTIONS: dict[str, Any] = {
    "compression": None,
    "subprotocols": [protocol.SUBPROTOCOL],
    "max_size": protocol.MAX_MESSAGE_BYTES,
}


class _SeesLinkEnd:
    """Mixin for websockets connections: call `on_closing` once the link is over.

    websockets ends `recv` only when the TCP connection is gone, which waits
    for the closing handshake: up to the whole close timeout when the peer
    has stopped reading, or has stopped answering keepalive pings. The link
    is over, and the motors must stop, as soon as either side starts to
    close it; every such step ends in `send_data`, so that is where to look.
    """

    on_closing: Callable[[], None] | None = None
    state: State

    def send_data(self) -> None:
        super().send_data()  # type: ignore[misc]
        if self.on_closing is not None and self.state is not State.OPEN:
            callback, self.on_closing = self.on_closing, None
            callback()


class _ServerConnection(_SeesLinkEnd, ServerConnection):
    """A direct-mode link."""


class _ClientConnection(_SeesLinkEnd, ClientConnection):
    """A relay-mode link."""


Connection = ServerConnection | ClientConnection


class Outbox:
    """Frames waiting for one socket; `pump` writes them in order."""

    def __init__(self, ws: Connection, limit: int = OUTBOX_LIMIT) -> None:
        self._ws = ws
        self._limit = limit
        self._frames: collections.deque[str] = collections.deque()
        self._ready = asyncio.Event()
        self.dropped = 0

    def send(self, frame: str, *, droppable: bool) -> None:
        """Queue a frame; telemetry is dropped rather than queued past the limit."""
        if droppable and len(self._frames) >= self._limit:
            self.dropped += 1
            if self.dropped in (1, 10) or self.dropped % 1000 == 0:
                log.warning("link lags: %d telemetry frames dropped so far", self.dropped)
            return
        self._frames.append(frame)
        self._ready.set()

    async def pump(self) -> None:
        """Write queued frames until the connection closes."""
        while True:
            while not self._frames:
                self._ready.clear()
                await self._ready.wait()
            await self._ws.send(self._frames.popleft())


async def run_link(robot: SimRobot, ws: Connection) -> None:
    """Attach one connection to the robot until it closes; then the robot stops."""
    outbox = Outbox(ws)
    robot.attach(outbox)
    if isinstance(ws, _SeesLinkEnd):
        ws.on_closing = lambda: robot.detach(outbox)
    pump = asyncio.create_task(outbox.pump())
    try:
        async for frame in ws:
            robot.receive(outbox, frame)
    except ConnectionClosed as exc:
        log.info("link lost: %s", exc)
    except asyncio.CancelledError:  # shutting down: say so, rather than 1011
        robot.detach(outbox)
        await ws.close(CloseCode.GOING_AWAY, "robot shutting down")
        raise
    finally:
        robot.detach(outbox)
        pump.cancel()
        await asyncio.gather(pump, return_exceptions=True)


# ---------------------------------------------------------------- direct mode


def token_of(request: Request) -> str | None:
    """The credential of a handshake: `?token=` or `Authorization: Bearer`."""
    query = parse_qs(urlsplit(request.path).query)
    if "token" in query:
        return query["token"][0]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _authorize(token: str | None) -> Callable[[ServerConnection, Request], Response | None]:
    """A `process_request` hook that answers 401 unless the token matches."""

    def check(connection: ServerConnection, request: Request) -> Response | None:
        given = token_of(request)
        if token is None or (given is not None and hmac.compare_digest(given, token)):
            return None
        log.warning("refused %s: wrong or missing token", connection.remote_address)
        return connection.respond(HTTPStatus.UNAUTHORIZED, "wrong or missing token\n")

    return check


async def serve_direct(
    robot: SimRobot, host: str, port: int, token: str | None = None
) -> Server:
    """Serve the robot on ws://host:port/; every link shares it (no lock)."""

    async def handler(ws: ServerConnection) -> None:
        log.info("link from %s", ws.remote_address)
        await run_link(robot, ws)

    return await serve(
        handler, host, port, process_request=_authorize(token),
        create_connection=_ServerConnection, **WS_OPTIONS,
    )


def server_url(server: Server) -> str:
    """ws://host:port/ of a server's first socket (the real port when 0 was asked)."""
    host, port = server.sockets[0].getsockname()[:2]
    return f"ws://{host}:{port}/"


# ---------------------------------------------------------------- relay mode


def relay_url(base: str, robot_id: str, token: str | None) -> str:
    """The relay endpoint of a robot: <base>/robot/<id>?token=<token>."""
    url = f"{base.rstrip('/')}/robot/{quote(robot_id, safe='')}"
    return f"{url}?token={quote(token, safe='')}" if token else url


async def run_relay_client(
    robot: SimRobot,
    base: str,
    robot_id: str,
    token: str | None = None,
    *,
    ping_interval: float = PING_INTERVAL_S,
    ping_timeout: float = PING_TIMEOUT_S,
) -> None:
    """Keep the robot connected to its relay for ever (until cancelled).

    Keepalive pings find a dead link within ping_interval + ping_timeout;
    the robot stops at once when a link ends, and reconnects after a
    backoff delay.
    """
    url = relay_url(base, robot_id, token)
    delays = backoff()
    loop = asyncio.get_running_loop()
    while True:
        try:
            async with connect(
                url, ping_interval=ping_interval, ping_timeout=ping_timeout,
                close_timeout=ping_timeout,  # a dead relay will not answer a close either
                create_connection=_ClientConnection, **WS_OPTIONS,
            ) as ws:
                log.info("connected to relay %s as %r", base, robot_id)
                since = loop.time()
                await run_link(robot, ws)
            if loop.time() - since >= STABLE_LINK_S:
                delays = backoff()
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            log.warning("relay %s unreachable: %s", base, exc)
        delay = next(delays)
        log.info("reconnecting to relay in %.2f s", delay)
        await asyncio.sleep(delay)
