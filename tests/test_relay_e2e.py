"""The app's link and the simulated robot, both connected to a real relay."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from conftest import MS

from app.link import Link, LinkState
from app.relay import Auth, serve_relay
from app.sim.robot import SimRobot
from app.sim.transport import run_relay_client


async def eventually(condition: Callable[[], bool], timeout: float = 3000 * MS) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(5 * MS)


async def test_app_drives_the_simulated_robot_through_the_relay() -> None:
    async with serve_relay(Auth.open_access()) as relay:
        robot = SimRobot(robot_id="rover", rate=100, channels=2)
        tasks = [
            asyncio.create_task(robot.run()),
            asyncio.create_task(run_relay_client(robot, relay.url, "rover")),
        ]
        link = Link(f"{relay.url}/client/rover?name=ann", ping_interval=0.05, ping_timeout=0.5)
        presence: list[bool] = []
        link.presence_changed.connect(lambda msg: presence.append(msg.online))
        running = asyncio.create_task(link.run())
        try:
            await eventually(lambda: link.in_control and link.hello is not None)
            assert link.control is not None and link.control.name == "ann"
            seq = link.send_drive(40, 40)
            await eventually(lambda: link.last_ack >= seq)

            tasks[1].cancel()  # the robot's link goes away
            await eventually(lambda: presence[-1:] == [False])
            await asyncio.sleep(700 * MS)  # longer than the link's ping timeout
            assert link.state is LinkState.CONNECTED, "the relay must answer pings meanwhile"
            assert link.stats.rtt_ms is not None
        finally:
            await link.close()
            await asyncio.gather(running, return_exceptions=True)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
