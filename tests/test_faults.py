"""What the real world does to a link, done on 127.0.0.1 by tests/faultproxy.py:
a relay killed and restarted, black holes, a slow and a stalled operator, a
long and jittery path, resets and frames cut into slivers. In each case the
robot is safe (measured), the app says what happened, and the link comes back.

The robot is the simulator (app/sim) and the operator the app's own Link,
both at their default timings unless a test says otherwise.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from conftest import MS, free_port
from faultproxy import FaultProxy

from app import protocol as p
from app.link import Link, LinkState
from app.relay import Auth, Limits, Relay, serve_relay
from app.sim.robot import Peer, SimRobot
from app.sim.transport import run_relay_client

TIMEOUT_MS = p.DEFAULT_TIMEOUT_MS  # the robot's drive timeout
#: The robot's failsafe looks at the clock every 10 ms (app/sim/robot.py TICK_S).
TICK = 10 * MS


class Robot(SimRobot):
    """The simulated robot, noting every drive seq as it arrives (before it is judged)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(robot_id="rover", **kwargs)
        self.drives: list[tuple[float, int]] = []

    def receive(self, peer: Peer, frame: str | bytes) -> None:
        if isinstance(frame, str) and frame.startswith('{"t":"drive"'):
            self.drives.append((time.monotonic(), p.decode(frame).seq))  # type: ignore[union-attr]
        super().receive(peer, frame)

    def drives_since(self, t: float) -> list[int]:
        return [seq for at, seq in self.drives if at >= t]


async def eventually(condition: Callable[[], bool], timeout: float, what: str = "") -> float:
    """Seconds until `condition` holds; fails the test after `timeout`."""
    started = time.monotonic()
    try:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(5 * MS)
    except TimeoutError:
        raise AssertionError(f"not within {timeout / MS:.0f} ms: {what}") from None
    return time.monotonic() - started


class Scene:
    """Tasks of one test (robot, its relay link, links, key holders); all stopped at the end."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []
        self.links: list[Link] = []

    def start(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self.tasks.append(task)
        return task

    def robot(self, relay_url: str, **kwargs: Any) -> Robot:
        robot = Robot(**kwargs)
        self.start(robot.run())
        self.start(run_relay_client(robot, relay_url, "rover"))
        return robot

    def link(self, url: str, **kwargs: Any) -> Link:
        link = Link(url, **kwargs)
        self.links.append(link)
        self.start(link.run())
        return link

    def hold_key(self, link: Link, speed: int = 40) -> asyncio.Task[Any]:
        """Re-send the drive every 100 ms, as the app does while a key is held."""

        async def hold() -> None:
            while True:
                link.send_drive(speed, speed)
                await asyncio.sleep(100 * MS)

        return self.start(hold())

    async def aclose(self) -> None:
        for link in self.links:
            await link.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@asynccontextmanager
async def scene() -> AsyncIterator[Scene]:
    s = Scene()
    try:
        yield s
    finally:
        await s.aclose()


def presence_of(link: Link) -> list[bool]:
    """Every robot online/offline the app is told, in order."""
    online: list[bool] = []
    link.presence_changed.connect(lambda msg: online.append(msg.online))
    return online


async def driving(link: Link, robot: Robot, speed: int = 40) -> None:
    """Wait until `link` drives `robot` at `speed`."""
    await eventually(lambda: link.in_control and link.hello is not None, 3000 * MS, "link in control")
    await eventually(lambda: robot.motors == (speed, speed), 2000 * MS, "robot driving")


# ---------------------------------------------------------------- relay killed


@asynccontextmanager
async def relay_process(port: int) -> AsyncIterator[asyncio.subprocess.Process]:
    """`robodeck-relay --open` on `port`, up once it says it listens; killed at the end."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.relay", "--open", "--port", str(port),
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    async with asyncio.timeout(10):
        while b"relay listening" not in await proc.stderr.readline():
            pass
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


async def test_relay_killed_and_restarted() -> None:
    port = free_port()
    url = f"ws://127.0.0.1:{port}"
    async with scene() as s, AsyncExitStack() as first:
        await first.enter_async_context(relay_process(port))
        robot = s.robot(url)
        link = s.link(f"{url}/client/rover?name=ann")
        states: list[LinkState] = []
        link.state_changed.connect(states.append)
        key = s.hold_key(link)
        await driving(link, robot)

        killed = time.monotonic()
        await first.aclose()  # SIGKILL: no close frames, no goodbye
        await eventually(lambda: robot.motors == (0, 0), TIMEOUT_MS * MS, "robot stopped")
        stopped_after = robot.stopped_at - killed
        assert stopped_after < TIMEOUT_MS * MS
        await eventually(lambda: link.state is LinkState.RECONNECTING, 1000 * MS, "app shows it")
        await asyncio.sleep(300 * MS)  # the key is held a moment longer: those drives go nowhere
        key.cancel()
        link.send_stop()  # ...and released while the relay is away

        async with relay_process(port):
            back = time.monotonic()
            await eventually(
                lambda: link.in_control and link.hello is not None and robot.links == 1,
                2000 * MS, "robot and app back within 2 s of the relay",
            )
            reconnected = time.monotonic()
            await asyncio.sleep(TIMEOUT_MS * MS)
            assert robot.motors == (0, 0), "a command from before the restart was applied"
            assert robot.drives_since(back) == []
            assert states[-2:] == [LinkState.RECONNECTING, LinkState.CONNECTED]
            seq = link.send_drive(25, 25)
            await eventually(lambda: robot.motors == (25, 25) and robot.ack == seq, 1000 * MS)
    print(f"robot stopped {stopped_after / MS:.0f} ms after the kill; "
          f"back {(reconnected - back) / MS:.0f} ms after the relay")


# ---------------------------------------------------------------- black holes


async def stops_by_its_timeout(robot: Robot) -> float:
    """Wait for the robot's failsafe; seconds from the last drive applied to the stop."""
    await eventually(lambda: robot.motors == (0, 0), (TIMEOUT_MS + 200) * MS, "robot stopped")
    assert robot.stop_reason == "timeout"
    assert robot.last_drive_at is not None
    stopped_after = robot.stopped_at - robot.last_drive_at
    assert stopped_after < TIMEOUT_MS * MS + 2 * TICK
    return stopped_after


async def test_black_hole_between_app_and_relay() -> None:
    async with serve_relay(Auth.open_access()) as relay, FaultProxy(relay.port) as proxy, scene() as s:
        robot = s.robot(relay.url)
        link = s.link(f"ws://127.0.0.1:{proxy.port}/client/rover?name=ann")
        s.hold_key(link)
        await driving(link, robot)

        proxy.set(blackhole=True)
        silent = time.monotonic()
        stopped_after = await stops_by_its_timeout(robot)
        await eventually(
            lambda: link.state is not LinkState.CONNECTED, link.ping_timeout + 0.5, "app notices"
        )
        app_noticed = time.monotonic() - silent
        await eventually(lambda: not _operators(relay), relay.limits.dead_after + 1.0, "relay notices")
        relay_noticed = time.monotonic() - silent
        assert app_noticed < link.ping_timeout + 0.5
        assert relay_noticed < relay.limits.dead_after + 1.0

        proxy.clear()
        await eventually(lambda: link.in_control, 2500 * MS, "app back, and in control again")
        await eventually(lambda: robot.motors == (40, 40), 1000 * MS, "driving again")
    print(f"robot stopped {stopped_after / MS:.0f} ms after the last drive; "
          f"dead link noticed by the app after {app_noticed:.1f} s, by the relay after {relay_noticed:.1f} s")


async def test_black_hole_between_relay_and_robot() -> None:
    async with serve_relay(Auth.open_access()) as relay, FaultProxy(relay.port) as proxy, scene() as s:
        robot = s.robot(f"ws://127.0.0.1:{proxy.port}")
        link = s.link(f"{relay.url}/client/rover?name=ann")
        online = presence_of(link)
        s.hold_key(link)
        await driving(link, robot)

        proxy.set(blackhole=True)
        silent = time.monotonic()
        await stops_by_its_timeout(robot)
        await eventually(lambda: robot.links == 0, 5000 * MS, "robot drops the link")
        robot_noticed = time.monotonic() - silent
        await eventually(lambda: online[-1:] == [False], relay.limits.dead_after + 1.0, "app sees it offline")
        relay_noticed = time.monotonic() - silent
        assert link.state is LinkState.CONNECTED, "the app's own link is fine"

        proxy.clear()
        await eventually(lambda: online[-1:] == [True], 2500 * MS, "robot back")
        await eventually(lambda: robot.motors == (40, 40), 1000 * MS, "driving again")
    print(f"dead link noticed by the robot after {robot_noticed:.1f} s, by the relay after {relay_noticed:.1f} s")


def _operators(relay: Relay) -> set[str]:
    stats = relay.stats().get("rover")
    return set(stats.operators) if stats else set()


# ---------------------------------------------------------------- slow and stalled operators


async def test_slow_and_stalled_operators_hurt_nobody() -> None:
    limits = Limits(stall_timeout=1.0)
    async with serve_relay(Auth.open_access(), limits=limits) as relay, \
            FaultProxy(relay.port) as proxy, scene() as s:
        robot = s.robot(relay.url, rate=1000, channels=8)
        fast = s.link(f"{relay.url}/client/rover?name=fast")
        await eventually(lambda: fast.in_control, 3000 * MS)
        slow = s.link(f"ws://127.0.0.1:{proxy.port}/client/rover?name=slow")
        await eventually(lambda: slow.hello is not None, 3000 * MS)
        proxy.down.bandwidth = 12_000  # bytes/s: about a third of the telemetry
        s.hold_key(fast)
        await asyncio.sleep(2000 * MS)
        slow_hz, fast_hz = slow.stats.tel_rate_hz, fast.stats.tel_rate_hz
        assert 50 < slow_hz < 0.6 * fast_hz, f"the slow one is behind ({slow_hz:.0f} vs {fast_hz:.0f}/s)..."
        assert slow.state is LinkState.CONNECTED, "...but still served"
        slow_dropped = relay.stats()["rover"].operators["slow"].dropped

        proxy.down.stall = True
        stalled = time.monotonic()
        await eventually(lambda: "slow" not in _operators(relay), 4000 * MS, "stalled one dropped")
        dropped_after = time.monotonic() - stalled
        assert fast.stats.dropped_samples == 0, "the operator that keeps up lost telemetry"
        assert robot.dropped_samples == 0
        assert robot.motors == (40, 40) and robot.stop_reason == "start", "the robot never hiccuped"
    print(f"slow operator: {slow_hz:.0f} samples/s vs {fast_hz:.0f}, {slow_dropped} frames dropped for it; "
          f"stalled: dropped {dropped_after:.2f} s after it stopped reading")


# ---------------------------------------------------------------- latency and jitter


async def test_driving_over_200_ms_with_jitter_keeps_order_and_shows_rtt() -> None:
    async with serve_relay(Auth.open_access()) as relay, FaultProxy(relay.port) as proxy, scene() as s:
        robot = s.robot(relay.url)
        proxy.set(delay=0.2, jitter=0.05)
        link = s.link(f"ws://127.0.0.1:{proxy.port}/client/rover?name=ann")
        states: list[LinkState] = []
        link.state_changed.connect(states.append)
        await eventually(lambda: link.in_control, 3000 * MS)
        for speed in range(10, 25):  # a key held and turned, at the app's 10 Hz
            link.send_drive(speed, -speed)
            await asyncio.sleep(100 * MS)
        await eventually(lambda: robot.motors == (24, -24), 1500 * MS, "the last drive applied")
        seqs = [seq for _, seq in robot.drives]
        assert seqs == sorted(seqs) and len(seqs) == 15, "a drive was lost or reordered"
        rtt = link.stats.rtt_ms
        assert rtt is not None and 300 < rtt < 700, f"RTT shown: {rtt} ms"
        assert LinkState.RECONNECTING not in states
    print(f"RTT shown over a 200 +/- 50 ms path each way: {rtt:.0f} ms")


# ---------------------------------------------------------------- resets and slivers


async def test_frames_in_slivers_then_a_reset() -> None:
    async with serve_relay(Auth.open_access()) as relay, FaultProxy(relay.port) as proxy, scene() as s:
        proxy.set(slice=7)  # every header and frame cut apart
        robot = s.robot(f"ws://127.0.0.1:{proxy.port}")
        link = s.link(f"{relay.url}/client/rover?name=ann")
        online = presence_of(link)
        s.hold_key(link)
        await driving(link, robot)
        await eventually(lambda: link.stats.tel_rate_hz > 100, 2000 * MS, "telemetry flows in slivers")

        reset = time.monotonic()
        proxy.reset()
        await eventually(lambda: robot.motors == (0, 0), 200 * MS, "robot stops at once")
        assert robot.stop_reason == "link_closed"
        stopped_after = robot.stopped_at - reset
        assert stopped_after < 50 * MS
        await eventually(lambda: online[-1:] == [False], 1000 * MS, "app sees it offline")
        await eventually(lambda: online[-1:] == [True], 2000 * MS, "robot back")
        await eventually(lambda: robot.motors == (40, 40), 1000 * MS, "driving again")
        assert link.stats.dropped_samples < 1000
    print(f"robot stopped {stopped_after / MS:.0f} ms after the reset")
