"""A bounded history of a robot's samples, cheap to append and cheap to plot.

Samples live in one pre-allocated ring (time, and a row of channel values in
their units), so memory is fixed by the robot's `hello` and never grows. A
plot of the last ten minutes at 1 kHz holds 600 000 rows per channel; drawing
that 60 times a second by scanning it would eat a core. So beside the ring we
keep min/max summaries of fixed blocks of 8, 64, 512 and 4096 samples,
updated as each batch arrives; `window()` reads the coarsest summary that
still gives the requested resolution, so its cost depends on `max_points`,
not on the length of the window. Min/max (rather than averaging or picking
every n-th sample) keeps a one-sample spike visible at any zoom.

Time comes from the robot's clock, not the app's: the first sample of a batch
is stamped `ms`, later ones are `1000/rate` ms apart. The 32-bit millisecond
clock wraps after 49 days and is unwrapped here; a robot that reboots (clock
far behind) is rebased so time on the plot keeps going forward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.errors import InvalidField
from app.protocol import MAX_MS, MAX_SEQ, Channel, Hello, Tel

Floats = npt.NDArray[np.float64]

#: Block sizes of the min/max summaries; each is 8 blocks of the one before.
BLOCK_SIZES = (8, 64, 512, 4096)
_MS_WRAP = MAX_MS + 1
_SEQ_WRAP = MAX_SEQ + 1
#: A robot clock this far behind the newest sample means the robot rebooted.
CLOCK_JUMP_S = 1.0


class GapCounter:
    """Counts samples lost in transit from the per-sample `seq` of each batch.

    A seq that goes back (a new link, a rebooted robot) starts counting
    afresh rather than being read as two billion lost samples.
    """

    def __init__(self) -> None:
        self.dropped = 0
        self._next: int | None = None

    def feed(self, seq: int, n: int) -> int:
        """Note a batch of `n` samples starting at `seq`; return how many were skipped."""
        gap = 0
        if self._next is not None:
            gap = (seq - self._next) % _SEQ_WRAP
            if gap >= _SEQ_WRAP // 2:
                gap = 0
        self.dropped += gap
        self._next = (seq + n) % _SEQ_WRAP
        return gap


@dataclass
class _Level:
    """Min and max per channel of consecutive blocks of `block` samples.

    Row j % rows holds block j (samples j*block .. j*block+block-1); the raw
    ring is the level with block 1, whose min and max are the values.
    """

    block: int
    lo: Floats
    hi: Floats

    @property
    def rows(self) -> int:
        return len(self.lo)


class TelemetryBuffer:
    """The last `seconds` of samples of one robot, in units, on its clock."""

    def __init__(self, hello: Hello, seconds: float = 600.0) -> None:
        self.hello = hello
        self.channels: tuple[Channel, ...] = hello.channels
        self.rate = hello.rate
        top = BLOCK_SIZES[-1]
        self.capacity = math.ceil(max(1.0, seconds * hello.rate) / top) * top
        nch = len(self.channels)
        self._t: Floats = np.zeros(self.capacity)
        self._v: Floats = np.zeros((self.capacity, nch))
        self._raw = _Level(1, self._v, self._v)
        self._levels = [
            _Level(b, np.zeros((self.capacity // b, nch)), np.zeros((self.capacity // b, nch)))
            for b in BLOCK_SIZES
        ]
        self._off = np.array([c.off for c in self.channels], dtype=np.float64)
        self._scale = np.array([c.mul / c.div for c in self.channels], dtype=np.float64)
        #: Ring rows read by the last `window()` call: its cost, for tests and benchmarks.
        self.last_window_rows = 0
        self.clear()

    # ------------------------------------------------------------ appending

    def clear(self) -> None:
        """Forget every sample and counter (a new robot, or the user asked)."""
        self.total_samples = 0
        self._gaps = GapCounter()
        self._last_ms: int | None = None
        self._ms_base = 0
        self._shift = 0.0

    @property
    def dropped_samples(self) -> int:
        """Samples the robot numbered that never arrived."""
        return self._gaps.dropped

    @property
    def latest_time(self) -> float | None:
        """Robot time in seconds of the newest sample, None when empty."""
        if self.total_samples == 0:
            return None
        return float(self._t[(self.total_samples - 1) % self.capacity])

    def append(self, tel: Tel) -> tuple[Floats, Floats]:
        """Store a batch; return its (times, values) so a recorder need not redo them.

        Raises InvalidField when the batch's width differs from the hello.
        """
        n, width = tel.v.shape
        if width != len(self.channels):
            raise InvalidField(
                "tel", "v", f"rows have {width} values, hello announced {len(self.channels)}"
            )
        self._gaps.feed(tel.seq, n)
        times = self._first_time(tel.ms) + np.arange(n) / self.rate
        values = (tel.v - self._off) * self._scale
        self._write(times, values)
        return times, values

    def _first_time(self, ms: int) -> float:
        """Robot time in seconds of a batch's first sample, never going back."""
        if self._last_ms is not None and ms < self._last_ms - _MS_WRAP // 2:
            self._ms_base += _MS_WRAP
        self._last_ms = ms
        t0 = (ms + self._ms_base) / 1000.0 + self._shift
        latest = self.latest_time
        if latest is None:
            return t0
        if t0 < latest - CLOCK_JUMP_S:
            target = latest + 1.0 / self.rate
            self._shift += target - t0
            return target
        return max(t0, latest)

    def _write(self, times: Floats, values: Floats) -> None:
        """Copy into the ring in pieces that never straddle its end."""
        done = 0
        while done < len(times):
            pos = self.total_samples % self.capacity
            k = min(len(times) - done, self.capacity - pos)
            self._t[pos : pos + k] = times[done : done + k]
            self._v[pos : pos + k] = values[done : done + k]
            self.total_samples += k
            self._summarize(self.total_samples - k, self.total_samples)
            done += k

    def _summarize(self, a: int, b: int) -> None:
        """Recompute the summary blocks that samples a..b-1 fall in.

        Each level is rebuilt from the level below, reading only the children
        written so far, so the newest (partial) block is exact too. The range
        never crosses the ring's end, so every slice here is contiguous.
        """
        child = self._raw
        for level in self._levels:
            fan = level.block // child.block
            p0, p1 = a // level.block, -(-b // level.block)
            c0, c1 = p0 * fan, -(-b // child.block)
            r0 = c0 % child.rows
            starts = np.arange(0, c1 - c0, fan)
            q0 = p0 % level.rows
            level.lo[q0 : q0 + p1 - p0] = np.minimum.reduceat(
                child.lo[r0 : r0 + c1 - c0], starts, axis=0
            )
            level.hi[q0 : q0 + p1 - p0] = np.maximum.reduceat(
                child.hi[r0 : r0 + c1 - c0], starts, axis=0
            )
            child = level

    # ------------------------------------------------------------ reading

    def window(self, seconds: float, max_points: int = 4000) -> tuple[Floats, Floats]:
        """(t, values[n, nch]) of the last `seconds`, at most `max_points` rows.

        A longer window comes back as min/max pairs per bucket (both at the
        bucket's first time), as pyqtgraph's 'peak' downsampling draws them.
        """
        latest = self.latest_time
        if latest is None:
            self.last_window_rows = 0
            return np.zeros(0), np.zeros((0, len(self.channels)))
        start = self._search(latest - seconds)
        if self.total_samples - start <= max_points:
            self.last_window_rows = self.total_samples - start
            idx = np.arange(start, self.total_samples)
            return self._t.take(idx, mode="wrap"), self._v.take(idx, axis=0, mode="wrap")
        return self._peaks(start, max(1, max_points // 2 - 1))

    def _peaks(self, start: int, buckets: int) -> tuple[Floats, Floats]:
        """Min/max per bucket of samples start.. from the coarsest fitting summary."""
        n = self.total_samples - start
        level = self._raw
        for candidate in self._levels:
            if n // candidate.block >= buckets:
                level = candidate
        size = level.block
        b0 = max(start // size, -(-self._oldest() // size))
        b1 = -(-self.total_samples // size)
        per = -(-(b1 - b0) // buckets)
        # Bucket edges sit on multiples of `per` blocks, so a scrolling plot's
        # buckets do not shift under it and make peaks shimmer.
        edges = np.concatenate(([b0], np.arange((b0 // per + 1) * per, b1, per)))
        idx = np.arange(b0, b1)
        self.last_window_rows = len(idx)
        offsets = edges - b0
        lo = np.minimum.reduceat(level.lo.take(idx, axis=0, mode="wrap"), offsets, axis=0)
        hi = np.maximum.reduceat(level.hi.take(idx, axis=0, mode="wrap"), offsets, axis=0)
        first = np.maximum(edges * size, start)
        values = np.empty((2 * len(edges), len(self.channels)))
        values[0::2], values[1::2] = lo, hi
        return np.repeat(self._t.take(first, mode="wrap"), 2), values

    def value_at(self, t: float) -> Floats | None:
        """Values of the sample nearest to time `t` (for a cursor readout)."""
        if self.total_samples == 0:
            return None
        i = min(self._search(t), self.total_samples - 1)
        if i > self._oldest() and abs(self._time(i - 1) - t) <= abs(self._time(i) - t):
            i -= 1
        row: Floats = self._v[i % self.capacity].copy()
        return row

    def _oldest(self) -> int:
        return max(0, self.total_samples - self.capacity)

    def _time(self, i: int) -> float:
        return float(self._t[i % self.capacity])

    def _search(self, t: float) -> int:
        """Index of the first held sample at or after `t` (times never go back)."""
        lo, hi = self._oldest(), self.total_samples
        while lo < hi:
            mid = (lo + hi) // 2
            if self._time(mid) < t:
                lo = mid + 1
            else:
                hi = mid
        return lo
