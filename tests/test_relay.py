"""The relay over real sockets on 127.0.0.1: who may connect, where frames go,
who may drive, and that a slow or misbehaving peer hurts nobody else.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from conftest import MS
from relay_helpers import AUTH, Peers, RawPeer, dial, hello, quiet, recv, tel, until, until_text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app import protocol as p
from app.errors import ConfigError
from app.relay import Auth, Limits, Relay, serve_relay

STOP0 = {"t": "stop", "seq": 0}


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    async with serve_relay(AUTH) as running:
        yield running


@pytest.fixture
async def peers(relay: Relay) -> AsyncIterator[Peers]:
    async with AsyncExitStack() as stack:
        yield Peers(relay, stack)


def drive(seq: int, l: int = 50, r: int = 50) -> str:  # noqa: E741 - the wire name
    return p.encode(p.Drive(l=l, r=r, seq=seq))


async def closed_code(ws: ClientConnection, timeout: float = 1000 * MS) -> int | None:
    """Wait until the relay closes `ws`; the close code it sent."""
    with pytest.raises(ConnectionClosed) as info:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    return info.value.rcvd.code if info.value.rcvd else None


# ---------------------------------------------------------------- handshake


ROVER = AUTH.robots["rover"]
REFUSED = {
    "robot without token": "/robot/rover",
    "robot with a wrong token": "/robot/rover?token=guess",
    "robot with the operator token": f"/robot/rover?token={ROVER.operator}",
    "operator with the robot token": f"/client/rover?token={ROVER.robot}",
    "operator of another robot": f"/client/scout?token={ROVER.operator}",
    "unknown robot id": f"/client/ghost?token={ROVER.operator}",
}


@pytest.mark.parametrize("target", REFUSED.values(), ids=REFUSED.keys())
async def test_wrong_credentials_get_401(relay: Relay, target: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        await dial(relay.url + target)
    assert info.value.response.status_code == 401
    assert relay.stats() == {}  # nothing was created for the refused peer


async def test_bearer_header_with_a_wrong_token_gets_401(relay: Relay) -> None:
    with pytest.raises(InvalidStatus) as info:
        await dial(f"{relay.url}/client/rover", additional_headers={"Authorization": "Bearer no"})
    assert info.value.response.status_code == 401


@pytest.mark.parametrize("path", ["/", "/robot", "/robot/", "/robot/rover/x", "/admin/rover", "/client/a%2Fb"])
async def test_unknown_path_gets_404(relay: Relay, path: str) -> None:
    with pytest.raises(InvalidStatus) as info:
        await dial(f"{relay.url}{path}?token={ROVER.robot}")
    assert info.value.response.status_code == 404


async def test_handshake_without_the_subprotocol_gets_400(relay: Relay) -> None:
    with pytest.raises(InvalidStatus) as info:
        async with connect(f"{relay.url}/robot/rover?token={ROVER.robot}", compression=None):
            pass
    assert info.value.response.status_code == 400


async def test_right_tokens_connect_by_query_and_by_header(relay: Relay) -> None:
    async with await dial(f"{relay.url}/robot/rover?token={ROVER.robot}"), await dial(
        f"{relay.url}/client/rover", additional_headers={"Authorization": f"Bearer {ROVER.operator}"}
    ) as op:
        assert (await recv(op)) == {"t": "presence", "id": "rover", "online": True}


async def test_tokens_never_reach_the_log(relay: Relay, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with await dial(f"{relay.url}/robot/rover?token={ROVER.robot}"):
        pass
    with pytest.raises(InvalidStatus):
        await dial(f"{relay.url}/client/rover?token={ROVER.robot}")
    relay_side = "\n".join(
        r.getMessage() + str(r.args) for r in caplog.records if not r.name.startswith("websockets.client")
    )
    assert "robot token was used on the operator endpoint" in relay_side
    assert ROVER.robot not in relay_side


async def test_open_relay_takes_any_id_without_token_but_only_on_loopback() -> None:
    async with serve_relay(Auth.open_access()) as relay, await dial(f"{relay.url}/robot/anything"):
        assert relay.stats()["anything"].online
    with pytest.raises(ConfigError, match="loopback"):
        async with serve_relay(Auth.open_access(), host="0.0.0.0"):
            pass


# ---------------------------------------------------------------- routing


async def test_each_operator_sees_only_its_own_robot(peers: Peers) -> None:
    rover, scout = await peers.robot("rover"), await peers.robot("scout")
    op_rover, op_scout = await peers.operator("rover"), await peers.operator("scout")
    await rover.send(tel(1, value=100))
    await scout.send(tel(1, value=200))
    assert (await until(op_rover, "tel"))["v"] == [[100, 100]]
    assert (await until(op_scout, "tel"))["v"] == [[200, 200]]
    await op_rover.send(drive(1))
    assert (await until(rover, "drive"))["seq"] == 1
    assert await quiet(scout) == []
    assert await quiet(op_scout) == []


async def test_telemetry_is_forwarded_byte_for_byte_to_every_operator(peers: Peers) -> None:
    robot = await peers.robot()
    ops = [await peers.operator(name=f"op{i}") for i in range(3)]
    frame = tel(7, samples=5)
    await robot.send(frame)
    for op in ops:
        assert await until_text(op, "tel") == frame


async def test_late_operator_gets_presence_then_the_robots_hello(peers: Peers) -> None:
    await peers.robot()
    await asyncio.sleep(50 * MS)
    ws = await peers.stack.enter_async_context(await dial(
        f"{peers.relay.url}/client/rover?token={ROVER.operator}&name=late"
    ))
    assert await recv(ws) == {"t": "presence", "id": "rover", "online": True}
    assert await asyncio.wait_for(ws.recv(), 1000 * MS) == hello("rover")
    assert await recv(ws) == {"t": "control", "holder": "late", "you": True, "name": "late", "ops": ["late"]}


async def test_presence_follows_the_robot(peers: Peers) -> None:
    op = await peers.operator()
    robot = await peers.robot(send_hello=False)
    assert await until(op, "presence") == {"t": "presence", "id": "rover", "online": True}
    await robot.close()
    assert await until(op, "presence") == {"t": "presence", "id": "rover", "online": False}
    await op.send(drive(1))
    assert (await until(op, "err"))["code"] == "no_robot"


async def test_pong_goes_back_to_the_operator_who_pinged(peers: Peers) -> None:
    robot = await peers.robot()
    alice, bob = await peers.operator(name="alice"), await peers.operator(name="bob")
    await bob.send(p.encode(p.Ping(id=5)))
    assert await until(robot, "ping") == {"t": "ping", "id": 5}
    await robot.send(p.encode(p.Pong(id=5)))
    assert await until(bob, "pong") == {"t": "pong", "id": 5}
    assert [m for m in await quiet(alice) if m["t"] == "pong"] == []


async def test_relay_answers_pings_while_the_robot_is_offline(peers: Peers) -> None:
    op = await peers.operator()
    await op.send(p.encode(p.Ping(id=9)))
    assert await until(op, "pong") == {"t": "pong", "id": 9}


async def test_pings_the_robot_took_with_it_are_answered(peers: Peers) -> None:
    robot = await peers.robot()
    op = await peers.operator()
    await op.send(p.encode(p.Ping(id=4)))
    await until(robot, "ping")
    await robot.close()  # without answering
    assert await until(op, "pong") == {"t": "pong", "id": 4}


async def test_second_robot_with_the_same_id_replaces_the_first(peers: Peers) -> None:
    op = await peers.operator()
    first = await peers.robot()
    await until(op, "hello")
    second = await peers.robot()
    assert await closed_code(first) == 1008
    assert first.close_reason == "replaced"
    assert (await until(op, "hello"))["id"] == "rover"
    await op.send(drive(3))
    assert (await until(second, "drive"))["seq"] == 3
    assert [m for m in await quiet(op) if m["t"] == "presence"] == []  # never seen offline


# ---------------------------------------------------------------- control


def control(holder: str | None, name: str, ops: list[str]) -> dict[str, object]:
    return {"t": "control", "holder": holder, "you": holder == name, "name": name, "ops": ops}


async def test_first_operator_drives_the_others_watch(peers: Peers) -> None:
    robot = await peers.robot()
    alice = await peers.operator(name="alice")
    bob = await peers.operator(name="alice")  # names are made unique
    assert await until(alice, "control") == control("alice", "alice", ["alice", "alice-2"])
    await bob.send(drive(1))
    err = await until(bob, "err")
    assert err["code"] == "not_in_control" and "alice" in err["msg"]
    await bob.send(p.encode(p.Cfg(rate=50)))
    assert (await until(bob, "err"))["code"] == "not_in_control"
    await alice.send(p.encode(p.Stop(seq=2)))
    assert await until(robot, "stop") == {"t": "stop", "seq": 2}  # the holder's, as sent
    await bob.send(p.encode(p.Stop(seq=9000)))  # anyone may stop...
    assert await until(robot, "stop") == STOP0  # ...without pushing the robot's seq past alice's
    await alice.send(drive(3))
    assert (await until(robot, "drive"))["seq"] == 3


async def test_take_release_and_give(peers: Peers) -> None:
    robot = await peers.robot()
    alice, bob = await peers.operator(name="alice"), await peers.operator(name="bob")
    ops = ["alice", "bob"]
    await until(alice, "control")  # bob's arrival
    await bob.send(p.encode(p.Take()))
    assert (await until(bob, "err"))["code"] == "not_in_control"

    await alice.send(p.encode(p.Release()))
    assert await until(robot, "stop") == STOP0
    assert await until(alice, "control") == control(None, "alice", ops)
    assert await until(bob, "control") == control(None, "bob", ops)
    await bob.send(p.encode(p.Take()))
    assert await until(alice, "control") == control("bob", "alice", ops)
    assert await until(bob, "control") == control("bob", "bob", ops)

    await bob.send(p.encode(p.Give(to="carol")))
    assert (await until(bob, "err"))["code"] == "unknown_operator"
    await bob.send(p.encode(p.Give(to="alice")))
    assert await until(robot, "stop") == STOP0
    assert await until(alice, "control") == control("alice", "alice", ops)
    await alice.send(drive(1))
    assert (await until(robot, "drive"))["seq"] == 1


async def test_robot_stops_at_once_when_the_controller_vanishes(peers: Peers) -> None:
    robot = await peers.robot()
    driver, watcher = await peers.operator(name="driver"), await peers.operator(name="watcher")
    await driver.send(drive(1))
    await until(robot, "drive")
    started = time.perf_counter()
    driver.transport.abort()  # no close frame: the cable was pulled
    assert await until(robot, "stop") == STOP0
    elapsed = time.perf_counter() - started
    assert elapsed < 100 * MS, f"robot stopped {elapsed / MS:.1f} ms after the controller left"
    assert await until(watcher, "control") == control(None, "watcher", ["watcher"])
    await watcher.send(p.encode(p.Take()))
    assert (await until(watcher, "control"))["you"] is True


async def test_a_watcher_leaving_does_not_stop_the_robot(peers: Peers) -> None:
    robot = await peers.robot()
    await peers.operator(name="driver")
    watcher = await peers.operator(name="watcher")
    await watcher.close()
    assert [m for m in await quiet(robot) if m["t"] == "stop"] == []


# ---------------------------------------------------------------- slow peers


async def test_slow_operator_loses_telemetry_without_stalling_anyone(peers: Peers) -> None:
    relay = peers.relay
    robot = await peers.robot()
    fast = await peers.operator(name="fast")
    slow = await RawPeer.connect(relay.port, f"/client/rover?token={ROVER.operator}&name=slow")
    frames = 300

    async def watch() -> list[int]:
        return [(await until(fast, "tel", 3000 * MS))["seq"] for _ in range(frames)]

    watching = asyncio.create_task(watch())
    try:
        started = time.perf_counter()
        for seq in range(frames):
            await robot.send(tel(seq, samples=200))  # about 2.8 kB each
            if seq % 10 == 9:
                await asyncio.sleep(1 * MS)
        assert await watching == list(range(frames))
        elapsed = time.perf_counter() - started
        stats = relay.stats()["rover"]
        assert stats.operators["fast"].dropped == 0
        assert stats.operators["slow"].dropped > frames / 2
        assert elapsed < 3000 * MS
        await robot.send(p.encode(p.Ping(id=1)))
        assert await until(robot, "pong") == {"t": "pong", "id": 1}  # the robot's link is fine
    finally:
        watching.cancel()
        slow.close()


async def test_drives_toward_a_slow_robot_collapse_to_the_newest() -> None:
    limits = Limits(operator_rate=1e6)  # thousands of drives at once would count as a flood
    async with serve_relay(AUTH, limits=limits) as relay, AsyncExitStack() as stack:
        await _drives_collapse(relay, Peers(relay, stack))


async def _drives_collapse(relay: Relay, peers: Peers) -> None:
    robot = await RawPeer.connect(relay.port, f"/robot/rover?token={ROVER.robot}")
    op = await peers.operator()
    try:
        sent = 3000
        for seq in range(1, sent + 1):
            await op.send(drive(seq, l=seq % 100))
        await op.send(p.encode(p.Take()))  # its answer means every drive was routed
        await until(op, "control")
        superseded = relay.stats()["rover"].robot
        assert superseded is not None and superseded.dropped > 0
        got = [m["seq"] for m in await robot.messages(300 * MS) if m["t"] == "drive"]
        assert got == sorted(set(got)), "a drive arrived after a newer one"
        assert got[-1] == sent and len(got) < sent

        for seq in range(sent + 1, 2 * sent + 1):
            await op.send(drive(seq))
        await op.send(p.encode(p.Stop(seq=2 * sent + 1)))
        await op.send(p.encode(p.Take()))
        await until(op, "control")
        tail = [m for m in await robot.messages(300 * MS) if m["t"] in ("drive", "stop")]
        assert tail[-1] == {"t": "stop", "seq": 2 * sent + 1}
        assert len(tail) < sent, "the stop waited behind every drive"
    finally:
        robot.close()


async def test_operator_that_never_reads_is_let_go_when_its_backlog_overflows() -> None:
    limits = Limits(operator_backlog=64, close_timeout=0.2)
    async with serve_relay(AUTH, limits=limits) as relay, AsyncExitStack() as stack:
        peers = Peers(relay, stack)
        watcher = await peers.operator(name="watcher")
        mute = await RawPeer.connect(relay.port, f"/client/rover?token={ROVER.operator}&name=mute")
        try:
            for _ in range(4000):  # each answered with an err it never reads
                await mute.send_text("x")
            async with asyncio.timeout(3000 * MS):
                while "mute" in relay.stats()["rover"].operators:
                    await asyncio.sleep(10 * MS)
            await watcher.send(p.encode(p.Ping(id=1)))
            assert await until(watcher, "pong") == {"t": "pong", "id": 1}
        finally:
            mute.close()


async def test_a_stuck_operator_does_not_hold_up_shutdown() -> None:
    limits = Limits(close_timeout=0.2)
    async with serve_relay(AUTH, limits=limits) as relay:
        stuck = await RawPeer.connect(relay.port, f"/client/rover?token={ROVER.operator}")
        robot = await dial(f"{relay.url}/robot/rover?token={ROVER.robot}")
        while relay.stats()["rover"].operators["op-1"].dropped == 0:
            await robot.send(tel(0, samples=200))
        started = time.perf_counter()
    elapsed = time.perf_counter() - started
    stuck.close()
    assert await closed_code(robot) == 1001
    assert elapsed < limits.close_timeout + 0.5 + 500 * MS


# ---------------------------------------------------------------- bad input


BAD_FRAMES: list[tuple[str | bytes, str]] = [
    ("{", "bad_json"),
    ("[1, 2]", "bad_json"),
    (b"\x00\x01binary", "bad_json"),
    ('{"t":"warp"}', "bad_type"),
    ('{"l":1}', "bad_type"),
    ('{"t":"drive","l":500,"r":0,"seq":1}', "bad_field"),
    ('{"t":"give"}', "bad_field"),
    (tel(1), "bad_type"),  # operators do not send telemetry
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES, ids=[c + str(i) for i, (_, c) in enumerate(BAD_FRAMES)])
async def test_bad_operator_frame_gets_err_and_the_link_stays(peers: Peers, frame: str | bytes, code: str) -> None:
    robot = await peers.robot()
    op = await peers.operator()
    await op.send(frame)
    assert (await until(op, "err"))["code"] == code
    await op.send(drive(1))
    assert (await until(robot, "drive"))["seq"] == 1
    assert [m["t"] for m in await quiet(robot, 50 * MS)] == []  # nothing bad was forwarded


async def test_bad_robot_frames_get_err_and_operators_see_nothing(peers: Peers) -> None:
    robot = await peers.robot()
    op = await peers.operator()
    for frame in ("nonsense", b"\xff", '{"t": "tel", "seq": -1}', '{"t":"take"}'):
        await robot.send(frame)
        assert (await until(robot, "err"))["code"] in ("bad_json", "bad_field", "bad_type")
    await robot.send(tel(1))
    assert (await until(op, "tel"))["seq"] == 1
    assert [m["t"] for m in await quiet(op, 50 * MS)] == []
    assert peers.relay.stats()["rover"].robot.refused == 4  # type: ignore[union-attr]


async def test_operator_err_frames_are_not_answered(peers: Peers) -> None:
    op = await peers.operator()
    await op.send(p.encode(p.Err(code="bad_type", msg="what is this")))
    assert await quiet(op) == []


async def test_oversized_frames_close_1009_and_others_carry_on(peers: Peers) -> None:
    robot = await peers.robot()
    big, other = await peers.operator(name="big"), await peers.operator(name="other")
    huge = json.dumps({"t": "ping", "id": 1, "pad": "x" * p.MAX_MESSAGE_BYTES})
    await big.send(huge)
    assert await closed_code(big) == 1009
    await robot.send(tel(1))
    assert (await until(other, "tel"))["seq"] == 1

    await robot.send(huge)
    assert await closed_code(robot) == 1009
    assert await until(other, "presence") == {"t": "presence", "id": "rover", "online": False}
    await other.send(p.encode(p.Ping(id=2)))
    assert await until(other, "pong") == {"t": "pong", "id": 2}


async def test_shutdown_closes_everyone_with_1001() -> None:
    async with serve_relay(AUTH) as relay:
        robot = await dial(f"{relay.url}/robot/rover?token={ROVER.robot}")
        op = await dial(f"{relay.url}/client/rover?token={ROVER.operator}")
    assert await closed_code(robot) == 1001
    assert await closed_code(op) == 1001
