"""Helpers for the UI tests: run a test body on the Qt/asyncio loop, build the
real app (Deck) on the built-in simulator, and wait for conditions.

UI tests are plain functions decorated with `@on_qt_loop`: the async body
runs on a qasync loop, exactly as in the app, so sockets, Qt timers and key
events all move while it awaits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

import pytest
from conftest import MS
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.settings import Profile, Settings
from app.sim.robot import SimRobot
from ui import look, qt_loop
from ui.app import Deck

T = TypeVar("T")
SIMULATOR = Profile("Simulator", "simulator")

#: The offscreen platform warns whenever a window's minimum size changes.
ignore_platform_noise = pytest.mark.qt_log_ignore(*qt_loop.PLATFORM_NOISE)


@pytest.fixture
def app(qapp: QApplication) -> QApplication:
    """The QApplication, styled like the real app; it never quits by itself."""
    qapp.setQuitOnLastWindowClosed(False)
    if not qapp.styleSheet():
        look.apply(qapp)
    return qapp


def on_qt_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body on a fresh qasync loop (as ui.qt_loop.run does)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        app = QApplication.instance()
        assert isinstance(app, QApplication), "request the `app` fixture"
        qt_loop.run(app, lambda: test(*args, **kwargs))

    return run


async def until(check: Callable[[], T | None], timeout_ms: float = 3000, what: str = "") -> T:
    """Poll `check` every millisecond until it returns something truthy."""
    deadline = time.monotonic() + timeout_ms * MS
    while not (result := check()):
        assert time.monotonic() < deadline, f"not reached in time: {what or check}"
        await asyncio.sleep(0.001)
    return result


@contextlib.asynccontextmanager
async def running_deck(
    settings: Settings | None = None, profile: Profile = SIMULATOR
) -> AsyncIterator[Deck]:
    """The real main window connected to `profile`, shown and active; closed after."""
    deck = Deck(settings or Settings(), restore_layout=settings is not None)
    deck.window.show()
    deck.window.activateWindow()
    try:
        assert await deck.open(profile)
        await until(lambda: deck.session.telemetry, what="the robot's hello")
        yield deck
    finally:
        await deck.shutdown(save=settings is not None)
        await qt_loop.drain_tasks()


def robot(deck: Deck) -> SimRobot:
    """The built-in simulator's robot, to see what really reached the motors."""
    assert deck.session.simulator is not None
    return deck.session.simulator.robot


def press(deck: Deck, key: Qt.Key) -> None:
    """A real key press on the window (QTest goes through QApplication.notify)."""
    QTest.keyPress(deck.window, key)


def release(deck: Deck, key: Qt.Key) -> None:
    """A real key release on the window."""
    QTest.keyRelease(deck.window, key)


def auto_repeat(deck: Deck, key: Qt.Key) -> None:
    """What X11 sends while a key is held: a release and a press, both auto-repeat."""
    for kind in (QEvent.Type.KeyRelease, QEvent.Type.KeyPress):
        event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, "", True)
        QApplication.sendEvent(deck.window, event)
