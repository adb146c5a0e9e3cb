"""Load generator for bench/load.py: many robots and operators in one process.

A full `websockets` client per connection would cost the generator more CPU
than the server it measures, so this speaks just enough RFC 6455 by hand:
an upgrade request, unmasked server frames in, client frames out with an
all-zero mask key (legal, and the payload then goes as is), pongs for the
server's pings.

    python -m bench.loadgen load --url ws://127.0.0.1:P --first 0 --count 500 \
        --rate 20 --drive-rate 10 --seconds 60 --out /tmp/w0.npy
    python -m bench.loadgen idle --url ws://127.0.0.1:P --count 5000 --seconds 10

`load` runs robots `bench-<i>` and one operator each: every robot sends
`rate` telemetry batches a second (8 channels x 5 samples) stamped with the
send time; every operator sends `drive-rate` drives a second with seqs
1, 2, 3, ... The robot side checks that drives arrive complete and in order;
the operator side records each batch's delay and when it arrived. Figures
go to stdout as JSON, (arrival, delay) in microseconds to --out. `idle` holds connections that send nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import struct
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from app.protocol import SUBPROTOCOL

SAMPLES = [[512 + i, 300, 301, 700, 20, 880, 1, 2] for i in range(5)]
#: A compact `tel` frame; only seq, ms (the send time in us) and ack change.
TEL = (b'{"t":"tel","seq":%d,"ms":%d,"v":' + json.dumps(SAMPLES, separators=(",", ":")).encode()
       + b',"m":[0,0],"ack":%d}')
ZERO_MASK = b"\x00\x00\x00\x00"
TICK_S = 0.005


def client_frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (mask key 0: the payload is sent unchanged)."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + ZERO_MASK + payload


class RawClient(asyncio.Protocol):
    """One WebSocket client connection; `on_text` gets every text frame."""

    def __init__(self, target: str, host: str, on_text: Callable[[bytes], None]) -> None:
        self.target, self.host, self.on_text = target, host, on_text
        self.transport: asyncio.Transport | None = None
        self.open = asyncio.get_running_loop().create_future()
        self.closed = False
        self._buf = bytearray()
        self._upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write((
            f"GET {self.target} HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {SUBPROTOCOL}\r\n\r\n"
        ).encode())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.open.done():
            self.open.set_exception(ConnectionError(f"closed in the handshake: {exc}"))

    def send_text(self, payload: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(client_frame(1, payload))

    def data_received(self, data: bytes) -> None:
        self._buf += data
        if not self._upgraded:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buf[:12])
            del self._buf[:end + 4]
            if not status.startswith(b"HTTP/1.1 101"):
                self.open.set_exception(ConnectionError(f"refused: {status!r}"))
                return
            self._upgraded = True
            self.open.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buf = self._buf
        while len(buf) >= 2:
            opcode, size, start = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if size == 126:
                if len(buf) < 4:
                    return
                size, start = struct.unpack_from("!H", buf, 2)[0], 4
            elif size == 127:
                if len(buf) < 10:
                    return
                size, start = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < start + size:
                return
            payload = bytes(buf[start:start + size])
            del buf[:start + size]
            if opcode == 1:
                self.on_text(payload)
            elif opcode == 9 and self.transport is not None:  # ping -> pong
                self.transport.write(client_frame(10, payload))


async def dial(url: str, target: str, on_text: Callable[[bytes], None]) -> RawClient:
    host, _, port = url.removeprefix("ws://").partition(":")
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: RawClient(target, f"{host}:{port}", on_text), host, int(port)
    )
    await asyncio.wait_for(client.open, 30)
    return client


def now_us() -> int:
    return int(time.monotonic() * 1e6) & 0xFFFFFFFF


# ---------------------------------------------------------------- load


@dataclass
class Tally:
    """What one worker saw."""

    tel_sent: int = 0
    tel_received: int = 0
    drives_sent: int = 0
    drives_received: int = 0
    drives_reordered: int = 0
    drives_lost: int = 0
    disconnected: int = 0
    delays_us: list[int] = field(default_factory=list, repr=False)
    arrivals_us: list[int] = field(default_factory=list, repr=False)  # monotonic, per delay


class Pair:
    """Robot `bench-<i>` and its operator, with what each expects of the other."""

    def __init__(self, index: int, tally: Tally) -> None:
        self.id = f"bench-{index}"
        self.tally = tally
        self.robot: RawClient | None = None
        self.operator: RawClient | None = None
        self.tel_seq = 0
        self.drive_seq = 0
        self.last_drive = 0

    async def connect(self, url: str) -> None:
        self.robot = await dial(url, f"/robot/{self.id}", self._robot_got)
        self.operator = await dial(url, f"/client/{self.id}", self._operator_got)

    def send_tel(self) -> None:
        assert self.robot is not None
        self.tel_seq += 5
        self.robot.send_text(TEL % (self.tel_seq, now_us(), self.last_drive))
        self.tally.tel_sent += 1

    def send_drive(self) -> None:
        assert self.operator is not None
        self.drive_seq += 1
        self.operator.send_text(b'{"t":"drive","l":30,"r":30,"seq":%d}' % self.drive_seq)
        self.tally.drives_sent += 1

    def _operator_got(self, payload: bytes) -> None:
        if payload.startswith(b'{"t":"tel"'):
            at = payload.index(b'"ms":') + 5
            sent = int(payload[at:payload.index(b",", at)])
            now = time.monotonic_ns() // 1000
            self.tally.delays_us.append((now - sent) & 0xFFFFFFFF)
            self.tally.arrivals_us.append(now)
            self.tally.tel_received += 1

    def _robot_got(self, payload: bytes) -> None:
        if not payload.startswith(b'{"t":"drive"'):
            return
        seq = int(payload[payload.index(b'"seq":') + 6:payload.index(b"}")])
        self.tally.drives_received += 1
        if seq <= self.last_drive:
            self.tally.drives_reordered += 1
        else:
            self.tally.drives_lost += seq - self.last_drive - 1
            self.last_drive = seq


async def run_load(url: str, first: int, count: int, rate: float, drive_rate: float,
                   seconds: float) -> Tally:
    tally = Tally()
    pairs = [Pair(i, tally) for i in range(first, first + count)]
    for start in range(0, count, 50):  # not all at once: the server's backlog is finite
        await asyncio.gather(*(pair.connect(url) for pair in pairs[start:start + 50]))
    await asyncio.sleep(0.5)  # presence, hello and control frames settle
    await _drive_loop(pairs, rate, drive_rate, seconds)
    await asyncio.sleep(0.5)  # the last frames arrive
    tally.disconnected = sum(1 for pair in pairs for c in (pair.robot, pair.operator) if c and c.closed)
    return tally


async def _drive_loop(pairs: list[Pair], rate: float, drive_rate: float, seconds: float) -> None:
    """Every pair sends on its own phase of the period, so the load is smooth."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    n = len(pairs)
    tel_done = drive_done = 0
    while (elapsed := loop.time() - start) < seconds:
        tel_due = int(elapsed * rate * n)
        for k in range(tel_done, tel_due):
            pairs[k % n].send_tel()
        drive_due = int(elapsed * drive_rate * n)
        for k in range(drive_done, drive_due):
            pairs[k % n].send_drive()
        tel_done, drive_done = tel_due, drive_due
        await asyncio.sleep(TICK_S)


# ---------------------------------------------------------------- idle


async def run_idle(url: str, count: int, seconds: float) -> dict[str, int]:
    """Open `count` operator connections that send nothing, hold them, count survivors."""
    clients: list[RawClient] = []
    for start in range(0, count, 100):
        clients += await asyncio.gather(*(
            dial(url, f"/client/idle-{i}", lambda _: None) for i in range(start, min(count, start + 100))
        ))
    print(json.dumps({"opened": len(clients)}), flush=True)
    await asyncio.sleep(seconds)
    held = sum(1 for c in clients if not c.closed)
    for c in clients:
        if c.transport is not None:
            c.transport.close()
    return {"opened": len(clients), "held": held}


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.loadgen")
    sub = ap.add_subparsers(dest="mode", required=True)
    load = sub.add_parser("load")
    idle = sub.add_parser("idle")
    for p in (load, idle):
        p.add_argument("--url", required=True)
        p.add_argument("--count", type=int, required=True)
        p.add_argument("--seconds", type=float, required=True)
    load.add_argument("--first", type=int, default=0)
    load.add_argument("--rate", type=float, default=20)
    load.add_argument("--drive-rate", type=float, default=2)
    load.add_argument("--out", required=True)
    args = ap.parse_args()
    if args.mode == "idle":
        print(json.dumps(asyncio.run(run_idle(args.url, args.count, args.seconds))), flush=True)
        return
    tally = asyncio.run(run_load(args.url, args.first, args.count, args.rate, args.drive_rate,
                                 args.seconds))
    np.save(args.out, np.asarray([tally.arrivals_us, tally.delays_us], dtype=np.int64))
    figures = asdict(tally)
    del figures["delays_us"], figures["arrivals_us"]
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
