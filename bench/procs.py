"""Start and stop the helper processes a benchmark needs, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    """Return once something accepts TCP connections on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    """Terminate `proc`, and kill it if it has not exited within `timeout` s."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def python_process(args: Sequence[str]) -> Iterator[subprocess.Popen[bytes]]:
    """Run `python -m ...` from the project; terminate it on exit."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        stop(proc)


@contextlib.contextmanager
def redis_server(port: int) -> Iterator[tuple[str, int]]:
    """Debian's redis-server on 127.0.0.1:`port`, nothing saved; yields its URL and pid."""
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0", proc.pid
    finally:
        stop(proc)


@contextlib.contextmanager
def relay_process(port: int, log: str, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m app.relay --open` on `port`, logging to the file `log`; returns once
    it listens and, with --redis, once its log says it joined the cluster."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.relay", "--open", "--port", str(port), *extra],
            stderr=out, env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
    try:
        wait_for_port(port)
        deadline = time.monotonic() + 10
        while "--redis" in extra and "cluster: joined" not in Path(log).read_text():
            if time.monotonic() > deadline:
                raise TimeoutError(f"relay on {port} did not join the cluster")
            time.sleep(0.05)
        yield proc
    finally:
        stop(proc)
