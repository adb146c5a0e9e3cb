"""The simulated robot without sockets: physics, sample timing and the safety
rules, all on a fake clock so every number is exact."""

from __future__ import annotations

import itertools
import json
import random
from typing import TypeVar

import pytest

from app import protocol
from app.sim.clock import SampleClock
from app.sim.model import ADC_MAX, Params, RobotModel
from app.sim.robot import SimRobot


def units(model: RobotModel, row: list[int], name: str) -> float:
    """A channel's value in its unit, read the way the app reads it."""
    index = [c.name for c in model.channels].index(name)
    return float(model.channels[index].to_units(row[index]))


# ---------------------------------------------------------------- physics


def test_motors_ramp_with_the_time_constant_rather_than_jump() -> None:
    m = RobotModel(seed=1)
    top = m.params.top_speed_cm_s
    m.set_motors(100, 100)
    assert m.motors == (100, 100)  # the driver output is applied at once
    m.step(0.01)
    assert 0 < m.state.wheel_l < 0.1 * top
    m.step(m.params.motor_tau_s - 0.01)
    assert m.state.wheel_l == pytest.approx(0.63 * top, rel=0.05)
    m.step(1.0)
    assert m.state.wheel_l == pytest.approx(top, rel=0.02)


def test_battery_sags_under_motor_load_and_recovers() -> None:
    m = RobotModel(seed=1)
    m.step(0.1)
    rest = m.battery_v()
    m.set_motors(100, 100)
    m.step(0.02)  # accelerating: the wheels lag, the current peaks
    accelerating = m.battery_v()
    m.step(2.0)
    cruising = m.battery_v()
    m.set_motors(0, 0)
    m.step(0.01)
    assert accelerating < rest - 0.8
    assert accelerating < cruising < rest
    assert m.battery_v() == pytest.approx(rest, abs=0.01)


def test_battery_discharges_slowly_while_driving() -> None:
    m = RobotModel(seed=1)
    full = m.open_circuit_v()
    m.set_motors(60, -60)  # spin on the spot for a minute
    m.step(60.0)
    assert 0.02 < full - m.open_circuit_v() < 0.5


def test_wheel_current_peaks_on_acceleration_and_settles_to_the_load() -> None:
    m = RobotModel(seed=1)
    assert m.currents() == (0.0, 0.0)
    m.set_motors(100, 50)
    m.step(0.01)
    start_l, start_r = m.currents()
    m.step(1.5)
    steady_l, steady_r = m.currents()
    assert start_l > 4 * steady_l and start_r > 2 * steady_r
    assert steady_l == pytest.approx(m.params.friction_a, abs=0.05)


def test_distance_shrinks_driving_at_a_wall_and_the_wheels_stall_there() -> None:
    m = RobotModel(seed=1)
    half = m.params.arena_cm / 2
    assert m.distance_cm() == pytest.approx(half - m.params.radius_cm)
    m.set_motors(80, 80)
    m.step(1.0)
    assert m.distance_cm() < half - m.params.radius_cm - 25
    m.step(10.0)
    assert m.distance_cm() < 2.0
    assert m.state.blocked
    assert min(m.currents()) > 1.5  # stalled against the wall


def test_turning_changes_heading_and_the_distance_ahead() -> None:
    m = RobotModel(seed=1)
    m.set_motors(40, 40)
    m.step(2.0)  # near the +x wall now
    near = m.distance_cm()
    m.set_motors(-50, 50)
    m.step(1.5)
    m.set_motors(0, 0)
    m.step(1.0)
    assert m.state.heading != pytest.approx(0.0, abs=0.5)
    assert m.distance_cm() > near + 20


def test_samples_are_10_bit_counts_that_convert_back_to_the_physics() -> None:
    m = RobotModel(channels=8, seed=3)
    m.set_motors(70, 70)
    m.step(0.5)
    row = m.sample()
    assert len(row) == 8
    assert all(isinstance(c, int) and 0 <= c <= ADC_MAX for c in row)
    assert units(m, row, "battery") == pytest.approx(m.battery_v(), abs=0.1)
    assert units(m, row, "current_l") == pytest.approx(m.currents()[0], abs=0.1)
    assert units(m, row, "distance") == pytest.approx(m.distance_cm(), abs=3)
    assert units(m, row, "temperature") == pytest.approx(m.params.ambient_c, abs=2)


def test_light_is_noisy_and_brighter_near_the_lamp() -> None:
    far = RobotModel(channels=5, seed=5)
    readings = {far.sample()[4] for _ in range(50)}
    assert len(readings) > 5  # noise
    near = RobotModel(channels=5, seed=5, params=Params(lamp_cm=(0.0, 0.0)))
    assert near.light_pct() > far.light_pct() + 20


@pytest.mark.parametrize("count", [0, 9])
def test_channel_count_is_limited_to_what_the_simulator_models(count: int) -> None:
    with pytest.raises(ValueError, match="channels"):
        RobotModel(channels=count)


def test_channel_names_are_unique_and_the_default_is_four() -> None:
    assert [c.name for c in RobotModel().channels] == [
        "battery", "current_l", "current_r", "distance"
    ]
    names = [c.name for c in RobotModel(channels=8).channels]
    assert len(set(names)) == 8


# ---------------------------------------------------------------- sample clock


def test_sample_clock_does_not_drift_however_late_the_wake_ups() -> None:
    clock = SampleClock(1000, start=100.0)
    rng = random.Random(7)
    now, taken = 100.0, 0
    while now < 160.0:
        now += rng.uniform(0.0, 0.03)
        due = clock.due(now)
        clock.take(due)
        taken += due
    assert taken == clock.next == int((now - 100.0) * 1000) + 1


def test_sample_clock_rebases_on_a_rate_change() -> None:
    clock = SampleClock(10, start=0.0)
    clock.take(clock.due(1.0))  # samples 0..10
    clock.set_rate(100, now=1.05)
    assert clock.time_of(11) == pytest.approx(1.1)  # the old schedule's next slot
    assert clock.due(1.2) == 11  # 1.10, 1.11, ... 1.20


# ---------------------------------------------------------------- the robot on a fake clock


M = TypeVar("M")


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Peer:
    """Collects what the robot sends, decoded."""

    def __init__(self) -> None:
        self.frames: list[protocol.Message] = []

    def send(self, frame: str, *, droppable: bool) -> None:
        self.frames.append(protocol.decode(frame))

    def of(self, kind: type[M]) -> list[M]:
        return [f for f in self.frames if isinstance(f, kind)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_failsafe_stops_exactly_at_the_timeout(clock: FakeClock) -> None:
    robot = SimRobot(timeout=500, clock=clock)
    peer = Peer()
    robot.attach(peer)
    robot.receive(peer, '{"t":"drive","l":50,"r":50,"seq":1}')
    drive_at = clock.t
    clock.t += 0.4999
    assert robot.tick() <= drive_at + 0.5  # the robot asks to wake at the deadline
    assert robot.motors == (50, 50)
    clock.t = drive_at + 0.5
    robot.tick()
    assert robot.motors == (0, 0)
    assert (robot.stopped_at, robot.stop_reason) == (drive_at + 0.5, "timeout")


def test_telemetry_batches_are_contiguous_and_bounded(clock: FakeClock) -> None:
    robot = SimRobot(rate=1000, channels=8, clock=clock)
    peer = Peer()
    robot.attach(peer)
    for _ in range(200):  # 2 s in irregular steps, one of them 0.8 s long
        clock.t += 0.8 if _ == 100 else 0.006
        robot.tick()
    tels = peer.of(protocol.Tel)
    seqs = [t.seq for t in tels]
    sizes = [len(t.v) for t in tels]
    assert seqs == [sum(sizes[:i]) for i in range(len(sizes))]
    assert max(sizes) <= protocol.MAX_BATCH_SAMPLES
    assert sizes.count(25) >= len(sizes) - 40  # 40 frames a second at 1 kHz
    assert [t.ms for t in tels] == seqs  # 1 ms a sample, from the same clock
    assert robot.dropped_samples == 0


def test_a_stall_beyond_the_backlog_shows_as_a_seq_gap(clock: FakeClock) -> None:
    robot = SimRobot(rate=100, clock=clock)
    peer = Peer()
    robot.attach(peer)
    clock.t += 0.1
    robot.tick()
    clock.t += 5.0  # the process was frozen
    robot.tick()
    tels = peer.of(protocol.Tel)
    ends = [(t.seq, t.seq + len(t.v)) for t in tels]
    gaps = [b[0] - a[1] for a, b in itertools.pairwise(ends) if b[0] != a[1]]
    assert gaps == [robot.dropped_samples]
    assert robot.dropped_samples == 500 - protocol.MAX_BATCH_SAMPLES  # the rest caught up


def test_cfg_sends_old_rate_samples_first_then_a_fresh_hello(clock: FakeClock) -> None:
    robot = SimRobot(rate=100, clock=clock)
    peer = Peer()
    robot.attach(peer)
    clock.t += 0.012  # two samples pending, less than a batch
    robot.tick()
    robot.receive(peer, json.dumps({"t": "cfg", "rate": 10, "timeout": 2000}))
    assert [type(f).__name__ for f in peer.frames] == ["Hello", "Tel", "Hello"]
    hello = peer.frames[-1]
    assert isinstance(hello, protocol.Hello)
    assert (hello.rate, hello.timeout) == (10, 2000)
    clock.t += 1.0
    robot.tick()
    later = peer.of(protocol.Tel)[1:]
    assert later and all(len(t.v) == 1 for t in later)
    assert later[0].seq == 2


def test_only_the_driving_links_close_stops_the_motors(clock: FakeClock) -> None:
    robot = SimRobot(clock=clock)
    driver, watcher = Peer(), Peer()
    robot.attach(driver)
    robot.attach(watcher)
    robot.receive(driver, '{"t":"drive","l":30,"r":30,"seq":4}')
    robot.detach(watcher)  # a second window showing the plots went away
    assert (robot.motors, robot.ack) == ((30, 30), 4)
    clock.t += 0.001
    robot.detach(driver)
    assert (robot.motors, robot.ack) == ((0, 0), 0)
    assert (robot.stopped_at, robot.stop_reason) == (clock.t, "link_closed")


def test_frames_from_a_closing_link_are_ignored(clock: FakeClock) -> None:
    robot = SimRobot(clock=clock)
    peer = Peer()
    robot.attach(peer)
    robot.detach(peer)  # its close frame arrived; a drive was queued before it
    robot.receive(peer, '{"t":"drive","l":90,"r":90,"seq":1}')
    assert robot.motors == (0, 0)
    assert peer.of(protocol.Err) == []
