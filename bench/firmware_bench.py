"""Benchmark of the firmware's host build: sustained telemetry and command latency.

    .venv/bin/python bench/firmware_bench.py [--seconds 60] [--drives 1000]

Builds `firmware/build/host/robodeck-fw` (make -C firmware host), starts it
in direct mode on 127.0.0.1 and connects as the app does, then measures:

- telemetry: `cfg` 1000 Hz, 8 channels, for `--seconds`; every sample is
  counted by its seq, so a gap (a lost sample) cannot hide; also the
  longest pause between two batches;
- command-to-motor latency: `--drives` drive commands, one at a time; the
  firmware reports the time from the socket wake-up to the motor pin write
  (`motors ... latency_us=`), and the bench adds the whole round from the
  app's send to that line on the robot's stdout.

The targets from the firmware issue are printed beside each figure.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app import protocol

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "firmware" / "build" / "host" / "robodeck-fw"
RATE = 1000
LATENCY_TARGET_US = 1000


class Robot:
    """robodeck-fw as a child process, with its motor lines in a queue."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.port: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.motors: asyncio.Queue[tuple[float, int, int, int]] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            line = raw.decode()
            if m := re.match(r"listening [\d.]+:(\d+)", line):
                self.port.set_result(int(m.group(1)))
            elif m := re.match(r"motors (-?\d+) (-?\d+) latency_us=(\d+)", line):
                self.motors.put_nowait((time.perf_counter(), int(m[1]), int(m[2]), int(m[3])))

    async def stop(self) -> None:
        self.proc.terminate()
        await self.proc.wait()
        await self.reader


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def telemetry(ws: ClientConnection, seconds: float) -> bool:
    await ws.send(protocol.encode(protocol.Cfg(rate=RATE)))
    while not (isinstance(msg := protocol.decode(await ws.recv()), protocol.Hello) and msg.rate == RATE):
        pass
    first_seq: int | None = None
    next_seq = samples = lost = 0
    channels = 0
    last_arrival = longest_pause = 0.0
    start = time.perf_counter()
    while (now := time.perf_counter()) - start < seconds:
        msg = protocol.decode(await ws.recv())
        if not isinstance(msg, protocol.Tel):
            continue
        if first_seq is None:
            first_seq, next_seq, last_arrival = msg.seq, msg.seq, now
        lost += (msg.seq - next_seq) % (protocol.MAX_SEQ + 1)
        next_seq = msg.seq + len(msg.v)
        samples += len(msg.v)
        channels = msg.v.shape[1]
        longest_pause = max(longest_pause, now - last_arrival)
        last_arrival = now
    elapsed = time.perf_counter() - start
    ok = lost == 0 and samples >= RATE * seconds * 0.98
    print(
        f"telemetry: {elapsed:.1f} s, {samples} samples x {channels} channels = "
        f"{samples / elapsed:.1f} samples/s, lost {lost}, longest pause between batches "
        f"{longest_pause * 1000:.1f} ms  [target: {RATE} Hz x 8 for {seconds:.0f} s, no gap: "
        f"{'met' if ok else 'NOT met'}]"
    )
    return ok


async def latency(ws: ClientConnection, robot: Robot, drives: int) -> bool:
    firmware_us: list[float] = []
    round_us: list[float] = []
    seq = 1_000_000
    for i in range(drives):
        seq += 1
        speed = 10 + i % 80
        sent = time.perf_counter()
        await ws.send(protocol.encode(protocol.Drive(l=speed, r=-speed, seq=seq)))
        while True:
            seen, left, right, fw_us = await asyncio.wait_for(robot.motors.get(), 2)
            if (left, right) == (speed, -speed):
                break
        firmware_us.append(fw_us)
        round_us.append((seen - sent) * 1e6)
    await ws.send(protocol.encode(protocol.Stop(seq=seq + 1)))
    p99 = pct(firmware_us, 0.99)
    print(
        f"command-to-motor latency, frame arrival -> pins (n={drives}): "
        f"p50 {statistics.median(firmware_us):.0f} us, p99 {p99:.0f} us, max {max(firmware_us):.0f} us"
        f"  [target: under {LATENCY_TARGET_US} us: {'met' if p99 < LATENCY_TARGET_US else 'NOT met'}]"
    )
    print(
        f"app send -> pins seen on the robot's stdout (n={drives}): "
        f"p50 {statistics.median(round_us):.0f} us, p99 {pct(round_us, 0.99):.0f} us, "
        f"max {max(round_us):.0f} us"
    )
    return p99 < LATENCY_TARGET_US


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="telemetry run (60)")
    parser.add_argument("--drives", type=int, default=1000, help="drive commands timed (1000)")
    args = parser.parse_args()
    subprocess.run(["make", "-s", "-C", str(ROOT / "firmware"), "host"], check=True)
    proc = await asyncio.create_subprocess_exec(
        str(BINARY), "--listen", "127.0.0.1:0", stdout=asyncio.subprocess.PIPE,
    )
    robot = Robot(proc)
    try:
        port = await asyncio.wait_for(robot.port, 5)
        async with connect(
            f"ws://127.0.0.1:{port}/", subprotocols=[Subprotocol(protocol.SUBPROTOCOL)],
            compression=None, max_size=protocol.MAX_MESSAGE_BYTES,
        ) as ws:
            fast = await telemetry(ws, args.seconds)
            drain = asyncio.create_task(_drain(ws))
            quick = await latency(ws, robot, args.drives)
            drain.cancel()
    finally:
        await robot.stop()
    return 0 if fast and quick else 1


async def _drain(ws: ClientConnection) -> None:
    """Keep reading telemetry while drives are timed, as the app does."""
    async for _ in ws:
        pass


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
