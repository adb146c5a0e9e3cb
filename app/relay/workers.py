"""`--workers N`: N relay processes on one port, so one machine's every core routes.

The kernel spreads new connections over the processes (SO_REUSEPORT); they
share robots, operators and control through Redis (`--redis`, required), so
which process a peer lands on does not matter. This parent only starts the
workers, passes SIGTERM/SIGINT on to them and waits; a worker that dies is
started again after a second.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from types import FrameType

log = logging.getLogger("app.relay")

#: Seconds between a worker's death and its restart.
RESTART_DELAY = 1.0


def worker_argv(argv: list[str]) -> list[str]:
    """The parent's options without --workers, plus --reuse-port."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            out.append(arg)
    return [*out, "--reuse-port"]


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "app.relay", *argv])


def run_workers(n: int, argv: list[str]) -> int:
    """Run n workers until SIGTERM/SIGINT; 0 if they all stopped cleanly."""
    args = worker_argv(argv)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers = [_start(args) for _ in range(n)]
    log.info("started %d relay workers: pids %s", n, " ".join(str(w.pid) for w in workers))
    while not stopping:
        time.sleep(0.2)
        for i, worker in enumerate(workers):
            if worker.poll() is not None and not stopping:
                log.error("worker %d exited (%s); starting it again", worker.pid, worker.returncode)
                time.sleep(RESTART_DELAY)
                workers[i] = _start(args)
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
    codes = [worker.wait() for worker in workers]
    log.info("relay workers stopped")
    return 0 if all(code == 0 for code in codes) else 1
