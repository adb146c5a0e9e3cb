"""A TCP proxy on 127.0.0.1 that does to a link what real networks do.

Put it between two RoboDeck programs and change its faults while they talk:

    async with FaultProxy(target_port=relay.port) as proxy:
        link = Link(f"ws://127.0.0.1:{proxy.port}/client/rover")
        proxy.set(delay=0.2, jitter=0.05)   # both directions
        proxy.down.blackhole = True          # only target -> client
        proxy.reset()                        # RST every connection now

Faults per direction (`up`: client -> target, `down`: target -> client):

- `delay` and `jitter` (seconds): each chunk is held for delay ± jitter, but
  never overtakes an earlier one (TCP keeps order; so must we);
- `blackhole`: bytes are read and thrown away; nobody learns of it, just as
  when a NAT forgets a mapping or a cable is pulled somewhere upstream;
- `stall`: the proxy stops reading, so the sender's buffers fill (a peer
  whose program hangs);
- `slice` (bytes): chunks are written in pieces this small, a few ms apart,
  so every parser sees frames and headers cut at odd places;
- `bandwidth` (bytes/s): the direction carries no more than this.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
from collections import deque
from dataclasses import dataclass
from types import TracebackType

CHUNK = 16 * 1024
#: Bytes a direction holds before it stops reading, and each socket's receive
#: buffer: small, so a slow or stalled direction pushes back on the sender
#: within a moment instead of soaking up megabytes.
HOLD_LIMIT = 16 * 1024
RCVBUF = 8 * 1024
#: Pause between two slices, so they arrive as separate reads.
SLICE_GAP_S = 0.001


@dataclass
class Faults:
    """What happens to the bytes going one way; change any field at any time."""

    delay: float = 0.0
    jitter: float = 0.0
    blackhole: bool = False
    stall: bool = False
    slice: int = 0
    bandwidth: float = 0.0

    def hold(self, rng: random.Random) -> float:
        """Seconds to hold the next chunk."""
        return max(0.0, self.delay + rng.uniform(-self.jitter, self.jitter))


class _Direction:
    """One way of one connection: read, hold as the faults say, write in order."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, faults: Faults,
        rng: random.Random,
    ) -> None:
        self.reader, self.writer, self.faults, self.rng = reader, writer, faults, rng
        self.queue: deque[tuple[float, bytes]] = deque()
        self.held = 0  # bytes in `queue`
        self.ready = asyncio.Event()
        self.eof = False

    async def read(self) -> None:
        """Read until EOF or an error; in a black hole not even those get through."""
        try:
            await self._read()
        except OSError:
            if not self.faults.blackhole:
                raise
        if self.faults.blackhole:
            await asyncio.Event().wait()  # the other side never learns; ended by reset() or exit
        self.eof = True
        self.ready.set()

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        last_due = 0.0
        while True:
            while self.faults.stall or self.held > HOLD_LIMIT:
                await asyncio.sleep(0.005)
            data = await self.reader.read(CHUNK)
            if not data:
                return
            if self.faults.blackhole:
                continue
            last_due = max(last_due, loop.time() + self.faults.hold(self.rng))
            self.queue.append((last_due, data))
            self.held += len(data)
            self.ready.set()

    async def write(self) -> None:
        loop = asyncio.get_running_loop()
        while not (self.eof and not self.queue):
            if not self.queue:
                self.ready.clear()
                await self.ready.wait()
                continue
            due, data = self.queue[0]
            await asyncio.sleep(max(0.0, due - loop.time()))
            await self._send(data)
            self.queue.popleft()
            self.held -= len(data)
        with contextlib.suppress(OSError):
            self.writer.write_eof()

    async def _send(self, data: bytes) -> None:
        step = self.faults.slice or len(data)
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            self.writer.write(piece)
            await self.writer.drain()
            if self.faults.bandwidth:
                await asyncio.sleep(len(piece) / self.faults.bandwidth)
            elif self.faults.slice:
                await asyncio.sleep(SLICE_GAP_S)


class FaultProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port`, with faults."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", seed: int = 0) -> None:
        self.target = (target_host, target_port)
        self.up = Faults()
        self.down = Faults()
        self.connections = 0  # accepted so far
        self._rng = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FaultProxy:
        listener = _small_socket()
        listener.bind(("127.0.0.1", 0))  # accepted sockets inherit its receive buffer
        self._server = await asyncio.start_server(self._accept, sock=listener, limit=HOLD_LIMIT)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        self.reset()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def port(self) -> int:
        assert self._server is not None, "use `async with FaultProxy(...)`"
        return int(self._server.sockets[0].getsockname()[1])

    def set(self, **faults: float | bool | int) -> None:
        """Set the same faults in both directions, e.g. set(delay=0.2, jitter=0.05)."""
        for direction in (self.up, self.down):
            for name, value in faults.items():
                setattr(direction, name, value)

    def clear(self) -> None:
        """No faults any more, on open connections too."""
        for direction in (self.up, self.down):
            vars(direction).update(vars(Faults()))

    def reset(self) -> None:
        """Close every open connection with a TCP RST, both sides, as a crashing router does."""
        for writer in list(self._writers):
            sock = writer.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            sock = _small_socket()
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, self.target)
            target_r, target_w = await asyncio.open_connection(sock=sock, limit=HOLD_LIMIT)
        except OSError:
            sock.close()
            client_w.transport.abort()
            return
        self._writers |= {client_w, target_w}
        directions = [
            _Direction(client_r, target_w, self.up, self._rng),
            _Direction(target_r, client_w, self.down, self._rng),
        ]
        tasks = [asyncio.create_task(f()) for d in directions for f in (d.read, d.write)]
        self._tasks.update(tasks)
        try:
            # A reset or error on one side is passed on as a reset of the other.
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            if any(t.done() and not t.cancelled() and t.exception() for t in tasks):
                for writer in (client_w, target_w):
                    writer.transport.abort()
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._tasks.difference_update(tasks)
            for writer in (client_w, target_w):
                self._writers.discard(writer)
                writer.transport.abort()


def _small_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
    return sock
