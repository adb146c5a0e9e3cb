"""Telemetry fan-out and command round trip: one relay process vs two plus Redis.

Three relays run at once on 127.0.0.1, with one redis-server:

- "1 process": a relay without --redis; robot and operators all on it;
- "2 processes + Redis": relays A and B with --redis; the robot on A, the
  operators on B, so every frame crosses Redis.

Round trip: an operator sends app-level `ping`, the robot (this process)
answers `pong` at once; pings alternate between the two set-ups so machine
noise hits both alike. Printed: p50/p99 and the cluster's p50 as a
ratio of the single process's (goal: within 3x).

Fan-out: the robot streams `tel` (8 channels x 5 samples a frame, 200
frames/s, i.e. 1 kHz sampling) to OPERATORS operators for a few seconds, one
set-up after the other. Printed: frames delivered, latency robot -> operator,
and the CPU the relay processes and Redis spent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

import numpy as np
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app import protocol as p
from bench.load import cpu_seconds
from bench.procs import free_port, redis_server, relay_process
from bench.stats import percentiles_ms, ratio

OPERATORS = 20
TEL_RATE = 200  # frames/s
SAMPLES = 5
CHANNELS = 8
#: Seconds between two pings of one operator: the relay closes an operator
#: that sends more than 100 frames/s for long.
PING_GAP = 0.012


async def dial(url: str) -> ClientConnection:
    return await connect(url, compression=None, subprotocols=[Subprotocol(p.SUBPROTOCOL)],
                         max_size=p.MAX_MESSAGE_BYTES)


def tel_frame(seq: int) -> str:
    rows = np.full((SAMPLES, CHANNELS), 512, dtype=np.int32)
    return p.encode(p.Tel(seq=seq, ms=seq % p.MAX_MS, v=rows, m=(0, 0), ack=0))


class Robot:
    """A robot in this process: answers pings at once, streams telemetry when asked."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.sent_at: dict[int, float] = {}
        self._task = asyncio.create_task(self._answer())

    async def _answer(self) -> None:
        async for frame in self.ws:
            if '"ping"' in frame:
                await self.ws.send(p.encode(p.Pong(id=json.loads(frame)["id"])))

    async def stream(self, seconds: float) -> int:
        """Send TEL_RATE frames/s for `seconds`; returns how many."""
        gap, start, seq = 1.0 / TEL_RATE, time.perf_counter(), 0
        while (now := time.perf_counter()) - start < seconds:
            self.sent_at[seq] = now
            await self.ws.send(tel_frame(seq))
            seq += 1
            await asyncio.sleep(max(0.0, start + seq * gap - time.perf_counter()))
        return seq


class Set:
    """One set-up: where the robot connects, where the operators connect, whose CPU counts."""

    def __init__(self, name: str, robot_url: str, operator_url: str, pids: list[int]) -> None:
        self.name, self.robot_url, self.operator_url, self.pids = name, robot_url, operator_url, pids

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids)


async def ping(ws: ClientConnection, ping_id: int) -> float:
    start = time.perf_counter()
    await ws.send(p.encode(p.Ping(id=ping_id)))
    while True:
        frame = await ws.recv()
        if '"pong"' in frame and json.loads(frame)["id"] == ping_id:
            return time.perf_counter() - start


async def round_trips(ops: list[ClientConnection], count: int) -> list[list[float]]:
    """`count` pings through each connection, alternating, under the operator rate limit."""
    out: list[list[float]] = [[] for _ in ops]
    for n in range(count):
        started = time.perf_counter()
        for i in (0, 1) if n % 2 == 0 else (1, 0):
            out[i].append(await ping(ops[i], n * 2 + i))
        await asyncio.sleep(max(0.0, PING_GAP - (time.perf_counter() - started)))
    return out


async def fan_out(setup: Set, seconds: float) -> dict[str, Any]:
    async with AsyncExitStack() as stack:
        robot = Robot(await stack.enter_async_context(await dial(f"{setup.robot_url}/robot/bench")))
        await robot.ws.send(p.encode(p.Hello(id="bench", fw="bench", board="host", channels=(), rate=1000)))
        ops = [await stack.enter_async_context(await dial(f"{setup.operator_url}/client/bench"))
               for _ in range(OPERATORS)]
        await asyncio.sleep(0.5)  # joined everywhere
        latencies: list[float] = []
        got = [0] * OPERATORS

        async def read(i: int, ws: ClientConnection) -> None:
            async for frame in ws:
                if frame.startswith('{"t":"tel"'):
                    now = time.perf_counter()
                    got[i] += 1
                    seq = int(str(frame)[frame.index('"seq":') + 6:frame.index(',"ms"')])
                    latencies.append(now - robot.sent_at[seq])

        readers = [asyncio.create_task(read(i, ws)) for i, ws in enumerate(ops)]
        cpu0 = setup.cpu()
        sent = await robot.stream(seconds)
        await asyncio.sleep(0.5)
        cpu = setup.cpu() - cpu0
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return {"sent": sent, "delivered": sum(got) / (sent * OPERATORS), "cpu": cpu / seconds,
            **percentiles_ms(latencies or [0.0])}


async def measure(single: Set, cluster: Set, seconds: float, pings: int) -> None:
    async with AsyncExitStack() as stack:
        robots = [Robot(await stack.enter_async_context(await dial(f"{s.robot_url}/robot/rt")))
                  for s in (single, cluster)]
        ops = [await stack.enter_async_context(await dial(f"{s.operator_url}/client/rt"))
               for s in (single, cluster)]
        await asyncio.sleep(0.5)
        rtt = await round_trips(ops, pings)
        del robots
    one, two = (percentiles_ms(r) for r in rtt)
    print(f"command round trip operator -> relay(s) -> robot -> operator, {pings} pings each (ms):")
    print(f"  {'':22} {'p50':>6} {'p90':>6} {'p99':>6} {'max':>6}")
    for name, row in (("1 process", one), ("2 processes + Redis", two)):
        print(f"  {name:22} {row['p50']:6.2f} {row['p90']:6.2f} {row['p99']:6.2f} {row['max']:6.2f}")
    print(f"  cross-process p50 = {ratio(two['p50'], one['p50'])} of one process (goal: within 3x)")

    print(f"\ntelemetry fan-out: {TEL_RATE} frames/s x {SAMPLES} samples x {CHANNELS} channels "
          f"to {OPERATORS} operators, {seconds:.0f} s each:")
    print(f"  {'':22} {'delivered':>9} {'p50 ms':>7} {'p99 ms':>7} {'CPU (relays+redis)':>19}")
    for setup in (single, cluster):
        row = await fan_out(setup, seconds)
        print(f"  {setup.name:22} {row['delivered']:9.1%} {row['p50']:7.2f} {row['p99']:7.2f} "
              f"{row['cpu']:18.0%}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args(argv)
    seconds, pings = (2.0, 200) if args.quick else (5.0, 1000)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        url, redis_pid = stack.enter_context(redis_server(free_port()))
        ports = [free_port() for _ in range(3)]
        s = stack.enter_context(relay_process(ports[0], str(Path(folder) / "s.log")))
        a = stack.enter_context(relay_process(ports[1], str(Path(folder) / "a.log"), "--redis", url))
        b = stack.enter_context(relay_process(ports[2], str(Path(folder) / "b.log"), "--redis", url))
        single = Set("1 process", *[f"ws://127.0.0.1:{ports[0]}"] * 2, pids=[s.pid])
        cluster = Set("2 processes + Redis", f"ws://127.0.0.1:{ports[1]}",
                      f"ws://127.0.0.1:{ports[2]}", pids=[a.pid, b.pid, redis_pid])
        asyncio.run(measure(single, cluster, seconds, pings))


if __name__ == "__main__":
    main()
