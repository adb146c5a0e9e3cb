"""Hostile input for the fuzz tests: mutated protocol messages, garbage, and
WebSocket frames and handshakes that break RFC 6455 in every way we could list.

Everything comes from a seeded `random.Random`, so a failing run can be
repeated exactly (the tests print their seed).
"""

from __future__ import annotations

import base64
import json
import os
import random
import struct
from typing import Any

from app import protocol as p

#: One valid object of each message type, the seeds of every mutation.
VALID: list[dict[str, Any]] = [
    {"t": "hello", "proto": 1, "id": "rover", "fw": "1", "board": "x", "rate": 100, "timeout": 500,
     "ch": [{"name": "battery", "unit": "V", "mul": 15, "div": 1023, "off": 0}]},
    {"t": "tel", "seq": 1, "ms": 10, "v": [[1, 2], [3, 4]], "m": [0, 0], "ack": 0},
    {"t": "drive", "l": 10, "r": -10, "seq": 5},
    {"t": "stop", "seq": 6},
    {"t": "ping", "id": 1},
    {"t": "pong", "id": 1},
    {"t": "cfg", "rate": 50, "timeout": 300},
    {"t": "err", "code": "bad_json", "msg": "x"},
    {"t": "take"}, {"t": "release"}, {"t": "give", "to": "op-1"},
    {"t": "presence", "id": "rover", "online": True},
    {"t": "control", "holder": None, "you": False, "name": "a", "ops": ["a"]},
]

_ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -(2**31) - 1, 2**31, 2**63, 10**400, float("nan"), "",
    "x" * 200, "\u0000\u202e\ufffd", [], [[]], {}, {"t": "drive"}, [1] * 300, "drive", "tel",
]


def odd_value(rng: random.Random) -> Any:
    """A JSON value of a shape or size no field expects."""
    return rng.choice(_ODD_VALUES)


def mutated(rng: random.Random) -> str:
    """A valid message with one to three things wrong with it, as JSON text."""
    obj = dict(rng.choice(VALID))
    for _ in range(rng.randint(1, 3)):
        key = rng.choice([*obj, "t", "extra", "seq"])
        action = rng.random()
        if action < 0.3 and key in obj:
            del obj[key]
        elif action < 0.8:
            obj[key] = odd_value(rng)
        else:
            obj[key] = rng.choice(VALID)  # a message inside a message
    text = json.dumps(obj, separators=(",", ":"), allow_nan=True)
    return _damage(rng, text) if rng.random() < 0.2 else text


def _damage(rng: random.Random, text: str) -> str:
    """Cut, splice or nest the text itself."""
    match rng.randrange(4):
        case 0:
            return text[: rng.randrange(len(text))]
        case 1:
            at = rng.randrange(len(text))
            return text[:at] + rng.choice(['"', "{", "]", ",", "\\", "\u00ff"]) + text[at:]
        case 2:
            return "[" * 5000 + "]" * 5000  # deep nesting, inside the size limit
        case _:
            return text.replace("}", ',"t":"drive"}', 1)  # a duplicate key


def garbage_text(rng: random.Random) -> str:
    size = rng.choice([0, 1, 10, 100, 1000])
    return "".join(chr(rng.choice([rng.randrange(32), rng.randrange(32, 0xD7FF)])) for _ in range(size))


def fuzz_message(rng: random.Random) -> str | bytes:
    """What a peer library can send on a well-formed WebSocket: text or binary, odd content."""
    roll = rng.random()
    if roll < 0.65:
        return mutated(rng)
    if roll < 0.8:
        return garbage_text(rng)
    if roll < 0.9:
        return rng.randbytes(rng.choice([1, 16, 300]))
    return p.encode(p.Ping(id=rng.randrange(p.MAX_SEQ)))  # valid ones, mixed in


# ---------------------------------------------------------------- raw frames (RFC 6455 section 5)


def frame(opcode: int, payload: bytes, *, fin: bool = True, rsv: int = 0, mask: bool = True,
          length: int | None = None) -> bytes:
    """One WebSocket frame, optionally lying about its length or leaving out the mask."""
    size = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if mask else 0
    if size < 126:
        head += bytes([bit | size])
    elif size < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", size)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", size)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def bad_frame(rng: random.Random) -> bytes:
    """A frame a conforming peer must refuse (and close the connection for)."""
    text = b'{"t":"ping","id":1}'
    choices = [
        frame(rng.choice([3, 4, 5, 6, 7, 11, 12, 13, 14, 15]), text),  # reserved opcode
        frame(1, text, rsv=rng.randint(1, 7)),  # RSV bits without an extension
        frame(1, text, mask=False),  # an unmasked client frame
        frame(9, b"x" * 126),  # a control frame over 125 bytes
        frame(9, b"x", fin=False),  # a fragmented control frame
        frame(0, text),  # a continuation with nothing to continue
        frame(1, b"\xff\xfe\xc0\x80"),  # text that is not UTF-8
        frame(1, text, length=2**63 - 1)[:40],  # an absurd length, then silence
        frame(8, b"\x03"),  # a close frame with a one-byte payload
        frame(8, struct.pack("!H", 999)),  # an invalid close code
        frame(1, b'{"t":', fin=False) + frame(1, b'"ping"}'),  # a new message inside a message
        rng.randbytes(rng.choice([1, 7, 64])),  # not a frame at all
    ]
    return rng.choice(choices)


# ---------------------------------------------------------------- raw handshakes (RFC 6455 section 4)


def upgrade_request(target: str, host: str = "127.0.0.1", extra: str = "") -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {p.SUBPROTOCOL}\r\n{extra}\r\n"
    ).encode()


def bad_handshake(rng: random.Random, target: str) -> bytes:
    """An opening handshake that is broken, cut short or absurd."""
    good = upgrade_request(target)
    choices = [
        rng.randbytes(rng.choice([1, 50, 500])),
        good[: rng.randrange(len(good))],  # cut short (the server must time it out)
        good.replace(b"Sec-WebSocket-Version: 13", b"Sec-WebSocket-Version: 8"),
        good.replace(b"Upgrade: websocket", b"Upgrade: h2c"),
        good.replace(b"GET ", b"POST "),
        good.replace(b"HTTP/1.1", b"HTTP/0.9"),
        good.replace(b"\r\n\r\n", b"\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n"),  # a huge header
        good.replace(b"\r\n\r\n", b"".join(b"\r\nX-%d: 1" % i for i in range(300)) + b"\r\n\r\n"),
        upgrade_request(target + "%00%ff" + "/.." * 50),
        upgrade_request("/robot/" + "a" * 5000),
        b"\r\n" * 100,
    ]
    return rng.choice(choices)


def seed() -> int:
    """A fresh seed for a run (printed by the test, so a failure can be replayed)."""
    return random.SystemRandom().randrange(2**32)
