"""Two windows on one robot through the relay: the status panel says who holds
control, only the holder's keys drive, and Release / Take control hand it over."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from conftest import MS
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from ui_helpers import app, ignore_platform_noise, on_qt_loop, press, release, until

from app.relay import Auth, serve_relay
from app.settings import Profile, Settings
from app.sim.robot import SimRobot
from app.sim.transport import run_relay_client
from ui import qt_loop
from ui.app import Deck

__all__ = ["app"]
pytestmark = ignore_platform_noise
CLICK = Qt.MouseButton.LeftButton


@contextlib.asynccontextmanager
async def robot_behind_relay() -> AsyncIterator[tuple[Profile, SimRobot]]:
    """A relay on 127.0.0.1 with simulated robot `rover` attached as a client."""
    robot = SimRobot(robot_id="rover", rate=100, channels=2)
    async with serve_relay(Auth.open_access()) as relay:
        tasks = [
            qt_loop.spawn(robot.run()),
            qt_loop.spawn(run_relay_client(robot, relay.url, "rover")),
        ]
        try:
            yield Profile("rover via relay", "relay", url=relay.url, robot_id="rover"), robot
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def connect(deck: Deck, profile: Profile) -> None:
    deck.window.show()
    assert await deck.open(profile)
    await until(lambda: deck.session.telemetry, what="hello via the relay")


def control_text(deck: Deck) -> str:
    return deck.window.status_panel.control_label.text()


@on_qt_loop
async def test_control_is_shown_and_handed_over_with_the_buttons(app: QApplication) -> None:
    async with robot_behind_relay() as (profile, robot):
        ana, bob = Deck(Settings(operator_name="ana")), Deck(Settings(operator_name="bob"))
        try:
            await connect(ana, profile)
            await connect(bob, profile)
            await until(lambda: control_text(bob) == "held by ana", what="bob sees ana's control")
            assert control_text(ana) == "this window"
            ana_status, bob_status = ana.window.status_panel, bob.window.status_panel
            assert bob_status.take_button.isVisible() and bob_status.take_button.isEnabled()
            assert ana_status.release_button.isEnabled() and not ana_status.take_button.isEnabled()

            bob.window.activateWindow()
            press(bob, Qt.Key.Key_Up)
            await asyncio.sleep(150 * MS)
            assert robot.motors == (0, 0), "a watcher's keys do not drive"
            release(bob, Qt.Key.Key_Up)

            QTest.mouseClick(ana_status.release_button, CLICK)
            await until(lambda: control_text(ana) == "nobody", what="ana released control")
            QTest.mouseClick(bob_status.take_button, CLICK)
            await until(lambda: control_text(bob) == "this window", what="bob took control")
            await until(lambda: control_text(ana) == "held by bob", what="ana sees bob")
            press(bob, Qt.Key.Key_Up)
            await until(lambda: robot.motors == (60, 60), 500, "bob drives")
            release(bob, Qt.Key.Key_Up)
            await until(lambda: robot.motors == (0, 0), 100, "bob's release stops it")
        finally:
            await bob.shutdown(save=False)
            await ana.shutdown(save=False)
