"""Round trip app -> relay -> simulated robot -> app, beside a bare forwarder.

Both stacks run at once as separate processes on 127.0.0.1: RoboDeck's relay
with `robodeck-sim` behind it, and the bare `websockets` forwarder of
bench/bare.py with an echoing robot. The client sends app-level `ping`
frames and waits for each `pong`; blocks of pings alternate between the two
stacks so machine noise hits both alike. Printed: p50/p99 of each and the
ratios (goal: p50 within 2x, p99 within 3x of the bare stack).
"""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import ExitStack

from websockets.asyncio.client import ClientConnection, connect

from app.protocol import SUBPROTOCOL
from bench.procs import free_port, python_process, wait_for_port
from bench.stats import percentiles_ms, ratio

ROBOT_ID = "bench"
SIM_RATE = 50  # the robot streams telemetry meanwhile, as a real one does


async def _open_client(url: str, robot_ready: str) -> ClientConnection:
    """Connect as an operator and wait until the robot answers a ping."""
    deadline = time.monotonic() + 15
    while True:
        try:
            ws = await connect(url, compression=None, subprotocols=[SUBPROTOCOL])
            await asyncio.wait_for(_ping(ws, 0), 1.0)
            return ws
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"no pong through {url} ({robot_ready})") from None
            await asyncio.sleep(0.2)


async def _ping(ws: ClientConnection, ping_id: int) -> float:
    """Send one ping; return seconds until its pong (other frames skipped)."""
    start = time.perf_counter()
    await ws.send(json.dumps({"t": "ping", "id": ping_id}, separators=(",", ":")))
    while True:
        frame = await ws.recv()
        if '"pong"' in frame and json.loads(frame).get("id") == ping_id:
            return time.perf_counter() - start


async def _measure(ours: ClientConnection, bare: ClientConnection, blocks: int, per_block: int
                   ) -> tuple[list[float], list[float]]:
    ours_s: list[float] = []
    bare_s: list[float] = []
    ping_id = 1
    for block in range(blocks):
        order = [(ours, ours_s), (bare, bare_s)] if block % 2 == 0 else [(bare, bare_s), (ours, ours_s)]
        for ws, out in order:
            for _ in range(per_block):
                out.append(await _ping(ws, ping_id))
                ping_id += 1
    return ours_s, bare_s


def run(blocks: int = 10, per_block: int = 300) -> dict[str, float]:
    """Start both stacks, measure, print, and return the figures."""
    ours_port, bare_port = free_port(), free_port()
    with ExitStack() as stack:
        # Pings go back to back here, far above an app's rate: lift the flood limit.
        stack.enter_context(python_process(
            ["-m", "app.relay", "--open", "--port", str(ours_port), "--operator-rate", "1e6"]
        ))
        stack.enter_context(python_process(["-m", "bench.bare", "relay", "--port", str(bare_port)]))
        wait_for_port(ours_port)
        wait_for_port(bare_port)
        stack.enter_context(python_process([
            "-m", "app.sim", "--relay", f"ws://127.0.0.1:{ours_port}", "--id", ROBOT_ID,
            "--token", "bench", "--rate", str(SIM_RATE),
        ]))
        stack.enter_context(python_process(
            ["-m", "bench.bare", "robot", "--url", f"ws://127.0.0.1:{bare_port}/robot/{ROBOT_ID}"]
        ))
        return asyncio.run(_run_clients(ours_port, bare_port, blocks, per_block))


async def _run_clients(ours_port: int, bare_port: int, blocks: int, per_block: int) -> dict[str, float]:
    ours = await _open_client(f"ws://127.0.0.1:{ours_port}/client/{ROBOT_ID}", "robodeck")
    bare = await _open_client(f"ws://127.0.0.1:{bare_port}/client/{ROBOT_ID}", "bare")
    await _measure(ours, bare, 2, 100)  # warm-up
    ours_s, bare_s = await _measure(ours, bare, blocks, per_block)
    await ours.close()
    await bare.close()
    o, b = percentiles_ms(ours_s), percentiles_ms(bare_s)
    print(f"round trip app->relay->robot->app, {len(ours_s)} pings each, sim streaming {SIM_RATE} Hz")
    print(f"  bare websockets forwarder: p50 {b['p50']:.3f} ms  p99 {b['p99']:.3f} ms")
    print(f"  robodeck relay + sim:      p50 {o['p50']:.3f} ms  p99 {o['p99']:.3f} ms")
    print(f"  ratio p50 {ratio(o['p50'], b['p50'])} (goal <= 2x)   p99 {ratio(o['p99'], b['p99'])} (goal <= 3x)")
    return {"ours_p50": o["p50"], "ours_p99": o["p99"], "bare_p50": b["p50"], "bare_p99": b["p99"]}


if __name__ == "__main__":
    run()
