"""The CSV recording reads back with the csv module, one timeline for everything."""

from __future__ import annotations

import csv
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from app.protocol import Channel, Hello, Tel
from app.recorder import CsvRecorder
from app.telemetry import TelemetryBuffer

CHANNELS = (Channel("battery", "V", 15, 1023), Channel("light", ""))


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def batch(seq: int, ms: int, rows: list[list[int]], m: tuple[int, int] = (0, 0)) -> Tel:
    return Tel(seq=seq, ms=ms, v=np.array(rows, dtype=np.int32), m=m, ack=0)


def test_samples_commands_and_events_read_back(tmp_path: Path) -> None:
    buf = TelemetryBuffer(Hello("r", "1", "b", CHANNELS, rate=100))
    rec = CsvRecorder()
    path = tmp_path / "sub" / "run.csv"
    rec.start(path, CHANNELS)
    assert rec.recording and rec.path == path
    rec.event("connected to ws://127.0.0.1:1/")
    tel = batch(7, 1500, [[1023, 5], [0, 6]], m=(40, 40))
    rec.samples(tel, *buf.append(tel))
    rec.drive(40, -40, 12, robot_time=1.51)
    rec.stop_sent(13)
    rec.event('a "quoted", comma')
    rec.stop()
    assert not rec.recording and rec.path == path

    rows = read(path)
    assert list(rows[0]) == [
        "wall_time", "robot_time_s", "kind", "battery [V]", "light", "left", "right", "seq", "detail",
    ]
    assert [r["kind"] for r in rows] == ["event", "sample", "sample", "drive", "stop", "event"]
    s0, s1 = rows[1], rows[2]
    assert (s0["robot_time_s"], s0["battery [V]"], s0["light"], s0["left"], s0["seq"]) == ("1.5000", "15", "5", "40", "7")
    assert (s1["robot_time_s"], s1["battery [V]"], s1["seq"]) == ("1.5100", "0", "8")
    assert (rows[3]["left"], rows[3]["right"], rows[3]["seq"], rows[3]["robot_time_s"]) == ("40", "-40", "12", "1.5100")
    assert (rows[4]["seq"], rows[4]["left"]) == ("13", "")
    assert rows[5]["detail"] == 'a "quoted", comma'
    stamps = [datetime.fromisoformat(r["wall_time"]) for r in rows]
    assert all(s.tzinfo is not None for s in stamps) and stamps == sorted(stamps)


def test_nothing_is_written_when_not_recording(tmp_path: Path) -> None:
    rec = CsvRecorder()
    rec.drive(1, 1, 1)
    rec.event("ignored")
    rec.start(tmp_path / "a.csv", CHANNELS)
    rec.stop()
    rec.event("after stop")
    rec.stop()
    assert read(tmp_path / "a.csv") == []


def test_starting_again_closes_the_previous_file(tmp_path: Path) -> None:
    rec = CsvRecorder()
    rec.start(tmp_path / "a.csv", CHANNELS)
    rec.event("one")
    rec.start(tmp_path / "b.csv", CHANNELS[:1])
    rec.event("two")
    rec.stop()
    assert [r["detail"] for r in read(tmp_path / "a.csv")] == ["one"]
    assert list(read(tmp_path / "b.csv")[0]) == [
        "wall_time", "robot_time_s", "kind", "battery [V]", "left", "right", "seq", "detail",
    ]


def test_rows_reach_the_disk_while_recording(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("app.recorder.FLUSH_INTERVAL_S", 0.0)
    rec = CsvRecorder()
    rec.start(tmp_path / "live.csv", CHANNELS)
    rec.event("visible before stop")
    assert read(tmp_path / "live.csv")[0]["detail"] == "visible before stop"
    rec.stop()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_stops_the_recording_without_raising(tmp_path: Path) -> None:
    rec = CsvRecorder()
    failures: list[str] = []
    rec.failed.connect(failures.append)
    rec.start(Path("/dev/full"), CHANNELS)
    rec.event("x" * 100_000)
    assert not rec.recording
    assert failures and "No space left" in failures[0]


def test_recording_keeps_up_with_1_khz_of_8_channels(tmp_path: Path) -> None:
    channels = tuple(Channel(f"a{i}", "V") for i in range(8))
    buf = TelemetryBuffer(Hello("r", "1", "b", channels, rate=1000), seconds=10)
    rec = CsvRecorder()
    rec.start(tmp_path / "fast.csv", channels)
    rows = np.random.default_rng(1).integers(0, 1024, size=(50, 8)).tolist()
    started = time.process_time()
    for i in range(20):  # one second of samples in 50-sample batches
        tel = batch(i * 50, i * 50, rows)
        rec.samples(tel, *buf.append(tel))
    cpu = time.process_time() - started
    rec.stop()
    assert len(read(tmp_path / "fast.csv")) == 1000
    assert cpu < 0.25, f"{cpu:.3f} s of CPU for one second of samples"
