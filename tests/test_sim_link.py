"""The built-in simulator over real sockets: what an app connected to it sees.

The robot runs in its own thread (as in the app), so its clock keeps going
while a test awaits; safety timings are read from the robot's own record of
when it applied a drive and when it stopped, and from this test's clock.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import pytest
from conftest import MS
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import app
from app import protocol
from app.sim import BuiltinSimulator
from app.sim.robot import TICK_S

M = TypeVar("M")

OPTIONS: dict[str, Any] = {
    "compression": None,
    "subprotocols": [protocol.SUBPROTOCOL],
    "max_size": protocol.MAX_MESSAGE_BYTES,
}


@pytest.fixture
def sim() -> Iterator[BuiltinSimulator]:
    with BuiltinSimulator.start(rate=200, channels=4) as running:
        yield running


@pytest.fixture
async def ws(sim: BuiltinSimulator) -> AsyncIterator[ClientConnection]:
    async with connect(sim.url, **OPTIONS) as link:
        assert (await next_msg(link, protocol.Hello)).id == "sim"
        yield link


async def next_msg(ws: ClientConnection, kind: type[M], within: float = 1000 * MS) -> M:
    """The next message of a type, skipping the others (mostly telemetry)."""
    async with asyncio.timeout(within):
        while True:
            msg = protocol.decode(await ws.recv())
            if isinstance(msg, kind):
                return msg


async def send(ws: ClientConnection, **obj: Any) -> None:
    await ws.send(json.dumps(obj))


async def wait_for(condition: Any, within: float = 1000 * MS) -> None:
    """Poll a condition on the robot (another thread) until it holds."""
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(MS)


async def motors_seen(ws: ClientConnection, motors: tuple[int, int]) -> protocol.Tel:
    """The first telemetry batch reporting these motor outputs."""
    async with asyncio.timeout(1000 * MS):
        while (tel := await next_msg(ws, protocol.Tel)).m != motors:
            pass
    return tel


# ---------------------------------------------------------------- hello and telemetry


async def test_hello_describes_the_robot(sim: BuiltinSimulator) -> None:
    async with connect(sim.url, **OPTIONS) as link:
        hello = protocol.decode(await link.recv())  # the very first frame
    assert isinstance(hello, protocol.Hello)
    assert (hello.proto, hello.id, hello.board, hello.rate, hello.timeout) == (
        1, "sim", "sim", 200, 500
    )
    assert hello.fw == app.__version__
    assert [c.name for c in hello.channels] == ["battery", "current_l", "current_r", "distance"]
    assert sim.url.startswith("ws://127.0.0.1:") and sim.url.endswith("/")


async def test_telemetry_comes_at_the_sample_rate_with_contiguous_seq(
    ws: ClientConnection,
) -> None:
    first = await next_msg(ws, protocol.Tel)
    start, count, frames, expected = time.monotonic(), 0, 0, first.seq + len(first.v)
    while time.monotonic() - start < 1000 * MS:
        tel = await next_msg(ws, protocol.Tel)
        assert tel.seq == expected, "a gap or overlap in the sample numbers"
        assert tel.ms == first.ms + (tel.seq - first.seq) * 5  # 200 Hz: 5 ms apart
        expected, count, frames = tel.seq + len(tel.v), count + len(tel.v), frames + 1
    elapsed = time.monotonic() - start
    assert count == pytest.approx(200 * elapsed, abs=15)
    assert 25 <= frames / elapsed <= 50
    assert tel.v.shape[1] == 4 and tel.m == (0, 0)


async def test_battery_reads_a_believable_voltage(ws: ClientConnection) -> None:
    hello_battery = protocol.Channel("battery", "V", 15, 1023, 0)
    tel = await next_msg(ws, protocol.Tel)
    volts = hello_battery.to_units(tel.v[:, 0])
    assert volts.min() > 7.0 and volts.max() < 8.6


# ---------------------------------------------------------------- drive, stop, ping


async def test_drive_is_applied_and_acked(sim: BuiltinSimulator, ws: ClientConnection) -> None:
    await send(ws, t="drive", l=60, r=-40, seq=3)
    tel = await motors_seen(ws, (60, -40))
    assert tel.ack == 3
    assert sim.robot.motors == (60, -40)


async def test_an_older_drive_is_ignored(sim: BuiltinSimulator, ws: ClientConnection) -> None:
    await send(ws, t="drive", l=50, r=50, seq=10)
    await send(ws, t="drive", l=-90, r=-90, seq=9)
    await send(ws, t="ping", id=1)
    await next_msg(ws, protocol.Pong)  # both drives were handled before the pong
    tel = await next_msg(ws, protocol.Tel)
    assert (tel.m, tel.ack) == ((50, 50), 10)


async def test_stop_is_always_applied_whatever_its_seq(
    sim: BuiltinSimulator, ws: ClientConnection
) -> None:
    await send(ws, t="drive", l=70, r=70, seq=20)
    await motors_seen(ws, (70, 70))
    await send(ws, t="stop", seq=0)
    tel = await motors_seen(ws, (0, 0))
    assert tel.ack == 0
    assert sim.robot.stop_reason == "stop"
    await send(ws, t="drive", l=30, r=30, seq=1)  # newer than the stop's seq
    assert (await motors_seen(ws, (30, 30))).ack == 1


async def test_ping_gets_a_pong_with_the_same_id(ws: ClientConnection) -> None:
    await send(ws, t="ping", id=4242)
    assert (await next_msg(ws, protocol.Pong)).id == 4242


# ---------------------------------------------------------------- safety


async def test_failsafe_holds_while_drives_arrive_and_stops_after_the_timeout(
    sim: BuiltinSimulator, ws: ClientConnection
) -> None:
    for seq in range(1, 9):  # 10 Hz, as the app re-sends, for 0.8 s
        await send(ws, t="drive", l=40, r=40, seq=seq)
        await asyncio.sleep(100 * MS)
        assert sim.robot.motors == (40, 40), f"stopped early, after drive {seq}"
    sent_last = time.monotonic()
    await send(ws, t="drive", l=40, r=40, seq=9)
    await wait_for(lambda: sim.robot.motors == (0, 0))
    robot = sim.robot
    assert robot.stop_reason == "timeout"
    assert robot.last_drive_at is not None
    late = robot.stopped_at - robot.last_drive_at - 0.5
    assert 0 <= late <= TICK_S + 5 * MS, f"stopped {late * 1000:.1f} ms after the timeout"
    assert robot.stopped_at - sent_last >= 0.5
    assert (await motors_seen(ws, (0, 0))).ack == 9


@pytest.mark.parametrize("how", ["close", "abort"])
async def test_motors_stop_at_once_when_the_link_closes(sim: BuiltinSimulator, how: str) -> None:
    async with connect(sim.url, **OPTIONS) as link:
        await send(link, t="drive", l=80, r=80, seq=1)
        await motors_seen(link, (80, 80))
        closed_at = time.monotonic()
        if how == "close":
            await link.close()
        else:  # the app crashed: no close frame, the TCP connection just ends
            link.transport.abort()
        await wait_for(lambda: sim.robot.motors == (0, 0), within=200 * MS)
    assert sim.robot.stop_reason == "link_closed"
    assert sim.robot.stopped_at - closed_at < 20 * MS


async def test_motors_stop_at_once_when_an_app_that_stopped_reading_closes() -> None:
    """The close must not wait for the robot's unread telemetry to drain."""
    with BuiltinSimulator.start(rate=1000, channels=8, timeout=10_000) as sim:
        async with connect(sim.url, **OPTIONS) as link:
            await send(link, t="drive", l=80, r=80, seq=1)
            await wait_for(lambda: sim.robot.motors == (80, 80))
            await asyncio.sleep(1000 * MS)  # telemetry piles up unread
            closed_at = time.monotonic()
            closing = asyncio.create_task(link.close())
            await wait_for(lambda: sim.robot.motors == (0, 0), within=200 * MS)
            link.transport.abort()
            await closing
        assert sim.robot.stop_reason == "link_closed"
        assert sim.robot.stopped_at - closed_at < 20 * MS


async def test_after_a_reconnect_the_robot_stays_stopped_until_a_fresh_drive(
    sim: BuiltinSimulator,
) -> None:
    async with connect(sim.url, **OPTIONS) as first:
        await send(first, t="drive", l=50, r=50, seq=57)
        await motors_seen(first, (50, 50))
    async with connect(sim.url, **OPTIONS) as again:
        await next_msg(again, protocol.Hello)
        for _ in range(5):
            tel = await next_msg(again, protocol.Tel)
            assert (tel.m, tel.ack) == ((0, 0), 0)
        await send(again, t="drive", l=20, r=20, seq=1)  # the app's seq starts afresh
        assert (await motors_seen(again, (20, 20))).ack == 1


# ---------------------------------------------------------------- bad input, cfg, auth

BAD_FRAMES = [
    ("not json", "bad_json"),
    ("[1, 2]", "bad_json"),
    (b'{"t":"ping","id":1}', "bad_json"),  # binary frame
    ('{"t":"fly"}', "bad_type"),
    ('{"t":"take"}', "bad_type"),  # valid for a relay, not for a robot
    ('{"t":"drive","l":500,"r":0,"seq":1}', "bad_field"),
    ('{"t":"drive","l":10,"seq":1}', "bad_field"),
    ('{"t":"cfg","rate":0}', "bad_field"),
]


async def test_bad_frames_get_err_and_the_link_keeps_working(
    sim: BuiltinSimulator, ws: ClientConnection
) -> None:
    for frame, code in BAD_FRAMES:
        await ws.send(frame)
        err = await next_msg(ws, protocol.Err)
        assert err.code == code, frame
        assert err.msg
    assert sim.robot.motors == (0, 0)
    await send(ws, t="ping", id=7)
    assert (await next_msg(ws, protocol.Pong)).id == 7


async def test_an_oversized_frame_closes_that_link_only(sim: BuiltinSimulator) -> None:
    async with connect(sim.url, **OPTIONS) as bystander, connect(sim.url, **OPTIONS) as big:
        await big.send(json.dumps({"t": "ping", "id": 1, "pad": "x" * 20_000}))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await big.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        await send(bystander, t="ping", id=2)
        assert (await next_msg(bystander, protocol.Pong)).id == 2


async def test_cfg_changes_rate_and_timeout_and_resends_hello(ws: ClientConnection) -> None:
    await send(ws, t="cfg", rate=50, timeout=1500)
    hello = await next_msg(ws, protocol.Hello)
    assert (hello.rate, hello.timeout) == (50, 1500)
    first = await next_msg(ws, protocol.Tel)
    later = await next_msg(ws, protocol.Tel)
    assert later.seq == first.seq + len(first.v)
    assert later.ms - first.ms == 20 * (later.seq - first.seq)  # 50 Hz: 20 ms apart


async def test_a_wrong_or_missing_token_is_refused_with_401() -> None:
    with BuiltinSimulator.start(token="s3cret") as sim:
        for url in (sim.url, sim.url + "?token=guess"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url, **OPTIONS):
                    pass
            assert refused.value.response.status_code == 401
        async with connect(sim.url + "?token=s3cret", **OPTIONS) as link:
            assert isinstance(protocol.decode(await link.recv()), protocol.Hello)
        bearer = {"Authorization": "Bearer s3cret"}
        async with connect(sim.url, additional_headers=bearer, **OPTIONS) as link:
            assert isinstance(protocol.decode(await link.recv()), protocol.Hello)


async def test_a_handshake_without_the_subprotocol_is_refused(sim: BuiltinSimulator) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(sim.url, compression=None):
            pass
    assert refused.value.response.status_code == 400


# ---------------------------------------------------------------- the simulator object


def test_stop_is_idempotent_and_closes_the_port() -> None:
    sim = BuiltinSimulator.start()
    sim.stop()
    sim.stop()

    async def try_connect() -> None:
        async with connect(sim.url, **OPTIONS, open_timeout=1):
            pass

    with pytest.raises(OSError):
        asyncio.run(try_connect())


# ---------------------------------------------------------------- sustained rate


async def test_1khz_with_8_channels_has_no_gap() -> None:
    with BuiltinSimulator.start(rate=1000, channels=8) as sim:
        async with connect(sim.url, **OPTIONS) as link:
            await next_msg(link, protocol.Hello)
            first = await next_msg(link, protocol.Tel)
            start, expected, count = time.monotonic(), first.seq + len(first.v), 0
            while time.monotonic() - start < 3000 * MS:
                tel = await next_msg(link, protocol.Tel)
                assert tel.seq == expected, f"gap of {tel.seq - expected} samples"
                assert tel.v.shape[1] == 8 and len(tel.v) <= protocol.MAX_BATCH_SAMPLES
                expected, count = tel.seq + len(tel.v), count + len(tel.v)
            elapsed = time.monotonic() - start
        assert count == pytest.approx(1000 * elapsed, rel=0.03)
        assert tel.ms - first.ms == tel.seq - first.seq  # the robot's clock agrees
        assert sim.robot.dropped_samples == 0
