"""The `robodeck` command line: self-test and screenshot run headless in a
child process exactly as a packaged build is checked, and a machine without
a screen gets advice instead of a crash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MS
from PySide6.QtGui import QColor, QImage

from ui import cli, look
from ui.cli import EXIT_NO_DISPLAY, NO_DISPLAY, display_problem

ROOT = Path(__file__).resolve().parent.parent


def robodeck(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ui", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"} if env is None else env,
    )


def test_self_test_prints_one_ok_line_and_exits_0_within_3_s() -> None:
    done = robodeck("--self-test")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("self-test ok: hello from sim (4 channels")
    assert " samples, ack " in lines[0] and " stopped in " in lines[0]
    # The line ends with the time from process start (Qt's start-up included).
    took = re.fullmatch(r".*, (\d+\.\d) s", lines[0])
    assert took is not None and float(took.group(1)) < 3000 * MS


def test_self_test_fails_with_a_reason_when_no_robot_answers(port: int) -> None:
    done = robodeck("--self-test", "--connect", f"ws://127.0.0.1:{port}/")
    assert done.returncode == 1
    assert done.stdout.startswith("self-test FAILED: ") and done.stdout.count("\n") == 1


def test_screenshot_renders_live_plots(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    done = robodeck("--screenshot", str(shot))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "" and done.stdout == ""
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500
    # The curves are drawn in the channel colours: count such pixels in the
    # plot area (the left two thirds of the window, below the toolbars).
    colours = {QColor(c).rgb() & 0xFFFFFF for c in look.CHANNEL_COLOURS[:4]}
    seen: dict[int, int] = {}
    for y in range(image.height() // 6, image.height() * 9 // 10, 2):
        for x in range(image.width() // 12, image.width() * 2 // 3, 2):
            rgb = image.pixel(x, y) & 0xFFFFFF
            seen[rgb] = seen.get(rgb, 0) + 1
    assert len(seen) > 20, "the plot area is not blank"
    assert sum(seen.get(c, 0) for c in colours) > 300, "curves drawn in the channel colours"


@pytest.mark.parametrize(
    ("env", "missing", "expected"),
    [
        ({}, set(), NO_DISPLAY),
        ({"QT_QPA_PLATFORM": "offscreen"}, {"xcb-cursor"}, None),
        ({"DISPLAY": ":0"}, set(), None),
        ({"DISPLAY": ":0"}, {"xcb-cursor", "xcb-keysyms"}, "libxcb-cursor0 libxcb-keysyms1"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, {"xcb-icccm"}, None),
        ({"WAYLAND_DISPLAY": "wayland-0"}, {"wayland-cursor"}, "libwayland-cursor0"),
        ({"WAYLAND_DISPLAY": "w", "DISPLAY": ":0"}, {"wayland-cursor"}, None),
    ],
)
def test_display_problem_names_what_to_do(
    env: dict[str, str], missing: set[str], expected: str | None
) -> None:
    def find_library(name: str) -> str | None:
        return None if name in missing else f"lib{name}.so"

    problem = display_problem(env, find_library, "linux")
    if expected is None or expected == NO_DISPLAY:
        assert problem == expected
    else:
        assert problem is not None and f"apt-get install {expected}" in problem


def test_no_display_exits_2_with_advice_instead_of_crashing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = robodeck(env=env)
    assert done.returncode == EXIT_NO_DISPLAY
    assert "QT_QPA_PLATFORM=offscreen" in done.stderr and "Traceback" not in done.stderr


def test_an_unknown_profile_is_a_clear_error() -> None:
    done = robodeck("--self-test", "--profile", "nope")
    assert done.returncode == 2
    assert "no profile named 'nope'" in done.stderr


def test_a_packaged_app_finds_the_xcb_libraries_it_carries(tmp_path: Path) -> None:
    bundled = tmp_path / "PySide6" / "Qt" / "lib" / "libxcb-cursor.so.0"
    bundled.parent.mkdir(parents=True)
    bundled.write_bytes(b"")
    assert cli.find_library("xcb-cursor", bundle=str(tmp_path)) == str(bundled)
    assert cli.find_library("no-such-library-anywhere", bundle=str(tmp_path)) is None
