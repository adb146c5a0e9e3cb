"""`python -m app.relay` as a user runs it, and the rules it reads from its config."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from conftest import MS
from relay_helpers import dial, recv
from websockets.exceptions import ConnectionClosed, InvalidStatus

from app.errors import ConfigError
from app.relay import Role, load_auth
from app.relay.auth import Auth
from app.relay.control import ControlBoard, NotInControl, UnknownOperator

CONFIG = """
[robots.rover]
robot_token = "rover-robot-token-0123"
operator_token = "rover-operator-token-4567"
"""


@asynccontextmanager
async def relay_process(*args: str) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start the relay; yields once it logged that it listens. Killed if still running."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.relay", *args,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(10):
            while b"listening on" not in (line := await proc.stderr.readline()):
                assert line, "the relay exited before listening"
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def run(*args: str) -> tuple[int, str]:
    """Run the relay expecting it to exit at once; its status and stderr."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.relay", *args, stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 10)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


async def test_open_relay_serves_and_exits_0_on_sigterm(port: int) -> None:
    async with relay_process("--open", "--port", str(port)) as proc:
        url = f"ws://127.0.0.1:{port}"
        async with await dial(f"{url}/robot/bench") as robot, await dial(
            f"{url}/client/bench?name=ann"
        ) as op:
            assert await recv(op) == {"t": "presence", "id": "bench", "online": True}
            proc.send_signal(signal.SIGTERM)
            for ws in (robot, op):
                with pytest.raises(ConnectionClosed) as info:
                    async with asyncio.timeout(3000 * MS):
                        while True:
                            await ws.recv()
                assert info.value.rcvd is not None and info.value.rcvd.code == 1001
        assert await asyncio.wait_for(proc.wait(), 5) == 0


async def test_relay_with_config_checks_tokens(port: int, tmp_path: Path) -> None:
    config = tmp_path / "relay.toml"
    config.write_text(CONFIG)
    async with relay_process("--config", str(config), "--port", str(port)) as proc:
        url = f"ws://127.0.0.1:{port}"
        with pytest.raises(InvalidStatus) as info:
            await dial(f"{url}/robot/rover?token=rover-operator-token-4567")
        assert info.value.response.status_code == 401
        async with await dial(f"{url}/robot/rover?token=rover-robot-token-0123"):
            pass
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 5) == 0
        assert proc.stderr is not None
        log = (await proc.stderr.read()).decode()
    assert "rover-operator-token-4567" not in log and "rover-robot-token-0123" not in log
    assert "refused" in log


@pytest.mark.parametrize(("args", "says"), [
    (["--open", "--host", "0.0.0.0"], "loopback"),
    ([], "--config"),
    (["--open", "--config", "x.toml"], "exclude"),
    (["--config", "/nonexistent/relay.toml"], "cannot read"),
])
async def test_unusable_options_exit_2_with_a_clear_message(args: list[str], says: str) -> None:
    status, err = await run(*args)
    assert status == 2
    assert says in err and "Traceback" not in err


# ---------------------------------------------------------------- config rules


@pytest.mark.parametrize(("text", "says"), [
    ("robots = [", "not valid TOML"),
    ("[other]\nx = 1", "no [robots.<id>] table"),
    ('[robots."bad id"]\nrobot_token = "a"\noperator_token = "b"', "robot ids"),
    ('[robots.rover]\nrobot_token = "a"', "operator_token must be a non-empty string"),
    ('[robots.rover]\nrobot_token = "same"\noperator_token = "same"', "must differ"),
    ('[robots.rover]\nrobot_token = "a"\noperator_token = "b"\ntoken = "c"', "unknown key"),
])
def test_bad_config_says_what_is_wrong(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "relay.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_auth(path)
    assert says in str(info.value)


def test_config_tokens_open_only_their_own_endpoint(tmp_path: Path) -> None:
    path = tmp_path / "relay.toml"
    path.write_text(CONFIG)
    auth = load_auth(path)
    assert auth.refusal(Role.ROBOT, "rover", "rover-robot-token-0123") is None
    assert auth.refusal(Role.OPERATOR, "rover", "rover-operator-token-4567") is None
    assert auth.refusal(Role.OPERATOR, "rover", "rover-robot-token-0123") is not None
    assert auth.refusal(Role.ROBOT, "rover", "rover-operator-token-4567") is not None
    assert auth.refusal(Role.ROBOT, "rover", "ünïcode") == "wrong token"
    assert auth.refusal(Role.ROBOT, "ghost", "rover-robot-token-0123") == "unknown robot id"
    assert "rover-robot-token-0123" not in repr(auth)
    assert Auth.open_access().refusal(Role.ROBOT, "any", None) is None


def test_control_board_names_and_hand_over() -> None:
    board = ControlBoard()
    assert [board.join(None), board.join("ann"), board.join("ann"), board.join(None)] == [
        "op-1", "ann", "ann-2", "op-2",
    ]
    assert board.holder == "op-1"
    with pytest.raises(NotInControl):
        board.give("ann", "op-2")
    with pytest.raises(UnknownOperator):
        board.give("op-1", "bob")
    assert board.give("op-1", "ann") is True
    assert board.leave("op-1") is False  # not the holder any more: no stop
    assert board.leave("ann") is True
    assert board.holder is None
    assert board.view("op-2").operators == ("ann-2", "op-2")


def test_operator_rate_is_checked() -> None:
    from app.relay.cli import main

    assert main(["--open", "--operator-rate", "0"]) == 2
