"""Random and mutated frames, broken WebSocket frames and broken handshakes thrown
at a live relay while an innocent robot and operator use it: they must not
notice, and when the storm is over the relay holds nothing it held for it.

The seed is random per run and shown on failure; ROBODECK_FUZZ_SEED=<n>
replays a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import time
from contextlib import AsyncExitStack
from typing import Any

import pytest
from conftest import MS
from fuzz_frames import bad_frame, bad_handshake, fuzz_message, seed, upgrade_request
from relay_helpers import AUTH, dial, hello, recv, tel
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from app import protocol as p
from app.errors import ProtocolError
from app.relay import Relay, serve_relay

ROVER, SCOUT = AUTH.robots["rover"], AUTH.robots["scout"]
SEED = int(os.environ.get("ROBODECK_FUZZ_SEED") or seed())
FUZZ_SECONDS = 2.0


async def fuzz_peer(relay: Relay, target: str, rng: random.Random, until: float) -> int:
    """Send fuzz messages on a valid connection, reconnecting whenever the relay closes it."""
    sent = 0
    while time.monotonic() < until:
        with contextlib.suppress(ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
            async with await dial(relay.url + target) as ws:
                while time.monotonic() < until:
                    await ws.send(fuzz_message(rng))
                    sent += 1
                    if sent % 5 == 0:
                        await asyncio.sleep(1 * MS)
    return sent


async def raw_peer(relay: Relay, rng: random.Random, until: float) -> int:
    """Broken handshakes, and valid ones followed by broken frames, on raw sockets."""
    count = 0
    while time.monotonic() < until:
        count += 1
        reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
        try:
            if rng.random() < 0.5:
                writer.write(bad_handshake(rng, f"/client/rover?token={ROVER.operator}"))
            else:
                writer.write(upgrade_request(f"/robot/rover?token={ROVER.robot}"))
                writer.write(bad_frame(rng))
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(reader.read(65536), 20 * MS)
        finally:
            if rng.random() < 0.5:
                writer.transport.abort()  # RST instead of FIN, now and then
            else:
                writer.close()
    return count


async def innocents(relay: Relay, stack: AsyncExitStack) -> tuple[ClientConnection, ClientConnection]:
    """Scout's robot and operator, connected before the storm."""
    robot = await stack.enter_async_context(await dial(f"{relay.url}/robot/scout?token={SCOUT.robot}"))
    await robot.send(hello("scout"))
    op = await stack.enter_async_context(await dial(f"{relay.url}/client/scout?token={SCOUT.operator}"))
    await _next(op, "control")
    return robot, op


async def innocent_traffic(robot: ClientConnection, op: ClientConnection, until: float) -> list[float]:
    """The robot streams and the operator drives, all through the storm; round-trip times."""
    seq, delays = 0, []
    while time.monotonic() < until:
        seq += 1
        started = time.perf_counter()
        await robot.send(tel(seq))
        await op.send(p.encode(p.Drive(l=10, r=10, seq=seq)))
        got_tel = await _next(op, "tel")
        got_drive = await _next(robot, "drive")
        delays.append(time.perf_counter() - started)
        assert (got_tel["seq"], got_drive["seq"]) == (seq, seq), f"lost or reordered (seed {SEED})"
        await asyncio.sleep(20 * MS)
    return delays


async def _next(ws: ClientConnection, t: str) -> dict[str, Any]:
    """The next frame, which must be of type `t` (plus the start-up ones an operator gets)."""
    while True:
        msg = await recv(ws, 2000 * MS)
        if msg["t"] == t:
            return msg
        assert msg["t"] in ("presence", "hello", "control", "ping"), f"{msg} leaked (seed {SEED})"


async def test_fuzzing_the_relay_hurts_no_other_connection(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    rng = random.Random(SEED)
    async with serve_relay(AUTH) as relay, AsyncExitStack() as stack:
        robot, op = await innocents(relay, stack)
        tasks_before = len(asyncio.all_tasks())
        until = time.monotonic() + FUZZ_SECONDS * 1000 * MS
        storm = [
            fuzz_peer(relay, f"/robot/rover?token={ROVER.robot}", random.Random(rng.random()), until),
            fuzz_peer(relay, f"/client/rover?token={ROVER.operator}&name=a", random.Random(rng.random()), until),
            fuzz_peer(relay, f"/client/rover?token={ROVER.operator}&name=b", random.Random(rng.random()), until),
            raw_peer(relay, random.Random(rng.random()), until),
        ]
        delays, *counts = await asyncio.gather(innocent_traffic(robot, op, until), *storm)
        assert all(counts), f"a fuzzer sent nothing: {counts}"
        assert max(delays) < 500 * MS, f"the innocent pair waited {max(delays) / MS:.0f} ms"

        async with asyncio.timeout(3000 * MS):  # unfinished raw handshakes time out
            while len(relay.stats()) > 1 or relay.addresses["127.0.0.1"] > 2:
                await asyncio.sleep(10 * MS)
        assert set(relay.stats()) == {"scout"}, "the fuzzed robot id left state behind"
        assert len(asyncio.all_tasks()) <= tasks_before, "tasks leaked"
        await robot.send(tel(10**6))
        assert (await _next(op, "tel"))["seq"] == 10**6

    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not crashes, f"seed {SEED}: " + "\n".join(r.getMessage() for r in crashes)
    print(f"seed {SEED}: fuzz frames {counts[:3]}, raw connections {counts[3]}, "
          f"innocent round trips {len(delays)}, worst {max(delays) / MS:.1f} ms")


def test_the_fuzz_corpus_reaches_every_refusal() -> None:
    """The generator is worth its name: its frames hit every kind of refusal."""
    rng = random.Random(SEED)
    codes = set()
    for _ in range(2000):
        try:
            p.decode(fuzz_message(rng))
            codes.add("ok")
        except ProtocolError as exc:
            codes.add(exc.code)
    assert {"ok", "bad_json", "bad_type", "bad_field"} <= codes, (SEED, codes)
