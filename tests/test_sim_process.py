"""robodeck-sim as a relay client and as its own process.

The relay here is a small websockets server in the test that accepts
/robot/<id>, so these tests need nothing but the simulator itself.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import MS
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from app import protocol
from app.sim.cli import host_port, main
from app.sim.robot import SimRobot
from app.sim.transport import run_relay_client

ROOT = Path(__file__).resolve().parent.parent
OPTIONS: dict[str, Any] = {
    "compression": None,
    "subprotocols": [protocol.SUBPROTOCOL],
    "max_size": protocol.MAX_MESSAGE_BYTES,
}


class FakeRelay:
    """Accepts robots at /robot/<id> and hands each link to the test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.links: asyncio.Queue[ServerConnection] = asyncio.Queue()

    async def _accept(self, ws: ServerConnection) -> None:
        await self.links.put(ws)
        await ws.wait_closed()

    def serve(self) -> Any:
        return serve(self._accept, "127.0.0.1", self.port, **OPTIONS)

    async def next_link(self) -> tuple[ServerConnection, protocol.Hello]:
        """The robot's next connection and the hello it opened with."""
        async with asyncio.timeout(3000 * MS):
            ws = await self.links.get()
            hello = protocol.decode(await ws.recv())
        assert isinstance(hello, protocol.Hello)
        return ws, hello


@pytest.fixture
async def robot() -> AsyncIterator[SimRobot]:
    robot = SimRobot(robot_id="rover", rate=100)
    ticking = asyncio.create_task(robot.run())
    yield robot
    ticking.cancel()
    await asyncio.gather(ticking, return_exceptions=True)


@pytest.fixture
async def relay(robot: SimRobot, port: int) -> AsyncIterator[FakeRelay]:
    """A robot connecting to a fake relay with short keepalive times."""
    client = asyncio.create_task(run_relay_client(
        robot, f"ws://127.0.0.1:{port}/", "rover", "tok en&1",
        ping_interval=0.1, ping_timeout=0.1,
    ))
    yield FakeRelay(port)
    client.cancel()
    await asyncio.gather(client, return_exceptions=True)


async def wait_for(condition: Any, within: float) -> None:
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(MS)


async def drive(ws: ServerConnection, robot: SimRobot, seq: int) -> None:
    await ws.send(json.dumps({"t": "drive", "l": 50, "r": 50, "seq": seq}))
    await wait_for(lambda: robot.motors == (50, 50), within=500 * MS)


async def test_relay_client_sends_its_token_and_comes_back_after_a_relay_restart(
    robot: SimRobot, relay: FakeRelay
) -> None:
    async with relay.serve():
        ws, hello = await relay.next_link()
        assert ws.request is not None
        assert ws.request.path == "/robot/rover?token=tok%20en%261"
        assert (hello.id, hello.rate) == ("rover", 100)
        await drive(ws, robot, seq=1)
        going_down = time.monotonic()
    assert robot.motors == (0, 0)
    assert robot.stop_reason == "link_closed"
    assert robot.stopped_at - going_down < 50 * MS
    async with relay.serve():
        ws, hello = await relay.next_link()
        assert hello.id == "rover"
        tel = protocol.decode(await ws.recv())
        assert isinstance(tel, protocol.Tel)
        assert (tel.m, tel.ack) == ((0, 0), 0)  # stopped until a fresh drive
        await drive(ws, robot, seq=1)


async def test_relay_client_finds_a_dead_link_by_keepalive_and_stops(
    robot: SimRobot, relay: FakeRelay
) -> None:
    async with relay.serve():
        ws, _ = await relay.next_link()
        await drive(ws, robot, seq=1)
        await robot_cfg_long_timeout(ws, robot)
        ws.transport.pause_reading()  # the relay hangs: pings go unanswered
        hung = time.monotonic()
        await wait_for(lambda: robot.motors == (0, 0), within=2000 * MS)
        assert robot.stop_reason == "link_closed"
        assert robot.stopped_at - hung < 0.2 + 100 * MS  # ping interval + timeout
        ws.transport.resume_reading()  # so the relay sees the robot has gone
        _, hello = await relay.next_link()  # and the robot reconnects
        assert hello.id == "rover"


async def robot_cfg_long_timeout(ws: ServerConnection, robot: SimRobot) -> None:
    """Lengthen the drive timeout so only the keepalive can stop the robot."""
    await ws.send(json.dumps({"t": "cfg", "timeout": 10_000}))
    await wait_for(lambda: robot.timeout == 10_000, within=500 * MS)


async def test_the_relay_url_may_end_with_or_without_a_slash(port: int) -> None:
    robot = SimRobot(robot_id="r/1")
    relay = FakeRelay(port)
    client = asyncio.create_task(run_relay_client(robot, f"ws://127.0.0.1:{port}", "r/1"))
    try:
        async with relay.serve():
            ws, _ = await relay.next_link()
            assert ws.request is not None and ws.request.path == "/robot/r%2F1"
    finally:
        client.cancel()
        await asyncio.gather(client, return_exceptions=True)


# ---------------------------------------------------------------- the process


def test_cli_serves_and_exits_0_on_sigterm(port: int) -> None:
    command = [sys.executable, "-m", "app.sim", "--listen", f"127.0.0.1:{port}", "--rate", "50"]
    proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        hello, close_code = asyncio.run(hello_then_sigterm(f"ws://127.0.0.1:{port}/", proc))
        assert proc.wait(timeout=5) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None
    log = proc.stderr.read()
    proc.stderr.close()
    assert (hello.id, hello.rate) == ("sim", 50)
    assert close_code == 1001  # going away
    assert f"listening on ws://127.0.0.1:{port}/" in log


async def hello_then_sigterm(url: str, proc: subprocess.Popen[str]) -> tuple[protocol.Hello, int]:
    """Connect once the process listens, read hello, SIGTERM it, see the close."""
    async with asyncio.timeout(15):
        while True:
            try:
                ws = await connect(url, **OPTIONS)
                break
            except OSError:
                assert proc.poll() is None, "robodeck-sim exited early"
                await asyncio.sleep(0.05)
        async with ws:
            hello = protocol.decode(await ws.recv())
            assert isinstance(hello, protocol.Hello)
            proc.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await ws.recv()
    assert closed.value.rcvd is not None
    return hello, closed.value.rcvd.code


async def test_cli_in_relay_mode_connects_and_leaves_on_sigterm(port: int) -> None:
    relay = FakeRelay(port)
    command = [sys.executable, "-m", "app.sim", "--relay", f"ws://127.0.0.1:{port}",
               "--id", "rover", "--token", "t0k", "--channels", "2"]
    async with relay.serve():
        proc = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL)
        try:
            async with asyncio.timeout(15):
                ws = await relay.links.get()
            hello = protocol.decode(await ws.recv())
            assert ws.request is not None and ws.request.path == "/robot/rover?token=t0k"
            assert isinstance(hello, protocol.Hello) and len(hello.channels) == 2
            proc.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(proc.wait, 5) == 0
            await asyncio.wait_for(ws.wait_closed(), 1)
            assert ws.close_code == 1001  # going away, not an internal error
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("argv", [
    ["--rate", "0"], ["--rate", "1001"], ["--channels", "9"], ["--timeout", "10"],
    ["--listen", "nowhere"], ["--listen", "h:1", "--relay", "ws://x"],
])
def test_cli_refuses_bad_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error" in capsys.readouterr().err


def test_listen_address_parsing() -> None:
    assert host_port("127.0.0.1:8765") == ("127.0.0.1", 8765)
    assert host_port("[::1]:80") == ("::1", 80)
    assert host_port(":9000") == ("0.0.0.0", 9000)
