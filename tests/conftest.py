"""Shared test fixtures and the time unit.

`MS` is one millisecond scaled by ROBODECK_TEST_TIME_SCALE (default 1), so a
slow CI machine can stretch every timing bound in one place instead of
turning timing tests flaky.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TIME_SCALE = float(os.environ.get("ROBODECK_TEST_TIME_SCALE", "1"))
MS = 0.001 * TIME_SCALE


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the app's settings and data folders at a temporary place."""
    root = tmp_path_factory.mktemp("robodeck-home")
    monkeypatch.setenv("ROBODECK_CONFIG_DIR", str(root / "config"))
    monkeypatch.setenv("ROBODECK_DATA_DIR", str(root / "data"))


@pytest.fixture
async def start_firmware() -> AsyncIterator[object]:
    """Starts host-build firmware processes (built once per session); stops them after."""
    from firmware_helpers import firmware_processes

    async with firmware_processes() as start:
        yield start
