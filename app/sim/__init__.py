"""The simulated robot: the same protocol and safety contract as the firmware.

`model` is the physics (pure), `clock` the sample timing, `robot` the
protocol endpoint, `transport` its sockets (direct server, relay client),
`builtin` the in-app simulator thread and `cli` the `robodeck-sim` program.
"""

from app.sim.builtin import BuiltinSimulator
from app.sim.robot import SimRobot, StopEvent

__all__ = ["BuiltinSimulator", "SimRobot", "StopEvent"]
