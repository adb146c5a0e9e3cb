"""Telemetry ring: robot-clock times, gaps, wrap-arounds and peak-keeping plots."""

from __future__ import annotations

import numpy as np
import pytest

from app.errors import InvalidField
from app.protocol import Channel, Hello, Tel
from app.telemetry import TelemetryBuffer

VOLTS = Channel("battery", "V", mul=15, div=1023, off=0)
AMPS = Channel("current", "A", mul=5, div=512, off=512)


def hello(rate: int = 100, channels: tuple[Channel, ...] = (VOLTS, AMPS)) -> Hello:
    return Hello(id="rover", fw="1", board="sim", channels=channels, rate=rate)


def tel(seq: int, ms: int, rows: list[list[int]] | np.ndarray) -> Tel:
    return Tel(seq=seq, ms=ms, v=np.asarray(rows, dtype=np.int32), m=(0, 0), ack=0)


def fill(buf: TelemetryBuffer, values: np.ndarray, batch: int = 250, seq: int = 0, ms: int = 0) -> None:
    """Append `values` (n, nch) counts in batches, on a gap-free 1000/rate ms clock."""
    step = 1000 // buf.rate
    for i in range(0, len(values), batch):
        buf.append(tel(seq + i, ms + i * step, values[i : i + batch]))


def test_samples_get_robot_clock_times_and_units() -> None:
    buf = TelemetryBuffer(hello(rate=100))
    times, values = buf.append(tel(0, 2000, [[1023, 512], [0, 1024]]))
    assert times.tolist() == [2.0, 2.01]
    assert np.allclose(values, [[15.0, 0.0], [0.0, 5.0]])
    t, v = buf.window(10.0)
    assert t.tolist() == [2.0, 2.01] and v.tolist() == values.tolist()
    assert buf.latest_time == 2.01 and buf.total_samples == 2


def test_ring_keeps_only_the_newest_capacity_samples() -> None:
    buf = TelemetryBuffer(hello(rate=100, channels=(VOLTS,)), seconds=1.0)
    n = buf.capacity * 2 + 123
    fill(buf, np.arange(n).reshape(-1, 1) % 1000)
    t, v = buf.window(1e9, max_points=10**9)
    assert len(t) == buf.capacity
    assert t[-1] == pytest.approx((n - 1) * 0.01)
    assert np.all(np.diff(t) > 0), "oldest first, across the ring's seam"
    expected = VOLTS.to_units(np.arange(n - buf.capacity, n) % 1000)
    assert np.allclose(v[:, 0], expected)


def test_seq_gaps_count_the_missing_samples() -> None:
    buf = TelemetryBuffer(hello())
    buf.append(tel(0, 0, [[1, 1]] * 10))
    buf.append(tel(10, 100, [[1, 1]] * 10))
    buf.append(tel(25, 250, [[1, 1]] * 5))  # samples 20..24 never arrived
    buf.append(tel(30, 300, [[1, 1]] * 5))
    assert (buf.dropped_samples, buf.total_samples) == (5, 30)
    buf.append(tel(0, 400, [[1, 1]]))  # a fresh link numbers from 0 again: nothing lost
    assert buf.dropped_samples == 5


def test_seq_gap_across_the_seq_wrap() -> None:
    buf = TelemetryBuffer(hello())
    buf.append(tel(2**31 - 4, 0, [[1, 1]] * 2))
    buf.append(tel(1, 20, [[1, 1]] * 2))
    assert buf.dropped_samples == 3


def test_robot_clock_wrap_keeps_time_going_forward() -> None:
    buf = TelemetryBuffer(hello(rate=100))
    near_end = 2**32 - 15
    buf.append(tel(0, near_end, [[1, 1]] * 3))
    buf.append(tel(3, (near_end + 30) % 2**32, [[1, 1]] * 3))
    t, _ = buf.window(10.0)
    assert np.allclose(np.diff(t), 0.01)
    assert t[-1] == pytest.approx((near_end + 50) / 1000)


def test_a_rebooted_robot_continues_the_time_axis() -> None:
    buf = TelemetryBuffer(hello(rate=100))
    buf.append(tel(500, 60_000, [[1, 1]] * 5))
    buf.append(tel(0, 10, [[2, 2]] * 5))  # rebooted: seq and clock start over
    t, _ = buf.window(100.0)
    assert np.all(np.diff(t) > 0)
    assert t[5] == pytest.approx(60.05)
    assert buf.dropped_samples == 0


def test_batch_of_the_wrong_width_is_refused() -> None:
    buf = TelemetryBuffer(hello())
    with pytest.raises(InvalidField, match="hello announced 2"):
        buf.append(tel(0, 0, [[1, 2, 3]]))
    assert buf.total_samples == 0


def test_window_selects_the_last_seconds() -> None:
    buf = TelemetryBuffer(hello(rate=100))
    fill(buf, np.zeros((1000, 2), dtype=np.int32))  # 0.00 .. 9.99 s
    t, v = buf.window(2.0)
    assert t[0] == pytest.approx(7.99) and t[-1] == pytest.approx(9.99)
    assert v.shape == (201, 2)


def test_decimation_keeps_a_single_sample_spike_and_the_bounds() -> None:
    rng = np.random.default_rng(7)
    buf = TelemetryBuffer(hello(rate=1000), seconds=60)
    counts = rng.integers(400, 600, size=(50_000, 2), dtype=np.int32)
    counts[31_337, 0] = 1023
    counts[40_001, 1] = 0
    fill(buf, counts)
    t, v = buf.window(50.0, max_points=500)
    assert len(t) <= 500 and len(t) >= 250
    assert v[:, 0].max() == pytest.approx(15.0), "one-sample spike survives"
    assert v[:, 1].min() == pytest.approx(AMPS.to_units(0))
    raw = np.column_stack([VOLTS.to_units(counts[:, 0]), AMPS.to_units(counts[:, 1])])
    assert np.allclose(v.min(axis=0), raw.min(axis=0))
    assert np.allclose(v.max(axis=0), raw.max(axis=0))
    assert np.all(np.diff(t) >= 0)
    spike_time = t[np.argmax(v[:, 0])]
    assert abs(spike_time - 31.337) < 50.0 / 250 * 2, "the spike is drawn where it happened"


def test_each_bucket_is_the_exact_min_and_max_of_its_samples() -> None:
    rng = np.random.default_rng(3)
    buf = TelemetryBuffer(hello(rate=1000, channels=(VOLTS,)), seconds=20)
    counts = rng.integers(0, 1024, size=(12_345, 1), dtype=np.int32)
    fill(buf, counts, batch=37)
    t, v = buf.window(30.0, max_points=200)
    all_t = np.arange(len(counts)) / 1000
    units = VOLTS.to_units(counts[:, 0])
    starts = t[0::2]
    for i, t0 in enumerate(starts):
        t1 = starts[i + 1] if i + 1 < len(starts) else np.inf
        inside = units[(all_t >= t0 - 1e-9) & (all_t < t1 - 1e-9)]
        assert (v[2 * i, 0], v[2 * i + 1, 0]) == pytest.approx((inside.min(), inside.max()))


def test_window_cost_does_not_grow_with_its_length() -> None:
    """Ten minutes at 1 kHz x 8 channels: a long window reads as few rows as a short one."""
    channels = tuple(Channel(f"a{i}", "V") for i in range(8))
    buf = TelemetryBuffer(hello(rate=1000, channels=channels), seconds=600)
    block = np.tile(np.arange(250, dtype=np.int32).reshape(-1, 1), (1, 8))
    fill(buf, np.tile(block, (2400, 1)))
    assert buf.total_samples == 600_000
    rows = {}
    for seconds in (10, 60, 300, 600):
        t, _ = buf.window(seconds, max_points=4000)
        assert 1000 < len(t) <= 4000
        rows[seconds] = buf.last_window_rows
    assert max(rows.values()) <= 4 * 4000, rows
    assert rows[600] <= 2 * rows[10], rows


def test_a_scrolling_window_keeps_its_bucket_edges() -> None:
    buf = TelemetryBuffer(hello(rate=1000, channels=(VOLTS,)), seconds=60)
    fill(buf, np.zeros((30_000, 1), dtype=np.int32))
    before, _ = buf.window(20.0, max_points=400)
    fill(buf, np.zeros((1_000, 1), dtype=np.int32), seq=30_000, ms=30_000)
    after, _ = buf.window(20.0, max_points=400)
    common = np.intersect1d(before[2:], after)
    assert len(common) >= len(np.unique(before)) * 0.8


def test_value_at_returns_the_nearest_sample() -> None:
    buf = TelemetryBuffer(hello(rate=100))
    assert buf.value_at(1.0) is None
    buf.append(tel(0, 1000, [[0, 512], [1023, 512], [0, 1024]]))
    assert buf.value_at(1.009) == pytest.approx([15.0, 0.0])
    assert buf.value_at(0.0) == pytest.approx([0.0, 0.0])
    assert buf.value_at(99.0) == pytest.approx([0.0, 5.0])


def test_clear_forgets_samples_and_counters() -> None:
    buf = TelemetryBuffer(hello())
    buf.append(tel(0, 0, [[1, 1]]))
    buf.append(tel(5, 50, [[1, 1]]))
    buf.clear()
    assert (buf.total_samples, buf.dropped_samples, buf.latest_time) == (0, 0, None)
    assert buf.window(10.0)[0].size == 0
