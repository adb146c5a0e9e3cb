"""Who may drive one robot: operator names and the single control holder.

Pure bookkeeping with no I/O, so the rules are easy to read in one place:
the first operator to arrive while nobody holds control gets it; others
watch until the holder releases or gives it away (or leaves). Every method
that can take control away from someone returns True when the robot must be
stopped, because the next holder must start from a stopped robot.
"""

from __future__ import annotations

from app.errors import RoboDeckError
from app.protocol import Control


class RelayRefusal(RoboDeckError):
    """Raised when the relay refuses an operator's request; `code` goes into the `err`."""

    code = "refused"


class NotInControl(RelayRefusal):
    """Raised when an operator who does not hold control tries to drive or hand it over."""

    code = "not_in_control"


class UnknownOperator(RelayRefusal):
    """Raised when `give` names nobody connected to this robot."""

    code = "unknown_operator"


class RobotOffline(RelayRefusal):
    """Raised when a frame is meant for a robot that is not connected."""

    code = "no_robot"


class ControlBoard:
    """Operator names (unique, in arrival order) and the one who holds control."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.holder: str | None = None
        self._counter = 0

    def join(self, wanted: str | None) -> str:
        """Add an operator; returns its unique name. Takes control if it is free."""
        name = self._unique(wanted) if wanted else self._next_default()
        self.names.append(name)
        if self.holder is None:
            self.holder = name
        return name

    def leave(self, name: str) -> bool:
        """Remove an operator; True if it held control (stop the robot)."""
        self.names.remove(name)
        return self._drop_holder(name)

    def take(self, name: str) -> None:
        """Grant control to `name` if it is free (or already theirs)."""
        if self.holder not in (None, name):
            raise NotInControl(f"{self.holder} holds control; ask them to give it to you")
        self.holder = name

    def release(self, name: str) -> bool:
        """`name` gives up control; True if it held it (stop the robot)."""
        self._require_holder(name)
        return self._drop_holder(name)

    def give(self, name: str, to: str) -> bool:
        """Hand control from `name` to `to`; True if it changed hands (stop the robot)."""
        self._require_holder(name)
        if to not in self.names:
            raise UnknownOperator(f"no operator named {to!r} is connected")
        self.holder = to
        return to != name

    def view(self, name: str) -> Control:
        """The `control` message as operator `name` should see it."""
        return Control(
            holder=self.holder, you=self.holder == name, name=name, operators=tuple(self.names)
        )

    def _require_holder(self, name: str) -> None:
        if self.holder != name:
            raise NotInControl(f"you do not hold control (holder: {self.holder or 'nobody'})")

    def _drop_holder(self, name: str) -> bool:
        if self.holder != name:
            return False
        self.holder = None
        return True

    def _unique(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.names:
            n += 1
            name = f"{wanted}-{n}"
        return name

    def _next_default(self) -> str:
        while True:
            self._counter += 1
            name = f"op-{self._counter}"
            if name not in self.names:
                return name
