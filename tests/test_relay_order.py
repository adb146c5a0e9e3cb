"""Frames read in one go keep their order and none is lost on the way.

A robot's frames are routed as they are parsed (RelayConnection.process_event):
whole frames overtake nothing that waits, fragments and bad UTF-8 take
websockets' own path (the flood limit over that path is in test_limits.py).
An operator's drives read in one go each reach the robot.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator

import pytest
from conftest import MS
from relay_helpers import AUTH, Peers, RawPeer, hello, quiet, tel, until
from test_limits import relay_with

from app import protocol as p

TEXT, CONT = 0x1, 0x0


def client_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A masked client frame with an all-zero key (so the payload goes as is)."""
    first = (0x80 if fin else 0) | opcode
    if len(payload) < 126:
        head = struct.pack("!BB", first, 0x80 | len(payload))
    else:
        head = struct.pack("!BBH", first, 0x80 | 126, len(payload))
    return head + bytes(4) + payload


def fragments(text: str, parts: int) -> bytes:
    """`text` as one message in `parts` frames: TEXT, CONT..., CONT with FIN."""
    data = text.encode()
    step = -(-len(data) // parts)
    pieces = [data[i:i + step] for i in range(0, len(data), step)]
    frames = [client_frame(TEXT if i == 0 else CONT, piece, fin=i == len(pieces) - 1)
              for i, piece in enumerate(pieces)]
    return b"".join(frames)


@pytest.fixture
async def peers() -> AsyncIterator[Peers]:
    async with relay_with() as default:
        yield default


async def raw_robot(peers: Peers) -> RawPeer:
    token = AUTH.robots["rover"].robot
    return await RawPeer.connect(peers.relay.port, f"/robot/rover?token={token}")


async def test_fragmented_and_whole_frames_reach_the_operator_in_the_order_sent(
    peers: Peers,
) -> None:
    op = await peers.operator()
    robot = await raw_robot(peers)
    try:
        # One write, so the relay parses them all from one read: the whole frames
        # after a fragmented message must not overtake it.
        burst = client_frame(TEXT, hello().encode())
        for seq in range(1, 41):
            text = tel(seq, samples=4)
            burst += fragments(text, 3) if seq % 4 == 1 else client_frame(TEXT, text.encode())
        await asyncio.get_running_loop().sock_sendall(robot.sock, burst)
        assert (await until(op, "hello"))["id"] == "rover"
        seqs = [(await until(op, "tel"))["seq"] for _ in range(40)]
        assert seqs == list(range(1, 41))
    finally:
        robot.close()


async def test_text_that_is_not_utf8_closes_the_robot_with_1007_and_spares_others(
    peers: Peers,
) -> None:
    scout, scout_op = await peers.robot("scout"), await peers.operator("scout")
    robot = await raw_robot(peers)
    try:
        loop = asyncio.get_running_loop()
        await loop.sock_sendall(robot.sock, client_frame(TEXT, b'{"t":"tel","x":"\xff\xfe"}'))
        assert await _close_code(robot) == 1007
    finally:
        robot.close()
    await scout.send(tel(5))
    assert (await until(scout_op, "tel"))["seq"] == 5


async def test_two_drives_read_in_one_go_both_reach_the_robot(peers: Peers) -> None:
    """As when a lagging relay reads drives sent 500 ms apart together (more than two
    within 1/drive_rate collapse to the newest by design: test_limits.py)."""
    robot = await peers.robot()
    token = AUTH.robots["rover"].operator
    op = await RawPeer.connect(peers.relay.port, f"/client/rover?token={token}")
    try:
        drives = b"".join(
            client_frame(TEXT, p.encode(p.Drive(l=20, r=20, seq=seq)).encode()) for seq in (1, 2)
        )
        await asyncio.get_running_loop().sock_sendall(op.sock, drives)
        got = [m["seq"] for m in await quiet(robot, 300 * MS) if m["t"] == "drive"]
        assert got == [1, 2], "a drive was replaced by the next one read with it"
    finally:
        op.close()


async def _close_code(peer: RawPeer, timeout: float = 2000 * MS) -> int | None:
    """Read raw frames until the relay's close frame; its code (None if the socket just ends)."""
    loop = asyncio.get_running_loop()
    data = b""
    async with asyncio.timeout(timeout):
        while True:
            chunk = await loop.sock_recv(peer.sock, 4096)
            if not chunk:
                return None
            data += chunk
            while len(data) >= 2 and len(data) >= 2 + (data[1] & 0x7F):
                opcode, size = data[0] & 0x0F, data[1] & 0x7F
                payload, data = data[2:2 + size], data[2 + size:]
                if opcode == 0x8:
                    return int.from_bytes(payload[:2]) if payload else None
