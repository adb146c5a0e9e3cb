"""Property tests of the protocol decoder: whatever arrives, `decode` returns a
valid message or raises a ProtocolError with a code for the `err` reply;
whatever it accepts survives a round trip unchanged.
"""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
from fuzz_frames import VALID, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import protocol as p
from app.errors import OversizedMessage, ProtocolError

FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

seqs = st.integers(0, p.MAX_SEQ)
speeds = st.integers(-p.SPEED_LIMIT, p.SPEED_LIMIT)
texts = st.text(max_size=p.MAX_TEXT)
int32 = st.integers(-(2**31), 2**31 - 1)

channels = st.builds(
    p.Channel, name=texts, unit=texts, mul=int32, div=st.integers(1, 2**31 - 1), off=int32
)
samples = st.integers(1, p.MAX_CHANNELS).flatmap(
    lambda width: st.lists(st.lists(int32, min_size=width, max_size=width), min_size=1, max_size=20)
)

messages: st.SearchStrategy[p.Message] = st.one_of(
    st.builds(p.Hello, id=texts, fw=texts, board=texts,
              channels=st.lists(channels, max_size=p.MAX_CHANNELS).map(tuple),
              rate=st.integers(*p.RATE_RANGE), timeout=st.integers(*p.TIMEOUT_RANGE_MS),
              proto=st.integers(1, 255)),
    st.builds(p.Drive, l=speeds, r=speeds, seq=seqs),
    st.builds(p.Stop, seq=seqs),
    st.builds(p.Ping, id=seqs),
    st.builds(p.Pong, id=seqs),
    st.builds(p.Cfg, rate=st.none() | st.integers(*p.RATE_RANGE),
              timeout=st.none() | st.integers(*p.TIMEOUT_RANGE_MS)),
    st.builds(p.Tel, seq=seqs, ms=st.integers(0, p.MAX_MS),
              v=samples.map(lambda rows: np.array(rows, dtype=np.int32)),
              m=st.tuples(speeds, speeds), ack=seqs),
    st.builds(p.Err, code=texts, msg=texts),
    st.builds(p.Presence, id=texts, online=st.booleans()),
    st.builds(p.Control, holder=st.none() | texts, you=st.booleans(), name=texts,
              operators=st.lists(texts, max_size=5).map(tuple)),
    st.just(p.Take()), st.just(p.Release()),
    st.builds(p.Give, to=texts),
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def decodes_or_refuses(frame: str | bytes) -> p.Message | None:
    """The decoder's whole contract for one frame; returns the message if accepted."""
    try:
        msg = p.decode(frame)
    except ProtocolError as exc:
        assert exc.code in {"bad_json", "too_big", "bad_type", "bad_field"}
        err = p.error_for(exc)
        assert p.decode(p.encode(err)) == err, "the err reply must itself be valid"
        return None
    assert p.decode(p.encode(msg)) == msg, "an accepted frame must round-trip"
    return msg


@FAST
@given(messages)
def test_every_message_round_trips(msg: p.Message) -> None:
    assert p.decode(p.encode(msg)) == msg


@FAST
@given(st.text(max_size=300) | st.binary(max_size=300))
def test_any_text_or_bytes_is_decoded_or_refused(frame: str | bytes) -> None:
    decodes_or_refuses(frame)


@FAST
@given(st.dictionaries(st.sampled_from(["t", "l", "r", "seq", "id", "v", "m", "ch", "rate"]) | st.text(max_size=5),
                       json_values, max_size=8),
       st.sampled_from(sorted(p.MESSAGE_TYPES)))
def test_any_json_object_of_any_type_is_decoded_or_refused(obj: dict[str, Any], t: str) -> None:
    obj["t"] = t
    decodes_or_refuses(json.dumps(obj))


@FAST
@given(st.randoms(use_true_random=False))
def test_mutated_messages_are_decoded_or_refused(rng: random.Random) -> None:
    decodes_or_refuses(mutated(rng))


@FAST
@given(st.sampled_from(VALID), st.sampled_from(["", " ", "\n"]))
def test_whitespace_and_key_order_do_not_matter(obj: dict[str, Any], pad: str) -> None:
    compact = p.decode(json.dumps(obj))
    shuffled = dict(reversed(list(obj.items())))
    assert p.decode(pad + json.dumps(shuffled, indent=1) + pad) == compact


def test_frames_over_the_limit_are_refused_before_parsing() -> None:
    huge = '{"t":"ping","id":1,"pad":"' + "x" * p.MAX_MESSAGE_BYTES + '"}'
    try:
        p.decode(huge)
    except OversizedMessage as exc:
        assert exc.size > exc.limit == p.MAX_MESSAGE_BYTES
    else:
        raise AssertionError("an oversized frame was accepted")


def test_deep_nesting_and_huge_numbers_are_refused_not_crashed() -> None:
    for frame in ("[" * 16000, '{"t":"ping","id":' + "9" * 5000 + "}", '{"t":"drive","l":1e999,"r":0,"seq":1}'):
        assert decodes_or_refuses(frame) is None
