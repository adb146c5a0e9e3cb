"""--self-test and --screenshot: the real main window, driven without a user.

Both build the same Deck as the GUI, connect to the chosen robot (the
built-in simulator by default), press real key events into the window and
read back what the robot reported over the wire, so a packaged build can be
checked on a machine without a screen (QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

from app.link import Link
from app.protocol import Tel
from app.settings import Profile, Settings
from ui.app import Deck

T = TypeVar("T")

#: A self-test normally takes under 2 s, start-up included; this only keeps a
#: robot that never answers from hanging a packaging script.
SELF_TEST_TIMEOUT_S = 10.0
DRIVE_S = 0.5
HELLO_TIMEOUT_S = 1.0
SCREENSHOT_S = 3.0


class CheckFailed(Exception):
    """Raised when the self-test sees something other than a healthy robot."""


async def until(check: Callable[[], T | None], failure: str, timeout: float = 1.5) -> T:
    """Poll `check` until it returns something truthy; CheckFailed(failure) on timeout."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise CheckFailed(failure)
        await asyncio.sleep(0.005)
    return result


def key(deck: Deck, kind: QEvent.Type, code: Qt.Key) -> None:
    """Deliver a key event to the window exactly as the keyboard would."""
    target = QApplication.focusWidget() or deck.window
    QApplication.sendEvent(target, QKeyEvent(kind, code, Qt.KeyboardModifier.NoModifier))


class Motors:
    """The motor output and ack the robot last reported in telemetry."""

    def __init__(self, link: Link) -> None:
        self.m: tuple[int, int] = (0, 0)
        self.ack = 0
        self.stopped_at: float | None = None
        link.telemetry.connect(self._on_tel)

    def _on_tel(self, tel: Tel) -> None:
        self.m, self.ack = tel.m, tel.ack
        if tel.m == (0, 0) and self.stopped_at is None:
            self.stopped_at = time.monotonic()


async def _connect(deck: Deck, profile: Profile) -> Link:
    """Open `profile` and wait for the hello; a failure says what the link saw last."""
    events: list[str] = []
    deck.session.event_logged.connect(events.append)
    if not await deck.open(profile):
        raise CheckFailed(f"cannot connect to {profile.name}: {events[-1] if events else '?'}")
    session = deck.session
    try:
        await until(lambda: session.telemetry, "no hello from the robot", HELLO_TIMEOUT_S)
    except CheckFailed as exc:
        raise CheckFailed(f"{exc} ({events[-1]})" if events else str(exc)) from None
    assert session.link is not None
    return session.link


async def _exercise(deck: Deck, profile: Profile, started: float) -> str:
    """Connect, see plots fill, drive forward, release, see the robot stop."""
    link = await _connect(deck, profile)
    motors = Motors(link)
    panel = deck.window.plot_panel
    drawn = await until(panel.drawn_until, "the plots received no telemetry")

    acked_before = link.last_ack
    key(deck, QEvent.Type.KeyPress, Qt.Key.Key_Up)
    await asyncio.sleep(DRIVE_S)
    speed = deck.session.drive.speed
    await until(lambda: motors.m == (speed, speed), f"the robot did not drive ({motors.m})", 0.3)
    await until(lambda: link.last_ack > acked_before, "the robot did not ack the drive", 0.3)
    await until(lambda: (panel.drawn_until() or 0) > drawn, "the plots stopped updating", 0.3)

    motors.stopped_at = None
    key(deck, QEvent.Type.KeyRelease, Qt.Key.Key_Up)
    released = time.monotonic()
    stopped_at = await until(lambda: motors.stopped_at, "the robot did not stop", 0.5)
    rtt = await until(lambda: link.stats.rtt_ms, "no answer to ping", 0.5)
    hello = link.hello
    assert hello is not None and deck.session.telemetry is not None
    return (
        f"self-test ok: hello from {hello.id} ({len(hello.channels)} channels @ {hello.rate} Hz), "
        f"{deck.session.telemetry.total_samples} samples, ack {motors.ack}, rtt {rtt:.1f} ms, "
        f"stopped in {(stopped_at - released) * 1000:.0f} ms, {time.monotonic() - started:.1f} s"
    )


async def self_test(settings: Settings, profile: Profile, started: float) -> int:
    """Print one line saying what worked, or what did not; 0 or 1.

    `started` is the process's start (time.monotonic()), so the time printed
    is what a user or a packaging script waits.
    """
    deck = Deck(settings, restore_layout=False)
    deck.window.show()
    try:
        line = await asyncio.wait_for(_exercise(deck, profile, started), SELF_TEST_TIMEOUT_S)
        code = 0
    except CheckFailed as exc:
        line, code = f"self-test FAILED: {exc}", 1
    except TimeoutError:
        line, code = f"self-test FAILED: not done within {SELF_TEST_TIMEOUT_S:.0f} s", 1
    finally:
        await deck.shutdown(save=False)
    print(line, flush=True)
    return code


#: (seconds from start, key, pressed): a drive that makes the plots lively and
#: ends in an arc, so the picture also shows lit drive buttons.
CHOREOGRAPHY = (
    (0.2, Qt.Key.Key_Up, True),
    (1.0, Qt.Key.Key_Left, True),
    (1.5, Qt.Key.Key_Left, False),
    (1.8, Qt.Key.Key_Up, False),
    (2.0, Qt.Key.Key_Right, True),
    (2.4, Qt.Key.Key_Right, False),
    (2.5, Qt.Key.Key_Up, True),
    (2.6, Qt.Key.Key_Left, True),
)
SCREENSHOT_WINDOW_S = 5.0


async def screenshot(settings: Settings, profile: Profile, path: Path) -> int:
    """Save a PNG of the window after a few seconds of live, driven data."""
    settings.plot_seconds = SCREENSHOT_WINDOW_S
    deck = Deck(settings, restore_layout=False)
    deck.window.show()
    try:
        await _connect(deck, profile)
        started = time.monotonic()
        for at, code, pressed in CHOREOGRAPHY:
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            key(deck, QEvent.Type.KeyPress if pressed else QEvent.Type.KeyRelease, code)
        await asyncio.sleep(max(0.0, started + SCREENSHOT_S - time.monotonic()))
        _hover_plot(deck)
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = deck.window.grab().save(str(path))
    except CheckFailed as exc:
        print(f"screenshot FAILED: {exc}", flush=True)
        return 1
    finally:
        await deck.shutdown(save=False)
    if not saved:
        print(f"screenshot FAILED: cannot write {path}", flush=True)
        return 1
    return 0


def _hover_plot(deck: Deck) -> None:
    """Put the mouse over the first plot so the crosshair readout shows."""
    plots = deck.window.plot_panel.plots
    if plots:
        view = plots[0].widget.viewport()
        hover(view, QPoint(int(view.width() * 0.8), view.height() // 2))
        deck.window.plot_panel.refresh()


def hover(widget: QWidget, pos: QPoint) -> None:
    """Move the mouse over `widget` to `pos`, synchronously.

    Not QTest.mouseMove: for widgets it runs processEvents(), which would run
    other asyncio tasks inside the current one (qasync refuses that).
    """
    local = QPointF(pos)
    global_pos = QPointF(widget.mapToGlobal(pos))
    event = QMouseEvent(
        QEvent.Type.MouseMove,
        local,
        global_pos,
        Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)
