"""Wire protocol v1: message types, validation, encoding and decoding.

No I/O happens here: `decode` turns one received text frame into a typed
message or raises a `ProtocolError` subclass; `encode` turns a message into
the compact JSON text to send. docs/protocol.md is the prose version of this
module; keep the two in step.

Every number the robot reads or writes is an integer (an 8-bit AVR does no
float parsing): wheel speeds are percent, analog values are raw ADC counts,
and the robot's `hello` gives each channel an integer ratio that turns counts
into units.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar, TypeAlias

import numpy as np
import numpy.typing as npt

from app.errors import InvalidField, MalformedJSON, OversizedMessage, UnknownType

PROTOCOL_VERSION = 1
SUBPROTOCOL = "robodeck.v1"
#: Largest frame either side accepts; a telemetry batch is far smaller.
MAX_MESSAGE_BYTES = 16 * 1024
MAX_CHANNELS = 16
MAX_BATCH_SAMPLES = 250
MAX_SEQ = 2**31 - 1
MAX_MS = 2**32 - 1
SPEED_LIMIT = 100
RATE_RANGE = (1, 1000)
TIMEOUT_RANGE_MS = (50, 10_000)
DEFAULT_TIMEOUT_MS = 500
MAX_TEXT = 120

Raw: TypeAlias = Mapping[str, Any]


@dataclass(frozen=True)
class Channel:
    """One analog channel: value in `unit` = (counts - off) * mul / div."""

    name: str
    unit: str
    mul: int = 1
    div: int = 1
    off: int = 0

    def to_units(self, counts: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Convert raw ADC counts to the channel's unit."""
        return (np.asarray(counts, dtype=np.float64) - self.off) * (self.mul / self.div)


@dataclass(frozen=True)
class Hello:
    """robot -> app, first message on every link: who the robot is."""

    TYPE: ClassVar[str] = "hello"
    id: str
    fw: str
    board: str
    channels: tuple[Channel, ...]
    rate: int
    timeout: int = DEFAULT_TIMEOUT_MS
    proto: int = PROTOCOL_VERSION


@dataclass(frozen=True)
class Drive:
    """app -> robot: wheel speeds in percent; newer `seq` wins."""

    TYPE: ClassVar[str] = "drive"
    l: int  # noqa: E741 - the wire name
    r: int
    seq: int


@dataclass(frozen=True)
class Stop:
    """app -> robot: motors off now; always applied, whatever its `seq`."""

    TYPE: ClassVar[str] = "stop"
    seq: int


@dataclass(frozen=True)
class Ping:
    """Either way: asks the peer for a `pong` with the same id."""

    TYPE: ClassVar[str] = "ping"
    id: int


@dataclass(frozen=True)
class Pong:
    """Answer to `ping`, echoing its id."""

    TYPE: ClassVar[str] = "pong"
    id: int


@dataclass(frozen=True)
class Cfg:
    """app -> robot: change sample rate and/or drive timeout (absent = keep)."""

    TYPE: ClassVar[str] = "cfg"
    rate: int | None = None
    timeout: int | None = None


@dataclass(frozen=True, eq=False)
class Tel:
    """robot -> app: a batch of samples.

    `seq` numbers the first sample (samples, not batches, so the app counts
    gaps exactly); `ms` is the robot clock at the first sample; `v` has one
    row per sample and one column per channel; `m` is the motor output as
    applied; `ack` is the seq of the last drive or stop applied.
    """

    TYPE: ClassVar[str] = "tel"
    seq: int
    ms: int
    v: npt.NDArray[np.int32]
    m: tuple[int, int]
    ack: int

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tel):
            return NotImplemented
        return (
            (self.seq, self.ms, self.m, self.ack) == (other.seq, other.ms, other.m, other.ack)
            and self.v.shape == other.v.shape
            and bool(np.array_equal(self.v, other.v))
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Err:
    """Either way: the peer sent something wrong; `code` is machine-readable."""

    TYPE: ClassVar[str] = "err"
    code: str
    msg: str


@dataclass(frozen=True)
class Presence:
    """relay -> app: the robot this operator watches went online or offline."""

    TYPE: ClassVar[str] = "presence"
    id: str
    online: bool


@dataclass(frozen=True)
class Control:
    """relay -> app: who holds control of the robot, and whether it is you."""

    TYPE: ClassVar[str] = "control"
    holder: str | None
    you: bool
    name: str
    operators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Take:
    """app -> relay: ask for control (granted if nobody holds it)."""

    TYPE: ClassVar[str] = "take"


@dataclass(frozen=True)
class Release:
    """app -> relay: give up control; the relay stops the robot."""

    TYPE: ClassVar[str] = "release"


@dataclass(frozen=True)
class Give:
    """app -> relay: the holder hands control to the operator named `to`."""

    TYPE: ClassVar[str] = "give"
    to: str


Message: TypeAlias = (
    Hello | Drive | Stop | Ping | Pong | Cfg | Tel | Err
    | Presence | Control | Take | Release | Give
)


# ---------------------------------------------------------------- validation


def _int(raw: Raw, t: str, name: str, lo: int, hi: int) -> int:
    if name not in raw:
        raise InvalidField(t, name, "missing")
    value = raw[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidField(t, name, f"must be an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise InvalidField(t, name, f"{value} is outside {lo}..{hi}")
    return value


def _opt_int(raw: Raw, t: str, name: str, lo: int, hi: int) -> int | None:
    """Absent means keep; present, even as null, it must be an integer, as the robot reads it."""
    return None if name not in raw else _int(raw, t, name, lo, hi)


def _str(raw: Raw, t: str, name: str, *, optional: bool = False) -> str:
    value = raw.get(name)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise InvalidField(t, name, "missing" if value is None else "must be a string")
    if len(value) > MAX_TEXT:
        raise InvalidField(t, name, f"longer than {MAX_TEXT} characters")
    return value


def _bool(raw: Raw, t: str, name: str) -> bool:
    value = raw.get(name)
    if not isinstance(value, bool):
        raise InvalidField(t, name, "missing" if value is None else "must be true or false")
    return value


def _list(raw: Raw, t: str, name: str, limit: int) -> list[Any]:
    value = raw.get(name)
    if not isinstance(value, list):
        raise InvalidField(t, name, "missing" if value is None else "must be a list")
    if len(value) > limit:
        raise InvalidField(t, name, f"more than {limit} entries")
    return value


def _channel(raw: Any, index: int) -> Channel:
    where = f"ch[{index}]"
    if not isinstance(raw, dict):
        raise InvalidField("hello", where, "must be an object")
    ch = Channel(
        name=_str(raw, "hello", "name"),
        unit=_str(raw, "hello", "unit", optional=True),
        mul=_int(raw, "hello", "mul", -(2**31), 2**31 - 1) if "mul" in raw else 1,
        div=_int(raw, "hello", "div", 1, 2**31 - 1) if "div" in raw else 1,
        off=_int(raw, "hello", "off", -(2**31), 2**31 - 1) if "off" in raw else 0,
    )
    return ch


def _hello(raw: Raw) -> Hello:
    t = "hello"
    channels = tuple(_channel(c, i) for i, c in enumerate(_list(raw, t, "ch", MAX_CHANNELS)))
    return Hello(
        proto=_int(raw, t, "proto", 1, 255),
        id=_str(raw, t, "id"),
        fw=_str(raw, t, "fw"),
        board=_str(raw, t, "board"),
        channels=channels,
        rate=_int(raw, t, "rate", *RATE_RANGE),
        timeout=_int(raw, t, "timeout", *TIMEOUT_RANGE_MS),
    )


def _samples(raw: Raw) -> npt.NDArray[np.int32]:
    rows = _list(raw, "tel", "v", MAX_BATCH_SAMPLES)
    if not rows:
        raise InvalidField("tel", "v", "holds no sample")
    width = len(rows[0]) if isinstance(rows[0], list) else -1
    if not 0 < width <= MAX_CHANNELS:
        raise InvalidField("tel", "v", f"rows must be lists of 1..{MAX_CHANNELS} integers")
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise InvalidField("tel", "v", "rows must all have the same length")
        for x in row:
            if isinstance(x, bool) or not isinstance(x, int) or not -(2**31) <= x < 2**31:
                raise InvalidField("tel", "v", "values must be 32-bit integers (ADC counts)")
    return np.array(rows, dtype=np.int32)


def _motors(raw: Raw) -> tuple[int, int]:
    m = _list(raw, "tel", "m", 2)
    if len(m) != 2:
        raise InvalidField("tel", "m", "must be [left, right]")
    pair = {"l": m[0], "r": m[1]}
    return (
        _int(pair, "tel", "l", -SPEED_LIMIT, SPEED_LIMIT),
        _int(pair, "tel", "r", -SPEED_LIMIT, SPEED_LIMIT),
    )


def _tel(raw: Raw) -> Tel:
    t = "tel"
    return Tel(
        seq=_int(raw, t, "seq", 0, MAX_SEQ),
        ms=_int(raw, t, "ms", 0, MAX_MS),
        v=_samples(raw),
        m=_motors(raw),
        ack=_int(raw, t, "ack", 0, MAX_SEQ),
    )


def _control(raw: Raw) -> Control:
    holder = raw.get("holder")
    if holder is not None and not isinstance(holder, str):
        raise InvalidField("control", "holder", "must be a string or null")
    ops = _list(raw, "control", "ops", 1000) if "ops" in raw else []
    if not all(isinstance(o, str) for o in ops):
        raise InvalidField("control", "ops", "must be a list of names")
    return Control(
        holder=holder, you=_bool(raw, "control", "you"), name=_str(raw, "control", "name"),
        operators=tuple(ops),
    )


def _speed(raw: Raw, name: str) -> int:
    return _int(raw, "drive", name, -SPEED_LIMIT, SPEED_LIMIT)


_PARSERS: dict[str, Callable[[Raw], Message]] = {
    "hello": _hello,
    "drive": lambda r: Drive(
        l=_speed(r, "l"), r=_speed(r, "r"), seq=_int(r, "drive", "seq", 0, MAX_SEQ)
    ),
    "stop": lambda r: Stop(seq=_int(r, "stop", "seq", 0, MAX_SEQ)),
    "ping": lambda r: Ping(id=_int(r, "ping", "id", 0, MAX_SEQ)),
    "pong": lambda r: Pong(id=_int(r, "pong", "id", 0, MAX_SEQ)),
    "cfg": lambda r: Cfg(
        rate=_opt_int(r, "cfg", "rate", *RATE_RANGE),
        timeout=_opt_int(r, "cfg", "timeout", *TIMEOUT_RANGE_MS),
    ),
    "tel": _tel,
    "err": lambda r: Err(code=_str(r, "err", "code"), msg=_str(r, "err", "msg", optional=True)),
    "presence": lambda r: Presence(
        id=_str(r, "presence", "id"), online=_bool(r, "presence", "online")
    ),
    "control": _control,
    "take": lambda r: Take(),
    "release": lambda r: Release(),
    "give": lambda r: Give(to=_str(r, "give", "to")),
}

MESSAGE_TYPES: frozenset[str] = frozenset(_PARSERS)


# ---------------------------------------------------------------- decode


def parse_object(frame: str | bytes) -> dict[str, Any]:
    """Check size and JSON shape of a frame and return the object, untyped.

    The relay uses this alone for frames it only routes, so a frame is
    parsed once and never re-encoded.
    """
    size = len(frame.encode() if isinstance(frame, str) else frame)
    if size > MAX_MESSAGE_BYTES:
        raise OversizedMessage(size, MAX_MESSAGE_BYTES)
    try:
        raw = json.loads(frame)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedJSON(f"not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise MalformedJSON(f"expected a JSON object, got {type(raw).__name__}")
    return raw


def message_type(raw: Raw) -> str:
    """Return the `t` of a parsed object, or raise UnknownType."""
    t = raw.get("t")
    if not isinstance(t, str) or t not in _PARSERS:
        shown = repr(t)[:40] if "t" in raw else "missing"
        raise UnknownType(f"unknown message type {shown}")
    return t


def from_object(raw: Raw) -> Message:
    """Validate an already parsed JSON object into a typed message."""
    return _PARSERS[message_type(raw)](raw)


def decode(frame: str | bytes) -> Message:
    """Decode one text frame, or raise a ProtocolError saying what is wrong."""
    return from_object(parse_object(frame))


# ---------------------------------------------------------------- encode


def _channel_obj(ch: Channel) -> dict[str, Any]:
    return {"name": ch.name, "unit": ch.unit, "mul": ch.mul, "div": ch.div, "off": ch.off}


def to_object(msg: Message) -> dict[str, Any]:
    """The JSON object for a message, `t` first."""
    obj: dict[str, Any] = {"t": msg.TYPE}
    match msg:
        case Hello():
            obj.update(
                proto=msg.proto, id=msg.id, fw=msg.fw, board=msg.board,
                ch=[_channel_obj(c) for c in msg.channels], rate=msg.rate, timeout=msg.timeout,
            )
        case Tel():
            obj.update(seq=msg.seq, ms=msg.ms, v=msg.v.tolist(), m=list(msg.m), ack=msg.ack)
        case Cfg():
            pairs = (("rate", msg.rate), ("timeout", msg.timeout))
            obj.update({k: v for k, v in pairs if v is not None})
        case Control():
            obj.update(holder=msg.holder, you=msg.you, name=msg.name, ops=list(msg.operators))
        case _:
            obj.update(_fields(msg))
    return obj


def _fields(msg: Message) -> dict[str, Any]:
    return {f.name: getattr(msg, f.name) for f in fields(msg)}


def encode(msg: Message) -> str:
    """Compact JSON text for one frame."""
    return json.dumps(to_object(msg), separators=(",", ":"))


def error_for(exc: Exception) -> Err:
    """The `err` message that tells a peer why its frame was refused."""
    code = getattr(exc, "code", "internal")
    return Err(code=str(code), msg=str(exc)[:MAX_TEXT])


__all__ = [
    "MAX_MESSAGE_BYTES", "MESSAGE_TYPES", "PROTOCOL_VERSION", "SUBPROTOCOL",
    "Cfg", "Channel", "Control", "Drive", "Err", "Give", "Hello", "Message", "Ping", "Pong",
    "Presence", "Release", "Stop", "Take", "Tel", "decode", "encode", "error_for",
    "from_object", "message_type", "parse_object", "to_object",
]
