"""The session end to end: the built-in simulator, a relay with two operators."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from conftest import MS

from app.drive import Motion
from app.errors import ConfigError
from app.link import LinkState, LinkStats
from app.protocol import Hello
from app.relay import Auth, serve_relay
from app.session import Session
from app.settings import Profile, Settings
from app.sim.robot import SimRobot
from app.sim.transport import run_relay_client

SIMULATOR = Profile("Simulator", "simulator")


async def until(check: Callable[[], object], timeout: float = 3.0) -> None:
    """Wait until `check()` is true, polling every millisecond."""
    deadline = time.monotonic() + timeout * MS * 1000
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.001)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


async def test_drive_the_builtin_simulator_and_record_it() -> None:
    session = Session()
    states: list[LinkState] = []
    hellos: list[Hello] = []
    stats: list[LinkStats] = []
    session.state_changed.connect(states.append)
    session.hello_received.connect(hellos.append)
    session.stats_changed.connect(stats.append)
    await session.open(SIMULATOR)
    sim, link = session.simulator, session.link
    assert sim is not None and link is not None
    try:
        await until(lambda: hellos)
        buf = session.telemetry
        assert buf is not None and len(buf.channels) == 4 and buf.hello == hellos[0]
        await until(lambda: buf.total_samples >= 40)
        path = session.start_recording()

        session.drive.press(Motion.FORWARD)
        await until(lambda: sim.robot.motors == (60, 60), timeout=0.5)
        await until(lambda: link.last_ack > 0)
        await asyncio.sleep(700 * MS)  # longer than the robot's 500 ms drive timeout
        assert sim.robot.motors == (60, 60), "10 Hz re-sends keep the robot moving"

        released = time.monotonic()
        session.drive.release(Motion.FORWARD)
        await until(lambda: sim.robot.motors == (0, 0), timeout=0.1)
        assert sim.robot.stop_reason == "stop"
        assert sim.robot.stopped_at - released < 100 * MS
        await until(lambda: stats and stats[-1].tel_rate_hz > 100)
        assert stats[-1].rtt_ms is not None and stats[-1].in_control
        session.stop_recording()
    finally:
        await session.close()

    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", int(sim.url.rsplit(":", 1)[1].strip("/")))
    assert session.link is None and session.simulator is None and not session.recorder.recording
    assert states[0] == LinkState.CONNECTING and LinkState.CONNECTED in states
    assert states[-1] == LinkState.OFFLINE
    rows = read(path)
    kinds = {r["kind"] for r in rows}
    assert kinds == {"sample", "drive", "stop", "event"}
    drives = [r for r in rows if r["kind"] == "drive"]
    assert 6 <= len(drives) <= 12 and all((r["left"], r["right"]) == ("60", "60") for r in drives)
    samples = [r for r in rows if r["kind"] == "sample"]
    assert len(samples) > 100 and all(r[f"{buf.channels[0].name} [{buf.channels[0].unit}]"] for r in samples)
    assert rows[-1]["detail"] == "recording stopped"


async def test_new_sample_rate_makes_a_new_buffer_and_continues_the_recording(tmp_path: Path) -> None:
    session = Session()
    hellos: list[Hello] = []
    session.hello_received.connect(hellos.append)
    await session.open(SIMULATOR)
    try:
        await until(lambda: hellos)
        first = session.start_recording(tmp_path / "run.csv")
        assert session.link is not None
        session.link.send_cfg(rate=100)
        await until(lambda: len(hellos) == 2)
        assert session.telemetry is not None and session.telemetry.rate == 100
        assert session.recorder.path == tmp_path / "run-2.csv"
    finally:
        await session.close()
    assert "recording continues in run-2.csv" in read(first)[-1]["detail"]
    assert read(tmp_path / "run-2.csv")[0]["kind"] == "event"


async def test_a_dropped_link_releases_the_held_keys() -> None:
    session = Session()
    await session.open(SIMULATOR)
    try:
        await until(lambda: session.state == LinkState.CONNECTED)
        session.drive.press(Motion.LEFT)
        assert session.simulator is not None
        await asyncio.to_thread(session.simulator.stop)
        await until(lambda: session.state == LinkState.RECONNECTING)
        assert session.drive.held == frozenset() and session.drive.wheels == (0, 0)
    finally:
        await session.close()
        await session.close()
    assert session.state == LinkState.OFFLINE


async def test_a_bad_profile_is_refused_before_anything_starts() -> None:
    session = Session()
    with pytest.raises(ConfigError, match="ws://"):
        await session.open(Profile("lab", "direct", url="http://10.0.0.9/"))
    assert session.link is None and session.simulator is None
    await session.close()


@contextlib.asynccontextmanager
async def relay_with_robot() -> AsyncIterator[tuple[str, SimRobot]]:
    """An open relay on 127.0.0.1 with a simulated robot `rover` attached."""
    robot = SimRobot(robot_id="rover", rate=100, channels=2)
    async with serve_relay(Auth.open_access()) as relay:
        tasks = [asyncio.create_task(robot.run()), asyncio.create_task(run_relay_client(robot, relay.url, "rover"))]
        try:
            yield relay.url, robot
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def operator(name: str) -> Session:
    return Session(Settings(operator_name=name))


async def test_relay_watcher_cannot_drive_but_its_stop_button_stops_the_robot() -> None:
    async with relay_with_robot() as (url, robot):
        profile = Profile("lab", "relay", url=url, robot_id="rover")
        ana, bob = operator("ana"), operator("bob")
        controls: list[tuple[bool, str | None]] = []
        bob.control_changed.connect(lambda you, holder: controls.append((you, holder)))
        try:
            await ana.open(profile)
            await until(lambda: ana.link is not None and ana.link.in_control)
            await bob.open(profile)
            await until(lambda: controls and controls[-1] == (False, "ana"))

            ana.drive.press(Motion.FORWARD)
            await until(lambda: robot.motors == (60, 60))
            last_stop = robot.last_stop
            bob.drive.press(Motion.BACKWARD)
            bob.drive.release(Motion.BACKWARD)
            await asyncio.sleep(150 * MS)
            assert robot.motors == (60, 60), "a watcher's keys do not drive the robot"
            assert robot.last_stop == last_stop, "nor stop it when they are released"

            bob.drive.release_all()  # the Stop button
            await until(lambda: robot.motors == (0, 0), timeout=0.2)
            assert robot.stop_reason == "stop"
        finally:
            await bob.close()
            await ana.close()


async def test_a_double_clicked_connect_leaves_one_simulator() -> None:
    session = Session()

    def simulators() -> int:
        return sum(t.name == "robodeck-sim" for t in threading.enumerate())

    before = simulators()
    try:
        await asyncio.gather(session.open(SIMULATOR), session.open(SIMULATOR))
        assert simulators() == before + 1
    finally:
        await session.close()
    assert simulators() == before
