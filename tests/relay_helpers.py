"""Peers for relay tests: websockets clients for robots and operators, and a raw
socket peer that completes the handshake and then reads only when told to.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import numpy as np
from conftest import MS, free_port
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from app import protocol as p
from app.relay import Auth, Relay, Tokens

AUTH = Auth(robots={
    "rover": Tokens(robot="rover-robot-token-0123", operator="rover-operator-token-4567"),
    "scout": Tokens(robot="scout-robot-token-89ab", operator="scout-operator-token-cdef"),
})


def hello(robot_id: str = "rover") -> str:
    return p.encode(p.Hello(
        id=robot_id, fw="test", board="host", rate=100,
        channels=(p.Channel("battery", "V", 15, 1023), p.Channel("light", "%", 100, 1023)),
    ))


def tel(seq: int, samples: int = 1, value: int = 512) -> str:
    rows = np.full((samples, 2), value, dtype=np.int32)
    return p.encode(p.Tel(seq=seq, ms=seq * 10, v=rows, m=(0, 0), ack=0))


async def dial(url: str, **kwargs: Any) -> ClientConnection:
    return await connect(
        url, compression=None, subprotocols=[Subprotocol(p.SUBPROTOCOL)],
        max_size=p.MAX_MESSAGE_BYTES, open_timeout=2, close_timeout=1, **kwargs,
    )


async def recv(ws: ClientConnection, timeout: float = 1000 * MS) -> dict[str, Any]:
    frame = await asyncio.wait_for(ws.recv(), timeout)
    obj = json.loads(frame)
    assert isinstance(obj, dict)
    return obj


async def until_text(ws: ClientConnection, t: str, timeout: float = 1000 * MS) -> str:
    """The next frame of type `t` as received, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            frame = await ws.recv()
            if json.loads(frame)["t"] == t:
                assert isinstance(frame, str)
                return frame


async def until(ws: ClientConnection, t: str, timeout: float = 1000 * MS) -> dict[str, Any]:
    """The next message of type `t`, skipping others."""
    obj = json.loads(await until_text(ws, t, timeout))
    assert isinstance(obj, dict)
    return obj


async def quiet(ws: ClientConnection, window: float = 100 * MS) -> list[dict[str, Any]]:
    """Everything that arrives within `window` (normally: nothing)."""
    got = []
    try:
        while True:
            got.append(await recv(ws, window))
    except TimeoutError:
        return got


class Peers:
    """Connects robots and operators to a relay; everything closes with the stack."""

    def __init__(self, relay: Relay, stack: AsyncExitStack, auth: Auth = AUTH) -> None:
        self.relay, self.stack, self.auth = relay, stack, auth

    async def robot(self, robot_id: str = "rover", *, send_hello: bool = True) -> ClientConnection:
        token = self.auth.robots[robot_id].robot if robot_id in self.auth.robots else "x"
        ws = await self.stack.enter_async_context(
            await dial(f"{self.relay.url}/robot/{robot_id}?token={token}")
        )
        if send_hello:
            await ws.send(hello(robot_id))
        return ws

    async def operator(self, robot_id: str = "rover", name: str | None = None) -> ClientConnection:
        """An operator with its connect-time messages (presence, hello, control) consumed."""
        token = self.auth.robots[robot_id].operator if robot_id in self.auth.robots else "x"
        query = f"?name={name}" if name else ""
        ws = await self.stack.enter_async_context(await dial(
            f"{self.relay.url}/client/{robot_id}{query}",
            additional_headers={"Authorization": f"Bearer {token}"},
        ))
        await until(ws, "control")
        return ws


class RawPeer:
    """A WebSocket client that reads its socket only when asked to, as a stuck peer would."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()

    @classmethod
    async def connect(cls, port: int, target: str, rcvbuf: int = 2048) -> RawPeer:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(sock, (
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {p.SUBPROTOCOL}\r\n\r\n"
        ).encode())
        response = b""
        while not response.endswith(b"\r\n\r\n"):  # byte by byte: leave frames in the socket
            response += await loop.sock_recv(sock, 1)
        assert response.startswith(b"HTTP/1.1 101"), response
        return cls(sock)

    async def messages(self, timeout: float = 1000 * MS) -> list[dict[str, Any]]:
        """Read until the socket has been quiet for `timeout`; decode every text frame."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                chunk = await asyncio.wait_for(loop.sock_recv(self.sock, 1 << 16), timeout)
            except TimeoutError:
                break
            if not chunk:
                break
            self._buffer += chunk
        return [json.loads(f) for f in self._frames()]

    def _frames(self) -> list[bytes]:
        frames, buf = [], self._buffer
        while len(buf) >= 2:
            size, start = buf[1] & 0x7F, 2
            if size == 126:
                size, start = int.from_bytes(buf[2:4]), 4
            elif size == 127:
                size, start = int.from_bytes(buf[2:10]), 10
            if len(buf) < start + size:
                break
            if buf[0] & 0x0F == 1:  # text frame (server frames are not masked)
                frames.append(bytes(buf[start:start + size]))
            del buf[:start + size]
        return frames

    async def send_text(self, text: str) -> None:
        """One masked text frame (with an all-zero mask, so the payload goes as is)."""
        payload = text.encode()
        assert len(payload) < 126
        header = bytes([0x81, 0x80 | len(payload)]) + bytes(4)
        await asyncio.get_running_loop().sock_sendall(self.sock, header + payload)

    def close(self) -> None:
        self.sock.close()


# ---------------------------------------------------------------- cluster: Redis and relay processes


def _wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.02)


class RedisServer:
    """Debian's redis-server on a free loopback port, nothing saved to disk."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait_until(self._answers, 10, f"redis-server on port {self.port} did not start")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class RelayProcess:
    """`python -m app.relay --open --redis URL` on a free port; its log goes to a file."""

    def __init__(self, redis_url: str, log: Path, *extra: str) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}"
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app.relay", "--open", "--port", str(self.port),
                 "--redis", redis_url, *extra],
                stderr=out, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )

    def said(self, text: str) -> bool:
        return text in self.log.read_text(errors="replace")

    def wait_joined(self, timeout: float = 15.0) -> None:
        """Until the relay listens and joined the cluster through Redis."""
        _wait_until(lambda: self.said("cluster: joined"), timeout,
                    f"relay on {self.port} did not join the cluster:\n{self.log.read_text()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()

