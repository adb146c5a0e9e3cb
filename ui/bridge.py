"""The one place where the Qt-free core meets the widgets.

The Session announces events through app.signals.Signal (plain callables);
here each one is re-emitted as a Qt signal, and every widget is wired with
explicit connect() calls in `_connect_signals`, so "what happens when X" has
one answer to read. Widgets never touch the Session, and the Session never
sees a widget.

Qt signals (rather than calling widgets from core callbacks) keep the option
of a queued connection should the core ever emit from another thread.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from app.errors import ConfigError
from app.protocol import Hello
from app.session import Session
from app.settings import Profile
from ui.keymap import Command
from ui.main_window import MainWindow
from ui.qt_loop import spawn

log = logging.getLogger(__name__)


class Bridge(QObject):
    """Qt twins of the Session's signals, and the wiring of the main window."""

    state_changed = Signal(object)  # LinkState
    hello_received = Signal(object)  # Hello
    control_changed = Signal(bool, object)  # in control, holder name or None
    stats_changed = Signal(object)  # LinkStats
    event_logged = Signal(str)
    wheels_changed = Signal(int, int)
    recording_changed = Signal(bool, object)  # recording, Path or None

    def __init__(self, session: Session, window: MainWindow) -> None:
        super().__init__(window)
        self.session = session
        self.window = window
        self._attach_core()
        self._connect_signals()

    def _attach_core(self) -> None:
        """Core signal -> Qt signal, one line each."""
        core = self.session
        core.state_changed.connect(self.state_changed.emit)
        core.hello_received.connect(self.hello_received.emit)
        core.control_changed.connect(self.control_changed.emit)
        core.stats_changed.connect(self.stats_changed.emit)
        core.event_logged.connect(self.event_logged.emit)
        core.recording_changed.connect(self.recording_changed.emit)
        core.drive.changed.connect(self.wheels_changed.emit)

    def _connect_signals(self) -> None:
        """Every widget <-> core connection of the app."""
        w, drive = self.window, self.session.drive
        status, bar, plots, pad = w.status_panel, w.connection_bar, w.plot_panel, w.drive_panel

        self.state_changed.connect(status.show_state)
        self.state_changed.connect(bar.show_state)
        self.hello_received.connect(status.show_hello)
        self.hello_received.connect(self._on_hello)
        self.control_changed.connect(status.show_control)
        self.stats_changed.connect(status.show_stats)
        self.event_logged.connect(status.log_event)
        self.wheels_changed.connect(self._on_wheels)
        self.recording_changed.connect(self._on_recording)

        w.key_driver.motion_pressed.connect(drive.press)
        w.key_driver.motion_released.connect(drive.release)
        w.key_driver.command.connect(self._on_command)
        w.key_driver.focus_lost.connect(self.let_go)
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.applicationStateChanged.connect(self._on_app_state)

        pad.motion_pressed.connect(drive.press)
        pad.motion_released.connect(drive.release)
        pad.stop_requested.connect(drive.release_all)
        pad.speed_changed.connect(self._set_speed)

        bar.connect_requested.connect(lambda profile: spawn(self.open_profile(profile)))
        bar.disconnect_requested.connect(lambda: spawn(self.session.close()))
        bar.profiles_changed.connect(self._on_profiles)
        plots.record_toggled.connect(self._on_record)
        plots.window_changed.connect(self._on_plot_window)
        plots.hidden_changed.connect(self._on_hidden)
        status.take_requested.connect(self._take_control)
        status.release_requested.connect(self._release_control)

    # ------------------------------------------------------------ commands

    async def open_profile(self, profile: Profile) -> bool:
        """Connect to `profile`; a failure is shown in the event log, not raised."""
        try:
            await self.session.open(profile)
        except (ConfigError, RuntimeError, OSError) as exc:
            log.warning("cannot open %s: %s", profile.name, exc)
            self.event_logged.emit(f"cannot connect to {profile.name}: {exc}")
            return False
        self.window.status_panel.set_relay_mode(profile.kind == "relay")
        return True

    def let_go(self) -> None:
        """Focus left the window: release every held motion (a moving robot stops).

        Unlike the Stop button this sends nothing when the robot is idle, so a
        watcher on a relay does not stop the holder's robot by switching windows.
        """
        self.session.drive.release_held()

    def _on_app_state(self, state: Qt.ApplicationState) -> None:
        if state != Qt.ApplicationState.ApplicationActive:
            self.let_go()

    def _on_command(self, command: Command) -> None:
        drive = self.session.drive
        if command is Command.STOP:
            drive.release_all()
        elif command is Command.FASTER:
            drive.faster()
        elif command is Command.SLOWER:
            drive.slower()
        self._show_speed()

    def _set_speed(self, percent: int) -> None:
        self.session.drive.set_speed(percent)
        self._show_speed()

    def _show_speed(self) -> None:
        speed = self.session.drive.speed
        self.session.settings.speed = speed
        self.window.drive_panel.show_speed(speed)

    def _take_control(self) -> None:
        if self.session.link is not None:
            self.session.link.take_control()

    def _release_control(self) -> None:
        if self.session.link is not None:
            self.session.link.release_control()

    def _on_record(self, on: bool) -> None:
        if on:
            self.session.start_recording()
        else:
            self.session.stop_recording()

    # ------------------------------------------------------------ core events

    def _on_hello(self, hello: Hello) -> None:
        """A new buffer means new channels; a reconnect keeps the plots."""
        self.window.setWindowTitle(f"RoboDeck - {hello.id}")
        buffer = self.session.telemetry
        if buffer is not None and buffer is not self.window.plot_panel.buffer:
            self.window.plot_panel.set_buffer(buffer)

    def _on_wheels(self, left: int, right: int) -> None:
        self.window.drive_panel.show_wheels(left, right, self.session.drive.held)

    def _on_recording(self, recording: bool, path: Path | None) -> None:
        panel = self.window.plot_panel
        panel.show_recording(path if recording else None, saved=None if recording else path)

    # ------------------------------------------------------------ settings

    def _on_profiles(self, profiles: list[Profile]) -> None:
        settings = self.session.settings
        settings.profiles = list(profiles)
        settings.save()

    def _on_plot_window(self, seconds: float) -> None:
        self.session.settings.plot_seconds = seconds

    def _on_hidden(self, names: set[str]) -> None:
        self.session.settings.hidden_channels = sorted(names)
