"""The simulated robot inside the app: a direct server on 127.0.0.1, own thread.

The robot runs on its own asyncio loop in a background thread, so a busy UI
thread never stalls its clock or its failsafe; the app reaches it like any
robot, over a WebSocket at `url`. Tests inspect `robot` (applied motors, last
ack, when and why the motors last stopped); treat it as read-only from other
threads.

    with BuiltinSimulator.start(rate=200, channels=4) as sim:
        connect(sim.url)  # ws://127.0.0.1:PORT/
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from types import TracebackType

from app import protocol
from app.sim.robot import SimRobot
from app.sim.transport import serve_direct, server_url

log = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 10.0
SHUTDOWN_TIMEOUT_S = 10.0


class BuiltinSimulator:
    """A running simulated robot; create it with `start()`, end it with `stop()`."""

    def __init__(self, robot: SimRobot, token: str | None = None) -> None:
        self.robot = robot
        self.url = ""
        self._token = token
        self._loop: asyncio.AbstractEventLoop | None = None
        self._quit: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="robodeck-sim", daemon=True)

    @classmethod
    def start(
        cls,
        rate: int = 200,
        channels: int = 4,
        *,
        timeout: int = protocol.DEFAULT_TIMEOUT_MS,
        robot_id: str = "sim",
        token: str | None = None,
        seed: int | None = None,
    ) -> BuiltinSimulator:
        """Start the robot and its server; returns once `url` accepts connections."""
        robot = SimRobot(
            robot_id=robot_id, rate=rate, channels=channels, timeout=timeout, seed=seed
        )
        sim = cls(robot, token)
        sim._thread.start()
        if not sim._ready.wait(STARTUP_TIMEOUT_S):
            sim.stop()
            raise RuntimeError("the built-in simulator did not start in time")
        if sim._error is not None:
            sim.stop()
            raise RuntimeError("the built-in simulator failed to start") from sim._error
        return sim

    def stop(self) -> None:
        """Close every link (the robot stops), end the loop and join the thread."""
        loop, quit_ = self._loop, self._quit
        if loop is not None and quit_ is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop ended meanwhile
                loop.call_soon_threadsafe(quit_.set)
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(SHUTDOWN_TIMEOUT_S)

    def __enter__(self) -> BuiltinSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start(); the thread just ends
            self._error = exc
            log.exception("built-in simulator crashed")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._quit = asyncio.Event()
        server = await serve_direct(self.robot, "127.0.0.1", 0, self._token)
        ticking = asyncio.create_task(self.robot.run())
        self.url = server_url(server)
        log.info("built-in simulator at %s", self.url)
        self._ready.set()
        try:
            await self._quit.wait()
        finally:
            server.close()
            await server.wait_closed()
            ticking.cancel()
            await asyncio.gather(ticking, return_exceptions=True)
