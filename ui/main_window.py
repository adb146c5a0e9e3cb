"""The main window: connection bar on top, plots on the left, drive and link
panels on the right, split by a handle whose position is remembered.

Closing the window does not close it at once: it asks (close_requested) so
the app can send the final stop and close the link while the event loop still
runs, then calls `close_now()`. Qt 6 routes QApplication.quit() through the
same close event, so every way out takes that path.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QFrame, QMainWindow, QSplitter, QVBoxLayout, QWidget

from ui.connection_bar import ConnectionBar
from ui.drive_panel import DrivePanel
from ui.keymap import KeyDriver
from ui.plot_panel import PlotPanel
from ui.status_panel import StatusPanel

DEFAULT_SIZE = (1280, 780)
SIDE_WIDTH = 330


def _text(data: QByteArray) -> str:
    return bytes(data.toBase64().data()).decode("ascii")


def _card(content: QWidget) -> QFrame:
    """Wrap a panel in the rounded surface the style sheet draws."""
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(12, 10, 12, 12)
    layout.addWidget(content)
    return frame


class MainWindow(QMainWindow):
    """Holds the panels; knows nothing about the link or the robot."""

    close_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("RoboDeck")
        self.resize(*DEFAULT_SIZE)
        self.connection_bar = ConnectionBar()
        self.plot_panel = PlotPanel()
        self.drive_panel = DrivePanel()
        self.status_panel = StatusPanel()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.key_driver = KeyDriver(self)
        self._may_close = False
        self._build()
        app = QApplication.instance()
        assert app is not None, "create the QApplication first"
        app.installEventFilter(self.key_driver)

    def _build(self) -> None:
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(10)
        side_layout.addWidget(_card(self.drive_panel))
        side_layout.addWidget(_card(self.status_panel), 1)
        self.splitter.addWidget(_card(self.plot_panel))
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([DEFAULT_SIZE[0] - SIDE_WIDTH, SIDE_WIDTH])

        central = QWidget()
        central.setObjectName("central")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.connection_bar)
        body = QVBoxLayout()
        body.setContentsMargins(10, 10, 10, 10)
        body.addWidget(self.splitter)
        layout.addLayout(body, 1)
        self.setCentralWidget(central)
        quit_action = QAction("Quit", self)
        quit_keys = [QKeySequence(QKeySequence.StandardKey.Quit), QKeySequence("Ctrl+Q")]
        quit_action.setShortcuts(quit_keys)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    # ------------------------------------------------------------ layout memory

    def layout_state(self) -> tuple[str, str]:
        """(window geometry, panel split) as text for Settings."""
        return _text(self.saveGeometry()), _text(self.splitter.saveState())

    def restore_layout(self, geometry: str, state: str) -> None:
        """Put the window back where the user left it; bad data is ignored."""
        if geometry:
            self.restoreGeometry(QByteArray.fromBase64(geometry.encode("ascii")))
        if state:
            self.splitter.restoreState(QByteArray.fromBase64(state.encode("ascii")))

    # ------------------------------------------------------------ closing

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask the app to shut down cleanly first (see the module docstring)."""
        if self._may_close:
            event.accept()
            return
        event.ignore()
        self.close_requested.emit()

    def close_now(self) -> None:
        """Close for real, after the app has cleaned up."""
        self._may_close = True
        self.close()
