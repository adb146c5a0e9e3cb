"""Record a session to one CSV file: samples, commands sent and link events.

One file with a `kind` column (rather than one file per stream) keeps every
row on one timeline, so "the robot stopped 40 ms after the stop was sent"
can be read straight off a spreadsheet. Each row has the operator's wall
clock; samples also have the robot's clock, and commands and events carry
the robot time of the newest sample when they happened.

Writing must be cheap at 1 kHz and must never take the app down: rows go
through a buffered file that is flushed about once a second, and a failing
disk stops the recording (announced through `failed`) instead of raising
into the telemetry path.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from app.protocol import Channel, Tel
from app.signals import Signal

log = logging.getLogger(__name__)
Floats = npt.NDArray[np.float64]

FLUSH_INTERVAL_S = 1.0
KINDS = ("sample", "drive", "stop", "event")


def header(channels: Sequence[Channel]) -> list[str]:
    """Column names: fixed ones around one `name [unit]` column per channel."""
    names = [f"{c.name} [{c.unit}]" if c.unit else c.name for c in channels]
    return ["wall_time", "robot_time_s", "kind", *names, "left", "right", "seq", "detail"]


def wall_time() -> str:
    """Local time with offset and milliseconds, unambiguous across time zones."""
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _robot_time(t: float | None) -> str:
    return "" if t is None else f"{t:.4f}"


class CsvRecorder:
    """Writes one recording at a time; `start` again to begin another file."""

    def __init__(self) -> None:
        self.recording = False
        #: The file being written, or the last one written after `stop()`.
        self.path: Path | None = None
        self.failed: Signal[[str]] = Signal()
        self._file: IO[str] | None = None
        self._writer: Any = None  # csv's writer type is private
        self._blank: list[str] = []
        self._flushed_at = 0.0

    def start(self, path: Path, channels: Sequence[Channel]) -> None:
        """Create `path` (and its folder) and write the header; ends any recording."""
        self.stop()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file)
        self._blank = [""] * len(channels)
        self.path, self.recording = path, True
        self._write([header(channels)])

    def stop(self) -> None:
        """Flush and close the file; safe to call when not recording."""
        file, self._file = self._file, None
        self.recording = False
        if file is not None:
            try:
                file.close()
            except OSError as exc:
                log.error("closing recording %s failed: %s", self.path, exc)

    def samples(self, tel: Tel, times: Floats, values: Floats) -> None:
        """One row per sample of a batch, values in units, motors as applied."""
        if not self.recording:
            return
        wall, (left, right) = wall_time(), tel.m
        self._write(
            [wall, f"{t:.4f}", "sample", *[f"{v:.7g}" for v in row], left, right, tel.seq + i, ""]
            for i, (t, row) in enumerate(zip(times.tolist(), values.tolist(), strict=True))
        )

    def drive(self, l: int, r: int, seq: int, robot_time: float | None = None) -> None:  # noqa: E741
        """A drive command as it was handed to the link."""
        self._row("drive", robot_time, l, r, seq, "")

    def stop_sent(self, seq: int, robot_time: float | None = None) -> None:
        """A stop command as it was handed to the link."""
        self._row("stop", robot_time, "", "", seq, "")

    def event(self, text: str, robot_time: float | None = None) -> None:
        """A link or app event, in words."""
        self._row("event", robot_time, "", "", "", text)

    def _row(self, kind: str, robot_time: float | None, *tail: object) -> None:
        if self.recording:
            self._write([[wall_time(), _robot_time(robot_time), kind, *self._blank, *tail]])

    def _write(self, rows: Iterable[Sequence[object]]) -> None:
        try:
            self._writer.writerows(rows)
            now = time.monotonic()
            if self._file is not None and now - self._flushed_at >= FLUSH_INTERVAL_S:
                self._file.flush()
                self._flushed_at = now
        except (OSError, ValueError) as exc:
            log.error("recording to %s failed: %s", self.path, exc)
            self.stop()
            self.failed.emit(f"recording stopped: {exc}")
