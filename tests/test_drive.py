"""Drive mixing, auto-repeat safety, and the timing of what the sender sends."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from conftest import MS

from app.drive import DriveModel, DriveSender, Motion

F, B, L, R = Motion.FORWARD, Motion.BACKWARD, Motion.LEFT, Motion.RIGHT


@pytest.mark.parametrize(
    ("held", "speed", "wheels"),
    [
        ((), 60, (0, 0)),
        ((F,), 60, (60, 60)),
        ((B,), 60, (-60, -60)),
        ((L,), 60, (-36, 36)),
        ((R,), 60, (36, -36)),
        ((F, L), 60, (18, 60)),
        ((F, R), 60, (60, 18)),
        ((B, L), 60, (-18, -60)),
        ((B, R), 60, (-60, -18)),
        ((F, B), 60, (0, 0)),
        ((L, R), 60, (0, 0)),
        ((F, B, L), 60, (-36, 36)),
        ((F, L, R), 60, (60, 60)),
        ((F,), 100, (100, 100)),
        ((R,), 10, (6, -6)),
        ((F, L), 10, (3, 10)),
    ],
)
def test_mixing_table(held: tuple[Motion, ...], speed: int, wheels: tuple[int, int]) -> None:
    model = DriveModel(speed)
    for m in held:
        model.press(m)
    assert model.wheels == wheels


def test_auto_repeat_press_is_a_no_op() -> None:
    model = DriveModel()
    seen: list[tuple[int, int]] = []
    model.changed.connect(lambda left, right: seen.append((left, right)))
    for _ in range(20):
        model.press(F)
    model.release(F)
    model.release(F)
    assert seen == [(60, 60), (0, 0)]


def test_speed_steps_are_clamped_and_move_the_wheels() -> None:
    model = DriveModel()
    model.press(F)
    for _ in range(10):
        model.faster()
    assert (model.speed, model.wheels) == (100, (100, 100))
    for _ in range(20):
        model.slower()
    assert (model.speed, model.wheels) == (10, (10, 10))
    model.set_speed(55)
    assert model.wheels == (55, 55)


def test_release_all_clears_every_held_motion() -> None:
    model = DriveModel()
    model.press(F)
    model.press(L)
    model.release_all()
    assert model.wheels == (0, 0)
    assert model.held == frozenset()
    model.press(R)
    assert model.wheels == (36, -36)


class Wire:
    """Records what a DriveSender sends, with the time it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str, tuple[int, ...]]] = []

    def drive(self, left: int, right: int) -> None:
        self.sent.append((time.monotonic(), "drive", (left, right)))

    def stop(self) -> None:
        self.sent.append((time.monotonic(), "stop", ()))

    def kinds(self) -> list[str]:
        return [kind for _, kind, _ in self.sent]


async def test_sender_repeats_while_held_and_stops_at_once_on_release() -> None:
    model, wire = DriveModel(), Wire()
    sender = DriveSender(model, wire.drive, wire.stop, period=100 * MS)
    sender.start()
    await asyncio.sleep(150 * MS)
    assert wire.sent == [], "nothing is sent while idle"

    pressed = time.monotonic()
    model.press(F)
    await asyncio.sleep(550 * MS)
    released = time.monotonic()
    model.release(F)
    await asyncio.sleep(300 * MS)
    await sender.aclose()

    drives = [t for t, kind, _ in wire.sent if kind == "drive"]
    assert drives[0] - pressed < 5 * MS, "first drive goes out with the key press"
    gaps = [b - a for a, b in itertools.pairwise(drives)]
    assert 4 <= len(gaps) <= 6
    assert all(80 * MS < g < 200 * MS for g in gaps), gaps
    assert wire.kinds()[-1] == "stop" and wire.kinds().count("stop") == 1
    assert wire.sent[-1][0] - released < 5 * MS, "stop goes out with the release"


async def test_sender_sends_the_new_state_at_once_on_every_change() -> None:
    model, wire = DriveModel(), Wire()
    sender = DriveSender(model, wire.drive, wire.stop, period=100 * MS)
    sender.start()
    model.press(F)
    model.press(L)
    model.faster()
    model.release(F)
    assert [w for _, _, w in wire.sent] == [(60, 60), (18, 60), (21, 70), (-42, 42)]
    await sender.aclose()
    assert wire.kinds() == ["drive"] * 4 + ["stop"], "closing while moving stops the robot"


async def test_stop_button_sends_a_stop_even_when_idle() -> None:
    model, wire = DriveModel(), Wire()
    sender = DriveSender(model, wire.drive, wire.stop)
    sender.start()
    model.release_all()
    model.press(B)
    model.release_all()
    await sender.aclose()
    assert wire.kinds() == ["stop", "drive", "stop"]


async def test_stop_button_while_moving_sends_exactly_one_stop() -> None:
    model, wire = DriveModel(), Wire()
    sender = DriveSender(model, wire.drive, wire.stop)
    sender.start()
    model.press(F)
    model.press(L)
    model.release_all()
    model.release_all()
    await sender.aclose()
    assert wire.kinds() == ["drive", "drive", "stop", "stop"]
    assert model.wheels == (0, 0)


async def test_focus_loss_during_an_arc_goes_straight_to_stop() -> None:
    model, wire = DriveModel(), Wire()
    sender = DriveSender(model, wire.drive, wire.stop)
    sender.start()
    model.press(F)
    model.press(L)
    wire.sent.clear()
    model.release_held()
    assert wire.kinds() == ["stop"]  # no spin on the way down
    assert model.wheels == (0, 0) and model.held == frozenset()
    wire.sent.clear()
    model.release_held()  # idle: a watcher's window losing focus sends nothing
    assert wire.sent == []
    await sender.aclose()
