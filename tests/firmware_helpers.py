"""The host build of the firmware as a process for end-to-end tests.

`make -C firmware host` builds the very same sources that run on an Uno
into a Linux program; these helpers start it, read the status lines it
prints (`link up`, `motors <l> <r> latency_us=...`) with the time each
arrived, and stop it again.
"""

from __future__ import annotations

import asyncio
import functools
import re
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MS

FIRMWARE_DIR = Path(__file__).resolve().parent.parent / "firmware"
BINARY = FIRMWARE_DIR / "build" / "host" / "robodeck-fw"
#: The host build's timing (firmware/host/host_config.h).
DRIVE_TIMEOUT_MS = 500
LINK_TIMEOUT_MS = 1500
BACKOFF_MAX_MS = 1000


@dataclass(frozen=True)
class Line:
    """One status line and when the test read it (time.monotonic())."""

    t: float
    text: str


class Firmware:
    """A running robodeck-fw: its output lines, searchable as they arrive."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[Line] = []
        self._pos = 0
        self._arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, *args: str) -> Firmware:
        proc = await asyncio.create_subprocess_exec(
            str(BINARY), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        return cls(proc)

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        async for raw in self.proc.stdout:
            self.lines.append(Line(time.monotonic(), raw.decode().rstrip()))
            self._arrived.set()

    async def expect(self, pattern: str, timeout: float = 2000 * MS) -> re.Match[str]:
        """The next line (after the last one matched) that matches `pattern`."""
        found = await self.expect_line(pattern, timeout)
        match = re.search(pattern, found.text)
        assert match is not None
        return match

    async def expect_line(self, pattern: str, timeout: float = 2000 * MS) -> Line:
        regex = re.compile(pattern)
        async with asyncio.timeout(timeout):
            while True:
                while self._pos < len(self.lines):
                    line = self.lines[self._pos]
                    self._pos += 1
                    if regex.search(line.text):
                        return line
                self._arrived.clear()
                if self.proc.returncode is not None and self._reader.done():
                    raise AssertionError(f"robodeck-fw exited; output:\n{self.output()}")
                await self._arrived.wait()

    async def motors(self, left: int, right: int, timeout: float = 2000 * MS) -> Line:
        """Wait until the pins say the motors run at (left, right) percent."""
        return await self.expect_line(rf"^motors {left} {right} ", timeout)

    def output(self) -> str:
        return "\n".join(line.text for line in self.lines)

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 2)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        await self._reader


StartFirmware = Callable[..., Awaitable[Firmware]]


@functools.cache
def build_host() -> Path:
    """`make -C firmware host`, once per test session (make skips it when up to date)."""
    result = subprocess.run(
        ["make", "-C", str(FIRMWARE_DIR), "host"], capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"make -C firmware host failed:\n{result.stdout}\n{result.stderr}")
    return BINARY


@asynccontextmanager
async def firmware_processes() -> AsyncIterator[StartFirmware]:
    """Start robodeck-fw processes (building it first); all are stopped at the end."""
    build_host()
    started: list[Firmware] = []

    async def start(*args: str) -> Firmware:
        fw = await Firmware.start(*args)
        started.append(fw)
        return fw

    try:
        yield start
    finally:
        for fw in started:
            await fw.stop()
