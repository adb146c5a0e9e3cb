"""The one object the UI binds to: a profile opened into a running link.

`Session` wires the pieces of the core together so the UI does not have to:
the drive model feeds a `DriveSender` bound to the link; telemetry goes into
a `TelemetryBuffer` made for the robot's `hello`; drives, stops, samples and
link events go to the recorder while it records; and link health is
published twice a second. It owns the built-in simulator when the profile
asks for it, so closing the session stops that too.

Safety decisions that live here rather than in the link:

- drives, and the automatic stop when keys are released, are sent only
  while this operator holds control; a watcher on a relay must not stop the
  holder's robot each time it lets go of an arrow key. The Stop button
  (`DriveModel.release_all`) sends a stop whoever holds control: a relay
  forwards anyone's stop, and that is the point of an emergency stop.
- when the link drops, control is lost or the robot goes offline, every
  held motion is released, so nothing starts moving again without a fresh
  key press. This release sends no stop unless we hold control: after a
  handover the relay has already stopped the robot for the next holder.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from app.drive import DriveModel, DriveSender
from app.errors import ProtocolError
from app.link import Link, LinkState, LinkStats
from app.protocol import Channel, Control, Hello, Presence, Tel
from app.recorder import CsvRecorder
from app.settings import Profile, Settings, recordings_dir
from app.signals import Signal
from app.sim.builtin import BuiltinSimulator
from app.telemetry import TelemetryBuffer
from app.tls import TlsOptions

log = logging.getLogger(__name__)

STATS_INTERVAL_S = 0.5


class Session:
    """A connection to one robot, as the UI sees it."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings if settings is not None else Settings.load()
        self.drive = DriveModel(self.settings.speed)
        self.recorder = CsvRecorder()
        self.link: Link | None = None
        self.telemetry: TelemetryBuffer | None = None
        self.profile: Profile | None = None
        self.simulator: BuiltinSimulator | None = None
        #: Who holds control (relay mode); None when nobody or in direct mode.
        self.holder: str | None = None

        self.state_changed: Signal[[LinkState]] = Signal()
        self.hello_received: Signal[[Hello]] = Signal()
        self.control_changed: Signal[[bool, str | None]] = Signal()
        self.stats_changed: Signal[[LinkStats]] = Signal()
        self.event_logged: Signal[[str]] = Signal()
        self.robot_online: Signal[[bool]] = Signal()
        self.recording_changed: Signal[[bool, Path | None]] = Signal()

        self._sender: DriveSender | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._was_connected = False
        self._quiet = False
        #: open() and close() run one at a time: a double-clicked Connect
        #: must not leave a second simulator or link behind.
        self._busy = asyncio.Lock()
        self._bad_batch_reported = False
        self.recorder.failed.connect(self._on_recording_failed)
        self.drive.stop_requested.connect(self._on_stop_button)

    @property
    def state(self) -> LinkState:
        """The link's state; OFFLINE when no profile is open."""
        return self.link.state if self.link else LinkState.OFFLINE

    # ------------------------------------------------------------ open / close

    async def open(self, profile: Profile) -> None:
        """Close what is open (stopping the robot), then connect to `profile`.

        Raises ConfigError for an unusable profile, RuntimeError when the
        built-in simulator cannot start.
        """
        async with self._busy:
            await self._close()
            profile.validate()
            await self._open(profile)

    async def close(self) -> None:
        """Stop the robot, close the link, stop the simulator. Idempotent."""
        async with self._busy:
            await self._close()

    async def _open(self, profile: Profile) -> None:
        sim_url = None
        if profile.kind == "simulator":
            self.simulator = await asyncio.to_thread(BuiltinSimulator.start)
            sim_url = self.simulator.url
        self.profile = profile
        self.settings.last_profile = profile.name
        self.telemetry = None  # a new profile starts a fresh history; a reconnect does not
        url = profile.link_url(sim_url, self.settings.operator_name)
        self.link = self._make_link(url, profile.tls_options())
        self._sender = DriveSender(self.drive, self._send_drive, self._send_stop)
        self._sender.start()
        self._spawn(self.link.run())
        self._spawn(self._publish_stats())

    async def _close(self) -> None:
        self._release_held()
        if self._sender is not None:
            await self._sender.aclose()
            self._sender = None
        if self.link is not None:
            await self.link.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.link = None
        self.stop_recording()
        if self.simulator is not None:
            await asyncio.to_thread(self.simulator.stop)
            self.simulator = None
        self.profile = None
        self.holder = None

    def _make_link(self, url: str, tls: TlsOptions | None = None) -> Link:
        link = Link(url, tls=tls)
        link.state_changed.connect(self._on_state)
        link.hello_received.connect(self._on_hello)
        link.telemetry.connect(self._on_tel)
        link.control_changed.connect(self._on_control)
        link.presence_changed.connect(self._on_presence)
        link.event.connect(self._log_event)
        return link

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run `coro` as a task kept referenced until it ends (and cancelled on close)."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish_stats(self) -> None:
        while self.link is not None:
            await asyncio.sleep(STATS_INTERVAL_S)
            if self.link is not None:
                self.stats_changed.emit(self.link.stats)

    # ------------------------------------------------------------ commands

    def _robot_time(self) -> float | None:
        return self.telemetry.latest_time if self.telemetry else None

    def _send_drive(self, left: int, right: int) -> None:
        """Drive only while in control: a relay would refuse it anyway."""
        if self.link is not None and self.link.in_control:
            seq = self.link.send_drive(left, right)
            self.recorder.drive(left, right, seq, self._robot_time())

    def _send_stop(self) -> None:
        """The DriveSender's stops: only while in control."""
        if self.link is not None and self.link.in_control:
            self._stop_now(self.link)

    def _on_stop_button(self) -> None:
        """A watcher's Stop button still stops the robot (in control, the sender does)."""
        link = self.link
        if link is not None and link.connected and not link.in_control and not self._quiet:
            self._stop_now(link)

    def _stop_now(self, link: Link) -> None:
        seq = link.send_stop()
        self.recorder.stop_sent(seq, self._robot_time())

    def _release_held(self) -> None:
        """Let go of every held motion; stops the robot only if we hold control."""
        self._quiet = True
        try:
            self.drive.release_all()
        finally:
            self._quiet = False

    # ------------------------------------------------------------ link events

    def _on_state(self, state: LinkState) -> None:
        connected = state == LinkState.CONNECTED
        if self._was_connected and not connected:
            self._release_held()
        self._was_connected = connected
        self.state_changed.emit(state)
        self._announce_control()

    def _on_hello(self, hello: Hello) -> None:
        """Keep the history across reconnects; a new layout needs a new buffer."""
        old = self.telemetry
        if old is None or old.channels != hello.channels or old.rate != hello.rate:
            self.telemetry = TelemetryBuffer(hello)
            self._bad_batch_reported = False
            if self.recorder.recording:
                self._continue_recording(hello.channels)
        self.hello_received.emit(hello)

    def _on_tel(self, tel: Tel) -> None:
        if self.telemetry is None:
            return
        try:
            times, values = self.telemetry.append(tel)
        except ProtocolError as exc:
            if not self._bad_batch_reported:
                self._bad_batch_reported = True
                self._log_event(f"telemetry ignored: {exc}")
            return
        self.recorder.samples(tel, times, values)

    def _on_control(self, control: Control) -> None:
        self.holder = control.holder
        if not control.you:
            self._release_held()
        self._announce_control()

    def _announce_control(self) -> None:
        in_control = self.link.in_control if self.link else False
        self.control_changed.emit(in_control, self.holder)

    def _on_presence(self, presence: Presence) -> None:
        if not presence.online:
            self._release_held()
        self.robot_online.emit(presence.online)

    def _log_event(self, text: str) -> None:
        log.info("%s", text)
        self.recorder.event(text, self._robot_time())
        self.event_logged.emit(text)

    # ------------------------------------------------------------ recording

    def start_recording(self, path: Path | None = None) -> Path:
        """Record samples, commands and events to `path` (default: a timestamped file)."""
        if path is None:
            path = recordings_dir() / f"robodeck-{datetime.now():%Y%m%d-%H%M%S}.csv"
        channels = self.telemetry.channels if self.telemetry else ()
        self.recorder.start(path, channels)
        self.recording_changed.emit(True, path)
        self._log_event(f"recording to {path}" + self._robot_summary())
        return path

    def stop_recording(self) -> None:
        """Close the recording file, if one is open."""
        if self.recorder.recording:
            self._log_event("recording stopped")
            self.recorder.stop()
            self.recording_changed.emit(False, self.recorder.path)

    def _robot_summary(self) -> str:
        hello = self.telemetry.hello if self.telemetry else None
        if hello is None:
            return ""
        return f" (robot {hello.id}, firmware {hello.fw}, {hello.rate} Hz)"

    def _continue_recording(self, channels: tuple[Channel, ...]) -> None:
        """The robot's channels changed: the CSV's columns must, so start a new file."""
        old = self.recorder.path
        assert old is not None
        new = _free_path(old)
        self._log_event(f"robot channels changed; recording continues in {new.name}")
        self.recorder.start(new, channels)
        self.recording_changed.emit(True, new)
        self._log_event(f"recording continued from {old.name}" + self._robot_summary())

    def _on_recording_failed(self, why: str) -> None:
        self.event_logged.emit(why)
        self.recording_changed.emit(False, self.recorder.path)


def _free_path(path: Path) -> Path:
    """`path` with the first `-2`, `-3`, ... suffix that names no file yet."""
    for n in range(2, 10_000):
        candidate = path.with_stem(f"{path.stem}-{n}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(path)

