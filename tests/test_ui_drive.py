"""Driving from the real main window: keys and buttons reach the simulated
robot's motors, and every way of letting go stops it at once."""

from __future__ import annotations

import asyncio
import time

from conftest import MS
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from ui_helpers import (
    app,
    auto_repeat,
    ignore_platform_noise,
    on_qt_loop,
    press,
    release,
    robot,
    running_deck,
    until,
)

from app.drive import Motion
from app.sim.robot import SimRobot
from ui.app import Deck

__all__ = ["app"]  # the fixture, imported for pytest
pytestmark = ignore_platform_noise
Key = Qt.Key
LEFT_BUTTON = Qt.MouseButton.LeftButton


async def hold_up(deck: Deck) -> SimRobot:
    """Press Up and wait until the robot's motors run at the default 60 %."""
    bot = robot(deck)
    press(deck, Key.Key_Up)
    await until(lambda: bot.motors == (60, 60), 500, "robot moving")
    return bot


async def stopped(bot: SimRobot) -> None:
    """The robot's motors reach zero within 100 ms."""
    await until(lambda: bot.motors == (0, 0), 100, "robot stopped")


@on_qt_loop
async def test_holding_up_drives_and_releasing_stops_within_100_ms(app: QApplication) -> None:
    async with running_deck() as deck:
        bot = await hold_up(deck)
        await asyncio.sleep(700 * MS)  # past the robot's 500 ms drive timeout
        assert bot.motors == (60, 60), "holding the key keeps the robot moving"

        released = time.monotonic()
        release(deck, Key.Key_Up)
        await stopped(bot)
        assert bot.stop_reason == "stop"
        assert bot.stopped_at - released < 100 * MS


@on_qt_loop
async def test_w_and_a_together_drive_an_arc_to_the_left(app: QApplication) -> None:
    async with running_deck() as deck:
        bot = robot(deck)
        press(deck, Key.Key_W)
        press(deck, Key.Key_A)
        await until(lambda: 0 < bot.motors[0] < bot.motors[1], 500, "arc to the left")
        release(deck, Key.Key_A)
        await until(lambda: bot.motors[0] == bot.motors[1] > 0, 500, "straight on again")
        release(deck, Key.Key_W)
        await stopped(bot)


@on_qt_loop
async def test_auto_repeat_does_not_stutter_into_stop(app: QApplication) -> None:
    async with running_deck() as deck:
        wheels: list[tuple[int, int]] = []
        deck.session.drive.changed.connect(lambda left, right: wheels.append((left, right)))
        bot = await hold_up(deck)
        stop_before = bot.last_stop
        for _ in range(20):  # X11 repeats a held key as release+press pairs
            auto_repeat(deck, Key.Key_Up)
            await asyncio.sleep(0.01)
            assert bot.motors == (60, 60)
        assert wheels == [(60, 60)], "auto-repeat must not release the key"
        assert bot.last_stop is stop_before, "no stop reached the robot"
        release(deck, Key.Key_Up)
        await stopped(bot)


@on_qt_loop
async def test_losing_focus_stops_the_robot(app: QApplication) -> None:
    async with running_deck() as deck:
        bot = await hold_up(deck)
        other = QWidget()
        try:
            other.show()
            other.activateWindow()  # the key's release would now go to `other`
            left = time.monotonic()
            await stopped(bot)
            assert bot.stopped_at - left < 100 * MS
            assert deck.session.drive.held == frozenset()
        finally:
            other.close()


@on_qt_loop
async def test_buttons_drive_while_held_and_stop_on_release(app: QApplication) -> None:
    async with running_deck() as deck:
        bot = robot(deck)
        buttons = deck.window.drive_panel.buttons
        QTest.mousePress(buttons[Motion.LEFT], LEFT_BUTTON)
        await until(lambda: bot.motors[0] < 0 < bot.motors[1], 500, "spinning left")
        await asyncio.sleep(300 * MS)
        assert bot.motors[0] < 0 < bot.motors[1], "holding the button keeps it going"
        QTest.mouseRelease(buttons[Motion.LEFT], LEFT_BUTTON)
        await stopped(bot)

        QTest.mousePress(buttons[Motion.BACKWARD], LEFT_BUTTON)
        await until(lambda: bot.motors[0] < 0 and bot.motors[1] < 0, 500, "reversing")
        QTest.mouseClick(deck.window.drive_panel.stop_button, LEFT_BUTTON)
        await stopped(bot)
        QTest.mouseRelease(buttons[Motion.BACKWARD], LEFT_BUTTON)
        assert deck.session.drive.held == frozenset()


@on_qt_loop
async def test_speed_keys_and_slider_scale_the_wheels(app: QApplication) -> None:
    async with running_deck() as deck:
        bot = robot(deck)
        slider = deck.window.drive_panel.speed_slider
        press(deck, Key.Key_Minus)
        release(deck, Key.Key_Minus)
        assert slider.value() == 50
        press(deck, Key.Key_Up)
        await until(lambda: bot.motors == (50, 50), 500, "driving at 50 %")
        slider.setValue(80)
        await until(lambda: bot.motors == (80, 80), 500, "driving at 80 %")
        press(deck, Key.Key_Space)
        await stopped(bot)
        release(deck, Key.Key_Up)
