"""Keyboard driving: a table of keys, and one event filter that applies it.

Keys drive while held: press -> DriveModel.press(motion), release ->
release(motion); two held keys combine into an arc in the drive model.
Auto-repeat events are swallowed, so holding a key never produces a
release/press stutter (X11 sends auto-repeat as release+press pairs).
Losing focus stops the robot: a key released while another window is active
would never reach us.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from app.drive import Motion

Key = Qt.Key


class Command(Enum):
    """Keys that act once per press rather than while held."""

    STOP = auto()
    FASTER = auto()
    SLOWER = auto()


DRIVE_KEYS: Final[dict[Key, Motion]] = {
    Key.Key_Up: Motion.FORWARD,
    Key.Key_W: Motion.FORWARD,
    Key.Key_Down: Motion.BACKWARD,
    Key.Key_S: Motion.BACKWARD,
    Key.Key_Left: Motion.LEFT,
    Key.Key_A: Motion.LEFT,
    Key.Key_Right: Motion.RIGHT,
    Key.Key_D: Motion.RIGHT,
}

COMMAND_KEYS: Final[dict[Key, Command]] = {
    Key.Key_Space: Command.STOP,
    Key.Key_Plus: Command.FASTER,
    Key.Key_Equal: Command.FASTER,  # the unshifted "+" key on most layouts
    Key.Key_Minus: Command.SLOWER,
    Key.Key_Underscore: Command.SLOWER,
}

#: Widgets where typing must keep its usual meaning (W, A, S, D, arrows).
_TEXT_INPUTS: Final = (QLineEdit, QAbstractSpinBox, QPlainTextEdit, QTextEdit)


def _is_text_input(widget: QWidget) -> bool:
    if isinstance(widget, QComboBox):
        return widget.isEditable()
    return isinstance(widget, _TEXT_INPUTS)


class KeyDriver(QObject):
    """Application-wide event filter that turns the key table into signals.

    It filters at the application level so driving works whichever child of
    `window` has focus (a focused button would otherwise eat Space and the
    arrow keys), but never inside text fields or other windows.
    """

    motion_pressed = Signal(object)  # Motion
    motion_released = Signal(object)  # Motion
    command = Signal(object)  # Command
    focus_lost = Signal()

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.WindowDeactivate and watched is self._window:
            self.focus_lost.emit()
        elif kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and self._in_window(watched):
            assert isinstance(event, QKeyEvent) and isinstance(watched, QWidget)
            return self._on_key(event, typing=_is_text_input(watched))
        return False

    def _in_window(self, watched: QObject) -> bool:
        return isinstance(watched, QWidget) and watched.window() is self._window

    def _on_key(self, event: QKeyEvent, typing: bool) -> bool:
        """Apply one key event; True when it was ours (so it is consumed).

        In a text field keys type as usual, but a drive key released there
        still releases its motion: it may have been pressed before focus
        moved into the field.
        """
        key = event.key()
        pressed = event.type() == QEvent.Type.KeyPress
        if key in DRIVE_KEYS:
            if not event.isAutoRepeat() and not (typing and pressed):
                signal = self.motion_pressed if pressed else self.motion_released
                signal.emit(DRIVE_KEYS[Key(key)])
        elif key in COMMAND_KEYS:
            if pressed and not event.isAutoRepeat() and not typing:
                self.command.emit(COMMAND_KEYS[Key(key)])
        else:
            return False
        return not typing
