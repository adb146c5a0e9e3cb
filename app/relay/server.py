"""The relay server: accepts robots and operators and hands their frames to rooms.

    async with serve_relay(auth, host="127.0.0.1", port=0) as relay:
        print(relay.url)           # ws://127.0.0.1:<port> (wss:// with ssl=)
        relay.stats()["rover"]     # RobotStats: online, counters per peer

One `Room` per robot id holds the routing rules; this module only owns the
listening socket, one handler per connection, the per-connection flood
limit, the watchdog (app/relay/watch.py) and the shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.typing import Subprotocol

from app import protocol
from app.relay.auth import Auth, Role, check_bind, is_loopback
from app.relay.handshake import Gatekeeper, normalize_origin, parse_endpoint, peer_address
from app.relay.limits import AddressCount, Limits, RateBucket
from app.relay.peers import close_or_abort
from app.relay.room import RobotStats, Room
from app.relay.watch import RelayConnection, Watchdog, connection_class

if TYPE_CHECKING:
    from app.relay.cluster import ClusterConfig, ClusterNode

log = logging.getLogger(__name__)


class _NoDebug(logging.LoggerAdapter[logging.Logger]):
    """websockets logs request lines and headers at DEBUG, tokens included: never let it."""

    def isEnabledFor(self, level: int) -> bool:
        return level > logging.DEBUG and self.logger.isEnabledFor(level)


class Relay:
    """A running relay: one listening socket, one Room per robot id in use.

    `ssl` (app.tls.server_context) makes it serve wss://; `origins`, if
    given, is the allowlist for browser pages (requests with an Origin).
    `cluster` (app.relay.cluster.ClusterConfig) shares robots, operators and
    control with every other relay process using the same Redis;
    `reuse_port` lets several processes listen on one port (--workers).
    """

    def __init__(
        self,
        auth: Auth,
        limits: Limits | None = None,
        *,
        ssl: ssl.SSLContext | None = None,
        origins: Iterable[str] | None = None,
        cluster: ClusterConfig | None = None,
        reuse_port: bool = False,
    ) -> None:
        self.auth = auth
        self.host = ""
        self.limits = limits or Limits()
        self.ssl = ssl
        self.origins = None if origins is None else frozenset(map(normalize_origin, origins))
        self.addresses = AddressCount()
        self._rooms: dict[str, Room] = {}
        self._server: Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._connections: set[RelayConnection] = set()
        self._watchdog: asyncio.Task[None] | None = None
        self._cluster_config = cluster
        self.cluster: ClusterNode | None = None
        self._reuse_port = reuse_port

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on host:port (0 picks a free port). Raises ConfigError or OSError."""
        check_bind(self.auth, host)
        limits = self.limits
        if self._cluster_config is not None:
            from app.relay.cluster import ClusterNode  # needs redis-py: only with --redis

            self.cluster = ClusterNode(self._cluster_config)
            self.cluster.start()
        self._server = await serve(
            self._handle, host, port,
            process_request=Gatekeeper(self.auth, self.origins, self._crowded),
            compression=None,
            subprotocols=[Subprotocol(protocol.SUBPROTOCOL)],
            max_size=protocol.MAX_MESSAGE_BYTES,
            open_timeout=limits.handshake_timeout,  # also bounds the TLS handshake
            ping_interval=None,  # the watchdog pings only peers that went quiet
            close_timeout=limits.close_timeout,
            create_connection=connection_class(self.addresses, limits),
            ssl=self.ssl,
            reuse_port=self._reuse_port or None,
            server_header=None,  # no software or version to fingerprint
            logger=_NoDebug(logging.getLogger("websockets.server")),
        )
        self.host = host
        watchdog = Watchdog(self._connections, limits, self._spawn)
        self._watchdog = asyncio.create_task(watchdog.run(), name="relay watchdog")
        mode = "open (no tokens)" if self.auth.open else f"{len(self.auth.robots)} robot id(s)"
        log.info("relay listening on %s, %s", self.url, mode)
        if self.ssl is None and not self.auth.open and not is_loopback(host):
            log.warning("serving plain ws:// beyond this machine: tokens travel unencrypted; "
                        "give --certfile/--keyfile for wss://")

    def _crowded(self, ws: ServerConnection) -> bool:
        """Does this peer's address hold more connections than `per_ip` allows?"""
        per_ip = self.limits.per_ip
        return bool(per_ip) and isinstance(ws, RelayConnection) and self.addresses[ws.ip] > per_ip

    async def aclose(self) -> None:
        """Close every connection with 1001 (going away) and stop listening."""
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            try:
                async with asyncio.timeout(self.limits.close_timeout + 0.5):
                    await self._server.wait_closed()
            except TimeoutError:
                self._abort_stuck()
                await self._server.wait_closed()
        if self._tasks:
            await asyncio.wait(self._tasks)
        if self.cluster is not None:
            await self.cluster.aclose()
        log.info("relay stopped")

    def _abort_stuck(self) -> None:
        """Drop peers that stopped reading: their close frame can never be written."""
        log.warning("dropping %d peer(s) that did not close in time", len(self._connections))
        for ws in self._connections:
            ws.transport.abort()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the relay first"
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def url(self) -> str:
        """ws://host:port (wss:// with TLS); clients add /robot/<id> or /client/<id>."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.ssl else 'ws'}://{host}:{self.port}"

    def stats(self) -> dict[str, RobotStats]:
        """Counters per robot id with anyone connected, keyed by robot id."""
        return {rid: room.stats() for rid, room in self._rooms.items()}

    async def _handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None and isinstance(ws, RelayConnection)
        endpoint = parse_endpoint(ws.request.path)
        assert endpoint is not None, "the gatekeeper let an unknown path through"
        room = self._rooms.get(endpoint.robot_id) or self._new_room(endpoint.robot_id)
        self._connections.add(ws)
        try:
            if endpoint.role is Role.ROBOT:
                await self._serve_robot(ws, room)
            else:
                await self._serve_operator(ws, room, endpoint.name)
        finally:
            self._connections.discard(ws)
            if room.empty and self._rooms.get(room.robot_id) is room:
                del self._rooms[room.robot_id]
                room.close()

    def _new_room(self, robot_id: str) -> Room:
        if self.cluster is not None:
            from app.relay.cluster import ClusterRoom

            room: Room = ClusterRoom(robot_id, self.limits, self.cluster)
        else:
            room = Room(robot_id, self.limits)
        self._rooms[robot_id] = room
        return room

    async def _serve_robot(self, ws: RelayConnection, room: Room) -> None:
        box, old = await room.attach_robot(ws)
        ws.outbox = box
        log.info("%s online from %s", box.label, peer_address(ws))
        if old is not None:
            log.info("%s: a new connection replaces the old one (closed with 1008)", box.label)
            self._spawn(close_or_abort(old.ws, 1008, "replaced", self.limits.close_timeout))
        deliver = partial(room.from_robot, box)
        admit = self._admission(ws, box.label, self.limits.robot_rate)

        def on_text(frame: str) -> None:
            if admit():
                deliver(frame)

        ws.on_text = on_text  # telemetry is routed as it is parsed; see RelayConnection
        try:
            await self._pump(ws, deliver, admit, box.label)
        finally:
            ws.on_text = None
            room.detach_robot(box)
            await box.aclose()

    async def _serve_operator(self, ws: RelayConnection, room: Room, wanted: str | None) -> None:
        name, box = await room.join(ws, wanted)
        ws.outbox = box
        log.info("%s connected from %s", box.label, peer_address(ws))
        try:
            admit = self._admission(ws, box.label, self.limits.operator_rate)
            await self._pump(ws, partial(room.from_operator, name), admit, box.label)
        finally:
            room.leave(name)  # before anything that waits: a holder's robot stops now
            await box.aclose()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the background, referenced until done so it is never collected."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _admission(self, ws: RelayConnection, label: str, rate: float) -> Callable[[], bool]:
        """The check each frame of `ws` passes before it is routed.

        Frames of a connection being closed are read on (so its answer to
        our close gets through) but not routed. A peer sending faster than
        `rate` for longer than the burst allows is closed with 1008: its
        frames would only crowd out everyone else's.
        """
        bucket = RateBucket(rate, self.limits.burst)

        def admit() -> bool:
            if ws.doomed:
                return False
            if bucket.take():
                return True
            log.warning("%s sent more than %.0f frames/s; closing it (1008)", label, rate)
            ws.doomed = True
            self._spawn(close_or_abort(ws, 1008, "too many messages", self.limits.close_timeout))
            return False

        return admit

    async def _pump(
        self,
        ws: RelayConnection,
        deliver: Callable[[str | bytes], Awaitable[None] | None],
        admit: Callable[[], bool],
        label: str,
    ) -> None:
        """Hand every received frame that `admit` lets through to `deliver`, then log how it ended.

        The pump yields after each frame, so the writer it woke runs before
        the next frame is routed: two drives read from one socket in one go
        both reach the robot instead of the newer replacing the older in its
        outbox, and other peers get their turn. (A robot's telemetry mostly
        bypasses the pump: see RelayConnection.process_event.)
        """
        try:
            async for frame in ws:
                if not admit():
                    continue
                pending = deliver(frame)
                if pending is not None:
                    await pending  # e.g. a control change agreed with the cluster first
                await asyncio.sleep(0)
        except ConnectionClosedError as exc:
            _log_close(label, exc)
            return
        if not ws.doomed:
            log.info("%s disconnected", label)


def _log_close(label: str, exc: ConnectionClosed) -> None:
    """A close we initiated for a reason (1009, 1002, ...) is a warning; a vanished peer is not."""
    ours = exc.sent is not None and exc.sent.code not in (1000, 1001)
    log.log(logging.WARNING if ours else logging.INFO, "%s disconnected: %s", label, exc)


@asynccontextmanager
async def serve_relay(
    auth: Auth,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    limits: Limits | None = None,
    ssl: ssl.SSLContext | None = None,
    origins: Iterable[str] | None = None,
    cluster: ClusterConfig | None = None,
    reuse_port: bool = False,
) -> AsyncIterator[Relay]:
    """Run a relay for the duration of the `async with` block (tests, benchmarks, the CLI)."""
    relay = Relay(
        auth, limits, ssl=ssl, origins=origins, cluster=cluster, reuse_port=reuse_port
    )
    await relay.start(host, port)
    try:
        yield relay
    finally:
        await relay.aclose()
