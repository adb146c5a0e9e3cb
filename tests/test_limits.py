"""The relay's limits over real sockets: each bound holds against a hostile peer,
says why with a close code or an HTTP status, and leaves normal traffic alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from conftest import MS
from relay_helpers import AUTH, Peers, RawPeer, dial, quiet, tel, until
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app import protocol as p
from app.relay import Limits, Relay, serve_relay

ROVER = AUTH.robots["rover"]
PONG = p.encode(p.Pong(id=1))  # the cheapest frame: the relay takes it and does nothing


@asynccontextmanager
async def relay_with(**limits: float) -> AsyncIterator[Peers]:
    """A relay with these Limits (defaults for the rest) and a way to connect peers to it."""
    async with serve_relay(AUTH, limits=Limits(**limits)) as relay, AsyncExitStack() as stack:  # type: ignore[arg-type]
        yield Peers(relay, stack)


@pytest.fixture
async def peers() -> AsyncIterator[Peers]:
    async with relay_with() as default:
        yield default


def drive(seq: int) -> str:
    return p.encode(p.Drive(l=40, r=40, seq=seq))


async def closed_with(ws: ClientConnection, timeout: float = 2000 * MS) -> tuple[int | None, str]:
    """Read until the relay closes `ws`; the close code and reason it sent."""
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    rcvd = info.value.rcvd
    return (rcvd.code, rcvd.reason) if rcvd else (None, "")


async def still_works(peers: Peers, robot: ClientConnection, op: ClientConnection) -> None:
    """The robot's telemetry reaches the operator and the operator's ping comes back."""
    await robot.send(tel(424242))
    assert (await until(op, "tel"))["seq"] == 424242
    await op.send(p.encode(p.Ping(id=77)))
    assert (await until(robot, "ping"))["id"] == 77


async def _wait_gone(relay: Relay, name: str, timeout: float) -> float:
    """Seconds until operator `name` of rover is gone from the relay's stats."""
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        while name in _operators(relay):
            await asyncio.sleep(5 * MS)
    return time.perf_counter() - started


async def _read_tel(ws: ClientConnection, count: int) -> list[int]:
    return [(await until(ws, "tel", 3000 * MS))["seq"] for _ in range(count)]


def _operators(relay: Relay) -> set[str]:
    stats = relay.stats().get("rover")
    return set(stats.operators) if stats else set()


# ---------------------------------------------------------------- message size


async def test_a_fragmented_message_over_the_limit_closes_1009(peers: Peers) -> None:
    robot = await peers.robot()
    op, other = await peers.operator(name="big"), await peers.operator(name="other")
    chunk = "x" * 4096
    await op.send(iter(['{"t":"ping","id":1,"pad":"', *[chunk] * 5, '"}']))  # 20 kB in fragments
    code, reason = await closed_with(op)
    assert code == 1009 and "exceeds limit of 16384 bytes" in reason
    await still_works(peers, robot, other)


# ---------------------------------------------------------------- message rate


async def test_drives_beyond_the_rate_collapse_to_the_newest_and_are_counted() -> None:
    async with relay_with(drive_rate=50.0) as peers:
        robot = await peers.robot()
        op = await peers.operator()
        sent = 150
        started = time.perf_counter()
        for seq in range(1, sent + 1):
            await op.send(drive(seq))
            await asyncio.sleep(3 * MS)  # ~300 drives/s: too fast, but no flood
        got = [m["seq"] for m in await quiet(robot, 200 * MS) if m["t"] == "drive"]
        elapsed = time.perf_counter() - started
        assert got == sorted(set(got)), "a drive arrived after a newer one"
        assert got[-1] == sent, "the newest drive must get through"
        assert len(got) <= 50 * elapsed + 2, f"{len(got)} drives in {elapsed:.2f} s"
        stats = peers.relay.stats()["rover"].robot
        assert stats is not None and stats.dropped == sent - len(got)


async def test_normal_traffic_passes_every_limit_untouched(peers: Peers) -> None:
    """1 kHz telemetry frames from the robot, 10 Hz drives and 2 Hz pings from the app."""
    robot = await peers.robot()
    op = await peers.operator()
    seconds = 1.0

    async def stream() -> None:
        for seq in range(int(1000 * seconds)):
            await robot.send(tel(seq, samples=1))
            if seq % 10 == 9:
                await asyncio.sleep(10 * MS)

    async def drive_like_the_app() -> None:
        for i in range(int(10 * seconds)):
            await op.send(drive(i + 1))
            if i % 5 == 0:
                await op.send(p.encode(p.Ping(id=i)))
            await asyncio.sleep(100 * MS)

    streaming = asyncio.create_task(stream())
    await drive_like_the_app()
    await streaming
    drives = [m["seq"] for m in await quiet(robot, 200 * MS) if m["t"] == "drive"]
    assert drives == list(range(1, int(10 * seconds) + 1)), "a normal drive was dropped"
    tel_seqs = [m["seq"] for m in await quiet(op, 200 * MS) if m["t"] == "tel"]
    stats = peers.relay.stats()["rover"]
    assert stats.telemetry_in == int(1000 * seconds)
    assert stats.operators["op-1"].dropped + len(tel_seqs) > 0  # still connected, still counted


async def test_an_operator_flood_is_closed_1008_and_nobody_else_notices() -> None:
    async with relay_with(operator_rate=100.0, burst=1.0) as peers:
        robot = await peers.robot()
        flooder, other = await peers.operator(name="flooder"), await peers.operator(name="other")
        with contextlib.suppress(ConnectionClosed):  # the close may arrive before the last send
            for _ in range(2000):
                await flooder.send(PONG)
        assert await closed_with(flooder) == (1008, "too many messages")
        await still_works(peers, robot, other)


async def test_a_robot_flood_is_closed_1008_and_its_operators_see_it_offline() -> None:
    async with relay_with(robot_rate=200.0, burst=1.0) as peers:
        op = await peers.operator()
        robot = await peers.robot(send_hello=False)
        with contextlib.suppress(ConnectionClosed):
            for seq in range(5000):
                await robot.send(tel(seq))
        assert await closed_with(robot) == (1008, "too many messages")
        assert await until(op, "presence") == {"t": "presence", "id": "rover", "online": True}
        assert await until(op, "presence") == {"t": "presence", "id": "rover", "online": False}


# ---------------------------------------------------------------- connections


async def test_one_address_gets_per_ip_connections_then_429() -> None:
    async with relay_with(per_ip=3) as peers:
        relay = peers.relay
        first = [await peers.operator(name=f"op{i}") for i in range(3)]
        with pytest.raises(InvalidStatus) as info:
            await dial(f"{relay.url}/client/rover?token={ROVER.operator}")
        assert info.value.response.status_code == 429
        await first[0].close()
        async with asyncio.timeout(1000 * MS):
            while relay.addresses["127.0.0.1"] > 2:
                await asyncio.sleep(5 * MS)
        await peers.operator(name="again")  # a freed slot is usable at once


async def test_a_handshake_that_never_finishes_is_dropped() -> None:
    async with relay_with(handshake_timeout=0.3) as peers:
        relay = peers.relay
        silent = await asyncio.open_connection("127.0.0.1", relay.port)
        slow = await asyncio.open_connection("127.0.0.1", relay.port)
        slow[1].write(b"GET /robot/rover HTTP/1.1\r\nHost: x\r\n")  # ...and never the rest
        started = time.perf_counter()
        for reader, _ in (silent, slow):
            assert await asyncio.wait_for(reader.read(), 2000 * MS) == b""  # closed, nothing said
        elapsed = time.perf_counter() - started
        assert 250 * MS < elapsed < 1000 * MS, f"dropped after {elapsed / MS:.0f} ms"
        for _, writer in (silent, slow):
            writer.close()
        assert len(relay.addresses) == 0, "a dropped handshake was not uncounted"


async def test_robots_racing_for_one_id_leave_exactly_one(peers: Peers) -> None:
    op = await peers.operator()
    robots = await asyncio.gather(*(peers.robot(send_hello=False) for _ in range(8)))
    closed = 0
    for ws in robots:
        try:
            code = await closed_with(ws, 300 * MS)
        except TimeoutError:
            continue
        assert code == (1008, "replaced")
        closed += 1
    assert closed == len(robots) - 1
    assert peers.relay.stats()["rover"].online
    presences = [m for m in await quiet(op) if m["t"] == "presence"]
    assert all(m["online"] for m in presences), "operators never see the robot go offline"


# ---------------------------------------------------------------- keepalive and stalls


async def test_a_dead_robot_link_is_dropped_within_seconds() -> None:
    async with relay_with(idle_ping=0.1, dead_after=0.4) as peers:
        relay = peers.relay
        op = await peers.operator()
        ghost = await RawPeer.connect(relay.port, f"/robot/rover?token={ROVER.robot}")  # never answers a ping
        try:
            assert (await until(op, "presence"))["online"] is True
            started = time.perf_counter()
            assert (await until(op, "presence", 2000 * MS))["online"] is False
            elapsed = time.perf_counter() - started
            assert elapsed < 400 * MS + 300 * MS, f"offline after {elapsed / MS:.0f} ms"
        finally:
            ghost.close()


async def test_a_quiet_peer_that_answers_pings_stays() -> None:
    async with relay_with(idle_ping=0.05, dead_after=0.2) as peers:
        robot = await peers.robot()
        op = await peers.operator()
        await asyncio.sleep(600 * MS)  # neither sends a frame; both answer WebSocket pings
        await robot.send(tel(5))
        assert (await until(op, "tel"))["seq"] == 5


async def test_an_operator_that_stopped_reading_is_closed_and_others_carry_on() -> None:
    async with relay_with(stall_timeout=0.4, dead_after=30.0, operator_backlog=100_000) as peers:
        relay = peers.relay
        robot = await peers.robot()
        fast = await peers.operator(name="fast")
        stuck = await RawPeer.connect(relay.port, f"/client/rover?token={ROVER.operator}&name=stuck")
        frames = 400  # about 1.1 MB: far more than the stuck one's buffers
        reading = asyncio.create_task(_read_tel(fast, frames))
        try:
            started = time.perf_counter()
            for seq in range(frames):
                await robot.send(tel(seq, samples=200))  # ~2.8 kB each
                if seq % 20 == 19:
                    await asyncio.sleep(5 * MS)
            gone = await _wait_gone(relay, "stuck", 2000 * MS) + time.perf_counter() - started
            assert gone < 400 * MS + 1000 * MS, f"dropped {gone / MS:.0f} ms after the flow began"
            assert await reading == list(range(frames)), "the reading operator lost telemetry"
            await still_works(peers, robot, fast)
        finally:
            reading.cancel()
            stuck.close()


# ---------------------------------------------------------------- who may connect


async def test_refusals_never_say_whether_a_robot_id_exists() -> None:
    async with serve_relay(AUTH) as relay:
        answers = []
        for target in ("/client/rover?token=guess", "/client/ghost?token=guess", "/robot/ghost"):
            with pytest.raises(InvalidStatus) as info:
                await dial(relay.url + target)
            response = info.value.response
            answers.append((response.status_code, response.body, sorted(response.headers.raw_items())))
    assert answers[0][0] == 401
    assert answers[0] == answers[1] == answers[2]
    assert all("Server" not in dict(headers) for _, _, headers in answers)


async def test_origin_allowlist_lets_programs_and_listed_pages_in() -> None:
    async with serve_relay(AUTH, origins=["https://lab.example/"]) as relay:
        url = f"{relay.url}/client/rover?token={ROVER.operator}"
        async with await dial(url), await dial(url, origin="https://LAB.example"):
            pass  # no Origin (the app, a robot) and a listed one are both fine
        with pytest.raises(InvalidStatus) as info:
            await dial(url, origin="https://evil.example")
        assert info.value.response.status_code == 403


async def test_a_refused_peer_learns_nothing_about_the_robot() -> None:
    async with serve_relay(AUTH) as relay, AsyncExitStack() as stack:
        peers = Peers(relay, stack)
        await peers.robot()
        with pytest.raises(InvalidStatus) as info:
            await dial(f"{relay.url}/client/rover?token={ROVER.robot}")  # the robot's token
        body = info.value.response.body.decode()
        assert body == "Unauthorized\n"
        assert "rover" not in json.dumps(dict(info.value.response.headers.raw_items()))
