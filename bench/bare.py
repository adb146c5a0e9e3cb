"""The baseline for the round-trip benchmark: the least code that does the
same three hops as RoboDeck (app -> relay -> robot -> app) on `websockets`.

`python -m bench.bare relay --port P` forwards every frame from `/client/<id>`
to `/robot/<id>` and back, with no auth, validation, control or buffering.
`python -m bench.bare robot --url ws://.../robot/<id>` answers every frame
that contains `"ping"` by echoing it back as a pong, and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app.protocol import SUBPROTOCOL

robots: dict[str, ServerConnection] = {}
clients: dict[str, set[ServerConnection]] = {}


async def _handler(ws: ServerConnection) -> None:
    assert ws.request is not None
    kind, _, rid = ws.request.path.strip("/").partition("/")
    with contextlib.suppress(ConnectionClosed):
        if kind == "robot":
            robots[rid] = ws
            async for frame in ws:
                for client in clients.get(rid, ()):
                    await client.send(frame)
        else:
            clients.setdefault(rid, set()).add(ws)
            try:
                async for frame in ws:
                    if rid in robots:
                        await robots[rid].send(frame)
            finally:
                clients[rid].discard(ws)


async def run_relay(port: int) -> None:
    """Serve the bare forwarder until SIGTERM."""
    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with serve(_handler, "127.0.0.1", port, compression=None, subprotocols=[SUBPROTOCOL]):
        print("ready", flush=True)
        await stop


async def run_robot(url: str) -> None:
    """Echo pings as pongs until the connection closes."""
    async with connect(url, compression=None, subprotocols=[SUBPROTOCOL]) as ws:
        print("ready", flush=True)
        async for frame in ws:
            if isinstance(frame, str) and '"ping"' in frame:
                await ws.send(frame.replace('"ping"', '"pong"'))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    sub = parser.add_subparsers(dest="role", required=True)
    sub.add_parser("relay").add_argument("--port", type=int, required=True)
    sub.add_parser("robot").add_argument("--url", required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        if args.role == "relay":
            asyncio.run(run_relay(args.port))
        else:
            asyncio.run(run_robot(args.url))


if __name__ == "__main__":
    main()
