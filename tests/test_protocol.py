"""Protocol v1: every message round-trips; every malformed frame is a typed error."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app import protocol as p
from app.errors import InvalidField, MalformedJSON, OversizedMessage, ProtocolError, UnknownType

HELLO = p.Hello(
    id="rover", fw="0.1.0", board="uno", rate=200, timeout=500,
    channels=(p.Channel("battery", "V", 15, 1023), p.Channel("light", "%", 100, 1023, 0)),
)
SAMPLES = [
    HELLO,
    p.Drive(l=60, r=-60, seq=7),
    p.Drive(l=-100, r=100, seq=p.MAX_SEQ),
    p.Stop(seq=0),
    p.Ping(id=3),
    p.Pong(id=3),
    p.Cfg(rate=1000),
    p.Cfg(timeout=250),
    p.Cfg(rate=50, timeout=800),
    p.Tel(seq=10, ms=2**32 - 1, v=np.array([[1, 2], [3, 4]], dtype=np.int32), m=(60, 60), ack=7),
    p.Err(code="bad_field", msg="drive.l: 101 is outside -100..100"),
    p.Presence(id="rover", online=False),
    p.Control(holder=None, you=False, name="op-2", operators=("op-1", "op-2")),
    p.Control(holder="op-1", you=True, name="op-1"),
    p.Take(),
    p.Release(),
    p.Give(to="op-2"),
]


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips(msg: p.Message) -> None:
    text = p.encode(msg)
    assert json.loads(text)["t"] == msg.TYPE
    assert p.decode(text) == msg
    assert p.decode(text.encode()) == msg


def test_every_type_has_a_sample() -> None:
    assert {m.TYPE for m in SAMPLES} == p.MESSAGE_TYPES


def test_channel_converts_counts_to_units() -> None:
    ch = p.Channel("battery", "V", mul=15, div=1023, off=0)
    assert ch.to_units([0, 1023]).tolist() == [0.0, 15.0]
    assert p.Channel("t", "C", mul=1, div=2, off=100).to_units(300)[()] == 100.0


BAD: list[tuple[object, type[ProtocolError], str]] = [
    ("{", MalformedJSON, ""),
    ("", MalformedJSON, ""),
    (b"\xff\xfe\x00", MalformedJSON, ""),
    ("[1, 2]", MalformedJSON, "object"),
    ('"drive"', MalformedJSON, "object"),
    ("[" * 100_00 + "]" * 100_00, OversizedMessage, ""),
    ("{}", UnknownType, "missing"),
    ('{"t": "fly"}', UnknownType, "fly"),
    ('{"t": 5}', UnknownType, ""),
    ('{"t": "drive", "l": 10, "r": 10}', InvalidField, "drive.seq"),
    ('{"t": "drive", "l": 101, "r": 0, "seq": 1}', InvalidField, "drive.l"),
    ('{"t": "drive", "l": 0, "r": -101, "seq": 1}', InvalidField, "drive.r"),
    ('{"t": "drive", "l": 1.5, "r": 0, "seq": 1}', InvalidField, "integer"),
    ('{"t": "drive", "l": true, "r": 0, "seq": 1}', InvalidField, "integer"),
    ('{"t": "drive", "l": "10", "r": 0, "seq": 1}', InvalidField, "integer"),
    ('{"t": "drive", "l": 0, "r": 0, "seq": -1}', InvalidField, "drive.seq"),
    ('{"t": "stop", "seq": 2147483648}', InvalidField, "stop.seq"),
    ('{"t": "ping"}', InvalidField, "ping.id"),
    ('{"t": "cfg", "rate": 0}', InvalidField, "cfg.rate"),
    ('{"t": "cfg", "rate": 5000}', InvalidField, "cfg.rate"),
    ('{"t": "cfg", "timeout": 10}', InvalidField, "cfg.timeout"),
    ('{"t": "cfg", "rate": null}', InvalidField, "cfg.rate"),
    ('{"t": "tel", "seq": 0, "ms": 0, "v": [], "m": [0, 0], "ack": 0}', InvalidField, "tel.v"),
    ('{"t": "tel", "seq": 0, "ms": 0, "v": [[1], [1, 2]], "m": [0, 0], "ack": 0}', InvalidField, "same length"),
    ('{"t": "tel", "seq": 0, "ms": 0, "v": [[1.5]], "m": [0, 0], "ack": 0}', InvalidField, "integers"),
    ('{"t": "tel", "seq": 0, "ms": 0, "v": [1, 2], "m": [0, 0], "ack": 0}', InvalidField, "rows"),
    ('{"t": "tel", "seq": 0, "ms": 0, "v": [[1]], "m": [0], "ack": 0}', InvalidField, "tel.m"),
    ('{"t": "tel", "seq": 0, "ms": 0, "v": [[1]], "m": [0, 300], "ack": 0}', InvalidField, "tel.r"),
    ('{"t": "tel", "seq": 0, "ms": -5, "v": [[1]], "m": [0, 0], "ack": 0}', InvalidField, "tel.ms"),
    ('{"t": "hello", "proto": 1, "id": "x", "fw": "1", "board": "b", "ch": "no", "rate": 5,'
     ' "timeout": 500}', InvalidField, "hello.ch"),
    ('{"t": "hello", "proto": 1, "id": "x", "fw": "1", "board": "b", "ch": [{"unit": "V"}],'
     ' "rate": 5, "timeout": 500}', InvalidField, "hello.name"),
    ('{"t": "hello", "proto": 1, "id": "x", "fw": "1", "board": "b",'
     ' "ch": [{"name": "a", "div": 0}], "rate": 5, "timeout": 500}', InvalidField, "hello.div"),
    ('{"t": "presence", "id": "x", "online": "yes"}', InvalidField, "presence.online"),
    ('{"t": "give"}', InvalidField, "give.to"),
    ('{"t": "err", "code": 1}', InvalidField, "err.code"),
]


@pytest.mark.parametrize(("frame", "error", "words"), BAD)
def test_malformed_input_gives_typed_error(frame: str | bytes, error: type[ProtocolError], words: str) -> None:
    with pytest.raises(error) as info:
        p.decode(frame)
    assert words in str(info.value)
    reply = p.error_for(info.value)
    assert reply.code == error.code
    assert p.decode(p.encode(reply)) == reply


def test_oversized_frame_is_refused_before_parsing() -> None:
    frame = json.dumps({"t": "err", "code": "x", "msg": "y" * p.MAX_MESSAGE_BYTES})
    with pytest.raises(OversizedMessage) as info:
        p.decode(frame)
    assert info.value.limit == p.MAX_MESSAGE_BYTES
    assert info.value.code == "too_big"


def test_hello_without_timeout_is_refused_but_extra_keys_are_ignored() -> None:
    obj = p.to_object(HELLO)
    obj["future_field"] = [1, 2, 3]
    assert p.decode(json.dumps(obj)) == HELLO
    del obj["timeout"]
    with pytest.raises(InvalidField):
        p.decode(json.dumps(obj))
