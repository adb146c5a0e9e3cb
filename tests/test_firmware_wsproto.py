"""The firmware's WebSocket code against wsproto, an independent RFC 6455
implementation, as both the relay the robot dials and the app that dials it.

Two implementations that agree on the wire are the check that ours is not
only consistent with itself: fragments, control frames, close codes and
masking are all judged by wsproto here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import MS
from firmware_helpers import (
    LINK_TIMEOUT_MS,
    Firmware,
    StartFirmware,
)
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Event,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)

pytestmark = pytest.mark.timeout(20)


SUBPROTOCOL = "robodeck.v1"


class Peer:
    """One wsproto connection over an asyncio stream; answers pings unless told not to."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, kind: ConnectionType) -> None:
        self.reader, self.writer = reader, writer
        self.ws = WSConnection(kind)
        self.events: list[Event] = []
        self.auto_pong = True
        self.pongs: list[bytes] = []
        self.eof = False

    def send(self, event: Event) -> None:
        self.writer.write(self.ws.send(event))

    async def next(self, timeout: float = 2000 * MS) -> Event:
        async with asyncio.timeout(timeout):
            while not self.events:
                if self.eof:
                    raise EOFError("the robot closed the connection")
                data = await self.reader.read(65536)
                self.eof = not data
                self.ws.receive_data(data or None)
                for event in self.ws.events():
                    if isinstance(event, Ping) and self.auto_pong:
                        self.send(event.response())
                    else:
                        self.events.append(event)
        return self.events.pop(0)

    async def message(self, timeout: float = 2000 * MS) -> dict[str, Any]:
        """The next whole text message, as JSON (pongs are noted, others unexpected)."""
        text = ""
        while True:
            event = await self.next(timeout)
            if isinstance(event, Pong):
                self.pongs.append(event.payload)
                continue
            assert isinstance(event, TextMessage), event
            text += event.data
            if event.message_finished:
                obj = json.loads(text)
                assert isinstance(obj, dict)
                return obj

    async def message_of(self, t: str, timeout: float = 2000 * MS) -> dict[str, Any]:
        """The next message of type `t`, skipping telemetry and others."""
        async with asyncio.timeout(timeout):
            while (msg := await self.message()).get("t") != t:
                pass
        return msg

    def send_json(self, obj: dict[str, Any]) -> None:
        self.send(TextMessage(data=json.dumps(obj, separators=(",", ":"))))

    def abort(self) -> None:
        self.writer.transport.abort()


class FakeRelay:
    """A TCP server on 127.0.0.1 whose connections are handed to the test."""

    def __init__(self) -> None:
        self.incoming: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
        self.server: asyncio.Server | None = None
        self.peers: list[Peer] = []

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def accept(self, timeout: float = 3000 * MS) -> tuple[Peer, Request]:
        """The robot's next connection, upgraded with our subprotocol."""
        reader, writer = await asyncio.wait_for(self.incoming.get(), timeout)
        peer = Peer(reader, writer, ConnectionType.SERVER)
        self.peers.append(peer)
        request = await peer.next()
        assert isinstance(request, Request)
        peer.send(AcceptConnection(subprotocol=SUBPROTOCOL))
        return peer, request


@pytest.fixture
async def fake_relay() -> AsyncIterator[FakeRelay]:
    relay = FakeRelay()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await relay.incoming.put((reader, writer))

    relay.server = await asyncio.start_server(handle, "127.0.0.1", 0)
    yield relay
    relay.server.close()
    for peer in relay.peers:
        peer.abort()
    await relay.server.wait_closed()


async def driving_robot(
    relay: FakeRelay, start_firmware: StartFirmware, robot_id: str, speed: int
) -> tuple[Firmware, Peer]:
    """A robot connected to `relay`, said hello, and driving at `speed` (0: not driving)."""
    fw = await start_firmware("--relay", relay.url, "--id", robot_id)
    peer, _ = await relay.accept()
    await peer.message_of("hello")
    if speed:
        peer.send_json({"t": "drive", "l": speed, "r": speed, "seq": 1})
        await fw.motors(speed, speed)
    return fw, peer


async def test_handshake_and_hello(fake_relay: FakeRelay, start_firmware: StartFirmware) -> None:
    await start_firmware("--relay", fake_relay.url, "--id", "fw-5", "--token", "t o&k")
    peer, request = await fake_relay.accept()
    assert request.target == "/robot/fw-5?token=t%20o%26k"
    assert request.subprotocols == [SUBPROTOCOL]
    hello = await peer.message()
    assert hello["t"] == "hello" and hello["id"] == "fw-5" and hello["proto"] == 1
    assert len(hello["ch"]) == 8 and hello["rate"] == 100 and hello["timeout"] == 500
    tel = await peer.message()
    assert tel["t"] == "tel" and tel["m"] == [0, 0] and tel["ack"] == 0


async def test_control_frames_fragments_and_bad_messages(
    fake_relay: FakeRelay, start_firmware: StartFirmware
) -> None:
    fw, peer = await driving_robot(fake_relay, start_firmware, "fw6", 0)

    peer.send(Ping(payload=b"abc"))
    while not isinstance(event := await peer.next(), Pong):
        assert isinstance(event, TextMessage)  # telemetry keeps coming
    assert event.payload == b"abc"

    # A drive in three fragments with a ping between them (RFC 6455 5.4).
    frame = json.dumps({"t": "drive", "l": 40, "r": 45, "seq": 3})
    peer.send(TextMessage(data=frame[:5], message_finished=False))
    peer.send(Ping(payload=b"mid"))
    peer.send(TextMessage(data=frame[5:12], message_finished=False))
    peer.send(TextMessage(data=frame[12:], message_finished=True))
    await fw.motors(40, 45)
    tel = await peer.message_of("tel")
    while tel["ack"] != 3:
        tel = await peer.message_of("tel")
    assert tel["m"] == [40, 45]
    assert peer.pongs == [b"mid"]

    peer.send_json({"t": "ping", "id": 9})
    assert (await peer.message_of("pong"))["id"] == 9
    peer.send(TextMessage(data="not json"))
    assert (await peer.message_of("err"))["code"] == "bad_json"
    peer.send_json({"t": "warp"})
    assert (await peer.message_of("err"))["code"] == "bad_type"
    peer.send_json({"t": "drive", "l": 500, "r": 0, "seq": 4})
    err = await peer.message_of("err")
    assert (err["code"], err["msg"]) == ("bad_field", "drive.l: out of range")
    peer.send_json({"t": "drive", "l": 10, "r": 10, "seq": 2})  # older than 3: ignored
    peer.send_json({"t": "cfg", "rate": 250})
    assert (await peer.message_of("hello"))["rate"] == 250
    assert (await peer.message_of("tel"))["m"] == [40, 45]


async def test_oversized_frame_closes_1009_and_robot_reconnects(
    fake_relay: FakeRelay, start_firmware: StartFirmware
) -> None:
    fw, peer = await driving_robot(fake_relay, start_firmware, "fw7", 20)
    peer.send(TextMessage(data="x" * 2000))  # the host build's buffer is 1024 bytes
    assert (await peer.message_of("err"))["code"] == "too_big"
    event = await peer.next()
    assert isinstance(event, CloseConnection) and event.code == 1009
    await fw.motors(0, 0, 300 * MS)
    again, _ = await fake_relay.accept()
    assert (await again.message_of("hello"))["id"] == "fw7"


async def test_abrupt_link_loss_stops_motors_at_once(
    fake_relay: FakeRelay, start_firmware: StartFirmware
) -> None:
    fw, peer = await driving_robot(fake_relay, start_firmware, "fw8", 90)
    pulled = time.monotonic()
    peer.abort()  # a cable pull as the robot sees it: a reset, no close frame
    off = await fw.motors(0, 0, 400 * MS)
    assert off.t - pulled < 100 * MS + 0.05
    again, _ = await fake_relay.accept()
    await again.message_of("hello")
    tel = await again.message_of("tel")
    assert (tel["m"], tel["ack"]) == ([0, 0], 0)  # stopped until a fresh drive


async def test_silent_link_is_detected_by_ping_timeout(
    fake_relay: FakeRelay, start_firmware: StartFirmware
) -> None:
    fw, peer = await driving_robot(fake_relay, start_firmware, "fw9", 0)
    peer.auto_pong = False  # the peer is still there but answers nothing
    silent_since = time.monotonic()
    line = await fw.expect_line("link down: link silent", (LINK_TIMEOUT_MS + 1500) * MS)
    assert LINK_TIMEOUT_MS / 1000 * 0.9 <= line.t - silent_since <= LINK_TIMEOUT_MS / 1000 + 300 * MS
    seen: list[Event] = []
    with contextlib.suppress(EOFError, TimeoutError):
        while True:
            seen.append(await peer.next(500 * MS))
    assert any(isinstance(e, Ping) for e in seen), "the robot pinged the quiet peer first"


async def test_app_side_wsproto_client_in_direct_mode(start_firmware: StartFirmware) -> None:
    fw = await start_firmware("--listen", "127.0.0.1:0")
    port = int((await fw.expect(r"listening 127\.0\.0\.1:(\d+)")).group(1))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    app = Peer(reader, writer, ConnectionType.CLIENT)
    app.send(Request(host=f"127.0.0.1:{port}", target="/", subprotocols=[SUBPROTOCOL]))
    accepted = await app.next()
    assert isinstance(accepted, AcceptConnection) and accepted.subprotocol == SUBPROTOCOL
    assert (await app.message())["t"] == "hello"
    app.send_json({"t": "drive", "l": 15, "r": -15, "seq": 1})  # wsproto masks client frames
    await fw.motors(15, -15)
    app.send(CloseConnection(code=1000))
    while not isinstance(event := await app.next(), CloseConnection):
        pass
    assert event.code == 1000
    await fw.motors(0, 0, 300 * MS)
    writer.close()

    # Without the subprotocol the robot refuses the upgrade.
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    app = Peer(reader, writer, ConnectionType.CLIENT)
    app.send(Request(host=f"127.0.0.1:{port}", target="/"))
    refused = await app.next()
    assert isinstance(refused, RejectConnection) and refused.status_code == 400
    writer.close()
