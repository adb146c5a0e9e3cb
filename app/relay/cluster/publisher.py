"""Ordered, batched writes to Redis from the routing code, which must never wait.

Routing is synchronous (app/relay/room.py), so a frame bound for another
process is only *put* here. One task writes everything waiting as a single
pipeline over one connection: the order of puts is the order Redis sees,
which keeps drive commands in order across processes, and a burst of
telemetry costs one round trip instead of one per frame. When Redis lags,
telemetry beyond `limit` waiting commands is dropped (counted), like the
telemetry of a slow operator; drives, stops and state are never dropped.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

#: Commands written in one pipeline at most.
BATCH = 512


class Publisher:
    """A FIFO of Redis commands and the loop that writes them."""

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.dropped = 0
        self._queue: deque[tuple[Any, ...]] = deque()
        self._wake = asyncio.Event()

    def put(self, *command: Any, droppable: bool = False) -> None:
        """Queue one command (e.g. "PUBLISH", channel, message)."""
        if droppable and len(self._queue) >= self.limit:
            self.dropped += 1
            return
        self._queue.append(command)
        self._wake.set()

    def publish(self, channel: str, message: str, *, droppable: bool = False) -> None:
        self.put("PUBLISH", channel, message, droppable=droppable)

    def clear(self) -> None:
        """Forget what waits: Redis went away, and what it held is re-sent on recovery."""
        self._queue.clear()

    async def run(self, client: Any) -> None:
        """Write batches until a Redis error ends the session (it propagates)."""
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            if len(self._queue) == 1:  # the usual case for drives: no pipeline to build
                await client.execute_command(*self._queue.popleft())
                continue
            pipe = client.pipeline(transaction=False)
            for _ in range(min(BATCH, len(self._queue))):
                pipe.execute_command(*self._queue.popleft())
            await pipe.execute()
