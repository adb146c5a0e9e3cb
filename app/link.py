"""The operator's WebSocket link to a robot, direct or through a relay.

`Link.run()` keeps one connection up for as long as the app wants it: it
connects, and whenever the connection fails or goes silent it waits a
jittered backoff delay and connects again, logging every retry with its
delay. The link only moves messages between `app.protocol` and the socket
and announces what happened through `Signal`s.

Three rules from the protocol shape the sending side:

- Latest wins for `drive`: there is one pending slot, not a queue, so a
  burst of key events collapses to the newest command and a stale command
  is never written after a newer one.
- `stop` goes out ahead of everything and discards the pending drive.
- A dead peer must be noticed in seconds, not minutes (TCP will not tell):
  an app-level `ping` every `ping_interval` measures the round trip, and no
  `pong` for `ping_timeout` drops the connection and reconnects.

A wss:// URL is verified as `tls` (app.tls.TlsOptions) says: system CAs by
default, or a chosen CA file, or a pinned certificate. A refusal that
retrying cannot fix (a wrong token, an untrusted certificate) ends `run()`
with one sentence on `refused` saying why.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ipaddress
import logging
import ssl
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus, InvalidURI
from websockets.typing import Subprotocol

from app import protocol, tls
from app.backoff import backoff
from app.errors import ConfigError, ProtocolError
from app.protocol import (
    Cfg,
    Control,
    Drive,
    Err,
    Give,
    Hello,
    Message,
    Ping,
    Pong,
    Presence,
    Release,
    Stop,
    Take,
    Tel,
)
from app.signals import Signal
from app.telemetry import GapCounter

log = logging.getLogger(__name__)

#: How long `close()` waits for the last stop and the closing handshake.
CLOSE_TIMEOUT = 1.0
#: Telemetry rate is averaged over this many seconds.
RATE_WINDOW_S = 2.0
#: At most one "bad frame" event per this many seconds; the rest are counted.
BAD_FRAME_EVENT_INTERVAL_S = 1.0
#: HTTP answers that retrying cannot fix: wrong token, no such endpoint.
FATAL_STATUSES = frozenset({400, 401, 403, 404})


class LinkState(StrEnum):
    """Where the link is in its life."""

    OFFLINE = "offline"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"


@dataclass(frozen=True)
class LinkStats:
    """A snapshot of link health for the status bar."""

    rtt_ms: float | None
    tel_rate_hz: float
    dropped_samples: int
    frames_in: int
    in_control: bool


class LinkDead(Exception):
    """Raised when the peer has not answered a ping for `ping_timeout`."""


class LinkRefused(Exception):
    """Raised when the peer refuses the handshake in a way retrying cannot fix."""


class TlsRefused(LinkRefused):
    """Raised when a wss:// connection is refused for a TLS reason; the text says which."""


def redact(url: str) -> str:
    """`url` with its token hidden, for logs, events and recordings."""
    parts = urlsplit(url)
    query = [(k, "***" if k == "token" else v) for k, v in parse_qsl(parts.query)]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def _proxy_for(url: str) -> Literal[True] | None:
    """No HTTP proxy for robots on this machine or the LAN; the system's otherwise."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".local"):
        return None
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return True
    return None if ip.is_private or ip.is_loopback or ip.is_link_local else True


def describe(exc: BaseException) -> str:
    """A short, human sentence for why a connection attempt or link ended."""
    explained = tls.explain(exc)
    if explained is not None:
        return explained
    match exc:
        case InvalidStatus():
            return f"refused with HTTP {exc.response.status_code}"
        case InvalidMessage():
            return "the server did not answer as a WebSocket server (does it need wss://?)"
        case ConnectionClosed():
            code = exc.rcvd.code if exc.rcvd else 1006
            reason = exc.rcvd.reason if exc.rcvd and exc.rcvd.reason else "no reason given"
            return f"connection closed ({code}: {reason})"
        case TimeoutError():
            return "no answer in time"
        case OSError():
            return exc.strerror or str(exc) or type(exc).__name__
        case _:
            return str(exc) or type(exc).__name__


class Link:
    """One operator connection to one robot, kept alive until `close()`."""

    def __init__(
        self,
        url: str,
        *,
        ping_interval: float = 0.5,
        ping_timeout: float = 3.0,
        open_timeout: float = 3.0,
        tls: tls.TlsOptions | None = None,
    ) -> None:
        self.url = url
        self.tls = tls
        self.relay = urlsplit(url).path.startswith("/client/")
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.open_timeout = open_timeout

        self.state_changed: Signal[[LinkState]] = Signal()
        self.hello_received: Signal[[Hello]] = Signal()
        self.telemetry: Signal[[Tel]] = Signal()
        self.control_changed: Signal[[Control]] = Signal()
        self.presence_changed: Signal[[Presence]] = Signal()
        self.error_received: Signal[[Err]] = Signal()
        self.event: Signal[[str]] = Signal()
        #: Emitted when the link gives up, with why ("TLS refused: ...", "refused with HTTP 401").
        self.refused: Signal[[str]] = Signal()
        self.refusal: str | None = None

        self.state = LinkState.OFFLINE
        self.hello: Hello | None = None
        self.control: Control | None = None
        self.last_ack = 0
        self._seq = 0
        self._ws: ClientConnection | None = None
        self._drive: Drive | None = None
        self._stop: Stop | None = None
        self._outbox: collections.deque[Message] = collections.deque()
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[object] | None = None
        self._ws_dead = False

        self._pings: dict[int, float] = {}
        self._ping_id = 0
        self._rtt_ms: float | None = None
        self._frames_in = 0
        self._gaps = GapCounter()
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self._connected_at = 0.0
        self._bad_frames = 0
        self._bad_frame_event_at = -BAD_FRAME_EVENT_INTERVAL_S

    # ------------------------------------------------------------ public state

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._ws is not None

    @property
    def in_control(self) -> bool:
        """May this operator drive? Always when direct; when the relay says so."""
        if not self.connected:
            return False
        return self.control.you if self.relay and self.control else not self.relay

    @property
    def stats(self) -> LinkStats:
        """Health numbers, computed now."""
        return LinkStats(
            rtt_ms=self._rtt_ms,
            tel_rate_hz=self._tel_rate(),
            dropped_samples=self._gaps.dropped,
            frames_in=self._frames_in,
            in_control=self.in_control,
        )

    # ------------------------------------------------------------ sending

    def send_drive(self, l: int, r: int) -> int:  # noqa: E741 - the wire name
        """Set the pending drive (replacing any unsent one); return its seq."""
        seq = self._next_seq()
        if self.connected:
            self._drive = Drive(l=l, r=r, seq=seq)
            self._wake.set()
        return seq

    def send_stop(self) -> int:
        """Send stop ahead of anything else, dropping an unsent drive; return its seq."""
        seq = self._next_seq()
        if self.connected:
            self._drive = None
            self._stop = Stop(seq=seq)
            self._wake.set()
        return seq

    def send_cfg(self, rate: int | None = None, timeout: int | None = None) -> None:
        """Ask the robot for another sample rate and/or drive timeout."""
        self._queue(Cfg(rate=rate, timeout=timeout))

    def take_control(self) -> None:
        """Relay: ask for control (granted when nobody holds it)."""
        self._queue(Take())

    def release_control(self) -> None:
        """Relay: give up control; the relay stops the robot."""
        self._queue(Release())

    def give_control(self, name: str) -> None:
        """Relay: hand control to the operator called `name`."""
        self._queue(Give(to=name))

    def _next_seq(self) -> int:
        """Seq numbers keep rising across reconnects, so no stale drive can win."""
        self._seq = self._seq % protocol.MAX_SEQ + 1
        return self._seq

    def _queue(self, msg: Message) -> None:
        if not self.connected:
            log.info("not connected; dropped %s", msg.TYPE)
            self._event(f"not connected: {msg.TYPE} not sent")
            return
        self._outbox.append(msg)
        self._wake.set()

    def _take_next(self) -> Message | None:
        """What to write next: stop first, then control messages, then the drive."""
        msg: Message | None
        if self._stop is not None:
            msg, self._stop = self._stop, None
        elif self._outbox:
            msg = self._outbox.popleft()
        else:
            msg, self._drive = self._drive, None
        return msg

    # ------------------------------------------------------------ lifetime

    async def run(self) -> None:
        """Connect, and reconnect after every failure, until `close()`."""
        if self._task is not None:
            raise RuntimeError("Link.run() is already running")
        self._task = asyncio.current_task()
        if self._closing:
            return
        try:
            await self._run()
        except asyncio.CancelledError:
            # close() cancels us to cut short a connect or a backoff sleep;
            # a cancellation from outside must still propagate.
            current = asyncio.current_task()
            if not self._closing or (current is not None and current.cancelling() > 1):
                raise
            if current is not None:
                current.uncancel()
        finally:
            self._set_state(LinkState.OFFLINE)

    async def close(self) -> None:
        """Send stop if connected, close the connection, and end `run()`."""
        self._closing = True
        ws = self._ws
        if ws is not None:
            stop = protocol.encode(Stop(seq=self._next_seq()))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.send(stop), CLOSE_TIMEOUT)
                self._event("stop sent; closing the link")
                await ws.close()
        task = self._task
        if task is not None and task is not asyncio.current_task():
            # A closed connection ends run() by itself; a connect attempt or a
            # backoff sleep in progress is cut short.
            if ws is None:
                task.cancel()
            await asyncio.wait([task], timeout=CLOSE_TIMEOUT)
            if not task.done():
                task.cancel()
                await asyncio.wait([task])
        self._set_state(LinkState.OFFLINE)

    async def _run(self) -> None:
        delays = backoff()
        self._set_state(LinkState.CONNECTING)
        while not self._closing:
            try:
                reason = await self._connection()
                delays = backoff()
            except LinkRefused as exc:
                log.warning("link to %s refused: %s", redact(self.url), exc)
                self.refusal = str(exc)
                self._event(f"giving up: {exc}")
                self.refused.emit(str(exc))
                return
            except Exception as exc:  # refused, unreachable, handshake failed, link died
                reason = describe(exc)
                log.debug("connection ended", exc_info=True)
            if self._closing:
                return
            delay = next(delays)
            self._set_state(LinkState.RECONNECTING)
            log.info("reconnecting to %s in %.2f s: %s", redact(self.url), delay, reason)
            self._event(f"reconnecting in {delay:.1f} s: {reason}")
            await asyncio.sleep(delay)

    async def _connection(self) -> str:
        """One connection from handshake to end; returns why it ended."""
        context = self._tls_context()
        try:
            ws = await connect(
                self.url,
                subprotocols=[Subprotocol(protocol.SUBPROTOCOL)],
                compression=None,
                max_size=protocol.MAX_MESSAGE_BYTES,
                open_timeout=self.open_timeout,
                ping_interval=None,  # our own ping measures RTT and works through relays
                close_timeout=CLOSE_TIMEOUT,
                proxy=_proxy_for(self.url),
                ssl=context,
            )
        except InvalidURI as exc:
            raise LinkRefused(f"bad URL: {exc}") from exc
        except InvalidStatus as exc:
            if exc.response.status_code in FATAL_STATUSES:
                raise LinkRefused(describe(exc)) from exc
            raise
        except ssl.SSLError as exc:
            if tls.is_fatal(exc):
                raise TlsRefused(tls.explain(exc, urlsplit(self.url).hostname or "")) from exc
            raise
        except ConnectionResetError as exc:
            if context is None:
                raise
            # What a plain ws:// server does with a TLS hello; retried, it may be mid-restart.
            raise ConnectionResetError(exc.errno, tls.RESET_IN_HANDSHAKE) from exc
        try:
            return await self._serve(ws)
        finally:
            self._on_disconnected()
            if self._ws_dead:
                ws.transport.abort()  # a silent peer would make close() wait in vain
            await ws.close()

    def _tls_context(self) -> ssl.SSLContext | None:
        """The TLS context for a wss:// URL (None for ws://); LinkRefused if it cannot be."""
        secure = urlsplit(self.url).scheme == "wss"
        if not secure:
            if self.tls is not None and self.tls.custom:
                raise TlsRefused(
                    "TLS refused: a CA file or pinned certificate is set, but the URL is "
                    "ws:// (unencrypted); use wss://"
                )
            return None
        try:
            return tls.client_context(self.tls)
        except ConfigError as exc:
            raise TlsRefused(f"TLS refused: {exc}") from exc

    async def _serve(self, ws: ClientConnection) -> str:
        """Run reader, writer and pinger until the first of them ends."""
        self._on_connected(ws)
        tasks = [
            asyncio.create_task(self._reader(ws)),
            asyncio.create_task(self._writer(ws)),
            asyncio.create_task(self._pinger()),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        exc = next((t.exception() for t in done if not t.cancelled() and t.exception()), None)
        self._ws_dead = isinstance(exc, LinkDead)
        return describe(exc) if exc else "the robot closed the connection"

    def _on_connected(self, ws: ClientConnection) -> None:
        self._ws, self._ws_dead = ws, False
        self._pings.clear()
        self._samples.clear()
        self._connected_at = time.monotonic()
        if ws.subprotocol != protocol.SUBPROTOCOL:
            log.warning("%s did not confirm subprotocol %s", redact(self.url), protocol.SUBPROTOCOL)
        log.info("connected to %s", redact(self.url))
        self._set_state(LinkState.CONNECTED)
        self._event(f"connected to {redact(self.url)}")

    def _on_disconnected(self) -> None:
        """Forget everything unsent: a stale command must not go out after a reconnect."""
        self._ws = None
        self._drive = self._stop = None
        self._outbox.clear()
        self.control = None
        self._rtt_ms = None

    def _set_state(self, state: LinkState) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)

    def _event(self, text: str) -> None:
        self.event.emit(text)

    # ------------------------------------------------------------ tasks

    async def _writer(self, ws: ClientConnection) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while (msg := self._take_next()) is not None:
                if isinstance(msg, Ping):
                    self._pings[msg.id] = time.monotonic()
                await ws.send(protocol.encode(msg))

    async def _pinger(self) -> None:
        """Ping every `ping_interval`; raise LinkDead when a ping goes unanswered."""
        next_ping = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_ping:
                self._ping_id = self._ping_id % protocol.MAX_SEQ + 1
                self._outbox.append(Ping(id=self._ping_id))
                self._pings.setdefault(self._ping_id, now)
                self._wake.set()
                next_ping = now + self.ping_interval
            deadline = min(self._pings.values(), default=now) + self.ping_timeout
            if now >= deadline:
                raise LinkDead(f"no answer to ping for {now - deadline + self.ping_timeout:.1f} s")
            await asyncio.sleep(min(next_ping, deadline) - now)

    async def _reader(self, ws: ClientConnection) -> None:
        async for frame in ws:
            self._frames_in += 1
            try:
                msg = protocol.decode(frame)
            except ProtocolError as exc:
                self._bad_frame(exc)
                continue
            self._dispatch(msg)

    def _bad_frame(self, exc: ProtocolError) -> None:
        """Tell the peer (as the protocol asks) and the user (at most once a second)."""
        log.warning("bad frame from %s: %s", redact(self.url), exc)
        if len(self._outbox) < 16:
            self._outbox.append(protocol.error_for(exc))
            self._wake.set()
        self._bad_frames += 1
        now = time.monotonic()
        if now - self._bad_frame_event_at >= BAD_FRAME_EVENT_INTERVAL_S:
            self._bad_frame_event_at = now
            self._event(f"bad frame from the robot ({self._bad_frames} so far): {exc}")

    def _dispatch(self, msg: Message) -> None:
        match msg:
            case Tel():
                self._on_tel(msg)
            case Pong():
                sent = self._pings.pop(msg.id, None)
                if sent is not None:
                    self._rtt_ms = (time.monotonic() - sent) * 1000.0
            case Ping():
                self._outbox.append(Pong(id=msg.id))
                self._wake.set()
            case Hello():
                self._on_hello(msg)
            case Control():
                self.control = msg
                self.control_changed.emit(msg)
            case Presence():
                self._event(f"robot {msg.id} is {'online' if msg.online else 'offline'}")
                self.presence_changed.emit(msg)
            case Err():
                self._event(f"robot refused a frame: {msg.code}: {msg.msg}")
                self.error_received.emit(msg)
            case _:
                log.warning("unexpected %s from %s", msg.TYPE, redact(self.url))
                self._event(f"ignored an unexpected {msg.TYPE!r} message")

    def _on_hello(self, hello: Hello) -> None:
        self.hello = hello
        self._event(
            f"robot {hello.id} (firmware {hello.fw}, {hello.board}): "
            f"{len(hello.channels)} channels at {hello.rate} Hz, drive timeout {hello.timeout} ms"
        )
        self.hello_received.emit(hello)

    def _on_tel(self, tel: Tel) -> None:
        n = len(tel.v)
        self._gaps.feed(tel.seq, n)
        self.last_ack = tel.ack
        self._samples.append((time.monotonic(), n))
        self.telemetry.emit(tel)

    def _tel_rate(self) -> float:
        """Samples per second over the last RATE_WINDOW_S (or since connecting)."""
        now = time.monotonic()
        while self._samples and self._samples[0][0] < now - RATE_WINDOW_S:
            self._samples.popleft()
        span = min(RATE_WINDOW_S, now - self._connected_at)
        if not self._samples or span <= 0:
            return 0.0
        return sum(n for _, n in self._samples) / span

