"""The link against a real WebSocket server on 127.0.0.1 that plays the robot."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable
from http import HTTPStatus

import numpy as np
import pytest
from conftest import MS, free_port
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from app import protocol
from app.link import Link, LinkState, redact
from app.protocol import Channel, Control, Drive, Hello, Message, Ping, Pong, Stop, Tel

HELLO = Hello(id="rover", fw="0.1.0", board="test", channels=(Channel("battery", "V", 15, 1023),), rate=100)


class Robot:
    """A robot endpoint that records every message it gets, with its arrival time."""

    def __init__(self, *, pong_delay: float = 0.0, answer_pings: bool = True) -> None:
        self.port = free_port()
        self.pong_delay = pong_delay
        self.answer_pings = answer_pings
        self.received: list[tuple[float, Message]] = []
        self.sent_first: list[str] = [protocol.encode(HELLO)]
        self.conns: list[ServerConnection] = []
        self.status: HTTPStatus | None = None
        self._server: Server | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._server = await serve(
            self._handle, "127.0.0.1", self.port,
            subprotocols=[Subprotocol(protocol.SUBPROTOCOL)], compression=None,
            max_size=protocol.MAX_MESSAGE_BYTES, ping_interval=None, process_request=self._refuse,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _refuse(self, conn: ServerConnection, request: Request) -> Response | None:
        return conn.respond(self.status, "refused\n") if self.status else None

    async def _handle(self, ws: ServerConnection) -> None:
        self.conns.append(ws)
        for text in self.sent_first:
            await ws.send(text)
        async for frame in ws:
            msg = protocol.decode(frame)
            self.received.append((time.monotonic(), msg))
            if isinstance(msg, Ping) and self.answer_pings:
                if self.pong_delay:
                    await asyncio.sleep(self.pong_delay)
                await ws.send(protocol.encode(Pong(id=msg.id)))

    def commands(self) -> list[Drive | Stop]:
        return [m for _, m in self.received if isinstance(m, Drive | Stop)]

    async def send(self, text: str) -> None:
        await self.conns[-1].send(text)


@contextlib.asynccontextmanager
async def running(robot: Robot, link: Link) -> AsyncIterator[asyncio.Task[None]]:
    """The robot serving and the link running; both stopped afterwards."""
    await robot.start()
    task = asyncio.create_task(link.run())
    try:
        yield task
    finally:
        await link.close()
        await robot.stop()
        assert task.done()


async def until(check: Callable[[], object], timeout: float = 2.0) -> None:
    """Wait until `check()` is true, polling every millisecond."""
    deadline = time.monotonic() + timeout * MS * 1000
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.001)


def record_states(link: Link) -> list[LinkState]:
    states: list[LinkState] = []
    link.state_changed.connect(states.append)
    return states


async def test_connects_gets_hello_and_stops_the_robot_on_close() -> None:
    robot = Robot()
    link = Link(robot.url)
    states, hellos = record_states(link), list[Hello]()
    link.hello_received.connect(hellos.append)
    async with running(robot, link) as task:
        await until(lambda: hellos)
        assert hellos == [HELLO] and link.hello == HELLO
        assert link.in_control, "direct mode: the only operator is in control"
        await link.close()
        assert task.done()
    assert states == [LinkState.CONNECTING, LinkState.CONNECTED, LinkState.OFFLINE]
    assert isinstance(robot.commands()[-1], Stop), "close() sends stop first"
    assert not link.in_control


async def test_reconnects_after_the_server_restarts() -> None:
    robot = Robot()
    link = Link(robot.url)
    states, events = record_states(link), list[str]()
    link.event.connect(events.append)
    async with running(robot, link):
        await until(lambda: link.state == LinkState.CONNECTED)
        first_seq = link.send_drive(40, 40)
        await robot.stop()
        await until(lambda: link.state == LinkState.RECONNECTING)
        await asyncio.sleep(300 * MS)
        restarted = time.monotonic()
        await robot.start()
        await until(lambda: link.state == LinkState.CONNECTED, timeout=3.0)
        assert time.monotonic() - restarted < 2.5, "backoff is capped near 2 s"
        second_seq = link.send_drive(40, 40)
        await until(lambda: robot.commands() and robot.commands()[-1].seq == second_seq)
    assert second_seq > first_seq, "seq keeps rising across reconnects"
    assert states[:4] == [LinkState.CONNECTING, LinkState.CONNECTED, LinkState.RECONNECTING, LinkState.CONNECTED]
    assert any(e.startswith("reconnecting in ") for e in events)


async def test_a_newer_drive_is_never_overtaken_by_an_older_one() -> None:
    robot = Robot()
    link = Link(robot.url)
    async with running(robot, link):
        await until(lambda: link.connected)
        newest = 0
        for i in range(3000):
            newest = link.send_drive(i % 100, -(i % 100))
            if i % 7 == 0:
                await asyncio.sleep(0)
        await until(lambda: robot.commands() and robot.commands()[-1].seq == newest)
    drives = [c for c in robot.commands() if isinstance(c, Drive)]
    seqs = [d.seq for d in drives]
    assert all(a < b for a, b in itertools.pairwise(seqs)), "strictly increasing"
    assert seqs[-1] == newest and (drives[-1].l, drives[-1].r) == (99, -99)
    assert len(seqs) < 3000, "bursts collapse to the newest command"


async def test_stop_goes_out_at_once_and_supersedes_a_pending_drive() -> None:
    robot = Robot()
    link = Link(robot.url)
    async with running(robot, link):
        await until(lambda: link.connected)
        link.send_drive(80, 80)
        sent = time.monotonic()
        stop_seq = link.send_stop()
        await until(lambda: robot.commands())
        arrived, msg = robot.received[-1]
        assert msg == Stop(seq=stop_seq)
        assert arrived - sent < 20 * MS
        await asyncio.sleep(50 * MS)
        assert robot.commands() == [Stop(seq=stop_seq)], "the superseded drive never goes out"


async def test_rtt_is_measured_with_app_level_pings() -> None:
    robot = Robot(pong_delay=40 * MS)
    link = Link(robot.url, ping_interval=50 * MS)
    async with running(robot, link):
        await until(lambda: link.stats.rtt_ms is not None)
        rtt = link.stats.rtt_ms
        assert rtt is not None and 40 * MS * 1000 <= rtt < 200 * MS * 1000


async def test_a_silent_server_is_detected_within_ping_timeout() -> None:
    robot = Robot(answer_pings=False)
    link = Link(robot.url, ping_interval=50 * MS, ping_timeout=300 * MS)
    events: list[str] = []
    link.event.connect(events.append)
    async with running(robot, link):
        await until(lambda: link.connected)
        connected = time.monotonic()
        await until(lambda: link.state == LinkState.RECONNECTING)
        noticed = time.monotonic() - connected
        assert 250 * MS < noticed < 300 * MS + 150 * MS, noticed
        assert any("no answer to ping" in e for e in events)
        await until(lambda: link.state == LinkState.CONNECTED)


async def test_bad_frames_are_reported_and_answered_but_keep_the_link() -> None:
    robot = Robot()
    link = Link(robot.url)
    events: list[str] = []
    tels: list[Tel] = []
    link.event.connect(events.append)
    link.telemetry.connect(tels.append)
    async with running(robot, link):
        await until(lambda: link.connected and robot.conns)
        for garbage in ("{not json", '{"t":"warp"}', '{"t":"tel","seq":-1}', "[]"):
            await robot.send(garbage)
        good = Tel(seq=0, ms=0, v=np.array([[1]], dtype=np.int32), m=(0, 0), ack=0)
        await robot.send(protocol.encode(good))
        await until(lambda: tels)
        await until(lambda: sum(m.TYPE == "err" for _, m in robot.received) == 4)
        assert link.state == LinkState.CONNECTED and tels == [good]
    assert sum("bad frame" in e for e in events) == 1, "reported once, not once per frame"


async def test_answers_the_peers_ping() -> None:
    robot = Robot()
    link = Link(robot.url)
    async with running(robot, link):
        await until(lambda: robot.conns)
        await robot.send(protocol.encode(Ping(id=77)))
        await until(lambda: any(m == Pong(id=77) for _, m in robot.received))


async def test_telemetry_stats_count_gaps_and_rate() -> None:
    robot = Robot()
    batch = np.zeros((10, 1), dtype=np.int32)
    robot.sent_first += [
        protocol.encode(Tel(seq=s, ms=s * 10, v=batch, m=(0, 0), ack=5)) for s in (0, 10, 30)
    ]
    link = Link(robot.url)
    tels: list[Tel] = []
    link.telemetry.connect(tels.append)
    async with running(robot, link):
        await until(lambda: len(tels) == 3)
        stats = link.stats
        assert stats.frames_in >= 4
        assert stats.dropped_samples == 10 and link.last_ack == 5
        assert stats.tel_rate_hz > 0


async def test_relay_mode_takes_control_from_control_messages() -> None:
    robot = Robot()
    robot.sent_first.append(protocol.encode(Control(holder="ana", you=False, name="bob", operators=("ana", "bob"))))
    link = Link(robot.url + "client/rover?token=x")
    controls: list[Control] = []
    link.control_changed.connect(controls.append)
    async with running(robot, link):
        await until(lambda: controls)
        assert link.relay and not link.in_control
        link.take_control()
        await until(lambda: any(m.TYPE == "take" for _, m in robot.received))
        await robot.send(protocol.encode(Control(holder="bob", you=True, name="bob")))
        await until(lambda: link.in_control)
        link.give_control("ana")
        link.release_control()
        link.send_cfg(rate=50)
        await until(lambda: len(robot.received) >= 4)
    kinds = [m.TYPE for _, m in robot.received if m.TYPE not in ("ping", "stop")]
    assert kinds == ["take", "give", "release", "cfg"]


async def test_a_wrong_token_gives_up_instead_of_retrying() -> None:
    robot = Robot()
    robot.status = HTTPStatus.UNAUTHORIZED
    link = Link(robot.url + "?token=wrong")
    events: list[str] = []
    link.event.connect(events.append)
    async with running(robot, link) as task:
        await until(task.done)
    assert link.state == LinkState.OFFLINE
    assert events == ["giving up: refused with HTTP 401"]


async def test_close_cuts_short_a_reconnect_wait() -> None:
    link = Link(f"ws://127.0.0.1:{free_port()}/")
    task = asyncio.create_task(link.run())
    await until(lambda: link.state == LinkState.RECONNECTING)
    started = time.monotonic()
    await link.close()
    assert task.done() and link.state == LinkState.OFFLINE
    assert time.monotonic() - started < 100 * MS


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ws://h/client/r?token=s3cret&name=a", "ws://h/client/r?token=***&name=a"),
        ("ws://h/", "ws://h/"),
    ],
)
def test_tokens_never_reach_events(url: str, shown: str) -> None:
    assert redact(url) == shown
