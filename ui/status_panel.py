"""Link health at a glance: state, round trip, telemetry rate, drops, control.

Only displays what the bridge hands it; the Take control / Release buttons
are shown in relay mode, where several operators may watch one robot.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.link import LinkState, LinkStats
from app.protocol import Hello
from ui import look
from ui.look import set_style_property

_LOG_LINES = 500


class StatusPanel(QWidget):
    """Coloured link state, live numbers, control buttons and an event log."""

    take_requested = Signal()
    release_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusPanel")
        self.state_label = QLabel()
        self.state_label.setObjectName("statePill")
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.robot_label = QLabel("no robot yet")
        self.robot_label.setProperty("role", "hint")
        self.robot_label.setWordWrap(True)
        self.rtt_label = QLabel("-")
        self.rate_label = QLabel("-")
        self.dropped_label = QLabel("0")
        self.control_label = QLabel("-")
        self.take_button = QPushButton("Take control")
        self.release_button = QPushButton("Release")
        self.log = QPlainTextEdit()
        self._build()
        self.show_state(LinkState.OFFLINE)
        self.set_relay_mode(False)

    def _build(self) -> None:
        for label in (self.rtt_label, self.rate_label, self.dropped_label, self.control_label):
            label.setProperty("role", "value")
        numbers = QFormLayout()
        numbers.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        numbers.addRow("Round trip", self.rtt_label)
        numbers.addRow("Telemetry", self.rate_label)
        numbers.addRow("Dropped", self.dropped_label)
        numbers.addRow("Control", self.control_label)

        for button in (self.take_button, self.release_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.take_button.clicked.connect(self.take_requested.emit)
        self.release_button.clicked.connect(self.release_requested.emit)
        control_row = QHBoxLayout()
        control_row.addWidget(self.take_button)
        control_row.addWidget(self.release_button)

        self.log.setReadOnly(True)
        self.log.setObjectName("eventLog")
        self.log.setMaximumBlockCount(_LOG_LINES)
        self.log.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        layout = QVBoxLayout(self)
        layout.addWidget(look.title("Link"))
        layout.addWidget(self.state_label)
        layout.addWidget(self.robot_label)
        layout.addLayout(numbers)
        layout.addLayout(control_row)
        layout.addWidget(look.title("Events"))
        layout.addWidget(self.log, 1)

    def show_state(self, state: LinkState) -> None:
        """Show the link state as a coloured pill (colours in style.qss)."""
        self.state_label.setText(state.value.upper())
        set_style_property(self.state_label, "state", state.value)
        if state is not LinkState.CONNECTED:
            self.rate_label.setText("-")
            self.rtt_label.setText("-")

    def show_hello(self, hello: Hello) -> None:
        """Who the robot is, from its hello."""
        names = ", ".join(ch.name for ch in hello.channels)
        self.robot_label.setText(
            f"{hello.id} · {hello.board} · fw {hello.fw}\n"
            f"{len(hello.channels)} channels @ {hello.rate} Hz: {names}"
        )

    def show_stats(self, stats: LinkStats) -> None:
        """Refresh the live numbers."""
        self.rtt_label.setText("-" if stats.rtt_ms is None else f"{stats.rtt_ms:.1f} ms")
        self.rate_label.setText(f"{stats.tel_rate_hz:.0f} samples/s")
        self.dropped_label.setText(f"{stats.dropped_samples}")
        set_style_property(self.dropped_label, "warn", stats.dropped_samples > 0)

    def show_control(self, in_control: bool, holder: str | None) -> None:
        """Whether this window may drive, and who may if it may not."""
        others = f"held by {holder}" if holder else "nobody"
        self.control_label.setText("this window" if in_control else others)
        set_style_property(self.control_label, "warn", not in_control)
        self.take_button.setEnabled(not in_control)
        self.release_button.setEnabled(in_control)

    def set_relay_mode(self, relay: bool) -> None:
        """Control can only change hands through a relay."""
        self.take_button.setVisible(relay)
        self.release_button.setVisible(relay)

    def log_event(self, text: str) -> None:
        """Append a time-stamped line to the event log."""
        self.log.appendPlainText(f"{time.strftime('%H:%M:%S')}  {text}")
