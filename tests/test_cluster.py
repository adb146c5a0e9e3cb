"""Three relay processes and one Redis behave as one relay (`--redis`).

Everything runs as a user would run it: Debian's redis-server on a free
loopback port and `python -m app.relay --open --redis ...` processes, each
on its own port, with robots and operators as WebSocket clients. The
relays use the default TTL (3 s) and heartbeat (0.75 s): a process that
dies is let go of within 3.75 s, which the 5 s bounds below check.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from conftest import MS, free_port
from relay_helpers import RedisServer, RelayProcess, dial, hello, quiet, recv, tel, until
from websockets.asyncio.client import ClientConnection

from app import protocol as p

#: What the issue promises after a relay process is SIGKILLed.
RELEASE_S = 5.0


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def relays(redis_server: RedisServer, tmp_path: Path) -> Iterator[list[RelayProcess]]:
    procs = [RelayProcess(redis_server.url, tmp_path / f"relay-{i}.log") for i in range(3)]
    try:
        for proc in procs:
            proc.wait_joined()
        yield procs
    finally:
        for proc in procs:
            proc.stop()
    for proc in procs:  # nothing crashed on the way
        assert not proc.said("Traceback"), proc.log.read_text()


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def robot_on(stack: AsyncExitStack, relay: RelayProcess) -> ClientConnection:
    ws = await stack.enter_async_context(await dial(f"{relay.url}/robot/rover"))
    await ws.send(hello())
    return ws


async def operator_on(
    stack: AsyncExitStack, relay: RelayProcess, name: str
) -> tuple[ClientConnection, list[dict[str, Any]]]:
    """An operator and what it received up to its first `control`."""
    ws = await stack.enter_async_context(await dial(f"{relay.url}/client/rover?name={name}"))
    first = []
    while not first or first[-1]["t"] != "control":
        first.append(await recv(ws, 3000 * MS))
    return ws, first


async def control_until(ws: ClientConnection, holder: str | None, timeout: float) -> dict[str, Any]:
    """The first `control` naming `holder`; on a timeout, says what came instead."""
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                seen.append(await recv(ws, timeout))
                if seen[-1]["t"] == "control" and seen[-1]["holder"] == holder:
                    return seen[-1]
    except TimeoutError:
        raise AssertionError(f"no control naming {holder!r}; got {seen}") from None


async def presence_until(ws: ClientConnection, timeout: float, **want: Any) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            msg = await until(ws, "presence", timeout)
            if all(msg.get(k) == v for k, v in want.items()):
                return msg


async def driven_from_afar(
    stack: AsyncExitStack, robot_relay: RelayProcess, operator_relay: RelayProcess
) -> tuple[ClientConnection, ClientConnection]:
    """A robot on one process, and ann on another whose first drive reached it."""
    robot = await robot_on(stack, robot_relay)
    ann, first = await operator_on(stack, operator_relay, "ann")
    if first[-1]["holder"] != "ann":  # the grant crosses Redis; drive once it is ours
        await control_until(ann, "ann", 3000 * MS)
    await ann.send(p.encode(p.Drive(l=50, r=50, seq=1)))
    await robot_got(robot, "drive", 2000 * MS)
    return robot, ann


async def take_outcome(op: ClientConnection) -> str:
    """"won" if `take` gave this operator control, "lost" if it was refused."""
    async with asyncio.timeout(2000 * MS):
        while True:
            msg = await recv(op)
            if msg["t"] == "err":
                assert msg["code"] == "not_in_control"
                return "lost"
            if msg["t"] == "control" and msg["you"]:
                return "won"


async def robot_got(robot: ClientConnection, t: str, timeout: float) -> dict[str, Any]:
    """The next frame of type `t` the robot receives (answering relay pings on the way)."""
    return await until(robot, t, timeout)


async def test_drive_ack_and_telemetry_cross_processes(
    relays: list[RelayProcess], stack: AsyncExitStack
) -> None:
    a, b, c = relays
    robot = await robot_on(stack, a)
    await asyncio.sleep(200 * MS)  # the hello is in Redis
    ann, first = await operator_on(stack, b, "ann")
    assert [m["t"] for m in first] == ["presence", "hello", "control"]
    assert first[0] == {"t": "presence", "id": "rover", "online": True, "cluster": "up"}
    assert first[1]["id"] == "rover"
    assert first[2]["holder"] == "ann" and first[2]["you"] is True
    bob, first = await operator_on(stack, c, "bob")
    assert first[-1]["holder"] == "ann" and first[-1]["ops"] == ["ann", "bob"]
    await until(ann, "control")  # ann learns bob arrived

    await ann.send(p.encode(p.Drive(l=40, r=-40, seq=1)))
    drive = await robot_got(robot, "drive", 2000 * MS)
    assert (drive["l"], drive["r"], drive["seq"]) == (40, -40, 1)

    await robot.send(tel(7).replace('"ack":0', '"ack":1'))
    for op in (ann, bob):
        got = await until(op, "tel", 2000 * MS)
        assert (got["seq"], got["ack"]) == (7, 1)

    await bob.send(p.encode(p.Drive(l=90, r=90, seq=50)))  # a watcher on a third process
    assert (await until(bob, "err"))["code"] == "not_in_control"
    await ann.send(p.encode(p.Ping(id=31)))
    ping = await robot_got(robot, "ping", 2000 * MS)
    await robot.send(p.encode(p.Pong(id=ping["id"])))
    assert (await until(ann, "pong", 2000 * MS))["id"] == 31
    assert not [m for m in await quiet(bob, 300 * MS) if m["t"] == "pong"]
    assert not [m for m in await quiet(robot, 200 * MS) if m["t"] == "drive"]


async def test_control_lock_contention_across_processes(
    relays: list[RelayProcess], stack: AsyncExitStack
) -> None:
    a, b, c = relays
    robot = await robot_on(stack, a)
    ann, _ = await operator_on(stack, a, "ann")  # first: holds control
    bob, _ = await operator_on(stack, b, "bob")
    cy, _ = await operator_on(stack, c, "cy")
    await bob.send(p.encode(p.Take()))
    assert (await until(bob, "err", 2000 * MS))["code"] == "not_in_control"

    await ann.send(p.encode(p.Release()))
    assert (await robot_got(robot, "stop", 2000 * MS))["seq"] == 0
    await control_until(bob, None, 2000 * MS)
    await control_until(cy, None, 2000 * MS)
    await asyncio.gather(bob.send(p.encode(p.Take())), cy.send(p.encode(p.Take())))
    outcomes = await asyncio.gather(take_outcome(bob), take_outcome(cy))
    assert sorted(outcomes) == ["lost", "won"], outcomes
    view = await control_until(ann, "bob" if outcomes[0] == "won" else "cy", 2000 * MS)
    assert view["you"] is False
    winner = bob if outcomes[0] == "won" else cy
    loser = cy if winner is bob else bob
    await loser.send(p.encode(p.Drive(l=80, r=80, seq=9)))
    assert (await until(loser, "err", 2000 * MS))["code"] == "not_in_control"
    await winner.send(p.encode(p.Drive(l=20, r=20, seq=3)))
    drive = await robot_got(robot, "drive", 2000 * MS)
    assert drive["seq"] == 3


async def test_killed_processes_release_control_and_presence_within_5_s(
    relays: list[RelayProcess], stack: AsyncExitStack
) -> None:
    a, b, c = relays
    robot, _ = await driven_from_afar(stack, a, b)
    bob, _ = await operator_on(stack, c, "bob")

    b.kill()  # ann's relay: the operator in control is gone with it
    killed = time.monotonic()
    await robot_got(robot, "stop", RELEASE_S)
    stopped = time.monotonic() - killed
    view = await control_until(bob, None, RELEASE_S)
    assert view["ops"] == ["bob"]
    assert stopped < RELEASE_S, f"robot stopped {stopped:.1f} s after its driver's relay died"

    await bob.send(p.encode(p.Take()))
    await control_until(bob, "bob", 2000 * MS)
    a.kill()  # the robot's relay
    killed = time.monotonic()
    await presence_until(bob, RELEASE_S, online=False)
    assert time.monotonic() - killed < RELEASE_S

    robot2 = await robot_on(stack, c)  # it reconnects elsewhere
    await presence_until(bob, 2000 * MS, online=True)
    await until(bob, "hello", 2000 * MS)
    await bob.send(p.encode(p.Drive(l=10, r=10, seq=4)))
    assert (await robot_got(robot2, "drive", 2000 * MS))["seq"] == 4


async def test_redis_restart_keeps_local_routing_and_recovers(
    redis_server: RedisServer, relays: list[RelayProcess], stack: AsyncExitStack
) -> None:
    a, b, _ = relays
    robot, ann = await driven_from_afar(stack, a, b)  # ann in control, on another process
    carl, _ = await operator_on(stack, a, "carl")  # a watcher beside the robot

    redis_server.stop()
    await robot_got(robot, "stop", 2000 * MS)  # its driver is out of reach
    await presence_until(ann, 3000 * MS, online=False, cluster="down")
    await presence_until(carl, 3000 * MS, online=True, cluster="down")
    for seq in (2, 3):
        await ann.send(p.encode(p.Drive(l=60, r=60, seq=seq)))
        assert (await until(ann, "err", 2000 * MS))["code"] == "no_robot"
    await robot.send(tel(5))
    assert (await until(carl, "tel", 2000 * MS))["seq"] == 5  # local routing goes on
    await carl.send(p.encode(p.Drive(l=70, r=70, seq=1)))
    assert (await until(carl, "err", 2000 * MS))["code"] == "not_in_control"
    assert not [m for m in await quiet(robot, 300 * MS) if m["t"] == "drive"]

    redis_server.start()
    await presence_until(ann, 6000 * MS, online=True, cluster="up")
    await presence_until(carl, 6000 * MS, online=True, cluster="up")
    view = await control_until(carl, "ann", 3000 * MS)
    assert view["ops"] == ["ann", "carl"] or sorted(view["ops"]) == ["ann", "carl"]
    await ann.send(p.encode(p.Drive(l=30, r=30, seq=4)))
    drive = await robot_got(robot, "drive", 2000 * MS)
    assert drive["seq"] == 4  # nothing older leaked through after the outage


async def test_drives_across_processes_stay_in_order_and_leaving_stops(
    relays: list[RelayProcess], stack: AsyncExitStack
) -> None:
    robot, ann = await driven_from_afar(stack, *relays[:2])
    for seq in range(2, 201):  # far faster than the relay's 50 drives/s toward a robot
        await ann.send(p.encode(p.Drive(l=seq % 100, r=0, seq=seq)))
    seqs: list[int] = []
    with pytest.raises(TimeoutError):
        while True:
            seqs.append((await robot_got(robot, "drive", 500 * MS))["seq"])
    assert seqs == sorted(seqs) and seqs[-1] == 200  # latest wins, never an older one later
    assert len(seqs) < 200  # superseded drives were dropped, not queued

    await ann.close()
    left = time.monotonic()
    await robot_got(robot, "stop", 2000 * MS)
    assert time.monotonic() - left < 1.0  # at once, not after a lock expiry


async def test_a_robot_reconnecting_to_another_process_replaces_the_old_link(
    relays: list[RelayProcess], stack: AsyncExitStack
) -> None:
    a, b, c = relays
    old = await robot_on(stack, a)
    bob, _ = await operator_on(stack, c, "bob")
    new = await robot_on(stack, b)
    await old.wait_closed()
    assert old.close_code == 1008 and old.close_reason == "replaced"
    assert (await until(bob, "hello", 2000 * MS))["id"] == "rover"
    offline = [m for m in await quiet(bob, 300 * MS) if m["t"] == "presence" and not m["online"]]
    assert not offline  # operators see no offline flicker
    await bob.send(p.encode(p.Drive(l=10, r=10, seq=1)))
    assert (await robot_got(new, "drive", 2000 * MS))["seq"] == 1


async def test_workers_share_one_port(redis_server: RedisServer, tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    port = free_port()
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.relay", "--open", "--port", str(port),
            "--redis", redis_server.url, "--workers", "2", stderr=out,
        )
    try:
        async with asyncio.timeout(15):
            while log.read_text().count("cluster: joined") < 2:
                await asyncio.sleep(0.05)
        async with AsyncExitStack() as stack:
            url = f"ws://127.0.0.1:{port}"
            robot = await stack.enter_async_context(await dial(f"{url}/robot/rover"))
            await robot.send(hello())
            ops = [await stack.enter_async_context(await dial(f"{url}/client/rover"))
                   for _ in range(6)]
            for op in ops:  # wherever each landed, it sees the robot and one holder
                await presence_until(op, 3000 * MS, online=True)
            views = [await until(op, "control", 3000 * MS) for op in ops]
            holders = {v["holder"] for v in views}
            await asyncio.sleep(300 * MS)  # any later control update
            for i, op in enumerate(ops):
                views[i] = ([views[i]] + [m for m in await quiet(op, 50 * MS) if m["t"] == "control"])[-1]
            assert len({v["holder"] for v in views}) == 1, (holders, views)
            holder = next(op for op, v in zip(ops, views, strict=True) if v["you"])
            await holder.send(p.encode(p.Drive(l=5, r=5, seq=1)))
            assert (await robot_got(robot, "drive", 2000 * MS))["seq"] == 1
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = log.read_text()
    assert len(set(re.findall(r"as process (\w+)", text))) == 2, text
    assert "Traceback" not in text, text


@pytest.mark.parametrize(("args", "says"), [
    (["--workers", "2"], "--workers needs --redis"),
    (["--workers", "2", "--redis", "redis://127.0.0.1:1/0", "--port", "0"], "fixed --port"),
    (["--redis", "http://x"], "redis://HOST:PORT/DB"),
])
def test_cluster_options_are_checked(args: list[str], says: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "app.relay", "--open", *args], capture_output=True, timeout=20,
    )
    assert done.returncode == 2
    assert says in done.stderr.decode()


def test_without_redis_nothing_imports_it() -> None:
    code = "import sys, app.relay, app.relay.cli; assert 'redis' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=20)


async def publishes(redis_server: RedisServer) -> int:
    """PUBLISH commands Redis has run so far."""
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(redis_server.url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return int(stats.get("cmdstat_publish", {}).get("calls", 0))


async def test_telemetry_crosses_redis_only_toward_listening_processes(
    redis_server: RedisServer, relays: list[RelayProcess], stack: AsyncExitStack
) -> None:
    a, b, _ = relays
    robot = await robot_on(stack, a)
    carl, _ = await operator_on(stack, a, "carl")  # beside the robot: nobody elsewhere
    await asyncio.sleep(1600 * MS)  # two heartbeats counted the listeners
    before = await publishes(redis_server)
    for seq in range(100):
        await robot.send(tel(seq))
    for _ in range(100):
        await until(carl, "tel", 2000 * MS)
    assert await publishes(redis_server) - before < 20  # heartbeats only, no telemetry

    ann, _ = await operator_on(stack, b, "ann")
    await asyncio.sleep(200 * MS)
    await robot.send(tel(500))
    assert (await until(ann, "tel", 2000 * MS))["seq"] == 500  # at once, not a heartbeat later


def test_presence_with_cluster_state_still_decodes() -> None:
    frame = '{"t":"presence","id":"rover","online":true,"cluster":"down"}'
    assert p.decode(frame) == p.Presence(id="rover", online=True)


def test_the_log_never_shows_a_redis_password() -> None:
    from app.relay.cluster.node import shown_url

    assert shown_url("redis://:s3cret@10.0.0.5:6379/0") == "redis://***@10.0.0.5:6379/0"
    assert "pw" not in shown_url("rediss://relay:pw@redis.lab/1")
    assert shown_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
