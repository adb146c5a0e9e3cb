"""Live plotting at 1 kHz x 8 channels: RoboDeck's plot panel beside a naive loop.

The robot is `robodeck-sim` in its own process streaming 8 channels at
1 kHz; this process is the app side: a real `Link` decoding the telemetry,
and either RoboDeck's `PlotPanel` over a `TelemetryBuffer` (ours) or the
naive pyqtgraph loop every tutorial starts with — a numpy window rolled on
each batch and `setData` of the whole window on every 16 ms tick (naive).

So that a 10-minute window is full from the first second, the buffer is
pre-filled with 10 minutes of synthetic samples and the live stream is
appended after them (its seq and clock shifted past the history). Printed
per window: redraws a second (paint events of a plot), the process's CPU
share, samples lost, and memory growth over the run.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from app.link import Link
from app.protocol import Hello, Tel
from app.telemetry import TelemetryBuffer
from bench.procs import free_port, python_process, wait_for_port
from ui.plot_panel import PlotPanel

RATE, CHANNELS, HISTORY_S = 1000, 8, 600.0
WINDOWS = (5.0, 10.0, 30.0, 60.0, 300.0, 600.0)


@dataclass
class Result:
    redraws_per_s: float
    cpu_share: float
    lost: int
    rss_growth_mb: float


class PaintCounter(QObject):
    """Counts paint events of one widget: what the user actually sees redrawn."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def _history(hello: Hello) -> list[Tel]:
    """HISTORY_S of plausible samples in 250-sample batches."""
    batch, total = 250, int(HISTORY_S * RATE)
    rng = np.random.default_rng(1)
    out = []
    for start in range(0, total, batch):
        n = np.arange(start, start + batch)
        v = (512 + 300 * np.sin(n[:, None] / 900 + np.arange(CHANNELS)) + rng.normal(0, 8, (batch, CHANNELS)))
        out.append(Tel(seq=start, ms=start, v=v.astype(np.int32), m=(0, 0), ack=0))
    return out


class Shift:
    """Moves live batches past the synthetic history, so the two join up."""

    def __init__(self) -> None:
        self.base: tuple[int, int] | None = None

    def __call__(self, tel: Tel) -> Tel:
        if self.base is None:
            self.base = (tel.seq, tel.ms)
        end = int(HISTORY_S * RATE)
        return Tel(seq=end + tel.seq - self.base[0], ms=end + tel.ms - self.base[1],
                   v=tel.v, m=tel.m, ack=tel.ack)


class NaivePlot(QWidget):
    """The textbook loop: roll a full-window array, setData all of it every tick."""

    def __init__(self, hello: Hello, seconds: float) -> None:
        super().__init__()
        self.n = int(seconds * RATE)
        self.t = np.zeros(self.n)
        self.v = np.zeros((self.n, CHANNELS))
        self.samples = 0
        layout = pg.QtWidgets.QVBoxLayout(self)
        self.widgets = [pg.PlotWidget() for _ in hello.channels]
        self.curves = [w.plot() for w in self.widgets]
        for w in self.widgets:
            layout.addWidget(w)
        self.timer = QTimer(self, interval=16, timeout=self.refresh)
        self.timer.start()

    def append(self, tel: Tel) -> None:
        k = len(tel.v)
        self.t = np.roll(self.t, -k)
        self.v = np.roll(self.v, -k, axis=0)
        self.t[-k:] = (tel.ms + np.arange(k)) / 1000.0
        self.v[-k:] = tel.v
        self.samples += k

    def refresh(self) -> None:
        for i, curve in enumerate(self.curves):
            curve.setData(self.t, self.v[:, i])


async def _measure(link: Link, kind: str, seconds: float, duration: float, hello: Hello,
                   history: list[Tel]) -> Result:
    shift = Shift()
    if kind == "ours":
        buf = TelemetryBuffer(hello, HISTORY_S)
        for tel in history:
            buf.append(tel)
        view: QWidget = PlotPanel()
        assert isinstance(view, PlotPanel)
        view.set_buffer(buf)
        view.set_window_seconds(seconds)
        sink = buf.append
        painted = view.plots[0].widget.viewport()
    else:
        naive = NaivePlot(hello, seconds)
        for tel in history[-int(seconds * RATE / 250):]:
            naive.append(tel)
        view, sink, painted = naive, naive.append, naive.widgets[0].viewport()
    received = 0

    def feed(tel: Tel) -> None:
        nonlocal received
        received += len(tel.v)
        sink(shift(tel))

    view.resize(1280, 900)
    view.show()
    counter = PaintCounter(painted)
    link.telemetry.connect(feed)
    await asyncio.sleep(1.0)  # settle
    paints0, cpu0, wall0, rss0, got0 = counter.count, time.process_time(), time.monotonic(), _rss_mb(), received
    dropped0 = link.stats.dropped_samples
    await asyncio.sleep(duration)
    wall = time.monotonic() - wall0
    result = Result(
        redraws_per_s=(counter.count - paints0) / wall,
        cpu_share=(time.process_time() - cpu0) / wall,
        lost=link.stats.dropped_samples - dropped0 + max(0, int(RATE * wall * 0.98) - (received - got0)),
        rss_growth_mb=_rss_mb() - rss0,
    )
    link.telemetry.disconnect(feed)
    view.close()
    view.deleteLater()
    await asyncio.sleep(0.2)
    return result


async def _run(port: int, plan: list[tuple[float, float, float]]) -> None:
    link = Link(f"ws://127.0.0.1:{port}/")
    hello_box: list[Hello] = []
    link.hello_received.connect(hello_box.append)
    task = asyncio.create_task(link.run())
    while not hello_box:
        await asyncio.sleep(0.05)
    hello = hello_box[0]
    history = _history(hello)
    print(f"plotting {len(hello.channels)} channels at {hello.rate} Hz from robodeck-sim over a real link")
    print(f"{'window':>8} | {'ours: redraws/s':>15} {'CPU':>6} {'lost':>5} {'RSS +MB':>8} |"
          f" {'naive: redraws/s':>16} {'CPU':>6} | CPU per frame, naive/ours")
    for seconds, ours_s, naive_s in plan:
        ours = await _measure(link, "ours", seconds, ours_s, hello, history)
        naive = await _measure(link, "naive", seconds, naive_s, hello, history)
        per_frame = [r.cpu_share / max(r.redraws_per_s, 1e-9) for r in (ours, naive)]
        ratio = per_frame[1] / per_frame[0]
        print(f"{seconds:>7.0f}s | {ours.redraws_per_s:>15.1f} {ours.cpu_share:>6.0%} {ours.lost:>5d}"
              f" {ours.rss_growth_mb:>8.1f} | {naive.redraws_per_s:>16.1f} {naive.cpu_share:>6.0%} |"
              f" {ratio:.1f}x  ({ours_s:.0f} s / {naive_s:.0f} s runs)", flush=True)
    print("goal: >= 60 redraws/s, no sample lost, CPU < 50 % of one core, memory flat")
    await link.close()
    task.cancel()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.plot")
    parser.add_argument("--long", type=float, default=60.0, help="seconds of the 10-minute-window run")
    parser.add_argument("--short", type=float, default=8.0, help="seconds of every other run")
    args = parser.parse_args(argv)
    import qasync

    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    port = free_port()
    with python_process(["-m", "app.sim", "--listen", f"127.0.0.1:{port}",
                         "--rate", str(RATE), "--channels", str(CHANNELS)]):
        wait_for_port(port)
        plan = [(w, args.long if w == 600 else args.short, args.short) for w in WINDOWS]
        qasync.run(_run(port, plan))
    del app


if __name__ == "__main__":
    main()
