"""A bounded soak of the relay: bench/load.py at a tenth of its size for a few seconds.

`make bench` runs the full size (1,000 robots x 20 Hz for 60 s and 5,000 idle
connections, beside a bare fan-out server); here the same code checks the
same goals at a size CI can afford.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MS

ROOT = Path(__file__).resolve().parent.parent
ROBOTS, SECONDS, IDLE = 100, 3, 500

pytestmark = pytest.mark.timeout(90)


def test_relay_soak_loses_no_drive_and_holds_idle_connections() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.load", "--only", "robodeck relay", "--json",
         "--robots", str(ROBOTS), "--seconds", str(SECONDS), "--workers", "1", "--drive-rate", "10",
         "--idle", str(IDLE), "--idle-seconds", "6"],
        cwd=ROOT, capture_output=True, text=True, timeout=80, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    ours = json.loads(result.stdout.strip().splitlines()[-1])["robodeck relay"]
    assert ours["disconnected"] == 0
    assert ours["drives_sent"] >= ROBOTS * 10 * SECONDS * 0.9
    assert (ours["drives_lost"], ours["drives_reordered"]) == (0, 0)
    assert ours["tel_received"] == ours["tel_sent"], "telemetry was dropped for operators keeping up"
    assert ours["delay_p99"] < 50 * MS * 1000, f"p99 telemetry delay {ours['delay_p99']:.1f} ms"
    assert ours["rss_end_mb"] - ours["rss_start_mb"] < 5
    assert ours["held"] == IDLE, "idle connections were dropped (are pings answered?)"
