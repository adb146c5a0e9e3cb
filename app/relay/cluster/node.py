"""One relay process's seat in the cluster: its Redis connections and their upkeep.

`ClusterNode` owns everything that talks to Redis for this process:

- a command connection for the state scripts (app/relay/cluster/scripts.py),
- a Publisher for frames crossing to other processes, in order, batched,
- a subscription connection for the channels of the robot ids it serves,
- a heartbeat that refreshes this process's expiring keys every
  `heartbeat` s, so another process notices its death within `ttl` s.

When Redis cannot be reached the node says so once in the log, tells every
room (which keep routing among the peers they have here and show
`"cluster":"down"` in presence), and retries with backoff; once Redis
answers again, each room registers its robot and operators anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Coroutine
from dataclasses import dataclass
from itertools import count
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from app.backoff import backoff
from app.relay.cluster import scripts
from app.relay.cluster.publisher import Publisher

if TYPE_CHECKING:
    from app.relay.cluster.room import ClusterRoom

log = logging.getLogger("app.relay.cluster")

@dataclass(frozen=True)
class ClusterConfig:
    """Where Redis is and how quickly a dead process is let go of."""

    url: str
    #: Seconds before the keys of a silent process expire (its robots go
    #: offline, its operator in control loses control and the robot stops).
    ttl: float = 3.0
    #: Seconds between two refreshes of this process's keys.
    heartbeat: float = 0.75
    #: Seconds a Redis command may take before Redis counts as unreachable.
    timeout: float = 2.0


def shown_url(url: str) -> str:
    """The Redis URL for the log, without a password it may carry."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=f"***@{netloc}"))


class ClusterDown(Exception):
    """Raised when a cluster operation cannot reach Redis."""


class ClusterNode:
    """This process's Redis connections, subscriptions and heartbeat."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.proc = secrets.token_hex(4)
        self.up = False
        self.rooms: dict[str, ClusterRoom] = {}
        self.publisher = Publisher()
        self._ttl_ms = int(config.ttl * 1000)
        self._sids = count(1)
        self._client: Redis | None = None
        self._pubsub: PubSub | None = None
        self._sha: dict[str, str] = {}
        self._channels: set[str] = set()
        self._subs_changed = asyncio.Event()
        self._broken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._down_since: float | None = None  # loop time Redis was lost, while it is
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="relay cluster")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._disconnect()

    async def _run(self) -> None:
        """Connect, serve until Redis fails, say so once, wait, and connect again."""
        delays = backoff(initial=0.2, cap=2.0)
        while True:
            failure = await self._session()
            if self.up:
                delays = backoff(initial=0.2, cap=2.0)  # it was up: start over quickly
            if self._down_since is None:
                self._down_since = asyncio.get_running_loop().time()
                log.error("redis unreachable at %s (%s): cross-process routing is down; "
                          "serving robots and operators of this process only, retrying",
                          shown_url(self.config.url), failure)
            self._went_down()
            await self._disconnect()
            await asyncio.sleep(next(delays))

    async def _session(self) -> str:
        """Connect, then run listener, publisher, heartbeat and subscriptions until
        one of them fails; returns what went wrong."""
        failure = ""
        try:
            client = await self._connect()
            async with asyncio.TaskGroup() as group:
                group.create_task(self._listen())
                group.create_task(self.publisher.run(client))
                group.create_task(self._heartbeat())
                group.create_task(self._subscriber())
                group.create_task(self._until_broken())
        except* (RedisError, OSError, ClusterDown) as group:
            failure = str(group.exceptions[0]) or type(group.exceptions[0]).__name__
        return failure

    async def _until_broken(self) -> None:
        await self._broken.wait()
        raise ClusterDown("a redis command failed")

    async def _connect(self) -> Redis:
        """Open both connections, load the scripts, and register every room anew."""
        client = Redis.from_url(
            self.config.url, decode_responses=True,
            socket_timeout=self.config.timeout, socket_connect_timeout=self.config.timeout,
            retry=Retry(NoBackoff(), 0), health_check_interval=0,
        )
        self._client = client
        await client.ping()
        self._sha = {name: await client.script_load(src) for name, src in scripts.ALL.items()}
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._channels = {f"rd:node:{self.proc}"}  # never empty, so the listener can block
        await self._pubsub.subscribe(*self._channels)
        await self._update_subscriptions()
        for room in list(self.rooms.values()):
            await room.recover()
        self.up = True
        self._broken.clear()
        for room in list(self.rooms.values()):
            room.cluster_changed()
        log.info("cluster: joined through redis at %s as process %s",
                 shown_url(self.config.url), self.proc)
        if self._down_since is not None:
            log.warning("redis is back after %.1f s: cross-process routing restored",
                        asyncio.get_running_loop().time() - self._down_since)
            self._down_since = None
        return client

    def _went_down(self) -> None:
        was_up, self.up = self.up, False
        self.publisher.clear()
        if was_up:
            for room in list(self.rooms.values()):
                room.cluster_lost()

    async def _disconnect(self) -> None:
        pubsub, client, self._pubsub, self._client = self._pubsub, self._client, None, None
        with contextlib.suppress(Exception):
            if pubsub is not None:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
        with contextlib.suppress(Exception):
            if client is not None:
                await client.aclose()

    # ------------------------------------------------------------ used by rooms

    def new_sid(self) -> str:
        """A session id no other operator anywhere has had."""
        return f"{self.proc}.{next(self._sids)}"

    async def call(self, script: str, room_prefix: str, *args: str) -> Any:
        """Run one state script for a robot id; raises ClusterDown."""
        client = self._client
        if client is None:
            raise ClusterDown("redis is not connected")
        try:
            return await client.evalsha(self._sha[script], 0, room_prefix, self._ttl_ms, *args)
        except (RedisError, OSError) as exc:
            self._broken.set()
            raise ClusterDown(str(exc) or type(exc).__name__) from exc

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the background, kept referenced until done."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def subscriptions_changed(self) -> None:
        self._subs_changed.set()

    async def subscribe_now(self) -> None:
        """Subscribe to what the rooms want before an operation that needs it."""
        with contextlib.suppress(RedisError, OSError):
            await self._update_subscriptions()

    # ------------------------------------------------------------ tasks

    async def _listen(self) -> None:
        assert self._pubsub is not None
        while True:
            msg = await self._pubsub.get_message(timeout=None)  # a dead Redis ends it
            if msg is not None and msg.get("type") == "message":
                self._dispatch(msg["channel"], msg["data"])

    def _dispatch(self, channel: str, data: str) -> None:
        robot_id, kind = scripts.channel_of(channel)
        room = self.rooms.get(robot_id)
        if room is None:
            return
        if kind == "up":
            room.on_up(data)
        elif kind == "down":
            room.on_down(data)
        elif kind == "ev":
            room.apply(scripts.parse_state(data))

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat)
            for room in list(self.rooms.values()):
                room.apply(scripts.parse_state(await self.sync(room, recover=False)))
                if room.robot is not None:
                    await self._count_listeners(room)

    async def _count_listeners(self, room: ClusterRoom) -> None:
        """Does any other process listen to this robot's telemetry? If not, keep it here."""
        assert self._client is not None
        try:
            counts = await self._client.pubsub_numsub(room.prefix + "up")
        except (RedisError, OSError) as exc:
            raise ClusterDown(str(exc)) from exc
        room.listened = bool(counts and counts[0][1])

    async def sync(self, room: ClusterRoom, *, recover: bool) -> str:
        """Refresh (or re-create) this process's keys of one robot id; the state after."""
        robot = "1" if room.robot is not None else "0"
        holding = room.holding() if recover else ""
        pairs = [x for name, sid in room.local_sids() for x in (name, sid)]
        result = await self.call(
            "sync", room.prefix, self.proc, robot, room.hello or "", "1" if recover else "0",
            holding, *pairs,
        )
        return str(result)

    async def _subscriber(self) -> None:
        while True:
            await self._subs_changed.wait()
            self._subs_changed.clear()
            await self._update_subscriptions()

    async def _update_subscriptions(self) -> None:
        if self._pubsub is None:
            return
        wanted = {f"rd:node:{self.proc}"}
        for room in self.rooms.values():
            wanted |= room.channels()
        new, old = wanted - self._channels, self._channels - wanted
        self._channels = wanted
        if new:
            await self._pubsub.subscribe(*new)
            for channel in new:  # tell the robot's process to send its telemetry this way
                if channel.endswith(":up"):
                    self.publisher.publish(channel[:-2] + "down", "i\n\n")
        if old:
            await self._pubsub.unsubscribe(*old)
