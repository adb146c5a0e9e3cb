"""Five drive buttons (hold to move), a speed slider and the wheel readout.

The panel only emits what the user did; ui/bridge.py connects it to the
DriveModel. Buttons take no keyboard focus, so arrow keys and Space always
reach the key table instead of clicking or moving a focused widget.
"""

from __future__ import annotations

from collections.abc import Set

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.drive import Motion
from ui import look
from ui.look import set_style_property
from ui.resources import icon

#: (icon, tooltip, grid row, grid column) of each motion button.
_BUTTONS: dict[Motion, tuple[str, str, int, int]] = {
    Motion.FORWARD: ("forward", "Forward (Up / W)", 0, 1),
    Motion.LEFT: ("left", "Turn left (Left / A)", 1, 0),
    Motion.RIGHT: ("right", "Turn right (Right / D)", 1, 2),
    Motion.BACKWARD: ("backward", "Backward (Down / S)", 2, 1),
}
_ICON_SIZE = QSize(34, 34)


def _pad_button(name: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName(f"drive_{name}")
    button.setProperty("role", "drive")
    button.setIcon(icon(name))
    button.setIconSize(_ICON_SIZE)
    button.setToolTip(tip)
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    button.setMinimumSize(64, 64)
    return button


class DrivePanel(QWidget):
    """Hold a button to move, release to stop; Stop always stops."""

    motion_pressed = Signal(object)  # Motion
    motion_released = Signal(object)  # Motion
    stop_requested = Signal()
    speed_changed = Signal(int)  # percent

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drivePanel")
        self.buttons: dict[Motion, QToolButton] = {}
        self.stop_button = _pad_button("stop", "Stop (Space)")
        self.speed_slider = QSlider(Qt.Orientation.Horizontal)
        self.speed_label = QLabel()
        self.wheel_label = QLabel()
        self._build()

    def _build(self) -> None:
        pad = QGridLayout()
        pad.setSpacing(8)
        for motion, (name, tip, row, column) in _BUTTONS.items():
            button = _pad_button(name, tip)
            button.pressed.connect(lambda m=motion: self.motion_pressed.emit(m))
            button.released.connect(lambda m=motion: self.motion_released.emit(m))
            self.buttons[motion] = button
            pad.addWidget(button, row, column)
        self.stop_button.pressed.connect(self.stop_requested.emit)
        pad.addWidget(self.stop_button, 1, 1)

        self.speed_slider.setRange(10, 100)
        self.speed_slider.setSingleStep(5)
        self.speed_slider.setPageStep(10)
        self.speed_slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.speed_slider.setToolTip("Speed (+ / -)")
        self.speed_slider.valueChanged.connect(self._on_slider)
        self.speed_label.setObjectName("speedLabel")
        self.wheel_label.setObjectName("wheelLabel")
        self.wheel_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        speed_row = QHBoxLayout()
        speed_row.addWidget(QLabel("Speed"))
        speed_row.addWidget(self.speed_slider, 1)
        speed_row.addWidget(self.speed_label)

        hint = QLabel("Arrows / WASD · Space stops · +/- speed")
        hint.setProperty("role", "hint")
        layout = QVBoxLayout(self)
        layout.addWidget(look.title("Drive"))
        layout.addLayout(pad)
        layout.addWidget(self.wheel_label)
        layout.addLayout(speed_row)
        layout.addWidget(hint)
        self.show_wheels(0, 0, frozenset())

    def _on_slider(self, value: int) -> None:
        self.speed_label.setText(f"{value:3d} %")
        self.speed_changed.emit(value)

    def show_speed(self, percent: int) -> None:
        """Reflect a speed set elsewhere (keys, settings) without echoing it."""
        self.speed_slider.blockSignals(True)
        self.speed_slider.setValue(percent)
        self.speed_slider.blockSignals(False)
        self.speed_label.setText(f"{percent:3d} %")

    def show_wheels(self, left: int, right: int, held: Set[Motion]) -> None:
        """Show the commanded wheel speeds and light the held motions' buttons."""
        self.wheel_label.setText(f"L {left:+4d} %    R {right:+4d} %")
        for motion, button in self.buttons.items():
            set_style_property(button, "lit", motion in held)
