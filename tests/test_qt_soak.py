"""Soak the Qt/asyncio stack the app stands on, in a child process.

PySide6 6.12.0 on Python 3.11 corrupts the reference counts of None/True/False
in every Python override of timerEvent and paintEvent: qasync's loop aborted
("Fatal Python error: none_dealloc") after about 8,000 iterations and a
pyqtgraph PlotWidget after about 1,200 repaints. pyproject.toml pins PySide6
below 6.12 on 3.11; this test fails if a dependency bump brings the bug back.
It runs in a subprocess because the failure is a hard abort of the
interpreter, which would take pytest down with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

LOOP_ITERATIONS = 30_000
REPAINTS = 3_000

SOAK = textwrap.dedent(
    f"""
    import asyncio, sys
    import numpy as np
    import pyqtgraph as pg
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication([])

    async def spin():
        for _ in range({LOOP_ITERATIONS}):
            await asyncio.sleep(0)

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(spin())

    class CountingPlot(pg.PlotWidget):
        painted = 0

        def paintEvent(self, event):
            CountingPlot.painted += 1
            return super().paintEvent(event)

    plot = CountingPlot()
    plot.resize(400, 200)
    plot.plot(np.arange(500.0), np.sin(np.arange(500.0) / 20), pen=pg.mkPen("y", width=1))
    plot.show()
    app.processEvents()
    for _ in range({REPAINTS}):
        plot.viewport().repaint()  # a QGraphicsView paints through its viewport
    assert CountingPlot.painted >= {REPAINTS}, CountingPlot.painted
    print("soak ok")
    """
)


def test_qasync_loop_and_plot_repaints_survive_a_soak() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SOAK],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stderr[-2000:]}"
    assert done.stdout.strip() == "soak ok"
