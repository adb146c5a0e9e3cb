"""The firmware's own code (host build) under fire: broken handshakes, broken frames
and mutated messages from a hostile app (direct mode) and from a hostile relay
(relay mode). Afterwards a well-behaved app must still drive it, the motors
must be off, and the process must hold no more sockets or memory than before.

`make -C firmware host` builds the binary; if that fails, these tests fail
with make's output (tests/firmware_helpers.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from pathlib import Path

import pytest
from conftest import MS
from firmware_helpers import Firmware, StartFirmware
from fuzz_frames import bad_frame, bad_handshake, frame, fuzz_message, seed, upgrade_request
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app import protocol as p
from app.link import Link

SEED = int(os.environ.get("ROBODECK_FUZZ_SEED") or seed())
CONNECTIONS = 150

pytestmark = pytest.mark.timeout(60)



def resources(fw: Firmware) -> tuple[int, int]:
    """Open file descriptors and resident memory (kB) of the firmware process."""
    pid = fw.proc.pid
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))
    return fds, rss


def attack(rng: random.Random) -> bytes:
    """What one hostile connection sends: a broken handshake, or a good one and then trouble."""
    if rng.random() < 0.3:
        return bad_handshake(rng, "/")
    out = upgrade_request("/")
    for _ in range(rng.randint(1, 20)):
        roll = rng.random()
        if roll < 0.6:
            message = fuzz_message(rng)
            data = message.encode() if isinstance(message, str) else message
            out += frame(1 if isinstance(message, str) else 2, data)
        elif roll < 0.7:
            out += frame(1, b'{"t":"ping","id":1,"pad":"' + b"x" * 2000 + b'"}')  # over RD_RX_BUFFER
        else:
            out += bad_frame(rng)
    return out


async def hostile_app(port: int, rng: random.Random) -> None:
    """One connection from a hostile app: send, read a little, leave (FIN or RST)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = attack(rng)
    cut = len(data) if rng.random() < 0.8 else rng.randrange(len(data))
    try:
        for start in range(0, cut, 512):  # in pieces, as a network delivers them
            writer.write(data[start:min(cut, start + 512)])
            await writer.drain()
        with contextlib.suppress(TimeoutError):
            while await asyncio.wait_for(reader.read(65536), 20 * MS):
                pass
    except OSError:
        pass  # the firmware hung up on us: fine
    finally:
        if rng.random() < 0.3:
            writer.transport.abort()
        else:
            writer.close()


async def drives_well(url: str, fw: Firmware) -> None:
    """A well-behaved app connects, drives, and gets its pongs."""
    link = Link(url, ping_interval=0.05)
    running = asyncio.create_task(link.run())
    try:
        async with asyncio.timeout(3000 * MS):
            while not (link.in_control and link.hello is not None and link.stats.rtt_ms):
                await asyncio.sleep(5 * MS)
        link.send_drive(33, -33)
        await fw.motors(33, -33)
    finally:
        await link.close()
        await running
    await fw.motors(0, 0, 1000 * MS)


async def test_a_hostile_app_cannot_hurt_the_firmware(start_firmware: StartFirmware) -> None:
    fw = await start_firmware("--listen", "127.0.0.1:0", "--id", "fuzz")
    port = int((await fw.expect(r"listening 127\.0\.0\.1:(\d+)")).group(1))
    await drives_well(f"ws://127.0.0.1:{port}/", fw)  # warm: every buffer it has is in use once
    fds, rss = resources(fw)
    rng = random.Random(SEED)
    for _ in range(CONNECTIONS):
        await hostile_app(port, rng)
        assert fw.proc.returncode is None, f"seed {SEED}: firmware died:\n{fw.output()[-2000:]}"
    await drives_well(f"ws://127.0.0.1:{port}/", fw)
    async with asyncio.timeout(3000 * MS):  # sockets of slow handshakes time out
        while resources(fw)[0] > fds:
            await asyncio.sleep(20 * MS)
    assert resources(fw)[1] - rss < 256, f"seed {SEED}: memory grew {resources(fw)[1] - rss} kB"


async def test_a_hostile_relay_cannot_hurt_the_firmware(start_firmware: StartFirmware) -> None:
    rng = random.Random(SEED)
    rounds = {"n": 0}

    async def hostile_relay(ws: ServerConnection) -> None:
        """Three connections get trouble, then the relay behaves and drives the robot."""
        rounds["n"] += 1
        with contextlib.suppress(ConnectionClosed):
            if rounds["n"] <= 3:
                for _ in range(300):
                    message = fuzz_message(rng)
                    if rng.random() < 0.05:
                        ws.transport.write(bad_frame(rng))  # masked, or worse: all wrong from a server
                    else:
                        await ws.send(message)
                await ws.close()
                return
            await ws.send(p.encode(p.Drive(l=44, r=44, seq=1)))
            async for _ in ws:
                await ws.send(p.encode(p.Drive(l=44, r=44, seq=int(time.monotonic() * 10))))

    async with serve(hostile_relay, "127.0.0.1", 0, compression=None,
                     subprotocols=[p.SUBPROTOCOL], max_size=None) as server:  # type: ignore[list-item]
        port = server.sockets[0].getsockname()[1]
        fw = await start_firmware("--relay", f"ws://127.0.0.1:{port}", "--id", "fuzz")
        await fw.motors(44, 44, 8000 * MS)
    assert rounds["n"] >= 4
    await fw.motors(0, 0, 1000 * MS)  # the relay went away: motors off
    assert fw.proc.returncode is None, f"seed {SEED}: firmware died:\n{fw.output()[-2000:]}"
