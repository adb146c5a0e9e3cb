"""What the operator asks the wheels to do, and how that reaches the robot.

`DriveModel` turns held motions (arrow keys, on-screen buttons) and a speed
setting into a pair of wheel speeds; it knows nothing about sockets or
timers, so the mixing table is tested by calling methods. `DriveSender` binds
a model to the link with the protocol's safety rules: send a non-zero state
at once and re-send it every 100 ms so the robot's drive timeout never fires
while a key is held; send `stop` (never a zero `drive`) the moment the state
becomes zero; send nothing at all while idle.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum

from app.signals import Signal

SPEED_MIN = 10
SPEED_MAX = 100
SPEED_STEP = 10
DEFAULT_SPEED = 60
#: Spinning in place at full speed is violent on a small rover; scale it down.
SPIN_FRACTION = 0.6
#: Inner wheel of an arc, as a fraction of the outer one.
ARC_INNER_FRACTION = 0.3
DEFAULT_PERIOD = 0.1


class Motion(StrEnum):
    """One direction the operator can hold."""

    FORWARD = "forward"
    BACKWARD = "backward"
    LEFT = "left"
    RIGHT = "right"


def mix(held: frozenset[Motion] | set[Motion], speed: int) -> tuple[int, int]:
    """Wheel speeds (left, right) in percent for the held motions.

    Opposite motions cancel, so holding both arrows of an axis is the same
    as holding neither; a turn on its own spins in place; a turn with a
    drive direction arcs around the inner wheel.
    """
    ahead = (Motion.FORWARD in held) - (Motion.BACKWARD in held)
    turn = (Motion.RIGHT in held) - (Motion.LEFT in held)
    if ahead == 0 and turn == 0:
        return (0, 0)
    if ahead == 0:
        spin = round(speed * SPIN_FRACTION)
        return (turn * spin, -turn * spin)
    if turn == 0:
        return (ahead * speed, ahead * speed)
    inner = round(speed * ARC_INNER_FRACTION)
    left, right = (speed, inner) if turn > 0 else (inner, speed)
    return (ahead * left, ahead * right)


class DriveModel:
    """Held motions plus a speed setting; announces every change of wheels."""

    def __init__(self, speed: int = DEFAULT_SPEED) -> None:
        self.changed: Signal[[int, int]] = Signal()
        #: Emitted by `release_all` before the wheels change: the operator asked
        #: for a stop, which goes out even when the wheels were already still
        #: (the robot may be moving anyway, e.g. driven by someone else).
        self.stop_requested: Signal[[]] = Signal()
        self._held: set[Motion] = set()
        self.speed = _clamp_speed(speed)
        self._wheels = (0, 0)

    @property
    def wheels(self) -> tuple[int, int]:
        """The current (left, right) wheel speeds in percent, -100..100."""
        return self._wheels

    @property
    def held(self) -> frozenset[Motion]:
        """Motions currently held, for the UI to light its buttons."""
        return frozenset(self._held)

    def press(self, m: Motion) -> None:
        """A key or button went down; keyboard auto-repeat is harmless."""
        if m not in self._held:
            self._held.add(m)
            self._update()

    def release(self, m: Motion) -> None:
        """A key or button came up."""
        if m in self._held:
            self._held.discard(m)
            self._update()

    def release_held(self) -> None:
        """Focus loss: let go of every held motion at once.

        One update, so letting go of an arc goes straight to a stop instead of
        passing through a spin; and no `stop_requested`, so a robot that was
        not moving is sent nothing (a watcher on a relay stops nobody).
        """
        if self._held:
            self._held.clear()
            self._update()

    def release_all(self) -> None:
        """Stop button, Space, focus loss, lost link: let go of everything.

        A DriveSender sends exactly one stop for it, on `stop_requested`.
        """
        self.stop_requested.emit()
        self._held.clear()
        self._update()

    def set_speed(self, pct: int) -> None:
        """Set the speed in percent; clamped to 10..100."""
        self.speed = _clamp_speed(pct)
        self._update()

    def faster(self) -> None:
        """One step (10 %) faster."""
        self.set_speed(self.speed + SPEED_STEP)

    def slower(self) -> None:
        """One step (10 %) slower."""
        self.set_speed(self.speed - SPEED_STEP)

    def _update(self) -> None:
        wheels = mix(self._held, self.speed)
        if wheels != self._wheels:
            self._wheels = wheels
            self.changed.emit(*wheels)


def _clamp_speed(pct: int) -> int:
    return max(SPEED_MIN, min(SPEED_MAX, int(pct)))


class DriveSender:
    """Sends a DriveModel's state over a link, by the protocol's rules.

    Runs on the event loop through `call_later`, so a change is sent in the
    same call that made it: the stop after a key release does not wait for
    a timer tick.
    """

    def __init__(
        self,
        model: DriveModel,
        send_drive: Callable[[int, int], object],
        send_stop: Callable[[], object],
        period: float = DEFAULT_PERIOD,
    ) -> None:
        self.model = model
        self.period = period
        self._send_drive = send_drive
        self._send_stop = send_stop
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._moving = False

    def start(self) -> None:
        """Follow the model from now on; call from the running event loop."""
        self._loop = asyncio.get_running_loop()
        self.model.changed.connect(self._on_change)
        self.model.stop_requested.connect(self._on_stop_requested)
        if self.model.wheels != (0, 0):
            self._on_change(*self.model.wheels)

    async def aclose(self) -> None:
        """Stop following the model; a robot still moving is sent a stop."""
        self.model.changed.disconnect(self._on_change)
        self.model.stop_requested.disconnect(self._on_stop_requested)
        self._cancel_timer()
        if self._moving:
            self._moving = False
            self._send_stop()
        self._loop = None

    def _on_stop_requested(self) -> None:
        self._cancel_timer()
        self._moving = False
        self._send_stop()

    def _on_change(self, left: int, right: int) -> None:
        self._cancel_timer()
        if (left, right) == (0, 0):
            if self._moving:  # not when a stop request already sent the stop
                self._moving = False
                self._send_stop()
        else:
            self._moving = True
            self._tick()

    def _tick(self) -> None:
        self._send_drive(*self.model.wheels)
        if self._loop is not None:
            self._timer = self._loop.call_later(self.period, self._tick)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
