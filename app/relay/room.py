"""Routing for one robot id: its robot, its operators, who drives, the latest hello.

Every method here is synchronous and only puts frames into outboxes, so a
frame is routed completely before the next one is looked at and no socket
can hold up another. Telemetry is recognised by its first bytes and passed
on as the very text the robot sent; everything else is decoded with
app.protocol, because the relay must know what it is before acting on it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from websockets.asyncio.server import ServerConnection

from app import protocol as p
from app.errors import MalformedJSON, ProtocolError, UnknownType
from app.relay.control import ControlBoard, NotInControl, RelayRefusal, RobotOffline
from app.relay.limits import Limits
from app.relay.peers import OperatorOutbox, PeerStats, RobotOutbox

log = logging.getLogger(__name__)

#: How a robot's telemetry frame starts when written compactly, as every
#: robot we ship does; such frames are forwarded without being parsed.
TEL_PREFIX = '{"t":"tel"'
#: What the relay sends a robot when its controlling operator goes away.
STOP = p.encode(p.Stop(seq=0))
#: Operator pings waiting for the robot's pong, remembered to route the pong.
MAX_PINGS = 256
#: Refused frames of one peer logged in full before logging only every 100th.
LOGGED_REFUSALS = 10


@dataclass(frozen=True)
class RobotStats:
    """A snapshot of one robot id's counters (live connections only)."""

    online: bool
    telemetry_in: int
    robot: PeerStats | None
    operators: dict[str, PeerStats]


class RobotSink(Protocol):
    """Where frames for the robot go: its outbox here, or another relay process."""

    def put(self, frame: str) -> None: ...
    def put_drive(self, frame: str) -> None: ...
    def put_stop(self, frame: str) -> None: ...


def _decode(frame: str | bytes) -> p.Message:
    if isinstance(frame, bytes):
        raise MalformedJSON("binary frames are not accepted; send JSON in text frames")
    return p.decode(frame)


class Room:
    """The relay's state for one robot id, alive while anyone is connected to it."""

    def __init__(self, robot_id: str, limits: Limits) -> None:
        self.robot_id = robot_id
        self.robot: RobotOutbox | None = None
        self.hello: str | None = None
        self.operators: dict[str, OperatorOutbox] = {}
        self.board = ControlBoard()
        self.telemetry_in = 0
        self._limits = limits
        self._pings: dict[int, list[str]] = {}

    @property
    def empty(self) -> bool:
        return self.robot is None and not self.operators

    def stats(self) -> RobotStats:
        return RobotStats(
            online=self.robot is not None,
            telemetry_in=self.telemetry_in,
            robot=dataclasses.replace(self.robot.stats) if self.robot else None,
            operators={n: dataclasses.replace(b.stats) for n, b in self.operators.items()},
        )

    # ------------------------------------------------------------ robot side

    def close(self) -> None:
        """The room is empty and forgotten (a cluster room stops listening for it)."""

    async def attach_robot(
        self, ws: ServerConnection
    ) -> tuple[RobotOutbox, RobotOutbox | None]:
        """Make `ws` this id's robot; returns its outbox and the one it replaces."""
        old, self.robot = self.robot, RobotOutbox(ws, f"robot {self.robot_id!r}", self._limits)
        self.hello = None
        self._answer_pings()
        if old is None:
            self._announce_presence()
        self.robot.start()
        return self.robot, old

    def detach_robot(self, box: RobotOutbox) -> None:
        """The robot's connection ended; operators learn it is offline (unless replaced)."""
        if self.robot is not box:
            return
        self.robot = None
        self.hello = None
        self._answer_pings()
        self._announce_presence()

    def from_robot(self, box: RobotOutbox, frame: str | bytes) -> None:
        """Route one frame the robot sent."""
        if box is not self.robot:
            return  # a replaced robot still talking while it is being closed
        if isinstance(frame, str) and frame.startswith(TEL_PREFIX):
            self._telemetry(frame)
            return
        try:
            self._robot_message(_decode(frame), frame)
        except ProtocolError as exc:
            self._refuse(box, exc)

    def _robot_message(self, msg: p.Message, frame: str | bytes) -> None:
        assert isinstance(frame, str) and self.robot is not None  # _decode refused bytes
        match msg:
            case p.Tel():
                self._telemetry(frame)
            case p.Hello():
                if msg.id != self.robot_id:
                    log.warning("robot %r says its id is %r", self.robot_id, msg.id)
                self.hello = frame
                self._broadcast(frame)
            case p.Pong():
                self._route_pong(msg.id, frame)
            case p.Err():
                log.info("robot %r refused a frame: %s %s", self.robot_id, msg.code, msg.msg)
                self._broadcast(frame)
            case p.Ping():
                self.robot.put(p.encode(p.Pong(id=msg.id)))
            case _:
                raise UnknownType(f"a robot may not send {msg.TYPE!r}")

    def _telemetry(self, frame: str) -> None:
        self.telemetry_in += 1
        for box in self.operators.values():
            box.put_telemetry(frame)

    def _route_pong(self, ping_id: int, frame: str) -> None:
        """Give a pong to the operator whose ping it answers, or to all if nobody asked."""
        waiting = self._pings.get(ping_id)
        if not waiting:
            self._broadcast(frame)
            return
        name = waiting.pop(0)
        if not waiting:
            del self._pings[ping_id]
        if name in self.operators:
            self.operators[name].put(frame)

    def _answer_pings(self) -> None:
        """Answer the pings a departed robot never will, so no operator thinks its link died."""
        for ping_id, names in self._pings.items():
            for name in names:
                if name in self.operators:
                    self.operators[name].put(p.encode(p.Pong(id=ping_id)))
        self._pings.clear()

    # ------------------------------------------------------------ operator side

    async def join(self, ws: ServerConnection, wanted: str | None) -> tuple[str, OperatorOutbox]:
        """Add an operator; it learns presence, the robot's hello and who drives."""
        return self._welcome(ws, self.board.join(wanted))

    def _welcome(self, ws: ServerConnection, name: str) -> tuple[str, OperatorOutbox]:
        box = OperatorOutbox(ws, f"operator {name!r} of robot {self.robot_id!r}", self._limits)
        self.operators[name] = box
        box.put(self._presence())
        if self.hello is not None:
            box.put(self.hello)
        self._broadcast_control()
        box.start()
        return name, box

    def leave(self, name: str) -> None:
        """An operator left; if it held control the robot stops at once."""
        del self.operators[name]
        if self.board.leave(name):
            self._stop_robot(f"{name} (in control) left")
        self._broadcast_control()

    def from_operator(self, name: str, frame: str | bytes) -> Awaitable[None] | None:
        """Route one frame an operator sent, or answer it with `err`.

        Returns what to await before the operator's next frame, if anything
        (a control change that a cluster room must first agree with Redis).
        """
        try:
            return self._operator_message(name, _decode(frame), frame)
        except (ProtocolError, RelayRefusal) as exc:
            self._refuse(self.operators[name], exc)
            return None

    def _operator_message(
        self, name: str, msg: p.Message, frame: str | bytes
    ) -> Awaitable[None] | None:
        assert isinstance(frame, str)  # _decode refused bytes
        match msg:
            case p.Drive():
                self._robot_for(name, need_control=True).put_drive(frame)
            case p.Cfg():
                self._robot_for(name, need_control=True).put(frame)
            case p.Stop():
                self._stop_from(name, frame)
            case p.Ping():
                self._ping(name, msg.id, frame)
            case p.Take() | p.Release() | p.Give():
                return self._control(name, msg)
            case p.Err():
                log.info("%s refused a frame: %s %s", self.operators[name].label, msg.code, msg.msg)
            case p.Pong():
                pass
            case _:
                raise UnknownType(f"an operator may not send {msg.TYPE!r}")
        return None

    def _sink(self, name: str) -> RobotSink | None:
        """Where operator `name`'s frames for the robot go (None: the robot is offline)."""
        return self.robot

    def _robot_for(self, name: str, *, need_control: bool) -> RobotSink:
        if need_control and self.board.holder != name:
            raise NotInControl(f"{self.board.holder or 'nobody'} holds control; send take first")
        sink = self._sink(name)
        if sink is None:
            raise RobotOffline(f"robot {self.robot_id!r} is offline; the frame was dropped")
        return sink

    def _stop_from(self, name: str, frame: str) -> None:
        """Anyone may stop the robot; a watcher's stop goes out as seq 0.

        A stop sets the robot's last applied seq to its own, so a watcher's
        seq (from its own counter) could make the robot ignore the holder's
        drives until the holder's counter caught up.
        """
        robot = self._robot_for(name, need_control=False)
        if self.board.holder == name:
            robot.put_stop(frame)
        else:
            log.info("robot %r: %s (not in control) sent stop", self.robot_id, name)
            robot.put_stop(STOP)

    def _ping(self, name: str, ping_id: int, frame: str) -> None:
        """Forward to the robot, or answer here while it is offline so links stay up."""
        sink = self._sink(name)
        if sink is None:
            self.operators[name].put(p.encode(p.Pong(id=ping_id)))
            return
        self._remember_ping(ping_id, name)
        sink.put(frame)

    def _remember_ping(self, ping_id: int, name: str) -> None:
        self._pings.setdefault(ping_id, []).append(name)
        if len(self._pings) > MAX_PINGS:
            del self._pings[next(iter(self._pings))]

    def _control(self, name: str, msg: p.Take | p.Release | p.Give) -> Awaitable[None] | None:
        before = self.board.holder
        match msg:
            case p.Take():
                self.board.take(name)
            case p.Release():
                if self.board.release(name):
                    self._stop_robot(f"{name} released control")
            case p.Give():
                if self.board.give(name, msg.to):
                    self._stop_robot(f"{name} gave control to {msg.to}")
        if self.board.holder == before:
            self.operators[name].put(p.encode(self.board.view(name)))  # nothing changed: confirm
        else:
            self._broadcast_control()
        return None

    # ------------------------------------------------------------ helpers

    def _stop_robot(self, why: str) -> None:
        log.info("robot %r: %s; sending stop", self.robot_id, why)
        if self.robot is not None:
            self.robot.put_stop(STOP)

    def _presence(self) -> str:
        return p.encode(p.Presence(id=self.robot_id, online=self.robot is not None))

    def _announce_presence(self) -> None:
        """Tell every operator whether the robot is online (it just came or went)."""
        self._broadcast(self._presence())

    def _broadcast(self, frame: str) -> None:
        for box in self.operators.values():
            box.put(frame)

    def _broadcast_control(self) -> None:
        for name, box in self.operators.items():
            box.put(p.encode(self.board.view(name)))

    def _refuse(self, box: OperatorOutbox | RobotOutbox, exc: Exception) -> None:
        """Tell the peer what was wrong; log the first few, then every 100th."""
        box.stats.refused += 1
        n = box.stats.refused
        if n <= LOGGED_REFUSALS or n % 100 == 0:
            log.warning("%s: refused frame #%d: %s", box.label, n, exc)
        box.put(p.encode(p.error_for(exc)))
