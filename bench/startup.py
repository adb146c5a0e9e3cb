"""Start-up: `robodeck` to its first painted window, and `robodeck --self-test`.

Baseline, in the same run: a bare PySide6 program that shows one empty
window. The first frame is the moment Qt logs that it flushed the window to
the screen (category qt.widgets.painting), so nothing in the app is changed
to be measured. Goals: first frame under 0.8 s warm, self-test under 3 s.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from bench.stats import ratio

FIRST_FRAME = re.compile(r"Flushing .* to QWidgetWindow")
BARE_WINDOW = (
    "from PySide6.QtWidgets import QApplication, QWidget\n"
    "app = QApplication([]); w = QWidget(); w.resize(1280, 780); w.show(); app.exec()\n"
)
RUNS = 5


def _env(home: str) -> dict[str, str]:
    return dict(
        os.environ, QT_QPA_PLATFORM="offscreen", QT_LOGGING_RULES="qt.widgets.painting.debug=true",
        ROBODECK_CONFIG_DIR=os.path.join(home, "config"), ROBODECK_DATA_DIR=os.path.join(home, "data"),
    )


def first_frame(args: list[str]) -> float:
    """Seconds from spawning `python args` to its first window flush."""
    with tempfile.TemporaryDirectory() as home:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, *args], env=_env(home), stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True)
        assert proc.stderr is not None
        try:
            for line in proc.stderr:
                if FIRST_FRAME.search(line):
                    return time.perf_counter() - start
            raise RuntimeError(f"{args} exited with {proc.wait()} before painting a window")
        finally:
            proc.kill()
            proc.wait()


def self_test() -> float:
    """Wall seconds of one `robodeck --self-test`; raises if it fails."""
    with tempfile.TemporaryDirectory() as home:
        env = dict(_env(home), QT_LOGGING_RULES="")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "ui", "--self-test"], env=env,
                              capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"self-test failed: {done.stdout}{done.stderr}")
        return time.perf_counter() - start


def run() -> None:
    """Warm up once, then median of RUNS of each; print beside the bare window."""
    first_frame(["-c", BARE_WINDOW])
    first_frame(["-m", "ui"])
    bare = statistics.median(first_frame(["-c", BARE_WINDOW]) for _ in range(RUNS))
    ours = statistics.median(first_frame(["-m", "ui"]) for _ in range(RUNS))
    test = statistics.median(self_test() for _ in range(3))
    print(f"start to first painted window, median of {RUNS} warm starts (offscreen)")
    print(f"  bare PySide6 window: {bare:.2f} s")
    print(f"  robodeck:            {ours:.2f} s  ({ratio(ours, bare)} of bare; goal < 0.8 s)")
    print(f"robodeck --self-test:  {test:.2f} s wall, median of 3 (goal < 3 s)")


if __name__ == "__main__":
    run()
