"""A Room whose robot, operators and control lock are shared with other relay processes.

The local routing of app/relay/room.py is unchanged: telemetry fans out to
the operators connected here exactly as before. On top of it:

- telemetry, hello, err and pong of a robot connected here are published
  once on the robot id's `up` channel, which only processes with operators
  of that robot subscribe to (telemetry not at all while none does);
- frames for a robot connected elsewhere go on its `down` channel as
  `<kind>\\n<session id>\\n<frame>`, in order; the robot's process checks the
  sender against the holder it knows and puts them into the robot's
  latest-wins outbox like its own operators' frames;
- who is online, who operates and who drives live in Redis
  (app/relay/cluster/scripts.py); every process mirrors the published state
  into its ControlBoard, and the robot's own process stops the robot
  whenever control leaves an operator — including when the lock expired
  because that operator's process died.

While Redis is unreachable a room falls back to the plain local rules for
the peers connected here, and presence says `"cluster":"down"`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from websockets.asyncio.server import ServerConnection

from app import protocol as p
from app.errors import ProtocolError
from app.relay.cluster import scripts
from app.relay.cluster.node import ClusterDown
from app.relay.control import NotInControl, RelayRefusal, UnknownOperator
from app.relay.limits import Limits
from app.relay.peers import OperatorOutbox, RobotOutbox, close_or_abort
from app.relay.room import STOP, TEL_PREFIX, RobotSink, Room

if TYPE_CHECKING:
    from app.relay.cluster.node import ClusterNode

log = logging.getLogger("app.relay.cluster")

#: Stands in the ping book for an operator on another process.
REMOTE = ""


class ClusterUnavailable(RelayRefusal):
    """Raised when a control change needs Redis and Redis cannot be reached."""

    code = "cluster_down"


class RemoteRobot:
    """A RobotSink for a robot connected to another relay process."""

    def __init__(self, node: ClusterNode, channel: str, sid: str) -> None:
        self._node, self._channel, self._sid = node, channel, sid

    def put_drive(self, frame: str) -> None:
        self._node.publisher.publish(self._channel, f"d\n{self._sid}\n{frame}")

    def put_stop(self, frame: str) -> None:
        self._node.publisher.publish(self._channel, f"s\n{self._sid}\n{frame}")

    def put(self, frame: str) -> None:
        self._node.publisher.publish(self._channel, f"o\n{self._sid}\n{frame}")


class ClusterRoom(Room):
    """Routing for one robot id across every relay process sharing one Redis."""

    def __init__(self, robot_id: str, limits: Limits, node: ClusterNode) -> None:
        super().__init__(robot_id, limits)
        self.node = node
        self.prefix = scripts.prefix(robot_id)
        self.state = scripts.EMPTY
        self.sids: dict[str, str] = {}  # session id of each operator connected here
        self._joining = 0
        self._shown: tuple[bool, bool] | None = None  # (online, cluster up) last announced
        #: Does another process listen to this robot's telemetry (the heartbeat counts)?
        self.listened = True
        self._replaced: RobotOutbox | None = None  # our robot, being closed for a newer one
        node.rooms[robot_id] = self

    def close(self) -> None:
        if self.node.rooms.get(self.robot_id) is self:
            del self.node.rooms[self.robot_id]
        self.node.subscriptions_changed()

    def channels(self) -> set[str]:
        """The channels this process must hear for this robot id."""
        wanted = set()
        if self.operators or self._joining or self.robot is not None:
            wanted.add(self.prefix + "ev")
        if (self.operators or self._joining) and self.robot is None:
            wanted.add(self.prefix + "up")
        if self.robot is not None:
            wanted.add(self.prefix + "down")
        return wanted

    def local_sids(self) -> list[tuple[str, str]]:
        """(name, session id) of the operators here, giving newcomers an id first."""
        for name in self.operators:
            self.sids.setdefault(name, self.node.new_sid())
        return [(name, self.sids[name]) for name in self.operators]

    def holding(self) -> str:
        """The "<sid>\\t<name>" of the local operator this process lets drive, or ""."""
        name = self.board.holder
        if name is None or name not in self.operators:
            return ""
        return f"{self.sids.setdefault(name, self.node.new_sid())}\t{name}"

    # ------------------------------------------------------------ presence

    def _remote(self) -> bool:
        """Is the robot connected to another process that we can reach?"""
        return self.robot is None and self.node.up and self.state.robot not in ("", self.node.proc)

    def _online(self) -> bool:
        return self.robot is not None or self._remote()

    def _presence(self) -> str:
        obj = p.to_object(p.Presence(id=self.robot_id, online=self._online()))
        obj["cluster"] = "up" if self.node.up else "down"
        return json.dumps(obj, separators=(",", ":"))

    def _announce_presence(self) -> None:
        shown = (self._online(), self.node.up)
        if shown == self._shown:
            return
        self._shown = shown
        if not shown[0]:
            self._answer_pings()
        self._broadcast(self._presence())

    # ------------------------------------------------------------ cluster state

    def apply(self, state: scripts.State) -> None:
        """Take on a published state unless a newer one was seen already."""
        if state.ver <= self.state.ver:
            return
        before_name, before = self.board.holder, self.state.holder
        self.state = state
        if self.robot is not None and state.robot not in ("", self.node.proc):
            self._replaced_elsewhere(self.robot)
        moved = before_name is not None and (
            state.holder_name != before_name or (before != "" and state.holder != before)
        )
        if moved and self.robot is not None:
            self._stop_robot(f"control moved from {before_name} to {state.holder_name or 'nobody'}")
        names = list(state.ops) + [n for n in self.operators if n not in state.ops]
        changed = (names, state.holder_name) != (self.board.names, self.board.holder)
        self.board.names, self.board.holder = names, state.holder_name
        self._announce_presence()
        if changed:
            self._broadcast_control()

    def _replaced_elsewhere(self, box: RobotOutbox) -> None:
        if box is self._replaced:
            return  # already being closed; later states say the same
        self._replaced = box
        log.info("robot %r connected to another relay process; closing this one (1008)",
                 self.robot_id)
        self.node.spawn(close_or_abort(box.ws, 1008, "replaced", self._limits.close_timeout))

    def cluster_lost(self) -> None:
        """Redis is gone: keep serving the peers here with the plain local rules."""
        self.state = scripts.State(-1, self.state.robot, self.state.holder, self.state.ops)
        holder = self.board.holder if self.board.holder in self.operators else None
        if self.board.holder is not None and holder is None:
            self._stop_robot(f"{self.board.holder} (in control) is out of reach")
        self.board.names, self.board.holder = list(self.operators), holder
        self._announce_presence()
        self._broadcast_control()

    async def recover(self) -> None:
        """Redis is back (maybe empty): register robot, operators and holder anew."""
        self.apply(scripts.parse_state(await self.node.sync(self, recover=True)))

    def cluster_changed(self) -> None:
        self._announce_presence()
        self._broadcast_control()

    # ------------------------------------------------------------ robot side

    async def attach_robot(
        self, ws: ServerConnection
    ) -> tuple[RobotOutbox, RobotOutbox | None]:
        box, old = await super().attach_robot(ws)
        self.node.subscriptions_changed()
        if self.node.up:
            with contextlib.suppress(ClusterDown):  # if so, the recovery registers the robot
                self.apply(scripts.parse_state(
                    await self.node.call("attach", self.prefix, self.node.proc)
                ))
        return box, old

    def detach_robot(self, box: RobotOutbox) -> None:
        if self.robot is not box:
            return
        super().detach_robot(box)
        self.node.subscriptions_changed()
        if self.node.up:
            self.node.spawn(self._detached())

    async def _detached(self) -> None:
        try:
            self.apply(scripts.parse_state(
                await self.node.call("detach", self.prefix, self.node.proc)
            ))
            if self._remote() and self.hello is None and self.operators:
                await self._fetch_hello()
        except ClusterDown:
            pass

    async def _fetch_hello(self) -> None:
        """The robot moved to another process: its hello went by before we listened."""
        client: Any = self.node._client
        if client is None:
            return
        try:
            hello = await client.get(self.prefix + "hello")
        except Exception as exc:
            raise ClusterDown(str(exc)) from exc
        if hello and self.hello is None and self.robot is None:
            self.hello = hello
            self._broadcast(hello)

    def _telemetry(self, frame: str) -> None:
        super()._telemetry(frame)
        robot = self.robot
        if self.listened and robot is not None and robot is not self._replaced and self.node.up:
            self.node.publisher.publish(self.prefix + "up", frame, droppable=True)

    def _robot_message(self, msg: p.Message, frame: str | bytes) -> None:
        super()._robot_message(msg, frame)
        if not self.node.up or not isinstance(frame, str):
            return
        if isinstance(msg, p.Hello):
            ttl = int(self.node.config.ttl * 1000)
            self.node.publisher.put("SET", self.prefix + "hello", frame, "PX", ttl)
            self.node.publisher.publish(self.prefix + "up", frame)
        elif isinstance(msg, p.Err):
            self.node.publisher.publish(self.prefix + "up", frame)

    def _route_pong(self, ping_id: int, frame: str) -> None:
        waiting = self._pings.get(ping_id)
        if self.robot is None:  # from the up channel: only pongs someone here asked for
            if waiting:
                super()._route_pong(ping_id, frame)
            return
        if self.node.up and (not waiting or waiting[0] == REMOTE):
            self.node.publisher.publish(self.prefix + "up", frame)
            if waiting:
                waiting.pop(0)
                if not waiting:
                    del self._pings[ping_id]
                return
        super()._route_pong(ping_id, frame)

    def on_up(self, frame: str) -> None:
        """A frame the robot sent to its own process, for our operators."""
        if self.robot is not None or not self._remote():
            return
        if frame.startswith(TEL_PREFIX):
            Room._telemetry(self, frame)
            return
        try:
            msg = p.decode(frame)
        except ProtocolError:
            return
        if isinstance(msg, p.Hello):
            self.hello = frame
            self._broadcast(frame)
        elif isinstance(msg, p.Err):
            self._broadcast(frame)
        elif isinstance(msg, p.Pong):
            self._route_pong(msg.id, frame)

    def on_down(self, data: str) -> None:
        """A frame an operator on another process sent to our robot."""
        robot = self.robot
        if robot is None or robot is self._replaced:
            return  # frames for the robot's newer connection, on another process
        kind, sid, frame = data.split("\n", 2)
        if kind == "i":
            self.listened = True  # a process just subscribed to our telemetry
            return
        in_control = sid != "" and sid == self.state.holder_sid
        if kind == "s":
            robot.put_stop(frame if in_control else STOP)
        elif kind == "d" and in_control:
            robot.put_drive(frame)
        elif kind == "o":
            self._other_from_afar(robot, frame, in_control=in_control)

    def _other_from_afar(self, robot: RobotOutbox, frame: str, *, in_control: bool) -> None:
        try:
            msg = p.decode(frame)
        except ProtocolError:
            return
        if isinstance(msg, p.Ping):
            self._remember_ping(msg.id, REMOTE)
            robot.put(frame)
        elif isinstance(msg, p.Cfg) and in_control:
            robot.put(frame)

    # ------------------------------------------------------------ operator side

    async def join(self, ws: ServerConnection, wanted: str | None) -> tuple[str, OperatorOutbox]:
        if not self.node.up:
            return await super().join(ws, wanted)
        self._joining += 1
        sid = self.node.new_sid()
        try:
            await self.node.subscribe_now()
            name, state, hello = await self.node.call("join", self.prefix, wanted or "", sid)
        except ClusterDown:
            return await super().join(ws, wanted)
        finally:
            self._joining -= 1
        self.sids[name] = sid
        if hello and self.robot is None:
            self.hello = hello
        self.apply(scripts.parse_state(state))
        return self._welcome(ws, name)

    def leave(self, name: str) -> None:
        sid = self.sids.pop(name, None)
        if not self.node.up or sid is None:
            super().leave(name)
            return
        del self.operators[name]
        if name in self.board.names:
            self.board.names.remove(name)
        if self.board.holder == name:
            self.board.holder = None
            self._stop_robot(f"{name} (in control) left")
        self._broadcast_control()
        self.node.subscriptions_changed()
        self.node.spawn(self._left(name, sid))

    async def _left(self, name: str, sid: str) -> None:
        with contextlib.suppress(ClusterDown):  # if so, its key expires by itself
            self.apply(scripts.parse_state(await self.node.call("leave", self.prefix, name, sid)))

    def _sink(self, name: str) -> RobotSink | None:
        if self.robot is not None:
            return self.robot
        if self._remote():
            return RemoteRobot(self.node, self.prefix + "down", self.sids.get(name, ""))
        return None

    def _stop_robot(self, why: str) -> None:
        super()._stop_robot(why)
        if self._remote():
            self.node.publisher.publish(self.prefix + "down", f"s\n\n{STOP}")

    def _control(self, name: str, msg: p.Take | p.Release | p.Give) -> Awaitable[None] | None:
        if not self.node.up or name not in self.sids:
            return super()._control(name, msg)
        return self._control_cluster(name, msg)

    async def _control_cluster(self, name: str, msg: p.Take | p.Release | p.Give) -> None:
        me = f"{self.sids[name]}\t{name}"
        try:
            match msg:
                case p.Take():
                    code, payload = await self.node.call("take", self.prefix, me)
                case p.Release():
                    code, payload = await self.node.call("release", self.prefix, me)
                case p.Give():
                    code, payload = await self.node.call("give", self.prefix, me, msg.to)
            self._control_result(name, msg, int(code), str(payload))
        except (ClusterDown, RelayRefusal) as exc:
            if name in self.operators:
                if isinstance(exc, ClusterDown):
                    exc = ClusterUnavailable("cross-process routing is down; try again soon")
                self._refuse(self.operators[name], exc)

    def _control_result(self, name: str, msg: p.Message, code: int, payload: str) -> None:
        if code == 2:
            assert isinstance(msg, p.Give)
            raise UnknownOperator(f"no operator named {msg.to!r} is connected")
        if code == 0:
            holder = payload.partition("\t")[2] or "nobody"
            raise NotInControl(f"{holder} holds control" if isinstance(msg, p.Take)
                               else f"you do not hold control (holder: {holder})")
        before = self.board.holder
        self.apply(scripts.parse_state(payload))
        if self.board.holder == before and name in self.operators:
            self.operators[name].put(p.encode(self.board.view(name)))  # nothing changed: confirm
