"""Physics and sensor channels of the simulated robot: pure, no I/O, no clock.

A differential-drive rover in a square arena. The caller applies motor
commands and advances time by explicit steps (`step(dt)`), so tests run the
model on a fake clock and the protocol endpoint advances it by exactly one
sample period per sample, which keeps the physics in step with the samples.

The channels are what a maker would wire to an Arduino's 10-bit ADC: battery
voltage through a divider, two hall-effect current sensors centred at mid
scale, an ultrasonic distance sensor, a light sensor, and beyond those a
temperature sensor and two auxiliary test signals. Values leave the model as
raw counts 0..1023 with the integer ratio that turns them into units, as the
protocol's `hello` carries them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from app.protocol import Channel

ADC_MAX = 1023
MAX_SIM_CHANNELS = 8
#: Longest physics step; a 1 Hz sample rate is integrated in these slices.
MAX_STEP_S = 0.01


@dataclass(frozen=True)
class Params:
    """Physical constants of the rover; defaults make a small 2S-LiPo robot."""

    arena_cm: float = 300.0  # side of the square arena, centred on (0, 0)
    radius_cm: float = 10.0  # the robot's footprint, for wall contact
    track_cm: float = 15.0  # distance between the wheels
    top_speed_cm_s: float = 50.0  # wheel speed at 100 % on a full battery
    motor_tau_s: float = 0.15  # time constant of wheel speed after a command
    motor_ohm: float = 3.2  # winding resistance: stall current ~2.5 A
    friction_a: float = 0.35  # rolling load: what a driven wheel draws at speed
    cell_full_v: float = 8.4
    cell_empty_v: float = 7.0
    battery_ohm: float = 0.25  # internal resistance: the sag under load
    capacity_as: float = 1800.0  # 500 mAh, so discharge shows within a demo
    idle_a: float = 0.12  # the board itself
    ambient_c: float = 24.0
    heat_c_per_w: float = 1.5  # driver temperature rise per watt, settled
    heat_tau_s: float = 40.0
    lamp_cm: tuple[float, float] = (120.0, 120.0)  # a desk lamp near a corner


@dataclass
class State:
    """Everything that changes as the robot runs."""

    x: float = 0.0
    y: float = 0.0
    heading: float = 0.0  # radians, 0 = +x
    wheel_l: float = 0.0  # wheel speeds in cm/s
    wheel_r: float = 0.0
    soc: float = 1.0  # battery state of charge 0..1
    temp_c: float = 24.0
    t: float = 0.0  # model time in seconds
    blocked: bool = False  # pushing against a wall


@dataclass(frozen=True)
class Sensor:
    """One channel: its wire description and how to read it from the model."""

    channel: Channel
    read: Callable[[RobotModel], float]  # value in the channel's unit
    noise: float  # standard deviation, in the channel's unit


class RobotModel:
    """The rover: motor commands in, pose and ADC counts out."""

    def __init__(
        self, channels: int = 4, *, seed: int | None = None, params: Params | None = None
    ) -> None:
        if not 1 <= channels <= MAX_SIM_CHANNELS:
            raise ValueError(f"channels must be 1..{MAX_SIM_CHANNELS}, got {channels}")
        self.params = params or Params()
        self.state = State(temp_c=self.params.ambient_c)
        self.sensors = SENSORS[:channels]
        self._rng = random.Random(seed)
        self._cmd = (0, 0)

    @property
    def channels(self) -> tuple[Channel, ...]:
        """The wire description of each channel, for `hello`."""
        return tuple(s.channel for s in self.sensors)

    @property
    def motors(self) -> tuple[int, int]:
        """Motor output as applied to the driver, percent (what `tel.m` says)."""
        return self._cmd

    def set_motors(self, left: int, right: int) -> None:
        """Apply a motor command now; the wheels follow with `motor_tau_s`."""
        self._cmd = (left, right)

    # ------------------------------------------------------------ physics

    def step(self, dt: float) -> None:
        """Advance the model by `dt` seconds."""
        slices = max(1, math.ceil(dt / MAX_STEP_S - 1e-9))
        for _ in range(slices):
            self._advance(dt / slices)

    def _advance(self, dt: float) -> None:
        p, s = self.params, self.state
        follow = 1.0 - math.exp(-dt / p.motor_tau_s)
        s.wheel_l += (self._wheel_target(self._cmd[0]) - s.wheel_l) * follow
        s.wheel_r += (self._wheel_target(self._cmd[1]) - s.wheel_r) * follow
        self._move(dt)
        load = self.total_current()
        s.soc = max(0.0, s.soc - load * dt / p.capacity_as)
        settled = p.ambient_c + p.heat_c_per_w * self.battery_v() * (load - p.idle_a)
        s.temp_c += (settled - s.temp_c) * (1.0 - math.exp(-dt / p.heat_tau_s))
        s.t += dt

    def _wheel_target(self, percent: int) -> float:
        """Free-running wheel speed for a command: slower on a flat battery."""
        p = self.params
        return percent / 100.0 * p.top_speed_cm_s * self.open_circuit_v() / p.cell_full_v

    def _move(self, dt: float) -> None:
        """Integrate the pose; at a wall the robot stops there and its wheels stall."""
        p, s = self.params, self.state
        forward = (s.wheel_l + s.wheel_r) / 2.0
        s.heading = (s.heading + (s.wheel_r - s.wheel_l) / p.track_cm * dt) % math.tau
        x = s.x + forward * math.cos(s.heading) * dt
        y = s.y + forward * math.sin(s.heading) * dt
        limit = p.arena_cm / 2.0 - p.radius_cm
        s.x, s.y = min(limit, max(-limit, x)), min(limit, max(-limit, y))
        s.blocked = (s.x, s.y) != (x, y)
        if s.blocked:
            turn = (s.wheel_l - s.wheel_r) / 2.0  # it can still turn on the spot
            s.wheel_l, s.wheel_r = turn, -turn

    # ------------------------------------------------------------ readings in units

    def open_circuit_v(self) -> float:
        """Battery voltage with no load, from the state of charge."""
        p = self.params
        return p.cell_empty_v + (p.cell_full_v - p.cell_empty_v) * self.state.soc

    def motor_current(self, percent: int, wheel: float) -> float:
        """Current of one motor: what back-EMF leaves of the applied voltage.

        A wheel that has not caught up with its command (accelerating, or
        stalled at a wall) draws far more than one turning at speed; a
        coasting motor (command 0) draws nothing.
        """
        if percent == 0:
            return 0.0
        p = self.params
        applied = percent / 100.0 * self.open_circuit_v()
        back_emf = wheel / p.top_speed_cm_s * p.cell_full_v
        drive = (applied - back_emf) / p.motor_ohm
        return max(0.0, math.copysign(1.0, percent) * drive) + p.friction_a

    def currents(self) -> tuple[float, float]:
        """Left and right motor current in amperes."""
        s = self.state
        return (
            self.motor_current(self._cmd[0], s.wheel_l),
            self.motor_current(self._cmd[1], s.wheel_r),
        )

    def total_current(self) -> float:
        """Everything the battery supplies."""
        left, right = self.currents()
        return left + right + self.params.idle_a

    def battery_v(self) -> float:
        """Terminal voltage: open-circuit voltage sagging under the load."""
        return self.open_circuit_v() - self.params.battery_ohm * self.total_current()

    def distance_cm(self) -> float:
        """Range from the front of the robot to the wall straight ahead."""
        s, half = self.state, self.params.arena_cm / 2.0
        cx, cy = math.cos(s.heading), math.sin(s.heading)
        hits = [
            (math.copysign(half, c) - pos) / c
            for pos, c in ((s.x, cx), (s.y, cy))
            if abs(c) > 1e-9
        ]
        return max(0.0, min(hits) - self.params.radius_cm)

    def light_pct(self) -> float:
        """Brighter near the lamp."""
        lx, ly = self.params.lamp_cm
        d2 = (self.state.x - lx) ** 2 + (self.state.y - ly) ** 2
        return 25.0 + 65.0 * math.exp(-d2 / (2 * 90.0**2))

    # ------------------------------------------------------------ ADC

    def sample(self) -> list[int]:
        """One row of raw ADC counts, one per channel, with sensor noise."""
        return [_counts(s, s.read(self) + self._rng.gauss(0.0, s.noise)) for s in self.sensors]


def _counts(sensor: Sensor, value: float) -> int:
    """Invert `(counts - off) * mul / div` and clamp to the ADC range."""
    ch = sensor.channel
    return min(ADC_MAX, max(0, round(value * ch.div / ch.mul + ch.off)))


def _aux_sine(m: RobotModel) -> float:
    return 2.5 + 2.0 * math.sin(math.tau * 1.0 * m.state.t)


def _aux_ramp(m: RobotModel) -> float:
    return 5.0 * ((m.state.t / 5.0) % 1.0)


# ACS712-style current sensor: mid scale is 0 A, 1 count ~ 26 mA.
SENSORS: tuple[Sensor, ...] = (
    Sensor(Channel("battery", "V", 15, ADC_MAX, 0), RobotModel.battery_v, 0.01),
    Sensor(Channel("current_l", "A", 1, 38, 512), lambda m: m.currents()[0], 0.01),
    Sensor(Channel("current_r", "A", 1, 38, 512), lambda m: m.currents()[1], 0.01),
    Sensor(Channel("distance", "cm", 400, ADC_MAX, 0), RobotModel.distance_cm, 0.5),
    Sensor(Channel("light", "%", 100, ADC_MAX, 0), RobotModel.light_pct, 1.5),
    Sensor(Channel("temperature", "°C", 500, ADC_MAX, 0), lambda m: m.state.temp_c, 0.2),
    Sensor(Channel("aux1", "V", 5, ADC_MAX, 0), _aux_sine, 0.01),
    Sensor(Channel("aux2", "V", 5, ADC_MAX, 0), _aux_ramp, 0.01),
)
