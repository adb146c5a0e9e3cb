"""The firmware's own code (host build) against robodeck-relay and the app's Link.

Each test starts `robodeck-fw` as a process and drives it the way the app
does; motor outputs are read back from the pins the firmware wrote.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from conftest import MS, free_port
from firmware_helpers import (
    BACKOFF_MAX_MS,
    DRIVE_TIMEOUT_MS,
    StartFirmware,
)

from app.link import Link
from app.protocol import Hello, Tel
from app.relay import Auth
from app.relay.server import serve_relay

pytestmark = pytest.mark.timeout(60)



async def until(condition: Callable[[], bool], timeout: float = 2000 * MS) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


@asynccontextmanager
async def app_link(url: str) -> AsyncIterator[tuple[Link, list[Tel]]]:
    """The app's Link, running, with every telemetry batch collected."""
    link = Link(url)
    tels: list[Tel] = []
    link.telemetry.connect(tels.append)
    task = asyncio.create_task(link.run())
    try:
        yield link, tels
    finally:
        await link.close()
        await task


async def test_relay_drive_ack_and_telemetry(start_firmware: StartFirmware) -> None:
    async with serve_relay(Auth.open_access()) as relay:
        fw = await start_firmware("--relay", relay.url, "--id", "fw1")
        await fw.expect("link up")
        async with app_link(f"{relay.url}/client/fw1") as (link, tels):
            await until(lambda: link.hello is not None and link.in_control)
            assert link.hello is not None
            assert (link.hello.id, link.hello.board, link.hello.rate) == ("fw1", "host", 100)
            assert link.hello.timeout == DRIVE_TIMEOUT_MS
            assert [c.name for c in link.hello.channels][:2] == ["battery", "current_l"]
            seq = link.send_drive(60, -40)
            await fw.motors(60, -40)
            await until(lambda: any(t.ack == seq and t.m == (60, -40) for t in tels))
            # 100 Hz for half a second more: every sample arrives, none twice.
            start = sum(len(t.v) for t in tels)
            await asyncio.sleep(0.5)
            got = sum(len(t.v) for t in tels) - start
            assert 35 <= got <= 65
            assert link.stats.dropped_samples == 0
            assert all(t.v.shape[1] == 8 and t.v.min() >= 0 and t.v.max() <= 1023 for t in tels)
        await fw.motors(0, 0, 500 * MS)  # the app's Link sends stop when it closes


async def test_relay_motors_stop_on_drive_timeout(start_firmware: StartFirmware) -> None:
    async with serve_relay(Auth.open_access()) as relay:
        fw = await start_firmware("--relay", relay.url, "--id", "fw2")
        async with app_link(f"{relay.url}/client/fw2") as (link, _tels):
            await until(lambda: link.in_control)
            link.send_drive(50, 50)  # once: no re-send, so the robot's timeout fires
            on = await fw.motors(50, 50)
            off = await fw.motors(0, 0)
            stopped_after = off.t - on.t
            assert DRIVE_TIMEOUT_MS / 1000 * 0.9 <= stopped_after <= DRIVE_TIMEOUT_MS / 1000 + 150 * MS

            hellos: list[Hello] = []
            link.hello_received.connect(hellos.append)
            link.send_cfg(timeout=200)
            await until(lambda: bool(hellos))
            assert hellos[-1].timeout == 200
            link.send_drive(30, 30)
            on = await fw.motors(30, 30)
            off = await fw.motors(0, 0)
            assert 0.18 <= off.t - on.t <= 0.2 + 150 * MS


async def test_relay_restart_reconnects_and_stays_stopped(start_firmware: StartFirmware) -> None:
    port = free_port()
    async with serve_relay(Auth.open_access(), port=port) as relay:
        fw = await start_firmware("--relay", relay.url, "--id", "fw3")
        async with app_link(f"{relay.url}/client/fw3") as (link, tels):
            await until(lambda: link.in_control)
            link.send_drive(70, 70)
            await fw.motors(70, 70)
            await relay.aclose()  # the relay goes away under a driving robot
            down = time.monotonic()
            off = await fw.motors(0, 0, 500 * MS)
            assert off.t - down < 300 * MS
            await fw.expect("link down")

            async with serve_relay(Auth.open_access(), port=port):
                await fw.expect("link up", (BACKOFF_MAX_MS + 1500) * MS)
                # The app's Link reconnects too; the robot must stay stopped.
                await until(lambda: link.in_control, 5000 * MS)
                count = len(tels)
                await until(lambda: len(tels) > count + 2)
                assert all(t.m == (0, 0) for t in tels[count:])
                seq = link.send_drive(20, -20)
                await fw.motors(20, -20)
                await until(lambda: tels[-1].ack == seq)


async def test_direct_mode_with_token(start_firmware: StartFirmware) -> None:
    fw = await start_firmware("--listen", "127.0.0.1:0", "--token", "s3cret", "--id", "fw4")
    port = int((await fw.expect(r"listening 127\.0\.0\.1:(\d+)")).group(1))
    refused = Link(f"ws://127.0.0.1:{port}/?token=guess")
    events: list[str] = []
    refused.event.connect(events.append)
    await asyncio.wait_for(refused.run(), 3000 * MS)  # 401: the Link gives up
    assert any("401" in e for e in events)

    async with app_link(f"ws://127.0.0.1:{port}/?token=s3cret") as (link, tels):
        await until(lambda: link.hello is not None and link.in_control)
        assert link.hello is not None and link.hello.id == "fw4"
        seq = link.send_drive(-100, 100)
        await fw.motors(-100, 100)
        await until(lambda: bool(tels) and tels[-1].ack == seq and tels[-1].m == (-100, 100))
        # A second app is turned away while the first one drives.
        busy = Link(f"ws://127.0.0.1:{port}/?token=s3cret")
        busy_events: list[str] = []
        busy.event.connect(busy_events.append)
        busy_task = asyncio.create_task(busy.run())
        await until(lambda: any("503" in e for e in busy_events))
        await busy.close()
        await busy_task
        assert link.connected
    await fw.motors(0, 0, 500 * MS)


@pytest.mark.parametrize("args", [
    (),
    ("--relay", "http://127.0.0.1:1"),
    ("--relay", "ws://127.0.0.1"),
    ("--listen", "127.0.0.1:99999"),
    ("--relay", "ws://127.0.0.1:1", "--id", 'a"b'),
    ("--relay", "ws://127.0.0.1:1", "--bogus", "x"),
])
async def test_host_build_refuses_bad_arguments(
    start_firmware: StartFirmware, args: tuple[str, ...]
) -> None:
    fw = await start_firmware(*args)
    assert await asyncio.wait_for(fw.proc.wait(), 2000 * MS) == 2
    await fw.expect("usage: robodeck-fw")
